//! Conversion: legacy codes and labels into records of the standard, never finer than the source.
//!
//! A value is first *found* in its source (a scheme's code or label, a curated synonym, or a
//! standard code), which gives its meaning in the standard: a target node, a relationship and,
//! for codes broader than one category, the candidate categories. A [`Policy`] then decides what
//! is emitted: [`Policy::Strict`] keeps the target (the lowest node containing every candidate);
//! [`Policy::MostLikely`] takes the scheme's documented likeliest candidate, and the record says
//! so. A record can also be expressed in another scheme (a statutory return), with the loss
//! stated, through [`crate::crosswalk::encode`].
//!
//! ```
//! use wm_ethnicity::convert::{convert_code, Policy, Source};
//! use wm_ethnicity::scheme::builtin;
//! use wm_ethnicity::standard::{Category, Level, Node};
//!
//! let nhs = Source::from(builtin("nhs-ethnic-category").unwrap());
//! let j = convert_code(nhs, "J", Policy::Strict).unwrap();
//! assert_eq!(j.code, Node::Category(Category::AsianPakistani));
//!
//! // NHS C ("Any other White background", 2001 frame) is broader than one 2021 category.
//! let c = convert_code(nhs, "C", Policy::Strict).unwrap();
//! assert_eq!((c.code.code(), c.level), ("white", Level::Group));
//! assert_eq!(c.candidates.len(), 3);
//! let c = convert_code(nhs, "C", Policy::MostLikely).unwrap();
//! assert_eq!(c.code.code(), "white.other");
//! assert_eq!(c.policy, Some(Policy::MostLikely));
//! ```

use crate::council;
use crate::crosswalk::{self, Loss};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::labels::{self, Synonyms};
use crate::scheme::{KeyedBy, Mapping, MatchKind, Registry, Relationship, Scheme};
use crate::spec::{EmptyCell, ReturnSpec};
use crate::standard::{Category, Detailed, Group, Level, Node, Residual, STANDARD_VERSION};
use crate::text::{looks_like_excel_scientific, nearest, printable};
use crate::validate::{Rule as ValidateRule, Validator};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::ControlFlow;

/// The id that names the standard itself as a source: values are standard codes (`white.irish`).
pub const STANDARD_ID: &str = "standard";

/// A rule a value breaks: its stable id and name. Rules that validation also has keep
/// validation's id (`WM001 unknown-code`, see `docs/rules.md`); the rules only conversion has are
/// `CV0nn` (see `docs/convert.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RuleId {
    /// The stable id, e.g. `WM001` or `CV001`.
    #[serde(rename = "rule")]
    pub id: &'static str,
    /// The stable name, e.g. `unknown-code`.
    #[serde(rename = "rule_name")]
    pub name: &'static str,
}

impl RuleId {
    /// A conversion rule.
    pub const fn new(id: &'static str, name: &'static str) -> Self {
        RuleId { id, name }
    }

    /// Validation's rule, under its own id and name.
    pub const fn of(rule: ValidateRule) -> Self {
        RuleId {
            id: rule.id(),
            name: rule.name(),
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.name)
    }
}

/// The reasons a value or record is rejected.
pub mod rule {
    use super::RuleId;
    use crate::validate::Rule;

    /// The cell is empty (or only spaces): not a code, and not a residual value until a return's
    /// rules say so (validation's WM004).
    pub const EMPTY: RuleId = RuleId::of(Rule::EmptyValue);
    /// The value is not a code of the scheme (WM001).
    pub const UNKNOWN_CODE: RuleId = RuleId::of(Rule::UnknownCode);
    /// The value looks like a number Excel turned into scientific notation (WM007).
    pub const EXCEL_SCIENTIFIC: RuleId = RuleId::of(Rule::ExcelScientific);
    /// The record has a different number of fields from the header (WM010).
    pub const WRONG_FIELD_COUNT: RuleId = RuleId::of(Rule::WrongFieldCount);
    /// A field the conversion reads holds bytes not valid in the file's encoding (WM011).
    pub const INVALID_ENCODING: RuleId = RuleId::of(Rule::InvalidEncoding);
    /// The line is not a record: a JSON Lines line that is not an object (WM018).
    pub const MALFORMED_RECORD: RuleId = RuleId::of(Rule::MalformedRecord);
    /// The label matches no label of the scheme and no curated synonym.
    pub const UNKNOWN_LABEL: RuleId = RuleId::new("CV001", "unknown-label");
    /// The label is the label of several nodes of the standard in different places.
    pub const AMBIGUOUS_LABEL: RuleId = RuleId::new("CV002", "ambiguous-label");
    /// The row's scheme column names no scheme.
    pub const UNKNOWN_SCHEME: RuleId = RuleId::new("CV003", "unknown-scheme");
    /// The row's council column names none of the councils.
    pub const UNKNOWN_COUNCIL: RuleId = RuleId::new("CV004", "unknown-council");
    /// The council has no return by that dataset name.
    pub const UNKNOWN_DATASET: RuleId = RuleId::new("CV005", "unknown-dataset");
    /// No code of the target scheme contains the record's meaning (`--to-scheme`).
    pub const NO_TARGET_CODE: RuleId = RuleId::new("CV006", "no-target-code");
    /// No single code of the target scheme holds the record's meaning (a broader source), and
    /// the policy chose none of its candidates (`--to-scheme`).
    pub const AMBIGUOUS_TARGET_CODE: RuleId = RuleId::new("CV007", "ambiguous-target-code");
    /// An aggregate table's count is not a whole number of zero or more.
    pub const BAD_COUNT: RuleId = RuleId::new("CV008", "bad-count");

    /// The rules only conversion has, in id order.
    pub const CONVERT_ONLY: [RuleId; 8] = [
        UNKNOWN_LABEL,
        AMBIGUOUS_LABEL,
        UNKNOWN_SCHEME,
        UNKNOWN_COUNCIL,
        UNKNOWN_DATASET,
        NO_TARGET_CODE,
        AMBIGUOUS_TARGET_CODE,
        BAD_COUNT,
    ];
}

/// A value as it may be shown in a message: quoted, unless it spans lines or is over 100
/// characters (then it may hold other columns of a broken record, and is not shown).
pub fn shown(raw: &str) -> String {
    if raw.contains(['\n', '\r']) || raw.chars().count() > 100 {
        "the value (not shown: it spans several lines or is over 100 characters)".to_owned()
    } else {
        format!("`{raw}`")
    }
}

/// What to emit for a code broader than one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// The lowest node containing every candidate (usually a group): never finer than the source.
    #[default]
    Strict,
    /// The scheme's documented likeliest candidate category, flagged as such. Codes with no
    /// documented likeliest candidate stay as under `Strict`.
    MostLikely,
}

impl Policy {
    /// The name used in flags and output.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Strict => "strict",
            Policy::MostLikely => "most-likely",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a value is matched: on the scheme's codes, or on labels (free text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// The scheme's codes (for label-keyed schemes, the key is the label: see [`KeyedBy`]).
    #[default]
    Code,
    /// Free text: the scheme's labels, then the curated synonyms ([`crate::labels`]).
    Label,
}

/// How a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matched {
    /// Exactly as listed.
    Exact,
    /// After trimming spaces and/or changing case (for labels: folding punctuation too).
    Normalised,
    /// An NHS-style local code: an unlisted second character after a listed national code.
    LocalSecondCharacter,
    /// Through the curated synonym list.
    Synonym,
    /// An empty cell the return's rules count as "not known" (`empty: not-known`).
    Empty,
}

impl Matched {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Matched::Exact => "exact",
            Matched::Normalised => "normalised",
            Matched::LocalSecondCharacter => "local-second-character",
            Matched::Synonym => "synonym",
            Matched::Empty => "empty",
        }
    }
}

impl From<MatchKind> for Matched {
    fn from(k: MatchKind) -> Self {
        match k {
            MatchKind::Exact => Matched::Exact,
            MatchKind::Normalised => Matched::Normalised,
            MatchKind::LocalSecondCharacter => Matched::LocalSecondCharacter,
        }
    }
}

/// Where values come from: a coding scheme, or the standard's own codes.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Standard codes such as `white.irish` (the output of a conversion).
    Standard,
    /// A coding scheme.
    Scheme(&'a Scheme),
}

impl<'a> From<&'a Scheme> for Source<'a> {
    fn from(s: &'a Scheme) -> Self {
        Source::Scheme(s)
    }
}

impl<'a> Source<'a> {
    /// The source named `id`: [`STANDARD_ID`], or a scheme of `registry`.
    pub fn get(registry: &'a Registry, id: &str) -> Option<Source<'a>> {
        if id == STANDARD_ID {
            Some(Source::Standard)
        } else {
            registry.get(id).map(Source::Scheme)
        }
    }

    /// As [`Source::get`], or an error naming the nearest ids.
    pub fn require(registry: &'a Registry, id: &str) -> Result<Source<'a>> {
        Source::get(registry, id).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownScheme {
                    id: id.to_owned(),
                    nearest: nearest(id, registry.ids().chain([STANDARD_ID]), 3)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                },
                Location::default(),
            )
        })
    }

    /// The source's id: the scheme id, or [`STANDARD_ID`].
    pub fn id(self) -> &'a str {
        match self {
            Source::Standard => STANDARD_ID,
            Source::Scheme(s) => &s.id,
        }
    }

    /// True for officer-observed schemes (police IC codes).
    pub fn observed(self) -> bool {
        matches!(self, Source::Scheme(s) if s.observed)
    }
}

/// A value's place in the standard, before a policy chooses what to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Meaning<'a> {
    /// How the source value relates to `target`.
    pub relationship: Relationship,
    /// The finest node that contains every meaning of the value.
    pub target: Node,
    /// For broader values: the categories it may be.
    pub candidates: &'a [Category],
    /// For broader values: the documented likeliest candidate, if any.
    pub most_likely: Option<Category>,
}

impl<'a> Meaning<'a> {
    /// The meaning of a scheme code's mapping.
    pub fn of_mapping(m: &'a Mapping) -> Self {
        Meaning {
            relationship: m.relationship,
            target: m.target,
            candidates: &m.candidates,
            most_likely: m.most_likely,
        }
    }

    /// The meaning of a standard node: itself (equivalent, or residual).
    pub fn of_node(node: Node) -> Self {
        Meaning {
            relationship: if node.is_residual() {
                Relationship::Residual
            } else {
                Relationship::Equivalent
            },
            target: node,
            candidates: &[],
            most_likely: None,
        }
    }

    /// This meaning as a scheme [`Mapping`] (for [`crosswalk::encode`]).
    pub fn to_mapping(self) -> Mapping {
        Mapping {
            relationship: self.relationship,
            target: self.target,
            candidates: self.candidates.to_vec(),
            most_likely: self.most_likely,
            note: None,
        }
    }
}

/// A value found in its source: what it means and where that meaning comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Found<'a> {
    /// Its meaning in the standard.
    pub meaning: Meaning<'a>,
    /// The scheme whose code gave the meaning (for a synonym, the scheme it names, or
    /// [`STANDARD_ID`]).
    pub scheme: &'a str,
    /// That code (the label for label-keyed schemes; the node code for the standard).
    pub code: &'a str,
    /// How the value matched.
    pub matched: Matched,
    /// True when the scheme is officer-observed (not the person's self-defined ethnicity).
    pub observed: bool,
}

/// Why a value could not be converted. Never repeats anything but the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The rule (see [`rule`]).
    #[serde(flatten)]
    pub rule: RuleId,
    /// A sentence a data officer understands.
    pub reason: String,
    /// What to do about it, where there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The nearest codes or labels, for "did you mean".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nearest: Vec<String>,
}

impl Rejection {
    /// A rejection under `rule`.
    pub fn new(rule: RuleId, reason: impl Into<String>) -> Self {
        let reason: String = reason.into();
        Rejection {
            rule,
            // Reasons quote the value: it may not drive a terminal.
            reason: printable(&reason).into_owned(),
            suggestion: None,
            nearest: Vec::new(),
        }
    }

    /// The same rejection with "did you mean" candidates (and, when it has none yet, a
    /// suggestion naming them).
    #[must_use]
    pub fn with_nearest<S: Into<String>>(mut self, nearest: impl IntoIterator<Item = S>) -> Self {
        self.nearest = nearest.into_iter().map(Into::into).collect();
        if self.suggestion.is_none() && !self.nearest.is_empty() {
            let quoted: Vec<String> = self.nearest.iter().map(|n| format!("`{n}`")).collect();
            let suggestion = format!("Did you mean {}?", or_list(&quoted));
            self.suggestion = Some(printable(&suggestion).into_owned());
        }
        self
    }

    /// The same rejection with a suggestion.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(printable(&suggestion.into()).into_owned());
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.reason)?;
        if let Some(s) = &self.suggestion {
            write!(f, ". {s}")?;
        }
        Ok(())
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl std::error::Error for Rejection {}

/// A value expressed in another scheme (`--to-scheme`), with the loss stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recoded<'a> {
    /// The target scheme's id.
    pub scheme: &'a str,
    /// The chosen code (the label for label-keyed schemes).
    pub code: &'a str,
    /// Its label.
    pub label: &'a str,
    /// What is lost.
    pub loss: Loss,
    /// What was lost and why; empty when nothing was.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A converted value: the standard code emitted and everything needed to trust it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Converted<'a> {
    /// The standard node emitted.
    pub code: Node,
    /// Its level: the finest level really known (or `residual`).
    pub level: Level,
    /// The group, when known (not for residuals).
    pub group: Option<Group>,
    /// The category, when known.
    pub category: Option<Category>,
    /// The detailed category, when known.
    pub detailed: Option<Detailed>,
    /// How the source value relates to its standard target.
    pub relationship: Relationship,
    /// For a source broader than one category: the categories it may be.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub candidates: &'a [Category],
    /// For a source broader than one category: the policy that chose `code`
    /// ([`Policy::MostLikely`] only when a documented likeliest candidate was taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// The scheme whose code gave the meaning ([`STANDARD_ID`] for standard codes).
    pub source_scheme: &'a str,
    /// That code (the label for label-keyed schemes).
    pub source_code: &'a str,
    /// How the value matched.
    pub matched: Matched,
    /// True when the source is officer-observed: not the person's self-defined ethnicity.
    pub observed: bool,
    /// The version of the standard that made this record.
    pub standard_version: &'static str,
    /// The record in another scheme, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Recoded<'a>>,
}

impl<'a> Found<'a> {
    /// Applies `policy`: what the found value becomes in the standard.
    pub fn convert(self, policy: Policy) -> Converted<'a> {
        let m = self.meaning;
        let (code, chosen) = match (m.relationship, policy, m.most_likely) {
            (Relationship::Broader, Policy::MostLikely, Some(c)) => {
                (Node::Category(c), Some(Policy::MostLikely))
            }
            (Relationship::Broader, _, _) => (m.target, Some(Policy::Strict)),
            _ => (m.target, None),
        };
        Converted {
            code,
            level: code.level(),
            group: code.group(),
            category: code.category(),
            detailed: code.detailed(),
            relationship: m.relationship,
            candidates: m.candidates,
            policy: chosen,
            source_scheme: self.scheme,
            source_code: self.code,
            matched: self.matched,
            observed: self.observed,
            standard_version: STANDARD_VERSION,
            to: None,
        }
    }
}

impl<'a> Converted<'a> {
    /// The meaning this record carries: what the policy emitted. Under a most-likely choice that is
    /// the chosen category; otherwise the source's own meaning (with its candidates).
    pub fn meaning(&self) -> Meaning<'a> {
        if self.policy == Some(Policy::MostLikely) {
            Meaning::of_node(self.code)
        } else {
            Meaning {
                relationship: self.relationship,
                target: self.code,
                candidates: self.candidates,
                most_likely: None,
            }
        }
    }

    /// Expresses this record in scheme `to` through [`crosswalk::encode`]. A record no code of
    /// `to` contains is a [`rule::NO_TARGET_CODE`] rejection.
    pub fn recode(&self, to: &'a Scheme) -> std::result::Result<Recoded<'a>, Rejection> {
        let e = crosswalk::encode(to, &self.meaning().to_mapping());
        match e.code {
            Some(code) => Ok(Recoded {
                scheme: &to.id,
                code: code.key(),
                label: &code.label,
                loss: e.loss,
                note: e.note,
            }),
            None if e.loss == Loss::Ambiguous => {
                Err(Rejection::new(rule::AMBIGUOUS_TARGET_CODE, e.note))
            }
            None => Err(Rejection::new(rule::NO_TARGET_CODE, e.note)),
        }
    }

    /// This record with its recoding into `to` (see [`Converted::recode`]).
    pub fn recoded(mut self, to: &'a Scheme) -> std::result::Result<Self, Rejection> {
        self.to = Some(self.recode(to)?);
        Ok(self)
    }
}

fn empty() -> Rejection {
    Rejection::new(
        rule::EMPTY,
        "the cell is empty: not a code, and not 'not known' unless the return's rules say so",
    )
}

/// Finds a code (or, for label-keyed schemes, a label) in `source`.
pub fn find_code<'a>(source: Source<'a>, raw: &str) -> std::result::Result<Found<'a>, Rejection> {
    if raw.trim().is_empty() {
        return Err(empty());
    }
    match source {
        Source::Standard => find_standard_code(raw),
        Source::Scheme(s) => {
            let Some(m) = s.lookup(raw) else {
                return Err(unknown_code(s, raw));
            };
            let mut meaning = Meaning::of_mapping(&m.code.map);
            if m.kind == MatchKind::LocalSecondCharacter
                && meaning.relationship == Relationship::Equivalent
            {
                // A local extension is more specific than the national code it extends.
                meaning.relationship = Relationship::Narrower;
            }
            Ok(Found {
                meaning,
                scheme: &s.id,
                code: m.code.key(),
                matched: m.kind.into(),
                observed: s.observed,
            })
        }
    }
}

fn unknown_code(s: &Scheme, raw: &str) -> Rejection {
    if looks_like_excel_scientific(raw) {
        return Rejection::new(
            rule::EXCEL_SCIENTIFIC,
            format!(
                "{} is a number Excel displayed in scientific notation; the original code is lost: re-export the column as text",
                shown(raw)
            ),
        );
    }
    let what = if s.keyed_by == KeyedBy::Label {
        "label"
    } else {
        "code"
    };
    Rejection::new(
        rule::UNKNOWN_CODE,
        format!("{} is not a {what} of {}", shown(raw), s.id),
    )
    .with_nearest(s.nearest(raw, 3))
}

fn find_standard_code(raw: &str) -> std::result::Result<Found<'static>, Rejection> {
    let (node, matched) = if let Some(n) = Node::from_code(raw) {
        (n, Matched::Exact)
    } else {
        let t = raw.trim().to_lowercase();
        let Some(n) = Node::from_code(&t) else {
            return Err(Rejection::new(
                rule::UNKNOWN_CODE,
                format!("{} is not a code of the standard", shown(raw)),
            )
            .with_nearest(nearest(raw, Node::all().map(Node::code), 3)));
        };
        (n, Matched::Normalised)
    };
    Ok(Found {
        meaning: Meaning::of_node(node),
        scheme: STANDARD_ID,
        code: node.code(),
        matched,
        observed: false,
    })
}

/// Converts one code of `source` under `policy`.
pub fn convert_code<'a>(
    source: Source<'a>,
    raw: &str,
    policy: Policy,
) -> std::result::Result<Converted<'a>, Rejection> {
    Ok(find_code(source, raw)?.convert(policy))
}

/// Converts one value of `source`, matched `by` code or label (labels through `synonyms`, whose
/// scheme targets are looked up in `registry`).
pub fn convert_value<'a>(
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    source: Source<'a>,
    raw: &str,
    by: By,
    policy: Policy,
) -> std::result::Result<Converted<'a>, Rejection> {
    let found = match by {
        By::Code => find_code(source, raw)?,
        By::Label => labels::find_label(registry, synonyms, source, raw)?,
    };
    Ok(found.convert(policy))
}

/// The columns a conversion adds to each record, in order.
pub const OUTPUT_COLUMNS: [&str; 13] = [
    "wm_code",
    "wm_level",
    "wm_group",
    "wm_category",
    "wm_detailed",
    "wm_relationship",
    "wm_candidates",
    "wm_policy",
    "wm_source_scheme",
    "wm_source_code",
    "wm_match",
    "wm_observed",
    "wm_standard_version",
];

/// The columns added with `--to-scheme`, after [`OUTPUT_COLUMNS`].
pub const RECODE_COLUMNS: [&str; 5] = [
    "wm_to_scheme",
    "wm_to_code",
    "wm_to_label",
    "wm_loss",
    "wm_loss_note",
];

impl Converted<'_> {
    /// The values of [`OUTPUT_COLUMNS`] (then [`RECODE_COLUMNS`] when `recode` is true), passed
    /// in order to `f`; `scratch` is reused for the candidates list.
    pub fn for_each_output<E>(
        &self,
        recode: bool,
        scratch: &mut String,
        mut f: impl FnMut(&str, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        scratch.clear();
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                scratch.push(' ');
            }
            scratch.push_str(c.code());
        }
        let values: [&str; 13] = [
            self.code.code(),
            self.level.name(),
            self.group.map_or("", Group::code),
            self.category.map_or("", Category::code),
            self.detailed.map_or("", Detailed::code),
            self.relationship.name(),
            scratch,
            self.policy.map_or("", Policy::name),
            self.source_scheme,
            self.source_code,
            self.matched.name(),
            if self.observed { "true" } else { "false" },
            self.standard_version,
        ];
        for (name, v) in OUTPUT_COLUMNS.iter().zip(values) {
            f(name, v)?;
        }
        if recode {
            let t = self.to.as_ref();
            let values: [&str; 5] = [
                t.map_or("", |t| t.scheme),
                t.map_or("", |t| t.code),
                t.map_or("", |t| t.label),
                t.map_or("", |t| loss_name(t.loss)),
                t.map_or("", |t| t.note.as_str()),
            ];
            for (name, v) in RECODE_COLUMNS.iter().zip(values) {
                f(name, v)?;
            }
        }
        Ok(())
    }
}

/// The name of a [`Loss`] as written in output (as it serialises).
pub const fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::None => "none",
        Loss::Generalised => "generalised",
        Loss::Ambiguous => "ambiguous",
        Loss::NoTarget => "no-target",
    }
}

/// Where each record's scheme comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeFrom {
    /// One scheme (or [`STANDARD_ID`]) for every record.
    Fixed(String),
    /// A column holding a scheme id (or [`STANDARD_ID`]) per record.
    Column(String),
    /// A council column and a dataset column, resolved through the council profiles
    /// ([`council::council`], [`council::Council::scheme_for`]).
    Council {
        /// The column naming the council (ONS code, short id or name).
        council: String,
        /// The column naming the dataset (e.g. `school-census`).
        dataset: String,
    },
}

/// What to convert and how: the column, where the scheme comes from, and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The column holding the value to convert.
    pub column: String,
    /// Where each record's scheme comes from.
    pub scheme: SchemeFrom,
    /// Match on codes or labels.
    pub by: By,
    /// What to emit for broader codes.
    pub policy: Policy,
    /// Also express each record in this scheme.
    pub to_scheme: Option<String>,
    /// What an empty cell means (a return specification's `empty`): `not-known` converts it to
    /// the residual value "not known"; anything else rejects it (WM004).
    pub empty: EmptyCell,
}

impl Plan {
    /// Convert `column`, its scheme from `scheme`, by code, strictly, empty cells rejected.
    pub fn new(column: impl Into<String>, scheme: SchemeFrom) -> Plan {
        Plan {
            column: column.into(),
            scheme,
            by: By::Code,
            policy: Policy::Strict,
            to_scheme: None,
            empty: EmptyCell::Error,
        }
    }
}

/// A record's fields by position (a CSV record, a row of strings, a record being read).
pub trait Record {
    /// The field at `index`, if the record has it (and it is text).
    fn field(&self, index: usize) -> Option<&str>;
}

impl Record for csv::StringRecord {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index)
    }
}

impl<S: AsRef<str>> Record for [S] {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).map(AsRef::as_ref)
    }
}

impl<S: AsRef<str>> Record for Vec<S> {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).map(AsRef::as_ref)
    }
}

impl Record for io::Record<'_> {
    fn field(&self, index: usize) -> Option<&str> {
        match self.get(index)? {
            io::Field::Text(s) => Some(s),
            io::Field::Invalid(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum ResolvedFrom<'a> {
    Fixed(Source<'a>),
    Column(usize),
    Council { council: usize, dataset: usize },
}

/// A [`Plan`] bound to a header and a registry: converts records.
#[derive(Debug)]
pub struct Converter<'a> {
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    value: usize,
    from: ResolvedFrom<'a>,
    by: By,
    policy: Policy,
    to: Option<&'a Scheme>,
    empty: EmptyCell,
    columns: Vec<String>,
    validator: Validator<'a>,
}

/// A record that could not be converted: which column, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordRejection {
    /// The column at fault (0-based index into the header); `None` for the whole record.
    pub index: Option<usize>,
    /// Why.
    #[serde(flatten)]
    pub rejection: Box<Rejection>,
}

impl RecordRejection {
    /// A rejection of the whole record.
    pub fn record(rejection: Rejection) -> Self {
        RecordRejection {
            index: None,
            rejection: Box::new(rejection),
        }
    }

    /// A rejection of the value in column `index`.
    pub fn column(index: usize, rejection: Rejection) -> Self {
        RecordRejection {
            index: Some(index),
            rejection: Box::new(rejection),
        }
    }

    /// The name of the column at fault, from the `header` the record was read with.
    pub fn column_name<'h, S: AsRef<str>>(&self, header: &'h [S]) -> Option<&'h str> {
        header.get(self.index?).map(AsRef::as_ref)
    }
}

/// The index of column `name` in `header`: an exact match, else the only match ignoring case and
/// surrounding spaces (as [`io::Table::column`]). The error names `file` and the nearest headers.
pub fn column_index<S: AsRef<str>>(header: &[S], name: &str, file: &str) -> Result<usize> {
    if let Some(i) = header.iter().position(|h| h.as_ref() == name) {
        io::Table::check_unique(header, i, file, 1)?;
        return Ok(i);
    }
    let want = name.trim();
    let mut found = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.as_ref().trim().eq_ignore_ascii_case(want))
        .map(|(i, _)| i);
    if let (Some(i), None) = (found.next(), found.next()) {
        return Ok(i);
    }
    let near = nearest(name, header.iter().map(AsRef::as_ref), 3);
    Err(Error::new(
        ErrorKind::Input(format!(
            "no column `{name}` in the header{}",
            if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", near.join(", "))
            }
        )),
        Location::file(file).at(1, 1),
    ))
}

impl<'a> Converter<'a> {
    /// Binds `plan` to a file's `header`. Fails (naming `file`) when a column is missing or a
    /// scheme does not exist.
    pub fn new<S: AsRef<str>>(
        registry: &'a Registry,
        synonyms: &'a Synonyms,
        plan: &Plan,
        header: &[S],
        file: &str,
    ) -> Result<Converter<'a>> {
        let at_file =
            |e: Error| Error::new(ErrorKind::Input(e.kind().to_string()), Location::file(file));
        let value = column_index(header, &plan.column, file)?;
        let from = match &plan.scheme {
            SchemeFrom::Fixed(id) => {
                ResolvedFrom::Fixed(Source::require(registry, id).map_err(at_file)?)
            }
            SchemeFrom::Column(c) => ResolvedFrom::Column(column_index(header, c, file)?),
            SchemeFrom::Council { council, dataset } => ResolvedFrom::Council {
                council: column_index(header, council, file)?,
                dataset: column_index(header, dataset, file)?,
            },
        };
        let to = match &plan.to_scheme {
            Some(id) => Some(registry.require(id).map_err(at_file)?),
            None => None,
        };
        // Validation explains unknown values (other scheme, Excel damage, observed codes); its
        // lists of other schemes do not depend on the column's own scheme.
        let any = match from {
            ResolvedFrom::Fixed(Source::Scheme(s)) => s.id.as_str(),
            _ => crate::scheme::BUILTIN_IDS[0],
        };
        let validator = Validator::new(&ReturnSpec::coded(plan.column.clone(), any), registry)
            .map_err(at_file)?;
        Ok(Converter {
            registry,
            synonyms,
            value,
            from,
            by: plan.by,
            policy: plan.policy,
            to,
            empty: plan.empty,
            columns: header.iter().map(|h| h.as_ref().to_owned()).collect(),
            validator,
        })
    }

    /// The index of the value column.
    pub fn value_index(&self) -> usize {
        self.value
    }

    /// The indexes of every column a conversion reads (value, scheme, council, dataset).
    pub fn columns_read(&self) -> Vec<usize> {
        let mut v = vec![self.value];
        match self.from {
            ResolvedFrom::Fixed(_) => {}
            ResolvedFrom::Column(i) => v.push(i),
            ResolvedFrom::Council { council, dataset } => v.extend([council, dataset]),
        }
        v
    }

    /// The target scheme of `--to-scheme`, if any.
    pub fn to_scheme(&self) -> Option<&'a Scheme> {
        self.to
    }

    /// The header the converter was bound to.
    pub fn header(&self) -> &[String] {
        &self.columns
    }

    fn field<R: Record + ?Sized>(
        record: &R,
        index: usize,
    ) -> std::result::Result<&str, RecordRejection> {
        record.field(index).ok_or_else(|| {
            RecordRejection::column(
                index,
                Rejection::new(
                    rule::WRONG_FIELD_COUNT,
                    "the record has fewer fields than the header, so this column is missing",
                ),
            )
        })
    }

    /// The source of one record's value.
    pub fn source_of<R: Record + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Source<'a>, RecordRejection> {
        match self.from {
            ResolvedFrom::Fixed(s) => Ok(s),
            ResolvedFrom::Column(i) => {
                let id = Self::field(record, i)?.trim();
                Source::get(self.registry, id).ok_or_else(|| {
                    RecordRejection::column(
                        i,
                        Rejection::new(
                            rule::UNKNOWN_SCHEME,
                            if id.is_empty() {
                                "the scheme cell is empty".to_owned()
                            } else {
                                format!("{} is not a scheme id", shown(id))
                            },
                        )
                        .with_nearest(nearest(
                            id,
                            self.registry.ids().chain([STANDARD_ID]),
                            3,
                        )),
                    )
                })
            }
            ResolvedFrom::Council { council, dataset } => {
                let key = Self::field(record, council)?.trim();
                let Some(c) = council::council(key) else {
                    return Err(RecordRejection::column(
                        council,
                        Rejection::new(
                            rule::UNKNOWN_COUNCIL,
                            if key.is_empty() {
                                "the council cell is empty".to_owned()
                            } else {
                                format!(
                                    "{} is not one of the councils (ONS code, short id or name)",
                                    shown(key)
                                )
                            },
                        )
                        .with_nearest(nearest(
                            key,
                            council::councils().iter().map(|c| c.short.as_str()),
                            3,
                        )),
                    ));
                };
                let ds = Self::field(record, dataset)?.trim();
                let Some(id) = c.scheme_for(ds) else {
                    return Err(RecordRejection::column(
                        dataset,
                        Rejection::new(
                            rule::UNKNOWN_DATASET,
                            format!("{} has no return {} in its profile", c.name, shown(ds)),
                        )
                        .with_nearest(nearest(
                            ds,
                            c.returns.iter().map(|r| r.dataset.as_str()),
                            3,
                        )),
                    ));
                };
                Source::get(self.registry, id).ok_or_else(|| {
                    RecordRejection::column(
                        dataset,
                        Rejection::new(
                            rule::UNKNOWN_SCHEME,
                            format!(
                                "{}'s {ds} return names scheme `{id}`, which is not loaded",
                                c.name
                            ),
                        )
                        .with_suggestion("Give the council's scheme file with --scheme-file."),
                    )
                })
            }
        }
    }

    /// Converts one record: its scheme, its value, the policy, and the recoding if asked.
    pub fn convert<R: Record + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Converted<'a>, RecordRejection> {
        let source = self.source_of(record)?;
        let raw = Self::field(record, self.value)?;
        let c = if raw.trim().is_empty() {
            if self.empty != EmptyCell::NotKnown {
                return Err(RecordRejection::column(
                    self.value,
                    empty().with_suggestion(
                        "Record a code, or the scheme's code for 'not known' or 'declined'; if \
                         the return's rules count an empty cell as not known, say so in its \
                         specification (empty: not-known).",
                    ),
                ));
            }
            Found {
                meaning: Meaning::of_node(Node::Residual(Residual::NotKnown)),
                scheme: source.id(),
                code: "",
                matched: Matched::Empty,
                observed: source.observed(),
            }
            .convert(self.policy)
        } else {
            convert_value(
                self.registry,
                self.synonyms,
                source,
                raw,
                self.by,
                self.policy,
            )
            .map_err(|r| RecordRejection::column(self.value, self.explain(source, raw, r)))?
        };
        match self.to {
            Some(to) => c
                .recoded(to)
                .map_err(|r| RecordRejection::column(self.value, r)),
            None => Ok(c),
        }
    }

    /// An unknown code explained as validation explains it (WM001, WM002, WM007, WM008, WM014).
    fn explain(&self, source: Source<'a>, raw: &str, r: Rejection) -> Rejection {
        let Source::Scheme(s) = source else {
            return r;
        };
        if self.by != By::Code || (r.rule != rule::UNKNOWN_CODE && r.rule != rule::EXCEL_SCIENTIFIC)
        {
            return r;
        }
        let column = self.columns.get(self.value).map_or("", String::as_str);
        let (vrule, message, suggestion) = self.validator.explain_unknown(s, column, raw);
        let hide = |t: String| {
            if shown(raw).starts_with('`') {
                t
            } else {
                t.replace(raw, "(value not shown)")
            }
        };
        Rejection {
            rule: RuleId::of(vrule),
            reason: hide(message),
            suggestion: suggestion.map(hide),
            nearest: r.nearest,
        }
    }
}

/// Converts one record given as `(column name, value)` pairs: a convenience for services that
/// hold a record as a map. Builds a [`Converter`] each call; for many records, build one.
pub fn convert_record<'a>(
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    plan: &Plan,
    record: &[(&str, &str)],
) -> Result<std::result::Result<Converted<'a>, RecordRejection>> {
    let header: Vec<&str> = record.iter().map(|(k, _)| *k).collect();
    let values: Vec<&str> = record.iter().map(|(_, v)| *v).collect();
    let conv = Converter::new(registry, synonyms, plan, &header, "record")?;
    Ok(conv.convert(&values))
}

/// Counts of a conversion run. `rows == converted + rejected` always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read (every record, whatever its shape).
    pub rows: u64,
    /// Records written to the output.
    pub converted: u64,
    /// Records written to the rejects.
    pub rejected: u64,
    /// Converted records per level reached: group, category, detailed, residual.
    pub by_level: [u64; 4],
    /// Converted records whose code was a documented most-likely choice.
    pub most_likely: u64,
    /// Converted records from a code broader than one category kept at the common ancestor.
    pub kept_broader: u64,
    /// Converted records matched other than exactly (normalised, local code, synonym, empty rule).
    pub not_exact: u64,
    /// Converted records from officer-observed codes (police IC).
    pub observed: u64,
    /// Converted records recoded with some loss (`--to-scheme`).
    pub lossy: u64,
    /// Rejected records per rule, in first-seen order.
    pub by_rule: Vec<(RuleId, u64)>,
    /// Blank lines skipped between records (they are not records).
    pub blank_lines: u64,
}

impl Summary {
    /// Counts a converted record.
    pub fn converted(&mut self, c: &Converted) {
        self.rows += 1;
        self.converted += 1;
        let i = Level::ALL.iter().position(|l| *l == c.level).unwrap_or(0);
        self.by_level[i] += 1;
        match c.policy {
            Some(Policy::MostLikely) => self.most_likely += 1,
            Some(Policy::Strict) => self.kept_broader += 1,
            None => {}
        }
        if c.matched != Matched::Exact {
            self.not_exact += 1;
        }
        if c.observed {
            self.observed += 1;
        }
        if c.to.as_ref().is_some_and(|t| t.loss != Loss::None) {
            self.lossy += 1;
        }
    }

    /// Counts a rejected record.
    pub fn rejected(&mut self, rule: RuleId) {
        self.rows += 1;
        self.rejected += 1;
        match self.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.by_rule.push((rule, 1)),
        }
    }

    /// Converted records at `level`.
    pub fn at_level(&self, level: Level) -> u64 {
        Level::ALL
            .iter()
            .position(|l| *l == level)
            .map_or(0, |i| self.by_level[i])
    }
}

/// One rejected record, as handed to a [`RejectSink`]. Holds nothing of the record but the value
/// of the column at fault, and only when it is safe to show.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected<'r> {
    /// The 1-based line the record starts on (the row number in a spreadsheet).
    pub line: u64,
    /// The 1-based record number (1 = the first record after the header).
    pub record: u64,
    /// The column at fault; `None` for the whole record.
    pub column: Option<&'r str>,
    /// That column's value, when it can be shown (one line, at most 100 characters).
    pub value: Option<&'r str>,
    /// Why.
    #[serde(flatten)]
    pub rejection: &'r Rejection,
}

/// Where rejected records go.
pub trait RejectSink {
    /// Takes one rejected record.
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()>;
}

impl<F: FnMut(&Rejected<'_>) -> std::io::Result<()>> RejectSink for F {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        self(r)
    }
}

/// Where converted records go (a writer of `crate::output`, or a closure).
pub trait RecordSink {
    /// Takes one converted record with the input record it came from.
    fn record(&mut self, input: &io::Record<'_>, converted: &Converted<'_>) -> std::io::Result<()>;
}

impl<F: FnMut(&io::Record<'_>, &Converted<'_>) -> std::io::Result<()>> RecordSink for F {
    fn record(&mut self, input: &io::Record<'_>, converted: &Converted<'_>) -> std::io::Result<()> {
        self(input, converted)
    }
}

/// Why a stream stopped: reading the input, writing the output, or writing the rejects.
#[derive(Debug)]
pub enum StreamError {
    /// The input could not be read (its error names the file and line).
    Read(Error),
    /// The output could not be written.
    Write(std::io::Error),
    /// The rejects could not be written.
    Rejects(std::io::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Read(e) => write!(f, "{e}"),
            StreamError::Write(e) => write!(f, "writing the output: {e}"),
            StreamError::Rejects(e) => write!(f, "writing the rejects: {e}"),
        }
    }
}

impl std::error::Error for StreamError {}

/// Checks a record's shape and the encoding of the columns `read`: `Err` is why it is rejected.
pub fn check_record(
    record: &io::Record<'_>,
    read: &[usize],
) -> std::result::Result<(), RecordRejection> {
    match record.shape() {
        io::Shape::Ok => {}
        io::Shape::WrongFieldCount { found, expected } => {
            return Err(RecordRejection::record(
                Rejection::new(
                    rule::WRONG_FIELD_COUNT,
                    format!(
                        "the record has {found} field{} but the header has {expected}: values may \
                         have moved to other columns, so it was not converted",
                        if found == 1 { "" } else { "s" }
                    ),
                )
                .with_suggestion(
                    "Look for a delimiter or an unclosed quote inside a value on this line, fix \
                     it and convert again.",
                ),
            ));
        }
        io::Shape::Malformed(why) => {
            return Err(RecordRejection::record(Rejection::new(
                rule::MALFORMED_RECORD,
                why.to_owned(),
            )));
        }
    }
    for &i in read {
        if let Some(io::Field::Invalid(_)) = record.get(i) {
            return Err(RecordRejection::column(
                i,
                Rejection::new(
                    rule::INVALID_ENCODING,
                    "the field holds bytes that are not valid in the file's encoding",
                )
                .with_suggestion(
                    "Save the file as UTF-8, or give its encoding with --encoding (e.g. \
                     windows-1252).",
                ),
            ));
        }
    }
    Ok(())
}

/// Hands a rejected record to `sink`, showing the faulty column's value only when it is safe.
pub fn send_reject<S: AsRef<str>>(
    sink: &mut dyn RejectSink,
    header: &[S],
    record: &io::Record<'_>,
    r: &RecordRejection,
) -> std::io::Result<()> {
    let value = r.index.and_then(|i| match record.get(i) {
        Some(io::Field::Text(t)) if shown(t).starts_with('`') => Some(t),
        _ => None,
    });
    sink.reject(&Rejected {
        line: record.line(),
        record: record.number(),
        column: r.column_name(header),
        value,
        rejection: &r.rejection,
    })
}

/// Converts every record of `table`: each one ends either in `out` or in `rejects`, never both,
/// never neither (`out` is any [`RecordSink`], such as `output::RecordWriter`). Memory does not grow with the number of records. `progress` is called with
/// each record's position (see [`io::Record::progress`]).
pub fn convert_stream<S: RecordSink + ?Sized>(
    table: io::Table<'_>,
    converter: &Converter<'_>,
    out: &mut S,
    rejects: &mut dyn RejectSink,
    progress: &mut dyn FnMut(u64),
) -> std::result::Result<Summary, StreamError> {
    let mut summary = Summary::default();
    let mut failed: Option<StreamError> = None;
    let read = converter.columns_read();
    let header = converter.header();
    let read_summary = table
        .for_each(|rec| {
            progress(rec.progress());
            let result = check_record(rec, &read).and_then(|()| converter.convert(rec));
            let step = match result {
                Ok(c) => {
                    summary.converted(&c);
                    out.record(rec, &c).map_err(StreamError::Write)
                }
                Err(r) => {
                    summary.rejected(r.rejection.rule);
                    send_reject(rejects, header, rec, &r).map_err(StreamError::Rejects)
                }
            };
            match step {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            }
        })
        .map_err(StreamError::Read)?;
    if let Some(e) = failed {
        return Err(e);
    }
    summary.blank_lines = read_summary.blank_lines;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::builtin;

    fn nhs() -> Source<'static> {
        Source::Scheme(builtin("nhs-ethnic-category").unwrap())
    }

    #[test]
    fn equivalent_code_converts_at_its_level() {
        let c = convert_code(nhs(), "J", Policy::Strict).unwrap();
        assert_eq!(c.code.code(), "asian.pakistani");
        assert_eq!(c.level, Level::Category);
        assert_eq!(c.group, Some(Group::Asian));
        assert_eq!(c.detailed, None);
        assert_eq!(c.policy, None);
        assert_eq!(c.matched, Matched::Exact);
    }

    #[test]
    fn local_second_character_is_narrower() {
        let c = convert_code(nhs(), "j1", Policy::Strict).unwrap();
        assert_eq!(c.code.code(), "asian.pakistani");
        assert_eq!(c.relationship, Relationship::Narrower);
        assert_eq!(c.matched, Matched::LocalSecondCharacter);
        assert_eq!(c.source_code, "J");
    }

    #[test]
    fn broader_code_under_each_policy() {
        let s = convert_code(nhs(), "C", Policy::Strict).unwrap();
        assert_eq!((s.code.code(), s.policy), ("white", Some(Policy::Strict)));
        let m = convert_code(nhs(), "C", Policy::MostLikely).unwrap();
        assert_eq!(
            (m.code.code(), m.policy),
            ("white.other", Some(Policy::MostLikely))
        );
        // DfE WROM documents no likeliest candidate: most-likely stays strict.
        let dfe = Source::Scheme(builtin("dfe-cbds").unwrap());
        let w = convert_code(dfe, "WROM", Policy::MostLikely).unwrap();
        assert_eq!((w.code.code(), w.policy), ("white", Some(Policy::Strict)));
    }

    #[test]
    fn rejections_name_the_rule() {
        assert_eq!(
            convert_code(nhs(), " ", Policy::Strict).unwrap_err().rule,
            rule::EMPTY
        );
        let r = convert_code(nhs(), "JJJ", Policy::Strict).unwrap_err();
        assert_eq!(r.rule, rule::UNKNOWN_CODE);
        let r = convert_code(nhs(), "9.76631E+14", Policy::Strict).unwrap_err();
        assert_eq!(r.rule, rule::EXCEL_SCIENTIFIC);
        let r = convert_code(Source::Standard, "white.iris", Policy::Strict).unwrap_err();
        assert_eq!(r.nearest[0], "white.irish");
    }

    #[test]
    fn standard_codes_convert_to_themselves() {
        let c = convert_code(Source::Standard, " White.Irish ", Policy::Strict).unwrap();
        assert_eq!(c.code.code(), "white.irish");
        assert_eq!(c.matched, Matched::Normalised);
        assert_eq!(c.source_scheme, STANDARD_ID);
    }

    #[test]
    fn results_serialise_as_their_codes() {
        let c = convert_code(nhs(), "C", Policy::Strict).unwrap();
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({
                "code": "white", "level": "group", "group": "white", "category": null,
                "detailed": null, "relationship": "broader",
                "candidates": ["white.gypsy-irish-traveller", "white.roma", "white.other"],
                "policy": "strict", "source_scheme": "nhs-ethnic-category", "source_code": "C",
                "matched": "exact", "observed": false, "standard_version": STANDARD_VERSION
            })
        );
        let r = convert_code(nhs(), "QQ", Policy::Strict).unwrap_err();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            (v["rule"].as_str(), v["rule_name"].as_str()),
            (Some("WM001"), Some("unknown-code"))
        );
    }

    #[test]
    fn recoding_states_the_loss() {
        let dfe = builtin("dfe-cbds").unwrap();
        let c = convert_code(Source::Scheme(dfe), "WIRT", Policy::Strict).unwrap();
        let r = c.recode(builtin("nhs-ethnic-category").unwrap()).unwrap();
        assert_eq!((r.code, r.loss), ("C", Loss::Generalised));
        let c = convert_code(nhs(), "C", Policy::Strict).unwrap();
        let r = c.recode(dfe).unwrap_err();
        assert_eq!(r.rule, rule::AMBIGUOUS_TARGET_CODE);
        assert!(r.reason.contains("WOTH"), "{}", r.reason);
        let c = convert_code(nhs(), "C", Policy::MostLikely).unwrap();
        assert_eq!(c.recode(dfe).unwrap().code, "WOTH");
    }
}
