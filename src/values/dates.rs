//! Dates written with a strftime format, read the same way wherever they are met.

/// The common all-digit layouts (`31/12/2024`, `31-12-2024`, `31.12.2024`, `2024-12-31`) read
/// without interpreting the format string each time: exports carry millions of dates. Anything
/// else, and any impossible date, is left to chrono, which reads these layouts the same way.
pub(crate) fn fixed_width_date(s: &str, format: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    // Matched byte by byte: this runs for every date cell of an export.
    let (day, month, year) = match *format.as_bytes() {
        [b'%', b'd', sep, b'%', b'm', sep2, b'%', b'Y']
            if sep == sep2 && matches!(sep, b'/' | b'-' | b'.') =>
        {
            if b[2] != sep || b[5] != sep {
                return None;
            }
            (num(0..2)?, num(3..5)?, num(6..10)?)
        }
        [b'%', b'Y', b'-', b'%', b'm', b'-', b'%', b'd'] => {
            if b[4] != b'-' || b[7] != b'-' {
                return None;
            }
            (num(8..10)?, num(5..7)?, num(0..4)?)
        }
        _ => return None,
    };
    chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// Parses a date with a strftime format; a format without a day (such as `%m/%Y`) names the first of the month.
pub fn parse_date_with(s: &str, format: &str) -> Option<chrono::NaiveDate> {
    if let Some(d) = fixed_width_date(s, format) {
        return Some(d);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, format) {
        return Some(d);
    }
    let has_day = ["%d", "%e", "%j"].iter().any(|d| format.contains(d));
    if has_day {
        return None;
    }
    chrono::NaiveDate::parse_from_str(&format!("01 {s}"), &format!("%d {format}")).ok()
}
