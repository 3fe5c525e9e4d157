//! Damage and overlap: a render never mixes two runs' pages and a sign-off refuses pages of two
//! runs; a command that stops early gives the run lock back; and `osservatorio doctor` names
//! every damaged file of a project, with the command that repairs it, and `doctor --fix` repairs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::{BIN, command, osservatorio, project, query, stored_file, text, write};

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
    command(p, args)
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
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

// ---- B. `osservatorio doctor [--fix]`, and errors that say what is damaged ----

/// Flips bytes in the middle of a file, as a failing disk or a bad copy does.
fn flip_bytes(path: &Path) {
    let mut bytes = std::fs::read(path).expect("the file");
    let end = bytes.len().saturating_sub(200).max(8);
    for b in bytes.iter_mut().take(end).skip(8) {
        *b ^= 0xff;
    }
    std::fs::write(path, bytes).expect("damage the file");
}

/// Files below `dir` (recursively) whose name is `name`.
fn found_below(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if e.file_name().to_string_lossy() == name {
                out.push(path);
            }
        }
    }
    out
}

fn assert_doctor_finds(p: &Path, expected: &[&str]) -> String {
    let out = osservatorio(p, &["doctor"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for e in expected {
        assert!(t.contains(e), "doctor names {e}: {t}");
    }
    assert!(t.contains("osservatorio doctor --fix"), "{t}");
    t
}

fn assert_doctor_fixes(p: &Path) -> String {
    let out = osservatorio(p, &["doctor", "--fix"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let out = osservatorio(p, &["doctor"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "all good after the fix: {}",
        text(&out)
    );
    t
}

#[test]
fn a_healthy_project_passes_the_doctor() {
    let dir = ran_project();
    let out = osservatorio(dir.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("ok"), "{}", text(&out));
}

#[test]
fn a_damaged_data_file_is_named_with_its_source_and_fix_ingests_it_again() {
    let dir = ran_project();
    let p = dir.path();
    let file = stored_file(p, "spese-pd").expect("a data file");
    let name = file
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    flip_bytes(&file);
    // The error names the file and its source, and the remedy.
    let out = osservatorio(p, &["compute", "--indicator", "spesa"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(&name), "{t}");
    assert!(t.contains("of source spese-pd is damaged"), "{t}");
    assert!(t.contains("osservatorio doctor --fix"), "{t}");
    let out = osservatorio(p, &["query", "SELECT SUM(importo) FROM spese"]);
    assert!(text(&out).contains(&name), "{}", text(&out));

    assert_doctor_finds(p, &[&name, "spese-pd"]);
    let t = assert_doctor_fixes(p);
    assert!(t.contains("ingested source spese-pd again"), "{t}");
    // The damaged bytes are kept aside, never deleted.
    assert_eq!(
        found_below(&p.join("warehouse/_quarantine"), &name).len(),
        1,
        "{t}"
    );
    assert_eq!(
        query(p, "SELECT SUM(importo) FROM spese"),
        vec![vec!["90.0".to_string()]]
    );
}

#[test]
fn a_truncated_manifest_is_named_and_fix_reads_the_export_afresh() {
    let dir = ran_project();
    let p = dir.path();
    let manifest = p.join("warehouse/_manifests/spese-pd.json");
    let bytes = std::fs::read(&manifest).expect("manifest");
    std::fs::write(&manifest, &bytes[..bytes.len() / 2]).expect("truncate");
    for args in [&["compute"][..], &["ingest", "--full"][..]] {
        let out = osservatorio(p, args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {t}");
        assert!(t.contains("_manifests/spese-pd.json"), "{t}");
        assert!(t.contains("of source spese-pd is damaged"), "{t}");
        assert!(t.contains("osservatorio doctor --fix"), "{t}");
    }
    assert_doctor_finds(p, &["_manifests/spese-pd.json", "spese-pd"]);
    assert_doctor_fixes(p);
    let aside = found_below(&p.join("warehouse/_quarantine"), "spese-pd.json");
    assert_eq!(aside.len(), 1, "the damaged manifest is kept aside");
    assert_eq!(
        std::fs::read(&aside[0]).expect("kept"),
        &bytes[..bytes.len() / 2]
    );
    let out = osservatorio(p, &["compute"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_garbage_indicator_table_is_rebuilt_not_a_dead_end() {
    let dir = ran_project();
    let p = dir.path();
    write(p, "out/indicators.parquet", b"not a parquet file at all");
    assert_doctor_finds(p, &["indicators.parquet"]);
    // render computes it again, then draws.
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        query(
            p,
            "SELECT COUNT(*) FROM indicators WHERE indicator = 'spesa' AND grain = 'month' AND territory = 'PD'"
        ),
        vec![vec!["2".to_string()]]
    );
    // So does compute, and doctor --fix.
    write(p, "out/indicators.parquet", b"garbage again");
    let out = osservatorio(p, &["compute"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    write(p, "out/indicators.parquet", b"garbage once more");
    assert_doctor_fixes(p);
    assert_eq!(
        query(
            p,
            "SELECT COUNT(*) FROM indicators WHERE indicator = 'spesa' AND grain = 'month' AND territory = 'PD'"
        ),
        vec![vec!["2".to_string()]]
    );
}

#[test]
fn a_garbage_lock_is_reported_with_its_remedy_and_fix_removes_it() {
    let dir = ran_project();
    let p = dir.path();
    write(p, "warehouse/_lock.json", b"\x00\x01garbage{");
    let out = osservatorio(p, &["compute"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("_lock.json"), "{t}");
    assert!(t.contains("damaged"), "{t}");
    assert!(t.contains("osservatorio doctor --fix"), "{t}");
    assert_doctor_finds(p, &["_lock.json"]);
    assert_doctor_fixes(p);
    assert!(!p.join("warehouse/_lock.json").exists());
    let out = osservatorio(p, &["compute"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_foreign_lock_with_a_heartbeat_in_the_future_does_not_block_forever() {
    let dir = ran_project();
    let p = dir.path();
    plant_lock(p, "another-machine", 4242, "2099-01-01T00:00:00+00:00");
    // Refused at once with the remedy (a short wait only so that a regression fails, not hangs).
    let out = run_with(p, &[("OSSERVATORIO_LOCK_WAIT", "5")], &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("heartbeat in the future"), "{t}");
    assert!(t.contains("osservatorio doctor --fix"), "{t}");
    assert!(!t.contains("waiting for the run in progress"), "{t}");
    assert_doctor_finds(p, &["_lock.json", "in the future"]);
    assert_doctor_fixes(p);
    assert!(!p.join("warehouse/_lock.json").exists());
}

#[test]
fn a_lock_a_live_process_holds_is_not_removed_by_the_doctor() {
    let dir = ran_project();
    let p = dir.path();
    plant_lock(p, &host(), std::process::id(), &now());
    let out = run_with(p, &[("OSSERVATORIO_LOCK_WAIT", "0")], &["doctor", "--fix"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(p.join("warehouse/_lock.json").exists(), "{}", text(&out));
}

#[test]
fn unreadable_run_and_history_records_are_skipped_reported_and_moved_aside() {
    let dir = ran_project();
    let p = dir.path();
    let bad_run = "20200101T000000Z-00001";
    write(
        p,
        &format!("warehouse/_runs/{bad_run}.json"),
        b"{\"run_id\": 12",
    );
    write(
        p,
        &format!("warehouse/_history/{bad_run}.parquet"),
        b"PAR1 not really",
    );
    let out = osservatorio(p, &["runs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("run"), "the good runs are listed: {stdout}");
    assert!(
        stderr.contains(&format!("_runs/{bad_run}.json")),
        "{stderr}"
    );
    let out = osservatorio(p, &["history", "spesa"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2024-01"),
        "{}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("_history/{bad_run}.parquet")),
        "{}",
        text(&out)
    );
    assert_doctor_finds(
        p,
        &[
            &format!("_runs/{bad_run}.json"),
            &format!("_history/{bad_run}.parquet"),
        ],
    );
    assert_doctor_fixes(p);
    assert!(!p.join(format!("warehouse/_runs/{bad_run}.json")).exists());
    assert_eq!(
        found_below(&p.join("warehouse/_quarantine"), &format!("{bad_run}.json")).len(),
        1
    );
    assert_eq!(
        found_below(
            &p.join("warehouse/_quarantine"),
            &format!("{bad_run}.parquet")
        )
        .len(),
        1
    );
    let out = osservatorio(p, &["runs"]);
    assert!(out.stderr.is_empty(), "{}", text(&out));
}
