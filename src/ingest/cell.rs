//! Cells as the readers find them, and their conversion to the canonical column types.

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::{ColumnType, TextFormat};
pub use crate::warehouse::problem::Reason;
use crate::warehouse::problem::{Found, Wanted};

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

fn is_printable_ascii(b: u8) -> bool {
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

/// A number as written in an export, split into its parts once its convention has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WrittenNumber {
    negative: bool,
    /// The whole part's digits, without any grouping separator.
    whole: String,
    /// The digits after the decimal separator (empty when there is none).
    fraction: String,
}

impl WrittenNumber {
    fn to_f64(&self) -> Option<f64> {
        let text = format!(
            "{}{}.{}",
            if self.negative { "-" } else { "" },
            if self.whole.is_empty() {
                "0"
            } else {
                &self.whole
            },
            if self.fraction.is_empty() {
                "0"
            } else {
                &self.fraction
            }
        );
        text.parse::<f64>().ok().filter(|f| f.is_finite())
    }

    /// The exact whole number, when the fraction is absent or all zeros.
    fn to_i64(&self) -> Result<i64, Reason> {
        if self.fraction.chars().any(|c| c != '0') {
            return Err(Reason::NotWhole);
        }
        let digits = if self.whole.is_empty() {
            "0"
        } else {
            &self.whole
        };
        let text = format!("{}{digits}", if self.negative { "-" } else { "" });
        text.parse::<i64>().map_err(|_| Reason::TooLarge)
    }
}

/// A number in the source's convention; when it is not one but is in the other convention, the
/// reason says so and names the setting (never reading it as that: the setting decides).
fn number_or_fix(t: &str, decimal: char) -> Result<WrittenNumber, Reason> {
    parse_written_number(t, decimal).map_err(|why| {
        let other = if decimal == ',' { '.' } else { ',' };
        match parse_written_number(t, other).ok().and_then(|n| n.to_f64()) {
            Some(read_as) => Reason::OtherDecimal { decimal, read_as },
            None => why,
        }
    })
}

/// Characters that may group thousands besides the convention's own: spaces of every kind.
fn is_space_like(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}'
}

/// Reads a number written in the source's convention, or says why it is not one.
///
/// The convention decides: with `decimal = ','` a `.` may only group thousands, and with
/// `decimal = '.'` a `,` may only; groups after the first have exactly three digits. A `€`
/// before or after the number, a trailing `%` and spaces around it are ignored. Anything else is
/// refused rather than read as another number.
fn parse_written_number(t: &str, decimal: char) -> Result<WrittenNumber, Reason> {
    let thousands = if decimal == ',' { '.' } else { ',' };
    let mut s = t.trim_matches(is_space_like);
    if let Some(rest) = s.strip_suffix('%') {
        s = rest.trim_matches(is_space_like);
    }
    let mut negative = false;
    let mut strip_sign = |s: &mut &str| {
        if let Some(rest) = s.strip_prefix('-') {
            negative = !negative;
            *s = rest.trim_start_matches(is_space_like);
            true
        } else if let Some(rest) = s.strip_prefix('+') {
            *s = rest.trim_start_matches(is_space_like);
            true
        } else {
            false
        }
    };
    let signed_before = strip_sign(&mut s);
    let mut currency = false;
    if let Some(rest) = s.strip_prefix('€') {
        s = rest.trim_start_matches(is_space_like);
        currency = true;
    } else if let Some(rest) = s.strip_suffix('€') {
        s = rest.trim_end_matches(is_space_like);
        currency = true;
    }
    // "€ -12,50" puts the sign after the currency sign.
    if currency && !signed_before {
        strip_sign(&mut s);
    }
    if s.is_empty() {
        return Err(Reason::NotNumber);
    }
    let (whole_part, fraction) = match s.split_once(decimal) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if let Some(f) = fraction
        && (f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(Reason::Grouping { decimal });
    }
    // Grouping: one separator kind per number, the convention's own or a space.
    let separator = whole_part
        .chars()
        .find(|c| *c == thousands || is_space_like(*c));
    let groups: Vec<&str> = match separator {
        Some(sep) => whole_part.split(sep).collect(),
        None => vec![whole_part],
    };
    let well_grouped = groups.iter().enumerate().all(|(i, g)| {
        g.chars().all(|c| c.is_ascii_digit())
            && match (i, groups.len()) {
                (_, 1) => !g.is_empty() || fraction.is_some(),
                (0, _) => (1..=3).contains(&g.len()),
                _ => g.len() == 3,
            }
    });
    if !well_grouped {
        return Err(Reason::Grouping { decimal });
    }
    Ok(WrittenNumber {
        negative,
        whole: groups.concat(),
        fraction: fraction.unwrap_or_default().to_string(),
    })
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

    fn dot() -> TextFormat {
        TextFormat {
            decimal: '.',
            date_format: None,
        }
    }

    fn float(t: &str, f: &TextFormat) -> Result<Value, String> {
        convert(&Cell::Text(t.into()), ColumnType::Float, f).map_err(|r| r.to_string())
    }

    fn int(t: &str, f: &TextFormat) -> Result<Value, String> {
        convert(&Cell::Text(t.into()), ColumnType::Int, f).map_err(|r| r.to_string())
    }

    #[test]
    fn dot_decimals_take_comma_thousands() {
        let f = dot();
        assert_eq!(float("1,234.5", &f), Ok(Value::Float(1234.5)));
        assert_eq!(float("1,234,567.8", &f), Ok(Value::Float(1234567.8)));
        assert_eq!(float("12.5", &f), Ok(Value::Float(12.5)));
        assert_eq!(float(".5", &f), Ok(Value::Float(0.5)));
        assert_eq!(int("1,234", &f), Ok(Value::Int(1234)));
        assert!(int("12.5", &f).is_err());
    }

    #[test]
    fn a_number_in_the_other_convention_is_rejected_not_misread() {
        // The exports that once stored 4007652 and 125 for a dot source.
        for t in [
            "40076,52", "12,5", "1,5", "1,23", "1,2345", ",5", "1,234,56",
        ] {
            assert!(float(t, &dot()).is_err(), "{t} in a '.' source");
            assert!(int(t, &dot()).is_err(), "{t} in a '.' source");
        }
        // And 125 and 15 for a comma source.
        for t in [
            "12.5", "1.5", "40076.52", "1.23", "1.2345", ".5", "1.234.56",
        ] {
            assert!(float(t, &it()).is_err(), "{t} in a ',' source");
            assert!(int(t, &it()).is_err(), "{t} in a ',' source");
        }
        // The reason names the setting that would read it, without reading it so.
        let reason = float("40076,52", &dot()).unwrap_err();
        assert!(
            reason.contains("it is 40076.52 with decimal \",\""),
            "{reason}"
        );
        assert!(reason.contains("set decimal: \",\""), "{reason}");
        let reason = float("1,2,3", &dot()).unwrap_err();
        assert!(reason.contains("1,234.5"), "{reason}");
    }

    #[test]
    fn currency_percent_and_spaces_are_ignored() {
        let f = it();
        assert_eq!(float("15 %", &f), Ok(Value::Float(15.0)));
        assert_eq!(float("15%", &f), Ok(Value::Float(15.0)));
        assert_eq!(float("12,5 €", &f), Ok(Value::Float(12.5)));
        assert_eq!(float("€\u{a0}1.234,50", &f), Ok(Value::Float(1234.5)));
        assert_eq!(float("- 3,5", &f), Ok(Value::Float(-3.5)));
        assert_eq!(float("€ -3,5", &f), Ok(Value::Float(-3.5)));
        assert_eq!(float("-€ 3,5", &f), Ok(Value::Float(-3.5)));
        assert_eq!(float("1\u{202f}234,5", &f), Ok(Value::Float(1234.5)));
        assert_eq!(float("1 234,5", &f), Ok(Value::Float(1234.5)));
        assert_eq!(int("\u{a0}42\u{a0}", &f), Ok(Value::Int(42)));
        assert_eq!(float("1 234.5", &dot()), Ok(Value::Float(1234.5)));
    }

    #[test]
    fn anything_else_is_rejected() {
        let f = it();
        for t in [
            "12,5,3",
            "1.2.3",
            "12 34",
            "1.234 567",
            "12a",
            "abc",
            "-",
            "€",
            "%",
            "--3",
            "1e5",
            "(12)",
            "12-",
            "1,",
            "NaN",
            "inf",
            "1'234",
            "12 % %",
            "1.234,5.6",
            "%12",
        ] {
            assert!(float(t, &f).is_err(), "{t:?} was read as a number");
        }
        assert!(int("99999999999999999999", &f).is_err());
        assert_eq!(
            int("9.007.199.254.740.993", &f),
            Ok(Value::Int(9_007_199_254_740_993)),
            "whole numbers are read exactly, not through a float"
        );
        assert_eq!(int("12,00", &f), Ok(Value::Int(12)));
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

    /// Writes `n / 100` the way an office in the given convention would, with thousands grouped.
    fn written(n: i64, decimal: char, grouped: bool) -> String {
        let thousands = if decimal == ',' { '.' } else { ',' };
        let whole = (n.abs() / 100).to_string();
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if grouped && i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(thousands);
            }
            out.push(c);
        }
        let sign = if n < 0 { "-" } else { "" };
        format!("{sign}{out}{decimal}{:02}", n.abs() % 100)
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
        fn numbers_written_in_the_convention_read_back_exactly(
            cents in -1_000_000_000_000i64..1_000_000_000_000,
            comma in proptest::bool::ANY,
            grouped in proptest::bool::ANY,
        ) {
            let decimal = if comma { ',' } else { '.' };
            let f = TextFormat { decimal, date_format: None };
            let t = written(cents, decimal, grouped);
            // Division is correctly rounded, so this is the double nearest the written decimal.
            let expected = cents as f64 / 100.0;
            proptest::prop_assert_eq!(float(&t, &f), Ok(Value::Float(expected)));
        }

        #[test]
        fn a_decimal_part_in_the_other_convention_never_reads_as_a_number(
            whole in 0u64..10_000_000,
            digits in 1usize..6,
            frac in 0u64..100_000,
            comma in proptest::bool::ANY,
        ) {
            proptest::prop_assume!(digits != 3);
            let decimal = if comma { ',' } else { '.' };
            let other = if comma { '.' } else { ',' };
            let f = TextFormat { decimal, date_format: None };
            let frac = format!("{:0digits$}", frac % 10u64.pow(digits as u32));
            let t = format!("{whole}{other}{frac}");
            proptest::prop_assert!(float(&t, &f).is_err(), "{} read as {:?}", t, float(&t, &f));
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
