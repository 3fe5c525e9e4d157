//! The HTTP client of `http(s)://` sources. It follows a portal's redirects itself, so that the
//! headers a source configures (credentials read from the environment) go only to the origin the
//! source names: a redirect to another scheme, host or port is followed without them. A reply
//! without a Content-Length (chunked) is spooled to disk, so object_store can read it like any.

use std::sync::atomic::Ordering;
use std::time::Duration;

use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};

/// Redirects followed before a request gives up, as browsers and reqwest do.
const MAX_REDIRECTS: usize = 10;

/// Connects `http(s)://` sources: counts requests and owns the source's headers.
#[derive(Debug, Clone)]
pub(super) struct PortalConnector {
    /// Requests made, retries included, and the last status refused.
    pub traffic: super::fetch::Traffic,
    /// The source's configured headers, sent to its own origin only.
    pub headers: http::HeaderMap,
    /// The source's timeout for one request.
    pub timeout: Duration,
}

#[derive(Debug)]
struct PortalService {
    inner: HttpClient,
    traffic: super::fetch::Traffic,
    headers: http::HeaderMap,
}

impl HttpConnector for PortalConnector {
    fn connect(&self, _: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "HTTP",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(PortalService {
            inner: HttpClient::new(client),
            traffic: self.traffic.clone(),
            headers: self.headers.clone(),
        }))
    }
}

/// A request error that says what happened, for object_store to report.
#[derive(Debug, thiserror::Error)]
enum PortalError {
    #[error("{0}")]
    Said(String),
    #[error(
        "the reply has no Content-Length and goes on past {limit} bytes; ask the portal for the export as a file"
    )]
    TooLarge { limit: u64 },
}

fn portal_err(kind: HttpErrorKind, message: String) -> HttpError {
    HttpError::new(kind, PortalError::Said(message))
}

/// The limit a reply went past, when `e` (or an error under it) says one did.
pub(super) fn too_large(e: &(dyn std::error::Error + 'static)) -> Option<u64> {
    std::iter::successors(Some(e), |e| e.source()).find_map(|e| match e.downcast_ref() {
        Some(PortalError::TooLarge { limit }) => Some(*limit),
        _ => None,
    })
}

/// Scheme, host and port: what a credential is scoped to.
fn origin(u: &url::Url) -> (String, Option<String>, Option<u16>) {
    (
        u.scheme().to_string(),
        u.host_str().map(str::to_string),
        u.port_or_known_default(),
    )
}

fn parse(uri: &http::Uri) -> Result<url::Url, HttpError> {
    url::Url::parse(&uri.to_string())
        .map_err(|e| portal_err(HttpErrorKind::Unknown, format!("{uri}: {e}")))
}

#[async_trait::async_trait]
impl HttpService for PortalService {
    async fn call(&self, mut req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        let home = origin(&parse(req.uri())?);
        for (name, value) in &self.headers {
            req.headers_mut().insert(name, value.clone());
        }
        for _ in 0..=MAX_REDIRECTS {
            let response = self.inner.execute(req.clone()).await?;
            let status = response.status();
            self.traffic.answered(status);
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok());
            let (true, Some(location)) = (status.is_redirection(), location) else {
                return spooled_if_unsized(req.method(), response).await;
            };
            let here = parse(req.uri())?;
            let next = here.join(location).map_err(|e| {
                portal_err(
                    HttpErrorKind::Unknown,
                    format!(
                        "{here} redirects to an address that cannot be read ({}): {e}",
                        crate::text::quoted(location)
                    ),
                )
            })?;
            *req.uri_mut() = next
                .as_str()
                .parse()
                .map_err(|e| portal_err(HttpErrorKind::Unknown, format!("{next}: {e}")))?;
            if origin(&next) != home {
                // Another origin: none of the source's headers, nor any credential, goes there.
                let h = req.headers_mut();
                for name in self.headers.keys() {
                    h.remove(name);
                }
                for name in [
                    http::header::AUTHORIZATION,
                    http::header::PROXY_AUTHORIZATION,
                    http::header::COOKIE,
                ] {
                    h.remove(name);
                }
            }
            if status == http::StatusCode::SEE_OTHER && req.method() != http::Method::HEAD {
                *req.method_mut() = http::Method::GET;
                *req.body_mut() = object_store::client::HttpRequestBody::empty();
            }
        }
        Err(portal_err(
            HttpErrorKind::Unknown,
            format!(
                "{}: more than {MAX_REDIRECTS} redirects; ask the portal for the export's final address",
                req.uri()
            ),
        ))
    }
}

/// The largest reply without a Content-Length that is read (spooled to disk).
const MAX_UNSIZED_BYTES: u64 = 16 << 30;

/// A successful GET reply without a Content-Length (chunked), spooled to a temporary file and
/// handed on with its length; any other reply as it came.
async fn spooled_if_unsized(
    method: &http::Method,
    response: HttpResponse,
) -> Result<HttpResponse, HttpError> {
    use futures::StreamExt;
    use std::io::Write;
    let sized = response
        .headers()
        .contains_key(http::header::CONTENT_LENGTH)
        || response.headers().contains_key(http::header::CONTENT_RANGE);
    if sized || method != http::Method::GET || !response.status().is_success() {
        return Ok(response);
    }
    let io = |e: std::io::Error| portal_err(HttpErrorKind::Unknown, format!("spooling: {e}"));
    let (mut parts, body) = response.into_parts();
    let spool = tempfile::tempfile().map_err(io)?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, spool);
    let mut stream = body.bytes_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        if bytes > MAX_UNSIZED_BYTES {
            return Err(HttpError::new(
                HttpErrorKind::Unknown,
                PortalError::TooLarge {
                    limit: MAX_UNSIZED_BYTES,
                },
            ));
        }
        file.write_all(&chunk).map_err(io)?;
    }
    let mut file = file.into_inner().map_err(|e| io(e.into_error()))?;
    std::io::Seek::rewind(&mut file).map_err(io)?;
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(bytes));
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    let file = tokio::fs::File::from_std(file);
    let stream = futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 16];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let body = reqwest::Body::wrap_stream(stream);
    let body = http_body_util::BodyExt::map_err(body, |e| {
        portal_err(HttpErrorKind::Decode, format!("spooled reply: {e}"))
    });
    Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
}
