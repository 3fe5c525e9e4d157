//! Why a source could not be ingested: each failure a variant with its values and, where another
//! library failed, that library's error as its source. The failures pages name in the project's
//! locale turn into a `Problem` (`IngestError::problem`).

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::parquet::errors::ParquetError;

use crate::warehouse::WarehouseError;
use crate::warehouse::problem::Problem;
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
    #[error("{file}: check '{name}' rule \"{rule}\": {source}")]
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

/// What stopped a reader partway through an export, or before it began.
#[derive(Debug, thiserror::Error)]
pub enum ReadFault {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The CSV reader stopped on it.
    #[error("{0}")]
    Csv(#[source] csv::Error),
    /// The Parquet reader refused it.
    #[error("{0}")]
    Parquet(#[from] ParquetError),
    /// The Parquet reader stopped on a batch.
    #[error("{0}")]
    Batch(#[from] ArrowError),
    /// Text the declared encoding does not decode.
    #[error(
        "text that is not valid in the declared encoding (set options.encoding, e.g. windows-1252)"
    )]
    NotInEncoding,
    /// A line, or an object of a JSON array (`what` names it: `line 3`), past the longest a
    /// reader holds.
    #[error(
        "{what} is longer than {} MiB, far more than an export holds (a damaged file, or one that is not in the source's format): export it again, or check the source's format",
        super::readers::MAX_LINE_BYTES >> 20
    )]
    TooLong {
        /// The line or item.
        what: String,
    },
    /// JSON objects with more different keys than a sheet has columns.
    #[error(
        "the objects have more than {max} different keys, the columns a spreadsheet has (a damaged file, or records that are not rows of one table): export the table again"
    )]
    TooManyKeys {
        /// The columns a sheet has.
        max: u32,
    },
    /// No sheet of the workbook has the name `options.sheet` gives.
    #[error("no sheet named '{sheet}' (sheets: {sheets})")]
    NoSheet {
        /// The sheet named.
        sheet: String,
        /// The workbook's sheets, as one excerpt.
        sheets: String,
    },
    /// A workbook without sheets.
    #[error("the workbook has no sheets")]
    NoSheets,
    /// The spreadsheet reader's error on a sheet.
    #[error("sheet '{sheet}': {source}")]
    Sheet {
        /// The sheet.
        sheet: String,
        /// The reader's error.
        #[source]
        source: calamine::Error,
    },
    /// A cell a real sheet cannot have (a damaged or crafted file).
    #[error("sheet '{sheet}': {beyond}")]
    Beyond {
        /// The sheet.
        sheet: String,
        /// What no sheet has.
        beyond: Beyond,
    },
    /// A workbook part that would take more than `max` bytes unpacked.
    #[error(
        "its part {} would take {size} bytes once unpacked, more than the {max} a workbook part may (a damaged or crafted file); save the sheet again from the spreadsheet, or export it as CSV",
        crate::text::quoted(part)
    )]
    PartTooLarge {
        /// The part's name in the zip.
        part: String,
        /// Its size unpacked.
        size: u64,
        /// The most a part may take.
        max: u64,
    },
    /// The spreadsheet reader panicked on the file; `said` what it said.
    #[error(
        "{}the spreadsheet reader stopped on it ({}); the file is damaged or not what its format says: save it again from the spreadsheet",
        sheet.as_ref().map(|s| format!("sheet '{s}': ")).unwrap_or_default(),
        crate::text::quoted(said)
    )]
    Panicked {
        /// The sheet being read, when one was.
        sheet: Option<String>,
        /// The panic's message.
        said: String,
    },
    /// The thread reading a sheet ended before the sheet did.
    #[error(
        "the spreadsheet reader stopped before the end of the sheet; nothing of this export is taken: save it again from the spreadsheet"
    )]
    StoppedEarly,
}

/// Where a cell lies, or what it holds, that no real sheet has.
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum Beyond {
    /// Past the last column.
    #[error(
        "a cell lies beyond column XFD, the last of the {0} columns a sheet has (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Column(u32),
    /// Past the last row.
    #[error(
        "a cell lies beyond the last of the {0} rows a sheet has (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Row(u32),
    /// More characters than a cell holds.
    #[error(
        "a cell holds more than the {0} characters a spreadsheet cell can (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Text(usize),
}

/// Why an export could not be brought within reach, when the failure has no kind pages name.
#[derive(Debug, thiserror::Error)]
pub enum FetchFault {
    /// A header's `env:` variable is not set.
    #[error(
        "the environment variable {variable} (headers.{header}) is not set; set it where osservatorio runs"
    )]
    UnsetVariable {
        /// The variable.
        variable: String,
        /// The header that names it.
        header: String,
    },
    /// Neither a path nor an address osservatorio reads.
    #[error(
        "not a place an export can be read from: write a path, file://, s3://bucket/key or an http(s):// address"
    )]
    NotAPlace,
    /// An address that does not parse.
    #[error("{0}")]
    Address(#[from] url::ParseError),
    /// A path the store cannot name.
    #[error("{0}")]
    Path(#[from] object_store::path::Error),
    /// A header's name is not one HTTP allows.
    #[error("{0}")]
    HeaderName(#[from] http::header::InvalidHeaderName),
    /// A header's value is not one HTTP allows.
    #[error("{0}")]
    HeaderValue(#[from] http::header::InvalidHeaderValue),
    /// The store refused the request, in its words.
    #[error("{0}")]
    Store(#[from] object_store::Error),
    /// A local file could not be read or a download spooled.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file's size changed while it was hashed.
    #[error(
        "the file changed while it was read ({before} bytes, then {after}): run again once it is written"
    )]
    Changed {
        /// Its size when it was opened.
        before: u64,
        /// The bytes read.
        after: u64,
    },
    /// A listing's file pattern that is not a valid glob.
    #[error("{0}")]
    Pattern(#[from] globset::Error),
    /// A listing's folder that does not exist.
    #[error("no such folder: {0}")]
    NoFolder(String),
    /// A listing's pattern naming more files than are read.
    #[error("the pattern names more than {0} files: narrow it (e.g. one folder per source)")]
    TooManyFiles(usize),
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
            other => Problem::Other {
                text: other.to_string(),
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
