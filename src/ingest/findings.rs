//! Data-quality findings of a source's new data, kept beside it: rows that break a validation
//! rule, and values far from their own series (a robust z-score on the median and the median
//! absolute deviation, as DHIS2's outlier analysis does).

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array};
use datafusion::arrow::datatypes::DataType;
use serde::{Deserialize, Serialize};

use super::IngestError;
use crate::config::{Source, Table};
use crate::warehouse::Warehouse;

/// At most this many findings are kept per rule and column: enough to act on, bounded in size.
const MAX_PER_RULE: usize = 1000;
/// A series needs this many values before a value can stand out from it.
const MIN_SERIES: usize = 5;

/// One finding: where it is, what it is, and why it was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The source whose export holds the row.
    pub source: String,
    /// The table it feeds.
    pub table: String,
    /// The line (or sheet row) in the export.
    pub line: i64,
    /// `rule` or `outlier`.
    pub kind: String,
    /// The rule's name, or `outlier`.
    pub name: String,
    /// The column the finding is about.
    pub column: String,
    /// The value found.
    pub value: String,
    /// The row's identifying values (its required columns), e.g. `struttura=PD001`.
    pub keys: String,
    /// Why it was raised, in words.
    pub reason: String,
    /// The delivery (file) of the source that holds the row.
    #[serde(default)]
    pub delivery: String,
}

fn df_err(e: impl std::fmt::Display) -> IngestError {
    IngestError::Other(format!("findings: {e}"))
}

/// Runs a read-only query over the new data file and returns its batches.
async fn rows_of(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, IngestError> {
    let df = crate::indicators::sql::plan_read_only(ctx, sql)
        .await
        .map_err(df_err)?;
    df.collect().await.map_err(df_err)
}

fn quoted(c: &str) -> String {
    format!("\"{}\"", c.replace('"', "\"\""))
}

/// The text of a cell for a finding, as stored.
fn cell_text(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return String::new();
    }
    datafusion::arrow::util::display::array_value_to_string(a, i).unwrap_or_default()
}

/// The findings of the data file `data_file` of `source`.
pub async fn find(
    wh: &Warehouse,
    table: &Table,
    source: &Source,
    data_file: &str,
) -> Result<Vec<Finding>, IngestError> {
    if table.checks.is_empty() && table.outliers.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = crate::warehouse::session::staged_file_context(wh, data_file).await?;
    let keys: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name.as_str())
        .collect();
    let key_list = if keys.is_empty() {
        String::new()
    } else {
        format!(
            ", {}",
            keys.iter()
                .map(|k| quoted(k))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let keys_of = |b: &datafusion::arrow::record_batch::RecordBatch, i: usize, from: usize| {
        keys.iter()
            .enumerate()
            .map(|(k, name)| format!("{name}={}", cell_text(b.column(from + k).as_ref(), i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    let finding = |line: i64,
                   kind: &str,
                   name: &str,
                   column: &str,
                   value: String,
                   keys: String,
                   reason: String| Finding {
        source: source.name.clone(),
        table: table.name.clone(),
        line,
        kind: kind.into(),
        name: name.into(),
        column: column.into(),
        value: crate::text::excerpt(&value).into_owned(),
        keys: crate::text::excerpt(&keys).into_owned(),
        reason,
        delivery: String::new(),
    };

    for check in &table.checks {
        let sql = format!(
            "SELECT _line{key_list} FROM staged WHERE NOT ({}) ORDER BY _line LIMIT {MAX_PER_RULE}",
            check.rule
        );
        for b in rows_of(&ctx, &sql).await? {
            let Some(lines) = b.column(0).as_any().downcast_ref::<Int64Array>() else {
                continue;
            };
            for i in 0..b.num_rows() {
                out.push(finding(
                    lines.value(i),
                    "rule",
                    &check.name,
                    "",
                    String::new(),
                    keys_of(&b, i, 1),
                    format!("breaks the rule \"{}\"", check.rule),
                ));
            }
        }
    }

    for rule in &table.outliers {
        for column in &rule.columns {
            let by = rule
                .by
                .as_deref()
                .map(|b| format!("CAST({} AS VARCHAR)", quoted(b)))
                .unwrap_or_else(|| "''".into());
            let sql = format!(
                "SELECT _line, {by} AS series, CAST({} AS DOUBLE) AS x{key_list} FROM staged WHERE {} IS NOT NULL ORDER BY _line",
                quoted(column),
                quoted(column)
            );
            let batches = rows_of(&ctx, &sql).await?;
            // Each series' values, with where they are.
            let mut series: BTreeMap<String, Vec<(f64, i64, String)>> = BTreeMap::new();
            for b in &batches {
                let lines = b.column(0).as_any().downcast_ref::<Int64Array>();
                let xs = b.column(2).as_any().downcast_ref::<Float64Array>();
                let (Some(lines), Some(xs)) = (lines, xs) else {
                    continue;
                };
                let names = b.column(1);
                for i in 0..b.num_rows() {
                    let name = if names.data_type() == &DataType::Utf8 {
                        names.as_string::<i32>().value(i).to_string()
                    } else {
                        cell_text(names.as_ref(), i)
                    };
                    series.entry(name).or_default().push((
                        xs.value(i),
                        lines.value(i),
                        keys_of(b, i, 3),
                    ));
                }
            }
            let mut found = 0;
            for (name, values) in &series {
                let xs: Vec<f64> = values.iter().map(|v| v.0).collect();
                for (i, z) in robust_z_scores(&xs).into_iter().enumerate() {
                    let Some(z) = z else { continue };
                    if z.abs() > rule.threshold && found < MAX_PER_RULE {
                        found += 1;
                        let (x, line, keys) = &values[i];
                        let within = match &rule.by {
                            Some(b) => format!("the series of {b}={name}"),
                            None => "the column".to_string(),
                        };
                        out.push(finding(
                            *line,
                            "outlier",
                            "outlier",
                            column,
                            crate::indicators::output::tidy(*x).to_string(),
                            keys.clone(),
                            format!(
                                "robust z-score {:.1} within {within} (median {}, threshold {})",
                                z,
                                crate::indicators::output::tidy(median(&xs).unwrap_or(0.0)),
                                rule.threshold
                            ),
                        ));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (a.line, &a.kind, &a.name).cmp(&(b.line, &b.kind, &b.name)));
    Ok(out)
}

/// The columns of `findings.csv` and of `osservatorio findings`.
pub const COLUMNS: [&str; 10] = [
    "source", "table", "line", "kind", "name", "column", "value", "keys", "reason", "delivery",
];

impl Finding {
    /// The finding's cells in the order of [`COLUMNS`].
    pub fn record(&self) -> [String; 10] {
        [
            self.source.clone(),
            self.table.clone(),
            self.line.to_string(),
            self.kind.clone(),
            self.name.clone(),
            self.column.clone(),
            self.value.clone(),
            self.keys.clone(),
            self.reason.clone(),
            self.delivery.clone(),
        ]
    }
}

/// The findings of the project's sources (of one source when `only` names it), in source order.
pub async fn read_all(
    project: &crate::config::Project,
    wh: &Warehouse,
    only: Option<&str>,
) -> Result<Vec<Finding>, crate::warehouse::WarehouseError> {
    let mut out = Vec::new();
    for s in project
        .sources
        .iter()
        .filter(|s| only.is_none_or(|o| s.name == o))
    {
        let manifest: Option<crate::warehouse::manifest::SourceManifest> =
            wh.get_json(&wh.manifest_path(&s.name)).await?;
        let files: Vec<String> = match &manifest {
            Some(m) if !m.deliveries.is_empty() => m
                .deliveries
                .iter()
                .filter(|d| d.published.is_some())
                .filter_map(|d| d.findings_file.clone())
                .collect(),
            // A manifest from before deliveries: one findings file per source.
            _ => vec![format!("_findings/{}.json", s.name)],
        };
        for f in files {
            let found: Option<Vec<Finding>> = wh.get_json(&wh.path(&f)).await?;
            out.extend(found.unwrap_or_default());
        }
    }
    Ok(out)
}

/// The findings as CSV, header first.
pub fn to_csv(findings: &[Finding]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for f in findings {
        crate::text::write_csv_record(&mut w, f.record())?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Each value's modified z-score, 0.6745 (x − median) / MAD (Iglewicz and Hoaglin); when the MAD
/// is zero, the mean absolute deviation scaled by 1.2533 stands in. None for a series too short,
/// or flat.
pub fn robust_z_scores(xs: &[f64]) -> Vec<Option<f64>> {
    let none = vec![None; xs.len()];
    if xs.len() < MIN_SERIES {
        return none;
    }
    let Some(m) = median(xs) else { return none };
    let deviations: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    let mad = median(&deviations).unwrap_or(0.0);
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
        mean_ad * 1.253314
    };
    if scale <= 0.0 || !scale.is_finite() {
        return none;
    }
    xs.iter().map(|x| Some((x - m) / scale)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_far_from_its_series_stands_out() {
        let xs = [20.0, 21.0, 19.0, 22.0, 20.0, 180.0, 21.0];
        let z = robust_z_scores(&xs);
        assert!(z[5].is_some_and(|z| z > 3.5), "{z:?}");
        assert!(z[0].is_some_and(|z| z.abs() < 1.0), "{z:?}");
    }

    #[test]
    fn short_or_flat_series_raise_nothing() {
        assert!(
            robust_z_scores(&[1.0, 100.0, 1.0])
                .iter()
                .all(Option::is_none)
        );
        assert!(robust_z_scores(&[5.0; 8]).iter().all(Option::is_none));
        // A single different value in an otherwise flat series still stands out.
        let z = robust_z_scores(&[5.0, 5.0, 5.0, 5.0, 5.0, 50.0]);
        assert!(z[5].is_some_and(|z| z > 3.5), "{z:?}");
    }
}
