//! What the indicator table was last computed from, kept beside it (`OUTPUT/indicators.inputs.json`):
//! each source's manifest as the session read it (its data files and which rows newer deliveries
//! supersede), the days figures were judged on, and the text of every definition file. Sign-off
//! copies it into the bundle, so the bundle's figures can be computed again as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{AsOf, IndicatorError};
use crate::config::Project;
use crate::warehouse::manifest::SourceManifest;

/// The file beside the indicator table.
pub const INPUTS_FILE: &str = "indicators.inputs.json";

/// One definition file as it was read: its path relative to the project and its text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DefinitionFile {
    pub path: String,
    pub text: String,
}

/// What the indicator table was computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComputedFrom {
    pub run_id: String,
    pub as_of: AsOf,
    /// Each source's manifest as compute read it, by source name: only what reading needs (its
    /// deliveries, their data files, what they cover, the periods seen), not its attempts.
    pub manifests: BTreeMap<String, SourceManifest>,
    pub definitions: Vec<DefinitionFile>,
}

/// A manifest without what reading the rows does not need (warnings, findings, attempts): what
/// a published bundle may show of it.
pub fn reading_part(m: &SourceManifest) -> SourceManifest {
    let strip = |p: &crate::warehouse::manifest::Published| crate::warehouse::manifest::Published {
        warnings: Vec::new(),
        checks: Vec::new(),
        ..p.clone()
    };
    SourceManifest {
        published: m.published.as_ref().map(strip),
        deliveries: m
            .deliveries
            .iter()
            .map(|d| crate::warehouse::manifest::Delivery {
                published: d.published.as_ref().map(strip),
                rejected_file: None,
                findings_file: None,
                failure: None,
                ..d.clone()
            })
            .collect(),
        last_attempt: None,
        ..m.clone()
    }
}

/// The path of a definition file as the bundle keeps it: relative to the project, `/`-separated;
/// None for a file outside the project folder.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

/// What `project`'s indicators are being computed from, with `manifests` in project source order.
pub fn computed_from(
    project: &Project,
    run_id: &str,
    as_of: AsOf,
    manifests: &[Option<SourceManifest>],
) -> ComputedFrom {
    let definitions = project
        .definition_files
        .iter()
        .filter_map(|p| {
            Some(DefinitionFile {
                path: relative(&project.root, p)?,
                text: std::fs::read_to_string(p).ok()?,
            })
        })
        .collect();
    ComputedFrom {
        run_id: run_id.to_string(),
        as_of,
        manifests: project
            .sources
            .iter()
            .zip(manifests)
            .filter_map(|(s, m)| Some((s.name.clone(), reading_part(m.as_ref()?))))
            .collect(),
        definitions,
    }
}

pub fn path(project: &Project) -> PathBuf {
    project.settings.output.join(INPUTS_FILE)
}

/// Writes the record beside the indicator table (atomically).
pub fn write(project: &Project, c: &ComputedFrom) -> Result<(), IndicatorError> {
    let bytes = serde_json::to_vec_pretty(c).map_err(IndicatorError::Inputs)?;
    super::output::write_atomic(&path(project), &bytes)
}

/// The record beside the indicator table; None when there is none (a table computed before it
/// was kept) or it cannot be read.
pub fn read(project: &Project) -> Option<ComputedFrom> {
    let text = std::fs::read_to_string(path(project)).ok()?;
    serde_json::from_str(&text).ok()
}
