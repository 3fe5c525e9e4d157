//! Every figure of the project in one table, with what ties them, and disclosure control over
//! it: primary suppression, then as many complements as the audit asks for.

use std::collections::BTreeMap;

use super::audit::{self, AuditCell, Exposure, Rollup, SharedCount};
use super::disclosure::{self, CellCounts, Relation, Suppression};
use super::ties::{relations, shared_counts};
use crate::config::{Indicator, Project, Unit};
use crate::indicators::output::OutputRow;

/// Every figure of the project in one table, with what ties them: the roll-ups within each
/// indicator and the counts two indicators share. Disclosure control and its audit both work on
/// it, since a reader gets all pages together.
#[derive(Default)]
pub(super) struct Table {
    pub(super) rows: Vec<OutputRow>,
    pub(super) cells: Vec<AuditCell>,
    pub(super) rollups: Vec<Rollup>,
    pub(super) shared: Vec<SharedCount>,
    /// Rows of an indicator no longer defined: hidden, since their rule is unknown.
    undefined: Vec<bool>,
}

impl Table {
    pub(super) fn new(project: &Project, rows: Vec<OutputRow>) -> Table {
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
    pub(super) fn suppress(&self, k: u32, protection: f64) -> Vec<Option<Suppression>> {
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

fn counts(ind: &Indicator, r: &OutputRow) -> CellCounts {
    CellCounts {
        numerator: r.numerator,
        denominator: r.denominator,
        complement_counts: ind.unit == Unit::Percent,
    }
}
