//! Indicator history: every run appends the figures that changed to `WAREHOUSE/_history/RUN.parquet`
//! and, once per indicator, what it read when that changed (its definition hash and the checksum
//! of every delivery of the sources it reads) to `WAREHOUSE/_history/RUN.inputs.json`, so a revised
//! figure can be traced to the deliveries that revised it or to a revised definition or target.
//!
//! Only revisions are stored: a figure is appended when its value, numerator, denominator,
//! target, status or definition changed, or it is no longer computed, never because something it
//! reads changed without moving it. A run that changes nothing writes nothing, and the history
//! never grows by a full copy of the table per run.//!
//! `store.rs` writes and reads the files; `revisions.rs` tells why a figure changed.

use std::collections::{BTreeMap, BTreeSet};

use object_store::ObjectStoreExt;

use super::IndicatorError;
use super::output::OutputRow;
use crate::warehouse::{Warehouse, WarehouseError};

mod revisions;
mod store;

pub use revisions::{Revision, revisions};
pub use store::{read, read_checked};

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
    pub(super) fn differs(&self, other: &HistoryRow) -> bool {
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
    pub(super) fn add(&mut self, run: RunInputs) {
        for (id, inputs) in run.indicators {
            let list = self.by_indicator.entry(id).or_default();
            list.push((run.run_id.clone(), inputs));
            list.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }

    /// What the indicator read as of the end of the history.
    pub(super) fn latest(&self, indicator: &str) -> Option<&IndicatorInputs> {
        self.by_indicator.get(indicator)?.last().map(|(_, i)| i)
    }

    /// What the indicator read in `run`, when it changed then, and what it read before.
    pub(super) fn change_at(
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
    let stamp = Stamp { run_id, at: &now };
    let changed = stamp.revised_states(history.rows, rows, recomputed);
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
        .put(&path, store::to_parquet(&changed)?.into())
        .await
        .map_err(|source| WarehouseError::Store {
            path: path.to_string(),
            source,
        })?;
    Ok(changed.len())
}

/// The run that records states, and when.
struct Stamp<'a> {
    run_id: &'a str,
    at: &'a str,
}

impl Stamp<'_> {
    /// The states to append: each figure of a recomputed indicator that differs from its latest
    /// stored state, and each such figure stored before that is no longer computed.
    fn revised_states(
        &self,
        stored: Vec<HistoryRow>,
        rows: &[OutputRow],
        recomputed: &BTreeMap<String, IndicatorInputs>,
    ) -> Vec<HistoryRow> {
        let mut latest: BTreeMap<Key, HistoryRow> = BTreeMap::new();
        for h in stored {
            latest.insert(
                (h.indicator.clone(), h.territory.clone(), h.period.clone()),
                h,
            );
        }
        let mut changed = Vec::new();
        let mut seen = BTreeSet::new();
        for r in rows {
            if !recomputed.contains_key(&r.indicator) {
                continue;
            }
            let key = (r.indicator.clone(), r.territory.clone(), r.period.clone());
            let state = self.state(r);
            if latest.get(&key).is_none_or(|old| old.differs(&state)) {
                changed.push(state);
            }
            seen.insert(key);
        }
        // Figures of a recomputed indicator that are no longer computed.
        for (key, old) in &latest {
            if recomputed.contains_key(&key.0) && !seen.contains(key) && !old.removed {
                changed.push(HistoryRow {
                    run_id: self.run_id.to_string(),
                    recorded_at: self.at.to_string(),
                    removed: true,
                    exports: String::new(),
                    ..old.clone()
                });
            }
        }
        changed
    }

    /// The state of a computed figure.
    fn state(&self, r: &OutputRow) -> HistoryRow {
        HistoryRow {
            run_id: self.run_id.to_string(),
            recorded_at: self.at.to_string(),
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
        }
    }
}
