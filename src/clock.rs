//! Today's date, as the figures are judged: the one place it is read.
//!
//! `OSSERVATORIO_TODAY=YYYY-MM-DD` fixes it, for tests and for reports recomputed as of a given day;
//! otherwise it is today in the project's time zone.

/// The variable that fixes today's date.
pub const TODAY_VARIABLE: &str = "OSSERVATORIO_TODAY";

/// Why `OSSERVATORIO_TODAY` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{TODAY_VARIABLE}='{value}' is not a date; write YYYY-MM-DD")]
pub struct BadToday {
    /// The value given.
    pub value: String,
    /// What the date parser said.
    #[source]
    pub source: chrono::ParseError,
}

/// Today in `tz`, or the day `OSSERVATORIO_TODAY` names.
pub fn today(tz: chrono_tz::Tz) -> Result<chrono::NaiveDate, BadToday> {
    match std::env::var(TODAY_VARIABLE) {
        Ok(v) if !v.trim().is_empty() => chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|source| BadToday { value: v, source }),
        _ => Ok(chrono::Utc::now().with_timezone(&tz).date_naive()),
    }
}
