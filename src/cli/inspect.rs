//! Commands that look without changing anything: `query`, `explain` and `runs`.

use anyhow::Context;
use std::fmt::Write as _;

use datafusion::arrow::util::pretty::pretty_format_batches;

use crate::config::Project;
use crate::schedule::RunReport;
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::SourceManifest;

/// Output layouts of `query`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum QueryFormat {
    Table,
    Csv,
}

/// Runs read-only SQL over the warehouse (and the computed `indicators` table) and prints the result.
pub async fn query(
    project: &Project,
    sql: &str,
    format: QueryFormat,
) -> anyhow::Result<Result<String, String>> {
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let ctx = crate::warehouse::session::session(project, &wh).await?;
    crate::warehouse::session::register_rejected(&ctx, project, &wh).await?;
    let computed = crate::indicators::table_path(project);
    if computed.exists() && !project.tables.contains_key("indicators") {
        let path = computed.to_string_lossy().into_owned();
        ctx.register_parquet(
            "indicators",
            &path,
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await
        .with_context(|| {
            format!("the indicator table {path} is damaged: run `osservatorio doctor --fix`")
        })?;
    }
    let df = match crate::indicators::sql::plan_read_only(&ctx, sql).await {
        Ok(df) => df,
        Err(e) => return Ok(Err(e)),
    };
    let batches = match df.collect().await {
        Ok(b) => b,
        Err(e) => {
            let mut msg = e.to_string();
            // A bare reader error: say which stored file is damaged, if one is.
            if crate::warehouse::integrity::looks_like_damage(&msg) {
                for d in crate::warehouse::integrity::check_sources(project, &wh).await {
                    msg.push_str(&format!("; {d}"));
                }
            }
            return Ok(Err(msg));
        }
    };
    Ok(Ok(match format {
        QueryFormat::Table => pretty_format_batches(&batches)?.to_string(),
        QueryFormat::Csv => {
            let mut buf = Vec::new();
            {
                let mut w = datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut buf);
                for b in &batches {
                    w.write(&crate::text::csv_safe_batch(b)?)?;
                }
            }
            String::from_utf8(buf)?
        }
    }))
}

/// The definition, tables, sources and files behind an indicator.
pub async fn explain(project: &Project, id: &str) -> anyhow::Result<String> {
    let Some(ind) = project.indicator(id) else {
        anyhow::bail!("no indicator '{id}'");
    };
    let locale = project.settings.locale;
    let mut s = String::new();
    writeln!(s, "{} — {}", ind.id, locale.pick(&ind.title))?;
    writeln!(
        s,
        "defined in {}:{}",
        ind.file.display(),
        ind.line.unwrap_or(0)
    )?;
    let lower = |d: &dyn std::fmt::Debug| format!("{d:?}").to_lowercase();
    writeln!(
        s,
        "kind {}, unit {}, grain {}, direction {}, time roll-up {}, territory roll-up {}",
        lower(&ind.kind),
        lower(&ind.unit),
        ind.grain,
        lower(&ind.direction),
        lower(&ind.time_rollup),
        if ind.territory_rollup { "sum" } else { "none" }
    )?;
    for t in &ind.targets {
        let p = t.period.map(|p| p.to_string());
        let g = t.grain.map(|g| g.to_string());
        let scope: Vec<&str> = [t.territory.as_deref(), p.as_deref(), g.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        writeln!(
            s,
            "target {} ({})",
            t.value,
            if scope.is_empty() {
                "everywhere".to_string()
            } else {
                scope.join(", ")
            }
        )?;
    }
    if ind.targets_sql.is_some() {
        writeln!(s, "targets from targets_sql")?;
    }
    writeln!(s, "\nSQL:\n{}", indent(&ind.sql))?;
    let planning = crate::warehouse::session::planning_session(project)?;
    let tables = crate::indicators::check_indicator(&planning, ind)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    writeln!(
        s,
        "reads tables: {}",
        tables.iter().cloned().collect::<Vec<_>>().join(", ")
    )?;
    let wh = Warehouse::open(&project.settings.warehouse)?;
    writeln!(s, "\nsources:")?;
    for src in project.sources.iter().filter(|x| tables.contains(&x.table)) {
        let m: Option<SourceManifest> =
            crate::warehouse::integrity::manifest(&wh, &src.name).await?;
        match m.and_then(|m| m.published) {
            Some(p) => writeln!(
                s,
                "  {} → {} ({}): {}, sha256 {}, {} bytes, {} rows, {} rejected, ingested {} in run {}",
                src.name,
                src.table,
                src.territory.as_deref().unwrap_or("-"),
                p.url,
                p.sha256,
                p.bytes,
                p.rows,
                p.rejected_rows,
                p.ingested_at,
                p.run_id
            )?,
            None => writeln!(
                s,
                "  {} → {}: no data ingested yet ({})",
                src.name, src.table, src.url
            )?,
        }
    }
    let rows = crate::indicators::output::read(&project.settings.output)?;
    let mine: Vec<_> = rows.iter().filter(|r| r.indicator == id).collect();
    match mine.first() {
        Some(r) => writeln!(
            s,
            "\ncomputed: {} rows in {}, run {}",
            mine.len(),
            crate::indicators::table_path(project).display(),
            r.run_id
        )?,
        None => writeln!(s, "\nnot computed yet: run `osservatorio compute`")?,
    }
    Ok(s)
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

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

/// The ledger of runs, newest first, filtered.
pub async fn runs(
    project: &Project,
    filter: &RunsFilter,
    format: RunsFormat,
) -> anyhow::Result<String> {
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let (mut all, unreadable) = crate::schedule::ledger_checked(&wh).await?;
    for u in &unreadable {
        eprintln!("warning: run record {u}");
    }
    all.reverse();
    let chosen: Vec<RunReport> = all
        .into_iter()
        .filter(|r| !filter.failed || r.failed)
        .filter(|r| filter.pipeline.as_deref().is_none_or(|p| r.covers(p)))
        .take(filter.limit)
        .collect();
    let local = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| {
                t.with_timezone(&project.settings.timezone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| t.to_string())
    };
    let ok = |good: usize, all: usize| format!("{good}/{all}");
    let rows: Vec<[String; 9]> = chosen
        .iter()
        .map(|r| {
            let status = if r.abandoned {
                "abandoned"
            } else if r.failed {
                "failed"
            } else if r.stopped_after {
                "stopped"
            } else {
                "ok"
            };
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
                ok(
                    r.sources.iter().filter(|s| !s.failed()).count(),
                    r.sources.len(),
                ),
                ok(
                    r.indicators.iter().filter(|i| i.ok).count(),
                    r.indicators.len(),
                ),
            ]
        })
        .collect();
    let header = [
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
    let mut s = String::new();
    match format {
        RunsFormat::Json => s.push_str(&serde_json::to_string_pretty(&chosen)?),
        RunsFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header)?;
            for r in &rows {
                crate::text::write_csv_record(&mut w, r)?;
            }
            s.push_str(&String::from_utf8(w.into_inner()?)?);
        }
        RunsFormat::Table => {
            writeln!(
                s,
                "{:<24} {:<8} {:<9} {:<20} {:<19} {:<19} {:<9} {:>10} {:>13}",
                header[0],
                header[1],
                header[2],
                header[3],
                header[4],
                header[5],
                header[6],
                header[7],
                header[8]
            )?;
            for r in &rows {
                writeln!(
                    s,
                    "{:<24} {:<8} {:<9} {:<20} {:<19} {:<19} {:<9} {:>10} {:>13}",
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
                )?;
            }
        }
    }
    Ok(s)
}

/// A figure's place in the history listing: territory, period order, period label.
type CellKey = (String, (i32, u32, crate::config::Grain), String);

/// Each distinct value of an indicator's figures over runs, with why it changed.
pub async fn history(
    project: &Project,
    indicator: &str,
    territory: Option<&str>,
    period: Option<&str>,
    format: QueryFormat,
) -> anyhow::Result<String> {
    use crate::indicators::history::{self, Revision};
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let (all, unreadable) = history::read_checked(&wh).await?;
    for u in &unreadable {
        eprintln!("warning: history file {u}");
    }
    let mut by_cell: std::collections::BTreeMap<CellKey, Vec<&history::HistoryRow>> =
        std::collections::BTreeMap::new();
    for h in all.rows.iter().filter(|h| {
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
    let number = |x: Option<f64>| {
        x.map(|v| crate::indicators::output::tidy(v).to_string())
            .unwrap_or_default()
    };
    let header = [
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
    let mut rows: Vec<Vec<String>> = Vec::new();
    for ((t, _, p), states) in &by_cell {
        for (h, why) in history::revisions(states, &all.inputs) {
            let why = match why {
                Revision::First => "first computed".to_string(),
                Revision::Data(s) => format!("data revision: {}", s.join(", ")),
                Revision::Definition => "definition or target revision".to_string(),
                Revision::DataAndDefinition(s) => format!(
                    "data revision ({}) and definition or target revision",
                    s.join(", ")
                ),
                Revision::Other => {
                    "recomputed (territories, plan periods or program version)".to_string()
                }
                Revision::Removed => "no longer computed".to_string(),
            };
            let recorded = chrono::DateTime::parse_from_rfc3339(&h.recorded_at)
                .map(|x| {
                    x.with_timezone(&project.settings.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or(h.recorded_at.clone());
            rows.push(vec![
                t.clone(),
                p.clone(),
                h.run_id.clone(),
                recorded,
                number(h.value),
                number(h.numerator),
                number(h.denominator),
                number(h.target),
                h.status.clone(),
                why,
            ]);
        }
    }
    let mut s = String::new();
    match format {
        QueryFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header)?;
            for r in &rows {
                crate::text::write_csv_record(&mut w, r)?;
            }
            s.push_str(&String::from_utf8(w.into_inner()?)?);
        }
        QueryFormat::Table => {
            if rows.is_empty() {
                writeln!(
                    s,
                    "no history for {indicator} yet: it is recorded from the next compute on"
                )?;
                return Ok(s);
            }
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([header[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(s, "{}", line(header.to_vec()))?;
            for r in &rows {
                writeln!(s, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
        }
    }
    Ok(s)
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
            let p = d.published.as_ref();
            let outcome = project
                .settings
                .output
                .join("deliveries")
                .join(&src.name)
                .join(format!(
                    "{}.xlsx",
                    crate::warehouse::manifest::outcome_stem(&d.key)
                ));
            lines.push(DeliveryLine {
                source: src.name.clone(),
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
            });
        }
    }
    match format {
        DeliveriesFormat::Json => Ok(serde_json::to_string_pretty(&lines)? + "\n"),
        DeliveriesFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
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
            ])?;
            for l in &lines {
                crate::text::write_csv_record(
                    &mut w,
                    [
                        l.source.as_str(),
                        &l.delivery,
                        &l.state,
                        &l.rows.to_string(),
                        &l.rejected.to_string(),
                        &l.skipped.to_string(),
                        &l.periods.join(" "),
                        &l.arrived_at,
                        &l.ingested_at,
                        &l.sha256,
                        &l.error,
                        &l.outcome_file,
                    ],
                )?;
            }
            Ok(String::from_utf8(w.into_inner()?)?)
        }
        DeliveriesFormat::Table => {
            let mut s = String::new();
            if lines.is_empty() {
                writeln!(s, "no deliveries yet: run osservatorio ingest")?;
                return Ok(s);
            }
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
            for l in &lines {
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
    }
}
