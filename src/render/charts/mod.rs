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

mod bars;
mod frame;
mod heatmap;
mod lines;
mod tiles;

use bars::*;
use frame::*;
use heatmap::*;
pub(crate) use heatmap::{color_range, ramp};
use lines::*;
use tiles::*;

pub(super) const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
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
                let layout = TileLayout::of(tiles.len());
                44 + tiles
                    .chunks(layout.columns)
                    .map(|row| layout.row_height(row) + TILE_GAP as u32)
                    .sum::<u32>()
            }
        };
        (WIDTH, h)
    }
}

/// Why a chart was not drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The drawing library refused a step of the drawing.
    #[error("{0}")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The SVG file cannot be written.
    #[error("{}: {source}", path.display())]
    Svg {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The PNG file cannot be drawn or written.
    #[error("{}: {source}", path.display())]
    Png {
        path: std::path::PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The font compiled into the program does not load.
    #[error("font: {0}")]
    Font(#[from] ab_glyph::InvalidFont),
}

impl ChartError {
    /// The error in `locale`'s words, for the pages.
    pub fn text(&self, locale: crate::config::Locale) -> String {
        use crate::config::Locale;
        match (self, locale) {
            (_, Locale::En) => self.to_string(),
            (ChartError::Draw(e), Locale::It) => {
                format!("la libreria di disegno si è fermata: {e}")
            }
            (ChartError::Svg { path, source }, Locale::It) => {
                format!(
                    "{}: {}",
                    path.display(),
                    crate::render::error::io_it(source)
                )
            }
            (ChartError::Png { path, source }, Locale::It) => {
                format!(
                    "{}: l'immagine PNG non si può scrivere: {source}",
                    path.display()
                )
            }
            (ChartError::Font(e), Locale::It) => {
                format!("il carattere incluso nel programma non si carica: {e}")
            }
        }
    }
}

fn err<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(Box::new(e))
}

/// Writes the chart as SVG and PNG.
pub fn write(chart: &Chart, svg: &Path, png: &Path) -> Result<(), ChartError> {
    register_fonts();
    let size = chart.size();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(err)?;
    }
    std::fs::write(svg, s).map_err(|source| ChartError::Svg {
        path: svg.to_path_buf(),
        source,
    })?;
    let font = ab_glyph::FontRef::try_from_slice(FONT)?;
    let root = super::png::Png::new(BitMapBackend::new(png, size), font).into_drawing_area();
    draw(chart, &root)?;
    root.present().map_err(|e| ChartError::Png {
        path: png.to_path_buf(),
        source: Box::new(e),
    })?;
    Ok(())
}

fn draw<DB: DrawingBackend<ErrorType: 'static>>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
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

type Plot<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

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
    fn tile_text_fits_its_tile_and_nothing_is_cut_off() {
        register_fonts();
        let tile = TileView {
            title: "Costo ammesso per ospite al giorno nelle strutture della provincia".into(),
            value: "1.234.567,89 €".into(),
            meta: "2026 (gen–ott) · Valore atteso 33,00 €".into(),
            status: Some(("○ non in linea".into(), Status::OffTrack)),
            change: Some((
                "▼ −15,0 punti rispetto a 2025 (gen–ott)".into(),
                "in peggioramento".into(),
                Some(false),
            )),
        };
        let layout = TileLayout::of(5);
        let lines = layout.lines(&tile, layout.title_lines(&tile));
        for l in &lines {
            assert!(!l.text.contains('…'), "{:?} is cut", l.text);
            assert!(
                text_width(&l.text, l.size) <= layout.inner(),
                "{:?} is {} px wide in a tile of {}",
                l.text,
                text_width(&l.text, l.size),
                layout.inner()
            );
        }
        // Every word is there, in order: the lines only break the text.
        let said: Vec<&str> = lines
            .iter()
            .flat_map(|l| l.text.split(' '))
            .filter(|w| !w.is_empty())
            .collect();
        let meant = [
            tile.title.as_str(),
            tile.value.as_str(),
            tile.meta.as_str(),
            "○ non in linea",
            "▼ −15,0 punti rispetto a 2025 (gen–ott)",
            "in peggioramento",
        ]
        .join(" ");
        assert_eq!(said.join(" "), meant);
        assert!(layout.height(&tile, 1) <= layout.row_height(std::slice::from_ref(&tile)));
    }

    #[test]
    fn ranges_start_at_zero_only_when_asked() {
        assert_eq!(value_range([80.0, 90.0].into_iter(), true).0, 0.0);
        let (lo, hi) = value_range([80.0, 90.0].into_iter(), false);
        assert!(lo > 70.0 && lo < 80.0 && hi > 90.0);
    }
}
