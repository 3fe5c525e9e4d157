//! The OpenDocument spreadsheets beside the workbooks show every number as the page writes it:
//! each number cell uses a number style (decimals by unit, grouping) in the project's language,
//! read back by two readers independent of the writer: odfpy (tests/ods_formats.py follows each
//! cell's style) and LibreOffice headless, converting the `.ods` to CSV with the cells' formatted
//! text, in the C locale (so the document's language, not the machine's, decides `44,1`).
//!
//! The hand-built case, Padova (PD) in 2025, January to October:
//! - reports on time: 35 of 100 a month, 45 in September, 30 in October: 355 of 1.000 = 35,5 %
//!   in 2025 (target 33 %: 107,6 % of it);
//! - desk accesses, a count: 641 a month in January–April, 640 in May–October: 6.404 in 2025
//!   (7.000 expected: 91,5 %), no decimals;
//! - unaccompanied minors, averaged over the months: 441 / 10 = 44,1;
//! - days from request to taking in charge: 125 days over 10 cases a month: 12,5 gg.

use std::path::Path;
use std::process::Command;

use crate::common::sportello::{self, MINORS, Sportello};
use crate::common::*;

/// The case run in `locale` (`it` or `en`).
fn ran(locale: &str) -> tempfile::TempDir {
    Sportello::titled("Quota di rendiconti presentati entro la scadenza")
        .settings(&format!("name: Sportello\nlocale: {locale}\n"))
        .dashboard("anno", sportello::YEAR)
        .ran()
}

/// Every number cell of a spreadsheet, as tests/ods_formats.py reads it with odfpy.
fn spreadsheet_numbers(ods: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .arg(repo().join("tests/ods_formats.py"))
        .arg(ods)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tests/ods_formats.py could not read {} (bash tests/run.sh installs odfpy): {}",
        ods.display(),
        text(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v.as_array().expect("a list").clone()
}

fn csv_rows(p: &Path) -> Vec<Vec<String>> {
    let body = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_string).collect())
        .collect()
}

/// The shown text of every number cell, in order.
fn shown(numbers: &[serde_json::Value]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| {
            n["shown"]
                .as_str()
                .unwrap_or_else(|| panic!("a number cell without a number style: {n}"))
                .to_string()
        })
        .collect()
}

fn check_locale(locale: &str, table_values: &[&str], data_values: &[&str], not_shown: &str) {
    let dir = ran(locale);
    let d = dir.path().join("out/anno");
    // The status table: each number cell of the .ods shows what the page's (and the CSV's) cell
    // says, in the project's language.
    let page = csv_rows(&d.join("chart-01.csv"));
    let numbers = spreadsheet_numbers(&d.join("chart-01.ods"));
    assert!(numbers.len() >= 8, "{numbers:?}");
    for n in &numbers {
        assert_eq!(n["language"], locale, "{n}");
        let (r, c) = (
            n["row"].as_u64().unwrap() as usize,
            n["column"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            n["shown"].as_str(),
            Some(page[r - 1][c - 1].as_str()),
            "{n}"
        );
    }
    let table = shown(&numbers);
    for v in table_values {
        assert!(
            table.contains(&v.to_string()),
            "chart-01.ods lacks {v}: {table:?}"
        );
    }
    // data.ods: counts without decimals, values as the page writes them.
    let data = shown(&spreadsheet_numbers(&d.join("data.ods")));
    for v in data_values {
        assert!(
            data.contains(&v.to_string()),
            "data.ods lacks {v}: {data:?}"
        );
    }
    assert!(!data.contains(&not_shown.to_string()), "{data:?}");

    // LibreOffice, the second reader: the formatted text of every cell.
    let Some(soffice) = soffice() else { return };
    let conv = dir.path().join("conv");
    // Fields by comma (44), quoted by " (34), UTF-8 (76), from line 1; token 9 `true`: the
    // cells' contents as shown.
    let filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true";
    let table_csv = soffice_convert(&soffice, &d.join("chart-01.ods"), filter, &conv);
    assert_eq!(
        csv_rows(&table_csv),
        page,
        "LibreOffice reads chart-01.ods as the page"
    );
    let data_csv = soffice_convert(&soffice, &d.join("data.ods"), filter, &conv);
    let libreoffice: Vec<Vec<String>> = csv_rows(&data_csv);
    for n in spreadsheet_numbers(&d.join("data.ods")) {
        let (r, c) = (
            n["row"].as_u64().unwrap() as usize,
            n["column"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            n["shown"].as_str(),
            Some(libreoffice[r - 1][c - 1].as_str()),
            "odfpy and LibreOffice disagree on data.ods: {n}"
        );
    }
}

#[test]
fn spreadsheet_numbers_show_as_the_italian_page_writes_them() {
    assert_eq!(MINORS.iter().sum::<u32>(), 441);
    check_locale(
        "it",
        &[
            "35,5 %", "33,0 %", "6.404", "7.000", "44,1", "12,5 gg", "10 gg",
        ],
        &["6.404", "44,1", "35,5 %", "12,5 gg", "91,5 %", "1.000"],
        "6.404,0",
    );
}

#[test]
fn spreadsheet_numbers_show_as_the_english_page_writes_them() {
    check_locale(
        "en",
        &[
            "35.5 %", "33.0 %", "6,404", "7,000", "44.1", "12.5 d", "10 d",
        ],
        &["6,404", "44.1", "35.5 %", "12.5 d", "91.5 %", "1,000"],
        "6,404.0",
    );
}
