use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one configuration file, with the place to fix it.
#[derive(Debug, Clone)]
pub struct ConfigError {
    /// The file, relative to the project.
    pub file: PathBuf,
    /// The line of the key, when it is known.
    pub line: Option<usize>,
    /// The YAML path of the key (e.g. `sources[2].url`).
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while validating a project, in file and line order.
#[derive(Debug, Clone, Default, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// Records a problem.
    pub fn push(
        &mut self,
        file: &Path,
        line: Option<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(ConfigError {
            file: file.to_path_buf(),
            line,
            key: key.into(),
            message: message.into(),
        });
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A header names an environment variable (`env:NAME`) that is not set where osservatorio runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment variable {variable} is not set")]
pub struct UnsetVariable {
    /// The variable's name.
    pub variable: String,
}
