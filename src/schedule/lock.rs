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

/// The lock, held until released or dropped: a guard, so a command that stops early on an error
/// gives the lock back too.
pub struct RunLock {
    held: Option<Held>,
}

struct Held {
    wh: Warehouse,
    token: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// What can be told of a holder from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Running (its process exists here, or its heartbeat is recent).
    Alive,
    /// Gone: its process no longer exists, or its heartbeat is too old.
    Dead,
    /// On another machine, with a heartbeat later than now by more than clocks drift: it says
    /// nothing of whether the holder runs, and would block every command for as long as it lies.
    FutureHeartbeat,
}

/// Whether the holder can still be running, at `now`.
pub fn liveness(h: &Holder, now: chrono::DateTime<chrono::Utc>) -> Liveness {
    if h.host == host_name() && cfg!(target_os = "linux") {
        return if std::path::Path::new(&format!("/proc/{}", h.pid)).exists() {
            Liveness::Alive
        } else {
            Liveness::Dead
        };
    }
    match chrono::DateTime::parse_from_rfc3339(&h.heartbeat_at) {
        Err(_) => Liveness::Dead,
        Ok(t) => {
            let t = t.with_timezone(&chrono::Utc);
            if t - now > STALE_AFTER {
                Liveness::FutureHeartbeat
            } else if now - t > STALE_AFTER {
                Liveness::Dead
            } else {
                Liveness::Alive
            }
        }
    }
}

/// The lock cannot be taken, and waiting would not help.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the run lock {path} is damaged ({message}); if no osservatorio command is running on this project, run `osservatorio doctor --fix` to remove it"
    )]
    Damaged { path: String, message: String },
    #[error(
        "the run lock {path} is held by {holder} with a heartbeat in the future ({heartbeat}): that machine's clock is wrong or the lock is damaged; if no osservatorio command is running there, run `osservatorio doctor --fix` to remove it"
    )]
    FutureHeartbeat {
        path: String,
        holder: Holder,
        heartbeat: String,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

/// What the lock object says now.
pub enum LockState {
    Free,
    Held(Holder),
    /// Present but not a lock (the message says why).
    Damaged(String),
}

/// Reads the lock object without taking it.
pub async fn state(wh: &Warehouse) -> Result<LockState, WarehouseError> {
    match wh.get_json::<Holder>(&wh.lock_path()).await {
        Ok(None) => Ok(LockState::Free),
        Ok(Some(h)) => Ok(LockState::Held(h)),
        Err(WarehouseError::Json { source, .. }) => Ok(LockState::Damaged(source.to_string())),
        Err(e) => Err(e),
    }
}

/// Removes the lock object, whoever holds it: for `doctor --fix`, once it knows nobody does.
pub async fn remove(wh: &Warehouse) -> Result<(), WarehouseError> {
    let path = wh.lock_path();
    match wh.store.delete(&path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(store_err(&path, e)),
    }
}

/// The holder in the lock object, or why it cannot be read.
async fn read_holder(wh: &Warehouse) -> Result<Option<Holder>, LockError> {
    let path = wh.lock_path();
    match state(wh).await? {
        LockState::Free => Ok(None),
        LockState::Held(h) => Ok(Some(h)),
        LockState::Damaged(message) => Err(LockError::Damaged {
            path: path.to_string(),
            message,
        }),
    }
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
pub async fn try_acquire(wh: &Warehouse, command: &str) -> Result<Attempt, LockError> {
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
        let body = serde_json::to_vec(&me).map_err(|source| WarehouseError::Json {
            path: path.to_string(),
            source,
        })?;
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match wh.store.put_opts(&path, body.into(), create).await {
            Ok(_) => {
                let heartbeat = tokio::spawn(beat(wh.clone(), me.clone()));
                return Ok(Attempt::Acquired(RunLock {
                    held: Some(Held {
                        wh: wh.clone(),
                        token: me.token,
                        heartbeat,
                    }),
                }));
            }
            Err(object_store::Error::AlreadyExists { .. }) => {
                let Some(holder) = read_holder(wh).await? else {
                    continue; // released in between: try again
                };
                match liveness(&holder, now) {
                    Liveness::Alive => return Ok(Attempt::Busy(holder)),
                    Liveness::FutureHeartbeat => {
                        return Err(LockError::FutureHeartbeat {
                            path: path.to_string(),
                            heartbeat: holder.heartbeat_at.clone(),
                            holder,
                        });
                    }
                    Liveness::Dead => {}
                }
                tracing::warn!(
                    "taking over the run lock of a holder that is no longer running: {holder}"
                );
                match wh.store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(store_err(&path, e).into()),
                }
            }
            Err(e) => return Err(store_err(&path, e).into()),
        }
    }
    match read_holder(wh).await? {
        Some(h) => Ok(Attempt::Busy(h)),
        None => Err(WarehouseError::LockContended {
            path: path.to_string(),
        }
        .into()),
    }
}

/// Takes the lock, waiting for a live holder to finish (up to `patience`); says once who it waits for.
pub async fn acquire(
    wh: &Warehouse,
    command: &str,
    patience: Duration,
) -> Result<Result<RunLock, Holder>, LockError> {
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

impl Held {
    /// Deletes the lock object, if it is still ours.
    async fn release(self) {
        self.heartbeat.abort();
        let path = self.wh.lock_path();
        if let Ok(Some(h)) = self.wh.get_json::<Holder>(&path).await
            && h.token == self.token
        {
            let _ = self.wh.store.delete(&path).await;
        }
    }
}

impl RunLock {
    /// Gives the lock back, if it is still ours.
    pub async fn release(mut self) {
        if let Some(held) = self.held.take() {
            held.release().await;
        }
    }
}

impl Drop for RunLock {
    /// A lock dropped without `release` (an early return, an error) is given back all the same.
    fn drop(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        held.heartbeat.abort();
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(held.release()));
            }
            // No runtime to borrow (or one that cannot block): a short-lived one of our own.
            _ => {
                let done = std::thread::spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(held.release());
                    }
                });
                let _ = done.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(host: &str, heartbeat: chrono::DateTime<chrono::Utc>) -> Holder {
        Holder {
            host: host.into(),
            pid: 4242,
            command: "run".into(),
            started_at: heartbeat.to_rfc3339(),
            heartbeat_at: heartbeat.to_rfc3339(),
            token: "t".into(),
        }
    }

    #[test]
    fn another_machine_s_holder_is_judged_by_its_heartbeat_against_the_given_clock() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let at = |secs: i64| holder("elsewhere.invalid", now + chrono::TimeDelta::seconds(secs));
        assert_eq!(liveness(&at(-30), now), Liveness::Alive);
        assert_eq!(
            liveness(&at(60), now),
            Liveness::Alive,
            "clocks drift a little"
        );
        assert_eq!(liveness(&at(-121), now), Liveness::Dead);
        assert_eq!(liveness(&at(3600), now), Liveness::FutureHeartbeat);
        let mut garbled = at(0);
        garbled.heartbeat_at = "yesterday".into();
        assert_eq!(liveness(&garbled, now), Liveness::Dead);
    }
}
