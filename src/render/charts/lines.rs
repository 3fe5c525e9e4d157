//! Trends over time: one line per territory, or one small panel each.

use super::*;

pub(super) fn lines<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    series: &[Series],
    axis: &Axis,
    target_label: &str,
) -> Result<(), ChartError> {
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

pub(super) const PANEL_COLUMNS: usize = 3;

pub(super) fn small_multiples<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    panels: &[Series],
    axis: &Axis,
    target_label: &str,
) -> Result<(), ChartError> {
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
