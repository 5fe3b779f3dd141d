//! The cells a published table has, and the additive relations between them: a count table's
//! rows, plus every subtotal of the hierarchy, every combination's total, and every margin over
//! the dimensions (the sum over one dimension's values, and over several).

use crate::aggregate::{CountTable, Placement};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::standard::{Level, Node};
use std::collections::HashMap;

/// What a cell counts, within its combination of dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key {
    /// A row of the count table: a node with its placement.
    Cell(Placement, Node),
    /// A node of the hierarchy above the level counted: the sum of its children.
    Subtotal(Node),
    /// Every count of the combination.
    Total,
}

/// One cell.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    /// Its combination: one value per dimension, `None` where it is summed over.
    pub combo: usize,
    pub key: Key,
    /// The true count.
    pub count: u64,
    /// The sum of its records' keys, when the table has them.
    pub record_keys: Option<u64>,
}

/// The cells, each combination's in output order, and the relations `whole = sum of parts`.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    pub combos: Vec<Vec<Option<String>>>,
    pub cells: Vec<Cell>,
    pub relations: Vec<(usize, Vec<usize>)>,
}

fn overflow() -> Error {
    Error::new(
        ErrorKind::Input("a margin adds up to more than 2^64 and cannot be totalled".to_owned()),
        Location::default(),
    )
}

fn add(a: Option<u64>, b: Option<u64>) -> Result<Option<u64>> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b).map(Some).ok_or_else(overflow),
        _ => Ok(None),
    }
}

/// The combination `c` summed over the dimensions whose bit is set in `mask`.
fn summed(c: &[Option<String>], mask: usize) -> Vec<Option<String>> {
    c.iter()
        .enumerate()
        .map(|(i, v)| if mask >> i & 1 == 1 { None } else { v.clone() })
        .collect()
}

impl Grid {
    /// The grid of `table`.
    pub fn of(table: &CountTable) -> Result<Grid> {
        let dims = table.dimensions.len();
        let keyed = table.rows.iter().all(|r| r.record_keys.is_some());
        // Every combination a row of the table is in, then its margins.
        let mut index: HashMap<Vec<Option<String>>, usize> = HashMap::new();
        let mut combos: Vec<Vec<Option<String>>> = Vec::new();
        let mut base: Vec<Vec<Option<String>>> = Vec::new();
        for r in &table.rows {
            let c: Vec<Option<String>> = r.by.iter().map(|(_, v)| Some(v.clone())).collect();
            if !index.contains_key(&c) {
                index.insert(c.clone(), base.len());
                base.push(c);
            }
        }
        combos.extend(base.iter().cloned());
        let mut margins: Vec<Vec<Option<String>>> = Vec::new();
        for c in &base {
            for mask in 1..(1usize << dims) {
                let m = summed(c, mask);
                if !index.contains_key(&m) {
                    index.insert(m.clone(), usize::MAX);
                    margins.push(m);
                }
            }
        }
        // Margins over fewer dimensions first; within one, in the order of their values.
        margins.sort_by(|a, b| {
            let nones = |c: &[Option<String>]| c.iter().filter(|v| v.is_none()).count();
            nones(a).cmp(&nones(b)).then_with(|| a.cmp(b))
        });
        for m in margins {
            index.insert(m.clone(), combos.len());
            combos.push(m);
        }
        // The table's rows, added into every combination they are in.
        let mut sums: Vec<std::collections::BTreeMap<Key, (u64, Option<u64>)>> =
            vec![std::collections::BTreeMap::new(); combos.len()];
        for r in &table.rows {
            let c: Vec<Option<String>> = r.by.iter().map(|(_, v)| Some(v.clone())).collect();
            let key = Key::Cell(r.placement, r.code);
            let keys = if keyed { r.record_keys } else { None };
            for mask in 0..(1usize << dims) {
                let m = summed(&c, mask);
                let e = sums[index[&m]].entry(key).or_insert((0, keys.map(|_| 0)));
                e.0 = e.0.checked_add(r.count).ok_or_else(overflow)?;
                e.1 = add(e.1, keys)?;
            }
        }
        let mut grid = Grid {
            combos,
            cells: Vec::new(),
            relations: Vec::new(),
        };
        let mut at: HashMap<(usize, Key), usize> = HashMap::new();
        for (combo, rows) in sums.into_iter().enumerate() {
            grid.hierarchy(table.to, combo, &rows, keyed, &mut at)?;
        }
        grid.margins(&index, &at);
        Ok(grid)
    }

    /// The cells of one combination: its rows, the subtotals of the hierarchy above `to` and its
    /// total, with their relations.
    fn hierarchy(
        &mut self,
        to: Level,
        combo: usize,
        rows: &std::collections::BTreeMap<Key, (u64, Option<u64>)>,
        keyed: bool,
        at: &mut HashMap<(usize, Key), usize>,
    ) -> Result<()> {
        for (&key, &(count, record_keys)) in rows {
            at.insert((combo, key), self.cells.len());
            self.cells.push(Cell {
                combo,
                key,
                count,
                record_keys,
            });
        }
        // Subtotals, finest first: categories (when detailed is counted), then groups.
        let levels: &[Level] = match to {
            Level::Detailed => &[Level::Category, Level::Group],
            Level::Category => &[Level::Group],
            Level::Group | Level::Residual => &[],
        };
        let mut tops: Vec<usize> = Vec::new();
        for &level in levels {
            tops.clear();
            for node in Node::all().filter(|n| n.level() == level) {
                let parts: Vec<usize> = node
                    .children()
                    .into_iter()
                    .flat_map(|c| {
                        [Key::Cell(Placement::AsAsked, c), Key::Subtotal(c)]
                            .map(|k| at.get(&(combo, k)).copied())
                    })
                    .chain(
                        [Placement::Coarser, Placement::Merged]
                            .map(|p| at.get(&(combo, Key::Cell(p, node))).copied()),
                    )
                    .flatten()
                    .collect();
                let i = self.sum_cell(combo, Key::Subtotal(node), &parts, keyed)?;
                at.insert((combo, Key::Subtotal(node)), i);
                tops.push(i);
            }
        }
        let mut parts: Vec<usize> = if to == Level::Group {
            Node::all()
                .filter(|n| n.level() == Level::Group)
                .filter_map(|n| at.get(&(combo, Key::Cell(Placement::AsAsked, n))).copied())
                .collect()
        } else {
            tops.clone()
        };
        parts.extend(
            Node::all()
                .filter(|n| n.is_residual())
                .filter_map(|n| at.get(&(combo, Key::Cell(Placement::Residual, n))).copied()),
        );
        let i = self.sum_cell(combo, Key::Total, &parts, keyed)?;
        at.insert((combo, Key::Total), i);
        Ok(())
    }

    /// A new cell `key` of `combo`, the sum of `parts`, with its relation.
    fn sum_cell(&mut self, combo: usize, key: Key, parts: &[usize], keyed: bool) -> Result<usize> {
        let mut count = 0u64;
        let mut record_keys = keyed.then_some(0);
        for &p in parts {
            count = count
                .checked_add(self.cells[p].count)
                .ok_or_else(overflow)?;
            record_keys = add(record_keys, self.cells[p].record_keys)?;
        }
        self.cells.push(Cell {
            combo,
            key,
            count,
            record_keys,
        });
        let i = self.cells.len() - 1;
        self.relations.push((i, parts.to_vec()));
        Ok(i)
    }

    /// The relations of the margins: each cell of a combination summed over a dimension is the
    /// sum of the same cell over that dimension's values.
    fn margins(
        &mut self,
        index: &HashMap<Vec<Option<String>>, usize>,
        at: &HashMap<(usize, Key), usize>,
    ) {
        let mut children: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (c, combo) in self.combos.iter().enumerate() {
            for (d, v) in combo.iter().enumerate() {
                if v.is_some() {
                    let mut m = combo.clone();
                    m[d] = None;
                    children.entry((index[&m], d)).or_default().push(c);
                }
            }
        }
        let mut cells_of: Vec<Vec<usize>> = vec![Vec::new(); self.combos.len()];
        for (i, c) in self.cells.iter().enumerate() {
            cells_of[c.combo].push(i);
        }
        let mut relations = Vec::new();
        for ((margin, _), kids) in &children {
            for &whole in &cells_of[*margin] {
                let key = self.cells[whole].key;
                let parts: Vec<usize> = kids
                    .iter()
                    .filter_map(|&k| at.get(&(k, key)).copied())
                    .collect();
                relations.push((whole, parts));
            }
        }
        relations.sort();
        self.relations.extend(relations);
    }

    /// The cells in output order: combination by combination, each one's rows, subtotals and
    /// total.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.cells.len()).collect();
        order.sort_by_key(|&i| (self.cells[i].combo, self.cells[i].key));
        order
    }
}
