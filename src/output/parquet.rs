//! Converted records as Parquet or Arrow IPC files (feature `parquet`): the batches of
//! [`ArrowRecords`] (the standard's columns dictionary-encoded) written by the parquet crate
//! (Snappy compressed) or arrow-ipc (an Arrow IPC file, what pyarrow's `feather.read_table` and
//! `ipc.open_file` read).

use super::AddedColumns;
use super::arrow::{ArrowRecords, BatchSink};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::io::Write;

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
    Parquet(::parquet::arrow::ArrowWriter<W>),
    /// An Arrow IPC file.
    Ipc(arrow_ipc::writer::FileWriter<W>),
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

impl<W: Write + Send> BatchFile<W> {
    fn open(format: BatchFormat, w: W, schema: &SchemaRef) -> std::io::Result<Self> {
        Ok(match format {
            BatchFormat::Parquet => {
                let props = ::parquet::file::properties::WriterProperties::builder()
                    .set_compression(::parquet::basic::Compression::SNAPPY)
                    // A row group is held in memory until written: keep it to a few batches.
                    .set_max_row_group_row_count(Some(4 * super::arrow::BATCH_ROWS))
                    .build();
                BatchFile::Parquet(
                    ::parquet::arrow::ArrowWriter::try_new(w, schema.clone(), Some(props))
                        .map_err(other)?,
                )
            }
            BatchFormat::Ipc => {
                BatchFile::Ipc(arrow_ipc::writer::FileWriter::try_new(w, schema).map_err(other)?)
            }
        })
    }

    /// Ends the file (its footer) and hands the writer back.
    fn close(self) -> std::io::Result<W> {
        match self {
            BatchFile::Parquet(p) => p.into_inner().map_err(other),
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
            BatchFile::Parquet(p) => p.write(&batch).map_err(other),
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
