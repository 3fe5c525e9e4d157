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

/// `osservatorio init ARGS` (no --project).
fn init(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN)
        .arg("init")
        .args(args)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn init_checks_and_runs(kind: &str, locale: &str, comment: &str, foreign: &str) {
    let parent = tempfile::tempdir().expect("a temporary folder");
    let dir = parent.path().join("nuovo").join("progetto");
    let out = init(&[
        dir.as_os_str(),
        "--kind".as_ref(),
        kind.as_ref(),
        "--locale".as_ref(),
        locale.as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let settings = std::fs::read_to_string(dir.join("osservatorio.yaml")).expect("settings");
    assert!(
        settings.contains(&format!("locale: {locale}")),
        "{settings}"
    );
    let mut yaml = vec![dir.join("osservatorio.yaml")];
    for d in ["pipelines", "indicators", "dashboards"] {
        let files: Vec<_> = std::fs::read_dir(dir.join(d))
            .expect("a folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        assert_eq!(files.len(), 1, "{d}: {files:?}");
        yaml.extend(files);
    }
    let mut comments = String::new();
    for f in &yaml {
        let t = std::fs::read_to_string(f).expect("a YAML file");
        let first = t.lines().next().unwrap_or("");
        let schema = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{}: first line {first}", f.display()));
        let target = f.parent().expect("a folder").join(schema);
        assert!(
            target.is_file(),
            "{} names {}",
            f.display(),
            target.display()
        );
        assert!(!t.contains("#it:") && !t.contains("#en:"), "{t}");
        comments.extend(
            t.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .map(|l| l.to_string() + "\n"),
        );
    }
    assert!(comments.contains(comment), "{comments}");
    assert!(!comments.contains(foreign), "{comments}");
    let indicators = std::fs::read_to_string(&yaml[2]).expect("indicators");
    for k in ["kind: output", "kind: process", "kind: outcome"] {
        assert_eq!(indicators.matches(k).count(), 1, "{k}");
    }
    assert_eq!(indicators.matches("targets:").count(), 3, "{indicators}");
    assert!(std::fs::read_dir(dir.join("data")).expect("data/").count() > 0);

    let out = validate(&dir.join(".schema"), &[&dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("4 files checked, 0 invalid"),
        "{}",
        text(&out)
    );

    let out = osservatorio(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(&dir, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(!t.contains("FAILED"), "{t}");
    assert!(dir.join("out/index.html").is_file(), "{t}");
    let rows = std::fs::read_to_string(dir.join("out/indicators.csv")).expect("indicators.csv");
    assert!(rows.lines().count() > 10, "{rows}");
}

#[test]
fn init_prefettura_in_italian_checks_and_runs() {
    init_checks_and_runs(
        "prefettura",
        "it",
        "L'albero dei territori",
        "The tree of territories",
    );
}

#[test]
fn init_ambito_in_english_checks_and_runs() {
    init_checks_and_runs(
        "ambito",
        "en",
        "The tree of territories",
        "L'albero dei territori",
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("mine.txt"), "keep me").expect("write");
    let out = init(&[dir.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not empty"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine.txt")).expect("read"),
        "keep me"
    );
}
