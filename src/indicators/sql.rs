//! Runs indicator SQL read-only and reads its result columns.

use std::collections::BTreeSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type};
use datafusion::common::tree_node::TreeNodeRecursion;

use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::DataFrame;

use super::{IndicatorError, ResultError, SqlError};
use crate::config::{Grain, Period};

pub use crate::warehouse::session::plan_read_only;

/// The tables a plan reads, including those read by subqueries.
pub fn tables_read(plan: &LogicalPlan) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let scanned = scan.table_name.table();
            names.insert(crate::warehouse::session::declared_table(scanned).to_string());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    names
}

/// Finds a result column by name, ignoring case.
pub fn column_index(df_schema: &datafusion::arrow::datatypes::Schema, name: &str) -> Option<usize> {
    df_schema
        .fields()
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(name))
}

/// Checks the result columns an indicator query must have.
pub fn check_columns(
    schema: &datafusion::arrow::datatypes::Schema,
    needed: &[&str],
) -> Result<(), MissingColumns> {
    let missing: Vec<String> = needed
        .iter()
        .filter(|n| column_index(schema, n).is_none())
        .map(|n| n.to_string())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let found = schema.fields().iter().map(|f| f.name().clone()).collect();
    Err(MissingColumns { missing, found })
}

/// Result columns an indicator query lacks, beside those it returns.
#[derive(Debug, thiserror::Error)]
#[error("the query must return the column(s) {} (it returns: {})", .missing.join(", "), .found.join(", "))]
pub struct MissingColumns {
    pub missing: Vec<String>,
    pub found: Vec<String>,
}

/// A value of the `period` column that names no period at the indicator's grain.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BadPeriod {
    #[error("'{0}' is not a period (2024-03, 2024-Q1, 2024, 2025-2027 or a date)")]
    NotAPeriod(String),
    #[error("period '{label}' is a {grain}, coarser than the indicator's grain {indicator}")]
    Coarser {
        label: String,
        grain: Grain,
        indicator: Grain,
    },
    #[error("a date ({0}) cannot name a plan period; return a label like '2025-2027'")]
    PlanDate(chrono::NaiveDate),
}

pub fn strings(a: &ArrayRef) -> Result<Vec<Option<String>>, IndicatorError> {
    let s = cast(a, &DataType::Utf8).map_err(ResultError::Cast)?;
    let s = s.as_string::<i32>();
    Ok((0..s.len())
        .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
        .collect())
}

pub fn floats(a: &ArrayRef, column: &str) -> Result<Vec<Option<f64>>, IndicatorError> {
    let f = cast(a, &DataType::Float64).map_err(|source| ResultError::NotNumeric {
        column: column.to_string(),
        source,
    })?;
    let f = f.as_primitive::<Float64Type>();
    Ok((0..f.len())
        .map(|i| {
            (!f.is_null(i))
                .then(|| f.value(i))
                .filter(|x| x.is_finite())
        })
        .collect())
}

/// Reads the `period` column: dates and timestamps are the start of a period of `grain`; strings
/// are period labels; whole numbers are years.
pub fn periods(
    a: &ArrayRef,
    grain: Grain,
) -> Result<Vec<Option<Result<Period, BadPeriod>>>, IndicatorError> {
    match a.data_type() {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            let d = cast(a, &DataType::Date32).map_err(ResultError::Cast)?;
            let d = d.as_primitive::<Date32Type>();
            Ok((0..d.len())
                .map(|i| {
                    if d.is_null(i) {
                        return None;
                    }
                    let date = d.value_as_date(i)?;
                    Some(Period::containing(date, grain).ok_or(BadPeriod::PlanDate(date)))
                })
                .collect())
        }
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Ok(strings(a)?
            .into_iter()
            .map(|s| s.map(|s| label_period(&s, grain)))
            .collect()),
        _ => Ok(strings(a)?
            .into_iter()
            .map(|s| s.map(|s| label_period(&s, grain)))
            .collect()),
    }
}

/// A period label at the indicator's grain: finer labels are taken into their period, coarser refused.
fn label_period(s: &str, grain: Grain) -> Result<Period, BadPeriod> {
    let p = Period::parse(s).ok_or_else(|| BadPeriod::NotAPeriod(s.to_string()))?;
    if p.grain() == grain {
        return Ok(p);
    }
    p.within(grain).ok_or_else(|| BadPeriod::Coarser {
        label: s.to_string(),
        grain: p.grain(),
        indicator: grain,
    })
}

/// Runs a planned query. A query that fails on a cluster is told as the cluster's failure (the
/// SQL planned, so it is not the SQL's).
pub async fn collect(df: DataFrame) -> Result<Vec<RecordBatch>, IndicatorError> {
    let engine = crate::warehouse::cluster::engine_of(df.task_ctx().session_config());
    df.collect().await.map_err(|e| match engine {
        Some(engine) => {
            IndicatorError::Cluster(Box::new(crate::warehouse::cluster::explain(&engine, e)))
        }
        None => IndicatorError::Sql(SqlError::Run(e)),
    })
}
