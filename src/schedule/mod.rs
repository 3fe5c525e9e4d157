//! Jobs: one run of the stages, its identifier and its report. The `run`, `ingest`, `compute` and
//! `render` commands each call a stage through here, so a scheduler can do the same.

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
}

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

    pub async fn ingest(&mut self, pipelines: &[String], full: bool) -> Vec<SourceOutcome> {
        let out =
            crate::ingest::ingest(self.project, &self.warehouse, &self.run_id, pipelines, full)
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
        let ctx = crate::warehouse::session::session(self.project, &self.warehouse).await?;
        let out = crate::indicators::compute(self.project, &ctx, &self.run_id, only).await?;
        self.report.failed |= out.iter().any(|o| !o.ok);
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
