//! SQL functions the warehouse sessions register over DataFusion's own.
//!
//! `date_trunc` is what nearly every monthly indicator groups by, once per row of a register: the
//! built-in truncates each value through calendar objects. Timestamps without a time zone cut to
//! the day, month, quarter or year are done here with integer calendar arithmetic; every other
//! case, the signature, coercions, result type and ordering stay the built-in function's.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, TimestampNanosecondArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, TimeUnit};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions::datetime::date_trunc::DateTruncFunc;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// `date_trunc` with the fast path described above.
#[derive(Debug, PartialEq, Eq, Hash)]
struct FastDateTrunc {
    inner: DateTruncFunc,
}

/// The granularities the fast path cuts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Day,
    Month,
    Quarter,
    Year,
}

/// The `date_trunc` every warehouse session uses.
pub fn date_trunc() -> ScalarUDF {
    ScalarUDF::new_from_impl(FastDateTrunc {
        inner: DateTruncFunc::new(),
    })
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A timestamp (nanoseconds, no time zone) cut to the start of its day, month, quarter or year.
fn cut(ns: i64, to: Cut) -> i64 {
    span(ns, to).0
}

/// The day, month, quarter or year holding a timestamp: its start, and the start of the next one
/// (None past the last representable timestamp).
fn span(ns: i64, to: Cut) -> (i64, Option<i64>) {
    let day = ns.div_euclid(NANOS_PER_DAY);
    let (first, next) = match to {
        Cut::Day => (day, day + 1),
        _ => {
            let (y, m, _) = civil_from_days(day);
            let (from, months) = match to {
                Cut::Month => (m, 1),
                Cut::Quarter => ((m - 1) / 3 * 3 + 1, 3),
                _ => (1, 12),
            };
            let (next_y, next_m) = match from + months {
                m if m > 12 => (y + 1, m - 12),
                m => (y, m),
            };
            (
                days_from_civil(y, from, 1),
                days_from_civil(next_y, next_m, 1),
            )
        }
    };
    (first * NANOS_PER_DAY, next.checked_mul(NANOS_PER_DAY))
}

/// Every value cut. A value in the same period as the one before takes its answer without the
/// calendar arithmetic: a register in day order repeats each day for many rows, one in guest order
/// runs through the days of a stay, mostly within one month.
fn cut_all(ts: &TimestampNanosecondArray, to: Cut) -> TimestampNanosecondArray {
    // The period last cut: its start (the answer) and the start of the next.
    let mut last: Option<(i64, i64)> = None;
    let values: Vec<i64> = ts
        .values()
        .iter()
        .map(|&ns| match last {
            Some((start, end)) if start <= ns && ns < end => start,
            _ => {
                let (start, next) = span(ns, to);
                last = Some((start, next.unwrap_or(i64::MAX)));
                start
            }
        })
        .collect();
    TimestampNanosecondArray::new(values.into(), ts.nulls().cloned())
}

/// The cut a call asks for, when the fast path applies to it.
fn fast_cut(args: &ScalarFunctionArgs) -> Option<Cut> {
    let granularity = match &args.args.first()? {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(g))
            | ScalarValue::Utf8View(Some(g))
            | ScalarValue::LargeUtf8(Some(g)),
        ) => g.to_lowercase(),
        _ => return None,
    };
    let to = match granularity.as_str() {
        "day" => Cut::Day,
        "month" => Cut::Month,
        "quarter" => Cut::Quarter,
        "year" => Cut::Year,
        _ => return None,
    };
    match args.args.get(1)?.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, None) => Some(to),
        _ => None,
    }
}

impl ScalarUDFImpl for FastDateTrunc {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(to) = fast_cut(&args) else {
            return self.inner.invoke_with_args(args);
        };
        match &args.args[1] {
            ColumnarValue::Array(a) => {
                let Some(ts) = a.as_any().downcast_ref::<TimestampNanosecondArray>() else {
                    return self.inner.invoke_with_args(args);
                };
                Ok(ColumnarValue::Array(Arc::new(cut_all(ts, to)) as ArrayRef))
            }
            ColumnarValue::Scalar(ScalarValue::TimestampNanosecond(v, None)) => {
                Ok(ColumnarValue::Scalar(ScalarValue::TimestampNanosecond(
                    v.map(|ns| cut(ns, to)),
                    None,
                )))
            }
            ColumnarValue::Scalar(_) => self.inner.invoke_with_args(args),
        }
    }

    fn output_ordering(&self, input: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(input)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;

    /// The same cut through chrono's calendar, as the built-in function makes it.
    fn by_calendar(ns: i64, to: Cut) -> i64 {
        let t = chrono::DateTime::from_timestamp_nanos(ns)
            .naive_utc()
            .date();
        let d = match to {
            Cut::Day => t,
            Cut::Month => NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap_or(t),
            Cut::Quarter => {
                NaiveDate::from_ymd_opt(t.year(), (t.month() - 1) / 3 * 3 + 1, 1).unwrap_or(t)
            }
            Cut::Year => NaiveDate::from_ymd_opt(t.year(), 1, 1).unwrap_or(t),
        };
        d.and_hms_opt(0, 0, 0)
            .and_then(|d| d.and_utc().timestamp_nanos_opt())
            .unwrap_or(i64::MIN)
    }

    proptest! {
        #[test]
        fn cuts_agree_with_the_calendar(
            // Every representable day from 1678 to 2261, at any time of day.
            ns in -9_200_000_000_000_000_000i64..9_200_000_000_000_000_000,
            to in proptest::sample::select(vec![Cut::Day, Cut::Month, Cut::Quarter, Cut::Year]),
        ) {
            prop_assert_eq!(cut(ns, to), by_calendar(ns, to));
        }
    }

    proptest! {
        /// Values close together (many in the same period, some across its end, in any order)
        /// cut as a whole array as each is cut on its own by the calendar.
        #[test]
        fn a_column_cuts_as_its_values_do_one_by_one(
            base in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000,
            offsets in proptest::collection::vec(0i64..100 * NANOS_PER_DAY, 1..80),
            to in proptest::sample::select(vec![Cut::Day, Cut::Month, Cut::Quarter, Cut::Year]),
        ) {
            let values: Vec<i64> = offsets.iter().map(|o| base + o).collect();
            let column = TimestampNanosecondArray::from(values.clone());
            let cut = cut_all(&column, to);
            let expected: Vec<i64> = values.iter().map(|&ns| by_calendar(ns, to)).collect();
            prop_assert_eq!(cut.values().to_vec(), expected);
        }
    }

    #[tokio::test]
    async fn sql_results_match_the_built_in_function() {
        use datafusion::prelude::SessionContext;
        let sql = "SELECT date_trunc('month', CAST(d AS DATE)) AS m, date_trunc('quarter', CAST(d AS TIMESTAMP)) AS q, \
                   date_trunc('year', d) AS y, date_trunc('hour', CAST(d AS TIMESTAMP)) AS h \
                   FROM (VALUES ('2024-02-29'), ('1969-12-31'), ('2025-11-30'), ('1900-03-01')) t(d)";
        let builtin = SessionContext::new();
        let ours = SessionContext::new();
        ours.register_udf(date_trunc());
        let collect = |ctx: SessionContext| async move {
            let batches = ctx.sql(sql).await?.collect().await?;
            datafusion::arrow::util::pretty::pretty_format_batches(&batches).map(|t| t.to_string())
        };
        let (a, b) = (collect(builtin).await, collect(ours).await);
        assert_eq!(a.expect("built-in"), b.expect("ours"));
    }
}
