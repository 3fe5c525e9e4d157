//! The published figures, indexed for the lookups charts make; and `Seen`, what one page or chart read
//! of them, so its data files list exactly what it shows.

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::config::{Grain, Period};
use crate::publish::{PublishedFigure, PublishedFigures};

/// The published figures, indexed for the lookups charts make.
pub struct Figures {
    pub(super) published: PublishedFigures,
}

type Key = (String, String, String);

impl Figures {
    pub fn new(published: PublishedFigures) -> Figures {
        Figures { published }
    }

    /// The published figure of `indicator` for `territory` in `period`, if any.
    pub fn get(&self, indicator: &str, territory: &str, period: &str) -> Option<&PublishedFigure> {
        self.published.get(indicator, territory, period)
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

/// What one page or chart read of the figures: each drawing reads through its own `Seen`, and
/// its data files are written from it, so no drawing sees another's reads.
pub struct Seen<'a> {
    figures: &'a Figures,
    asked: RefCell<Vec<Key>>,
}

impl<'a> Seen<'a> {
    pub fn new(figures: &'a Figures) -> Seen<'a> {
        Seen {
            figures,
            asked: RefCell::new(Vec::new()),
        }
    }

    /// The published figure, as `Figures::get`, remembered as read when there is one.
    pub fn get(
        &self,
        indicator: &str,
        territory: &str,
        period: &str,
    ) -> Option<&'a PublishedFigure> {
        let f = self.figures.get(indicator, territory, period)?;
        self.asked.borrow_mut().push((
            indicator.to_string(),
            territory.to_string(),
            period.to_string(),
        ));
        Some(f)
    }

    /// Counts what `other` read as read here too: a page shows what its charts show.
    pub fn include(&self, other: &Seen) {
        self.asked
            .borrow_mut()
            .extend(other.asked.borrow().iter().cloned());
    }

    /// The figures read, each once, in the order first read.
    pub fn in_order(&self) -> Vec<&'a PublishedFigure> {
        let mut once = BTreeSet::new();
        self.asked
            .borrow()
            .iter()
            .filter(|k| once.insert(*k))
            .filter_map(|(i, t, p)| self.figures.get(i, t, p))
            .collect()
    }

    /// The figures read, each once, in indicator, territory and period order.
    pub fn sorted(&self) -> Vec<&'a PublishedFigure> {
        let keys: BTreeSet<Key> = self.asked.borrow().iter().cloned().collect();
        keys.iter()
            .filter_map(|(i, t, p)| self.figures.get(i, t, p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(indicator: &str, territory: &str, period: &str) -> PublishedFigure {
        PublishedFigure {
            indicator: indicator.into(),
            territory: territory.into(),
            territory_level: "comune".into(),
            period: period.into(),
            grain: "month".into(),
            numerator: None,
            denominator: None,
            value: Some(1.0),
            target: None,
            achievement: None,
            status: String::new(),
            suppression: None,
            provisional: false,
        }
    }

    fn figures() -> Figures {
        let mut published = PublishedFigures::default();
        for (i, t, p) in [
            ("a", "x", "2025-01"),
            ("a", "y", "2025-01"),
            ("b", "x", "2025-02"),
        ] {
            published
                .by_key
                .insert((i.into(), t.into(), p.into()), figure(i, t, p));
        }
        Figures::new(published)
    }

    fn keys(v: &[&PublishedFigure]) -> Vec<String> {
        v.iter()
            .map(|f| format!("{}/{}/{}", f.indicator, f.territory, f.period))
            .collect()
    }

    #[test]
    fn each_drawing_lists_only_what_it_read_and_a_page_what_its_charts_read() {
        let figures = figures();
        let page = Seen::new(&figures);
        let first = Seen::new(&figures);
        first.get("b", "x", "2025-02");
        first.get("a", "x", "2025-01");
        first.get("b", "x", "2025-02");
        // A lookup that finds nothing is not a figure shown.
        first.get("a", "z", "2025-01");
        let second = Seen::new(&figures);
        second.get("a", "y", "2025-01");
        assert_eq!(keys(&first.in_order()), ["b/x/2025-02", "a/x/2025-01"]);
        assert_eq!(keys(&second.in_order()), ["a/y/2025-01"]);
        // A plain lookup is remembered nowhere.
        assert!(figures.get("a", "x", "2025-01").is_some());
        assert!(page.sorted().is_empty());
        page.include(&first);
        page.include(&second);
        assert_eq!(
            keys(&page.sorted()),
            ["a/x/2025-01", "a/y/2025-01", "b/x/2025-02"]
        );
    }
}
