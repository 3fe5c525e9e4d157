//! The rarer reasons an export's bytes could not be read (a sheet the workbook lacks, a line past
//! the longest a reader holds, a workbook beyond a spreadsheet's limits, text outside its
//! encoding), as a kind and its values in English (the terminal's and run record's text) or
//! Italian (the pages of a project with `locale: it`). A library's own words stay as they came.

use serde::{Deserialize, Serialize};

use super::problem::{Worded, integer_it};
use crate::config::Locale;
use crate::text::quoted;

/// What stopped a reader, when it is not one of the common causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FaultCause {
    /// Text the declared encoding does not decode.
    NotInEncoding,
    /// A line, or an object of a JSON array, longer than `limit_mib` MiB.
    TooLong { stretch: Stretch, limit_mib: u64 },
    /// JSON objects with more different keys than a sheet has columns.
    TooManyKeys { max: u32 },
    /// No sheet of the workbook has the name `options.sheet` gives; `sheets` those it has.
    NoSheet { sheet: String, sheets: String },
    /// A workbook without sheets.
    NoSheets,
    /// A cell a real sheet cannot have.
    Beyond { sheet: String, beyond: Beyond },
    /// A workbook part that would take more than `max` bytes unpacked (a zip bomb).
    PartTooLarge { part: String, size: u64, max: u64 },
    /// The spreadsheet reader panicked on the file; `said` what it said.
    Panicked { sheet: Option<String>, said: String },
    /// The thread reading a sheet ended before the sheet did.
    StoppedEarly,
    /// The spreadsheet reader's error on a sheet, in its words.
    Sheet { sheet: String, detail: String },
    /// The file could not be read, in the system's words.
    Io { detail: String },
    /// The CSV reader stopped on it, in its words.
    Csv { detail: String },
    /// The Parquet reader refused it, in its words.
    Parquet { detail: String },
    /// UTF-16 text without a byte-order mark, read one byte per letter; `label` reads it.
    Utf16 { label: String },
}

/// The stretch of an export that is too long.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stretch", rename_all = "snake_case")]
pub enum Stretch {
    /// A line of a CSV or NDJSON export.
    Line {
        /// Its number, from 1.
        line: u64,
    },
    /// An object of a JSON array.
    ArrayItem {
        /// Its number, from 1.
        item: u64,
    },
}

/// Where a cell lies, or what it holds, that no real sheet has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "beyond", content = "limit", rename_all = "snake_case")]
pub enum Beyond {
    /// Past the last column.
    #[error(
        "a cell lies beyond column XFD, the last of the {0} columns a sheet has (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Column(u32),
    /// Past the last row.
    #[error(
        "a cell lies beyond the last of the {0} rows a sheet has (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Row(u32),
    /// More characters than a cell holds.
    #[error(
        "a cell holds more than the {0} characters a spreadsheet cell can (a damaged or crafted file); save it again from the spreadsheet"
    )]
    Text(usize),
}

impl Worded for FaultCause {
    fn english(&self) -> String {
        match self {
            FaultCause::NotInEncoding => "text that is not valid in the declared encoding (set options.encoding, e.g. windows-1252)".into(),
            FaultCause::TooLong { stretch, limit_mib } => format!(
                "{} is longer than {limit_mib} MiB, far more than an export holds (a damaged file, or one that is not in the source's format): export it again, or check the source's format",
                match stretch {
                    Stretch::Line { line } => format!("line {line}"),
                    Stretch::ArrayItem { item } => format!("array item {item}"),
                }
            ),
            FaultCause::TooManyKeys { max } => format!(
                "the objects have more than {max} different keys, the columns a spreadsheet has (a damaged file, or records that are not rows of one table): export the table again"
            ),
            FaultCause::NoSheet { sheet, sheets } => {
                format!("no sheet named '{sheet}' (sheets: {sheets})")
            }
            FaultCause::NoSheets => "the workbook has no sheets".into(),
            FaultCause::Beyond { sheet, beyond } => format!("sheet '{sheet}': {beyond}"),
            FaultCause::PartTooLarge { part, size, max } => format!(
                "its part {} would take {size} bytes once unpacked, more than the {max} a workbook part may (a damaged or crafted file); save the sheet again from the spreadsheet, or export it as CSV",
                quoted(part)
            ),
            FaultCause::Panicked { sheet, said } => format!(
                "{}the spreadsheet reader stopped on it ({}); the file is damaged or not what its format says: save it again from the spreadsheet",
                sheet.as_ref().map(|s| format!("sheet '{s}': ")).unwrap_or_default(),
                quoted(said)
            ),
            FaultCause::StoppedEarly => "the spreadsheet reader stopped before the end of the sheet; nothing of this export is taken: save it again from the spreadsheet".into(),
            FaultCause::Sheet { sheet, detail } => format!("sheet '{sheet}': {detail}"),
            FaultCause::Io { detail }
            | FaultCause::Csv { detail }
            | FaultCause::Parquet { detail } => detail.clone(),
            FaultCause::Utf16 { label } => format!(
                "the headers hold NUL bytes between their letters: the export is UTF-16 text without a byte-order mark; set options.encoding: {label}"
            ),
        }
    }

    fn italian(&self) -> String {
        match self {
            FaultCause::NotInEncoding => "testo non valido nella codifica dichiarata (impostare options.encoding, ad es. windows-1252)".into(),
            FaultCause::TooLong { stretch, limit_mib } => format!(
                "{} è più lung{} di {} MiB, molto più di quanto contenga un'esportazione (un file danneggiato, o non nel formato della fonte): esportarlo di nuovo, o controllare il format della fonte",
                match stretch {
                    Stretch::Line { line } => format!("la riga {}", integer_it(*line)),
                    Stretch::ArrayItem { item } =>
                        format!("l'elemento {} dell'array", integer_it(*item)),
                },
                match stretch {
                    Stretch::Line { .. } => "a",
                    Stretch::ArrayItem { .. } => "o",
                },
                integer_it(*limit_mib)
            ),
            FaultCause::TooManyKeys { max } => format!(
                "gli oggetti hanno più di {} chiavi diverse, le colonne di un foglio di calcolo (un file danneggiato, o record che non sono righe di una tabella): esportare di nuovo la tabella",
                integer_it(u64::from(*max))
            ),
            FaultCause::NoSheet { sheet, sheets } => format!(
                "la cartella di lavoro non ha un foglio di nome '{sheet}' (i suoi fogli: {sheets}); correggere options.sheet"
            ),
            FaultCause::NoSheets => "la cartella di lavoro non ha fogli".into(),
            FaultCause::Beyond { sheet, beyond } => {
                format!("foglio '{sheet}': {}", beyond_it(beyond))
            }
            FaultCause::PartTooLarge { part, size, max } => format!(
                "la sua parte {} occuperebbe {} byte una volta decompressa, più dei {} consentiti a una parte di cartella di lavoro (un file danneggiato o costruito ad arte); salvare di nuovo il foglio dal foglio di calcolo, o esportarlo come CSV",
                quoted(part),
                integer_it(*size),
                integer_it(*max)
            ),
            FaultCause::Panicked { sheet, said } => format!(
                "{}il lettore di fogli di calcolo si è fermato sul file ({}); il file è danneggiato o non è ciò che il suo formato dice: salvarlo di nuovo dal foglio di calcolo",
                sheet.as_ref().map(|s| format!("foglio '{s}': ")).unwrap_or_default(),
                quoted(said)
            ),
            FaultCause::StoppedEarly => "il lettore di fogli di calcolo si è fermato prima della fine del foglio; nulla di questa esportazione è preso: salvarla di nuovo dal foglio di calcolo".into(),
            FaultCause::Sheet { sheet, detail } => {
                format!("il foglio '{sheet}' non è leggibile ({detail})")
            }
            FaultCause::Io { detail } => format!("il file non può essere letto ({detail})"),
            FaultCause::Csv { detail } => {
                format!("il lettore CSV si è fermato sul file ({detail})")
            }
            FaultCause::Parquet { detail } => {
                format!("non è un file Parquet leggibile ({detail})")
            }
            FaultCause::Utf16 { label } => format!(
                "le intestazioni hanno byte NUL tra le lettere: l'esportazione è testo UTF-16 senza byte-order mark; impostare options.encoding: {label}"
            ),
        }
    }
}

/// A cell beyond a sheet's limits, in Italian.
fn beyond_it(beyond: &Beyond) -> String {
    match beyond {
        Beyond::Column(n) => format!(
            "una cella sta oltre la colonna XFD, l'ultima delle {} colonne di un foglio (un file danneggiato o costruito ad arte); salvarlo di nuovo dal foglio di calcolo",
            integer_it(u64::from(*n))
        ),
        Beyond::Row(n) => format!(
            "una cella sta oltre l'ultima delle {} righe di un foglio (un file danneggiato o costruito ad arte); salvarlo di nuovo dal foglio di calcolo",
            integer_it(u64::from(*n))
        ),
        Beyond::Text(n) => format!(
            "una cella contiene più dei {} caratteri che una cella di foglio di calcolo può contenere (un file danneggiato o costruito ad arte); salvarlo di nuovo dal foglio di calcolo",
            integer_it(*n as u64)
        ),
    }
}

/// A table's check rule that could not be run on the new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnrunCheck {
    /// The table's file.
    pub file: String,
    /// The check's name.
    pub name: String,
    /// Its SQL condition.
    pub rule: String,
    /// Why it could not be run, in the query engine's words.
    pub detail: String,
}

impl UnrunCheck {
    /// The problem in `locale`'s words.
    pub fn text(&self, locale: Locale) -> String {
        let UnrunCheck {
            file,
            name,
            rule,
            detail,
        } = self;
        match locale {
            Locale::En => format!("{file}: check '{name}' rule \"{rule}\": {detail}"),
            Locale::It => format!(
                "{file}: la verifica '{name}' (regola \"{rule}\") non può essere eseguita sui nuovi dati ({detail}); correggere la regola nei checks della tabella"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_italian_words_of_its_own_and_italian_numbers() {
        let faults = [
            FaultCause::NotInEncoding,
            FaultCause::TooLong {
                stretch: Stretch::Line { line: 1_234 },
                limit_mib: 16,
            },
            FaultCause::TooManyKeys { max: 16_384 },
            FaultCause::NoSheet {
                sheet: "Foglio9".into(),
                sheets: "Foglio1, Foglio2".into(),
            },
            FaultCause::NoSheets,
            FaultCause::Beyond {
                sheet: "Foglio1".into(),
                beyond: Beyond::Row(1_048_576),
            },
            FaultCause::PartTooLarge {
                part: "xl/worksheets/sheet1.xml".into(),
                size: 4_294_967_295,
                max: 1_073_741_824,
            },
            FaultCause::StoppedEarly,
        ];
        for f in &faults {
            assert_ne!(f.text(Locale::En), f.text(Locale::It), "{f:?}");
        }
        assert!(
            faults[1]
                .text(Locale::It)
                .starts_with("la riga 1.234 è più lunga di 16 MiB")
        );
        assert!(faults[5].text(Locale::It).contains("1.048.576 righe"));
        assert!(faults[6].text(Locale::It).contains("4.294.967.295 byte"));
        assert!(
            faults[6]
                .text(Locale::It)
                .contains("dei 1.073.741.824 consentiti")
        );
    }
}
