//! A Ballista cluster of separate processes on 127.0.0.1 for the tests: Ballista's own
//! `ballista-scheduler` and `ballista-executor` programs, of the version in Cargo.lock, built by
//! `bash tests/ballista-cluster.sh` (which `tests/run.sh` runs). Every process is killed when the
//! cluster is dropped. Readiness is polled (the scheduler's `/readyz` answers 200 once the
//! executors have registered), never waited for by sleeping a fixed time.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running cluster.
pub struct Cluster {
    /// The port of the scheduler's gRPC and REST API.
    pub port: u16,
    scheduler: Child,
    executors: Vec<Option<Child>>,
    /// The processes' logs and the executors' work folders.
    pub dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.scheduler.kill();
        let _ = self.scheduler.wait();
    }
}

/// A free port no other server of this test process was given.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port on 127.0.0.1");
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The Ballista version osservatorio is built with, from Cargo.lock.
fn ballista_version() -> String {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("Cargo.lock");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"ballista-scheduler\"" {
            let version = lines.next().expect("a version line");
            return version
                .trim_start_matches("version = \"")
                .trim_end_matches('"')
                .to_string();
        }
    }
    panic!("Cargo.lock names no ballista-scheduler")
}

/// The folder holding the two programs: `OSSERVATORIO_BALLISTA_BIN` if set, else where
/// `tests/ballista-cluster.sh` puts them for this build folder. None when they are missing.
pub fn programs() -> Option<PathBuf> {
    let dir = match std::env::var_os("OSSERVATORIO_BALLISTA_BIN") {
        Some(d) => PathBuf::from(d),
        None => {
            // This test program is TARGET/debug/deps/NAME-HASH.
            let exe = std::env::current_exe().expect("the test program's path");
            let target = exe.ancestors().nth(3).expect("the build folder");
            target
                .join(format!("ballista-cluster-{}", ballista_version()))
                .join("bin")
        }
    };
    let present = ["ballista-scheduler", "ballista-executor"]
        .iter()
        .all(|p| dir.join(p).is_file());
    present.then_some(dir)
}

/// One GET on 127.0.0.1:`port`: the status and the body, or None when nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `ready` every 100 ms until it holds, failing after `limit` with `what` and the logs.
fn wait_for(cluster: &mut Cluster, what: &str, limit: Duration, ready: impl Fn(&Cluster) -> bool) {
    let deadline = Instant::now() + limit;
    while !ready(cluster) {
        if let Ok(Some(status)) = cluster.scheduler.try_wait() {
            panic!("the scheduler exited ({status}):\n{}", cluster.logs());
        }
        for (i, child) in cluster.executors.iter_mut().enumerate() {
            if let Some(Ok(Some(status))) = child.as_mut().map(Child::try_wait) {
                panic!("executor {i} exited ({status}):\n{}", cluster.logs());
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {limit:?}:\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Cluster {
    /// Starts a scheduler and `executors` executors from the programs in `bin`, each with the
    /// variables `env` (those pointing them at the S3 server), and returns once every executor
    /// has registered with the scheduler.
    pub fn start(bin: &Path, executors: usize, env: &[(&'static str, String)]) -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        let log = |name: &str| {
            let f = std::fs::File::create(dir.path().join(format!("{name}.log"))).expect("a log");
            (f.try_clone().expect("a log"), f)
        };
        let (out, err) = log("scheduler");
        let scheduler = Command::new(bin.join("ballista-scheduler"))
            .args(["--bind-host", "127.0.0.1", "--external-host", "127.0.0.1"])
            .args(["--bind-port", &port.to_string()])
            .args(["--min-ready-executors", &executors.to_string()])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("ballista-scheduler starts");
        let mut cluster = Cluster {
            port,
            scheduler,
            executors: Vec::new(),
            dir,
        };
        wait_for(
            &mut cluster,
            "the scheduler answered",
            Duration::from_secs(60),
            |c| get(c.port, "/healthz").is_some_and(|(s, _)| s == 200),
        );
        for i in 0..executors {
            let child = cluster.start_executor(bin, i, env);
            cluster.executors.push(Some(child));
        }
        wait_for(
            &mut cluster,
            "every executor registered with the scheduler",
            Duration::from_secs(120),
            |c| get(c.port, "/readyz").is_some_and(|(s, _)| s == 200),
        );
        cluster
    }

    fn start_executor(&self, bin: &Path, i: usize, env: &[(&'static str, String)]) -> Child {
        let work = self.dir.path().join(format!("executor-{i}"));
        std::fs::create_dir_all(&work).expect("a work folder");
        let out = std::fs::File::create(self.dir.path().join(format!("executor-{i}.log")))
            .expect("a log");
        let err = out.try_clone().expect("a log");
        let port = |p: u16| p.to_string();
        Command::new(bin.join("ballista-executor"))
            .args(["--scheduler-host", "127.0.0.1"])
            .args(["--scheduler-port", &port(self.port)])
            .args(["--bind-host", "127.0.0.1", "--external-host", "127.0.0.1"])
            .args(["--bind-port", &port(free_port())])
            .args(["--bind-grpc-port", &port(free_port())])
            .args(["--bind-health-port", &port(free_port())])
            .args(["--id", &format!("executor-{i}")])
            .arg("--work-dir")
            .arg(&work)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("ballista-executor starts")
    }

    /// Kills executor `i` at once (SIGKILL: no goodbye to the scheduler), as a crashed machine.
    pub fn kill_executor(&mut self, i: usize) {
        if let Some(mut child) = self.executors[i].take() {
            child.kill().expect("the executor is killed");
            let _ = child.wait();
        }
    }

    /// The jobs the scheduler knows of: id → (status word, verbose status).
    pub fn jobs(&self) -> std::collections::BTreeMap<String, (String, String)> {
        self.api("/api/jobs")
            .iter()
            .map(|j| {
                let field = |k: &str| j[k].as_str().unwrap_or_default().to_string();
                (field("job_id"), (field("status"), field("job_status")))
            })
            .collect()
    }

    /// The ids of the executors the scheduler counts as registered.
    pub fn executors(&self) -> Vec<String> {
        self.api("/api/executors")
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect()
    }

    /// A list the scheduler's REST API answers (empty when it does not answer).
    fn api(&self, path: &str) -> Vec<serde_json::Value> {
        match get(self.port, path) {
            Some((200, body)) => serde_json::from_str(&body).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Every process's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        for path in names
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
        {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            all.push_str(&format!("== {} (last lines)\n", path.display()));
            for line in tail.iter().rev() {
                all.push_str(line);
                all.push('\n');
            }
        }
        all
    }
}
