//! Writers for everything the crate writes: converted records, rejected rows, findings and count
//! tables, one file per output format (`csv.rs`, `jsonl.rs`, `json.rs`, `text.rs`). Each writer
//! writes to any [`std::io::Write`] and never prints; the command line only picks one from a
//! flag, through the dispatch tables [`RecordFormat`], [`FindingsFormat`] and [`TableFormat`].
//! They all write UTF-8; [`EncodingWriter`] (`encoding.rs`) between a writer and its file writes
//! it as UTF-8 with a byte-order mark or as Windows-1252 ([`OutputEncoding`]).
//!
//! A new output format is one new file `src/output/NAME.rs` (declared with `mod NAME;` below)
//! and, for each kind of output it writes, a variant of that kind's format enum and one line in
//! its dispatch table (each table's documentation gives the line).
//!
//! ```
//! use wm_ethnicity::{Converter, Plan, SchemeFrom, convert_stream};
//! use wm_ethnicity::{ReadOptions, Table};
//! use wm_ethnicity::Synonyms;
//! use wm_ethnicity::{AddedColumns, RecordFormat, RecordWriter, RejectWriter};
//! use wm_ethnicity::Registry;
//!
//! let registry = Registry::new();
//! let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
//! let input = b"id,ethnicity\n1,J\n2,QQ\n";
//! let table = Table::from_reader("return.csv", &input[..], &ReadOptions::default()).unwrap();
//! let converter =
//!     Converter::new(&registry, Synonyms::builtin(), &plan, table.header(), "return.csv").unwrap();
//! let added = AddedColumns::default();
//! let mut out = RecordWriter::new(Vec::new(), RecordFormat::Csv, table.header(), added).unwrap();
//! let mut rejects = RejectWriter::new(Vec::new()).unwrap();
//! let summary = convert_stream(table, &converter, &mut out, &mut rejects, &mut |_| {}).unwrap();
//! assert_eq!((summary.converted, summary.rejected), (1, 1));
//! let csv = String::from_utf8(out.finish().unwrap()).unwrap();
//! assert!(csv.starts_with("id,ethnicity,wm_code,"));
//! ```

#[cfg(feature = "arrow")]
mod arrow;
mod csv;
mod encoding;
mod fhir;
mod html;
mod json;
mod jsonl;
#[cfg(feature = "parquet")]
mod parquet;
mod persons;
mod records;
mod text;
#[cfg(feature = "xlsx")]
mod xlsx;
#[cfg(feature = "xlsx")]
mod xlsx_records;

#[cfg(feature = "arrow")]
pub use self::arrow::{ArrowFindings, ArrowRecords, ArrowRejects, BATCH_ROWS, BatchSink, Rows};
pub use self::csv::{
    CsvFindings, FINDING_COLUMNS, PUBLISHED_COLUMNS, RATE_COLUMNS, REJECT_COLUMNS,
    REJECT_REASON_COLUMNS, RejectWriter, TABLE_COLUMNS,
};
pub use self::encoding::{EncodingWriter, OutputEncoding};
pub use self::fhir::{
    STANDARD_SYSTEM, fhir_bundle, scheme_code_system, scheme_concept_map, scheme_system,
    standard_code_system,
};
pub use self::html::HtmlFindings;
pub use self::json::JsonFindings;
pub use self::jsonl::JsonlFindings;
#[cfg(feature = "parquet")]
pub use self::parquet::{BatchFile, ParquetFile};
pub use self::persons::{PERSON_COLUMNS, write_persons_csv};
pub use self::records::{
    AddedColumns, OutputColumns, POSITION_COLUMNS, RecordWriter, check_position_columns,
};
pub use self::text::{TextFindings, TextRejects, read_as, thousands};
#[cfg(feature = "xlsx")]
pub use self::xlsx::{MAX_XLSX_FINDINGS, XlsxFindings};
#[cfg(feature = "xlsx")]
pub use self::xlsx_records::{MAX_SHEET_ROWS, XlsxRecords, XlsxRejects};

use crate::aggregate::CountTable;
use crate::council::Council;
use crate::disclosure::{DisclosurePolicy, PublishedTable};
use crate::evidence::{EvidenceInfo, EvidenceTable};
use crate::io;
use crate::rates::RateTable;
use crate::spec::ReturnSpec;
use crate::validate::{Report, Sink};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The formats of converted records ([`RecordWriter`], `convert --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RecordFormat {
    /// CSV with a header row (comma separated, UTF-8).
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Parquet, the standard's columns dictionary-encoded (feature `parquet`).
    #[cfg(feature = "parquet")]
    Parquet,
    /// An Arrow IPC file, the standard's columns dictionary-encoded (feature `parquet`).
    #[cfg(feature = "parquet")]
    Arrow,
    /// An Excel workbook: Summary, Records and Rejects sheets, every value as text (feature
    /// `xlsx`).
    #[cfg(feature = "xlsx")]
    Xlsx,
}

/// How a record format is written: line by line, in Arrow batches, or as a workbook.
#[derive(Clone, Copy)]
enum Layout {
    Lines(&'static dyn RecordLayout),
    #[cfg(feature = "parquet")]
    Batches(parquet::BatchFormat),
    #[cfg(feature = "xlsx")]
    Workbook,
}

impl Layout {
    /// The line layout, for a format written line by line.
    #[cfg_attr(
        not(any(feature = "parquet", feature = "xlsx")),
        allow(
            clippy::unnecessary_wraps,
            reason = "every format is a line format without parquet"
        )
    )]
    fn lines(self) -> Option<&'static dyn RecordLayout> {
        match self {
            Layout::Lines(l) => Some(l),
            #[cfg(feature = "parquet")]
            Layout::Batches(_) => None,
            #[cfg(feature = "xlsx")]
            Layout::Workbook => None,
        }
    }
}

impl RecordFormat {
    /// The dispatch table of record formats: one line per format, naming its layout. A new
    /// line format is one new file `src/output/NAME.rs` with a `RecordLayout`, its variant
    /// above, and this one line here: `RecordFormat::Name => Layout::Lines(&NAME::NameRecords),`
    /// (a format written in Arrow batches is a `parquet::BatchFormat`).
    fn layout(self) -> Layout {
        match self {
            RecordFormat::Csv => Layout::Lines(&self::csv::CsvRecords),
            RecordFormat::Jsonl => Layout::Lines(&jsonl::JsonlRecords),
            #[cfg(feature = "parquet")]
            RecordFormat::Parquet => Layout::Batches(parquet::BatchFormat::Parquet),
            #[cfg(feature = "parquet")]
            RecordFormat::Arrow => Layout::Batches(parquet::BatchFormat::Ipc),
            #[cfg(feature = "xlsx")]
            RecordFormat::Xlsx => Layout::Workbook,
        }
    }

    /// The format's name for people (`CSV`, `JSON Lines`, `Parquet`).
    pub fn title(self) -> &'static str {
        match self.layout() {
            Layout::Lines(l) => l.title(),
            #[cfg(feature = "parquet")]
            Layout::Batches(b) => b.title(),
            #[cfg(feature = "xlsx")]
            Layout::Workbook => "Excel workbook",
        }
    }

    /// The endings of output file names written in this format by default (`csv`, `jsonl`),
    /// lowercase.
    pub fn extensions(self) -> &'static [&'static str] {
        match self.layout() {
            Layout::Lines(l) => l.extensions(),
            #[cfg(feature = "parquet")]
            Layout::Batches(b) => b.extensions(),
            #[cfg(feature = "xlsx")]
            Layout::Workbook => &["xlsx"],
        }
    }

    /// True for text formats (an output encoding applies); false for Parquet, Arrow and Excel.
    pub fn is_text(self) -> bool {
        matches!(self.layout(), Layout::Lines(_))
    }

    /// A writer of records read with `header`, adding the columns `added`, to `w`.
    pub fn writer<W: Write + Send, S: AsRef<str>>(
        self,
        w: W,
        header: &[S],
        added: AddedColumns,
    ) -> std::io::Result<RecordOutput<W>> {
        Ok(match self.layout() {
            Layout::Lines(_) => {
                RecordOutput::Lines(Box::new(RecordWriter::new(w, self, header, added)?))
            }
            #[cfg(feature = "parquet")]
            Layout::Batches(b) => {
                RecordOutput::Batches(Box::new(parquet::records(b, w, header, added)?))
            }
            #[cfg(feature = "xlsx")]
            Layout::Workbook => {
                RecordOutput::Workbook(Box::new(XlsxRecords::new(w, header, added)?))
            }
        })
    }
}

/// Converted records being written in one [`RecordFormat`] ([`RecordFormat::writer`]).
#[non_exhaustive]
pub enum RecordOutput<W: Write + Send> {
    /// A text format, line by line.
    Lines(Box<RecordWriter<W>>),
    /// Parquet or Arrow IPC, in batches.
    #[cfg(feature = "parquet")]
    Batches(Box<ArrowRecords<BatchFile<W>>>),
    /// An Excel workbook, holding the rejects and the summary too.
    #[cfg(feature = "xlsx")]
    Workbook(Box<XlsxRecords<W>>),
}

/// What a conversion run says of itself, for an output that keeps it (a workbook's Summary
/// sheet): the summary's lines, each a label and its text, and the counts.
#[derive(Debug, Clone, Copy)]
pub struct RunReport<'a> {
    /// The summary's lines as the command line prints them (`read as`, `converted`, ...).
    pub lines: &'a [(String, String)],
    /// The run's counts.
    pub summary: &'a crate::convert::Summary,
}

impl<W: Write + Send> RecordOutput<W> {
    /// The output's column names.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            RecordOutput::Lines(r) => r.columns(),
            #[cfg(feature = "parquet")]
            RecordOutput::Batches(r) => r.columns(),
            #[cfg(feature = "xlsx")]
            RecordOutput::Workbook(r) => r.columns(),
        }
    }

    /// Where the run's rejects go when the output keeps them itself (a workbook's Rejects
    /// sheet); `None` for a format that holds records only.
    pub fn rejects(&self) -> Option<Box<dyn crate::convert::RejectSink>> {
        match self {
            #[cfg(feature = "xlsx")]
            RecordOutput::Workbook(r) => Some(Box::new(r.rejects())),
            _ => None,
        }
    }

    /// Ends the output (a file's footer; a workbook, with `run` in its Summary sheet) and hands
    /// the writer back.
    pub fn finish(self, run: &RunReport<'_>) -> std::io::Result<W> {
        let _ = run;
        match self {
            RecordOutput::Lines(r) => r.finish(),
            #[cfg(feature = "parquet")]
            RecordOutput::Batches(r) => parquet::finish(*r),
            #[cfg(feature = "xlsx")]
            RecordOutput::Workbook(r) => r.finish(run),
        }
    }
}

impl<W: Write + Send> crate::convert::RecordSink for RecordOutput<W> {
    fn record(
        &mut self,
        input: &io::Record<'_>,
        converted: &crate::convert::Converted<'_>,
    ) -> std::io::Result<()> {
        match self {
            RecordOutput::Lines(r) => r.record(input, converted),
            #[cfg(feature = "parquet")]
            RecordOutput::Batches(r) => r.record(input, converted),
            #[cfg(feature = "xlsx")]
            RecordOutput::Workbook(r) => r.record(input, converted),
        }
    }
}

/// How one format lays converted records out, a line each (see [`RecordWriter`]).
trait RecordLayout: Sync {
    /// The format's name for people.
    fn title(&self) -> &'static str;
    /// The endings of file names that choose the format.
    fn extensions(&self) -> &'static [&'static str];
    /// What comes before the first record (a header row of `columns`, or nothing).
    fn header(&self, line: &mut Vec<u8>, columns: &[&str]);
    /// Starts a line with the fields `keep` of `record`, named `names`, as they were read.
    fn inputs(
        &self,
        line: &mut Vec<u8>,
        record: &io::Record<'_>,
        keep: &[usize],
        names: &[String],
    ) -> std::io::Result<()>;
    /// Appends one added column; `first` when nothing precedes it on the line.
    fn added(
        &self,
        line: &mut Vec<u8>,
        first: bool,
        name: &str,
        value: &str,
    ) -> std::io::Result<()>;
    /// Ends the line.
    fn end(&self, line: &mut Vec<u8>);
}

/// A writer of findings: validation hands it each finding as it is found ([`Sink`]), then
/// [`finish`](FindingsWriter::finish) gives it the report.
pub trait FindingsWriter: Sink {
    /// Writes what follows the findings (the report, for the formats that show it) and flushes.
    fn finish(&mut self, report: &Report) -> std::io::Result<()>;
}

/// What a findings writer may say about the run besides the findings.
#[derive(Debug, Clone, Copy)]
pub struct FindingsContext<'a> {
    /// The specification the return was validated against (the text summary says what it
    /// checked).
    pub spec: &'a ReturnSpec,
    /// The council submitting the return, when known (named by the text summary and the JSON
    /// document).
    pub council: Option<&'a Council>,
    /// How many findings the text summary lists (the other formats list every finding).
    pub max_listed: usize,
}

impl<'a> FindingsContext<'a> {
    /// A run against `spec`, no council named, the text summary listing 20 findings.
    pub fn new(spec: &'a ReturnSpec) -> Self {
        FindingsContext {
            spec,
            council: None,
            max_listed: 20,
        }
    }
}

/// The formats of findings (`validate --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FindingsFormat {
    /// A summary for people, on a terminal: counts per rule, the first findings, the
    /// data-quality profile.
    #[default]
    Text,
    /// One JSON document: the findings, then the report (`schema/output/validate.schema.json`).
    Json,
    /// One finding per line as a JSON object.
    Jsonl,
    /// One finding per line as CSV, with a header row.
    Csv,
    /// One self-contained HTML page: the summary, findings by rule, the data-quality profile and
    /// the council's population beside the return (no script, nothing fetched; printable).
    Html,
    /// An Excel workbook: a summary sheet and a findings sheet (frozen header, filters, the row
    /// as Excel shows it), every code written as text (feature `xlsx`).
    #[cfg(feature = "xlsx")]
    Xlsx,
}

impl FindingsFormat {
    /// The dispatch table of findings formats: one line per format, naming its writer. A new
    /// format is one new file `src/output/NAME.rs` with a [`FindingsWriter`], its variant above,
    /// and this one line here:
    /// `FindingsFormat::Name => Box::new(NAME::NameFindings::new(w, context)),` (with `?` after
    /// `new(..)` when it writes on creation). Its `pub use` above names the writer type for
    /// library users.
    ///
    /// The JSON document's opening is written now, hence the `Result`.
    pub fn writer<'a, W: Write + 'a>(
        self,
        w: W,
        context: FindingsContext<'a>,
    ) -> std::io::Result<Box<dyn FindingsWriter + 'a>> {
        Ok(match self {
            FindingsFormat::Text => Box::new(text::TextFindings::new(w, context)),
            FindingsFormat::Json => Box::new(json::JsonFindings::new(w, context)?),
            FindingsFormat::Jsonl => Box::new(jsonl::JsonlFindings::new(w)),
            FindingsFormat::Csv => Box::new(self::csv::CsvFindings::new(w)),
            FindingsFormat::Html => Box::new(html::HtmlFindings::new(w, context)),
            #[cfg(feature = "xlsx")]
            FindingsFormat::Xlsx => Box::new(xlsx::XlsxFindings::new(w, context)),
        })
    }
}

/// The formats of count tables (`aggregate --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TableFormat {
    /// CSV: code, label, level, count, placement; the totals go with the summary.
    #[default]
    Csv,
    /// One JSON document: the rows and every total (`schema/output/aggregate.schema.json`).
    Json,
    /// Text for people, always in the publication shape (`--publication`): the metadata block,
    /// then each combination's rows, children indented under their parent.
    Text,
}

impl TableFormat {
    /// Writes `table`, summed from the inputs `files`, to `w`. The dispatch table of count table
    /// formats: one line per format, naming its writer. A new format is one new file
    /// `src/output/NAME.rs` with a `write_table`, its variant above, and this one line here:
    /// `TableFormat::Name => NAME::write_table(w, files, table),`.
    pub fn write<W: Write>(
        self,
        w: W,
        files: &[String],
        table: &CountTable,
    ) -> std::io::Result<()> {
        match self {
            TableFormat::Csv => self::csv::write_table(w, table),
            TableFormat::Json => json::write_table(w, files, table),
            TableFormat::Text => {
                let published = DisclosurePolicy::None
                    .apply(table)
                    .map_err(std::io::Error::other)?;
                text::write_evidence(
                    w,
                    &EvidenceTable::of_counts(&published, &info(files))
                        .map_err(std::io::Error::other)?,
                )
            }
        }
    }

    /// Writes a rate `table` of `measure`, from the inputs `files`, to `w`: the same dispatch,
    /// for rates (`NAME::write_rates`).
    pub fn write_rates<W: Write>(
        self,
        w: W,
        files: &[String],
        measure: &str,
        table: &RateTable,
    ) -> std::io::Result<()> {
        match self {
            TableFormat::Csv => self::csv::write_rates(w, measure, table),
            TableFormat::Json => json::write_rates(w, files, measure, table),
            TableFormat::Text => {
                let info = EvidenceInfo {
                    measure: measure.to_owned(),
                    ..info(files)
                };
                text::write_evidence(
                    w,
                    &EvidenceTable::of_rates(table, &info).map_err(std::io::Error::other)?,
                )
            }
        }
    }

    /// Writes `table`, published under a disclosure policy, as [`TableFormat::write`] writes a
    /// count table; its dispatch line is `TableFormat::Name => NAME::write_published(..),`.
    pub fn write_published<W: Write>(
        self,
        w: W,
        files: &[String],
        table: &PublishedTable,
    ) -> std::io::Result<()> {
        match self {
            TableFormat::Csv => self::csv::write_published(w, table),
            TableFormat::Json => json::write_published(w, files, table),
            TableFormat::Text => {
                let d = &table.disclosure;
                let info = EvidenceInfo {
                    policy: Some((
                        d.policy.clone(),
                        d.description.clone(),
                        d.totals_note.to_owned(),
                    )),
                    ..info(files)
                };
                text::write_evidence(
                    w,
                    &EvidenceTable::of_counts(table, &info).map_err(std::io::Error::other)?,
                )
            }
        }
    }

    /// Writes a table in the publication shape ([`EvidenceTable`]): its dispatch line is
    /// `TableFormat::Name => NAME::write_evidence(w, table),`.
    pub fn write_evidence<W: Write>(self, w: W, table: &EvidenceTable) -> std::io::Result<()> {
        match self {
            TableFormat::Csv => self::csv::write_evidence(w, table),
            TableFormat::Json => json::write_evidence(w, table),
            TableFormat::Text => text::write_evidence(w, table),
        }
    }
}

/// What a publication of `files` needs when only the table is given.
fn info(files: &[String]) -> EvidenceInfo {
    EvidenceInfo {
        files: files.to_vec(),
        ..EvidenceInfo::default()
    }
}
