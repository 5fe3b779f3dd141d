//! Parquet and Arrow IPC files in a build without the feature `parquet`: the format is still
//! recognised, and opening one is a clear error naming the file.

use super::{InputFormat, Table, input_error};
use crate::error::Result;
use std::path::Path;

/// Refuses a Parquet or Arrow IPC file.
#[allow(clippy::needless_pass_by_value)] // the Parquet reader's signature
pub(super) fn open(_path: &Path, name: String, format: InputFormat) -> Result<Table<'static>> {
    Err(input_error(
        &name,
        format!(
            "is a {format} file, and this build reads none: use a build with the `parquet` \
             feature (the command-line tool has it), or save the table as CSV"
        ),
    ))
}
