//! A pipeline's `sources`: where each export is, its format and options, column mapping, limits and cadence.

use super::raw::{ColumnMapFile, CsvOptions, JsonOptions, ParquetOptions, SourceFile, XlsxOptions};
use super::settings::resolve;
use super::{
    Cadence, ColumnMap, ColumnType, ConfigErrors, FileCtx, Format, Header, HeaderValue, Project,
    RejectLimit, Source, Table, TextFormat, UnsetVariable, Validation,
};

/// Deserialises a format's options, reporting unknown keys against `options`.
fn options<T: serde::de::DeserializeOwned + Default>(
    value: Option<serde_yaml_ng::Value>,
    format: &str,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> T {
    match value {
        None => T::default(),
        Some(v) => serde_yaml_ng::from_value(v).unwrap_or_else(|e| {
            ctx.err(
                errs,
                &format!("{key}.options"),
                format!("{e} (options valid for format {format} only)"),
            );
            T::default()
        }),
    }
}

fn check_text_format(
    decimal: Option<String>,
    date_format: Option<String>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> TextFormat {
    let decimal = match decimal.as_deref() {
        None | Some(".") => '.',
        Some(",") => ',',
        Some(d) => {
            ctx.err(
                errs,
                &format!("{key}.options.decimal"),
                format!("'{d}' is not a decimal separator; use \".\" or \",\""),
            );
            '.'
        }
    };
    if let Some(f) = &date_format {
        // chrono reports an unknown specifier as a formatting error, which to_string() would turn into a panic.
        let probe = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).and_then(|d| {
            use std::fmt::Write as _;
            let mut out = String::new();
            write!(out, "{}", d.format(f)).ok().map(|_| out)
        });
        let valid = probe
            .as_deref()
            .is_some_and(|p| crate::values::dates::parse_date_with(p, f).is_some());
        if !valid {
            ctx.err(errs, &format!("{key}.options.date_format"), format!("'{f}' is not a strftime date format with day, month and year, e.g. \"%d/%m/%Y\""));
        }
    }
    TextFormat {
        decimal,
        date_format,
    }
}

fn check_encoding(
    label: Option<String>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> &'static encoding_rs::Encoding {
    match label {
        None => encoding_rs::UTF_8,
        Some(l) => encoding_rs::Encoding::for_label(l.as_bytes()).unwrap_or_else(|| {
            ctx.err(
                errs,
                &format!("{key}.options.encoding"),
                format!("'{l}' is not an encoding label; use e.g. utf-8 or windows-1252"),
            );
            encoding_rs::UTF_8
        }),
    }
}

fn check_header_row(
    row: Option<usize>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> usize {
    match row {
        Some(0) => {
            ctx.err(
                errs,
                &format!("{key}.options.header_row"),
                "header_row is 1-based: the first row is 1",
            );
            1
        }
        Some(r) if r > MAX_HEADER_ROW => {
            ctx.err(
                errs,
                &format!("{key}.options.header_row"),
                format!(
                    "header_row {r} is past the last row a spreadsheet can have ({MAX_HEADER_ROW})"
                ),
            );
            1
        }
        r => r.unwrap_or(1),
    }
}

/// Excel's and LibreOffice's last row: a header further down cannot exist.
const MAX_HEADER_ROW: usize = 1_048_576;
/// The longest grace a source may have: ten years.
const MAX_GRACE_DAYS: i64 = 3650;
/// The widest code `pad` may produce.
const MAX_PAD: u64 = 32;

impl Validation {
    /// One source of a pipeline, checked against the declared tables and territories.
    pub(super) fn check_source(
        &mut self,
        s: SourceFile,
        ctx: &FileCtx,
        key: &str,
        pipeline: &str,
    ) -> Option<Source> {
        let root = self.root.as_path();
        let tables = &self.tables;
        let territories = &self.territories;
        let errs = &mut self.errs;
        let before = errs.0.len();
        let table = tables.get(&s.table);
        if table.is_none() {
            let known: Vec<&str> = tables.keys().map(String::as_str).collect();
            let near = super::shape::did_you_mean(&s.table, known.iter().copied())
                .map(|n| format!("did you mean '{n}'? "))
                .unwrap_or_default();
            ctx.err(
                errs,
                &format!("{key}.table"),
                format!(
                    "table '{}' is not declared in any pipeline ({near}declared: {})",
                    s.table,
                    known.join(", ")
                ),
            );
        }
        if let Some(t) = &s.territory
            && territories.get(t).is_none()
        {
            ctx.err(
                errs,
                &format!("{key}.territory"),
                super::territories::unknown_territory(territories, t),
            );
        }
        // Parquet exports are typed: no label cells to mistake for data.
        let mut skip_totals = false;
        let format = match s.format.as_str() {
            "csv" => {
                let o: CsvOptions = options(s.options, "csv", ctx, key, errs);
                skip_totals = o.skip_totals.unwrap_or(true);
                let delimiter = match o.delimiter.as_deref() {
                    None => b',',
                    Some("\\t") | Some("\t") => b'\t',
                    Some(d) if d.len() == 1 => d.as_bytes()[0],
                    Some(d) => {
                        ctx.err(
                            errs,
                            &format!("{key}.options.delimiter"),
                            format!("'{d}' is not a one-character delimiter"),
                        );
                        b','
                    }
                };
                Format::Csv {
                    delimiter,
                    encoding: check_encoding(o.encoding, ctx, key, errs),
                    header_row: check_header_row(o.header_row, ctx, key, errs),
                    text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
                }
            }
            "xlsx" | "ods" => {
                let o: XlsxOptions = options(s.options, &s.format, ctx, key, errs);
                skip_totals = o.skip_totals.unwrap_or(true);
                let (sheet, header_row, text) = (
                    o.sheet,
                    check_header_row(o.header_row, ctx, key, errs),
                    check_text_format(o.decimal, o.date_format, ctx, key, errs),
                );
                if s.format == "ods" {
                    Format::Ods {
                        sheet,
                        header_row,
                        text,
                    }
                } else {
                    Format::Xlsx {
                        sheet,
                        header_row,
                        text,
                    }
                }
            }
            "json" => {
                let o: JsonOptions = options(s.options, "json", ctx, key, errs);
                skip_totals = o.skip_totals.unwrap_or(true);
                Format::Json {
                    encoding: check_encoding(o.encoding, ctx, key, errs),
                    text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
                }
            }
            "parquet" => {
                let o: ParquetOptions = options(s.options, "parquet", ctx, key, errs);
                Format::Parquet {
                    text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
                }
            }
            other => {
                ctx.err(
                    errs,
                    &format!("{key}.format"),
                    format!("'{other}' is not a format; use csv, xlsx, ods, json or parquet"),
                );
                return None;
            }
        };
        let columns = table
            .map(|t| check_column_maps(&s.columns, t, ctx, key, errs))
            .unwrap_or_default();
        let max_rejected = match &s.max_rejected {
            None => RejectLimit::Percent(5.0),
            Some(v) => parse_reject_limit(v).unwrap_or_else(|| {
                ctx.err(
                    errs,
                    &format!("{key}.max_rejected"),
                    "write a percentage such as 5% or a number of rows such as 20",
                );
                RejectLimit::Percent(5.0)
            }),
        };
        let max_shrink = match &s.max_shrink {
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
        };
        let (expected, expected_since) = check_expected(s.expected.as_ref(), ctx, key, errs);
        let since = match s
            .since
            .as_ref()
            .map(|v| check_period(v, ctx, &format!("{key}.since"), errs))
        {
            Some(Some(p)) => Some(p),
            Some(None) => None,
            None => expected_since,
        };
        let supersede_by_period = match s.supersede.as_deref() {
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
        };
        let drop_removed = match s.removed.as_deref() {
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
        };
        let grace_days = match s.grace.as_deref() {
            None => 0,
            Some(g) => match parse_days(g) {
                Some(d) if d <= MAX_GRACE_DAYS => d,
                Some(_) => {
                    ctx.err(
                    errs,
                    &format!("{key}.grace"),
                    format!("'{g}' is longer than the {MAX_GRACE_DAYS} days (ten years) a grace may be"),
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
            },
        };
        check_url(&s.url, ctx, key, errs);
        let headers = check_headers(&s.headers, &s.url, ctx, key, errs);
        let timeout = match s.timeout.as_deref() {
            None => std::time::Duration::from_secs(60),
            Some(t) => match parse_seconds(t) {
                Some(secs) if (1..=3600).contains(&secs) => std::time::Duration::from_secs(secs),
                _ => {
                    ctx.err(
                    errs,
                    &format!("{key}.timeout"),
                    format!("'{t}' is not a timeout from 1s to 60m; write seconds as 30s or minutes as 5m"),
                );
                    std::time::Duration::from_secs(60)
                }
            },
        };
        let retries = match s.retries {
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
        };
        let url = if s.url.contains("://") {
            s.url.clone()
        } else {
            resolve(root, &s.url).to_string_lossy().into_owned()
        };
        let locator = check_locator(&url, since, ctx, key, errs);
        if errs.0.len() > before {
            return None;
        }
        Some(Source {
            name: s.name,
            pipeline: pipeline.to_string(),
            table: s.table,
            territory: s.territory,
            url,
            format,
            columns,
            max_rejected,
            max_shrink,
            skip_totals,
            headers,
            key: key.to_string(),
            timeout,
            retries,
            expected,
            grace_days,
            locator,
            since,
            supersede_by_period,
            drop_removed,
            file: ctx.shown.clone(),
            line: ctx.index.line_of(key),
        })
    }
}

/// `expected: monthly` or `expected: { every: monthly, since: 2026-01 }`: the cadence and the
/// first period due.
fn check_expected(
    value: Option<&serde_yaml_ng::Value>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> (Option<Cadence>, Option<super::Period>) {
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
fn check_period(
    value: &serde_yaml_ng::Value,
    ctx: &FileCtx,
    at: &str,
    errs: &mut ConfigErrors,
) -> Option<super::Period> {
    let text = match value {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let period = super::Period::parse(text.trim()).filter(|p| p.grain() != super::Grain::Plan);
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
fn check_locator(
    url: &str,
    since: Option<super::Period>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> super::Locator {
    use super::{Grain, Locator};
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

/// `5%` or `20` (rows).
fn parse_reject_limit(v: &serde_yaml_ng::Value) -> Option<RejectLimit> {
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

/// Whether a source's url is one this build can read; records why not.
fn check_url(url: &str, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) {
    let ukey = format!("{key}.url");
    if url.trim().is_empty() {
        ctx.err(
            errs,
            &ukey,
            "a source needs a url: a path, file://, http(s):// or s3://",
        );
        return;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return;
    };
    match scheme {
        "file" => {}
        "http" | "https" => match url::Url::parse(url) {
            Ok(u) if u.query().is_some() => ctx.err(
                errs,
                &ukey,
                "a download address with a query string (?...) cannot be read; ask the portal for a plain file address, or put the export where an http(s):// or s3:// address names it",
            ),
            Ok(u) if u.path().trim_matches('/').is_empty() => ctx.err(
                errs,
                &ukey,
                "the address names no file: write the export's full address",
            ),
            Ok(_) => {}
            Err(e) => ctx.err(errs, &ukey, format!("'{url}' is not a valid address: {e}")),
        },
        "s3" => {
            let (bucket, object) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || object.trim_matches('/').is_empty() {
                ctx.err(errs, &ukey, "write an S3 export as s3://bucket/path/to/export.csv");
            }
        }
        other => ctx.err(
            errs,
            &ukey,
            format!("{other}:// sources cannot be read; use a path, file://, http(s):// or s3://"),
        ),
    }
}

/// Header names whose values are credentials: they must come from the environment.
fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "token",
        "key",
        "cookie",
        "secret",
        "password",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The headers as written; a credential must name an environment variable (`env:NAME`), which
/// `check` and each fetch read.
fn check_headers(
    given: &indexmap::IndexMap<String, String>,
    url: &str,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Vec<Header> {
    let is_http = url.starts_with("http://") || url.starts_with("https://");
    if !given.is_empty() && !is_http {
        ctx.err(
            errs,
            &format!("{key}.headers"),
            "headers apply to http(s):// sources only",
        );
    }
    let mut out = Vec::new();
    for (name, value) in given {
        let hkey = format!("{key}.headers.{name}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            ctx.err(errs, &hkey, format!("'{name}' is not an HTTP header name"));
            continue;
        }
        let value = match value.strip_prefix("env:") {
            Some(var) if !var.trim().is_empty() => HeaderValue::Env(var.trim().to_string()),
            Some(_) => {
                ctx.err(
                    errs,
                    &hkey,
                    "write env:NAME, naming the environment variable",
                );
                continue;
            }
            None if is_credential_header(name) => {
                ctx.err(
                    errs,
                    &hkey,
                    "credentials never live in YAML: write env:NAME and set NAME in the environment",
                );
                continue;
            }
            None if http::HeaderValue::from_str(value).is_err() => {
                ctx.err(
                    errs,
                    &hkey,
                    "the value is not valid in an HTTP header (line breaks or control characters)",
                );
                continue;
            }
            None => HeaderValue::Literal(value.clone()),
        };
        out.push(Header {
            name: name.clone(),
            value,
            line: ctx.index.line_of(&hkey),
        });
    }
    out
}

/// The environment variables the sources' headers name that are not set, as configuration errors.
pub(crate) fn unset_header_variables(project: &Project) -> ConfigErrors {
    let mut errs = ConfigErrors::default();
    for s in &project.sources {
        for h in &s.headers {
            if let Err(UnsetVariable { variable: var }) = h.resolve() {
                errs.push(
                    &s.file,
                    h.line.or(s.line),
                    format!("{}.headers.{}", s.key, h.name),
                    format!("the environment variable {var} is not set; set it where osservatorio runs (credentials never live in YAML)"),
                );
            }
        }
    }
    errs
}

/// A timeout in seconds (`30s`) or minutes (`5m`).
fn parse_seconds(s: &str) -> Option<u64> {
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
fn parse_days(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "d" => Some(n),
        "w" => n.checked_mul(7),
        _ => None,
    }
}

/// Every canonical column of `table` with where the source finds it: the mapping's header (or the
/// column's own name when the mapping leaves it out) and its padding.
fn check_column_maps(
    given: &indexmap::IndexMap<String, ColumnMapFile>,
    table: &Table,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Vec<ColumnMap> {
    for c in given.keys() {
        if !table.columns.iter().any(|x| &x.name == c) {
            ctx.err(
                errs,
                &format!("{key}.columns.{c}"),
                format!("'{c}' is not a column of table '{}'", table.name),
            );
        }
    }
    let mut out = Vec::new();
    for col in &table.columns {
        let ckey = format!("{key}.columns.{}", col.name);
        let mapped = given.contains_key(&col.name);
        let (header, pad) = match given.get(&col.name) {
            None => (col.name.clone(), None),
            Some(ColumnMapFile::Header(h)) => (h.clone(), None),
            Some(ColumnMapFile::Long(l)) => {
                let pad = l.pad.as_ref().and_then(|v| {
                    let width = v.as_u64().filter(|w| (1..=MAX_PAD).contains(w));
                    if width.is_none() {
                        ctx.err(
                            errs,
                            &format!("{ckey}.pad"),
                            format!("pad is the width of the code in digits, from 1 to {MAX_PAD}, e.g. pad: 6"),
                        );
                    }
                    width.map(|w| w as usize)
                });
                if pad.is_some() && col.ty != ColumnType::String {
                    ctx.err(
                        errs,
                        &format!("{ckey}.pad"),
                        format!("pad applies to string columns; '{}' is not a string column, so its zeros could not be kept", col.name),
                    );
                }
                (l.header.clone().unwrap_or_else(|| col.name.clone()), pad)
            }
        };
        out.push(ColumnMap {
            column: col.name.clone(),
            header,
            pad,
            mapped,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_limits_read_percent_and_rows() {
        assert_eq!(
            parse_reject_limit(&serde_yaml_ng::Value::String("5%".into())),
            Some(RejectLimit::Percent(5.0))
        );
        assert_eq!(
            parse_reject_limit(&serde_yaml_ng::Value::Number(20.into())),
            Some(RejectLimit::Rows(20))
        );
        assert_eq!(
            parse_reject_limit(&serde_yaml_ng::Value::String("lots".into())),
            None
        );
        assert!(RejectLimit::Percent(5.0).exceeded(6, 100));
        assert!(!RejectLimit::Percent(5.0).exceeded(5, 100));
    }

    #[test]
    fn durations_in_days_and_weeks() {
        assert_eq!(parse_days("10d"), Some(10));
        assert_eq!(parse_days("2w"), Some(14));
        assert_eq!(parse_days("10"), None);
        assert_eq!(parse_days("3h"), None);
    }
}
