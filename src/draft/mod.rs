//! `osservatorio draft EXPORT`: a first table and source block for a CSV export or a workbook, each choice with
//! the evidence for it as a YAML comment, and every ambiguity written as a question that `check`
//! refuses until it is answered.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

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
    #[error("cannot read the workbook {path}: {message}")]
    Workbook {
        /// The export.
        path: String,
        /// Why.
        message: String,
    },
    /// Nothing to draft from.
    #[error("{0} has no row with more than one field: it is empty or not a delimited text")]
    NoTable(String),
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

/// The name an identifier gets from free text: `N. presenti` → `n_presenti`, `Città` → `citta`.
fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    match out.chars().next() {
        None => "colonna".to_string(),
        Some(c) if c.is_ascii_digit() => format!("c_{out}"),
        Some(_) => out,
    }
}

/// A YAML scalar, quoted when plain would not do.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '(' | ')' | '/'))
        && !s.starts_with(|c: char| c == '-' || c == ' ' || c.is_ascii_digit())
        && !s.ends_with(' ')
        && !matches!(
            s.to_lowercase().as_str(),
            "yes" | "no" | "true" | "false" | "null" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

/// The export's text and how its bytes were read.
fn decode(bytes: &[u8]) -> (String, Choice) {
    let (bytes, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, " after a byte-order mark"),
        None => (bytes, ""),
    };
    match std::str::from_utf8(bytes) {
        Ok(t) => (
            t.to_string(),
            Choice {
                evidence: format!("every byte is valid UTF-8{bom}"),
                yaml: "encoding: utf-8".into(),
            },
        ),
        Err(e) => {
            let at = e.valid_up_to();
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            let shown: String = text
                .get(at.saturating_sub(12)..)
                .unwrap_or("")
                .chars()
                .take(24)
                .collect();
            (
                text.into_owned(),
                Choice {
                    evidence: format!(
                        "not UTF-8 (byte 0x{:02X} at offset {at}); a single-byte encoding, read as windows-1252 it gives \"{}\" (check the accents)",
                        bytes.get(at).copied().unwrap_or(0),
                        shown.replace(['\n', '\r'], " ")
                    ),
                    yaml: "encoding: windows-1252".into(),
                },
            )
        }
    }
}

fn records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(|f| f.trim().to_string()).collect())
        .collect()
}

/// The delimiter that splits most rows into the same number of fields (more than one).
fn delimiter(text: &str) -> Option<(u8, usize, Choice)> {
    let mut best: Option<(u8, usize, usize, usize)> = None;
    let mut seen = Vec::new();
    for d in [b';', b',', b'\t', b'|'] {
        let rows = records(text, d);
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for r in &rows {
            *counts.entry(r.len()).or_default() += 1;
        }
        let Some((&fields, &n)) = counts
            .iter()
            .filter(|(f, _)| **f > 1)
            .max_by_key(|(f, n)| (**n, **f))
        else {
            continue;
        };
        seen.push(format!("{} gives {fields} fields in {n}", show_delim(d)));
        if best.is_none_or(|b| (n, fields) > (b.2, b.1)) {
            best = Some((d, fields, n, rows.len()));
        }
    }
    let (d, fields, n, total) = best?;
    let others = if seen.len() > 1 {
        format!(" ({})", seen.join(", "))
    } else {
        String::new()
    };
    let yaml = match d {
        b'\t' => "delimiter: \"\\t\"".to_string(),
        _ => format!("delimiter: \"{}\"", d as char),
    };
    Some((
        d,
        fields,
        Choice {
            evidence: format!(
                "{} splits {n} of {total} rows into {fields} fields{others}",
                show_delim(d)
            ),
            yaml,
        },
    ))
}

fn show_delim(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => format!("'{}'", d as char),
    }
}

/// The kinds a column's values point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decimal {
    Comma,
    Point,
}

/// What a number's separators say about the decimal convention: Some when they decide it.
fn decimal_evidence(v: &str) -> Option<Decimal> {
    let v = v.trim_start_matches(['-', '+']);
    match (v.rfind(','), v.rfind('.')) {
        (Some(c), Some(p)) => Some(if c > p {
            Decimal::Comma
        } else {
            Decimal::Point
        }),
        (Some(_), None) => one_separator(v, ',', Decimal::Comma, Decimal::Point),
        (None, Some(_)) => one_separator(v, '.', Decimal::Point, Decimal::Comma),
        (None, None) => None,
    }
}

/// A number with one kind of separator: it groups thousands when it appears twice, is a decimal
/// separator when it is not followed by exactly three digits (or follows more than three, or a
/// leading 0), and could be either otherwise (`1.234`).
fn one_separator(
    v: &str,
    sep: char,
    as_decimal: Decimal,
    as_thousands: Decimal,
) -> Option<Decimal> {
    let parts: Vec<&str> = v.split(sep).collect();
    match parts.as_slice() {
        [int, frac] if frac.len() != 3 || int.len() > 3 || int.starts_with('0') => Some(as_decimal),
        [_, _] => None,
        _ => Some(as_thousands),
    }
}

fn is_number(v: &str) -> bool {
    let v = v.trim_start_matches(['-', '+']);
    !v.is_empty()
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

const DATE_FORMATS: [&str; 5] = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"];
const YES_NO: [&str; 13] = [
    "sì", "si", "no", "s", "n", "true", "false", "vero", "falso", "x", "yes", "y", "0",
];

/// One column's verdict.
struct Column {
    header: String,
    name: String,
    ty: &'static str,
    pad: Option<usize>,
    evidence: String,
    date_format: Option<&'static str>,
    decimal: Option<Decimal>,
    /// A number column whose values all read both ways.
    ambiguous: Option<String>,
    /// A code stored as numbers: its width is a question (`pad: "? ..."`).
    pad_question: bool,
}

/// Whether a header names a code (`Codice ISTAT comune`, `Cod. Comune`, `CAP`), whose digits are
/// not a quantity.
fn names_a_code(header: &str) -> bool {
    identifier(header)
        .split('_')
        .any(|w| matches!(w, "cod" | "codice" | "code" | "istat" | "cap"))
}

fn examples(values: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.contains(v) {
            seen.push(v);
        }
        if seen.len() == 3 {
            break;
        }
    }
    seen.join(", ")
}

/// Rows of cells as text.
type Grid = Vec<Vec<String>>;

/// How a workbook stored a cell; every cell of a CSV is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Text,
    Number,
    Date,
}

fn column(header: &str, values: &[&str], stored: &[Stored]) -> Column {
    let mut c = Column {
        header: header.to_string(),
        name: identifier(header),
        ty: "string",
        pad: None,
        evidence: String::new(),
        date_format: None,
        decimal: None,
        ambiguous: None,
        pad_question: false,
    };
    let n = values.len();
    if n == 0 {
        c.evidence = "no value in any row: a text column until the export says more".into();
        return c;
    }
    let ex = examples(values);
    if stored.iter().all(|k| *k == Stored::Date) {
        c.ty = "date";
        c.evidence = format!("all {n} cells are stored as dates in the workbook ({ex})");
        return c;
    }
    if stored.iter().all(|k| *k == Stored::Number) {
        if names_a_code(header) && values.iter().all(|v| v.chars().all(|d| d.is_ascii_digit())) {
            // A spreadsheet keeps a code typed as a number without its leading zeros (028060 is
            // stored as 28060), and the values cannot say how many there were.
            c.pad_question = true;
            c.evidence = format!(
                "QUESTION: all {n} cells are stored as numbers ({ex}) but the header names a code, kept as text; a spreadsheet drops a code's leading zeros: how many digits has the code (ISTAT: 6 a municipality, 3 a province, 2 a region)? write pad: 6 (or the width); check refuses the source until this is answered"
            );
            return c;
        }
        let whole = values.iter().all(|v| !v.contains('.'));
        c.ty = if whole { "int" } else { "float" };
        c.evidence = format!(
            "all {n} cells are stored as numbers in the workbook, {} ({ex})",
            if whole {
                "all whole"
            } else {
                "some with decimals"
            }
        );
        return c;
    }
    let lower: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
    let mut distinct = lower.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() <= 2
        && lower
            .iter()
            .all(|v| YES_NO.contains(&v.as_str()) || v == "1")
        && !lower.iter().all(|v| v == "0" || v == "1")
    {
        c.ty = "bool";
        c.evidence = format!("only {} in {n} values: yes/no", distinct.join(" and "));
        return c;
    }
    let dates: Vec<&'static str> = DATE_FORMATS
        .into_iter()
        .filter(|f| {
            values
                .iter()
                .all(|v| chrono::NaiveDate::parse_from_str(v, f).is_ok())
        })
        .collect();
    if let Some(&f) = dates.first() {
        c.ty = "date";
        c.date_format = Some(f);
        c.evidence = format!("all {n} values are dates written {f} ({ex})");
        if dates.contains(&"%m/%d/%Y") && f == "%d/%m/%Y" {
            c.evidence.push_str("; day and month are both 12 or less in every value, read day first as Italian exports write them");
        }
        return c;
    }
    if values.iter().all(|v| {
        v.trim_start_matches('-')
            .chars()
            .all(|ch| ch.is_ascii_digit())
            && !v.trim_start_matches('-').is_empty()
    }) {
        let zeros = values
            .iter()
            .filter(|v| v.len() > 1 && v.starts_with('0'))
            .count();
        if zeros > 0 {
            let width = values.iter().map(|v| v.len()).max().unwrap_or(0);
            c.pad = values.iter().all(|v| v.len() == width).then_some(width);
            c.evidence = format!(
                "{zeros} of {n} values start with 0 ({ex}): a code, kept as text{}",
                if c.pad.is_some() {
                    format!(
                        ", all {width} digits long, so pad: {width} restores zeros a spreadsheet drops"
                    )
                } else {
                    String::new()
                }
            );
            return c;
        }
        c.ty = "int";
        c.evidence = format!("all {n} values are whole numbers ({ex})");
        return c;
    }
    if values.iter().all(|v| is_number(v)) {
        let votes: Vec<Decimal> = values.iter().filter_map(|v| decimal_evidence(v)).collect();
        let comma = votes.iter().filter(|d| **d == Decimal::Comma).count();
        let point = votes.len() - comma;
        c.ty = "float";
        if comma > 0 && point == 0 {
            c.decimal = Some(Decimal::Comma);
            c.evidence = format!(
                "numbers with a decimal comma: {comma} of {n} values read only that way ({ex})"
            );
        } else if point > 0 && comma == 0 {
            c.decimal = Some(Decimal::Point);
            c.evidence = format!(
                "numbers with a decimal point: {point} of {n} values read only that way ({ex})"
            );
        } else if comma > 0 {
            c.evidence = format!(
                "numbers, {comma} values read with a decimal comma and {point} with a decimal point ({ex})"
            );
            c.ambiguous = Some(c.evidence.clone());
        } else {
            c.evidence = format!(
                "numbers such as {ex}: every value reads both as a whole number with a thousands separator and as a decimal"
            );
            c.ambiguous = Some(format!("'{}' holds only values such as {ex}", c.header));
        }
        return c;
    }
    c.evidence = format!("text ({ex})");
    c
}

/// The rows of a workbook's first sheet as text, how each cell was stored, and the `sheet` choice.
fn workbook(path: &Path) -> Result<(Grid, Vec<Vec<Stored>>, Choice), String> {
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| e.to_string())?;
    let names = wb.sheet_names();
    let first = names.first().cloned().ok_or("the workbook has no sheet")?;
    let range = wb.worksheet_range(&first).map_err(|e| e.to_string())?;
    // Rows above the used range are empty: kept, so that header_row counts the sheet's rows.
    let above = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = vec![Vec::new(); above];
    let mut stored = vec![Vec::new(); above];
    for r in range.rows() {
        let mut texts = Vec::with_capacity(r.len());
        let mut kinds = Vec::with_capacity(r.len());
        for cell in r {
            let (t, k) = match cell {
                Data::Empty => (String::new(), Stored::Text),
                Data::String(s) => (s.trim().to_string(), Stored::Text),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                    (format!("{}", *f as i64), Stored::Number)
                }
                Data::Float(f) => (f.to_string(), Stored::Number),
                Data::Int(i) => (i.to_string(), Stored::Number),
                Data::Bool(b) => (b.to_string(), Stored::Text),
                Data::DateTime(d) => match d.as_datetime() {
                    Some(dt) => (dt.date().to_string(), Stored::Date),
                    None => (d.as_f64().to_string(), Stored::Number),
                },
                Data::DateTimeIso(s) => (s.clone(), Stored::Date),
                Data::DurationIso(s) => (s.clone(), Stored::Text),
                Data::Error(e) => (format!("{e:?}"), Stored::Text),
            };
            texts.push(t);
            kinds.push(k);
        }
        // A row ends at its last filled cell.
        let width = texts
            .iter()
            .rposition(|t| !t.is_empty())
            .map_or(0, |i| i + 1);
        texts.truncate(width);
        kinds.truncate(width);
        rows.push(texts);
        stored.push(kinds);
    }
    let others = if names.len() > 1 {
        format!(
            "; the workbook also has {}: draft each one by saving it first, or copy this source and change sheet",
            names[1..].join(", ")
        )
    } else {
        String::new()
    };
    let choice = Choice {
        evidence: format!("the first sheet of the workbook{others}"),
        yaml: format!("sheet: {}", scalar(&first)),
    };
    Ok((rows, stored, choice))
}

/// The number of filled fields most rows have (more than one).
fn widest_common(rows: &[Vec<String>]) -> Option<usize> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.len()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(f, _)| *f > 1)
        .max_by_key(|(f, n)| (*n, *f))
        .map(|(f, _)| f)
}

/// The first row with the table's width and only non-empty fields: the header.
fn header_row(rows: &[Vec<String>], fields: usize) -> Option<usize> {
    rows.iter()
        .position(|r| r.len() == fields && r.iter().all(|f| !f.is_empty()))
}

fn is_total(row: &[String]) -> bool {
    row.iter()
        .find(|f| !f.is_empty())
        .is_some_and(|f| f.to_lowercase().starts_with("total"))
}

fn stem(path: &Path) -> String {
    identifier(
        &path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
    .replace('_', "-")
}

/// Drafts the table and source blocks of a pipeline file for the export at `path` (shown as
/// `url`, as given: relative to where the command runs, like a project's paths to its own folder).
pub fn draft(path: &Path, names: &Names) -> Result<String, DraftError> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let read = |source| DraftError::Io {
        path: shown.clone(),
        source,
    };
    let (format, rows, stored, fields, mut options) = match ext.as_str() {
        "csv" | "txt" | "tsv" | "" => {
            let bytes = std::fs::read(path).map_err(read)?;
            let (text, encoding) = decode(&bytes);
            let (delim, fields, delimiter) =
                delimiter(&text).ok_or_else(|| DraftError::NoTable(shown.clone()))?;
            let rows = records(&text, delim);
            let stored = rows.iter().map(|r| vec![Stored::Text; r.len()]).collect();
            ("csv", rows, stored, fields, vec![encoding, delimiter])
        }
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let (rows, stored, sheet) = workbook(path).map_err(|e| DraftError::Workbook {
                path: shown.clone(),
                message: e,
            })?;
            let fields = widest_common(&rows).ok_or_else(|| DraftError::NoTable(shown.clone()))?;
            let format = if ext == "ods" { "ods" } else { "xlsx" };
            (format, rows, stored, fields, vec![sheet])
        }
        _ => return Err(DraftError::Unsupported(shown)),
    };
    let h = header_row(&rows, fields).ok_or_else(|| DraftError::NoTable(shown.clone()))?;
    let header_choice = Choice {
        evidence: if h == 0 {
            format!("row 1 is the first with {fields} named fields")
        } else {
            format!(
                "rows 1-{h} hold fewer fields or empty ones (a title above the table); row {} is the first with {fields} named fields",
                h + 1
            )
        },
        yaml: format!("header_row: {}", h + 1),
    };
    let headers = &rows[h];
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
    let columns: Vec<Column> = headers
        .iter()
        .enumerate()
        .map(|(i, hd)| {
            let values: Vec<&str> = data
                .iter()
                .filter_map(|r| r.get(i).map(String::as_str))
                .filter(|v| !v.is_empty())
                .collect();
            let kinds: Vec<Stored> = data_stored
                .iter()
                .zip(&data)
                .filter_map(|(k, r)| match r.get(i) {
                    Some(v) if !v.is_empty() => k.get(i).copied(),
                    _ => None,
                })
                .collect();
            column(hd, &values, &kinds)
        })
        .collect();

    // One decimal convention and one date format for the whole export.
    let decided: Vec<Decimal> = columns.iter().filter_map(|c| c.decimal).collect();
    let ambiguous: Vec<&str> = columns
        .iter()
        .filter_map(|c| c.ambiguous.as_deref())
        .collect();
    let decimal = if decided.contains(&Decimal::Comma) && decided.contains(&Decimal::Point) {
        Some(Choice {
            evidence:
                "QUESTION: some columns read with a decimal comma and others with a decimal point"
                    .into(),
            yaml: "decimal: \"? comma or point: write , or .\"".into(),
        })
    } else if let Some(&d) = decided.first() {
        let (sym, word) = match d {
            Decimal::Comma => (",", "comma"),
            Decimal::Point => (".", "point"),
        };
        let by: Vec<&str> = columns
            .iter()
            .filter(|c| c.decimal == Some(d))
            .map(|c| c.header.as_str())
            .collect();
        Some(Choice {
            evidence: format!(
                "a decimal {word}: the values of {} read only that way",
                by.join(", ")
            ),
            yaml: format!("decimal: \"{sym}\""),
        })
    } else if !ambiguous.is_empty() {
        Some(Choice {
            evidence: format!(
                "QUESTION: {}; is 1.234 one thousand two hundred and thirty-four (then write decimal: \",\") or one point two three four (decimal: \".\")? check refuses the source until this is answered",
                ambiguous.join("; ")
            ),
            yaml: "decimal: \"? is 1.234 a thousand or one point two: write , or .\"".into(),
        })
    } else {
        None
    };
    let mut formats: Vec<&str> = columns.iter().filter_map(|c| c.date_format).collect();
    formats.sort();
    formats.dedup();
    let date_format = match formats.as_slice() {
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
    };
    let skip_totals = (!totals.is_empty()).then(|| Choice {
        evidence: format!(
            "row {} starts with a total: left out of the data (skip_totals is on unless set to false)",
            totals
                .iter()
                .map(|t| (t + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        yaml: "skip_totals: true".into(),
    });

    let table = names
        .table
        .clone()
        .unwrap_or_else(|| stem(path).replace('-', "_"));
    let source = names.source.clone().unwrap_or_else(|| stem(path));
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# yaml-language-server: $schema=../.schema/pipeline.schema.json"
    );
    let _ = writeln!(
        w,
        "# Drafted by osservatorio draft from {shown} ({} data rows). Each choice has its evidence above it;\n# answer every QUESTION (check refuses the file until then) and check the column names and types.",
        data.len()
    );
    let _ = writeln!(w, "name: {}", scalar(&source));
    let _ = writeln!(w, "tables:\n  {}:\n    columns:", scalar(&table));
    let mut used: Vec<String> = Vec::new();
    let names_of: Vec<String> = columns
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
        .collect();
    for (c, n) in columns.iter().zip(&names_of) {
        let _ = writeln!(w, "      # {}: {}", c.header, c.evidence);
        let _ = writeln!(w, "      {n}: {}", c.ty);
    }
    let _ = writeln!(w, "sources:");
    let _ = writeln!(w, "  - name: {}", scalar(&source));
    let _ = writeln!(w, "    table: {}", scalar(&table));
    let _ = writeln!(w, "    url: {}", scalar(&path.to_string_lossy()));
    let _ = writeln!(w, "    format: {format}");
    let _ = writeln!(w, "    options:");
    options.push(header_choice);
    options.extend([decimal, date_format, skip_totals].into_iter().flatten());
    for ch in options {
        let _ = writeln!(w, "      # {}", ch.evidence);
        let _ = writeln!(w, "      {}", ch.yaml);
    }
    let _ = writeln!(w, "    columns:");
    for (c, n) in columns.iter().zip(&names_of) {
        if c.pad_question {
            let _ = writeln!(
                w,
                "      {n}: {{ header: {}, pad: \"? the code's width in digits\" }}",
                scalar(&c.header)
            );
            continue;
        }
        match c.pad {
            Some(p) => {
                let _ = writeln!(
                    w,
                    "      {n}: {{ header: {}, pad: {p} }}",
                    scalar(&c.header)
                );
            }
            None => {
                let _ = writeln!(w, "      {n}: {}", scalar(&c.header));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
