//! Feedback to the sender: per delivery, `OUTPUT/deliveries/SOURCE/FILE.csv` and `.xlsx` with
//! what was read, what was skipped, every rejected row (line, column, value, reason) and the
//! rule findings of that file, in the project's language, for the office to hand back.

use std::path::PathBuf;

use super::ParseStats;
use super::delivery::Read;
use super::findings::Finding;
use crate::config::{Locale, Project, Source};
use crate::warehouse::problem::Worded;

/// What one delivery's outcome file says.
pub(super) struct Report<'a> {
    error: Option<&'a crate::warehouse::problem::Problem>,
    stats: Option<&'a ParseStats>,
    findings: &'a [Finding],
}

impl<'a> Report<'a> {
    /// The outcome of a delivery that was read.
    pub fn read(r: &'a Read) -> Report<'a> {
        Report {
            error: None,
            stats: Some(&r.stats),
            findings: &r.found,
        }
    }

    /// The outcome of a delivery that failed (its rows, when it was parsed at all).
    pub fn failed(
        error: &'a crate::warehouse::problem::Problem,
        stats: Option<&'a ParseStats>,
    ) -> Report<'a> {
        Report {
            error: Some(error),
            stats,
            findings: &[],
        }
    }
}

/// The folder of a source's outcome files.
pub fn folder(project: &Project, source: &str) -> PathBuf {
    project.settings.output.join("deliveries").join(source)
}

pub use crate::warehouse::manifest::outcome_stem as stem;

struct Words {
    header: [&'static str; 5],
    summary: &'static str,
    rejected: &'static str,
    outcome: &'static str,
    read_ok: &'static str,
    failed: &'static str,
    rows_read: &'static str,
    rows_stored: &'static str,
    skipped: &'static str,
    rejected_rows: &'static str,
    error: &'static str,
}

fn words(locale: Locale) -> Words {
    match locale {
        Locale::It => Words {
            header: ["tipo", "riga", "colonna", "valore", "motivo"],
            summary: "riepilogo",
            rejected: "scartata",
            outcome: "esito",
            read_ok: "letta",
            failed: "non letta",
            rows_read: "righe lette",
            rows_stored: "righe registrate",
            skipped: "righe di totale saltate",
            rejected_rows: "righe scartate",
            error: "errore",
        },
        Locale::En => Words {
            header: ["kind", "line", "column", "value", "reason"],
            summary: "summary",
            rejected: "rejected",
            outcome: "outcome",
            read_ok: "read",
            failed: "not read",
            rows_read: "rows read",
            rows_stored: "rows stored",
            skipped: "total rows skipped",
            rejected_rows: "rows rejected",
            error: "error",
        },
    }
}

/// The outcome's rows: the summary first, then each rejected row, then each finding.
fn rows(report: &Report<'_>, w: &Words, locale: Locale) -> Vec<[String; 5]> {
    let summary = |label: &str, value: String| {
        [
            w.summary.to_string(),
            String::new(),
            label.to_string(),
            value,
            String::new(),
        ]
    };
    let mut out = vec![summary(
        w.outcome,
        if report.error.is_some() {
            w.failed
        } else {
            w.read_ok
        }
        .to_string(),
    )];
    if let Some(e) = report.error {
        out.push(summary(w.error, e.text(locale)));
    }
    if let Some(s) = report.stats {
        out.push(summary(w.rows_read, s.total.to_string()));
        if report.error.is_none() {
            out.push(summary(w.rows_stored, s.written.to_string()));
        }
        out.push(summary(w.skipped, s.skipped.to_string()));
        out.push(summary(w.rejected_rows, s.rejected.to_string()));
        for r in &s.rejections {
            out.push([
                w.rejected.to_string(),
                r.line.to_string(),
                r.column.clone(),
                r.value.clone(),
                r.reason.text(locale),
            ]);
        }
    }
    for f in report.findings {
        out.push([
            f.name.clone(),
            f.line.to_string(),
            f.column.clone(),
            f.value.clone(),
            f.reason.clone(),
        ]);
    }
    out
}

fn csv_bytes(rows: &[[String; 5]], w: &Words) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(w.header)?;
    for r in rows {
        crate::text::write_csv_record(&mut out, r)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

fn xlsx_bytes(rows: &[[String; 5]], w: &Words) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in w.header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let at = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            // Line numbers and counts as numbers; everything else as text, never a formula.
            match cell.parse::<u64>() {
                Ok(n) if c == 1 || c == 3 => sheet.write_number(at, c as u16, n as f64)?,
                _ => sheet.write_string(at, c as u16, cell)?,
            };
        }
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(2, 24)?;
    sheet.set_column_width(3, 24)?;
    sheet.set_column_width(4, 60)?;
    book.save_to_buffer()
}

/// Writes a delivery's outcome files on a thread of its own, beside the reading of the next
/// deliveries; a failure to write them is logged, never fails the delivery. The caller awaits the
/// handle before its source is done.
pub(super) fn write(
    project: &Project,
    source: &Source,
    key: &str,
    report: &Report<'_>,
) -> tokio::task::JoinHandle<()> {
    let w = words(project.settings.locale);
    let rows = rows(report, &w, project.settings.locale);
    let dir = folder(project, &source.name);
    let (name, key, stem) = (source.name.clone(), key.to_string(), stem(key));
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write_both(&dir, &stem, &rows, &w) {
            tracing::warn!(source = %name, delivery = %key, "the delivery's outcome file was not written: {e}");
        }
    })
}

/// Why an outcome file was not written.
#[derive(Debug, thiserror::Error)]
enum OutcomeFileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Persist(#[from] tempfile::PersistError),
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Writes the outcome as `STEM.csv` and `STEM.xlsx` in `dir`.
fn write_both(
    dir: &std::path::Path,
    stem: &str,
    rows: &[[String; 5]],
    w: &Words,
) -> Result<(), OutcomeFileError> {
    std::fs::create_dir_all(dir)?;
    write_atomic(dir, &format!("{stem}.csv"), &csv_bytes(rows, w)?)?;
    write_atomic(dir, &format!("{stem}.xlsx"), &xlsx_bytes(rows, w)?)
}

fn write_atomic(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<(), OutcomeFileError> {
    use std::io::Write;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(dir.join(name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_keep_the_folders_and_drop_the_extension() {
        assert_eq!(stem("2026-10.xlsx"), "2026-10");
        assert_eq!(
            stem("padova/presenze_2026-10.csv"),
            "padova_presenze_2026-10"
        );
        assert_eq!(stem("2026-Q1"), "2026-Q1");
    }
}
