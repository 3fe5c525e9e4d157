//! A dashboard chart on its page: each chart kind of the configuration turned into a drawing or a table.

use std::collections::BTreeSet;
use std::path::Path;

use super::page::{PageChart, downloads};
use super::{Ctx, RenderError, charts, format, judged, labels, map, summary, tables};
use crate::config::raw::Text;
use crate::config::{Chart, Dashboard, Grain, Indicator, Locale, Period, TerritorySelector, Unit};
use crate::indicators::targets::Status;
use crate::publish::PublishedFigure;

pub(super) fn chart_title(ctx: &Ctx, given: &Option<Text>, default: String) -> String {
    given
        .as_ref()
        .map(|t| ctx.locale.pick(t))
        .unwrap_or(default)
}

pub(super) fn axis(unit: Unit, locale: Locale) -> charts::Axis {
    charts::Axis {
        format: Box::new(move |x| format::value(x, unit, locale)),
        unit: format::unit_name(unit, locale).to_string(),
        // Rates read best around their values; amounts are compared from zero.
        from_zero: !matches!(
            unit,
            Unit::Percent | Unit::Ratio | Unit::Per1000 | Unit::Score
        ),
        scale: (unit == Unit::Percent).then_some((0.0, 100.0)),
    }
}

pub(super) fn image(
    chart: &charts::Chart,
    name: &str,
    dir: &Path,
    title: String,
    caption: Option<String>,
) -> Result<PageChart, RenderError> {
    charts::write(
        chart,
        &dir.join(format!("{name}.svg")),
        &dir.join(format!("{name}.png")),
    )
    .map_err(|source| RenderError::Chart {
        chart: name.to_string(),
        source,
    })?;
    Ok(PageChart {
        title,
        image: Some(name.to_string()),
        caption,
        downloads: downloads(name, &["svg", "png"]),
        ..PageChart::default()
    })
}

pub(super) fn unknown(id: &str) -> RenderError {
    RenderError::UnknownIndicator { id: id.to_string() }
}

/// One series per territory over `periods`: published values, and targets.
pub(super) fn series_of(
    ctx: &Ctx,
    indicator: &str,
    codes: &[String],
    periods: &[Period],
) -> Vec<charts::Series> {
    codes
        .iter()
        .map(|t| {
            let rows: Vec<Option<&PublishedFigure>> = periods
                .iter()
                .map(|p| ctx.seen.get(indicator, t, &p.to_string()))
                .collect();
            charts::Series {
                name: ctx.project.territories.name_of(t),
                values: rows.iter().map(|r| ctx.plotted(*r)).collect(),
                targets: rows.iter().map(|r| r.and_then(|r| r.target)).collect(),
            }
        })
        .collect()
}

pub(super) fn period_labels(ctx: &Ctx, periods: &[Period]) -> Vec<String> {
    periods
        .iter()
        .map(|p| format::period(&p.to_string(), ctx.locale))
        .collect()
}

/// Where a chart goes: its page's context and judged periods, the dashboard's period range, and
/// the name and folder of its files.
struct Place<'a> {
    ctx: &'a Ctx<'a>,
    judged: &'a judged::Judged,
    range: Option<(Period, Period)>,
    name: String,
    dir: &'a Path,
}

/// The `n`th chart of dashboard `d` on its page: its drawing or table, written into `dir`.
pub(super) fn chart(
    ctx: &Ctx,
    d: &Dashboard,
    judged: &judged::Judged,
    c: &Chart,
    n: usize,
    dir: &Path,
) -> Result<PageChart, RenderError> {
    let at = Place {
        ctx,
        judged,
        range: d.period,
        name: format!("chart-{n:02}"),
        dir,
    };
    match c {
        Chart::Trend {
            indicator,
            territories,
            grain,
            title,
        } => at.lines(indicator, territories, *grain, title, false),
        Chart::SmallMultiples {
            indicator,
            territories,
            grain,
            title,
        } => at.lines(indicator, territories, *grain, title, true),
        Chart::Heatmap {
            indicator,
            territories,
            grain,
            title,
        } => at.heatmap(indicator, territories, *grain, title),
        Chart::Map {
            indicator,
            territories,
            period,
            title,
        } => map::chart(
            ctx,
            judged,
            indicator,
            territories,
            *period,
            title,
            &at.name,
            dir,
        ),
        Chart::Bar {
            indicator,
            territories,
            period,
            title,
        } => at.bars(indicator, territories, *period, title),
        Chart::Target {
            indicators,
            territory,
            period,
            title,
        } => at.achievement(indicators, territory, *period, title),
        Chart::Kpi {
            indicators,
            territory,
            period,
            title,
        } => at.tiles(indicators, territory, *period, title),
        Chart::Table {
            indicators,
            territories,
            period,
            title,
        } => at.table(indicators, territories, *period, title),
    }
}

/// One indicator of a chart against its targets in one period, as the achievement chart draws it.
struct Achieved {
    label: String,
    achievement: Option<f64>,
    status: Status,
    note: String,
}

impl Place<'_> {
    fn indicator(&self, id: &str) -> Result<&Indicator, RenderError> {
        self.ctx.indicator(id).ok_or_else(|| unknown(id))
    }

    /// A trend (one line per territory) or small multiples (one panel each) on its page.
    fn lines(
        &self,
        indicator: &str,
        sel: &TerritorySelector,
        grain: Grain,
        title: &Option<Text>,
        panels: bool,
    ) -> Result<PageChart, RenderError> {
        let (ctx, l) = (self.ctx, labels::labels(self.ctx.locale));
        let ind = self.indicator(indicator)?;
        let periods = ctx.figures.periods(indicator, grain, self.range);
        let title = chart_title(ctx, title, ctx.title(ind));
        let (labels, series) = (
            period_labels(ctx, &periods),
            series_of(
                ctx,
                indicator,
                &sel.resolve(&ctx.project.territories),
                &periods,
            ),
        );
        let (axis, target_label) = (axis(ind.unit, ctx.locale), l.target.to_string());
        let chart = if panels {
            charts::Chart::SmallMultiples {
                title: title.clone(),
                labels,
                panels: series,
                axis,
                target_label,
            }
        } else {
            charts::Chart::Lines {
                title: title.clone(),
                labels,
                series,
                axis,
                target_label,
            }
        };
        image(&chart, &self.name, self.dir, title, None)
    }

    /// A heatmap of territories by period on its page.
    fn heatmap(
        &self,
        indicator: &str,
        sel: &TerritorySelector,
        grain: Grain,
        title: &Option<Text>,
    ) -> Result<PageChart, RenderError> {
        let ctx = self.ctx;
        let territories = &ctx.project.territories;
        let ind = self.indicator(indicator)?;
        let periods = ctx.figures.periods(indicator, grain, self.range);
        let codes = sel.resolve(territories);
        let cells = heat_cells(ctx, indicator, &codes, &periods);
        let title = chart_title(ctx, title, ctx.title(ind));
        let chart = charts::Chart::Heatmap {
            title: title.clone(),
            rows: codes.iter().map(|t| territories.name_of(t)).collect(),
            columns: period_labels(ctx, &periods),
            cells,
            axis: axis(ind.unit, ctx.locale),
        };
        image(&chart, &self.name, self.dir, title, None)
    }

    /// One bar per territory in the judged period, on its page.
    fn bars(
        &self,
        indicator: &str,
        sel: &TerritorySelector,
        period: Option<Period>,
        title: &Option<Text>,
    ) -> Result<PageChart, RenderError> {
        let (ctx, l) = (self.ctx, labels::labels(self.ctx.locale));
        let territories = &ctx.project.territories;
        let ind = self.indicator(indicator)?;
        let codes = sel.resolve(territories);
        let period = self.judged.at(ind, period);
        let rows: Vec<Option<&PublishedFigure>> = codes
            .iter()
            .map(|t| period.and_then(|p| ctx.seen.get(indicator, t, &p.to_string())))
            .collect();
        let plabel = period
            .map(|p| self.judged.label(Some(ind), p, ctx.locale))
            .unwrap_or_default();
        let title = chart_title(ctx, title, format!("{} — {plabel}", ctx.title(ind)));
        let chart = charts::Chart::Bars {
            title: title.clone(),
            labels: codes.iter().map(|t| territories.name_of(t)).collect(),
            values: rows.iter().map(|r| ctx.plotted(*r)).collect(),
            placeholders: rows.iter().map(|r| ctx.shown(ind, *r)).collect(),
            targets: rows.iter().map(|r| r.and_then(|r| r.target)).collect(),
            axis: axis(ind.unit, ctx.locale),
            target_label: l.target.into(),
        };
        image(&chart, &self.name, self.dir, title, None)
    }

    /// Several indicators of one territory against their targets, with the key to the statuses.
    fn achievement(
        &self,
        indicators: &[String],
        territory: &str,
        period: Option<Period>,
        title: &Option<Text>,
    ) -> Result<PageChart, RenderError> {
        let (ctx, l) = (self.ctx, labels::labels(self.ctx.locale));
        let mut plabels = BTreeSet::new();
        let rows: Vec<Achieved> = indicators
            .iter()
            .filter_map(|id| self.achieved(id, territory, period, &mut plabels))
            .collect();
        let title = chart_title(
            ctx,
            title,
            format!(
                "{} — {} {}",
                ctx.project.territories.name_of(territory),
                l.achieved_vs_target,
                plabels.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
        let chart = charts::Chart::Achievement {
            title: title.clone(),
            labels: rows.iter().map(|r| r.label.clone()).collect(),
            achievements: rows.iter().map(|r| r.achievement).collect(),
            statuses: rows.iter().map(|r| r.status).collect(),
            notes: rows.into_iter().map(|r| r.note).collect(),
            axis: l.achieved_vs_target.into(),
            target_label: l.target.into(),
        };
        let caption = Some(status_key(ctx.locale));
        image(&chart, &self.name, self.dir, title, caption)
    }

    /// One indicator of an achievement chart, its period's label added to `plabels`; None when
    /// the project has no such indicator.
    fn achieved(
        &self,
        id: &str,
        territory: &str,
        period: Option<Period>,
        plabels: &mut BTreeSet<String>,
    ) -> Option<Achieved> {
        let ctx = self.ctx;
        let ind = ctx.indicator(id)?;
        let p = self.judged.at(ind, period);
        let row = p.and_then(|p| ctx.seen.get(id, territory, &p.to_string()));
        if let Some(p) = p {
            plabels.insert(self.judged.label(Some(ind), p, ctx.locale));
        }
        let target = row
            .and_then(|r| r.target)
            .map(|t| format::value(t, ind.unit, ctx.locale))
            .unwrap_or_else(|| "—".into());
        Some(Achieved {
            label: ctx.title(ind),
            achievement: row.and_then(|r| r.achievement),
            // A suppressed figure shows neither its status nor its bar.
            status: match row {
                Some(r) if !r.suppressed() => Status::parse(&r.status),
                _ => Status::NoData,
            },
            note: format!("{} / {}", ctx.shown(ind, row), target),
        })
    }

    /// Big-value tiles as text on the page, and the same tiles as SVG and PNG to hand around.
    fn tiles(
        &self,
        indicators: &[String],
        territory: &str,
        period: Option<Period>,
        title: &Option<Text>,
    ) -> Result<PageChart, RenderError> {
        let (ctx, l) = (self.ctx, labels::labels(self.ctx.locale));
        let tiles = summary::tiles(ctx, self.judged, indicators, territory, period);
        let title = chart_title(ctx, title, ctx.project.territories.name_of(territory));
        let chart = charts::Chart::Tiles {
            title: title.clone(),
            tiles: tiles.iter().map(|t| t.view(l.versus, l.target)).collect(),
        };
        let name = &self.name;
        charts::write(
            &chart,
            &self.dir.join(format!("{name}.svg")),
            &self.dir.join(format!("{name}.png")),
        )
        .map_err(|source| RenderError::Chart {
            chart: name.to_string(),
            source,
        })?;
        Ok(PageChart {
            title,
            tiles,
            downloads: downloads(name, &["svg", "png"]),
            ..PageChart::default()
        })
    }

    /// A status table on the page, and the same table as CSV, XLSX and ODS.
    fn table(
        &self,
        indicators: &[String],
        sel: &TerritorySelector,
        period: Option<Period>,
        title: &Option<Text>,
    ) -> Result<PageChart, RenderError> {
        let ctx = self.ctx;
        let codes = sel.resolve(&ctx.project.territories);
        let view = tables::status_table(ctx, self.judged, indicators, &codes, period);
        let (name, dir) = (&self.name, self.dir);
        tables::write_csv(&view, &dir.join(format!("{name}.csv")))?;
        tables::write_xlsx(&view, &dir.join(format!("{name}.xlsx")))?;
        tables::write_ods(&view, &dir.join(format!("{name}.ods")), ctx.locale)?;
        let default_title = indicators
            .iter()
            .filter_map(|i| ctx.indicator(i))
            .map(|i| ctx.title(i))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(PageChart {
            title: chart_title(ctx, title, default_title),
            table: Some(view),
            downloads: downloads(name, &["csv", "xlsx", "ods"]),
            ..PageChart::default()
        })
    }
}

/// The heatmap's cells: one row per territory, one cell per period.
fn heat_cells(
    ctx: &Ctx,
    indicator: &str,
    codes: &[String],
    periods: &[Period],
) -> Vec<Vec<charts::HeatCell>> {
    codes
        .iter()
        .map(|t| {
            periods
                .iter()
                .map(|p| match ctx.seen.get(indicator, t, &p.to_string()) {
                    Some(f) if f.suppressed() => charts::HeatCell::Hidden,
                    Some(f) => f
                        .value
                        .map(charts::HeatCell::Value)
                        .unwrap_or(charts::HeatCell::Missing),
                    None => charts::HeatCell::Missing,
                })
                .collect()
        })
        .collect()
}

/// The caption under an achievement chart: what its notes say and what its symbols mean.
fn status_key(locale: Locale) -> String {
    let l = labels::labels(locale);
    format!(
        "{} / {} · ● {} · ◐ {} · ○ {}",
        l.value,
        l.target,
        format::status(Status::Achieved, locale),
        format::status(Status::OnTrack, locale),
        format::status(Status::OffTrack, locale)
    )
}
