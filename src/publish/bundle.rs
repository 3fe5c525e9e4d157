//! Signed-off bundles: an immutable, dated copy of a run's rendered reports with a manifest of every
//! file's SHA-256, the run, the indicators' definition hashes and the exports' checksums, and the
//! check an auditor runs on it later.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::signing::{KnownKey, SIGNATURE, SignatureCheck, SigningKey};
use crate::config::Project;
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::SourceManifest;

/// The file in each bundle that lists the others.
pub const MANIFEST: &str = "MANIFEST.json";
/// What render leaves in the output folder to say which run the pages come from.
pub const RENDER_RECORD: &str = "render.json";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}")]
    Io(String),
    #[error("nothing to publish: {0}")]
    NothingRendered(String),
    #[error(
        "run {asked} cannot be published: the reports in {output} are those of run {rendered}; render run {asked} again or publish run {rendered}"
    )]
    OtherRun {
        asked: String,
        rendered: String,
        output: String,
    },
    #[error(
        "the reports in {output} are not all of run {run}: {}; render them again (`osservatorio render`) and sign off then",
        pages.iter().map(|(p, what)| format!("{p} {what}")).collect::<Vec<_>>().join(", ")
    )]
    MixedRuns {
        run: String,
        output: String,
        /// Each page not of the run: its path in the output folder and what it is instead.
        pages: Vec<(String, String)>,
    },
    #[error(
        "{0} already signs off these pages: a published bundle is never changed; draw them again (`osservatorio render`) to sign off another"
    )]
    Exists(String),
    #[error("{path}: not a published bundle ({message})")]
    NotABundle { path: String, message: String },
    #[error(
        "the data file {path} of source {source_name} that the indicators were computed from is no longer in the warehouse (a later ingest replaced it): run `osservatorio compute` and `osservatorio render` again, then publish"
    )]
    DataGone { source_name: String, path: String },
    #[error(
        "not signed off: {} small count{} could be worked out from what the bundle publishes (feasible interval narrower than publication.protection = {protection}):\n  {}\nrender the reports again (`osservatorio render`) so that disclosure control hides what gives them away",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        found.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Disclosed {
        protection: f64,
        found: Vec<super::Disclosed>,
    },
    #[error(
        "not signed off: the pages in {output} do not show the figures of {output}/indicators.parquet, so what they disclose cannot be audited: {}; render them again (`osservatorio render`)",
        differ.join("; ")
    )]
    NotAuditable { output: String, differ: Vec<String> },
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    #[error(transparent)]
    Signing(#[from] super::signing::SigningError),
}

fn io(path: &Path, e: impl std::fmt::Display) -> BundleError {
    BundleError::Io(format!("{}: {e}", path.display()))
}

/// Which run the rendered reports in the output folder come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderRecord {
    pub run_id: String,
    pub rendered_at: String,
    pub dashboards: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndicatorEntry {
    pub id: String,
    pub definition: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceEntry {
    pub name: String,
    pub url: String,
    pub sha256: String,
    pub ingested_at: String,
    /// The warehouse data files (relative to its root) the figures read of the source: ingest
    /// keeps them while the bundle exists.
    #[serde(default)]
    pub data_files: Vec<String>,
    /// Each of those files with its delivery and checksums, as `reproduce` checks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<DataFileEntry>,
}

/// A warehouse data file a bundle's figures were computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataFileEntry {
    /// The delivery (file of the source) its rows came from.
    pub delivery: String,
    /// The SHA-256 of that delivery's export.
    pub export_sha256: String,
    /// The data file, relative to the warehouse root.
    pub path: String,
    /// The data file's own SHA-256 and size.
    pub sha256: String,
    pub bytes: u64,
}

/// The folder of a bundle holding what its figures were computed from: `computed-from.json`
/// (each source's manifest as compute read it, the days figures were judged on) and
/// `definitions/` (the project's YAML, territories and keys as they were).
pub const INPUTS_DIR: &str = "inputs";
/// The record of the manifests and days, in `inputs/`.
pub const COMPUTED_FROM: &str = "computed-from.json";
/// The copy of the definition files, in `inputs/`.
pub const DEFINITIONS_DIR: &str = "definitions";

use crate::warehouse::pins::{PINS, Pin, pins};

/// MANIFEST.json of a published bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BundleManifest {
    pub bundle: String,
    pub project: String,
    pub run_id: String,
    pub rendered_at: String,
    pub signed_off_by: String,
    pub signed_off_at: String,
    pub note: Option<String>,
    pub generator: String,
    pub indicators: Vec<IndicatorEntry>,
    pub sources: Vec<SourceEntry>,
    pub files: Vec<FileEntry>,
    /// The minisign key id that signed MANIFEST.json (MANIFEST.json.minisig), when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key: Option<String>,
}

/// The run a rendered page says it was drawn in (its `osservatorio-run` meta tag).
pub fn page_run(html: &str) -> Option<String> {
    const TAG: &str = "<meta name=\"osservatorio-run\" content=\"";
    let start = html.find(TAG)? + TAG.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// The pages below `dir` that `record` names (the index and each dashboard's page) that are not
/// of the record's run, each with what it is instead: left by a render that overlapped another or
/// stopped halfway.
fn pages_of_other_runs(dir: &Path, record: &RenderRecord) -> Vec<(String, String)> {
    let pages = std::iter::once("index.html".to_string())
        .chain(record.dashboards.iter().map(|d| format!("{d}/index.html")));
    pages
        .filter_map(|rel| {
            let what = match std::fs::read_to_string(dir.join(&rel)) {
                Err(_) => "is missing".to_string(),
                Ok(html) => match page_run(&html) {
                    Some(run) if run == record.run_id => return None,
                    Some(run) => format!("is of run {run}"),
                    None => "records no run".to_string(),
                },
            };
            Some((rel, what))
        })
        .collect()
}

/// Reads the output folder's render record, if reports have been rendered there.
pub fn render_record(output: &Path) -> Option<RenderRecord> {
    let text = std::fs::read_to_string(output.join(RENDER_RECORD)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The folder that holds the published bundles.
pub fn published_dir(project: &Project) -> PathBuf {
    project.settings.output.join("published")
}

/// Every bundle's manifest, newest first.
pub fn list(project: &Project) -> Vec<(String, BundleManifest)> {
    let mut out: Vec<(String, BundleManifest)> = std::fs::read_dir(published_dir(project))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path().join(MANIFEST)).ok()?;
                    let m = serde_json::from_str(&text).ok()?;
                    Some((e.file_name().to_string_lossy().into_owned(), m))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out
}

fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// Every file below `dir`, as paths relative to it with `/` separators, in order.
pub(crate) fn files_below(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let path = e.path();
            if e.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

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
fn keep_links_inside(project: &Project, staging: &Path) -> Result<(), BundleError> {
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

fn copy_tree(from: &Path, to: &Path) -> Result<(), BundleError> {
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for rel in files_below(from).map_err(|e| io(from, e))? {
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::copy(from.join(&rel), &target).map_err(|e| io(&target, e))?;
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

fn make_read_only(dir: &Path) -> Result<(), BundleError> {
    for rel in files_below(dir).map_err(|e| io(dir, e))? {
        let path = dir.join(rel);
        let mut perms = std::fs::metadata(&path)
            .map_err(|e| io(&path, e))?
            .permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

/// Signs off the rendered reports of `run` (the last rendered run when None): copies the index and
/// every dashboard folder into `OUTPUT/published/YYYY-MM-DD_RUN/` with its manifest, read-only.
/// The exact indicator tables are not part of a bundle: they are for the office's analysts.
pub async fn publish(
    project: &Project,
    wh: &Warehouse,
    by: &str,
    note: Option<&str>,
    run: Option<&str>,
    sign: Option<&SigningKey>,
) -> Result<(PathBuf, BundleManifest), BundleError> {
    let output = &project.settings.output;
    let record = render_record(output).ok_or_else(|| {
        BundleError::NothingRendered(format!(
            "no rendered reports in {}; run `osservatorio run` or `osservatorio render` first",
            output.display()
        ))
    })?;
    if let Some(asked) = run
        && asked != record.run_id
    {
        return Err(BundleError::OtherRun {
            asked: asked.to_string(),
            rendered: record.run_id.clone(),
            output: output.display().to_string(),
        });
    }
    let now = chrono::Utc::now();
    let day = now
        .with_timezone(&project.settings.timezone)
        .format("%Y-%m-%d");
    let root = published_dir(project);
    // The same run drawn again and signed off again the same day (another key, another note) is
    // a bundle of its own beside the first, which is never changed; the same drawing twice is not.
    let first = format!("{day}_{}", record.run_id);
    let mut names = std::iter::once(first.clone()).chain((2..).map(|n| format!("{first}-{n}")));
    let name = loop {
        let Some(name) = names.next() else {
            return Err(BundleError::Exists(first));
        };
        let dir = root.join(&name);
        if !dir.exists() {
            break name;
        }
        let same_drawing = std::fs::read_to_string(dir.join(MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<BundleManifest>(&t).ok())
            .is_none_or(|m| m.run_id == record.run_id && m.rendered_at == record.rendered_at);
        if same_drawing {
            return Err(BundleError::Exists(dir.display().to_string()));
        }
    };
    let target = root.join(&name);
    let staging = root.join(format!(".staging-{name}"));
    let _ = std::fs::remove_dir_all(&staging);
    let result = fill_bundle(project, wh, &record, &name, by, note, now, &staging, sign).await;
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // The data files the figures came from stay in the warehouse while a bundle names them; pins
    // of bundles since removed from the output folder let theirs go.
    for (location, pin) in pins(wh).await? {
        if !root.join(&pin.bundle).exists() {
            let _ = wh.store.delete(&location).await;
        }
    }
    let pin = Pin {
        bundle: name.clone(),
        files: manifest
            .sources
            .iter()
            .flat_map(|s| s.data_files.iter().cloned())
            .collect(),
    };
    wh.put_json(&wh.path(&format!("{PINS}/{name}.json")), &pin)
        .await?;
    std::fs::rename(&staging, &target).map_err(|e| io(&target, e))?;
    Ok((target, manifest))
}

#[allow(clippy::too_many_arguments)]
async fn fill_bundle(
    project: &Project,
    wh: &Warehouse,
    record: &RenderRecord,
    name: &str,
    by: &str,
    note: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    staging: &Path,
    sign: Option<&SigningKey>,
) -> Result<BundleManifest, BundleError> {
    let output = &project.settings.output;
    std::fs::create_dir_all(staging).map_err(|e| io(staging, e))?;
    let index = output.join("index.html");
    if index.exists() {
        std::fs::copy(&index, staging.join("index.html")).map_err(|e| io(&index, e))?;
    }
    for d in &record.dashboards {
        let dir = output.join(d);
        if dir.is_dir() {
            copy_tree(&dir, &staging.join(d))?;
        }
    }
    // What was copied is what is signed off: all of it must be of the one run.
    let mixed = pages_of_other_runs(staging, record);
    if !mixed.is_empty() {
        return Err(BundleError::MixedRuns {
            run: record.run_id.clone(),
            output: output.display().to_string(),
            pages: mixed,
        });
    }
    keep_links_inside(project, staging)?;
    super::opendata::complete_bundle(project, staging, name, now)?;
    audit_bundle(project, staging)?;
    let computed = crate::indicators::inputs::read(project);
    let sources = match &computed {
        Some(c) => {
            write_inputs(staging, c)?;
            sources_computed_from(wh, c).await?
        }
        None => sources_now(project, wh).await?,
    };
    let definitions = definitions_of_figures(project);
    let mut files = Vec::new();
    for rel in files_below(staging).map_err(|e| io(staging, e))? {
        let (sha256, bytes) = sha256_file(&staging.join(&rel)).map_err(|e| io(staging, e))?;
        files.push(FileEntry {
            path: rel,
            sha256,
            bytes,
        });
    }
    let manifest = BundleManifest {
        bundle: name.to_string(),
        project: project.settings.name.clone(),
        run_id: record.run_id.clone(),
        rendered_at: record.rendered_at.clone(),
        signed_off_by: by.to_string(),
        signed_off_at: now.to_rfc3339(),
        note: note.map(str::to_string),
        generator: format!("osservatorio {}", env!("CARGO_PKG_VERSION")),
        indicators: project
            .indicators
            .iter()
            .map(|i| IndicatorEntry {
                id: i.id.clone(),
                definition: definitions
                    .get(&i.id)
                    .cloned()
                    .unwrap_or_else(|| crate::indicators::definition_hash(i)),
            })
            .collect(),
        sources,
        files,
        signature_key: sign.map(|k| k.key_id.clone()),
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| io(staging, e))?;
    std::fs::write(staging.join(MANIFEST), &text).map_err(|e| io(staging, e))?;
    if let Some(key) = sign {
        let comment = format!(
            "bundle:{name} run:{} project:{} signed_off_by:{}",
            manifest.run_id,
            manifest.project.replace(['\r', '\n'], " "),
            by.replace(['\r', '\n'], " ")
        );
        let sig = super::signing::sign(key, &text, &comment)?;
        std::fs::write(staging.join(SIGNATURE), sig).map_err(|e| io(staging, e))?;
    }
    make_read_only(staging)?;
    Ok(manifest)
}

/// Each indicator's definition hash as its figures in the indicator table were computed with
/// (the project's YAML may have changed since).
fn definitions_of_figures(project: &Project) -> std::collections::BTreeMap<String, String> {
    let rows = crate::indicators::output::read(&project.settings.output).unwrap_or_default();
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        if !r.definition.is_empty() {
            out.entry(r.indicator).or_insert(r.definition);
        }
    }
    out
}

/// Writes `inputs/computed-from.json` and `inputs/definitions/` into the bundle being filled.
fn write_inputs(
    staging: &Path,
    c: &crate::indicators::inputs::ComputedFrom,
) -> Result<(), BundleError> {
    let dir = staging.join(INPUTS_DIR);
    let defs = dir.join(DEFINITIONS_DIR);
    std::fs::create_dir_all(&defs).map_err(|e| io(&defs, e))?;
    for d in &c.definitions {
        let path = defs.join(&d.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, &d.text).map_err(|e| io(&path, e))?;
    }
    let record = crate::indicators::inputs::ComputedFrom {
        definitions: Vec::new(),
        ..c.clone()
    };
    let text = serde_json::to_vec_pretty(&record).map_err(|e| io(&dir, e))?;
    let path = dir.join(COMPUTED_FROM);
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}

/// The SHA-256 and size of a warehouse file; None when it is not there.
pub(crate) async fn warehouse_file_sha256(
    wh: &Warehouse,
    rel: &str,
) -> Result<Option<(String, u64)>, BundleError> {
    match wh.store.get(&wh.path(rel)).await {
        Ok(r) => {
            let bytes = r.bytes().await.map_err(|e| {
                BundleError::Warehouse(crate::warehouse::WarehouseError::Store {
                    path: rel.to_string(),
                    source: e,
                })
            })?;
            Ok(Some((
                hex::encode(Sha256::digest(&bytes)),
                bytes.len() as u64,
            )))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(BundleError::Warehouse(
            crate::warehouse::WarehouseError::Store {
                path: rel.to_string(),
                source: e,
            },
        )),
    }
}

/// Each data file a manifest's readers follow, with its delivery's key and export checksum.
pub(crate) fn files_with_deliveries(m: &SourceManifest) -> Vec<(String, String, String)> {
    m.data_files(&m.table, &m.source)
        .into_iter()
        .map(|f| {
            let of_delivery = m.deliveries.iter().find(|d| {
                d.published
                    .as_ref()
                    .is_some_and(|p| p.file.as_deref() == Some(f.as_str()))
            });
            let (delivery, export) = match (of_delivery, &m.published) {
                (Some(d), _) => (
                    d.key.clone(),
                    d.published
                        .as_ref()
                        .map(|p| p.sha256.clone())
                        .unwrap_or_default(),
                ),
                (None, Some(p)) => (p.url.clone(), p.sha256.clone()),
                (None, None) => (String::new(), String::new()),
            };
            (f, delivery, export)
        })
        .collect()
}

/// The sources of the bundle as the indicator table was computed from them: every data file
/// read, with its checksum (it must still be in the warehouse).
async fn sources_computed_from(
    wh: &Warehouse,
    c: &crate::indicators::inputs::ComputedFrom,
) -> Result<Vec<SourceEntry>, BundleError> {
    let mut out = Vec::new();
    for (name, m) in &c.manifests {
        let Some(p) = &m.published else { continue };
        let mut deliveries = Vec::new();
        for (path, delivery, export_sha256) in files_with_deliveries(m) {
            let Some((sha256, bytes)) = warehouse_file_sha256(wh, &path).await? else {
                return Err(BundleError::DataGone {
                    source_name: name.clone(),
                    path: wh.shown(&path),
                });
            };
            deliveries.push(DataFileEntry {
                delivery,
                export_sha256,
                path,
                sha256,
                bytes,
            });
        }
        let mut data_files: Vec<String> = deliveries.iter().map(|d| d.path.clone()).collect();
        data_files.sort();
        data_files.dedup();
        out.push(SourceEntry {
            name: name.clone(),
            url: p.url.clone(),
            sha256: p.sha256.clone(),
            ingested_at: p.ingested_at.clone(),
            data_files,
            deliveries,
        });
    }
    Ok(out)
}

/// The sources of the bundle as the warehouse holds them now: for an indicator table computed
/// before what it was computed from was kept beside it.
async fn sources_now(project: &Project, wh: &Warehouse) -> Result<Vec<SourceEntry>, BundleError> {
    let mut sources = Vec::new();
    for s in &project.sources {
        let m: Option<SourceManifest> = crate::warehouse::integrity::manifest(wh, &s.name).await?;
        let Some(m) = m else { continue };
        let mut data_files: Vec<String> = m
            .deliveries
            .iter()
            .filter_map(|d| d.published.as_ref().and_then(|p| p.file.clone()))
            .collect();
        if let Some(f) = m.published.as_ref().and_then(|p| p.file.clone()) {
            data_files.push(f);
        }
        data_files.sort();
        data_files.dedup();
        if let Some(p) = m.published {
            sources.push(SourceEntry {
                name: s.name.clone(),
                url: p.url,
                sha256: p.sha256,
                ingested_at: p.ingested_at,
                data_files,
                deliveries: Vec::new(),
            });
        }
    }
    Ok(sources)
}

/// The audit before sign-off: every figure the bundle's data files show, against the exact
/// indicator table, by linear programming over all of them together.
fn audit_bundle(project: &Project, staging: &Path) -> Result<(), BundleError> {
    let output = &project.settings.output;
    let rows = crate::indicators::output::read(output).map_err(|e| io(output, e))?;
    let shown = shown_figures(staging)?;
    match super::audit_published(project, rows, &shown) {
        Ok(found) if found.is_empty() => Ok(()),
        Ok(found) => Err(BundleError::Disclosed {
            protection: super::protection(project),
            found,
        }),
        Err(differ) => Err(BundleError::NotAuditable {
            output: output.display().to_string(),
            differ,
        }),
    }
}

/// A CSV cell as written, without the `'` that keeps text from being read as a formula.
fn uncell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Every figure in a data file of the bundle (each CSV with the columns of a page's `data.csv`:
/// the pages' and the charts' own): its numbers where some file shows it, None where every file
/// flags it `c`.
fn shown_figures(dir: &Path) -> Result<super::BundleFigures, BundleError> {
    let mut out = std::collections::BTreeMap::new();
    for rel in files_below(dir).map_err(|e| io(dir, e))? {
        if !rel.ends_with(".csv") {
            continue;
        }
        let path = dir.join(&rel);
        let mut r = csv::Reader::from_path(&path).map_err(|e| io(&path, e))?;
        let headers = r.headers().map_err(|e| io(&path, e))?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(i), Some(t), Some(p), Some(n), Some(d), Some(f)) = (
            col("indicator"),
            col("territory"),
            col("period"),
            col("numerator"),
            col("denominator"),
            col("flag"),
        ) else {
            continue;
        };
        for rec in r.records() {
            let rec = rec.map_err(|e| io(&path, e))?;
            let cell = |c: usize| uncell(rec.get(c).unwrap_or(""));
            let key = (
                cell(i).to_string(),
                cell(t).to_string(),
                cell(p).to_string(),
            );
            if cell(f) == super::CONFIDENTIAL {
                out.entry(key).or_insert(None);
                continue;
            }
            let number = |c: usize| cell(c).parse::<f64>().ok();
            out.insert(
                key,
                Some(super::ShownFigure {
                    numerator: number(n),
                    denominator: number(d),
                }),
            );
        }
    }
    Ok(out)
}

/// What `verify` found wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Changed(String),
    Missing(String),
    Unexpected(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Changed(p) => {
                write!(f, "{p}: changed since it was signed off (SHA-256 differs)")
            }
            Mismatch::Missing(p) => write!(f, "{p}: missing"),
            Mismatch::Unexpected(p) => write!(f, "{p}: not in the manifest (added after sign-off)"),
        }
    }
}

/// What `verify` found: the manifest, the files that do not match it, and the signature check.
pub struct Verification {
    pub manifest: BundleManifest,
    pub mismatches: Vec<Mismatch>,
    pub signature: SignatureCheck,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.signature.ok()
    }
}

/// Re-checks every file of a bundle against its manifest, and the manifest's signature against
/// `keys` (a missing signature fails when keys are given).
pub fn verify(bundle: &Path, keys: &[KnownKey]) -> Result<Verification, BundleError> {
    let (manifest, mismatches) = verify_files(bundle)?;
    let bytes = std::fs::read(bundle.join(MANIFEST)).map_err(|e| io(&bundle.join(MANIFEST), e))?;
    let sig_path = bundle.join(SIGNATURE);
    let signature = match std::fs::read_to_string(&sig_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&sig_path, e)),
    };
    let signature = super::signing::check(&bytes, signature.as_deref(), keys);
    Ok(Verification {
        manifest,
        mismatches,
        signature,
    })
}

/// Re-checks every file of a bundle against its manifest.
pub fn verify_files(bundle: &Path) -> Result<(BundleManifest, Vec<Mismatch>), BundleError> {
    let not_a_bundle = |message: String| BundleError::NotABundle {
        path: bundle.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(bundle.join(MANIFEST))
        .map_err(|e| not_a_bundle(format!("{MANIFEST}: {e}")))?;
    let manifest: BundleManifest =
        serde_json::from_str(&text).map_err(|e| not_a_bundle(format!("{MANIFEST}: {e}")))?;
    let mut problems = Vec::new();
    for f in &manifest.files {
        let path = bundle.join(&f.path);
        match sha256_file(&path) {
            Ok((sha, bytes)) if sha == f.sha256 && bytes == f.bytes => {}
            Ok(_) => problems.push(Mismatch::Changed(f.path.clone())),
            Err(_) => problems.push(Mismatch::Missing(f.path.clone())),
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for rel in files_below(bundle).map_err(|e| io(bundle, e))? {
        if rel != MANIFEST && rel != SIGNATURE && !listed.contains(rel.as_str()) {
            problems.push(Mismatch::Unexpected(rel));
        }
    }
    Ok((manifest, problems))
}
