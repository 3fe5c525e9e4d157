//! What a new user found on the pages and files, each made a test: the tiles' text fits (no `…`
//! cutting a target short), every workbook number shows as the page writes it (read back with
//! openpyxl, tests/xlsx_formats.py), a signed-off bundle links nothing outside itself, and only a
//! command that runs stages records a run (`render` draws the pages of the run that computed them).
//!
//! The hand-built case, Padova (PD) in 2025, January to October (nothing after):
//! - expense reports on time: 45 of 100 in September, 30 of 100 in October (target 33 %): the
//!   October tile reads 30,0 %, "Valore atteso 33,0 %", ▼ −15,0 punti rispetto a set 2025;
//! - desk accesses, a count: 641 in each of January–April, 640 in each of May–October: 6.404 in
//!   2025 (a sum: no decimals anywhere);
//! - unaccompanied minors present, a count averaged over the months (`time_rollup: mean`): 40, 44,
//!   46, 45, 46, then 44 each month from June: (221 + 5 × 44) / 10 = 44,1 in 2025;
//! - days from request to taking in charge: 125 days over 10 cases a month: 12,5 gg (target 10);
//! - in 2025 so far, 355 of 1.000 reports on time: 35,5 %; 6.404 accesses of the 7.000 expected:
//!   91,5 % of the target.

use std::path::Path;
use std::process::Command;

use crate::common::sportello::{self, MINORS, Sportello};
use crate::common::*;

const MONTH: &str = r#"id: mese
title: Sportello
period: { from: "2025-01", to: "2025-12" }
sections:
  - title: Ottobre
    charts:
      - { type: kpi, indicators: [puntuali, accessi, minori, tempo], territory: PD, period: "2025-10" }
"#;

fn ran() -> tempfile::TempDir {
    Sportello::titled("Quota di rendiconti presentati entro la scadenza del mese")
        .dashboard("mese", MONTH)
        .dashboard("anno", sportello::YEAR)
        .ran()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_tiles_text_fits_without_cutting_targets_short() {
    let dir = ran();
    let svg = read(&dir.path().join("out/mese/chart-01.svg"));
    assert!(!svg.contains('…'), "a tile's text is cut: {svg}");
    // The tiles' lines, in order: a text may go over two lines, never be cut.
    let said: Vec<&str> = svg
        .split("</text>")
        .filter_map(|t| t.rsplit_once('>').map(|(_, s)| s))
        .collect();
    let said = said
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for whole in [
        "Valore atteso 33,0 %",
        "30,0 %",
        "rispetto a set 2025",
        "−15,0 punti",
        "Valore atteso 10 gg",
        "Quota di rendiconti",
        "entro la scadenza del mese",
    ] {
        assert!(said.contains(whole), "the tiles lack {whole:?}: {said}");
    }
}

/// Every number cell of a workbook, as tests/xlsx_formats.py reads it with openpyxl.
fn workbook_numbers(xlsx: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .arg(repo().join("tests/xlsx_formats.py"))
        .arg(xlsx)
        .arg("it")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tests/xlsx_formats.py could not read {} (bash tests/run.sh installs openpyxl): {}",
        xlsx.display(),
        text(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v.as_array().expect("a list").clone()
}

#[test]
fn workbook_numbers_show_as_the_page_writes_them() {
    let dir = ran();
    let d = dir.path().join("out/anno");
    // The status table: each number cell shows what the page's (and the CSV's) cell says.
    let csv = read(&d.join("chart-01.csv"));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_string).collect())
        .collect();
    let numbers = workbook_numbers(&d.join("chart-01.xlsx"));
    assert!(numbers.len() >= 8, "{numbers:?}");
    for n in &numbers {
        let (r, c) = (
            n["row"].as_u64().unwrap() as usize,
            n["column"].as_u64().unwrap() as usize,
        );
        let page = &rows[r - 2][c - 1];
        assert_eq!(n["shown"].as_str(), Some(page.as_str()), "{n}");
    }
    let page = read(&d.join("index.html"));
    // (40 + 44 + 46 + 45 + 46 + 5 × 44) / 10 = 441 / 10 = 44,1 minors on average.
    assert_eq!(MINORS.iter().sum::<u32>(), 441);
    assert!(page.contains(">44,1<"), "the page's minors");
    assert!(
        numbers.iter().any(|n| n["shown"] == "44,1"),
        "the minors show their decimal in the workbook: {numbers:?}"
    );
    // data.xlsx: counts without decimals, values as the page writes them.
    let data = workbook_numbers(&d.join("data.xlsx"));
    let shown: Vec<&str> = data.iter().filter_map(|n| n["shown"].as_str()).collect();
    assert!(
        data.iter().all(|n| !n["shown"].is_null()),
        "every format is one a spreadsheet reads as the page: {data:?}"
    );
    assert!(shown.contains(&"6.404"), "{shown:?}");
    assert!(!shown.contains(&"6.404,0"), "{shown:?}");
    for value in ["44,1", "35,5 %", "12,5 gg", "91,5 %"] {
        assert!(shown.contains(&value), "data.xlsx lacks {value}: {shown:?}");
    }
}

/// Every relative link (`href`, `src`) of the pages below `root` that does not lead to a file
/// below `root`, with its page.
fn links_leaving(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)
            .expect("a folder")
            .map(|e| e.expect("an entry"))
        {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "html") {
                continue;
            }
            let html = read(&path);
            for attr in ["href=\"", "src=\""] {
                for piece in html.split(attr).skip(1) {
                    let link = piece[..piece.find('"').expect("a quote")]
                        .replace("&#x2f;", "/")
                        .replace("&amp;", "&");
                    if link.starts_with('#') || link.contains("://") || link.starts_with("mailto:")
                    {
                        continue;
                    }
                    let file = link.split(['#', '?']).next().unwrap_or_default();
                    let target = path.parent().expect("a folder").join(file);
                    let inside = target.canonicalize().is_ok_and(|t| {
                        t.starts_with(root.canonicalize().expect("the root")) && t.is_file()
                    });
                    if !inside {
                        out.push((path.display().to_string(), link));
                    }
                }
            }
        }
    }
    out
}

fn bundle_of(out: &std::process::Output) -> std::path::PathBuf {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("bundle: ").map(std::path::PathBuf::from))
        .unwrap_or_else(|| panic!("the bundle's path: {}", text(out)))
}

fn runs(p: &Path) -> Vec<serde_json::Value> {
    let out = osservatorio(p, &["runs", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v.as_array().expect("a list").clone()
}

#[test]
fn a_bundle_links_only_inside_itself_and_signs_off_the_run_that_computed_it() {
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ran = runs(p);
    assert_eq!(ran.len(), 1, "{ran:?}");
    let run = ran[0]["run_id"].as_str().expect("a run id").to_string();
    // Drawing the pages again is not a run: they stay the run's, and so does the sign-off.
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(&run), "{}", text(&out));
    assert_eq!(runs(p).len(), 1, "render records no run of its own");
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let first = bundle_of(&out);
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&first.join("MANIFEST.json"))).expect("JSON");
    assert_eq!(manifest["run_id"], run.as_str());
    let signed_off = &runs(p)[0];
    assert_eq!(signed_off["run_id"], run.as_str());
    let sources = signed_off["sources"].as_array().expect("sources");
    assert!(
        !sources.is_empty(),
        "the run signed off ingested its sources"
    );
    assert!(
        !signed_off["indicators"]
            .as_array()
            .expect("indicators")
            .is_empty()
    );

    // The pages link the findings and the deliveries' outcome files beside them; the bundle
    // holds them, and the index's list of bundles is no link out of it.
    let page = read(&p.join("out/pilotaggio/index.html"));
    assert!(page.contains("findings.csv"), "the page links the findings");
    assert!(
        page.contains("deliveries"),
        "the page links delivery outcomes"
    );
    assert_eq!(links_leaving(&first), Vec::<(String, String)>::new());
    assert!(first.join("findings.csv").is_file());

    // The same drawing is signed off once; drawn again (the index now lists the first bundle),
    // the same run signed off the same day is a second bundle beside the first.
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi", "--note", "again"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = bundle_of(&out);
    assert_ne!(first, second);
    assert!(
        read(&p.join("out/index.html")).contains("published"),
        "the office's index links the bundles"
    );
    assert_eq!(links_leaving(&second), Vec::<(String, String)>::new());
    for b in [&first, &second] {
        let out = osservatorio(p, &["verify", &b.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}
