//! Resolving a value: the vocabulary that validation, conversion and label matching share.
//!
//! A value is *found* in its [`Source`] (a scheme's code or label, a curated synonym, or a
//! standard code), which gives its [`Meaning`] in the standard; how it matched is [`Matched`].
//! A value that cannot be found is a [`Rejection`] under a [`Rule`]. Labels (free text) are
//! matched in [`labels`]; why an unknown value is unknown (another scheme's code, Excel damage,
//! an officer-observed code) is explained by [`unknown::Explainer`], for validation's findings
//! and conversion's rejections alike.

pub mod labels;
pub mod row;
pub mod unknown;

use crate::characteristic::Unread;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::privacy::shown;
use crate::rules::Rule;
use crate::scheme::{KeyedBy, Mapping, MatchKind, Registry, Relationship, Scheme};
use crate::standard::{Category, Node};
use crate::text::{looks_like_excel_scientific, nearest, printable};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::spec::By;

/// The id that names the standard itself as a source: values are standard codes (`white.irish`).
pub const STANDARD_ID: &str = "standard";

/// How a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Matched {
    /// Exactly as listed.
    Exact,
    /// After trimming spaces and/or changing case (for labels: folding punctuation too).
    Normalised,
    /// An NHS-style local code: an unlisted second character after a listed national code.
    LocalSecondCharacter,
    /// A label the scheme's authority publishes statistics under (`DfE` "Black - Black African",
    /// ONS "Ethnic group: White: Irish"), folded as labels are.
    Published,
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
            Matched::Published => "published",
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

    /// This meaning as a scheme [`Mapping`] (for [`crate::crosswalk::encode`]).
    pub fn to_mapping(self) -> Mapping {
        Mapping {
            relationship: self.relationship,
            target: self.target,
            candidates: self.candidates.to_vec(),
            most_likely: self.most_likely,
            note: None,
            records: None,
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
    /// The rule (serialised as its id, `rule`, and its name, `rule_name`).
    #[serde(flatten, serialize_with = "crate::rules::serialize_id_and_name")]
    pub rule: Rule,
    /// A sentence a data officer understands.
    pub reason: String,
    /// What to do about it, where there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The nearest codes or labels, for "did you mean".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nearest: Vec<String>,
}

impl From<Unread> for Rejection {
    fn from(u: Unread) -> Self {
        let r = Rejection::new(u.rule, u.reason);
        match u.suggestion {
            Some(s) => r.with_suggestion(s),
            None => r,
        }
    }
}

impl Rejection {
    /// A rejection under `rule`.
    pub fn new(rule: Rule, reason: impl Into<String>) -> Self {
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

/// The rejection of an empty cell (WM004).
pub(crate) fn empty() -> Rejection {
    Rejection::new(
        Rule::EmptyValue,
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
            let mut meaning = Meaning::of_mapping(m.mapping());
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
            Rule::ExcelScientific,
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
        Rule::UnknownCode,
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
                Rule::UnknownCode,
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

/// Finds a value of `source` matched `by` code or label (labels through `synonyms`, whose scheme
/// targets are looked up in `registry`): what conversion converts and validation checks.
pub fn find_value<'a>(
    registry: &'a Registry,
    synonyms: &'a labels::Synonyms,
    source: Source<'a>,
    raw: &str,
    by: By,
) -> std::result::Result<Found<'a>, Rejection> {
    match by {
        By::Code => find_code(source, raw),
        By::Label => labels::find_label(registry, synonyms, source, raw),
    }
}
