//! SIGKILL in the middle of an ingest, at three moments, on disk and on S3: readers see the last
//! good rows throughout, exactly once, and the next run publishes the new export. Each moment is
//! an event the test sees in the warehouse (the run's lock, a data file not yet published, the
//! manifest naming the new file), never a fraction of a measured time.

use std::path::{Path, PathBuf};

use std::process::{Child, Output, Stdio};

use crate::common::s3_server::S3Server;
use crate::common::{command, project, text, wait_while_running, write};

const ROWS: u64 = 1_200_000;

/// How often a moment may be missed (the run ended before the test saw it) before the test fails.
const ATTEMPTS: u64 = 5;

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

fn spawn(p: &Path, env: &[(&'static str, String)], args: &[&str]) -> Child {
    command(p, args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the binary")
}

fn run(p: &Path, env: &[(&'static str, String)], args: &[&str]) -> Output {
    command(p, args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the binary runs")
}

/// The query's rows after the header, each split at commas into numbers.
fn numbers(p: &Path, env: &[(&'static str, String)], sql: &str) -> Vec<Vec<u64>> {
    let out = run(p, env, &["query", sql, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|x| x.parse().unwrap_or(0)).collect())
        .collect()
}

/// (rows, total) as a reader sees them now.
fn seen(p: &Path, env: &[(&'static str, String)]) -> (u64, u64) {
    let rows = numbers(p, env, "SELECT COUNT(*), SUM(importo) FROM spese");
    let first = rows.first().cloned().unwrap_or_default();
    (
        first.first().copied().unwrap_or(0),
        first.get(1).copied().unwrap_or(0),
    )
}

/// The warehouse as the test reads it beside the binary: a folder, or a prefix on the S3 server.
enum Stored<'a> {
    Disk(PathBuf),
    S3(&'a S3Server, &'static str, &'static str),
}

impl Stored<'_> {
    /// The object at `rel` in the warehouse, if there is one.
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        match self {
            Stored::Disk(root) => std::fs::read(root.join(rel)).ok(),
            Stored::S3(server, bucket, prefix) => server.get(bucket, &format!("{prefix}{rel}")),
        }
    }

    /// The Parquet files in the warehouse folder `rel`, by name.
    fn data_files(&self, rel: &str) -> Vec<String> {
        let names: Vec<String> = match self {
            Stored::Disk(root) => std::fs::read_dir(root.join(rel))
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
            Stored::S3(server, bucket, prefix) => server
                .keys(bucket, &format!("{prefix}{rel}/"))
                .iter()
                .filter_map(|k| k.rsplit('/').next().map(str::to_string))
                .collect(),
        };
        names
            .into_iter()
            .filter(|n| n.ends_with(".parquet"))
            .collect()
    }

    /// What the warehouse holds of the run's progress now.
    fn state(&self) -> State {
        let manifest = self.read("_manifests/grande.json");
        let published = manifest
            .as_deref()
            .and_then(|m| serde_json::from_slice::<serde_json::Value>(m).ok())
            .and_then(|m| m["published"]["file"].as_str().map(str::to_string));
        State {
            lock: self.read("_lock.json"),
            files: self.data_files("spese/source=grande"),
            published,
        }
    }
}

/// The lock, the data files and the file the manifest publishes.
#[derive(Debug, PartialEq)]
struct State {
    lock: Option<Vec<u8>>,
    files: Vec<String>,
    published: Option<String>,
}

/// When the test kills the ingest.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// The run holds the project (a lock of its own): it reads, nothing of it is stored yet.
    Begun,
    /// A data file the warehouse did not hold is stored; the manifest may not name it yet.
    Staged,
    /// The manifest names the new file; the old one may not be removed yet.
    Published,
}

impl Moment {
    fn reached(self, before: &State, now: &State) -> bool {
        match self {
            Moment::Begun => now.lock.is_some() && now.lock != before.lock,
            Moment::Staged => now.files.iter().any(|f| !before.files.contains(f)),
            Moment::Published => now.published != before.published,
        }
    }
}

/// Writes a new export, starts an ingest and kills it at `moment`. True when it was killed there;
/// false when the run ended before the test saw the moment come (it published the export).
fn kill_at(
    moment: Moment,
    p: &Path,
    env: &[(&'static str, String)],
    wh: &Stored,
    last_good: (u64, u64),
    new: (u64, u64),
) -> bool {
    let before = wh.state();
    let mut child = spawn(p, env, &["ingest"]);
    if moment == Moment::Staged
        && wait_while_running(&mut child, || Moment::Begun.reached(&before, &wh.state()))
    {
        // A reader during the ingest sees the last good rows, whole.
        let during = seen(p, env);
        assert!(
            during == last_good || during == new,
            "during the ingest a reader saw {during:?}"
        );
    }
    let killed = wait_while_running(&mut child, || moment.reached(&before, &wh.state()));
    let _ = child.kill();
    let _ = child.wait();
    killed
}

/// `s3`: the server the warehouse `warehouse` is on, if it is not a folder of the project.
fn kill_at_three_moments(warehouse: &str, env: &[(&'static str, String)], s3: Option<&S3Server>) {
    let settings = format!("warehouse: {warehouse}\n");
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: grande, table: spese, territory: PD, url: grande.csv, format: csv }\n";
    let (a, total_a) = export(0);
    let dir = project(&[
        ("osservatorio.yaml", settings.as_bytes()),
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("grande.csv", &a),
    ]);
    let p = dir.path();
    let wh = match s3 {
        Some(server) => Stored::S3(server, "magazzino", "prova/"),
        None => Stored::Disk(p.join("warehouse")),
    };
    let out = run(p, env, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut last_good = (ROWS, total_a);
    assert_eq!(seen(p, env), last_good);

    let mut shift = 0;
    for moment in [Moment::Begun, Moment::Staged, Moment::Published] {
        let mut attempts = 0;
        loop {
            shift += 1;
            attempts += 1;
            let (b, total_b) = export(shift);
            write(p, "grande.csv", &b);
            let new = (ROWS, total_b);
            let killed = kill_at(moment, p, env, &wh, last_good, new);
            let after = seen(p, env);
            assert!(
                after == last_good || after == new,
                "after SIGKILL at {moment:?} a reader saw {after:?}, not {ROWS} rows exactly once"
            );
            if !killed {
                assert_eq!(after, new, "a run that ended publishes the new export");
                assert!(
                    attempts < ATTEMPTS,
                    "the runs kept ending before {moment:?}"
                );
                last_good = new;
                continue;
            }
            match moment {
                Moment::Begun => assert_eq!(
                    after, last_good,
                    "killed as it began, the new export is not published"
                ),
                Moment::Published => assert_eq!(after, new, "killed once published, it stays"),
                Moment::Staged => {}
            }
            last_good = after;
            break;
        }
    }
    let (_, total) = export(shift);
    let out = run(p, env, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(seen(p, env), (ROWS, total));
    // What killed runs left behind is gone once a run publishes.
    assert_eq!(
        wh.data_files("spese/source=grande").len(),
        1,
        "one data file remains"
    );
}

#[test]
fn sigkill_during_an_ingest_on_disk_leaves_the_last_good_rows() {
    kill_at_three_moments("warehouse/", &[], None);
}

#[test]
fn sigkill_during_an_ingest_on_s3_leaves_the_last_good_rows() {
    let s3 = S3Server::start();
    s3.create_bucket("magazzino");
    kill_at_three_moments("s3://magazzino/prova/", &s3.env(), Some(&s3));
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
    numbers(
        p,
        &[],
        "SELECT CAST(substr(split_part(voce, '-', 1), 2) AS BIGINT) AS f, COUNT(*), SUM(importo) FROM spese GROUP BY 1 ORDER BY 1",
    )
    .iter()
    .map(|r| (r.get(1).copied().unwrap_or(0), r.get(2).copied().unwrap_or(0)))
    .collect()
}

/// Writes every file's export moved by `shift`; returns each file's (rows, total).
fn write_folder(p: &Path, shift: u64) -> Vec<(u64, u64)> {
    (0..FILES)
        .map(|f| {
            let (bytes, total) = folder_export(f, shift);
            write(p, &format!("consegne/{f:03}.csv"), &bytes);
            (FILE_ROWS, total)
        })
        .collect()
}

#[test]
fn sigkill_during_a_folder_of_deliveries_leaves_each_one_old_or_new_never_a_mix() {
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: cartella, table: spese, territory: PD, url: \"consegne/*.csv\", format: csv }\n";
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let p = dir.path();
    let old = write_folder(p, 0);
    let out = run(p, &[], &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(seen_per_file(p), old);
    let new = write_folder(p, 7);
    let manifest = p.join("warehouse/_manifests/cartella.json");
    // Killed each time the run has rewritten the manifest once (a group of deliveries is
    // published, the others not yet).
    for kill in 1..=2 {
        let before = std::fs::read(&manifest).ok();
        let mut child = spawn(p, &[], &["ingest"]);
        let killed = wait_while_running(&mut child, || std::fs::read(&manifest).ok() != before);
        let _ = child.kill();
        let _ = child.wait();
        let after = seen_per_file(p);
        assert_eq!(after.len(), FILES as usize, "every delivery is still read");
        for (f, got) in after.iter().enumerate() {
            assert!(
                *got == old[f] || *got == new[f],
                "after SIGKILL {kill} (killed: {killed}), file {f} read {got:?}: neither its old {:?} nor its new {:?}",
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

/// A SIGKILL in the middle of writing a file leaves the local store's unfinished copy
/// (`NAME#N`, which the store never lists): the next ingest removes it with the other files no
/// manifest names, so a folder of deliveries does not keep one more file after every such kill.
#[test]
fn a_file_a_killed_write_left_unfinished_is_removed_by_the_next_ingest() {
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: int }\nsources:\n  - { name: cartella, table: spese, territory: PD, url: \"consegne/*.csv\", format: csv }\n";
    let dir = project(&[("pipelines/p.yaml", pipeline.as_bytes())]);
    let p = dir.path();
    write(p, "consegne/000.csv", b"voce,importo\na,1\nb,2\n");
    let out = run(p, &[], &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let folder = p.join("warehouse/spese/source=cartella");
    let unfinished = folder.join("part-killed-0000.parquet#7");
    std::fs::write(&unfinished, b"PAR1 half a file").expect("the unfinished copy");
    write(p, "consegne/001.csv", b"voce,importo\nc,3\n");
    let out = run(p, &[], &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!unfinished.exists(), "the unfinished copy is still there");
    let files = std::fs::read_dir(&folder).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 2, "one data file per delivery remains");
    assert_eq!(seen(p, &[]), (3, 6), "the rows of both deliveries, once");
}
