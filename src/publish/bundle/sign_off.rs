//! Sign-off: the rendered reports of one run copied into a new, read-only bundle with its
//! manifest, its open data, what its figures were computed from and, when a key is given, its
//! signature.

use std::path::{Path, PathBuf};

use object_store::ObjectStoreExt;

use super::files::{copy_tree, files_below, make_read_only, sha256_file};
use super::links::keep_links_inside;
use super::manifest::{
    BundleManifest, FileEntry, IndicatorEntry, RenderRecord, SourceEntry, pages_of_other_runs,
    published_dir, render_record,
};
use super::shown::audit_bundle;
use super::sources::{definitions_of_figures, sources_computed_from, sources_now, write_inputs};
use super::{BundleError, MANIFEST, io};
use crate::config::Project;
use crate::publish::signing::{SIGNATURE, SigningKey};
use crate::warehouse::Warehouse;
use crate::warehouse::pins::{PINS, Pin, pins};

/// Signs off the rendered reports of `run` (the last rendered run when None): copies the index and
/// every dashboard folder into `OUTPUT/published/YYYY-MM-DD_RUN/` with its manifest, read-only.
/// The exact indicator tables are not part of a bundle: they are for the office's analysts.
pub async fn publish(
    project: &Project,
    wh: &Warehouse,
    by: &str,
    note: Option<&str>,
    run: Option<&str>,
    sign: Option<&SigningKey>,
) -> Result<(PathBuf, BundleManifest), BundleError> {
    let record = record_of_run(project, run)?;
    let now = chrono::Utc::now();
    let root = published_dir(project);
    let name = bundle_name(project, &root, &record, now)?;
    let target = root.join(&name);
    let staging = root.join(format!(".staging-{name}"));
    let _ = std::fs::remove_dir_all(&staging);
    let sign_off = SignOff {
        project,
        wh,
        record: &record,
        name: &name,
        by,
        note,
        now,
        sign,
    };
    let manifest = match sign_off.fill(&staging).await {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    pin_data_files(wh, &root, &name, &manifest).await?;
    std::fs::rename(&staging, &target).map_err(|e| io(&target, e))?;
    Ok((target, manifest))
}

/// The render record of the reports in the output folder, when they are of `run` (any run when
/// None).
fn record_of_run(project: &Project, run: Option<&str>) -> Result<RenderRecord, BundleError> {
    let output = &project.settings.output;
    let record = render_record(output).ok_or_else(|| {
        BundleError::NothingRendered(format!(
            "no rendered reports in {}; run `osservatorio run` or `osservatorio render` first",
            output.display()
        ))
    })?;
    if let Some(asked) = run
        && asked != record.run_id
    {
        return Err(BundleError::OtherRun {
            asked: asked.to_string(),
            rendered: record.run_id.clone(),
            output: output.display().to_string(),
        });
    }
    Ok(record)
}

/// The name of the new bundle: `YYYY-MM-DD_RUN`, or `YYYY-MM-DD_RUN-N` beside bundles of the
/// same run signed off the same day from another drawing.
fn bundle_name(
    project: &Project,
    root: &Path,
    record: &RenderRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, BundleError> {
    let day = now
        .with_timezone(&project.settings.timezone)
        .format("%Y-%m-%d");
    // The same run drawn again and signed off again the same day (another key, another note) is
    // a bundle of its own beside the first, which is never changed; the same drawing twice is not.
    let first = format!("{day}_{}", record.run_id);
    let mut names = std::iter::once(first.clone()).chain((2..).map(|n| format!("{first}-{n}")));
    loop {
        let Some(name) = names.next() else {
            return Err(BundleError::Exists(first));
        };
        let dir = root.join(&name);
        if !dir.exists() {
            return Ok(name);
        }
        let same_drawing = std::fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<BundleManifest>(&t).ok())
            .is_none_or(|m| m.run_id == record.run_id && m.rendered_at == record.rendered_at);
        if same_drawing {
            return Err(BundleError::Exists(dir.display().to_string()));
        }
    }
}

/// Pins the data files the new bundle's figures came from: they stay in the warehouse while a
/// bundle names them; pins of bundles since removed from the output folder let theirs go.
async fn pin_data_files(
    wh: &Warehouse,
    root: &Path,
    name: &str,
    manifest: &BundleManifest,
) -> Result<(), BundleError> {
    for (location, pin) in pins(wh).await? {
        if !root.join(&pin.bundle).exists() {
            let _ = wh.store.delete(&location).await;
        }
    }
    let pin = Pin {
        bundle: name.to_string(),
        files: manifest
            .sources
            .iter()
            .flat_map(|s| s.data_files.iter().cloned())
            .collect(),
    };
    wh.put_json(&wh.path(&format!("{PINS}/{name}.json")), &pin)
        .await?;
    Ok(())
}

/// One sign-off: what the bundle is made of and who signs it.
struct SignOff<'a> {
    project: &'a Project,
    wh: &'a Warehouse,
    record: &'a RenderRecord,
    name: &'a str,
    by: &'a str,
    note: Option<&'a str>,
    now: chrono::DateTime<chrono::Utc>,
    sign: Option<&'a SigningKey>,
}

impl SignOff<'_> {
    /// Fills `staging` with the bundle and returns its manifest.
    async fn fill(&self, staging: &Path) -> Result<BundleManifest, BundleError> {
        self.copy_reports(staging)?;
        keep_links_inside(self.project, staging)?;
        super::super::opendata::complete_bundle(self.project, staging, self.name, self.now)?;
        audit_bundle(self.project, staging)?;
        let computed = crate::indicators::inputs::read(self.project);
        let sources = match &computed {
            Some(c) => {
                write_inputs(staging, c)?;
                sources_computed_from(self.wh, c).await?
            }
            None => sources_now(self.project, self.wh).await?,
        };
        let manifest = self.manifest(sources, files_of(staging)?);
        self.write_manifest(staging, &manifest)?;
        make_read_only(staging)?;
        Ok(manifest)
    }

    /// Copies the index and each dashboard's folder in: all of them must be of the one run.
    fn copy_reports(&self, staging: &Path) -> Result<(), BundleError> {
        let output = &self.project.settings.output;
        std::fs::create_dir_all(staging).map_err(|e| io(staging, e))?;
        let index = output.join("index.html");
        if index.exists() {
            std::fs::copy(&index, staging.join("index.html")).map_err(|e| io(&index, e))?;
        }
        for d in &self.record.dashboards {
            let dir = output.join(d);
            if dir.is_dir() {
                copy_tree(&dir, &staging.join(d))?;
            }
        }
        // What was copied is what is signed off.
        let mixed = pages_of_other_runs(staging, self.record);
        if !mixed.is_empty() {
            return Err(BundleError::MixedRuns {
                run: self.record.run_id.clone(),
                output: output.display().to_string(),
                pages: mixed,
            });
        }
        Ok(())
    }

    fn manifest(&self, sources: Vec<SourceEntry>, files: Vec<FileEntry>) -> BundleManifest {
        let definitions = definitions_of_figures(self.project);
        BundleManifest {
            bundle: self.name.to_string(),
            project: self.project.settings.name.clone(),
            run_id: self.record.run_id.clone(),
            rendered_at: self.record.rendered_at.clone(),
            signed_off_by: self.by.to_string(),
            signed_off_at: self.now.to_rfc3339(),
            note: self.note.map(str::to_string),
            generator: format!("osservatorio {}", env!("CARGO_PKG_VERSION")),
            indicators: self
                .project
                .indicators
                .iter()
                .map(|i| IndicatorEntry {
                    id: i.id.clone(),
                    definition: definitions
                        .get(&i.id)
                        .cloned()
                        .unwrap_or_else(|| crate::indicators::definition_hash(i)),
                })
                .collect(),
            sources,
            files,
            signature_key: self.sign.map(|k| k.key_id.clone()),
        }
    }

    /// Writes MANIFEST.json and, with a key, its signature.
    fn write_manifest(&self, staging: &Path, manifest: &BundleManifest) -> Result<(), BundleError> {
        let text = serde_json::to_vec_pretty(manifest).map_err(|e| io(staging, e))?;
        std::fs::write(staging.join(MANIFEST), &text).map_err(|e| io(staging, e))?;
        if let Some(key) = self.sign {
            let comment = format!(
                "bundle:{} run:{} project:{} signed_off_by:{}",
                self.name,
                manifest.run_id,
                manifest.project.replace(['\r', '\n'], " "),
                self.by.replace(['\r', '\n'], " ")
            );
            let sig = crate::publish::signing::sign(key, &text, &comment)?;
            std::fs::write(staging.join(SIGNATURE), sig).map_err(|e| io(staging, e))?;
        }
        Ok(())
    }
}

/// Every file of the bundle being filled, with its SHA-256 and size.
fn files_of(staging: &Path) -> Result<Vec<FileEntry>, BundleError> {
    let mut files = Vec::new();
    for rel in files_below(staging).map_err(|e| io(staging, e))? {
        let (sha256, bytes) = sha256_file(&staging.join(&rel)).map_err(|e| io(staging, e))?;
        files.push(FileEntry {
            path: rel,
            sha256,
            bytes,
        });
    }
    Ok(files)
}
