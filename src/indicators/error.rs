//! Why an indicator did not compute, by stage: its SQL (planning, result columns, running), its
//! result rows, or writing what it computed. Each keeps the error it came from.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;

use super::inputs::INPUTS_FILE;
use super::rollup::RollupError;
use super::sql::{BadPeriod, MissingColumns};
use crate::warehouse::session::ReadOnlyError;

#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error("SQL: {0}")]
    Sql(#[source] SqlError),
    #[error("result: {0}")]
    Data(#[source] ResultError),
    /// Encoding the record of what the figures were computed from.
    #[error("output: {INPUTS_FILE}: {0}")]
    Inputs(#[source] serde_json::Error),
    /// Encoding the failures or the notes kept beside the indicator table.
    #[error("output: {0}")]
    Record(#[source] serde_json::Error),
    #[error(transparent)]
    Table(#[from] super::output::TableError),
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error(transparent)]
    Cluster(#[from] Box<crate::warehouse::cluster::ClusterError>),
    #[error(transparent)]
    Clock(#[from] crate::clock::BadToday),
}

/// The indicator's SQL (or its `targets_sql`) refused by the query engine.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// It does not plan, or it is not a read-only query.
    #[error("{0}")]
    Plan(#[source] ReadOnlyError),
    /// It plans but lacks a column the indicator needs.
    #[error("{0}")]
    Columns(#[source] MissingColumns),
    /// It planned but failed while running.
    #[error("{0}")]
    Run(#[source] DataFusionError),
    /// The same, for the indicator's `targets_sql`.
    #[error("targets_sql: {0}")]
    Targets(#[source] Box<SqlError>),
}

impl SqlError {
    /// The same error, said of the indicator's `targets_sql`.
    pub fn of_targets(self) -> SqlError {
        SqlError::Targets(Box::new(self))
    }
}

/// The rows a query returned cannot be made into figures.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    /// A column cannot be read as text or dates.
    #[error("{0}")]
    Cast(#[source] ArrowError),
    #[error("column {column} is not numeric: {source}")]
    NotNumeric {
        column: String,
        #[source]
        source: ArrowError,
    },
    #[error("no {0} column")]
    NoColumn(&'static str),
    /// A row whose period cannot be read (rows counted from 1).
    #[error("result row {row}: {source}")]
    Row {
        row: usize,
        #[source]
        source: BadPeriod,
    },
    #[error("targets_sql: '{0}' is not a period")]
    TargetPeriod(String),
    #[error("{0}")]
    Rollup(#[source] RollupError),
}

impl From<SqlError> for IndicatorError {
    fn from(e: SqlError) -> Self {
        IndicatorError::Sql(e)
    }
}

impl From<ResultError> for IndicatorError {
    fn from(e: ResultError) -> Self {
        IndicatorError::Data(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn a_targets_query_missing_a_column_reads_as_before_and_keeps_the_columns() {
        let e = IndicatorError::from(
            SqlError::Columns(MissingColumns {
                missing: vec!["value".into()],
                found: vec!["territory".into(), "period".into()],
            })
            .of_targets(),
        );
        assert_eq!(
            e.to_string(),
            "SQL: targets_sql: the query must return the column(s) value (it returns: territory, period)"
        );
        let columns = e
            .source()
            .and_then(|s| s.source())
            .and_then(|s| s.source())
            .and_then(|s| s.downcast_ref::<MissingColumns>())
            .expect("the missing columns kept");
        assert_eq!(columns.missing, ["value"]);
    }

    #[test]
    fn a_row_with_a_coarser_period_names_the_row_and_both_grains() {
        use crate::config::Grain;
        let e = IndicatorError::from(ResultError::Row {
            row: 3,
            source: BadPeriod::Coarser {
                label: "2024".into(),
                grain: Grain::Year,
                indicator: Grain::Month,
            },
        });
        assert_eq!(
            e.to_string(),
            format!(
                "result: result row 3: period '2024' is a {}, coarser than the indicator's grain {}",
                Grain::Year,
                Grain::Month
            )
        );
        assert!(e.source().and_then(|s| s.source()).is_some());
    }
}
