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
