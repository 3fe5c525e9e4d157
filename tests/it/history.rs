//! Indicator history: a data revision and a target revision, each attributed to its cause, and a
//! history that does not grow when nothing changes.

use crate::common::{osservatorio, project, text, write};

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
    let table = std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv");
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("not recomputed"), "{}", text(&out));
    assert_eq!(files(p), before, "an unchanged run stores nothing");
    assert_eq!(
        std::fs::read(p.join("out/indicators.csv")).expect("indicators.csv"),
        table,
        "an unchanged run leaves the table as it was"
    );
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

#[test]
fn a_planted_outlier_and_a_rule_violation_are_found_with_their_line() {
    let pipeline = "name: p\ntables:\n  presenze:\n    columns: { mese: date, struttura: string, presenti: int, posti: int }\n    required: [struttura]\n    checks:\n      - { name: presenti_entro_posti, rule: \"presenti <= posti\" }\n    outliers:\n      - { columns: [presenti], by: struttura, threshold: 3.5 }\nsources:\n  - { name: presenze-pd, table: presenze, territory: PD, url: presenze.csv, format: csv }\n";
    let mut csv = String::from("mese,struttura,presenti,posti\n");
    for month in 1..=12 {
        // PD001 hosts about 20 every month but 200 in July (line 14); PD002 overflows its 30 places
        // in May (line 11), by a margin ordinary for its own series.
        let p1 = if month == 7 { 200 } else { 20 + month % 3 };
        csv.push_str(&format!("2024-{month:02}-01,PD001,{p1},250\n"));
        let p2 = if month == 5 { 31 } else { 26 + month % 3 };
        csv.push_str(&format!("2024-{month:02}-01,PD002,{p2},30\n"));
    }
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("presenze.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let out = osservatorio(p, &["findings", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect();
    let brief: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| (r[2].clone(), r[3].clone(), r[6].clone(), r[7].clone()))
        .collect();
    assert_eq!(
        brief,
        vec![
            (
                "11".into(),
                "rule".into(),
                "".into(),
                "struttura=PD002".into()
            ),
            (
                "14".into(),
                "outlier".into(),
                "200".into(),
                "struttura=PD001".into()
            ),
        ],
        "{rows:?}"
    );
    assert!(rows[1][8].contains("struttura=PD001"), "{rows:?}");
    // The same findings are in the report's folder.
    let file = std::fs::read_to_string(p.join("out/findings.csv")).expect("findings.csv");
    assert_eq!(file.lines().count(), 3, "{file}");
}

#[test]
fn only_the_indicators_that_read_a_changed_export_are_recomputed() {
    let pipeline = "name: p\ntables:\n  a:\n    columns: { mese: date, n: int }\n  b:\n    columns: { mese: date, n: int }\nsources:\n  - { name: sa, table: a, territory: PD, url: a.csv, format: csv }\n  - { name: sb, table: b, territory: PD, url: b.csv, format: csv }\n";
    let indicator = |id: &str, table: &str| {
        format!(
            "  - id: {id}\n    title: {id}\n    kind: output\n    unit: count\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(n) AS numerator FROM {table} GROUP BY 1, 2\n"
        )
    };
    let indicators = format!(
        "indicators:\n{}{}",
        indicator("da_a", "a"),
        indicator("da_b", "b")
    );
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("indicators/i.yaml", indicators.as_bytes()),
        ("a.csv", b"mese,n\n2024-01-01,10\n"),
        ("b.csv", b"mese,n\n2024-01-01,20\n"),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let run_ids = |p: &std::path::Path| -> Vec<(String, String)> {
        let mut r = csv::Reader::from_path(p.join("out/indicators.csv")).expect("indicators.csv");
        let h = r.headers().expect("header").clone();
        let (i, run) = (
            h.iter().position(|x| x == "indicator").unwrap_or(0),
            h.iter().position(|x| x == "run_id").unwrap_or(0),
        );
        let mut v: Vec<(String, String)> = r
            .records()
            .map(|x| x.expect("row"))
            .map(|x| (x[i].to_string(), x[run].to_string()))
            .collect();
        v.dedup();
        v
    };
    let first = run_ids(p);
    write(p, "b.csv", b"mese,n\n2024-01-01,25\n");
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = run_ids(p);
    let of = |v: &[(String, String)], id: &str| {
        v.iter()
            .find(|(i, _)| i == id)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        of(&second, "da_a"),
        of(&first, "da_a"),
        "da_a reads nothing that changed"
    );
    assert_ne!(
        of(&second, "da_b"),
        of(&first, "da_b"),
        "da_b reads the changed export"
    );
}

const DELIVERIES: &str = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: \"exports/*.csv\", format: csv, supersede: by_period }\n";

/// How many figure states the newest run stored in the history.
fn stored_by_last_run(p: &std::path::Path) -> u64 {
    let out = osservatorio(p, &["runs", "--limit", "1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    runs[0]["history_rows"].as_u64().expect("history_rows")
}

#[test]
fn a_correction_stores_only_the_figures_it_moved_and_history_names_the_delivery() {
    // By hand: January 40, February 50, March 30 in Padova, rolled up to the first quarter and
    // the year, and to Veneto: 5 figures each, 10 in all. A correction of February (60) moves
    // February, the quarter and the year in both territories: 6 figures; January and March,
    // whose exports and values did not change, are not stored again.
    let dir = project(&[
        ("pipelines/p.yaml", DELIVERIES.as_bytes()),
        ("indicators/i.yaml", indicators(100).as_bytes()),
        (
            "exports/a_2024-01.csv",
            b"mese,voce,importo\n2024-01-01,vitto,40\n",
        ),
        (
            "exports/a_2024-02.csv",
            b"mese,voce,importo\n2024-02-01,vitto,50\n",
        ),
        (
            "exports/a_2024-03.csv",
            b"mese,voce,importo\n2024-03-01,vitto,30\n",
        ),
    ]);
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    assert_eq!(stored_by_last_run(p), 10);
    write(
        p,
        "exports/b_rettifica_2024-02.csv",
        b"mese,voce,importo\n2024-02-01,vitto,60\n",
    );
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stored_by_last_run(p), 6);

    // What the indicator read is kept once per run, not per figure.
    let inputs = std::fs::read_dir(p.join("warehouse/_history"))
        .expect("history")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".inputs.json"))
        .count();
    assert_eq!(inputs, 2);

    // The history names the delivery that revised February, and January has one state.
    let out = osservatorio(
        p,
        &["history", "spesa", "--territory", "PD", "--format", "csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<(String, String, String)> = r
        .records()
        .map(|x| {
            let x = x.expect("a row");
            (x[1].to_string(), x[4].to_string(), x[9].to_string())
        })
        .collect();
    let of = |period: &str| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r.0 == period)
            .map(|r| (r.1.clone(), r.2.clone()))
            .collect()
    };
    assert_eq!(of("2024-01"), vec![("40".into(), "first computed".into())]);
    assert_eq!(
        of("2024-02"),
        vec![
            ("50".into(), "first computed".into()),
            (
                "60".into(),
                "data revision: spese-pd (b_rettifica_2024-02.csv)".into()
            ),
        ]
    );
    assert_eq!(
        of("2024")[1],
        (
            "130".into(),
            "data revision: spese-pd (b_rettifica_2024-02.csv)".into()
        )
    );
}
