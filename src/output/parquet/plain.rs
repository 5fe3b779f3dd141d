//! Text column chunks of mostly distinct values (record ids), `PLAIN` encoded here rather than
//! by parquet's column writer: each value's length and bytes laid straight into its data page
//! (format v1, at most [`PAGE_ROWS`] rows or [`PAGE_BYTES`] of values), the page Snappy
//! compressed as soon as it is full, and the chunk's least and greatest values found by their
//! first 8 bytes read as one number, byte by byte only when those are equal.

use super::pages::{ChunkPages, PAGE_ROWS, general, len_u32, levels, text_statistics};
use crate::output::arrow::Column;
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_schema::{ArrowError, DataType};
use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::Result;
use parquet::file::properties::DEFAULT_PAGE_SIZE;
use parquet::schema::types::ColumnDescPtr;

/// Bytes of values in a data page at most (parquet's default page size).
const PAGE_BYTES: usize = DEFAULT_PAGE_SIZE;

/// One column chunk (a row group's rows of one text column) being written.
pub(super) struct PlainChunk {
    pages: ChunkPages,
    /// The page being filled: its values (each one's length, then its bytes), its rows, and
    /// each row's definition level once one of them is null (empty until then).
    values: Vec<u8>,
    rows: usize,
    defined: Vec<u32>,
    nulls: usize,
    least: Option<Extreme>,
    greatest: Option<Extreme>,
    /// Where a page of levels and values is put together (scratch).
    page: Vec<u8>,
}

/// The least or greatest value so far, with its first 8 bytes as a number (see [`prefix`]).
struct Extreme {
    prefix: u64,
    value: Vec<u8>,
}

impl Extreme {
    fn of(prefix: u64, v: &[u8]) -> Self {
        Extreme {
            prefix,
            value: v.to_vec(),
        }
    }

    fn set(&mut self, prefix: u64, v: &[u8]) {
        self.prefix = prefix;
        self.value.clear();
        self.value.extend_from_slice(v);
    }
}

/// The first 8 bytes of `v` as a big-endian number, zeros after a shorter value: a value
/// whose number is less is less byte-wise; only equal numbers need the bytes compared.
fn prefix(v: &[u8]) -> u64 {
    if let Some(first) = v.first_chunk::<8>() {
        return u64::from_be_bytes(*first);
    }
    let mut first = [0; 8];
    for (to, &b) in first.iter_mut().zip(v) {
        *to = b;
    }
    u64::from_be_bytes(first)
}

impl PlainChunk {
    /// An empty chunk of the column `descr` (a text column).
    pub(super) fn new(descr: ColumnDescPtr) -> Self {
        PlainChunk {
            pages: ChunkPages::new(descr, Encoding::PLAIN),
            values: Vec::new(),
            rows: 0,
            defined: Vec::new(),
            nulls: 0,
            least: None,
            greatest: None,
            page: Vec::new(),
        }
    }

    /// Adds the rows of `column`: text cells or a text array (`Utf8`).
    pub(super) fn write(&mut self, column: &Column) -> Result<()> {
        match column {
            Column::Text(t) => self.write_values(t.values()),
            Column::Array(a) if a.data_type() == &DataType::Utf8 => {
                self.write_values(a.as_string::<i32>().iter().map(Ok))
            }
            Column::Array(a) => Err(general(format!(
                "column {}: {} where text was expected",
                self.pages.descr().name(),
                a.data_type()
            ))),
        }
    }

    fn write_values<'v>(
        &mut self,
        values: impl Iterator<Item = std::result::Result<Option<&'v str>, ArrowError>>,
    ) -> Result<()> {
        for v in values {
            if let Some(v) = v? {
                self.value(v.as_bytes())?;
            } else {
                if self.defined.is_empty() {
                    self.defined.resize(self.rows, 1);
                }
                self.defined.push(0);
                self.nulls += 1;
            }
            self.rows += 1;
            if self.rows >= PAGE_ROWS || self.values.len() >= PAGE_BYTES {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn value(&mut self, v: &[u8]) -> Result<()> {
        self.values
            .extend_from_slice(&len_u32(v.len())?.to_le_bytes());
        self.values.extend_from_slice(v);
        if !self.defined.is_empty() {
            self.defined.push(1);
        }
        let p = prefix(v);
        if let (Some(least), Some(greatest)) = (&mut self.least, &mut self.greatest) {
            if p > greatest.prefix || (p == greatest.prefix && v > &greatest.value[..]) {
                greatest.set(p, v);
            } else if p < least.prefix || (p == least.prefix && v < &least.value[..]) {
                least.set(p, v);
            }
        } else {
            self.least = Some(Extreme::of(p, v));
            self.greatest = Some(Extreme::of(p, v));
        }
        Ok(())
    }

    /// Ends the page being filled (if it has rows).
    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.page.clear();
        if self.pages.descr().max_def_level() > 0 {
            let defined = (!self.defined.is_empty()).then_some(&self.defined[..]);
            levels(self.rows, defined, &mut self.page)?;
        }
        self.page.extend_from_slice(&self.values);
        self.pages.data(&self.page, self.rows)?;
        self.values.clear();
        self.defined.clear();
        self.rows = 0;
        Ok(())
    }

    /// The chunk's pages and what the row group writer needs to know of them.
    pub(super) fn close(mut self) -> Result<(Bytes, Box<ColumnCloseResult>)> {
        self.flush()?;
        let statistics = text_statistics(
            self.least.as_ref().map(|e| e.value.as_slice()),
            self.greatest.as_ref().map(|e| e.value.as_slice()),
            self.nulls,
        );
        self.pages.close(self.nulls, statistics)
    }
}
