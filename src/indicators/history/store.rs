//! The history's files: each run's figure states as Parquet, what the indicators read as JSON.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::StreamExt;
use object_store::ObjectStoreExt;

use super::{History, HistoryRow, INPUTS_SUFFIX, RunInputs};
use crate::indicators::IndicatorError;
use crate::indicators::output::{
    ColumnError, Failure, file_error, number_array, number_column, text_array, text_column,
};
use crate::warehouse::{Warehouse, WarehouseError};

fn schema() -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, false);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        s("run_id"),
        s("recorded_at"),
        s("indicator"),
        s("territory"),
        s("period"),
        s("grain"),
        f("numerator"),
        f("denominator"),
        f("value"),
        f("target"),
        s("status"),
        s("definition"),
        Field::new("removed", DataType::Boolean, false),
    ]))
}

fn data_err(e: impl Into<Failure>) -> IndicatorError {
    file_error("history", e)
}

pub(super) fn to_parquet(rows: &[HistoryRow]) -> Result<Vec<u8>, IndicatorError> {
    let s = |f: &dyn Fn(&HistoryRow) -> &str| text_array(rows, f);
    let n = |f: &dyn Fn(&HistoryRow) -> Option<f64>| number_array(rows, f);
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            s(&|r| &r.run_id),
            s(&|r| &r.recorded_at),
            s(&|r| &r.indicator),
            s(&|r| &r.territory),
            s(&|r| &r.period),
            s(&|r| &r.grain),
            n(&|r| r.numerator),
            n(&|r| r.denominator),
            n(&|r| r.value),
            n(&|r| r.target),
            s(&|r| &r.status),
            s(&|r| &r.definition),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.removed))
                    .collect::<BooleanArray>(),
            ),
        ],
    )
    .map_err(data_err)?;
    let mut buf = Vec::new();
    // Runs, dates, codes and hashes repeat from row to row: dictionaries and compression keep a
    // run's revisions small.
    let props = datafusion::parquet::file::properties::WriterProperties::builder()
        .set_compression(datafusion::parquet::basic::Compression::ZSTD(
            Default::default(),
        ))
        .build();
    let mut w = ArrowWriter::try_new(&mut buf, schema(), Some(props)).map_err(data_err)?;
    w.write(&batch).map_err(data_err)?;
    w.close().map_err(data_err)?;
    Ok(buf)
}

fn from_parquet(bytes: bytes::Bytes) -> Result<Vec<HistoryRow>, IndicatorError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.build())
        .map_err(data_err)?;
    let mut out = Vec::new();
    for batch in reader {
        let b = batch.map_err(data_err)?;
        let s = |name: &str| text_column(&b, name).map_err(data_err);
        let f = |name: &str| number_column(&b, name).map_err(data_err);
        let removed = b
            .column_by_name("removed")
            .and_then(|c| c.as_boolean_opt().cloned())
            .ok_or_else(|| data_err(ColumnError::NotBoolean("removed".into())))?;
        let (run, at, ind, ter, per, gra, st, def) = (
            s("run_id")?,
            s("recorded_at")?,
            s("indicator")?,
            s("territory")?,
            s("period")?,
            s("grain")?,
            s("status")?,
            s("definition")?,
        );
        // Only states stored before the inputs were kept per run have the column.
        let exp = match b.column_by_name("exports") {
            Some(_) => s("exports")?,
            None => vec![String::new(); b.num_rows()],
        };
        let (nu, de, va, ta) = (
            f("numerator")?,
            f("denominator")?,
            f("value")?,
            f("target")?,
        );
        for i in 0..b.num_rows() {
            out.push(HistoryRow {
                run_id: run[i].clone(),
                recorded_at: at[i].clone(),
                indicator: ind[i].clone(),
                territory: ter[i].clone(),
                period: per[i].clone(),
                grain: gra[i].clone(),
                numerator: nu[i],
                denominator: de[i],
                value: va[i],
                target: ta[i],
                status: st[i].clone(),
                definition: def[i].clone(),
                exports: exp[i].clone(),
                removed: removed.value(i),
            });
        }
    }
    Ok(out)
}

/// Every stored state, in the order the runs recorded them (run ids sort by time), and what the
/// indicators read; a history file that cannot be read is skipped with a warning.
pub async fn read(wh: &Warehouse) -> Result<History, IndicatorError> {
    let (history, unreadable) = read_checked(wh).await?;
    for u in unreadable {
        tracing::warn!("history file {u}");
    }
    Ok(history)
}

async fn get_bytes(
    wh: &Warehouse,
    p: &object_store::path::Path,
) -> Result<bytes::Bytes, IndicatorError> {
    let store_err = |source| WarehouseError::Store {
        path: p.to_string(),
        source,
    };
    Ok(wh
        .store
        .get(p)
        .await
        .map_err(store_err)?
        .bytes()
        .await
        .map_err(store_err)?)
}

/// Every readable stored state in run order, what the indicators read, and the history files
/// that cannot be read.
pub async fn read_checked(
    wh: &Warehouse,
) -> Result<(History, Vec<crate::warehouse::Unreadable>), IndicatorError> {
    let mut paths = Vec::new();
    let mut list = wh.store.list(Some(&wh.path("_history")));
    while let Some(item) = list.next().await {
        let meta = item.map_err(|source| WarehouseError::Store {
            path: "_history".into(),
            source,
        })?;
        let name = meta.location.as_ref();
        if name.ends_with(".parquet") || name.ends_with(INPUTS_SUFFIX) {
            paths.push(meta.location);
        }
    }
    paths.sort();
    let mut out = History::default();
    let mut unreadable = Vec::new();
    for p in paths {
        let bytes = get_bytes(wh, &p).await?;
        let parsed = if p.as_ref().ends_with(INPUTS_SUFFIX) {
            serde_json::from_slice::<RunInputs>(&bytes)
                .map(|r| out.inputs.add(r))
                .map_err(|e| e.to_string())
        } else {
            from_parquet(bytes)
                .map(|rows| out.rows.extend(rows))
                .map_err(|e| e.to_string())
        };
        if let Err(message) = parsed {
            unreadable.push(crate::warehouse::Unreadable {
                path: p.to_string(),
                message,
            });
        }
    }
    Ok((out, unreadable))
}
