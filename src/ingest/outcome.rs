//! What became of a source and of each of its deliveries in a run, and the summary line of each.

use super::*;

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
    pub(super) fn of(d: &Delivery, status: SourceStatus, error: Option<String>) -> DeliveryOutcome {
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

    pub(super) fn failure(
        source: &Source,
        status: SourceStatus,
        error: &IngestError,
    ) -> SourceOutcome {
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

/// The source as a whole: its one file's content, or (for many deliveries) the sum of theirs
/// under one checksum of every delivery's.
pub(super) fn summary(
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
pub(super) const MAX_SUMMARY_WARNINGS: usize = 50;

/// The source's outcome from what its deliveries did this run: failed when one failed (the
/// others are published all the same), ingested when one was read, else unchanged.
pub(super) fn outcome_of(source: &Source, tally: Tally) -> SourceOutcome {
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
pub(super) const MAX_NAMED_FAILURES: usize = 5;
