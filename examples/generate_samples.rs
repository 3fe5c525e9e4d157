//! Writes the bundled sample exports under `data-samples/` and the matching `territories.csv`.
//!
//! The data are invented but shaped like the real exports: each prefecture and each district plan
//! writes its own headers, encodings and number formats. A fixed seed keeps every run identical, so
//! the end-to-end tests can rely on figures computed once from these files by an independent tool.
//!
//! Run with `cargo run --example generate_samples` from the repository root.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

const YEARS: [i32; 3] = [2023, 2024, 2025];

struct Facility {
    code: String,
    name: String,
    comune: &'static str,
    provincia: &'static str,
    ente: &'static str,
    tipologia: &'static str,
    posti: i64,
    rate: f64,
}

struct Province {
    code: &'static str,
    name: &'static str,
    comuni: [(&'static str, &'static str); 3],
    enti: [&'static str; 3],
}

const PROVINCES: [Province; 3] = [
    Province {
        code: "PD",
        name: "Provincia di Padova",
        comuni: [
            ("028060", "Padova"),
            ("028001", "Abano Terme"),
            ("028032", "Cittadella"),
        ],
        enti: [
            "Coop. Città Solidale",
            "Associazione Porte Aperte",
            "Coop. Il Ponte",
        ],
    },
    Province {
        code: "VI",
        name: "Provincia di Vicenza",
        comuni: [
            ("024116", "Vicenza"),
            ("024012", "Bassano del Grappa"),
            ("024100", "Schio"),
        ],
        enti: [
            "Coop. Berica",
            "Consorzio Accoglienza Veneta",
            "Coop. San Martino",
        ],
    },
    Province {
        code: "VR",
        name: "Provincia di Verona",
        comuni: [
            ("023091", "Verona"),
            ("023044", "Legnago"),
            ("023096", "Villafranca di Verona"),
        ],
        enti: [
            "Coop. L'Arena",
            "Fondazione Scaligera",
            "Coop. Adige Insieme",
        ],
    },
];

const NATIONALITIES: [&str; 8] = [
    "Nigeria",
    "Bangladesh",
    "Pakistan",
    "Costa d'Avorio",
    "Egitto",
    "Tunisia",
    "Guinea",
    "Ucraina",
];
const EXIT_REASONS: [&str; 4] = [
    "percorso completato",
    "trasferimento",
    "allontanamento volontario",
    "revoca",
];
const TOPICS: [&str; 6] = ["lavoro", "casa", "documenti", "salute", "scuola", "legale"];
const TABLE_ENTITIES: [&str; 14] = [
    "Comune capofila",
    "ASST",
    "ATS",
    "Caritas",
    "CSV",
    "Coop. Sociale Uno",
    "Coop. Sociale Due",
    "Associazione Mediatori",
    "Centro per l'impiego",
    "CPIA",
    "Questura",
    "Sindacato",
    "Patronato",
    "Parrocchia San Rocco",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut rng = ChaCha8Rng::seed_from_u64(20_251_231);
    let samples = root.join("data-samples");
    fs::create_dir_all(samples.join("prefetture/padova"))?;
    fs::create_dir_all(samples.join("prefetture/vicenza"))?;
    fs::create_dir_all(samples.join("prefetture/verona"))?;
    fs::create_dir_all(samples.join("ambiti/lodi"))?;
    fs::create_dir_all(samples.join("ambiti/crema"))?;

    let facilities = make_facilities(&mut rng);
    write_territories(&root.join("territories.csv"), &facilities)?;
    write_padova(&samples.join("prefetture/padova"), &facilities, &mut rng)?;
    write_vicenza(
        &samples.join("prefetture/vicenza/accoglienza_vicenza.xlsx"),
        &facilities,
        &mut rng,
    )?;
    write_verona(&samples.join("prefetture/verona"), &facilities, &mut rng)?;
    write_lodi(&samples.join("ambiti/lodi"), &mut rng)?;
    write_crema(&samples.join("ambiti/crema"), &mut rng)?;
    // The desk network has its own seed, so the exports above stay as they were.
    let mut rng = ChaCha8Rng::seed_from_u64(20_140_624);
    fs::create_dir_all(samples.join("rete"))?;
    write_network(&samples.join("rete"), &mut rng)?;
    println!("samples written under {}", samples.display());
    Ok(())
}

fn make_facilities(rng: &mut ChaCha8Rng) -> Vec<Facility> {
    let mut out = Vec::new();
    for p in &PROVINCES {
        for i in 0..8 {
            let (comune, comune_name) = p.comuni[i % 3];
            let tipologia = if i % 4 == 3 { "SAI" } else { "CAS" };
            out.push(Facility {
                code: format!("{}{:03}", p.code, i + 1),
                name: format!("{} {} {}", tipologia, comune_name, i + 1),
                comune,
                provincia: p.code,
                ente: p.enti[i % 3],
                tipologia,
                posti: rng.random_range(12..=60),
                rate: 30.0 + rng.random_range(0..900) as f64 / 100.0,
            });
        }
    }
    out
}

fn write_territories(path: &Path, facilities: &[Facility]) -> std::io::Result<()> {
    let mut s = String::from("code,name,level,parent\n");
    s.push_str("IT,Italia,nazione,\n");
    s.push_str("VEN,Veneto,regione,IT\n");
    s.push_str("LOM,Lombardia,regione,IT\n");
    for p in &PROVINCES {
        s.push_str(&format!("{},{},provincia,VEN\n", p.code, p.name));
    }
    s.push_str("LO,Provincia di Lodi,provincia,LOM\n");
    s.push_str("CR,Provincia di Cremona,provincia,LOM\n");
    s.push_str("ER,Emilia-Romagna,regione,IT\n");
    for (code, name, _) in NETWORK {
        s.push_str(&format!("{code},{name},provincia,ER\n"));
    }
    s.push_str("LODI,Ambito di Lodi,ambito,LO\n");
    s.push_str("CREMA,Ambito di Crema,ambito,CR\n");
    for p in &PROVINCES {
        for (code, name) in p.comuni {
            s.push_str(&format!("{code},{name},comune,{}\n", p.code));
        }
    }
    for f in facilities {
        s.push_str(&format!("{},{},struttura,{}\n", f.code, f.name, f.comune));
    }
    fs::write(path, s)
}

fn months() -> Vec<NaiveDate> {
    YEARS
        .iter()
        .flat_map(|&y| (1..=12).filter_map(move |m| NaiveDate::from_ymd_opt(y, m, 1)))
        .collect()
}

fn days_in_month(d: NaiveDate) -> i64 {
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    next.map(|n| (n - d).num_days()).unwrap_or(30)
}

/// One facility-month of presences and the expense report that goes with it.
struct MonthRecord {
    month: NaiveDate,
    facility: usize,
    presenti: i64,
    posti: i64,
    giornate: i64,
    rendicontato_cents: i64,
    ammesso_cents: i64,
    presentazione: NaiveDate,
    scadenza: NaiveDate,
}

fn month_records(facilities: &[Facility], prov: &str, rng: &mut ChaCha8Rng) -> Vec<MonthRecord> {
    let mut out = Vec::new();
    for month in months() {
        for (i, f) in facilities
            .iter()
            .enumerate()
            .filter(|(_, f)| f.provincia == prov)
        {
            let fill = rng.random_range(70..=104) as f64 / 100.0;
            let presenti = ((f.posti as f64) * fill).round() as i64;
            let giornate = presenti * days_in_month(month) - rng.random_range(0..20);
            let rendicontato_cents = (giornate as f64 * f.rate * 100.0).round() as i64;
            let cut = rng.random_range(0..300) as i64; // per ten thousand
            let ammesso_cents = rendicontato_cents - rendicontato_cents * cut / 10_000;
            let scadenza = month + Duration::days(days_in_month(month) + 14);
            let presentazione = scadenza + Duration::days(rng.random_range(-12..=6));
            out.push(MonthRecord {
                month,
                facility: i,
                presenti,
                posti: f.posti,
                giornate,
                rendicontato_cents,
                ammesso_cents,
                presentazione,
                scadenza,
            });
        }
    }
    out
}

struct Guest {
    id: String,
    facility: usize,
    sesso: &'static str,
    anno_nascita: i32,
    nazionalita: &'static str,
    ingresso: NaiveDate,
    uscita: Option<NaiveDate>,
    motivo: Option<&'static str>,
    categoria: &'static str,
}

fn guests(facilities: &[Facility], prov: &str, rng: &mut ChaCha8Rng) -> Vec<Guest> {
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let idx: Vec<usize> = facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.provincia == prov)
        .map(|(i, _)| i)
        .collect();
    (0..150)
        .map(|n| {
            let ingresso = start + Duration::days(rng.random_range(0..1000));
            let msna = rng.random_range(0..100) < 18;
            let stay = rng.random_range(60..500);
            let uscita = ingresso + Duration::days(stay);
            let exited = uscita <= NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
            let motivo = exited.then(|| {
                let roll = rng.random_range(0..100);
                let completed = if msna { 78 } else { 55 };
                if roll < completed {
                    EXIT_REASONS[0]
                } else {
                    EXIT_REASONS[1 + (roll as usize % 3)]
                }
            });
            Guest {
                id: format!("{prov}-{:05}", n + 1),
                facility: idx[rng.random_range(0..idx.len())],
                sesso: if rng.random_range(0..100) < 72 {
                    "M"
                } else {
                    "F"
                },
                anno_nascita: if msna {
                    ingresso.year() - rng.random_range(14..18)
                } else {
                    rng.random_range(1970..2005)
                },
                nazionalita: NATIONALITIES[rng.random_range(0..NATIONALITIES.len())],
                ingresso,
                uscita: exited.then_some(uscita),
                motivo,
                categoria: if msna {
                    "MSNA"
                } else if rng.random_range(0..100) < 15 {
                    "vulnerabile"
                } else {
                    "ordinario"
                },
            }
        })
        .collect()
}

struct Inspection {
    date: NaiveDate,
    facility: usize,
    tipo: &'static str,
    esito: &'static str,
    non_conformita: i64,
}

fn inspections(facilities: &[Facility], prov: &str, rng: &mut ChaCha8Rng) -> Vec<Inspection> {
    let mut out = Vec::new();
    for &y in &YEARS {
        for (i, _) in facilities
            .iter()
            .enumerate()
            .filter(|(_, f)| f.provincia == prov)
        {
            // Not every facility is inspected every year: that gap is what the indicator shows.
            let visits = rng.random_range(0..3);
            for _ in 0..visits {
                let date =
                    NaiveDate::from_ymd_opt(y, rng.random_range(1..=12), rng.random_range(1..=28))
                        .unwrap_or_default();
                let nc = if rng.random_range(0..100) < 30 {
                    rng.random_range(1..4)
                } else {
                    0
                };
                out.push(Inspection {
                    date,
                    facility: i,
                    tipo: if rng.random_range(0..2) == 0 {
                        "ordinaria"
                    } else {
                        "straordinaria"
                    },
                    esito: if nc > 0 { "non conforme" } else { "conforme" },
                    non_conformita: nc,
                });
            }
        }
    }
    out.sort_by_key(|x| (x.date, x.facility));
    out
}

fn it_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Formats cents the way Italian spreadsheets export euros: `1.234,56`.
fn it_euro(cents: i64) -> String {
    let units = cents / 100;
    let digits = units.to_string();
    let mut grouped = String::new();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}", cents % 100)
}

fn write_windows_1252(path: &Path, text: &str) -> std::io::Result<()> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "sample text must fit Windows-1252");
    fs::write(path, bytes)
}

/// Padova: the SMAcc-style export, Windows-1252, `;`, decimal comma, dd/mm/yyyy.
fn write_padova(dir: &Path, facilities: &[Facility], rng: &mut ChaCha8Rng) -> std::io::Result<()> {
    let mut s = String::from(
        "Codice struttura;Denominazione;Comune;Provincia;Ente gestore;Tipologia;Posti autorizzati\r\n",
    );
    for f in facilities.iter().filter(|f| f.provincia == "PD") {
        s.push_str(&format!(
            "{};{};{};{};{};{};{}\r\n",
            f.code, f.name, f.comune, f.provincia, f.ente, f.tipologia, f.posti
        ));
    }
    write_windows_1252(&dir.join("strutture.csv"), &s)?;

    let records = month_records(facilities, "PD", rng);
    let mut s = String::from("Data rilevazione;Codice struttura;N. presenti;Posti autorizzati\r\n");
    for (n, r) in records.iter().enumerate() {
        let date = it_date(r.month + Duration::days(14));
        let code = &facilities[r.facility].code;
        // Three rows as offices really send them: an impossible date, a missing code, a note in a number.
        match n {
            100 => s.push_str(&format!("31/02/2024;{code};{};{}\r\n", r.presenti, r.posti)),
            200 => s.push_str(&format!("{date};;{};{}\r\n", r.presenti, r.posti)),
            250 => s.push_str(&format!("{date};{code};n.d.;{}\r\n", r.posti)),
            _ => s.push_str(&format!("{date};{code};{};{}\r\n", r.presenti, r.posti)),
        }
    }
    write_windows_1252(&dir.join("presenze.csv"), &s)?;

    let mut s = String::from(
        "Mese competenza;Codice struttura;Ente gestore;Importo rendicontato;Importo ammesso;Giornate presenza;Data presentazione;Scadenza\r\n",
    );
    for r in &records {
        let f = &facilities[r.facility];
        s.push_str(&format!(
            "{};{};{};{};{};{};{};{}\r\n",
            r.month.format("%m/%Y"),
            f.code,
            f.ente,
            it_euro(r.rendicontato_cents),
            it_euro(r.ammesso_cents),
            r.giornate,
            it_date(r.presentazione),
            it_date(r.scadenza)
        ));
    }
    // The footer SMAcc adds under the rows: a total, which is skipped rather than read as a month.
    let total = |f: fn(&MonthRecord) -> i64| records.iter().map(f).sum::<i64>();
    s.push_str(&format!(
        "TOTALE GENERALE;;;{};{};{};;\r\n",
        it_euro(total(|r| r.rendicontato_cents)),
        it_euro(total(|r| r.ammesso_cents)),
        total(|r| r.giornate)
    ));
    write_windows_1252(&dir.join("rendiconti.csv"), &s)?;

    let mut s = String::from(
        "ID ospite;Codice struttura;Sesso;Anno nascita;Nazionalità;Data ingresso;Data uscita;Motivo uscita;Categoria\r\n",
    );
    for g in guests(facilities, "PD", rng) {
        s.push_str(&format!(
            "{};{};{};{};{};{};{};{};{}\r\n",
            g.id,
            facilities[g.facility].code,
            g.sesso,
            g.anno_nascita,
            g.nazionalita,
            it_date(g.ingresso),
            g.uscita.map(it_date).unwrap_or_default(),
            g.motivo.unwrap_or_default(),
            g.categoria
        ));
    }
    write_windows_1252(&dir.join("ospiti.csv"), &s)?;

    let mut s = String::from("Data ispezione;Codice struttura;Tipo;Esito;Non conformità\r\n");
    for x in inspections(facilities, "PD", rng) {
        s.push_str(&format!(
            "{};{};{};{};{}\r\n",
            it_date(x.date),
            facilities[x.facility].code,
            x.tipo,
            x.esito,
            x.non_conformita
        ));
    }
    write_windows_1252(&dir.join("ispezioni.csv"), &s)
}

/// Writes the two title rows and a blank row Vicenza's software puts above every header.
fn xlsx_titles(ws: &mut Worksheet, title: &str) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.write_string(
        0,
        0,
        "Prefettura di Vicenza - Ufficio Territoriale del Governo",
    )?;
    ws.write_string(1, 0, title)?;
    Ok(())
}

fn xlsx_header(
    ws: &mut Worksheet,
    row: u32,
    headers: &[&str],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &bold)?;
    }
    Ok(())
}

/// A workbook stamped with a fixed creation time, so that regenerating gives byte-identical files.
fn new_workbook() -> Workbook {
    let mut wb = Workbook::new();
    let created = excel_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default());
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    wb
}

fn excel_date(d: NaiveDate) -> rust_xlsxwriter::ExcelDateTime {
    // Every generated date lies in 2021-2026, well inside Excel's range.
    rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
        .expect("date in Excel's range")
}

/// Vicenza: one workbook, one sheet a table, title rows above a header on row 4, real Excel dates.
fn write_vicenza(
    path: &Path,
    facilities: &[Facility],
    rng: &mut ChaCha8Rng,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut wb = new_workbook();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    let money = Format::new().set_num_format("#,##0.00");

    let ws = wb.add_worksheet().set_name("Strutture")?;
    xlsx_titles(ws, "Anagrafica strutture di accoglienza")?;
    xlsx_header(
        ws,
        3,
        &[
            "Cod. Struttura",
            "Nome struttura",
            "Cod. Comune",
            "Prov.",
            "Gestore",
            "Tipo",
            "Capienza",
        ],
    )?;
    for (r, f) in facilities
        .iter()
        .filter(|f| f.provincia == "VI")
        .enumerate()
    {
        let row = 4 + r as u32;
        ws.write_string(row, 0, &f.code)?;
        ws.write_string(row, 1, &f.name)?;
        ws.write_string(row, 2, f.comune)?;
        ws.write_string(row, 3, f.provincia)?;
        ws.write_string(row, 4, f.ente)?;
        ws.write_string(row, 5, f.tipologia)?;
        ws.write_number(row, 6, f.posti as f64)?;
    }

    let records = month_records(facilities, "VI", rng);
    let ws = wb.add_worksheet().set_name("Presenze")?;
    xlsx_titles(ws, "Presenze mensili per struttura")?;
    xlsx_header(
        ws,
        3,
        &["Data", "Cod. Struttura", "Ospiti presenti", "Capienza"],
    )?;
    for (r, m) in records.iter().enumerate() {
        let row = 4 + r as u32;
        ws.write_datetime_with_format(row, 0, excel_date(m.month + Duration::days(27)), &date_fmt)?;
        ws.write_string(row, 1, &facilities[m.facility].code)?;
        ws.write_number(row, 2, m.presenti as f64)?;
        ws.write_number(row, 3, m.posti as f64)?;
    }

    let ws = wb.add_worksheet().set_name("Rendiconti")?;
    xlsx_titles(ws, "Rendicontazione mensile delle spese")?;
    xlsx_header(
        ws,
        3,
        &[
            "Mese",
            "Cod. Struttura",
            "Gestore",
            "Rendicontato (€)",
            "Ammesso (€)",
            "Giornate",
            "Presentato il",
            "Scadenza",
        ],
    )?;
    for (r, m) in records.iter().enumerate() {
        let row = 4 + r as u32;
        ws.write_datetime_with_format(row, 0, excel_date(m.month), &date_fmt)?;
        ws.write_string(row, 1, &facilities[m.facility].code)?;
        ws.write_string(row, 2, facilities[m.facility].ente)?;
        ws.write_number_with_format(row, 3, m.rendicontato_cents as f64 / 100.0, &money)?;
        ws.write_number_with_format(row, 4, m.ammesso_cents as f64 / 100.0, &money)?;
        ws.write_number(row, 5, m.giornate as f64)?;
        ws.write_datetime_with_format(row, 6, excel_date(m.presentazione), &date_fmt)?;
        ws.write_datetime_with_format(row, 7, excel_date(m.scadenza), &date_fmt)?;
    }

    let ws = wb.add_worksheet().set_name("Ospiti")?;
    xlsx_titles(ws, "Ospiti accolti (dati pseudonimizzati)")?;
    xlsx_header(
        ws,
        3,
        &[
            "Codice ospite",
            "Cod. Struttura",
            "Genere",
            "Anno di nascita",
            "Cittadinanza",
            "Ingresso",
            "Uscita",
            "Motivo",
            "Categoria",
        ],
    )?;
    for (r, g) in guests(facilities, "VI", rng).iter().enumerate() {
        let row = 4 + r as u32;
        ws.write_string(row, 0, &g.id)?;
        ws.write_string(row, 1, &facilities[g.facility].code)?;
        ws.write_string(row, 2, g.sesso)?;
        ws.write_number(row, 3, g.anno_nascita as f64)?;
        ws.write_string(row, 4, g.nazionalita)?;
        ws.write_datetime_with_format(row, 5, excel_date(g.ingresso), &date_fmt)?;
        if let Some(u) = g.uscita {
            ws.write_datetime_with_format(row, 6, excel_date(u), &date_fmt)?;
        }
        if let Some(m) = g.motivo {
            ws.write_string(row, 7, m)?;
        }
        ws.write_string(row, 8, g.categoria)?;
    }

    let ws = wb.add_worksheet().set_name("Ispezioni")?;
    xlsx_titles(ws, "Verifiche presso le strutture")?;
    xlsx_header(
        ws,
        3,
        &[
            "Data verifica",
            "Cod. Struttura",
            "Tipologia verifica",
            "Esito",
            "N. non conformità",
        ],
    )?;
    for (r, x) in inspections(facilities, "VI", rng).iter().enumerate() {
        let row = 4 + r as u32;
        ws.write_datetime_with_format(row, 0, excel_date(x.date), &date_fmt)?;
        ws.write_string(row, 1, &facilities[x.facility].code)?;
        ws.write_string(row, 2, x.tipo)?;
        ws.write_string(row, 3, x.esito)?;
        ws.write_number(row, 4, x.non_conformita as f64)?;
    }
    wb.save(path)?;
    Ok(())
}

fn write_utf8_bom(path: &Path, text: &str) -> std::io::Result<()> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.as_bytes());
    fs::write(path, bytes)
}

/// Verona: UTF-8 with a byte-order mark, commas, ISO dates, its own snake_case headers.
fn write_verona(dir: &Path, facilities: &[Facility], rng: &mut ChaCha8Rng) -> std::io::Result<()> {
    let mut s = String::from(
        "id_struttura,nome,comune_istat,sigla_provincia,ente_gestore,tipo_struttura,posti\n",
    );
    for f in facilities.iter().filter(|f| f.provincia == "VR") {
        s.push_str(&format!(
            "{},\"{}\",{},{},\"{}\",{},{}\n",
            f.code, f.name, f.comune, f.provincia, f.ente, f.tipologia, f.posti
        ));
    }
    write_utf8_bom(&dir.join("strutture.csv"), &s)?;

    let records = month_records(facilities, "VR", rng);
    let mut s = String::from("mese,id_struttura,ospiti_presenti,posti_disponibili\n");
    for (n, r) in records.iter().enumerate() {
        let presenti = if n == 150 {
            "12.5".to_string()
        } else {
            r.presenti.to_string()
        };
        s.push_str(&format!(
            "{},{},{presenti},{}\n",
            r.month, facilities[r.facility].code, r.posti
        ));
    }
    write_utf8_bom(&dir.join("presenze.csv"), &s)?;

    let mut s = String::from(
        "mese,id_struttura,ente_gestore,importo_rendicontato,importo_ammesso,giornate,data_presentazione,scadenza\n",
    );
    for r in &records {
        let f = &facilities[r.facility];
        s.push_str(&format!(
            "{},{},\"{}\",{}.{:02},{}.{:02},{},{},{}\n",
            r.month,
            f.code,
            f.ente,
            r.rendicontato_cents / 100,
            r.rendicontato_cents % 100,
            r.ammesso_cents / 100,
            r.ammesso_cents % 100,
            r.giornate,
            r.presentazione,
            r.scadenza
        ));
    }
    write_utf8_bom(&dir.join("rendiconti.csv"), &s)?;

    let mut s = String::from(
        "id_ospite,id_struttura,sesso,anno_nascita,cittadinanza,data_ingresso,data_uscita,motivo_uscita,categoria\n",
    );
    for g in guests(facilities, "VR", rng) {
        s.push_str(&format!(
            "{},{},{},{},\"{}\",{},{},{},{}\n",
            g.id,
            facilities[g.facility].code,
            g.sesso,
            g.anno_nascita,
            g.nazionalita,
            g.ingresso,
            g.uscita.map(|d| d.to_string()).unwrap_or_default(),
            g.motivo.unwrap_or_default(),
            g.categoria
        ));
    }
    write_utf8_bom(&dir.join("ospiti.csv"), &s)?;

    let mut s = String::from("data,id_struttura,tipo,esito,non_conformita\n");
    for x in inspections(facilities, "VR", rng) {
        s.push_str(&format!(
            "{},{},{},{},{}\n",
            x.date, facilities[x.facility].code, x.tipo, x.esito, x.non_conformita
        ));
    }
    write_utf8_bom(&dir.join("ispezioni.csv"), &s)
}

struct Access {
    date: NaiveDate,
    sportello: &'static str,
    livello: i64,
    tema: &'static str,
    esito: &'static str,
    utente: String,
    presa_in_carico: Option<NaiveDate>,
}

fn accesses(
    prefix: &str,
    desks: [&'static str; 2],
    per_year: u32,
    rng: &mut ChaCha8Rng,
) -> Vec<Access> {
    let mut out = Vec::new();
    for &y in &YEARS {
        for _ in 0..per_year + rng.random_range(0..120) {
            let date =
                NaiveDate::from_ymd_opt(y, rng.random_range(1..=12), rng.random_range(1..=28))
                    .unwrap_or_default();
            let roll = rng.random_range(0..100);
            let (livello, esito) = if roll < 35 {
                (2, "presa in carico")
            } else if roll < 55 {
                (1, "inviato ad altro servizio")
            } else {
                (1, "informazione fornita")
            };
            out.push(Access {
                date,
                sportello: desks[rng.random_range(0..2)],
                livello,
                tema: TOPICS[rng.random_range(0..TOPICS.len())],
                esito,
                utente: format!("{prefix}-U{:04}", rng.random_range(1..900)),
                presa_in_carico: (livello == 2)
                    .then(|| date + Duration::days(rng.random_range(1..25))),
            });
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.utente.cmp(&b.utente)));
    out
}

struct Course {
    date: NaiveDate,
    ente: &'static str,
    destinatari: &'static str,
    partecipanti: i64,
    ore: f64,
}

fn courses(rng: &mut ChaCha8Rng) -> Vec<Course> {
    let mut out = Vec::new();
    for &y in &YEARS {
        for _ in 0..rng.random_range(6..10) {
            out.push(Course {
                date: NaiveDate::from_ymd_opt(
                    y,
                    rng.random_range(1..=12),
                    rng.random_range(1..=28),
                )
                .unwrap_or_default(),
                ente: TABLE_ENTITIES[rng.random_range(0..TABLE_ENTITIES.len())],
                destinatari: if rng.random_range(0..100) < 75 {
                    "operatori"
                } else {
                    "volontari"
                },
                partecipanti: rng.random_range(8..=26),
                ore: rng.random_range(8..=40) as f64 / 2.0,
            });
        }
    }
    out.sort_by_key(|c| c.date);
    out
}

/// Attendance at the Tavolo Immigrazione: four meetings a year, each entity with its own habit.
fn attendance(rng: &mut ChaCha8Rng) -> Vec<(NaiveDate, &'static str, bool)> {
    let habits: Vec<u32> = TABLE_ENTITIES
        .iter()
        .map(|_| rng.random_range(35..=100))
        .collect();
    let mut out = Vec::new();
    for &y in &YEARS {
        for m in [2, 5, 9, 11] {
            let date = NaiveDate::from_ymd_opt(y, m, rng.random_range(5..=25)).unwrap_or_default();
            for (e, habit) in TABLE_ENTITIES.iter().zip(&habits) {
                out.push((date, *e, rng.random_range(0..100) < *habit));
            }
        }
    }
    out
}

/// The district-plan indicators as a Piano di Zona reports them: expected and achieved per triennium.
const PDZ_ROWS: [(&str, &str, &str, f64, f64, f64); 6] = [
    (
        "Inclusione dei cittadini stranieri",
        "Persone supportate dagli sportelli",
        "output",
        300.0,
        600.0,
        650.0,
    ),
    (
        "Rafforzamento della rete",
        "Operatori formati",
        "processo",
        120.0,
        145.0,
        160.0,
    ),
    (
        "Accesso ai servizi",
        "Ore di apertura degli sportelli",
        "processo",
        900.0,
        2000.0,
        2100.0,
    ),
    (
        "Governance del Tavolo",
        "Enti presenti ad almeno il 70% degli incontri (%)",
        "outcome",
        70.0,
        64.0,
        75.0,
    ),
    (
        "Qualità percepita",
        "Soddisfazione degli utenti (1-10)",
        "outcome",
        8.0,
        8.6,
        9.0,
    ),
    (
        "Tratta e sfruttamento",
        "Vittime di tratta che accedono ai servizi (%)",
        "outcome",
        15.0,
        5.0,
        15.0,
    ),
];

/// Triennium, objective, indicator, type, expected value, achieved value (none yet for a plan in progress).
type PdzRow = (
    String,
    &'static str,
    &'static str,
    &'static str,
    f64,
    Option<f64>,
);

fn pdz_rows(rng: &mut ChaCha8Rng) -> Vec<PdzRow> {
    let mut out = Vec::new();
    for (obiettivo, indicatore, tipo, atteso, realizzato, atteso_next) in PDZ_ROWS {
        let jitter = rng.random_range(90..=110) as f64 / 100.0;
        let achieved = (realizzato * jitter * 10.0).round() / 10.0;
        out.push((
            "2021-2023".to_string(),
            obiettivo,
            indicatore,
            tipo,
            atteso,
            Some(achieved),
        ));
        out.push((
            "2025-2027".to_string(),
            obiettivo,
            indicatore,
            tipo,
            atteso_next,
            None,
        ));
    }
    out
}

fn it_number(x: f64) -> String {
    let s = format!("{x}");
    s.replace('.', ",")
}

/// Lodi: UTF-8 CSV with `;`, decimal comma and dd/mm/yyyy, as the Ufficio di Piano's spreadsheet saves it.
fn write_lodi(dir: &Path, rng: &mut ChaCha8Rng) -> std::io::Result<()> {
    let mut s = String::from(
        "Data accesso;Sportello;Livello;Tema;Esito;Codice utente;Data presa in carico\n",
    );
    for a in accesses(
        "LO",
        ["Sportello Lodi centro", "Sportello Casalpusterlengo"],
        520,
        rng,
    ) {
        s.push_str(&format!(
            "{};{};{};{};{};{};{}\n",
            it_date(a.date),
            a.sportello,
            a.livello,
            a.tema,
            a.esito,
            a.utente,
            a.presa_in_carico.map(it_date).unwrap_or_default()
        ));
    }
    fs::write(dir.join("accessi_sportello.csv"), s)?;

    let mut s = String::from("Data corso;Ente formatore;Destinatari;Partecipanti;Ore\n");
    for c in courses(rng) {
        s.push_str(&format!(
            "{};{};{};{};{}\n",
            it_date(c.date),
            c.ente,
            c.destinatari,
            c.partecipanti,
            it_number(c.ore)
        ));
    }
    fs::write(dir.join("formazione.csv"), s)?;

    let mut s = String::from("Data incontro;Ente;Presente\n");
    for (d, e, present) in attendance(rng) {
        s.push_str(&format!(
            "{};{e};{}\n",
            it_date(d),
            if present { "Sì" } else { "No" }
        ));
    }
    fs::write(dir.join("tavolo.csv"), s)?;

    let mut s =
        String::from("Triennio;Obiettivo;Indicatore;Tipo;Valore atteso;Valore realizzato\n");
    for (t, o, i, tipo, atteso, realizzato) in pdz_rows(rng) {
        s.push_str(&format!(
            "{t};{o};{i};{tipo};{};{}\n",
            it_number(atteso),
            realizzato.map(it_number).unwrap_or_default()
        ));
    }
    fs::write(dir.join("pdz_indicatori.csv"), s)
}

/// Crema: desk contacts from the web portal as JSON, the rest in a workbook with the header on row 1.
fn write_crema(dir: &Path, rng: &mut ChaCha8Rng) -> Result<(), Box<dyn std::error::Error>> {
    let items: Vec<serde_json::Value> =
        accesses("CR", ["Sportello Crema", "Sportello Soncino"], 380, rng)
            .into_iter()
            .map(|a| {
                serde_json::json!({
                    "data": a.date.to_string(),
                    "sportello": a.sportello,
                    "livello": a.livello,
                    "tema": a.tema,
                    "esito": a.esito,
                    "utente": a.utente,
                    "data_presa_in_carico": a.presa_in_carico.map(|d| d.to_string()),
                })
            })
            .collect();
    fs::write(
        dir.join("accessi_sportello.json"),
        serde_json::to_string_pretty(&items)?,
    )?;

    let mut wb = new_workbook();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet().set_name("Formazione")?;
    xlsx_header(
        ws,
        0,
        &["Data", "Ente", "Destinatari", "Partecipanti", "Ore"],
    )?;
    for (r, c) in courses(rng).iter().enumerate() {
        let row = 1 + r as u32;
        ws.write_datetime_with_format(row, 0, excel_date(c.date), &date_fmt)?;
        ws.write_string(row, 1, c.ente)?;
        ws.write_string(row, 2, c.destinatari)?;
        ws.write_number(row, 3, c.partecipanti as f64)?;
        ws.write_number(row, 4, c.ore)?;
    }
    let ws = wb.add_worksheet().set_name("Tavolo")?;
    xlsx_header(ws, 0, &["Data incontro", "Ente", "Presenza"])?;
    for (r, (d, e, present)) in attendance(rng).iter().enumerate() {
        let row = 1 + r as u32;
        ws.write_datetime_with_format(row, 0, excel_date(*d), &date_fmt)?;
        ws.write_string(row, 1, *e)?;
        if *present {
            ws.write_string(row, 2, "x")?;
        }
    }
    let ws = wb.add_worksheet().set_name("Piano di Zona")?;
    xlsx_header(
        ws,
        0,
        &[
            "Triennio",
            "Obiettivo",
            "Indicatore",
            "Tipo",
            "Atteso",
            "Realizzato",
        ],
    )?;
    for (r, (t, o, i, tipo, atteso, realizzato)) in pdz_rows(rng).iter().enumerate() {
        let row = 1 + r as u32;
        ws.write_string(row, 0, t)?;
        ws.write_string(row, 1, *o)?;
        ws.write_string(row, 2, *i)?;
        ws.write_string(row, 3, *tipo)?;
        ws.write_number(row, 4, *atteso)?;
        if let Some(v) = realizzato {
            ws.write_number(row, 5, *v)?;
        }
    }
    wb.save(dir.join("ambito_crema.xlsx"))?;
    Ok(())
}

/// The regional network of desks for foreign citizens (SISTER's model): first-level desks
/// (social desks, URP), second-level centres for foreigners, and third-level thematic hubs.
const NETWORK: [(&str, &str, Option<&str>); 4] = [
    (
        "RA",
        "Provincia di Ravenna",
        Some("prestazioni sociali e anagrafe"),
    ),
    ("FE", "Provincia di Ferrara", Some("salute")),
    (
        "RE",
        "Provincia di Reggio Emilia",
        Some("titoli di soggiorno"),
    ),
    ("BO", "Provincia di Bologna", None),
];

const NETWORK_TOPICS: [&str; 6] = [
    "documenti e permessi",
    "lavoro",
    "casa",
    "salute",
    "lingua",
    "legale",
];

struct Desk {
    code: String,
    name: String,
    level: u8,
    hub: &'static str,
    province: &'static str,
    since: NaiveDate,
}

fn desks() -> Vec<Desk> {
    let mut out = Vec::new();
    for (p, (code, name, hub)) in NETWORK.iter().enumerate() {
        let town = name.trim_start_matches("Provincia di ");
        let (first, second) = if *code == "BO" { (6, 3) } else { (5, 2) };
        for i in 0..first {
            out.push(Desk {
                code: format!("{code}1{:02}", i + 1),
                name: format!("Sportello sociale {town} {}", i + 1),
                level: 1,
                hub: "",
                province: code,
                // One first-level desk per province opens in 2025.
                since: NaiveDate::from_ymd_opt(
                    if i + 1 == first { 2025 } else { 2024 },
                    1 + p as u32,
                    1,
                )
                .unwrap_or_default(),
            });
        }
        for i in 0..second {
            out.push(Desk {
                code: format!("{code}2{:02}", i + 1),
                name: format!("Centro stranieri {town} {}", i + 1),
                level: 2,
                hub: "",
                province: code,
                since: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            });
        }
        if let Some(topic) = hub {
            out.push(Desk {
                code: format!("{code}301"),
                name: format!("Hub {topic} {town}"),
                level: 3,
                hub: topic,
                province: code,
                since: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap_or_default(),
            });
        }
    }
    out
}

/// The registry of desks and, per province, a monthly export of contacts; Reggio Emilia's desks
/// did not send two months, which the completeness heatmap shows.
fn write_network(dir: &Path, rng: &mut ChaCha8Rng) -> std::io::Result<()> {
    let desks = desks();
    let mut s = String::from("Codice;Sportello;Livello;Hub tematico;Provincia;Attivo dal\n");
    for d in &desks {
        s.push_str(&format!(
            "{};{};{};{};{};{}\n",
            d.code,
            d.name,
            d.level,
            d.hub,
            d.province,
            it_date(d.since)
        ));
    }
    fs::write(dir.join("sportelli.csv"), s)?;
    let missing = [(2025, 3), (2025, 8)];
    for (p, (code, _, _)) in NETWORK.iter().enumerate() {
        let mut s = String::from(
            "Data contatto;Sportello;Livello;Tema;Inviato al 2° livello;Esito invio;Giorni per la risposta\n",
        );
        // Each province resolves referrals at its own rate.
        let resolved = [0.78, 0.66, 0.72, 0.7][p];
        for year in [2024, 2025] {
            for month in 1..=12 {
                if *code == "RE" && missing.contains(&(year, month)) {
                    continue;
                }
                let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                    continue;
                };
                let open: Vec<&Desk> = desks
                    .iter()
                    .filter(|d| d.province == *code && d.since <= first)
                    .collect();
                let n = rng.random_range(40..=90) + 10 * open.len();
                for _ in 0..n {
                    let d = open[rng.random_range(0..open.len())];
                    let date = first + Duration::days(rng.random_range(0..days_in_month(first)));
                    let topic = if d.level == 3 && rng.random_bool(0.7) {
                        match d.hub {
                            "salute" => "salute",
                            "titoli di soggiorno" => "documenti e permessi",
                            _ => "casa",
                        }
                    } else {
                        NETWORK_TOPICS[rng.random_range(0..NETWORK_TOPICS.len())]
                    };
                    let referred = d.level == 1 && rng.random_bool(0.22);
                    let outcome = if !referred {
                        ""
                    } else if rng.random_bool(resolved) {
                        "risolto"
                    } else if rng.random_bool(0.5) {
                        "in corso"
                    } else {
                        "non risolto"
                    };
                    let days = match d.level {
                        1 => rng.random_range(0..=4),
                        2 => rng.random_range(2..=14),
                        _ => rng.random_range(3..=21),
                    };
                    s.push_str(&format!(
                        "{};{};{};{topic};{};{outcome};{days}\n",
                        it_date(date),
                        d.code,
                        d.level,
                        if referred { "Sì" } else { "No" },
                    ));
                }
            }
        }
        fs::write(dir.join(format!("contatti_{}.csv", code.to_lowercase())), s)?;
    }
    Ok(())
}
