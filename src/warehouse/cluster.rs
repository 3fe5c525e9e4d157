//! Indicators on an Apache DataFusion Ballista cluster: the session whose plans the cluster's
//! scheduler runs, and what the user is told when the cluster fails a query. Ballista's own
//! messages are Rust debug dumps (`tonic::transport::Error(Transport, ConnectError(...))`): the
//! user gets the engine named, what happened in words and what to do, with Ballista's message
//! kept as the source.

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionConfig;

/// The engine a session's plans run on, kept in its configuration so that a query failing
/// there can name it.
#[derive(Debug)]
pub struct OnCluster {
    /// As written in `osservatorio.yaml`: `ballista://HOST:PORT`.
    pub engine: String,
}

/// The engine of a session on a cluster; None for the local engine.
pub fn engine_of(config: &SessionConfig) -> Option<String> {
    config
        .get_extension::<OnCluster>()
        .map(|c| c.engine.clone())
}

/// A query the cluster did not complete.
#[derive(Debug, thiserror::Error)]
#[error("on the Ballista cluster {engine}: {what}")]
pub struct ClusterError {
    pub engine: String,
    /// What happened, in words, with the part of Ballista's message that says why.
    pub what: String,
    #[source]
    pub source: DataFusionError,
}

/// The user's account of `e`, a query's failure on the cluster `engine`.
pub fn explain(engine: &str, e: DataFusionError) -> ClusterError {
    let message = e.to_string();
    let scheduler = engine.trim_start_matches("ballista://");
    let what = match (
        executor_address(&message, scheduler),
        connect_reason(&message),
    ) {
        (Some(executor), reason) => format!(
            "the executor at {executor} holding the query's results did not answer ({}): it has probably stopped; run again to compute on the executors still running",
            reason.unwrap_or_else(|| "no connection".into())
        ),
        (None, Some(reason)) => format!(
            "the scheduler did not answer ({reason}): is it running at the address `engine:` names in osservatorio.yaml?"
        ),
        (None, None) => match message.split_once(" failed: ") {
            Some((_, why)) => format!("the cluster failed the query's job: {}", why.trim_end()),
            None => format!(
                "the query did not complete: {}",
                message.trim_start_matches("Execution error: ")
            ),
        },
    };
    ClusterError {
        engine: engine.to_string(),
        what,
        source: e,
    }
}

/// The address of the executor a failed fetch of results names (Ballista says "scheduler or
/// executor"; it is an executor when it is not the scheduler's address).
fn executor_address(message: &str, scheduler: &str) -> Option<String> {
    let (_, rest) = message.split_once("scheduler or executor at ")?;
    let address = rest.split_once(": ").map_or(rest, |(a, _)| a);
    let address = address
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    (address != scheduler).then(|| address.to_string())
}

/// Why a connection failed (`kind: ConnectionRefused` → "connection refused"), if it did.
fn connect_reason(message: &str) -> Option<String> {
    if !message.contains("ConnectError") {
        return None;
    }
    let Some((_, rest)) = message.split_once("kind: ") else {
        return Some("no connection".into());
    };
    let kind: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut words = String::new();
    for c in kind.chars() {
        if c.is_ascii_uppercase() && !words.is_empty() {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    Some(words)
}

/// A session whose plans run on the cluster at `target` (`HOST:PORT`, or `standalone` for a
/// scheduler and an executor inside this process). A scheduler that does not accept connections
/// is reported once, here, rather than as every indicator's failure.
#[cfg(feature = "ballista")]
pub async fn session(
    target: &str,
) -> Result<datafusion::execution::context::SessionContext, super::WarehouseError> {
    use ballista::prelude::SessionContextExt;
    use datafusion::execution::context::SessionContext;
    let engine = format!("ballista://{target}");
    let ctx = if target == "standalone" {
        SessionContext::standalone().await
    } else {
        probe(&engine, target).await?;
        SessionContext::remote(&format!("df://{target}")).await
    }
    .map_err(|e| Box::new(explain(&engine, e)))?;
    ctx.state_ref()
        .write()
        .config_mut()
        .set_extension(std::sync::Arc::new(OnCluster { engine }));
    Ok(ctx)
}

/// Connects once to the scheduler's port, so that an engine naming a machine where no scheduler
/// listens is one clear error.
#[cfg(feature = "ballista")]
async fn probe(engine: &str, target: &str) -> Result<(), super::WarehouseError> {
    let address = target.to_string();
    // Name resolution and connecting block: on a thread of their own.
    let connected = tokio::task::spawn_blocking(move || {
        use std::net::ToSocketAddrs;
        let wait = std::time::Duration::from_secs(10);
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address");
        for a in address.to_socket_addrs()? {
            match std::net::TcpStream::connect_timeout(&a, wait) {
                Ok(_) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    connected.map_err(|source| super::WarehouseError::SchedulerUnreachable {
        engine: engine.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_said_in_words() {
        let e = DataFusionError::Execution(
            "tonic::transport::Error(Transport, ConnectError(ConnectError(\"tcp connect error\", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: \"Connection refused\" })))".into(),
        );
        let told = explain("ballista://127.0.0.1:1", e).to_string();
        assert!(
            told.starts_with("on the Ballista cluster ballista://127.0.0.1:1: the scheduler did not answer (connection refused)"),
            "{told}"
        );
        assert!(!told.contains("tonic"), "{told}");
    }

    #[test]
    fn a_failed_job_keeps_the_reason_only() {
        let e = DataFusionError::Execution("Job 7Kq failed: executor lost".into());
        let told = explain("ballista://s:50050", e).to_string();
        assert_eq!(
            told,
            "on the Ballista cluster ballista://s:50050: the cluster failed the query's job: executor lost"
        );
    }

    /// What Ballista 55's client says when the executor holding a query's results is gone
    /// (`fetch_partition` in ballista-core's distributed_query.rs).
    #[test]
    fn a_lost_executor_is_told_apart_from_the_scheduler() {
        let e = DataFusionError::Execution(
            "GrpcConnectionError(\"Error connecting to Ballista scheduler or executor at http://127.0.0.1:44891: tonic::transport::Error(Transport, ConnectError(ConnectError(\\\"tcp connect error\\\", 127.0.0.1:44891, Os { code: 111, kind: ConnectionRefused, message: \\\"Connection refused\\\" })))\")".into(),
        );
        let told = explain("ballista://127.0.0.1:50050", e).to_string();
        assert!(
            told.starts_with("on the Ballista cluster ballista://127.0.0.1:50050: the executor at 127.0.0.1:44891 holding the query's results did not answer (connection refused)"),
            "{told}"
        );
    }
}
