//! Reading returns: CSV, JSON Lines, FHIR Patient resources and Excel sheets, streamed one
//! record at a time.
//!
//! A [`Table`] is an opened return: its header, the encoding it was read in (and why), the
//! delimiter, the sheet. [`Table::for_each`] then hands every record to a callback as a
//! [`Record`]: the fields by column index, the 1-based physical line the record starts on (what
//! a text editor shows), the spreadsheet row it is on (what Excel shows: for a sheet, the sheet's
//! row; for CSV, the header's row and one row per blank line and per record after it, a quoted
//! value with line breaks staying in one row), and its record number (1 = the first record after
//! the header). Memory does not grow with the number of records: CSV records are
//! read into one reused buffer, Windows-1252 and UTF-16 input is transcoded by a
//! streaming decoder in front of the parser, and Excel sheets are read cell by cell.
//!
//! Nothing is skipped silently: a record with the wrong number of fields is still handed over,
//! with its [`Shape`] saying so; blank lines are counted in [`ReadSummary::blank_lines`]. So are
//! rows that hold nothing, whatever their number of fields: `,,,,` or `;;` (an Excel export's
//! empty rows), a line of spaces, a sheet row of empty or formatted cells. Such a row holds no
//! data, so it is no record and never a finding or a reject; in CSV and in sheets alike, every
//! row after the header is a record or a blank row. (In JSON Lines only a blank line is blank:
//! an object is a record whatever its values.)
//!
//! ```
//! use wm_ethnicity::{ReadOptions, Table};
//! use std::ops::ControlFlow;
//!
//! let data = "id;ethnicity\r\n1;WBRI\r\n2;APKN\r\n";
//! let table = Table::from_reader("inline.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
//! assert_eq!(table.header(), ["id", "ethnicity"]);
//! assert_eq!(table.delimiter(), Some(b';'));
//! let col = table.column("ethnicity").unwrap();
//! let mut seen = Vec::new();
//! let summary = table
//!     .for_each(|r| {
//!         seen.push((r.line(), r.number(), r.text(col).unwrap().into_owned()));
//!         ControlFlow::Continue(())
//!     })
//!     .unwrap();
//! assert_eq!(seen, [(2, 1, "WBRI".to_owned()), (3, 2, "APKN".to_owned())]);
//! assert_eq!(summary.records, 2);
//! ```

#[cfg(feature = "arrow")]
mod arrow;
mod csv;
mod encoding;
mod fhir;
mod jsonl;
#[cfg(feature = "parquet")]
mod parquet;
#[cfg(not(feature = "parquet"))]
#[path = "no_parquet.rs"]
mod parquet;
mod sniff;
mod threaded;
#[cfg(feature = "excel")]
mod workbook;
#[cfg(not(feature = "excel"))]
#[path = "no_workbook.rs"]
mod workbook;

pub use encoding::{Encoding, EncodingInfo, EncodingSource};
pub use fhir::{ETHNIC_CATEGORY_EXTENSION, FHIR_HEADER};
#[cfg(feature = "excel")]
pub use workbook::{MAX_ODS_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_WORKBOOK_BYTES};

use crate::error::{Error, ErrorKind, Location, Result};
use encoding::{Utf8Scan, bom_info, detected_info, given_info, scan_utf8, sniff_bom};
use serde::{Deserialize, Serialize};
use sniff::{sniff_delimiter, sniff_format};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;

/// How many bytes at the start of a file are read to sniff its format and delimiter.
const HEAD_BYTES: u64 = 64 * 1024;

/// The longest record (a CSV record or a JSON line) read: memory stays bounded whatever the
/// file holds. A record this long is not a return (an unclosed quote running through a large
/// file, or a file that is not text), and the file is refused naming its line.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// The most fields a CSV record may have (Excel's limit is 16,384 columns).
pub const MAX_RECORD_FIELDS: usize = 100_000;

/// The kind of file a return is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum InputFormat {
    /// Delimited text: comma, tab or semicolon separated, optionally quoted.
    Csv,
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// FHIR R4 Patient resources (bulk-export NDJSON or a Bundle) with the UK Core
    /// `EthnicCategory` extension: one record per Patient.
    Fhir,
    /// An Excel 2007+ workbook (`.xlsx`, `.xlsm`), read cell by cell.
    Xlsx,
    /// An Excel 97-2003 workbook (`.xls`, at most 65,536 rows), read whole.
    Xls,
    /// An `OpenDocument` spreadsheet (`.ods`), read whole.
    Ods,
    /// A Parquet file, read batch by batch (feature `parquet`).
    Parquet,
    /// Arrow: record batches handed over in memory ([`Table::from_arrow`], feature `arrow`),
    /// or an Arrow IPC file or stream (`.arrow`, `.feather`, `.arrows`; feature `parquet`).
    Arrow,
}

impl InputFormat {
    /// The name used in flags and reports.
    pub const fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Fhir => "fhir",
            InputFormat::Xlsx => "xlsx",
            InputFormat::Xls => "xls",
            InputFormat::Ods => "ods",
            InputFormat::Parquet => "parquet",
            InputFormat::Arrow => "arrow",
        }
    }

    /// True for spreadsheets, where a record's line is the spreadsheet row number.
    pub const fn is_sheet(self) -> bool {
        matches!(
            self,
            InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods
        )
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a return. The default detects everything.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The file format; `None` sniffs it (Excel magic bytes, then the extension, then the content).
    pub format: Option<InputFormat>,
    /// The text encoding; `None` detects it (a BOM, else UTF-8 if the bytes are valid UTF-8, else
    /// Windows-1252).
    pub encoding: Option<Encoding>,
    /// The CSV field delimiter; `None` sniffs comma, tab or semicolon from the header line.
    pub delimiter: Option<u8>,
    /// The sheet of a workbook, by name or by 1-based number (`"2"`, the second sheet); `None`
    /// is the first sheet. A name is matched exactly, else ignoring case and surrounding spaces;
    /// a sheet whose name is all digits is found by its name before any sheet by its number.
    pub sheet: Option<String>,
    /// The 1-based spreadsheet row the header is on (see [`Record::row`]); the rows above it are
    /// skipped and counted (a title, a note). `None` takes the first row that holds something.
    /// For CSV files and sheets; JSON Lines have no header row.
    pub header_row: Option<u64>,
    /// Whether a CSV file may be parsed on a second thread.
    pub threads: Threads,
}

/// Whether a CSV file is parsed on a second thread while the records are checked or converted
/// on the calling one. The records, their order, line numbers and errors are the same either
/// way; only the time differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Threads {
    /// Two threads for a CSV file of at least 1 MiB when the process may run on two CPUs or
    /// more; one otherwise (a thread costs more than it saves on a small file, and input from a
    /// reader has no known size).
    #[default]
    Auto,
    /// Everything on the calling thread.
    One,
    /// Parse on a second thread, whatever the size.
    Two,
}

impl Threads {
    /// The smallest CSV file `Auto` parses on a second thread.
    pub const AUTO_MIN_BYTES: u64 = 1 << 20;

    /// Whether to use two threads for a CSV input of `size` bytes (0: unknown).
    fn two(self, size: u64) -> bool {
        match self {
            Threads::One => false,
            Threads::Two => true,
            Threads::Auto => {
                size >= Threads::AUTO_MIN_BYTES
                    && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
            }
        }
    }
}

/// Whether a record has the shape the header promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape<'a> {
    /// As many fields as the header.
    Ok,
    /// A ragged row: a different number of fields from the header. Its fields may have shifted,
    /// so they should not be trusted.
    WrongFieldCount {
        /// Fields in this record.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// Not a record at all (a JSON Lines line that is not a JSON object); its one field is the
    /// line as read (trimmed), not a value of any column. The text says why, without repeating
    /// the line.
    Malformed(&'a str),
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// Text, as in the file.
    Text(&'a str),
    /// Bytes that are not valid in the file's encoding (only possible for UTF-8 input).
    Invalid(&'a [u8]),
}

impl<'a> Field<'a> {
    /// The text, with invalid bytes replaced by U+FFFD.
    pub fn text(self) -> Cow<'a, str> {
        match self {
            Field::Text(s) => Cow::Borrowed(s),
            Field::Invalid(b) => String::from_utf8_lossy(b),
        }
    }
}

/// The fields of one record, stored contiguously and reused from record to record so reading
/// does not allocate once the buffers have grown to the longest record.
#[derive(Debug, Clone)]
struct Fields {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Bytes of `data` in use.
    out: usize,
    /// Entries of `ends` in use.
    n: usize,
    /// The delimiter between one field's end and the next field's start when a plain CSV line
    /// was copied whole (its delimiters stay in `data`, one byte each); `None` when the fields
    /// were pushed one by one, with nothing between them.
    joined: Option<u8>,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            data: vec![0; 1024],
            ends: vec![0; 32],
            out: 0,
            n: 0,
            joined: None,
        }
    }
}

impl Fields {
    fn clear(&mut self) {
        self.out = 0;
        self.n = 0;
        self.joined = None;
    }

    fn len(&self) -> usize {
        self.n
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        self.view().get(i)
    }

    /// The record's fields, borrowed.
    fn view(&self) -> FieldsView<'_> {
        FieldsView {
            data: &self.data[..self.out],
            ends: &self.ends[..self.n],
            joined: self.joined,
            text: None,
        }
    }

    fn push_field(&mut self, field: &[u8]) {
        debug_assert!(self.joined.is_none(), "fields pushed onto a copied line");
        let end = self.out + field.len();
        if end > self.data.len() {
            self.data.resize(end.max(self.data.len() * 2), 0);
        }
        self.data[self.out..end].copy_from_slice(field);
        self.out = end;
        if self.n == self.ends.len() {
            self.ends.resize(self.ends.len() * 2, 0);
        }
        self.ends[self.n] = end;
        self.n += 1;
    }

    #[cfg(feature = "excel")]
    fn truncate(&mut self, n: usize) {
        if n < self.n {
            self.n = n;
            self.out = if n == 0 { 0 } else { self.ends[n - 1] };
        }
    }
}

/// The fields of one record, borrowed from a [`Fields`] or from a [`Batch`]: the bytes, each
/// field's end in them, and the delimiter between one field's end and the next one's start,
/// if any (see `Fields::joined`).
#[derive(Debug, Clone, Copy)]
struct FieldsView<'a> {
    data: &'a [u8],
    ends: &'a [usize],
    joined: Option<u8>,
    /// `data` as text, when it was already checked to be valid UTF-8 (a batch of records is
    /// checked at once on the reading thread); `None`: not checked.
    text: Option<&'a str>,
}

impl<'a> FieldsView<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Where field `i` starts and ends in `data`.
    fn span(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + usize::from(self.joined.is_some())
        };
        Some(start..end)
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.span(i).and_then(|r| self.data.get(r))
    }

    /// The whole of `data` as text, checked now unless it was before.
    fn all_text(&self) -> Option<&'a str> {
        self.text.or_else(|| std::str::from_utf8(self.data).ok())
    }
}

/// One record of a return, as handed to [`Table::for_each`]'s callback. Borrowed: it is valid
/// only during the call.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    fields: FieldsView<'a>,
    line: u64,
    row: Option<u64>,
    number: u64,
    progress: u64,
    shape: Shape<'a>,
}

impl<'a> Record<'a> {
    /// The 1-based physical line the record starts on, as a text editor counts lines (CR LF
    /// and LF both end a line). For a spreadsheet, the row number the spreadsheet shows.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The 1-based spreadsheet row the record is on: the row Excel shows when it opens the file.
    /// For a sheet, the sheet's row (the same as [`line`](Record::line)). For CSV, every row
    /// above the header, the header, each blank line and each record before this one count one
    /// row; a record whose quoted value holds line breaks spans several lines but one row.
    /// `None` for JSON Lines, which no spreadsheet shows as rows.
    pub fn row(&self) -> Option<u64> {
        self.row
    }

    /// The 1-based record number: 1 is the first record after the header. Blank lines are not
    /// records; a record whose quoted field holds a line break spans several lines.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Whether the record has the header's shape.
    pub fn shape(&self) -> Shape<'a> {
        self.shape
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.len() == 0
    }

    /// The raw bytes of field `i` (UTF-8 after any transcoding).
    pub fn bytes(&self, i: usize) -> Option<&'a [u8]> {
        self.fields.get(i)
    }

    /// The record's bytes as the line it was read from, and its delimiter, when it was a plain
    /// line of a CSV file (no quote, no line break): then no field holds a quote, a line break
    /// or the delimiter, and the line is every field, in order, joined by the delimiter.
    pub(crate) fn plain_line(&self) -> Option<(&'a [u8], u8)> {
        self.fields.joined.map(|d| (self.fields.data, d))
    }

    /// Every field as text, in order, when the record was read from a plain line (see
    /// [`Record::plain_line`]) and all of it is valid text: checked once, not field by field.
    #[cfg(any(feature = "arrow", feature = "xlsx"))]
    pub(crate) fn plain_text(&self) -> Option<impl Iterator<Item = &'a str> + 'a> {
        self.fields.joined?;
        let text = self.fields.all_text()?;
        let ends = self.fields.ends;
        // The delimiters are ASCII, so every field starts and ends on a character boundary.
        Some((0..ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { ends[i - 1] + 1 };
            text.get(start..ends[i]).unwrap_or_default()
        }))
    }

    /// Field `i`, checked to be valid text.
    pub fn get(&self, i: usize) -> Option<Field<'a>> {
        let span = self.fields.span(i)?;
        if let Some(t) = self.fields.text.and_then(|t| t.get(span.clone())) {
            return Some(Field::Text(t));
        }
        let b = self.fields.data.get(span)?;
        Some(match std::str::from_utf8(b) {
            Ok(s) => Field::Text(s),
            Err(_) => Field::Invalid(b),
        })
    }

    /// Field `i` as text, invalid bytes replaced by U+FFFD.
    pub fn text(&self, i: usize) -> Option<Cow<'a, str>> {
        self.get(i).map(Field::text)
    }

    /// Every field's raw bytes, in column order.
    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let fields = self.fields;
        (0..fields.len()).filter_map(move |i| fields.get(i))
    }

    /// True when every field is known to be valid text without a look: a plain line (its
    /// fields split at an ASCII delimiter, so at character boundaries) whose bytes were checked
    /// as text when its batch was read.
    pub(crate) fn fields_known_text(&self) -> bool {
        self.fields.joined.is_some() && self.fields.text.is_some()
    }

    /// True when every field is valid UTF-8 (one fast check over the whole record).
    pub fn is_valid_text(&self) -> bool {
        // Any delimiters kept between the fields are ASCII.
        self.fields.all_text().is_some()
    }

    /// How far through the input this record is, in the units of [`Table::progress_total`].
    pub fn progress(&self) -> u64 {
        self.progress
    }
}

/// What reading a whole table found, besides the records themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReadSummary {
    /// Records handed to the callback (every one, whatever its shape).
    pub records: u64,
    /// Blank lines, and rows that hold nothing (`,,,,`, empty spreadsheet rows), after the header:
    /// they are not records. Records plus blank lines are the rows after the header up to the
    /// last record.
    pub blank_lines: u64,
    /// True when the callback stopped the reading early.
    pub stopped: bool,
}

/// An opened return. See the [module docs](self).
pub struct Table<'a> {
    name: String,
    format: InputFormat,
    header: Vec<String>,
    header_line: u64,
    header_row: Option<u64>,
    encoding: Option<EncodingInfo>,
    delimiter: Option<u8>,
    sheet: Option<String>,
    /// Every sheet of the workbook, in order (empty for text files).
    sheets: Vec<String>,
    /// The file and the options it was opened with, to look in it again for a missing column
    /// (`None` when read from a reader).
    origin: Option<(std::path::PathBuf, ReadOptions)>,
    total: u64,
    source: Box<dyn Source<'a> + 'a>,
}

impl fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .field("delimiter", &self.delimiter)
            .field("sheet", &self.sheet)
            .finish_non_exhaustive()
    }
}

/// One input format's records after its header: each format's file implements it, and
/// [`Table::for_each`] hands it the callback. This is the one interface between a format and
/// the rest of the crate.
trait Source<'a> {
    /// Hands every record to `f`, in order, until the end or until `f` breaks.
    fn read(
        self: Box<Self>,
        name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary>;
}

fn input_error(name: &str, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input(msg.into()), Location::file(name))
}

fn io_error(name: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io(e), Location::file(name))
}

/// A reader that can go back to the start: what workbooks and encoding detection need.
trait Seekable: Read + Seek + Send {}

impl<T: Read + Seek + Send> Seekable for T {}

impl<'a> Table<'a> {
    /// A table of JSON input (JSON Lines, FHIR): no delimiter, no sheets, no header row.
    fn json(
        name: String,
        format: InputFormat,
        (header, header_line): (Vec<String>, u64),
        info: EncodingInfo,
        total: u64,
        source: Box<dyn Source<'a> + 'a>,
    ) -> Table<'a> {
        Table {
            name,
            format,
            header,
            header_line,
            header_row: None,
            encoding: Some(info),
            delimiter: None,
            sheet: None,
            sheets: Vec::new(),
            origin: None,
            total,
            source,
        }
    }

    /// Opens a return file, detecting what `opts` leaves open. Errors name the file.
    pub fn open(path: &Path, opts: &ReadOptions) -> Result<Table<'static>> {
        let mut table = Table::open_file(path, opts)?;
        table.origin = Some((path.to_owned(), opts.clone()));
        Ok(table)
    }

    fn open_file(path: &Path, opts: &ReadOptions) -> Result<Table<'static>> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| io_error(&name, e))?;
        let meta = file.metadata().map_err(|e| io_error(&name, e))?;
        if meta.is_dir() {
            return Err(input_error(&name, "is a directory, not a file"));
        }
        if !meta.is_file() {
            // A device never ends, and a pipe cannot be read twice (the encoding is detected
            // from the whole file first).
            return Err(input_error(
                &name,
                "is not a regular file (a device or a pipe): save the return to a file first",
            ));
        }
        // Parquet and Arrow files are read by their own readers, from the file itself.
        let mut file = file;
        let mut magic = Vec::with_capacity(8);
        (&mut file)
            .take(8)
            .read_to_end(&mut magic)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .map_err(|e| io_error(&name, e))?;
        let format = opts.format.unwrap_or_else(|| sniff_format(path, &magic));
        if matches!(format, InputFormat::Parquet | InputFormat::Arrow) {
            return parquet::open(path, name, format);
        }
        Table::from_seekable(&name, file, meta.len(), opts)
    }

    /// Reads a return of any format, workbooks too, from a reader that can go back to the
    /// start (a file, a file in a browser read slice by slice, bytes in memory), of `size`
    /// bytes; `name` names it in errors and reports, and its extension helps to tell the format.
    /// It is read as [`Table::open`] reads a file: the encoding is detected from all of it.
    pub fn from_seekable(
        name: &str,
        reader: impl Read + Seek + Send + 'static,
        size: u64,
        opts: &ReadOptions,
    ) -> Result<Table<'static>> {
        let name = name.to_owned();
        let mut file: Box<dyn Seekable> = Box::new(reader);
        let mut head = Vec::new();
        (&mut file)
            .take(HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| io_error(&name, e))?;
        let format = match opts.format {
            Some(f) => f,
            None => sniff_format(Path::new(&name), &head),
        };
        if format.is_sheet() {
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io_error(&name, e))?;
        }
        match format {
            InputFormat::Xlsx => workbook::open_xlsx(file, name, opts),
            InputFormat::Xls | InputFormat::Ods => workbook::open_range(file, name, format, opts),
            InputFormat::Parquet | InputFormat::Arrow => Err(input_error(
                &name,
                format!("is a {format} file: it is read from a file path, not from a stream"),
            )),
            InputFormat::Csv | InputFormat::Jsonl | InputFormat::Fhir => {
                let (bom, bom_len) = sniff_bom(&head);
                let info = match (bom, opts.encoding) {
                    (Some(enc), given) => bom_info(enc, given),
                    (None, Some(enc)) => given_info(enc),
                    (None, None) => {
                        file.seek(SeekFrom::Start(0))
                            .map_err(|e| io_error(&name, e))?;
                        let scan = scan_utf8(&mut file).map_err(|e| io_error(&name, e))?;
                        detected_info(&scan, false)
                    }
                };
                let skip = if info.encoding == Encoding::Utf8 {
                    bom_len as u64
                } else {
                    0
                };
                file.seek(SeekFrom::Start(skip))
                    .map_err(|e| io_error(&name, e))?;
                let reader: Box<dyn Read + Send> = Box::new(file);
                Table::text(name, format, reader, &head[bom_len..], info, size, opts)
            }
        }
    }

    /// Reads a CSV or JSON Lines return from any reader (Excel input needs a file: use
    /// [`Table::open`]). `name` names the input in errors and reports. Without a BOM or a given
    /// encoding, the encoding is detected from the first 64 KiB; invalid UTF-8 after that is
    /// reported field by field. The reader must be `Send`: with [`Threads::Two`] a second
    /// thread reads and parses it. The size being unknown, [`Threads::Auto`] reads on one.
    pub fn from_reader(
        name: &str,
        reader: impl Read + Send + 'a,
        opts: &ReadOptions,
    ) -> Result<Table<'a>> {
        let name = name.to_owned();
        let mut reader = reader;
        let mut head = Vec::new();
        (&mut reader)
            .take(HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| io_error(&name, e))?;
        let format = match opts.format {
            Some(f @ (InputFormat::Csv | InputFormat::Jsonl | InputFormat::Fhir)) => f,
            Some(f) => {
                return Err(input_error(
                    &name,
                    format!("{f} input must be read from a file"),
                ));
            }
            None => match sniff_format(Path::new(&name), &head) {
                f @ (InputFormat::Csv | InputFormat::Jsonl | InputFormat::Fhir) => f,
                f => {
                    return Err(input_error(
                        &name,
                        format!("{f} input must be read from a file"),
                    ));
                }
            },
        };
        let (bom, bom_len) = sniff_bom(&head);
        let info = match (bom, opts.encoding) {
            (Some(enc), given) => bom_info(enc, given),
            (None, Some(enc)) => given_info(enc),
            (None, None) => {
                let mut scan = Utf8Scan::default();
                let full = (head.len() as u64) < HEAD_BYTES;
                scan.feed(&head, full);
                detected_info(&scan, !full)
            }
        };
        let skip = if info.encoding == Encoding::Utf8 {
            bom_len
        } else {
            0
        };
        let sniff = head[bom_len..].to_vec();
        let size = 0;
        let stream: Box<dyn Read + Send + 'a> = Box::new(std::io::Cursor::new(head).chain(reader));
        let mut stream = stream;
        // Skip the BOM for UTF-8; decoders handle their own.
        if skip > 0 {
            let mut bom_buf = [0u8; 3];
            stream
                .read_exact(&mut bom_buf[..skip])
                .map_err(|e| io_error(&name, e))?;
        }
        Table::text(name, format, stream, &sniff, info, size, opts)
    }

    fn text(
        name: String,
        format: InputFormat,
        raw: Box<dyn Read + Send + 'a>,
        head: &[u8],
        info: EncodingInfo,
        size: u64,
        opts: &ReadOptions,
    ) -> Result<Table<'a>> {
        let reader: Box<dyn Read + Send + 'a> = if info.encoding == Encoding::Utf8 {
            raw
        } else {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(info.encoding.decoder()))
                    .bom_override(true)
                    .strip_bom(true)
                    .build(raw),
            )
        };
        // JSON input has no header row: its columns are its first object's keys, or FHIR's.
        let columns = match format {
            InputFormat::Jsonl => Some(
                "a JSON Lines file has none (its first object's keys are the columns)".to_owned(),
            ),
            InputFormat::Fhir => Some(format!(
                "FHIR input has none (its columns are {})",
                fhir::FHIR_HEADER.join(", ")
            )),
            _ => None,
        };
        if let (Some(n), Some(why)) = (opts.header_row, columns) {
            return Err(input_error(
                &name,
                format!("a header row ({n} given) is for CSV files and workbooks: {why}"),
            ));
        }
        match format {
            InputFormat::Jsonl => return jsonl::open(name, reader, info, size),
            InputFormat::Fhir => return fhir::open(name, reader, info, size),
            _ => {}
        }
        let delimiter = opts.delimiter.unwrap_or_else(|| {
            if matches!(info.encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
                let text = info.encoding.decoder().decode_without_bom_handling(head).0;
                sniff_delimiter(text.as_bytes())
            } else {
                sniff_delimiter(head)
            }
        });
        csv::open(
            name,
            reader,
            info,
            delimiter,
            size,
            opts.threads.two(size),
            opts.header_row,
        )
    }

    /// The input's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file format.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// The column names, as in the header (a leading BOM removed).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The line (spreadsheet row) the header is on.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The spreadsheet row the header is on (see [`Record::row`]); the rows above it were
    /// skipped. `None` for JSON Lines.
    pub fn header_row(&self) -> Option<u64> {
        self.header_row
    }

    /// The index of the column named `name`: an exact match, else the only match ignoring case
    /// and surrounding spaces.
    pub fn column(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.header.iter().position(|h| h == name) {
            return Some(i);
        }
        let mut found = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| same_name(h, name))
            .map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(i), None) => Some(i),
            _ => None,
        }
    }

    /// The error for a column whose name the header gives twice (ignoring case and surrounding
    /// spaces): which one to read would be a guess, and the other would go unchecked.
    pub fn check_unique(header: &[impl AsRef<str>], i: usize, file: &str, line: u64) -> Result<()> {
        let name = header[i].as_ref();
        match header
            .iter()
            .enumerate()
            .find(|&(j, h)| j != i && same_name(h.as_ref(), name))
        {
            None => Ok(()),
            Some((j, other)) => Err(Error::new(
                ErrorKind::Input(format!(
                    "the header names column `{name}` twice (columns {} and {}{}): rename one, \
                     so it is clear which is read",
                    i.min(j) + 1,
                    i.max(j) + 1,
                    if other.as_ref() == name {
                        String::new()
                    } else {
                        format!(", `{}`", other.as_ref())
                    }
                )),
                Location::file(file).at(line, 1),
            )),
        }
    }

    /// The encoding the text was read in; `None` for spreadsheets.
    pub fn encoding(&self) -> Option<&EncodingInfo> {
        self.encoding.as_ref()
    }

    /// The CSV delimiter used.
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter
    }

    /// The sheet read, for spreadsheets.
    pub fn sheet(&self) -> Option<&str> {
        self.sheet.as_deref()
    }

    /// Every sheet of the workbook, in order; empty for text files.
    pub fn sheets(&self) -> &[String] {
        &self.sheets
    }

    /// `e` with what the file says about it, when it is a missing column
    /// ([`ErrorKind::MissingColumn`]; any other error comes back as it was): placed on the
    /// header's line, and told which sheet was read, the other sheets, and the first row (among
    /// the first [`HINT_ROWS`] of this sheet, then of the others) that has a column of that name,
    /// with the flags that read it: `row 3 of sheet `Pupils` has a column `Ethnicity`: try
    /// --sheet Pupils --header-row 3`. Looking again needs the file: a table read from a reader
    /// only gets the sheet and the line.
    #[must_use]
    pub fn explain_missing(&self, e: Error) -> Error {
        let ErrorKind::MissingColumn { column, message } = e.kind() else {
            return e;
        };
        let mut message = message.clone();
        if let Some(sheet) = &self.sheet {
            let _ = write!(message, ". Sheet `{sheet}` was read");
            let others: Vec<String> = self
                .sheets
                .iter()
                .enumerate()
                .filter(|(_, s)| *s != sheet)
                .map(|(i, s)| format!("{} `{s}`", i + 1))
                .collect();
            if !others.is_empty() {
                let _ = write!(message, " (the other sheets: {})", others.join(", "));
            }
        }
        match self.find_column(column) {
            Some((sheet, row)) => {
                let (place, flags) = match &sheet {
                    Some(s) => (
                        format!("row {row} of sheet `{s}`"),
                        format!("--sheet {} --header-row {row}", shell_word(s)),
                    ),
                    None => (format!("row {row}"), format!("--header-row {row}")),
                };
                let _ = write!(
                    message,
                    ". {} has a column `{column}`: try {flags}",
                    capitalise(&place)
                );
            }
            // A workbook's other sheets were looked through too: say so.
            None if self.origin.is_some() && self.sheets.len() > 1 => {
                let _ = write!(
                    message,
                    ". No row among the first {HINT_ROWS} of any sheet has a column `{column}`"
                );
            }
            None => {}
        }
        let mut at = e.location().clone();
        at.line = Some(self.header_line);
        Error::new(
            ErrorKind::MissingColumn {
                column: column.clone(),
                message,
            },
            at,
        )
    }

    /// The first row among the first [`HINT_ROWS`] of this table's sheet, then of the other
    /// sheets, with a cell that names `column` (as [`Table::column`] matches names), other than
    /// the header read: `(the sheet, if a workbook; the row)`. Only the file is read again: no
    /// value is kept.
    fn find_column(&self, column: &str) -> Option<(Option<String>, u64)> {
        let (path, opts) = self.origin.as_ref()?;
        let mut sheets: Vec<Option<String>> = vec![self.sheet.clone()];
        sheets.extend(
            self.sheets
                .iter()
                .filter(|s| Some(*s) != self.sheet.as_ref())
                .map(|s| Some(s.clone())),
        );
        sheets.into_iter().find_map(|sheet| {
            let again = ReadOptions {
                sheet: sheet.clone(),
                header_row: None,
                threads: Threads::One,
                ..opts.clone()
            };
            let table = Table::open_file(path, &again).ok()?;
            let read = sheet == self.sheet;
            let skip = |row: Option<u64>| read && row == self.header_row;
            if table.header.iter().any(|h| same_name(h, column)) && !skip(table.header_row) {
                return Some((sheet, table.header_row?));
            }
            let mut found = None;
            let _ = table.for_each(|r| {
                if r.row().is_none_or(|row| row > HINT_ROWS) {
                    return ControlFlow::Break(());
                }
                let named = (0..r.len()).any(|i| r.text(i).is_some_and(|t| same_name(&t, column)));
                if named && !skip(r.row()) {
                    found = r.row();
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
            Some((sheet, found?))
        })
    }

    /// The size of the input in progress units (bytes for text files, rows for sheets); 0 when
    /// unknown (a reader).
    pub fn progress_total(&self) -> u64 {
        self.total
    }

    /// Reads every record, in order, handing each to `f` until it fails: the read stops there
    /// and hands `f`'s error back. An error of the reading itself (an I/O error, a corrupt
    /// workbook; it names the file and line) becomes an `E` through `From`.
    pub fn try_for_each<E, F>(self, mut f: F) -> Result<ReadSummary, E>
    where
        E: From<Error>,
        F: FnMut(&Record<'_>) -> Result<(), E>,
    {
        let mut failed = None;
        let summary = self.for_each(|r| match f(r) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    /// Reads every record, in order, handing each to `f`; `f` returns
    /// [`ControlFlow::Break`] to stop early. Errors that stop the reading (an I/O error, a
    /// corrupt workbook) name the file and line.
    pub fn for_each<F>(self, f: F) -> Result<ReadSummary>
    where
        F: FnMut(&Record<'_>) -> ControlFlow<()>,
    {
        let Table {
            name,
            header,
            source,
            ..
        } = self;
        let mut f = f;
        source.read(&name, &header, &mut f)
    }
}

/// How many rows of each sheet [`Table::explain_missing`] looks through for a missing column.
pub const HINT_ROWS: u64 = 20;

/// True when header names `a` and `b` name the same column: equal ignoring case and surrounding
/// spaces.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// `s` as one word on a command line: as it is when plain, else in single quotes.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `s` with its first letter in upper case.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// True when every field of a record is blank (white space at most): a row that holds nothing.
fn holds_nothing(fields: FieldsView<'_>) -> bool {
    (0..fields.len()).all(|i| {
        // Most records start with a visible character: no need to decode anything then.
        fields.get(i).is_some_and(|b| {
            !b.first().is_some_and(u8::is_ascii_graphic)
                && std::str::from_utf8(b).is_ok_and(crate::text::is_blank)
        })
    })
}

/// How a record's spreadsheet row is known.
#[derive(Debug, Clone, Copy)]
enum RowOf {
    /// Counted from the header's row: every blank line, row that holds nothing and record after
    /// it is one row (CSV).
    Counted {
        /// The header's row.
        header: u64,
    },
    /// The record's line is its row (a sheet).
    #[cfg(feature = "excel")]
    Line,
}

/// Hands one record to `f`, counting it (and the blank lines before it) in `summary`; a record
/// that holds nothing is counted as a blank row instead. `place` is the record's first line, the
/// blank lines before it, and the progress after it.
fn deliver<F>(
    summary: &mut ReadSummary,
    expected: usize,
    rows: RowOf,
    fields: FieldsView<'_>,
    place: (u64, u64, u64),
    f: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let (line, blank, progress) = place;
    summary.blank_lines += blank;
    if holds_nothing(fields) {
        // A row of empty cells (`,,,,` from Excel, or a line of spaces) holds no data, whatever
        // its number of fields: it is counted as a blank row, never a record.
        summary.blank_lines += 1;
        return ControlFlow::Continue(());
    }
    summary.records += 1;
    let row = match rows {
        RowOf::Counted { header } => header + summary.blank_lines + summary.records,
        #[cfg(feature = "excel")]
        RowOf::Line => line,
    };
    let shape = if fields.len() == expected {
        Shape::Ok
    } else {
        Shape::WrongFieldCount {
            found: fields.len(),
            expected,
        }
    };
    let record = Record {
        fields,
        line,
        row: Some(row),
        number: summary.records,
        progress,
        shape,
    };
    let flow = f(&record);
    if flow.is_break() {
        summary.stopped = true;
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &[u8], opts: &ReadOptions) -> (Table<'static>, Vec<(u64, u64, Vec<String>)>) {
        let data: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
        let t = Table::from_reader("t.csv", data, opts).unwrap();
        let t2 = Table::from_reader("t.csv", data, opts).unwrap();
        let mut rows = Vec::new();
        t.for_each(|r| {
            rows.push((
                r.line(),
                r.number(),
                (0..r.len())
                    .map(|i| r.text(i).unwrap().into_owned())
                    .collect(),
            ));
            ControlFlow::Continue(())
        })
        .unwrap();
        (t2, rows)
    }

    #[test]
    fn lines_count_blank_lines_crlf_and_quoted_breaks() {
        let (t, rows) = read(
            b"\xEF\xBB\xBFa,b\r\n1,\"x\r\ny\"\r\n\r\n2,z\r\n",
            &ReadOptions::default(),
        );
        assert_eq!(t.header(), ["a", "b"]);
        assert!(t.encoding().unwrap().bom);
        assert_eq!(
            rows,
            [
                (2, 1, vec!["1".to_owned(), "x\r\ny".to_owned()]),
                (5, 2, vec!["2".to_owned(), "z".to_owned()]),
            ]
        );
    }

    #[test]
    fn detects_windows_1252() {
        let (t, rows) = read(b"a\tb\nCaf\xe9\t\x96\n", &ReadOptions::default());
        assert_eq!(t.delimiter(), Some(b'\t'));
        assert_eq!(t.encoding().unwrap().encoding, Encoding::Windows1252);
        assert_eq!(rows[0].2, ["Café", "\u{2013}"]);
    }

    #[test]
    fn reads_excel_unicode_text_utf16() {
        let text = "Ethnicity\tId\r\nA\t1\r\n\r\nJ\t2\r\n";
        let mut data = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            data.extend_from_slice(&u.to_le_bytes());
        }
        let (t, rows) = read(&data, &ReadOptions::default());
        assert_eq!(t.header(), ["Ethnicity", "Id"]);
        assert_eq!(t.delimiter(), Some(b'\t'));
        let info = t.encoding().unwrap();
        assert_eq!(
            (info.encoding, info.source),
            (Encoding::Utf16Le, EncodingSource::ByteOrderMark)
        );
        assert_eq!(
            rows,
            [
                (2, 1, vec!["A".to_owned(), "1".to_owned()]),
                (4, 2, vec!["J".to_owned(), "2".to_owned()]),
            ]
        );
    }

    #[test]
    fn lf_files_count_blank_lines_and_keep_ragged_rows() {
        let data: &'static [u8] = b"a,b\n1,2\n\n\n3,4\n5\n";
        let t = Table::from_reader("t.csv", data, &ReadOptions::default()).unwrap();
        let mut seen = Vec::new();
        let s = t
            .for_each(|r| {
                seen.push((r.line(), r.number(), r.shape() == Shape::Ok));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, [(2, 1, true), (5, 2, true), (6, 3, false)]);
        assert_eq!((s.records, s.blank_lines), (3, 2));
    }

    #[test]
    fn a_lone_cr_ends_a_line_as_in_a_text_editor() {
        let (_, rows) = read(b"a,b\r1,2\r\r3,4\r\n\r\n5,6", &ReadOptions::default());
        let lines: Vec<(u64, u64)> = rows.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(lines, [(2, 1), (4, 2), (6, 3)]);
    }

    #[test]
    fn scan_carries_split_sequences() {
        let text = "é".repeat(10).into_bytes();
        let mut scan = Utf8Scan::default();
        let keep = scan.feed(&text[..3], false);
        assert_eq!(keep, 1);
        assert_eq!(scan.invalid, 0);
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
        // Blank lines, empty rows and a title say nothing: the first line with both decides.
        assert_eq!(
            sniff_delimiter(b"\n,,\r\nPupil return 2024\nid;e,x;y\n"),
            b';'
        );
        assert_eq!(sniff_delimiter(b";;\n"), b',');
    }

    #[test]
    fn jsonl_keeps_key_order_and_reports_bad_lines() {
        let data = b"{\"z\":1,\"a\":\"x\"}\n\nnot json\n{\"a\":null,\"z\":true}\n";
        let t = Table::from_reader("t.jsonl", &data[..], &ReadOptions::default()).unwrap();
        assert_eq!(t.header(), ["z", "a"]);
        let mut seen = Vec::new();
        let s = t
            .for_each(|r| {
                seen.push((
                    r.line(),
                    matches!(r.shape(), Shape::Malformed(_)),
                    (0..r.len())
                        .map(|i| r.text(i).unwrap().into_owned())
                        .collect::<Vec<_>>(),
                ));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(s.blank_lines, 1);
        assert_eq!(
            seen,
            [
                (1, false, vec!["1".to_owned(), "x".to_owned()]),
                (3, true, vec!["not json".to_owned()]),
                (4, false, vec!["true".to_owned(), String::new()]),
            ]
        );
    }
}
