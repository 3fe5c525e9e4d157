//! Data-quality findings of a source's new data, kept beside it: rows that break a validation
//! rule, and values far from their own series (a robust z-score on the median and the median
//! absolute deviation, as DHIS2's outlier analysis does).

use datafusion::arrow::array::{Array, Float64Array, Int64Array};

use super::IngestError;
use crate::config::{Source, Table};
use crate::warehouse::Warehouse;
pub use crate::warehouse::findings::Finding;

/// At most this many findings are kept per rule and column: enough to act on, bounded in size.
const MAX_PER_RULE: usize = 1000;
/// A series needs this many values before a value can stand out from it.
const MIN_SERIES: usize = 5;

/// Runs a read-only query over the new data file and returns its batches.
async fn rows_of(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, IngestError> {
    super::error::read_only_rows(ctx, sql)
        .await
        .map_err(|e| IngestError::Findings(Box::new(e)))
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
    let finder = Finder::new(source, table);
    let mut out = Vec::new();
    for check in &table.checks {
        out.extend(finder.rule_breaks(&ctx, check).await?);
    }
    for rule in &table.outliers {
        for column in &rule.columns {
            out.extend(finder.outliers(&ctx, rule, column).await?);
        }
    }
    out.sort_by(|a, b| (a.line, &a.kind, &a.name).cmp(&(b.line, &b.kind, &b.name)));
    Ok(out)
}

/// What every finding of one source's table names: the source, the table and the row's keys
/// (its required columns).
struct Finder<'a> {
    source: &'a Source,
    table: &'a Table,
    keys: Vec<&'a str>,
    /// `, "key1", "key2"`: the keys as the queries select them after `_line`.
    key_list: String,
}

impl<'a> Finder<'a> {
    fn new(source: &'a Source, table: &'a Table) -> Finder<'a> {
        let keys: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name.as_str())
            .collect();
        let key_list = keys.iter().map(|k| format!(", {}", quoted(k))).collect();
        Finder {
            source,
            table,
            keys,
            key_list,
        }
    }

    /// `struttura=PD001, data=…`: row `i`'s keys, which start at column `from` of `b`.
    fn keys_of(
        &self,
        b: &datafusion::arrow::record_batch::RecordBatch,
        i: usize,
        from: usize,
    ) -> String {
        self.keys
            .iter()
            .enumerate()
            .map(|(k, name)| format!("{name}={}", cell_text(b.column(from + k).as_ref(), i)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A finding on `line` with the keys `keys`; its kind, name, column, value and reason blank.
    fn at(&self, line: i64, keys: &str) -> Finding {
        Finding {
            source: self.source.name.clone(),
            table: self.table.name.clone(),
            line,
            kind: String::new(),
            name: String::new(),
            column: String::new(),
            value: String::new(),
            keys: crate::text::excerpt(keys).into_owned(),
            reason: String::new(),
            delivery: String::new(),
        }
    }

    /// The rows that break the check's rule, at most `MAX_PER_RULE`.
    async fn rule_breaks(
        &self,
        ctx: &datafusion::prelude::SessionContext,
        check: &crate::config::Check,
    ) -> Result<Vec<Finding>, IngestError> {
        let sql = format!(
            "SELECT _line{} FROM staged WHERE NOT ({}) ORDER BY _line LIMIT {MAX_PER_RULE}",
            self.key_list, check.rule
        );
        let mut out = Vec::new();
        for b in rows_of(ctx, &sql).await? {
            let Some(lines) = b.column(0).as_any().downcast_ref::<Int64Array>() else {
                continue;
            };
            for i in 0..b.num_rows() {
                out.push(Finding {
                    kind: "rule".into(),
                    name: check.name.clone(),
                    reason: format!("breaks the rule \"{}\"", check.rule),
                    ..self.at(lines.value(i), &self.keys_of(&b, i, 1))
                });
            }
        }
        Ok(out)
    }

    /// The values of `column` far from their series under `rule`, at most `MAX_PER_RULE`.
    async fn outliers(
        &self,
        ctx: &datafusion::prelude::SessionContext,
        rule: &crate::config::OutlierRule,
        column: &str,
    ) -> Result<Vec<Finding>, IngestError> {
        let by = rule
            .by
            .as_deref()
            .map(|b| format!("COALESCE(CAST({} AS VARCHAR), '')", quoted(b)))
            .unwrap_or_else(|| "''".into());
        // Each series' median, MAD and mean absolute deviation are aggregated in SQL, then only
        // the outlying rows are fetched with their keys: memory holds the values being
        // aggregated (numbers), never every row with its text.
        let sql = outlier_sql(&by, &quoted(column), rule.threshold, &self.key_list);
        let mut out = Vec::new();
        for b in rows_of(ctx, &sql).await? {
            let lines = b.column(0).as_any().downcast_ref::<Int64Array>();
            let xs = b.column(2).as_any().downcast_ref::<Float64Array>();
            let zs = b.column(3).as_any().downcast_ref::<Float64Array>();
            let ms = b.column(4).as_any().downcast_ref::<Float64Array>();
            let (Some(lines), Some(xs), Some(zs), Some(ms)) = (lines, xs, zs, ms) else {
                continue;
            };
            let names = b.column(1);
            for i in 0..b.num_rows() {
                let name = cell_text(names.as_ref(), i);
                let within = match &rule.by {
                    Some(b) => format!("the series of {b}={name}"),
                    None => "the column".to_string(),
                };
                let value = crate::values::numbers::tidy(xs.value(i)).to_string();
                out.push(Finding {
                    kind: "outlier".into(),
                    name: "outlier".into(),
                    column: column.into(),
                    value: crate::text::excerpt(&value).into_owned(),
                    reason: format!(
                        "robust z-score {:.1} within {within} (median {}, threshold {})",
                        zs.value(i),
                        crate::values::numbers::tidy(ms.value(i)),
                        rule.threshold
                    ),
                    ..self.at(lines.value(i), &self.keys_of(&b, i, 5))
                });
            }
        }
        Ok(out)
    }
}

/// The query that finds the values of `column` far from their series (`by`, an SQL expression
/// giving each row's series name): the modified z-score 0.6745 (x − median) / MAD of
/// [`robust_z_scores`], with the mean absolute deviation × 1.253314 standing in when the MAD is
/// zero, for series of at least `MIN_SERIES` values. Returns `_line, series, x, z, m` and the key
/// columns of at most `MAX_PER_RULE` rows, series by series in name order and by line within one.
/// The per-series aggregates are the build side of each join (written first): the rows stream
/// past them, and only the outlying ones, at most `MAX_PER_RULE` of them, are kept.
fn outlier_sql(by: &str, column: &str, threshold: f64, key_list: &str) -> String {
    format!(
        "WITH v AS (SELECT _line, {by} AS _o_series, CAST({column} AS DOUBLE) AS _o_x{key_list} \
             FROM staged WHERE {column} IS NOT NULL), \
         s AS (SELECT _o_series, COUNT(*) AS n, median(_o_x) AS m FROM v GROUP BY _o_series), \
         d AS (SELECT v._o_series, abs(v._o_x - s.m) AS dev FROM s JOIN v ON v._o_series = s._o_series \
             WHERE s.n >= {MIN_SERIES}), \
         t AS (SELECT _o_series, median(dev) AS mad, avg(dev) AS mean_ad FROM d GROUP BY _o_series), \
         k AS (SELECT s._o_series, s.m, CASE WHEN t.mad > 0 THEN t.mad / 0.6745 \
                 ELSE t.mean_ad * 1.253314 END AS scale \
             FROM s JOIN t ON s._o_series = t._o_series) \
         SELECT * FROM (SELECT v._line, v._o_series, v._o_x, (v._o_x - k.m) / k.scale AS _o_z, k.m AS _o_m{key_list_v} \
             FROM k JOIN v ON v._o_series = k._o_series \
             WHERE k.scale > 0 AND k.scale < 1e308) \
         WHERE abs(_o_z) > {threshold:?} ORDER BY _o_series, _line LIMIT {MAX_PER_RULE}",
        key_list_v = key_list.replace(", \"", ", v.\""),
    )
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

    /// The SQL finds exactly the values `robust_z_scores` finds, series by series, with the same
    /// z-scores and medians, in the same order.
    #[tokio::test]
    async fn the_outlier_query_agrees_with_the_robust_z_scores() {
        use datafusion::arrow::array::{Int64Array, StringArray};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::arrow::record_batch::RecordBatch;
        use std::sync::Arc;
        // Series of several shapes: spread, flat but for one value (MAD zero), too short, nulls.
        let mut lines = Vec::new();
        let mut series = Vec::new();
        let mut values = Vec::new();
        let mut line = 1;
        let mut push = |s: Option<&str>, v: Option<f64>| {
            lines.push(line);
            series.push(s.map(str::to_string));
            values.push(v);
            line += 1;
        };
        for i in 0..40 {
            push(Some("a"), Some(20.0 + f64::from(i % 7) - f64::from(i % 3)));
        }
        push(Some("a"), Some(400.0));
        push(Some("a"), Some(-300.0));
        for _ in 0..8 {
            push(Some("b"), Some(5.0));
        }
        push(Some("b"), Some(50.0));
        for v in [1.0, 100.0, 1.0] {
            push(Some("c"), Some(v));
        }
        for v in [3.0, 3.5, 2.5, 3.0, 90.0, 3.2] {
            push(None, Some(v));
        }
        push(Some("a"), None);
        let schema = Arc::new(Schema::new(vec![
            Field::new("_line", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
            Field::new("v", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(lines.clone())),
                Arc::new(StringArray::from(series.clone())),
                Arc::new(Float64Array::from(values.clone())),
            ],
        )
        .unwrap();
        let ctx = datafusion::prelude::SessionContext::new();
        let mem = datafusion::datasource::MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("staged", Arc::new(mem)).unwrap();
        let sql = outlier_sql("COALESCE(CAST(\"s\" AS VARCHAR), '')", "\"v\"", 3.5, "");
        let mut got = Vec::new();
        for b in rows_of(&ctx, &sql).await.unwrap() {
            let l = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            let z = b.column(3).as_any().downcast_ref::<Float64Array>().unwrap();
            let m = b.column(4).as_any().downcast_ref::<Float64Array>().unwrap();
            for i in 0..b.num_rows() {
                got.push((l.value(i), format!("{:.6}", z.value(i)), m.value(i)));
            }
        }
        // The same in memory.
        let mut by: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
        for ((l, s), v) in lines.iter().zip(&series).zip(&values) {
            if let Some(v) = v {
                by.entry(s.clone().unwrap_or_default())
                    .or_default()
                    .push((*l, *v));
            }
        }
        let mut expected = Vec::new();
        for vals in by.values() {
            let xs: Vec<f64> = vals.iter().map(|v| v.1).collect();
            for (i, z) in robust_z_scores(&xs).into_iter().enumerate() {
                if let Some(z) = z.filter(|z| z.abs() > 3.5) {
                    expected.push((vals[i].0, format!("{z:.6}"), median(&xs).unwrap()));
                }
            }
        }
        assert!(expected.len() >= 4, "{expected:?}");
        assert_eq!(got, expected);
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
