//! The object stores the warehouse and the sources are reached through.

use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::client::ClientConfigKey;

/// A builder for the bucket from the standard AWS variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`, ...), with a request timeout.
pub fn s3_builder(bucket: &str, timeout: Duration) -> AmazonS3Builder {
    AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
            format!("{}ms", timeout.as_millis()),
        )
}

/// An S3 store for `bucket` from the standard AWS variables, with the same timeout and retries as
/// remote sources.
pub fn s3_store(bucket: &str) -> Result<object_store::aws::AmazonS3, object_store::Error> {
    s3_builder(bucket, Duration::from_secs(60))
        .with_retry(object_store::RetryConfig::default())
        .build()
}

/// What a location names, for the warehouse and for sources alike: an S3 bucket and the key or
/// prefix inside it, or a local path (`file://` or plain).
#[derive(Debug, PartialEq, Eq)]
pub enum Location<'a> {
    S3 { bucket: &'a str, key: &'a str },
    Local(std::path::PathBuf),
}

/// The location `url` names; None for another scheme (`http://`, `ftp://`, ...).
pub fn parse_location(url: &str) -> Option<Location<'_>> {
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        return Some(Location::S3 { bucket, key });
    }
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(Location::Local(rest.into()));
    }
    (!url.contains("://")).then(|| Location::Local(url.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_a_bucket_and_key_or_a_path() {
        assert_eq!(
            parse_location("s3://b/treviso/presenze/"),
            Some(Location::S3 {
                bucket: "b",
                key: "treviso/presenze/"
            })
        );
        assert_eq!(
            parse_location("s3://b"),
            Some(Location::S3 {
                bucket: "b",
                key: ""
            })
        );
        assert_eq!(
            parse_location("file:///srv/w"),
            Some(Location::Local("/srv/w".into()))
        );
        assert_eq!(
            parse_location("data/x.csv"),
            Some(Location::Local("data/x.csv".into()))
        );
        assert_eq!(parse_location("ftp://host/x.csv"), None);
    }
}
