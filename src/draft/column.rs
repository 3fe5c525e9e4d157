//! One column of an export: its type, format and the questions its values leave open.

use super::*;

pub(super) const DATE_FORMATS: [&str; 5] =
    ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"];

pub(super) const YES_NO: [&str; 13] = [
    "sì", "si", "no", "s", "n", "true", "false", "vero", "falso", "x", "yes", "y", "0",
];

/// One column's verdict.
pub(super) struct Column {
    pub(super) header: String,
    pub(super) name: String,
    pub(super) ty: &'static str,
    pub(super) pad: Option<usize>,
    pub(super) evidence: String,
    pub(super) date_format: Option<&'static str>,
    pub(super) decimal: Option<Decimal>,
    /// A number column whose values all read both ways.
    pub(super) ambiguous: Option<String>,
    /// A code stored as numbers: its width is a question (`pad: "? ..."`).
    pub(super) pad_question: bool,
}

/// Whether a header names a code (`Codice ISTAT comune`, `Cod. Comune`, `CAP`), whose digits are
/// not a quantity.
pub(super) fn names_a_code(header: &str) -> bool {
    identifier(header)
        .split('_')
        .any(|w| matches!(w, "cod" | "codice" | "code" | "istat" | "cap"))
}

pub(super) fn examples(values: &[&str]) -> String {
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

/// How a workbook stored a cell; every cell of a CSV is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    Text,
    Number,
    Date,
}

pub(super) fn column(header: &str, values: &[&str], stored: &[Stored]) -> Column {
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
    // The first reading that holds for every value decides, the workbook's own types first.
    let decided = stored_dates(&mut c, stored, n, &ex)
        || stored_numbers(&mut c, header, values, stored, n, &ex)
        || yes_no(&mut c, values, n)
        || written_dates(&mut c, values, n, &ex)
        || whole_numbers(&mut c, values, n, &ex)
        || decimals(&mut c, values, n, &ex);
    if !decided {
        c.evidence = format!("text ({ex})");
    }
    c
}

/// Every cell stored as a date by the workbook: a date column.
fn stored_dates(c: &mut Column, stored: &[Stored], n: usize, ex: &str) -> bool {
    if stored.iter().all(|k| *k == Stored::Date) {
        c.ty = "date";
        c.evidence = format!("all {n} cells are stored as dates in the workbook ({ex})");
        return true;
    }
    false
}

/// Every cell stored as a number: an int or float column, or a code whose zeros a question must restore.
fn stored_numbers(
    c: &mut Column,
    header: &str,
    values: &[&str],
    stored: &[Stored],
    n: usize,
    ex: &str,
) -> bool {
    if stored.iter().all(|k| *k == Stored::Number) {
        if names_a_code(header) && values.iter().all(|v| v.chars().all(|d| d.is_ascii_digit())) {
            // A spreadsheet keeps a code typed as a number without its leading zeros (028060 is
            // stored as 28060), and the values cannot say how many there were.
            c.pad_question = true;
            c.evidence = format!(
                "QUESTION: all {n} cells are stored as numbers ({ex}) but the header names a code, kept as text; a spreadsheet drops a code's leading zeros: how many digits has the code (ISTAT: 6 a municipality, 3 a province, 2 a region)? write pad: 6 (or the width); check refuses the source until this is answered"
            );
            return true;
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
        return true;
    }
    false
}

/// Only yes/no words (and 1): a bool column.
fn yes_no(c: &mut Column, values: &[&str], n: usize) -> bool {
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
        return true;
    }
    false
}

/// Every value a date in one of the formats exports use: a date column with its format.
fn written_dates(c: &mut Column, values: &[&str], n: usize, ex: &str) -> bool {
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
        return true;
    }
    false
}

/// Every value all digits: a whole number, or a code when some start with 0.
fn whole_numbers(c: &mut Column, values: &[&str], n: usize, ex: &str) -> bool {
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
            return true;
        }
        c.ty = "int";
        c.evidence = format!("all {n} values are whole numbers ({ex})");
        return true;
    }
    false
}

/// Every value a number: a float column, with the decimal separator when the values say it.
fn decimals(c: &mut Column, values: &[&str], n: usize, ex: &str) -> bool {
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
        return true;
    }
    false
}
