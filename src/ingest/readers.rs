//! Readers for each export format. Each yields a header row and then numbered rows of cells, so the
//! mapping onto canonical tables is the same whatever the format.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};

use super::IngestError;
use super::cell::Cell;
use crate::config::Format;

/// A row of an export: its line (CSV, NDJSON), sheet row (XLSX) or record number (JSON array, Parquet).
pub struct RawRow {
    /// The line, sheet row or record number, for messages.
    pub line: u64,
    /// The row's cells, in the header's order.
    pub cells: Vec<Cell>,
}

/// The rows of an export, read lazily; an unreadable row is an error with its line.
pub type Rows = Box<dyn Iterator<Item = Result<RawRow, IngestError>> + Send>;

/// Opens a fetched export and returns its headers and a stream of rows.
pub fn open(path: &Path, shown: &str, format: &Format) -> Result<(Vec<String>, Rows), IngestError> {
    match format {
        Format::Csv {
            delimiter,
            encoding,
            header_row,
            ..
        } => open_csv(path, shown, *delimiter, encoding, *header_row),
        Format::Xlsx {
            sheet, header_row, ..
        } => open_xlsx(path, shown, sheet.as_deref(), *header_row, false),
        Format::Ods {
            sheet, header_row, ..
        } => open_xlsx(path, shown, sheet.as_deref(), *header_row, true),
        Format::Json { encoding, .. } => open_json(path, shown, encoding),
        Format::Parquet { .. } => open_parquet(path, shown),
    }
}

fn read_err(shown: &str, line: Option<u64>, message: impl Into<String>) -> IngestError {
    IngestError::Read {
        file: shown.to_string(),
        line,
        message: message.into(),
    }
}

fn decoded(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<impl Read + Send + use<>, IngestError> {
    let file = File::open(path).map_err(|e| read_err(shown, None, e.to_string()))?;
    // Transcodes while streaming, and drops a UTF-8 or UTF-16 byte-order mark whatever the label says.
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 16, file)))
}

/// The bytes a CSV reader has pulled so far, kept until the records they hold are numbered: the
/// csv crate's own line numbers skip blank lines, so a rejected row's line would be wrong.
#[derive(Default)]
struct Pulled {
    /// Blocks not yet passed by a numbered record, with their offset in the stream.
    blocks: std::collections::VecDeque<(u64, Vec<u8>)>,
    /// Line breaks in the blocks already dropped.
    newlines_dropped: u64,
    /// How far into the front block line breaks are counted, and how many there are before that:
    /// records end in order, so each count resumes where the last one stopped (counting from the
    /// block's start for every record made reading a small export quadratic in its block size).
    front_counted: (usize, u64),
    /// Bytes counted for line breaks so far.
    #[cfg(test)]
    counted: u64,
}

/// Line breaks in `bytes`.
fn breaks(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl Pulled {
    /// Line breaks in the stream before byte `end`, and the byte just before it.
    fn newlines_before(&mut self, end: u64) -> (u64, Option<u8>) {
        while let Some((at, block)) = self.blocks.front() {
            // The block holding the byte before `end` stays: its last byte tells the terminator.
            if at + block.len() as u64 >= end {
                break;
            }
            let (from, before) = self.front_counted;
            #[cfg(test)]
            {
                self.counted += (block.len() - from) as u64;
            }
            self.newlines_dropped += before + breaks(&block[from..]);
            self.front_counted = (0, 0);
            self.blocks.pop_front();
        }
        let mut count = self.newlines_dropped;
        let mut last = None;
        if let Some((at, block)) = self.blocks.front() {
            let upto = (end.saturating_sub(*at) as usize).min(block.len());
            let (mut from, mut before) = self.front_counted;
            if upto < from {
                // An end before the last one: counted again from the block's start.
                (from, before) = (0, 0);
            }
            #[cfg(test)]
            {
                self.counted += (upto - from) as u64;
            }
            before += breaks(&block[from..upto]);
            self.front_counted = (upto, before);
            count += before;
            last = upto.checked_sub(1).map(|i| block[i]);
        }
        (count, last)
    }
}

/// A reader that keeps what it hands on in `Pulled`.
struct Recording<R> {
    inner: R,
    offset: u64,
    pulled: std::sync::Arc<std::sync::Mutex<Pulled>>,
    lines: LineGuard,
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The CSV reader buffers a record whole: a line without end must stop here, not in memory.
        self.lines.pass(&buf[..n])?;
        if n > 0 {
            let mut pulled = self
                .pulled
                .lock()
                .map_err(|_| std::io::Error::other("line counter poisoned"))?;
            pulled.blocks.push_back((self.offset, buf[..n].to_vec()));
            self.offset += n as u64;
        }
        Ok(n)
    }
}

/// The line a record starts on, from the byte its reader has consumed after it: the line breaks
/// before that point, less the record's own terminator and the breaks inside its quoted fields.
fn record_line(pulled: &std::sync::Mutex<Pulled>, end: u64, record: &csv::StringRecord) -> u64 {
    let Ok(mut pulled) = pulled.lock() else {
        return 0;
    };
    let (newlines, last) = pulled.newlines_before(end);
    let inside: u64 = record
        .iter()
        .map(|f| memchr::memchr_iter(b'\n', f.as_bytes()).count() as u64)
        .sum();
    let terminator = u64::from(last == Some(b'\n'));
    (newlines + 1).saturating_sub(terminator + inside)
}

fn open_csv(
    path: &Path,
    shown: &str,
    delimiter: u8,
    encoding: &'static encoding_rs::Encoding,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let pulled = std::sync::Arc::new(std::sync::Mutex::new(Pulled::default()));
    let reader = Recording {
        inner: decoded(path, shown, encoding)?,
        offset: 0,
        pulled: pulled.clone(),
        lines: LineGuard::default(),
    };
    // Records end at "\n" only: with the default CR/LF handling a Windows line ending leaves its "\n"
    // to the next record and every line number comes out one short. The stray "\r" is trimmed with the cell.
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    let headers = loop {
        let more = csv
            .read_record(&mut record)
            .map_err(|e| csv_err(shown, e))?;
        if !more {
            return Err(read_err(
                shown,
                None,
                format!("the file ends before the header row {header_row}"),
            ));
        }
        n += 1;
        if n == header_row {
            break record
                .iter()
                .map(|h| h.trim().to_string())
                .collect::<Vec<_>>();
        }
    };
    let shown = shown.to_string();
    let rows = std::iter::from_fn(move || {
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(csv_err(&shown, e))),
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = record_line(&pulled, csv.position().byte(), &record);
            return Some(Ok(RawRow {
                line,
                cells: record
                    .iter()
                    .map(|c| Cell::Text(c.strip_suffix('\r').unwrap_or(c).to_string()))
                    .collect(),
            }));
        }
    });
    Ok((headers, Box::new(rows)))
}

fn csv_err(shown: &str, e: csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "text that is not valid in the declared encoding (set options.encoding, e.g. windows-1252)".to_string(),
        _ => e.to_string(),
    };
    read_err(shown, line, message)
}

/// The longest line a CSV or NDJSON export may have, and the most one object of a JSON array may
/// take: far past what any office's export holds, and what keeps memory bounded whatever a file
/// holds (a reader buffers one line or object at a time).
pub(super) const MAX_LINE_BYTES: u64 = 16 << 20;

fn too_long(what: &str) -> String {
    format!(
        "{what} is longer than {} MiB, far more than an export holds (a damaged file, or one that is not in the source's format): export it again, or check the source's format",
        MAX_LINE_BYTES >> 20
    )
}

/// Counts line breaks as bytes pass and stops at the first line longer than `MAX_LINE_BYTES`.
#[derive(Default)]
struct LineGuard {
    breaks: u64,
    since_break: u64,
}

impl LineGuard {
    fn pass(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut from = 0usize;
        for i in memchr::memchr_iter(b'\n', bytes) {
            self.check(self.since_break + (i - from) as u64)?;
            self.breaks += 1;
            self.since_break = 0;
            from = i + 1;
        }
        self.since_break += (bytes.len() - from) as u64;
        self.check(self.since_break)
    }

    fn check(&self, line_bytes: u64) -> std::io::Result<()> {
        if line_bytes > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                too_long(&format!("line {}", self.breaks + 1)),
            ));
        }
        Ok(())
    }
}

/// What a workbook may claim, as Excel bounds it: a cell past these is a damaged or crafted file,
/// refused before anything is allocated for it.
const MAX_SHEET_ROWS: u32 = 1_048_576;
const MAX_SHEET_COLUMNS: u32 = 16_384;
const MAX_CELL_CHARS: usize = 32_767;
/// The most a workbook part read whole into memory (shared strings, an ODS's content) may take
/// once unpacked; sheets themselves are streamed.
const MAX_WHOLE_PART_BYTES: u64 = 512 << 20;

fn open_xlsx(
    path: &Path,
    shown: &str,
    sheet: Option<&str>,
    header_row: usize,
    declared_ods: bool,
) -> Result<(Vec<String>, Rows), IngestError> {
    check_zip_parts(path, shown)?;
    let wb = open_sheets(path, declared_ods).map_err(|e| read_err(shown, None, e))?;
    let names = wb.sheet_names();
    let sheet = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                read_err(
                    shown,
                    None,
                    format!(
                        "no sheet named '{s}' (sheets: {})",
                        crate::text::excerpt(&names.join(", "))
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| read_err(shown, None, "the workbook has no sheets"))?,
    };
    match wb {
        calamine::Sheets::Xlsx(x) => stream_xlsx(x, shown, sheet, header_row),
        mut other => {
            // xls and ods have no streaming reader: the sheet is read whole. A reader that
            // panics on a crafted file fails this export, not the run.
            let range = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                other.worksheet_range(&sheet)
            }))
            .map_err(|p| read_err(shown, None, format!("sheet '{sheet}': {}", panic_text(&p))))?
            .map_err(|e| read_err(shown, None, format!("sheet '{sheet}': {e}")))?;
            rows_of_range(range, shown, &sheet, header_row)
        }
    }
}

/// What a panic said, for the error that replaces it.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    let said = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!(
        "the spreadsheet reader stopped on it ({}); the file is damaged or not what its format says: save it again from the spreadsheet",
        crate::text::quoted(&said)
    )
}

/// Refuses a zip-based workbook whose parts read whole into memory would take more than
/// `MAX_WHOLE_PART_BYTES` once unpacked, before the spreadsheet reader allocates for them.
fn check_zip_parts(path: &Path, shown: &str) -> Result<(), IngestError> {
    let Ok(file) = File::open(path) else {
        return Ok(()); // The reader says why.
    };
    let Ok(zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return Ok(()); // Not a zip (xls, or not a workbook): the reader says what it is.
    };
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(i) else {
            continue;
        };
        let (name, size) = (entry.name().unwrap_or_default(), entry.size());
        // Sheets are streamed cell by cell; everything else is read whole.
        if name.starts_with("xl/worksheets/") {
            continue;
        }
        if size > MAX_WHOLE_PART_BYTES {
            return Err(read_err(
                shown,
                None,
                format!(
                    "its part {} would take {size} bytes once unpacked, more than the {MAX_WHOLE_PART_BYTES} a workbook part may (a damaged or crafted file); save the sheet again from the spreadsheet, or export it as CSV",
                    crate::text::quoted(&name)
                ),
            ));
        }
    }
    Ok(())
}

fn rows_of_range(
    range: calamine::Range<Data>,
    shown: &str,
    sheet: &str,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let width = col0 as usize + range.width();
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let sheet_row = row0 as u64 + i as u64 + 1;
        // Cells left of the used range are empty; pad so column positions match the sheet.
        let mut cells: Vec<Cell> = vec![Cell::Empty; col0 as usize];
        cells.extend(r.iter().map(xlsx_cell));
        cells.resize(width, Cell::Empty);
        if (sheet_row as usize) < header_row {
            continue;
        }
        if sheet_row as usize == header_row {
            header = Some(cells.iter().map(Cell::shown).collect::<Vec<_>>());
            continue;
        }
        if cells.iter().all(|c| matches!(c, Cell::Empty)) {
            continue;
        }
        rows.push(Ok(RawRow {
            line: sheet_row,
            cells,
        }));
    }
    let header = header.ok_or_else(|| {
        read_err(
            shown,
            None,
            format!("sheet '{sheet}' has no row {header_row} for the header"),
        )
    })?;
    Ok((header, Box::new(rows.into_iter())))
}

/// What the thread reading an XLSX sheet sends: the header once, then rows, then `End` when it
/// has read the whole sheet.
enum SheetMessage {
    Header(Vec<String>),
    Row(Result<RawRow, IngestError>),
    End,
}

/// Runs `read` on a thread of its own, handing its messages over a bounded channel. A reader that
/// panics or stops before saying `End` yields an error as its last row: a delivery is read whole
/// or not at all, never cut short and taken as complete.
fn spawn_sheet_reader(
    shown: &str,
    read: impl FnOnce(&std::sync::mpsc::SyncSender<SheetMessage>) + Send + 'static,
) -> std::sync::mpsc::Receiver<SheetMessage> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<SheetMessage>(256);
    let shown = shown.to_string();
    std::thread::spawn(move || {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&tx))) {
            Ok(()) => {}
            Err(p) => {
                let _ = tx.send(SheetMessage::Row(Err(read_err(
                    &shown,
                    None,
                    panic_text(p.as_ref()),
                ))));
            }
        }
    });
    rx
}

/// The rows a sheet reader hands over, ending with an error when it stopped before `End`.
struct SheetRows {
    rx: std::sync::mpsc::Receiver<SheetMessage>,
    width: usize,
    shown: String,
    done: bool,
}

impl Iterator for SheetRows {
    type Item = Result<RawRow, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.rx.recv() {
                Ok(SheetMessage::Row(Ok(mut row))) => {
                    row.cells
                        .resize(row.cells.len().max(self.width), Cell::Empty);
                    return Some(Ok(row));
                }
                Ok(SheetMessage::Row(Err(e))) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(SheetMessage::Header(_)) => {}
                Ok(SheetMessage::End) => self.done = true,
                Err(_) => {
                    self.done = true;
                    return Some(Err(read_err(
                        &self.shown,
                        None,
                        "the spreadsheet reader stopped before the end of the sheet; nothing of this export is taken: save it again from the spreadsheet",
                    )));
                }
            }
        }
        None
    }
}

/// Why a cell at 0-based (`row`, `col`) or holding `value` cannot be in a real sheet, if it cannot.
fn beyond_limits(row: u32, col: u32, value: &calamine::DataRef) -> Option<String> {
    if col >= MAX_SHEET_COLUMNS {
        return Some(format!(
            "a cell lies beyond column XFD, the last of the {MAX_SHEET_COLUMNS} columns a sheet has (a damaged or crafted file); save it again from the spreadsheet"
        ));
    }
    if row >= MAX_SHEET_ROWS {
        return Some(format!(
            "a cell lies beyond the last of the {MAX_SHEET_ROWS} rows a sheet has (a damaged or crafted file); save it again from the spreadsheet"
        ));
    }
    let text = match value {
        calamine::DataRef::String(s) => s.as_str(),
        calamine::DataRef::SharedString(s) => s,
        _ => "",
    };
    // A character takes at most four bytes: most texts need no count.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Some(format!(
            "a cell holds more than the {MAX_CELL_CHARS} characters a spreadsheet cell can (a damaged or crafted file); save it again from the spreadsheet"
        ));
    }
    None
}

/// Reads an XLSX sheet cell by cell on a thread of its own and hands its rows over a bounded
/// channel: memory holds a few hundred rows (and the workbook's shared strings), not the sheet.
fn stream_xlsx(
    mut wb: calamine::Xlsx<BufReader<File>>,
    shown: &str,
    sheet: String,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let thread_shown = shown.to_string();
    let rx = spawn_sheet_reader(shown, move |tx| {
        let shown = thread_shown;
        let send_err = |line: Option<u64>, m: String| {
            let _ = tx.send(SheetMessage::Row(Err(read_err(&shown, line, m))));
        };
        let mut reader = match wb.worksheet_cells_reader(&sheet) {
            Ok(r) => r,
            Err(e) => return send_err(None, format!("sheet '{sheet}': {e}")),
        };
        let mut current: Option<(u32, Vec<Cell>)> = None;
        let mut header_sent = false;
        // Hands over a finished row: the header, or a data row below it.
        let flush = |row: u32, cells: Vec<Cell>, header_sent: &mut bool| -> bool {
            let sheet_row = row as usize + 1;
            if sheet_row < header_row {
                return true;
            }
            if sheet_row == header_row {
                *header_sent = true;
                return tx
                    .send(SheetMessage::Header(
                        cells.iter().map(Cell::shown).collect(),
                    ))
                    .is_ok();
            }
            if !*header_sent || cells.iter().all(|c| matches!(c, Cell::Empty)) {
                return true;
            }
            tx.send(SheetMessage::Row(Ok(RawRow {
                line: sheet_row as u64,
                cells,
            })))
            .is_ok()
        };
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => return send_err(None, format!("sheet '{sheet}': {e}")),
            };
            let (row, col) = cell.get_position();
            if let Some(why) = beyond_limits(row, col, cell.get_value()) {
                return send_err(Some(u64::from(row) + 1), format!("sheet '{sheet}': {why}"));
            }
            if current.as_ref().is_some_and(|(r, _)| *r != row)
                && let Some((r, cells)) = current.take()
                && !flush(r, cells, &mut header_sent)
            {
                return;
            }
            let cells = &mut current.get_or_insert_with(|| (row, Vec::new())).1;
            if cells.len() <= col as usize {
                cells.resize(col as usize + 1, Cell::Empty);
            }
            cells[col as usize] = xlsx_ref_cell(cell.get_value());
        }
        if let Some((r, cells)) = current.take()
            && !flush(r, cells, &mut header_sent)
        {
            return;
        }
        if !header_sent {
            return send_err(
                None,
                format!("sheet '{sheet}' has no row {header_row} for the header"),
            );
        }
        let _ = tx.send(SheetMessage::End);
    });
    let header = match rx.recv() {
        Ok(SheetMessage::Header(h)) => h,
        Ok(SheetMessage::Row(Err(e))) => return Err(e),
        _ => {
            return Err(read_err(
                shown,
                None,
                format!("the sheet has no row {header_row} for the header"),
            ));
        }
    };
    let rows = SheetRows {
        rx,
        width: header.len(),
        shown: shown.to_string(),
        done: false,
    };
    Ok((header, Box::new(rows)))
}

/// A date cell as a date, or as its serial number (which a date column then rejects with its
/// line) when no calendar has it: Excel's own dates run from year 1900 to 9999.
fn excel_date(dt: &calamine::ExcelDateTime) -> Cell {
    let serial = dt.as_f64();
    // Years 1 to 9999 either side of the 1899-12-30 epoch; beyond, the conversion overflows.
    if !(-693_594.0..2_958_466.0).contains(&serial) {
        return Cell::Text(dt.to_string());
    }
    match dt.as_datetime() {
        Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
        Some(t) => Cell::DateTime(t),
        None => Cell::Text(dt.to_string()),
    }
}

fn xlsx_ref_cell(d: &calamine::DataRef) -> Cell {
    use calamine::DataRef as D;
    match d {
        D::Empty => Cell::Empty,
        D::String(s) | D::DateTimeIso(s) | D::DurationIso(s) => Cell::Text(s.clone()),
        D::SharedString(s) => Cell::Text((*s).to_string()),
        D::Int(i) => Cell::Int(*i),
        D::Float(f) => Cell::Float(*f),
        D::Bool(b) => Cell::Bool(*b),
        D::DateTime(dt) => excel_date(dt),
        D::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

/// Opens a workbook of whichever kind its bytes say: a zip holds xlsx or ods, an OLE file xls.
/// When neither opens, the message says why the declared kind (`ods` or else xlsx) did not.
fn open_sheets(
    path: &Path,
    declared_ods: bool,
) -> Result<calamine::Sheets<BufReader<File>>, String> {
    use calamine::{Ods, Sheets, Xls, Xlsx, open_workbook_from_rs};
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| e.to_string())
    };
    let mut magic = [0u8; 4];
    let n = open()?.read(&mut magic).map_err(|e| e.to_string())?;
    if n == 4 && magic == [0xD0, 0xCF, 0x11, 0xE0] {
        return open_workbook_from_rs::<Xls<_>, _>(open()?)
            .map(Sheets::Xls)
            .map_err(|e| format!("not a readable workbook (xlsx, xls or ods): {e}"));
    }
    let xlsx = match open_workbook_from_rs::<Xlsx<_>, _>(open()?) {
        Ok(wb) => return Ok(Sheets::Xlsx(wb)),
        Err(e) => e,
    };
    let ods = match open_workbook_from_rs::<Ods<_>, _>(open()?) {
        Ok(wb) => return Ok(Sheets::Ods(wb)),
        Err(e) => e,
    };
    Err(if declared_ods {
        format!(
            "not an ODS spreadsheet (OpenDocument): {ods}; save it again as .ods from the spreadsheet, or set the source's format to what the file is (csv, xlsx, json, parquet)"
        )
    } else {
        format!(
            "not a readable workbook (xlsx, xls or ods): {xlsx}; save it again from the spreadsheet, or set the source's format to what the file is"
        )
    })
}

fn xlsx_cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => excel_date(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

/// JSON objects one at a time, from an array (`[{..}, {..}]`) or one per line (NDJSON), with the
/// number each is reported under: its item number in an array, its line in NDJSON.
type JsonItems = Box<
    dyn Iterator<Item = Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError>>
        + Send,
>;

/// Streams a JSON export twice: once to learn every key (the header), once for the rows. Memory
/// holds one object at a time, whatever the size of the export.
fn open_json(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<(Vec<String>, Rows), IngestError> {
    let mut headers: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for item in json_items(path, shown, encoding)? {
        let (line, m) = item?;
        for k in m.keys() {
            if !index.contains_key(k) {
                if headers.len() == MAX_SHEET_COLUMNS as usize {
                    return Err(read_err(
                        shown,
                        Some(line),
                        format!(
                            "the objects have more than {MAX_SHEET_COLUMNS} different keys, the columns a spreadsheet has (a damaged file, or records that are not rows of one table): export the table again"
                        ),
                    ));
                }
                index.insert(k.clone(), headers.len());
                headers.push(k.clone());
            }
        }
    }
    let width = headers.len();
    // Each object fills the cells of its own keys: time grows with the keys it has, not all keys.
    let rows = json_items(path, shown, encoding)?.map(move |item| {
        let (line, m) = item?;
        let mut cells = vec![Cell::Empty; width];
        for (k, v) in &m {
            if let Some(&i) = index.get(k) {
                cells[i] = json_cell(v);
            }
        }
        Ok(RawRow { line, cells })
    });
    Ok((headers, Box::new(rows)))
}

fn json_items(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<JsonItems, IngestError> {
    let mut reader = BufReader::with_capacity(1 << 16, decoded(path, shown, encoding)?);
    let first = peek_non_space(&mut reader).map_err(|e| read_err(shown, None, e.to_string()))?;
    let shown = shown.to_string();
    if first == Some(b'[') {
        reader.consume(1);
        return Ok(Box::new(ArrayItems {
            reader,
            shown,
            index: 0,
            done: false,
        }));
    }
    let mut line_no = 0u64;
    let mut failed = false;
    let mut buf = Vec::new();
    let items = std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            line_no += 1;
            let line = match bounded_line(&mut reader, &mut buf, line_no) {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(message) => {
                    failed = true;
                    return Some(Err(read_err(&shown, Some(line_no), message)));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(ndjson_object(&shown, line_no, line));
        }
    });
    Ok(Box::new(items))
}

/// The next line without its line break, or None at the end; a line past `MAX_LINE_BYTES` is an
/// error before it is held whole.
fn bounded_line<'b, R: BufRead>(
    reader: &mut R,
    buf: &'b mut Vec<u8>,
    line_no: u64,
) -> Result<Option<&'b str>, String> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', buf)
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n as u64 > MAX_LINE_BYTES {
        return Err(too_long(&format!("line {line_no}")));
    }
    std::str::from_utf8(buf)
        .map(Some)
        .map_err(|_| "text that is not valid in the declared encoding (set options.encoding, e.g. windows-1252)".to_string())
}

fn ndjson_object(
    shown: &str,
    line_no: u64,
    line: &str,
) -> Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError> {
    match serde_json::from_str(line) {
        Ok(serde_json::Value::Object(m)) => Ok((line_no, m)),
        Ok(_) => Err(read_err(shown, Some(line_no), "line is not a JSON object")),
        Err(e) => Err(read_err(shown, Some(line_no), format!("invalid JSON: {e}"))),
    }
}

/// The next byte that is not white space, left unread.
fn peek_non_space<R: std::io::BufRead>(r: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// The objects of a JSON array, read one at a time.
struct ArrayItems<R: std::io::BufRead> {
    reader: R,
    shown: String,
    index: u64,
    done: bool,
}

impl<R: std::io::BufRead> ArrayItems<R> {
    fn fail(&mut self, message: String) -> Option<<Self as Iterator>::Item> {
        self.done = true;
        Some(Err(read_err(&self.shown, Some(self.index.max(1)), message)))
    }
}

impl<R: std::io::BufRead> Iterator for ArrayItems<R> {
    type Item = Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        use serde::Deserialize;
        if self.done {
            return None;
        }
        let mut next = match peek_non_space(&mut self.reader) {
            Ok(b) => b,
            Err(e) => return self.fail(e.to_string()),
        };
        if self.index > 0 && next == Some(b',') {
            self.reader.consume(1);
            next = match peek_non_space(&mut self.reader) {
                Ok(b) => b,
                Err(e) => return self.fail(e.to_string()),
            };
        } else if self.index > 0 && next != Some(b']') {
            return self.fail(format!(
                "invalid JSON after array item {}: expected , or ]",
                self.index
            ));
        }
        match next {
            Some(b']') => {
                self.done = true;
                None
            }
            Some(b'{') => {
                self.index += 1;
                // A map ends at its closing brace: the deserializer reads nothing past it.
                let mut item = Read::take(&mut self.reader, MAX_LINE_BYTES);
                let mut de = serde_json::Deserializer::from_reader(&mut item);
                let parsed = serde_json::Map::deserialize(&mut de);
                let cut_short = item.limit() == 0;
                let index = self.index;
                match parsed {
                    Ok(m) => Some(Ok((index, m))),
                    Err(_) if cut_short => self.fail(too_long(&format!("array item {index}"))),
                    Err(e) => self.fail(format!("array item {index}: invalid JSON: {e}")),
                }
            }
            None => self.fail("the JSON array is not closed with ]".into()),
            Some(_) => {
                self.index += 1;
                self.fail("array item is not an object".into())
            }
        }
    }
}

fn json_cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Null => Cell::Empty,
        serde_json::Value::Bool(b) => Cell::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Cell::Int)
            .unwrap_or_else(|| Cell::Float(n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

fn open_parquet(path: &Path, shown: &str) -> Result<(Vec<String>, Rows), IngestError> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = File::open(path).map_err(|e| read_err(shown, None, e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| read_err(shown, None, e.to_string()))?;
    let headers = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| read_err(shown, None, e.to_string()))?;
    let shown = shown.to_string();
    let mut next_line = 0u64;
    let rows = reader.flat_map(move |batch| -> Vec<Result<RawRow, IngestError>> {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return vec![Err(read_err(&shown, None, e.to_string()))],
        };
        let columns: Vec<Vec<Cell>> = batch
            .columns()
            .iter()
            .map(|c| arrow_cells(c.as_ref()))
            .collect();
        (0..batch.num_rows())
            .map(|r| {
                next_line += 1;
                Ok(RawRow {
                    line: next_line,
                    cells: columns.iter().map(|c| c[r].clone()).collect(),
                })
            })
            .collect()
    });
    Ok((headers, Box::new(rows)))
}

/// Converts one Parquet column to cells, casting it once to a canonical type so each cell is a plain read.
fn arrow_cells(a: &dyn Array) -> Vec<Cell> {
    use DataType as T;
    let n = a.len();
    let target = match a.data_type() {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 => T::Int64,
        T::Float16 | T::Float32 | T::Float64 => T::Float64,
        T::Boolean => T::Boolean,
        T::Date32 | T::Date64 => T::Date32,
        T::Timestamp(..) => T::Timestamp(TimeUnit::Microsecond, None),
        _ => T::Utf8,
    };
    let Ok(c) = datafusion::arrow::compute::cast(a, &target) else {
        return vec![Cell::Empty; n];
    };
    let cells = |f: &dyn Fn(usize) -> Option<Cell>| -> Vec<Cell> {
        (0..n)
            .map(|i| {
                if c.is_null(i) {
                    Cell::Empty
                } else {
                    f(i).unwrap_or(Cell::Empty)
                }
            })
            .collect()
    };
    match target {
        T::Int64 => {
            let v = c.as_primitive::<Int64Type>();
            cells(&|i| Some(Cell::Int(v.value(i))))
        }
        T::Float64 => {
            let v = c.as_primitive::<Float64Type>();
            cells(&|i| Some(Cell::Float(v.value(i))))
        }
        T::Boolean => {
            let v = c.as_boolean();
            cells(&|i| Some(Cell::Bool(v.value(i))))
        }
        T::Date32 => {
            let v = c.as_primitive::<Date32Type>();
            cells(&|i| v.value_as_date(i).map(Cell::Date))
        }
        T::Timestamp(..) => {
            let v = c.as_primitive::<TimestampMicrosecondType>();
            cells(&|i| v.value_as_datetime(i).map(Cell::DateTime))
        }
        _ => {
            let v = c.as_string::<i32>();
            cells(&|i| Some(Cell::Text(v.value(i).to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `text` handed over in blocks cut at `cuts`, as the CSV reader pulls it.
    fn pulled(text: &[u8], cuts: &[usize]) -> Pulled {
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(text.len())).collect();
        cuts.extend([0, text.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut p = Pulled::default();
        for w in cuts.windows(2) {
            p.blocks.push_back((w[0] as u64, text[w[0]..w[1]].to_vec()));
        }
        p
    }

    proptest! {
        #[test]
        fn line_breaks_before_each_record_end_are_counted_as_a_plain_count_finds_them(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'x'), Just(b';')], 1..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
            ends in proptest::collection::vec(0usize..300, 1..20),
        ) {
            let mut p = pulled(&text, &cuts);
            let mut ends: Vec<usize> = ends.into_iter().map(|e| e.min(text.len())).collect();
            // A record's end never comes before the previous one's.
            ends.sort_unstable();
            for end in ends {
                let expected = breaks(&text[..end]);
                let last = end.checked_sub(1).map(|i| text[i]);
                prop_assert_eq!(p.newlines_before(end as u64), (expected, last));
            }
        }
    }

    #[test]
    fn numbering_records_counts_each_byte_once_not_once_a_record() {
        // 8 KiB blocks of 4-byte lines, as the CSV reader pulls a small export: 2,048 records a block.
        let text = b"a;b\n".repeat(16 << 10);
        let cuts: Vec<usize> = (1..8).map(|k| k * (8 << 10)).collect();
        let mut p = pulled(&text, &cuts);
        for (i, end) in (4..=text.len()).step_by(4).enumerate() {
            assert_eq!(p.newlines_before(end as u64).0, i as u64 + 1);
        }
        assert!(
            p.counted <= 2 * text.len() as u64,
            "{} bytes counted for a {}-byte file",
            p.counted,
            text.len()
        );
    }

    fn csv_lines(text: &str) -> Vec<(u64, String)> {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.csv");
        std::fs::write(&p, text).expect("write");
        let (_, rows) = open_csv(&p, "x.csv", b';', encoding_rs::UTF_8, 1).expect("open");
        rows.map(|r| {
            let r = r.expect("row");
            (r.line, r.cells[0].shown())
        })
        .collect()
    }

    #[test]
    fn a_sheet_reader_that_panics_or_stops_early_ends_its_rows_with_an_error() {
        let rows = |read: fn(&std::sync::mpsc::SyncSender<SheetMessage>)| {
            let rx = spawn_sheet_reader("x.xlsx", read);
            let rows = SheetRows {
                rx,
                width: 1,
                shown: "x.xlsx".into(),
                done: false,
            };
            rows.map(|r| r.map(|r| r.line).map_err(|e| e.to_string()))
                .collect::<Vec<_>>()
        };
        fn row(tx: &std::sync::mpsc::SyncSender<SheetMessage>) {
            let _ = tx.send(SheetMessage::Row(Ok(RawRow {
                line: 2,
                cells: vec![],
            })));
        }
        let got = rows(|tx| {
            row(tx);
            panic!("out of range");
        });
        assert_eq!(got[0], Ok(2));
        let e = got[1].clone().unwrap_err();
        assert!(e.contains("x.xlsx") && e.contains("out of range"), "{e}");
        let got = rows(row);
        assert!(
            got[1].clone().unwrap_err().contains("before the end"),
            "{got:?}"
        );
        let got = rows(|tx| {
            row(tx);
            let _ = tx.send(SheetMessage::End);
        });
        assert_eq!(got, vec![Ok(2)]);
    }

    #[test]
    fn rows_after_blank_lines_and_quoted_line_breaks_keep_their_true_line() {
        // Lines: 1 header, 2 a, 3-4 blank, 5 x.
        assert_eq!(
            csv_lines("h;h\na;1\n\n\nx;1\n"),
            vec![(2, "a".to_string()), (5, "x".to_string())]
        );
        // Lines: 1 header, 2 blank (CR only), 3-4 a quoted break, 5 blank, 6 y without a final newline.
        assert_eq!(
            csv_lines("h;h\r\n\r\nx;\"1\n2\"\n\ny;3"),
            vec![(3, "x".to_string()), (6, "y".to_string())]
        );
        // Blank lines before the header count too.
        assert_eq!(csv_lines("\n\nh;h\na;1\n"), vec![(4, "a".to_string())]);
    }
    use datafusion::arrow::array::{
        Float32Array, Int32Array, StringArray, TimestampMillisecondArray,
    };

    type Numbered = Vec<(u64, Vec<Cell>)>;

    fn json_rows(text: &str) -> Result<(Vec<String>, Numbered), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("x.json");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        let (headers, rows) =
            open_json(&path, "x.json", encoding_rs::UTF_8).map_err(|e| e.to_string())?;
        let rows = rows
            .map(|r| r.map(|r| (r.line, r.cells)).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((headers, rows))
    }

    #[test]
    fn json_arrays_and_lines_stream_with_every_key_as_a_header() {
        let (h, rows) = json_rows(" [ {\"a\": 1},\n {\"b\": \"x\", \"a\": null} ] ").unwrap();
        assert_eq!(h, vec!["a", "b"]);
        assert_eq!(
            rows,
            vec![
                (1, vec![Cell::Int(1), Cell::Empty]),
                (2, vec![Cell::Empty, Cell::Text("x".into())])
            ]
        );
        let (h, rows) = json_rows("{\"a\": 1}\n\n{\"a\": 2.5}\n").unwrap();
        assert_eq!(h, vec!["a"]);
        assert_eq!(
            rows,
            vec![(1, vec![Cell::Int(1)]), (3, vec![Cell::Float(2.5)])]
        );
        assert_eq!(json_rows("[]").unwrap().1, vec![]);
    }

    #[test]
    fn broken_json_names_the_item_or_line() {
        let e = json_rows("[{\"a\": 1}, {\"a\": }]").unwrap_err();
        assert!(e.contains("item 2"), "{e}");
        let e = json_rows("[{\"a\": 1} {\"a\": 2}]").unwrap_err();
        assert!(e.contains("expected , or ]"), "{e}");
        let e = json_rows("[{\"a\": 1},").unwrap_err();
        assert!(e.contains("not closed"), "{e}");
        let e = json_rows("[1, 2]").unwrap_err();
        assert!(e.contains("not an object"), "{e}");
        let e = json_rows("{\"a\": 1}\n[2]\n").unwrap_err();
        assert!(e.contains(":2:") || e.contains("x.json:2"), "{e}");
    }

    #[test]
    fn parquet_columns_of_any_width_become_cells() {
        assert_eq!(
            arrow_cells(&Int32Array::from(vec![Some(7), None])),
            vec![Cell::Int(7), Cell::Empty]
        );
        assert_eq!(
            arrow_cells(&Float32Array::from(vec![1.5])),
            vec![Cell::Float(1.5)]
        );
        let t = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let ms = TimestampMillisecondArray::from(vec![t.and_utc().timestamp_millis()]);
        assert_eq!(arrow_cells(&ms), vec![Cell::DateTime(t)]);
        assert_eq!(
            arrow_cells(&StringArray::from(vec!["PD001"])),
            vec![Cell::Text("PD001".into())]
        );
    }
}
