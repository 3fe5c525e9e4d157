//! Cells as the readers find them, and their conversion to the canonical column types.

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::{ColumnType, TextFormat};

/// A cell as read from an export, before it meets its canonical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
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
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

/// Converts a cell, or says in a few words why it does not fit.
pub fn convert(cell: &Cell, ty: ColumnType, fmt: &TextFormat) -> Result<Value, String> {
    if let Cell::Text(s) = cell {
        let t = s.trim();
        if t.is_empty() {
            return convert(&Cell::Empty, ty, fmt);
        }
        return convert_text(t, ty, fmt);
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
        (ColumnType::Int, Cell::Float(_)) => Err("not a whole number".into()),
        (ColumnType::Int, Cell::Bool(b)) => Ok(Value::Int(i64::from(*b))),
        (ColumnType::Float, Cell::Int(i)) => Ok(Value::Float(*i as f64)),
        (ColumnType::Float, Cell::Float(f)) if f.is_finite() => Ok(Value::Float(*f)),
        (ColumnType::Bool, Cell::Bool(b)) => Ok(Value::Bool(*b)),
        (ColumnType::Bool, Cell::Int(i @ (0 | 1))) => Ok(Value::Bool(*i == 1)),
        (ColumnType::Date, Cell::Date(d)) => Ok(Value::Date(*d)),
        (ColumnType::Date, Cell::DateTime(t)) => Ok(Value::Date(t.date())),
        (ColumnType::Timestamp, Cell::DateTime(t)) => Ok(Value::Timestamp(*t)),
        (ColumnType::Timestamp, Cell::Date(d)) => {
            Ok(Value::Timestamp(d.and_time(chrono::NaiveTime::MIN)))
        }
        (ty, c) => Err(format!(
            "a {} where {} was expected",
            cell_kind(c),
            type_name(ty)
        )),
    }
}

fn cell_kind(c: &Cell) -> &'static str {
    match c {
        Cell::Empty => "empty cell",
        Cell::Text(_) => "text",
        Cell::Int(_) | Cell::Float(_) => "number",
        Cell::Bool(_) => "true/false value",
        Cell::Date(_) => "date",
        Cell::DateTime(_) => "date and time",
    }
}

fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "text",
        ColumnType::Int => "a whole number",
        ColumnType::Float => "a number",
        ColumnType::Bool => "yes/no",
        ColumnType::Date => "a date",
        ColumnType::Timestamp => "a date and time",
    }
}

fn convert_text(t: &str, ty: ColumnType, fmt: &TextFormat) -> Result<Value, String> {
    match ty {
        ColumnType::String => Ok(Value::Str(t.to_string())),
        ColumnType::Int => {
            let n = plain_number(t, fmt.decimal);
            if let Ok(i) = n.parse::<i64>() {
                return Ok(Value::Int(i));
            }
            match n.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Value::Int(f as i64)),
                Ok(_) => Err("not a whole number".into()),
                Err(_) => Err("not a number".into()),
            }
        }
        ColumnType::Float => match plain_number(t, fmt.decimal).parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(format!(
                "not a number (decimal separator '{}')",
                fmt.decimal
            )),
        },
        ColumnType::Bool => parse_bool(t)
            .map(Value::Bool)
            .ok_or_else(|| "not a yes/no value (sì/no, s/n, true/false, 1/0, x)".into()),
        ColumnType::Date => parse_date(t, fmt)
            .map(Value::Date)
            .ok_or_else(|| date_reason(fmt)),
        ColumnType::Timestamp => parse_timestamp(t, fmt)
            .map(Value::Timestamp)
            .ok_or_else(|| date_reason(fmt)),
    }
}

fn date_reason(fmt: &TextFormat) -> String {
    match &fmt.date_format {
        Some(f) => format!("not a valid date in the format {f} nor ISO YYYY-MM-DD"),
        None => {
            "not a valid ISO date YYYY-MM-DD (set options.date_format for other layouts)".into()
        }
    }
}

/// Strips currency signs, spaces and thousands separators, and makes the decimal separator a dot.
fn plain_number(t: &str, decimal: char) -> String {
    let thousands = if decimal == ',' { '.' } else { ',' };
    let s: String = t
        .chars()
        .filter(|c| {
            *c != thousands && *c != '€' && !c.is_whitespace() && *c != '\u{a0}' && *c != '\''
        })
        .collect();
    if decimal == ',' {
        s.replace(',', ".")
    } else {
        s
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_lowercase().as_str() {
        "true" | "vero" | "sì" | "si" | "s" | "yes" | "y" | "1" | "x" => Some(true),
        "false" | "falso" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

pub fn parse_date(t: &str, fmt: &TextFormat) -> Option<NaiveDate> {
    if let Some(f) = &fmt.date_format {
        if let Some(d) = crate::config::parse_date_with(t, f) {
            return Some(d);
        }
        // Months are often written without the day ("03/2024" beside "15/03/2024"): the first of the month.
        if let Some(month_only) = without_day(f)
            && let Some(d) = crate::config::parse_date_with(t, &month_only)
        {
            return Some(d);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_iso_datetime(t).map(|dt| dt.date()))
        .or_else(|| crate::config::parse_date_with(t, "%Y-%m"))
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
    fn dot_decimals_take_comma_thousands() {
        let f = TextFormat {
            decimal: '.',
            date_format: None,
        };
        assert_eq!(
            convert(&Cell::Text("1,234.5".into()), ColumnType::Float, &f),
            Ok(Value::Float(1234.5))
        );
        assert_eq!(
            convert(&Cell::Text("12.5".into()), ColumnType::Float, &f),
            Ok(Value::Float(12.5))
        );
        assert!(convert(&Cell::Text("12.5".into()), ColumnType::Int, &f).is_err());
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
