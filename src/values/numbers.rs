//! Numbers as figures are stored and shown.

/// Rounds away binary noise (0.1 + 0.2) while keeping far more precision than a cent.
pub fn tidy(x: f64) -> f64 {
    format!("{x:.9}").parse().unwrap_or(x)
}

/// `x` with `decimals` decimals, thousands grouped by `group` (when given) and the decimals after `point`
/// (`1.234,5` or `1,234.5`); a minus only where a digit other than 0 is shown.
pub fn grouped(x: f64, decimals: usize, group: Option<char>, point: char) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if let Some(g) = group.filter(|_| i > 0 && (int.len() - i) % 3 == 0) {
            out.push(g);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    let negative = x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative { format!("-{out}") } else { out }
}
