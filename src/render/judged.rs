//! The one period a page judges. The summary, the tiles, the status tables, the target and bar
//! charts and the largest changes all read their figures at it and compare them with the period
//! before it, so no two parts of a page can disagree about where an indicator stands.
//!
//! The period is the one the page's kpi, table or target charts name (the first that names one),
//! else the latest period with data at the finest grain the page's indicators have. Plan
//! indicators, which only have plan periods, are judged at the page's plan period (named the same
//! way). An indicator coarser than the page's period is judged at the period of its own grain that
//! contains it (a yearly indicator on a page judging October: the year so far). A period with
//! data for only some of its months says which (`2026 (gen–ott)`), and a sum over a part of a
//! period is not compared with a whole one.

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, format};
use crate::config::{Chart, Dashboard, Grain, Indicator, Locale, Period, TimeRollup};
use crate::publish::PublishedFigure;

/// A (year, month).
type Month = (i32, u32);

/// The periods a page judges, and the months each of its indicators has data for.
pub struct Judged {
    /// The calendar period (month, quarter or year) the page judges.
    pub period: Option<Period>,
    /// The plan period the page's plan indicators are judged at.
    pub plan: Option<Period>,
    /// Per indicator of the page, the months it has figures for (shown or suppressed).
    months: BTreeMap<String, BTreeSet<Month>>,
    /// The months any of the page's indicators has figures for.
    page_months: BTreeSet<Month>,
}

/// A figure that says something: a value, or one hidden to protect people.
fn has_data(f: &PublishedFigure) -> bool {
    f.value.is_some() || f.suppressed()
}

/// The first period the page's judging charts (kpi, table, target) name, of plan grain or not.
fn named_period(d: &Dashboard, plan: bool) -> Option<Period> {
    d.sections
        .iter()
        .flat_map(|s| &s.charts)
        .filter_map(|c| match c {
            Chart::Kpi { period, .. }
            | Chart::Table { period, .. }
            | Chart::Target { period, .. } => *period,
            _ => None,
        })
        .find(|p| (p.grain() == Grain::Plan) == plan)
}

impl Judged {
    /// The periods `d` judges, from its charts and the published figures.
    pub fn of(ctx: &Ctx, d: &Dashboard) -> Judged {
        let ids: BTreeSet<&str> = d
            .sections
            .iter()
            .flat_map(|s| &s.charts)
            .flat_map(|c| c.indicators())
            .collect();
        let inds: Vec<&Indicator> = ids.iter().filter_map(|id| ctx.indicator(id)).collect();
        let mut months: BTreeMap<String, BTreeSet<Month>> = BTreeMap::new();
        for f in ctx.figures.published.by_key.values() {
            if f.grain == Grain::Month.as_str()
                && has_data(f)
                && ids.contains(f.indicator.as_str())
                && let Some(p) = Period::parse(&f.period)
            {
                months
                    .entry(f.indicator.clone())
                    .or_default()
                    .insert(p.first_month());
            }
        }
        // Built-in figures (deliveries) follow the calendar, not the data: they do not choose it.
        let from_data: Vec<&Indicator> = inds
            .iter()
            .copied()
            .filter(|i| i.builtin.is_none())
            .collect();
        let choosers = if from_data.is_empty() {
            &inds
        } else {
            &from_data
        };
        let page_months = from_data
            .iter()
            .filter_map(|i| months.get(&i.id))
            .flatten()
            .copied()
            .collect();
        let calendar: Vec<&&Indicator> =
            choosers.iter().filter(|i| i.grain != Grain::Plan).collect();
        let period = named_period(d, false).or_else(|| {
            let grain = calendar.iter().map(|i| i.grain).min()?;
            latest(ctx, calendar.iter().map(|i| i.id.as_str()), grain, d.period)
        });
        let plan = named_period(d, true).or_else(|| {
            let plans = choosers.iter().filter(|i| i.grain == Grain::Plan);
            latest(ctx, plans.map(|i| i.id.as_str()), Grain::Plan, d.period)
        });
        Judged {
            period,
            plan,
            months,
            page_months,
        }
    }

    /// The period `ind` is judged at on this page.
    pub fn period_for(&self, ind: &Indicator) -> Option<Period> {
        if ind.grain == Grain::Plan {
            return self.plan;
        }
        let p = self.period?;
        if ind.grain <= p.grain() {
            Some(p)
        } else {
            p.within(ind.grain)
        }
    }

    /// The period a chart shows `ind` at: the chart's own when it names one, else the page's.
    pub fn at(&self, ind: &Indicator, named: Option<Period>) -> Option<Period> {
        named.or_else(|| self.period_for(ind))
    }

    /// The first and last month `ind` has data for in `p`, when that is not the whole of `p`.
    fn partial(&self, ind: Option<&Indicator>, p: Period) -> Option<(Month, Month)> {
        if matches!(p.grain(), Grain::Month | Grain::Plan) {
            return None;
        }
        let own = ind.and_then(|i| self.months.get(&i.id));
        // An indicator without monthly figures (a quarterly or yearly one) goes by the page's months.
        let months = own.filter(|m| !m.is_empty()).unwrap_or(&self.page_months);
        let (from, to) = (p.first_month(), p.last_month());
        let mut inside = months.range(from..=to);
        let first = *inside.next()?;
        let last = inside.next_back().copied().unwrap_or(first);
        (first != from || last != to).then_some((first, last))
    }

    /// `p` as the page labels it for `ind`: `ott 2026`, `2026 (gen–ott)`, `T4 2026 (ott)`.
    pub fn label(&self, ind: Option<&Indicator>, p: Period, locale: Locale) -> String {
        let base = format::period(&p.to_string(), locale);
        match self.partial(ind, p) {
            Some((first, last)) => format!("{base} ({})", format::month_span(first, last, locale)),
            None => base,
        }
    }

    /// Whether `ind` at `p` may be compared with `before`: a total over part of a period is not
    /// compared with a total over a whole one (ten months of accesses against twelve). A rate
    /// (a figure with a denominator) compares whatever the months.
    pub fn comparable(&self, ind: &Indicator, rate: bool, p: Period, before: Period) -> bool {
        rate || ind.time_rollup != TimeRollup::Sum
            || (self.partial(Some(ind), p).is_none() && self.partial(Some(ind), before).is_none())
    }

    /// The page's heading: `Situazione a ottobre 2026`, `Situation in 2026 (Jan–Oct)`, with the
    /// plan period when the page judges plan indicators too.
    pub fn heading(&self, locale: Locale) -> Option<String> {
        let calendar = self.period.map(|p| {
            let words = match p {
                Period::Month { .. } => super::changes::period_words(&p.to_string(), locale),
                _ => self.label(None, p, locale),
            };
            match (locale, p.grain()) {
                (Locale::It, Grain::Month) => format!("Situazione a {words}"),
                (Locale::It, _) => format!("Situazione al {words}"),
                (Locale::En, Grain::Month) => format!("Situation at {words}"),
                (Locale::En, _) => format!("Situation in {words}"),
            }
        });
        let plan = self.plan.map(|p| {
            let words = format::period(&p.to_string(), locale);
            match locale {
                Locale::It => format!("Piano {words}"),
                Locale::En => format!("Plan {words}"),
            }
        });
        match (calendar, plan) {
            (Some(c), Some(p)) => Some(format!("{c} · {p}")),
            (Some(c), None) => Some(c),
            (None, Some(p)) => Some(match locale {
                Locale::It => format!("Situazione del {}", lowercase_first(&p)),
                Locale::En => format!("Situation of the {}", lowercase_first(&p)),
            }),
            (None, None) => None,
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The latest period of `grain` with data of any of `ids` within `range`.
fn latest<'a>(
    ctx: &Ctx,
    ids: impl Iterator<Item = &'a str>,
    grain: Grain,
    range: Option<(Period, Period)>,
) -> Option<Period> {
    ids.filter_map(|id| {
        ctx.figures
            .periods_where(id, grain, range, has_data)
            .last()
            .copied()
    })
    .max_by_key(|p| p.sort_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(period: Option<Period>, plan: Option<Period>, months: &[Month]) -> Judged {
        Judged {
            period,
            plan,
            months: BTreeMap::new(),
            page_months: months.iter().copied().collect(),
        }
    }

    fn p(s: &str) -> Period {
        Period::parse(s).expect("a period")
    }

    #[test]
    fn a_period_with_data_for_part_of_it_says_which_months() {
        let months: Vec<Month> = (1..=10).map(|m| (2026, m)).collect();
        let j = judged(Some(p("2026-10")), None, &months);
        assert_eq!(j.label(None, p("2026"), Locale::It), "2026 (gen–ott)");
        assert_eq!(j.label(None, p("2026"), Locale::En), "2026 (Jan–Oct)");
        assert_eq!(j.label(None, p("2026-Q4"), Locale::It), "T4 2026 (ott)");
        assert_eq!(j.label(None, p("2026-Q3"), Locale::It), "T3 2026");
        assert_eq!(j.label(None, p("2026-10"), Locale::It), "ott 2026");
        // A period without any data is not called partial: it has no data at all.
        assert_eq!(j.label(None, p("2027"), Locale::It), "2027");
    }

    #[test]
    fn the_heading_names_the_period_judged() {
        let months: Vec<Month> = (1..=10).map(|m| (2026, m)).collect();
        let month = judged(Some(p("2026-10")), None, &months);
        assert_eq!(
            month.heading(Locale::It).as_deref(),
            Some("Situazione a ottobre 2026")
        );
        assert_eq!(
            month.heading(Locale::En).as_deref(),
            Some("Situation at October 2026")
        );
        let year = judged(Some(p("2026")), Some(p("2024-2026")), &months);
        assert_eq!(
            year.heading(Locale::It).as_deref(),
            Some("Situazione al 2026 (gen–ott) · Piano 2024–2026")
        );
        let plan = judged(None, Some(p("2021-2023")), &[]);
        assert_eq!(
            plan.heading(Locale::It).as_deref(),
            Some("Situazione del piano 2021–2023")
        );
        assert_eq!(judged(None, None, &[]).heading(Locale::It), None);
    }
}
