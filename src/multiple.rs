//! Several ethnicities per person, counted three ways, each reconciling to persons.
//!
//! A person gives up to [`MAX_ETHNICITIES`] answers (a cell split on a declared separator), in
//! order. Before counting, repeated answers count once and a residual beside a real answer is
//! dropped (a person who gave only residuals counts under the first of them). Then:
//!
//! - **total response**: the person counts once in every answer left, so the total is at least the
//!   number of persons, and equal to it when every person gave one;
//! - **prioritised**: the person counts once, in the answer ranked first by a [`Priority`] order
//!   (data, not code: `schema/priorities/`); answers the order does not rank come after those it
//!   does; ties keep the person's order;
//! - **sole/combination**: the person counts once, in their one answer or in the combination of
//!   their answers (ranked as above, then by code, so the order given does not matter); a combination held by fewer than the threshold of persons
//!   pools into [`TWO_OR_MORE`].
//!
//! Prioritised and combination outputs each sum to the persons counted, in every table.
//!
//! ```
//! use wm_ethnicity::{Answer, MultipleCounter, Priority};
//!
//! let nz = Priority::builtin("nz-level-1").unwrap();
//! let mut counter = MultipleCounter::new(nz, 1);
//! let person = |codes: &[&'static str]| {
//!     codes.iter().map(|c| Answer::code(c, *c == "9")).collect::<Vec<_>>()
//! };
//! counter.add(&person(&["1", "2"])).unwrap(); // European and Māori: prioritised Māori
//! counter.add(&person(&["4"])).unwrap();
//! let counts = counter.finish();
//! assert_eq!(counts.persons, 2);
//! assert_eq!(counts.prioritised.get("2"), Some(&1));
//! assert_eq!(counts.total_response.values().sum::<u64>(), 3);
//! assert_eq!(counts.combination.get("2+1"), Some(&1));
//! ```

use crate::error::{Error, ErrorKind, Location, Result};
use crate::standard::{Level, Node};
use crate::yaml;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The most answers one person may give (as Stats NZ records up to six).
pub const MAX_ETHNICITIES: usize = 6;

/// The key that combinations below the threshold pool into.
pub const TWO_OR_MORE: &str = "two-or-more";

/// The built-in priority orders: each file's name, then its text.
pub const BUILTIN_PRIORITIES: [(&str, &str); 2] = [
    (
        "wm-smallest-group-first.yaml",
        include_str!("../schema/priorities/wm-smallest-group-first.yaml"),
    ),
    (
        "nz-level-1.yaml",
        include_str!("../schema/priorities/nz-level-1.yaml"),
    ),
];

/// The id of the region's default order.
pub const DEFAULT_PRIORITY: &str = "wm-smallest-group-first";

/// A priority order for prioritised output: codes, highest first, with the residual codes and,
/// for codes that are not the standard's, their labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Where its codes and order come from.
    pub source: String,
    /// Why this order.
    pub justification: String,
    /// The codes, highest priority first.
    pub order: Vec<String>,
    /// The residual codes (not an ethnic group).
    #[serde(default)]
    pub residual: Vec<String>,
    /// Labels of the codes, when they are not the standard's.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Priority {
    /// The built-in order `id`.
    pub fn builtin(id: &str) -> Option<&'static Priority> {
        Priority::all().iter().find(|p| p.id == id)
    }

    /// The built-in orders.
    fn all() -> &'static [Priority] {
        static ALL: OnceLock<Vec<Priority>> = OnceLock::new();
        ALL.get_or_init(|| {
            // Checked by the test suite (tests/suite/multiple.rs).
            BUILTIN_PRIORITIES
                .iter()
                .map(|(file, text)| {
                    Priority::from_yaml(text, file)
                        .unwrap_or_else(|e| panic!("a shipped priority order is broken: {e}"))
                })
                .collect()
        })
    }

    /// The built-in order `name`, else the order in the YAML file `name` (a council's own, in
    /// the format of schema/priorities/).
    pub fn named(name: &str) -> Result<Priority> {
        if let Some(p) = Priority::builtin(name) {
            return Ok(p.clone());
        }
        let path = std::path::Path::new(name);
        if !path.is_file() {
            let ids: Vec<&str> = Priority::all().iter().map(|p| p.id.as_str()).collect();
            return Err(Error::new(
                ErrorKind::Invalid(format!(
                    "neither a built-in order ({}: see schema/priorities/) nor a file",
                    ids.join(", ")
                )),
                Location::file(name),
            ));
        }
        Priority::from_yaml(&crate::scheme::read_text(path)?, name)
    }

    /// Parses an order (YAML under budgets): no code twice, none both ranked and residual.
    pub fn from_yaml(text: &str, file: &str) -> Result<Priority> {
        let p: Priority = yaml::parse(text, file)?;
        let all: Vec<&String> = p.order.iter().chain(&p.residual).collect();
        for (i, c) in all.iter().enumerate() {
            if all[..i].contains(c) {
                return Err(Error::new(
                    ErrorKind::Invalid(format!("code `{c}` is listed twice")),
                    Location::file(file),
                ));
            }
        }
        if p.order.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid("the order ranks no code".to_owned()),
                Location::file(file),
            ));
        }
        Ok(p)
    }

    /// The index in `answers` of the one prioritised output counts a person in: of the answers
    /// left once a residual beside a real answer is dropped, the first ranked highest (ties
    /// keep the person's order); for a person who gave only residuals, the first. `None` for
    /// no answer.
    pub fn prioritised(&self, answers: &[Answer<'_>]) -> Option<usize> {
        if !answers.iter().any(|a| !a.residual) {
            return (!answers.is_empty()).then_some(0);
        }
        answers
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.residual)
            .min_by_key(|&(i, a)| (self.rank(a), i))
            .map(|(i, _)| i)
    }

    /// The rank of an answer: the position of the first of its lineage (itself, then what holds
    /// it) in the order; answers the order does not rank come after every ranked one.
    fn rank(&self, a: &Answer<'_>) -> usize {
        a.lineage
            .iter()
            .filter_map(|c| self.order.iter().position(|o| o == c))
            .min()
            .unwrap_or(self.order.len())
    }
}

/// One answer of a person: its code, the codes that hold it (a category's group), and whether it
/// is a residual value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The code, then the codes holding it, narrowest first.
    pub lineage: Vec<&'a str>,
    /// True for a residual value (declined, not known, ...).
    pub residual: bool,
}

impl Answer<'static> {
    /// A node of the standard as an answer at `level`: its code rolled up to `level` (never
    /// finer than known), then the codes holding it.
    pub fn of(node: Node, level: Level) -> Answer<'static> {
        let n = node.roll_up(level);
        let mut lineage = vec![n.code()];
        for up in [n.category().map(Node::Category), n.group().map(Node::Group)]
            .into_iter()
            .flatten()
        {
            if !lineage.contains(&up.code()) {
                lineage.push(up.code());
            }
        }
        Answer {
            lineage,
            residual: n.is_residual(),
        }
    }
}

impl<'a> Answer<'a> {
    /// An answer with no broader codes.
    pub fn code(code: &'a str, residual: bool) -> Answer<'a> {
        Answer {
            lineage: vec![code],
            residual,
        }
    }

    fn key(&self) -> &'a str {
        self.lineage.first().copied().unwrap_or("")
    }
}

/// The three outputs, each a count per code (or combination of codes joined by `+`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MultipleCounts {
    /// Persons counted.
    pub persons: u64,
    /// Persons whose answers were reduced: a repeated answer, or a residual beside a real one.
    pub reduced: u64,
    /// Total response: every person once in each answer (sums to at least `persons`).
    pub total_response: BTreeMap<String, u64>,
    /// Prioritised: every person once (sums to `persons`).
    pub prioritised: BTreeMap<String, u64>,
    /// Sole/combination: every person once (sums to `persons`); small combinations pooled into
    /// [`TWO_OR_MORE`].
    pub combination: BTreeMap<String, u64>,
}

/// Counts persons into [`MultipleCounts`] under a priority order and a combination threshold.
#[derive(Debug, Clone)]
pub struct MultipleCounter<'p> {
    priority: &'p Priority,
    threshold: u64,
    counts: MultipleCounts,
}

impl<'p> MultipleCounter<'p> {
    /// A counter: combinations held by fewer than `threshold` persons pool into
    /// [`TWO_OR_MORE`].
    pub fn new(priority: &'p Priority, threshold: u64) -> Self {
        MultipleCounter {
            priority,
            threshold,
            counts: MultipleCounts::default(),
        }
    }

    /// The answers counted for a person (see the [module docs](self)), and whether any were
    /// dropped.
    pub fn reduce<'a>(answers: &[Answer<'a>]) -> (Vec<Answer<'a>>, bool) {
        let mut kept: Vec<Answer<'a>> = Vec::new();
        for a in answers {
            if !kept.iter().any(|k| k.key() == a.key()) {
                kept.push(a.clone());
            }
        }
        let real = kept.iter().any(|a| !a.residual);
        if real {
            kept.retain(|a| !a.residual);
        } else {
            kept.truncate(1);
        }
        let reduced = kept.len() != answers.len();
        (kept, reduced)
    }

    /// Counts one person. Fails (counting nothing) for no answer or more than
    /// [`MAX_ETHNICITIES`].
    pub fn add(&mut self, answers: &[Answer<'_>]) -> std::result::Result<(), String> {
        if answers.is_empty() || answers.len() > MAX_ETHNICITIES {
            return Err(format!(
                "{} ethnicities given: a person gives 1 to {MAX_ETHNICITIES}",
                answers.len()
            ));
        }
        let (kept, reduced) = MultipleCounter::reduce(answers);
        let c = &mut self.counts;
        c.persons += 1;
        c.reduced += u64::from(reduced);
        for a in &kept {
            *c.total_response.entry(a.key().to_owned()).or_default() += 1;
        }
        let first = self.priority.prioritised(&kept).unwrap_or(0);
        *c.prioritised
            .entry(kept[first].key().to_owned())
            .or_default() += 1;
        // A combination is the same whatever order it was given in: ranked, then by code.
        let mut keys: Vec<(usize, &str)> = kept
            .iter()
            .map(|a| (self.priority.rank(a), a.key()))
            .collect();
        keys.sort_unstable();
        let combination = keys.iter().map(|(_, k)| *k).collect::<Vec<_>>().join("+");
        *c.combination.entry(combination).or_default() += 1;
        Ok(())
    }

    /// The counts, combinations below the threshold pooled.
    pub fn finish(mut self) -> MultipleCounts {
        let mut pooled = 0;
        self.counts.combination.retain(|k, n| {
            let keep = !k.contains('+') || *n >= self.threshold;
            if !keep {
                pooled += *n;
            }
            keep
        });
        if pooled > 0 {
            *self
                .counts
                .combination
                .entry(TWO_OR_MORE.to_owned())
                .or_default() += pooled;
        }
        self.counts
    }
}
