//! Validation of a return: rules with stable ids, findings, and a report.
//!
//! A [`Validator`] is built once from a [`ReturnSpec`] and a [`Registry`]; it then checks a
//! [`Table`] record by record. Findings are values: [`Validator::validate`] hands each one to a
//! [`Sink`] as it is found (memory does not grow with the number of findings), and
//! [`Validator::check`] is the fast path that only counts them. Either way the result is a
//! [`Report`]: records read, counts per rule, and a data-quality profile of every coded column.
//!
//! A [`Finding`] carries the rule, severity, line, record number, spreadsheet row, column, the
//! raw value of that
//! column only, a message and a suggestion. It never holds another column of the record:
//! ethnicity is special category data, and reports get emailed.
//!
//! ```
//! use wm_ethnicity::{ReadOptions, Table};
//! use wm_ethnicity::ReturnSpec;
//! use wm_ethnicity::Rule;
//! use wm_ethnicity::Validator;
//! use wm_ethnicity::Registry;
//!
//! let data = "UPN,Ethnicity\nA1,WBRI\nA2, apkn\nA3,APNK\nA3,REFU\n";
//! let table = Table::from_reader("return.csv", data.as_bytes(), &Default::default()).unwrap();
//! let registry = Registry::new();
//! let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds").with_id_column("UPN");
//! let validator = Validator::new(&spec, &registry).unwrap();
//! let (report, findings) = validator.findings(table).unwrap();
//! let rules: Vec<(Rule, Option<u64>)> = findings.iter().map(|f| (f.rule, f.line)).collect();
//! assert_eq!(
//!     rules,
//!     [
//!         (Rule::NormalisedInput, Some(3)), // " apkn" read as APKN: a query
//!         (Rule::UnknownCode, Some(4)),     // APNK: an error, with a suggestion
//!         (Rule::DuplicateId, Some(5)),     // A3 again
//!         (Rule::ResidualValue, Some(5)),   // REFU: declined, a query
//!         (Rule::ResidualShare, None),      // 1 in 4 declined is above the default 20%
//!     ]
//! );
//! assert_eq!(
//!     findings[1].suggestion.as_deref(),
//!     Some("Did you mean APKN (Pakistani), AIND (Indian) or AMPK (Mirpuri Pakistani)?")
//! );
//! assert_eq!(report.records, 4);
//! assert_eq!((report.errors, report.queries), (3, 2));
//! ```

use crate::census::{CENSUS_2021_SOURCE, Population};
use crate::characteristic::{Characteristic, Classifications, Reader};
use crate::council::Return;
use crate::date::Date;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io::{EncodingInfo, Field, InputFormat, Record, Shape, Table};
use crate::multiple::MAX_ETHNICITIES;
use crate::privacy::may_show;
use crate::resolve::labels::Synonyms;
use crate::resolve::row::{RecordRejection, RowScheme};
use crate::resolve::unknown::{Explainer, Why, empty_cell, quoted_code, same_target, what};
use crate::resolve::{Rejection, Source, find_value};
use crate::rules::{RULE_COUNT, Rule, Severity};
use crate::scheme::{
    Code, FhirSystem, FxHasher, MatchKind, Records, Registry, Relationship, Scheme, Status,
};
use crate::spec::{Answers, By, EmptyCell, ReturnSpec, Role, SchemeFrom};
use crate::standard::{Category, Group, Level, Node, Residual};
use crate::text::{excel_whole_number, is_blank, nearest, printable};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::{BuildHasherDefault, Hasher};

/// One finding. Holds the value of the one column it is about, never another column's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its severity here.
    pub severity: Severity,
    /// The 1-based physical line the record starts on (what a text editor shows; the row number
    /// in a spreadsheet); `None` for findings about the whole file.
    pub line: Option<u64>,
    /// The 1-based record number (1 = first record after the header); `None` for findings about
    /// the whole file.
    pub record: Option<u64>,
    /// The 1-based spreadsheet row the record is on: the row Excel shows when it opens the file
    /// (see [`Record::row`]); `None` for findings about the whole file and for JSON Lines.
    pub row: Option<u64>,
    /// The column's header name, when the finding is about one column.
    pub column: Option<String>,
    /// The raw value of that column, as in the file; `None` when there is none, or when showing
    /// it could reveal other data (a value spanning several lines, or over 100 characters).
    pub value: Option<String>,
    /// What is wrong, for a data officer.
    pub message: String,
    /// How to fix it, where there is a suggestion.
    pub suggestion: Option<String>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Finding", 10)?;
        st.serialize_field("rule", self.rule.id())?;
        st.serialize_field("name", self.rule.name())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("record", &self.record)?;
        st.serialize_field("row", &self.row)?;
        st.serialize_field("column", &self.column)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("suggestion", &self.suggestion)?;
        st.end()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The row first, where a spreadsheet shows one: it is where a data officer looks.
        match (self.row, self.line, self.record) {
            (Some(row), Some(line), Some(record)) if row != line => {
                write!(f, "row {row}, line {line} (record {record})")?;
            }
            (Some(row), _, Some(record)) => write!(f, "row {row} (record {record})")?,
            (None, Some(line), Some(record)) => write!(f, "line {line} (record {record})")?,
            _ => f.write_str("whole file")?,
        }
        if let Some(c) = &self.column {
            write!(f, ", column {}", printable(c))?;
        }
        write!(
            f,
            ": {} {} {}: {}",
            self.severity,
            self.rule.id(),
            self.rule.name(),
            self.message
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, ". {s}")?;
        }
        Ok(())
    }
}

/// Where findings go as they are found.
pub trait Sink {
    /// Receives one finding. An error (a closed pipe) stops the validation with that error.
    fn finding(&mut self, finding: Finding) -> std::io::Result<()>;

    /// False when the sink needs no more findings (counting continues): messages are then not
    /// built at all.
    fn wants_findings(&self) -> bool {
        true
    }

    /// False when the sink needs no more findings of `severity` (a summary that lists errors
    /// first still wants errors once it has enough queries). By default
    /// [`wants_findings`](Sink::wants_findings).
    fn wants(&self, severity: Severity) -> bool {
        let _ = severity;
        self.wants_findings()
    }

    /// Called every few thousand records with the records read and the progress through the
    /// input (units of [`Table::progress_total`]).
    fn progress(&mut self, _records: u64, _done: u64) {}
}

impl<F: FnMut(Finding) -> std::io::Result<()>> Sink for F {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        self(finding)
    }
}

/// How many records of each kind a coded column holds. Every record ends in exactly one place:
/// the fields add up to `records`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// Mapped to a detailed category.
    pub detailed: u64,
    /// Mapped to one of the 19 categories.
    pub category: u64,
    /// Mapped only to a group (a broad code such as "Any other White background" in 2001 terms).
    pub group: u64,
    /// A residual value: declined, not obtained, not known.
    pub residual: u64,
    /// Empty (and not counted as "not known" by the return's rules).
    pub empty: u64,
    /// Not a valid code (unknown, another scheme's, damaged, not valid text).
    pub invalid: u64,
    /// Not checked: the record had the wrong shape (WM010, WM018).
    pub not_checked: u64,
}

impl Outcomes {
    /// The sum: the records of the column.
    pub fn total(&self) -> u64 {
        self.detailed
            + self.category
            + self.group
            + self.residual
            + self.empty
            + self.invalid
            + self.not_checked
    }
}

/// A node of the standard and how many records of a column reached it, at category
/// granularity: detailed categories are counted under their category; codes that reach only a
/// group are counted under the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeCount {
    /// The standard's code, e.g. `asian.pakistani`.
    pub node: Node,
    /// Its label.
    pub label: &'static str,
    /// Its level.
    pub level: Level,
    /// Records.
    pub count: u64,
}

/// The data-quality profile of one coded column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnProfile {
    /// The column's header name.
    pub column: String,
    /// The scheme checked against.
    pub scheme: String,
    /// Records read.
    pub records: u64,
    /// Records by outcome; they add up to `records`.
    pub outcomes: Outcomes,
    /// Share of records (0 to 1) at the detailed level.
    pub detailed_share: f64,
    /// Share at the category level.
    pub category_share: f64,
    /// Share at the group level only.
    pub group_share: f64,
    /// Share of residual values.
    pub residual_share: f64,
    /// The return's threshold for `residual_share` (rule WM013).
    pub max_residual_share: f64,
    /// Records per node of the standard, in the standard's order; nodes with none are left out.
    pub nodes: Vec<NodeCount>,
}

/// The data-quality profile of one characteristic column (sex, age, religion, disability...):
/// records per standard value it was read as, residuals, empty cells and invalid values. It holds
/// the standard's codes and labels and counts only: never a value as written, an id, a date or
/// an age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CharacteristicProfile {
    /// The column's header name.
    pub column: String,
    /// The characteristic.
    pub characteristic: Characteristic,
    /// The classification its values were read through.
    pub scheme: String,
    /// Records read; the sum of `values`, `empty`, `invalid` and `not_checked`.
    pub records: u64,
    /// Records per value read: the standard's values in its order, then the residuals; values
    /// with none are left out.
    pub values: Vec<CharacteristicCount>,
    /// Records whose value is a residual (not answered, not known...).
    pub residual: u64,
    /// Their share of the records (0 to 1).
    pub residual_share: f64,
    /// Empty cells (and not counted as "not known" by the return's rules).
    pub empty: u64,
    /// Values that are not a code or label of the classification, or not an age or a date of
    /// birth (WM020, WM021), or not valid text.
    pub invalid: u64,
    /// Not checked: the record had the wrong shape (WM010, WM018).
    pub not_checked: u64,
}

impl CharacteristicProfile {
    /// The profile as rows for people: each value read (its code, label and records), then the
    /// empty cells, invalid values and records not checked. Their records add up to `records`.
    pub fn rows(&self) -> Vec<(&str, &str, u64)> {
        self.values
            .iter()
            .map(|v| (v.code, v.label, v.count))
            .chain([
                ("empty", "empty cell", self.empty),
                ("invalid", "not a value of the classification", self.invalid),
                (
                    "not checked",
                    "the record had the wrong shape",
                    self.not_checked,
                ),
            ])
            .collect()
    }
}

/// Records of one value of a characteristic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharacteristicCount {
    /// The standard's code (`female`, `disabled.limited-a-lot`, `30-34`) or the residual's
    /// (`not-known`).
    pub code: &'static str,
    /// Its label.
    pub label: &'static str,
    /// True for a residual.
    pub residual: bool,
    /// Records.
    pub count: u64,
}

/// What a characteristic column's profile counts while reading.
#[derive(Debug, Default, Clone)]
struct CharacteristicCounts {
    values: Vec<CharacteristicCount>,
    empty: u64,
    invalid: u64,
    not_checked: u64,
}

impl CharacteristicCounts {
    fn add(&mut self, code: &'static str, label: &'static str, residual: bool) {
        match self.values.iter_mut().find(|v| v.code == code) {
            Some(v) => v.count += 1,
            None => self.values.push(CharacteristicCount {
                code,
                label,
                residual,
                count: 1,
            }),
        }
    }

    fn add_residual(&mut self, r: Residual) {
        self.add(r.code(), r.label(), true);
    }

    fn to_profile(&self, check: &CharacteristicCheck) -> CharacteristicProfile {
        let standard = check.reader.standard();
        let mut values = self.values.clone();
        values.sort_by_key(|v| {
            let at = if v.residual {
                Residual::ALL.iter().position(|r| r.code() == v.code)
            } else {
                standard.codes.iter().position(|c| c.code == v.code)
            };
            (v.residual, at)
        });
        let residual: u64 = values.iter().filter(|v| v.residual).map(|v| v.count).sum();
        let records = values.iter().map(|v| v.count).sum::<u64>()
            + self.empty
            + self.invalid
            + self.not_checked;
        CharacteristicProfile {
            column: check.name.clone(),
            characteristic: check.reader.characteristic(),
            scheme: check.reader.scheme().id.clone(),
            records,
            values,
            residual,
            residual_share: share(residual, records),
            empty: self.empty,
            invalid: self.invalid,
            not_checked: self.not_checked,
        }
    }
}

/// Findings of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule's id.
    pub rule: Rule,
    /// The rule's name.
    pub name: &'static str,
    /// Findings reported as errors.
    pub errors: u64,
    /// Findings reported as queries.
    pub queries: u64,
}

/// The result of validating a return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The input, as named.
    pub file: String,
    /// Its format.
    pub format: InputFormat,
    /// The encoding it was read in, and why (text files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<EncodingInfo>,
    /// The CSV delimiter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The sheet read (spreadsheets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The line (or sheet row) of the header.
    pub header_line: u64,
    /// The spreadsheet row of the header (see [`Table::header_row`]): the rows above it were
    /// skipped. Not for JSON Lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
    /// Records read: every record after the header, whatever its shape.
    pub records: u64,
    /// Blank lines and rows that hold nothing (`,,,,`, empty sheet rows) between records; they
    /// are not records.
    pub blank_lines: u64,
    /// The version of the standard used.
    pub standard_version: &'static str,
    /// The return specification's name, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// Findings that are errors.
    pub errors: u64,
    /// Findings that are queries.
    pub queries: u64,
    /// Findings per rule, in rule order; rules without findings are left out.
    pub rules: Vec<RuleCount>,
    /// One profile per coded column.
    pub columns: Vec<ColumnProfile>,
    /// One profile per characteristic column present (sex, age, religion, disability...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub characteristics: Vec<CharacteristicProfile>,
    /// Columns of the specification that are not required and not in the header: not checked.
    pub absent_columns: Vec<String>,
}

impl Report {
    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// The findings of `rule` (errors plus queries).
    pub fn count(&self, rule: Rule) -> u64 {
        self.rules
            .iter()
            .find(|r| r.rule == rule)
            .map_or(0, |r| r.errors + r.queries)
    }
}

/// A coded column with its scheme resolved.
#[derive(Debug)]
struct Coded {
    name: String,
    scheme: SchemeFrom,
    by: By,
    empty: EmptyCell,
    required: bool,
    /// Where a person's several ethnicities are, if they may give several: more columns, a
    /// separator inside cells.
    answers: Answers,
}

/// A characteristic column to check: its header, its classification, what an empty cell means,
/// and whether it must be present.
#[derive(Debug)]
struct CharacteristicCheck {
    name: String,
    reader: Reader<'static>,
    empty: EmptyCell,
    required: bool,
}

/// Checks returns against a specification. See the [module docs](self).
#[derive(Debug)]
pub struct Validator<'r> {
    registry: &'r Registry,
    synonyms: &'r Synonyms,
    coded: Vec<Coded>,
    id: Option<(String, EmptyCell, bool)>,
    date: Option<(String, EmptyCell, bool)>,
    others: Vec<(String, bool)>,
    /// The characteristic columns (sex, age, ...), each with its reader.
    characteristics: Vec<CharacteristicCheck>,
    severity: [Option<Severity>; RULE_COUNT],
    max_residual_share: f64,
    spec_name: Option<String>,
    /// The council return the whole file is (the specification's `council` and `dataset`):
    /// which codes it takes (WM019), for coded columns in its scheme.
    fixed_return: Option<&'static Return>,
    /// Why unknown values are unknown (WM001, WM002, WM007, WM008, WM014).
    explainer: Explainer<'r>,
}

impl<'r> Validator<'r> {
    /// A validator for `spec`, its schemes taken from `registry`.
    pub fn new(spec: &ReturnSpec, registry: &'r Registry) -> Result<Validator<'r>> {
        spec.check_schemes(registry)?;
        let mut coded = Vec::new();
        let mut id = None;
        let mut date = None;
        let mut others = Vec::new();
        let mut characteristics = Vec::new();
        for c in &spec.columns {
            match c.role {
                Role::Coded => {
                    let scheme = c.scheme.clone().ok_or_else(|| {
                        Error::new(
                            ErrorKind::Invalid(format!("coded column `{}` has no scheme", c.name)),
                            Location::default(),
                        )
                    })?;
                    if let SchemeFrom::Fixed(id) = &scheme {
                        Source::require(registry, id)?;
                    }
                    coded.push(Coded {
                        name: c.name.clone(),
                        scheme,
                        by: c.by,
                        empty: c.empty,
                        required: c.required,
                        answers: c.answers.clone(),
                    });
                }
                Role::Id => id = Some((c.name.clone(), c.empty, c.required)),
                Role::Date => date = Some((c.name.clone(), c.empty, c.required)),
                Role::Other => others.push((c.name.clone(), c.required)),
                Role::Characteristic(_) => {
                    let column = c.characteristic().ok_or_else(|| {
                        Error::new(
                            ErrorKind::Invalid(format!(
                                "characteristic column `{}` has no scheme",
                                c.name
                            )),
                            Location::default(),
                        )
                    })?;
                    characteristics.push(CharacteristicCheck {
                        name: c.name.clone(),
                        reader: Classifications::builtin().reader(&column)?,
                        empty: c.empty,
                        required: c.required,
                    });
                }
            }
        }
        if coded.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid("no coded column to check".to_owned()),
                Location::default(),
            ));
        }
        let fixed_return = spec.council_return()?;
        if let Some((council, r)) = fixed_return {
            // The return's codes are checked on the columns in its scheme: there must be one.
            let in_scheme = |c: &Coded| match &c.scheme {
                SchemeFrom::Fixed(id) => *id == r.scheme,
                _ => true,
            };
            if !coded.iter().any(in_scheme) {
                return Err(Error::new(
                    ErrorKind::Invalid(format!(
                        "{}'s {} return is coded in {} (its profile), and no coded column is",
                        council.name, r.dataset, r.scheme
                    )),
                    Location::default(),
                ));
            }
        }
        let mut severity = [None; RULE_COUNT];
        for r in Rule::ALL {
            severity[r.index()] = spec.severity_of(r);
        }
        Ok(Validator {
            registry,
            synonyms: Synonyms::builtin(),
            coded,
            id,
            date,
            others,
            characteristics,
            severity,
            max_residual_share: spec.max_residual_share,
            spec_name: spec.name.clone(),
            fixed_return: fixed_return.map(|(_, r)| r),
            explainer: Explainer::new(registry),
        })
    }

    /// This validator with labels (`by: label` columns) matched through `synonyms` instead of
    /// the built-in list.
    #[must_use]
    pub fn with_synonyms(mut self, synonyms: &'r Synonyms) -> Self {
        self.synonyms = synonyms;
        self
    }

    /// Validates `table`, handing every finding to `sink` as it is found, in file order (findings
    /// about the whole file last).
    pub fn validate(&self, table: Table<'_>, sink: &mut dyn Sink) -> Result<Report> {
        self.run(table, Some(sink))
    }

    /// The fast path: validates `table` and counts the findings without building them.
    pub fn check(&self, table: Table<'_>) -> Result<Report> {
        self.run(table, None)
    }

    /// Validates `table` and collects every finding (for small returns and tests).
    pub fn findings(&self, table: Table<'_>) -> Result<(Report, Vec<Finding>)> {
        let mut out = Vec::new();
        let mut sink = |f: Finding| {
            out.push(f);
            Ok(())
        };
        let report = self.validate(table, &mut sink)?;
        Ok((report, out))
    }

    fn bind(&self, table: &Table<'_>) -> Result<Binding<'r>> {
        const LISTED_COLUMNS: usize = 30;
        let mut absent = Vec::new();
        let header_line = table.header_line();
        let mut find = |name: &str, required: bool| -> Result<Option<usize>> {
            if let Some(i) = table.column(name) {
                Table::check_unique(table.header(), i, table.name(), header_line)?;
                return Ok(Some(i));
            }
            if !required {
                absent.push(name.to_owned());
                return Ok(None);
            }
            let near = nearest(name, table.header().iter().map(String::as_str), 1);
            let mut msg = format!(
                "{} {}: there is no column `{name}` in the header ({} {header_line})",
                Rule::MissingColumn.id(),
                Rule::MissingColumn.name(),
                if table.format().is_sheet() {
                    "row"
                } else {
                    "line"
                }
            );
            if let Some(n) = near.first() {
                let _ = write!(msg, "; did you mean `{n}`?");
            }
            let _ = write!(
                msg,
                " The columns are: {}",
                table
                    .header()
                    .iter()
                    .take(LISTED_COLUMNS)
                    .map(|h| format!("`{}`", crate::text::clip(h, 100)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            // A header of thousands of columns (or a binary file's first line) stays one
            // readable line.
            let more = table.header().len().saturating_sub(LISTED_COLUMNS);
            if more > 0 {
                let _ = write!(msg, " and {more} more");
            }
            let missing = ErrorKind::MissingColumn {
                column: name.to_owned(),
                message: msg,
            };
            Err(table.explain_missing(Error::new(missing, Location::file(table.name()))))
        };
        let (coded, more) = self.bind_coded(table, &mut find)?;
        let id = match &self.id {
            Some((n, _, req)) => find(n, *req)?,
            None => None,
        };
        let date = match &self.date {
            Some((n, _, req)) => find(n, *req)?,
            None => None,
        };
        for (n, req) in &self.others {
            find(n, *req)?;
        }
        let characteristics = self
            .characteristics
            .iter()
            .map(|c| find(&c.name, c.required))
            .collect::<Result<Vec<_>>>()?;
        let mut declared = vec![false; table.header().len()];
        let scheme_columns = coded.iter().flatten().flat_map(|(_, s)| s.columns());
        for i in coded
            .iter()
            .flatten()
            .map(|(i, _)| *i)
            .chain(more.iter().flatten().copied())
            .chain(scheme_columns)
            .chain(id)
            .chain(date)
            .chain(characteristics.iter().flatten().copied())
        {
            declared[i] = true;
        }
        Ok(Binding {
            coded,
            more,
            id,
            date,
            characteristics,
            declared,
            absent,
        })
    }

    /// Each coded column's index and where each record's scheme comes from (`None` when the
    /// column is absent), and its later answers' columns, found in the header by `find`.
    fn bind_coded(
        &self,
        table: &Table<'_>,
        find: &mut dyn FnMut(&str, bool) -> Result<Option<usize>>,
    ) -> Result<BoundCoded<'r>> {
        let mut coded = Vec::new();
        let mut more = Vec::new();
        for c in &self.coded {
            let mut later = Vec::new();
            coded.push(match find(&c.name, c.required)? {
                Some(i) => {
                    for m in &c.answers.more_columns {
                        later.extend(find(m, c.required)?);
                    }
                    let from =
                        RowScheme::new(self.registry, &c.scheme, table.header(), table.name())?;
                    Some((i, from))
                }
                None => None,
            });
            more.push(later);
        }
        Ok((coded, more))
    }

    fn run(&self, table: Table<'_>, sink: Option<&mut dyn Sink>) -> Result<Report> {
        let binding = self.bind(&table)?;
        let file = table.name().to_owned();
        let mut report = Report {
            file: file.clone(),
            format: table.format(),
            encoding: table.encoding().cloned(),
            delimiter: table.delimiter().map(|d| char::from(d).to_string()),
            sheet: table.sheet().map(str::to_owned),
            header_line: table.header_line(),
            header_row: table.header_row(),
            records: 0,
            blank_lines: 0,
            standard_version: crate::standard::STANDARD_VERSION,
            spec: self.spec_name.clone(),
            errors: 0,
            queries: 0,
            rules: Vec::new(),
            columns: Vec::new(),
            characteristics: Vec::new(),
            absent_columns: binding.absent.clone(),
        };
        let encoding = table.encoding().map_or("UTF-8", |e| match e.encoding {
            crate::io::Encoding::Utf8 => "UTF-8",
            crate::io::Encoding::Windows1252 => "Windows-1252",
            crate::io::Encoding::Utf16Le | crate::io::Encoding::Utf16Be => "UTF-16",
        });
        let mut state = State {
            v: self,
            header: table.header().to_vec(),
            binding,
            encoding,
            sheet: table.format().is_sheet(),
            fhir: table.format() == InputFormat::Fhir,
            sink,
            counts: [[0; 2]; RULE_COUNT],
            profiles: self.coded.iter().map(|_| Profile::default()).collect(),
            characteristic_counts: vec![
                CharacteristicCounts::default();
                self.characteristics.len()
            ],
            ids: IdTable::default(),
            presized: false,
            total: table.progress_total(),
            records: 0,
            unknown: HashMap::new(),
            messages: HashMap::new(),
        };
        let summary = table.try_for_each(|rec| {
            state
                .record(rec)
                .map_err(|e| Error::new(ErrorKind::Io(e), Location::default()))?;
            if state.records.is_multiple_of(8192)
                && let Some(s) = state.sink.as_deref_mut()
            {
                s.progress(state.records, rec.progress());
            }
            Ok::<(), Error>(())
        })?;
        state
            .finish()
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::default()))?;
        report.records = summary.records;
        report.blank_lines = summary.blank_lines;
        for r in Rule::ALL {
            let [errors, queries] = state.counts[r.index()];
            report.errors += errors;
            report.queries += queries;
            if errors + queries > 0 {
                report.rules.push(RuleCount {
                    rule: r,
                    name: r.name(),
                    errors,
                    queries,
                });
            }
        }
        for ((c, p), bound) in self
            .coded
            .iter()
            .zip(&state.profiles)
            .zip(&state.binding.coded)
        {
            if bound.is_some() {
                report
                    .columns
                    .push(p.to_profile(c, summary.records, self.max_residual_share));
            }
        }
        for ((check, counts), bound) in self
            .characteristics
            .iter()
            .zip(&state.characteristic_counts)
            .zip(&state.binding.characteristics)
        {
            if bound.is_some() {
                report.characteristics.push(counts.to_profile(check));
            }
        }
        Ok(report)
    }
}

/// A coded column's index in the header and where each record's scheme comes from.
type BoundColumn<'r> = (usize, RowScheme<'r>);

/// Every coded column bound (`None` when absent), and the later answers' columns of each.
type BoundCoded<'r> = (Vec<Option<BoundColumn<'r>>>, Vec<Vec<usize>>);

/// A value of a record and the index of the column it is in.
type Cell<'t> = (usize, &'t str);

/// Column indexes in the header.
#[derive(Debug)]
struct Binding<'r> {
    /// Each coded column's index and where each record's scheme comes from.
    coded: Vec<Option<BoundColumn<'r>>>,
    /// Each coded column's later answers' columns (those in the header).
    more: Vec<Vec<usize>>,
    id: Option<usize>,
    date: Option<usize>,
    /// Each characteristic column's index.
    characteristics: Vec<Option<usize>>,
    /// True for header columns the specification names.
    declared: Vec<bool>,
    absent: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct Profile {
    out: Outcomes,
    categories: [u64; Category::ALL.len()],
    groups: [u64; Group::ALL.len()],
    residuals: [u64; Residual::ALL.len()],
}

impl Profile {
    fn add(&mut self, node: Node) {
        match node {
            Node::Group(g) => {
                self.out.group += 1;
                self.groups[g as usize] += 1;
            }
            Node::Category(c) => {
                self.out.category += 1;
                self.categories[c as usize] += 1;
            }
            Node::Detailed(d) => {
                self.out.detailed += 1;
                self.categories[d.category() as usize] += 1;
            }
            Node::Residual(r) => {
                self.out.residual += 1;
                self.residuals[r as usize] += 1;
            }
        }
    }

    fn residual_share(&self) -> f64 {
        share(self.out.residual, self.out.total())
    }

    fn to_profile(&self, c: &Coded, records: u64, max: f64) -> ColumnProfile {
        let mut nodes = Vec::new();
        let mut push = |node: Node, count: u64| {
            if count > 0 {
                nodes.push(NodeCount {
                    node,
                    label: node.label(),
                    level: node.level(),
                    count,
                });
            }
        };
        for (i, g) in Group::ALL.into_iter().enumerate() {
            for (j, cat) in Category::ALL.into_iter().enumerate() {
                if cat.group() == g {
                    push(Node::Category(cat), self.categories[j]);
                }
            }
            push(Node::Group(g), self.groups[i]);
        }
        for (i, r) in Residual::ALL.into_iter().enumerate() {
            push(Node::Residual(r), self.residuals[i]);
        }
        let total = self.out.total().max(records);
        ColumnProfile {
            column: c.name.clone(),
            scheme: c.scheme.name().into_owned(),
            records: self.out.total(),
            outcomes: self.out,
            detailed_share: share(self.out.detailed, total),
            category_share: share(self.out.category, total),
            group_share: share(self.out.group, total),
            residual_share: share(self.out.residual, total),
            max_residual_share: max,
            nodes,
        }
    }
}

impl ColumnProfile {
    /// Records placed in a category (detailed ones counted under their category).
    pub fn in_categories(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.level == Level::Category)
            .map(|n| n.count)
            .sum()
    }

    /// Records placed in category `c` (or one of its detailed categories).
    pub fn category_count(&self, c: Category) -> u64 {
        self.nodes
            .iter()
            .find(|n| n.node == Node::Category(c))
            .map_or(0, |n| n.count)
    }

    /// The column's categories beside `population`'s (the council's Census 2021 usual
    /// residents, [`crate::census_2021`]): each category's share of the records placed in a
    /// category, and of the residents. `None` when no record is placed in a category.
    ///
    /// ```
    /// use wm_ethnicity::{Category, ReturnSpec, Registry, Table, Validator, census_2021};
    ///
    /// let data = "Ethnicity\nWBRI\nAPKN\nAPKN\nREFU\n";
    /// let table = Table::from_reader("r.csv", data.as_bytes(), &Default::default()).unwrap();
    /// let registry = Registry::new();
    /// let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds");
    /// let report = Validator::new(&spec, &registry).unwrap().check(table).unwrap();
    /// let c = report.columns[0].beside(census_2021("Birmingham").unwrap()).unwrap();
    /// assert_eq!(c.placed, 3); // REFU is not placed in a category
    /// let first = c.largest_gaps().next().unwrap();
    /// assert_eq!(first.category, Category::AsianPakistani);
    /// assert!((first.share - 2.0 / 3.0).abs() < 1e-12);
    /// assert!(first.gap > 0.4); // 17.0% of Birmingham's residents
    /// ```
    pub fn beside(&self, population: &Population) -> Option<CensusComparison> {
        let placed = self.in_categories();
        if placed == 0 {
            return None;
        }
        let categories: Vec<CategoryShare> = Category::ALL
            .into_iter()
            .map(|c| {
                let records = self.category_count(c);
                let share = share(records, placed);
                let population_share = population.share(c);
                CategoryShare {
                    category: c,
                    label: Node::Category(c).label(),
                    records,
                    share,
                    population_share,
                    gap: share - population_share,
                }
            })
            .collect();
        let mut by_gap: Vec<Category> = categories.iter().map(|c| c.category).collect();
        by_gap.sort_by(|a, b| {
            let gap = |c: &Category| categories[*c as usize].gap.abs();
            gap(b).total_cmp(&gap(a))
        });
        Some(CensusComparison {
            area_code: population.area_code.clone(),
            area_name: population.area_name.clone(),
            source: CENSUS_2021_SOURCE,
            placed,
            categories,
            by_gap,
        })
    }
}

/// One category of a column beside its share of a population ([`ColumnProfile::beside`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryShare {
    /// The category.
    pub category: Category,
    /// Its label.
    pub label: &'static str,
    /// The column's records placed in it (or in one of its detailed categories).
    pub records: u64,
    /// Their share (0 to 1) of the column's records placed in any category.
    pub share: f64,
    /// The category's share (0 to 1) of the population.
    pub population_share: f64,
    /// `share - population_share`: above 0, the category is more frequent in the column.
    pub gap: f64,
}

/// A coded column's categories beside a Census 2021 population ([`ColumnProfile::beside`]):
/// what the text summary, the HTML report and the browser page show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CensusComparison {
    /// The population's ONS area code.
    pub area_code: String,
    /// Its name, as ONS writes it.
    pub area_name: String,
    /// The published table the population comes from.
    pub source: &'static str,
    /// The column's records placed in a category: the denominator of the column's shares.
    pub placed: u64,
    /// Every category, in the standard's order.
    pub categories: Vec<CategoryShare>,
    /// The categories, the largest gap (either way) first.
    pub by_gap: Vec<Category>,
}

impl CensusComparison {
    /// How many of the largest gaps a report calls out.
    pub const CALLED_OUT: usize = 3;

    /// The categories, the largest gap (either way) first.
    pub fn largest_gaps(&self) -> impl Iterator<Item = &CategoryShare> {
        self.by_gap.iter().map(|c| &self.categories[*c as usize])
    }
}

#[allow(clippy::cast_precision_loss)]
fn share(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

/// The 64-bit hash (SipHash-1-3) of a record id. Ids are compared by hash to keep the duplicate
/// check at 12 bytes per table slot; two different ids share a hash with a chance of about
/// n²/2⁶⁵ (3 in 10⁸ for a million ids).
fn id_hash(id: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(id.as_bytes());
    h.finish()
}

/// The ids seen so far, as a set of id hashes with the record each was first seen in: open
/// addressing with linear probing, a slot being the hash and the record number in 12 bytes, so
/// that looking an id up touches one place in memory (a cache miss, once the table is large)
/// rather than two (a map's control bytes, then its slot). The hash is already well mixed: its
/// low bits pick the slot. 0 marks an empty slot, so a hash of 0 is stored as 1.
#[derive(Debug, Default)]
struct IdTable {
    /// Hash low half, hash high half, first record number; a power of two of them, or none.
    slots: Vec<[u32; 3]>,
    len: usize,
}

impl IdTable {
    fn len(&self) -> usize {
        self.len
    }

    /// The first record `hash` was seen in, or `None` after recording it for record `n`.
    fn first_or_insert(&mut self, hash: u64, n: u32) -> Option<u32> {
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.reserve(self.len + 1);
        }
        let hash = hash.max(1);
        #[allow(clippy::cast_possible_truncation)]
        let (lo, hi) = (hash as u32, (hash >> 32) as u32);
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let mut i = hash as usize & mask;
        loop {
            let slot = &mut self.slots[i];
            if slot[0] == lo && slot[1] == hi {
                return Some(slot[2]);
            }
            if slot[0] == 0 && slot[1] == 0 {
                *slot = [lo, hi, n];
                self.len += 1;
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Makes room for `total` ids without growing again (at most 7/8 of the slots in use).
    fn reserve(&mut self, total: usize) {
        let want = (total.saturating_mul(8) / 7 + 1)
            .next_power_of_two()
            .max(1024);
        if want <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, vec![[0; 3]; want]);
        self.len = 0;
        for slot in old {
            if slot[0] != 0 || slot[1] != 0 {
                let hash = u64::from(slot[0]) | (u64::from(slot[1]) << 32);
                self.first_or_insert(hash, slot[2]);
            }
        }
    }
}

/// After this many ids the table is sized once for the whole file (estimated from the bytes read
/// so far), so it does not pass through doublings that briefly hold two tables.
const PRESIZE_AFTER: usize = 4096;

/// Where bytes not valid in the encoding were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    /// In a column the return checks: the value is shown.
    Value,
    /// In another column: not shown.
    OtherColumn,
    /// In a line that could not be read as a record.
    Line,
}

/// What a finding is about, kept borrowed until a message is wanted.
#[derive(Debug, Clone, Copy)]
enum Detail<'a> {
    None,
    /// A value rejected as conversion rejects it: its rule, reason and suggestion.
    Rejected(&'a Rejection),
    /// A value found (by label, or a standard code) whose meaning is a residual.
    Residual(Node),
    Fields {
        found: usize,
        expected: usize,
    },
    Encoding(Bad),
    Code(&'a Code),
    /// A code the record's council return does not accept.
    NotInReturn(&'a Code, &'static Return),
    CodeOnDate(&'a Code, Date),
    Duplicate {
        first: u32,
    },
    Unknown(Why<'a>),
    Share {
        residual: u64,
        total: u64,
    },
    Empty(Role),
    /// A retired FHIR code system the record's coding names.
    System(&'static FhirSystem),
}

struct State<'v, 'r, 's> {
    v: &'v Validator<'r>,
    header: Vec<String>,
    binding: Binding<'r>,
    encoding: &'static str,
    sheet: bool,
    /// FHIR input: a malformed record is a resource that is not a Patient, or not JSON.
    fhir: bool,
    sink: Option<&'s mut dyn Sink>,
    counts: [[u64; 2]; RULE_COUNT],
    profiles: Vec<Profile>,
    /// Each characteristic column's counts, in the order of `Validator::characteristics`.
    characteristic_counts: Vec<CharacteristicCounts>,
    ids: IdTable,
    presized: bool,
    /// The input's size in progress units (0 when unknown).
    total: u64,
    records: u64,
    /// Why recent unknown values were unknown, by (column, value): the same bad value tends to
    /// repeat, and explaining it searches every scheme.
    unknown: HashMap<(usize, usize, Box<str>), (Rule, Detail<'r>)>,
    /// Recent messages and suggestions (already made printable), by (rule, column) then value,
    /// for findings whose text depends on nothing else. Looked up by the value as it is, with no
    /// copy of it.
    messages: HashMap<(Rule, usize, usize), TextByValue>,
}

/// A finding's message and suggestion.
type Text = (String, Option<String>);

/// Messages and suggestions by value.
type TextByValue = HashMap<Box<str>, Text, BuildHasherDefault<FxHasher>>;

/// How many explanations and messages are kept; the caches are emptied when full, so memory
/// stays bounded whatever the file holds.
const CACHE_ENTRIES: usize = 4096;

/// Where a finding is: line, record and row, or the whole file.
#[derive(Clone, Copy)]
struct At {
    line: Option<u64>,
    record: Option<u64>,
    row: Option<u64>,
}

impl At {
    fn of(rec: &Record<'_>) -> At {
        At {
            line: Some(rec.line()),
            record: Some(rec.number()),
            row: rec.row(),
        }
    }
}

impl<'r> State<'_, 'r, '_> {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        rule: Rule,
        severity: Option<Severity>,
        at: At,
        column: Option<usize>,
        scheme: Option<&'r Scheme>,
        value: Option<&str>,
        detail: Detail<'_>,
    ) -> std::io::Result<()> {
        let Some(global) = self.v.severity[rule.index()] else {
            return Ok(());
        };
        let severity = severity.unwrap_or(global);
        self.counts[rule.index()][usize::from(severity == Severity::Query)] += 1;
        let State {
            v,
            header,
            sink,
            encoding,
            sheet,
            messages,
            ..
        } = self;
        let Some(sink) = sink.as_deref_mut() else {
            return Ok(());
        };
        if !sink.wants(severity) {
            return Ok(());
        }
        let column_name = column.and_then(|i| header.get(i)).cloned();
        // The text of most findings depends only on the rule, the column and the value.
        let cacheable = !matches!(
            rule,
            Rule::DuplicateId
                | Rule::RepeatedEthnicity
                | Rule::InvalidAge
                | Rule::NotValidOnDate
                | Rule::ResidualShare
                | Rule::WrongFieldCount
                | Rule::UnknownDataset
        );
        let key = (rule, column.unwrap_or(usize::MAX), scheme_key(scheme));
        let cached = if cacheable {
            messages
                .get(&key)
                .and_then(|m| m.get(value.unwrap_or("")))
                .cloned()
        } else {
            None
        };
        // Only values of coded columns reach a finding: id and date values never do.
        let shown = value.map(|v| may_show(Role::Coded, v));
        let (message, suggestion) = if let Some(hit) = cached {
            hit
        } else {
            // A value that is not shown must not reach the message either: a value spanning
            // several lines may hold other columns of the record.
            let described = match shown {
                Some(Err(_)) => "(value not shown)",
                Some(Ok(v)) => v,
                None => "",
            };
            let (message, suggestion) = describe(
                v,
                rule,
                column_name.as_deref().unwrap_or(""),
                scheme,
                described,
                detail,
                (encoding, *sheet),
            );
            // Messages quote the value: it may not drive a terminal (the value itself stays
            // raw).
            let made = (
                printable(&message).into_owned(),
                suggestion.map(|s| printable(&s).into_owned()),
            );
            if cacheable {
                let texts = messages.entry(key).or_default();
                if texts.len() >= CACHE_ENTRIES {
                    texts.clear();
                }
                texts.insert(value.unwrap_or("").into(), made.clone());
            }
            made
        };
        let message = match shown {
            Some(Err(why)) => format!("{message} (the value is not shown: it {})", why.reason()),
            _ => message,
        };
        sink.finding(Finding {
            rule,
            severity,
            line: at.line,
            record: at.record,
            row: at.row,
            column: column_name,
            value: shown.and_then(Result::ok).map(str::to_owned),
            message,
            suggestion,
        })
    }

    fn record(&mut self, rec: &Record<'_>) -> std::io::Result<()> {
        self.records += 1;
        let at = At::of(rec);
        match rec.shape() {
            Shape::Ok => {}
            Shape::WrongFieldCount { found, expected } => {
                self.not_checked();
                return self.emit(
                    Rule::WrongFieldCount,
                    None,
                    at,
                    None,
                    None,
                    None,
                    Detail::Fields { found, expected },
                );
            }
            Shape::Malformed(why) => {
                self.not_checked();
                if rec.is_valid_text() {
                    return self.emit_malformed(at, why);
                }
                return self.emit(
                    Rule::InvalidEncoding,
                    None,
                    at,
                    None,
                    None,
                    None,
                    Detail::Encoding(Bad::Line),
                );
            }
        }
        if !rec.is_valid_text() {
            for i in 0..rec.len() {
                let undeclared = !self.binding.declared.get(i).copied().unwrap_or(false);
                if undeclared && matches!(rec.get(i), Some(Field::Invalid(_))) {
                    self.emit(
                        Rule::InvalidEncoding,
                        None,
                        at,
                        Some(i),
                        None,
                        None,
                        Detail::Encoding(Bad::OtherColumn),
                    )?;
                }
            }
        }
        if let Some(i) = self.binding.id {
            self.check_id(rec, at, i)?;
        }
        let date = match self.binding.date {
            Some(i) => self.check_date(rec, at, i)?,
            None => None,
        };
        for c in 0..self.v.coded.len() {
            if let Some((i, from)) = self.binding.coded[c] {
                self.check_coded(rec, at, c, i, from, date)?;
            }
        }
        for c in 0..self.v.characteristics.len() {
            if let Some(i) = self.binding.characteristics[c] {
                self.check_characteristic(rec, at, c, i)?;
            }
        }
        Ok(())
    }

    /// Checks characteristic column `c` (at index `i`) as conversion reads it. An age or a date
    /// of birth is never shown.
    fn check_characteristic(
        &mut self,
        rec: &Record<'_>,
        at: At,
        c: usize,
        i: usize,
    ) -> std::io::Result<()> {
        let Some(raw) = self.field(rec, at, i)? else {
            self.characteristic_counts[c].invalid += 1;
            return Ok(());
        };
        let check = &self.v.characteristics[c];
        let role = Role::Characteristic(check.reader.characteristic());
        let counts = &mut self.characteristic_counts[c];
        if is_blank(raw) {
            match check.empty {
                EmptyCell::NotKnown => counts.add_residual(Residual::NotKnown),
                _ => counts.empty += 1,
            }
            return self.empty(at, i, check.empty, role, None);
        }
        match check.reader.read(raw) {
            Ok(v) => {
                match v.residual {
                    Some(r) => counts.add_residual(r),
                    None => counts.add(v.code, v.label, false),
                }
                Ok(())
            }
            Err(u) => {
                counts.invalid += 1;
                let value = may_show(role, raw).ok();
                let r = Rejection::from(u);
                self.emit(r.rule, None, at, Some(i), None, value, Detail::Rejected(&r))
            }
        }
    }

    fn emit_malformed(&mut self, at: At, why: &str) -> std::io::Result<()> {
        let Some(global) = self.v.severity[Rule::MalformedRecord.index()] else {
            return Ok(());
        };
        self.counts[Rule::MalformedRecord.index()][usize::from(global == Severity::Query)] += 1;
        if let Some(sink) = self.sink.as_deref_mut()
            && sink.wants(global)
        {
            sink.finding(Finding {
                rule: Rule::MalformedRecord,
                severity: global,
                line: at.line,
                record: at.record,
                row: at.row,
                column: None,
                value: None,
                message: format!("the line is not a record: {why}"),
                suggestion: Some(if self.fhir {
                    "FHIR input holds Patient resources, one JSON object a line (NDJSON) or \
                         a Bundle's entries; export the Patients alone."
                        .to_owned()
                } else {
                    "Each line of a JSON Lines file must be one JSON object, e.g. \
                         {\"id\": \"1\", \"ethnicity\": \"WBRI\"}."
                        .to_owned()
                }),
            })?;
        }
        Ok(())
    }

    fn not_checked(&mut self) {
        for (p, b) in self.profiles.iter_mut().zip(&self.binding.coded) {
            if b.is_some() {
                p.out.not_checked += 1;
            }
        }
        for (p, b) in self
            .characteristic_counts
            .iter_mut()
            .zip(&self.binding.characteristics)
        {
            if b.is_some() {
                p.not_checked += 1;
            }
        }
    }

    fn field<'a>(
        &mut self,
        rec: &Record<'a>,
        at: At,
        i: usize,
    ) -> std::io::Result<Option<&'a str>> {
        match rec.get(i) {
            Some(Field::Text(s)) => Ok(Some(s)),
            Some(f @ Field::Invalid(_)) => {
                let text = f.text();
                self.emit(
                    Rule::InvalidEncoding,
                    None,
                    at,
                    Some(i),
                    None,
                    Some(&text),
                    Detail::Encoding(Bad::Value),
                )?;
                Ok(None)
            }
            None => Ok(Some("")),
        }
    }

    fn empty(
        &mut self,
        at: At,
        i: usize,
        how: EmptyCell,
        role: Role,
        scheme: Option<&'r Scheme>,
    ) -> std::io::Result<()> {
        let severity = match how {
            EmptyCell::Error => None,
            EmptyCell::Query => Some(Severity::Query),
            EmptyCell::NotKnown | EmptyCell::Allowed => return Ok(()),
        };
        self.emit(
            Rule::EmptyValue,
            severity,
            at,
            Some(i),
            scheme,
            Some(""),
            Detail::Empty(role),
        )
    }

    fn check_id(&mut self, rec: &Record<'_>, at: At, i: usize) -> std::io::Result<()> {
        let Some(raw) = self.field(rec, at, i)? else {
            return Ok(());
        };
        let id = raw.trim();
        if id.is_empty() {
            let how = self.v.id.as_ref().map_or(EmptyCell::Error, |x| x.1);
            return self.empty(at, i, how, Role::Id, None);
        }
        let n = u32::try_from(rec.number()).unwrap_or(u32::MAX);
        let hash = id_hash(id);
        if !self.presized && self.ids.len() == PRESIZE_AFTER {
            self.presized = true;
            let done = rec.progress();
            if self.total > done && done > 0 {
                // Records so far scaled by the input left, plus a tenth for safety.
                let expect = u128::from(self.records) * u128::from(self.total) / u128::from(done);
                let expect = usize::try_from(expect + expect / 10).unwrap_or(usize::MAX);
                self.ids.reserve(expect.min(1 << 27));
            }
        }
        match self.ids.first_or_insert(hash, n) {
            None => Ok(()),
            // The id itself is never shown (privacy): the finding names the records.
            Some(first) => self.emit(
                Rule::DuplicateId,
                None,
                at,
                Some(i),
                None,
                None,
                Detail::Duplicate { first },
            ),
        }
    }

    fn check_date(&mut self, rec: &Record<'_>, at: At, i: usize) -> std::io::Result<Option<Date>> {
        let Some(raw) = self.field(rec, at, i)? else {
            return Ok(None);
        };
        if is_blank(raw) {
            let how = self.v.date.as_ref().map_or(EmptyCell::Error, |x| x.1);
            self.empty(at, i, how, Role::Date, None)?;
            return Ok(None);
        }
        let date = Date::parse(raw);
        if date.is_none() {
            self.emit(
                Rule::InvalidDate,
                None,
                at,
                Some(i),
                None,
                None, // a date (of birth, perhaps) is never shown
                Detail::None,
            )?;
        }
        Ok(date)
    }

    /// Checks coded column `c` (at index `i`) of a record: its scheme from `from`, then its
    /// value, as conversion reads them (so both agree on which records are wrong).
    fn check_coded(
        &mut self,
        rec: &Record<'_>,
        at: At,
        c: usize,
        i: usize,
        from: RowScheme<'r>,
        date: Option<Date>,
    ) -> std::io::Result<()> {
        for j in from.columns() {
            if self.field(rec, at, j)?.is_none() {
                self.profiles[c].out.invalid += 1;
                return Ok(());
            }
        }
        let source = match from.source_of(rec) {
            Ok(s) => s,
            Err(r) => {
                self.profiles[c].out.invalid += 1;
                return self.emit_rejection(rec, at, &r, None);
            }
        };
        // The person's cells: this column's, then the later answers' columns'.
        let mut cells = Vec::with_capacity(1 + self.binding.more[c].len());
        for k in 0..=self.binding.more[c].len() {
            let j = if k == 0 {
                i
            } else {
                self.binding.more[c][k - 1]
            };
            let Some(raw) = self.field(rec, at, j)? else {
                self.profiles[c].out.invalid += 1;
                return Ok(());
            };
            cells.push((j, raw));
        }
        let empty = self.v.coded[c].empty;
        let scheme = scheme_of(source);
        if let (Some(sys), Some(j)) = (from.retired_system(rec), from.columns().next()) {
            let detail = Detail::System(sys);
            self.emit(
                Rule::RetiredCodeSystem,
                None,
                at,
                Some(j),
                scheme,
                None,
                detail,
            )?;
        }
        // The council return the record belongs to: which codes it takes (WM019).
        let ret = from.return_of(rec).or_else(|| {
            let scheme = scheme_of(source)?;
            self.v.fixed_return.filter(|r| r.scheme == scheme.id)
        });
        let values = self.v.coded[c].answers.split(cells.iter().copied());
        if let [(i, raw)] = values[..] {
            if is_blank(raw) {
                match empty {
                    EmptyCell::NotKnown => {
                        self.profiles[c].add(Node::Residual(Residual::NotKnown));
                    }
                    _ => self.profiles[c].out.empty += 1,
                }
                return self.empty(at, i, empty, Role::Coded, scheme);
            }
            return self.check_value(rec, at, (c, i), (source, ret), raw, date);
        }
        self.check_several(rec, at, c, (source, ret), (&cells, &values), date)
    }

    /// A person's several ethnicities (`values`, each with the index of its column, from the
    /// `cells` of the coded column and its later answers' columns): more than
    /// [`MAX_ETHNICITIES`] is an error (CV009); a repeated value and a residual beside an ethnic
    /// group are queries (WM022, WM023), each about the cell it is in; then each value is
    /// checked in its own column as a cell of one is. The profile counts the record once, by
    /// its first value.
    fn check_several(
        &mut self,
        rec: &Record<'_>,
        at: At,
        c: usize,
        (source, ret): (Source<'r>, Option<&'static Return>),
        (cells, values): (&[Cell<'_>], &[Cell<'_>]),
        date: Option<Date>,
    ) -> std::io::Result<()> {
        let scheme = scheme_of(source);
        let n = values.len();
        // A finding about the cell column `i` holds.
        let cell = |i: usize| {
            let raw = cells.iter().find(|(j, _)| *j == i).map_or("", |(_, t)| *t);
            (at, i, scheme, raw)
        };
        if let Some(&(i, _)) = values.get(MAX_ETHNICITIES) {
            self.profiles[c].out.invalid += 1;
            let why = self.v.coded[c].answers.too_many(n);
            return self.emit_about(cell(i), Rule::TooManyEthnicities, why);
        }
        let (mut real, mut residual) = (false, None);
        for (k, &(i, v)) in values.iter().enumerate() {
            if let Some(j) = values[..k]
                .iter()
                .position(|(_, w)| w.trim().eq_ignore_ascii_case(v.trim()))
            {
                let why = format!(
                    "value {} of {n} repeats value {}: it counts once",
                    k + 1,
                    j + 1
                );
                self.emit_about(cell(i), Rule::RepeatedEthnicity, why)?;
            }
            let by = self.v.coded[c].by;
            if let Ok(f) = find_value(self.v.registry, self.v.synonyms, source, v, by) {
                if f.meaning.target.is_residual() {
                    residual = residual.or(Some(i));
                } else {
                    real = true;
                }
            }
        }
        if let (true, Some(i)) = (real, residual) {
            self.emit_about(
                cell(i),
                Rule::ResidualBesideEthnicity,
                "a residual value (declined, not known, ...) is given beside an ethnic group: the \
                 residual is not counted"
                    .to_owned(),
            )?;
        }
        for (k, &(i, v)) in values.iter().enumerate() {
            let first = self.profiles[c].clone();
            if is_blank(v) {
                self.empty(at, i, self.v.coded[c].empty, Role::Coded, scheme)?;
            } else {
                self.check_value(rec, at, (c, i), (source, ret), v, date)?;
            }
            if k > 0 {
                self.profiles[c] = first;
            }
        }
        Ok(())
    }

    /// A finding about a whole cell (`at`, column `i`, its scheme and value) under `rule`.
    fn emit_about(
        &mut self,
        (at, i, scheme, raw): (At, usize, Option<&'r Scheme>, &str),
        rule: Rule,
        reason: String,
    ) -> std::io::Result<()> {
        let r = Rejection::new(rule, reason);
        self.emit(
            rule,
            None,
            at,
            Some(i),
            scheme,
            Some(raw),
            Detail::Rejected(&r),
        )
    }

    /// One value of coded column `c` (at index `i`) in `source`, of the council return `ret`
    /// when known.
    fn check_value(
        &mut self,
        rec: &Record<'_>,
        at: At,
        (c, i): (usize, usize),
        (source, ret): (Source<'r>, Option<&'static Return>),
        raw: &str,
        date: Option<Date>,
    ) -> std::io::Result<()> {
        let scheme = scheme_of(source);
        match (scheme, self.v.coded[c].by) {
            (Some(s), By::Code) => self.check_code(at, c, i, s, raw, date, ret),
            (_, by) => match find_value(self.v.registry, self.v.synonyms, source, raw, by) {
                Ok(found) => {
                    let node = found.meaning.target;
                    if node.is_residual() {
                        self.emit(
                            Rule::ResidualValue,
                            None,
                            at,
                            Some(i),
                            scheme,
                            Some(raw),
                            Detail::Residual(node),
                        )?;
                    }
                    self.profiles[c].add(node);
                    Ok(())
                }
                Err(r) => {
                    self.profiles[c].out.invalid += 1;
                    self.emit_rejection(rec, at, &RecordRejection::column(i, r), scheme)
                }
            },
        }
    }

    /// A finding from a rejection of conversion's (an unknown scheme, council or dataset, a
    /// label that matches nothing), about the column it names.
    fn emit_rejection(
        &mut self,
        rec: &Record<'_>,
        at: At,
        r: &RecordRejection,
        scheme: Option<&'r Scheme>,
    ) -> std::io::Result<()> {
        let value = r.index.and_then(|j| match rec.get(j) {
            Some(Field::Text(t)) => Some(t),
            _ => None,
        });
        self.emit(
            r.rejection.rule,
            None,
            at,
            r.index,
            scheme,
            value,
            Detail::Rejected(&r.rejection),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn check_code(
        &mut self,
        at: At,
        c: usize,
        i: usize,
        scheme: &'r Scheme,
        raw: &str,
        date: Option<Date>,
        ret: Option<&'static Return>,
    ) -> std::io::Result<()> {
        let Some(m) = scheme.lookup(raw) else {
            self.profiles[c].out.invalid += 1;
            let key = (c, scheme_key(Some(scheme)), Box::<str>::from(raw));
            let (rule, detail) = if let Some(hit) = self.unknown.get(&key) {
                *hit
            } else {
                let (rule, why) = self.v.explainer.classify(scheme, raw);
                let found = (rule, Detail::Unknown(why));
                if self.unknown.len() >= CACHE_ENTRIES {
                    self.unknown.clear();
                }
                self.unknown.insert(key, found);
                found
            };
            return self.emit(rule, None, at, Some(i), Some(scheme), Some(raw), detail);
        };
        let code = m.code;
        match m.kind {
            MatchKind::Exact => {}
            MatchKind::Normalised => self.emit(
                Rule::NormalisedInput,
                None,
                at,
                Some(i),
                Some(scheme),
                Some(raw),
                Detail::Code(code),
            )?,
            MatchKind::LocalSecondCharacter => self.emit(
                Rule::LocalCode,
                None,
                at,
                Some(i),
                Some(scheme),
                Some(raw),
                Detail::Code(code),
            )?,
        }
        if let Some(r) = ret.filter(|r| !r.codes.allow(code)) {
            self.emit(
                Rule::CodeNotInReturn,
                None,
                at,
                Some(i),
                Some(scheme),
                Some(raw),
                Detail::NotInReturn(code, r),
            )?;
        }
        // Queries about the code itself: named after something not an ethnic group; retired.
        for (applies, rule) in [
            (code.map.records.is_some(), Rule::NotEthnicityCode),
            (code.status == Status::Retired, Rule::RetiredCode),
        ] {
            if applies {
                let detail = Detail::Code(code);
                self.emit(rule, None, at, Some(i), Some(scheme), Some(raw), detail)?;
            }
        }
        if let Some(d) = date
            && !scheme.valid_on(code, d)
        {
            self.emit(
                Rule::NotValidOnDate,
                None,
                at,
                Some(i),
                Some(scheme),
                Some(raw),
                Detail::CodeOnDate(code, d),
            )?;
        }
        if code.map.target.is_residual() {
            self.emit(
                Rule::ResidualValue,
                None,
                at,
                Some(i),
                Some(scheme),
                Some(raw),
                Detail::Code(code),
            )?;
        }
        self.profiles[c].add(code.map.target);
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for c in 0..self.v.coded.len() {
            let Some((i, _)) = self.binding.coded[c] else {
                continue;
            };
            let p = &self.profiles[c];
            let total = p.out.total();
            if total > 0 && p.residual_share() > self.v.max_residual_share {
                let residual = p.out.residual;
                let share = format!("{:.1}%", p.residual_share() * 100.0);
                self.emit(
                    Rule::ResidualShare,
                    None,
                    At {
                        line: None,
                        record: None,
                        row: None,
                    },
                    Some(i),
                    None,
                    Some(&share),
                    Detail::Share { residual, total },
                )?;
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_lines)]
fn describe(
    v: &Validator<'_>,
    rule: Rule,
    column: &str,
    scheme: Option<&Scheme>,
    raw: &str,
    detail: Detail<'_>,
    (encoding, sheet): (&str, bool),
) -> (String, Option<String>) {
    let sid = scheme.map_or("", |s| s.id.as_str());
    match (rule, detail) {
        (Rule::WrongFieldCount, Detail::Fields { found, expected }) if sheet => (
            format!(
                "the row has a value in column {found}, past the header's {expected} columns, so \
                 the row was not checked"
            ),
            Some(
                "Move the value into the right column or delete it: a column without a header is \
                 not read."
                    .to_owned(),
            ),
        ),
        (Rule::WrongFieldCount, Detail::Fields { found, expected }) => (
            format!(
                "the record has {found} field{} but the header has {expected}: values may have \
                 moved to other columns, so the record was not checked",
                if found == 1 { "" } else { "s" }
            ),
            Some(
                "Look for a delimiter inside a value that is not quoted, or a missing or extra \
                 field; put values that contain the delimiter in double quotes."
                    .to_owned(),
            ),
        ),
        (Rule::InvalidEncoding, Detail::Encoding(bad)) => (
            match bad {
                Bad::Value => format!(
                    "the value holds bytes that are not valid {encoding} (shown as \u{fffd})"
                ),
                Bad::OtherColumn => format!(
                    "column `{column}` holds bytes that are not valid {encoding} (the value is \
                     not shown: this column is not one the return checks)"
                ),
                Bad::Line => format!(
                    "the line holds bytes that are not valid {encoding}, so it could not be read \
                     as a record"
                ),
            },
            Some(
                "Save the file as UTF-8 (in Excel: \"CSV UTF-8\"), or, if the whole file was \
                 saved as Windows-1252, give that encoding."
                    .to_owned(),
            ),
        ),
        (Rule::EmptyValue, Detail::Empty(column_role)) => match (column_role, scheme) {
            (Role::Coded, s) => {
                let (message, suggestion) = empty_cell(s.map_or(Source::Standard, Source::Scheme));
                (message, Some(suggestion))
            }
            (Role::Characteristic(k), _) => {
                let (message, suggestion) = crate::characteristic::empty_cell(k);
                (message, Some(suggestion))
            }
            (Role::Id, _) => (
                "no record id given".to_owned(),
                Some("Every record needs an id so that it can be found and corrected.".to_owned()),
            ),
            _ => (
                "no date given, so the codes were not checked against a date".to_owned(),
                None,
            ),
        },
        (Rule::DuplicateId, Detail::Duplicate { first }) => (
            format!("the record has the same id as record {first} (ids are not shown)"),
            Some(
                "Each record needs its own id: remove the repeated record or correct its id."
                    .to_owned(),
            ),
        ),
        (Rule::InvalidDate, _) => (
            "the date is not a date that can be read, so the codes were not checked against it \
             (dates are not shown)"
                .to_owned(),
            Some("Write dates as YYYY-MM-DD (2024-10-03) or DD/MM/YYYY (03/10/2024).".to_owned()),
        ),
        (Rule::NormalisedInput, Detail::Code(code)) => {
            let mut changes = Vec::new();
            if raw.trim() != raw {
                changes.push("removing spaces");
            }
            let trimmed = raw.trim();
            if trimmed != code.key() && trimmed.eq_ignore_ascii_case(code.key()) {
                changes.push("changing case");
            } else if trimmed.starts_with('0') && trimmed.trim_start_matches('0') == code.key() {
                changes.push("removing leading zeros");
            } else if excel_whole_number(trimmed).as_deref() == Some(code.key()) {
                changes.push("reading back the number Excel wrote (every digit is there)");
            } else if trimmed != code.key() {
                changes.push("normalising punctuation and spacing");
            }
            (
                format!(
                    "`{raw}` was read as {} `{}` ({}) after {}",
                    what_of(scheme),
                    code.key(),
                    code.label,
                    changes.join(" and ")
                ),
                Some(format!("Write it exactly as `{}`.", code.key())),
            )
        }
        (Rule::LocalCode, Detail::Code(code)) => {
            let mut msg = format!(
                "`{raw}` is a local code: national code {} of {sid} with a local second \
                 character; it is counted as {}",
                quoted_code(code),
                code.key()
            );
            let also = v.explainer.exactly_elsewhere(sid, raw);
            if !also.is_empty() {
                let _ = write!(
                    msg,
                    "; it is also {}: check which was meant",
                    also.join(" and ")
                );
            }
            (msg, None)
        }
        (Rule::CodeNotInReturn, Detail::NotInReturn(code, r)) => {
            // The main code it rolls up to: its parent's parent ..., within the scheme.
            let mut main = code;
            while let Some(p) = main.parent.as_deref().and_then(|p| scheme?.get(p)) {
                main = p;
            }
            (
                format!(
                    "{} is not a main code of {sid}: the {} return takes only the main codes; it rolls up to {}",
                    quoted_code(code),
                    r.dataset,
                    quoted_code(main)
                ),
                Some(format!("Report {} in this return.", quoted_code(main))),
            )
        }
        (Rule::NotEthnicityCode, Detail::Code(code)) => {
            let records = code.map.records.map_or("", Records::name);
            (
                format!(
                    "{} of {sid} is named after a {records}, not an ethnic group: it is counted as `{}`, a judgement ({})",
                    quoted_code(code),
                    code.map.target.code(),
                    code.map.note.as_deref().unwrap_or_default()
                ),
                Some("Check that the record holds the person's own ethnic group.".to_owned()),
            )
        }
        (Rule::RetiredCodeSystem, Detail::System(sys)) => (
            format!(
                "the coding's system {} ({sid}) is retired by its publisher: its codes are read as {sid}",
                sys.url
            ),
            Some(if sys.scheme == "nhs-ethnic-category-extended" {
                "Record new values in UK Core's EthnicCategoryEngland (the national letters) or EthnicCategoryWales.".to_owned()
            } else {
                "Record new values in a code system that is in use.".to_owned()
            }),
        ),
        (Rule::RetiredCode, Detail::Code(code)) => {
            // Its successor: the active code with the same label (police O1 -> A4), else one with
            // the same meaning exactly. NHS Scotland's older 1E English has neither (1A is
            // Scottish): no suggestion rather than a wrong one.
            let replacement = scheme.and_then(|s| {
                s.codes()
                    .iter()
                    .find(|c| {
                        c.status == Status::Active && c.label == code.label && c.key() != code.key()
                    })
                    .or_else(|| {
                        (code.map.relationship == Relationship::Equivalent)
                            .then(|| same_target(s, code.map.target))
                            .flatten()
                    })
            });
            (
                format!("{} is a retired code of {sid}", quoted_code(code)),
                replacement.map(|r| format!("Use {} instead.", quoted_code(r))),
            )
        }
        (Rule::ResidualValue, Detail::Code(code)) => {
            let node = code.map.target;
            (
                format!(
                    "{} is a residual value ({}), not an ethnic group",
                    quoted_code(code),
                    node.label().to_lowercase()
                ),
                None,
            )
        }
        (_, Detail::Rejected(r)) => (r.reason.clone(), r.suggestion.clone()),
        (Rule::ResidualValue, Detail::Residual(node)) => (
            format!(
                "`{raw}` is a residual value ({}), not an ethnic group",
                node.label().to_lowercase()
            ),
            None,
        ),
        (Rule::NotValidOnDate, Detail::CodeOnDate(code, date)) => {
            let (from, to) = scheme.map_or((None, None), |s| {
                (
                    code.valid_from.or(s.valid_from),
                    code.valid_to.or(s.valid_to),
                )
            });
            let range = match (from, to) {
                (Some(f), Some(t)) => format!("from {f} to {t}"),
                (Some(f), None) => format!("from {f}"),
                (None, Some(t)) => format!("until {t}"),
                (None, None) => String::new(),
            };
            let replacement = scheme.and_then(|s| {
                s.codes()
                    .iter()
                    .find(|c| c.map.target == code.map.target && s.valid_on(c, date))
            });
            (
                format!(
                    "{} is not valid on the record's date {date}: it is valid {range}",
                    quoted_code(code)
                ),
                Some(match replacement {
                    Some(r) => format!("Check the date, or use {}.", quoted_code(r)),
                    None => {
                        "Check the record's date, or the scheme the column should be in.".to_owned()
                    }
                }),
            )
        }
        (_, Detail::Unknown(why)) => match scheme {
            Some(s) => v.explainer.describe(rule, s, raw, why),
            None => (rule.summary().to_owned(), None),
        },
        (Rule::ResidualShare, Detail::Share { residual, total }) => (
            format!(
                "{raw} of the records ({residual} of {total}) in column `{column}` are residual \
                 values ({}); this return allows at most {}",
                Residual::all_named(),
                format_args!("{:.1}%", v.max_residual_share * 100.0)
            ),
            Some(
                "Check whether these people were asked, and record their answers where they \
                 are known."
                    .to_owned(),
            ),
        ),
        (r, _) => (r.summary().to_owned(), None),
    }
}

/// The scheme of a source (none for the standard's own codes).
fn scheme_of(source: Source<'_>) -> Option<&Scheme> {
    match source {
        Source::Scheme(s) => Some(s),
        Source::Standard => None,
    }
}

/// A scheme's identity in the caches of explanations and messages (0 for the standard).
fn scheme_key(scheme: Option<&Scheme>) -> usize {
    scheme.map_or(0, |s| std::ptr::from_ref(s) as usize)
}

fn what_of(scheme: Option<&Scheme>) -> &'static str {
    scheme.map_or("code", what)
}

#[cfg(test)]
mod tests {
    use super::IdTable;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// The table answers as a map from hash to first record would, through growth (few
        /// distinct hashes, so duplicates are common; 0 and 1 are one hash by design).
        #[test]
        fn id_table_is_a_map_of_first_records(
            hashes in prop::collection::vec(prop_oneof![0u64..3000, any::<u64>()], 0..5000),
            presize in prop::option::of(0usize..4000),
        ) {
            let mut table = IdTable::default();
            let mut model: HashMap<u64, u32> = HashMap::new();
            for (n, &h) in hashes.iter().enumerate() {
                if presize.is_some_and(|at| at == n) {
                    table.reserve(hashes.len());
                }
                let n = u32::try_from(n).unwrap();
                let want = model.get(&h.max(1)).copied();
                if want.is_none() {
                    model.insert(h.max(1), n);
                }
                prop_assert_eq!(table.first_or_insert(h, n), want);
                prop_assert_eq!(table.len(), model.len());
            }
        }
    }
}
