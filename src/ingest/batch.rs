//! Builds Arrow record batches of a canonical table from converted rows.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, PrimitiveBuilder,
    StringBuilder, TimestampMicrosecondBuilder, new_null_array,
};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use super::cell::{self, Value};
use super::rows::{Cells, Slot};
use crate::config::{ColumnType, Table};
use crate::warehouse::table_schema;

enum Col {
    Str(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder),
}

impl Col {
    fn new(ty: ColumnType) -> Col {
        match ty {
            ColumnType::String => Col::Str(StringBuilder::new()),
            ColumnType::Int => Col::Int(Int64Builder::new()),
            ColumnType::Float => Col::Float(Float64Builder::new()),
            ColumnType::Bool => Col::Bool(BooleanBuilder::new()),
            ColumnType::Date => Col::Date(Date32Builder::new()),
            ColumnType::Timestamp => Col::Ts(TimestampMicrosecondBuilder::new()),
        }
    }

    /// Appends a value already converted to this column's type (anything else is stored as null).
    fn push(&mut self, v: &Value) {
        match (self, v) {
            (Col::Str(b), Value::Str(s)) => b.append_value(s),
            (Col::Int(b), Value::Int(i)) => b.append_value(*i),
            (Col::Float(b), Value::Float(f)) => b.append_value(*f),
            (Col::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (Col::Date(b), Value::Date(d)) => b.append_value(days_since_epoch(*d)),
            (Col::Ts(b), Value::Timestamp(t)) => b.append_value(t.and_utc().timestamp_micros()),
            (Col::Str(b), _) => b.append_null(),
            (Col::Int(b), _) => b.append_null(),
            (Col::Float(b), _) => b.append_null(),
            (Col::Bool(b), _) => b.append_null(),
            (Col::Date(b), _) => b.append_null(),
            (Col::Ts(b), _) => b.append_null(),
        }
    }

    /// Appends a string column's text (anything else is given no text, so stored as null).
    fn push_text(&mut self, text: &str) {
        match self {
            Col::Str(b) => b.append_value(text),
            other => other.push(&Value::Null),
        }
    }

    /// The column's values so far; the builder starts over with room for as many, so that the
    /// next batch of an export's rows (the same size, nearly always) is not grown by doubling.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Str(b) => {
                let a = b.finish();
                *b = StringBuilder::with_capacity(a.len(), a.value_data().len());
                Arc::new(a)
            }
            Col::Int(b) => finish_sized(b),
            Col::Float(b) => finish_sized(b),
            Col::Bool(b) => {
                let a = b.finish();
                *b = BooleanBuilder::with_capacity(a.len());
                Arc::new(a)
            }
            Col::Date(b) => finish_sized(b),
            Col::Ts(b) => finish_sized(b),
        }
    }
}

fn finish_sized<T: ArrowPrimitiveType>(b: &mut PrimitiveBuilder<T>) -> ArrayRef {
    let a = b.finish();
    *b = PrimitiveBuilder::<T>::with_capacity(a.len()).with_data_type(a.data_type().clone());
    Arc::new(a)
}

/// A text column holding `text` on each of `n` rows.
fn repeated(text: &str, n: usize) -> ArrayRef {
    let mut column = StringBuilder::with_capacity(n, n * text.len());
    for _ in 0..n {
        column.append_value(text);
    }
    Arc::new(column.finish())
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    // 1970-01-01 is day 719,163 counted from 0001-01-01 (day 1).
    d.num_days_from_ce() - 719_163
}

pub struct BatchBuilder {
    pub schema: SchemaRef,
    cols: Vec<Col>,
    source: String,
    territory: Option<String>,
    lines: Int64Builder,
    len: usize,
}

impl BatchBuilder {
    pub fn new(table: &Table, source: &str, territory: Option<&str>) -> BatchBuilder {
        BatchBuilder {
            schema: table_schema(table),
            cols: table.columns.iter().map(|c| Col::new(c.ty)).collect(),
            source: source.to_string(),
            territory: territory.map(str::to_string),
            lines: Int64Builder::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one row: `values` in the table's column order, texts taken from `cells`.
    pub(super) fn push<C: Cells + ?Sized>(&mut self, line: u64, values: &[Slot], cells: &C) {
        for (c, v) in self.cols.iter_mut().zip(values) {
            match v {
                Slot::Value(v) => c.push(v),
                Slot::Text(p) => c.push_text(cell::trimmed(cells.cell(*p).text().unwrap_or(""))),
            }
        }
        self.lines.append_value(line as i64);
        self.len += 1;
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let n = self.len;
        let mut arrays: Vec<ArrayRef> = self.cols.iter_mut().map(Col::finish).collect();
        arrays.push(repeated(&self.source, n));
        arrays.push(match &self.territory {
            Some(t) => repeated(t, n),
            None => new_null_array(&DataType::Utf8, n),
        });
        arrays.push(finish_sized(&mut self.lines));
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days() {
        assert_eq!(
            days_since_epoch(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()),
            1
        );
        assert_eq!(
            days_since_epoch(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()),
            19723
        );
    }

    proptest::proptest! {
        #[test]
        fn epoch_days_are_the_days_between(days in -800_000i64..3_000_000) {
            let d = NaiveDate::default() + chrono::Duration::days(days);
            proptest::prop_assert_eq!(i64::from(days_since_epoch(d)), (d - NaiveDate::default()).num_days());
        }
    }
}
