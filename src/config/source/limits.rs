//! A source's limits: rejected rows, shrink, supersede and removal rules, grace, timeout, retries.

use super::*;

pub(super) fn check_max_rejected(
    v: Option<&serde_yaml_ng::Value>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> RejectLimit {
    match v {
        None => RejectLimit::Percent(5.0),
        Some(v) => parse_reject_limit(v).unwrap_or_else(|| {
            ctx.err(
                errs,
                &format!("{key}.max_rejected"),
                "write a percentage such as 5% or a number of rows such as 20",
            );
            RejectLimit::Percent(5.0)
        }),
    }
}

pub(super) fn check_max_shrink(
    v: Option<&serde_yaml_ng::Value>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> f64 {
    match v {
        None => 50.0,
        Some(v) => match parse_reject_limit(v) {
            Some(RejectLimit::Percent(p)) => p,
            _ => {
                ctx.err(
                    errs,
                    &format!("{key}.max_shrink"),
                    "write the largest drop in rows to accept as a percentage from 0% to 100%, e.g. 50%",
                );
                50.0
            }
        },
    }
}

/// Whether a newer delivery covering a territory and period replaces an older one's rows there.
pub(super) fn check_supersede(
    s: &SourceFile,
    table: Option<&Table>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> bool {
    match s.supersede.as_deref() {
        None => false,
        Some("by_period") => {
            if table.is_some_and(|t| t.period_column().is_none()) {
                ctx.err(
                    errs,
                    &format!("{key}.supersede"),
                    format!("supersede: by_period needs a date column in table '{}' to tell the period a row belongs to", s.table),
                );
            }
            true
        }
        Some(other) => {
            ctx.err(
                errs,
                &format!("{key}.supersede"),
                format!("'{other}' is not a supersede rule; use by_period (a newer delivery covering a territory and period replaces an older one's rows there)"),
            );
            false
        }
    }
}

/// Whether a file that disappears takes its rows with it.
pub(super) fn check_removed(
    v: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> bool {
    match v {
        None | Some("keep") => false,
        Some("drop") => true,
        Some(other) => {
            ctx.err(
                errs,
                &format!("{key}.removed"),
                format!("'{other}' is not a choice here; use keep (the default: a file that disappears keeps its rows) or drop"),
            );
            false
        }
    }
}

/// The days a delivery may be late before it counts as missing.
pub(super) fn check_grace(
    g: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> i64 {
    let Some(g) = g else { return 0 };
    match parse_days(g) {
        Some(d) if d <= MAX_GRACE_DAYS => d,
        Some(_) => {
            ctx.err(
                errs,
                &format!("{key}.grace"),
                format!(
                    "'{g}' is longer than the {MAX_GRACE_DAYS} days (ten years) a grace may be"
                ),
            );
            0
        }
        None => {
            ctx.err(
                errs,
                &format!("{key}.grace"),
                format!("'{g}' is not a duration; write days as 10d or weeks as 2w"),
            );
            0
        }
    }
}

pub(super) fn check_timeout(
    t: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> std::time::Duration {
    let Some(t) = t else {
        return std::time::Duration::from_secs(60);
    };
    match parse_seconds(t) {
        Some(secs) if (1..=3600).contains(&secs) => std::time::Duration::from_secs(secs),
        _ => {
            ctx.err(
                errs,
                &format!("{key}.timeout"),
                format!(
                    "'{t}' is not a timeout from 1s to 60m; write seconds as 30s or minutes as 5m"
                ),
            );
            std::time::Duration::from_secs(60)
        }
    }
}

pub(super) fn check_retries(
    n: Option<u64>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> usize {
    match n {
        None => 3,
        Some(n) if n <= 10 => n as usize,
        Some(n) => {
            ctx.err(
                errs,
                &format!("{key}.retries"),
                format!("{n} retries is more than the 10 a scheduled run can wait for"),
            );
            3
        }
    }
}

/// `5%` or `20` (rows).
pub(super) fn parse_reject_limit(v: &serde_yaml_ng::Value) -> Option<RejectLimit> {
    match v {
        serde_yaml_ng::Value::Number(n) => n.as_u64().map(RejectLimit::Rows),
        serde_yaml_ng::Value::String(s) => {
            let s = s.trim();
            match s.strip_suffix('%') {
                Some(p) => p
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .map(RejectLimit::Percent),
                None => s.parse().ok().map(RejectLimit::Rows),
            }
        }
        _ => None,
    }
}

/// A timeout in seconds (`30s`) or minutes (`5m`).
pub(super) fn parse_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = n.parse().ok()?;
    match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        _ => None,
    }
}

/// A duration in days (`10d`) or weeks (`2w`); None when it is not one or overflows.
pub(super) fn parse_days(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "d" => Some(n),
        "w" => n.checked_mul(7),
        _ => None,
    }
}
