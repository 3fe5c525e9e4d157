//! The YAML files as written by users: plain serde types, no validation beyond shape.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// A text in one or more languages: `{ it: ..., en: ... }`, or a plain string.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Localized(BTreeMap<String, String>),
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub warehouse: Option<String>,
    pub output: Option<String>,
    pub territories: Option<TerritoriesSetting>,
    pub privacy: Option<PrivacyFile>,
    pub plan_periods: Option<Vec<String>>,
    pub engine: Option<String>,
    pub publication: Option<PublicationFile>,
}

/// `publication:` what every published bundle says about itself, and who may sign it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationFile {
    pub publisher: Option<PublisherFile>,
    pub license: Option<String>,
    pub theme: Option<String>,
    pub frequency: Option<String>,
    #[serde(default)]
    pub public_keys: Vec<String>,
    pub protection: Option<f64>,
    /// Where the bundles are served from, for the catalogue's download links.
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublisherFile {
    pub name: Option<String>,
    pub ipa: Option<String>,
}

/// `territories:` a territories.csv file, or the official lists of some regions with the office's
/// own units added: `{ istat: ["05"], extra: territories.csv }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TerritoriesSetting {
    File(String),
    Official(OfficialTerritoriesFile),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficialTerritoriesFile {
    /// ISTAT region codes ("05" Veneto, "03" Lombardia, ...): the region, its provinces and municipalities.
    pub istat: Vec<RegionCode>,
    /// A territories.csv (code,name,level,parent) of the office's own units (facilities, desks,
    /// districts), whose parents may be official codes.
    pub extra: Option<String>,
}

/// An ISTAT region code: `"05"`, or `05` unquoted (which YAML reads as the number 5).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RegionCode {
    Text(String),
    Number(u32),
}

impl RegionCode {
    /// The code as text, two digits for a number: `05`.
    pub fn text(&self) -> String {
        match self {
            RegionCode::Text(t) => t.clone(),
            RegionCode::Number(n) => format!("{n:02}"),
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyFile {
    pub min_cell: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    pub name: String,
    pub schedule: Option<String>,
    #[serde(default)]
    pub tables: IndexMap<String, TableFile>,
    #[serde(default)]
    pub sources: Vec<SourceFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlierFile {
    pub columns: Vec<String>,
    pub by: Option<String>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub name: String,
    pub rule: String,
    #[serde(default)]
    pub severity: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub name: String,
    pub table: String,
    pub territory: Option<String>,
    pub url: String,
    pub format: String,
    /// Kept as YAML until `format` says which options are valid.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::source_options")]
    pub options: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub columns: IndexMap<String, ColumnMapFile>,
    /// How many rows may be rejected: a count (`20`) or a share (`5%`).
    #[serde(default)]
    #[schemars(schema_with = "super::schema::count_or_share")]
    pub max_rejected: Option<serde_yaml_ng::Value>,
    /// How much smaller than its last good data a new export may be: a count or a share (`50%`).
    #[serde(default)]
    #[schemars(schema_with = "super::schema::count_or_share")]
    pub max_shrink: Option<serde_yaml_ng::Value>,
    /// HTTP headers; a value `env:NAME` is read from the environment.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    pub timeout: Option<String>,
    pub retries: Option<u64>,
    /// A cadence (`monthly`) or `{ every: monthly, since: 2026-01 }`.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::expected")]
    pub expected: Option<serde_yaml_ng::Value>,
    pub grace: Option<String>,
    /// The first period a URL template is filled in for; also where completeness starts.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::since")]
    pub since: Option<serde_yaml_ng::Value>,
    /// `by_period`: a newer delivery covering a territory and period replaces an older one's rows there.
    pub supersede: Option<String>,
    /// `keep` (default) | `drop`: what happens to the rows of a delivery whose file disappears.
    pub removed: Option<String>,
}

/// Where a canonical column comes from: the export's header, or `{ header, pad }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ColumnMapFile {
    Header(String),
    Long(ColumnLongFile),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnLongFile {
    pub header: Option<String>,
    /// Left-pad the value with zeros to this width (ISTAT codes lose their leading zeros in spreadsheets).
    #[serde(default)]
    #[schemars(schema_with = "super::schema::pad")]
    pub pad: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub header_row: Option<usize>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct XlsxOptions {
    pub sheet: Option<String>,
    pub header_row: Option<usize>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonOptions {
    pub encoding: Option<String>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    pub skip_totals: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParquetOptions {
    pub decimal: Option<String>,
    pub date_format: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsFile {
    pub indicators: Vec<IndicatorFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
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
    /// How sentences name the indicator: a noun phrase per language, its gender and number.
    pub phrase: Option<PhraseFile>,
}

/// `phrase: { it: "il tasso di occupazione dei posti", en: "the place occupancy rate", gender: m }`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhraseFile {
    /// The Italian noun phrase, with its article.
    pub it: Option<String>,
    /// The English noun phrase, with its article.
    pub en: Option<String>,
    /// `m` (default) or `f`: the gender of the Italian phrase.
    pub gender: Option<String>,
    /// `singular` (default) or `plural`.
    pub number: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    pub territory: Option<String>,
    pub period: Option<String>,
    pub grain: Option<String>,
    pub value: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardFile {
    pub id: String,
    pub title: Text,
    pub period: Option<PeriodRangeFile>,
    #[serde(default)]
    pub sections: Vec<SectionFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodRangeFile {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionFile {
    pub title: Text,
    pub text: Option<Text>,
    #[serde(default)]
    pub charts: Vec<ChartFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
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
    Map {
        indicator: String,
        territories: TerritoriesFile,
        period: Option<String>,
        title: Option<Text>,
    },
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TerritoriesFile {
    List(Vec<String>),
    Selector(SelectorFile),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectorFile {
    pub children_of: Option<String>,
    pub level: Option<String>,
}
