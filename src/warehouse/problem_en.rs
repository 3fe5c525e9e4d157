//! The problems of a run in English: the terminal's, the run record's and the English pages' text.

use super::problem::{HeaderFix, Problem, Worded};
use crate::config::Locale;

pub(super) fn text(p: &Problem) -> String {
    match p {
        Problem::NotUtf8 {
            file,
            line,
            byte,
            offset,
        } => format!(
            "{file}:{line}: byte 0x{byte:02X} (at byte {offset} of the file) is not valid UTF-8, so the export is in another encoding; nothing of it was stored. Declare it in the source's options, most often encoding: windows-1252 (Excel on Windows), or save the export as UTF-8"
        ),
        Problem::MissingHeader { .. } => missing_header(p),
        Problem::TooManyRejected {
            file,
            rejected,
            total,
            first,
        } => format!(
            "{file}: {rejected} of {total} rows rejected, more than max_rejected allows; first: {}; every rejected line is in _rejected/, the last good data is kept",
            first
                .as_ref()
                .map(|r| r.text(Locale::En))
                .unwrap_or_default()
        ),
        Problem::HeldBack {
            file,
            name,
            rows,
            previous,
            drop,
            max_shrink,
        } => format!(
            "{file}: held back: the new export has {rows} row(s) where the last good data has {previous} (a drop of {:.0}%, more than max_shrink {max_shrink}% allows); the last good data is kept. Check the export, then take it with: osservatorio ingest --accept {name}",
            // Rounded as the Italian text rounds it (halves away from zero).
            drop.round()
        ),
        Problem::IndicatorFailed {
            file,
            line,
            indicator,
            detail,
            ..
        } => format!(
            "{}: indicator {indicator}: {detail}",
            crate::text::place(file, *line)
        ),
        Problem::CeasedCode { .. } => ceased_code(p),
        Problem::CeasedCodeInIndicator {
            indicator,
            code,
            name,
            ceased,
            successor,
            successor_name,
        } => format!(
            "indicator {indicator}: the figures of code {code} ({name}, ceased {ceased}) are counted under {successor} ({successor_name})"
        ),
        Problem::Several {
            source,
            problems,
            more,
        } => {
            let listed: Vec<String> = problems.iter().map(text).collect();
            let mut t = listed.join("; ");
            if *more > 0 {
                t.push_str(&format!(
                    "; and {more} more deliveries failed (osservatorio deliveries --source {source} lists them)"
                ));
            }
            t
        }
        Problem::Unreadable { file, line, cause } => {
            super::problem_read::unreadable_text(file, *line, cause, Locale::En)
        }
        Problem::FetchFailed { url, cause } => format!("{url}: {}", cause.text(Locale::En)),
        Problem::CheckNotRun { check } => check.text(Locale::En),
        Problem::StepFailed { text, .. } | Problem::Other { text } => text.clone(),
    }
}

fn missing_header(p: &Problem) -> String {
    let Problem::MissingHeader {
        file,
        column,
        header,
        found,
        near,
        fix,
    } = p
    else {
        return String::new();
    };
    let hint = match (fix, near) {
        (Some(HeaderFix::Windows1252), _) => "; read as Windows-1252 (Excel on Windows) the export has every mapped header: set encoding: windows-1252 in the source's options".to_string(),
        (Some(HeaderFix::HeaderRow { row }), _) => format!(
            "; row {row} holds every mapped header: set header_row: {row} in the source's options"
        ),
        (None, Some(n)) => format!(": did you mean '{}'?", crate::text::excerpt(n)),
        (None, None) => String::new(),
    };
    format!(
        "{file}: column '{column}' is mapped to the header '{header}', which the export does not have{hint} (headers: {found}); correct the header in the source's columns, or set options.header_row if the header is not the first row"
    )
}

fn ceased_code(p: &Problem) -> String {
    let Problem::CeasedCode {
        file,
        column,
        rows,
        code,
        name,
        ceased,
        successor,
        successor_name,
    } = p
    else {
        return String::new();
    };
    format!(
        "{rows} {} of {file} with code {code} ({name}, ceased {ceased}) counted under {successor} ({successor_name}), column {column}",
        if *rows == 1 { "row" } else { "rows" }
    )
}
