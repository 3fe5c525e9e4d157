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
pub(super) fn text_column(batch: &RecordBatch, name: &str) -> Result<Vec<String>, String> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name}"))?;
    let a = c
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("column {name} is not text"))?;
    Ok((0..a.len()).map(|i| a.value(i).to_string()).collect())
}

/// The nullable number column `name` of a batch read back, or why it cannot be.
pub(super) fn number_column(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>, String> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name}"))?;
    let a = c
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| format!("column {name} is not numeric"))?;
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
    .map_err(|e| IndicatorError::Data(e.to_string()))
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

fn io_err(path: &Path, e: impl std::fmt::Display) -> IndicatorError {
    IndicatorError::Output(format!("{}: {e}", path.display()))
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
    let mut w = ArrowWriter::try_new(&mut buf, schema(), None)
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
    w.write(&batch)
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
    w.close()
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
    write_atomic(&dir.join("indicators.parquet"), &buf)?;

    let mut csv = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = schema().fields().iter().map(|f| f.name().clone()).collect();
    csv.write_record(&header)
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
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
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| IndicatorError::Output(e.to_string()))?;
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
        let s = |name: &str| text_column(&batch, name).map_err(|e| io_err(&path, e));
        let f = |name: &str| number_column(&batch, name).map_err(|e| io_err(&path, e));
        let (ind, ter, lev, per, gra, st, run) = (
            s("indicator")?,
            s("territory")?,
            s("territory_level")?,
            s("period")?,
            s("grain")?,
            s("status")?,
            s("run_id")?,
        );
        // Tables written before these columns existed read as having none.
        let rows = batch.num_rows();
        let (previous, change) = (
            f("previous").unwrap_or_else(|_| vec![None; rows]),
            f("change").unwrap_or_else(|_| vec![None; rows]),
        );
        let definition = s("definition").unwrap_or_else(|_| vec![String::new(); rows]);
        let provisional: Vec<bool> = batch
            .column_by_name("provisional")
            .and_then(|c| c.as_boolean_opt())
            .map(|a| (0..a.len()).map(|i| a.is_valid(i) && a.value(i)).collect())
            .unwrap_or_else(|| vec![false; rows]);
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
            .zip(definition);
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
                previous: previous[i],
                change: change[i],
                definition,
                provisional: provisional[i],
            });
        }
    }
    Ok(out)
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
