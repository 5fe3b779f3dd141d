//! Aggregate tables: counts by code or label in any scheme, re-counted per node of the standard at
//! a chosen level, totals preserved exactly.
//!
//! A count is placed at its converted node rolled up to the level asked ([`Node::roll_up`]). A
//! count whose node is coarser than that level (a broader code kept at its group under the strict
//! policy, a category when detailed is asked) stays at the level it has and is reported as
//! [`Placement::Coarser`]: a roll-up never invents granularity. Residual values (declined, not
//! obtained, not known) are kept apart as [`Placement::Residual`].
//!
//! ```
//! use wm_ethnicity::Aggregator;
//! use wm_ethnicity::{convert_code, Policy};
//! use wm_ethnicity::Source;
//! use wm_ethnicity::builtin_scheme as builtin;
//! use wm_ethnicity::Level;
//!
//! let nhs = Source::from(builtin("nhs-ethnic-category").unwrap());
//! let mut agg = Aggregator::new(Level::Category).unwrap();
//! for (code, n) in [("J", 40), ("C", 7), ("Z", 3)] {
//!     agg.add(&convert_code(nhs, code, Policy::Strict).unwrap(), n).unwrap();
//! }
//! let table = agg.finish();
//! assert_eq!((table.input_total, table.output_total), (50, 50));
//! assert_eq!(table.coarser_total, 7); // NHS C stays at the group White
//! assert_eq!(table.count("asian.pakistani"), Some(40));
//! ```

use crate::characteristic::Value as CharacteristicValue;
use crate::characteristic::{Characteristic, CharacteristicColumn};
use crate::convert::{
    Converted, Converter, Memo, Plan, Policy, RejectSink, StreamError, check_record, send_reject,
};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::multiple::{Answer, MultipleCounter, MultipleCounts, Priority};
use crate::privacy::shown;
use crate::resolve::labels::Synonyms;
use crate::resolve::row::{RecordRejection, column_index};
use crate::resolve::{By, Rejection};
use crate::rules::Rule;
use crate::scheme::{FxHasher, Registry};
use crate::spec::{Answers, SchemeFrom};
use crate::standard::{Level, Node, STANDARD_VERSION};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Where a count ended up relative to the level asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// At the level asked.
    AsAsked,
    /// At a coarser level: the source does not say more.
    Coarser,
    /// A residual value: not an ethnic group.
    Residual,
    /// Merged up from finer strata that held fewer than a threshold ([`CountTable::merged_up`]):
    /// the count sits at a coarser node than asked so that it can be published.
    Merged,
}

impl Placement {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Placement::AsAsked => "as-asked",
            Placement::Coarser => "coarser",
            Placement::Residual => "residual",
            Placement::Merged => "merged",
        }
    }
}

/// One row of an aggregate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    /// The row's combination of dimensions (`--group-by` columns): each column's header and
    /// value, in the order asked; empty without dimensions. JSON gives it as an object.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_object")]
    pub by: Vec<(String, String)>,
    /// The standard node.
    pub code: Node,
    /// Its label.
    pub label: &'static str,
    /// Its level.
    pub level: Level,
    /// The count placed there.
    pub count: u64,
    /// Whether it is at the level asked.
    pub placement: Placement,
    /// The sum of the record keys of the records counted here, when the aggregate was made
    /// with record keys ([`Aggregator::with_record_keys`]): what cell-key perturbation needs.
    /// Never written out: a cell key and the ptable give the perturbation away.
    #[serde(skip)]
    pub record_keys: Option<u64>,
}

/// A cell of a table: its combination of dimensions and its node.
pub(crate) type CellKey = (Vec<(String, String)>, Node);

/// Serialises a row's combination of dimensions as a JSON object, header to value, in order.
pub(crate) fn as_object<S: serde::Serializer>(
    by: &[(String, String)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(by.len()))?;
    for (k, v) in by {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// A finished aggregate table. `input_total == output_total + rejected_total` always, and for
/// every combination of dimensions the rows of that combination add up to the counts read for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountTable {
    /// The level asked.
    pub to: Level,
    /// The dimensions (`--group-by` columns), in the order asked; empty for one table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<String>,
    /// The rows, combination by combination (in the order of their values): every node at the
    /// level asked (for groups and categories, zeros included, so tables from different councils
    /// line up; for detailed, the non-zero ones), then the counts placed coarser (coarsest
    /// first), then the residual values.
    pub rows: Vec<CountRow>,
    /// Rows read from the input.
    pub input_rows: u64,
    /// Rows that could not be placed at all (unknown code, bad count).
    pub rejected_rows: u64,
    /// Sum of every count read (rejected rows with a readable count included).
    pub input_total: u64,
    /// Sum of the table's counts.
    pub output_total: u64,
    /// Sum of the counts of rejected rows.
    pub rejected_total: u64,
    /// Sum of the counts placed coarser than asked.
    pub coarser_total: u64,
    /// Sum of the residual counts.
    pub residual_total: u64,
    /// Sum of the counts placed by a documented most-likely choice (`--policy most-likely`).
    pub most_likely_total: u64,
    /// Sum of the counts from officer-observed codes (police IC): not self-defined ethnicity.
    pub observed_total: u64,
    /// The standard's version.
    pub standard_version: &'static str,
}

impl CountTable {
    /// The count at the node with code `code`, if the table has a row for it.
    pub fn count(&self, code: &str) -> Option<u64> {
        self.rows
            .iter()
            .find(|r| r.code.code() == code)
            .map(|r| r.count)
    }

    /// This table summed over dimension `dim`: one combination fewer, each row the sum of the
    /// rows that differ only in `dim`, taking only those whose value of `dim` is in `values`
    /// (every value when `None`). Totals about the source (rows read and rejected, most-likely
    /// and observed counts) stay the source's; `input_total` is `output_total + rejected_total`.
    pub fn summed_over(&self, dim: &str, values: Option<&[&str]>) -> Result<CountTable> {
        let Some(d) = self.dimensions.iter().position(|x| x == dim) else {
            return Err(Error::new(
                ErrorKind::Input(format!(
                    "the table has no dimension `{dim}` (its dimensions: {})",
                    self.dimensions.join(", ")
                )),
                Location::default(),
            ));
        };
        let mut order: Vec<CellKey> = Vec::new();
        let mut sums: HashMap<CellKey, (u64, CountRow)> = HashMap::new();
        for r in &self.rows {
            let mut by = r.by.clone();
            let (_, value) = by.remove(d);
            let keep = values.is_none_or(|v| v.contains(&value.as_str()));
            let key = (by, r.code);
            let entry = sums.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                (0, r.clone())
            });
            if keep {
                add(&mut entry.0, r.count)?;
            }
        }
        let rows: Vec<CountRow> = order
            .into_iter()
            .filter_map(|k| sums.remove(&k))
            .map(|(count, r)| CountRow {
                by: r.by.into_iter().filter(|(k, _)| k != dim).collect(),
                count,
                ..r
            })
            .collect();
        let sum = |p: Option<Placement>| {
            rows.iter()
                .filter(|r| p.is_none_or(|p| r.placement == p))
                .map(|r| r.count)
                .fold(0u64, u64::saturating_add)
        };
        let output_total = sum(None);
        Ok(CountTable {
            to: self.to,
            dimensions: self
                .dimensions
                .iter()
                .filter(|x| *x != dim)
                .cloned()
                .collect(),
            output_total,
            coarser_total: sum(Some(Placement::Coarser)),
            residual_total: sum(Some(Placement::Residual)),
            input_total: output_total.saturating_add(self.rejected_total),
            rows,
            input_rows: self.input_rows,
            rejected_rows: self.rejected_rows,
            rejected_total: self.rejected_total,
            most_likely_total: self.most_likely_total,
            observed_total: self.observed_total,
            standard_version: self.standard_version,
        })
    }

    /// This table with its small strata merged up the tree: within each combination, every
    /// count below group level from 1 to `below - 1` (as asked, coarser or already merged) moves
    /// to its parent (detailed to category, then category to group), into the parent's row
    /// placed [`Placement::Merged`]; the rows it left are dropped (a 0 would claim a count it did
    /// not have). Groups and residuals stay as they are: a small group is for the disclosure
    /// policy to withhold. Every combination keeps its total; `coarser_total` counts what is
    /// still placed coarser.
    #[must_use]
    pub fn merged_up(&self, below: u64) -> CountTable {
        let mut rows = Vec::with_capacity(self.rows.len());
        for combination in self.rows.chunk_by(|a, b| a.by == b.by) {
            rows.extend(merge_combination(combination, below));
        }
        let coarser_total = rows
            .iter()
            .filter(|r| r.placement == Placement::Coarser)
            .map(|r| r.count)
            .fold(0, u64::saturating_add);
        CountTable {
            rows,
            coarser_total,
            dimensions: self.dimensions.clone(),
            ..*self
        }
    }

    /// The rows placed coarser than asked.
    pub fn coarser(&self) -> impl Iterator<Item = &CountRow> {
        self.rows
            .iter()
            .filter(|r| r.placement == Placement::Coarser)
    }
}

/// Accumulates counts into a [`CountTable`].
#[derive(Debug, Clone)]
pub struct Aggregator {
    to: Level,
    dimensions: Vec<String>,
    /// Counts by node, per combination of dimension values (the key: each value's byte length
    /// as 4 bytes, then the value, so that no two combinations share a key).
    cells: HashMap<Box<[u8]>, BTreeMap<Node, Tally>, Fx>,
    /// Whether every record brings a record key ([`Aggregator::with_record_keys`]).
    keyed: bool,
    key: Vec<u8>,
    input_rows: u64,
    rejected_rows: u64,
    input_total: u64,
    rejected_total: u64,
    most_likely_total: u64,
    observed_total: u64,
}

/// A cell's count and the sum of its records' keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    count: u64,
    keys: u64,
}

fn overflow() -> Error {
    Error::new(
        ErrorKind::Input(format!(
            "the counts add up to more than {} and cannot be totalled exactly",
            u64::MAX
        )),
        Location::default(),
    )
}

fn add(a: &mut u64, n: u64) -> Result<()> {
    *a = a.checked_add(n).ok_or_else(overflow)?;
    Ok(())
}

impl Aggregator {
    /// An empty aggregate at `to`: group, category or detailed.
    pub fn new(to: Level) -> Result<Aggregator> {
        Aggregator::by(to, Vec::new())
    }

    /// An empty aggregate at `to`, one table per combination of the values of `dimensions`
    /// (their names, as the output's headers).
    pub fn by(to: Level, dimensions: Vec<String>) -> Result<Aggregator> {
        if to == Level::Residual {
            return Err(Error::new(
                ErrorKind::Input(
                    "aggregate to group, category or detailed (residual is not a level of ethnic groups)".to_owned(),
                ),
                Location::default(),
            ));
        }
        Ok(Aggregator {
            to,
            dimensions,
            cells: HashMap::default(),
            keyed: false,
            key: Vec::new(),
            input_rows: 0,
            rejected_rows: 0,
            input_total: 0,
            rejected_total: 0,
            most_likely_total: 0,
            observed_total: 0,
        })
    }

    /// The same aggregate of records, each bringing a record key (a whole number, random per
    /// record, kept with the record: ONS cell-key perturbation). Every cell then carries the sum
    /// of its records' keys ([`CountRow::record_keys`]); records are added one at a time with
    /// [`Aggregator::add_keyed`].
    #[must_use]
    pub fn with_record_keys(mut self) -> Aggregator {
        self.keyed = true;
        self
    }

    /// The level asked.
    pub fn level(&self) -> Level {
        self.to
    }

    /// Places `count` for a converted value. Fails only when a total would overflow `u64`.
    pub fn add(&mut self, converted: &Converted, count: u64) -> Result<()> {
        self.add_in::<&str>(&[], converted, count)
    }

    /// The dimensions.
    pub fn dimensions(&self) -> &[String] {
        &self.dimensions
    }

    /// Places `count` for a converted value in the combination `by` (one value per dimension).
    /// Fails when a total would overflow `u64`, or `by` does not give one value per dimension.
    pub fn add_in<S: AsRef<str>>(
        &mut self,
        by: &[S],
        converted: &Converted,
        count: u64,
    ) -> Result<()> {
        self.add_placed(by, &Placed::of(Cow::Borrowed(converted)), count, None)
    }

    /// Places one record with record key `key` for a converted value in the combination `by`,
    /// in an aggregate made [`with_record_keys`](Aggregator::with_record_keys). Fails as
    /// [`Aggregator::add_in`], and on an aggregate made without record keys.
    pub fn add_keyed<S: AsRef<str>>(
        &mut self,
        by: &[S],
        converted: &Converted,
        key: u64,
    ) -> Result<()> {
        self.add_placed(by, &Placed::of(Cow::Borrowed(converted)), 1, Some(key))
    }

    /// Places `count` records of `p` (one with its record key `key`, in a keyed aggregate).
    fn add_placed<S: AsRef<str>>(
        &mut self,
        by: &[S],
        p: &Placed<'_>,
        count: u64,
        key: Option<u64>,
    ) -> Result<()> {
        match key {
            None => self.add_node(by, p.node, count)?,
            Some(_) if !self.keyed => {
                return Err(Error::new(
                    ErrorKind::Input(
                        "a record key was given to an aggregate made without record keys"
                            .to_owned(),
                    ),
                    Location::default(),
                ));
            }
            Some(k) => self.place(by, p.node, count, k)?,
        }
        if p.most_likely {
            add(&mut self.most_likely_total, count)?;
        }
        if p.observed {
            add(&mut self.observed_total, count)?;
        }
        Ok(())
    }

    /// Places `count` at `node` (rolled up to the level asked) in the combination `by`: for
    /// counts already in the standard, such as a census table. Fails as [`Aggregator::add_in`].
    pub fn add_node<S: AsRef<str>>(&mut self, by: &[S], node: Node, count: u64) -> Result<()> {
        self.unkeyed()?;
        self.place(by, node, count, 0)
    }

    /// An error for a count without a record key in an aggregate made with record keys.
    fn unkeyed(&self) -> Result<()> {
        if self.keyed {
            return Err(Error::new(
                ErrorKind::Input(
                    "this aggregate counts records with record keys: give each record's key"
                        .to_owned(),
                ),
                Location::default(),
            ));
        }
        Ok(())
    }

    /// Places `count` records whose keys sum to `keys` at `node` in the combination `by`.
    fn place<S: AsRef<str>>(&mut self, by: &[S], node: Node, count: u64, keys: u64) -> Result<()> {
        if by.len() != self.dimensions.len() {
            return Err(Error::new(
                ErrorKind::Input(format!(
                    "{} dimension values given for {} dimensions",
                    by.len(),
                    self.dimensions.len()
                )),
                Location::default(),
            ));
        }
        let node = node.roll_up(self.to);
        add(&mut self.input_total, count)?;
        self.key.clear();
        for v in by {
            let v = v.as_ref();
            let len = u32::try_from(v.len()).map_err(|_| overflow())?;
            self.key.extend_from_slice(&len.to_le_bytes());
            self.key.extend_from_slice(v.as_bytes());
        }
        let cell = match self.cells.get_mut(self.key.as_slice()) {
            Some(c) => c,
            None => self.cells.entry(self.key.as_slice().into()).or_default(),
        };
        let tally = cell.entry(node).or_default();
        add(&mut tally.count, count)?;
        add(&mut tally.keys, keys)?;
        self.input_rows += 1;
        Ok(())
    }

    /// Counts a row that could not be placed; `count` is its count when it could be read.
    pub fn reject(&mut self, count: Option<u64>) -> Result<()> {
        if let Some(n) = count {
            add(&mut self.input_total, n)?;
            add(&mut self.rejected_total, n)?;
        }
        self.input_rows += 1;
        self.rejected_rows += 1;
        Ok(())
    }

    /// The table.
    pub fn finish(self) -> CountTable {
        let mut cells: Vec<(Vec<String>, BTreeMap<Node, Tally>)> = self
            .cells
            .into_iter()
            .map(|(k, v)| (split_key(&k), v))
            .collect();
        cells.sort_by(|a, b| a.0.cmp(&b.0));
        if cells.is_empty() && self.dimensions.is_empty() {
            // One table with no counts still lists its nodes, with zeros.
            cells.push((Vec::new(), BTreeMap::new()));
        }
        let mut rows: Vec<CountRow> = Vec::new();
        for (values, counts) in &cells {
            let by: Vec<(String, String)> = self
                .dimensions
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect();
            table_rows(self.to, &by, counts, self.keyed, &mut rows);
        }
        // Each total is a sum of counts already summed without overflow into input_total.
        let sum = |p: Option<Placement>| {
            rows.iter()
                .filter(|r| p.is_none_or(|p| r.placement == p))
                .map(|r| r.count)
                .fold(0u64, u64::saturating_add)
        };
        CountTable {
            to: self.to,
            dimensions: self.dimensions,
            output_total: sum(None),
            coarser_total: sum(Some(Placement::Coarser)),
            residual_total: sum(Some(Placement::Residual)),
            rows,
            input_rows: self.input_rows,
            rejected_rows: self.rejected_rows,
            input_total: self.input_total,
            rejected_total: self.rejected_total,
            most_likely_total: self.most_likely_total,
            observed_total: self.observed_total,
            standard_version: STANDARD_VERSION,
        }
    }
}

/// The rows of one combination with its small strata merged up (see [`CountTable::merged_up`]);
/// merged rows go before the residuals, finest first.
fn merge_combination(rows: &[CountRow], below: u64) -> Vec<CountRow> {
    let mut out: Vec<CountRow> = rows.to_vec();
    for level in [Level::Detailed, Level::Category] {
        let mut moved: BTreeMap<Node, (u64, Option<u64>)> = BTreeMap::new();
        out.retain(|r| {
            let small = r.level == level && r.count > 0 && r.count < below;
            let Some(parent) = r.code.parent().filter(|_| small) else {
                return true;
            };
            let e = moved.entry(parent).or_insert((0, r.record_keys.map(|_| 0)));
            e.0 = e.0.saturating_add(r.count);
            e.1 = e.1.zip(r.record_keys).map(|(a, b)| a.wrapping_add(b));
            false
        });
        for (parent, (count, keys)) in moved {
            if let Some(r) = out
                .iter_mut()
                .find(|r| r.code == parent && r.placement == Placement::Merged)
            {
                r.count = r.count.saturating_add(count);
                r.record_keys = r.record_keys.zip(keys).map(|(a, b)| a.wrapping_add(b));
                continue;
            }
            let at = out
                .iter()
                .position(|r| r.placement == Placement::Residual)
                .unwrap_or(out.len());
            out.insert(
                at,
                CountRow {
                    by: rows[0].by.clone(),
                    code: parent,
                    label: parent.label(),
                    level: parent.level(),
                    count,
                    placement: Placement::Merged,
                    record_keys: keys,
                },
            );
        }
    }
    out
}

/// The values of a combination's key (see [`Aggregator`]).
fn split_key(mut key: &[u8]) -> Vec<String> {
    let mut values = Vec::new();
    while let Some((len, rest)) = key.split_first_chunk::<4>() {
        let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
        let (v, tail) = rest.split_at(n);
        // Each value was a whole `&str`.
        values.push(String::from_utf8_lossy(v).into_owned());
        key = tail;
    }
    values
}

/// The rows of one combination `by` of a table at `to`, from its `counts`.
fn table_rows(
    to: Level,
    by: &[(String, String)],
    counts: &BTreeMap<Node, Tally>,
    keyed: bool,
    rows: &mut Vec<CountRow>,
) {
    let placement = |n: Node| {
        if n.is_residual() {
            Placement::Residual
        } else if n.level() == to {
            Placement::AsAsked
        } else {
            Placement::Coarser
        }
    };
    let row = |n: Node, t: Tally| CountRow {
        by: by.to_vec(),
        code: n,
        label: n.label(),
        level: n.level(),
        count: t.count,
        placement: placement(n),
        record_keys: keyed.then_some(t.keys),
    };
    let get = |n: Node| counts.get(&n).copied().unwrap_or_default();
    if to == Level::Detailed {
        rows.extend(
            counts
                .iter()
                .filter(|(n, c)| placement(**n) == Placement::AsAsked && c.count > 0)
                .map(|(n, c)| row(*n, *c)),
        );
    } else {
        rows.extend(
            Node::all()
                .filter(|n| n.level() == to)
                .map(|n| row(n, get(n))),
        );
    }
    rows.extend(
        counts
            .iter()
            .filter(|(n, c)| placement(**n) == Placement::Coarser && c.count > 0)
            .map(|(n, c)| row(*n, *c)),
    );
    rows.extend(
        Node::all()
            .filter(|n| n.is_residual())
            .map(|n| row(n, get(n))),
    );
}

/// Reads a count: a whole number of zero or more, spaces around it ignored, thousands separated
/// by commas accepted when every group has three digits (`12,345`, as published tables write them).
pub fn parse_count(raw: &str) -> std::result::Result<u64, Rejection> {
    let t = raw.trim();
    let bad = |why: &str| {
        Rejection::new(
            Rule::BadCount,
            format!("{} is not a count: {why}", shown(raw)),
        )
    };
    if t.is_empty() {
        return Err(bad("the cell is empty"));
    }
    let digits: String = if t.contains(',') {
        let mut parts = t.split(',');
        let first = parts.next().unwrap_or("");
        let ok = (1..=3).contains(&first.len())
            && parts.all(|p| p.len() == 3)
            && t.bytes().all(|b| b.is_ascii_digit() || b == b',');
        if !ok {
            return Err(bad("commas must separate thousands"));
        }
        t.replace(',', "")
    } else {
        t.to_owned()
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(if digits.starts_with('-') {
            "counts cannot be negative"
        } else {
            "a count is a whole number"
        }));
    }
    digits
        .parse::<u64>()
        .map_err(|_| bad("too large to count exactly"))
}

/// What to aggregate: the code (or label) column, where its scheme comes from, and the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatePlan {
    /// The column holding the code (or, with [`By::Label`], the label).
    pub column: String,
    /// Where each row's scheme comes from.
    pub scheme: SchemeFrom,
    /// Match on codes or labels.
    pub by: By,
    /// What to place for broader codes.
    pub policy: Policy,
    /// The column holding each row's count; `None` counts every row as 1 (a table of records,
    /// such as the output of `convert`).
    pub count_column: Option<String>,
    /// The column holding each record's record key (a whole number of zero or more), for
    /// cell-key perturbation: records only (no `count_column`), into an aggregator made
    /// [`with_record_keys`](Aggregator::with_record_keys).
    pub record_key_column: Option<String>,
    /// Other characteristics read through their classifications: a dimension named as a
    /// characteristic's output column (`wm_sex`, `wm_age_band`, ...) that is not a column of the
    /// table takes each row's standard value, so `M`, `1` and `Male` from different sources
    /// land on one value.
    pub characteristics: Vec<CharacteristicColumn>,
    /// Where a person's several ethnicities are (more columns, a separator), for
    /// [`persons_stream`]; the default is one answer in `column`.
    pub answers: Answers,
}

impl AggregatePlan {
    /// The converter of this plan's column (and characteristics) for `table`; a missing column
    /// is explained as the table explains it.
    fn converter<'a>(
        &self,
        registry: &'a Registry,
        synonyms: &'a Synonyms,
        table: &io::Table<'_>,
    ) -> std::result::Result<Converter<'a>, StreamError> {
        let plan = Plan {
            by: self.by,
            policy: self.policy,
            characteristics: self.characteristics.clone(),
            answers: self.answers.clone(),
            ..Plan::new(self.column.clone(), self.scheme.clone())
        };
        Converter::new(registry, synonyms, &plan, table.header(), table.name())
            .map_err(|e| StreamError::Read(table.explain_missing(e)))
    }
}

/// Adds every row of `table` to `agg`, in the combination of its values of the aggregator's
/// dimensions (columns of `table`, found by header). A row that cannot be placed (unknown code, bad count,
/// wrong shape) goes to `rejects` and is counted as rejected, with its count when it could be
/// read, so `input_total == output_total + rejected_total` holds.
pub fn aggregate_stream(
    agg: &mut Aggregator,
    registry: &Registry,
    synonyms: &Synonyms,
    table: io::Table<'_>,
    plan: &AggregatePlan,
    rejects: &mut dyn RejectSink,
) -> std::result::Result<(), StreamError> {
    let name = table.name().to_owned();
    if plan.answers.several() {
        // Counting only a person's first answer would drop the others without a word.
        return Err(StreamError::Read(Error::new(
            ErrorKind::Input(
                "several ethnicities per person are counted as persons (persons_stream: total \
                 response, prioritised, sole/combination), not as one count table"
                    .to_owned(),
            ),
            Location::file(&name),
        )));
    }
    let missing = |e| StreamError::Read(table.explain_missing(e));
    let converter = plan.converter(registry, synonyms, &table)?;
    let column = |c: &Option<String>| match c {
        Some(c) => column_index(table.header(), c, &name)
            .map(Some)
            .map_err(missing),
        None => Ok(None),
    };
    let count = column(&plan.count_column)?;
    let record_key = column(&plan.record_key_column)?;
    if record_key.is_some() && count.is_some() {
        return Err(StreamError::Read(Error::new(
            ErrorKind::Input(
                "record keys belong to records: give --record-key-column or --count-column, \
                 not both"
                    .to_owned(),
            ),
            Location::file(&name),
        )));
    }
    let dims = dimensions(agg.dimensions(), &converter, &table).map_err(StreamError::Read)?;
    let mut read = converter.columns_read();
    read.extend(count);
    read.extend(record_key);
    read.extend(dimension_columns(&dims));
    let header = converter.header();
    let mut by: Vec<String> = vec![String::new(); dims.len()];
    let mut memo = Memo::default();
    table.try_for_each(
        |rec| match place_row(&converter, count, &read, rec, &mut memo) {
            Ok((p, n)) => {
                dimension_values(&dims, rec, |k| p.characteristic(k), &mut by);
                let key = record_key
                    .map(|i| {
                        parse_record_key(rec.text(i).as_deref().unwrap_or("")).map_err(|why| {
                            Error::new(
                                ErrorKind::Input(format!(
                                    "column `{}`: {why}",
                                    table_header_name(header, i)
                                )),
                                Location::default(),
                            )
                        })
                    })
                    .transpose();
                key.and_then(|key| agg.add_placed(&by, &p, n, key))
                    .map_err(|e| StreamError::Read(e.at_line(&name, rec.line())))
            }
            Err((r, n)) => agg
                .reject(n)
                .map_err(|e| StreamError::Read(e.at_line(&name, rec.line())))
                .and_then(|()| send_reject(rejects, header, rec, &r).map_err(StreamError::Rejects)),
        },
    )?;
    Ok(())
}

/// The header of column `i`.
fn table_header_name(header: &[String], i: usize) -> &str {
    header.get(i).map_or("", String::as_str)
}

/// Reads a record key: a whole number of zero or more. A record without one stops the run:
/// cell-key perturbation needs every record's key.
fn parse_record_key(raw: &str) -> std::result::Result<u64, String> {
    let t = raw.trim();
    if !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(k) = t.parse()
    {
        return Ok(k);
    }
    Err(format!(
        "{} is not a record key (a whole number of zero or more, one per record)",
        shown(raw)
    ))
}

/// Where a dimension's value comes from.
#[derive(Debug, Clone, Copy)]
enum Dimension {
    /// A column of the table, as written.
    Column(usize),
    /// A characteristic's standard value, read through its classification.
    Characteristic(Characteristic),
}

/// Where each of `names` comes from in `table`: a column, or a characteristic's standard value
/// (a dimension named as its output column, `wm_sex`, that is not a column of the table).
fn dimensions(
    names: &[String],
    converter: &Converter<'_>,
    table: &io::Table<'_>,
) -> Result<Vec<Dimension>> {
    let carried = converter.characteristics();
    names
        .iter()
        .map(|d| {
            let standard = carried
                .iter()
                .find(|k| k.column() == d && table.column(d).is_none());
            match standard {
                Some(k) => Ok(Dimension::Characteristic(k)),
                None => column_index(table.header(), d, table.name()).map(Dimension::Column),
            }
        })
        .collect()
}

/// The columns the dimensions read.
fn dimension_columns(dims: &[Dimension]) -> impl Iterator<Item = usize> + '_ {
    dims.iter().filter_map(|d| match d {
        Dimension::Column(i) => Some(*i),
        Dimension::Characteristic(_) => None,
    })
}

/// Each dimension's value for `rec` into `by` (a characteristic's from `characteristic`).
fn dimension_values<'a>(
    dims: &[Dimension],
    rec: &io::Record<'_>,
    characteristic: impl Fn(Characteristic) -> Option<&'a str>,
    by: &mut [String],
) {
    for (v, d) in by.iter_mut().zip(dims) {
        v.clear();
        match *d {
            Dimension::Column(i) => v.push_str(rec.text(i).as_deref().unwrap_or("").trim()),
            Dimension::Characteristic(k) => v.push_str(characteristic(k).unwrap_or("")),
        }
    }
}

/// The hasher of the aggregate's maps (keys are the file's own values, no adversary to fear
/// beyond a slower run).
type Fx = std::hash::BuildHasherDefault<FxHasher>;

/// What the aggregate keeps of a converted value.
#[derive(Debug, Clone)]
struct Placed<'a> {
    node: Node,
    most_likely: bool,
    observed: bool,
    characteristics: Vec<CharacteristicValue<'a>>,
}

impl<'a> Placed<'a> {
    fn of(c: Cow<'_, Converted<'a>>) -> Placed<'a> {
        Placed {
            node: c.code,
            most_likely: c.policy == Some(Policy::MostLikely),
            observed: c.observed,
            characteristics: match c {
                Cow::Owned(c) => c.characteristics,
                Cow::Borrowed(c) => c.characteristics.clone(),
            },
        }
    }

    /// The standard value of characteristic `k`, as [`Converted::characteristic`].
    fn characteristic(&self, k: Characteristic) -> Option<&'a str> {
        self.characteristics
            .iter()
            .find(|v| v.characteristic == k)
            .map(|v| v.code)
    }
}

/// One row's placed value and count, or why it cannot be placed (with its count when read).
/// Values and characteristics seen before are not converted or read again (`memo`).
fn place_row<'a>(
    converter: &Converter<'a>,
    count: Option<usize>,
    read: &[usize],
    rec: &io::Record<'_>,
    memo: &mut Memo<'a>,
) -> std::result::Result<(Placed<'a>, u64), (RecordRejection, Option<u64>)> {
    check_record(rec, read).map_err(|r| (r, None))?;
    let n = match count {
        None => 1,
        Some(i) => parse_count(rec.text(i).as_deref().unwrap_or(""))
            .map_err(|r| (RecordRejection::column(i, r), None))?,
    };
    converter
        .convert_remembered(rec, memo)
        .map(|c| (Placed::of(c), n))
        .map_err(|r| (r, Some(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::convert_code;
    use crate::resolve::Source;
    use crate::scheme::builtin_scheme as builtin;

    #[test]
    fn counts_parse_strictly() {
        assert_eq!(parse_count(" 12 "), Ok(12));
        assert_eq!(parse_count("1,234,567"), Ok(1_234_567));
        for bad in ["", "1.5", "-3", "12,34", "1e3", "99999999999999999999"] {
            assert_eq!(parse_count(bad).unwrap_err().rule, Rule::BadCount, "{bad}");
        }
    }

    #[test]
    fn totals_are_preserved_and_coarser_counts_reported() {
        let dfe = Source::from(builtin("dfe-cbds").unwrap());
        let mut agg = Aggregator::new(Level::Detailed).unwrap();
        for (code, n) in [("APKN", 5), ("AKPA", 2), ("WROM", 1), ("REFU", 4)] {
            agg.add(&convert_code(dfe, code, Policy::Strict).unwrap(), n)
                .unwrap();
        }
        agg.reject(Some(6)).unwrap();
        let t = agg.finish();
        assert_eq!(t.input_total, 18);
        assert_eq!(t.output_total, 12);
        assert_eq!(t.rejected_total, 6);
        // APKN and AKPA (narrower, but mapped to the category) at category, WROM at group.
        assert_eq!(t.coarser_total, 8);
        assert_eq!(t.residual_total, 4);
        assert_eq!(t.count("white"), Some(1));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let nhs = Source::from(builtin("nhs-ethnic-category").unwrap());
        let c = convert_code(nhs, "A", Policy::Strict).unwrap();
        let mut agg = Aggregator::new(Level::Group).unwrap();
        agg.add(&c, u64::MAX).unwrap();
        assert!(agg.add(&c, 1).is_err());
    }
}

/// Persons with several ethnicities counted three ways (`aggregate --separator`), one
/// [`MultipleCounts`] per combination of the dimensions (`--group-by`).
#[derive(Debug, Clone)]
pub struct PersonCount<'p> {
    priority: &'p Priority,
    threshold: u64,
    /// The dimensions, in the order asked (empty: one table).
    pub dimensions: Vec<String>,
    counters: BTreeMap<Vec<String>, MultipleCounter<'p>>,
    /// The level answers are counted at (each rolled up to it, never finer than known).
    pub level: Level,
    /// Rows read.
    pub rows: u64,
    /// Rows rejected.
    pub rejected: u64,
}

impl<'p> PersonCount<'p> {
    /// A count of persons at `level` (each person's answers where the plan's
    /// [`AggregatePlan::answers`] says), under `priority` (combinations held by fewer than
    /// `threshold` persons pooled), per combination of `dimensions`.
    pub fn new(
        (priority, threshold): (&'p Priority, u64),
        level: Level,
        dimensions: Vec<String>,
    ) -> Self {
        let mut counters = BTreeMap::new();
        if dimensions.is_empty() {
            // One table, listed even with no person in it.
            counters.insert(Vec::new(), MultipleCounter::new(priority, threshold));
        }
        PersonCount {
            priority,
            threshold,
            dimensions,
            counters,
            level,
            rows: 0,
            rejected: 0,
        }
    }

    /// The three outputs of every combination, in the order of their values, each with its
    /// combination (dimension and value).
    pub fn finish(self) -> Vec<(Vec<(String, String)>, MultipleCounts)> {
        let dims = self.dimensions;
        self.counters
            .into_iter()
            .map(|(values, c)| (dims.iter().cloned().zip(values).collect(), c.finish()))
            .collect()
    }

    fn add(&mut self, by: &[String], answers: &[Answer<'_>]) -> std::result::Result<(), String> {
        if !self.counters.contains_key(by) {
            let c = MultipleCounter::new(self.priority, self.threshold);
            self.counters.insert(by.to_vec(), c);
        }
        self.counters.get_mut(by).map_or(Ok(()), |c| c.add(answers))
    }
}

/// Counts every row of `table` as one person into `pc` (in the combination of its values of
/// `pc`'s dimensions): its answers read where the plan's [`AggregatePlan::answers`] says (more
/// columns, a separator), each value converted as `convert` converts one; a row that cannot be (a value unknown, too many values, a characteristic
/// unreadable) goes to `rejects`. `rows == persons + rejected`.
pub fn persons_stream(
    pc: &mut PersonCount<'_>,
    registry: &Registry,
    synonyms: &Synonyms,
    table: io::Table<'_>,
    plan: &AggregatePlan,
    rejects: &mut dyn RejectSink,
) -> std::result::Result<(), StreamError> {
    let converter = plan.converter(registry, synonyms, &table)?;
    let dims = dimensions(&pc.dimensions, &converter, &table).map_err(StreamError::Read)?;
    let mut read = converter.columns_read();
    read.extend(dimension_columns(&dims));
    let header = converter.header();
    let mut by: Vec<String> = vec![String::new(); dims.len()];
    table.try_for_each(|rec| {
        pc.rows += 1;
        let values = check_record(rec, &read).and_then(|()| converter.convert_each(rec));
        match values {
            Ok(values) => {
                let answers: Vec<Answer<'static>> = values
                    .iter()
                    .map(|c| Answer::of(c.code, pc.level))
                    .collect();
                let first = values.first();
                dimension_values(
                    &dims,
                    rec,
                    |k| first.and_then(|c| c.characteristic(k)),
                    &mut by,
                );
                pc.add(&by, &answers).map_err(|e| {
                    StreamError::Read(Error::new(ErrorKind::Input(e), Location::default()))
                })
            }
            Err(r) => {
                pc.rejected += 1;
                send_reject(rejects, header, rec, &r).map_err(StreamError::Rejects)
            }
        }
    })?;
    Ok(())
}
