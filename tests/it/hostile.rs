//! Exports from outside the office are hostile, or just unlucky: each test here is one that once
//! crashed a run, published half a delivery, leaked a credential or filled a disk.

use crate::common;
use std::path::Path;

use crate::common::xlsx::{claim_size, hand_made_xlsx, sheet_xml};
use crate::common::{osservatorio, project, summary_line, text, write};

// Sections 3 (credentials), 4 and 5 (export text in messages and files) and 7 (names).
mod credentials;
mod export_text;
mod names;

const PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.csv, format: csv }\n";

const INDICATORS: &str = "indicators:\n  - id: spesa\n    title: Spesa\n    kind: output\n    unit: euro\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n";

const DASHBOARD: &str = "id: spese\ntitle: Spese\nsections:\n  - title: Spesa\n    charts:\n      - { type: trend, indicator: spesa, territories: [PD] }\n      - { type: table, indicators: [spesa], territories: [PD] }\n";

/// A project with one CSV source, one indicator and one dashboard.
fn small_project(csv: &str) -> tempfile::TempDir {
    project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("indicators/i.yaml", INDICATORS.as_bytes()),
        ("dashboards/spese.yaml", DASHBOARD.as_bytes()),
        ("spese.csv", csv.as_bytes()),
    ])
}

/// The ledger as `runs --format json` prints it.
fn ledger(p: &Path) -> String {
    let out = osservatorio(p, &["runs", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- 1. A reader that stops halfway never publishes half a sheet ----------------------------

const XLSX_PIPELINE: &str = "name: p\ntables:\n  presenze:\n    columns: { data: date, struttura: string, presenti: int }\n    required: [data]\nsources:\n  - { name: presenze-pd, table: presenze, territory: PD, url: presenze.xlsx, format: xlsx, columns: { data: Data, struttura: Struttura, presenti: Presenti } }\n";

#[test]
fn a_date_cell_out_of_any_calendar_is_a_rejected_row_and_the_rest_of_the_sheet_is_read() {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    for (c, h) in ["Data", "Struttura", "Presenti"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    // Sheet rows 2..=999; row 900 holds a serial date no calendar has.
    for r in 1..999u32 {
        let serial = if r == 899 { -1e12 } else { 45_292.0 };
        ws.write_number_with_format(r, 0, serial, &date)
            .expect("date");
        ws.write_string(r, 1, "PD001").expect("text");
        ws.write_number(r, 2, 3.0).expect("number");
    }
    let bytes = wb.save_to_buffer().expect("a workbook");
    let dir = project(&[
        ("pipelines/p.yaml", XLSX_PIPELINE.as_bytes()),
        ("presenze.xlsx", &bytes),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(
        summary_line(&t, "presenze-pd"),
        ("ingested".to_string(), 997),
        "{t}"
    );
    let rej = common::rejected(p, "presenze", "presenze-pd");
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!((rej[0].0, rej[0].1.as_str()), (900, "data"), "{rej:?}");
}

// ---- 2. A workbook that claims more than a spreadsheet can hold -----------------------------

const TWO_SOURCES: &str = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: float }\nsources:\n  - { name: bad-book, table: spese, territory: PD, url: bad.xlsx, format: xlsx, columns: { voce: voce, importo: importo } }\n  - { name: good-csv, table: spese, territory: PD, url: good.csv, format: csv, columns: { voce: voce, importo: importo } }\n";

/// Ingests `bad.xlsx` beside a good CSV: the workbook fails alone, named, and the run ends cleanly.
fn fails_alone(book: &[u8], expect: &str) {
    let dir = project(&[
        ("pipelines/p.yaml", TWO_SOURCES.as_bytes()),
        ("bad.xlsx", book),
        ("good.csv", b"voce,importo\nvitto,10\n"),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert_eq!(
        summary_line(&t, "good-csv"),
        ("ingested".to_string(), 1),
        "{t}"
    );
    assert_eq!(summary_line(&t, "bad-book").0, "failed", "{t}");
    let failed = t
        .lines()
        .find(|l| l.starts_with("FAILED") && l.contains("bad.xlsx"))
        .unwrap_or_else(|| panic!("the failure names the file: {t}"));
    assert!(failed.contains(expect), "{failed}");
    assert!(ledger(p).contains("bad-book"), "a ledger record is written");
    assert!(!p.join("warehouse/_lock.json").exists(), "no lock is left");
}

#[test]
fn a_cell_reference_beyond_the_last_column_fails_the_workbook_alone() {
    let sheet = sheet_xml(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>voce</t></is></c><c r="B1" t="inlineStr"><is><t>importo</t></is></c></row><row r="31"><c r="ZZZZZZ31"><v>1</v></c></row>"#,
    );
    fails_alone(&hand_made_xlsx(&sheet, None), "16384 columns");
}

#[test]
fn a_row_beyond_the_last_sheet_row_fails_the_workbook_alone() {
    let sheet = sheet_xml(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>voce</t></is></c><c r="B1" t="inlineStr"><is><t>importo</t></is></c></row><row r="4000000"><c r="A4000000"><v>1</v></c></row>"#,
    );
    fails_alone(&hand_made_xlsx(&sheet, None), "1048576 rows");
}

#[test]
fn shared_strings_claiming_gigabytes_fail_the_workbook_before_it_is_read() {
    let sheet =
        sheet_xml(r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>"#);
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>voce</t></si><si><t>importo</t></si></sst>"#;
    let mut book = hand_made_xlsx(&sheet, Some(shared));
    claim_size(&mut book, "xl/sharedStrings.xml", 0xF000_0000);
    fails_alone(&book, "sharedStrings.xml");
}

#[test]
fn a_cell_longer_than_a_spreadsheet_cell_fails_the_workbook_alone() {
    let long = "x".repeat(40_000);
    let sheet = sheet_xml(&format!(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>voce</t></is></c><c r="B1" t="inlineStr"><is><t>importo</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c></row>"#
    ));
    fails_alone(&hand_made_xlsx(&sheet, None), "32767 characters");
}

// ---- 6. A closed standard output does not stop the job --------------------------------------

#[test]
fn a_run_whose_output_is_closed_still_completes() {
    let dir = small_project("mese,voce,importo\n2024-01-01,vitto,40\n");
    let p = dir.path();
    // The read end is closed before the run starts: every write to its output fails.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let status = std::process::Command::new(common::BIN)
        .args(["run", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.status.code(), Some(0), "{err}");
    assert!(p.join("out/index.html").exists(), "rendered: {err}");
    assert!(p.join("out/spese/index.html").exists(), "rendered: {err}");
    assert!(!p.join("warehouse/_lock.json").exists(), "no lock is left");
    assert!(ledger(p).contains("\"run\""), "the run is in the ledger");
}

// ---- 9. Memory is bounded whatever the shape of the export -------------------------------

/// Runs the binary like `osservatorio` and returns its output with its peak resident memory in MB,
/// as the kernel accounts it to the waiting parent (Python's `resource`, independent of the code).
fn osservatorio_peak_mb(project: &Path, args: &[&str]) -> (std::process::Output, u64) {
    let script = "import resource, subprocess, sys\n\
r = subprocess.run(sys.argv[1:], capture_output=True)\n\
sys.stdout.buffer.write(r.stdout); sys.stderr.buffer.write(r.stderr)\n\
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr)\n\
sys.exit(r.returncode)\n";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_osservatorio"))
        .args(args)
        .arg("--project")
        .arg(project)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("python3 runs");
    let err = String::from_utf8_lossy(&out.stderr);
    let peak = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("the peak memory line");
    (out, peak)
}

const JSON_PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.json, format: json }\n";

/// A project whose one source reads `spese.json`, written from `json`.
fn json_project(json: &[u8]) -> tempfile::TempDir {
    project(&[
        ("pipelines/p.yaml", JSON_PIPELINE.as_bytes()),
        ("indicators/i.yaml", INDICATORS.as_bytes()),
        ("dashboards/spese.yaml", DASHBOARD.as_bytes()),
        ("spese.json", json),
    ])
}

/// 100 MB without a line break or a closing quote, after `before`.
fn hundred_megabytes_after(before: &str) -> Vec<u8> {
    let mut v = before.as_bytes().to_vec();
    v.resize(v.len() + (100 << 20), b'x');
    v
}

fn fails_with_bounded_memory(p: &Path, file: &str, expect: &str) {
    let (out, peak) = osservatorio_peak_mb(p, &["ingest"]);
    let t = text(&out);
    let t = &t[..t.len().min(3000)];
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(file) && t.contains(expect), "{t}");
    // A line or object is held at most once up to the limit (16 MiB), never the 100 MB.
    assert!(peak < 200, "peak memory {peak} MB\n{t}");
}

#[test]
fn a_hundred_megabyte_ndjson_line_fails_the_delivery_with_its_line_in_bounded_memory() {
    let mut json = b"{\"mese\": \"2024-01-01\", \"voce\": \"vitto\", \"importo\": 1}\n".to_vec();
    json.extend(hundred_megabytes_after("{\"voce\": \""));
    let dir = json_project(&json);
    fails_with_bounded_memory(dir.path(), "spese.json", "line 2 is longer than 16 MiB");
}

#[test]
fn a_hundred_megabyte_string_in_a_json_array_fails_the_delivery_in_bounded_memory() {
    let mut json = b"[{\"mese\": \"2024-01-01\", \"voce\": \"vitto\", \"importo\": 1},\n".to_vec();
    json.extend(hundred_megabytes_after("{\"voce\": \""));
    json.extend(b"\"}]");
    let dir = json_project(&json);
    fails_with_bounded_memory(
        dir.path(),
        "spese.json",
        "array item 2 is longer than 16 MiB",
    );
}

#[test]
fn a_hundred_megabyte_csv_line_fails_the_delivery_in_bounded_memory() {
    let mut csv = b"mese,voce,importo\n2024-01-01,vitto,1\n".to_vec();
    csv.extend(hundred_megabytes_after("2024-01-01,"));
    let dir = small_project("");
    std::fs::write(dir.path().join("spese.csv"), &csv).expect("write");
    fails_with_bounded_memory(dir.path(), "spese.csv", "line 3 is longer than 16 MiB");
}

#[test]
fn json_objects_with_a_new_key_each_are_refused_at_a_sheet_s_columns_not_read_in_quadratic_time() {
    // 100,000 keys took minutes when every row was filled key by key over all the keys seen.
    let mut json = String::from("[");
    for i in 0..100_000 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!("{{\"k{i}\": {i}}}"));
    }
    json.push(']');
    let dir = json_project(json.as_bytes());
    let out = osservatorio(dir.path(), &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("spese.json") && t.contains("more than 16384 different keys"),
        "{t}"
    );

    // Many keys within the limit are read, each object filling only its own cells.
    let mut json = String::from("[");
    for i in 0..3000 {
        json.push_str(&format!(
            "{{\"mese\": \"2024-01-01\", \"voce\": \"v\", \"importo\": 1, \"extra{i}\": {i}}},"
        ));
    }
    json.push_str("{\"mese\": \"2024-02-01\", \"voce\": \"v\", \"importo\": 2.5}]");
    let dir = json_project(json.as_bytes());
    let out = osservatorio(dir.path(), &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sums = common::query(
        dir.path(),
        "SELECT CAST(SUM(importo) AS VARCHAR) FROM spese",
    );
    assert_eq!(sums, vec![vec!["3002.5".to_string()]]);
}

// ---- 8. Smaller ones ---------------------------------------------------------------------

/// `check` refuses the pipeline (exit 2) saying each of `expect`; returns what it said.
fn check_refuses(pipeline: &str, expect: &[&str]) -> String {
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("spese.csv", b"mese,voce,importo\n"),
    ]);
    let out = osservatorio(dir.path(), &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    for e in expect {
        assert!(t.contains(e), "'{e}' in {t}");
    }
    t
}

#[test]
fn a_schedule_that_never_fires_or_has_a_year_is_refused() {
    for cron in ["0 0 0 31 2 *", "0 0 0 30 2 *"] {
        check_refuses(
            &format!("schedule: \"{cron}\"\n{PIPELINE}"),
            &["p.yaml", "schedule", "never"],
        );
    }
    check_refuses(
        &format!("schedule: \"0 30 6 * * * 2027\"\n{PIPELINE}"),
        &["p.yaml", "schedule", "six fields"],
    );
    // A rare but real schedule stays valid: 29 February.
    let dir = project(&[
        (
            "pipelines/p.yaml",
            format!("schedule: \"0 0 6 29 2 *\"\n{PIPELINE}").as_bytes(),
        ),
        ("spese.csv", b"mese,voce,importo\n"),
    ]);
    let out = osservatorio(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn an_ods_source_that_is_not_an_ods_says_so() {
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { voce: string, importo: float }\nsources:\n  - { name: foglio, table: spese, territory: PD, url: foglio.ods, format: ods }\n";
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("foglio.ods", b"voce;importo\nvitto;1\n"),
    ]);
    let out = osservatorio(dir.path(), &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("foglio.ods"), "{t}");
    assert!(t.contains("not an ODS spreadsheet"), "{t}");
    assert!(!t.contains("_rels/.rels"), "{t}");
}

#[cfg(unix)]
#[test]
fn every_output_file_is_readable_by_the_web_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = small_project("mese,voce,importo\n2024-01-01,vitto,40\n");
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut seen = 0;
    let mut stack = vec![p.join("out")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("a folder") {
            let e = e.expect("an entry");
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
                continue;
            }
            seen += 1;
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode & 0o044, 0o044, "{} is {mode:o}", e.path().display());
        }
    }
    assert!(seen > 5, "{seen} files");
}

/// The size of a file, or of every file of a folder together.
fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .expect("a folder")
            .map(|e| size_of(&e.expect("an entry").path()))
            .sum()
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}
