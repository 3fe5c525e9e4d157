//! Runs the real binary on copies of the bundled project and checks what a user gets back.
//!
//! Expected figures come from `tests/expected/compute_expected.py`, which reads the sample exports
//! with DuckDB and openpyxl, never with osservatorio.

use std::collections::HashMap;
use std::path::Path;

use crate::common::{BIN, bundled_project, osservatorio, repo, stored_file, text};
use std::process::Command;

type Row = HashMap<String, String>;

fn indicator_rows(project: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(project.join("out/indicators.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], indicator: &str, territory: &str, period: &str) -> &'a Row {
    rows.iter()
        .find(|r| {
            r["indicator"] == indicator && r["territory"] == territory && r["period"] == period
        })
        .unwrap_or_else(|| panic!("no row {indicator} {territory} {period}"))
}

fn num(r: &Row, col: &str) -> f64 {
    r[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", r[col]))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn bundled_project_runs_end_to_end_with_independently_computed_figures() {
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("index.html"),
        "the run says where the report is"
    );

    let rows = indicator_rows(p);
    let header: Vec<&str> = vec![
        "indicator",
        "territory",
        "territory_level",
        "period",
        "grain",
        "numerator",
        "denominator",
        "value",
        "target",
        "achievement",
        "status",
        "run_id",
        "previous",
        "change",
        "definition",
        "provisional",
    ];
    let mut keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    keys.sort();
    let mut want = header.clone();
    want.sort();
    assert_eq!(keys, want);

    // A percentage rolled up from facilities to the region, and from months to the year.
    let ven = find(&rows, "tasso_occupazione", "VEN", "2024");
    assert_eq!(ven["territory_level"], "regione");
    assert_eq!(ven["grain"], "year");
    assert!(
        close(num(ven, "numerator"), 7965.0) && close(num(ven, "denominator"), 9162.0),
        "{ven:?}"
    );
    assert!((num(ven, "value") - 86.935166994).abs() < 1e-6, "{ven:?}");
    let pd = find(&rows, "tasso_occupazione", "PD", "2024");
    assert!(
        close(num(pd, "numerator"), 3127.0) && close(num(pd, "denominator"), 3637.0),
        "{pd:?}"
    );

    // A value from the Windows-1252 export with decimal commas, to the cent.
    let cost = find(&rows, "costo_pro_die", "PD", "2024");
    assert_eq!(cost["numerator"], "3110141.75");
    assert!(close(num(cost, "denominator"), 95107.0));
    assert!((num(cost, "value") - 32.701501992).abs() < 1e-6);
    assert_eq!(
        cost["status"], "achieved",
        "35 euro is a ceiling (direction down)"
    );

    // A count, per year from months and per plan period, with its targets.
    let lodi = find(&rows, "persone_prese_in_carico", "LODI", "2024");
    assert_eq!(lodi["value"], "184");
    assert_eq!(lodi["denominator"], "");
    assert_eq!(lodi["target"], "200");
    assert_eq!(lodi["status"], "on_track");
    let plan = find(&rows, "persone_prese_in_carico", "LODI", "2025-2027");
    assert_eq!(
        (
            plan["grain"].as_str(),
            plan["value"].as_str(),
            plan["status"].as_str()
        ),
        ("plan", "217", "off_track")
    );

    // Year on year, against the figures DuckDB computed (tests/expected/compute_expected.json).
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/expected/compute_expected.json")).unwrap(),
    )
    .unwrap();
    let lodi_2023 = expected["persone_prese_in_carico LODI 2023"]["value"]
        .as_f64()
        .unwrap();
    let lodi_2024 = expected["persone_prese_in_carico LODI 2024"]["value"]
        .as_f64()
        .unwrap();
    assert!(close(num(lodi, "previous"), lodi_2023), "{lodi:?}");
    assert!(
        close(num(lodi, "change"), lodi_2024 - lodi_2023),
        "{lodi:?}"
    );
    assert_eq!(lodi["definition"].len(), 64, "a SHA-256 of the definition");
    let first = find(&rows, "persone_prese_in_carico", "LODI", "2023");
    assert_eq!(first["previous"], "", "no 2022 in the samples");

    // A target status from a computed share.
    let table = find(&rows, "partecipazione_tavolo", "LODI", "2024");
    assert_eq!(
        (table["numerator"].as_str(), table["denominator"].as_str()),
        ("10", "14")
    );
    assert_eq!(table["status"], "achieved");

    // A plan indicator whose targets come from the office's own workbook.
    let sat = find(&rows, "pdz_soddisfazione", "CREMA", "2021-2023");
    assert_eq!(
        (
            sat["value"].as_str(),
            sat["target"].as_str(),
            sat["status"].as_str()
        ),
        ("7.7", "8", "on_track")
    );
    let next = find(&rows, "pdz_soddisfazione", "CREMA", "2025-2027");
    assert_eq!(
        (next["value"].as_str(), next["status"].as_str()),
        ("", "no_data")
    );

    // Rows that do not fit are kept aside with their line, column and reason.
    let rejected = p.join("warehouse/_rejected/presenze/source=padova-presenze");
    assert_eq!(
        rejected_lines(&rejected),
        vec![
            (102, "data".to_string()),
            (202, "struttura".to_string()),
            (252, "presenti".to_string())
        ],
        "lines as an editor shows them in the Windows (CR/LF) export"
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.join("warehouse/_manifests/padova-presenze.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["published"]["rejected_rows"], 3);
    assert_eq!(manifest["published"]["rows"], 285);

    // The report: an index, a page per dashboard, each chart as SVG and PNG, tables as CSV and XLSX.
    let index = std::fs::read_to_string(p.join("out/index.html")).unwrap();
    assert!(index.contains("pilotaggio/index.html") && index.contains("piano-di-zona/index.html"));
    assert!(
        index.contains("padova-presenze"),
        "freshness lists the sources"
    );
    let page = std::fs::read_to_string(p.join("out/pilotaggio/index.html")).unwrap();
    assert!(page.contains("chart-02.svg") && page.contains("lang=\"it\""));
    assert!(
        std::fs::read_to_string(p.join("out/pilotaggio/chart-02.svg"))
            .unwrap()
            .contains("<svg")
    );
    assert!(
        std::fs::read(p.join("out/pilotaggio/chart-02.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    assert!(p.join("out/pilotaggio/chart-09.xlsx").exists());
    let csv = std::fs::read_to_string(p.join("out/pilotaggio/chart-09.csv")).unwrap();
    assert!(csv.contains("Veneto"), "{csv}");
    // The steering group's map: Veneto's provinces of territories.csv, each coloured by its value.
    let map = std::fs::read_to_string(p.join("out/pilotaggio/chart-12.svg")).unwrap();
    for code in ["PD", "VI", "VR"] {
        assert!(
            map.contains(&format!(
                "<path class=\"area value\" data-territory=\"{code}\""
            )),
            "{code} is on the map"
        );
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "pages need no network"
    );

    // Ad-hoc read-only SQL over the warehouse and the computed table.
    let q = osservatorio(
        p,
        &[
            "query",
            "SELECT _source, COUNT(*) AS n FROM presenze GROUP BY 1 ORDER BY 1",
            "--format",
            "csv",
        ],
    );
    assert_eq!(q.status.code(), Some(0), "{}", text(&q));
    assert_eq!(
        String::from_utf8_lossy(&q.stdout).trim(),
        "_source,n\npadova-presenze,285\nverona-presenze,287\nvicenza-presenze,288"
    );
    let q = osservatorio(
        p,
        &[
            "query",
            "SELECT value FROM indicators WHERE indicator = 'persone_prese_in_carico' AND territory = 'LODI' AND period = '2024'",
            "--format",
            "csv",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "value\n184.0");
    assert_eq!(
        osservatorio(p, &["query", "DELETE FROM presenze"])
            .status
            .code(),
        Some(2)
    );

    // Lineage: the files and checksums behind an indicator.
    let e = osservatorio(p, &["explain", "tasso_occupazione"]);
    let explained = String::from_utf8_lossy(&e.stdout).to_string();
    assert!(explained.contains("reads tables: presenze"), "{explained}");
    let sha = sha256_hex(&p.join("data-samples/prefetture/padova/presenze.csv"));
    assert!(explained.contains(&format!("padova-presenze → presenze (PD): data-samples/prefetture/padova/presenze.csv, sha256 {sha}")), "{explained}");

    // A second run finds every export unchanged and does not ingest it again.
    let again = osservatorio(p, &["ingest"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let m2: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.join("warehouse/_manifests/padova-presenze.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m2["last_attempt"]["status"], "unchanged");
    assert_eq!(m2["published"]["run_id"], manifest["published"]["run_id"]);
    let runs = String::from_utf8_lossy(&osservatorio(p, &["runs"]).stdout).to_string();
    assert_eq!(runs.lines().count(), 3, "a header and two runs: {runs}");
    assert!(
        runs.lines()
            .nth(1)
            .is_some_and(|l| l.contains("ingest") && l.contains(" ok ")),
        "newest first: {runs}"
    );
}

#[test]
fn check_passes_on_the_bundled_project_and_names_file_line_and_key_on_a_broken_copy() {
    let dir = bundled_project();
    let p = dir.path();
    let ok = osservatorio(p, &["check"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    let pipeline = p.join("pipelines/prefetture-veneto.yaml");
    let src = std::fs::read_to_string(&pipeline).unwrap();
    let broken = src.replacen(
        "    territory: PD\n    url: data-samples/prefetture/padova/presenze.csv",
        "    territory: XX\n    url: data-samples/prefetture/padova/presenze.csv",
        1,
    );
    assert_ne!(src, broken);
    std::fs::write(&pipeline, broken).unwrap();
    let ind = p.join("indicators/accoglienza.yaml");
    let src = std::fs::read_to_string(&ind).unwrap();
    std::fs::write(&ind, src.replacen("unit: percent", "unit: percentuale", 1)).unwrap();

    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    let line = broken_line(
        &std::fs::read_to_string(&pipeline).unwrap(),
        "territory: XX",
    );
    assert!(
        msg.contains(&format!(
            "pipelines/prefetture-veneto.yaml:{line}: sources[1].territory: territory 'XX'"
        )),
        "{msg}"
    );
    let line = broken_line(&std::fs::read_to_string(&ind).unwrap(), "unit: percentuale");
    assert!(
        msg.contains(&format!(
            "indicators/accoglienza.yaml:{line}: indicators[0].unit:"
        )),
        "{msg}"
    );

    // The same invalid project is refused by run, before anything is read or written.
    let run = osservatorio(p, &["run"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!p.join("warehouse").exists());
}

/// (line, column) of each rejected cell, read straight from the Parquet files of a source's
/// rejected rows (one per delivery).
fn rejected_lines(folder: &Path) -> Vec<(i64, String)> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    let batches = std::fs::read_dir(folder).unwrap().flatten().flat_map(|e| {
        let file = std::fs::File::open(e.path()).unwrap();
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
    });
    let mut out = Vec::new();
    for batch in batches {
        let batch = batch.unwrap();
        let lines = batch
            .column_by_name("line")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let cols = batch
            .column_by_name("column")
            .unwrap()
            .as_string::<i32>()
            .clone();
        out.extend((0..batch.num_rows()).map(|i| (lines.value(i), cols.value(i).to_string())));
    }
    out
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn broken_line(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn check_refuses_sql_that_is_not_a_query() {
    let dir = bundled_project();
    let p = dir.path();
    std::fs::write(
        p.join("indicators/zz_bad.yaml"),
        "indicators:\n  - id: distruttivo\n    title: x\n    kind: output\n    unit: count\n    grain: year\n    sql: DROP TABLE presenze\n",
    )
    .unwrap();
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(
        msg.contains(
            "indicators/zz_bad.yaml:7: indicators[0].sql: indicator 'distruttivo': only a query"
        ),
        "{msg}"
    );

    // A check rule naming a column its table does not have is caught the same way.
    let pipeline = p.join("pipelines/prefetture-veneto.yaml");
    let src = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(
        &pipeline,
        src.replace(
            "rule: \"presenti <= posti\"",
            "rule: \"presenti <= capienza\"",
        ),
    )
    .unwrap();
    let msg = text(&osservatorio(p, &["check"]));
    let line = broken_line(&std::fs::read_to_string(&pipeline).unwrap(), "capienza");
    let want = format!(
        "pipelines/prefetture-veneto.yaml:{line}: tables.presenze.checks[0].rule: check 'presenti_entro_posti'"
    );
    assert!(msg.contains(&want), "{msg}");
}

#[test]
fn a_failing_source_or_indicator_fails_alone_and_keeps_the_last_good_data() {
    let dir = bundled_project();
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let before = indicator_rows(p);
    let stored = stored_file(p, "verona-presenze").expect("Verona's data file");
    let stored_bytes = std::fs::read(&stored).unwrap();

    // Verona's export disappears; an indicator's SQL names a column that does not exist.
    std::fs::remove_file(p.join("data-samples/prefetture/verona/presenze.csv")).unwrap();
    std::fs::write(
        p.join("indicators/zz_broken.yaml"),
        "indicators:\n  - id: rotto\n    title: x\n    kind: output\n    unit: count\n    grain: year\n    sql: SELECT 1 AS territory, 2 AS period, nonexistent AS numerator FROM presenze\n",
    )
    .unwrap();
    let out = osservatorio(p, &["run", "--full"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("verona-presenze") || msg.contains("verona/presenze.csv"),
        "{msg}"
    );
    assert!(msg.contains("rotto"), "{msg}");

    assert_eq!(
        std::fs::read(&stored).unwrap(),
        stored_bytes,
        "the last good partition stays"
    );
    let after = indicator_rows(p);
    let a = find(&after, "tasso_occupazione", "VEN", "2024");
    let b = find(&before, "tasso_occupazione", "VEN", "2024");
    assert_eq!(a["value"], b["value"], "Verona's last data still counts");
    assert!(after.iter().all(|r| r["indicator"] != "rotto"));
    let index = std::fs::read_to_string(p.join("out/index.html")).unwrap();
    // The bundled project is Italian: the page says it in Italian.
    assert!(
        index.contains("il file non esiste"),
        "the report names the failed source"
    );
}

#[test]
fn too_many_rejected_rows_fail_the_source_without_publishing() {
    let dir = bundled_project();
    let p = dir.path();
    let f = p.join("data-samples/prefetture/verona/presenze.csv");
    let text_in = std::fs::read_to_string(&f).unwrap();
    // Every other row loses its facility code: far more than the 5% allowed.
    let mangled: String = text_in
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split(',').collect();
            if i > 0 && i % 2 == 0 {
                cells[1] = "";
            }
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&f, mangled).unwrap();
    let out = osservatorio(p, &["ingest", "--pipeline", "prefetture-veneto"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("rows rejected, more than max_rejected"),
        "{}",
        text(&out)
    );
    assert!(stored_file(p, "verona-presenze").is_none());
    assert!(
        std::fs::read_dir(p.join("warehouse/presenze/source=verona-presenze"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "nothing of the failed export stays in the warehouse"
    );
    assert!(stored_file(p, "padova-presenze").is_some_and(|f| f.exists()));
}

#[test]
fn usage_errors_exit_with_status_2() {
    let dir = bundled_project();
    let out = osservatorio(dir.path(), &["compute", "--indicator", "nessuno"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unknown indicator nessuno"));
    let out = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    for cmd in ["run", "ingest", "compute", "render", "check"] {
        let help = Command::new(BIN).args([cmd, "--help"]).output().unwrap();
        assert_eq!(help.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&help.stdout).contains("--project"));
    }
}

#[test]
fn a_wrong_encoding_is_reported_with_its_first_line() {
    let dir = bundled_project();
    let p = dir.path();
    let pipeline = p.join("pipelines/prefetture-veneto.yaml");
    let src = std::fs::read_to_string(&pipeline).unwrap();
    // Padova's facility register is Windows-1252; declared as UTF-8, "Città" cannot be decoded.
    let declared = "options: { delimiter: \";\", encoding: windows-1252, decimal: \",\", date_format: \"%d/%m/%Y\" }\n    columns: { codice: Codice struttura";
    assert!(src.contains(declared));
    std::fs::write(
        &pipeline,
        src.replacen(
            declared,
            &declared.replace("encoding: windows-1252, ", ""),
            1,
        ),
    )
    .unwrap();
    // Bytes that are not UTF-8 are never stored as U+FFFD: the delivery fails, naming its first
    // bad line and byte and the setting that reads it; the other sources are read.
    let out = osservatorio(p, &["ingest", "--pipeline", "prefetture-veneto"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("data-samples/prefetture/padova/strutture.csv:2: byte 0xE0"),
        "{t}"
    );
    assert!(t.contains("encoding: windows-1252"), "{t}");
    assert!(
        t.lines()
            .any(|l| l.starts_with("padova-presenze") && l.contains("ingested")),
        "{t}"
    );
}

#[test]
fn schedule_runs_a_pipeline_on_its_cron_until_stopped() {
    let dir = bundled_project();
    let p = dir.path();
    let pipeline = p.join("pipelines/ambiti-lombardia.yaml");
    let src = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(
        &pipeline,
        src.replace("schedule: \"0 0 7 1 * *\"", "schedule: \"*/2 * * * * *\""),
    )
    .unwrap();
    let veneto = p.join("pipelines/prefetture-veneto.yaml");
    let src = std::fs::read_to_string(&veneto).unwrap();
    std::fs::write(&veneto, src.replace("schedule: \"0 30 6 * * *\"\n", "")).unwrap();
    let network = p.join("pipelines/rete-sportelli.yaml");
    let src = std::fs::read_to_string(&network).unwrap();
    std::fs::write(&network, src.replace("schedule: \"0 0 8 2 * *\"\n", "")).unwrap();
    let mut child = Command::new(BIN)
        .args(["schedule", "--project"])
        .arg(p)
        .env("OSSERVATORIO_LOG", "warn")
        .spawn()
        .unwrap();
    // Waits for the first scheduled run (ingest, compute, render of the whole bundled project) to
    // be recorded, and ends as soon as it is; the bound only keeps a hang from stalling the suite.
    let runs = p.join("warehouse/_runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    while std::time::Instant::now() < deadline
        && std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0) == 0
    {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::fs::read_dir(&runs)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(report["command"], "schedule");
    // Only the scheduled pipeline's sources were ingested.
    let sources: Vec<&str> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 8, "{sources:?}");
    assert!(
        sources
            .iter()
            .all(|s| s.starts_with("lodi-") || s.starts_with("crema-")),
        "{sources:?}"
    );
    assert!(p.join("out/index.html").exists());
}
