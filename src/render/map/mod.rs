//! `type: map`: a choropleth of territories for one indicator and period, on the bundled official
//! boundaries (`config::boundaries`), as SVG and PNG.
//!
//! One drawing, two writers: the areas are projected once (equirectangular, longitudes scaled by
//! the cosine of the middle latitude, so shapes keep their proportions at Italian latitudes) into
//! a [`MapView`], which is written as SVG by hand (one `<path>` per area, its class saying how it
//! is filled, its name as a tooltip) and painted into the PNG by scanlines (even-odd, so holes
//! stay holes). Values take the heatmap's colour scale; a suppressed area is hatched and labelled
//! `c`, with no colour of its size; an area with no figure is grey.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{self, Axis};
use super::{Ctx, PageChart, RenderError, labels};
use crate::config::boundaries::{self, Layer, Point};
use crate::config::{Period, Territories, TerritorySelector};
use crate::publish::PublishedFigure;

const WIDTH: u32 = charts::WIDTH;
const TITLE_H: f64 = 40.0;
const FOOT_H: f64 = 24.0;
const LEGEND_W: f64 = 210.0;
const MARGIN: f64 = 12.0;
/// More areas than this get no names on the map (the table under it has them all).
const NAMED_AREAS: usize = 40;

const MISSING: RGBColor = RGBColor(189, 189, 189);
const HIDDEN: RGBColor = RGBColor(214, 218, 223);
const HATCH: RGBColor = RGBColor(90, 100, 112);
const CONTEXT: RGBColor = RGBColor(246, 247, 249);
const CONTEXT_LINE: RGBColor = RGBColor(200, 204, 210);
const MUTED: RGBColor = RGBColor(90, 100, 112);

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

/// A projection from degrees to the pixels of the map's frame.
struct Projection {
    k: f64,
    scale: f64,
    west: f64,
    north: f64,
    left: f64,
    top: f64,
}

impl Projection {
    fn at(&self, (lon, lat): Point) -> (f64, f64) {
        (
            self.left + (lon - self.west) * self.k * self.scale,
            self.top + (self.north - lat) * self.scale,
        )
    }
}

fn parts_of(parts: &[(Layer, String)]) -> Vec<&'static boundaries::Area> {
    parts
        .iter()
        .filter_map(|(l, c)| boundaries::area(*l, c))
        .collect()
}

fn union(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// Names on the map drop the words every area of a kind shares ("Provincia di").
fn short_name(name: &str) -> &str {
    const PREFIXES: [&str; 9] = [
        "Provincia autonoma di ",
        "Provincia di ",
        "Provincia del ",
        "Provincia della ",
        "Città metropolitana di ",
        "Libero consorzio comunale di ",
        "Ambito territoriale di ",
        "Ambito di ",
        "Comune di ",
    ];
    PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// About how wide a text is at `size` pixels in the embedded font.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

/// Projects the territories into a map with its legend.
pub fn view(
    title: String,
    inputs: &[Input],
    axis: &Axis,
    locale: crate::config::Locale,
) -> MapView {
    let l = labels::labels(locale);
    let values: Vec<f64> = inputs.iter().filter_map(|i| i.value).collect();
    let (lo, hi) = charts::color_range(&values, axis);
    let shapes: Vec<Vec<&boundaries::Area>> = inputs.iter().map(|i| parts_of(&i.parts)).collect();
    let bbox = shapes
        .iter()
        .flatten()
        .map(|a| a.bbox)
        .reduce(union)
        .unwrap_or([6.6, 36.6, 18.5, 47.1]);
    let [west, south, east, north] = bbox;
    let k = ((south + north) / 2.0).to_radians().cos();
    let (bw, bh) = (((east - west) * k).max(1e-6), (north - south).max(1e-6));
    let frame_w = f64::from(WIDTH) - LEGEND_W - 2.0 * MARGIN;
    let frame_h = (frame_w * bh / bw).clamp(260.0, 620.0);
    let scale = (frame_w / bw).min(frame_h / bh);
    let p = Projection {
        k,
        scale,
        west,
        north,
        left: MARGIN + (frame_w - bw * scale) / 2.0,
        top: TITLE_H + (frame_h - bh * scale) / 2.0,
    };
    let ring = |r: &Vec<Point>| r.iter().map(|&q| p.at(q)).collect::<Vec<_>>();
    // Neighbours of the finest level shown, for orientation.
    let drawn: std::collections::BTreeSet<(Layer, &str)> = inputs
        .iter()
        .flat_map(|i| i.parts.iter().map(|(l, c)| (*l, c.as_str())))
        .collect();
    let context_layer = drawn.iter().map(|(l, _)| *l).max();
    let context = context_layer
        .map(|layer| {
            boundaries::layer(layer)
                .filter(|(c, a)| {
                    !drawn.contains(&(layer, *c))
                        && a.bbox[0] < east
                        && a.bbox[2] > west
                        && a.bbox[1] < north
                        && a.bbox[3] > south
                })
                .map(|(_, a)| a.polygons.iter().flatten().map(ring).collect())
                .collect()
        })
        .unwrap_or_default();
    let named = inputs.len() <= NAMED_AREAS;
    let areas = inputs
        .iter()
        .zip(&shapes)
        .map(|(i, parts)| {
            let t = i
                .value
                .map(|v| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 });
            let fill = match (i.suppressed, t) {
                (true, _) => Fill::Suppressed,
                (false, Some(t)) => Fill::Value(charts::ramp(t)),
                (false, None) => Fill::Missing,
            };
            let rings: Vec<Vec<(f64, f64)>> = parts
                .iter()
                .flat_map(|a| a.polygons.iter().flatten())
                .map(ring)
                .collect();
            // The label in the largest part, at the point farthest inside it.
            let main = parts.iter().max_by(|a, b| {
                let size =
                    |x: &&&boundaries::Area| (x.bbox[2] - x.bbox[0]) * (x.bbox[3] - x.bbox[1]);
                size(a).total_cmp(&size(b))
            });
            let at = main.map(|a| p.at(a.label)).unwrap_or((0.0, 0.0));
            let (w, h) = main
                .map(|a| {
                    let (x0, y0) = p.at((a.bbox[0], a.bbox[3]));
                    let (x1, y1) = p.at((a.bbox[2], a.bbox[1]));
                    (x1 - x0, y1 - y0)
                })
                .unwrap_or((0.0, 0.0));
            let label = area_label(i, named, w, h);
            MapView::area(i, rings, fill, label, at, t.is_some_and(|t| t > 0.55))
        })
        .collect();
    let height = (TITLE_H + frame_h + FOOT_H).ceil() as u32;
    MapView {
        width: WIDTH,
        height,
        title,
        frame: [MARGIN, TITLE_H, MARGIN + frame_w, TITLE_H + frame_h],
        context,
        areas,
        legend: LegendView {
            unit: axis.unit.clone(),
            high: (axis.format)(hi),
            low: (axis.format)(lo),
            suppressed: format!("c — {}", l.confidential),
            missing: l.n_no_data.to_string(),
        },
        attribution: match locale {
            crate::config::Locale::It => format!("Confini: {}", boundaries::ATTRIBUTION),
            crate::config::Locale::En => format!("Boundaries: {}", boundaries::ATTRIBUTION),
        },
    }
}

/// What is written on an area: its name and value when they fit, `c` always when suppressed.
fn area_label(i: &Input, named: bool, w: f64, h: f64) -> Vec<String> {
    let name = short_name(&i.name).to_string();
    let value = if i.present {
        i.shown.clone()
    } else {
        "—".to_string()
    };
    let fits = |s: &str| text_width(s, 11.0) <= w * 0.9;
    if named && h >= 30.0 && fits(&name) && fits(&value) {
        vec![name, value]
    } else if i.suppressed {
        vec!["c".to_string()]
    } else if named && h >= 16.0 && fits(&value) {
        vec![value]
    } else {
        Vec::new()
    }
}

impl MapView {
    fn area(
        i: &Input,
        rings: Vec<Vec<(f64, f64)>>,
        fill: Fill,
        label: Vec<String>,
        at: (f64, f64),
        dark: bool,
    ) -> AreaView {
        let value = if i.present { i.shown.as_str() } else { "—" };
        AreaView {
            code: i.code.clone(),
            tooltip: format!("{}: {value}", i.name),
            rings,
            fill,
            label,
            at,
            light_text: dark && fill != Fill::Suppressed,
        }
    }
}

fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn esc(s: &str) -> String {
    crate::text::xml_escape(s)
}

fn path_data(rings: &[Vec<(f64, f64)>]) -> String {
    let mut d = String::new();
    for r in rings {
        for (k, (x, y)) in r.iter().enumerate() {
            let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
        }
        d.push('Z');
    }
    d
}

/// The map as SVG: one `<path class="area …">` per territory, then the labels and the legend.
pub fn svg(m: &MapView) -> String {
    let mut s = String::new();
    let (w, h) = (m.width, m.height);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="map-title"><title id="map-title">{}</title>"##,
        esc(&m.title)
    );
    let _ = write!(
        s,
        r##"<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="7" height="7"><rect width="7" height="7" fill="{}"/><path d="M-1 1L1 -1M0 7L7 0M6 8L8 6" stroke="{}" stroke-width="1.5"/></pattern><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">"##,
        hex(HIDDEN),
        hex(HATCH)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r#"<stop offset="{t}" stop-color="{}"/>"#,
            hex(charts::ramp(t))
        );
    }
    s.push_str("</linearGradient></defs>");
    let _ = write!(s, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    s.push_str(r#"<g class="context">"#);
    for c in &m.context {
        let _ = write!(
            s,
            r#"<path d="{}" fill="{}" stroke="{}" stroke-width="0.6" fill-rule="evenodd"/>"#,
            path_data(c),
            hex(CONTEXT),
            hex(CONTEXT_LINE)
        );
    }
    s.push_str("</g>");
    for [x, y, bw, bh] in bands(m) {
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#ffffff"/>"##
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="26" font-family="sans-serif" font-size="19" text-anchor="middle">{}</text>"##,
        w / 2,
        esc(&m.title)
    );
    s.push_str(r#"<g class="areas">"#);
    for a in &m.areas {
        let fill = match a.fill {
            Fill::Value(c) => hex(c),
            Fill::Suppressed => "url(#hatch)".to_string(),
            Fill::Missing => hex(MISSING),
        };
        let _ = write!(
            s,
            r##"<path class="area {}" data-territory="{}" d="{}" fill="{fill}" stroke="#ffffff" stroke-width="1" fill-rule="evenodd"><title>{}</title></path>"##,
            a.fill.class(),
            esc(&a.code),
            path_data(&a.rings),
            esc(&a.tooltip)
        );
    }
    s.push_str(
        r#"</g><g class="labels" font-family="sans-serif" font-size="11" text-anchor="middle">"#,
    );
    for a in &m.areas {
        for (k, line) in a.label.iter().enumerate() {
            let y = a.at.1 + label_dy(a.label.len(), k) + 4.0;
            let (color, halo) = if a.light_text {
                ("#ffffff", "")
            } else {
                (
                    "#000000",
                    r##" stroke="#ffffff" stroke-width="3" paint-order="stroke""##,
                )
            };
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{y:.1}" fill="{color}"{halo}>{}</text>"#,
                a.at.0,
                esc(line)
            );
        }
    }
    s.push_str("</g>");
    let lx = f64::from(w) - LEGEND_W + 20.0;
    let top = TITLE_H + 8.0;
    let _ = write!(
        s,
        r##"<g class="legend" font-family="sans-serif" font-size="11"><text x="{lx}" y="{}" fill="{}">{}</text><rect x="{lx}" y="{}" width="14" height="150" fill="url(#scale)"/><text x="{}" y="{}">{}</text><text x="{}" y="{}">{}</text><rect x="{lx}" y="{}" width="18" height="12" fill="url(#hatch)"/><text x="{}" y="{}">{}</text><rect x="{lx}" y="{}" width="18" height="12" fill="{}"/><text x="{}" y="{}">{}</text></g>"##,
        top,
        hex(MUTED),
        esc(&m.legend.unit),
        top + 10.0,
        lx + 20.0,
        top + 14.0,
        esc(&m.legend.high),
        lx + 20.0,
        top + 164.0,
        esc(&m.legend.low),
        top + 182.0,
        lx + 26.0,
        top + 192.0,
        esc(&m.legend.suppressed),
        top + 204.0,
        hex(MISSING),
        lx + 26.0,
        top + 214.0,
        esc(&m.legend.missing),
    );
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" font-family="sans-serif" font-size="10" fill="{}" text-anchor="end">{}</text></svg>"##,
        f64::from(w) - MARGIN,
        f64::from(h) - 8.0,
        hex(MUTED),
        esc(&m.attribution)
    );
    s
}

/// The white bands around the frame (title, legend, foot), as rectangles x, y, w, h: they cover
/// the neighbours that reach past the frame.
fn bands(m: &MapView) -> [[f64; 4]; 4] {
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
fn label_dy(n: usize, k: usize) -> f64 {
    (k as f64 - (n as f64 - 1.0) / 2.0) * 13.0
}

/// The spans of pixel row `y` inside `rings`, by the even-odd rule, as `[x0, x1)` columns.
fn spans(rings: &[Vec<(f64, f64)>], y: i32) -> Vec<(i32, i32)> {
    let yc = f64::from(y) + 0.5;
    let mut xs: Vec<f64> = Vec::new();
    for r in rings {
        for e in r.windows(2) {
            let ((x0, y0), (x1, y1)) = (e[0], e[1]);
            if (y0 <= yc) != (y1 <= yc) {
                xs.push(x0 + (yc - y0) * (x1 - x0) / (y1 - y0));
            }
        }
    }
    xs.sort_by(f64::total_cmp);
    xs.chunks_exact(2)
        .map(|p| ((p[0] - 0.5).ceil() as i32, (p[1] - 0.5).ceil() as i32))
        .filter(|(a, b)| b > a)
        .collect()
}

fn rows_of(rings: &[Vec<(f64, f64)>], height: u32) -> std::ops::Range<i32> {
    let (lo, hi) = rings
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if !lo.is_finite() {
        return 0..0;
    }
    (lo.floor().max(0.0) as i32)..(hi.ceil().min(f64::from(height)) as i32)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn paint(
    area: &Area,
    rings: &[Vec<(f64, f64)>],
    height: u32,
    fill: impl Fn(i32, i32) -> RGBColor,
    hatched: bool,
) -> Result<(), String> {
    for y in rows_of(rings, height) {
        for (x0, x1) in spans(rings, y) {
            if hatched {
                for x in x0..x1 {
                    area.draw_pixel((x, y), &fill(x, y)).map_err(err)?;
                }
            } else {
                area.draw(&Rectangle::new(
                    [(x0, y), (x1, y + 1)],
                    fill(x0, y).filled(),
                ))
                .map_err(err)?;
            }
        }
    }
    Ok(())
}

fn outline(
    area: &Area,
    rings: &[Vec<(f64, f64)>],
    color: RGBColor,
    width: u32,
) -> Result<(), String> {
    for r in rings {
        let pts: Vec<(i32, i32)> = r
            .iter()
            .map(|&(x, y)| (x.round() as i32, y.round() as i32))
            .collect();
        area.draw(&PathElement::new(pts, color.stroke_width(width)))
            .map_err(err)?;
    }
    Ok(())
}

fn text(
    area: &Area,
    s: &str,
    (x, y): (i32, i32),
    size: u32,
    color: RGBColor,
    h: HPos,
) -> Result<(), String> {
    let style = ("sans-serif", size)
        .into_font()
        .color(&color)
        .pos(Pos::new(h, VPos::Center));
    area.draw(&Text::new(s.to_string(), (x, y), style))
        .map_err(err)
}

/// The hatch of suppressed areas: diagonal lines, as the SVG pattern draws them.
fn hatch(x: i32, y: i32) -> RGBColor {
    if (x + y).rem_euclid(7) < 2 {
        HATCH
    } else {
        HIDDEN
    }
}

/// Paints the map into a PNG.
pub fn png(m: &MapView, path: &Path) -> Result<(), String> {
    charts::register_fonts();
    let root = BitMapBackend::new(path, (m.width, m.height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    for c in &m.context {
        paint(&root, c, m.height, |_, _| CONTEXT, false)?;
        outline(&root, c, CONTEXT_LINE, 1)?;
    }
    for [x, y, w, h] in bands(m) {
        let (x0, y0) = (x.floor() as i32, y.floor() as i32);
        let (x1, y1) = ((x + w).ceil() as i32, (y + h).ceil() as i32);
        root.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
            .map_err(err)?;
    }
    text(
        &root,
        &m.title,
        (m.width as i32 / 2, 20),
        19,
        BLACK,
        HPos::Center,
    )?;
    for a in &m.areas {
        match a.fill {
            Fill::Value(c) => paint(&root, &a.rings, m.height, |_, _| c, false)?,
            Fill::Suppressed => paint(&root, &a.rings, m.height, hatch, true)?,
            Fill::Missing => paint(&root, &a.rings, m.height, |_, _| MISSING, false)?,
        }
    }
    for a in &m.areas {
        outline(&root, &a.rings, WHITE, 1)?;
    }
    for a in &m.areas {
        for (k, line) in a.label.iter().enumerate() {
            let at = (
                a.at.0.round() as i32,
                (a.at.1 + label_dy(a.label.len(), k)).round() as i32,
            );
            if a.light_text {
                text(&root, line, at, 11, WHITE, HPos::Center)?;
            } else {
                for (dx, dy) in [
                    (-1, 0),
                    (1, 0),
                    (0, -1),
                    (0, 1),
                    (-1, -1),
                    (1, 1),
                    (-1, 1),
                    (1, -1),
                ] {
                    text(&root, line, (at.0 + dx, at.1 + dy), 11, WHITE, HPos::Center)?;
                }
                text(&root, line, at, 11, BLACK, HPos::Center)?;
            }
        }
    }
    let lx = (f64::from(m.width) - LEGEND_W + 20.0) as i32;
    let top = (TITLE_H + 8.0) as i32;
    text(&root, &m.legend.unit, (lx, top - 4), 11, MUTED, HPos::Left)?;
    for k in 0..150 {
        let t = 1.0 - f64::from(k) / 150.0;
        root.draw(&Rectangle::new(
            [(lx, top + 10 + k), (lx + 14, top + 11 + k)],
            charts::ramp(t).filled(),
        ))
        .map_err(err)?;
    }
    text(
        &root,
        &m.legend.high,
        (lx + 20, top + 10),
        11,
        BLACK,
        HPos::Left,
    )?;
    text(
        &root,
        &m.legend.low,
        (lx + 20, top + 160),
        11,
        BLACK,
        HPos::Left,
    )?;
    for y in top + 182..top + 194 {
        for x in lx..lx + 18 {
            root.draw_pixel((x, y), &hatch(x, y)).map_err(err)?;
        }
    }
    text(
        &root,
        &m.legend.suppressed,
        (lx + 26, top + 188),
        11,
        BLACK,
        HPos::Left,
    )?;
    root.draw(&Rectangle::new(
        [(lx, top + 204), (lx + 18, top + 216)],
        MISSING.filled(),
    ))
    .map_err(err)?;
    text(
        &root,
        &m.legend.missing,
        (lx + 26, top + 210),
        11,
        BLACK,
        HPos::Left,
    )?;
    text(
        &root,
        &m.attribution,
        (m.width as i32 - MARGIN as i32, m.height as i32 - 11),
        10,
        MUTED,
        HPos::Right,
    )?;
    root.present()
        .map_err(|e| format!("{}: {e}", path.display()))
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
                period.and_then(|p| ctx.figures.get(indicator, t, &p.to_string()));
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
    std::fs::write(&svg_path, svg(&m)).map_err(|e| super::io(&svg_path, e))?;
    png(&m, &dir.join(format!("{name}.png"))).map_err(RenderError::Io)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_with_a_hole_fills_around_it() {
        let outer = vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        let hole = vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)];
        assert_eq!(spans(std::slice::from_ref(&outer), 2), vec![(0, 10)]);
        assert_eq!(spans(&[outer, hole], 5), vec![(0, 4), (6, 10)]);
    }

    #[test]
    fn names_lose_the_words_every_province_shares() {
        assert_eq!(short_name("Provincia di Treviso"), "Treviso");
        assert_eq!(short_name("Città metropolitana di Venezia"), "Venezia");
        assert_eq!(short_name("Ambito di Lodi"), "Lodi");
        assert_eq!(short_name("Padova"), "Padova");
    }
}
