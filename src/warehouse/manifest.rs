//! What the warehouse remembers about each source: the last good content and the last attempt.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckResult {
    pub name: String,
    pub rule: String,
    pub severity: String,
    pub violations: u64,
    /// Line numbers in the export of the first rows that break the rule.
    pub sample_lines: Vec<i64>,
}

/// The content now published for a source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Published {
    pub url: String,
    pub sha256: String,
    /// The data file now published, relative to the warehouse root: the manifest is the pointer
    /// readers follow (absent in manifests older than this layout, which used `data.parquet`).
    #[serde(default)]
    pub file: Option<String>,
    /// The remote server's ETag of the export, when it gave one.
    #[serde(default)]
    pub etag: Option<String>,
    /// The hash of the source's definition the rows were read with (absent in older manifests,
    /// which then re-ingest once).
    #[serde(default)]
    pub definition: Option<String>,
    pub bytes: u64,
    pub rows: u64,
    pub rejected_rows: u64,
    /// Total and footer rows skipped.
    #[serde(default)]
    pub skipped_rows: u64,
    pub ingested_at: String,
    pub run_id: String,
    pub warnings: Vec<String>,
    pub checks: Vec<CheckResult>,
    /// What a person should know of the rows though nothing failed (ceased territory codes
    /// counted under their successor), each a kind and its values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<super::problem::Problem>,
}

impl Published {
    /// The published data file, relative to the warehouse root.
    pub fn data_file(&self, table: &str, source: &str) -> String {
        self.file
            .clone()
            .unwrap_or_else(|| format!("{table}/source={source}/data.parquet"))
    }
}

/// The outcome of the latest attempt, whether or not it published anything.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attempt {
    pub at: String,
    pub run_id: String,
    /// `ingested`, `unchanged`, `held_back` or `failed`.
    pub status: String,
    /// Rows read into the warehouse (for `unchanged`, the rows already there).
    #[serde(default)]
    pub rows: Option<u64>,
    pub error: Option<String>,
    /// The failure as a kind and its values, for pages in the project's locale (absent in
    /// manifests written before it was kept, and when the attempt did not fail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<super::problem::Problem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceManifest {
    pub source: String,
    pub table: String,
    pub pipeline: String,
    /// A summary of what is published for the source as a whole (for a single file, that file's
    /// content); each delivery's own is in `deliveries`.
    pub published: Option<Published>,
    /// Every file the source has delivered, by key.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    pub last_attempt: Option<Attempt>,
    /// For sources with an `expected` cadence: each delivery period found in the data, with when
    /// its rows were first received (RFC 3339). Kept across re-ingests.
    #[serde(default)]
    pub periods_seen: std::collections::BTreeMap<String, String>,
}

/// One file of a source: what was last read from it, and how its latest attempt ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    /// The file's name below the source's folder or prefix (its period for a url template): the
    /// delivery's identity across runs.
    pub key: String,
    /// Where it was read from, as shown to people.
    pub url: String,
    /// The last good content read from it, whose rows are published; None when it never read.
    pub published: Option<Published>,
    /// The delivery periods its rows cover (by the source's cadence).
    #[serde(default)]
    pub periods: Vec<String>,
    /// The territories and periods its rows cover, as `TERRITORY|PERIOD`: what a newer delivery
    /// supersedes under `supersede: by_period`.
    #[serde(default)]
    pub covers: Vec<String>,
    /// When the file was last modified, as its store says (RFC 3339): the newer of two
    /// deliveries covering the same period is the one modified later.
    #[serde(default)]
    pub modified: Option<String>,
    /// When the file was first seen (RFC 3339).
    pub arrived_at: String,
    /// Its rejected rows in the warehouse, relative to the root.
    #[serde(default)]
    pub rejected_file: Option<String>,
    /// Its findings in the warehouse, relative to the root.
    #[serde(default)]
    pub findings_file: Option<String>,
    /// The latest attempt, when it failed or was held back (cleared when a read succeeds).
    #[serde(default)]
    pub failure: Option<Attempt>,
    /// When the file was found gone (its rows are kept, `removed: keep`).
    #[serde(default)]
    pub removed_at: Option<String>,
}

impl Delivery {
    /// The word `deliveries` prints for its state.
    pub fn state(&self) -> &'static str {
        match (&self.published, &self.failure, &self.removed_at) {
            (_, _, Some(_)) => "removed (rows kept)",
            (Some(_), Some(f), _) if f.status == "held_back" => "held back (last good rows kept)",
            (Some(_), Some(_), _) => "failed (last good rows kept)",
            (None, Some(f), _) if f.status == "held_back" => "held back",
            (None, Some(_), _) => "failed",
            (Some(_), None, _) => "published",
            (None, None, _) => "no rows",
        }
    }
}

impl SourceManifest {
    /// The data files readers follow: one per delivery with published rows (in an older
    /// manifest, its one published file).
    pub fn data_files(&self, table: &str, source: &str) -> Vec<String> {
        if self.deliveries.is_empty() {
            return self
                .published
                .iter()
                .map(|p| p.data_file(table, source))
                .collect();
        }
        self.deliveries
            .iter()
            .filter_map(|d| d.published.as_ref()?.file.clone())
            .collect()
    }

    /// The delivery named `key`, if the source has had one. The deliveries are in key order, as
    /// ingest keeps them: a folder of thousands of files is searched by halves.
    pub fn delivery(&self, key: &str) -> Option<&Delivery> {
        self.deliveries
            .binary_search_by(|d| d.key.as_str().cmp(key))
            .ok()
            .map(|i| &self.deliveries[i])
    }

    /// For each data file, the `TERRITORY|PERIOD` pairs of its rows that a newer delivery covers
    /// (newer: modified later, then the later key), which readers leave out.
    pub fn superseded(&self) -> Vec<(String, Vec<String>)> {
        let mut order: Vec<&Delivery> = self
            .deliveries
            .iter()
            .filter(|d| d.published.as_ref().is_some_and(|p| p.file.is_some()))
            .collect();
        order.sort_by(|a, b| (&a.modified, &a.key).cmp(&(&b.modified, &b.key)));
        let mut newer: std::collections::BTreeSet<&str> = Default::default();
        let mut out = Vec::new();
        for d in order.iter().rev() {
            let hidden: Vec<String> = d
                .covers
                .iter()
                .filter(|c| newer.contains(c.as_str()))
                .cloned()
                .collect();
            if let (false, Some(file)) = (
                hidden.is_empty(),
                d.published.as_ref().and_then(|p| p.file.clone()),
            ) {
                out.push((file, hidden));
            }
            newer.extend(d.covers.iter().map(String::as_str));
        }
        out
    }
}

/// The file name (without extension) of a delivery's outcome files: its key, folders joined by
/// `_`, extension dropped.
pub fn outcome_stem(key: &str) -> String {
    let flat = key.replace(['/', '\\'], "_");
    match flat.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => flat,
    }
}
