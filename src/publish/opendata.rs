//! Open data with every bundle: the figures as SDMX-CSV 2.0 (`data.sdmx.csv`, beside each page's
//! `data.csv` and, for the whole bundle, at its root), the bundle's DCAT-AP_IT catalogue record
//! (`catalog.jsonld`), and an OpenDocument spreadsheet beside every workbook.

use std::collections::BTreeMap;
use std::path::Path;

use super::PublishedFigure;
use super::bundle::{BundleError, FileFailure, files_below, io};
use super::disclosure::Suppression;
use crate::config::{Period, Project, Unit};

/// The SDMX-CSV file of a page (beside `data.csv`) and of a bundle (at its root).
pub const SDMX_FILE: &str = "data.sdmx.csv";
/// The bundle's catalogue record.
pub const CATALOG_FILE: &str = "catalog.jsonld";
/// The maintenance agency of the dataflow.
pub const AGENCY: &str = "IT_OSSERVATORIO";

/// The SDMX-CSV 2.0 columns, in order.
pub const SDMX_COLUMNS: [&str; 9] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "INDICATOR",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "CONF_STATUS",
];

/// An SDMX id from a free name: upper-case ASCII letters, digits and `_`.
pub fn sdmx_id(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = match c {
            'à' | 'á' | 'À' | 'Á' => 'A',
            'è' | 'é' | 'È' | 'É' => 'E',
            'ì' | 'í' | 'Ì' | 'Í' => 'I',
            'ò' | 'ó' | 'Ò' | 'Ó' => 'O',
            'ù' | 'ú' | 'Ù' | 'Ú' => 'U',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    match out.chars().next() {
        None => "OSSERVATORIO".to_string(),
        Some(c) if c.is_ascii_digit() => format!("P_{out}"),
        Some(_) => out,
    }
}

/// `IT_OSSERVATORIO:DF_<PROJECT>(1.0)`: the dataflow every figure of the project belongs to.
pub fn structure_id(project: &Project) -> String {
    format!("{AGENCY}:DF_{}(1.0)", sdmx_id(&project.settings.name))
}

/// A period in SDMX notation: `2024-M03`, `2024-Q1`, `2024`; a plan period as a time range
/// (`2025-01-01/P3Y`).
pub fn sdmx_period(period: &str) -> String {
    match Period::parse(period) {
        Some(Period::Month { year, month }) => format!("{year}-M{month:02}"),
        Some(Period::Quarter { year, quarter }) => format!("{year}-Q{quarter}"),
        Some(Period::Year(y)) => y.to_string(),
        Some(Period::Plan { from, to }) => format!("{from}-01-01/P{}Y", to - from + 1),
        None => period.to_string(),
    }
}

/// The unit of measure code (Eurostat's where one fits).
pub fn unit_code(unit: Option<Unit>) -> &'static str {
    match unit {
        Some(Unit::Count) => "NR",
        Some(Unit::Percent) => "PC",
        Some(Unit::Ratio) => "RT",
        Some(Unit::Per1000) => "PER_THS",
        Some(Unit::Hours) => "H",
        Some(Unit::Days) => "D",
        Some(Unit::Euro) => "EUR",
        Some(Unit::Score) => "SCORE",
        None => "",
    }
}

/// `F` free, `A` primary, `D` secondary confidentiality (SDMX CL_CONF_STATUS).
pub fn conf_status(s: Option<Suppression>) -> &'static str {
    match s {
        None => "F",
        Some(Suppression::Primary) => "A",
        Some(Suppression::Secondary) => "D",
    }
}

/// One SDMX-CSV record of a published figure; a suppressed one has no OBS_VALUE.
pub fn sdmx_record(project: &Project, structure: &str, f: &PublishedFigure) -> [String; 9] {
    let unit = project.indicator(&f.indicator).map(|i| i.unit);
    [
        "dataflow".to_string(),
        structure.to_string(),
        "I".to_string(),
        f.indicator.clone(),
        project.territories.ref_area(&f.territory),
        sdmx_period(&f.period),
        f.value
            .filter(|_| !f.suppressed())
            .map(|v| crate::indicators::output::tidy(v).to_string())
            .unwrap_or_default(),
        unit_code(unit).to_string(),
        conf_status(f.suppression).to_string(),
    ]
}

/// Writes a page's figures as `data.sdmx.csv` into `dir`.
pub fn write_sdmx(
    project: &Project,
    figures: &[&PublishedFigure],
    dir: &Path,
) -> Result<(), BundleError> {
    let structure = structure_id(project);
    let rows: Vec<[String; 9]> = figures
        .iter()
        .map(|f| sdmx_record(project, &structure, f))
        .collect();
    write_sdmx_rows(&dir.join(SDMX_FILE), &rows)
}

fn write_sdmx_rows(path: &Path, rows: &[[String; 9]]) -> Result<(), BundleError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| io(path, e))?;
    w.write_record(SDMX_COLUMNS).map_err(|e| io(path, e))?;
    for r in rows {
        crate::text::write_csv_record(&mut w, r.clone()).map_err(|e| io(path, e))?;
    }
    w.flush().map_err(|e| io(path, e))
}

/// Fills in what every bundle holds besides the rendered pages: an `.ods` beside each `.xlsx`
/// (for pages rendered before they were written), the bundle's `data.sdmx.csv` (every page's
/// figures, once each) and `catalog.jsonld`.
pub fn complete_bundle(
    project: &Project,
    staging: &Path,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), BundleError> {
    let files = files_below(staging).map_err(|e| io(staging, e))?;
    for rel in files.iter().filter(|f| f.ends_with(".xlsx")) {
        let xlsx = staging.join(rel);
        let ods = xlsx.with_extension("ods");
        if !ods.exists() {
            super::ods::from_xlsx(&xlsx, &ods, project.settings.locale)
                .map_err(|e| io(&xlsx, e))?;
        }
    }
    let mut merged: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for rel in files.iter().filter(|f| f.ends_with("/data.csv")) {
        let dir = rel.trim_end_matches("data.csv");
        let sdmx = staging.join(format!("{dir}{SDMX_FILE}"));
        if !sdmx.exists() {
            return Err(BundleError::NothingRendered(format!(
                "{} has no {SDMX_FILE}: its pages were rendered by an older osservatorio; run `osservatorio render` again, then publish",
                project.settings.output.join(dir).display()
            )));
        }
        let mut r = csv::Reader::from_path(&sdmx).map_err(|e| io(&sdmx, e))?;
        for rec in r.records() {
            let rec = rec.map_err(|e| io(&sdmx, e))?;
            let row: Vec<String> = rec.iter().map(str::to_string).collect();
            if row.len() != SDMX_COLUMNS.len() {
                return Err(io(
                    &sdmx,
                    FileFailure::Malformed("a row without the nine SDMX-CSV columns"),
                ));
            }
            merged
                .entry((row[3].clone(), row[4].clone(), row[5].clone()))
                .or_insert(row);
        }
    }
    let rows: Vec<[String; 9]> = merged
        .into_values()
        .filter_map(|r| <[String; 9]>::try_from(r).ok())
        .collect();
    write_sdmx_rows(&staging.join(SDMX_FILE), &rows)?;
    let mut data_files: Vec<String> = files_below(staging)
        .map_err(|e| io(staging, e))?
        .into_iter()
        .filter(|f| {
            f == SDMX_FILE
                || f.ends_with("/data.csv")
                || f.ends_with("/data.xlsx")
                || f.ends_with("/data.ods")
                || f.ends_with("/data.sdmx.csv")
        })
        .collect();
    data_files.sort();
    let catalog = catalog(project, name, now, &data_files);
    let text = serde_json::to_vec_pretty(&catalog).map_err(|e| io(staging, e))?;
    let path = staging.join(CATALOG_FILE);
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}

const THEME_BASE: &str = "http://publications.europa.eu/resource/authority/data-theme/";
const FREQUENCY_BASE: &str = "http://publications.europa.eu/resource/authority/frequency/";
const FORMAT_BASE: &str = "http://publications.europa.eu/resource/authority/file-type/";

fn file_format(path: &str) -> (&'static str, &'static str) {
    if path.ends_with(".csv") {
        ("CSV", "text/csv")
    } else if path.ends_with(".xlsx") {
        (
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else if path.ends_with(".ods") {
        ("ODS", "application/vnd.oasis.opendocument.spreadsheet")
    } else {
        ("BIN", "application/octet-stream")
    }
}

/// The bundle's DCAT-AP_IT record: one dataset, its publisher and rights holder (the office, by
/// its IPA code), EU theme and frequency, licence, and one distribution per data file.
pub fn catalog(
    project: &Project,
    bundle: &str,
    now: chrono::DateTime<chrono::Utc>,
    data_files: &[String],
) -> serde_json::Value {
    use serde_json::json;
    let p = &project.settings.publication;
    let base = p.base_url.clone().map(|b| format!("{b}{bundle}/"));
    let url_of = |rel: &str| match &base {
        Some(b) => format!("{b}{rel}"),
        None => rel.to_string(),
    };
    let identifier = match &p.publisher_ipa {
        Some(ipa) => format!("{ipa}:{}", sdmx_id(&project.settings.name)),
        None => sdmx_id(&project.settings.name),
    };
    let mut agent = json!({
        "@id": format!("#publisher"),
        "@type": ["dcatapit:Agent", "foaf:Agent"],
        "foaf:name": p.publisher_name,
    });
    if let Some(ipa) = &p.publisher_ipa {
        agent["dct:identifier"] = json!(ipa);
    }
    let licence = json!({ "@id": p.license });
    let distributions: Vec<serde_json::Value> = data_files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (code, media) = file_format(f);
            json!({
                "@id": format!("#distribution-{}", i + 1),
                "@type": ["dcatapit:Distribution", "dcat:Distribution"],
                "dct:title": f,
                "dcat:accessURL": { "@id": url_of(f) },
                "dcat:downloadURL": { "@id": url_of(f) },
                "dct:format": { "@id": format!("{FORMAT_BASE}{code}") },
                "dcat:mediaType": media,
                "dct:license": licence,
            })
        })
        .collect();
    let modified = now.format("%Y-%m-%d").to_string();
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "dcatapit": "http://dati.gov.it/onto/dcatapit#",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "dct:modified": { "@type": "xsd:date" },
            "dct:issued": { "@type": "xsd:date" }
        },
        "@id": format!("#{bundle}"),
        "@type": ["dcatapit:Dataset", "dcat:Dataset"],
        "dct:title": { "@value": format!("{} — {bundle}", project.settings.name), "@language": project.settings.locale.code() },
        "dct:description": {
            "@value": format!(
                "Indicatori pubblicati da {} ({}): ogni valore mostrato nei cruscotti, con i valori riservati (segreto statistico) oscurati.",
                p.publisher_name, project.settings.name
            ),
            "@language": "it"
        },
        "dct:identifier": identifier,
        "dct:publisher": agent.clone(),
        "dct:rightsHolder": agent,
        "dcat:theme": { "@id": format!("{THEME_BASE}{}", p.theme) },
        "dct:accrualPeriodicity": { "@id": format!("{FREQUENCY_BASE}{}", p.frequency) },
        "dct:modified": modified,
        "dct:issued": modified,
        "dct:license": licence,
        "dct:language": { "@id": "http://publications.europa.eu/resource/authority/language/ITA" },
        "dcat:distribution": distributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_in_sdmx_notation() {
        assert_eq!(sdmx_period("2024-03"), "2024-M03");
        assert_eq!(sdmx_period("2024-Q1"), "2024-Q1");
        assert_eq!(sdmx_period("2024"), "2024");
        assert_eq!(sdmx_period("2025-2027"), "2025-01-01/P3Y");
    }

    #[test]
    fn ids_are_sdmx_ids() {
        assert_eq!(
            sdmx_id("Osservatorio accoglienza e integrazione"),
            "OSSERVATORIO_ACCOGLIENZA_E_INTEGRAZIONE"
        );
        assert_eq!(sdmx_id("Città  2024!"), "CITTA_2024");
        assert_eq!(sdmx_id("2024 x"), "P_2024_X");
    }
}
