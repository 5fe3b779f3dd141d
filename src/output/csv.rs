//! CSV with a header row: converted records, rejected rows, findings and count tables. Text a
//! spreadsheet would run as a formula is prefixed with `'` in rejects and findings.

use super::records::{POSITION_COLUMNS, Positions, invalid_input};
use super::{FindingsWriter, RecordLayout};
use crate::aggregate::CountTable;
use crate::convert::{RejectSink, Rejected};
use crate::disclosure::PublishedTable;
use crate::evidence::{DimensionRole, EVIDENCE_HEAD, EVIDENCE_TAIL, EvidenceTable, Figure};
use crate::io;
use crate::rates::RateTable;
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
        // Every field kept, from a plain comma-separated line: the line is its own CSV (no field
        // needs quotes), copied at once.
        if let Some((plain, b',')) = record
            .plain_line()
            .filter(|_| super::records::keeps_every(keep, record))
        {
            line.extend_from_slice(plain);
            return Ok(());
        }
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

/// The columns that follow the input's in a full-row rejects file, after [`POSITION_COLUMNS`]:
/// why the row was rejected. An input holding them (an earlier run's full-row rejects, fixed
/// and converted again) has them dropped from the output and from its own rejects.
pub const REJECT_REASON_COLUMNS: [&str; 5] = [
    "wm_column",
    "wm_rule",
    "wm_rule_name",
    "wm_reason",
    "wm_suggestion",
];

/// Writes rejected records as CSV. Narrow ([`new`](RejectWriter::new)): [`REJECT_COLUMNS`], after
/// a `file` column when made by [`with_file_column`](RejectWriter::with_file_column) (rejects of
/// several inputs); no other column of the record. Full rows
/// ([`full_rows`](RejectWriter::full_rows)): the input row, then [`POSITION_COLUMNS`] and
/// [`REJECT_REASON_COLUMNS`].
pub struct RejectWriter<W: Write> {
    w: csv::Writer<W>,
    /// The input the next rejects come from, when the file has a `file` column.
    file: Option<String>,
    /// For full rows: the input columns written and where the positions come from.
    rows: Option<FullRows>,
}

/// What a full-row rejects file keeps of each input record.
struct FullRows {
    keep: Vec<usize>,
    positions: Positions,
    scratch: String,
}

impl<W: Write> fmt::Debug for RejectWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectWriter")
            .field("full_rows", &self.rows.is_some())
            .finish_non_exhaustive()
    }
}

impl<W: Write> RejectWriter<W> {
    /// A writer; the header row is written now.
    pub fn new(w: W) -> std::io::Result<Self> {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(REJECT_COLUMNS).map_err(csv_io)?;
        Ok(RejectWriter {
            w,
            file: None,
            rows: None,
        })
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
            rows: None,
        })
    }

    /// A writer of full rows for records read with `header`: each reject is its input record,
    /// every field as it was read (in the header's order, byte for byte: not made safe for a
    /// spreadsheet, as the output is not), then [`POSITION_COLUMNS`] and
    /// [`REJECT_REASON_COLUMNS`], so that the file, fixed, converts again with the same flags.
    /// A record not of the header's shape (a ragged row, a JSON Lines line that is not an
    /// object) is written with every field it had, so the reject columns are always a line's
    /// last seven. An input that is an earlier run's full-row rejects keeps its positions (the
    /// places in the original input) and has its reject reasons replaced. It holds every column
    /// of the input, as the output does. The header row is written now; a header with one
    /// position column but not the other is an [`std::io::ErrorKind::InvalidInput`] error
    /// (`check_position_columns` names the file).
    pub fn full_rows<S: AsRef<str>>(w: W, header: &[S]) -> std::io::Result<Self> {
        let positions = Positions::of(header).map_err(invalid_input)?;
        let keep = Positions::kept(header, Some(positions), |_| false);
        // A ragged input row stays ragged: its fields are not padded, cut or moved.
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(w);
        w.write_record(
            keep.iter()
                .map(|&i| header[i].as_ref())
                .chain(POSITION_COLUMNS)
                .chain(REJECT_REASON_COLUMNS),
        )
        .map_err(csv_io)?;
        Ok(RejectWriter {
            w,
            file: None,
            rows: Some(FullRows {
                keep,
                positions,
                scratch: String::new(),
            }),
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
        let column = cell_safe(r.column.unwrap_or(""));
        let reason = [
            r.rejection.rule.id().into(),
            r.rejection.rule.name().into(),
            cell_safe(&r.rejection.reason),
            cell_safe(r.rejection.suggestion.as_deref().unwrap_or("")),
        ];
        let w = &mut self.w;
        if let Some(rows) = &mut self.rows {
            let input = r.input;
            if input.shape() == io::Shape::Ok {
                for &i in &rows.keep {
                    w.write_field(input.bytes(i).unwrap_or_default())
                        .map_err(csv_io)?;
                }
            } else {
                for field in input.fields() {
                    w.write_field(field).map_err(csv_io)?;
                }
            }
            rows.positions
                .for_each(input, &mut rows.scratch, |_, v| w.write_field(v))
                .map_err(csv_io)?;
            return w
                .write_record(
                    std::iter::once(&column)
                        .chain(&reason)
                        .map(|c| c.as_bytes()),
                )
                .map_err(csv_io);
        }
        if let Some(f) = &self.file {
            w.write_field(cell_safe(f).as_bytes()).map_err(csv_io)?;
        }
        let (line, record) = (r.line.to_string(), r.record.to_string());
        let row = r.row.map(|n| n.to_string()).unwrap_or_default();
        let value = cell_safe(r.value.unwrap_or(""));
        w.write_record(
            [line.as_str(), &record, &row, &column, &value]
                .into_iter()
                .chain(reason.iter().map(AsRef::as_ref)),
        )
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

/// A CSV writer whose header row, written now, is the `dimensions` then `columns`.
fn table_writer<W: Write>(
    w: W,
    dimensions: &[String],
    columns: &[&str],
) -> std::io::Result<csv::Writer<W>> {
    let mut w = csv::Writer::from_writer(w);
    w.write_record(
        dimensions
            .iter()
            .map(String::as_str)
            .chain(columns.iter().copied()),
    )
    .map_err(csv_io)?;
    Ok(w)
}

/// The columns of a count table as CSV.
pub const TABLE_COLUMNS: [&str; 5] = ["code", "label", "level", "count", "placement"];

/// Writes a count table as CSV: its dimensions (`--group-by` columns) first under their
/// headers, then [`TABLE_COLUMNS`].
pub(super) fn write_table<W: Write>(w: W, table: &CountTable) -> std::io::Result<()> {
    let mut w = table_writer(w, &table.dimensions, &TABLE_COLUMNS)?;
    for r in &table.rows {
        let count = r.count.to_string();
        w.write_record(r.by.iter().map(|(_, v)| v.as_str()).chain([
            r.code.code(),
            r.label,
            r.level.name(),
            &count,
            r.placement.name(),
        ]))
        .map_err(csv_io)?;
    }
    w.flush()
}

/// The columns of a rate table as CSV, after its dimensions.
pub const RATE_COLUMNS: [&str; 14] = [
    "measure",
    "code",
    "label",
    "level",
    "placement",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "reference",
    "ratio",
    "ratio_lower",
    "ratio_upper",
];

/// Writes a rate table as CSV: its dimensions first, then [`RATE_COLUMNS`]; a value that cannot
/// be computed (no denominator, no events to compare) is empty.
pub(super) fn write_rates<W: Write>(w: W, measure: &str, table: &RateTable) -> std::io::Result<()> {
    let mut w = table_writer(w, &table.dimensions, &RATE_COLUMNS)?;
    let num = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v:.6}"));
    for r in &table.rows {
        let cells = [
            measure.to_owned(),
            r.code.code().to_owned(),
            r.label.to_owned(),
            r.level.name().to_owned(),
            r.placement.name().to_owned(),
            r.numerator.to_string(),
            r.denominator.to_string(),
            num(r.value),
            num(r.lower),
            num(r.upper),
            table.reference.code().to_owned(),
            num(r.ratio),
            num(r.ratio_lower),
            num(r.ratio_upper),
        ];
        w.write_record(
            r.by.iter()
                .map(|(_, v)| v.as_str())
                .chain(cells.iter().map(String::as_str)),
        )
        .map_err(csv_io)?;
    }
    w.flush()
}

/// The columns of a published table as CSV (after its dimensions): [`TABLE_COLUMNS`], then
/// `status` (why each count is what it is) and `margin` (the dimensions a row sums over, `+`
/// between them; their columns say `Total`).
pub const PUBLISHED_COLUMNS: [&str; 7] = [
    "code",
    "label",
    "level",
    "count",
    "placement",
    "status",
    "margin",
];

/// Writes a table published under a disclosure policy as CSV: its dimensions first, then
/// [`PUBLISHED_COLUMNS`]; a withheld count is its GSS symbol. The policy goes with the summary.
pub(super) fn write_published<W: Write>(w: W, table: &PublishedTable) -> std::io::Result<()> {
    let mut w = table_writer(w, &table.dimensions, &PUBLISHED_COLUMNS)?;
    for r in &table.rows {
        let count = match (r.count, r.symbol) {
            (Some(n), _) => n.to_string(),
            (None, Some(s)) => s.code().to_owned(),
            (None, None) => String::new(),
        };
        let dims = table.dimensions.iter().map(|d| {
            r.by.iter()
                .find(|(k, _)| k == d)
                .map_or("Total", |(_, v)| v.as_str())
        });
        let margin = r.margin.join("+");
        w.write_record(dims.chain([
            r.code.map_or("total", |c| c.code()),
            r.label,
            r.level.map_or("total", |l| l.name()),
            &count,
            r.kind.name(),
            r.status.name(),
            &margin,
        ]))
        .map_err(csv_io)?;
    }
    w.flush()
}

/// A figure as a CSV cell: a count, a number to 6 decimals, a GSS symbol, or empty.
fn figure_cell(f: Figure) -> String {
    match f {
        Figure::Count(n) => n.to_string(),
        Figure::Number(x) => format!("{x:.6}"),
        Figure::Withheld(s) => s.code().to_owned(),
        Figure::Empty => String::new(),
    }
}

/// Writes a table in the publication shape as CSV: [`EVIDENCE_HEAD`] (the role columns filled
/// by the dimensions that have a role), the other dimensions under their headers, then
/// [`EVIDENCE_TAIL`]. The metadata goes with the summary (and in the JSON document).
pub(super) fn write_evidence<W: Write>(w: W, table: &EvidenceTable) -> std::io::Result<()> {
    let others = table.other_dimensions();
    let mut w = csv::Writer::from_writer(w);
    let header = EVIDENCE_HEAD
        .into_iter()
        .chain(others.iter().copied())
        .chain(EVIDENCE_TAIL);
    w.write_record(header).map_err(csv_io)?;
    let m = &table.metadata;
    for r in &table.rows {
        let mut cells: Vec<Cow<'_, str>> = vec![
            m.measure.as_str().into(),
            r.ethnicity.into(),
            r.code.map_or("total", |c| c.code()).into(),
            r.level.map_or("total", |l| l.name()).into(),
            r.parent.map_or("", |p| p.code()).into(),
            r.placement.into(),
        ];
        cells.extend(
            DimensionRole::ALL
                .iter()
                .map(|role| cell_safe(table.role_value(r, *role))),
        );
        cells.extend(others.iter().map(|d| {
            cell_safe(
                r.by.iter()
                    .find(|(k, _)| k == d)
                    .map_or("", |(_, v)| v.as_str()),
            )
        }));
        cells.push(figure_cell(r.value).into());
        cells.push(m.value_type.as_str().into());
        for f in [
            r.numerator,
            r.denominator,
            r.lower,
            r.upper,
            r.relative_rate,
            r.relative_rate_lower,
            r.relative_rate_upper,
        ] {
            cells.push(figure_cell(f).into());
        }
        cells.push(r.status.into());
        w.write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(csv_io)?;
    }
    w.flush()
}
