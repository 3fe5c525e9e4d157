//! CSV exports: records streamed in the declared encoding, each numbered with the line it starts on.

use std::io::Read;
use std::path::Path;

use super::{
    IngestError, MAX_LINE_BYTES, RawRow, Rows, decoded, no_header_row, read_err, too_long,
};
use crate::ingest::cell::Cell;
use crate::ingest::{ReadFault, Stretch};

/// The bytes a CSV reader has pulled so far, kept until the records they hold are numbered: the
/// csv crate's own line numbers skip blank lines, so a rejected row's line would be wrong.
#[derive(Default)]
pub(super) struct Pulled {
    /// Blocks not yet passed by a numbered record, with their offset in the stream.
    blocks: std::collections::VecDeque<(u64, Vec<u8>)>,
    /// Line breaks in the blocks already dropped.
    newlines_dropped: u64,
    /// How far into the front block line breaks are counted, and how many there are before that:
    /// records end in order, so each count resumes where the last one stopped (counting from the
    /// block's start for every record made reading a small export quadratic in its block size).
    front_counted: (usize, u64),
    /// Bytes counted for line breaks so far.
    #[cfg(test)]
    counted: u64,
}

/// Line breaks in `bytes`.
pub(super) fn breaks(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl Pulled {
    /// Line breaks in the stream before byte `end`, and the byte just before it.
    fn newlines_before(&mut self, end: u64) -> (u64, Option<u8>) {
        while let Some((at, block)) = self.blocks.front() {
            // The block holding the byte before `end` stays: its last byte tells the terminator.
            if at + block.len() as u64 >= end {
                break;
            }
            let (from, before) = self.front_counted;
            #[cfg(test)]
            {
                self.counted += (block.len() - from) as u64;
            }
            self.newlines_dropped += before + breaks(&block[from..]);
            self.front_counted = (0, 0);
            self.blocks.pop_front();
        }
        let mut count = self.newlines_dropped;
        let mut last = None;
        if let Some((at, block)) = self.blocks.front() {
            let upto = (end.saturating_sub(*at) as usize).min(block.len());
            let (mut from, mut before) = self.front_counted;
            if upto < from {
                // An end before the last one: counted again from the block's start.
                (from, before) = (0, 0);
            }
            #[cfg(test)]
            {
                self.counted += (upto - from) as u64;
            }
            before += breaks(&block[from..upto]);
            self.front_counted = (upto, before);
            count += before;
            last = upto.checked_sub(1).map(|i| block[i]);
        }
        (count, last)
    }
}

/// A reader that keeps what it hands on in `Pulled`.
pub(super) struct Recording<R> {
    inner: R,
    offset: u64,
    pulled: std::sync::Arc<std::sync::Mutex<Pulled>>,
    lines: LineGuard,
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The CSV reader buffers a record whole: a line without end must stop here, not in memory.
        self.lines.pass(&buf[..n])?;
        if n > 0 {
            let mut pulled = self
                .pulled
                .lock()
                .map_err(|_| std::io::Error::other("line counter poisoned"))?;
            pulled.blocks.push_back((self.offset, buf[..n].to_vec()));
            self.offset += n as u64;
        }
        Ok(n)
    }
}

/// The line a record starts on, from the byte its reader has consumed after it: the line breaks
/// before that point, less the record's own terminator and the breaks inside its quoted fields.
pub(super) fn record_line(
    pulled: &std::sync::Mutex<Pulled>,
    end: u64,
    record: &csv::StringRecord,
) -> u64 {
    let Ok(mut pulled) = pulled.lock() else {
        return 0;
    };
    let (newlines, last) = pulled.newlines_before(end);
    let inside: u64 = record
        .iter()
        .map(|f| memchr::memchr_iter(b'\n', f.as_bytes()).count() as u64)
        .sum();
    let terminator = u64::from(last == Some(b'\n'));
    (newlines + 1).saturating_sub(terminator + inside)
}

pub(super) fn open_csv(
    path: &Path,
    shown: &str,
    delimiter: u8,
    encoding: &'static encoding_rs::Encoding,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let pulled = std::sync::Arc::new(std::sync::Mutex::new(Pulled::default()));
    let reader = Recording {
        inner: decoded(path, shown, encoding)?,
        offset: 0,
        pulled: pulled.clone(),
        lines: LineGuard::default(),
    };
    // Records end at "\n" only: with the default CR/LF handling a Windows line ending leaves its "\n"
    // to the next record and every line number comes out one short. The stray "\r" is trimmed with the cell.
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    let headers = loop {
        let more = csv
            .read_record(&mut record)
            .map_err(|e| csv_err(shown, e))?;
        if !more {
            return Err(no_header_row(shown, header_row, None));
        }
        n += 1;
        if n == header_row {
            break record
                .iter()
                .map(|h| h.trim().to_string())
                .collect::<Vec<_>>();
        }
    };
    let shown = shown.to_string();
    let rows = std::iter::from_fn(move || {
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(csv_err(&shown, e))),
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = record_line(&pulled, csv.position().byte(), &record);
            return Some(Ok(RawRow {
                line,
                cells: record
                    .iter()
                    .map(|c| Cell::Text(c.strip_suffix('\r').unwrap_or(c).to_string()))
                    .collect(),
            }));
        }
    });
    Ok((headers, Box::new(rows)))
}

pub(super) fn csv_err(shown: &str, e: csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => read_err(shown, line, ReadFault::NotInEncoding),
        _ => read_err(shown, line, ReadFault::Csv(e)),
    }
}

/// Counts line breaks as bytes pass and stops at the first line longer than `MAX_LINE_BYTES`.
#[derive(Default)]
pub(super) struct LineGuard {
    breaks: u64,
    since_break: u64,
}

impl LineGuard {
    fn pass(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut from = 0usize;
        for i in memchr::memchr_iter(b'\n', bytes) {
            self.check(self.since_break + (i - from) as u64)?;
            self.breaks += 1;
            self.since_break = 0;
            from = i + 1;
        }
        self.since_break += (bytes.len() - from) as u64;
        self.check(self.since_break)
    }

    fn check(&self, line_bytes: u64) -> std::io::Result<()> {
        if line_bytes > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                too_long(Stretch::Line {
                    line: self.breaks + 1,
                }),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `text` handed over in blocks cut at `cuts`, as the CSV reader pulls it.
    fn pulled(text: &[u8], cuts: &[usize]) -> Pulled {
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(text.len())).collect();
        cuts.extend([0, text.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut p = Pulled::default();
        for w in cuts.windows(2) {
            p.blocks.push_back((w[0] as u64, text[w[0]..w[1]].to_vec()));
        }
        p
    }

    proptest! {
        #[test]
        fn line_breaks_before_each_record_end_are_counted_as_a_plain_count_finds_them(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'x'), Just(b';')], 1..300),
            cuts in proptest::collection::vec(0usize..300, 0..8),
            ends in proptest::collection::vec(0usize..300, 1..20),
        ) {
            let mut p = pulled(&text, &cuts);
            let mut ends: Vec<usize> = ends.into_iter().map(|e| e.min(text.len())).collect();
            // A record's end never comes before the previous one's.
            ends.sort_unstable();
            for end in ends {
                let expected = breaks(&text[..end]);
                let last = end.checked_sub(1).map(|i| text[i]);
                prop_assert_eq!(p.newlines_before(end as u64), (expected, last));
            }
        }
    }

    #[test]
    fn numbering_records_counts_each_byte_once_not_once_a_record() {
        // 8 KiB blocks of 4-byte lines, as the CSV reader pulls a small export: 2,048 records a block.
        let text = b"a;b\n".repeat(16 << 10);
        let cuts: Vec<usize> = (1..8).map(|k| k * (8 << 10)).collect();
        let mut p = pulled(&text, &cuts);
        for (i, end) in (4..=text.len()).step_by(4).enumerate() {
            assert_eq!(p.newlines_before(end as u64).0, i as u64 + 1);
        }
        assert!(
            p.counted <= 2 * text.len() as u64,
            "{} bytes counted for a {}-byte file",
            p.counted,
            text.len()
        );
    }

    fn csv_lines(text: &str) -> Vec<(u64, String)> {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.csv");
        std::fs::write(&p, text).expect("write");
        let (_, rows) = open_csv(&p, "x.csv", b';', encoding_rs::UTF_8, 1).expect("open");
        rows.map(|r| {
            let r = r.expect("row");
            (r.line, r.cells[0].shown())
        })
        .collect()
    }

    #[test]
    fn rows_after_blank_lines_and_quoted_line_breaks_keep_their_true_line() {
        // Lines: 1 header, 2 a, 3-4 blank, 5 x.
        assert_eq!(
            csv_lines("h;h\na;1\n\n\nx;1\n"),
            vec![(2, "a".to_string()), (5, "x".to_string())]
        );
        // Lines: 1 header, 2 blank (CR only), 3-4 a quoted break, 5 blank, 6 y without a final newline.
        assert_eq!(
            csv_lines("h;h\r\n\r\nx;\"1\n2\"\n\ny;3"),
            vec![(3, "x".to_string()), (6, "y".to_string())]
        );
        // Blank lines before the header count too.
        assert_eq!(csv_lines("\n\nh;h\na;1\n"), vec![(4, "a".to_string())]);
    }
}
