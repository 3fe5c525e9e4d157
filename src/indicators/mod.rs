//! Indicators: run each definition's SQL over the warehouse, roll the result up over time and
//! territory, attach targets and status, and write the indicator table. One failing indicator
//! never stops the others; its previous figures stay in the table.

pub mod deliveries;
pub mod error;
pub mod failure;
pub mod history;
pub mod inputs;
pub mod lineage;
mod one;
pub mod output;
pub mod rollup;
pub mod sql;
pub mod targets;

use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::execution::context::SessionContext;
use serde::Serialize;

use crate::config::{Indicator, Period, Project, Target};
pub use error::{IndicatorError, ResultError, SqlError};
use one::*;
use output::{OutputRow, tidy};
use rollup::{Pair, PeriodOrd};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct IndicatorOutcome {
    pub indicator: String,
    pub ok: bool,
    pub rows: usize,
    pub tables: Vec<String>,
    pub error: Option<String>,
    /// The failure as a kind and its values, for pages in the project's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<crate::warehouse::problem::Problem>,
    pub warnings: Vec<String>,
    /// What changed its figures without failing it (ceased codes counted under their successor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<crate::warehouse::problem::Problem>,
}

/// What one indicator computed, before it joins the table.
struct Computed {
    rows: Vec<OutputRow>,
    tables: BTreeSet<String>,
    warnings: Vec<String>,
    notes: Vec<crate::warehouse::problem::Problem>,
}

/// Indicator queries run at the same time.
const CONCURRENT_QUERIES: usize = 2;

/// The days figures are judged on: today for follow-up windows, and the day the delivery
/// indicators count periods due up to. None reads the clock; a recomputation gives the days the
/// figures were first computed on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct AsOf {
    pub today: Option<chrono::NaiveDate>,
    pub deliveries_day: Option<chrono::NaiveDate>,
}

impl AsOf {
    /// The days as the clock gives them now (a malformed `OSSERVATORIO_TODAY` leaves `today`
    /// unset, so the indicators that read it fail with its message).
    pub fn now(project: &Project) -> AsOf {
        AsOf {
            today: crate::clock::today(project.settings.timezone).ok(),
            deliveries_day: Some(
                crate::clock::now()
                    .with_timezone(&project.settings.timezone)
                    .date_naive(),
            ),
        }
    }
}

/// One indicator computed again from given data, as `compute` would: its figures or why not, and
/// the tables it read.
pub struct Recomputed {
    pub indicator: String,
    pub rows: Result<Vec<OutputRow>, IndicatorError>,
    pub tables: BTreeSet<String>,
}

/// Computes every indicator of `project` in `ctx` as of the given days, writing nothing: how a
/// bundle's figures are computed again from the data they came from.
pub async fn recompute(
    project: &Project,
    ctx: &SessionContext,
    deliveries: &[deliveries::Deliveries],
    as_of: AsOf,
) -> Vec<Recomputed> {
    let results = compute_each(
        project,
        ctx,
        "reproduce",
        project.indicators.iter().collect(),
        deliveries,
        as_of,
    )
    .await;
    results
        .into_iter()
        .map(|(ind, _, computed)| match computed {
            Ok(c) => Recomputed {
                indicator: ind.id.clone(),
                rows: Ok(c.rows),
                tables: c.tables,
            },
            Err(e) => Recomputed {
                indicator: ind.id.clone(),
                rows: Err(e),
                tables: BTreeSet::new(),
            },
        })
        .collect()
}

type Each<'a> = (
    &'a Indicator,
    std::time::Duration,
    Result<Computed, IndicatorError>,
);

/// Runs the selected indicators, two at a time.
async fn compute_each<'a>(
    project: &'a Project,
    ctx: &SessionContext,
    run_id: &str,
    selected: Vec<&'a Indicator>,
    deliveries: &[deliveries::Deliveries],
    as_of: AsOf,
) -> Vec<Each<'a>> {
    // Two queries at a time: while one is in a step that runs on one core (planning, a join's
    // build side, a final aggregation), the other keeps the rest of the machine busy.
    futures::stream::iter(selected.into_iter().map(|ind| async move {
        let started = std::time::Instant::now();
        let computed = match ind.builtin {
            Some(which) => compute_builtin(project, ind, which, deliveries, run_id, as_of),
            None => compute_one(project, ctx, ind, run_id, as_of).await,
        };
        (ind, started.elapsed(), computed)
    }))
    .buffered(CONCURRENT_QUERIES)
    .collect()
    .await
}

/// Computes the selected indicators (all when `only` is empty) and rewrites the indicator table.
pub async fn compute(
    project: &Project,
    ctx: &SessionContext,
    run_id: &str,
    only: &[String],
    deliveries: &[deliveries::Deliveries],
    as_of: AsOf,
) -> Result<Vec<IndicatorOutcome>, IndicatorError> {
    let out_dir = &project.settings.output;
    // The table is derived: a damaged one is rebuilt whole (every indicator), never trusted.
    let (previous, only) = match output::read(out_dir) {
        Ok(rows) => (rows, only),
        Err(e) => {
            tracing::warn!("{e}: the indicator table is damaged; computing every indicator again");
            (Vec::new(), &[][..])
        }
    };
    let mut rows: Vec<OutputRow> = Vec::new();
    let mut outcomes = Vec::new();
    let mut keep_previous: BTreeSet<String> = BTreeSet::new();
    let selected: Vec<&Indicator> = project
        .indicators
        .iter()
        .filter(|ind| {
            let wanted = only.is_empty() || only.contains(&ind.id);
            if !wanted {
                keep_previous.insert(ind.id.clone());
            }
            wanted
        })
        .collect();
    let computed: Vec<&str> = selected.iter().map(|i| i.id.as_str()).collect();
    let results = compute_each(project, ctx, run_id, selected, deliveries, as_of).await;
    let mut failed = BTreeMap::new();
    let mut noted = BTreeMap::new();
    for (ind, elapsed, computed) in results {
        let outcome = match computed {
            Ok(mut c) => {
                tracing::info!(indicator = %ind.id, rows = c.rows.len(), ms = elapsed.as_millis() as u64, "indicator done");
                noted.insert(ind.id.clone(), c.notes.clone());
                let its_rows = std::mem::take(&mut c.rows);
                let outcome = computed_outcome(ind, its_rows.len(), c);
                rows.extend(its_rows);
                outcome
            }
            Err(e) => {
                keep_previous.insert(ind.id.clone());
                let outcome = failed_outcome(ctx, ind, &e).await;
                if let Some(p) = &outcome.problem {
                    failed.insert(ind.id.clone(), p.clone());
                }
                outcome
            }
        };
        outcomes.push(outcome);
    }
    rows.extend(
        previous
            .into_iter()
            .filter(|r| keep_previous.contains(&r.indicator)),
    );
    sort_table(project, &mut rows);
    output::write(out_dir, &rows)?;
    failure::record(project, &computed, failed)?;
    failure::record_notes(project, &computed, noted)?;
    Ok(outcomes)
}

/// The outcome of an indicator that computed `rows` rows (taken into the table).
fn computed_outcome(ind: &Indicator, rows: usize, c: Computed) -> IndicatorOutcome {
    IndicatorOutcome {
        indicator: ind.id.clone(),
        ok: true,
        rows,
        tables: c.tables.into_iter().collect(),
        error: None,
        problem: None,
        warnings: c.warnings,
        notes: c.notes,
    }
}

/// The outcome of an indicator that failed with `e`, said in English on the log.
async fn failed_outcome(
    ctx: &SessionContext,
    ind: &Indicator,
    e: &IndicatorError,
) -> IndicatorOutcome {
    let at = crate::text::place(&ind.file.display().to_string(), ind.line);
    let msg = format!("{at}: indicator {}: {e}", ind.id);
    tracing::error!("{msg}");
    IndicatorOutcome {
        indicator: ind.id.clone(),
        ok: false,
        rows: 0,
        tables: Vec::new(),
        error: Some(msg),
        problem: Some(failure::problem(ctx, ind, e).await),
        warnings: Vec::new(),
        notes: Vec::new(),
    }
}

/// The table's rows in the project's order of indicators, then by territory, grain and period.
fn sort_table(project: &Project, rows: &mut [OutputRow]) {
    let order: BTreeMap<&str, usize> = project
        .indicators
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &OutputRow| {
            let p = Period::parse(&r.period).map(|p| p.sort_key());
            (
                order
                    .get(r.indicator.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                r.territory.clone(),
                grain_rank(&r.grain),
                p,
            )
        };
        key(a).cmp(&key(b))
    });
}

/// Per indicator (those that do not ignore them), the territory codes of its figures that are
/// not in the project's territories, sorted.
pub fn unknown_territories(project: &Project, rows: &[OutputRow]) -> BTreeMap<String, Vec<String>> {
    let checked: BTreeSet<&str> = project
        .indicators
        .iter()
        .filter(|i| !i.ignore_unknown_territories)
        .map(|i| i.id.as_str())
        .collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        if checked.contains(r.indicator.as_str()) && project.territories.get(&r.territory).is_none()
        {
            out.entry(r.indicator.clone())
                .or_default()
                .insert(r.territory.clone());
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

fn grain_rank(g: &str) -> u8 {
    match g {
        "month" => 0,
        "quarter" => 1,
        "year" => 2,
        _ => 3,
    }
}

/// Plans an indicator's SQL without running it; returns the tables it reads.
pub async fn check_indicator(
    ctx: &SessionContext,
    ind: &Indicator,
) -> Result<BTreeSet<String>, SqlError> {
    let df = sql::plan_read_only(ctx, &ind.sql)
        .await
        .map_err(SqlError::Plan)?;
    let tables = sql::tables_read(df.logical_plan());
    sql::check_columns(
        df.schema().as_arrow(),
        &["territory", "period", "numerator"],
    )
    .map_err(SqlError::Columns)?;
    if let Some(q) = &ind.targets_sql {
        let t = sql::plan_read_only(ctx, q)
            .await
            .map_err(|e| SqlError::Plan(e).of_targets())?;
        sql::check_columns(t.schema().as_arrow(), &["territory", "period", "value"])
            .map_err(|e| SqlError::Columns(e).of_targets())?;
    }
    Ok(tables)
}

/// Where the indicator table lives for `project`.
pub fn table_path(project: &Project) -> std::path::PathBuf {
    Path::new(&project.settings.output).join("indicators.parquet")
}

/// A stable hash of everything that determines an indicator's figures: its SQL, unit, grain,
/// direction, roll-ups, targets and the threshold of its status. A change to any of them changes
/// the hash, so a revised figure can be told from revised data.
pub fn definition_hash(ind: &Indicator) -> String {
    use sha2::{Digest, Sha256};
    let targets: Vec<serde_json::Value> = ind
        .targets
        .iter()
        .map(|t| {
            serde_json::json!({
                "territory": t.territory,
                "period": t.period.map(|p| p.to_string()),
                "grain": t.grain.map(|g| g.as_str()),
                "value": t.value,
            })
        })
        .collect();
    let mut definition = serde_json::json!({
        "sql": ind.sql,
        "unit": format!("{:?}", ind.unit),
        "grain": ind.grain.as_str(),
        "direction": format!("{:?}", ind.direction),
        "time_rollup": format!("{:?}", ind.time_rollup),
        "territory_rollup": ind.territory_rollup,
        "targets": targets,
        "targets_sql": ind.targets_sql,
        "on_track": ind.on_track,
    });
    // Only when given: definitions written before follow-ups existed keep their hash.
    if let (Some(f), Some(map)) = (ind.follow_up, definition.as_object_mut()) {
        map.insert("follow_up".into(), format!("{f:?}").into());
    }
    hex::encode(Sha256::digest(definition.to_string().as_bytes()))
}
