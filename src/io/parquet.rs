//! Parquet and Arrow IPC files as returns (feature `parquet`): their record batches read by
//! [`super::arrow`], the row count from the file's metadata for progress.

use super::{InputFormat, Table, arrow, input_error};
use crate::error::Result;
use std::fs::File;
use std::path::Path;

/// Rows read per batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Opens a Parquet or Arrow IPC (file or stream) file; a file that is not one names its format.
pub(super) fn open(path: &Path, name: String, format: InputFormat) -> Result<Table<'static>> {
    let bad = |e: &dyn std::fmt::Display| {
        input_error(&name, format!("is not a readable {format} file: {e}"))
    };
    let file = File::open(path).map_err(|e| super::io_error(&name, e))?;
    match format {
        InputFormat::Parquet => {
            let builder =
                ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| bad(&e))?;
            let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
            let reader = builder
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| bad(&e))?;
            arrow::open(name, format, Box::new(reader), rows)
        }
        _ => {
            let mut head = [0u8; 6];
            let is_file = {
                use std::io::Read as _;
                let mut f = &file;
                f.read_exact(&mut head).is_ok() && &head == b"ARROW1"
            };
            use std::io::{Seek as _, SeekFrom};
            let mut file = file;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| super::io_error(&name, e))?;
            if is_file {
                let reader =
                    arrow_ipc::reader::FileReader::try_new(file, None).map_err(|e| bad(&e))?;
                arrow::open(name, format, Box::new(reader), None)
            } else {
                let reader =
                    arrow_ipc::reader::StreamReader::try_new(std::io::BufReader::new(file), None)
                        .map_err(|e| bad(&e))?;
                arrow::open(name, format, Box::new(reader), None)
            }
        }
    }
}
