//! The rarer read faults on an Italian project: a sheet the workbook lacks, a cell beyond a
//! sheet's last column or row, a workbook part that would unpack past the limit (a zip bomb), a
//! CSV line longer than 16 MiB, JSON objects with more keys than a sheet has columns, a listed
//! folder that does not exist, UTF-16 without a byte-order mark and a table's check rule that
//! cannot run on the new data each have a kind of their own, so the pages and the senders'
//! outcome files say them in Italian (numbers the Italian way) while the terminal stays English.
//! A step that fails for the machine (the warehouse cannot be written) is named in Italian, its
//! cause quoted in English.

use crate::common::init_project;
use crate::common::page_text;
use crate::common::xlsx::{claim_size, hand_made_xlsx, sheet_xml};
use crate::common::{self, text};
use crate::read_problems::source;

/// The header row of the sample table, as inline strings of a hand-made sheet.
fn header_row() -> String {
    let cells: String = [
        "Data rilevazione",
        "Codice struttura",
        "N. presenti",
        "Posti autorizzati",
        "Data invio",
    ]
    .iter()
    .enumerate()
    .map(|(i, h)| {
        let col = (b'A' + i as u8) as char;
        format!(r#"<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>"#)
    })
    .collect();
    format!(r#"<row r="1">{cells}</row>"#)
}

/// Each failing source: its name, its file's stem, the Italian words its problem must be shown
/// with, and the English the terminal shows for it, which no Italian page may have.
const CASES: [(&str, &str, &str, &str); 7] = [
    (
        "utf16",
        "utf16",
        "data/utf16.csv: le intestazioni hanno byte NUL tra le lettere: l'esportazione è testo UTF-16 senza byte-order mark; impostare options.encoding: utf-16le",
        "the export is UTF-16 text without a byte-order mark; set options.encoding: utf-16le",
    ),
    (
        "senza-foglio",
        "foglio",
        "data/foglio.xlsx: la cartella di lavoro non ha un foglio di nome 'Foglio9' (i suoi fogli: Foglio1); correggere options.sheet",
        "no sheet named 'Foglio9' (sheets: Foglio1)",
    ),
    (
        "colonna-oltre",
        "colonna",
        "foglio 'Foglio1': una cella sta oltre la colonna XFD, l'ultima delle 16.384 colonne di un foglio",
        "the last of the 16384 columns a sheet has",
    ),
    (
        "riga-oltre",
        "riga",
        "foglio 'Foglio1': una cella sta oltre l'ultima delle 1.048.576 righe di un foglio",
        "the last of the 1048576 rows a sheet has",
    ),
    (
        "bomba",
        "bomba",
        "data/bomba.xlsx: la sua parte 'xl/sharedStrings.xml' occuperebbe 4.026.531.840 byte una volta decompressa, più dei 536.870.912 consentiti",
        "would take 4026531840 bytes once unpacked, more than the 536870912",
    ),
    (
        "lunga",
        "lunga",
        "la riga 2 è più lunga di 16 MiB, molto più di quanto contenga un'esportazione",
        "line 2 is longer than 16 MiB",
    ),
    (
        "chiavi",
        "chiavi",
        "data/chiavi.json, riga 1: gli oggetti hanno più di 16.384 chiavi diverse, le colonne di un foglio di calcolo",
        "the objects have more than 16384 different keys",
    ),
];

/// A listing whose folder does not exist: its name, its Italian words and its English words.
const FETCH: (&str, &str, &str) = (
    "senza-cartella",
    "data/mancante/*.csv: la cartella non esiste: ",
    "no such folder: ",
);

/// Writes the failing exports and adds a source for each to the sample pipeline.
fn add_failing_sources(p: &std::path::Path) {
    let head = header_row();
    let plain = hand_made_xlsx(&sheet_xml(&head), None);
    common::write(p, "data/foglio.xlsx", &plain);
    let wide = format!(r#"{head}<row r="2"><c r="ZZZZZZ2"><v>1</v></c></row>"#);
    common::write(
        p,
        "data/colonna.xlsx",
        &hand_made_xlsx(&sheet_xml(&wide), None),
    );
    let long = format!(r#"{head}<row r="4000000"><c r="A4000000"><v>1</v></c></row>"#);
    common::write(
        p,
        "data/riga.xlsx",
        &hand_made_xlsx(&sheet_xml(&long), None),
    );
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>voce</t></si></sst>"#;
    let mut bomb = hand_made_xlsx(&sheet_xml(&head), Some(shared));
    claim_size(&mut bomb, "xl/sharedStrings.xml", 0xF000_0000);
    common::write(p, "data/bomba.xlsx", &bomb);
    let mut csv =
        b"Data rilevazione;Codice struttura;N. presenti;Posti autorizzati;Data invio\n".to_vec();
    csv.resize(csv.len() + (17 << 20), b'x');
    common::write(p, "data/lunga.csv", &csv);
    let utf16: Vec<u8> = String::from_utf8_lossy(&csv[..csv.len() - (17 << 20)])
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    common::write(p, "data/utf16.csv", &utf16);
    let keys: Vec<String> = (0..=16_384).map(|i| format!("\"k{i}\": 1")).collect();
    common::write(
        p,
        "data/chiavi.json",
        format!("[{{{}}}]", keys.join(", ")).as_bytes(),
    );
    let semicolon = "    options: { delimiter: \";\" }\n";
    let more = [
        source(
            "senza-foglio",
            "data/foglio.xlsx",
            "xlsx",
            "    options: { sheet: Foglio9 }\n",
        ),
        source("colonna-oltre", "data/colonna.xlsx", "xlsx", ""),
        source("riga-oltre", "data/riga.xlsx", "xlsx", ""),
        source("bomba", "data/bomba.xlsx", "xlsx", ""),
        source("lunga", "data/lunga.csv", "csv", semicolon),
        source("utf16", "data/utf16.csv", "csv", semicolon),
        source("chiavi", "data/chiavi.json", "json", ""),
        source(FETCH.0, "data/mancante/*.csv", "csv", semicolon),
    ]
    .concat();
    let pipeline = std::fs::read_to_string(p.join("pipelines/presenze.yaml")).expect("pipeline");
    common::write(
        p,
        "pipelines/presenze.yaml",
        format!("{pipeline}{more}").as_bytes(),
    );
}

#[test]
fn an_italian_page_says_each_rarer_read_fault_in_italian_and_the_terminal_in_english() {
    let (_dir, p) = init_project();
    add_failing_sources(&p);

    let out = common::osservatorio(&p, &["run"]);
    let terminal = text(&out);
    assert_eq!(out.status.code(), Some(1), "{terminal}");
    for (name, _, _, english) in CASES.iter().chain([&(FETCH.0, "", FETCH.1, FETCH.2)]) {
        assert!(
            terminal.contains(english),
            "{name}: the terminal lacks {english:?}: {terminal}"
        );
    }
    let index = page_text(&p.join("out/index.html"));
    let page = page_text(&p.join("out/accoglienza/index.html"));
    for (what, t) in [("index", &index), ("dashboard", &page)] {
        for (name, _, italian, english) in CASES.iter().chain([&(FETCH.0, "", FETCH.1, FETCH.2)]) {
            assert!(t.contains(italian), "{what}: {name}: no {italian:?} in {t}");
            assert!(!t.contains(english), "{what}: {name} has {english:?}: {t}");
        }
    }
    // The senders' outcome files say it in Italian too.
    for (name, file, italian, english) in CASES {
        let outcome = std::fs::read_to_string(p.join(format!("out/deliveries/{name}/{file}.csv")))
            .unwrap_or_else(|e| panic!("the outcome file of {name}: {e}"));
        let italian = italian.split(": ").last().unwrap_or(italian);
        assert!(outcome.contains(italian), "{name}: {outcome}");
        assert!(!outcome.contains(english), "{name}: {outcome}");
    }
}

#[test]
fn a_check_rule_that_cannot_run_on_the_new_data_is_said_in_italian() {
    let (_dir, p) = init_project();
    let pipeline = std::fs::read_to_string(p.join("pipelines/presenze.yaml")).expect("pipeline");
    let broken = pipeline.replace(
        "rule: \"presenti <= posti\"",
        "rule: \"CAST(struttura AS INT) > 0\"",
    );
    assert_ne!(broken, pipeline, "the sample has the check");
    common::write(&p, "pipelines/presenze.yaml", broken.as_bytes());

    let out = common::osservatorio(&p, &["run"]);
    let terminal = text(&out);
    assert_eq!(out.status.code(), Some(1), "{terminal}");
    let english = "check 'presenti_entro_posti' rule \"CAST(struttura AS INT) > 0\": ";
    assert!(terminal.contains(english), "{terminal}");
    let italian = "la verifica 'presenti_entro_posti' (regola \"CAST(struttura AS INT) > 0\") non può essere eseguita sui nuovi dati (";
    let page = page_text(&p.join("out/accoglienza/index.html"));
    assert!(page.contains(italian), "{page}");
    assert!(!page.contains(english), "{page}");
    let outcome = std::fs::read_to_string(p.join("out/deliveries/presenze-padova/presenze.csv"))
        .expect("the outcome file");
    assert!(
        outcome.contains("non può essere eseguita sui nuovi dati"),
        "{outcome}"
    );
    assert!(
        !outcome.contains("check 'presenti_entro_posti' rule"),
        "{outcome}"
    );
}

#[test]
fn a_step_that_fails_for_the_machine_is_said_in_italian() {
    // The folder the source's data files go in is a file: writing the new delivery fails, for a
    // reason of the machine rather than of the export.
    let (_dir, p) = init_project();
    let out = common::osservatorio(&p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let folder = std::fs::read_dir(p.join("warehouse"))
        .expect("the warehouse")
        .flat_map(|t| {
            std::fs::read_dir(t.expect("an entry").path())
                .into_iter()
                .flatten()
        })
        .map(|e| e.expect("an entry").path())
        .find(|f| f.ends_with("source=presenze-padova"))
        .expect("the source's folder");
    std::fs::remove_dir_all(&folder).expect("removed");
    std::fs::write(&folder, b"not a folder\n").expect("written");
    let export = std::fs::read_to_string(p.join("data/presenze.csv")).expect("the export");
    let last = export.lines().last().expect("a row").to_string();
    common::write(
        &p,
        "data/presenze.csv",
        format!("{export}{last}\n").as_bytes(),
    );

    let out = common::osservatorio(&p, &["run"]);
    let terminal = text(&out);
    assert_ne!(out.status.code(), Some(0), "{terminal}");
    let page = page_text(&p.join("out/accoglienza/index.html"));
    assert!(page.contains("errore durante "), "{page}");
    assert!(
        page.contains("i dati validi precedenti restano. Il motivo, in inglese: "),
        "{page}"
    );
}
