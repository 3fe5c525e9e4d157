//! Indicator history: every run appends the figures that changed to `WAREHOUSE/_history/RUN.parquet`
//! and, once per indicator, what it read when that changed (its definition hash and the checksum
//! of every delivery of the sources it reads) to `WAREHOUSE/_history/RUN.inputs.json`, so a revised
//! figure can be traced to the deliveries that revised it or to a revised definition or target.
//!
//! Only revisions are stored: a figure is appended when its value, numerator, denominator,
//! target, status or definition changed, or it is no longer computed, never because something it
//! reads changed without moving it. A run that changes nothing writes nothing, and the history
//! never grows by a full copy of the table per run.

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
    /// In states stored before the inputs were kept per run and indicator: the exports the
    /// figure was computed from, `source=sha256` for each, sorted, `;`-separated. Empty since.
    pub exports: String,
    /// The figure is no longer computed.
    pub removed: bool,
}

impl HistoryRow {
    /// Whether two states differ in what the figure says or the definition it was computed with.
    fn differs(&self, other: &HistoryRow) -> bool {
        (
            self.numerator,
            self.denominator,
            self.value,
            self.target,
            &self.status,
            &self.definition,
            self.removed,
        ) != (
            other.numerator,
            other.denominator,
            other.value,
            other.target,
            &other.status,
            &other.definition,
            other.removed,
        )
    }
}

/// What one indicator read in a run: its definition's hash and, per source it reads, each
/// delivery's export checksum by delivery key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorInputs {
    pub definition: String,
    pub exports: BTreeMap<String, BTreeMap<String, String>>,
}

/// One run's record of what the indicators whose inputs changed read (`RUN.inputs.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunInputs {
    pub run_id: String,
    pub recorded_at: String,
    pub indicators: BTreeMap<String, IndicatorInputs>,
}

/// Every run's inputs, per indicator in run order.
#[derive(Debug, Default)]
pub struct Inputs {
    by_indicator: BTreeMap<String, Vec<(String, IndicatorInputs)>>,
}

impl Inputs {
    fn add(&mut self, run: RunInputs) {
        for (id, inputs) in run.indicators {
            let list = self.by_indicator.entry(id).or_default();
            list.push((run.run_id.clone(), inputs));
            list.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }

    /// What the indicator read as of the end of the history.
    fn latest(&self, indicator: &str) -> Option<&IndicatorInputs> {
        self.by_indicator.get(indicator)?.last().map(|(_, i)| i)
    }

    /// What the indicator read in `run`, when it changed then, and what it read before.
    fn change_at(
        &self,
        indicator: &str,
        run: &str,
    ) -> Option<(Option<&IndicatorInputs>, &IndicatorInputs)> {
        let list = self.by_indicator.get(indicator)?;
        let at = list.iter().position(|(r, _)| r == run)?;
        Some((at.checked_sub(1).map(|i| &list[i].1), &list[at].1))
    }
}

/// The stored history: figure states in run order and what each indicator read.
#[derive(Debug, Default)]
pub struct History {
    pub rows: Vec<HistoryRow>,
    pub inputs: Inputs,
}

/// The file of a run's inputs, beside its figure states.
const INPUTS_SUFFIX: &str = ".inputs.json";

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
            .ok_or_else(|| data_err("removed is not boolean"))?;
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

type Key = (String, String, String);

/// Appends this run's revised figures of the given indicators (the others were not recomputed)
/// and what those indicators read, when it changed; returns how many figure states were stored.
/// `recomputed` gives, per indicator, its definition and the deliveries it read.
pub async fn record(
    wh: &Warehouse,
    run_id: &str,
    rows: &[OutputRow],
    recomputed: &BTreeMap<String, IndicatorInputs>,
) -> Result<usize, IndicatorError> {
    let history = read(wh).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let changed_inputs: BTreeMap<String, IndicatorInputs> = recomputed
        .iter()
        .filter(|(id, inputs)| history.inputs.latest(id) != Some(*inputs))
        .map(|(id, inputs)| (id.clone(), inputs.clone()))
        .collect();
    let mut latest: BTreeMap<Key, HistoryRow> = BTreeMap::new();
    for h in history.rows {
        latest.insert(
            (h.indicator.clone(), h.territory.clone(), h.period.clone()),
            h,
        );
    }
    let mut changed = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        if !recomputed.contains_key(&r.indicator) {
            continue;
        }
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
            exports: String::new(),
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
                exports: String::new(),
                ..old.clone()
            });
        }
    }
    // The inputs first: a run whose figures are stored always has what they read.
    if !changed_inputs.is_empty() {
        let record = RunInputs {
            run_id: run_id.to_string(),
            recorded_at: now.clone(),
            indicators: changed_inputs,
        };
        wh.put_json(
            &wh.path(&format!("_history/{run_id}{INPUTS_SUFFIX}")),
            &record,
        )
        .await?;
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

/// The sources whose checksum differs between two `exports` fingerprints of states stored
/// before the inputs were kept per run.
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

/// The deliveries that changed between two runs' inputs: a source that sends one file is named
/// alone; of one that sends many, the files that are new, changed or gone are named too.
fn changed_deliveries(before: Option<&IndicatorInputs>, after: &IndicatorInputs) -> Vec<String> {
    let empty = BTreeMap::new();
    let sources: std::collections::BTreeSet<&String> = after
        .exports
        .keys()
        .chain(before.into_iter().flat_map(|b| b.exports.keys()))
        .collect();
    let mut out = Vec::new();
    for source in sources {
        let b = before.and_then(|b| b.exports.get(source)).unwrap_or(&empty);
        let a = after.exports.get(source).unwrap_or(&empty);
        if a == b {
            continue;
        }
        let keys: Vec<&String> = a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .chain(b.keys().filter(|k| !a.contains_key(*k)))
            .collect();
        if a.len() <= 1 && b.len() <= 1 {
            out.push(source.clone());
            continue;
        }
        const SHOWN: usize = 5;
        let mut named: Vec<String> = keys.iter().take(SHOWN).map(|k| k.to_string()).collect();
        if keys.len() > SHOWN {
            named.push(format!("{} more", keys.len() - SHOWN));
        }
        out.push(format!("{source} ({})", named.join(", ")));
    }
    out
}

/// The distinct values of one figure over runs, each with why it changed: the deliveries or
/// definition that changed in the run that revised it.
pub fn revisions(states: &[&HistoryRow], inputs: &Inputs) -> Vec<(HistoryRow, Revision)> {
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
                let data = match inputs.change_at(&s.indicator, &s.run_id) {
                    Some((previous, now)) => changed_deliveries(previous, now),
                    // Stored before the inputs were kept per run: as its own fingerprints say.
                    None if !s.exports.is_empty() => changed_sources(&b.exports, &s.exports),
                    // Nothing it reads changed in that run.
                    None => Vec::new(),
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(deliveries: &[(&str, &str, &str)]) -> IndicatorInputs {
        let mut out = IndicatorInputs::default();
        for (source, key, sha) in deliveries {
            out.exports
                .entry(source.to_string())
                .or_default()
                .insert(key.to_string(), sha.to_string());
        }
        out
    }

    #[test]
    fn the_deliveries_that_changed_are_named_those_that_did_not_are_not() {
        let before = inputs(&[
            ("a", "a.csv", "1"),
            ("m", "01.csv", "1"),
            ("m", "02.csv", "2"),
        ]);
        // One file sources are named alone; of a source of many files, the new and changed ones.
        let after = inputs(&[
            ("a", "a.csv", "9"),
            ("m", "01.csv", "1"),
            ("m", "02.csv", "3"),
            ("m", "03.csv", "4"),
        ]);
        assert_eq!(
            changed_deliveries(Some(&before), &after),
            vec!["a".to_string(), "m (02.csv, 03.csv)".to_string()]
        );
        assert!(changed_deliveries(Some(&after), &after).is_empty());
        // A file gone is named too; many files are counted past the fifth.
        let many: Vec<(String, String)> = (1..=8)
            .map(|i| (format!("{i:02}.csv"), i.to_string()))
            .collect();
        let many: Vec<(&str, &str, &str)> = many
            .iter()
            .map(|(k, v)| ("m", k.as_str(), v.as_str()))
            .collect();
        let gone = inputs(&[("m", "01.csv", "1")]);
        assert_eq!(
            changed_deliveries(Some(&inputs(&many)), &gone),
            vec!["m (02.csv, 03.csv, 04.csv, 05.csv, 06.csv, 2 more)".to_string()]
        );
    }
}
