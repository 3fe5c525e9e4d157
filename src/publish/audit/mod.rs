//! The audit of a suppression pattern by linear programming, as statistical offices audit a
//! table before release (tau-Argus): whoever reads every published figure knows each hidden count
//! only up to what the published figures, the sums between them and non-negativity allow. For
//! every hidden small count this finds that range, its *feasible interval*, by minimising and
//! maximising it; a count whose interval is narrower than the protection asked for is exposed.
//!
//! The unknowns are the numerator and denominator of every hidden figure (and, through them, the
//! complement of a percentage). The constraints are the published figures, the roll-ups (a parent
//! is the sum, the mean or the last of its children, for numerators and denominators alike), the
//! counts that two indicators share (one quantity, equal in both), and non-negativity (a share's
//! numerator never exceeds its denominator). The problem splits into independent components, the
//! hidden figures tied to each other by some constraint, and each is solved alone.

use std::collections::BTreeMap;

use super::disclosure::{CellCounts, Relation, is_small};
use equations::{Equation, equations, small_counts};
use programme::Component;

mod equations;
mod programme;
#[cfg(test)]
mod tests;

/// The numerator or the denominator of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Numerator,
    Denominator,
}

impl Part {
    pub const BOTH: [Part; 2] = [Part::Numerator, Part::Denominator];

    fn of(self, c: &CellCounts) -> Option<f64> {
        match self {
            Part::Numerator => c.numerator,
            Part::Denominator => c.denominator,
        }
    }
}

/// How a parent's numerator and denominator follow from its children's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Their sum; where the parent is more than that sum it also counts rows of its own, none of
    /// its children's (a territory the SQL returns as well as its sub-territories), and is known
    /// only to be at least the sum.
    Sum,
    /// The mean of the children that have it (`time_rollup: mean`).
    Mean,
    /// The last child's (`time_rollup: last`: the relation names that child alone).
    Last,
}

/// A relation of one indicator's figures and how it combines.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub relation: Relation,
    pub combine: Combine,
}

/// One count published by two figures (of two indicators): it is one quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharedCount {
    pub a: (usize, Part),
    pub b: (usize, Part),
}

/// A figure as the audit sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuditCell {
    pub counts: CellCounts,
    /// Its indicator protects small counts: its hidden small counts are audited.
    pub protected: bool,
    /// Its numerator is a part of its denominator (a share of people), so never above it.
    pub share: bool,
}

/// Which count of a figure is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Numerator,
    Denominator,
    /// Denominator − numerator: those a percentage does not count.
    Complement,
}

impl Quantity {
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Numerator => "numerator",
            Quantity::Denominator => "denominator",
            Quantity::Complement => "denominator − numerator",
        }
    }
}

/// A hidden small count that the published figures pin down too closely.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    pub cell: usize,
    pub quantity: Quantity,
    /// Its true value.
    pub value: f64,
    /// The feasible interval: the least and the most it can be given what is published.
    pub min: f64,
    pub max: f64,
    /// The published figures whose numbers bound it: hiding one of them widens the interval.
    pub neighbours: Vec<usize>,
}
/// A hidden small count to audit: its figure, which count, its true value.
type Target = (usize, Quantity, f64);

/// Every hidden small count of a protected figure whose feasible interval, given the figures
/// `shown`, is narrower than `protection`. `k` is `privacy.min_cell`: counts from 1 to k−1 are
/// small.
pub fn audit(
    cells: &[AuditCell],
    rollups: &[Rollup],
    shared: &[SharedCount],
    shown: &[bool],
    k: u32,
    protection: f64,
) -> Vec<Exposure> {
    if k == 0 {
        return Vec::new();
    }
    let targets = targets(cells, shown, k);
    if targets.is_empty() {
        return Vec::new();
    }
    let unknown = unknowns(cells, shown);
    let eqs: Vec<Equation> = equations(cells, rollups, shared)
        .into_iter()
        .filter(|e| e.terms.iter().any(|(c, _, _)| !shown[*c]))
        .collect();
    let mut out = Vec::new();
    for group in programme::groups(&unknown, &eqs, targets) {
        let lp = Component {
            cells,
            shown,
            members: &group.members,
            equations: group.equations,
        };
        out.extend(lp.exposures(&group.targets, protection));
    }
    out
}

/// The small counts of the hidden protected figures.
fn targets(cells: &[AuditCell], shown: &[bool], k: u32) -> Vec<Target> {
    (0..cells.len())
        .filter(|&i| !shown[i] && cells[i].protected && is_small(&cells[i].counts, k))
        .flat_map(|i| {
            small_counts(&cells[i], k)
                .into_iter()
                .map(move |(q, v)| (i, q, v))
        })
        .collect()
}

/// The unknowns: each part of each hidden figure, numbered.
fn unknowns(cells: &[AuditCell], shown: &[bool]) -> BTreeMap<(usize, Part), usize> {
    let mut unknown = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        for part in Part::BOTH {
            if !shown[i] && part.of(&c.counts).is_some() {
                let n = unknown.len();
                unknown.insert((i, part), n);
            }
        }
    }
    unknown
}
