//! The present as the figures and pages judge it: the one place it is read.
//!
//! `OSSERVATORIO_TODAY=YYYY-MM-DD` fixes today's date, for tests and for reports recomputed as of a
//! given day; `OSSERVATORIO_NOW=2026-11-05T08:00:00Z` fixes the present instant (and with it today,
//! unless `OSSERVATORIO_TODAY` says otherwise) for what is judged against it: a source late, a
//! delivery due, the schedule's next runs. What records when something happened (run ids, times in
//! the ledger and manifests, locks and their heartbeats, whether an export is still being written)
//! reads the system clock, which other processes share.

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
        _ => Ok(now().with_timezone(&tz).date_naive()),
    }
}

/// The variable that fixes the present instant.
pub const NOW_VARIABLE: &str = "OSSERVATORIO_NOW";

/// Why `OSSERVATORIO_NOW` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "{NOW_VARIABLE}='{value}' is not an instant; write it as 2026-11-05T08:00:00Z (RFC 3339, with its offset)"
)]
pub struct BadNow {
    /// The value given.
    pub value: String,
    /// What the parser said.
    #[source]
    pub source: chrono::ParseError,
}

/// The instant `OSSERVATORIO_NOW` names, when it names one.
pub fn fixed_now() -> Result<Option<chrono::DateTime<chrono::Utc>>, BadNow> {
    match std::env::var(NOW_VARIABLE) {
        Ok(v) if !v.trim().is_empty() => chrono::DateTime::parse_from_rfc3339(v.trim())
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|source| BadNow { value: v, source }),
        _ => Ok(None),
    }
}

/// The present as it is judged against: the instant `OSSERVATORIO_NOW` names, else the system
/// clock. The program refuses a malformed value when it starts ([`fixed_now`]), so none is read
/// here as the system clock in its place.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    fixed_now().ok().flatten().unwrap_or_else(chrono::Utc::now)
}
