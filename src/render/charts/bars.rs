//! Bars: territories side by side for one period, and achievement against targets.

use super::*;

/// What a bar chart shows, one entry per territory.
pub(super) struct Bars<'a> {
    pub(super) labels: &'a [String],
    pub(super) values: &'a [Option<f64>],
    pub(super) placeholders: &'a [String],
    pub(super) targets: &'a [Option<f64>],
}

impl Bars<'_> {
    /// Positions from top to bottom: largest value first, then those without a value.
    pub(super) fn order(&self) -> Vec<usize> {
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

/// Territories along y (the first row at the top, each label clipped), values along x.
fn row_plot<'a, DB: DrawingBackend<ErrorType: 'static>>(
    area: &'a DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    (n, names): (usize, &[String]),
    label_area: u32,
    x_label: &dyn Fn(&f64) -> String,
    x_desc: &str,
) -> Result<Plot<'a, DB>, ChartError> {
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(label_area)
        .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
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
        .x_label_formatter(x_label)
        .x_desc(x_desc)
        .axis_desc_style(font(12).color(&MUTED))
        .label_style(font(12))
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    Ok(chart)
}

pub(super) fn bars<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    b: &Bars,
    axis: &Axis,
    target_label: &str,
) -> Result<(), ChartError> {
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
    let x_label = |x: &f64| (axis.format)(*x);
    let mut chart = row_plot(
        &plot_area,
        (lo, hi),
        (n, &names),
        190,
        &x_label,
        axis.unit.as_str(),
    )?;
    for (row, &i) in order.iter().enumerate() {
        // Row 0 is drawn at the top.
        bar_row(&mut chart, b, i, (n - 1 - row) as f64, axis, hi - lo)?;
    }
    if has_targets {
        legend(
            &legend_area,
            &[(LegendMark::Tick, target_label.to_string())],
        )?;
    }
    Ok(())
}

/// Territory `i`'s bar, target tick and value label at height `yc`; `span` is the x range.
fn bar_row<DB: DrawingBackend<ErrorType: 'static>>(
    chart: &mut Plot<'_, DB>,
    b: &Bars,
    i: usize,
    yc: f64,
    axis: &Axis,
    span: f64,
) -> Result<(), ChartError> {
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
            (end + span * 0.012, yc),
            anchored(12, HPos::Left, VPos::Center),
        )))
        .map_err(err)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn achievement<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    achievements: &[Option<f64>],
    statuses: &[Status],
    notes: &[String],
    axis: &str,
    target_label: &str,
) -> Result<(), ChartError> {
    let area = titled(root, title)?;
    let n = labels.len().max(1);
    let top = achievements
        .iter()
        .flatten()
        .fold(100.0f64, |m, v| m.max(*v));
    // Room past the bar and the 100% line for the label.
    let hi = top * 1.55;
    let names: Vec<String> = labels.iter().map(|l| clip(l, 34)).collect();
    let x_label = |x: &f64| format!("{x:.0}%");
    let mut chart = row_plot(&area, (0.0, hi), (n, &names), 250, &x_label, axis)?;
    let y = |i: usize| (n - 1 - i) as f64;
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
                format!("{} {note}", crate::render::format::status_symbol(status)),
                (end + hi * 0.012, y(i)),
                anchored(12, HPos::Left, VPos::Center),
            )))
            .map_err(err)?;
    }
    target_line(&mut chart, n, target_label)
}

/// The dashed line at 100 % of the target across every row, named at its top.
fn target_line<DB: DrawingBackend<ErrorType: 'static>>(
    chart: &mut Plot<'_, DB>,
    n: usize,
    target_label: &str,
) -> Result<(), ChartError> {
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
