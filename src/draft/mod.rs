//! `osservatorio draft EXPORT`: a first table and source block for a CSV export or a workbook, each choice with
//! the evidence for it as a YAML comment, and every ambiguity written as a question that `check`
//! refuses until it is answered.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

mod column;
mod evidence;
mod numbers;
mod sheet;

use column::*;
use evidence::*;
use numbers::*;
use sheet::*;

/// Why an export could not be drafted.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// The export could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The export.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a format draft reads (yet).
    #[error("{0}: draft reads CSV exports (.csv, .txt, .tsv) and workbooks (.xlsx, .xls, .ods)")]
    Unsupported(String),
    /// A workbook calamine could not read.
    #[error("cannot read the workbook {path}: {source}")]
    Workbook {
        /// The export.
        path: String,
        /// Why.
        #[source]
        source: WorkbookFault,
    },
    /// Nothing to draft from.
    #[error("{0} has no row with more than one field: it is empty or not a delimited text")]
    NoTable(String),
}

/// Why a workbook gave no sheet to draft from.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookFault {
    /// calamine's reading of the file or of its first sheet.
    #[error("{0}")]
    Unreadable(#[source] calamine::Error),
    /// A workbook with no sheet at all.
    #[error("the workbook has no sheet")]
    NoSheet,
}

/// What to call the drafted table and source; both default to the export's file name.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// The canonical table's name.
    pub table: Option<String>,
    /// The source's name.
    pub source: Option<String>,
}

/// A choice and why: the YAML line(s) and the comment above them.
struct Choice {
    evidence: String,
    yaml: String,
}

/// Rows of cells as text.
type Grid = Vec<Vec<String>>;

/// Drafts the table and source blocks of a pipeline file for the export at `path` (shown as
/// `url`, as given: relative to where the command runs, like a project's paths to its own folder).
pub fn draft(path: &Path, names: &Names) -> Result<String, DraftError> {
    let shown = path.display().to_string();
    let Export {
        format,
        rows,
        stored,
        fields,
        mut options,
    } = read_export(path, &shown)?;
    let h = header_row(&rows, fields).ok_or_else(|| DraftError::NoTable(shown.clone()))?;
    let (mut data, mut data_stored): (Vec<&Vec<String>>, Vec<&Vec<Stored>>) = rows[h + 1..]
        .iter()
        .zip(&stored[h + 1..])
        .filter(|(r, _)| r.iter().any(|f| !f.is_empty()))
        .unzip();
    let mut totals = Vec::new();
    while data.last().is_some_and(|r| is_total(r)) {
        totals.push(h + data.len());
        data.pop();
        data_stored.pop();
    }
    let columns = columns_of(&rows[h], &data, &data_stored);
    options.push(header_choice(h, fields));
    // One decimal convention and one date format for the whole export.
    options.extend(
        [
            decimal_choice(&columns),
            date_format_choice(&columns),
            skip_totals_choice(&totals),
        ]
        .into_iter()
        .flatten(),
    );
    let table = names
        .table
        .clone()
        .unwrap_or_else(|| stem(path).replace('-', "_"));
    let source = names.source.clone().unwrap_or_else(|| stem(path));
    let drafted = Drafted {
        shown: &shown,
        path,
        format,
        data_rows: data.len(),
        table: &table,
        source: &source,
        columns: &columns,
        options: &options,
    };
    Ok(drafted.pipeline_yaml())
}

/// An export read as rows of text: its format, each cell as stored, the widest common row
/// and the choices reading it took (encoding and delimiter, or sheet).
struct Export {
    format: &'static str,
    rows: Vec<Vec<String>>,
    stored: Vec<Vec<Stored>>,
    fields: usize,
    options: Vec<Choice>,
}

fn read_export(path: &Path, shown: &str) -> Result<Export, DraftError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let no_table = || DraftError::NoTable(shown.to_string());
    match ext.as_str() {
        "csv" | "txt" | "tsv" | "" => {
            let bytes = std::fs::read(path).map_err(|source| DraftError::Io {
                path: shown.to_string(),
                source,
            })?;
            let (text, encoding) = decode(&bytes);
            let (delim, fields, delimiter) = delimiter(&text).ok_or_else(no_table)?;
            let rows = records(&text, delim);
            let stored = rows.iter().map(|r| vec![Stored::Text; r.len()]).collect();
            Ok(Export {
                format: "csv",
                rows,
                stored,
                fields,
                options: vec![encoding, delimiter],
            })
        }
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let (rows, stored, sheet) = workbook(path).map_err(|source| DraftError::Workbook {
                path: shown.to_string(),
                source,
            })?;
            let fields = widest_common(&rows).ok_or_else(no_table)?;
            Ok(Export {
                format: if ext == "ods" { "ods" } else { "xlsx" },
                rows,
                stored,
                fields,
                options: vec![sheet],
            })
        }
        _ => Err(DraftError::Unsupported(shown.to_string())),
    }
}

fn header_choice(h: usize, fields: usize) -> Choice {
    Choice {
        evidence: if h == 0 {
            format!("row 1 is the first with {fields} named fields")
        } else {
            format!(
                "rows 1-{h} hold fewer fields or empty ones (a title above the table); row {} is the first with {fields} named fields",
                h + 1
            )
        },
        yaml: format!("header_row: {}", h + 1),
    }
}

/// Each header's column, typed from its non-empty values and how they were stored.
fn columns_of(headers: &[String], data: &[&Vec<String>], stored: &[&Vec<Stored>]) -> Vec<Column> {
    headers
        .iter()
        .enumerate()
        .map(|(i, hd)| {
            let values: Vec<&str> = data
                .iter()
                .filter_map(|r| r.get(i).map(String::as_str))
                .filter(|v| !v.is_empty())
                .collect();
            let kinds: Vec<Stored> = stored
                .iter()
                .zip(data)
                .filter_map(|(k, r)| match r.get(i) {
                    Some(v) if !v.is_empty() => k.get(i).copied(),
                    _ => None,
                })
                .collect();
            column(hd, &values, &kinds)
        })
        .collect()
}

/// The decimal convention the columns show, or the question they leave.
fn decimal_choice(columns: &[Column]) -> Option<Choice> {
    let decided: Vec<Decimal> = columns.iter().filter_map(|c| c.decimal).collect();
    let ambiguous: Vec<&str> = columns
        .iter()
        .filter_map(|c| c.ambiguous.as_deref())
        .collect();
    if decided.contains(&Decimal::Comma) && decided.contains(&Decimal::Point) {
        return Some(Choice {
            evidence:
                "QUESTION: some columns read with a decimal comma and others with a decimal point"
                    .into(),
            yaml: "decimal: \"? comma or point: write , or .\"".into(),
        });
    }
    if let Some(&d) = decided.first() {
        let (sym, word) = match d {
            Decimal::Comma => (",", "comma"),
            Decimal::Point => (".", "point"),
        };
        let by: Vec<&str> = columns
            .iter()
            .filter(|c| c.decimal == Some(d))
            .map(|c| c.header.as_str())
            .collect();
        return Some(Choice {
            evidence: format!(
                "a decimal {word}: the values of {} read only that way",
                by.join(", ")
            ),
            yaml: format!("decimal: \"{sym}\""),
        });
    }
    (!ambiguous.is_empty()).then(|| Choice {
        evidence: format!(
            "QUESTION: {}; is 1.234 one thousand two hundred and thirty-four (then write decimal: \",\") or one point two three four (decimal: \".\")? check refuses the source until this is answered",
            ambiguous.join("; ")
        ),
        yaml: "decimal: \"? is 1.234 a thousand or one point two: write , or .\"".into(),
    })
}

/// The one date format of the date columns, or the question when they differ.
fn date_format_choice(columns: &[Column]) -> Option<Choice> {
    let mut formats: Vec<&str> = columns.iter().filter_map(|c| c.date_format).collect();
    formats.sort();
    formats.dedup();
    match formats.as_slice() {
        [] => None,
        [f] => Some(Choice {
            evidence: format!("every date column is written {f}"),
            yaml: format!("date_format: \"{f}\""),
        }),
        many => Some(Choice {
            evidence: format!(
                "QUESTION: the date columns are written in {} formats ({}); one source reads one format",
                many.len(),
                many.join(", ")
            ),
            yaml: "date_format: \"? one format for every date column\"".into(),
        }),
    }
}

fn skip_totals_choice(totals: &[usize]) -> Option<Choice> {
    (!totals.is_empty()).then(|| Choice {
        evidence: format!(
            "row {} starts with a total: left out of the data (skip_totals is on unless set to false)",
            totals
                .iter()
                .map(|t| (t + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        yaml: "skip_totals: true".into(),
    })
}

/// Column names made unique by a suffix (`importo`, `importo_2`).
fn unique_names(columns: &[Column]) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    columns
        .iter()
        .map(|c| {
            let mut n = c.name.clone();
            let mut k = 2;
            while used.contains(&n) {
                n = format!("{}_{k}", c.name);
                k += 1;
            }
            used.push(n.clone());
            n
        })
        .collect()
}

/// What a draft decided, to be written as a pipeline file.
struct Drafted<'a> {
    shown: &'a str,
    path: &'a Path,
    format: &'a str,
    data_rows: usize,
    table: &'a str,
    source: &'a str,
    columns: &'a [Column],
    options: &'a [Choice],
}

impl Drafted<'_> {
    /// The pipeline file: the table and its source, each choice with its evidence above it.
    fn pipeline_yaml(&self) -> String {
        let names_of = unique_names(self.columns);
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "# yaml-language-server: $schema=../.schema/pipeline.schema.json"
        );
        let _ = writeln!(
            w,
            "# Drafted by osservatorio draft from {} ({} data rows). Each choice has its evidence above it;\n# answer every QUESTION (check refuses the file until then) and check the column names and types.",
            self.shown, self.data_rows
        );
        let _ = writeln!(w, "name: {}", scalar(self.source));
        let _ = writeln!(w, "tables:\n  {}:\n    columns:", scalar(self.table));
        for (c, n) in self.columns.iter().zip(&names_of) {
            let _ = writeln!(w, "      # {}: {}", c.header, c.evidence);
            let _ = writeln!(w, "      {n}: {}", c.ty);
        }
        let _ = writeln!(w, "sources:");
        let _ = writeln!(w, "  - name: {}", scalar(self.source));
        let _ = writeln!(w, "    table: {}", scalar(self.table));
        let _ = writeln!(w, "    url: {}", scalar(&self.path.to_string_lossy()));
        let _ = writeln!(w, "    format: {}", self.format);
        let _ = writeln!(w, "    options:");
        for ch in self.options {
            let _ = writeln!(w, "      # {}", ch.evidence);
            let _ = writeln!(w, "      {}", ch.yaml);
        }
        let _ = writeln!(w, "    columns:");
        for (c, n) in self.columns.iter().zip(&names_of) {
            let _ = writeln!(w, "      {}", column_mapping(c, n));
        }
        out
    }
}

/// A column's line under the source's `columns`: its header, with `pad` when its codes lost
/// their leading zeros (a question when their width is unknown).
fn column_mapping(c: &Column, name: &str) -> String {
    if c.pad_question {
        return format!(
            "{name}: {{ header: {}, pad: \"? the code's width in digits\" }}",
            scalar(&c.header)
        );
    }
    match c.pad {
        Some(p) => format!("{name}: {{ header: {}, pad: {p} }}", scalar(&c.header)),
        None => format!("{name}: {}", scalar(&c.header)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_that_does_not_open_names_the_file_and_keeps_the_reader_error() {
        use std::error::Error;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("export.xlsx");
        std::fs::write(&path, "not a zip").expect("write");
        let e = draft(&path, &Names::default()).expect_err("refused");
        let fault = e.source().expect("the workbook fault");
        assert!(
            fault.source().is_some_and(|c| c.is::<calamine::Error>()),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            format!("cannot read the workbook {}: {fault}", path.display())
        );
    }

    #[test]
    fn separators_that_decide_the_decimal_convention() {
        assert_eq!(decimal_evidence("12,5"), Some(Decimal::Comma));
        assert_eq!(decimal_evidence("1.234,56"), Some(Decimal::Comma));
        assert_eq!(decimal_evidence("1,234.56"), Some(Decimal::Point));
        assert_eq!(decimal_evidence("0.5"), Some(Decimal::Point));
        assert_eq!(decimal_evidence("1.234"), None);
        assert_eq!(decimal_evidence("12.345"), None);
        assert_eq!(decimal_evidence("1,234"), None);
        assert_eq!(decimal_evidence("1234,567"), Some(Decimal::Comma));
    }

    #[test]
    fn headers_that_name_a_code() {
        assert!(names_a_code("Codice ISTAT comune"));
        assert!(names_a_code("Cod. Comune"));
        assert!(names_a_code("CAP"));
        assert!(!names_a_code("Ospiti presenti"));
        assert!(!names_a_code("Capienza"));
    }

    #[test]
    fn identifiers_from_headers() {
        assert_eq!(identifier("N. presenti"), "n_presenti");
        assert_eq!(identifier("Nazionalità"), "nazionalita");
        assert_eq!(identifier("2024"), "c_2024");
        assert_eq!(identifier("  "), "colonna");
    }
}
