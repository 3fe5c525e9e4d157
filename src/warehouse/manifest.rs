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
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceManifest {
    pub source: String,
    pub table: String,
    pub pipeline: String,
    pub published: Option<Published>,
    pub last_attempt: Option<Attempt>,
    /// For sources with an `expected` cadence: each delivery period found in the data, with when
    /// its rows were first received (RFC 3339). Kept across re-ingests.
    #[serde(default)]
    pub periods_seen: std::collections::BTreeMap<String, String>,
}
