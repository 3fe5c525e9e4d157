//! A workbook's sheet as rows, and where its header and total rows are.

use super::*;

/// The rows of a workbook's first sheet as text, how each cell was stored, and the `sheet` choice.
pub(super) fn workbook(path: &Path) -> Result<(Grid, Vec<Vec<Stored>>, Choice), WorkbookFault> {
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto(path).map_err(WorkbookFault::Unreadable)?;
    let names = wb.sheet_names();
    let first = names.first().cloned().ok_or(WorkbookFault::NoSheet)?;
    let range = wb
        .worksheet_range(&first)
        .map_err(WorkbookFault::Unreadable)?;
    // Rows above the used range are empty: kept, so that header_row counts the sheet's rows.
    let above = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = vec![Vec::new(); above];
    let mut stored = vec![Vec::new(); above];
    for r in range.rows() {
        let mut texts = Vec::with_capacity(r.len());
        let mut kinds = Vec::with_capacity(r.len());
        for cell in r {
            let (t, k) = match cell {
                Data::Empty => (String::new(), Stored::Text),
                Data::String(s) => (s.trim().to_string(), Stored::Text),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                    (format!("{}", *f as i64), Stored::Number)
                }
                Data::Float(f) => (f.to_string(), Stored::Number),
                Data::Int(i) => (i.to_string(), Stored::Number),
                Data::Bool(b) => (b.to_string(), Stored::Text),
                Data::DateTime(d) => match d.as_datetime() {
                    Some(dt) => (dt.date().to_string(), Stored::Date),
                    None => (d.as_f64().to_string(), Stored::Number),
                },
                Data::DateTimeIso(s) => (s.clone(), Stored::Date),
                Data::DurationIso(s) => (s.clone(), Stored::Text),
                Data::Error(e) => (format!("{e:?}"), Stored::Text),
            };
            texts.push(t);
            kinds.push(k);
        }
        // A row ends at its last filled cell.
        let width = texts
            .iter()
            .rposition(|t| !t.is_empty())
            .map_or(0, |i| i + 1);
        texts.truncate(width);
        kinds.truncate(width);
        rows.push(texts);
        stored.push(kinds);
    }
    let others = if names.len() > 1 {
        format!(
            "; the workbook also has {}: draft each one by saving it first, or copy this source and change sheet",
            names[1..].join(", ")
        )
    } else {
        String::new()
    };
    let choice = Choice {
        evidence: format!("the first sheet of the workbook{others}"),
        yaml: format!("sheet: {}", scalar(&first)),
    };
    Ok((rows, stored, choice))
}

/// The number of filled fields most rows have (more than one).
pub(super) fn widest_common(rows: &[Vec<String>]) -> Option<usize> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.len()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(f, _)| *f > 1)
        .max_by_key(|(f, n)| (*n, *f))
        .map(|(f, _)| f)
}

/// The first row with the table's width and only non-empty fields: the header.
pub(super) fn header_row(rows: &[Vec<String>], fields: usize) -> Option<usize> {
    rows.iter()
        .position(|r| r.len() == fields && r.iter().all(|f| !f.is_empty()))
}

pub(super) fn is_total(row: &[String]) -> bool {
    row.iter()
        .find(|f| !f.is_empty())
        .is_some_and(|f| f.to_lowercase().starts_with("total"))
}

pub(super) fn stem(path: &Path) -> String {
    identifier(
        &path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
    .replace('_', "-")
}
