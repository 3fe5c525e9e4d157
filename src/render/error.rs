//! What can stop a render: a page or file that cannot be written, a template, the indicator table.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Io(String),
    #[error("template: {0}")]
    Template(String),
    #[error(transparent)]
    Indicators(#[from] crate::indicators::IndicatorError),
}

pub(super) fn io(path: &Path, e: impl std::fmt::Display) -> RenderError {
    RenderError::Io(format!("{}: {e}", path.display()))
}
