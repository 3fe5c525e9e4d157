//! Large CSV exports parsed in parallel: the data after the header is cut into byte ranges that
//! start at a line start, and each range is read by its own thread, its lines numbered from the
//! line breaks before it (a small export is one range). Only where every record is one line: a
//! file with a quote character anywhere (a quoted field may hold a line break) is read by the
//! record reader, as are encodings that are not ASCII-compatible (UTF-16).

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::IngestError;
use super::rows::{CellRef, Cells};

mod plan;

pub(super) use plan::{Chunk, Layout, Plan, plan};

/// Below this size one thread reads the file as fast as several would start.
pub(super) const MIN_PARALLEL_BYTES: u64 = 8 << 20;

fn read_err(shown: &str, e: std::io::Error) -> IngestError {
    IngestError::Read {
        file: shown.to_string(),
        line: None,
        fault: Box::new(e.into()),
    }
}

fn csv_reader<R: Read>(delimiter: u8, r: R) -> csv::Reader<R> {
    // The same settings as the one-thread reader, so both see the same records and lines.
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(r)
}

fn decode<'a>(encoding: &'static encoding_rs::Encoding, bytes: &'a [u8]) -> Cow<'a, str> {
    if encoding == encoding_rs::UTF_8 {
        // Valid text (nearly always) is borrowed as it is; only broken bytes take the slow path.
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    } else {
        encoding.decode_without_bom_handling(bytes).0
    }
}

/// One line, decoded once, and where its fields are.
struct Line<'a> {
    text: &'a str,
    /// Where each field starts and ends in `text`.
    fields: &'a [(usize, usize)],
    /// Whether the line may hold U+FFFD (its block has the byte it starts with).
    may_hold_replacement: bool,
}

impl Cells for Line<'_> {
    fn count(&self) -> usize {
        self.fields.len()
    }

    fn cell(&self, i: usize) -> CellRef<'_> {
        let (a, b) = self.fields[i];
        let field = &self.text[a..b];
        CellRef::Text(Cow::Borrowed(field.strip_suffix('\r').unwrap_or(field)))
    }

    fn has_replacement_char(&self) -> bool {
        self.may_hold_replacement && super::rows::has_replacement_char(self.text)
    }
}

/// Bytes read at a time: many lines per read, each line handed on from where it lies.
const BLOCK_BYTES: usize = 1 << 20;

/// Reads one range line by line, handing each non-blank line to `each` with its line in the file.
/// Without quotes a CSV record is exactly one line split at the delimiter, which is how the CSV
/// reader of the one-thread path reads it too.
pub(super) fn parse(
    path: &Path,
    shown: &str,
    delimiter: u8,
    plan: &Plan,
    chunk: &Chunk,
    mut each: impl FnMut(u64, &dyn Cells) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    if let Some(bytes) = &plan.whole {
        let range = usize::try_from(chunk.start)
            .ok()
            .zip(usize::try_from(chunk.end).ok())
            .and_then(|(a, b)| bytes.get(a..b))
            .ok_or_else(|| read_err(shown, std::io::Error::other("a range past the file's end")))?;
        return lines_of(delimiter, plan, chunk).each_in(range, &mut each);
    }
    parse_in_blocks(path, shown, delimiter, plan, chunk, BLOCK_BYTES, each)
}

/// The line splitter of one range, numbering from the lines before it.
fn lines_of(delimiter: u8, plan: &Plan, chunk: &Chunk) -> Lines {
    Lines {
        delimiter,
        encoding: plan.encoding,
        line: chunk.lines_before,
        fields: Vec::with_capacity(16),
    }
}

fn parse_in_blocks(
    path: &Path,
    shown: &str,
    delimiter: u8,
    plan: &Plan,
    chunk: &Chunk,
    block: usize,
    mut each: impl FnMut(u64, &dyn Cells) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut f = File::open(path).map_err(|e| read_err(shown, e))?;
    f.seek(SeekFrom::Start(chunk.start))
        .map_err(|e| read_err(shown, e))?;
    let mut reader = f.take(chunk.end - chunk.start);
    let mut buf = vec![0u8; block.max(1)];
    let mut filled = 0;
    let mut lines = lines_of(delimiter, plan, chunk);
    loop {
        if filled == buf.len() {
            // A line longer than the buffer: room for all of it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = reader
            .read(&mut buf[filled..])
            .map_err(|e| read_err(shown, e))?;
        filled += n;
        let whole = if n == 0 {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => continue,
            }
        };
        lines.each_in(&buf[..whole], &mut each)?;
        buf.copy_within(whole..filled, 0);
        filled -= whole;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Splits blocks of whole lines into fields, numbering the lines.
struct Lines {
    delimiter: u8,
    encoding: &'static encoding_rs::Encoding,
    /// The line the last one handed on was.
    line: u64,
    fields: Vec<(usize, usize)>,
}

impl Lines {
    /// Hands on every line of `block`, which ends at a line end or at the end of the range.
    fn each_in(
        &mut self,
        block: &[u8],
        each: &mut impl FnMut(u64, &dyn Cells) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let may_hold_replacement = memchr::memchr(0xEF, block).is_some();
        // Valid UTF-8 (nearly always) is checked once for the whole block, not line by line.
        let text = (self.encoding == encoding_rs::UTF_8)
            .then(|| std::str::from_utf8(block).ok())
            .flatten();
        let mut start = 0;
        while start < block.len() {
            let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
            self.line += 1;
            match text {
                // Line ends are ASCII: slicing at them keeps valid text valid.
                Some(t) => self.hand_on(&t[start..end], may_hold_replacement, each)?,
                None => {
                    let decoded = decode(self.encoding, &block[start..end]);
                    self.hand_on(&decoded, true, each)?
                }
            }
            start = end + 1;
        }
        Ok(())
    }

    fn hand_on(
        &mut self,
        text: &str,
        may_hold_replacement: bool,
        each: &mut impl FnMut(u64, &dyn Cells) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        self.fields.clear();
        let mut start = 0;
        for end in memchr::memchr_iter(self.delimiter, text.as_bytes()) {
            self.fields.push((start, end));
            start = end + 1;
        }
        self.fields.push((start, text.len()));
        // Blank lines, and lines of empty cells, are not rows (as in the one-thread reader).
        if self
            .fields
            .iter()
            .all(|&(a, b)| text[a..b].trim().is_empty())
        {
            return Ok(());
        }
        let row = Line {
            text,
            fields: &self.fields,
            may_hold_replacement,
        };
        each(self.line, &row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::readers;
    use proptest::prelude::*;

    /// Every (line, cells) the parallel reader yields, in line order.
    fn parallel_rows(
        path: &Path,
        header_row: usize,
        parts: usize,
    ) -> Option<Vec<(u64, Vec<String>)>> {
        parallel_rows_in_blocks(path, header_row, parts, BLOCK_BYTES)
    }

    /// A row as the tests compare it: its line and its cells' texts.
    fn row_of(line: u64, cells: &dyn Cells) -> (u64, Vec<String>) {
        let texts = (0..cells.count())
            .map(|i| match cells.cell(i) {
                CellRef::Text(t) => t.into_owned(),
                CellRef::Cell(c) => c.shown(),
            })
            .collect();
        (line, texts)
    }

    /// The rows of a file read as one range from memory, as an export under the parallel size is.
    fn whole_rows(path: &Path) -> Option<Vec<(u64, Vec<String>)>> {
        let layout = Layout {
            delimiter: b';',
            encoding: encoding_rs::UTF_8,
            header_row: 1,
        };
        let plan = plan(path, "x.csv", layout, 4, u64::MAX, &|| false).expect("a plan")?;
        assert!(plan.whole.is_some() && plan.chunks.len() == 1);
        let mut out = Vec::new();
        parse(
            path,
            "x.csv",
            b';',
            &plan,
            &plan.chunks[0],
            |line, cells| {
                out.push(row_of(line, cells));
                Ok(())
            },
        )
        .expect("parsed");
        Some(out)
    }

    /// The same, read `block` bytes at a time.
    fn parallel_rows_in_blocks(
        path: &Path,
        header_row: usize,
        parts: usize,
        block: usize,
    ) -> Option<Vec<(u64, Vec<String>)>> {
        let layout = Layout {
            delimiter: b';',
            encoding: encoding_rs::UTF_8,
            header_row,
        };
        let plan = plan(path, "x.csv", layout, parts, 0, &|| false).expect("a plan")?;
        let mut out = Vec::new();
        for c in &plan.chunks {
            parse_in_blocks(path, "x.csv", b';', &plan, c, block, |line, cells| {
                out.push(row_of(line, cells));
                Ok(())
            })
            .expect("parsed");
        }
        out.sort_by_key(|r| r.0);
        Some(out)
    }

    fn sequential_rows(path: &Path, header_row: usize) -> Vec<(u64, Vec<String>)> {
        let format = crate::config::Format::Csv {
            delimiter: b';',
            encoding: encoding_rs::UTF_8,
            header_row,
            text: crate::config::TextFormat {
                decimal: '.',
                date_format: None,
            },
        };
        let (_, rows) = readers::open(path, "x.csv", &format).expect("opened");
        rows.map(|r| {
            let r = r.expect("a row");
            (r.line, r.cells.iter().map(|c| c.shown()).collect())
        })
        .collect()
    }

    #[test]
    fn a_quote_anywhere_keeps_one_thread() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "a;b\n1;2\n3;\"4\n5\"\n6;7\n").expect("write");
        assert!(parallel_rows(&p, 1, 3).is_none());
    }

    #[test]
    fn title_rows_bom_crlf_and_blank_lines_number_as_one_thread_does() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.csv");
        let mut s = String::from("\u{feff}Titolo;;\r\n\r\nData;Nome;Valore\r\n");
        for i in 0..500 {
            s.push_str(&format!("0{}/01/2025;Città {i};{i}\r\n", i % 9 + 1));
            if i % 37 == 0 {
                s.push_str("\r\n;;\r\n");
            }
        }
        std::fs::write(&p, s).expect("write");
        // The header is the third record: the title, the CR-only line, then the column names.
        let seq = sequential_rows(&p, 3);
        assert_eq!(
            seq.first().map(|r| r.0),
            Some(4),
            "the first data row is on line 4"
        );
        assert_eq!(seq.len(), 500);
        for parts in [2, 3, 7] {
            assert_eq!(
                parallel_rows(&p, 3, parts).as_ref(),
                Some(&seq),
                "{parts} parts"
            );
        }
    }

    #[test]
    fn broken_bytes_read_as_one_thread_reads_them_whatever_the_block() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.csv");
        let mut bytes = b"Nome;Valore\n".to_vec();
        for i in 0..200 {
            bytes.extend_from_slice(format!("Citt\u{e0} {i};{i}\n").as_bytes());
            if i % 50 == 7 {
                // Latin-1 bytes in a UTF-8 export, and a lone continuation byte.
                bytes.extend_from_slice(b"Citt\xe0;\x80\n");
            }
        }
        std::fs::write(&p, &bytes).expect("write");
        let seq = sequential_rows(&p, 1);
        assert_eq!(seq.len(), 204);
        assert!(seq.iter().any(|r| r.1[0] == "Citt\u{fffd}"));
        for block in [7, 64, 1 << 20] {
            assert_eq!(
                parallel_rows_in_blocks(&p, 1, 3, block).as_ref(),
                Some(&seq),
                "blocks of {block}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_quote_free_csv_reads_the_same_in_any_number_of_parts_and_blocks(
            lines in proptest::collection::vec("[a-z0-9 ;\ré€]{0,12}", 1..60),
            parts in 1usize..6,
            block in 1usize..64,
        ) {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("x.csv");
            std::fs::write(&p, format!("h1;h2\n{}", lines.join("\n"))).expect("write");
            let seq = sequential_rows(&p, 1);
            if let Some(par) = parallel_rows_in_blocks(&p, 1, parts, block) {
                prop_assert_eq!(par, seq.clone());
            }
            if let Some(whole) = whole_rows(&p) {
                prop_assert_eq!(whole, seq);
            }
        }
    }
}
