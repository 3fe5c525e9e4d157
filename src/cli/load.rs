//! Loading the project a command works on, and checking the names the command was given.

use super::args::ProjectArg;
use super::{ExitStatus, INVALID};
use crate::config::{self, Project};

/// The project the command names, checked; its problems are printed.
pub(super) fn load(p: &ProjectArg) -> Result<Project, ExitStatus> {
    if !p.project.is_dir() {
        eprintln!(
            "error: {} is not a folder; pass --project DIR",
            p.project.display()
        );
        return Err(ExitStatus(INVALID));
    }
    config::load_project(&p.project).map_err(|errs| {
        eprint!("{errs}");
        ExitStatus(INVALID)
    })
}

/// What a `--pipeline`, `--indicator` or `--dashboard` may name.
#[derive(Clone, Copy)]
pub(super) enum Selects {
    Pipeline,
    Indicator,
    Dashboard,
}

impl Selects {
    fn names(self, project: &Project) -> Vec<&str> {
        match self {
            Selects::Pipeline => project.pipelines.iter().map(|x| x.name.as_str()).collect(),
            Selects::Indicator => project.indicators.iter().map(|x| x.id.as_str()).collect(),
            Selects::Dashboard => project.dashboards.iter().map(|x| x.id.as_str()).collect(),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Selects::Pipeline => "pipeline",
            Selects::Indicator => "indicator",
            Selects::Dashboard => "dashboard",
        }
    }
}

/// Loads the project and checks that every selected name exists in it.
pub(super) fn load_selecting(
    p: &ProjectArg,
    selects: Selects,
    given: &[String],
) -> Result<Project, ExitStatus> {
    let project = load(p)?;
    let known = selects.names(&project);
    let bad: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|g| !known.contains(g))
        .collect();
    if !bad.is_empty() {
        eprintln!(
            "error: unknown {} {} (known: {})",
            selects.word(),
            bad.join(", "),
            known.join(", ")
        );
        return Err(ExitStatus(INVALID));
    }
    Ok(project)
}

/// The project, when every name given to `--accept` or `--source` is one of its sources.
pub(super) fn known_sources(project: Project, given: &[String]) -> Result<Project, ExitStatus> {
    let bad: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|g| project.source(g).is_none())
        .collect();
    if bad.is_empty() {
        return Ok(project);
    }
    let known: Vec<&str> = project.sources.iter().map(|s| s.name.as_str()).collect();
    eprintln!(
        "error: unknown source {} (known: {})",
        bad.join(", "),
        known.join(", ")
    );
    Err(ExitStatus(INVALID))
}
