//! Reads every project file and validates it into the checked [`Project`] model.
//!
//! Validation never stops at the first problem: it collects all of them, each naming the file,
//! the line and the key, so one `osservatorio check` shows everything to fix.

mod error;
mod locate;
pub mod model;
pub mod period;
pub mod raw;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors};
pub use locate::LineIndex;
pub use model::*;
pub use period::{Grain, Period};

use raw::*;

/// A YAML file being validated: where it is and where its keys are.
struct FileCtx {
    /// Path relative to the project, as messages show it.
    shown: PathBuf,
    index: LineIndex,
}

impl FileCtx {
    fn err(&self, errs: &mut ConfigErrors, key: &str, message: impl Into<String>) {
        errs.push(&self.shown, self.index.line_of(key), key, message);
    }
}

fn shown_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Reads and deserialises one YAML file; a syntax or shape error is recorded with serde's location.
fn read_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    path: &Path,
    errs: &mut ConfigErrors,
) -> Option<(T, FileCtx)> {
    let shown = shown_path(root, path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errs.push(&shown, None, "", format!("cannot read the file: {e}"));
            return None;
        }
    };
    let index = LineIndex::build(&text);
    match serde_yaml_ng::from_str::<T>(&text) {
        Ok(v) => Some((v, FileCtx { shown, index })),
        Err(e) => {
            let line = e.location().map(|l| l.line());
            let msg = e.to_string();
            // serde_yaml_ng appends " at line N column M"; the line is already in front.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let msg = if msg.contains("untagged enum Text") {
                format!(
                    "{msg}: a text is a string or a map of languages such as {{ it: \"...\", en: \"...\" }} (quote texts that contain commas)"
                )
            } else if msg.contains("untagged enum ColumnMapFile") {
                format!(
                    "{msg}: a column is mapped to the export's header (\"N. presenti\") or to {{ header: \"Codice ISTAT\", pad: 6 }}"
                )
            } else {
                msg
            };
            errs.push(
                &shown,
                line,
                "",
                format!(
                    "{msg} (the README's \"Configuration\" section lists the keys this file takes)"
                ),
            );
            None
        }
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Loads and validates the project in `root`.
pub fn load_project(root: &Path) -> Result<Project, ConfigErrors> {
    let mut errs = ConfigErrors::default();
    let root = root.to_path_buf();
    let settings_path = root.join("osservatorio.yaml");
    let (settings, territories_path) = if settings_path.exists() {
        match read_yaml::<ProjectFile>(&root, &settings_path, &mut errs) {
            Some((file, ctx)) => check_settings(&root, file, &ctx, &mut errs),
            None => check_settings(
                &root,
                ProjectFile::default(),
                &no_ctx("osservatorio.yaml"),
                &mut errs,
            ),
        }
    } else {
        check_settings(
            &root,
            ProjectFile::default(),
            &no_ctx("osservatorio.yaml"),
            &mut errs,
        )
    };
    let territories = load_territories(&root, &territories_path, &mut errs);

    let mut tables = BTreeMap::new();
    let mut pipelines = Vec::new();
    let mut sources = Vec::new();
    let mut pending_sources = Vec::new();
    for path in yaml_files(&root.join("pipelines")) {
        if let Some((file, ctx)) = read_yaml::<PipelineFile>(&root, &path, &mut errs) {
            check_pipeline(
                file,
                ctx,
                &mut tables,
                &mut pipelines,
                &mut pending_sources,
                &mut errs,
            );
        }
    }
    let mut source_names = BTreeSet::new();
    for (raw, ctx, key, pipeline) in pending_sources {
        if let Some(s) = check_source(
            &root,
            raw,
            &ctx,
            &key,
            &pipeline,
            &tables,
            &territories,
            &mut errs,
        ) {
            if !source_names.insert(s.name.clone()) {
                ctx.err(
                    &mut errs,
                    &format!("{key}.name"),
                    format!(
                        "source '{}' is declared twice; source names are unique in the project",
                        s.name
                    ),
                );
            }
            sources.push(s);
        }
    }

    let mut indicators: Vec<Indicator> = Vec::new();
    // Delivery indicators exist whenever a source declares its cadence.
    if sources.iter().any(|s| s.expected.is_some()) {
        indicators.push(Builtin::Completeness.indicator());
        indicators.push(Builtin::Timeliness.indicator());
    }
    let mut all_indicators_read = true;
    for path in yaml_files(&root.join("indicators")) {
        let parsed = read_yaml::<IndicatorsFile>(&root, &path, &mut errs);
        all_indicators_read &= parsed.is_some();
        if let Some((file, ctx)) = parsed {
            for (i, raw) in file.indicators.into_iter().enumerate() {
                let key = format!("indicators[{i}]");
                if let Some(ind) = check_indicator(raw, &ctx, &key, &territories, &mut errs) {
                    if indicators.iter().any(|x| x.id == ind.id) {
                        ctx.err(
                            &mut errs,
                            &format!("{key}.id"),
                            format!(
                                "indicator '{}' is declared twice; ids are unique in the project",
                                ind.id
                            ),
                        );
                    }
                    indicators.push(ind);
                }
            }
        }
    }

    let mut dashboards: Vec<Dashboard> = Vec::new();
    for path in yaml_files(&root.join("dashboards")) {
        if let Some((file, ctx)) = read_yaml::<DashboardFile>(&root, &path, &mut errs)
            && let Some(d) = check_dashboard(
                file,
                &ctx,
                &indicators,
                all_indicators_read,
                &territories,
                &mut errs,
            )
        {
            if dashboards.iter().any(|x| x.id == d.id) {
                ctx.err(
                    &mut errs,
                    "id",
                    format!("dashboard '{}' is declared twice; ids are unique", d.id),
                );
            }
            dashboards.push(d);
        }
    }

    if !errs.is_empty() {
        errs.0
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(errs);
    }
    Ok(Project {
        root,
        settings,
        territories,
        tables,
        pipelines,
        sources,
        indicators,
        dashboards,
    })
}

fn no_ctx(name: &str) -> FileCtx {
    FileCtx {
        shown: PathBuf::from(name),
        index: LineIndex::default(),
    }
}

fn resolve(root: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

fn check_settings(
    root: &Path,
    f: ProjectFile,
    ctx: &FileCtx,
    errs: &mut ConfigErrors,
) -> (Settings, PathBuf) {
    let locale = match f.locale.as_deref() {
        None | Some("it") => Locale::It,
        Some("en") => Locale::En,
        Some(other) => {
            ctx.err(
                errs,
                "locale",
                format!("'{other}' is not a supported locale; use it or en"),
            );
            Locale::It
        }
    };
    let timezone = match f.timezone.as_deref() {
        None => chrono_tz::Europe::Rome,
        Some(tz) => tz.parse().unwrap_or_else(|_| {
            ctx.err(
                errs,
                "timezone",
                format!("'{tz}' is not an IANA time zone; use a name such as Europe/Rome"),
            );
            chrono_tz::Europe::Rome
        }),
    };
    let warehouse = f.warehouse.unwrap_or_else(|| "warehouse/".to_string());
    let warehouse = if warehouse.contains("://") {
        warehouse
    } else {
        resolve(root, &warehouse).to_string_lossy().into_owned()
    };
    let mut plan_periods = Vec::new();
    for (i, p) in f.plan_periods.unwrap_or_default().iter().enumerate() {
        match Period::parse(p) {
            Some(pp @ Period::Plan { .. }) => plan_periods.push(pp),
            _ => ctx.err(
                errs,
                &format!("plan_periods[{i}]"),
                format!("'{p}' is not a plan period; write it as \"2025-2027\""),
            ),
        }
    }
    let settings = Settings {
        name: f.name.unwrap_or_else(|| "osservatorio".to_string()),
        locale,
        timezone,
        warehouse,
        output: resolve(root, f.output.as_deref().unwrap_or("out/")),
        min_cell: f.privacy.and_then(|p| p.min_cell).unwrap_or(5),
        plan_periods,
    };
    (
        settings,
        resolve(root, f.territories.as_deref().unwrap_or("territories.csv")),
    )
}

fn load_territories(root: &Path, path: &Path, errs: &mut ConfigErrors) -> Territories {
    let shown = shown_path(root, path);
    let mut out = Territories::default();
    if !path.exists() {
        return out;
    }
    let mut reader = match csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
    {
        Ok(r) => r,
        Err(e) => {
            errs.push(
                &shown,
                None,
                "",
                format!("cannot read the territories file: {e}"),
            );
            return out;
        }
    };
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci), Some(ni), Some(li), Some(pi)) =
        (col("code"), col("name"), col("level"), col("parent"))
    else {
        errs.push(
            &shown,
            Some(1),
            "",
            "the header must be code,name,level,parent",
        );
        return out;
    };
    let mut lines = BTreeMap::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errs.push(&shown, Some(line), "", format!("unreadable row: {e}"));
                continue;
            }
        };
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let code = get(ci);
        if code.is_empty() {
            errs.push(&shown, Some(line), "code", "a territory needs a code");
            continue;
        }
        if out.by_code.contains_key(&code) {
            errs.push(
                &shown,
                Some(line),
                "code",
                format!("territory '{code}' is listed twice"),
            );
            continue;
        }
        let parent = Some(get(pi)).filter(|p| !p.is_empty());
        lines.insert(code.clone(), line);
        out.by_code.insert(
            code.clone(),
            Territory {
                code,
                name: get(ni),
                level: get(li),
                parent,
            },
        );
    }
    for t in out.by_code.values() {
        let line = lines.get(&t.code).copied();
        if let Some(p) = &t.parent {
            if !out.by_code.contains_key(p) {
                errs.push(
                    &shown,
                    line,
                    "parent",
                    format!(
                        "'{}' has parent '{p}', which is not a territory in this file",
                        t.code
                    ),
                );
            } else if out.ancestors(&t.code).contains(&t.code) {
                errs.push(
                    &shown,
                    line,
                    "parent",
                    format!(
                        "'{}' is its own ancestor; the parents must form a tree",
                        t.code
                    ),
                );
            }
        }
    }
    out
}

type PendingSource = (SourceFile, std::rc::Rc<FileCtx>, String, String);

fn check_pipeline(
    f: PipelineFile,
    ctx: FileCtx,
    tables: &mut BTreeMap<String, Table>,
    pipelines: &mut Vec<Pipeline>,
    pending: &mut Vec<PendingSource>,
    errs: &mut ConfigErrors,
) {
    if let Some(s) = &f.schedule
        && let Err(e) = s.parse::<cron::Schedule>()
    {
        ctx.err(errs, "schedule", format!("'{s}' is not a cron expression ({e}); write six fields with seconds first, e.g. \"0 30 6 * * *\""));
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
        if !is_identifier(&name) {
            ctx.err(
                errs,
                &key,
                "a table name is lower-case letters, digits and _, starting with a letter",
            );
        }
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
                Some(ty) => columns.push(Column { name: c.clone(), ty, required: t.required.contains(c) }),
                None => ctx.err(errs, &format!("{key}.columns.{c}"), format!("'{ty}' is not a column type; use string, int, float, bool, date or timestamp")),
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
        let mut checks = Vec::new();
        for (i, c) in t.checks.into_iter().enumerate() {
            let severity = match c.severity.as_deref() {
                None | Some("warning") => Severity::Warning,
                Some("error") => Severity::Error,
                Some(s) => {
                    ctx.err(
                        errs,
                        &format!("{key}.checks[{i}].severity"),
                        format!("'{s}' is not a severity; use warning or error"),
                    );
                    Severity::Warning
                }
            };
            if c.rule.trim().is_empty() {
                ctx.err(
                    errs,
                    &format!("{key}.checks[{i}].rule"),
                    "a check needs a SQL condition, e.g. \"presenti <= posti\"",
                );
            }
            let check_key = format!("{key}.checks[{i}].rule");
            checks.push(Check {
                name: c.name,
                rule: c.rule,
                severity,
                line: ctx.index.line_of(&check_key),
                key: check_key,
            });
        }
        let mut outliers = Vec::new();
        for (i, o) in t.outliers.into_iter().enumerate() {
            let okey = format!("{key}.outliers[{i}]");
            let numeric = |c: &str| {
                columns.iter().any(|x: &Column| {
                    x.name == c && matches!(x.ty, ColumnType::Int | ColumnType::Float)
                })
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
                        format!("'{c}' is not an int or float column of table '{name}'"),
                    );
                }
            }
            if let Some(b) = &o.by
                && !columns.iter().any(|x| &x.name == b)
            {
                ctx.err(
                    errs,
                    &format!("{okey}.by"),
                    format!("'{b}' is not a column of table '{name}'"),
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
            outliers.push(OutlierRule {
                columns: o.columns,
                by: o.by,
                threshold,
            });
        }
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

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

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
            .is_some_and(|p| parse_date_with(p, f).is_some());
        if !valid {
            ctx.err(errs, &format!("{key}.options.date_format"), format!("'{f}' is not a strftime date format with day, month and year, e.g. \"%d/%m/%Y\""));
        }
    }
    TextFormat {
        decimal,
        date_format,
    }
}

/// Parses a date with a strftime format; a format without a day (such as `%m/%Y`) names the first of the month.
pub fn parse_date_with(s: &str, format: &str) -> Option<chrono::NaiveDate> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, format) {
        return Some(d);
    }
    let has_day = ["%d", "%e", "%j"].iter().any(|d| format.contains(d));
    if has_day {
        return None;
    }
    chrono::NaiveDate::parse_from_str(&format!("01 {s}"), &format!("%d {format}")).ok()
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

#[allow(clippy::too_many_arguments)]
fn check_source(
    root: &Path,
    s: SourceFile,
    ctx: &FileCtx,
    key: &str,
    pipeline: &str,
    tables: &BTreeMap<String, Table>,
    territories: &Territories,
    errs: &mut ConfigErrors,
) -> Option<Source> {
    let before = errs.0.len();
    let table = tables.get(&s.table);
    if table.is_none() {
        let known: Vec<&str> = tables.keys().map(String::as_str).collect();
        ctx.err(
            errs,
            &format!("{key}.table"),
            format!(
                "table '{}' is not declared in any pipeline (declared: {})",
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
            format!("territory '{t}' is not in territories.csv"),
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
    let expected = s.expected.as_deref().and_then(|e| {
        let c = Cadence::parse(e);
        if c.is_none() {
            ctx.err(
                errs,
                &format!("{key}.expected"),
                format!("'{e}' is not a cadence; use daily, weekly, monthly, quarterly or yearly"),
            );
        }
        c
    });
    let grace_days = match s.grace.as_deref() {
        None => 0,
        Some(g) => {
            match parse_days(g) {
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
            }
        }
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
        file: ctx.shown.clone(),
        line: ctx.index.line_of(key),
    })
}

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
pub fn unset_header_variables(project: &Project) -> ConfigErrors {
    let mut errs = ConfigErrors::default();
    for s in &project.sources {
        for h in &s.headers {
            if let Err(var) = h.resolve() {
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

fn check_indicator(
    f: IndicatorFile,
    ctx: &FileCtx,
    key: &str,
    territories: &Territories,
    errs: &mut ConfigErrors,
) -> Option<Indicator> {
    let before = errs.0.len();
    if !is_identifier(&f.id) || f.id.starts_with('_') {
        ctx.err(
            errs,
            &format!("{key}.id"),
            "an indicator id is lower-case letters, digits and _, starting with a letter (ids starting with _ are built in)",
        );
    }
    let kind = match f.kind.as_str() {
        "output" => Kind::Output,
        "process" => Kind::Process,
        "outcome" => Kind::Outcome,
        k => {
            ctx.err(
                errs,
                &format!("{key}.kind"),
                format!("'{k}' is not a kind; use output, process or outcome"),
            );
            Kind::Output
        }
    };
    let unit = Unit::parse(&f.unit).unwrap_or_else(|| {
        ctx.err(errs, &format!("{key}.unit"), format!("'{}' is not a unit; use count, percent, ratio, per_1000, hours, days, euro or score", f.unit));
        Unit::Count
    });
    let grain = Grain::parse(&f.grain).unwrap_or_else(|| {
        ctx.err(
            errs,
            &format!("{key}.grain"),
            format!(
                "'{}' is not a grain; use month, quarter, year or plan",
                f.grain
            ),
        );
        Grain::Month
    });
    let direction = match f.direction.as_deref() {
        None | Some("up") => Direction::Up,
        Some("down") => Direction::Down,
        Some(d) => {
            ctx.err(
                errs,
                &format!("{key}.direction"),
                format!("'{d}' is not a direction; use up or down"),
            );
            Direction::Up
        }
    };
    let time_rollup = match f.time_rollup.as_deref() {
        None | Some("sum") => TimeRollup::Sum,
        Some("last") => TimeRollup::Last,
        Some("mean") => TimeRollup::Mean,
        Some("none") => TimeRollup::None,
        Some(t) => {
            ctx.err(
                errs,
                &format!("{key}.time_rollup"),
                format!("'{t}' is not a time roll-up; use sum, last, mean or none"),
            );
            TimeRollup::Sum
        }
    };
    let territory_rollup = match f.territory_rollup.as_deref() {
        None | Some("sum") => true,
        Some("none") => false,
        Some(t) => {
            ctx.err(
                errs,
                &format!("{key}.territory_rollup"),
                format!("'{t}' is not a territory roll-up; use sum or none"),
            );
            true
        }
    };
    if f.sql.trim().is_empty() {
        ctx.err(
            errs,
            &format!("{key}.sql"),
            "an indicator needs a SQL query returning territory, period, numerator [, denominator]",
        );
    }
    if !f.targets.is_empty() && f.targets_sql.is_some() {
        ctx.err(
            errs,
            &format!("{key}.targets_sql"),
            "give either targets or targets_sql, not both",
        );
    }
    let mut targets = Vec::new();
    for (i, t) in f.targets.into_iter().enumerate() {
        let tkey = format!("{key}.targets[{i}]");
        if let Some(code) = &t.territory
            && territories.get(code).is_none()
        {
            ctx.err(
                errs,
                &format!("{tkey}.territory"),
                format!("territory '{code}' is not in territories.csv"),
            );
        }
        let period = t.period.as_deref().and_then(|p| {
            let parsed = Period::parse(p);
            if parsed.is_none() {
                ctx.err(
                    errs,
                    &format!("{tkey}.period"),
                    format!("'{p}' is not a period; write 2024-03, 2024-Q1, 2024 or 2025-2027"),
                );
            }
            parsed
        });
        let tgrain = t.grain.as_deref().and_then(|g| {
            let parsed = Grain::parse(g);
            if parsed.is_none() {
                ctx.err(
                    errs,
                    &format!("{tkey}.grain"),
                    format!("'{g}' is not a grain; use month, quarter, year or plan"),
                );
            }
            parsed
        });
        if !t.value.is_finite() {
            ctx.err(
                errs,
                &format!("{tkey}.value"),
                "a target value is a finite number",
            );
        }
        targets.push(Target {
            territory: t.territory,
            period,
            grain: tgrain,
            value: t.value,
        });
    }
    let suppress_small_cells = match f.small_cells.as_deref() {
        None | Some("suppress") => true,
        Some("show") => false,
        Some(other) => {
            ctx.err(
                errs,
                &format!("{key}.small_cells"),
                format!("'{other}' is not a small-cell rule; use suppress (people) or show (facilities, hours, money)"),
            );
            true
        }
    };
    let on_track = f.on_track.unwrap_or(90.0);
    if !(0.0..=100.0).contains(&on_track) {
        ctx.err(
            errs,
            &format!("{key}.on_track"),
            "on_track is a percentage of the target between 0 and 100",
        );
    }
    if errs.0.len() > before {
        return None;
    }
    Some(Indicator {
        id: f.id,
        title: f.title,
        description: f.description,
        kind,
        unit,
        grain,
        direction,
        sql: f.sql,
        time_rollup,
        territory_rollup,
        targets,
        targets_sql: f.targets_sql,
        on_track,
        suppress_small_cells,
        builtin: None,
        file: ctx.shown.clone(),
        key: key.to_string(),
        line: ctx.index.line_of(key),
        sql_line: ctx.index.line_of(&format!("{key}.sql")),
    })
}

fn check_dashboard(
    f: DashboardFile,
    ctx: &FileCtx,
    indicators: &[Indicator],
    all_indicators_read: bool,
    territories: &Territories,
    errs: &mut ConfigErrors,
) -> Option<Dashboard> {
    let before = errs.0.len();
    if !is_identifier(&f.id.replace('-', "_")) {
        ctx.err(
            errs,
            "id",
            "a dashboard id is lower-case letters, digits, - and _ (it names a folder)",
        );
    }
    let parse_period = |p: &str, key: &str, errs: &mut ConfigErrors| -> Option<Period> {
        let parsed = Period::parse(p);
        if parsed.is_none() {
            ctx.err(
                errs,
                key,
                format!("'{p}' is not a period; write 2024-03, 2024-Q1, 2024 or 2025-2027"),
            );
        }
        parsed
    };
    let period = f.period.as_ref().and_then(|r| {
        let from = parse_period(&r.from, "period.from", errs)?;
        let to = parse_period(&r.to, "period.to", errs)?;
        Some((from, to))
    });
    let indicator = |id: &str, key: &str, errs: &mut ConfigErrors| {
        // When an indicators file did not parse, its ids are unknown: say nothing rather than cascade.
        if all_indicators_read && !indicators.iter().any(|i| i.id == id) {
            ctx.err(
                errs,
                key,
                format!("indicator '{id}' is not defined in indicators/"),
            );
        }
    };
    let territory = |code: &str, key: &str, errs: &mut ConfigErrors| {
        if territories.get(code).is_none() {
            ctx.err(
                errs,
                key,
                format!("territory '{code}' is not in territories.csv"),
            );
        }
    };
    let selector =
        |sel: TerritoriesFile, key: &str, errs: &mut ConfigErrors| -> TerritorySelector {
            match sel {
                TerritoriesFile::List(v) => {
                    for (i, c) in v.iter().enumerate() {
                        territory(c, &format!("{key}[{i}]"), errs);
                    }
                    TerritorySelector::List(v)
                }
                TerritoriesFile::Selector(SelectorFile {
                    children_of: Some(c),
                    level: None,
                }) => {
                    territory(&c, &format!("{key}.children_of"), errs);
                    TerritorySelector::ChildrenOf(c)
                }
                TerritoriesFile::Selector(SelectorFile {
                    children_of: None,
                    level: Some(l),
                }) => {
                    if territories.at_level(&l).is_empty() {
                        ctx.err(
                            errs,
                            &format!("{key}.level"),
                            format!("no territory has level '{l}' in territories.csv"),
                        );
                    }
                    TerritorySelector::Level(l)
                }
                TerritoriesFile::Selector(_) => {
                    ctx.err(
                        errs,
                        key,
                        "write a list of codes, { children_of: CODE } or { level: LEVEL }",
                    );
                    TerritorySelector::List(Vec::new())
                }
            }
        };
    let mut sections = Vec::new();
    for (si, s) in f.sections.into_iter().enumerate() {
        let mut charts = Vec::new();
        for (ci, c) in s.charts.into_iter().enumerate() {
            let key = format!("sections[{si}].charts[{ci}]");
            let chart = match c {
                ChartFile::Trend {
                    indicator: id,
                    territories: t,
                    grain,
                    title,
                } => {
                    indicator(&id, &format!("{key}.indicator"), errs);
                    let own = indicators
                        .iter()
                        .find(|i| i.id == id)
                        .map(|i| i.grain)
                        .unwrap_or(Grain::Month);
                    let grain = match grain.as_deref() {
                        None => own,
                        Some(g) => Grain::parse(g).unwrap_or_else(|| {
                            ctx.err(
                                errs,
                                &format!("{key}.grain"),
                                format!("'{g}' is not a grain; use month, quarter, year or plan"),
                            );
                            own
                        }),
                    };
                    Chart::Trend {
                        indicator: id,
                        territories: selector(t, &format!("{key}.territories"), errs),
                        grain,
                        title,
                    }
                }
                ChartFile::Bar {
                    indicator: id,
                    territories: t,
                    period,
                    title,
                } => {
                    indicator(&id, &format!("{key}.indicator"), errs);
                    let period =
                        period.and_then(|p| parse_period(&p, &format!("{key}.period"), errs));
                    Chart::Bar {
                        indicator: id,
                        territories: selector(t, &format!("{key}.territories"), errs),
                        period,
                        title,
                    }
                }
                ChartFile::Target {
                    indicators: ids,
                    territory: t,
                    period,
                    title,
                } => {
                    for (i, id) in ids.iter().enumerate() {
                        indicator(id, &format!("{key}.indicators[{i}]"), errs);
                    }
                    territory(&t, &format!("{key}.territory"), errs);
                    let period =
                        period.and_then(|p| parse_period(&p, &format!("{key}.period"), errs));
                    Chart::Target {
                        indicators: ids,
                        territory: t,
                        period,
                        title,
                    }
                }
                ChartFile::Table {
                    indicators: ids,
                    territories: t,
                    period,
                    title,
                } => {
                    for (i, id) in ids.iter().enumerate() {
                        indicator(id, &format!("{key}.indicators[{i}]"), errs);
                    }
                    let period =
                        period.and_then(|p| parse_period(&p, &format!("{key}.period"), errs));
                    Chart::Table {
                        indicators: ids,
                        territories: selector(t, &format!("{key}.territories"), errs),
                        period,
                        title,
                    }
                }
            };
            charts.push(chart);
        }
        sections.push(Section {
            title: s.title,
            text: s.text,
            charts,
        });
    }
    if errs.0.len() > before {
        return None;
    }
    Some(Dashboard {
        id: f.id,
        title: f.title,
        period,
        sections,
        file: ctx.shown.clone(),
    })
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
