//! The printed layout of a large dashboard, read back from the PDF with poppler's `pdfinfo` and
//! `pdftotext` (independent of the printer): 40 provinces, a bar chart of all of them, a trend,
//! and a status table of three indicators for all 40 (120 rows, several pages).
//! - the summary ("In sintesi": 40 territories, six status columns as one indicator has no target
//!   and one is partly confidential, then the largest changes) fits on the first page with the
//!   header, no word of it overlapping another or leaving the page (`pdftotext -bbox`);
//! - every chart's title (drawn in its SVG), all its labels and its notes are on one page;
//! - every page of the status table starts with its header row, then a whole row (a row's first
//!   line holds its period, `ott 2025`) or a group's title; all 80 rows are printed;
//! - no heading ends a page.
//!
//! Chromium prints (`render --pdf`); without it, or without poppler, the test is skipped on a
//! developer's machine and fails under `CI=true` (`.ci/run` installs both).

use std::path::Path;
use std::process::Command;

use crate::common::*;

const NAMES: [&str; 40] = [
    "Agrigento",
    "Alessandria",
    "Ancona",
    "Arezzo",
    "Ascoli Piceno",
    "Asti",
    "Avellino",
    "Bari",
    "Belluno",
    "Benevento",
    "Bergamo",
    "Biella",
    "Bologna",
    "Bolzano",
    "Brescia",
    "Brindisi",
    "Cagliari",
    "Caltanissetta",
    "Campobasso",
    "Caserta",
    "Catania",
    "Catanzaro",
    "Chieti",
    "Como",
    "Cosenza",
    "Cremona",
    "Crotone",
    "Cuneo",
    "Enna",
    "Fermo",
    "Ferrara",
    "Firenze",
    "Foggia",
    "Forlì-Cesena",
    "Frosinone",
    "Genova",
    "Gorizia",
    "Grosseto",
    "Imperia",
    "Isernia",
];

const SETTINGS: &str = "name: Prefettura di prova\nlocale: it\nprivacy: { min_cell: 5 }\n";

const PIPELINE: &str = r#"name: p
tables:
  mensile:
    columns: { mese: date, provincia: string, occupati: int, posti: int, accessi: int, minori: int }
    required: [mese, provincia]
sources:
  - { name: mensile, table: mensile, url: mensile.csv, format: csv }
"#;

const INDICATORS: &str = r#"indicators:
  - id: occupazione
    title: Tasso di occupazione dei posti
    kind: outcome
    unit: percent
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(occupati) AS numerator, SUM(posti) AS denominator FROM mensile GROUP BY 1, 2
    targets:
      - { value: 90 }
  - id: accessi
    title: Accessi allo sportello
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(accessi) AS numerator FROM mensile GROUP BY 1, 2
    targets:
      - { value: 100 }
  - id: minori
    title: Minori stranieri non accompagnati presenti
    kind: output
    unit: count
    grain: month
    small_cells: suppress
    sql: SELECT provincia AS territory, mese AS period, SUM(minori) AS numerator FROM mensile GROUP BY 1, 2
"#;

const DASHBOARD: &str = r#"id: quaranta
title: Quaranta province
period: { from: "2025-01", to: "2025-12" }
sections:
  - title: Occupazione dei posti
    charts:
      - { type: bar, indicator: occupazione, territories: { children_of: R }, period: "2025-10" }
      - { type: trend, indicator: occupazione, territories: [P01, P02, P03], grain: month, title: Andamento mensile dell'occupazione }
  - title: Tabella di sintesi
    charts:
      - { type: table, indicators: [occupazione, accessi, minori], territories: { children_of: R }, period: "2025-10" }
"#;

fn territories() -> String {
    let mut s = String::from("code,name,level,parent\nR,Regione di prova,regione,\n");
    for (i, n) in NAMES.iter().enumerate() {
        s.push_str(&format!("P{:02},Provincia di {n},provincia,R\n", i + 1));
    }
    s
}

fn monthly() -> String {
    let mut s = String::from("mese,provincia,occupati,posti,accessi,minori\n");
    for m in 1..=10 {
        for i in 0..40 {
            let occupied = 70 + (i * 7 + m * 3) % 30;
            let accesses = 80 + (i * 13 + m * 5) % 40;
            // Two provinces host fewer minors than privacy.min_cell: hidden, with a sibling.
            let minors = if i == 2 || i == 6 { 3 } else { 20 + i };
            s.push_str(&format!(
                "2025-{m:02}-01,P{:02},{occupied},100,{accesses},{minors}\n",
                i + 1
            ));
        }
    }
    s
}

fn poppler() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();
    if !found && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("poppler-utils is required in CI: .ci/run installs it");
    }
    found
}

/// The text of each page of `pdf`, in reading order with the layout kept.
fn pages(pdf: &Path) -> Vec<String> {
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let n: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gives no page count: {info}"));
    (1..=n)
        .map(|p| {
            let p = p.to_string();
            let o = Command::new("pdftotext")
                .args(["-layout", "-f", &p, "-l", &p])
                .arg(pdf)
                .arg("-")
                .output()
                .expect("pdftotext runs");
            assert!(o.status.success(), "{}", text(&o));
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .collect()
}

/// The page (0-based) holding `needle`, which must be on exactly one page.
fn page_of(pages: &[String], needle: &str) -> usize {
    let on: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].contains(needle))
        .collect();
    assert_eq!(on.len(), 1, "{needle:?} is on pages {on:?}");
    on[0]
}

/// The 40-province project, run and printed; `signed_off`: a bundle signed off first, so the
/// page opens with what changed since that meeting.
fn printed(signed_off: bool) -> Option<(tempfile::TempDir, Vec<String>)> {
    let (dir, pages, _) = printed_pdf(signed_off)?;
    Some((dir, pages))
}

fn printed_pdf(signed_off: bool) -> Option<(tempfile::TempDir, Vec<String>, std::path::PathBuf)> {
    chromium()?;
    if !poppler() {
        return None;
    }
    let dir = project(&[
        ("osservatorio.yaml", SETTINGS.as_bytes()),
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("indicators/p.yaml", INDICATORS.as_bytes()),
        ("dashboards/quaranta.yaml", DASHBOARD.as_bytes()),
        ("mensile.csv", monthly().as_bytes()),
    ]);
    write(dir.path(), "territories.csv", territories().as_bytes());
    let out = osservatorio(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    if signed_off {
        let out = osservatorio(dir.path(), &["publish", "--by", "Gruppo di pilotaggio"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let out = osservatorio(dir.path(), &["render", "--pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pdf = dir.path().join("out/quaranta/quaranta.pdf");
    let pages = pages(&pdf);
    Some((dir, pages, pdf))
}

/// Every word on page `page` (1-based) of `pdf` with its box, and the page's width, as
/// `pdftotext -bbox` gives them (points).
fn words(pdf: &Path, page: usize) -> (f64, Vec<(String, [f64; 4])>) {
    let p = page.to_string();
    let o = Command::new("pdftotext")
        .args(["-bbox", "-f", &p, "-l", &p])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let html = String::from_utf8_lossy(&o.stdout).into_owned();
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2;
        tag[at..]
            .split('"')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };
    let page_tag = html
        .split("<page ")
        .nth(1)
        .expect("a page")
        .split('>')
        .next()
        .unwrap_or("");
    let width = attr(page_tag, "width");
    let words = html
        .split("<word ")
        .skip(1)
        .map(|w| {
            let (tag, rest) = w.split_once('>').expect("a word");
            let text = rest.split("</word>").next().unwrap_or("").to_string();
            let b = ["xMin", "yMin", "xMax", "yMax"].map(|n| attr(tag, n));
            (text, b)
        })
        .collect();
    (width, words)
}

/// Words of `words` whose boxes overlap by more than a point both ways, or leave the page.
fn crowded(width: f64, words: &[(String, [f64; 4])]) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, (a, p)) in words.iter().enumerate() {
        if p[0] < 0.0 || p[2] > width {
            bad.push(format!("{a:?} leaves the page at x = {:.0}", p[2]));
        }
        for (b, q) in &words[i + 1..] {
            let dx = p[2].min(q[2]) - p[0].max(q[0]);
            let dy = p[3].min(q[3]) - p[1].max(q[1]);
            if dx > 1.0 && dy > 1.0 {
                bad.push(format!("{a:?} overlaps {b:?}"));
            }
        }
    }
    bad
}

/// The lines of a page that are not blank and not the page number at its foot.
fn lines(page: &str) -> Vec<&str> {
    page.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Pagina "))
        .collect()
}

/// The rows of the status table, counted over the pages it spans, after checking that each of
/// those pages starts with the header row, then a whole row or a group's title.
fn table_rows(pages: &[String]) -> usize {
    let table: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].contains("ott 2025") && pages[i].contains("Raggiungimento"))
        .collect();
    assert!(table.len() >= 2, "the table spans {table:?}");
    let mut rows = 0;
    for &i in &table {
        let l = lines(&pages[i]);
        let head = l
            .iter()
            .position(|l| l.contains("Indicatore") && l.contains("Raggiungimento"))
            .unwrap_or_else(|| {
                panic!(
                    "page {} of the table has no header row: {}",
                    i + 1,
                    pages[i]
                )
            });
        let body: Vec<&&str> = l[head + 1..]
            .iter()
            .skip_while(|l| {
                l.split_whitespace()
                    .all(|w| w == "realizzato" || w == "atteso")
            })
            .collect();
        let starts = body.first().copied().copied().unwrap_or_default();
        assert!(
            starts.contains("ott 2025") || starts.starts_with("INDICATORI"),
            "page {} continues a row: {starts:?}\n{}",
            i + 1,
            pages[i]
        );
        rows += body.iter().filter(|l| l.contains("ott 2025")).count();
    }
    rows
}

#[test]
fn forty_territories_print_as_a_steering_group_reads_them() {
    let Some((_dir, pages, pdf)) = printed_pdf(false) else {
        return;
    };
    let (width, first_words) = words(&pdf, 1);
    let crowded = crowded(width, &first_words);
    assert!(crowded.is_empty(), "the summary is crowded: {crowded:#?}");
    // The summary with the header, every territory and the largest changes: page 1.
    let first = &pages[0];
    for t in ["Quaranta province", "In sintesi", "Variazioni maggiori"] {
        assert!(first.contains(t), "page 1 lacks {t:?}: {first}");
    }
    for n in NAMES {
        assert!(
            first.contains(&format!("Provincia di {n}")),
            "page 1 lacks {n}: {first}"
        );
    }
    // The bar chart: its title, its 40 bars and its notes on one page.
    let bar = page_of(&pages, "Tasso di occupazione dei posti — ott 2025");
    for n in NAMES {
        assert!(
            pages[bar].contains(n),
            "the bar of {n} is not on page {}",
            bar + 1
        );
    }
    assert!(pages[bar].contains("Tabelle di origine"), "{}", pages[bar]);
    // The trend: title, legend and notes on one page.
    let trend = page_of(&pages, "Andamento mensile dell'occupazione");
    for n in [
        "Provincia di Agrigento",
        "Provincia di Alessandria",
        "Tabelle di origine",
    ] {
        assert!(
            pages[trend].contains(n),
            "{n:?} is not with the trend: {}",
            pages[trend]
        );
    }
    assert_eq!(
        table_rows(&pages),
        120,
        "every row of the table is printed, once"
    );
    // No page ends on a heading: the last line of a page is never a section's or chart's title.
    for (i, p) in pages.iter().enumerate() {
        let last = lines(p).last().copied().unwrap_or_default();
        for heading in ["Occupazione dei posti", "Tabella di sintesi", "In sintesi"] {
            assert_ne!(last, heading, "page {} ends on a heading", i + 1);
        }
    }
}

#[test]
fn what_changed_since_the_meeting_opens_the_first_page_with_the_summary() {
    let Some((_dir, pages)) = printed(true) else {
        return;
    };
    let first = &pages[0];
    for t in [
        "Quaranta province",
        "Dall'ultima riunione",
        "In sintesi",
        "Provincia di Isernia",
        "Variazioni maggiori",
    ] {
        assert!(first.contains(t), "page 1 lacks {t:?}: {first}");
    }
}
