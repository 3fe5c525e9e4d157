//! Parquet exports: record batches, each column cast once to a canonical type and read as cells.

use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};

use super::{IngestError, RawRow, Rows, read_err};
use crate::ingest::cell::Cell;

pub(super) fn open_parquet(path: &Path, shown: &str) -> Result<(Vec<String>, Rows), IngestError> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = File::open(path).map_err(|e| read_err(shown, None, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| read_err(shown, None, e))?;
    let headers = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| read_err(shown, None, e))?;
    let shown = shown.to_string();
    let mut next_line = 0u64;
    let rows = reader.flat_map(move |batch| -> Vec<Result<RawRow, IngestError>> {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return vec![Err(read_err(&shown, None, e))],
        };
        let columns: Vec<Vec<Cell>> = batch
            .columns()
            .iter()
            .map(|c| arrow_cells(c.as_ref()))
            .collect();
        (0..batch.num_rows())
            .map(|r| {
                next_line += 1;
                Ok(RawRow {
                    line: next_line,
                    cells: columns.iter().map(|c| c[r].clone()).collect(),
                })
            })
            .collect()
    });
    Ok((headers, Box::new(rows)))
}

/// Converts one Parquet column to cells, casting it once to a canonical type so each cell is a plain read.
pub(super) fn arrow_cells(a: &dyn Array) -> Vec<Cell> {
    use DataType as T;
    let n = a.len();
    let target = match a.data_type() {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 => T::Int64,
        T::Float16 | T::Float32 | T::Float64 => T::Float64,
        T::Boolean => T::Boolean,
        T::Date32 | T::Date64 => T::Date32,
        T::Timestamp(..) => T::Timestamp(TimeUnit::Microsecond, None),
        _ => T::Utf8,
    };
    let Ok(c) = datafusion::arrow::compute::cast(a, &target) else {
        return vec![Cell::Empty; n];
    };
    let cells = |f: &dyn Fn(usize) -> Option<Cell>| -> Vec<Cell> {
        (0..n)
            .map(|i| {
                if c.is_null(i) {
                    Cell::Empty
                } else {
                    f(i).unwrap_or(Cell::Empty)
                }
            })
            .collect()
    };
    match target {
        T::Int64 => {
            let v = c.as_primitive::<Int64Type>();
            cells(&|i| Some(Cell::Int(v.value(i))))
        }
        T::Float64 => {
            let v = c.as_primitive::<Float64Type>();
            cells(&|i| Some(Cell::Float(v.value(i))))
        }
        T::Boolean => {
            let v = c.as_boolean();
            cells(&|i| Some(Cell::Bool(v.value(i))))
        }
        T::Date32 => {
            let v = c.as_primitive::<Date32Type>();
            cells(&|i| v.value_as_date(i).map(Cell::Date))
        }
        T::Timestamp(..) => {
            let v = c.as_primitive::<TimestampMicrosecondType>();
            cells(&|i| v.value_as_datetime(i).map(Cell::DateTime))
        }
        _ => {
            let v = c.as_string::<i32>();
            cells(&|i| Some(Cell::Text(v.value(i).to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Float32Array, Int32Array, StringArray, TimestampMillisecondArray,
    };

    #[test]
    fn parquet_columns_of_any_width_become_cells() {
        assert_eq!(
            arrow_cells(&Int32Array::from(vec![Some(7), None])),
            vec![Cell::Int(7), Cell::Empty]
        );
        assert_eq!(
            arrow_cells(&Float32Array::from(vec![1.5])),
            vec![Cell::Float(1.5)]
        );
        let t = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let ms = TimestampMillisecondArray::from(vec![t.and_utc().timestamp_millis()]);
        assert_eq!(arrow_cells(&ms), vec![Cell::DateTime(t)]);
        assert_eq!(
            arrow_cells(&StringArray::from(vec!["PD001"])),
            vec![Cell::Text("PD001".into())]
        );
    }
}
