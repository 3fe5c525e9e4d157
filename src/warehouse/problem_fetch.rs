//! The rarer reasons an export could not be brought within reach (a header's variable not set, a
//! folder that does not exist, a pattern naming too many files, a store's refusal), as a kind and
//! its values in English (the terminal's and run record's text) or Italian (the pages of a project
//! with `locale: it`). A library's own words stay as they came.

use serde::{Deserialize, Serialize};

use super::problem::{Worded, integer_it};

/// What kept an export out of reach, when it is not one of the common causes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FetchFaultCause {
    /// A header's `env:` variable is not set.
    UnsetVariable { variable: String, header: String },
    /// Neither a path nor an address osservatorio reads.
    NotAPlace,
    /// An address or path that does not parse, in the parser's words.
    Address { detail: String },
    /// A header's name or value that HTTP does not allow, in the parser's words.
    Header { detail: String },
    /// The store refused the request, in its words.
    Store { detail: String },
    /// A local file could not be read or a download spooled, in the system's words.
    Io { detail: String },
    /// The file's size changed while it was hashed.
    Changed { before: u64, after: u64 },
    /// A listing's file pattern that is not a valid glob, in the parser's words.
    Pattern { detail: String },
    /// A listing's folder that does not exist.
    NoFolder { folder: String },
    /// A listing's pattern naming more than `max` files.
    TooManyFiles { max: u64 },
}

impl Worded for FetchFaultCause {
    fn english(&self) -> String {
        match self {
            FetchFaultCause::UnsetVariable { variable, header } => format!(
                "the environment variable {variable} (headers.{header}) is not set; set it where osservatorio runs"
            ),
            FetchFaultCause::NotAPlace => "not a place an export can be read from: write a path, file://, s3://bucket/key or an http(s):// address".into(),
            FetchFaultCause::Address { detail }
            | FetchFaultCause::Header { detail }
            | FetchFaultCause::Store { detail }
            | FetchFaultCause::Io { detail }
            | FetchFaultCause::Pattern { detail } => detail.clone(),
            FetchFaultCause::Changed { before, after } => format!(
                "the file changed while it was read ({before} bytes, then {after}): run again once it is written"
            ),
            FetchFaultCause::NoFolder { folder } => format!("no such folder: {folder}"),
            FetchFaultCause::TooManyFiles { max } => format!(
                "the pattern names more than {max} files: narrow it (e.g. one folder per source)"
            ),
        }
    }

    fn italian(&self) -> String {
        match self {
            FetchFaultCause::UnsetVariable { variable, header } => format!(
                "la variabile d'ambiente {variable} (headers.{header}) non è impostata; impostarla dove gira osservatorio"
            ),
            FetchFaultCause::NotAPlace => "non è un luogo da cui leggere un'esportazione: scrivere un percorso, file://, s3://bucket/chiave o un indirizzo http(s)://".into(),
            FetchFaultCause::Address { detail } => {
                format!("l'indirizzo o il percorso non è valido ({detail})")
            }
            FetchFaultCause::Header { detail } => {
                format!("un'intestazione HTTP non è valida ({detail}); correggere headers della fonte")
            }
            FetchFaultCause::Store { detail } => {
                format!("l'archivio ha rifiutato la richiesta ({detail})")
            }
            FetchFaultCause::Io { detail } => format!("il file non può essere letto ({detail})"),
            FetchFaultCause::Changed { before, after } => format!(
                "il file è cambiato durante la lettura ({} byte, poi {}): rieseguire quando è stato scritto",
                integer_it(*before),
                integer_it(*after)
            ),
            FetchFaultCause::Pattern { detail } => format!(
                "il modello dei file non è un glob valido ({detail}); correggere l'url della fonte"
            ),
            FetchFaultCause::NoFolder { folder } => {
                format!("la cartella non esiste: {folder}")
            }
            FetchFaultCause::TooManyFiles { max } => format!(
                "il modello indica più di {} file: restringerlo (ad es. una cartella per fonte)",
                integer_it(*max)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Locale;

    #[test]
    fn every_fetch_fault_has_italian_words_of_its_own_and_italian_numbers() {
        let faults = [
            FetchFaultCause::UnsetVariable {
                variable: "TOKEN".into(),
                header: "Authorization".into(),
            },
            FetchFaultCause::NotAPlace,
            FetchFaultCause::Changed {
                before: 1_000,
                after: 2_000_000,
            },
            FetchFaultCause::NoFolder {
                folder: "dati".into(),
            },
            FetchFaultCause::TooManyFiles { max: 10_000 },
        ];
        for f in &faults {
            assert_ne!(f.text(Locale::En), f.text(Locale::It), "{f:?}");
        }
        assert!(
            faults[2]
                .text(Locale::It)
                .contains("(1.000 byte, poi 2.000.000)")
        );
        assert!(faults[4].text(Locale::It).contains("più di 10.000 file"));
    }
}
