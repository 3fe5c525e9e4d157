//! `osservatorio doctor`: finds what in a project's stored state can no longer be read (the run
//! lock, each source's manifest, data file and findings, the ledger of runs, the indicator
//! history, the indicator table) and says, per problem, the file, what is wrong and the command
//! that repairs it. `doctor --fix` repairs: a source is ingested again from its export, derived
//! files are computed again, unreadable records are moved aside to `_quarantine/` (never
//! deleted), and a lock nobody holds any more is removed.

use object_store::ObjectStoreExt;

use crate::config::Project;
use crate::schedule::lock::{self, Liveness, LockState};
use crate::warehouse::{Warehouse, WarehouseError, integrity};

/// The folder of the warehouse where unreadable records are moved, one subfolder per repair.
pub const QUARANTINE: &str = "_quarantine";

#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Indicators(#[from] crate::indicators::IndicatorError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("moving {from} aside to {to}: {source}")]
    Quarantine {
        from: String,
        to: String,
        source: object_store::Error,
    },
}

/// How a problem is repaired.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Ingest the source again from its export; the damaged objects (relative paths) are moved
    /// aside first, so the ingest reads the export afresh.
    Reingest { source: String, aside: Vec<String> },
    /// Compute the indicators again: the indicator table is derived.
    Recompute,
    /// Move the record (relative path) aside to `_quarantine/`.
    Quarantine(String),
    /// Remove the run lock, once no live process holds it.
    RemoveLock,
}

/// One problem found.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The file, as the user finds it.
    pub file: String,
    /// What is wrong with it.
    pub what: String,
    pub fix: Fix,
}

impl Problem {
    /// The command that repairs it, and what that does here.
    pub fn repair(&self) -> String {
        match &self.fix {
            Fix::Reingest { source, .. } => {
                format!("osservatorio doctor --fix (ingests source {source} again from its export)")
            }
            Fix::Recompute => {
                "osservatorio doctor --fix (or osservatorio compute: it is computed again)".into()
            }
            Fix::Quarantine(_) => {
                format!("osservatorio doctor --fix (moves it aside to {QUARANTINE}/)")
            }
            Fix::RemoveLock => {
                "osservatorio doctor --fix (removes it when no live process holds it)".into()
            }
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} — repair: {}",
            self.file,
            self.what,
            self.repair()
        )
    }
}

/// A warehouse object's path relative to the warehouse root.
fn relative(wh: &Warehouse, path: &str) -> String {
    let prefix = wh.prefix.as_ref();
    path.strip_prefix(prefix)
        .map(|r| r.trim_start_matches('/'))
        .unwrap_or(path)
        .to_string()
}

/// How the user finds a warehouse object (relative path): a local path, or the object's URL.
fn shown(wh: &Warehouse, rel: &str) -> String {
    wh.shown(rel)
}

/// Every problem of the project's stored state, at `now` (for the lock's heartbeat).
pub async fn diagnose(
    project: &Project,
    wh: &Warehouse,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Problem>, DoctorError> {
    let mut out: Vec<Problem> = lock_problem(wh, now).await?.into_iter().collect();
    for s in &project.sources {
        out.extend(source_problem(wh, s).await);
    }
    out.extend(unreadable_records(wh).await?);
    out.extend(table_problem(project));
    Ok(out)
}

/// The run lock's problem, if it is damaged or held by a run that is gone.
async fn lock_problem(
    wh: &Warehouse,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Problem>, DoctorError> {
    let what = match lock::state(wh).await? {
        LockState::Free => return Ok(None),
        LockState::Damaged(message) => {
            format!("not a run lock ({message}); every command refuses to start")
        }
        LockState::Held(h) => match lock::liveness(&h, now) {
            Liveness::Alive => return Ok(None),
            Liveness::Dead => format!("held by {h}, which is no longer running"),
            Liveness::FutureHeartbeat => format!(
                "held by {h} with a heartbeat in the future ({}); every command refuses to start",
                h.heartbeat_at
            ),
        },
    };
    Ok(Some(Problem {
        file: shown(wh, "_lock.json"),
        what,
        fix: Fix::RemoveLock,
    }))
}

/// A source's problem: its manifest or data file damaged, or else its findings unreadable.
async fn source_problem(wh: &Warehouse, s: &crate::config::Source) -> Option<Problem> {
    if let Some(d) = integrity::check_source(wh, s).await {
        // The damaged object goes aside: a bad manifest so the ingest reads the export
        // afresh, a bad data file so its bytes are kept for whoever wants to look.
        let aside = vec![d.file.clone()];
        let object = if d.manifest {
            "the manifest"
        } else {
            "the data file"
        };
        return Some(Problem {
            file: shown(wh, &d.file),
            what: format!("{object} of source {} is damaged: {}", s.name, d.message),
            fix: Fix::Reingest {
                source: s.name.clone(),
                aside,
            },
        });
    }
    let findings = wh.findings_path(&s.name);
    let Err(WarehouseError::Json {
        source: message, ..
    }) = wh
        .get_json::<Vec<crate::warehouse::findings::Finding>>(&findings)
        .await
    else {
        return None;
    };
    let rel = relative(wh, findings.as_ref());
    Some(Problem {
        file: shown(wh, &rel),
        what: format!(
            "the findings of source {} are not readable ({message})",
            s.name
        ),
        fix: Fix::Reingest {
            source: s.name.clone(),
            aside: vec![rel],
        },
    })
}

/// The run records and history files that cannot be read.
async fn unreadable_records(wh: &Warehouse) -> Result<Vec<Problem>, DoctorError> {
    let (_, runs) = crate::schedule::ledger_checked(wh).await?;
    let (_, history) = crate::indicators::history::read_checked(wh).await?;
    let records = runs
        .iter()
        .map(|u| ("run record", u))
        .chain(history.iter().map(|u| ("history file", u)));
    Ok(records
        .map(|(kind, u)| {
            let rel = relative(wh, &u.path);
            Problem {
                file: shown(wh, &rel),
                what: format!(
                    "{kind} not readable ({}); it is skipped where it is read",
                    u.message
                ),
                fix: Fix::Quarantine(rel),
            }
        })
        .collect())
}

/// The indicator table's problem, if it is there and cannot be read.
fn table_problem(project: &Project) -> Option<Problem> {
    let table = crate::indicators::table_path(project);
    if !table.exists() {
        return None;
    }
    let e = crate::indicators::output::read(&project.settings.output).err()?;
    Some(Problem {
        file: table.display().to_string(),
        what: format!("the indicator table is not readable ({e})"),
        fix: Fix::Recompute,
    })
}

/// Moves a warehouse object (relative path) to `_quarantine/STAMP/PATH`; returns where it went.
async fn quarantine(wh: &Warehouse, rel: &str, stamp: &str) -> Result<String, DoctorError> {
    let from = wh.path(rel);
    let to_rel = format!("{QUARANTINE}/{stamp}/{rel}");
    let to = wh.path(&to_rel);
    let err = |source| DoctorError::Quarantine {
        from: from.to_string(),
        to: to.to_string(),
        source,
    };
    match wh.store.copy(&from, &to).await {
        Ok(()) => {}
        // Already gone: nothing to keep.
        Err(object_store::Error::NotFound { .. }) => return Ok(to_rel),
        Err(e) => return Err(err(e)),
    }
    match wh.store.delete(&from).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(to_rel),
        Err(e) => Err(err(e)),
    }
}

/// What `fix` did, one line each, and whether every problem it was given is repaired.
pub struct Repairs {
    pub done: Vec<String>,
    pub failed: Vec<String>,
}

/// Removes the lock if nobody can be holding it any more; says what it did.
async fn fix_lock(
    wh: &Warehouse,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<String, String>, DoctorError> {
    Ok(match lock::state(wh).await? {
        LockState::Free => Ok("the run lock is free".into()),
        LockState::Damaged(_) => {
            lock::remove(wh).await?;
            Ok("removed the damaged run lock".into())
        }
        LockState::Held(h) => match lock::liveness(&h, now) {
            Liveness::Alive => Err(format!("the run lock is held by {h}, which is running")),
            Liveness::Dead | Liveness::FutureHeartbeat => {
                let same_host = h.host == lock::host_name();
                let alive_here =
                    same_host && std::path::Path::new(&format!("/proc/{}", h.pid)).exists();
                if alive_here {
                    Err(format!("the run lock is held by {h}, which is running"))
                } else {
                    lock::remove(wh).await?;
                    Ok(format!("removed the run lock of {h}"))
                }
            }
        },
    })
}

/// Repairs `problems` (as `diagnose` found them): the lock first, then, under the run lock,
/// records moved aside, sources ingested again and the indicators computed again.
pub async fn fix(
    project: &Project,
    wh: &Warehouse,
    problems: &[Problem],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Repairs, DoctorError> {
    let mut r = Repairs {
        done: Vec::new(),
        failed: Vec::new(),
    };
    if problems.iter().any(|p| p.fix == Fix::RemoveLock) {
        match fix_lock(wh, now).await? {
            Ok(done) => r.done.push(done),
            Err(why) => {
                r.failed.push(why);
                return Ok(r);
            }
        }
    }
    let work: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.fix != Fix::RemoveLock)
        .collect();
    if work.is_empty() {
        return Ok(r);
    }
    let held = match lock::acquire(wh, "doctor", std::time::Duration::from_secs(30 * 60)).await? {
        Ok(l) => l,
        Err(holder) => {
            r.failed.push(format!(
                "the project is still held by {holder}: try again when it ends"
            ));
            return Ok(r);
        }
    };
    let mut job = crate::schedule::Job::start(project, "doctor")?;
    let (reingest, mut recompute) = move_aside(wh, &work, &job.run_id, &mut r).await?;
    if !reingest.is_empty() {
        ingest_again(project, wh, &mut job, &reingest, &mut r).await;
        recompute = true;
    }
    if recompute {
        compute_again(project, &mut job, &mut r).await;
    }
    if let Err(e) = job.finish().await {
        r.failed
            .push(format!("recording the repair in the ledger: {e}"));
    }
    held.release().await;
    Ok(r)
}

/// Moves aside what the problems name, to `_quarantine/STAMP/`; returns the sources to ingest
/// again and whether the indicators are to be computed again.
async fn move_aside(
    wh: &Warehouse,
    work: &[&Problem],
    stamp: &str,
    r: &mut Repairs,
) -> Result<(Vec<String>, bool), DoctorError> {
    let mut reingest: Vec<String> = Vec::new();
    let mut recompute = false;
    for p in work {
        match &p.fix {
            Fix::Quarantine(rel) => {
                let to = quarantine(wh, rel, stamp).await?;
                r.done
                    .push(format!("moved {} aside to {}", p.file, shown(wh, &to)));
            }
            Fix::Reingest { source, aside } => {
                for rel in aside {
                    let to = quarantine(wh, rel, stamp).await?;
                    r.done.push(format!(
                        "moved {} aside to {}",
                        shown(wh, rel),
                        shown(wh, &to)
                    ));
                }
                if !reingest.contains(source) {
                    reingest.push(source.clone());
                }
            }
            Fix::Recompute => recompute = true,
            Fix::RemoveLock => {}
        }
    }
    Ok((reingest, recompute))
}

/// Ingests only the sources `reingest`, read afresh from their exports, as part of `job`.
async fn ingest_again(
    project: &Project,
    wh: &Warehouse,
    job: &mut crate::schedule::Job<'_>,
    reingest: &[String],
    r: &mut Repairs,
) {
    let mut only = project.clone();
    only.sources.retain(|s| reingest.contains(&s.name));
    let opts = crate::ingest::IngestOptions {
        full: true,
        accept: Vec::new(),
    };
    let outcomes = crate::ingest::ingest(&only, wh, &job.run_id, &[], &opts).await;
    for o in &outcomes {
        match &o.error {
            None => r.done.push(format!(
                "ingested source {} again from its export: {} rows",
                o.source, o.rows
            )),
            Some(e) => {
                r.failed
                    .push(format!("ingesting source {} again: {e}", o.source));
                job.mark_failed();
            }
        }
    }
    job.report.sources = outcomes;
}

/// Computes the indicator table again, as part of `job`.
async fn compute_again(project: &Project, job: &mut crate::schedule::Job<'_>, r: &mut Repairs) {
    match job.compute(&[]).await {
        Ok(out) => {
            let failed: Vec<&str> = out
                .iter()
                .filter(|o| !o.ok)
                .map(|o| o.indicator.as_str())
                .collect();
            if failed.is_empty() {
                r.done.push(format!(
                    "computed the indicators again into {}",
                    crate::indicators::table_path(project).display()
                ));
            } else {
                r.failed
                    .push(format!("computing indicators {}", failed.join(", ")));
            }
        }
        Err(e) => {
            r.failed
                .push(format!("computing the indicators again: {e}"));
            job.mark_failed();
        }
    }
}
