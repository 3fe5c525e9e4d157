//! The projection of the territories into a map: areas in pixels, their fill and labels, the
//! neighbours around them, the legend.

use std::collections::BTreeSet;

use super::charts::{self, Axis};
use super::{
    AreaView, FOOT_H, Fill, Input, LEGEND_W, LegendView, MARGIN, MapView, NAMED_AREAS, TITLE_H,
    WIDTH,
};
use crate::config::boundaries::{self, Layer, Point};
use crate::render::labels;

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
    let values: Vec<f64> = inputs.iter().filter_map(|i| i.value).collect();
    let range = charts::color_range(&values, axis);
    let shapes: Vec<Vec<&boundaries::Area>> = inputs.iter().map(|i| parts_of(&i.parts)).collect();
    let bbox = shapes
        .iter()
        .flatten()
        .map(|a| a.bbox)
        .reduce(union)
        .unwrap_or([6.6, 36.6, 18.5, 47.1]);
    let (p, frame_w, frame_h) = Projection::fitting(bbox);
    let named = inputs.len() <= NAMED_AREAS;
    let areas = inputs
        .iter()
        .zip(&shapes)
        .map(|(i, parts)| p.area(i, parts, range, named))
        .collect();
    MapView {
        width: WIDTH,
        height: (TITLE_H + frame_h + FOOT_H).ceil() as u32,
        title,
        frame: [MARGIN, TITLE_H, MARGIN + frame_w, TITLE_H + frame_h],
        context: p.context(inputs, bbox),
        areas,
        legend: legend(axis, range, locale),
        attribution: match locale {
            crate::config::Locale::It => format!("Confini: {}", boundaries::ATTRIBUTION),
            crate::config::Locale::En => format!("Boundaries: {}", boundaries::ATTRIBUTION),
        },
    }
}

fn legend(axis: &Axis, (lo, hi): (f64, f64), locale: crate::config::Locale) -> LegendView {
    let l = labels::labels(locale);
    LegendView {
        unit: axis.unit.clone(),
        high: (axis.format)(hi),
        low: (axis.format)(lo),
        suppressed: format!("c — {}", l.confidential),
        missing: l.n_no_data.to_string(),
    }
}

impl Projection {
    /// The projection of `bbox` (west, south, east, north) into the frame beside the legend,
    /// with the frame's width and height.
    fn fitting(bbox: [f64; 4]) -> (Projection, f64, f64) {
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
        (p, frame_w, frame_h)
    }

    fn ring(&self, r: &[Point]) -> Vec<(f64, f64)> {
        r.iter().map(|&q| self.at(q)).collect()
    }

    /// Neighbours of the finest level shown, within `bbox`, for orientation.
    fn context(&self, inputs: &[Input], bbox: [f64; 4]) -> Vec<Vec<Vec<(f64, f64)>>> {
        let [west, south, east, north] = bbox;
        let drawn: BTreeSet<(Layer, &str)> = inputs
            .iter()
            .flat_map(|i| i.parts.iter().map(|(l, c)| (*l, c.as_str())))
            .collect();
        let Some(layer) = drawn.iter().map(|(l, _)| *l).max() else {
            return Vec::new();
        };
        boundaries::layer(layer)
            .filter(|(c, a)| {
                !drawn.contains(&(layer, *c))
                    && a.bbox[0] < east
                    && a.bbox[2] > west
                    && a.bbox[1] < north
                    && a.bbox[3] > south
            })
            .map(|(_, a)| a.polygons.iter().flatten().map(|r| self.ring(r)).collect())
            .collect()
    }

    /// One territory as drawn: its value placed on the colour range `(lo, hi)`.
    fn area(
        &self,
        i: &Input,
        parts: &[&boundaries::Area],
        (lo, hi): (f64, f64),
        named: bool,
    ) -> AreaView {
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
            .map(|r| self.ring(r))
            .collect();
        // The label in the largest part, at the point farthest inside it.
        let main = parts.iter().max_by(|a, b| {
            let size = |x: &&&boundaries::Area| (x.bbox[2] - x.bbox[0]) * (x.bbox[3] - x.bbox[1]);
            size(a).total_cmp(&size(b))
        });
        let at = main.map(|a| self.at(a.label)).unwrap_or((0.0, 0.0));
        let (w, h) = main
            .map(|a| {
                let (x0, y0) = self.at((a.bbox[0], a.bbox[3]));
                let (x1, y1) = self.at((a.bbox[2], a.bbox[1]));
                (x1 - x0, y1 - y0)
            })
            .unwrap_or((0.0, 0.0));
        let label = area_label(i, named, w, h);
        MapView::area(i, rings, fill, label, at, t.is_some_and(|t| t > 0.55))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_the_words_every_province_shares() {
        assert_eq!(short_name("Provincia di Treviso"), "Treviso");
        assert_eq!(short_name("Città metropolitana di Venezia"), "Venezia");
        assert_eq!(short_name("Ambito di Lodi"), "Lodi");
        assert_eq!(short_name("Padova"), "Padova");
    }
}
