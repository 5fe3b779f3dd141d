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
//! use wm_ethnicity::{convert_code, Policy};
//! use wm_ethnicity::Source;
//! use wm_ethnicity::builtin_scheme as builtin;
//! use wm_ethnicity::{Category, Level, Node};
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

use crate::characteristic::{
    Characteristic, CharacteristicColumn, CharacteristicSet, Classifications, Reader,
    Value as CharacteristicValue,
};
use crate::crosswalk::{self, Loss};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::multiple::{Answer, DEFAULT_PRIORITY, MAX_ETHNICITIES, Priority};
use crate::privacy::may_show;
use crate::resolve::labels::Synonyms;
use crate::resolve::row::{self, RecordFields, RecordRejection, RowScheme, column_index};
use crate::resolve::unknown::{Explainer, empty_cell};
use crate::resolve::{By, Found, Matched, Meaning, Rejection, Source, find_code, find_value};
use crate::rules::Rule;
use crate::scheme::{FxHasher, Registry, Relationship, Scheme};
use crate::spec::{Answers, ColumnSpec, EmptyCell, ReturnSpec, Role, SchemeFrom};
use crate::standard::{Category, Detailed, Group, Level, Node, Residual, STANDARD_VERSION};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// What to emit for a code broader than one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Policy {
    /// The lowest node containing every candidate (usually a group): never finer than the source.
    #[default]
    Strict,
    /// The scheme's documented likeliest candidate category, flagged as such. Codes with no
    /// documented likeliest candidate stay as under `Strict`.
    MostLikely,
}

impl Policy {
    /// Every policy, in the order flags list them.
    pub const ALL: [Policy; 2] = [Policy::Strict, Policy::MostLikely];

    /// One line saying what it emits.
    pub const fn help(self) -> &'static str {
        match self {
            Policy::Strict => "The common ancestor (usually a group): never finer than the source",
            Policy::MostLikely => {
                "The scheme's documented likeliest category, flagged in `wm_policy`"
            }
        }
    }

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
    /// For a source broader than one category: its documented likeliest candidate, whether or not
    /// the policy took it (not written out: `policy` and `code` say what was emitted).
    #[serde(skip)]
    pub most_likely: Option<Category>,
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
    /// The record's other characteristics (sex, age band, ...) in their standard values, in
    /// the order of the plan's characteristic columns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub characteristics: Vec<CharacteristicValue<'a>>,
    /// With several ethnicities per person ([`Plan::answers`]): the person's later answers,
    /// after this one (the first), in the order given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<Converted<'a>>,
    /// With several ethnicities per person: which answer prioritised output counts the person
    /// in under the plan's order (0 is this one, 1 the first of [`Converted::more`], ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prioritised: Option<usize>,
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
            most_likely: m.most_likely,
            source_scheme: self.scheme,
            source_code: self.code,
            matched: self.matched,
            observed: self.observed,
            standard_version: STANDARD_VERSION,
            to: None,
            characteristics: Vec::new(),
            more: Vec::new(),
            prioritised: None,
        }
    }
}

impl<'a> Converted<'a> {
    /// The standard value of characteristic `k` (its code), when the record carries it.
    pub fn characteristic(&self, k: Characteristic) -> Option<&'a str> {
        self.characteristics
            .iter()
            .find(|v| v.characteristic == k)
            .map(|v| v.code)
    }

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
                most_likely: self.most_likely,
            }
        }
    }

    /// Expresses this record in scheme `to` through [`crosswalk::encode`]. A record no code of
    /// `to` contains is a [`Rule::NoTargetCode`] rejection.
    pub fn recode(&self, to: &'a Scheme) -> std::result::Result<Recoded<'a>, Rejection> {
        let into = if self.observed {
            crosswalk::encode_observed
        } else {
            crosswalk::encode
        };
        let e = into(to, &self.meaning().to_mapping());
        match (e.loss, e.code) {
            // Broader than any one target code: the crosswalk names the documented likeliest
            // code, if there is one, but only `--policy most-likely` may take it.
            (Loss::Ambiguous, likeliest) => {
                let suggestion = match likeliest {
                    Some(code) => format!(
                        "With --policy most-likely, the documented likeliest candidate is taken: \
                         {} {} ({}), flagged in wm_policy",
                        to.id,
                        code.key(),
                        code.label
                    ),
                    None => "No likeliest candidate is documented, so --policy most-likely would \
                             not choose one either: record a more specific value at the source"
                        .to_owned(),
                };
                Err(Rejection::new(Rule::AmbiguousTargetCode, e.note).with_suggestion(suggestion))
            }
            (_, Some(code)) => Ok(Recoded {
                scheme: &to.id,
                code: code.key(),
                label: &code.label,
                loss: e.loss,
                note: e.note,
            }),
            (_, None) => Err(Rejection::new(Rule::NoTargetCode, e.note)),
        }
    }

    /// This record with its recoding into `to` (see [`Converted::recode`]).
    pub fn recoded(mut self, to: &'a Scheme) -> std::result::Result<Self, Rejection> {
        self.to = Some(self.recode(to)?);
        Ok(self)
    }
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
    Ok(find_value(registry, synonyms, source, raw, by)?.convert(policy))
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

/// The columns added with several ethnicities per person ([`Plan::answers`]), after
/// [`OUTPUT_COLUMNS`]: how many answers the person gave, and the one prioritised output counts
/// them in (by the plan's [`Plan::priority`]).
pub const ANSWER_COLUMNS: [&str; 2] = ["wm_answers", "wm_prioritised"];

/// What joins a person's answers in each added column of several-ethnicity output
/// (`white.british;white.irish`), whatever the input's separator or columns were: one shape, so
/// `aggregate --scheme standard --column wm_code --separator ';'` reads any of them.
pub const ANSWERS_JOINED_BY: &str = ";";

/// What joins the answers' loss notes (`wm_loss_note`), which are prose and may hold `;`.
pub const NOTES_JOINED_BY: &str = " | ";

impl Converted<'_> {
    /// The values of [`OUTPUT_COLUMNS`], then [`ANSWER_COLUMNS`] when `answers` is true, then
    /// [`RECODE_COLUMNS`] when `recode` is true, passed in order to `f`; `scratch` is reused for
    /// the candidates list. A record of several answers ([`Converted::more`]) gives each column
    /// its answers' values joined by [`ANSWERS_JOINED_BY`] (notes by [`NOTES_JOINED_BY`]), in
    /// order, so the `k`-th piece of every column is the `k`-th answer's.
    pub fn for_each_output<E>(
        &self,
        (recode, answers): (bool, bool),
        scratch: &mut String,
        mut f: impl FnMut(&str, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let prioritised = match self.prioritised {
            Some(k) if k > 0 => self.more.get(k - 1).unwrap_or(self),
            _ => self,
        };
        let count = (1 + self.more.len()).to_string();
        let answer_values = [count.as_str(), prioritised.code.code()];
        if self.more.is_empty() {
            // One answer: no joining, nothing allocated.
            self.candidates_into(scratch);
            for (name, v) in OUTPUT_COLUMNS.iter().zip(self.values(scratch)) {
                f(name, v)?;
            }
            if answers {
                for (name, v) in ANSWER_COLUMNS.iter().zip(answer_values) {
                    f(name, v)?;
                }
            }
            if recode {
                for (name, v) in RECODE_COLUMNS.iter().zip(self.recode_values()) {
                    f(name, v)?;
                }
            }
            return Ok(());
        }
        let mut joined = vec![String::new(); OUTPUT_COLUMNS.len() + RECODE_COLUMNS.len()];
        for (k, c) in std::iter::once(self).chain(&self.more).enumerate() {
            c.candidates_into(scratch);
            let values = c.values(scratch).into_iter().chain(c.recode_values());
            for (j, (into, v)) in joined.iter_mut().zip(values).enumerate() {
                if k > 0 {
                    into.push_str(joined_by(j));
                }
                into.push_str(v);
            }
        }
        // A column whose every answer is empty (no candidates, no policy) stays empty.
        for (j, into) in joined.iter_mut().enumerate() {
            if into.split(joined_by(j)).all(str::is_empty) {
                into.clear();
            }
        }
        let (output, to) = joined.split_at(OUTPUT_COLUMNS.len());
        for (name, v) in OUTPUT_COLUMNS.iter().zip(output) {
            f(name, v)?;
        }
        if answers {
            for (name, v) in ANSWER_COLUMNS.iter().zip(answer_values) {
                f(name, v)?;
            }
        }
        if recode {
            for (name, v) in RECODE_COLUMNS.iter().zip(to) {
                f(name, v)?;
            }
        }
        Ok(())
    }

    /// The candidates, space separated, into `scratch`.
    fn candidates_into(&self, scratch: &mut String) {
        scratch.clear();
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                scratch.push(' ');
            }
            scratch.push_str(c.code());
        }
    }

    /// The values of [`OUTPUT_COLUMNS`], the candidates list being `candidates`.
    fn values<'s>(&'s self, candidates: &'s str) -> [&'s str; 13] {
        [
            self.code.code(),
            self.level.name(),
            self.group.map_or("", Group::code),
            self.category.map_or("", Category::code),
            self.detailed.map_or("", Detailed::code),
            self.relationship.name(),
            candidates,
            self.policy.map_or("", Policy::name),
            self.source_scheme,
            self.source_code,
            self.matched.name(),
            if self.observed { "true" } else { "false" },
            self.standard_version,
        ]
    }

    /// The values of [`RECODE_COLUMNS`] (empty without a recoding).
    fn recode_values(&self) -> [&str; 5] {
        let t = self.to.as_ref();
        [
            t.map_or("", |t| t.scheme),
            t.map_or("", |t| t.code),
            t.map_or("", |t| t.label),
            t.map_or("", |t| loss_name(t.loss)),
            t.map_or("", |t| t.note.as_str()),
        ]
    }
}

/// What joins the answers' values of added column `j` (of [`OUTPUT_COLUMNS`] then
/// [`RECODE_COLUMNS`]): the notes, last, by [`NOTES_JOINED_BY`]; the others by
/// [`ANSWERS_JOINED_BY`].
const fn joined_by(j: usize) -> &'static str {
    if j == OUTPUT_COLUMNS.len() + RECODE_COLUMNS.len() - 1 {
        NOTES_JOINED_BY
    } else {
        ANSWERS_JOINED_BY
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
    /// Other characteristics to carry in each record in their standard values (`wm_sex`,
    /// `wm_age_band`, ...): a record whose characteristic cannot be read is rejected, naming it.
    pub characteristics: Vec<CharacteristicColumn>,
    /// Where a person's several ethnicities are: more columns after `column`, a separator
    /// inside cells (default: one answer in `column`). With several, each converted record
    /// carries all of them in order ([`Converted::more`]) and the prioritised one.
    pub answers: Answers,
    /// The order of [`Converted::prioritised`] with several answers; `None` is the region's
    /// default ([`DEFAULT_PRIORITY`]).
    pub priority: Option<Priority>,
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
            characteristics: Vec::new(),
            answers: Answers::default(),
            priority: None,
        }
    }

    /// The plan of a return specification (`convert --spec`): its coded column named `column`,
    /// or its only one, read as that column says (codes or labels, what an empty cell means),
    /// its scheme from `scheme` when given, else the column's; and the specification's
    /// characteristic columns. `file` names the specification in errors.
    ///
    /// ```
    /// use wm_ethnicity::{EmptyCell, Plan, ReturnSpec};
    ///
    /// let yaml = "name: r\ncolumns:\n  - name: Eth\n    scheme: dfe-cbds\n    empty: not-known\n  \
    ///             - name: Sex\n    role: sex\n    scheme: census-2021-sex\n";
    /// let spec = ReturnSpec::from_yaml(yaml, "r.yaml").unwrap();
    /// let plan = Plan::from_spec(&spec, "r.yaml", None, None).unwrap();
    /// assert_eq!((plan.column.as_str(), plan.empty), ("Eth", EmptyCell::NotKnown));
    /// assert_eq!(plan.characteristics[0].column, "Sex");
    /// let e = Plan::from_spec(&spec, "r.yaml", Some("Sex"), None).unwrap_err();
    /// assert_eq!(e.to_string(), "r.yaml: has no coded column `Sex` (its coded column: Eth)");
    /// ```
    pub fn from_spec(
        spec: &ReturnSpec,
        file: &str,
        column: Option<&str>,
        scheme: Option<SchemeFrom>,
    ) -> Result<Plan> {
        let coded: Vec<&ColumnSpec> = spec.coded_columns().collect();
        let names = || {
            coded
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let invalid =
            |message: String| Error::new(ErrorKind::Invalid(message), Location::file(file));
        let chosen = match (column, coded.as_slice()) {
            (Some(c), _) => coded.iter().find(|x| x.name == c).ok_or_else(|| {
                invalid(format!(
                    "has no coded column `{c}` (its coded column{}: {})",
                    if coded.len() == 1 { "" } else { "s" },
                    names()
                ))
            })?,
            (None, [one]) => one,
            (None, many) => {
                return Err(invalid(format!(
                    "has {} coded columns ({}): choose the one to convert",
                    many.len(),
                    names()
                )));
            }
        };
        let scheme = scheme
            .or_else(|| chosen.scheme.clone())
            .ok_or_else(|| invalid(format!("column `{}` has no scheme", chosen.name)))?;
        Ok(Plan {
            by: chosen.by,
            empty: chosen.empty,
            characteristics: spec.characteristic_columns().collect(),
            answers: chosen.answers.clone(),
            ..Plan::new(chosen.name.clone(), scheme)
        })
    }
}

/// What a front end asks of a conversion, with or without a return specification: the command
/// line's flags, the page's choices, the Python package's keywords. [`PlanRequest::plan`] is the
/// one place they become a [`Plan`], so that every front end converts alike.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest<'a> {
    /// A return specification and its name in errors (`convert --spec`).
    pub spec: Option<(&'a ReturnSpec, &'a str)>,
    /// The coded column, then the columns of a person's later answers, in order (`--column`
    /// given more than once). With a specification, the first chooses its coded column.
    pub columns: Vec<String>,
    /// Where each record's scheme comes from; with a specification, instead of its column's.
    pub scheme: Option<SchemeFrom>,
    /// Codes or labels; `None`: as the specification's column says, else codes.
    pub by: Option<By>,
    /// What to emit for broader codes; `None`: strict.
    pub policy: Option<Policy>,
    /// Also express each record in this scheme.
    pub to_scheme: Option<String>,
    /// Characteristic columns carried beside ethnicity, after the specification's.
    pub characteristics: Vec<CharacteristicColumn>,
    /// What separates several answers inside one cell.
    pub separator: Option<String>,
    /// The order of the prioritised answer with several; `None`: the region's default.
    pub priority: Option<Priority>,
}

/// Why a [`PlanRequest`] makes no plan. Each front end words the first three in its own terms
/// (flags, keywords); these messages are the plain ones.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Neither a specification nor a column to convert.
    #[error("give the column to convert")]
    NoColumn,
    /// No specification and no scheme (nor the columns giving each record's).
    #[error("give the scheme, or the columns that give each record's")]
    NoScheme,
    /// A priority order, but a person gives one ethnicity: it would change nothing.
    #[error(
        "a priority order orders several ethnicities per person: give a separator, or more \
         than one column"
    )]
    PriorityWithoutSeveral,
    /// The specification has no such column, or its column no scheme.
    #[error(transparent)]
    Spec(#[from] Error),
}

impl PlanRequest<'_> {
    /// The plan: the specification's ([`Plan::from_spec`]) or the first column's in its
    /// scheme, then what is asked beside it. Several answers asked for (more columns, a
    /// separator) replace the specification's.
    ///
    /// ```
    /// use wm_ethnicity::{PlanError, PlanRequest, SchemeFrom};
    ///
    /// let request = PlanRequest {
    ///     columns: vec!["e1".into(), "e2".into()],
    ///     scheme: Some(SchemeFrom::Fixed("nhs-ethnic-category".into())),
    ///     ..PlanRequest::default()
    /// };
    /// let plan = request.plan().unwrap();
    /// assert_eq!((plan.column.as_str(), plan.answers.more_columns.as_slice()), ("e1", &["e2".to_owned()][..]));
    /// assert!(matches!(PlanRequest::default().plan(), Err(PlanError::NoColumn)));
    /// ```
    pub fn plan(self) -> std::result::Result<Plan, PlanError> {
        let mut columns = self.columns.into_iter();
        let first = columns.next();
        let mut plan = match self.spec {
            Some((spec, file)) => Plan::from_spec(spec, file, first.as_deref(), self.scheme)?,
            None => Plan::new(
                first.ok_or(PlanError::NoColumn)?,
                self.scheme.ok_or(PlanError::NoScheme)?,
            ),
        };
        plan.by = self.by.unwrap_or(plan.by);
        plan.policy = self.policy.unwrap_or(plan.policy);
        plan.to_scheme = self.to_scheme;
        plan.characteristics.extend(self.characteristics);
        let asked = Answers {
            more_columns: columns.collect(),
            separator: self.separator,
        };
        if asked.several() {
            plan.answers = asked;
        }
        if self.priority.is_some() && !plan.answers.several() {
            return Err(PlanError::PriorityWithoutSeveral);
        }
        plan.priority = self.priority;
        Ok(plan)
    }
}

/// A [`Plan`] bound to a header and a registry: converts records.
#[derive(Debug)]
pub struct Converter<'a> {
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    value: usize,
    scheme: RowScheme<'a>,
    by: By,
    policy: Policy,
    to: Option<&'a Scheme>,
    empty: EmptyCell,
    /// Each characteristic column: its index, its reader, and whether an empty cell is "not
    /// known".
    characteristics: Vec<(usize, Reader<'a>, bool)>,
    /// The later answers' columns (after `value`), with several ethnicities per person.
    more: Vec<usize>,
    /// How a person's answers are read (more columns, a separator).
    answers: Answers,
    /// The order of the prioritised answer, with several.
    priority: Priority,
    columns: Vec<String>,
    explainer: Explainer<'a>,
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
        let at_file = |e: Error| e.in_file(file);
        let value = column_index(header, &plan.column, file)?;
        let scheme = RowScheme::new(registry, &plan.scheme, header, file)?;
        let to = match &plan.to_scheme {
            Some(id) => Some(registry.require(id).map_err(at_file)?),
            None => None,
        };
        let mut characteristics: Vec<(usize, Reader<'a>, bool)> = Vec::new();
        for c in &plan.characteristics {
            let reader = Classifications::builtin().reader(c).map_err(at_file)?;
            if characteristics
                .iter()
                .any(|(_, r, _)| r.characteristic() == reader.characteristic())
            {
                return Err(invalid_plan(
                    file,
                    format!(
                        "column `{}`: a record carries one {} column",
                        c.column,
                        reader.characteristic()
                    ),
                ));
            }
            let i = column_index(header, &c.column, file)?;
            characteristics.push((i, reader, c.empty_not_known));
        }
        let more = answer_columns(header, plan, value, file)?;
        let priority = match &plan.priority {
            Some(p) => p.clone(),
            None => Priority::builtin(DEFAULT_PRIORITY)
                .cloned()
                .ok_or_else(|| {
                    invalid_plan(file, "the default priority order is missing".into())
                })?,
        };
        Ok(Converter {
            registry,
            synonyms,
            value,
            scheme,
            by: plan.by,
            policy: plan.policy,
            to,
            empty: plan.empty,
            characteristics,
            more,
            answers: plan.answers.clone(),
            priority,
            columns: header.iter().map(|h| h.as_ref().to_owned()).collect(),
            explainer: Explainer::new(registry),
        })
    }

    /// The index of the value column.
    pub fn value_index(&self) -> usize {
        self.value
    }

    /// The indexes of every column a conversion reads (value and later answers, scheme,
    /// council, dataset, characteristics).
    pub fn columns_read(&self) -> Vec<usize> {
        let mut v = vec![self.value];
        v.extend(&self.more);
        v.extend(self.scheme.columns());
        v.extend(self.characteristics.iter().map(|(i, _, _)| *i));
        v
    }

    /// The characteristics each converted record carries.
    pub fn characteristics(&self) -> CharacteristicSet {
        self.characteristics
            .iter()
            .map(|(_, r, _)| r.characteristic())
            .collect()
    }

    /// The target scheme of `--to-scheme`, if any.
    pub fn to_scheme(&self) -> Option<&'a Scheme> {
        self.to
    }

    /// The header the converter was bound to.
    pub fn header(&self) -> &[String] {
        &self.columns
    }

    /// Converts one record: its scheme, its value, the policy, and the recoding if asked; then
    /// its characteristics.
    ///
    /// With several ethnicities per person ([`Plan::answers`]) the record is the first answer
    /// carrying the later ones in [`Converted::more`] and the [`Converted::prioritised`] one
    /// (see [`Converter::convert_each`]).
    pub fn convert<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Converted<'a>, RecordRejection> {
        if self.several() {
            let mut each = self.convert_each(record)?.into_iter();
            let Some(mut first) = each.next() else {
                // convert_each gives at least one answer, the empty first cell at least.
                return Err(RecordRejection::column(
                    self.value,
                    Rejection::new(Rule::EmptyValue, "no ethnicity given"),
                ));
            };
            first.more = each.collect();
            let answers: Vec<Answer<'static>> = std::iter::once(&first)
                .chain(&first.more)
                .map(|c| Answer::of(c.code, Level::Detailed))
                .collect();
            first.prioritised = self.priority.prioritised(&answers);
            return Ok(first);
        }
        let mut c = self.convert_value(record)?;
        c.characteristics = self.read_characteristics(record)?;
        Ok(c)
    }

    /// True when a person may give several ethnicities ([`Plan::answers`]).
    pub fn several(&self) -> bool {
        self.answers.several()
    }

    /// Converts one record's value only (its scheme, its value, the policy, the recoding), with
    /// no characteristics: with [`Converter::scheme_is_fixed`], the same value always converts
    /// the same way, so a caller may remember the result.
    pub fn convert_value<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Converted<'a>, RecordRejection> {
        let source = self.scheme.source_of(record)?;
        let raw = row::field(record, self.value)?;
        self.convert_one(source, self.value, raw)
    }

    /// True when every record's value is in one scheme (no scheme, council or dataset column).
    pub fn scheme_is_fixed(&self) -> bool {
        self.scheme.columns().next().is_none()
    }

    /// Converts each of a person's ethnicities, in order: the value column's cell, then the
    /// later answers' columns (a blank one is a person who gave fewer), each cell split on the
    /// separator ([`Answers::split`]); each value converted as [`Converter::convert`] converts
    /// one. The record's characteristics are carried by the first. A value that cannot be
    /// converted rejects the record naming its column, its reason saying which answer it was
    /// ("value 2 of 3"); more than [`crate::multiple::MAX_ETHNICITIES`] values reject it too.
    pub fn convert_each<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Vec<Converted<'a>>, RecordRejection> {
        let source = self.scheme.source_of(record)?;
        let mut cells = Vec::with_capacity(1 + self.more.len());
        for &i in std::iter::once(&self.value).chain(&self.more) {
            cells.push((i, row::field(record, i)?));
        }
        let values = self.answers.split(cells);
        if let Some(&(i, _)) = values.get(MAX_ETHNICITIES) {
            return Err(RecordRejection::column(
                i,
                Rejection::new(
                    Rule::TooManyEthnicities,
                    self.answers.too_many(values.len()),
                ),
            ));
        }
        let n = values.len();
        let mut out = Vec::with_capacity(n);
        for (k, (i, v)) in values.into_iter().enumerate() {
            let c = self.convert_one(source, i, v).map_err(|mut r| {
                if n > 1 {
                    r.rejection.reason = format!("value {} of {n}: {}", k + 1, r.rejection.reason);
                }
                r
            })?;
            out.push(c);
        }
        if let Some(first) = out.first_mut() {
            first.characteristics = self.read_characteristics(record)?;
        }
        Ok(out)
    }

    /// The record's characteristics in their standard values, in the order given; the first
    /// that cannot be read rejects the record.
    pub fn read_characteristics<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Vec<CharacteristicValue<'a>>, RecordRejection> {
        self.characteristics
            .iter()
            .map(|&(i, reader, empty_not_known)| {
                read_characteristic(record, i, reader, empty_not_known)
            })
            .collect()
    }

    /// As [`Converter::convert`], remembering in `memo` how each value converted and each
    /// characteristic read: a file repeats a few codes, sexes and ages, and explaining an
    /// unknown value searches every scheme. A value is remembered only when every record's
    /// value is in one scheme ([`Converter::scheme_is_fixed`]); a characteristic's reading
    /// depends on its cell alone. A record of several answers is converted afresh.
    pub(crate) fn convert_remembered<'m, R: RecordFields + ?Sized>(
        &self,
        record: &R,
        memo: &'m mut Memo<'a>,
    ) -> std::result::Result<Cow<'m, Converted<'a>>, RecordRejection> {
        if self.several() {
            return self.convert(record).map(Cow::Owned);
        }
        let raw = record.field(self.value).filter(|_| self.scheme_is_fixed());
        if self.characteristics.is_empty()
            && let Some(raw) = raw
        {
            // The remembered conversion itself: nothing of the record's own to add to it.
            return match remembered(&mut memo.value, raw, || self.convert_value(record)) {
                Some(Ok(c)) => Ok(Cow::Borrowed(c)),
                Some(Err(r)) => Err(r.clone()),
                None => self.convert_value(record).map(Cow::Owned),
            };
        }
        let mut c = match raw {
            Some(raw) => remember(&mut memo.value, raw, || self.convert_value(record))?,
            None => self.convert_value(record)?,
        };
        memo.characteristics
            .resize_with(self.characteristics.len(), HashMap::default);
        c.characteristics = self
            .characteristics
            .iter()
            .zip(&mut memo.characteristics)
            .map(|(&(i, reader, empty_not_known), seen)| {
                let read = || read_characteristic(record, i, reader, empty_not_known);
                match record.field(i) {
                    Some(raw) => remember(seen, raw, read),
                    None => read(),
                }
            })
            .collect::<std::result::Result<_, _>>()?;
        Ok(Cow::Owned(c))
    }

    /// One value of a person's ethnicity, in column `i`, in `source`: found, the policy
    /// applied, recoded if asked.
    fn convert_one(
        &self,
        source: Source<'a>,
        i: usize,
        raw: &str,
    ) -> std::result::Result<Converted<'a>, RecordRejection> {
        let c = if raw.trim().is_empty() {
            if self.empty != EmptyCell::NotKnown {
                let (reason, suggestion) = empty_cell(source);
                return Err(RecordRejection::column(
                    i,
                    Rejection::new(Rule::EmptyValue, reason).with_suggestion(suggestion),
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
            .map_err(|r| RecordRejection::column(i, self.explain(source, raw, r)))?
        };
        match self.to {
            Some(to) => c.recoded(to).map_err(|r| RecordRejection::column(i, r)),
            None => Ok(c),
        }
    }

    /// An unknown code explained as validation explains it (WM001, WM002, WM007, WM008, WM014).
    fn explain(&self, source: Source<'a>, raw: &str, r: Rejection) -> Rejection {
        let Source::Scheme(s) = source else {
            return r;
        };
        if self.by != By::Code || (r.rule != Rule::UnknownCode && r.rule != Rule::ExcelScientific) {
            return r;
        }
        let (rule, message, suggestion) = self.explainer.explain(s, raw);
        let hide = |t: String| {
            if may_show(Role::Coded, raw).is_ok() {
                t
            } else {
                t.replace(raw, "(value not shown)")
            }
        };
        Rejection {
            rule,
            reason: hide(message),
            suggestion: suggestion.map(hide),
            nearest: r.nearest,
        }
    }
}

/// An error in a plan (naming `file`, the input it was bound to).
fn invalid_plan(file: &str, why: String) -> Error {
    Error::new(
        crate::error::ErrorKind::Invalid(why),
        crate::error::Location::file(file),
    )
}

/// The indexes of the plan's later answers' columns in `header` (the value column at `value`):
/// each present, none twice, at most [`MAX_ETHNICITIES`] columns in all.
fn answer_columns<S: AsRef<str>>(
    header: &[S],
    plan: &Plan,
    value: usize,
    file: &str,
) -> Result<Vec<usize>> {
    let more = &plan.answers.more_columns;
    if more.len() >= MAX_ETHNICITIES {
        return Err(invalid_plan(
            file,
            format!(
                "{} ethnicity columns: a person gives at most {MAX_ETHNICITIES}",
                more.len() + 1
            ),
        ));
    }
    if plan.answers.separator.as_deref().is_some_and(str::is_empty) {
        return Err(invalid_plan(file, "the separator is empty".into()));
    }
    let mut seen = vec![value];
    for name in more {
        let i = column_index(header, name, file)?;
        if seen.contains(&i) {
            return Err(invalid_plan(
                file,
                format!("column `{name}` is given twice as an ethnicity column"),
            ));
        }
        seen.push(i);
    }
    Ok(seen.split_off(1))
}

/// How many values a [`Memo`] keeps per column; it is emptied when full, so memory stays
/// bounded whatever the file holds.
const MEMO_ENTRIES: usize = 4096;

/// What each value of one column gave, by value.
type Remembered<T> = HashMap<
    Box<str>,
    std::result::Result<T, RecordRejection>,
    std::hash::BuildHasherDefault<FxHasher>,
>;

/// How recent values converted and recent characteristic cells read (or why they could not
/// be), for [`Converter::convert_remembered`].
#[derive(Debug, Default)]
pub(crate) struct Memo<'a> {
    value: Remembered<Converted<'a>>,
    characteristics: Vec<Remembered<CharacteristicValue<'a>>>,
}

/// What `raw` gave in `seen`, made by `make` (and kept) the first time; `None` only if it
/// could not be kept.
fn remembered<'m, T>(
    seen: &'m mut Remembered<T>,
    raw: &str,
    make: impl FnOnce() -> std::result::Result<T, RecordRejection>,
) -> Option<&'m std::result::Result<T, RecordRejection>> {
    if !seen.contains_key(raw) {
        keep(seen, raw, make());
    }
    seen.get(raw)
}

/// As [`remembered`], a copy.
fn remember<T: Clone>(
    seen: &mut Remembered<T>,
    raw: &str,
    make: impl FnOnce() -> std::result::Result<T, RecordRejection>,
) -> std::result::Result<T, RecordRejection> {
    if let Some(hit) = seen.get(raw) {
        return hit.clone();
    }
    let got = make();
    keep(seen, raw, got.clone());
    got
}

/// Keeps what `raw` gave in `seen`, emptied first when full.
fn keep<T>(seen: &mut Remembered<T>, raw: &str, got: std::result::Result<T, RecordRejection>) {
    if seen.len() >= MEMO_ENTRIES {
        seen.clear();
    }
    seen.insert(raw.into(), got);
}

/// Column `i` of `record` read through `reader`: an empty cell is the residual "not known" when
/// `empty_not_known`, else rejected (WM004); a value that cannot be read is rejected naming the
/// characteristic (WM020, WM021).
fn read_characteristic<'a, R: RecordFields + ?Sized>(
    record: &R,
    i: usize,
    reader: Reader<'a>,
    empty_not_known: bool,
) -> std::result::Result<CharacteristicValue<'a>, RecordRejection> {
    let raw = row::field(record, i)?;
    let k = reader.characteristic();
    if raw.trim().is_empty() {
        if !empty_not_known {
            let (reason, suggestion) = crate::characteristic::empty_cell(k);
            return Err(RecordRejection::column(
                i,
                Rejection::new(Rule::EmptyValue, reason).with_suggestion(suggestion),
            ));
        }
        let r = Residual::NotKnown;
        return Ok(CharacteristicValue {
            characteristic: k,
            code: r.code(),
            label: r.label(),
            residual: Some(r),
        });
    }
    reader
        .read(raw)
        .map_err(|u| RecordRejection::column(i, Rejection::from(u)))
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

/// Counts of a conversion run. `rows == converted + rejected` always. The counts by level,
/// policy, match and loss are of answers: one per converted record, or with several
/// ethnicities per person, each of a record's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read (every record, whatever its shape).
    pub rows: u64,
    /// Records written to the output.
    pub converted: u64,
    /// Records written to the rejects.
    pub rejected: u64,
    /// Answers in the converted records (as many as records, unless persons give several).
    pub answers: u64,
    /// Converted records holding more than one answer.
    pub more_than_one: u64,
    /// Answers per level reached: group, category, detailed, residual.
    pub by_level: [u64; 4],
    /// Answers whose code was a documented most-likely choice.
    pub most_likely: u64,
    /// Answers from a code broader than one category kept at the common ancestor.
    pub kept_broader: u64,
    /// Answers matched other than exactly (normalised, local code, synonym, empty rule).
    pub not_exact: u64,
    /// Answers from officer-observed codes (police IC).
    pub observed: u64,
    /// Answers recoded with some loss (`--to-scheme`).
    pub lossy: u64,
    /// Rejected records per rule, in first-seen order.
    pub by_rule: Vec<(Rule, u64)>,
    /// Blank lines and rows that hold nothing (`,,,,`, empty sheet rows), skipped: they are not
    /// records.
    pub blank_lines: u64,
}

impl Summary {
    /// Counts a converted record.
    pub fn converted(&mut self, record: &Converted) {
        self.rows += 1;
        self.converted += 1;
        self.more_than_one += u64::from(!record.more.is_empty());
        self.answer(record);
        for c in &record.more {
            self.answer(c);
        }
    }

    /// Counts one answer of a converted record.
    fn answer(&mut self, c: &Converted) {
        self.answers += 1;
        let i = Level::ALL.iter().position(|l| *l == c.level).unwrap_or(0);
        self.by_level[i] += 1;
        match c.policy {
            Some(Policy::MostLikely) => self.most_likely += 1,
            Some(Policy::Strict) => self.kept_broader += 1,
            None => {}
        }
        self.not_exact += u64::from(c.matched != Matched::Exact);
        self.observed += u64::from(c.observed);
        self.lossy += u64::from(c.to.as_ref().is_some_and(|t| t.loss != Loss::None));
    }

    /// Counts a rejected record.
    pub fn rejected(&mut self, rule: Rule) {
        self.rows += 1;
        self.rejected += 1;
        match self.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.by_rule.push((rule, 1)),
        }
    }

    /// Answers at `level`.
    pub fn at_level(&self, level: Level) -> u64 {
        Level::ALL
            .iter()
            .position(|l| *l == level)
            .map_or(0, |i| self.by_level[i])
    }
}

/// One rejected record, as handed to a [`RejectSink`]. What it serialises holds nothing of the
/// record but the value of the column at fault, and only when it is safe to show; the whole
/// input record is there too ([`Rejected::input`]) for a sink that keeps full rows.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected<'r> {
    /// The 1-based line the record starts on (the row number in a spreadsheet).
    pub line: u64,
    /// The 1-based record number (1 = the first record after the header).
    pub record: u64,
    /// The 1-based spreadsheet row the record is on, as Excel shows it (see
    /// [`io::Record::row`]); `None` for JSON Lines.
    pub row: Option<u64>,
    /// The column at fault; `None` for the whole record.
    pub column: Option<&'r str>,
    /// That column's value, when it can be shown (one line, at most 100 characters).
    pub value: Option<&'r str>,
    /// Why.
    #[serde(flatten)]
    pub rejection: &'r Rejection,
    /// The input record, every field of it (never serialised): for a sink that keeps the whole
    /// row so that it can be fixed and converted again, such as `RejectWriter::full_rows`. It
    /// holds every column (names, dates of birth, ids): a sink that writes it writes personal
    /// data, as the converted output does.
    #[serde(skip)]
    pub input: &'r io::Record<'r>,
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

impl From<Error> for StreamError {
    fn from(e: Error) -> Self {
        StreamError::Read(e)
    }
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
                    Rule::WrongFieldCount,
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
                Rule::MalformedRecord,
                why.to_owned(),
            )));
        }
    }
    // Only the columns read are checked: a few short fields, fewer bytes than the whole line;
    // none when the reading thread checked the line already.
    if record.fields_known_text() {
        return Ok(());
    }
    for &i in read {
        if let Some(io::Field::Invalid(_)) = record.get(i) {
            return Err(RecordRejection::column(
                i,
                Rejection::new(
                    Rule::InvalidEncoding,
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
        Some(io::Field::Text(t)) if may_show(Role::Coded, t).is_ok() => Some(t),
        _ => None,
    });
    sink.reject(&Rejected {
        line: record.line(),
        record: record.number(),
        row: record.row(),
        column: r.column_name(header),
        value,
        rejection: &r.rejection,
        input: record,
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
    let read = converter.columns_read();
    let header = converter.header();
    let mut memo = Memo::default();
    let read_summary = table.try_for_each(|rec| {
        progress(rec.progress());
        // Matched by reference: a conversion is large, and moving it out costs a copy.
        let got = match check_record(rec, &read) {
            Ok(()) => converter.convert_remembered(rec, &mut memo),
            Err(r) => Err(r),
        };
        match &got {
            Ok(c) => {
                summary.converted(c);
                out.record(rec, c).map_err(StreamError::Write)
            }
            Err(r) => {
                summary.rejected(r.rejection.rule);
                send_reject(rejects, header, rec, r).map_err(StreamError::Rejects)
            }
        }
    })?;
    summary.blank_lines = read_summary.blank_lines;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::builtin_scheme as builtin;

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
            Rule::EmptyValue
        );
        let r = convert_code(nhs(), "JJJ", Policy::Strict).unwrap_err();
        assert_eq!(r.rule, Rule::UnknownCode);
        let r = convert_code(nhs(), "9.76631E+14", Policy::Strict).unwrap_err();
        assert_eq!(r.rule, Rule::ExcelScientific);
        let r = convert_code(Source::Standard, "white.iris", Policy::Strict).unwrap_err();
        assert_eq!(r.nearest[0], "white.irish");
    }

    #[test]
    fn standard_codes_convert_to_themselves() {
        let c = convert_code(Source::Standard, " White.Irish ", Policy::Strict).unwrap();
        assert_eq!(c.code.code(), "white.irish");
        assert_eq!(c.matched, Matched::Normalised);
        assert_eq!(c.source_scheme, crate::resolve::STANDARD_ID);
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
        assert_eq!(r.rule, Rule::AmbiguousTargetCode);
        assert!(r.reason.contains("WOTH"), "{}", r.reason);
        let c = convert_code(nhs(), "C", Policy::MostLikely).unwrap();
        assert_eq!(c.recode(dfe).unwrap().code, "WOTH");
    }
}
