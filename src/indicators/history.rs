//! Indicator history: every run appends the figures that changed to `WAREHOUSE/_history/`, with
//! what they were computed from (the definition hash and the exports' checksums), so a revised
//! figure can be traced to revised data or to a revised definition or target.
//!
//! Only changes are stored: a run that changes nothing writes nothing, and the history never grows
//! by a full copy of the table per run.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::StreamExt;
use object_store::ObjectStoreExt;

use super::IndicatorError;
use super::output::{OutputRow, number_array, number_column, text_array, text_column};
use crate::warehouse::{Warehouse, WarehouseError};

/// One stored state of one figure.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub run_id: String,
    pub recorded_at: String,
    pub indicator: String,
    pub territory: String,
    pub period: String,
    pub grain: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: String,
    pub definition: String,
    /// The exports the figure was computed from: `source=sha256` for each, sorted, `;`-separated.
    pub exports: String,
    /// The figure is no longer computed.
    pub removed: bool,
}

impl HistoryRow {
    /// Whether two states differ in what the figure says or what it was computed from.
    fn differs(&self, other: &HistoryRow) -> bool {
        (
            self.numerator,
            self.denominator,
            self.value,
            self.target,
            &self.status,
            &self.definition,
            &self.exports,
            self.removed,
        ) != (
            other.numerator,
            other.denominator,
            other.value,
            other.target,
            &other.status,
            &other.definition,
            &other.exports,
            other.removed,
        )
    }
}

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
        s("exports"),
        Field::new("removed", DataType::Boolean, false),
    ]))
}

fn data_err(e: impl std::fmt::Display) -> IndicatorError {
    IndicatorError::Output(format!("history: {e}"))
}

fn to_parquet(rows: &[HistoryRow]) -> Result<Vec<u8>, IndicatorError> {
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
            s(&|r| &r.exports),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.removed))
                    .collect::<BooleanArray>(),
            ),
        ],
    )
    .map_err(data_err)?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema(), None).map_err(data_err)?;
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
            .ok_or_else(|| data_err("removed is not boolean"))?;
        let (run, at, ind, ter, per, gra, st, def, exp) = (
            s("run_id")?,
            s("recorded_at")?,
            s("indicator")?,
            s("territory")?,
            s("period")?,
            s("grain")?,
            s("status")?,
            s("definition")?,
            s("exports")?,
        );
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

/// Every stored state, in the order the runs recorded them (run ids sort by time); a history
/// file that cannot be read is skipped with a warning.
pub async fn read(wh: &Warehouse) -> Result<Vec<HistoryRow>, IndicatorError> {
    let (rows, unreadable) = read_checked(wh).await?;
    for u in unreadable {
        tracing::warn!("history file {u}");
    }
    Ok(rows)
}

/// Every readable stored state, in run order, and the history files that cannot be read.
pub async fn read_checked(
    wh: &Warehouse,
) -> Result<(Vec<HistoryRow>, Vec<crate::warehouse::Unreadable>), IndicatorError> {
    let mut paths = Vec::new();
    let mut list = wh.store.list(Some(&wh.path("_history")));
    while let Some(item) = list.next().await {
        let meta = item.map_err(|source| WarehouseError::Store {
            path: "_history".into(),
            source,
        })?;
        if meta.location.as_ref().ends_with(".parquet") {
            paths.push(meta.location);
        }
    }
    paths.sort();
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    for p in paths {
        let bytes = wh
            .store
            .get(&p)
            .await
            .map_err(|source| WarehouseError::Store {
                path: p.to_string(),
                source,
            })?
            .bytes()
            .await
            .map_err(|source| WarehouseError::Store {
                path: p.to_string(),
                source,
            })?;
        match from_parquet(bytes) {
            Ok(rows) => out.extend(rows),
            Err(e) => unreadable.push(crate::warehouse::Unreadable {
                path: p.to_string(),
                message: e.to_string(),
            }),
        }
    }
    Ok((out, unreadable))
}

type Key = (String, String, String);

/// Appends this run's changed figures of the given indicators (the others were not recomputed)
/// and returns how many states were stored. `exports` gives, per indicator, the checksums of the
/// exports it read.
pub async fn record(
    wh: &Warehouse,
    run_id: &str,
    rows: &[OutputRow],
    recomputed: &BTreeMap<String, String>,
) -> Result<usize, IndicatorError> {
    let mut latest: BTreeMap<Key, HistoryRow> = BTreeMap::new();
    for h in read(wh).await? {
        latest.insert(
            (h.indicator.clone(), h.territory.clone(), h.period.clone()),
            h,
        );
    }
    let now = chrono::Utc::now().to_rfc3339();
    let mut changed = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        let Some(exports) = recomputed.get(&r.indicator) else {
            continue;
        };
        let key = (r.indicator.clone(), r.territory.clone(), r.period.clone());
        let state = HistoryRow {
            run_id: run_id.to_string(),
            recorded_at: now.clone(),
            indicator: r.indicator.clone(),
            territory: r.territory.clone(),
            period: r.period.clone(),
            grain: r.grain.clone(),
            numerator: r.numerator,
            denominator: r.denominator,
            value: r.value,
            target: r.target,
            status: r.status.clone(),
            definition: r.definition.clone(),
            exports: exports.clone(),
            removed: false,
        };
        if latest.get(&key).is_none_or(|old| old.differs(&state)) {
            changed.push(state);
        }
        seen.insert(key);
    }
    // Figures of a recomputed indicator that are no longer computed.
    for (key, old) in &latest {
        if recomputed.contains_key(&key.0) && !seen.contains(key) && !old.removed {
            changed.push(HistoryRow {
                run_id: run_id.to_string(),
                recorded_at: now.clone(),
                removed: true,
                ..old.clone()
            });
        }
    }
    if changed.is_empty() {
        return Ok(0);
    }
    let path = wh.path(&format!("_history/{run_id}.parquet"));
    wh.store
        .put(&path, to_parquet(&changed)?.into())
        .await
        .map_err(|source| WarehouseError::Store {
            path: path.to_string(),
            source,
        })?;
    Ok(changed.len())
}

/// Why a figure's value changed from one stored state to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    First,
    /// The exports it reads changed: the sources named.
    Data(Vec<String>),
    /// Its definition (SQL, unit, roll-ups, targets) changed.
    Definition,
    /// Both at once.
    DataAndDefinition(Vec<String>),
    /// Neither: territories, plan periods or the program changed.
    Other,
    Removed,
}

/// The sources whose checksum differs between two `exports` fingerprints.
fn changed_sources(before: &str, after: &str) -> Vec<String> {
    let parse = |s: &str| -> BTreeMap<String, String> {
        s.split(';')
            .filter_map(|x| x.split_once('='))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let (b, a) = (parse(before), parse(after));
    let mut names: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(b.keys().filter(|k| !a.contains_key(*k)).cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The distinct values of one figure over runs, each with why it changed.
pub fn revisions(states: &[&HistoryRow]) -> Vec<(HistoryRow, Revision)> {
    let mut out: Vec<(HistoryRow, Revision)> = Vec::new();
    let mut before: Option<&HistoryRow> = None;
    for s in states {
        let reason = match before {
            None => Some(Revision::First),
            Some(_) if s.removed => Some(Revision::Removed),
            Some(b)
                if (b.value, b.target, &b.status, b.removed)
                    != (s.value, s.target, &s.status, s.removed) =>
            {
                let data = changed_sources(&b.exports, &s.exports);
                Some(match (data.is_empty(), b.definition != s.definition) {
                    (true, false) => Revision::Other,
                    (true, true) => Revision::Definition,
                    (false, false) => Revision::Data(data),
                    (false, true) => Revision::DataAndDefinition(data),
                })
            }
            Some(_) => None,
        };
        if let Some(r) = reason {
            out.push(((*s).clone(), r));
        }
        before = Some(s);
    }
    out
}
