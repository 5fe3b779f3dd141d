//! Findings as an Excel workbook (`validate --format xlsx`, feature `xlsx`): a summary sheet and a
//! findings sheet with a frozen header, filters on every column, and the row number as Excel
//! shows it in the return. Every cell holding a code, a value or a message is written as text,
//! so Excel never turns `0101` into 101 or a long code into 9.77E+14. The workbook is built in
//! memory (no temporary file holds any of it) and written whole at the end.

use super::text::{read_as, thousands};
use super::{FINDING_COLUMNS, FindingsContext, FindingsWriter};
use crate::rules::Severity;
use crate::validate::{Finding, Report, Sink};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::io::Write;

/// How many findings the findings sheet lists; the summary sheet says how many more there were
/// (`--format csv` lists every one). Keeps the workbook's memory bounded.
pub const MAX_XLSX_FINDINGS: usize = 100_000;

/// Writes findings as a workbook at [`finish`](FindingsWriter::finish).
pub struct XlsxFindings<'a, W: Write> {
    out: W,
    context: FindingsContext<'a>,
    findings: Vec<Finding>,
}

impl<W: Write> std::fmt::Debug for XlsxFindings<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxFindings")
            .field("findings", &self.findings.len())
            .finish_non_exhaustive()
    }
}

impl<'a, W: Write> XlsxFindings<'a, W> {
    /// A writer to `w`.
    pub fn new(w: W, context: FindingsContext<'a>) -> Self {
        XlsxFindings {
            out: w,
            context,
            findings: Vec::new(),
        }
    }
}

impl<W: Write> Sink for XlsxFindings<'_, W> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        if self.findings.len() < MAX_XLSX_FINDINGS {
            self.findings.push(finding);
        }
        Ok(())
    }

    fn wants_findings(&self) -> bool {
        self.findings.len() < MAX_XLSX_FINDINGS
    }
}

/// A workbook's error as an I/O error.
pub(super) fn io(e: XlsxError) -> std::io::Error {
    std::io::Error::other(e)
}

/// A row or record number as a cell's number.
pub(super) fn number(n: u64) -> f64 {
    // Row and record numbers are far below 2^53: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let x = n as f64;
    x
}

/// Column `i` of a sheet (callers keep to Excel's 16,384 columns).
pub(super) fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Names `sheet` and writes its header row of `names`, in bold.
pub(super) fn header<'n>(
    sheet: &mut Worksheet,
    name: &str,
    names: impl IntoIterator<Item = &'n str>,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name(name)?;
    for (i, h) in names.into_iter().enumerate() {
        sheet.write_string_with_format(0, col(i), h, &bold)?;
    }
    Ok(())
}

/// Freezes the header row of `sheet` and puts filters on its `columns` columns, down to row
/// `last`.
pub(super) fn table_done(
    sheet: &mut Worksheet,
    last: u32,
    columns: usize,
) -> Result<(), XlsxError> {
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last.max(1), col(columns.saturating_sub(1)))?;
    Ok(())
}

/// Names `sheet` "Summary" and writes `rows` down its first two columns from the top, each
/// label in bold; the row after the last is returned.
pub(super) fn summary_rows(
    sheet: &mut Worksheet,
    rows: impl IntoIterator<Item = (impl AsRef<str>, impl AsRef<str>)>,
) -> Result<u32, XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name("Summary")?;
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 60)?;
    let mut at = 0u32;
    for (k, v) in rows {
        sheet.write_string_with_format(at, 0, k.as_ref(), &bold)?;
        sheet.write_string(at, 1, v.as_ref())?;
        at += 1;
    }
    Ok(at)
}

impl<W: Write> FindingsWriter for XlsxFindings<'_, W> {
    fn finish(&mut self, r: &Report) -> std::io::Result<()> {
        let mut book = Workbook::new();
        summary(book.add_worksheet(), r, &self.context, self.findings.len()).map_err(io)?;
        findings(book.add_worksheet(), &self.findings).map_err(io)?;
        let bytes = book.save_to_buffer().map_err(io)?;
        self.out.write_all(&bytes)?;
        self.out.flush()
    }
}

fn summary(
    sheet: &mut Worksheet,
    r: &Report,
    context: &FindingsContext<'_>,
    listed: usize,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let result = match (r.errors, r.queries) {
        (0, 0) => "no errors and no queries: the return is ready to submit".to_owned(),
        (0, q) => format!(
            "no errors; {} queries for a person to confirm",
            thousands(q)
        ),
        (e, _) => format!("{} errors: correct them before submitting", thousands(e)),
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("File", r.file.clone()),
        (
            "Read as",
            read_as(
                r.format,
                r.delimiter.as_deref(),
                r.sheet.as_deref(),
                (r.header_line, r.header_row),
            ),
        ),
        ("Records", thousands(r.records)),
        ("Standard", r.standard_version.to_owned()),
        ("Result", result),
    ];
    if let Some(c) = context.council {
        rows.push(("Council", format!("{} {}", c.code, c.name)));
    }
    let total = r.errors + r.queries;
    if (listed as u64) < total {
        rows.push((
            "Findings listed",
            format!(
                "the first {} of {} (--format csv lists every one)",
                thousands(listed as u64),
                thousands(total)
            ),
        ));
    }
    let mut at = summary_rows(sheet, rows)? + 1;
    for (i, h) in ["Rule", "Name", "Errors", "Queries"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string_with_format(at, col(i), h, &bold)?;
    }
    for rc in &r.rules {
        at += 1;
        sheet.write_string(at, 0, rc.rule.id())?;
        sheet.write_string(at, 1, rc.name)?;
        sheet.write_number(at, 2, number(rc.errors))?;
        sheet.write_number(at, 3, number(rc.queries))?;
    }
    Ok(())
}

fn findings(sheet: &mut Worksheet, findings: &[Finding]) -> Result<(), XlsxError> {
    header(sheet, "Findings", FINDING_COLUMNS)?;
    let mut at = 0u32;
    for f in findings {
        at += 1;
        let text = [
            f.rule.id(),
            f.rule.name(),
            match f.severity {
                Severity::Error => "error",
                Severity::Query => "query",
            },
        ];
        for (i, name) in FINDING_COLUMNS.iter().enumerate() {
            let col = col(i);
            match *name {
                "rule" => sheet.write_string(at, col, text[0])?,
                "name" => sheet.write_string(at, col, text[1])?,
                "severity" => sheet.write_string(at, col, text[2])?,
                "line" | "record" | "row" => {
                    let n = match *name {
                        "line" => f.line,
                        "record" => f.record,
                        _ => f.row,
                    };
                    match n {
                        Some(n) => sheet.write_number(at, col, number(n))?,
                        None => sheet,
                    }
                }
                "column" => sheet.write_string(at, col, f.column.as_deref().unwrap_or(""))?,
                "value" => sheet.write_string(at, col, f.value.as_deref().unwrap_or(""))?,
                "message" => sheet.write_string(at, col, &f.message)?,
                _ => sheet.write_string(at, col, f.suggestion.as_deref().unwrap_or(""))?,
            };
        }
    }
    table_done(sheet, at, FINDING_COLUMNS.len())
}
