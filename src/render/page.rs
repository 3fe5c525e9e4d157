//! What a page is made of as the templates see it (sections, charts, notes, download links), and the templates.

use serde::Serialize;

use super::{Ctx, RenderError, format, labels, summary, tables};
use crate::config::{Kind, Locale};

#[derive(Serialize)]
pub(super) struct Download {
    href: String,
    label: String,
}

/// Links to a chart's files, one per extension.
/// Links to a chart's data files, labelled as data.
pub(super) fn data_downloads(name: &str, locale: Locale) -> Vec<Download> {
    let word = labels::labels(locale).data;
    ["csv", "xlsx", "ods"]
        .iter()
        .map(|e| Download {
            href: format!("{name}.{e}"),
            label: format!("{word} {}", e.to_uppercase()),
        })
        .collect()
}

pub(super) fn downloads(name: &str, extensions: &[&str]) -> Vec<Download> {
    extensions
        .iter()
        .map(|e| Download {
            href: format!("{name}.{e}"),
            label: e.to_uppercase(),
        })
        .collect()
}

#[derive(Serialize, Default)]
pub(super) struct PageChart {
    pub(super) title: String,
    pub(super) image: Option<String>,
    pub(super) table: Option<tables::TableView>,
    pub(super) tiles: Vec<summary::Tile>,
    pub(super) caption: Option<String>,
    pub(super) definitions: Vec<DefinitionNote>,
    pub(super) downloads: Vec<Download>,
}

/// What a chart's indicator measures and where its figures come from.
#[derive(Serialize)]
pub(super) struct DefinitionNote {
    title: String,
    kind: String,
    description: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    tables: String,
    definition: String,
    last_data: String,
}

pub(super) fn kind_label(kind: Kind, locale: Locale) -> &'static str {
    let l = labels::labels(locale);
    match kind {
        Kind::Output => l.kind_output,
        Kind::Process => l.kind_process,
        Kind::Outcome => l.kind_outcome,
    }
}

pub(super) fn definition_notes(ctx: &Ctx, ids: &[&str]) -> Vec<DefinitionNote> {
    ids.iter()
        .filter_map(|id| ctx.indicator(id))
        .map(|ind| DefinitionNote {
            title: ctx.title(ind),
            kind: kind_label(ind.kind, ctx.locale).to_string(),
            description: ctx.description(ind),
            numerator: ind.numerator.as_ref().map(|t| ctx.locale.pick(t)),
            denominator: ind.denominator.as_ref().map(|t| ctx.locale.pick(t)),
            tables: ctx
                .lineage
                .tables
                .get(&ind.id)
                .map(|t| t.join(", "))
                .unwrap_or_default(),
            definition: crate::indicators::definition_hash(ind)
                .chars()
                .take(12)
                .collect(),
            last_data: ctx
                .lineage
                .last_data_of(&ind.id)
                .map(|t| format::datetime(t, ctx.project.settings.timezone, ctx.locale))
                .unwrap_or_else(|| "—".into()),
        })
        .collect()
}

#[derive(Serialize)]
pub(super) struct PageSection {
    pub(super) title: String,
    pub(super) text: Option<String>,
    pub(super) charts: Vec<PageChart>,
}

pub(super) fn environment() -> Result<minijinja::Environment<'static>, RenderError> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, src) in [
        ("base.html", include_str!("templates/base.html")),
        ("dashboard.html", include_str!("templates/dashboard.html")),
        ("glance.html", include_str!("templates/glance.html")),
        ("index.html", include_str!("templates/index.html")),
    ] {
        env.add_template(name, src)
            .map_err(|source| RenderError::Template { name, source })?;
    }
    Ok(env)
}
