//! When a source delivers: its expected cadence, first period and the files its url names.

use super::*;

/// `expected: monthly` or `expected: { every: monthly, since: 2026-01 }`: the cadence and the
/// first period due.
pub(super) fn check_expected(
    value: Option<&serde_yaml_ng::Value>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> (Option<Cadence>, Option<crate::config::Period>) {
    use serde_yaml_ng::Value;
    let ekey = format!("{key}.expected");
    let cadence = |name: &str, errs: &mut ConfigErrors, at: &str| {
        let c = Cadence::parse(name);
        if c.is_none() {
            ctx.err(
                errs,
                at,
                format!(
                    "'{name}' is not a cadence; use daily, weekly, monthly, quarterly or yearly"
                ),
            );
        }
        c
    };
    match value {
        None => (None, None),
        Some(Value::String(name)) => (cadence(name, errs, &ekey), None),
        Some(Value::Mapping(m)) => {
            let mut every = None;
            let mut since = None;
            for (k, v) in m {
                match (k.as_str(), v) {
                    (Some("every"), Value::String(name)) => {
                        every = cadence(name, errs, &format!("{ekey}.every"))
                    }
                    (Some("every"), _) => ctx.err(
                        errs,
                        &format!("{ekey}.every"),
                        "write the cadence as a word: daily, weekly, monthly, quarterly or yearly",
                    ),
                    (Some("since"), v) => {
                        since = check_period(v, ctx, &format!("{ekey}.since"), errs)
                    }
                    (other, _) => ctx.err(
                        errs,
                        &ekey,
                        format!(
                            "unknown key '{}' under expected; the keys are every and since",
                            other.unwrap_or("?")
                        ),
                    ),
                }
            }
            if every.is_none() && !m.contains_key("every") {
                ctx.err(
                    errs,
                    &ekey,
                    "expected needs every: (e.g. { every: monthly, since: 2026-01 })",
                );
            }
            (every, since)
        }
        Some(_) => {
            ctx.err(
                errs,
                &ekey,
                "write a cadence (expected: monthly) or { every: monthly, since: 2026-01 }",
            );
            (None, None)
        }
    }
}

/// A period written in YAML (`2026-01`, `2026-Q1`, `"2026"`); an unquoted year reads as a number.
pub(super) fn check_period(
    value: &serde_yaml_ng::Value,
    ctx: &FileCtx,
    at: &str,
    errs: &mut ConfigErrors,
) -> Option<crate::config::Period> {
    let text = match value {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let period = crate::config::Period::parse(text.trim())
        .filter(|p| p.grain() != crate::config::Grain::Plan);
    if period.is_none() {
        ctx.err(
            errs,
            at,
            format!("'{text}' is not a period; write a month as \"2026-01\", a quarter as \"2026-Q1\" or a year as \"2026\""),
        );
    }
    period
}

/// What files a url names: a glob (`*`, `?`, `[`) or a folder ending in `/` lists many; a
/// `{yyyy}`/`{mm}`/`{q}` template names one per period from `since`; anything else one file.
pub(super) fn check_locator(
    url: &str,
    since: Option<crate::config::Period>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> crate::config::Locator {
    use crate::config::{Grain, Locator};
    let ukey = format!("{key}.url");
    if url.contains("{yyyy}") || url.contains("{q}") || url.contains("{mm}") {
        if !url.contains("{yyyy}") {
            ctx.err(errs, &ukey, "a url template names the year as {yyyy}, with {mm} for the month or {q} for the quarter");
        }
        let grain = match (url.contains("{mm}"), url.contains("{q}")) {
            (true, false) => Grain::Month,
            (false, true) => Grain::Quarter,
            (false, false) => Grain::Year,
            (true, true) => {
                ctx.err(
                    errs,
                    &ukey,
                    "a url template names either the month {mm} or the quarter {q}, not both",
                );
                Grain::Month
            }
        };
        match since {
            None => ctx.err(
                errs,
                &format!("{key}.since"),
                "a url template needs since: the first period to fetch, e.g. since: \"2026-01\"",
            ),
            Some(p) if p.grain() != grain => ctx.err(
                errs,
                &format!("{key}.since"),
                format!(
                    "since: {p} is a {}, but the url template names one file a {}",
                    p.grain().as_str(),
                    grain.as_str()
                ),
            ),
            Some(_) => {}
        }
        return Locator::Template { grain };
    }
    let remote = url.starts_with("http://") || url.starts_with("https://");
    let glob_at = url.find(['*', '?', '[']);
    if remote && glob_at.is_some() {
        ctx.err(errs, &ukey, "a web address cannot be listed: name one file, or a template with {yyyy} and {mm}, and since:");
        return Locator::File;
    }
    let (base, pattern) = match glob_at {
        Some(at) => {
            let cut = url[..at].rfind('/').map_or(0, |i| i + 1);
            (url[..cut].to_string(), url[cut..].to_string())
        }
        None if url.ends_with('/') && !remote => (url.to_string(), "**".to_string()),
        None => return Locator::File,
    };
    if let Err(e) = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
    {
        ctx.err(
            errs,
            &ukey,
            format!("'{pattern}' is not a file pattern: {e}"),
        );
    }
    Locator::Listing { base, pattern }
}
