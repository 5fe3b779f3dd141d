//! Converted records as Parquet or Arrow IPC files (feature `parquet`): the batches of
//! [`ArrowRecords`] (the standard's columns dictionary-encoded) written by the parquet crate
//! (Snappy compressed) or arrow-ipc (an Arrow IPC file, what pyarrow's `feather.read_table` and
//! `ipc.open_file` read).

use super::AddedColumns;
use super::arrow::{ArrowRecords, BatchSink};
use crate::scheme::FxHasher;
use arrow_array::{RecordBatch, StringArray};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::file::properties::{DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::io::Write;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

/// The formats written in batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BatchFormat {
    /// Parquet.
    Parquet,
    /// An Arrow IPC file.
    Ipc,
}

impl BatchFormat {
    pub(super) fn title(self) -> &'static str {
        match self {
            BatchFormat::Parquet => "Parquet",
            BatchFormat::Ipc => "Arrow IPC",
        }
    }

    pub(super) fn extensions(self) -> &'static [&'static str] {
        match self {
            BatchFormat::Parquet => &["parquet", "pq"],
            BatchFormat::Ipc => &["arrow", "feather", "ipc"],
        }
    }
}

/// A file being written batch by batch.
pub enum BatchFile<W: Write + Send> {
    /// Parquet.
    Parquet(ParquetFile<W>),
    /// An Arrow IPC file.
    Ipc(arrow_ipc::writer::FileWriter<W>),
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

/// Rows in a Parquet row group: a row group is held in memory until written, so a few batches.
const ROW_GROUP_ROWS: usize = 4 * super::arrow::BATCH_ROWS;

/// A Parquet file whose column chunks are encoded (dictionaries, pages, Snappy) on a thread of
/// their own while the records of the next batches are converted; each row group, once
/// encoded, is written to the file here, in order. The file is set up when its first batch
/// comes (see [`properties`]).
pub struct ParquetFile<W: Write + Send> {
    /// The writer and the schema until the first batch.
    waiting: Option<(W, SchemaRef)>,
    encoding: Option<Encoding<W>>,
}

/// A Parquet file being written, and its encoding thread.
struct Encoding<W: Write + Send> {
    file: SerializedFileWriter<W>,
    /// Batches to the encoding thread (`None` once the file is closed).
    batches: Option<SyncSender<RecordBatch>>,
    /// Row groups encoded, in order, or what stopped the encoding.
    encoded: Receiver<parquet::errors::Result<Vec<ArrowColumnChunk>>>,
    encoder: Option<std::thread::JoinHandle<()>>,
}

/// The writer's properties for a file whose first batch is `first`: Snappy, row groups of
/// [`ROW_GROUP_ROWS`] rows, and no dictionary for a text column whose dictionary would outgrow
/// its page limit in a row group (mostly distinct values, such as record ids): the writer
/// would hash every value into it, then fall back to plain encoding anyway. Judged from a
/// full first batch only (a file of one batch is small either way).
fn properties(first: Option<&RecordBatch>) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    if let Some(batch) = first.filter(|b| b.num_rows() >= super::arrow::BATCH_ROWS) {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if outgrows_dictionary(array.as_ref()) {
                props = props.set_column_dictionary_enabled(field.name().as_str().into(), false);
            }
        }
    }
    props.build()
}

/// True when the distinct values of text `array`, as many more of them in a row group of
/// [`ROW_GROUP_ROWS`] rows, would fill more than a dictionary page
/// ([`DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT`]; each value takes its bytes and 4 for its length).
/// Stops counting once they would.
fn outgrows_dictionary(array: &dyn arrow_array::Array) -> bool {
    let Some(text) = array.as_any().downcast_ref::<StringArray>() else {
        return false;
    };
    // The dictionary page's share for this many rows.
    let budget = DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT * array.len() / ROW_GROUP_ROWS;
    let mut seen: HashSet<&str, BuildHasherDefault<FxHasher>> = HashSet::default();
    let mut bytes = 0;
    text.iter().flatten().any(|v| {
        if seen.insert(v) {
            bytes += v.len() + 4;
        }
        bytes > budget
    })
}

impl<W: Write + Send> ParquetFile<W> {
    fn new(w: W, schema: &SchemaRef) -> Self {
        ParquetFile {
            waiting: Some((w, schema.clone())),
            encoding: None,
        }
    }

    /// The file being written, set up now if `first` is its first batch (or it has none).
    fn encoding(
        &mut self,
        first: Option<&RecordBatch>,
    ) -> parquet::errors::Result<&mut Encoding<W>> {
        if let Some((w, schema)) = self.waiting.take() {
            self.encoding = Some(Encoding::open(w, &schema, properties(first))?);
        }
        self.encoding.as_mut().ok_or_else(|| {
            parquet::errors::ParquetError::General("the Parquet file is not open".to_owned())
        })
    }

    fn batch(&mut self, batch: RecordBatch) -> parquet::errors::Result<()> {
        self.encoding(Some(&batch))?.batch(batch)
    }

    /// Ends the file: the last row group, then the footer.
    fn close(mut self) -> parquet::errors::Result<W> {
        self.encoding(None)?;
        match self.encoding {
            Some(e) => e.close(),
            None => Err(parquet::errors::ParquetError::General(
                "the Parquet file is not open".to_owned(),
            )),
        }
    }
}

impl<W: Write + Send> Encoding<W> {
    fn open(w: W, schema: &SchemaRef, props: WriterProperties) -> parquet::errors::Result<Self> {
        // The writer sets the file up (the Parquet schema, the Arrow schema in its metadata);
        // its parts then write the row groups.
        let (file, factory) =
            ArrowWriter::try_new(w, schema.clone(), Some(props))?.into_serialized_writer()?;
        let (batches, to_encode) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let (done, encoded) = std::sync::mpsc::channel();
        let schema = schema.clone();
        let thread = std::thread::spawn(move || encode(&factory, &schema, &to_encode, &done));
        Ok(Encoding {
            file,
            batches: Some(batches),
            encoded,
            encoder: Some(thread),
        })
    }

    /// Writes the row groups encoded so far (all of them, waiting for the encoding thread to
    /// end, when `all`).
    fn write_encoded(&mut self, all: bool) -> parquet::errors::Result<()> {
        loop {
            let group = if all {
                match self.encoded.recv() {
                    Ok(g) => g,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.encoded.try_recv() {
                    Ok(g) => g,
                    Err(_) => return Ok(()),
                }
            };
            let mut rg = self.file.next_row_group()?;
            for chunk in group? {
                chunk.append_to_row_group(&mut rg)?;
            }
            rg.close()?;
        }
    }

    fn batch(&mut self, batch: RecordBatch) -> parquet::errors::Result<()> {
        let sent = self.batches.as_ref().map(|b| b.send(batch));
        if let Some(Err(_)) = sent {
            // The encoding thread stopped: its error says why.
            self.batches = None;
            self.write_encoded(true)?;
            return Err(parquet::errors::ParquetError::General(
                "the Parquet encoding stopped".to_owned(),
            ));
        }
        self.write_encoded(false)
    }

    /// Ends the file: the last row group, then the footer.
    fn close(mut self) -> parquet::errors::Result<W> {
        self.batches = None;
        self.write_encoded(true)?;
        if let Some(encoder) = self.encoder.take()
            && encoder.join().is_err()
        {
            return Err(parquet::errors::ParquetError::General(
                "the Parquet encoding thread failed".to_owned(),
            ));
        }
        self.file.into_inner()
    }
}

/// The encoding thread: each batch of `batches` into the column writers of the row group being
/// built; each full row group (and the last) handed to `done`, or the error that stopped it.
fn encode(
    factory: &ArrowRowGroupWriterFactory,
    schema: &SchemaRef,
    batches: &Receiver<RecordBatch>,
    done: &Sender<parquet::errors::Result<Vec<ArrowColumnChunk>>>,
) {
    let mut writers: Option<Vec<ArrowColumnWriter>> = None;
    let (mut group, mut rows) = (0, 0);
    let close = |w: Vec<ArrowColumnWriter>| w.into_iter().map(ArrowColumnWriter::close).collect();
    for batch in batches {
        let mut write = || {
            let w = match &mut writers {
                Some(w) => w,
                None => writers.insert(factory.create_column_writers(group)?),
            };
            let mut w = w.iter_mut();
            for (array, field) in batch.columns().iter().zip(schema.fields()) {
                for leaf in compute_leaves(field, array)? {
                    if let Some(w) = w.next() {
                        w.write(&leaf)?;
                    }
                }
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = done.send(Err(e));
            return;
        }
        rows += batch.num_rows();
        if rows >= ROW_GROUP_ROWS
            && let Some(w) = writers.take()
        {
            (group, rows) = (group + 1, 0);
            if done.send(close(w)).is_err() {
                return;
            }
        }
    }
    if let Some(w) = writers {
        let _ = done.send(close(w));
    }
}

impl<W: Write + Send> BatchFile<W> {
    fn open(format: BatchFormat, w: W, schema: &SchemaRef) -> std::io::Result<Self> {
        Ok(match format {
            BatchFormat::Parquet => BatchFile::Parquet(ParquetFile::new(w, schema)),
            BatchFormat::Ipc => {
                // Each batch's dictionaries extend the last one's: written as deltas.
                let options = arrow_ipc::writer::IpcWriteOptions::default()
                    .with_dictionary_handling(arrow_ipc::writer::DictionaryHandling::Delta);
                BatchFile::Ipc(
                    arrow_ipc::writer::FileWriter::try_new_with_options(w, schema, options)
                        .map_err(other)?,
                )
            }
        })
    }

    /// Ends the file (its footer) and hands the writer back.
    fn close(self) -> std::io::Result<W> {
        match self {
            BatchFile::Parquet(p) => p.close().map_err(other),
            BatchFile::Ipc(mut f) => {
                f.finish().map_err(other)?;
                f.into_inner().map_err(other)
            }
        }
    }
}

impl<W: Write + Send> BatchSink for BatchFile<W> {
    fn batch(&mut self, batch: RecordBatch) -> std::io::Result<()> {
        match self {
            BatchFile::Parquet(p) => p.batch(batch).map_err(other),
            BatchFile::Ipc(f) => f.write(&batch).map_err(other),
        }
    }
}

/// Converted records written to a Parquet or Arrow IPC file.
pub(super) fn records<W: Write + Send, S: AsRef<str>>(
    format: BatchFormat,
    w: W,
    header: &[S],
    added: AddedColumns,
) -> std::io::Result<ArrowRecords<BatchFile<W>>> {
    ArrowRecords::with(header, added, |schema| BatchFile::open(format, w, &schema))
}

/// Ends the file of `records` and hands its writer back.
pub(super) fn finish<W: Write + Send>(records: ArrowRecords<BatchFile<W>>) -> std::io::Result<W> {
    records.finish()?.close()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::ArrayRef;
    use parquet::schema::types::ColumnPath;
    use std::sync::Arc;

    /// A batch of `rows` rows: an id column of distinct values and a code column of three.
    fn batch(rows: usize) -> RecordBatch {
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("{}", 10_000_000 + i)),
        ));
        let codes: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| ["A", "J", "Z"][i % 3]),
        ));
        RecordBatch::try_from_iter([("id", ids), ("code", codes)]).unwrap()
    }

    fn dictionary(props: &WriterProperties, column: &str) -> bool {
        props.dictionary_enabled(&ColumnPath::from(column))
    }

    #[test]
    fn no_dictionary_for_a_column_of_distinct_values() {
        let props = properties(Some(&batch(super::super::arrow::BATCH_ROWS)));
        assert!(!dictionary(&props, "id"));
        assert!(dictionary(&props, "code"));
    }

    #[test]
    fn a_short_first_batch_keeps_every_dictionary() {
        for props in [properties(Some(&batch(1000))), properties(None)] {
            assert!(dictionary(&props, "id"));
            assert!(dictionary(&props, "code"));
        }
    }
}
