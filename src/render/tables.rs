//! Status tables: shown in the page and exported as CSV and XLSX with the same published figures.

use std::path::Path;

use serde::Serialize;

use super::error::{csv_error, ods_error, xlsx_error};
use super::judged::Judged;
use super::{Ctx, RenderError, format, labels};
use crate::config::{Kind, Period};
use crate::indicators::targets::Status;

#[derive(Serialize, Clone)]
pub struct TableCell {
    pub text: String,
    pub class: String,
    pub badge: Option<String>,
    /// The number behind the text, for spreadsheets (None when suppressed or missing).
    #[serde(skip)]
    pub number: Option<f64>,
    /// The spreadsheet number format the number is shown with, as the page writes it
    /// (`#,##0.0" %"`, `#,##0.00" €"`); the separators follow the reader's locale.
    #[serde(skip)]
    pub number_format: Option<String>,
}

/// A status table: indicators grouped by typology (output, process, outcome), as the plans'
/// monitoring tables group them.
#[derive(Serialize)]
pub struct TableView {
    pub headers: Vec<String>,
    pub groups: Vec<TableGroup>,
    /// The typology column's title, for the CSV and XLSX exports.
    #[serde(skip)]
    pub group_header: String,
}

/// The rows of one typology.
#[derive(Serialize)]
pub struct TableGroup {
    pub title: String,
    pub rows: Vec<Vec<TableCell>>,
}

fn text(s: impl Into<String>) -> TableCell {
    TableCell {
        text: s.into(),
        class: String::new(),
        badge: None,
        number: None,
        number_format: None,
    }
}

/// A number cell: its text as the page writes it, and for spreadsheets the number with the
/// format that shows it the same way.
fn num(
    s: String,
    n: Option<f64>,
    unit: crate::config::Unit,
    locale: crate::config::Locale,
) -> TableCell {
    TableCell {
        text: s,
        class: "num".into(),
        badge: None,
        number: n,
        number_format: n.map(|n| format::spreadsheet_format(n, unit, locale)),
    }
}

/// One row per indicator and territory, at the chosen period or the period the page judges.
pub fn status_table(
    ctx: &Ctx,
    judged: &Judged,
    indicators: &[String],
    territories: &[String],
    period: Option<Period>,
) -> TableView {
    let l = labels::labels(ctx.locale);
    let headers = [
        l.indicator,
        l.territory,
        l.period,
        l.value,
        l.target,
        l.achievement,
        l.status,
    ]
    .map(String::from)
    .to_vec();
    let groups = [Kind::Output, Kind::Process, Kind::Outcome]
        .into_iter()
        .filter_map(|kind| {
            let rows = kind_rows(ctx, judged, kind, indicators, territories, period);
            (!rows.is_empty()).then(|| TableGroup {
                title: super::kind_label(kind, ctx.locale).to_string(),
                rows,
            })
        })
        .collect();
    without_empty_targets(TableView {
        headers,
        groups,
        group_header: l.typology.to_string(),
    })
}

/// The rows of the indicators of `kind`, one per indicator and territory.
fn kind_rows(
    ctx: &Ctx,
    judged: &Judged,
    kind: Kind,
    indicators: &[String],
    territories: &[String],
    period: Option<Period>,
) -> Vec<Vec<TableCell>> {
    let mut rows = Vec::new();
    for id in indicators {
        let Some(ind) = ctx.indicator(id).filter(|i| i.kind == kind) else {
            continue;
        };
        let p = judged.at(ind, period);
        for t in territories {
            let row = p.and_then(|p| ctx.seen.get(id, t, &p.to_string()));
            let label = p
                .map(|p| judged.label(Some(ind), p, ctx.locale))
                .unwrap_or_default();
            rows.push(status_row(ctx, ind, t, label, row));
        }
    }
    rows
}

/// One indicator's row for territory `t`: its figure, target, achievement and status.
fn status_row(
    ctx: &Ctx,
    ind: &crate::config::Indicator,
    t: &str,
    period_label: String,
    row: Option<&crate::publish::PublishedFigure>,
) -> Vec<TableCell> {
    let target = row.and_then(|r| r.target);
    let achievement = row.and_then(|r| r.achievement);
    vec![
        text(ctx.title(ind)),
        text(ctx.project.territories.name_of(t)),
        text(period_label),
        num(
            ctx.shown(ind, row),
            row.and_then(|r| r.value),
            ind.unit,
            ctx.locale,
        ),
        num(
            target
                .map(|v| format::value(v, ind.unit, ctx.locale))
                .unwrap_or_else(|| "—".into()),
            target,
            ind.unit,
            ctx.locale,
        ),
        num(
            achievement
                .map(|a| format!("{} %", format::number(a, 1, ctx.locale)))
                .unwrap_or_else(|| "—".into()),
            achievement,
            crate::config::Unit::Percent,
            ctx.locale,
        ),
        status_cell(ctx, row),
    ]
}

/// The status cell of a figure: its symbol and word with the badge of its colour.
fn status_cell(ctx: &Ctx, row: Option<&crate::publish::PublishedFigure>) -> TableCell {
    let hidden = row.is_some_and(|r| r.suppressed());
    let status = row
        .filter(|r| !r.suppressed())
        .map(|r| Status::parse(&r.status));
    let badge = |status: Status| TableCell {
        text: format!(
            "{} {}",
            format::status_symbol(status),
            format::status(status, ctx.locale)
        ),
        class: String::new(),
        badge: Some(status.as_str().into()),
        number: None,
        number_format: None,
    };
    match status {
        Some(status) => badge(status),
        // No colour and no word: a status would tell which side of the target it is.
        None if hidden => text(labels::labels(ctx.locale).confidential),
        None => badge(Status::NoData),
    }
}

/// The table without its target, achievement and status columns when no indicator in it has a
/// target: they would say nothing.
fn without_empty_targets(mut view: TableView) -> TableView {
    let any_target = view
        .groups
        .iter()
        .flat_map(|g| &g.rows)
        .any(|r| r.get(4).is_some_and(|c| c.number.is_some()));
    if !any_target {
        view.headers.truncate(4);
        for g in &mut view.groups {
            for r in &mut g.rows {
                r.truncate(4);
            }
        }
    }
    view
}

pub fn write_csv(view: &TableView, path: &Path) -> Result<(), RenderError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_error(path))?;
    w.write_record(std::iter::once(&view.group_header).chain(&view.headers))
        .map_err(csv_error(path))?;
    for g in &view.groups {
        for r in &g.rows {
            crate::text::write_csv_record(
                &mut w,
                std::iter::once(g.title.as_str()).chain(r.iter().map(|c| c.text.as_str())),
            )
            .map_err(csv_error(path))?;
        }
    }
    w.flush().map_err(super::io(path))
}

pub fn write_xlsx(view: &TableView, path: &Path) -> Result<(), RenderError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    let x = xlsx_error(path);
    for (c, h) in std::iter::once(&view.group_header)
        .chain(&view.headers)
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(x)?;
    }
    let rows = view
        .groups
        .iter()
        .flat_map(|g| g.rows.iter().map(move |r| (g.title.as_str(), r)));
    for (r, (group, row)) in rows.enumerate() {
        ws.write_string(r as u32 + 1, 0, group).map_err(x)?;
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16 + 1);
            match (cell.number, cell.number_format.as_deref()) {
                (Some(n), Some(f)) => {
                    let format = rust_xlsxwriter::Format::new().set_num_format(f);
                    ws.write_number_with_format(r, c, n, &format).map_err(x)?
                }
                (Some(n), None) => ws.write_number(r, c, n).map_err(x)?,
                (None, _) => ws.write_string(r, c, &cell.text).map_err(x)?,
            };
        }
    }
    ws.autofit();
    wb.save(path).map_err(x)
}

/// The table as an OpenDocument spreadsheet: the same cells as the `.xlsx`, numbers with the
/// same formats, in the project's language.
pub fn write_ods(
    view: &TableView,
    path: &Path,
    locale: crate::config::Locale,
) -> Result<(), RenderError> {
    use calamine::Data;
    let header = std::iter::once(&view.group_header)
        .chain(&view.headers)
        .map(|h| Data::String(h.clone()))
        .collect();
    let mut sheet = crate::publish::ods::Sheet::plain("Sheet1".into(), vec![header]);
    sheet.header = true;
    let rows = view
        .groups
        .iter()
        .flat_map(|g| g.rows.iter().map(move |r| (g.title.as_str(), r)));
    for (r, (group, row)) in rows.enumerate() {
        let mut cells = vec![Data::String(group.to_string())];
        for (c, cell) in row.iter().enumerate() {
            cells.push(match (cell.number, &cell.number_format) {
                (Some(n), format) => {
                    if let Some(f) = format {
                        sheet.formats.insert((r + 1, c + 1), f.clone());
                    }
                    Data::Float(n)
                }
                (None, _) => Data::String(cell.text.clone()),
            });
        }
        sheet.rows.push(cells);
    }
    crate::publish::ods::write(&[sheet], locale, path).map_err(ods_error(path))
}
