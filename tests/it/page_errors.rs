//! A dashboard that cannot be rendered is named on the index page with why, in the page's
//! language; the terminal says it in English.
//!
//! The failure is a real one: a file named like the folder the previous pages are set aside in
//! (`out/prova.old`) stops the new pages from being swapped into place, so the system refuses to
//! move a folder onto a file (ENOTDIR, "Not a directory", error 20 on Linux).

use std::path::Path;

use crate::common::*;

const PIPELINE: &str = r#"name: visite
tables:
  visite:
    columns: { data: date, provincia: string, visite: int }
    required: [data, provincia, visite]
sources:
  - name: visite
    table: visite
    url: visite.csv
    format: csv
"#;

const INDICATORS: &str = r#"indicators:
  - id: visite
    title: { it: Visite effettuate, en: Visits made }
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, data AS period, SUM(visite) AS numerator FROM visite GROUP BY 1, 2
"#;

const DASHBOARD: &str = r#"id: prova
title: { it: Cruscotto di prova, en: Test dashboard }
sections:
  - title: { it: Andamento, en: Trend }
    charts:
      - { type: trend, indicator: visite, territories: [PD], grain: month }
"#;

/// A project in `locale` whose dashboard `prova` rendered once, with a stray file where its
/// previous pages would be set aside.
fn blocked_project(locale: &str) -> tempfile::TempDir {
    let dir = project(&[
        (
            "osservatorio.yaml",
            format!("locale: {locale}\n").as_bytes(),
        ),
        ("pipelines/visite.yaml", PIPELINE.as_bytes()),
        ("indicators/visite.yaml", INDICATORS.as_bytes()),
        ("dashboards/prova.yaml", DASHBOARD.as_bytes()),
        (
            "visite.csv",
            b"data,provincia,visite\n2025-01-01,PD,10\n2025-02-01,PD,12\n",
        ),
    ]);
    let p = dir.path();
    let first = osservatorio(p, &["run"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    write(p, "out/prova.old", b"not the old pages\n");
    dir
}

fn index(p: &Path) -> String {
    std::fs::read_to_string(p.join("out/index.html")).expect("the index page")
}

#[test]
fn a_dashboard_that_cannot_be_put_in_place_is_explained_in_italian_on_an_italian_page() {
    let dir = blocked_project("it");
    let p = dir.path();
    let out = osservatorio(p, &["render"]);
    let said = text(&out);
    assert_ne!(
        out.status.code(),
        Some(0),
        "the render reports the failure: {said}"
    );
    // The terminal stays English.
    assert!(said.contains("dashboard prova"), "{said}");
    assert!(said.contains("Not a directory"), "{said}");
    let page = index(p);
    assert!(page.contains("cruscotto prova"), "{page}");
    assert!(
        page.contains("non è una cartella (errore di sistema 20)"),
        "the page says why in Italian: {page}"
    );
    assert!(!page.contains("Not a directory"), "{page}");
    assert!(!page.contains("dashboard prova"), "{page}");
}

#[test]
fn the_same_failure_is_in_english_on_an_english_page() {
    let dir = blocked_project("en");
    let p = dir.path();
    let out = osservatorio(p, &["render"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let page = index(p);
    assert!(page.contains("dashboard prova"), "{page}");
    assert!(page.contains("Not a directory (os error 20)"), "{page}");
    assert!(!page.contains("non è una cartella"), "{page}");
}

#[test]
fn a_sign_off_keeps_the_failure_on_the_index_page_it_rewrites() {
    // Signing off rewrites the index to list the bundle: the failed dashboard must still say why,
    // not read as a page never received.
    let dir = blocked_project("it");
    let p = dir.path();
    let out = osservatorio(p, &["render"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = index(p);
    assert!(page.contains("cruscotto prova"), "{page}");
    assert!(
        page.contains("non è una cartella (errore di sistema 20)"),
        "the page still says why: {page}"
    );
}
