//! The desk case ("sportello") the format tests share, hand-built: Padova (PD) in 2025, January to
//! October (nothing after), one monthly export and four indicators:
//! - expense reports on time (`puntuali`, percent, target 33 %): 35 of 100 a month, 45 in
//!   September, 30 in October: 355 of 1.000 = 35,5 % in 2025;
//! - desk accesses (`accessi`, a count, 7.000 expected in the year): 641 in each of
//!   January–April, 640 in each of May–October: 6.404 in 2025 (91,5 % of the target);
//! - unaccompanied minors present (`minori`, a count averaged over the months): `MINORS`, 441 / 10
//!   = 44,1 in 2025;
//! - days from request to taking in charge (`tempo`, target 10): 125 days over 10 cases a month:
//!   12,5 gg.

use super::{osservatorio, project, text};

/// The minors present each month, January to October.
pub const MINORS: [u32; 10] = [40, 44, 46, 45, 46, 44, 44, 44, 44, 44];

const PIPELINE: &str = r#"name: sportello
tables:
  mensile:
    columns: { mese: date, provincia: string, puntuali: int, totali: int, accessi: int, minori: int, giorni: int, casi: int }
    required: [mese, provincia]
sources:
  - { name: mensile, table: mensile, url: mensile.csv, format: csv }
"#;

/// The four indicators; `TITLE` stands for the on-time indicator's title.
const INDICATORS: &str = r#"indicators:
  - id: puntuali
    title: TITLE
    kind: process
    unit: percent
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(puntuali) AS numerator, SUM(totali) AS denominator FROM mensile GROUP BY 1, 2
    targets:
      - { value: 33 }
  - id: accessi
    title: Accessi allo sportello
    kind: output
    unit: count
    grain: month
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(accessi) AS numerator FROM mensile GROUP BY 1, 2
    targets:
      - { grain: year, value: 7000 }
  - id: minori
    title: Minori stranieri non accompagnati presenti in media
    kind: output
    unit: count
    grain: month
    time_rollup: mean
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(minori) AS numerator FROM mensile GROUP BY 1, 2
  - id: tempo
    title: Giorni dalla richiesta alla presa in carico
    kind: process
    unit: days
    grain: month
    direction: down
    small_cells: show
    sql: SELECT provincia AS territory, mese AS period, SUM(giorni) AS numerator, SUM(casi) AS denominator FROM mensile GROUP BY 1, 2
    targets:
      - { value: 10 }
"#;

/// A dashboard `anno`: one table of the four indicators in Veneto and Padova for 2025.
pub const YEAR: &str = r#"id: anno
title: Sportello nel 2025
period: { from: "2025-01", to: "2025-12" }
sections:
  - title: Anno
    charts:
      - { type: table, indicators: [puntuali, accessi, minori, tempo], territories: [VEN, PD], period: "2025" }
"#;

fn monthly_csv() -> String {
    let mut s = String::from("mese,provincia,puntuali,totali,accessi,minori,giorni,casi\n");
    for m in 1..=10u32 {
        let on_time = match m {
            10 => 30,
            9 => 45,
            _ => 35,
        };
        let accesses = if m <= 4 { 641 } else { 640 };
        let minors = MINORS[m as usize - 1];
        s.push_str(&format!(
            "2025-{m:02}-01,PD,{on_time},100,{accesses},{minors},125,10\n"
        ));
    }
    s
}

/// The desk case as a project: its settings, the on-time indicator's title and dashboards.
pub struct Sportello {
    settings: Option<String>,
    on_time_title: String,
    dashboards: Vec<(String, String)>,
}

impl Sportello {
    /// The case with the default settings, the on-time indicator titled `on_time_title`, and no
    /// dashboard.
    pub fn titled(on_time_title: &str) -> Sportello {
        Sportello {
            settings: None,
            on_time_title: on_time_title.to_string(),
            dashboards: Vec::new(),
        }
    }

    /// Settings of its own (osservatorio.yaml).
    pub fn settings(mut self, yaml: &str) -> Sportello {
        self.settings = Some(yaml.to_string());
        self
    }

    /// A dashboard `dashboards/ID.yaml`.
    pub fn dashboard(mut self, id: &str, yaml: &str) -> Sportello {
        self.dashboards
            .push((format!("dashboards/{id}.yaml"), yaml.to_string()));
        self
    }

    /// The project, after `osservatorio run` succeeded on it.
    pub fn ran(self) -> tempfile::TempDir {
        let indicators = INDICATORS.replace("TITLE", &self.on_time_title);
        let csv = monthly_csv();
        let mut files: Vec<(&str, &[u8])> = vec![
            ("pipelines/sportello.yaml", PIPELINE.as_bytes()),
            ("indicators/sportello.yaml", indicators.as_bytes()),
            ("mensile.csv", csv.as_bytes()),
        ];
        if let Some(s) = &self.settings {
            files.push(("osservatorio.yaml", s.as_bytes()));
        }
        files.extend(
            self.dashboards
                .iter()
                .map(|(f, y)| (f.as_str(), y.as_bytes())),
        );
        let dir = project(&files);
        let out = osservatorio(dir.path(), &["run"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        dir
    }
}
