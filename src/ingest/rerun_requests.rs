//! What an unchanged rerun over a folder of deliveries asks of the warehouse: the requests are
//! counted by a store wrapped around the local one (on S3 each is a round trip, and locally each
//! is a file written or looked up).

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

use super::{IngestOptions, SourceStatus, ingest};
use crate::warehouse::Warehouse;

/// A store that notes each request it passes on: its kind and object.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn ObjectStore>,
    requests: Mutex<Vec<(&'static str, String)>>,
}

impl Counting {
    fn note(&self, kind: &'static str, location: &StorePath) {
        if let Ok(mut r) = self.requests.lock() {
            r.push((kind, location.to_string()));
        }
    }

    fn take(&self) -> Vec<(&'static str, String)> {
        self.requests
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

impl fmt::Display for Counting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "counting({})", self.inner)
    }
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.note("put", location);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.note("put", location);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &StorePath, options: GetOptions) -> Result<GetResult> {
        self.note(if options.head { "head" } else { "get" }, location);
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &StorePath,
        ranges: &[Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        self.note("get", location);
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<StorePath>>,
    ) -> BoxStream<'static, Result<StorePath>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&StorePath>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.note("list", prefix.unwrap_or(&StorePath::default()));
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&StorePath>,
        offset: &StorePath,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.note("list", prefix.unwrap_or(&StorePath::default()));
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&StorePath>) -> Result<ListResult> {
        self.note("list", prefix.unwrap_or(&StorePath::default()));
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> Result<()> {
        self.note("put", to);
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: RenameOptions,
    ) -> Result<()> {
        self.note("put", to);
        self.inner.rename_opts(from, to, options).await
    }
}

/// A project whose source reads a folder of `files` monthly exports, each modified an hour ago
/// (so their listing's tags are trusted, as they are for files that have settled).
fn folder_project(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a folder");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(&path, text).expect("written");
    };
    write(
        "territories.csv",
        "code,name,level,parent\nVEN,Veneto,regione,\nPD,Padova,provincia,VEN\n",
    );
    write(
        "pipelines/registro.yaml",
        "name: registro\ntables:\n  presenze:\n    columns: { data: date, ospite: string }\n    required: [data, ospite]\nsources:\n  - name: presenze\n    table: presenze\n    territory: PD\n    url: \"data/*.csv\"\n    format: csv\n    options: { delimiter: \";\" }\n    columns: { data: Data, ospite: Ospite }\n",
    );
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for k in 0..files {
        let rel = format!("data/ufficio{k:03}.csv");
        write(
            &rel,
            &format!(
                "Data;Ospite\n2026-01-0{};G{k}\n2026-01-02;H{k}\n",
                k % 9 + 1
            ),
        );
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(&rel))
            .and_then(|f| f.set_modified(hour_ago))
            .expect("an older modification time");
    }
    dir
}

/// An unchanged rerun over 40 deliveries (two commit groups) reads and writes the source's
/// manifest once each, and finds the published data files with one listing, not one lookup each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_rerun_writes_the_manifest_once_and_looks_up_no_file_one_by_one() {
    let dir = folder_project(40);
    let project = crate::config::load_project(dir.path()).expect("a valid project");
    let local = Warehouse::open(&project.settings.warehouse).expect("a warehouse");
    let counting = Arc::new(Counting {
        inner: local.store.clone(),
        requests: Mutex::new(Vec::new()),
    });
    let wh = Warehouse {
        store: counting.clone(),
        ..local
    };
    let first = ingest(&project, &wh, "run1", &[], &IngestOptions::default()).await;
    assert_eq!(
        first[0].status,
        SourceStatus::Ingested,
        "{:?}",
        first[0].error
    );
    assert_eq!(first[0].rows, 80);
    counting.take();

    let again = ingest(&project, &wh, "run2", &[], &IngestOptions::default()).await;
    assert_eq!(
        again[0].status,
        SourceStatus::Unchanged,
        "{:?}",
        again[0].error
    );
    assert_eq!(again[0].rows, 80);
    let requests = counting.take();
    let manifest = wh.manifest_path("presenze").to_string();
    let of = |kind: &str, path: &str| {
        requests
            .iter()
            .filter(|(k, p)| *k == kind && p == path)
            .count()
    };
    assert_eq!(of("put", &manifest), 1, "{requests:#?}");
    assert_eq!(of("get", &manifest), 1, "{requests:#?}");
    let heads: Vec<_> = requests.iter().filter(|(k, _)| *k == "head").collect();
    assert!(
        heads.is_empty(),
        "data files looked up one by one: {heads:#?}"
    );
    let puts: Vec<_> = requests.iter().filter(|(k, _)| *k == "put").collect();
    assert_eq!(
        puts.len(),
        1,
        "nothing but the manifest is written: {puts:#?}"
    );
}
