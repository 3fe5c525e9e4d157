//! The checked project model: built once by validation, trusted by every later stage.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::period::{Grain, Period};
use super::raw::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    It,
    En,
}

impl Locale {
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

#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub locale: Locale,
    pub timezone: chrono_tz::Tz,
    /// A folder path (already resolved against the project) or an object-store URL.
    pub warehouse: String,
    pub output: PathBuf,
    pub min_cell: u32,
    pub plan_periods: Vec<Period>,
}

#[derive(Debug, Clone)]
pub struct Territory {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Territories {
    pub by_code: BTreeMap<String, Territory>,
}

impl Territories {
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

    pub fn children_of(&self, code: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.parent.as_deref() == Some(code))
            .map(|t| t.code.clone())
            .collect()
    }

    pub fn at_level(&self, level: &str) -> Vec<String> {
        self.by_code
            .values()
            .filter(|t| t.level == level)
            .map(|t| t.code.clone())
            .collect()
    }

    pub fn name_of(&self, code: &str) -> String {
        self.by_code
            .get(code)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Int,
    Float,
    Bool,
    Date,
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

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub rule: String,
    pub severity: Severity,
    /// Where the rule is written, for errors found when it is planned.
    pub key: String,
    pub line: Option<usize>,
}

/// Values of `columns` whose robust z-score within their series (one per value of `by`) passes
/// `threshold` are reported as outliers.
#[derive(Debug, Clone)]
pub struct OutlierRule {
    pub columns: Vec<String>,
    pub by: Option<String>,
    pub threshold: f64,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub checks: Vec<Check>,
    pub outliers: Vec<OutlierRule>,
    pub pipeline: String,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub schedule: Option<String>,
    pub file: PathBuf,
}

/// Number formats and layout of a source's text cells.
#[derive(Debug, Clone)]
pub struct TextFormat {
    pub decimal: char,
    pub date_format: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Format {
    Csv {
        delimiter: u8,
        encoding: &'static encoding_rs::Encoding,
        header_row: usize,
        text: TextFormat,
    },
    Xlsx {
        sheet: Option<String>,
        header_row: usize,
        text: TextFormat,
    },
    Ods {
        sheet: Option<String>,
        header_row: usize,
        text: TextFormat,
    },
    Json {
        encoding: &'static encoding_rs::Encoding,
        text: TextFormat,
    },
    Parquet {
        text: TextFormat,
    },
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Xlsx { .. } => "xlsx",
            Format::Ods { .. } => "ods",
            Format::Json { .. } => "json",
            Format::Parquet { .. } => "parquet",
        }
    }

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

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RejectLimit {
    Percent(f64),
    Rows(u64),
}

impl RejectLimit {
    pub fn exceeded(self, rejected: u64, total: u64) -> bool {
        match self {
            RejectLimit::Percent(p) => total > 0 && (rejected as f64) * 100.0 > p * (total as f64),
            RejectLimit::Rows(n) => rejected > n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Cadence {
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
    Literal(String),
    /// An environment variable: credentials never live in YAML.
    Env(String),
}

/// An HTTP header of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
    pub line: Option<usize>,
}

impl Header {
    /// The value to send, or the name of the environment variable that is not set.
    pub fn resolve(&self) -> Result<String, String> {
        match &self.value {
            HeaderValue::Literal(v) => Ok(v.clone()),
            HeaderValue::Env(var) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| var.clone()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub pipeline: String,
    pub table: String,
    pub territory: Option<String>,
    pub url: String,
    pub format: Format,
    /// Every canonical column of the table, with where the export holds it.
    pub columns: Vec<ColumnMap>,
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
    pub expected: Option<Cadence>,
    pub grace_days: i64,
    pub file: PathBuf,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Output,
    Process,
    Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Percent,
    Ratio,
    Per1000,
    Hours,
    Days,
    Euro,
    Score,
}

impl Unit {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRollup {
    Sum,
    Last,
    Mean,
    None,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub territory: Option<String>,
    pub period: Option<Period>,
    pub grain: Option<Grain>,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub title: Text,
    pub description: Option<Text>,
    pub kind: Kind,
    pub unit: Unit,
    pub grain: Grain,
    pub direction: Direction,
    pub sql: String,
    pub time_rollup: TimeRollup,
    pub territory_rollup: bool,
    pub targets: Vec<Target>,
    pub targets_sql: Option<String>,
    pub on_track: f64,
    /// Whether published figures with small counts are hidden (`small_cells: suppress`, the default).
    pub suppress_small_cells: bool,
    /// A figure osservatorio computes itself from the deliveries, not from SQL.
    pub builtin: Option<Builtin>,
    pub file: PathBuf,
    /// The YAML path of the definition (`indicators[3]`) and the lines of the item and its `sql`.
    pub key: String,
    pub line: Option<usize>,
    pub sql_line: Option<usize>,
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
    pub fn id(self) -> &'static str {
        match self {
            Builtin::Completeness => "_completeness",
            Builtin::Timeliness => "_timeliness",
        }
    }

    /// The definition a project gets for it.
    pub fn indicator(self) -> Indicator {
        let (it, en, description) = match self {
            Builtin::Completeness => (
                "Completezza delle consegne",
                "Completeness of deliveries",
                "Periodi con dati ricevuti sui periodi attesi dalle fonti con cadenza dichiarata.",
            ),
            Builtin::Timeliness => (
                "Tempestività delle consegne",
                "Timeliness of deliveries",
                "Periodi ricevuti entro cadenza e tolleranza sui periodi ricevuti da quando la fonte è osservata.",
            ),
        };
        Indicator {
            id: self.id().to_string(),
            title: super::raw::Text::Localized(
                [
                    ("it".to_string(), it.to_string()),
                    ("en".to_string(), en.to_string()),
                ]
                .into_iter()
                .collect(),
            ),
            description: Some(super::raw::Text::Plain(description.to_string())),
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
            suppress_small_cells: false,
            builtin: Some(self),
            file: PathBuf::from("(built in)"),
            key: self.id().to_string(),
            line: None,
            sql_line: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum TerritorySelector {
    List(Vec<String>),
    ChildrenOf(String),
    Level(String),
}

impl TerritorySelector {
    pub fn resolve(&self, territories: &Territories) -> Vec<String> {
        match self {
            TerritorySelector::List(v) => v.clone(),
            TerritorySelector::ChildrenOf(c) => territories.children_of(c),
            TerritorySelector::Level(l) => territories.at_level(l),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Chart {
    Trend {
        indicator: String,
        territories: TerritorySelector,
        grain: Grain,
        title: Option<Text>,
    },
    Bar {
        indicator: String,
        territories: TerritorySelector,
        period: Option<Period>,
        title: Option<Text>,
    },
    Target {
        indicators: Vec<String>,
        territory: String,
        period: Option<Period>,
        title: Option<Text>,
    },
    Table {
        indicators: Vec<String>,
        territories: TerritorySelector,
        period: Option<Period>,
        title: Option<Text>,
    },
}

#[derive(Debug, Clone)]
pub struct Section {
    pub title: Text,
    pub text: Option<Text>,
    pub charts: Vec<Chart>,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub id: String,
    pub title: Text,
    pub period: Option<(Period, Period)>,
    pub sections: Vec<Section>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub settings: Settings,
    pub territories: Territories,
    pub tables: BTreeMap<String, Table>,
    pub pipelines: Vec<Pipeline>,
    pub sources: Vec<Source>,
    pub indicators: Vec<Indicator>,
    pub dashboards: Vec<Dashboard>,
}

impl Project {
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}
