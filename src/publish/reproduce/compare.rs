//! The comparison of a bundle's published figures, every page's `data.csv` and the open data's
//! `data.sdmx.csv`, with the figures computed again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Difference, Reproduction, Why};
use crate::config::Project;
use crate::publish::bundle::{BundleError, FileFailure, INPUTS_DIR, files_below, io};
use crate::publish::opendata::{SDMX_FILE, sdmx_record, structure_id};
use crate::publish::{PublishedFigure, PublishedFigures};

type Key = (String, String, String);

/// One comparison: the recomputed figures, why they may differ, and what it found so far.
pub(super) struct Comparison<'a> {
    pub(super) figures: &'a PublishedFigures,
    pub(super) why: &'a Why,
    /// The bundle files changed since sign-off.
    pub(super) changed: &'a BTreeSet<String>,
    pub(super) out: &'a mut Reproduction,
    /// The figures compared.
    pub(super) seen: BTreeSet<Key>,
}

impl Comparison<'_> {
    /// Compares every figure of every page's `data.csv` and of the bundle's `data.sdmx.csv` with
    /// the recomputed ones.
    pub(super) fn run(mut self, bundle: &Path, project: &Project) -> Result<(), BundleError> {
        let files = files_below(bundle).map_err(|e| io(bundle, e))?;
        for rel in files
            .iter()
            .filter(|f| f.ends_with("/data.csv") && !f.starts_with(&format!("{INPUTS_DIR}/")))
        {
            self.page_data(bundle, rel)?;
        }
        // The open data: the same figures as SDMX, whose confidentiality status tells primary
        // from secondary suppression.
        let path = bundle.join(SDMX_FILE);
        if path.exists() {
            self.open_data(&path, project)?;
        }
        self.out.figures = self.seen.len();
        Ok(())
    }

    /// Why an indicator's figure in `file` differs.
    fn reason(&self, indicator: &str, file: &str) -> String {
        match self.why.get(indicator) {
            _ if self.changed.contains(file) => {
                format!("the bundle's {file} was changed after sign-off")
            }
            Some(r) if !r.is_empty() => r.join("; "),
            Some(_) => {
                "the value differs although the data files and the definition are those signed off"
                    .to_string()
            }
            None => "the indicator is not in the bundle's definitions".to_string(),
        }
    }

    /// Compares the figures of one page's `data.csv` (at `rel` in the bundle).
    fn page_data(&mut self, bundle: &Path, rel: &str) -> Result<(), BundleError> {
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
            if !self.seen.insert(key.clone()) {
                continue;
            }
            let differing: Vec<String> = match self.figures.get(&key.0, &key.1, &key.2) {
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
                self.out.differences.push(Difference {
                    why: self.reason(&key.0, rel),
                    indicator: key.0,
                    territory: key.1,
                    period: key.2,
                    fields: differing,
                });
            }
        }
        Ok(())
    }

    /// Compares the figures of the open data file at `path`.
    fn open_data(&mut self, path: &Path, project: &Project) -> Result<(), BundleError> {
        let structure = structure_id(project);
        let recomputed: BTreeMap<Key, ([String; 9], &PublishedFigure)> = self
            .figures
            .by_key
            .values()
            .map(|f| {
                let r = sdmx_record(project, &structure, f);
                ((r[3].clone(), r[4].clone(), r[5].clone()), (r, f))
            })
            .collect();
        let mut r = csv::Reader::from_path(path).map_err(|e| io(path, e))?;
        for rec in r.records() {
            let rec = rec.map_err(|e| io(path, e))?;
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let key = (get(3), get(4), get(5));
            let (territory, period, differing) = match recomputed.get(&key) {
                None => (
                    key.1.clone(),
                    key.2.clone(),
                    vec![format!("{SDMX_FILE}: a figure that is not computed again")],
                ),
                Some((now, f)) => (
                    f.territory.clone(),
                    f.period.clone(),
                    sdmx_differences(&get, now),
                ),
            };
            self.seen
                .insert((key.0.clone(), territory.clone(), period.clone()));
            let reported = self.out.differences.iter().any(|d| {
                (
                    d.indicator.as_str(),
                    d.territory.as_str(),
                    d.period.as_str(),
                ) == (key.0.as_str(), territory.as_str(), period.as_str())
            });
            if !differing.is_empty() && !reported {
                self.out.differences.push(Difference {
                    why: self.reason(&key.0, SDMX_FILE),
                    indicator: key.0,
                    territory,
                    period,
                    fields: differing,
                });
            }
        }
        Ok(())
    }
}

/// The SDMX fields of a record (its cells by `get`) that differ from the recomputed `now`.
fn sdmx_differences(get: &dyn Fn(usize) -> String, now: &[String; 9]) -> Vec<String> {
    [(6, "OBS_VALUE"), (8, "CONF_STATUS")]
        .into_iter()
        .filter(|(i, _)| get(*i) != now[*i])
        .map(|(i, name)| {
            format!(
                "{SDMX_FILE} {name} {} (recomputed {})",
                shown(&get(i)),
                shown(&now[i])
            )
        })
        .collect()
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
