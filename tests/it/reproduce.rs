//! `osservatorio reproduce BUNDLE`: a signed-off bundle's figures computed again from the data
//! files and definitions it was computed from, after new deliveries have superseded those files
//! and the definitions have moved on; a changed or missing data file is named, with every figure
//! it moves. DuckDB reads the same pinned Parquet files as the independent check.
//!
//! By hand: a facility in Padova reports 10 days a month, `presenti` = base + day (October base
//! 10: 155; November base 20: 255) and the unaccompanied minors of the month on its first day
//! (October 3, November 7). With `privacy.min_cell` 5, October's 3 is suppressed (primary) and
//! November's 7 with it (secondary: the fourth quarter, 10, is shown).

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bundled_project, osservatorio, project, text, write};

const PIPELINE: &str = r#"name: prova
tables:
  presenze:
    columns: { data: date, struttura: string, presenti: int, msna: int }
    required: [data, struttura]
sources:
  - name: pd-presenze
    table: presenze
    territory: PD
    url: "exports/*.csv"
    format: csv
    supersede: by_period
    columns: { data: Data, struttura: Struttura, presenti: Presenti, msna: Msna }
"#;

const INDICATORS: &str = r#"indicators:
  - id: presenze
    title: Presenze
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT _territory AS territory, data AS period, SUM(presenti) AS numerator FROM presenze GROUP BY 1, 2
  - id: msna
    title: Minori non accompagnati
    kind: output
    unit: count
    grain: month
    small_cells: suppress
    sql: SELECT _territory AS territory, data AS period, SUM(msna) AS numerator FROM presenze GROUP BY 1, 2
"#;

const DASHBOARD: &str = r#"id: presenze
title: Presenze
sections:
  - title: Mesi
    charts:
      - { type: trend, indicator: presenze, territories: [PD], grain: month }
      - { type: trend, indicator: msna, territories: [PD], grain: month }
      - { type: table, indicators: [presenze, msna], territories: [PD], period: "2026-Q4" }
"#;

/// A month's export: days 1..=10 of `month` 2026, `presenti` = `base` + day, `msna` on day 1.
fn month_csv(month: u32, base: i64, msna: i64) -> String {
    let mut s = String::from("Data,Struttura,Presenti,Msna\n");
    for d in 1..=10 {
        let m = if d == 1 { msna } else { 0 };
        s.push_str(&format!("2026-{month:02}-{d:02},S1,{},{m}\n", base + d));
    }
    s
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn run(p: &Path) {
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn publish(p: &Path) -> PathBuf {
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("bundle: ").map(str::to_string))
        .unwrap_or_else(|| panic!("the bundle's path: {}", text(&out)));
    p.join(line)
}

fn reproduce(p: &Path, bundle: &str) -> (Option<i32>, String) {
    let out = osservatorio(p, &["reproduce", bundle]);
    (out.status.code(), text(&out))
}

/// `tests/reproduce_duckdb.py` with `args`; None when DuckDB is not installed here (outside CI).
fn duckdb(args: &[&str]) -> Option<String> {
    let script = common::repo().join("tests/reproduce_duckdb.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("python3 runs");
    match out.status.code() {
        Some(0) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Some(77) if !in_ci() => {
            eprintln!("skipped the DuckDB check: {}", text(&out));
            None
        }
        _ => panic!("{}: {}", script.display(), text(&out)),
    }
}

/// `period → (presenti, msna)` from the DuckDB script's CSV.
fn sums(csv: &str) -> Vec<(String, i64, i64)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().expect("a sum"),
                f[2].parse().expect("a sum"),
            )
        })
        .collect()
}

/// `(indicator, territory, period) → (value, flag)` of a page's data.csv.
fn page_figures(
    file: &Path,
) -> std::collections::BTreeMap<(String, String, String), (String, String)> {
    let mut r = csv::Reader::from_path(file).expect("data.csv");
    let h: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let col = |n: &str| h.iter().position(|x| x == n).expect("column");
    let (i, t, p, v, f) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("value"),
        col("flag"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            (
                (rec[i].to_string(), rec[t].to_string(), rec[p].to_string()),
                (rec[v].to_string(), rec[f].to_string()),
            )
        })
        .collect()
}

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).expect("a data file")))
}

#[test]
fn a_bundle_is_reproduced_from_its_pinned_files_after_new_deliveries_supersede_them() {
    let dir = project(&[
        ("pipelines/prova.yaml", PIPELINE.as_bytes()),
        ("indicators/prova.yaml", INDICATORS.as_bytes()),
        ("dashboards/presenze.yaml", DASHBOARD.as_bytes()),
        ("exports/a_2026-10.csv", month_csv(10, 10, 3).as_bytes()),
        ("exports/a_2026-11.csv", month_csv(11, 20, 7).as_bytes()),
    ]);
    let p = dir.path();
    run(p);
    let bundle = publish(p);
    let name = bundle
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let warehouse = p.join("warehouse");

    // The manifest names each data file with its source, delivery, path and checksum.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("MANIFEST.json")).expect("manifest"),
    )
    .expect("JSON");
    let source = &manifest["sources"][0];
    assert_eq!(source["name"], "pd-presenze");
    let deliveries = source["deliveries"].as_array().expect("deliveries");
    let mut keys: Vec<&str> = deliveries
        .iter()
        .filter_map(|d| d["delivery"].as_str())
        .collect();
    keys.sort();
    assert_eq!(keys, ["a_2026-10.csv", "a_2026-11.csv"]);
    for d in deliveries {
        let file = warehouse.join(d["path"].as_str().expect("path"));
        assert_eq!(sha256(&file), d["sha256"].as_str().expect("sha256"), "{d}");
    }
    // And the definitions as they were, inside the bundle.
    let copy = std::fs::read_to_string(bundle.join("inputs/definitions/indicators/prova.yaml"))
        .expect("the bundle's copy of the indicators");
    assert_eq!(copy, INDICATORS);

    // The published figures, by hand: October's minors suppressed (primary), November's too
    // (secondary), the presences shown.
    let page = page_figures(&bundle.join("presenze/data.csv"));
    let fig = |i: &str, per: &str| page.get(&(i.into(), "PD".into(), per.into())).cloned();
    assert_eq!(fig("presenze", "2026-10"), Some(("155".into(), "".into())));
    assert_eq!(fig("presenze", "2026-11"), Some(("255".into(), "".into())));
    assert_eq!(fig("msna", "2026-10"), Some(("".into(), "c".into())));
    assert_eq!(fig("msna", "2026-11"), Some(("".into(), "c".into())));
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("identical"), "{out}");

    // A correction of October supersedes its rows, December arrives, the indicators move on,
    // and a definition changes: the bundle still comes out as it was signed off.
    write(
        p,
        "exports/b_rettifica_2026-10.csv",
        month_csv(10, 50, 6).as_bytes(),
    );
    write(p, "exports/a_2026-12.csv", month_csv(12, 30, 2).as_bytes());
    write(
        p,
        "indicators/prova.yaml",
        INDICATORS
            .replace(
                "SUM(presenti) AS numerator",
                "SUM(presenti) * 2 AS numerator",
            )
            .as_bytes(),
    );
    run(p);
    let live = std::fs::read_to_string(p.join("out/indicators.csv")).expect("indicators.csv");
    assert!(
        live.contains("presenze,PD,provincia,2026-10,month,1110,"),
        "{live}"
    );
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("identical"), "{out}");
    assert!(
        out.contains("presenze has been redefined since sign-off"),
        "{out}"
    );
    // The bundle's path works as well as its name.
    let (code, out) = reproduce(p, &bundle.to_string_lossy());
    assert_eq!(code, Some(0), "{out}");

    // A published figure edited in the bundle is named, with the file that was changed.
    let page = bundle.join("presenze/data.csv");
    let original = std::fs::read(&page).expect("data.csv");
    make_writable(&page);
    let edited = String::from_utf8(original.clone()).expect("UTF-8").replace(
        "presenze,PD,Padova,2026-11,month,255,,255,",
        "presenze,PD,Padova,2026-11,month,255,,256,",
    );
    assert_ne!(edited.as_bytes(), original.as_slice(), "the row to edit");
    std::fs::write(&page, edited).expect("edit data.csv");
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("PROBLEM bundle file presenze/data.csv: changed since it was signed off"),
        "{out}"
    );
    assert!(
        out.contains("DIFFERS presenze PD 2026-11: published value 256 (recomputed 255); the bundle's presenze/data.csv was changed after sign-off"),
        "{out}"
    );
    std::fs::write(&page, &original).expect("restore data.csv");

    // DuckDB over the pinned files alone gives the published figures.
    let october = deliveries
        .iter()
        .find(|d| d["delivery"] == "a_2026-10.csv")
        .and_then(|d| d["path"].as_str())
        .expect("October's data file")
        .to_string();
    let (b, w) = (bundle.to_string_lossy(), warehouse.to_string_lossy());
    let Some(before) = duckdb(&["sums", &b, &w, "pd-presenze"]) else {
        return;
    };
    assert_eq!(
        sums(&before),
        vec![("2026-10".into(), 155, 3), ("2026-11".into(), 255, 7)]
    );

    // October's pinned file is rewritten (every presence doubled, by DuckDB): reproduce names
    // the file and each figure it moves, with the value DuckDB finds in the tampered files.
    let tampered = warehouse.join(&october);
    duckdb(&["double", &w, &october]).expect("DuckDB rewrites the file");
    let after = sums(&duckdb(&["sums", &b, &w, "pd-presenze"]).expect("DuckDB"));
    assert_eq!(after[0], ("2026-10".into(), 310, 3));
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "{} (source pd-presenze, delivery a_2026-10.csv) changed since sign-off",
            tampered.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "presenze PD 2026-10: published numerator 155 (recomputed 310), value 155 (recomputed 310)"
        ),
        "{out}"
    );
    // Suppressed figures compare as suppressed: the minors did not move.
    assert!(!out.contains("msna PD"), "{out}");
    assert!(!out.contains("presenze PD 2026-11:"), "{out}");
}

fn make_writable(path: &Path) {
    let mut perms = std::fs::metadata(path).expect("file").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).expect("make writable");
}

#[test]
fn a_run_that_reads_every_export_again_can_still_be_signed_off_and_reproduced() {
    // `run --full` writes every data file again and lets the old ones go; compute, with the same
    // exports, is skipped: what the table was computed from names the new files.
    let dir = project(&[
        ("pipelines/prova.yaml", PIPELINE.as_bytes()),
        ("indicators/prova.yaml", INDICATORS.as_bytes()),
        ("dashboards/presenze.yaml", DASHBOARD.as_bytes()),
        ("exports/a_2026-10.csv", month_csv(10, 10, 3).as_bytes()),
    ]);
    let p = dir.path();
    run(p);
    let out = osservatorio(p, &["run", "--full"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("not recomputed"), "{}", text(&out));
    let bundle = publish(p);
    let name = bundle
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_missing_data_file_is_named_and_the_bundled_project_reproduces_after_new_data() {
    let dir = bundled_project();
    let p = dir.path();
    run(p);
    let bundle = publish(p);
    let name = bundle
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(0), "{out}");

    // Ravenna re-sends its contacts with one more contact in January 2025: the data file the
    // bundle was computed from is superseded, and kept.
    let export = p.join("data-samples/rete/contatti_ra.csv");
    let csv = std::fs::read_to_string(&export).expect("the export");
    let mut lines: Vec<&str> = csv.lines().collect();
    let copy = lines
        .iter()
        .find(|l| l.starts_with("15/01/2025") || l.contains("/01/2025;"))
        .copied()
        .expect("a contact of January 2025");
    lines.push(copy);
    write(
        p,
        "data-samples/rete/contatti_ra.csv",
        (lines.join("\n") + "\n").as_bytes(),
    );
    let table = std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv");
    run(p);
    assert_ne!(
        std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv"),
        table,
        "the new delivery moved some figures"
    );
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("identical"), "{out}");

    // One of the bundle's data files disappears from the warehouse.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("MANIFEST.json")).expect("manifest"),
    )
    .expect("JSON");
    let ravenna = manifest["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == "ravenna-contatti")
        .expect("Ravenna's contacts");
    let file = ravenna["deliveries"][0]["path"]
        .as_str()
        .expect("a data file");
    let gone = p.join("warehouse").join(file);
    std::fs::remove_file(&gone).expect("remove the data file");
    let (code, out) = reproduce(p, &name);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "{} (source ravenna-contatti, delivery contatti_ra.csv) missing from the warehouse",
            gone.display()
        )),
        "{out}"
    );
    assert!(out.contains("DIFFERS "), "{out}");
    assert!(out.contains("not identical"), "{out}");
}
