//! Where each indicator's figures come from: the warehouse tables its SQL reads (from DataFusion's
//! plan, not from the text) and when those tables last received data. Reports print it under
//! every chart, so a reader can trace a figure to its sources.

use std::collections::BTreeMap;

use crate::config::Project;
use crate::warehouse::manifest::SourceManifest;

/// The tables each indicator reads, and each table's latest delivery.
#[derive(Debug, Default)]
pub struct Lineage {
    /// Indicator id → the tables it reads.
    pub tables: BTreeMap<String, Vec<String>>,
    /// Table → when its sources last delivered new data (RFC 3339).
    pub last_data: BTreeMap<String, String>,
}

impl Lineage {
    /// When the tables an indicator reads last received data: the latest of their deliveries.
    pub fn last_data_of(&self, indicator: &str) -> Option<&str> {
        self.tables
            .get(indicator)?
            .iter()
            .filter_map(|t| self.last_data.get(t))
            .max()
            .map(String::as_str)
    }
}

/// Plans every indicator's SQL on empty tables (no data is read) to learn what it reads; the
/// built-in delivery indicators read the tables of the sources with a cadence.
pub async fn lineage(project: &Project, manifests: &[Option<SourceManifest>]) -> Lineage {
    let mut out = Lineage::default();
    for (s, m) in project.sources.iter().zip(manifests) {
        if let Some(p) = m.as_ref().and_then(|m| m.published.as_ref()) {
            let latest = out.last_data.entry(s.table.clone()).or_default();
            if p.ingested_at > *latest {
                *latest = p.ingested_at.clone();
            }
        }
    }
    let delivered: Vec<String> = {
        let mut t: Vec<String> = project
            .sources
            .iter()
            .filter(|s| s.expected.is_some())
            .map(|s| s.table.clone())
            .collect();
        t.sort();
        t.dedup();
        t
    };
    let ctx = crate::warehouse::session::planning_session(project).ok();
    for ind in &project.indicators {
        let tables = if ind.builtin.is_some() {
            delivered.clone()
        } else if let Some(ctx) = &ctx {
            // An indicator whose SQL no longer plans has no lineage to show; compute reports why.
            super::check_indicator(ctx, ind)
                .await
                .map(|t| t.into_iter().collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        out.tables.insert(ind.id.clone(), tables);
    }
    out
}
