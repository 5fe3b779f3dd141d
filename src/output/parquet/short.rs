//! Short text values (codes, dates, council codes) looked up by their bytes read as numbers:
//! a key made in two loads, hashed and compared as three numbers, where a key of text is hashed
//! byte by byte and compared through `memcmp`.

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
}
