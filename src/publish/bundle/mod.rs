//! Signed-off bundles: an immutable, dated copy of a run's rendered reports with a manifest of every
//! file's SHA-256, the run, the indicators' definition hashes and the exports' checksums, and the
//! check an auditor runs on it later.
//!
//! `sign_off.rs` makes a bundle (copying the pages in, `links.rs` keeping their links inside it,
//! `shown.rs` auditing what its data files show, `sources.rs` recording what its figures were
//! computed from); `manifest.rs` is what it records, `verify.rs` checks it later, `files.rs`
//! lists and hashes its files.

use std::path::Path;

mod files;
mod links;
mod manifest;
mod shown;
mod sign_off;
mod sources;
mod verify;

pub(crate) use files::files_below;
pub use manifest::{BundleManifest, RenderRecord, list, published_dir, render_record};
pub use sign_off::publish;
pub(crate) use sources::warehouse_file_sha256;
pub use verify::{Mismatch, verify, verify_files};

/// The file in each bundle that lists the others.
pub const MANIFEST: &str = "MANIFEST.json";
/// What render leaves in the output folder to say which run the pages come from.
pub const RENDER_RECORD: &str = "render.json";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: FileFailure,
    },
    #[error("nothing to publish: {0}")]
    NothingRendered(String),
    #[error(
        "run {asked} cannot be published: the reports in {output} are those of run {rendered}; render run {asked} again or publish run {rendered}"
    )]
    OtherRun {
        asked: String,
        rendered: String,
        output: String,
    },
    #[error(
        "the reports in {output} are not all of run {run}: {}; render them again (`osservatorio render`) and sign off then",
        pages.iter().map(|(p, what)| format!("{p} {what}")).collect::<Vec<_>>().join(", ")
    )]
    MixedRuns {
        run: String,
        output: String,
        /// Each page not of the run: its path in the output folder and what it is instead.
        pages: Vec<(String, String)>,
    },
    #[error(
        "{0} already signs off these pages: a published bundle is never changed; draw them again (`osservatorio render`) to sign off another"
    )]
    Exists(String),
    #[error("{path}: not a published bundle ({manifest}: {source})", manifest = MANIFEST)]
    NotABundle {
        path: String,
        #[source]
        source: FileFailure,
    },
    #[error(
        "{path}: not a published bundle ({dir}/{file}: {source}; a bundle signed off before osservatorio kept what its figures were computed from cannot be reproduced)",
        dir = INPUTS_DIR,
        file = COMPUTED_FROM
    )]
    InputsUnreadable {
        path: String,
        #[source]
        source: FileFailure,
    },
    #[error(
        "{path}: not a published bundle (its definitions in {dir}/{defs}/ do not load:\n{source})",
        dir = INPUTS_DIR,
        defs = DEFINITIONS_DIR
    )]
    DefinitionsUnloadable {
        path: String,
        #[source]
        source: crate::config::ConfigErrors,
    },
    #[error(
        "the data file {path} of source {source_name} that the indicators were computed from is no longer in the warehouse (a later ingest replaced it): run `osservatorio compute` and `osservatorio render` again, then publish"
    )]
    DataGone { source_name: String, path: String },
    #[error(
        "not signed off: {} small count{} could be worked out from what the bundle publishes (feasible interval narrower than publication.protection = {protection}):\n  {}\nrender the reports again (`osservatorio render`) so that disclosure control hides what gives them away",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        found.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Disclosed {
        protection: f64,
        found: Vec<super::Disclosed>,
    },
    #[error(
        "not signed off: the pages in {output} do not show the figures of {output}/indicators.parquet, so what they disclose cannot be audited: {}; render them again (`osservatorio render`)",
        differ.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    NotAuditable {
        output: String,
        differ: Vec<super::Unaudited>,
    },
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error(transparent)]
    Signing(#[from] super::signing::SigningError),
}

/// What went wrong with one file a bundle is made of or checked against.
#[derive(Debug, thiserror::Error)]
pub enum FileFailure {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Table(#[from] crate::indicators::IndicatorError),
    #[error(transparent)]
    Spreadsheet(#[from] super::ods::OdsError),
    /// The file is there but not as a bundle writes it.
    #[error("{0}")]
    Malformed(&'static str),
}

/// The error of the file at `path`.
pub(crate) fn io(path: &Path, e: impl Into<FileFailure>) -> BundleError {
    BundleError::File {
        path: path.display().to_string(),
        source: e.into(),
    }
}

/// The folder of a bundle holding what its figures were computed from: `computed-from.json`
/// (each source's manifest as compute read it, the days figures were judged on) and
/// `definitions/` (the project's YAML, territories and keys as they were).
pub const INPUTS_DIR: &str = "inputs";
/// The record of the manifests and days, in `inputs/`.
pub const COMPUTED_FROM: &str = "computed-from.json";
/// The copy of the definition files, in `inputs/`.
pub const DEFINITIONS_DIR: &str = "definitions";
