//! Arrow record batches (feature `arrow`): converted records, rejects and findings as columns,
//! the standard's columns (`wm_code`, `wm_level`, rule ids, severities...) dictionary-encoded,
//! as each takes a few distinct values. The input columns come back as text, as read (the same
//! bytes the CSV output holds). The Parquet and Arrow IPC files of the command line
//! (`parquet.rs`) write these batches; the Python package hands them to pyarrow.
//!
//! Rows are gathered as they come, column by column, into plain buffers ([`Rows`]: each text
//! column's bytes one after the other, each dictionary column's keys, each number column's
//! numbers), and made into arrays only when a batch is full ([`Rows::into_batch`]), by whoever
//! takes them: a Parquet file does that on its encoding thread, so that the thread converting
//! records only copies bytes.

use super::csv::REJECT_COLUMNS;
use super::records::{ColumnKind, ConversionCache, RecordCells, RejectCell, reject_cells};
use super::{AddedColumns, FINDING_COLUMNS};
use crate::convert::{
    ANSWER_COLUMNS, Converted, OUTPUT_COLUMNS, RECODE_COLUMNS, RecordSink, RejectSink, Rejected,
};
use crate::io;
use crate::scheme::FxHasher;
use crate::validate::{Finding, Sink};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray, UInt64Array};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use std::collections::HashMap;
use std::sync::Arc;

/// Rows per batch handed on by the record and reject builders.
pub const BATCH_ROWS: usize = 64 * 1024;

/// What one column is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Free text (input values, messages): a text cell of each row.
    Text,
    /// Text of few distinct values (codes, levels, rule ids), dictionary-encoded: a key of
    /// each row.
    Dict,
    /// A whole number (line, record, row), null when unknown: a number of each row.
    Number,
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Dict => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            Kind::Number => DataType::UInt64,
        }
    }
}

/// The values of a dictionary-encoded column in the order first seen, kept from batch to
/// batch (so each batch's dictionary extends the one before, as an Arrow IPC file needs).
#[derive(Default)]
struct Values {
    values: Vec<Box<str>>,
    index: HashMap<Box<str>, i32, std::hash::BuildHasherDefault<FxHasher>>,
}

impl Values {
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
}

/// The key of a null in [`Rows::keys`].
const NULL_KEY: i32 = -1;

/// The layout of a schema's batches: each column's kind, and where its cells are among a row's
/// cells of that kind.
#[derive(Debug)]
struct Layout {
    schema: SchemaRef,
    kinds: Vec<Kind>,
    /// Each column's place among the columns of its kind.
    slots: Vec<usize>,
    /// Cells of each kind in a row: text, keys, numbers.
    widths: [usize; 3],
}

impl Layout {
    fn new(columns: &[(&str, Kind)]) -> Layout {
        let fields: Vec<Field> = columns
            .iter()
            .map(|&(n, k)| Field::new(n, k.data_type(), true))
            .collect();
        let mut widths = [0; 3];
        let slots = columns
            .iter()
            .map(|&(_, k)| {
                let w = &mut widths[k as usize];
                *w += 1;
                *w - 1
            })
            .collect();
        Layout {
            schema: Arc::new(Schema::new(fields)),
            kinds: columns.iter().map(|&(_, k)| k).collect(),
            slots,
            widths,
        }
    }
}

/// One text column's cells of a batch: their bytes one after the other, each one's length, and
/// the rows that are null.
#[derive(Debug, Default)]
pub(crate) struct TextCells {
    text: String,
    lengths: Vec<usize>,
    nulls: Vec<usize>,
}

impl TextCells {
    fn push(&mut self, v: Option<&str>) {
        if let Some(v) = v {
            self.text.push_str(v);
            self.lengths.push(v.len());
        } else {
            self.nulls.push(self.lengths.len());
            self.lengths.push(0);
        }
    }

    /// As many cells' room as `self` holds.
    fn room(&self) -> TextCells {
        TextCells {
            text: String::with_capacity(self.text.len()),
            lengths: Vec::with_capacity(self.lengths.len()),
            nulls: Vec::new(),
        }
    }

    /// Each cell in order (`None`: null), read off the bytes without checking them as text
    /// again; an error only should the lengths not split the text at characters.
    pub(crate) fn values(&self) -> impl Iterator<Item = Result<Option<&str>, ArrowError>> {
        let mut rest = self.text.as_str();
        let mut nulls = self.nulls.iter().peekable();
        self.lengths.iter().enumerate().map(move |(row, &n)| {
            if nulls.next_if_eq(&&row).is_some() {
                return Ok(None);
            }
            let (v, after) = rest.split_at_checked(n).ok_or_else(|| {
                ArrowError::InvalidArgumentError("text cells that split a character".to_owned())
            })?;
            rest = after;
            Ok(Some(v))
        })
    }

    /// The cells as an array, their bytes not copied (checked as text by arrow).
    fn into_array(self) -> Result<ArrayRef, ArrowError> {
        let rows = self.lengths.len();
        let offsets = OffsetBuffer::<i32>::try_from_lengths(self.lengths).map_err(|_| {
            ArrowError::InvalidArgumentError("a text column of a batch outgrows 2 GiB".to_owned())
        })?;
        let nulls = null_buffer(rows, &self.nulls);
        let values = Buffer::from(self.text.into_bytes());
        Ok(Arc::new(StringArray::try_new(offsets, values, nulls)?))
    }
}

/// The validity of `rows` rows of which `nulls` are null (`None` when none are).
fn null_buffer(rows: usize, nulls: &[usize]) -> Option<NullBuffer> {
    if nulls.is_empty() {
        return None;
    }
    let mut valid = vec![true; rows];
    for &r in nulls {
        if let Some(v) = valid.get_mut(r) {
            *v = false;
        }
    }
    Some(NullBuffer::from(valid))
}

/// Rows of one schema gathered for a batch and not yet built into its columns, column by
/// column: each text column's bytes one after the other, each dictionary column's keys, each
/// number column's numbers. [`Rows::into_batch`] makes the batch of them, on any thread,
/// without copying the text again.
#[derive(Debug)]
pub struct Rows {
    layout: Arc<Layout>,
    count: usize,
    texts: Vec<TextCells>,
    /// Each dictionary column's keys ([`NULL_KEY`] for a null).
    keys: Vec<Vec<i32>>,
    numbers: Vec<Vec<Option<u64>>>,
    /// Each dictionary column's values as these rows' keys know them.
    dictionaries: Vec<ArrayRef>,
}

impl Rows {
    fn new(layout: Arc<Layout>) -> Rows {
        let [texts, keys, numbers] = layout.widths;
        Rows {
            layout,
            count: 0,
            texts: (0..texts).map(|_| TextCells::default()).collect(),
            keys: vec![Vec::new(); keys],
            numbers: vec![Vec::new(); numbers],
            dictionaries: Vec::new(),
        }
    }

    /// Empty rows of the same layout, with room for as many cells as these hold.
    fn room(&self) -> Rows {
        Rows {
            layout: self.layout.clone(),
            count: 0,
            texts: self.texts.iter().map(TextCells::room).collect(),
            keys: self
                .keys
                .iter()
                .map(|k| Vec::with_capacity(k.len()))
                .collect(),
            numbers: self
                .numbers
                .iter()
                .map(|n| Vec::with_capacity(n.len()))
                .collect(),
            dictionaries: Vec::new(),
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The batch of these rows.
    pub fn into_batch(self) -> Result<RecordBatch, ArrowError> {
        let schema = self.layout.schema.clone();
        let columns = self
            .into_columns()?
            .into_iter()
            .map(Column::into_array)
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema, columns)
    }

    /// These rows' columns, in the schema's order: the text columns as their cells (for a
    /// writer that reads them as they are, without making an array of them), the rest as
    /// arrays.
    pub(crate) fn into_columns(self) -> Result<Vec<Column>, ArrowError> {
        let Rows {
            layout,
            count: rows,
            texts,
            keys,
            numbers,
            dictionaries,
        } = self;
        let filled = texts.iter().all(|t| t.lengths.len() == rows)
            && keys.iter().all(|k| k.len() == rows)
            && numbers.iter().all(|n| n.len() == rows)
            && dictionaries.len() == keys.len();
        if !filled {
            return Err(ArrowError::InvalidArgumentError(
                "rows of a batch whose cells do not fill its columns".to_owned(),
            ));
        }
        let mut texts = texts.into_iter();
        let mut keys = keys.into_iter().zip(dictionaries);
        let mut numbers = numbers.into_iter();
        layout
            .kinds
            .iter()
            .map(|kind| -> Result<Column, ArrowError> {
                let missing = || ArrowError::InvalidArgumentError("a column without cells".into());
                let array: ArrayRef = match kind {
                    Kind::Text => return Ok(Column::Text(texts.next().ok_or_else(missing)?)),
                    Kind::Dict => {
                        let (mut k, values) = keys.next().ok_or_else(missing)?;
                        let nulls: Vec<usize> =
                            (0..k.len()).filter(|&r| k[r] == NULL_KEY).collect();
                        for &r in &nulls {
                            k[r] = 0;
                        }
                        let k = Int32Array::new(ScalarBuffer::from(k), null_buffer(rows, &nulls));
                        Arc::new(DictionaryArray::<Int32Type>::try_new(k, values)?)
                    }
                    Kind::Number => {
                        Arc::new(UInt64Array::from_iter(numbers.next().ok_or_else(missing)?))
                    }
                };
                Ok(Column::Array(array))
            })
            .collect()
    }
}

/// One column of [`Rows`]: a text column's cells, or an array.
#[derive(Debug)]
pub(crate) enum Column {
    /// A text column's cells, not yet an array.
    Text(TextCells),
    /// Any other column.
    Array(ArrayRef),
}

impl Column {
    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Column::Text(t) => t.lengths.len(),
            Column::Array(a) => a.len(),
        }
    }

    /// The column as an array.
    pub(crate) fn into_array(self) -> Result<ArrayRef, ArrowError> {
        match self {
            Column::Text(t) => t.into_array(),
            Column::Array(a) => Ok(a),
        }
    }
}

/// Named columns being gathered into batches of one schema.
struct Columns {
    layout: Arc<Layout>,
    dicts: Vec<Values>,
    rows: Rows,
}

impl Columns {
    fn new(columns: &[(&str, Kind)]) -> Columns {
        let layout = Arc::new(Layout::new(columns));
        Columns {
            dicts: (0..layout.widths[Kind::Dict as usize])
                .map(|_| Values::default())
                .collect(),
            rows: Rows::new(layout.clone()),
            layout,
        }
    }

    fn schema(&self) -> SchemaRef {
        self.layout.schema.clone()
    }

    /// Appends the cell of column `i` of the row being built: text, as that column takes it.
    fn text(&mut self, i: usize, v: Option<&str>) {
        let (Some(kind), Some(&slot)) = (self.layout.kinds.get(i), self.layout.slots.get(i)) else {
            return;
        };
        let rows = &mut self.rows;
        match kind {
            Kind::Text => {
                if let Some(t) = rows.texts.get_mut(slot) {
                    t.push(v);
                }
            }
            Kind::Dict => {
                if let (Some(d), Some(keys)) = (self.dicts.get_mut(slot), rows.keys.get_mut(slot)) {
                    keys.push(v.and_then(|v| d.key(v)).unwrap_or(NULL_KEY));
                }
            }
            Kind::Number => {
                if let Some(n) = rows.numbers.get_mut(slot) {
                    n.push(v.and_then(|v| v.parse().ok()));
                }
            }
        }
    }

    /// Appends the number cell of column `i` of the row being built.
    fn number(&mut self, i: usize, v: Option<u64>) {
        match (self.layout.kinds.get(i), self.layout.slots.get(i)) {
            (Some(Kind::Number), Some(&slot)) => {
                if let Some(n) = self.rows.numbers.get_mut(slot) {
                    n.push(v);
                }
            }
            _ => self.text(i, v.map(|n| n.to_string()).as_deref()),
        }
    }

    /// Counts a row built; a full batch ([`BATCH_ROWS`] rows) is handed back.
    fn row_done(&mut self) -> Option<Rows> {
        self.rows.count += 1;
        if self.rows.count < BATCH_ROWS {
            return None;
        }
        self.take()
    }

    /// The rows built so far (none when there are none), with the dictionaries they need; the
    /// next rows start empty, with as much room.
    fn take(&mut self) -> Option<Rows> {
        if self.rows.is_empty() {
            return None;
        }
        let room = self.rows.room();
        let mut rows = std::mem::replace(&mut self.rows, room);
        rows.dictionaries = self
            .dicts
            .iter()
            .map(|d| Arc::new(StringArray::from_iter_values(d.values.iter())) as ArrayRef)
            .collect();
        Some(rows)
    }
}

fn arrow_io(e: ArrowError) -> std::io::Error {
    std::io::Error::other(e)
}

/// Where [`ArrowRecords`] hands its batches: a `Vec` collects them; a file format writes them.
pub trait BatchSink {
    /// Takes one batch.
    fn batch(&mut self, batch: RecordBatch) -> std::io::Result<()>;

    /// Takes the rows of one batch, not yet built into its columns: built here, then handed
    /// to [`BatchSink::batch`]. A sink that can build them on another thread does that.
    fn rows(&mut self, rows: Rows) -> std::io::Result<()> {
        self.batch(rows.into_batch().map_err(arrow_io)?)
    }
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
        let kinds: Vec<(&str, Kind)> = cells
            .columns()
            .into_iter()
            .map(|(n, kind)| match kind {
                ColumnKind::Input => (n, Kind::Text),
                ColumnKind::Position => (n, Kind::Number),
                ColumnKind::Standard => (n, Kind::Dict),
            })
            .collect();
        let columns = Columns::new(&kinds);
        let out = make(columns.schema())?;
        Ok(ArrowRecords {
            columns,
            cells,
            keys: ConversionCache::default(),
            out,
        })
    }

    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.columns.schema()
    }

    /// The output's column names.
    pub fn columns(&self) -> Vec<&str> {
        self.columns
            .layout
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// Hands the records not yet handed over to the sink as a last batch, and gives it back.
    pub fn finish(mut self) -> std::io::Result<F> {
        if let Some(rows) = self.columns.take() {
            self.out.rows(rows)?;
        }
        Ok(self.out)
    }
}

impl<F: BatchSink> RecordSink for ArrowRecords<F> {
    fn record(&mut self, input: &io::Record<'_>, c: &Converted<'_>) -> std::io::Result<()> {
        let (cells, columns) = (&mut self.cells, &mut self.columns);
        // The input columns are the text columns, in order; the positions the number columns.
        let mut texts = columns.rows.texts.iter_mut();
        cells.inputs(input, |v| {
            if let Some(t) = texts.next() {
                t.push(Some(v));
            }
            Ok(())
        })?;
        let mut numbers = columns.rows.numbers.iter_mut();
        cells.positions(input, |v| {
            if let Some(n) = numbers.next() {
                n.push(v.parse().ok());
            }
            Ok(())
        })?;
        let added = cells.added_range();
        let cacheable = cells.cacheable(c);
        // The added columns are the first dictionary columns, in order.
        let dicts = &mut columns.dicts;
        let mut keys_of = || {
            let mut keys: AddedKeys = Default::default();
            let (mut dicts, mut out) = (dicts.iter_mut(), keys.iter_mut());
            cells.added(c, |v| {
                if let (Some(d), Some(k)) = (dicts.next(), out.next()) {
                    *k = d.key(v);
                }
                Ok(())
            })?;
            Ok::<_, std::io::Error>(keys)
        };
        // Pushed from where they are kept, not copied out first.
        let columns_keys = &mut columns.rows.keys;
        let mut push = |keys: &AddedKeys| {
            for (column, &k) in columns_keys.iter_mut().zip(keys).take(added.len()) {
                column.push(k.unwrap_or(NULL_KEY));
            }
        };
        if cacheable {
            self.keys.with(c, keys_of, push)?;
        } else {
            push(&keys_of()?);
        }
        let mut i = added.end;
        cells.characteristics(c, |v| {
            columns.text(i, v);
            i += 1;
            Ok(())
        })?;
        if let Some(rows) = columns.row_done() {
            self.out.rows(rows)?;
        }
        Ok(())
    }
}

/// Rows of one schema being built into batches, all kept: the rejects and findings of a run.
struct Kept {
    columns: Columns,
    batches: Vec<RecordBatch>,
}

impl Kept {
    /// The columns `names`, each of its `kinds`.
    fn of<const N: usize>(names: [&str; N], kinds: [Kind; N]) -> Kept {
        let columns: Vec<(&str, Kind)> = names.into_iter().zip(kinds).collect();
        Kept {
            columns: Columns::new(&columns),
            batches: Vec::new(),
        }
    }

    /// Counts a row built into `self.columns`.
    fn row_done(&mut self) -> std::io::Result<()> {
        if let Some(rows) = self.columns.row_done() {
            self.batches.push(rows.into_batch().map_err(arrow_io)?);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        if let Some(rows) = self.columns.take() {
            self.batches.push(rows.into_batch()?);
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
            [
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Dict,
                Kind::Text,
                Kind::Dict,
                Kind::Dict,
                Kind::Text,
                Kind::Text,
            ],
        ))
    }
}

impl ArrowRejects {
    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.0.columns.schema()
    }

    /// Every reject, in batches.
    pub fn finish(self) -> Result<Vec<RecordBatch>, ArrowError> {
        self.0.finish()
    }
}

impl RejectSink for ArrowRejects {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        let c = &mut self.0.columns;
        for (i, cell) in reject_cells(r).into_iter().enumerate() {
            match cell {
                RejectCell::Number(n) => c.number(i, n),
                RejectCell::Text(t) => c.text(i, t),
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
                Kind::Dict,
                Kind::Dict,
                Kind::Dict,
                Kind::Number,
                Kind::Number,
                Kind::Number,
                Kind::Dict,
                Kind::Text,
                Kind::Text,
                Kind::Text,
            ],
        ))
    }
}

impl ArrowFindings {
    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.0.columns.schema()
    }

    /// Every finding, in batches.
    pub fn finish(self) -> Result<Vec<RecordBatch>, ArrowError> {
        self.0.finish()
    }
}

impl Sink for ArrowFindings {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        let c = &mut self.0.columns;
        c.text(0, Some(f.rule.id()));
        c.text(1, Some(f.rule.name()));
        c.text(2, Some(f.severity.name()));
        c.number(3, f.line);
        c.number(4, f.record);
        c.number(5, f.row);
        c.text(6, f.column.as_deref());
        c.text(7, f.value.as_deref());
        c.text(8, Some(&f.message));
        c.text(9, f.suggestion.as_deref());
        self.0.row_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;

    /// Rows of every kind of column, with nulls in each, come out in their columns, in order.
    #[test]
    fn rows_with_nulls_build_each_column_in_order() {
        let mut columns = Columns::new(&[
            ("t", Kind::Text),
            ("d", Kind::Dict),
            ("n", Kind::Number),
            ("u", Kind::Text),
        ]);
        let text = [Some("é1"), None, Some("")];
        let dict = [Some("x"), None, Some("y")];
        let numbers = [Some(7), None, Some(9)];
        let more = [None, Some("b"), Some("ccc")];
        for r in 0..3 {
            columns.text(0, text[r]);
            columns.text(1, dict[r]);
            columns.number(2, numbers[r]);
            columns.text(3, more[r]);
            assert!(columns.row_done().is_none());
        }
        let batch = columns.take().unwrap().into_batch().unwrap();
        assert_eq!(batch.num_rows(), 3);
        let strings = |i: usize| {
            batch
                .column(i)
                .as_string::<i32>()
                .iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(strings(0), text);
        assert_eq!(strings(3), more);
        let keyed = batch.column(1).as_dictionary::<Int32Type>();
        let values = keyed.values().as_string::<i32>();
        let keyed: Vec<_> = keyed
            .keys()
            .iter()
            .map(|k| {
                k.and_then(|k| usize::try_from(k).ok())
                    .map(|k| values.value(k))
            })
            .collect();
        assert_eq!(keyed, dict);
        let counted = batch
            .column(2)
            .as_primitive::<arrow_array::types::UInt64Type>();
        assert_eq!(counted.iter().collect::<Vec<_>>(), numbers);
    }

    /// Rows whose cells do not fill every column are an error, not a batch of shifted columns.
    #[test]
    fn rows_missing_a_cell_are_an_error() {
        let mut c = Columns::new(&[("t", Kind::Text), ("n", Kind::Number)]);
        c.text(0, Some("a"));
        assert!(c.row_done().is_none());
        assert!(c.take().unwrap().into_batch().is_err());
    }
}
