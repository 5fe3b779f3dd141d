//! Converted records as Parquet or Arrow IPC files (feature `parquet`): the batches of
//! [`ArrowRecords`] (the standard's columns dictionary-encoded) written by the parquet crate
//! (Snappy compressed; text columns of few values dictionary-encoded by `dictionary.rs`) or
//! arrow-ipc (an Arrow IPC file, what pyarrow's `feather.read_table` and `ipc.open_file` read).

mod dictionary;
mod pages;
mod plain;
mod short;

use super::AddedColumns;
use super::arrow::{ArrowRecords, BatchSink, Column, Rows};
use crate::scheme::FxHasher;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, FieldRef, SchemaRef};
use bytes::Bytes;
use dictionary::{Closed, DictionaryChunk};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result as ParquetResult};
use parquet::file::properties::{DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnDescPtr;
use plain::PlainChunk;
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
    batches: Option<SyncSender<Work>>,
    /// Row groups encoded, in order, or what stopped the encoding.
    encoded: Receiver<ParquetResult<Vec<Chunk>>>,
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
        self.encoding(Some(&batch))?.batch(Work::Batch(batch))
    }

    /// Rows for the file: built into a batch on the encoding thread, but for the first (on
    /// this one, as the file's set-up looks at it).
    fn rows(&mut self, rows: Rows) -> parquet::errors::Result<()> {
        if self.waiting.is_some() {
            return self.batch(rows.into_batch()?);
        }
        self.encoding(None)?.batch(Work::Rows(rows))
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
        let plan = plan(schema, file.properties(), file.schema_descr().columns());
        let (batches, to_encode) = std::sync::mpsc::sync_channel::<Work>(2);
        let (done, encoded) = std::sync::mpsc::channel();
        let schema = schema.clone();
        let thread =
            std::thread::spawn(move || encode(&factory, &schema, &plan, &to_encode, &done));
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
                match chunk {
                    Chunk::Arrow(c) => c.append_to_row_group(&mut rg)?,
                    Chunk::Encoded(data, close) => rg.append_column(&data, *close)?,
                }
            }
            rg.close()?;
        }
    }

    fn batch(&mut self, work: Work) -> parquet::errors::Result<()> {
        let sent = self.batches.as_ref().map(|b| b.send(work));
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

/// What the encoding thread is handed: a batch, or rows it builds into one there (so that the
/// thread converting records does not).
enum Work {
    Batch(RecordBatch),
    Rows(Rows),
}

impl Work {
    /// The rows' columns, in the schema's order, and how many rows they hold.
    fn into_columns(self) -> ParquetResult<(Vec<Column>, usize)> {
        match self {
            Work::Batch(b) => Ok((
                b.columns().iter().cloned().map(Column::Array).collect(),
                b.num_rows(),
            )),
            Work::Rows(r) => {
                let rows = r.len();
                Ok((r.into_columns()?, rows))
            }
        }
    }
}

/// How a column's chunks are encoded.
#[derive(Clone)]
enum Plan {
    /// By parquet's column writer.
    Arrow,
    /// Text dictionary-encoded here ([`DictionaryChunk`]): the standard's columns (Arrow
    /// dictionaries) and text columns with a dictionary in `props` (few distinct values).
    Dictionary(ColumnDescPtr, FieldRef),
    /// Text without a dictionary in `props` (mostly distinct values), encoded here
    /// ([`PlainChunk`]).
    Plain(ColumnDescPtr),
}

/// Each column's [`Plan`]. A nested field (more columns than fields) leaves every column to
/// parquet's writer.
fn plan(schema: &SchemaRef, props: &WriterProperties, columns: &[ColumnDescPtr]) -> Vec<Plan> {
    if schema.fields().len() != columns.len() {
        return vec![Plan::Arrow; columns.len()];
    }
    schema
        .fields()
        .iter()
        .zip(columns)
        .map(|(field, column)| {
            let keys = |k: &DataType, v: &DataType| *k == DataType::Int32 && *v == DataType::Utf8;
            match field.data_type() {
                DataType::Dictionary(k, v) if keys(k, v) => {
                    Plan::Dictionary(column.clone(), field.clone())
                }
                DataType::Utf8 if props.dictionary_enabled(column.path()) => {
                    Plan::Dictionary(column.clone(), field.clone())
                }
                DataType::Utf8 => Plan::Plain(column.clone()),
                _ => Plan::Arrow,
            }
        })
        .collect()
}

/// One column's chunk of the row group being encoded.
enum ChunkWriter {
    Arrow(ArrowColumnWriter),
    /// Encoded here; by parquet's writer, `fallback`, should its dictionary outgrow a page.
    Dictionary {
        chunk: DictionaryChunk,
        fallback: ArrowColumnWriter,
        field: FieldRef,
    },
    Plain(Box<PlainChunk>),
}

/// An encoded column chunk, ready to be appended to its row group.
enum Chunk {
    /// By parquet's column writer.
    Arrow(Box<ArrowColumnChunk>),
    /// Here (`dictionary.rs`, `plain.rs`): its bytes, and what the row group writer needs.
    Encoded(Bytes, Box<ColumnCloseResult>),
}

impl ChunkWriter {
    fn close(self) -> ParquetResult<Chunk> {
        match self {
            ChunkWriter::Arrow(w) => Ok(Chunk::Arrow(Box::new(w.close()?))),
            ChunkWriter::Plain(chunk) => {
                let (data, close) = chunk.close()?;
                Ok(Chunk::Encoded(data, close))
            }
            ChunkWriter::Dictionary {
                chunk,
                mut fallback,
                field,
            } => match chunk.close()? {
                Closed::Encoded(data, close) => Ok(Chunk::Encoded(data, close)),
                Closed::TooManyValues(columns) => {
                    for column in columns {
                        write_leaves(&mut fallback, &field, &column.into_array()?)?;
                    }
                    Ok(Chunk::Arrow(Box::new(fallback.close()?)))
                }
            },
        }
    }
}

/// Writes the one column of a field that is not nested.
fn write_leaves(
    w: &mut ArrowColumnWriter,
    field: &FieldRef,
    array: &ArrayRef,
) -> ParquetResult<()> {
    for leaf in compute_leaves(field, array)? {
        w.write(&leaf)?;
    }
    Ok(())
}

/// The encoding thread: each batch of `batches` into the column writers of the row group being
/// built, as `plan` says; each full row group (and the last) handed to `done`, or the error
/// that stopped it.
fn encode(
    factory: &ArrowRowGroupWriterFactory,
    schema: &SchemaRef,
    plan: &[Plan],
    batches: &Receiver<Work>,
    done: &Sender<ParquetResult<Vec<Chunk>>>,
) {
    let mut writers: Option<Vec<ChunkWriter>> = None;
    let (mut group, mut rows) = (0, 0);
    let close = |w: Vec<ChunkWriter>| w.into_iter().map(ChunkWriter::close).collect();
    for work in batches {
        let (columns, batch_rows) = match work.into_columns() {
            Ok(c) => c,
            Err(e) => {
                let _ = done.send(Err(e));
                return;
            }
        };
        let write = || {
            let w = match &mut writers {
                Some(w) => w,
                None => writers.insert(row_group_writers(factory, group, plan)?),
            };
            let mut w = w.iter_mut();
            for (column, field) in columns.into_iter().zip(schema.fields()) {
                match w.next() {
                    Some(ChunkWriter::Dictionary { chunk, .. }) => chunk.write(column)?,
                    Some(ChunkWriter::Plain(chunk)) => chunk.write(&column)?,
                    Some(ChunkWriter::Arrow(first)) => {
                        let array = column.into_array()?;
                        let mut leaves = compute_leaves(field, &array)?.into_iter();
                        if let Some(leaf) = leaves.next() {
                            first.write(&leaf)?;
                        }
                        for leaf in leaves {
                            match w.next() {
                                Some(ChunkWriter::Arrow(next)) => next.write(&leaf)?,
                                _ => return Err(layout()),
                            }
                        }
                    }
                    None => return Err(layout()),
                }
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = done.send(Err(e));
            return;
        }
        rows += batch_rows;
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

fn layout() -> ParquetError {
    ParquetError::General("the batch's columns are not the file's".to_owned())
}

/// The column writers of row group `group`.
fn row_group_writers(
    factory: &ArrowRowGroupWriterFactory,
    group: usize,
    plan: &[Plan],
) -> ParquetResult<Vec<ChunkWriter>> {
    let writers = factory.create_column_writers(group)?;
    Ok(writers
        .into_iter()
        .zip(plan)
        .map(|(w, p)| match p {
            Plan::Arrow => ChunkWriter::Arrow(w),
            Plan::Plain(column) => ChunkWriter::Plain(Box::new(PlainChunk::new(column.clone()))),
            Plan::Dictionary(column, field) => ChunkWriter::Dictionary {
                chunk: DictionaryChunk::new(column.clone()),
                fallback: w,
                field: field.clone(),
            },
        })
        .collect())
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

    fn rows(&mut self, rows: Rows) -> std::io::Result<()> {
        match self {
            BatchFile::Parquet(p) => p.rows(rows).map_err(other),
            BatchFile::Ipc(_) => self.batch(rows.into_batch().map_err(other)?),
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
    use arrow_array::RecordBatchReader as _;
    use parquet::arrow::ArrowSchemaConverter;
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

    /// Rows `rows` of a batch of four columns: `id` (distinct text), `code` (text from
    /// `codes`, null where `None`), `wm` (an Arrow dictionary of `wm_values` values, row `i`
    /// holding `wm(i)`) and `n` (numbers).
    fn mixed(
        rows: std::ops::Range<usize>,
        codes: &dyn Fn(usize) -> Option<String>,
        wm_values: usize,
        wm: &dyn Fn(usize) -> Option<i32>,
    ) -> RecordBatch {
        use arrow_array::{DictionaryArray, Int32Array, UInt64Array, types::Int32Type};
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            rows.clone().map(|i| format!("id{i}")),
        ));
        let codes: ArrayRef = Arc::new(rows.clone().map(codes).collect::<StringArray>());
        let values = StringArray::from_iter_values((0..wm_values).map(|v| format!("wm{v:06}")));
        let keys = rows.clone().map(wm).collect::<Int32Array>();
        let wm: ArrayRef =
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap());
        let n: ArrayRef = Arc::new(UInt64Array::from_iter_values(rows.map(|i| i as u64)));
        RecordBatch::try_from_iter([("id", ids), ("code", codes), ("wm", wm), ("n", n)]).unwrap()
    }

    /// `batches` written by [`ParquetFile`].
    fn ours(batches: &[RecordBatch]) -> Bytes {
        let mut file = ParquetFile::new(Vec::new(), &batches[0].schema());
        for b in batches {
            file.batch(b.clone()).unwrap();
        }
        Bytes::from(file.close().unwrap())
    }

    /// `batches` written by parquet's own `ArrowWriter`, with the same properties.
    fn parquets(batches: &[RecordBatch]) -> Bytes {
        let mut w = ArrowWriter::try_new(
            Vec::new(),
            batches[0].schema(),
            Some(properties(batches.first())),
        )
        .unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        Bytes::from(w.into_inner().unwrap())
    }

    /// The file `data` read back by parquet's reader, as one batch.
    fn read(data: &Bytes) -> RecordBatch {
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(data.clone())
                .unwrap()
                .build()
                .unwrap();
        let schema = reader.schema();
        let batches = reader.collect::<Result<Vec<_>, _>>().unwrap();
        arrow_select_concat(&schema, &batches)
    }

    fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
        // Each column as text, whatever its dictionary: the values are what must agree.
        let columns = (0..schema.fields().len())
            .map(|c| {
                let text: Vec<Option<String>> = batches
                    .iter()
                    .flat_map(|b| {
                        let a = arrow_cast::cast(b.column(c), &DataType::Utf8).unwrap();
                        let a = a.as_any().downcast_ref::<StringArray>().unwrap().clone();
                        a.iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>()
                    })
                    .collect();
                Arc::new(StringArray::from(text)) as ArrayRef
            })
            .collect::<Vec<_>>();
        let names = schema.fields().iter().map(|f| f.name().clone());
        RecordBatch::try_from_iter(names.zip(columns)).unwrap()
    }

    /// Writes `batches` both ways and checks that parquet's reader reads ours back as the
    /// batches (the Arrow schema too), with the row groups, rows and statistics (min, max,
    /// null count) of parquet's own writer. Gives our file's metadata.
    fn round_trip(batches: &[RecordBatch]) -> parquet::file::metadata::ParquetMetaData {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let (data, theirs) = (ours(batches), parquets(batches));
        let back = read(&data);
        let schema = batches[0].schema();
        assert_eq!(back, arrow_select_concat(&schema, batches));
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(data.clone())
                .unwrap();
        assert_eq!(reader.schema(), &schema);
        let ours = SerializedFileReader::new(data).unwrap().metadata().clone();
        let theirs = SerializedFileReader::new(theirs)
            .unwrap()
            .metadata()
            .clone();
        assert_eq!(ours.num_row_groups(), theirs.num_row_groups());
        for (a, b) in ours.row_groups().iter().zip(theirs.row_groups()) {
            assert_eq!(a.num_rows(), b.num_rows());
            for (x, y) in a.columns().iter().zip(b.columns()) {
                assert_eq!(x.num_values(), y.num_values(), "{}", x.column_path());
                assert_eq!(x.statistics(), y.statistics(), "{}", x.column_path());
            }
        }
        ours
    }

    /// The data pages of column `c` of every row group of the file `data`.
    fn data_pages(data: &Bytes, c: usize) -> Vec<usize> {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let file = SerializedFileReader::new(data.clone()).unwrap();
        (0..file.num_row_groups())
            .map(|g| {
                let pages = file
                    .get_row_group(g)
                    .unwrap()
                    .get_column_page_reader(c)
                    .unwrap();
                pages
                    .map(Result::unwrap)
                    .filter(|p| p.page_type() == parquet::basic::PageType::DATA_PAGE)
                    .count()
            })
            .collect()
    }

    fn code(i: usize) -> Option<String> {
        (i % 7 != 3).then(|| ["A", "J", "Z", "99"][i % 4].to_owned())
    }

    #[test]
    fn the_dictionary_columns_are_encoded_here() {
        let b = mixed(0..super::super::arrow::BATCH_ROWS, &code, 3, &|i| {
            i32::try_from(i % 3).ok()
        });
        let plans = plan(
            &b.schema(),
            &properties(Some(&b)),
            ArrowSchemaConverter::new()
                .convert(&b.schema())
                .unwrap()
                .columns(),
        );
        let ours: Vec<bool> = plans
            .iter()
            .map(|p| matches!(p, Plan::Dictionary(..)))
            .collect();
        assert_eq!(ours, [false, true, true, false]);
    }

    #[test]
    fn a_column_of_distinct_values_is_written_plain_and_reads_back() {
        // Ids sharing their first 8 bytes, ids shorter than 8, ids that begin others, and
        // nulls: least and greatest as parquet's writer finds them, over pages and groups.
        let rows = 3 * super::super::arrow::BATCH_ROWS + 17;
        let id = |i: usize| match i % 11 {
            0 => None,
            1 => Some(format!("{}", i % 1000)),
            2 => Some(format!("record-{}", i % 100)),
            _ => Some(format!("record-{i:08}")),
        };
        let batches: Vec<RecordBatch> = (0..rows)
            .step_by(super::super::arrow::BATCH_ROWS)
            .map(|start| {
                let end = (start + super::super::arrow::BATCH_ROWS).min(rows);
                let ids: ArrayRef = Arc::new((start..end).map(id).collect::<StringArray>());
                RecordBatch::try_from_iter([("id", ids)]).unwrap()
            })
            .collect();
        assert!(!dictionary(&properties(batches.first()), "id"));
        let meta = round_trip(&batches);
        let chunk = meta.row_group(0).column(0);
        assert_eq!(chunk.dictionary_page_offset(), None);
        assert_eq!(
            chunk.statistics().unwrap().null_count_opt(),
            Some(
                (0..rows.min(ROW_GROUP_ROWS))
                    .filter(|i| i % 11 == 0)
                    .count() as u64
            )
        );
    }

    #[test]
    fn a_chunk_with_nulls_reads_back() {
        let b = mixed(0..5000, &code, 5, &|i| {
            i32::try_from(i % 5).ok().filter(|&k| k != 0)
        });
        let meta = round_trip(&[b]);
        assert_eq!(
            meta.row_group(0)
                .column(1)
                .statistics()
                .unwrap()
                .null_count_opt(),
            Some(714)
        );
    }

    #[test]
    fn a_chunk_of_one_value_or_none_reads_back() {
        let one = mixed(0..3000, &|_| Some("J".to_owned()), 1, &|_| Some(0));
        round_trip(&[one]);
        let none = mixed(0..3000, &|_| None, 1, &|_| None);
        round_trip(&[none]);
    }

    #[test]
    fn more_than_256_and_65536_values_read_back() {
        // 300 text values; 70,000 dictionary values, each row its own.
        let b = mixed(
            0..70_000,
            &|i| Some(format!("c{}", i % 300)),
            70_000,
            &|i| i32::try_from(i).ok(),
        );
        round_trip(&[b]);
    }

    #[test]
    fn several_row_groups_and_pages_read_back() {
        let rows = super::super::arrow::BATCH_ROWS;
        // The dictionary gains values from batch to batch, as `ArrowRecords` makes it.
        let batches: Vec<_> = (0..5)
            .map(|n| {
                mixed(n * rows..(n + 1) * rows, &code, 40, &|i| {
                    i32::try_from((i / 1000) % (8 + 8 * (i / rows))).ok()
                })
            })
            .collect();
        round_trip(&batches);
        // 4 batches to a row group; pages of 20,000 rows.
        let data = ours(&batches);
        assert_eq!(data_pages(&data, 1), [14, 4]);
        assert_eq!(data_pages(&data, 2), [14, 4]);
    }

    #[test]
    fn a_dictionary_too_big_for_its_page_goes_to_parquets_writer() {
        // A short first batch keeps every dictionary; the next one's ids overflow the page.
        let first = mixed(0..100, &code, 3, &|i| i32::try_from(i % 3).ok());
        let next = mixed(100..150_000, &|i| Some(format!("value {i:010}")), 3, &|i| {
            i32::try_from(i % 3).ok()
        });
        let meta = round_trip(&[first, next]);
        let encodings: Vec<_> = meta.row_group(0).column(1).encodings().collect();
        assert!(encodings.contains(&parquet::basic::Encoding::PLAIN));
    }
}
