//! The index page: the dashboards, the signed-off bundles, the sources and their freshness, at a glance.

use std::collections::BTreeMap;

use serde::Serialize;

use super::dashboard::dashboard_pairs;
use super::{Ctx, RenderError, format, judged, labels, problems, summary};
use crate::indicators::output;
use crate::warehouse::manifest::SourceManifest;

#[derive(Serialize)]
pub(super) struct SourceView {
    name: String,
    table: String,
    territory: String,
    last_data: String,
    rows: String,
    rejected: String,
    state: String,
    class: String,
    checksum: String,
}

#[derive(Serialize)]
pub(super) struct Problem {
    source: String,
    state: String,
    class: String,
    detail: String,
}

#[derive(Serialize)]
pub(super) struct BundleView {
    name: String,
    href: String,
    by: String,
    at: String,
    note: String,
}

#[derive(Serialize)]
pub(super) struct DashboardLink {
    id: String,
    title: String,
    ok: bool,
    error: String,
}

/// Whether a source has had no new content for longer than its cadence and grace allow.
pub(super) fn late_since(
    source: &crate::config::Source,
    m: &SourceManifest,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let cadence = source.expected?;
    let last = m.published.as_ref()?.ingested_at.clone();
    let t = chrono::DateTime::parse_from_rfc3339(&last).ok()?;
    let due = t + chrono::Duration::days(cadence.days() + source.grace_days);
    (now > due).then_some(last)
}

/// A source's state as the reports show it: its word and its CSS class.
pub(super) fn source_state(
    l: &labels::Labels,
    s: &crate::config::Source,
    m: Option<&SourceManifest>,
    now: chrono::DateTime<chrono::Utc>,
) -> (&'static str, &'static str) {
    let published = m.and_then(|m| m.published.as_ref());
    let attempt = m.and_then(|m| m.last_attempt.as_ref());
    let late = m.and_then(|m| late_since(s, m, now));
    match (attempt.map(|a| a.status.as_str()), published, &late) {
        (Some("failed"), _, _) => (l.failed, "failed"),
        (Some("held_back"), _, _) => (l.held_back, "failed"),
        (_, None, _) => (l.never, "never"),
        (_, _, Some(_)) => (l.late, "late"),
        _ => (l.ok, "ok"),
    }
}

/// Writes the index page into the output folder; `failed` says, per dashboard that failed, why.
pub(super) fn render_index(
    ctx: &Ctx,
    env: &minijinja::Environment,
    failed: &BTreeMap<String, String>,
    run_id: &str,
    generated: &str,
) -> Result<(), RenderError> {
    let l = labels::labels(ctx.locale);
    let now = crate::clock::now();
    let sources = ctx.project.sources.iter().zip(ctx.manifests);
    let problems: Vec<Problem> = sources
        .clone()
        .filter_map(|(s, m)| source_problem(ctx, s, m.as_ref(), now))
        .collect();
    let sources: Vec<SourceView> = sources
        .map(|(s, m)| source_view(ctx, s, m.as_ref(), now))
        .collect();
    let glance = summary::glance(ctx, &index_pairs(ctx, &judged_of_dashboards(ctx)));
    let page = minijinja::context! {
        lang => ctx.locale.code(),
        title => ctx.project.settings.name,
        glance => glance,
        bundles => bundle_views(ctx),
        generated => generated,
        run_id => run_id,
        dashboards => dashboard_links(ctx, failed),
        sources => sources,
        problems => problems,
        failed_indicators => problems::failed_indicators(ctx),
        notes => vec![l.rollup_note.to_string()],
        labels => l,
    };
    let html = env
        .get_template("index.html")
        .and_then(|t| t.render(page))
        .map_err(|source| RenderError::Template {
            name: "index.html",
            source,
        })?;
    output::write_atomic(
        &ctx.project.settings.output.join("index.html"),
        html.as_bytes(),
    )?;
    Ok(())
}

/// What the index says of a source needing attention: a failed or held-back delivery, no new
/// content for longer than its cadence allows, or nothing received yet. None when it is up to date.
fn source_problem(
    ctx: &Ctx,
    s: &crate::config::Source,
    m: Option<&SourceManifest>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Problem> {
    let l = labels::labels(ctx.locale);
    let (locale, tz) = (ctx.locale, ctx.project.settings.timezone);
    let published = m.and_then(|m| m.published.as_ref());
    let attempt = m.and_then(|m| m.last_attempt.as_ref());
    if let Some(e) = attempt.and_then(|a| problems::attempt_text(a, locale)) {
        let detail = match published {
            Some(p) => format!(
                "{e} ({} {})",
                l.last_data.to_lowercase(),
                format::datetime(&p.ingested_at, tz, locale)
            ),
            None => e,
        };
        let held = attempt.is_some_and(|a| a.status == "held_back");
        return Some(Problem {
            source: s.name.clone(),
            state: if held { l.held_back } else { l.failed }.into(),
            class: "failed".into(),
            detail,
        });
    }
    if let Some(since) = m.and_then(|m| late_since(s, m, now)) {
        return Some(Problem {
            source: s.name.clone(),
            state: l.late.into(),
            class: "late".into(),
            detail: format!("{} {}", l.late_detail, format::datetime(&since, tz, locale)),
        });
    }
    published.is_none().then(|| Problem {
        source: s.name.clone(),
        state: l.never.into(),
        class: "never".into(),
        detail: l.no_data_yet.into(),
    })
}

/// A source's row in the freshness table.
fn source_view(
    ctx: &Ctx,
    s: &crate::config::Source,
    m: Option<&SourceManifest>,
    now: chrono::DateTime<chrono::Utc>,
) -> SourceView {
    let l = labels::labels(ctx.locale);
    let (locale, tz) = (ctx.locale, ctx.project.settings.timezone);
    let published = m.and_then(|m| m.published.as_ref());
    let (state, class) = source_state(&l, s, m, now);
    SourceView {
        name: s.name.clone(),
        table: s.table.clone(),
        territory: s
            .territory
            .as_deref()
            .map(|t| ctx.project.territories.name_of(t))
            .unwrap_or_default(),
        last_data: published
            .map(|p| format::datetime(&p.ingested_at, tz, locale))
            .unwrap_or_else(|| "—".into()),
        rows: published
            .map(|p| format::number(p.rows as f64, 0, locale))
            .unwrap_or_default(),
        rejected: published
            .map(|p| format::number(p.rejected_rows as f64, 0, locale))
            .unwrap_or_default(),
        state: state.into(),
        class: class.into(),
        checksum: published
            .map(|p| p.sha256.chars().take(12).collect())
            .unwrap_or_default(),
    }
}

/// Each dashboard's link, or why it has none.
fn dashboard_links(ctx: &Ctx, failed: &BTreeMap<String, String>) -> Vec<DashboardLink> {
    let l = labels::labels(ctx.locale);
    let out = &ctx.project.settings.output;
    ctx.project
        .dashboards
        .iter()
        .map(|d| {
            let err = failed.get(&d.id).cloned();
            let exists = out.join(&d.id).join("index.html").exists();
            DashboardLink {
                id: d.id.clone(),
                title: ctx.locale.pick(&d.title),
                ok: exists && err.is_none(),
                error: err.unwrap_or_else(|| l.never.into()),
            }
        })
        .collect()
}

/// The signed-off bundles, as the index lists them.
fn bundle_views(ctx: &Ctx) -> Vec<BundleView> {
    let (locale, tz) = (ctx.locale, ctx.project.settings.timezone);
    crate::publish::bundle::list(ctx.project)
        .into_iter()
        .map(|(name, m)| BundleView {
            href: format!("published/{name}/index.html"),
            name,
            by: m.signed_off_by,
            at: format::datetime(&m.signed_off_at, tz, locale),
            note: m.note.unwrap_or_default(),
        })
        .collect()
}

/// The periods each dashboard judges, in project order.
fn judged_of_dashboards(ctx: &Ctx) -> Vec<judged::Judged> {
    ctx.project
        .dashboards
        .iter()
        .map(|d| judged::Judged::of(ctx, d))
        .collect()
}

/// Every (indicator, territory) of every dashboard once, each judged at the period of the first
/// dashboard that shows it.
fn index_pairs<'a>(ctx: &Ctx, judged: &'a [judged::Judged]) -> Vec<summary::Pair<'a>> {
    let mut pairs: Vec<summary::Pair> = Vec::new();
    for (d, judged) in ctx.project.dashboards.iter().zip(judged) {
        for pair in dashboard_pairs(ctx.project, d, judged) {
            if !pairs
                .iter()
                .any(|p| p.indicator == pair.indicator && p.territory == pair.territory)
            {
                pairs.push(pair);
            }
        }
    }
    pairs
}
