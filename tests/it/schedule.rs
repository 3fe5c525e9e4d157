//! The scheduler as an office runs it: catch-up after downtime, runs on time, a clean stop on
//! SIGTERM that lets the run in progress finish, and a ledger that says what ran.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{BIN, osservatorio, osservatorio_env, project, text};

fn pipeline(schedule: &str) -> String {
    format!(
        "name: p\nschedule: \"{schedule}\"\ntables:\n  spese:\n    columns: {{ voce: string, importo: int }}\nsources:\n  - {{ name: spese, table: spese, territory: PD, url: spese.csv, format: csv }}\n"
    )
}

fn export(rows: u64) -> Vec<u8> {
    let mut out = String::from("voce,importo\n");
    for i in 0..rows {
        out.push_str(&format!("v{i},{}\n", i % 100));
    }
    out.into_bytes()
}

fn start_scheduler(p: &std::path::Path) -> Child {
    Command::new(BIN)
        .args(["schedule", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the scheduler")
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
}

/// The ledger as JSON, newest first.
fn ledger(p: &std::path::Path) -> Vec<serde_json::Value> {
    let out = osservatorio(p, &["runs", "--format", "json", "--limit", "100"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("the ledger as JSON")
}

/// The scheduler's log lines as they come (a reader thread drains its stderr so it never blocks).
fn log_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child
        .stderr
        .take()
        .expect("the scheduler's stderr is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits until the scheduler logs a line containing `needle`: the event the test orders on. The
/// bound only keeps a broken scheduler from hanging the suite.
fn wait_for_log(lines: &mpsc::Receiver<String>, needle: &str) {
    let until = Instant::now() + Duration::from_secs(600);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => continue,
            Err(e) => panic!("the scheduler never logged '{needle}': {e}"),
        }
    }
}

/// Waits until the run in progress holds the project (its lock file is there): the run has
/// begun. The bound only keeps a broken scheduler from hanging the suite.
fn wait_for_run_to_hold_the_project(p: &std::path::Path) {
    let lock = p.join("warehouse/_lock.json");
    let until = Instant::now() + Duration::from_secs(600);
    while !lock.exists() {
        assert!(Instant::now() < until, "no run took the project's lock");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `done` holds: the event the test orders on. The bound only keeps a broken scheduler
/// from hanging the suite; a loaded machine fires late, not never.
fn wait_for(mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(600);
    while !done() {
        assert!(Instant::now() < until, "timed out");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_missed_run_is_caught_up_once_and_sigterm_lets_the_run_finish() {
    // Daily at 03:00: the last fire time has passed and nothing ran since.
    let dir = project(&[
        ("pipelines/p.yaml", pipeline("0 0 3 * * *").as_bytes()),
        ("spese.csv", &export(600_000)),
    ]);
    let p = dir.path();
    let mut scheduler = start_scheduler(p);
    let lines = log_lines(&mut scheduler);
    // SIGTERM while the catch-up run is ingesting: the run finishes, then the scheduler stops.
    wait_for_log(&lines, "catching up");
    wait_for_run_to_hold_the_project(p);
    sigterm(&scheduler);
    let status = scheduler.wait().expect("the scheduler stops");
    assert!(status.success(), "{status:?}");
    let runs = ledger(p);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["trigger"], "catch-up");
    assert_eq!(runs[0]["stopped_after"], true);
    assert_eq!(runs[0]["failed"], false);
    // The warehouse is whole: every row of the export, once.
    let out = osservatorio(
        p,
        &["query", "SELECT COUNT(*) FROM spese", "--format", "csv"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some("600000")
    );
    assert!(!p.join("warehouse/_lock.json").exists());

    // Started again, there is nothing to catch up.
    let mut scheduler = start_scheduler(p);
    let lines = log_lines(&mut scheduler);
    // Once it names its next run it has decided there is nothing to catch up.
    wait_for_log(&lines, "next run");
    sigterm(&scheduler);
    assert!(scheduler.wait().expect("stops").success());
    assert_eq!(ledger(p).len(), 1, "no second catch-up");
}

#[test]
fn runs_fire_on_their_schedule_and_the_ledger_filters_them() {
    let dir = project(&[
        ("pipelines/p.yaml", pipeline("*/2 * * * * *").as_bytes()),
        ("spese.csv", &export(10)),
    ]);
    let p = dir.path();
    let mut scheduler = start_scheduler(p);
    wait_for(|| {
        ledger(p)
            .iter()
            .filter(|r| r["trigger"] == "schedule")
            .count()
            >= 2
    });
    sigterm(&scheduler);
    assert!(scheduler.wait().expect("stops").success());
    let runs = ledger(p);
    for r in runs.iter().filter(|r| r["trigger"] == "schedule") {
        let started = chrono::DateTime::parse_from_rfc3339(r["started_at"].as_str().unwrap_or(""))
            .expect("a start time");
        // Fired on an even second (it may start a moment after, never before).
        let ms = started.timestamp_millis() % 2000;
        assert!(ms < 1500, "started {ms} ms after its tick: {r}");
    }
    // Filters and formats.
    let out = osservatorio(
        p,
        &["runs", "--pipeline", "p", "--limit", "1", "--format", "csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let out = osservatorio(p, &["runs", "--failed", "--format", "json"]);
    let failed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(failed.is_empty());
    let out = osservatorio(p, &["schedule", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        6,
        "{}",
        text(&out)
    );
}

#[test]
fn a_run_that_outlasts_the_stop_timeout_is_abandoned_without_partial_output() {
    let dir = project(&[
        ("pipelines/p.yaml", pipeline("0 0 3 * * *").as_bytes()),
        ("spese.csv", &export(3_000_000)),
    ]);
    let p = dir.path();
    let mut scheduler = Command::new(BIN)
        .args(["schedule", "--stop-timeout", "1", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the scheduler");
    let lines = log_lines(&mut scheduler);
    wait_for_log(&lines, "catching up");
    wait_for_run_to_hold_the_project(p);
    sigterm(&scheduler);
    // It does not wait for the run: the ledger records the run abandoned, not finished.
    scheduler.wait().expect("the scheduler stops");
    let runs = ledger(p);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["abandoned"], true, "{}", runs[0]);
    // Nothing of the abandoned run is published.
    let out = osservatorio(
        p,
        &["query", "SELECT COUNT(*) FROM spese", "--format", "csv"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some("0")
    );
    assert!(!p.join("warehouse/_lock.json").exists());
}

#[test]
fn two_schedulers_on_one_project_never_overlap() {
    let dir = project(&[
        ("pipelines/p.yaml", pipeline("*/2 * * * * *").as_bytes()),
        ("spese.csv", &export(400_000)),
    ]);
    let p = dir.path();
    let mut a = start_scheduler(p);
    let mut b = start_scheduler(p);
    wait_for(|| ledger(p).len() >= 4);
    sigterm(&a);
    sigterm(&b);
    assert!(a.wait().expect("stops").success());
    assert!(b.wait().expect("stops").success());
    let mut spans: Vec<(String, String)> = ledger(p)
        .iter()
        .map(|r| {
            (
                r["started_at"].as_str().unwrap_or("").to_string(),
                r["finished_at"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "two runs overlap: {w:?}");
    }
}

#[test]
fn the_next_runs_are_listed_from_the_instant_the_clock_is_set_to() {
    // Hand-computed: at 06:00 UTC on 28 March 2026 the 06:30 Rome run of that day (05:30 UTC)
    // has passed; summer time starts on the 29th, so the next ones are at 04:30 UTC.
    let dir = project(&[("pipelines/p.yaml", pipeline("0 30 6 * * *").as_bytes())]);
    let p = dir.path();
    let out = osservatorio_env(
        p,
        &["schedule", "--dry-run"],
        &[("OSSERVATORIO_NOW", "2026-03-28T06:00:00Z".to_string())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "p (0 30 6 * * *, Europe/Rome):\n  2026-03-29 06:30:00 CEST (UTC+02:00)\n  2026-03-30 06:30:00 CEST (UTC+02:00)\n  2026-03-31 06:30:00 CEST (UTC+02:00)\n  2026-04-01 06:30:00 CEST (UTC+02:00)\n  2026-04-02 06:30:00 CEST (UTC+02:00)\n"
    );
}

#[test]
fn a_clock_set_to_no_instant_is_refused_not_read_as_the_system_clock() {
    let dir = project(&[("pipelines/p.yaml", pipeline("0 30 6 * * *").as_bytes())]);
    let out = osservatorio_env(
        dir.path(),
        &["schedule", "--dry-run"],
        &[("OSSERVATORIO_NOW", "28/03/2026 06:00".to_string())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("OSSERVATORIO_NOW='28/03/2026 06:00' is not an instant; write it as 2026-11-05T08:00:00Z"),
        "{}",
        text(&out)
    );
}
