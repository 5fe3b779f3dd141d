//! The flags the subcommands share, each defined once, so that one idea has one name in
//! `validate`, `convert` and `aggregate` alike. A subcommand flattens the groups it implements
//! (`#[command(flatten)]`) and nothing else: a flag it shows is a flag that works.
//!
//! Old spellings stay as hidden aliases for one release: `aggregate --code-column NAME` is
//! `--column NAME`, and `aggregate --label-column NAME` is `--column NAME --by label`.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use wm_ethnicity::By;
use wm_ethnicity::CharacteristicColumn;
use wm_ethnicity::Level;
use wm_ethnicity::{Answers, DEFAULT_PRIORITY, Priority};
use wm_ethnicity::{Encoding, ReadOptions, Threads};
use wm_ethnicity::{EncodingInfo, OutputEncoding};
use wm_ethnicity::{Policy, SchemeFrom};

/// The coded column: its header and its scheme.
#[derive(Args, Debug)]
pub struct CodedArgs {
    /// The scheme of the coded column (see `wm-ethnicity schemes`; `standard` for standard codes
    /// such as `white.irish`).
    #[arg(long)]
    pub scheme: Option<String>,
    /// The header of the coded column: the column holding the codes (or labels). Given more
    /// than once, the columns holding one person's several ethnicities, in order (legacy
    /// `ethnicity_1` ... `ethnicity_3`; up to 6): an empty later column is a person who gave
    /// fewer.
    #[arg(long, value_name = "COLUMN")]
    pub column: Vec<String>,
}

impl CodedArgs {
    /// The coded column (the first `--column`).
    pub fn first(&self) -> Option<&String> {
        self.column.first()
    }

    /// A person's answers as the flags give them: the columns after the first `--column`, and
    /// `--separator`.
    pub fn answers(&self, separator: &SeparatorArgs) -> Answers {
        Answers {
            more_columns: self.column.iter().skip(1).cloned().collect(),
            separator: separator.separator.clone(),
        }
    }
}

/// Several ethnicities per person in one cell.
#[derive(Args, Debug)]
pub struct SeparatorArgs {
    /// Several ethnicities per person in one cell, split by SEP (e.g. `;`): up to 6, in order
    /// (with more than one --column, in each of them). See docs/convert.md, "Several
    /// ethnicities per person".
    #[arg(long, value_name = "SEP", value_parser = parse_separator)]
    pub separator: Option<String>,
}

/// The order of prioritised output, with several ethnicities per person.
#[derive(Args, Debug)]
pub struct PriorityArgs {
    /// With several ethnicities per person: the priority order that picks each person's one
    /// prioritised ethnicity, a built-in one (schema/priorities/) or a council's own YAML file
    /// in the same format [default: wm-smallest-group-first].
    #[arg(long, value_name = "ORDER")]
    pub priority: Option<String>,
}

impl PriorityArgs {
    /// The order asked for, else the region's default; an error when one is asked for but a
    /// person gives one ethnicity (`several` false): it would change nothing.
    pub fn order(&self, several: bool) -> anyhow::Result<Priority> {
        match &self.priority {
            Some(_) if !several => anyhow::bail!(
                "--priority orders several ethnicities per person: give --separator, or more \
                 than one --column"
            ),
            Some(p) => super::priority(p),
            None => super::priority(DEFAULT_PRIORITY),
        }
    }
}

/// How the coded column's values are matched.
#[derive(Args, Debug)]
pub struct ByArgs {
    /// Match the coded column's values on codes, or on labels (free text) [default: code, or
    /// as the specification's column says].
    #[arg(long, value_parser = by())]
    pub by: Option<By>,
}

impl ByArgs {
    /// `--by`, else `declared` (a specification's column).
    pub fn or(&self, declared: By) -> By {
        self.by.unwrap_or(declared)
    }
}

/// Each row's scheme from columns of the file, instead of one `--scheme`.
#[derive(Args, Debug)]
#[allow(
    clippy::struct_field_names,
    reason = "each field is named as its flag: --scheme-column, --council-column, --dataset-column"
)]
pub struct RowSchemeArgs {
    /// A column holding each row's scheme id (for files mixing schemes).
    #[arg(long, conflicts_with_all = ["scheme", "council_column"])]
    pub scheme_column: Option<String>,
    /// A column holding each row's council (ONS code, short id or name); with --dataset-column,
    /// the row's scheme is the one the council's profile gives for that dataset.
    #[arg(long, requires = "dataset_column", conflicts_with = "scheme")]
    pub council_column: Option<String>,
    /// A column holding each row's dataset (e.g. school-census, health, housing-lettings, police).
    #[arg(long, requires = "council_column")]
    pub dataset_column: Option<String>,
}

impl RowSchemeArgs {
    /// Where each row's scheme comes from: `scheme` (every row), else these columns; `None`
    /// when neither is given.
    pub fn scheme_from(&self, scheme: Option<&str>) -> Option<SchemeFrom> {
        SchemeFrom::from_flags(
            scheme,
            self.scheme_column.as_deref(),
            self.council_column.as_deref(),
            self.dataset_column.as_deref(),
        )
    }
}

/// Other characteristics carried beside ethnicity.
#[derive(Args, Debug)]
pub struct CharacteristicArgs {
    /// A characteristic column and its classification, e.g. `Gender=nhs-person-stated-gender`,
    /// `Religion=census-2021-religion`, or for dates of birth the date ages are taken on,
    /// `DOB=census-2021-age-18@2021-03-21`, or `:top` for the top of the standard's hierarchy,
    /// `Disability=census-2021-disability:top` (disabled or not-disabled) (may be given more
    /// than once; see schema/characteristics/). Its standard value is written as `wm_sex`,
    /// `wm_age_band`, `wm_disability`, ...
    #[arg(long = "characteristic", value_name = "COLUMN=SCHEME[@DATE|:top]", value_parser = CharacteristicColumn::parse)]
    pub characteristics: Vec<CharacteristicColumn>,
}

/// What to do with codes broader than one category.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// What to emit for a code broader than one category.
    #[arg(long, value_parser = policy(), default_value_t)]
    pub policy: Policy,
}

/// Where the output goes.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Where to write the output (default, or `-`: standard output). A file is written under a
    /// temporary name readable only by you and put in place when complete; a device or FIFO is
    /// written to as it is; a symbolic link's target is replaced, never the link.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Replace an existing output (or rejects) file.
    #[arg(long)]
    pub force: bool,
    /// The text encoding of the output and rejects files (default: UTF-8, with a byte-order
    /// mark when the input had one or was Windows-1252, as Excel on Windows reads UTF-8 without
    /// one as ANSI; JSON and standard output: plain UTF-8). A character Windows-1252 cannot
    /// hold is an error naming the output line.
    #[arg(long = "output-encoding", value_enum)]
    pub output_encoding: Option<OutputEncoding>,
}

impl OutputArgs {
    /// The encoding of a file written after reading inputs in `inputs`: `--output-encoding`,
    /// else plain UTF-8 for standard output or JSON (`text_file` false), else as the inputs
    /// were ([`OutputEncoding::like_input`]; with a BOM when any input calls for one).
    pub fn encoding<'a>(
        &self,
        to_stdout: bool,
        text_file: bool,
        inputs: impl IntoIterator<Item = Option<&'a EncodingInfo>>,
    ) -> OutputEncoding {
        match self.output_encoding {
            Some(e) => e,
            None if to_stdout || !text_file => OutputEncoding::Utf8,
            None => inputs
                .into_iter()
                .map(OutputEncoding::like_input)
                .find(|e| *e != OutputEncoding::Utf8)
                .unwrap_or(OutputEncoding::Utf8),
        }
    }

    /// The output file, `None` for standard output (no `--output`, or `-`).
    pub fn path(&self) -> Option<&std::path::Path> {
        self.output
            .as_deref()
            .filter(|p| !super::files::is_stdout(p))
    }
}

/// Where rejected rows go.
#[derive(Args, Debug)]
pub struct RejectsArgs {
    /// Where to write the rejected rows as CSV (default: one line each on standard error).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

/// A return specification.
#[derive(Args, Debug)]
pub struct SpecArgs {
    /// A return specification (YAML): its coded columns with their schemes and what an empty
    /// cell means, its scheme files (validate also checks its required columns and rules).
    #[arg(long)]
    pub spec: Option<PathBuf>,
}

/// Local scheme files.
#[derive(Args, Debug)]
pub struct SchemeFileArgs {
    /// A local scheme file to load first (may be given more than once).
    #[arg(long = "scheme-file")]
    pub scheme_files: Vec<PathBuf>,
}

/// Synonym files for label matching.
#[derive(Args, Debug)]
pub struct SynonymArgs {
    /// A synonym file to add to the curated list for --by label (may be given more than once).
    #[arg(long = "synonyms")]
    pub synonym_files: Vec<PathBuf>,
}

/// How to read an input table.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// The text encoding; detected when not given (a Windows-1252 file is read as such and the
    /// report says so).
    #[arg(long, value_parser = parse_encoding)]
    encoding: Option<Encoding>,
    /// The sheet of a workbook, by name or by number from 1 (default: the first). A sheet whose
    /// name is all digits is found by its name before any sheet by its number.
    #[arg(long)]
    sheet: Option<String>,
    /// The row the header is on, from 1, as Excel numbers rows (default: the first row that
    /// holds something). The rows above it (a title, notes) are skipped and counted in the
    /// summary. For CSV files and workbooks.
    #[arg(long = "header-row", value_parser = clap::value_parser!(u64).range(1..))]
    header_row: Option<u64>,
    /// The CSV delimiter: `,`, `;`, `tab` or `|` (default: sniffed from the header line).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Threads for a CSV file: 1 reads and checks on one; 2 parses on a second thread while
    /// checking on the first (the same results, in the same order). Default: 2 for a file of
    /// 1 MiB or more when two CPUs are available, else 1.
    #[arg(long, value_parser = parse_threads)]
    threads: Option<Threads>,
}

impl InputArgs {
    /// The reader's options from these flags.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: None,
            encoding: self.encoding,
            delimiter: self.delimiter,
            sheet: self.sheet.clone(),
            header_row: self.header_row,
            threads: self.threads.unwrap_or_default(),
        }
    }
}

/// Output formats of the listings (`standard`, `schemes`, `councils`, `lookup`, `crosswalk`,
/// `scheme check`). The formats of records, findings and tables are the library's
/// (`wm_ethnicity::output`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people, on a terminal.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// The one conversion from a flag's value to a library enum that has no `clap::ValueEnum` of
/// its own: each of `values` named as the library names it (`name`), with its `help`. The
/// `help` functions below match exhaustively, so a new library variant is added here too.
fn choice<T: Copy + Send + Sync + 'static>(
    values: &'static [T],
    name: fn(T) -> &'static str,
    help: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        values
            .iter()
            .map(|&v| PossibleValue::new(name(v)).help(help(v))),
    )
    .map(move |s| {
        values
            .iter()
            .copied()
            .find(|&v| name(v) == s)
            .expect("clap accepts only the possible values")
    })
}

/// `--by`.
fn by() -> impl TypedValueParser<Value = By> {
    choice(&By::ALL, By::name, By::help)
}

/// `--policy`.
fn policy() -> impl TypedValueParser<Value = Policy> {
    choice(&Policy::ALL, Policy::name, Policy::help)
}

/// The help line of a level.
fn level_help(level: Level) -> &'static str {
    match level {
        Level::Group => "The 5 groups",
        Level::Category => "The 19 categories",
        Level::Detailed => "The detailed categories",
        Level::Residual => "Not an ethnic group: declined, not obtained, not known",
    }
}

/// A level of the standard (`standard --level`).
pub fn level() -> impl TypedValueParser<Value = Level> {
    choice(&Level::ALL, Level::name, level_help)
}

/// A level to count at (`aggregate --to`): not residual, which is always counted apart.
pub fn count_level() -> impl TypedValueParser<Value = Level> {
    choice(
        &[Level::Group, Level::Category, Level::Detailed],
        Level::name,
        level_help,
    )
}

/// Parses `--encoding`.
fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::from_name(s)
        .ok_or_else(|| format!("`{s}` is not an encoding: use utf-8 or windows-1252"))
}

/// Parses `--threads`.
fn parse_threads(s: &str) -> Result<Threads, String> {
    match s {
        "1" => Ok(Threads::One),
        "2" => Ok(Threads::Two),
        _ => Err(format!("`{s}` is not a number of threads: use 1 or 2")),
    }
}

/// Parses `--separator`: any text but none.
fn parse_separator(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the separator is empty: give the text between answers, e.g. ;".to_owned());
    }
    Ok(s.to_owned())
}

/// Parses `--delimiter`.
fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && !s.contains(['"', '\n', '\r']) => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not a delimiter: give one character such as , or ; or the word tab"
        )),
    }
}
