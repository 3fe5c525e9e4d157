//! `pipelines/*.yaml`: schedules and tables (columns, required, checks, outliers).

use chrono::Datelike;

use super::raw::{CheckFile, OutlierFile, PipelineFile, SourceFile, TableFile};
use super::{
    Check, Column, ColumnType, ConfigErrors, FileCtx, OutlierRule, Pipeline, Severity, Table,
    Validation,
};

/// A source waiting for every table to be declared: its YAML, file, key and pipeline.
pub(super) type PendingSource = (SourceFile, std::rc::Rc<FileCtx>, String, String);

/// How far ahead a schedule must fire at least once.
const SCHEDULE_HORIZON_YEARS: i32 = 8;

/// Why `s` is not a schedule that fires: not six cron fields with seconds first, or no time within
/// the next eight years (`0 0 0 31 2 *`, 31 February).
fn schedule_problem(s: &str, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    const EXAMPLE: &str =
        "write six fields with seconds first, e.g. \"0 30 6 * * *\" (06:30 every day)";
    let fields = s.split_whitespace().count();
    if !s.trim_start().starts_with('@') && fields != 6 {
        let year = if fields == 7 {
            " (a year field is not accepted)"
        } else {
            ""
        };
        return Some(format!(
            "'{s}' has {fields} fields{year}; {EXAMPLE}, not six fields without seconds or seven with a year"
        ));
    }
    let schedule = match s.parse::<cron::Schedule>() {
        Ok(x) => x,
        Err(e) => return Some(format!("'{s}' is not a cron expression ({e}); {EXAMPLE}")),
    };
    let horizon = now
        .with_year(now.year() + SCHEDULE_HORIZON_YEARS)
        .unwrap_or(now);
    match schedule.after(&now).next() {
        Some(t) if t <= horizon => None,
        _ => Some(format!(
            "'{s}' never fires: no time within the next {SCHEDULE_HORIZON_YEARS} years matches it (a day the month does not have?); {EXAMPLE}"
        )),
    }
}

impl Validation {
    /// A pipeline's schedule and tables; its sources wait in `pending` until every table is known.
    pub(super) fn check_pipeline(&mut self, f: PipelineFile, ctx: FileCtx) {
        let errs = &mut self.errs;
        let tables = &mut self.tables;
        let pipelines = &mut self.pipelines;
        let pending = &mut self.pending;
        if let Some(s) = &f.schedule
            && let Some(why) = schedule_problem(s, crate::clock::now())
        {
            ctx.err(errs, "schedule", why);
        }
        if let Some(why) = super::names::folder_name_problem("pipeline", &f.name) {
            ctx.err(errs, "name", why);
        }
        if pipelines.iter().any(|p: &Pipeline| p.name == f.name) {
            ctx.err(
                errs,
                "name",
                format!("pipeline '{}' is declared twice", f.name),
            );
        }
        for (name, t) in f.tables {
            let key = format!("tables.{name}");
            if let Some(existing) = tables.get(&name) {
                ctx.err(errs, &key, format!("table '{name}' is already declared in {}; a table is declared once in the project", existing.file.display()));
                continue;
            }
            if let Some(why) = super::names::sql_name_problem("table", &name) {
                ctx.err(errs, &key, why);
            }
            let columns = check_columns(&name, &t, &ctx, &key, errs);
            let checks = t
                .checks
                .into_iter()
                .enumerate()
                .map(|(i, c)| check_rule(c, &ctx, &format!("{key}.checks[{i}]"), errs))
                .collect();
            let outliers = t
                .outliers
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    check_outliers(
                        o,
                        &name,
                        &columns,
                        &ctx,
                        &format!("{key}.outliers[{i}]"),
                        errs,
                    )
                })
                .collect();
            tables.insert(
                name.clone(),
                Table {
                    name,
                    columns,
                    checks,
                    outliers,
                    pipeline: f.name.clone(),
                    file: ctx.shown.clone(),
                },
            );
        }
        let ctx = std::rc::Rc::new(ctx);
        for (i, s) in f.sources.into_iter().enumerate() {
            pending.push((s, ctx.clone(), format!("sources[{i}]"), f.name.clone()));
        }
        pipelines.push(Pipeline {
            name: f.name,
            schedule: f.schedule,
            file: ctx.shown.clone(),
        });
    }
}

/// A table's columns with their types; the required ones must be among them.
fn check_columns(
    name: &str,
    t: &TableFile,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Vec<Column> {
    let mut columns = Vec::new();
    for (c, ty) in &t.columns {
        if !is_identifier(c) || c.starts_with('_') {
            ctx.err(
                errs,
                &format!("{key}.columns.{c}"),
                "a column name is lower-case letters, digits and _, starting with a letter",
            );
        }
        match ColumnType::parse(ty) {
            Some(ty) => columns.push(Column {
                name: c.clone(),
                ty,
                required: t.required.contains(c),
            }),
            None => ctx.err(
                errs,
                &format!("{key}.columns.{c}"),
                format!(
                    "'{ty}' is not a column type; use string, int, float, bool, date or timestamp"
                ),
            ),
        }
    }
    for (i, r) in t.required.iter().enumerate() {
        if !t.columns.contains_key(r) {
            ctx.err(
                errs,
                &format!("{key}.required[{i}]"),
                format!("'{r}' is not a column of table '{name}'"),
            );
        }
    }
    columns
}

/// A row-level rule: its SQL condition and what breaking it does.
fn check_rule(c: CheckFile, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) -> Check {
    let severity = match c.severity.as_deref() {
        None | Some("warning") => Severity::Warning,
        Some("error") => Severity::Error,
        Some(s) => {
            ctx.err(
                errs,
                &format!("{key}.severity"),
                format!("'{s}' is not a severity; use warning or error"),
            );
            Severity::Warning
        }
    };
    let check_key = format!("{key}.rule");
    if c.rule.trim().is_empty() {
        ctx.err(
            errs,
            &check_key,
            "a check needs a SQL condition, e.g. \"presenti <= posti\"",
        );
    }
    Check {
        name: c.name,
        rule: c.rule,
        severity,
        line: ctx.index.line_of(&check_key),
        key: check_key,
    }
}

/// An outlier rule: numeric columns of the table, the column series are grouped by, a threshold.
fn check_outliers(
    o: OutlierFile,
    table: &str,
    columns: &[Column],
    ctx: &FileCtx,
    okey: &str,
    errs: &mut ConfigErrors,
) -> OutlierRule {
    let numeric = |c: &str| {
        columns
            .iter()
            .any(|x| x.name == c && matches!(x.ty, ColumnType::Int | ColumnType::Float))
    };
    if o.columns.is_empty() {
        ctx.err(
            errs,
            &format!("{okey}.columns"),
            "name the numeric columns to watch, e.g. [presenti]",
        );
    }
    for (j, c) in o.columns.iter().enumerate() {
        if !numeric(c) {
            ctx.err(
                errs,
                &format!("{okey}.columns[{j}]"),
                format!("'{c}' is not an int or float column of table '{table}'"),
            );
        }
    }
    if let Some(b) = &o.by
        && !columns.iter().any(|x| &x.name == b)
    {
        ctx.err(
            errs,
            &format!("{okey}.by"),
            format!("'{b}' is not a column of table '{table}'"),
        );
    }
    let threshold = o.threshold.unwrap_or(3.5);
    if !(threshold > 0.0 && threshold <= 100.0) {
        ctx.err(
            errs,
            &format!("{okey}.threshold"),
            "a robust z-score threshold is a number above 0 and at most 100 (3.5 is usual)",
        );
    }
    OutlierRule {
        columns: o.columns,
        by: o.by,
        threshold,
    }
}

/// Whether a name is lower-case letters, digits and `_`, starting with a letter or `_`.
pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
