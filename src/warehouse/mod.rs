//! The warehouse: where each source's rows live as Parquet, addressed through object_store so that
//! a folder today can be a bucket tomorrow, with the manifests that make every figure traceable.

pub mod cluster;
pub mod findings;
pub mod functions;
pub mod integrity;
pub mod manifest;
pub mod pins;
pub mod pre_aggregate;
pub mod problem;
mod problem_en;
pub mod problem_fault;
pub mod problem_fetch;
mod problem_it;
pub mod problem_read;
pub mod session;
pub mod store;

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
    /// A JSON object of the warehouse (manifest, findings, lock, run record) that does not read
    /// or cannot be written.
    #[error("warehouse object '{path}': {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// DataFusion could not register or read a table of the warehouse.
    #[error("warehouse object '{table}': {source}")]
    Query {
        table: String,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// Two or more processes kept taking and releasing the run lock while this one tried.
    #[error("warehouse object '{path}': the run lock changed hands three times while being taken")]
    LockContended { path: String },
    #[cfg(not(feature = "ballista"))]
    #[error("engine ballista://{target}: this build has no Ballista support")]
    NoBallista { target: String },
    #[error(
        "engine {engine} in osservatorio.yaml: no Ballista scheduler answers there ({source}); start it, or write `engine: local` to compute on this machine"
    )]
    SchedulerUnreachable {
        engine: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Cluster(#[from] Box<cluster::ClusterError>),
    #[error(
        "{what} {path} of source {source_name} is damaged ({source}): run `osservatorio doctor --fix`"
    )]
    Damaged {
        what: &'static str,
        path: String,
        source_name: String,
        #[source]
        source: serde_json::Error,
    },
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
    /// Opens the warehouse at a folder path, `file://` or `s3://bucket/prefix` URL; a local folder
    /// is created if missing. S3 uses the standard AWS variables of the environment.
    pub fn open(location: &str) -> Result<Warehouse, WarehouseError> {
        let err = |m: String| WarehouseError::Location(location.to_string(), m);
        let path = match store::parse_location(location) {
            Some(store::Location::Local(path)) => path,
            None => {
                return Err(err(
                    "use a local folder, file:// or s3://bucket/prefix/".into()
                ));
            }
            Some(store::Location::S3 {
                bucket,
                key: prefix,
            }) => {
                if bucket.is_empty() {
                    return Err(err("write the warehouse as s3://bucket/prefix/".into()));
                }
                let store = store::s3_store(bucket).map_err(|e| err(e.to_string()))?;
                let prefix = prefix.trim_matches('/');
                let url = Url::parse(&if prefix.is_empty() {
                    format!("s3://{bucket}/")
                } else {
                    format!("s3://{bucket}/{prefix}/")
                })
                .map_err(|e| err(e.to_string()))?;
                let prefix = StorePath::parse(prefix).map_err(|e| err(e.to_string()))?;
                return Ok(Warehouse {
                    store: Arc::new(store),
                    url,
                    prefix,
                });
            }
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

    /// The folder of a source's data files.
    pub fn partition(&self, table: &str, source: &str) -> String {
        format!("{table}/source={source}")
    }

    /// A new data file of a source, under a key no other run uses: written whole before the
    /// manifest points to it, so a reader never meets it half-written.
    pub fn new_data_file(&self, table: &str, source: &str, run_id: &str) -> String {
        format!("{}/part-{run_id}.parquet", self.partition(table, source))
    }

    /// A warehouse file (relative path) as a person finds it: a local path, or the object's URL.
    pub fn shown(&self, rel: &str) -> String {
        let url = self.file_url(rel);
        match url::Url::parse(&url).ok().filter(|u| u.scheme() == "file") {
            Some(u) => u
                .to_file_path()
                .map(|p| p.display().to_string())
                .unwrap_or(url),
            None => url,
        }
    }

    /// The URL of a warehouse file (relative path) as DataFusion addresses it.
    pub fn file_url(&self, rel: &str) -> String {
        format!("{}{rel}", self.url)
    }

    pub fn rejected_path(&self, table: &str, source: &str) -> StorePath {
        self.path(&format!(
            "_rejected/{table}/source={source}/rejected.parquet"
        ))
    }

    pub fn manifest_path(&self, source: &str) -> StorePath {
        self.path(&format!("_manifests/{source}.json"))
    }

    /// The project's run lock: who is running now.
    pub fn lock_path(&self) -> StorePath {
        self.path("_lock.json")
    }

    /// The data-quality findings of a source's published data.
    pub fn findings_path(&self, source: &str) -> StorePath {
        self.path(&format!("_findings/{source}.json"))
    }

    pub fn run_path(&self, run_id: &str) -> StorePath {
        self.path(&format!("_runs/{run_id}.json"))
    }

    pub async fn put_json<T: serde::Serialize>(
        &self,
        path: &StorePath,
        value: &T,
    ) -> Result<(), WarehouseError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|source| WarehouseError::Json {
            path: path.to_string(),
            source,
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
                    .map_err(|source| WarehouseError::Json {
                        path: path.to_string(),
                        source,
                    })
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(WarehouseError::Store {
                path: path.to_string(),
                source,
            }),
        }
    }

    /// Removes every object under `rel` except those in `keep` (relative paths): superseded
    /// files and those a killed run left behind, which no manifest names.
    pub async fn remove_all_but(
        &self,
        rel: &str,
        keep: &std::collections::BTreeSet<String>,
    ) -> Result<(), WarehouseError> {
        use futures::StreamExt;
        let keep: std::collections::BTreeSet<StorePath> =
            keep.iter().map(|k| self.path(k)).collect();
        let prefix = self.path(rel);
        let mut stale = Vec::new();
        let mut list = self.store.list(Some(&prefix));
        while let Some(item) = list.next().await {
            let meta = item.map_err(|source| WarehouseError::Store {
                path: prefix.to_string(),
                source,
            })?;
            if !keep.contains(&meta.location) {
                stale.push(meta.location);
            }
        }
        for location in stale {
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => {
                    return Err(WarehouseError::Store {
                        path: location.to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}

/// A stored record that cannot be read: its object and why. Skipped by readers, reported, and
/// moved aside to `_quarantine/` by `doctor --fix`.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not readable ({}): skipped; `osservatorio doctor --fix` moves it aside to _quarantine/",
            self.path, self.message
        )
    }
}

/// The schema of rejected rows, as `query` reads them from the table `_rejected`.
pub fn rejected_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("table", DataType::Utf8, false),
        Field::new("delivery", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
    ]))
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
