//! The fast lookup paths give exactly the answers of the general one.

use super::{BUILTIN_IDS, Match, Scheme, builtin_scheme as builtin};

fn same(a: Option<Match<'_>>, b: Option<Match<'_>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => std::ptr::eq(a.code, b.code) && a.kind == b.kind,
        _ => false,
    }
}

/// Every key of the scheme, and its label, changed in the ways returns change them.
fn inputs(s: &Scheme) -> Vec<String> {
    let pads = [
        "", " ", "\t", "\u{b}", "\u{c}", "\r", "\n", "\u{a0}", "\u{feff}", "\u{2003}", "\u{85}",
    ];
    let mut out = vec![
        String::new(),
        " ".to_owned(),
        "x".to_owned(),
        "ZZZZZZZZ".to_owned(),
        "\0".to_owned(),
        "A\0".to_owned(),
        "ı".to_owned(),
        "ß".to_owned(),
    ];
    for c in s.codes() {
        for base in [c.key(), c.label.as_str()] {
            let lower = base.to_lowercase();
            let mut first = base.chars();
            let one: String = first.next().into_iter().collect();
            for v in [base.to_owned(), lower.clone(), base.to_uppercase()] {
                for p in pads {
                    out.push(format!("{p}{v}"));
                    out.push(format!("{v}{p}"));
                    out.push(format!("{p}{v}{p}"));
                }
                for second in ["1", "a", "Z", "-", " ", "é", "99"] {
                    out.push(format!("{v}{second}"));
                    out.push(format!("{one}{second}"));
                }
                out.push(format!("{v}{v}"));
                out.push(v.chars().rev().collect());
            }
        }
    }
    out
}

#[test]
fn fast_lookup_agrees_with_the_general_path() {
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for raw in inputs(s) {
            assert!(
                same(s.lookup(&raw), s.lookup_slow(&raw)),
                "{id}: {raw:?}: fast {:?} vs general {:?}",
                s.lookup(&raw).map(|m| (m.code.key(), m.kind)),
                s.lookup_slow(&raw).map(|m| (m.code.key(), m.kind)),
            );
        }
    }
}

#[test]
fn a_numeric_code_with_leading_zeros_is_found_normalised() {
    let core = builtin("housing-core").unwrap();
    for raw in ["01", " 001 ", "020"] {
        let m = core
            .lookup(raw)
            .unwrap_or_else(|| panic!("{raw:?} not found"));
        assert_eq!(m.code.key(), raw.trim().trim_start_matches('0'));
        assert_eq!(m.kind, super::MatchKind::Normalised);
    }
    assert!(core.lookup("00").is_none() && core.lookup("0x1").is_none());
    // A code listed with its zero is found exactly.
    let s = builtin("ons-2021-ew").unwrap();
    if let Some(c) = s.codes().iter().find(|c| c.key().starts_with('0')) {
        assert_eq!(s.lookup(c.key()).unwrap().kind, super::MatchKind::Exact);
    }
}

#[test]
fn a_local_extension_of_nhs_c_may_be_white_british() {
    // The PDS list files English (CA) etc. under C; C itself (2001 'Any other White') excludes
    // British, so its local extensions carry their own, wider meaning.
    let nhs = builtin("nhs-ethnic-category").unwrap();
    let m = nhs.lookup("CA").unwrap();
    assert_eq!(m.code.key(), "C");
    assert!(
        m.mapping()
            .candidates
            .contains(&crate::standard::Category::WhiteBritish)
    );
    assert_eq!(m.mapping().most_likely, None);
    assert!(
        !nhs.lookup("C")
            .unwrap()
            .mapping()
            .candidates
            .contains(&crate::standard::Category::WhiteBritish)
    );
}

#[test]
fn local_needs_a_local_second_character() {
    let text = "id: t\nname: t\nauthority: t\nversion: '1'\nsource_url: 'https://example.org'\nsource: t\ncodes:\n  - code: 'A'\n    label: A\n    map: {rel: equivalent, to: white.british}\n    local: {rel: broader, to: white, candidates: [white.british, white.other], note: n}\n";
    let e = Scheme::from_yaml(text, "t.yaml", |_| None).unwrap_err();
    assert!(e.to_string().contains("local_second_character"), "{e}");
}

#[test]
fn the_same_answer_maps_the_same_way_in_every_scheme() {
    // Pairs of codes of different schemes with the same published meaning: the same place in the
    // standard (relationship, target, candidates), whatever their lists' roll-ups.
    let pairs = [
        (
            (
                "scotland-2022",
                "Caribbean or Black: Black, Black Scottish or Black British",
            ),
            ("nhs-scotland-ethnic-group", "5D"),
        ),
        (
            (
                "scotland-2022",
                "Caribbean or Black: Other Caribbean or Black",
            ),
            ("nhs-scotland-ethnic-group", "5Y"),
        ),
        (
            ("scotland-2022", "White: Gypsy/ Traveller"),
            ("nhs-scotland-ethnic-group", "1K"),
        ),
        (("dfe-cbds", "WCOR"), ("nhs-ethnic-category-extended", "CD")),
        (("dfe-cbds", "MBCH"), ("nhs-ethnic-category-extended", "GB")),
    ];
    for ((a, x), (b, y)) in pairs {
        let (m, n) = (
            &builtin(a).unwrap().get(x).unwrap().map,
            &builtin(b).unwrap().get(y).unwrap().map,
        );
        assert_eq!(
            (m.relationship, m.target, &m.candidates),
            (n.relationship, n.target, &n.candidates),
            "{a} {x} vs {b} {y}"
        );
    }
}

#[test]
fn core_any_other_white_may_be_roma_in_logs_before_roma_had_a_code() {
    // CORE 20 (Roma) is offered only from the 2024 logs and has no start date to key on.
    let core = builtin("housing-core").unwrap();
    let m = &core.get("3").unwrap().map;
    assert_eq!(m.relationship, super::Relationship::Broader);
    assert!(m.candidates.contains(&crate::standard::Category::WhiteRoma));
    assert_eq!(m.most_likely, Some(crate::standard::Category::WhiteOther));
    assert_eq!(core.get("20").unwrap().valid_from, None);
}
