//! CSV with a header row: converted records and rejected rows.

use super::RecordLayout;
use crate::convert::{RejectSink, Rejected};
use crate::io;
use crate::text::cell_safe;
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
pub const REJECT_COLUMNS: [&str; 8] = [
    "line",
    "record",
    "column",
    "value",
    "rule",
    "rule_name",
    "reason",
    "suggestion",
];

/// Writes rejected records as CSV with [`REJECT_COLUMNS`].
pub struct RejectWriter<W: Write> {
    w: csv::Writer<W>,
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
        Ok(RejectWriter { w })
    }

    /// Flushes and hands back the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(csv::IntoInnerError::into_error)
    }
}

impl<W: Write> RejectSink for RejectWriter<W> {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        let (line, record) = (r.line.to_string(), r.record.to_string());
        self.w
            .write_record([
                line.as_str(),
                &record,
                &cell_safe(r.column.unwrap_or("")),
                &cell_safe(r.value.unwrap_or("")),
                r.rejection.rule.id,
                r.rejection.rule.name,
                &cell_safe(&r.rejection.reason),
                &cell_safe(r.rejection.suggestion.as_deref().unwrap_or("")),
            ])
            .map_err(csv_io)
    }
}
