//! `render --annex` on a small hand-made plan: the DOCX is opened with python-docx and the ODT with
//! odfpy (tests/annex_cells.py), and the text of every table cell is compared with figures worked
//! out by hand from the data below.
//!
//! Plan 2021-2023, as the planning office reports it (expected → achieved):
//! - people supported (output, count): Provincia Uno 1,200 → 1,234 (102.8 %: achieved);
//!   Provincia Due 500 → 3, fewer than privacy.min_cell = 5 people: shown as `c`, status hidden;
//! - desk opening hours (process, hours, shown as is): Provincia Uno 1,000 → 1,234.5 (achieved);
//!   Provincia Due reported none: no data;
//! - user satisfaction (outcome, score): Provincia Uno 8 → 7.5 (93.75 % ≥ 90 %: on track);
//! - entities at the table (outcome, percent): Provincia Uno 70 → 50 (71.4 %: off track).
//!
//! The monthly visits indicator is not a plan indicator: it is in no annex, and its own dashboard
//! gets none.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const TERRITORIES: &str = "code,name,level,parent\nREG,Regione Prova,regione,\nP1,Provincia Uno,provincia,REG\nP2,Provincia Due,provincia,REG\n";

const SETTINGS: &str = "name: Ufficio di Piano di prova\nlocale: it\nprivacy: { min_cell: 5 }\nplan_periods: [\"2021-2023\"]\n";

const PIPELINE: &str = r#"name: piano
tables:
  pdz:
    columns: { triennio: string, territorio: string, indicatore: string, atteso: float, realizzato: float }
    required: [triennio, territorio, indicatore]
  visite:
    columns: { data: date, territorio: string, visite: int }
    required: [data, territorio]
sources:
  - { name: pdz, table: pdz, url: pdz.csv, format: csv }
  - { name: visite, table: visite, url: visite.csv, format: csv }
"#;

const PDZ: &str = "triennio,territorio,indicatore,atteso,realizzato
2021-2023,P1,persone,1200,1234
2021-2023,P2,persone,500,3
2021-2023,P1,ore,1000,1234.5
2021-2023,P1,soddisfazione,8,7.5
2021-2023,P1,tavolo,70,50
";

const VISITE: &str = "data,territorio,visite\n2023-01-10,P1,40\n2023-02-10,P1,45\n";

fn plan_indicator(id: &str, title: &str, kind: &str, unit: &str, show: bool) -> String {
    format!(
        r#"  - id: pdz_{id}
    title: "{title}"
    kind: {kind}
    unit: {unit}
    grain: plan
    territory_rollup: none
    small_cells: {small}
    sql: SELECT territorio AS territory, triennio AS period, realizzato AS numerator FROM pdz WHERE indicatore = '{id}'
    targets_sql: SELECT territorio AS territory, triennio AS period, atteso AS value FROM pdz WHERE indicatore = '{id}'
"#,
        small = if show { "show" } else { "suppress" }
    )
}

fn indicators() -> String {
    let mut s = String::from("indicators:\n");
    s.push_str(&plan_indicator(
        "persone",
        "PdZ: persone supportate",
        "output",
        "count",
        false,
    ));
    s.push_str(&plan_indicator(
        "ore",
        "PdZ: ore di apertura",
        "process",
        "hours",
        true,
    ));
    s.push_str(&plan_indicator(
        "soddisfazione",
        "PdZ: soddisfazione",
        "outcome",
        "score",
        true,
    ));
    s.push_str(&plan_indicator(
        "tavolo",
        "PdZ: enti al tavolo",
        "outcome",
        "percent",
        true,
    ));
    s.push_str(
        r#"  - id: visite
    title: Visite
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT territorio AS territory, data AS period, SUM(visite) AS numerator FROM visite GROUP BY 1, 2
"#,
    );
    s
}

const PLAN_DASHBOARD: &str = r#"id: piano
title: Piano di prova
sections:
  - title: "Obiettivo 1: accesso ai servizi"
    charts:
      - { type: table, indicators: [pdz_persone, pdz_ore], territories: [P1, P2], period: "2021-2023" }
  - title: "Obiettivo 2: qualità della rete"
    charts:
      - { type: target, indicators: [pdz_soddisfazione, pdz_tavolo, pdz_ore], territory: P1, period: "2021-2023" }
      - { type: trend, indicator: visite, territories: [P1], grain: month }
"#;

const VISITS_DASHBOARD: &str = r#"id: visite
title: Visite
sections:
  - title: Andamento
    charts:
      - { type: trend, indicator: visite, territories: [P1], grain: month }
"#;

fn plan_project() -> tempfile::TempDir {
    let ind = indicators();
    let dir = project(&[
        ("osservatorio.yaml", SETTINGS.as_bytes()),
        ("pipelines/piano.yaml", PIPELINE.as_bytes()),
        ("indicators/piano.yaml", ind.as_bytes()),
        ("dashboards/piano.yaml", PLAN_DASHBOARD.as_bytes()),
        ("dashboards/visite.yaml", VISITS_DASHBOARD.as_bytes()),
        ("pdz.csv", PDZ.as_bytes()),
        ("visite.csv", VISITE.as_bytes()),
    ]);
    write(dir.path(), "territories.csv", TERRITORIES.as_bytes());
    dir
}

const HEADINGS: [&str; 3] = [
    "Allegato di monitoraggio — Piano di prova",
    "Obiettivo 1: accesso ai servizi",
    "Obiettivo 2: qualità della rete",
];

/// The headings and table cells of a document, as tests/annex_cells.py reads them.
fn cells(doc: &Path) -> serde_json::Value {
    let script = repo().join("tests/annex_cells.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(doc)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{} could not read {} (bash tests/run.sh installs python-docx and odfpy): {}",
        script.display(),
        doc.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

fn table(rows: &[[&str; 8]]) -> serde_json::Value {
    let header = [
        "Indicatore",
        "Territorio",
        "Periodo",
        "Tipologia",
        "Valore atteso",
        "Valore realizzato",
        "Stato",
        "Note",
    ];
    serde_json::json!(std::iter::once(&header).chain(rows).collect::<Vec<_>>())
}

/// The annex's two tables, worked out by hand from the data above.
fn expected_tables() -> [serde_json::Value; 2] {
    let objective_1 = table(&[
        [
            "PdZ: persone supportate",
            "Provincia Uno",
            "2021–2023",
            "di output",
            "1.200",
            "1.234",
            "raggiunto",
            "",
        ],
        [
            "PdZ: persone supportate",
            "Provincia Due",
            "2021–2023",
            "di output",
            "500",
            "c",
            "riservato",
            "",
        ],
        [
            "PdZ: ore di apertura",
            "Provincia Uno",
            "2021–2023",
            "di processo",
            "1.000 h",
            "1.234,5 h",
            "raggiunto",
            "",
        ],
        // The chart shows Provincia Due, which reported no hours: the office sees the gap.
        [
            "PdZ: ore di apertura",
            "Provincia Due",
            "2021–2023",
            "di processo",
            "—",
            "—",
            "senza dati",
            "",
        ],
    ]);
    // Hours of Provincia Uno are already under objective 1: reported once.
    let objective_2 = table(&[
        [
            "PdZ: soddisfazione",
            "Provincia Uno",
            "2021–2023",
            "di outcome",
            "8",
            "7,5",
            "in linea",
            "",
        ],
        [
            "PdZ: enti al tavolo",
            "Provincia Uno",
            "2021–2023",
            "di outcome",
            "70,0 %",
            "50,0 %",
            "non in linea",
            "",
        ],
    ]);
    [objective_1, objective_2]
}

#[test]
fn the_annex_reports_each_objective_in_word_and_opendocument() {
    let p = plan_project();
    let out = osservatorio(p.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(p.path(), &["render", "--annex"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("annex.docx"), "{}", text(&out));

    let [objective_1, objective_2] = expected_tables();
    let dir = p.path().join("out/piano");
    for name in ["annex.docx", "annex.odt"] {
        let doc = cells(&dir.join(name));
        assert_eq!(
            doc["tables"],
            serde_json::json!([objective_1, objective_2]),
            "{name}"
        );
        assert_eq!(doc["headings"], serde_json::json!(HEADINGS), "{name}");
    }
    assert_eq!(
        cells(&dir.join("annex.odt"))["mimetype"],
        "application/vnd.oasis.opendocument.text"
    );
    // No plan indicator, no annex; and a render without --annex writes none.
    assert!(!p.path().join("out/visite/annex.odt").exists());
    assert!(!p.path().join("out/visite/annex.docx").exists());
    let out = osservatorio(p.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!dir.join("annex.docx").exists());
}

/// LibreOffice converts both documents to text (one line per paragraph and per table cell) and
/// reads back the headings and every row of both tables, figures as worked out by hand: what an
/// office opening the annex in LibreOffice or Word sees.
#[test]
fn libreoffice_reads_the_figures_of_both_annex_documents() {
    let Some(soffice) = soffice() else { return };
    let p = plan_project();
    assert_eq!(osservatorio(p.path(), &["run"]).status.code(), Some(0));
    let out = osservatorio(p.path(), &["render", "--annex"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let tables = expected_tables();
    for name in ["annex.odt", "annex.docx"] {
        let conv = p.path().join("conv").join(name);
        let doc = p.path().join("out/piano").join(name);
        let txt = soffice_convert(&soffice, &doc, "txt:Text (encoded):UTF8", &conv);
        let body = std::fs::read_to_string(&txt).expect("converted text");
        let lines: Vec<&str> = body
            .lines()
            .map(|l| l.trim_start_matches('\u{feff}').trim())
            .collect();
        let mut at = 0;
        for h in HEADINGS {
            let found = lines[at..].iter().position(|l| *l == h);
            at += 1 + found.unwrap_or_else(|| {
                panic!("{name}: LibreOffice reads no heading {h:?} in order: {body}")
            });
        }
        // Each row's cells on consecutive lines, the rows in order: the figures are where
        // the office reads them.
        let mut at = 0;
        for row in tables
            .iter()
            .flat_map(|t| t.as_array().expect("rows").iter())
        {
            let cells: Vec<&str> = row
                .as_array()
                .expect("cells")
                .iter()
                .map(|c| c.as_str().expect("text"))
                .collect();
            let found = (at..lines.len()).find(|&i| lines[i..].starts_with(&cells));
            let i = found.unwrap_or_else(|| {
                panic!("{name}: LibreOffice does not read the row {cells:?} in order: {body}")
            });
            at = i + cells.len();
        }
    }
}
