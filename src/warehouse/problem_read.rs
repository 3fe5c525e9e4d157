//! Why an export could not be read or fetched, as a kind and its values, written in English (the
//! terminal's and run record's text) or Italian (the pages of a project with `locale: it`). The
//! words of the library that refused the file (a spreadsheet or JSON parser, the S3 server) stay
//! as they came, quoted inside the sentence.

use serde::{Deserialize, Serialize};

use super::problem::{Worded, integer_it};
use crate::config::Locale;

/// Why an export's bytes could not be read as its format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum ReadCause {
    /// Not a workbook the spreadsheet reader opens (not a zip, a damaged XLSX or ODS); `ods`
    /// when the source declares ODS; `detail` the reader's words.
    Workbook { ods: bool, detail: String },
    /// Not valid JSON, or JSON that is not rows of objects.
    Json { fault: JsonFault },
    /// The file, or its sheet, ends before the header row.
    NoHeaderRow {
        header_row: u64,
        sheet: Option<String>,
    },
    /// One of the rarer faults (a sheet the workbook lacks, a line too long, a workbook beyond
    /// a spreadsheet's limits, text outside its encoding).
    Fault {
        fault: super::problem_fault::FaultCause,
    },
}

/// What is wrong with a JSON export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum JsonFault {
    /// The parser refused it (in array item `item`, when it is an array); `detail` its words.
    Syntax { item: Option<u64>, detail: String },
    /// After array item `after`, something that is neither `,` nor `]`.
    NoSeparator { after: u64 },
    /// The array is not closed with `]`.
    NotClosed,
    /// An array item that is not an object.
    ItemNotObject,
    /// A line of NDJSON that is not an object.
    LineNotObject,
}

/// Why a remote export, or the listing of its folder, could not be fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum FetchCause {
    /// The server answered with this HTTP status (a 5xx after the source's retries).
    Status { status: u16 },
    /// No answer within the source's timeout, on every try.
    Timeout { seconds: u64 },
    /// A reply without a length that went on past `limit` bytes.
    TooLarge { limit: u64 },
    /// The folder or bucket could not be listed; `detail` the store's words.
    Listing { detail: String },
    /// No file at a local path.
    NoSuchFile,
    /// One of the rarer faults (a header's variable not set, a folder that does not exist).
    Fault {
        fault: super::problem_fetch::FetchFaultCause,
    },
}

impl Worded for ReadCause {
    fn english(&self) -> String {
        match self {
            ReadCause::Workbook { ods: true, detail } => format!(
                "not an ODS spreadsheet (OpenDocument): {detail}; save it again as .ods from the spreadsheet, or set the source's format to what the file is (csv, xlsx, json, parquet)"
            ),
            ReadCause::Workbook { ods: false, detail } => format!(
                "not a readable workbook (xlsx, xls or ods): {detail}; save it again from the spreadsheet, or set the source's format to what the file is"
            ),
            ReadCause::Json { fault } => match fault {
                JsonFault::Syntax {
                    item: Some(i),
                    detail,
                } => format!("array item {i}: invalid JSON: {detail}"),
                JsonFault::Syntax { item: None, detail } => format!("invalid JSON: {detail}"),
                JsonFault::NoSeparator { after } => {
                    format!("invalid JSON after array item {after}: expected , or ]")
                }
                JsonFault::NotClosed => "the JSON array is not closed with ]".into(),
                JsonFault::ItemNotObject => "array item is not an object".into(),
                JsonFault::LineNotObject => "line is not a JSON object".into(),
            },
            ReadCause::NoHeaderRow {
                header_row,
                sheet: None,
            } => format!(
                "the file ends before the header row {header_row}; check options.header_row, or export the file again"
            ),
            ReadCause::NoHeaderRow {
                header_row,
                sheet: Some(s),
            } => format!(
                "sheet '{s}' has no row {header_row} for the header; check options.header_row and options.sheet"
            ),
            ReadCause::Fault { fault } => fault.text(Locale::En),
        }
    }

    fn italian(&self) -> String {
        match self {
            ReadCause::Workbook { ods: true, detail } => format!(
                "non è un foglio di calcolo ODS (OpenDocument) ({detail}); salvarlo di nuovo come .ods dal foglio di calcolo, o impostare come format della fonte ciò che il file è (csv, xlsx, json, parquet)"
            ),
            ReadCause::Workbook { ods: false, detail } => format!(
                "non è una cartella di lavoro leggibile (xlsx, xls o ods) ({detail}); salvarla di nuovo dal foglio di calcolo, o impostare come format della fonte ciò che il file è"
            ),
            ReadCause::Json { fault } => match fault {
                JsonFault::Syntax {
                    item: Some(i),
                    detail,
                } => format!(
                    "l'elemento {} dell'array non è JSON valido ({detail})",
                    integer_it(*i)
                ),
                JsonFault::Syntax { item: None, detail } => {
                    format!("non è JSON valido ({detail})")
                }
                JsonFault::NoSeparator { after } => format!(
                    "JSON non valido dopo l'elemento {} dell'array: era attesa , o ]",
                    integer_it(*after)
                ),
                JsonFault::NotClosed => "l'array JSON non è chiuso da ]".into(),
                JsonFault::ItemNotObject => "un elemento dell'array non è un oggetto".into(),
                JsonFault::LineNotObject => "la riga non è un oggetto JSON".into(),
            },
            ReadCause::NoHeaderRow {
                header_row,
                sheet: None,
            } => format!(
                "il file finisce prima della riga di intestazione {}; controllare options.header_row, o esportare di nuovo il file",
                integer_it(*header_row)
            ),
            ReadCause::NoHeaderRow {
                header_row,
                sheet: Some(s),
            } => format!(
                "il foglio '{s}' non ha la riga {} per l'intestazione; controllare options.header_row e options.sheet",
                integer_it(*header_row)
            ),
            ReadCause::Fault { fault } => fault.text(Locale::It),
        }
    }
}

impl Worded for FetchCause {
    fn english(&self) -> String {
        match self {
            FetchCause::Status { status: 404 } => "not found on the server (404)".into(),
            FetchCause::Status { status: 401 } => "the server refused the request as unauthenticated (401): check the credentials in the environment (headers: env:NAME, or the AWS variables)".into(),
            FetchCause::Status { status: 403 } => {
                "the server refused access (403): check the credentials and their permissions".into()
            }
            FetchCause::Status { status } => format!(
                "the server answered HTTP {status}{} and the export was not fetched; the last good data is kept: try again later, or ask the server's administrators",
                reason(*status).map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            FetchCause::Timeout { seconds } => format!(
                "no answer within the source's timeout of {seconds} s, on every try; the last good data is kept: raise the source's timeout, or try again later"
            ),
            FetchCause::TooLarge { limit } => format!(
                "the reply has no Content-Length and goes on past {limit} bytes; ask the portal for the export as a file"
            ),
            FetchCause::Listing { detail } => format!(
                "the folder could not be listed ({detail}); check the address and the credentials (the AWS variables for s3://)"
            ),
            FetchCause::NoSuchFile => "no such file".into(),
            FetchCause::Fault { fault } => fault.text(Locale::En),
        }
    }

    fn italian(&self) -> String {
        match self {
            FetchCause::Status { status: 404 } => "non trovata sul server (404)".into(),
            FetchCause::Status { status: 401 } => "il server ha rifiutato la richiesta perché non autenticata (401): controllare le credenziali nell'ambiente (headers: env:NOME, o le variabili AWS)".into(),
            FetchCause::Status { status: 403 } => {
                "il server ha negato l'accesso (403): controllare le credenziali e i loro permessi".into()
            }
            FetchCause::Status { status } => format!(
                "il server ha risposto HTTP {status}{} e l'esportazione non è stata scaricata; restano gli ultimi dati validi: riprovare più tardi, o chiedere agli amministratori del server",
                reason(*status).map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            FetchCause::Timeout { seconds } => format!(
                "nessuna risposta entro il timeout della fonte di {} s, a ogni tentativo; restano gli ultimi dati validi: aumentare il timeout della fonte, o riprovare più tardi",
                integer_it(*seconds)
            ),
            FetchCause::TooLarge { limit } => format!(
                "la risposta non ha Content-Length e supera i {} byte; chiedere al portale l'esportazione come file",
                integer_it(*limit)
            ),
            FetchCause::Listing { detail } => format!(
                "non è stato possibile elencare la cartella ({detail}); controllare l'indirizzo e le credenziali (le variabili AWS per s3://)"
            ),
            FetchCause::NoSuchFile => {
                "il file non esiste: controllare l'url della fonte, o che l'esportazione sia stata salvata lì".into()
            }
            FetchCause::Fault { fault } => fault.text(Locale::It),
        }
    }
}

/// The status's standard name (`Service Unavailable`), in the protocol's own words.
fn reason(status: u16) -> Option<&'static str> {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
}

/// `file:line: ` before a read problem, as the terminal shows it; `file, riga N: ` in Italian.
pub(super) fn unreadable_text(
    file: &str,
    line: Option<u64>,
    cause: &ReadCause,
    locale: Locale,
) -> String {
    let cause = cause.text(locale);
    match (line, locale) {
        (None, _) => format!("{file}: {cause}"),
        (Some(l), Locale::En) => format!("{file}:{l}: {cause}"),
        (Some(l), Locale::It) => format!("{file}, riga {}: {cause}", integer_it(l)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_italian_words_of_its_own() {
        let causes = [
            FetchCause::Status { status: 503 },
            FetchCause::Status { status: 404 },
            FetchCause::Timeout { seconds: 1 },
            FetchCause::TooLarge {
                limit: 17_179_869_184,
            },
            FetchCause::Listing {
                detail: "NoSuchBucket".into(),
            },
            FetchCause::NoSuchFile,
        ];
        for c in causes {
            assert_ne!(c.text(Locale::En), c.text(Locale::It), "{c:?}");
        }
        assert!(
            FetchCause::TooLarge {
                limit: 17_179_869_184
            }
            .text(Locale::It)
            .contains("17.179.869.184 byte")
        );
        let r = ReadCause::Json {
            fault: JsonFault::Syntax {
                item: Some(2),
                detail: "expected value".into(),
            },
        };
        assert_eq!(
            unreadable_text("x.json", Some(2), &r, Locale::It),
            "x.json, riga 2: l'elemento 2 dell'array non è JSON valido (expected value)"
        );
    }
}
