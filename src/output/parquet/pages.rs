//! What the column chunks written here (`dictionary.rs`, `plain.rs`) share: data pages
//! (format v1) Snappy compressed as they are made, their definition levels, Parquet's RLE /
//! bit-packed hybrid encoding, and the chunk once closed: its pages one after the other with
//! their headers, its metadata, statistics and offset index, as parquet's own writer gives them.

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, EncodingMask, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, LevelHistogram, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::properties::{
    DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT, DEFAULT_STATISTICS_TRUNCATE_LENGTH,
};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// Rows in a data page at most (parquet's default).
pub(super) const PAGE_ROWS: usize = DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT;

pub(super) fn general(message: String) -> ParquetError {
    ParquetError::General(message)
}

/// A column chunk's pages as they are made, each compressed then: the dictionary page, if
/// any, and the data pages in order.
pub(super) struct ChunkPages {
    descr: ColumnDescPtr,
    snappy: snap::raw::Encoder,
    dictionary: Option<CompressedPage>,
    /// Each data page, with its first row.
    data: Vec<(CompressedPage, usize)>,
    /// The data pages' encoding.
    encoding: Encoding,
    rows: usize,
}

impl ChunkPages {
    /// No pages yet, of the column `descr`, its data pages to be encoded `encoding`.
    pub(super) fn new(descr: ColumnDescPtr, encoding: Encoding) -> Self {
        ChunkPages {
            descr,
            snappy: snap::raw::Encoder::new(),
            dictionary: None,
            data: Vec::new(),
            encoding,
            rows: 0,
        }
    }

    /// The column.
    pub(super) fn descr(&self) -> &ColumnDescPtr {
        &self.descr
    }

    fn compress(&mut self, buf: &[u8]) -> Result<Bytes> {
        let packed = self
            .snappy
            .compress_vec(buf)
            .map_err(|e| general(e.to_string()))?;
        Ok(Bytes::from(packed))
    }

    /// The dictionary page: `count` values, laid out `plain` (each one's length, then it).
    pub(super) fn dictionary(&mut self, plain: &[u8], count: usize) -> Result<()> {
        let page = Page::DictionaryPage {
            buf: self.compress(plain)?,
            num_values: len_u32(count)?,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        self.dictionary = Some(CompressedPage::new(page, plain.len()));
        Ok(())
    }

    /// A data page of `rows` rows: `buf`, its definition levels (see [`levels`]) then its
    /// values.
    pub(super) fn data(&mut self, buf: &[u8], rows: usize) -> Result<()> {
        let page = Page::DataPage {
            buf: self.compress(buf)?,
            num_values: len_u32(rows)?,
            encoding: self.encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        self.data
            .push((CompressedPage::new(page, buf.len()), self.rows));
        self.rows += rows;
        Ok(())
    }

    /// The chunk: its pages written one after the other, and what the row group writer needs
    /// to know of them. `nulls`: its null rows; `statistics`: see [`text_statistics`].
    pub(super) fn close(
        self,
        nulls: usize,
        statistics: Statistics,
    ) -> Result<(Bytes, Box<ColumnCloseResult>)> {
        let max_def = self.descr.max_def_level();
        if max_def == 0 && nulls > 0 {
            return Err(general(format!(
                "column {}: a null in a column that may not hold one",
                self.descr.name()
            )));
        }
        let (rows, dictionary, encoding) = (self.rows, self.dictionary.is_some(), self.encoding);
        let mut sink = TrackedWrite::new(Vec::new());
        let (mut compressed, mut uncompressed) = (0, 0);
        let mut locations = Vec::with_capacity(self.data.len());
        {
            let mut pages = SerializedPageWriter::new(&mut sink);
            if let Some(page) = self.dictionary {
                let spec = pages.write_page(page)?;
                compressed += spec.compressed_size;
                uncompressed += spec.uncompressed_size;
            }
            for (page, first_row) in self.data {
                let spec = pages.write_page(page)?;
                compressed += spec.compressed_size;
                uncompressed += spec.uncompressed_size;
                locations.push(PageLocation {
                    offset: to_i64(spec.offset)?,
                    compressed_page_size: i32::try_from(spec.compressed_size)
                        .map_err(|e| general(e.to_string()))?,
                    first_row_index: to_i64(first_row)?,
                });
            }
            pages.close()?;
        }
        let data = Bytes::from(sink.into_inner()?);
        let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
        let mut page_stats = Vec::new();
        if dictionary {
            encodings.push(Encoding::RLE_DICTIONARY);
            page_stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            });
        }
        page_stats.push(PageEncodingStats {
            page_type: PageType::DATA_PAGE,
            encoding,
            count: i32::try_from(locations.len()).map_err(|e| general(e.to_string()))?,
        });
        let first_data = locations.first().map_or(0, |l| l.offset);
        let mut metadata = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(Compression::SNAPPY)
            .set_encodings_mask(EncodingMask::new_from_encodings(encodings.iter()))
            .set_page_encoding_stats(page_stats)
            .set_total_compressed_size(to_i64(compressed)?)
            .set_total_uncompressed_size(to_i64(uncompressed)?)
            .set_num_values(to_i64(rows)?)
            .set_data_page_offset(first_data)
            .set_dictionary_page_offset(dictionary.then_some(0))
            .set_statistics(statistics);
        if max_def > 0 {
            metadata = metadata.set_definition_level_histogram(Some(LevelHistogram::from(vec![
                to_i64(nulls)?,
                to_i64(rows - nulls)?,
            ])));
        }
        let close = ColumnCloseResult {
            bytes_written: data.len() as u64,
            rows_written: rows as u64,
            metadata: metadata.build()?,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(OffsetIndexMetaData {
                page_locations: locations,
                unencoded_byte_array_data_bytes: None,
            }),
        };
        Ok((data, Box::new(close)))
    }
}

/// A text chunk's statistics: its least and greatest values (byte-wise, as parquet orders
/// text; both left out when either is longer than parquet would keep it whole) and its nulls.
pub(super) fn text_statistics(min: Option<&[u8]>, max: Option<&[u8]>, nulls: usize) -> Statistics {
    let longest = DEFAULT_STATISTICS_TRUNCATE_LENGTH.unwrap_or(usize::MAX);
    let (min, max) = match (
        min.filter(|v| v.len() <= longest),
        max.filter(|v| v.len() <= longest),
    ) {
        (Some(min), Some(max)) => (
            Some(ByteArray::from(min.to_vec())),
            Some(ByteArray::from(max.to_vec())),
        ),
        _ => (None, None),
    };
    Statistics::ByteArray(ValueStatistics::new(
        min,
        max,
        None,
        Some(nulls as u64),
        false,
    ))
}

/// Appends a data page's definition levels (their length, then RLE / bit-packed): `levels`,
/// each row's, or every one of the `rows` rows there (level 1) when `None`.
pub(super) fn levels(rows: usize, levels: Option<&[u32]>, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    match levels {
        Some(levels) => hybrid(levels, 1, out),
        // Every row is there: one run of level 1.
        None => repeated(1, rows, 1, out),
    }
    let len = len_u32(out.len() - start - 4)?;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

pub(super) fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|e| general(e.to_string()))
}

pub(super) fn to_i64<T: TryInto<i64>>(n: T) -> Result<i64>
where
    T::Error: std::fmt::Display,
{
    n.try_into().map_err(|e| general(e.to_string()))
}

/// Bits needed to write `max`.
pub(super) fn bit_width(max: u32) -> u8 {
    // At most 32: its low byte is all of it.
    (32 - max.leading_zeros()).to_le_bytes()[0]
}

/// Appends `values` (each below 2^`width`) to `out` in Parquet's RLE / bit-packed hybrid
/// encoding: a run of 8 or more equal values as one repeated run, the rest bit-packed in
/// groups of 8 (the last group padded with zeros).
pub(super) fn hybrid(values: &[u32], width: u8, out: &mut Vec<u8>) {
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
pub(super) fn repeated(v: u32, count: usize, width: u8, out: &mut Vec<u8>) {
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
