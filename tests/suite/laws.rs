//! Property tests for the laws of the standard and the schemes.

use proptest::prelude::*;
use wm_ethnicity::{BUILTIN_IDS, KeyedBy, MatchKind, Relationship, builtin_scheme};
use wm_ethnicity::{Category, Detailed, Level, Node};

fn any_node() -> impl Strategy<Value = Node> {
    let all: Vec<Node> = Node::all().collect();
    (0..all.len()).prop_map(move |i| all[i])
}

fn any_level() -> impl Strategy<Value = Level> {
    prop::sample::select(Level::ALL.to_vec())
}

fn any_scheme_code() -> impl Strategy<Value = (&'static str, usize)> {
    prop::sample::select(BUILTIN_IDS.to_vec()).prop_flat_map(|id| {
        let n = builtin_scheme(id).unwrap().codes().len();
        (Just(id), 0..n)
    })
}

proptest! {
    #[test]
    fn roll_up_of_roll_up_is_the_direct_roll_up(n in any_node(), a in any_level(), b in any_level()) {
        let (fine, coarse) = if a > b { (a, b) } else { (b, a) };
        prop_assert_eq!(n.roll_up(fine).roll_up(coarse), n.roll_up(coarse));
    }

    #[test]
    fn roll_up_never_refines(n in any_node(), l in any_level()) {
        let r = n.roll_up(l);
        prop_assert!(r.contains(n));
        prop_assert!(r.level() <= n.level() || n.is_residual());
    }

    #[test]
    fn every_node_is_found_by_its_code_and_its_label(n in any_node()) {
        prop_assert_eq!(Node::from_code(n.code()), Some(n));
        prop_assert!(Node::from_label(n.label()).contains(&n));
    }

    #[test]
    fn lca_contains_every_member(a in any_node(), b in any_node(), c in any_node()) {
        if let Some(l) = Node::lowest_common_ancestor([a, b, c]) {
            prop_assert!(l.contains(a) && l.contains(b) && l.contains(c));
            for child in l.children() {
                prop_assert!(!(child.contains(a) && child.contains(b) && child.contains(c)), "a lower node contains all");
            }
        }
    }

    #[test]
    fn every_code_looks_up_to_itself_by_key_and_by_label((id, i) in any_scheme_code()) {
        let s = builtin_scheme(id).unwrap();
        let code = &s.codes()[i];
        let m = s.lookup(code.key()).unwrap();
        prop_assert_eq!(m.code.key(), code.key());
        prop_assert_eq!(m.kind, MatchKind::Exact);
        // The label finds the code, or a code of the same scheme with that same label, once
        // folded (SNOMED CT has concepts whose terms differ only in case).
        // (A label two codes of different meaning share names neither: NHS Scotland 4Z, 5Z.)
        let folded = wm_ethnicity::fold_label(&code.label);
        if let Some(by_label) = s.lookup_label(&code.label) {
            prop_assert_eq!(by_label.code.map(|c| wm_ethnicity::fold_label(&c.label)), Some(folded));
        } else {
            prop_assert!(s.codes().iter().any(|o| o.key() != code.key() && wm_ethnicity::fold_label(&o.label) == folded));
        }
        if s.keyed_by == KeyedBy::Code && !s.case_sensitive {
            let padded = format!("  {} ", code.key().to_lowercase());
            prop_assert_eq!(s.lookup(&padded).unwrap().code.key(), code.key());
        }
        if s.case_sensitive {
            // Case tells codes apart (CTV3 XaJRG, XaJRg): padding is trimmed, case is kept.
            let padded = format!("  {} ", code.key());
            prop_assert_eq!(s.lookup(&padded).unwrap().code.key(), code.key());
            let flipped: String = code.key().chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect();
            if flipped != code.key() {
                prop_assert!(s.lookup(&flipped).is_none_or(|m| m.code.key() == flipped));
            }
        }
    }

    #[test]
    fn every_mapping_target_exists_and_fits_its_relationship((id, i) in any_scheme_code()) {
        let m = &builtin_scheme(id).unwrap().codes()[i].map;
        prop_assert_eq!(Node::from_code(m.target.code()), Some(m.target));
        prop_assert_eq!(m.relationship == Relationship::Residual, m.target.is_residual());
        for c in &m.candidates {
            prop_assert!(m.target.contains(Node::Category(*c)));
        }
    }
}

#[test]
fn detailed_placement_follows_the_written_rule() {
    // Tick-box labels sit under their own category; write-ins under the section's write-in box.
    assert_eq!(
        Detailed::from_code("asian/kashmiri").unwrap().category(),
        Category::AsianOther
    );
    assert_eq!(
        Detailed::from_code("other/kashmiri").unwrap().category(),
        Category::OtherAnyOther
    );
    assert_eq!(
        Detailed::from_code("black-african/somali")
            .unwrap()
            .category(),
        Category::BlackAfrican
    );
    assert_eq!(
        Detailed::from_code("black-caribbean/somali")
            .unwrap()
            .category(),
        Category::BlackOther
    );
    assert_eq!(
        Detailed::from_code("white/irish").unwrap().category(),
        Category::WhiteIrish
    );
    assert_eq!(
        Detailed::from_code("white/polish").unwrap().category(),
        Category::WhiteOther
    );
    let tick_boxes = Detailed::ALL.iter().filter(|d| d.is_tick_box()).count();
    assert_eq!(tick_boxes, 13);
}
