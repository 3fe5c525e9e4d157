//! The links of a bundle's pages: each leads to a file of the bundle, or keeps its words only.

use std::path::Path;

use super::files::files_below;
use super::manifest::published_dir;
use super::{BundleError, io};
use crate::config::Project;

/// Where a link of the page at `page` (a path below the bundle, `pilotaggio/index.html`) leads.
#[derive(Debug, PartialEq)]
enum Link {
    /// Not to a file: another site, an anchor on the page, an address.
    Elsewhere,
    /// To this path below the bundle.
    Inside(String),
    /// Above the bundle's folder, or from the root of the disk.
    Outside,
}

/// An attribute's value as the browser reads it: the pages' template escapes `/` and `&`.
fn unescape(s: &str) -> String {
    [
        ("&#x2f;", "/"),
        ("&#x27;", "'"),
        ("&#39;", "'"),
        ("&quot;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(s.to_string(), |s, (from, to)| s.replace(from, to))
}

fn resolve(page: &str, href: &str) -> Link {
    let href = unescape(href);
    if href.is_empty()
        || href.starts_with('#')
        || href.contains("://")
        || href.starts_with("mailto:")
        || href.starts_with("data:")
    {
        return Link::Elsewhere;
    }
    if href.starts_with('/') {
        return Link::Outside;
    }
    let path = href.split(['#', '?']).next().unwrap_or_default();
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Link::Outside;
                }
            }
            s => parts.push(s),
        }
    }
    Link::Inside(parts.join("/"))
}

/// Every `href` and `src` of a page, as written.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" href=\"", " src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let Some(end) = rest.find('"') else { break };
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// `html` with the anchors whose `href` is `href` replaced by their text.
fn unlink(html: &str, href: &str) -> String {
    let needle = format!(" href=\"{href}\"");
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        let (Some(open), Some(close_rel)) = (rest[..at].rfind("<a"), rest[at..].find('>')) else {
            break;
        };
        let inner_start = at + close_rel + 1;
        let Some(end_rel) = rest[inner_start..].find("</a>") else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[inner_start..inner_start + end_rel]);
        rest = &rest[inner_start + end_rel + "</a>".len()..];
    }
    out.push_str(rest);
    out
}

/// Makes every link of the bundle's pages lead to a file of the bundle: what a page links beside
/// the reports (the findings, the deliveries' outcome files) is copied in at the same place, and a
/// link to another bundle, or to nothing, keeps its words without the link.
pub(super) fn keep_links_inside(project: &Project, staging: &Path) -> Result<(), BundleError> {
    let output = &project.settings.output;
    let bundles = published_dir(project);
    let bundles = bundles.strip_prefix(output).ok();
    let pages = files_below(staging).map_err(|e| io(staging, e))?;
    for page in pages.iter().filter(|p| p.ends_with(".html")) {
        let path = staging.join(page);
        let html = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        let mut dead = Vec::new();
        for href in links(&html) {
            let target = match resolve(page, &href) {
                Link::Elsewhere => continue,
                Link::Inside(t) => t,
                Link::Outside => {
                    dead.push(href);
                    continue;
                }
            };
            if staging.join(&target).is_file() {
                continue;
            }
            let from = output.join(&target);
            let of_a_bundle = bundles.is_some_and(|b| Path::new(&target).starts_with(b));
            if !of_a_bundle && from.is_file() {
                let to = staging.join(&target);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
                }
                std::fs::copy(&from, &to).map_err(|e| io(&to, e))?;
            } else {
                dead.push(href);
            }
        }
        if !dead.is_empty() {
            let kept = dead.iter().fold(html, |h, href| unlink(&h, href));
            std::fs::write(&path, kept).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn links_resolve_below_the_bundle_or_leave_it() {
        let page = "pilotaggio/index.html";
        assert_eq!(
            resolve(page, "../index.html"),
            Link::Inside("index.html".into())
        );
        assert_eq!(
            resolve(page, "..&#x2f;deliveries&#x2f;pd&#x2f;a.xlsx"),
            Link::Inside("deliveries/pd/a.xlsx".into())
        );
        assert_eq!(
            resolve(page, "chart-01.svg#top"),
            Link::Inside("pilotaggio/chart-01.svg".into())
        );
        assert_eq!(resolve(page, "../../other/index.html"), Link::Outside);
        assert_eq!(resolve("index.html", "/etc/passwd"), Link::Outside);
        assert_eq!(resolve(page, "https://example.org/"), Link::Elsewhere);
        assert_eq!(resolve(page, "#section"), Link::Elsewhere);
    }

    #[test]
    fn an_unlinked_anchor_keeps_its_words() {
        let html = r#"<td><a href="published&#x2f;b&#x2f;index.html">2026-12-01_b</a></td><a href="x.csv">X</a>"#;
        assert_eq!(
            unlink(html, "published&#x2f;b&#x2f;index.html"),
            r#"<td>2026-12-01_b</td><a href="x.csv">X</a>"#
        );
    }
}
