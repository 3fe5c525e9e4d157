//! The page's data files: every figure a dashboard shows, one row each, as `data.csv` (plain
//! numbers, for machines and open-data portals) and `data.xlsx` (typed cells, for people).

use std::path::Path;

use super::{RenderError, io};
use crate::config::Territories;
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

/// Writes `NAME.csv` and `NAME.xlsx` into `dir`: the page's `data` files, or a chart's own.
pub fn write_figures(
    figures: &[&PublishedFigure],
    territories: &Territories,
    dir: &Path,
    name: &str,
) -> Result<(), RenderError> {
    let csv_path = dir.join(format!("{name}.csv"));
    let mut w = csv::Writer::from_path(&csv_path).map_err(|e| io(&csv_path, e))?;
    w.write_record(COLUMNS).map_err(|e| io(&csv_path, e))?;
    for f in figures {
        crate::text::write_csv_record(&mut w, record(f, territories))
            .map_err(|e| io(&csv_path, e))?;
    }
    w.flush().map_err(|e| io(&csv_path, e))?;

    let xlsx_path = dir.join(format!("{name}.xlsx"));
    let x = |e: rust_xlsxwriter::XlsxError| io(&xlsx_path, e);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let decimals = rust_xlsxwriter::Format::new().set_num_format("#,##0.0##");
    let ws = wb.add_worksheet();
    ws.set_name("dati").map_err(x)?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(x)?;
    }
    for (r, f) in figures.iter().enumerate() {
        let r = r as u32 + 1;
        let cells = record(f, territories);
        let numbers = [f.numerator, f.denominator, f.value, f.target, f.achievement];
        for (c, text) in cells.iter().enumerate() {
            let c16 = c as u16;
            match (5..10).contains(&c).then(|| numbers[c - 5]).flatten() {
                Some(n) => ws
                    .write_number_with_format(r, c16, n, &decimals)
                    .map_err(x)?,
                None => ws.write_string(r, c16, text).map_err(x)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    ws.autofit();
    wb.save(&xlsx_path).map_err(x)
}
