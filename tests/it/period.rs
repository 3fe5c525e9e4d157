//! One period judged per page: the heading names it, and the summary, the tiles, the status
//! table, the target and bar charts and the largest changes all judge it and compare it with the
//! same previous period.
//!
//! The hand-built case, Padova's expense reports (province PD, region VEN):
//! - every month of 2025: 80 of 100 on time;
//! - January–September 2026: 90 of 100 on time; October 2026: 60 of 100; nothing after.
//!
//! So, with the target 80 % and on track from 95 % of it (76 %):
//! - October 2026: 60,0 %, off track; September 2026: 90,0 %: a change of −30,0 points;
//! - 2026 so far (January–October): 870 / 1.000 = 87,0 %, achieved; 2025: 960 / 1.200 = 80,0 %:
//!   +7,0 points. The reports received, a count: 100 in October as in September (no change),
//!   1.000 in 2026 (ten months), which is not compared with the 1.200 of the twelve of 2025.
//!
//! The year and its last month disagree: the year is achieved, its last month off track.

use std::path::Path;

use crate::common::*;

const PIPELINE: &str = r#"name: rendiconti
tables:
  rendiconti:
    columns: { mese: date, provincia: string, puntuali: int, totali: int }
    required: [mese, provincia, puntuali, totali]
sources:
  - name: rendiconti
    table: rendiconti
    url: rendiconti.csv
    format: csv
"#;

const INDICATORS: &str = r#"indicators:
  - id: puntuali
    title: Rendiconti presentati in tempo
    kind: process
    unit: percent
    grain: month
    on_track: 95
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(puntuali) AS numerator, SUM(totali) AS denominator FROM rendiconti GROUP BY 1, 2
    targets:
      - { value: 80 }
  - id: ricevuti
    title: Rendiconti ricevuti
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(totali) AS numerator FROM rendiconti GROUP BY 1, 2
"#;

/// A dashboard whose charts name no period (`kpi_period` empty) or whose tiles name one.
fn dashboard(id: &str, kpi_period: &str) -> String {
    let period = if kpi_period.is_empty() {
        String::new()
    } else {
        format!(", period: \"{kpi_period}\"")
    };
    format!(
        r#"id: {id}
title: Rendiconti
period: {{ from: "2025-01", to: "2026-12" }}
sections:
  - title: Sintesi
    charts:
      - {{ type: kpi, indicators: [puntuali, ricevuti], territory: PD{period} }}
  - title: Dettaglio
    charts:
      - {{ type: table, indicators: [puntuali, ricevuti], territories: [VEN, PD] }}
      - {{ type: target, indicators: [puntuali], territory: PD }}
      - {{ type: bar, indicator: puntuali, territories: {{ children_of: VEN }} }}
      - {{ type: trend, indicator: puntuali, territories: [PD], grain: month }}
"#
    )
}

fn reports_csv() -> String {
    let mut s = String::from("mese,provincia,puntuali,totali\n");
    for m in 1..=12 {
        s.push_str(&format!("2025-{m:02}-01,PD,80,100\n"));
    }
    for m in 1..=10 {
        let on_time = if m == 10 { 60 } else { 90 };
        s.push_str(&format!("2026-{m:02}-01,PD,{on_time},100\n"));
    }
    s
}

fn rendered() -> tempfile::TempDir {
    let dir = project(&[
        ("pipelines/rendiconti.yaml", PIPELINE.as_bytes()),
        ("indicators/rendiconti.yaml", INDICATORS.as_bytes()),
        ("dashboards/mese.yaml", dashboard("mese", "").as_bytes()),
        ("dashboards/anno.yaml", dashboard("anno", "2026").as_bytes()),
        ("rendiconti.csv", reports_csv().as_bytes()),
    ]);
    let out = osservatorio(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The summary's counts for a territory: achieved, on track, off track, no data, no target.
fn glance_counts(page: &str, territory: &str) -> Vec<String> {
    let table = &page[page.find("class=\"counts\"").expect("the summary's counts")..];
    let row = &table[table
        .find(&format!("<td>{territory}</td>"))
        .expect("the territory's row")..];
    let row = &row[..row.find("</tr>").expect("the row's end")];
    row.split("<td class=\"num")
        .skip(1)
        .map(|c| {
            let v = &c[c.find('>').expect("a cell") + 1..];
            v[..v.find('<').expect("a cell's end")].trim().to_string()
        })
        .collect()
}

/// The periods data.csv lists for an indicator: the figures the page shows.
fn periods_shown(dir: &Path, indicator: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(dir.join("data.csv")).expect("data.csv");
    let h = r.headers().expect("a header").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect(n);
    let (i, p) = (col("indicator"), col("period"));
    let mut out: Vec<String> = r
        .records()
        .map(|r| r.expect("a record"))
        .filter(|r| &r[i] == indicator)
        .map(|r| r[p].to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_page_without_named_periods_judges_its_latest_month_everywhere() {
    let dir = rendered();
    let d = dir.path().join("out/mese");
    let page = read(&d.join("index.html"));
    assert!(
        page.contains("Situazione a ottobre 2026"),
        "the heading names the month judged"
    );
    // The summary judges October (off track), not the year so far (achieved).
    assert_eq!(
        glance_counts(&page, "Padova")[..3],
        ["0", "0", "1"],
        "Padova: none achieved, none on track, one off track"
    );
    // The tiles judge October too, and compare it with September, as the largest changes do.
    assert!(page.contains("tile-value\">60,0 %<"), "October's tile");
    assert!(page.contains("▼ −30,0 punti rispetto a set 2026"), "tile");
    assert!(
        page.contains("90,0 % (set 2026) → 60,0 % (ott 2026)"),
        "the largest change is the tile's"
    );
    assert!(
        !page.contains("87,0 %"),
        "the year so far is judged nowhere"
    );
    // The status table, the target chart and the bars: October.
    let table = read(&d.join("chart-02.csv"));
    let row = table
        .lines()
        .find(|l| l.contains("Rendiconti presentati") && l.contains("Padova"))
        .expect("Padova's row");
    assert!(
        row.contains("ott 2026") && row.contains("60,0 %") && row.contains("non in linea"),
        "{row}"
    );
    assert!(
        read(&d.join("chart-03.svg")).contains("ott 2026"),
        "target chart"
    );
    assert!(
        read(&d.join("chart-04.svg")).contains("ott 2026"),
        "bar chart"
    );
    // No figure of the year is shown: every section judged October against September.
    let periods = periods_shown(&d, "ricevuti");
    assert_eq!(periods, ["2026-09", "2026-10"], "periods of the count");
}

#[test]
fn a_page_judging_a_year_with_ten_months_says_so_everywhere() {
    let dir = rendered();
    let d = dir.path().join("out/anno");
    let page = read(&d.join("index.html"));
    assert!(
        page.contains("Situazione al 2026 (gen–ott)"),
        "the heading names the year and the months it has"
    );
    // The tiles name 2026, so the whole page judges 2026: achieved, +7,0 points on 2025.
    assert_eq!(
        glance_counts(&page, "Padova")[..3],
        ["1", "0", "0"],
        "Padova: one achieved"
    );
    assert!(page.contains("tile-value\">87,0 %<"), "the year's tile");
    assert!(page.contains("2026 (gen–ott)"), "the tile's period");
    assert!(page.contains("▲ +7,0 punti rispetto a 2025"), "tile");
    assert!(
        page.contains("80,0 % (2025) → 87,0 % (2026 (gen–ott))"),
        "the largest change is the tile's"
    );
    // Ten months of reports are not compared with twelve: no change, in the tiles or the list.
    assert!(page.contains("tile-value\">1.000<"), "the count's tile");
    assert!(
        !page.contains("1.200"),
        "2025's twelve months are not compared"
    );
    assert!(!page.contains("60,0 %"), "October alone is judged nowhere");
    let table = read(&d.join("chart-02.csv"));
    let row = table
        .lines()
        .find(|l| l.contains("Rendiconti presentati") && l.contains("Padova"))
        .expect("Padova's row");
    assert!(
        row.contains("2026 (gen–ott)") && row.contains("87,0 %") && row.contains("raggiunto"),
        "{row}"
    );
    assert!(
        read(&d.join("chart-03.svg")).contains("2026 (gen–ott)"),
        "target chart"
    );
    assert!(
        read(&d.join("chart-04.svg")).contains("2026 (gen–ott)"),
        "bar chart"
    );
    assert_eq!(
        periods_shown(&d, "ricevuti"),
        ["2026"],
        "periods of the count"
    );
}
