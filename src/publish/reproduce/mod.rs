//! Reproducing a bundle: every figure it publishes computed again from exactly the data files and
//! definitions it was computed from (the warehouse files its manifest names, read as its
//! recorded manifests say, the project files copied into `inputs/definitions/`), by the same
//! path `compute` takes, then suppressed as published; each figure that comes out different is
//! named with why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::bundle::{
    BundleError, BundleManifest, COMPUTED_FROM, DEFINITIONS_DIR, FileFailure, INPUTS_DIR, io,
    verify_files,
};
use super::opendata::{SDMX_FILE, sdmx_record, structure_id};
use super::{PublishedFigure, PublishedFigures};
use crate::config::Project;
use crate::indicators::inputs::ComputedFrom;
use crate::warehouse::Warehouse;

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

fn not_reproducible(bundle: &Path, message: String) -> BundleError {
    BundleError::NotABundle {
        path: bundle.display().to_string(),
        message,
    }
}

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
    let computed: ComputedFrom = std::fs::read_to_string(inputs.join(COMPUTED_FROM))
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| {
            not_reproducible(
                bundle,
                format!(
                    "{INPUTS_DIR}/{COMPUTED_FROM}: {e}; a bundle signed off before osservatorio kept what its figures were computed from cannot be reproduced"
                ),
            )
        })?;
    let data_problems = check_data_files(wh, &manifest, &mut out).await?;
    let project = crate::config::load_project(&inputs.join(DEFINITIONS_DIR)).map_err(|errs| {
        not_reproducible(
            bundle,
            format!("its definitions in {INPUTS_DIR}/{DEFINITIONS_DIR}/ do not load:\n{errs}"),
        )
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

    let mut why: BTreeMap<String, Vec<String>> = BTreeMap::new();
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
    let figures = super::published_figures(&project, rows);
    let changed: BTreeSet<String> = mismatches
        .iter()
        .filter_map(|m| match m {
            super::bundle::Mismatch::Changed(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    compare(bundle, &project, &figures, &why, &changed, &mut out)?;
    out.manifest = Some(manifest);
    Ok(out)
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn number(x: Option<f64>) -> String {
    x.map(|v| crate::indicators::output::tidy(v).to_string())
        .unwrap_or_default()
}

/// A recomputed figure's fields as the page's `data.csv` writes them.
fn fields_of(f: &PublishedFigure) -> [(&'static str, String); 8] {
    [
        ("numerator", number(f.numerator)),
        ("denominator", number(f.denominator)),
        ("value", number(f.value)),
        ("target", number(f.target)),
        ("achievement", number(f.achievement)),
        ("status", f.status.clone()),
        ("provisional", f.provisional.to_string()),
        ("flag", f.flag().to_string()),
    ]
}

fn shown(s: &str) -> &str {
    if s.is_empty() { "(empty)" } else { s }
}

/// Compares every figure of every page's `data.csv` and of the bundle's `data.sdmx.csv` with the
/// recomputed ones.
fn compare(
    bundle: &Path,
    project: &Project,
    figures: &PublishedFigures,
    why: &BTreeMap<String, Vec<String>>,
    changed: &BTreeSet<String>,
    out: &mut Reproduction,
) -> Result<(), BundleError> {
    let reason = |indicator: &str, file: &str| match why.get(indicator) {
        _ if changed.contains(file) => format!("the bundle's {file} was changed after sign-off"),
        Some(r) if !r.is_empty() => r.join("; "),
        Some(_) => {
            "the value differs although the data files and the definition are those signed off"
                .to_string()
        }
        None => "the indicator is not in the bundle's definitions".to_string(),
    };
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let files = super::bundle::files_below(bundle).map_err(|e| io(bundle, e))?;
    for rel in files
        .iter()
        .filter(|f| f.ends_with("/data.csv") && !f.starts_with(&format!("{INPUTS_DIR}/")))
    {
        let path = bundle.join(rel);
        let mut r = csv::Reader::from_path(&path).map_err(|e| io(&path, e))?;
        let header: Vec<String> = r
            .headers()
            .map_err(|e| io(&path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(ci), Some(ct), Some(cp)) = (col("indicator"), col("territory"), col("period"))
        else {
            return Err(io(
                &path,
                FileFailure::Malformed("no indicator, territory and period columns"),
            ));
        };
        for rec in r.records() {
            let rec = rec.map_err(|e| io(&path, e))?;
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let key = (get(ci), get(ct), get(cp));
            if !seen.insert(key.clone()) {
                continue;
            }
            let differing: Vec<String> = match figures.get(&key.0, &key.1, &key.2) {
                None => vec!["a figure that is not computed again".to_string()],
                Some(f) => fields_of(f)
                    .into_iter()
                    .filter_map(|(name, now)| {
                        let was = col(name).map(get)?;
                        (was != now)
                            .then(|| format!("{name} {} (recomputed {})", shown(&was), shown(&now)))
                    })
                    .collect(),
            };
            if !differing.is_empty() {
                out.differences.push(Difference {
                    why: reason(&key.0, rel),
                    indicator: key.0,
                    territory: key.1,
                    period: key.2,
                    fields: differing,
                });
            }
        }
    }
    // The open data: the same figures as SDMX, whose confidentiality status tells primary from
    // secondary suppression.
    let structure = structure_id(project);
    let recomputed: BTreeMap<(String, String, String), ([String; 9], &PublishedFigure)> = figures
        .by_key
        .values()
        .map(|f| {
            let r = sdmx_record(project, &structure, f);
            ((r[3].clone(), r[4].clone(), r[5].clone()), (r, f))
        })
        .collect();
    let path = bundle.join(SDMX_FILE);
    if path.exists() {
        let mut r = csv::Reader::from_path(&path).map_err(|e| io(&path, e))?;
        for rec in r.records() {
            let rec = rec.map_err(|e| io(&path, e))?;
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let key = (get(3), get(4), get(5));
            let (territory, period, differing) = match recomputed.get(&key) {
                None => (
                    key.1.clone(),
                    key.2.clone(),
                    vec![format!("{SDMX_FILE}: a figure that is not computed again")],
                ),
                Some((now, f)) => {
                    let differing = [(6, "OBS_VALUE"), (8, "CONF_STATUS")]
                        .into_iter()
                        .filter(|(i, _)| get(*i) != now[*i])
                        .map(|(i, name)| {
                            format!(
                                "{SDMX_FILE} {name} {} (recomputed {})",
                                shown(&get(i)),
                                shown(&now[i])
                            )
                        })
                        .collect();
                    (f.territory.clone(), f.period.clone(), differing)
                }
            };
            seen.insert((key.0.clone(), territory.clone(), period.clone()));
            let reported = out.differences.iter().any(|d| {
                (
                    d.indicator.as_str(),
                    d.territory.as_str(),
                    d.period.as_str(),
                ) == (key.0.as_str(), territory.as_str(), period.as_str())
            });
            if !differing.is_empty() && !reported {
                out.differences.push(Difference {
                    why: reason(&key.0, SDMX_FILE),
                    indicator: key.0,
                    territory,
                    period,
                    fields: differing,
                });
            }
        }
    }
    out.figures = seen.len();
    Ok(())
}
