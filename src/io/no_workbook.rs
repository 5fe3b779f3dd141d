//! Workbooks in a build without the feature `excel`: the format is still recognised, and
//! opening one is a clear error naming the file.

use super::{InputFormat, ReadOptions, Seekable, Table, input_error};
use crate::error::Result;

fn no_workbooks(name: &str, format: InputFormat) -> crate::error::Error {
    input_error(
        name,
        format!(
            "is a {format} workbook, and this build reads no workbooks: use a build with the \
             `excel` feature, or save the sheet as CSV"
        ),
    )
}

/// Refuses an `.xlsx` workbook.
#[allow(clippy::needless_pass_by_value)] // the workbook reader's signature
pub(super) fn open_xlsx(
    _reader: Box<dyn Seekable>,
    name: String,
    _opts: &ReadOptions,
) -> Result<Table<'static>> {
    Err(no_workbooks(&name, InputFormat::Xlsx))
}

/// Refuses an `.xls` or `.ods` workbook.
#[allow(clippy::needless_pass_by_value)] // the workbook reader's signature
pub(super) fn open_range(
    _reader: Box<dyn Seekable>,
    name: String,
    format: InputFormat,
    _opts: &ReadOptions,
) -> Result<Table<'static>> {
    Err(no_workbooks(&name, format))
}
