//! Disclosure control: a declared, named policy applied to a count table (or the rates made from
//! two), giving the table to publish. Every published table has the count table's rows plus the
//! margins an attacker could difference against: each subtotal of the hierarchy above the level
//! counted (a group is the sum of its categories and of the counts kept at the group; a
//! category the sum of its detailed categories and of the counts kept at the category), each
//! combination's total (groups and residuals), and every margin over the `--group-by`
//! dimensions (the sum over one dimension's values, over two, ... over all). Each cell is either
//! a value or a GSS symbol with its reason ([`Symbol`], [`CellStatus`]).
//!
//! The policies ([`DisclosurePolicy`], parsed from text by [`DisclosurePolicy::parse`]):
//! - `none`: every cell exact.
//! - `suppress:N`: every cell from 1 to N-1 is withheld (`c`, primary). A 0 is published: it
//!   counts no one, so there is no one in it to identify (what a 0 tells about a whole group of
//!   people, attribute disclosure, is not what this policy protects). Then secondary
//!   suppression: while some relation `whole = sum of parts` has exactly one withheld cell, the
//!   smallest non-zero published cell of that relation (a 0 when it has no other) is withheld too (cells of the table
//!   before subtotals, subtotals before totals, finer margins before coarser); then the audit
//!   ([`Audit`]) runs, and while it finds a withheld cell an attacker can compute exactly, one
//!   more cell of a relation holding it is withheld and the whole repeats. Totals are kept
//!   exact where published.
//! - `round:N`: every cell (totals and margins too) rounded to the nearest multiple of N,
//!   halves up (with N = 10, 5 becomes 10); each cell is rounded on its own, so a total may
//!   differ from the sum of its rounded parts: the output says so.
//! - `nhs-secondary-care`: NHS Digital's rule for Hospital Episode Statistics below national
//!   level: 1 to 7 withheld (`suppress:8`, with its secondary suppression and audit), every
//!   other cell rounded to the nearest 5 (totals rounded on their own, not added up from
//!   rounded parts).
//! - `ons-ckm:PTABLE`: cell-key perturbation ([`Ptable`]), each cell (every total and margin
//!   its own cell, with its own key) perturbed on its own, as the ONS package perturbs each
//!   table it is asked for: totals are not additive.

mod audit;
mod ckm;
mod grid;

pub use audit::{Audit, CellBounds};
pub use ckm::{CKM_DEFAULT_THRESHOLD, Ptable};

use crate::aggregate::{CountRow, CountTable, Placement, as_object};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::rates::{RateKind, RateRow, RateTable, StandardPopulation, age_standardised, rates};
use crate::standard::{Level, Node};
use grid::{Grid, Key};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A disclosure policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisclosurePolicy {
    /// Every cell exact.
    None,
    /// Cells from 1 to `threshold - 1` withheld, with secondary suppression.
    Suppress {
        /// The smallest count published.
        threshold: u64,
    },
    /// Every cell rounded to the nearest multiple of `base`, halves up.
    Round {
        /// The base.
        base: u64,
    },
    /// 1 to 7 withheld (with secondary suppression), every other cell rounded to 5.
    NhsSecondaryCare,
    /// Cell-key perturbation with a ptable.
    OnsCkm(Ptable),
}

/// How a policy treats the totals it publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Totals {
    /// Published totals are the true totals.
    Exact,
    /// Each total is rounded on its own: a total may differ from the sum of its parts.
    Rounded,
    /// Each total is perturbed on its own: a total may differ from the sum of its parts.
    Perturbed,
}

impl Totals {
    /// What it means, for people.
    pub const fn describe(self) -> &'static str {
        match self {
            Totals::Exact => "exact: every published total is the true total",
            Totals::Rounded => {
                "rounded like every other cell, on its own: not additive (a total may differ \
                 from the sum of its published parts)"
            }
            Totals::Perturbed => {
                "perturbed like every other cell, on its own: not additive (a total may differ \
                 from the sum of its published parts)"
            }
        }
    }
}

/// A GSS symbol for a cell without a value (Government Statistical Service, "Symbols,
/// suppression and rounding").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Symbol {
    /// `c`: confidential (withheld to protect people).
    C,
    /// `x`: not available.
    X,
    /// `z`: not applicable.
    Z,
    /// `low`: rounds to 0 but is not 0.
    Low,
    /// `u`: low reliability.
    U,
}

impl Symbol {
    /// The symbol as published.
    pub const fn code(self) -> &'static str {
        match self {
            Symbol::C => "c",
            Symbol::X => "x",
            Symbol::Z => "z",
            Symbol::Low => "low",
            Symbol::U => "u",
        }
    }
}

/// Why a published cell is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellStatus {
    /// The true count.
    Exact,
    /// The true count rounded.
    Rounded,
    /// The true count perturbed (cell-key perturbation).
    Perturbed,
    /// Withheld: a small count (primary suppression).
    #[serde(rename = "suppressed-primary")]
    Primary,
    /// Withheld so that a withheld cell cannot be worked out from the others (secondary).
    #[serde(rename = "suppressed-secondary")]
    Secondary,
    /// Withheld: below the threshold after perturbation.
    BelowThreshold,
}

impl CellStatus {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            CellStatus::Exact => "exact",
            CellStatus::Rounded => "rounded",
            CellStatus::Perturbed => "perturbed",
            CellStatus::Primary => "suppressed-primary",
            CellStatus::Secondary => "suppressed-secondary",
            CellStatus::BelowThreshold => "below-threshold",
        }
    }
}

/// What a published row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowKind {
    /// A row of the count table at the level asked.
    AsAsked,
    /// A row of the count table placed coarser than asked.
    Coarser,
    /// A residual value.
    Residual,
    /// Small strata merged up to a coarser node ([`crate::CountTable::merged_up`]).
    Merged,
    /// A node above the level counted: the sum of its children (and of the counts kept at it).
    Subtotal,
    /// Every count of the combination.
    Total,
}

impl RowKind {
    /// The name used in output (the CSV's `placement` column).
    pub const fn name(self) -> &'static str {
        match self {
            RowKind::AsAsked => "as-asked",
            RowKind::Coarser => "coarser",
            RowKind::Residual => "residual",
            RowKind::Merged => "merged",
            RowKind::Subtotal => "subtotal",
            RowKind::Total => "total",
        }
    }
}

/// One row of a published table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedRow {
    /// The dimensions with a value in this row (as [`CountRow::by`]).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_object")]
    pub by: Vec<(String, String)>,
    /// The dimensions summed over (a margin), in the table's order; empty for the table's own
    /// combinations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub margin: Vec<String>,
    /// The node; `None` for a total.
    pub code: Option<Node>,
    /// Its label (`Total` for a total).
    pub label: &'static str,
    /// Its level; `None` for a total.
    pub level: Option<Level>,
    /// What it counts.
    pub kind: RowKind,
    /// The published count; `None` when withheld.
    pub count: Option<u64>,
    /// The GSS symbol when withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Why the cell is what it is.
    pub status: CellStatus,
}

/// A table as published under a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedTable {
    /// The level counted.
    pub to: Level,
    /// The dimensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<String>,
    /// The policy, its rules and what it did.
    pub disclosure: Disclosure,
    /// The rows: combination by combination (the table's own, then the margins), each one's
    /// rows, subtotals and total.
    pub rows: Vec<PublishedRow>,
}

/// The policy a table was published under, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disclosure {
    /// The policy as given (`suppress:10`, `ons-ckm:ptable.csv`).
    pub policy: String,
    /// What it does, for people.
    pub description: String,
    /// How it treats totals.
    pub totals: Totals,
    /// What [`Disclosure::totals`] means.
    pub totals_note: &'static str,
    /// Cells withheld as small counts (or below the threshold after perturbation).
    pub primary: u64,
    /// Cells withheld to protect them.
    pub secondary: u64,
    /// The audit of the suppression (suppressing policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<Audit>,
}

fn policy_error(msg: String) -> Error {
    Error::new(ErrorKind::Disclosure(msg), Location::default())
}

impl DisclosurePolicy {
    /// The policy named by `text`: `none`, `suppress:N`, `round:N`, `nhs-secondary-care`,
    /// `ons-ckm:PTABLE` or `ons-ckm:THRESHOLD:PTABLE` (a ptable CSV file, read now; the
    /// threshold is 10 unless given).
    pub fn parse(text: &str) -> Result<DisclosurePolicy> {
        let number = |what: &str, raw: &str| {
            raw.trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| {
                    policy_error(format!(
                        "{what}: `{raw}` is not a whole number of 1 or more"
                    ))
                })
        };
        let (name, arg) = text.split_once(':').unwrap_or((text, ""));
        match (name.trim(), arg) {
            ("none", "") => Ok(DisclosurePolicy::None),
            ("nhs-secondary-care", "") => Ok(DisclosurePolicy::NhsSecondaryCare),
            ("suppress", n) => Ok(DisclosurePolicy::Suppress {
                threshold: number("suppress:N", n)?,
            }),
            ("round", n) => Ok(DisclosurePolicy::Round {
                base: number("round:N", n)?,
            }),
            ("ons-ckm", rest) if !rest.is_empty() => {
                let (threshold, path) = match rest.split_once(':') {
                    Some((t, p)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                        (Some(t), p)
                    }
                    _ => (None, rest),
                };
                let text = std::fs::read(path)
                    .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(path)))?;
                let mut ptable = Ptable::from_csv(path, &text)?;
                if let Some(t) = threshold {
                    ptable.threshold = t.parse().map_err(|_| {
                        policy_error(format!("ons-ckm: threshold `{t}` is too large"))
                    })?;
                }
                Ok(DisclosurePolicy::OnsCkm(ptable))
            }
            _ => Err(policy_error(format!(
                "unknown disclosure policy `{text}`: give none, suppress:N, round:N, \
                 nhs-secondary-care or ons-ckm:PTABLE (a ptable CSV file)"
            ))),
        }
    }

    /// The policy's name, as [`DisclosurePolicy::parse`] reads it.
    pub fn name(&self) -> String {
        match self {
            DisclosurePolicy::None => "none".to_owned(),
            DisclosurePolicy::Suppress { threshold } => format!("suppress:{threshold}"),
            DisclosurePolicy::Round { base } => format!("round:{base}"),
            DisclosurePolicy::NhsSecondaryCare => "nhs-secondary-care".to_owned(),
            DisclosurePolicy::OnsCkm(p) if p.threshold == CKM_DEFAULT_THRESHOLD => {
                format!("ons-ckm:{}", p.source)
            }
            DisclosurePolicy::OnsCkm(p) => format!("ons-ckm:{}:{}", p.threshold, p.source),
        }
    }

    /// What the policy does, for people.
    pub fn description(&self) -> String {
        match self {
            DisclosurePolicy::None => "no disclosure control: every cell exact".to_owned(),
            DisclosurePolicy::Suppress { threshold } => format!(
                "counts from 1 to {} withheld (c), then secondary suppression until no withheld \
                 cell can be worked out from the published cells along the hierarchy, the totals \
                 and every margin; 0 published",
                threshold - 1
            ),
            DisclosurePolicy::Round { base } => {
                format!("every cell rounded to the nearest multiple of {base}, halves up")
            }
            DisclosurePolicy::NhsSecondaryCare => "NHS Digital secondary care (HES) rule below \
                national level: counts from 1 to 7 withheld (c), with secondary suppression; \
                every other count rounded to the nearest 5; 0 published"
                .to_owned(),
            DisclosurePolicy::OnsCkm(p) => format!(
                "ONS cell-key perturbation with the ptable {} (cell key = sum of the records' \
                 keys mod {}); perturbed counts below {} withheld (c)",
                p.source,
                p.modulus(),
                p.threshold
            ),
        }
    }

    /// How the policy treats the totals it publishes.
    pub const fn totals(&self) -> Totals {
        match self {
            DisclosurePolicy::None | DisclosurePolicy::Suppress { .. } => Totals::Exact,
            DisclosurePolicy::Round { .. } | DisclosurePolicy::NhsSecondaryCare => Totals::Rounded,
            DisclosurePolicy::OnsCkm(_) => Totals::Perturbed,
        }
    }

    /// The table to publish: `table`'s rows with every subtotal, total and margin, under this
    /// policy. A suppressing policy's table is audited; it is an error
    /// ([`ErrorKind::Disclosure`]) when a withheld cell could still be worked out, as when
    /// cell-key perturbation is asked of a table without record keys.
    pub fn apply(&self, table: &CountTable) -> Result<PublishedTable> {
        let grid = Grid::of(table)?;
        let order = grid.order();
        let mut row_of = vec![0; grid.cells.len()];
        for (r, &i) in order.iter().enumerate() {
            row_of[i] = r;
        }
        let exact = |i: usize| (Some(grid.cells[i].count), None, CellStatus::Exact);
        let mut cells: Vec<(Option<u64>, Option<Symbol>, CellStatus)> =
            (0..grid.cells.len()).map(exact).collect();
        let mut audit = None;
        match self {
            DisclosurePolicy::None => {}
            DisclosurePolicy::Suppress { threshold } => {
                audit = Some(suppress(&grid, *threshold, &row_of, &mut cells)?);
            }
            DisclosurePolicy::Round { base } => {
                for (i, c) in cells.iter_mut().enumerate() {
                    *c = (
                        Some(round(grid.cells[i].count, *base)?),
                        None,
                        CellStatus::Rounded,
                    );
                }
            }
            DisclosurePolicy::NhsSecondaryCare => {
                audit = Some(suppress(&grid, 8, &row_of, &mut cells)?);
                for (i, c) in cells.iter_mut().enumerate() {
                    if c.2 == CellStatus::Exact {
                        *c = (
                            Some(round(grid.cells[i].count, 5)?),
                            None,
                            CellStatus::Rounded,
                        );
                    }
                }
            }
            DisclosurePolicy::OnsCkm(ptable) => {
                for (i, c) in cells.iter_mut().enumerate() {
                    let cell = &grid.cells[i];
                    let Some(keys) = cell.record_keys else {
                        return Err(policy_error(
                            "ons-ckm needs each record's key: aggregate records with a record \
                             key column (--record-key-column)"
                                .to_owned(),
                        ));
                    };
                    let v = ptable.perturb(cell.count, keys)?;
                    *c = if v < ptable.threshold {
                        (None, Some(Symbol::C), CellStatus::BelowThreshold)
                    } else {
                        let v = u64::try_from(v).map_err(|_| {
                            policy_error(format!(
                                "the ptable makes a count of {} negative ({v}) with a threshold \
                                 of {}: give a threshold of 1 or more",
                                cell.count, ptable.threshold
                            ))
                        })?;
                        (Some(v), None, CellStatus::Perturbed)
                    };
                }
            }
        }
        let count = |s: CellStatus| cells.iter().filter(|c| c.2 == s).count() as u64;
        let disclosure = Disclosure {
            policy: self.name(),
            description: self.description(),
            totals: self.totals(),
            totals_note: self.totals().describe(),
            primary: count(CellStatus::Primary) + count(CellStatus::BelowThreshold),
            secondary: count(CellStatus::Secondary),
            audit,
        };
        let rows = order
            .iter()
            .map(|&i| {
                let (count, symbol, status) = cells[i];
                published_row(table, &grid, i, count, symbol, status)
            })
            .collect();
        Ok(PublishedTable {
            to: table.to,
            dimensions: table.dimensions.clone(),
            disclosure,
            rows,
        })
    }
}

/// The published row of cell `i`.
fn published_row(
    table: &CountTable,
    grid: &Grid,
    i: usize,
    count: Option<u64>,
    symbol: Option<Symbol>,
    status: CellStatus,
) -> PublishedRow {
    let cell = &grid.cells[i];
    let combo = &grid.combos[cell.combo];
    let mut by = Vec::new();
    let mut margin = Vec::new();
    for (d, v) in table.dimensions.iter().zip(combo) {
        match v {
            Some(v) => by.push((d.clone(), v.clone())),
            None => margin.push(d.clone()),
        }
    }
    let (code, kind) = match cell.key {
        Key::Cell(Placement::AsAsked, n) => (Some(n), RowKind::AsAsked),
        Key::Cell(Placement::Coarser, n) => (Some(n), RowKind::Coarser),
        Key::Cell(Placement::Merged, n) => (Some(n), RowKind::Merged),
        Key::Cell(Placement::Residual, n) => (Some(n), RowKind::Residual),
        Key::Subtotal(n) => (Some(n), RowKind::Subtotal),
        Key::Total => (None, RowKind::Total),
    };
    PublishedRow {
        by,
        margin,
        code,
        label: code.map_or("Total", Node::label),
        level: code.map(Node::level),
        kind,
        count,
        symbol,
        status,
    }
}

/// `n` rounded to the nearest multiple of `base`, halves up.
fn round(n: u64, base: u64) -> Result<u64> {
    (n / base)
        .checked_mul(base)
        .and_then(|down| {
            if (n % base) * 2 >= base {
                down.checked_add(base)
            } else {
                Some(down)
            }
        })
        .ok_or_else(|| policy_error(format!("{n} is too large to round to {base}")))
}

/// Withholds every cell from 1 to `threshold - 1`, then protects them (secondary suppression
/// until the audit passes); the audit of the result.
fn suppress(
    grid: &Grid,
    threshold: u64,
    row_of: &[usize],
    cells: &mut [(Option<u64>, Option<Symbol>, CellStatus)],
) -> Result<Audit> {
    let mut withheld = vec![false; grid.cells.len()];
    for (i, c) in grid.cells.iter().enumerate() {
        if (1..threshold).contains(&c.count) {
            withheld[i] = true;
            cells[i] = (None, Some(Symbol::C), CellStatus::Primary);
        }
    }
    // Which relations each cell is in, and how a cell ranks as a secondary: smallest count,
    // the table's own cells before subtotals and totals, finer margins before coarser.
    let mut relations_of: Vec<Vec<usize>> = vec![Vec::new(); grid.cells.len()];
    for (r, (whole, parts)) in grid.relations.iter().enumerate() {
        for &c in std::iter::once(whole).chain(parts) {
            relations_of[c].push(r);
        }
    }
    let rank = |i: usize| {
        let c = &grid.cells[i];
        let kind = match c.key {
            Key::Cell(..) => 0,
            Key::Subtotal(_) => 1,
            Key::Total => 2,
        };
        let summed = grid.combos[c.combo].iter().filter(|v| v.is_none()).count();
        (c.count, kind, summed, i)
    };
    let members = |r: usize| {
        let (whole, parts) = &grid.relations[r];
        std::iter::once(*whole).chain(parts.iter().copied())
    };
    // A non-zero cell if the relation has one; a 0 only when it has no other (withholding
    // every cell of the relations protects them all, so this always ends).
    let best_in = |withheld: &[bool], r: usize| {
        let open = || members(r).filter(|&c| !withheld[c]);
        open()
            .filter(|&c| grid.cells[c].count > 0)
            .min_by_key(|&c| rank(c))
            .or_else(|| open().min_by_key(|&c| rank(c)))
    };
    let mut secondary = |withheld: &mut [bool], c: usize| {
        withheld[c] = true;
        cells[c] = (None, Some(Symbol::C), CellStatus::Secondary);
    };
    loop {
        // Every relation with exactly one withheld cell gives that cell away.
        let mut changed = true;
        while changed {
            changed = false;
            for r in 0..grid.relations.len() {
                if members(r).filter(|&c| withheld[c]).count() == 1
                    && let Some(c) = best_in(&withheld, r)
                {
                    secondary(&mut withheld, c);
                    changed = true;
                }
            }
        }
        let audit = audit::audit(grid, &withheld, row_of)?;
        if audit.passed() {
            return Ok(audit);
        }
        // A cell still worked out by combining relations: withhold one more cell beside it.
        let cell_at: HashMap<usize, usize> =
            row_of.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        let more = audit
            .cells
            .iter()
            .filter(|b| !b.protected)
            .flat_map(|b| relations_of[cell_at[&b.row]].iter())
            .filter_map(|&r| best_in(&withheld, r))
            .min_by_key(|&c| rank(c));
        match more {
            Some(c) => secondary(&mut withheld, c),
            None => {
                return Err(policy_error(
                    "secondary suppression cannot protect every withheld cell of this table: \
                     it is not written"
                        .to_owned(),
                ));
            }
        }
    }
}

/// Audits `published` (made from `table`) as an attacker would: the interval of every withheld
/// cell from the published cells and the table's relations. `published` must have been made
/// from `table` (its rows in the same order), with any pattern of withheld cells.
pub fn audit(table: &CountTable, published: &PublishedTable) -> Result<Audit> {
    let grid = Grid::of(table)?;
    let order = grid.order();
    if order.len() != published.rows.len() {
        return Err(policy_error(
            "the published table was not made from this count table".to_owned(),
        ));
    }
    let mut row_of = vec![0; grid.cells.len()];
    let mut withheld = vec![false; grid.cells.len()];
    for (r, &i) in order.iter().enumerate() {
        row_of[i] = r;
        withheld[i] = published.rows[r].count.is_none();
    }
    audit::audit(&grid, &withheld, &row_of)
}

/// A count table holding the published counts of `t`'s own rows (0 where withheld), for rates.
fn published_counts(t: &PublishedTable) -> CountTable {
    let rows: Vec<CountRow> = t
        .rows
        .iter()
        .filter(|r| r.margin.is_empty())
        .filter_map(|r| {
            let placement = match r.kind {
                RowKind::AsAsked => Placement::AsAsked,
                RowKind::Coarser => Placement::Coarser,
                RowKind::Residual => Placement::Residual,
                RowKind::Merged => Placement::Merged,
                RowKind::Subtotal | RowKind::Total => return None,
            };
            let code = r.code?;
            Some(CountRow {
                by: r.by.clone(),
                code,
                label: r.label,
                level: code.level(),
                count: r.count.unwrap_or(0),
                placement,
                record_keys: None,
            })
        })
        .collect();
    let total = rows.iter().map(|r| r.count).fold(0, u64::saturating_add);
    let sum = |p: Placement| {
        rows.iter()
            .filter(|r| r.placement == p)
            .map(|r| r.count)
            .fold(0, u64::saturating_add)
    };
    CountTable {
        to: t.to,
        dimensions: t.dimensions.clone(),
        input_rows: rows.len() as u64,
        rejected_rows: 0,
        input_total: total,
        output_total: total,
        rejected_total: 0,
        coarser_total: sum(Placement::Coarser),
        residual_total: sum(Placement::Residual),
        most_likely_total: 0,
        observed_total: 0,
        standard_version: crate::standard::STANDARD_VERSION,
        rows,
    }
}

/// One row of published rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRate {
    /// The row's combination of dimensions.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_object")]
    pub by: Vec<(String, String)>,
    /// The node.
    pub code: Node,
    /// The rate row, computed from the published counts; `None` when withheld.
    pub rate: Option<RateRow>,
    /// `c` when the numerator or the denominator is withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// `c` when the ratio is withheld because the reference row's counts are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_symbol: Option<Symbol>,
}

/// Rates between two tables published under one policy: each rate from the published counts (so
/// a rounded or perturbed count gives its rate, never the exact one), withheld (`c`) when its
/// numerator or denominator is, and its ratio withheld when the reference row's counts are.
pub fn published_rates(
    numerator: &PublishedTable,
    denominator: &PublishedTable,
    kind: RateKind,
    reference: Node,
) -> Result<Vec<PublishedRate>> {
    let table = rates(
        &published_counts(numerator),
        &published_counts(denominator),
        kind,
        reference,
    )?;
    Ok(withhold(
        table,
        &withheld(numerator, denominator, None),
        reference,
    ))
}

/// Directly age-standardised rates between two tables published under one policy: the
/// age-specific rates from the published counts, standardised over the dimension `age` with the
/// weights of `standard` ([`age_standardised`]). A standardised rate is withheld (`c`) when any
/// of its age bands' numerator or denominator is (its value would give the withheld count back,
/// the weights and the other bands being known), and its ratio when the reference's is.
pub fn published_age_standardised(
    numerator: &PublishedTable,
    denominator: &PublishedTable,
    (kind, reference): (RateKind, Node),
    age: &str,
    standard: &StandardPopulation,
) -> Result<Vec<PublishedRate>> {
    let bands = rates(
        &published_counts(numerator),
        &published_counts(denominator),
        kind,
        reference,
    )?;
    let at = bands.dimensions.iter().position(|d| d == age);
    let table = age_standardised(&bands, age, standard)?;
    Ok(withhold(
        table,
        &withheld(numerator, denominator, at),
        reference,
    ))
}

/// The cells (combination, node) whose numerator or denominator the policy withheld; with
/// `without`, the combination less that dimension (so a cell of any age band marks its stratum).
fn withheld(
    numerator: &PublishedTable,
    denominator: &PublishedTable,
    without: Option<usize>,
) -> HashSet<(Vec<(String, String)>, Node)> {
    [numerator, denominator]
        .into_iter()
        .flat_map(|t| &t.rows)
        .filter(|r| r.margin.is_empty() && !matches!(r.kind, RowKind::Subtotal | RowKind::Total))
        .filter(|r| r.count.is_none())
        .filter_map(|r| {
            let mut by = r.by.clone();
            if let Some(i) = without.filter(|&i| i < by.len()) {
                by.remove(i);
            }
            Some((by, r.code?))
        })
        .collect()
}

/// `table`'s rows published: a row whose cell is `hidden` withheld (`c`), and the ratio of a row
/// whose reference is.
fn withhold(
    table: RateTable,
    hidden: &HashSet<(Vec<(String, String)>, Node)>,
    reference: Node,
) -> Vec<PublishedRate> {
    let is_hidden = |by: &[(String, String)], code: Node| hidden.contains(&(by.to_vec(), code));
    table
        .rows
        .into_iter()
        .map(|mut rate| {
            let (by, code) = (rate.by.clone(), rate.code);
            if is_hidden(&by, code) {
                return PublishedRate {
                    by,
                    code,
                    rate: None,
                    symbol: Some(Symbol::C),
                    ratio_symbol: None,
                };
            }
            let ratio_symbol =
                (code != reference && is_hidden(&by, reference)).then_some(Symbol::C);
            if ratio_symbol.is_some() {
                (rate.ratio, rate.ratio_lower, rate.ratio_upper) = (None, None, None);
            }
            PublishedRate {
                by,
                code,
                rate: Some(rate),
                symbol: None,
                ratio_symbol,
            }
        })
        .collect()
}
