//! Free text from legacy systems: matching a label to a code through the scheme's labels and a
//! curated synonym list kept as data (`schema/synonyms.yaml`, checked against
//! `schema/synonyms.schema.json`).
//!
//! Order of matching, and what each match is reported as:
//! 1. the scheme's own labels, exactly ([`Matched::Exact`]) or folded: case, spaces and dashes
//!    ignored ([`Matched::Normalised`]); for the standard, its labels (groups, categories with
//!    their ONS labels, residuals, then detailed labels that name one node only);
//! 2. the synonym list, folded the same way ([`Matched::Synonym`]): each synonym names a code of a
//!    scheme (and takes that code's meaning, broader ones included) or a node of the standard.
//!
//! Nothing looser is accepted: an unmatched label is rejected with its nearest labels.
//!
//! ```
//! use wm_ethnicity::{Matched, Source};
//! use wm_ethnicity::{find_label, Synonyms};
//! use wm_ethnicity::{builtin_scheme as builtin, Registry};
//!
//! let registry = Registry::new();
//! let nhs = Source::from(builtin("nhs-ethnic-category").unwrap());
//! let f = find_label(&registry, Synonyms::builtin(), nhs, "Mixed W/B Carib").unwrap();
//! assert_eq!(f.matched, Matched::Synonym);
//! assert_eq!(f.meaning.target.code(), "mixed.white-black-caribbean");
//! ```

use super::{Found, Matched, Meaning, Rejection, STANDARD_ID, Source};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::privacy::shown;
use crate::rules::Rule;
use crate::scheme::{Registry, Scheme};
use crate::standard::{Level, Node};
use crate::text::{fold_label, nearest};
use crate::yaml;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

/// What a synonym stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Target {
    /// A code of a scheme: the synonym takes that code's meaning.
    Code {
        /// The scheme id.
        scheme: String,
        /// The code (the label, for label-keyed schemes).
        code: String,
    },
    /// A node of the standard: the synonym is equivalent to it.
    Node {
        /// The node.
        node: Node,
    },
}

/// One curated synonym.
#[derive(Debug, Clone, Serialize)]
pub struct Synonym {
    /// The text as found in legacy data.
    pub label: String,
    /// What it stands for.
    #[serde(flatten)]
    pub target: Target,
    /// Where it was seen or why it means this.
    pub source: String,
}

impl Synonym {
    /// The scheme a synonym naming a scheme's code belongs to; `None` for a node of the standard.
    /// A synonym is only used for values of its own scheme (or of the standard, for a node): it
    /// never gives a value the meaning of another scheme's code.
    pub fn scheme(&self) -> Option<&str> {
        match &self.target {
            Target::Code { scheme, .. } => Some(scheme),
            Target::Node { .. } => None,
        }
    }
}

/// The curated synonym list: folded label to its synonyms (at most one per scheme, and one
/// naming a node of the standard).
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    entries: Vec<Synonym>,
    by_label: HashMap<String, Vec<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[allow(dead_code)]
    version: String,
    synonyms: Vec<RawSynonym>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonym {
    label: Spanned<String>,
    #[serde(default)]
    scheme: Option<Spanned<String>>,
    #[serde(default)]
    code: Option<Spanned<String>>,
    #[serde(default)]
    node: Option<Spanned<String>>,
    source: String,
}

static SYNONYMS_SCHEMA: yaml::Schema = yaml::Schema::new("synonyms.schema.json", || {
    yaml::compile(include_str!("../../schema/synonyms.schema.json"))
});

/// The shipped synonym list, as YAML.
pub const BUILTIN_YAML: &str = include_str!("../../schema/synonyms.yaml");

fn at<T>(file: &str, s: &Spanned<T>) -> Location {
    Location::file(file).at(s.referenced.line(), s.referenced.column())
}

fn invalid(loc: Location, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid(msg.into()), loc)
}

impl Synonyms {
    /// The shipped list (`schema/synonyms.yaml`), checked by the test suite.
    pub fn builtin() -> &'static Synonyms {
        static BUILTIN: OnceLock<Synonyms> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Synonyms::from_yaml(BUILTIN_YAML, "schema/synonyms.yaml", &Registry::new())
                .unwrap_or_else(|e| panic!("built-in synonym list is broken: {e}"))
        })
    }

    /// Loads a synonym file: YAML with budgets, its JSON Schema, and the standard (every node and
    /// every scheme code exists in `registry`, no label twice once folded).
    pub fn from_yaml(text: &str, file: &str, registry: &Registry) -> Result<Synonyms> {
        let raw: RawFile = yaml::parse(text, file)?;
        yaml::check_schema(text, file, &SYNONYMS_SCHEMA, |p| {
            let i: usize = p
                .strip_prefix("/synonyms/")?
                .split('/')
                .next()?
                .parse()
                .ok()?;
            let s = &raw.synonyms.get(i)?.label.referenced;
            Some((s.line(), s.column()))
        })?;
        let mut out = Synonyms::default();
        for s in raw.synonyms {
            let loc = at(file, &s.label);
            let target = match (s.scheme, s.code, s.node) {
                (Some(scheme), Some(code), None) => {
                    let Some(sch) = registry.get(&scheme.value) else {
                        return Err(invalid(
                            at(file, &scheme),
                            format!("`{}` is not a scheme id", scheme.value),
                        ));
                    };
                    let Some(c) = sch.get(&code.value) else {
                        return Err(invalid(
                            at(file, &code),
                            format!("`{}` is not a code of {}", code.value, sch.id),
                        ));
                    };
                    Target::Code {
                        scheme: sch.id.clone(),
                        code: c.key().to_owned(),
                    }
                }
                (None, None, Some(node)) => {
                    let Some(n) = Node::from_code(node.value.trim()) else {
                        return Err(invalid(
                            at(file, &node),
                            format!("`{}` is not a node of the standard", node.value),
                        ));
                    };
                    Target::Node { node: n }
                }
                _ => {
                    return Err(invalid(
                        loc,
                        "a synonym names either `scheme` and `code`, or `node`",
                    ));
                }
            };
            out.push(
                Synonym {
                    label: s.label.value,
                    target,
                    source: s.source,
                },
                loc,
            )?;
        }
        Ok(out)
    }

    fn push(&mut self, s: Synonym, loc: Location) -> Result<()> {
        let key = fold_label(&s.label);
        if key.is_empty() {
            return Err(invalid(loc, "a synonym's label is empty"));
        }
        let same = self.by_label.entry(key).or_default();
        if let Some(&prev) = same
            .iter()
            .find(|&&i| self.entries[i].scheme() == s.scheme())
        {
            return Err(invalid(
                loc,
                format!(
                    "synonym `{}` is the same label as `{}` once case, spaces and dashes are ignored{}",
                    s.label,
                    self.entries[prev].label,
                    s.scheme()
                        .map_or_else(String::new, |id| format!(", for the same scheme {id}"))
                ),
            ));
        }
        same.push(self.entries.len());
        self.entries.push(s);
        Ok(())
    }

    /// Adds the synonyms of `other` (a council's own list) to these; a label already present is
    /// an error.
    pub fn extend(&mut self, other: Synonyms, file: &str) -> Result<()> {
        for s in other.entries {
            self.push(s, Location::file(file))?;
        }
        Ok(())
    }

    /// Every synonym, in the file's order.
    pub fn entries(&self) -> &[Synonym] {
        &self.entries
    }

    /// The synonym for `raw` (folded) in a value of `scheme` (`None`: the standard): the one
    /// naming a code of that scheme (or of the scheme it extends), else the one naming a node.
    pub fn get(&self, raw: &str, scheme: Option<&Scheme>) -> Option<&Synonym> {
        let found = self.by_label.get(&fold_label(raw))?;
        let own = |id: &str| scheme.is_some_and(|s| s.id == id || s.extends.as_deref() == Some(id));
        let pick = |want: &dyn Fn(Option<&str>) -> bool| {
            found
                .iter()
                .map(|&i| &self.entries[i])
                .find(|e| want(e.scheme()))
        };
        pick(&|sc| sc.is_some_and(own)).or_else(|| pick(&|sc| sc.is_none()))
    }
}

/// Standard labels, folded, to their nodes: groups, categories (label and ONS label) and
/// residuals first; a detailed label only where no coarser node has it.
static STANDARD_LABELS: LazyLock<HashMap<String, Vec<Node>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<Node>> = HashMap::new();
    for n in Node::all().filter(|n| n.level() != Level::Detailed) {
        let mut keys = vec![fold_label(n.label())];
        if let Node::Category(c) = n {
            keys.push(fold_label(c.ons_label()));
        }
        for k in keys {
            let v = map.entry(k).or_default();
            if !v.contains(&n) {
                v.push(n);
            }
        }
    }
    let coarse: Vec<String> = map.keys().cloned().collect();
    for n in Node::all().filter(|n| n.level() == Level::Detailed) {
        let k = fold_label(n.label());
        if !coarse.contains(&k) {
            map.entry(k).or_default().push(n);
        }
    }
    map
});

fn find_standard_label(raw: &str) -> Option<std::result::Result<Found<'static>, Rejection>> {
    let nodes = STANDARD_LABELS.get(&fold_label(raw))?;
    Some(match nodes[..] {
        [n] => Ok(Found {
            meaning: Meaning::of_node(n),
            scheme: STANDARD_ID,
            code: n.code(),
            matched: if n.label() == raw {
                Matched::Exact
            } else {
                Matched::Normalised
            },
            observed: false,
        }),
        _ => Err(Rejection::new(
            Rule::AmbiguousLabel,
            format!(
                "{} is the label of {} nodes of the standard in different places; add a synonym saying which is meant",
                shown(raw),
                nodes.len()
            ),
        )
        .with_nearest(nodes.iter().map(|n| n.code()))),
    })
}

fn find_synonym<'a>(
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    source: Source<'a>,
    raw: &str,
) -> Option<Found<'a>> {
    let scheme = match source {
        Source::Scheme(s) => Some(s),
        Source::Standard => None,
    };
    let s = synonyms.get(raw, scheme)?;
    match &s.target {
        Target::Node { node } => Some(Found {
            meaning: Meaning::of_node(*node),
            scheme: STANDARD_ID,
            code: node.code(),
            matched: Matched::Synonym,
            observed: false,
        }),
        Target::Code { scheme, code } => {
            let sch: &Scheme = registry.get(scheme)?;
            let c = sch.get(code)?;
            Some(Found {
                meaning: Meaning::of_mapping(&c.map),
                scheme: &sch.id,
                code: c.key(),
                matched: Matched::Synonym,
                observed: sch.observed,
            })
        }
    }
}

/// Detailed nodes of the standard by folded label (Somali: the African and the Caribbean
/// background sections' write-ins): what an unmatched value means, where the standard knows.
static DETAILED_LABELS: LazyLock<HashMap<String, Vec<Node>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<Node>> = HashMap::new();
    for n in Node::all().filter(|n| n.level() == Level::Detailed) {
        map.entry(fold_label(n.label())).or_default().push(n);
    }
    map
});

/// How many labels a rejection suggests.
const SUGGESTIONS: usize = 3;

/// The labels to suggest for an unmatched `raw`, distinct in what they would give: first, where
/// `raw` is a detailed category of the standard (Somali, Polish), the source's label that holds
/// it most finely, for each place the standard has it; then the labels nearest in spelling
/// (the source's own, its published labels, and the synonyms that apply to it).
fn suggest<'a>(synonyms: &'a Synonyms, source: Source<'a>, raw: &str) -> Vec<String> {
    // (label, what it gives): a code's key, or a node's code.
    let mut labels: Vec<(&'a str, &'a str)> = Vec::new();
    let scheme = match source {
        Source::Scheme(s) => {
            labels.extend(s.codes().iter().map(|c| (c.label.as_str(), c.key())));
            labels.extend(s.published.iter().map(|p| {
                (
                    p.label.as_str(),
                    p.code.as_deref().unwrap_or(p.label.as_str()),
                )
            }));
            Some(s)
        }
        Source::Standard => {
            labels.extend(Node::all().map(|n| (n.label(), n.code())));
            None
        }
    };
    // A synonym naming a node gives what a code equivalent to that node gives.
    let node_key = |n: Node| -> &'a str {
        scheme
            .and_then(|s| {
                s.codes().iter().find(|c| {
                    c.map.target == n
                        && c.map.relationship == crate::scheme::Relationship::Equivalent
                })
            })
            .map_or(n.code(), |c| c.key())
    };
    for e in &synonyms.entries {
        if synonyms
            .get(&e.label, scheme)
            .is_some_and(|g| std::ptr::eq(g, e))
        {
            labels.push(match &e.target {
                Target::Node { node } => (e.label.as_str(), node_key(*node)),
                Target::Code { code, .. } => (e.label.as_str(), code.as_str()),
            });
        }
    }
    let mut out: Vec<(&str, &str)> = Vec::new();
    // Distinct in what they give and in how they read.
    let add = |l: &'a str, k: &'a str, out: &mut Vec<(&'a str, &'a str)>| {
        if out.len() < SUGGESTIONS
            && !out
                .iter()
                .any(|(x, y)| *y == k || fold_label(x) == fold_label(l))
        {
            out.push((l, k));
        }
    };
    for &n in DETAILED_LABELS.get(&fold_label(raw)).into_iter().flatten() {
        let finest = match scheme {
            Some(s) => s
                .codes()
                .iter()
                .filter(|c| c.map.target.contains(n))
                .max_by_key(|c| (c.map.target.level(), c.parent.is_none()))
                .map(|c| (c.label.as_str(), c.key())),
            None => Some((n.label(), n.code())),
        };
        if let Some((l, k)) = finest {
            add(l, k, &mut out);
        }
    }
    for l in nearest(raw, labels.iter().map(|(l, _)| *l), labels.len()) {
        if let Some(&(l, k)) = labels.iter().find(|(x, _)| *x == l) {
            add(l, k, &mut out);
        }
    }
    out.into_iter().map(|(l, _)| l.to_owned()).collect()
}

/// Finds a free-text label: the source's labels first, then `synonyms` (whose scheme targets are
/// looked up in `registry`). An unmatched label is rejected with the nearest labels.
pub fn find_label<'a>(
    registry: &'a Registry,
    synonyms: &'a Synonyms,
    source: Source<'a>,
    raw: &str,
) -> std::result::Result<Found<'a>, Rejection> {
    if raw.trim().is_empty() {
        return Err(Rejection::new(
            Rule::EmptyValue,
            "the cell is empty: not a label, and not 'not known' unless the return's rules say so",
        ));
    }
    let ambiguous = match source {
        Source::Scheme(s) => {
            if let Some(m) = s.lookup_label(raw) {
                return Ok(Found {
                    meaning: Meaning::of_mapping(m.mapping),
                    scheme: &s.id,
                    code: m.key,
                    matched: if m.published.is_some() {
                        Matched::Published
                    } else {
                        m.kind.into()
                    },
                    observed: s.observed,
                });
            }
            None
        }
        Source::Standard => match find_standard_label(raw) {
            Some(Ok(f)) => return Ok(f),
            Some(Err(r)) => Some(r),
            None => None,
        },
    };
    if let Some(f) = find_synonym(registry, synonyms, source, raw) {
        return Ok(f);
    }
    if let Some(r) = ambiguous {
        return Err(r);
    }
    let near = suggest(synonyms, source, raw);
    Err(Rejection::new(
        Rule::UnknownLabel,
        format!(
            "{} matches no label of {} and no synonym",
            shown(raw),
            source.id()
        ),
    )
    .with_nearest(near))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::builtin_scheme as builtin;

    fn find(scheme: &str, raw: &str) -> std::result::Result<Found<'static>, Rejection> {
        static REG: LazyLock<Registry> = LazyLock::new(Registry::new);
        let source = if scheme == STANDARD_ID {
            Source::Standard
        } else {
            Source::Scheme(builtin(scheme).unwrap())
        };
        find_label(&REG, Synonyms::builtin(), source, raw)
    }

    #[test]
    fn scheme_labels_come_first() {
        let f = find("dfe-cbds", "Any other white background ").unwrap();
        assert_eq!((f.code, f.matched), ("WOTH", Matched::Normalised));
        let f = find("dfe-cbds", "Pakistani").unwrap();
        assert_eq!((f.code, f.matched), ("APKN", Matched::Exact));
    }

    #[test]
    fn a_synonym_never_switches_scheme() {
        // DfE text takes DfE's meaning (the published label), not NHS C's wider 2001 one.
        let f = find("dfe-cbds", "White - Any other White background").unwrap();
        assert_eq!(
            (f.scheme, f.code, f.matched),
            ("dfe-cbds", "WOTH", Matched::Published)
        );
        // A synonym naming an NHS code is not used for another scheme's values.
        let f = find("ons-2001-ew", "Other White").unwrap();
        assert_eq!(f.scheme, "ons-2001-ew");
        assert!(find(STANDARD_ID, "Any other mixed background").is_err());
        for s in Synonyms::builtin().entries() {
            for id in crate::scheme::BUILTIN_IDS {
                if let Ok(f) = find(id, &s.label) {
                    assert!(
                        f.scheme == id || f.scheme == STANDARD_ID,
                        "{id} {}: {}",
                        s.label,
                        f.scheme
                    );
                }
            }
        }
    }

    #[test]
    fn synonyms_carry_their_target_meaning() {
        let f = find("nhs-ethnic-category", "Any other white background ").unwrap();
        assert_eq!((f.scheme, f.code), ("nhs-ethnic-category", "C"));
        assert_eq!(f.matched, Matched::Synonym);
        let f = find("nhs-ethnic-category", "Pakistani").unwrap();
        assert_eq!(f.meaning.target.code(), "asian.pakistani");
    }

    #[test]
    fn standard_labels_prefer_categories() {
        let f = find(STANDARD_ID, "chinese").unwrap();
        assert_eq!((f.code, f.matched), ("asian.chinese", Matched::Normalised));
        let r = find(STANDARD_ID, "Kashmiri").unwrap_err();
        assert_eq!(r.rule, Rule::AmbiguousLabel);
        assert_eq!(r.nearest, ["asian/kashmiri", "other/kashmiri"]);
    }

    #[test]
    fn unmatched_labels_are_rejected_with_the_nearest() {
        let r = find("nhs-ethnic-category", "Pakistan").unwrap_err();
        assert_eq!(r.rule, Rule::UnknownLabel);
        // The synonym "Pakistani" gives what NHS J gives: J's own label is suggested, once.
        assert_eq!(r.nearest, ["Asian or Asian British - Pakistani"]);
    }

    #[test]
    fn suggestions_are_distinct_and_ranked_by_meaning() {
        // Somali and Polish are detailed categories of the standard: the source's label holding
        // each most finely comes first (before "Roma" and "Irish", near in spelling only).
        let r = find("dfe-cbds", "Somali").unwrap_err();
        assert_eq!(r.nearest[0], "Black - Somali", "{:?}", r.nearest);
        let r = find("ons-2011-ew", "Polish").unwrap_err();
        assert_eq!(
            r.nearest[0], "Any other White background",
            "{:?}",
            r.nearest
        );
        let r = find("housing-core", "Somali").unwrap_err();
        assert_eq!(r.nearest[0], "African", "{:?}", r.nearest);
        // Kashmiri is two things in DfE: both are offered.
        let r = find("dfe-cbds", "Kashmiri").unwrap_err();
        assert!(
            r.nearest.iter().any(|n| n == "Kashmiri other"),
            "{:?}",
            r.nearest
        );
        assert!(
            r.nearest.iter().any(|n| n == "Kashmiri Pakistani"),
            "{:?}",
            r.nearest
        );
        // Never the same label twice, nor two labels giving the same code.
        for (scheme, raw) in [("housing-core", "Polish"), ("dfe-cbds", "Black Carribean")] {
            let r = find(scheme, raw).unwrap_err();
            let mut seen: Vec<String> = r.nearest.iter().map(|n| fold_label(n)).collect();
            seen.sort();
            seen.dedup();
            assert_eq!(
                seen.len(),
                r.nearest.len(),
                "{scheme} {raw}: {:?}",
                r.nearest
            );
        }
    }
}
