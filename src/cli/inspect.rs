//! Commands that look without changing anything: `query`, `explain` and `runs`.

use std::fmt::Write as _;

use datafusion::arrow::util::pretty::pretty_format_batches;
use futures::StreamExt;

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
    let computed = crate::indicators::table_path(project);
    if computed.exists() && !project.tables.contains_key("indicators") {
        let path = computed.to_string_lossy().into_owned();
        ctx.register_parquet(
            "indicators",
            &path,
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await?;
    }
    let df = match crate::indicators::sql::plan_read_only(&ctx, sql).await {
        Ok(df) => df,
        Err(e) => return Ok(Err(e)),
    };
    let batches = match df.collect().await {
        Ok(b) => b,
        Err(e) => return Ok(Err(e.to_string())),
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
                    w.write(b)?;
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
        let m: Option<SourceManifest> = wh.get_json(&wh.manifest_path(&src.name)).await?;
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

/// The run history, oldest first.
pub async fn runs(project: &Project) -> anyhow::Result<String> {
    let wh = Warehouse::open(&project.settings.warehouse)?;
    let mut paths = Vec::new();
    let mut list = wh.store.list(Some(&wh.path("_runs")));
    while let Some(item) = list.next().await {
        paths.push(item?.location);
    }
    paths.sort();
    let mut s = String::new();
    writeln!(
        s,
        "{:<24} {:<8} {:<26} {:<7} {:>8} {:>11} {:>11}",
        "run", "command", "finished", "status", "sources", "indicators", "dashboards"
    )?;
    for p in paths {
        let Some(r) = wh.get_json::<RunReport>(&p).await? else {
            continue;
        };
        let finished = chrono::DateTime::parse_from_rfc3339(&r.finished_at)
            .map(|t| {
                t.with_timezone(&project.settings.timezone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or(r.finished_at.clone());
        writeln!(
            s,
            "{:<24} {:<8} {:<26} {:<7} {:>8} {:>11} {:>11}",
            r.run_id,
            r.command,
            finished,
            if r.failed { "failed" } else { "ok" },
            r.sources.len(),
            r.indicators.len(),
            r.dashboards.len()
        )?;
    }
    Ok(s)
}
