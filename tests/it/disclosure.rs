//! Disclosure control and sign-off, checked from the outside: the published figures are audited
//! by code that only reads them and the territory hierarchy, never the suppressor's own reasoning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::hierarchy::tree;
use crate::common::{bundled_project, osservatorio, project, text, write};
use proptest::prelude::*;

/// One published figure as `data.csv` gives it: numerator (None when empty) and flag.
#[derive(Debug, Clone, PartialEq)]
struct Published {
    numerator: Option<f64>,
    denominator: Option<f64>,
    confidential: bool,
}

type Table = BTreeMap<(String, String), Published>;

/// Reads a page's `data.csv` for one indicator: (territory, period) → figure.
fn published(dir: &Path, dashboard: &str, indicator: &str) -> Table {
    let mut r = csv::Reader::from_path(dir.join("out").join(dashboard).join("data.csv"))
        .expect("the page's data.csv");
    let headers = r.headers().expect("a header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (i, t, p, n, d, f, v, s, a) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("numerator"),
        col("denominator"),
        col("flag"),
        col("value"),
        col("status"),
        col("achievement"),
    );
    let mut out = Table::new();
    for rec in r.records() {
        let rec = rec.expect("a row");
        if &rec[i] != indicator {
            continue;
        }
        let confidential = &rec[f] == "c";
        if confidential {
            assert!(
                rec[n].is_empty() && rec[d].is_empty() && rec[v].is_empty(),
                "a suppressed figure keeps no number: {rec:?}"
            );
            assert!(
                rec[s].is_empty() && rec[a].is_empty(),
                "nor a status: {rec:?}"
            );
        }
        out.insert(
            (rec[t].to_string(), rec[p].to_string()),
            Published {
                numerator: rec[n].parse().ok(),
                denominator: rec[d].parse().ok(),
                confidential,
            },
        );
    }
    out
}

/// The parent of each period label: months → quarter and year, quarters → year.
fn period_parents(period: &str) -> Vec<String> {
    let parts: Vec<&str> = period.split('-').collect();
    match parts.as_slice() {
        [y, q] if q.starts_with('Q') => vec![y.to_string()],
        [y, m] => {
            let month: u32 = m.parse().expect("a month");
            vec![format!("{y}-Q{}", (month - 1) / 3 + 1), y.to_string()]
        }
        _ => Vec::new(),
    }
}

/// Every figure that could be worked out by subtraction: a relation (a parent and its children
/// over territory, or a period and its sub-periods) with exactly one confidential member.
/// Also every published figure under k. Returns a description of each finding.
fn audit(table: &Table, parent_of: &BTreeMap<String, String>, k: f64) -> Vec<String> {
    let mut groups: BTreeMap<(String, String, String), BTreeSet<(String, String)>> =
        BTreeMap::new();
    for (t, p) in table.keys() {
        if let Some(parent) = parent_of.get(t)
            && table.contains_key(&(parent.clone(), p.clone()))
        {
            groups
                .entry(("territory".into(), parent.clone(), p.clone()))
                .or_default()
                .insert((t.clone(), p.clone()));
        }
        for pp in period_parents(p) {
            if table.contains_key(&(t.clone(), pp.clone())) {
                let grain = if p.contains('Q') {
                    "quarters"
                } else {
                    "months"
                };
                groups
                    .entry((format!("time:{grain}"), t.clone(), pp))
                    .or_default()
                    .insert((t.clone(), p.clone()));
            }
        }
    }
    let mut findings = Vec::new();
    for ((kind, t, p), children) in &groups {
        let parent_hidden = table[&(t.clone(), p.clone())].confidential;
        let hidden: Vec<&(String, String)> =
            children.iter().filter(|c| table[*c].confidential).collect();
        if usize::from(parent_hidden) + hidden.len() == 1 {
            findings.push(format!(
                "{kind} {t} {p}: one hidden member ({}) recoverable from the others",
                if parent_hidden {
                    format!("{t} {p}")
                } else {
                    format!("{:?}", hidden[0])
                }
            ));
        }
    }
    for ((t, p), f) in table {
        for x in [f.numerator, f.denominator].into_iter().flatten() {
            if x > 0.0 && x < k {
                findings.push(format!("{t} {p}: {x} published although under {k}"));
            }
        }
    }
    findings
}

const TERRITORIES: &[u8] = b"code,name,level,parent\nREG,Regione,regione,\nP1,Provincia uno,provincia,REG\nP2,Provincia due,provincia,REG\nP3,Provincia tre,provincia,REG\nC1,Comune uno,comune,P1\nC2,Comune due,comune,P1\n";

const PIPELINE: &str = r#"name: minori
tables:
  arrivi:
    columns: { data: date, territorio: string, minori: int, strutture: int }
    required: [data, territorio]
sources:
  - { name: arrivi, table: arrivi, territory: REG, url: arrivi.csv, format: csv }
"#;

const INDICATORS: &str = r#"indicators:
  - id: minori
    title: Minori accolti
    kind: output
    unit: count
    grain: quarter
    sql: SELECT territorio AS territory, date_trunc('quarter', data) AS period, SUM(minori) AS numerator FROM arrivi GROUP BY 1, 2
  - id: strutture
    title: Strutture attive
    kind: output
    unit: count
    grain: quarter
    small_cells: show
    sql: SELECT territorio AS territory, date_trunc('quarter', data) AS period, SUM(strutture) AS numerator FROM arrivi GROUP BY 1, 2
"#;

const DASHBOARD: &str = r#"id: minori
title: Minori
sections:
  - title: Tutto
    charts:
      - { type: table, indicators: [minori, strutture], territories: [REG, P1, P2, P3, C1, C2], period: "2024" }
      - { type: trend, indicators: minori, indicator: minori, territories: [REG, P1, P2, P3, C1, C2], grain: quarter }
      - { type: trend, indicator: strutture, territories: [REG, P1, P2, P3, C1, C2], grain: quarter }
"#;

/// Region 35 = provinces 20 + 3 + 12; province P1 20 = municipalities 18 + 2; P1's quarters 2, 6, 6, 6.
const ARRIVI: &str = "data,territorio,minori,strutture\n\
2024-02-01,C2,2,1\n\
2024-05-01,C1,6,2\n\
2024-08-01,C1,6,2\n\
2024-11-01,C1,6,2\n\
2024-03-01,P2,3,1\n\
2024-01-15,P3,6,3\n\
2024-07-15,P3,6,3\n";

fn parents() -> BTreeMap<String, String> {
    [
        ("P1", "REG"),
        ("P2", "REG"),
        ("P3", "REG"),
        ("C1", "P1"),
        ("C2", "P1"),
    ]
    .iter()
    .map(|(c, p)| (c.to_string(), p.to_string()))
    .collect()
}

fn minors_project() -> tempfile::TempDir {
    let dashboard = DASHBOARD.replace("indicators: minori, ", "");
    let dir = project(&[
        ("pipelines/minori.yaml", PIPELINE.as_bytes()),
        ("indicators/minori.yaml", INDICATORS.as_bytes()),
        ("dashboards/minori.yaml", dashboard.as_bytes()),
        ("arrivi.csv", ARRIVI.as_bytes()),
    ]);
    write(dir.path(), "territories.csv", TERRITORIES);
    dir
}

#[test]
fn nothing_is_recoverable_by_subtraction_and_facilities_stay_visible() {
    let dir = minors_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let minori = published(p, "minori", "minori");
    let findings = audit(&minori, &parents(), 5.0);
    assert!(findings.is_empty(), "{findings:#?}\n{minori:#?}");
    let shown = |t: &str, per: &str| minori[&(t.to_string(), per.to_string())].numerator;
    // The small ones are hidden, and so is what would give them away.
    for (t, per) in [
        ("P2", "2024"),
        ("C2", "2024"),
        ("P1", "2024-Q1"),
        ("C2", "2024-Q1"),
    ] {
        assert_eq!(shown(t, per), None, "{t} {per}");
    }
    // Each complement is the smallest sibling: P3 (12) beside P2 (3), C1 (18) beside C2 (2).
    assert_eq!(shown("P3", "2024"), None);
    assert_eq!(shown("C1", "2024"), None);
    // Totals that protect nobody stay published (hand-computed from ARRIVI).
    assert_eq!(shown("REG", "2024"), Some(35.0));
    assert_eq!(shown("P1", "2024"), Some(20.0));

    // Facilities are counted, not protected: all shown, small ones included.
    let strutture = published(p, "minori", "strutture");
    assert!(
        strutture.values().all(|f| !f.confidential),
        "{strutture:#?}"
    );
    assert_eq!(
        strutture[&("P2".to_string(), "2024".to_string())].numerator,
        Some(1.0)
    );

    // The page says how many figures are hidden and why; the exact table stays exact.
    let page = std::fs::read_to_string(p.join("out/minori/index.html")).expect("the page");
    assert!(
        page.contains("oscurati"),
        "the page explains the suppression"
    );
    let exact = std::fs::read_to_string(p.join("out/indicators.csv")).expect("indicators.csv");
    assert!(
        exact.contains("minori,P2,provincia,2024,year,3,"),
        "{exact}"
    );
}

#[test]
fn a_suppressed_figure_leaves_no_trace_in_charts_or_tables() {
    let dir = minors_project();
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let table = std::fs::read_to_string(p.join("out/minori/chart-01.csv")).expect("table CSV");
    let p2 = table
        .lines()
        .find(|l| l.contains("Provincia due") && l.contains(",Minori"))
        .expect("a row for P2");
    // Typology, indicator, territory, period, value: the value is `c`, and no cell holds the 3.
    let cells: Vec<&str> = p2.split(',').collect();
    assert_eq!(cells.get(4), Some(&"c"), "{p2}");
    assert!(!cells.contains(&"3"), "{p2}");
    // The trend's own data file flags the same figure and leaves its numbers empty.
    let data = std::fs::read_to_string(p.join("out/minori/chart-02-data.csv")).expect("chart data");
    let row = data
        .lines()
        .find(|l| l.starts_with("minori,P2,") && l.contains(",2024-Q1,"))
        .expect("P2's first quarter in the chart's data");
    assert!(row.ends_with(",c") && row.contains(",,,"), "{row}");
    // No chart label carries the hidden 3.
    let svg = std::fs::read_to_string(p.join("out/minori/chart-02.svg")).expect("trend SVG");
    assert!(!svg.contains(">3<"), "a suppressed value is drawn");
}

#[test]
fn the_bundled_steering_dashboard_no_longer_leaks_by_subtraction() {
    let dir = bundled_project();
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for d in ["pilotaggio", "piano-di-zona"] {
        assert!(
            p.join("out").join(d).join("data.csv").exists(),
            "{d}/data.csv"
        );
        assert!(
            p.join("out").join(d).join("data.xlsx").exists(),
            "{d}/data.xlsx"
        );
    }
    // MSNA completing their path, 2025: Padova (4 of 6) was hidden while Veneto and the other two
    // provinces were shown, so Padova = Veneto − Vicenza − Verona.
    let msna = published(p, "pilotaggio", "msna_percorso_completato");
    let hidden = |t: &str| msna[&(t.to_string(), "2025".to_string())].confidential;
    assert!(hidden("PD"));
    if !hidden("VEN") {
        let others = ["VI", "VR"].iter().filter(|t| hidden(t)).count();
        assert!(others >= 1, "Padova is recoverable from Veneto: {msna:#?}");
    }
    // Facilities inspected count facilities: shown, Vicenza's 4 of 8 included.
    let inspected = published(p, "pilotaggio", "strutture_ispezionate");
    let vi = &inspected[&("VI".to_string(), "2025".to_string())];
    assert_eq!((vi.numerator, vi.denominator), (Some(4.0), Some(8.0)));
}

fn signed_off_bundle(p: &Path) -> std::path::PathBuf {
    let out = osservatorio(
        p,
        &["publish", "--by", "Maria Rossi", "--note", "GdP 12/2026"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("bundle: ").map(str::to_string))
        .expect("the bundle's path");
    std::path::PathBuf::from(line)
}

/// The paths a bundle's manifest lists.
fn manifest_files(manifest: &serde_json::Value) -> Vec<&str> {
    manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect()
}

/// Changes one byte of a published file (read-only, as every published file is).
fn tamper(file: &Path) {
    let mut perms = std::fs::metadata(file)
        .expect("a published file")
        .permissions();
    assert!(perms.readonly(), "published files are read-only");
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(file, perms).expect("make writable");
    let mut bytes = std::fs::read(file).expect("its bytes");
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    std::fs::write(file, bytes).expect("tamper");
}

#[test]
fn publish_signs_off_an_immutable_bundle_that_verify_rechecks() {
    let dir = minors_project();
    let p = dir.path();
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing rendered yet: {}",
        text(&out)
    );
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let out = osservatorio(
        p,
        &[
            "publish",
            "--by",
            "Maria Rossi",
            "--run",
            "20000101T000000Z-00001",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let bundle = signed_off_bundle(p);
    assert!(
        bundle.starts_with(p.join("out/published")),
        "{}",
        bundle.display()
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("MANIFEST.json")).expect("a manifest"),
    )
    .expect("JSON");
    assert_eq!(manifest["signed_off_by"], "Maria Rossi");
    assert_eq!(manifest["note"], "GdP 12/2026");
    assert_eq!(manifest["indicators"].as_array().map(Vec::len), Some(2));
    assert_eq!(manifest["sources"][0]["name"], "arrivi");
    assert_eq!(
        manifest["sources"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );
    let files = manifest_files(&manifest);
    assert!(files.contains(&"minori/data.csv"), "{files:?}");
    assert!(files.contains(&"minori/chart-02.svg"), "{files:?}");
    assert!(
        !files.iter().any(|f| f.contains("indicators.")),
        "the exact tables stay internal: {files:?}"
    );
    // The index lists the bundle.
    let index = std::fs::read_to_string(p.join("out/index.html")).expect("index");
    assert!(
        index.contains("Maria Rossi"),
        "the index lists the signed-off bundle"
    );

    let bundle_arg = bundle.to_string_lossy().into_owned();
    let out = osservatorio(p, &["verify", &bundle_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The same run cannot be signed off twice into the same folder.
    let again = osservatorio(p, &["publish", "--by", "Luca Bianchi"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));

    // One byte of a chart changes: verify names the file.
    tamper(&bundle.join("minori/chart-02.svg"));
    let out = osservatorio(p, &["verify", &bundle_arg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("minori/chart-02.svg"), "{}", text(&out));
    assert!(!text(&out).contains("chart-01"), "{}", text(&out));
}

// Random hierarchies and counts, published through the real publication stage and audited.

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_hierarchies_leave_nothing_recoverable(
        t in tree(14),
        counts in prop::collection::vec(prop_oneof![0u32..5, 0u32..40], 14 * 4),
    ) {
        // Leaves report one figure per quarter.
        let mut csv = String::from("data,territorio,minori,strutture\n");
        let mut c = counts.iter();
        for code in t.leaves() {
            for q in 0..4 {
                let n = c.next().copied().unwrap_or(0);
                csv.push_str(&format!("2024-{:02}-01,{code},{n},1\n", q * 3 + 1));
            }
        }
        let codes = t.codes();
        let dashboard = format!(
            "id: minori\ntitle: Minori\nsections:\n  - title: Tutto\n    charts:\n      - {{ type: table, indicators: [minori], territories: [{codes}], period: \"2024\" }}\n      - {{ type: trend, indicator: minori, territories: [{codes}], grain: quarter }}\n",
        );
        let dir = project(&[
            ("pipelines/minori.yaml", PIPELINE.replace("territory: REG", "territory: T0").as_bytes()),
            ("indicators/minori.yaml", INDICATORS.as_bytes()),
            ("dashboards/minori.yaml", dashboard.as_bytes()),
            ("arrivi.csv", csv.as_bytes()),
        ]);
        write(dir.path(), "territories.csv", t.territories_csv().as_bytes());
        let out = osservatorio(dir.path(), &["run"]);
        prop_assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let table = published(dir.path(), "minori", "minori");
        let findings = audit(&table, &t.parent_of(), 5.0);
        prop_assert!(findings.is_empty(), "{:#?}", findings);
        // Suppression stays proportionate: no more hidden than twice the small ones plus one per relation that needed it.
        let hidden = table.values().filter(|f| f.confidential).count();
        let small = table.values().filter(|f| f.numerator.is_some_and(|n| n > 0.0 && n < 5.0)).count();
        prop_assert_eq!(small, 0);
        prop_assert!(hidden * 10 <= table.len() * 9 || table.len() < 10, "{} of {} hidden", hidden, table.len());
    }
}
