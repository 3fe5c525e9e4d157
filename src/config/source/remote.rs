//! A remote source's URL and HTTP headers (credentials from the environment, never in the file).

use super::*;

/// Whether a source's url is one this build can read; records why not.
pub(super) fn check_url(url: &str, ctx: &FileCtx, key: &str, errs: &mut ConfigErrors) {
    let ukey = format!("{key}.url");
    if url.trim().is_empty() {
        ctx.err(
            errs,
            &ukey,
            "a source needs a url: a path, file://, http(s):// or s3://",
        );
        return;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return;
    };
    match scheme {
        "file" => {}
        "http" | "https" => match url::Url::parse(url) {
            Ok(u) if u.query().is_some() => ctx.err(
                errs,
                &ukey,
                "a download address with a query string (?...) cannot be read; ask the portal for a plain file address, or put the export where an http(s):// or s3:// address names it",
            ),
            Ok(u) if u.path().trim_matches('/').is_empty() => ctx.err(
                errs,
                &ukey,
                "the address names no file: write the export's full address",
            ),
            Ok(_) => {}
            Err(e) => ctx.err(errs, &ukey, format!("'{url}' is not a valid address: {e}")),
        },
        "s3" => {
            let (bucket, object) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || object.trim_matches('/').is_empty() {
                ctx.err(errs, &ukey, "write an S3 export as s3://bucket/path/to/export.csv");
            }
        }
        other => ctx.err(
            errs,
            &ukey,
            format!("{other}:// sources cannot be read; use a path, file://, http(s):// or s3://"),
        ),
    }
}

/// Header names whose values are credentials: they must come from the environment.
pub(super) fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "token",
        "key",
        "cookie",
        "secret",
        "password",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The headers as written; a credential must name an environment variable (`env:NAME`), which
/// `check` and each fetch read.
pub(super) fn check_headers(
    given: &indexmap::IndexMap<String, String>,
    url: &str,
    ctx: &FileCtx,
    key: &str,
    errs: &mut ConfigErrors,
) -> Vec<Header> {
    let is_http = url.starts_with("http://") || url.starts_with("https://");
    if !given.is_empty() && !is_http {
        ctx.err(
            errs,
            &format!("{key}.headers"),
            "headers apply to http(s):// sources only",
        );
    }
    let mut out = Vec::new();
    for (name, value) in given {
        let hkey = format!("{key}.headers.{name}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            ctx.err(errs, &hkey, format!("'{name}' is not an HTTP header name"));
            continue;
        }
        let value = match value.strip_prefix("env:") {
            Some(var) if !var.trim().is_empty() => HeaderValue::Env(var.trim().to_string()),
            Some(_) => {
                ctx.err(
                    errs,
                    &hkey,
                    "write env:NAME, naming the environment variable",
                );
                continue;
            }
            None if is_credential_header(name) => {
                ctx.err(
                    errs,
                    &hkey,
                    "credentials never live in YAML: write env:NAME and set NAME in the environment",
                );
                continue;
            }
            None if http::HeaderValue::from_str(value).is_err() => {
                ctx.err(
                    errs,
                    &hkey,
                    "the value is not valid in an HTTP header (line breaks or control characters)",
                );
                continue;
            }
            None => HeaderValue::Literal(value.clone()),
        };
        out.push(Header {
            name: name.clone(),
            value,
            line: ctx.index.line_of(&hkey),
        });
    }
    out
}

/// The environment variables the sources' headers name that are not set, as configuration errors.
pub(crate) fn unset_header_variables(project: &Project) -> ConfigErrors {
    let mut errs = ConfigErrors::default();
    for s in &project.sources {
        for h in &s.headers {
            if let Err(UnsetVariable { variable: var }) = h.resolve() {
                errs.push(
                    &s.file,
                    h.line.or(s.line),
                    format!("{}.headers.{}", s.key, h.name),
                    format!("the environment variable {var} is not set; set it where osservatorio runs (credentials never live in YAML)"),
                );
            }
        }
    }
    errs
}
