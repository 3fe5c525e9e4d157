//! SIGKILL in the middle of an ingest, at three moments, on disk and on S3: readers see the last
//! good rows throughout, exactly once, and the next run publishes the new export.

use crate::common::s3_server;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use crate::common::{BIN, project, text, write};
use s3_server::S3Server;

const ROWS: u64 = 1_200_000;

/// The export: `ROWS` rows whose amounts add up to a known total (`shift` moves every amount).
fn export(shift: u64) -> (Vec<u8>, u64) {
    let mut out = String::from("voce,importo\n");
    let mut total = 0;
    for i in 0..ROWS {
        let v = i % 1000 + shift;
        total += v;
        out.push_str(&format!("v{i},{v}\n"));
    }
    (out.into_bytes(), total)
}

fn command(p: &Path, env: &[(&'static str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--project")
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(p: &Path, env: &[(&'static str, String)], args: &[&str]) -> Output {
    command(p, env, args).output().expect("the binary runs")
}

/// (rows, total) as a reader sees them now.
fn seen(p: &Path, env: &[(&'static str, String)]) -> (u64, u64) {
    let out = run(
        p,
        env,
        &[
            "query",
            "SELECT COUNT(*), SUM(importo) FROM spese",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let line = stdout.lines().nth(1).unwrap_or_default().to_string();
    let mut f = line.split(',').map(|x| x.parse::<u64>().unwrap_or(0));
    (f.next().unwrap_or(0), f.next().unwrap_or(0))
}

fn kill_at_three_moments(warehouse: &str, env: &[(&'static str, String)]) {
    let settings = format!("warehouse: {warehouse}\n");
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: grande, table: spese, territory: PD, url: grande.csv, format: csv }\n";
    let (a, total_a) = export(0);
    let (b, total_b) = export(1);
    let dir = project(&[
        ("osservatorio.yaml", settings.as_bytes()),
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("grande.csv", &a),
    ]);
    let p = dir.path();
    let started = Instant::now();
    let out = run(p, env, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let took = started.elapsed();
    assert_eq!(seen(p, env), (ROWS, total_a));

    write(p, "grande.csv", &b);
    for fraction in [0.15, 0.5, 0.85] {
        let mut child = command(p, env, &["ingest"])
            .spawn()
            .expect("spawn the ingest");
        let kill_at = Instant::now() + took.mul_f64(fraction);
        // A reader during the ingest sees the last good rows, whole.
        if fraction == 0.5 {
            std::thread::sleep(took.mul_f64(0.2));
            let during = seen(p, env);
            assert!(
                during == (ROWS, total_a) || during == (ROWS, total_b),
                "during the ingest a reader saw {during:?}"
            );
        }
        std::thread::sleep(kill_at.saturating_duration_since(Instant::now()));
        let _ = child.kill();
        let _ = child.wait();
        let after = seen(p, env);
        assert!(
            after == (ROWS, total_a) || after == (ROWS, total_b),
            "after SIGKILL at {fraction} a reader saw {after:?}, not {ROWS} rows exactly once"
        );
        if fraction < 0.2 {
            assert_eq!(
                after,
                (ROWS, total_a),
                "killed early, the new export is not published"
            );
        }
    }
    let out = run(p, env, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(seen(p, env), (ROWS, total_b));
    // What killed runs left behind is gone once a run publishes.
    if !warehouse.starts_with("s3://") {
        let files = std::fs::read_dir(p.join("warehouse/spese/source=grande"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(files, 1, "one data file remains");
    }
}

#[test]
fn sigkill_during_an_ingest_on_disk_leaves_the_last_good_rows() {
    kill_at_three_moments("warehouse/", &[]);
}

#[test]
fn sigkill_during_an_ingest_on_s3_leaves_the_last_good_rows() {
    let s3 = S3Server::start();
    s3.create_bucket("magazzino");
    kill_at_three_moments("s3://magazzino/prova/", &s3.env());
}

/// Files in the folder test, and rows in each.
const FILES: u64 = 100;
const FILE_ROWS: u64 = 5_000;

/// File `f`'s export: `FILE_ROWS` rows `f{f}-{i}` whose amounts move with `shift`.
fn folder_export(f: u64, shift: u64) -> (Vec<u8>, u64) {
    let mut out = String::from("voce,importo\n");
    let mut total = 0;
    for i in 0..FILE_ROWS {
        let v = (i + f) % 100 + shift;
        total += v;
        out.push_str(&format!("f{f}-{i},{v}\n"));
    }
    (out.into_bytes(), total)
}

/// Per file, (rows, total) as a reader sees them now.
fn seen_per_file(p: &Path) -> Vec<(u64, u64)> {
    let out = run(
        p,
        &[],
        &[
            "query",
            "SELECT split_part(voce, '-', 1) AS f, COUNT(*), SUM(importo) FROM spese GROUP BY 1 ORDER BY CAST(substr(split_part(voce, '-', 1), 2) AS BIGINT)",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split(',').skip(1).map(|x| x.parse::<u64>().unwrap_or(0));
            (f.next().unwrap_or(0), f.next().unwrap_or(0))
        })
        .collect()
}

#[test]
fn sigkill_during_a_folder_of_deliveries_leaves_each_one_old_or_new_never_a_mix() {
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: cartella, table: spese, territory: PD, url: \"consegne/*.csv\", format: csv }\n";
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let p = dir.path();
    let mut old = Vec::new();
    let mut new = Vec::new();
    for f in 0..FILES {
        let (a, ta) = folder_export(f, 0);
        let (_, tb) = folder_export(f, 7);
        write(p, &format!("consegne/{f:03}.csv"), &a);
        old.push((FILE_ROWS, ta));
        new.push((FILE_ROWS, tb));
    }
    let started = Instant::now();
    let out = run(p, &[], &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let took = started.elapsed();
    assert_eq!(seen_per_file(p), old);
    for f in 0..FILES {
        write(p, &format!("consegne/{f:03}.csv"), &folder_export(f, 7).0);
    }
    for fraction in [0.3, 0.7] {
        let mut child = command(p, &[], &["ingest"])
            .spawn()
            .expect("spawn the ingest");
        std::thread::sleep(took.mul_f64(fraction));
        let _ = child.kill();
        let _ = child.wait();
        let after = seen_per_file(p);
        assert_eq!(after.len(), FILES as usize, "every delivery is still read");
        for (f, got) in after.iter().enumerate() {
            assert!(
                *got == old[f] || *got == new[f],
                "after SIGKILL at {fraction}, file {f} read {got:?}: neither its old {:?} nor its new {:?}",
                old[f],
                new[f]
            );
        }
    }
    let out = run(p, &[], &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(seen_per_file(p), new);
    let files = std::fs::read_dir(p.join("warehouse/spese/source=cartella"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, FILES as usize, "one data file per delivery remains");
}
