//! Rates and ratios between ethnic groups: a numerator and a denominator per node of the
//! standard (and per combination of dimensions), the rate with its 95% confidence interval, and
//! the ratio to a reference node with its interval: the relative rate index used to track
//! disproportionality.
//!
//! Two kinds of rate:
//! - [`RateKind::Proportion`]: the numerator is part of the denominator (free-school-meal pupils
//!   among all pupils). Interval: Wilson score. Ratio: the risk ratio, interval by the log method
//!   (`se = sqrt(1/a - 1/n + 1/b - 1/m)`).
//! - [`RateKind::PerPopulation`]: events against a population counted apart (arrests against
//!   Census residents), per `per` people. Interval: Byar's approximation to the exact Poisson
//!   interval. Ratio: the rate ratio, interval by the log method (`se = sqrt(1/a + 1/b)`).
//!
//! Nodes are compared at the level of the tables only. A count that came in coarser than asked
//! keeps its own row, marked [`Placement::Coarser`], and gets no ratio: it is never dropped and
//! never compared with finer nodes. A ratio needs events on both sides: with none it is absent.
//!
//! ```
//! use wm_ethnicity::{Aggregator, Level, Node, Policy, RateKind, Source, builtin_scheme, convert_code, rates};
//!
//! let dfe = Source::from(builtin_scheme("dfe-cbds").unwrap());
//! let count = |pairs: &[(&str, u64)]| {
//!     let mut a = Aggregator::new(Level::Category).unwrap();
//!     for (code, n) in pairs {
//!         a.add(&convert_code(dfe, code, Policy::Strict).unwrap(), *n).unwrap();
//!     }
//!     a.finish()
//! };
//! let fsm = count(&[("WBRI", 20), ("APKN", 30)]);
//! let all = count(&[("WBRI", 100), ("APKN", 75)]);
//! let t = rates(&fsm, &all, RateKind::Proportion, Node::from_code("white.british").unwrap()).unwrap();
//! let pakistani = t.rows.iter().find(|r| r.code.code() == "asian.pakistani").unwrap();
//! assert_eq!(pakistani.value, Some(0.4));
//! assert_eq!(pakistani.ratio.map(|r| (r * 100.0).round() / 100.0), Some(2.0)); // 40% against 20%
//! ```

use crate::aggregate::{Aggregator, CellKey, CountTable, Placement};
use crate::census::{Population, census_2021};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::standard::{Level, Node};
use serde::Serialize;
use std::collections::HashMap;

/// The normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

/// What kind of rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RateKind {
    /// The numerator is a part of the denominator: a share (0 to 1).
    Proportion,
    /// Events per `per` people of a population counted apart.
    PerPopulation {
        /// The rate is per this many people (e.g. 1000).
        per: f64,
    },
}

/// One row: a node (in one combination of dimensions), its counts, rate and ratio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRow {
    /// The combination of dimensions, as [`crate::CountRow::by`].
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::aggregate::as_object"
    )]
    pub by: Vec<(String, String)>,
    /// The node.
    pub code: Node,
    /// Its label.
    pub label: &'static str,
    /// Its level.
    pub level: Level,
    /// Whether the counts are at the level asked, coarser, or residual.
    pub placement: Placement,
    /// The numerator.
    pub numerator: u64,
    /// The denominator.
    pub denominator: u64,
    /// The rate (a share, or per `per` people); `None` when the denominator is 0.
    pub value: Option<f64>,
    /// Lower bound of its 95% interval.
    pub lower: Option<f64>,
    /// Upper bound of its 95% interval.
    pub upper: Option<f64>,
    /// The ratio of this rate to the reference node's in the same combination; `None` for the
    /// reference itself, rows not at the level asked, and where either side has no events.
    pub ratio: Option<f64>,
    /// Lower bound of the ratio's 95% interval.
    pub ratio_lower: Option<f64>,
    /// Upper bound of the ratio's 95% interval.
    pub ratio_upper: Option<f64>,
}

/// Rates for every node of two count tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateTable {
    /// The kind of rate.
    #[serde(rename = "rate")]
    pub kind: RateKind,
    /// The level compared.
    pub to: Level,
    /// The dimensions, as [`CountTable::dimensions`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<String>,
    /// The reference node of the ratios.
    pub reference: Node,
    /// The rows, in the denominator table's order.
    pub rows: Vec<RateRow>,
    /// The standard population the rates are age-standardised to ([`age_standardised`]);
    /// `None` for crude rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_population: Option<String>,
}

fn mismatch(msg: String) -> Error {
    Error::new(ErrorKind::Input(msg), Location::default())
}

/// Rates of `numerator` over `denominator` (tables at one level, with the same dimensions), and
/// ratios to `reference` (a node at that level). A proportion's numerator may not exceed its
/// denominator.
pub fn rates(
    numerator: &CountTable,
    denominator: &CountTable,
    kind: RateKind,
    reference: Node,
) -> Result<RateTable> {
    if numerator.to != denominator.to {
        return Err(mismatch(format!(
            "the numerator is counted at {} and the denominator at {}: compare at one level",
            numerator.to, denominator.to
        )));
    }
    if numerator.dimensions != denominator.dimensions {
        return Err(mismatch(format!(
            "the numerator has dimensions [{}] and the denominator [{}]",
            numerator.dimensions.join(", "),
            denominator.dimensions.join(", ")
        )));
    }
    if reference.level() != denominator.to {
        return Err(mismatch(format!(
            "the reference {} is a {}, not a {}: give a node at the level compared",
            reference.code(),
            reference.level(),
            denominator.to
        )));
    }
    let key = |by: &[(String, String)], n: Node| (by.to_vec(), n);
    let mut num: HashMap<CellKey, u64> = HashMap::new();
    for r in &numerator.rows {
        *num.entry(key(&r.by, r.code)).or_default() += r.count;
    }
    let mut rows = Vec::with_capacity(denominator.rows.len());
    for r in &denominator.rows {
        let a = num.remove(&key(&r.by, r.code)).unwrap_or(0);
        if kind == RateKind::Proportion && a > r.count {
            return Err(mismatch(format!(
                "{}{}: the numerator {a} is more than the denominator {}: a proportion's \
                 numerator must be part of its denominator",
                r.code.code(),
                describe_by(&r.by),
                r.count
            )));
        }
        let (value, lower, upper) = interval(kind, a, r.count);
        rows.push(RateRow {
            by: r.by.clone(),
            code: r.code,
            label: r.label,
            level: r.level,
            placement: r.placement,
            numerator: a,
            denominator: r.count,
            value,
            lower,
            upper,
            ratio: None,
            ratio_lower: None,
            ratio_upper: None,
        });
    }
    if let Some(((by, node), n)) = num.into_iter().find(|(_, n)| *n > 0) {
        return Err(mismatch(format!(
            "{}{}: the numerator counts {n} where the denominator has no row",
            node.code(),
            describe_by(&by)
        )));
    }
    let references: HashMap<Vec<(String, String)>, (u64, u64)> = rows
        .iter()
        .filter(|r| r.code == reference)
        .map(|r| (r.by.clone(), (r.numerator, r.denominator)))
        .collect();
    for r in &mut rows {
        if r.code == reference || r.placement != Placement::AsAsked {
            continue;
        }
        if let Some(&(b, m)) = references.get(&r.by)
            && let Some((ratio, lo, hi)) = ratio(kind, (r.numerator, r.denominator), (b, m))
        {
            r.ratio = Some(ratio);
            r.ratio_lower = Some(lo);
            r.ratio_upper = Some(hi);
        }
    }
    Ok(RateTable {
        kind,
        to: denominator.to,
        dimensions: denominator.dimensions.clone(),
        reference,
        rows,
        standard_population: None,
    })
}

/// A standard population: a weight per age band (the values of an age dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct StandardPopulation {
    /// Its id (`esp2013`).
    pub id: &'static str,
    /// What it is and where it comes from.
    pub title: &'static str,
    /// Each band's weight.
    pub weights: Vec<(String, f64)>,
}

impl StandardPopulation {
    /// The 2013 European Standard Population in the bands of `census-2021-age-18`
    /// (`schema/published/esp2013-census-2021-age-18.csv`, its source in SOURCES.md).
    pub fn esp2013() -> StandardPopulation {
        let text = include_str!("../schema/published/esp2013-census-2021-age-18.csv");
        let weights = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(','))
            .filter_map(|(band, w)| Some((band.to_owned(), w.trim().parse().ok()?)))
            .collect();
        StandardPopulation {
            id: "esp2013",
            title: "the 2013 European Standard Population (Eurostat), in the 18 bands of Census \
                    2021 TS007A (85+ = 85-89 + 90+)",
            weights,
        }
    }

    /// The standard population named `id` (`esp2013`).
    pub fn builtin(id: &str) -> Option<StandardPopulation> {
        (id == "esp2013").then(StandardPopulation::esp2013)
    }
}

/// One node's age-specific counts, band by band, as standardisation sums them.
struct Strata {
    /// Events and population per band of the standard, in its order.
    bands: Vec<(u64, u64)>,
    placement: Placement,
}

/// Directly age-standardised rates: `table` (with an age dimension `age` whose values are the
/// bands of `standard`) summed over the ages, each node's rate the standard's weighted mean of
/// its age-specific rates. The interval is Dobson's method (Dobson et al. 1991, as the Public
/// Health England methods use it): Byar's interval of the events scaled by the rate's variance;
/// the ratio to the reference node's standardised rate by the log method
/// (`se = sqrt(var_a / dsr_a^2 + var_b / dsr_b^2)`). A node with no population in a band of the
/// standard has no standardised rate (it would have to assume one). A band the standard does not
/// have is an error.
pub fn age_standardised(
    table: &RateTable,
    age: &str,
    standard: &StandardPopulation,
) -> Result<RateTable> {
    let Some(at) = table.dimensions.iter().position(|d| d == age) else {
        return Err(mismatch(format!(
            "the table has no dimension `{age}` to standardise over (its dimensions: {})",
            table.dimensions.join(", ")
        )));
    };
    let (order, strata) = strata(table, at, age, standard)?;
    let scale = match table.kind {
        RateKind::Proportion => 1.0,
        RateKind::PerPopulation { per } => per,
    };
    let mut rows = Vec::with_capacity(order.len());
    let mut variances: HashMap<CellKey, (f64, f64)> = HashMap::new();
    for key in order {
        let s = &strata[&key];
        let events: u64 = s.bands.iter().map(|b| b.0).sum();
        let (mut value, mut lower, mut upper) = (None, None, None);
        if let Some((dsr, var)) = dsr(s, standard) {
            value = Some(dsr * scale);
            if let Some((lo, hi)) = dobson(dsr, var, events) {
                (lower, upper) = (Some(lo * scale), Some(hi * scale));
                variances.insert(key.clone(), (dsr, var));
            }
        }
        let (by, code) = key;
        rows.push(RateRow {
            by,
            code,
            label: code.label(),
            level: code.level(),
            placement: s.placement,
            numerator: events,
            denominator: s.bands.iter().map(|b| b.1).sum(),
            value,
            lower,
            upper,
            ratio: None,
            ratio_lower: None,
            ratio_upper: None,
        });
    }
    for r in &mut rows {
        if r.code == table.reference || r.placement != Placement::AsAsked {
            continue;
        }
        let a = variances.get(&(r.by.clone(), r.code));
        let b = variances.get(&(r.by.clone(), table.reference));
        if let (Some(&(a, va)), Some(&(b, vb))) = (a, b) {
            let rr = a / b;
            let se = (va / (a * a) + vb / (b * b)).sqrt();
            (r.ratio, r.ratio_lower, r.ratio_upper) = (
                Some(rr),
                Some(rr * (-Z * se).exp()),
                Some(rr * (Z * se).exp()),
            );
        }
    }
    let mut dimensions = table.dimensions.clone();
    dimensions.remove(at);
    Ok(RateTable {
        kind: table.kind,
        to: table.to,
        dimensions,
        reference: table.reference,
        rows,
        standard_population: Some(standard.title.to_owned()),
    })
}

/// Each node's (and combination's, the age dimension `at` left out) counts per band of
/// `standard`, in the table's order.
fn strata(
    table: &RateTable,
    at: usize,
    age: &str,
    standard: &StandardPopulation,
) -> Result<(Vec<CellKey>, HashMap<CellKey, Strata>)> {
    let mut order: Vec<CellKey> = Vec::new();
    let mut strata: HashMap<CellKey, Strata> = HashMap::new();
    for r in &table.rows {
        let mut by = r.by.clone();
        let (_, band) = by.remove(at);
        let Some(i) = standard.weights.iter().position(|(b, _)| *b == band) else {
            return Err(mismatch(format!(
                "`{band}` (dimension `{age}`{}) is not an age band of the standard population \
                 {}: {}",
                describe_by(&by),
                standard.id,
                standard
                    .weights
                    .iter()
                    .map(|(b, _)| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let key = (by, r.code);
        let s = strata.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Strata {
                bands: vec![(0, 0); standard.weights.len()],
                placement: r.placement,
            }
        });
        s.bands[i].0 += r.numerator;
        s.bands[i].1 += r.denominator;
    }
    Ok((order, strata))
}

/// The directly standardised rate of `s` (as a share or per person) and its variance; `None`
/// when a band of the standard has no population.
#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn dsr(s: &Strata, standard: &StandardPopulation) -> Option<(f64, f64)> {
    let total: f64 = standard.weights.iter().map(|(_, w)| w).sum();
    let (mut dsr, mut var) = (0.0, 0.0);
    for ((o, n), (_, w)) in s.bands.iter().zip(&standard.weights) {
        if *n == 0 {
            if *w > 0.0 {
                return None;
            }
            continue;
        }
        let (o, n) = (*o as f64, *n as f64);
        dsr += w * o / n;
        var += w * w * o / (n * n);
    }
    Some((dsr / total, var / (total * total)))
}

/// Dobson's 95% interval of a standardised rate `dsr` with variance `var` from `events`
/// events: Byar's interval of the events, scaled; `None` with no events.
#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn dobson(dsr: f64, var: f64, events: u64) -> Option<(f64, f64)> {
    if events == 0 {
        return None;
    }
    let o = events as f64;
    let (ol, ou) = byar(o);
    let k = (var / o).sqrt();
    Some(((dsr + k * (ol - o)).max(0.0), dsr + k * (ou - o)))
}

fn describe_by(by: &[(String, String)]) -> String {
    if by.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = by.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!(" ({})", parts.join(", "))
    }
}

/// The rate and its 95% interval; all `None` when the denominator is 0.
#[allow(clippy::cast_precision_loss)]
fn interval(kind: RateKind, a: u64, n: u64) -> (Option<f64>, Option<f64>, Option<f64>) {
    if n == 0 {
        return (None, None, None);
    }
    let (x, n) = (a as f64, n as f64);
    match kind {
        RateKind::Proportion => {
            let (lo, hi) = wilson(x, n);
            (Some(x / n), Some(lo), Some(hi))
        }
        RateKind::PerPopulation { per } => {
            let (lo, hi) = byar(x);
            (Some(x / n * per), Some(lo / n * per), Some(hi / n * per))
        }
    }
}

/// Wilson's score interval for `x` successes in `n` trials.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let p = x / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Byar's approximation to the exact 95% Poisson interval of a count `x`.
fn byar(x: f64) -> (f64, f64) {
    let lower = if x == 0.0 {
        0.0
    } else {
        x * (1.0 - 1.0 / (9.0 * x) - Z / (3.0 * x.sqrt())).powi(3)
    };
    let y = x + 1.0;
    let upper = y * (1.0 - 1.0 / (9.0 * y) + Z / (3.0 * y.sqrt())).powi(3);
    (lower.max(0.0), upper)
}

/// The ratio of rate `a/n` to rate `b/m`, with its 95% interval by the log method; `None` when
/// either side has no events or no denominator.
#[allow(clippy::cast_precision_loss)]
fn ratio(kind: RateKind, (a, n): (u64, u64), (b, m): (u64, u64)) -> Option<(f64, f64, f64)> {
    if a == 0 || b == 0 || n == 0 || m == 0 {
        return None;
    }
    let (a, n, b, m) = (a as f64, n as f64, b as f64, m as f64);
    let rr = (a / n) / (b / m);
    let var = match kind {
        RateKind::Proportion => 1.0 / a - 1.0 / n + 1.0 / b - 1.0 / m,
        RateKind::PerPopulation { .. } => 1.0 / a + 1.0 / b,
    };
    let se = var.max(0.0).sqrt();
    Some((rr, rr * (-Z * se).exp(), rr * (Z * se).exp()))
}

/// Where a census denominator's area comes from.
#[derive(Debug, Clone, Copy)]
pub enum CensusArea<'a> {
    /// One area for every row.
    Fixed(&'a Population),
    /// The value of this dimension names each combination's area (a council's code, short id or
    /// name, `England`, `Wales`).
    Dimension(&'a str),
}

/// The Census 2021 population (usual residents, [`crate::census_2021`]) as a denominator for
/// `numerator`: the same level and dimensions, each combination's area from `area`. The census
/// counts categories only: a table at group level gets the groups' sums; a table at detailed
/// level cannot be given one. Only the area may vary: any other dimension is an error.
pub fn census_denominator(numerator: &CountTable, area: CensusArea<'_>) -> Result<CountTable> {
    if numerator.to == Level::Detailed {
        return Err(mismatch(
            "the Census 2021 baseline (TS021) counts categories: compare at category or group"
                .to_owned(),
        ));
    }
    let others: Vec<&String> = numerator
        .dimensions
        .iter()
        .filter(|d| !matches!(area, CensusArea::Dimension(a) if a == d.as_str()))
        .collect();
    if !others.is_empty() {
        return Err(mismatch(format!(
            "the census has no dimension {}: only the area may vary against a census denominator",
            others
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut agg = Aggregator::by(numerator.to, numerator.dimensions.clone())?;
    let mut seen: Vec<&[(String, String)]> = Vec::new();
    for r in &numerator.rows {
        if seen.contains(&&r.by[..]) {
            continue;
        }
        seen.push(&r.by);
        let pop = match area {
            CensusArea::Fixed(p) => p,
            CensusArea::Dimension(d) => {
                let value =
                    r.by.iter()
                        .find(|(k, _)| k == d)
                        .map_or("", |(_, v)| v.as_str());
                census_2021(value).ok_or_else(|| {
                    mismatch(format!(
                        "`{value}` (dimension `{d}`) is not an area of the Census 2021 baseline: \
                         the seven councils, England or Wales"
                    ))
                })?
            }
        };
        let by: Vec<&str> = r.by.iter().map(|(_, v)| v.as_str()).collect();
        for (c, n) in &pop.categories {
            agg.add_node(&by, Node::Category(*c), *n)?;
        }
    }
    Ok(agg.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Statistics in Medicine 17:857-872, table I: 81/263 gives
        // 0.2553 to 0.3662; 15/148 gives 0.0624 to 0.1605; 0/10 gives 0 to 0.2775.
        let (lo, hi) = wilson(81.0, 263.0);
        assert!(close(lo, 0.2553) && close(hi, 0.3662), "{lo} {hi}");
        let (lo, hi) = wilson(15.0, 148.0);
        assert!(close(lo, 0.0624) && close(hi, 0.1605), "{lo} {hi}");
        let (lo, hi) = wilson(0.0, 10.0);
        assert!(lo == 0.0 && close(hi, 0.2775), "{lo} {hi}");
    }

    #[test]
    fn byar_is_close_to_the_exact_poisson_interval() {
        // Exact 95% Poisson limits for 10 events: 4.7954 to 18.3904 (Garwood); Byar's
        // approximation is within a few hundredths at this count.
        let (lo, hi) = byar(10.0);
        assert!(
            (lo - 4.7954).abs() < 0.05 && (hi - 18.3904).abs() < 0.05,
            "{lo} {hi}"
        );
        assert!(byar(0.0).0.abs() < f64::EPSILON);
    }

    fn by_age(rows: &[(&str, Node, u64, u64)]) -> RateTable {
        RateTable {
            kind: RateKind::PerPopulation { per: 1000.0 },
            to: Level::Category,
            dimensions: vec!["age".into()],
            reference: Node::from_code("white.british").unwrap(),
            rows: rows
                .iter()
                .map(|&(band, code, a, n)| RateRow {
                    by: vec![("age".into(), band.into())],
                    code,
                    label: code.label(),
                    level: code.level(),
                    placement: Placement::AsAsked,
                    numerator: a,
                    denominator: n,
                    value: None,
                    lower: None,
                    upper: None,
                    ratio: None,
                    ratio_lower: None,
                    ratio_upper: None,
                })
                .collect(),
            standard_population: None,
        }
    }

    #[test]
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    fn age_standardised_rates_weight_each_band_by_the_standard() {
        let esp = StandardPopulation::esp2013();
        let total: f64 = esp.weights.iter().map(|(_, w)| w).sum();
        assert!((total - 100_000.0).abs() < f64::EPSILON);
        let wb = Node::from_code("white.british").unwrap();
        let pk = Node::from_code("asian.pakistani").unwrap();
        // White British: 10 per 1,000 in every band; Pakistani: the band's index per 1,000.
        let mut rows = Vec::new();
        for (i, (band, _)) in esp.weights.iter().enumerate() {
            rows.push((band.as_str(), wb, 20, 2000));
            rows.push((band.as_str(), pk, i as u64 + 1, 1000));
        }
        let t = age_standardised(&by_age(&rows), "age", &esp).unwrap();
        assert!(t.dimensions.is_empty());
        let get = |n: Node| t.rows.iter().find(|r| r.code == n).unwrap();
        // Equal rates in every band standardise to that rate, whatever the weights.
        let w = get(wb);
        assert!(close(w.value.unwrap(), 10.0), "{w:?}");
        assert!(w.lower.unwrap() < 10.0 && 10.0 < w.upper.unwrap());
        assert_eq!((w.numerator, w.denominator), (20 * 18, 2000 * 18));
        // Otherwise the weighted mean of the band rates.
        let want: f64 = esp
            .weights
            .iter()
            .enumerate()
            .map(|(i, (_, wt))| wt * (i as f64 + 1.0))
            .sum::<f64>()
            / total;
        let p = get(pk);
        assert!(close(p.value.unwrap(), want), "{p:?} {want}");
        assert!(close(p.ratio.unwrap(), want / 10.0));
        assert!(
            p.ratio_lower.unwrap() < p.ratio.unwrap() && p.ratio.unwrap() < p.ratio_upper.unwrap()
        );
        // A band with no population: no standardised rate; a band the standard lacks: an error.
        let t = age_standardised(&by_age(&rows[2..]), "age", &esp).unwrap();
        assert_eq!(t.rows.iter().find(|r| r.code == wb).unwrap().value, None);
        let err = age_standardised(&by_age(&[("90+", wb, 1, 10)]), "age", &esp).unwrap_err();
        assert!(err.to_string().contains("not an age band"), "{err}");
    }

    #[test]
    fn a_ratio_needs_events_on_both_sides() {
        assert_eq!(ratio(RateKind::Proportion, (0, 10), (3, 10)), None);
        let (rr, lo, hi) =
            ratio(RateKind::PerPopulation { per: 1.0 }, (20, 1000), (10, 1000)).unwrap();
        assert!(close(rr, 2.0));
        // se = sqrt(1/20 + 1/10) = 0.3873; 2 exp(±1.96 se) = 0.9362 .. 4.2727
        assert!(close(lo, 0.9362) && close(hi, 4.2727), "{lo} {hi}");
    }
}
