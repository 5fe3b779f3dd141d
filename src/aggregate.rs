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

use crate::convert::{
    Converted, Converter, Plan, Policy, RecordRejection, RejectSink, SchemeFrom, StreamError,
    check_record, column_index, send_reject,
};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::privacy::shown;
use crate::resolve::labels::Synonyms;
use crate::resolve::{By, Rejection};
use crate::rules::Rule;
use crate::scheme::Registry;
use crate::standard::{Level, Node, STANDARD_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a count ended up relative to the level asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// At the level asked.
    AsAsked,
    /// At a coarser level: the source does not say more.
    Coarser,
    /// A residual value: not an ethnic group.
    Residual,
}

impl Placement {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Placement::AsAsked => "as-asked",
            Placement::Coarser => "coarser",
            Placement::Residual => "residual",
        }
    }
}

/// One row of an aggregate table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
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
}

/// A finished aggregate table. `input_total == output_total + rejected_total` always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountTable {
    /// The level asked.
    pub to: Level,
    /// The rows: every node at the level asked (for groups and categories, zeros included, so
    /// tables from different councils line up; for detailed, the non-zero ones), then the counts
    /// placed coarser (coarsest first), then the residual values.
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
    counts: BTreeMap<Node, u64>,
    input_rows: u64,
    rejected_rows: u64,
    input_total: u64,
    rejected_total: u64,
    most_likely_total: u64,
    observed_total: u64,
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
            counts: BTreeMap::new(),
            input_rows: 0,
            rejected_rows: 0,
            input_total: 0,
            rejected_total: 0,
            most_likely_total: 0,
            observed_total: 0,
        })
    }

    /// The level asked.
    pub fn level(&self) -> Level {
        self.to
    }

    /// Places `count` for a converted value. Fails only when a total would overflow `u64`.
    pub fn add(&mut self, converted: &Converted, count: u64) -> Result<()> {
        let node = converted.code.roll_up(self.to);
        add(&mut self.input_total, count)?;
        add(self.counts.entry(node).or_insert(0), count)?;
        if converted.policy == Some(Policy::MostLikely) {
            add(&mut self.most_likely_total, count)?;
        }
        if converted.observed {
            add(&mut self.observed_total, count)?;
        }
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
        let placement = |n: Node| {
            if n.is_residual() {
                Placement::Residual
            } else if n.level() == self.to {
                Placement::AsAsked
            } else {
                Placement::Coarser
            }
        };
        let row = |n: Node, count: u64| CountRow {
            code: n,
            label: n.label(),
            level: n.level(),
            count,
            placement: placement(n),
        };
        let get = |n: Node| self.counts.get(&n).copied().unwrap_or(0);
        let mut rows: Vec<CountRow> = Vec::new();
        if self.to == Level::Detailed {
            rows.extend(
                self.counts
                    .iter()
                    .filter(|(n, c)| placement(**n) == Placement::AsAsked && **c > 0)
                    .map(|(n, c)| row(*n, *c)),
            );
        } else {
            rows.extend(
                Node::all()
                    .filter(|n| n.level() == self.to)
                    .map(|n| row(n, get(n))),
            );
        }
        rows.extend(
            self.counts
                .iter()
                .filter(|(n, c)| placement(**n) == Placement::Coarser && **c > 0)
                .map(|(n, c)| row(*n, *c)),
        );
        rows.extend(
            Node::all()
                .filter(|n| n.is_residual())
                .map(|n| row(n, get(n))),
        );
        // Each total is a sum of counts already summed without overflow into input_total.
        let sum = |p: Option<Placement>| {
            rows.iter()
                .filter(|r| p.is_none_or(|p| r.placement == p))
                .map(|r| r.count)
                .fold(0u64, u64::saturating_add)
        };
        CountTable {
            to: self.to,
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
}

/// Adds every row of `table` to `agg`. A row that cannot be placed (unknown code, bad count,
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
    let convert_plan = Plan {
        by: plan.by,
        policy: plan.policy,
        ..Plan::new(plan.column.clone(), plan.scheme.clone())
    };
    let missing = |e| StreamError::Read(table.explain_missing(e));
    let converter = Converter::new(registry, synonyms, &convert_plan, table.header(), &name)
        .map_err(missing)?;
    let count = match &plan.count_column {
        Some(c) => Some(column_index(table.header(), c, &name).map_err(missing)?),
        None => None,
    };
    let mut read = converter.columns_read();
    read.extend(count);
    let header = converter.header();
    table.try_for_each(|rec| match place_row(&converter, count, &read, rec) {
        Ok((c, n)) => agg
            .add(&c, n)
            .map_err(|e| StreamError::Read(e.at_line(&name, rec.line()))),
        Err((r, n)) => agg
            .reject(n)
            .map_err(|e| StreamError::Read(e.at_line(&name, rec.line())))
            .and_then(|()| send_reject(rejects, header, rec, &r).map_err(StreamError::Rejects)),
    })?;
    Ok(())
}

/// One row's converted value and count, or why it cannot be placed (with its count when read).
fn place_row<'a>(
    converter: &Converter<'a>,
    count: Option<usize>,
    read: &[usize],
    rec: &io::Record<'_>,
) -> std::result::Result<(Converted<'a>, u64), (RecordRejection, Option<u64>)> {
    check_record(rec, read).map_err(|r| (r, None))?;
    let n = match count {
        None => 1,
        Some(i) => parse_count(rec.text(i).as_deref().unwrap_or(""))
            .map_err(|r| (RecordRejection::column(i, r), None))?,
    };
    let c = converter.convert(rec).map_err(|r| (r, Some(n)))?;
    Ok((c, n))
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
