//! Brings an export to a local file and fingerprints it, reading it through object_store: a local
//! path, `file://`, `http(s)://` (with headers from the environment) or `s3://` (with the standard
//! AWS variables). Remote reads time out and are retried with exponential backoff on 5xx, timeouts
//! and refused connections, never on 4xx.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpService, ReqwestConnector,
};
use object_store::http::HttpBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{BackoffConfig, ObjectStore, ObjectStoreExt, RetryConfig};
use sha2::{Digest, Sha256};

use super::{FetchFault, IngestError};
use crate::config::Source;
use crate::warehouse::problem_read::FetchCause;

/// An export ready to be read from the local disk.
pub struct Fetched {
    pub path: PathBuf,
    pub bytes: u64,
    /// The ETag a remote server gave, to tell an unchanged export without downloading it next time.
    pub etag: Option<String>,
    /// HTTP requests made for it (more than one when a transient error was retried).
    pub attempts: usize,
    /// Holds a downloaded copy alive until the export has been read.
    _spool: Option<tempfile::TempPath>,
}

/// An export's SHA-256: computed while it was downloaded, or being computed from a local file on
/// a thread of its own while the file is parsed.
pub enum Checksum {
    /// Already known.
    Known(String),
    /// Being computed.
    Pending(tokio::task::JoinHandle<Result<String, IngestError>>),
}

impl Checksum {
    /// The checksum, once known.
    pub fn known(&self) -> Option<&str> {
        match self {
            Checksum::Known(s) => Some(s),
            Checksum::Pending(_) => None,
        }
    }

    /// Waits for the checksum.
    pub async fn resolve(self) -> Result<String, IngestError> {
        match self {
            Checksum::Known(s) => Ok(s),
            Checksum::Pending(job) => job.await.map_err(|source| IngestError::Task {
                what: "the checksum".into(),
                source,
            })?,
        }
    }
}

pub(super) fn fetch_err(url: &str, fault: impl Into<FetchFault>) -> IngestError {
    IngestError::Fetch {
        url: url.to_string(),
        fault: Box::new(fault.into()),
    }
}

/// How a source's remote export is read.
#[derive(Clone)]
pub struct RemoteOptions {
    /// Header names and values, credentials read from the environment just now.
    headers: Vec<(String, String)>,
    timeout: Duration,
    retries: usize,
}

impl RemoteOptions {
    /// The source's remote settings; an `env:` variable that is not set fails the source, named.
    pub fn of(source: &Source) -> Result<RemoteOptions, IngestError> {
        let mut headers = Vec::new();
        for h in &source.headers {
            let value = h
                .resolve()
                .map_err(|crate::config::UnsetVariable { variable }| {
                    let header = h.name.clone();
                    fetch_err(&source.url, FetchFault::UnsetVariable { variable, header })
                })?;
            headers.push((h.name.clone(), value));
        }
        Ok(RemoteOptions {
            headers,
            timeout: source.timeout,
            retries: source.retries,
        })
    }

    fn retry(&self) -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(30),
                base: 2.0,
            },
            max_retries: self.retries,
            retry_timeout: Duration::from_secs(5 * 60),
        }
    }
}

/// What a remote store's requests met: how many were made, so a run can say that a source was
/// retried, and the last status a server refused one with, so a failure can name it.
#[derive(Debug, Clone, Default)]
pub(super) struct Traffic {
    pub(super) requests: Arc<AtomicUsize>,
    refused: Arc<AtomicU16>,
}

impl Traffic {
    /// Notes a reply's status when it is a refusal (4xx or 5xx).
    pub(super) fn answered(&self, status: http::StatusCode) {
        if status.is_client_error() || status.is_server_error() {
            self.refused.store(status.as_u16(), Ordering::Relaxed);
        }
    }

    fn refused(&self) -> Option<u16> {
        Some(self.refused.load(Ordering::Relaxed)).filter(|s| *s != 0)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Counts the requests object_store makes to S3 and notes its refusals.
#[derive(Debug, Clone, Default)]
struct CountingConnector {
    traffic: Traffic,
}

#[derive(Debug)]
struct CountingService {
    inner: HttpClient,
    traffic: Traffic,
}

#[async_trait::async_trait]
impl HttpService for CountingService {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        let response = self.inner.execute(req).await?;
        self.traffic.answered(response.status());
        Ok(response)
    }
}

impl HttpConnector for CountingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(CountingService {
            inner,
            traffic: self.traffic.clone(),
        }))
    }
}

/// Where an export is: its store, its path there, and what a remote store's requests met.
type Located = (Arc<dyn ObjectStore>, StorePath, Option<Traffic>);

/// The store and object path that hold `url`, and the request counter of a remote store.
fn locate(url: &str, remote: &RemoteOptions) -> Result<Located, IngestError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        let parsed = url::Url::parse(url).map_err(|e| fetch_err(url, e))?;
        let base = format!("{}://{}/", parsed.scheme(), authority(&parsed));
        let path = StorePath::from_url_path(parsed.path()).map_err(|e| fetch_err(url, e))?;
        let mut headers = http::HeaderMap::new();
        for (name, value) in &remote.headers {
            let name =
                http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| fetch_err(url, e))?;
            let value = http::HeaderValue::from_str(value).map_err(|e| fetch_err(url, e))?;
            headers.insert(name, value);
        }
        let options = ClientOptions::new()
            .with_timeout(remote.timeout)
            .with_connect_timeout(remote.timeout.min(Duration::from_secs(30)))
            .with_allow_http(true);
        // The headers go with each request to the source's own origin, never along a redirect
        // to another one.
        let connector = super::portal::PortalConnector {
            traffic: Traffic::default(),
            headers,
            timeout: remote.timeout,
        };
        let traffic = connector.traffic.clone();
        let store = HttpBuilder::new()
            .with_url(base)
            .with_client_options(options)
            .with_retry(remote.retry())
            .with_http_connector(connector)
            .build()
            .map_err(|e| fetch_err(url, e))?;
        return Ok((Arc::new(store), path, Some(traffic)));
    }
    let local = match crate::warehouse::store::parse_location(url) {
        Some(crate::warehouse::store::Location::Local(path)) => path,
        None => {
            return Err(fetch_err(url, FetchFault::NotAPlace));
        }
        Some(crate::warehouse::store::Location::S3 { bucket, key }) => {
            let counter = CountingConnector::default();
            let traffic = counter.traffic.clone();
            let store = crate::warehouse::store::s3_builder(bucket, remote.timeout)
                .with_retry(remote.retry())
                .with_http_connector(counter)
                .build()
                .map_err(|e| fetch_err(url, e))?;
            let path = StorePath::parse(key).map_err(|e| fetch_err(url, e))?;
            return Ok((Arc::new(store), path, Some(traffic)));
        }
    };
    let abs = std::path::absolute(&local).map_err(|e| fetch_err(url, e))?;
    let path = StorePath::from_absolute_path(&abs).map_err(|e| fetch_err(url, e))?;
    Ok((Arc::new(LocalFileSystem::new()), path, None))
}

/// The store and prefix a listing reads: a local folder, `file://` folder or `s3://bucket/prefix/`.
pub(super) fn listing_store(
    base: &str,
    remote: &RemoteOptions,
) -> Result<(Arc<dyn ObjectStore>, StorePath), IngestError> {
    let (store, path, _) = locate(base, remote)?;
    Ok((store, path))
}

fn authority(u: &url::Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// Explains an object_store error the way an office's IT person needs it: a remote store's
/// failure as a kind of its own (a status, a timeout, a reply too large) when it has one.
fn explain(
    url: &str,
    e: object_store::Error,
    traffic: Option<&Traffic>,
    timeout: Duration,
) -> IngestError {
    match traffic.and_then(|t| remote_cause(&e, t, timeout)) {
        Some(cause) => IngestError::Unfetched {
            url: url.to_string(),
            cause,
            source: Some(Box::new(e)),
        },
        None => explain_local(url, e),
    }
}

/// Why a remote store's request failed, when the failure has a kind.
fn remote_cause(
    e: &object_store::Error,
    traffic: &Traffic,
    timeout: Duration,
) -> Option<FetchCause> {
    let status = match e {
        object_store::Error::NotFound { .. } => Some(404),
        object_store::Error::Unauthenticated { .. } => Some(401),
        object_store::Error::PermissionDenied { .. } => Some(403),
        _ => None,
    };
    if let Some(status) = status {
        return Some(FetchCause::Status { status });
    }
    if timed_out(e) {
        return Some(FetchCause::Timeout {
            seconds: timeout.as_secs(),
        });
    }
    if let Some(limit) = super::portal::too_large(e) {
        return Some(FetchCause::TooLarge { limit });
    }
    traffic
        .refused()
        .filter(|_| traffic.requests() > 0)
        .map(|status| FetchCause::Status { status })
}

/// Whether `e`, or an error under it, is a request that timed out.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<HttpError>()
            .is_some_and(|h| h.kind() == HttpErrorKind::Timeout)
            || e.downcast_ref::<reqwest::Error>()
                .is_some_and(reqwest::Error::is_timeout)
    })
}

/// A folder or bucket that could not be listed.
pub(super) fn listing_failed(base: &str, e: object_store::Error) -> IngestError {
    IngestError::Unfetched {
        url: base.to_string(),
        cause: FetchCause::Listing {
            detail: crate::text::excerpt(&e.to_string()).into_owned(),
        },
        source: Some(Box::new(e)),
    }
}

/// A local file's failure, or a remote one without a kind, in words.
fn explain_local(url: &str, e: object_store::Error) -> IngestError {
    match e {
        object_store::Error::NotFound { .. } => IngestError::Unfetched {
            url: url.to_string(),
            cause: FetchCause::NoSuchFile,
            source: Some(Box::new(e)),
        },
        other => fetch_err(url, other),
    }
}

/// The ETag of a remote export, without downloading it; None for local files or when the server
/// gives none.
pub async fn remote_etag(url: &str, remote: &RemoteOptions) -> Option<String> {
    let (store, path, _) = locate(url, remote).ok()?;
    store.head(&path).await.ok()?.e_tag
}

/// Brings the export at `url` within reach. A local file is read where it is; its checksum is
/// computed before this returns when its size is `same_size_as` (likely the same content touched
/// again, which is then not parsed at all), else on a thread of its own while the caller parses.
pub async fn fetch(
    url: &str,
    remote: &RemoteOptions,
    on_bytes: &(dyn Fn(u64) + Sync),
    same_size_as: Option<u64>,
) -> Result<(Fetched, Checksum), IngestError> {
    let (store, path, traffic) = locate(url, remote)?;
    let explained = |e| explain(url, e, traffic.as_ref(), remote.timeout);
    let got = store.get(&path).await.map_err(explained)?;
    match got.payload {
        object_store::GetResultPayload::File(file, local) => {
            local_export(url, file, local, &got.meta, same_size_as).await
        }
        object_store::GetResultPayload::Stream(stream) => {
            let (mut fetched, sha256) = spooled(url, stream, on_bytes, &explained).await?;
            fetched.etag = got.meta.e_tag.clone();
            fetched.attempts = traffic.as_ref().map_or(1, |t| t.requests().max(1));
            Ok((fetched, Checksum::Known(sha256)))
        }
    }
}

/// A local file, read where it is, and its checksum: computed now when its size is
/// `same_size_as`, else on a thread of its own while the caller parses.
async fn local_export(
    url: &str,
    file: std::fs::File,
    local: PathBuf,
    meta: &object_store::ObjectMeta,
    same_size_as: Option<u64>,
) -> Result<(Fetched, Checksum), IngestError> {
    // A file modified in the last seconds may be rewritten again within the same tick of a
    // coarse file-system clock (network shares): its tag is not trusted, the next run hashes.
    let settled = chrono::Utc::now() - meta.last_modified > chrono::Duration::seconds(3);
    let bytes = meta.size;
    let job = {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || {
            let (sha256, read) = hash(file).map_err(|e| fetch_err(&url, e))?;
            if read != bytes {
                let changed = FetchFault::Changed {
                    before: bytes,
                    after: read,
                };
                return Err(fetch_err(&url, changed));
            }
            Ok(sha256)
        })
    };
    let checksum = if same_size_as == Some(bytes) {
        Checksum::Known(job.await.map_err(|source| IngestError::Task {
            what: "the checksum".into(),
            source,
        })??)
    } else {
        Checksum::Pending(job)
    };
    let fetched = Fetched {
        path: local,
        bytes,
        // A local file's tag is its inode, modification time (µs) and size, as web
        // servers tag files: while it stands, the file has not been rewritten.
        etag: meta.e_tag.clone().filter(|_| settled),
        attempts: 1,
        _spool: None,
    };
    Ok((fetched, checksum))
}

/// A remote export spooled to disk while it is hashed (memory stays flat whatever its size),
/// and its checksum; its tag and attempts are the caller's to fill in.
async fn spooled(
    url: &str,
    mut stream: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    on_bytes: &(dyn Fn(u64) + Sync),
    explained: &dyn Fn(object_store::Error) -> IngestError,
) -> Result<(Fetched, String), IngestError> {
    use futures::StreamExt;
    use std::io::Write;
    let spool = tempfile::NamedTempFile::new().map_err(|e| fetch_err(url, e))?;
    let (file, temp) = spool.into_parts();
    let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(explained)?;
        hasher.update(&chunk);
        bytes += chunk.len() as u64;
        on_bytes(bytes);
        file.write_all(&chunk).map_err(|e| fetch_err(url, e))?;
    }
    file.flush().map_err(|e| fetch_err(url, e))?;
    let fetched = Fetched {
        path: temp.to_path_buf(),
        bytes,
        etag: None,
        attempts: 1,
        _spool: Some(temp),
    };
    Ok((fetched, hex::encode(hasher.finalize())))
}

fn hash(mut file: std::fs::File) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}
