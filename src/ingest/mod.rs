//! Ingest: fetch each source's export, map it onto its canonical table, keep aside the rows that do
//! not fit, and publish the partition atomically. A source that fails leaves its last good data.

mod batch;
pub mod cell;
mod chunks;
mod delivery;
mod encode;
mod feedback;
mod fetch;
pub mod findings;
mod locate;
mod portal;
mod progress;
pub mod readers;
mod rows;
mod successor;
mod unchanged;

#[cfg(test)]
mod rerun_requests;

use std::sync::Arc;

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

/// Why a source could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The export could not be read or parsed.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Read {
        /// The export.
        file: String,
        /// The line, when the problem has one.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    #[error("{url}: {message}")]
    /// The remote export could not be fetched.
    Fetch {
        /// The address.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A failure with a kind of its own (a missing header, too many rejected rows, bytes that
    /// are not UTF-8): its values, which pages write in the project's locale.
    #[error("{0}")]
    Typed(Box<Problem>),
    /// The export shrank more than `max_shrink` allows; it is held back.
    #[error("{}", self.problem())]
    Shrunk {
        /// The export.
        file: String,
        /// The source, as `--accept` names it.
        name: String,
        /// Rows in the new export.
        rows: u64,
        /// Rows in the last good data.
        previous: u64,
        /// The drop, in percent.
        drop: f64,
        /// The largest drop allowed, in percent.
        max_shrink: f64,
    },
    /// The warehouse could not be read or written.
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// Any other failure, described.
    #[error("{0}")]
    Other(String),
}

impl IngestError {
    /// The failure as a kind and its values, for pages in the project's locale.
    pub fn problem(&self) -> Problem {
        match self {
            IngestError::Typed(p) => (**p).clone(),
            IngestError::Shrunk {
                file,
                name,
                rows,
                previous,
                drop,
                max_shrink,
            } => Problem::HeldBack {
                file: file.clone(),
                name: name.clone(),
                rows: *rows,
                previous: *previous,
                drop: *drop,
                max_shrink: *max_shrink,
            },
            other => Problem::Other {
                text: other.to_string(),
            },
        }
    }
}

/// How a source's ingest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// New data was written.
    Ingested,
    /// The export and its definition are as last time: nothing was written.
    Unchanged,
    /// The new export has far fewer rows than the last good data: kept back until a person accepts it.
    HeldBack,
    /// The source failed; its last good data is kept.
    Failed,
}

impl SourceStatus {
    /// The word the summary table and the manifests use.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Ingested => "ingested",
            SourceStatus::Unchanged => "unchanged",
            SourceStatus::HeldBack => "held back",
            SourceStatus::Failed => "failed",
        }
    }
}

/// What ingesting one source did, for the summary and the run record.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SourceOutcome {
    /// The source's name.
    pub source: String,
    /// The table it feeds.
    pub table: String,
    /// How it ended.
    pub status: SourceStatus,
    /// Rows written.
    pub rows: u64,
    /// Rows rejected (each in `_rejected/`).
    pub rejected: u64,
    /// Total and footer rows skipped (`skip_totals`).
    #[serde(default)]
    pub skipped: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The same as a kind and its values, for pages in the project's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Notes a person should read though nothing failed (ceased territory codes counted under
    /// their successor), each a kind and its values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Problem>,
    /// Warnings (checks of severity warning, skipped totals, ...).
    pub warnings: Vec<String>,
    /// Rows breaking checks of severity `error`.
    pub check_errors: u64,
    /// Seconds it took.
    #[serde(default)]
    pub seconds: f64,
    /// Requests made for a remote export (more than one when a transient error was retried; 0
    /// when an unchanged ETag spared the download).
    #[serde(default)]
    pub attempts: usize,
    /// For a source of many deliveries: what each did this run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<DeliveryOutcome>,
}

/// What one delivery of a many-delivery source did in a run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DeliveryOutcome {
    /// The delivery's key (its path below the source's folder, or its period).
    pub key: String,
    /// How it ended.
    pub status: SourceStatus,
    /// Rows it has published.
    pub rows: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl DeliveryOutcome {
    fn of(d: &Delivery, status: SourceStatus, error: Option<String>) -> DeliveryOutcome {
        DeliveryOutcome {
            key: d.key.clone(),
            status,
            rows: d.published.as_ref().map_or(0, |p| p.rows),
            error,
        }
    }
}

impl SourceOutcome {
    /// Whether this outcome makes the run exit non-zero.
    pub fn failed(&self) -> bool {
        matches!(self.status, SourceStatus::Failed | SourceStatus::HeldBack)
            || self.check_errors > 0
    }

    fn failure(source: &Source, status: SourceStatus, error: &IngestError) -> SourceOutcome {
        SourceOutcome {
            source: source.name.clone(),
            table: source.table.clone(),
            status,
            rows: 0,
            rejected: 0,
            skipped: 0,
            error: Some(error.to_string()),
            problem: Some(error.problem()),
            notes: Vec::new(),
            warnings: Vec::new(),
            check_errors: 0,
            seconds: 0.0,
            attempts: 0,
            deliveries: Vec::new(),
        }
    }
}

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
    let definition = definition_hash(source, table);
    // The day templates are filled in up to and periods judged due: the project's one clock.
    let today = crate::clock::today(project.settings.timezone)
        .map_err(|e| IngestError::Other(e.to_string()))?;
    let found = locate::deliveries(source, &remote, today).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let shown = |url: &str| shown_path(project, url);
    let successors = std::sync::Arc::new(successor::Successors::of_table(project, table).await);
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
    let parallel = std::thread::available_parallelism().map_or(1, usize::from);
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

/// Notes the deliveries whose file is gone from the listing: their rows are kept, or dropped
/// under `removed: drop`. Whether that changed the manifest.
fn mark_removed(
    source: &Source,
    manifest: &mut SourceManifest,
    found: &[locate::Found],
    now: &str,
) -> bool {
    if !matches!(source.locator, crate::config::Locator::Listing { .. }) {
        return false;
    }
    let present: std::collections::HashSet<&str> = found.iter().map(|f| f.key.as_str()).collect();
    if source.drop_removed {
        let before = manifest.deliveries.len();
        manifest
            .deliveries
            .retain(|d| present.contains(d.key.as_str()));
        return manifest.deliveries.len() != before;
    }
    let mut changed = false;
    for d in manifest
        .deliveries
        .iter_mut()
        .filter(|d| !present.contains(d.key.as_str()) && d.removed_at.is_none())
    {
        d.removed_at = Some(now.to_string());
        changed = true;
    }
    changed
}

/// Records in the manifest how reading one delivery ended, keeps what it staged to commit, and
/// writes the delivery's outcome file for its sender.
#[allow(clippy::too_many_arguments)]
fn apply(
    project: &Project,
    cx: &delivery::Context<'_>,
    manifest: &mut SourceManifest,
    found: &locate::Found,
    read: delivery::Outcome,
    now: &str,
    tally: &mut Tally,
    staged: &mut Vec<delivery::Staged>,
) {
    use delivery::Outcome;
    let modified = found.modified.map(|t| t.to_rfc3339());
    let index = match unchanged::find(manifest, &found.key) {
        Ok(i) => i,
        Err(at) => {
            if matches!(read, Outcome::NotYetThere) {
                return;
            }
            manifest.deliveries.insert(
                at,
                Delivery {
                    key: found.key.clone(),
                    url: (cx.shown)(&found.url),
                    published: None,
                    periods: Vec::new(),
                    covers: Vec::new(),
                    modified: modified.clone(),
                    arrived_at: now.to_string(),
                    rejected_file: None,
                    findings_file: None,
                    failure: None,
                    removed_at: None,
                },
            );
            at
        }
    };
    let d = &mut manifest.deliveries[index];
    d.removed_at = None;
    match read {
        Outcome::NotYetThere => {}
        Outcome::Unchanged { etag } => {
            if let (Some(p), Some(etag)) = (d.published.as_mut(), etag) {
                p.etag = Some(etag);
            }
            // A file re-sent with the same content is still the latest sent: for supersede it is
            // newer than a delivery modified in between, as reading the folder from scratch finds.
            if modified.is_some() {
                d.modified = modified;
            }
            d.failure = None;
            if let Some(p) = &d.published {
                tally.rows += p.rows;
                tally.rejected += p.rejected_rows;
                tally.skipped += p.skipped_rows;
                tally.warnings.extend(p.warnings.iter().cloned());
            }
            tally
                .deliveries
                .push(DeliveryOutcome::of(d, SourceStatus::Unchanged, None));
        }
        Outcome::Read(r) => {
            let r = *r;
            tally.read += 1;
            tally.attempts += r.attempts;
            tally.rows += r.stats.written;
            tally.rejected += r.stats.rejected;
            tally.skipped += r.stats.skipped;
            tally.check_errors += r.check_errors;
            tally.warnings.extend(r.published.warnings.iter().cloned());
            tally.notes.extend(r.published.notes.iter().cloned());
            for p in &r.periods {
                manifest
                    .periods_seen
                    .entry(p.clone())
                    .or_insert_with(|| now.to_string());
            }
            let d = &mut manifest.deliveries[index];
            tally.feedback.push(feedback::write(
                project,
                cx.source,
                d.key.as_str(),
                &feedback::Report::read(&r),
            ));
            d.published = Some(r.published);
            d.periods = r.periods;
            d.covers = r.covers;
            d.modified = modified;
            d.failure = None;
            d.rejected_file = r.rejected.as_ref().map(|s| s.rel.clone());
            d.findings_file = r.findings.as_ref().map(|s| s.rel.clone());
            staged.push(r.data);
            staged.extend(r.rejected);
            staged.extend(r.findings);
            tally
                .deliveries
                .push(DeliveryOutcome::of(d, SourceStatus::Ingested, None));
        }
        Outcome::Failed {
            error,
            rejected,
            stats,
        } => {
            let status = match error {
                IngestError::Shrunk { .. } => SourceStatus::HeldBack,
                _ => SourceStatus::Failed,
            };
            let message = error.to_string();
            let problem = error.problem();
            tally.feedback.push(feedback::write(
                project,
                cx.source,
                d.key.as_str(),
                &feedback::Report::failed(&problem, stats.as_deref()),
            ));
            d.failure = Some(Attempt {
                at: now.to_string(),
                run_id: cx.run_id.to_string(),
                status: match status {
                    SourceStatus::HeldBack => "held_back".into(),
                    _ => "failed".into(),
                },
                rows: None,
                error: Some(message.clone()),
                problem: Some(problem.clone()),
            });
            if let Some(r) = rejected {
                d.rejected_file = Some(r.rel.clone());
                staged.push(r);
            }
            if let Some(s) = &stats {
                tally.rejected += s.rejected;
            }
            tally
                .deliveries
                .push(DeliveryOutcome::of(d, status, Some(message.clone())));
            tally.failed.push((status, message, problem));
        }
    }
}

/// The source as a whole: its one file's content, or (for many deliveries) the sum of theirs
/// under one checksum of every delivery's.
fn summary(
    source: &Source,
    manifest: &SourceManifest,
    definition: &str,
    shown: &str,
) -> Option<Published> {
    use sha2::{Digest, Sha256};
    let published: Vec<(&Delivery, &Published)> = manifest
        .deliveries
        .iter()
        .filter_map(|d| Some((d, d.published.as_ref()?)))
        .collect();
    if !source.locator.is_many() {
        return published.first().map(|(_, p)| (*p).clone());
    }
    let latest = published
        .iter()
        .map(|(_, p)| p)
        .max_by_key(|p| &p.ingested_at)?;
    let mut hasher = Sha256::new();
    for (d, p) in &published {
        hasher.update(format!("{}\t{}\n", d.key, p.sha256).as_bytes());
    }
    let mut checks: Vec<crate::warehouse::manifest::CheckResult> = Vec::new();
    for (_, p) in &published {
        for c in &p.checks {
            match checks.iter_mut().find(|x| x.name == c.name) {
                Some(x) => x.violations += c.violations,
                None => checks.push(c.clone()),
            }
        }
    }
    Some(Published {
        url: shown.to_string(),
        sha256: hex::encode(hasher.finalize()),
        file: None,
        etag: None,
        definition: Some(definition.to_string()),
        bytes: published.iter().map(|(_, p)| p.bytes).sum(),
        rows: published.iter().map(|(_, p)| p.rows).sum(),
        rejected_rows: published.iter().map(|(_, p)| p.rejected_rows).sum(),
        skipped_rows: published.iter().map(|(_, p)| p.skipped_rows).sum(),
        ingested_at: latest.ingested_at.clone(),
        run_id: latest.run_id.clone(),
        warnings: published
            .iter()
            .flat_map(|(d, p)| p.warnings.iter().map(move |w| format!("{}: {w}", d.key)))
            .take(MAX_SUMMARY_WARNINGS)
            .collect(),
        checks,
        notes: published
            .iter()
            .flat_map(|(_, p)| p.notes.iter().cloned())
            .take(MAX_SUMMARY_WARNINGS)
            .collect(),
    })
}

/// Warnings a many-delivery source's summary keeps (each delivery keeps all of its own).
const MAX_SUMMARY_WARNINGS: usize = 50;

/// The source's outcome from what its deliveries did this run: failed when one failed (the
/// others are published all the same), ingested when one was read, else unchanged.
fn outcome_of(source: &Source, tally: Tally) -> SourceOutcome {
    let status = if tally
        .failed
        .iter()
        .any(|(s, _, _)| *s == SourceStatus::Failed)
    {
        SourceStatus::Failed
    } else if !tally.failed.is_empty() {
        SourceStatus::HeldBack
    } else if tally.read > 0 {
        SourceStatus::Ingested
    } else {
        SourceStatus::Unchanged
    };
    let error = match tally.failed.len() {
        0 => None,
        n if n <= MAX_NAMED_FAILURES => Some(
            tally
                .failed
                .iter()
                .map(|(_, e, _)| e.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        n => Some(format!(
            "{}; and {} more deliveries failed (osservatorio deliveries --source {} lists them)",
            tally.failed[..MAX_NAMED_FAILURES]
                .iter()
                .map(|(_, e, _)| e.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            n - MAX_NAMED_FAILURES,
            source.name
        )),
    };
    let problem = match tally.failed.as_slice() {
        [] => None,
        [(_, _, p)] => Some(p.clone()),
        many => Some(Problem::Several {
            source: source.name.clone(),
            problems: many
                .iter()
                .take(MAX_NAMED_FAILURES)
                .map(|(_, _, p)| p.clone())
                .collect(),
            more: many.len().saturating_sub(MAX_NAMED_FAILURES),
        }),
    };
    let (rows, skipped) = if status == SourceStatus::Failed && !source.locator.is_many() {
        (0, 0)
    } else {
        (tally.rows, tally.skipped)
    };
    SourceOutcome {
        source: source.name.clone(),
        table: source.table.clone(),
        status,
        rows,
        rejected: tally.rejected,
        skipped,
        error,
        problem,
        notes: tally.notes,
        warnings: tally.warnings,
        check_errors: tally.check_errors,
        seconds: 0.0,
        attempts: tally.attempts,
        deliveries: if source.locator.is_many() {
            tally.deliveries
        } else {
            Vec::new()
        },
    }
}

/// Failed deliveries named one by one in a source's error; past this they are counted.
const MAX_NAMED_FAILURES: usize = 5;

/// Removes the source's data, rejected and findings files that its manifest does not name:
/// superseded ones, and any a killed run left behind.
async fn remove_unnamed(
    wh: &Warehouse,
    table: &Table,
    source: &Source,
    manifest: &SourceManifest,
) -> Result<(), WarehouseError> {
    let mut named = std::collections::BTreeSet::new();
    for d in &manifest.deliveries {
        named.extend(d.published.as_ref().and_then(|p| p.file.clone()));
        named.extend(d.rejected_file.clone());
        named.extend(d.findings_file.clone());
    }
    // Files a published bundle was computed from stay while the bundle exists.
    named.extend(crate::warehouse::pins::pinned_files(wh).await?);
    wh.remove_all_but(&wh.partition(&table.name, &source.name), &named)
        .await?;
    wh.remove_all_but(
        &format!("_rejected/{}/source={}", table.name, source.name),
        &named,
    )
    .await?;
    wh.remove_all_but(&format!("_findings/{}", source.name), &named)
        .await?;
    // The single findings file of manifests before deliveries.
    match wh.store.delete(&wh.findings_path(&source.name)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(source) => Err(WarehouseError::Store {
            path: "_findings".into(),
            source,
        }),
    }
}

/// Whether `rows` is a larger drop from the last good `previous` rows than `max_shrink` percent.
fn shrank_too_much(previous: u64, rows: u64, max_shrink: f64) -> bool {
    previous > 0 && (rows as f64) < (previous as f64) * (1.0 - max_shrink / 100.0)
}

/// A stable hash of everything in a source's definition that shapes its stored rows: the table's
/// columns, the mapping, the format and its options, the territory. A change re-ingests the export.
pub fn definition_hash(source: &Source, table: &Table) -> String {
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
    let definition = serde_json::json!({
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
    hex::encode(Sha256::digest(definition.to_string().as_bytes()))
}

/// Whether a cell's text labels a total or footer row (`Totale`, `TOTALE GENERALE`, `Total:`).
fn is_total_label(text: &str) -> bool {
    // Every label starts with "tot": most cells are settled without building a lowered copy.
    let start = text.trim_start();
    if !start
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("tot"))
    {
        return false;
    }
    let t = text
        .trim()
        .trim_end_matches([':', '.'])
        .trim()
        .to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        t.as_str(),
        "totale"
            | "totali"
            | "total"
            | "totals"
            | "totale generale"
            | "totale complessivo"
            | "grand total"
    )
}

/// The export's header closest to `wanted`, when one is close enough to be a typo of it.
fn closest_header<'h>(wanted: &str, headers: &'h [String]) -> Option<&'h str> {
    let wanted = normalize_header(wanted);
    headers
        .iter()
        .map(|h| (strsim::jaro_winkler(&wanted, &normalize_header(h)), h))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h.as_str())
}

/// What opening every delivery of every source found: the sources that a run would fail, and
/// the rows it would reject. The exports are read whole into a scratch warehouse, removed after:
/// nothing is written to the project's warehouse or output.
pub async fn check_exports(project: &Project) -> Result<Vec<ExportCheck>, IngestError> {
    let scratch =
        tempfile::tempdir().map_err(|e| IngestError::Other(format!("a scratch folder: {e}")))?;
    let mut trial = project.clone();
    trial.settings.warehouse = scratch.path().join("warehouse").display().to_string();
    trial.settings.output = scratch.path().join("out");
    let wh = Warehouse::open(&trial.settings.warehouse)?;
    let opts = IngestOptions {
        full: true,
        accept: project.sources.iter().map(|s| s.name.clone()).collect(),
    };
    let outcomes = ingest(&trial, &wh, "check", &[], &opts).await;
    let ctx = crate::warehouse::session::warehouse_context(&wh)?;
    crate::warehouse::session::register_rejected(&ctx, &trial, &wh).await?;
    let mut out = Vec::new();
    for o in outcomes {
        let sql = format!(
            "SELECT delivery, line, \"column\", value, reason FROM _rejected WHERE source = '{}' ORDER BY delivery, line LIMIT {FIRST_REJECTIONS}",
            o.source.replace('\'', "''")
        );
        let first = match ctx.sql(&sql).await {
            Ok(df) => df.collect().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut rejections = Vec::new();
        for b in &first {
            let text = |i: usize, r: usize| {
                datafusion::arrow::util::display::array_value_to_string(b.column(i), r)
                    .unwrap_or_default()
            };
            for r in 0..b.num_rows() {
                rejections.push(format!(
                    "{} line {}, column {}: '{}' {}",
                    text(0, r),
                    text(1, r),
                    text(2, r),
                    text(3, r),
                    text(4, r)
                ));
            }
        }
        out.push(ExportCheck {
            outcome: o,
            rejections,
        });
    }
    Ok(out)
}

/// Rejected rows `check` quotes per source.
const FIRST_REJECTIONS: usize = 3;

/// What `check` found opening one source's deliveries.
pub struct ExportCheck {
    /// How a run would end for the source.
    pub outcome: SourceOutcome,
    /// The first rows a run would reject, with delivery, line, column, value and reason.
    pub rejections: Vec<String>,
}

fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `format` reading its header from row `k` instead, for the formats that have a header row.
fn with_header_row(format: &Format, k: usize) -> Option<Format> {
    let mut f = format.clone();
    match &mut f {
        Format::Csv { header_row, .. }
        | Format::Xlsx { header_row, .. }
        | Format::Ods { header_row, .. } => *header_row = k,
        _ => return None,
    }
    Some(f)
}

/// `format` decoding the text as Windows-1252 (Excel on Windows), for the text formats.
fn as_windows_1252(format: &Format) -> Option<Format> {
    let mut f = format.clone();
    match &mut f {
        Format::Csv { encoding, .. } | Format::Json { encoding, .. }
            if *encoding != encoding_rs::WINDOWS_1252 =>
        {
            *encoding = encoding_rs::WINDOWS_1252
        }
        _ => return None,
    }
    Some(f)
}

/// Whether the export read as `format` has every header the source maps.
fn has_mapped_headers(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
    format: &Format,
) -> bool {
    let wanted: Vec<String> = source
        .columns
        .iter()
        .filter(|m| m.mapped)
        .map(|m| normalize_header(&m.header))
        .collect();
    !wanted.is_empty()
        && readers::open(path, shown, format).is_ok_and(|(headers, _)| {
            let found: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
            wanted.iter().all(|w| found.contains(w))
        })
}

/// The setting under which the export has every mapped header, when one does: exports often open
/// with a title or two above the header, or come in Excel's Windows encoding.
fn header_setting_fix(path: &std::path::Path, shown: &str, source: &Source) -> Option<HeaderFix> {
    if let Some(f) = as_windows_1252(&source.format)
        && has_mapped_headers(path, shown, source, &f)
    {
        return Some(HeaderFix::Windows1252);
    }
    (1..=20)
        .find(|&k| {
            with_header_row(&source.format, k)
                .is_some_and(|f| has_mapped_headers(path, shown, source, &f))
        })
        .map(|k| HeaderFix::HeaderRow { row: k as u64 })
}

/// A missing header's error, with the setting that finds the headers when one does.
fn with_header_row_hint(
    mut e: IngestError,
    path: &std::path::Path,
    shown: &str,
    source: &Source,
) -> IngestError {
    if let IngestError::Typed(p) = &mut e
        && let Problem::MissingHeader { fix, .. } = p.as_mut()
    {
        *fix = header_setting_fix(path, shown, source);
    }
    e
}

/// For each canonical column, the position of its cell in the export's header (None: not
/// exported), and a warning for each optional column the export lacks.
fn column_positions(
    headers: &[String],
    shown: &str,
    source: &Source,
    table: &Table,
) -> Result<(Vec<Option<usize>>, Vec<String>), IngestError> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut positions = Vec::new();
    let mut warnings = Vec::new();
    for (col, map) in table.columns.iter().zip(&source.columns) {
        let pos = normalized
            .iter()
            .position(|h| *h == normalize_header(&map.header));
        if pos.is_none() && (map.mapped || col.required) {
            return Err(IngestError::Typed(Box::new(Problem::MissingHeader {
                file: shown.to_string(),
                column: col.name.clone(),
                header: map.header.clone(),
                found: crate::text::excerpt(&headers.join(", ")).into_owned(),
                near: closest_header(&map.header, headers).map(str::to_string),
                fix: None,
            })));
        }
        if pos.is_none() {
            warnings.push(format!(
                "column '{}' is not in the export: stored as empty",
                col.name
            ));
        }
        positions.push(pos);
    }
    Ok((positions, warnings))
}

/// Where a parse puts its rows: the parts it opens, and how their row groups are encoded.
struct Output {
    parts: encode::PartSender,
    factory: std::sync::Arc<ArrowRowGroupWriterFactory>,
    /// The table's territory columns, where ceased codes are stored under their successor.
    successors: std::sync::Arc<successor::Successors>,
}

impl Output {
    /// A parser for the next part of the export.
    fn parser<'a>(
        &self,
        source: &'a Source,
        table: &'a Table,
        positions: &'a [Option<usize>],
        progress: &'a rows::Progress<'a>,
    ) -> Result<rows::RowParser<'a>, IngestError> {
        let tx = encode::open_part(&self.parts)
            .ok_or_else(|| IngestError::Other("the warehouse writer stopped".into()))?;
        let encoder =
            encode::GroupEncoder::new(self.factory.clone(), crate::warehouse::table_schema(table));
        Ok(rows::RowParser::new(
            source,
            table,
            positions,
            encoder,
            tx,
            progress,
            self.successors.clone(),
        ))
    }
}

/// Reads the export row by row, converting, batching and encoding; row groups go to the writer as
/// they fill up. A large CSV export is read by one thread per core, each on its own range of lines
/// and encoding its own row groups.
fn parse_export(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
    table: &Table,
    output: Output,
    bar: &progress::SourceBar,
) -> Result<ParseStats, IngestError> {
    let progress = rows::Progress::new(bar);
    if let Format::Csv {
        delimiter,
        encoding,
        header_row,
        ..
    } = &source.format
    {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let layout = chunks::Layout {
            delimiter: *delimiter,
            encoding,
            header_row: *header_row,
        };
        let plan = chunks::plan(
            path,
            shown,
            layout,
            threads,
            chunks::MIN_PARALLEL_BYTES,
            // A run given up (the writer gone) stops the scan rather than reading on.
            &|| output.parts.is_closed(),
        )?;
        if let Some(plan) = plan {
            let (positions, warnings) = column_positions(&plan.headers, shown, source, table)
                .map_err(|e| with_header_row_hint(e, path, shown, source))?;
            // Opened in export order, before any thread starts: the file follows this order.
            let parsers = plan
                .chunks
                .iter()
                .map(|_| output.parser(source, table, &positions, &progress))
                .collect::<Result<Vec<_>, _>>()?;
            let parts = std::thread::scope(|s| {
                let handles: Vec<_> = plan
                    .chunks
                    .iter()
                    .zip(parsers)
                    .map(|(chunk, mut parser)| {
                        let plan = &plan;
                        s.spawn(move || {
                            chunks::parse(path, shown, *delimiter, plan, chunk, |line, cells| {
                                parser.push(line, cells)
                            })?;
                            parser.finish()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(IngestError::Other("a parsing thread stopped".into()))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })?;
            return Ok(rows::merge(parts, warnings));
        }
    }
    let (headers, rows) = readers::open(path, shown, &source.format)?;
    let (positions, warnings) = column_positions(&headers, shown, source, table)
        .map_err(|e| with_header_row_hint(e, path, shown, source))?;
    let mut parser = output.parser(source, table, &positions, &progress)?;
    for row in rows {
        let row = row?;
        parser.push(row.line, row.cells.as_slice())?;
    }
    Ok(rows::merge(vec![parser.finish()?], warnings))
}

async fn run_checks(
    wh: &Warehouse,
    table: &Table,
    data_file: &str,
) -> Result<Vec<CheckResult>, IngestError> {
    if table.checks.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = crate::warehouse::session::staged_file_context(wh, data_file).await?;
    let mut out = Vec::new();
    for check in &table.checks {
        let sql = format!(
            "SELECT _line FROM staged WHERE NOT ({}) ORDER BY _line",
            check.rule
        );
        let batches = match crate::warehouse::session::plan_read_only(&ctx, &sql).await {
            Ok(df) => df.collect().await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        }
        .map_err(|e| {
            IngestError::Other(format!(
                "{}: check '{}' rule \"{}\": {e}",
                table.file.display(),
                check.name,
                check.rule
            ))
        })?;
        let lines: Vec<i64> = batches
            .iter()
            .filter_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>())
            .flat_map(|a| a.iter().flatten())
            .collect();
        out.push(CheckResult {
            name: check.name.clone(),
            rule: check.rule.clone(),
            severity: match check.severity {
                Severity::Warning => "warning".into(),
                Severity::Error => "error".into(),
            },
            violations: lines.len() as u64,
            sample_lines: lines.into_iter().take(10).collect(),
        });
    }
    Ok(out)
}

/// A delivery's rejected rows as a Parquet file.
fn rejected_parquet(
    source: &str,
    table: &str,
    delivery: &str,
    rejections: &[Rejection],
) -> Result<Vec<u8>, IngestError> {
    let n = rejections.len();
    let batch = RecordBatch::try_new(
        crate::warehouse::rejected_schema(),
        vec![
            Arc::new(StringArray::from(vec![source; n])),
            Arc::new(StringArray::from(vec![table; n])),
            Arc::new(StringArray::from(vec![delivery; n])),
            Arc::new(Int64Array::from_iter_values(
                rejections.iter().map(|r| r.line as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.column.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.value.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.reason.to_string()),
            )),
        ],
    )
    .map_err(|e| IngestError::Other(e.to_string()))?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, crate::warehouse::rejected_schema(), None)
        .map_err(|e| IngestError::Other(e.to_string()))?;
    w.write(&batch)
        .map_err(|e| IngestError::Other(e.to_string()))?;
    w.close().map_err(|e| IngestError::Other(e.to_string()))?;
    Ok(buf)
}

/// For a text export read as UTF-8 whose rows held undecodable bytes: the failure naming the
/// first bad byte, its line and the setting that likely reads it. Such bytes are never stored
/// as U+FFFD.
fn undecodable_utf8(
    path: &std::path::Path,
    shown: &str,
    format: &Format,
    stats: &ParseStats,
) -> Option<IngestError> {
    let encoding = match format {
        Format::Csv { encoding, .. } | Format::Json { encoding, .. } => *encoding,
        _ => return None,
    };
    if encoding != encoding_rs::UTF_8 || !stats.undecodable {
        return None;
    }
    let (line, offset, byte) = first_invalid_utf8(path).ok()??;
    Some(IngestError::Typed(Box::new(Problem::NotUtf8 {
        file: shown.to_string(),
        line,
        byte,
        offset,
    })))
}

/// The line, byte offset and value of the first byte of `path` that is not valid UTF-8.
fn first_invalid_utf8(path: &std::path::Path) -> std::io::Result<Option<(u64, u64, u8)>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    // Bytes of a character cut by the end of the last read, carried into the next.
    let mut carry = 0usize;
    let (mut offset, mut line) = (0u64, 1u64);
    loop {
        let n = file.read(&mut buf[carry..])?;
        let len = carry + n;
        let chunk = &buf[..len];
        match std::str::from_utf8(chunk) {
            Ok(_) if n == 0 => return Ok(None),
            Ok(_) => {
                line += memchr::memchr_iter(b'\n', chunk).count() as u64;
                offset += len as u64;
                carry = 0;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if e.error_len().is_some() || n == 0 {
                    line += memchr::memchr_iter(b'\n', &chunk[..good]).count() as u64;
                    return Ok(Some((line, offset + good as u64, chunk[good])));
                }
                // A character cut by the read: keep its bytes for the next.
                line += memchr::memchr_iter(b'\n', &chunk[..good]).count() as u64;
                offset += good as u64;
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
        }
    }
}
