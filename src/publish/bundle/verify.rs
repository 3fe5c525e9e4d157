//! `verify`: every file of a bundle against its manifest, and the manifest's signature.

use std::collections::BTreeSet;
use std::path::Path;

use super::files::{files_below, sha256_file};
use super::manifest::BundleManifest;
use super::{BundleError, FileFailure, MANIFEST, io};
use crate::publish::signing::{KnownKey, SIGNATURE, SignatureCheck};

/// What `verify` found wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Changed(String),
    Missing(String),
    Unexpected(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Changed(p) => {
                write!(f, "{p}: changed since it was signed off (SHA-256 differs)")
            }
            Mismatch::Missing(p) => write!(f, "{p}: missing"),
            Mismatch::Unexpected(p) => write!(f, "{p}: not in the manifest (added after sign-off)"),
        }
    }
}

/// What `verify` found: the manifest, the files that do not match it, and the signature check.
pub struct Verification {
    pub manifest: BundleManifest,
    pub mismatches: Vec<Mismatch>,
    pub signature: SignatureCheck,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.signature.ok()
    }
}

/// Re-checks every file of a bundle against its manifest, and the manifest's signature against
/// `keys` (a missing signature fails when keys are given).
pub fn verify(bundle: &Path, keys: &[KnownKey]) -> Result<Verification, BundleError> {
    let (manifest, mismatches) = verify_files(bundle)?;
    let bytes = std::fs::read(bundle.join(MANIFEST)).map_err(|e| io(&bundle.join(MANIFEST), e))?;
    let sig_path = bundle.join(SIGNATURE);
    let signature = match std::fs::read_to_string(&sig_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&sig_path, e)),
    };
    let signature = crate::publish::signing::check(&bytes, signature.as_deref(), keys);
    Ok(Verification {
        manifest,
        mismatches,
        signature,
    })
}

/// Re-checks every file of a bundle against its manifest.
pub fn verify_files(bundle: &Path) -> Result<(BundleManifest, Vec<Mismatch>), BundleError> {
    let not_a_bundle = |source: FileFailure| BundleError::NotABundle {
        path: bundle.display().to_string(),
        source,
    };
    let text =
        std::fs::read_to_string(bundle.join(MANIFEST)).map_err(|e| not_a_bundle(e.into()))?;
    let manifest: BundleManifest =
        serde_json::from_str(&text).map_err(|e| not_a_bundle(e.into()))?;
    let mut problems = Vec::new();
    for f in &manifest.files {
        let path = bundle.join(&f.path);
        match sha256_file(&path) {
            Ok((sha, bytes)) if sha == f.sha256 && bytes == f.bytes => {}
            Ok(_) => problems.push(Mismatch::Changed(f.path.clone())),
            Err(_) => problems.push(Mismatch::Missing(f.path.clone())),
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for rel in files_below(bundle).map_err(|e| io(bundle, e))? {
        if rel != MANIFEST && rel != SIGNATURE && !listed.contains(rel.as_str()) {
            problems.push(Mismatch::Unexpected(rel));
        }
    }
    Ok((manifest, problems))
}
