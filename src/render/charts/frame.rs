//! What every chart shares: fonts, titles, value ranges, labels, legends, the period plot and its series.

use super::*;

pub(super) fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

pub(super) fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).pos(Pos::new(h, v))
}

/// The area below the title.
pub(super) fn titled<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    root.titled(title, ("sans-serif", 19).into_font())
        .map_err(err)
}

/// A value range covering `values`, from zero when asked, with a little room above and below.
pub(super) fn value_range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
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
pub(super) fn label_step(n: usize, max: usize) -> usize {
    n.div_ceil(max).max(1)
}

/// Shortens a label to `max` characters, with an ellipsis.
pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

pub(super) fn no_data<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(), ChartError> {
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
pub(super) enum LegendMark {
    Line(RGBColor),
    Dashed,
    Tick,
}

pub(super) fn legend<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    items: &[(LegendMark, String)],
) -> Result<(), ChartError> {
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
pub(super) fn segments(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
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
pub(super) fn target_runs(targets: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
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

/// Periods along x (every `step`-th labelled), values along y with their unit; major grid only.
pub(super) fn period_plot<'a, DB: DrawingBackend<ErrorType: 'static>>(
    area: &'a DrawingArea<DB, Shift>,
    labels: &[String],
    (lo, hi): (f64, f64),
    axis: &Axis,
    step: usize,
    small: bool,
) -> Result<Plot<'a, DB>, ChartError> {
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

pub(super) fn draw_series<DB: DrawingBackend<ErrorType: 'static>>(
    chart: &mut Plot<'_, DB>,
    s: &Series,
    color: RGBColor,
) -> Result<(), ChartError> {
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
pub(super) fn nothing_over_time(labels: &[String], series: &[Series]) -> bool {
    labels.is_empty() || series.iter().all(|s| s.values.iter().all(Option::is_none))
}

/// The value range that holds every value and target of `series`.
pub(super) fn series_range(series: &[Series], axis: &Axis) -> (f64, f64) {
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().chain(&s.targets).flatten().copied());
    value_range(all, axis.from_zero)
}
