//! Large CSV exports parsed in parallel: the data after the header is cut into byte ranges that
//! start at a line start, and each range is read by its own thread, its lines numbered from the
//! line breaks before it (a small export is one range). Only where every record is one line: a
//! file with a quote character anywhere (a quoted field may hold a line break) is read by the
//! record reader, as are encodings that are not ASCII-compatible (UTF-16).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::IngestError;
use super::rows::{CellRef, Cells};

/// Below this size one thread reads the file as fast as several would start.
pub(super) const MIN_PARALLEL_BYTES: u64 = 8 << 20;

/// How a CSV export is split: its headers, its encoding and the byte ranges of its data.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) headers: Vec<String>,
    pub(super) encoding: &'static encoding_rs::Encoding,
    pub(super) chunks: Vec<Chunk>,
}

/// A byte range of the data starting at a line start, and how many line breaks come before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Chunk {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) lines_before: u64,
}

fn read_err(shown: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::Read {
        file: shown.to_string(),
        line: None,
        message: e.to_string(),
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

/// What a scan of one byte range found: whether it holds a quote, its line breaks, and the line
/// lengths the ranges around it need to find the file's longest line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Scan {
    quoted: bool,
    lines: u64,
    /// Bytes before the range's first line break (all of them when it has none).
    head: u64,
    /// Bytes after its last line break.
    tail: u64,
    /// The longest line that starts and ends inside the range.
    inner: u64,
    seen: u64,
    last_break: Option<u64>,
}

impl Scan {
    fn pass(&mut self, bytes: &[u8]) {
        for i in memchr::memchr_iter(b'\n', bytes) {
            let at = self.seen + i as u64;
            match self.last_break {
                None => self.head = at,
                Some(prev) => self.inner = self.inner.max(at - prev - 1),
            }
            self.last_break = Some(at);
            self.lines += 1;
        }
        self.seen += bytes.len() as u64;
        match self.last_break {
            None => self.head = self.seen,
            Some(prev) => self.tail = self.seen - prev - 1,
        }
    }
}

/// The longest line of a file scanned as consecutive ranges.
fn longest_line(scans: &[Scan]) -> u64 {
    let (mut longest, mut open) = (0u64, 0u64);
    for s in scans {
        if s.last_break.is_none() {
            open += s.head;
            continue;
        }
        longest = longest.max(open + s.head).max(s.inner);
        open = s.tail;
    }
    longest.max(open)
}

/// Scans `start..end`; stops early, as if quoted, once `stopped` says the ingest was given up.
fn scan(
    path: &Path,
    start: u64,
    end: u64,
    stopped: &(dyn Fn() -> bool + Sync),
) -> std::io::Result<Scan> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut r = f.take(end - start);
    let mut buf = vec![0u8; 1 << 20];
    let mut found = Scan::default();
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(found);
        }
        found.quoted |= memchr::memchr(b'"', &buf[..n]).is_some() || stopped();
        found.pass(&buf[..n]);
    }
}

/// The first line start at or after `from`, or None when no line break follows.
fn next_line_start(path: &Path, from: u64, len: u64) -> std::io::Result<Option<u64>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut r = BufReader::with_capacity(1 << 16, f.take(len - from));
    let mut buf = [0u8; 1 << 16];
    let mut at = from;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
}

/// How a CSV export is written: its delimiter, its declared encoding and its header's row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    pub(super) delimiter: u8,
    pub(super) encoding: &'static encoding_rs::Encoding,
    pub(super) header_row: usize,
}

/// How to read `path` in `parts` ranges (one when it is smaller than `min_bytes`), or None when
/// it must be read by the record reader.
pub(super) fn plan(
    path: &Path,
    shown: &str,
    layout: Layout,
    parts: usize,
    min_bytes: u64,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Plan>, IngestError> {
    let Layout {
        delimiter,
        encoding,
        header_row,
    } = layout;
    let len = std::fs::metadata(path)
        .map_err(|e| read_err(shown, e))?
        .len();
    if parts == 0 {
        return Ok(None);
    }
    // A small file is one range: the line reader still reads it faster than the record reader.
    let parts = if len < min_bytes { 1 } else { parts };
    let mut head = [0u8; 3];
    let got = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| read_err(shown, e))?;
    let head = &head[..got];
    // A byte-order mark overrides the label, as in the one-thread reader.
    let (encoding, bom) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (encoding_rs::UTF_8, 3u64)
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(None);
    } else {
        (encoding, 0)
    };
    if !encoding.is_ascii_compatible() {
        return Ok(None);
    }
    // The header, read the way the one-thread reader reads it; the data start where it ends.
    let mut f = File::open(path).map_err(|e| read_err(shown, e))?;
    f.seek(SeekFrom::Start(bom))
        .map_err(|e| read_err(shown, e))?;
    let mut csv = csv_reader(delimiter, BufReader::new(f));
    let mut record = csv::ByteRecord::new();
    for _ in 0..header_row {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            // Let the one-thread reader say what is wrong with the file's start.
            _ => return Ok(None),
        }
    }
    let headers = record
        .iter()
        .map(|h| decode(encoding, h).trim().to_string())
        .collect();
    let data_start = bom + csv.position().byte();
    if data_start >= len {
        return Ok(None);
    }
    // Nominal cuts, scanned in parallel for quotes and line breaks.
    let cuts: Vec<u64> = (0..=parts).map(|k| len * k as u64 / parts as u64).collect();
    let scans: Vec<std::io::Result<Scan>> = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                s.spawn(move || scan(path, a, b, stopped))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a scanning thread failed")))
            })
            .collect()
    });
    let scans = scans
        .into_iter()
        .collect::<std::io::Result<Vec<Scan>>>()
        .map_err(|e| read_err(shown, e))?;
    // A line past the limit is named, with its number, by the one-thread reader.
    if scans.iter().any(|s| s.quoted) || longest_line(&scans) > super::readers::MAX_LINE_BYTES {
        return Ok(None);
    }
    let mut lines_upto = vec![0u64];
    for s in &scans {
        let before = lines_upto.last().copied().unwrap_or(0);
        lines_upto.push(before + s.lines);
    }
    let header_lines = scan(path, 0, data_start, &|| false)
        .map_err(|e| read_err(shown, e))?
        .lines;
    let mut starts = vec![(data_start, header_lines)];
    for k in 1..parts {
        let Some(start) = next_line_start(path, cuts[k], len).map_err(|e| read_err(shown, e))?
        else {
            break;
        };
        // Line breaks before the cut, and the one the range starts after.
        let lines_before = lines_upto[k] + 1;
        if start > starts.last().map_or(0, |s| s.0) && start < len {
            starts.push((start, lines_before));
        }
    }
    let chunks = starts
        .iter()
        .enumerate()
        .map(|(i, &(start, lines_before))| Chunk {
            start,
            end: starts.get(i + 1).map_or(len, |s| s.0),
            lines_before,
        })
        .collect();
    Ok(Some(Plan {
        headers,
        encoding,
        chunks,
    }))
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
    each: impl FnMut(u64, &dyn Cells) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    parse_in_blocks(path, shown, delimiter, plan, chunk, BLOCK_BYTES, each)
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
    let mut lines = Lines {
        delimiter,
        encoding: plan.encoding,
        line: chunk.lines_before,
        fields: Vec::with_capacity(16),
    };
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

    proptest! {
        #[test]
        fn the_longest_line_is_found_whatever_the_cuts_and_blocks(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'x')], 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..6),
            block in 1usize..17,
        ) {
            let expected = text.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap_or(0) as u64;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.extend([0, text.len()]);
            cuts.sort_unstable();
            let scans: Vec<Scan> = cuts
                .windows(2)
                .map(|w| {
                    let mut s = Scan::default();
                    text[w[0]..w[1]].chunks(block).for_each(|b| s.pass(b));
                    s
                })
                .collect();
            prop_assert_eq!(longest_line(&scans), expected);
        }
    }

    /// Every (line, cells) the parallel reader yields, in line order.
    fn parallel_rows(
        path: &Path,
        header_row: usize,
        parts: usize,
    ) -> Option<Vec<(u64, Vec<String>)>> {
        parallel_rows_in_blocks(path, header_row, parts, BLOCK_BYTES)
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
                let texts = (0..cells.count())
                    .map(|i| match cells.cell(i) {
                        CellRef::Text(t) => t.into_owned(),
                        CellRef::Cell(c) => c.shown(),
                    })
                    .collect();
                out.push((line, texts));
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
                prop_assert_eq!(par, seq);
            }
        }
    }
}
