//! Exports that cannot be read or fetched, on an Italian project: an unreadable workbook (XLSX and
//! ODS), invalid JSON, a file ending before its header row, an HTTP status, a timeout, a missing
//! local file and a bucket that cannot be listed each have a kind of their own, so the pages and the senders' outcome
//! files say them in Italian while the terminal stays English.

use std::time::Duration;

use crate::common::http_server::{Route, Server};
use crate::common::{self, init_project, page_text, s3_server, text};

/// One more source of the sample table, mapped as the sample's own, reading `url` as `format`.
pub(crate) fn source(name: &str, url: &str, format: &str, extra: &str) -> String {
    format!(
        "  - name: {name}
    table: presenze
    territory: PD
    url: \"{url}\"
    format: {format}
{extra}    columns:
      data: Data rilevazione
      struttura: Codice struttura
      presenti: N. presenti
      posti: Posti autorizzati
      data_invio: Data invio
"
    )
}

/// Each failing source: its name, and the Italian words its problem must be shown with.
const ITALIAN: [(&str, &str); 8] = [
    (
        "rotta-xlsx",
        "data/rotta.xlsx: non è una cartella di lavoro leggibile (xlsx, xls o ods)",
    ),
    (
        "rotta-ods",
        "data/rotta.ods: non è un foglio di calcolo ODS (OpenDocument)",
    ),
    (
        "rotta-json",
        "data/rotta.json, riga 2: l'elemento 2 dell'array non è JSON valido",
    ),
    (
        "corta",
        "data/corta.csv: il file finisce prima della riga di intestazione 3",
    ),
    (
        "guasta",
        "/guasta.csv: il server ha risposto HTTP 503 (Service Unavailable) e l'esportazione non è stata scaricata",
    ),
    (
        "lenta",
        "/lenta.csv: nessuna risposta entro il timeout della fonte di 1 s, a ogni tentativo",
    ),
    ("assente", "data/assente.csv: il file non esiste"),
    (
        "cartella",
        "s3://mancante/presenze/*.csv: non è stato possibile elencare la cartella (",
    ),
];

/// The English the terminal shows for the same problems, which no Italian page may have.
const ENGLISH: [&str; 8] = [
    "not a readable workbook",
    "not an ODS spreadsheet",
    "invalid JSON",
    "the file ends before the header row",
    "the server answered HTTP 503",
    "no answer within the source's timeout",
    "the folder could not be listed",
    "no such file",
];

#[test]
fn an_italian_page_says_why_each_export_could_not_be_read_or_fetched_in_italian() {
    let srv = Server::start(vec![
        (
            "/guasta.csv",
            Route::Flaky {
                failures: usize::MAX,
                body: Vec::new(),
            },
        ),
        (
            "/lenta.csv",
            Route::Slow {
                delay: Duration::from_secs(4),
                body: Vec::new(),
            },
        ),
    ]);
    let s3 = s3_server::S3Server::start();
    let (_dir, p) = init_project();
    common::write(&p, "data/rotta.xlsx", b"not a zip, not a workbook");
    common::write(&p, "data/rotta.ods", b"not a zip, not a spreadsheet");
    common::write(
        &p,
        "data/rotta.json",
        b"[{\"Data rilevazione\": 1}, {\"a\": }]",
    );
    common::write(&p, "data/corta.csv", b"Data rilevazione;Codice struttura\n");
    let remote = "    timeout: 1s\n    retries: 0\n";
    let more = [
        source("rotta-xlsx", "data/rotta.xlsx", "xlsx", ""),
        source("rotta-ods", "data/rotta.ods", "ods", ""),
        source("rotta-json", "data/rotta.json", "json", ""),
        source(
            "corta",
            "data/corta.csv",
            "csv",
            "    options: { delimiter: \";\", header_row: 3 }\n",
        ),
        source("guasta", &format!("{}/guasta.csv", srv.base), "csv", remote),
        source("lenta", &format!("{}/lenta.csv", srv.base), "csv", remote),
        source("assente", "data/assente.csv", "csv", ""),
        source("cartella", "s3://mancante/presenze/*.csv", "csv", ""),
    ]
    .concat();
    let pipeline = std::fs::read_to_string(p.join("pipelines/presenze.yaml")).expect("pipeline");
    common::write(
        &p,
        "pipelines/presenze.yaml",
        format!("{pipeline}{more}").as_bytes(),
    );

    let out = common::osservatorio_env(&p, &["run"], &s3.env());
    let terminal = text(&out);
    assert_eq!(out.status.code(), Some(1), "{terminal}");
    // The terminal stays English.
    for english in ENGLISH {
        assert!(
            terminal.contains(english),
            "the terminal lacks {english:?}: {terminal}"
        );
    }
    let index = page_text(&p.join("out/index.html"));
    let page = page_text(&p.join("out/accoglienza/index.html"));
    for (what, t) in [("index", &index), ("dashboard", &page)] {
        for (name, italian) in ITALIAN {
            assert!(t.contains(italian), "{what}: {name}: no {italian:?} in {t}");
        }
        for english in ENGLISH {
            assert!(!t.contains(english), "{what} has {english:?}: {t}");
        }
    }
    // The senders' outcome files say it in Italian too.
    for (name, file, italian) in [
        ("rotta-json", "rotta", "non è JSON valido"),
        (
            "corta",
            "corta",
            "il file finisce prima della riga di intestazione 3",
        ),
    ] {
        let outcome = std::fs::read_to_string(p.join(format!("out/deliveries/{name}/{file}.csv")))
            .unwrap_or_else(|e| panic!("the outcome file of {name}: {e}"));
        assert!(outcome.contains(italian), "{name}: {outcome}");
        assert!(!outcome.contains("invalid JSON"), "{name}: {outcome}");
    }
}
