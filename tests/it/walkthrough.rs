//! What a new office does, with the real binary: `init`, `draft` on its two exports (a workbook with
//! title rows and ISTAT codes stored as numbers, a Windows-1252 CSV with a decimal comma), answers
//! the drafts' questions, adds indicators over the new tables, `check`, `run`; the figures are
//! DuckDB's on the same exports (tests/expected/walkthrough.py writes both the exports and them).

use crate::common;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{BIN, osservatorio, repo, text};

fn bin(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn exports() -> std::path::PathBuf {
    repo().join("tests/expected/walkthrough")
}

/// `draft` of `export` (relative to the project), written to pipelines/NAME.yaml; the YAML.
fn draft_into(dir: &Path, export: &str, table: &str, source: &str) -> String {
    let out = bin(
        dir,
        &["draft", export, "--table", table, "--source", source],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let yaml = String::from_utf8(out.stdout).expect("the draft is UTF-8");
    common::write(dir, &format!("pipelines/{table}.yaml"), yaml.as_bytes());
    yaml
}

/// The answers a person gives: the width of an ISTAT municipality code, a decimal comma.
fn answer(yaml: &str) -> String {
    yaml.lines()
        .map(|l| {
            if l.trim_start().starts_with('#') {
                l.to_string()
            } else if let Some(at) = l.find("pad: \"?") {
                format!("{}pad: 6 }}", &l[..at])
            } else if l.trim_start().starts_with("decimal: \"?") {
                "      decimal: \",\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

const INDICATORS: &str = r#"indicators:
  - id: ospiti_comune
    title: { it: Ospiti presenti per comune, en: Guests present by municipality }
    kind: output
    numerator: { it: ospiti presenti, en: guests present }
    unit: count
    grain: month
    sql: |
      SELECT codice_istat_comune AS territory, date_trunc('month', mese) AS period,
             SUM(ospiti_presenti) AS numerator
      FROM presenze_mensili GROUP BY 1, 2
  - id: spese_comune
    title: { it: Spese rendicontate per comune, en: Reported expenditure by municipality }
    kind: output
    numerator: { it: importo rendicontato, en: amount reported }
    unit: euro
    grain: month
    small_cells: show
    sql: |
      SELECT comune AS territory, date_trunc('month', data_spesa) AS period,
             SUM(importo_rendicontato) AS numerator
      FROM spese GROUP BY 1, 2
"#;

/// (indicator, territory, period) → numerator, for the rows of a CSV with those headers.
fn figures(
    csv_text: &str,
    only: impl Fn(&BTreeMap<&str, &str>) -> bool,
) -> BTreeMap<(String, String, String), f64> {
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let header = rd.headers().expect("a header").clone();
    let mut out = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.expect("a CSV row");
        let row: BTreeMap<&str, &str> = header.iter().zip(rec.iter()).collect();
        if !only(&row) {
            continue;
        }
        let n: f64 = row["numerator"]
            .parse()
            .unwrap_or_else(|_| panic!("numerator in {rec:?}"));
        out.insert(
            (
                row["indicator"].into(),
                row["territory"].into(),
                row["period"].into(),
            ),
            n,
        );
    }
    out
}

#[test]
fn a_new_office_drafts_its_exports_and_gets_duckdb_s_figures() {
    let parent = tempfile::tempdir().expect("a temporary folder");
    let dir = parent.path().join("ufficio");
    let out = bin(
        parent.path(),
        &["init", "ufficio", "--kind", "prefettura", "--locale", "it"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for f in ["presenze.xlsx", "spese.csv"] {
        let bytes = std::fs::read(exports().join(f)).expect("a committed export");
        common::write(&dir, &format!("data/{f}"), &bytes);
    }

    // The workbook: two title rows, dates stored as dates, 028060 stored as the number 28060.
    let xlsx = draft_into(
        &dir,
        "data/presenze.xlsx",
        "presenze_mensili",
        "presenze-xlsx",
    );
    for want in [
        "format: xlsx",
        "header_row: 3",
        "rows 1-2",
        "mese: date",
        "codice_istat_comune: string",
        "ospiti_presenti: int",
        "QUESTION: all 12 cells are stored as numbers (28060, 28001)",
        "codice_istat_comune: { header: Codice ISTAT comune, pad: \"?",
    ] {
        assert!(xlsx.contains(want), "{want} missing from\n{xlsx}");
    }
    // The CSV: Windows-1252 (the € of a header is 0x80), ';', 1.150,25.
    let csv = draft_into(&dir, "data/spese.csv", "spese", "spese-csv");
    for want in [
        "encoding: windows-1252",
        "delimiter: \";\"",
        "header_row: 1",
        "decimal: \",\"",
        "date_format: \"%d/%m/%Y\"",
        "data_spesa: date",
        "comune: { header: Comune, pad: 6 }",
        "importo_rendicontato: float",
        "Importo rendicontato (€)",
    ] {
        assert!(csv.contains(want), "{want} missing from\n{csv}");
    }
    assert!(!csv.contains("QUESTION:"), "{csv}");
    common::write(&dir, "indicators/uffici.yaml", INDICATORS.as_bytes());

    // Unanswered, the workbook's question is refused, naming the key.
    let out = osservatorio(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("columns.codice_istat_comune.pad"),
        "{}",
        text(&out)
    );

    common::write(
        &dir,
        "pipelines/presenze_mensili.yaml",
        answer(&xlsx).as_bytes(),
    );
    let out = osservatorio(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(&dir, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(!t.contains("FAILED"), "{t}");

    let got = std::fs::read_to_string(dir.join("out/indicators.csv")).expect("indicators.csv");
    let got = figures(&got, |r| {
        matches!(r["indicator"], "ospiti_comune" | "spese_comune")
            && r["grain"] == "month"
            && matches!(r["territory_level"], "comune" | "provincia")
    });
    let want = std::fs::read_to_string(exports().join("expected.csv")).expect("DuckDB's figures");
    let want = figures(&want, |_| true);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the rows of indicators.csv against DuckDB's"
    );
    for (k, w) in &want {
        assert!(
            (got[k] - w).abs() < 0.005,
            "{k:?}: {} against DuckDB's {w}",
            got[k]
        );
    }
}
