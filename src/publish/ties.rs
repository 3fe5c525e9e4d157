//! What ties the figures a reader gets together: the roll-ups within one indicator and the
//! counts two indicators share.

use std::collections::{BTreeMap, BTreeSet};

use super::audit::{AuditCell, Combine, Part, Rollup, SharedCount};
use super::disclosure::Relation;
use crate::config::{Grain, Indicator, Period, Project, TimeRollup};
use crate::indicators::output::OutputRow;

/// The counts two indicators share, found from the figures themselves: the numerator or
/// denominator of one indicator and that of another, at the same grain, are one count when every
/// figure of one has a figure of the other at the same territory and period with the same value,
/// over at least two non-zero figures. Whatever the SQL of each says, a reader who sees them equal
/// everywhere they are both published takes them for one, so the hidden ones are too.
pub(super) fn shared_counts(rows: &[OutputRow], cells: &[AuditCell]) -> Vec<SharedCount> {
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

/// The additive relations among one indicator's rows: each territory and its children in the same
/// period (when the indicator rolls up territories), and each period and its finer periods in the
/// same territory (sum and mean: all of them; last: the one it equals).
pub(super) fn relations(project: &Project, ind: &Indicator, rows: &[OutputRow]) -> Vec<Rollup> {
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
    use crate::publish::disclosure::CellCounts;

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
