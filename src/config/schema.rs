//! JSON Schemas (draft-07) of the YAML files, generated from the same serde types that read them,
//! so an editor refuses what `check` would refuse: a misspelled key, a missing one, a wrong shape.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema, json_schema};

use super::raw::{
    CsvOptions, DashboardFile, IndicatorsFile, JsonOptions, ParquetOptions, PipelineFile,
    ProjectFile, XlsxOptions,
};

/// The schema files, by name: `osservatorio.schema.json`, `pipeline.schema.json`,
/// `indicator.schema.json`, `dashboard.schema.json`.
pub const SCHEMA_FILES: [&str; 4] = [
    "osservatorio.schema.json",
    "pipeline.schema.json",
    "indicator.schema.json",
    "dashboard.schema.json",
];

fn root<T: JsonSchema>(title: &str) -> Schema {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema
}

/// Every schema with its file name, in the order of [`SCHEMA_FILES`].
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    let all = [
        root::<ProjectFile>("osservatorio.yaml"),
        root::<PipelineFile>("pipelines/*.yaml"),
        root::<IndicatorsFile>("indicators/*.yaml"),
        root::<DashboardFile>("dashboards/*.yaml"),
    ];
    SCHEMA_FILES
        .into_iter()
        .zip(all)
        .map(|(name, s)| (name, s.to_value()))
        .collect()
}

/// A source's `options`: those of its format (csv, xlsx and ods, json, parquet).
pub(super) fn source_options(generator: &mut SchemaGenerator) -> Schema {
    let csv = generator.subschema_for::<CsvOptions>();
    let xlsx = generator.subschema_for::<XlsxOptions>();
    let json = generator.subschema_for::<JsonOptions>();
    let parquet = generator.subschema_for::<ParquetOptions>();
    json_schema!({
        "description": "Reading options of the source's format: csv (delimiter, encoding, decimal, date_format, header_row, skip_totals), xlsx and ods (sheet, header_row, decimal, date_format, skip_totals), json (encoding, decimal, date_format, skip_totals), parquet (decimal, date_format)",
        "anyOf": [csv, xlsx, json, parquet, { "type": "null" }]
    })
}

/// `max_rejected` and `max_shrink`: a number of rows, or a percentage such as `5%`.
pub(super) fn count_or_share(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*%?\\s*$" },
            { "type": "null" }
        ]
    })
}

/// `pad`: the width of a code in digits.
pub(super) fn pad(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [{ "type": "integer", "minimum": 1 }, { "type": "null" }]
    })
}

/// A period: a month `2026-01`, a quarter `2026-Q1` or a year (`2026`, also unquoted).
fn period_schema() -> serde_json::Value {
    serde_json::json!({
        "anyOf": [
            { "type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$" },
            { "type": "integer", "minimum": 1000, "maximum": 9999 }
        ]
    })
}

/// `since`: the first period due.
pub(super) fn since(_: &mut SchemaGenerator) -> Schema {
    let period = period_schema();
    json_schema!({ "anyOf": [period, { "type": "null" }] })
}

/// `expected`: a cadence, or `{ every, since }`.
pub(super) fn expected(_: &mut SchemaGenerator) -> Schema {
    let cadence =
        serde_json::json!({ "enum": ["daily", "weekly", "monthly", "quarterly", "yearly"] });
    let period = period_schema();
    json_schema!({
        "anyOf": [
            cadence.clone(),
            {
                "type": "object",
                "properties": { "every": cadence, "since": period },
                "required": ["every"],
                "additionalProperties": false
            },
            { "type": "null" }
        ]
    })
}

/// Writes every schema into `dir` (created if absent).
pub fn write_schemas(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, schema) in schemas() {
        let text = serde_json::to_string_pretty(&schema).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(name), text + "\n")?;
    }
    Ok(())
}
