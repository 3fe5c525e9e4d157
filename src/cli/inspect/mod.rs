//! Commands that look without changing anything: `query`, `explain`, `runs`, `history`,
//! `findings`, `deliveries`.

use anyhow::Context;
use std::fmt::Write as _;

use datafusion::arrow::util::pretty::pretty_format_batches;

use crate::config::Project;
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::SourceManifest;

mod deliveries;
mod history;
mod runs;

pub use deliveries::{DeliveriesFormat, deliveries};
pub use history::{findings, history};
pub use runs::{RunsFilter, RunsFormat, runs};

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
        Err(e) => return Ok(Err(e.to_string())),
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
    let mut s = definition_text(ind, project.settings.locale)?;
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
        writeln!(s, "  {}", source_text(src, m.and_then(|m| m.published)))?;
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

/// An indicator's title, file, settings, targets and SQL.
fn definition_text(
    ind: &crate::config::Indicator,
    locale: crate::config::Locale,
) -> anyhow::Result<String> {
    let mut s = String::new();
    writeln!(s, "{} — {}", ind.id, locale.pick(&ind.title))?;
    writeln!(
        s,
        "defined in {}",
        crate::text::place(&ind.file.display().to_string(), ind.line)
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
        let scope = if scope.is_empty() {
            "everywhere".to_string()
        } else {
            scope.join(", ")
        };
        writeln!(s, "target {} ({scope})", t.value)?;
    }
    if ind.targets_sql.is_some() {
        writeln!(s, "targets from targets_sql")?;
    }
    writeln!(s, "\nSQL:\n{}", indent(&ind.sql))?;
    Ok(s)
}

/// A source the indicator reads, with what it last published.
fn source_text(
    src: &crate::config::Source,
    published: Option<crate::warehouse::manifest::Published>,
) -> String {
    match published {
        Some(p) => format!(
            "{} → {} ({}): {}, sha256 {}, {} bytes, {} rows, {} rejected, ingested {} in run {}",
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
        ),
        None => format!(
            "{} → {}: no data ingested yet ({})",
            src.name, src.table, src.url
        ),
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows as CSV under their header, every cell guarded against spreadsheet formulas.
fn csv_text<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        crate::text::write_csv_record(&mut w, r.as_ref())?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Rows under their header, each column as wide as its widest cell, two spaces apart.
fn aligned_table<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.as_ref()[i].chars().count())
                .chain([header[i].chars().count()])
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
    let mut s = line(header.to_vec());
    s.push('\n');
    for r in rows {
        s.push_str(&line(r.as_ref().iter().map(String::as_str).collect()));
        s.push('\n');
    }
    s
}
