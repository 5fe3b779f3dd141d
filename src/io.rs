//! Reading returns: CSV, JSON Lines and Excel sheets, streamed one record at a time.
//!
//! A [`Table`] is an opened return: its header, the encoding it was read in (and why), the
//! delimiter, the sheet. [`Table::for_each`] then hands every record to a callback as a
//! [`Record`]: the fields by column index, the 1-based physical line the record starts on (what
//! a text editor shows; the row number for a spreadsheet), and its record number (1 = the first
//! record after the header). Memory does not grow with the number of records: CSV records are
//! read into one reused buffer, Windows-1252 and UTF-16 input is transcoded by a
//! streaming decoder in front of the parser, and Excel sheets are read cell by cell.
//!
//! Nothing is skipped silently: a record with the wrong number of fields is still handed over,
//! with its [`Shape`] saying so; blank lines are counted in [`ReadSummary::blank_lines`].
//!
//! ```
//! use wm_ethnicity::io::{ReadOptions, Table};
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

use crate::error::{Error, ErrorKind, Location, Result};
use calamine::{Data, DataRef, Reader as _};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
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

/// The most a workbook's shared strings (`xl/sharedStrings.xml`, which the Excel reader holds in
/// memory whole) may expand to. A return's strings are tens of MiB at most; a zip bomb of a few
/// hundred KiB expands to gigabytes.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 128 * 1024 * 1024;

/// The most a spreadsheet archive may expand to in all. Excel sheets are streamed, but an
/// `OpenDocument` sheet is read whole.
pub const MAX_WORKBOOK_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The most an `OpenDocument` spreadsheet may expand to (it is read whole into memory).
pub const MAX_ODS_BYTES: u64 = 512 * 1024 * 1024;

/// Refuses a zip-based workbook (`.xlsx`, `.ods`) whose parts would expand past the limits,
/// from the sizes its central directory declares (the zip reader never reads past them), before
/// the spreadsheet reader opens it.
fn check_workbook_size(path: &Path, name: &str, format: InputFormat) -> Result<()> {
    let file = File::open(path).map_err(|e| io_error(name, e))?;
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        // Not a zip archive: the spreadsheet reader says what it is not.
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            continue;
        };
        let size = entry.size();
        total = total.saturating_add(size);
        if entry
            .name()
            .is_ok_and(|n| n.eq_ignore_ascii_case("xl/sharedStrings.xml"))
            && size > MAX_SHARED_STRINGS_BYTES
        {
            return Err(bomb(
                name,
                "its shared strings",
                size,
                MAX_SHARED_STRINGS_BYTES,
            ));
        }
    }
    let limit = if format == InputFormat::Ods {
        MAX_ODS_BYTES
    } else {
        MAX_WORKBOOK_BYTES
    };
    if total > limit {
        return Err(bomb(name, "its parts", total, limit));
    }
    Ok(())
}

fn bomb(name: &str, what: &str, size: u64, limit: u64) -> Error {
    input_error(
        name,
        format!(
            "the workbook would expand to {} MiB of {what} (the limit is {} MiB): refused as a \
             possible zip bomb; if it is a real return, save the sheet as CSV",
            size >> 20,
            limit >> 20
        ),
    )
}

/// Reads up to and including the next `\n`, refusing a line longer than [`MAX_RECORD_BYTES`].
fn read_line_capped(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let n = r.take(MAX_RECORD_BYTES as u64 + 1).read_until(b'\n', buf)?;
    if n > MAX_RECORD_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "a line longer than {} MiB: not a JSON Lines return (is it a text \
                 file?)",
                MAX_RECORD_BYTES >> 20
            ),
        ));
    }
    Ok(n)
}

/// The kind of file a return is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Delimited text: comma, tab or semicolon separated, optionally quoted.
    Csv,
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// An Excel 2007+ workbook (`.xlsx`, `.xlsm`), read cell by cell.
    Xlsx,
    /// An Excel 97-2003 workbook (`.xls`, at most 65,536 rows), read whole.
    Xls,
    /// An `OpenDocument` spreadsheet (`.ods`), read whole.
    Ods,
}

impl InputFormat {
    /// The name used in flags and reports.
    pub const fn name(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Xlsx => "xlsx",
            InputFormat::Xls => "xls",
            InputFormat::Ods => "ods",
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

/// A text encoding a return can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8 (with or without a byte-order mark).
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252, what Excel on Windows writes for "CSV" in the UK (a superset of Latin-1).
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// UTF-16 little-endian, what Excel writes for "Unicode Text" (recognised by its BOM).
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian (recognised by its BOM).
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl Encoding {
    /// The name used in flags and reports (`utf-8`, `windows-1252`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }

    /// The encoding with this name or a common alias (`utf8`, `cp1252`, `latin1`: as in the
    /// WHATWG Encoding Standard, Latin-1 labels mean Windows-1252).
    pub fn from_name(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => {
                Some(Encoding::Windows1252)
            }
            "utf-16le" | "utf-16" => Some(Encoding::Utf16Le),
            "utf-16be" => Some(Encoding::Utf16Be),
            _ => None,
        }
    }

    fn decoder(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the encoding of a text return was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingSource {
    /// The caller gave it.
    Given,
    /// A byte-order mark at the start of the file says so.
    ByteOrderMark,
    /// Detected by reading the bytes.
    Detected,
}

/// The encoding a text return was read in, and why: reports say this, so a Windows-1252 file is
/// never read silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncodingInfo {
    /// The encoding used.
    pub encoding: Encoding,
    /// How it was chosen.
    pub source: EncodingSource,
    /// True when the file starts with a byte-order mark (it is not part of the first column name).
    pub bom: bool,
    /// Byte sequences not valid in the encoding found while detecting it (UTF-8 only; each field
    /// holding one is reported when the records are read).
    pub invalid_sequences: u64,
    /// One sentence for people, e.g. "not valid UTF-8 (first invalid byte on line 4); read as
    /// Windows-1252".
    pub note: String,
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
    /// The sheet of a workbook; `None` is the first sheet.
    pub sheet: Option<String>,
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
    /// Not a record at all (a JSON Lines line that is not a JSON object); there are no fields.
    /// The text says why, without repeating the line.
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
    /// Bytes between one field's end and the next field's start: 0 when the fields were
    /// pushed one by one, 1 when a plain CSV line was copied whole (its delimiters stay in
    /// `data`, one byte each).
    gap: usize,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            data: vec![0; 1024],
            ends: vec![0; 32],
            out: 0,
            n: 0,
            gap: 0,
        }
    }
}

impl Fields {
    fn clear(&mut self) {
        self.out = 0;
        self.n = 0;
        self.gap = 0;
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
            gap: self.gap,
        }
    }

    fn push_field(&mut self, field: &[u8]) {
        debug_assert_eq!(self.gap, 0, "fields pushed onto a copied line");
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

    fn truncate(&mut self, n: usize) {
        if n < self.n {
            self.n = n;
            self.out = if n == 0 { 0 } else { self.ends[n - 1] };
        }
    }
}

/// The fields of one record, borrowed from a [`Fields`] or from a [`Batch`]: the bytes, each
/// field's end in them, and the bytes between one field's end and the next one's start.
#[derive(Debug, Clone, Copy)]
struct FieldsView<'a> {
    data: &'a [u8],
    ends: &'a [usize],
    gap: usize,
}

impl<'a> FieldsView<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        Some(&self.data[start..end])
    }
}

/// One record of a return, as handed to [`Table::for_each`]'s callback. Borrowed: it is valid
/// only during the call.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    fields: FieldsView<'a>,
    line: u64,
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

    /// Field `i`, checked to be valid text.
    pub fn get(&self, i: usize) -> Option<Field<'a>> {
        let b = self.fields.get(i)?;
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

    /// True when every field is valid UTF-8 (one fast check over the whole record).
    pub fn is_valid_text(&self) -> bool {
        // Any delimiters kept between the fields are ASCII.
        std::str::from_utf8(self.fields.data).is_ok()
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
    /// Blank lines (or empty spreadsheet rows) between records: they are not records.
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
    encoding: Option<EncodingInfo>,
    delimiter: Option<u8>,
    sheet: Option<String>,
    total: u64,
    source: Source<'a>,
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

type JsonPairs = Vec<(String, serde_json::Value)>;

enum Source<'a> {
    Csv {
        src: Box<CsvSource<'a>>,
        two_threads: bool,
    },
    Jsonl {
        lines: Box<dyn BufRead + 'a>,
        line: u64,
        first: JsonPairs,
        first_line: u64,
        blank_before_first: u64,
    },
    Xlsx {
        book: Box<calamine::Xlsx<BufReader<File>>>,
        sheet: String,
        header_row: u32,
    },
    Range {
        range: Box<calamine::Range<Data>>,
        header_index: usize,
    },
}

/// Calls into the spreadsheet reader with its panics caught. On some malformed workbooks
/// calamine overflows an integer (found by fuzzing: a cell reference with too many digits);
/// with overflow checks on, as in a debug build, that is a panic, which must be an error naming
/// the file, never a crash. (With `panic = "abort"` nothing can be caught.)
fn sheet_call<T>(at: Location, call: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|_| {
        Error::new(
            ErrorKind::Input(
                "the spreadsheet reader failed on this workbook: it is damaged, or not a workbook \
                 a spreadsheet program wrote"
                    .into(),
            ),
            at,
        )
    })
}

fn input_error(name: &str, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input(msg.into()), Location::file(name))
}

fn io_error(name: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io(e), Location::file(name))
}

impl<'a> Table<'a> {
    /// Opens a return file, detecting what `opts` leaves open. Errors name the file.
    pub fn open(path: &Path, opts: &ReadOptions) -> Result<Table<'static>> {
        let name = path.display().to_string();
        let mut file = File::open(path).map_err(|e| io_error(&name, e))?;
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
        let mut head = Vec::new();
        (&mut file)
            .take(HEAD_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| io_error(&name, e))?;
        let format = match opts.format {
            Some(f) => f,
            None => sniff_format(path, &head),
        };
        match format {
            InputFormat::Xlsx => Table::open_xlsx(path, name, opts),
            InputFormat::Xls | InputFormat::Ods => Table::open_range(path, name, format, opts),
            InputFormat::Csv | InputFormat::Jsonl => {
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
                Table::text(
                    name,
                    format,
                    reader,
                    &head[bom_len..],
                    info,
                    meta.len(),
                    opts,
                )
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
            Some(f @ (InputFormat::Csv | InputFormat::Jsonl)) => f,
            Some(f) => {
                return Err(input_error(
                    &name,
                    format!("{f} input must be read from a file"),
                ));
            }
            None => match sniff_format(Path::new(&name), &head) {
                f @ (InputFormat::Csv | InputFormat::Jsonl) => f,
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
        if format == InputFormat::Jsonl {
            return Table::open_jsonl(name, reader, info, size);
        }
        let delimiter = opts.delimiter.unwrap_or_else(|| {
            if matches!(info.encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
                let text = info.encoding.decoder().decode_without_bom_handling(head).0;
                sniff_delimiter(text.as_bytes())
            } else {
                sniff_delimiter(head)
            }
        });
        Table::open_csv(name, reader, info, delimiter, size, opts.threads.two(size))
    }

    fn open_csv(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        info: EncodingInfo,
        delimiter: u8,
        size: u64,
        two_threads: bool,
    ) -> Result<Table<'a>> {
        let mut src = CsvSource::new(reader, delimiter);
        let mut rec = Fields::default();
        let Some((header_line, _)) = src
            .next(&mut rec)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&name)))?
        else {
            return Err(input_error(
                &name,
                "the file is empty: there is no header row",
            ));
        };
        let header = (0..rec.len())
            .filter_map(|i| rec.get(i))
            .map(|f| {
                String::from_utf8_lossy(f)
                    .trim_start_matches('\u{feff}')
                    .to_owned()
            })
            .collect();
        Ok(Table {
            name,
            format: InputFormat::Csv,
            header,
            header_line,
            encoding: Some(info),
            delimiter: Some(delimiter),
            sheet: None,
            total: size,
            source: Source::Csv {
                src: Box::new(src),
                two_threads,
            },
        })
    }

    fn open_jsonl(
        name: String,
        reader: Box<dyn Read + Send + 'a>,
        info: EncodingInfo,
        size: u64,
    ) -> Result<Table<'a>> {
        let mut lines: Box<dyn BufRead + 'a> =
            Box::new(BufReader::with_capacity(64 * 1024, reader));
        let mut buf = Vec::new();
        let mut line = 0u64;
        let mut blank = 0u64;
        loop {
            buf.clear();
            let n = read_line_capped(&mut lines, &mut buf)
                .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&name).at(line + 1, 1)))?;
            if n == 0 {
                return Err(input_error(
                    &name,
                    "the file is empty: there is no first JSON object to take the column names from",
                ));
            }
            line += 1;
            if buf.trim_ascii().is_empty() {
                blank += 1;
                continue;
            }
            break;
        }
        let pairs = parse_json_object(buf.trim_ascii()).map_err(|msg| {
            Error::new(
                ErrorKind::Input(format!(
                    "the first record must be a JSON object (its keys are the column names): {msg}"
                )),
                Location::file(&name).at(line, 1),
            )
        })?;
        let header = pairs.iter().map(|(k, _)| k.clone()).collect();
        Ok(Table {
            name,
            format: InputFormat::Jsonl,
            header,
            header_line: line,
            encoding: Some(info),
            delimiter: None,
            sheet: None,
            total: size,
            source: Source::Jsonl {
                lines,
                line,
                first: pairs,
                first_line: line,
                blank_before_first: blank,
            },
        })
    }

    fn open_xlsx(path: &Path, name: String, opts: &ReadOptions) -> Result<Table<'static>> {
        check_workbook_size(path, &name, InputFormat::Xlsx)?;
        let mut book: calamine::Xlsx<BufReader<File>> = sheet_call(Location::file(&name), || {
            calamine::open_workbook(path)
        })?
        .map_err(|e| input_error(&name, format!("cannot read it as an Excel workbook: {e}")))?;
        let sheet = pick_sheet(&name, &book.sheet_names(), opts.sheet.as_deref())?;
        let (header, header_row, total) = {
            let mut cells = sheet_call(Location::file(&name), || {
                book.worksheet_cells_reader(&sheet)
            })?
            .map_err(|e| input_error(&name, format!("cannot read sheet `{sheet}`: {e}")))?;
            let total = u64::from(cells.dimensions().end.0) + 1;
            let mut row = RowBuilder::default();
            let mut header = None;
            while let Some(cell) = sheet_call(Location::file(&name), || cells.next_cell())?
                .map_err(|e| input_error(&name, format!("sheet `{sheet}`: {e}")))?
            {
                let (r, c) = cell.get_position();
                if row.row != Some(r) {
                    if row.row.is_some() && row.nonempty {
                        break;
                    }
                    row.start(r);
                }
                row.push(c, &CellView::from_ref(cell.get_value()));
            }
            if row.row.is_some() && row.nonempty {
                header = Some((row.header(), row.row.unwrap_or(0)));
            }
            let Some((header, header_row)) = header else {
                return Err(input_error(
                    &name,
                    format!("sheet `{sheet}` is empty: there is no header row"),
                ));
            };
            (header, header_row, total)
        };
        Ok(Table {
            name,
            format: InputFormat::Xlsx,
            header,
            header_line: u64::from(header_row) + 1,
            encoding: None,
            delimiter: None,
            sheet: Some(sheet.clone()),
            total,
            source: Source::Xlsx {
                book: Box::new(book),
                sheet,
                header_row,
            },
        })
    }

    fn open_range(
        path: &Path,
        name: String,
        format: InputFormat,
        opts: &ReadOptions,
    ) -> Result<Table<'static>> {
        check_workbook_size(path, &name, format)?;
        let mut book = sheet_call(Location::file(&name), || calamine::open_workbook_auto(path))?
            .map_err(|e| input_error(&name, format!("cannot read it as a spreadsheet: {e}")))?;
        let sheet = pick_sheet(&name, &book.sheet_names(), opts.sheet.as_deref())?;
        let range = sheet_call(Location::file(&name), || book.worksheet_range(&sheet))?
            .map_err(|e| input_error(&name, format!("cannot read sheet `{sheet}`: {e}")))?;
        let start_row = range.start().map_or(0, |s| s.0);
        let mut header = None;
        for (i, cells) in range.rows().enumerate() {
            let mut row = RowBuilder::default();
            row.start(0);
            for (c, v) in cells.iter().enumerate() {
                row.push(
                    u32::try_from(c).unwrap_or(u32::MAX),
                    &CellView::from_data(v),
                );
            }
            if row.nonempty {
                header = Some((row.header(), i));
                break;
            }
        }
        let Some((header, header_index)) = header else {
            return Err(input_error(
                &name,
                format!("sheet `{sheet}` is empty: there is no header row"),
            ));
        };
        let total = u64::from(range.end().map_or(0, |e| e.0)) + 1;
        Ok(Table {
            name,
            format,
            header,
            header_line: u64::from(start_row) + header_index as u64 + 1,
            encoding: None,
            delimiter: None,
            sheet: Some(sheet),
            total,
            source: Source::Range {
                range: Box::new(range),
                header_index,
            },
        })
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

    /// The index of the column named `name`: an exact match, else the only match ignoring case
    /// and surrounding spaces.
    pub fn column(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.header.iter().position(|h| h == name) {
            return Some(i);
        }
        let want = name.trim();
        let mut found = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().eq_ignore_ascii_case(want))
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
        let same = |h: &str| h.trim().eq_ignore_ascii_case(name.trim());
        match header
            .iter()
            .enumerate()
            .find(|&(j, h)| j != i && same(h.as_ref()))
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

    /// The size of the input in progress units (bytes for text files, rows for sheets); 0 when
    /// unknown (a reader).
    pub fn progress_total(&self) -> u64 {
        self.total
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
        let expected = header.len();
        match source {
            Source::Csv { src, two_threads } => read_csv(&name, *src, expected, two_threads, f),
            Source::Jsonl {
                lines,
                line,
                first,
                first_line,
                blank_before_first,
            } => read_jsonl(
                &name,
                &header,
                lines,
                (line, first, first_line, blank_before_first),
                f,
            ),
            Source::Xlsx {
                mut book,
                sheet,
                header_row,
            } => read_xlsx(&name, &mut book, &sheet, header_row, expected, f),
            Source::Range {
                range,
                header_index,
            } => Ok(read_range(&range, header_index, expected, f)),
        }
    }
}

/// Counts lines as a text editor does: LF, CR LF and a lone CR each end a line.
#[derive(Debug)]
struct LineCount {
    /// The current line, 1-based.
    line: u64,
    /// True when the last byte counted was a CR whose line end is not counted yet (the next byte
    /// counts it: once for CR LF, or as a lone CR).
    cr: bool,
}

impl LineCount {
    /// Counts the line ends in `bytes`, consumed in order; returns how many.
    fn count(&mut self, bytes: &[u8]) -> u64 {
        let n = if !self.cr && !bytes.contains(&b'\r') {
            // The common case, LF only. Records are short: a plain loop beats a vectorised
            // count's set-up here.
            #[allow(clippy::naive_bytecount)]
            let n = bytes.iter().filter(|b| **b == b'\n').count() as u64;
            n
        } else {
            let mut n = 0;
            for &b in bytes {
                match b {
                    b'\n' => {
                        n += 1;
                        self.cr = false;
                    }
                    b'\r' => {
                        n += u64::from(self.cr);
                        self.cr = true;
                    }
                    _ => {
                        n += u64::from(self.cr);
                        self.cr = false;
                    }
                }
            }
            n
        };
        self.line += n;
        n
    }
}

/// A CSV reader on `csv-core` that knows the physical line each record starts on: every line end
/// consumed is counted as a text editor counts it (LF, CR LF, or a lone CR), and the line ends
/// before a record (the previous record's, blank lines) are skipped here, so the record starts
/// where the counter stands.
struct CsvSource<'a> {
    rdr: Box<dyn Read + Send + 'a>,
    core: csv_core::Reader,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// The line `buf[pos]` is on.
    lines: LineCount,
    /// Bytes consumed so far.
    byte: u64,
    /// The field delimiter.
    delimiter: u8,
    /// True once `core` has read a record (and so has dealt with any byte order mark): from
    /// then on, a whole line without quotes or a lone CR may be split without it.
    core_started: bool,
}

impl<'a> CsvSource<'a> {
    fn new(rdr: Box<dyn Read + Send + 'a>, delimiter: u8) -> Self {
        CsvSource {
            rdr,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            buf: vec![0; 64 * 1024],
            pos: 0,
            len: 0,
            eof: false,
            lines: LineCount { line: 1, cr: false },
            byte: 0,
            delimiter,
            core_started: false,
        }
    }

    /// The fast path for the common record: a whole line in the buffer, ended by LF or CR LF,
    /// with no quote and no other CR in it. Its fields are the bytes between delimiters, exactly
    /// as `csv-core` would read them (no quoting is involved; `csv-core` is left between
    /// records, where it would be after reading this one itself). Returns false, consuming
    /// nothing, for any other record.
    fn plain_line(&mut self, rec: &mut Fields) -> bool {
        let input = &self.buf[self.pos..self.len];
        let Some(i) = memchr::memchr3(b'\n', b'\r', b'"', input) else {
            return false;
        };
        let used = match input[i] {
            b'\n' => i + 1,
            b'\r' if input.get(i + 1) == Some(&b'\n') => i + 2,
            _ => return false,
        };
        // The line is copied whole, delimiters and all, and the fields' ends marked: one copy
        // instead of one per field. (The line fits the buffer, far below the record caps.)
        let line = &input[..i];
        if rec.data.len() < line.len() {
            rec.data.resize(line.len(), 0);
        }
        rec.data[..line.len()].copy_from_slice(line);
        let mut n = 0;
        for (j, &b) in line.iter().enumerate() {
            if b == self.delimiter {
                if n + 1 == rec.ends.len() {
                    rec.ends.resize(rec.ends.len() * 2, 0);
                }
                rec.ends[n] = j;
                n += 1;
            }
        }
        rec.ends[n] = line.len();
        rec.n = n + 1;
        rec.out = line.len();
        rec.gap = 1;
        self.pos += used;
        self.byte += used as u64;
        self.lines.line += 1;
        true
    }

    fn fill(&mut self) -> std::io::Result<()> {
        if self.pos < self.len || self.eof {
            return Ok(());
        }
        self.pos = 0;
        self.len = 0;
        loop {
            match self.rdr.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next record into `rec`: `Some((first line, blank lines before it))`, or `None`
    /// at the end of the input.
    fn next(&mut self, rec: &mut Fields) -> std::io::Result<Option<(u64, u64)>> {
        // A CR still pending ended the previous record: its line end is not a blank line.
        let pending = self.lines.cr;
        let mut ends = 0u64;
        loop {
            self.fill()?;
            if self.pos == self.len {
                return Ok(None);
            }
            let b = self.buf[self.pos];
            if b != b'\n' && b != b'\r' {
                // Any other byte settles a pending CR.
                ends += self.lines.count(b"\0");
                break;
            }
            ends += self.lines.count(&[b]);
            self.pos += 1;
            self.byte += 1;
        }
        let blank = ends.saturating_sub(u64::from(pending));
        let start = self.lines.line;
        rec.clear();
        if self.core_started && self.plain_line(rec) {
            return Ok(Some((start, blank)));
        }
        self.core_started = true;
        loop {
            self.fill()?;
            let input = &self.buf[self.pos..self.len];
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut rec.data[rec.out..], &mut rec.ends[rec.n..]);
            self.lines.count(&input[..nin]);
            self.pos += nin;
            self.byte += nin as u64;
            rec.out += nout;
            rec.n += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    if rec.data.len() >= MAX_RECORD_BYTES {
                        return Err(too_big(&format!(
                            "a record longer than {} MiB",
                            MAX_RECORD_BYTES >> 20
                        )));
                    }
                    let n = (rec.data.len() * 2).min(MAX_RECORD_BYTES);
                    rec.data.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    if rec.ends.len() >= MAX_RECORD_FIELDS {
                        return Err(too_big(&format!(
                            "a record of more than {MAX_RECORD_FIELDS} fields"
                        )));
                    }
                    let n = (rec.ends.len() * 2).min(MAX_RECORD_FIELDS);
                    rec.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => return Ok(Some((start, blank))),
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

/// The error for a record over the caps: reading stops (memory stays bounded), naming the line.
fn too_big(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{what}: not a return the tool reads (an unclosed quote running through a large file, \
             or a file that is not text?)"
        ),
    )
}

/// Reads every CSV record into `f`, parsing on a second thread when `two_threads` (see
/// [`read_csv_two_threads`]). Either way `f` sees the same records, in the same order, with the
/// same line numbers, and an error stops the reading at the same record.
fn read_csv<F>(
    name: &str,
    src: CsvSource<'_>,
    expected: usize,
    two_threads: bool,
    f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    if two_threads {
        read_csv_two_threads(name, src, expected, f)
    } else {
        read_csv_one_thread(name, src, expected, f)
    }
}

fn read_csv_one_thread<F>(
    name: &str,
    mut src: CsvSource<'_>,
    expected: usize,
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let mut rec = Fields::default();
    let mut summary = ReadSummary::default();
    loop {
        let at = src.lines.line;
        let Some((line, blank)) = src.next(&mut rec).map_err(|e| csv_error(name, e, at))? else {
            break;
        };
        let place = (line, blank, src.byte);
        if deliver(&mut summary, expected, rec.view(), place, &mut f).is_break() {
            break;
        }
    }
    Ok(summary)
}

/// The error that stopped reading a CSV file at line `at`.
fn csv_error(name: &str, e: std::io::Error, at: u64) -> Error {
    Error::new(ErrorKind::Io(e), Location::file(name).at(at, 1))
}

/// Hands one record to `f`, counting it (and the blank lines before it) in `summary`. `place`
/// is the record's first line, the blank lines before it, and the progress after it.
fn deliver<F>(
    summary: &mut ReadSummary,
    expected: usize,
    fields: FieldsView<'_>,
    place: (u64, u64, u64),
    f: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let (line, blank, progress) = place;
    summary.blank_lines += blank;
    summary.records += 1;
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

/// Records a batch holds at most before it is handed over, and the bytes of fields after which
/// it is handed over early: small enough that memory stays flat, large enough that handing over
/// costs nothing per record.
const BATCH_RECORDS: usize = 4096;
const BATCH_BYTES: usize = 1 << 20;
/// Batches parsed ahead of the records being checked.
const BATCHES_AHEAD: usize = 2;

/// CSV records parsed on the reading thread, packed: every record's bytes one after the other in
/// `data`, their field ends (relative to the record) in `ends`, and per record where those end
/// and where in the file the record was.
#[derive(Debug, Default)]
struct Batch {
    data: Vec<u8>,
    ends: Vec<usize>,
    records: Vec<BatchRecord>,
    /// What stopped the reading after these records: the error and the line it was on.
    error: Option<(std::io::Error, u64)>,
}

#[derive(Debug, Clone, Copy)]
struct BatchRecord {
    data_end: usize,
    ends_end: usize,
    gap: usize,
    line: u64,
    blank: u64,
    progress: u64,
}

impl Batch {
    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.records.clear();
        self.error = None;
    }

    fn push(&mut self, rec: &Fields, line: u64, blank: u64, progress: u64) {
        let view = rec.view();
        self.data.extend_from_slice(view.data);
        self.ends.extend_from_slice(view.ends);
        self.records.push(BatchRecord {
            data_end: self.data.len(),
            ends_end: self.ends.len(),
            gap: view.gap,
            line,
            blank,
            progress,
        });
    }

    fn is_full(&self) -> bool {
        self.records.len() >= BATCH_RECORDS || self.data.len() >= BATCH_BYTES
    }

    /// Each record's fields and place, in order.
    fn iter(&self) -> impl Iterator<Item = (FieldsView<'_>, (u64, u64, u64))> {
        let mut from = (0, 0);
        self.records.iter().map(move |r| {
            let view = FieldsView {
                data: &self.data[from.0..r.data_end],
                ends: &self.ends[from.1..r.ends_end],
                gap: r.gap,
            };
            from = (r.data_end, r.ends_end);
            (view, (r.line, r.blank, r.progress))
        })
    }
}

/// Parses the CSV on a second thread while `f` runs on this one. The reading thread (file
/// reads, decoding, splitting fields, counting lines) fills batches of records and sends them
/// in order through a bounded channel; this thread hands each record to `f` and sends the
/// emptied batch back to be refilled, so memory stays at a few batches whatever the file's
/// size. When `f` stops early, the channel closes and the reading thread stops at its next
/// batch.
fn read_csv_two_threads<F>(
    name: &str,
    mut src: CsvSource<'_>,
    expected: usize,
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let mut summary = ReadSummary::default();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut rec = Fields::default();
            loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                batch.clear();
                let mut end = false;
                while !batch.is_full() {
                    let at = src.lines.line;
                    match src.next(&mut rec) {
                        Ok(Some((line, blank))) => batch.push(&rec, line, blank, src.byte),
                        Ok(None) => {
                            end = true;
                            break;
                        }
                        Err(e) => {
                            batch.error = Some((e, at));
                            end = true;
                            break;
                        }
                    }
                }
                // A closed channel: the records are no longer wanted.
                if full_tx.send(batch).is_err() || end {
                    return;
                }
            }
        });
        // The receiver is moved in here, so it is dropped when this closure returns, however
        // it returns: a reading thread blocked on a full channel then wakes, and the scope can
        // join it.
        let full_rx = full_rx;
        for mut batch in &full_rx {
            for (fields, place) in batch.iter() {
                if deliver(&mut summary, expected, fields, place, &mut f).is_break() {
                    return Ok(());
                }
            }
            if let Some((e, at)) = batch.error.take() {
                return Err(csv_error(name, e, at));
            }
            // The reading thread may have ended; then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        Ok(())
    })?;
    Ok(summary)
}

fn read_jsonl<F>(
    name: &str,
    header: &[String],
    mut lines: Box<dyn BufRead + '_>,
    first: (u64, JsonPairs, u64, u64),
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let (mut line, first_pairs, first_line, blank_before) = first;
    let mut summary = ReadSummary {
        blank_lines: blank_before,
        ..ReadSummary::default()
    };
    let mut rec = Fields::default();
    let mut values: Vec<String> = vec![String::new(); header.len()];
    let mut buf = Vec::new();
    let mut progress = 0u64;
    let fill = |pairs: &JsonPairs, rec: &mut Fields, values: &mut Vec<String>| {
        for v in values.iter_mut() {
            v.clear();
        }
        for (k, v) in pairs {
            if let Some(i) = header.iter().position(|h| h == k) {
                json_text(v, &mut values[i]);
            }
        }
        rec.clear();
        for v in values.iter() {
            rec.push_field(v.as_bytes());
        }
    };
    fill(&first_pairs, &mut rec, &mut values);
    summary.records = 1;
    let record = Record {
        fields: rec.view(),
        line: first_line,
        number: 1,
        progress: 0,
        shape: Shape::Ok,
    };
    if f(&record).is_break() {
        summary.stopped = true;
        return Ok(summary);
    }
    let mut problem = String::new();
    loop {
        buf.clear();
        let n = read_line_capped(&mut lines, &mut buf)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(name).at(line + 1, 1)))?;
        if n == 0 {
            break;
        }
        progress += n as u64;
        line += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            summary.blank_lines += 1;
            continue;
        }
        summary.records += 1;
        let shape = match parse_json_object(text) {
            Ok(pairs) => {
                fill(&pairs, &mut rec, &mut values);
                Shape::Ok
            }
            Err(msg) => {
                rec.clear();
                if std::str::from_utf8(text).is_err() {
                    // Keep the bytes so the invalid encoding can be reported as such.
                    rec.push_field(text);
                    problem.clear();
                    problem.push_str("the line holds bytes that are not valid UTF-8");
                } else {
                    problem = msg;
                }
                Shape::Malformed(&problem)
            }
        };
        let record = Record {
            fields: rec.view(),
            line,
            number: summary.records,
            progress,
            shape,
        };
        if f(&record).is_break() {
            summary.stopped = true;
            break;
        }
    }
    Ok(summary)
}

fn read_xlsx<F>(
    name: &str,
    book: &mut calamine::Xlsx<BufReader<File>>,
    sheet: &str,
    header_row: u32,
    expected: usize,
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let mut cells = sheet_call(Location::file(name), || book.worksheet_cells_reader(sheet))?
        .map_err(|e| input_error(name, format!("cannot read sheet `{sheet}`: {e}")))?;
    let mut summary = ReadSummary::default();
    let mut row = RowBuilder::default();
    let mut last_row = header_row;
    loop {
        let at = Location::file(name).at(u64::from(row.row.unwrap_or(last_row)) + 2, 1);
        let cell = sheet_call(at.clone(), || cells.next_cell())?
            .map_err(|e| Error::new(ErrorKind::Input(format!("sheet `{sheet}`: {e}")), at))?;
        let (r, c, v) = match &cell {
            Some(cell) => {
                let (r, c) = cell.get_position();
                (Some(r), c, Some(cell.get_value()))
            }
            None => (None, 0, None),
        };
        if r.is_some_and(|r| r <= header_row) {
            continue;
        }
        if row.row.is_some() && row.row != r {
            let this = row.row.unwrap_or(0);
            summary.blank_lines += u64::from(this.saturating_sub(last_row).saturating_sub(1));
            last_row = this;
            if row.nonempty {
                if emit_row(&mut row, &mut summary, expected, &mut f).is_break() {
                    return Ok(summary);
                }
            } else {
                summary.blank_lines += 1;
            }
            row.row = None;
        }
        let (Some(r), Some(v)) = (r, v) else { break };
        if row.row.is_none() {
            row.start(r);
        }
        row.push(c, &CellView::from_ref(v));
    }
    Ok(summary)
}

fn read_range<F>(
    range: &calamine::Range<Data>,
    header_index: usize,
    expected: usize,
    mut f: F,
) -> ReadSummary
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let start_row = range.start().map_or(0, |s| s.0);
    let mut summary = ReadSummary::default();
    let mut row = RowBuilder::default();
    for (i, cells) in range.rows().enumerate().skip(header_index + 1) {
        let r = start_row.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        row.start(r);
        for (c, v) in cells.iter().enumerate() {
            row.push(
                u32::try_from(c).unwrap_or(u32::MAX),
                &CellView::from_data(v),
            );
        }
        if !row.nonempty {
            summary.blank_lines += 1;
            continue;
        }
        if emit_row(&mut row, &mut summary, expected, &mut f).is_break() {
            break;
        }
    }
    summary
}

/// Hands a finished spreadsheet row to `f`; true when `f` asks to stop.
fn emit_row<F>(
    row: &mut RowBuilder,
    summary: &mut ReadSummary,
    expected: usize,
    f: &mut F,
) -> ControlFlow<()>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    // Excel leaves out empty trailing cells, and formatting can leave empty cells past the last
    // column: neither is a ragged row. A value past the header is.
    if row.used > expected {
        row.rec.truncate(row.used);
    } else {
        row.rec.truncate(expected);
        while row.rec.len() < expected {
            row.rec.push_field(b"");
        }
    }
    let r = u64::from(row.row.unwrap_or(0)) + 1;
    deliver(summary, expected, row.rec.view(), (r, 0, r), f)
}

/// A spreadsheet cell's value, borrowed from either of calamine's cell types.
enum CellView<'v> {
    Empty,
    Text(&'v str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(&'v calamine::ExcelDateTime),
    Error(&'v calamine::CellErrorType),
}

impl<'v> CellView<'v> {
    fn from_ref(v: &'v DataRef<'_>) -> CellView<'v> {
        match v {
            DataRef::Empty => CellView::Empty,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                CellView::Text(s)
            }
            DataRef::SharedString(s) => CellView::Text(s),
            DataRef::Int(i) => CellView::Int(*i),
            DataRef::Float(x) => CellView::Float(*x),
            DataRef::Bool(b) => CellView::Bool(*b),
            DataRef::DateTime(d) => CellView::Date(d),
            DataRef::Error(e) => CellView::Error(e),
        }
    }

    fn from_data(v: &'v Data) -> CellView<'v> {
        match v {
            Data::Empty => CellView::Empty,
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => CellView::Text(s),
            Data::Int(i) => CellView::Int(*i),
            Data::Float(x) => CellView::Float(*x),
            Data::Bool(b) => CellView::Bool(*b),
            Data::DateTime(d) => CellView::Date(d),
            Data::Error(e) => CellView::Error(e),
        }
    }

    /// Writes the cell as a person would read it; false for an empty cell.
    fn write(&self, out: &mut String) -> bool {
        out.clear();
        match self {
            CellView::Empty => return false,
            CellView::Text(s) => out.push_str(s),
            CellView::Int(i) => {
                let _ = write!(out, "{i}");
            }
            CellView::Float(x) => write_number(out, *x),
            CellView::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
            CellView::Date(d) if d.is_datetime() => {
                let (year, month, day, hour, minute, second, _) = d.to_ymd_hms_milli();
                let _ = write!(out, "{year:04}-{month:02}-{day:02}");
                if (hour, minute, second) != (0, 0, 0) {
                    let _ = write!(out, " {hour:02}:{minute:02}:{second:02}");
                }
            }
            CellView::Date(d) => write_number(out, d.as_f64()),
            CellView::Error(e) => {
                let _ = write!(out, "{e}");
            }
        }
        true
    }
}

/// A number as a spreadsheet shows it in a general cell: whole numbers without a decimal point.
fn write_number(out: &mut String, x: f64) {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let i = x as i64;
        let _ = write!(out, "{i}");
    } else {
        let _ = write!(out, "{x}");
    }
}

/// Excel's column limit (XFD).
const MAX_SHEET_COLUMNS: u32 = 16_384;

/// Builds one spreadsheet row into a reused record.
#[derive(Default)]
struct RowBuilder {
    rec: Fields,
    text: String,
    row: Option<u32>,
    next_col: u32,
    nonempty: bool,
    /// Fields up to and including the last non-empty cell.
    used: usize,
}

impl RowBuilder {
    fn start(&mut self, row: u32) {
        self.rec.clear();
        self.row = Some(row);
        self.next_col = 0;
        self.nonempty = false;
        self.used = 0;
    }

    fn push(&mut self, col: u32, v: &CellView<'_>) {
        if col < self.next_col {
            // Out of order (not written by Excel): ignore repeats rather than shift columns.
            return;
        }
        if col >= MAX_SHEET_COLUMNS {
            // Past Excel's last column (XFD): a corrupt cell reference. Count it as a value past
            // the header without filling millions of empty cells.
            if v.write(&mut self.text) && !self.text.trim().is_empty() {
                self.nonempty = true;
                self.used = self.used.max(MAX_SHEET_COLUMNS as usize + 1);
            }
            return;
        }
        while self.next_col < col {
            self.rec.push_field(b"");
            self.next_col += 1;
        }
        let has = v.write(&mut self.text);
        self.rec.push_field(self.text.as_bytes());
        self.next_col += 1;
        if has && !self.text.trim().is_empty() {
            self.nonempty = true;
            self.used = self.rec.len();
        }
    }

    fn header(&self) -> Vec<String> {
        (0..self.used)
            .filter_map(|i| self.rec.get(i))
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }
}

fn pick_sheet(name: &str, sheets: &[String], want: Option<&str>) -> Result<String> {
    match want {
        Some(w) => sheets
            .iter()
            .find(|s| *s == w)
            .or_else(|| {
                sheets
                    .iter()
                    .find(|s| s.trim().eq_ignore_ascii_case(w.trim()))
            })
            .cloned()
            .ok_or_else(|| {
                input_error(
                    name,
                    format!(
                        "there is no sheet `{w}`; the sheets are: {}",
                        sheets
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }),
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| input_error(name, "the workbook has no sheets")),
    }
}

fn sniff_format(path: &Path, head: &[u8]) -> InputFormat {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if head.starts_with(b"PK\x03\x04") {
        return if ext == "ods" {
            InputFormat::Ods
        } else {
            InputFormat::Xlsx
        };
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return InputFormat::Xls;
    }
    match ext.as_str() {
        "jsonl" | "ndjson" | "json" => InputFormat::Jsonl,
        "csv" | "tsv" | "txt" | "tab" => InputFormat::Csv,
        _ => {
            let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            if text.trim_ascii().first() == Some(&b'{') {
                InputFormat::Jsonl
            } else {
                InputFormat::Csv
            }
        }
    }
}

fn sniff_bom(head: &[u8]) -> (Option<Encoding>, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        (Some(Encoding::Utf8), 3)
    } else if head.starts_with(b"\xFF\xFE") {
        (Some(Encoding::Utf16Le), 2)
    } else if head.starts_with(b"\xFE\xFF") {
        (Some(Encoding::Utf16Be), 2)
    } else {
        (None, 0)
    }
}

fn bom_info(enc: Encoding, given: Option<Encoding>) -> EncodingInfo {
    let mut note = format!("{} (byte-order mark)", enc.name());
    if let Some(g) = given.filter(|g| *g != enc) {
        let _ = write!(note, "; the file's byte-order mark overrides the given {g}");
    }
    EncodingInfo {
        encoding: enc,
        source: EncodingSource::ByteOrderMark,
        bom: true,
        invalid_sequences: 0,
        note,
    }
}

fn given_info(enc: Encoding) -> EncodingInfo {
    EncodingInfo {
        encoding: enc,
        source: EncodingSource::Given,
        bom: false,
        invalid_sequences: 0,
        note: format!("{} (given)", enc.name()),
    }
}

fn detected_info(scan: &Utf8Scan, partial: bool) -> EncodingInfo {
    let scope = if partial { " in the first 64 KiB" } else { "" };
    let line = scan.first_invalid_line.unwrap_or(0);
    let (encoding, note) = if scan.invalid == 0 {
        (
            Encoding::Utf8,
            if scan.multibyte == 0 {
                format!("utf-8 (detected: plain ASCII{scope})")
            } else {
                format!("utf-8 (detected: valid UTF-8{scope})")
            },
        )
    } else if scan.multibyte > scan.invalid {
        (
            Encoding::Utf8,
            format!(
                "utf-8 (detected: mostly valid UTF-8{scope}, but {} byte sequence{} not valid, \
                 the first on line {line}; each field holding one is reported)",
                scan.invalid,
                if scan.invalid == 1 { " is" } else { "s are" }
            ),
        )
    } else {
        (
            Encoding::Windows1252,
            format!(
                "windows-1252 (detected: not valid UTF-8{scope}, first non-UTF-8 byte on line \
                 {line}; read as Windows-1252, what Excel writes for CSV{})",
                // Not silent: text saved as UTF-8 elsewhere in the file is misread.
                if scan.multibyte == 0 {
                    String::new()
                } else {
                    format!(
                        ". The file mixes encodings: it also holds {} UTF-8 character{}, read as \
                         Windows-1252 too; save the whole file in one encoding",
                        scan.multibyte,
                        if scan.multibyte == 1 { "" } else { "s" }
                    )
                }
            ),
        )
    };
    EncodingInfo {
        encoding,
        source: EncodingSource::Detected,
        bom: false,
        invalid_sequences: if encoding == Encoding::Utf8 {
            scan.invalid
        } else {
            0
        },
        note,
    }
}

/// Counts of a pass over bytes checking UTF-8.
#[derive(Debug, Default)]
struct Utf8Scan {
    /// Invalid sequences.
    invalid: u64,
    /// Valid multi-byte characters.
    multibyte: u64,
    /// Line of the first invalid sequence.
    first_invalid_line: Option<u64>,
    /// Lines seen so far (1-based current line), counted until the first invalid sequence.
    line: u64,
}

impl Utf8Scan {
    fn valid(&mut self, good: &[u8]) {
        if !good.is_ascii() {
            self.multibyte += good.iter().filter(|b| **b >= 0xC0).count() as u64;
        }
        if self.first_invalid_line.is_none() {
            self.line += memchr::memchr_iter(b'\n', good).count() as u64;
        }
    }

    fn bad(&mut self) {
        self.invalid += 1;
        if self.first_invalid_line.is_none() {
            self.first_invalid_line = Some(self.line + 1);
        }
    }

    /// Checks `chunk`; returns how many bytes at its end are an incomplete sequence to carry
    /// into the next chunk (none when `last`).
    fn feed(&mut self, mut chunk: &[u8], last: bool) -> usize {
        loop {
            match std::str::from_utf8(chunk) {
                Ok(_) => {
                    self.valid(chunk);
                    return 0;
                }
                Err(e) => {
                    let (good, rest) = chunk.split_at(e.valid_up_to());
                    self.valid(good);
                    match e.error_len() {
                        Some(n) => {
                            self.bad();
                            chunk = &rest[n..];
                        }
                        None if last => {
                            self.bad();
                            return 0;
                        }
                        None => return rest.len(),
                    }
                }
            }
        }
    }
}

/// Checks a whole stream for UTF-8 validity with a fixed buffer.
fn scan_utf8(r: &mut impl Read) -> std::io::Result<Utf8Scan> {
    let mut scan = Utf8Scan::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry = 0;
    loop {
        let n = match r.read(&mut buf[carry..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let len = carry + n;
        let last = n == 0;
        let keep = scan.feed(&buf[..len], last);
        if last {
            break;
        }
        buf.copy_within(len - keep..len, 0);
        carry = keep;
    }
    Ok(scan)
}

/// The delimiter of the first line: the most frequent of comma, tab and semicolon outside
/// quotes (ties: comma, then tab, then semicolon; none: comma).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    [b',', b'\t', b';'][best]
}

/// Parses one JSON Lines line into its (key, value) pairs, in order.
fn parse_json_object(text: &[u8]) -> std::result::Result<JsonPairs, String> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = JsonPairs;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<JsonPairs, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                out.push((k, v));
            }
            Ok(out)
        }
    }
    struct Obj;
    impl<'de> serde::de::DeserializeSeed<'de> for Obj {
        type Value = JsonPairs;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<JsonPairs, D::Error> {
            d.deserialize_map(Pairs)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    // serde_json's messages can quote the line's text ("invalid type: string \"...\""): the
    // message is rebuilt from the error's category and column so no data is repeated.
    let pairs =
        serde::de::DeserializeSeed::deserialize(Obj, &mut de).map_err(|e| match e.classify() {
            serde_json::error::Category::Eof => {
                "not valid JSON: the line ends before the object does".to_owned()
            }
            serde_json::error::Category::Syntax => {
                format!("not valid JSON: a syntax error at character {}", e.column())
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                if text.first() == Some(&b'{') {
                    "not a JSON object with text keys".to_owned()
                } else {
                    "a JSON value that is not an object".to_owned()
                }
            }
        })?;
    de.end()
        .map_err(|_| "more than one JSON value on the line".to_owned())?;
    Ok(pairs)
}

/// A JSON value as the text a CSV cell would hold: strings as they are, `null` empty.
fn json_text(v: &serde_json::Value, out: &mut String) {
    out.clear();
    match v {
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push_str(s),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
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
                (3, true, vec![]),
                (4, false, vec!["true".to_owned(), String::new()]),
            ]
        );
    }
}
