//! Reproducing a bundle: every figure it publishes computed again from exactly the data files and
//! definitions it was computed from (the warehouse files its manifest names, read as its
//! recorded manifests say, the project files copied into `inputs/definitions/`), by the same
//! path `compute` takes, then suppressed as published; each figure that comes out different is
//! named with why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::bundle::{
    BundleError, BundleManifest, COMPUTED_FROM, DEFINITIONS_DIR, INPUTS_DIR, Mismatch, verify_files,
};
use crate::config::Project;
use crate::indicators::Recomputed;
use crate::indicators::inputs::ComputedFrom;
use crate::indicators::output::OutputRow;
use crate::warehouse::Warehouse;

mod compare;

/// One published figure that did not come out the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub indicator: String,
    pub territory: String,
    pub period: String,
    /// What differs, as `value 12 (recomputed 14)`, for each field that does.
    pub fields: Vec<String>,
    pub why: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: published {}; {}",
            self.indicator,
            self.territory,
            self.period,
            self.fields.join(", "),
            self.why
        )
    }
}

/// What `reproduce` found.
#[derive(Debug, Default)]
pub struct Reproduction {
    pub manifest: Option<BundleManifest>,
    /// Published figures compared.
    pub figures: usize,
    /// Data files read.
    pub data_files: usize,
    /// What stands in the way of reproducing the bundle as signed off: a bundle file changed, a
    /// data file missing or changed, a definition changed, an indicator that failed.
    pub problems: Vec<String>,
    pub differences: Vec<Difference>,
}

impl Reproduction {
    pub fn identical(&self) -> bool {
        self.problems.is_empty() && self.differences.is_empty()
    }
}

/// Why each indicator's figures may differ: the problems found in what it was computed from.
type Why = BTreeMap<String, Vec<String>>;

/// Why a source's data cannot be trusted, per source.
type DataProblems = BTreeMap<String, Vec<String>>;

/// Checks every data file the manifest names against its checksum.
async fn check_data_files(
    wh: &Warehouse,
    manifest: &BundleManifest,
    out: &mut Reproduction,
) -> Result<DataProblems, BundleError> {
    let mut problems = DataProblems::new();
    for s in &manifest.sources {
        for d in &s.deliveries {
            out.data_files += 1;
            let what = match super::bundle::warehouse_file_sha256(wh, &d.path).await? {
                None => "missing from the warehouse",
                Some((sha, bytes)) if sha != d.sha256 || bytes != d.bytes => {
                    "changed since sign-off (SHA-256 differs)"
                }
                Some(_) => continue,
            };
            let line = format!(
                "data file {} (source {}, delivery {}) {what}",
                wh.shown(&d.path),
                s.name,
                d.delivery
            );
            out.problems.push(line.clone());
            problems.entry(s.name.clone()).or_default().push(line);
        }
    }
    Ok(problems)
}

/// Recomputes the bundle at `bundle` from the data files in `wh` it names.
pub async fn reproduce(bundle: &Path, wh: &Warehouse) -> Result<Reproduction, BundleError> {
    let (manifest, mismatches) = verify_files(bundle)?;
    let mut out = Reproduction::default();
    out.problems
        .extend(mismatches.iter().map(|m| format!("bundle file {m}")));
    let inputs = bundle.join(INPUTS_DIR);
    let computed = computed_from(bundle, &inputs)?;
    let data_problems = check_data_files(wh, &manifest, &mut out).await?;
    let project = crate::config::load_project(&inputs.join(DEFINITIONS_DIR)).map_err(|source| {
        BundleError::DefinitionsUnloadable {
            path: bundle.display().to_string(),
            source,
        }
    })?;
    let manifests: Vec<_> = project
        .sources
        .iter()
        .map(|s| computed.manifests.get(&s.name).cloned())
        .collect();
    let ctx = crate::warehouse::session::compute_session(&project, wh, &manifests).await?;
    let deliveries = crate::indicators::deliveries::of_sources(&project, &manifests);
    let recomputed =
        crate::indicators::recompute(&project, &ctx, &deliveries, computed.as_of).await;
    let (rows, why) = rows_and_why(&project, &manifest, recomputed, &data_problems, &mut out);
    let figures = super::published_figures(&project, rows);
    let changed: BTreeSet<String> = mismatches
        .iter()
        .filter_map(|m| match m {
            Mismatch::Changed(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    compare::Comparison {
        figures: &figures,
        why: &why,
        changed: &changed,
        out: &mut out,
        seen: BTreeSet::new(),
    }
    .run(bundle, &project)?;
    out.manifest = Some(manifest);
    Ok(out)
}

/// The record of what the bundle's figures were computed from.
fn computed_from(bundle: &Path, inputs: &Path) -> Result<ComputedFrom, BundleError> {
    let unreadable = |source: super::bundle::FileFailure| BundleError::InputsUnreadable {
        path: bundle.display().to_string(),
        source,
    };
    let text =
        std::fs::read_to_string(inputs.join(COMPUTED_FROM)).map_err(|e| unreadable(e.into()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(e.into()))
}

/// The recomputed rows, and why each indicator's figures may differ: its definition changed
/// since sign-off, a data file it reads is missing or changed, it failed.
fn rows_and_why(
    project: &Project,
    manifest: &BundleManifest,
    recomputed: Vec<Recomputed>,
    data_problems: &DataProblems,
    out: &mut Reproduction,
) -> (Vec<OutputRow>, Why) {
    let mut why = Why::new();
    let signed: BTreeMap<&str, &str> = manifest
        .indicators
        .iter()
        .map(|i| (i.id.as_str(), i.definition.as_str()))
        .collect();
    let mut rows = Vec::new();
    for r in recomputed {
        let reasons = why.entry(r.indicator.clone()).or_default();
        if let Some(ind) = project.indicator(&r.indicator) {
            let hash = crate::indicators::definition_hash(ind);
            if let Some(was) = signed.get(r.indicator.as_str())
                && *was != hash
            {
                let line = format!(
                    "definition of {} changed: its figures were computed with definition {}, the bundle's copy has {}",
                    r.indicator,
                    short(was),
                    short(&hash)
                );
                out.problems.push(line.clone());
                reasons.push(line);
            }
        }
        for s in project
            .sources
            .iter()
            .filter(|s| r.tables.contains(&s.table))
        {
            reasons.extend(data_problems.get(&s.name).into_iter().flatten().cloned());
        }
        match r.rows {
            Ok(x) => rows.extend(x),
            Err(e) => {
                let line = format!("indicator {} not recomputed: {e}", r.indicator);
                out.problems.push(line.clone());
                reasons.push(line);
            }
        }
    }
    (rows, why)
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
