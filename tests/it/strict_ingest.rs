//! Malformed exports never become wrong figures: each test here is a mistake real exports carry,
//! with the figure a person would read off the export by hand.

use crate::common;
use crate::common::{ingested, osservatorio, project, query, rejected, summary_line, text, write};

/// A pipeline with one table `spese (voce string, importo float, quota float)` fed by `spese.csv`.
fn pipeline(decimal: &str, extra: &str) -> String {
    format!(
        r#"name: prova
tables:
  spese:
    columns: {{ voce: string, importo: float, quota: float }}
    required: [voce]
sources:
  - name: spese-pd
    table: spese
    territory: PD
    url: spese.csv
    format: csv
    options: {{ delimiter: ";", decimal: "{decimal}" }}
    columns: {{ voce: Voce, importo: Importo, quota: Quota }}
{extra}"#
    )
}

/// Ingests the project and returns the status its summary gives the source `spese-pd`.
fn status(p: &std::path::Path) -> String {
    let out = osservatorio(p, &["ingest"]);
    summary_line(&text(&out), "spese-pd").0
}

#[test]
fn a_number_in_the_other_convention_is_rejected_with_its_line_never_stored() {
    // Dot source: "40076,52" once stored 4007652 and "12,5" 125.
    let csv = "Voce;Importo;Quota\nvitto;40076,52;1\npulizie;12,5;1\naffitto;1,234.50;15 %\nluce;€ 99.90;0.5\n";
    let dir = ingested(&[
        (
            "pipelines/prova.yaml",
            pipeline(".", "    max_rejected: 100%\n").as_bytes(),
        ),
        ("spese.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(
        query(p, "SELECT voce, importo, quota FROM spese ORDER BY _line"),
        vec![
            vec!["affitto", "1234.5", "15.0"],
            vec!["luce", "99.9", "0.5"],
        ]
    );
    let rej = rejected(p, "spese", "spese-pd");
    assert_eq!(
        rej.iter()
            .map(|r| (r.0, r.1.as_str(), r.2.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, "importo", "40076,52"), (3, "importo", "12,5")]
    );
    assert!(rej[0].3.contains("decimal"), "{}", rej[0].3);

    // Comma source: "12.5" once stored 125 and "1.5" 15.
    let csv = "Voce;Importo;Quota\nvitto;12.5;1\npulizie;1.5;1\naffitto;1.234,50;15 %\n";
    let dir = ingested(&[
        (
            "pipelines/prova.yaml",
            pipeline(",", "    max_rejected: 100%\n").as_bytes(),
        ),
        ("spese.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(
        query(p, "SELECT voce, importo, quota FROM spese ORDER BY _line"),
        vec![vec!["affitto", "1234.5", "15.0"]]
    );
    let lines: Vec<i64> = rejected(p, "spese", "spese-pd")
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(lines, vec![2, 3]);
}

#[test]
fn changing_a_mapping_or_an_option_re_ingests_without_full() {
    let csv = "Voce;Importo;Quota\nvitto;1.234,5;1\n";
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", "").as_bytes()),
        ("spese.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(status(p), "ingested");
    assert_eq!(status(p), "unchanged");
    // The mapping now reads Quota into importo: a different definition, the same export.
    let remapped = pipeline(",", "").replace(
        "importo: Importo, quota: Quota",
        "importo: Quota, quota: Importo",
    );
    write(p, "pipelines/prova.yaml", remapped.as_bytes());
    assert_eq!(status(p), "ingested");
    assert_eq!(
        query(p, "SELECT importo, quota FROM spese"),
        vec![vec!["1.0", "1234.5"]]
    );
    assert_eq!(status(p), "unchanged");
    // An option changes.
    write(
        p,
        "pipelines/prova.yaml",
        remapped
            .replace("decimal: \",\" }", "decimal: \",\", skip_totals: false }")
            .as_bytes(),
    );
    assert_eq!(status(p), "ingested");
    assert_eq!(status(p), "unchanged");
}

#[test]
fn a_source_failing_for_too_many_rejected_rows_still_writes_them() {
    let good = "Voce;Importo;Quota\nvitto;1;1\nluce;2;1\n";
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", "").as_bytes()),
        ("spese.csv", good.as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["ingest"]).status.code(), Some(0));
    write(
        p,
        "spese.csv",
        b"Voce;Importo;Quota\nvitto;1;1\nluce;due;1\ngas;tre;1\n",
    );
    let out = osservatorio(p, &["ingest"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("2 of 3 rows rejected"),
        "{}",
        text(&out)
    );
    let rej: Vec<(i64, String)> = rejected(p, "spese", "spese-pd")
        .into_iter()
        .map(|r| (r.0, r.2))
        .collect();
    assert_eq!(rej, vec![(3, "due".into()), (4, "tre".into())]);
    // The last good data stays.
    assert_eq!(
        query(p, "SELECT voce FROM spese ORDER BY _line"),
        vec![vec!["vitto"], vec!["luce"]]
    );
}

fn thirty_rows() -> String {
    let mut csv = String::from("Voce;Importo;Quota\n");
    for i in 0..30 {
        csv.push_str(&format!("voce{i};{i};1\n"));
    }
    csv
}

#[test]
fn an_empty_or_truncated_export_is_held_back_until_accepted() {
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", "").as_bytes()),
        ("spese.csv", thirty_rows().as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["ingest"]).status.code(), Some(0));
    // A failed extraction at the office: the header and no rows.
    write(p, "spese.csv", b"Voce;Importo;Quota\n");
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("held back"), "{t}");
    assert!(
        t.contains("0 row(s) where the last good data has 30"),
        "{t}"
    );
    assert!(t.contains("--accept spese-pd"), "{t}");
    assert!(!t.contains("1/1 ok"), "{t}");
    assert_eq!(query(p, "SELECT COUNT(*) FROM spese"), vec![vec!["30"]]);

    // Fewer than half (14 of 30) is held back too; half or more (15) goes through.
    let fourteen: String = thirty_rows()
        .lines()
        .take(15)
        .map(|l| format!("{l}\n"))
        .collect();
    write(p, "spese.csv", fourteen.as_bytes());
    assert_eq!(osservatorio(p, &["ingest"]).status.code(), Some(1));
    assert_eq!(query(p, "SELECT COUNT(*) FROM spese"), vec![vec!["30"]]);

    // A person checks the export and takes it.
    let out = osservatorio(p, &["ingest", "--accept", "spese-pd"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(query(p, "SELECT COUNT(*) FROM spese"), vec![vec!["14"]]);
    let fifteen: String = thirty_rows()
        .lines()
        .take(16)
        .map(|l| format!("{l}\n"))
        .collect();
    write(p, "spese.csv", fifteen.as_bytes());
    assert_eq!(osservatorio(p, &["ingest"]).status.code(), Some(0));

    // An unknown name is a usage error.
    let out = osservatorio(p, &["ingest", "--accept", "nessuna"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn max_shrink_is_set_per_source() {
    let dir = project(&[
        (
            "pipelines/prova.yaml",
            pipeline(",", "    max_shrink: 10%\n").as_bytes(),
        ),
        ("spese.csv", thirty_rows().as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["ingest"]).status.code(), Some(0));
    let twenty_five: String = thirty_rows()
        .lines()
        .take(26)
        .map(|l| format!("{l}\n"))
        .collect();
    write(p, "spese.csv", twenty_five.as_bytes());
    let out = osservatorio(p, &["ingest"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("max_shrink 10%"), "{}", text(&out));
}

#[test]
fn out_of_range_durations_and_numbers_are_configuration_errors_not_panics() {
    let extra = "    expected: monthly\n    grace: 9999999999999d\n    max_shrink: 150%\n";
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", extra).as_bytes()),
        ("spese.csv", thirty_rows().as_bytes()),
    ]);
    let p = dir.path();
    for cmd in ["check", "run"] {
        let out = osservatorio(p, &[cmd]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {t}");
        assert!(!t.contains("panicked"), "{t}");
        assert!(
            t.contains("pipelines/prova.yaml:15: sources[0].grace"),
            "{t}"
        );
        assert!(
            t.contains("pipelines/prova.yaml:16: sources[0].max_shrink"),
            "{t}"
        );
    }
    // A date format chrono cannot write.
    let bad_format = pipeline(",", "").replace(
        "decimal: \",\" }",
        "decimal: \",\", date_format: \"%d/%m/%Q\" }",
    );
    write(p, "pipelines/prova.yaml", bad_format.as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("sources[0].options.date_format"),
        "{}",
        text(&out)
    );
    // Weeks that overflow when turned into days.
    let extra = "    grace: 9999999999999999w\n";
    write(p, "pipelines/prova.yaml", pipeline(",", extra).as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("sources[0].grace"), "{}", text(&out));
}

#[test]
fn messages_point_to_the_readme_not_to_files_users_do_not_have() {
    let dir = project(&[(
        "pipelines/prova.yaml",
        pipeline(",", "    colonne: []\n").as_bytes(),
    )]);
    let out = osservatorio(dir.path(), &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("README"), "{t}");
    assert!(!t.contains("SPEC"), "{t}");
    assert!(!t.contains("shared"), "{t}");
}

#[test]
fn total_rows_are_skipped_and_counted_not_rejected() {
    let csv = "Voce;Importo;Quota\nvitto;10;1\nluce;20;1\nTOTALE GENERALE;30;2\n;;\nTotale:;30;2\n";
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", "").as_bytes()),
        ("spese.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["ingest"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let line = t.lines().find(|l| l.starts_with("spese-pd")).unwrap_or("");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[1..5], &["ingested", "2", "0", "2"], "{t}");
    assert_eq!(
        query(p, "SELECT SUM(importo) FROM spese"),
        vec![vec!["30.0"]]
    );

    // With skip_totals off a total row is data like any other.
    let off = pipeline(",", "").replace("decimal: \",\" }", "decimal: \",\", skip_totals: false }");
    write(p, "pipelines/prova.yaml", off.as_bytes());
    let out = osservatorio(p, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        query(p, "SELECT SUM(importo) FROM spese"),
        vec![vec!["90.0"]]
    );
}

/// An XLSX sheet whose ISTAT codes a spreadsheet stored as numbers.
fn workbook_with_numeric_codes() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Comuni").expect("sheet name");
    ws.write_string(0, 0, "Codice ISTAT").expect("cell");
    ws.write_string(0, 1, "Importo").expect("cell");
    ws.write_number(1, 0, 24116.0).expect("cell");
    ws.write_string(1, 1, "1.234,50").expect("cell");
    ws.write_string(2, 0, "028060").expect("cell");
    ws.write_number(2, 1, 7.25).expect("cell");
    ws.write_number(3, 0, 1234567.0).expect("cell");
    ws.write_string(3, 1, "12.5").expect("cell");
    ws.write_string(4, 0, "Totale").expect("cell");
    ws.write_number(4, 1, 99.0).expect("cell");
    wb.save_to_buffer().expect("a workbook")
}

const COMUNI_PIPELINE: &str = r#"name: prova
tables:
  comuni:
    columns: { comune: string, importo: float }
    required: [comune]
sources:
  - name: comuni-pd
    table: comuni
    territory: PD
    url: comuni.FORMAT
    format: FORMAT
    options: { decimal: "," }
    max_rejected: 100%
    columns:
      comune: { header: Codice ISTAT, pad: 6 }
      importo: Importo
"#;

/// The comuni source read from the workbook `book` (`format`: xlsx or ods), ingested.
fn comuni_ingested(format: &str, book: &[u8]) -> tempfile::TempDir {
    let pipeline = COMUNI_PIPELINE.replace("FORMAT", format);
    let file = format!("comuni.{format}");
    ingested(&[("pipelines/prova.yaml", pipeline.as_bytes()), (&file, book)])
}

#[test]
fn xlsx_codes_are_padded_and_text_cells_follow_the_convention() {
    let dir = comuni_ingested("xlsx", &workbook_with_numeric_codes());
    let p = dir.path();
    assert_eq!(
        query(p, "SELECT comune, importo FROM comuni ORDER BY _line"),
        vec![vec!["024116", "1234.5"], vec!["028060", "7.25"]]
    );
    let rej: Vec<(i64, String, String)> = rejected(p, "comuni", "comuni-pd")
        .into_iter()
        .map(|r| (r.0, r.1, r.2))
        .collect();
    assert_eq!(
        rej,
        vec![
            (4, "comune".into(), "1234567".into()),
            (4, "importo".into(), "12.5".into())
        ]
    );
}

#[test]
fn pad_on_a_column_that_is_not_text_is_refused_by_check() {
    let yaml = COMUNI_PIPELINE
        .replace("FORMAT", "xlsx")
        .replace("comune: string", "comune: int");
    let dir = project(&[("pipelines/prova.yaml", yaml.as_bytes())]);
    let out = osservatorio(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("sources[0].columns.comune.pad"),
        "{}",
        text(&out)
    );
}

/// A minimal OpenDocument spreadsheet, as LibreOffice writes one, with the same cells.
fn ods_with_numeric_codes() -> Vec<u8> {
    use std::io::Write;
    let cell = |v: &str| match v.parse::<f64>() {
        Ok(n) => format!(
            r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{v}</text:p></table:table-cell>"#
        ),
        Err(_) => format!(
            r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#
        ),
    };
    let rows: String = [
        ["Codice ISTAT", "Importo"],
        ["24116", "1.234,50"],
        ["Totale", "1234.5"],
    ]
    .iter()
    .map(|r| {
        format!(
            "<table:table-row>{}{}</table:table-row>",
            cell(r[0]),
            cell(r[1])
        )
    })
    .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Foglio1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", content.as_str()),
        ] {
            zip.start_file(name, stored).expect("zip entry");
            zip.write_all(data.as_bytes()).expect("zip write");
        }
        zip.finish().expect("zip");
    }
    buf.into_inner()
}

#[test]
fn ods_exports_are_read_like_xlsx() {
    let dir = comuni_ingested("ods", &ods_with_numeric_codes());
    let p = dir.path();
    assert_eq!(
        query(p, "SELECT comune, importo FROM comuni"),
        vec![vec!["024116", "1234.5"]]
    );
}

#[test]
fn an_export_rewritten_the_same_is_unchanged_and_any_edit_is_read() {
    let dir = project(&[
        ("pipelines/prova.yaml", pipeline(",", "").as_bytes()),
        ("spese.csv", b"Voce;Importo;Quota\nvitto;1;1\n"),
    ]);
    let p = dir.path();
    assert_eq!(status(p), "ingested");
    let stored = common::stored_file(p, "spese-pd");
    // Written again, byte for byte: a new modification time, the same content.
    write(p, "spese.csv", b"Voce;Importo;Quota\nvitto;1;1\n");
    assert_eq!(status(p), "unchanged");
    assert_eq!(common::stored_file(p, "spese-pd"), stored);
    // The same size, one figure changed: read, not taken for the old content.
    write(p, "spese.csv", b"Voce;Importo;Quota\nvitto;2;1\n");
    assert_eq!(status(p), "ingested");
    assert_eq!(query(p, "SELECT importo FROM spese"), vec![vec!["2.0"]]);
    // Another size.
    write(p, "spese.csv", b"Voce;Importo;Quota\nvitto;2;1\nluce;3;1\n");
    assert_eq!(status(p), "ingested");
    assert_eq!(
        query(p, "SELECT importo FROM spese ORDER BY _line"),
        vec![vec!["2.0"], vec!["3.0"]]
    );
}
