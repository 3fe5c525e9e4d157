//! A real S3-compatible server on 127.0.0.1 for the tests: moto's server (`pip install
//! 'moto[server]'`, which `tests/run.sh` does). A test that cannot start it fails; it never
//! passes silently.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A signature moto accepts: it reads the credential, not the signature.
const AUTHORIZATION: &str = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// The running server, stopped when dropped.
pub struct S3Server {
    pub endpoint: String,
    port: u16,
    child: Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port no other server of this test process was given.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port on 127.0.0.1");
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

impl S3Server {
    pub fn start() -> S3Server {
        let port = free_port();
        // `python3 -m moto.server` needs no script on PATH (pip's user or pyenv folders may lack one).
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start python3 -m moto.server ({e}): install it with pip install 'moto[server]' (tests/run.sh does)")
            });
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut server = server;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the S3 server exited ({status}): install it with pip install 'moto[server]' (tests/run.sh does)"
                );
            }
            assert!(
                Instant::now() < deadline,
                "the S3 server did not start listening within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// One plain request (moto does not check signatures); returns the status code. A server
    /// that listens before it answers (the connection closes with no reply) is asked again for a
    /// few seconds.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = self.request_once(method, path, body);
            if status != 0 || Instant::now() > deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn request_once(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        self.exchange(method, path, body)
            .map_or(0, |(status, _)| status)
    }

    /// One request and its answer (moto checks no signature, but answers a read only with one): (status, body); None when the server did not answer.
    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{AUTHORIZATION}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes()).ok()?;
        s.write_all(body).ok()?;
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        let body = answer[split + 4..].to_vec();
        let body = if head.contains("transfer-encoding: chunked") {
            unchunk(&body)
        } else {
            body
        };
        Some((status, body))
    }

    /// The object `bucket/key`, or None where there is none.
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        match self.exchange("GET", &format!("/{bucket}/{key}"), b"") {
            Some((200, body)) => Some(body),
            _ => None,
        }
    }

    /// The keys in `bucket` that begin with `prefix` (up to the thousand one listing returns).
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let path = format!(
            "/{bucket}?list-type=2&prefix={}",
            prefix.replace('=', "%3D")
        );
        let Some((200, body)) = self.exchange("GET", &path, b"") else {
            return Vec::new();
        };
        let xml = String::from_utf8_lossy(&body);
        xml.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    pub fn create_bucket(&self, bucket: &str) {
        let status = self.request("PUT", &format!("/{bucket}"), b"");
        assert_eq!(status, 200, "creating bucket {bucket}");
    }

    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let status = self.request("PUT", &format!("/{bucket}/{key}"), body);
        assert_eq!(status, 200, "putting {bucket}/{key}");
    }

    /// The standard AWS variables that point a client at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }
}

/// The body of a chunked HTTP answer.
fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        let start = end + 2;
        if size == 0 || body.len() < start + size {
            break;
        }
        out.extend_from_slice(&body[start..start + size]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
}
