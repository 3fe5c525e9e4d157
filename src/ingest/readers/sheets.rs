//! Workbooks (XLSX streamed cell by cell, XLS and ODS read a sheet whole), each cell kept with its
//! kind, and refused before allocation when it claims more than a real sheet can hold.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader};

use super::{IngestError, RawRow, ReaderError, Rows, no_header_row, read_err, unreadable};
use crate::ingest::cell::Cell;
use crate::ingest::{Beyond, ReadFault};
use crate::warehouse::problem_read::ReadCause;

/// What a workbook may claim, as Excel bounds it: a cell past these is a damaged or crafted file,
/// refused before anything is allocated for it.
pub(super) const MAX_SHEET_ROWS: u32 = 1_048_576;
pub(super) const MAX_SHEET_COLUMNS: u32 = 16_384;
pub(super) const MAX_CELL_CHARS: usize = 32_767;
/// The most a workbook part read whole into memory (shared strings, an ODS's content) may take
/// once unpacked; sheets themselves are streamed.
pub(super) const MAX_WHOLE_PART_BYTES: u64 = 512 << 20;

pub(super) fn open_xlsx(
    path: &Path,
    shown: &str,
    sheet: Option<&str>,
    header_row: usize,
    declared_ods: bool,
) -> Result<(Vec<String>, Rows), IngestError> {
    check_zip_parts(path, shown)?;
    let wb = open_sheets(path, declared_ods).map_err(|e| e.into_error(shown, declared_ods))?;
    let names = wb.sheet_names();
    let sheet = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                let fault = ReadFault::NoSheet {
                    sheet: s.to_string(),
                    sheets: crate::text::excerpt(&names.join(", ")).into_owned(),
                };
                read_err(shown, None, fault)
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| read_err(shown, None, ReadFault::NoSheets))?,
    };
    match wb {
        calamine::Sheets::Xlsx(x) => stream_xlsx(x, shown, sheet, header_row),
        mut other => {
            // xls and ods have no streaming reader: the sheet is read whole. A reader that
            // panics on a crafted file fails this export, not the run.
            let range = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                other.worksheet_range(&sheet)
            }))
            .map_err(|p| read_err(shown, None, panicked(Some(&sheet), p.as_ref())))?
            .map_err(|source| {
                let sheet = sheet.clone();
                read_err(shown, None, ReadFault::Sheet { sheet, source })
            })?;
            rows_of_range(range, shown, &sheet, header_row)
        }
    }
}

/// What a panic said, as the error that replaces it.
pub(super) fn panicked(sheet: Option<&str>, p: &(dyn std::any::Any + Send)) -> ReadFault {
    let said = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    ReadFault::Panicked {
        sheet: sheet.map(str::to_string),
        said,
    }
}

/// Refuses a zip-based workbook whose parts read whole into memory would take more than
/// `MAX_WHOLE_PART_BYTES` once unpacked, before the spreadsheet reader allocates for them.
pub(super) fn check_zip_parts(path: &Path, shown: &str) -> Result<(), IngestError> {
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
            let fault = ReadFault::PartTooLarge {
                part: name.to_string(),
                size,
                max: MAX_WHOLE_PART_BYTES,
            };
            return Err(read_err(shown, None, fault));
        }
    }
    Ok(())
}

pub(super) fn rows_of_range(
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
    let header = header.ok_or_else(|| no_header_row(shown, header_row, Some(sheet)))?;
    Ok((header, Box::new(rows.into_iter())))
}

/// What the thread reading an XLSX sheet sends: the header once, then rows, then `End` when it
/// has read the whole sheet.
pub(super) enum SheetMessage {
    Header(Vec<String>),
    Row(Result<RawRow, IngestError>),
    End,
}

/// Runs `read` on a thread of its own, handing its messages over a bounded channel. A reader that
/// panics or stops before saying `End` yields an error as its last row: a delivery is read whole
/// or not at all, never cut short and taken as complete.
pub(super) fn spawn_sheet_reader(
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
                    panicked(None, p.as_ref()),
                ))));
            }
        }
    });
    rx
}

/// The rows a sheet reader hands over, ending with an error when it stopped before `End`.
pub(super) struct SheetRows {
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
                    return Some(Err(read_err(&self.shown, None, ReadFault::StoppedEarly)));
                }
            }
        }
        None
    }
}

/// Why a cell at 0-based (`row`, `col`) or holding `value` cannot be in a real sheet, if it cannot.
pub(super) fn beyond_limits(row: u32, col: u32, value: &calamine::DataRef) -> Option<Beyond> {
    if col >= MAX_SHEET_COLUMNS {
        return Some(Beyond::Column(MAX_SHEET_COLUMNS));
    }
    if row >= MAX_SHEET_ROWS {
        return Some(Beyond::Row(MAX_SHEET_ROWS));
    }
    let text = match value {
        calamine::DataRef::String(s) => s.as_str(),
        calamine::DataRef::SharedString(s) => s,
        _ => "",
    };
    // A character takes at most four bytes: most texts need no count.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Some(Beyond::Text(MAX_CELL_CHARS));
    }
    None
}

/// Reads an XLSX sheet cell by cell on a thread of its own and hands its rows over a bounded
/// channel: memory holds a few hundred rows (and the workbook's shared strings), not the sheet.
pub(super) fn stream_xlsx(
    mut wb: calamine::Xlsx<BufReader<File>>,
    shown: &str,
    sheet: String,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let thread_shown = shown.to_string();
    let sheet_name = sheet.clone();
    let rx = spawn_sheet_reader(shown, move |tx| {
        let mut out = SheetSender {
            tx,
            shown: &thread_shown,
            sheet: &sheet,
            header_row,
            header_sent: false,
        };
        if let Err(e) = out.send_sheet(&mut wb) {
            let _ = tx.send(SheetMessage::Row(Err(e)));
        }
    });
    let header = match rx.recv() {
        Ok(SheetMessage::Header(h)) => h,
        Ok(SheetMessage::Row(Err(e))) => return Err(e),
        _ => return Err(no_header_row(shown, header_row, Some(&sheet_name))),
    };
    let rows = SheetRows {
        rx,
        width: header.len(),
        shown: shown.to_string(),
        done: false,
    };
    Ok((header, Box::new(rows)))
}

/// Hands a sheet's rows, as its cells are read, to the channel `SheetRows` reads.
struct SheetSender<'a> {
    tx: &'a std::sync::mpsc::SyncSender<SheetMessage>,
    shown: &'a str,
    sheet: &'a str,
    header_row: usize,
    header_sent: bool,
}

/// Whether the receiving end still takes rows (false once it has hung up).
type Taken = bool;

impl SheetSender<'_> {
    /// Sends the header, every data row below it and `End`; the error that stopped the reading,
    /// if one did (a hung-up receiver is no error: nobody is left to tell).
    fn send_sheet(&mut self, wb: &mut calamine::Xlsx<BufReader<File>>) -> Result<(), IngestError> {
        let sheet = self.sheet;
        let failed = |e: calamine::XlsxError| {
            let fault = ReadFault::Sheet {
                sheet: sheet.to_string(),
                source: e.into(),
            };
            read_err(self.shown, None, fault)
        };
        let mut reader = wb.worksheet_cells_reader(sheet).map_err(failed)?;
        let mut current: Option<(u32, Vec<Cell>)> = None;
        while let Some(cell) = reader.next_cell().map_err(failed)? {
            let (row, col) = cell.get_position();
            if let Some(beyond) = beyond_limits(row, col, cell.get_value()) {
                let sheet = sheet.to_string();
                let line = Some(u64::from(row) + 1);
                return Err(read_err(
                    self.shown,
                    line,
                    ReadFault::Beyond { sheet, beyond },
                ));
            }
            if current.as_ref().is_some_and(|(r, _)| *r != row)
                && let Some((r, cells)) = current.take()
                && !self.flush(r, cells)
            {
                return Ok(());
            }
            let cells = &mut current.get_or_insert_with(|| (row, Vec::new())).1;
            if cells.len() <= col as usize {
                cells.resize(col as usize + 1, Cell::Empty);
            }
            cells[col as usize] = xlsx_ref_cell(cell.get_value());
        }
        if let Some((r, cells)) = current.take()
            && !self.flush(r, cells)
        {
            return Ok(());
        }
        if !self.header_sent {
            return Err(no_header_row(self.shown, self.header_row, Some(sheet)));
        }
        let _ = self.tx.send(SheetMessage::End);
        Ok(())
    }

    /// Hands over a finished row (0-based `row`): the header, or a data row below it.
    fn flush(&mut self, row: u32, cells: Vec<Cell>) -> Taken {
        let sheet_row = row as usize + 1;
        if sheet_row < self.header_row {
            return true;
        }
        if sheet_row == self.header_row {
            self.header_sent = true;
            let header = cells.iter().map(Cell::shown).collect();
            return self.tx.send(SheetMessage::Header(header)).is_ok();
        }
        if !self.header_sent || cells.iter().all(|c| matches!(c, Cell::Empty)) {
            return true;
        }
        let row = RawRow {
            line: sheet_row as u64,
            cells,
        };
        self.tx.send(SheetMessage::Row(Ok(row))).is_ok()
    }
}

/// A date cell as a date, or as its serial number (which a date column then rejects with its
/// line) when no calendar has it: Excel's own dates run from year 1900 to 9999.
pub(super) fn excel_date(dt: &calamine::ExcelDateTime) -> Cell {
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

pub(super) fn xlsx_ref_cell(d: &calamine::DataRef) -> Cell {
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

/// Why a workbook did not open: its file, or the spreadsheet reader.
pub(super) enum Unopened {
    Io(std::io::Error),
    Workbook(calamine::Error),
}

impl Unopened {
    fn into_error(self, shown: &str, declared_ods: bool) -> IngestError {
        match self {
            Unopened::Io(e) => read_err(shown, None, e),
            Unopened::Workbook(e) => {
                let cause = ReadCause::Workbook {
                    ods: declared_ods,
                    detail: e.to_string(),
                };
                unreadable(shown, None, cause, Some(ReaderError::Sheet(e)))
            }
        }
    }
}

/// Opens a workbook of whichever kind its bytes say: a zip holds xlsx or ods, an OLE file xls.
/// When neither opens, the error is why the declared kind (`ods` or else xlsx) did not.
pub(super) fn open_sheets(
    path: &Path,
    declared_ods: bool,
) -> Result<calamine::Sheets<BufReader<File>>, Unopened> {
    use calamine::{Ods, Sheets, Xls, Xlsx, open_workbook_from_rs};
    let open = || File::open(path).map(BufReader::new).map_err(Unopened::Io);
    let mut magic = [0u8; 4];
    let n = open()?.read(&mut magic).map_err(Unopened::Io)?;
    if n == 4 && magic == [0xD0, 0xCF, 0x11, 0xE0] {
        return open_workbook_from_rs::<Xls<_>, _>(open()?)
            .map(Sheets::Xls)
            .map_err(|e| Unopened::Workbook(e.into()));
    }
    let xlsx = match open_workbook_from_rs::<Xlsx<_>, _>(open()?) {
        Ok(wb) => return Ok(Sheets::Xlsx(wb)),
        Err(e) => e,
    };
    let ods = match open_workbook_from_rs::<Ods<_>, _>(open()?) {
        Ok(wb) => return Ok(Sheets::Ods(wb)),
        Err(e) => e,
    };
    Err(Unopened::Workbook(if declared_ods {
        ods.into()
    } else {
        xlsx.into()
    }))
}

pub(super) fn xlsx_cell(d: &Data) -> Cell {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
