//! The checked project model: built once by validation, trusted by every later stage.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::period::{Grain, Period};
use super::raw::Text;

/// The language of pages, charts and messages meant for readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Italian, the default.
    It,
    /// English.
    En,
}

impl Locale {
    /// The ISO 639-1 code (`it`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Locale::It => "it",
            Locale::En => "en",
        }
    }

    /// Picks the text in this locale, falling back to Italian, then to any language given.
    pub fn pick(self, text: &Text) -> String {
        match text {
            Text::Plain(s) => s.clone(),
            Text::Localized(m) => m
                .get(self.code())
                .or_else(|| m.get("it"))
                .or_else(|| m.values().next())
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// `osservatorio.yaml`, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The project's name, shown on every page.
    pub name: String,
    /// The language pages are written in.
    pub locale: Locale,
    /// The time zone schedules fire in and run times are shown in.
    pub timezone: chrono_tz::Tz,
    /// A folder path (already resolved against the project) or an object-store URL.
    pub warehouse: String,
    /// The folder the report is rendered to (resolved against the project).
    pub output: PathBuf,
    /// The smallest count a published figure may show about people (`privacy.min_cell`).
    pub min_cell: u32,
    /// The plan periods (e.g. 2025-2027) that `plan` grains and roll-ups use.
    pub plan_periods: Vec<Period>,
    /// Where the indicator SQL runs.
    pub engine: Engine,
    /// What published bundles say about themselves (`publication:`).
    pub publication: Publication,
}

/// `publication:` the open-data catalogue's facts and the keys that may sign bundles.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The office that publishes (DCAT-AP_IT publisher and rights holder).
    pub publisher_name: String,
    /// Its IPA code (Indice delle Pubbliche Amministrazioni), when given.
    pub publisher_ipa: Option<String>,
    /// The licence URL.
    pub license: String,
    /// The EU data theme code (e.g. SOCI).
    pub theme: String,
    /// The EU frequency code (e.g. MONTHLY).
    pub frequency: String,
    /// The minisign public keys a bundle's signature is checked against (resolved paths).
    pub public_keys: Vec<PathBuf>,
    /// The narrowest feasible interval a small count may have in a bundle.
    pub protection: Option<f64>,
    /// Where the bundles are served from, for the catalogue's download links.
    pub base_url: Option<String>,
}

/// Where the indicator SQL runs; the figures are the same either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// In this process, with DataFusion.
    Local,
    /// On an Apache DataFusion Ballista cluster: its scheduler's `host:port`, or `standalone` for a
    /// scheduler and an executor started inside this process.
    Ballista(String),
}

/// One line of `territories.csv`.
#[derive(Debug, Clone)]
pub struct Territory {
    /// The code every export and figure uses (e.g. an ISTAT code).
    pub code: String,
    /// The name pages show.
    pub name: String,
    /// The level (e.g. region, province, ambito), as `level:` selectors name it.
    pub level: String,
    /// The territory this one belongs to; none for the root.
    pub parent: Option<String>,
}

/// Every territory by code, forming one tree.
#[derive(Debug, Clone, Default)]
pub struct Territories {
    /// The territories, keyed by code.
    pub by_code: BTreeMap<String, Territory>,
    /// The ISTAT code of territories that have one (territories.csv's optional `istat` column).
    pub istat: BTreeMap<String, String>,
    /// Whether the hierarchy comes from the official lists (`territories: { istat: [...] }`):
    /// then a ceased municipality code in an export is counted under its successor.
    pub official: bool,
}

impl Territories {
    /// The code open data identifies a territory by: its ISTAT code when it has one.
    pub fn ref_area(&self, code: &str) -> String {
        self.istat
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// The territory with this code, if any.
    pub fn get(&self, code: &str) -> Option<&Territory> {
        self.by_code.get(code)
    }

    /// The chain of ancestors of `code`, nearest first (the code itself excluded).
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.by_code.get(code).and_then(|t| t.parent.clone());
        while let Some(c) = cur {
            if out.contains(&c) {
                break;
            }
            cur = self.by_code.get(&c).and_then(|t| t.parent.clone());
            out.push(c);
        }
        out
    }

    /// The codes of the territories whose parent is `code`.
    pub fn children_of(&self, code: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.parent.as_deref() == Some(code))
            .map(|t| t.code.clone())
            .collect()
    }

    /// The codes of the territories at `level`.
    pub fn at_level(&self, level: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.level == level)
            .map(|t| t.code.clone())
            .collect()
    }

    /// The territory's name, or its code when it is unknown.
    pub fn name_of(&self, code: &str) -> String {
        self.by_code
            .get(code)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

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
    pub fn grain(self) -> super::period::Grain {
        use super::period::Grain;
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
    pub fn resolve(&self) -> Result<String, super::UnsetVariable> {
        match &self.value {
            HeaderValue::Literal(v) => Ok(v.clone()),
            HeaderValue::Env(var) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| super::UnsetVariable {
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
    pub since: Option<super::period::Period>,
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
    pub fn delivery_grain(&self) -> super::period::Grain {
        self.expected
            .map_or(super::period::Grain::Month, Cadence::grain)
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
        grain: super::period::Grain,
    },
}

impl Locator {
    /// Whether the url names many deliveries.
    pub fn is_many(&self) -> bool {
        !matches!(self, Locator::File)
    }
}

/// How sentences name an indicator: its noun phrase in each language, with the Italian gender and
/// the number the verbs and participles agree with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The Italian noun phrase (`il tasso di occupazione dei posti`).
    pub it: Option<String>,
    /// The English noun phrase (`the place occupancy rate`).
    pub en: Option<String>,
    /// Feminine (`la quota`): participles end in -a / -e.
    pub feminine: bool,
    /// Plural (`i posti occupati`): verbs and participles agree.
    pub plural: bool,
}

/// The typology of an indicator, as the plans' monitoring tables group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What was done or delivered (services, places, hours).
    Output,
    /// How the work goes (timeliness, coverage, inspections).
    Process,
    /// What changed for people (employment, autonomy, exits).
    Outcome,
}

/// The unit of an indicator's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of people or things.
    Count,
    /// A share in percent (numerator / denominator × 100).
    Percent,
    /// A plain ratio (numerator / denominator).
    Ratio,
    /// A rate per 1,000.
    Per1000,
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Euro.
    Euro,
    /// A score on the indicator's own scale.
    Score,
}

impl Unit {
    /// The unit named in YAML (`count`, `per_1000`, ...), if it is one.
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "count" => Unit::Count,
            "percent" => Unit::Percent,
            "ratio" => Unit::Ratio,
            "per_1000" => Unit::Per1000,
            "hours" => Unit::Hours,
            "days" => Unit::Days,
            "euro" => Unit::Euro,
            "score" => Unit::Score,
            _ => return None,
        })
    }

    /// What numerator / denominator is multiplied by to give the value.
    pub fn scale(self) -> f64 {
        match self {
            Unit::Percent => 100.0,
            Unit::Per1000 => 1000.0,
            _ => 1.0,
        }
    }
}

/// Which way an indicator improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is better.
    Up,
    /// Lower is better.
    Down,
}

/// How an indicator's values combine over time into coarser periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRollup {
    /// Numerators and denominators add up.
    Sum,
    /// The last period's value stands for the whole (stocks, such as places).
    Last,
    /// The mean of the periods' values.
    Mean,
    /// No roll-up over time: only the grain's own periods.
    None,
}

/// An expected value for an indicator.
#[derive(Debug, Clone)]
pub struct Target {
    /// The territory it applies to; every territory when none.
    pub territory: Option<String>,
    /// The period it applies to; every period when none.
    pub period: Option<Period>,
    /// The grain it applies to; the indicator's own when none.
    pub grain: Option<Grain>,
    /// The value expected.
    pub value: f64,
}

/// An indicator, checked.
#[derive(Debug, Clone)]
pub struct Indicator {
    /// The indicator's id, as dashboards name it.
    pub id: String,
    /// The title pages show.
    pub title: Text,
    /// What it measures, in words.
    pub description: Option<Text>,
    /// Output, process or outcome.
    pub kind: Kind,
    /// The unit of its value.
    pub unit: Unit,
    /// The finest period its SQL returns.
    pub grain: Grain,
    /// Which way it improves.
    pub direction: Direction,
    /// The SQL returning territory, period, numerator and optionally denominator.
    pub sql: String,
    /// How values combine over time.
    pub time_rollup: TimeRollup,
    /// Whether values add up from children to parents.
    pub territory_rollup: bool,
    /// Targets written in YAML.
    pub targets: Vec<Target>,
    /// A SQL query returning targets instead of `targets`.
    pub targets_sql: Option<String>,
    /// The share of the target (in percent) from which a value counts as on track.
    pub on_track: f64,
    /// What the numerator counts, in words.
    pub numerator: Option<Text>,
    /// What the denominator counts, in words.
    pub denominator: Option<Text>,
    /// Whether published figures with small counts are hidden (`small_cells: suppress`, the default).
    pub suppress_small_cells: bool,
    /// Whether result rows of territories not in the territories are let through without failing the run.
    pub ignore_unknown_territories: bool,
    /// How sentences name the indicator, when the YAML says.
    pub phrase: Option<Phrase>,
    /// How long after a period ends its figures are final (`follow_up: 6 months`); none when
    /// they are final at once.
    pub follow_up: Option<FollowUp>,
    /// A figure osservatorio computes itself from the deliveries, not from SQL.
    pub builtin: Option<Builtin>,
    /// The indicators file it is declared in.
    pub file: PathBuf,
    /// The YAML path of the definition (`indicators[3]`) and the lines of the item and its `sql`.
    pub key: String,
    /// The line of the definition.
    pub line: Option<usize>,
    /// The line of its `sql`.
    pub sql_line: Option<usize>,
}

/// How long an outcome takes to show: a number of days, months or years after the period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Days.
    Days(u32),
    /// Calendar months.
    Months(u32),
    /// Calendar years.
    Years(u32),
}

impl FollowUp {
    /// `30 days`, `6 months`, `1 year` (singular or plural), if it is one.
    pub fn parse(s: &str) -> Option<FollowUp> {
        let mut words = s.split_whitespace();
        let n: u32 = words.next()?.parse().ok()?;
        let unit = words.next()?;
        if words.next().is_some() {
            return None;
        }
        match unit {
            "day" | "days" => Some(FollowUp::Days(n)),
            "month" | "months" => Some(FollowUp::Months(n)),
            "year" | "years" => Some(FollowUp::Years(n)),
            _ => None,
        }
    }

    /// The day the window of a period ending on `end` (its last day) closes: figures are
    /// provisional until then, that day included.
    pub fn closes(self, end: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        match self {
            FollowUp::Days(n) => end.checked_add_days(chrono::Days::new(u64::from(n))),
            FollowUp::Months(n) => end
                .checked_add_days(chrono::Days::new(1))?
                .checked_add_months(chrono::Months::new(n))?
                .pred_opt(),
            FollowUp::Years(n) => end
                .checked_add_days(chrono::Days::new(1))?
                .checked_add_months(chrono::Months::new(n.checked_mul(12)?))?
                .pred_opt(),
        }
    }

    /// Whether the figures of `period` are still provisional on `today`.
    pub fn provisional(self, period: Period, today: chrono::NaiveDate) -> bool {
        let (y, m) = period.last_month();
        let end = chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .and_then(|d| d.pred_opt());
        match end.and_then(|e| self.closes(e)) {
            Some(closes) => today <= closes,
            // A window beyond the calendar never closes.
            None => true,
        }
    }
}

/// The built-in indicators of delivery, computed for sources with an `expected` cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `_completeness`: the share of expected deliveries (periods) received.
    Completeness,
    /// `_timeliness`: the share of deliveries received within their cadence and grace.
    Timeliness,
}

impl Builtin {
    /// The id dashboards name it by (`_completeness`, `_timeliness`).
    pub fn id(self) -> &'static str {
        match self {
            Builtin::Completeness => "_completeness",
            Builtin::Timeliness => "_timeliness",
        }
    }

    /// The definition a project gets for it.
    pub fn indicator(self) -> Indicator {
        let both = |it: &str, en: &str| {
            super::raw::Text::Localized(
                [
                    ("it".to_string(), it.to_string()),
                    ("en".to_string(), en.to_string()),
                ]
                .into_iter()
                .collect(),
            )
        };
        let (title, description, numerator, denominator) = match self {
            Builtin::Completeness => (
                both("Completezza delle consegne", "Completeness of deliveries"),
                both(
                    "Quota dei periodi attesi per cui la fonte ha consegnato i dati.",
                    "Share of the expected periods for which the source delivered data.",
                ),
                both("periodi con dati ricevuti", "periods with data received"),
                both("periodi attesi", "periods expected"),
            ),
            Builtin::Timeliness => (
                both("Tempestività delle consegne", "Timeliness of deliveries"),
                both(
                    "Quota dei periodi ricevuti entro cadenza e tolleranza.",
                    "Share of the periods received within cadence and grace.",
                ),
                both("periodi ricevuti in tempo", "periods received on time"),
                both("periodi ricevuti", "periods received"),
            ),
        };
        Indicator {
            id: self.id().to_string(),
            title,
            description: Some(description),
            kind: Kind::Process,
            unit: Unit::Percent,
            grain: super::period::Grain::Month,
            direction: Direction::Up,
            sql: String::new(),
            time_rollup: TimeRollup::Sum,
            territory_rollup: true,
            targets: vec![Target {
                territory: None,
                period: None,
                grain: None,
                value: 100.0,
            }],
            targets_sql: None,
            on_track: 90.0,
            numerator: Some(numerator),
            denominator: Some(denominator),
            suppress_small_cells: false,
            ignore_unknown_territories: false,
            phrase: None,
            follow_up: None,
            builtin: Some(self),
            file: PathBuf::from("(built in)"),
            key: self.id().to_string(),
            line: None,
            sql_line: None,
        }
    }
}

/// Which territories a chart shows.
#[derive(Debug, Clone)]
pub enum TerritorySelector {
    /// These codes, in this order.
    List(Vec<String>),
    /// The children of this territory.
    ChildrenOf(String),
    /// Every territory at this level.
    Level(String),
}

impl TerritorySelector {
    /// The codes selected, in the order charts show them.
    pub fn resolve(&self, territories: &Territories) -> Vec<String> {
        match self {
            TerritorySelector::List(v) => v.clone(),
            TerritorySelector::ChildrenOf(c) => territories.children_of(c),
            TerritorySelector::Level(l) => territories.at_level(l),
        }
    }
}

/// A chart of a dashboard section.
#[derive(Debug, Clone)]
pub enum Chart {
    /// One line per territory over time.
    Trend {
        /// The indicator shown.
        indicator: String,
        /// The territories, one line each.
        territories: TerritorySelector,
        /// The periods of the x axis.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// One bar per territory for one period.
    Bar {
        /// The indicator shown.
        indicator: String,
        /// The territories, one bar each.
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// Several indicators of one territory against their targets.
    Target {
        /// The indicators shown.
        indicators: Vec<String>,
        /// The territory.
        territory: String,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the chart.
        title: Option<Text>,
    },
    /// A table of indicators by territory.
    Table {
        /// The indicators, one row group each.
        indicators: Vec<String>,
        /// The territories, one row each.
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the table.
        title: Option<Text>,
    },
    /// Big-value tiles: value, target, change against the previous period, status.
    Kpi {
        /// The indicators, one tile each.
        indicators: Vec<String>,
        /// The territory.
        territory: String,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title for the tiles.
        title: Option<Text>,
    },
    /// Territories × periods, each cell coloured by its value.
    Heatmap {
        /// The indicator shown.
        indicator: String,
        /// The territories, one row each.
        territories: TerritorySelector,
        /// The periods, one column each.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// One small trend per territory on shared axes.
    SmallMultiples {
        /// The indicator shown.
        indicator: String,
        /// The territories, one panel each.
        territories: TerritorySelector,
        /// The periods of the x axis.
        grain: Grain,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
    /// A choropleth: each territory's boundary coloured by its value in one period.
    Map {
        /// The indicator shown.
        indicator: String,
        /// The territories, one area each; each has a boundary (checked with the dashboard).
        territories: TerritorySelector,
        /// The period; the latest with data when none.
        period: Option<Period>,
        /// A title replacing the indicator's.
        title: Option<Text>,
    },
}

impl Chart {
    /// The indicators the chart shows.
    pub fn indicators(&self) -> Vec<&str> {
        match self {
            Chart::Trend { indicator, .. }
            | Chart::Bar { indicator, .. }
            | Chart::Heatmap { indicator, .. }
            | Chart::SmallMultiples { indicator, .. }
            | Chart::Map { indicator, .. } => vec![indicator.as_str()],
            Chart::Target { indicators, .. }
            | Chart::Table { indicators, .. }
            | Chart::Kpi { indicators, .. } => indicators.iter().map(String::as_str).collect(),
        }
    }

    /// The territories the chart shows.
    pub fn territories(&self, all: &Territories) -> Vec<String> {
        match self {
            Chart::Trend { territories, .. }
            | Chart::Bar { territories, .. }
            | Chart::Table { territories, .. }
            | Chart::Heatmap { territories, .. }
            | Chart::SmallMultiples { territories, .. }
            | Chart::Map { territories, .. } => territories.resolve(all),
            Chart::Target { territory, .. } | Chart::Kpi { territory, .. } => {
                vec![territory.clone()]
            }
        }
    }
}

/// A section of a dashboard: a heading, a text and its charts.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading.
    pub title: Text,
    /// An introduction under the heading.
    pub text: Option<Text>,
    /// The charts, in order.
    pub charts: Vec<Chart>,
}

/// A dashboard: one report page.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The id, which names its folder under the output.
    pub id: String,
    /// The page's title.
    pub title: Text,
    /// The first and last period shown; everything when none.
    pub period: Option<(Period, Period)>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// The dashboard file.
    pub file: PathBuf,
}

/// A validated project: every stage after configuration reads only this.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project folder.
    pub root: PathBuf,
    /// `osservatorio.yaml`.
    pub settings: Settings,
    /// `territories.csv`.
    pub territories: Territories,
    /// Every table, by name.
    pub tables: BTreeMap<String, Table>,
    /// Every pipeline.
    pub pipelines: Vec<Pipeline>,
    /// Every source.
    pub sources: Vec<Source>,
    /// Every indicator, the built-in ones first.
    pub indicators: Vec<Indicator>,
    /// Every dashboard.
    pub dashboards: Vec<Dashboard>,
    /// Every file the project was read from (YAML, territories, public keys), as loaded: what a
    /// signed-off bundle keeps a copy of, so its figures can be computed again as they were.
    pub definition_files: Vec<PathBuf>,
}

impl Project {
    /// The indicator with this id, if any.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// The source with this name, if any.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_windows_close_on_calendar_days() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("a date");
        assert_eq!(FollowUp::parse("6 months"), Some(FollowUp::Months(6)));
        assert_eq!(FollowUp::parse("1 year"), Some(FollowUp::Years(1)));
        assert_eq!(FollowUp::parse("90 days"), Some(FollowUp::Days(90)));
        assert_eq!(FollowUp::parse("six months"), None);
        assert_eq!(FollowUp::parse("6 months later"), None);
        // August ends on the 31st; six months on, February ends on the 28th.
        assert_eq!(
            FollowUp::Months(6).closes(d(2025, 8, 31)),
            Some(d(2026, 2, 28))
        );
        let aug = Period::Month {
            year: 2025,
            month: 8,
        };
        assert!(FollowUp::Months(6).provisional(aug, d(2026, 2, 28)));
        assert!(!FollowUp::Months(6).provisional(aug, d(2026, 3, 1)));
        assert!(FollowUp::Days(30).provisional(Period::Year(2025), d(2026, 1, 30)));
        assert!(!FollowUp::Days(30).provisional(Period::Year(2025), d(2026, 1, 31)));
        assert!(FollowUp::Years(1).provisional(Period::Year(2025), d(2026, 12, 31)));
    }
}
