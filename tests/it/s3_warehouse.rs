//! Sources in a bucket and the warehouse itself on S3, against a real S3 server on 127.0.0.1.

use crate::common::s3_server;

use std::path::Path;
use std::process::Output;

use crate::common::{bundled_project, osservatorio_env, repo, text, write};
use s3_server::S3Server;

fn run_with(s3: &S3Server, p: &Path, args: &[&str]) -> Output {
    osservatorio_env(p, args, &s3.env())
}

/// indicators.csv without its run_id column, which differs between any two runs.
fn figures_without_run(p: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(p.join("out/indicators.csv")).expect("indicators.csv");
    let headers = r.headers().expect("header").clone();
    let run = headers.iter().position(|h| h == "run_id").expect("run_id");
    r.records()
        .map(|rec| {
            rec.expect("row")
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != run)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[test]
fn the_bundled_project_gives_the_same_figures_with_its_warehouse_on_s3() {
    let s3 = S3Server::start();
    s3.create_bucket("osservatorio");

    let on_disk = bundled_project();
    let out = run_with(&s3, on_disk.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let on_s3 = bundled_project();
    let settings = std::fs::read_to_string(repo().join("osservatorio.yaml"))
        .expect("settings")
        .replace(
            "warehouse: warehouse/",
            "warehouse: s3://osservatorio/accoglienza/",
        );
    write(on_s3.path(), "osservatorio.yaml", settings.as_bytes());
    let out = run_with(&s3, on_s3.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !on_s3.path().join("warehouse").exists(),
        "nothing is written to a local warehouse"
    );
    assert_eq!(
        figures_without_run(on_disk.path()),
        figures_without_run(on_s3.path())
    );

    // A second run finds every export unchanged in the S3 manifests.
    let out = run_with(&s3, on_s3.path(), &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(" ingested "), "{}", text(&out));

    // A source removed from the YAML is no longer read.
    let out = run_with(
        &s3,
        on_s3.path(),
        &[
            "query",
            "SELECT COUNT(*) FROM presenze WHERE _source = 'verona-presenze'",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some("287")
    );
    let pipeline = on_s3.path().join("pipelines/prefetture-veneto.yaml");
    let yaml = std::fs::read_to_string(&pipeline).expect("pipeline");
    let start = yaml
        .find("  - name: verona-presenze")
        .expect("the Verona source");
    let end = start
        + yaml[start + 1..]
            .find("  - name:")
            .expect("the next source")
        + 1;
    std::fs::write(&pipeline, format!("{}{}", &yaml[..start], &yaml[end..])).expect("write");
    let out = run_with(
        &s3,
        on_s3.path(),
        &[
            "query",
            "SELECT COUNT(*) FROM presenze WHERE _source = 'verona-presenze'",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some("0"),
        "{}",
        text(&out)
    );
}

#[test]
fn sources_are_read_from_a_bucket() {
    let s3 = S3Server::start();
    s3.create_bucket("uffici");
    let export = std::fs::read(repo().join("data-samples/prefetture/padova/presenze.csv"))
        .expect("the Padova export");
    s3.put("uffici", "padova/presenze.csv", &export);
    let dir = bundled_project();
    let pipeline = dir.path().join("pipelines/prefetture-veneto.yaml");
    let yaml = std::fs::read_to_string(&pipeline)
        .expect("pipeline")
        .replace(
            "url: data-samples/prefetture/padova/presenze.csv",
            "url: s3://uffici/padova/presenze.csv",
        )
        .replace(
            "url: data-samples/prefetture/verona/presenze.csv",
            "url: s3://uffici/verona/presenze.csv",
        );
    std::fs::write(&pipeline, yaml).expect("write");
    let out = run_with(
        &s3,
        dir.path(),
        &["ingest", "--pipeline", "prefetture-veneto"],
    );
    let t = text(&out);
    // Verona's export is not in the bucket: it fails alone, named; Padova's is read.
    assert_eq!(out.status.code(), Some(1), "{t}");
    let line = |name: &str| {
        t.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("")
            .to_string()
    };
    assert!(line("padova-presenze ").contains("ingested"), "{t}");
    assert!(line("padova-presenze ").contains(" 285 "), "{t}");
    assert!(line("verona-presenze ").contains("failed"), "{t}");
    assert!(t.contains("s3://uffici/verona/presenze.csv"), "{t}");
}
