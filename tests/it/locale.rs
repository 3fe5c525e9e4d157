//! Run problems on pages in the project's locale, ceased municipality codes counted under their
//! successor at ingest, and the grain messages' did-you-mean.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{init_project, osservatorio, page_text, text};

fn edit(p: &Path, file: &str, from: &str, to: &str) {
    let path = p.join(file);
    let t = std::fs::read_to_string(&path).expect("a file of the project");
    assert!(t.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, t.replacen(from, to, 1)).expect("edited");
}

fn run(p: &Path) -> Output {
    osservatorio(p, &["run"])
}

/// The `FAILED` lines a run printed.
fn failed_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("FAILED"))
        .map(|l| l.trim_start_matches("FAILED ").to_string())
        .collect()
}

/// Four sources of the sample table, each failing its own way, an indicator whose SQL names a
/// column that is not there and one whose rows name a territory not in the list.
fn project_with_every_run_problem() -> (tempfile::TempDir, PathBuf) {
    let (dir, p) = init_project();
    let out = run(&p);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let export = std::fs::read_to_string(p.join("data/presenze.csv")).expect("the sample");
    // Decimal commas read with decimal ".".
    edit(
        &p,
        "pipelines/presenze.yaml",
        "presenti: int,",
        "presenti: float,",
    );
    let comma: Vec<String> = export
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<String> = l.split(';').map(str::to_string).collect();
            if i > 0 {
                f[2] = format!("{},5", f[2]);
            }
            f.join(";")
        })
        .collect();
    std::fs::write(p.join("data/presenze.csv"), comma.join("\n") + "\n").expect("write");
    // A renamed header, and a Windows-1252 export read as UTF-8, as two more sources.
    common::write(
        &p,
        "data/rinominata.csv",
        export.replace("N. presenti", "N presenti").as_bytes(),
    );
    let mut windows = export.replacen("CAS001", "Città", 1).into_bytes();
    let at = windows
        .windows(2)
        .position(|w| w == "à".as_bytes())
        .expect("the accented letter");
    windows.splice(at..at + 2, [0xE0]);
    common::write(&p, "data/windows.csv", &windows);
    let pipeline = std::fs::read_to_string(p.join("pipelines/presenze.yaml")).expect("pipeline");
    let source = &pipeline[pipeline
        .find("  - name: presenze-padova")
        .expect("the source")..];
    let mut more = String::new();
    for (name, file) in [
        ("presenze-rinominata", "rinominata"),
        ("presenze-windows", "windows"),
    ] {
        more.push_str(
            &source
                .replace("presenze-padova", name)
                .replace("data/presenze.csv", &format!("data/{file}.csv")),
        );
    }
    std::fs::write(
        p.join("pipelines/presenze.yaml"),
        format!("{pipeline}{more}"),
    )
    .expect("write");
    edit(
        &p,
        "indicators/accoglienza.yaml",
        "COUNT(*) AS denominator\n      FROM presenze",
        "COUNT(*) AS denominator\n      FROM presenze WHERE presenzi > 0",
    );
    edit(
        &p,
        "indicators/accoglienza.yaml",
        "indicators:\n",
        "indicators:\n  - id: presenze_altrove\n    title: Presenze altrove\n    kind: output\n    unit: count\n    grain: month\n    small_cells: show\n    sql: |\n      SELECT 'CAS999' AS territory, date_trunc('month', data) AS period, SUM(presenti) AS numerator\n      FROM presenze GROUP BY 1, 2\n\n",
    );
    edit(
        &p,
        "dashboards/accoglienza.yaml",
        "indicators: [ospiti_presenti, rilevazioni_puntuali, tasso_occupazione]\n        territories",
        "indicators: [ospiti_presenti, rilevazioni_puntuali, tasso_occupazione, presenze_altrove]\n        territories",
    );
    (dir, p)
}

/// English message text that must not be on an Italian page.
const ENGLISH: [&str; 12] = [
    "rows rejected",
    "not a number",
    "with decimal \",\":",
    "in the source's options",
    "last good data",
    "which the export does not have",
    "did you mean",
    "is not valid UTF-8",
    "Schema error",
    "No field named",
    "indicator rilevazioni_puntuali:",
    "not in the territory list",
];

#[test]
fn an_italian_page_says_every_run_problem_in_italian_with_its_values_and_fix() {
    let (_dir, p) = project_with_every_run_problem();
    let out = run(&p);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The terminal stays English.
    let terminal = failed_lines(&out);
    assert!(
        terminal
            .iter()
            .any(|l| l.contains("24 of 24 rows rejected")),
        "{terminal:?}"
    );
    let index = page_text(&p.join("out/index.html"));
    let page = page_text(&p.join("out/accoglienza/index.html"));
    for (what, t) in [("index", &index), ("dashboard", &page)] {
        // The wrong decimal: the file, the line, the column, the value read and the setting.
        assert!(
            t.contains("data/presenze.csv: 24 righe scartate su 24"),
            "{what}: {t}"
        );
        assert!(
            t.contains("riga 2, colonna presenti: '25,5' non è un numero con decimal \".\"; con decimal \",\" è 25,5"),
            "{what}: {t}"
        );
        assert!(
            t.contains("impostare decimal: \",\" nelle options della fonte"),
            "{what}: {t}"
        );
        // The missing header, the one meant.
        assert!(
            t.contains("data/rinominata.csv: la colonna 'presenti' è associata all'intestazione 'N. presenti', che l'esportazione non ha: forse 'N presenti'?"),
            "{what}: {t}"
        );
        // Windows-1252 read as UTF-8: the line, the byte and the setting.
        assert!(
            t.contains("data/windows.csv, riga 2: il byte 0xE0"),
            "{what}: {t}"
        );
        assert!(t.contains("encoding: windows-1252"), "{what}: {t}");
        // The indicator whose SQL fails: where, which column, the one meant.
        assert!(t.contains("indicators/accoglienza.yaml:"), "{what}: {t}");
        assert!(
            t.contains("l'indicatore rilevazioni_puntuali non è stato calcolato: la sua query SQL usa la colonna 'presenzi', che le tabelle lette non hanno: forse 'presenti'?"),
            "{what}: {t}"
        );
        for english in ENGLISH {
            assert!(!t.contains(english), "{what} has {english:?}: {t}");
        }
    }
    // The unknown territory, on the page that shows the indicator.
    assert!(
        page.contains(
            "Presenze altrove: righe di territori che non sono nell'elenco dei territori (CAS999)"
        ),
        "{page}"
    );
    // The outcome file for the sender says it in Italian too.
    let outcome = std::fs::read_to_string(p.join("out/deliveries/presenze-padova/presenze.csv"))
        .expect("the outcome file");
    assert!(outcome.contains("non è un numero con decimal"), "{outcome}");
    assert!(!outcome.contains("not a number"), "{outcome}");

    // The same project in English: the pages give the terminal's text.
    edit(&p, "osservatorio.yaml", "locale: it", "locale: en");
    let out = osservatorio(&p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let index = page_text(&p.join("out/index.html"));
    let page = page_text(&p.join("out/accoglienza/index.html"));
    for line in &terminal {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.starts_with("indicator ") {
            continue; // the unknown territories' line, which pages word as a sentence
        }
        let first = line.lines().next().unwrap_or_default();
        assert!(index.contains(first), "index lacks {first:?}: {index}");
        assert!(page.contains(first), "dashboard lacks {first:?}: {page}");
    }
    assert!(page.contains("rows of territories not in the territory list (CAS999)"));
}

// ---- Ceased municipality codes ------------------------------------------------------------------

const CEASED_PIPELINE: &str = "name: accoglienza
tables:
  accoglienza:
    columns: { data: date, comune: string, presenti: int }
sources:
  - name: vicenza
    table: accoglienza
    territory: VI
    url: data/accoglienza.csv
    format: csv
    columns: { data: Data, comune: Comune, presenti: Presenti }
";

const CEASED_INDICATORS: &str = "indicators:
  - id: presenti
    title: Presenti
    kind: output
    unit: count
    grain: month
    small_cells: show
    unknown_territories: ignore
    sql: |
      SELECT comune AS territory, date_trunc('month', data) AS period, SUM(presenti) AS numerator
      FROM accoglienza GROUP BY 1, 2
";

const CEASED_DASHBOARD: &str = "id: vicenza
title: Vicenza
period: { from: \"2025-01\", to: \"2025-01\" }
sections:
  - title: Presenze
    charts:
      - { type: table, indicators: [presenti], territories: [VI, \"024125\"], period: \"2025-01\" }
";

/// Campolongo sul Brenta (024023) and Cismon del Grappa (024031) ceased on 2019-01-29, merged
/// into Valbrenta (024125); Padova (028060) is current; 099999 was never a municipality.
const CEASED_EXPORT: &str = "Data,Comune,Presenti
2025-01-05,024023,10
2025-01-06,024023,5
2025-01-07,024125,7
2025-01-08,024031,3
2025-01-09,028060,4
2025-01-10,099999,2
";

fn ceased_project(settings: &str) -> tempfile::TempDir {
    common::project(&[
        ("osservatorio.yaml", settings.as_bytes()),
        ("pipelines/accoglienza.yaml", CEASED_PIPELINE.as_bytes()),
        ("indicators/presenti.yaml", CEASED_INDICATORS.as_bytes()),
        ("dashboards/vicenza.yaml", CEASED_DASHBOARD.as_bytes()),
        ("data/accoglienza.csv", CEASED_EXPORT.as_bytes()),
    ])
}

#[test]
fn a_ceased_municipality_code_is_stored_under_its_successor_with_a_note() {
    let dir = ceased_project("name: Vicenza\nlocale: it\nterritories: { istat: [\"05\"] }\n");
    let p = dir.path();
    let out = run(p);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // Hand-computed: 10 + 5 (Campolongo) + 7 (Valbrenta) + 3 (Cismon) under Valbrenta.
    let stored = common::query(
        p,
        "SELECT comune, SUM(presenti) AS n, COUNT(*) AS r FROM accoglienza GROUP BY comune ORDER BY comune",
    );
    assert_eq!(
        stored,
        [
            ["024125", "25", "4"],
            ["028060", "4", "1"],
            ["099999", "2", "1"]
        ]
        .map(|r| r.map(str::to_string).to_vec())
        .to_vec()
    );
    // On the terminal, in English.
    assert!(
        t.contains("note: 2 rows of data/accoglienza.csv with code 024023 (Campolongo sul Brenta, ceased 2019-01-29) counted under 024125 (Valbrenta)"),
        "{t}"
    );
    assert!(
        t.contains("note: 1 row of data/accoglienza.csv with code 024031 (Cismon del Grappa, ceased 2019-01-29) counted under 024125 (Valbrenta)"),
        "{t}"
    );
    // In the run record, as a kind and its values.
    let runs: Vec<PathBuf> = std::fs::read_dir(p.join("warehouse/_runs"))
        .expect("the ledger")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&runs[0]).expect("the run record")).expect("JSON");
    let notes = &record["sources"][0]["notes"];
    assert_eq!(notes[0]["kind"], "ceased_code", "{record}");
    assert_eq!(notes[0]["code"], "024023", "{record}");
    assert_eq!(notes[0]["rows"], 2, "{record}");
    assert_eq!(notes[0]["successor"], "024125", "{record}");
    // On the page's data-quality section, in Italian.
    let page = page_text(&p.join("out/vicenza/index.html"));
    assert!(
        page.contains("2 righe di data/accoglienza.csv con il codice 024023 (Campolongo sul Brenta, cessato il 29/01/2019) contate sotto 024125 (Valbrenta)"),
        "{page}"
    );
    assert!(
        page.contains("1 riga di data/accoglienza.csv con il codice 024031 (Cismon del Grappa, cessato il 29/01/2019) contata sotto 024125 (Valbrenta)"),
        "{page}"
    );
}

#[test]
fn a_project_with_its_own_territory_list_keeps_the_codes_as_sent() {
    // The codes of its own list are the project's to decide: nothing is moved at ingest.
    let dir = ceased_project("name: Vicenza\nlocale: it\n");
    let p = dir.path();
    common::write(
        p,
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nVI,Vicenza,provincia,VEN\n024125,Valbrenta,comune,VI\n",
    );
    let out = run(p);
    let t = text(&out);
    assert!(!t.contains("note:"), "{t}");
    let stored = common::query(
        p,
        "SELECT comune FROM accoglienza WHERE comune IN ('024023', '024031') ORDER BY comune",
    );
    assert_eq!(stored.len(), 3, "{stored:?}");
}

#[test]
fn a_project_with_its_own_territory_list_counts_no_code_under_another() {
    // Its own list decides what a code is: 024023 is not Valbrenta's unless the list says so, at
    // ingest or when the indicator is computed. Hand-computed: Valbrenta sent 7 on its own code.
    let dir = ceased_project("name: Vicenza\nlocale: it\n");
    let p = dir.path();
    common::write(
        p,
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nVI,Vicenza,provincia,VEN\n024125,Valbrenta,comune,VI\n",
    );
    let out = run(p);
    assert!(!text(&out).contains("counted under"), "{}", text(&out));
    let figures = common::query(
        p,
        "SELECT territory, CAST(numerator AS BIGINT) FROM indicators WHERE indicator = 'presenti' AND grain = 'month' AND territory IN ('024125', '024023', '024031') ORDER BY territory",
    );
    assert_eq!(
        figures,
        [["024023", "15"], ["024031", "3"], ["024125", "7"]]
            .map(|r| r.map(str::to_string).to_vec())
            .to_vec()
    );
}

/// The same export with the code sent with spaces around it, trimmed in the indicator's SQL: the
/// column stored is not the territory the indicator returns, so the ceased codes can only be
/// moved when the indicator is computed.
const CEASED_PADDED_EXPORT: &str = "Data,Comune,Presenti
2025-01-05, 024023,10
2025-01-06, 024023,5
2025-01-07, 024125,7
2025-01-08, 024031,3
";

#[test]
fn a_ceased_code_moved_when_the_indicator_is_computed_is_said_on_the_terminal_and_the_page() {
    let dir = ceased_project("name: Vicenza\nlocale: it\nterritories: { istat: [\"05\"] }\n");
    let p = dir.path();
    common::write(p, "data/accoglienza.csv", CEASED_PADDED_EXPORT.as_bytes());
    edit(
        p,
        "indicators/presenti.yaml",
        "SELECT comune AS territory",
        "SELECT trim(comune) AS territory",
    );
    let out = run(p);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // Hand-computed: 10 + 5 + 7 + 3 under Valbrenta.
    let figures = common::query(
        p,
        "SELECT territory, CAST(numerator AS BIGINT) FROM indicators WHERE indicator = 'presenti' AND grain = 'month' AND territory LIKE '024%' ORDER BY territory",
    );
    assert_eq!(figures, vec![vec!["024125".to_string(), "25".to_string()]]);
    assert!(
        t.contains("note: indicator presenti: the figures of code 024023 (Campolongo sul Brenta, ceased 2019-01-29) are counted under 024125 (Valbrenta)"),
        "{t}"
    );
    assert!(
        t.contains("note: indicator presenti: the figures of code 024031 (Cismon del Grappa, ceased 2019-01-29) are counted under 024125 (Valbrenta)"),
        "{t}"
    );
    let page = page_text(&p.join("out/vicenza/index.html"));
    assert!(
        page.contains("indicatore presenti: le cifre del codice 024023 (Campolongo sul Brenta, cessato il 29/01/2019) sono contate sotto 024125 (Valbrenta)"),
        "{page}"
    );
}

// ---- Messages that say the fix ---------------------------------------------------------------

#[test]
fn a_misspelled_grain_of_a_target_or_a_chart_gets_the_grain_meant() {
    let (_dir, p) = init_project();
    edit(
        &p,
        "indicators/accoglienza.yaml",
        "- { period: \"2025\", value: 90 }",
        "- { period: \"2025\", value: 90, grain: yaer }",
    );
    edit(
        &p,
        "dashboards/accoglienza.yaml",
        "territories: [PD, \"028060\", \"028001\"], grain: month }",
        "territories: [PD, \"028060\", \"028001\"], grain: mnth }",
    );
    let out = osservatorio(&p, &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("targets[1].grain: 'yaer' is not a grain: did you mean year? (use month, quarter, year, plan)"),
        "{t}"
    );
    assert!(
        t.contains(
            ".grain: 'mnth' is not a grain: did you mean month? (use month, quarter, year, plan)"
        ),
        "{t}"
    );
}

#[test]
fn a_ceased_code_in_a_rejected_row_is_not_counted_in_the_note() {
    // The third Campolongo row is rejected for its count: the note counts the two rows stored.
    let dir = ceased_project("name: Vicenza\nlocale: it\nterritories: { istat: [\"05\"] }\n");
    let p = dir.path();
    common::write(
        p,
        "pipelines/accoglienza.yaml",
        CEASED_PIPELINE
            .replace("format: csv", "format: csv\n    max_rejected: 50%")
            .as_bytes(),
    );
    common::write(
        p,
        "data/accoglienza.csv",
        format!("{CEASED_EXPORT}2025-01-11,024023,abc\n").as_bytes(),
    );
    let out = run(p);
    let t = text(&out);
    assert!(
        t.contains("note: 2 rows of data/accoglienza.csv with code 024023 (Campolongo sul Brenta, ceased 2019-01-29) counted under 024125 (Valbrenta)"),
        "{t}"
    );
    let stored = common::query(
        p,
        "SELECT COUNT(*) AS r FROM accoglienza WHERE comune = '024125'",
    );
    assert_eq!(stored, vec![vec!["4".to_string()]]);
}

#[test]
fn leaving_the_official_lists_reads_the_stored_codes_again_as_sent() {
    // Which codes are mapped shapes the stored rows: changing it re-reads the unchanged export.
    let dir = ceased_project("name: Vicenza\nlocale: it\nterritories: { istat: [\"05\"] }\n");
    let p = dir.path();
    let out = run(p);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    common::write(p, "osservatorio.yaml", b"name: Vicenza\nlocale: it\n");
    common::write(
        p,
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nVI,Vicenza,provincia,VEN\n024023,Campolongo sul Brenta,comune,VI\n024125,Valbrenta,comune,VI\n",
    );
    let out = run(p);
    assert!(out.status.code().is_some(), "{}", text(&out));
    let stored = common::query(
        p,
        "SELECT comune, COUNT(*) AS r FROM accoglienza WHERE comune IN ('024023', '024125') GROUP BY comune ORDER BY comune",
    );
    assert_eq!(
        stored,
        [["024023", "2"], ["024125", "1"]]
            .map(|r| r.map(str::to_string).to_vec())
            .to_vec()
    );
}

#[test]
fn an_indicator_that_fails_after_its_query_is_not_blamed_on_the_sql_engine() {
    // Rows for both Vicenza's province and one of its municipalities in one month: the roll-up
    // refuses them, a failure of the figures, not a query the engine refused.
    let dir = ceased_project("name: Vicenza\nlocale: it\nterritories: { istat: [\"05\"] }\n");
    let p = dir.path();
    common::write(
        p,
        "indicators/presenti.yaml",
        CEASED_INDICATORS
            .replace(
                "FROM accoglienza GROUP BY 1, 2",
                "FROM accoglienza GROUP BY 1, 2\n      UNION ALL SELECT 'VI', DATE '2025-01-01', 1",
            )
            .as_bytes(),
    );
    let out = run(p);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let page = page_text(&p.join("out/vicenza/index.html"));
    assert!(
        page.contains("l'indicatore presenti non è stato calcolato: errore nel calcolo delle cifre dopo la query"),
        "{page}"
    );
    assert!(!page.contains("motore SQL"), "{page}");
}
