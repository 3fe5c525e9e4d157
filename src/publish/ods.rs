//! OpenDocument spreadsheets (`.ods`, ISO/IEC 26300) beside the workbooks: the same sheets and
//! cells as the `.xlsx`, numbers as numbers, written as a minimal OpenDocument package.

use std::io::Write;
use std::path::Path;

use calamine::{Data, Reader};

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

/// One sheet: its name and rows of cells.
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Data>>,
}

fn cell_xml(out: &mut String, d: &Data) {
    let number = |out: &mut String, v: f64| {
        out.push_str(&format!(
            "<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>"
        ));
    };
    let text = |out: &mut String, s: &str| {
        let s = crate::text::xml_escape(s);
        out.push_str(&format!(
            "<table:table-cell office:value-type=\"string\"><text:p>{s}</text:p></table:table-cell>"
        ));
    };
    match d {
        Data::Empty => out.push_str("<table:table-cell/>"),
        Data::Float(v) if v.is_finite() => number(out, *v),
        Data::Int(v) => number(out, *v as f64),
        Data::Bool(b) => out.push_str(&format!(
            "<table:table-cell office:value-type=\"boolean\" office:boolean-value=\"{b}\"><text:p>{b}</text:p></table:table-cell>"
        )),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => text(out, s),
        other => text(out, &other.to_string()),
    }
}

/// `content.xml` of a spreadsheet holding `sheets`.
pub fn content_xml(sheets: &[Sheet]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet>",
    );
    for s in sheets {
        out.push_str(&format!(
            "<table:table table:name=\"{}\">",
            crate::text::xml_escape(&s.name)
        ));
        let width = s.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        out.push_str(&format!(
            "<table:table-column table:number-columns-repeated=\"{width}\"/>"
        ));
        for row in &s.rows {
            out.push_str("<table:table-row>");
            for d in row {
                cell_xml(&mut out, d);
            }
            if row.is_empty() {
                out.push_str("<table:table-cell/>");
            }
            out.push_str("</table:table-row>");
        }
        out.push_str("</table:table>");
    }
    out.push_str("</office:spreadsheet></office:body></office:document-content>\n");
    out
}

const MANIFEST_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.2\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>\n";
const STYLES_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" office:version=\"1.2\"/>\n";
const META_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" office:version=\"1.2\"><office:meta><meta:generator>osservatorio</meta:generator></office:meta></office:document-meta>\n";

/// Writes `sheets` to `path` as an OpenDocument spreadsheet, atomically (a reader never sees half
/// a file) and readable by whoever serves the reports. The package is stored uncompressed,
/// `mimetype` first, as the standard asks.
pub fn write(sheets: &[Sheet], path: &Path) -> Result<(), OdsError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored)?;
    zip.write_all(MIMETYPE.as_bytes())?;
    for (name, text) in [
        ("META-INF/manifest.xml", MANIFEST_XML.to_string()),
        ("styles.xml", STYLES_XML.to_string()),
        ("meta.xml", META_XML.to_string()),
        ("content.xml", content_xml(sheets)),
    ] {
        zip.start_file(name, stored)?;
        zip.write_all(text.as_bytes())?;
    }
    let bytes = zip.finish()?.into_inner();
    crate::indicators::output::write_atomic(path, &bytes).map_err(|e| OdsError::Save(Box::new(e)))
}

/// Writes `ods` with every sheet and cell of the workbook `xlsx`.
pub fn from_xlsx(xlsx: &Path, ods: &Path) -> Result<(), OdsError> {
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
        sheets.push(Sheet { name, rows });
    }
    write(&sheets, ods)
}

/// Writes an `.ods` beside every `.xlsx` directly in `dir`.
pub fn beside_every_xlsx(dir: &Path) -> Result<(), (std::path::PathBuf, OdsError)> {
    let entries = std::fs::read_dir(dir).map_err(|e| (dir.to_path_buf(), e.into()))?;
    let mut workbooks: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    workbooks.sort();
    for x in workbooks {
        from_xlsx(&x, &x.with_extension("ods")).map_err(|e| (x.clone(), e))?;
    }
    Ok(())
}
