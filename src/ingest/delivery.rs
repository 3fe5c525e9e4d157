//! One delivery, from its file to staged warehouse files: fetch → read → map and validate →
//! stage → quality. Nothing here is published: the source's commit names what it staged.

use datafusion::parquet::basic::{Compression, Encoding, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;

use super::locate::Found;
use super::{
    DICTIONARY_PAGE_BYTES, IngestError, Output, ParseStats, Rejection, encode, fetch, findings,
    progress,
};
use crate::config::{Source, Table};
use crate::warehouse::Warehouse;
use crate::warehouse::manifest::{Delivery, Published};
use crate::warehouse::problem::{Problem, Rejected};

/// What a source's ingest brings to each delivery it reads.
pub(super) struct Context<'a> {
    pub wh: &'a Warehouse,
    pub source: &'a Source,
    pub table: &'a Table,
    /// The table's territory columns, where ceased codes are stored under their successor.
    pub successors: &'a std::sync::Arc<super::successor::Successors>,
    pub run_id: &'a str,
    pub definition: &'a str,
    pub remote: &'a fetch::RemoteOptions,
    pub bar: &'a progress::SourceBar,
    /// Re-read even what has not changed.
    pub full: bool,
    /// A person checked the source's new exports: taken although they shrank.
    pub accepted: bool,
    /// How the project shows a path (relative to the project folder).
    pub shown: &'a dyn Fn(&str) -> String,
    /// The source's data files when its ingest began.
    pub present: &'a super::unchanged::PresentFiles,
}

/// A file staged in the warehouse: removed when dropped unless committed, so a delivery that
/// fails after staging leaves nothing behind for readers or for the next run to clear.
pub(super) struct Staged {
    wh: Warehouse,
    /// The file, relative to the warehouse root.
    pub rel: String,
    committed: bool,
}

impl Staged {
    fn new(wh: &Warehouse, rel: String) -> Staged {
        Staged {
            wh: wh.clone(),
            rel,
            committed: false,
        }
    }

    /// Keeps the file: the manifest about to be written names it.
    pub fn commit(mut self) -> String {
        self.committed = true;
        std::mem::take(&mut self.rel)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let (store, path) = (self.wh.store.clone(), self.wh.path(&self.rel));
        // Removal is best effort: a file no manifest names is cleared by the source's next commit.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = store.delete(&path).await;
            });
        }
    }
}

/// A delivery read and staged, ready to be named by the manifest.
pub(super) struct Read {
    pub published: Published,
    pub data: Staged,
    pub rejected: Option<Staged>,
    pub findings: Option<Staged>,
    pub periods: Vec<String>,
    pub covers: Vec<String>,
    pub stats: ParseStats,
    pub found: Vec<findings::Finding>,
    pub check_errors: u64,
    /// Requests made for a remote export.
    pub attempts: usize,
}

/// How reading one delivery ended.
// One outcome per delivery, moved once: its size does not matter enough to box the failure.
#[allow(clippy::large_enum_variant)]
pub(super) enum Outcome {
    /// Its file holds what is published: nothing was read. A new tag to remember, if any.
    Unchanged { etag: Option<String> },
    /// Read and staged.
    Read(Box<Read>),
    /// A template's period not yet on the portal and not yet due.
    NotYetThere,
    /// Not read; its rejected rows (too many of them) are staged all the same, for the office.
    Failed {
        error: IngestError,
        rejected: Option<Staged>,
        stats: Option<Box<ParseStats>>,
    },
}

/// A short stable name for a delivery's files: its key's hash.
pub(super) fn key_tag(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Whether the published content of `previous` can stand for the file without reading it.
async fn reusable<'p>(cx: &Context<'_>, previous: Option<&'p Delivery>) -> Option<&'p Published> {
    let p = previous?.published.as_ref()?;
    if cx.full || cx.accepted || p.definition.as_deref() != Some(cx.definition) {
        return None;
    }
    let file = p.file.as_ref()?;
    // A data file gone from the warehouse (removed by hand) is read again.
    cx.present.has(cx.wh, file).await.then_some(p)
}

/// Reads one delivery into staged files.
pub(super) async fn read(
    cx: &Context<'_>,
    found: &Found,
    previous: Option<&Delivery>,
    today: chrono::NaiveDate,
) -> Outcome {
    match read_inner(cx, found, previous, today).await {
        Ok(o) => o,
        Err(error) => Outcome::Failed {
            error,
            rejected: None,
            stats: None,
        },
    }
}

async fn read_inner(
    cx: &Context<'_>,
    found: &Found,
    previous: Option<&Delivery>,
    today: chrono::NaiveDate,
) -> Result<Outcome, IngestError> {
    let shown = (cx.shown)(&found.url);
    let reusable = reusable(cx, previous).await;
    if let Some(unchanged) = unchanged_by_tag(cx, found, reusable).await {
        return Ok(unchanged);
    }
    let fetched = fetch::fetch(
        &found.url,
        cx.remote,
        &|b| cx.bar.bytes(b),
        reusable.map(|p| p.bytes),
    )
    .await;
    let (fetched, checksum) = match fetched {
        Ok(f) => f,
        Err(IngestError::Fetch { .. } | IngestError::Unfetched { .. })
            if found.period.is_some_and(|p| !is_due(cx.source, p, today)) =>
        {
            return Ok(Outcome::NotYetThere);
        }
        Err(e) => return Err(e),
    };
    if let Some(p) = reusable
        && checksum.known() == Some(p.sha256.as_str())
    {
        let etag = fetched.etag.clone().filter(|t| p.etag.as_ref() != Some(t));
        return Ok(Outcome::Unchanged { etag });
    }
    let (data, writer, stats, sha256) =
        parse_into_staged(cx, found, &fetched, checksum, &shown).await?;
    if let Some(e) = super::undecodable_utf8(&fetched.path, &shown, &cx.source.format, &stats) {
        return Err(e);
    }
    if cx.source.max_rejected.exceeded(stats.rejected, stats.total) {
        drop(writer);
        drop(data);
        return too_many_rejected(cx, found, shown, stats).await;
    }
    if let Some(shrunk) = shrunk(cx, previous, &stats, &shown) {
        return Err(shrunk);
    }
    writer.close().await?;
    let quality = quality_of(cx, found, &data.rel, &stats).await?;
    let rejected = stage_rejected(cx, &found.key, &stats.rejections).await?;
    let findings = stage_findings(cx, &found.key, &quality.found).await?;
    let published = Published {
        notes: super::successor::notes(&shown, &stats.moved),
        url: shown,
        sha256,
        file: Some(data.rel.clone()),
        etag: fetched.etag.clone(),
        definition: Some(cx.definition.to_string()),
        bytes: fetched.bytes,
        rows: stats.written,
        rejected_rows: stats.rejected,
        skipped_rows: stats.skipped,
        ingested_at: chrono::Utc::now().to_rfc3339(),
        run_id: cx.run_id.to_string(),
        warnings: quality.warnings,
        checks: quality.checks,
    };
    Ok(Outcome::Read(Box::new(Read {
        published,
        data,
        rejected,
        findings,
        periods: quality.periods,
        covers: quality.covers,
        stats,
        found: quality.found,
        check_errors: quality.check_errors,
        attempts: fetched.attempts,
    })))
}

/// `Unchanged` when the delivery's published content stands for it without a download: a
/// template's period already read, or a tag (a listing's, a remote export's ETag) that has not
/// moved since the last read.
async fn unchanged_by_tag(
    cx: &Context<'_>,
    found: &Found,
    reusable: Option<&Published>,
) -> Option<Outcome> {
    let p = reusable?;
    if found.period.is_some() {
        return Some(Outcome::Unchanged {
            etag: p.etag.clone(),
        });
    }
    let etag = p.etag.as_ref()?;
    let now = match &found.etag {
        Some(t) => Some(t.clone()),
        None if found.size.is_none() => fetch::remote_etag(&found.url, cx.remote).await,
        None => None,
    };
    (now.as_ref() == Some(etag)).then_some(Outcome::Unchanged { etag: None })
}

/// The export parsed into a staged data file (its writer still open, so that a failed delivery
/// can drop it unfinished), what the parsers found, and the export's checksum.
async fn parse_into_staged(
    cx: &Context<'_>,
    found: &Found,
    fetched: &fetch::Fetched,
    checksum: fetch::Checksum,
    shown: &str,
) -> Result<(Staged, encode::FileWriter, ParseStats, String), IngestError> {
    let (wh, source, table) = (cx.wh, cx.source, cx.table);
    // Written under a key of its own; nothing reads it until the manifest names it.
    let tag = key_tag(&found.key);
    let data = Staged::new(
        wh,
        format!(
            "{}/part-{}-{tag}.parquet",
            wh.partition(&table.name, &source.name),
            cx.run_id
        ),
    );
    let data_path = wh.path(&data.rel);
    let schema = crate::warehouse::table_schema(table);
    let (mut writer, factory) = encode::FileWriter::new(
        schema.clone(),
        writer_properties(&schema, fetched.bytes),
        BufWriter::new(wh.store.clone(), data_path.clone()),
    )?;
    let (parts, parts_rx) = tokio::sync::mpsc::unbounded_channel();
    let parse = {
        let (path, shown, source, table, bar, successors) = (
            fetched.path.clone(),
            shown.to_string(),
            source.clone(),
            table.clone(),
            cx.bar.clone(),
            cx.successors.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let output = Output {
                parts,
                factory,
                successors,
            };
            super::parse_export(&path, &shown, &source, &table, output, &bar)
        })
    };
    // A failed write drops the parts' channels, which stops the parsers.
    let write_error = writer.write_parts(parts_rx).await.err();
    let parsed = parse.await.map_err(|source| IngestError::Task {
        what: format!("{shown}: the reader"),
        source,
    })?;
    // A checksum still pending is of an export whose size changed: new content, not compared.
    let sha256 = checksum.resolve().await?;
    match (parsed, write_error) {
        (Ok(stats), None) => Ok((data, writer, stats, sha256)),
        // The parsers stop when the writer does: its error is the cause.
        (_, Some(e)) => Err(IngestError::Write(e)),
        (Err(e), None) => Err(e),
    }
}

/// The failure of a delivery with more rejected rows than `max_rejected` allows, with its
/// rejected rows staged all the same: the office is told every line to fix, even though nothing
/// of this export is published.
async fn too_many_rejected(
    cx: &Context<'_>,
    found: &Found,
    shown: String,
    stats: ParseStats,
) -> Result<Outcome, IngestError> {
    let rejected = stage_rejected(cx, &found.key, &stats.rejections).await?;
    let first = stats.rejections.first().map(|r| Rejected {
        line: r.line,
        column: r.column.clone(),
        value: r.value.clone(),
        reason: r.reason.clone(),
    });
    Ok(Outcome::Failed {
        error: IngestError::Typed(Box::new(Problem::TooManyRejected {
            file: shown,
            rejected: stats.rejected,
            total: stats.total,
            first,
        })),
        rejected,
        stats: Some(Box::new(stats)),
    })
}

/// The hold-back of a re-sent file that shrank more than `max_shrink` allows against the one it
/// replaces, unless a person accepted it.
fn shrunk(
    cx: &Context<'_>,
    previous: Option<&Delivery>,
    stats: &ParseStats,
    shown: &str,
) -> Option<IngestError> {
    let p = previous.and_then(|d| d.published.as_ref())?;
    if cx.accepted || !super::shrank_too_much(p.rows, stats.written, cx.source.max_shrink) {
        return None;
    }
    Some(IngestError::Shrunk {
        file: shown.to_string(),
        name: cx.source.name.clone(),
        rows: stats.written,
        previous: p.rows,
        drop: 100.0 - stats.written as f64 * 100.0 / p.rows as f64,
        max_shrink: cx.source.max_shrink,
    })
}

/// What the quality steps found in a delivery's new data.
struct Quality {
    checks: Vec<crate::warehouse::manifest::CheckResult>,
    found: Vec<findings::Finding>,
    warnings: Vec<String>,
    check_errors: u64,
    periods: Vec<String>,
    covers: Vec<String>,
}

/// The table's checks and the findings on the staged data file, and the periods it covers.
async fn quality_of(
    cx: &Context<'_>,
    found: &Found,
    data_file: &str,
    stats: &ParseStats,
) -> Result<Quality, IngestError> {
    let checks = super::run_checks(cx.wh, cx.table, data_file).await?;
    let mut found_rows = findings::find(cx.wh, cx.table, cx.source, data_file).await?;
    for f in &mut found_rows {
        f.delivery = found.key.clone();
    }
    let mut warnings = stats.warnings.clone();
    for c in checks.iter().filter(|c| c.violations > 0) {
        warnings.push(format!(
            "check {} ({}): {} row(s) break \"{}\", e.g. lines {:?}",
            c.name, c.severity, c.violations, c.rule, c.sample_lines
        ));
    }
    let check_errors = checks
        .iter()
        .filter(|c| c.severity == "error")
        .map(|c| c.violations)
        .sum();
    let (periods, covers) = match coverage(cx, data_file).await {
        Ok(x) => x,
        Err(e) => {
            warnings.push(format!("delivery periods not recorded: {e}"));
            (Vec::new(), Vec::new())
        }
    };
    Ok(Quality {
        checks,
        found: found_rows,
        warnings,
        check_errors,
        periods,
        covers,
    })
}

/// Whether a template's period should be on the portal by `today`: its end plus the grace.
fn is_due(source: &Source, p: crate::config::Period, today: chrono::NaiveDate) -> bool {
    p.due_by(source.grace_days).is_some_and(|due| today > due)
}

/// Exports below this size are stored with LZ4 rather than ZSTD (see `compression_for`).
const LZ4_BELOW_BYTES: u64 = super::chunks::MIN_PARALLEL_BYTES;

/// The codec of the data file of an export of `bytes` bytes. A query makes a codec for every
/// column chunk it opens, and a ZSTD codec allocates a compression and a decompression context
/// each time: over 1,200 monthly files of a few thousand rows that was 9 % of the indicators'
/// CPU. LZ4 has no context to make; a large export, one chunk per million rows, keeps ZSTD's
/// smaller files.
fn compression_for(bytes: u64) -> Compression {
    if bytes < LZ4_BELOW_BYTES {
        Compression::LZ4_RAW
    } else {
        Compression::ZSTD(ZstdLevel::default())
    }
}

/// How the warehouse's Parquet files of `schema` are written, for an export of `bytes` bytes.
fn writer_properties(
    schema: &datafusion::arrow::datatypes::Schema,
    bytes: u64,
) -> WriterProperties {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::parquet::file::properties::EnabledStatistics;
    let builder = WriterProperties::builder()
        .set_compression(compression_for(bytes))
        .set_max_row_group_row_count(Some(encode::ROW_GROUP_ROWS))
        // Every line number is distinct, and each is the one before plus one or a little more:
        // stored as differences they take a few bits a row, and ZSTD has next to nothing to do.
        .set_column_dictionary_enabled(ColumnPath::from("_line"), false)
        .set_column_encoding(ColumnPath::from("_line"), Encoding::DELTA_BINARY_PACKED)
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES)
        .set_created_by(format!("osservatorio {}", env!("CARGO_PKG_VERSION")));
    // Text columns carry no minimum and maximum: the writer would compare every value with both
    // (measured at about a tenth of a register's ingest), and the codes of an export in day or
    // arrival order span nearly their whole range in every row group, so a query would skip no
    // group by them. Numbers and dates keep theirs: a period's rows are found by them.
    schema
        .fields()
        .iter()
        .filter(|f| f.data_type() == &DataType::Utf8)
        .fold(builder, |b, f| {
            b.set_column_statistics_enabled(
                ColumnPath::from(f.name().as_str()),
                EnabledStatistics::None,
            )
        })
        .build()
}

/// The delivery periods (by the source's cadence) and the `TERRITORY|PERIOD` pairs its rows
/// cover, read from the table's period column; none when the source needs neither.
async fn coverage(
    cx: &Context<'_>,
    data_file: &str,
) -> Result<(Vec<String>, Vec<String>), IngestError> {
    use crate::config::Period;
    let (source, table) = (cx.source, cx.table);
    let wanted = source.expected.is_some() || source.supersede_by_period;
    let Some(column) = table.period_column().filter(|_| wanted) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let grain = source.delivery_grain();
    let ctx = crate::warehouse::session::staged_file_context(cx.wh, data_file).await?;
    let sql = format!(
        "SELECT DISTINCT _territory AS t, CAST(\"{}\" AS DATE) AS d FROM staged WHERE \"{}\" IS NOT NULL",
        column.name, column.name
    );
    let batches = super::error::read_only_rows(&ctx, &sql)
        .await
        .map_err(|e| IngestError::Coverage(Box::new(e)))?;
    let mut periods = std::collections::BTreeSet::new();
    let mut covers = std::collections::BTreeSet::new();
    for b in batches {
        let territories = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )?;
        let territories = territories
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>();
        let Some(days) = b
            .column(1)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Date32Array>()
        else {
            continue;
        };
        for i in 0..days.len() {
            let Some(p) = days
                .value_as_date(i)
                .and_then(|d| Period::containing(d, grain))
            else {
                continue;
            };
            periods.insert(p.to_string());
            if source.supersede_by_period {
                let t = territories
                    .filter(|t| datafusion::arrow::array::Array::is_valid(*t, i))
                    .map_or("", |t| t.value(i));
                covers.insert(format!("{t}|{p}"));
            }
        }
    }
    Ok((periods.into_iter().collect(), covers.into_iter().collect()))
}

/// Stages a delivery's rejected rows (none: nothing staged).
async fn stage_rejected(
    cx: &Context<'_>,
    key: &str,
    rejections: &[Rejection],
) -> Result<Option<Staged>, IngestError> {
    if rejections.is_empty() {
        return Ok(None);
    }
    let staged = Staged::new(
        cx.wh,
        format!(
            "_rejected/{}/source={}/part-{}-{}.parquet",
            cx.table.name,
            cx.source.name,
            cx.run_id,
            key_tag(key)
        ),
    );
    let bytes = super::rejected_parquet(&cx.source.name, &cx.table.name, key, rejections)?;
    put(cx.wh, &staged.rel, bytes).await?;
    Ok(Some(staged))
}

/// Stages a delivery's findings (none: nothing staged).
async fn stage_findings(
    cx: &Context<'_>,
    key: &str,
    found: &[findings::Finding],
) -> Result<Option<Staged>, IngestError> {
    if found.is_empty() {
        return Ok(None);
    }
    let staged = Staged::new(
        cx.wh,
        format!(
            "_findings/{}/part-{}-{}.json",
            cx.source.name,
            cx.run_id,
            key_tag(key)
        ),
    );
    cx.wh.put_json(&cx.wh.path(&staged.rel), &found).await?;
    Ok(Some(staged))
}

async fn put(wh: &Warehouse, rel: &str, bytes: Vec<u8>) -> Result<(), IngestError> {
    let path = wh.path(rel);
    wh.store.put(&path, bytes.into()).await.map_err(|source| {
        crate::warehouse::WarehouseError::Store {
            path: path.to_string(),
            source,
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::file::properties::EnabledStatistics;

    #[test]
    fn small_exports_are_stored_with_lz4_and_large_ones_with_zstd() {
        let schema = Schema::new(vec![Field::new("ospite", DataType::Utf8, true)]);
        let codec =
            |bytes| writer_properties(&schema, bytes).compression(&ColumnPath::from("ospite"));
        assert_eq!(codec(0), Compression::LZ4_RAW);
        assert_eq!(codec(LZ4_BELOW_BYTES - 1), Compression::LZ4_RAW);
        assert_eq!(
            codec(LZ4_BELOW_BYTES),
            Compression::ZSTD(ZstdLevel::default())
        );
        assert_eq!(codec(600 << 20), Compression::ZSTD(ZstdLevel::default()));
    }

    #[test]
    fn text_columns_carry_no_min_and_max_and_the_others_do() {
        let schema = Schema::new(vec![
            Field::new("data", DataType::Date32, true),
            Field::new("ospite", DataType::Utf8, true),
            Field::new("posti", DataType::Int64, true),
            Field::new("_source", DataType::Utf8, false),
            Field::new("_line", DataType::Int64, false),
        ]);
        let props = writer_properties(&schema, LZ4_BELOW_BYTES);
        let stats = |c: &str| props.statistics_enabled(&ColumnPath::from(c));
        assert_eq!(stats("ospite"), EnabledStatistics::None);
        assert_eq!(stats("_source"), EnabledStatistics::None);
        assert_eq!(stats("data"), EnabledStatistics::Page);
        assert_eq!(stats("posti"), EnabledStatistics::Page);
        assert!(!props.dictionary_enabled(&ColumnPath::from("_line")));
        assert!(props.dictionary_enabled(&ColumnPath::from("ospite")));

        // And a file written with them: its text column chunks have no statistics, the others do.
        use datafusion::arrow::array::{Date32Array, Int64Array, StringArray};
        use datafusion::parquet::arrow::ArrowWriter;
        use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
        let schema = std::sync::Arc::new(schema);
        let text = |v: &[&str]| std::sync::Arc::new(StringArray::from(v.to_vec())) as _;
        let batch = datafusion::arrow::record_batch::RecordBatch::try_new(
            schema.clone(),
            vec![
                std::sync::Arc::new(Date32Array::from(vec![19723, 19724])),
                text(&["G2", "G1"]),
                std::sync::Arc::new(Int64Array::from(vec![10, 20])),
                text(&["presenze", "presenze"]),
                std::sync::Arc::new(Int64Array::from(vec![2, 3])),
            ],
        )
        .expect("a batch");
        let mut bytes = Vec::new();
        let mut w = ArrowWriter::try_new(&mut bytes, schema, Some(props)).expect("a writer");
        w.write(&batch).expect("written");
        w.close().expect("closed");
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("a file");
        let group = reader.metadata().row_group(0);
        let has_stats: Vec<bool> = group
            .columns()
            .iter()
            .map(|c| c.statistics().is_some())
            .collect();
        assert_eq!(has_stats, vec![true, false, true, false, true]);
    }
}
