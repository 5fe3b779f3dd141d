//! Parquet and Arrow IPC files as returns (feature `parquet`): their record batches read by
//! [`super::arrow`], the row count from a Parquet file's metadata for progress.

use super::{InputFormat, Table, arrow, input_error, io_error};
use crate::error::Result;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Rows read per batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Opens a Parquet file, or an Arrow IPC file or stream; a file that is not one is refused
/// naming it and its format.
pub(super) fn open(path: &Path, name: String, format: InputFormat) -> Result<Table<'static>> {
    let bad = |e: &dyn std::fmt::Display| {
        input_error(&name, format!("is not a readable {format} file: {e}"))
    };
    let mut file = File::open(path).map_err(|e| io_error(&name, e))?;
    if format == InputFormat::Parquet {
        let builder =
            ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| bad(&e))?;
        let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| bad(&e))?;
        return arrow::open(name, format, Box::new(reader), rows);
    }
    // An Arrow IPC file starts with `ARROW1`; anything else is read as a stream.
    let mut magic = [0u8; 6];
    let is_file = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_error(&name, e))?;
    if is_file {
        let reader = arrow_ipc::reader::FileReader::try_new(file, None).map_err(|e| bad(&e))?;
        arrow::open(name, format, Box::new(reader), None)
    } else {
        let reader = arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None)
            .map_err(|e| bad(&e))?;
        arrow::open(name, format, Box::new(reader), None)
    }
}
