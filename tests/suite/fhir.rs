//! FHIR R4 out: `wm-ethnicity fhir` checked against the R4 definitions (fhir.resources 6.4.0 in
//! a venv made by `scripts/fhir-venv.sh`, run by `scripts/fhir_validate.py`), and UK Core's England
//! and Wales ethnic category codes (fixtures/published/ukcore/, copied from UK Core) round-tripped
//! through the exported `ConceptMap`s.

use crate::cli::{run, stdout};
use serde_json::Value;
use std::path::Path;
use wm_ethnicity::{
    Category, Mapping, Node, Relationship, builtin_scheme, encode, fhir_system, fhir_system_by_url,
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundle() -> Value {
    let out = run(&["fhir"]);
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn resource<'a>(b: &'a Value, kind: &str, id: &str) -> &'a Value {
    b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == kind && r["id"] == id)
        .unwrap_or_else(|| panic!("no {kind}/{id}"))
}

/// Runs the validator on `doc`: its exit code and its lines.
fn validate(python: &Path, doc: &Value) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, serde_json::to_vec(doc).unwrap()).unwrap();
    let o = std::process::Command::new(python)
        .arg(root().join("scripts/fhir_validate.py"))
        .arg(&file)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (o.status.code().unwrap_or(-1), lines)
}

#[test]
fn every_exported_resource_is_valid_fhir_r4_and_a_broken_one_is_not() {
    let Some(python) = crate::cli::venv_python("fhir-venv.sh") else {
        return;
    };
    let b = bundle();
    let entries = b["entry"].as_array().unwrap().len();
    let (code, lines) = validate(&python, &b);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), entries);
    assert!(lines.iter().all(|l| l.starts_with("ok ")), "{lines:?}");
    // The validator can fail: an R5 element name, a missing status, an unknown equivalence.
    let mut broken = b.clone();
    let map = &mut broken["entry"][2]["resource"];
    assert_eq!(map["resourceType"], "ConceptMap");
    map["group"][0]["element"][0]["target"][0]["relationship"] = "equivalent".into();
    let (code, lines) = validate(&python, &broken);
    assert_eq!(code, 1);
    assert!(
        lines.iter().any(|l| l.contains("relationship")),
        "{lines:?}"
    );
    let mut broken = b.clone();
    broken["entry"][0]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert_eq!(validate(&python, &broken).0, 1);
    let mut broken = b;
    broken["entry"][2]["resource"]["group"][0]["element"][0]["target"][0]["equivalence"] =
        "sameish".into();
    assert_eq!(validate(&python, &broken).0, 1);
}

fn count(cs: &[Value]) -> usize {
    cs.iter()
        .map(|c| 1 + c["concept"].as_array().map_or(0, |k| count(k)))
        .sum()
}

#[test]
fn the_standard_is_one_code_system_with_every_level_and_the_residuals() {
    let b = bundle();
    let cs = resource(&b, "CodeSystem", "wm-ethnicity-standard");
    assert_eq!(cs["hierarchyMeaning"], "is-a");
    let top = cs["concept"].as_array().unwrap();
    // 5 groups and the residuals at the top; categories under groups, detailed under those.
    let levels: Vec<&str> = top
        .iter()
        .map(|c| c["property"][0]["valueCode"].as_str().unwrap())
        .collect();
    assert_eq!(levels.iter().filter(|l| **l == "group").count(), 5);
    assert!(levels.contains(&"residual"));
    assert_eq!(count(top), Node::all().count());
    assert_eq!(cs["count"], Node::all().count());
    let asian = top.iter().find(|c| c["code"] == "asian").unwrap();
    let other = asian["concept"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "asian.other")
        .unwrap();
    assert!(
        other["concept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "asian/kashmiri")
    );
}

/// A scheme with an official code system gets no `CodeSystem` of its own: its map names the
/// official one.
#[test]
fn official_code_systems_are_pointed_at_not_copied() {
    let b = bundle();
    let kinds: Vec<(String, String)> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = &e["resource"];
            (
                r["resourceType"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for id in [
        "nhs-ethnic-category",
        "nhs-wales-ethnic-category",
        "snomed-ct",
        "ctv3",
    ] {
        assert!(
            !kinds.contains(&("CodeSystem".to_owned(), id.to_owned())),
            "{id}"
        );
        let map = resource(&b, "ConceptMap", &format!("{id}-to-standard"));
        assert_eq!(map["group"][0]["source"], fhir_system(id).unwrap().url);
    }
    assert!(kinds.contains(&("CodeSystem".to_owned(), "dfe-cbds".to_owned())));
    // A religion concept is inexact, with its reason; a broader code lists its candidates.
    let ctv3 = resource(&b, "ConceptMap", "ctv3-to-standard");
    let sikh = ctv3["group"][0]["element"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "XaJSf")
        .unwrap();
    assert_eq!(sikh["target"][0]["equivalence"], "inexact");
    assert!(
        sikh["target"][0]["comment"]
            .as_str()
            .unwrap()
            .starts_with("Named after a religion")
    );
}

/// The codes of a UK Core `CodeSystem` XML file, as published.
fn ukcore_codes(file: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(root().join("fixtures/published/ukcore").join(file)).unwrap();
    text.split("<concept>")
        .skip(1)
        .map(|c| {
            let at = c.find("<code value=\"").unwrap() + "<code value=\"".len();
            c[at..c[at..].find('"').unwrap() + at].to_owned()
        })
        .collect()
}

/// The mapping a `ConceptMap` element states, read back.
fn mapping_of(element: &Value) -> Mapping {
    let targets = element["target"].as_array().unwrap();
    let node = |t: &Value| Node::from_code(t["code"].as_str().unwrap()).unwrap();
    let first = node(&targets[0]);
    let candidates: Vec<Category> = targets[1..]
        .iter()
        .filter_map(|t| node(t).category())
        .collect();
    let relationship = match targets[0]["equivalence"].as_str().unwrap() {
        _ if first.is_residual() => Relationship::Residual,
        "equivalent" => Relationship::Equivalent,
        "wider" if !candidates.is_empty() => Relationship::Broader,
        "wider" => Relationship::Narrower,
        other => panic!("{other}"),
    };
    let b = builtin_scheme("nhs-ethnic-category").unwrap();
    let mut m = b.codes()[0].map.clone();
    m.relationship = relationship;
    m.target = first;
    m.candidates = candidates;
    m.most_likely = None;
    m
}

#[test]
fn uk_core_england_and_wales_codes_round_trip_through_the_concept_maps() {
    let b = bundle();
    for (id, file) in [
        (
            "nhs-ethnic-category",
            "CodeSystem-UKCore-EthnicCategoryEngland.xml",
        ),
        (
            "nhs-wales-ethnic-category",
            "CodeSystem-UKCore-EthnicCategoryWales.xml",
        ),
    ] {
        let scheme = builtin_scheme(id).unwrap();
        let official = ukcore_codes(file);
        let ours: Vec<&str> = scheme.codes().iter().map(wm_ethnicity::Code::key).collect();
        assert_eq!(
            official, ours,
            "{id}: the codes are UK Core's, in its order"
        );
        let url = fhir_system(id).unwrap().url;
        assert_eq!(fhir_system_by_url(url).unwrap().scheme, id);
        let map = resource(&b, "ConceptMap", &format!("{id}-to-standard"));
        let elements = map["group"][0]["element"].as_array().unwrap();
        for code in &official {
            let e = elements.iter().find(|e| e["code"] == *code).unwrap();
            let m = mapping_of(e);
            assert_eq!(
                m.target,
                scheme.get(code).unwrap().map.target,
                "{id} {code}"
            );
            // Back from the standard into the scheme: the same code.
            let back = encode(scheme, &m);
            assert_eq!(
                back.code.map(wm_ethnicity::Code::key),
                Some(code.as_str()),
                "{id} {code}"
            );
        }
    }
}

/// FHIR input: convert reads every Patient, takes each coding's scheme from its system, and
/// writes nothing of a resource but the columns FHIR input gives (no names, addresses, dates).
#[test]
fn convert_reads_fhir_patients_and_every_row_ends_in_one_place() {
    let dir = tempfile::tempdir().unwrap();
    let (out, rejects) = (dir.path().join("out.csv"), dir.path().join("rejects.csv"));
    for file in ["fhir-patients.ndjson", "fhir-bundle.json"] {
        let input = root().join("fixtures/returns").join(file);
        let o = run(&[
            "convert",
            input.to_str().unwrap(),
            "--column",
            "ethnic_category_code",
            "--scheme-column",
            "ethnic_category_system",
            "--output",
            out.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
            "--force",
        ]);
        assert_eq!(o.status.code(), Some(1), "{file}: some rows are rejected");
        let (written, rejected) = (
            std::fs::read_to_string(&out).unwrap(),
            std::fs::read_to_string(&rejects).unwrap(),
        );
        for text in [&written, &rejected, &crate::cli::stderr(&o)] {
            assert!(!text.contains("PRIVATE"), "{file}: {text}");
        }
        let converted = written.lines().count() - 1;
        let refused = rejected.lines().count() - 1;
        let records = if file.ends_with("ndjson") { 11 } else { 3 };
        assert_eq!(converted + refused, records, "{file}");
        assert!(written.starts_with(&wm_ethnicity::FHIR_HEADER.join(",")));
    }
    // The retired 2-character system's Punjabi is read as the extended scheme's LB.
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains(",LB,Punjabi,asian/punjabi,"), "{written}");
}
