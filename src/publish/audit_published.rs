//! The audit of what a bundle publishes: the figures its data files show, against the exact
//! indicator table, by linear programming over all of them together.

use std::collections::BTreeMap;

use serde::Serialize;

use super::audit::{self, Quantity};
use super::protection;
use super::table::Table;
use crate::config::Project;
use crate::indicators::output::OutputRow;

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

/// A figure a bundle publishes otherwise than the indicator table has it: what the bundle
/// discloses cannot be audited then.
#[derive(Debug, Clone, PartialEq)]
pub struct Unaudited {
    pub indicator: String,
    pub territory: String,
    pub period: String,
    /// Whether the table has the figure at all (then with other numbers).
    pub in_table: bool,
}

impl std::fmt::Display for Unaudited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ind, ter, per) = (&self.indicator, &self.territory, &self.period);
        if self.in_table {
            write!(
                f,
                "{ind} {ter} {per} is published with other numbers than the indicator table's"
            )
        } else {
            write!(
                f,
                "{ind} {ter} {per} is published but not in the indicator table"
            )
        }
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
) -> Result<Vec<Disclosed>, Vec<Unaudited>> {
    let table = Table::new(project, rows);
    let visible = visible_rows(&table, published)?;
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

/// Which rows of the table the bundle shows, each with the table's numbers; or every figure it
/// shows otherwise.
fn visible_rows(table: &Table, published: &BundleFigures) -> Result<Vec<bool>, Vec<Unaudited>> {
    let index: BTreeMap<(&str, &str, &str), usize> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let key = (
                r.indicator.as_str(),
                r.territory.as_str(),
                r.period.as_str(),
            );
            (key, i)
        })
        .collect();
    let mut differ = Vec::new();
    let mut visible = vec![false; table.rows.len()];
    for ((ind, ter, per), f) in published {
        let unaudited = |in_table| Unaudited {
            indicator: ind.clone(),
            territory: ter.clone(),
            period: per.clone(),
            in_table,
        };
        let Some(&i) = index.get(&(ind.as_str(), ter.as_str(), per.as_str())) else {
            if f.is_some() {
                differ.push(unaudited(false));
            }
            continue;
        };
        let Some(f) = f else {
            continue;
        };
        let r = &table.rows[i];
        if !same(r.numerator, f.numerator) || !same(r.denominator, f.denominator) {
            differ.push(unaudited(true));
            continue;
        }
        visible[i] = true;
    }
    if differ.is_empty() {
        Ok(visible)
    } else {
        Err(differ)
    }
}

/// Whether a number of the table is the one a data file shows (rounded as files write it).
fn same(table: Option<f64>, shown: Option<f64>) -> bool {
    match (table, shown) {
        (Some(a), Some(b)) => {
            (crate::indicators::output::tidy(a) - b).abs() <= 1e-6 * b.abs().max(1.0)
        }
        (None, None) => true,
        _ => false,
    }
}
