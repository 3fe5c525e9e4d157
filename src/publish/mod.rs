//! Publication: the figures that leave the office. From the exact indicator table it builds the
//! published figures, with small cells and the cells that would give them away hidden, and it signs
//! rendered reports off into immutable bundles. Render draws only what this stage hands it, so a
//! page, its charts, its tables and its data files cannot disagree or forget to suppress.

pub mod audit;
mod audit_published;
pub mod bundle;
pub mod disclosure;
pub mod ods;
pub mod ods_style;
pub mod opendata;
pub mod reproduce;
pub mod signing;
mod table;
mod ties;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Project;
use crate::indicators::output::OutputRow;
pub use audit_published::{BundleFigures, Disclosed, ShownFigure, Unaudited, audit_published};
use disclosure::Suppression;
use table::Table;

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
