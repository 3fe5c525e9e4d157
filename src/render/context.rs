//! The page context: the project, its figures, lineage, manifests and findings, and how a value is shown.

use super::{Figures, Seen, format};
use crate::config::{Indicator, Locale, Project};
use crate::indicators::lineage::Lineage;
use crate::indicators::targets::Status;
use crate::publish::{CONFIDENTIAL, PublishedFigure};
use crate::warehouse::Warehouse;
use crate::warehouse::findings::Finding;
use crate::warehouse::manifest::SourceManifest;

#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub project: &'a Project,
    pub figures: &'a Figures,
    /// Where what the page or chart being drawn reads is remembered, for its data files.
    pub seen: &'a Seen<'a>,
    pub locale: Locale,
    /// What each indicator reads and when that last changed, for the notes under charts.
    pub lineage: &'a Lineage,
    /// Each source's manifest, in project order.
    pub manifests: &'a [Option<SourceManifest>],
    /// Every data-quality finding of the warehouse.
    pub findings: &'a [Finding],
    /// Per indicator, its figures' territories that are not in the territories.
    pub unknown: &'a std::collections::BTreeMap<String, Vec<String>>,
}

impl<'a> Ctx<'a> {
    /// This context reading through `seen`: what is drawn with it is remembered there.
    pub(super) fn reading_into<'b>(&self, seen: &'b Seen<'b>) -> Ctx<'b>
    where
        'a: 'b,
    {
        Ctx { seen, ..*self }
    }

    pub(super) fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.project.indicator(id)
    }

    pub(super) fn title(&self, ind: &Indicator) -> String {
        self.locale.pick(&ind.title)
    }

    pub(super) fn description(&self, ind: &Indicator) -> Option<String> {
        ind.description.as_ref().map(|t| self.locale.pick(t))
    }

    /// A value as published, without the provisional mark: for tiles, whose badge says it.
    pub fn shown_unmarked(&self, ind: &Indicator, row: Option<&PublishedFigure>) -> String {
        let Some(row) = row else { return "—".into() };
        if row.suppressed() {
            return CONFIDENTIAL.into();
        }
        row.value
            .map(|v| format::value(v, ind.unit, self.locale))
            .unwrap_or_else(|| "—".into())
    }

    /// A value as published: `c` when suppressed, formatted in the locale otherwise, and
    /// "(provvisorio)" beside it while its follow-up window is open.
    pub fn shown(&self, ind: &Indicator, row: Option<&PublishedFigure>) -> String {
        let value = self.shown_unmarked(ind, row);
        let Some(row) = row else { return value };
        // An outcome still within its follow-up window says so beside its value.
        if row.provisional && row.value.is_some() && !row.suppressed() {
            format!(
                "{value} ({})",
                format::status(Status::Provisional, self.locale)
            )
        } else {
            value
        }
    }

    /// A value for a chart: None when missing or suppressed.
    pub(super) fn plotted(&self, row: Option<&PublishedFigure>) -> Option<f64> {
        row?.value
    }
}

pub(super) async fn load_manifests(
    project: &Project,
    wh: &Warehouse,
) -> Vec<Option<SourceManifest>> {
    let mut out = Vec::new();
    for s in &project.sources {
        out.push(
            wh.get_json::<SourceManifest>(&wh.manifest_path(&s.name))
                .await
                .ok()
                .flatten(),
        );
    }
    out
}
