//! Export text quoted in messages: rejection values, errors and warnings quote at most
//! [`QUOTE_CHARS`] characters of it, so a 300 MB line without a line break does not become a
//! 300 MB report, ledger record and log line.

use std::borrow::Cow;

/// Where a message points: `file:line`, or the file alone when the line is not known (a line 0
/// would send the reader to a line that does not exist).
pub fn place(file: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

/// The most characters of export text a message quotes.
pub const QUOTE_CHARS: usize = 200;

/// `text` as a message may carry it: whole when short, else its first [`QUOTE_CHARS`] characters
/// and how many bytes were left out.
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} more bytes)",
            &text[..cut],
            text.len() - cut
        )),
    }
}

/// `text` excerpted and in quotes, for a message.
pub fn quoted(text: &str) -> String {
    format!("'{}'", excerpt(text))
}

/// A cell as every CSV the program writes carries it: text a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP
/// advises against CSV injection; a number (`-3.5`, `+2`, `1e-3`) stays a number.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && !is_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Whether `s` is a plain decimal number (no `inf`, `NaN` or hexadecimal).
fn is_number(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Writes one CSV record, each cell through [`csv_cell`]: the one way records are written.
pub fn write_csv_record<W, I, S>(w: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    W: std::io::Write,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for c in cells {
        w.write_field(csv_cell(c.as_ref()).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

/// `batch` with every text column passed through [`csv_cell`], for an Arrow CSV writer; numbers,
/// dates and the rest are left as they are.
pub fn csv_safe_batch(
    batch: &datafusion::arrow::record_batch::RecordBatch,
) -> Result<datafusion::arrow::record_batch::RecordBatch, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !matches!(
            field.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
            continue;
        }
        let text = datafusion::arrow::compute::cast(column, &DataType::Utf8)?;
        let safe: StringArray = text
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(csv_cell))
            .collect();
        fields.push(Field::new(
            field.name(),
            DataType::Utf8,
            field.is_nullable(),
        ));
        columns.push(std::sync::Arc::new(safe));
    }
    datafusion::arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        columns,
    )
}

/// Text escaped for an XML document (the OpenDocument files): markup characters as entities,
/// characters XML 1.0 cannot hold left out; tab, line feed and carriage return kept.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_without_a_line_names_the_file_alone() {
        assert_eq!(place("indicators/a.yaml", Some(12)), "indicators/a.yaml:12");
        assert_eq!(place("indicators/a.yaml", None), "indicators/a.yaml");
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (given, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-inf", "'-inf"),
            ("-3.5", "-3.5"),
            ("+2", "+2"),
            ("-1e-3", "-1e-3"),
            ("PD001", "PD001"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(given), written, "{given}");
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        write_csv_record(&mut w, ["=1+1", "-4", "a,b"]).expect("written");
        let out = String::from_utf8(w.into_inner().expect("bytes")).expect("UTF-8");
        assert_eq!(out, "'=1+1,-4,\"a,b\"\n");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_and_says_how_much_is_missing() {
        assert_eq!(excerpt("PD001"), "PD001");
        let long = "è".repeat(QUOTE_CHARS + 10);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"è".repeat(QUOTE_CHARS)), "{cut}");
        assert!(cut.ends_with("… (20 more bytes)"), "{cut}");
        assert_eq!(quoted("a"), "'a'");
    }
}
