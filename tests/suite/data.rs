//! Data integrity: every shipped file against its JSON Schema and the standard, and every
//! reference list (fixtures/reference, copied from the published sources) present in its scheme.

use wm_ethnicity::Node;
use wm_ethnicity::{
    BUILTIN_IDS, KeyedBy, Relationship, Scheme, builtin_scheme, builtin_scheme_yaml,
};

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn load_full(id: &str) -> Scheme {
    let text = builtin_scheme_yaml(id).unwrap();
    Scheme::from_yaml(text, &format!("schema/schemes/{id}.yaml"), |_| None)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_builtin_scheme_passes_its_schema_and_the_standard() {
    for id in BUILTIN_IDS {
        let s = load_full(id);
        assert_eq!(s.id, id, "file name and id agree");
        assert!(!s.codes().is_empty());
        assert!(
            s.source_url.starts_with("http"),
            "{id}: source_url is a URL"
        );
    }
}

#[test]
fn every_scheme_file_is_built_in() {
    let mut files: Vec<String> = std::fs::read_dir(format!("{}/schema/schemes", root()))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".yaml")
                .to_owned()
        })
        .collect();
    files.sort();
    let mut ids: Vec<String> = BUILTIN_IDS.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    assert_eq!(files, ids);
}

/// The reference list of built-in scheme `id`: `fixtures/reference/<id>.csv`, the published list
/// its YAML was transcribed from, with the columns `code,label,group,parent_code,notes`. Every
/// built-in scheme has one (there are no exceptions): a scheme without it fails here, by name.
fn reference(id: &str) -> Vec<(String, String)> {
    let path = format!("{}/fixtures/reference/{id}.csv", root());
    assert!(
        std::path::Path::new(&path).is_file(),
        "{id}: built-in scheme without a reference list: add fixtures/reference/{id}.csv (the \
         published list, see fixtures/reference/SOURCES.md and docs/scheme-format.md)"
    );
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap_or_else(|e| panic!("{path}: {e}"));
            (rec[0].to_owned(), rec[1].to_owned())
        })
        .collect()
}

#[test]
fn every_reference_code_is_present_with_its_label() {
    for id in BUILTIN_IDS {
        let s = builtin_scheme(id).unwrap();
        let rows = reference(id);
        assert_eq!(
            s.codes().len(),
            rows.len(),
            "{id}: one scheme entry per reference row"
        );
        for (code, label) in rows {
            let found = if s.keyed_by == KeyedBy::Label {
                assert!(
                    code.is_empty(),
                    "{id}: reference has a code but the scheme is label-keyed"
                );
                s.get(&label)
            } else {
                s.get(&code)
            };
            let found = found.unwrap_or_else(|| panic!("{id}: `{code}` `{label}` missing"));
            assert_eq!(found.label, label, "{id}: label of `{code}`");
            if s.keyed_by == KeyedBy::Code {
                assert_eq!(
                    found.code.as_deref(),
                    Some(code.as_str()),
                    "{id}: code spelled as published"
                );
            }
        }
    }
}

#[test]
fn every_reference_list_is_of_a_builtin_scheme() {
    for entry in std::fs::read_dir(format!("{}/fixtures/reference", root())).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".csv") {
            assert!(
                builtin_scheme(id).is_some(),
                "fixtures/reference/{name} names no built-in scheme: a reference list is named \
                 after its scheme's id"
            );
        }
    }
}

#[test]
fn broader_mappings_explain_themselves() {
    for id in BUILTIN_IDS {
        for c in builtin_scheme(id).unwrap().codes() {
            if c.map.relationship == Relationship::Broader {
                assert!(
                    c.map.note.as_deref().is_some_and(|n| n.len() > 10),
                    "{id} {}: broader without a reason",
                    c.key()
                );
                assert!(c.map.candidates.len() >= 2);
                let lca = Node::lowest_common_ancestor(
                    c.map.candidates.iter().map(|&c| Node::Category(c)),
                );
                assert!(
                    lca.is_some_and(|l| c.map.target.contains(l)),
                    "{id} {}: target contains the candidates",
                    c.key()
                );
            }
        }
    }
}

#[test]
fn extended_codes_never_map_outside_their_main_code() {
    for id in BUILTIN_IDS {
        let s = builtin_scheme(id).unwrap();
        for c in s.codes() {
            if let Some(p) = &c.parent {
                let parent = s.get(p).unwrap();
                let ok = parent.map.target.contains(c.map.target)
                    || c.map.target.contains(parent.map.target)
                        && c.map.relationship == Relationship::Broader;
                assert!(
                    ok,
                    "{id}: {} -> {} is outside its main code {} -> {}",
                    c.key(),
                    c.map.target,
                    p,
                    parent.map.target
                );
            }
        }
    }
}

#[test]
fn standard_yaml_and_shipped_json_schemas_are_valid() {
    let mut count = 0;
    for entry in std::fs::read_dir(format!("{}/schema", root()))
        .unwrap()
        .chain(std::fs::read_dir(format!("{}/schema/output", root())).unwrap())
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            jsonschema::meta::validate(&v).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 8);
    // The standard file against its schema.
    let standard: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(format!("{}/schema/standard.yaml", root())).unwrap(),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/schema/standard.schema.json", root())).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&standard)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// The NHS national letters are the 2001 census categories, so both files must map alike.
#[test]
fn ons_2001_and_nhs_letters_map_alike() {
    let ons = builtin_scheme("ons-2001-ew").unwrap();
    let nhs = builtin_scheme("nhs-ethnic-category").unwrap();
    let mut checked = 0;
    for c in ons.codes() {
        let Some(letter) = c
            .note
            .as_deref()
            .and_then(|n| n.split("NHS ETHNIC CATEGORY equivalent: ").nth(1))
        else {
            continue;
        };
        let letter = &letter[..1];
        let n = nhs.get(letter).unwrap();
        assert_eq!(
            c.map.relationship, n.map.relationship,
            "{} vs NHS {letter}",
            c.label
        );
        assert_eq!(c.map.target, n.map.target, "{} vs NHS {letter}", c.label);
        assert_eq!(
            c.map.candidates, n.map.candidates,
            "{} vs NHS {letter}",
            c.label
        );
        assert_eq!(
            c.map.most_likely, n.map.most_likely,
            "{} vs NHS {letter}",
            c.label
        );
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn seven_councils_with_their_ons_codes() {
    let c = wm_ethnicity::councils();
    let codes: Vec<&str> = c.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "E08000025",
            "E08000026",
            "E08000027",
            "E08000028",
            "E08000029",
            "E08000030",
            "E08000031"
        ]
    );
    for (short, text) in wm_ethnicity::builtin_council_yaml() {
        let council = wm_ethnicity::Council::from_yaml(text, short, &wm_ethnicity::Registry::new())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(council.short, *short);
        assert_eq!(council.scheme_for("school-census"), Some("dfe-cbds"));
    }
    assert_eq!(
        wm_ethnicity::council("e08000026").unwrap().short,
        "coventry"
    );
}

/// The shipped Census 2021 baseline: every area reads (the loader checks that the 19 categories
/// sum to the total and each group subtotal equals its categories), the seven councils are there
/// under their codes, and the file is the shared reference byte for byte when that is beside us.
#[test]
fn the_census_baseline_reads_and_is_the_published_table() {
    use wm_ethnicity::{CENSUS_2021_TS021_CSV, Category, census_2021, census_2021_areas};
    let areas = census_2021_areas();
    assert_eq!(areas.len(), 9);
    for c in wm_ethnicity::councils() {
        let p = census_2021(&c.code).unwrap_or_else(|| panic!("no baseline for {}", c.name));
        assert_eq!(p.categories.len(), Category::ALL.len());
        assert_eq!(census_2021(&c.short).unwrap().area_code, c.code);
    }
    assert_eq!(census_2021("E92000001").unwrap().area_name, "England");
    // Published figure (Nomis TS021, Walsall, Pakistani).
    assert_eq!(
        census_2021("Walsall MBC")
            .unwrap()
            .count(Category::AsianPakistani),
        census_2021("E08000030")
            .unwrap()
            .count(Category::AsianPakistani)
    );
    let shared = format!(
        "{}/../shared/reference/published/census2021-ts021-wmca-councils.csv",
        root()
    );
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(
            text, CENSUS_2021_TS021_CSV,
            "the shipped copy differs from {shared}"
        );
    }
}
