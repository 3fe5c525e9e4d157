//! Cells as the readers find them, and their conversion to the canonical column types.

mod number;

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::{ColumnType, TextFormat};
pub use crate::warehouse::problem::Reason;
use crate::warehouse::problem::{Found, Wanted};
use number::number_or_fix;

/// A cell as read from an export, before it meets its canonical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An empty cell.
    Empty,
    /// Text, as written.
    Text(String),
    /// A whole number typed by the file format.
    Int(i64),
    /// A decimal number typed by the file format.
    Float(f64),
    /// A boolean typed by the file format.
    Bool(bool),
    /// A date typed by the file format.
    Date(NaiveDate),
    /// A date and time typed by the file format.
    DateTime(NaiveDateTime),
}

impl Cell {
    /// The cell as the export shows it, for rejection reports.
    pub fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::DateTime(t) => t.to_string(),
        }
    }
}

/// A cell converted to its canonical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// A string column's value.
    Str(String),
    /// An int column's value.
    Int(i64),
    /// A float column's value.
    Float(f64),
    /// A bool column's value.
    Bool(bool),
    /// A date column's value.
    Date(NaiveDate),
    /// A timestamp column's value.
    Timestamp(NaiveDateTime),
}

/// Converts a cell, or says in a few words why it does not fit.
pub fn convert(cell: &Cell, ty: ColumnType, fmt: &TextFormat) -> Result<Value, Reason> {
    if let Cell::Text(s) = cell {
        return convert_str(s, ty, fmt);
    }
    match (ty, cell) {
        // A checkbox column: an empty cell means "no", the way offices mark attendance with an x.
        (ColumnType::Bool, Cell::Empty) => Ok(Value::Bool(false)),
        (_, Cell::Empty) => Ok(Value::Null),
        (ColumnType::String, c) => Ok(Value::Str(match c {
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            other => other.shown(),
        })),
        (ColumnType::Int, Cell::Int(i)) => Ok(Value::Int(*i)),
        (ColumnType::Int, Cell::Float(f)) if f.fract() == 0.0 && f.abs() < 9e15 => {
            Ok(Value::Int(*f as i64))
        }
        (ColumnType::Int, Cell::Float(_)) => Err(Reason::NotWhole),
        (ColumnType::Int, Cell::Bool(b)) => Ok(Value::Int(i64::from(*b))),
        (ColumnType::Float, Cell::Int(i)) => Ok(Value::Float(*i as f64)),
        (ColumnType::Float, Cell::Float(f)) if f.is_finite() => Ok(Value::Float(*f)),
        (ColumnType::Bool, Cell::Bool(b)) => Ok(Value::Bool(*b)),
        (ColumnType::Bool, Cell::Int(i @ (0 | 1))) => Ok(Value::Bool(*i == 1)),
        // Spreadsheets store every number as a float: a 0/1 flag reads as the text 0/1 does.
        (ColumnType::Bool, Cell::Float(f)) if *f == 0.0 || *f == 1.0 => Ok(Value::Bool(*f == 1.0)),
        (ColumnType::Date, Cell::Date(d)) => Ok(Value::Date(*d)),
        (ColumnType::Date, Cell::DateTime(t)) => Ok(Value::Date(t.date())),
        (ColumnType::Timestamp, Cell::DateTime(t)) => Ok(Value::Timestamp(*t)),
        (ColumnType::Timestamp, Cell::Date(d)) => {
            Ok(Value::Timestamp(d.and_time(chrono::NaiveTime::MIN)))
        }
        (ty, c) => Err(Reason::Mismatch {
            found: cell_kind(c),
            wanted: type_name(ty),
        }),
    }
}

/// Left-pads a code of digits with zeros to `width` (`24116` → `024116`), as ISTAT codes are meant
/// to be read once a spreadsheet has stored them as numbers. A code that is not all digits, or is
/// already longer than `width`, is refused: padding it would invent a different code.
pub fn pad_code(value: Value, width: usize) -> Result<Value, Reason> {
    match value {
        Value::Str(s) => {
            if !s.chars().all(|c| c.is_ascii_digit()) {
                return Err(Reason::PadNotDigits { width });
            }
            if s.len() > width {
                return Err(Reason::PadTooLong { width });
            }
            Ok(Value::Str(format!("{s:0>width$}")))
        }
        other => Ok(other),
    }
}

fn cell_kind(c: &Cell) -> Found {
    match c {
        Cell::Empty => Found::Empty,
        Cell::Text(_) => Found::Text,
        Cell::Int(_) | Cell::Float(_) => Found::Number,
        Cell::Bool(_) => Found::Bool,
        Cell::Date(_) => Found::Date,
        Cell::DateTime(_) => Found::DateTime,
    }
}

fn type_name(ty: ColumnType) -> Wanted {
    match ty {
        ColumnType::String => Wanted::Text,
        ColumnType::Int => Wanted::Whole,
        ColumnType::Float => Wanted::Number,
        ColumnType::Bool => Wanted::YesNo,
        ColumnType::Date => Wanted::Date,
        ColumnType::Timestamp => Wanted::DateTime,
    }
}

/// Converts a text cell (as `convert` does a `Cell::Text`), without copying it first.
pub fn convert_str(s: &str, ty: ColumnType, fmt: &TextFormat) -> Result<Value, Reason> {
    let t = trimmed(s);
    if t.is_empty() {
        return convert(&Cell::Empty, ty, fmt);
    }
    convert_text(t, ty, fmt)
}

/// The text without surrounding white space, as `str::trim` gives it. Most cells start and end
/// with a printable ASCII character, which is never white space: they are settled by two bytes.
pub(crate) fn trimmed(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if is_printable_ascii(*first) && is_printable_ascii(*last) => s,
        [only] if is_printable_ascii(*only) => s,
        _ => s.trim(),
    }
}

pub(crate) fn is_printable_ascii(b: u8) -> bool {
    (0x21..0x7F).contains(&b)
}

fn convert_text(t: &str, ty: ColumnType, fmt: &TextFormat) -> Result<Value, Reason> {
    match ty {
        ColumnType::String => Ok(Value::Str(t.to_string())),
        ColumnType::Int => number_or_fix(t, fmt.decimal)?.to_i64().map(Value::Int),
        ColumnType::Float => number_or_fix(t, fmt.decimal)?
            .to_f64()
            .map(Value::Float)
            .ok_or(Reason::NotFinite),
        ColumnType::Bool => parse_bool(t).map(Value::Bool).ok_or(Reason::NotYesNo),
        ColumnType::Date => parse_date(t, fmt)
            .map(Value::Date)
            .ok_or_else(|| date_reason(fmt)),
        ColumnType::Timestamp => parse_timestamp(t, fmt)
            .map(Value::Timestamp)
            .ok_or_else(|| date_reason(fmt)),
    }
}

fn date_reason(fmt: &TextFormat) -> Reason {
    Reason::NotDate {
        format: fmt.date_format.clone(),
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_lowercase().as_str() {
        "true" | "vero" | "sì" | "si" | "s" | "yes" | "y" | "1" | "x" => Some(true),
        "false" | "falso" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// A date written in the source's `date_format`, or in ISO form, or as a month (`2024-03`).
pub fn parse_date(t: &str, fmt: &TextFormat) -> Option<NaiveDate> {
    if let Some(f) = &fmt.date_format {
        if let Some(d) = parse_date_with(t, f) {
            return Some(d);
        }
        // Months are often written without the day ("03/2024" beside "15/03/2024"): the first of the month.
        if let Some(month_only) = without_day(f)
            && let Some(d) = parse_date_with(t, &month_only)
        {
            return Some(d);
        }
    }
    fixed_width_date(t, "%Y-%m-%d")
        .or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .or_else(|| parse_iso_datetime(t).map(|dt| dt.date()))
        .or_else(|| parse_date_with(t, "%Y-%m"))
}

/// The format with its day field and the separator after it removed: `%d/%m/%Y` → `%m/%Y`.
fn without_day(f: &str) -> Option<String> {
    let i = f.find("%d")?;
    let rest = &f[i + 2..];
    let rest = rest.strip_prefix(['/', '-', '.', ' ']).unwrap_or(rest);
    Some(format!("{}{rest}", &f[..i]))
}

fn parse_iso_datetime(t: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t.trim_end_matches('Z'), f).ok())
}

fn parse_timestamp(t: &str, fmt: &TextFormat) -> Option<NaiveDateTime> {
    if let Some(f) = &fmt.date_format {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt);
        }
        for time in [" %H:%M:%S", " %H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, &format!("{f}{time}")) {
                return Some(dt);
            }
        }
    }
    parse_iso_datetime(t).or_else(|| parse_date(t, fmt).map(|d| d.and_time(chrono::NaiveTime::MIN)))
}

use crate::values::dates::fixed_width_date;
pub use crate::values::dates::parse_date_with;

#[cfg(test)]
mod trimmed_tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn trimmed_is_str_trim(s in "[ \t\r\u{a0}\u{3000}a-z;.,\u{1f}\u{7f}é]{0,8}") {
            prop_assert_eq!(super::trimmed(&s), s.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it() -> TextFormat {
        TextFormat {
            decimal: ',',
            date_format: Some("%d/%m/%Y".into()),
        }
    }

    #[test]
    fn italian_numbers_and_dates() {
        assert_eq!(
            convert(&Cell::Text("1.234,56".into()), ColumnType::Float, &it()),
            Ok(Value::Float(1234.56))
        );
        assert_eq!(
            convert(&Cell::Text("€ 12,5".into()), ColumnType::Float, &it()),
            Ok(Value::Float(12.5))
        );
        assert_eq!(
            convert(&Cell::Text("1.200".into()), ColumnType::Int, &it()),
            Ok(Value::Int(1200))
        );
        assert!(convert(&Cell::Text("12,5".into()), ColumnType::Int, &it()).is_err());
        assert_eq!(
            convert(&Cell::Text("31/12/2024".into()), ColumnType::Date, &it()),
            Ok(Value::Date(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()))
        );
        assert_eq!(
            convert(&Cell::Text("2024-12-31".into()), ColumnType::Date, &it()),
            Ok(Value::Date(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()))
        );
        assert!(convert(&Cell::Text("31/02/2024".into()), ColumnType::Date, &it()).is_err());
        assert_eq!(
            convert(&Cell::Text("03/2024".into()), ColumnType::Date, &it()),
            Ok(Value::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()))
        );
    }

    #[test]
    fn codes_are_padded_only_when_they_are_digits_that_fit() {
        assert_eq!(
            pad_code(Value::Str("24116".into()), 6),
            Ok(Value::Str("024116".into()))
        );
        assert_eq!(
            pad_code(Value::Str("024116".into()), 6),
            Ok(Value::Str("024116".into()))
        );
        assert!(pad_code(Value::Str("1234567".into()), 6).is_err());
        assert!(pad_code(Value::Str("24A16".into()), 6).is_err());
        assert_eq!(pad_code(Value::Null, 6), Ok(Value::Null));
    }

    proptest::proptest! {
        #[test]
        fn fixed_width_dates_read_as_chrono_reads_them(
            s in "[0-9]{2}[/.-][0-9]{2}[/.-][0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9/ -]{10}",
            format in proptest::sample::select(vec!["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]),
        ) {
            let chrono = chrono::NaiveDate::parse_from_str(&s, format).ok();
            proptest::prop_assert_eq!(parse_date_with(&s, format), chrono);
            if let Some(fast) = fixed_width_date(&s, format) {
                proptest::prop_assert_eq!(Some(fast), chrono);
            }
        }

        #[test]
        fn any_text_gives_a_value_or_a_reason_never_a_panic(t in "\\PC{0,24}", comma in proptest::bool::ANY) {
            let f = TextFormat { decimal: if comma { ',' } else { '.' }, date_format: Some("%d/%m/%Y".into()) };
            for ty in [ColumnType::Int, ColumnType::Float, ColumnType::Bool, ColumnType::Date, ColumnType::Timestamp, ColumnType::String] {
                let _ = convert(&Cell::Text(t.clone()), ty, &f);
            }
        }
    }

    #[test]
    fn yes_no_values_and_empty_cells() {
        let f = it();
        for (s, b) in [
            ("Sì", true),
            ("si", true),
            ("S", true),
            ("x", true),
            ("1", true),
            ("No", false),
            ("n", false),
            ("0", false),
        ] {
            assert_eq!(
                convert(&Cell::Text(s.into()), ColumnType::Bool, &f),
                Ok(Value::Bool(b)),
                "{s}"
            );
        }
        assert_eq!(
            convert(&Cell::Text("  ".into()), ColumnType::Bool, &f),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            convert(&Cell::Text("".into()), ColumnType::Int, &f),
            Ok(Value::Null)
        );
        assert!(convert(&Cell::Text("forse".into()), ColumnType::Bool, &f).is_err());
    }

    #[test]
    fn spreadsheet_numbers_as_codes() {
        let f = it();
        assert_eq!(
            convert(&Cell::Float(24116.0), ColumnType::String, &f),
            Ok(Value::Str("24116".into()))
        );
        assert_eq!(
            convert(&Cell::Float(3.0), ColumnType::Int, &f),
            Ok(Value::Int(3))
        );
    }
}
