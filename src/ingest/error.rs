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
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Read {
        /// The export.
        file: String,
        /// The line, when the problem has one.
        line: Option<u64>,
        /// What is wrong.
        message: String,
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
        source: Option<ReaderError>,
    },
    #[error("{url}: {message}")]
    /// The remote export could not be fetched.
    Fetch {
        /// The address.
        url: String,
        /// What went wrong.
        message: String,
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
    Findings(#[source] QueryError),
    /// The periods and territories a delivery covers could not be read from its data.
    #[error("the periods the delivery covers: {0}")]
    Coverage(#[source] QueryError),
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
        source: QueryError,
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
    Refused(String),
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
