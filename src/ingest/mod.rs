//! Ingest: fetch each source's export, map it onto its canonical table, keep aside the rows that do
//! not fit, and publish the partition atomically. A source that fails leaves its last good data.

mod batch;
pub mod cell;
mod fetch;
pub mod readers;

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::{ArrowWriter, AsyncArrowWriter};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use serde::Serialize;

use crate::config::{Project, Severity, Source, Table};
use crate::warehouse::manifest::{Attempt, CheckResult, Published, SourceManifest};
use crate::warehouse::{Warehouse, WarehouseError};
use cell::{Cell, Value, convert};

const BATCH_ROWS: usize = 8192;
/// Rejection details kept per source; past this only the count grows.
const MAX_REJECTION_DETAILS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Read {
        file: String,
        line: Option<u64>,
        message: String,
    },
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error(
        "{file}: column '{column}' is mapped to the header '{header}', which the export does not have (headers: {found})"
    )]
    MissingColumn {
        file: String,
        column: String,
        header: String,
        found: String,
    },
    #[error(
        "{file}: {rejected} of {total} rows rejected, more than max_rejected allows; first: {first}"
    )]
    TooManyRejected {
        file: String,
        rejected: u64,
        total: u64,
        first: String,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Ingested,
    Unchanged,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceOutcome {
    pub source: String,
    pub table: String,
    pub status: SourceStatus,
    pub rows: u64,
    pub rejected: u64,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// Rows breaking checks of severity `error`.
    pub check_errors: u64,
}

impl SourceOutcome {
    /// Whether this outcome makes the run exit non-zero.
    pub fn failed(&self) -> bool {
        self.status == SourceStatus::Failed || self.check_errors > 0
    }
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
    rejections: Vec<Rejection>,
    warnings: Vec<String>,
}

/// Ingests every source of the selected pipelines (all when `pipelines` is empty), one after another.
pub async fn ingest(
    project: &Project,
    wh: &Warehouse,
    run_id: &str,
    pipelines: &[String],
    full: bool,
) -> Vec<SourceOutcome> {
    let mut out = Vec::new();
    for source in project
        .sources
        .iter()
        .filter(|s| pipelines.is_empty() || pipelines.contains(&s.pipeline))
    {
        let Some(table) = project.tables.get(&source.table) else {
            continue;
        };
        let started = chrono::Utc::now();
        let outcome = match ingest_source(project, wh, source, table, run_id, full).await {
            Ok(o) => o,
            Err(e) => SourceOutcome {
                source: source.name.clone(),
                table: source.table.clone(),
                status: SourceStatus::Failed,
                rows: 0,
                rejected: 0,
                error: Some(e.to_string()),
                warnings: Vec::new(),
                check_errors: 0,
            },
        };
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
                ms = (chrono::Utc::now() - started).num_milliseconds(),
                "source done"
            ),
        }
        out.push(outcome);
    }
    out
}

async fn load_manifest(wh: &Warehouse, source: &Source) -> Result<SourceManifest, WarehouseError> {
    Ok(wh
        .get_json(&wh.manifest_path(&source.name))
        .await?
        .unwrap_or_else(|| SourceManifest {
            source: source.name.clone(),
            table: source.table.clone(),
            pipeline: source.pipeline.clone(),
            published: None,
            last_attempt: None,
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

async fn ingest_source(
    project: &Project,
    wh: &Warehouse,
    source: &Source,
    table: &Table,
    run_id: &str,
    full: bool,
) -> Result<SourceOutcome, IngestError> {
    let shown = shown_url(project, source);
    let fetched = fetch::fetch(&source.url).await?;
    let manifest = load_manifest(wh, source).await?;
    let data_path = wh.data_path(&table.name, &source.name);
    if !full && let Some(p) = &manifest.published {
        let stored = wh.store.head(&data_path).await.is_ok();
        if p.sha256 == fetched.sha256 && stored {
            return Ok(SourceOutcome {
                source: source.name.clone(),
                table: table.name.clone(),
                status: SourceStatus::Unchanged,
                rows: p.rows,
                rejected: p.rejected_rows,
                error: None,
                warnings: p.warnings.clone(),
                check_errors: 0,
            });
        }
    }

    let staging = wh.staging_path(&format!("{}-{run_id}.parquet", source.name));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<RecordBatch>(2);
    let parse = {
        let (path, shown, source, table) = (
            fetched.path.clone(),
            shown.clone(),
            source.clone(),
            table.clone(),
        );
        tokio::task::spawn_blocking(move || parse_export(&path, &shown, &source, &table, tx))
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("osservatorio {}", env!("CARGO_PKG_VERSION")))
        .build();
    let schema = crate::warehouse::table_schema(table);
    let mut writer = AsyncArrowWriter::try_new(
        BufWriter::new(wh.store.clone(), staging.clone()),
        schema,
        Some(props),
    )
    .map_err(|e| IngestError::Other(e.to_string()))?;
    let mut write_error = None;
    while let Some(batch) = rx.recv().await {
        if let Err(e) = writer.write(&batch).await {
            write_error = Some(e.to_string());
            break;
        }
    }
    drop(rx);
    let parsed = parse.await.map_err(|e| IngestError::Other(e.to_string()))?;
    let stats = match (parsed, write_error) {
        (Ok(stats), None) => stats,
        (Err(e), _) => {
            drop(writer);
            let _ = wh.store.delete(&staging).await;
            return Err(e);
        }
        (Ok(_), Some(e)) => {
            drop(writer);
            let _ = wh.store.delete(&staging).await;
            return Err(IngestError::Other(format!("writing the warehouse: {e}")));
        }
    };
    if source.max_rejected.exceeded(stats.rejected, stats.total) {
        drop(writer);
        let _ = wh.store.delete(&staging).await;
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
    writer
        .close()
        .await
        .map_err(|e| IngestError::Other(format!("writing the warehouse: {e}")))?;

    let checks = match run_checks(wh, table, &staging).await {
        Ok(c) => c,
        Err(e) => {
            let _ = wh.store.delete(&staging).await;
            return Err(e);
        }
    };
    // Publish: one rename replaces the partition's single file, so readers never see a mix.
    wh.store
        .rename(&staging, &data_path)
        .await
        .map_err(|source| WarehouseError::Store {
            path: data_path.to_string(),
            source,
        })?;
    write_rejected(wh, table, source, &stats.rejections).await?;

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
    m.published = Some(Published {
        url: shown,
        sha256: fetched.sha256.clone(),
        bytes: fetched.bytes,
        rows: stats.written,
        rejected_rows: stats.rejected,
        ingested_at: chrono::Utc::now().to_rfc3339(),
        run_id: run_id.to_string(),
        warnings: warnings.clone(),
        checks,
    });
    wh.put_json(&wh.manifest_path(&source.name), &m).await?;
    Ok(SourceOutcome {
        source: source.name.clone(),
        table: table.name.clone(),
        status: SourceStatus::Ingested,
        rows: stats.written,
        rejected: stats.rejected,
        error: None,
        warnings,
        check_errors,
    })
}

fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads the export row by row, converting and batching; batches go to `tx` as they fill up.
fn parse_export(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
    table: &Table,
    tx: tokio::sync::mpsc::Sender<RecordBatch>,
) -> Result<ParseStats, IngestError> {
    let (headers, rows) = readers::open(path, shown, &source.format)?;
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut stats = ParseStats::default();
    // For each canonical column, the position of its cell in the export row (None: not exported).
    let mut positions = Vec::new();
    for col in &table.columns {
        let header = source
            .columns
            .iter()
            .find(|(c, _)| c == &col.name)
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| col.name.clone());
        let explicit = source
            .columns
            .iter()
            .any(|(c, h)| c == &col.name && h != &col.name);
        let pos = normalized
            .iter()
            .position(|h| *h == normalize_header(&header));
        if pos.is_none() && (explicit || col.required) {
            return Err(IngestError::MissingColumn {
                file: shown.to_string(),
                column: col.name.clone(),
                header,
                found: headers.join(", "),
            });
        }
        if pos.is_none() {
            stats.warnings.push(format!(
                "column '{}' is not in the export: stored as empty",
                col.name
            ));
        }
        positions.push(pos);
    }
    let text = source.format.text();
    let mut builder = batch::BatchBuilder::new(table, &source.name, source.territory.as_deref());
    let mut values = Vec::with_capacity(table.columns.len());
    // Rows holding characters the declared encoding could not decode, and the first such line.
    let mut undecodable = (0u64, 0u64);
    for row in rows {
        let row = row?;
        stats.total += 1;
        if row
            .cells
            .iter()
            .any(|c| matches!(c, Cell::Text(t) if t.contains('\u{FFFD}')))
        {
            if undecodable.0 == 0 {
                undecodable.1 = row.line;
            }
            undecodable.0 += 1;
        }
        values.clear();
        let mut bad = false;
        for (col, pos) in table.columns.iter().zip(&positions) {
            let cell = pos.and_then(|p| row.cells.get(p)).unwrap_or(&Cell::Empty);
            let converted = convert(cell, col.ty, text).and_then(|v| match v {
                Value::Null if col.required => Err("required value missing".to_string()),
                v => Ok(v),
            });
            match converted {
                Ok(v) => values.push(v),
                Err(reason) => {
                    bad = true;
                    values.push(Value::Null);
                    if stats.rejections.len() < MAX_REJECTION_DETAILS {
                        stats.rejections.push(Rejection {
                            line: row.line,
                            column: col.name.clone(),
                            value: cell.shown(),
                            reason,
                        });
                    }
                }
            }
        }
        if bad {
            stats.rejected += 1;
            continue;
        }
        builder.push(row.line, &values);
        stats.written += 1;
        if builder.len() >= BATCH_ROWS {
            send(&mut builder, &tx)?;
        }
    }
    if !builder.is_empty() {
        send(&mut builder, &tx)?;
    }
    if undecodable.0 > 0 {
        stats.warnings.push(format!(
            "{} row(s) hold characters that are not valid in the declared encoding, first at line {}: check options.encoding (e.g. windows-1252)",
            undecodable.0, undecodable.1
        ));
    }
    Ok(stats)
}

fn send(
    builder: &mut batch::BatchBuilder,
    tx: &tokio::sync::mpsc::Sender<RecordBatch>,
) -> Result<(), IngestError> {
    let batch = builder
        .finish()
        .map_err(|e| IngestError::Other(e.to_string()))?;
    tx.blocking_send(batch)
        .map_err(|_| IngestError::Other("the warehouse writer stopped".into()))
}

/// Counts the staged rows that break each check, with a few of their line numbers.
async fn run_checks(
    wh: &Warehouse,
    table: &Table,
    staging: &object_store::path::Path,
) -> Result<Vec<CheckResult>, IngestError> {
    if table.checks.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = datafusion::prelude::SessionContext::new();
    let url = format!(
        "{}{}",
        wh.url.as_str().trim_end_matches('/'),
        staging
            .as_ref()
            .strip_prefix(wh.prefix.as_ref())
            .unwrap_or(staging.as_ref())
    );
    let opts = datafusion::prelude::ParquetReadOptions::default();
    ctx.register_parquet("staged", &url, opts)
        .await
        .map_err(|e| IngestError::Other(e.to_string()))?;
    let mut out = Vec::new();
    for check in &table.checks {
        let sql = format!(
            "SELECT _line FROM staged WHERE NOT ({}) ORDER BY _line",
            check.rule
        );
        let batches = match ctx.sql(&sql).await {
            Ok(df) => df.collect().await,
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
