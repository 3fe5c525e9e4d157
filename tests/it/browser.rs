//! The bundled project's report opened in headless Chromium, as a steering group member would
//! open it: every page loads without a console error and without a broken image, and every
//! dashboard prints to an A4 PDF of several pages. Where Chromium should be present (`CI=true`)
//! its absence fails the test rather than skipping it.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Loads `page` in a frame of a small harness page that lists the images that did not load,
/// and returns (images, broken images, console lines Chromium logged).
fn open_in_chromium(
    chromium: &Path,
    page: &Path,
    work: &Path,
) -> (usize, Vec<String>, Vec<String>) {
    let url = format!("file://{}", page.display());
    let harness = work.join(format!(
        "harness-{}.html",
        page.parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(
        &harness,
        format!(
            r#"<html><body><iframe id="f" src="{url}" width="1100" height="900"></iframe><pre id="out">pending</pre>
<script>
document.getElementById('f').onload = function () {{
  var d = document.getElementById('f').contentDocument;
  var imgs = Array.prototype.slice.call(d.images);
  var broken = imgs.filter(function (i) {{ return !(i.complete && i.naturalWidth > 0); }})
                   .map(function (i) {{ return i.getAttribute('src'); }});
  document.getElementById('out').textContent = 'RESULT images=' + imgs.length + ' broken=' + broken.join('|') + ' END';
}};
</script></body></html>"#
        ),
    )
    .expect("write the harness");
    let profile = tempfile::tempdir().expect("a profile folder");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", harness.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|r| r.split(" END").next())
        .unwrap_or_else(|| {
            panic!(
                "{}: the page did not load in Chromium: {dom}",
                page.display()
            )
        });
    let images = result
        .split("images=")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let broken = result
        .split("broken=")
        .nth(1)
        .unwrap_or("")
        .split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (images, broken, console)
}

#[test]
fn every_page_opens_cleanly_and_every_dashboard_prints_on_a4() {
    let Some(chromium) = chromium() else {
        eprintln!("Chromium not installed: the browser test runs where it is (CI installs it)");
        return;
    };
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(p, &["render", "--pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let work = tempfile::tempdir().expect("a work folder");
    let dashboards = ["pilotaggio", "piano-di-zona", "rete-sportelli"];
    let mut pages = vec![p.join("out/index.html")];
    pages.extend(
        dashboards
            .iter()
            .map(|d| p.join("out").join(d).join("index.html")),
    );
    for page in &pages {
        let (images, broken, console) = open_in_chromium(&chromium, page, work.path());
        assert!(
            broken.is_empty(),
            "{}: broken images {broken:?}",
            page.display()
        );
        assert!(
            console.is_empty(),
            "{}: console says {console:#?}",
            page.display()
        );
        if page.parent() != Some(&p.join("out")) {
            assert!(images >= 5, "{}: {images} images", page.display());
        }
    }
    for d in dashboards {
        let pdf = std::fs::read(p.join("out").join(d).join(format!("{d}.pdf"))).expect("the PDF");
        assert!(pdf.starts_with(b"%PDF"), "{d}.pdf");
        let body = String::from_utf8_lossy(&pdf);
        let pages = body.matches("/Type /Page\n").count()
            + body.matches("/Type /Page ").count()
            + body.matches("/Type /Page/").count()
            + body.matches("/Type /Page>").count();
        // Sections start on a new page: every bundled dashboard has at least four.
        assert!(pages >= 4, "{d}.pdf has {pages} pages");
        // A4 is 595 × 842 points.
        assert!(
            body.contains("MediaBox [0 0 594.95996 841.91998]"),
            "{d}.pdf is A4"
        );
    }
}
