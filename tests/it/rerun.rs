//! A run that finds nothing new is near-free: no export is read again, no indicator recomputed and
//! no page redrawn; and anything the report is drawn from that changes draws it again.

use crate::common::{osservatorio, project, text, write};

const PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.csv, format: csv }\n";

const INDICATORS: &str = "indicators:\n  - id: spesa\n    title: Spesa\n    kind: output\n    unit: euro\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n";

fn dashboard(title: &str) -> String {
    format!(
        "id: spese\ntitle: {title}\nsections:\n  - title: Spesa\n    charts:\n      - {{ type: trend, indicator: spesa, territories: [PD] }}\n"
    )
}

const WHERE: &str = "out/index.html";
const NOT_REDRAWN: &str = "so it was not drawn again";

/// Runs the project; returns whether the report was drawn again, and the dashboard page.
fn run(p: &std::path::Path) -> (bool, String) {
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let page = std::fs::read_to_string(p.join("out/spese/index.html")).expect("the page");
    (!t.contains(NOT_REDRAWN), page)
}

#[test]
fn an_unchanged_run_redraws_nothing_and_any_change_redraws() {
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        ("indicators/i.yaml", INDICATORS.as_bytes()),
        ("dashboards/spese.yaml", dashboard("Spese").as_bytes()),
        (
            "spese.csv",
            b"mese,voce,importo\n2024-01-01,vitto,40\n2024-02-01,vitto,50\n",
        ),
    ]);
    let p = dir.path();
    let (drawn, first) = run(p);
    assert!(drawn, "the first run draws the report");

    // Nothing changed: the same pages stay, not drawn again, and the run says so.
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert!(t.contains(NOT_REDRAWN), "{t}");
    assert!(t.contains("not recomputed"), "{t}");
    assert!(
        t.contains(WHERE),
        "the run still says where the report is: {t}"
    );
    let page = std::fs::read_to_string(p.join("out/spese/index.html")).expect("the page");
    assert_eq!(page, first);

    // New data: drawn again.
    write(
        p,
        "spese.csv",
        b"mese,voce,importo\n2024-01-01,vitto,40\n2024-02-01,vitto,70\n",
    );
    assert!(run(p).0, "new data redraws the report");
    assert!(!run(p).0, "and the run after it does not");

    // A dashboard's definition changes: drawn again, with the new title.
    write(
        p,
        "dashboards/spese.yaml",
        dashboard("Spese correnti").as_bytes(),
    );
    let (drawn, page) = run(p);
    assert!(drawn, "a changed dashboard redraws the report");
    assert!(page.contains("Spese correnti"));

    // A page of the report is deleted: drawn again.
    std::fs::remove_file(p.join("out/spese/index.html")).expect("removed");
    assert!(run(p).0, "a missing page redraws the report");

    // Only one dashboard drawn by hand: the next run draws the whole report again.
    assert!(!run(p).0);
    let out = osservatorio(p, &["render", "--dashboard", "spese"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        run(p).0,
        "after a partial render the next run redraws all of it"
    );

    // A source that fails: its state is on the report.
    std::fs::remove_file(p.join("spese.csv")).expect("removed");
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains(NOT_REDRAWN), "{}", text(&out));
}
