//! Converted records as an Excel workbook (`convert --format xlsx`, feature `xlsx`): a Summary
//! sheet (the run's summary and its counts), a Records sheet (the columns the CSV output has) and
//! a Rejects sheet (the columns of `--rejects`, with the row as Excel shows it). The Records and
//! Rejects sheets have a frozen header and filters. Every value is written as text, so Excel never
//! turns `0101` into 101, a SNOMED CT id into 9.77E+14 or a date into a number; only line, record
//! and row numbers are numbers. The workbook is built in memory (no temporary file holds any of
//! it) and written whole when the run ends.
//!
//! An Excel sheet holds [`MAX_SHEET_ROWS`] rows, its header included: a run with more converted
//! records (or more rejects) stops with an error when the first record past the limit comes, and
//! nothing is written. A sheet is never cut short.

use super::RunReport;
use super::records::{ColumnKind, RecordCells, RejectCell, reject_cells};
use super::text::thousands;
use super::xlsx::{col, header, io, number, summary_rows, table_done};
use super::{AddedColumns, REJECT_COLUMNS};
use crate::convert::{Converted, RecordSink, RejectSink, Rejected};
use crate::io as input;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// The rows of an Excel sheet, its header row included.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

/// The columns of an Excel sheet.
const MAX_SHEET_COLUMNS: usize = 16_384;

/// Converted records written as a workbook when [`finish`](XlsxRecords::finish)ed; its Rejects
/// sheet is filled through [`XlsxRecords::rejects`].
pub struct XlsxRecords<W: Write> {
    out: W,
    cells: RecordCells,
    names: Vec<String>,
    kinds: Vec<ColumnKind>,
    sheet: Worksheet,
    /// The next row of the Records sheet.
    at: u32,
    rejects: Arc<Mutex<RejectsSheet>>,
    limit: u32,
}

impl<W: Write> std::fmt::Debug for XlsxRecords<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxRecords")
            .field("columns", &self.names)
            .field("records", &(self.at - 1))
            .finish_non_exhaustive()
    }
}

/// The Rejects sheet being filled.
struct RejectsSheet {
    sheet: Worksheet,
    at: u32,
    limit: u32,
}

/// Where a workbook's rejects go: its Rejects sheet (a handle on the sheet of the
/// [`XlsxRecords`] it came from).
#[derive(Clone)]
pub struct XlsxRejects(Arc<Mutex<RejectsSheet>>);

impl std::fmt::Debug for XlsxRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxRejects").finish_non_exhaustive()
    }
}

/// The error of a sheet full at `limit` rows, naming what was being written.
fn full(what: &str, limit: u32) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "more than {} {what}: an Excel sheet holds {} rows with its header, and a workbook \
             is never cut short, so none was written; write CSV or Parquet (--format csv, \
             --format parquet), or split the input",
            thousands(u64::from(limit - 1)),
            thousands(u64::from(limit))
        ),
    )
}

impl<W: Write> XlsxRecords<W> {
    /// A workbook for records read with `header`, adding the columns `added`, to be written to
    /// `w`. More columns than an Excel sheet holds (16,384) is an
    /// [`std::io::ErrorKind::InvalidInput`] error, as is a header [`super::RecordWriter::new`]
    /// refuses.
    pub fn new<S: AsRef<str>>(w: W, header: &[S], added: AddedColumns) -> std::io::Result<Self> {
        Self::with_limit(w, header, added, MAX_SHEET_ROWS)
    }

    fn with_limit<S: AsRef<str>>(
        w: W,
        header_row: &[S],
        added: AddedColumns,
        limit: u32,
    ) -> std::io::Result<Self> {
        let cells = RecordCells::new(header_row, added)?;
        let columns = cells.columns();
        if columns.len() > MAX_SHEET_COLUMNS {
            return Err(super::records::invalid_input(format!(
                "the records would have {} columns: an Excel sheet holds {}; choose fewer added \
                 columns (--columns) or write CSV",
                thousands(columns.len() as u64),
                thousands(MAX_SHEET_COLUMNS as u64)
            )));
        }
        let names: Vec<String> = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
        let kinds = columns.iter().map(|(_, k)| *k).collect();
        let mut sheet = Worksheet::new();
        header(&mut sheet, "Records", names.iter().map(String::as_str)).map_err(io)?;
        let mut rejects = Worksheet::new();
        header(&mut rejects, "Rejects", REJECT_COLUMNS).map_err(io)?;
        Ok(XlsxRecords {
            out: w,
            cells,
            names,
            kinds,
            sheet,
            at: 1,
            rejects: Arc::new(Mutex::new(RejectsSheet {
                sheet: rejects,
                at: 1,
                limit,
            })),
            limit,
        })
    }

    /// The Records sheet's column names.
    pub fn columns(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Where the rejects of the run go: the workbook's Rejects sheet, with
    /// [`REJECT_COLUMNS`](super::REJECT_COLUMNS).
    pub fn rejects(&self) -> XlsxRejects {
        XlsxRejects(Arc::clone(&self.rejects))
    }

    /// Builds the workbook, the Summary sheet from `run`, writes it and hands the writer back.
    pub fn finish(mut self, run: &RunReport<'_>) -> std::io::Result<W> {
        let mut book = Workbook::new();
        summary(book.add_worksheet(), run).map_err(io)?;
        table_done(&mut self.sheet, self.at - 1, self.names.len()).map_err(io)?;
        book.push_worksheet(self.sheet);
        let mut rejects =
            std::mem::take(&mut *self.rejects.lock().unwrap_or_else(PoisonError::into_inner));
        table_done(&mut rejects.sheet, rejects.at - 1, REJECT_COLUMNS.len()).map_err(io)?;
        book.push_worksheet(rejects.sheet);
        let bytes = book.save_to_buffer().map_err(io)?;
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl Default for RejectsSheet {
    fn default() -> Self {
        RejectsSheet {
            sheet: Worksheet::new(),
            at: 1,
            limit: MAX_SHEET_ROWS,
        }
    }
}

/// A whole number written as one (a carried position may be any text: written as text).
fn position(sheet: &mut Worksheet, at: u32, c: u16, v: &str) -> Result<(), XlsxError> {
    match v.parse::<u64>() {
        Ok(n) => sheet.write_number(at, c, number(n)).map(|_| ()),
        Err(_) => sheet.write_string(at, c, v).map(|_| ()),
    }
}

impl<W: Write> RecordSink for XlsxRecords<W> {
    fn record(&mut self, rec: &input::Record<'_>, c: &Converted<'_>) -> std::io::Result<()> {
        if self.at >= self.limit {
            return Err(full("converted records", self.limit));
        }
        let (at, sheet, names, kinds) = (self.at, &mut self.sheet, &self.names, &self.kinds);
        let mut i = 0usize;
        self.cells.each(rec, c, |v| {
            let written = match (kinds[i], v) {
                (_, None) => Ok(()),
                (ColumnKind::Position, Some(v)) => position(sheet, at, col(i), v),
                (_, Some(v)) => sheet.write_string(at, col(i), v).map(|_| ()),
            };
            if let Err(e) = written {
                return Err(match e {
                    XlsxError::MaxStringLengthExceeded => std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "line {}, column `{}`: the value is longer than 32,767 characters, \
                             the most an Excel cell holds (it is not shown); write CSV or \
                             Parquet instead",
                            rec.line(),
                            names[i]
                        ),
                    ),
                    e => io(e),
                });
            }
            i += 1;
            Ok(())
        })?;
        self.at += 1;
        Ok(())
    }
}

impl RejectSink for XlsxRejects {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if s.at >= s.limit {
            return Err(full("rejected records", s.limit));
        }
        let at = s.at;
        for (i, cell) in reject_cells(r).into_iter().enumerate() {
            match cell {
                RejectCell::Number(Some(n)) => s.sheet.write_number(at, col(i), number(n)),
                RejectCell::Text(Some(t)) => s.sheet.write_string(at, col(i), t),
                RejectCell::Number(None) | RejectCell::Text(None) => continue,
            }
            .map_err(io)?;
        }
        s.at += 1;
        Ok(())
    }
}

/// The Summary sheet: the run's summary as the text summary says it, then its counts as
/// numbers (records read = converted + rejected; blank rows are not records).
fn summary(sheet: &mut Worksheet, run: &RunReport<'_>) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let mut at = summary_rows(sheet, run.lines.iter().map(|(k, v)| (k, v)))? + 1;
    let s = run.summary;
    let mut counts: Vec<(String, u64)> = vec![
        ("Records read".into(), s.rows),
        ("Converted".into(), s.converted),
        ("Rejected".into(), s.rejected),
        ("Blank or empty rows (not records)".into(), s.blank_lines),
    ];
    counts.extend(
        crate::standard::Level::ALL
            .iter()
            .map(|l| (format!("Converted at level {}", l.name()), s.at_level(*l))),
    );
    counts.extend(
        s.by_rule
            .iter()
            .map(|(rule, n)| (format!("Rejected {} {}", rule.id(), rule.name()), *n)),
    );
    sheet.write_string_with_format(at, 0, "Count", &bold)?;
    sheet.write_string_with_format(at, 1, "Records", &bold)?;
    for (k, n) in counts {
        at += 1;
        sheet.write_string(at, 0, k)?;
        sheet.write_number(at, 1, number(n))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Converter, Plan, StreamError, convert_stream};
    use crate::io::{ReadOptions, Table};
    use crate::resolve::labels::Synonyms;
    use crate::scheme::Registry;
    use crate::spec::SchemeFrom;

    #[test]
    fn a_sheet_past_its_rows_stops_the_run_and_says_why() {
        let registry = Registry::new();
        let plan = Plan::new("e", SchemeFrom::Fixed("nhs-ethnic-category".into()));
        let run = |input: &[u8], limit: u32| {
            let table = Table::from_reader("r.csv", input, &ReadOptions::default()).unwrap();
            let conv = Converter::new(
                &registry,
                Synonyms::builtin(),
                &plan,
                table.header(),
                "r.csv",
            )
            .unwrap();
            let mut out =
                XlsxRecords::with_limit(Vec::new(), table.header(), AddedColumns::default(), limit)
                    .unwrap();
            let mut rejects = out.rejects();
            convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).map(|s| (s, out))
        };
        // Three records and three rejects fit under a header in four rows.
        let (summary, out) = run(b"e\nA\nB\nC\nQQ\nQQ\nQQ\n", 4).unwrap();
        assert_eq!((summary.converted, summary.rejected), (3, 3));
        let lines = [("file".to_owned(), "r.csv".to_owned())];
        let book = out
            .finish(&RunReport {
                lines: &lines,
                summary: &summary,
            })
            .unwrap();
        assert!(book.starts_with(b"PK"), "a zip");
        // One row fewer: the third record has no row; the run stops, saying so.
        let e = run(b"e\nA\nB\nC\n", 3).map(|_| ()).unwrap_err();
        let StreamError::Write(e) = e else {
            panic!("{e}")
        };
        assert!(
            e.to_string().starts_with("more than 2 converted records"),
            "{e}"
        );
        let e = run(b"e\nA\nQQ\nQQ\nQQ\n", 3).map(|_| ()).unwrap_err();
        let StreamError::Rejects(e) = e else {
            panic!("{e}")
        };
        assert!(
            e.to_string().starts_with("more than 2 rejected records"),
            "{e}"
        );
    }
}
