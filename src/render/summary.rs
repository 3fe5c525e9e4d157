//! The page's opening summary: per territory, how many indicators are achieved, on track, off
//! track or without data; the figures that moved most since the previous period; and the "big
//! value" tiles of `kpi` charts. Built from published figures only, so a suppressed figure tells
//! neither its status nor its change.

use std::collections::BTreeMap;

use serde::Serialize;

use super::judged::Judged;
use super::{Ctx, format, labels};
use crate::config::{Direction, Indicator, Period, Unit};
use crate::indicators::targets::Status;
use crate::publish::PublishedFigure;

/// One territory's line of the summary.
#[derive(Serialize, Default, Debug, PartialEq, Eq)]
pub struct GlanceRow {
    territory: String,
    achieved: usize,
    on_track: usize,
    off_track: usize,
    no_data: usize,
    no_target: usize,
    hidden: usize,
}

/// A figure that moved since the previous period.
#[derive(Serialize, Debug)]
pub struct Mover {
    indicator: String,
    territory: String,
    period: String,
    previous_period: String,
    previous: String,
    value: String,
    change: String,
    arrow: &'static str,
    /// `better`, `worse` or `steady`, given the indicator's direction.
    class: &'static str,
    word: &'static str,
    #[serde(skip)]
    size: f64,
}

/// The summary of a page.
#[derive(Serialize, Debug)]
pub struct Glance {
    rows: Vec<GlanceRow>,
    movers: Vec<Mover>,
    any_hidden: bool,
    any_no_target: bool,
}

/// A figure the summary judges: an indicator in a territory, at the period its page judges.
pub struct Pair<'a> {
    /// The indicator's id.
    pub indicator: String,
    /// The territory's code.
    pub territory: String,
    /// The periods of the page that shows it.
    pub judged: &'a Judged,
}

/// How many movers the summary lists.
const MOVERS: usize = 5;

/// The figure's status as the page may tell it: None when suppressed.
fn status_of(f: Option<&PublishedFigure>) -> Option<Status> {
    match f {
        None => Some(Status::NoData),
        Some(f) if f.suppressed() => None,
        Some(f) if f.value.is_none() => Some(Status::NoData),
        Some(f) => Some(Status::parse(&f.status)),
    }
}

/// The summary over `pairs`, territories in first-seen order.
pub fn glance(ctx: &Ctx, pairs: &[Pair]) -> Glance {
    let mut order: Vec<String> = Vec::new();
    let mut rows: BTreeMap<String, GlanceRow> = BTreeMap::new();
    let mut movers = Vec::new();
    for Pair {
        indicator: id,
        territory: t,
        judged,
    } in pairs
    {
        let Some(ind) = ctx.project.indicator(id) else {
            continue;
        };
        if !order.contains(t) {
            order.push(t.clone());
        }
        let row = rows.entry(t.clone()).or_insert_with(|| GlanceRow {
            territory: ctx.project.territories.name_of(t),
            ..GlanceRow::default()
        });
        let period = judged.period_for(ind);
        let fig = period.and_then(|p| ctx.seen.get(id, t, &p.to_string()));
        match status_of(fig) {
            None => row.hidden += 1,
            Some(Status::Achieved) => row.achieved += 1,
            Some(Status::OnTrack) => row.on_track += 1,
            Some(Status::OffTrack) => row.off_track += 1,
            // A provisional figure is not judged yet: it counts with those without a target.
            Some(Status::NoTarget | Status::Provisional) => row.no_target += 1,
            Some(Status::NoData) => row.no_data += 1,
        }
        if let (Some(p), Some(f)) = (period, fig)
            && let Some(m) = mover(ctx, judged, ind, t, p, f)
        {
            movers.push(m);
        }
    }
    movers.sort_by(|a, b| b.size.total_cmp(&a.size));
    movers.truncate(MOVERS);
    let rows: Vec<GlanceRow> = order.iter().filter_map(|t| rows.remove(t)).collect();
    Glance {
        any_hidden: rows.iter().any(|r| r.hidden > 0),
        any_no_target: rows.iter().any(|r| r.no_target > 0),
        rows,
        movers,
    }
}

/// The change of a published figure against the previous period's, when both are shown.
struct Change {
    previous_period: Period,
    previous: f64,
    change: f64,
}

fn change(
    ctx: &Ctx,
    judged: &Judged,
    ind: &Indicator,
    t: &str,
    p: Period,
    f: &PublishedFigure,
) -> Option<Change> {
    let value = f.value.filter(|_| !f.suppressed())?;
    let previous_period = p.previous(&ctx.project.settings.plan_periods)?;
    if !judged.comparable(ind, f.denominator.is_some(), p, previous_period) {
        return None;
    }
    let before = ctx
        .seen
        .get(&ind.id, t, &previous_period.to_string())
        .filter(|b| !b.suppressed())?;
    let previous = before.value?;
    Some(Change {
        previous_period,
        previous,
        change: value - previous,
    })
}

/// Whether a change is good news given the indicator's direction.
fn direction_of(ind: &Indicator, change: f64) -> (&'static str, &'static str) {
    if change.abs() < 1e-9 {
        return ("=", "steady");
    }
    let arrow = if change > 0.0 { "▲" } else { "▼" };
    let good = match ind.direction {
        Direction::Up => change > 0.0,
        Direction::Down => change < 0.0,
    };
    (arrow, if good { "better" } else { "worse" })
}

/// A change as a reader expects it: points for percentages, the unit otherwise, with its sign.
fn change_text(ctx: &Ctx, ind: &Indicator, change: f64) -> String {
    let l = labels::labels(ctx.locale);
    let sign = if change > 0.0 {
        "+"
    } else if change < 0.0 {
        "−"
    } else {
        ""
    };
    match ind.unit {
        Unit::Percent => format!(
            "{sign}{} {}",
            format::number(change.abs(), 1, ctx.locale),
            l.points
        ),
        unit => format!("{sign}{}", format::value(change.abs(), unit, ctx.locale)),
    }
}

fn mover(
    ctx: &Ctx,
    judged: &Judged,
    ind: &Indicator,
    t: &str,
    p: Period,
    f: &PublishedFigure,
) -> Option<Mover> {
    let c = change(ctx, judged, ind, t, p, f)?;
    if c.change.abs() < 1e-9 {
        return None;
    }
    let l = labels::labels(ctx.locale);
    let (arrow, class) = direction_of(ind, c.change);
    // Relative to the previous value, so counts and rates compare; percentages by their points.
    let size = match ind.unit {
        Unit::Percent => c.change.abs() / 100.0,
        _ => c.change.abs() / c.previous.abs().max(1.0),
    };
    Some(Mover {
        indicator: ctx.locale.pick(&ind.title),
        territory: ctx.project.territories.name_of(t),
        period: judged.label(Some(ind), p, ctx.locale),
        previous_period: judged.label(Some(ind), c.previous_period, ctx.locale),
        previous: format::value(c.previous, ind.unit, ctx.locale),
        value: ctx.shown(ind, Some(f)),
        change: change_text(ctx, ind, c.change),
        arrow,
        class,
        word: if class == "better" { l.better } else { l.worse },
        size,
    })
}

/// A big-value tile of a `kpi` chart.
#[derive(Serialize, Debug)]
pub struct Tile {
    title: String,
    value: String,
    period: String,
    target: Option<String>,
    status: Option<String>,
    status_class: String,
    symbol: &'static str,
    change: Option<String>,
    arrow: &'static str,
    change_class: &'static str,
    change_word: &'static str,
    previous_period: String,
}

impl Tile {
    /// The tile as the SVG and PNG draw it.
    pub fn view(&self, versus: &str, target: &str) -> super::charts::TileView {
        super::charts::TileView {
            title: self.title.clone(),
            value: self.value.clone(),
            meta: match &self.target {
                Some(t) => format!("{} · {target} {t}", self.period),
                None => self.period.clone(),
            },
            status: self.status.as_ref().map(|s| {
                (
                    format!("{} {s}", self.symbol),
                    Status::parse(&self.status_class),
                )
            }),
            change: self.change.as_ref().map(|c| {
                (
                    format!("{} {c} {versus} {}", self.arrow, self.previous_period),
                    self.change_word.to_string(),
                    match self.change_class {
                        "better" => Some(true),
                        "worse" => Some(false),
                        _ => None,
                    },
                )
            }),
        }
    }
}

/// One tile per indicator for `territory`, at `period` or the period the page judges it at.
pub fn tiles(
    ctx: &Ctx,
    judged: &Judged,
    indicators: &[String],
    territory: &str,
    period: Option<Period>,
) -> Vec<Tile> {
    let l = labels::labels(ctx.locale);
    let mut out = Vec::new();
    for id in indicators {
        let Some(ind) = ctx.project.indicator(id) else {
            continue;
        };
        let p = judged.at(ind, period);
        let fig = p.and_then(|p| ctx.seen.get(id, territory, &p.to_string()));
        let status = status_of(fig);
        let c = match (p, fig) {
            (Some(p), Some(f)) => change(ctx, judged, ind, territory, p, f),
            _ => None,
        };
        let (arrow, change_class) = c
            .as_ref()
            .map(|c| direction_of(ind, c.change))
            .unwrap_or(("", ""));
        out.push(Tile {
            title: ctx.locale.pick(&ind.title),
            // The tile's status badge, right under the value, says "provvisorio".
            value: ctx.shown_unmarked(ind, fig),
            period: p
                .map(|p| judged.label(Some(ind), p, ctx.locale))
                .unwrap_or_default(),
            target: fig
                .and_then(|f| f.target)
                .map(|t| format::value(t, ind.unit, ctx.locale)),
            status: status.map(|s| format::status(s, ctx.locale).to_string()),
            status_class: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            symbol: status.map(format::status_symbol).unwrap_or(""),
            change: c.as_ref().map(|c| change_text(ctx, ind, c.change)),
            arrow,
            change_class,
            change_word: match change_class {
                "better" => l.better,
                "worse" => l.worse,
                _ => l.steady,
            },
            previous_period: c
                .as_ref()
                .map(|c| judged.label(Some(ind), c.previous_period, ctx.locale))
                .unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suppressed_figure_has_no_status() {
        let f = PublishedFigure {
            indicator: "x".into(),
            territory: "PD".into(),
            territory_level: "provincia".into(),
            period: "2025".into(),
            grain: "year".into(),
            numerator: None,
            denominator: None,
            value: None,
            target: Some(90.0),
            achievement: None,
            status: String::new(),
            suppression: Some(crate::publish::disclosure::Suppression::Primary),
            provisional: false,
        };
        assert_eq!(status_of(Some(&f)), None);
        assert_eq!(status_of(None), Some(Status::NoData));
    }
}
