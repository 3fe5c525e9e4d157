//! The audit before sign-off, checked from the outside: a count two indicators share is hidden
//! in both, a bundle whose pages give a small count away is refused naming it, and on random
//! hierarchies nothing published lets a linear programme pin a small count down. The intervals
//! are computed here, by a linear programme written from the indicators' definitions (which
//! figures add up, which count two indicators share), never from the program's own reasoning.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::hierarchy::tree;
use crate::common::{osservatorio, project, text, write};
use proptest::prelude::*;

mod pinned;
use pinned::pinned_down;

/// (indicator, territory, period).
type Key = (String, String, String);

/// A figure's numerator and denominator.
type Counts = (Option<f64>, Option<f64>);

const TERRITORIES: &[u8] = b"code,name,level,parent\nREG,Regione,regione,\nP1,Provincia uno,provincia,REG\nP2,Provincia due,provincia,REG\nP3,Provincia tre,provincia,REG\n";

const PIPELINE: &str = r#"name: uscite
tables:
  uscite:
    columns: { data: date, territorio: string, uscite: int, completati: int }
    required: [data, territorio]
sources:
  - { name: uscite, table: uscite, territory: REG, url: uscite.csv, format: csv }
"#;

/// Exits, and the share of them completing their path: its denominator is the count of exits.
const INDICATORS: &str = r#"indicators:
  - id: usciti
    title: Usciti
    kind: output
    unit: count
    grain: GRAIN
    sql: SELECT territorio AS territory, date_trunc('GRAIN', data) AS period, SUM(uscite) AS numerator FROM uscite GROUP BY 1, 2
  - id: completati
    title: Percorsi completati
    kind: outcome
    unit: percent
    grain: GRAIN
    sql: SELECT territorio AS territory, date_trunc('GRAIN', data) AS period, SUM(completati) AS numerator, SUM(uscite) AS denominator FROM uscite GROUP BY 1, 2
"#;

const DASHBOARD: &str = r#"id: uscite
title: Uscite
sections:
  - title: Tutto
    charts:
      - { type: table, indicators: [usciti, completati], territories: [TERRITORIES], period: "2024" }
"#;

/// Region 35 = provinces 20 + 3 + 12 exits, of whom 6, 1 and 7 completed their path (14).
/// Each indicator on its own would hide P2's 3 with its smallest sibling: the count of
/// exits with P3's 12, the percentage with P1 (6 completed, fewer than P3's 7). Then P1's 20
/// (shown by the count) and P3's 12 (shown as the percentage's denominator) give P2 = 35 − 20 − 12.
const USCITE: &str = "data,territorio,uscite,completati\n2024-03-01,P1,20,6\n2024-05-01,P2,3,1\n2024-06-01,P3,12,7\n";

fn exits_project(indicators: &str, settings: &str) -> tempfile::TempDir {
    let dashboard = DASHBOARD.replace("TERRITORIES", "REG, P1, P2, P3");
    let dashboard = if indicators.contains("id: completati") {
        dashboard
    } else {
        dashboard.replace("[usciti, completati]", "[usciti]")
    };
    let dir = project(&[
        ("pipelines/uscite.yaml", PIPELINE.as_bytes()),
        (
            "indicators/uscite.yaml",
            indicators.replace("GRAIN", "year").as_bytes(),
        ),
        ("dashboards/uscite.yaml", dashboard.as_bytes()),
        ("uscite.csv", USCITE.as_bytes()),
    ]);
    write(dir.path(), "territories.csv", TERRITORIES);
    write(dir.path(), "osservatorio.yaml", settings.as_bytes());
    dir
}

fn number(s: &str) -> Option<f64> {
    s.parse().ok()
}

/// The exact indicator table: every figure with its numerator and denominator.
fn exact(p: &Path) -> BTreeMap<Key, Counts> {
    let mut r = csv::Reader::from_path(p.join("out/indicators.csv")).expect("indicators.csv");
    let h = r.headers().expect("a header").clone();
    let col = |name: &str| h.iter().position(|x| x == name).expect(name);
    let (i, t, per, n, d) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("numerator"),
        col("denominator"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.expect("a row");
            (
                (rec[i].to_string(), rec[t].to_string(), rec[per].to_string()),
                (number(&rec[n]), number(&rec[d])),
            )
        })
        .collect()
}

/// The figures a page's `data.csv` shows (flag empty); flagged ones are left out.
fn shown(p: &Path, dashboard: &str) -> BTreeMap<Key, Counts> {
    let path = p.join("out").join(dashboard).join("data.csv");
    let mut r = csv::Reader::from_path(&path).expect("the page's data.csv");
    let h = r.headers().expect("a header").clone();
    let col = |name: &str| h.iter().position(|x| x == name).expect(name);
    let (i, t, per, n, d, f) = (
        col("indicator"),
        col("territory"),
        col("period"),
        col("numerator"),
        col("denominator"),
        col("flag"),
    );
    r.records()
        .map(|rec| rec.expect("a row"))
        .filter(|rec| rec[f].is_empty())
        .map(|rec| {
            (
                (rec[i].to_string(), rec[t].to_string(), rec[per].to_string()),
                (number(&rec[n]), number(&rec[d])),
            )
        })
        .collect()
}

fn key(i: &str, t: &str, p: &str) -> Key {
    (i.to_string(), t.to_string(), p.to_string())
}

/// What a reader knows besides the figures: which territories add up to which, that a year is
/// the sum of its quarters, which counts two indicators share, which percentages count a part of
/// their denominator.
struct Knowledge {
    parent_of: BTreeMap<String, String>,
    /// (indicator, part, indicator, part), part 0 numerator, 1 denominator: one count.
    shared: Vec<(&'static str, usize, &'static str, usize)>,
    shares: Vec<&'static str>,
    protected: Vec<&'static str>,
}

/// The year of a quarter (`2024-Q3` → `2024`).
fn year_of(period: &str) -> Option<String> {
    let (y, q) = period.split_once('-')?;
    q.starts_with('Q').then(|| y.to_string())
}

fn exits_knowledge() -> Knowledge {
    Knowledge {
        parent_of: ["P1", "P2", "P3"]
            .iter()
            .map(|c| (c.to_string(), "REG".to_string()))
            .collect(),
        shared: vec![("usciti", 0, "completati", 1)],
        shares: vec!["completati"],
        protected: vec!["usciti", "completati"],
    }
}

fn published_bundles(p: &Path) -> Vec<String> {
    std::fs::read_dir(p.join("out/published"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_count_two_indicators_share_is_hidden_in_both() {
    let dir = exits_project(INDICATORS, "name: Uscite\n");
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = shown(p, "uscite");
    let visible = |i: &str, t: &str| shown.contains_key(&key(i, t, "2024"));
    // The small one is hidden in both, and wherever one indicator hides the count of exits the
    // other hides it too.
    assert!(!visible("usciti", "P2") && !visible("completati", "P2"));
    for t in ["REG", "P1", "P2", "P3"] {
        assert_eq!(
            visible("usciti", t),
            visible("completati", t),
            "{t}: {shown:?}"
        );
    }
    // Totals protecting nobody stay (hand-computed: 35 exits, 14 completed).
    assert_eq!(
        shown.get(&key("completati", "REG", "2024")),
        Some(&(Some(14.0), Some(35.0)))
    );
    let found = pinned_down(&exact(p), &shown, &exits_knowledge(), 1.0);
    assert!(found.is_empty(), "{found:?}");
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Rewrites a page's row of a figure as if it had not been hidden: its exact numbers, no flag.
fn unhide(p: &Path, dashboard: &str, k: &Key) {
    let exact = exact(p);
    let (n, d) = exact[k];
    let path = p.join("out").join(dashboard).join("data.csv");
    let mut r = csv::Reader::from_path(&path).expect("data.csv");
    let h = r.headers().expect("a header").clone();
    let col = |name: &str| h.iter().position(|x| x == name).expect(name);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&h).expect("header");
    let show = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for rec in r.records() {
        let rec = rec.expect("a row");
        let mut cells: Vec<String> = rec.iter().map(str::to_string).collect();
        if (
            &rec[col("indicator")],
            &rec[col("territory")],
            &rec[col("period")],
        ) == (k.0.as_str(), k.1.as_str(), k.2.as_str())
        {
            cells[col("numerator")] = show(n);
            cells[col("denominator")] = show(d);
            cells[col("flag")] = String::new();
        }
        w.write_record(&cells).expect("row");
    }
    std::fs::write(&path, w.into_inner().expect("bytes")).expect("write data.csv");
}

#[test]
fn publish_refuses_pages_that_give_a_shared_count_away_naming_it() {
    let dir = exits_project(INDICATORS, "name: Uscite\n");
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    // The pages as each indicator suppressed on its own would draw them: the count of exits
    // shows P1's 20, the percentage shows P3's 12 as its denominator.
    unhide(p, "uscite", &key("usciti", "P1", "2024"));
    unhide(p, "uscite", &key("completati", "P3", "2024"));
    // By hand: 35 − 20 − 12 = 3, pinned down; the linear programme here agrees.
    let found = pinned_down(&exact(p), &shown(p, "uscite"), &exits_knowledge(), 1.0);
    let p2 = found
        .iter()
        .find(|f| f.0 == key("usciti", "P2", "2024"))
        .expect("P2 is pinned down");
    assert!(
        (p2.2 - 3.0).abs() < 1e-6 && (p2.3 - 3.0).abs() < 1e-6,
        "{p2:?}"
    );

    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("usciti P2 2024: its numerator lies in [3, 3]"),
        "{said}"
    );
    assert!(
        said.contains("completati P2 2024: its denominator lies in [3, 3]"),
        "{said}"
    );
    assert!(
        !said.contains("P1 2024: its"),
        "P1's 20 is not small: {said}"
    );
    assert!(published_bundles(p).is_empty(), "nothing is signed off");

    // Drawn again, the pages hide what gives P2 away, and the bundle is signed off.
    assert_eq!(osservatorio(p, &["render"]).status.code(), Some(0));
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(published_bundles(p).len(), 1);
}

/// The count of exits alone: P2's 3 is hidden with P3's 12, P1's 20 and the region's 35 shown.
const EXITS_ONLY: &str = r#"indicators:
  - id: usciti
    title: Usciti
    kind: output
    unit: count
    grain: GRAIN
    sql: SELECT territorio AS territory, date_trunc('GRAIN', data) AS period, SUM(uscite) AS numerator FROM uscite GROUP BY 1, 2
"#;

#[test]
fn protection_is_the_narrowest_interval_a_small_count_may_keep() {
    let dir = exits_project(EXITS_ONLY, "name: Uscite\n");
    let p = dir.path();
    assert_eq!(osservatorio(p, &["run"]).status.code(), Some(0));
    let shown1 = shown(p, "uscite");
    assert!(
        shown1.contains_key(&key("usciti", "P1", "2024")),
        "{shown1:?}"
    );
    // By hand: P2 + P3 = 35 − 20 = 15, so P2 lies in [0, 15]: wide enough for a protection of 1,
    // not for one of 16.
    let know = Knowledge {
        protected: vec!["usciti"],
        shared: Vec::new(),
        shares: Vec::new(),
        ..exits_knowledge()
    };
    assert!(pinned_down(&exact(p), &shown1, &know, 1.0).is_empty());
    let found = pinned_down(&exact(p), &shown1, &know, 16.0);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].2.abs() < 1e-6 && (found[0].3 - 15.0).abs() < 1e-6);

    // Asked for 16, publish refuses the pages drawn for 1, naming the interval.
    let settings = "name: Uscite\npublication:\n  protection: 16\n";
    write(p, "osservatorio.yaml", settings.as_bytes());
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("usciti P2 2024: its numerator lies in [0, 15]"),
        "{said}"
    );
    assert!(said.contains("publication.protection = 16"), "{said}");
    // Drawn for 16, P1 is hidden too (P2 then lies in [0, 35]) and the region stays.
    assert_eq!(osservatorio(p, &["render"]).status.code(), Some(0));
    let shown16 = shown(p, "uscite");
    assert!(
        !shown16.contains_key(&key("usciti", "P1", "2024")),
        "{shown16:?}"
    );
    assert!(
        shown16.contains_key(&key("usciti", "REG", "2024")),
        "{shown16:?}"
    );
    assert!(pinned_down(&exact(p), &shown16, &know, 16.0).is_empty());
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Region 35 = provinces 20 + 3 + 12; province P1 20 = municipalities 18 + 2; quarters: C2 2 in
/// the first, C1 6 in each of the others, P2 3 in the first, P3 6 in the first and the third.
const ARRIVI: &str = "data,territorio,uscite,completati\n2024-02-01,C2,2,0\n2024-05-01,C1,6,0\n2024-08-01,C1,6,0\n2024-11-01,C1,6,0\n2024-03-01,P2,3,0\n2024-01-15,P3,6,0\n2024-07-15,P3,6,0\n";

#[test]
fn no_relation_with_one_hidden_member_is_not_enough_across_time_and_territory() {
    // Hiding so that no sum has exactly one hidden member leaves the region, P1 and P3's third
    // quarter shown, and then, by hand: P2 + P3's first quarter = (35 − 20) − 6 = 9, so P1's first
    // quarter = the region's first quarter 11 − 9 = 2, which is C2's 2 (P1's only municipality
    // with figures in that quarter). The pages must hide more than that.
    let territories = b"code,name,level,parent\nREG,Regione,regione,\nP1,Provincia uno,provincia,REG\nP2,Provincia due,provincia,REG\nP3,Provincia tre,provincia,REG\nC1,Comune uno,comune,P1\nC2,Comune due,comune,P1\n";
    let codes = "REG, P1, P2, P3, C1, C2";
    let dashboard = format!(
        "{}      - {{ type: trend, indicator: usciti, territories: [{codes}], grain: quarter }}\n",
        DASHBOARD
            .replace("TERRITORIES", codes)
            .replace("[usciti, completati]", "[usciti]")
    );
    let dir = project(&[
        ("pipelines/uscite.yaml", PIPELINE.as_bytes()),
        (
            "indicators/uscite.yaml",
            EXITS_ONLY.replace("GRAIN", "quarter").as_bytes(),
        ),
        ("dashboards/uscite.yaml", dashboard.as_bytes()),
        ("uscite.csv", ARRIVI.as_bytes()),
    ]);
    write(dir.path(), "territories.csv", territories);
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let know = Knowledge {
        parent_of: [
            ("P1", "REG"),
            ("P2", "REG"),
            ("P3", "REG"),
            ("C1", "P1"),
            ("C2", "P1"),
        ]
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect(),
        shared: Vec::new(),
        shares: Vec::new(),
        protected: vec!["usciti"],
    };
    let shown = shown(p, "uscite");
    let found = pinned_down(&exact(p), &shown, &know, 1.0);
    assert!(found.is_empty(), "{found:?}\n{shown:?}");
    // The totals stay: hiding a quarter is enough.
    for t in ["REG", "P1"] {
        assert!(
            shown.contains_key(&key("usciti", t, "2024")),
            "{t}: {shown:?}"
        );
    }
    let out = osservatorio(p, &["publish", "--by", "Maria Rossi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

// Random hierarchies, two indicators sharing the count of exits, quarters and their year.

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_hierarchies_publish_no_small_count_a_linear_programme_pins_down(
        t in tree(10),
        exits in prop::collection::vec(prop_oneof![0u32..6, 0u32..30], 10 * 4),
        completed in prop::collection::vec(0.0f64..=1.0, 10 * 4),
    ) {
        // Leaves report each quarter's exits and how many of them completed their path.
        let mut csv = String::from("data,territorio,uscite,completati\n");
        let mut draws = exits.iter().zip(&completed);
        for code in t.leaves() {
            for q in 0..4 {
                let (&n, &share) = draws.next().unwrap_or((&0, &0.0));
                let done = (f64::from(n) * share).round() as u32;
                csv.push_str(&format!("2024-{:02}-01,{code},{n},{done}\n", q * 3 + 1));
            }
        }
        let codes = t.codes();
        let dashboard = format!(
            "{}      - {{ type: trend, indicator: usciti, territories: [{codes}], grain: quarter }}\n      - {{ type: trend, indicator: completati, territories: [{codes}], grain: quarter }}\n",
            DASHBOARD.replace("TERRITORIES", &codes),
        );
        let dir = project(&[
            ("pipelines/uscite.yaml", PIPELINE.replace("territory: REG", "territory: T0").as_bytes()),
            ("indicators/uscite.yaml", INDICATORS.replace("GRAIN", "quarter").as_bytes()),
            ("dashboards/uscite.yaml", dashboard.as_bytes()),
            ("uscite.csv", csv.as_bytes()),
        ]);
        write(dir.path(), "territories.csv", t.territories_csv().as_bytes());
        let out = osservatorio(dir.path(), &["run"]);
        prop_assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let know = Knowledge { parent_of: t.parent_of(), ..exits_knowledge() };
        let found = pinned_down(&exact(dir.path()), &shown(dir.path(), "uscite"), &know, 1.0);
        prop_assert!(found.is_empty(), "{:#?}", found);
        let out = osservatorio(dir.path(), &["publish", "--by", "Maria Rossi"]);
        prop_assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}
