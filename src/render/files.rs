//! The writing of the output folder: staging folders swapped into place, and what a stopped render left.

use std::path::Path;

use super::{RenderError, io};
use crate::config::Project;

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
        std::fs::rename(target, &old).map_err(|e| io(target, e))?;
    }
    std::fs::rename(staging, target).map_err(|e| io(target, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
