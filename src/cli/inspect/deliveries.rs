//! `deliveries`: every delivery of every source, with what became of it.

use std::fmt::Write as _;

use super::csv_text;
use crate::config::Project;
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::{Delivery, SourceManifest};

/// Output layouts of `deliveries`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DeliveriesFormat {
    Table,
    Csv,
    Json,
}

/// One line of `deliveries`.
#[derive(serde::Serialize)]
struct DeliveryLine {
    source: String,
    delivery: String,
    state: String,
    rows: u64,
    rejected: u64,
    skipped: u64,
    periods: Vec<String>,
    arrived_at: String,
    ingested_at: String,
    sha256: String,
    error: String,
    outcome_file: String,
}

/// Every delivery of the project's sources (of one when `only` names it), with its state.
pub async fn deliveries(
    project: &Project,
    only: Option<&str>,
    format: DeliveriesFormat,
) -> anyhow::Result<String> {
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let mut lines = Vec::new();
    for src in project
        .sources
        .iter()
        .filter(|s| only.is_none_or(|o| s.name == o))
    {
        let m: Option<SourceManifest> = wh.get_json(&wh.manifest_path(&src.name)).await?;
        for d in m.into_iter().flat_map(|m| m.deliveries) {
            lines.push(delivery_line(project, &src.name, &d));
        }
    }
    match format {
        DeliveriesFormat::Json => Ok(serde_json::to_string_pretty(&lines)? + "\n"),
        DeliveriesFormat::Csv => deliveries_csv(&lines),
        DeliveriesFormat::Table if lines.is_empty() => {
            Ok("no deliveries yet: run osservatorio ingest\n".to_string())
        }
        DeliveriesFormat::Table => deliveries_table(&lines),
    }
}

/// What the manifest says of one delivery, and the sender's outcome file when there is one.
fn delivery_line(project: &Project, source: &str, d: &Delivery) -> DeliveryLine {
    let p = d.published.as_ref();
    let outcome = project
        .settings
        .output
        .join("deliveries")
        .join(source)
        .join(format!(
            "{}.xlsx",
            crate::warehouse::manifest::outcome_stem(&d.key)
        ));
    DeliveryLine {
        source: source.to_string(),
        delivery: d.key.clone(),
        state: d.state().to_string(),
        rows: p.map_or(0, |p| p.rows),
        rejected: p.map_or(0, |p| p.rejected_rows),
        skipped: p.map_or(0, |p| p.skipped_rows),
        periods: d.periods.clone(),
        arrived_at: d.arrived_at.clone(),
        ingested_at: p.map(|p| p.ingested_at.clone()).unwrap_or_default(),
        sha256: p.map(|p| p.sha256.clone()).unwrap_or_default(),
        error: d
            .failure
            .as_ref()
            .and_then(|f| f.error.clone())
            .unwrap_or_default(),
        outcome_file: if outcome.exists() {
            outcome.display().to_string()
        } else {
            String::new()
        },
    }
}

fn deliveries_csv(lines: &[DeliveryLine]) -> anyhow::Result<String> {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.source.clone(),
                l.delivery.clone(),
                l.state.clone(),
                l.rows.to_string(),
                l.rejected.to_string(),
                l.skipped.to_string(),
                l.periods.join(" "),
                l.arrived_at.clone(),
                l.ingested_at.clone(),
                l.sha256.clone(),
                l.error.clone(),
                l.outcome_file.clone(),
            ]
        })
        .collect();
    csv_text(
        &[
            "source",
            "delivery",
            "state",
            "rows",
            "rejected",
            "skipped",
            "periods",
            "arrived_at",
            "ingested_at",
            "sha256",
            "error",
            "outcome_file",
        ],
        &rows,
    )
}

fn deliveries_table(lines: &[DeliveryLine]) -> anyhow::Result<String> {
    let mut s = String::new();
    let width = lines
        .iter()
        .map(|l| l.source.chars().count() + l.delivery.chars().count() + 2)
        .max()
        .unwrap_or(10)
        .max(10);
    writeln!(
        s,
        "{:<width$}  {:<30} {:>9} {:>9} {:>8}  periods",
        "source: delivery", "state", "rows", "rejected", "skipped"
    )?;
    for l in lines {
        let periods = match l.periods.as_slice() {
            [] => "-".to_string(),
            [one] => one.clone(),
            [first, .., last] => format!("{first}…{last} ({})", l.periods.len()),
        };
        writeln!(
            s,
            "{:<width$}  {:<30} {:>9} {:>9} {:>8}  {periods}",
            format!("{}: {}", l.source, l.delivery),
            l.state,
            l.rows,
            l.rejected,
            l.skipped
        )?;
        if !l.error.is_empty() {
            writeln!(s, "    {}", l.error)?;
        }
    }
    Ok(s)
}
