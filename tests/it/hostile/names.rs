//! Names: those the output or the warehouse use for themselves, and odd names, are refused.

use super::*;

#[test]
fn names_the_output_or_the_warehouse_use_for_themselves_and_odd_names_are_refused() {
    let dashboard = |id: &str| {
        format!(
            "id: {id}\ntitle: Spese\nsections:\n  - title: Spesa\n    charts:\n      - {{ type: trend, indicator: spesa, territories: [PD] }}\n"
        )
    };
    for (id, expect) in [
        ("published", "published"),
        ("deliveries", "deliveries"),
        ("index", "index"),
    ] {
        let dir = project(&[
            ("pipelines/p.yaml", PIPELINE.as_bytes()),
            ("indicators/i.yaml", INDICATORS.as_bytes()),
            ("dashboards/d.yaml", dashboard(id).as_bytes()),
            ("spese.csv", b"mese,voce,importo\n"),
        ]);
        let out = osservatorio(dir.path(), &["check"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(
            t.contains("d.yaml") && t.contains("id") && t.contains(expect),
            "{t}"
        );
    }
    let long = "a".repeat(300);
    for (pipeline, key) in [
        (
            PIPELINE
                .replace("  spese:\n", "  _history:\n")
                .replace("table: spese", "table: _history"),
            "_history",
        ),
        (PIPELINE.replace("name: spese-pd", "name: a/b"), "a/b"),
        (
            PIPELINE.replace("name: spese-pd", "name: \"la mia fonte\""),
            "la mia fonte",
        ),
        (
            PIPELINE.replace("name: spese-pd", &format!("name: {long}")),
            "aaaa",
        ),
        (PIPELINE.replace("name: p\n", "name: \"p'q\"\n"), "p'q"),
    ] {
        // It names the file and the name, and says what is allowed.
        let t = check_refuses(&pipeline, &["p.yaml", key, "lower-case letters"]);
        assert!(t.len() < 2000, "the name is quoted, not copied: {t}");
    }
    // An indicator id.
    let dir = project(&[
        ("pipelines/p.yaml", PIPELINE.as_bytes()),
        (
            "indicators/i.yaml",
            INDICATORS
                .replace("id: spesa", "id: \"spesa totale\"")
                .as_bytes(),
        ),
        ("spese.csv", b"mese,voce,importo\n"),
    ]);
    let out = osservatorio(dir.path(), &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("i.yaml") && t.contains("indicators[0].id"),
        "{t}"
    );
}

#[test]
fn the_bundled_project_keeps_valid_names() {
    let dir = common::bundled_project();
    let out = osservatorio(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
