//! Conversion: the laws (round trips, conservation of rows, idempotence, honest granularity) on
//! every built-in scheme and as property tests, label matching, and the command line on the
//! regional sample in `fixtures/regional` with exact counts and golden outputs.
//!
//! After a deliberate change to the output, `WM_REGENERATE=1 cargo test --test suite convert`
//! rewrites `fixtures/regional/expected/`; review the diff before committing it.

use crate::cli::{run, stderr, stdout};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use wm_ethnicity::Loss;
use wm_ethnicity::Rule;
use wm_ethnicity::{AddedColumns, RecordFormat, RecordWriter, RejectWriter};
use wm_ethnicity::{
    BUILTIN_IDS, KeyedBy, Registry, Relationship, Status, builtin_scheme as builtin,
};
use wm_ethnicity::{By, Matched, Source};
use wm_ethnicity::{Category, Level, Node};
use wm_ethnicity::{
    Converter, Plan, Policy, SchemeFrom, convert_code, convert_stream, convert_value,
};
use wm_ethnicity::{ReadOptions, Table};
use wm_ethnicity::{Synonyms, find_label};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn source(id: &str) -> Source<'static> {
    Source::Scheme(builtin(id).unwrap())
}

pub fn registry() -> &'static Registry {
    static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    R.get_or_init(Registry::new)
}

// ---------------------------------------------------------------------------------------------
// Round trips: scheme -> standard -> the same scheme.

#[test]
fn round_trip_is_the_identity_for_equivalent_codes_of_every_scheme() {
    let mut exceptions = BTreeSet::new();
    let mut checked = 0;
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for c in s.codes() {
            if !matches!(
                c.map.relationship,
                Relationship::Equivalent | Relationship::Residual
            ) {
                continue;
            }
            checked += 1;
            let conv = convert_code(Source::Scheme(s), c.key(), Policy::Strict).unwrap();
            let back = conv.recode(s).unwrap();
            assert_eq!(back.loss, Loss::None, "{id} {}", c.key());
            if back.code != c.key() {
                // Only where the scheme has two codes with one meaning: the active one comes back.
                let other = s.get(back.code).unwrap();
                assert_eq!(
                    (
                        other.map.relationship,
                        other.map.target,
                        &other.map.candidates
                    ),
                    (c.map.relationship, c.map.target, &c.map.candidates),
                    "{id} {} -> {}",
                    c.key(),
                    back.code
                );
                // Clinical terminologies hold several concepts of one meaning (SNOMED CT's
                // "Pakistani" and its 2001 and 2011 census concepts): any of them comes back.
                if !["snomed-ct", "ctv3"].contains(&id) {
                    exceptions.insert((id, c.key().to_owned(), back.code.to_owned()));
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
    let expected: BTreeSet<(&str, String, String)> = [
        ("hesa", "999", "997"),
        ("police-sde", "O1", "A4"),
        // NHS Scotland's older codes come back as their successors in the 2021 list.
        ("nhs-scotland-ethnic-group", "1J", "1C"),
        ("nhs-scotland-ethnic-group", "4E", "5C"),
        ("nhs-scotland-ethnic-group", "5B", "6A"),
        ("nhs-scotland-ethnic-group", "5Z", "6Z"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a, b.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(exceptions, expected);
    assert_eq!(
        builtin("police-sde").unwrap().get("O1").unwrap().status,
        Status::Retired
    );
}

#[test]
fn standard_codes_round_trip_through_every_scheme_that_has_them() {
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for c in s
            .codes()
            .iter()
            .filter(|c| c.map.relationship == Relationship::Equivalent)
        {
            let node = c.map.target;
            let std = convert_code(Source::Standard, node.code(), Policy::Strict).unwrap();
            let r = std.recode(s).unwrap();
            assert_eq!(r.loss, Loss::None, "{id} {node}");
            assert_eq!(s.get(r.code).unwrap().map.target, node, "{id} {node}");
        }
    }
}

#[test]
fn cross_conversion_states_each_loss() {
    let dfe = builtin("dfe-cbds").unwrap();
    let nhs = builtin("nhs-ethnic-category").unwrap();
    let c = convert_code(Source::Scheme(dfe), "WIRT", Policy::Strict).unwrap();
    let r = c.recode(nhs).unwrap();
    assert_eq!((r.code, r.loss), ("C", Loss::Generalised));
    assert!(r.note.contains("wider"), "{}", r.note);
    // NHS C under strict: no DfE code holds all its candidates.
    let c = convert_code(Source::Scheme(nhs), "C", Policy::Strict).unwrap();
    let e = c.recode(dfe).unwrap_err();
    assert_eq!(e.rule, Rule::AmbiguousTargetCode);
    // ... under most-likely it is Other White, flagged on the record.
    let c = convert_code(Source::Scheme(nhs), "C", Policy::MostLikely).unwrap();
    let r = c.recode(dfe).unwrap();
    assert_eq!((r.code, r.loss), ("WOTH", Loss::None));
    assert_eq!(c.policy, Some(Policy::MostLikely));
    // A detailed DfE code into NHS letters loses its detail, and says so.
    let c = convert_code(Source::Scheme(dfe), "BSOM", Policy::Strict).unwrap();
    let r = c.recode(nhs).unwrap();
    assert_eq!((r.code, r.loss), ("N", Loss::Generalised));
}

#[test]
fn an_nhs_local_code_under_c_never_makes_a_british_person_other_white() {
    // PDS-style CA (English), CB, CC, C2 read as nhs-ethnic-category local codes under C.
    let nhs = Source::Scheme(builtin("nhs-ethnic-category").unwrap());
    for code in ["CA", "CB", "CC", "C2", "CD"] {
        for policy in [Policy::Strict, Policy::MostLikely] {
            let c = convert_code(nhs, code, policy).unwrap();
            assert_eq!(c.code.code(), "white", "{code} {policy:?}");
            assert!(
                c.candidates.contains(&Category::WhiteBritish),
                "{code}: {:?}",
                c.candidates
            );
            assert_eq!(c.matched, Matched::LocalSecondCharacter);
        }
    }
    // Read through the PDS list itself, English is White British.
    let pds = Source::Scheme(builtin("nhs-ethnic-category-extended").unwrap());
    let c = convert_code(pds, "CA", Policy::MostLikely).unwrap();
    assert_eq!(c.code.code(), "white.british");
    // Other national codes' local extensions keep the code's meaning, narrower.
    let c = convert_code(nhs, "J1", Policy::Strict).unwrap();
    assert_eq!(c.code.code(), "asian.pakistani");
}

#[test]
fn a_self_defined_record_is_never_recoded_as_officer_observed() {
    // Police W1 is what the person said; IC1 is what an officer saw: refused, saying why.
    let sde = builtin("police-sde").unwrap();
    let ic = builtin("police-ic").unwrap();
    let c = convert_code(Source::Scheme(sde), "W1", Policy::MostLikely).unwrap();
    let e = c.recode(ic).unwrap_err();
    assert_eq!(e.rule, Rule::NoTargetCode);
    assert!(e.reason.contains("observed"), "{}", e.reason);
    // An observed record may still be recoded as observed.
    let c = convert_code(Source::Scheme(ic), "IC1", Policy::Strict).unwrap();
    assert_eq!(c.recode(ic).unwrap().code, "IC1");
}

// ---------------------------------------------------------------------------------------------
// Honest granularity and idempotence, on every code of every scheme.

/// The finest level a mapping really knows.
fn known_level(m: &wm_ethnicity::Mapping) -> Level {
    m.target.level()
}

#[test]
fn no_record_is_finer_than_its_source() {
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for c in s.codes() {
            for policy in [Policy::Strict, Policy::MostLikely] {
                let conv = convert_code(Source::Scheme(s), c.key(), policy).unwrap();
                let known = known_level(&c.map);
                match (c.map.relationship, conv.policy) {
                    (Relationship::Broader, Some(Policy::MostLikely)) => {
                        // A documented choice, one level below the common ancestor at most, and
                        // always flagged.
                        assert_eq!(policy, Policy::MostLikely);
                        assert_eq!(conv.level, Level::Category, "{id} {}", c.key());
                        assert_eq!(Some(conv.code.category().unwrap()), c.map.most_likely);
                    }
                    (Relationship::Broader, p) => {
                        assert_eq!(p, Some(Policy::Strict), "{id} {}", c.key());
                        assert_eq!(conv.code, c.map.target);
                        assert_eq!(
                            Node::lowest_common_ancestor(
                                c.map.candidates.iter().map(|&x| Node::Category(x))
                            ),
                            Some(c.map.target),
                            "{id} {}: the target is the common ancestor of the candidates",
                            c.key()
                        );
                    }
                    (_, p) => {
                        assert_eq!(p, None);
                        assert_eq!(conv.code, c.map.target, "{id} {}", c.key());
                        assert_eq!(conv.level, known);
                    }
                }
                // The standard's fields agree with the code emitted, and say nothing finer.
                assert_eq!(conv.group, conv.code.group());
                assert_eq!(conv.category, conv.code.category());
                assert_eq!(conv.detailed, conv.code.detailed());
                if conv.level == Level::Group {
                    assert_eq!(conv.category, None);
                }
            }
        }
    }
}

#[test]
fn converting_standard_output_again_changes_nothing() {
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for c in s.codes() {
            for policy in [Policy::Strict, Policy::MostLikely] {
                let once = convert_code(Source::Scheme(s), c.key(), policy).unwrap();
                let twice = convert_code(Source::Standard, once.code.code(), policy).unwrap();
                assert_eq!(
                    (
                        twice.code,
                        twice.level,
                        twice.group,
                        twice.category,
                        twice.detailed
                    ),
                    (
                        once.code,
                        once.level,
                        once.group,
                        once.category,
                        once.detailed
                    ),
                    "{id} {}",
                    c.key()
                );
                let thrice = convert_code(Source::Standard, twice.code.code(), policy).unwrap();
                assert_eq!(thrice, twice);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Label matching.

fn label(scheme: &str, raw: &str) -> Result<(String, &'static str, Matched), String> {
    let src = if scheme == "standard" {
        Source::Standard
    } else {
        source(scheme)
    };
    find_label(registry(), Synonyms::builtin(), src, raw)
        .map(|f| (f.meaning.target.code().to_owned(), f.scheme, f.matched))
        .map_err(|r| format!("{} {}", r.rule.id(), r.nearest.join("|")))
}

#[test]
fn legacy_labels_match_exactly_normalised_or_by_synonym() {
    type Want = Result<(&'static str, &'static str, Matched), &'static str>;
    let cases: [(&str, &str, Want); 12] = [
        (
            "ons-2001-ew",
            "Pakistani",
            Ok(("asian.pakistani", "ons-2001-ew", Matched::Exact)),
        ),
        (
            "ons-2001-ew",
            "pakistani ",
            Ok(("asian.pakistani", "ons-2001-ew", Matched::Normalised)),
        ),
        (
            "nhs-ethnic-category",
            "Pakistani",
            Ok(("asian.pakistani", "standard", Matched::Synonym)),
        ),
        (
            "nhs-ethnic-category",
            "Black - Caribbean",
            Ok(("black.caribbean", "standard", Matched::Synonym)),
        ),
        (
            "nhs-ethnic-category",
            "black-caribbean",
            Ok(("black.caribbean", "standard", Matched::Synonym)),
        ),
        (
            "dfe-cbds",
            "Mixed W/B Carib",
            Ok(("mixed.white-black-caribbean", "standard", Matched::Synonym)),
        ),
        (
            "dfe-cbds",
            "Any other white background ",
            Ok(("white.other", "dfe-cbds", Matched::Normalised)),
        ),
        (
            "nhs-ethnic-category",
            "Any other white background ",
            Ok(("white", "nhs-ethnic-category", Matched::Synonym)),
        ),
        (
            "nhs-ethnic-category",
            "White \u{2013} Any other White background",
            Ok(("white", "nhs-ethnic-category", Matched::Normalised)),
        ),
        (
            "standard",
            "Other White",
            Ok(("white.other", "standard", Matched::Exact)),
        ),
        ("nhs-ethnic-category", "Pakistan", Err("CV001")),
        ("standard", "Kashmiri", Err("CV002")),
    ];
    for (scheme, raw, want) in cases {
        let got = label(scheme, raw);
        match want {
            Ok((node, src, m)) => {
                assert_eq!(got, Ok((node.to_owned(), src, m)), "{scheme} {raw:?}");
            }
            Err(rule_id) => {
                let e = got.unwrap_err();
                assert!(e.starts_with(rule_id), "{scheme} {raw:?}: {e}");
            }
        }
    }
    // An unmatched label names its nearest labels, and nothing looser is accepted.
    let e = label("nhs-ethnic-category", "Pakistan").unwrap_err();
    assert!(e.contains("Pakistani"), "{e}");
    for near_miss in ["Pakistanis", "Mixed W/B", "Carib", "White"] {
        assert!(
            label("nhs-ethnic-category", near_miss).is_err(),
            "{near_miss} must not match silently"
        );
    }
}

#[test]
fn every_official_label_of_every_scheme_matches_its_own_code_exactly() {
    for id in BUILTIN_IDS {
        let s = builtin(id).unwrap();
        for c in s.codes() {
            // A label two codes of different meaning share names neither (NHS Scotland's older
            // 4Z and 5Z, "Other").
            if s.lookup_label(&c.label).is_none() {
                let shared = s.codes().iter().any(|o| {
                    o.key() != c.key()
                        && o.label == c.label
                        && (o.map.target, o.map.relationship) != (c.map.target, c.map.relationship)
                });
                assert!(shared, "{id} {} `{}` matches nothing", c.key(), c.label);
                continue;
            }
            let f = find_label(registry(), Synonyms::builtin(), source(id), &c.label).unwrap();
            // Two codes with one label (police O1 and A4, "Chinese"): the first listed, the same
            // meaning.
            let same = f.code == c.key()
                || s.get(f.code).is_some_and(|o| {
                    // (SNOMED CT: two concepts whose terms differ only in case or spacing.)
                    wm_ethnicity::fold_label(&o.label) == wm_ethnicity::fold_label(&c.label)
                        && (o.map.target, o.map.relationship) == (c.map.target, c.map.relationship)
                });
            assert!(same, "{id} {} `{}` -> {}", c.key(), c.label, f.code);
            // Exact, unless the code found is one whose label differs only in case or spacing.
            let want = if s.get(f.code).is_some_and(|o| o.label == c.label) {
                Matched::Exact
            } else {
                Matched::Normalised
            };
            assert_eq!((f.scheme, f.matched), (id, want), "{id} {}", c.key());
        }
        // Every published label, in every form (with and without its heading prefix), gives the
        // code it stands for, or its own meaning.
        for p in &s.published {
            let f = find_label(registry(), Synonyms::builtin(), source(id), &p.label).unwrap();
            assert_eq!(f.scheme, id, "{id} `{}`", p.label);
            assert_eq!(f.meaning.target, p.map.target, "{id} `{}`", p.label);
            if let Some(code) = &p.code {
                assert_eq!(f.code, code, "{id} `{}`", p.label);
            }
        }
    }
}

#[test]
fn dfe_published_labels_and_unclassified() {
    let dfe =
        |raw: &str| find_label(registry(), Synonyms::builtin(), source("dfe-cbds"), raw).unwrap();
    let f = dfe("Black - Black African");
    assert_eq!((f.code, f.matched), ("BAFR", Matched::Published));
    let f = dfe("unclassified");
    assert_eq!(f.meaning.target.code(), "declined-or-not-obtained");
    assert_eq!(f.code, "Unclassified");
    // The misspellings found in official files match their own code only, and only for DfE.
    let f = dfe("Asian - Bangaladeshi");
    assert_eq!((f.code, f.matched), ("ABAN", Matched::Synonym));
    assert_eq!(dfe("Mixed - White and Black Carribean").code, "MWBC");
    assert!(label("nhs-ethnic-category", "Asian - Bangaladeshi").is_err());
    assert!(label("standard", "Mixed - White and Black Carribean").is_err());
}

/// The everyday forms of a legacy housing register (`fixtures/regional/legacy-housing-free-text.csv`):
/// every row matches whichever of these schemes the column is declared in, and the forms issue 12
/// names match too.
#[test]
fn legacy_housing_forms_match_in_every_scheme_they_are_declared_in() {
    let text =
        std::fs::read_to_string(root().join("fixtures/regional/legacy-housing-free-text.csv"))
            .unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let forms: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_owned()).collect();
    assert_eq!(forms.len(), 30);
    for id in [
        "housing-core",
        "ons-2011-ew",
        "ons-2001-ew",
        "dfe-cbds",
        "nhs-ethnic-category",
    ] {
        for f in &forms {
            let got = label(id, f);
            assert!(got.is_ok(), "{id} `{f}`: {got:?}");
            let (_, scheme, _) = got.unwrap();
            assert!(scheme == id || scheme == "standard", "{id} `{f}`: {scheme}");
        }
    }
    for (id, raw, want) in [
        ("housing-core", "Declined to answer", "declined"),
        ("housing-core", "N/K", "not-known"),
        ("dfe-cbds", "Not stated", "declined"),
        ("dfe-cbds", "Prefer not to say", "declined"),
        ("housing-core", "English", "white.british"),
        ("nhs-ethnic-category", "Kashmiri", "asian.other"),
        ("nhs-ethnic-category-extended", "Kashmiri", "asian/kashmiri"),
        ("housing-core", "Afro-Caribbean", "black.caribbean"),
        ("dfe-cbds", "Mixed W/B Carib", "mixed.white-black-caribbean"),
        ("housing-core", "Any other white background ", "white"),
        (
            "ons-2001-ew",
            "Mixed - White and Asian",
            "mixed.white-asian",
        ),
        (
            "ons-2001-ew",
            "Black or Black British - Any other Black background",
            "black.other",
        ),
    ] {
        assert_eq!(
            label(id, raw).map(|f| f.0),
            Ok(want.to_owned()),
            "{id} `{raw}`"
        );
    }
}

#[test]
fn every_synonym_resolves_and_no_synonym_shadows_its_own_target_label() {
    let syn = Synonyms::builtin();
    assert!(syn.entries().len() >= 60, "{}", syn.entries().len());
    for s in syn.entries() {
        // Each resolves in its own scope: the scheme whose code it names, or the standard. A
        // synonym naming a scheme's code is used (not shadowed by that scheme's own labels).
        let src = s.scheme().map_or(Source::Standard, source);
        let f = find_label(registry(), syn, src, &s.label);
        assert!(f.is_ok(), "{}: {:?}", s.label, f.err());
        if s.scheme().is_some() {
            assert_eq!(
                f.unwrap().matched,
                Matched::Synonym,
                "{} is never used",
                s.label
            );
        }
        assert!(!s.source.trim().is_empty());
    }
    // The file is checked against its JSON Schema and the standard when loaded.
    let text = std::fs::read_to_string(root().join("schema/synonyms.yaml")).unwrap();
    let dup = format!(
        "{text}  - label: \"mixed w/b  carib\"\n    node: mixed.white-asian\n    source: test\n"
    );
    let e = Synonyms::from_yaml(&dup, "dup.yaml", registry()).unwrap_err();
    assert!(e.to_string().contains("same label"), "{e}");
    let bad = text.replace("node: white.roma", "node: white.romany");
    let e = Synonyms::from_yaml(&bad, "bad.yaml", registry()).unwrap_err();
    assert!(e.to_string().contains("white.romany"), "{e}");
    assert!(e.location().line.is_some());
    let both = text.replacen(
        "    node: white.roma\n",
        "    node: white.roma\n    scheme: dfe-cbds\n",
        1,
    );
    let e = Synonyms::from_yaml(&both, "both.yaml", registry()).unwrap_err();
    assert!(e.to_string().contains("synonyms.schema.json"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Property tests: the laws on random codes, and no panic on any input.

fn any_scheme_code() -> impl Strategy<Value = (&'static str, usize)> {
    prop::sample::select(BUILTIN_IDS.to_vec()).prop_flat_map(|id| {
        let n = builtin(id).unwrap().codes().len();
        (Just(id), 0..n)
    })
}

fn any_policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(vec![Policy::Strict, Policy::MostLikely])
}

proptest! {
    #[test]
    fn padding_and_case_never_change_a_conversion(
        (id, i) in any_scheme_code(),
        policy in any_policy(),
        pad_left in "[ \t]{0,2}",
        pad_right in "[ \t]{0,2}",
        lower in any::<bool>(),
    ) {
        let s = builtin(id).unwrap();
        let key = s.codes()[i].key();
        let exact = convert_code(Source::Scheme(s), key, policy).unwrap();
        let typed = if lower && s.keyed_by == KeyedBy::Code && !s.case_sensitive { key.to_lowercase() } else { key.to_owned() };
        let messy = format!("{pad_left}{typed}{pad_right}");
        let c = convert_code(Source::Scheme(s), &messy, policy).unwrap();
        prop_assert_eq!(c.code, exact.code);
        prop_assert_eq!(c.level, exact.level);
        prop_assert_eq!(c.matched == Matched::Exact, messy == key);
    }

    #[test]
    fn conversion_is_idempotent_and_never_finer_than_its_source(
        (id, i) in any_scheme_code(),
        policy in any_policy(),
    ) {
        let s = builtin(id).unwrap();
        let code = &s.codes()[i];
        let once = convert_code(Source::Scheme(s), code.key(), policy).unwrap();
        let again = convert_code(Source::Standard, once.code.code(), policy).unwrap();
        prop_assert_eq!(again.code, once.code);
        prop_assert!(code.map.target.contains(once.code));
        prop_assert!(once.level <= code.map.target.level().max(Level::Category) || once.code == code.map.target);
        if once.policy != Some(Policy::MostLikely) {
            prop_assert_eq!(once.code, code.map.target);
        }
    }

    #[test]
    fn equivalent_codes_round_trip((id, i) in any_scheme_code()) {
        let s = builtin(id).unwrap();
        let code = &s.codes()[i];
        prop_assume!(code.map.relationship == Relationship::Equivalent);
        let back = convert_code(Source::Scheme(s), code.key(), Policy::Strict).unwrap().recode(s).unwrap();
        prop_assert_eq!(back.loss, Loss::None);
        let m = &s.get(back.code).unwrap().map;
        prop_assert_eq!((m.relationship, m.target), (code.map.relationship, code.map.target));
    }

    #[test]
    fn any_text_is_converted_or_rejected_never_a_panic(
        raw in "\\PC{0,40}",
        id in prop::sample::select(BUILTIN_IDS.to_vec()),
        by_label in any::<bool>(),
    ) {
        let by = if by_label { By::Label } else { By::Code };
        for src in [source(id), Source::Standard] {
            match convert_value(registry(), Synonyms::builtin(), src, &raw, by, Policy::Strict) {
                Ok(c) => prop_assert!(!raw.trim().is_empty() && c.code.code() == Node::from_code(c.code.code()).unwrap().code()),
                Err(r) => {
                    prop_assert!(!r.reason.is_empty());
                    if raw.contains(['\n', '\r']) || raw.chars().count() > 100 {
                        prop_assert!(!r.reason.contains(raw.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn every_input_field_is_kept_exactly(
        rows in prop::collection::vec(prop::collection::vec("[a-z ,\"\r\n\u{e9}=-]{0,6}", 3), 1..20),
        jsonl in any::<bool>(),
    ) {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["a", "b", "c", "ethnicity"]).unwrap();
        for r in &rows {
            w.write_record([r[0].as_str(), &r[1], &r[2], "A"]).unwrap();
        }
        let data = w.into_inner().unwrap();
        let table = Table::from_reader("t.csv", &data[..], &ReadOptions::default()).unwrap();
        let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
        let conv = Converter::new(registry(), Synonyms::builtin(), &plan, table.header(), "t.csv").unwrap();
        let format = if jsonl { RecordFormat::Jsonl } else { RecordFormat::Csv };
        let mut out = RecordWriter::new(Vec::new(), format, table.header(), AddedColumns::default()).unwrap();
        let mut rejects = RejectWriter::new(Vec::new()).unwrap();
        let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
        prop_assert_eq!(s.converted, rows.len() as u64);
        let out = out.finish().unwrap();
        let got: Vec<Vec<String>> = if jsonl {
            String::from_utf8(out).unwrap().lines().map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                ["a", "b", "c"].iter().map(|k| v[k].as_str().unwrap().to_owned()).collect()
            }).collect()
        } else {
            csv::Reader::from_reader(&out[..]).records().map(|r| {
                let r = r.unwrap();
                prop_assert_eq!(&r[4], "white.british");
                Ok(r.iter().take(3).map(str::to_owned).collect())
            }).collect::<Result<_, TestCaseError>>()?
        };
        prop_assert_eq!(got, rows);
    }

    #[test]
    fn every_row_ends_in_exactly_one_place(
        rows in prop::collection::vec(
            prop::sample::select(vec!["A", "J", "j1", "C", "Z", "99", "", "QQ", "9.7E+14", "WBRI", " m ", "S"]),
            0..60,
        ),
        ragged in prop::collection::vec(any::<bool>(), 60),
    ) {
        let mut data = String::from("id,ethnicity\n");
        for (i, r) in rows.iter().enumerate() {
            write!(data, "R{i},{r}").unwrap();
            if ragged[i] && i % 7 == 3 {
                data.push_str(",extra");
            }
            data.push('\n');
        }
        let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
        let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
        let conv = Converter::new(registry(), Synonyms::builtin(), &plan, table.header(), "t.csv").unwrap();
        let mut out = RecordWriter::new(Vec::new(), RecordFormat::Csv, table.header(), AddedColumns::default()).unwrap();
        let mut rejects = RejectWriter::new(Vec::new()).unwrap();
        let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
        let out = String::from_utf8(out.finish().unwrap()).unwrap();
        let rej = String::from_utf8(rejects.finish().unwrap()).unwrap();
        let out_rows = csv::Reader::from_reader(out.as_bytes()).records().count() as u64;
        let rej_rows = csv::Reader::from_reader(rej.as_bytes()).records().count() as u64;
        prop_assert_eq!(s.rows, rows.len() as u64);
        prop_assert_eq!(s.rows, s.converted + s.rejected);
        prop_assert_eq!(out_rows, s.converted);
        prop_assert_eq!(rej_rows, s.rejected);
    }
}

#[test]
fn a_closure_takes_the_converted_records_of_a_stream() {
    let data = "id,ethnicity\nR1,J\nR2,QQ\nR3,C\n";
    let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
    let conv = Converter::new(
        registry(),
        Synonyms::builtin(),
        &plan,
        table.header(),
        "t.csv",
    )
    .unwrap();
    let mut codes = Vec::new();
    let mut records = |rec: &wm_ethnicity::Record<'_>, c: &wm_ethnicity::Converted<'_>| {
        codes.push((rec.line(), c.code.code()));
        Ok(())
    };
    let mut rejected = Vec::new();
    let mut rejects = |r: &wm_ethnicity::Rejected<'_>| {
        rejected.push(r.line);
        Ok(())
    };
    let s = convert_stream(table, &conv, &mut records, &mut rejects, &mut |_| {}).unwrap();
    assert_eq!((s.converted, s.rejected), (2, 1));
    assert_eq!(codes, [(2, "asian.pakistani"), (4, "white")]);
    assert_eq!(rejected, [3]);
}

// ---------------------------------------------------------------------------------------------
// The command line on the regional sample.

fn regional(name: &str) -> String {
    format!("fixtures/regional/{name}")
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Compares `got` with the golden file, or rewrites it under `WM_REGENERATE=1`.
fn golden(got: &str, file: &str) {
    let path = root().join(file);
    if std::env::var_os("WM_REGENERATE").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(got, want, "{file} differs (WM_REGENERATE=1 rewrites it)");
}

fn convert_regional(dir: &Path) -> (PathBuf, PathBuf) {
    let returns = dir.join("returns.converted.csv");
    let legacy = dir.join("legacy-free-text.converted.csv");
    let o = run(&[
        "convert",
        &regional("returns.csv"),
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
        "--output",
        path_str(&returns),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = stdout(&o);
    assert!(
        summary.contains("rows in:    40 = converted 40 + rejected 0"),
        "{summary}"
    );
    assert!(
        summary.contains("levels:     detailed 1, category 29, group 5, residual 5"),
        "{summary}"
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let o = run(&[
        "convert",
        &regional("legacy-free-text.csv"),
        "--scheme",
        "ons-2001-ew",
        "--by",
        "label",
        "--column",
        "ethnicity_text",
        "--output",
        path_str(&legacy),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = stdout(&o);
    assert!(
        summary.contains("rows in:    12 = converted 12 + rejected 0"),
        "{summary}"
    );
    assert!(summary.contains("windows-1252"), "{summary}");
    (returns, legacy)
}

#[test]
fn the_regional_sample_converts_and_aggregates_to_its_row_count() {
    let dir = tmp();
    let (returns, legacy) = convert_regional(dir.path());
    golden(
        &std::fs::read_to_string(&returns).unwrap(),
        "fixtures/regional/expected/returns.converted.csv",
    );
    golden(
        &std::fs::read_to_string(&legacy).unwrap(),
        "fixtures/regional/expected/legacy-free-text.converted.csv",
    );
    let o = run(&[
        "aggregate",
        path_str(&returns),
        path_str(&legacy),
        "--scheme",
        "standard",
        "--code-column",
        "wm_code",
        "--to",
        "category",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    golden(
        &table,
        "fixtures/regional/expected/regional-by-category.csv",
    );
    let mut total = 0u64;
    let mut coarser = Vec::new();
    for rec in csv::Reader::from_reader(table.as_bytes()).records() {
        let rec = rec.unwrap();
        let n: u64 = rec[3].parse().unwrap();
        total += n;
        if &rec[4] == "coarser" {
            coarser.push((rec[0].to_owned(), n));
        }
    }
    assert_eq!(total, 52, "40 + 12 input rows");
    // White: NHS C, DfE WROM, police W9, the legacy "Any other white background" and CORE 3
    // (broader since 1.1.0: Roma had no CORE code before the 2024 logs).
    assert_eq!(coarser, [("white".to_owned(), 5), ("other".to_owned(), 1)]);
    let summary = stderr(&o);
    assert!(
        summary.contains("totals:        input 52 = output 52 + rejected 0"),
        "{summary}"
    );
    assert!(summary.contains("at category:   40"), "{summary}");
    assert!(summary.contains("residual:      6"), "{summary}");
}

#[test]
fn the_regional_sample_in_json_matches_its_schema() {
    let dir = tmp();
    let (returns, legacy) = convert_regional(dir.path());
    let o = run(&[
        "aggregate",
        path_str(&returns),
        path_str(&legacy),
        "--scheme",
        "standard",
        "--code-column",
        "wm_code",
        "--to",
        "group",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = crate::cli::assert_matches_schema(&stdout(&o), "output/aggregate.schema.json");
    assert_eq!(v["input_total"], 52);
    assert_eq!(v["output_total"], 52);
    assert_eq!(
        v["coarser_total"], 0,
        "every broader code is at least at its group"
    );
    assert_eq!(v["residual_total"], 6);
    let count = |code: &str| {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    // white: british 7 + irish 1 + roma 1 + other 1 + group-only 5
    assert_eq!(
        [
            count("asian"),
            count("black"),
            count("mixed"),
            count("white"),
            count("other")
        ],
        [17, 8, 4, 15, 2]
    );
}

#[test]
fn converting_the_output_again_changes_no_standard_column() {
    let dir = tmp();
    let (returns, _) = convert_regional(dir.path());
    let again = dir.path().join("again.csv");
    let o = run(&[
        "convert",
        path_str(&returns),
        "--scheme",
        "standard",
        "--column",
        "wm_code",
        "--output",
        path_str(&again),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |p: &Path| -> Vec<Vec<String>> {
        csv::Reader::from_path(p)
            .unwrap()
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    };
    let header: Vec<String> = csv::Reader::from_path(&again)
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let first: Vec<String> = csv::Reader::from_path(&returns)
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header, first,
        "earlier wm_ columns are replaced, not repeated"
    );
    let (a, b) = (read(&returns), read(&again));
    assert_eq!(a.len(), 40);
    for (x, y) in a.iter().zip(&b) {
        // id, council, dataset, ethnicity, wm_code, wm_level, wm_group, wm_category, wm_detailed
        assert_eq!(x[..9], y[..9]);
        assert_eq!(y[12], "standard");
    }
}

#[test]
fn rejected_rows_go_to_the_rejects_file_with_validations_rule_ids() {
    let dir = tmp();
    let out = dir.path().join("out.csv");
    let rejects = dir.path().join("rejects.csv");
    let o = run(&[
        "convert",
        "fixtures/convert/problems.csv",
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
        "--output",
        path_str(&out),
        "--rejects",
        path_str(&rejects),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rows in:    10 = converted 2 + rejected 8"),
        "{}",
        stdout(&o)
    );
    let mut r = csv::Reader::from_path(&rejects).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "line",
            "record",
            "row",
            "column",
            "value",
            "rule",
            "rule_name",
            "reason",
            "suggestion"
        ]
    );
    let got: Vec<(String, String, String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[0].to_owned(),
                x[3].to_owned(),
                x[4].to_owned(),
                x[5].to_owned(),
            )
        })
        .collect();
    let want = [
        ("3", "ethnicity", "APNK", "WM001"),
        ("4", "ethnicity", "", "WM004"),
        ("5", "ethnicity", "9.76631E+14", "WM007"),
        ("6", "ethnicity", "WBRI", "WM002"),
        ("7", "council", "atlantis", "CV004"),
        ("8", "dataset", "allotments", "CV005"),
        ("9", "", "", "WM010"),
        ("10", "ethnicity", "IC1", "WM014"),
    ];
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect();
    assert_eq!(got, want);
    // Never another column of the record: no record id appears in the rejects.
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(!text.contains("P-0"), "{text}");
    let converted = std::fs::read_to_string(&out).unwrap();
    assert_eq!(converted.lines().count(), 3, "header + 2 rows");
    assert!(converted.contains("P-01,") && converted.contains("P-10,"));
}

#[test]
fn without_a_rejects_file_each_rejected_row_is_one_line_on_stderr() {
    let o = run(&[
        "convert",
        "fixtures/convert/problems.csv",
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let rejected: Vec<&str> = err.lines().filter(|l| l.contains(": rejected: ")).collect();
    assert_eq!(rejected.len(), 8, "{err}");
    assert!(rejected[0].starts_with("fixtures/convert/problems.csv:3: ethnicity: rejected: WM001"));
    assert!(
        err.contains("rows in:    10 = converted 2 + rejected 8"),
        "{err}"
    );
    assert!(!err.contains("P-0"), "{err}");
    assert_eq!(stdout(&o).lines().count(), 3);
}

#[test]
fn outputs_are_never_overwritten_without_force_and_never_left_half_written() {
    let dir = tmp();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "keep me\n").unwrap();
    let args = [
        "convert",
        "fixtures/regional/returns.csv",
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
        "--output",
        path_str(&out),
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("already exists; give --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");
    let mut forced = args.to_vec();
    forced.push("--force");
    let o = run(&forced);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 41);
    // A missing column stops the run before anything is written.
    let out2 = dir.path().join("out2.csv");
    let o = run(&[
        "convert",
        "fixtures/regional/returns.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicty",
        "--output",
        path_str(&out2),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("fixtures/regional/returns.csv"), "{err}");
    assert!(
        err.contains("no column `ethnicty`") && err.contains("ethnicity"),
        "{err}"
    );
    assert!(!out2.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn could_not_run_is_one_line_and_exit_two() {
    for (args, needle) in [
        (
            vec![
                "convert",
                "fixtures/regional/nope.csv",
                "--scheme",
                "dfe-cbds",
                "--column",
                "x",
            ],
            "fixtures/regional/nope.csv",
        ),
        (
            vec![
                "convert",
                "fixtures/regional/returns.csv",
                "--scheme",
                "dfe-cbd",
                "--column",
                "ethnicity",
            ],
            "dfe-cbds",
        ),
        (
            vec![
                "convert",
                "fixtures/regional/returns.csv",
                "--scheme",
                "dfe-cbds",
                "--column",
                "ethnicity",
                "--to-scheme",
                "nhs",
            ],
            "unknown scheme `nhs`",
        ),
        (
            vec![
                "convert",
                "fixtures/regional/returns.csv",
                "--column",
                "ethnicity",
            ],
            "give --scheme",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn records_are_expressed_in_a_national_scheme_with_each_loss() {
    let dir = tmp();
    let out = dir.path().join("nhs.csv");
    let rejects = dir.path().join("rejects.csv");
    let o = run(&[
        "convert",
        "fixtures/regional/returns.csv",
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
        "--to-scheme",
        "nhs-ethnic-category",
        "--output",
        path_str(&out),
        "--rejects",
        path_str(&rejects),
    ]);
    // WROM (Gypsy/Roma) has no single NHS letter under strict... but NHS C holds both.
    let summary = stdout(&o);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (src, to, loss) = (col("ethnicity"), col("wm_to_code"), col("wm_loss"));
    let rows: Vec<(String, String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[src].trim().to_owned(),
                x[to].to_owned(),
                x[loss].to_owned(),
            )
        })
        .collect();
    let find = |code: &str| rows.iter().find(|r| r.0 == code).cloned().unwrap();
    assert_eq!(find("APKN"), ("APKN".into(), "J".into(), "none".into()));
    assert_eq!(
        find("AKPA"),
        ("AKPA".into(), "J".into(), "generalised".into())
    );
    assert_eq!(
        find("BSOM"),
        ("BSOM".into(), "N".into(), "generalised".into())
    );
    assert_eq!(
        find("WROM"),
        ("WROM".into(), "C".into(), "generalised".into())
    );
    assert_eq!(find("20"), ("20".into(), "C".into(), "generalised".into()));
    assert_eq!(find("J1"), ("J1".into(), "J".into(), "generalised".into()));
    assert_eq!(find("99"), ("99".into(), "99".into(), "none".into()));
    // OOTH (Other, Arab or any other) is NHS S, which holds both.
    assert_eq!(find("OOTH"), ("OOTH".into(), "S".into(), "none".into()));
    assert_eq!(o.status.code(), Some(0), "{summary}{}", stderr(&o));
    assert!(
        summary.contains("rows in:    40 = converted 40 + rejected 0"),
        "{summary}"
    );
}

#[test]
fn json_lines_in_and_out() {
    let dir = tmp();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":1,\"eth\":\"C\"}\n{\"id\":2,\"eth\":\"J\"}\n{\"id\":3,\"eth\":\"XX\"}\n",
    )
    .unwrap();
    let out = dir.path().join("out.jsonl");
    let o = run(&[
        "convert",
        path_str(&input),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "eth",
        "--policy",
        "most-likely",
        "--output",
        path_str(&out),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "1");
    assert_eq!(lines[0]["wm_code"], "white.other");
    assert_eq!(lines[0]["wm_policy"], "most-likely");
    assert_eq!(
        lines[0]["wm_candidates"],
        serde_json::json!(["white.gypsy-irish-traveller", "white.roma", "white.other"])
    );
    assert_eq!(lines[1]["wm_detailed"], serde_json::Value::Null);
    assert_eq!(lines[1]["wm_observed"], false);
    assert!(
        stderr(&o).contains("json") || stderr(&o).contains("in.jsonl:3:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_specification_names_the_column_its_scheme_and_what_an_empty_cell_means() {
    let dir = tmp();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "name: test\ncolumns:\n  - name: ethnicity\n    scheme: nhs-ethnic-category\n    empty: not-known\n  - name: id\n    role: id\n",
    )
    .unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,ethnicity\n1,A\n2,\n3, \n").unwrap();
    let o = run(&["convert", path_str(&input), "--spec", path_str(&spec)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[1].starts_with("2,,not-known,residual,"), "{}", rows[1]);
    assert!(rows[1].contains(",empty,"), "{}", rows[1]);
}

/// `convert` reads what `validate` reads: every sample return of `fixtures/returns` (CSV, TSV,
/// BOM + CRLF, Windows-1252, invalid UTF-8, ragged rows, JSON Lines, xlsx) converts with the same
/// record count validation reports, every record ends in the output or the rejects, and no reject
/// repeats a record id.
#[test]
fn every_sample_return_converts_with_validations_record_count() {
    let dir = root().join("fixtures/returns");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".expected.json") else {
            continue;
        };
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let file = dir.join(expected["file"].as_str().unwrap());
        let args: Vec<String> = expected["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let mut convert_args = vec!["convert".to_owned(), file.display().to_string()];
        let mut id_column = None;
        for pair in args.chunks(2) {
            match pair[0].as_str() {
                "--scheme" | "--column" => convert_args.extend(pair.iter().cloned()),
                "--scheme-file" | "--spec" => {
                    convert_args.push(pair[0].clone());
                    convert_args.push(dir.join(&pair[1]).display().to_string());
                }
                "--id-column" => id_column = Some(pair[1].clone()),
                _ => {}
            }
        }
        let out_dir = tmp();
        let out = out_dir.path().join("out.csv");
        let rejects = out_dir.path().join("rejects.csv");
        convert_args.extend([
            "--output".to_owned(),
            path_str(&out).to_owned(),
            "--rejects".to_owned(),
            path_str(&rejects).to_owned(),
        ]);
        let refs: Vec<&str> = convert_args.iter().map(String::as_str).collect();
        let o = run(&refs);
        seen += 1;
        let Some(records) = expected["records"].as_u64() else {
            // validate could not run (a missing column): neither can convert.
            assert_eq!(o.status.code(), Some(2), "{stem}: {}", stderr(&o));
            assert_eq!(stderr(&o).lines().count(), 1, "{stem}: {}", stderr(&o));
            assert!(!out.exists() && !rejects.exists(), "{stem}");
            continue;
        };
        let summary = stdout(&o);
        let out_rows = csv::Reader::from_path(&out).unwrap().records().count() as u64;
        let rej_text = std::fs::read_to_string(&rejects).unwrap();
        let rej_rows = csv::Reader::from_reader(rej_text.as_bytes())
            .records()
            .count() as u64;
        assert!(
            summary.contains(&format!(
                "rows in:    {records} = converted {out_rows} + rejected {rej_rows}"
            )),
            "{stem}: {summary}"
        );
        assert_eq!(o.status.code(), Some(i32::from(rej_rows > 0)), "{stem}");
        if let Some(id) = id_column {
            let table = Table::open(&file, &ReadOptions::default()).unwrap();
            let col = table.column(&id).unwrap();
            let mut ids = Vec::new();
            table
                .for_each(|r| {
                    if let Some(t) = r.text(col)
                        && t.len() >= 4
                    {
                        ids.push(t.into_owned());
                    }
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
            for id in ids {
                assert!(!rej_text.contains(&id), "{stem}: reject repeats id {id}");
            }
        }
    }
    assert!(seen >= 15, "one run per sample return: {seen}");
}

#[test]
fn a_councils_own_synonyms_extend_the_curated_list() {
    let dir = tmp();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,text\n1,Mixed W/B Carib\n2,Brit.\n3,Martian\n").unwrap();
    let syn = dir.path().join("local-synonyms.yaml");
    std::fs::write(
        &syn,
        "version: \"1\"\nsynonyms:\n  - label: \"Brit.\"\n    scheme: ons-2001-ew\n    code: \"British\"\n    source: \"our old HR system's abbreviation\"\n",
    )
    .unwrap();
    let args = [
        "convert",
        path_str(&input),
        "--scheme",
        "ons-2001-ew",
        "--by",
        "label",
        "--column",
        "text",
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("rows in:    3 = converted 1 + rejected 2"),
        "{}",
        stderr(&o)
    );
    let mut with = args.to_vec();
    with.extend(["--synonyms", path_str(&syn)]);
    let o = run(&with);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("rows in:    3 = converted 2 + rejected 1"),
        "{err}"
    );
    assert!(
        err.contains(":4: text: rejected: CV001 unknown-label"),
        "{err}"
    );
    assert!(
        stdout(&o).contains("2,Brit.,white.british,category,"),
        "{}",
        stdout(&o)
    );
    // A synonym file that repeats a curated label is refused before anything is read.
    std::fs::write(
        &syn,
        "version: \"1\"\nsynonyms:\n  - label: \"mixed w/b carib\"\n    node: mixed.other\n    source: x\n",
    )
    .unwrap();
    let o = run(&with);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("same label"), "{}", stderr(&o));
}

/// The conversion fixture cases: `fixtures/convert/NAME.case.json` gives the command's arguments,
/// its exit status and the rejected rows (line, rule) the rejects file must hold, in order.
macro_rules! convert_cases {
    ($($test:ident => $name:literal,)*) => {
        $(#[test] fn $test() { check_case($name); })*
        /// Every conversion case, by name.
        pub(crate) const CASES: &[&str] = &[$($name),*];
    };
}

convert_cases! {
    case_problems => "problems",
    case_labels => "labels",
    case_row_schemes => "row-schemes",
    case_to_dfe => "to-dfe",
    case_to_nhs => "to-nhs",
    case_counts => "counts",
    case_several_ethnicities => "several-ethnicities",
}

/// A case's file, parsed.
pub(crate) fn load_convert_case(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/fixtures/convert/{name}.case.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn check_case(name: &str) {
    let case = load_convert_case(name);
    let dir = tmp();
    let rejects = dir.path().join("rejects.csv");
    let mut args: Vec<&str> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    args.extend(["--rejects", path_str(&rejects)]);
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        case["exit"].as_i64().map(|c| i32::try_from(c).unwrap()),
        "{name}: {}",
        stderr(&o)
    );
    let got: Vec<(u64, String)> = csv::Reader::from_path(&rejects)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[5].to_owned())
        })
        .collect();
    let want: Vec<(u64, String)> = case["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(got, want, "{name}");
}

#[test]
fn every_convert_case_has_a_test() {
    let mut on_disk: Vec<String> =
        std::fs::read_dir(format!("{}/fixtures/convert", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.strip_suffix(".case.json").map(str::to_owned)
            })
            .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// A record broader than any one target code is rejected with what `--policy most-likely` would
/// choose, as the crosswalk documents it (issue 11: NHS `C` into `dfe-cbds` named neither `WOTH` nor the
/// policy).
#[test]
fn an_ambiguous_target_says_what_most_likely_would_choose() {
    let nhs = builtin("nhs-ethnic-category").unwrap();
    let dfe = builtin("dfe-cbds").unwrap();
    let c = convert_code(Source::from(nhs), "C", Policy::Strict).unwrap();
    let r = c.recode(dfe).unwrap_err();
    assert_eq!(r.rule, Rule::AmbiguousTargetCode);
    let advice = r.suggestion.unwrap();
    assert!(
        advice.contains("--policy most-likely") && advice.contains("WOTH"),
        "{advice}"
    );
    assert!(
        r.reason
            .contains("WOTH (Any other white background) is the documented likeliest")
    );
    let m = convert_code(Source::from(nhs), "C", Policy::MostLikely).unwrap();
    assert_eq!(m.recode(dfe).unwrap().code, "WOTH");
}

/// An empty cell is rejected in validation's words, naming the scheme's residual codes; an unknown
/// dataset lists the council's datasets (issue 11).
#[test]
fn empty_cells_and_unknown_datasets_are_explained_as_validation_does() {
    let registry = Registry::new();
    let synonyms = Synonyms::builtin();
    let header = ["council", "dataset", "ethnicity"];
    let plan = Plan::new("ethnicity", SchemeFrom::Fixed("dfe-cbds".into()));
    let conv = Converter::new(&registry, synonyms, &plan, &header, "t.csv").unwrap();
    let r = conv
        .convert(&["birmingham", "school-census", " "][..])
        .unwrap_err();
    assert_eq!(r.rejection.rule, Rule::EmptyValue);
    assert_eq!(r.rejection.reason, "no dfe-cbds code given");
    let advice = r.rejection.suggestion.unwrap();
    assert!(
        advice.contains("REFU for declined") && advice.contains("NOBT"),
        "{advice}"
    );

    let plan = Plan::new(
        "ethnicity",
        SchemeFrom::Council {
            council: "council".into(),
            dataset: "dataset".into(),
        },
    );
    let conv = Converter::new(&registry, synonyms, &plan, &header, "t.csv").unwrap();
    let r = conv
        .convert(&["Walsall MBC", "allotments", "A"][..])
        .unwrap_err();
    assert_eq!(r.rejection.rule, Rule::UnknownDataset);
    let council = wm_ethnicity::council("walsall").unwrap();
    let advice = r.rejection.suggestion.unwrap();
    for ret in &council.returns {
        assert!(advice.contains(&ret.dataset), "{advice}");
    }
}

/// `Plan::from_spec` (convert --spec, and the browser page's convert with a specification): the
/// coded column chosen by name when the specification has several, refused with their names when
/// none is chosen, its scheme replaced when one is given.
#[test]
fn a_plan_from_a_specification_with_several_coded_columns_names_the_one_to_convert() {
    let yaml = "name: two\ncolumns:\n  - name: Eth\n    scheme: dfe-cbds\n  - name: Eth2\n    \
                scheme: nhs-ethnic-category\n    by: label\n";
    let spec = wm_ethnicity::ReturnSpec::from_yaml(yaml, "two.yaml").unwrap();
    let e = wm_ethnicity::Plan::from_spec(&spec, "two.yaml", None, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "two.yaml: has 2 coded columns (Eth, Eth2): choose the one to convert"
    );
    let plan = wm_ethnicity::Plan::from_spec(&spec, "two.yaml", Some("Eth2"), None).unwrap();
    assert_eq!((plan.column.as_str(), plan.by), ("Eth2", By::Label));
    assert_eq!(plan.scheme.to_string(), "scheme nhs-ethnic-category");
    let scheme = wm_ethnicity::SchemeFrom::from_flags(Some("ons-2011-ew"), None, None, None);
    let plan = wm_ethnicity::Plan::from_spec(&spec, "two.yaml", Some("Eth"), scheme).unwrap();
    assert_eq!(plan.scheme.to_string(), "scheme ons-2011-ew");
}

/// The rows of the CSV file at `p`, its header the first.
fn read_csv(p: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(p)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// `rows` without the `'` CSV puts before a cell a spreadsheet would run as a formula.
fn unguarded(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|c| c.strip_prefix('\'').map_or(c.clone(), str::to_owned))
                .collect()
        })
        .collect()
}

/// `convert --format xlsx`: the workbook's Records sheet, read back, is the CSV output cell for
/// cell (ids with leading zeros, SNOMED CT ids and dates as text), its Rejects sheet the
/// `--rejects` file, and its Summary sheet's counts the text summary's, adding up; read by
/// calamine and, where a venv can be made, by openpyxl (issue 17, item 5).
#[test]
fn the_xlsx_workbook_reads_back_as_the_csv_output_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("r.csv");
    std::fs::write(
        &input,
        "id,ethnicity,dob,snomed\n007,A,2001-02-03,976631000000101\n008,0101,2002-01-01,\n\n\
         009, j ,1999-12-31,92611000000104\n010,QQ,2000-01-01,\n011,Z,01/02/2000,\n",
    )
    .unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    let (book, csv_out, rejects, book_rejects) = (
        path("out.xlsx"),
        path("out.csv"),
        path("rejects.csv"),
        path("book-rejects.csv"),
    );
    let base = [
        "convert",
        input.to_str().unwrap(),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "ethnicity",
        "--with-position",
    ];
    let o = run(&[&base[..], &["-o", &csv_out, "--rejects", &rejects]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    let o = run(&[&base[..], &["-o", &book, "--rejects", &book_rejects]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("Excel workbook: sheets Summary, Records of 19 columns, Rejects"));
    let sheet = |name: &str| {
        let (header, rows) = crate::xlsx::read_sheet(Path::new(&book), name);
        std::iter::once(header).chain(rows).collect::<Vec<_>>()
    };
    let records = sheet("Records");
    assert_eq!(records, read_csv(&csv_out));
    assert!(
        records
            .iter()
            .any(|r| r[0] == "007" && r[3] == "976631000000101"),
        "{records:?}"
    );
    // The rejects file guards cells a spreadsheet would run as formulas; the sheet holds text.
    let reject_rows = sheet("Rejects");
    assert_eq!(reject_rows, unguarded(read_csv(&rejects)));
    assert_eq!(read_csv(&rejects), read_csv(&book_rejects));
    assert!(
        reject_rows.iter().any(|r| r[4] == "0101"),
        "{reject_rows:?}"
    );
    // The summary's counts: the text summary's, and the sheets' rows.
    let summary = sheet("Summary");
    let count = |label: &str| -> u64 {
        let row = summary
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("{label}: {summary:?}"));
        row[1].parse().unwrap()
    };
    let (read, converted, rejected) =
        (count("Records read"), count("Converted"), count("Rejected"));
    assert_eq!(
        text.lines()
            .find(|l| l.contains("rows in:"))
            .unwrap()
            .trim(),
        format!("rows in:    {read} = converted {converted} + rejected {rejected}")
    );
    assert_eq!(read, converted + rejected);
    assert_eq!(
        (converted, rejected),
        (records.len() as u64 - 1, reject_rows.len() as u64 - 1)
    );
    assert_eq!(count("Blank or empty rows (not records)"), 1);
    assert!(text.contains("skipped:    1 blank or empty row"), "{text}");
    for line in text.lines().skip(1) {
        let (label, rest) = line.trim().split_once(':').unwrap();
        if label != "output" && label != "rejects" {
            assert!(
                summary.iter().any(|r| r[0] == label && r[1] == rest.trim()),
                "{line} in {summary:?}"
            );
        }
    }
    // Without a --rejects file, the rejects are in the workbook only, and the summary says so.
    let o = run(&[&base[..], &["-o", &book, "--force"]].concat());
    assert!(
        stdout(&o).contains("rejects:    in the workbook's Rejects sheet"),
        "{}",
        stdout(&o)
    );
    assert_eq!(sheet("Rejects"), reject_rows);
    openpyxl_reads(Path::new(&book), &records, &reject_rows, read);
}

/// The workbook at `book` read by openpyxl, where a venv can be made: the same cells as
/// calamine reads (`records`, `rejects`); every value a text cell but the positions; each table's
/// header frozen and filtered; `read` records read in the summary.
fn openpyxl_reads(book: &Path, records: &[Vec<String>], rejects: &[Vec<String>], read: u64) {
    let Some(python) = crate::cli::venv_python("openpyxl-venv.sh") else {
        return;
    };
    let o = std::process::Command::new(python)
        .arg(root().join("scripts/read_xlsx.py"))
        .arg(book)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let book_json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = book_json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let rows = |name: &str| -> Vec<Vec<String>> {
        serde_json::from_value(book_json[name]["rows"].clone()).unwrap()
    };
    assert_eq!(rows("Records"), records);
    assert_eq!(rows("Rejects"), rejects);
    for name in ["Records", "Rejects"] {
        assert_eq!(book_json[name]["frozen"], "A2", "{name}");
        assert!(
            book_json[name]["filter"]
                .as_str()
                .unwrap()
                .starts_with("A1:"),
            "{name}"
        );
    }
    let types: Vec<Vec<String>> =
        serde_json::from_value(book_json["Records"]["types"].clone()).unwrap();
    let header = &records[0];
    for (row, cells) in records.iter().zip(&types).skip(1) {
        for ((name, value), t) in header.iter().zip(row).zip(cells) {
            let want = if value.is_empty() || name.starts_with("wm_line") || name == "wm_record" {
                t.as_str()
            } else {
                "s"
            };
            assert_eq!(t, want, "{name} = {value}");
        }
    }
    let summary_rows = rows("Summary");
    assert!(summary_rows.contains(&vec!["Records read".to_owned(), read.to_string()]));
}

/// A plain line (no quote) is copied to the CSV output whole only when its delimiter is a comma:
/// a semicolon-separated line's comma is quoted, a quoted field keeps its quotes, and every line
/// gives what the field by field path gives (`--threads 1` reads the same file on one thread).
#[test]
fn csv_output_quotes_what_must_be_quoted_whatever_the_input_delimiter() {
    let dir = tmp();
    let cases = [
        (
            "semicolons.csv",
            "id;address;ethnicity\n1;1, High St;J\n2;Flat 2;A\n",
            [
                "1,\"1, High St\",J,asian.pakistani\n",
                "2,Flat 2,A,white.british\n",
            ],
        ),
        (
            "commas.csv",
            "id,address,ethnicity\n1,\"1, High St\",J\n2,Flat 2,A\n",
            [
                "1,\"1, High St\",J,asian.pakistani\n",
                "2,Flat 2,A,white.british\n",
            ],
        ),
    ];
    for (name, text, want) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, text).unwrap();
        for threads in ["1", "2"] {
            let o = run(&[
                "convert",
                path_str(&input),
                "--scheme",
                "nhs-ethnic-category",
                "--column",
                "ethnicity",
                "--columns",
                "code",
                "--threads",
                threads,
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let got = stdout(&o);
            let lines: Vec<&str> = got.split_inclusive('\n').skip(1).collect();
            assert_eq!(lines, want, "{name}, --threads {threads}");
        }
    }
}
