//! A dashboard page: its sections and charts, its notes, its data files, written into a staging folder.

use std::collections::BTreeMap;
use std::path::Path;

use super::files::publish_dir;
use super::page::{PageSection, data_downloads, definition_notes, downloads};
use super::page_chart::chart;
use super::{
    Ctx, DashboardOutcome, RenderError, Seen, changes, data, format, io, judged, labels, problems,
    quality, summary,
};
use crate::config::{Dashboard, Locale, Project};
use crate::publish::PublishedFigure;

/// Every (indicator, territory) a dashboard shows, in the order its charts show them, with the
/// periods the dashboard judges.
pub(super) fn dashboard_pairs<'a>(
    project: &Project,
    d: &Dashboard,
    judged: &'a judged::Judged,
) -> Vec<summary::Pair<'a>> {
    let mut out: Vec<summary::Pair> = Vec::new();
    for c in d.sections.iter().flat_map(|s| &s.charts) {
        for t in c.territories(&project.territories) {
            for id in c.indicators() {
                if !out.iter().any(|p| p.indicator == id && p.territory == t) {
                    out.push(summary::Pair {
                        indicator: id.to_string(),
                        territory: t.clone(),
                        judged,
                    });
                }
            }
        }
    }
    out
}

pub(super) fn period_range_label(ctx: &Ctx, d: &Dashboard) -> String {
    match d.period {
        Some((from, to)) => format!(
            "{} – {}",
            format::period(&from.to_string(), ctx.locale),
            format::period(&to.to_string(), ctx.locale)
        ),
        None => labels::labels(ctx.locale).all_periods.to_string(),
    }
}

/// Renders the selected dashboards (all when `only` is empty), each on its own: one that fails
/// leaves the others drawn. Returns their outcomes, and for each that failed why, in the page's
/// language, keyed by dashboard.
pub(super) fn render_dashboards(
    ctx: &Ctx,
    env: &minijinja::Environment,
    only: &[String],
    run_id: &str,
    generated: &str,
) -> (Vec<DashboardOutcome>, BTreeMap<String, String>) {
    let out = &ctx.project.settings.output;
    let mut outcomes = Vec::new();
    let mut failed = BTreeMap::new();
    for d in ctx
        .project
        .dashboards
        .iter()
        .filter(|d| only.is_empty() || only.contains(&d.id))
    {
        let outcome = match render_dashboard(ctx, env, d, run_id, generated) {
            Ok(charts) => DashboardOutcome {
                dashboard: d.id.clone(),
                path: out.join(&d.id).join("index.html").display().to_string(),
                charts,
                error: None,
            },
            Err(e) => {
                tracing::error!(dashboard = %d.id, "{e}");
                failed.insert(d.id.clone(), failure_text(d, &e, ctx.locale));
                DashboardOutcome {
                    dashboard: d.id.clone(),
                    path: String::new(),
                    charts: 0,
                    // The terminal and the run record are in English.
                    error: Some(failure_text(d, &e, Locale::En)),
                }
            }
        };
        outcomes.push(outcome);
    }
    (outcomes, failed)
}

/// Why dashboard `d` was not rendered, naming its file, in `locale`'s words.
fn failure_text(d: &Dashboard, e: &RenderError, locale: Locale) -> String {
    let file = d.file.display();
    match locale {
        Locale::En => format!("{file}: dashboard {}: {e}", d.id),
        Locale::It => format!("{file}: cruscotto {}: {}", d.id, e.text(locale)),
    }
}

/// Renders one dashboard into a fresh folder and swaps it into place, so a failed render leaves
/// the previous pages intact.
fn render_dashboard(
    ctx: &Ctx,
    env: &minijinja::Environment,
    d: &Dashboard,
    run_id: &str,
    generated: &str,
) -> Result<usize, RenderError> {
    let out = &ctx.project.settings.output;
    let staging = out.join(format!(".{}-{run_id}", d.id));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let result = fill_dashboard(ctx, env, d, run_id, generated, &staging);
    match result {
        Ok(n) => {
            publish_dir(&staging, &out.join(&d.id))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Draws dashboard `d`'s charts, data files and page into `dir`; returns how many charts.
pub(super) fn fill_dashboard(
    ctx: &Ctx,
    env: &minijinja::Environment,
    d: &Dashboard,
    run_id: &str,
    generated: &str,
    dir: &Path,
) -> Result<usize, RenderError> {
    let l = labels::labels(ctx.locale);
    // What this page reads, its charts' figures included: data.csv lists exactly these.
    let page_reads = Seen::new(ctx.figures);
    let ctx = &ctx.reading_into(&page_reads);
    let judged = judged::Judged::of(ctx, d);
    let (sections, n) = page_sections(ctx, d, &judged, dir)?;
    let glance = summary::glance(ctx, &dashboard_pairs(ctx.project, d, &judged));
    let page_sources = quality::sources_of(ctx, d);
    let quality = quality::office_rows(ctx, &page_sources);
    let run_problems = problems::of_dashboard(ctx, d, &page_sources);
    let unknown = quality::unknown_territories(ctx, d);
    let shown = page_reads.sorted();
    let meeting = changes::last_meeting(ctx.project);
    let since_meeting = meeting
        .as_ref()
        .map(|m| changes::sentences(ctx, d, &shown, m));
    data::write_figures(&shown, ctx.project, dir, "data")?;
    // The same figures for statistical portals (SDMX-CSV).
    crate::publish::opendata::write_sdmx(ctx.project, &shown, dir).map_err(|source| {
        RenderError::Sdmx {
            dir: dir.to_path_buf(),
            source: Box::new(source),
        }
    })?;
    let mut notes = vec![l.rollup_note.to_string()];
    notes.extend(disclosure_note(ctx, &shown));
    let page = minijinja::context! {
        lang => ctx.locale.code(),
        title => ctx.locale.pick(&d.title),
        project => ctx.project.settings.name,
        generated => generated,
        run_id => run_id,
        period_label => period_range_label(ctx, d),
        situation => judged.heading(ctx.locale),
        sections => sections,
        glance => glance,
        quality => quality,
        unknown => unknown,
        run_problems => run_problems,
        since_meeting => since_meeting,
        notes => notes,
        data_downloads => downloads("data", &["csv", "xlsx", "ods"]),
        labels => l,
    };
    let html = env
        .get_template("dashboard.html")
        .and_then(|t| t.render(page))
        .map_err(|source| RenderError::Template {
            name: "dashboard.html",
            source,
        })?;
    let page_path = dir.join("index.html");
    std::fs::write(&page_path, html).map_err(io(&page_path))?;
    Ok(n)
}

/// The page's sections with their charts drawn into `dir`, each with its figures as data files;
/// and how many charts.
fn page_sections(
    ctx: &Ctx,
    d: &Dashboard,
    judged: &judged::Judged,
    dir: &Path,
) -> Result<(Vec<PageSection>, usize), RenderError> {
    let mut sections = Vec::new();
    let mut n = 0;
    for s in &d.sections {
        let mut charts = Vec::new();
        for c in &s.charts {
            n += 1;
            let chart_reads = Seen::new(ctx.figures);
            let mut drawn = chart(&ctx.reading_into(&chart_reads), d, judged, c, n, dir)?;
            ctx.seen.include(&chart_reads);
            drawn.definitions = definition_notes(ctx, &c.indicators());
            // Every chart's figures as data, plain for machines and typed for spreadsheets.
            let name = format!("chart-{n:02}-data");
            data::write_figures(&chart_reads.in_order(), ctx.project, dir, &name)?;
            drawn.downloads.extend(data_downloads(&name, ctx.locale));
            charts.push(drawn);
        }
        sections.push(PageSection {
            title: ctx.locale.pick(&s.title),
            text: s.text.as_ref().map(|t| ctx.locale.pick(t)),
            charts,
        });
    }
    Ok((sections, n))
}

/// One line saying how many of the page's figures are hidden and why, when any protect people.
pub(super) fn disclosure_note(ctx: &Ctx, shown: &[&PublishedFigure]) -> Option<String> {
    use crate::publish::disclosure::Suppression;
    let min_cell = ctx.project.settings.min_cell;
    let protected: Vec<&&PublishedFigure> = shown
        .iter()
        .filter(|f| {
            ctx.indicator(&f.indicator)
                .is_some_and(|i| i.suppress_small_cells)
        })
        .collect();
    if min_cell == 0 || protected.is_empty() {
        return None;
    }
    let l = labels::labels(ctx.locale);
    let count = |s| {
        protected
            .iter()
            .filter(|f| f.suppression == Some(s))
            .count()
    };
    let (primary, secondary) = (count(Suppression::Primary), count(Suppression::Secondary));
    let note = if primary + secondary == 0 {
        l.nothing_suppressed_note.to_string()
    } else {
        l.suppressed_note
            .replace("{total}", &(primary + secondary).to_string())
            .replace("{count}", &shown.len().to_string())
            .replace("{primary}", &primary.to_string())
            .replace("{secondary}", &secondary.to_string())
            .replace("{n}", &(min_cell - 1).to_string())
    };
    Some(note.replace("{m}", &min_cell.to_string()))
}
