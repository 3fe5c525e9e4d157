//! Starting a project: `check` on a folder that is not one, `init`, `schema` and `territories`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, osservatorio, repo, text};

#[test]
fn check_on_a_folder_that_is_not_a_project_says_what_a_project_is() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("notes.txt"), "not a project").expect("write");
    let out = osservatorio(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("osservatorio.yaml"), "{t}");
    assert!(t.contains("osservatorio init"), "{t}");
    assert!(!t.contains("ok:"), "{t}");
}

/// Runs the independent validator over the schemas in `schemas` and the given project folders.
fn validate(schemas: &Path, projects: &[&Path]) -> Output {
    Command::new("python3")
        .arg(repo().join("tests/schema/validate.py"))
        .arg(schemas)
        .args(projects)
        .output()
        .expect("python3 runs (tests/run.sh installs jsonschema and PyYAML)")
}

#[test]
fn schemas_accept_every_bundled_yaml_and_refuse_a_misspelled_key() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let schemas = dir.path().join("schemas");
    let out = Command::new(BIN)
        .args(["schema", "--out"])
        .arg(&schemas)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for name in [
        "osservatorio.schema.json",
        "pipeline.schema.json",
        "indicator.schema.json",
        "dashboard.schema.json",
    ] {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(schemas.join(name)).expect("a schema file"))
                .expect("JSON");
        assert_eq!(
            s["$schema"], "http://json-schema.org/draft-07/schema#",
            "{name}"
        );
    }

    // Without --out: the same schemas, keyed by file name.
    let printed = Command::new(BIN).arg("schema").output().expect("runs");
    let all: serde_json::Value = serde_json::from_slice(&printed.stdout).expect("one JSON object");
    assert_eq!(all.as_object().map(|o| o.len()), Some(4), "{all}");
    assert!(all["pipeline.schema.json"]["properties"]["sources"].is_object());

    let out = validate(&schemas, &[&repo()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("10 files checked, 0 invalid"), "{t}");

    // A misspelled key, in a pipeline's source and in the project file, is refused.
    let bad = tempfile::tempdir().expect("a temporary folder");
    let pipeline = std::fs::read_to_string(repo().join("pipelines/rete-sportelli.yaml"))
        .expect("bundled pipeline");
    let misspelled = pipeline.replacen("    format: csv", "    fromat: csv", 1);
    assert_ne!(misspelled, pipeline);
    common::write(bad.path(), "pipelines/p.yaml", misspelled.as_bytes());
    common::write(
        bad.path(),
        "osservatorio.yaml",
        b"name: x\nlocal: it\nterritories: territories.csv\n",
    );
    let out = validate(&schemas, &[bad.path()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("'fromat' was unexpected"), "{t}");
    assert!(t.contains("'local' was unexpected"), "{t}");
    assert!(t.contains("2 files checked, 2 invalid"), "{t}");
}
