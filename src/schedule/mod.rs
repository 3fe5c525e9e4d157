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

/// Why the scheduler stopped on an error.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

fn manual() -> String {
    "manual".into()
}

/// Each source's published export checksum, from the manifests (in project source order).
fn export_checksums(
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

use crate::indicators::history::IndicatorInputs;

/// Each delivery's export checksum by delivery key (a manifest older than deliveries: its one
/// export, under an empty key).
fn delivery_checksums(
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
const COMPUTE_STATE: &str = "compute-inputs.json";

/// What the indicator table was computed from: the program, territories and plan periods
/// (`context`), each export's checksum, each definition's hash, and the deliveries and day the
/// delivery indicators saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ComputeInputs {
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
        // A damaged table is as good as none: it is rebuilt whole, never trusted.
        let output_exists = crate::indicators::table_path(self.project).exists()
            && crate::indicators::output::read(&self.project.settings.output).is_ok();
        let before: Option<ComputeInputs> = std::fs::read_to_string(&state_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .filter(|_| output_exists);
        let selected: Vec<String> = match (&before, only.is_empty()) {
            (_, false) => only.to_vec(),
            (Some(b), true) => match self.affected(b, &inputs).await {
                Some(ids) if ids.is_empty() => {
                    // Same exports, definitions, territories and day as the table was computed from.
                    tracing::info!(
                        "nothing changed since the indicators were computed: not recomputed"
                    );
                    self.report.compute_skipped = true;
                    self.report.exports = exports;
                    self.refresh_computed_from(&manifests)?;
                    let rows = crate::indicators::output::read(&self.project.settings.output)?;
                    self.note_unknown_territories(&rows);
                    return Ok(Vec::new());
                }
                Some(ids) => {
                    tracing::info!(indicators = ?ids, "recomputing only the indicators whose data or definition changed");
                    ids
                }
                None => Vec::new(),
            },
            (None, true) => Vec::new(),
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
        match serde_json::to_vec(&inputs) {
            Ok(bytes) if complete => {
                crate::indicators::output::write_atomic(&state_path, &bytes)?;
            }
            _ => {
                let _ = std::fs::remove_file(&state_path);
            }
        }
        // What each recomputed indicator read: its definition and the checksum of every delivery
        // of the sources feeding its tables.
        let recomputed: std::collections::BTreeMap<String, IndicatorInputs> = out
            .iter()
            .filter(|o| o.ok)
            .map(|o| {
                let exports = self
                    .project
                    .sources
                    .iter()
                    .zip(&manifests)
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
            .collect();
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

/// The fire times of `schedule` after `now`, read as local times of `tz`, each local time once:
/// an hour that repeats when the clocks go back fires once (at its first occurrence), and an hour
/// that does not exist when they go forward fires at the first instant after the gap.
pub fn fire_times(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> impl Iterator<Item = chrono::DateTime<chrono::Utc>> + '_ {
    use chrono::{LocalResult, TimeZone};
    // The cron walks local wall-clock times (written as if they were UTC), which it never skips or repeats.
    let wall_now = chrono::Utc.from_utc_datetime(&now.with_timezone(&tz).naive_local());
    let start = wall_now - chrono::TimeDelta::hours(3);
    schedule
        .after(&start)
        .filter_map(move |wall| {
            let naive = wall.naive_utc();
            match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => Some(t),
                LocalResult::Ambiguous(first, _) => Some(first),
                LocalResult::None => (1..=180).find_map(|m| {
                    tz.from_local_datetime(&(naive + chrono::TimeDelta::minutes(m)))
                        .earliest()
                }),
            }
        })
        .map(|t| t.with_timezone(&chrono::Utc))
        .filter(move |t| *t > now)
}

/// The last fire time of `schedule` at or before `now` (within the last year), by the same rules.
pub fn last_fire_time(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut from = now - chrono::TimeDelta::days(1);
    for _ in 0..366 {
        let last = fire_times(schedule, tz, from)
            .take_while(|t| *t <= now)
            .last();
        if last.is_some() {
            return last;
        }
        from -= chrono::TimeDelta::days(1);
    }
    None
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
            let next = fire_times(&schedule, tz, now).next()?;
            Some((p.name.clone(), next))
        })
        .collect();
    out.sort_by_key(|(_, t)| *t);
    out
}

/// Each scheduled pipeline's next `n` fire times, in the project's time zone, for `schedule --dry-run`.
pub fn dry_run(project: &Project, now: chrono::DateTime<chrono::Utc>, n: usize) -> String {
    let tz = project.settings.timezone;
    let mut s = String::new();
    for p in &project.pipelines {
        let Some(expr) = p.schedule.as_deref() else {
            s.push_str(&format!("{}: no schedule (run by hand)\n", p.name));
            continue;
        };
        let Ok(schedule) = expr.parse::<cron::Schedule>() else {
            continue;
        };
        s.push_str(&format!("{} ({expr}, {tz}):\n", p.name));
        for t in fire_times(&schedule, tz, now).take(n) {
            s.push_str(&format!(
                "  {}\n",
                t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z (UTC%:z)")
            ));
        }
    }
    s
}

pub use crate::warehouse::Unreadable;

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
            Err(WarehouseError::Data { path, message }) => {
                unreadable.push(Unreadable { path, message })
            }
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

/// The scheduled pipelines whose last fire time passed without a successful run since.
pub fn missed(
    project: &Project,
    runs: &[RunReport],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let tz = project.settings.timezone;
    project
        .pipelines
        .iter()
        .filter(|p| {
            let Some(schedule) = p
                .schedule
                .as_deref()
                .and_then(|s| s.parse::<cron::Schedule>().ok())
            else {
                return false;
            };
            let Some(last) = last_fire_time(&schedule, tz, now) else {
                return false;
            };
            !runs.iter().any(|r| {
                r.covers(&p.name)
                    && !r.failed
                    && chrono::DateTime::parse_from_rfc3339(&r.started_at)
                        .is_ok_and(|t| t.with_timezone(&chrono::Utc) >= last)
            })
        })
        .map(|p| p.name.clone())
        .collect()
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A stop asked for once (Ctrl-C or SIGTERM), seen by every later wait of the scheduler.
#[derive(Clone)]
struct StopFlag(tokio::sync::watch::Receiver<bool>);

impl StopFlag {
    /// Starts listening for the stop signals.
    fn listen() -> StopFlag {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop_signal().await;
            let _ = tx.send(true);
        });
        StopFlag(rx)
    }

    /// Resolves once a stop has been asked for (at once if it already was).
    async fn asked(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// One scheduled (or catch-up) run of `pipelines`, under the project's lock. Returns whether a
/// stop was asked for while it waited or ran: a run is let finish (up to `stop_timeout`), then the
/// scheduler stops.
async fn scheduled_run(
    project: &Project,
    pipelines: &[String],
    trigger: &str,
    stop_timeout: std::time::Duration,
    stop: &mut StopFlag,
) -> Result<bool, ScheduleError> {
    // A run in progress (another scheduler, or a manual run) is waited for: ticks that fire
    // meanwhile are not queued, so they coalesce into this one follow-up run.
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let waited = tokio::select! {
        l = lock::acquire(&wh, "schedule", std::time::Duration::from_secs(24 * 3600)) => Some(l),
        _ = stop.asked() => None,
    };
    let lock = match waited {
        None => {
            tracing::info!(
                "stop asked while waiting for the run in progress: stopping the scheduler"
            );
            return Ok(true);
        }
        Some(l) => match l? {
            Ok(lock) => lock,
            Err(holder) => {
                tracing::error!("the project is still held after a day: {holder}");
                return Ok(false);
            }
        },
    };
    let mut job = Job::start(project, "schedule")?;
    job.report.trigger = trigger.to_string();
    let mut stopping = false;
    let mut abandoned = false;
    {
        let work = async {
            job.ingest(pipelines, &crate::ingest::IngestOptions::default())
                .await;
            if let Err(e) = job.compute(&[]).await {
                tracing::error!("computing indicators: {e}");
                job.mark_failed();
            }
            if let Err(e) = job.render_if_changed().await {
                tracing::error!("rendering: {e}");
                job.mark_failed();
            }
        };
        tokio::pin!(work);
        tokio::select! {
            _ = &mut work => {}
            _ = stop.asked() => {
                tracing::warn!(timeout_s = stop_timeout.as_secs(), "stop asked: the run in progress may finish first, then the scheduler stops");
                stopping = true;
                if tokio::time::timeout(stop_timeout, &mut work).await.is_err() {
                    abandoned = true;
                }
            }
        }
    }
    if abandoned {
        tracing::error!(
            "the run did not finish within the stop timeout: abandoned, nothing of it published"
        );
        job.mark_failed();
    }
    job.report.stopped_after = stopping;
    job.report.abandoned = abandoned;
    let report = job.finish().await;
    lock.release().await;
    let report = report?;
    tracing::info!(run = %report.run_id, failed = report.failed, trigger, "scheduled run done");
    Ok(stopping)
}

/// Runs each pipeline on its cron until asked to stop (Ctrl-C or SIGTERM): ingest its sources,
/// then compute and render. On start, a pipeline whose last scheduled time passed without a
/// successful run runs once to catch up.
pub async fn run_forever(
    project: &Project,
    stop_timeout: std::time::Duration,
) -> Result<(), ScheduleError> {
    let mut stop = StopFlag::listen();
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let missed = missed(project, &ledger(&wh).await?, chrono::Utc::now());
    if !missed.is_empty() {
        tracing::info!(pipelines = ?missed, "catching up a scheduled run missed while the scheduler was not running");
        if scheduled_run(project, &missed, "catch-up", stop_timeout, &mut stop).await? {
            return Ok(());
        }
    }
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
            _ = stop.asked() => {
                tracing::info!("stop asked: stopping the scheduler");
                return Ok(());
            }
        }
        if scheduled_run(project, &due, "schedule", stop_timeout, &mut stop).await? {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn a_0230_job_runs_once_on_both_daylight_saving_nights_in_rome() {
        let schedule: cron::Schedule = "0 30 2 * * *".parse().unwrap();
        let rome = chrono_tz::Europe::Rome;
        // Spring forward, 29 March 2026: 02:30 does not exist; it runs once, at 03:00 (01:00 UTC).
        let spring: Vec<String> = fire_times(&schedule, rome, utc("2026-03-28T12:00:00Z"))
            .take(3)
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            spring,
            vec![
                "2026-03-29T01:00:00+00:00",
                "2026-03-30T00:30:00+00:00",
                "2026-03-31T00:30:00+00:00"
            ]
        );
        // Fall back, 25 October 2026: 02:30 happens twice; it runs once, at the first.
        let autumn: Vec<String> = fire_times(&schedule, rome, utc("2026-10-24T12:00:00Z"))
            .take(3)
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            autumn,
            vec![
                "2026-10-25T00:30:00+00:00",
                "2026-10-26T01:30:00+00:00",
                "2026-10-27T01:30:00+00:00"
            ]
        );
        // Asked between the two 02:30s of that night, it does not fire again.
        let between = fire_times(&schedule, rome, utc("2026-10-25T01:10:00Z"))
            .next()
            .unwrap();
        assert_eq!(between.to_rfc3339(), "2026-10-26T01:30:00+00:00");
        assert_eq!(
            last_fire_time(&schedule, rome, utc("2026-10-25T01:10:00Z")).map(|t| t.to_rfc3339()),
            Some("2026-10-25T00:30:00+00:00".to_string())
        );
    }

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
