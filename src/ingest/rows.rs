//! Export rows into canonical rows: the total-row rule, each cell converted to its column's type
//! (with padding and required values), rejections with their line, and batches for the warehouse
//! writer. One `RowParser` per thread: the chunks of a large CSV export each have their own, and
//! their results are merged in line order.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cell::{self, Cell, Value};
use super::{
    BATCH_ROWS, IngestError, MAX_REJECTION_DETAILS, ParseStats, Rejection, batch, encode,
    is_total_label, progress,
};
use crate::config::{ColumnType, Source, Table, TextFormat};

/// A cell as the row parser sees it: one a reader built, or text straight from a CSV record.
pub(super) enum CellRef<'a> {
    Cell(&'a Cell),
    Text(Cow<'a, str>),
}

impl CellRef<'_> {
    fn is_blank(&self) -> bool {
        match self {
            CellRef::Cell(Cell::Empty) => true,
            CellRef::Cell(Cell::Text(t)) => cell::trimmed(t).is_empty(),
            CellRef::Cell(_) => false,
            CellRef::Text(t) => cell::trimmed(t).is_empty(),
        }
    }

    pub(super) fn text(&self) -> Option<&str> {
        match self {
            CellRef::Cell(Cell::Text(t)) => Some(t),
            CellRef::Text(t) => Some(t),
            CellRef::Cell(_) => None,
        }
    }

    fn convert(&self, ty: ColumnType, fmt: &TextFormat) -> Result<Value, cell::Reason> {
        match self {
            CellRef::Cell(c) => cell::convert(c, ty, fmt),
            CellRef::Text(t) => cell::convert_str(t, ty, fmt),
        }
    }

    fn shown(&self) -> String {
        match self {
            CellRef::Cell(c) => c.shown(),
            CellRef::Text(t) => t.to_string(),
        }
    }
}

/// A value of a canonical row: converted, or the text of the row's cell at a position, for a
/// string column (copied once, into the batch, rather than first into a value of its own).
pub(super) enum Slot {
    Value(Value),
    Text(usize),
}

/// The cells of one row, by position.
pub(super) trait Cells {
    /// How many cells the row has.
    fn count(&self) -> usize;
    /// The cell at `i`.
    fn cell(&self, i: usize) -> CellRef<'_>;
    /// Whether a cell holds U+FFFD, the mark of bytes the declared encoding could not decode.
    fn has_replacement_char(&self) -> bool {
        (0..self.count()).any(|i| self.cell(i).text().is_some_and(has_replacement_char))
    }
}

impl Cells for [Cell] {
    fn count(&self) -> usize {
        self.len()
    }

    fn cell(&self, i: usize) -> CellRef<'_> {
        CellRef::Cell(&self[i])
    }
}

/// Rows read so far by every thread of one source, for its progress line.
pub(super) struct Progress<'a> {
    bar: &'a progress::SourceBar,
    rows: AtomicU64,
}

impl<'a> Progress<'a> {
    pub(super) fn new(bar: &'a progress::SourceBar) -> Progress<'a> {
        Progress {
            bar,
            rows: AtomicU64::new(0),
        }
    }

    fn add(&self, rows: u64) {
        let total = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        self.bar.rows(total);
    }
}

/// How often a parser reports its rows to the progress line.
const REPORT_EVERY: u64 = 4096;

/// What one parser found: its counts and rejections, and the rows it could not decode.
pub(super) struct Parsed {
    stats: ParseStats,
    /// Rows holding characters the declared encoding could not decode, and the first such line.
    undecodable: (u64, u64),
}

/// Turns rows into canonical rows and batches for one source.
pub(super) struct RowParser<'a> {
    source: &'a Source,
    table: &'a Table,
    /// For each canonical column, the position of its cell in the export row.
    positions: &'a [Option<usize>],
    text: &'a TextFormat,
    builder: batch::BatchBuilder,
    values: Vec<Slot>,
    parsed: Parsed,
    encoder: encode::GroupEncoder,
    tx: encode::GroupSender,
    progress: &'a Progress<'a>,
    unreported: u64,
    successors: std::sync::Arc<super::successor::Successors>,
    /// The current row's ceased codes, counted only once the row is stored.
    row_moved: std::collections::BTreeMap<(String, String), u64>,
    /// For each column, the last date text it converted and its date.
    last_dates: Vec<Option<LastDate>>,
}

/// A date cell's text and the date it was read as. A register's rows come day after day, so most
/// date cells repeat the one before: compared as text, not read again.
struct LastDate {
    text: [u8; LastDate::MAX],
    len: usize,
    date: chrono::NaiveDate,
}

impl LastDate {
    const MAX: usize = 32;

    fn of(text: &str, date: chrono::NaiveDate) -> Option<LastDate> {
        let b = text.as_bytes();
        (b.len() <= Self::MAX).then(|| {
            let mut stored = [0u8; Self::MAX];
            stored[..b.len()].copy_from_slice(b);
            LastDate {
                text: stored,
                len: b.len(),
                date,
            }
        })
    }

    fn date_of(&self, text: &str) -> Option<chrono::NaiveDate> {
        (&self.text[..self.len] == text.as_bytes()).then_some(self.date)
    }
}

/// The value of a date cell's `text`: the last one's date when the text is the same, else what
/// `read` makes of it (remembered when it is a date).
fn date_through(
    last: &mut Option<LastDate>,
    text: &str,
    read: impl FnOnce() -> Result<Value, cell::Reason>,
) -> Result<Value, cell::Reason> {
    if let Some(d) = last.as_ref().and_then(|l| l.date_of(text)) {
        return Ok(Value::Date(d));
    }
    let v = read()?;
    if let Value::Date(d) = v {
        *last = LastDate::of(text, d);
    }
    Ok(v)
}

/// The cell's value in its column's type, padded and required as the column says.
fn converted(
    cell: &CellRef<'_>,
    col: &crate::config::Column,
    map: &crate::config::ColumnMap,
    text: &TextFormat,
) -> Result<Value, cell::Reason> {
    let v = cell.convert(col.ty, text)?;
    let v = match map.pad {
        Some(width) => cell::pad_code(v, width)?,
        None => v,
    };
    match v {
        Value::Null if col.required => Err(cell::Reason::Required),
        v => Ok(v),
    }
}

impl<'a> RowParser<'a> {
    pub(super) fn new(
        source: &'a Source,
        table: &'a Table,
        positions: &'a [Option<usize>],
        encoder: encode::GroupEncoder,
        tx: encode::GroupSender,
        progress: &'a Progress<'a>,
        successors: std::sync::Arc<super::successor::Successors>,
    ) -> RowParser<'a> {
        RowParser {
            source,
            table,
            positions,
            text: source.format.text(),
            builder: batch::BatchBuilder::new(table, &source.name, source.territory.as_deref()),
            values: Vec::with_capacity(table.columns.len()),
            parsed: Parsed {
                stats: ParseStats::default(),
                undecodable: (0, 0),
            },
            encoder,
            tx,
            progress,
            unreported: 0,
            successors,
            row_moved: std::collections::BTreeMap::new(),
            last_dates: table.columns.iter().map(|_| None).collect(),
        }
    }

    /// Takes one export row (blank rows are the reader's to drop).
    pub(super) fn push<C: Cells + ?Sized>(
        &mut self,
        line: u64,
        cells: &C,
    ) -> Result<(), IngestError> {
        if self.source.skip_totals && is_total_row(cells) {
            self.parsed.stats.skipped += 1;
            return Ok(());
        }
        self.parsed.stats.total += 1;
        if cells.has_replacement_char() {
            if self.parsed.undecodable.0 == 0 {
                self.parsed.undecodable.1 = line;
            }
            self.parsed.undecodable.0 += 1;
        }
        let fits = self.fill_values(line, cells);
        let stats = &mut self.parsed.stats;
        if fits {
            self.builder.push(line, &self.values, cells);
            stats.written += 1;
            // Popped rather than taken: nearly every row moves no code, and an empty map's
            // `pop_first` costs nothing, where taking it built and dropped an iterator a row.
            while let Some((code, n)) = self.row_moved.pop_first() {
                *stats.moved.entry(code).or_insert(0) += n;
            }
        } else {
            stats.rejected += 1;
            self.row_moved.clear();
        }
        if self.builder.len() >= BATCH_ROWS {
            self.send()?;
        }
        self.unreported += 1;
        if self.unreported >= REPORT_EVERY {
            self.progress.add(self.unreported);
            self.unreported = 0;
        }
        Ok(())
    }

    /// Whether every cell of the row fits its column: puts the row's values in `values`, and
    /// notes each cell that does not fit as a rejection.
    fn fill_values<C: Cells + ?Sized>(&mut self, line: u64, cells: &C) -> bool {
        let (table, source, positions) = (self.table, self.source, self.positions);
        self.values.clear();
        let mut fits = true;
        let columns = table.columns.iter().zip(&source.columns);
        for (i, ((col, map), pos)) in columns.zip(positions).enumerate() {
            let cell = match pos {
                Some(p) if *p < cells.count() => cells.cell(*p),
                _ => CellRef::Cell(&Cell::Empty),
            };
            if col.ty == ColumnType::String
                && map.pad.is_none()
                && !self.successors.maps(i)
                && let (Some(p), Some(text)) = (pos, cell.text())
                && !cell::trimmed(text).is_empty()
            {
                self.values.push(Slot::Text(*p));
                continue;
            }
            let read = || converted(&cell, col, map, self.text);
            let result = match (&cell, col.ty, map.pad) {
                (CellRef::Text(t), ColumnType::Date, None) => {
                    date_through(&mut self.last_dates[i], t, read)
                }
                _ => read(),
            };
            match result {
                Ok(Value::Str(code)) if self.successors.maps(i) => {
                    let stored = self
                        .successors
                        .stored(i, &col.name, code, &mut self.row_moved);
                    self.values.push(Slot::Value(Value::Str(stored)));
                }
                Ok(v) => self.values.push(Slot::Value(v)),
                Err(reason) => {
                    fits = false;
                    self.values.push(Slot::Value(Value::Null));
                    let rejections = &mut self.parsed.stats.rejections;
                    if rejections.len() < MAX_REJECTION_DETAILS {
                        rejections.push(Rejection {
                            line,
                            column: col.name.clone(),
                            // What the office needs to find the cell, not the whole of it.
                            value: crate::text::excerpt(&cell.shown()).into_owned(),
                            reason,
                        });
                    }
                }
            }
        }
        fits
    }

    /// Encodes the rows built so far, and sends the row groups they fill to the writer.
    fn send(&mut self) -> Result<(), IngestError> {
        let batch = self.builder.finish()?;
        let filled = self.encoder.write(&batch)?;
        filled.into_iter().try_for_each(|g| self.send_group(g))
    }

    fn send_group(&self, group: encode::Encoded) -> Result<(), IngestError> {
        self.tx
            .blocking_send(group)
            .map_err(|_| IngestError::Stopped("the warehouse writer"))
    }

    /// Sends the last rows and returns what the parser found.
    pub(super) fn finish(mut self) -> Result<Parsed, IngestError> {
        if !self.builder.is_empty() {
            self.send()?;
        }
        if let Some(group) = self.encoder.finish()? {
            self.send_group(group)?;
        }
        self.progress.add(self.unreported);
        Ok(self.parsed)
    }
}

/// Whether a text holds U+FFFD, the mark of bytes the declared encoding could not decode.
pub(super) fn has_replacement_char(t: &str) -> bool {
    // Searched as bytes: most cells have no 0xEF byte at all.
    memchr::memchr(0xEF, t.as_bytes()).is_some() && t.contains('\u{FFFD}')
}

/// Whether the row's first non-empty cell is a total label.
fn is_total_row<C: Cells + ?Sized>(cells: &C) -> bool {
    (0..cells.count())
        .map(|i| cells.cell(i))
        .find(|c| !c.is_blank())
        .is_some_and(|c| c.text().is_some_and(is_total_label))
}

/// The parsers' results as one: counts added up, rejections in line order (as one parser reading
/// the whole export would have kept them), warnings after `warnings`.
pub(super) fn merge(parts: Vec<Parsed>, warnings: Vec<String>) -> ParseStats {
    let mut out = ParseStats {
        warnings,
        ..ParseStats::default()
    };
    let mut undecodable = (0u64, u64::MAX);
    for p in parts {
        out.total += p.stats.total;
        out.written += p.stats.written;
        out.rejected += p.stats.rejected;
        out.skipped += p.stats.skipped;
        out.rejections.extend(p.stats.rejections);
        for (k, n) in p.stats.moved {
            *out.moved.entry(k).or_insert(0) += n;
        }
        if p.undecodable.0 > 0 {
            undecodable.0 += p.undecodable.0;
            undecodable.1 = undecodable.1.min(p.undecodable.1);
        }
    }
    out.rejections.sort_by_key(|r| r.line);
    out.rejections.truncate(MAX_REJECTION_DETAILS);
    out.undecodable = undecodable.0 > 0;
    if undecodable.0 > 0 {
        out.warnings.push(format!(
            "{} row(s) hold characters that are not valid in the declared encoding, first at line {}: check options.encoding (e.g. windows-1252)",
            undecodable.0, undecodable.1
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TextFormat;
    use proptest::prelude::*;

    proptest! {
        /// Remembering the last date changes no value: any sequence of date cells (repeated,
        /// changed, invalid, blank, longer than what is remembered) reads as each read alone.
        #[test]
        fn a_remembered_date_is_the_date_the_text_reads_as(
            texts in proptest::collection::vec(prop_oneof![
                Just("01/02/2024".to_string()),
                Just("02/02/2024".to_string()),
                Just("31/02/2024".to_string()),
                Just("".to_string()),
                Just(" 01/02/2024".to_string()),
                Just("03/2024".to_string()),
                Just(format!("{}01/02/2024", " ".repeat(30))),
                "[0-9/]{0,11}",
            ], 0..40),
        ) {
            let fmt = TextFormat {
                decimal: ',',
                date_format: Some("%d/%m/%Y".to_string()),
            };
            let mut last = None;
            for t in &texts {
                let direct = cell::convert_str(t, ColumnType::Date, &fmt);
                let through = date_through(&mut last, t, || cell::convert_str(t, ColumnType::Date, &fmt));
                prop_assert_eq!(through, direct);
            }
        }

        /// The first-byte shortcuts decide no label and no blank cell otherwise than the plain
        /// definitions: trimmed, end punctuation dropped, lowered, spaces collapsed.
        #[test]
        fn total_labels_and_blank_cells_are_what_their_trimmed_text_says(
            text in prop_oneof![
                Just("Totale".to_string()),
                Just(" TOTALE  generale:".to_string()),
                Just("\u{a0}Total.".to_string()),
                Just("Grand Total:".to_string()),
                Just("grandi".to_string()),
                "[ \t\u{a0}\u{3000}tToOaAlLeEgsi:.é0-9]{0,14}",
            ],
        ) {
            let plain = text.trim().trim_end_matches([':', '.']).trim().to_lowercase();
            let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
            let label = matches!(
                plain.as_str(),
                "totale" | "totali" | "total" | "totals" | "totale generale"
                    | "totale complessivo" | "grand total"
            );
            prop_assert_eq!(is_total_label(&text), label);
            let cell = CellRef::Text(Cow::Borrowed(text.as_str()));
            prop_assert_eq!(cell.is_blank(), text.trim().is_empty());
        }
    }
}
