//! One export parsed into batches of the table's columns: header positions, rejected rows, row rules, undecodable text.

use super::*;

/// Whether a cell's text labels a total or footer row (`Totale`, `TOTALE GENERALE`, `Total:`,
/// `Grand total`).
pub(super) fn is_total_label(text: &str) -> bool {
    // Every label starts with "tot" or "grand": most cells are settled by their first byte (a
    // printable ASCII one is never white space), the rest without building a lowered copy.
    if text.as_bytes().first().is_some_and(|b| {
        cell::is_printable_ascii(*b)
            && !b.eq_ignore_ascii_case(&b't')
            && !b.eq_ignore_ascii_case(&b'g')
    }) {
        return false;
    }
    let start = text.trim_start();
    if !start
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("tot") || p.eq_ignore_ascii_case("gra"))
    {
        return false;
    }
    let t = text
        .trim()
        .trim_end_matches([':', '.'])
        .trim()
        .to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        t.as_str(),
        "totale"
            | "totali"
            | "total"
            | "totals"
            | "totale generale"
            | "totale complessivo"
            | "grand total"
    )
}

/// For each canonical column, the position of its cell in the export's header (None: not
/// exported), and a warning for each optional column the export lacks.
pub(super) fn column_positions(
    headers: &[String],
    shown: &str,
    source: &Source,
    table: &Table,
) -> Result<(Vec<Option<usize>>, Vec<String>), IngestError> {
    if let Some(label) = utf16_label(headers) {
        return Err(IngestError::Read {
            file: shown.to_string(),
            line: None,
            fault: Box::new(super::ReadFault::Utf16 { label }),
        });
    }
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut positions = Vec::new();
    let mut warnings = Vec::new();
    for (col, map) in table.columns.iter().zip(&source.columns) {
        let pos = normalized
            .iter()
            .position(|h| *h == normalize_header(&map.header));
        if pos.is_none() && (map.mapped || col.required) {
            return Err(IngestError::Typed(Box::new(Problem::MissingHeader {
                file: shown.to_string(),
                column: col.name.clone(),
                header: map.header.clone(),
                found: crate::text::excerpt(&headers.join(", ")).into_owned(),
                near: closest_header(&map.header, headers).map(str::to_string),
                fix: None,
            })));
        }
        if pos.is_none() {
            warnings.push(format!(
                "column '{}' is not in the export: stored as empty",
                col.name
            ));
        }
        positions.push(pos);
    }
    Ok((positions, warnings))
}

/// The UTF-16 encoding that reads headers holding NUL bytes, which no header has: the export is
/// UTF-16 without a byte-order mark, read one byte per letter (big-endian puts the NUL first).
fn utf16_label(headers: &[String]) -> Option<&'static str> {
    if !headers.iter().any(|h| h.contains('\0')) {
        return None;
    }
    let big_endian = headers.first().is_some_and(|h| h.starts_with('\0'));
    Some(if big_endian { "utf-16be" } else { "utf-16le" })
}

/// Where a parse puts its rows: the parts it opens, and how their row groups are encoded.
pub(super) struct Output {
    pub(super) parts: encode::PartSender,
    pub(super) factory: std::sync::Arc<ArrowRowGroupWriterFactory>,
    /// The table's territory columns, where ceased codes are stored under their successor.
    pub(super) successors: std::sync::Arc<successor::Successors>,
}

impl Output {
    /// A parser for the next part of the export.
    pub(super) fn parser<'a>(
        &self,
        source: &'a Source,
        table: &'a Table,
        positions: &'a [Option<usize>],
        progress: &'a rows::Progress<'a>,
    ) -> Result<rows::RowParser<'a>, IngestError> {
        let tx =
            encode::open_part(&self.parts).ok_or(IngestError::Stopped("the warehouse writer"))?;
        let encoder =
            encode::GroupEncoder::new(self.factory.clone(), crate::warehouse::table_schema(table));
        Ok(rows::RowParser::new(
            source,
            table,
            positions,
            encoder,
            tx,
            progress,
            self.successors.clone(),
        ))
    }
}

/// Reads the export row by row, converting, batching and encoding; row groups go to the writer as
/// they fill up. A large CSV export is read by one thread per core, each on its own range of lines
/// and encoding its own row groups.
pub(super) fn parse_export(
    path: &std::path::Path,
    shown: &str,
    source: &Source,
    table: &Table,
    output: Output,
    bar: &progress::SourceBar,
) -> Result<ParseStats, IngestError> {
    let progress = rows::Progress::new(bar);
    if let Format::Csv {
        delimiter,
        encoding,
        header_row,
        ..
    } = &source.format
    {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let layout = chunks::Layout {
            delimiter: *delimiter,
            encoding,
            header_row: *header_row,
        };
        let plan = chunks::plan(
            path,
            shown,
            layout,
            threads,
            chunks::MIN_PARALLEL_BYTES,
            // A run given up (the writer gone) stops the scan rather than reading on.
            &|| output.parts.is_closed(),
        )?;
        if let Some(plan) = plan {
            let (positions, warnings) = column_positions(&plan.headers, shown, source, table)
                .map_err(|e| with_header_row_hint(e, path, shown, source))?;
            // Opened in export order, before any thread starts: the file follows this order.
            let parsers = plan
                .chunks
                .iter()
                .map(|_| output.parser(source, table, &positions, &progress))
                .collect::<Result<Vec<_>, _>>()?;
            let parse_chunk = |chunk: &chunks::Chunk, mut parser: rows::RowParser<'_>| {
                chunks::parse(path, shown, *delimiter, &plan, chunk, |line, cells| {
                    parser.push(line, cells)
                })?;
                parser.finish()
            };
            // One range (any export under the parallel size) is read on this thread: a folder of
            // monthly files would otherwise start and stop a thread per file.
            if plan.chunks.len() == 1 {
                let parts = plan
                    .chunks
                    .iter()
                    .zip(parsers)
                    .map(|(c, p)| parse_chunk(c, p));
                return Ok(rows::merge(parts.collect::<Result<_, _>>()?, warnings));
            }
            let parts = std::thread::scope(|s| {
                let handles: Vec<_> = plan
                    .chunks
                    .iter()
                    .zip(parsers)
                    .map(|(chunk, parser)| s.spawn(move || parse_chunk(chunk, parser)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(IngestError::Stopped("a parsing thread")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })?;
            return Ok(rows::merge(parts, warnings));
        }
    }
    let (headers, rows) = readers::open(path, shown, &source.format)?;
    let (positions, warnings) = column_positions(&headers, shown, source, table)
        .map_err(|e| with_header_row_hint(e, path, shown, source))?;
    let mut parser = output.parser(source, table, &positions, &progress)?;
    for row in rows {
        let row = row?;
        parser.push(row.line, row.cells.as_slice())?;
    }
    Ok(rows::merge(vec![parser.finish()?], warnings))
}

pub(super) async fn run_checks(
    wh: &Warehouse,
    table: &Table,
    data_file: &str,
) -> Result<Vec<CheckResult>, IngestError> {
    if table.checks.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = crate::warehouse::session::staged_file_context(wh, data_file).await?;
    let mut out = Vec::new();
    for check in &table.checks {
        let sql = format!(
            "SELECT _line FROM staged WHERE NOT ({}) ORDER BY _line",
            check.rule
        );
        let batches = super::error::read_only_rows(&ctx, &sql)
            .await
            .map_err(|source| IngestError::Check {
                file: table.file.display().to_string(),
                name: check.name.clone(),
                rule: check.rule.clone(),
                source: Box::new(source),
            })?;
        let lines: Vec<i64> = batches
            .iter()
            .filter_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>())
            .flat_map(|a| a.iter().flatten())
            .collect();
        out.push(CheckResult {
            name: check.name.clone(),
            rule: check.rule.clone(),
            severity: match check.severity {
                Severity::Warning => "warning".into(),
                Severity::Error => "error".into(),
            },
            violations: lines.len() as u64,
            sample_lines: lines.into_iter().take(10).collect(),
        });
    }
    Ok(out)
}

/// A delivery's rejected rows as a Parquet file.
pub(super) fn rejected_parquet(
    source: &str,
    table: &str,
    delivery: &str,
    rejections: &[Rejection],
) -> Result<Vec<u8>, IngestError> {
    let n = rejections.len();
    let batch = RecordBatch::try_new(
        crate::warehouse::rejected_schema(),
        vec![
            Arc::new(StringArray::from(vec![source; n])),
            Arc::new(StringArray::from(vec![table; n])),
            Arc::new(StringArray::from(vec![delivery; n])),
            Arc::new(Int64Array::from_iter_values(
                rejections.iter().map(|r| r.line as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.column.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.value.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rejections.iter().map(|r| r.reason.to_string()),
            )),
        ],
    )?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, crate::warehouse::rejected_schema(), None)
        .map_err(IngestError::Rejected)?;
    w.write(&batch).map_err(IngestError::Rejected)?;
    w.close().map_err(IngestError::Rejected)?;
    Ok(buf)
}

/// For a text export read as UTF-8 whose rows held undecodable bytes: the failure naming the
/// first bad byte, its line and the setting that likely reads it. Such bytes are never stored
/// as U+FFFD.
pub(super) fn undecodable_utf8(
    path: &std::path::Path,
    shown: &str,
    format: &Format,
    stats: &ParseStats,
) -> Option<IngestError> {
    let encoding = match format {
        Format::Csv { encoding, .. } | Format::Json { encoding, .. } => *encoding,
        _ => return None,
    };
    if encoding != encoding_rs::UTF_8 || !stats.undecodable {
        return None;
    }
    let (line, offset, byte) = first_invalid_utf8(path).ok()??;
    Some(IngestError::Typed(Box::new(Problem::NotUtf8 {
        file: shown.to_string(),
        line,
        byte,
        offset,
    })))
}

/// The line, byte offset and value of the first byte of `path` that is not valid UTF-8.
pub(super) fn first_invalid_utf8(
    path: &std::path::Path,
) -> std::io::Result<Option<(u64, u64, u8)>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    // Bytes of a character cut by the end of the last read, carried into the next.
    let mut carry = 0usize;
    let (mut offset, mut line) = (0u64, 1u64);
    loop {
        let n = file.read(&mut buf[carry..])?;
        let len = carry + n;
        let chunk = &buf[..len];
        match std::str::from_utf8(chunk) {
            Ok(_) if n == 0 => return Ok(None),
            Ok(_) => {
                line += memchr::memchr_iter(b'\n', chunk).count() as u64;
                offset += len as u64;
                carry = 0;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if e.error_len().is_some() || n == 0 {
                    line += memchr::memchr_iter(b'\n', &chunk[..good]).count() as u64;
                    return Ok(Some((line, offset + good as u64, chunk[good])));
                }
                // A character cut by the read: keep its bytes for the next.
                line += memchr::memchr_iter(b'\n', &chunk[..good]).count() as u64;
                offset += good as u64;
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
        }
    }
}
