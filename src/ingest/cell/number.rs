//! Numbers as offices write them: one decimal convention per source, thousands grouped or not,
//! a currency or percent sign around them; anything else refused with the setting that would read it.

use super::Reason;

/// A number as written in an export, split into its parts once its convention has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WrittenNumber {
    negative: bool,
    /// The whole part's digits, without any grouping separator.
    whole: String,
    /// The digits after the decimal separator (empty when there is none).
    fraction: String,
}

impl WrittenNumber {
    pub(super) fn to_f64(&self) -> Option<f64> {
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
    pub(super) fn to_i64(&self) -> Result<i64, Reason> {
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
pub(super) fn number_or_fix(t: &str, decimal: char) -> Result<WrittenNumber, Reason> {
    parse_written_number(t, decimal).map_err(|why| {
        let other = if decimal == ',' { '.' } else { ',' };
        match parse_written_number(t, other).ok().and_then(|n| n.to_f64()) {
            Some(read_as) => Reason::OtherDecimal { decimal, read_as },
            None => why,
        }
    })
}

/// Characters that may group thousands besides the convention's own: spaces of every kind.
pub(super) fn is_space_like(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}'
}

/// Reads a number written in the source's convention, or says why it is not one.
///
/// The convention decides: with `decimal = ','` a `.` may only group thousands, and with
/// `decimal = '.'` a `,` may only; groups after the first have exactly three digits. A `€`
/// before or after the number, a trailing `%` and spaces around it are ignored. Anything else is
/// refused rather than read as another number.
pub(super) fn parse_written_number(t: &str, decimal: char) -> Result<WrittenNumber, Reason> {
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

#[cfg(test)]
mod tests {
    use crate::config::{ColumnType, TextFormat};
    use crate::ingest::cell::{Cell, Value, convert};

    fn it() -> TextFormat {
        TextFormat {
            decimal: ',',
            date_format: Some("%d/%m/%Y".into()),
        }
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

    }
}
