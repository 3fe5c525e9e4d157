//! Roll-ups over time and territory. Numerators and denominators are combined and the value is
//! recomputed afterwards: a region's rate is never the mean of its provinces' rates.

use std::collections::BTreeMap;

use crate::config::{Grain, Period, Territories, TimeRollup};

/// Numerator and denominator of one territory in one period.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pair {
    pub num: Option<f64>,
    pub den: Option<f64>,
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x + y),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Pair {
    fn plus(self, o: Pair) -> Pair {
        Pair {
            num: add(self.num, o.num),
            den: add(self.den, o.den),
        }
    }
}

/// Sums rows that share territory and period (the SQL may return several).
pub fn merge_base(
    rows: impl IntoIterator<Item = (String, Period, Pair)>,
) -> BTreeMap<(String, PeriodOrd), Pair> {
    let mut out: BTreeMap<(String, PeriodOrd), Pair> = BTreeMap::new();
    for (t, p, pair) in rows {
        let e = out.entry((t, PeriodOrd(p))).or_default();
        *e = e.plus(pair);
    }
    out
}

/// A period ordered by start then grain, so maps iterate in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodOrd(pub Period);

impl PartialOrd for PeriodOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PeriodOrd {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .sort_key()
            .cmp(&other.0.sort_key())
            .then_with(|| self.0.last_month().cmp(&other.0.last_month()))
    }
}

/// An indicator's cells: numerator and denominator by territory and period.
pub type Cells = BTreeMap<(String, PeriodOrd), Pair>;

/// How an indicator's rows roll up.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Whether the SQL returns a denominator: then a row needs both sides to enter a sum.
    pub has_denominator: bool,
    pub grain: Grain,
    pub time: TimeRollup,
    /// `territory_rollup: sum`.
    pub territories: bool,
}

/// Every output cell of an indicator from its SQL rows: each leaf rolled over time first, then
/// territories summed, so `last` and `mean` give a region the sum of its leaves' own figures.
/// A row with only one side says "no data" for its own cell and stays out of every sum (listed in
/// the warnings); rows for both a territory and its ancestor in one period are refused.
pub fn roll_up(
    base: Vec<(String, Period, Pair)>,
    rules: &Rules,
    territories: &Territories,
    plan_periods: &[Period],
) -> Result<(Cells, Vec<String>), RollupError> {
    if rules.territories {
        check_no_double_counting(&base, territories)?;
    }
    let (complete, one_sided): (Vec<_>, Vec<_>) = base.into_iter().partition(|(_, _, pair)| {
        !rules.has_denominator || pair.num.is_some() == pair.den.is_some()
    });
    let mut warnings = Vec::new();
    if !one_sided.is_empty() {
        let shown: Vec<String> = one_sided
            .iter()
            .take(10)
            .map(|(t, p, _)| format!("{t} {p}"))
            .collect();
        warnings.push(format!(
            "{} row(s) with only a numerator or only a denominator left out of the roll-ups: {}{}",
            one_sided.len(),
            shown.join(", "),
            if one_sided.len() > 10 { ", ..." } else { "" }
        ));
    }
    let timed = roll_up_time(&merge_base(complete), rules.grain, rules.time, plan_periods);
    let mut all = if rules.territories {
        roll_up_territories(&timed, territories)
    } else {
        timed
    };
    for ((t, p), pair) in merge_base(one_sided) {
        all.entry((t, p)).or_insert(pair);
    }
    Ok((all, warnings))
}

/// Why an indicator's rows cannot be rolled up.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error(
        "the SQL returns rows for both {territory} and its ancestor {ancestor} in {period}: {ancestor} would count {territory} twice. Return leaf territories only, or set territory_rollup: none"
    )]
    CountedTwice {
        territory: String,
        ancestor: String,
        period: String,
    },
}

/// Refuses base rows that hold both a territory and one of its ancestors in the same period: the
/// ancestor would be counted once from its own row and again from its descendant's.
pub fn check_no_double_counting(
    base: &[(String, Period, Pair)],
    territories: &Territories,
) -> Result<(), RollupError> {
    let keys: std::collections::BTreeSet<(&str, String)> = base
        .iter()
        .map(|(t, p, _)| (t.as_str(), p.to_string()))
        .collect();
    for (t, p) in &keys {
        for a in territories.ancestors(t) {
            if keys.contains(&(a.as_str(), p.clone())) {
                return Err(RollupError::CountedTwice {
                    territory: t.to_string(),
                    ancestor: a,
                    period: p.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Adds every ancestor territory, summing its descendants' numerators and denominators.
pub fn roll_up_territories(
    base: &BTreeMap<(String, PeriodOrd), Pair>,
    territories: &Territories,
) -> BTreeMap<(String, PeriodOrd), Pair> {
    let mut out = base.clone();
    for ((t, p), pair) in base {
        for a in territories.ancestors(t) {
            let e = out.entry((a, *p)).or_default();
            *e = e.plus(*pair);
        }
    }
    out
}

/// Combines the periods of one territory into a coarser one, by the indicator's rule.
fn combine(children: &[(PeriodOrd, Pair)], rule: TimeRollup) -> Option<Pair> {
    if children.is_empty() {
        return None;
    }
    match rule {
        TimeRollup::None => None,
        TimeRollup::Sum => Some(
            children
                .iter()
                .fold(Pair::default(), |acc, (_, p)| acc.plus(*p)),
        ),
        TimeRollup::Last => children.iter().max_by_key(|(p, _)| *p).map(|(_, p)| *p),
        TimeRollup::Mean => {
            let mean = |f: &dyn Fn(&Pair) -> Option<f64>| {
                let vals: Vec<f64> = children.iter().filter_map(|(_, p)| f(p)).collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
            };
            Some(Pair {
                num: mean(&|p| p.num),
                den: mean(&|p| p.den),
            })
        }
    }
}

/// Adds the coarser periods (up to the year, then each plan period) to rows at the indicator's grain.
pub fn roll_up_time(
    rows: &BTreeMap<(String, PeriodOrd), Pair>,
    grain: Grain,
    rule: TimeRollup,
    plan_periods: &[Period],
) -> BTreeMap<(String, PeriodOrd), Pair> {
    let mut out = rows.clone();
    if rule == TimeRollup::None {
        return out;
    }
    let mut by_territory: BTreeMap<&str, Vec<(PeriodOrd, Pair)>> = BTreeMap::new();
    for ((t, p), pair) in rows {
        by_territory
            .entry(t.as_str())
            .or_default()
            .push((*p, *pair));
    }
    let mut coarser = Vec::new();
    let mut g = grain.coarser();
    while let Some(c) = g {
        coarser.push(c);
        g = c.coarser();
    }
    for (t, children) in &by_territory {
        for &c in &coarser {
            let mut groups: BTreeMap<PeriodOrd, Vec<(PeriodOrd, Pair)>> = BTreeMap::new();
            for (p, pair) in children {
                if let Some(parent) = p.0.within(c) {
                    groups
                        .entry(PeriodOrd(parent))
                        .or_default()
                        .push((*p, *pair));
                }
            }
            for (parent, kids) in groups {
                if let Some(pair) = combine(&kids, rule) {
                    out.insert((t.to_string(), parent), pair);
                }
            }
        }
        if grain != Grain::Plan {
            for plan in plan_periods {
                let kids: Vec<(PeriodOrd, Pair)> = children
                    .iter()
                    .filter(|(p, _)| p.0.inside(*plan, *plan))
                    .copied()
                    .collect();
                if let Some(pair) = combine(&kids, rule) {
                    out.insert((t.to_string(), PeriodOrd(*plan)), pair);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Territory;

    fn territories() -> Territories {
        let mut t = Territories::default();
        for (code, parent) in [
            ("IT", None),
            ("VEN", Some("IT")),
            ("PD", Some("VEN")),
            ("VI", Some("VEN")),
        ] {
            t.by_code.insert(
                code.into(),
                Territory {
                    code: code.into(),
                    name: code.into(),
                    level: String::new(),
                    parent: parent.map(Into::into),
                },
            );
        }
        t
    }

    fn m(month: u32) -> Period {
        Period::Month { year: 2024, month }
    }

    fn pair(num: f64, den: f64) -> Pair {
        Pair {
            num: Some(num),
            den: Some(den),
        }
    }

    #[test]
    fn region_rate_comes_from_summed_parts() {
        // PD 90/100 and VI 10/50: the region is 100/150, not the mean of 90% and 20%.
        let base = merge_base([
            ("PD".to_string(), m(1), pair(90.0, 100.0)),
            ("VI".to_string(), m(1), pair(10.0, 50.0)),
        ]);
        let all = roll_up_territories(&base, &territories());
        assert_eq!(
            all[&("VEN".to_string(), PeriodOrd(m(1)))],
            pair(100.0, 150.0)
        );
        assert_eq!(
            all[&("IT".to_string(), PeriodOrd(m(1)))],
            pair(100.0, 150.0)
        );
    }

    #[test]
    fn months_roll_into_quarter_year_and_plan() {
        let base = merge_base((1..=12).map(|i| ("PD".to_string(), m(i), pair(i as f64, 10.0))));
        let plan = Period::Plan {
            from: 2023,
            to: 2025,
        };
        let sum = roll_up_time(&base, Grain::Month, TimeRollup::Sum, &[plan]);
        assert_eq!(
            sum[&(
                "PD".into(),
                PeriodOrd(Period::Quarter {
                    year: 2024,
                    quarter: 2
                })
            )],
            pair(15.0, 30.0)
        );
        assert_eq!(
            sum[&("PD".into(), PeriodOrd(Period::Year(2024)))],
            pair(78.0, 120.0)
        );
        assert_eq!(sum[&("PD".into(), PeriodOrd(plan))], pair(78.0, 120.0));
        let last = roll_up_time(&base, Grain::Month, TimeRollup::Last, &[]);
        assert_eq!(
            last[&("PD".into(), PeriodOrd(Period::Year(2024)))],
            pair(12.0, 10.0)
        );
        let mean = roll_up_time(&base, Grain::Month, TimeRollup::Mean, &[]);
        assert_eq!(
            mean[&("PD".into(), PeriodOrd(Period::Year(2024)))],
            pair(6.5, 10.0)
        );
        let none = roll_up_time(&base, Grain::Month, TimeRollup::None, &[plan]);
        assert_eq!(none.len(), 12);
    }

    #[test]
    fn plan_periods_need_data_inside_them() {
        let base = merge_base([(
            "PD".to_string(),
            Period::Year(2024),
            Pair {
                num: Some(3.0),
                den: None,
            },
        )]);
        let plan = Period::Plan {
            from: 2025,
            to: 2027,
        };
        let out = roll_up_time(&base, Grain::Year, TimeRollup::Sum, &[plan]);
        assert_eq!(out.len(), 1);
    }

    /// IT → VEN → PD → {F1, F2}, VEN → VI → F3: four levels.
    fn four_levels() -> Territories {
        let mut t = territories();
        for (code, parent) in [("F1", "PD"), ("F2", "PD"), ("F3", "VI")] {
            t.by_code.insert(
                code.into(),
                Territory {
                    code: code.into(),
                    name: code.into(),
                    level: String::new(),
                    parent: Some(parent.into()),
                },
            );
        }
        t
    }

    fn rules(time: TimeRollup) -> Rules {
        Rules {
            has_denominator: true,
            grain: Grain::Month,
            time,
            territories: true,
        }
    }

    fn cell(all: &BTreeMap<(String, PeriodOrd), Pair>, t: &str, p: Period) -> Pair {
        all[&(t.to_string(), PeriodOrd(p))]
    }

    #[test]
    fn a_row_with_one_side_stays_out_of_every_sum() {
        // F2 reports a cost for January but no guest-days: PD's January is F1's alone.
        let base = vec![
            ("F1".to_string(), m(1), pair(3290.0, 100.0)),
            (
                "F2".to_string(),
                m(1),
                Pair {
                    num: Some(1500.0),
                    den: None,
                },
            ),
            ("F3".to_string(), m(1), pair(660.0, 20.0)),
        ];
        let (all, warnings) = roll_up(base, &rules(TimeRollup::Sum), &four_levels(), &[]).unwrap();
        assert_eq!(cell(&all, "PD", m(1)), pair(3290.0, 100.0));
        assert_eq!(cell(&all, "VEN", m(1)), pair(3950.0, 120.0));
        assert_eq!(cell(&all, "IT", Period::Year(2024)), pair(3950.0, 120.0));
        // Its own cell says what it has; its year is not made from one side.
        assert_eq!(cell(&all, "F2", m(1)).den, None);
        assert!(!all.contains_key(&("F2".to_string(), PeriodOrd(Period::Year(2024)))));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("F2 2024-01"), "{warnings:?}");
    }

    #[test]
    fn last_and_mean_roll_each_leaf_over_time_before_summing_territories() {
        // F1 reports every month (guests = month number, places 10); F3 only January to June
        // (guests 100 + month, places 200). Hand-computed:
        //   last: VEN's 2024 = F1's December (12/10) + F3's June (106/200) = 118/210,
        //         where summing territories first would give December's 12/10 alone.
        //   mean: VEN's 2024 = mean(F1) 6.5/10 + mean(F3) 103.5/200 = 110/210.
        let mut base = Vec::new();
        for month in 1..=12 {
            base.push(("F1".to_string(), m(month), pair(month as f64, 10.0)));
            if month <= 6 {
                base.push((
                    "F3".to_string(),
                    m(month),
                    pair(100.0 + month as f64, 200.0),
                ));
            }
        }
        let year = Period::Year(2024);
        let (last, _) =
            roll_up(base.clone(), &rules(TimeRollup::Last), &four_levels(), &[]).unwrap();
        assert_eq!(cell(&last, "VEN", year), pair(118.0, 210.0));
        assert_eq!(cell(&last, "IT", year), pair(118.0, 210.0));
        assert_eq!(
            cell(
                &last,
                "VEN",
                Period::Quarter {
                    year: 2024,
                    quarter: 2
                }
            ),
            pair(6.0 + 106.0, 210.0)
        );
        let (mean, _) = roll_up(base, &rules(TimeRollup::Mean), &four_levels(), &[]).unwrap();
        assert_eq!(cell(&mean, "VEN", year), pair(110.0, 210.0));
        assert_eq!(cell(&mean, "PD", year), pair(6.5, 10.0));
    }

    #[test]
    fn rows_for_a_territory_and_its_ancestor_are_refused() {
        let base = vec![
            ("F1".to_string(), m(1), pair(1.0, 2.0)),
            ("PD".to_string(), m(1), pair(5.0, 9.0)),
        ];
        let err = roll_up(base.clone(), &rules(TimeRollup::Sum), &four_levels(), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the SQL returns rows for both F1 and its ancestor PD in 2024-01: PD would count F1 twice. Return leaf territories only, or set territory_rollup: none"
        );
        // Without a territory roll-up, nothing is summed and nothing is counted twice.
        let mut no_rollup = rules(TimeRollup::Sum);
        no_rollup.territories = false;
        assert!(roll_up(base, &no_rollup, &four_levels(), &[]).is_ok());
        // Different periods do not overlap either.
        let base = vec![
            ("F1".to_string(), m(1), pair(1.0, 2.0)),
            ("PD".to_string(), m(2), pair(5.0, 9.0)),
        ];
        assert!(roll_up(base, &rules(TimeRollup::Sum), &four_levels(), &[]).is_ok());
    }

    proptest::proptest! {
        /// Random hierarchies and random pairs on their leaves: every parent's numerator and
        /// denominator, in every month and year, is the sum over the leaves below it.
        #[test]
        fn every_parent_is_the_sum_of_its_leaves(
            parents in proptest::collection::vec(0usize..100, 1..12),
            cells in proptest::collection::vec((0usize..100, 1u32..13, 0u32..500, 1u32..500, proptest::bool::weighted(0.1)), 1..60),
        ) {
            let mut t = Territories::default();
            let mut codes = vec!["R".to_string()];
            t.by_code.insert("R".into(), Territory { code: "R".into(), name: "R".into(), level: String::new(), parent: None });
            for (i, p) in parents.iter().enumerate() {
                let code = format!("T{i}");
                let parent = codes[p % codes.len()].clone();
                t.by_code.insert(code.clone(), Territory { code: code.clone(), name: code.clone(), level: String::new(), parent: Some(parent) });
                codes.push(code);
            }
            let leaves: Vec<&String> = codes.iter().filter(|c| t.children_of(c).is_empty()).collect();
            let base: Vec<(String, Period, Pair)> = cells
                .iter()
                .map(|(leaf, month, n, d, one_sided)| {
                    let den = if *one_sided { None } else { Some(f64::from(*d)) };
                    (leaves[leaf % leaves.len()].clone(), m(*month), Pair { num: Some(f64::from(*n)), den })
                })
                .collect();
            let (all, _) = roll_up(base.clone(), &rules(TimeRollup::Sum), &t, &[]).unwrap();
            for code in &codes {
                for period in (1..=12).map(m).chain([Period::Year(2024)]) {
                    let mut num = 0.0;
                    let mut den = 0.0;
                    let mut any = false;
                    for (leaf, p, pair) in &base {
                        let below = leaf == code || t.ancestors(leaf).contains(code);
                        let inside = p.inside(period, period);
                        if below && inside && pair.den.is_some() {
                            num += pair.num.unwrap_or(0.0);
                            den += pair.den.unwrap_or(0.0);
                            any = true;
                        }
                    }
                    if any {
                        let got = all[&(code.clone(), PeriodOrd(period))];
                        proptest::prop_assert_eq!(got, pair(num, den), "{} {}", code, period);
                    }
                }
            }
        }
    }
}
