//! Publication: the figures that leave the office. From the exact indicator table it builds the
//! published figures, with small cells and the cells that would give them away hidden, and it signs
//! rendered reports off into immutable bundles. Render draws only what this stage hands it, so a
//! page, its charts, its tables and its data files cannot disagree or forget to suppress.

pub mod audit;
pub mod bundle;
pub mod disclosure;
pub mod ods;
pub mod ods_style;
pub mod opendata;
pub mod reproduce;
pub mod signing;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::{Grain, Indicator, Period, Project, TimeRollup, Unit};
use crate::indicators::output::OutputRow;
use audit::{AuditCell, Combine, Exposure, Part, Quantity, Rollup, SharedCount};
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
/// through disclosure control with `privacy.min_cell`, audited by linear programming so that no
/// small count can be narrowed to less than `publication.protection`; the others are published as
/// computed, except where they publish a count that a protected indicator hides.
pub fn published_figures(project: &Project, rows: Vec<OutputRow>) -> PublishedFigures {
    let table = Table::new(project, rows);
    let state = table.suppress(project.settings.min_cell, protection(project));
    let mut out = PublishedFigures::default();
    for (r, s) in table.rows.into_iter().zip(state) {
        let f = publish_row(r, s);
        out.by_key.insert(
            (f.indicator.clone(), f.territory.clone(), f.period.clone()),
            f,
        );
    }
    out
}

/// The narrowest feasible interval a hidden small count may have (`publication.protection`).
pub fn protection(project: &Project) -> f64 {
    project.settings.publication.protection.unwrap_or(1.0)
}

/// Every figure of the project in one table, with what ties them: the roll-ups within each
/// indicator and the counts two indicators share. Disclosure control and its audit both work on
/// it, since a reader gets all pages together.
#[derive(Default)]
struct Table {
    rows: Vec<OutputRow>,
    cells: Vec<AuditCell>,
    rollups: Vec<Rollup>,
    shared: Vec<SharedCount>,
    /// Rows of an indicator no longer defined: hidden, since their rule is unknown.
    undefined: Vec<bool>,
}

impl Table {
    fn new(project: &Project, rows: Vec<OutputRow>) -> Table {
        let mut by_indicator: BTreeMap<String, Vec<OutputRow>> = BTreeMap::new();
        for r in rows {
            by_indicator.entry(r.indicator.clone()).or_default().push(r);
        }
        let k = project.settings.min_cell;
        let mut t = Table::default();
        for (id, rows) in by_indicator {
            let offset = t.rows.len();
            match project.indicator(&id) {
                Some(ind) => {
                    // A percentage whose numerator never passes its denominator counts a part of
                    // it: a reader knows the numerator is at most the denominator.
                    let share = ind.unit == Unit::Percent
                        && rows.iter().all(|r| match (r.numerator, r.denominator) {
                            (Some(n), Some(d)) => n <= d,
                            _ => true,
                        });
                    for r in &rows {
                        t.cells.push(AuditCell {
                            counts: counts(ind, r),
                            protected: ind.suppress_small_cells && k > 0,
                            share,
                        });
                        t.undefined.push(false);
                    }
                    t.rollups
                        .extend(relations(project, ind, &rows).into_iter().map(|mut r| {
                            r.relation.parent += offset;
                            r.relation.children.iter_mut().for_each(|c| *c += offset);
                            r
                        }));
                }
                None => {
                    for r in &rows {
                        t.cells.push(AuditCell {
                            counts: CellCounts {
                                numerator: r.numerator,
                                denominator: r.denominator,
                                complement_counts: false,
                            },
                            protected: false,
                            share: false,
                        });
                        t.undefined.push(true);
                    }
                }
            }
            t.rows.extend(rows);
        }
        t.shared = shared_counts(&t.rows, &t.cells);
        t
    }

    fn counts(&self) -> Vec<CellCounts> {
        self.cells.iter().map(|c| c.counts).collect()
    }

    /// Primary suppression, then secondary over the roll-ups and the shared counts, then as many
    /// more complements as the audit asks for, until it finds no small count pinned down.
    fn suppress(&self, k: u32, protection: f64) -> Vec<Option<Suppression>> {
        let counts = self.counts();
        let protected: Vec<bool> = self.cells.iter().map(|c| c.protected).collect();
        let mut state = disclosure::primary(&counts, &protected, k);
        if k == 0 {
            return state;
        }
        for (s, &undefined) in state.iter_mut().zip(&self.undefined) {
            if undefined {
                *s = Some(Suppression::Primary);
            }
        }
        let relations: Vec<Relation> = self.rollups.iter().map(|r| r.relation.clone()).collect();
        let ties: Vec<(usize, usize)> = self.shared.iter().map(|s| (s.a.0, s.b.0)).collect();
        loop {
            disclosure::close(&counts, &relations, &ties, &mut state);
            let exposed = self.exposed(&state, k, protection);
            let Some(first) = exposed.first() else {
                return state;
            };
            let Some(c) = self.complement(first, &state, &counts, &relations, &ties, k, protection)
            else {
                return state;
            };
            state[c] = Some(Suppression::Secondary);
        }
    }

    fn exposed(&self, state: &[Option<Suppression>], k: u32, protection: f64) -> Vec<Exposure> {
        let shown: Vec<bool> = state.iter().map(Option::is_none).collect();
        audit::audit(
            &self.cells,
            &self.rollups,
            &self.shared,
            &shown,
            k,
            protection,
        )
    }

    /// The published figure to hide next for an exposed count: of those bounding it, from the
    /// smallest up, the first that frees it once its own complements are hidden too (the totals
    /// stay published where hiding a sub-period or a sub-territory is enough); failing that, the
    /// smallest sharing a relation with it, else the smallest bounding it at all.
    #[allow(clippy::too_many_arguments)]
    fn complement(
        &self,
        e: &Exposure,
        state: &[Option<Suppression>],
        counts: &[CellCounts],
        relations: &[Relation],
        ties: &[(usize, usize)],
        k: u32,
        protection: f64,
    ) -> Option<usize> {
        // Trying each costs an audit: a few of the smallest are enough to find one that frees it.
        const TRIALS: usize = 12;
        let open: Vec<usize> = e
            .neighbours
            .iter()
            .copied()
            .filter(|&c| state[c].is_none())
            .collect();
        for &c in disclosure::by_size(counts, &open).iter().take(TRIALS) {
            let mut trial = state.to_vec();
            trial[c] = Some(Suppression::Secondary);
            disclosure::close(counts, relations, ties, &mut trial);
            let still = self
                .exposed(&trial, k, protection)
                .iter()
                .any(|x| (x.cell, x.quantity) == (e.cell, e.quantity));
            if !still {
                return Some(c);
            }
        }
        let member =
            |r: &Rollup, c: usize| r.relation.parent == c || r.relation.children.contains(&c);
        let near: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&c| {
                self.rollups
                    .iter()
                    .any(|r| member(r, e.cell) && member(r, c))
            })
            .collect();
        disclosure::smallest(counts, &near).or_else(|| disclosure::smallest(counts, &open))
    }
}

/// The counts two indicators share, found from the figures themselves: the numerator or
/// denominator of one indicator and that of another, at the same grain, are one count when every
/// figure of one has a figure of the other at the same territory and period with the same value,
/// over at least two non-zero figures. Whatever the SQL of each says, a reader who sees them equal
/// everywhere they are both published takes them for one, so the hidden ones are too.
fn shared_counts(rows: &[OutputRow], cells: &[AuditCell]) -> Vec<SharedCount> {
    type Series<'a> = BTreeMap<(&'a str, &'a str), (usize, f64)>;
    let mut series: BTreeMap<(&str, Part, &str), Series> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        for part in Part::BOTH {
            let value = match part {
                Part::Numerator => r.numerator,
                Part::Denominator => r.denominator,
            };
            if let Some(v) = value {
                series
                    .entry((r.indicator.as_str(), part, r.grain.as_str()))
                    .or_default()
                    .insert((r.territory.as_str(), r.period.as_str()), (i, v));
            }
        }
    }
    let list: Vec<(&(&str, Part, &str), &Series)> = series.iter().collect();
    let mut out = Vec::new();
    for (x, (kx, sx)) in list.iter().enumerate() {
        for (ky, sy) in &list[x + 1..] {
            if kx.0 == ky.0 || kx.2 != ky.2 {
                continue;
            }
            let protects = |s: &Series| s.values().next().is_some_and(|(i, _)| cells[*i].protected);
            if !protects(sx) && !protects(sy) {
                continue;
            }
            let (small, large) = if sx.len() <= sy.len() {
                (sx, sy)
            } else {
                (sy, sx)
            };
            let (small_part, large_part) = if sx.len() <= sy.len() {
                (kx.1, ky.1)
            } else {
                (ky.1, kx.1)
            };
            let nonzero = small.values().filter(|(_, v)| *v != 0.0).count();
            let same = small.iter().all(|(key, (_, v))| {
                large
                    .get(key)
                    .is_some_and(|(_, w)| (v - w).abs() <= 1e-9 * v.abs().max(1.0))
            });
            if nonzero < 2 || !same {
                continue;
            }
            for (key, (i, _)) in small.iter() {
                let (j, _) = large[key];
                out.push(SharedCount {
                    a: (*i, small_part),
                    b: (j, large_part),
                });
            }
        }
    }
    out
}

/// Every figure a bundle's data files name: its numbers where shown, None where flagged `c`.
pub type BundleFigures = BTreeMap<(String, String, String), Option<ShownFigure>>;

/// What a bundle publishes of one figure, as its data files give it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownFigure {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// A small count that a bundle's figures pin down: its figure and its feasible interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disclosed {
    pub indicator: String,
    pub territory: String,
    pub period: String,
    pub quantity: Quantity,
    pub min: f64,
    pub max: f64,
}

impl std::fmt::Display for Disclosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bound = |x: f64| {
            // The solver's zero may come back as −0 or a hair below.
            let x = if x.abs() < 5e-4 { 0.0 } else { x };
            if x.is_finite() {
                crate::indicators::output::tidy((x * 1000.0).round() / 1000.0).to_string()
            } else {
                "∞".to_string()
            }
        };
        write!(
            f,
            "{} {} {}: its {} lies in [{}, {}]",
            self.indicator,
            self.territory,
            self.period,
            self.quantity.name(),
            bound(self.min),
            bound(self.max)
        )
    }
}

/// The audit of what a bundle publishes: `published` is every figure its data files name; every
/// figure of `rows` (the exact indicator table) they do not show is unknown to its reader.
/// Returns each small count the shown figures pin down to an interval narrower than
/// `publication.protection`, or, when the shown figures are not those of `rows`, each that
/// differs.
/// The figures no page shows (facilities, months no chart draws) are unknowns like the hidden
/// ones: that makes the programme larger than the one disclosure control solves, but it is what
/// a reader of the bundle has.
pub fn audit_published(
    project: &Project,
    rows: Vec<OutputRow>,
    published: &BundleFigures,
) -> Result<Vec<Disclosed>, Vec<String>> {
    let table = Table::new(project, rows);
    let index: BTreeMap<(&str, &str, &str), usize> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                (
                    r.indicator.as_str(),
                    r.territory.as_str(),
                    r.period.as_str(),
                ),
                i,
            )
        })
        .collect();
    let mut differ = Vec::new();
    let mut visible = vec![false; table.rows.len()];
    for ((ind, ter, per), f) in published {
        let Some(&i) = index.get(&(ind.as_str(), ter.as_str(), per.as_str())) else {
            if f.is_some() {
                differ.push(format!(
                    "{ind} {ter} {per} is published but not in the indicator table"
                ));
            }
            continue;
        };
        let Some(f) = f else {
            continue;
        };
        let r = &table.rows[i];
        let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => {
                (crate::indicators::output::tidy(a) - b).abs() <= 1e-6 * b.abs().max(1.0)
            }
            (None, None) => true,
            _ => false,
        };
        if !same(r.numerator, f.numerator) || !same(r.denominator, f.denominator) {
            differ.push(format!(
                "{ind} {ter} {per} is published with other numbers than the indicator table's"
            ));
            continue;
        }
        visible[i] = true;
    }
    if !differ.is_empty() {
        return Err(differ);
    }
    let (k, protection) = (project.settings.min_cell, protection(project));
    let exposed = audit::audit(
        &table.cells,
        &table.rollups,
        &table.shared,
        &visible,
        k,
        protection,
    );
    Ok(exposed
        .into_iter()
        .map(|e| {
            let r = &table.rows[e.cell];
            Disclosed {
                indicator: r.indicator.clone(),
                territory: r.territory.clone(),
                period: r.period.clone(),
                quantity: e.quantity,
                min: e.min,
                max: e.max,
            }
        })
        .collect())
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
fn relations(project: &Project, ind: &Indicator, rows: &[OutputRow]) -> Vec<Rollup> {
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
            out.push(Rollup {
                relation: Relation {
                    parent: i,
                    children,
                },
                combine: Combine::Sum,
            });
        }
    }
    let combine = match ind.time_rollup {
        TimeRollup::None => return out,
        TimeRollup::Sum => Combine::Sum,
        TimeRollup::Mean => Combine::Mean,
        TimeRollup::Last => Combine::Last,
    };
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
                out.push(Rollup {
                    relation: Relation {
                        parent: pi,
                        children: children.into_iter().map(|(_, i)| i).collect(),
                    },
                    combine,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(indicator: &str, territory: &str, period: &str, n: f64, d: Option<f64>) -> OutputRow {
        OutputRow {
            indicator: indicator.into(),
            territory: territory.into(),
            territory_level: String::new(),
            period: period.into(),
            grain: if period.len() == 4 { "year" } else { "month" }.into(),
            numerator: Some(n),
            denominator: d,
            value: None,
            target: None,
            achievement: None,
            status: String::new(),
            run_id: String::new(),
            previous: None,
            change: None,
            definition: String::new(),
            provisional: false,
        }
    }

    fn cells(rows: &[OutputRow]) -> Vec<AuditCell> {
        rows.iter()
            .map(|r| AuditCell {
                counts: CellCounts {
                    numerator: r.numerator,
                    denominator: r.denominator,
                    complement_counts: false,
                },
                protected: r.indicator == "count",
                share: false,
            })
            .collect()
    }

    #[test]
    fn a_count_equal_wherever_both_publish_it_is_shared() {
        // The count of exits is the percentage's denominator in every cell, also at a coarser
        // grain only the count has; the percentage's numerator is another count.
        let rows = vec![
            row("count", "A", "2024", 20.0, None),
            row("count", "B", "2024", 3.0, None),
            row("count", "A", "2024-01", 20.0, None),
            row("share", "A", "2024", 6.0, Some(20.0)),
            row("share", "B", "2024", 1.0, Some(3.0)),
        ];
        let shared = shared_counts(&rows, &cells(&rows));
        let pairs: Vec<((usize, Part), (usize, Part))> =
            shared.iter().map(|s| (s.a, s.b)).collect();
        assert_eq!(
            pairs,
            vec![
                ((0, Part::Numerator), (3, Part::Denominator)),
                ((1, Part::Numerator), (4, Part::Denominator)),
            ]
        );
    }

    #[test]
    fn one_equal_figure_or_one_that_differs_is_no_shared_count() {
        let once = vec![
            row("count", "A", "2024", 20.0, None),
            row("share", "A", "2024", 6.0, Some(20.0)),
        ];
        assert!(shared_counts(&once, &cells(&once)).is_empty());
        let differ = vec![
            row("count", "A", "2024", 20.0, None),
            row("count", "B", "2024", 3.0, None),
            row("share", "A", "2024", 6.0, Some(20.0)),
            row("share", "B", "2024", 1.0, Some(4.0)),
        ];
        assert!(shared_counts(&differ, &cells(&differ)).is_empty());
        // Between indicators that protect nothing there is nothing to keep consistent.
        let unprotected: Vec<OutputRow> = differ
            .iter()
            .map(|r| OutputRow {
                indicator: format!("{}-x", r.indicator),
                ..r.clone()
            })
            .collect();
        assert!(shared_counts(&unprotected, &cells(&unprotected)).is_empty());
    }
}
