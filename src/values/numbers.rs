//! Numbers as figures are stored and shown.

/// Rounds away binary noise (0.1 + 0.2) while keeping far more precision than a cent.
pub fn tidy(x: f64) -> f64 {
    format!("{x:.9}").parse().unwrap_or(x)
}
