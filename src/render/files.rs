//! The writing of the output folder: staging folders swapped into place, and what a stopped render left.

use std::collections::BTreeMap;
use std::path::Path;

use super::{RenderError, error, io};
use crate::config::Project;
use crate::indicators::output;
use crate::warehouse::findings::Finding;

/// Removes what a render that was killed left in the output folder: a dashboard's staging folder
/// (`.ID-RUN`), the previous pages set aside while swapping (`ID.old`) and half-written files
/// (`.tmp*`). Only while holding the run lock, so no render in progress is using them.
pub fn remove_leftovers(project: &Project) {
    let out = &project.settings.output;
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let staging = project.dashboards.iter().any(|d| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(d.id.as_str()))
                .is_some_and(|rest| rest.starts_with('-'))
                || name == format!("{}.old", d.id)
        });
        let path = e.path();
        let removed = if staging && path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if name.starts_with(".tmp") && path.is_file() {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        match removed {
            Ok(()) => tracing::info!(path = %path.display(), "removed what a stopped render left"),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot remove what a stopped render left: {e}")
            }
        }
    }
}

pub(super) fn publish_dir(staging: &Path, target: &Path) -> Result<(), RenderError> {
    let old = target.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if target.exists() {
        std::fs::rename(target, &old).map_err(io(target))?;
    }
    std::fs::rename(staging, target).map_err(io(target))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Writes what the run leaves beside the pages: every data-quality finding (`findings.csv`) and
/// the record of the run the pages come from and the dashboards it drew.
pub(super) fn write_run_files(
    project: &Project,
    run_id: &str,
    found: &[Finding],
    failed: &BTreeMap<String, String>,
) -> Result<(), RenderError> {
    let out = &project.settings.output;
    let findings_csv = out.join("findings.csv");
    let csv = crate::warehouse::findings::to_csv(found).map_err(error::csv_error(&findings_csv))?;
    output::write_atomic(&findings_csv, &csv)?;
    let record = crate::publish::bundle::RenderRecord {
        run_id: run_id.to_string(),
        rendered_at: chrono::Utc::now().to_rfc3339(),
        dashboards: project
            .dashboards
            .iter()
            .filter(|d| out.join(&d.id).join("index.html").exists())
            .map(|d| d.id.clone())
            .collect(),
        failed: failed.clone(),
    };
    let record_path = out.join(crate::publish::bundle::RENDER_RECORD);
    let json = serde_json::to_vec_pretty(&record).map_err(|source| RenderError::Json {
        path: record_path.clone(),
        source,
    })?;
    output::write_atomic(&record_path, &json)?;
    Ok(())
}
