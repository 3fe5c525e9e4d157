//! Static charts drawn with plotters, each as SVG and PNG, with an embedded font so that no system
//! font is needed.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 420;

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 94, 160),
    RGBColor(214, 110, 24),
    RGBColor(44, 140, 74),
    RGBColor(170, 48, 56),
    RGBColor(120, 84, 168),
    RGBColor(120, 90, 60),
    RGBColor(200, 80, 160),
    RGBColor(90, 90, 90),
];
const TARGET: RGBColor = RGBColor(60, 60, 60);

static FONTS: Once = Once::new();

fn register_fonts() {
    FONTS.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is compiled in; registering it can only fail if the file were corrupt.
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}

pub type Formatter = Box<dyn Fn(f64) -> String>;

pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub targets: Vec<Option<f64>>,
}

pub enum Chart {
    /// One line per territory over periods, with its target as a dashed line.
    Lines {
        title: String,
        labels: Vec<String>,
        series: Vec<Series>,
        format: Formatter,
        target_label: String,
    },
    /// One bar per territory, with a marker at each target.
    Bars {
        title: String,
        labels: Vec<String>,
        values: Vec<Option<f64>>,
        targets: Vec<Option<f64>>,
        format: Formatter,
        target_label: String,
    },
    /// Achievement against target (%) for several indicators, with a line at 100%.
    Achievement {
        title: String,
        labels: Vec<String>,
        achievements: Vec<Option<f64>>,
        notes: Vec<String>,
        axis: String,
    },
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Writes the chart as SVG and PNG.
pub fn write(chart: &Chart, svg: &Path, png: &Path) -> Result<(), String> {
    register_fonts();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(err)?;
    }
    std::fs::write(svg, s).map_err(|e| format!("{}: {e}", svg.display()))?;
    let root = BitMapBackend::new(png, (WIDTH, HEIGHT)).into_drawing_area();
    draw(chart, &root)?;
    root.present()
        .map_err(|e| format!("{}: {e}", png.display()))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Lines {
            title,
            labels,
            series,
            format,
            target_label,
        } => lines(root, title, labels, series, format, target_label),
        Chart::Bars {
            title,
            labels,
            values,
            targets,
            format,
            target_label,
        } => bars(root, title, labels, values, targets, format, target_label),
        Chart::Achievement {
            title,
            labels,
            achievements,
            notes,
            axis,
        } => achievement(root, title, labels, achievements, notes, axis),
    }
}

/// A y range that includes zero and every value, with some headroom.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    (lo, hi + (hi - lo) * 0.1)
}

/// Shows at most about `max` labels along an axis of `n` positions.
fn label_step(n: usize, max: usize) -> usize {
    n.div_ceil(max).max(1)
}

fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> Result<(), String> {
    root.draw(&Text::new(
        title.to_string(),
        (20, 20),
        ("sans-serif", 20).into_font(),
    ))
    .map_err(err)?;
    root.draw(&Text::new(
        "—",
        (WIDTH as i32 / 2, HEIGHT as i32 / 2),
        ("sans-serif", 24).into_font(),
    ))
    .map_err(err)?;
    Ok(())
}

type CategoryChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart with one slot per label along x (every `step`-th labelled) and values on y.
fn category_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    (lo, hi): (f64, f64),
    format: &Formatter,
    step: usize,
) -> Result<CategoryChart<'a, DB>, String> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round() as usize;
            if (x - x.round()).abs() < 1e-6 && i < n && i.is_multiple_of(step) {
                labels[i].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format(*y))
        .label_style(("sans-serif", 12))
        .light_line_style(RGBColor(238, 240, 243))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    series: &[Series],
    format: &Formatter,
    target_label: &str,
) -> Result<(), String> {
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().chain(&s.targets).flatten().copied());
    if labels.is_empty() || series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return no_data(root, title);
    }
    let (lo, hi) = y_range(all);
    let n = labels.len();
    // Keep the legend away from where the lines mostly run.
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .collect();
    let mid = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let legend_at = if mid > (lo + hi) / 2.0 {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperLeft
    };
    let mut chart = category_chart(root, title, labels, (lo, hi), format, label_step(n, 12))?;
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        // Missing or suppressed periods break the line rather than being drawn as zero.
        let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => segments
                    .last_mut()
                    .map(|seg| seg.push((i as f64, *v)))
                    .unwrap_or(()),
                None => segments.push(Vec::new()),
            }
        }
        let mut labelled = false;
        for seg in segments.into_iter().filter(|s| !s.is_empty()) {
            let points = seg.clone();
            let drawn = chart
                .draw_series(LineSeries::new(seg, color.stroke_width(2)))
                .map_err(err)?;
            if !labelled {
                drawn.label(s.name.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
                labelled = true;
            }
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 2, color.filled())),
                )
                .map_err(err)?;
        }
        let targets: Vec<(f64, f64)> = s
            .targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i as f64, t)))
            .collect();
        if !targets.is_empty() {
            let style = color.mix(0.8).stroke_width(1);
            let drawn = chart
                .draw_series(DashedLineSeries::new(targets, 6, 4, style))
                .map_err(err)?;
            if k == 0 {
                drawn.label(target_label.to_string()).legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], TARGET.stroke_width(1))
                });
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .position(legend_at)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    values: &[Option<f64>],
    targets: &[Option<f64>],
    format: &Formatter,
    target_label: &str,
) -> Result<(), String> {
    if values.iter().all(Option::is_none) {
        return no_data(root, title);
    }
    let (lo, hi) = y_range(values.iter().chain(targets).flatten().copied());
    let mut chart = category_chart(root, title, labels, (lo, hi), format, 1)?;
    let bars = values.iter().enumerate().filter_map(|(i, v)| {
        v.map(|v| {
            Rectangle::new(
                [(i as f64 - 0.35, 0.0), (i as f64 + 0.35, v)],
                PALETTE[0].filled(),
            )
        })
    });
    chart.draw_series(bars).map_err(err)?;
    let value_labels = values.iter().enumerate().filter_map(|(i, v)| {
        v.map(|v| {
            Text::new(
                format(v),
                (i as f64 - 0.3, v),
                ("sans-serif", 12).into_font().color(&BLACK),
            )
        })
    });
    chart.draw_series(value_labels).map_err(err)?;
    let marks: Vec<_> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            t.map(|t| {
                PathElement::new(
                    vec![(i as f64 - 0.45, t), (i as f64 + 0.45, t)],
                    TARGET.stroke_width(3),
                )
            })
        })
        .collect();
    if !marks.is_empty() {
        chart
            .draw_series(marks)
            .map_err(err)?
            .label(target_label.to_string())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], TARGET.stroke_width(3)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

fn achievement<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    achievements: &[Option<f64>],
    notes: &[String],
    axis: &str,
) -> Result<(), String> {
    let n = labels.len().max(1);
    let hi = achievements
        .iter()
        .flatten()
        .fold(120.0f64, |m, v| m.max(*v * 1.1));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(10)
        .build_cartesian_2d(0f64..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(axis)
        .x_label_formatter(&|x| format!("{x:.0}%"))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    let color = |a: f64| {
        if a >= 100.0 {
            PALETTE[2]
        } else if a >= 90.0 {
            PALETTE[1]
        } else {
            PALETTE[3]
        }
    };
    let y = |i: usize| (n - 1 - i) as f64;
    chart
        .draw_series(achievements.iter().enumerate().filter_map(|(i, a)| {
            a.map(|a| {
                Rectangle::new(
                    [(0.0, y(i) - 0.3), (a.min(hi), y(i) + 0.3)],
                    color(a).mix(0.85).filled(),
                )
            })
        }))
        .map_err(err)?;
    chart
        .draw_series(labels.iter().zip(notes).enumerate().map(|(i, (l, note))| {
            Text::new(
                format!("{l} — {note}"),
                (hi * 0.01, y(i) + 0.42),
                ("sans-serif", 13).into_font().color(&BLACK),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(100.0, -0.5), (100.0, n as f64 - 0.5)],
            TARGET.stroke_width(2),
        )))
        .map_err(err)?;
    Ok(())
}
