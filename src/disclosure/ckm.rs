//! Cell-key perturbation as ONS's `cell-key-perturbation` package (`PyPI`, 3.1.0) does it: a
//! cell's key is the sum of its records' keys modulo one more than the ptable's largest `ckey`;
//! its perturbation cell value (`pcv`) is its count up to 750, and `(count - 1) mod 250 + 501`
//! above (the ptable's rows 501 to 750 reused); the perturbation is the ptable's `pvalue` at
//! (`pcv`, `ckey`), 0 where the ptable has no such row; a perturbed count below the threshold
//! (10 unless given) is withheld. The same records give the same key, so the same cell is
//! perturbed the same way in every table.

use crate::error::{Error, ErrorKind, Location, Result};
use std::collections::HashMap;

/// The threshold below which a perturbed count is withheld, as the package's default.
pub const CKM_DEFAULT_THRESHOLD: i64 = 10;

/// A perturbation table: `pvalue` by (`pcv`, `ckey`), read from a CSV file with (at least) the
/// columns `pcv`, `ckey` and `pvalue`, in the format of the package's `ptable_10_5_rule.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ptable {
    /// Where it came from (a file name), as the output names it.
    pub source: String,
    values: HashMap<(u64, u64), i64>,
    max_ckey: u64,
    /// Perturbed counts below this are withheld.
    pub threshold: i64,
}

impl Ptable {
    /// Reads a ptable from CSV text; `source` names it in errors and output.
    pub fn from_csv(source: &str, text: &[u8]) -> Result<Ptable> {
        let bad = |line: u64, why: String| {
            Error::new(ErrorKind::Input(why), Location::default()).at_line(source, line)
        };
        let mut r = csv::ReaderBuilder::new().from_reader(text);
        let header = r
            .headers()
            .map_err(|e| bad(1, format!("not a CSV ptable: {e}")))?
            .clone();
        let col = |name: &str| {
            header.iter().position(|h| h.trim() == name).ok_or_else(|| {
                bad(
                    1,
                    format!("a ptable needs the columns pcv, ckey and pvalue; `{name}` is missing"),
                )
            })
        };
        let (pcv, ckey, pvalue) = (col("pcv")?, col("ckey")?, col("pvalue")?);
        let mut values = HashMap::new();
        let mut max_ckey = None;
        for (i, rec) in r.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| bad(line, format!("not a CSV ptable: {e}")))?;
            let field = |c: usize, what: &str| {
                let raw = rec.get(c).unwrap_or("").trim();
                raw.parse::<i64>()
                    .map_err(|_| bad(line, format!("{what} `{raw}` is not a whole number")))
            };
            let (p, k, v) = (
                field(pcv, "pcv")?,
                field(ckey, "ckey")?,
                field(pvalue, "pvalue")?,
            );
            let (Ok(p), Ok(k)) = (u64::try_from(p), u64::try_from(k)) else {
                return Err(bad(line, "pcv and ckey cannot be negative".to_owned()));
            };
            if values.insert((p, k), v).is_some() {
                return Err(bad(line, format!("pcv {p}, ckey {k} is given twice")));
            }
            max_ckey = max_ckey.max(Some(k));
        }
        let Some(max_ckey) = max_ckey else {
            return Err(bad(1, "the ptable has no rows".to_owned()));
        };
        Ok(Ptable {
            source: source.to_owned(),
            values,
            max_ckey,
            threshold: CKM_DEFAULT_THRESHOLD,
        })
    }

    /// The modulus of cell keys: one more than the ptable's largest `ckey`.
    pub fn modulus(&self) -> u64 {
        self.max_ckey + 1
    }

    /// The perturbed count of a cell of `count` records whose keys sum to `record_keys`.
    pub fn perturb(&self, count: u64, record_keys: u64) -> Result<i64> {
        let ckey = record_keys % self.modulus();
        let pcv = if count <= 750 {
            count
        } else {
            (count - 1) % 250 + 501
        };
        let p = self.values.get(&(pcv, ckey)).copied().unwrap_or(0);
        i64::try_from(count)
            .ok()
            .and_then(|c| c.checked_add(p))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Input(format!("the count {count} is too large to perturb")),
                    Location::default(),
                )
            })
    }
}
