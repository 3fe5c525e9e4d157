//! Why a source could not be ingested: each failure a variant with its values and, where another
//! library failed, that library's error as its source. The failures pages name in the project's
//! locale turn into a `Problem` (`IngestError::problem`).

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::parquet::errors::ParquetError;

use crate::config::Locale;
use crate::warehouse::WarehouseError;
use crate::warehouse::problem::{Problem, Step, Worded};
pub use crate::warehouse::problem_fault::{Beyond, Stretch};
use crate::warehouse::problem_fault::{FaultCause, UnrunCheck};
use crate::warehouse::problem_fetch::FetchFaultCause;
use crate::warehouse::problem_read::{FetchCause, ReadCause};

/// Why a source could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The export could not be read or parsed.
    #[error("{file}{}: {fault}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Read {
        /// The export.
        file: String,
        /// The line, when the problem has one.
        line: Option<u64>,
        /// What is wrong.
        #[source]
        fault: Box<ReadFault>,
    },
    /// The export could not be read as its format, with a kind pages name in the project's
    /// locale (an unreadable workbook, invalid JSON, no header row).
    #[error("{}", self.problem())]
    Unreadable {
        /// The export.
        file: String,
        /// The line, when the problem has one.
        line: Option<u64>,
        /// What is wrong, as a kind and its values.
        cause: ReadCause,
        /// The reader's own error, when one refused the file.
        #[source]
        source: Option<Box<ReaderError>>,
    },
    #[error("{url}: {fault}")]
    /// The export could not be fetched (or found, for a listing).
    Fetch {
        /// The address.
        url: String,
        /// What went wrong.
        #[source]
        fault: Box<FetchFault>,
    },
    /// The remote export could not be fetched, with a kind pages name in the project's locale
    /// (an HTTP status, a timeout, a reply too large, a listing refused).
    #[error("{}", self.problem())]
    Unfetched {
        /// The address.
        url: String,
        /// What went wrong, as a kind and its values.
        cause: FetchCause,
        /// The store's error.
        #[source]
        source: Option<Box<object_store::Error>>,
    },
    /// A failure with a kind of its own (a missing header, too many rejected rows, bytes that
    /// are not UTF-8): its values, which pages write in the project's locale.
    #[error("{0}")]
    Typed(Box<Problem>),
    /// The export shrank more than `max_shrink` allows; it is held back.
    #[error("{}", self.problem())]
    Shrunk {
        /// The export.
        file: String,
        /// The source, as `--accept` names it.
        name: String,
        /// Rows in the new export.
        rows: u64,
        /// Rows in the last good data.
        previous: u64,
        /// The drop, in percent.
        drop: f64,
        /// The largest drop allowed, in percent.
        max_shrink: f64,
    },
    /// The warehouse could not be read or written.
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// The day the run takes as today could not be read.
    #[error(transparent)]
    Today(#[from] crate::clock::BadToday),
    /// The scratch folder `check` reads exports into could not be made.
    #[error("a scratch folder: {0}")]
    Scratch(#[source] std::io::Error),
    /// Rows could not be put into columns for the warehouse.
    #[error("encoding the warehouse file: {0}")]
    Encode(#[from] ArrowError),
    /// The warehouse's Parquet file could not be written.
    #[error("writing the warehouse: {0}")]
    Write(#[from] ParquetError),
    /// The file of rejected rows could not be written.
    #[error("writing the rejected rows: {0}")]
    Rejected(#[source] ParquetError),
    /// The data-quality findings could not be computed.
    #[error("findings: {0}")]
    Findings(#[source] Box<QueryError>),
    /// The periods and territories a delivery covers could not be read from its data.
    #[error("the periods the delivery covers: {0}")]
    Coverage(#[source] Box<QueryError>),
    /// A table's check rule could not be run on the new data.
    #[error("{}", self.problem())]
    Check {
        /// The table's file.
        file: String,
        /// The check's name.
        name: String,
        /// Its SQL condition.
        rule: String,
        /// Why it could not be run.
        #[source]
        source: Box<QueryError>,
    },
    /// A part of the ingest stopped before it finished (the warehouse writer, a parsing thread).
    #[error("{0} stopped")]
    Stopped(&'static str),
    /// A task of the ingest ended without its result (it panicked or was cancelled).
    #[error("{what} stopped: {source}")]
    Task {
        /// The task.
        what: String,
        /// How it ended.
        #[source]
        source: tokio::task::JoinError,
    },
}

/// What stopped a reader partway through an export, or before it began. Each has a kind
/// (`ReadFault::cause`) that pages write in the project's locale; its English is the terminal's.
#[derive(Debug, thiserror::Error)]
pub enum ReadFault {
    /// The file could not be read.
    #[error("{}", self.english())]
    Io(#[from] std::io::Error),
    /// The CSV reader stopped on it.
    #[error("{}", self.english())]
    Csv(#[source] csv::Error),
    /// The Parquet reader refused it.
    #[error("{}", self.english())]
    Parquet(#[from] ParquetError),
    /// The Parquet reader stopped on a batch.
    #[error("{}", self.english())]
    Batch(#[from] ArrowError),
    /// Text the declared encoding does not decode.
    #[error("{}", self.english())]
    NotInEncoding,
    /// A line, or an object of a JSON array, past the longest a reader holds.
    #[error("{}", self.english())]
    TooLong {
        /// The line or item.
        what: Stretch,
    },
    /// JSON objects with more different keys than a sheet has columns.
    #[error("{}", self.english())]
    TooManyKeys {
        /// The columns a sheet has.
        max: u32,
    },
    /// No sheet of the workbook has the name `options.sheet` gives.
    #[error("{}", self.english())]
    NoSheet {
        /// The sheet named.
        sheet: String,
        /// The workbook's sheets, as one excerpt.
        sheets: String,
    },
    /// A workbook without sheets.
    #[error("{}", self.english())]
    NoSheets,
    /// The spreadsheet reader's error on a sheet.
    #[error("{}", self.english())]
    Sheet {
        /// The sheet.
        sheet: String,
        /// The reader's error.
        #[source]
        source: calamine::Error,
    },
    /// A cell a real sheet cannot have (a damaged or crafted file).
    #[error("{}", self.english())]
    Beyond {
        /// The sheet.
        sheet: String,
        /// What no sheet has.
        beyond: Beyond,
    },
    /// A workbook part that would take more than `max` bytes unpacked.
    #[error("{}", self.english())]
    PartTooLarge {
        /// The part's name in the zip.
        part: String,
        /// Its size unpacked.
        size: u64,
        /// The most a part may take.
        max: u64,
    },
    /// The spreadsheet reader panicked on the file; `said` what it said.
    #[error("{}", self.english())]
    Panicked {
        /// The sheet being read, when one was.
        sheet: Option<String>,
        /// The panic's message.
        said: String,
    },
    /// The thread reading a sheet ended before the sheet did.
    #[error("{}", self.english())]
    StoppedEarly,
    /// Headers with NUL bytes between their letters: UTF-16 without a byte-order mark, read as
    /// an encoding of one byte per letter; `label` the encoding that reads it.
    #[error("{}", self.english())]
    Utf16 {
        /// `utf-16le` or `utf-16be`.
        label: &'static str,
    },
}

impl ReadFault {
    /// The fault as a kind and its values, for pages in the project's locale.
    pub fn cause(&self) -> FaultCause {
        match self {
            ReadFault::Io(e) => io_cause(e),
            ReadFault::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(io) => io_cause(io),
                _ => FaultCause::Csv {
                    detail: e.to_string(),
                },
            },
            ReadFault::Parquet(e) => FaultCause::Parquet {
                detail: e.to_string(),
            },
            ReadFault::Batch(e) => FaultCause::Parquet {
                detail: e.to_string(),
            },
            ReadFault::NotInEncoding => FaultCause::NotInEncoding,
            ReadFault::TooLong { what } => FaultCause::TooLong {
                stretch: *what,
                limit_mib: super::readers::MAX_LINE_BYTES >> 20,
            },
            ReadFault::TooManyKeys { max } => FaultCause::TooManyKeys { max: *max },
            ReadFault::NoSheet { sheet, sheets } => FaultCause::NoSheet {
                sheet: sheet.clone(),
                sheets: sheets.clone(),
            },
            ReadFault::NoSheets => FaultCause::NoSheets,
            ReadFault::Sheet { sheet, source } => FaultCause::Sheet {
                sheet: sheet.clone(),
                detail: source.to_string(),
            },
            ReadFault::Beyond { sheet, beyond } => FaultCause::Beyond {
                sheet: sheet.clone(),
                beyond: *beyond,
            },
            ReadFault::PartTooLarge { part, size, max } => FaultCause::PartTooLarge {
                part: part.clone(),
                size: *size,
                max: *max,
            },
            ReadFault::Panicked { sheet, said } => FaultCause::Panicked {
                sheet: sheet.clone(),
                said: said.clone(),
            },
            ReadFault::StoppedEarly => FaultCause::StoppedEarly,
            ReadFault::Utf16 { label } => FaultCause::Utf16 {
                label: label.to_string(),
            },
        }
    }

    fn english(&self) -> String {
        self.cause().text(Locale::En)
    }
}

/// An I/O error's kind: the reader's own fault when a guard on the bytes raised it (a line too
/// long, met while the CSV reader pulled bytes), else the system's words.
fn io_cause(e: &std::io::Error) -> FaultCause {
    match e.get_ref().and_then(|i| i.downcast_ref::<ReadFault>()) {
        Some(inner) => inner.cause(),
        None => FaultCause::Io {
            detail: e.to_string(),
        },
    }
}

/// Why an export could not be brought within reach, when the failure is not a common one; each
/// has a kind (`FetchFault::cause`) that pages write in the project's locale.
#[derive(Debug, thiserror::Error)]
pub enum FetchFault {
    /// A header's `env:` variable is not set.
    #[error("{}", self.english())]
    UnsetVariable {
        /// The variable.
        variable: String,
        /// The header that names it.
        header: String,
    },
    /// Neither a path nor an address osservatorio reads.
    #[error("{}", self.english())]
    NotAPlace,
    /// An address that does not parse.
    #[error("{}", self.english())]
    Address(#[from] url::ParseError),
    /// A path the store cannot name.
    #[error("{}", self.english())]
    Path(#[from] object_store::path::Error),
    /// A header's name is not one HTTP allows.
    #[error("{}", self.english())]
    HeaderName(#[from] http::header::InvalidHeaderName),
    /// A header's value is not one HTTP allows.
    #[error("{}", self.english())]
    HeaderValue(#[from] http::header::InvalidHeaderValue),
    /// The store refused the request, in its words.
    #[error("{}", self.english())]
    Store(#[from] object_store::Error),
    /// A local file could not be read or a download spooled.
    #[error("{}", self.english())]
    Io(#[from] std::io::Error),
    /// The file's size changed while it was hashed.
    #[error("{}", self.english())]
    Changed {
        /// Its size when it was opened.
        before: u64,
        /// The bytes read.
        after: u64,
    },
    /// A listing's file pattern that is not a valid glob.
    #[error("{}", self.english())]
    Pattern(#[from] globset::Error),
    /// A listing's folder that does not exist.
    #[error("{}", self.english())]
    NoFolder(String),
    /// A listing's pattern naming more files than are read.
    #[error("{}", self.english())]
    TooManyFiles(usize),
}

impl FetchFault {
    /// The fault as a kind and its values, for pages in the project's locale.
    pub fn cause(&self) -> FetchFaultCause {
        match self {
            FetchFault::UnsetVariable { variable, header } => FetchFaultCause::UnsetVariable {
                variable: variable.clone(),
                header: header.clone(),
            },
            FetchFault::NotAPlace => FetchFaultCause::NotAPlace,
            FetchFault::Address(e) => FetchFaultCause::Address {
                detail: e.to_string(),
            },
            FetchFault::Path(e) => FetchFaultCause::Address {
                detail: e.to_string(),
            },
            FetchFault::HeaderName(e) => FetchFaultCause::Header {
                detail: e.to_string(),
            },
            FetchFault::HeaderValue(e) => FetchFaultCause::Header {
                detail: e.to_string(),
            },
            FetchFault::Store(e) => FetchFaultCause::Store {
                detail: e.to_string(),
            },
            FetchFault::Io(e) => FetchFaultCause::Io {
                detail: e.to_string(),
            },
            FetchFault::Changed { before, after } => FetchFaultCause::Changed {
                before: *before,
                after: *after,
            },
            FetchFault::Pattern(e) => FetchFaultCause::Pattern {
                detail: e.to_string(),
            },
            FetchFault::NoFolder(folder) => FetchFaultCause::NoFolder {
                folder: folder.clone(),
            },
            FetchFault::TooManyFiles(max) => FetchFaultCause::TooManyFiles { max: *max as u64 },
        }
    }

    fn english(&self) -> String {
        self.cause().text(Locale::En)
    }
}

/// The error of the library that refused an export.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// The spreadsheet reader's.
    #[error(transparent)]
    Sheet(#[from] calamine::Error),
    /// The JSON parser's.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Why a read-only query of the new data failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Refused before it ran (not a read-only query, or not valid SQL), in the planner's words.
    #[error("{0}")]
    Refused(#[source] crate::warehouse::session::ReadOnlyError),
    /// The query engine failed while running it.
    #[error(transparent)]
    Engine(#[from] DataFusionError),
}

impl IngestError {
    /// The step that failed, for a failure of the machine rather than of the export.
    fn step(&self) -> Option<Step> {
        Some(match self {
            IngestError::Warehouse(_) => Step::Warehouse,
            IngestError::Today(_) => Step::Today,
            IngestError::Scratch(_) => Step::Scratch,
            IngestError::Encode(_) => Step::Encode,
            IngestError::Write(_) => Step::Write,
            IngestError::Rejected(_) => Step::Rejected,
            IngestError::Findings(_) => Step::Findings,
            IngestError::Coverage(_) => Step::Coverage,
            IngestError::Stopped(_) | IngestError::Task { .. } => Step::Stopped,
            _ => return None,
        })
    }

    /// The failure as a kind and its values, for pages in the project's locale.
    pub fn problem(&self) -> Problem {
        match self {
            IngestError::Typed(p) => (**p).clone(),
            IngestError::Unreadable {
                file, line, cause, ..
            } => Problem::Unreadable {
                file: file.clone(),
                line: *line,
                cause: cause.clone(),
            },
            IngestError::Unfetched { url, cause, .. } => Problem::FetchFailed {
                url: url.clone(),
                cause: cause.clone(),
            },
            IngestError::Shrunk {
                file,
                name,
                rows,
                previous,
                drop,
                max_shrink,
            } => Problem::HeldBack {
                file: file.clone(),
                name: name.clone(),
                rows: *rows,
                previous: *previous,
                drop: *drop,
                max_shrink: *max_shrink,
            },
            IngestError::Read { file, line, fault } => Problem::Unreadable {
                file: file.clone(),
                line: *line,
                cause: ReadCause::Fault {
                    fault: fault.cause(),
                },
            },
            IngestError::Fetch { url, fault } => Problem::FetchFailed {
                url: url.clone(),
                cause: FetchCause::Fault {
                    fault: fault.cause(),
                },
            },
            IngestError::Check {
                file,
                name,
                rule,
                source,
            } => Problem::CheckNotRun {
                check: UnrunCheck {
                    file: file.clone(),
                    name: name.clone(),
                    rule: rule.clone(),
                    detail: source.to_string(),
                },
            },
            other => match other.step() {
                Some(step) => Problem::StepFailed {
                    step,
                    text: other.to_string(),
                },
                None => Problem::Other {
                    text: other.to_string(),
                },
            },
        }
    }
}

/// The batches of a read-only query.
pub(super) async fn read_only_rows(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, QueryError> {
    let df = crate::warehouse::session::plan_read_only(ctx, sql)
        .await
        .map_err(QueryError::Refused)?;
    Ok(df.collect().await?)
}
