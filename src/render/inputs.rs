//! What a rendered report is drawn from, as one fingerprint, so that a run in which none of it
//! changed (a scheduled run with no new exports) does not draw the same report again.
//!
//! The fingerprint covers the program (its version and this build), the whole checked project
//! (settings, territories, sources, indicators, dashboards), the indicator table, each source's
//! manifest as the report shows it (published data, delivery periods, the last attempt's outcome
//! and error) and whether it is late now, and today's date where the project is: everything the
//! pages, charts and exports are made from. A full render stores it beside the report; a render of
//! some dashboards, or one that failed, removes it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::RenderError;
use crate::config::Project;
use crate::warehouse::manifest::SourceManifest;

/// The file beside the report that holds the fingerprint of its last full render.
const STATE: &str = "render-inputs.json";

#[derive(serde::Serialize, serde::Deserialize, PartialEq)]
struct Stored {
    inputs: String,
}

fn state_path(project: &Project) -> PathBuf {
    project.settings.output.join(STATE)
}

/// The fingerprint of what the report would be drawn from now.
pub(super) fn fingerprint(project: &Project, manifests: &[Option<SourceManifest>]) -> String {
    let mut h = Sha256::new();
    let mut part = |label: &str, bytes: &[u8]| {
        h.update(label.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part("version", env!("CARGO_PKG_VERSION").as_bytes());
    // Another build of the same version (templates, fonts and charts are compiled in) is another
    // program: its size and time tell it apart without reading it.
    let build = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{} {:?}", m.len(), m.modified().ok()))
        .unwrap_or_default();
    part("build", build.as_bytes());
    part("project", format!("{project:?}").as_bytes());
    let table = crate::indicators::table_path(project);
    part("indicators", &std::fs::read(&table).unwrap_or_default());
    // The pages name the indicators that failed.
    let failed = project
        .settings
        .output
        .join(crate::indicators::failure::PROBLEMS_FILE);
    part("failed", &std::fs::read(failed).unwrap_or_default());
    let noted = project
        .settings
        .output
        .join(crate::indicators::failure::NOTES_FILE);
    part("noted", &std::fs::read(noted).unwrap_or_default());
    let now = crate::clock::now();
    let labels = super::labels::labels(project.settings.locale);
    for (s, m) in project.sources.iter().zip(manifests) {
        // The state the report gives the source (a failed attempt, late, ...), not the attempt's
        // own word: an export found unchanged shows as the one ingested before it did.
        let (state, _) = super::source_state(&labels, s, m.as_ref(), now);
        let shown = serde_json::json!({
            "state": state,
            // Not the export's tag: a rerun that finds the export unchanged may record a tag
            // the pages never show, which must not redraw them.
            "published": m.as_ref().and_then(|m| m.published.as_ref()).map(|p| crate::warehouse::manifest::Published {
                etag: None,
                ..p.clone()
            }),
            "periods_seen": m.as_ref().map(|m| &m.periods_seen),
            "error": m.as_ref().and_then(|m| m.last_attempt.as_ref()).map(|a| &a.error),
            "late": m.as_ref().and_then(|m| super::index::late_since(s, m, now)),
            // The data-quality section links the outcome files of deliveries by their state.
            "deliveries": m.as_ref().map(|m| m.deliveries.iter().map(|d| (&d.key, d.state())).collect::<Vec<_>>()),
        });
        part(&s.name, shown.to_string().as_bytes());
    }
    let today = now.with_timezone(&project.settings.timezone).date_naive();
    part("today", today.to_string().as_bytes());
    // The pages tell what changed since the last signed-off bundle: a new one changes them.
    let last_bundle = crate::publish::bundle::list(project)
        .into_iter()
        .map(|(name, m)| (m.signed_off_at, name))
        .max();
    part("last bundle", format!("{last_bundle:?}").as_bytes());
    hex::encode(h.finalize())
}

/// Whether the report in the output folder was rendered in full from exactly these inputs and
/// is still all there.
pub(super) fn unchanged(project: &Project, inputs: &str) -> bool {
    let out = &project.settings.output;
    let stored: Option<Stored> = std::fs::read(state_path(project))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let complete = out.join("index.html").exists()
        && project
            .dashboards
            .iter()
            .all(|d| out.join(&d.id).join("index.html").exists());
    complete && stored.is_some_and(|s| s.inputs == inputs)
}

/// Remembers the inputs of a full render, or forgets them after a partial or failed one.
pub(super) fn record(project: &Project, inputs: Option<&str>) -> Result<(), RenderError> {
    let path = state_path(project);
    match inputs {
        Some(inputs) => {
            let bytes = serde_json::to_vec(&Stored {
                inputs: inputs.to_string(),
            })
            .map_err(|source| RenderError::Json {
                path: path.clone(),
                source,
            })?;
            Ok(crate::indicators::output::write_atomic(&path, &bytes)?)
        }
        None => remove(&path),
    }
}

fn remove(path: &Path) -> Result<(), RenderError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(super::io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"{"source": "spese-pd", "table": "spese", "pipeline": "p",
        "published": {"url": "spese.csv", "sha256": "aa58", "file": "spese/part-1.parquet",
            "etag": null, "definition": "3650", "bytes": 58, "rows": 2, "rejected_rows": 0,
            "skipped_rows": 0, "ingested_at": "2026-12-01T19:05:49+00:00", "run_id": "r1",
            "warnings": [], "checks": []},
        "deliveries": [], "last_attempt": null, "periods_seen": {}}"#;

    fn manifest(edit: impl Fn(&mut serde_json::Value)) -> SourceManifest {
        let mut v: serde_json::Value = serde_json::from_str(MANIFEST).expect("JSON");
        edit(&mut v);
        serde_json::from_value(v).expect("a manifest")
    }

    #[test]
    fn the_exports_tag_is_not_part_of_what_the_report_is_drawn_from() {
        let project =
            crate::config::load_project(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("bundled");
        let of = |m: SourceManifest| fingerprint(&project, &[Some(m)]);
        let untagged = of(manifest(|_| {}));
        let tagged = of(manifest(|v| v["published"]["etag"] = "9de2fd-3a".into()));
        assert_eq!(untagged, tagged);
        let more_rows = of(manifest(|v| v["published"]["rows"] = 3.into()));
        assert_ne!(untagged, more_rows);
    }
}
