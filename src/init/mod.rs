//! `osservatorio init DIR`: a small working project to start from, commented in the project's
//! language, that `check`s and `run`s as written.
//!
//! The templates under `templates/` carry their comments in both languages, each line marked
//! `#it:` or `#en:`; the project gets the lines of its locale as plain comments.

use std::path::{Path, PathBuf};

/// What the office does: the kind of project written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A Prefecture: presences in the reception facilities (CAS, SAI), occupancy, monthly returns
    Prefettura,
    /// A district planning office (Ufficio di Piano): contacts at the desks, district plan indicators
    Ambito,
}

/// The project's language: of its reports and of the comments in its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Locale {
    /// Italiano
    It,
    /// English
    En,
}

impl Locale {
    fn code(self) -> &'static str {
        match self {
            Locale::It => "it",
            Locale::En => "en",
        }
    }
}

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The folder already holds files: init never writes over them.
    #[error(
        "{0} is not empty: osservatorio init writes a new project into an empty or absent folder, so that no file of yours is overwritten; name a new folder"
    )]
    NotEmpty(PathBuf),
    /// The path is a file.
    #[error("{0} is a file, not a folder: name a new folder for the project")]
    NotAFolder(PathBuf),
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// One template: where it goes in the project, and its text.
struct Template {
    path: &'static str,
    text: &'static str,
}

macro_rules! template {
    ($path:literal, $file:literal) => {
        Template {
            path: $path,
            text: include_str!($file),
        }
    };
}

fn templates(kind: Kind) -> [Template; 6] {
    match kind {
        Kind::Prefettura => [
            template!(
                "osservatorio.yaml",
                "templates/prefettura/osservatorio.yaml"
            ),
            template!("territories.csv", "templates/prefettura/territories.csv"),
            template!(
                "pipelines/presenze.yaml",
                "templates/prefettura/pipeline.yaml"
            ),
            template!(
                "indicators/accoglienza.yaml",
                "templates/prefettura/indicators.yaml"
            ),
            template!(
                "dashboards/accoglienza.yaml",
                "templates/prefettura/dashboard.yaml"
            ),
            template!("data/presenze.csv", "templates/prefettura/presenze.csv"),
        ],
        Kind::Ambito => [
            template!("osservatorio.yaml", "templates/ambito/osservatorio.yaml"),
            template!("territories.csv", "templates/ambito/territories.csv"),
            template!("pipelines/sportelli.yaml", "templates/ambito/pipeline.yaml"),
            template!(
                "indicators/piano-di-zona.yaml",
                "templates/ambito/indicators.yaml"
            ),
            template!(
                "dashboards/piano-di-zona.yaml",
                "templates/ambito/dashboard.yaml"
            ),
            template!("data/contatti.csv", "templates/ambito/contatti.csv"),
        ],
    }
}

/// A template's text for `locale`: its `#it:`/`#en:` comment lines of that language become plain
/// comments, those of the other are left out, and `{{locale}}` is filled in.
fn localize(text: &str, locale: Locale) -> String {
    let own = format!("#{}:", locale.code());
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        if let Some(rest) = body.strip_prefix(&own) {
            out.push_str(indent);
            out.push('#');
            out.push_str(rest);
        } else if body.starts_with("#it:") || body.starts_with("#en:") {
            continue;
        } else {
            out.push_str(&line.replace("{{locale}}", locale.code()));
        }
        out.push('\n');
    }
    out
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a new project of `kind` into `dir`, which must be empty or absent; returns the files
/// written, relative to `dir`.
pub fn init(dir: &Path, kind: Kind, locale: Locale) -> Result<Vec<PathBuf>, InitError> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(InitError::NotAFolder(dir.to_path_buf()));
        }
        if std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(InitError::NotEmpty(dir.to_path_buf()));
        }
    }
    let mut written = Vec::new();
    for t in templates(kind) {
        let path = dir.join(t.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let text = if t.path.ends_with(".yaml") {
            localize(t.text, locale)
        } else {
            t.text.to_string()
        };
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(PathBuf::from(t.path));
    }
    let schemas = dir.join(".schema");
    crate::config::schema::write_schemas(&schemas).map_err(io(&schemas))?;
    for name in crate::config::schema::SCHEMA_FILES {
        written.push(Path::new(".schema").join(name));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_those_of_the_locale() {
        let t = "# top\n#it: ciao\n#en: hello\n  #it: sotto\nlocale: {{locale}}\n";
        assert_eq!(
            localize(t, Locale::It),
            "# top\n# ciao\n  # sotto\nlocale: it\n"
        );
        assert_eq!(localize(t, Locale::En), "# top\n# hello\nlocale: en\n");
    }

    #[test]
    fn every_template_has_its_comments_in_both_languages() {
        for kind in [Kind::Prefettura, Kind::Ambito] {
            for t in templates(kind).iter().filter(|t| t.path.ends_with(".yaml")) {
                let it = t
                    .text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("#it:"))
                    .count();
                let en = t
                    .text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("#en:"))
                    .count();
                assert!(
                    it > 0 && en > 0,
                    "{} has comments in one language only",
                    t.path
                );
                assert!(
                    t.text.starts_with("# yaml-language-server: $schema="),
                    "{}",
                    t.path
                );
            }
        }
    }
}
