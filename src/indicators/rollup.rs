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

/// Key of an output cell: territory code and period. Periods order by start, then grain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub territory: String,
    pub period: (i32, u32, Grain),
    pub label: String,
}

impl Key {
    pub fn new(territory: &str, period: Period) -> Key {
        Key {
            territory: territory.to_string(),
            period: period.sort_key(),
            label: period.to_string(),
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
}
