//! The Census 2021 baseline shipped with the crate: TS021 usual residents by ethnic category for
//! the seven councils, England and Wales (`schema/published/census2021-ts021.csv`, with its
//! source in `schema/published/SOURCES.md`). It is the default population denominator of rates,
//! and the distribution a return's profile is compared with.
//!
//! ```
//! use wm_ethnicity::{Category, census_2021};
//!
//! let b = census_2021("Birmingham").unwrap();
//! assert_eq!(b.area_code, "E08000025");
//! assert_eq!(b.total, 1_144_922);
//! assert_eq!(b.count(Category::AsianBangladeshi), 48_232);
//! let england = census_2021("England").unwrap();
//! assert!(england.share(Category::WhiteBritish) > 0.7);
//! ```

use crate::council;
use crate::scheme::builtin_scheme;
use crate::standard::{Category, Group, Node};
use serde::Serialize;
use std::sync::OnceLock;

/// The shipped table, as published.
pub const CENSUS_2021_TS021_CSV: &str = include_str!("../schema/published/census2021-ts021.csv");

/// Where the baseline comes from, as summaries cite it.
pub const CENSUS_2021_SOURCE: &str =
    "ONS Census 2021 TS021 Ethnic group (usual residents), Nomis bulk download, issued 2022-11-29";

/// One area's usual residents by category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    /// The ONS area code (E08000025).
    pub area_code: String,
    /// The area's name, as ONS writes it.
    pub area_name: String,
    /// All usual residents (the table's total).
    pub total: u64,
    /// Residents by category of the standard, in the standard's order.
    pub categories: Vec<(Category, u64)>,
}

impl Population {
    /// Residents of category `c`.
    pub fn count(&self, c: Category) -> u64 {
        self.categories
            .iter()
            .find(|(x, _)| *x == c)
            .map_or(0, |(_, n)| *n)
    }

    /// Residents of category `c` as a share of all residents.
    #[allow(clippy::cast_precision_loss)]
    pub fn share(&self, c: Category) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.count(c) as f64 / self.total as f64
        }
    }
}

/// Every area of the shipped table, in its order.
pub fn census_2021_areas() -> &'static [Population] {
    static ALL: OnceLock<Vec<Population>> = OnceLock::new();
    ALL.get_or_init(|| {
        // Checked by the test suite (tests/suite/data.rs): every row reads, categories sum to the
        // total and each group subtotal equals its categories.
        parse(CENSUS_2021_TS021_CSV)
            .unwrap_or_else(|e| panic!("the shipped Census 2021 table is broken: {e}"))
    })
}

/// The area named `key`: an ONS code, a council (code, short id or name, as
/// [`crate::council::council`]), or an area name (`England`, `Wales`), case-insensitive.
pub fn census_2021(key: &str) -> Option<&'static Population> {
    let key = key.trim();
    let code = council::council(key).map_or(key, |c| c.code.as_str());
    census_2021_areas()
        .iter()
        .find(|p| p.area_code.eq_ignore_ascii_case(code) || p.area_name.eq_ignore_ascii_case(key))
}

/// Reads the table: `area_code,area_name,category_code,category_label,count`; category codes
/// 1–19 are `ons-2021-ew` codes, placed through that scheme; 0 is the total; 1001–1005 are group
/// subtotals, checked against their categories.
fn parse(text: &str) -> Result<Vec<Population>, String> {
    let ons = builtin_scheme("ons-2021-ew").ok_or("no built-in scheme ons-2021-ew")?;
    let mut areas: Vec<Population> = Vec::new();
    let mut subtotals: Vec<(String, Group, u64)> = Vec::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        let field = |j: usize| row.get(j).ok_or(format!("line {line}: too few fields"));
        let (code, name, category) = (field(0)?, field(1)?, field(2)?);
        let count: u64 = field(4)?
            .parse()
            .map_err(|e| format!("line {line}: count: {e}"))?;
        if areas.last().is_none_or(|a| a.area_code != code) {
            areas.push(Population {
                area_code: code.to_owned(),
                area_name: name.to_owned(),
                total: 0,
                categories: Vec::new(),
            });
        }
        let area = areas.last_mut().ok_or("no area")?;
        match category {
            "0" => area.total = count,
            c if c.len() == 4 && c.starts_with("100") => {
                let label = field(3)?;
                let label = label.strip_prefix("Ethnic group: ").unwrap_or(label);
                let group = Node::from_label(label)
                    .into_iter()
                    .find_map(|n| match n {
                        Node::Group(g) => Some(g),
                        _ => None,
                    })
                    .ok_or(format!(
                        "line {line}: `{label}` is not a group of the standard"
                    ))?;
                subtotals.push((code.to_owned(), group, count));
            }
            c => {
                let m = ons
                    .lookup(c)
                    .ok_or(format!("line {line}: {c} is not an ons-2021-ew code"))?;
                let Node::Category(cat) = m.code.map.target else {
                    return Err(format!("line {line}: {c} is not a category"));
                };
                area.categories.push((cat, count));
            }
        }
    }
    for a in &mut areas {
        a.categories.sort_by_key(|(c, _)| *c as usize);
        let sum: u64 = a.categories.iter().map(|(_, n)| n).sum();
        if a.categories.len() != Category::ALL.len() || sum != a.total {
            return Err(format!(
                "{}: {} categories summing to {sum}, total {}",
                a.area_code,
                a.categories.len(),
                a.total
            ));
        }
        for (_, g, n) in subtotals.iter().filter(|(c, _, _)| *c == a.area_code) {
            let sum: u64 = a
                .categories
                .iter()
                .filter(|(c, _)| c.group() == *g)
                .map(|(_, n)| n)
                .sum();
            if sum != *n {
                return Err(format!(
                    "{}: the {} subtotal is {n}, its categories sum to {sum}",
                    a.area_code,
                    Node::Group(*g).code()
                ));
            }
        }
    }
    Ok(areas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    const HEAD: &str = "area_code,area_name,category_code,category_label,count\n";

    fn area(total: u64, pakistani: u64) -> String {
        let mut t = format!("{HEAD}X1,Here,0,Total,{total}\n");
        for code in 1..=19 {
            let n = if code == 4 { pakistani } else { 1 };
            writeln!(t, "X1,Here,{code},c,{n}").unwrap();
        }
        t
    }

    #[test]
    fn a_table_that_does_not_add_up_is_refused() {
        let ok = parse(&area(118, 100)).unwrap();
        assert_eq!(ok[0].count(Category::AsianPakistani), 100);
        assert!(
            parse(&area(119, 100))
                .unwrap_err()
                .contains("summing to 118, total 119")
        );
        let sub = format!(
            "{}X1,Here,1001,\"Ethnic group: Asian, Asian British or Asian Welsh\",6\n",
            area(118, 100)
        );
        assert!(
            parse(&sub)
                .unwrap_err()
                .contains("the asian subtotal is 6, its categories sum to 104"),
            "{:?}",
            parse(&sub)
        );
        assert!(
            parse(&format!("{HEAD}X1,Here,77,c,1\n"))
                .unwrap_err()
                .contains("77 is not an ons-2021-ew code")
        );
    }
}
