//! Short text values (codes, dates, council codes) looked up by their bytes read as numbers:
//! a key made in two loads, found in a table of its own by one multiplication and a compare of
//! three numbers, where a map of strings hashes byte by byte and compares through `memcmp`.

/// Values of at most this many bytes have a [`Packed`] key.
const SHORT: usize = 16;

/// A short value's bytes as numbers: the first and last 8 bytes (4 when shorter, the first,
/// middle and last when shorter still), overlapping, and the length. Two values of at most
/// [`SHORT`] bytes have the same key exactly when they are the same: the two reads cover
/// every byte of either.
pub(super) type Packed = (u64, u64, usize);

/// `v`'s [`Packed`] key, for a value of at most [`SHORT`] bytes.
pub(super) fn packed(v: &str) -> Option<Packed> {
    let b = v.as_bytes();
    let n = b.len();
    let eight = |at: usize| b.get(at..at + 8).and_then(|w| w.try_into().ok());
    let four = |at: usize| b.get(at..at + 4).and_then(|w| w.try_into().ok());
    let (lo, hi) = match n {
        0 => (0, 0),
        1..4 => {
            let byte = |i: usize| u64::from(b[i]);
            (byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16, 0)
        }
        4..8 => (
            u64::from(u32::from_le_bytes(four(0)?)),
            u64::from(u32::from_le_bytes(four(n - 4)?)),
        ),
        8..=SHORT => (
            u64::from_le_bytes(eight(0)?),
            u64::from_le_bytes(eight(n - 8)?),
        ),
        _ => return None,
    };
    Some((lo, hi, n))
}

/// Each [`Packed`] key's number: open addressing, linear probing, at most half full.
pub(super) struct ShortIndex {
    /// Each slot's key and number ([`EMPTY`]: a free slot); a power of two of them.
    slots: Vec<(Packed, u32)>,
    /// Slots in use.
    len: usize,
}

/// The number of a free slot.
const EMPTY: u32 = u32::MAX;

impl Default for ShortIndex {
    fn default() -> Self {
        ShortIndex {
            slots: vec![((0, 0, 0), EMPTY); 64],
            len: 0,
        }
    }
}

impl ShortIndex {
    /// Where the search for `p` starts.
    fn start(&self, p: Packed) -> usize {
        let mixed = (p.0 ^ p.1.rotate_left(29) ^ (p.2 as u64).rotate_left(58))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The high bits are the best mixed; the table has at most 2^32 slots.
        let mask = self.slots.len() - 1;
        usize::try_from(mixed >> 32).unwrap_or_default() & mask
    }

    /// The number of `p`, if it has one.
    pub(super) fn get(&self, p: Packed) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.start(p);
        loop {
            let (key, n) = self.slots[i];
            if n == EMPTY {
                return None;
            }
            if key == p {
                return Some(n);
            }
            i = (i + 1) & mask;
        }
    }

    /// Gives `p` (not yet in the table) the number `n` (below [`EMPTY`]).
    pub(super) fn insert(&mut self, p: Packed, n: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            let bigger = vec![((0, 0, 0), EMPTY); self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, bigger);
            self.len = 0;
            for (key, n) in old.into_iter().filter(|s| s.1 != EMPTY) {
                self.place(key, n);
            }
        }
        self.place(p, n);
    }

    fn place(&mut self, p: Packed, n: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.start(p);
        while self.slots[i].1 != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (p, n);
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_have_keys_equal_only_when_the_values_are() {
        // Every value of up to 3 of these bytes, and longer ones differing in one byte only:
        // the same key exactly for the same value.
        let alphabet = ["", "a", "b", "é"];
        let mut values: Vec<String> = Vec::new();
        for x in alphabet {
            for y in alphabet {
                for z in alphabet {
                    values.push(format!("{x}{y}{z}"));
                }
            }
        }
        for n in 4..=SHORT {
            let base = "a".repeat(n);
            values.push(base.clone());
            for at in 0..n {
                let mut b = base.clone().into_bytes();
                b[at] = b'b';
                values.push(String::from_utf8(b).unwrap());
            }
        }
        values.sort();
        values.dedup();
        let keys: Vec<_> = values.iter().map(|v| packed(v).unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(a == b, i == j, "{:?} {:?}", values[i], values[j]);
            }
        }
        assert_eq!(packed(&"a".repeat(SHORT + 1)), None);
    }

    #[test]
    fn the_index_finds_every_key_it_was_given_and_no_other() {
        let mut index = ShortIndex::default();
        let value = |i: u32| format!("2025-{i:05}");
        for i in 0..5000 {
            assert_eq!(index.get(packed(&value(i)).unwrap()), None);
            index.insert(packed(&value(i)).unwrap(), i);
        }
        for i in 0..5000 {
            assert_eq!(index.get(packed(&value(i)).unwrap()), Some(i));
        }
        assert_eq!(index.get(packed("2025-99999").unwrap()), None);
    }
}
