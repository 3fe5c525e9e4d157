//! Helpers shared by the integration tests: run the real binary on a project folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod cluster;
pub mod hierarchy;
pub mod http_server;
pub mod s3_server;
pub mod sportello;
pub mod xlsx;

pub const BIN: &str = env!("CARGO_BIN_EXE_osservatorio");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `osservatorio ARGS --project PROJECT` with quiet logs, to run, spawn, or give more variables.
pub fn command(project: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--project")
        .arg(project)
        .env("OSSERVATORIO_LOG", "warn");
    cmd
}

/// Runs `osservatorio ARGS --project PROJECT` with quiet logs.
pub fn osservatorio(project: &Path, args: &[&str]) -> Output {
    command(project, args)
        .output()
        .expect("the osservatorio binary runs")
}

/// Runs `osservatorio ARGS --project PROJECT` with quiet logs and the variables `env` set.
pub fn osservatorio_env(project: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    command(project, args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the osservatorio binary runs")
}

/// Waits while `child` runs until `done` holds, checking every few milliseconds: the event a test
/// orders on. True when it held with the child still running, false when the child ended first.
/// The bound only keeps a broken binary from hanging the suite.
pub fn wait_while_running(child: &mut std::process::Child, mut done: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        if child.try_wait().expect("the child's status").is_some() {
            return false;
        }
        if done() {
            return true;
        }
        assert!(
            std::time::Instant::now() < until,
            "the awaited event did not come in 600 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Standard output and error together, for assertions and failure messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A project folder holding `files` (relative path → content), with one territory `PD`.
pub fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write(
        dir.path(),
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nPD,Padova,provincia,VEN\n",
    );
    for (path, content) in files {
        write(dir.path(), path, content);
    }
    dir
}

/// A project folder holding `files` (as [`project`]), ingested: `osservatorio ingest` succeeded.
pub fn ingested(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = project(files);
    let out = osservatorio(dir.path(), &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

/// The line of `source` in the summary table a run or an ingest prints: its status and rows.
pub fn summary_line(out: &str, source: &str) -> (String, u64) {
    let line = out
        .lines()
        .find(|l| l.starts_with(source))
        .unwrap_or_else(|| panic!("no line for {source} in {out}"));
    let mut f = line.split_whitespace().skip(1);
    let status = f.next().unwrap_or("").to_string();
    let rows = f.next().and_then(|r| r.parse().ok()).unwrap_or(0);
    (status, rows)
}

pub fn write(root: &Path, rel: &str, content: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("create folder");
    std::fs::write(&path, content).expect("write file");
}

/// The rows of `osservatorio query SQL --format csv`, header excluded.
pub fn query(project: &Path, sql: &str) -> Vec<Vec<String>> {
    let out = osservatorio(project, &["query", sql, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    r.records()
        .map(|rec| rec.expect("a CSV row").iter().map(str::to_string).collect())
        .collect()
}

/// The rejected rows stored for a source: (line, column, value, reason).
pub fn rejected(project: &Path, table: &str, source: &str) -> Vec<(i64, String, String, String)> {
    use datafusion::arrow::array::{AsArray, Int64Array};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let folder = project.join(format!("warehouse/_rejected/{table}/source={source}"));
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    // One file per delivery, as the manifest names them; a test project's sources have one.
    let batches = entries.flatten().flat_map(|e| {
        let file = std::fs::File::open(e.path()).expect("a rejected-rows file");
        ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("a Parquet file")
            .build()
            .expect("a reader")
    });
    let mut out = Vec::new();
    for batch in batches {
        let b = batch.expect("a batch");
        let col = |name: &str| b.column(b.schema().index_of(name).expect("column")).clone();
        let lines = col("line");
        let lines = lines
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("line numbers");
        let (c, v, r) = (col("column"), col("value"), col("reason"));
        for i in 0..b.num_rows() {
            out.push((
                lines.value(i),
                c.as_string::<i32>().value(i).to_string(),
                v.as_string::<i32>().value(i).to_string(),
                r.as_string::<i32>().value(i).to_string(),
            ));
        }
    }
    out.sort_by_key(|r| r.0);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A temporary copy of the bundled project, without any warehouse or output of the repository.
pub fn bundled_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for d in ["pipelines", "indicators", "dashboards", "data-samples"] {
        copy_dir(&repo().join(d), &dir.path().join(d));
    }
    for f in ["osservatorio.yaml", "territories.csv"] {
        std::fs::copy(repo().join(f), dir.path().join(f)).expect("copy file");
    }
    dir
}

/// The data file a source's manifest points to now (the one readers read), if any.
pub fn stored_file(project: &Path, source: &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string(project.join(format!("warehouse/_manifests/{source}.json")))
        .ok()?;
    let m: serde_json::Value = serde_json::from_str(&text).ok()?;
    let file = m["published"]["file"].as_str()?;
    Some(project.join("warehouse").join(file))
}

/// The Chromium the PDF and browser tests use, or None where none is installed. Where Chromium
/// should be present (`CI=true`: `.ci/run` installs it) its absence fails the test instead.
pub fn chromium() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome"].map(|n| d.join(n)))
        .find(|p| p.is_file());
    if found.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Chromium is required in CI: .ci/run installs Debian's chromium");
    }
    found
}

/// LibreOffice's `soffice`, or None where it is not installed. Where it should be present
/// (`CI=true`: `.ci/run` installs it) its absence fails the test instead.
pub fn soffice() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .flat_map(|d| ["soffice", "libreoffice"].map(|n| d.join(n)))
        .find(|p| p.is_file());
    if found.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "LibreOffice is required in CI: .ci/run installs Debian's libreoffice-calc-nogui and libreoffice-writer-nogui"
        );
    }
    found
}

/// Converts `file` with headless LibreOffice (`soffice --convert-to FILTER`) into `out`, in the
/// C locale and with a profile of its own (tests convert in parallel, and a document's numbers
/// must show in the document's language, not the machine's); returns the converted file.
pub fn soffice_convert(soffice: &Path, file: &Path, filter: &str, out: &Path) -> PathBuf {
    let profile = tempfile::tempdir().expect("a temporary folder");
    let profile_url = format!("file://{}", profile.path().display());
    let o = Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile_url}"))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            filter,
            "--outdir",
        ])
        .arg(out)
        .arg(file)
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("soffice runs");
    let ext = filter.split(':').next().unwrap_or(filter);
    let stem = file.file_stem().expect("a file name");
    let converted = out.join(stem).with_extension(ext);
    assert!(
        o.status.success() && converted.is_file(),
        "LibreOffice did not convert {} to {ext}: {}",
        file.display(),
        text(&o)
    );
    converted
}

/// The text of a page, without its tags and with HTML's escapes undone.
pub fn page_text(path: &Path) -> String {
    let html = std::fs::read_to_string(path).expect("a page");
    let body = html.split("</style>").last().unwrap_or(&html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fresh `init` project (Italian, the default) in a temporary folder.
pub fn init_project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let p = dir.path().join("p");
    let out = Command::new(BIN)
        .arg("init")
        .arg(&p)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (dir, p)
}
