//! Readers for each export format. Each yields a header row and then numbered rows of cells, so the
//! mapping onto canonical tables is the same whatever the format: `csv.rs`, `sheets.rs` (XLSX, XLS,
//! ODS), `json.rs` (arrays and NDJSON), `parquet.rs`.

mod csv;
mod json;
mod parquet;
mod sheets;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::cell::Cell;
use super::{IngestError, ReadFault, ReaderError};
use crate::config::Format;
use crate::warehouse::problem_read::{JsonFault, ReadCause};

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
        } => csv::open_csv(path, shown, *delimiter, encoding, *header_row),
        Format::Xlsx {
            sheet, header_row, ..
        } => sheets::open_xlsx(path, shown, sheet.as_deref(), *header_row, false),
        Format::Ods {
            sheet, header_row, ..
        } => sheets::open_xlsx(path, shown, sheet.as_deref(), *header_row, true),
        Format::Json { encoding, .. } => json::open_json(path, shown, encoding),
        Format::Parquet { .. } => parquet::open_parquet(path, shown),
    }
}

pub(super) fn read_err(shown: &str, line: Option<u64>, fault: impl Into<ReadFault>) -> IngestError {
    IngestError::Read {
        file: shown.to_string(),
        line,
        fault: Box::new(fault.into()),
    }
}

/// An export its format cannot read, as a kind pages name in the project's locale.
pub(super) fn unreadable(
    shown: &str,
    line: Option<u64>,
    cause: ReadCause,
    source: Option<ReaderError>,
) -> IngestError {
    IngestError::Unreadable {
        file: shown.to_string(),
        line,
        cause,
        source: source.map(Box::new),
    }
}

/// A file, or its sheet, that ends before the header row.
pub(super) fn no_header_row(shown: &str, header_row: usize, sheet: Option<&str>) -> IngestError {
    let cause = ReadCause::NoHeaderRow {
        header_row: header_row as u64,
        sheet: sheet.map(str::to_string),
    };
    unreadable(shown, None, cause, None)
}

/// Invalid JSON, at `line` (an NDJSON line or an array item).
pub(super) fn bad_json(
    shown: &str,
    line: u64,
    fault: JsonFault,
    source: Option<serde_json::Error>,
) -> IngestError {
    let cause = ReadCause::Json { fault };
    unreadable(shown, Some(line), cause, source.map(ReaderError::Json))
}

pub(super) fn decoded(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<impl Read + Send + use<>, IngestError> {
    let file = File::open(path).map_err(|e| read_err(shown, None, e))?;
    // Transcodes while streaming, and drops a UTF-8 or UTF-16 byte-order mark whatever the label says.
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 16, file)))
}

/// The longest line a CSV or NDJSON export may have, and the most one object of a JSON array may
/// take: far past what any office's export holds, and what keeps memory bounded whatever a file
/// holds (a reader buffers one line or object at a time).
pub(super) const MAX_LINE_BYTES: u64 = 16 << 20;

pub(super) fn too_long(what: crate::ingest::Stretch) -> ReadFault {
    ReadFault::TooLong { what }
}
