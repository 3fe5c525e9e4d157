//! What a column's numbers show of their decimal and thousands separators.

/// The kinds a column's values point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decimal {
    Comma,
    Point,
}

/// What a number's separators say about the decimal convention: Some when they decide it.
pub(super) fn decimal_evidence(v: &str) -> Option<Decimal> {
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
pub(super) fn one_separator(
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

pub(super) fn is_number(v: &str) -> bool {
    let v = v.trim_start_matches(['-', '+']);
    !v.is_empty()
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}
