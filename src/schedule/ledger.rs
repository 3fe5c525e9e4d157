//! The ledger: every run's record, oldest first.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RunReport {
    pub run_id: String,
    pub command: String,
    pub started_at: String,
    pub finished_at: String,
    pub sources: Vec<SourceOutcome>,
    pub indicators: Vec<IndicatorOutcome>,
    pub dashboards: Vec<DashboardOutcome>,
    pub failed: bool,
    /// Per indicator, the territories of its figures that are not in the territories: their
    /// rows are kept but not rolled up, so every figure above them misses them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unknown_territories: std::collections::BTreeMap<String, Vec<String>>,
    /// Each source's export checksum as the run left the warehouse.
    #[serde(default)]
    pub exports: std::collections::BTreeMap<String, String>,
    /// Each indicator's definition hash at the time of the run.
    #[serde(default)]
    pub definitions: std::collections::BTreeMap<String, String>,
    /// Figures whose state changed and were appended to the history.
    #[serde(default)]
    pub history_rows: usize,
    /// Nothing the indicators are computed from had changed: they were not recomputed.
    #[serde(default)]
    pub compute_skipped: bool,
    /// Nothing the report is drawn from had changed since it was rendered: it was not redrawn.
    #[serde(default)]
    pub render_skipped: bool,
    /// What started the run: `manual`, `schedule` or `catch-up`.
    #[serde(default = "manual")]
    pub trigger: String,
    /// The pipelines the run ingested (none named: all of them).
    #[serde(default)]
    pub pipelines: Vec<String>,
    /// A stop was asked for during the run: it finished, then the scheduler stopped.
    #[serde(default)]
    pub stopped_after: bool,
    /// A stop was asked for and the run did not finish within the stop timeout: it was abandoned.
    /// Nothing of it was published: the warehouse and the reports are as the previous run left them.
    #[serde(default)]
    pub abandoned: bool,
    /// The pages of an earlier run were drawn again (`render`): not a run of its own, never in
    /// the ledger.
    #[serde(skip)]
    pub redrawn: bool,
}

/// Every run record in the ledger, oldest first; an unreadable record is skipped with a warning.
pub async fn ledger(wh: &Warehouse) -> Result<Vec<RunReport>, WarehouseError> {
    let (runs, unreadable) = ledger_checked(wh).await?;
    for u in unreadable {
        tracing::warn!("run record {u}");
    }
    Ok(runs)
}

/// Every readable run record in the ledger, oldest first, and those that cannot be read.
pub async fn ledger_checked(
    wh: &Warehouse,
) -> Result<(Vec<RunReport>, Vec<Unreadable>), WarehouseError> {
    use futures::StreamExt;
    let mut paths = Vec::new();
    let mut list = wh.store.list(Some(&wh.path("_runs")));
    while let Some(item) = list.next().await {
        let meta = item.map_err(|source| WarehouseError::Store {
            path: "_runs".into(),
            source,
        })?;
        paths.push(meta.location);
    }
    paths.sort();
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    for p in paths {
        match wh.get_json::<RunReport>(&p).await {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(WarehouseError::Json { path, source }) => unreadable.push(Unreadable {
                path,
                message: source.to_string(),
            }),
            Err(e) => return Err(e),
        }
    }
    Ok((out, unreadable))
}

impl RunReport {
    /// Whether this run ingested `pipeline` (a run of every pipeline names none).
    pub fn covers(&self, pipeline: &str) -> bool {
        matches!(self.command.as_str(), "run" | "ingest" | "schedule")
            && (self.pipelines.is_empty() || self.pipelines.iter().any(|p| p == pipeline))
    }
}
