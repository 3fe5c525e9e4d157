//! A job: one run of the stages (ingest → compute → render) with its report; compute is skipped, or limited to the indicators whose inputs changed, when nothing it reads changed.

use super::*;

/// Each source's published export checksum, from the manifests (in project source order).
pub(super) fn export_checksums(
    project: &Project,
    manifests: &[Option<crate::warehouse::manifest::SourceManifest>],
) -> std::collections::BTreeMap<String, String> {
    project
        .sources
        .iter()
        .zip(manifests)
        .filter_map(|(s, m)| {
            let p = m.as_ref()?.published.as_ref()?;
            Some((s.name.clone(), p.sha256.clone()))
        })
        .collect()
}

/// Each delivery's export checksum by delivery key (a manifest older than deliveries: its one
/// export, under an empty key).
pub(super) fn delivery_checksums(
    m: &crate::warehouse::manifest::SourceManifest,
) -> std::collections::BTreeMap<String, String> {
    if m.deliveries.is_empty() {
        return m
            .published
            .iter()
            .map(|p| (String::new(), p.sha256.clone()))
            .collect();
    }
    m.deliveries
        .iter()
        .filter_map(|d| Some((d.key.clone(), d.published.as_ref()?.sha256.clone())))
        .collect()
}

/// Where compute leaves what the indicator table was computed from.
pub(super) const COMPUTE_STATE: &str = "compute-inputs.json";

/// What the indicator table was computed from: the program, territories and plan periods
/// (`context`), each export's checksum, each definition's hash, and the deliveries and day the
/// delivery indicators saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ComputeInputs {
    context: String,
    exports: std::collections::BTreeMap<String, String>,
    definitions: std::collections::BTreeMap<String, String>,
    deliveries: String,
}

/// Collects what each stage did during one run.
pub struct Job<'a> {
    pub project: &'a Project,
    pub warehouse: Warehouse,
    pub run_id: String,
    pub report: RunReport,
}

impl<'a> Job<'a> {
    pub fn start(project: &'a Project, command: &str) -> Result<Job<'a>, WarehouseError> {
        let warehouse = Warehouse::open(&project.settings.warehouse)?;
        let run_id = new_run_id();
        let report = RunReport {
            run_id: run_id.clone(),
            command: command.to_string(),
            started_at: chrono::Utc::now().to_rfc3339(),
            trigger: manual(),
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
        self.report.pipelines = pipelines.to_vec();
        let out =
            crate::ingest::ingest(self.project, &self.warehouse, &self.run_id, pipelines, opts)
                .await;
        self.report.failed |= out.iter().any(SourceOutcome::failed);
        self.report.sources = out.clone();
        out
    }

    pub async fn compute(
        &mut self,
        only: &[String],
    ) -> Result<Vec<IndicatorOutcome>, crate::indicators::IndicatorError> {
        let manifests = self.manifests().await?;
        let exports = export_checksums(self.project, &manifests);
        let deliveries = crate::indicators::deliveries::of_sources(self.project, &manifests);
        let inputs = self.compute_inputs(&exports, &deliveries);
        let state_path = self.project.settings.output.join(COMPUTE_STATE);
        let before = self.previous_inputs(&state_path);
        let Some(selected) = self.to_compute(only, before.as_ref(), &inputs).await else {
            // Same exports, definitions, territories and day as the table was computed from.
            tracing::info!("nothing changed since the indicators were computed: not recomputed");
            self.report.compute_skipped = true;
            self.report.exports = exports;
            self.refresh_computed_from(&manifests)?;
            let rows = crate::indicators::output::read(&self.project.settings.output)?;
            self.note_unknown_territories(&rows);
            return Ok(Vec::new());
        };
        let ctx =
            crate::warehouse::session::compute_session(self.project, &self.warehouse, &manifests)
                .await?;
        let as_of = crate::indicators::AsOf::now(self.project);
        let mut out = crate::indicators::compute(
            self.project,
            &ctx,
            &self.run_id,
            &selected,
            &deliveries,
            as_of,
        )
        .await?;
        // What the table now holds was computed from these manifests, days and definitions:
        // sign-off keeps them with the bundle.
        let computed_from =
            crate::indicators::inputs::computed_from(self.project, &self.run_id, as_of, &manifests);
        crate::indicators::inputs::write(self.project, &computed_from)?;
        self.name_damaged_files(&mut out).await;
        self.report.failed |= out.iter().any(|o| !o.ok);
        let complete = only.is_empty() && out.iter().all(|o| o.ok);
        save_compute_state(&state_path, &inputs, complete)?;
        let recomputed = self.what_each_read(&out, &manifests);
        let rows = crate::indicators::output::read(&self.project.settings.output)?;
        self.note_unknown_territories(&rows);
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
        self.report.indicators = out.clone();
        Ok(out)
    }

    /// What the table was computed from last time, when the table is there and sound (a damaged
    /// table is as good as none: it is rebuilt whole, never trusted).
    fn previous_inputs(&self, state_path: &std::path::Path) -> Option<ComputeInputs> {
        let output_exists = crate::indicators::table_path(self.project).exists()
            && crate::indicators::output::read(&self.project.settings.output).is_ok();
        std::fs::read_to_string(state_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .filter(|_| output_exists)
    }

    /// The indicators to compute (empty: all of them): those named, else those whose inputs
    /// changed since the table was computed; None when nothing changed.
    async fn to_compute(
        &self,
        only: &[String],
        before: Option<&ComputeInputs>,
        now: &ComputeInputs,
    ) -> Option<Vec<String>> {
        if !only.is_empty() {
            return Some(only.to_vec());
        }
        let Some(before) = before else {
            return Some(Vec::new());
        };
        match self.affected(before, now).await {
            Some(ids) if ids.is_empty() => None,
            Some(ids) => {
                tracing::info!(indicators = ?ids, "recomputing only the indicators whose data or definition changed");
                Some(ids)
            }
            None => Some(Vec::new()),
        }
    }

    /// What each recomputed indicator read: its definition and the checksum of every delivery
    /// of the sources feeding its tables.
    fn what_each_read(
        &self,
        out: &[IndicatorOutcome],
        manifests: &[Option<crate::warehouse::manifest::SourceManifest>],
    ) -> std::collections::BTreeMap<String, IndicatorInputs> {
        out.iter()
            .filter(|o| o.ok)
            .map(|o| {
                let exports = self
                    .project
                    .sources
                    .iter()
                    .zip(manifests)
                    .filter(|(s, _)| o.tables.contains(&s.table))
                    .filter_map(|(s, m)| Some((s.name.clone(), delivery_checksums(m.as_ref()?))))
                    .collect();
                let definition = self
                    .project
                    .indicator(&o.indicator)
                    .map(crate::indicators::definition_hash)
                    .unwrap_or_default();
                (
                    o.indicator.clone(),
                    IndicatorInputs {
                        definition,
                        exports,
                    },
                )
            })
            .collect()
    }

    /// When compute is skipped, the exports are those the table was computed from, but their
    /// data files may have been written again (`run --full`) and the old ones let go: what the
    /// table was computed from now names the current files, with the days it was computed on.
    fn refresh_computed_from(
        &self,
        manifests: &[Option<crate::warehouse::manifest::SourceManifest>],
    ) -> Result<(), crate::indicators::IndicatorError> {
        use crate::indicators::inputs;
        let as_of = inputs::read(self.project)
            .map_or_else(|| crate::indicators::AsOf::now(self.project), |c| c.as_of);
        let now = inputs::computed_from(self.project, &self.run_id, as_of, manifests);
        inputs::write(self.project, &now)
    }

    /// Records the indicators with figures of territories not in the territories (unless they
    /// say `unknown_territories: ignore`): the run fails, naming them.
    fn note_unknown_territories(&mut self, rows: &[crate::indicators::output::OutputRow]) {
        let unknown = crate::indicators::unknown_territories(self.project, rows);
        self.report.failed |= !unknown.is_empty();
        self.report.unknown_territories = unknown;
    }

    pub async fn render(
        &mut self,
        only: &[String],
    ) -> Result<Vec<DashboardOutcome>, crate::render::RenderError> {
        let out = crate::render::render(self.project, &self.warehouse, &self.run_id, only).await?;
        self.report.failed |= out.iter().any(|o| o.error.is_some());
        self.report.dashboards = out.clone();
        Ok(out)
    }

    /// Renders every dashboard and the index, unless nothing the report is drawn from changed since
    /// it was last rendered in full: a run that finds no new exports then costs no drawing.
    pub async fn render_if_changed(
        &mut self,
    ) -> Result<Vec<DashboardOutcome>, crate::render::RenderError> {
        crate::render::remove_leftovers(self.project);
        if crate::render::unchanged_since_last_render(self.project, &self.warehouse).await {
            tracing::info!("nothing the report shows changed since it was rendered: not redrawn");
            self.report.render_skipped = true;
            return Ok(Vec::new());
        }
        self.render(&[]).await
    }

    /// What the indicator table is computed from, to tell what changed since the last compute.
    fn compute_inputs(
        &self,
        exports: &std::collections::BTreeMap<String, String>,
        deliveries: &[crate::indicators::deliveries::Deliveries],
    ) -> ComputeInputs {
        use sha2::{Digest, Sha256};
        let p = self.project;
        let territories: Vec<String> = p
            .territories
            .by_code
            .values()
            .map(|t| format!("{}|{}|{}|{:?}", t.code, t.name, t.level, t.parent))
            .collect();
        // A malformed OSSERVATORIO_TODAY fails the indicators that read it, with its message.
        let today = crate::clock::today(p.settings.timezone).unwrap_or_else(|_| {
            chrono::Utc::now()
                .with_timezone(&p.settings.timezone)
                .date_naive()
        });
        let hash = |v: serde_json::Value| hex::encode(Sha256::digest(v.to_string().as_bytes()));
        ComputeInputs {
            context: hash(serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "territories": territories,
                "plan_periods": p.settings.plan_periods.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
            })),
            exports: exports.clone(),
            definitions: p
                .indicators
                .iter()
                .map(|i| {
                    let definition = crate::indicators::definition_hash(i);
                    // A follow-up window closes with the days: its figures are computed again each day.
                    let definition = match i.follow_up {
                        Some(_) => format!("{definition}@{today}"),
                        None => definition,
                    };
                    (i.id.clone(), definition)
                })
                .collect(),
            deliveries: hash(serde_json::json!({
                "seen": deliveries.iter().map(|d| format!("{}:{:?}", d.source, d.periods_seen)).collect::<Vec<_>>(),
                "today": today.to_string(),
            })),
        }
    }

    /// The indicators to recompute given what changed since `before`: those whose definition
    /// changed, those that read a table fed by a changed export (from their planned SQL), and the
    /// delivery indicators when deliveries or the day changed. None: recompute everything.
    async fn affected(&self, before: &ComputeInputs, now: &ComputeInputs) -> Option<Vec<String>> {
        if before.context != now.context {
            return None;
        }
        let changed_sources: std::collections::BTreeSet<&String> = now
            .exports
            .iter()
            .filter(|(k, v)| before.exports.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .chain(
                before
                    .exports
                    .keys()
                    .filter(|k| !now.exports.contains_key(*k)),
            )
            .collect();
        let changed_tables: std::collections::BTreeSet<&str> = self
            .project
            .sources
            .iter()
            .filter(|s| changed_sources.contains(&s.name))
            .map(|s| s.table.as_str())
            .collect();
        let planning = crate::warehouse::session::planning_session(self.project).ok()?;
        let mut out = Vec::new();
        for ind in &self.project.indicators {
            let redefined = before.definitions.get(&ind.id) != now.definitions.get(&ind.id);
            let reads_changed = match ind.builtin {
                Some(_) => before.deliveries != now.deliveries,
                None => match crate::indicators::check_indicator(&planning, ind).await {
                    Ok(tables) => tables.iter().any(|t| changed_tables.contains(t.as_str())),
                    Err(_) => true,
                },
            };
            if redefined || reads_changed {
                out.push(ind.id.clone());
            }
        }
        Some(out)
    }

    /// When an indicator failed on what reads like a damaged stored file (a bare "Parquet error"),
    /// checks the data files and says which file of which source is damaged, and the remedy.
    async fn name_damaged_files(&self, out: &mut [IndicatorOutcome]) {
        use crate::warehouse::integrity;
        let suspect = out
            .iter()
            .any(|o| o.error.as_deref().is_some_and(integrity::looks_like_damage));
        if !suspect {
            return;
        }
        let damaged = integrity::check_sources(self.project, &self.warehouse).await;
        if damaged.is_empty() {
            return;
        }
        let named: Vec<String> = damaged.iter().map(ToString::to_string).collect();
        for o in out.iter_mut() {
            if let Some(e) = o.error.as_mut().filter(|e| integrity::looks_like_damage(e)) {
                *e = format!("{e}; {}", named.join("; "));
            }
        }
    }

    /// Each source's manifest (None when it has never been ingested), read once per compute.
    async fn manifests(
        &self,
    ) -> Result<Vec<Option<crate::warehouse::manifest::SourceManifest>>, WarehouseError> {
        let mut out = Vec::new();
        for s in &self.project.sources {
            out.push(crate::warehouse::integrity::manifest(&self.warehouse, &s.name).await?);
        }
        Ok(out)
    }

    pub fn mark_failed(&mut self) {
        self.report.failed = true;
    }

    /// Draws the pages of `run` again, under its id: drawing figures already computed runs no
    /// stage that the ledger counts, so the run a bundle signs off stays the one that computed it.
    pub fn redraw(project: &'a Project, run: &str) -> Result<Job<'a>, WarehouseError> {
        let mut job = Job::start(project, "render")?;
        job.run_id = run.to_string();
        job.report.run_id = run.to_string();
        job.report.redrawn = true;
        Ok(job)
    }

    /// Stores the report in the warehouse's run history (unless the job only drew an earlier
    /// run's pages again) and returns it.
    pub async fn finish(mut self) -> Result<RunReport, WarehouseError> {
        self.report.finished_at = chrono::Utc::now().to_rfc3339();
        if !self.report.redrawn {
            self.warehouse
                .put_json(&self.warehouse.run_path(&self.run_id), &self.report)
                .await?;
        }
        Ok(self.report)
    }
}

/// Keeps what a complete compute was computed from, for the next run to compare with; after a
/// partial one there is nothing sound to compare with.
fn save_compute_state(
    state_path: &std::path::Path,
    inputs: &ComputeInputs,
    complete: bool,
) -> Result<(), crate::indicators::IndicatorError> {
    match serde_json::to_vec(inputs) {
        Ok(bytes) if complete => crate::indicators::output::write_atomic(state_path, &bytes)?,
        _ => {
            let _ = std::fs::remove_file(state_path);
        }
    }
    Ok(())
}
