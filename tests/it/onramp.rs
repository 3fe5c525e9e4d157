//! Starting a project: `check` on a folder that is not one, `init`, `schema` and `territories`.

use crate::common;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{BIN, osservatorio, repo, text};

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
    assert!(t.contains("13 files checked, 0 invalid"), "{t}");

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
    // ...and in a chart of a dashboard, and in a format's options.
    let dashboard = std::fs::read_to_string(repo().join("dashboards/pilotaggio.yaml"))
        .expect("bundled dashboard");
    let misspelled = dashboard.replacen("territory: VEN, period:", "territory: VEN, perod:", 1);
    assert_ne!(misspelled, dashboard);
    common::write(bad.path(), "dashboards/d.yaml", misspelled.as_bytes());
    let options = pipeline.replacen("delimiter: \";\"", "delimter: \";\"", 1);
    assert_ne!(options, pipeline);
    common::write(bad.path(), "pipelines/q.yaml", options.as_bytes());
    let out = validate(&schemas, &[bad.path()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("'fromat' was unexpected"), "{t}");
    assert!(t.contains("'local' was unexpected"), "{t}");
    assert!(
        t.contains("INVALID") && t.contains("d.yaml: sections/0/charts/0"),
        "{t}"
    );
    assert!(t.contains("q.yaml: sources/0/options"), "{t}");
    assert!(t.contains("4 files checked, 4 invalid"), "{t}");
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

/// The rows of a territories.csv text: (code, name, level, parent).
fn territory_rows(csv_text: &[u8]) -> Vec<[String; 4]> {
    csv::Reader::from_reader(csv_text)
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            [0, 1, 2, 3].map(|i| r.get(i).unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn territories_of_veneto_from_the_official_lists() {
    let out = Command::new(BIN)
        .args(["territories", "--istat", "05"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.starts_with(b"code,name,level,parent\n"));
    let rows = territory_rows(&out.stdout);
    let find = |code: &str| {
        rows.iter()
            .find(|r| r[0] == code)
            .unwrap_or_else(|| panic!("no {code}"))
    };
    assert_eq!(find("IT")[2], "nazione");
    assert_eq!(find("VEN")[1..], ["Veneto", "regione", "IT"]);
    let mut provinces: Vec<&str> = rows
        .iter()
        .filter(|r| r[2] == "provincia")
        .map(|r| {
            assert_eq!(r[3], "VEN", "{r:?}");
            r[0].as_str()
        })
        .collect();
    provinces.sort();
    assert_eq!(provinces, ["BL", "PD", "RO", "TV", "VE", "VI", "VR"]);
    assert_eq!(find("PD")[1], "Provincia di Padova");
    assert_eq!(find("028060")[1..], ["Padova", "comune", "PD"]);
    assert_eq!(find("028001")[1..], ["Abano Terme", "comune", "PD"]);
    assert_eq!(find("024116")[1..], ["Vicenza", "comune", "VI"]);

    // Counted by hand from ANPR's archive (municipalities in force, by SIGLAPROVINCIA) and again
    // here from the data file itself, read as plain CSV.
    let comuni = |p: &str| {
        rows.iter()
            .filter(|r| r[2] == "comune" && r[3] == p)
            .count()
    };
    assert_eq!(comuni("PD"), 102);
    assert_eq!(rows.iter().filter(|r| r[2] == "comune").count(), 563);
    let data = std::fs::read(repo().join("assets/territories/istat.csv")).expect("the data file");
    let mut from_file = std::collections::BTreeMap::<String, usize>::new();
    for r in csv::Reader::from_reader(data.as_slice()).records() {
        let r = r.expect("a row");
        if r.get(0) == Some("comune") {
            *from_file
                .entry(r.get(4).unwrap_or("").to_string())
                .or_default() += 1;
        }
    }
    for p in provinces {
        assert_eq!(comuni(p), from_file[p], "{p}");
    }
    assert_eq!(rows.len(), 1 + 1 + 7 + 563);

    let out = Command::new(BIN)
        .args(["territories", "--istat", "05", "--istat", "03"])
        .output()
        .expect("runs");
    let rows = territory_rows(&out.stdout);
    assert!(rows.iter().any(|r| r[0] == "LO" && r[3] == "LOM"));
    assert_eq!(rows.iter().filter(|r| r[0] == "IT").count(), 1);

    let out = Command::new(BIN)
        .args(["territories", "--istat", "99"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("05 Veneto"), "{}", text(&out));
}

#[test]
fn a_project_on_the_official_lists_with_its_own_facilities_checks_and_runs() {
    let parent = tempfile::tempdir().expect("a temporary folder");
    let dir = parent.path().join("p");
    let out = init(&[dir.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let settings = std::fs::read_to_string(dir.join("osservatorio.yaml")).expect("settings");
    let settings = settings.replace(
        "territories: territories.csv",
        "territories: { istat: [05], extra: strutture.csv }",
    );
    std::fs::write(dir.join("osservatorio.yaml"), settings).expect("write");
    std::fs::remove_file(dir.join("territories.csv")).expect("remove");
    // Only the office's own units: their parents are official municipalities.
    common::write(
        &dir,
        "strutture.csv",
        b"code,name,level,parent\nCAS001,CAS Padova 1,struttura,028060\nCAS002,CAS Padova 2,struttura,028060\n\
          CAS003,CAS Abano Terme 3,struttura,028001\nSAI004,SAI Abano Terme 4,struttura,028001\n",
    );
    // An indicator over a municipality code that ceased in 2019 (Campolongo sul Brenta, now Valbrenta).
    let indicators =
        std::fs::read_to_string(dir.join("indicators/accoglienza.yaml")).expect("read");
    let indicators = indicators.replace(
        "indicators:\n",
        "indicators:\n  - id: presenze_valbrenta\n    title: Presenze\n    kind: output\n    unit: count\n    grain: month\n    small_cells: show\n    sql: |\n      SELECT '024023' AS territory, date_trunc('month', data) AS period, SUM(presenti) AS numerator\n      FROM presenze GROUP BY 1, 2\n\n",
    );
    std::fs::write(dir.join("indicators/accoglienza.yaml"), indicators).expect("write");

    let out = validate(&dir.join(".schema"), &[&dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = osservatorio(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("576 territories"), "{}", text(&out));
    let out = osservatorio(&dir, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.join("out/index.html").is_file());

    let mut r = csv::Reader::from_path(dir.join("out/indicators.csv")).expect("indicators.csv");
    let h = r.headers().expect("a header").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect("a column");
    let (ind, ter, per, num) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("numerator"),
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("a row")).collect();
    let value = |i: &str, t: &str, p: &str| {
        rows.iter()
            .find(|x| &x[ind] == i && &x[ter] == t && &x[per] == p)
            .map(|x| x[num].to_string())
    };
    // The facilities roll up through the official municipalities, province, region and country.
    let pd = value("ospiti_presenti", "PD", "2025-01").expect("PD");
    assert_eq!(
        value("ospiti_presenti", "VEN", "2025-01").as_deref(),
        Some(pd.as_str())
    );
    assert_eq!(
        value("ospiti_presenti", "IT", "2025-01").as_deref(),
        Some(pd.as_str())
    );
    assert!(value("ospiti_presenti", "028060", "2025-01").is_some());
    // The ceased code is counted for its successor, and up through Vicenza.
    let vb = value("presenze_valbrenta", "024125", "2025-01").expect("Valbrenta");
    assert_eq!(vb, pd);
    assert_eq!(
        value("presenze_valbrenta", "VI", "2025-01").as_deref(),
        Some(pd.as_str())
    );
    assert!(value("presenze_valbrenta", "024023", "2025-01").is_none());

    // An unknown region and an extra unit listed again among the official ones are refused.
    std::fs::write(
        dir.join("osservatorio.yaml"),
        "name: x\nterritories: { istat: [\"05\", \"25\"], extra: strutture.csv }\n",
    )
    .expect("write");
    common::write(
        &dir,
        "strutture.csv",
        b"code,name,level,parent\nPD,Padova,provincia,VEN\n",
    );
    let out = osservatorio(&dir, &["check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("territories.istat[1]"), "{t}");
    assert!(t.contains("already an official territory"), "{t}");
    // A source placed in a municipality that has since merged is told its successor.
    let pipeline = std::fs::read_to_string(dir.join("pipelines/presenze.yaml")).expect("read");
    let pipeline = pipeline.replace("territory: PD", "territory: \"024023\"");
    std::fs::write(dir.join("pipelines/presenze.yaml"), pipeline).expect("write");
    let t = text(&osservatorio(&dir, &["check"]));
    assert!(
        t.contains("ceased on 2019-01-29: its successor is 024125 (Valbrenta)"),
        "{t}"
    );

    // Neither a file nor a list of regions.
    std::fs::write(
        dir.join("osservatorio.yaml"),
        "territories: { regions: [\"05\"] }\n",
    )
    .expect("write");
    let t = text(&osservatorio(&dir, &["check"]));
    assert!(
        t.contains("{ istat: [\"05\"], extra: territories.csv }"),
        "{t}"
    );
}

/// `osservatorio draft ARGS`, run in `cwd`.
fn draft(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("draft")
        .args(args)
        .current_dir(cwd)
        .env("OSSERVATORIO_LOG", "warn")
        .output()
        .expect("the binary runs")
}

#[test]
fn draft_reads_an_export_and_gives_evidence_for_each_choice() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let p = dir.path();
    // Windows-1252, two title rows, semicolons, decimal comma, dd/mm/yyyy, ISTAT codes with their
    // leading zeros, a yes/no column and a total row.
    let mut export = String::from(
        "Prefettura di Padova - Ufficio accoglienza\r\nEstrazione del 05/02/2025\r\n\
         Data rilevazione;Codice comune;Struttura;N. presenti;Costo medio;Ispezionata\r\n",
    );
    for (i, (day, comune, pres, costo, isp)) in [
        ("31/01/2025", "028060", 25, "35,50", "sì"),
        ("31/01/2025", "028001", 18, "1.234,75", "no"),
        ("28/02/2025", "028060", 27, "36,10", "no"),
        ("28/02/2025", "028032", 12, "33,90", "sì"),
    ]
    .iter()
    .enumerate()
    {
        export.push_str(&format!(
            "{day};{comune};CAS Città {i};{pres};{costo};{isp}\r\n"
        ));
    }
    export.push_str("Totale;;;82;;\r\n");
    // à and ì are single bytes (0xE0, 0xEC) in Windows-1252, as in Latin-1.
    let export: Vec<u8> = export.chars().map(|c| c as u32 as u8).collect();
    common::write(p, "data/presenze.csv", &export);

    let out = draft(
        p,
        &[
            "data/presenze.csv",
            "--table",
            "presenze",
            "--source",
            "presenze-padova",
        ],
    );
    let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for want in [
        "encoding: windows-1252",
        "not UTF-8",
        "delimiter: \";\"",
        "header_row: 3",
        "rows 1-2",
        "decimal: \",\"",
        "date_format: \"%d/%m/%Y\"",
        "skip_totals: true",
        "data_rilevazione: date",
        "codice_comune: string",
        "codice_comune: { header: Codice comune, pad: 6 }",
        "n_presenti: int",
        "costo_medio: float",
        "ispezionata: bool",
        "name: presenze-padova",
        "url: data/presenze.csv",
    ] {
        assert!(yaml.contains(want), "{want} missing from\n{yaml}");
    }
    assert!(!yaml.contains("QUESTION:"), "{yaml}");

    // The draft is a pipeline that checks and ingests as it is.
    common::write(p, "pipelines/presenze.yaml", yaml.as_bytes());
    common::write(p, "osservatorio.yaml", b"name: bozza\n");
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{yaml}", text(&out));
    let out = osservatorio(p, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{yaml}", text(&out));
    assert!(
        text(&out).contains("ingested            4"),
        "{}",
        text(&out)
    );
}

#[test]
fn draft_asks_when_the_values_read_both_ways_and_check_refuses_until_answered() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let p = dir.path();
    common::write(
        p,
        "data/importi.csv",
        "anno,ente,importo\n2024,Comune di Lodi,1.234\n2025,Comune di Lodi,2.500\n".as_bytes(),
    );
    let out = draft(p, &["data/importi.csv"]);
    let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(yaml.contains("encoding: utf-8"), "{yaml}");
    assert!(yaml.contains("delimiter: \",\""), "{yaml}");
    assert!(yaml.contains("QUESTION:"), "{yaml}");
    assert!(
        yaml.contains("'importo' holds only values such as 1.234"),
        "{yaml}"
    );
    common::write(p, "pipelines/importi.yaml", yaml.as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("options.decimal"), "{}", text(&out));
    // Answered, it checks.
    let answered = yaml
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("decimal:") {
                "      decimal: \",\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    common::write(p, "pipelines/importi.yaml", answered.as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{answered}", text(&out));
}

#[test]
fn draft_reads_a_workbook_past_its_title_rows() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().expect("a temporary folder");
    let p = dir.path();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Presenze").expect("sheet name");
    ws.write_string(0, 0, "Prefettura di Vicenza - presenze mensili")
        .expect("cell");
    for (c, h) in ["Data", "Cod. Comune", "Ospiti presenti", "Costo medio"]
        .iter()
        .enumerate()
    {
        ws.write_string(2, c as u16, *h).expect("cell");
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (i, (m, comune, ospiti, costo)) in [(1, "024116", 30.0, 35.5), (2, "024012", 28.0, 36.25)]
        .iter()
        .enumerate()
    {
        let row = 3 + i as u32;
        let d = ExcelDateTime::from_ymd(2025, *m, 28).expect("a date");
        ws.write_datetime_with_format(row, 0, &d, &date)
            .expect("cell");
        ws.write_string(row, 1, *comune).expect("cell");
        ws.write_number(row, 2, *ospiti).expect("cell");
        ws.write_number(row, 3, *costo).expect("cell");
    }
    wb.add_worksheet().set_name("Note").expect("sheet name");
    let bytes = wb.save_to_buffer().expect("a workbook");
    common::write(p, "data/vicenza.xlsx", &bytes);

    let out = draft(p, &["data/vicenza.xlsx", "--table", "presenze"]);
    let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for want in [
        "format: xlsx",
        "sheet: Presenze",
        "also has Note",
        "header_row: 3",
        "data: date",
        "stored as dates",
        "cod_comune: { header: Cod. Comune, pad: 6 }",
        "ospiti_presenti: int",
        "costo_medio: float",
    ] {
        assert!(yaml.contains(want), "{want} missing from\n{yaml}");
    }
    assert!(
        !yaml.contains("date_format") && !yaml.contains("decimal:"),
        "{yaml}"
    );
    common::write(p, "pipelines/vicenza.yaml", yaml.as_bytes());
    let out = osservatorio(p, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{yaml}", text(&out));
    let out = osservatorio(p, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{yaml}", text(&out));
    assert!(
        text(&out).contains("ingested            2"),
        "{}",
        text(&out)
    );
}

// ---- Messages that say the fix ---------------------------------------------------------------

/// A fresh `init` project in a temporary folder, edited by `edit` (file, from, to) replacements.
fn init_project_with(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let p = dir.path().join("p");
    let out = init(&[p.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (file, from, to) in edits {
        let path = p.join(file);
        let t = std::fs::read_to_string(&path).expect("a file of the project");
        assert!(t.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, t.replacen(from, to, 1)).expect("edited");
    }
    dir
}

fn check_lines(dir: &tempfile::TempDir) -> (i32, Vec<String>) {
    let out = osservatorio(&dir.path().join("p"), &["check"]);
    let t = text(&out);
    (
        out.status.code().unwrap_or(-1),
        t.lines()
            .filter(|l| l.starts_with("  "))
            .map(|l| l.trim().to_string())
            .collect(),
    )
}

#[test]
fn every_problem_of_a_file_is_reported_at_once_with_the_key_meant() {
    // `option` misspelled hid `delimeter` inside it and the column not in the table after it.
    let dir = init_project_with(&[
        ("pipelines/presenze.yaml", "options: {", "option: {"),
        ("pipelines/presenze.yaml", "delimiter:", "delimeter:"),
        (
            "pipelines/presenze.yaml",
            "presenti: N. presenti",
            "presenti: N. presenti\n      presentii: X",
        ),
    ]);
    let (code, lines) = check_lines(&dir);
    assert_eq!(code, 2, "{lines:?}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].contains("sources[0].option: unknown key `option`: did you mean `options`?"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("option.delimeter: unknown key `delimeter`: did you mean `delimiter`?"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("columns.presentii")
            && lines[2].contains("not a column of table 'presenze'"),
        "{lines:?}"
    );
    // Each at its own line of the file.
    assert!(
        lines[0].starts_with("pipelines/presenze.yaml:2"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("untagged") && !l.contains("ColumnMapFile")),
        "{lines:?}"
    );
}

#[test]
fn a_problem_that_follows_from_another_is_not_reported() {
    // A unit typo refuses the indicator: the charts that show it are not "not defined" as well;
    // a pipeline that does not parse leaves the delivery indicators unknown, not missing.
    let dir = init_project_with(&[
        (
            "indicators/accoglienza.yaml",
            "unit: percent",
            "unit: percento",
        ),
        (
            "pipelines/presenze.yaml",
            "name: presenze",
            "nome: presenze\nname: presenze\ntables: [x",
        ),
    ]);
    let (code, lines) = check_lines(&dir);
    assert_eq!(code, 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("'percento' is not a unit: did you mean percent?")),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains("is not defined")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pipelines/presenze.yaml")),
        "{lines:?}"
    );
}

#[test]
fn an_unquoted_year_says_to_quote_it_at_the_chart_s_own_line() {
    let dir = init_project_with(&[(
        "dashboards/accoglienza.yaml",
        "period: \"2025\" }",
        "period: 2025 }",
    )]);
    let (code, lines) = check_lines(&dir);
    assert_eq!(code, 2, "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let t =
        std::fs::read_to_string(dir.path().join("p/dashboards/accoglienza.yaml")).expect("read");
    let line = t
        .lines()
        .position(|l| l.contains("period: 2025 }"))
        .expect("the chart")
        + 1;
    assert!(
        lines[0].starts_with(&format!(
            "dashboards/accoglienza.yaml:{line}: sections[0].charts[0].period"
        )),
        "{lines:?}"
    );
    assert!(
        lines[0].contains(
            "the number 2025 where a text is expected: write it in quotes, period: \"2025\""
        ),
        "{lines:?}"
    );
}

#[test]
fn ids_tables_and_territories_get_the_one_meant() {
    let dir = init_project_with(&[
        (
            "dashboards/accoglienza.yaml",
            "type: trend, indicator: tasso_occupazione",
            "type: trend, indicator: taso_occupazione",
        ),
        (
            "pipelines/presenze.yaml",
            "    table: presenze\n    territory: PD",
            "    table: presenza\n    territory: Padova",
        ),
    ]);
    let (code, lines) = check_lines(&dir);
    assert_eq!(code, 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("indicator 'taso_occupazione' is not defined in indicators/: did you mean 'tasso_occupazione'?")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains(
            "table 'presenza' is not declared in any pipeline (did you mean 'presenze'?"
        )),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("'Padova' is the name of Padova: write its code, 028060")),
        "{lines:?}"
    );
}

/// The FAILED line a run prints for the project's one source.
fn run_failure(dir: &tempfile::TempDir) -> String {
    let out = osservatorio(&dir.path().join("p"), &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    t.lines()
        .find(|l| l.starts_with("FAILED"))
        .unwrap_or_else(|| panic!("no FAILED line: {t}"))
        .to_string()
}

fn rewrite_export(dir: &tempfile::TempDir, f: impl Fn(&str) -> Vec<u8>) {
    let path = dir.path().join("p/data/presenze.csv");
    let t = std::fs::read_to_string(&path).expect("the sample export");
    std::fs::write(&path, f(&t)).expect("rewritten");
}

#[test]
fn an_export_read_with_the_wrong_settings_gets_the_setting_that_reads_it() {
    // Title rows above the header: the row that holds the headers.
    let dir = init_project_with(&[]);
    rewrite_export(&dir, |t| {
        format!("Prefettura di Padova\nPresenze mensili\n{t}").into_bytes()
    });
    let failed = run_failure(&dir);
    assert!(
        failed.contains("row 3 holds every mapped header: set header_row: 3"),
        "{failed}"
    );

    // Excel's Windows encoding: the encoding that reads the headers, not a replacement character.
    let dir = init_project_with(&[(
        "pipelines/presenze.yaml",
        "struttura: Codice struttura",
        "struttura: Città struttura",
    )]);
    rewrite_export(&dir, |t| {
        let utf8 = t.replace("Codice struttura", "Città struttura");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&utf8);
        bytes.into_owned()
    });
    let failed = run_failure(&dir);
    assert!(failed.contains("set encoding: windows-1252"), "{failed}");
    assert!(!failed.contains("did you mean"), "{failed}");

    // Decimal commas read with decimal ".": the value read and the setting.
    let dir = init_project_with(&[(
        "pipelines/presenze.yaml",
        "presenti: int,",
        "presenti: float,",
    )]);
    rewrite_export(&dir, |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        for l in lines.iter_mut().skip(1) {
            let mut f: Vec<String> = l.split(';').map(str::to_string).collect();
            f[2] = format!("{},5", f[2]);
            *l = f.join(";");
        }
        (lines.join("\n") + "\n").into_bytes()
    });
    let failed = run_failure(&dir);
    assert!(failed.contains("line 2, column presenti: '25,5' not a number with decimal \".\"; it is 25.5 with decimal \",\""), "{failed}");
    assert!(
        failed.contains("set decimal: \",\" in the source's options"),
        "{failed}"
    );
}
