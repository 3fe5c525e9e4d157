//! Remote sources against real servers on 127.0.0.1: an HTTP portal the test runs itself.

use crate::common::http_server;

use std::process::Command;
use std::time::Duration;

use crate::common::{BIN, project, query, text};
use http_server::{Route, Server};

const CSV: &str = "voce;importo\nvitto;10\nluce;20\n";

fn pipeline(base: &str) -> String {
    let source = |name: &str, path: &str, extra: &str| {
        format!(
            "  - {{ name: {name}, table: spese, territory: PD, url: \"{base}{path}\", format: csv, options: {{ delimiter: \";\" }}, timeout: 1s{extra} }}\n"
        )
    };
    format!(
        "name: portale\ntables:\n  spese:\n    columns: {{ voce: string, importo: float }}\nsources:\n{}{}{}{}{}",
        source("buona", "/exports/spese.csv", ", retries: 3"),
        source("instabile", "/flaky.csv", ", retries: 3"),
        source("assente", "/missing.csv", ", retries: 3"),
        source(
            "protetta",
            "/secret.csv",
            ", retries: 3, headers: { Authorization: env:PORTALE_TOKEN }"
        ),
        source("lenta", "/slow.csv", ", retries: 1"),
    )
}

fn server() -> Server {
    let body = CSV.as_bytes().to_vec();
    Server::start(vec![
        (
            "/exports/spese.csv",
            Route::File {
                body: body.clone(),
                etag: "v1".into(),
            },
        ),
        (
            "/flaky.csv",
            Route::Flaky {
                failures: 2,
                body: body.clone(),
            },
        ),
        (
            "/secret.csv",
            Route::Protected {
                token: "Bearer s3greto".into(),
                body: body.clone(),
            },
        ),
        (
            "/slow.csv",
            Route::Slow {
                delay: Duration::from_secs(4),
                body,
            },
        ),
    ])
}

fn run(p: &std::path::Path, args: &[&str], token: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--project")
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .env_remove("PORTALE_TOKEN");
    if let Some(t) = token {
        cmd.env("PORTALE_TOKEN", t);
    }
    cmd.output().expect("the binary runs")
}

/// The summary line of one source: status and attempts.
fn summary(out: &str, source: &str) -> (String, String) {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{source} ")))
        .unwrap_or_else(|| panic!("no summary line for {source} in {out}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    (
        f[1].to_string(),
        f.last().copied().unwrap_or("").to_string(),
    )
}

#[test]
fn http_sources_retry_transient_errors_and_fail_alone_on_the_rest() {
    let srv = server();
    let dir = project(&[("pipelines/portale.yaml", pipeline(&srv.base).as_bytes())]);
    let p = dir.path();

    // Without the token in the environment the configuration is refused before anything runs.
    let out = run(p, &["check"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("sources[3].headers.Authorization")
            && text(&out).contains("PORTALE_TOKEN"),
        "{}",
        text(&out)
    );
    assert_eq!(srv.hits("/secret.csv"), 0);

    let out = run(p, &["ingest"], Some("Bearer s3greto"));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert_eq!(summary(&t, "buona"), ("ingested".into(), "1".into()), "{t}");
    // Two 503s, then the export: three requests, recorded.
    assert_eq!(
        summary(&t, "instabile"),
        ("ingested".into(), "3".into()),
        "{t}"
    );
    assert_eq!(srv.hits("/flaky.csv"), 3);
    // The ledger records the attempts too.
    let runs = run(p, &["runs", "--format", "json"], None);
    let ledger: serde_json::Value = serde_json::from_slice(&runs.stdout).expect("the ledger");
    let flaky = ledger[0]["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["source"] == "instabile"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(flaky["attempts"], 3, "{ledger}");
    // A 404 is not retried: it fails alone, named.
    assert_eq!(summary(&t, "assente").0, "failed", "{t}");
    assert_eq!(srv.hits("/missing.csv"), 1, "a 4xx is never retried");
    assert!(t.contains("/missing.csv") && t.contains("404"), "{t}");
    assert_eq!(summary(&t, "protetta").0, "ingested", "{t}");
    // Slower than its 1 s timeout, every try: it fails alone after its retries.
    assert_eq!(summary(&t, "lenta").0, "failed", "{t}");
    assert!(srv.hits("/slow.csv") >= 2, "a timeout is retried");
    assert_eq!(
        query(
            p,
            "SELECT _source, SUM(importo) FROM spese GROUP BY 1 ORDER BY 1"
        ),
        vec![
            vec!["buona", "30.0"],
            vec!["instabile", "30.0"],
            vec!["protetta", "30.0"]
        ]
    );

    // A wrong token: 401, a clear message, and the last good data stays.
    let out = run(p, &["ingest", "--full"], Some("Bearer sbagliato"));
    let t = text(&out);
    assert_eq!(summary(&t, "protetta").0, "failed", "{t}");
    assert!(t.contains("401"), "{t}");
    assert_eq!(
        query(p, "SELECT COUNT(*) FROM spese WHERE _source = 'protetta'"),
        vec![vec!["2"]]
    );

    // Unchanged on the portal (same ETag): not downloaded again.
    let before = srv.hits("/exports/spese.csv");
    let out = run(p, &["ingest"], Some("Bearer s3greto"));
    let t = text(&out);
    assert_eq!(
        summary(&t, "buona"),
        ("unchanged".into(), "0".into()),
        "{t}"
    );
    assert_eq!(
        srv.hits("/exports/spese.csv"),
        before + 1,
        "one HEAD, no GET"
    );
    srv.set(
        "/exports/spese.csv",
        Route::File {
            body: b"voce;importo\nvitto;15\nluce;20\n".to_vec(),
            etag: "v2".into(),
        },
    );
    let out = run(p, &["ingest"], Some("Bearer s3greto"));
    assert_eq!(
        summary(&text(&out), "buona").0,
        "ingested",
        "{}",
        text(&out)
    );
    assert_eq!(
        query(p, "SELECT SUM(importo) FROM spese WHERE _source = 'buona'"),
        vec![vec!["35.0"]]
    );
}

#[test]
fn schemes_this_build_cannot_read_are_configuration_errors() {
    let yaml = "name: p\ntables:\n  t:\n    columns: { a: string }\nsources:\n  - { name: f, table: t, url: \"ftp://host/a.csv\", format: csv }\n  - { name: q, table: t, url: \"https://portale.example/export?id=3\", format: csv }\n  - { name: b, table: t, url: \"s3://bucket-only\", format: csv }\n  - { name: h, table: t, url: \"https://portale.example/a.csv\", format: csv, headers: { X-Api-Key: s3greto } }\n";
    let dir = project(&[("pipelines/p.yaml", yaml.as_bytes())]);
    let out = run(dir.path(), &["check"], None);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for key in [
        "sources[0].url",
        "sources[1].url",
        "sources[2].url",
        "sources[3].headers.X-Api-Key",
    ] {
        assert!(t.contains(key), "{key}: {t}");
    }
}
