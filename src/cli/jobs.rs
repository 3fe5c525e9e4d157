//! The commands that run stages under the run lock: run, ingest, compute, render.

use anyhow::Context;

use super::args::ProjectArg;
use super::load::{Selects, known_sources, load_selecting};
use super::out::sayln;
use super::{ExitStatus, FAILED};
use crate::config::Project;
use crate::ingest::{IngestOptions, SourceOutcome};
use crate::schedule::Job;
use crate::schedule::lock::RunLock;

/// Loads the project for a command that ingests, checks the names it was given and takes the run
/// lock; the error is the exit status.
async fn prepare_ingest(
    p: &ProjectArg,
    pipelines: &[String],
    accept: &[String],
    command: &str,
) -> anyhow::Result<(Project, RunLock)> {
    let project = known_sources(load_selecting(p, Selects::Pipeline, pipelines)?, accept)?;
    let lock = run_lock(&project, command).await?;
    Ok((project, lock))
}

/// Ingests the selected pipelines and prints the per-source table.
async fn ingest_and_report(
    job: &mut Job<'_>,
    pipelines: &[String],
    full: bool,
    accept: Vec<String>,
) {
    let sources = job.ingest(pipelines, &IngestOptions { full, accept }).await;
    print_source_table(&sources);
}

/// How long a manual command waits for a run in progress (scheduled or not) before giving up:
/// 30 minutes, or `OSSERVATORIO_LOCK_WAIT` seconds.
fn lock_patience() -> std::time::Duration {
    let secs = std::env::var("OSSERVATORIO_LOCK_WAIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(30 * 60);
    std::time::Duration::from_secs(secs)
}

/// Takes the project's run lock for `command`, waiting for a run in progress; FAILED (after saying
/// why) when it does not end in time.
async fn run_lock(project: &Project, command: &str) -> anyhow::Result<RunLock> {
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    let patience = lock_patience();
    match crate::schedule::lock::acquire(&wh, command, patience).await {
        Ok(Ok(lock)) => Ok(lock),
        Ok(Err(holder)) => {
            eprintln!(
                "error: another run still holds the project after {} seconds: {holder}",
                patience.as_secs()
            );
            Err(ExitStatus(FAILED).into())
        }
        Err(e @ crate::schedule::lock::LockError::Warehouse(_)) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitStatus(FAILED).into())
        }
    }
}

/// Prints one line per source: what happened to it, its rows, and how long it took.
fn print_source_table(sources: &[SourceOutcome]) {
    if sources.is_empty() {
        return;
    }
    let width = sources
        .iter()
        .map(|s| s.source.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    sayln!(
        "{:<width$}  {:<10} {:>10} {:>9} {:>8} {:>8} {:>8}",
        "source",
        "status",
        "rows",
        "rejected",
        "skipped",
        "seconds",
        "requests"
    );
    for s in sources {
        sayln!(
            "{:<width$}  {:<10} {:>10} {:>9} {:>8} {:>8.2} {:>8}",
            s.source,
            s.status.as_str(),
            s.rows,
            s.rejected,
            s.skipped,
            s.seconds,
            s.attempts
        );
    }
}

/// Stores the run's report, prints its summary and where to look, and returns the exit status.
async fn finish(
    job: Job<'_>,
    project: &Project,
    look_at: Option<(&str, &str)>,
) -> anyhow::Result<u8> {
    let report = job.finish().await?;
    summarize(project, &report);
    if let Some((label, file)) = look_at {
        sayln!("{label}: {}", project.settings.output.join(file).display());
    }
    Ok(if report.failed { FAILED } else { 0 })
}

/// The run's failures, notes and unknown territories, a line each.
fn print_problems(report: &crate::schedule::RunReport) {
    let errors = report
        .sources
        .iter()
        .filter_map(|s| s.error.as_ref())
        .chain(report.indicators.iter().filter_map(|i| i.error.as_ref()))
        .chain(report.dashboards.iter().filter_map(|d| d.error.as_ref()));
    for e in errors {
        sayln!("FAILED {e}");
    }
    for n in report.sources.iter().flat_map(|s| &s.notes) {
        sayln!("note: {n}");
    }
    for n in report.indicators.iter().flat_map(|i| &i.notes) {
        sayln!("note: {}", n.text(crate::config::Locale::En));
    }
    for (indicator, codes) in &report.unknown_territories {
        let shown: Vec<&str> = codes.iter().take(20).map(String::as_str).collect();
        let more = codes.len().saturating_sub(shown.len());
        sayln!(
            "FAILED indicator {indicator}: territories not in the territory list: {}{}. Their rows are kept but not rolled up, so every figure above them (province, region) misses them: add them to the territories (code,name,level,parent), or set unknown_territories: ignore on the indicator",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
}

/// Prints one line per failure and a count of what ran, so a scheduled run's log says enough.
fn summarize(project: &Project, report: &crate::schedule::RunReport) {
    let (ns, fs) = (
        report.sources.len(),
        report.sources.iter().filter(|s| s.failed()).count(),
    );
    let (ni, fi) = (
        report.indicators.len(),
        report.indicators.iter().filter(|i| !i.ok).count(),
    );
    let (nd, fd) = (
        report.dashboards.len(),
        report
            .dashboards
            .iter()
            .filter(|d| d.error.is_some())
            .count(),
    );
    print_problems(report);
    if report.compute_skipped {
        sayln!(
            "indicators: nothing they read or how they are defined changed, so they were not recomputed"
        );
    }
    if report.render_skipped {
        sayln!(
            "report: nothing it shows changed since it was rendered, so it was not drawn again (osservatorio render redraws it)"
        );
    }
    // What was skipped for having nothing new is counted as unchanged, not as zero done.
    let indicators = if report.compute_skipped {
        format!("indicators {} unchanged", project.indicators.len())
    } else {
        format!("indicators {}/{ni} ok", ni - fi)
    };
    let dashboards = if report.render_skipped {
        format!("dashboards {} unchanged", project.dashboards.len())
    } else {
        format!("dashboards {}/{nd} ok", nd - fd)
    };
    if report.redrawn {
        sayln!(
            "{}: the pages of run {} drawn again — {dashboards}",
            project.settings.name,
            report.run_id,
        );
        return;
    }
    sayln!(
        "{}: run {} — sources {}/{} ok, {indicators}, {dashboards}",
        project.settings.name,
        report.run_id,
        ns - fs,
        ns,
    );
}

/// `run`: ingest, compute and render, the whole job.
pub(super) async fn run(
    p: &ProjectArg,
    pipelines: &[String],
    full: bool,
    accept: Vec<String>,
) -> anyhow::Result<u8> {
    let (project, lock) = prepare_ingest(p, pipelines, &accept, "run").await?;
    let mut job = Job::start(&project, "run")?;
    ingest_and_report(&mut job, pipelines, full, accept).await;
    if let Err(e) = job.compute(&[]).await {
        eprintln!("error: computing indicators: {e}");
        job.mark_failed();
    }
    if let Err(e) = job.render_if_changed().await {
        eprintln!("error: rendering: {e}");
        job.mark_failed();
    }
    let code = finish(job, &project, Some(("report", "index.html"))).await;
    lock.release().await;
    code
}

/// `ingest`: the sources' new deliveries into the warehouse, nothing computed.
pub(super) async fn ingest(
    p: &ProjectArg,
    pipelines: &[String],
    full: bool,
    accept: Vec<String>,
) -> anyhow::Result<u8> {
    let (project, lock) = prepare_ingest(p, pipelines, &accept, "ingest").await?;
    let mut job = Job::start(&project, "ingest")?;
    ingest_and_report(&mut job, pipelines, full, accept).await;
    let code = finish(job, &project, None).await;
    lock.release().await;
    code
}

/// `compute`: the indicator table from the warehouse as it is.
pub(super) async fn compute(p: &ProjectArg, indicators: &[String]) -> anyhow::Result<u8> {
    let project = load_selecting(p, Selects::Indicator, indicators)?;
    let lock = run_lock(&project, "compute").await?;
    let mut job = Job::start(&project, "compute")?;
    job.compute(indicators)
        .await
        .context("computing indicators")?;
    let code = finish(job, &project, Some(("indicators", "indicators.csv"))).await;
    lock.release().await;
    code
}

/// `render`: the pages (and PDFs, annexes) from the indicator table as it is.
pub(super) async fn render(
    p: &ProjectArg,
    dashboards: &[String],
    pdf: bool,
    annex: bool,
) -> anyhow::Result<u8> {
    let project = load_selecting(p, Selects::Dashboard, dashboards)?;
    // Under the run lock: a render never overlaps a run, so its pages are all of one run.
    let lock = run_lock(&project, "render").await?;
    let mut job = redraw_job(&project).await?;
    let outcomes = job.render(dashboards).await.context("rendering")?;
    if pdf {
        print_pdfs(&mut job, &project, &outcomes);
    }
    if annex {
        write_annexes(&mut job, &project, &outcomes);
    }
    let code = finish(job, &project, Some(("report", "index.html"))).await;
    lock.release().await;
    code
}

/// The job a render belongs to. The indicator table is derived: a damaged one is computed again
/// before drawing, a run of its own; a sound one is drawn again as the run that computed it.
async fn redraw_job(project: &Project) -> anyhow::Result<Job<'_>> {
    let table = crate::indicators::table_path(project);
    let read = table
        .exists()
        .then(|| crate::indicators::output::read(&project.settings.output));
    let computed_by = match &read {
        Some(Ok(rows)) => rows.iter().map(|r| r.run_id.clone()).max(),
        _ => None,
    };
    let mut job = match &computed_by {
        Some(run) => Job::redraw(project, run)?,
        None => Job::start(project, "render")?,
    };
    if let Some(Err(e)) = read {
        eprintln!("warning: {e}: the indicator table is damaged; computing it again");
        if let Err(e) = job.compute(&[]).await {
            eprintln!(
                "error: computing the damaged indicator table again: {e}; run `osservatorio doctor`"
            );
            job.mark_failed();
        }
    }
    Ok(job)
}

/// Prints the rendered dashboards as PDFs; a failure fails the job.
fn print_pdfs(job: &mut Job<'_>, project: &Project, outcomes: &[crate::render::DashboardOutcome]) {
    match crate::render::pdf::print_dashboards(project, outcomes) {
        Ok(printed) => {
            for p in printed {
                sayln!("pdf: {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            job.report.failed = true;
        }
    }
}

/// Writes the monitoring annexes of the dashboards that rendered; a failure fails the job.
fn write_annexes(
    job: &mut Job<'_>,
    project: &Project,
    outcomes: &[crate::render::DashboardOutcome],
) {
    let rendered: Vec<String> = outcomes
        .iter()
        .filter(|o| o.error.is_none())
        .map(|o| o.dashboard.clone())
        .collect();
    match crate::render::annex::write_annexes(project, &rendered) {
        Ok(written) => {
            for p in written {
                sayln!("annex: {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            job.report.failed = true;
        }
    }
}
