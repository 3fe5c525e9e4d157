//! `render --annex`: the plan's monitoring annex as editable documents (`annex.odt`, `annex.docx`)
//! in each dashboard's folder, for the dashboards that show plan indicators.
//!
//! One objective per dashboard section; under it, one row per indicator and territory with the
//! indicator's type, the expected value (its target), the achieved value, the status and an empty
//! notes column the office fills in. Figures are written as the pages show them: in the project
//! locale, `c` when suppressed.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{Chart, Dashboard, Grain, Indicator, Kind, Locale, Period, Project};
use crate::indicators::output;
use crate::indicators::targets::Status;
use crate::publish::{CONFIDENTIAL, PublishedFigure, PublishedFigures};

use super::{format, labels};

/// Why an annex could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AnnexError {
    /// The indicator table could not be read.
    #[error("reading the indicator table: {0}")]
    Indicators(#[from] crate::indicators::IndicatorError),
    /// The Word document could not be assembled.
    #[error("{path}: writing the Word document: {source}")]
    Docx {
        /// The document.
        path: PathBuf,
        /// What the writer said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The OpenDocument text could not be assembled.
    #[error("{path}: writing the OpenDocument text: {source}")]
    Odt {
        /// The document.
        path: PathBuf,
        /// What the zip writer said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A document could not be saved.
    #[error("saving the annex: {0}")]
    Save(crate::indicators::IndicatorError),
}

/// One objective of the annex: a heading and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// The objective, as its section is titled.
    pub title: String,
    /// One row per indicator and territory, cells in the order of [`Annex::headers`].
    pub rows: Vec<Vec<String>>,
}

/// The annex of one dashboard, ready to be written in any format.
#[derive(Debug, Clone, PartialEq)]
pub struct Annex {
    /// The document's title.
    pub title: String,
    /// A line under the title: the project and the periods shown.
    pub subtitle: String,
    /// The column titles of every objective's table.
    pub headers: Vec<String>,
    /// The objectives, in the dashboard's order.
    pub objectives: Vec<Objective>,
}

/// The indicator type as the plans' monitoring tables write it: `di output`, `di processo`, `di outcome`.
pub fn kind_words(kind: Kind, locale: Locale) -> &'static str {
    match (kind, locale) {
        (Kind::Output, Locale::It) => "di output",
        (Kind::Process, Locale::It) => "di processo",
        (Kind::Outcome, Locale::It) => "di outcome",
        (Kind::Output, Locale::En) => "output",
        (Kind::Process, Locale::En) => "process",
        (Kind::Outcome, Locale::En) => "outcome",
    }
}

/// Whether a figure is on a plan period and says something the annex reports.
fn plan_figure(f: &PublishedFigure) -> bool {
    f.grain == Grain::Plan.as_str()
}

/// Whether `ind` is a plan indicator: its grain is the plan, or it sets a target on plan periods
/// (`period: 2025-2027` or `grain: plan`, or `targets_sql` returning plan periods). A target for
/// every period does not make one: it is a yearly or monthly objective.
fn is_plan_indicator(ind: &Indicator, figures: &PublishedFigures) -> bool {
    ind.grain == Grain::Plan
        || ind
            .targets
            .iter()
            .any(|t| matches!(t.period, Some(Period::Plan { .. })) || t.grain == Some(Grain::Plan))
        || (ind.targets_sql.is_some()
            && figures
                .by_key
                .values()
                .any(|f| f.indicator == ind.id && plan_figure(f) && f.target.is_some()))
}

/// The plan period a chart's row reports: the chart's own when it is a plan period, else the
/// latest plan period of the indicator and territory that overlaps the dashboard's range.
fn plan_period(
    figures: &PublishedFigures,
    d: &Dashboard,
    chart_period: Option<Period>,
    indicator: &str,
    territory: &str,
) -> Option<Period> {
    if let Some(p @ Period::Plan { .. }) = chart_period {
        return Some(p);
    }
    figures
        .by_key
        .values()
        .filter(|f| f.indicator == indicator && f.territory == territory && plan_figure(f))
        .filter_map(|f| Period::parse(&f.period))
        .filter(|p| match d.period {
            Some((from, to)) => {
                p.first_month() <= to.last_month() && p.last_month() >= from.first_month()
            }
            None => true,
        })
        .max_by_key(|p| p.sort_key())
}

fn chart_period(c: &Chart) -> Option<Period> {
    match c {
        Chart::Bar { period, .. }
        | Chart::Target { period, .. }
        | Chart::Table { period, .. }
        | Chart::Kpi { period, .. }
        | Chart::Map { period, .. } => *period,
        _ => None,
    }
}

/// The annex of `d`, or none when the dashboard shows no plan indicator.
pub fn annex_of(project: &Project, figures: &PublishedFigures, d: &Dashboard) -> Option<Annex> {
    let locale = project.settings.locale;
    let l = labels::labels(locale);
    let (status_word, note_word, expected, achieved, kind_word) = match locale {
        Locale::It => (
            "Stato",
            "Note",
            "Valore atteso",
            "Valore realizzato",
            "Tipologia",
        ),
        Locale::En => (
            "Status",
            "Notes",
            "Expected value",
            "Achieved value",
            "Type",
        ),
    };
    let headers = vec![
        l.indicator.to_string(),
        l.territory.to_string(),
        l.period.to_string(),
        kind_word.to_string(),
        expected.to_string(),
        achieved.to_string(),
        status_word.to_string(),
        note_word.to_string(),
    ];
    let mut objectives = Vec::new();
    // A row is reported once, under the first objective that shows it.
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for s in &d.sections {
        let mut rows = Vec::new();
        for c in &s.charts {
            for id in c.indicators() {
                let Some(ind) = project.indicator(id) else {
                    continue;
                };
                if !is_plan_indicator(ind, figures) {
                    continue;
                }
                for t in c.territories(&project.territories) {
                    let Some(p) = plan_period(figures, d, chart_period(c), id, &t) else {
                        continue;
                    };
                    if !seen.insert((id.to_string(), t.clone(), p.to_string())) {
                        continue;
                    }
                    let f = figures.get(id, &t, &p.to_string());
                    rows.push(row(project, ind, &t, p, f));
                }
            }
        }
        if !rows.is_empty() {
            objectives.push(Objective {
                title: locale.pick(&s.title),
                rows,
            });
        }
    }
    if objectives.is_empty() {
        return None;
    }
    let title = match locale {
        Locale::It => format!("Allegato di monitoraggio — {}", locale.pick(&d.title)),
        Locale::En => format!("Monitoring annex — {}", locale.pick(&d.title)),
    };
    Some(Annex {
        title,
        subtitle: project.settings.name.clone(),
        headers,
        objectives,
    })
}

fn row(
    project: &Project,
    ind: &Indicator,
    territory: &str,
    p: Period,
    f: Option<&PublishedFigure>,
) -> Vec<String> {
    let locale = project.settings.locale;
    let l = labels::labels(locale);
    let dash = || "—".to_string();
    let target = f
        .and_then(|f| f.target)
        .map(|v| format::value(v, ind.unit, locale))
        .unwrap_or_else(dash);
    let hidden = f.is_some_and(PublishedFigure::suppressed);
    let value = match f {
        _ if hidden => CONFIDENTIAL.to_string(),
        Some(f) => f
            .value
            .map(|v| format::value(v, ind.unit, locale))
            .unwrap_or_else(dash),
        None => dash(),
    };
    let status = match f {
        // A status would tell which side of the target a hidden figure is on.
        _ if hidden => l.confidential.to_string(),
        Some(f) => format::status(Status::parse(&f.status), locale).to_string(),
        None => format::status(Status::NoData, locale).to_string(),
    };
    vec![
        locale.pick(&ind.title),
        project.territories.name_of(territory),
        format::period(&p.to_string(), locale),
        kind_words(ind.kind, locale).to_string(),
        target,
        value,
        status,
        String::new(),
    ]
}

/// Writes `annex.odt` and `annex.docx` into the folder of each rendered dashboard (those in
/// `dashboards`) that shows plan indicators; returns the files written.
pub fn write_annexes(project: &Project, dashboards: &[String]) -> Result<Vec<PathBuf>, AnnexError> {
    let out = &project.settings.output;
    let figures = crate::publish::published_figures(project, output::read(out)?);
    let mut written = Vec::new();
    for d in project
        .dashboards
        .iter()
        .filter(|d| dashboards.contains(&d.id))
    {
        let Some(annex) = annex_of(project, &figures, d) else {
            continue;
        };
        let dir = out.join(&d.id);
        let odt = dir.join("annex.odt");
        output::write_atomic(&odt, &to_odt(&annex, &odt)?).map_err(AnnexError::Save)?;
        let docx = dir.join("annex.docx");
        output::write_atomic(&docx, &to_docx(&annex, &docx)?).map_err(AnnexError::Save)?;
        written.push(odt);
        written.push(docx);
    }
    Ok(written)
}

/// The annex as a Word document.
pub fn to_docx(annex: &Annex, path: &Path) -> Result<Vec<u8>, AnnexError> {
    use docx_rs::{Docx, Paragraph, Run, Style, StyleType, Table, TableCell, TableRow, WidthType};
    let para = |text: &str, bold: bool| {
        let run = Run::new().add_text(text);
        Paragraph::new().add_run(if bold { run.bold() } else { run })
    };
    let mut doc = Docx::new()
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("Heading 1")
                .size(32)
                .bold(),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("Heading 2")
                .size(26)
                .bold(),
        )
        .add_paragraph(para(&annex.title, false).style("Heading1"))
        .add_paragraph(para(&annex.subtitle, false));
    for o in &annex.objectives {
        doc = doc.add_paragraph(para(&o.title, false).style("Heading2"));
        let header = TableRow::new(
            annex
                .headers
                .iter()
                .map(|h| TableCell::new().add_paragraph(para(h, true)))
                .collect(),
        );
        let rows = std::iter::once(header).chain(o.rows.iter().map(|r| {
            TableRow::new(
                r.iter()
                    .map(|c| TableCell::new().add_paragraph(para(c, false)))
                    .collect(),
            )
        }));
        doc = doc
            .add_table(Table::new(rows.collect()).width(5000, WidthType::Pct))
            .add_paragraph(Paragraph::new());
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| AnnexError::Docx {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    Ok(buf.into_inner())
}

/// Text escaped for XML, on one line: a table cell's line breaks and tabs become spaces.
fn xml(s: &str) -> String {
    crate::text::xml_escape(&s.replace(['\t', '\n', '\r'], " "))
}

const ODT_MIME: &str = "application/vnd.oasis.opendocument.text";

fn odt_content(annex: &Annex) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
        r#"xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" "#,
        r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" "#,
        r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
        r#"xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3">"#,
        r#"<office:automatic-styles>"#,
        r#"<style:style style:name="Annex" style:family="table"><style:table-properties style:width="17cm" table:align="margins"/></style:style>"#,
        r#"<style:style style:name="Cell" style:family="table-cell"><style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="0.08cm"/></style:style>"#,
        r#"<style:style style:name="Head" style:family="paragraph"><style:text-properties fo:font-weight="bold"/></style:style>"#,
        r#"</office:automatic-styles><office:body><office:text>"#,
    ));
    s.push_str(&format!(
        r#"<text:h text:outline-level="1">{}</text:h><text:p>{}</text:p>"#,
        xml(&annex.title),
        xml(&annex.subtitle)
    ));
    let cell = |text: &str, head: bool| {
        let style = if head {
            r#" text:style-name="Head""#
        } else {
            ""
        };
        if text.is_empty() {
            format!(
                r#"<table:table-cell table:style-name="Cell" office:value-type="string"><text:p{style}/></table:table-cell>"#
            )
        } else {
            format!(
                r#"<table:table-cell table:style-name="Cell" office:value-type="string"><text:p{style}>{}</text:p></table:table-cell>"#,
                xml(text)
            )
        }
    };
    for (i, o) in annex.objectives.iter().enumerate() {
        s.push_str(&format!(
            r#"<text:h text:outline-level="2">{}</text:h>"#,
            xml(&o.title)
        ));
        s.push_str(&format!(
            r#"<table:table table:name="Obiettivo{}" table:style-name="Annex"><table:table-column table:number-columns-repeated="{}"/>"#,
            i + 1,
            annex.headers.len()
        ));
        s.push_str("<table:table-header-rows><table:table-row>");
        for h in &annex.headers {
            s.push_str(&cell(h, true));
        }
        s.push_str("</table:table-row></table:table-header-rows>");
        for r in &o.rows {
            s.push_str("<table:table-row>");
            for c in r {
                s.push_str(&cell(c, false));
            }
            s.push_str("</table:table-row>");
        }
        s.push_str("</table:table>");
    }
    s.push_str("</office:text></office:body></office:document-content>");
    s
}

const ODT_MANIFEST: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">"#,
    r#"<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>"#,
    r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
    r#"<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>"#,
    r#"</manifest:manifest>"#,
);

const ODT_STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
    r#"xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" "#,
    r#"xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3">"#,
    r#"<office:automatic-styles><style:page-layout style:name="A4"><style:page-layout-properties "#,
    r#"fo:page-width="21cm" fo:page-height="29.7cm" fo:margin="2cm" style:print-orientation="portrait"/>"#,
    r#"</style:page-layout></office:automatic-styles>"#,
    r#"<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="A4"/></office:master-styles>"#,
    r#"</office:document-styles>"#,
);

/// The annex as an OpenDocument text: `mimetype` first and stored, as the format asks.
pub fn to_odt(annex: &Annex, path: &Path) -> Result<Vec<u8>, AnnexError> {
    use zip::write::SimpleFileOptions;
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| AnnexError::Odt {
        path: path.to_path_buf(),
        source: e,
    };
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let content = odt_content(annex);
    for (name, bytes) in [
        ("mimetype", ODT_MIME.as_bytes()),
        ("META-INF/manifest.xml", ODT_MANIFEST.as_bytes()),
        ("styles.xml", ODT_STYLES.as_bytes()),
        ("content.xml", content.as_bytes()),
    ] {
        z.start_file(name, stored).map_err(|e| fail(Box::new(e)))?;
        z.write_all(bytes).map_err(|e| fail(Box::new(e)))?;
    }
    let cursor = z.finish().map_err(|e| fail(Box::new(e)))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_cleaned() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn odt_starts_with_its_stored_mimetype() {
        let annex = Annex {
            title: "T".into(),
            subtitle: "S".into(),
            headers: vec!["A".into()],
            objectives: vec![Objective {
                title: "O".into(),
                rows: vec![vec!["1.234,5".into()]],
            }],
        };
        let bytes = to_odt(&annex, Path::new("annex.odt")).expect("an odt");
        // The local header of the first entry: name at 30, its stored bytes right after.
        assert_eq!(&bytes[30..38], b"mimetype");
        let extra = usize::from(u16::from_le_bytes([bytes[28], bytes[29]]));
        let start = 38 + extra;
        assert_eq!(&bytes[start..start + ODT_MIME.len()], ODT_MIME.as_bytes());
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 0, "stored");
    }
}
