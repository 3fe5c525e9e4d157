//! The bundled project's indicators computed on a real Apache DataFusion Ballista cluster: a
//! scheduler and two executors, each a separate process of Ballista's own programs (built by
//! `bash tests/ballista-cluster.sh`, which `tests/run.sh` runs), reading the warehouse from the
//! local S3 server. The figures are those of the local engine; an executor killed in the middle
//! of a run is tested for what the user then gets. Without the programs the test says how to
//! build them and passes, except in CI (`CI=true`), where it fails.
#![cfg(feature = "ballista")]

use crate::common;
use crate::common::{cluster, s3_server};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cluster::Cluster;
use common::{BIN, bundled_project, repo, text, write};
use s3_server::S3Server;

type Figures = BTreeMap<(String, String, String), Vec<String>>;

/// indicators.csv as (indicator, territory, period) → the other columns but the run id.
fn figures(p: &Path) -> Figures {
    let mut r = csv::Reader::from_path(p.join("out/indicators.csv")).expect("indicators.csv");
    let headers = r.headers().expect("a header").clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect("a column");
    let key = [
        col("indicator"),
        col("territory"),
        col("period"),
        col("run_id"),
    ];
    r.records()
        .map(|rec| {
            let rec = rec.expect("a row");
            let rest = rec
                .iter()
                .enumerate()
                .filter(|(k, _)| !key.contains(k))
                .map(|(_, v)| v.to_string())
                .collect();
            let at = |k: usize| rec[key[k]].to_string();
            ((at(0), at(1), at(2)), rest)
        })
        .collect()
}

/// Two cells agree: the same text, or numbers within a relative 1e-9 (partial sums may be added in
/// another order on the cluster).
fn same(a: &str, b: &str) -> bool {
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1e-9 * x.abs().max(1.0))
}

fn assert_same_figures(local: &Figures, cluster: &Figures) {
    assert_eq!(local.len(), cluster.len(), "as many figures on the cluster");
    assert!(local.len() > 1000, "{} figures", local.len());
    for (key, a) in local {
        let b = cluster
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} missing"));
        assert!(
            a.iter().zip(b).all(|(x, y)| same(x, y)),
            "{key:?}: local {a:?}, Ballista {b:?}"
        );
    }
}

/// `osservatorio ARGS --project P` with the variables pointing it at the S3 server.
fn command(s3: &S3Server, p: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--project")
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn");
    for (k, v) in s3.env() {
        cmd.env(k, v);
    }
    cmd
}

fn run(s3: &S3Server, p: &Path, args: &[&str]) -> Output {
    command(s3, p, args).output().expect("the binary runs")
}

/// The bundled project with its warehouse in the S3 server's bucket, computed by `engine`.
fn project_on_s3(engine: &str) -> tempfile::TempDir {
    let dir = bundled_project();
    let settings = std::fs::read_to_string(repo().join("osservatorio.yaml"))
        .expect("settings")
        .replace(
            "warehouse: warehouse/",
            "warehouse: s3://osservatorio/accoglienza/",
        );
    set_engine(dir.path(), &settings, engine);
    dir
}

fn set_engine(p: &Path, settings: &str, engine: &str) {
    write(
        p,
        "osservatorio.yaml",
        format!("{settings}\nengine: {engine}\n").as_bytes(),
    );
}

/// The cluster programs, or None when missing outside CI (after saying how to build them).
fn programs() -> Option<PathBuf> {
    let found = cluster::programs();
    if found.is_none() {
        let how = "the Ballista cluster programs are not built: run `bash tests/ballista-cluster.sh` (tests/run.sh does)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{how}");
        eprintln!("skipped: {how}");
    }
    found
}

#[test]
fn the_bundled_project_computes_the_same_on_a_cluster_of_separate_processes() {
    let Some(bin) = programs() else { return };
    let s3 = S3Server::start();
    s3.create_bucket("osservatorio");

    let dir = project_on_s3("local");
    let p = dir.path();
    let out = run(&s3, p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let local = figures(p);

    let mut cluster = Cluster::start(&bin, 2, &s3.env());
    let settings = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("settings");
    let settings = settings.replace("engine: local", "");
    set_engine(
        p,
        &settings,
        &format!("ballista://127.0.0.1:{}", cluster.port),
    );
    // Recompute everything on the cluster, from the same warehouse.
    std::fs::remove_file(p.join("out/compute-inputs.json")).expect("compute state");
    let out = run(&s3, p, &["compute"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out),
        cluster.logs()
    );
    assert_same_figures(&local, &figures(p));
    // Every SQL indicator was a job of the cluster, and both executors took part.
    let jobs = cluster.jobs();
    assert!(jobs.len() >= 30, "the cluster ran {} jobs", jobs.len());
    assert!(
        jobs.values().all(|(status, _)| status == "Completed"),
        "{jobs:?}"
    );
    for i in 0..2 {
        let log = std::fs::read_to_string(cluster.dir.path().join(format!("executor-{i}.log")))
            .expect("an executor's log");
        assert!(log.contains("Finished task"), "executor {i} ran no task");
    }

    an_executor_killed_mid_run(&s3, p, &mut cluster, &local);
}

/// Kills one executor while one of the run's queries is running on the cluster: the scheduler
/// finds it gone when it next gives it a task, runs that executor's tasks again on the other one,
/// and the run completes with the same figures. Should the killed executor have held a finished
/// query's results not yet fetched, that indicator fails, saying so, and keeps its figures: the
/// table is the same either way, and nothing is left half written.
fn an_executor_killed_mid_run(s3: &S3Server, p: &Path, cluster: &mut Cluster, local: &Figures) {
    std::fs::remove_file(p.join("out/compute-inputs.json")).expect("compute state");
    let before: Vec<String> = cluster.jobs().into_keys().collect();
    let log = cluster.dir.path().join("compute.log");
    let file = std::fs::File::create(&log).expect("a log");
    let mut compute = command(s3, p, &["compute"])
        .stdout(Stdio::from(file.try_clone().expect("a log")))
        .stderr(Stdio::from(file))
        .spawn()
        .expect("the binary runs");

    let running = |c: &Cluster| {
        c.jobs()
            .iter()
            .any(|(id, (status, _))| !before.contains(id) && status == "Running")
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !running(cluster) {
        assert!(
            compute.try_wait().expect("compute").is_none(),
            "compute ended before a query ran on the cluster"
        );
        assert!(Instant::now() < deadline, "no query ran on the cluster");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.kill_executor(1);

    let status = wait(&mut compute, cluster);
    let said = std::fs::read_to_string(&log).expect("the log");
    assert_eq!(
        cluster.executors(),
        ["executor-0"],
        "the scheduler counts the killed executor out:\n{said}"
    );
    let engine = format!("ballista://127.0.0.1:{}", cluster.port);
    let failed: Vec<&str> = said.lines().filter(|l| l.starts_with("FAILED")).collect();
    match status.code() {
        Some(0) => assert!(every_indicator_ok(&said), "{said}"),
        Some(1) => assert!(
            !failed.is_empty()
                && failed
                    .iter()
                    .all(|l| l.contains(&format!("on the Ballista cluster {engine}: "))),
            "{said}"
        ),
        other => panic!("compute ended with {other:?}:\n{said}"),
    }
    assert_same_figures(local, &figures(p));
}

/// The summary line says `indicators N/N ok`.
fn every_indicator_ok(said: &str) -> bool {
    said.split_once(", indicators ")
        .and_then(|(_, rest)| rest.split_once(" ok"))
        .and_then(|(counts, _)| counts.split_once('/'))
        .is_some_and(|(ok, all)| ok == all && ok.parse::<usize>().is_ok_and(|n| n > 0))
}

/// Waits for `compute` to end, failing if it has not within ten minutes.
fn wait(compute: &mut std::process::Child, cluster: &Cluster) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(status) = compute.try_wait().expect("compute") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = compute.kill();
            panic!(
                "compute did not end after an executor was lost:\n{}",
                cluster.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Needs no cluster: an engine naming a port where no scheduler listens.
#[test]
fn an_engine_where_no_scheduler_listens_is_one_clear_error_and_keeps_the_figures() {
    let dir = bundled_project();
    let p = dir.path();
    let out = common::osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv");

    // A port that was free a moment ago: nothing listens there.
    let engine = format!("ballista://127.0.0.1:{}", cluster::free_port());
    let settings = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("settings");
    set_engine(p, &settings, &engine);
    std::fs::remove_file(p.join("out/compute-inputs.json")).expect("compute state");
    let out = common::osservatorio(p, &["compute"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert_eq!(
        said.matches("no Ballista scheduler answers there").count(),
        1,
        "said once, not once per indicator: {said}"
    );
    assert!(
        said.contains(&format!("engine {engine} in osservatorio.yaml"))
            && said.contains("engine: local")
            && !said.contains("tonic"),
        "{said}"
    );
    let after = std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv");
    assert!(before == after, "the indicator table is untouched");
}
