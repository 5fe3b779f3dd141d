//! Arrow record batches as a return (feature `arrow`): the columns of each batch read as text,
//! row by row, as the CSV file of the same table would be (a header on line 1, then one line per
//! row). Text columns (`Utf8`, `LargeUtf8`, `Utf8View`, dictionaries of them) are read in place;
//! other types (numbers, dates, booleans) are cast to text once per batch, as arrow-rs writes
//! them (`2024-01-31`, `3`). A null is an empty cell, and a row of empty cells is a blank row,
//! never a record, as in CSV. Parquet and Arrow IPC files (`parquet.rs`) come through here too.

use super::{Fields, InputFormat, ReadSummary, Record, RowOf, Source, Table, deliver, input_error};
use crate::error::Result;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatchReader};
use arrow_schema::DataType;
use std::ops::ControlFlow;

/// Batches of records, as a reader of them hands them over.
pub(super) struct Batches<'a> {
    batches: Box<dyn RecordBatchReader + Send + 'a>,
}

impl<'a> Table<'a> {
    /// A return from Arrow record batches (feature `arrow`): `reader`'s schema names the
    /// columns. `name` names the input in errors and reports. Each record's line is the line it
    /// would be on in a CSV file of the table with its header row (the first record is on line
    /// 2); rows whose every cell is null or blank are counted as blank rows, as in CSV.
    pub fn from_arrow(
        name: &str,
        reader: impl RecordBatchReader + Send + 'a,
        total_rows: Option<u64>,
    ) -> Result<Table<'a>> {
        open(
            name.to_owned(),
            InputFormat::Arrow,
            Box::new(reader),
            total_rows,
        )
    }
}

/// Opens batches from `reader`, its schema giving the header.
pub(super) fn open<'a>(
    name: String,
    format: InputFormat,
    reader: Box<dyn RecordBatchReader + Send + 'a>,
    total_rows: Option<u64>,
) -> Result<Table<'a>> {
    let header: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    if header.is_empty() {
        return Err(input_error(&name, "has no columns"));
    }
    Ok(Table {
        name,
        format,
        header,
        header_line: 1,
        header_row: Some(1),
        encoding: None,
        delimiter: None,
        sheet: None,
        sheets: Vec::new(),
        origin: None,
        total: total_rows.unwrap_or(0),
        source: Box::new(Batches { batches: reader }),
    })
}

/// One column of a batch, read as bytes.
enum Column {
    Utf8(arrow_array::StringArray),
    Large(arrow_array::LargeStringArray),
    View(arrow_array::StringViewArray),
    Binary(arrow_array::BinaryViewArray),
}

impl Column {
    /// The column `array` of input `name`, cast to text when it is not; the error names the
    /// column.
    fn of(array: &ArrayRef, column: &str, name: &str) -> Result<Column> {
        let cast = |to: &DataType| {
            arrow_cast::cast(array, to).map_err(|e| {
                input_error(
                    name,
                    format!(
                        "column `{column}`: its type {} cannot be read as text: {e}",
                        array.data_type()
                    ),
                )
            })
        };
        Ok(match array.data_type() {
            DataType::Utf8 => Column::Utf8(array.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Column::Large(array.as_string::<i64>().clone()),
            DataType::Utf8View => Column::View(array.as_string_view().clone()),
            // Bytes stay bytes: invalid UTF-8 is reported as such, not cast away.
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => {
                Column::Binary(cast(&DataType::BinaryView)?.as_binary_view().clone())
            }
            _ => Column::View(cast(&DataType::Utf8View)?.as_string_view().clone()),
        })
    }

    /// Row `i`'s bytes; a null is empty.
    fn bytes(&self, i: usize) -> &[u8] {
        match self {
            Column::Utf8(a) if a.is_valid(i) => a.value(i).as_bytes(),
            Column::Large(a) if a.is_valid(i) => a.value(i).as_bytes(),
            Column::View(a) if a.is_valid(i) => a.value(i).as_bytes(),
            Column::Binary(a) if a.is_valid(i) => a.value(i),
            _ => &[],
        }
    }
}

impl<'a> Source<'a> for Batches<'a> {
    fn read(
        self: Box<Self>,
        name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        let mut f = f;
        let mut summary = ReadSummary::default();
        let mut fields = Fields::default();
        let rows = RowOf::Counted { header: 1 };
        let mut index = 0u64;
        for batch in self.batches {
            let batch = batch.map_err(|e| {
                input_error(
                    name,
                    format!("cannot read the batch after row {index}: {e}"),
                )
            })?;
            let columns = batch
                .columns()
                .iter()
                .zip(header)
                .map(|(a, h)| Column::of(a, h, name))
                .collect::<Result<Vec<Column>>>()?;
            for i in 0..batch.num_rows() {
                index += 1;
                fields.clear();
                for c in &columns {
                    fields.push_field(c.bytes(i));
                }
                // The header is line 1; each row one line after it.
                let place = (index + 1, 0, index);
                if deliver(
                    &mut summary,
                    header.len(),
                    rows,
                    fields.view(),
                    place,
                    &mut f,
                )
                .is_break()
                {
                    return Ok(summary);
                }
            }
        }
        Ok(summary)
    }
}
