//! The published figures, indexed for the lookups charts make, remembering what each page and chart asked for.

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::config::{Grain, Period};
use crate::publish::{PublishedFigure, PublishedFigures};

/// The published figures, indexed for the lookups charts make. Every figure a chart or table asks
/// for is remembered, so the page's `data.csv` lists exactly what the page shows.
pub struct Figures {
    pub(super) published: PublishedFigures,
    shown: RefCell<BTreeSet<(String, String, String)>>,
    /// What the chart being drawn asked for, in order.
    in_chart: RefCell<Vec<(String, String, String)>>,
}

impl Figures {
    pub fn new(published: PublishedFigures) -> Figures {
        Figures {
            published,
            shown: RefCell::new(BTreeSet::new()),
            in_chart: RefCell::new(Vec::new()),
        }
    }

    pub fn get(&self, indicator: &str, territory: &str, period: &str) -> Option<&PublishedFigure> {
        let f = self.published.get(indicator, territory, period)?;
        let key = (
            indicator.to_string(),
            territory.to_string(),
            period.to_string(),
        );
        self.in_chart.borrow_mut().push(key.clone());
        self.shown.borrow_mut().insert(key);
        Some(f)
    }

    /// The figures the current chart asked for since the last call, each once, in the order asked.
    pub fn take_chart(&self) -> Vec<&PublishedFigure> {
        let keys = std::mem::take(&mut *self.in_chart.borrow_mut());
        let mut seen = BTreeSet::new();
        keys.into_iter()
            .filter(|k| seen.insert(k.clone()))
            .filter_map(|(i, t, p)| self.published.get(&i, &t, &p))
            .collect()
    }

    /// The figures asked for since the last call, in indicator, territory and period order.
    pub fn take_shown(&self) -> Vec<&PublishedFigure> {
        let keys = std::mem::take(&mut *self.shown.borrow_mut());
        keys.iter()
            .filter_map(|(i, t, p)| self.published.get(i, t, p))
            .collect()
    }

    /// The periods of `grain` the indicator has figures for, in time order, within `range`.
    pub fn periods(
        &self,
        indicator: &str,
        grain: Grain,
        range: Option<(Period, Period)>,
    ) -> Vec<Period> {
        self.periods_where(indicator, grain, range, |_| true)
    }

    /// Like `periods`, keeping those whose figures pass `keep`. A plan period counts when it
    /// overlaps the range: a three-year plan rarely fits inside a report's months.
    pub(super) fn periods_where(
        &self,
        indicator: &str,
        grain: Grain,
        range: Option<(Period, Period)>,
        keep: impl Fn(&PublishedFigure) -> bool,
    ) -> Vec<Period> {
        let in_range = |p: &Period| match (range, p) {
            (None, _) => true,
            (Some((from, to)), Period::Plan { .. }) => {
                p.first_month() <= to.last_month() && p.last_month() >= from.first_month()
            }
            (Some((from, to)), _) => p.inside(from, to),
        };
        let set: BTreeSet<(i32, u32, Grain, String)> = self
            .published
            .by_key
            .values()
            .filter(|r| r.indicator == indicator && r.grain == grain.as_str() && keep(r))
            .filter_map(|r| Period::parse(&r.period))
            .filter(in_range)
            .map(|p| {
                let (y, m, g) = p.sort_key();
                (y, m, g, p.to_string())
            })
            .collect();
        set.into_iter()
            .filter_map(|(_, _, _, s)| Period::parse(&s))
            .collect()
    }
}
