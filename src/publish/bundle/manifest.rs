//! What a bundle records: the render record the output folder keeps, the manifest of every
//! bundle, and where the bundles are.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{MANIFEST, RENDER_RECORD};
use crate::config::Project;

/// Which run the rendered reports in the output folder come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderRecord {
    pub run_id: String,
    pub rendered_at: String,
    pub dashboards: Vec<String>,
    /// The dashboards that could not be drawn, with why in the project's language: the index a
    /// sign-off rewrites says it again.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub failed: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndicatorEntry {
    pub id: String,
    pub definition: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceEntry {
    pub name: String,
    pub url: String,
    pub sha256: String,
    pub ingested_at: String,
    /// The warehouse data files (relative to its root) the figures read of the source: ingest
    /// keeps them while the bundle exists.
    #[serde(default)]
    pub data_files: Vec<String>,
    /// Each of those files with its delivery and checksums, as `reproduce` checks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<DataFileEntry>,
}

/// A warehouse data file a bundle's figures were computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataFileEntry {
    /// The delivery (file of the source) its rows came from.
    pub delivery: String,
    /// The SHA-256 of that delivery's export.
    pub export_sha256: String,
    /// The data file, relative to the warehouse root.
    pub path: String,
    /// The data file's own SHA-256 and size.
    pub sha256: String,
    pub bytes: u64,
}

/// MANIFEST.json of a published bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BundleManifest {
    pub bundle: String,
    pub project: String,
    pub run_id: String,
    pub rendered_at: String,
    pub signed_off_by: String,
    pub signed_off_at: String,
    pub note: Option<String>,
    pub generator: String,
    pub indicators: Vec<IndicatorEntry>,
    pub sources: Vec<SourceEntry>,
    pub files: Vec<FileEntry>,
    /// The minisign key id that signed MANIFEST.json (MANIFEST.json.minisig), when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<String>,
}

/// The run a rendered page says it was drawn in (its `osservatorio-run` meta tag).
pub fn page_run(html: &str) -> Option<String> {
    const TAG: &str = "<meta name=\"osservatorio-run\" content=\"";
    let start = html.find(TAG)? + TAG.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// The pages below `dir` that `record` names (the index and each dashboard's page) that are not
/// of the record's run, each with what it is instead: left by a render that overlapped another or
/// stopped halfway.
pub(super) fn pages_of_other_runs(dir: &Path, record: &RenderRecord) -> Vec<(String, String)> {
    let pages = std::iter::once("index.html".to_string())
        .chain(record.dashboards.iter().map(|d| format!("{d}/index.html")));
    pages
        .filter_map(|rel| {
            let what = match std::fs::read_to_string(dir.join(&rel)) {
                Err(_) => "is missing".to_string(),
                Ok(html) => match page_run(&html) {
                    Some(run) if run == record.run_id => return None,
                    Some(run) => format!("is of run {run}"),
                    None => "records no run".to_string(),
                },
            };
            Some((rel, what))
        })
        .collect()
}

/// Reads the output folder's render record, if reports have been rendered there.
pub fn render_record(output: &Path) -> Option<RenderRecord> {
    let text = std::fs::read_to_string(output.join(RENDER_RECORD)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The folder that holds the published bundles.
pub fn published_dir(project: &Project) -> PathBuf {
    project.settings.output.join("published")
}

/// Every bundle's manifest, newest first.
pub fn list(project: &Project) -> Vec<(String, BundleManifest)> {
    let mut out: Vec<(String, BundleManifest)> = std::fs::read_dir(published_dir(project))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path().join(MANIFEST)).ok()?;
                    let m = serde_json::from_str(&text).ok()?;
                    Some((e.file_name().to_string_lossy().into_owned(), m))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out
}
