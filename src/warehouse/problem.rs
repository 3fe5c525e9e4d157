//! The problems of a run that reach the pages (a delivery that failed, the rows it rejected, an
//! indicator that failed, a ceased municipality code counted under its successor): each a kind
//! and its values, kept in the manifests and the indicator table's record, so that a page writes
//! it in its own locale. The English text is the one the terminal and the run record show.

use serde::{Deserialize, Serialize};

use crate::config::Locale;

/// What a cell holds, for a message about a cell of the wrong kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// An empty cell.
    Empty,
    /// Text.
    Text,
    /// A number.
    Number,
    /// A true/false value.
    Bool,
    /// A date.
    Date,
    /// A date and time.
    DateTime,
}

/// What a column wants, for the same messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    /// Text.
    Text,
    /// A whole number.
    Whole,
    /// A number.
    Number,
    /// Yes or no.
    YesNo,
    /// A date.
    Date,
    /// A date and time.
    DateTime,
}

/// Why a cell does not fit its column: the reason a row is rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Not a number with the source's decimal, but one with the other.
    OtherDecimal {
        /// The source's decimal separator.
        decimal: char,
        /// The value read with the other separator.
        read_as: f64,
    },
    /// Not a number at all.
    NotNumber,
    /// Separators in the wrong places for the convention of `decimal`.
    Grouping {
        /// The source's decimal separator.
        decimal: char,
    },
    /// A fraction where a whole number is wanted.
    NotWhole,
    /// A whole number past what is stored.
    TooLarge,
    /// Infinite or not a number.
    NotFinite,
    /// Not one of the yes/no words.
    NotYesNo,
    /// Not a date in the source's `date_format` (or ISO when it sets none).
    NotDate {
        /// The source's `date_format`.
        format: Option<String>,
    },
    /// A cell of a kind the column does not take.
    Mismatch {
        /// What the cell holds.
        found: Found,
        /// What the column wants.
        wanted: Wanted,
    },
    /// `pad` on a code that is not all digits.
    PadNotDigits {
        /// The width of `pad`.
        width: usize,
    },
    /// `pad` on a code already longer than its width.
    PadTooLong {
        /// The width of `pad`.
        width: usize,
    },
    /// A required column's cell is empty.
    Required,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Locale::En))
    }
}

fn other_decimal(decimal: char) -> char {
    if decimal == ',' { '.' } else { ',' }
}

/// What a problem says in each of the project's languages: English for the terminal and the run
/// record, Italian for an Italian project's pages and outcome files.
pub trait Worded {
    fn english(&self) -> String;
    fn italian(&self) -> String;

    /// The words in `locale`.
    fn text(&self, locale: Locale) -> String {
        match locale {
            Locale::En => self.english(),
            Locale::It => self.italian(),
        }
    }
}

impl Worded for Reason {
    fn english(&self) -> String {
        match self {
            Reason::OtherDecimal { decimal, read_as } => {
                let other = other_decimal(*decimal);
                format!(
                    "not a number with decimal \"{decimal}\"; it is {read_as} with decimal \"{other}\": if the export writes numbers so, set decimal: \"{other}\" in the source's options"
                )
            }
            Reason::NotNumber => "not a number".into(),
            Reason::Grouping { decimal: ',' } => {
                "not a number (with decimal \",\" write 1.234,5; a \".\" only groups thousands)"
                    .into()
            }
            Reason::Grouping { .. } => {
                "not a number (with decimal \".\" write 1,234.5; a \",\" only groups thousands)"
                    .into()
            }
            Reason::NotWhole => "not a whole number".into(),
            Reason::TooLarge => "a whole number too large to store".into(),
            Reason::NotFinite => "not a finite number".into(),
            Reason::NotYesNo => "not a yes/no value (sì/no, s/n, true/false, 1/0, x)".into(),
            Reason::NotDate { format: Some(f) } => {
                format!("not a valid date in the format {f} nor ISO YYYY-MM-DD")
            }
            Reason::NotDate { format: None } => {
                "not a valid ISO date YYYY-MM-DD (set options.date_format for other layouts)".into()
            }
            Reason::Mismatch { found, wanted } => {
                let found = match found {
                    Found::Empty => "empty cell",
                    Found::Text => "text",
                    Found::Number => "number",
                    Found::Bool => "true/false value",
                    Found::Date => "date",
                    Found::DateTime => "date and time",
                };
                let wanted = match wanted {
                    Wanted::Text => "text",
                    Wanted::Whole => "a whole number",
                    Wanted::Number => "a number",
                    Wanted::YesNo => "yes/no",
                    Wanted::Date => "a date",
                    Wanted::DateTime => "a date and time",
                };
                format!("a {found} where {wanted} was expected")
            }
            Reason::PadNotDigits { width } => format!("not a code of digits to pad to {width}"),
            Reason::PadTooLong { width } => format!("a code longer than the {width} digits of pad"),
            Reason::Required => "required value missing".into(),
        }
    }

    fn italian(&self) -> String {
        match self {
            Reason::OtherDecimal { decimal, read_as } => {
                let other = other_decimal(*decimal);
                format!(
                    "non è un numero con decimal \"{decimal}\"; con decimal \"{other}\" è {}: se l'esportazione scrive così i numeri, impostare decimal: \"{other}\" nelle options della fonte",
                    decimal_it(*read_as)
                )
            }
            Reason::NotNumber => "non è un numero".into(),
            Reason::Grouping { decimal: ',' } => {
                "non è un numero (con decimal \",\" si scrive 1.234,5; il \".\" separa solo le migliaia)"
                    .into()
            }
            Reason::Grouping { .. } => {
                "non è un numero (con decimal \".\" si scrive 1,234.5; la \",\" separa solo le migliaia)"
                    .into()
            }
            Reason::NotWhole => "non è un numero intero".into(),
            Reason::TooLarge => "un numero intero troppo grande da registrare".into(),
            Reason::NotFinite => "non è un numero finito".into(),
            Reason::NotYesNo => "non è un valore sì/no (sì/no, s/n, true/false, 1/0, x)".into(),
            Reason::NotDate { format: Some(f) } => {
                format!("non è una data nel formato {f} né nel formato ISO AAAA-MM-GG")
            }
            Reason::NotDate { format: None } => {
                "non è una data ISO AAAA-MM-GG (per altri formati impostare options.date_format)"
                    .into()
            }
            Reason::Mismatch { found, wanted } => {
                let found = match found {
                    Found::Empty => "una cella vuota",
                    Found::Text => "un testo",
                    Found::Number => "un numero",
                    Found::Bool => "un valore vero/falso",
                    Found::Date => "una data",
                    Found::DateTime => "una data con ora",
                };
                let wanted = match wanted {
                    Wanted::Text => "un testo",
                    Wanted::Whole => "un numero intero",
                    Wanted::Number => "un numero",
                    Wanted::YesNo => "un sì/no",
                    Wanted::Date => "una data",
                    Wanted::DateTime => "una data con ora",
                };
                format!("{found} dove è atteso {wanted}")
            }
            Reason::PadNotDigits { width } => {
                format!("non è un codice di sole cifre da completare a {width}")
            }
            Reason::PadTooLong { width } => {
                format!("un codice più lungo delle {width} cifre di pad")
            }
            Reason::Required => "manca un valore obbligatorio".into(),
        }
    }
}

/// A rejected cell: where it is, what it holds and why it does not fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    pub line: u64,
    pub column: String,
    /// The value as read (an excerpt of a long one).
    pub value: String,
    pub reason: Reason,
}

impl Rejected {
    /// `line 2, column presenti: '25,5' …` in `locale`'s words.
    pub fn text(&self, locale: Locale) -> String {
        let value = crate::text::quoted(&self.value);
        let reason = self.reason.text(locale);
        match locale {
            Locale::En => format!(
                "line {}, column {}: {value} {reason}",
                self.line, self.column
            ),
            Locale::It => format!(
                "riga {}, colonna {}: {value} {reason}",
                integer_it(self.line),
                self.column
            ),
        }
    }
}

/// The setting under which an export has every header a source maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum HeaderFix {
    /// Read as Windows-1252 (Excel on Windows) it has them.
    Windows1252,
    /// Its row `row` holds them.
    HeaderRow { row: u64 },
}

/// Why an indicator could not be computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum IndicatorCause {
    /// Its SQL names a column no table it reads has.
    UnknownColumn {
        column: String,
        valid: Vec<String>,
        near: Option<String>,
    },
    /// Anything else the query engine refused, in its words.
    Other { detail: String },
    /// A failure after the query ran (its figures, their roll-up, the table), in osservatorio's
    /// words.
    Computation { detail: String },
}

/// A problem of a run, as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Bytes that are not UTF-8 in an export read as UTF-8.
    NotUtf8 {
        file: String,
        line: u64,
        byte: u8,
        offset: u64,
    },
    /// A mapped header that the export does not have.
    MissingHeader {
        file: String,
        column: String,
        header: String,
        /// The export's headers, as one excerpt.
        found: String,
        /// The export's header closest to the one mapped.
        near: Option<String>,
        fix: Option<HeaderFix>,
    },
    /// More rows rejected than `max_rejected` allows.
    TooManyRejected {
        file: String,
        rejected: u64,
        total: u64,
        first: Option<Rejected>,
    },
    /// An export that shrank more than `max_shrink` allows.
    HeldBack {
        file: String,
        name: String,
        rows: u64,
        previous: u64,
        drop: f64,
        max_shrink: f64,
    },
    /// An indicator that failed: its previous figures are kept.
    IndicatorFailed {
        file: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
        indicator: String,
        /// The failure in English, as the terminal shows it.
        detail: String,
        cause: IndicatorCause,
    },
    /// Rows whose territory code ceased and were counted under its successor.
    CeasedCode {
        file: String,
        column: String,
        rows: u64,
        code: String,
        name: String,
        ceased: String,
        successor: String,
        successor_name: String,
    },
    /// An indicator's figures for a ceased municipality code, counted under its successor when
    /// the indicator was computed: its territory is built in its SQL (an expression, a join), so
    /// the rows could not be stored under the successor.
    CeasedCodeInIndicator {
        indicator: String,
        code: String,
        name: String,
        ceased: String,
        successor: String,
        successor_name: String,
    },
    /// Several deliveries of one source failed; `more` past those listed.
    Several {
        source: String,
        problems: Vec<Problem>,
        more: usize,
    },
    /// An export that could not be read as its format, at `line` when the problem has one.
    Unreadable {
        file: String,
        line: Option<u64>,
        cause: super::problem_read::ReadCause,
    },
    /// A remote export, or its folder's listing, that could not be fetched.
    FetchFailed {
        url: String,
        cause: super::problem_read::FetchCause,
    },
    /// A table's check rule that could not be run on the new data.
    CheckNotRun {
        check: super::problem_fault::UnrunCheck,
    },
    /// A step of reading a delivery that failed for a reason of the machine rather than of the
    /// export (the warehouse's store, a scratch folder, a writer): the step, and the English text
    /// as the terminal says it.
    StepFailed { step: Step, text: String },
    /// A problem without a kind of its own (a file that cannot be opened, a server's answer):
    /// its English text, with the file it is about.
    Other { text: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Locale::En))
    }
}

impl Problem {
    /// The problem in `locale`'s words.
    pub fn text(&self, locale: Locale) -> String {
        match locale {
            Locale::En => super::problem_en::text(self),
            Locale::It => super::problem_it::text(self),
        }
    }
}

/// A whole number written the Italian way: `12.345`.
pub fn integer_it(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A number written the Italian way: `40.076,52`.
pub fn decimal_it(x: f64) -> String {
    let text = format!("{}", x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = whole.parse::<u64>().map_or(whole.to_string(), integer_it);
    let sign = if x < 0.0 { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole},{fraction}")
    }
}

/// `YYYY-MM-DD` as `DD/MM/YYYY`; any other text as given.
pub fn date_it(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_the_italian_way() {
        assert_eq!(integer_it(7), "7");
        assert_eq!(integer_it(1234567), "1.234.567");
        assert_eq!(decimal_it(40076.52), "40.076,52");
        assert_eq!(decimal_it(-25.5), "-25,5");
        assert_eq!(decimal_it(3.0), "3");
        assert_eq!(date_it("2019-01-29"), "29/01/2019");
    }

    #[test]
    fn a_problem_keeps_its_kind_and_values_through_json() {
        let p = Problem::TooManyRejected {
            file: "data/x.csv".into(),
            rejected: 3,
            total: 4,
            first: Some(Rejected {
                line: 2,
                column: "presenti".into(),
                value: "25,5".into(),
                reason: Reason::OtherDecimal {
                    decimal: '.',
                    read_as: 25.5,
                },
            }),
        };
        let json = serde_json::to_string(&p).expect("JSON");
        assert!(json.contains("\"kind\":\"too_many_rejected\""), "{json}");
        let back: Problem = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, p);
    }
}

/// The step of reading a delivery that failed in a [`Problem::StepFailed`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Reading or writing the warehouse's store.
    Warehouse,
    /// Today's date, as `OSSERVATORIO_TODAY` gives it.
    Today,
    /// A scratch folder for the export.
    Scratch,
    /// Encoding the rows for the warehouse.
    Encode,
    /// Writing the warehouse's data file.
    Write,
    /// Writing the rejected rows.
    Rejected,
    /// Looking for outliers and other findings.
    Findings,
    /// Working out the periods a delivery covers.
    Coverage,
    /// A reader or writer that stopped.
    Stopped,
}

impl Step {
    /// The step in Italian, as the object of "errore durante".
    pub fn italian(self) -> &'static str {
        match self {
            Step::Warehouse => "l'accesso al magazzino dati",
            Step::Today => "la lettura della data di oggi (OSSERVATORIO_TODAY)",
            Step::Scratch => "la preparazione di una cartella temporanea",
            Step::Encode => "la codifica delle righe per il magazzino dati",
            Step::Write => "la scrittura nel magazzino dati",
            Step::Rejected => "la scrittura delle righe scartate",
            Step::Findings => "la ricerca dei valori anomali",
            Step::Coverage => "il calcolo dei periodi coperti dalla consegna",
            Step::Stopped => "la lettura, che si è interrotta",
        }
    }
}
