//! Reads every project file and validates it into the checked [`Project`] model.
//!
//! Validation never stops at the first problem: it collects all of them, each naming the file,
//! the line and the key, so one `osservatorio check` shows everything to fix.

pub mod boundaries;
mod dashboard;
mod error;
mod indicator;
pub mod istat;
mod locate;
pub mod model;
mod names;
pub mod period;
mod pipeline;
pub(crate) mod raw;
pub mod schema;
mod settings;
mod shape;
mod source;
mod territories;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors, UnsetVariable};
pub use locate::LineIndex;
pub use model::*;
pub use period::{Grain, Period};
pub use shape::did_you_mean;
pub(crate) use source::unset_header_variables;

use pipeline::PendingSource;
use settings::no_ctx;

use raw::*;

/// A YAML file being validated: where it is and where its keys are.
struct FileCtx {
    /// Path relative to the project, as messages show it.
    shown: PathBuf,
    index: LineIndex,
}

impl FileCtx {
    fn err(&self, errs: &mut ConfigErrors, key: &str, message: impl Into<String>) {
        errs.push(&self.shown, self.index.line_of(key), key, message);
    }
}

fn shown_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The kinds of YAML file, each read by its serde type and described by its JSON Schema.
#[derive(Debug, Clone, Copy)]
enum FileKind {
    Settings,
    Pipeline,
    Indicators,
    Dashboard,
}

impl FileKind {
    /// The file kind's schema, in the order of [`schema::SCHEMA_FILES`].
    fn schema(self) -> &'static serde_json::Value {
        static SCHEMAS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
        let all = SCHEMAS.get_or_init(|| schema::schemas().into_iter().map(|(_, s)| s).collect());
        &all[self as usize]
    }
}

/// Every shape problem of a file serde refused, each at its key's line; empty when the text is not
/// YAML at all (serde's message says where) or the schema sees nothing wrong.
fn shape_problems_of(text: &str, kind: FileKind) -> (Vec<shape::ShapeProblem>, serde_json::Value) {
    let doc = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text)
        .ok()
        .and_then(|y| serde_json::to_value(y).ok());
    match doc {
        Some(doc) => (shape::shape_problems(kind.schema(), &doc), doc),
        None => (Vec::new(), serde_json::Value::Null),
    }
}

/// Reads and deserialises one YAML file; shape errors are recorded all at once, each at its key.
fn read_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    path: &Path,
    kind: FileKind,
    errs: &mut ConfigErrors,
) -> Option<(T, FileCtx)> {
    let shown = shown_path(root, path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errs.push(&shown, None, "", format!("cannot read the file: {e}"));
            return None;
        }
    };
    let index = LineIndex::build(&text);
    match serde_yaml_ng::from_str::<T>(&text) {
        Ok(v) => Some((v, FileCtx { shown, index })),
        Err(e) => {
            let (problems, doc) = shape_problems_of(&text, kind);
            if !problems.is_empty() {
                for p in &problems {
                    errs.push(&shown, index.line_of(&p.path), &p.path, p.message.clone());
                }
                // With the misspelled keys read as the keys meant, the rest of the file is still
                // checked (a column not in its table, an undefined id) and what it declares is
                // known to the files that refer to it.
                return serde_json::from_value::<T>(shape::repaired(doc, &problems))
                    .ok()
                    .map(|v| (v, FileCtx { shown, index }));
            }
            let line = e.location().map(|l| l.line());
            let msg = e.to_string();
            // serde_yaml_ng appends " at line N column M"; the line is already in front.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let msg = if msg.contains("untagged enum Text") {
                format!(
                    "{msg}: a text is a string or a map of languages such as {{ it: \"...\", en: \"...\" }} (quote texts that contain commas)"
                )
            } else if msg.contains("untagged enum TerritoriesSetting") {
                format!(
                    "{msg}: territories is a file (territories.csv) or the official lists of some regions, {{ istat: [\"05\"], extra: territories.csv }}"
                )
            } else if msg.contains("untagged enum ColumnMapFile") {
                format!(
                    "{msg}: a column is mapped to the export's header (\"N. presenti\") or to {{ header: \"Codice ISTAT\", pad: 6 }}"
                )
            } else {
                msg
            };
            errs.push(
                &shown,
                line,
                "",
                format!(
                    "{msg} (the README's \"Configuration\" section lists the keys this file takes)"
                ),
            );
            None
        }
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Validation under way: the project's root, what the files read so far declared, and every
/// problem found. Each file kind's checks are methods on it (one module per kind), so they share
/// one context instead of long argument lists.
struct Validation {
    root: PathBuf,
    errs: ConfigErrors,
    territories: Territories,
    tables: BTreeMap<String, Table>,
    pipelines: Vec<Pipeline>,
    /// Sources wait here until every pipeline's tables are known.
    pending: Vec<PendingSource>,
    indicators: Vec<Indicator>,
    /// False when an indicators file did not parse: its ids are then unknown, not missing.
    all_indicators_read: bool,
    /// Ids of indicators declared but refused: a reference to one is not a problem of its own.
    refused_indicators: BTreeSet<String>,
    /// False when a pipeline did not parse: whether its sources declare a cadence (and so whether
    /// the delivery indicators exist) is unknown.
    all_pipelines_read: bool,
}

/// Loads and validates the project in `root`.
pub fn load_project(root: &Path) -> Result<Project, ConfigErrors> {
    let mut v = Validation {
        root: root.to_path_buf(),
        errs: ConfigErrors::default(),
        territories: Territories::default(),
        tables: BTreeMap::new(),
        pipelines: Vec::new(),
        pending: Vec::new(),
        indicators: Vec::new(),
        all_indicators_read: true,
        refused_indicators: BTreeSet::new(),
        all_pipelines_read: true,
    };
    let mut definition_files: Vec<PathBuf> = Vec::new();
    let settings = v.load_settings(&mut definition_files);
    v.load_pipelines(&mut definition_files);
    let sources = v.check_pending_sources();
    // Delivery indicators exist whenever a source declares its cadence.
    if sources.iter().any(|s| s.expected.is_some()) {
        v.indicators.push(Builtin::Completeness.indicator());
        v.indicators.push(Builtin::Timeliness.indicator());
    }
    v.load_indicators(&mut definition_files);
    let dashboards = v.load_dashboards();
    if !v.errs.is_empty() {
        v.errs
            .0
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(v.errs);
    }
    Ok(Project {
        root: v.root,
        settings,
        territories: v.territories,
        tables: v.tables,
        pipelines: v.pipelines,
        sources,
        indicators: v.indicators,
        dashboards,
        definition_files: definition_files
            .into_iter()
            .filter(|p| p.is_file())
            .collect(),
    })
}

impl Validation {
    /// `osservatorio.yaml` (its defaults when there is none) and the territories it names.
    fn load_settings(&mut self, definition_files: &mut Vec<PathBuf>) -> Settings {
        let settings_path = self.root.join("osservatorio.yaml");
        let settings_file = if settings_path.exists() {
            read_yaml::<ProjectFile>(
                &self.root,
                &settings_path,
                FileKind::Settings,
                &mut self.errs,
            )
        } else {
            None
        };
        let (settings, territories_path) = match settings_file {
            Some((file, ctx)) => self.check_settings(file, &ctx),
            None => self.check_settings(ProjectFile::default(), &no_ctx("osservatorio.yaml")),
        };
        if settings_path.exists() {
            definition_files.push(settings_path);
        }
        match &territories_path {
            settings::TerritorySource::File(p) => definition_files.push(p.clone()),
            settings::TerritorySource::Official { extra, .. } => {
                definition_files.extend(extra.iter().cloned())
            }
        }
        definition_files.extend(settings.publication.public_keys.iter().cloned());
        self.territories = self.load_territory_source(territories_path);
        settings
    }

    /// Every `pipelines/*.yaml`: their tables now, their sources once every table is known.
    fn load_pipelines(&mut self, definition_files: &mut Vec<PathBuf>) {
        for path in yaml_files(&self.root.join("pipelines")) {
            definition_files.push(path.clone());
            match read_yaml::<PipelineFile>(&self.root, &path, FileKind::Pipeline, &mut self.errs) {
                Some((file, ctx)) => self.check_pipeline(file, ctx),
                None => self.all_pipelines_read = false,
            }
        }
    }

    /// The sources of every pipeline, checked against all the tables; names unique.
    fn check_pending_sources(&mut self) -> Vec<Source> {
        let mut sources = Vec::new();
        let mut source_names = BTreeSet::new();
        for (raw, ctx, key, pipeline) in std::mem::take(&mut self.pending) {
            let Some(s) = self.check_source(raw, &ctx, &key, &pipeline) else {
                continue;
            };
            if let Some(why) = names::folder_name_problem("source", &s.name) {
                ctx.err(&mut self.errs, &format!("{key}.name"), why);
            }
            if !source_names.insert(s.name.clone()) {
                ctx.err(
                    &mut self.errs,
                    &format!("{key}.name"),
                    format!(
                        "source '{}' is declared twice; source names are unique in the project",
                        s.name
                    ),
                );
            }
            sources.push(s);
        }
        sources
    }

    /// Every `indicators/*.yaml`; ids unique, refused ones remembered.
    fn load_indicators(&mut self, definition_files: &mut Vec<PathBuf>) {
        for path in yaml_files(&self.root.join("indicators")) {
            definition_files.push(path.clone());
            let parsed = read_yaml::<IndicatorsFile>(
                &self.root,
                &path,
                FileKind::Indicators,
                &mut self.errs,
            );
            self.all_indicators_read &= parsed.is_some();
            let Some((file, ctx)) = parsed else {
                continue;
            };
            for (i, raw) in file.indicators.into_iter().enumerate() {
                let key = format!("indicators[{i}]");
                let id = raw.id.clone();
                let Some(ind) = self.check_indicator(raw, &ctx, &key) else {
                    self.refused_indicators.insert(id);
                    continue;
                };
                if self.indicators.iter().any(|x| x.id == ind.id) {
                    ctx.err(
                        &mut self.errs,
                        &format!("{key}.id"),
                        format!(
                            "indicator '{}' is declared twice; ids are unique in the project",
                            ind.id
                        ),
                    );
                }
                self.indicators.push(ind);
            }
        }
    }

    /// Every `dashboards/*.yaml`; ids unique.
    fn load_dashboards(&mut self) -> Vec<Dashboard> {
        let mut dashboards: Vec<Dashboard> = Vec::new();
        for path in yaml_files(&self.root.join("dashboards")) {
            if let Some((file, ctx)) =
                read_yaml::<DashboardFile>(&self.root, &path, FileKind::Dashboard, &mut self.errs)
                && let Some(d) = self.check_dashboard(file, &ctx)
            {
                if dashboards.iter().any(|x| x.id == d.id) {
                    ctx.err(
                        &mut self.errs,
                        "id",
                        format!("dashboard '{}' is declared twice; ids are unique", d.id),
                    );
                }
                dashboards.push(d);
            }
        }
        dashboards
    }
}
