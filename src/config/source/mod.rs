//! A pipeline's `sources`: where each export is, its format and options, column mapping, limits and cadence.

use super::raw::{ColumnMapFile, CsvOptions, JsonOptions, ParquetOptions, SourceFile, XlsxOptions};
use super::settings::resolve;
use std::collections::BTreeMap;

mod cadence;
mod format;
mod limits;
mod remote;

use super::{
    Cadence, ColumnMap, ColumnType, ConfigErrors, FileCtx, Format, Header, HeaderValue, Project,
    RejectLimit, Source, Table, TextFormat, UnsetVariable, Validation,
};
use cadence::*;
use format::*;
use limits::*;
pub(crate) use remote::unset_header_variables;
use remote::*;

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
        let before = self.errs.0.len();
        let table = self.tables.get(&s.table);
        let errs = &mut self.errs;
        if table.is_none() {
            ctx.err(
                errs,
                &format!("{key}.table"),
                undeclared_table(&s.table, &self.tables),
            );
        }
        if let Some(t) = &s.territory
            && self.territories.get(t).is_none()
        {
            ctx.err(
                errs,
                &format!("{key}.territory"),
                super::territories::unknown_territory(&self.territories, t),
            );
        }
        let (format, skip_totals) = check_format(&s, ctx, key, errs)?;
        let columns = table
            .map(|t| check_column_maps(&s.columns, t, ctx, key, errs))
            .unwrap_or_default();
        let max_rejected = check_max_rejected(s.max_rejected.as_ref(), ctx, key, errs);
        let max_shrink = check_max_shrink(s.max_shrink.as_ref(), ctx, key, errs);
        let (expected, expected_since) = check_expected(s.expected.as_ref(), ctx, key, errs);
        let since = check_since(s.since.as_ref(), expected_since, ctx, key, errs);
        let supersede_by_period = check_supersede(&s, table, ctx, key, errs);
        let drop_removed = check_removed(s.removed.as_deref(), ctx, key, errs);
        let grace_days = check_grace(s.grace.as_deref(), ctx, key, errs);
        check_url(&s.url, ctx, key, errs);
        let headers = check_headers(&s.headers, &s.url, ctx, key, errs);
        let timeout = check_timeout(s.timeout.as_deref(), ctx, key, errs);
        let retries = check_retries(s.retries, ctx, key, errs);
        let url = resolve_url(&self.root, &s.url);
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

/// The first period a source's deliveries cover: its own `since`, else its expected one's.
fn check_since(
    since: Option<&serde_yaml_ng::Value>,
    expected_since: Option<super::Period>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Option<super::Period> {
    match since {
        Some(v) => check_period(v, ctx, &format!("{key}.since"), errs),
        None => expected_since,
    }
}

/// A remote URL as given, a local path resolved against the project folder.
fn resolve_url(root: &std::path::Path, url: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else {
        resolve(root, url).to_string_lossy().into_owned()
    }
}

/// A source's table that no pipeline declares, with the one meant.
fn undeclared_table(table: &str, tables: &BTreeMap<String, Table>) -> String {
    let known: Vec<&str> = tables.keys().map(String::as_str).collect();
    let near = super::shape::did_you_mean(table, known.iter().copied())
        .map(|n| format!("did you mean '{n}'? "))
        .unwrap_or_default();
    format!(
        "table '{table}' is not declared in any pipeline ({near}declared: {})",
        known.join(", ")
    )
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
