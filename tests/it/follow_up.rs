//! `follow_up: 6 months`: figures of a period whose window has not closed by today are provisional
//! (a `provisional` column in indicators.csv and data.csv, "provvisorio" beside the value on the
//! page, status `provisional`, no achievement), with today fixed by `OSSERVATORIO_TODAY`.
//!
//! By hand: every month of 2024 and 2025 Provincia Uno sees 10 people leave reception and 6 of
//! them in work: 60 % against a target of 50 % (achieved, 120 %). With six months of follow-up,
//! a period is final from the day its end plus six months is past:
//! - on 2026-03-31: 2025-09 (window closing 2026-03-31) is still provisional, 2025-08 is final;
//!   2025-Q3 provisional, 2025-Q2 final; 2025 provisional, 2024 final;
//! - on 2026-04-01: 2025-09 is final, 2025-10 still provisional.

use std::collections::BTreeMap;

use crate::common::*;

const PIPELINE: &str = r#"name: uscite
tables:
  uscite:
    columns: { data: date, provincia: string, usciti: int, occupati: int }
    required: [data, provincia]
sources:
  - { name: uscite, table: uscite, url: uscite.csv, format: csv }
"#;

const INDICATORS: &str = r#"indicators:
  - id: occupati_dopo_uscita
    title: Occupati dopo l'uscita
    kind: outcome
    unit: percent
    grain: month
    small_cells: show
    follow_up: 6 months
    sql: SELECT provincia AS territory, data AS period, SUM(occupati) AS numerator, SUM(usciti) AS denominator FROM uscite GROUP BY 1, 2
    targets:
      - { value: 50 }
"#;

const DASHBOARD: &str = r#"id: esiti
title: Esiti
sections:
  - title: Sintesi
    charts:
      - { type: kpi, indicators: [occupati_dopo_uscita], territory: PD, period: "2025" }
      - { type: table, indicators: [occupati_dopo_uscita], territories: [PD], period: "2025" }
      - { type: table, indicators: [occupati_dopo_uscita], territories: [PD], period: "2024" }
"#;

fn uscite() -> String {
    let mut s = String::from("data,provincia,usciti,occupati\n");
    for year in [2024, 2025] {
        for month in 1..=12 {
            s.push_str(&format!("{year}-{month:02}-15,PD,10,6\n"));
        }
    }
    s
}

fn follow_up_project() -> tempfile::TempDir {
    let data = uscite();
    project(&[
        ("pipelines/uscite.yaml", PIPELINE.as_bytes()),
        ("indicators/esiti.yaml", INDICATORS.as_bytes()),
        ("dashboards/esiti.yaml", DASHBOARD.as_bytes()),
        ("uscite.csv", data.as_bytes()),
    ])
}

/// (period → (value, target, achievement, status, provisional)) of PD in a CSV with those columns.
fn rows(csv_text: &str) -> BTreeMap<String, [String; 5]> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let h = r.headers().expect("a header").clone();
    let col = |n: &str| {
        h.iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("no column {n}"))
    };
    let (p, v, t, a, s, pr) = (
        col("period"),
        col("value"),
        col("target"),
        col("achievement"),
        col("status"),
        col("provisional"),
    );
    r.records()
        .map(|rec| rec.expect("a row"))
        .filter(|rec| &rec[col("territory")] == "PD")
        .map(|rec| {
            (
                rec[p].to_string(),
                [&rec[v], &rec[t], &rec[a], &rec[s], &rec[pr]].map(str::to_string),
            )
        })
        .collect()
}

fn run_on(p: &std::path::Path, command: &str, today: &str) -> BTreeMap<String, [String; 5]> {
    let out = osservatorio_env(p, &[command], &[("OSSERVATORIO_TODAY", today.to_string())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    rows(&std::fs::read_to_string(p.join("out/indicators.csv")).expect("indicators.csv"))
}

fn final_row() -> [String; 5] {
    ["60", "50", "120", "achieved", "false"].map(str::to_string)
}

fn provisional_row() -> [String; 5] {
    ["60", "50", "", "provisional", "true"].map(str::to_string)
}

#[test]
fn figures_inside_the_follow_up_window_are_provisional_and_not_judged() {
    let p = follow_up_project();
    let r = run_on(p.path(), "run", "2026-03-31");
    for period in ["2024", "2025-Q2", "2025-08"] {
        assert_eq!(r[period], final_row(), "{period}");
    }
    for period in ["2025", "2025-Q3", "2025-09", "2025-12"] {
        assert_eq!(r[period], provisional_row(), "{period}");
    }

    // The page's data says so too, and the page marks the value.
    let dir = p.path().join("out/esiti");
    let data = rows(&std::fs::read_to_string(dir.join("data.csv")).expect("data.csv"));
    assert_eq!(data["2025"][3..], provisional_row()[3..]);
    assert_eq!(data["2024"][3..], final_row()[3..]);
    let page = std::fs::read_to_string(dir.join("index.html")).expect("the page");
    assert!(
        page.contains("60,0 % (provvisorio)"),
        "the table marks the provisional value"
    );

    // A day later September's window has closed; October's has not (the data did not change:
    // only computing again tells).
    let r = run_on(p.path(), "compute", "2026-04-01");
    assert_eq!(r["2025-09"], final_row());
    assert_eq!(r["2025-10"], provisional_row());
    assert_eq!(r["2025-Q3"], final_row());
    assert_eq!(r["2025"], provisional_row());
}

#[test]
fn a_follow_up_that_is_not_a_duration_is_named_with_its_key() {
    let bad = INDICATORS.replace("6 months", "six months");
    let data = uscite();
    let p = project(&[
        ("pipelines/uscite.yaml", PIPELINE.as_bytes()),
        ("indicators/esiti.yaml", bad.as_bytes()),
        ("uscite.csv", data.as_bytes()),
    ]);
    let out = osservatorio(p.path(), &["check"]);
    assert_ne!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(t.contains("follow_up") && t.contains("six months"), "{t}");
}

#[test]
fn a_today_that_is_not_a_date_fails_the_indicator_and_says_how_to_write_it() {
    let p = follow_up_project();
    let out = osservatorio_env(
        p.path(),
        &["run"],
        &[("OSSERVATORIO_TODAY", "31/03/2026".to_string())],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("YYYY-MM-DD"), "{}", text(&out));
}
