//! `history` and `findings`: what an indicator's figures were over runs, and what the data-quality
//! checks found.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{QueryFormat, aligned_table, csv_text};
use crate::config::Project;
use crate::warehouse::Warehouse;

/// A figure's place in the history listing: territory, period order, period label.
type CellKey = (String, (i32, u32, crate::config::Grain), String);

const HEADER: [&str; 10] = [
    "territory",
    "period",
    "run",
    "recorded",
    "value",
    "numerator",
    "denominator",
    "target",
    "status",
    "why",
];

/// Each distinct value of an indicator's figures over runs, with why it changed.
pub async fn history(
    project: &Project,
    indicator: &str,
    territory: Option<&str>,
    period: Option<&str>,
    format: QueryFormat,
) -> anyhow::Result<String> {
    use crate::indicators::history;
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let (all, unreadable) = history::read_checked(&wh).await?;
    for u in &unreadable {
        eprintln!("warning: history file {u}");
    }
    let by_cell = states_by_figure(&all.rows, indicator, territory, period);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for ((t, _, p), states) in &by_cell {
        for (h, why) in history::revisions(states, &all.inputs) {
            rows.push(history_row(project, t, p, &h, &why));
        }
    }
    match format {
        QueryFormat::Csv => csv_text(&HEADER, &rows),
        QueryFormat::Table if rows.is_empty() => Ok(format!(
            "no history for {indicator} yet: it is recorded from the next compute on\n"
        )),
        QueryFormat::Table => Ok(aligned_table(&HEADER, &rows)),
    }
}

/// The recorded states of the indicator's figures the filters keep, by figure in period order.
fn states_by_figure<'a>(
    rows: &'a [crate::indicators::history::HistoryRow],
    indicator: &str,
    territory: Option<&str>,
    period: Option<&str>,
) -> BTreeMap<CellKey, Vec<&'a crate::indicators::history::HistoryRow>> {
    let mut by_cell: BTreeMap<CellKey, Vec<_>> = BTreeMap::new();
    for h in rows.iter().filter(|h| {
        h.indicator == indicator
            && territory.is_none_or(|t| h.territory == t)
            && period.is_none_or(|p| h.period == p)
    }) {
        let order = crate::config::Period::parse(&h.period)
            .map(|p| p.sort_key())
            .unwrap_or((0, 0, crate::config::Grain::Plan));
        by_cell
            .entry((h.territory.clone(), order, h.period.clone()))
            .or_default()
            .push(h);
    }
    by_cell
}

/// Why a figure took a new value, in words.
fn why_text(why: &crate::indicators::history::Revision) -> String {
    use crate::indicators::history::Revision;
    match why {
        Revision::First => "first computed".to_string(),
        Revision::Data(s) => format!("data revision: {}", s.join(", ")),
        Revision::Definition => "definition or target revision".to_string(),
        Revision::DataAndDefinition(s) => format!(
            "data revision ({}) and definition or target revision",
            s.join(", ")
        ),
        Revision::Other => "recomputed (territories, plan periods or program version)".to_string(),
        Revision::Removed => "no longer computed".to_string(),
    }
}

/// One state of a figure as a line of the listing.
fn history_row(
    project: &Project,
    territory: &str,
    period: &str,
    h: &crate::indicators::history::HistoryRow,
    why: &crate::indicators::history::Revision,
) -> Vec<String> {
    let number = |x: Option<f64>| {
        x.map(|v| crate::indicators::output::tidy(v).to_string())
            .unwrap_or_default()
    };
    let recorded = chrono::DateTime::parse_from_rfc3339(&h.recorded_at)
        .map(|x| {
            x.with_timezone(&project.settings.timezone)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or(h.recorded_at.clone());
    vec![
        territory.to_string(),
        period.to_string(),
        h.run_id.clone(),
        recorded,
        number(h.value),
        number(h.numerator),
        number(h.denominator),
        number(h.target),
        h.status.clone(),
        why_text(why),
    ]
}

/// The data-quality findings, as a table or CSV.
pub async fn findings(
    project: &Project,
    source: Option<&str>,
    format: QueryFormat,
) -> anyhow::Result<String> {
    use crate::warehouse::findings;
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let found = findings::read_all(project, &wh, source).await?;
    if let QueryFormat::Csv = format {
        return Ok(String::from_utf8(findings::to_csv(&found)?)?);
    }
    let mut s = String::new();
    if found.is_empty() {
        writeln!(s, "no findings")?;
        return Ok(s);
    }
    writeln!(
        s,
        "{:<20} {:>7} {:<8} {:<24} {:<12} {:>10}  keys: reason",
        "source", "line", "kind", "name", "column", "value"
    )?;
    for f in &found {
        writeln!(
            s,
            "{:<20} {:>7} {:<8} {:<24} {:<12} {:>10}  {}: {}",
            f.source, f.line, f.kind, f.name, f.column, f.value, f.keys, f.reason
        )?;
    }
    writeln!(s, "{} finding(s)", found.len())?;
    Ok(s)
}
