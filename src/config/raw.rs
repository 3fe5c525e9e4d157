//! The YAML files as written by users: plain serde types, no validation beyond shape.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

/// A text in one or more languages: `{ it: ..., en: ... }`, or a plain string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Localized(BTreeMap<String, String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub warehouse: Option<String>,
    pub output: Option<String>,
    pub territories: Option<String>,
    pub privacy: Option<PrivacyFile>,
    pub plan_periods: Option<Vec<String>>,
    pub engine: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyFile {
    pub min_cell: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub name: String,
    pub schedule: Option<String>,
    #[serde(default)]
    pub tables: IndexMap<String, TableFile>,
    #[serde(default)]
    pub sources: Vec<SourceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableFile {
    pub columns: IndexMap<String, String>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub checks: Vec<CheckFile>,
    #[serde(default)]
    pub outliers: Vec<OutlierFile>,
}

/// Values far from their own series become findings: `{ columns: [presenti], by: struttura, threshold: 3.5 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierFile {
    pub columns: Vec<String>,
    pub by: Option<String>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub name: String,
    pub rule: String,
    #[serde(default)]
    pub severity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub name: String,
    pub table: String,
    pub territory: Option<String>,
    pub url: String,
    pub format: String,
    /// Kept as YAML until `format` says which options are valid.
    #[serde(default)]
    pub options: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub columns: IndexMap<String, ColumnMapFile>,
    pub max_rejected: Option<serde_yaml_ng::Value>,
    pub max_shrink: Option<serde_yaml_ng::Value>,
    /// HTTP headers; a value `env:NAME` is read from the environment.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    pub timeout: Option<String>,
    pub retries: Option<u64>,
    /// A cadence (`monthly`) or `{ every: monthly, since: 2026-01 }`.
    pub expected: Option<serde_yaml_ng::Value>,
    pub grace: Option<String>,
    /// The first period a URL template is filled in for; also where completeness starts.
    pub since: Option<serde_yaml_ng::Value>,
    /// `by_period`: a newer delivery covering a territory and period replaces an older one's rows there.
    pub supersede: Option<String>,
    /// `keep` (default) | `drop`: what happens to the rows of a delivery whose file disappears.
    pub removed: Option<String>,
}

/// Where a canonical column comes from: the export's header, or `{ header, pad }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnMapFile {
    Header(String),
    Long(ColumnLongFile),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnLongFile {
    pub header: Option<String>,
    pub pad: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub header_row: Option<usize>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XlsxOptions {
    pub sheet: Option<String>,
    pub header_row: Option<usize>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOptions {
    pub encoding: Option<String>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParquetOptions {
    pub decimal: Option<String>,
    pub date_format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsFile {
    pub indicators: Vec<IndicatorFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorFile {
    pub id: String,
    pub title: Text,
    pub description: Option<Text>,
    pub kind: String,
    pub unit: String,
    pub grain: String,
    pub direction: Option<String>,
    pub sql: String,
    pub time_rollup: Option<String>,
    pub territory_rollup: Option<String>,
    #[serde(default)]
    pub targets: Vec<TargetFile>,
    pub targets_sql: Option<String>,
    pub on_track: Option<f64>,
    pub small_cells: Option<String>,
    /// What the numerator counts, in words, for the note under each chart.
    pub numerator: Option<Text>,
    /// What the denominator counts, in words.
    pub denominator: Option<Text>,
    /// `fail` (default) | `ignore`: what a result row of a territory not in the territories does.
    pub unknown_territories: Option<String>,
    /// How long an outcome takes to show (`6 months`): figures of periods whose window is still
    /// open are provisional.
    pub follow_up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    pub territory: Option<String>,
    pub period: Option<String>,
    pub grain: Option<String>,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardFile {
    pub id: String,
    pub title: Text,
    pub period: Option<PeriodRangeFile>,
    #[serde(default)]
    pub sections: Vec<SectionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodRangeFile {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionFile {
    pub title: Text,
    pub text: Option<Text>,
    #[serde(default)]
    pub charts: Vec<ChartFile>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChartFile {
    Trend {
        indicator: String,
        territories: TerritoriesFile,
        grain: Option<String>,
        title: Option<Text>,
    },
    Bar {
        indicator: String,
        territories: TerritoriesFile,
        period: Option<String>,
        title: Option<Text>,
    },
    Target {
        indicators: Vec<String>,
        territory: String,
        period: Option<String>,
        title: Option<Text>,
    },
    Table {
        indicators: Vec<String>,
        territories: TerritoriesFile,
        period: Option<String>,
        title: Option<Text>,
    },
    Kpi {
        indicators: Vec<String>,
        territory: String,
        period: Option<String>,
        title: Option<Text>,
    },
    Heatmap {
        indicator: String,
        territories: TerritoriesFile,
        grain: Option<String>,
        title: Option<Text>,
    },
    SmallMultiples {
        indicator: String,
        territories: TerritoriesFile,
        grain: Option<String>,
        title: Option<Text>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TerritoriesFile {
    List(Vec<String>),
    Selector(SelectorFile),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorFile {
    pub children_of: Option<String>,
    pub level: Option<String>,
}
