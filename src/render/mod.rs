//! Render: static, self-contained dashboards from the computed indicator table and the warehouse
//! manifests only, so it can run on its own after `compute`.

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
pub use figures::Figures;
pub use files::remove_leftovers;

use crate::config::Project;
use crate::indicators::lineage::Lineage;
use crate::indicators::output;
use crate::warehouse::Warehouse;
use context::load_manifests;
use dashboard::render_dashboard;
use error::io;
use index::render_index;
use index::source_state;
use page::{PageChart, downloads, environment, kind_label};
use page_chart::{axis, chart_title, unknown};

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
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    remove_leftovers(project);
    let rows = output::read(out)?;
    let unknown = crate::indicators::unknown_territories(project, &rows);
    let figures = Figures::new(crate::publish::published_figures(project, rows));
    let manifests = load_manifests(project, wh).await;
    let drawn_from = inputs::fingerprint(project, &manifests);
    // Forgotten while the pages are redrawn: a render that stops halfway is never taken as done.
    inputs::record(project, None).map_err(RenderError::Io)?;
    let lineage = crate::indicators::lineage::lineage(project, &manifests).await;
    // The data-quality findings of every source, for the office and the report.
    let found = crate::warehouse::findings::read_all(project, wh, None)
        .await
        .map_err(|e| RenderError::Io(e.to_string()))?;
    let ctx = Ctx {
        project,
        figures: &figures,
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
    let mut outcomes = Vec::new();
    for d in project
        .dashboards
        .iter()
        .filter(|d| only.is_empty() || only.contains(&d.id))
    {
        let outcome = match render_dashboard(&ctx, &env, d, run_id, &generated) {
            Ok(charts) => DashboardOutcome {
                dashboard: d.id.clone(),
                path: out.join(&d.id).join("index.html").display().to_string(),
                charts,
                error: None,
            },
            Err(e) => {
                tracing::error!(dashboard = %d.id, "{e}");
                DashboardOutcome {
                    dashboard: d.id.clone(),
                    path: String::new(),
                    charts: 0,
                    error: Some(format!("{}: dashboard {}: {e}", d.file.display(), d.id)),
                }
            }
        };
        outcomes.push(outcome);
    }
    render_index(&ctx, &env, &outcomes, run_id, &generated)?;
    let csv = crate::warehouse::findings::to_csv(&found).map_err(|e| io(out, e))?;
    output::write_atomic(&out.join("findings.csv"), &csv)?;
    let record = crate::publish::bundle::RenderRecord {
        run_id: run_id.to_string(),
        rendered_at: chrono::Utc::now().to_rfc3339(),
        dashboards: project
            .dashboards
            .iter()
            .filter(|d| out.join(&d.id).join("index.html").exists())
            .map(|d| d.id.clone())
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| io(out, e))?;
    output::write_atomic(&out.join(crate::publish::bundle::RENDER_RECORD), &json)?;
    let full = only.is_empty() && outcomes.iter().all(|o| o.error.is_none());
    inputs::record(project, full.then_some(drawn_from.as_str())).map_err(RenderError::Io)?;
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
    let ctx = Ctx {
        project,
        figures: &figures,
        locale: project.settings.locale,
        lineage: &lineage,
        manifests: &manifests,
        findings: &[],
        unknown: &Default::default(),
    };
    let generated = format::datetime(&record.rendered_at, project.settings.timezone, ctx.locale);
    render_index(&ctx, &environment()?, &[], &record.run_id, &generated)
}
