//! Dictionary-encoded text column chunks written here rather than by parquet's column writer:
//! the standard's columns, whose rows already hold their keys, are not hashed again row by
//! row, and an input column of few values is interned through one fast map that also skips a
//! row equal to the one before. Each chunk is a dictionary page (PLAIN: the values that occur
//! in the row group, in the order first seen) and data pages (format v1, at most
//! [`PAGE_ROWS`] rows each) of RLE definition levels and `RLE_DICTIONARY` keys, Snappy
//! compressed, with the chunk's statistics (min, max, null count) and offset index, as
//! parquet's own writer would give. A chunk whose dictionary would outgrow a dictionary page
//! goes back to parquet's writer ([`Closed::TooManyValues`]).

use super::pages::{
    ChunkPages, PAGE_ROWS, bit_width, general, hybrid, len_u32, levels, text_statistics,
};
use super::short::{Packed, packed};
use crate::output::arrow::Column;
use crate::scheme::FxHasher;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{ArrowError, DataType};
use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::Result;
use parquet::file::properties::DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT;
use parquet::schema::types::ColumnDescPtr;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// The key of a null row.
const NULL: u32 = u32::MAX;

/// One column chunk (a row group's rows of one column) being gathered: each row's key into the
/// chunk's own dictionary, the values that occur.
pub(super) struct DictionaryChunk {
    descr: ColumnDescPtr,
    /// The keys of values of at most 16 bytes, by their [`packed`] form: hashed and compared
    /// as three numbers, not byte by byte (codes, dates and council codes all are short).
    short: HashMap<Packed, u32, BuildHasherDefault<FxHasher>>,
    /// The keys of longer values.
    index: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    values: Vec<Box<str>>,
    /// The dictionary page's bytes so far (each value and 4 for its length).
    bytes: usize,
    /// Each row's key ([`NULL`] for a null).
    keys: Vec<u32>,
    /// The chunk's columns, kept for parquet's writer should the dictionary outgrow its page.
    kept: Vec<Column>,
    /// The dictionary would outgrow its page: the rows are no longer interned.
    too_many: bool,
    /// A dictionary array's keys into the chunk's (scratch, one batch).
    remap: Vec<Option<u32>>,
}

/// A chunk once closed.
pub(super) enum Closed {
    /// Its bytes, and what the row group writer needs to know of them.
    Encoded(Bytes, Box<ColumnCloseResult>),
    /// Its dictionary would outgrow a dictionary page: its columns, for parquet's writer.
    TooManyValues(Vec<Column>),
}

impl DictionaryChunk {
    /// An empty chunk of the column `descr` (a text column).
    pub(super) fn new(descr: ColumnDescPtr) -> Self {
        DictionaryChunk {
            descr,
            short: HashMap::default(),
            index: HashMap::default(),
            values: Vec::new(),
            bytes: 0,
            keys: Vec::new(),
            kept: Vec::new(),
            too_many: false,
            remap: Vec::new(),
        }
    }

    /// The key of `v`, a new one the first time it is seen; `None` once the dictionary would
    /// outgrow its page.
    fn intern(&mut self, v: &str) -> Option<u32> {
        self.intern_packed(v, packed(v))
    }

    /// As [`DictionaryChunk::intern`], with `v`'s [`packed`] key.
    fn intern_packed(&mut self, v: &str, packed: Option<Packed>) -> Option<u32> {
        let known = match packed {
            Some(p) => self.short.get(&p).copied(),
            None => self.index.get(v).copied(),
        };
        if known.is_some() {
            return known;
        }
        self.bytes += v.len() + 4;
        let k = u32::try_from(self.values.len()).ok().filter(|&k| k < NULL);
        if self.bytes > DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT || k.is_none() {
            self.too_many = true;
            self.keys = Vec::new();
            return None;
        }
        let k = k?;
        self.values.push(v.into());
        match packed {
            Some(p) => {
                self.short.insert(p, k);
            }
            None => {
                self.index.insert(v.into(), k);
            }
        }
        Some(k)
    }

    /// Adds the rows of `column`: text cells, a text array (`Utf8`), or text
    /// dictionary-encoded with `Int32` keys.
    pub(super) fn write(&mut self, column: Column) -> Result<()> {
        if !self.too_many {
            self.keys.reserve(column.len());
            match &column {
                Column::Text(t) => self.write_values(t.values())?,
                Column::Array(a) => match a.data_type() {
                    DataType::Utf8 => self.write_values(a.as_string::<i32>().iter().map(Ok))?,
                    DataType::Dictionary(k, v)
                        if **k == DataType::Int32 && **v == DataType::Utf8 =>
                    {
                        self.write_keys(a);
                    }
                    other => {
                        return Err(general(format!(
                            "column {}: {other} where text was expected",
                            self.descr.name()
                        )));
                    }
                },
            }
        }
        self.kept.push(column);
        Ok(())
    }

    fn write_values<'v>(
        &mut self,
        values: impl Iterator<Item = std::result::Result<Option<&'v str>, ArrowError>>,
    ) -> Result<()> {
        // The key of the row before, with its value: runs of one value are common.
        let mut last: Option<(Packed, u32)> = None;
        for v in values {
            let k = match v?.map(|v| (v, packed(v))) {
                None => NULL,
                Some((v, p)) => match last {
                    Some((l, k)) if p == Some(l) => k,
                    _ => {
                        let Some(k) = self.intern_packed(v, p) else {
                            return Ok(());
                        };
                        last = p.map(|p| (p, k));
                        k
                    }
                },
            };
            self.keys.push(k);
        }
        Ok(())
    }

    /// The rows of a dictionary array: each of its keys interned once, the first time it is
    /// met, then only looked up.
    fn write_keys(&mut self, array: &ArrayRef) {
        let dict = array.as_dictionary::<Int32Type>();
        let Some(values) = dict.values().as_string_opt::<i32>() else {
            return;
        };
        let mut remap = std::mem::take(&mut self.remap);
        remap.clear();
        remap.resize(values.len(), None);
        for k in dict.keys() {
            let Some(i) = k.and_then(|k| usize::try_from(k).ok()) else {
                self.keys.push(NULL);
                continue;
            };
            let key = match remap.get(i) {
                Some(Some(key)) => *key,
                Some(None) if values.is_valid(i) => {
                    let Some(key) = self.intern(values.value(i)) else {
                        break;
                    };
                    remap[i] = Some(key);
                    key
                }
                _ => NULL,
            };
            self.keys.push(key);
        }
        self.remap = remap;
    }

    /// The chunk's pages and what the row group writer needs to know of them.
    pub(super) fn close(self) -> Result<Closed> {
        if self.too_many {
            return Ok(Closed::TooManyValues(self.kept));
        }
        let nulls = self.keys.iter().filter(|&&k| k == NULL).count();
        let mut pages = ChunkPages::new(self.descr.clone(), Encoding::RLE_DICTIONARY);
        let mut dictionary = Vec::with_capacity(self.bytes);
        for v in &self.values {
            dictionary.extend_from_slice(&len_u32(v.len())?.to_le_bytes());
            dictionary.extend_from_slice(v.as_bytes());
        }
        pages.dictionary(&dictionary, self.values.len())?;
        let width = bit_width(len_u32(self.values.len().saturating_sub(1))?);
        let nullable = self.descr.max_def_level() > 0;
        let (mut defined, mut keys, mut buf) = (Vec::new(), Vec::new(), Vec::new());
        for page in self.keys.chunks(PAGE_ROWS) {
            buf.clear();
            let has_null = page.contains(&NULL);
            if nullable {
                if has_null {
                    defined.clear();
                    defined.extend(page.iter().map(|&k| u32::from(k != NULL)));
                }
                levels(page.len(), has_null.then_some(&defined[..]), &mut buf)?;
            }
            let keys = if has_null {
                keys.clear();
                keys.extend(page.iter().copied().filter(|&k| k != NULL));
                &keys[..]
            } else {
                page
            };
            buf.push(width);
            hybrid(keys, width, &mut buf);
            pages.data(&buf, page.len())?;
        }
        let values = || self.values.iter().map(|v| v.as_bytes());
        let statistics = text_statistics(values().min(), values().max(), nulls);
        let (data, close) = pages.close(nulls, statistics)?;
        Ok(Closed::Encoded(data, close))
    }
}
