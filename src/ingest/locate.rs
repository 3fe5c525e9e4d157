//! Locate: the deliveries a source's `url` names now. One file; every file of a folder or bucket
//! prefix whose path matches a glob; or one file per period of a url template from `since`.

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;

use super::fetch::{self, RemoteOptions};
use super::{FetchFault, IngestError};
use crate::config::{Grain, Locator, Period, Source};

/// The most files one source may list: past this the pattern is taken for a mistake.
const MAX_LISTED: usize = 100_000;

/// One file a source names now.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its identity across runs: the path below the listed folder, the period of a template, or
    /// the file name of a single-file source.
    pub key: String,
    /// Where it is read from.
    pub url: String,
    /// Its size, when the listing gave it.
    pub size: Option<u64>,
    /// When it was last modified, when the listing gave it.
    pub modified: Option<DateTime<Utc>>,
    /// Its tag (ETag, or inode/modification time/size of a local file), when the listing gave one.
    pub etag: Option<String>,
    /// The period of a template's file: fetched once, and not an error before it is due.
    pub period: Option<Period>,
}

/// The deliveries `source` names on `today`, in key order.
pub async fn deliveries(
    source: &Source,
    remote: &RemoteOptions,
    today: NaiveDate,
) -> Result<Vec<Found>, IngestError> {
    match &source.locator {
        Locator::File => Ok(vec![Found {
            key: file_name(&source.url),
            url: source.url.clone(),
            size: None,
            modified: None,
            etag: None,
            period: None,
        }]),
        Locator::Listing { base, pattern } => listing(base, pattern, remote).await,
        Locator::Template { grain } => {
            let Some(since) = source.since else {
                return Ok(Vec::new());
            };
            Ok(template_periods(since, *grain, today)
                .into_iter()
                .map(|p| Found {
                    key: p.to_string(),
                    url: fill_template(&source.url, p),
                    size: None,
                    modified: None,
                    etag: None,
                    period: Some(p),
                })
                .collect())
        }
    }
}

/// The last part of a path or address.
pub fn file_name(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    trimmed
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(trimmed)
        .to_string()
}

/// Every period of `grain` from `since` up to the one holding `today`.
fn template_periods(since: Period, grain: Grain, today: NaiveDate) -> Vec<Period> {
    let Some(last) = Period::containing(today, grain) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut p = Some(since);
    while let Some(period) = p {
        if period.sort_key() > last.sort_key() {
            break;
        }
        out.push(period);
        p = period.next();
    }
    out
}

/// The template with `{yyyy}`, `{mm}` and `{q}` of period `p` filled in.
pub fn fill_template(template: &str, p: Period) -> String {
    let (year, month) = p.first_month();
    template
        .replace("{yyyy}", &format!("{year:04}"))
        .replace("{mm}", &format!("{month:02}"))
        .replace("{q}", &format!("{}", (month - 1) / 3 + 1))
}

/// Whether a file name is one an office's tools leave beside the exports (hidden files, Office
/// lock files), never an export.
fn is_side_file(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$")
}

/// Every file below `base` whose path relative to it matches `pattern`.
async fn listing(
    base: &str,
    pattern: &str,
    remote: &RemoteOptions,
) -> Result<Vec<Found>, IngestError> {
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| fetch::fetch_err(&format!("{base}{pattern}"), e))?
        .compile_matcher();
    let local = base.strip_prefix("file://").unwrap_or(base);
    if !local.contains("://") && !std::path::Path::new(local).is_dir() {
        let fault = FetchFault::NoFolder(local.to_string());
        return Err(fetch::fetch_err(&format!("{base}{pattern}"), fault));
    }
    let (store, prefix) = fetch::listing_store(base, remote)?;
    let mut out = Vec::new();
    let mut list = store.list(Some(&prefix));
    let prefix_text = prefix.as_ref().to_string();
    while let Some(item) = list.next().await {
        let meta = item.map_err(|e| fetch::listing_failed(&format!("{base}{pattern}"), e))?;
        let location = meta.location.as_ref();
        let rel = location
            .strip_prefix(&prefix_text)
            .unwrap_or(location)
            .trim_start_matches('/');
        if rel.is_empty() || is_side_file(&file_name(rel)) || !matcher.is_match(rel) {
            continue;
        }
        if out.len() == MAX_LISTED {
            let fault = FetchFault::TooManyFiles(MAX_LISTED);
            return Err(fetch::fetch_err(&format!("{base}{pattern}"), fault));
        }
        out.push(Found {
            key: rel.to_string(),
            url: format!("{base}{rel}"),
            size: Some(meta.size),
            modified: Some(meta.last_modified),
            etag: meta.e_tag.clone(),
            period: None,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(year: i32, month: u32) -> Period {
        Period::Month { year, month }
    }

    #[test]
    fn a_template_names_every_period_from_since_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap_or_default();
        let got: Vec<String> = template_periods(month(2025, 11), Grain::Month, today)
            .into_iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(got, ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]);
        let quarters: Vec<String> = template_periods(
            Period::Quarter {
                year: 2025,
                quarter: 4,
            },
            Grain::Quarter,
            today,
        )
        .into_iter()
        .map(|p| p.to_string())
        .collect();
        assert_eq!(quarters, ["2025-Q4", "2026-Q1"]);
    }

    #[test]
    fn a_template_is_filled_with_the_period() {
        assert_eq!(
            fill_template("https://x.example/p_{yyyy}-{mm}.csv", month(2026, 3)),
            "https://x.example/p_2026-03.csv"
        );
        assert_eq!(
            fill_template(
                "s3://b/{yyyy}/q{q}.csv",
                Period::Quarter {
                    year: 2026,
                    quarter: 2
                }
            ),
            "s3://b/2026/q2.csv"
        );
    }

    #[test]
    fn side_files_are_not_deliveries() {
        assert!(is_side_file("~$presenze.xlsx"));
        assert!(is_side_file(".DS_Store"));
        assert!(!is_side_file("presenze_2026-01.xlsx"));
        assert_eq!(file_name("/a/b/c.csv"), "c.csv");
        assert_eq!(file_name("https://x.example/e/p.csv"), "p.csv");
    }
}
