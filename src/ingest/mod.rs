//! Ingest: fetch each source's export, map it onto its canonical table, keep aside the rows that do
//! not fit, and publish the partition atomically. A source that fails leaves its last good data.

mod batch;
pub mod cell;
mod chunks;
mod delivery;
mod encode;
mod error;
mod exports;
mod feedback;
mod fetch;
pub mod findings;
mod locate;
mod manifest_update;
mod outcome;
mod parse;
mod portal;
mod progress;
pub mod readers;
mod rows;
mod successor;
mod unchanged;

#[cfg(test)]
mod rerun_requests;

use std::sync::Arc;

pub use error::{Beyond, FetchFault, IngestError, QueryError, ReadFault, ReaderError, Stretch};
pub use exports::*;
use manifest_update::*;
pub use outcome::*;
use parse::*;

use datafusion::arrow::array::{Int64Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory;
use object_store::ObjectStoreExt;
use serde::Serialize;

use crate::config::{Format, Project, Severity, Source, Table};
use crate::warehouse::manifest::{Attempt, CheckResult, Delivery, Published, SourceManifest};

use crate::warehouse::problem::{HeaderFix, Problem};
use crate::warehouse::{Warehouse, WarehouseError};

const BATCH_ROWS: usize = 8192;
/// Rejection details kept per source; past this only the count grows.
const MAX_REJECTION_DETAILS: usize = 100_000;

/// How a run treats the sources' exports.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Re-ingest every source even when its export and definition have not changed.
    pub full: bool,
    /// Sources whose new export a person has checked: taken even when it shrank past `max_shrink`.
    pub accept: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rejection {
    line: u64,
    column: String,
    value: String,
    reason: cell::Reason,
}

#[derive(Debug, Default)]
struct ParseStats {
    total: u64,
    written: u64,
    rejected: u64,
    skipped: u64,
    rejections: Vec<Rejection>,
    warnings: Vec<String>,
    /// Some row held bytes the declared encoding could not decode.
    undecodable: bool,
    /// Rows stored under the successor of a ceased territory code, by column and code.
    moved: std::collections::BTreeMap<(String, String), u64>,
}

/// Ingests every source of the selected pipelines (all when `pipelines` is empty), one after another.
pub async fn ingest(
    project: &Project,
    wh: &Warehouse,
    run_id: &str,
    pipelines: &[String],
    opts: &IngestOptions,
) -> Vec<SourceOutcome> {
    let mut out = Vec::new();
    let progress = progress::Progress::new();
    for source in project
        .sources
        .iter()
        .filter(|s| pipelines.is_empty() || pipelines.contains(&s.pipeline))
    {
        let Some(table) = project.tables.get(&source.table) else {
            continue;
        };
        let started = std::time::Instant::now();
        let bar = progress.source(&source.name);
        let (mut outcome, manifest) =
            match ingest_source(project, wh, source, table, run_id, opts, &bar).await {
                Ok((o, m)) => (o, Some(m)),
                Err(e @ IngestError::Shrunk { .. }) => (
                    SourceOutcome::failure(source, SourceStatus::HeldBack, &e),
                    None,
                ),
                Err(e) => (
                    SourceOutcome::failure(source, SourceStatus::Failed, &e),
                    None,
                ),
            };
        outcome.seconds = started.elapsed().as_secs_f64();
        bar.finish(outcome.status.as_str(), outcome.rows);
        if let Err(e) = record_attempt(wh, source, &outcome, run_id, manifest).await {
            tracing::error!(source = %source.name, "cannot record the attempt: {e}");
        }
        match &outcome.error {
            Some(e) => tracing::error!(source = %source.name, "failed: {e}"),
            None => tracing::info!(
                source = %source.name,
                status = ?outcome.status,
                rows = outcome.rows,
                rejected = outcome.rejected,
                skipped = outcome.skipped,
                ms = started.elapsed().as_millis() as u64,
                "source done"
            ),
        }
        out.push(outcome);
    }
    out
}

async fn load_manifest(wh: &Warehouse, source: &Source) -> Result<SourceManifest, WarehouseError> {
    Ok(crate::warehouse::integrity::manifest(wh, &source.name)
        .await?
        .unwrap_or_else(|| SourceManifest {
            source: source.name.clone(),
            table: source.table.clone(),
            pipeline: source.pipeline.clone(),
            published: None,
            deliveries: Vec::new(),
            last_attempt: None,
            periods_seen: Default::default(),
        }))
}

/// Notes how the source's attempt ended in its manifest: `manifest` as the ingest left it (and
/// wrote it), read again when the ingest failed before it could say.
async fn record_attempt(
    wh: &Warehouse,
    source: &Source,
    outcome: &SourceOutcome,
    run_id: &str,
    manifest: Option<SourceManifest>,
) -> Result<(), WarehouseError> {
    let mut m = match manifest {
        Some(m) => m,
        None => load_manifest(wh, source).await?,
    };
    m.last_attempt = Some(Attempt {
        at: chrono::Utc::now().to_rfc3339(),
        run_id: run_id.to_string(),
        status: serde_json::to_value(outcome.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        rows: Some(outcome.rows),
        error: outcome.error.clone(),
        problem: outcome.problem.clone(),
    });
    wh.put_json(&wh.manifest_path(&source.name), &m).await
}

/// A path as messages show it: relative to the project folder when inside it.
fn shown_path(project: &Project, url: &str) -> String {
    std::path::Path::new(url)
        .strip_prefix(&project.root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| url.to_string())
}

/// Room for a dictionary of a national register's codes (140,000 guest codes take 1.7 MB): with
/// the Parquet default of 1 MB such a column gives up its dictionary after a day or two of rows
/// and stores every code in full, three times the bytes to compress and later to read.
const DICTIONARY_PAGE_BYTES: usize = 4 << 20;

/// Deliveries committed together: a run killed halfway loses at most this many reads, and a
/// folder of a thousand files does not rewrite its manifest a thousand times.
const COMMIT_EVERY: usize = 32;

/// What the deliveries read in one run add up to, for the source's outcome.
#[derive(Default)]
struct Tally {
    rows: u64,
    rejected: u64,
    skipped: u64,
    read: usize,
    failed: Vec<(SourceStatus, String, Problem)>,
    warnings: Vec<String>,
    /// Notes of the deliveries read (ceased territory codes counted under their successor).
    notes: Vec<Problem>,
    check_errors: u64,
    attempts: usize,
    deliveries: Vec<DeliveryOutcome>,
    /// The outcome files being written.
    feedback: Vec<tokio::task::JoinHandle<()>>,
}

/// Ingests one source: each of its deliveries is read (a few at a time), and the manifest is
/// rewritten after each group that changed it, so readers see every delivery either as it was or
/// as it is now. Returns the outcome and the manifest as written.
async fn ingest_source(
    project: &Project,
    wh: &Warehouse,
    source: &Source,
    table: &Table,
    run_id: &str,
    opts: &IngestOptions,
    bar: &progress::SourceBar,
) -> Result<(SourceOutcome, SourceManifest), IngestError> {
    let remote = fetch::RemoteOptions::of(source)?;
    let mut manifest = load_manifest(wh, source).await?;
    unchanged::sort_by_key(&mut manifest);
    let present = unchanged::PresentFiles::list(wh, &wh.partition(&table.name, &source.name)).await;
    let successors = std::sync::Arc::new(successor::Successors::of_table(project, table).await);
    let definition = definition_hash(source, table, &successors);
    // The day templates are filled in up to and periods judged due: the project's one clock.
    let today = crate::clock::today(project.settings.timezone)?;
    let found = locate::deliveries(source, &remote, today).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let shown = |url: &str| shown_path(project, url);
    let cx = delivery::Context {
        wh,
        source,
        table,
        successors: &successors,
        run_id,
        definition: &definition,
        remote: &remote,
        bar,
        full: opts.full,
        accepted: opts.accept.contains(&source.name),
        shown: &shown,
        present: &present,
    };
    let changed = mark_removed(source, &mut manifest, &found, &now);
    let mut tally = Tally::default();
    read_all(
        project,
        &cx,
        &mut manifest,
        &found,
        today,
        &now,
        &mut tally,
        changed,
    )
    .await?;
    // Only now can superseded files (and any a killed run left) go.
    if let Err(e) = remove_unnamed(wh, table, source, &manifest).await {
        tracing::warn!(source = %source.name, "old data files stay until the next run: {e}");
    }
    for handle in std::mem::take(&mut tally.feedback) {
        let _ = handle.await;
    }
    Ok((outcome_of(source, tally), manifest))
}

/// Reads the deliveries found, a few at a time, committing them in groups of `COMMIT_EVERY` as
/// they come: reading goes on across a group's end, so no core waits for a group's slowest file.
/// `changed`: the manifest has changes to write even if no delivery brings any.
#[allow(clippy::too_many_arguments)]
async fn read_all(
    project: &Project,
    cx: &delivery::Context<'_>,
    manifest: &mut SourceManifest,
    found: &[locate::Found],
    today: chrono::NaiveDate,
    now: &str,
    tally: &mut Tally,
    mut changed: bool,
) -> Result<(), IngestError> {
    use futures::StreamExt;
    // Twice the cores: a delivery spends part of its time in steps that use no core of its own
    // (its checks' and findings' queries waiting on their tasks, its files being written), which
    // another's parse fills. Each delivery's memory is bounded on its own.
    let parallel = 2 * std::thread::available_parallelism().map_or(1, usize::from);
    // Each delivery is compared with what it was when the run began: only its own read changes it.
    let previous: Vec<Option<Delivery>> = found
        .iter()
        .map(|f| manifest.delivery(&f.key).cloned())
        .collect();
    let mut reads =
        futures::stream::iter(found.iter().zip(&previous).map(|(f, previous)| async move {
            (f, delivery::read(cx, f, previous.as_ref(), today).await)
        }))
        .buffered(parallel);
    let mut staged = Vec::new();
    let mut in_group = 0;
    while let Some((f, read)) = reads.next().await {
        let before = manifest.delivery(&f.key).cloned();
        apply(project, cx, manifest, f, read, now, tally, &mut staged);
        changed |= manifest.delivery(&f.key) != before.as_ref();
        in_group += 1;
        if in_group == COMMIT_EVERY {
            commit(cx, manifest, &mut staged, changed).await?;
            (in_group, changed) = (0, false);
        }
    }
    commit(cx, manifest, &mut staged, changed).await
}

/// Writes the manifest when it changed (a delivery read or failed, a tag or a removal noted, or
/// the source's summary moved), then keeps the files it names. A group that changed nothing is
/// not written again: the attempt's record, written after, brings the manifest up to date.
async fn commit(
    cx: &delivery::Context<'_>,
    manifest: &mut SourceManifest,
    staged: &mut Vec<delivery::Staged>,
    changed: bool,
) -> Result<(), IngestError> {
    let (wh, source) = (cx.wh, cx.source);
    let published = summary(source, manifest, cx.definition, &(cx.shown)(&source.url));
    if changed || !staged.is_empty() || published != manifest.published {
        manifest.published = published;
        wh.put_json(&wh.manifest_path(&source.name), manifest)
            .await?;
    }
    for s in staged.drain(..) {
        s.commit();
    }
    Ok(())
}

/// Whether `rows` is a larger drop from the last good `previous` rows than `max_shrink` percent.
fn shrank_too_much(previous: u64, rows: u64, max_shrink: f64) -> bool {
    previous > 0 && (rows as f64) < (previous as f64) * (1.0 - max_shrink / 100.0)
}

/// A stable hash of everything in a source's definition that shapes its stored rows: the table's
/// columns, the mapping, the format and its options, the territory, and which columns store ceased
/// codes under their successor. A change re-ingests the export.
fn definition_hash(source: &Source, table: &Table, successors: &successor::Successors) -> String {
    use sha2::{Digest, Sha256};
    let columns: Vec<serde_json::Value> = table
        .columns
        .iter()
        .map(|c| serde_json::json!([c.name, c.ty.as_str(), c.required]))
        .collect();
    let mapping: Vec<serde_json::Value> = source
        .columns
        .iter()
        .map(|m| serde_json::json!([m.column, m.header, m.pad]))
        .collect();
    let text = source.format.text();
    let layout = match &source.format {
        Format::Csv {
            delimiter,
            encoding,
            header_row,
            ..
        } => {
            serde_json::json!({"delimiter": delimiter, "encoding": encoding.name(), "header_row": header_row})
        }
        Format::Xlsx {
            sheet, header_row, ..
        }
        | Format::Ods {
            sheet, header_row, ..
        } => serde_json::json!({"sheet": sheet, "header_row": header_row}),
        Format::Json { encoding, .. } => serde_json::json!({"encoding": encoding.name()}),
        Format::Parquet { .. } => serde_json::json!({}),
    };
    let mut definition = serde_json::json!({
        "table": table.name,
        "columns": columns,
        "mapping": mapping,
        "format": source.format.name(),
        "layout": layout,
        "decimal": text.decimal.to_string(),
        "date_format": text.date_format,
        "territory": source.territory,
        "skip_totals": source.skip_totals,
    });
    // Only where codes are mapped, so a project that maps none keeps the hashes it had.
    if let Some(mapping) = successors.fingerprint(table) {
        definition["successors"] = serde_json::Value::String(mapping);
    }
    hex::encode(Sha256::digest(definition.to_string().as_bytes()))
}
