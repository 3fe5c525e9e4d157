//! Render tests on a small hand-made project: every chart kind writes its SVG and PNG with the
//! expected labels, the page opens with its summary and tiles, tables group indicators by type,
//! and export text cannot turn into markup in any page, SVG or PDF.
//!
//! The figures are computed by hand from the data below: every month of 2024 Provincia Uno has
//! 50 visits on 100 places and Provincia Due 30 on 40; in 2025 Provincia Uno has 60 visits.
//! So, for 2025: Uno 720 visits (target 1,000), saturation 60 %; Due 360 visits, 75 %.

use std::path::Path;

use crate::common::*;

const TERRITORIES: &str = "code,name,level,parent\nREG,Regione Prova,regione,\nP1,Provincia Uno,provincia,REG\nP2,Provincia Due,provincia,REG\n";

const PIPELINE: &str = r#"name: visite
tables:
  visite:
    columns: { data: date, provincia: string, nome: string, visite: int, posti: int }
    required: [data, provincia, visite]
sources:
  - name: visite
    table: visite
    url: visite.csv
    format: csv
"#;

const INDICATORS: &str = r#"indicators:
  - id: visite
    title: Visite effettuate
    numerator: { it: "visite registrate", en: "visits recorded" }
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, data AS period, SUM(visite) AS numerator FROM visite GROUP BY 1, 2
    targets:
      - { grain: year, value: 1000 }
  - id: saturazione
    title: Saturazione dei posti
    kind: outcome
    unit: percent
    grain: month
    on_track: 95
    small_cells: show
    sql: SELECT provincia AS territory, data AS period, SUM(visite) AS numerator, SUM(posti) AS denominator FROM visite GROUP BY 1, 2
    targets:
      - { value: 80 }
"#;

const DASHBOARD: &str = r#"id: prova
title: Cruscotto di prova
period: { from: "2024-01", to: "2025-12" }
sections:
  - title: Sintesi
    charts:
      - { type: kpi, indicators: [visite, saturazione], territory: P1, period: "2025" }
  - title: Grafici
    charts:
      - { type: trend, indicator: saturazione, territories: [P1, P2], grain: quarter }
      - { type: bar, indicator: visite, territories: { children_of: REG }, period: "2025" }
      - { type: target, indicators: [visite, saturazione], territory: P1, period: "2025" }
      - { type: table, indicators: [saturazione, visite], territories: [REG, P1, P2], period: "2025" }
      - { type: heatmap, indicator: saturazione, territories: { children_of: REG }, grain: quarter }
      - { type: small_multiples, indicator: visite, territories: { children_of: REG }, grain: quarter }
"#;

fn visits_csv(extra: &str) -> String {
    let mut s = String::from("data,provincia,nome,visite,posti\n");
    for year in [2024, 2025] {
        for month in 1..=12 {
            let uno = if year == 2025 { 60 } else { 50 };
            s.push_str(&format!(
                "{year}-{month:02}-01,P1,Struttura A,{uno},100\n{year}-{month:02}-01,P2,Struttura B,30,40\n"
            ));
        }
    }
    s.push_str(extra);
    s
}

fn small_project(territories: &str, extra_rows: &str) -> tempfile::TempDir {
    let dir = project(&[
        ("pipelines/visite.yaml", PIPELINE.as_bytes()),
        ("indicators/visite.yaml", INDICATORS.as_bytes()),
        ("dashboards/prova.yaml", DASHBOARD.as_bytes()),
        ("visite.csv", visits_csv(extra_rows).as_bytes()),
    ]);
    write(dir.path(), "territories.csv", territories.as_bytes());
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The PNG's width and height, from its header.
fn png_size(p: &Path) -> (u32, u32) {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(
        b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is a PNG",
        p.display()
    );
    let n = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (n(16), n(20))
}

#[test]
fn every_chart_kind_draws_its_labels_in_svg_and_png() {
    let dir = small_project(TERRITORIES, "");
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = p.join("out/prova");
    // 01 kpi tiles (text on the page, drawn for the downloads), 02 trend, 03 bar, 04 target,
    // 05 table (CSV and XLSX), 06 heatmap, 07 small multiples.
    let expected: [(&str, &[&str]); 6] = [
        (
            "chart-01",
            &[
                "Visite effettuate",
                "720",
                "Valore atteso 1.000",
                "▲ +120 rispetto a 2024",
                "in miglioramento",
            ],
        ),
        (
            "chart-02",
            &[
                "Saturazione dei posti",
                "Provincia Uno",
                "Provincia Due",
                "Valore atteso",
                "T1 2024",
            ],
        ),
        (
            "chart-03",
            &["Visite effettuate — 2025", "720", "360", "Provincia Uno"],
        ),
        (
            "chart-04",
            &["Visite effettuate", "720 / 1.000", "60,0 % / 80,0 %"],
        ),
        (
            "chart-06",
            &["Provincia Due", "60,0 %", "75,0 %", "50,0 %", "T4 2025"],
        ),
        (
            "chart-07",
            &["Provincia Uno", "Provincia Due", "T1 2024", "T4 2025"],
        ),
    ];
    for (name, labels) in expected {
        let svg = read(&d.join(format!("{name}.svg")));
        assert!(svg.contains("<svg"), "{name}");
        for l in labels {
            assert!(svg.contains(l), "{name}.svg lacks {l:?}");
        }
        let (w, h) = png_size(&d.join(format!("{name}.png")));
        assert_eq!(w, 900, "{name}.png width");
        assert!(h >= 150, "{name}.png height {h}");
        for ext in ["csv", "xlsx"] {
            assert!(
                d.join(format!("{name}-data.{ext}")).exists(),
                "{name}-data.{ext}"
            );
        }
    }
    // Bars are sorted, largest first: Uno (720) is drawn above Due (360).
    let bar = read(&d.join("chart-03.svg"));
    let (uno, due) = (bar.find("\n720\n"), bar.find("\n360\n"));
    assert!(
        uno.is_some() && due.is_some(),
        "value labels in the bar chart"
    );
    assert!(uno < due, "the larger bar first");

    let page = read(&d.join("index.html"));
    // The tile: 720 visits in 2025, 120 more than the 600 of 2024, a rise that is good news.
    assert!(page.contains("tile-value\">720<"), "the kpi tile's value");
    assert!(
        page.contains("▲ +120 rispetto a 2024"),
        "the change against 2024"
    );
    assert!(
        page.contains("in miglioramento"),
        "the change judged by direction"
    );
    // Saturation of Provincia Due is 75 %, 93,75 % of the 80 % target: off track with the
    // indicator's own on_track of 95 (it would be on track at a fixed 90).
    let table = read(&d.join("chart-05.csv"));
    let due = table
        .lines()
        .find(|l| l.contains("Saturazione") && l.contains("Provincia Due"))
        .expect("Provincia Due's saturation row");
    assert!(
        due.contains("93,8 %") && due.contains("non in linea"),
        "{due}"
    );
    // Tables group by typology: the output indicator comes first although listed second.
    let first = table.lines().nth(1).unwrap_or("");
    assert!(first.starts_with("Indicatori di output,Visite"), "{table}");
    // The page opens with the summary and its list of changes.
    assert!(page.contains("In sintesi") && page.contains("Variazioni maggiori"));
    // Under each chart: numerator, source table and definition hash.
    assert!(page.contains("Numeratore: visite registrate"));
    assert!(page.contains("Tabelle di origine: visite"));
}

#[test]
fn english_pages_use_english_words_and_number_formats() {
    let dir = small_project(TERRITORIES, "");
    let p = dir.path();
    write(p, "osservatorio.yaml", b"locale: en\n");
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = read(&p.join("out/prova/index.html"));
    for word in [
        "At a glance",
        "Largest changes",
        "Source tables",
        "improving",
        "lang=\"en\"",
    ] {
        assert!(page.contains(word), "{word}");
    }
    assert!(!page.contains("In sintesi") && !page.contains("Tabelle di origine"));
    let svg = read(&p.join("out/prova/chart-04.svg"));
    assert!(
        svg.contains("720 / 1,000") && svg.contains("60.0 % / 80.0 %"),
        "English numbers"
    );
}

#[test]
fn export_text_is_inert_in_every_page_svg_and_pdf() {
    const EVIL: &str = "<script>alert(1)</script>";
    // In a territory name (a facility's name copied from an export into territories.csv), and
    // in a cell that a second source rejects, so the source fails and the index reports it.
    let territories = TERRITORIES.replace("Provincia Due", EVIL);
    let dir = small_project(&territories, "");
    let p = dir.path();
    write(
        p,
        "pipelines/cattive.yaml",
        b"name: cattive\nsources:\n  - name: cattive\n    table: visite\n    url: cattive.csv\n    format: csv\n    max_rejected: 0\n",
    );
    write(
        p,
        "cattive.csv",
        format!("data,provincia,nome,visite,posti\n2025-06-01,P1,{EVIL},{EVIL},10\n").as_bytes(),
    );
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let mut escaped = 0;
    for page in ["out/index.html", "out/prova/index.html"] {
        let html = read(&p.join(page));
        assert!(!html.contains(EVIL), "{page} carries the text as markup");
        assert!(
            !html.to_lowercase().contains("<script"),
            "{page} has a script element"
        );
        // minijinja escapes `/` too.
        escaped += html.matches("&lt;script&gt;alert(1)&lt;").count();
    }
    assert!(escaped >= 2, "the text is shown, escaped, on the pages");
    for entry in std::fs::read_dir(p.join("out/prova")).expect("the dashboard folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = read(&path);
            assert!(
                !svg.to_lowercase().contains("<script"),
                "{}",
                path.display()
            );
        }
    }
    assert!(
        read(&p.join("out/prova/chart-02.svg")).contains("&lt;script&gt;"),
        "the name is drawn as text in the trend"
    );
    let Some(_) = chromium() else {
        eprintln!("Chromium not installed: the PDF part is checked where it is (CI)");
        return;
    };
    let out = osservatorio(p, &["render", "--pdf"]);
    assert!(text(&out).contains("prova.pdf"), "{}", text(&out));
    let pdf = std::fs::read(p.join("out/prova/prova.pdf")).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF"));
    let as_text = String::from_utf8_lossy(&pdf);
    for key in ["/JavaScript", "/JS ", "/JS(", "/OpenAction", "/AA "] {
        assert!(!as_text.contains(key), "the PDF carries {key}");
    }
}

#[test]
fn pdf_without_chromium_says_what_to_install() {
    let dir = small_project(TERRITORIES, "");
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let out = std::process::Command::new(BIN)
        .args(["render", "--pdf", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .env("OSSERVATORIO_CHROMIUM", p.join("no-such-chromium"))
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("apt-get install chromium"),
        "{}",
        text(&out)
    );
    // The pages are still rendered.
    assert!(p.join("out/prova/index.html").exists());
}
