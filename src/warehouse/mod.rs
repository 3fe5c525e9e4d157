//! The warehouse: where each source's rows live as Parquet, addressed through object_store so that
//! a folder today can be a bucket tomorrow, with the manifests that make every figure traceable.

pub mod manifest;
pub mod session;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::config::{ColumnType, Table};

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("warehouse location '{0}': {1}")]
    Location(String, String),
    #[error("warehouse object '{path}': {source}")]
    Store {
        path: String,
        source: object_store::Error,
    },
    #[error("warehouse object '{path}': {message}")]
    Data { path: String, message: String },
}

/// Where the warehouse is and the store that reaches it.
#[derive(Clone, Debug)]
pub struct Warehouse {
    pub store: Arc<dyn ObjectStore>,
    /// The URL of the warehouse root, ending in `/`, as DataFusion addresses it.
    pub url: Url,
    /// The root as an object path inside `store`.
    pub prefix: StorePath,
}

impl Warehouse {
    /// Opens the warehouse at a folder path or URL; a local folder is created if missing.
    pub fn open(location: &str) -> Result<Warehouse, WarehouseError> {
        let err = |m: String| WarehouseError::Location(location.to_string(), m);
        let path = if let Some(rest) = location.strip_prefix("file://") {
            std::path::PathBuf::from(rest)
        } else if location.contains("://") {
            return Err(err(
                "only local folders and file:// URLs are supported by this build".into(),
            ));
        } else {
            std::path::PathBuf::from(location)
        };
        std::fs::create_dir_all(&path)
            .map_err(|e| err(format!("cannot create the folder: {e}")))?;
        let abs = std::fs::canonicalize(&path).map_err(|e| err(e.to_string()))?;
        let url =
            Url::from_directory_path(&abs).map_err(|_| err("not an absolute folder".into()))?;
        let prefix = StorePath::from_filesystem_path(&abs).map_err(|e| err(e.to_string()))?;
        Ok(Warehouse {
            store: Arc::new(LocalFileSystem::new()),
            url,
            prefix,
        })
    }

    pub fn path(&self, rel: &str) -> StorePath {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    pub fn data_path(&self, table: &str, source: &str) -> StorePath {
        self.path(&format!("{table}/source={source}/data.parquet"))
    }

    pub fn rejected_path(&self, table: &str, source: &str) -> StorePath {
        self.path(&format!(
            "_rejected/{table}/source={source}/rejected.parquet"
        ))
    }

    pub fn staging_path(&self, name: &str) -> StorePath {
        self.path(&format!("_staging/{name}"))
    }

    pub fn manifest_path(&self, source: &str) -> StorePath {
        self.path(&format!("_manifests/{source}.json"))
    }

    pub fn run_path(&self, run_id: &str) -> StorePath {
        self.path(&format!("_runs/{run_id}.json"))
    }

    pub fn table_url(&self, table: &str) -> String {
        format!("{}{table}/", self.url)
    }

    pub async fn put_json<T: serde::Serialize>(
        &self,
        path: &StorePath,
        value: &T,
    ) -> Result<(), WarehouseError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| WarehouseError::Data {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        // A single put is atomic on every object store: readers see the old object or the new.
        self.store
            .put(path, bytes.into())
            .await
            .map(|_| ())
            .map_err(|source| WarehouseError::Store {
                path: path.to_string(),
                source,
            })
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &StorePath,
    ) -> Result<Option<T>, WarehouseError> {
        match self.store.get(path).await {
            Ok(r) => {
                let bytes = r.bytes().await.map_err(|source| WarehouseError::Store {
                    path: path.to_string(),
                    source,
                })?;
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| WarehouseError::Data {
                        path: path.to_string(),
                        message: e.to_string(),
                    })
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(WarehouseError::Store {
                path: path.to_string(),
                source,
            }),
        }
    }

    /// Whether any object is stored under `rel`.
    pub async fn has_objects(&self, rel: &str) -> bool {
        use futures::StreamExt;
        let prefix = self.path(rel);
        let mut list = self.store.list(Some(&prefix));
        while let Some(item) = list.next().await {
            if item.is_ok_and(|m| m.location.as_ref().ends_with(".parquet")) {
                return true;
            }
        }
        false
    }
}

pub fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::String => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// The stored schema of a canonical table: its columns, then the lineage columns every row carries.
pub fn table_schema(table: &Table) -> SchemaRef {
    let mut fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| Field::new(&c.name, arrow_type(c.ty), true))
        .collect();
    fields.push(Field::new("_source", DataType::Utf8, false));
    fields.push(Field::new("_territory", DataType::Utf8, true));
    fields.push(Field::new("_line", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}
