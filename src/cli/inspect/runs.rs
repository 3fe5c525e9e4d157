//! `runs`: the ledger of runs, newest first.

use std::fmt::Write as _;

use crate::config::Project;
use crate::schedule::RunReport;
use crate::warehouse::Warehouse;

/// Output layouts of `runs`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RunsFormat {
    Table,
    Json,
    Csv,
}

/// Which runs `runs` lists.
pub struct RunsFilter {
    pub pipeline: Option<String>,
    pub failed: bool,
    pub limit: usize,
}

/// The columns of the `runs` table and CSV.
const HEADER: [&str; 9] = [
    "run",
    "command",
    "trigger",
    "pipelines",
    "started",
    "finished",
    "status",
    "sources ok",
    "indicators ok",
];

/// The ledger of runs, newest first, filtered.
pub async fn runs(
    project: &Project,
    filter: &RunsFilter,
    format: RunsFormat,
) -> anyhow::Result<String> {
    let chosen = chosen_runs(project, filter).await?;
    let rows: Vec<[String; 9]> = chosen.iter().map(|r| run_row(project, r)).collect();
    match format {
        RunsFormat::Json => Ok(serde_json::to_string_pretty(&chosen)?),
        RunsFormat::Csv => runs_csv(&rows),
        RunsFormat::Table => runs_table(&rows),
    }
}

/// The runs of the ledger the filter keeps, newest first; unreadable records are warned about.
async fn chosen_runs(project: &Project, filter: &RunsFilter) -> anyhow::Result<Vec<RunReport>> {
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let (mut all, unreadable) = crate::schedule::ledger_checked(&wh).await?;
    for u in &unreadable {
        eprintln!("warning: run record {u}");
    }
    all.reverse();
    Ok(all
        .into_iter()
        .filter(|r| !filter.failed || r.failed)
        .filter(|r| filter.pipeline.as_deref().is_none_or(|p| r.covers(p)))
        .take(filter.limit)
        .collect())
}

/// A run's line: its times in the project's time zone, its status, what of it went well.
fn run_row(project: &Project, r: &RunReport) -> [String; 9] {
    let local = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| {
                t.with_timezone(&project.settings.timezone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| t.to_string())
    };
    let status = if r.abandoned {
        "abandoned"
    } else if r.failed {
        "failed"
    } else if r.stopped_after {
        "stopped"
    } else {
        "ok"
    };
    let sources_ok = r.sources.iter().filter(|s| !s.failed()).count();
    let indicators_ok = r.indicators.iter().filter(|i| i.ok).count();
    [
        r.run_id.clone(),
        r.command.clone(),
        r.trigger.clone(),
        if r.pipelines.is_empty() {
            "all".to_string()
        } else {
            r.pipelines.join(" ")
        },
        local(&r.started_at),
        local(&r.finished_at),
        status.to_string(),
        format!("{sources_ok}/{}", r.sources.len()),
        format!("{indicators_ok}/{}", r.indicators.len()),
    ]
}

fn runs_csv(rows: &[[String; 9]]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for r in rows {
        crate::text::write_csv_record(&mut w, r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The ledger as a table; its first column is as wide as a run id (`20261210T053000412Z-0001234`).
fn runs_table(rows: &[[String; 9]]) -> anyhow::Result<String> {
    let mut s = String::new();
    let h = HEADER;
    writeln!(
        s,
        "{:<27} {:<8} {:<9} {:<20} {:<19} {:<19} {:<9} {:>10} {:>13}",
        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
    )?;
    for r in rows {
        writeln!(
            s,
            "{:<27} {:<8} {:<9} {:<20} {:<19} {:<19} {:<9} {:>10} {:>13}",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        )?;
    }
    Ok(s)
}
