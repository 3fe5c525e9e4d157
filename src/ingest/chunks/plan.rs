//! How a CSV export is cut for parallel reading: its header, its encoding, and byte ranges that
//! start at a line start, found by scanning the file in parallel for quotes and line breaks.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{BLOCK_BYTES, csv_reader, decode, read_err};
use crate::ingest::IngestError;

/// How a CSV export is split: its headers, its encoding and the byte ranges of its data.
#[derive(Debug)]
pub(in crate::ingest) struct Plan {
    pub(in crate::ingest) headers: Vec<String>,
    pub(in crate::ingest) encoding: &'static encoding_rs::Encoding,
    pub(in crate::ingest) chunks: Vec<Chunk>,
    /// The whole file, when it is under the parallel size (and so one range): scanned and parsed
    /// from memory, read once rather than once for each.
    pub(in crate::ingest) whole: Option<Vec<u8>>,
}

/// A byte range of the data starting at a line start, and how many line breaks come before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::ingest) struct Chunk {
    pub(in crate::ingest) start: u64,
    pub(in crate::ingest) end: u64,
    pub(in crate::ingest) lines_before: u64,
}

/// What a scan of one byte range found: whether it holds a quote, its line breaks, and the line
/// lengths the ranges around it need to find the file's longest line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Scan {
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
    pub(super) fn pass(&mut self, bytes: &[u8]) {
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
pub(super) fn longest_line(scans: &[Scan]) -> u64 {
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
pub(super) fn scan(
    path: &Path,
    start: u64,
    end: u64,
    stopped: &(dyn Fn() -> bool + Sync),
) -> std::io::Result<Scan> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut r = f.take(end - start);
    let mut buf = vec![0u8; BLOCK_BYTES];
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
pub(super) fn next_line_start(path: &Path, from: u64, len: u64) -> std::io::Result<Option<u64>> {
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
pub(in crate::ingest) struct Layout {
    pub(in crate::ingest) delimiter: u8,
    pub(in crate::ingest) encoding: &'static encoding_rs::Encoding,
    pub(in crate::ingest) header_row: usize,
}

/// How to read `path` in `parts` ranges (one when it is smaller than `min_bytes`), or None when
/// it must be read by the record reader.
pub(in crate::ingest) fn plan(
    path: &Path,
    shown: &str,
    layout: Layout,
    parts: usize,
    min_bytes: u64,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Plan>, IngestError> {
    let len = std::fs::metadata(path)
        .map_err(|e| read_err(shown, e))?
        .len();
    if parts == 0 {
        return Ok(None);
    }
    // A small file is one range: the line reader still reads it faster than the record reader.
    let parts = if len < min_bytes { 1 } else { parts };
    let Some((encoding, bom)) =
        line_encoding(path, layout.encoding).map_err(|e| read_err(shown, e))?
    else {
        return Ok(None);
    };
    let Some((headers, data_start)) =
        header_and_data_start(path, layout, encoding, bom).map_err(|e| read_err(shown, e))?
    else {
        return Ok(None);
    };
    if data_start >= len {
        return Ok(None);
    }
    // Nominal cuts, scanned in parallel for quotes and line breaks.
    let cuts: Vec<u64> = (0..=parts).map(|k| len * k as u64 / parts as u64).collect();
    // Only below the parallel size, whatever the number of cores: memory stays bounded.
    let whole = match len < min_bytes {
        true => Some(whole_file(path, len).map_err(|e| read_err(shown, e))?),
        false => None,
    };
    let scans = match &whole {
        Some(bytes) => vec![scan_bytes(bytes, stopped)],
        None => scans_of(path, &cuts, stopped).map_err(|e| read_err(shown, e))?,
    };
    // A line past the limit is named, with its number, by the one-thread reader.
    if scans.iter().any(|s| s.quoted)
        || longest_line(&scans) > crate::ingest::readers::MAX_LINE_BYTES
    {
        return Ok(None);
    }
    let chunks = chunks_at_line_starts(path, &cuts, &scans, data_start, len)
        .map_err(|e| read_err(shown, e))?;
    Ok(Some(Plan {
        headers,
        encoding,
        chunks,
        whole,
    }))
}

/// The `len` bytes of a file, refused when it holds fewer (it changed since its size was read).
fn whole_file(path: &Path, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    File::open(path)?.take(len).read_to_end(&mut bytes)?;
    match bytes.len() as u64 {
        n if n == len => Ok(bytes),
        n => Err(std::io::Error::other(format!(
            "the file changed while it was read: {len} bytes, then {n}"
        ))),
    }
}

/// What a scan of bytes already in memory finds.
fn scan_bytes(bytes: &[u8], stopped: &(dyn Fn() -> bool + Sync)) -> Scan {
    let mut found = Scan {
        quoted: memchr::memchr(b'"', bytes).is_some() || stopped(),
        ..Scan::default()
    };
    found.pass(bytes);
    found
}

/// The encoding the file's lines are in and the length of its byte-order mark (which overrides the
/// label, as in the one-thread reader), or None when it is not ASCII-compatible.
fn line_encoding(
    path: &Path,
    declared: &'static encoding_rs::Encoding,
) -> std::io::Result<Option<(&'static encoding_rs::Encoding, u64)>> {
    let mut head = [0u8; 3];
    let got = File::open(path)?.read(&mut head)?;
    let head = &head[..got];
    let (encoding, bom) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (encoding_rs::UTF_8, 3u64)
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(None);
    } else {
        (declared, 0)
    };
    Ok(encoding.is_ascii_compatible().then_some((encoding, bom)))
}

/// The header, read the way the one-thread reader reads it, and the byte where the data start;
/// None when the file ends first (the one-thread reader says what is wrong with its start).
fn header_and_data_start(
    path: &Path,
    layout: Layout,
    encoding: &'static encoding_rs::Encoding,
    bom: u64,
) -> std::io::Result<Option<(Vec<String>, u64)>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(bom))?;
    let mut csv = csv_reader(layout.delimiter, BufReader::new(f));
    let mut record = csv::ByteRecord::new();
    for _ in 0..layout.header_row {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            _ => return Ok(None),
        }
    }
    let headers = record
        .iter()
        .map(|h| decode(encoding, h).trim().to_string())
        .collect();
    Ok(Some((headers, bom + csv.position().byte())))
}

/// The scans of the ranges between consecutive `cuts`, each on a thread of its own (one range on
/// the calling thread: a folder of monthly files would otherwise start a thread per file).
fn scans_of(
    path: &Path,
    cuts: &[u64],
    stopped: &(dyn Fn() -> bool + Sync),
) -> std::io::Result<Vec<Scan>> {
    if let [a, b] = cuts {
        return Ok(vec![scan(path, *a, *b, stopped)?]);
    }
    std::thread::scope(|s| {
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
    })
}

/// The ranges of the data, each moved from its nominal cut to the next line start, with the line
/// breaks before it.
fn chunks_at_line_starts(
    path: &Path,
    cuts: &[u64],
    scans: &[Scan],
    data_start: u64,
    len: u64,
) -> std::io::Result<Vec<Chunk>> {
    let mut lines_upto = vec![0u64];
    for s in scans {
        let before = lines_upto.last().copied().unwrap_or(0);
        lines_upto.push(before + s.lines);
    }
    let header_lines = scan(path, 0, data_start, &|| false)?.lines;
    let mut starts = vec![(data_start, header_lines)];
    for k in 1..scans.len() {
        let Some(start) = next_line_start(path, cuts[k], len)? else {
            break;
        };
        // Line breaks before the cut, and the one the range starts after.
        let lines_before = lines_upto[k] + 1;
        if start > starts.last().map_or(0, |s| s.0) && start < len {
            starts.push((start, lines_before));
        }
    }
    Ok(starts
        .iter()
        .enumerate()
        .map(|(i, &(start, lines_before))| Chunk {
            start,
            end: starts.get(i + 1).map_or(len, |s| s.0),
            lines_before,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
