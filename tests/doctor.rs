//! Damage and overlap: a render never mixes two runs' pages and a sign-off refuses pages of two
//! runs; a command that stops early gives the run lock back; and `osservatorio doctor` names
//! every damaged file of a project, with the command that repairs it, and `doctor --fix` repairs.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, osservatorio, project, text, write};

const PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.csv, format: csv }\n";

const INDICATORS: &str = "indicators:\n  - id: spesa\n    title: Spesa\n    kind: output\n    unit: euro\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n";

const DASHBOARDS: [(&str, &str); 2] = [
    (
        "dashboards/spese.yaml",
        "id: spese\ntitle: Spese\nsections:\n  - title: Spesa\n    charts:\n      - { type: trend, indicator: spesa, territories: [PD] }\n",
    ),
    (
        "dashboards/riepilogo.yaml",
        "id: riepilogo\ntitle: Riepilogo\nsections:\n  - title: Spesa\n    charts:\n      - { type: table, indicators: [spesa], territories: [PD] }\n",
    ),
];

const EXPORT: &[u8] = b"mese,voce,importo\n2024-01-01,vitto,40\n2024-02-01,vitto,50\n";

/// A small project with one source, one indicator and two dashboards, run once.
fn ran_project() -> tempfile::TempDir {
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("indicators/i.yaml", INDICATORS.as_bytes()),
        (DASHBOARDS[0].0, DASHBOARDS[0].1.as_bytes()),
        (DASHBOARDS[1].0, DASHBOARDS[1].1.as_bytes()),
        ("spese.csv", EXPORT),
    ]);
    let out = osservatorio(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

fn run_with(p: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--project")
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Plants a run lock held by process `pid` of `host`, with the given heartbeat.
fn plant_lock(p: &Path, host: &str, pid: u32, heartbeat: &str) {
    let holder = serde_json::json!({
        "host": host, "pid": pid, "command": "run",
        "started_at": heartbeat, "heartbeat_at": heartbeat, "token": "planted",
    });
    write(p, "warehouse/_lock.json", holder.to_string().as_bytes());
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn render_record(p: &Path) -> String {
    std::fs::read_to_string(p.join("out/render.json")).expect("render.json")
}

// ---- A. Signed-off bundles never mix two runs ----

#[test]
fn render_does_not_draw_while_another_run_holds_the_project() {
    let dir = ran_project();
    let p = dir.path();
    let before = render_record(p);
    // A run in progress: this test's own process, alive on this machine.
    plant_lock(p, &host(), std::process::id(), &now());
    let out = run_with(p, &[("OSSERVATORIO_LOCK_WAIT", "0")], &["render"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("another run still holds the project"),
        "{}",
        text(&out)
    );
    assert_eq!(render_record(p), before, "nothing was drawn");
    assert!(
        p.join("warehouse/_lock.json").exists(),
        "the holder's lock stays"
    );
}

#[test]
fn render_waits_for_the_run_in_progress_then_draws() {
    let dir = ran_project();
    let p = dir.path();
    let before = render_record(p);
    let mut holder = Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("a holder process");
    plant_lock(p, &host(), holder.id(), &now());
    let mut render = Command::new(BIN)
        .args(["render", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("render");
    // Render says it waits; only then does the holder end.
    let stderr = render.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut before_wait = Vec::new();
    let waits = loop {
        match lines.next() {
            Some(Ok(l)) if l.contains("waiting for the run in progress") => break true,
            Some(Ok(l)) => before_wait.push(l),
            _ => break false,
        }
    };
    assert!(waits, "render waits for the holder: {before_wait:?}");
    holder.kill().expect("kill the holder");
    holder.wait().expect("reap the holder");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = render.wait().expect("render ends");
    assert_eq!(status.code(), Some(0), "{}", rest.join("\n"));
    assert_ne!(render_record(p), before, "drawn once the holder ended");
    assert!(!p.join("warehouse/_lock.json").exists(), "and released");
}

#[test]
fn a_command_that_fails_early_gives_the_lock_back() {
    let dir = ran_project();
    let p = dir.path();
    // A damaged manifest: compute stops before computing anything.
    write(
        p,
        "warehouse/_manifests/spese-pd.json",
        b"{\"source\": \"spe",
    );
    let out = osservatorio(p, &["compute"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        !p.join("warehouse/_lock.json").exists(),
        "the lock is released after an early error: {}",
        text(&out)
    );
}

#[test]
fn every_page_records_its_run_and_publish_refuses_pages_of_two_runs() {
    let dir = ran_project();
    let p = dir.path();
    let record: serde_json::Value = serde_json::from_str(&render_record(p)).expect("JSON");
    let run = record["run_id"].as_str().expect("a run id").to_string();
    for page in [
        "out/index.html",
        "out/spese/index.html",
        "out/riepilogo/index.html",
    ] {
        let html = std::fs::read_to_string(p.join(page)).expect("a page");
        assert!(
            html.contains(&format!(
                "<meta name=\"osservatorio-run\" content=\"{run}\">"
            )),
            "{page} records its run"
        );
    }
    // One dashboard's pages come from another run (a render killed half-way, or one that
    // overlapped a run).
    let page = p.join("out/riepilogo/index.html");
    let html = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, html.replace(&run, "20240101T000000Z-00042")).expect("plant");
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("riepilogo/index.html"), "{t}");
    assert!(t.contains("20240101T000000Z-00042"), "{t}");
    assert!(!t.contains("spese/index.html"), "{t}");
    let published = p.join("out/published");
    let bundles = std::fs::read_dir(&published)
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    assert_eq!(bundles, 0, "no bundle was signed off");
    // Rendered again, whole: the sign-off goes through.
    assert_eq!(osservatorio(p, &["render"]).status.code(), Some(0));
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_next_render_removes_what_a_killed_render_left_behind() {
    let dir = ran_project();
    let p = dir.path();
    let leftovers = [
        "out/.spese-20240101T000000Z-00042/index.html",
        "out/.spese-20240101T000000Z-00042/chart-01.svg",
        "out/riepilogo.old/index.html",
    ];
    for f in leftovers {
        write(p, f, b"half a page");
    }
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!p.join("out/.spese-20240101T000000Z-00042").exists());
    assert!(!p.join("out/riepilogo.old").exists());
    assert!(p.join("out/spese/index.html").exists());
    // And a run does the same.
    write(p, leftovers[0], b"half a page");
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!p.join("out/.spese-20240101T000000Z-00042").exists());
}
