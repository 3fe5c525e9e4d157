//! The data-quality section of a dashboard: per office, the deliveries missing or late against the
//! declared cadence, the rows breaking check rules and the outliers, for the sources that feed the
//! page's indicators.

use serde::Serialize;

use super::{Ctx, labels, source_state};
use crate::config::{Builtin, Dashboard, Source};
use crate::indicators::deliveries;

/// One source's line of the section.
#[derive(Serialize, Debug)]
pub struct OfficeRow {
    office: String,
    source: String,
    state: String,
    class: String,
    missing: String,
    late: String,
    rules: usize,
    outliers: usize,
    rejected: u64,
    /// The outcome files of its deliveries that have something to hand back.
    outcomes: Vec<Link>,
}

/// A link to a file beside the pages.
#[derive(Serialize, Debug)]
pub struct Link {
    href: String,
    label: String,
}

/// Outcome files linked per source; past this the section says how many more there are.
const MAX_OUTCOME_LINKS: usize = 12;

/// The outcome files of a source's deliveries with rejected rows or a failure, for its sender.
fn outcome_links(
    ctx: &Ctx,
    s: &Source,
    m: Option<&crate::warehouse::manifest::SourceManifest>,
) -> (u64, Vec<Link>) {
    let Some(m) = m else {
        return (0, Vec::new());
    };
    let mut rejected = 0;
    let mut links = Vec::new();
    let wanted = m.deliveries.iter().filter(|d| {
        d.failure.is_some() || d.published.as_ref().is_some_and(|p| p.rejected_rows > 0)
    });
    for d in wanted {
        rejected += d.published.as_ref().map_or(0, |p| p.rejected_rows);
        let stem = crate::warehouse::manifest::outcome_stem(&d.key);
        let file = ctx
            .project
            .settings
            .output
            .join("deliveries")
            .join(&s.name)
            .join(format!("{stem}.xlsx"));
        if links.len() < MAX_OUTCOME_LINKS && file.exists() {
            links.push(Link {
                href: format!("../deliveries/{}/{stem}.xlsx", s.name),
                label: d.key.clone(),
            });
        }
    }
    (rejected, links)
}

/// Sentences naming, for each indicator on the page, the territories of its figures that are
/// not in the territories: the figures above them miss their rows.
pub fn unknown_territories(ctx: &Ctx, d: &Dashboard) -> Vec<String> {
    let mut ids: Vec<&str> = d
        .sections
        .iter()
        .flat_map(|s| &s.charts)
        .flat_map(|c| c.indicators())
        .collect();
    ids.dedup();
    let mut seen = std::collections::BTreeSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(*id))
        .filter_map(|id| {
            let codes = ctx.unknown.get(id)?;
            let title = ctx
                .project
                .indicator(id)
                .map_or_else(|| id.to_string(), |i| ctx.locale.pick(&i.title));
            Some(match ctx.locale {
                crate::config::Locale::It => format!(
                    "{title}: righe di territori che non sono nell'elenco dei territori ({}). Non sono sommate nei totali: le cifre dei territori sopra di loro (provincia, regione) non le contano.",
                    codes.join(", ")
                ),
                crate::config::Locale::En => format!(
                    "{title}: rows of territories not in the territory list ({}). They are not rolled up: the figures of the territories above them (province, region) miss them.",
                    codes.join(", ")
                ),
            })
        })
        .collect()
}

/// The sources that feed the dashboard: their table is read by one of its indicators and their
/// office lies within a territory it shows. In project order.
pub fn sources_of<'a>(ctx: &Ctx<'a>, d: &Dashboard) -> Vec<&'a Source> {
    let all = &ctx.project.territories;
    let mut tables = std::collections::BTreeSet::new();
    let mut shown = std::collections::BTreeSet::new();
    for c in d.sections.iter().flat_map(|s| &s.charts) {
        for id in c.indicators() {
            if let Some(t) = ctx.lineage.tables.get(id) {
                tables.extend(t.iter().cloned());
            }
        }
        shown.extend(c.territories(all));
    }
    let within = |t: &str| shown.contains(t) || all.ancestors(t).iter().any(|a| shown.contains(a));
    ctx.project
        .sources
        .iter()
        .filter(|s| tables.contains(&s.table))
        .filter(|s| s.territory.as_deref().is_none_or(within))
        .collect()
}

/// Periods that were due and are missing, and deliveries that came late, for one source; None
/// when the source declares no cadence (nothing is expected of it).
fn delivery_counts(
    all: &[deliveries::Deliveries],
    s: &Source,
    today: chrono::NaiveDate,
) -> Option<(usize, usize)> {
    let d = all.iter().find(|d| d.source == s.name)?;
    let count_zero = |which| {
        deliveries::base_rows(which, std::slice::from_ref(d), today)
            .iter()
            .filter(|(_, _, pair)| pair.num == Some(0.0))
            .count()
    };
    Some((
        count_zero(Builtin::Completeness),
        count_zero(Builtin::Timeliness),
    ))
}

/// One line per source, offices (the source's territory) in project order.
pub fn office_rows(ctx: &Ctx, sources: &[&Source]) -> Vec<OfficeRow> {
    let l = labels::labels(ctx.locale);
    let now = crate::clock::now();
    let all = deliveries::of_sources(ctx.project, ctx.manifests);
    sources
        .iter()
        .map(|s| {
            let i = ctx.project.sources.iter().position(|x| x.name == s.name);
            let m = i
                .and_then(|i| ctx.manifests.get(i))
                .and_then(Option::as_ref);
            let (state, class) = source_state(&l, s, m, now);
            let counts = delivery_counts(&all, s, now.date_naive());
            let (rejected, outcomes) = outcome_links(ctx, s, m);
            let count = |kind: &str| {
                ctx.findings
                    .iter()
                    .filter(|f| f.source == s.name && f.kind == kind)
                    .count()
            };
            OfficeRow {
                office: s
                    .territory
                    .as_deref()
                    .map(|t| ctx.project.territories.name_of(t))
                    .unwrap_or_else(|| "—".into()),
                source: s.name.clone(),
                state: state.into(),
                class: class.into(),
                missing: counts
                    .map(|c| c.0.to_string())
                    .unwrap_or_else(|| "—".into()),
                late: counts
                    .map(|c| c.1.to_string())
                    .unwrap_or_else(|| "—".into()),
                rules: count("rule"),
                outliers: count("outlier"),
                rejected,
                outcomes,
            }
        })
        .collect()
}
