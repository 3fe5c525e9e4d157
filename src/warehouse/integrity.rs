//! Whether what the warehouse stores can still be read: each source's manifest and the data file
//! it points to (decoded whole, its rows counted against the manifest's). Used by `doctor`, and
//! by compute to name the damaged file behind a failed query instead of a bare "Parquet error".

use futures::StreamExt;
use object_store::ObjectStoreExt;

use super::manifest::SourceManifest;
use super::{Warehouse, WarehouseError};
use crate::config::{Project, Source};

/// How to repair damage to a source's stored data.
pub const REPAIR: &str = "osservatorio doctor --fix";

/// A source's manifest, with a damaged one named as such (source and file) with its remedy.
pub async fn manifest(
    wh: &Warehouse,
    source: &str,
) -> Result<Option<SourceManifest>, WarehouseError> {
    let path = wh.manifest_path(source);
    match wh.get_json(&path).await {
        Err(WarehouseError::Json { source: cause, .. }) => Err(WarehouseError::Damaged {
            what: "manifest",
            path: wh.shown(&format!("_manifests/{source}.json")),
            source_name: source.to_string(),
            source: cause,
        }),
        other => other,
    }
}

/// What is wrong with a data file of the warehouse, in the reader's words.
#[derive(Debug, thiserror::Error)]
pub enum DataFileError {
    #[error("the file is missing")]
    Missing,
    /// The object store could not say whether it is there.
    #[error("{0}")]
    Store(#[source] object_store::Error),
    /// It could not be opened as a table (a bad footer, a schema that does not read).
    #[error("{}", opening_text(.0))]
    Open(#[source] WarehouseError),
    /// A page could not be decoded.
    #[error("{0}")]
    Read(#[source] datafusion::error::DataFusionError),
    /// Fewer rows decode than the footer counts.
    #[error("its footer counts {footer} rows but {decoded} could be read")]
    RowsLost { footer: u64, decoded: u64 },
}

/// The reader's own words when the file would not open: the file is named by the caller.
fn opening_text(e: &WarehouseError) -> String {
    match e {
        WarehouseError::Query { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// Reads a data file of the warehouse whole; returns its rows as the footer counts them.
/// The error says what is wrong with it, in the reader's words.
pub async fn read_data_file(wh: &Warehouse, file: &str) -> Result<u64, DataFileError> {
    let path = wh.path(file);
    match wh.store.head(&path).await {
        Ok(_) => {}
        Err(object_store::Error::NotFound { .. }) => return Err(DataFileError::Missing),
        Err(e) => return Err(DataFileError::Store(e)),
    }
    let ctx = super::session::staged_file_context(wh, file)
        .await
        .map_err(DataFileError::Open)?;
    let df = ctx.table("staged").await.map_err(DataFileError::Read)?;
    let footer_rows = df.clone().count().await.map_err(DataFileError::Read)? as u64;
    // Every page decoded, one batch at a time: flipped bytes the footer does not see show here.
    let mut stream = df.execute_stream().await.map_err(DataFileError::Read)?;
    let mut decoded = 0u64;
    while let Some(batch) = stream.next().await {
        decoded += batch.map_err(DataFileError::Read)?.num_rows() as u64;
    }
    if decoded != footer_rows {
        return Err(DataFileError::RowsLost {
            footer: footer_rows,
            decoded,
        });
    }
    Ok(footer_rows)
}

/// What is wrong with one source's stored data, if anything: its manifest, or its data file
/// (missing, unreadable, or holding another number of rows than the manifest says).
#[derive(Debug, Clone)]
pub struct SourceDamage {
    pub source: String,
    /// The damaged object, relative to the warehouse root.
    pub file: String,
    /// The same, as a person finds it (a local path or the object's URL).
    pub shown: String,
    /// The damaged object is the manifest (not the data file).
    pub manifest: bool,
    pub message: String,
}

impl std::fmt::Display for SourceDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.manifest {
            "manifest"
        } else {
            "warehouse file"
        };
        write!(
            f,
            "{what} {} of source {} is damaged ({}): run `{REPAIR}`",
            self.shown, self.source, self.message
        )
    }
}

/// Checks one source's manifest and data file.
pub async fn check_source(wh: &Warehouse, source: &Source) -> Option<SourceDamage> {
    let rel = format!("_manifests/{}.json", source.name);
    let damage = |file: String, manifest: bool, message: String| SourceDamage {
        source: source.name.clone(),
        shown: wh.shown(&file),
        file,
        manifest,
        message,
    };
    let m = match manifest(wh, &source.name).await {
        Ok(m) => m?,
        Err(WarehouseError::Damaged { source, .. }) => {
            return Some(damage(rel, true, format!("not readable: {source}")));
        }
        Err(e) => return Some(damage(rel, true, e.to_string())),
    };
    // Each delivery's data file (a manifest from before deliveries names one for the source).
    let files: Vec<(String, u64)> = if m.deliveries.is_empty() {
        m.published
            .iter()
            .map(|p| (p.data_file(&source.table, &source.name), p.rows))
            .collect()
    } else {
        m.deliveries
            .iter()
            .filter_map(|d| {
                let p = d.published.as_ref()?;
                Some((p.file.clone()?, p.rows))
            })
            .collect()
    };
    for (file, expected) in files {
        match read_data_file(wh, &file).await {
            Err(e) => return Some(damage(file, false, e.to_string())),
            Ok(rows) if rows != expected => {
                return Some(damage(
                    file,
                    false,
                    format!("it holds {rows} rows where its manifest says {expected}"),
                ));
            }
            Ok(_) => {}
        }
    }
    None
}

/// Every source's damage, in project order.
pub async fn check_sources(project: &Project, wh: &Warehouse) -> Vec<SourceDamage> {
    let mut out = Vec::new();
    for s in &project.sources {
        out.extend(check_source(wh, s).await);
    }
    out
}

/// Whether a query error reads like damage to a stored file rather than a mistake in the SQL.
pub fn looks_like_damage(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "parquet",
        "eof",
        "arrow error",
        "io error",
        "not found",
        "object store",
    ]
    .iter()
    .any(|w| m.contains(w))
}
