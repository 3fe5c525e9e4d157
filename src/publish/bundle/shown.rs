//! The audit before sign-off, of the figures the bundle's data files show.

use std::path::Path;

use super::files::files_below;
use super::{BundleError, io};
use crate::config::Project;

/// The audit before sign-off: every figure the bundle's data files show, against the exact
/// indicator table, by linear programming over all of them together.
pub(super) fn audit_bundle(project: &Project, staging: &Path) -> Result<(), BundleError> {
    let output = &project.settings.output;
    let rows = crate::indicators::output::read(output).map_err(|e| io(output, e))?;
    let shown = shown_figures(staging)?;
    match crate::publish::audit_published(project, rows, &shown) {
        Ok(found) if found.is_empty() => Ok(()),
        Ok(found) => Err(BundleError::Disclosed {
            protection: crate::publish::protection(project),
            found,
        }),
        Err(differ) => Err(BundleError::NotAuditable {
            output: output.display().to_string(),
            differ,
        }),
    }
}

/// A CSV cell as written, without the `'` that keeps text from being read as a formula.
fn uncell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Every figure in a data file of the bundle (each CSV with the columns of a page's `data.csv`:
/// the pages' and the charts' own): its numbers where some file shows it, None where every file
/// flags it `c`.
fn shown_figures(dir: &Path) -> Result<crate::publish::BundleFigures, BundleError> {
    let mut out = std::collections::BTreeMap::new();
    for rel in files_below(dir).map_err(|e| io(dir, e))? {
        if !rel.ends_with(".csv") {
            continue;
        }
        let path = dir.join(&rel);
        let mut r = csv::Reader::from_path(&path).map_err(|e| io(&path, e))?;
        let headers = r.headers().map_err(|e| io(&path, e))?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(i), Some(t), Some(p), Some(n), Some(d), Some(f)) = (
            col("indicator"),
            col("territory"),
            col("period"),
            col("numerator"),
            col("denominator"),
            col("flag"),
        ) else {
            continue;
        };
        for rec in r.records() {
            let rec = rec.map_err(|e| io(&path, e))?;
            let cell = |c: usize| uncell(rec.get(c).unwrap_or(""));
            let key = (
                cell(i).to_string(),
                cell(t).to_string(),
                cell(p).to_string(),
            );
            if cell(f) == crate::publish::CONFIDENTIAL {
                out.entry(key).or_insert(None);
                continue;
            }
            let number = |c: usize| cell(c).parse::<f64>().ok();
            out.insert(
                key,
                Some(crate::publish::ShownFigure {
                    numerator: number(n),
                    denominator: number(d),
                }),
            );
        }
    }
    Ok(out)
}
