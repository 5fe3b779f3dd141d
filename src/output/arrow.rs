//! Arrow record batches (feature `arrow`): converted records, rejects and findings as columns,
//! the standard's columns (`wm_code`, `wm_level`, rule ids, severities...) dictionary-encoded,
//! as each takes a few distinct values. The input columns come back as text, as read (the same
//! bytes the CSV output holds). The Parquet and Arrow IPC files of the command line
//! (`parquet.rs`) write these batches; the Python package hands them to pyarrow.

use super::csv::REJECT_COLUMNS;
use super::records::{ColumnKind, ConversionCache, RecordCells, RejectCell, reject_cells};
use super::{AddedColumns, FINDING_COLUMNS};
use crate::convert::{
    ANSWER_COLUMNS, Converted, OUTPUT_COLUMNS, RECODE_COLUMNS, RecordSink, RejectSink, Rejected,
};
use crate::io;
use crate::scheme::FxHasher;
use crate::validate::{Finding, Sink};
use arrow_array::builder::{ArrayBuilder, Int32Builder, StringBuilder, UInt64Builder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use std::collections::HashMap;
use std::sync::Arc;

/// Rows per batch handed on by the record and reject builders.
pub const BATCH_ROWS: usize = 64 * 1024;

/// One column being built.
enum Builder {
    /// Free text (input values, messages).
    Text(StringBuilder),
    /// Text of few distinct values (codes, levels, rule ids), dictionary-encoded.
    Dict(Dict),
    /// A whole number (line, record, row), null when unknown.
    Number(UInt64Builder),
}

/// A dictionary-encoded text column: its values in the order first seen, kept from batch to
/// batch (so each batch's dictionary extends the one before, as an Arrow IPC file needs), and
/// each row's key into them.
#[derive(Default)]
struct Dict {
    keys: Int32Builder,
    values: Vec<Box<str>>,
    index: HashMap<Box<str>, i32, std::hash::BuildHasherDefault<FxHasher>>,
}

impl Dict {
    /// The key of `v`, a new one the first time it is seen; `None` past `i32::MAX` values.
    fn key(&mut self, v: &str) -> Option<i32> {
        if let Some(&k) = self.index.get(v) {
            return Some(k);
        }
        let k = i32::try_from(self.values.len()).ok()?;
        self.values.push(v.into());
        self.index.insert(v.into(), k);
        Some(k)
    }

    /// Appends a row holding the value of key `k` (`None`: a null).
    fn push(&mut self, k: Option<i32>) {
        self.keys.append_option(k);
    }

    /// The rows so far, with every value seen so far as the dictionary.
    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let room = Int32Builder::with_capacity(self.keys.len());
        let keys = std::mem::replace(&mut self.keys, room).finish();
        let values = StringArray::from_iter_values(self.values.iter());
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            Arc::new(values),
        )?))
    }
}

impl Builder {
    fn data_type(&self) -> DataType {
        match self {
            Builder::Text(_) => DataType::Utf8,
            Builder::Dict(_) => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
            }
            Builder::Number(_) => DataType::UInt64,
        }
    }

    /// The key of `v` in a dictionary column (`None` for another column).
    fn key(&mut self, v: &str) -> Option<i32> {
        match self {
            Builder::Dict(d) => d.key(v),
            _ => None,
        }
    }

    /// Appends the value of key `k`, made by [`Builder::key`], to a dictionary column.
    fn push_key(&mut self, k: Option<i32>) {
        if let Builder::Dict(d) = self {
            d.push(k);
        }
    }

    fn text(&mut self, v: Option<&str>) {
        match self {
            Builder::Text(b) => b.append_option(v),
            Builder::Dict(d) => {
                let k = v.and_then(|v| d.key(v));
                d.push(k);
            }
            Builder::Number(b) => b.append_option(v.and_then(|v| v.parse().ok())),
        }
    }

    fn number(&mut self, v: Option<u64>) {
        match self {
            Builder::Number(b) => b.append_option(v),
            other => other.text(v.map(|n| n.to_string()).as_deref()),
        }
    }

    /// The rows so far as an array. The builder starts again with room for as many rows (and
    /// text bytes) as it had, so the next batch is not built by growing it step by step.
    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Builder::Text(b) => {
                let room = StringBuilder::with_capacity(b.len(), b.values_slice().len());
                Arc::new(std::mem::replace(b, room).finish())
            }
            Builder::Dict(d) => d.finish()?,
            Builder::Number(b) => {
                let room = UInt64Builder::with_capacity(b.len());
                Arc::new(std::mem::replace(b, room).finish())
            }
        })
    }
}

/// Named columns being built into batches of one schema.
struct Columns {
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl Columns {
    fn new(columns: Vec<(String, Builder)>) -> Columns {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, b)| Field::new(n, b.data_type(), true))
            .collect();
        Columns {
            schema: Arc::new(Schema::new(fields)),
            builders: columns.into_iter().map(|(_, b)| b).collect(),
            rows: 0,
        }
    }

    /// Counts a row built; a full batch ([`BATCH_ROWS`] rows) is handed back.
    fn row_done(&mut self) -> std::io::Result<Option<RecordBatch>> {
        self.rows += 1;
        if self.rows < BATCH_ROWS {
            return Ok(None);
        }
        self.take().map_err(arrow_io)
    }

    /// The rows built so far as one batch (none when there are none); the builders start again.
    fn take(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows == 0 {
            return Ok(None);
        }
        self.rows = 0;
        let arrays = self
            .builders
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(self.schema.clone(), arrays).map(Some)
    }
}

fn text(name: &str) -> (String, Builder) {
    (name.to_owned(), Builder::Text(StringBuilder::new()))
}

fn dict(name: &str) -> (String, Builder) {
    (name.to_owned(), Builder::Dict(Dict::default()))
}

fn number(name: &str) -> (String, Builder) {
    (name.to_owned(), Builder::Number(UInt64Builder::new()))
}

fn arrow_io(e: ArrowError) -> std::io::Error {
    std::io::Error::other(e)
}

/// Where [`ArrowRecords`] hands its batches: a `Vec` collects them; a file format writes them.
pub trait BatchSink {
    /// Takes one batch.
    fn batch(&mut self, batch: RecordBatch) -> std::io::Result<()>;
}

impl BatchSink for Vec<RecordBatch> {
    fn batch(&mut self, batch: RecordBatch) -> std::io::Result<()> {
        self.push(batch);
        Ok(())
    }
}

/// A record's keys in the dictionaries of the chosen added columns, in order (the rest `None`).
type AddedKeys = [Option<i32>; OUTPUT_COLUMNS.len() + ANSWER_COLUMNS.len() + RECODE_COLUMNS.len()];

/// Converted records as Arrow batches, with the columns a [`super::RecordWriter`] writes
/// (the same input columns, position columns and added columns, in the same order), each
/// [`BATCH_ROWS`] records handed to the sink. Added columns not in `AddedColumns::columns` are
/// left out.
pub struct ArrowRecords<F: BatchSink> {
    columns: Columns,
    cells: RecordCells,
    /// Each conversion's keys in the chosen added columns' dictionaries, in order (see
    /// [`RecordCells::cacheable`]).
    keys: ConversionCache<AddedKeys>,
    out: F,
}

impl<F: BatchSink> ArrowRecords<F> {
    /// A builder for records read with `header`, adding the columns `added`, handing each
    /// batch to `out`. A header with one position column but not the other is an
    /// [`std::io::ErrorKind::InvalidInput`] error, as for [`super::RecordWriter::new`].
    pub fn new<S: AsRef<str>>(header: &[S], added: AddedColumns, out: F) -> std::io::Result<Self> {
        Self::with(header, added, |_| Ok(out))
    }

    /// As [`ArrowRecords::new`], the sink made by `make` from the batches' schema (a file
    /// format that writes the schema first).
    pub fn with<S: AsRef<str>>(
        header: &[S],
        added: AddedColumns,
        make: impl FnOnce(SchemaRef) -> std::io::Result<F>,
    ) -> std::io::Result<Self> {
        let cells = RecordCells::new(header, added)?;
        let columns = Columns::new(
            cells
                .columns()
                .into_iter()
                .map(|(n, kind)| match kind {
                    ColumnKind::Input => text(n),
                    ColumnKind::Position => number(n),
                    ColumnKind::Standard => dict(n),
                })
                .collect(),
        );
        let out = make(columns.schema.clone())?;
        Ok(ArrowRecords {
            columns,
            cells,
            keys: ConversionCache::default(),
            out,
        })
    }

    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.columns.schema.clone()
    }

    /// The output's column names.
    pub fn columns(&self) -> Vec<&str> {
        self.columns
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// Hands the records not yet handed over to the sink as a last batch, and gives it back.
    pub fn finish(mut self) -> std::io::Result<F> {
        if let Some(b) = self.columns.take().map_err(arrow_io)? {
            self.out.batch(b)?;
        }
        Ok(self.out)
    }
}

impl<F: BatchSink> RecordSink for ArrowRecords<F> {
    fn record(&mut self, input: &io::Record<'_>, c: &Converted<'_>) -> std::io::Result<()> {
        let (cells, builders) = (&mut self.cells, &mut self.columns.builders);
        let added = cells.added_range();
        let mut b = builders[..added.start].iter_mut();
        let mut text = |v: &str| {
            if let Some(col) = b.next() {
                col.text(Some(v));
            }
            Ok(())
        };
        cells.inputs(input, &mut text)?;
        cells.positions(input, &mut text)?;
        let cacheable = cells.cacheable(c);
        let cols = &mut builders[added.clone()];
        let mut keys_of = || {
            let mut keys: AddedKeys = Default::default();
            let (mut cols, mut out) = (cols.iter_mut(), keys.iter_mut());
            cells.added(c, |v| {
                if let (Some(col), Some(k)) = (cols.next(), out.next()) {
                    *k = col.key(v);
                }
                Ok(())
            })?;
            Ok::<_, std::io::Error>(keys)
        };
        let keys = if cacheable {
            self.keys.with(c, keys_of, |k| *k)?
        } else {
            keys_of()?
        };
        for (col, k) in builders[added.clone()].iter_mut().zip(keys) {
            col.push_key(k);
        }
        let mut b = builders[added.end..].iter_mut();
        cells.characteristics(c, |v| {
            if let Some(col) = b.next() {
                col.text(v);
            }
            Ok(())
        })?;
        if let Some(batch) = self.columns.row_done()? {
            self.out.batch(batch)?;
        }
        Ok(())
    }
}

/// Rows of one schema being built into batches, all kept: the rejects and findings of a run.
struct Kept {
    columns: Columns,
    batches: Vec<RecordBatch>,
}

/// Makes one named column's builder.
type Make = fn(&str) -> (String, Builder);

impl Kept {
    /// The columns `names`, each built by its `kinds`.
    fn of<const N: usize>(names: [&str; N], kinds: [Make; N]) -> Kept {
        let columns = names.iter().zip(kinds).map(|(n, k)| k(n)).collect();
        Kept {
            columns: Columns::new(columns),
            batches: Vec::new(),
        }
    }

    /// Counts a row built into `self.columns.builders`.
    fn row_done(&mut self) -> std::io::Result<()> {
        if let Some(batch) = self.columns.row_done()? {
            self.batches.push(batch);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        if let Some(b) = self.columns.take()? {
            self.batches.push(b);
        }
        Ok(self.batches)
    }
}

/// Rejected records as Arrow batches with [`REJECT_COLUMNS`] (where and why only: never
/// another column of the record).
pub struct ArrowRejects(Kept);

impl Default for ArrowRejects {
    fn default() -> Self {
        ArrowRejects(Kept::of(
            REJECT_COLUMNS,
            [number, number, number, dict, text, dict, dict, text, text],
        ))
    }
}

impl ArrowRejects {
    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.0.columns.schema.clone()
    }

    /// Every reject, in batches.
    pub fn finish(self) -> Result<Vec<RecordBatch>, ArrowError> {
        self.0.finish()
    }
}

impl RejectSink for ArrowRejects {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        for (b, cell) in self.0.columns.builders.iter_mut().zip(reject_cells(r)) {
            match cell {
                RejectCell::Number(n) => b.number(n),
                RejectCell::Text(t) => b.text(t),
            }
        }
        self.0.row_done()
    }
}

/// Findings as Arrow batches with [`FINDING_COLUMNS`]: a [`Sink`] of validation.
pub struct ArrowFindings(Kept);

impl Default for ArrowFindings {
    fn default() -> Self {
        ArrowFindings(Kept::of(
            FINDING_COLUMNS,
            [
                dict, dict, dict, number, number, number, dict, text, text, text,
            ],
        ))
    }
}

impl ArrowFindings {
    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.0.columns.schema.clone()
    }

    /// Every finding, in batches.
    pub fn finish(self) -> Result<Vec<RecordBatch>, ArrowError> {
        self.0.finish()
    }
}

impl Sink for ArrowFindings {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        let b = &mut self.0.columns.builders;
        b[0].text(Some(f.rule.id()));
        b[1].text(Some(f.rule.name()));
        b[2].text(Some(f.severity.name()));
        b[3].number(f.line);
        b[4].number(f.record);
        b[5].number(f.row);
        b[6].text(f.column.as_deref());
        b[7].text(f.value.as_deref());
        b[8].text(Some(&f.message));
        b[9].text(f.suggestion.as_deref());
        self.0.row_done()
    }
}
