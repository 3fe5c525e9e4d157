//! Indicators that failed, as the pages show them (`OUTPUT/indicators.problems.json`): each
//! failure's kind and values, kept until the indicator computes again, so a page in Italian says
//! in Italian which indicator failed, why and how to fix it. Beside them, what changed the figures
//! of an indicator that did compute (`OUTPUT/indicators.notes.json`), kept the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::IndicatorError;
use crate::config::{Indicator, Project};
use crate::warehouse::problem::{IndicatorCause, Problem};

/// The file beside the indicator table.
pub const PROBLEMS_FILE: &str = "indicators.problems.json";

/// The notes of the indicators that computed, beside the indicator table.
pub const NOTES_FILE: &str = "indicators.notes.json";

fn path(out_dir: &Path) -> PathBuf {
    out_dir.join(PROBLEMS_FILE)
}

/// The failure of `ind` with `e`, its cause found again from the query engine's own error kind
/// (the SQL is planned once more: only when the indicator has failed).
pub async fn problem(ctx: &SessionContext, ind: &Indicator, e: &IndicatorError) -> Problem {
    let cause = match e {
        IndicatorError::Sql(_) => match ctx.state().create_logical_plan(&ind.sql).await {
            Err(err) => cause_of(&err),
            Ok(_) => None,
        },
        // Not the query engine's refusal: saying so would send the office to the wrong place.
        _ => Some(IndicatorCause::Computation {
            detail: e.to_string(),
        }),
    };
    Problem::IndicatorFailed {
        file: ind.file.display().to_string(),
        line: ind.line,
        indicator: ind.id.clone(),
        detail: e.to_string(),
        cause: cause.unwrap_or_else(|| IndicatorCause::Other {
            detail: e.to_string(),
        }),
    }
}

/// A column the SQL names that no table it reads has, with the columns it could have meant.
fn cause_of(err: &DataFusionError) -> Option<IndicatorCause> {
    use datafusion::common::SchemaError;
    let DataFusionError::SchemaError(schema, _) = err.find_root() else {
        return None;
    };
    let SchemaError::FieldNotFound {
        field,
        valid_fields,
    } = schema.as_ref()
    else {
        return None;
    };
    let mut valid: Vec<String> = valid_fields.iter().map(|c| c.name.clone()).collect();
    valid.dedup();
    let near = crate::config::did_you_mean(&field.name, valid.iter().map(String::as_str))
        .map(str::to_string);
    Some(IndicatorCause::UnknownColumn {
        column: field.name.clone(),
        valid,
        near,
    })
}

/// The failures the pages show, by indicator.
pub fn read(out_dir: &Path) -> BTreeMap<String, Problem> {
    read_map(&path(out_dir))
}

/// The notes the pages show, by indicator.
pub fn read_notes(out_dir: &Path) -> BTreeMap<String, Vec<Problem>> {
    read_map(&out_dir.join(NOTES_FILE))
}

fn read_map<T: DeserializeOwned>(path: &Path) -> BTreeMap<String, T> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Keeps this compute's failures: those of the indicators computed now replace what they had,
/// the others' stay until they compute again; indicators no longer defined are forgotten.
pub fn record(
    project: &Project,
    computed: &[&str],
    failed: BTreeMap<String, Problem>,
) -> Result<(), IndicatorError> {
    record_map(project, &path(&project.settings.output), computed, failed)
}

/// Keeps this compute's notes as [`record`] keeps its failures; an indicator without notes has
/// no entry.
pub fn record_notes(
    project: &Project,
    computed: &[&str],
    mut noted: BTreeMap<String, Vec<Problem>>,
) -> Result<(), IndicatorError> {
    noted.retain(|_, notes| !notes.is_empty());
    let file = project.settings.output.join(NOTES_FILE);
    record_map(project, &file, computed, noted)
}

fn record_map<T: Serialize + DeserializeOwned>(
    project: &Project,
    file: &Path,
    computed: &[&str],
    now: BTreeMap<String, T>,
) -> Result<(), IndicatorError> {
    let mut all: BTreeMap<String, T> = read_map(file);
    all.retain(|id, _| {
        !computed.contains(&id.as_str()) && project.indicators.iter().any(|i| &i.id == id)
    });
    all.extend(now);
    let bytes = serde_json::to_vec_pretty(&all).map_err(IndicatorError::Record)?;
    super::output::write_atomic(file, &bytes)
}
