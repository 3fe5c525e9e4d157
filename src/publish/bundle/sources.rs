//! What a bundle's figures were computed from: the definitions, and every data file read with
//! its checksum.

use std::collections::BTreeMap;
use std::path::Path;

use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};

use super::manifest::{DataFileEntry, SourceEntry};
use super::{BundleError, COMPUTED_FROM, DEFINITIONS_DIR, INPUTS_DIR, io};
use crate::config::Project;
use crate::indicators::inputs::ComputedFrom;
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::SourceManifest;

/// Each indicator's definition hash as its figures in the indicator table were computed with
/// (the project's YAML may have changed since).
pub(super) fn definitions_of_figures(project: &Project) -> BTreeMap<String, String> {
    let rows = crate::indicators::output::read(&project.settings.output).unwrap_or_default();
    let mut out = BTreeMap::new();
    for r in rows {
        if !r.definition.is_empty() {
            out.entry(r.indicator).or_insert(r.definition);
        }
    }
    out
}

/// Writes `inputs/computed-from.json` and `inputs/definitions/` into the bundle being filled.
pub(super) fn write_inputs(staging: &Path, c: &ComputedFrom) -> Result<(), BundleError> {
    let dir = staging.join(INPUTS_DIR);
    let defs = dir.join(DEFINITIONS_DIR);
    std::fs::create_dir_all(&defs).map_err(|e| io(&defs, e))?;
    for d in &c.definitions {
        let path = defs.join(&d.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, &d.text).map_err(|e| io(&path, e))?;
    }
    let record = ComputedFrom {
        definitions: Vec::new(),
        ..c.clone()
    };
    let text = serde_json::to_vec_pretty(&record).map_err(|e| io(&dir, e))?;
    let path = dir.join(COMPUTED_FROM);
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}

/// The SHA-256 and size of a warehouse file; None when it is not there.
pub(crate) async fn warehouse_file_sha256(
    wh: &Warehouse,
    rel: &str,
) -> Result<Option<(String, u64)>, BundleError> {
    match wh.store.get(&wh.path(rel)).await {
        Ok(r) => {
            let bytes = r.bytes().await.map_err(|e| {
                BundleError::Warehouse(crate::warehouse::WarehouseError::Store {
                    path: rel.to_string(),
                    source: e,
                })
            })?;
            Ok(Some((
                hex::encode(Sha256::digest(&bytes)),
                bytes.len() as u64,
            )))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(BundleError::Warehouse(
            crate::warehouse::WarehouseError::Store {
                path: rel.to_string(),
                source: e,
            },
        )),
    }
}

/// Each data file a manifest's readers follow, with its delivery's key and export checksum.
fn files_with_deliveries(m: &SourceManifest) -> Vec<(String, String, String)> {
    m.data_files(&m.table, &m.source)
        .into_iter()
        .map(|f| {
            let of_delivery = m.deliveries.iter().find(|d| {
                d.published
                    .as_ref()
                    .is_some_and(|p| p.file.as_deref() == Some(f.as_str()))
            });
            let (delivery, export) = match (of_delivery, &m.published) {
                (Some(d), _) => (
                    d.key.clone(),
                    d.published
                        .as_ref()
                        .map(|p| p.sha256.clone())
                        .unwrap_or_default(),
                ),
                (None, Some(p)) => (p.url.clone(), p.sha256.clone()),
                (None, None) => (String::new(), String::new()),
            };
            (f, delivery, export)
        })
        .collect()
}

/// The sources of the bundle as the indicator table was computed from them: every data file
/// read, with its checksum (it must still be in the warehouse).
pub(super) async fn sources_computed_from(
    wh: &Warehouse,
    c: &ComputedFrom,
) -> Result<Vec<SourceEntry>, BundleError> {
    let mut out = Vec::new();
    for (name, m) in &c.manifests {
        let Some(p) = &m.published else { continue };
        let mut deliveries = Vec::new();
        for (path, delivery, export_sha256) in files_with_deliveries(m) {
            let Some((sha256, bytes)) = warehouse_file_sha256(wh, &path).await? else {
                return Err(BundleError::DataGone {
                    source_name: name.clone(),
                    path: wh.shown(&path),
                });
            };
            deliveries.push(DataFileEntry {
                delivery,
                export_sha256,
                path,
                sha256,
                bytes,
            });
        }
        let mut data_files: Vec<String> = deliveries.iter().map(|d| d.path.clone()).collect();
        data_files.sort();
        data_files.dedup();
        out.push(SourceEntry {
            name: name.clone(),
            url: p.url.clone(),
            sha256: p.sha256.clone(),
            ingested_at: p.ingested_at.clone(),
            data_files,
            deliveries,
        });
    }
    Ok(out)
}

/// The sources of the bundle as the warehouse holds them now: for an indicator table computed
/// before what it was computed from was kept beside it.
pub(super) async fn sources_now(
    project: &Project,
    wh: &Warehouse,
) -> Result<Vec<SourceEntry>, BundleError> {
    let mut sources = Vec::new();
    for s in &project.sources {
        let m: Option<SourceManifest> = crate::warehouse::integrity::manifest(wh, &s.name).await?;
        let Some(m) = m else { continue };
        let mut data_files: Vec<String> = m
            .deliveries
            .iter()
            .filter_map(|d| d.published.as_ref().and_then(|p| p.file.clone()))
            .collect();
        if let Some(f) = m.published.as_ref().and_then(|p| p.file.clone()) {
            data_files.push(f);
        }
        data_files.sort();
        data_files.dedup();
        if let Some(p) = m.published {
            sources.push(SourceEntry {
                name: s.name.clone(),
                url: p.url,
                sha256: p.sha256,
                ingested_at: p.ingested_at,
                data_files,
                deliveries: Vec::new(),
            });
        }
    }
    Ok(sources)
}
