//! Tables in the publication shape: the download columns of the Race Disparity Unit's Ethnicity
//! facts and figures (measure, ethnicity, time, geography, sex, age, value, numerator,
//! denominator, lower and upper bounds), its order of ethnic groups, parent and child rows, and a
//! metadata block saying what the table is (classification and standard version, the levels its
//! counts reached, the residual share, the disclosure policy, where the denominators come from).
//!
//! A [`EvidenceTable`] is made from a count table published under a policy (the policy `none`
//! for exact counts), from a rate table, or from rates published under a policy; the writers in
//! [`crate::output`] lay it out as CSV, JSON (`schema/output/publication.schema.json`) or text.
//!
//! The order ([`order_key`]) follows the RDU's style guide ("Writing about ethnicity", 4.
//! Ordering and style): "Ethnic groups are ordered alphabetically in charts and tables, with
//! 'Other', and occasionally 'unknown', as a final category". Here: the table's total first; the
//! groups alphabetically by label with the Other ethnic group last; under each group its
//! categories alphabetically with its Other category last (and under each category its detailed
//! categories the same way), a count that could not be placed finer after its node's children;
//! the residual values (declined, not obtained, not known...) last, with their counts.

use crate::aggregate::{Placement, as_object};
use crate::disclosure::{CellStatus, PublishedRate, PublishedTable, Symbol};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::rates::{RateKind, RateRow, RateTable};
use crate::standard::{Group, Level, Node, Residual, STANDARD_VERSION};
use serde::Serialize;

/// A fixed column of the publication shape that a dimension may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DimensionRole {
    /// The period (a year, an academic year, a quarter).
    Time,
    /// The place (a council, a ward).
    Geography,
    /// Sex.
    Sex,
    /// Age (an age band).
    Age,
}

impl DimensionRole {
    /// Every role, in the order of its column.
    pub const ALL: [DimensionRole; 4] = [
        DimensionRole::Time,
        DimensionRole::Geography,
        DimensionRole::Sex,
        DimensionRole::Age,
    ];

    /// The column's header.
    pub const fn name(self) -> &'static str {
        match self {
            DimensionRole::Time => "time",
            DimensionRole::Geography => "geography",
            DimensionRole::Sex => "sex",
            DimensionRole::Age => "age",
        }
    }

    /// The role named `name` (`time`, `geography`, `sex`, `age`).
    pub fn from_name(name: &str) -> Option<DimensionRole> {
        DimensionRole::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The role a dimension has without being given one: the standard columns of the sex and
    /// age classifications (`wm_sex`, `wm_age_band`).
    pub fn of_dimension(dimension: &str) -> Option<DimensionRole> {
        match dimension {
            "wm_sex" => Some(DimensionRole::Sex),
            "wm_age_band" => Some(DimensionRole::Age),
            _ => None,
        }
    }
}

/// The columns of the publication shape before the dimensions that have no role: the last four
/// are the role columns, in the order of [`DimensionRole::ALL`].
pub const EVIDENCE_HEAD: [&str; 10] = [
    "measure",
    "ethnicity",
    "ethnicity_code",
    "ethnicity_type",
    "parent",
    "placement",
    "time",
    "geography",
    "sex",
    "age",
];

/// The columns of the publication shape after the dimensions that have no role.
pub const EVIDENCE_TAIL: [&str; 10] = [
    "value",
    "value_type",
    "numerator",
    "denominator",
    "lower",
    "upper",
    "relative_rate",
    "relative_rate_lower",
    "relative_rate_upper",
    "status",
];

/// A published figure: a count, a number, a GSS symbol where it is withheld, or nothing where
/// the row has no such figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    /// A count.
    Count(u64),
    /// A number (a rate, a percentage, a ratio, a bound).
    Number(f64),
    /// Withheld, with its symbol.
    Withheld(Symbol),
    /// The row has no such figure (a count table has no denominator; a ratio cannot be worked
    /// out without events on both sides).
    #[serde(serialize_with = "none")]
    Empty,
}

fn none<S: serde::Serializer>(s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl Figure {
    fn number(x: Option<f64>) -> Figure {
        x.map_or(Figure::Empty, Figure::Number)
    }

    /// The count, when the figure is one.
    pub const fn count(self) -> Option<u64> {
        match self {
            Figure::Count(n) => Some(n),
            _ => None,
        }
    }
}

/// One row of a publication.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceRow {
    /// Every dimension's value in this row, in the table's order (`Total` where the row sums
    /// over the dimension: a margin).
    #[serde(serialize_with = "as_object")]
    pub by: Vec<(String, String)>,
    /// The node; `None` for the total of every ethnicity.
    pub code: Option<Node>,
    /// The ethnicity's label (`All` for the total).
    pub ethnicity: &'static str,
    /// The node's level; `None` for the total.
    pub level: Option<Level>,
    /// The node's parent in the standard (a category's group, a detailed category's category).
    pub parent: Option<Node>,
    /// What the row counts: `as-asked`, `coarser` (the source said no more), `merged` (finer
    /// strata too small to publish, merged up), `residual`, `subtotal` (a node above the level
    /// counted) or `total`.
    pub placement: &'static str,
    /// The value: the count, or the rate.
    pub value: Figure,
    /// The rate's numerator.
    pub numerator: Figure,
    /// The rate's denominator.
    pub denominator: Figure,
    /// The lower bound of the value's 95% interval.
    pub lower: Figure,
    /// The upper bound.
    pub upper: Figure,
    /// The rate relative to the reference node's in the same combination (relative rate index).
    pub relative_rate: Figure,
    /// Its 95% interval's lower bound.
    pub relative_rate_lower: Figure,
    /// Its upper bound.
    pub relative_rate_upper: Figure,
    /// Why the value is what it is (`exact`, `rounded`, `perturbed`, `suppressed-primary`...).
    pub status: &'static str,
}

/// How many of a table's counts reached one placement and level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelReached {
    /// `as-asked`, `coarser`, `merged` or `residual`.
    pub placement: &'static str,
    /// The level of the rows.
    pub level: Level,
    /// How many rows.
    pub rows: u64,
    /// Their published counts' sum; `None` when one of them is withheld.
    pub count: Option<u64>,
}

/// What a publication is: the metadata block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceMetadata {
    /// The inputs' names (in JSON, the document's `files`).
    #[serde(skip)]
    pub files: Vec<String>,
    /// What is measured (`count`, or the name given to a rate).
    pub measure: String,
    /// What the values are: `count`, `percentage` or `rate per N`.
    pub value_type: String,
    /// The classification of the ethnicity column.
    pub classification: String,
    /// The standard's version.
    pub standard_version: &'static str,
    /// The level asked.
    pub level: Level,
    /// The levels the counts reached (from the published cells of the table's own
    /// combinations).
    pub levels_reached: Vec<LevelReached>,
    /// The residual values' share of the counts (of the numerators, for rates); `None` when a
    /// cell it needs is withheld or there is nothing counted.
    pub residual_share: Option<f64>,
    /// The disclosure policy the figures went through.
    pub policy: String,
    /// What the policy does.
    pub policy_description: String,
    /// How the policy treats totals.
    pub totals: String,
    /// Where the denominators come from (rates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominators: Option<String>,
    /// The interval of the values (rates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<&'static str>,
    /// The standard population of age-standardised rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_population: Option<String>,
    /// The reference node of the relative rates (rates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Node>,
    /// Which dimension fills each role column.
    #[serde(serialize_with = "roles_object")]
    pub roles: Vec<(DimensionRole, String)>,
    /// The order of the rows.
    pub order: &'static str,
}

fn roles_object<S: serde::Serializer>(
    roles: &[(DimensionRole, String)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(roles.len()))?;
    for (r, d) in roles {
        m.serialize_entry(r.name(), d)?;
    }
    m.end()
}

/// The order of rows, as the metadata states it.
pub const ORDER: &str = "within each combination: the total; the ethnic groups alphabetically, \
the Other ethnic group last, each followed by its categories alphabetically with its Other \
category last (detailed categories the same way under their category), counts not placed finer \
after their node's children; residual values last (Race Disparity Unit, Writing about \
ethnicity, 4. Ordering and style)";

/// A table in the publication shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceTable {
    /// What the table is.
    pub metadata: EvidenceMetadata,
    /// The dimensions, in the table's order.
    pub dimensions: Vec<String>,
    /// The rows: combination by combination, each in the publication order.
    pub rows: Vec<EvidenceRow>,
}

/// What a publication needs beside its table: its inputs, its measure, the roles of its
/// dimensions, and where a rate's denominators come from.
#[derive(Debug, Clone, Default)]
pub struct EvidenceInfo {
    /// The inputs' names.
    pub files: Vec<String>,
    /// The measure's name (`count` when empty).
    pub measure: String,
    /// Roles given to dimensions (besides the ones [`DimensionRole::of_dimension`] gives).
    pub roles: Vec<(DimensionRole, String)>,
    /// Where a rate's denominators come from.
    pub denominators: Option<String>,
    /// The policy the table went through, as given, and what it does; `None` when no policy
    /// was asked (the figures are then exact and the metadata says they are not for
    /// publication as they stand).
    pub policy: Option<(String, String, String)>,
}

fn input_error(msg: String) -> Error {
    Error::new(ErrorKind::Input(msg), Location::default())
}

impl EvidenceInfo {
    /// The roles of `dimensions`: those given (each naming a dimension of the table, each role
    /// once), then the defaults of the dimensions left.
    fn roles(&self, dimensions: &[String]) -> Result<Vec<(DimensionRole, String)>> {
        let mut roles: Vec<(DimensionRole, String)> = Vec::new();
        for (role, d) in &self.roles {
            if !dimensions.contains(d) {
                return Err(input_error(format!(
                    "the role {} is given to `{d}`, which is not a dimension of the table \
                     (give it with --group-by)",
                    role.name()
                )));
            }
            if roles.iter().any(|(r, e)| r == role || e == d) {
                return Err(input_error(format!(
                    "the role {} or the dimension `{d}` is given twice",
                    role.name()
                )));
            }
            roles.push((*role, d.clone()));
        }
        for d in dimensions {
            if let Some(role) = DimensionRole::of_dimension(d)
                && !roles.iter().any(|(r, e)| *r == role || e == d)
            {
                roles.push((role, d.clone()));
            }
        }
        Ok(roles)
    }

    fn metadata(&self, dimensions: &[String], level: Level) -> Result<EvidenceMetadata> {
        let (policy, policy_description, totals) = self.policy.clone().unwrap_or_else(|| {
            (
                "none".to_owned(),
                "no disclosure policy was asked: every figure is exact, not for publication as \
                 it stands"
                    .to_owned(),
                "exact".to_owned(),
            )
        });
        Ok(EvidenceMetadata {
            files: self.files.clone(),
            measure: if self.measure.is_empty() {
                "count".to_owned()
            } else {
                self.measure.clone()
            },
            value_type: "count".to_owned(),
            classification: format!("West Midlands ethnicity standard {STANDARD_VERSION}"),
            standard_version: STANDARD_VERSION,
            level,
            levels_reached: Vec::new(),
            residual_share: None,
            policy,
            policy_description,
            totals,
            denominators: None,
            interval: None,
            standard_population: None,
            reference: None,
            roles: self.roles(dimensions)?,
            order: ORDER,
        })
    }
}

/// The key that puts a row in the publication order (see the module's documentation): rows of
/// one combination sorted by it come out total first, each parent before its children.
pub fn order_key(code: Option<Node>, placement: &str) -> Vec<(u8, usize, &'static str)> {
    let Some(node) = code else {
        return Vec::new();
    };
    if let Node::Residual(r) = node {
        // After every group (a first element no group has), in the standard's order.
        let i = Residual::ALL
            .iter()
            .position(|x| *x == r)
            .unwrap_or(usize::MAX);
        return vec![(3, i, "")];
    }
    let mut path: Vec<Node> = node.ancestors().collect();
    path.reverse();
    path.push(node);
    let mut key: Vec<(u8, usize, &'static str)> = path
        .into_iter()
        .map(|n| (u8::from(is_other(n)), 0, n.label()))
        .collect();
    if placement == Placement::Coarser.name() || placement == Placement::Merged.name() {
        // A count kept at a node goes after the node's children.
        key.push((2, 0, ""));
    }
    key
}

/// True for the "other" node of its parent: the Other ethnic group, and a category or detailed
/// category whose label starts "Other" or "Any other".
fn is_other(n: Node) -> bool {
    if n == Node::Group(Group::Other) {
        return true;
    }
    if let Node::Group(_) = n {
        return false;
    }
    let l = n.label().to_ascii_lowercase();
    l.starts_with("other ") || l.starts_with("any other ")
}

/// Sorts each run of rows with the same combination (and margin) into the publication order.
fn sort_rows(rows: &mut [EvidenceRow]) {
    let mut start = 0;
    while start < rows.len() {
        let by = rows[start].by.clone();
        let end = start + rows[start..].iter().take_while(|r| r.by == by).count();
        rows[start..end].sort_by_cached_key(|r| order_key(r.code, r.placement));
        start = end;
    }
}

/// The levels reached and the residual share of `rows` (the table's own combinations, as
/// counted: `figure` of each row).
fn reached(rows: &[EvidenceRow], figure: impl Fn(&EvidenceRow) -> Figure) -> Reached {
    let mut levels: Vec<LevelReached> = Vec::new();
    let (mut all, mut residual, mut complete) = (0u64, 0u64, true);
    for r in rows {
        let (Some(level), true) = (
            r.level,
            matches!(r.placement, "as-asked" | "coarser" | "merged" | "residual"),
        ) else {
            continue;
        };
        if r.by.iter().any(|(_, v)| v == TOTAL) {
            continue;
        }
        let n = figure(r).count();
        complete &= n.is_some();
        all += n.unwrap_or(0);
        if r.placement == "residual" {
            residual += n.unwrap_or(0);
        }
        match levels
            .iter_mut()
            .find(|l| l.placement == r.placement && l.level == level)
        {
            Some(l) => {
                l.rows += 1;
                l.count = l.count.zip(n).map(|(a, b)| a + b);
            }
            None => levels.push(LevelReached {
                placement: r.placement,
                level,
                rows: 1,
                count: n,
            }),
        }
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a share of counts far below 2^52"
    )]
    let share = (complete && all > 0).then(|| residual as f64 / all as f64);
    Reached { levels, share }
}

struct Reached {
    levels: Vec<LevelReached>,
    share: Option<f64>,
}

/// A rate row's place: its combination, its node, and the symbols of a withheld rate and a
/// withheld relative rate.
type RatePlace = (Vec<(String, String)>, Node, Option<Symbol>, Option<Symbol>);

/// A dimension's value where a row sums over it.
pub const TOTAL: &str = "Total";

impl EvidenceTable {
    /// The publication of a count table published under a policy (give the policy `none` for
    /// exact counts, and `info.policy` `None` to say no policy was asked).
    pub fn of_counts(table: &PublishedTable, info: &EvidenceInfo) -> Result<EvidenceTable> {
        let metadata = info.metadata(&table.dimensions, table.to)?;
        let rows: Vec<EvidenceRow> = table
            .rows
            .iter()
            .map(|r| EvidenceRow {
                by: table
                    .dimensions
                    .iter()
                    .map(|d| {
                        let v = r.by.iter().find(|(k, _)| k == d).map(|(_, v)| v.clone());
                        (d.clone(), v.unwrap_or_else(|| TOTAL.to_owned()))
                    })
                    .collect(),
                code: r.code,
                ethnicity: if r.code.is_some() { r.label } else { "All" },
                level: r.level,
                parent: r.code.and_then(Node::parent),
                placement: r.kind.name(),
                value: match (r.count, r.symbol) {
                    (Some(n), _) => Figure::Count(n),
                    (None, Some(s)) => Figure::Withheld(s),
                    (None, None) => Figure::Empty,
                },
                numerator: Figure::Empty,
                denominator: Figure::Empty,
                lower: Figure::Empty,
                upper: Figure::Empty,
                relative_rate: Figure::Empty,
                relative_rate_lower: Figure::Empty,
                relative_rate_upper: Figure::Empty,
                status: r.status.name(),
            })
            .collect();
        Ok(EvidenceTable::sorted(
            metadata,
            &table.dimensions,
            rows,
            |r| r.value,
        ))
    }

    /// The publication of a rate table: exact figures (`info.policy` is then `None`).
    pub fn of_rates(table: &RateTable, info: &EvidenceInfo) -> Result<EvidenceTable> {
        let rows: Vec<Option<&RateRow>> = table.rows.iter().map(Some).collect();
        let codes: Vec<RatePlace> = table
            .rows
            .iter()
            .map(|r| (r.by.clone(), r.code, None, None))
            .collect();
        let t = Self::rates(
            table.kind,
            table.to,
            &table.dimensions,
            table.reference,
            &rows,
            &codes,
            info,
        )?;
        Ok(match &table.standard_population {
            Some(sp) => t.age_standardised(sp),
            None => t,
        })
    }

    /// This table's rates said to be directly age-standardised to `standard_population` (its
    /// name), with their interval's method.
    #[must_use]
    pub fn age_standardised(mut self, standard_population: &str) -> Self {
        self.metadata.standard_population = Some(standard_population.to_owned());
        self.metadata.interval =
            Some("directly age-standardised; Dobson's method with Byar's interval, 95%");
        self
    }

    /// The publication of rates published under a policy ([`crate::published_rates`]): a
    /// withheld rate's figures are its symbol.
    pub fn of_published_rates(
        rates: &[PublishedRate],
        (kind, to, reference): (RateKind, Level, Node),
        dimensions: &[String],
        info: &EvidenceInfo,
    ) -> Result<EvidenceTable> {
        let rows: Vec<Option<&RateRow>> = rates.iter().map(|r| r.rate.as_ref()).collect();
        let codes: Vec<_> = rates
            .iter()
            .map(|r| (r.by.clone(), r.code, r.symbol, r.ratio_symbol))
            .collect();
        Self::rates(kind, to, dimensions, reference, &rows, &codes, info)
    }

    fn rates(
        kind: RateKind,
        to: Level,
        dimensions: &[String],
        reference: Node,
        rows: &[Option<&RateRow>],
        codes: &[RatePlace],
        info: &EvidenceInfo,
    ) -> Result<EvidenceTable> {
        let mut metadata = info.metadata(dimensions, to)?;
        let (scale, value_type, interval) = match kind {
            RateKind::Proportion => (100.0, "percentage".to_owned(), "Wilson score, 95%"),
            RateKind::PerPopulation { per } => (
                per,
                format!("rate per {}", per_count(per)),
                "Byar's approximation to the exact Poisson interval, 95%",
            ),
        };
        metadata.value_type = value_type;
        metadata.interval = Some(interval);
        metadata.reference = Some(reference);
        metadata.denominators.clone_from(&info.denominators);
        // A rate under a policy is worked out from the published counts (rounded or perturbed
        // ones included), never from the exact ones.
        let status = if info.policy.is_some() {
            "from-published-counts"
        } else {
            CellStatus::Exact.name()
        };
        let out: Vec<EvidenceRow> = rows
            .iter()
            .zip(codes)
            .map(|(rate, (by, code, symbol, ratio_symbol))| {
                let placement = match rate {
                    Some(r) => r.placement.name(),
                    None if code.is_residual() => Placement::Residual.name(),
                    None if code.level() == to => Placement::AsAsked.name(),
                    None => Placement::Coarser.name(),
                };
                let withheld = symbol.map(Figure::Withheld);
                let scaled =
                    |x: Option<f64>| withheld.unwrap_or(Figure::number(x.map(|v| v * scale)));
                let ratio = |x: Option<f64>| {
                    withheld
                        .or(ratio_symbol.map(Figure::Withheld))
                        .unwrap_or(Figure::number(x))
                };
                EvidenceRow {
                    by: by.clone(),
                    code: Some(*code),
                    ethnicity: code.label(),
                    level: Some(code.level()),
                    parent: code.parent(),
                    placement,
                    value: scaled(rate.and_then(|r| r.value)),
                    numerator: withheld
                        .unwrap_or(rate.map_or(Figure::Empty, |r| Figure::Count(r.numerator))),
                    denominator: withheld
                        .unwrap_or(rate.map_or(Figure::Empty, |r| Figure::Count(r.denominator))),
                    lower: scaled(rate.and_then(|r| r.lower)),
                    upper: scaled(rate.and_then(|r| r.upper)),
                    relative_rate: ratio(rate.and_then(|r| r.ratio)),
                    relative_rate_lower: ratio(rate.and_then(|r| r.ratio_lower)),
                    relative_rate_upper: ratio(rate.and_then(|r| r.ratio_upper)),
                    status: if symbol.is_some() { "withheld" } else { status },
                }
            })
            .collect();
        Ok(EvidenceTable::sorted(metadata, dimensions, out, |r| {
            r.numerator
        }))
    }

    /// The table of `rows` in the publication order, its metadata completed with the levels
    /// reached and the residual share of the figure `counted` (the count, or the numerator).
    fn sorted(
        mut metadata: EvidenceMetadata,
        dimensions: &[String],
        mut rows: Vec<EvidenceRow>,
        counted: impl Fn(&EvidenceRow) -> Figure,
    ) -> EvidenceTable {
        sort_rows(&mut rows);
        let reached = reached(&rows, counted);
        metadata.levels_reached = reached.levels;
        metadata.residual_share = reached.share;
        EvidenceTable {
            metadata,
            dimensions: dimensions.to_vec(),
            rows,
        }
    }

    /// The value of `role` in `row`: the value of the dimension that has the role, or `""`.
    pub fn role_value<'a>(&self, row: &'a EvidenceRow, role: DimensionRole) -> &'a str {
        self.metadata
            .roles
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, d)| row.by.iter().find(|(k, _)| k == d))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The dimensions without a role, in the table's order: their own columns.
    pub fn other_dimensions(&self) -> Vec<&str> {
        self.dimensions
            .iter()
            .filter(|d| !self.metadata.roles.iter().any(|(_, e)| e == *d))
            .map(String::as_str)
            .collect()
    }
}

/// `per` as a whole number of people, for the value type's name.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a rate's base is a positive whole number of people"
)]
fn per_count(per: f64) -> u64 {
    per.round().max(0.0) as u64
}

impl std::fmt::Display for DimensionRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_columns_end_the_head_in_the_roles_order() {
        let names: Vec<&str> = DimensionRole::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            EVIDENCE_HEAD[EVIDENCE_HEAD.len() - names.len()..],
            names[..]
        );
    }

    #[test]
    fn groups_come_alphabetically_with_other_last_and_residuals_after() {
        let mut nodes: Vec<Node> = Group::ALL.into_iter().map(Node::Group).collect();
        nodes.extend(Residual::ALL.into_iter().map(Node::Residual));
        nodes.reverse();
        nodes.sort_by_cached_key(|n| order_key(Some(*n), "as-asked"));
        let labels: Vec<&str> = nodes.iter().map(|n| n.label()).collect();
        let groups = &labels[..Group::ALL.len()];
        assert_eq!(groups.last(), Some(&Group::Other.label()), "{labels:?}");
        let mut sorted = groups[..groups.len() - 1].to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, groups[..groups.len() - 1], "{labels:?}");
        let residuals: Vec<Node> = Residual::ALL.into_iter().map(Node::Residual).collect();
        assert_eq!(nodes[Group::ALL.len()..], residuals[..]);
    }

    #[test]
    fn a_group_s_categories_follow_it_with_its_other_category_last() {
        let mut nodes: Vec<Node> = Node::all()
            .filter(|n| matches!(n, Node::Group(_) | Node::Category(_)))
            .collect();
        nodes.reverse();
        nodes.sort_by_cached_key(|n| order_key(Some(*n), "as-asked"));
        for (i, n) in nodes.iter().enumerate() {
            if let Node::Group(_) = n {
                let children: Vec<Node> = nodes[i + 1..]
                    .iter()
                    .take_while(|c| matches!(c, Node::Category(_)))
                    .copied()
                    .collect();
                assert_eq!(children.len(), n.children().len(), "{n:?}");
                assert!(children.iter().all(|c| c.parent() == Some(*n)));
                let others = children.iter().filter(|c| is_other(**c)).count();
                assert!(others <= 1, "{children:?}");
                if others == 1 {
                    assert!(is_other(*children.last().unwrap()), "{children:?}");
                }
            }
        }
        // The total comes first, and a count kept at a node after the node's children.
        assert!(order_key(None, "total") < order_key(Some(nodes[0]), "as-asked"));
        let asian = Node::Group(Group::Asian);
        let child = asian.children()[0];
        assert!(order_key(Some(asian), "coarser") > order_key(Some(child), "as-asked"));
    }
}
