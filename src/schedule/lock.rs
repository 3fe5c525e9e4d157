//! One run at a time per project, across processes and machines: a lock object in the warehouse
//! (on disk or on S3), created only if absent, holding who holds it. A holder that died is taken
//! over with a warning: on the same machine when its process is gone, elsewhere when its heartbeat
//! is older than two minutes.

use std::time::Duration;

use object_store::{ObjectStoreExt, PutMode, PutOptions};
use serde::{Deserialize, Serialize};

use crate::warehouse::{Warehouse, WarehouseError};

/// How often a holder says it is alive, and how old a heartbeat may be before it is taken over.
const HEARTBEAT: Duration = Duration::from_secs(30);
const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// Who holds the lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    pub command: String,
    pub started_at: String,
    pub heartbeat_at: String,
    /// Tells this holder's lock from a later one.
    pub token: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` on {} (process {}, since {})",
            self.command, self.host, self.pid, self.started_at
        )
    }
}

/// The lock, held until released or dropped with the process.
pub struct RunLock {
    wh: Warehouse,
    token: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether the holder can no longer be running.
fn is_dead(h: &Holder, now: chrono::DateTime<chrono::Utc>) -> bool {
    if h.host == host_name() && cfg!(target_os = "linux") {
        return !std::path::Path::new(&format!("/proc/{}", h.pid)).exists();
    }
    chrono::DateTime::parse_from_rfc3339(&h.heartbeat_at)
        .map(|t| now - t.with_timezone(&chrono::Utc) > STALE_AFTER)
        .unwrap_or(true)
}

/// What trying the lock once gave.
pub enum Attempt {
    Acquired(RunLock),
    Busy(Holder),
}

fn store_err(path: &object_store::path::Path, source: object_store::Error) -> WarehouseError {
    WarehouseError::Store {
        path: path.to_string(),
        source,
    }
}

/// Tries once to take the project's lock, taking over a dead holder's.
pub async fn try_acquire(wh: &Warehouse, command: &str) -> Result<Attempt, WarehouseError> {
    let path = wh.lock_path();
    for _ in 0..3 {
        let now = chrono::Utc::now();
        let me = Holder {
            host: host_name(),
            pid: std::process::id(),
            command: command.to_string(),
            started_at: now.to_rfc3339(),
            heartbeat_at: now.to_rfc3339(),
            token: format!(
                "{}-{}-{}",
                host_name(),
                std::process::id(),
                now.timestamp_nanos_opt().unwrap_or(0)
            ),
        };
        let body = serde_json::to_vec(&me).map_err(|e| WarehouseError::Data {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match wh.store.put_opts(&path, body.into(), create).await {
            Ok(_) => {
                let heartbeat = tokio::spawn(beat(wh.clone(), me.clone()));
                return Ok(Attempt::Acquired(RunLock {
                    wh: wh.clone(),
                    token: me.token,
                    heartbeat,
                }));
            }
            Err(object_store::Error::AlreadyExists { .. }) => {
                let Some(holder) = wh.get_json::<Holder>(&path).await? else {
                    continue; // released in between: try again
                };
                if !is_dead(&holder, now) {
                    return Ok(Attempt::Busy(holder));
                }
                tracing::warn!(
                    "taking over the run lock of a holder that is no longer running: {holder}"
                );
                match wh.store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(store_err(&path, e)),
                }
            }
            Err(e) => return Err(store_err(&path, e)),
        }
    }
    let holder = wh.get_json::<Holder>(&path).await?;
    match holder {
        Some(h) => Ok(Attempt::Busy(h)),
        None => Err(WarehouseError::Data {
            path: path.to_string(),
            message: "the run lock changed hands three times while being taken".into(),
        }),
    }
}

/// Takes the lock, waiting for a live holder to finish (up to `patience`); says once who it waits for.
pub async fn acquire(
    wh: &Warehouse,
    command: &str,
    patience: Duration,
) -> Result<Result<RunLock, Holder>, WarehouseError> {
    let started = std::time::Instant::now();
    let mut told = false;
    loop {
        match try_acquire(wh, command).await? {
            Attempt::Acquired(lock) => return Ok(Ok(lock)),
            Attempt::Busy(holder) => {
                if started.elapsed() >= patience {
                    return Ok(Err(holder));
                }
                if !told {
                    eprintln!("waiting for the run in progress to end: {holder}");
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Refreshes the holder's heartbeat while the lock is held.
async fn beat(wh: Warehouse, mut me: Holder) {
    let path = wh.lock_path();
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        me.heartbeat_at = chrono::Utc::now().to_rfc3339();
        // Only our own lock is refreshed: a taken-over lock is left to its new holder.
        match wh.get_json::<Holder>(&path).await {
            Ok(Some(h)) if h.token == me.token => {
                let _ = wh.put_json(&path, &me).await;
            }
            _ => return,
        }
    }
}

impl RunLock {
    /// Gives the lock back, if it is still ours.
    pub async fn release(self) {
        self.heartbeat.abort();
        let path = self.wh.lock_path();
        if let Ok(Some(h)) = self.wh.get_json::<Holder>(&path).await
            && h.token == self.token
        {
            let _ = self.wh.store.delete(&path).await;
        }
    }
}
