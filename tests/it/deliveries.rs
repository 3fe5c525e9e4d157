//! An office's monthly deliveries accumulate: a source over a folder keeps every month's rows, a
//! re-sent file replaces exactly its own, a correction supersedes what it corrects, one broken
//! file fails alone, and nothing set up wrong passes in silence.

use crate::common;
use std::path::Path;

use crate::common::{osservatorio, project, query, text, write};

mod remote;
mod sequences;

/// A pipeline with the table `presenze (data date, struttura string, presenti int)` fed from
/// `url`, with `extra` source keys.
fn pipeline(url: &str, extra: &str) -> String {
    format!(
        r#"name: prova
tables:
  presenze:
    columns: {{ data: date, struttura: string, presenti: int }}
    required: [data, struttura]
sources:
  - name: pd-presenze
    table: presenze
    territory: PD
    url: "{url}"
    format: csv
    columns: {{ data: Data, struttura: Struttura, presenti: Presenti }}
{extra}"#
    )
}

/// A month's export: one row a day for days 1..=days of `month` 2026, `presenti` = `base` + day.
fn month_csv(month: u32, days: u32, base: i64) -> String {
    let mut s = String::from("Data,Struttura,Presenti\n");
    for d in 1..=days {
        s.push_str(&format!(
            "2026-{month:02}-{d:02},S1,{}\n",
            base + i64::from(d)
        ));
    }
    s
}

fn sum_by_month(p: &Path) -> Vec<Vec<String>> {
    query(
        p,
        "SELECT CAST(EXTRACT(MONTH FROM data) AS BIGINT) AS m, COUNT(*) AS n, SUM(presenti) AS s FROM presenze GROUP BY 1 ORDER BY 1",
    )
}

fn row(m: u32, n: u32, s: i64) -> Vec<String> {
    vec![m.to_string(), n.to_string(), s.to_string()]
}

/// Σ (base + d) for d in 1..=days.
fn total(days: u32, base: i64) -> i64 {
    (1..=i64::from(days)).map(|d| base + d).sum()
}

/// A project reading `url` (with `extra` source keys) whose files are months' exports
/// (path, month, days, base: as `month_csv`), ingested.
fn months(url: &str, extra: &str, files: &[(&str, u32, u32, i64)]) -> tempfile::TempDir {
    let pipeline = pipeline(url, extra);
    let csvs: Vec<(&str, String)> = files
        .iter()
        .map(|&(path, month, days, base)| (path, month_csv(month, days, base)))
        .collect();
    let mut all: Vec<(&str, &[u8])> = vec![("pipelines/prova.yaml", pipeline.as_bytes())];
    all.extend(csvs.iter().map(|(path, csv)| (*path, csv.as_bytes())));
    common::ingested(&all)
}

fn ingest(p: &Path) -> (Option<i32>, String) {
    let out = osservatorio(p, &["ingest"]);
    (out.status.code(), text(&out))
}

#[test]
fn a_new_monthly_file_adds_its_rows_and_the_previous_months_stay() {
    let dir = months(
        "exports/presenze/*.csv",
        "",
        &[("exports/presenze/presenze_2026-10.csv", 10, 31, 10)],
    );
    let p = dir.path();
    assert_eq!(sum_by_month(p), vec![row(10, 31, total(31, 10))]);

    // November's file lands beside October's: both months are in the warehouse.
    write(
        p,
        "exports/presenze/presenze_2026-11.csv",
        month_csv(11, 30, 20).as_bytes(),
    );
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        sum_by_month(p),
        vec![row(10, 31, total(31, 10)), row(11, 30, total(30, 20))]
    );

    // Nothing new: nothing is read again, and the figures stay.
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("unchanged"), "{t}");
    assert_eq!(sum_by_month(p).len(), 2);

    // `deliveries` lists both files with their rows and periods.
    let out = osservatorio(p, &["deliveries", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["delivery"], "presenze_2026-10.csv");
    assert_eq!(listed[0]["rows"], 31);
    assert_eq!(listed[1]["rows"], 30);
    assert_eq!(listed[1]["state"], "published");
}

#[test]
fn a_changed_file_replaces_exactly_its_own_rows() {
    let dir = months(
        "exports/",
        "",
        &[
            ("exports/2026-10.csv", 10, 31, 10),
            ("exports/2026-11.csv", 11, 30, 20),
        ],
    );
    let p = dir.path();
    // October is sent again with other figures: October changes, November does not.
    write(p, "exports/2026-10.csv", month_csv(10, 31, 100).as_bytes());
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        sum_by_month(p),
        vec![row(10, 31, total(31, 100)), row(11, 30, total(30, 20))]
    );
}

#[test]
fn a_correction_supersedes_the_rows_it_covers_and_nothing_is_counted_twice() {
    let dir = months(
        "exports/*.csv",
        "    supersede: by_period\n",
        &[
            ("exports/a_2026-10.csv", 10, 31, 10),
            ("exports/a_2026-11.csv", 11, 30, 20),
        ],
    );
    let p = dir.path();
    // A correction of October, sent later as a file of its own.
    write(
        p,
        "exports/b_rettifica_2026-10.csv",
        month_csv(10, 31, 50).as_bytes(),
    );
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        sum_by_month(p),
        vec![row(10, 31, total(31, 50)), row(11, 30, total(30, 20))]
    );
}

#[test]
fn without_supersede_a_resent_period_is_read_as_more_rows() {
    // The control of the test above: the same files without supersede count October twice.
    let dir = months(
        "exports/*.csv",
        "",
        &[
            ("exports/a_2026-10.csv", 10, 31, 10),
            ("exports/b_2026-10.csv", 10, 31, 50),
        ],
    );
    let p = dir.path();
    assert_eq!(
        sum_by_month(p),
        vec![row(10, 62, total(31, 10) + total(31, 50))]
    );
}

#[test]
fn a_file_that_disappears_keeps_its_rows_unless_removed_drop() {
    for (extra, expected_after) in [("", 2usize), ("    removed: drop\n", 1)] {
        let dir = months(
            "exports/*.csv",
            extra,
            &[
                ("exports/2026-10.csv", 10, 31, 10),
                ("exports/2026-11.csv", 11, 30, 20),
            ],
        );
        let p = dir.path();
        std::fs::remove_file(p.join("exports/2026-10.csv")).expect("remove");
        let (code, t) = ingest(p);
        assert_eq!(code, Some(0), "{t}");
        assert_eq!(sum_by_month(p).len(), expected_after, "{extra}");
    }
}

#[test]
fn one_broken_file_fails_alone_and_keeps_its_last_good_rows() {
    let dir = months(
        "exports/*.csv",
        "",
        &[
            ("exports/2026-10.csv", 10, 31, 10),
            ("exports/2026-11.csv", 11, 30, 20),
        ],
    );
    let p = dir.path();
    // November is re-sent without its header; December arrives fine.
    write(
        p,
        "exports/2026-11.csv",
        b"garbage;without;the;headers\n1;2;3;4\n",
    );
    write(p, "exports/2026-12.csv", month_csv(12, 31, 30).as_bytes());
    let (code, t) = ingest(p);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("2026-11.csv"), "the broken file is named: {t}");
    assert_eq!(
        sum_by_month(p),
        vec![
            row(10, 31, total(31, 10)),
            row(11, 30, total(30, 20)),
            row(12, 31, total(31, 30))
        ]
    );
    let out = osservatorio(p, &["deliveries", "--format", "csv"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed
            .lines()
            .any(|l| l.contains("2026-11.csv") && l.contains("failed (last good rows kept)")),
        "{listed}"
    );
}

#[test]
fn a_resent_file_that_shrank_is_held_back_and_the_others_stay() {
    let dir = months(
        "exports/*.csv",
        "",
        &[
            ("exports/2026-10.csv", 10, 31, 10),
            ("exports/2026-11.csv", 11, 30, 20),
        ],
    );
    let p = dir.path();
    write(p, "exports/2026-11.csv", month_csv(11, 3, 20).as_bytes());
    let (code, t) = ingest(p);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("held back"), "{t}");
    assert_eq!(
        sum_by_month(p),
        vec![row(10, 31, total(31, 10)), row(11, 30, total(30, 20))]
    );
}

#[test]
fn rejected_rows_are_handed_back_per_delivery_and_can_be_queried() {
    let csv = "Data,Struttura,Presenti\n2026-10-01,S1,5\n2026-10-02,S1,tanti\n2026-10-03,,7\n";
    let dir = project(&[
        (
            "pipelines/prova.yaml",
            pipeline("exports/*.csv", "    max_rejected: 100%\n").as_bytes(),
        ),
        ("exports/presenze_2026-10.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        query(
            p,
            "SELECT source, delivery, line, \"column\", value FROM _rejected ORDER BY line"
        ),
        vec![
            vec![
                "pd-presenze",
                "presenze_2026-10.csv",
                "3",
                "presenti",
                "tanti"
            ],
            vec!["pd-presenze", "presenze_2026-10.csv", "4", "struttura", ""],
        ]
    );
    // The outcome file for the sender: in the project's language (Italian), every rejected row.
    let outcome = p.join("out/deliveries/pd-presenze/presenze_2026-10.csv");
    let body = std::fs::read_to_string(&outcome).expect("the delivery's outcome CSV");
    let mut r = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        r.headers().expect("a header").iter().collect::<Vec<_>>(),
        ["tipo", "riga", "colonna", "valore", "motivo"]
    );
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.expect("a row").iter().map(str::to_string).collect())
        .collect();
    let get = |label: &str| {
        rows.iter()
            .find(|x| x[2] == label)
            .map(|x| x[3].clone())
            .unwrap_or_default()
    };
    assert_eq!(get("righe lette"), "3");
    assert_eq!(get("righe scartate"), "2");
    let scartate: Vec<(&str, &str)> = rows
        .iter()
        .filter(|x| x[0] == "scartata")
        .map(|x| (x[1].as_str(), x[2].as_str()))
        .collect();
    assert_eq!(scartate, [("3", "presenti"), ("4", "struttura")]);
    assert!(
        p.join("out/deliveries/pd-presenze/presenze_2026-10.xlsx")
            .is_file()
    );
}

#[test]
fn bytes_that_are_not_utf8_fail_the_delivery_naming_the_line_and_the_fix() {
    // "Città" in Windows-1252 on the third line; the source declares no encoding.
    let mut csv = b"Data,Struttura,Presenti\n2026-10-01,S1,5\n2026-10-02,Citt".to_vec();
    csv.push(0xE0);
    csv.extend_from_slice(b",7\n");
    let dir = project(&[
        (
            "pipelines/prova.yaml",
            pipeline("presenze.csv", "").as_bytes(),
        ),
        ("presenze.csv", &csv),
    ]);
    let p = dir.path();
    let (code, t) = ingest(p);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("presenze.csv:3"), "names the line: {t}");
    assert!(t.contains("0xE0"), "names the byte: {t}");
    assert!(
        t.contains("encoding: windows-1252"),
        "suggests the fix: {t}"
    );
    assert!(
        query(p, "SELECT struttura FROM presenze").is_empty(),
        "nothing of the export is stored"
    );

    // Declared, the same bytes read as the text they are.
    let fixed = pipeline("presenze.csv", "    options: { encoding: windows-1252 }\n");
    write(p, "pipelines/prova.yaml", fixed.as_bytes());
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        query(p, "SELECT struttura FROM presenze ORDER BY _line"),
        vec![vec!["S1"], vec!["Città"]]
    );
}

#[test]
fn a_spreadsheet_s_numeric_zero_one_flag_reads_as_yes_no() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Data", "Struttura", "Presenti", "Attiva"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (r, flag) in [1.0, 0.0, 1.0].iter().enumerate() {
        let at = r as u32 + 1;
        sheet.write_string(at, 0, "2026-10-01").expect("date");
        sheet.write_string(at, 1, format!("S{at}")).expect("code");
        sheet.write_number(at, 2, 3.0).expect("number");
        sheet.write_number(at, 3, *flag).expect("flag");
    }
    let bytes = book.save_to_buffer().expect("a workbook");
    let yaml = r#"name: prova
tables:
  strutture:
    columns: { data: date, struttura: string, presenti: int, attiva: bool }
sources:
  - name: pd-strutture
    table: strutture
    territory: PD
    url: strutture.xlsx
    format: xlsx
    columns: { data: Data, struttura: Struttura, presenti: Presenti, attiva: Attiva }
"#;
    let dir = project(&[
        ("pipelines/prova.yaml", yaml.as_bytes()),
        ("strutture.xlsx", &bytes),
    ]);
    let p = dir.path();
    let (code, t) = ingest(p);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        query(
            p,
            "SELECT struttura, attiva FROM strutture ORDER BY struttura"
        ),
        vec![vec!["S1", "true"], vec!["S2", "false"], vec!["S3", "true"]]
    );
}

/// An indicator summing `presenti` per facility territory (`struttura` is the territory code).
const BY_FACILITY: &str = r#"indicators:
  - id: presenze
    title: { it: Presenze }
    kind: output
    unit: count
    grain: month
    sql: |
      SELECT struttura AS territory, date_trunc('month', data) AS period, SUM(presenti) AS numerator
      FROM presenze GROUP BY 1, 2
"#;

#[test]
fn a_figure_of_a_territory_not_in_the_list_fails_the_run_and_is_named() {
    let csv = "Data,Struttura,Presenti\n2026-10-01,S1,5\n2026-10-01,S9,7\n";
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline("presenze.csv", "").as_bytes()),
        ("presenze.csv", csv.as_bytes()),
        ("indicators/presenze.yaml", BY_FACILITY.as_bytes()),
        (
            "dashboards/d.yaml",
            b"id: d\ntitle: { it: Prova }\nsections:\n  - title: { it: S }\n    charts:\n      - { type: table, indicators: [presenze], territories: [PD] }\n",
        ),
    ]);
    let p = dir.path();
    write(
        p,
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nPD,Padova,provincia,VEN\nS1,Struttura 1,struttura,PD\n",
    );
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.lines()
            .any(|l| l.starts_with("FAILED indicator presenze") && l.contains("S9")),
        "{t}"
    );
    let page = std::fs::read_to_string(p.join("out/d/index.html")).expect("the page");
    assert!(page.contains("S9"), "the page names the code");
    // A rerun with nothing new still says so.
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // An indicator that says so lets them through.
    let ignoring = BY_FACILITY.replace(
        "    grain: month\n",
        "    grain: month\n    unknown_territories: ignore\n",
    );
    write(p, "indicators/presenze.yaml", ignoring.as_bytes());
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn completeness_counts_from_the_declared_start_not_from_the_first_file() {
    let dir = project(&[
        (
            "pipelines/prova.yaml",
            pipeline(
                "exports/*.csv",
                "    expected: { every: monthly, since: 2026-01 }\n",
            )
            .as_bytes(),
        ),
        ("exports/2026-10.csv", month_csv(10, 31, 10).as_bytes()),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // January to September were due and never came: missing, not received.
    let got = query(
        p,
        "SELECT period, numerator FROM indicators WHERE indicator = '_completeness' AND territory = 'PD' AND grain = 'month' AND period <= '2026-10' ORDER BY period",
    );
    let expected: Vec<Vec<String>> = (1..=10)
        .map(|m| {
            vec![
                format!("2026-{m:02}"),
                if m == 10 { "1.0" } else { "0.0" }.to_string(),
            ]
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn check_opens_every_delivery_and_names_a_wrong_header_with_its_fix() {
    let dir = project(&[
        (
            "pipelines/prova.yaml",
            pipeline("exports/*.csv", "    max_rejected: 100%\n")
                .replace("presenti: Presenti", "presenti: N presenti")
                .as_bytes(),
        ),
        (
            "exports/2026-10.csv",
            b"Data,Struttura,N. presenti\n2026-10-01,S1,5\n",
        ),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("2026-10.csv"), "{t}");
    assert!(t.contains("did you mean 'N. presenti'?"), "{t}");
    assert!(!p.join("warehouse").exists(), "check writes no warehouse");
    // Without opening the exports, the YAML alone is valid.
    let out = osservatorio(p, &["check", "--no-exports"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Fixed, check says which rows a run would reject, and still writes nothing.
    write(
        p,
        "pipelines/prova.yaml",
        pipeline("exports/*.csv", "    max_rejected: 100%\n")
            .replace("Presenti", "N. presenti")
            .as_bytes(),
    );
    write(
        p,
        "exports/2026-10.csv",
        b"Data,Struttura,N. presenti\n2026-10-01,S1,5\n2026-10-02,S1,molti\n",
    );
    let out = osservatorio(p, &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("would reject 1 row(s)"), "{t}");
    assert!(t.contains("line 3, column presenti: 'molti'"), "{t}");
    assert!(!p.join("warehouse").exists() && !p.join("out").exists());
}
