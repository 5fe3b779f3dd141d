//! Text normalisation shared by code lookup, label matching and validation.

use std::borrow::Cow;

/// A code as typed: trimmed of spaces (including non-breaking ones) and upper-cased.
/// Borrowed when nothing changed, so the common case does not allocate.
pub fn normalise_code(raw: &str) -> Cow<'_, str> {
    let t = trim_code(raw);
    if t.bytes().any(|b| b.is_ascii_lowercase()) || !t.is_ascii() {
        Cow::Owned(t.to_uppercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// A code with surrounding spaces (and a stray byte-order mark) removed, its case kept: the key
/// of a case-sensitive scheme (CTV3).
pub fn trim_code(raw: &str) -> &str {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// A label folded for matching: lower case, dashes unified, runs of spaces collapsed, no spaces
/// around `/` or `-`, trimmed. `"Gypsy / Roma"`, `"gypsy/roma "` and `"Gypsy/Roma"` fold alike.
pub fn fold_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars() {
        let c = match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            c if c.is_whitespace() || c == '\u{feff}' => {
                pending_space = !out.is_empty();
                continue;
            }
            c => c,
        };
        let joins = matches!(c, '/' | '-');
        if pending_space && !joins && !out.ends_with(['/', '-']) {
            out.push(' ');
        }
        pending_space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Edit distance (Levenshtein) between two short strings, counting characters: the plain
/// definition that [`edit_distance_within`] is tested against.
#[cfg(test)]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// True when `s` holds nothing a person reads as a value: only white space and byte-order marks
/// (an empty cell, a field of spaces). Validation's empty cells and the readers' empty rows are
/// both this one test.
pub(crate) fn is_blank(s: &str) -> bool {
    // Fast path: a value starting with a visible ASCII character is not blank.
    if s.as_bytes().first().is_some_and(u8::is_ascii_graphic) {
        return false;
    }
    s.chars().all(|c| c.is_whitespace() || c == '\u{feff}')
}

/// True for characters that change how a terminal or editor shows text rather than being text:
/// control characters (C0, DEL, C1: escape sequences, bells, NUL, carriage returns) and the
/// invisible bidirectional overrides that can make a line read differently from its bytes.
pub(crate) fn is_hazard(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// True when `raw` holds a character [`is_hazard`] flags. Printable ASCII (and line breaks),
/// which is nearly every message, is cleared by a byte scan without decoding characters.
fn has_hazard(raw: &str) -> bool {
    if raw.bytes().all(|b| matches!(b, b' '..=b'~') || b == b'\n') {
        return false;
    }
    raw.chars().any(is_hazard)
}

/// `raw` made safe to print in a message: control characters (other than a line break) and
/// bidirectional overrides are written as escapes (`\u{1b}`, `\t`, `\r`, `\0`), so a value in
/// a report or an error can never move the cursor, clear a terminal or retitle a window.
/// Borrowed when nothing needed escaping.
pub fn printable(raw: &str) -> Cow<'_, str> {
    if !has_hazard(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if is_hazard(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The edit distance between `a` and `b` when it is at most `max`, else `None`. Only a band of
/// `2 * max + 1` cells around the diagonal is computed, and the work stops as soon as every path
/// is over `max`: unrelated strings are dismissed after a few characters.
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Cells off the band are further than `max` (at least their distance from the diagonal):
    // they hold `over`, as does any cell whose distance is over `max`.
    let over = max + 1;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut cur = vec![over; b.len() + 1];
    for i in 1..=a.len() {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(b.len());
        cur[0] = i.min(over);
        cur[lo - 1] = if lo == 1 { cur[0] } else { over };
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let v = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if hi < b.len() {
            cur[hi + 1] = over;
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Values longer than this (in characters) get no edit-distance suggestion: no code or label is
/// this long, and comparing two long strings costs the product of their lengths.
pub const MAX_SUGGEST_CHARS: usize = 256;

/// `raw` cut to at most `max` characters for a message, with `…` when cut, so an error never
/// repeats a huge value back.
pub fn clip(raw: &str, max: usize) -> Cow<'_, str> {
    match raw.char_indices().nth(max) {
        None => Cow::Borrowed(raw),
        Some((i, _)) => Cow::Owned(format!("{}…", &raw[..i])),
    }
}

/// The up to `n` candidates nearest to `want` (by edit distance on folded text, ties in the
/// candidates' order), keeping only those that are plausibly the same thing.
///
/// Linear time in the lengths of its inputs: the edit distance (whose cost grows with the product
/// of two lengths) is only computed for values of at most [`MAX_SUGGEST_CHARS`] characters, within
/// a band, stopping early (see [`edit_distance_within`]).
pub fn nearest<'a>(
    want: &str,
    candidates: impl Iterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let w = fold_label(want);
    let w_chars = w.chars().count();
    let limit = (w_chars / 3).max(1) + 1;
    let w_hist = char_histogram(&w);
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .enumerate()
        .filter_map(|(i, c)| {
            let f = fold_label(c);
            // (`contains` prepares the needle first: only search where it can fit.)
            let d = if f.starts_with(&w) || (w.len() >= 3 && w.len() <= f.len() && f.contains(&w)) {
                1
            } else {
                if w_chars > MAX_SUGGEST_CHARS || f.len() > 4 * MAX_SUGGEST_CHARS {
                    return None;
                }
                // Each edit changes the character counts by at most 2: a cheap lower bound that
                // dismisses most candidates before the distance is computed.
                let f_hist = char_histogram(&f);
                let l1: usize = w_hist
                    .iter()
                    .zip(&f_hist)
                    .map(|(a, b)| usize::from(a.abs_diff(*b)))
                    .sum();
                if l1.div_ceil(2) > limit {
                    return None;
                }
                edit_distance_within(&w, &f, limit)?
            };
            (d <= limit).then_some((d, i, c))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(n).map(|(_, _, c)| c).collect()
}

/// Characters counted into 64 buckets (saturating): bucket collisions only lower the difference
/// between two histograms, so half of it stays a lower bound of the edit distance.
fn char_histogram(s: &str) -> [u8; 64] {
    let mut h = [0u8; 64];
    for c in s.chars() {
        let b = &mut h[(u32::from(c) % 64) as usize];
        *b = b.saturating_add(1);
    }
    h
}

/// True when `raw` looks like a number Excel has mangled: scientific notation such as
/// `9.76631E+14` (a long numeric code displayed in a narrow column).
pub fn looks_like_excel_scientific(raw: &str) -> bool {
    let t = raw.trim();
    let Some((mantissa, exp)) = t.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().filter(|b| *b == b'.').count() <= 1
        && !exp.is_empty()
        && exp.bytes().all(|b| b.is_ascii_digit())
}

/// True when `raw` looks like a long numeric code that Excel stored as a number: at least 12
/// digits ending in at least 5 zeros, as `976631000000000`, or more than 15 digits whose digits
/// after the fifteenth are zeros, as `1036211000000100` (Excel keeps 15 significant digits, so a
/// longer code comes back rounded, its last digits replaced by zeros).
pub fn looks_like_excel_rounded(raw: &str) -> bool {
    let t = raw.trim();
    let zeros = t.len() - t.trim_end_matches('0').len();
    t.bytes().all(|b| b.is_ascii_digit())
        && ((t.len() >= 12 && zeros >= 5)
            || (t.len() > EXCEL_DIGITS && zeros >= t.len() - EXCEL_DIGITS))
}

/// The significant digits Excel keeps of a number.
pub const EXCEL_DIGITS: usize = 15;

/// A whole number Excel wrote in a form other than its digits, when every digit is still there:
/// scientific notation whose mantissa holds them all (`9.76631000000101E+14` is
/// `976631000000101`), or a decimal point and zeros (`976631000000101.0`). `None` for anything
/// else, and for scientific notation that lost digits (`9.76631E+14`: the last nine are gone).
pub fn excel_whole_number(raw: &str) -> Option<String> {
    let t = raw.trim();
    if let Some((whole, zeros)) = t.split_once('.')
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !zeros.is_empty()
        && zeros.bytes().all(|b| b == b'0')
    {
        return Some(whole.to_owned());
    }
    let (int, frac, exp) = scientific_parts(t)?;
    (frac.len() == exp && !int.is_empty()).then(|| format!("{int}{frac}"))
}

/// Scientific notation's digits before and after the point, and its exponent.
fn scientific_parts(t: &str) -> Option<(&str, &str, usize)> {
    if !looks_like_excel_scientific(t) {
        return None;
    }
    let (mantissa, exp) = t.split_once(['E', 'e'])?;
    let exp: usize = exp.strip_prefix('+').unwrap_or(exp).parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    Some((int, frac, exp))
}

/// Scientific notation that lost digits (`9.76631E+14`): its leading digits and the number of
/// digits the whole number had (`976631`, 15). `None` when it is not such a number.
pub fn excel_lost_digits(raw: &str) -> Option<(String, usize)> {
    let (int, frac, exp) = scientific_parts(raw.trim())?;
    (frac.len() < exp).then(|| (format!("{int}{frac}"), int.len() + exp))
}

/// `code` (all digits) as Excel would keep it: rounded to 15 significant digits, the rest zeros.
/// `None` when it is not a number of more than 15 digits.
pub fn excel_rounded(code: &str) -> Option<String> {
    if code.len() <= EXCEL_DIGITS || code.len() > 38 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u128 = code.parse().ok()?;
    let unit = 10u128.pow(u32::try_from(code.len() - EXCEL_DIGITS).ok()?);
    let rounded = (n + unit / 2) / unit * unit;
    Some(format!("{rounded:0width$}", width = code.len()))
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe, for CSV written for
/// people to open (validation's findings, convert's rejects); plain numbers such as `-8` are
/// left alone.
pub fn cell_safe(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_numbers_ending_in_zeros_look_rounded_by_excel() {
        use super::looks_like_excel_rounded as r;
        assert!(r("976631000000000") && r(" 976631000000000 ") && r("123456700000"));
        assert!(!r("976631000000101") && !r("100000") && !r("9.76631E+14") && !r("A00000000000"));
    }

    use super::*;

    #[test]
    fn the_byte_scan_for_hazards_agrees_with_the_character_scan() {
        let chars = (0..0x3000)
            .filter_map(char::from_u32)
            .chain(['\u{feff}', '\u{10ffff}']);
        for c in chars {
            for s in [c.to_string(), format!("ok {c} ok"), format!("{c}\n")] {
                assert_eq!(
                    has_hazard(&s),
                    s.chars().any(is_hazard),
                    "{:x}",
                    u32::from(c)
                );
            }
        }
    }

    #[test]
    fn folding_ascii_is_folding_by_unicode_case() {
        for b in 0..=0x7f_u8 {
            let c = char::from(b);
            assert_eq!(
                c.to_ascii_lowercase().to_string(),
                c.to_lowercase().to_string()
            );
        }
    }

    #[test]
    fn folds_labels_alike() {
        assert_eq!(fold_label("Gypsy / Roma"), fold_label("gypsy/roma "));
        assert_eq!(
            fold_label("White – North European"),
            fold_label("white - north  european")
        );
        assert_eq!(
            fold_label("Bosnian- Herzegovinian"),
            "bosnian-herzegovinian"
        );
        assert_eq!(
            fold_label("  Any other white background "),
            "any other white background"
        );
    }

    #[test]
    fn normalises_codes() {
        assert_eq!(normalise_code(" j "), "J");
        assert!(matches!(normalise_code("APKN"), Cow::Borrowed(_)));
        assert_eq!(normalise_code("\u{a0}apkn"), "APKN");
    }

    #[test]
    fn excel_numbers_are_read_back_only_when_every_digit_is_there() {
        use super::{excel_lost_digits, excel_rounded, excel_whole_number};
        assert_eq!(
            excel_whole_number("9.76631000000101E+14").as_deref(),
            Some("976631000000101")
        );
        assert_eq!(
            excel_whole_number(" 976631000000101.0 ").as_deref(),
            Some("976631000000101")
        );
        assert_eq!(excel_whole_number("9.76631E+14"), None);
        assert_eq!(excel_whole_number("1.5"), None);
        assert_eq!(excel_whole_number("WBRI"), None);
        assert_eq!(
            excel_lost_digits("9.76631E+14"),
            Some(("976631".to_owned(), 15))
        );
        assert_eq!(excel_lost_digits("9.76631000000101E+14"), None);
        assert_eq!(
            excel_rounded("1036211000000103").as_deref(),
            Some("1036211000000100")
        );
        assert_eq!(
            excel_rounded("1036211000000106").as_deref(),
            Some("1036211000000110")
        );
        assert_eq!(excel_rounded("976631000000101"), None);
        assert!(super::looks_like_excel_rounded("1036211000000100"));
        assert!(!super::looks_like_excel_rounded("1036211000000103"));
    }

    #[test]
    fn spots_excel_scientific_notation() {
        assert!(looks_like_excel_scientific("9.76631E+14"));
        assert!(!looks_like_excel_scientific("WBRI"));
        assert!(!looks_like_excel_scientific("E"));
    }

    #[test]
    fn nearest_is_fast_on_huge_values_and_clip_cuts_them() {
        let huge = "w".repeat(1 << 20);
        let start = std::time::Instant::now();
        assert!(nearest(&huge, ["white", "white.irish"].into_iter(), 3).is_empty());
        assert!(nearest("white.iris", [huge.as_str()].into_iter(), 3).is_empty());
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("ééé", 2), "éé…");
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_act_on() {
        assert!(matches!(printable("White – Irish"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}[2J\u{7}\t\r\0\u{202e}z\n"),
            "a\\u{1b}[2J\\u{7}\\t\\r\\0\\u{202e}z\n"
        );
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn edit_distance_within_agrees_with_edit_distance() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "kitten",
            "sitting",
            "APKN",
            "APNK",
            "white",
            "whtie",
            "gypsy/roma",
            "gypsy roma",
            "Pakistani",
            "pakistan",
            "ééé",
            "eee",
            "abcdefghij",
        ];
        for a in words {
            for b in words {
                let d = edit_distance(a, b);
                for max in 0..12 {
                    let want = (d <= max).then_some(d);
                    assert_eq!(edit_distance_within(a, b, max), want, "{a:?} {b:?} {max}");
                }
            }
        }
    }

    #[test]
    fn nearest_finds_close_codes() {
        let codes = ["APKN", "AIND", "ABAN", "WBRI"];
        assert_eq!(nearest("APNK", codes.into_iter(), 2)[0], "APKN");
    }

    mod prop {
        use super::super::{edit_distance, edit_distance_within, fold_label, nearest};
        use proptest::prelude::*;

        proptest! {
        #[test]
        fn banded_edit_distance_agrees_with_the_full_one(
            a in "[a-cé /-]{0,12}",
            b in "[a-cé /-]{0,12}",
            max in 0usize..14,
        ) {
            let d = edit_distance(&a, &b);
            prop_assert_eq!(edit_distance_within(&a, &b, max), (d <= max).then_some(d));
        }

        #[test]
        fn nearest_keeps_what_a_brute_force_search_keeps(
            want in "[a-dA-D /-]{0,10}",
            candidates in prop::collection::vec("[a-dA-D /-]{0,10}", 0..12),
        ) {
            let got = nearest(&want, candidates.iter().map(String::as_str), 3);
            // The plain rule nearest() documents, computed the slow way.
            let w = fold_label(&want);
            let limit = (w.chars().count() / 3).max(1) + 1;
            let mut scored: Vec<(usize, usize, &str)> = candidates
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let f = fold_label(c);
                    let d = if f.starts_with(&w) || (w.len() >= 3 && f.contains(&w)) {
                        1
                    } else {
                        edit_distance(&w, &f)
                    };
                    (d <= limit).then_some((d, i, c.as_str()))
                })
                .collect();
            scored.sort_unstable();
            let want_list: Vec<&str> = scored.into_iter().take(3).map(|(_, _, c)| c).collect();
            prop_assert_eq!(got, want_list);
        }
        }
    }
}
