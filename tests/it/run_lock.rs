//! One run at a time per project, across processes: a second run waits for the first, and the
//! lock of a holder that died is taken over.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{BIN, project, text, write};

fn big_export(rows: u64) -> Vec<u8> {
    let mut out = String::from("voce,importo\n");
    for i in 0..rows {
        out.push_str(&format!("v{i},{}\n", i % 1000));
    }
    out.into_bytes()
}

const PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: grande, table: spese, territory: PD, url: grande.csv, format: csv }\n";

/// (started, finished) of every run recorded in the warehouse.
fn run_spans(p: &std::path::Path) -> Vec<(String, String)> {
    let mut spans: Vec<(String, String)> = std::fs::read_dir(p.join("warehouse/_runs"))
        .expect("run records")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| {
            (
                v["started_at"].as_str().unwrap_or("").to_string(),
                v["finished_at"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    spans.sort();
    spans
}

#[test]
fn a_second_run_waits_for_the_first_and_they_never_overlap() {
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("grande.csv", &big_export(800_000)),
    ]);
    let p = dir.path();
    let spawn = || {
        Command::new(BIN)
            .args(["ingest", "--full", "--project"])
            .arg(p)
            .env("OSSERVATORIO_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let first = spawn();
    // The second starts once the first holds the project (its lock file is there).
    let lock = p.join("warehouse/_lock.json");
    let until = std::time::Instant::now() + Duration::from_secs(600);
    while !lock.exists() {
        assert!(
            std::time::Instant::now() < until,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = spawn();
    let first = first.wait_with_output().expect("first run");
    let second = second.wait_with_output().expect("second run");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    // Whichever started second waited for the other.
    assert!(
        text(&second).contains("waiting for the run in progress")
            || text(&first).contains("waiting for the run in progress"),
        "{}\n{}",
        text(&first),
        text(&second)
    );
    let spans = run_spans(p);
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert!(
        spans[0].1 <= spans[1].0,
        "the second run started before the first ended: {spans:?}"
    );
    assert!(
        !p.join("warehouse/_lock.json").exists(),
        "the lock is released"
    );
}

#[test]
fn the_lock_of_a_holder_that_died_is_taken_over() {
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("grande.csv", &big_export(10)),
    ]);
    let p = dir.path();
    // A process that has ended: its pid names nobody any more.
    let mut gone = Command::new("true").spawn().expect("spawn true");
    let pid = gone.id();
    gone.wait().expect("wait");
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let holder = serde_json::json!({
        "host": host, "pid": pid, "command": "schedule",
        "started_at": "2026-01-01T06:30:00+00:00", "heartbeat_at": "2026-01-01T06:30:00+00:00",
        "token": "dead",
    });
    write(p, "warehouse/_lock.json", holder.to_string().as_bytes());
    let out = Command::new(BIN)
        .args(["ingest", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("ingest");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("taking over the run lock"),
        "{}",
        text(&out)
    );
    assert!(!p.join("warehouse/_lock.json").exists());
}
