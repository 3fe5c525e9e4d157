//! A run's problems on the pages, in the project's locale: the deliveries that failed, the
//! indicators that could not be computed and the ceased territory codes counted under their
//! successor. Each is kept as a kind and its values; a page writes it in its own words.

use serde::Serialize;

use super::{Ctx, labels};
use crate::config::{Dashboard, Locale, Source};
use crate::warehouse::manifest::{Attempt, SourceManifest};

/// One problem as a page shows it: its heading and its sentence.
#[derive(Serialize, Debug)]
pub struct Shown {
    heading: &'static str,
    text: String,
}

/// An attempt's failure in `locale`: from its kind and values when the manifest keeps them,
/// else its text as recorded.
pub fn attempt_text(a: &Attempt, locale: Locale) -> Option<String> {
    match (&a.problem, locale) {
        (Some(p), Locale::It) => Some(p.text(locale)),
        _ => a.error.clone(),
    }
}

/// The ceased-code notes a page shows per source before counting the rest.
const MAX_NOTES_SHOWN: usize = 10;

fn manifest_of<'a>(ctx: &Ctx<'a>, s: &Source) -> Option<&'a SourceManifest> {
    let i = ctx.project.sources.iter().position(|x| x.name == s.name)?;
    ctx.manifests.get(i)?.as_ref()
}

/// The problems of the page's sources and indicators: failed deliveries, indicators that
/// failed, ceased codes counted under their successor.
pub fn of_dashboard(ctx: &Ctx, d: &Dashboard, sources: &[&Source]) -> Vec<Shown> {
    let mut out = Vec::new();
    for s in sources {
        if let Some(m) = manifest_of(ctx, s) {
            out.extend(of_source(ctx, s, m));
        }
    }
    out.extend(of_indicators(ctx, d));
    out
}

/// A source's last failed or held-back attempt and the ceased-code notes of its deliveries.
fn of_source(ctx: &Ctx, s: &Source, m: &SourceManifest) -> Vec<Shown> {
    let l = labels::labels(ctx.locale);
    let mut out = Vec::new();
    if let Some(text) = m
        .last_attempt
        .as_ref()
        .and_then(|a| attempt_text(a, ctx.locale))
    {
        let held_back = m
            .last_attempt
            .as_ref()
            .is_some_and(|a| a.status == "held_back");
        // A held-back delivery was read: it is kept from the data, not unread.
        let heading = match (held_back, ctx.locale) {
            (false, _) => l.failed_source,
            (true, Locale::It) => "Consegna trattenuta.",
            (true, Locale::En) => "Delivery held back.",
        };
        out.push(Shown {
            heading,
            text: format!("{}: {text}", s.name),
        });
    }
    // One line per delivery and code: a folder of monthly files would fill the page, so the
    // first few are shown and the rest counted, with where to find them all.
    let notes: Vec<String> = m
        .deliveries
        .iter()
        .filter_map(|d| d.published.as_ref())
        .flat_map(|p| &p.notes)
        .map(|n| n.text(ctx.locale))
        .collect();
    for text in notes.iter().take(MAX_NOTES_SHOWN) {
        out.push(Shown {
            heading: l.ceased_codes,
            text: text.clone(),
        });
    }
    if notes.len() > MAX_NOTES_SHOWN {
        let more = notes.len() - MAX_NOTES_SHOWN;
        let text = match ctx.locale {
            Locale::It => format!(
                "e altre {more} note di {}: le elenca `osservatorio deliveries --source {}`",
                s.name, s.name
            ),
            Locale::En => format!(
                "and {more} more notes of {}: `osservatorio deliveries --source {}` lists them",
                s.name, s.name
            ),
        };
        out.push(Shown {
            heading: l.ceased_codes,
            text,
        });
    }
    out
}

/// The failures and notes of the indicators the page's charts show, each once.
fn of_indicators(ctx: &Ctx, d: &Dashboard) -> Vec<Shown> {
    let l = labels::labels(ctx.locale);
    let mut out = Vec::new();
    let failed = crate::indicators::failure::read(&ctx.project.settings.output);
    let noted = crate::indicators::failure::read_notes(&ctx.project.settings.output);
    let mut ids: Vec<&str> = d
        .sections
        .iter()
        .flat_map(|s| &s.charts)
        .flat_map(|c| c.indicators())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    ids.retain(|id| seen.insert(*id));
    for id in ids {
        if let Some(p) = failed.get(id) {
            out.push(Shown {
                heading: l.failed_indicator,
                text: p.text(ctx.locale),
            });
        }
        for n in noted.get(id).into_iter().flatten() {
            out.push(Shown {
                heading: l.ceased_codes,
                text: n.text(ctx.locale),
            });
        }
    }
    out
}

/// Every indicator that failed, for the index page.
pub fn failed_indicators(ctx: &Ctx) -> Vec<Shown> {
    let l = labels::labels(ctx.locale);
    crate::indicators::failure::read(&ctx.project.settings.output)
        .values()
        .map(|p| Shown {
            heading: l.failed_indicator,
            text: p.text(ctx.locale),
        })
        .collect()
}
