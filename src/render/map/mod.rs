//! `type: map`: a choropleth of territories for one indicator and period, on the bundled official
//! boundaries (`config::boundaries`), as SVG and PNG.
//!
//! One drawing, two writers: the areas are projected once (equirectangular, longitudes scaled by
//! the cosine of the middle latitude, so shapes keep their proportions at Italian latitudes) into
//! a [`MapView`], which is written as SVG by hand (one `<path>` per area, its class saying how it
//! is filled, its name as a tooltip) and painted into the PNG by scanlines (even-odd, so holes
//! stay holes). Values take the heatmap's colour scale; a suppressed area is hatched and labelled
//! `c`, with no colour of its size; an area with no figure is grey.
//!
//! `view.rs` projects the territories into a [`MapView`]; `svg.rs` and `png.rs` write it.

use std::path::Path;

use plotters::prelude::*;

use super::charts;
use super::{Ctx, PageChart, RenderError};
use crate::config::boundaries::{self, Layer};
use crate::config::{Period, Territories, TerritorySelector};
use crate::publish::PublishedFigure;

mod png;
mod svg;
mod view;

pub use png::{PngError, png};
pub use svg::svg;
pub use view::view;

const WIDTH: u32 = charts::WIDTH;
pub(super) const TITLE_H: f64 = 40.0;
pub(super) const FOOT_H: f64 = 24.0;
pub(super) const LEGEND_W: f64 = 210.0;
pub(super) const MARGIN: f64 = 12.0;
/// More areas than this get no names on the map (the table under it has them all).
pub(super) const NAMED_AREAS: usize = 40;

pub(super) const MISSING: RGBColor = RGBColor(189, 189, 189);
pub(super) const HIDDEN: RGBColor = RGBColor(214, 218, 223);
pub(super) const HATCH: RGBColor = RGBColor(90, 100, 112);
pub(super) const CONTEXT: RGBColor = RGBColor(246, 247, 249);
pub(super) const CONTEXT_LINE: RGBColor = RGBColor(200, 204, 210);
pub(super) const MUTED: RGBColor = RGBColor(90, 100, 112);

/// How an area is filled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    /// A published value, in the colour the scale gives it.
    Value(RGBColor),
    /// Suppressed: hatched, labelled `c`.
    Suppressed,
    /// No figure for this territory and period.
    Missing,
}

impl Fill {
    /// The SVG class of the area, as tests and style sheets find it.
    pub fn class(self) -> &'static str {
        match self {
            Fill::Value(_) => "value",
            Fill::Suppressed => "suppressed",
            Fill::Missing => "missing",
        }
    }
}

/// One area as drawn: rings in pixels, fill, label.
pub struct AreaView {
    /// The territory code.
    pub code: String,
    /// The name and value, for the SVG tooltip.
    pub tooltip: String,
    /// Every ring of every part, in pixels.
    pub rings: Vec<Vec<(f64, f64)>>,
    /// How it is filled.
    pub fill: Fill,
    /// Lines written on the area, at its label point.
    pub label: Vec<String>,
    /// Where the label goes, in pixels.
    pub at: (f64, f64),
    /// Whether the label is written in white (on a dark fill).
    pub light_text: bool,
}

/// What the legend says.
pub struct LegendView {
    /// The unit, above the colour scale.
    pub unit: String,
    /// The top and bottom of the colour scale, written with their unit.
    pub high: String,
    /// See `high`.
    pub low: String,
    /// The word for a suppressed figure.
    pub suppressed: String,
    /// The words for a missing figure.
    pub missing: String,
}

/// A whole map, projected.
pub struct MapView {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The chart's title.
    pub title: String,
    /// Where the map is drawn (left, top, right, bottom): neighbours are cut off at its edges.
    pub frame: [f64; 4],
    /// Neighbouring areas drawn for orientation only: no figure, no legend entry.
    pub context: Vec<Vec<Vec<(f64, f64)>>>,
    /// The territories, one area each.
    pub areas: Vec<AreaView>,
    /// The key.
    pub legend: LegendView,
    /// Whose boundaries these are.
    pub attribution: String,
}

/// One territory to draw: its code and name, its boundaries, its figure.
pub struct Input {
    /// The territory code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its boundaries.
    pub parts: Vec<(Layer, String)>,
    /// Its value; None when missing or suppressed.
    pub value: Option<f64>,
    /// Whether its figure is suppressed.
    pub suppressed: bool,
    /// Whether it has a figure at all.
    pub present: bool,
    /// The value as published (`c`, `—`, `72,5 %`).
    pub shown: String,
}

/// The white bands around the frame (title, legend, foot), as rectangles x, y, w, h: they cover
/// the neighbours that reach past the frame.
pub(super) fn bands(m: &MapView) -> [[f64; 4]; 4] {
    let [l, t, r, b] = m.frame;
    let (w, h) = (f64::from(m.width), f64::from(m.height));
    [
        [0.0, 0.0, w, t],
        [0.0, b, w, h - b],
        [0.0, 0.0, l, h],
        [r, 0.0, w - r, h],
    ]
}

/// The vertical offset of line `k` of `n`, centred on the label point.
pub(super) fn label_dy(n: usize, k: usize) -> f64 {
    (k as f64 - (n as f64 - 1.0) / 2.0) * 13.0
}

/// The map of a dashboard: its SVG and PNG, and the status table beside it as its text.
#[allow(clippy::too_many_arguments)]
pub(super) fn chart(
    ctx: &Ctx,
    judged: &super::judged::Judged,
    indicator: &str,
    sel: &TerritorySelector,
    period: Option<Period>,
    title: &Option<crate::config::raw::Text>,
    name: &str,
    dir: &Path,
) -> Result<PageChart, RenderError> {
    let ind = ctx
        .indicator(indicator)
        .ok_or_else(|| super::unknown(indicator))?;
    let territories: &Territories = &ctx.project.territories;
    let codes = sel.resolve(territories);
    // The page's judged period unless the chart names its own, as every other chart does.
    let period = judged.at(ind, period);
    let inputs: Vec<Input> = codes
        .iter()
        .map(|t| {
            let row: Option<&PublishedFigure> =
                period.and_then(|p| ctx.seen.get(indicator, t, &p.to_string()));
            Input {
                code: t.clone(),
                name: territories.name_of(t),
                // Checked with the dashboard: a territory without a boundary never gets here.
                parts: boundaries::shape(territories, t)
                    .map(|s| s.parts)
                    .unwrap_or_default(),
                value: ctx.plotted(row),
                suppressed: row.is_some_and(|r| r.suppressed()),
                present: row.is_some(),
                shown: ctx.shown(ind, row),
            }
        })
        .collect();
    let plabel = period
        .map(|p| judged.label(Some(ind), p, ctx.locale))
        .unwrap_or_default();
    let title = super::chart_title(ctx, title, format!("{} — {plabel}", ctx.title(ind)));
    let m = view(
        title.clone(),
        &inputs,
        &super::axis(ind.unit, ctx.locale),
        ctx.locale,
    );
    let svg_path = dir.join(format!("{name}.svg"));
    std::fs::write(&svg_path, svg(&m)).map_err(super::io(&svg_path))?;
    png(&m, &dir.join(format!("{name}.png"))).map_err(|source| RenderError::Map {
        chart: name.to_string(),
        source,
    })?;
    // The same figures as a table: the map's text for readers who cannot see it.
    let table = super::tables::status_table(ctx, judged, &[indicator.to_string()], &codes, period);
    Ok(PageChart {
        title,
        image: Some(name.to_string()),
        table: Some(table),
        downloads: super::downloads(name, &["svg", "png"]),
        ..PageChart::default()
    })
}
