//! Static charts drawn with plotters, each as SVG and PNG, with an embedded font so that no system
//! font is needed.
//!
//! One visual language for every kind: a light major grid only, legends beside the plot (never
//! over the data), targets as a dark dashed line or tick, value labels placed past both the bar
//! and its target so they cannot collide, and status told by colour, symbol and word together.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::indicators::targets::Status;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The width of every chart, in pixels.
pub const WIDTH: u32 = 900;
const HEIGHT: u32 = 400;
/// Room beside the plot for the legend.
const LEGEND_WIDTH: u32 = 200;

/// Okabe and Ito's palette: distinguishable with every common colour-vision deficiency.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
];
const TARGET: RGBColor = RGBColor(40, 40, 40);
const GRID: RGBColor = RGBColor(226, 230, 235);
const MUTED: RGBColor = RGBColor(90, 100, 112);

static FONTS: Once = Once::new();

/// Registers the embedded font, once, before anything is drawn.
pub(crate) fn register_fonts() {
    FONTS.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is compiled in; registering it can only fail if the file were corrupt.
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}

/// The colour a status is drawn in (the page's CSS uses the same).
pub fn status_color(s: Status) -> RGBColor {
    match s {
        Status::Achieved => RGBColor(0, 140, 100),
        Status::OnTrack => RGBColor(230, 159, 0),
        Status::OffTrack => RGBColor(213, 94, 0),
        Status::NoTarget | Status::NoData | Status::Provisional => RGBColor(150, 150, 150),
    }
}

/// Turns a number into its label.
pub type Formatter = Box<dyn Fn(f64) -> String>;

/// How values are written: `format` for labels (with the unit), `unit` names the axis.
pub struct Axis {
    /// A value with its unit, as labels show it.
    pub format: Formatter,
    /// The unit, as the value axis is titled.
    pub unit: String,
    /// Whether the value axis starts at zero (bars, counts) or follows the data (rates).
    pub from_zero: bool,
    /// The natural scale of the unit (0–100 for percentages), which a colour scale spans at least.
    pub scale: Option<(f64, f64)>,
}

/// One territory's values over the chart's periods.
pub struct Series {
    /// The territory's name.
    pub name: String,
    /// One value per period; None where missing or suppressed.
    pub values: Vec<Option<f64>>,
    /// The target of each period, if any.
    pub targets: Vec<Option<f64>>,
}

/// One cell of a heatmap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeatCell {
    /// A published value.
    Value(f64),
    /// Suppressed: shown as `c` on grey, with no colour of its size.
    Hidden,
    /// No figure for this territory and period.
    Missing,
}

/// One big-value tile as drawn: its texts, and how its status and change read.
pub struct TileView {
    /// The indicator's title.
    pub title: String,
    /// The value, as published (`c` when suppressed).
    pub value: String,
    /// The period, and the target when there is one.
    pub meta: String,
    /// The status in words with its symbol, and the status it colours.
    pub status: Option<(String, Status)>,
    /// The change against the previous period, what it means in words, and whether it is good news.
    pub change: Option<(String, String, Option<bool>)>,
}

/// A chart to draw.
pub enum Chart {
    /// Big-value tiles, four to a row.
    Tiles {
        /// The chart's title.
        title: String,
        /// One tile per indicator.
        tiles: Vec<TileView>,
    },
    /// One line per territory over periods, with targets as dark dashed lines.
    Lines {
        /// The chart's title.
        title: String,
        /// The periods.
        labels: Vec<String>,
        /// One series per territory.
        series: Vec<Series>,
        /// How values are written.
        axis: Axis,
        /// The legend's word for the target.
        target_label: String,
    },
    /// Horizontal bars, largest first, with each target as a dark tick.
    Bars {
        /// The chart's title.
        title: String,
        /// The territories.
        labels: Vec<String>,
        /// One value per territory; None where missing or suppressed.
        values: Vec<Option<f64>>,
        /// What to write where there is no bar (`c`, `—`).
        placeholders: Vec<String>,
        /// The target of each territory, if any.
        targets: Vec<Option<f64>>,
        /// How values are written.
        axis: Axis,
        /// The legend's word for the target.
        target_label: String,
    },
    /// Achievement against target (%) for several indicators, with the target at 100%.
    Achievement {
        /// The chart's title.
        title: String,
        /// The indicators.
        labels: Vec<String>,
        /// Value as a share of the target, per indicator.
        achievements: Vec<Option<f64>>,
        /// The status of each indicator (from its own `on_track`).
        statuses: Vec<Status>,
        /// `value / target` as written, per indicator.
        notes: Vec<String>,
        /// The axis title.
        axis: String,
        /// The legend's word for the target.
        target_label: String,
    },
    /// Territories × periods, coloured by value.
    Heatmap {
        /// The chart's title.
        title: String,
        /// The territories, one row each.
        rows: Vec<String>,
        /// The periods, one column each.
        columns: Vec<String>,
        /// `cells[row][column]`.
        cells: Vec<Vec<HeatCell>>,
        /// How values are written.
        axis: Axis,
    },
    /// One small trend per territory on shared axes.
    SmallMultiples {
        /// The chart's title.
        title: String,
        /// The periods.
        labels: Vec<String>,
        /// One panel per territory.
        panels: Vec<Series>,
        /// How values are written.
        axis: Axis,
        /// The legend's word for the target.
        target_label: String,
    },
}

impl Chart {
    /// The chart's size in pixels: tall enough for its rows.
    fn size(&self) -> (u32, u32) {
        let h = match self {
            Chart::Bars { labels, .. } => 90 + 34 * labels.len().max(2) as u32,
            Chart::Achievement { labels, .. } => 90 + 46 * labels.len().max(2) as u32,
            Chart::Heatmap { rows, .. } => 100 + 30 * rows.len().max(2) as u32,
            Chart::SmallMultiples { panels, .. } => {
                70 + 190 * panels.len().div_ceil(PANEL_COLUMNS).max(1) as u32
            }
            Chart::Lines { .. } => HEIGHT,
            Chart::Tiles { tiles, .. } => {
                44 + 178 * tiles.len().div_ceil(TILE_COLUMNS).max(1) as u32
            }
        };
        (WIDTH, h)
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Writes the chart as SVG and PNG.
pub fn write(chart: &Chart, svg: &Path, png: &Path) -> Result<(), String> {
    register_fonts();
    let size = chart.size();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(err)?;
    }
    std::fs::write(svg, s).map_err(|e| format!("{}: {e}", svg.display()))?;
    let root = BitMapBackend::new(png, size).into_drawing_area();
    draw(chart, &root)?;
    root.present()
        .map_err(|e| format!("{}: {e}", png.display()))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Tiles { title, tiles } => draw_tiles(root, title, tiles),
        Chart::Lines {
            title,
            labels,
            series,
            axis,
            target_label,
        } => lines(root, title, labels, series, axis, target_label),
        Chart::Bars {
            title,
            labels,
            values,
            placeholders,
            targets,
            axis,
            target_label,
        } => bars(
            root,
            title,
            &Bars {
                labels,
                values,
                placeholders,
                targets,
            },
            axis,
            target_label,
        ),
        Chart::Achievement {
            title,
            labels,
            achievements,
            statuses,
            notes,
            axis,
            target_label,
        } => achievement(
            root,
            title,
            labels,
            achievements,
            statuses,
            notes,
            axis,
            target_label,
        ),
        Chart::Heatmap {
            title,
            rows,
            columns,
            cells,
            axis,
        } => heatmap(root, title, rows, columns, cells, axis),
        Chart::SmallMultiples {
            title,
            labels,
            panels,
            axis,
            target_label,
        } => small_multiples(root, title, labels, panels, axis, target_label),
    }
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).pos(Pos::new(h, v))
}

/// The area below the title.
fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.titled(title, ("sans-serif", 19).into_font())
        .map_err(err)
}

/// A value range covering `values`, from zero when asked, with a little room above and below.
fn value_range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let pad = span * 0.08;
    let lo = if from_zero && lo >= 0.0 {
        0.0
    } else if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    (lo, hi + pad)
}

/// Shows at most about `max` labels along an axis of `n` positions.
fn label_step(n: usize, max: usize) -> usize {
    n.div_ceil(max).max(1)
}

/// Shortens a label to `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> Result<(), String> {
    let area = titled(root, title)?;
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        "—",
        (w as i32 / 2, h as i32 / 2),
        anchored(24, HPos::Center, VPos::Center),
    ))
    .map_err(err)?;
    Ok(())
}

/// One legend line: a sample of how the item is drawn, then its name.
enum LegendMark {
    Line(RGBColor),
    Dashed,
    Tick,
}

fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(LegendMark, String)],
) -> Result<(), String> {
    for (i, (mark, name)) in items.iter().enumerate() {
        let y = 24 + 22 * i as i32;
        let (x0, x1) = (8, 30);
        match mark {
            LegendMark::Line(c) => area
                .draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))
                .map_err(err)?,
            LegendMark::Dashed => {
                for k in 0..3 {
                    let a = x0 + k * 8;
                    area.draw(&PathElement::new(
                        vec![(a, y), (a + 5, y)],
                        TARGET.stroke_width(2),
                    ))
                    .map_err(err)?;
                }
            }
            LegendMark::Tick => area
                .draw(&PathElement::new(
                    vec![(x0 + 11, y - 8), (x0 + 11, y + 8)],
                    TARGET.stroke_width(3),
                ))
                .map_err(err)?,
        }
        area.draw(&Text::new(
            clip(name, 24),
            (x1 + 8, y),
            anchored(12, HPos::Left, VPos::Center),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// A series' points split where values are missing, so gaps are never drawn as zero.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                if let Some(seg) = out.last_mut() {
                    seg.push((i as f64, *v));
                }
            }
            None => out.push(Vec::new()),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Targets as dashed steps: one level per run of equal targets.
fn target_runs(targets: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last: Option<f64> = None;
    for (i, t) in targets.iter().enumerate() {
        match t {
            Some(t) if last == Some(*t) => {
                if let Some(run) = out.last_mut() {
                    run.push((i as f64 + 0.5, *t));
                }
            }
            Some(t) => out.push(vec![(i as f64 - 0.5, *t), (i as f64 + 0.5, *t)]),
            None => {}
        }
        last = *t;
    }
    out
}

type Plot<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Periods along x (every `step`-th labelled), values along y with their unit; major grid only.
fn period_plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    labels: &[String],
    (lo, hi): (f64, f64),
    axis: &Axis,
    step: usize,
    small: bool,
) -> Result<Plot<'a, DB>, String> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(area)
        .margin(if small { 6 } else { 10 })
        .margin_right(if small { 26 } else { 16 })
        .x_label_area_size(if small { 22 } else { 34 })
        .y_label_area_size(if small { 58 } else { 84 })
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
        .map_err(err)?;
    let x_label = |x: &f64| {
        let i = x.round() as usize;
        if (x - x.round()).abs() < 1e-6 && i < n && i.is_multiple_of(step) {
            labels[i].clone()
        } else {
            String::new()
        }
    };
    let y_label = |y: &f64| (axis.format)(*y);
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(n)
        .y_labels(if small { 4 } else { 6 })
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(font(if small { 10 } else { 12 }))
        .axis_style(MUTED);
    if !small {
        mesh.y_desc(axis.unit.as_str())
            .axis_desc_style(font(12).color(&MUTED));
    }
    mesh.draw().map_err(err)?;
    Ok(chart)
}

fn draw_series<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    s: &Series,
    color: RGBColor,
) -> Result<(), String> {
    for seg in segments(&s.values) {
        chart
            .draw_series(LineSeries::new(seg.clone(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(seg.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    for run in target_runs(&s.targets) {
        chart
            .draw_series(DashedLineSeries::new(run, 6, 4, TARGET.stroke_width(2)))
            .map_err(err)?;
    }
    Ok(())
}

/// Whether series over periods have nothing to draw.
fn nothing_over_time(labels: &[String], series: &[Series]) -> bool {
    labels.is_empty() || series.iter().all(|s| s.values.iter().all(Option::is_none))
}

/// The value range that holds every value and target of `series`.
fn series_range(series: &[Series], axis: &Axis) -> (f64, f64) {
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().chain(&s.targets).flatten().copied());
    value_range(all, axis.from_zero)
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    series: &[Series],
    axis: &Axis,
    target_label: &str,
) -> Result<(), String> {
    if nothing_over_time(labels, series) {
        return no_data(root, title);
    }
    let area = titled(root, title)?;
    let (w, _) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let range = series_range(series, axis);
    let mut chart = period_plot(
        &plot_area,
        labels,
        range,
        axis,
        label_step(labels.len(), 8),
        false,
    )?;
    let mut items = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        draw_series(&mut chart, s, color)?;
        items.push((LegendMark::Line(color), s.name.clone()));
    }
    if series.iter().any(|s| s.targets.iter().any(Option::is_some)) {
        items.push((LegendMark::Dashed, target_label.to_string()));
    }
    legend(&legend_area, &items)
}

/// What a bar chart shows, one entry per territory.
struct Bars<'a> {
    labels: &'a [String],
    values: &'a [Option<f64>],
    placeholders: &'a [String],
    targets: &'a [Option<f64>],
}

impl Bars<'_> {
    /// Positions from top to bottom: largest value first, then those without a value.
    fn order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.labels.len()).collect();
        idx.sort_by(|&a, &b| match (self.values[a], self.values[b]) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(&b),
        });
        idx
    }
}

fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    b: &Bars,
    axis: &Axis,
    target_label: &str,
) -> Result<(), String> {
    if b.values.iter().all(Option::is_none) {
        return no_data(root, title);
    }
    let area = titled(root, title)?;
    let (w, _) = area.dim_in_pixel();
    let has_targets = b.targets.iter().any(Option::is_some);
    let (plot_area, legend_area) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH - 40));
    let order = b.order();
    let n = order.len();
    let (lo, hi) = value_range(b.values.iter().chain(b.targets).flatten().copied(), true);
    // Room past the longest bar or target for its label.
    let hi = hi + (hi - lo) * 0.22;
    let names: Vec<String> = order.iter().map(|&i| clip(&b.labels[i], 26)).collect();
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(190)
        .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    // Row 0 is drawn at the top.
    let y = |row: usize| (n - 1 - row) as f64;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(n)
        .y_label_formatter(&|v| {
            let r = v.round();
            if (v - r).abs() > 1e-6 || r < 0.0 || r as usize >= n {
                return String::new();
            }
            names[n - 1 - r as usize].clone()
        })
        .x_label_formatter(&|x| (axis.format)(*x))
        .x_desc(axis.unit.as_str())
        .axis_desc_style(font(12).color(&MUTED))
        .label_style(font(12))
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    for (row, &i) in order.iter().enumerate() {
        let yc = y(row);
        if let Some(v) = b.values[i] {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, yc - 0.32), (v, yc + 0.32)],
                    PALETTE[0].filled(),
                )))
                .map_err(err)?;
        }
        if let Some(t) = b.targets[i] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t, yc - 0.44), (t, yc + 0.44)],
                    TARGET.stroke_width(3),
                )))
                .map_err(err)?;
        }
        // Past both the bar and the target, so the label never touches either.
        let end = [b.values[i], b.targets[i], Some(0.0)]
            .into_iter()
            .flatten()
            .fold(f64::NEG_INFINITY, f64::max);
        let text = match b.values[i] {
            Some(v) => (axis.format)(v),
            None => b.placeholders[i].clone(),
        };
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (end + (hi - lo) * 0.012, yc),
                anchored(12, HPos::Left, VPos::Center),
            )))
            .map_err(err)?;
    }
    if has_targets {
        legend(
            &legend_area,
            &[(LegendMark::Tick, target_label.to_string())],
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn achievement<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    achievements: &[Option<f64>],
    statuses: &[Status],
    notes: &[String],
    axis: &str,
    target_label: &str,
) -> Result<(), String> {
    let area = titled(root, title)?;
    let n = labels.len().max(1);
    let top = achievements
        .iter()
        .flatten()
        .fold(100.0f64, |m, v| m.max(*v));
    // Room past the bar and the 100% line for the label.
    let hi = top * 1.55;
    let names: Vec<String> = labels.iter().map(|l| clip(l, 34)).collect();
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(250)
        .build_cartesian_2d(0f64..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    let y = |i: usize| (n - 1 - i) as f64;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(n)
        .y_label_formatter(&|v| {
            let r = v.round();
            if (v - r).abs() > 1e-6 || r < 0.0 || r as usize >= names.len() {
                return String::new();
            }
            names[n - 1 - r as usize].clone()
        })
        .x_label_formatter(&|x| format!("{x:.0}%"))
        .x_desc(axis)
        .axis_desc_style(font(12).color(&MUTED))
        .label_style(font(12))
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    for (i, a) in achievements.iter().enumerate() {
        let status = statuses.get(i).copied().unwrap_or(Status::NoData);
        if let Some(a) = a {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y(i) - 0.3), (a.min(hi), y(i) + 0.3)],
                    status_color(status).filled(),
                )))
                .map_err(err)?;
        }
        let end = a.unwrap_or(0.0).max(100.0);
        let note = notes.get(i).cloned().unwrap_or_default();
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{} {note}", super::format::status_symbol(status)),
                (end + hi * 0.012, y(i)),
                anchored(12, HPos::Left, VPos::Center),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![(100.0, -0.5), (100.0, n as f64 - 0.5)],
            6,
            4,
            TARGET.stroke_width(2),
        ))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Text::new(
            target_label.to_string(),
            (100.0, n as f64 - 0.5),
            anchored(11, HPos::Center, VPos::Bottom).color(&MUTED),
        )))
        .map_err(err)?;
    Ok(())
}

/// A light-to-dark blue ramp (ColorBrewer "Blues"), readable in grey and by colour-blind readers.
pub(crate) fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, (f64, f64, f64)); 5] = [
        (0.0, (239.0, 243.0, 255.0)),
        (0.25, (189.0, 215.0, 231.0)),
        (0.5, (107.0, 174.0, 214.0)),
        (0.75, (49.0, 130.0, 189.0)),
        (1.0, (8.0, 69.0, 148.0)),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = STOPS
        .windows(2)
        .position(|w| t <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let ((t0, a), (t1, b)) = (STOPS[k], STOPS[k + 1]);
    let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The values the colour scale spans: the unit's natural scale (0–100 for percentages), widened
/// to every value shown. Heatmaps and maps share it.
pub(crate) fn color_range(values: &[f64], axis: &Axis) -> (f64, f64) {
    values.iter().fold(
        axis.scale.unwrap_or((f64::INFINITY, f64::NEG_INFINITY)),
        |(lo, hi), v| (lo.min(*v), hi.max(*v)),
    )
}

fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<HeatCell>],
    axis: &Axis,
) -> Result<(), String> {
    let values: Vec<f64> = cells
        .iter()
        .flatten()
        .filter_map(|c| match c {
            HeatCell::Value(v) => Some(*v),
            _ => None,
        })
        .collect();
    if columns.is_empty() || values.is_empty() {
        return no_data(root, title);
    }
    let area = titled(root, title)?;
    let (w, _) = area.dim_in_pixel();
    let (lo, hi) = color_range(&values, axis);
    let (left, top, legend_w) = (190i32, 8i32, 110i32);
    let cols = columns.len() as i32;
    let cell_w = ((w as i32 - left - legend_w - 10) / cols).max(4);
    let cell_h = 30i32;
    let show_values = cell_w >= 44;
    for (r, name) in rows.iter().enumerate() {
        let y0 = top + r as i32 * cell_h;
        area.draw(&Text::new(
            clip(name, 26),
            (left - 8, y0 + cell_h / 2),
            anchored(12, HPos::Right, VPos::Center),
        ))
        .map_err(err)?;
        for (c, cell) in cells
            .get(r)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let x0 = left + c as i32 * cell_w;
            let (fill, text, dark) = match cell {
                HeatCell::Value(v) => {
                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                    (ramp(t), (axis.format)(*v), t > 0.55)
                }
                HeatCell::Hidden => (RGBColor(214, 218, 223), "c".to_string(), false),
                HeatCell::Missing => (WHITE, "—".to_string(), false),
            };
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + cell_w, y0 + cell_h)],
                fill.filled(),
            ))
            .map_err(err)?;
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + cell_w, y0 + cell_h)],
                WHITE.stroke_width(1),
            ))
            .map_err(err)?;
            if show_values || !matches!(cell, HeatCell::Value(_)) {
                let color = if dark { WHITE } else { BLACK };
                area.draw(&Text::new(
                    text,
                    (x0 + cell_w / 2, y0 + cell_h / 2),
                    anchored(if show_values { 11 } else { 9 }, HPos::Center, VPos::Center)
                        .color(&color),
                ))
                .map_err(err)?;
            }
        }
    }
    // Period labels, thinned so they never overlap.
    let label_px = 62;
    let step = ((label_px + cell_w - 1) / cell_w).max(1) as usize;
    let y_labels = top + rows.len() as i32 * cell_h + 14;
    for (c, label) in columns.iter().enumerate().filter(|(c, _)| c % step == 0) {
        area.draw(&Text::new(
            label.clone(),
            (left + c as i32 * cell_w + cell_w / 2, y_labels),
            anchored(11, HPos::Center, VPos::Center),
        ))
        .map_err(err)?;
    }
    // The colour key, beside the grid.
    let kx = w as i32 - legend_w + 10;
    let kh = (rows.len() as i32 * cell_h).clamp(60, 160);
    for k in 0..kh {
        let t = 1.0 - k as f64 / kh as f64;
        area.draw(&Rectangle::new(
            [(kx, top + k), (kx + 14, top + k + 1)],
            ramp(t).filled(),
        ))
        .map_err(err)?;
    }
    for (t, v) in [(0, hi), (kh, lo)] {
        area.draw(&Text::new(
            (axis.format)(v),
            (kx + 20, top + t),
            anchored(11, HPos::Left, VPos::Center),
        ))
        .map_err(err)?;
    }
    area.draw(&Text::new(
        axis.unit.clone(),
        (kx, top + kh + 16),
        anchored(11, HPos::Left, VPos::Center).color(&MUTED),
    ))
    .map_err(err)?;
    Ok(())
}

const PANEL_COLUMNS: usize = 3;
const TILE_COLUMNS: usize = 4;

fn draw_tiles<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    tiles: &[TileView],
) -> Result<(), String> {
    let area = titled(root, title)?;
    let (w, _) = area.dim_in_pixel();
    let columns = tiles.len().clamp(1, TILE_COLUMNS) as i32;
    let gap = 10;
    let tile_w = (w as i32 - gap * (columns + 1)) / columns;
    let tile_h = 168;
    // About seven pixels per character at 12 px.
    let chars = (tile_w / 7).max(8) as usize;
    for (i, t) in tiles.iter().enumerate() {
        let (c, r) = (i as i32 % columns, i as i32 / columns);
        let (x, y) = (gap + c * (tile_w + gap), 4 + r * (tile_h + gap));
        area.draw(&Rectangle::new(
            [(x, y), (x + tile_w, y + tile_h)],
            GRID.stroke_width(1),
        ))
        .map_err(err)?;
        let text = |s: &str, dy: i32, size: u32, color: RGBColor| {
            area.draw(&Text::new(
                clip(s, chars),
                (x + 10, y + dy),
                anchored(size, HPos::Left, VPos::Center).color(&color),
            ))
        };
        text(&t.title, 16, 12, MUTED).map_err(err)?;
        text(&t.value, 52, 28, BLACK).map_err(err)?;
        text(&t.meta, 84, 11, MUTED).map_err(err)?;
        if let Some((s, status)) = &t.status {
            text(s, 106, 12, status_color(*status)).map_err(err)?;
        }
        if let Some((s, word, good)) = &t.change {
            let color = match good {
                Some(true) => status_color(Status::Achieved),
                Some(false) => status_color(Status::OffTrack),
                None => MUTED,
            };
            text(s, 130, 11, color).map_err(err)?;
            text(word, 150, 11, color).map_err(err)?;
        }
    }
    Ok(())
}

fn small_multiples<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    panels: &[Series],
    axis: &Axis,
    target_label: &str,
) -> Result<(), String> {
    if nothing_over_time(labels, panels) {
        return no_data(root, title);
    }
    let area = titled(root, title)?;
    let (_, h) = area.dim_in_pixel();
    let (grid, key) = area.split_vertically(h.saturating_sub(24));
    let rows = panels.len().div_ceil(PANEL_COLUMNS).max(1);
    // Shared axes: every panel has the same periods and value range.
    let range = series_range(panels, axis);
    let cells = grid.split_evenly((rows, PANEL_COLUMNS));
    let n = labels.len();
    // First and last period only: small panels have room for little else.
    let shown: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 || i + 1 == n {
                l.clone()
            } else {
                String::new()
            }
        })
        .collect();
    for (s, cell) in panels.iter().zip(cells.iter()) {
        let panel = cell
            .titled(&clip(&s.name, 30), ("sans-serif", 13).into_font())
            .map_err(err)?;
        let mut chart = period_plot(&panel, &shown, range, axis, 1, true)?;
        draw_series(&mut chart, s, PALETTE[0])?;
    }
    // One key for every panel: the unit, and how the target is drawn when there is one.
    let has_targets = panels.iter().any(|s| s.targets.iter().any(Option::is_some));
    let mut note = axis.unit.clone();
    if has_targets {
        for k in 0..3 {
            let a = 10 + k * 8;
            key.draw(&PathElement::new(
                vec![(a, 12), (a + 5, 12)],
                TARGET.stroke_width(2),
            ))
            .map_err(err)?;
        }
        note = format!("{target_label} · {note}");
    }
    key.draw(&Text::new(
        note,
        (if has_targets { 42 } else { 10 }, 12),
        anchored(12, HPos::Left, VPos::Center).color(&MUTED),
    ))
    .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_lines_and_targets_form_steps() {
        let s = segments(&[Some(1.0), None, Some(2.0), Some(3.0)]);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
        let t = target_runs(&[Some(90.0), Some(90.0), None, Some(95.0)]);
        assert_eq!(
            t,
            vec![
                vec![(-0.5, 90.0), (0.5, 90.0), (1.5, 90.0)],
                vec![(2.5, 95.0), (3.5, 95.0)]
            ]
        );
    }

    #[test]
    fn bars_sort_largest_first_and_missing_last() {
        let labels = vec!["a".to_string(), "b".into(), "c".into()];
        let values = vec![Some(1.0), None, Some(3.0)];
        let b = Bars {
            labels: &labels,
            values: &values,
            placeholders: &["".into(), "c".into(), "".into()],
            targets: &[None, None, None],
        };
        assert_eq!(b.order(), vec![2, 0, 1]);
    }

    #[test]
    fn ranges_start_at_zero_only_when_asked() {
        assert_eq!(value_range([80.0, 90.0].into_iter(), true).0, 0.0);
        let (lo, hi) = value_range([80.0, 90.0].into_iter(), false);
        assert!(lo > 70.0 && lo < 80.0 && hi > 90.0);
    }
}
