//! The heatmap of territories by period, and the colour scale maps share.

use super::*;

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

/// Where the heatmap's cells go and how they are coloured.
struct Grid {
    left: i32,
    top: i32,
    cell_w: i32,
    cell_h: i32,
    /// Whether cells are wide enough to write their values.
    show_values: bool,
    /// The values the colour scale spans.
    range: (f64, f64),
}

pub(super) fn heatmap<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<HeatCell>],
    axis: &Axis,
) -> Result<(), ChartError> {
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
    let (left, top, legend_w) = (190i32, 8i32, 110i32);
    let cols = columns.len() as i32;
    let cell_w = ((w as i32 - left - legend_w - 10) / cols).max(4);
    let grid = Grid {
        left,
        top,
        cell_w,
        cell_h: 30,
        show_values: cell_w >= 44,
        range: color_range(&values, axis),
    };
    for (r, name) in rows.iter().enumerate() {
        let y0 = top + r as i32 * grid.cell_h;
        area.draw(&Text::new(
            clip(name, 26),
            (left - 8, y0 + grid.cell_h / 2),
            anchored(12, HPos::Right, VPos::Center),
        ))
        .map_err(err)?;
        let row = cells.get(r).map(Vec::as_slice).unwrap_or(&[]);
        for (c, cell) in row.iter().enumerate() {
            heat_cell(&area, &grid, cell, (left + c as i32 * cell_w, y0), axis)?;
        }
    }
    period_labels(&area, &grid, columns, rows.len())?;
    color_key(&area, &grid, w as i32 - legend_w + 10, rows.len(), axis)
}

/// One cell at `(x0, y0)`: its colour, and its value when the cells are wide enough (always the
/// mark of a hidden or missing figure).
fn heat_cell<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    g: &Grid,
    cell: &HeatCell,
    (x0, y0): (i32, i32),
    axis: &Axis,
) -> Result<(), ChartError> {
    let (lo, hi) = g.range;
    let (fill, text, dark) = match cell {
        HeatCell::Value(v) => {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            (ramp(t), (axis.format)(*v), t > 0.55)
        }
        HeatCell::Hidden => (RGBColor(214, 218, 223), "c".to_string(), false),
        HeatCell::Missing => (WHITE, "—".to_string(), false),
    };
    let corners = [(x0, y0), (x0 + g.cell_w, y0 + g.cell_h)];
    area.draw(&Rectangle::new(corners, fill.filled()))
        .map_err(err)?;
    area.draw(&Rectangle::new(corners, WHITE.stroke_width(1)))
        .map_err(err)?;
    if g.show_values || !matches!(cell, HeatCell::Value(_)) {
        let color = if dark { WHITE } else { BLACK };
        area.draw(&Text::new(
            text,
            (x0 + g.cell_w / 2, y0 + g.cell_h / 2),
            anchored(
                if g.show_values { 11 } else { 9 },
                HPos::Center,
                VPos::Center,
            )
            .color(&color),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The period labels under the grid of `n_rows` rows, thinned so they never overlap.
fn period_labels<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    g: &Grid,
    columns: &[String],
    n_rows: usize,
) -> Result<(), ChartError> {
    let label_px = 62;
    let step = ((label_px + g.cell_w - 1) / g.cell_w).max(1) as usize;
    let y_labels = g.top + n_rows as i32 * g.cell_h + 14;
    for (c, label) in columns.iter().enumerate().filter(|(c, _)| c % step == 0) {
        area.draw(&Text::new(
            label.clone(),
            (g.left + c as i32 * g.cell_w + g.cell_w / 2, y_labels),
            anchored(11, HPos::Center, VPos::Center),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The colour key at `kx`, beside the grid of `n_rows` rows: the ramp, its ends and the unit.
fn color_key<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    g: &Grid,
    kx: i32,
    n_rows: usize,
    axis: &Axis,
) -> Result<(), ChartError> {
    let (lo, hi) = g.range;
    let top = g.top;
    let kh = (n_rows as i32 * g.cell_h).clamp(60, 160);
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
