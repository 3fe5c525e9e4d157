//! Since the last meeting: each dashboard opens with what moved since its last signed-off
//! bundle, in sentences, computed here by hand on a small project with two sign-offs.

use std::path::Path;

use crate::common::{osservatorio, project, text, write};

const PIPELINE: &str = r#"name: prova
tables:
  presenze:
    columns: { mese: date, presenti: int, posti: int }
    required: [mese]
sources:
  - name: pd-presenze
    table: presenze
    territory: PD
    url: "exports/pd/*.csv"
    format: csv
    columns: { mese: Mese, presenti: Presenti, posti: Posti }
  - name: vi-presenze
    table: presenze
    territory: VI
    url: "exports/vi/*.csv"
    format: csv
    columns: { mese: Mese, presenti: Presenti, posti: Posti }
  - name: tv-presenze
    table: presenze
    territory: TV
    url: "exports/tv/*.csv"
    format: csv
    columns: { mese: Mese, presenti: Presenti, posti: Posti }
"#;

const INDICATORS: &str = r#"indicators:
  - id: tasso_occupazione
    title: { it: Tasso di occupazione, en: Occupancy rate }
    kind: outcome
    unit: percent
    grain: month
    sql: |
      SELECT _territory AS territory, date_trunc('month', mese) AS period,
             SUM(presenti) AS numerator, SUM(posti) AS denominator
      FROM presenze GROUP BY 1, 2
    targets: [{ value: 88 }]
    phrase: { it: "il tasso di occupazione dei posti", en: "the place occupancy rate", gender: m }
"#;

const DASHBOARD: &str = r#"id: pilotaggio
title: { it: Cruscotto, en: Dashboard }
period: { from: "2026-09", to: "2026-11" }
sections:
  - title: { it: Accoglienza, en: Reception }
    charts:
      - { type: trend, indicator: tasso_occupazione, territories: [PD, VI], grain: month }
"#;

fn month(p: &Path, office: &str, m: u32, presenti: u32, posti: u32) {
    write(
        p,
        &format!("exports/{office}/2026-{m:02}.csv"),
        format!("Mese,Presenti,Posti\n2026-{m:02}-01,{presenti},{posti}\n").as_bytes(),
    );
}

fn page(p: &Path) -> String {
    std::fs::read_to_string(p.join("out/pilotaggio/index.html")).expect("the dashboard page")
}

/// The page's sentences, as text between the list items of its "since the meeting" section.
fn sentences(html: &str) -> Vec<String> {
    let Some(start) = html.find("since-meeting") else {
        return Vec::new();
    };
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |e| start + e);
    html[start..end]
        .split("<li>")
        .skip(1)
        .map(|s| {
            s.split("</li>")
                .next()
                .unwrap_or_default()
                .replace("&#x27;", "'")
        })
        .collect()
}

#[test]
fn the_page_tells_in_sentences_what_moved_since_the_last_sign_off() {
    let dir = project(&[
        ("pipelines/prova.yaml", PIPELINE.as_bytes()),
        ("indicators/accoglienza.yaml", INDICATORS.as_bytes()),
        ("dashboards/pilotaggio.yaml", DASHBOARD.as_bytes()),
    ]);
    let p = dir.path();
    write(
        p,
        "territories.csv",
        b"code,name,level,parent\nVEN,Veneto,regione,\nPD,Padova,provincia,VEN\nVI,Vicenza,provincia,VEN\nTV,Treviso,provincia,VEN\n",
    );
    // At the meeting: Padova September 850/1000, October 871/1000 (87,1 %, below the 88 % target);
    // Vicenza's figures rest on 3 and 2 guests: hidden, and Treviso's (the next smallest) with them,
    // so that Veneto's total does not give Vicenza's away.
    month(p, "pd", 9, 850, 1000);
    month(p, "tv", 9, 500, 600);
    month(p, "tv", 10, 510, 600);
    month(p, "pd", 10, 871, 1000);
    month(p, "vi", 9, 3, 4);
    month(p, "vi", 10, 2, 4);
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // No bundle yet: nothing to compare with, no section.
    assert!(sentences(&page(p)).is_empty());
    let out = osservatorio(p, &["publish", "--by", "Gruppo di Pilotaggio"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // After it: Padova re-sends October (894/1000: 89,4 %, the target reached) and sends November;
    // Vicenza re-sends October, still too few guests to show.
    month(p, "pd", 10, 894, 1000);
    month(p, "pd", 11, 900, 1000);
    month(p, "vi", 10, 1, 4);
    let out = osservatorio(p, &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let day = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .date_naive();
    let months = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    use chrono::Datelike;
    let meeting = format!(
        "{} {} {}",
        day.day(),
        months[day.month0() as usize],
        day.year()
    );
    let said = sentences(&page(p));
    assert_eq!(
        said,
        vec![
            format!(
                "Rispetto alla riunione del {meeting}, il tasso di occupazione dei posti di Padova è salito dal 87,1 % al 89,4 % (ottobre 2026, dati rettificati da pd-presenze) e ha raggiunto l'obiettivo del 88,0 %."
            ),
            "Nuovi dati di novembre 2026 per il tasso di occupazione dei posti: Padova 90,0 %."
                .to_string(),
        ],
        "{said:?}"
    );
    assert!(
        !page(p).contains("Vicenza 25") && !said.iter().any(|s| s.contains("Vicenza")),
        "a hidden figure is in no sentence"
    );

    // In English, with the indicator's English phrase.
    let settings = "locale: en\n";
    write(p, "osservatorio.yaml", settings.as_bytes());
    let out = osservatorio(p, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = sentences(&page(p));
    assert!(
        said.first().is_some_and(|s| s.contains(
            "the place occupancy rate for Padova rose from 87.1 % to 89.4 % (October 2026, data revised by pd-presenze) and reached its target of 88.0 %."
        )),
        "{said:?}"
    );
}
