//! Jobs: one run of the stages, its identifier and its report. The `run`, `ingest`, `compute` and
//! `render` commands each call a stage through here, so a scheduler can do the same.

pub mod lock;

use serde::{Deserialize, Serialize};

use crate::config::Project;
use crate::indicators::IndicatorOutcome;
use crate::ingest::SourceOutcome;
use crate::render::DashboardOutcome;
use crate::warehouse::{Warehouse, WarehouseError};

/// A new run identifier: UTC time to the second plus the process id, sortable and unique enough.
pub fn new_run_id() -> String {
    format!(
        "{}-{:05}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id() % 100_000
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RunReport {
    pub run_id: String,
    pub command: String,
    pub started_at: String,
    pub finished_at: String,
    pub sources: Vec<serde_json::Value>,
    pub indicators: Vec<serde_json::Value>,
    pub dashboards: Vec<serde_json::Value>,
    pub failed: bool,
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
}

/// Where compute leaves the fingerprint of what the indicator table was computed from.
const COMPUTE_STATE: &str = "compute-inputs.sha256";

/// Collects what each stage did during one run.
pub struct Job<'a> {
    pub project: &'a Project,
    pub warehouse: Warehouse,
    pub run_id: String,
    report: RunReport,
}

impl<'a> Job<'a> {
    pub fn start(project: &'a Project, command: &str) -> Result<Job<'a>, WarehouseError> {
        let warehouse = Warehouse::open(&project.settings.warehouse)?;
        let run_id = new_run_id();
        let report = RunReport {
            run_id: run_id.clone(),
            command: command.to_string(),
            started_at: chrono::Utc::now().to_rfc3339(),
            ..Default::default()
        };
        Ok(Job {
            project,
            warehouse,
            run_id,
            report,
        })
    }

    pub async fn ingest(
        &mut self,
        pipelines: &[String],
        opts: &crate::ingest::IngestOptions,
    ) -> Vec<SourceOutcome> {
        let out =
            crate::ingest::ingest(self.project, &self.warehouse, &self.run_id, pipelines, opts)
                .await;
        self.report.failed |= out.iter().any(SourceOutcome::failed);
        self.report.sources = out
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect();
        out
    }

    pub async fn compute(
        &mut self,
        only: &[String],
    ) -> Result<Vec<IndicatorOutcome>, crate::indicators::IndicatorError> {
        let exports = self.export_checksums().await?;
        let deliveries = self.deliveries().await?;
        let inputs = self.inputs_fingerprint(&exports, &deliveries);
        let state_path = self.project.settings.output.join(COMPUTE_STATE);
        let output_exists = crate::indicators::table_path(self.project).exists();
        if only.is_empty()
            && output_exists
            && std::fs::read_to_string(&state_path).is_ok_and(|s| s.trim() == inputs)
        {
            // Same exports, definitions, territories and day as the table was computed from.
            tracing::info!("nothing changed since the indicators were computed: not recomputed");
            self.report.compute_skipped = true;
            self.report.exports = exports;
            return Ok(Vec::new());
        }
        let ctx = crate::warehouse::session::session(self.project, &self.warehouse).await?;
        let out =
            crate::indicators::compute(self.project, &ctx, &self.run_id, only, &deliveries).await?;
        self.report.failed |= out.iter().any(|o| !o.ok);
        if only.is_empty() && out.iter().all(|o| o.ok) {
            crate::indicators::output::write_atomic(&state_path, inputs.as_bytes())?;
        } else {
            let _ = std::fs::remove_file(&state_path);
        }
        // What each recomputed indicator read: the checksums of the exports behind its tables.
        let recomputed: std::collections::BTreeMap<String, String> = out
            .iter()
            .filter(|o| o.ok)
            .map(|o| {
                let fingerprint: Vec<String> = self
                    .project
                    .sources
                    .iter()
                    .filter(|s| o.tables.contains(&s.table))
                    .filter_map(|s| exports.get(&s.name).map(|sha| format!("{}={sha}", s.name)))
                    .collect();
                (o.indicator.clone(), fingerprint.join(";"))
            })
            .collect();
        let rows = crate::indicators::output::read(&self.project.settings.output)?;
        self.report.history_rows =
            crate::indicators::history::record(&self.warehouse, &self.run_id, &rows, &recomputed)
                .await?;
        self.report.exports = exports;
        self.report.definitions = self
            .project
            .indicators
            .iter()
            .map(|i| (i.id.clone(), crate::indicators::definition_hash(i)))
            .collect();
        self.report.indicators = out
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect();
        Ok(out)
    }

    pub async fn render(
        &mut self,
        only: &[String],
    ) -> Result<Vec<DashboardOutcome>, crate::render::RenderError> {
        let out = crate::render::render(self.project, &self.warehouse, &self.run_id, only).await?;
        self.report.failed |= out.iter().any(|o| o.error.is_some());
        self.report.dashboards = out
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect();
        Ok(out)
    }

    /// A hash of everything the indicator table is computed from: the exports, the definitions,
    /// the territories, the plan periods, the deliveries, the day (delivery indicators look at
    /// what is due today) and the program version.
    fn inputs_fingerprint(
        &self,
        exports: &std::collections::BTreeMap<String, String>,
        deliveries: &[crate::indicators::deliveries::Deliveries],
    ) -> String {
        use sha2::{Digest, Sha256};
        let p = self.project;
        let territories: Vec<String> = p
            .territories
            .by_code
            .values()
            .map(|t| format!("{}|{}|{}|{:?}", t.code, t.name, t.level, t.parent))
            .collect();
        let definitions: Vec<String> = p
            .indicators
            .iter()
            .map(|i| format!("{}={}", i.id, crate::indicators::definition_hash(i)))
            .collect();
        let seen: Vec<String> = deliveries
            .iter()
            .map(|d| format!("{}:{:?}", d.source, d.periods_seen))
            .collect();
        let today = chrono::Utc::now()
            .with_timezone(&p.settings.timezone)
            .date_naive();
        let text = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "exports": exports,
            "definitions": definitions,
            "territories": territories,
            "plan_periods": p.settings.plan_periods.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
            "deliveries": seen,
            "today": today.to_string(),
        })
        .to_string();
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// What the manifests record of the deliveries of each source with a cadence and a territory.
    async fn deliveries(
        &self,
    ) -> Result<Vec<crate::indicators::deliveries::Deliveries>, WarehouseError> {
        let mut out = Vec::new();
        for s in &self.project.sources {
            let (Some(cadence), Some(territory)) = (s.expected, &s.territory) else {
                continue;
            };
            let m: Option<crate::warehouse::manifest::SourceManifest> = self
                .warehouse
                .get_json(&self.warehouse.manifest_path(&s.name))
                .await?;
            out.push(crate::indicators::deliveries::Deliveries {
                source: s.name.clone(),
                territory: territory.clone(),
                cadence,
                grace_days: s.grace_days,
                periods_seen: m.map(|m| m.periods_seen).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Each source's published export checksum, from the manifests.
    async fn export_checksums(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, WarehouseError> {
        let mut out = std::collections::BTreeMap::new();
        for s in &self.project.sources {
            let m: Option<crate::warehouse::manifest::SourceManifest> = self
                .warehouse
                .get_json(&self.warehouse.manifest_path(&s.name))
                .await?;
            if let Some(p) = m.and_then(|m| m.published) {
                out.insert(s.name.clone(), p.sha256);
            }
        }
        Ok(out)
    }

    pub fn mark_failed(&mut self) {
        self.report.failed = true;
    }

    /// Stores the report in the warehouse's run history and returns it.
    pub async fn finish(mut self) -> Result<RunReport, WarehouseError> {
        self.report.finished_at = chrono::Utc::now().to_rfc3339();
        self.warehouse
            .put_json(&self.warehouse.run_path(&self.run_id), &self.report)
            .await?;
        Ok(self.report)
    }
}

/// When each scheduled pipeline next runs, after `now`, in the project's time zone.
pub fn next_runs(
    project: &Project,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    let tz = project.settings.timezone;
    let mut out: Vec<(String, chrono::DateTime<chrono::Utc>)> = project
        .pipelines
        .iter()
        .filter_map(|p| {
            // Validation already parsed every schedule; a pipeline without one is run by hand only.
            let schedule: cron::Schedule = p.schedule.as_deref()?.parse().ok()?;
            let next = schedule.after(&now.with_timezone(&tz)).next()?;
            Some((p.name.clone(), next.with_timezone(&chrono::Utc)))
        })
        .collect();
    out.sort_by_key(|(_, t)| *t);
    out
}

/// Runs each pipeline on its cron until interrupted: ingest its sources, then compute and render.
/// A run that overruns the next tick simply starts the following one late; ticks are not queued.
pub async fn run_forever(project: &Project) -> Result<(), WarehouseError> {
    loop {
        let now = chrono::Utc::now();
        let plan = next_runs(project, now);
        let Some((_, at)) = plan.first().cloned() else {
            tracing::warn!("no pipeline has a schedule: nothing to do");
            return Ok(());
        };
        let due: Vec<String> = plan
            .iter()
            .filter(|(_, t)| *t == at)
            .map(|(n, _)| n.clone())
            .collect();
        tracing::info!(pipelines = ?due, at = %at.with_timezone(&project.settings.timezone), "next run");
        let wait = (at - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("interrupted: stopping the scheduler");
                return Ok(());
            }
        }
        // A run in progress (another scheduler, or a manual run) is waited for: ticks that fire
        // meanwhile are not queued, so they coalesce into this one follow-up run.
        let lock = match lock::acquire(
            &Warehouse::open(&project.settings.warehouse)?,
            "schedule",
            std::time::Duration::from_secs(24 * 3600),
        )
        .await?
        {
            Ok(lock) => lock,
            Err(holder) => {
                tracing::error!("the project is still held after a day: {holder}");
                continue;
            }
        };
        let mut job = Job::start(project, "schedule")?;
        job.ingest(&due, &crate::ingest::IngestOptions::default())
            .await;
        if let Err(e) = job.compute(&[]).await {
            tracing::error!("computing indicators: {e}");
            job.mark_failed();
        }
        if let Err(e) = job.render(&[]).await {
            tracing::error!("rendering: {e}");
            job.mark_failed();
        }
        let report = job.finish().await;
        lock.release().await;
        let report = report?;
        tracing::info!(run = %report.run_id, failed = report.failed, "scheduled run done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_ticks_are_read_in_the_project_time_zone() {
        let project = crate::config::load_project(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("bundled project");
        // 06:30 in Rome is 05:30 UTC in winter.
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-10T04:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let next = next_runs(&project, now);
        let veneto = next.iter().find(|(n, _)| n == "prefetture-veneto").unwrap();
        assert_eq!(veneto.1.to_rfc3339(), "2026-01-10T05:30:00+00:00");
        let lombardia = next.iter().find(|(n, _)| n == "ambiti-lombardia").unwrap();
        assert_eq!(
            lombardia.1.to_rfc3339(),
            "2026-02-01T06:00:00+00:00",
            "07:00 of 1 February in Rome (UTC+1)"
        );
    }
}
