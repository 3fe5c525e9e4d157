//! The computed indicator table: OUTPUT/indicators.parquet and .csv, written atomically.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::IndicatorError;

/// A column of a table read back that is not there or not of its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    #[error("no column {0}")]
    Missing(String),
    #[error("column {0} is not text")]
    NotText(String),
    #[error("column {0} is not numeric")]
    NotNumeric(String),
    #[error("{0} is not boolean")]
    NotBoolean(String),
}

/// What failed in writing or reading a table file.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Persist(#[from] tempfile::PersistError),
    #[error(transparent)]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Column(#[from] ColumnError),
}

/// Why the indicator table, or another file the indicators write, cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Of one file (or the history, whose files are named `history`).
    #[error("output: {path}: {source}")]
    File {
        path: String,
        #[source]
        source: Failure,
    },
    /// Encoding the table before it is written.
    #[error("output: {0}")]
    Encode(#[source] Failure),
    /// The rows do not make a record batch of the table's schema.
    #[error("result: {0}")]
    Batch(#[source] datafusion::arrow::error::ArrowError),
}

/// The error of the file at `path`.
pub(super) fn file_error(path: impl std::fmt::Display, e: impl Into<Failure>) -> IndicatorError {
    IndicatorError::Table(TableError::File {
        path: path.to_string(),
        source: e.into(),
    })
}

fn encode_error(e: impl Into<Failure>) -> IndicatorError {
    IndicatorError::Table(TableError::Encode(e.into()))
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputRow {
    pub indicator: String,
    pub territory: String,
    pub territory_level: String,
    pub period: String,
    pub grain: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub achievement: Option<f64>,
    pub status: String,
    pub run_id: String,
    /// The value of the previous period of the same grain, and value − previous.
    pub previous: Option<f64>,
    pub change: Option<f64>,
    /// The hash of the indicator's definition the row was computed with.
    pub definition: String,
    /// The indicator's follow-up window is still open for this period: the figure may change
    /// and is not judged against its target.
    pub provisional: bool,
}

pub fn schema() -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, false);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        s("indicator"),
        s("territory"),
        s("territory_level"),
        s("period"),
        s("grain"),
        f("numerator"),
        f("denominator"),
        f("value"),
        f("target"),
        f("achievement"),
        s("status"),
        s("run_id"),
        f("previous"),
        f("change"),
        s("definition"),
        Field::new("provisional", DataType::Boolean, false),
    ]))
}

pub use crate::values::numbers::tidy;

/// A text column of `rows`, for a record batch.
pub(super) fn text_array<T>(rows: &[T], f: &dyn Fn(&T) -> &str) -> Arc<dyn Array> {
    Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
}

/// A nullable number column of `rows`, for a record batch.
pub(super) fn number_array<T>(rows: &[T], f: &dyn Fn(&T) -> Option<f64>) -> Arc<dyn Array> {
    Arc::new(rows.iter().map(f).collect::<Float64Array>())
}

/// The text column `name` of a batch read back, or why it cannot be.
pub(super) fn text_column(batch: &RecordBatch, name: &str) -> Result<Vec<String>, ColumnError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| ColumnError::Missing(name.to_string()))?;
    let a = c
        .as_string_opt::<i32>()
        .ok_or_else(|| ColumnError::NotText(name.to_string()))?;
    Ok((0..a.len()).map(|i| a.value(i).to_string()).collect())
}

/// The nullable number column `name` of a batch read back, or why it cannot be.
pub(super) fn number_column(
    batch: &RecordBatch,
    name: &str,
) -> Result<Vec<Option<f64>>, ColumnError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| ColumnError::Missing(name.to_string()))?;
    let a = c
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| ColumnError::NotNumeric(name.to_string()))?;
    Ok((0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect())
}

fn to_batch(rows: &[OutputRow]) -> Result<RecordBatch, IndicatorError> {
    let s = |f: &dyn Fn(&OutputRow) -> &str| text_array(rows, f);
    let n = |f: &dyn Fn(&OutputRow) -> Option<f64>| number_array(rows, f);
    RecordBatch::try_new(
        schema(),
        vec![
            s(&|r| &r.indicator),
            s(&|r| &r.territory),
            s(&|r| &r.territory_level),
            s(&|r| &r.period),
            s(&|r| &r.grain),
            n(&|r| r.numerator),
            n(&|r| r.denominator),
            n(&|r| r.value),
            n(&|r| r.target),
            n(&|r| r.achievement),
            s(&|r| &r.status),
            s(&|r| &r.run_id),
            n(&|r| r.previous),
            n(&|r| r.change),
            s(&|r| &r.definition),
            Arc::new(BooleanArray::from_iter(
                rows.iter().map(|r| Some(r.provisional)),
            )),
        ],
    )
    .map_err(|e| IndicatorError::Table(TableError::Batch(e)))
}

fn num(x: Option<f64>) -> String {
    x.map(|v| {
        let s = format!("{v:.9}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    })
    .unwrap_or_default()
}

fn io_err(path: &Path, e: impl Into<Failure>) -> IndicatorError {
    file_error(path.display(), e)
}

/// Writes `bytes` next to `path` and renames it into place, so readers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndicatorError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_err(dir, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| io_err(path, e))?;
    // A temporary file is private (0600); an output is read by whoever serves or copies the
    // reports, as every other file of the output folder is.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io_err(path, e))?;
    }
    tmp.persist(path).map_err(|e| io_err(path, e))?;
    Ok(())
}

pub fn write(dir: &Path, rows: &[OutputRow]) -> Result<(), IndicatorError> {
    let batch = to_batch(rows)?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema(), None).map_err(encode_error)?;
    w.write(&batch).map_err(encode_error)?;
    w.close().map_err(encode_error)?;
    write_atomic(&dir.join("indicators.parquet"), &buf)?;

    let mut csv = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = schema().fields().iter().map(|f| f.name().clone()).collect();
    csv.write_record(&header).map_err(encode_error)?;
    for r in rows {
        crate::text::write_csv_record(
            &mut csv,
            [
                r.indicator.as_str(),
                &r.territory,
                &r.territory_level,
                &r.period,
                &r.grain,
                &num(r.numerator),
                &num(r.denominator),
                &num(r.value),
                &num(r.target),
                &num(r.achievement),
                &r.status,
                &r.run_id,
                &num(r.previous),
                &num(r.change),
                &r.definition,
                if r.provisional { "true" } else { "false" },
            ],
        )
        .map_err(encode_error)?;
    }
    let bytes = csv.into_inner().map_err(|e| encode_error(e.into_error()))?;
    write_atomic(&dir.join("indicators.csv"), &bytes)
}

/// Reads a previously written indicators.parquet; an absent file is an empty table.
pub fn read(dir: &Path) -> Result<Vec<OutputRow>, IndicatorError> {
    let path = dir.join("indicators.parquet");
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&path, e)),
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| io_err(&path, e))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| io_err(&path, e))?;
        rows_of(&batch, &mut out).map_err(|e| io_err(&path, e))?;
    }
    Ok(out)
}

/// The columns of the table that tables written before they existed do not have: each row has
/// none of them then.
struct LaterColumns {
    previous: Vec<Option<f64>>,
    change: Vec<Option<f64>>,
    definition: Vec<String>,
    provisional: Vec<bool>,
}

impl LaterColumns {
    fn of(batch: &RecordBatch) -> LaterColumns {
        let rows = batch.num_rows();
        let numbers = |name: &str| number_column(batch, name).unwrap_or_else(|_| vec![None; rows]);
        LaterColumns {
            previous: numbers("previous"),
            change: numbers("change"),
            definition: text_column(batch, "definition")
                .unwrap_or_else(|_| vec![String::new(); rows]),
            provisional: batch
                .column_by_name("provisional")
                .and_then(|c| c.as_boolean_opt())
                .map(|a| (0..a.len()).map(|i| a.is_valid(i) && a.value(i)).collect())
                .unwrap_or_else(|| vec![false; rows]),
        }
    }
}

/// Appends the rows of one record batch of the table to `out`.
fn rows_of(batch: &RecordBatch, out: &mut Vec<OutputRow>) -> Result<(), ColumnError> {
    let s = |name: &str| text_column(batch, name);
    let f = |name: &str| number_column(batch, name);
    let (ind, ter, lev, per, gra, st, run) = (
        s("indicator")?,
        s("territory")?,
        s("territory_level")?,
        s("period")?,
        s("grain")?,
        s("status")?,
        s("run_id")?,
    );
    let later = LaterColumns::of(batch);
    let (nu, de, va, ta, ac) = (
        f("numerator")?,
        f("denominator")?,
        f("value")?,
        f("target")?,
        f("achievement")?,
    );
    // Each text moved into its row, not copied again.
    let texts = ind
        .into_iter()
        .zip(ter)
        .zip(lev)
        .zip(per)
        .zip(gra)
        .zip(st)
        .zip(run)
        .zip(later.definition);
    for (
        i,
        (
            ((((((indicator, territory), territory_level), period), grain), status), run_id),
            definition,
        ),
    ) in texts.enumerate()
    {
        out.push(OutputRow {
            indicator,
            territory,
            territory_level,
            period,
            grain,
            numerator: nu[i],
            denominator: de[i],
            value: va[i],
            target: ta[i],
            achievement: ac[i],
            status,
            run_id,
            previous: later.previous[i],
            change: later.change[i],
            definition,
            provisional: later.provisional[i],
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_binary_noise() {
        assert_eq!(num(Some(0.1 + 0.2)), "0.3");
        assert_eq!(num(Some(1234.5)), "1234.5");
        assert_eq!(num(Some(300.0)), "300");
        assert_eq!(num(Some(-0.0)), "0");
        assert_eq!(num(None), "");
        assert_eq!(tidy(24691.340000000004), 24691.34);
    }
}
