//! `type: map`: a choropleth on the bundled boundaries, as SVG and PNG with its data.
//!
//! The figures, by hand, for 2025 (places occupied over places, min_cell 5):
//!   Treviso 50 / 100 = 50 %, Padova 75 / 100 = 75 %, Venezia 2 / 40 and Rovigo 3 / 50 suppressed
//!   (numerators under 5; two suppressed siblings, so no third is needed), Belluno no figure.
//! On the percent scale (0–100 %) of the heatmap, ColorBrewer Blues' stops give 50 % #6baed6 and
//! 75 % #3182bd exactly.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const SETTINGS: &str = "name: Prova mappe\nprivacy: { min_cell: 5 }\n";

// Treviso's row leaves the istat column empty: its official code (TV, province 026) is used.
const TERRITORIES: &str = "code,name,level,parent,istat
VEN,Veneto,regione,,05
TV,Provincia di Treviso,provincia,VEN,
PD,Provincia di Padova,provincia,VEN,028
VE,Città metropolitana di Venezia,provincia,VEN,027
RO,Provincia di Rovigo,provincia,VEN,029
BL,Provincia di Belluno,provincia,VEN,025
AMB,Ambito di Treviso,ambito,TV,
026086,Treviso,comune,AMB,
026091,Villorba,comune,AMB,
";

const PIPELINE: &str = r#"name: posti
tables:
  posti:
    columns: { data: date, provincia: string, ospiti: int, posti: int }
    required: [data, provincia]
sources:
  - name: posti
    table: posti
    url: posti.csv
    format: csv
"#;

const INDICATORS: &str = r#"indicators:
  - id: occupazione
    title: Occupazione dei posti
    kind: outcome
    unit: percent
    grain: year
    small_cells: suppress
    sql: SELECT provincia AS territory, data AS period, SUM(ospiti) AS numerator, SUM(posti) AS denominator FROM posti GROUP BY 1, 2
"#;

const DATA: &str = "data,provincia,ospiti,posti
2025-01-01,TV,50,100
2025-01-01,PD,75,100
2025-01-01,VE,2,40
2025-01-01,RO,3,50
";

fn dashboard(charts: &str) -> String {
    format!("id: mappe\ntitle: Mappe\nsections:\n  - title: Veneto\n    charts:\n{charts}")
}

fn map_project(charts: &str) -> tempfile::TempDir {
    let dir = project(&[
        ("pipelines/posti.yaml", PIPELINE.as_bytes()),
        ("indicators/posti.yaml", INDICATORS.as_bytes()),
        ("dashboards/mappe.yaml", dashboard(charts).as_bytes()),
        ("posti.csv", DATA.as_bytes()),
    ]);
    write(dir.path(), "osservatorio.yaml", SETTINGS.as_bytes());
    write(dir.path(), "territories.csv", TERRITORIES.as_bytes());
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every `<path class="area …">` of the SVG: territory, class, fill, and its number of rings.
fn areas(svg: &str) -> Vec<(String, String, String, usize)> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(tag[start..start + len].to_string())
    };
    svg.match_indices("<path class=\"area")
        .map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find('>').expect("a closed tag")];
            let d = attr(tag, "d").unwrap_or_default();
            (
                attr(tag, "data-territory").unwrap_or_default(),
                attr(tag, "class").unwrap_or_default(),
                attr(tag, "fill").unwrap_or_default(),
                d.matches('M').count(),
            )
        })
        .collect()
}

fn area<'a>(
    all: &'a [(String, String, String, usize)],
    code: &str,
) -> &'a (String, String, String, usize) {
    all.iter()
        .find(|a| a.0 == code)
        .unwrap_or_else(|| panic!("no area for {code} in {all:?}"))
}

/// How many pixels of each colour the PNG has, by Pillow (an independent PNG reader).
fn png_colours(png: &Path) -> std::collections::HashMap<String, u64> {
    let script = "import sys\nfrom PIL import Image\nfor n, (r, g, b) in Image.open(sys.argv[1]).convert('RGB').getcolors(1 << 24):\n    print(f'#{r:02x}{g:02x}{b:02x} {n}')\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(png)
        .output()
        .expect("python3 runs (tests/run.sh installs Pillow)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (c, n) = l.split_once(' ')?;
            Some((c.to_string(), n.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_map_colours_each_province_by_its_value_hatches_suppressed_ones_and_greys_missing_ones() {
    let dir = map_project(
        "      - { type: map, indicator: occupazione, territories: { children_of: VEN }, period: \"2025\" }\n",
    );
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = p.join("out/mappe");
    let svg = read(&d.join("chart-01.svg"));
    let all = areas(&svg);
    // One path per territory, the municipalities' ambito not among them (it is not VEN's child).
    let mut codes: Vec<&str> = all.iter().map(|a| a.0.as_str()).collect();
    codes.sort();
    assert_eq!(codes, ["BL", "PD", "RO", "TV", "VE"], "{all:?}");
    assert_eq!(area(&all, "TV").1, "area value");
    assert_eq!(area(&all, "TV").2, "#6baed6");
    assert_eq!(area(&all, "PD").1, "area value");
    assert_eq!(area(&all, "PD").2, "#3182bd");
    for hidden in ["VE", "RO"] {
        assert_eq!(area(&all, hidden).1, "area suppressed");
        assert_eq!(area(&all, hidden).2, "url(#hatch)");
    }
    assert_eq!(area(&all, "BL").1, "area missing");
    assert_eq!(area(&all, "BL").2, "#bdbdbd");
    // Each suppressed area is labelled c; nothing tells its size.
    let labels = &svg[svg.find("<g class=\"labels\"").expect("labels")..];
    let labels = &labels[..labels.find("</g>").expect("end of labels")];
    assert_eq!(labels.matches(">c</text>").count(), 2, "{labels}");
    for leak in [">5,0 %", ">6,0 %", ": 5,0 %", ": 6,0 %", ">2<", ">3<"] {
        assert!(!svg.contains(leak), "the SVG shows {leak}");
    }
    assert!(
        svg.contains(">Treviso</text>") && svg.contains(">50,0 %</text>"),
        "{labels}"
    );
    assert!(
        svg.contains("Città metropolitana di Venezia: c"),
        "the tooltip says c"
    );
    // The legend: the heatmap's scale for percentages, hatching, grey, and who drew the borders.
    for s in [
        "0,0 %",
        "100,0 %",
        "c — riservato",
        "Senza dati",
        "ISTAT",
        "CC BY 4.0",
    ] {
        assert!(svg.contains(s), "the SVG has no {s}");
    }

    // The PNG paints the same fills: the two values' blues, the hatching and the grey.
    let colours = png_colours(&d.join("chart-01.png"));
    for (c, what) in [
        ("#6baed6", "Treviso's 50 %"),
        ("#3182bd", "Padova's 75 %"),
        ("#bdbdbd", "Belluno's grey"),
        ("#d6dadf", "the hatching's ground"),
        ("#5a6470", "the hatching's lines"),
    ] {
        let n = colours.get(c).copied().unwrap_or(0);
        assert!(n > 200, "the PNG has {n} pixels of {c} ({what})");
    }

    // Its data: the figures the map shows, suppressed ones flagged c with nothing else.
    let csv = read(&d.join("chart-01-data.csv"));
    let mut rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    rows.sort();
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let pick = |r: &Vec<String>| {
        [
            "territory",
            "period",
            "numerator",
            "denominator",
            "value",
            "flag",
        ]
        .map(|c| r[col(c)].clone())
        .join(",")
    };
    let got: Vec<String> = rows.iter().map(pick).collect();
    assert_eq!(
        got,
        [
            "PD,2025,75,100,75,",
            "RO,2025,,,,c",
            "TV,2025,50,100,50,",
            "VE,2025,,,,c",
        ],
        "{csv}"
    );
    assert!(d.join("chart-01-data.xlsx").exists());

    // The page: the map with its text alternative, the same figures as a table.
    let page = read(&d.join("index.html"));
    assert!(page.contains("<img src=\"chart-01.svg\" alt=\"Occupazione dei posti — 2025\">"));
    assert!(page.contains("Provincia di Belluno") && page.contains("50,0 %"));
}

#[test]
fn an_ambito_is_drawn_as_its_municipalities() {
    let dir = map_project(
        "      - { type: map, indicator: occupazione, territories: [AMB, PD], period: \"2025\" }\n",
    );
    let p = dir.path();
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let svg = read(&p.join("out/mappe/chart-01.svg"));
    let all = areas(&svg);
    assert_eq!(all.len(), 2, "{all:?}");
    // Treviso and Villorba: one ring each, in one path, grey (the ambito has no figure).
    let amb = area(&all, "AMB");
    assert_eq!(
        (amb.1.as_str(), amb.2.as_str(), amb.3),
        ("area missing", "#bdbdbd", 2)
    );
    assert_eq!(area(&all, "PD").2, "#3182bd");
}

#[test]
fn a_territory_without_a_boundary_is_a_configuration_error_naming_file_and_key() {
    let extra = "XX,Sportello di prova,sportello,VEN,\nOLD,Comune cessato,comune,VEN,005079\n";
    let dir = map_project(
        "      - { type: bar, indicator: occupazione, territories: [TV] }\n      - { type: map, indicator: occupazione, territories: [TV, XX, OLD, VEN] }\n",
    );
    let p = dir.path();
    write(
        p,
        "territories.csv",
        format!("{TERRITORIES}{extra}").as_bytes(),
    );
    let out = osservatorio(p, &["check", "--no-exports"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    let line = |key: &str| {
        t.lines()
            .find(|l| l.contains(&format!("dashboards/mappe.yaml:7: {key}:")))
            .unwrap_or_else(|| panic!("no error at line 7 for {key}:\n{t}"))
            .to_string()
    };
    let xx = line("sections[0].charts[1].territories[1]");
    assert!(
        xx.contains("'XX'") && xx.contains("no boundary") && xx.contains("istat"),
        "{xx}"
    );
    // A ceased municipality's code is not in the limits; the error says what replaced it.
    let old = line("sections[0].charts[1].territories[2]");
    assert!(old.contains("005079") && old.contains("005122"), "{old}");
    // The region and its own province would overlap.
    let tv = line("sections[0].charts[1].territories[0]");
    assert!(tv.contains("'TV' lies within 'VEN'"), "{tv}");
    assert!(
        !t.contains("territories[3]"),
        "VEN itself has a boundary:\n{t}"
    );
}
