//! Workbooks: Excel (`.xlsx`, `.xls`) and `OpenDocument` (`.ods`) sheets through calamine, with
//! their declared sizes checked before they are opened (zip bombs) and the reader's panics
//! caught. Built with the feature `excel`.

use super::{
    Fields, InputFormat, ReadOptions, ReadSummary, Record, RowOf, Seekable, Source, Table, deliver,
    input_error, io_error, same_name,
};
use crate::error::{Error, ErrorKind, Location, Result};
use calamine::{Data, DataRef, Reader as _};
use std::fmt::Write as _;
use std::io::{BufReader, SeekFrom};
use std::ops::ControlFlow;

/// A workbook's bytes as calamine reads them: a file, or a file in a browser.
type Bytes = BufReader<Box<dyn Seekable>>;

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
/// The reader is left at the start.
pub(super) fn check_workbook_size(
    reader: &mut dyn Seekable,
    name: &str,
    format: InputFormat,
) -> Result<()> {
    let checked = zip_sizes(&mut *reader, name, format);
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| io_error(name, e))?;
    checked
}

fn zip_sizes(reader: &mut dyn Seekable, name: &str, format: InputFormat) -> Result<()> {
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(reader)) else {
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

pub(super) fn bomb(name: &str, what: &str, size: u64, limit: u64) -> Error {
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

/// Calls into the spreadsheet reader with its panics caught. On some malformed workbooks
/// calamine overflows an integer (found by fuzzing: a cell reference with too many digits);
/// with overflow checks on, as in a debug build, that is a panic, which must be an error naming
/// the file, never a crash. (With `panic = "abort"` nothing can be caught.)
pub(super) fn sheet_call<T>(at: Location, call: impl FnOnce() -> T) -> Result<T> {
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

/// An `.xlsx` sheet's rows, streamed cell by cell after the header row.
pub(super) struct XlsxRecords {
    book: Box<calamine::Xlsx<Bytes>>,
    sheet: String,
    header_row: u32,
}

impl Source<'static> for XlsxRecords {
    fn read(
        mut self: Box<Self>,
        name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        read_xlsx(
            name,
            &mut self.book,
            &self.sheet,
            self.header_row,
            header.len(),
            f,
        )
    }
}

/// An `.xls` or `.ods` sheet, read whole, after the header row.
pub(super) struct RangeRecords {
    range: Box<calamine::Range<Data>>,
    header_index: usize,
}

impl Source<'static> for RangeRecords {
    fn read(
        self: Box<Self>,
        _name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        Ok(read_range(&self.range, self.header_index, header.len(), f))
    }
}

pub(super) fn open_xlsx(
    mut reader: Box<dyn Seekable>,
    name: String,
    opts: &ReadOptions,
) -> Result<Table<'static>> {
    check_workbook_size(&mut *reader, &name, InputFormat::Xlsx)?;
    let mut book: calamine::Xlsx<Bytes> = sheet_call(Location::file(&name), || {
        calamine::Xlsx::new(BufReader::new(reader))
    })?
    .map_err(|e| input_error(&name, format!("cannot read it as an Excel workbook: {e}")))?;
    let sheets = book.sheet_names();
    let sheet = pick_sheet(&name, &sheets, opts.sheet.as_deref())?;
    let wanted = wanted_row(&name, &sheet, opts.header_row)?;
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
            // With a header row given, the rows above it are skipped and the reading stops
            // after it.
            match wanted {
                Some(w) if r < w => continue,
                Some(w) if r > w => break,
                _ => {}
            }
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
            return Err(no_header(&name, &sheet, opts.header_row));
        };
        (header, header_row, total)
    };
    Ok(Table {
        name,
        format: InputFormat::Xlsx,
        header,
        header_line: u64::from(header_row) + 1,
        header_row: Some(u64::from(header_row) + 1),
        encoding: None,
        delimiter: None,
        sheet: Some(sheet.clone()),
        sheets,
        origin: None,
        total,
        source: Box::new(XlsxRecords {
            book: Box::new(book),
            sheet,
            header_row,
        }),
    })
}

pub(super) fn open_range(
    mut reader: Box<dyn Seekable>,
    name: String,
    format: InputFormat,
    opts: &ReadOptions,
) -> Result<Table<'static>> {
    check_workbook_size(&mut *reader, &name, format)?;
    let bytes = BufReader::new(reader);
    let mut book = sheet_call(Location::file(&name), || {
        if format == InputFormat::Ods {
            calamine::Ods::new(bytes)
                .map(calamine::Sheets::Ods)
                .map_err(calamine::Error::Ods)
        } else {
            calamine::Xls::new(bytes)
                .map(calamine::Sheets::Xls)
                .map_err(calamine::Error::Xls)
        }
    })?
    .map_err(|e| input_error(&name, format!("cannot read it as a spreadsheet: {e}")))?;
    let sheets = book.sheet_names();
    let sheet = pick_sheet(&name, &sheets, opts.sheet.as_deref())?;
    let wanted = wanted_row(&name, &sheet, opts.header_row)?;
    let range = sheet_call(Location::file(&name), || book.worksheet_range(&sheet))?
        .map_err(|e| input_error(&name, format!("cannot read sheet `{sheet}`: {e}")))?;
    let start_row = range.start().map_or(0, |s| s.0);
    let mut header = None;
    // With a header row given, only that row (the range may start below it: then it is empty).
    let first = match wanted {
        Some(w) => w
            .checked_sub(start_row)
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(usize::MAX),
        None => 0,
    };
    for (i, cells) in range.rows().enumerate().skip(first) {
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
        }
        if row.nonempty || wanted.is_some() {
            break;
        }
    }
    let Some((header, header_index)) = header else {
        return Err(no_header(&name, &sheet, opts.header_row));
    };
    let total = u64::from(range.end().map_or(0, |e| e.0)) + 1;
    Ok(Table {
        name,
        format,
        header,
        header_line: u64::from(start_row) + header_index as u64 + 1,
        header_row: Some(u64::from(start_row) + header_index as u64 + 1),
        encoding: None,
        delimiter: None,
        sheet: Some(sheet),
        sheets,
        origin: None,
        total,
        source: Box::new(RangeRecords {
            range: Box::new(range),
            header_index,
        }),
    })
}

pub(super) fn read_xlsx<F>(
    name: &str,
    book: &mut calamine::Xlsx<Bytes>,
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

pub(super) fn read_range<F>(
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
pub(super) fn emit_row<F>(
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
    deliver(summary, expected, RowOf::Line, row.rec.view(), (r, 0, r), f)
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
pub(super) fn write_number(out: &mut String, x: f64) {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let i = x as i64;
        let _ = write!(out, "{i}");
    } else {
        let _ = write!(out, "{x}");
    }
}

/// Excel's column limit (XFD).
pub(super) const MAX_SHEET_COLUMNS: u32 = 16_384;

/// Builds one spreadsheet row into a reused record.
#[derive(Default)]
pub(super) struct RowBuilder {
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
            if v.write(&mut self.text) && !crate::text::is_blank(&self.text) {
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
        if has && !crate::text::is_blank(&self.text) {
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

/// The 0-based sheet row of a 1-based `--header-row`, if one is given.
fn wanted_row(name: &str, sheet: &str, header_row: Option<u64>) -> Result<Option<u32>> {
    header_row
        .map(|n| {
            n.checked_sub(1)
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| {
                    input_error(
                        name,
                        format!("sheet `{sheet}` has no row {n}: rows are numbered from 1"),
                    )
                })
        })
        .transpose()
}

/// The error for a sheet with no header: empty, or empty on the row given.
fn no_header(name: &str, sheet: &str, header_row: Option<u64>) -> Error {
    match header_row {
        None => input_error(
            name,
            format!("sheet `{sheet}` is empty: there is no header row"),
        ),
        Some(n) => input_error(
            name,
            format!("row {n} of sheet `{sheet}` is empty: there is no header on it"),
        ),
    }
}

/// The sheet `want` names: a sheet of that name (exactly, else ignoring case and surrounding
/// spaces), else, for a number, the sheet of that 1-based number; the first sheet when none is
/// asked for. A sheet named with digits is found by its name first.
pub(super) fn pick_sheet(name: &str, sheets: &[String], want: Option<&str>) -> Result<String> {
    let listed = || {
        sheets
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} `{s}`", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(w) = want else {
        return sheets
            .first()
            .cloned()
            .ok_or_else(|| input_error(name, "the workbook has no sheets"));
    };
    if let Some(s) = sheets
        .iter()
        .find(|s| *s == w)
        .or_else(|| sheets.iter().find(|s| same_name(s, w)))
    {
        return Ok(s.clone());
    }
    let number = w.trim();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        return match number.parse::<usize>() {
            Ok(n @ 1..) if n <= sheets.len() => Ok(sheets[n - 1].clone()),
            _ => Err(input_error(
                name,
                format!(
                    "there is no sheet {number}: the workbook has {} sheet{}: {}",
                    sheets.len(),
                    if sheets.len() == 1 { "" } else { "s" },
                    listed()
                ),
            )),
        };
    }
    Err(input_error(
        name,
        format!(
            "there is no sheet `{w}`; the sheets are: {} (--sheet takes a name or a number)",
            listed()
        ),
    ))
}
