//! The scheduler: runs each pipeline on its cron, catches up what it missed, stops cleanly on SIGTERM.

use super::*;

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub(super) async fn stop_signal() {
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
pub(super) struct StopFlag(tokio::sync::watch::Receiver<bool>);

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
pub(super) async fn scheduled_run(
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
