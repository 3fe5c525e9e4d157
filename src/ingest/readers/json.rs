//! JSON exports: an array of objects or one object a line (NDJSON), streamed, every key a header.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::sheets::MAX_SHEET_COLUMNS;
use super::{IngestError, MAX_LINE_BYTES, RawRow, Rows, bad_json, decoded, read_err, too_long};
use crate::ingest::cell::Cell;
use crate::ingest::{ReadFault, Stretch};
use crate::warehouse::problem_read::JsonFault;

/// JSON objects one at a time, from an array (`[{..}, {..}]`) or one per line (NDJSON), with the
/// number each is reported under: its item number in an array, its line in NDJSON.
pub(super) type JsonItems = Box<
    dyn Iterator<Item = Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError>>
        + Send,
>;

/// Streams a JSON export twice: once to learn every key (the header), once for the rows. Memory
/// holds one object at a time, whatever the size of the export.
pub(super) fn open_json(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<(Vec<String>, Rows), IngestError> {
    let mut headers: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for item in json_items(path, shown, encoding)? {
        let (line, m) = item?;
        for k in m.keys() {
            if !index.contains_key(k) {
                if headers.len() == MAX_SHEET_COLUMNS as usize {
                    let fault = ReadFault::TooManyKeys {
                        max: MAX_SHEET_COLUMNS,
                    };
                    return Err(read_err(shown, Some(line), fault));
                }
                index.insert(k.clone(), headers.len());
                headers.push(k.clone());
            }
        }
    }
    let width = headers.len();
    // Each object fills the cells of its own keys: time grows with the keys it has, not all keys.
    let rows = json_items(path, shown, encoding)?.map(move |item| {
        let (line, m) = item?;
        let mut cells = vec![Cell::Empty; width];
        for (k, v) in &m {
            if let Some(&i) = index.get(k) {
                cells[i] = json_cell(v);
            }
        }
        Ok(RawRow { line, cells })
    });
    Ok((headers, Box::new(rows)))
}

pub(super) fn json_items(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<JsonItems, IngestError> {
    let mut reader = BufReader::with_capacity(1 << 16, decoded(path, shown, encoding)?);
    let first = peek_non_space(&mut reader).map_err(|e| read_err(shown, None, e))?;
    let shown = shown.to_string();
    if first == Some(b'[') {
        reader.consume(1);
        return Ok(Box::new(ArrayItems {
            reader,
            shown,
            index: 0,
            done: false,
        }));
    }
    let mut line_no = 0u64;
    let mut failed = false;
    let mut buf = Vec::new();
    let items = std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            line_no += 1;
            let line = match bounded_line(&mut reader, &mut buf, line_no) {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(fault) => {
                    failed = true;
                    return Some(Err(read_err(&shown, Some(line_no), fault)));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(ndjson_object(&shown, line_no, line));
        }
    });
    Ok(Box::new(items))
}

/// The next line without its line break, or None at the end; a line past `MAX_LINE_BYTES` is an
/// error before it is held whole.
pub(super) fn bounded_line<'b, R: BufRead>(
    reader: &mut R,
    buf: &'b mut Vec<u8>,
    line_no: u64,
) -> Result<Option<&'b str>, ReadFault> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n as u64 > MAX_LINE_BYTES {
        return Err(too_long(Stretch::Line { line: line_no }));
    }
    std::str::from_utf8(buf)
        .map(Some)
        .map_err(|_| ReadFault::NotInEncoding)
}

pub(super) fn ndjson_object(
    shown: &str,
    line_no: u64,
    line: &str,
) -> Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError> {
    match serde_json::from_str(line) {
        Ok(serde_json::Value::Object(m)) => Ok((line_no, m)),
        Ok(_) => Err(bad_json(shown, line_no, JsonFault::LineNotObject, None)),
        Err(e) => {
            let fault = JsonFault::Syntax {
                item: None,
                detail: e.to_string(),
            };
            Err(bad_json(shown, line_no, fault, Some(e)))
        }
    }
}

/// The next byte that is not white space, left unread.
pub(super) fn peek_non_space<R: std::io::BufRead>(r: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// The objects of a JSON array, read one at a time.
pub(super) struct ArrayItems<R: std::io::BufRead> {
    reader: R,
    shown: String,
    index: u64,
    done: bool,
}

impl<R: std::io::BufRead> ArrayItems<R> {
    fn fail(&mut self, fault: impl Into<ReadFault>) -> Option<<Self as Iterator>::Item> {
        self.done = true;
        Some(Err(read_err(&self.shown, Some(self.index.max(1)), fault)))
    }

    fn fail_json(
        &mut self,
        fault: JsonFault,
        source: Option<serde_json::Error>,
    ) -> Option<<Self as Iterator>::Item> {
        self.done = true;
        Some(Err(bad_json(&self.shown, self.index.max(1), fault, source)))
    }
}

impl<R: std::io::BufRead> Iterator for ArrayItems<R> {
    type Item = Result<(u64, serde_json::Map<String, serde_json::Value>), IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        use serde::Deserialize;
        if self.done {
            return None;
        }
        let mut next = match peek_non_space(&mut self.reader) {
            Ok(b) => b,
            Err(e) => return self.fail(e),
        };
        if self.index > 0 && next == Some(b',') {
            self.reader.consume(1);
            next = match peek_non_space(&mut self.reader) {
                Ok(b) => b,
                Err(e) => return self.fail(e),
            };
        } else if self.index > 0 && next != Some(b']') {
            let fault = JsonFault::NoSeparator { after: self.index };
            return self.fail_json(fault, None);
        }
        match next {
            Some(b']') => {
                self.done = true;
                None
            }
            Some(b'{') => {
                self.index += 1;
                // A map ends at its closing brace: the deserializer reads nothing past it.
                let mut item = Read::take(&mut self.reader, MAX_LINE_BYTES);
                let mut de = serde_json::Deserializer::from_reader(&mut item);
                let parsed = serde_json::Map::deserialize(&mut de);
                let cut_short = item.limit() == 0;
                let index = self.index;
                match parsed {
                    Ok(m) => Some(Ok((index, m))),
                    Err(_) if cut_short => self.fail(too_long(Stretch::ArrayItem { item: index })),
                    Err(e) => {
                        let fault = JsonFault::Syntax {
                            item: Some(index),
                            detail: e.to_string(),
                        };
                        self.fail_json(fault, Some(e))
                    }
                }
            }
            None => self.fail_json(JsonFault::NotClosed, None),
            Some(_) => {
                self.index += 1;
                self.fail_json(JsonFault::ItemNotObject, None)
            }
        }
    }
}

pub(super) fn json_cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Null => Cell::Empty,
        serde_json::Value::Bool(b) => Cell::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Cell::Int)
            .unwrap_or_else(|| Cell::Float(n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Numbered = Vec<(u64, Vec<Cell>)>;

    fn json_rows(text: &str) -> Result<(Vec<String>, Numbered), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("x.json");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        let (headers, rows) =
            open_json(&path, "x.json", encoding_rs::UTF_8).map_err(|e| e.to_string())?;
        let rows = rows
            .map(|r| r.map(|r| (r.line, r.cells)).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((headers, rows))
    }

    #[test]
    fn json_arrays_and_lines_stream_with_every_key_as_a_header() {
        let (h, rows) = json_rows(" [ {\"a\": 1},\n {\"b\": \"x\", \"a\": null} ] ").unwrap();
        assert_eq!(h, vec!["a", "b"]);
        assert_eq!(
            rows,
            vec![
                (1, vec![Cell::Int(1), Cell::Empty]),
                (2, vec![Cell::Empty, Cell::Text("x".into())])
            ]
        );
        let (h, rows) = json_rows("{\"a\": 1}\n\n{\"a\": 2.5}\n").unwrap();
        assert_eq!(h, vec!["a"]);
        assert_eq!(
            rows,
            vec![(1, vec![Cell::Int(1)]), (3, vec![Cell::Float(2.5)])]
        );
        assert_eq!(json_rows("[]").unwrap().1, vec![]);
    }

    #[test]
    fn broken_json_names_the_item_or_line() {
        let e = json_rows("[{\"a\": 1}, {\"a\": }]").unwrap_err();
        assert!(e.contains("item 2"), "{e}");
        let e = json_rows("[{\"a\": 1} {\"a\": 2}]").unwrap_err();
        assert!(e.contains("expected , or ]"), "{e}");
        let e = json_rows("[{\"a\": 1},").unwrap_err();
        assert!(e.contains("not closed"), "{e}");
        let e = json_rows("[1, 2]").unwrap_err();
        assert!(e.contains("not an object"), "{e}");
        let e = json_rows("{\"a\": 1}\n[2]\n").unwrap_err();
        assert!(e.contains(":2:") || e.contains("x.json:2"), "{e}");
    }
}
