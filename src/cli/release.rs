//! Signing reports off into bundles, checking a bundle's signature and recomputing its figures.

use std::path::PathBuf;

use super::args::ProjectArg;
use super::load::load;
use super::out::sayln;
use super::{FAILED, INVALID};
use crate::config::Project;

/// `publish`: signs the current reports off into a bundle.
pub(super) async fn publish(
    project: &Project,
    by: &str,
    note: Option<&str>,
    run: Option<&str>,
    sign: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    use crate::publish::bundle::{self, BundleError};
    if by.trim().is_empty() {
        eprintln!("error: --by names the person who signs the reports off");
        return Ok(INVALID);
    }
    let key = match sign
        .map(crate::publish::signing::load_secret_key)
        .transpose()
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(INVALID);
        }
    };
    warn_of_key_place(project, sign, key.as_ref());
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    match bundle::publish(project, &wh, by.trim(), note, run, key.as_ref()).await {
        Ok((path, m)) => {
            if let Some(k) = &m.signature_key {
                sayln!(
                    "signed MANIFEST.json with key {k}: {}",
                    crate::publish::signing::SIGNATURE
                );
            }
            if let Err(e) = crate::render::refresh_index(project, &wh).await {
                eprintln!("warning: the index page does not list the new bundle yet: {e}");
            }
            sayln!(
                "published run {} signed off by {}: {} files",
                m.run_id,
                m.signed_off_by,
                m.files.len()
            );
            sayln!("bundle: {}", path.display());
            sayln!(
                "check it any time with: osservatorio verify {}",
                path.display()
            );
            Ok(0)
        }
        Err(e @ (BundleError::NothingRendered(_) | BundleError::OtherRun { .. })) => {
            eprintln!("error: {e}");
            Ok(INVALID)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(FAILED)
        }
    }
}

/// Warns of a secret key kept inside the project folder, and of one whose public key the
/// project does not list (verify would call it unknown).
fn warn_of_key_place(
    project: &Project,
    sign: Option<&std::path::Path>,
    key: Option<&crate::publish::signing::SigningKey>,
) {
    if let Some(k) = sign
        && let (Ok(k), Ok(root)) = (k.canonicalize(), project.root.canonicalize())
        && k.starts_with(&root)
    {
        eprintln!(
            "warning: the secret key {} is inside the project folder; keep it elsewhere so it is never committed or copied with the project",
            k.display()
        );
    }
    let configured = &project.settings.publication.public_keys;
    if let Some(k) = key
        && !configured.is_empty()
        && !configured.iter().any(|path| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| crate::publish::signing::parse_public_key(&t).ok())
                .is_some_and(|pk| crate::publish::signing::key_id(pk.keynum()) == k.key_id)
        })
    {
        eprintln!(
            "warning: key {} is none of publication.public_keys: verify will report an unknown key until its .pub file is listed there",
            k.key_id
        );
    }
}

/// Recomputes a bundle of `project` (a path, or a name under its published folder) from the data
/// files in its warehouse and prints whether every figure came out identical.
pub(super) async fn reproduce(project: &Project, bundle: &std::path::Path) -> anyhow::Result<u8> {
    let path = if bundle.exists() {
        bundle.to_path_buf()
    } else {
        crate::publish::bundle::published_dir(project).join(bundle)
    };
    let wh = crate::warehouse::Warehouse::open(&project.settings.warehouse)?;
    let r = match crate::publish::reproduce::reproduce(&path, &wh).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(FAILED);
        }
    };
    let name = r
        .manifest
        .as_ref()
        .map_or_else(|| path.display().to_string(), |m| m.bundle.clone());
    if r.identical() {
        sayln!(
            "identical: {} figures of {name} computed again from its {} data files and its definitions",
            r.figures,
            r.data_files
        );
        // The office may have changed its definitions since: the bundle's own were used.
        for ind in &project.indicators {
            let signed = r
                .manifest
                .iter()
                .flat_map(|m| &m.indicators)
                .find(|i| i.id == ind.id);
            if let Some(i) = signed
                && i.definition != crate::indicators::definition_hash(ind)
            {
                sayln!(
                    "note: {} has been redefined since sign-off; the definition the bundle was computed with was used",
                    ind.id
                );
            }
        }
        return Ok(0);
    }
    for p in &r.problems {
        sayln!("PROBLEM {p}");
    }
    for d in &r.differences {
        sayln!("DIFFERS {d}");
    }
    sayln!(
        "not identical: {} of {} figures of {name} differ",
        r.differences.len(),
        r.figures
    );
    Ok(FAILED)
}

fn verify(bundle: &std::path::Path, key_files: &[PathBuf]) -> u8 {
    use crate::publish::signing::{KnownKey, parse_public_key};
    let mut keys = Vec::new();
    for path in key_files {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the public key: {e}"))
            .and_then(|t| parse_public_key(&t));
        match parsed {
            Ok(key) => keys.push(KnownKey {
                path: path.display().to_string(),
                key,
            }),
            Err(e) => {
                eprintln!(
                    "error: {}: {e}; give the .pub file of the key that signed the bundle",
                    path.display()
                );
                return INVALID;
            }
        }
    }
    match crate::publish::bundle::verify(bundle, &keys) {
        Ok(v) if v.ok() => {
            let m = &v.manifest;
            sayln!(
                "ok: {} files match the manifest of {} (run {}, signed off by {} on {})",
                m.files.len(),
                m.bundle,
                m.run_id,
                m.signed_off_by,
                m.signed_off_at
            );
            sayln!("{}", v.signature);
            0
        }
        Ok(v) => {
            let m = &v.manifest;
            for p in &v.mismatches {
                sayln!("MISMATCH {p}");
            }
            if !v.signature.ok() {
                sayln!("SIGNATURE {}", v.signature);
            }
            sayln!(
                "{}: {} of {} files do not match the manifest signed off by {}{}",
                m.bundle,
                v.mismatches.len(),
                m.files.len(),
                m.signed_off_by,
                if v.signature.ok() {
                    ""
                } else {
                    "; the signature does not hold"
                }
            );
            FAILED
        }
        Err(e) => {
            eprintln!("error: {e}");
            INVALID
        }
    }
}

/// `verify`: checks a bundle's files and signature. The project gives the bundles' folder and the
/// keys a signature is checked against; a folder without osservatorio.yaml has none.
pub(super) fn verify_command(
    p: &ProjectArg,
    bundle: PathBuf,
    public_key: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let project = if p.project.join("osservatorio.yaml").exists() {
        Some(load(p)?)
    } else {
        crate::config::load_project(&p.project).ok()
    };
    // A bare name is looked up among the project's bundles; a path is taken as given.
    let path = match &project {
        Some(project) if !bundle.exists() => {
            crate::publish::bundle::published_dir(project).join(&bundle)
        }
        _ => bundle,
    };
    let key_files: Vec<PathBuf> = match (public_key, &project) {
        (Some(k), _) => vec![k],
        (None, Some(project)) => project.settings.publication.public_keys.clone(),
        (None, None) => Vec::new(),
    };
    Ok(verify(&path, &key_files))
}
