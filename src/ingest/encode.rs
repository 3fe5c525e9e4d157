//! Parquet row groups encoded on the threads that parse the export, and the one file they are
//! written to in the export's order. Encoding (dictionaries, compression) costs about as much as
//! parsing, so it is done where the rows are made, by every core, rather than by one writer that
//! every parser waits for.
//!
//! Each part of the export (a byte range of a large CSV, or the whole of any other export) sends
//! its row groups on a channel of its own; the writer empties the parts' channels one after the
//! other, so row groups land in export order whichever thread finishes first. A part that runs
//! ahead waits once its channel holds `AHEAD` row groups: memory stays bounded.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::file::writer::SerializedFileWriter;
use object_store::buffered::BufWriter;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Encoded row groups a part may have waiting for the writer.
const AHEAD: usize = 16;

/// A row group ready for the file: its column chunks, encoded and compressed.
pub(super) struct Encoded {
    columns: Vec<ArrowColumnChunk>,
}

/// Where a part sends its row groups; dropping it says the part is complete.
pub(super) type GroupSender = mpsc::Sender<Encoded>;

/// Where the parts of one export are announced, in export order.
pub(super) type PartSender = mpsc::UnboundedSender<mpsc::Receiver<Encoded>>;

/// The announced parts, as the writer receives them.
pub(super) type PartReceiver = mpsc::UnboundedReceiver<mpsc::Receiver<Encoded>>;

/// Opens the next part of the export: its row groups are written after those of every part
/// opened before it. None when the writer has stopped.
pub(super) fn open_part(parts: &PartSender) -> Option<GroupSender> {
    let (tx, rx) = mpsc::channel(AHEAD);
    parts.send(rx).ok().map(|()| tx)
}

/// Encodes rows into row groups of at most `max_rows` on the calling thread.
pub(super) struct GroupEncoder {
    factory: Arc<ArrowRowGroupWriterFactory>,
    schema: SchemaRef,
    max_rows: usize,
    writers: Vec<ArrowColumnWriter>,
    rows: usize,
}

impl GroupEncoder {
    pub(super) fn new(factory: Arc<ArrowRowGroupWriterFactory>, schema: SchemaRef) -> Self {
        GroupEncoder {
            factory,
            schema,
            max_rows: ROW_GROUP_ROWS,
            writers: Vec::new(),
            rows: 0,
        }
    }

    /// Encodes `batch`, and returns the row groups it filled.
    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<Vec<Encoded>, ParquetError> {
        let mut filled = Vec::new();
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (self.max_rows - self.rows).min(batch.num_rows() - offset);
            self.encode(&batch.slice(offset, take))?;
            offset += take;
            if self.rows == self.max_rows {
                filled.extend(self.finish()?);
            }
        }
        Ok(filled)
    }

    fn encode(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        if self.writers.is_empty() {
            // The index only matters to encrypted files, which are not written here.
            self.writers = self.factory.create_column_writers(0)?;
        }
        let mut writers = self.writers.iter_mut();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, column)? {
                let writer = writers.next().ok_or_else(|| {
                    ParquetError::General("more columns than column writers".into())
                })?;
                writer.write(&leaf)?;
            }
        }
        self.rows += batch.num_rows();
        Ok(())
    }

    /// The row group in progress, when it has rows.
    pub(super) fn finish(&mut self) -> Result<Option<Encoded>, ParquetError> {
        if self.rows == 0 {
            return Ok(None);
        }
        let columns = std::mem::take(&mut self.writers)
            .into_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<Vec<_>, _>>()?;
        self.rows = 0;
        Ok(Some(Encoded { columns }))
    }
}

/// Rows per row group: Parquet's usual million, enough for dictionaries and statistics to pay.
pub(super) const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// The Parquet file being written to the warehouse, one encoded row group at a time.
pub(super) struct FileWriter {
    file: SerializedFileWriter<Vec<u8>>,
    out: BufWriter,
}

impl FileWriter {
    /// A file of `schema` written through `out`, and the factory the parts encode with.
    pub(super) fn new(
        schema: SchemaRef,
        props: WriterProperties,
        out: BufWriter,
    ) -> Result<(FileWriter, Arc<ArrowRowGroupWriterFactory>), ParquetError> {
        // Built through ArrowWriter so the file carries the Arrow schema as any Arrow writer's does.
        let (file, factory) =
            ArrowWriter::try_new(Vec::new(), schema, Some(props))?.into_serialized_writer()?;
        Ok((FileWriter { file, out }, Arc::new(factory)))
    }

    /// Writes the row groups of every announced part, part after part, until all are complete.
    pub(super) async fn write_parts(
        &mut self,
        mut parts: PartReceiver,
    ) -> Result<(), ParquetError> {
        while let Some(mut part) = parts.recv().await {
            while let Some(group) = part.recv().await {
                self.append(group).await?;
            }
        }
        Ok(())
    }

    async fn append(&mut self, group: Encoded) -> Result<(), ParquetError> {
        let mut row_group = self.file.next_row_group()?;
        for column in group.columns {
            column.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        self.drain().await
    }

    async fn drain(&mut self) -> Result<(), ParquetError> {
        let bytes = std::mem::take(self.file.inner_mut());
        self.out
            .write_all(&bytes)
            .await
            .map_err(|e| ParquetError::External(Box::new(e)))
    }

    /// Writes the footer and completes the upload.
    pub(super) async fn close(mut self) -> Result<(), ParquetError> {
        self.file.finish()?;
        self.drain().await?;
        self.out
            .shutdown()
            .await
            .map_err(|e| ParquetError::External(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]))
    }

    fn batch(from: i64, rows: i64) -> RecordBatch {
        let n = Int64Array::from_iter_values(from..from + rows);
        let s = StringArray::from_iter(
            (from..from + rows).map(|i| (i % 3 != 0).then(|| format!("v{}", i % 7))),
        );
        RecordBatch::try_new(schema(), vec![Arc::new(n), Arc::new(s)]).expect("a batch")
    }

    /// Parts encoded on their own threads, the first one last to start, are written in part order,
    /// in row groups of at most `max_rows`; parts that fill their channel wait for the writer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parts_land_in_order_whichever_finishes_first() {
        let dir = tempfile::tempdir().expect("a folder");
        let store = Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("a store"),
        );
        let path = object_store::path::Path::from("t.parquet");
        let out = BufWriter::new(store, path.clone());
        let (mut writer, factory) =
            FileWriter::new(schema(), WriterProperties::default(), out).expect("a writer");
        let (parts_tx, parts_rx) = mpsc::unbounded_channel();
        let encode = tokio::task::spawn_blocking(move || {
            let senders: Vec<_> = (0..3)
                .map(|_| open_part(&parts_tx).expect("a part"))
                .collect();
            std::thread::scope(|s| {
                for (k, tx) in senders.into_iter().enumerate() {
                    let factory = factory.clone();
                    s.spawn(move || {
                        // The last part first.
                        std::thread::sleep(std::time::Duration::from_millis(60 * (2 - k as u64)));
                        let mut enc = GroupEncoder::new(factory, schema());
                        // 24 row groups a part: more than a part may hold ahead of the writer.
                        enc.max_rows = 25;
                        let from = k as i64 * 1000;
                        for b in 0..4 {
                            for g in enc.write(&batch(from + b * 150, 150)).expect("encoded") {
                                tx.blocking_send(g).expect("sent");
                            }
                        }
                        if let Some(g) = enc.finish().expect("finished") {
                            tx.blocking_send(g).expect("sent");
                        }
                    });
                }
            });
        });
        writer.write_parts(parts_rx).await.expect("written");
        encode.await.expect("encoded");
        writer.close().await.expect("closed");

        let file = std::fs::File::open(dir.path().join("t.parquet")).expect("the file");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("a reader");
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        const { assert!(24 > AHEAD) };
        assert_eq!(groups, vec![25; 72]);
        let mut n = Vec::new();
        let mut s = Vec::new();
        for b in reader.build().expect("batches") {
            let b = b.expect("a batch");
            n.extend(
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .expect("ints")
                    .values()
                    .iter()
                    .copied(),
            );
            let strings = b
                .column(1)
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("strings");
            s.extend(strings.iter().map(|v| v.map(str::to_string)));
        }
        let expected: Vec<i64> = (0..3).flat_map(|k| k * 1000..k * 1000 + 600).collect();
        assert_eq!(n, expected);
        let expected_s: Vec<Option<String>> = expected
            .iter()
            .map(|i| (i % 3 != 0).then(|| format!("v{}", i % 7)))
            .collect();
        assert_eq!(s, expected_s);
    }
}
