//! Ingest: fetch each source's export, map it onto its canonical table, keep aside the rows that do
//! not fit, and publish the partition atomically. A source that fails leaves its last good data.

mod batch;
pub mod cell;
mod chunks;
mod encode;
mod fetch;
pub mod findings;
mod progress;
pub mod readers;
mod rows;

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory;
use datafusion::parquet::basic::{Compression, Encoding, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use serde::Serialize;

use crate::config::{Format, Project, Severity, Source, Table};
use crate::warehouse::manifest::{Attempt, CheckResult, Published, SourceManifest};

/// An S3 store for `bucket` from the standard AWS variables, with the same timeout and retries as
/// remote sources.
pub fn s3_store(bucket: &str) -> Result<object_store::aws::AmazonS3, object_store::Error> {
    fetch::s3_builder(bucket, std::time::Duration::from_secs(60))
        .with_retry(object_store::RetryConfig::default())
        .build()
}
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
    #[error(
        "{file}: column '{column}' is mapped to the header '{header}', which the export does not have (headers: {found})"
    )]
    /// A mapped header is not in the export.
    MissingColumn {
        /// The export.
        file: String,
        /// The canonical column.
        column: String,
        /// The header it is mapped to.
        header: String,
        /// The headers the export has.
        found: String,
    },
    #[error(
        "{file}: {rejected} of {total} rows rejected, more than max_rejected allows; first: {first}; every rejected line is in _rejected/, the last good data is kept"
    )]
    /// More rows were rejected than `max_rejected` allows.
    TooManyRejected {
        /// The export.
        file: String,
        /// Rows rejected.
        rejected: u64,
        /// Rows read.
        total: u64,
        /// The first rejection, with its line.
        first: String,
    },
    #[error(
        "{file}: held back: the new export has {rows} row(s) where the last good data has {previous} (a drop of {drop:.0}%, more than max_shrink {max_shrink}% allows); the last good data is kept. Check the export, then take it with: osservatorio ingest --accept {name}"
    )]
    /// The export shrank more than `max_shrink` allows; it is held back.
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
}

impl SourceOutcome {
    /// Whether this outcome makes the run exit non-zero.
    pub fn failed(&self) -> bool {
        matches!(self.status, SourceStatus::Failed | SourceStatus::HeldBack)
            || self.check_errors > 0
    }

    fn failure(source: &Source, status: SourceStatus, error: String) -> SourceOutcome {
        SourceOutcome {
            source: source.name.clone(),
            table: source.table.clone(),
            status,
            rows: 0,
            rejected: 0,
            skipped: 0,
            error: Some(error),
            warnings: Vec::new(),
            check_errors: 0,
            seconds: 0.0,
            attempts: 0,
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
    reason: String,
}

#[derive(Debug, Default)]
struct ParseStats {
    total: u64,
    written: u64,
    rejected: u64,
    skipped: u64,
    rejections: Vec<Rejection>,
    warnings: Vec<String>,
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
        let mut outcome = match ingest_source(project, wh, source, table, run_id, opts, &bar).await
        {
            Ok(o) => o,
            Err(e @ IngestError::Shrunk { .. }) => {
                SourceOutcome::failure(source, SourceStatus::HeldBack, e.to_string())
            }
            Err(e) => SourceOutcome::failure(source, SourceStatus::Failed, e.to_string()),
        };
        outcome.seconds = started.elapsed().as_secs_f64();
        bar.finish(outcome.status.as_str(), outcome.rows);
        if let Err(e) = record_attempt(wh, source, &outcome, run_id).await {
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
            last_attempt: None,
            periods_seen: Default::default(),
        }))
}

async fn record_attempt(
    wh: &Warehouse,
    source: &Source,
    outcome: &SourceOutcome,
    run_id: &str,
) -> Result<(), WarehouseError> {
    let mut m = load_manifest(wh, source).await?;
    m.last_attempt = Some(Attempt {
        at: chrono::Utc::now().to_rfc3339(),
        run_id: run_id.to_string(),
        status: serde_json::to_value(outcome.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        rows: Some(outcome.rows),
        error: outcome.error.clone(),
    });
    wh.put_json(&wh.manifest_path(&source.name), &m).await
}

fn shown_url(project: &Project, source: &Source) -> String {
    std::path::Path::new(&source.url)
        .strip_prefix(&project.root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| source.url.clone())
}

/// What a source that has not changed reports: its published rows.
fn unchanged(source: &Source, p: &Published) -> SourceOutcome {
    SourceOutcome {
        source: source.name.clone(),
        table: source.table.clone(),
        status: SourceStatus::Unchanged,
        rows: p.rows,
        rejected: p.rejected_rows,
        skipped: p.skipped_rows,
        error: None,
        warnings: p.warnings.clone(),
        check_errors: 0,
        seconds: 0.0,
        attempts: 0,
    }
}

/// Room for a dictionary of a national register's codes (140,000 guest codes take 1.7 MB): with
/// the Parquet default of 1 MB such a column gives up its dictionary after a day or two of rows
/// and stores every code in full, three times the bytes to compress and later to read.
const DICTIONARY_PAGE_BYTES: usize = 4 << 20;

/// The outcome of a source whose export holds the content already published. A new tag for the
/// same content (a file touched or copied again) is remembered, so the next run is spared the
/// checksum.
async fn still_published(
    wh: &Warehouse,
    source: &Source,
    manifest: &SourceManifest,
    published: &Published,
    fetched: &fetch::Fetched,
) -> Result<SourceOutcome, IngestError> {
    let mut out = unchanged(source, published);
    out.attempts = fetched.attempts;
    if fetched.etag.is_some() && fetched.etag != published.etag {
        let mut m = manifest.clone();
        if let Some(p) = m.published.as_mut() {
            p.etag = fetched.etag.clone();
        }
        wh.put_json(&wh.manifest_path(&source.name), &m).await?;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn ingest_source(
    project: &Project,
    wh: &Warehouse,
    source: &Source,
    table: &Table,
    run_id: &str,
    opts: &IngestOptions,
    bar: &progress::SourceBar,
) -> Result<SourceOutcome, IngestError> {
    let shown = shown_url(project, source);
    let remote = fetch::RemoteOptions::of(source)?;
    let manifest = load_manifest(wh, source).await?;
    let definition = definition_hash(source, table);
    let accepted = opts.accept.contains(&source.name);
    // The published data is reusable when its definition is today's and its file is still there.
    let reusable = match &manifest.published {
        Some(p) if !opts.full && !accepted => {
            let same_definition = p.definition.as_deref() == Some(definition.as_str());
            let stored = wh
                .store
                .head(&wh.path(&p.data_file(&table.name, &source.name)))
                .await
                .is_ok();
            (same_definition && stored).then_some(p)
        }
        _ => None,
    };
    // A remote export whose ETag has not moved is not downloaded again.
    if let Some(p) = reusable
        && let Some(etag) = &p.etag
        && fetch::remote_etag(&source.url, &remote).await.as_ref() == Some(etag)
    {
        return Ok(unchanged(source, p));
    }
    // A local file of the size last published is likely the same content touched again: it is
    // hashed first and not parsed when it is. Any other is hashed while it is parsed.
    let (fetched, checksum) = fetch::fetch(
        &source.url,
        &remote,
        &|b| bar.bytes(b),
        reusable.map(|p| p.bytes),
    )
    .await?;
    if let Some(p) = reusable
        && checksum.known() == Some(p.sha256.as_str())
    {
        return still_published(wh, source, &manifest, p, &fetched).await;
    }

    // Written under a key of its own; nothing reads it until the manifest names it.
    let data_file = wh.new_data_file(&table.name, &source.name, run_id);
    let data_path = wh.path(&data_file);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(encode::ROW_GROUP_ROWS))
        // Every line number is distinct, and each is the one before plus one or a little more:
        // stored as differences they take a few bits a row, and ZSTD has next to nothing to do.
        .set_column_dictionary_enabled(ColumnPath::from("_line"), false)
        .set_column_encoding(ColumnPath::from("_line"), Encoding::DELTA_BINARY_PACKED)
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES)
        .set_created_by(format!("osservatorio {}", env!("CARGO_PKG_VERSION")))
        .build();
    let (mut writer, factory) = encode::FileWriter::new(
        crate::warehouse::table_schema(table),
        props,
        BufWriter::new(wh.store.clone(), data_path.clone()),
    )
    .map_err(|e| IngestError::Other(e.to_string()))?;
    let (parts, parts_rx) = tokio::sync::mpsc::unbounded_channel();
    let parse = {
        let (path, shown, source, table, bar) = (
            fetched.path.clone(),
            shown.clone(),
            source.clone(),
            table.clone(),
            bar.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let output = Output { parts, factory };
            parse_export(&path, &shown, &source, &table, output, &bar)
        })
    };
    // A failed write drops the parts' channels, which stops the parsers.
    let write_error = writer.write_parts(parts_rx).await.err();
    let parsed = parse.await.map_err(|e| IngestError::Other(e.to_string()))?;
    let discard = |writer| async {
        drop(writer);
        let _ = wh.store.delete(&data_path).await;
    };
    // A checksum still pending is of an export whose size changed: new content, not compared.
    let sha256 = match checksum.resolve().await {
        Ok(sha) => sha,
        Err(e) => {
            discard(writer).await;
            return Err(e);
        }
    };
    let stats = match (parsed, write_error) {
        (Ok(stats), None) => stats,
        // The parsers stop when the writer does: its error is the cause.
        (_, Some(e)) => {
            discard(writer).await;
            return Err(IngestError::Other(format!("writing the warehouse: {e}")));
        }
        (Err(e), None) => {
            discard(writer).await;
            return Err(e);
        }
    };
    if source.max_rejected.exceeded(stats.rejected, stats.total) {
        discard(writer).await;
        // The office is told every line to fix, even though nothing of this export is published.
        write_rejected(wh, table, source, &stats.rejections).await?;
        let first = stats
            .rejections
            .first()
            .map(|r| format!("line {}, column {}: {}", r.line, r.column, r.reason))
            .unwrap_or_default();
        return Err(IngestError::TooManyRejected {
            file: shown,
            rejected: stats.rejected,
            total: stats.total,
            first,
        });
    }
    if !accepted
        && let Some(p) = &manifest.published
        && shrank_too_much(p.rows, stats.written, source.max_shrink)
    {
        discard(writer).await;
        return Err(IngestError::Shrunk {
            file: shown,
            name: source.name.clone(),
            rows: stats.written,
            previous: p.rows,
            drop: 100.0 - stats.written as f64 * 100.0 / p.rows as f64,
            max_shrink: source.max_shrink,
        });
    }
    if let Err(e) = writer.close().await {
        let _ = wh.store.delete(&data_path).await;
        return Err(IngestError::Other(format!("writing the warehouse: {e}")));
    }

    let checks = match run_checks(wh, table, &data_file).await {
        Ok(c) => c,
        Err(e) => {
            let _ = wh.store.delete(&data_path).await;
            return Err(e);
        }
    };
    let found = match findings::find(wh, table, source, &data_file).await {
        Ok(f) => f,
        Err(e) => {
            let _ = wh.store.delete(&data_path).await;
            return Err(e);
        }
    };
    let mut warnings = stats.warnings.clone();
    for c in checks.iter().filter(|c| c.violations > 0) {
        warnings.push(format!(
            "check {} ({}): {} row(s) break \"{}\", e.g. lines {:?}",
            c.name, c.severity, c.violations, c.rule, c.sample_lines
        ));
    }
    let check_errors = checks
        .iter()
        .filter(|c| c.severity == "error")
        .map(|c| c.violations)
        .sum();
    let mut m = manifest;
    match delivery_periods(wh, table, source, &data_file).await {
        Ok(periods) => {
            let now = chrono::Utc::now().to_rfc3339();
            for p in periods {
                m.periods_seen.entry(p).or_insert_with(|| now.clone());
            }
        }
        Err(e) => warnings.push(format!("delivery periods not recorded: {e}")),
    }
    m.published = Some(Published {
        url: shown,
        sha256,
        file: Some(data_file.clone()),
        etag: fetched.etag.clone(),
        definition: Some(definition),
        bytes: fetched.bytes,
        rows: stats.written,
        rejected_rows: stats.rejected,
        skipped_rows: stats.skipped,
        ingested_at: chrono::Utc::now().to_rfc3339(),
        run_id: run_id.to_string(),
        warnings: warnings.clone(),
        checks,
    });
    // Findings first, then the pointer: published data never lack theirs.
    wh.put_json(&wh.findings_path(&source.name), &found).await?;
    // Publish: one small object, written whole, moves the pointer to the new file.
    wh.put_json(&wh.manifest_path(&source.name), &m).await?;
    write_rejected(wh, table, source, &stats.rejections).await?;
    // Only now can superseded files (and any a killed run left) go.
    if let Err(e) = wh
        .remove_all_but(&wh.partition(&table.name, &source.name), &data_file)
        .await
    {
        tracing::warn!(source = %source.name, "old data files stay until the next run: {e}");
    }
    Ok(SourceOutcome {
        source: source.name.clone(),
        table: table.name.clone(),
        status: SourceStatus::Ingested,
        rows: stats.written,
        rejected: stats.rejected,
        skipped: stats.skipped,
        error: None,
        warnings,
        check_errors,
        seconds: 0.0,
        attempts: fetched.attempts,
    })
}

/// The delivery periods (months, quarters or years, by the source's cadence) its data cover, read
/// from the table's first date column; none when the source has no cadence or the table no date.
async fn delivery_periods(
    wh: &Warehouse,
    table: &Table,
    source: &Source,
    data_file: &str,
) -> Result<Vec<String>, IngestError> {
    use crate::config::{ColumnType, Period};
    let Some(cadence) = source.expected else {
        return Ok(Vec::new());
    };
    let Some(column) = table
        .columns
        .iter()
        .find(|c| matches!(c.ty, ColumnType::Date | ColumnType::Timestamp))
    else {
        return Ok(Vec::new());
    };
    let grain = cadence.grain();
    let ctx = crate::warehouse::session::staged_file_context(wh, data_file).await?;
    let sql = format!(
        "SELECT DISTINCT CAST(\"{}\" AS DATE) AS d FROM staged WHERE \"{}\" IS NOT NULL",
        column.name, column.name
    );
    let df = crate::indicators::sql::plan_read_only(&ctx, &sql)
        .await
        .map_err(IngestError::Other)?;
    let batches = df
        .collect()
        .await
        .map_err(|e| IngestError::Other(e.to_string()))?;
    let mut out = std::collections::BTreeSet::new();
    for b in batches {
        if let Some(days) = b
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Date32Array>()
        {
            for i in 0..days.len() {
                if let Some(p) = days
                    .value_as_date(i)
                    .and_then(|d| Period::containing(d, grain))
                {
                    out.insert(p.to_string());
                }
            }
        }
    }
    Ok(out.into_iter().collect())
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

fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect()
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
            return Err(IngestError::MissingColumn {
                file: shown.to_string(),
                column: col.name.clone(),
                header: map.header.clone(),
                found: headers.join(", "),
            });
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
            source, table, positions, encoder, tx, progress,
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
            let (positions, warnings) = column_positions(&plan.headers, shown, source, table)?;
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
    let (positions, warnings) = column_positions(&headers, shown, source, table)?;
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
        let batches = match crate::indicators::sql::plan_read_only(&ctx, &sql).await {
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

/// Replaces the source's rejected rows with this run's (or removes them when none were rejected).
async fn write_rejected(
    wh: &Warehouse,
    table: &Table,
    source: &Source,
    rejections: &[Rejection],
) -> Result<(), IngestError> {
    let path = wh.rejected_path(&table.name, &source.name);
    if rejections.is_empty() {
        return match wh.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(WarehouseError::Store {
                path: path.to_string(),
                source,
            }
            .into()),
        };
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("_source", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec![
                source.name.as_str();
                rejections.len()
            ])),
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
                rejections.iter().map(|r| r.reason.as_str()),
            )),
        ],
    )
    .map_err(|e| IngestError::Other(e.to_string()))?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, None)
        .map_err(|e| IngestError::Other(e.to_string()))?;
    w.write(&batch)
        .map_err(|e| IngestError::Other(e.to_string()))?;
    w.close().map_err(|e| IngestError::Other(e.to_string()))?;
    wh.store
        .put(&path, buf.into())
        .await
        .map_err(|source| WarehouseError::Store {
            path: path.to_string(),
            source,
        })?;
    Ok(())
}
