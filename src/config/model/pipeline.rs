//! Pipelines: their tables and columns, the sources that feed them and how each is read.

use std::path::PathBuf;

/// The canonical type of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text, kept as written (codes keep their leading zeros).
    String,
    /// A whole number, parsed exactly.
    Int,
    /// A decimal number in the source's convention.
    Float,
    /// A yes/no value (`sì`, `no`, `true`, `1`, ...).
    Bool,
    /// A calendar date.
    Date,
    /// A date and time.
    Timestamp,
}

impl ColumnType {
    /// The type's name as the YAML writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Int => "int",
            ColumnType::Float => "float",
            ColumnType::Bool => "bool",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
        }
    }

    /// The type named in YAML (`string`, `int`, ...), if it is one.
    pub fn parse(s: &str) -> Option<ColumnType> {
        match s {
            "string" => Some(ColumnType::String),
            "int" => Some(ColumnType::Int),
            "float" => Some(ColumnType::Float),
            "bool" => Some(ColumnType::Bool),
            "date" => Some(ColumnType::Date),
            "timestamp" => Some(ColumnType::Timestamp),
            _ => None,
        }
    }
}

/// A canonical column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column's name in the warehouse.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether a row without it is rejected.
    pub required: bool,
}

/// What a broken check does to the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The rows are reported as findings; the source is ingested.
    Warning,
    /// The rows are counted as errors and the run exits non-zero.
    Error,
}

/// A row-level rule a table's rows must meet.
#[derive(Debug, Clone)]
pub struct Check {
    /// The name findings and reports show.
    pub name: String,
    /// The SQL condition every row must satisfy.
    pub rule: String,
    /// Whether a breach is a warning or an error.
    pub severity: Severity,
    /// Where the rule is written, for errors found when it is planned.
    pub key: String,
    /// The line of the rule in its YAML file.
    pub line: Option<usize>,
}

/// Values of `columns` whose robust z-score within their series (one per value of `by`) passes
/// `threshold` are reported as outliers.
#[derive(Debug, Clone)]
pub struct OutlierRule {
    /// The numeric columns to watch.
    pub columns: Vec<String>,
    /// The column that splits rows into series (e.g. the facility); none for one series.
    pub by: Option<String>,
    /// The robust z-score above which a value is an outlier.
    pub threshold: f64,
}

/// A table of the warehouse, declared in one pipeline.
#[derive(Debug, Clone)]
pub struct Table {
    /// The table's name, as indicator SQL reads it.
    pub name: String,
    /// Its canonical columns.
    pub columns: Vec<Column>,
    /// Row rules checked at ingest.
    pub checks: Vec<Check>,
    /// Outlier rules checked at ingest.
    pub outliers: Vec<OutlierRule>,
    /// The pipeline that declares it.
    pub pipeline: String,
    /// The pipeline file that declares it.
    pub file: PathBuf,
}

impl Table {
    /// The column a row's period is read from: the first date or timestamp column.
    pub fn period_column(&self) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| matches!(c.ty, ColumnType::Date | ColumnType::Timestamp))
    }
}

/// A pipeline file: a schedule and the tables and sources it declares.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline's name.
    pub name: String,
    /// The cron expression that runs it unattended, if any.
    pub schedule: Option<String>,
    /// The YAML file it is declared in.
    pub file: PathBuf,
}

/// Number formats and layout of a source's text cells.
#[derive(Debug, Clone)]
pub struct TextFormat {
    /// The decimal separator numbers are written with (`.` or `,`).
    pub decimal: char,
    /// The strftime format dates are written in; ISO dates when none.
    pub date_format: Option<String>,
}

/// A source's file format and its layout options.
#[derive(Debug, Clone)]
pub enum Format {
    /// Delimited text.
    Csv {
        /// The field delimiter byte.
        delimiter: u8,
        /// The text encoding of the file.
        encoding: &'static encoding_rs::Encoding,
        /// The 1-based row holding the header.
        header_row: usize,
        /// How numbers and dates are written.
        text: TextFormat,
    },
    /// An Excel workbook (xlsx, or xls sniffed from the bytes).
    Xlsx {
        /// The sheet to read; the first when none.
        sheet: Option<String>,
        /// The 1-based row holding the header.
        header_row: usize,
        /// How numbers and dates in text cells are written.
        text: TextFormat,
    },
    /// An OpenDocument spreadsheet.
    Ods {
        /// The sheet to read; the first when none.
        sheet: Option<String>,
        /// The 1-based row holding the header.
        header_row: usize,
        /// How numbers and dates in text cells are written.
        text: TextFormat,
    },
    /// A JSON array of objects, or one object per line.
    Json {
        /// The text encoding of the file.
        encoding: &'static encoding_rs::Encoding,
        /// How numbers and dates in string values are written.
        text: TextFormat,
    },
    /// A Parquet file, already typed.
    Parquet {
        /// How numbers and dates in string columns are written.
        text: TextFormat,
    },
}

impl Format {
    /// The format's name as YAML writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Xlsx { .. } => "xlsx",
            Format::Ods { .. } => "ods",
            Format::Json { .. } => "json",
            Format::Parquet { .. } => "parquet",
        }
    }

    /// How the format writes numbers and dates in text.
    pub fn text(&self) -> &TextFormat {
        match self {
            Format::Csv { text, .. }
            | Format::Xlsx { text, .. }
            | Format::Ods { text, .. }
            | Format::Json { text, .. }
            | Format::Parquet { text } => text,
        }
    }
}

/// How many rejected rows a source may have before it fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RejectLimit {
    /// A share of the rows, in percent.
    Percent(f64),
    /// A number of rows.
    Rows(u64),
}

impl RejectLimit {
    /// Whether `rejected` of `total` rows is more than the limit allows.
    pub fn exceeded(self, rejected: u64, total: u64) -> bool {
        match self {
            RejectLimit::Percent(p) => total > 0 && (rejected as f64) * 100.0 > p * (total as f64),
            RejectLimit::Rows(n) => rejected > n,
        }
    }
}

/// How often a source is expected to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
    /// Every year.
    Yearly,
}

impl Cadence {
    /// The cadence named in YAML (`monthly`, ...), if it is one.
    pub fn parse(s: &str) -> Option<Cadence> {
        match s {
            "daily" => Some(Cadence::Daily),
            "weekly" => Some(Cadence::Weekly),
            "monthly" => Some(Cadence::Monthly),
            "quarterly" => Some(Cadence::Quarterly),
            "yearly" => Some(Cadence::Yearly),
            _ => None,
        }
    }

    /// The period a delivery covers: a month for daily, weekly and monthly sources.
    pub fn grain(self) -> crate::config::period::Grain {
        use crate::config::period::Grain;
        match self {
            Cadence::Quarterly => Grain::Quarter,
            Cadence::Yearly => Grain::Year,
            _ => Grain::Month,
        }
    }

    /// The longest a delivery period lasts, in days, before grace counts.
    pub fn days(self) -> i64 {
        match self {
            Cadence::Daily => 1,
            Cadence::Weekly => 7,
            Cadence::Monthly => 31,
            Cadence::Quarterly => 92,
            Cadence::Yearly => 366,
        }
    }
}

/// A canonical column and where a source finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// The canonical column.
    pub column: String,
    /// The header in the export (matched ignoring case and spaces).
    pub header: String,
    /// Left-pad digits with zeros to this width (codes a spreadsheet stored as numbers).
    pub pad: Option<usize>,
    /// Whether the source names this column itself (then a missing header fails the source).
    pub mapped: bool,
}

/// Where an HTTP header's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// The value as written in YAML.
    Literal(String),
    /// An environment variable: credentials never live in YAML.
    Env(String),
}

/// An HTTP header of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header's name.
    pub name: String,
    /// Where its value comes from.
    pub value: HeaderValue,
    /// The line of the header in its YAML file.
    pub line: Option<usize>,
}

impl Header {
    /// The value to send, or which environment variable is not set.
    pub fn resolve(&self) -> Result<String, crate::config::UnsetVariable> {
        match &self.value {
            HeaderValue::Literal(v) => Ok(v.clone()),
            HeaderValue::Env(var) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| crate::config::UnsetVariable {
                    variable: var.clone(),
                }),
        }
    }
}

/// A source: one export that feeds one table.
#[derive(Debug, Clone)]
pub struct Source {
    /// The source's name, unique in the project.
    pub name: String,
    /// The pipeline that declares it.
    pub pipeline: String,
    /// The table it feeds.
    pub table: String,
    /// The territory all its rows belong to, when the export has no territory column.
    pub territory: Option<String>,
    /// A local path (resolved against the project), `file://`, `http(s)://` or `s3://` address.
    pub url: String,
    /// Its format and layout.
    pub format: Format,
    /// Every canonical column of the table, with where the export holds it.
    pub columns: Vec<ColumnMap>,
    /// How many rejected rows fail the source.
    pub max_rejected: RejectLimit,
    /// The largest drop in rows, in percent of the last good data, taken without a person's check.
    pub max_shrink: f64,
    /// Rows whose first non-empty cell is a total label are skipped and counted.
    pub skip_totals: bool,
    /// HTTP headers; values named `env:NAME` are read from the environment when the export is fetched.
    pub headers: Vec<Header>,
    /// The YAML path of the source (`sources[3]`), for messages.
    pub key: String,
    /// How long one remote request may take.
    pub timeout: std::time::Duration,
    /// How many times a transient remote error is retried.
    pub retries: usize,
    /// How often a delivery is expected, for completeness and timeliness.
    pub expected: Option<Cadence>,
    /// Days after a period's end a delivery still counts as on time.
    pub grace_days: i64,
    /// Which files `url` names: one, every file of a listing, or one per period of a template.
    pub locator: Locator,
    /// The first period expected (and filled into a template): completeness counts from here.
    pub since: Option<crate::config::period::Period>,
    /// A newer delivery covering a territory and period replaces an older one's rows there.
    pub supersede_by_period: bool,
    /// The rows of a delivery whose file disappears are dropped (else kept).
    pub drop_removed: bool,
    /// The pipeline file it is declared in.
    pub file: PathBuf,
    /// The line of the source in that file.
    pub line: Option<usize>,
}

impl Source {
    /// The period a delivery covers (by its cadence; a month when none is set).
    pub fn delivery_grain(&self) -> crate::config::period::Grain {
        self.expected
            .map_or(crate::config::period::Grain::Month, Cadence::grain)
    }
}

/// Which files a source's `url` names: each is one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// The url names one file: the single-file form.
    File,
    /// Every file under `base` (a folder, or `s3://bucket/prefix/`) whose path below it matches
    /// `pattern` (a glob: `*` within a folder, `**` across folders).
    Listing {
        /// The folder or prefix listed, ending in `/`.
        base: String,
        /// The glob the path below `base` must match.
        pattern: String,
    },
    /// One file per period from `since`: `{yyyy}`, `{mm}`, `{q}` in the url filled in.
    Template {
        /// The period a file covers: month with `{mm}`, quarter with `{q}`, else year.
        grain: crate::config::period::Grain,
    },
}

impl Locator {
    /// Whether the url names many deliveries.
    pub fn is_many(&self) -> bool {
        !matches!(self, Locator::File)
    }
}
