//! CSV: the header, then records split at the delimiter, with quotes, embedded line breaks and
//! lone CRs handled; plain lines (no quote, no lone CR) are split without the general parser.
//! A file of 1 MiB or more may be parsed on a second thread ([`super::threaded`]).

use super::{
    EncodingInfo, Fields, InputFormat, MAX_RECORD_BYTES, MAX_RECORD_FIELDS, ReadSummary, Record,
    RowOf, Source, Table, deliver, holds_nothing, input_error, threaded::read_csv_two_threads,
};
use crate::error::{Error, ErrorKind, Location, Result};
use std::io::Read;
use std::ops::ControlFlow;

/// A CSV file's records, after the header.
pub(super) struct CsvRecords<'a> {
    src: Box<CsvSource<'a>>,
    two_threads: bool,
    /// The spreadsheet row of the header.
    header_row: u64,
}

impl<'a> Source<'a> for CsvRecords<'a> {
    fn read(
        self: Box<Self>,
        name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        let rows = RowOf::Counted {
            header: self.header_row,
        };
        read_csv(name, *self.src, (header.len(), rows), self.two_threads, f)
    }
}

/// Opens a CSV file: reads up to its header, the row `header_row` if given, else the first row
/// that holds something.
pub(super) fn open<'a>(
    name: String,
    reader: Box<dyn Read + Send + 'a>,
    info: EncodingInfo,
    delimiter: u8,
    size: u64,
    two_threads: bool,
    header_row: Option<u64>,
) -> Result<Table<'a>> {
    let mut src = CsvSource::new(reader, delimiter);
    let mut rec = Fields::default();
    // The rows above the header (blank lines, empty rows `,,,,`, a title above a given header
    // row) are skipped, each counted as the row a spreadsheet shows.
    let mut rows = 0u64;
    let (header_line, header_row) = loop {
        let Some((line, blank)) = src
            .next(&mut rec)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&name)))?
        else {
            return Err(match header_row {
                Some(n) if rows > 0 => input_error(
                    &name,
                    format!(
                        "the file ends at row {rows}: there is no row {n} to read the header on"
                    ),
                ),
                _ => input_error(&name, "the file is empty: there is no header row"),
            });
        };
        rows += blank + 1;
        let empty = holds_nothing(rec.view());
        match header_row {
            None if empty => {}
            None => break (line, rows),
            Some(n) if rows < n => {}
            Some(n) if rows == n && !empty => break (line, rows),
            Some(n) => {
                let next = if empty {
                    String::new()
                } else {
                    format!(" (row {rows} is the next that holds something)")
                };
                return Err(input_error(
                    &name,
                    format!("row {n} holds nothing: there is no header on it{next}"),
                ));
            }
        }
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
        header_row: Some(header_row),
        encoding: Some(info),
        delimiter: Some(delimiter),
        sheet: None,
        sheets: Vec::new(),
        origin: None,
        total: size,
        source: Box::new(CsvRecords {
            src: Box::new(src),
            two_threads,
            header_row,
        }),
    })
}

/// Counts lines as a text editor does: LF, CR LF and a lone CR each end a line.
#[derive(Debug)]
pub(super) struct LineCount {
    /// The current line, 1-based.
    pub(super) line: u64,
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
pub(super) struct CsvSource<'a> {
    rdr: Box<dyn Read + Send + 'a>,
    core: csv_core::Reader,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// The line `buf[pos]` is on.
    pub(super) lines: LineCount,
    /// Bytes consumed so far.
    pub(super) byte: u64,
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
        rec.joined = Some(self.delimiter);
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
    pub(super) fn next(&mut self, rec: &mut Fields) -> std::io::Result<Option<(u64, u64)>> {
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
pub(super) fn too_big(what: &str) -> std::io::Error {
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
pub(super) fn read_csv<F>(
    name: &str,
    src: CsvSource<'_>,
    layout: (usize, RowOf),
    two_threads: bool,
    f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    if two_threads {
        read_csv_two_threads(name, src, layout, f)
    } else {
        read_csv_one_thread(name, src, layout, f)
    }
}

/// Reads every CSV record into `f` on this thread. `layout` is the header's number of fields
/// and how rows are counted.
pub(super) fn read_csv_one_thread<F>(
    name: &str,
    mut src: CsvSource<'_>,
    (expected, rows): (usize, RowOf),
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
        if deliver(&mut summary, expected, rows, rec.view(), place, &mut f).is_break() {
            break;
        }
    }
    Ok(summary)
}

/// The error that stopped reading a CSV file at line `at`.
pub(super) fn csv_error(name: &str, e: std::io::Error, at: u64) -> Error {
    Error::new(ErrorKind::Io(e), Location::file(name).at(at, 1))
}
