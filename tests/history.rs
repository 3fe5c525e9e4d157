//! Indicator history: a data revision and a target revision, each attributed to its cause, and a
//! history that does not grow when nothing changes.

mod common;

use common::{osservatorio, project, text, write};

const PIPELINE: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.csv, format: csv }\n  - { name: altre, table: altre, territory: PD, url: altre.csv, format: csv }\n";

fn indicators(target: u32) -> String {
    format!(
        "indicators:\n  - id: spesa\n    title: Spesa\n    kind: output\n    unit: euro\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n    targets:\n      - {{ value: {target} }}\n"
    )
}

fn history_csv(p: &std::path::Path) -> Vec<Vec<String>> {
    let out = osservatorio(
        p,
        &[
            "history",
            "spesa",
            "--territory",
            "PD",
            "--period",
            "2024",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    r.records()
        .map(|x| x.expect("a row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn history_tells_a_data_revision_from_a_target_revision() {
    let pipeline = PIPELINE.replace(
        "sources:\n",
        "  altre:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n",
    );
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("indicators/i.yaml", indicators(100).as_bytes()),
        (
            "spese.csv",
            b"mese,voce,importo\n2024-01-01,vitto,40\n2024-02-01,vitto,50\n",
        ),
        ("altre.csv", b"mese,voce,importo\n2024-01-01,x,1\n"),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));

    // The office revises its export: February was 60, not 50. Another export changes too, but
    // the indicator does not read it, so it is not named.
    write(
        p,
        "spese.csv",
        b"mese,voce,importo\n2024-01-01,vitto,40\n2024-02-01,vitto,60\n",
    );
    write(p, "altre.csv", b"mese,voce,importo\n2024-01-01,x,2\n");
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    // Nothing changes: nothing is stored.
    let files = |p: &std::path::Path| {
        std::fs::read_dir(p.join("warehouse/_history"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let before = files(p);
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    assert_eq!(files(p), before, "an unchanged run stores nothing");
    // The steering group raises the target.
    write(p, "indicators/i.yaml", indicators(120).as_bytes());
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));

    let rows = history_csv(p);
    let cols = |r: &Vec<String>| (r[4].clone(), r[7].clone(), r[9].clone());
    assert_eq!(
        rows.iter().map(cols).collect::<Vec<_>>(),
        vec![
            ("90".into(), "100".into(), "first computed".into()),
            ("100".into(), "100".into(), "data revision: spese-pd".into()),
            (
                "100".into(),
                "120".into(),
                "definition or target revision".into()
            ),
        ],
        "{rows:?}"
    );
    let out = osservatorio(p, &["history", "spesa"]);
    assert!(
        text(&out).contains("data revision: spese-pd"),
        "{}",
        text(&out)
    );
}
