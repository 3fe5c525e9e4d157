//! The bundled dashboard of Tuscany's access points (PUA and SPIN): accesses at the first level,
//! cases the integrated teams take in charge at the second, and the share of those cases with a
//! positive outcome within six months (`follow_up: 6 months`). Every figure is checked against
//! DuckDB's, computed from the sample exports by tests/expected/pua_expected.py (never by
//! osservatorio), with today fixed where that script fixes it: on 2026-04-15 the outcomes of
//! September 2025 and of the third quarter are final, those of October, of the fourth quarter and
//! of the year are still provisional.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;

type Row = HashMap<String, String>;

fn rows(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().expect("a header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("a record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn expected() -> (String, serde_json::Map<String, serde_json::Value>) {
    let text = std::fs::read_to_string(repo().join("tests/expected/pua_expected.json"))
        .expect("tests/expected/pua_expected.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    (
        v["today"].as_str().expect("today").to_string(),
        v["figures"].as_object().expect("figures").clone(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn the_tuscan_access_points_dashboard_agrees_with_duckdb() {
    let (today, figures) = expected();
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio_env(p, &["run"], &[("OSSERVATORIO_TODAY", today.clone())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let table = rows(&p.join("out/indicators.csv"));
    assert!(figures.len() > 200, "{} expected figures", figures.len());
    for (key, want) in &figures {
        let parts: Vec<&str> = key.split(' ').collect();
        let [indicator, territory, period] = parts[..] else {
            panic!("{key}")
        };
        let got = table
            .iter()
            .find(|r| {
                r["indicator"] == indicator && r["territory"] == territory && r["period"] == period
            })
            .unwrap_or_else(|| panic!("no figure for {key}"));
        for col in ["numerator", "denominator", "value"] {
            if let Some(w) = want.get(col).and_then(|w| w.as_f64()) {
                let g: f64 = got[col].parse().unwrap_or_else(|_| panic!("{key} {col}"));
                assert!(close(g, w), "{key} {col}: {g} against DuckDB's {w}");
            }
        }
        if let Some(w) = want.get("provisional").and_then(|w| w.as_bool()) {
            assert_eq!(got["provisional"], w.to_string(), "{key} provisional");
            // A provisional outcome is never judged against its target.
            if w {
                assert_eq!(got["status"], "provisional", "{key}");
                assert_eq!(got["achievement"], "", "{key}");
            }
        }
    }
    // The boundary the window draws on that day, as DuckDB saw it.
    for (key, provisional) in [
        ("pua_esiti_positivi TOS 2025-09", false),
        ("pua_esiti_positivi TOS 2025-10", true),
        ("pua_esiti_positivi TOS 2025-Q3", false),
        ("pua_esiti_positivi TOS 2025", true),
    ] {
        assert_eq!(figures[key]["provisional"], provisional, "{key}");
    }

    // The page judges 2025, and says its outcomes are provisional.
    let d = p.join("out/pua-toscana");
    let page = std::fs::read_to_string(d.join("index.html")).expect("the dashboard page");
    assert!(page.contains("Situazione al 2025"), "the heading");
    assert!(page.contains("Casi con esito positivo entro 6 mesi"));
    assert!(
        page.contains("provvisorio"),
        "the provisional outcome is marked"
    );
    let shown = rows(&d.join("data.csv"));
    let year = shown
        .iter()
        .find(|r| {
            r["indicator"] == "pua_esiti_positivi"
                && r["territory"] == "TOS"
                && r["period"] == "2025"
        })
        .expect("the region's outcome in 2025 on the page");
    assert_eq!(year["provisional"], "true");
    let accesses = shown
        .iter()
        .find(|r| {
            r["indicator"] == "pua_accessi" && r["territory"] == "TOS" && r["period"] == "2025"
        })
        .expect("the region's accesses in 2025 on the page");
    assert_eq!(
        accesses["value"],
        figures["pua_accessi TOS 2025"]["value"]
            .to_string()
            .trim_end_matches(".0"),
    );
}
