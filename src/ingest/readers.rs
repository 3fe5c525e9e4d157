//! Readers for each export format. Each yields a header row and then numbered rows of cells, so the
//! mapping onto canonical tables is the same whatever the format.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};

use super::IngestError;
use super::cell::Cell;
use crate::config::Format;

/// A row of an export: its line (CSV, NDJSON), sheet row (XLSX) or record number (JSON array, Parquet).
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<Cell>,
}

pub type Rows = Box<dyn Iterator<Item = Result<RawRow, IngestError>> + Send>;

/// Opens a fetched export and returns its headers and a stream of rows.
pub fn open(path: &Path, shown: &str, format: &Format) -> Result<(Vec<String>, Rows), IngestError> {
    match format {
        Format::Csv {
            delimiter,
            encoding,
            header_row,
            ..
        } => open_csv(path, shown, *delimiter, encoding, *header_row),
        Format::Xlsx {
            sheet, header_row, ..
        }
        | Format::Ods {
            sheet, header_row, ..
        } => open_xlsx(path, shown, sheet.as_deref(), *header_row),
        Format::Json { encoding, .. } => open_json(path, shown, encoding),
        Format::Parquet { .. } => open_parquet(path, shown),
    }
}

fn read_err(shown: &str, line: Option<u64>, message: impl Into<String>) -> IngestError {
    IngestError::Read {
        file: shown.to_string(),
        line,
        message: message.into(),
    }
}

fn decoded(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<impl Read + Send + use<>, IngestError> {
    let file = File::open(path).map_err(|e| read_err(shown, None, e.to_string()))?;
    // Transcodes while streaming, and drops a UTF-8 or UTF-16 byte-order mark whatever the label says.
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 16, file)))
}

fn open_csv(
    path: &Path,
    shown: &str,
    delimiter: u8,
    encoding: &'static encoding_rs::Encoding,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    let reader = decoded(path, shown, encoding)?;
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
            return Err(read_err(
                shown,
                None,
                format!("the file ends before the header row {header_row}"),
            ));
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
    let rows = csv.into_records().filter_map(move |r| match r {
        Ok(rec) => {
            if rec.iter().all(|c| c.trim().is_empty()) {
                return None;
            }
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            Some(Ok(RawRow {
                line,
                cells: rec
                    .iter()
                    .map(|c| Cell::Text(c.strip_suffix('\r').unwrap_or(c).to_string()))
                    .collect(),
            }))
        }
        Err(e) => Some(Err(csv_err(&shown, e))),
    });
    Ok((headers, Box::new(rows)))
}

fn csv_err(shown: &str, e: csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "text that is not valid in the declared encoding (set options.encoding, e.g. windows-1252)".to_string(),
        _ => e.to_string(),
    };
    read_err(shown, line, message)
}

fn open_xlsx(
    path: &Path,
    shown: &str,
    sheet: Option<&str>,
    header_row: usize,
) -> Result<(Vec<String>, Rows), IngestError> {
    // The workbook kind (xlsx, xls, ods) is read from the content: a downloaded export has no
    // trustworthy file name.
    let mut wb = open_sheets(path).map_err(|e| {
        read_err(
            shown,
            None,
            format!("not a readable workbook (xlsx, xls or ods): {e}"),
        )
    })?;
    let names = wb.sheet_names();
    let sheet = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                read_err(
                    shown,
                    None,
                    format!("no sheet named '{s}' (sheets: {})", names.join(", ")),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| read_err(shown, None, "the workbook has no sheets"))?,
    };
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| read_err(shown, None, format!("sheet '{sheet}': {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let width = col0 as usize + range.width();
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let sheet_row = row0 as u64 + i as u64 + 1;
        // Cells left of the used range are empty; pad so column positions match the sheet.
        let mut cells: Vec<Cell> = vec![Cell::Empty; col0 as usize];
        cells.extend(r.iter().map(xlsx_cell));
        cells.resize(width, Cell::Empty);
        if (sheet_row as usize) < header_row {
            continue;
        }
        if sheet_row as usize == header_row {
            header = Some(cells.iter().map(Cell::shown).collect::<Vec<_>>());
            continue;
        }
        if cells.iter().all(|c| matches!(c, Cell::Empty)) {
            continue;
        }
        rows.push(Ok(RawRow {
            line: sheet_row,
            cells,
        }));
    }
    let header = header.ok_or_else(|| {
        read_err(
            shown,
            None,
            format!("sheet '{sheet}' has no row {header_row} for the header"),
        )
    })?;
    Ok((header, Box::new(rows.into_iter())))
}

/// Opens a workbook of whichever kind its bytes say: a zip holds xlsx or ods, an OLE file xls.
fn open_sheets(path: &Path) -> Result<calamine::Sheets<BufReader<File>>, String> {
    use calamine::{Ods, Sheets, Xls, Xlsx, open_workbook_from_rs};
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| e.to_string())
    };
    let mut magic = [0u8; 4];
    let n = open()?.read(&mut magic).map_err(|e| e.to_string())?;
    if n == 4 && magic == [0xD0, 0xCF, 0x11, 0xE0] {
        return open_workbook_from_rs::<Xls<_>, _>(open()?)
            .map(Sheets::Xls)
            .map_err(|e| e.to_string());
    }
    match open_workbook_from_rs::<Xlsx<_>, _>(open()?) {
        Ok(wb) => Ok(Sheets::Xlsx(wb)),
        Err(xlsx_err) => open_workbook_from_rs::<Ods<_>, _>(open()?)
            .map(Sheets::Ods)
            .map_err(|_| xlsx_err.to_string()),
    }
}

fn xlsx_cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
            Some(t) => Cell::DateTime(t),
            None => Cell::Text(dt.to_string()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn open_json(
    path: &Path,
    shown: &str,
    encoding: &'static encoding_rs::Encoding,
) -> Result<(Vec<String>, Rows), IngestError> {
    let mut text = String::new();
    decoded(path, shown, encoding)?
        .read_to_string(&mut text)
        .map_err(|e| read_err(shown, None, e.to_string()))?;
    let objects: Vec<(u64, serde_json::Map<String, serde_json::Value>)> =
        if text.trim_start().starts_with('[') {
            let items: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
                read_err(shown, Some(e.line() as u64), format!("invalid JSON: {e}"))
            })?;
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    serde_json::Value::Object(m) => Ok((i as u64 + 1, m)),
                    _ => Err(read_err(
                        shown,
                        Some(i as u64 + 1),
                        "array item is not an object",
                    )),
                })
                .collect::<Result<_, _>>()?
        } else {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str(line) {
                    Ok(serde_json::Value::Object(m)) => out.push((i as u64 + 1, m)),
                    Ok(_) => {
                        return Err(read_err(
                            shown,
                            Some(i as u64 + 1),
                            "line is not a JSON object",
                        ));
                    }
                    Err(e) => {
                        return Err(read_err(
                            shown,
                            Some(i as u64 + 1),
                            format!("invalid JSON: {e}"),
                        ));
                    }
                }
            }
            out
        };
    let mut headers: Vec<String> = Vec::new();
    for (_, m) in &objects {
        for k in m.keys() {
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    let hs = headers.clone();
    let rows = objects.into_iter().map(move |(line, m)| {
        let cells = hs
            .iter()
            .map(|h| m.get(h).map(json_cell).unwrap_or(Cell::Empty))
            .collect();
        Ok(RawRow { line, cells })
    });
    Ok((headers, Box::new(rows)))
}

fn json_cell(v: &serde_json::Value) -> Cell {
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

fn open_parquet(path: &Path, shown: &str) -> Result<(Vec<String>, Rows), IngestError> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = File::open(path).map_err(|e| read_err(shown, None, e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| read_err(shown, None, e.to_string()))?;
    let headers = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| read_err(shown, None, e.to_string()))?;
    let shown = shown.to_string();
    let mut next_line = 0u64;
    let rows = reader.flat_map(move |batch| -> Vec<Result<RawRow, IngestError>> {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return vec![Err(read_err(&shown, None, e.to_string()))],
        };
        let columns: Vec<Vec<Cell>> = batch
            .columns()
            .iter()
            .map(|c| arrow_cells(c.as_ref()))
            .collect();
        (0..batch.num_rows())
            .map(|r| {
                next_line += 1;
                Ok(RawRow {
                    line: next_line,
                    cells: columns.iter().map(|c| c[r].clone()).collect(),
                })
            })
            .collect()
    });
    Ok((headers, Box::new(rows)))
}

/// Converts one Parquet column to cells, casting it once to a canonical type so each cell is a plain read.
fn arrow_cells(a: &dyn Array) -> Vec<Cell> {
    use DataType as T;
    let n = a.len();
    let target = match a.data_type() {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 => T::Int64,
        T::Float16 | T::Float32 | T::Float64 => T::Float64,
        T::Boolean => T::Boolean,
        T::Date32 | T::Date64 => T::Date32,
        T::Timestamp(..) => T::Timestamp(TimeUnit::Microsecond, None),
        _ => T::Utf8,
    };
    let Ok(c) = datafusion::arrow::compute::cast(a, &target) else {
        return vec![Cell::Empty; n];
    };
    let cells = |f: &dyn Fn(usize) -> Option<Cell>| -> Vec<Cell> {
        (0..n)
            .map(|i| {
                if c.is_null(i) {
                    Cell::Empty
                } else {
                    f(i).unwrap_or(Cell::Empty)
                }
            })
            .collect()
    };
    match target {
        T::Int64 => {
            let v = c.as_primitive::<Int64Type>();
            cells(&|i| Some(Cell::Int(v.value(i))))
        }
        T::Float64 => {
            let v = c.as_primitive::<Float64Type>();
            cells(&|i| Some(Cell::Float(v.value(i))))
        }
        T::Boolean => {
            let v = c.as_boolean();
            cells(&|i| Some(Cell::Bool(v.value(i))))
        }
        T::Date32 => {
            let v = c.as_primitive::<Date32Type>();
            cells(&|i| v.value_as_date(i).map(Cell::Date))
        }
        T::Timestamp(..) => {
            let v = c.as_primitive::<TimestampMicrosecondType>();
            cells(&|i| v.value_as_datetime(i).map(Cell::DateTime))
        }
        _ => {
            let v = c.as_string::<i32>();
            cells(&|i| Some(Cell::Text(v.value(i).to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Float32Array, Int32Array, StringArray, TimestampMillisecondArray,
    };

    #[test]
    fn parquet_columns_of_any_width_become_cells() {
        assert_eq!(
            arrow_cells(&Int32Array::from(vec![Some(7), None])),
            vec![Cell::Int(7), Cell::Empty]
        );
        assert_eq!(
            arrow_cells(&Float32Array::from(vec![1.5])),
            vec![Cell::Float(1.5)]
        );
        let t = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let ms = TimestampMillisecondArray::from(vec![t.and_utc().timestamp_millis()]);
        assert_eq!(arrow_cells(&ms), vec![Cell::DateTime(t)]);
        assert_eq!(
            arrow_cells(&StringArray::from(vec!["PD001"])),
            vec![Cell::Text("PD001".into())]
        );
    }
}
