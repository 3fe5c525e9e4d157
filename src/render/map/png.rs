//! The map painted into a PNG by scanlines (even-odd, so holes stay holes).

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts;
use super::{
    CONTEXT, CONTEXT_LINE, Fill, HATCH, HIDDEN, LEGEND_W, MARGIN, MISSING, MUTED, MapView, TITLE_H,
    bands, label_dy,
};

/// What painting into the bitmap can fail with.
pub type DrawError = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// Why a map's PNG was not written.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("{0}")]
    Draw(#[source] DrawError),
    #[error("{path}: {source}")]
    Write {
        path: String,
        #[source]
        source: DrawError,
    },
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

fn paint(
    area: &Area,
    rings: &[Vec<(f64, f64)>],
    height: u32,
    fill: impl Fn(i32, i32) -> RGBColor,
    hatched: bool,
) -> Result<(), DrawError> {
    for y in rows_of(rings, height) {
        for (x0, x1) in spans(rings, y) {
            if hatched {
                for x in x0..x1 {
                    area.draw_pixel((x, y), &fill(x, y))?;
                }
            } else {
                area.draw(&Rectangle::new(
                    [(x0, y), (x1, y + 1)],
                    fill(x0, y).filled(),
                ))?;
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
) -> Result<(), DrawError> {
    for r in rings {
        let pts: Vec<(i32, i32)> = r
            .iter()
            .map(|&(x, y)| (x.round() as i32, y.round() as i32))
            .collect();
        area.draw(&PathElement::new(pts, color.stroke_width(width)))?;
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
) -> Result<(), DrawError> {
    let style = ("sans-serif", size)
        .into_font()
        .color(&color)
        .pos(Pos::new(h, VPos::Center));
    area.draw(&Text::new(s.to_string(), (x, y), style))
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
pub fn png(m: &MapView, path: &Path) -> Result<(), PngError> {
    charts::register_fonts();
    let root = BitMapBackend::new(path, (m.width, m.height)).into_drawing_area();
    paint_map(&root, m).map_err(PngError::Draw)?;
    root.present().map_err(|source| PngError::Write {
        path: path.display().to_string(),
        source,
    })
}

fn paint_map(root: &Area, m: &MapView) -> Result<(), DrawError> {
    root.fill(&WHITE)?;
    for c in &m.context {
        paint(root, c, m.height, |_, _| CONTEXT, false)?;
        outline(root, c, CONTEXT_LINE, 1)?;
    }
    for [x, y, w, h] in bands(m) {
        let (x0, y0) = (x.floor() as i32, y.floor() as i32);
        let (x1, y1) = ((x + w).ceil() as i32, (y + h).ceil() as i32);
        root.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))?;
    }
    text(
        root,
        &m.title,
        (m.width as i32 / 2, 20),
        19,
        BLACK,
        HPos::Center,
    )?;
    for a in &m.areas {
        match a.fill {
            Fill::Value(c) => paint(root, &a.rings, m.height, |_, _| c, false)?,
            Fill::Suppressed => paint(root, &a.rings, m.height, hatch, true)?,
            Fill::Missing => paint(root, &a.rings, m.height, |_, _| MISSING, false)?,
        }
    }
    for a in &m.areas {
        outline(root, &a.rings, WHITE, 1)?;
    }
    paint_labels(root, m)?;
    paint_legend(root, m)?;
    text(
        root,
        &m.attribution,
        (m.width as i32 - MARGIN as i32, m.height as i32 - 11),
        10,
        MUTED,
        HPos::Right,
    )
}

/// The areas' labels: white on a dark fill, black with a white halo elsewhere.
fn paint_labels(root: &Area, m: &MapView) -> Result<(), DrawError> {
    for a in &m.areas {
        for (k, line) in a.label.iter().enumerate() {
            let at = (
                a.at.0.round() as i32,
                (a.at.1 + label_dy(a.label.len(), k)).round() as i32,
            );
            if a.light_text {
                text(root, line, at, 11, WHITE, HPos::Center)?;
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
                    text(root, line, (at.0 + dx, at.1 + dy), 11, WHITE, HPos::Center)?;
                }
                text(root, line, at, 11, BLACK, HPos::Center)?;
            }
        }
    }
    Ok(())
}

/// The unit, the colour scale with its ends, the hatch and the grey of a missing figure.
fn paint_legend(root: &Area, m: &MapView) -> Result<(), DrawError> {
    let lx = (f64::from(m.width) - LEGEND_W + 20.0) as i32;
    let top = (TITLE_H + 8.0) as i32;
    text(root, &m.legend.unit, (lx, top - 4), 11, MUTED, HPos::Left)?;
    for k in 0..150 {
        let t = 1.0 - f64::from(k) / 150.0;
        root.draw(&Rectangle::new(
            [(lx, top + 10 + k), (lx + 14, top + 11 + k)],
            charts::ramp(t).filled(),
        ))?;
    }
    let left = |s: &str, y: i32| text(root, s, (lx + 20, y), 11, BLACK, HPos::Left);
    left(&m.legend.high, top + 10)?;
    left(&m.legend.low, top + 160)?;
    for y in top + 182..top + 194 {
        for x in lx..lx + 18 {
            root.draw_pixel((x, y), &hatch(x, y))?;
        }
    }
    text(
        root,
        &m.legend.suppressed,
        (lx + 26, top + 188),
        11,
        BLACK,
        HPos::Left,
    )?;
    root.draw(&Rectangle::new(
        [(lx, top + 204), (lx + 18, top + 216)],
        MISSING.filled(),
    ))?;
    text(
        root,
        &m.legend.missing,
        (lx + 26, top + 210),
        11,
        BLACK,
        HPos::Left,
    )
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
}
