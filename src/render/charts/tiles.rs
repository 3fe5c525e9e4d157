//! Tiles: a figure per indicator with its target and change, text measured and wrapped to fit.

use super::*;

pub(super) const TILE_COLUMNS: usize = 4;

pub(super) const TILE_GAP: i32 = 10;

/// Room between a tile's border and its text.
pub(super) const TILE_PADDING: i32 = 10;

/// One line of text in a tile: what it says, its size in pixels and colour, and the room above it.
#[derive(Debug, PartialEq)]
pub(super) struct TileLine {
    pub(super) text: String,
    pub(super) size: u32,
    pub(super) color: RGBColor,
    pub(super) space_before: u32,
}

/// The width `text` takes at `size` with the charts' font, in pixels.
pub(super) fn text_width(text: &str, size: u32) -> u32 {
    font(size)
        .font
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or(u32::MAX)
}

/// The words of `text` that a line may break between: a number keeps its unit (`33,0 %`), a
/// month its year (`set 2026`), and a `·` the words before it.
pub(super) fn breakable_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let is_year = word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit());
        let glued = is_year
            || word == "·"
            || ["%", "€", "‰", "h", "gg", "d", "punti", "points"].contains(&word);
        match out.last_mut() {
            Some(last) if glued => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_string()),
        }
    }
    out
}

/// `text` in lines no wider than `width` at `size`, broken between words (inside a word only when
/// the word alone is wider): nothing is cut off.
pub(super) fn wrap(text: &str, size: u32, width: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in breakable_words(text) {
        let word = word.as_str();
        let joined = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&joined, size) <= width {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than the line on its own goes over as many lines as it needs.
        for c in word.chars() {
            let longer = format!("{line}{c}");
            if !line.is_empty() && text_width(&longer, size) > width {
                lines.push(std::mem::replace(&mut line, c.to_string()));
            } else {
                line = longer;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The largest size up to `size` at which `text` fits `width` on one line (at least 14 px, then
/// wrapped): a tile's big value stays one figure.
pub(super) fn fitting_size(text: &str, size: u32, width: u32) -> u32 {
    (14..=size)
        .rev()
        .find(|s| text_width(text, *s) <= width)
        .unwrap_or(14)
}

/// The size of the tiles of a chart of `n` tiles.
pub(super) struct TileLayout {
    pub(super) columns: usize,
    pub(super) width: i32,
}

impl TileLayout {
    pub(super) fn of(n: usize) -> TileLayout {
        let columns = n.clamp(1, TILE_COLUMNS);
        let c = columns as i32;
        TileLayout {
            columns,
            width: (WIDTH as i32 - TILE_GAP * (c + 1)) / c,
        }
    }

    /// The text's width inside a tile.
    pub(super) fn inner(&self) -> u32 {
        (self.width - 2 * TILE_PADDING).max(40) as u32
    }

    /// How many lines a tile's title takes.
    pub(super) fn title_lines(&self, t: &TileView) -> usize {
        wrap(&t.title, 12, self.inner()).len()
    }

    /// The lines of a tile, each fitting its width, the title taking `title_lines` (the row's
    /// longest) so that the values of a row line up.
    pub(super) fn lines(&self, t: &TileView, title_lines: usize) -> Vec<TileLine> {
        let inner = self.inner();
        let line = |text: String, size: u32, color: RGBColor| TileLine {
            text,
            size,
            color,
            space_before: 0,
        };
        let title = wrap(&t.title, 12, inner);
        let short = title_lines.saturating_sub(title.len());
        let mut out: Vec<TileLine> = title
            .into_iter()
            .chain((0..short).map(|_| String::new()))
            .map(|l| line(l, 12, MUTED))
            .collect();
        let mut add = |text: &str, size: u32, color: RGBColor, space: u32| {
            for (i, l) in wrap(text, size, inner).into_iter().enumerate() {
                out.push(TileLine {
                    text: l,
                    size,
                    color,
                    space_before: if i == 0 { space } else { 0 },
                });
            }
        };
        add(&t.value, fitting_size(&t.value, 28, inner), BLACK, 8);
        add(&t.meta, 11, MUTED, 6);
        if let Some((s, status)) = &t.status {
            add(s, 12, status_color(*status), 6);
        }
        if let Some((s, word, good)) = &t.change {
            let color = match good {
                Some(true) => status_color(Status::Achieved),
                Some(false) => status_color(Status::OffTrack),
                None => MUTED,
            };
            add(s, 11, color, 8);
            add(word, 11, color, 2);
        }
        out
    }

    /// A tile's height: its lines, each a little taller than its text, and the padding.
    pub(super) fn height(&self, t: &TileView, title_lines: usize) -> u32 {
        let lines: u32 = self
            .lines(t, title_lines)
            .iter()
            .map(|l| l.space_before + line_height(l.size))
            .sum();
        lines + 2 * TILE_PADDING as u32
    }

    /// The height of a row of tiles: its tallest, and never less than a tile has always been.
    pub(super) fn row_height(&self, row: &[TileView]) -> u32 {
        let titles = self.row_title_lines(row);
        row.iter()
            .map(|t| self.height(t, titles))
            .max()
            .unwrap_or(0)
            .max(168)
    }

    /// The lines of the longest title of a row.
    pub(super) fn row_title_lines(&self, row: &[TileView]) -> usize {
        row.iter().map(|t| self.title_lines(t)).max().unwrap_or(1)
    }
}

pub(super) fn line_height(size: u32) -> u32 {
    size + size / 3 + 1
}

pub(super) fn draw_tiles<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    tiles: &[TileView],
) -> Result<(), ChartError> {
    let area = titled(root, title)?;
    let layout = TileLayout::of(tiles.len());
    let mut top = 4;
    for row in tiles.chunks(layout.columns) {
        let h = layout.row_height(row) as i32;
        let titles = layout.row_title_lines(row);
        for (c, t) in row.iter().enumerate() {
            let x = TILE_GAP + c as i32 * (layout.width + TILE_GAP);
            area.draw(&Rectangle::new(
                [(x, top), (x + layout.width, top + h)],
                GRID.stroke_width(1),
            ))
            .map_err(err)?;
            let mut y = top + TILE_PADDING;
            for l in layout.lines(t, titles) {
                y += l.space_before as i32;
                let lh = line_height(l.size) as i32;
                area.draw(&Text::new(
                    l.text,
                    (x + TILE_PADDING, y + lh / 2),
                    anchored(l.size, HPos::Left, VPos::Center).color(&l.color),
                ))
                .map_err(err)?;
                y += lh;
            }
        }
        top += h + TILE_GAP;
    }
    Ok(())
}
