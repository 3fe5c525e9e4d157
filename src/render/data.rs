//! The page's data files: every figure a dashboard shows, one row each, as `data.csv` (plain
//! numbers, for machines and open-data portals), `data.xlsx` and `data.ods` (typed cells shown
//! as the page writes them, for people).

use std::path::Path;

use super::error::{csv_error, ods_error, xlsx_error};
use super::{RenderError, format};
use crate::config::{Project, Territories, Unit};
use crate::publish::PublishedFigure;

/// The columns of `data.csv`, in order.
pub const COLUMNS: [&str; 13] = [
    "indicator",
    "territory",
    "territory_name",
    "period",
    "grain",
    "numerator",
    "denominator",
    "value",
    "target",
    "achievement",
    "status",
    "provisional",
    "flag",
];

fn number(x: Option<f64>) -> String {
    x.map(|v| crate::indicators::output::tidy(v).to_string())
        .unwrap_or_default()
}

fn record(f: &PublishedFigure, territories: &Territories) -> [String; 13] {
    [
        f.indicator.clone(),
        f.territory.clone(),
        territories.name_of(&f.territory),
        f.period.clone(),
        f.grain.clone(),
        number(f.numerator),
        number(f.denominator),
        number(f.value),
        number(f.target),
        number(f.achievement),
        f.status.clone(),
        f.provisional.to_string(),
        f.flag().to_string(),
    ]
}

/// How the workbook shows a number of column `c` (numerator … achievement) of a figure whose
/// indicator has `unit`: counts without decimals, values and targets as the page writes them
/// (`#,##0.0" %"`), achievements as percentages.
fn cell_format(c: usize, x: f64, unit: Option<Unit>, locale: crate::config::Locale) -> String {
    match (c, unit) {
        // Numerators and denominators count things: decimals only when they have some.
        (5 | 6, _) if x.fract() == 0.0 => "#,##0".into(),
        (7 | 8, Some(unit)) => format::spreadsheet_format(x, unit, locale),
        (9, _) => format::spreadsheet_format(x, Unit::Percent, locale),
        _ => "#,##0.0##".into(),
    }
}

/// A cell of the workbooks: its text, and for a number its value and number format.
type Cell = (String, Option<(f64, String)>);

/// The cells of one figure's row, as the workbooks hold them.
fn cells(f: &PublishedFigure, project: &Project) -> Vec<Cell> {
    let numbers = [f.numerator, f.denominator, f.value, f.target, f.achievement];
    let unit = project.indicator(&f.indicator).map(|i| i.unit);
    let locale = project.settings.locale;
    record(f, &project.territories)
        .into_iter()
        .enumerate()
        .map(|(c, text)| {
            let n = (5..10).contains(&c).then(|| numbers[c - 5]).flatten();
            (text, n.map(|n| (n, cell_format(c, n, unit, locale))))
        })
        .collect()
}

/// Writes `NAME.csv`, `NAME.xlsx` and `NAME.ods` into `dir`: the page's `data` files, or a
/// chart's own.
pub fn write_figures(
    figures: &[&PublishedFigure],
    project: &Project,
    dir: &Path,
    name: &str,
) -> Result<(), RenderError> {
    let territories = &project.territories;
    let csv_path = dir.join(format!("{name}.csv"));
    let mut w = csv::Writer::from_path(&csv_path).map_err(csv_error(&csv_path))?;
    w.write_record(COLUMNS).map_err(csv_error(&csv_path))?;
    for f in figures {
        crate::text::write_csv_record(&mut w, record(f, territories))
            .map_err(csv_error(&csv_path))?;
    }
    w.flush().map_err(super::io(&csv_path))?;
    let rows: Vec<Vec<Cell>> = figures.iter().map(|f| cells(f, project)).collect();
    write_xlsx(&rows, &dir.join(format!("{name}.xlsx")))?;
    let ods = dir.join(format!("{name}.ods"));
    crate::publish::ods::write(&[ods_sheet(&rows)], project.settings.locale, &ods)
        .map_err(ods_error(&ods))
}

fn write_xlsx(rows: &[Vec<Cell>], xlsx_path: &Path) -> Result<(), RenderError> {
    let x = xlsx_error(xlsx_path);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET).map_err(x)?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(x)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (text, number)) in row.iter().enumerate() {
            let c16 = c as u16;
            match number {
                Some((n, f)) => {
                    let shown = rust_xlsxwriter::Format::new().set_num_format(f);
                    ws.write_number_with_format(r, c16, *n, &shown).map_err(x)?
                }
                None => ws.write_string(r, c16, text).map_err(x)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    ws.autofit();
    wb.save(xlsx_path).map_err(x)
}

/// The sheet's name in both workbooks.
const SHEET: &str = "dati";

/// The same cells as the `.xlsx`, for the `.ods`.
fn ods_sheet(rows: &[Vec<Cell>]) -> crate::publish::ods::Sheet {
    use calamine::Data;
    let mut sheet = crate::publish::ods::Sheet::plain(
        SHEET.to_string(),
        vec![
            COLUMNS
                .iter()
                .map(|h| Data::String(h.to_string()))
                .collect(),
        ],
    );
    sheet.header = true;
    for (r, row) in rows.iter().enumerate() {
        let cells = row
            .iter()
            .enumerate()
            .map(|(c, (text, number))| match number {
                Some((n, f)) => {
                    sheet.formats.insert((r + 1, c), f.clone());
                    Data::Float(*n)
                }
                None if text.is_empty() => Data::Empty,
                None => Data::String(text.clone()),
            });
        let cells = cells.collect();
        sheet.rows.push(cells);
    }
    sheet
}
