//! Brings an export to a local file and fingerprints it, reading it through object_store.

use std::io::Read;
use std::path::PathBuf;

use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

use super::IngestError;

/// An export ready to be read from the local disk.
pub struct Fetched {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// Holds a downloaded copy alive until the export has been read.
    _spool: Option<tempfile::TempPath>,
}

fn fetch_err(url: &str, message: impl Into<String>) -> IngestError {
    IngestError::Fetch {
        url: url.to_string(),
        message: message.into(),
    }
}

/// The store and object path that hold `url`.
fn locate(url: &str) -> Result<(Box<dyn ObjectStore>, StorePath), IngestError> {
    let local = if let Some(rest) = url.strip_prefix("file://") {
        PathBuf::from(rest)
    } else if url.contains("://") {
        let scheme = url.split("://").next().unwrap_or_default();
        return Err(fetch_err(
            url,
            format!(
                "{scheme}:// sources are not supported by this build; use a local path or file://"
            ),
        ));
    } else {
        PathBuf::from(url)
    };
    let abs = std::path::absolute(&local).map_err(|e| fetch_err(url, e.to_string()))?;
    let path = StorePath::from_absolute_path(&abs).map_err(|e| fetch_err(url, e.to_string()))?;
    Ok((Box::new(LocalFileSystem::new()), path))
}

pub async fn fetch(url: &str) -> Result<Fetched, IngestError> {
    let (store, path) = locate(url)?;
    let got = store.get(&path).await.map_err(|e| match e {
        object_store::Error::NotFound { .. } => fetch_err(url, "no such file"),
        other => fetch_err(url, other.to_string()),
    })?;
    match got.payload {
        object_store::GetResultPayload::File(file, local) => {
            let url = url.to_string();
            tokio::task::spawn_blocking(move || {
                let (sha256, bytes) = hash(file).map_err(|e| fetch_err(&url, e.to_string()))?;
                Ok(Fetched {
                    path: local,
                    sha256,
                    bytes,
                    _spool: None,
                })
            })
            .await
            .map_err(|e| IngestError::Other(e.to_string()))?
        }
        object_store::GetResultPayload::Stream(mut stream) => {
            use futures::StreamExt;
            use std::io::Write;
            let spool =
                tempfile::NamedTempFile::new().map_err(|e| fetch_err(url, e.to_string()))?;
            let (mut file, temp) = spool.into_parts();
            let mut hasher = Sha256::new();
            let mut bytes = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| fetch_err(url, e.to_string()))?;
                hasher.update(&chunk);
                bytes += chunk.len() as u64;
                file.write_all(&chunk)
                    .map_err(|e| fetch_err(url, e.to_string()))?;
            }
            Ok(Fetched {
                path: temp.to_path_buf(),
                sha256: hex::encode(hasher.finalize()),
                bytes,
                _spool: Some(temp),
            })
        }
    }
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
