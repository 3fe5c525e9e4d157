//! Publication: the figures that leave the office. From the exact indicator table it builds the
//! published figures, with small cells and the cells that would give them away hidden, and it signs
//! rendered reports off into immutable bundles. Render draws only what this stage hands it, so a
//! page, its charts, its tables and its data files cannot disagree or forget to suppress.

pub mod bundle;
pub mod disclosure;
pub mod ods;
pub mod opendata;
pub mod reproduce;
pub mod signing;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::{Grain, Indicator, Period, Project, TimeRollup, Unit};
use crate::indicators::output::OutputRow;
use disclosure::{CellCounts, Relation, Suppression};

/// Eurostat's flag for a confidential figure.
pub const CONFIDENTIAL: &str = "c";

/// One figure as published: the exact row, or, when suppressed, its keys and target only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedFigure {
    pub indicator: String,
    pub territory: String,
    pub territory_level: String,
    pub period: String,
    pub grain: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub achievement: Option<f64>,
    /// Empty when suppressed: a status would tell which side of the target the figure is on.
    pub status: String,
    pub suppression: Option<Suppression>,
    /// The indicator's follow-up window is still open for this period: not judged yet.
    pub provisional: bool,
}

impl PublishedFigure {
    pub fn suppressed(&self) -> bool {
        self.suppression.is_some()
    }

    /// `c` when suppressed, empty otherwise.
    pub fn flag(&self) -> &'static str {
        if self.suppressed() { CONFIDENTIAL } else { "" }
    }
}

/// Every published figure of the project, keyed by indicator, territory and period.
#[derive(Debug, Default)]
pub struct PublishedFigures {
    pub by_key: BTreeMap<(String, String, String), PublishedFigure>,
}

impl PublishedFigures {
    pub fn get(&self, indicator: &str, territory: &str, period: &str) -> Option<&PublishedFigure> {
        self.by_key.get(&(
            indicator.to_string(),
            territory.to_string(),
            period.to_string(),
        ))
    }
}

/// The published figures of every indicator: rows of indicators with `small_cells: suppress` pass
/// through disclosure control with `privacy.min_cell`; the others are published as computed.
pub fn published_figures(project: &Project, rows: Vec<OutputRow>) -> PublishedFigures {
    let mut by_indicator: BTreeMap<String, Vec<OutputRow>> = BTreeMap::new();
    for r in rows {
        by_indicator.entry(r.indicator.clone()).or_default().push(r);
    }
    let k = project.settings.min_cell;
    let mut out = PublishedFigures::default();
    for (id, rows) in by_indicator {
        let state = match project.indicator(&id) {
            Some(ind) if ind.suppress_small_cells && k > 0 => {
                let cells: Vec<CellCounts> = rows.iter().map(|r| counts(ind, r)).collect();
                disclosure::protect(&cells, &relations(project, ind, &rows), k)
            }
            // An indicator no longer defined keeps its rows hidden: its rule is unknown.
            None if k > 0 => vec![Some(Suppression::Primary); rows.len()],
            _ => vec![None; rows.len()],
        };
        for (r, s) in rows.into_iter().zip(state) {
            let f = publish_row(r, s);
            out.by_key.insert(
                (f.indicator.clone(), f.territory.clone(), f.period.clone()),
                f,
            );
        }
    }
    out
}

fn counts(ind: &Indicator, r: &OutputRow) -> CellCounts {
    CellCounts {
        numerator: r.numerator,
        denominator: r.denominator,
        complement_counts: ind.unit == Unit::Percent,
    }
}

fn publish_row(r: OutputRow, suppression: Option<Suppression>) -> PublishedFigure {
    let hidden = suppression.is_some();
    let keep = |x: Option<f64>| if hidden { None } else { x };
    PublishedFigure {
        numerator: keep(r.numerator),
        denominator: keep(r.denominator),
        value: keep(r.value),
        achievement: keep(r.achievement),
        status: if hidden { String::new() } else { r.status },
        target: r.target,
        indicator: r.indicator,
        territory: r.territory,
        territory_level: r.territory_level,
        period: r.period,
        grain: r.grain,
        suppression,
        provisional: r.provisional,
    }
}

/// The additive relations among one indicator's rows: each territory and its children in the same
/// period (when the indicator rolls up territories), and each period and its finer periods in the
/// same territory (sum and mean: all of them; last: the one it equals).
fn relations(project: &Project, ind: &Indicator, rows: &[OutputRow]) -> Vec<Relation> {
    let index: BTreeMap<(&str, &str), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.territory.as_str(), r.period.as_str()), i))
        .collect();
    let mut out = Vec::new();
    if ind.territory_rollup {
        for (i, r) in rows.iter().enumerate() {
            let children: Vec<usize> = project
                .territories
                .children_of(&r.territory)
                .iter()
                .filter_map(|c| index.get(&(c.as_str(), r.period.as_str())).copied())
                .collect();
            out.push(Relation {
                parent: i,
                children,
            });
        }
    }
    if ind.time_rollup == TimeRollup::None {
        return out;
    }
    let mut periods_of: BTreeMap<&str, Vec<(Period, usize)>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(p) = Period::parse(&r.period) {
            periods_of
                .entry(r.territory.as_str())
                .or_default()
                .push((p, i));
        }
    }
    for periods in periods_of.values() {
        for &(parent, pi) in periods {
            let finer: BTreeSet<Grain> = periods
                .iter()
                .map(|(p, _)| p.grain())
                .filter(|g| *g < parent.grain())
                .collect();
            for g in finer {
                let mut children: Vec<(Period, usize)> = periods
                    .iter()
                    .filter(|(p, _)| p.grain() == g && p.inside(parent, parent))
                    .copied()
                    .collect();
                if ind.time_rollup == TimeRollup::Last {
                    children.sort_by_key(|(p, _)| p.sort_key());
                    children = children.into_iter().last().into_iter().collect();
                }
                out.push(Relation {
                    parent: pi,
                    children: children.into_iter().map(|(_, i)| i).collect(),
                });
            }
        }
    }
    out
}
