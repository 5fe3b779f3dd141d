//! Return specifications: what a return holds and how to check it.
//!
//! A specification names the columns of a return, the coding scheme of each coded column, which
//! columns must be present, and the return's own rules (what an empty cell means, the largest
//! share of residual values, rule severities). It is built in code, from the `validate` flags, or
//! loaded from a YAML file checked against `schema/return-spec.schema.json`:
//!
//! ```yaml
//! name: "School census: pupil ethnicity"
//! council: E08000025
//! dataset: school-census       # which of the council's returns: the codes it takes (WM019)
//! max_residual_share: 0.1
//! severity:
//!   residual-value: off        # declined / not obtained are fine one by one
//! columns:
//!   - name: UPN
//!     role: id
//!   - name: Ethnicity
//!     scheme: dfe-cbds
//!     empty: not-known         # an empty cell means "not known" in this return
//!   - name: CensusDate
//!     role: date
//!     required: false
//! ```
//!
//! A coded column of a return mixing schemes reads each record's scheme from another column
//! (`scheme_column: Scheme`), or from the council profiles (`council_column: LA` with
//! `dataset_column: Dataset`); `by: label` matches free text. These are `validate` and `convert`'s
//! `--scheme-column`, `--council-column`, `--dataset-column` and `--by`, so that a specification
//! gives both commands the same reading.
//!
//! ```
//! use wm_ethnicity::{ReturnSpec, Role};
//!
//! let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds").with_id_column("UPN");
//! assert_eq!(spec.coded_columns().count(), 1);
//! assert_eq!(spec.id_column().unwrap().name, "UPN");
//! assert_eq!(spec.columns[1].role, Role::Id);
//! ```

use crate::characteristic::{Characteristic, CharacteristicColumn, Classifications};
use crate::council::{Council, Return};
use crate::date::Date;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::multiple::MAX_ETHNICITIES;
use crate::rules::{Rule, Severity};
use crate::scheme::Registry;
use crate::yaml;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The residual share above which rule WM013 reports an error, unless a specification says
/// otherwise.
pub const DEFAULT_MAX_RESIDUAL_SHARE: f64 = 0.2;

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// Holds codes of a coding scheme.
    Coded,
    /// The record id: checked for duplicates.
    Id,
    /// The date each record's codes must be valid on.
    Date,
    /// Only required to be present.
    Other,
    /// Holds a characteristic other than ethnicity (`sex`, `age`, `religion`, ...), read through
    /// a classification of it ([`crate::characteristic`]).
    Characteristic(Characteristic),
}

impl Role {
    /// The name used in specifications: `coded`, `id`, `date`, `other`, or the characteristic's
    /// name.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Coded => "coded",
            Role::Id => "id",
            Role::Date => "date",
            Role::Other => "other",
            Role::Characteristic(c) => c.name(),
        }
    }

    /// The role named `name`.
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "coded" => Some(Role::Coded),
            "id" => Some(Role::Id),
            "date" => Some(Role::Date),
            "other" => Some(Role::Other),
            _ => Characteristic::from_name(name).map(Role::Characteristic),
        }
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Role::from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a role")))
    }
}

/// What an empty cell means in a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EmptyCell {
    /// An error (rule WM004).
    #[default]
    Error,
    /// A query (rule WM004 as a query).
    Query,
    /// The residual value "not known": no finding; counted as not known.
    NotKnown,
    /// Allowed: no finding; counted as empty in the profile.
    Allowed,
}

/// How a value is matched: on the scheme's codes, or on labels (free text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum By {
    /// The scheme's codes (for label-keyed schemes, the key is the label: see [`crate::scheme::KeyedBy`]).
    #[default]
    Code,
    /// Free text: the scheme's labels, then the curated synonyms.
    Label,
}

impl By {
    /// Every way of matching, in the order flags list them.
    pub const ALL: [By; 2] = [By::Code, By::Label];

    /// The name used in flags and summaries.
    pub const fn name(self) -> &'static str {
        match self {
            By::Code => "code",
            By::Label => "label",
        }
    }

    /// One line saying what it matches.
    pub const fn help(self) -> &'static str {
        match self {
            By::Code => "The scheme's codes",
            By::Label => "Free text: the scheme's labels, then the curated synonyms",
        }
    }
}

/// Where each record's scheme comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SchemeFrom {
    /// One scheme (or `standard`) for every record.
    Fixed(String),
    /// A column holding a scheme id (or `standard`) per record.
    Column(String),
    /// A council column and a dataset column, resolved through the council profiles
    /// ([`crate::council::council`], [`crate::council::Council::scheme_for`]).
    Council {
        /// The column naming the council (ONS code, short id or name).
        council: String,
        /// The column naming the dataset (e.g. `school-census`).
        dataset: String,
    },
}

impl SchemeFrom {
    /// Each record's scheme from the flags that give it (the command line's, and the browser
    /// page's request): one `scheme`, else a `scheme_column`, else a `council_column` with a
    /// `dataset_column`; `None` without them.
    pub fn from_flags(
        scheme: Option<&str>,
        scheme_column: Option<&str>,
        council_column: Option<&str>,
        dataset_column: Option<&str>,
    ) -> Option<SchemeFrom> {
        match (scheme, scheme_column, council_column, dataset_column) {
            (Some(s), _, _, _) => Some(SchemeFrom::Fixed(s.to_owned())),
            (None, Some(c), _, _) => Some(SchemeFrom::Column(c.to_owned())),
            (None, None, Some(c), Some(d)) => Some(SchemeFrom::Council {
                council: c.to_owned(),
                dataset: d.to_owned(),
            }),
            _ => None,
        }
    }

    /// How summaries name it: the scheme id when fixed, else where it is read from.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        match self {
            SchemeFrom::Fixed(id) => id.into(),
            other => other.to_string().into(),
        }
    }
}

impl fmt::Display for SchemeFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemeFrom::Fixed(id) => write!(f, "scheme {id}"),
            SchemeFrom::Column(c) => write!(f, "the scheme in column {c}"),
            SchemeFrom::Council { council, dataset } => {
                write!(f, "council profiles (columns {council} and {dataset})")
            }
        }
    }
}

/// Where the several ethnicities of one person are (Stats NZ records up to six): the coded
/// column, then `more_columns` (legacy `ethnicity_1` ... `ethnicity_3`), each cell holding one
/// answer or several split on `separator` (`White British;Irish`). Answers keep their order: the
/// cells' in column order, then each cell's.
///
/// ```
/// use wm_ethnicity::Answers;
///
/// let columns = Answers { more_columns: vec!["eth_2".into(), "eth_3".into()], separator: None };
/// // (column index, cell): an empty later column is a person who gave fewer answers.
/// assert_eq!(columns.split([(4, "A"), (5, "H"), (6, " ")]), [(4, "A"), (5, "H")]);
/// let cell = Answers { more_columns: vec![], separator: Some(";".into()) };
/// assert_eq!(cell.split([(4, "A;H")]), [(4, "A"), (4, "H")]);
/// // A person with no answer at all is one empty answer in the first column.
/// assert_eq!(columns.split([(4, ""), (5, ""), (6, "")]), [(4, "")]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Answers {
    /// The columns holding a person's later answers, after the coded column, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_columns: Vec<String>,
    /// What separates several answers inside one cell (`;`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
}

impl Answers {
    /// True when a person may give more than one answer (more columns, or a separator).
    pub fn several(&self) -> bool {
        !self.more_columns.is_empty() || self.separator.is_some()
    }

    /// How summaries name where a person's answers are, the coded column being `column`:
    /// `column eth split on ";"`, `columns e1, e2, e3`.
    pub fn describe(&self, column: &str) -> String {
        let mut columns = vec![column];
        columns.extend(self.more_columns.iter().map(String::as_str));
        format!(
            "column{} {}{}",
            if columns.len() > 1 { "s" } else { "" },
            columns.join(", "),
            self.separator
                .as_ref()
                .map(|sep| format!(" split on `{sep}`"))
                .unwrap_or_default()
        )
    }

    /// Why `n` answers are too many (rule CV009, validate's and convert's words alike).
    pub fn too_many(&self, n: usize) -> String {
        let how = match &self.separator {
            Some(sep) => format!(" separated by `{sep}`"),
            None => String::new(),
        };
        format!("{n} ethnicities{how}: a person gives at most {MAX_ETHNICITIES}")
    }

    /// A person's answers, each with the index of the column it is in, from the cells of the
    /// coded column and the [`Answers::more_columns`] (`(index, text)`, in that order): every
    /// cell that holds something, split on the separator; blank cells are skipped (a person
    /// may give fewer answers than there are columns). A person whose cells are all blank has
    /// one answer, the first cell, for the empty-cell rule to judge. A blank piece of a split
    /// cell (`A;;H`) is kept: it is in the cell the person filled.
    pub fn split<'r>(
        &self,
        cells: impl IntoIterator<Item = (usize, &'r str)>,
    ) -> Vec<(usize, &'r str)> {
        let mut first = None;
        let mut out = Vec::new();
        for (i, cell) in cells {
            first.get_or_insert((i, cell));
            if cell.trim().is_empty() {
                continue;
            }
            match self.separator.as_deref() {
                Some(sep) if !sep.is_empty() => out.extend(cell.split(sep).map(|v| (i, v))),
                _ => out.push((i, cell)),
            }
        }
        if out.is_empty() {
            out.extend(first);
        }
        out
    }
}

/// One column of a return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnSpec {
    /// The header name.
    pub name: String,
    /// What it holds.
    pub role: Role,
    /// For coded columns, where each record's scheme comes from: one scheme id, or columns of
    /// the file (a scheme column, or council and dataset columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<SchemeFrom>,
    /// For coded columns, whether values are codes or labels (free text).
    pub by: By,
    /// When true the column must be in the header (rule WM012, fatal); when false an absent column
    /// is skipped and the report says so.
    pub required: bool,
    /// What an empty cell means.
    pub empty: EmptyCell,
    /// For a coded column that may hold several ethnicities per person: the columns holding
    /// the later answers (`more_columns`) and what separates answers in a cell (`separator`).
    #[serde(flatten)]
    pub answers: Answers,
    /// For an age column holding dates of birth: the date ages are taken on
    /// (`reference_date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date_on: Option<Date>,
    /// For a characteristic column: true to read each value as the top of its standard's
    /// hierarchy (`read_at: top`, the command line's `:top`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub top: bool,
    #[serde(skip)]
    scheme_at: Option<Location>,
}

impl ColumnSpec {
    /// A required column with this role; a coded column needs [`ColumnSpec::scheme`] set.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        ColumnSpec {
            name: name.into(),
            role,
            scheme: None,
            by: By::Code,
            required: true,
            empty: EmptyCell::Error,
            answers: Answers::default(),
            birth_date_on: None,
            top: false,
            scheme_at: None,
        }
    }

    /// A characteristic column as validation and conversion read it: its header, its
    /// classification, its reference date; `None` unless it is a characteristic column with one
    /// scheme.
    pub fn characteristic(&self) -> Option<CharacteristicColumn> {
        match (self.role, &self.scheme) {
            (Role::Characteristic(_), Some(SchemeFrom::Fixed(scheme))) => {
                Some(CharacteristicColumn {
                    column: self.name.clone(),
                    scheme: scheme.clone(),
                    birth_date_on: self.birth_date_on,
                    top: self.top,
                    empty_not_known: self.empty == EmptyCell::NotKnown,
                })
            }
            _ => None,
        }
    }
}

/// A return specification. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnSpec {
    /// The return's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The council submitting it (code, short id or name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub council: Option<String>,
    /// Which of the council's returns it is (`children-in-need`, `school-census`...: the
    /// datasets of its profile). With `council`, the codes the return takes are checked (rule
    /// WM019) on the coded columns in the return's scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// The columns checked.
    pub columns: Vec<ColumnSpec>,
    /// The largest share of residual values per coded column (rule WM013).
    pub max_residual_share: f64,
    /// Rule severities changed from their defaults; `None` turns a rule off.
    #[serde(skip)]
    pub severity: Vec<(Rule, Option<Severity>)>,
    /// Local scheme files to load, resolved against the specification's folder.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scheme_files: Vec<PathBuf>,
}

impl Default for ReturnSpec {
    fn default() -> Self {
        ReturnSpec {
            name: None,
            council: None,
            dataset: None,
            columns: Vec::new(),
            max_residual_share: DEFAULT_MAX_RESIDUAL_SHARE,
            severity: Vec::new(),
            scheme_files: Vec::new(),
        }
    }
}

impl ReturnSpec {
    /// A specification with one required coded column.
    pub fn coded(column: impl Into<String>, scheme: impl Into<String>) -> Self {
        ReturnSpec::coded_from(column, SchemeFrom::Fixed(scheme.into()), By::Code)
    }

    /// A specification with one required coded column, each record's scheme from `scheme`, its
    /// values matched `by` code or label.
    pub fn coded_from(column: impl Into<String>, scheme: SchemeFrom, by: By) -> Self {
        let mut c = ColumnSpec::new(column, Role::Coded);
        c.scheme = Some(scheme);
        c.by = by;
        ReturnSpec {
            columns: vec![c],
            ..ReturnSpec::default()
        }
    }

    /// This specification with the several ethnicities of a person read as `answers` says
    /// (more columns, a separator) in its first coded column.
    #[must_use]
    pub fn with_answers(mut self, answers: Answers) -> Self {
        if let Some(c) = self.columns.iter_mut().find(|c| c.role == Role::Coded) {
            c.answers = answers;
        }
        self
    }

    /// The council return this specification is, when it names a `council` and a `dataset`.
    /// A dataset without a council, a council that is not one of the seven, or a dataset its
    /// profile does not have is an error naming what there is.
    pub fn council_return(&self) -> Result<Option<(&'static Council, &'static Return)>> {
        let invalid = |m: String| Error::new(ErrorKind::Invalid(m), Location::default());
        let (council, dataset) = match (&self.council, &self.dataset) {
            (Some(c), Some(d)) => (c, d),
            (None, Some(d)) => {
                return Err(invalid(format!(
                    "the dataset `{d}` needs the council whose return it is"
                )));
            }
            _ => return Ok(None),
        };
        let c = crate::council::council(council).ok_or_else(|| {
            invalid(format!(
                "unknown council `{council}`; the councils are: {}",
                crate::council::councils()
                    .iter()
                    .map(|c| c.short.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let r = c.returns.iter().find(|r| r.dataset == dataset.trim());
        let r = r.ok_or_else(|| {
            invalid(format!(
                "{} has no `{dataset}` return in its profile; its returns are: {}",
                c.name,
                c.returns
                    .iter()
                    .map(|r| r.dataset.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        Ok(Some((c, r)))
    }

    /// This specification with `name` as its id column (replacing any other).
    #[must_use]
    pub fn with_id_column(mut self, name: impl Into<String>) -> Self {
        self.set_role_column(Role::Id, name.into());
        self
    }

    /// This specification with `name` as its date column (replacing any other).
    #[must_use]
    pub fn with_date_column(mut self, name: impl Into<String>) -> Self {
        self.set_role_column(Role::Date, name.into());
        self
    }

    /// This specification with a characteristic column read as `column` says (its header, its
    /// classification, its reference date), replacing a column of that name. Fails when the
    /// classification is not built in.
    pub fn with_characteristic(mut self, column: &CharacteristicColumn) -> Result<Self> {
        let reader = Classifications::builtin().reader(column)?;
        let mut c = ColumnSpec::new(
            &column.column,
            Role::Characteristic(reader.characteristic()),
        );
        c.scheme = Some(SchemeFrom::Fixed(column.scheme.clone()));
        c.birth_date_on = column.birth_date_on;
        c.top = column.top;
        if column.empty_not_known {
            c.empty = EmptyCell::NotKnown;
        }
        self.columns.retain(|x| x.name != column.column);
        self.columns.push(c);
        Ok(self)
    }

    fn set_role_column(&mut self, role: Role, name: String) {
        if let Some(c) = self.columns.iter_mut().find(|c| c.role == role) {
            c.name = name;
        } else {
            self.columns.push(ColumnSpec::new(name, role));
        }
    }

    /// The id column, if any.
    pub fn id_column(&self) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.role == Role::Id)
    }

    /// The date column, if any.
    pub fn date_column(&self) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.role == Role::Date)
    }

    /// The coded columns, in order.
    pub fn coded_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns.iter().filter(|c| c.role == Role::Coded)
    }

    /// The characteristic columns (sex, age, religion, ...), in order.
    pub fn characteristic_columns(&self) -> impl Iterator<Item = CharacteristicColumn> + '_ {
        self.columns.iter().filter_map(ColumnSpec::characteristic)
    }

    /// The severity of `rule` under this specification; `None` when turned off.
    pub fn severity_of(&self, rule: Rule) -> Option<Severity> {
        self.severity
            .iter()
            .rev()
            .find(|(r, _)| *r == rule)
            .map_or(Some(rule.default_severity()), |(_, s)| *s)
    }

    /// Loads a specification file; scheme files it names are resolved against its folder.
    pub fn load(path: &Path) -> Result<ReturnSpec> {
        let text = crate::scheme::read_text(path)?;
        let mut spec = ReturnSpec::from_yaml(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or_else(|| Path::new(""));
        for f in &mut spec.scheme_files {
            if f.is_relative() {
                *f = base.join(&*f);
            }
        }
        Ok(spec)
    }

    /// Parses a specification: YAML with budgets and no duplicate keys, checked against
    /// `schema/return-spec.schema.json` and for sense (one id and one date column at most, a
    /// scheme on every coded column, no column twice). `file` names it in errors.
    pub fn from_yaml(text: &str, file: &str) -> Result<ReturnSpec> {
        let raw: RawSpec = yaml::parse(text, file)?;
        yaml::check_schema(text, file, &SPEC_SCHEMA, |p| raw.locate(p))?;
        raw.build(file)
    }

    /// Checks that every coded column's scheme exists in `registry`, naming the place in the
    /// specification file when it does not.
    pub fn check_schemes(&self, registry: &Registry) -> Result<()> {
        for c in self
            .columns
            .iter()
            .filter(|c| matches!(c.role, Role::Characteristic(_)))
        {
            let Some(column) = c.characteristic() else {
                continue;
            };
            let loc = || c.scheme_at.clone().unwrap_or_default();
            let reader = Classifications::builtin()
                .reader(&column)
                .map_err(|e| Error::new(ErrorKind::Invalid(e.kind().to_string()), loc()))?;
            if Role::Characteristic(reader.characteristic()) != c.role {
                return Err(Error::new(
                    ErrorKind::Invalid(format!(
                        "column `{}` has role `{}` but `{}` classifies {}",
                        c.name,
                        c.role.name(),
                        column.scheme,
                        reader.characteristic()
                    )),
                    loc(),
                ));
            }
        }
        for c in self.coded_columns() {
            if let Some(SchemeFrom::Fixed(id)) = &c.scheme {
                if id == "standard" {
                    continue;
                }
                if let Err(e) = registry.require(id) {
                    let loc = c.scheme_at.clone().unwrap_or_default();
                    return Err(Error::new(
                        ErrorKind::Invalid(format!("column `{}`: {}", c.name, e.kind())),
                        loc,
                    ));
                }
            }
        }
        Ok(())
    }
}

pub(crate) static SPEC_SCHEMA: yaml::Schema = yaml::Schema::new("return-spec.schema.json", || {
    yaml::compile(include_str!("../schema/return-spec.schema.json"))
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    council: Option<String>,
    #[serde(default)]
    dataset: Option<String>,
    #[serde(default)]
    scheme_files: Vec<String>,
    #[serde(default)]
    max_residual_share: Option<f64>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    columns: Vec<RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    name: Spanned<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    scheme: Option<Spanned<String>>,
    #[serde(default)]
    scheme_column: Option<Spanned<String>>,
    #[serde(default)]
    council_column: Option<Spanned<String>>,
    #[serde(default)]
    dataset_column: Option<Spanned<String>>,
    #[serde(default)]
    by: Option<By>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    empty: Option<EmptyCell>,
    #[serde(default)]
    reference_date: Option<Spanned<String>>,
    #[serde(default)]
    read_at: Option<Spanned<String>>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    more_columns: Vec<Spanned<String>>,
}

impl RawColumn {
    /// Where the column's scheme is declared.
    fn scheme_at(&self, file: &str) -> Option<Location> {
        [&self.scheme, &self.scheme_column, &self.council_column]
            .into_iter()
            .flatten()
            .next()
            .map(|s| at(file, s))
    }

    /// The column's role: `role`, else coded when it has a scheme, else other.
    fn role_of(
        &self,
        from: Option<&SchemeFrom>,
        file: &str,
        name: &str,
        loc: &Location,
    ) -> Result<Role> {
        Ok(match (self.role, from) {
            (None | Some(Role::Coded), Some(_)) => Role::Coded,
            (Some(Role::Coded), None) => {
                return Err(invalid(
                    loc.clone(),
                    format!(
                        "coded column `{name}` needs a `scheme` (or `scheme_column`, or \
                         `council_column` and `dataset_column`)"
                    ),
                ));
            }
            (None, None) => Role::Other,
            (Some(Role::Characteristic(c)), Some(SchemeFrom::Fixed(_))) => Role::Characteristic(c),
            (Some(Role::Characteristic(c)), _) => {
                return Err(invalid(
                    self.scheme_at(file).unwrap_or_else(|| loc.clone()),
                    format!(
                        "{c} column `{name}` needs a `scheme`: one classification of {c} (see \
                         schema/characteristics/)"
                    ),
                ));
            }
            (Some(r), Some(_)) => {
                return Err(invalid(
                    self.scheme_at(file).unwrap_or_else(|| loc.clone()),
                    format!(
                        "column `{name}` has role `{}`: only coded columns have a scheme",
                        r.name()
                    ),
                ));
            }
            (Some(r), None) => r,
        })
    }

    /// The reference date of an age column of dates of birth; `reference_date` on any other
    /// column, or `separator` on a column that is not coded, is an error.
    fn birth_date_on(
        &self,
        role: Role,
        file: &str,
        name: &str,
        loc: &Location,
    ) -> Result<Option<Date>> {
        if (self.separator.is_some() || !self.more_columns.is_empty()) && role != Role::Coded {
            return Err(invalid(
                loc.clone(),
                format!(
                    "column `{name}` has a `separator` or `more_columns` but is not a coded column"
                ),
            ));
        }
        if self.separator.as_deref().is_some_and(str::is_empty) {
            return Err(invalid(
                loc.clone(),
                format!(
                    "column `{name}`: `separator` is empty: give the text between answers, e.g. \";\""
                ),
            ));
        }
        if self.more_columns.len() >= MAX_ETHNICITIES {
            return Err(invalid(
                loc.clone(),
                format!(
                    "column `{name}` has {} `more_columns`: a person gives at most \
                     {MAX_ETHNICITIES} ethnicities, so at most {} more columns",
                    self.more_columns.len(),
                    MAX_ETHNICITIES - 1
                ),
            ));
        }
        Ok(match &self.reference_date {
            None => None,
            Some(d) if role == Role::Characteristic(Characteristic::Age) => {
                Some(Date::parse(&d.value).ok_or_else(|| {
                    invalid(
                        at(file, d),
                        format!("column `{name}`: `reference_date` is not a date (YYYY-MM-DD)"),
                    )
                })?)
            }
            Some(d) => {
                return Err(invalid(
                    at(file, d),
                    format!(
                        "column `{name}`: `reference_date` is for an age column of dates of \
                         birth (`role: age`)"
                    ),
                ));
            }
        })
    }

    /// True when a characteristic column is read at the top of its standard's hierarchy
    /// (`read_at: top`); `read_at` on another column, or at another level, is an error.
    fn read_top(&self, role: Role, file: &str, name: &str) -> Result<bool> {
        let Some(r) = &self.read_at else {
            return Ok(false);
        };
        if !matches!(role, Role::Characteristic(_)) {
            return Err(invalid(
                at(file, r),
                format!(
                    "column `{name}`: `read_at` is for a characteristic column (sex, age, \
                     religion, disability...)"
                ),
            ));
        }
        if r.value.trim() != "top" {
            return Err(invalid(
                at(file, r),
                format!(
                    "column `{name}`: `read_at: {}` is not a level to read at; give `top` (the \
                     top of the standard's hierarchy) or leave it out (its finest values)",
                    r.value.trim()
                ),
            ));
        }
        Ok(true)
    }

    /// Where each record's scheme comes from: one of `scheme`, `scheme_column`, or
    /// `council_column` with `dataset_column`.
    fn scheme_from(&self, file: &str, name: &str) -> Result<Option<SchemeFrom>> {
        let text = |s: &Spanned<String>| s.value.trim().to_owned();
        match (
            &self.scheme,
            &self.scheme_column,
            &self.council_column,
            &self.dataset_column,
        ) {
            (None, None, None, None) => Ok(None),
            (Some(s), None, None, None) => Ok(Some(SchemeFrom::Fixed(text(s)))),
            (None, Some(s), None, None) => Ok(Some(SchemeFrom::Column(text(s)))),
            (None, None, Some(c), Some(d)) => Ok(Some(SchemeFrom::Council {
                council: text(c),
                dataset: text(d),
            })),
            (None, None, Some(c), None) => Err(invalid(
                at(file, c),
                format!("column `{name}`: `council_column` needs a `dataset_column` too"),
            )),
            (None, None, None, Some(d)) => Err(invalid(
                at(file, d),
                format!("column `{name}`: `dataset_column` needs a `council_column` too"),
            )),
            _ => Err(invalid(
                self.scheme_at(file).unwrap_or_else(|| Location::file(file)),
                format!(
                    "column `{name}`: give one of `scheme`, `scheme_column`, or \
                     `council_column` with `dataset_column`"
                ),
            )),
        }
    }
}

fn at<T>(file: &str, s: &Spanned<T>) -> Location {
    Location::file(file).at(s.referenced.line(), s.referenced.column())
}

fn invalid(loc: Location, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid(msg.into()), loc)
}

impl RawSpec {
    fn locate(&self, pointer: &str) -> Option<(u64, u64)> {
        let mut parts = pointer.trim_start_matches('/').split('/');
        if parts.next()? != "columns" {
            return None;
        }
        let c = self.columns.get(parts.next()?.parse::<usize>().ok()?)?;
        let s = match (parts.next(), &c.scheme) {
            (Some("scheme"), Some(s)) => &s.referenced,
            _ => &c.name.referenced,
        };
        Some((s.line(), s.column()))
    }

    fn build(self, file: &str) -> Result<ReturnSpec> {
        let mut columns: Vec<ColumnSpec> = Vec::new();
        let mut seen: Vec<(String, Location)> = Vec::new();
        // Each header is claimed once, by a column or by another's `more_columns`.
        let mut claim = |name: &str, loc: Location| {
            if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
                return Err(invalid(
                    loc,
                    format!(
                        "column `{name}` is listed twice (first on line {})",
                        first.line.unwrap_or(0)
                    ),
                ));
            }
            seen.push((name.to_owned(), loc));
            Ok(())
        };
        for c in self.columns {
            let loc = at(file, &c.name);
            let name = c.name.value.clone();
            claim(&name, loc.clone())?;
            for m in &c.more_columns {
                claim(&m.value, at(file, m))?;
            }
            let from = c.scheme_from(file, &name)?;
            let role = c.role_of(from.as_ref(), file, &name, &loc)?;
            if c.by.is_some() && role != Role::Coded {
                return Err(invalid(
                    loc,
                    format!("column `{name}` has `by` but is not a coded column"),
                ));
            }
            if matches!(role, Role::Id | Role::Date)
                && let Some(prev) = columns.iter().find(|p| p.role == role)
            {
                return Err(invalid(
                    loc,
                    format!(
                        "`{name}` is a second {} column (`{}` is already one)",
                        if role == Role::Id { "id" } else { "date" },
                        prev.name
                    ),
                ));
            }
            let birth_date_on = c.birth_date_on(role, file, &name, &loc)?;
            let top = c.read_top(role, file, &name)?;
            columns.push(ColumnSpec {
                top,
                name,
                role,
                answers: Answers {
                    more_columns: c.more_columns.iter().map(|m| m.value.clone()).collect(),
                    separator: c.separator.clone(),
                },
                birth_date_on,
                scheme_at: c.scheme_at(file),
                scheme: from,
                by: c.by.unwrap_or_default(),
                required: c.required.unwrap_or(true),
                empty: c.empty.unwrap_or_default(),
            });
        }
        if !columns.iter().any(|c| c.role == Role::Coded) {
            return Err(invalid(
                Location::file(file).field("/columns"),
                "no coded column: give at least one column a `scheme`",
            ));
        }
        let mut severity = Vec::new();
        for (key, level) in self.severity {
            let rule = Rule::from_key(&key).ok_or_else(|| {
                invalid(
                    Location::file(file).field(format!("/severity/{key}")),
                    format!("`{key}` is not a rule id or name (see docs/rules.md)"),
                )
            })?;
            let level = match level.as_str() {
                "error" => Some(Severity::Error),
                "query" => Some(Severity::Query),
                _ => None,
            };
            severity.push((rule, level));
        }
        Ok(ReturnSpec {
            name: self.name,
            council: self.council,
            dataset: self.dataset,
            columns,
            max_residual_share: self
                .max_residual_share
                .unwrap_or(DEFAULT_MAX_RESIDUAL_SHARE),
            severity,
            scheme_files: self.scheme_files.into_iter().map(PathBuf::from).collect(),
        })
    }
}
