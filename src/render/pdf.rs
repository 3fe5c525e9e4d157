//! `render --pdf`: each dashboard printed to A4 by headless Chromium, the page's own print styles
//! giving page breaks between sections and page numbers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Why a dashboard could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No Chromium to print with.
    #[error(
        "render --pdf prints with headless Chromium, which was not found: install it (Debian/Ubuntu: apt-get install chromium) or set OSSERVATORIO_CHROMIUM to its path"
    )]
    NoChromium,
    /// Chromium ran but wrote no PDF.
    #[error("{page}: Chromium could not print the page: {detail}")]
    Print {
        /// The page.
        page: String,
        /// What Chromium said.
        detail: String,
    },
    /// The page, Chromium's profile or log, or the PDF could not be reached, started or moved.
    #[error("{page}: Chromium could not print the page: {source}")]
    Io {
        /// The page.
        page: String,
        #[source]
        source: std::io::Error,
    },
}

/// The Chromium to print with: `OSSERVATORIO_CHROMIUM`, else the first of the usual names on PATH.
pub fn find_chromium() -> Result<PathBuf, PdfError> {
    if let Some(p) = std::env::var_os("OSSERVATORIO_CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(PdfError::NoChromium)
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(PdfError::NoChromium)
}

/// How long one page may take to print.
const PRINT_TIMEOUT: Duration = Duration::from_secs(120);

/// Prints `page` (an HTML file) to `pdf`, atomically: a failed print leaves an earlier PDF intact.
pub fn print(chromium: &Path, page: &Path, pdf: &Path) -> Result<(), PdfError> {
    let fail = |detail: String| PdfError::Print {
        page: page.display().to_string(),
        detail,
    };
    let io = |source: std::io::Error| PdfError::Io {
        page: page.display().to_string(),
        source,
    };
    let page = std::fs::canonicalize(page).map_err(io)?;
    let url = url::Url::from_file_path(&page).map_err(|_| fail("not a local path".into()))?;
    let staging = pdf.with_extension("pdf.part");
    let profile = tempfile::tempdir().map_err(io)?;
    // To a file, not a pipe: a chatty Chromium could fill a pipe nobody reads while it prints.
    let log_path = profile.path().join("chromium.log");
    let log = std::fs::File::create(&log_path).map_err(io)?;
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-pdf-header-footer",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", staging.display()))
        .arg(url.as_str())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(io)?;
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait().map_err(io)? {
            Some(status) => break status,
            None if started.elapsed() > PRINT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&staging);
                return Err(fail(format!("no PDF after {} s", PRINT_TIMEOUT.as_secs())));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let printed = std::fs::metadata(&staging).is_ok_and(|m| m.len() > 0);
    if !status.success() || !printed {
        let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
        let _ = std::fs::remove_file(&staging);
        let last = stderr.lines().last().unwrap_or("no output").to_string();
        return Err(fail(format!("{status}: {last}")));
    }
    std::fs::rename(&staging, pdf).map_err(io)
}

/// Prints every dashboard rendered without error to `OUTPUT/DASHBOARD/DASHBOARD.pdf`; stops at
/// the first failure, naming the page.
pub fn print_dashboards(
    project: &crate::config::Project,
    outcomes: &[super::DashboardOutcome],
) -> Result<Vec<PathBuf>, PdfError> {
    let chromium = find_chromium()?;
    let out = &project.settings.output;
    let mut printed = Vec::new();
    for o in outcomes.iter().filter(|o| o.error.is_none()) {
        let dir = out.join(&o.dashboard);
        let pdf = dir.join(format!("{}.pdf", o.dashboard));
        print(&chromium, &dir.join("index.html"), &pdf)?;
        printed.push(pdf);
    }
    Ok(printed)
}
