//! What a rerun needs to pass over a delivery that has not changed without a request of its own:
//! the source's data files listed once, and its deliveries found by key without a scan. A folder
//! of a thousand monthly files is then one listing of the warehouse, not a thousand lookups.

use std::collections::HashSet;

use futures::StreamExt;
use object_store::path::Path as StorePath;

use crate::warehouse::Warehouse;
use crate::warehouse::manifest::SourceManifest;

/// The files in a source's partition of the warehouse when its ingest began.
pub(super) struct PresentFiles {
    /// None when the listing failed: each file is then looked up on its own.
    listed: Option<HashSet<StorePath>>,
}

impl PresentFiles {
    /// Lists the partition `rel` (relative to the warehouse root) once.
    pub(super) async fn list(wh: &Warehouse, rel: &str) -> PresentFiles {
        let mut listed = HashSet::new();
        let mut list = wh.store.list(Some(&wh.path(rel)));
        while let Some(item) = list.next().await {
            match item {
                Ok(meta) => {
                    listed.insert(meta.location);
                }
                Err(e) => {
                    tracing::debug!("listing {rel} failed, files are looked up one by one: {e}");
                    return PresentFiles { listed: None };
                }
            }
        }
        PresentFiles {
            listed: Some(listed),
        }
    }

    /// Whether the warehouse file `rel` is there: from the listing when it names the file, else
    /// (a file outside the partition, or written since) asked of the store.
    pub(super) async fn has(&self, wh: &Warehouse, rel: &str) -> bool {
        let path = wh.path(rel);
        if self.listed.as_ref().is_some_and(|l| l.contains(&path)) {
            return true;
        }
        object_store::ObjectStoreExt::head(wh.store.as_ref(), &path)
            .await
            .is_ok()
    }
}

/// Puts the deliveries in key order, as ingest always writes them (a manifest edited by hand may
/// not have them so): `find` and `SourceManifest::delivery` rely on it.
pub(super) fn sort_by_key(manifest: &mut SourceManifest) {
    if !manifest.deliveries.is_sorted_by(|a, b| a.key <= b.key) {
        manifest.deliveries.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

/// The position of the delivery named `key` (Err: where it would go), in key order.
pub(super) fn find(manifest: &SourceManifest, key: &str) -> Result<usize, usize> {
    manifest
        .deliveries
        .binary_search_by(|d| d.key.as_str().cmp(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::manifest::Delivery;

    fn delivery(key: &str) -> Delivery {
        Delivery {
            key: key.into(),
            url: key.into(),
            published: None,
            periods: Vec::new(),
            covers: Vec::new(),
            modified: None,
            arrived_at: String::new(),
            rejected_file: None,
            findings_file: None,
            failure: None,
            removed_at: None,
        }
    }

    #[test]
    fn deliveries_of_an_unsorted_manifest_are_found_once_sorted() {
        let mut m = SourceManifest {
            source: "s".into(),
            table: "t".into(),
            pipeline: "p".into(),
            published: None,
            deliveries: ["b/2.csv", "a.csv", "b/10.csv", "c.csv"]
                .into_iter()
                .map(delivery)
                .collect(),
            last_attempt: None,
            periods_seen: Default::default(),
        };
        sort_by_key(&mut m);
        for key in ["a.csv", "b/10.csv", "b/2.csv", "c.csv"] {
            assert_eq!(m.delivery(key).map(|d| d.key.as_str()), Some(key));
        }
        assert_eq!(find(&m, "b/3.csv"), Err(3));
        assert!(m.delivery("d.csv").is_none());
    }
}
