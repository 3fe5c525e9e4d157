//! A small HTTP/1.1 server on 127.0.0.1 for the remote-source tests: each path answers the way a
//! real office portal can (a good export, a 503 before success, a 404, a 401 without the token,
//! a response slower than the timeout).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers for one path.
#[derive(Clone)]
pub enum Route {
    /// 200 with this body and ETag.
    File { body: Vec<u8>, etag: String },
    /// `failures` answers of 503, then 200 with the body.
    Flaky { failures: usize, body: Vec<u8> },
    /// 200 only with this Authorization header, 401 otherwise.
    Protected { token: String, body: Vec<u8> },
    /// 200 after this delay.
    Slow { delay: Duration, body: Vec<u8> },
    /// 302 to this address.
    Redirect { location: String },
    /// 200 with the body sent in chunks, without a Content-Length.
    Chunked { body: Vec<u8> },
}

/// Request headers (lower-case names) of each request a path has seen.
pub type SeenHeaders = Arc<Mutex<HashMap<String, Vec<HashMap<String, String>>>>>;

/// The running server: its base address and the requests it has seen per path.
pub struct Server {
    pub base: String,
    pub hits: Arc<Mutex<HashMap<String, usize>>>,
    pub routes: Arc<Mutex<HashMap<String, Route>>>,
    pub headers: SeenHeaders,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1; it stops with the test process.
    pub fn start(routes: Vec<(&str, Route)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let routes: HashMap<String, Route> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        let routes = Arc::new(Mutex::new(routes));
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let headers: SeenHeaders = Arc::new(Mutex::new(HashMap::new()));
        let (r, h, s) = (routes.clone(), hits.clone(), headers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h, s) = (r.clone(), h.clone(), s.clone());
                std::thread::spawn(move || serve(stream, &r, &h, &s));
            }
        });
        Server {
            base,
            hits,
            routes,
            headers,
        }
    }

    /// The headers of every request `path` has seen.
    pub fn headers(&self, path: &str) -> Vec<HashMap<String, String>> {
        self.headers
            .lock()
            .map(|h| h.get(path).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .map(|h| h.get(path).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn set(&self, path: &str, route: Route) {
        if let Ok(mut r) = self.routes.lock() {
            r.insert(path.to_string(), route);
        }
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Route>>,
    hits: &Mutex<HashMap<String, usize>>,
    seen: &Mutex<HashMap<String, Vec<HashMap<String, String>>>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    if let Ok(mut s) = seen.lock() {
        s.entry(path.clone()).or_default().push(headers.clone());
    }
    let n = {
        let mut h = hits.lock().expect("hits");
        let n = h.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let route = routes.lock().expect("routes").get(&path).cloned();
    let mut out = stream;
    match &route {
        Some(Route::Redirect { location }) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = out.write_all(head.as_bytes());
            let _ = out.flush();
            return;
        }
        Some(Route::Chunked { body }) => {
            let _ = out.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nContent-Type: text/csv\r\n\r\n",
            );
            if method != "HEAD" {
                for chunk in body.chunks(7) {
                    let _ = write!(out, "{:x}\r\n", chunk.len());
                    let _ = out.write_all(chunk);
                    let _ = out.write_all(b"\r\n");
                }
                let _ = out.write_all(b"0\r\n\r\n");
            }
            let _ = out.flush();
            return;
        }
        _ => {}
    }
    let (status, body, etag) = match route {
        None => ("404 Not Found", b"not found".to_vec(), None),
        Some(Route::File { body, etag }) => ("200 OK", body, Some(etag)),
        Some(Route::Flaky { failures, body }) => {
            if n <= failures {
                ("503 Service Unavailable", b"busy".to_vec(), None)
            } else {
                ("200 OK", body, None)
            }
        }
        Some(Route::Protected { token, body }) => {
            if headers.get("authorization") == Some(&token) {
                ("200 OK", body, None)
            } else {
                ("401 Unauthorized", b"token required".to_vec(), None)
            }
        }
        Some(Route::Slow { delay, body }) => {
            std::thread::sleep(delay);
            ("200 OK", body, None)
        }
        Some(Route::Redirect { .. } | Route::Chunked { .. }) => return,
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\nContent-Type: text/csv\r\n",
        body.len()
    );
    if let Some(e) = etag {
        head.push_str(&format!("ETag: \"{e}\"\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = out.write_all(&body);
    }
    let _ = out.flush();
}
