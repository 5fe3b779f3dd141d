//! Synthetic returns for the benches: the shape `scripts/bench.py` generates (record id,
//! council, date, NHS ethnic category code, about 1% bad values), from a fixed seed.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;

/// NHS ETHNIC CATEGORY national codes, weighted roughly like a West Midlands return.
const CODES: [(&str, u32); 18] = [
    ("A", 50),
    ("B", 1),
    ("C", 5),
    ("D", 2),
    ("E", 1),
    ("F", 1),
    ("G", 1),
    ("H", 4),
    ("J", 6),
    ("K", 2),
    ("L", 1),
    ("M", 2),
    ("N", 2),
    ("P", 1),
    ("R", 1),
    ("S", 3),
    ("Z", 5),
    ("99", 8),
];

/// A small deterministic generator (`SplitMix64`).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One value of the ethnicity column: a weighted code, or (1 in 100) a bad one.
pub fn value(rng: &mut Rng) -> String {
    let total: u32 = CODES.iter().map(|c| c.1).sum();
    let mut pick = u32::try_from(rng.below(u64::from(total))).unwrap();
    let mut code = "A";
    for (c, w) in CODES {
        if pick < w {
            code = c;
            break;
        }
        pick -= w;
    }
    if rng.below(100) != 0 {
        return code.to_owned();
    }
    match rng.below(4) {
        0 => code.to_lowercase(),
        1 => format!(" {code} "),
        2 => String::new(),
        _ => ["X", "Q", "WBRI", "ZZ"][usize::try_from(rng.below(4)).unwrap()].to_owned(),
    }
}

/// A CSV return of `rows` records with the header `record_id,council,date,ethnicity_code`.
pub fn csv(rows: usize) -> String {
    let mut rng = Rng::new(20_261_123);
    let mut out = String::with_capacity(rows * 32);
    out.push_str("record_id,council,date,ethnicity_code\n");
    for i in 0..rows {
        let council = 25 + rng.below(7);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let _ = writeln!(
            out,
            "{},E080000{council},2025-{month:02}-{day:02},{}",
            10_000_000 + i,
            value(&mut rng)
        );
    }
    out
}
