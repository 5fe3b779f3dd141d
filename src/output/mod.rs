//! Writers for everything the crate writes: converted records, rejected rows, findings and count
//! tables, one file per output format (`csv.rs`, `jsonl.rs`, ...). Each writer writes to any
//! [`std::io::Write`] and never prints; the command line only picks one from a flag.
//!
//! ```
//! use wm_ethnicity::convert::{Converter, Plan, SchemeFrom, convert_stream};
//! use wm_ethnicity::io::{ReadOptions, Table};
//! use wm_ethnicity::labels::Synonyms;
//! use wm_ethnicity::output::{RecordFormat, RecordWriter, RejectWriter};
//! use wm_ethnicity::Registry;
//!
//! let registry = Registry::new();
//! let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
//! let input = b"id,ethnicity\n1,J\n2,QQ\n";
//! let table = Table::from_reader("return.csv", &input[..], &ReadOptions::default()).unwrap();
//! let converter =
//!     Converter::new(&registry, Synonyms::builtin(), &plan, table.header(), "return.csv").unwrap();
//! let mut out = RecordWriter::new(Vec::new(), RecordFormat::Csv, table.header(), false).unwrap();
//! let mut rejects = RejectWriter::new(Vec::new()).unwrap();
//! let summary = convert_stream(table, &converter, &mut out, &mut rejects, &mut |_| {}).unwrap();
//! assert_eq!((summary.converted, summary.rejected), (1, 1));
//! let csv = String::from_utf8(out.finish().unwrap()).unwrap();
//! assert!(csv.starts_with("id,ethnicity,wm_code,"));
//! ```

mod csv;
mod jsonl;
mod records;

pub use self::csv::{REJECT_COLUMNS, RejectWriter};
pub use self::records::RecordWriter;

use crate::io;
use serde::{Deserialize, Serialize};

/// The formats of converted records ([`RecordWriter`], `convert --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum RecordFormat {
    /// CSV with a header row (comma separated, UTF-8).
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl RecordFormat {
    /// The dispatch table of record formats: one line per format, naming its layout. A new
    /// format is one new file `src/output/NAME.rs` with a `RecordLayout`, its variant above, and
    /// this one line here: `RecordFormat::Name => &NAME::NameRecords,`.
    fn layout(self) -> &'static dyn RecordLayout {
        match self {
            RecordFormat::Csv => &self::csv::CsvRecords,
            RecordFormat::Jsonl => &jsonl::JsonlRecords,
        }
    }

    /// The format's name for people (`CSV`, `JSON Lines`).
    pub fn title(self) -> &'static str {
        self.layout().title()
    }

    /// The endings of output file names written in this format by default (`csv`, `jsonl`),
    /// lowercase.
    pub fn extensions(self) -> &'static [&'static str] {
        self.layout().extensions()
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
