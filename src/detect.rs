//! Which scheme is a column in? Ranks every loaded scheme (built-in and local), by its codes and
//! by its labels, by the share of the column's values each explains; names the values the best
//! one does not explain, the categories it can express that the column never uses, and whether
//! the column mixes schemes.
//!
//! ```
//! use wm_ethnicity::{By, ColumnValues, Registry, detect};
//!
//! let mut values = ColumnValues::default();
//! for (line, v) in ["WBRI", "APKN", "WIRT", "APKN", "MWBC", "QQ"].into_iter().enumerate() {
//!     values.add(v, line as u64 + 2, line as u64 + 1);
//! }
//! let registry = Registry::new();
//! let d = detect(&registry, &values);
//! let best = &d.candidates[0];
//! assert_eq!((best.scheme.as_str(), best.by, best.explained), ("dfe-cbds", By::Code, 5));
//! assert_eq!(d.unexplained[0].value.as_deref(), Some("QQ"));
//! ```

use crate::io::{Field, Table};
use crate::privacy::may_show;
use crate::resolve::row::column_index;
use crate::scheme::{Registry, Scheme};
use crate::spec::{By, Role};
use crate::standard::{Category, Node};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The most distinct values a column's tally keeps; values first seen after that are counted as
/// not examined (memory stays bounded whatever the file holds).
pub const MAX_DISTINCT_VALUES: usize = 100_000;

/// How many unexplained values a detection lists.
const LISTED_VALUES: usize = 20;

/// The share of values above which one scheme explains a column (below it, and with a second
/// scheme explaining enough of the rest, the column is mixed).
const ONE_SCHEME_SHARE: f64 = 0.95;

/// The share of all values a second scheme must explain, among those the first does not, for
/// the column to count as mixed.
const SECOND_SCHEME_SHARE: f64 = 0.05;

/// A column's distinct values with how often each occurs and where it is first.
#[derive(Debug, Default, Clone)]
pub struct ColumnValues {
    counts: HashMap<Box<str>, Tally>,
    /// Records read.
    pub records: u64,
    /// Records whose cell is empty (or only spaces).
    pub empty: u64,
    /// Records whose cell could not be read as text (bytes not valid in the encoding).
    pub unreadable: u64,
    /// Non-empty values not examined: first seen after [`MAX_DISTINCT_VALUES`] distinct ones.
    pub not_examined: u64,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    count: u64,
    line: u64,
    record: u64,
}

impl ColumnValues {
    /// Adds one record's value, read on `line` as record number `record`.
    pub fn add(&mut self, value: &str, line: u64, record: u64) {
        self.records += 1;
        let v = value.trim();
        if v.is_empty() {
            self.empty += 1;
            return;
        }
        if let Some(t) = self.counts.get_mut(v) {
            t.count += 1;
        } else if self.counts.len() < MAX_DISTINCT_VALUES {
            self.counts.insert(
                v.into(),
                Tally {
                    count: 1,
                    line,
                    record,
                },
            );
        } else {
            self.not_examined += 1;
        }
    }

    /// Reads column `column` of `table`.
    pub fn read(table: Table<'_>, column: &str) -> crate::error::Result<ColumnValues> {
        let i = column_index(table.header(), column, table.name())?;
        let mut values = ColumnValues::default();
        table.try_for_each(|rec| {
            match rec.get(i) {
                Some(Field::Text(s)) => values.add(s, rec.line(), rec.number()),
                Some(Field::Invalid(_)) => {
                    values.records += 1;
                    values.unreadable += 1;
                }
                None => values.add("", rec.line(), rec.number()),
            }
            Ok::<(), crate::error::Error>(())
        })?;
        Ok(values)
    }

    /// Non-empty values examined.
    pub fn values(&self) -> u64 {
        self.counts.values().map(|t| t.count).sum()
    }
}

/// One way a column could have been produced: a scheme, matched by codes or by labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The scheme id (`standard` for the standard's own codes).
    pub scheme: String,
    /// The scheme's name.
    pub name: String,
    /// Codes or labels.
    pub by: By,
    /// Values (records) it explains.
    pub explained: u64,
    /// `explained` as a share of the values examined.
    pub share: f64,
    /// Of those, values found exactly as listed (not after trimming, case folding or a local
    /// second character).
    pub exact: u64,
    /// Distinct values it explains.
    pub distinct: u64,
    /// Of the scheme's codes, how many the column uses.
    pub codes_used: u64,
    /// The scheme's codes.
    pub codes: u64,
}

/// A value of the column, how often it occurs and where it is first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueCount {
    /// The value; `None` when it may not be shown (see [`crate::may_show`]).
    pub value: Option<String>,
    /// Records holding it.
    pub count: u64,
    /// The line of its first record.
    pub first_line: u64,
    /// Its first record's number.
    pub first_record: u64,
}

/// A category of the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryRef {
    /// Its code (`asian.pakistani`).
    pub code: &'static str,
    /// Its label.
    pub label: &'static str,
}

/// What detection concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// One scheme explains the column (or all of it that any scheme explains).
    One,
    /// Two or more schemes explain it equally well: the column cannot tell them apart.
    Tie,
    /// The column mixes schemes: the best explains less than 95% and a second explains a
    /// substantial share of the rest.
    Mixed,
    /// No scheme explains any value.
    None,
}

/// A detection: the candidates ranked, and what the best leaves out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Records read.
    pub records: u64,
    /// Non-empty values examined.
    pub values: u64,
    /// Distinct values examined.
    pub distinct: u64,
    /// Empty cells.
    pub empty: u64,
    /// Cells not readable as text.
    pub unreadable: u64,
    /// Values not examined (past [`MAX_DISTINCT_VALUES`] distinct ones).
    pub not_examined: u64,
    /// The conclusion.
    pub verdict: Verdict,
    /// Every scheme and way of matching that explains at least one value, best first: most
    /// values explained, then most found exactly, then the larger share of the scheme's codes
    /// used.
    pub candidates: Vec<Candidate>,
    /// For a mixed column: the candidate that best explains the values the first does not,
    /// with how many of them it explains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<(Candidate, u64)>,
    /// The values the best candidate does not explain, most frequent first (at most 20).
    pub unexplained: Vec<ValueCount>,
    /// Distinct values the best candidate does not explain (all of them, not only those listed).
    pub unexplained_distinct: u64,
    /// The categories of the standard the best candidate can express that the column never
    /// uses.
    pub unused_categories: Vec<CategoryRef>,
}

/// A source a column may be in: a scheme, or the standard's own codes.
#[derive(Clone, Copy)]
enum Kind<'r> {
    Scheme(&'r Scheme),
    Standard,
}

impl<'r> Kind<'r> {
    /// The value's node, whether it was found exactly, and the code it was found as, when this
    /// source explains it.
    fn explain(self, by: By, raw: &str) -> Option<(Node, bool, &'r str)> {
        match self {
            Kind::Standard => {
                let (node, exact) = match Node::from_code(raw) {
                    Some(n) => (n, true),
                    None => (Node::from_code(&raw.to_lowercase())?, false),
                };
                Some((node, exact, node.code()))
            }
            Kind::Scheme(s) => {
                let exact = |k| k == crate::scheme::MatchKind::Exact;
                match by {
                    By::Code => s
                        .lookup(raw)
                        .map(|m| (m.code.map.target, exact(m.kind), m.code.key())),
                    // A code's label or a published label: both are the scheme's.
                    By::Label => s
                        .lookup_label(raw)
                        .map(|m| (m.mapping.target, exact(m.kind), m.key)),
                }
            }
        }
    }

    fn codes(self) -> usize {
        match self {
            Kind::Scheme(s) => s.codes().len(),
            Kind::Standard => Node::all().count(),
        }
    }
}

/// What one candidate explains.
struct Scored<'r> {
    kind: Kind<'r>,
    by: By,
    explained: u64,
    exact: u64,
    distinct: u64,
    /// The codes the column uses.
    used: HashSet<&'r str>,
    /// By distinct value (in the tally's order): explained or not.
    hits: Vec<bool>,
    categories: [bool; Category::ALL.len()],
}

fn score<'r>(kind: Kind<'r>, by: By, values: &[(&str, Tally)]) -> Scored<'r> {
    let mut s = Scored {
        kind,
        by,
        explained: 0,
        exact: 0,
        distinct: 0,
        used: HashSet::new(),
        hits: Vec::with_capacity(values.len()),
        categories: [false; Category::ALL.len()],
    };
    for (raw, t) in values {
        let hit = kind.explain(by, raw);
        if let Some((node, exact, code)) = hit {
            s.explained += t.count;
            s.distinct += 1;
            if exact {
                s.exact += t.count;
            }
            s.used.insert(code);
            if let Some(c) = node.category() {
                s.categories[c as usize] = true;
            }
        }
        s.hits.push(hit.is_some());
    }
    s
}

impl Scored<'_> {
    fn codes_used(&self) -> u64 {
        self.used.len() as u64
    }

    /// The ranking key: explained, exact, then the share of the scheme's codes used.
    fn better_than(&self, other: &Scored<'_>) -> std::cmp::Ordering {
        let share = |s: &Scored<'_>| {
            // Compared as fractions without floating point: used_a * codes_b vs used_b * codes_a.
            (s.codes_used(), s.kind.codes().max(1) as u64)
        };
        let (ua, ca) = share(self);
        let (ub, cb) = share(other);
        (self.explained, self.exact)
            .cmp(&(other.explained, other.exact))
            .then((ua * cb).cmp(&(ub * ca)))
    }

    fn candidate(&self, values: u64) -> Candidate {
        let (scheme, name) = match self.kind {
            Kind::Scheme(s) => (s.id.clone(), s.name.clone()),
            Kind::Standard => (
                "standard".to_owned(),
                "The West Midlands ethnicity standard's own codes".to_owned(),
            ),
        };
        Candidate {
            scheme,
            name,
            by: self.by,
            explained: self.explained,
            #[allow(clippy::cast_precision_loss)]
            share: if values == 0 {
                0.0
            } else {
                self.explained as f64 / values as f64
            },
            exact: self.exact,
            distinct: self.distinct,
            codes_used: self.codes_used(),
            codes: self.kind.codes() as u64,
        }
    }

    /// The categories this source can express.
    fn expressible(&self) -> [bool; Category::ALL.len()] {
        let mut can = [false; Category::ALL.len()];
        let mut mark = |n: Node| {
            if let Some(c) = n.category() {
                can[c as usize] = true;
            }
        };
        match self.kind {
            Kind::Scheme(s) => s.codes().iter().for_each(|c| mark(c.map.target)),
            Kind::Standard => Node::all().for_each(&mut mark),
        }
        can
    }
}

/// Ranks every scheme of `registry` (and the standard's codes), by codes and by labels, against
/// the column's `values`.
pub fn detect(registry: &Registry, values: &ColumnValues) -> Detection {
    let mut distinct: Vec<(&str, Tally)> = values
        .counts
        .iter()
        .map(|(k, t)| (k.as_ref(), *t))
        .collect();
    // Most frequent first, then in file order: the listing and the ranking are deterministic.
    distinct.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.1.record.cmp(&b.1.record)));
    let total = values.values();
    let mut scored: Vec<Scored<'_>> = Vec::new();
    for id in registry.ids() {
        let Some(s) = registry.get(id) else { continue };
        scored.push(score(Kind::Scheme(s), By::Code, &distinct));
        scored.push(score(Kind::Scheme(s), By::Label, &distinct));
    }
    scored.push(score(Kind::Standard, By::Code, &distinct));
    scored.retain(|s| s.explained > 0);
    scored.sort_by(|a, b| b.better_than(a));
    let candidates: Vec<Candidate> = scored.iter().map(|s| s.candidate(total)).collect();
    let best = scored.first();
    let missed = |i: usize| best.is_none_or(|b| !b.hits[i]);
    // The best explanation of what the best leaves out.
    let second = scored
        .iter()
        .skip(1)
        .map(|s| {
            let n: u64 = (0..distinct.len())
                .filter(|&i| missed(i) && s.hits[i])
                .map(|i| distinct[i].1.count)
                .sum();
            (s, n)
        })
        .max_by(|(a, x), (b, y)| x.cmp(y).then(b.better_than(a)))
        .filter(|(_, n)| *n > 0);
    #[allow(clippy::cast_precision_loss)]
    let share = |n: u64| n as f64 / total.max(1) as f64;
    let verdict = match best {
        None => Verdict::None,
        Some(b)
            if share(b.explained) < ONE_SCHEME_SHARE
                && second.is_some_and(|(_, n)| n >= 2 && share(n) >= SECOND_SCHEME_SHARE) =>
        {
            Verdict::Mixed
        }
        Some(b)
            if scored
                .get(1)
                .is_some_and(|s| s.better_than(b) == std::cmp::Ordering::Equal) =>
        {
            Verdict::Tie
        }
        Some(_) => Verdict::One,
    };
    let unused_categories = best.map_or_else(Vec::new, |b| {
        let can = b.expressible();
        Category::ALL
            .into_iter()
            .filter(|c| can[*c as usize] && !b.categories[*c as usize])
            .map(|c| CategoryRef {
                code: Node::Category(c).code(),
                label: Node::Category(c).label(),
            })
            .collect()
    });
    Detection {
        records: values.records,
        values: total,
        distinct: distinct.len() as u64,
        empty: values.empty,
        unreadable: values.unreadable,
        not_examined: values.not_examined,
        verdict,
        second: second
            .filter(|_| verdict == Verdict::Mixed)
            .map(|(s, n)| (s.candidate(total), n)),
        unexplained: (0..distinct.len())
            .filter(|&i| missed(i))
            .take(LISTED_VALUES)
            .map(|i| value_count(distinct[i]))
            .collect(),
        unexplained_distinct: (0..distinct.len()).filter(|&i| missed(i)).count() as u64,
        unused_categories,
        candidates,
    }
}

fn value_count((raw, t): (&str, Tally)) -> ValueCount {
    ValueCount {
        value: may_show(Role::Coded, raw).ok().map(str::to_owned),
        count: t.count,
        first_line: t.line,
        first_record: t.record,
    }
}
