//! The audit of a suppression pattern: for every withheld cell, the interval an attacker gets
//! from the published cells and the table's additive relations (every count at least 0), by
//! linear programming in exact rational arithmetic (the simplex method with Bland's rule, on
//! 128-bit fractions; an overflow stops the audit with an error, never a wrong answer).
//!
//! A cell is protected when its interval holds a whole value other than its true one: the
//! smallest value consistent with the published cells is at least 1 below it, or the largest at
//! least 1 above it (or there is no largest). The interval is the one of the linear relaxation
//! (counts as real numbers at least 0), as tau-Argus audits; the property test in
//! `tests/suite/disclosure.rs` checks it against an attacker who enumerates every table of
//! whole counts.

use super::grid::Grid;
use crate::error::{Error, ErrorKind, Location, Result};
use serde::Serialize;
use std::cmp::Ordering;

fn arithmetic() -> Error {
    Error::new(
        ErrorKind::Disclosure(
            "the audit's exact arithmetic overflowed (the table is too large to audit): the \
             table is not written"
                .to_owned(),
        ),
        Location::default(),
    )
}

/// An exact fraction; the denominator is positive and the fraction in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Q {
    n: i128,
    d: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Q {
    const ZERO: Q = Q { n: 0, d: 1 };
    const ONE: Q = Q { n: 1, d: 1 };

    fn int(n: i128) -> Q {
        Q { n, d: 1 }
    }

    fn new(n: i128, d: i128) -> Result<Q> {
        if d == 0 {
            return Err(arithmetic());
        }
        let g = gcd(n, d).max(1);
        let (n, d) = (n / g, d / g);
        Ok(if d < 0 {
            Q {
                n: n.checked_neg().ok_or_else(arithmetic)?,
                d: d.checked_neg().ok_or_else(arithmetic)?,
            }
        } else {
            Q { n, d }
        })
    }

    fn mul(self, o: Q) -> Result<Q> {
        let g1 = gcd(self.n, o.d).max(1);
        let g2 = gcd(o.n, self.d).max(1);
        let n = (self.n / g1).checked_mul(o.n / g2).ok_or_else(arithmetic)?;
        let d = (self.d / g2).checked_mul(o.d / g1).ok_or_else(arithmetic)?;
        Q::new(n, d)
    }

    fn div(self, o: Q) -> Result<Q> {
        self.mul(Q::new(o.d, o.n)?)
    }

    fn sub(self, other: Q) -> Result<Q> {
        let common = gcd(self.d, other.d).max(1);
        let lcm = (self.d / common)
            .checked_mul(other.d)
            .ok_or_else(arithmetic)?;
        let left = self.n.checked_mul(lcm / self.d).ok_or_else(arithmetic)?;
        let right = other.n.checked_mul(lcm / other.d).ok_or_else(arithmetic)?;
        Q::new(left.checked_sub(right).ok_or_else(arithmetic)?, lcm)
    }

    fn add(self, o: Q) -> Result<Q> {
        self.sub(Q::ZERO.sub(o)?)
    }

    /// Compares two fractions exactly (denominators are positive).
    fn compare(self, o: Q) -> Result<Ordering> {
        let a = self.n.checked_mul(o.d).ok_or_else(arithmetic)?;
        let b = o.n.checked_mul(self.d).ok_or_else(arithmetic)?;
        Ok(a.cmp(&b))
    }

    fn signum(self) -> i128 {
        self.n.signum()
    }

    #[allow(clippy::cast_precision_loss)]
    fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }
}

/// A simplex tableau in equality form: rows `[coefficients.., right-hand side]`, and the basic
/// column of each row.
#[derive(Debug, Clone)]
struct Tableau {
    rows: Vec<Vec<Q>>,
    basis: Vec<usize>,
    columns: usize,
}

/// How a maximisation ended.
enum Optimum {
    /// The maximum.
    At(Q),
    Unbounded,
}

impl Tableau {
    fn pivot(&mut self, r: usize, c: usize) -> Result<()> {
        let p = self.rows[r][c];
        for v in &mut self.rows[r] {
            *v = v.div(p)?;
        }
        let pivot_row = self.rows[r].clone();
        for (i, row) in self.rows.iter_mut().enumerate() {
            let f = row[c];
            if i != r && f.signum() != 0 {
                for (v, p) in row.iter_mut().zip(&pivot_row) {
                    *v = v.sub(f.mul(*p)?)?;
                }
            }
        }
        self.basis[r] = c;
        Ok(())
    }

    /// Maximises `cost · x` over the columns `0..usable` from the current basic feasible
    /// solution, entering and leaving by Bland's rule (so it cannot cycle).
    fn maximise(&mut self, cost: &[Q], usable: usize) -> Result<Optimum> {
        let rhs = self.columns;
        loop {
            let mut entering = None;
            for j in 0..usable {
                if self.basis.contains(&j) {
                    continue;
                }
                let mut reduced = cost[j];
                for (r, &b) in self.basis.iter().enumerate() {
                    if cost[b].signum() != 0 && self.rows[r][j].signum() != 0 {
                        reduced = reduced.sub(cost[b].mul(self.rows[r][j])?)?;
                    }
                }
                if reduced.signum() > 0 {
                    entering = Some(j);
                    break;
                }
            }
            let Some(j) = entering else {
                let mut value = Q::ZERO;
                for (r, &b) in self.basis.iter().enumerate() {
                    value = value.add(cost[b].mul(self.rows[r][rhs])?)?;
                }
                return Ok(Optimum::At(value));
            };
            let mut leaving: Option<(usize, Q)> = None;
            for (r, row) in self.rows.iter().enumerate() {
                if row[j].signum() > 0 {
                    let ratio = row[rhs].div(row[j])?;
                    let better = match leaving {
                        None => true,
                        Some((l, best)) => match ratio.compare(best)? {
                            Ordering::Less => true,
                            Ordering::Equal => self.basis[r] < self.basis[l],
                            Ordering::Greater => false,
                        },
                    };
                    if better {
                        leaving = Some((r, ratio));
                    }
                }
            }
            match leaving {
                Some((r, _)) => self.pivot(r, j)?,
                None => return Ok(Optimum::Unbounded),
            }
        }
    }
}

/// What an attacker learns about one withheld cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellBounds {
    /// The cell: its index in [`super::PublishedTable::rows`].
    pub row: usize,
    /// The smallest value consistent with the published cells.
    pub lower: f64,
    /// The largest; `None` when there is no largest.
    pub upper: Option<f64>,
    /// Whether the interval holds a whole value other than the cell's true one (see the
    /// module's documentation).
    pub protected: bool,
}

impl CellBounds {
    /// The width of the interval; `None` when it has no upper end.
    pub fn width(&self) -> Option<f64> {
        self.upper.map(|u| u - self.lower)
    }
}

/// The audit of a suppression pattern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// How the intervals were found.
    pub method: &'static str,
    /// Every withheld cell, with its interval.
    pub cells: Vec<CellBounds>,
}

impl Audit {
    /// True when every withheld cell is protected.
    pub fn passed(&self) -> bool {
        self.cells.iter().all(|c| c.protected)
    }

    /// The narrowest interval an attacker gets (the cell and its width); `None` with no withheld
    /// cell or only unbounded ones.
    pub fn narrowest(&self) -> Option<(&CellBounds, f64)> {
        self.cells
            .iter()
            .filter_map(|c| c.width().map(|w| (c, w)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The method, as the audit names it.
pub(super) const METHOD: &str = "exact linear programming (rational simplex) over every \
additive relation of the table, counts at least 0; protected when the interval holds a whole \
value other than the true one";

/// The root of `i` in the union-find forest `c`.
fn find(c: &mut [usize], mut i: usize) -> usize {
    while c[i] != i {
        c[i] = c[c[i]];
        i = c[i];
    }
    i
}

/// Audits `withheld` (one flag per cell of `grid`): the interval of every withheld cell.
/// `row_of[cell]` is the cell's row in the published table.
pub(super) fn audit(grid: &Grid, withheld: &[bool], row_of: &[usize]) -> Result<Audit> {
    // Variables: the withheld cells, in components linked by relations.
    let mut var: Vec<Option<usize>> = vec![None; grid.cells.len()];
    let mut vars: Vec<usize> = Vec::new();
    for (i, &w) in withheld.iter().enumerate() {
        if w {
            var[i] = Some(vars.len());
            vars.push(i);
        }
    }
    // The relations with a withheld cell, as sum(withheld parts) - withheld whole = rhs.
    let mut equations: Vec<(Vec<(usize, i128)>, i128)> = Vec::new();
    for (whole, parts) in &grid.relations {
        let mut coef: Vec<(usize, i128)> = Vec::new();
        let mut rhs: i128 = 0;
        let mut term = |cell: usize, sign: i128| match var[cell] {
            Some(v) => coef.push((v, sign)),
            None => rhs -= sign * i128::from(grid.cells[cell].count),
        };
        term(*whole, -1);
        for &p in parts {
            term(p, 1);
        }
        if !coef.is_empty() {
            equations.push((coef, rhs));
        }
    }
    let mut component: Vec<usize> = (0..vars.len()).collect();
    for (coef, _) in &equations {
        for w in coef.windows(2) {
            let (a, b) = (find(&mut component, w[0].0), find(&mut component, w[1].0));
            component[a] = b;
        }
    }
    let mut cells = Vec::with_capacity(vars.len());
    let mut done = vec![false; vars.len()];
    for v in 0..vars.len() {
        let root = find(&mut component, v);
        if done[root] {
            continue;
        }
        done[root] = true;
        let members: Vec<usize> = (0..vars.len())
            .filter(|&u| find(&mut component, u) == root)
            .collect();
        let local = |u: usize| members.binary_search(&u).ok();
        let eqs: Vec<&(Vec<(usize, i128)>, i128)> = equations
            .iter()
            .filter(|(c, _)| c.first().is_some_and(|&(u, _)| local(u).is_some()))
            .collect();
        let mut tableau = feasible(members.len(), &eqs, &local)?;
        for (k, &u) in members.iter().enumerate() {
            let cell = vars[u];
            let truth = Q::int(i128::from(grid.cells[cell].count));
            let mut cost = vec![Q::ZERO; members.len()];
            cost[k] = Q::ONE;
            // Each optimisation starts from the basis the last one ended at: any basic
            // feasible solution will do.
            let hi = tableau.maximise(&cost, members.len())?;
            cost[k] = Q::int(-1);
            let lo = tableau.maximise(&cost, members.len())?;
            // Another whole value within the attacker's interval: at least one below or above.
            let (upper, above) = match &hi {
                Optimum::At(v) => (Some(v.to_f64()), v.compare(truth.add(Q::ONE)?)?.is_ge()),
                Optimum::Unbounded => (None, true),
            };
            let (lower, below) = match &lo {
                Optimum::At(v) => {
                    let lo = Q::ZERO.sub(*v)?;
                    (lo.to_f64(), lo.compare(truth.sub(Q::ONE)?)?.is_le())
                }
                // A count cannot be below 0: a minimum always exists.
                Optimum::Unbounded => return Err(arithmetic()),
            };
            cells.push(CellBounds {
                row: row_of[cell],
                lower,
                upper,
                protected: above || below,
            });
        }
    }
    cells.sort_by_key(|c| c.row);
    Ok(Audit {
        method: METHOD,
        cells,
    })
}

/// A basic feasible solution of the equations `eqs` over `n` variables (phase one of the
/// simplex method, with one artificial variable per equation), artificial columns removed and
/// redundant equations dropped.
fn feasible(
    n: usize,
    eqs: &[&(Vec<(usize, i128)>, i128)],
    local: &dyn Fn(usize) -> Option<usize>,
) -> Result<Tableau> {
    let m = eqs.len();
    let columns = n + m;
    let mut rows = Vec::with_capacity(m);
    for (r, (coef, rhs)) in eqs.iter().enumerate() {
        let sign = if *rhs < 0 { -1 } else { 1 };
        let mut row = vec![Q::ZERO; columns + 1];
        for &(u, c) in coef {
            let k = local(u).ok_or_else(arithmetic)?;
            row[k] = row[k].sub(Q::int(-c * sign))?;
        }
        row[n + r] = Q::ONE;
        row[columns] = Q::int(rhs * sign);
        rows.push(row);
    }
    let mut t = Tableau {
        rows,
        basis: (n..columns).collect(),
        columns,
    };
    let mut cost = vec![Q::ZERO; columns];
    for c in &mut cost[n..] {
        *c = Q::int(-1);
    }
    match t.maximise(&cost, columns)? {
        Optimum::At(v) if v.signum() == 0 => {}
        // The true table satisfies every equation: infeasible means an inconsistent grid.
        _ => {
            return Err(Error::new(
                ErrorKind::Disclosure(
                    "the table's relations are inconsistent: it cannot be audited".to_owned(),
                ),
                Location::default(),
            ));
        }
    }
    // Drive artificial variables out of the basis, or drop their (redundant) equations.
    let mut r = 0;
    while r < t.rows.len() {
        if t.basis[r] >= n {
            if let Some(j) = (0..n).find(|&j| t.rows[r][j].signum() != 0) {
                t.pivot(r, j)?;
            } else {
                t.rows.remove(r);
                t.basis.remove(r);
                continue;
            }
        }
        r += 1;
    }
    for row in &mut t.rows {
        row.drain(n..columns);
    }
    t.columns = n;
    Ok(t)
}
