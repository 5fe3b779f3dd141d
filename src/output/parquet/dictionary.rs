//! Dictionary-encoded text column chunks written here rather than by parquet's column writer:
//! the standard's columns, whose rows already hold their keys, are not hashed again row by
//! row, and an input column of few values is interned through one fast map that also skips a
//! row equal to the one before. Each chunk is a dictionary page (PLAIN: the values that occur
//! in the row group, in the order first seen) and data pages (format v1, at most
//! [`PAGE_ROWS`] rows each) of RLE definition levels and `RLE_DICTIONARY` keys, Snappy
//! compressed, with the chunk's statistics (min, max, null count) and offset index, as
//! parquet's own writer would give. A chunk whose dictionary would outgrow a dictionary page
//! goes back to parquet's writer ([`Closed::TooManyValues`]).

use super::short::{Packed, packed};
use crate::scheme::FxHasher;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, EncodingMask, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, LevelHistogram, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::properties::{
    DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT, DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT,
    DEFAULT_STATISTICS_TRUNCATE_LENGTH,
};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Rows in a data page at most (parquet's default).
const PAGE_ROWS: usize = DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT;

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
    /// The chunk's arrays, kept for parquet's writer should the dictionary outgrow its page.
    arrays: Vec<ArrayRef>,
    /// The dictionary would outgrow its page: the rows are no longer interned.
    too_many: bool,
    /// A dictionary array's keys into the chunk's (scratch, one batch).
    remap: Vec<Option<u32>>,
}

/// The sizes and places of a chunk's pages.
struct Pages {
    /// Their bytes, headers included (compressed, and as they would be uncompressed).
    compressed: usize,
    uncompressed: usize,
    /// Each data page's.
    locations: Vec<PageLocation>,
}

/// A chunk once closed.
pub(super) enum Closed {
    /// Its bytes, and what the row group writer needs to know of them.
    Encoded(Bytes, Box<ColumnCloseResult>),
    /// Its dictionary would outgrow a dictionary page: its arrays, for parquet's writer.
    TooManyValues(Vec<ArrayRef>),
}

fn general(message: String) -> ParquetError {
    ParquetError::General(message)
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
            arrays: Vec::new(),
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

    /// Adds the rows of `array`: text (`Utf8`), or text dictionary-encoded with `Int32` keys.
    pub(super) fn write(&mut self, array: &ArrayRef) -> Result<()> {
        self.arrays.push(array.clone());
        if self.too_many {
            return Ok(());
        }
        self.keys.reserve(array.len());
        match array.data_type() {
            DataType::Utf8 => self.write_text(array.as_string::<i32>()),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                self.write_keys(array);
            }
            other => {
                return Err(general(format!(
                    "column {}: {other} where text was expected",
                    self.descr.name()
                )));
            }
        }
        Ok(())
    }

    fn write_text(&mut self, text: &StringArray) {
        // The key of the row before, with its value: runs of one value are common.
        let mut last: Option<(Packed, u32)> = None;
        for v in text {
            let k = match v.map(|v| (v, packed(v))) {
                None => NULL,
                Some((v, p)) => match last {
                    Some((l, k)) if p == Some(l) => k,
                    _ => {
                        let Some(k) = self.intern_packed(v, p) else {
                            return;
                        };
                        last = p.map(|p| (p, k));
                        k
                    }
                },
            };
            self.keys.push(k);
        }
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
            return Ok(Closed::TooManyValues(self.arrays));
        }
        let rows = self.keys.len();
        let nulls = self.keys.iter().filter(|&&k| k == NULL).count();
        let max_def = self.descr.max_def_level();
        if max_def == 0 && nulls > 0 {
            return Err(general(format!(
                "column {}: a null in a column that may not hold one",
                self.descr.name()
            )));
        }
        let (data, pages) = self.pages(max_def)?;
        let data = Bytes::from(data);
        let locations = pages.locations;
        let first_data = locations.first().map_or(0, |l| l.offset);
        let mut metadata = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(Compression::SNAPPY)
            .set_encodings_mask(EncodingMask::new_from_encodings(
                [Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY].iter(),
            ))
            .set_page_encoding_stats(vec![
                PageEncodingStats {
                    page_type: PageType::DICTIONARY_PAGE,
                    encoding: Encoding::PLAIN,
                    count: 1,
                },
                PageEncodingStats {
                    page_type: PageType::DATA_PAGE,
                    encoding: Encoding::RLE_DICTIONARY,
                    count: i32::try_from(locations.len()).map_err(|e| general(e.to_string()))?,
                },
            ])
            .set_total_compressed_size(to_i64(pages.compressed)?)
            .set_total_uncompressed_size(to_i64(pages.uncompressed)?)
            .set_num_values(to_i64(rows)?)
            .set_data_page_offset(first_data)
            .set_dictionary_page_offset(Some(0))
            .set_statistics(self.statistics(nulls as u64));
        if max_def > 0 {
            metadata = metadata.set_definition_level_histogram(Some(LevelHistogram::from(vec![
                to_i64(nulls)?,
                to_i64(rows - nulls)?,
            ])));
        }
        let metadata = metadata.build()?;
        let close = ColumnCloseResult {
            bytes_written: data.len() as u64,
            rows_written: rows as u64,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(OffsetIndexMetaData {
                page_locations: locations,
                unencoded_byte_array_data_bytes: None,
            }),
        };
        Ok(Closed::Encoded(data, Box::new(close)))
    }

    /// The chunk's pages, written: the dictionary page, then the data pages (their definition
    /// levels when the column's can be null, `max_def` above 0).
    fn pages(&self, max_def: i16) -> Result<(Vec<u8>, Pages)> {
        let mut sink = TrackedWrite::new(Vec::new());
        let mut snappy = snap::raw::Encoder::new();
        let mut compress =
            |buf: &[u8]| snappy.compress_vec(buf).map_err(|e| general(e.to_string()));
        let (mut compressed, mut uncompressed) = (0, 0);
        let mut locations = Vec::new();
        {
            let mut pages = SerializedPageWriter::new(&mut sink);
            let mut dictionary = Vec::with_capacity(self.bytes);
            for v in &self.values {
                dictionary.extend_from_slice(&len_u32(v.len())?.to_le_bytes());
                dictionary.extend_from_slice(v.as_bytes());
            }
            let page = Page::DictionaryPage {
                buf: Bytes::from(compress(&dictionary)?),
                num_values: len_u32(self.values.len())?,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            };
            let spec = pages.write_page(CompressedPage::new(page, dictionary.len()))?;
            compressed += spec.compressed_size;
            uncompressed += spec.uncompressed_size;
            let width = bit_width(len_u32(self.values.len().saturating_sub(1))?);
            let (mut levels, mut keys, mut buf) = (Vec::new(), Vec::new(), Vec::new());
            for (n, page) in self.keys.chunks(PAGE_ROWS).enumerate() {
                buf.clear();
                if max_def > 0 {
                    levels.clear();
                    levels.extend(page.iter().map(|&k| u32::from(k != NULL)));
                    let start = buf.len();
                    buf.extend_from_slice(&[0; 4]);
                    hybrid(&levels, 1, &mut buf);
                    let len = len_u32(buf.len() - start - 4)?;
                    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
                }
                let keys = if page.contains(&NULL) {
                    keys.clear();
                    keys.extend(page.iter().copied().filter(|&k| k != NULL));
                    &keys[..]
                } else {
                    page
                };
                buf.push(width);
                hybrid(keys, width, &mut buf);
                let page = Page::DataPage {
                    buf: Bytes::from(compress(&buf)?),
                    num_values: len_u32(page.len())?,
                    encoding: Encoding::RLE_DICTIONARY,
                    def_level_encoding: Encoding::RLE,
                    rep_level_encoding: Encoding::RLE,
                    statistics: None,
                };
                let spec = pages.write_page(CompressedPage::new(page, buf.len()))?;
                compressed += spec.compressed_size;
                uncompressed += spec.uncompressed_size;
                locations.push(PageLocation {
                    offset: to_i64(spec.offset)?,
                    compressed_page_size: i32::try_from(spec.compressed_size)
                        .map_err(|e| general(e.to_string()))?,
                    first_row_index: to_i64(n * PAGE_ROWS)?,
                });
            }
            pages.close()?;
        }
        let data = sink.into_inner()?;
        Ok((
            data,
            Pages {
                compressed,
                uncompressed,
                locations,
            },
        ))
    }

    /// The chunk's statistics: its least and greatest values (byte-wise, as parquet orders
    /// text; left out when longer than parquet would keep them whole) and its nulls.
    fn statistics(&self, nulls: u64) -> Statistics {
        let longest = DEFAULT_STATISTICS_TRUNCATE_LENGTH.unwrap_or(usize::MAX);
        let values = || self.values.iter().map(|v| &**v);
        let min = values().min().filter(|v| v.len() <= longest);
        let max = values().max().filter(|v| v.len() <= longest);
        let bytes = |v: &str| ByteArray::from(v.as_bytes().to_vec());
        let (min, max) = match (min, max) {
            (Some(min), Some(max)) => (Some(bytes(min)), Some(bytes(max))),
            _ => (None, None),
        };
        Statistics::ByteArray(ValueStatistics::new(min, max, None, Some(nulls), false))
    }
}

fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|e| general(e.to_string()))
}

fn to_i64<T: TryInto<i64>>(n: T) -> Result<i64>
where
    T::Error: std::fmt::Display,
{
    n.try_into().map_err(|e| general(e.to_string()))
}

/// Bits needed to write `max`.
fn bit_width(max: u32) -> u8 {
    // At most 32: its low byte is all of it.
    (32 - max.leading_zeros()).to_le_bytes()[0]
}

/// Appends `values` (each below 2^`width`) to `out` in Parquet's RLE / bit-packed hybrid
/// encoding: a run of 8 or more equal values as one repeated run, the rest bit-packed in
/// groups of 8 (the last group padded with zeros).
fn hybrid(values: &[u32], width: u8, out: &mut Vec<u8>) {
    // `literal`: where the values not yet written start.
    let (mut literal, mut i) = (0, 0);
    while i < values.len() {
        let v = values[i];
        // A run shorter than 8 is never written as one: most values are passed by one look.
        if values.get(i + 7) != Some(&v) {
            i += 1;
            continue;
        }
        let end = i + values[i..].iter().take_while(|&&w| w == v).count();
        // The values before the run go bit-packed, in whole groups of 8 unless last: the run
        // lends them its first few.
        let lent = (8 - (i - literal) % 8) % 8;
        if end - i >= lent + 8 {
            bit_packed(&values[literal..i + lent], width, out);
            repeated(v, end - i - lent, width, out);
            literal = end;
        }
        i = end;
    }
    bit_packed(&values[literal..], width, out);
}

fn uleb128(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n.to_le_bytes()[0] | 0x80);
        n >>= 7;
    }
    out.push(n.to_le_bytes()[0]);
}

/// A repeated run: `count` times `v`.
fn repeated(v: u32, count: usize, width: u8, out: &mut Vec<u8>) {
    uleb128(count << 1, out);
    out.extend_from_slice(&v.to_le_bytes()[..usize::from(width.div_ceil(8))]);
}

/// A bit-packed run of `values` (none: nothing), padded to a whole number of groups of 8.
fn bit_packed(values: &[u32], width: u8, out: &mut Vec<u8>) {
    if values.is_empty() {
        return;
    }
    let groups = values.len().div_ceil(8);
    uleb128((groups << 1) | 1, out);
    if width > 16 {
        return bit_packed_bits(values, groups, width, out);
    }
    // A group of 8 values is `width` bytes: made in one number, written at once.
    let w = usize::from(width);
    let group = |g: &[u32], out: &mut Vec<u8>| {
        let mut acc = 0u128;
        for (j, &v) in g.iter().enumerate() {
            acc |= u128::from(v) << (j * w);
        }
        out.extend_from_slice(&acc.to_le_bytes()[..w]);
    };
    let mut whole = values.chunks_exact(8);
    for g in whole.by_ref() {
        group(g, out);
    }
    let rest = whole.remainder();
    if !rest.is_empty() {
        let mut last = [0; 8];
        last[..rest.len()].copy_from_slice(rest);
        group(&last, out);
    }
}

/// The groups of [`bit_packed`], of any width, written bit by bit.
fn bit_packed_bits(values: &[u32], groups: usize, width: u8, out: &mut Vec<u8>) {
    let (mut acc, mut bits) = (0u64, 0u8);
    let padding = std::iter::repeat_n(0, groups * 8 - values.len());
    for v in values.iter().copied().chain(padding) {
        acc |= u64::from(v) << bits;
        bits += width;
        while bits >= 8 {
            out.push(acc.to_le_bytes()[0]);
            acc >>= 8;
            bits -= 8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_made_in_one_number_are_the_bits_written_one_by_one() {
        // Values of every width up to 16, in runs of every length up to 20: the packing of
        // whole groups is the packing bit by bit.
        for width in 1..=16u8 {
            let top = (1u32 << width) - 1;
            for n in 1..=20usize {
                let values: Vec<u32> = (0..n)
                    .map(|i| u32::try_from(i * 2_654_435_761 % 65_536).unwrap() & top)
                    .collect();
                let (mut fast, mut bits) = (Vec::new(), Vec::new());
                bit_packed(&values, width, &mut fast);
                uleb128((n.div_ceil(8) << 1) | 1, &mut bits);
                bit_packed_bits(&values, n.div_ceil(8), width, &mut bits);
                assert_eq!(fast, bits, "width {width}, {n} values");
            }
        }
    }
}
