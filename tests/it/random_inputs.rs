//! Random and mutated inputs for every reader and for the configuration loader: each must answer
//! with rows or an error, never a panic. Thousands of cases run in CI.

use crate::common;
use std::path::Path;

use osservatorio::config::{ColumnType, Format, TextFormat};
use osservatorio::ingest::cell::{Cell, convert};
use osservatorio::ingest::readers;
use proptest::prelude::*;

fn text_format(comma: bool) -> TextFormat {
    TextFormat {
        decimal: if comma { ',' } else { '.' },
        date_format: Some("%d/%m/%Y".into()),
    }
}

/// Reads every row of `bytes` as `format` and converts every cell to every type.
fn read_all(bytes: &[u8], name: &str, format: &Format) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the export");
    let Ok((_headers, rows)) = readers::open(&path, name, format) else {
        return;
    };
    for row in rows.take(10_000) {
        let Ok(row) = row else { continue };
        for cell in &row.cells {
            for ty in [
                ColumnType::String,
                ColumnType::Int,
                ColumnType::Float,
                ColumnType::Bool,
                ColumnType::Date,
                ColumnType::Timestamp,
            ] {
                let _ = convert(cell, ty, format.text());
            }
        }
    }
}

/// `seed` with some bytes replaced, inserted or removed.
fn mutated(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(at, byte, op) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let i = at % out.len();
        match op % 3 {
            0 => out[i] = byte,
            1 => out.insert(i, byte),
            _ => {
                out.remove(i);
            }
        }
    }
    out
}

fn sample(rel: &str, max: usize) -> Vec<u8> {
    let mut b = std::fs::read(common::repo().join(rel)).expect("a bundled sample");
    b.truncate(max);
    b
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..24)
}

fn csv_format(comma: bool, header_row: usize, encoding: &'static encoding_rs::Encoding) -> Format {
    Format::Csv {
        delimiter: b';',
        encoding,
        header_row,
        text: text_format(comma),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn csv_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), comma: bool, header_row in 1usize..4, w1252: bool) {
        let enc = if w1252 { encoding_rs::WINDOWS_1252 } else { encoding_rs::UTF_8 };
        read_all(&bytes, "x.csv", &csv_format(comma, header_row, enc));
    }

    #[test]
    fn csv_mutated_office_export(e in edits(), comma: bool) {
        let seed = sample("data-samples/prefetture/padova/rendiconti.csv", 2048);
        read_all(&mutated(&seed, &e), "x.csv", &csv_format(comma, 1, encoding_rs::WINDOWS_1252));
    }

    #[test]
    fn json_random_text(t in "[\\[\\]{}\":,0-9a-z.\\-\\n ]{0,200}", comma: bool) {
        read_all(t.as_bytes(), "x.json", &Format::Json { encoding: encoding_rs::UTF_8, text: text_format(comma) });
    }

    #[test]
    fn json_mutated_export(e in edits(), comma: bool) {
        let seed = sample("data-samples/ambiti/crema/accessi_sportello.json", 2048);
        read_all(&mutated(&seed, &e), "x.json", &Format::Json { encoding: encoding_rs::UTF_8, text: text_format(comma) });
    }

    #[test]
    fn cells_of_any_text(t in "\\PC{0,40}", comma: bool) {
        for ty in [ColumnType::Int, ColumnType::Float, ColumnType::Date, ColumnType::Timestamp, ColumnType::Bool] {
            let _ = convert(&Cell::Text(t.clone()), ty, &text_format(comma));
        }
    }
}

fn workbook(cells: &[(u16, u16, Result<f64, String>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, v) in cells {
        let _ = match v {
            Ok(n) => ws.write_number(u32::from(*r), *c, *n).map(|_| ()),
            Err(s) => ws.write_string(u32::from(*r), *c, s).map(|_| ()),
        };
    }
    wb.save_to_buffer().unwrap_or_default()
}

fn xlsx_format(header_row: usize, comma: bool) -> Format {
    Format::Xlsx {
        sheet: None,
        header_row,
        text: text_format(comma),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn xlsx_random_cells(
        cells in prop::collection::vec((0u16..12, 0u16..6, prop_oneof![any::<f64>().prop_map(Ok), "\\PC{0,12}".prop_map(Err)]), 0..40),
        header_row in 1usize..4,
        comma: bool,
    ) {
        read_all(&workbook(&cells), "x.xlsx", &xlsx_format(header_row, comma));
    }

    #[test]
    fn xlsx_mutated_bytes(e in edits()) {
        let seed = workbook(&[(0, 0, Err("Codice".into())), (1, 0, Ok(24116.0)), (1, 1, Err("1.234,5".into()))]);
        read_all(&mutated(&seed, &e), "x.xlsx", &xlsx_format(1, true));
    }
}

/// A column's letters (0 → A, 26 → AA), as a cell reference writes them.
fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Whether reading every row of an XLSX ended in an error (and never a panic).
fn xlsx_read_fails(bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("x.xlsx");
    std::fs::write(&path, bytes).expect("write the export");
    match readers::open(&path, "x.xlsx", &xlsx_format(1, true)) {
        Err(_) => true,
        Ok((_, rows)) => rows.take(10_000).any(|r| r.is_err()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Cells anywhere a reference can point, shared strings that claim any size: a cell past
    /// Excel's last row or column, or strings that would not fit in memory, fail the read; the
    /// rest reads; nothing panics or allocates what the file only claims.
    #[test]
    fn xlsx_cells_at_any_reference_and_shared_strings_of_any_claimed_size(
        cells in prop::collection::vec((0u32..1_100_000, 0u32..17_000, any::<bool>()), 1..8),
        claim in prop::option::of(any::<u32>()),
    ) {
        let rows: String = cells
            .iter()
            .map(|&(r, c, shared)| {
                let at = format!("{}{}", column_letters(c), r + 1);
                let cell = if shared {
                    format!(r#"<c r="{at}" t="s"><v>0</v></c>"#)
                } else {
                    format!(r#"<c r="{at}"><v>1.5</v></c>"#)
                };
                format!(r#"<row r="{}">{cell}</row>"#, r + 1)
            })
            .collect();
        let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>Codice</t></si></sst>"#;
        let mut book = common::xlsx::hand_made_xlsx(&common::xlsx::sheet_xml(&rows), Some(shared));
        let claimed = claim.map_or(shared.len() as u64, u64::from);
        if let Some(size) = claim {
            common::xlsx::claim_size(&mut book, "xl/sharedStrings.xml", size);
        }
        let beyond = cells.iter().any(|&(r, c, _)| r >= 1_048_576 || c >= 16_384);
        let fails = xlsx_read_fails(&book);
        if beyond || claimed > 512 << 20 {
            prop_assert!(fails, "read without an error: {cells:?}, claimed {claimed}");
        }
    }

    /// Date-formatted cells holding any number: a serial no calendar has is the row's problem,
    /// never a panic that cuts the sheet short.
    #[test]
    fn xlsx_date_cells_of_any_serial(serials in prop::collection::vec(any::<f64>(), 1..20)) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        let ws = wb.add_worksheet();
        let _ = ws.write_string(0, 0, "Data");
        for (i, v) in serials.iter().enumerate() {
            let _ = ws.write_number_with_format(i as u32 + 1, 0, *v, &date);
        }
        let book = wb.save_to_buffer().unwrap_or_default();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("x.xlsx");
        std::fs::write(&path, &book).expect("write the export");
        let (_, rows) = readers::open(&path, "x.xlsx", &xlsx_format(1, true)).expect("a readable workbook");
        let read: Vec<_> = rows.collect();
        // Every written row arrives (NaN and infinities are not written by the library).
        let written = serials.iter().filter(|v| v.is_finite()).count();
        prop_assert_eq!(read.iter().filter(|r| r.is_ok()).count(), written);
    }
}

/// A copy of the bundled project's configuration with one file mutated, loaded by the validator.
fn load_mutated(rel: &str, e: &[(usize, u8, u8)]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = common::repo();
    for f in [
        "osservatorio.yaml",
        "territories.csv",
        "pipelines/prefetture-veneto.yaml",
        "indicators/accoglienza.yaml",
        "dashboards/pilotaggio.yaml",
    ] {
        let bytes = std::fs::read(root.join(f)).expect("a bundled file");
        let bytes = if f == rel { mutated(&bytes, e) } else { bytes };
        common::write(dir.path(), f, &bytes);
    }
    let _ = osservatorio::config::load_project(Path::new(dir.path()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_mutated_pipeline(e in edits()) {
        load_mutated("pipelines/prefetture-veneto.yaml", &e);
    }

    #[test]
    fn yaml_mutated_indicators(e in edits()) {
        load_mutated("indicators/accoglienza.yaml", &e);
    }

    #[test]
    fn yaml_mutated_dashboard_settings_and_territories(e in edits(), which in 0usize..3) {
        let f = ["dashboards/pilotaggio.yaml", "osservatorio.yaml", "territories.csv"][which];
        load_mutated(f, &e);
    }

    #[test]
    fn yaml_any_date_format(f in "[%a-zA-Z0-9/:. -]{0,12}") {
        let dir = common::project(&[(
            "pipelines/p.yaml",
            format!("name: p\ntables:\n  t:\n    columns: {{ a: string }}\nsources:\n  - {{ name: s, table: t, url: a.csv, format: csv, options: {{ date_format: \"{f}\" }} }}\n").as_bytes(),
        )]);
        let _ = osservatorio::config::load_project(dir.path());
    }

    #[test]
    fn yaml_numbers_out_of_range(n in any::<u64>(), unit in prop::sample::select(vec!["d", "w", "", "%"])) {
        let dir = common::project(&[(
            "pipelines/p.yaml",
            format!("name: p\ntables:\n  t:\n    columns: {{ a: string }}\nsources:\n  - {{ name: s, table: t, url: a.csv, format: csv, expected: daily, grace: {n}{unit}, max_rejected: {n}{unit}, max_shrink: {n}{unit}, options: {{ header_row: {n} }} }}\n").as_bytes(),
        )]);
        let _ = osservatorio::config::load_project(dir.path());
    }
}
