//! Render: static, self-contained dashboards from the computed indicator table and the warehouse
//! manifests only, so it can run on its own after `compute`.
//!
//! Where things happen: the index page in `index.rs`; a dashboard page in `dashboard.rs`, each of
//! its charts in `page_chart.rs` (drawn by `charts/` and `map/`, tables in `tables.rs`); what the
//! pages are made from in `context.rs` (`Ctx`), `figures.rs` and `page.rs` (with the templates);
//! the writing of the output folder in `files.rs`; why a render stops, in the page's words, in
//! `error.rs`.

pub mod annex;
mod changes;
pub mod charts;
mod context;
mod dashboard;
mod data;
mod error;
mod figures;
mod files;
pub mod format;
mod index;
mod inputs;
mod judged;
pub mod labels;
mod map;
mod page;
mod page_chart;
pub mod pdf;
mod png;
mod problems;
mod quality;
mod summary;
mod tables;

use serde::Serialize;

pub use context::Ctx;
pub use error::RenderError;
pub use figures::{Figures, Seen};
pub use files::remove_leftovers;

use crate::config::Project;
use crate::indicators::lineage::Lineage;
use crate::indicators::output;
use crate::warehouse::Warehouse;
use context::load_manifests;
use dashboard::render_dashboards;
use error::io;
use index::render_index;
use index::source_state;
use page::{PageChart, downloads, environment, kind_label};
use page_chart::{axis, chart_title, unknown};

/// What became of one dashboard: its page and chart count, or why it was not drawn (in English,
/// for the terminal and the run record).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DashboardOutcome {
    pub dashboard: String,
    pub path: String,
    pub charts: usize,
    pub error: Option<String>,
}

/// Renders the selected dashboards (all when `only` is empty) and the index page.
pub async fn render(
    project: &Project,
    wh: &Warehouse,
    run_id: &str,
    only: &[String],
) -> Result<Vec<DashboardOutcome>, RenderError> {
    let out = &project.settings.output;
    std::fs::create_dir_all(out).map_err(io(out))?;
    remove_leftovers(project);
    let rows = output::read(out)?;
    let unknown = crate::indicators::unknown_territories(project, &rows);
    let figures = Figures::new(crate::publish::published_figures(project, rows));
    let manifests = load_manifests(project, wh).await;
    let drawn_from = inputs::fingerprint(project, &manifests);
    // Forgotten while the pages are redrawn: a render that stops halfway is never taken as done.
    inputs::record(project, None)?;
    let lineage = crate::indicators::lineage::lineage(project, &manifests).await;
    // The data-quality findings of every source, for the office and the report.
    let found = crate::warehouse::findings::read_all(project, wh, None).await?;
    // Each dashboard and chart reads through a `Seen` of its own; what the index reads is not kept.
    let index_reads = Seen::new(&figures);
    let ctx = Ctx {
        project,
        figures: &figures,
        seen: &index_reads,
        locale: project.settings.locale,
        lineage: &lineage,
        manifests: &manifests,
        findings: &found,
        unknown: &unknown,
    };
    let env = environment()?;
    let generated = format::datetime(
        &chrono::Utc::now().to_rfc3339(),
        project.settings.timezone,
        ctx.locale,
    );
    let (outcomes, failed) = render_dashboards(&ctx, &env, only, run_id, &generated);
    render_index(&ctx, &env, &failed, run_id, &generated)?;
    files::write_run_files(project, run_id, &found, &failed)?;
    let full = only.is_empty() && outcomes.iter().all(|o| o.error.is_none());
    inputs::record(project, full.then_some(drawn_from.as_str()))?;
    Ok(outcomes)
}

/// Whether nothing the report is drawn from changed since it was last rendered in full, and the
/// report is still all there: then rendering it again would draw the same pages.
pub async fn unchanged_since_last_render(project: &Project, wh: &Warehouse) -> bool {
    let manifests = load_manifests(project, wh).await;
    inputs::unchanged(project, &inputs::fingerprint(project, &manifests))
}

/// Rewrites the index page alone (after a sign-off, so it lists the new bundle), keeping the run
/// the rendered reports come from.
pub async fn refresh_index(project: &Project, wh: &Warehouse) -> Result<(), RenderError> {
    let out = &project.settings.output;
    let Some(record) = crate::publish::bundle::render_record(out) else {
        return Ok(());
    };
    let figures = Figures::new(crate::publish::published_figures(
        project,
        output::read(out)?,
    ));
    let manifests = load_manifests(project, wh).await;
    let lineage = Lineage::default();
    let index_reads = Seen::new(&figures);
    let ctx = Ctx {
        project,
        figures: &figures,
        seen: &index_reads,
        locale: project.settings.locale,
        lineage: &lineage,
        manifests: &manifests,
        findings: &[],
        unknown: &Default::default(),
    };
    let generated = format::datetime(&record.rendered_at, project.settings.timezone, ctx.locale);
    render_index(
        &ctx,
        &environment()?,
        &record.failed,
        &record.run_id,
        &generated,
    )
}
