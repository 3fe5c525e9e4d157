//! A real S3-compatible server on 127.0.0.1 for the tests: moto's server (`pip install
//! 'moto[server]'`, which `tests/run.sh` does). A test that cannot start it fails; it never
//! passes silently.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return 0;
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        if s.write_all(head.as_bytes()).is_err() || s.write_all(body).is_err() {
            return 0;
        }
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
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
