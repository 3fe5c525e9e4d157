//! The built-in delivery indicators, as DHIS2's reporting rates: `_completeness` (periods received
//! over periods expected) and `_timeliness` (periods received within cadence and grace over periods
//! received since the source is observed), per source territory and period, rolled up like any
//! other percentage.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::rollup::{self, Pair};
use crate::config::{Builtin, Cadence, Grain, Period, Project, TimeRollup};

/// What the warehouse knows of one source's deliveries.
#[derive(Debug, Clone)]
pub struct Deliveries {
    pub source: String,
    pub territory: String,
    pub cadence: Cadence,
    pub grace_days: i64,
    /// Period label → when its rows were first received.
    pub periods_seen: BTreeMap<String, String>,
    /// The first period due (`expected: { since }`); else the first period received.
    pub since: Option<Period>,
}

/// What the manifests record of the deliveries of each source with a cadence and a territory.
pub fn of_sources(
    project: &Project,
    manifests: &[Option<crate::warehouse::manifest::SourceManifest>],
) -> Vec<Deliveries> {
    project
        .sources
        .iter()
        .zip(manifests)
        .filter_map(|(s, m)| {
            let (Some(cadence), Some(territory)) = (s.expected, &s.territory) else {
                return None;
            };
            Some(Deliveries {
                source: s.name.clone(),
                territory: territory.clone(),
                cadence,
                grace_days: s.grace_days,
                periods_seen: m
                    .as_ref()
                    .map(|m| m.periods_seen.clone())
                    .unwrap_or_default(),
                // The delivery period holding the first day of the declared start.
                since: s.since.and_then(|p| {
                    let (year, month) = p.first_month();
                    Period::containing(NaiveDate::from_ymd_opt(year, month, 1)?, cadence.grain())
                }),
            })
        })
        .collect()
}

/// The month a delivery period is counted in: its last month, so a quarter counts once.
fn month_of(p: Period) -> Period {
    let (year, month) = p.last_month();
    Period::Month { year, month }
}

/// The base rows (source territory, month, received or on time over expected) of a built-in.
pub fn base_rows(
    which: Builtin,
    deliveries: &[Deliveries],
    today: NaiveDate,
) -> Vec<(String, Period, Pair)> {
    let mut out = Vec::new();
    for d in deliveries {
        let seen: std::collections::HashMap<Period, Option<NaiveDate>> = d
            .periods_seen
            .iter()
            .filter_map(|(p, at)| {
                let when = DateTime::parse_from_rfc3339(at)
                    .ok()
                    .map(|t| t.with_timezone(&Utc).date_naive());
                Period::parse(p).map(|p| (p, when))
            })
            .filter(|(p, _)| p.grain() == d.cadence.grain())
            .collect();
        // Due from the declared start, received or not; else from the first period received.
        let Some(first) = d
            .since
            .or_else(|| seen.keys().min_by_key(|p| p.sort_key()).copied())
        else {
            continue;
        };
        // Deliveries due before the source was first ingested cannot be judged on time or late.
        let observed_since = seen.values().flatten().min().copied();
        let mut p = Some(first);
        while let Some(period) = p {
            let Some(due_by) = period.due_by(d.grace_days) else {
                break;
            };
            let received = seen.get(&period);
            if due_by >= today && received.is_none() {
                break;
            }
            let pair = |num: bool| Pair {
                num: Some(if num { 1.0 } else { 0.0 }),
                den: Some(1.0),
            };
            match which {
                Builtin::Completeness => {
                    out.push((
                        d.territory.clone(),
                        month_of(period),
                        pair(received.is_some()),
                    ));
                }
                Builtin::Timeliness => {
                    let judged = observed_since.is_some_and(|since| due_by >= since);
                    if let (Some(at), true) = (received, judged) {
                        let on_time = at.is_some_and(|at| at <= due_by);
                        out.push((d.territory.clone(), month_of(period), pair(on_time)));
                    }
                }
            }
            p = period.next();
        }
    }
    out
}

/// The built-in's cells, rolled up like a percentage of summed counts.
pub fn cells(
    project: &Project,
    which: Builtin,
    deliveries: &[Deliveries],
    today: NaiveDate,
) -> Result<rollup::Cells, rollup::RollupError> {
    let rules = rollup::Rules {
        has_denominator: true,
        grain: Grain::Month,
        time: TimeRollup::Sum,
        territories: true,
    };
    rollup::roll_up(
        base_rows(which, deliveries, today),
        &rules,
        &project.territories,
        &project.settings.plan_periods,
    )
    .map(|(cells, _)| cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_start_makes_months_before_the_first_delivery_missing() {
        // Expected monthly since January 2024; the first file (covering April) came in May.
        let mut d = monthly(&[("2024-04", "2024-05-05")]);
        d.since = Some(Period::Month {
            year: 2024,
            month: 1,
        });
        let got: Vec<(String, f64)> = base_rows(Builtin::Completeness, &[d], day(2024, 6, 5))
            .iter()
            .map(|(_, p, pair)| (p.to_string(), pair.num.unwrap_or(-1.0)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-01".into(), 0.0),
                ("2024-02".into(), 0.0),
                ("2024-03".into(), 0.0),
                ("2024-04".into(), 1.0)
            ]
        );
    }

    fn monthly(seen: &[(&str, &str)]) -> Deliveries {
        Deliveries {
            source: "s".into(),
            territory: "PD".into(),
            cadence: Cadence::Monthly,
            grace_days: 10,
            periods_seen: seen
                .iter()
                .map(|(p, at)| (p.to_string(), format!("{at}T08:00:00+00:00")))
                .collect(),
            since: None,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn months_expected_received_and_on_time() {
        // Observed since 5 February 2024: January arrived then (on time: due 10 February),
        // February on 5 March (on time), March never, April on 20 May (late: due 10 May).
        let d = monthly(&[
            ("2024-01", "2024-02-05"),
            ("2024-02", "2024-03-05"),
            ("2024-04", "2024-05-20"),
        ]);
        let complete = base_rows(
            Builtin::Completeness,
            std::slice::from_ref(&d),
            day(2024, 6, 5),
        );
        let got: Vec<(String, f64)> = complete
            .iter()
            .map(|(_, p, pair)| (p.to_string(), pair.num.unwrap_or(-1.0)))
            .collect();
        // May is not yet due on 5 June (due 10 June).
        assert_eq!(
            got,
            vec![
                ("2024-01".into(), 1.0),
                ("2024-02".into(), 1.0),
                ("2024-03".into(), 0.0),
                ("2024-04".into(), 1.0)
            ]
        );
        let timely = base_rows(Builtin::Timeliness, &[d], day(2024, 6, 5));
        let got: Vec<(String, f64)> = timely
            .iter()
            .map(|(_, p, pair)| (p.to_string(), pair.num.unwrap_or(-1.0)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-01".into(), 1.0),
                ("2024-02".into(), 1.0),
                ("2024-04".into(), 0.0)
            ]
        );
    }
}
