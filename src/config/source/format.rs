//! A source's format and its options: delimiter, encoding, header row, decimal and date formats.

use super::*;

/// Deserialises a format's options, reporting unknown keys against `options`.
pub(super) fn options<T: serde::de::DeserializeOwned + Default>(
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

pub(super) fn check_text_format(
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

pub(super) fn check_encoding(
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

pub(super) fn check_header_row(
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

/// The source's format with its options, and whether it skips total rows (Parquet exports are
/// typed: no label cells to mistake for data). None for a format that does not exist.
pub(super) fn check_format(
    s: &SourceFile,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Option<(Format, bool)> {
    let opts = s.options.clone();
    Some(match s.format.as_str() {
        "csv" => {
            let o: CsvOptions = options(opts, "csv", ctx, key, errs);
            let format = Format::Csv {
                delimiter: check_delimiter(o.delimiter.as_deref(), ctx, key, errs),
                encoding: check_encoding(o.encoding, ctx, key, errs),
                header_row: check_header_row(o.header_row, ctx, key, errs),
                text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
            };
            (format, o.skip_totals.unwrap_or(true))
        }
        "xlsx" | "ods" => {
            let o: XlsxOptions = options(opts, &s.format, ctx, key, errs);
            let (sheet, header_row, text) = (
                o.sheet,
                check_header_row(o.header_row, ctx, key, errs),
                check_text_format(o.decimal, o.date_format, ctx, key, errs),
            );
            let format = if s.format == "ods" {
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
            };
            (format, o.skip_totals.unwrap_or(true))
        }
        "json" => {
            let o: JsonOptions = options(opts, "json", ctx, key, errs);
            let format = Format::Json {
                encoding: check_encoding(o.encoding, ctx, key, errs),
                text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
            };
            (format, o.skip_totals.unwrap_or(true))
        }
        "parquet" => {
            let o: ParquetOptions = options(opts, "parquet", ctx, key, errs);
            let format = Format::Parquet {
                text: check_text_format(o.decimal, o.date_format, ctx, key, errs),
            };
            (format, false)
        }
        other => {
            ctx.err(
                errs,
                &format!("{key}.format"),
                format!("'{other}' is not a format; use csv, xlsx, ods, json or parquet"),
            );
            return None;
        }
    })
}

pub(super) fn check_delimiter(
    d: Option<&str>,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> u8 {
    match d {
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
    }
}
