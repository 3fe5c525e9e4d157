//! `check` opening the exports: what a run would reject, and the setting that would read a header it cannot find.

use super::*;

/// The export's header closest to `wanted`, when one is close enough to be a typo of it.
pub(super) fn closest_header<'h>(wanted: &str, headers: &'h [String]) -> Option<&'h str> {
    let wanted = normalize_header(wanted);
    headers
        .iter()
        .map(|h| (strsim::jaro_winkler(&wanted, &normalize_header(h)), h))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h.as_str())
}

/// What opening every delivery of every source found: the sources that a run would fail, and
/// the rows it would reject. The exports are read whole into a scratch warehouse, removed after:
/// nothing is written to the project's warehouse or output.
pub async fn check_exports(project: &Project) -> Result<Vec<ExportCheck>, IngestError> {
    let scratch = tempfile::tempdir().map_err(IngestError::Scratch)?;
    let mut trial = project.clone();
    trial.settings.warehouse = scratch.path().join("warehouse").display().to_string();
    trial.settings.output = scratch.path().join("out");
    let wh = Warehouse::open(&trial.settings.warehouse)?;
    let opts = IngestOptions {
        full: true,
        accept: project.sources.iter().map(|s| s.name.clone()).collect(),
    };
    let outcomes = ingest(&trial, &wh, "check", &[], &opts).await;
    let ctx = crate::warehouse::session::warehouse_context(&wh)?;
    crate::warehouse::session::register_rejected(&ctx, &trial, &wh).await?;
    let mut out = Vec::new();
    for o in outcomes {
        let sql = format!(
            "SELECT delivery, line, \"column\", value, reason FROM _rejected WHERE source = '{}' ORDER BY delivery, line LIMIT {FIRST_REJECTIONS}",
            o.source.replace('\'', "''")
        );
        let first = match ctx.sql(&sql).await {
            Ok(df) => df.collect().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut rejections = Vec::new();
        for b in &first {
            let text = |i: usize, r: usize| {
                datafusion::arrow::util::display::array_value_to_string(b.column(i), r)
                    .unwrap_or_default()
            };
            for r in 0..b.num_rows() {
                rejections.push(format!(
                    "{} line {}, column {}: '{}' {}",
                    text(0, r),
                    text(1, r),
                    text(2, r),
                    text(3, r),
                    text(4, r)
                ));
            }
        }
        out.push(ExportCheck {
            outcome: o,
            rejections,
        });
    }
    Ok(out)
}

/// Rejected rows `check` quotes per source.
pub(super) const FIRST_REJECTIONS: usize = 3;

/// What `check` found opening one source's deliveries.
pub struct ExportCheck {
    /// How a run would end for the source.
    pub outcome: SourceOutcome,
    /// The first rows a run would reject, with delivery, line, column, value and reason.
    pub rejections: Vec<String>,
}

pub(super) fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `format` reading its header from row `k` instead, for the formats that have a header row.
pub(super) fn with_header_row(format: &Format, k: usize) -> Option<Format> {
    let mut f = format.clone();
    match &mut f {
        Format::Csv { header_row, .. }
        | Format::Xlsx { header_row, .. }
        | Format::Ods { header_row, .. } => *header_row = k,
        _ => return None,
    }
    Some(f)
}

/// `format` decoding the text as Windows-1252 (Excel on Windows), for the text formats.
pub(super) fn as_windows_1252(format: &Format) -> Option<Format> {
    let mut f = format.clone();
    match &mut f {
        Format::Csv { encoding, .. } | Format::Json { encoding, .. }
            if *encoding != encoding_rs::WINDOWS_1252 =>
        {
            *encoding = encoding_rs::WINDOWS_1252
        }
        _ => return None,
    }
    Some(f)
}

/// Whether the export read as `format` has every header the source maps.
pub(super) fn has_mapped_headers(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
    format: &Format,
) -> bool {
    let wanted: Vec<String> = source
        .columns
        .iter()
        .filter(|m| m.mapped)
        .map(|m| normalize_header(&m.header))
        .collect();
    !wanted.is_empty()
        && readers::open(path, shown, format).is_ok_and(|(headers, _)| {
            let found: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
            wanted.iter().all(|w| found.contains(w))
        })
}

/// The setting under which the export has every mapped header, when one does: exports often open
/// with a title or two above the header, or come in Excel's Windows encoding.
pub(super) fn header_setting_fix(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
) -> Option<HeaderFix> {
    if let Some(f) = as_windows_1252(&source.format)
        && has_mapped_headers(path, shown, source, &f)
    {
        return Some(HeaderFix::Windows1252);
    }
    (1..=20)
        .find(|&k| {
            with_header_row(&source.format, k)
                .is_some_and(|f| has_mapped_headers(path, shown, source, &f))
        })
        .map(|k| HeaderFix::HeaderRow { row: k as u64 })
}

/// A missing header's error, with the setting that finds the headers when one does.
pub(super) fn with_header_row_hint(
    mut e: IngestError,
    path: &std::path::Path,
    shown: &str,
    source: &Source,
) -> IngestError {
    if let IngestError::Typed(p) = &mut e
        && let Problem::MissingHeader { fix, .. } = p.as_mut()
    {
        *fix = header_setting_fix(path, shown, source);
    }
    e
}
