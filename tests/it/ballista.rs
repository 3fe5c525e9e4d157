//! The bundled project's indicators computed on an Apache DataFusion Ballista cluster (a scheduler
//! and an executor started inside the osservatorio process: Ballista's standalone mode) are the
//! same as those computed locally. Built with `--features ballista`, as `tests/run.sh` builds.
#![cfg(feature = "ballista")]

use std::collections::BTreeMap;

use crate::common::*;

/// indicators.csv as (indicator, territory, period) → the other columns but the run id.
fn figures(p: &std::path::Path) -> BTreeMap<(String, String, String), Vec<String>> {
    let mut r = csv::Reader::from_path(p.join("out/indicators.csv")).expect("indicators.csv");
    let headers = r.headers().expect("a header").clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect("a column");
    let (i, t, per, run) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("run_id"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.expect("a row");
            let rest = rec
                .iter()
                .enumerate()
                .filter(|(k, _)| ![i, t, per, run].contains(k))
                .map(|(_, v)| v.to_string())
                .collect();
            (
                (rec[i].to_string(), rec[t].to_string(), rec[per].to_string()),
                rest,
            )
        })
        .collect()
}

/// Two cells agree: the same text, or numbers within a relative 1e-9 (partial sums may be added in
/// another order on the cluster).
fn same(a: &str, b: &str) -> bool {
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1e-9 * x.abs().max(1.0))
}

#[test]
fn the_bundled_project_computes_the_same_on_a_ballista_cluster() {
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let local = figures(p);

    let settings = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("settings");
    write(
        p,
        "osservatorio.yaml",
        format!("{settings}\nengine: ballista://standalone\n").as_bytes(),
    );
    // Recompute everything on the cluster, from the same warehouse.
    std::fs::remove_file(p.join("out/compute-inputs.json")).expect("compute state");
    let out = osservatorio(p, &["compute"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cluster = figures(p);

    assert_eq!(local.len(), cluster.len());
    assert!(local.len() > 1000, "{} figures", local.len());
    for (key, a) in &local {
        let b = &cluster[key];
        assert!(
            a.iter().zip(b).all(|(x, y)| same(x, y)),
            "{key:?}: local {a:?}, Ballista {b:?}"
        );
    }
}

#[test]
fn an_engine_that_names_no_scheduler_is_refused_with_its_line() {
    let dir = bundled_project();
    let p = dir.path();
    let settings = std::fs::read_to_string(p.join("osservatorio.yaml")).expect("settings");
    write(
        p,
        "osservatorio.yaml",
        format!("{settings}\nengine: ballista://scheduler\n").as_bytes(),
    );
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("osservatorio.yaml") && text(&out).contains("engine"),
        "{}",
        text(&out)
    );
}
