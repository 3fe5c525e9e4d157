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
    /// A file an interrupted write left in a local warehouse that cannot be removed.
    #[error("warehouse file '{path}', left by an interrupted write, cannot be removed: {source}")]
    Leftover {
        path: String,
        #[source]
        source: std::io::Error,
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
        self.remove_interrupted_writes(rel)
    }

    /// Removes from the local folder `rel` the files writes killed halfway left there. A local
    /// store writes each object to `NAME#N` and renames it when done; it never lists such names,
    /// so without this a run killed mid-write would leave one behind for good.
    fn remove_interrupted_writes(&self, rel: &str) -> Result<(), WarehouseError> {
        let Some(folder) = self.local_folder(rel) else {
            return Ok(());
        };
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(WarehouseError::Leftover {
                    path: folder.display().to_string(),
                    source,
                });
            }
        };
        for entry in entries.flatten() {
            if !is_interrupted_write(&entry.file_name().to_string_lossy()) {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(WarehouseError::Leftover {
                        path: entry.path().display().to_string(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// The folder `rel` of a warehouse on the local disk; none for object storage.
    fn local_folder(&self, rel: &str) -> Option<std::path::PathBuf> {
        self.url.join(rel).ok()?.to_file_path().ok()
    }
}

/// Whether a file name is a local store's unfinished write: `NAME#DIGITS`.
fn is_interrupted_write(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
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

#[cfg(test)]
mod interrupted_writes {
    use super::*;

    #[test]
    fn only_a_name_ending_in_hash_and_digits_is_an_unfinished_write() {
        assert!(is_interrupted_write("part-1-ab.parquet#1"));
        assert!(is_interrupted_write("part-1-ab.parquet#42"));
        assert!(!is_interrupted_write("part-1-ab.parquet"));
        assert!(!is_interrupted_write("part-1-ab.parquet#"));
        assert!(!is_interrupted_write("part#1x.parquet"));
        // The local store reads the text after the first `#` (it lists `a#b#1`).
        assert!(!is_interrupted_write("a#b#1"));
    }

    #[tokio::test]
    async fn removing_what_no_manifest_names_also_removes_unfinished_writes() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let wh = Warehouse::open(&dir.path().display().to_string()).expect("warehouse");
        let folder = dir.path().join("spese/source=cartella");
        std::fs::create_dir_all(&folder).expect("folder");
        for name in [
            "kept.parquet",
            "old.parquet",
            "kept.parquet#3",
            "new.parquet#12",
        ] {
            std::fs::write(folder.join(name), b"x").expect("file");
        }
        let keep = ["spese/source=cartella/kept.parquet".to_string()].into();
        wh.remove_all_but("spese/source=cartella", &keep)
            .await
            .expect("removed");
        let mut left: Vec<String> = std::fs::read_dir(&folder)
            .expect("listing")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["kept.parquet"]);
    }
}
