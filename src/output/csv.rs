//! CSV with a header row: converted records, rejected rows, findings and count tables. Text a
//! spreadsheet would run as a formula is prefixed with `'` in rejects and findings.

use super::{FindingsWriter, RecordLayout};
use crate::aggregate::CountTable;
use crate::convert::{RejectSink, Rejected};
use crate::io;
use crate::text::cell_safe;
use crate::validate::{Finding, Report, Sink};
use std::borrow::Cow;
use std::fmt;
use std::io::Write;

/// Converted records as CSV: every input field byte for byte, quoted only where it must be.
pub(super) struct CsvRecords;

impl RecordLayout for CsvRecords {
    fn title(&self) -> &'static str {
        "CSV"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["csv", "txt", "tsv"]
    }

    fn header(&self, line: &mut Vec<u8>, columns: &[&str]) {
        for (i, name) in columns.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            push_field(line, name.as_bytes());
        }
        line.push(b'\n');
    }

    fn inputs(
        &self,
        line: &mut Vec<u8>,
        record: &io::Record<'_>,
        keep: &[usize],
        _names: &[String],
    ) -> std::io::Result<()> {
        for (n, &i) in keep.iter().enumerate() {
            if n > 0 {
                line.push(b',');
            }
            push_field(line, record.bytes(i).unwrap_or_default());
        }
        Ok(())
    }

    fn added(
        &self,
        line: &mut Vec<u8>,
        first: bool,
        _name: &str,
        value: &str,
    ) -> std::io::Result<()> {
        if !first {
            line.push(b',');
        }
        push_field(line, value.as_bytes());
        Ok(())
    }

    fn end(&self, line: &mut Vec<u8>) {
        line.push(b'\n');
    }
}

/// Appends `field` to a CSV line, quoted only when it must be (a comma, quote or line break).
fn push_field(line: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        line.push(b'"');
        for &b in field {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(field);
    }
}

/// A CSV error as the I/O error it is (or wraps).
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// The columns of a rejects file.
pub const REJECT_COLUMNS: [&str; 9] = [
    "line",
    "record",
    "row",
    "column",
    "value",
    "rule",
    "rule_name",
    "reason",
    "suggestion",
];

/// Writes rejected records as CSV with [`REJECT_COLUMNS`], after a `file` column when made by
/// [`with_file_column`](RejectWriter::with_file_column) (rejects of several inputs).
pub struct RejectWriter<W: Write> {
    w: csv::Writer<W>,
    /// The input the next rejects come from, when the file has a `file` column.
    file: Option<String>,
}

impl<W: Write> fmt::Debug for RejectWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectWriter").finish_non_exhaustive()
    }
}

impl<W: Write> RejectWriter<W> {
    /// A writer; the header row is written now.
    pub fn new(w: W) -> std::io::Result<Self> {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(REJECT_COLUMNS).map_err(csv_io)?;
        Ok(RejectWriter { w, file: None })
    }

    /// A writer whose first column, `file`, names the input of each reject (set with
    /// [`set_file`](RejectWriter::set_file)); the header row is written now.
    pub fn with_file_column(w: W) -> std::io::Result<Self> {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(std::iter::once("file").chain(REJECT_COLUMNS))
            .map_err(csv_io)?;
        Ok(RejectWriter {
            w,
            file: Some(String::new()),
        })
    }

    /// The input the next rejects come from (ignored without a `file` column).
    pub fn set_file(&mut self, name: &str) {
        if let Some(f) = &mut self.file {
            name.clone_into(f);
        }
    }

    /// Flushes and hands back the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(csv::IntoInnerError::into_error)
    }
}

impl<W: Write> RejectSink for RejectWriter<W> {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        let (line, record) = (r.line.to_string(), r.record.to_string());
        let row = r.row.map(|n| n.to_string()).unwrap_or_default();
        if let Some(f) = &self.file {
            self.w
                .write_field(cell_safe(f).as_bytes())
                .map_err(csv_io)?;
        }
        self.w
            .write_record([
                line.as_str(),
                &record,
                &row,
                &cell_safe(r.column.unwrap_or("")),
                &cell_safe(r.value.unwrap_or("")),
                r.rejection.rule.id(),
                r.rejection.rule.name(),
                &cell_safe(&r.rejection.reason),
                &cell_safe(r.rejection.suggestion.as_deref().unwrap_or("")),
            ])
            .map_err(csv_io)
    }
}

/// The columns of findings as CSV.
pub const FINDING_COLUMNS: [&str; 10] = [
    "rule",
    "name",
    "severity",
    "line",
    "record",
    "row",
    "column",
    "value",
    "message",
    "suggestion",
];

/// Writes findings as CSV with [`FINDING_COLUMNS`], one finding a row. The header row is
/// written with the first finding (or at [`finish`](FindingsWriter::finish)), so a run that
/// stops before validating writes nothing.
pub struct CsvFindings<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> fmt::Debug for CsvFindings<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvFindings").finish_non_exhaustive()
    }
}

impl<W: Write> CsvFindings<W> {
    /// A writer to `w`.
    pub fn new(w: W) -> Self {
        CsvFindings {
            out: csv::Writer::from_writer(w),
            header_written: false,
        }
    }

    fn header(&mut self) -> std::io::Result<()> {
        if !self.header_written {
            self.out.write_record(FINDING_COLUMNS).map_err(csv_io)?;
            self.header_written = true;
        }
        Ok(())
    }
}

impl<W: Write> Sink for CsvFindings<W> {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        fn text(s: Option<&str>) -> Cow<'_, str> {
            cell_safe(s.unwrap_or(""))
        }
        self.header()?;
        let num = |n: Option<u64>| Cow::Owned(n.map(|n| n.to_string()).unwrap_or_default());
        let fields: [Cow<'_, str>; 10] = [
            Cow::Borrowed(f.rule.id()),
            Cow::Borrowed(f.rule.name()),
            Cow::Borrowed(f.severity.name()),
            num(f.line),
            num(f.record),
            num(f.row),
            text(f.column.as_deref()),
            text(f.value.as_deref()),
            cell_safe(&f.message),
            text(f.suggestion.as_deref()),
        ];
        self.out
            .write_record(fields.iter().map(|c| c.as_bytes()))
            .map_err(csv_io)?;
        Ok(())
    }
}

impl<W: Write> FindingsWriter for CsvFindings<W> {
    fn finish(&mut self, _report: &Report) -> std::io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

/// The columns of a count table as CSV.
pub const TABLE_COLUMNS: [&str; 5] = ["code", "label", "level", "count", "placement"];

/// Writes a count table as CSV with [`TABLE_COLUMNS`].
pub(super) fn write_table<W: Write>(w: W, table: &CountTable) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(w);
    w.write_record(TABLE_COLUMNS).map_err(csv_io)?;
    for r in &table.rows {
        w.write_record([
            r.code.code(),
            r.label,
            r.level.name(),
            &r.count.to_string(),
            r.placement.name(),
        ])
        .map_err(csv_io)?;
    }
    w.flush()
}
