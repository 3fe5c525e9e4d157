//! Numbers, periods and statuses as a reader of the report expects them, in the project locale.

use crate::config::{Locale, Period, Unit};
use crate::indicators::targets::Status;

/// Groups thousands and places the decimal separator the locale's way: `1.234,5` or `1,234.5`.
pub fn number(x: f64, decimals: usize, locale: Locale) -> String {
    let (group, point) = separators(locale);
    crate::values::numbers::grouped(x, decimals, Some(group), point)
}

/// The thousands and decimal separators of the locale.
fn separators(locale: Locale) -> (char, char) {
    match locale {
        Locale::It => ('.', ','),
        Locale::En => (',', '.'),
    }
}

pub fn decimals(unit: Unit, x: f64) -> usize {
    match unit {
        Unit::Count | Unit::Hours | Unit::Days | Unit::Score if x.fract() == 0.0 => 0,
        Unit::Euro | Unit::Ratio => 2,
        _ => 1,
    }
}

/// A value with its unit: `87,5 %`, `1.234,56 €`, `300`.
pub fn value(x: f64, unit: Unit, locale: Locale) -> String {
    let n = number(x, decimals(unit, x), locale);
    match unit {
        Unit::Percent => format!("{n} %"),
        Unit::Euro => format!("{n} €"),
        Unit::Per1000 => format!("{n} ‰"),
        Unit::Hours => format!("{n} h"),
        Unit::Days => match locale {
            Locale::It => format!("{n} gg"),
            Locale::En => format!("{n} d"),
        },
        _ => n,
    }
}

/// The spreadsheet number format that shows `x` of `unit` as `value` writes it: the same decimals
/// and unit, the separators left to the spreadsheet's locale (`#,##0.0" %"`, `#,##0`).
pub fn spreadsheet_format(x: f64, unit: Unit, locale: Locale) -> String {
    let digits = match decimals(unit, x) {
        0 => "#,##0".to_string(),
        d => format!("#,##0.{}", "0".repeat(d)),
    };
    let suffix = match unit {
        Unit::Percent => " %",
        Unit::Euro => " €",
        Unit::Per1000 => " ‰",
        Unit::Hours => " h",
        Unit::Days => match locale {
            Locale::It => " gg",
            Locale::En => " d",
        },
        Unit::Count | Unit::Ratio | Unit::Score => "",
    };
    if suffix.is_empty() {
        digits
    } else {
        format!("{digits}\"{suffix}\"")
    }
}

/// The unit as an axis is titled.
pub fn unit_name(unit: Unit, locale: Locale) -> &'static str {
    match (unit, locale) {
        (Unit::Count, Locale::It) => "numero",
        (Unit::Percent, Locale::It) => "percentuale (%)",
        (Unit::Ratio, Locale::It) => "rapporto",
        (Unit::Per1000, Locale::It) => "per 1.000 (‰)",
        (Unit::Hours, Locale::It) => "ore",
        (Unit::Days, Locale::It) => "giorni",
        (Unit::Euro, Locale::It) => "euro (€)",
        (Unit::Score, Locale::It) => "punteggio",
        (Unit::Count, Locale::En) => "number",
        (Unit::Percent, Locale::En) => "percent (%)",
        (Unit::Ratio, Locale::En) => "ratio",
        (Unit::Per1000, Locale::En) => "per 1,000 (‰)",
        (Unit::Hours, Locale::En) => "hours",
        (Unit::Days, Locale::En) => "days",
        (Unit::Euro, Locale::En) => "euro (€)",
        (Unit::Score, Locale::En) => "score",
    }
}

const MONTHS_IT: [&str; 12] = [
    "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The months a part of a period covers: `gen–ott`, `ott`, `nov 2025–feb 2026` across years.
pub fn month_span(first: (i32, u32), last: (i32, u32), locale: Locale) -> String {
    let names = if locale == Locale::It {
        MONTHS_IT
    } else {
        MONTHS_EN
    };
    let name = |m: u32| names[(m as usize).saturating_sub(1) % 12];
    if first == last {
        name(first.1).to_string()
    } else if first.0 == last.0 {
        format!("{}–{}", name(first.1), name(last.1))
    } else {
        format!("{} {}–{} {}", name(first.1), first.0, name(last.1), last.0)
    }
}

pub fn period(p: &str, locale: Locale) -> String {
    match Period::parse(p) {
        Some(Period::Month { year, month }) => {
            let names = if locale == Locale::It {
                MONTHS_IT
            } else {
                MONTHS_EN
            };
            format!("{} {year}", names[(month as usize).saturating_sub(1) % 12])
        }
        Some(Period::Quarter { year, quarter }) => match locale {
            Locale::It => format!("T{quarter} {year}"),
            Locale::En => format!("Q{quarter} {year}"),
        },
        Some(Period::Plan { from, to }) => format!("{from}–{to}"),
        _ => p.to_string(),
    }
}

/// The symbol that tells a status without colour: fuller is better.
pub fn status_symbol(s: Status) -> &'static str {
    match s {
        Status::Achieved => "●",
        Status::OnTrack => "◐",
        Status::OffTrack => "○",
        Status::NoTarget | Status::NoData => "–",
        Status::Provisional => "…",
    }
}

/// The status in words.
pub fn status(s: Status, locale: Locale) -> &'static str {
    match (s, locale) {
        (Status::Achieved, Locale::It) => "raggiunto",
        (Status::OnTrack, Locale::It) => "in linea",
        (Status::OffTrack, Locale::It) => "non in linea",
        (Status::NoTarget, Locale::It) => "senza obiettivo",
        (Status::NoData, Locale::It) => "senza dati",
        (Status::Provisional, Locale::It) => "provvisorio",
        (Status::Provisional, Locale::En) => "provisional",
        (Status::Achieved, Locale::En) => "achieved",
        (Status::OnTrack, Locale::En) => "on track",
        (Status::OffTrack, Locale::En) => "off track",
        (Status::NoTarget, Locale::En) => "no target",
        (Status::NoData, Locale::En) => "no data",
    }
}

/// A timestamp as a reader in the project's time zone reads it: `31/12/2024 18:05`.
pub fn datetime(rfc3339: &str, tz: chrono_tz::Tz, locale: Locale) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let t = t.with_timezone(&tz);
            match locale {
                Locale::It => t.format("%d/%m/%Y %H:%M").to_string(),
                Locale::En => t.format("%Y-%m-%d %H:%M").to_string(),
            }
        }
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_and_english_numbers() {
        assert_eq!(number(1234.5, 1, Locale::It), "1.234,5");
        assert_eq!(number(1234.5, 1, Locale::En), "1,234.5");
        assert_eq!(number(1234567.891, 2, Locale::It), "1.234.567,89");
        assert_eq!(number(-12.0, 0, Locale::It), "-12");
        assert_eq!(number(-0.01, 1, Locale::It), "0,0");
        assert_eq!(value(87.456, Unit::Percent, Locale::It), "87,5 %");
        assert_eq!(value(300.0, Unit::Count, Locale::It), "300");
        assert_eq!(value(35.5, Unit::Euro, Locale::It), "35,50 €");
        assert_eq!(value(900.0, Unit::Hours, Locale::It), "900 h");
        assert_eq!(value(71.5, Unit::Hours, Locale::It), "71,5 h");
    }

    #[test]
    fn period_labels() {
        assert_eq!(period("2024-03", Locale::It), "mar 2024");
        assert_eq!(period("2024-Q2", Locale::En), "Q2 2024");
        assert_eq!(period("2025-2027", Locale::It), "2025–2027");
        assert_eq!(period("2024", Locale::It), "2024");
    }
}
