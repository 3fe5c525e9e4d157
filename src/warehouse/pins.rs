//! The data files each published bundle was computed from, recorded in the warehouse beside the
//! data (`_published/BUNDLE.json`): ingest's clean-up of superseded files keeps them while the
//! bundle exists.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Warehouse, WarehouseError};

/// Where the warehouse records, per bundle, the data files it was computed from.
pub const PINS: &str = "_published";

/// The data files one bundle was computed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pin {
    /// The bundle's name.
    pub bundle: String,
    /// Its data files, relative to the warehouse root.
    pub files: Vec<String>,
}

/// Every pin of the warehouse, by path.
pub async fn pins(wh: &Warehouse) -> Result<Vec<(object_store::path::Path, Pin)>, WarehouseError> {
    use futures::StreamExt;
    let prefix = wh.path(PINS);
    let mut locations = Vec::new();
    let mut list = wh.store.list(Some(&prefix));
    while let Some(item) = list.next().await {
        let meta = item.map_err(|source| WarehouseError::Store {
            path: prefix.to_string(),
            source,
        })?;
        locations.push(meta.location);
    }
    let mut out = Vec::new();
    for location in locations {
        if let Some(pin) = wh.get_json::<Pin>(&location).await? {
            out.push((location, pin));
        }
    }
    Ok(out)
}

/// The warehouse data files some published bundle was computed from.
pub async fn pinned_files(wh: &Warehouse) -> Result<BTreeSet<String>, WarehouseError> {
    Ok(pins(wh)
        .await?
        .into_iter()
        .flat_map(|(_, pin)| pin.files)
        .collect())
}
