//! OpenDocument spreadsheets (`.ods`, ISO/IEC 26300) beside the workbooks: the same sheets and
//! cells as the `.xlsx`, numbers as numbers shown with the workbook's number formats in the
//! project's language, written as a minimal OpenDocument package.

use std::io::Write;
use std::path::Path;

use std::collections::BTreeMap;

use calamine::{Data, Reader};

use super::ods_style::{Language, NumberStyle};
use crate::config::Locale;

#[derive(Debug, thiserror::Error)]
pub enum OdsError {
    #[error("cannot read the workbook: {0}")]
    Read(#[from] calamine::XlsxError),
    #[error("cannot write the spreadsheet: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the spreadsheet: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the spreadsheet: {0}")]
    Save(#[source] Box<crate::indicators::IndicatorError>),
}

const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// One sheet: its name, rows of cells and the number formats of its number cells.
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Data>>,
    /// The number format of the cell at (row, column), as the workbook writes it
    /// (`#,##0.0" %"`): the cell shows its number as the page does.
    pub formats: BTreeMap<(usize, usize), String>,
    /// Whether the first row is a header (bold, as in the workbook).
    pub header: bool,
}

impl Sheet {
    /// A sheet of plain cells, without formats or header.
    pub fn plain(name: String, rows: Vec<Vec<Data>>) -> Self {
        Sheet {
            name,
            rows,
            formats: BTreeMap::new(),
            header: false,
        }
    }
}

/// The number styles of a document, one per distinct format, and the cell style that uses each.
struct Styles {
    names: BTreeMap<String, (String, NumberStyle)>,
}

impl Styles {
    fn of(sheets: &[Sheet]) -> Self {
        let mut names = BTreeMap::new();
        for code in sheets.iter().flat_map(|s| s.formats.values()) {
            if let Some(style) = NumberStyle::parse(code)
                && !names.contains_key(code)
            {
                let cell = format!("ce{}", names.len() + 1);
                names.insert(code.clone(), (cell, style));
            }
        }
        Styles { names }
    }

    fn xml(&self, lang: Language) -> String {
        let mut out = String::from("<office:automatic-styles>");
        for (cell, style) in self.names.values() {
            out.push_str(&style.xml(&format!("N{cell}"), lang));
            out.push_str(&format!(
                "<style:style style:name=\"{cell}\" style:family=\"table-cell\" style:data-style-name=\"N{cell}\"/>"
            ));
        }
        out.push_str("<style:style style:name=\"head\" style:family=\"table-cell\"><style:text-properties fo:font-weight=\"bold\"/></style:style>");
        out.push_str("</office:automatic-styles>");
        out
    }
}

fn number_xml(out: &mut String, v: f64, style: Option<&(String, NumberStyle)>, lang: Language) {
    let (attr, shown) = match style {
        Some((cell, s)) => (format!(" table:style-name=\"{cell}\""), s.show(v, lang)),
        None => (String::new(), v.to_string()),
    };
    let shown = crate::text::xml_escape(&shown);
    out.push_str(&format!(
        "<table:table-cell{attr} office:value-type=\"float\" office:value=\"{v}\"><text:p>{shown}</text:p></table:table-cell>"
    ));
}

fn cell_xml(
    out: &mut String,
    d: &Data,
    style: Option<&(String, NumberStyle)>,
    lang: Language,
    head: bool,
) {
    let text = |out: &mut String, s: &str| {
        let s = crate::text::xml_escape(s);
        let attr = if head {
            " table:style-name=\"head\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<table:table-cell{attr} office:value-type=\"string\"><text:p>{s}</text:p></table:table-cell>"
        ));
    };
    match d {
        Data::Empty => out.push_str("<table:table-cell/>"),
        Data::Float(v) if v.is_finite() => number_xml(out, *v, style, lang),
        Data::Int(v) => number_xml(out, *v as f64, style, lang),
        Data::Bool(b) => out.push_str(&format!(
            "<table:table-cell office:value-type=\"boolean\" office:boolean-value=\"{b}\"><text:p>{b}</text:p></table:table-cell>"
        )),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => text(out, s),
        other => text(out, &other.to_string()),
    }
}

fn sheet_xml(out: &mut String, s: &Sheet, styles: &Styles, lang: Language) {
    out.push_str(&format!(
        "<table:table table:name=\"{}\">",
        crate::text::xml_escape(&s.name)
    ));
    let width = s.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    out.push_str(&format!(
        "<table:table-column table:number-columns-repeated=\"{width}\"/>"
    ));
    for (r, row) in s.rows.iter().enumerate() {
        out.push_str("<table:table-row>");
        for (c, d) in row.iter().enumerate() {
            let style = s.formats.get(&(r, c)).and_then(|f| styles.names.get(f));
            cell_xml(out, d, style, lang, s.header && r == 0);
        }
        if row.is_empty() {
            out.push_str("<table:table-cell/>");
        }
        out.push_str("</table:table-row>");
    }
    out.push_str("</table:table>");
}

const NAMESPACES: &str = "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\" xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\"";

/// `content.xml` of a spreadsheet holding `sheets`, its numbers shown in `lang`.
pub fn content_xml(sheets: &[Sheet], lang: Language) -> String {
    let styles = Styles::of(sheets);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content {NAMESPACES} office:version=\"1.3\">"
    );
    out.push_str(&styles.xml(lang));
    out.push_str("<office:body><office:spreadsheet>");
    for s in sheets {
        sheet_xml(&mut out, s, &styles, lang);
    }
    out.push_str("</office:spreadsheet></office:body></office:document-content>\n");
    out
}

const MANIFEST_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>\n";

/// `styles.xml`: the document's default language, the one its cells are read in.
fn styles_xml(lang: Language) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles {NAMESPACES} office:version=\"1.3\"><office:styles><style:default-style style:family=\"table-cell\"><style:text-properties fo:language=\"{}\" fo:country=\"{}\"/></style:default-style></office:styles></office:document-styles>\n",
        lang.language, lang.country
    )
}

fn meta_xml(lang: Language) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta {NAMESPACES} office:version=\"1.3\"><office:meta><meta:generator>osservatorio</meta:generator><dc:language>{}-{}</dc:language></office:meta></office:document-meta>\n",
        lang.language, lang.country
    )
}

/// Writes `sheets` to `path` as an OpenDocument spreadsheet, atomically (a reader never sees half
/// a file) and readable by whoever serves the reports. The package is stored uncompressed,
/// `mimetype` first, as the standard asks.
pub fn write(sheets: &[Sheet], locale: Locale, path: &Path) -> Result<(), OdsError> {
    let lang = Language::of(locale);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored)?;
    zip.write_all(MIMETYPE.as_bytes())?;
    for (name, text) in [
        ("META-INF/manifest.xml", MANIFEST_XML.to_string()),
        ("styles.xml", styles_xml(lang)),
        ("meta.xml", meta_xml(lang)),
        ("content.xml", content_xml(sheets, lang)),
    ] {
        zip.start_file(name, stored)?;
        zip.write_all(text.as_bytes())?;
    }
    let bytes = zip.finish()?.into_inner();
    crate::indicators::output::write_atomic(path, &bytes).map_err(|e| OdsError::Save(Box::new(e)))
}

/// Writes `ods` with every sheet and cell of the workbook `xlsx` (its values; the number formats
/// are the writer's to give, see `Sheet::formats`).
pub fn from_xlsx(xlsx: &Path, ods: &Path, locale: Locale) -> Result<(), OdsError> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(xlsx)?;
    let mut sheets = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name)?;
        // Keep the cells where they are: a range that does not start at A1 gets its blank rows
        // and columns back.
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<Data>> = (0..r0).map(|_| Vec::new()).collect();
        for row in range.rows() {
            let mut cells: Vec<Data> = (0..c0).map(|_| Data::Empty).collect();
            cells.extend(row.iter().cloned());
            while matches!(cells.last(), Some(Data::Empty)) {
                cells.pop();
            }
            rows.push(cells);
        }
        sheets.push(Sheet::plain(name, rows));
    }
    write(&sheets, locale, ods)
}
