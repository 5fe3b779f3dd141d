//! Health codes: the SNOMED CT and CTV3 schemes against the `OpenSAFELY` codelists they were
//! transcribed from (fixtures/published/), their census concepts against the crate's census
//! schemes, and the concepts that record something other than an ethnic group.

use wm_ethnicity::{MatchKind, Records, Relationship, builtin_scheme};

fn published(file: &str, code: &str, term: &str) -> Vec<(String, String, String)> {
    let path = format!("{}/fixtures/published/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|c| c == name).unwrap();
    let cols = [col(code), col(term), col("Grouping_16")];
    reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let [c, t, g] = cols.map(|i| rec[i].to_owned());
            (c, t, g)
        })
        .collect()
}

fn snomed() -> Vec<(String, String, String)> {
    published(
        "opensafely-ethnicity-snomed-0removed.csv",
        "snomedcode",
        "Ethnicity",
    )
}

fn ctv3() -> Vec<(String, String, String)> {
    published("opensafely-ethnicity-ctv3.csv", "Code", "Description")
}

#[test]
fn every_published_concept_looks_up_exactly_with_its_term() {
    for (id, rows, distinct) in [("snomed-ct", snomed(), 599), ("ctv3", ctv3(), 266)] {
        let s = builtin_scheme(id).unwrap();
        assert_eq!(s.codes().len(), distinct, "{id}");
        for (code, term, _) in &rows {
            let m = s.lookup(code).unwrap_or_else(|| panic!("{id} {code}"));
            assert_eq!(
                (m.code.key(), m.kind, m.code.label.as_str()),
                (code.as_str(), MatchKind::Exact, term.as_str())
            );
        }
        assert_eq!(rows.len(), if id == "ctv3" { 270 } else { 599 });
    }
}

#[test]
fn ctv3_codes_are_case_sensitive_and_keep_their_dots() {
    let s = builtin_scheme("ctv3").unwrap();
    assert!(s.case_sensitive);
    let cornish = s.lookup("XaJRG").unwrap().code;
    let cypriot = s.lookup("XaJRg").unwrap().code;
    assert_eq!(
        cornish.label,
        "Cornish - ethnic category 2001 census".to_owned()
    );
    assert_eq!(
        cypriot.label,
        "Cypriot (part not stated) - ethnic category 2001 census"
    );
    // Upper-casing would merge them: a value in the wrong case is not found.
    assert!(s.lookup("xajrg").is_none());
    assert!(s.lookup("XAJRG").is_none());
    // Spaces are trimmed; the trailing dots are part of the code.
    assert_eq!(s.lookup(" 9S1.. ").unwrap().code.key(), "9S1..");
    assert!(s.lookup("9S1").is_none());
}

#[test]
fn lookup_by_term_finds_the_concept() {
    let s = builtin_scheme("snomed-ct").unwrap();
    let m = s
        .lookup_label("Kashmiri - ethnic category 2001 census")
        .unwrap();
    assert_eq!(m.key, "92651000000105");
    assert_eq!(m.mapping.target.code(), "asian/kashmiri");
    // Several concepts share a term with one meaning ("Chinese"): the first listed answers.
    let chinese = s.lookup_label("chinese").unwrap();
    assert_eq!(chinese.mapping.target.code(), "asian.chinese");
    let c = builtin_scheme("ctv3").unwrap();
    assert_eq!(
        c.lookup_label("Sikh - ethnic category 2001 census")
            .unwrap()
            .key,
        "XaJSf"
    );
}

/// Census concepts mean their census category: the same place as the crate's census scheme.
#[test]
fn census_concepts_are_mapped_as_their_census_category() {
    let s = builtin_scheme("snomed-ct").unwrap();
    let cases = [
        // (concept, scheme, key)
        (
            "92411000000108",
            "ons-2001-ew",
            "Any other White background",
        ),
        ("92651000000105", "nhs-ethnic-category-extended", "LC"),
        ("92711000000100", "nhs-ethnic-category-extended", "PA"),
        (
            "976691000000100",
            "ons-2011-ew",
            "Any other White background",
        ),
        ("977911000000103", "nhs-scotland-ethnic-group", "1A"),
        ("976951000000102", "ons-2011-ew", "Arab"),
    ];
    for (concept, scheme, key) in cases {
        let ours = &s.get(concept).unwrap().map;
        let theirs = &builtin_scheme(scheme).unwrap().get(key).unwrap().map;
        assert_eq!(
            (ours.relationship, ours.target, &ours.candidates),
            (theirs.relationship, theirs.target, &theirs.candidates),
            "{concept}"
        );
    }
    // Every census concept says which census category it is.
    for c in s.codes() {
        if c.label.contains("2001 census") || c.label.contains("2011 census") {
            assert!(
                c.map.note.as_deref().is_some_and(|n| n.contains("census")),
                "{}",
                c.key()
            );
        }
    }
}

#[test]
fn religion_nationality_and_language_concepts_are_flagged_with_a_reason() {
    let c = builtin_scheme("ctv3").unwrap();
    for code in ["XaJSc", "XaJSd", "XaJSe", "XaJSf", "XaJSR"] {
        let m = &c.get(code).unwrap().map;
        assert_eq!(m.records, Some(Records::Religion), "{code}");
        assert_eq!(m.relationship, Relationship::Residual, "{code}");
        assert_eq!(m.target.code(), "not-known", "{code}");
    }
    let s = builtin_scheme("snomed-ct").unwrap();
    let by_term = |t: &str| &s.lookup_label(t).unwrap().mapping.records;
    assert_eq!(*by_term("Nigerians"), Some(Records::Nationality));
    assert_eq!(
        *by_term("Pakistani (Urduspeakers)"),
        Some(Records::Language)
    );
    assert_eq!(*by_term("Zulu"), None);
    // The census category of a nation is not flagged: the census asks it as an ethnic group.
    assert_eq!(*by_term("Nigerian - ethnic category 2001 census"), None);
    for id in ["snomed-ct", "ctv3"] {
        for code in builtin_scheme(id).unwrap().codes() {
            if code.map.records.is_some() {
                assert!(code.map.note.is_some(), "{id} {}", code.key());
            }
        }
    }
}

/// The reference lists carry `OpenSAFELY`'s own 16-group assignment, as published.
#[test]
fn reference_lists_keep_opensafelys_groups() {
    for (id, rows) in [("snomed-ct", snomed()), ("ctv3", ctv3())] {
        let path = format!("{}/fixtures/reference/{id}.csv", env!("CARGO_MANIFEST_DIR"));
        let mut r = csv::Reader::from_path(&path).unwrap();
        let notes: Vec<(String, String)> = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[0].to_owned(), rec[4].to_owned())
            })
            .collect();
        for (code, _, g16) in rows {
            let (_, note) = notes.iter().find(|(c, _)| *c == code).unwrap();
            assert!(
                note.starts_with(&format!("OpenSAFELY Grouping_16 {g16},")),
                "{id} {code}"
            );
        }
    }
}

#[test]
fn lookup_by_label_and_excel_numbers_from_the_command_line() {
    use crate::cli::{assert_matches_schema, run, stdout};
    let v = assert_matches_schema(
        &stdout(&run(&[
            "lookup",
            "--scheme",
            "snomed-ct",
            "--by-label",
            "--format",
            "json",
            "kashmiri - ethnic category 2001 census",
            "Nigerians",
        ])),
        "output/lookup.schema.json",
    );
    let r = &v["results"];
    assert_eq!(r[0]["code"], "92651000000105");
    assert_eq!(r[0]["node"]["code"], "asian/kashmiri");
    assert_eq!(r[1]["records"], "nationality");
    // By code, the term is not a code; an Excel number with every digit is read back.
    let out = run(&[
        "lookup",
        "--scheme",
        "snomed-ct",
        "--format",
        "json",
        "9.76631000000101E+14",
        "9.76631E+14",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = assert_matches_schema(&stdout(&out), "output/lookup.schema.json");
    assert_eq!(v["results"][0]["code"], "976631000000101");
    assert_eq!(v["results"][1]["found"], false);
}

/// A map built like the BHF Data Science Centre's (rows copied from it): Roma split by country,
/// the invented letters T and W.
#[test]
fn mapping_check_reports_the_split_and_the_letters_that_are_not_nhs_codes() {
    use crate::cli::{assert_matches_schema, run, stdout};
    let map = format!(
        "{}/fixtures/mapping/bhf-like-snomed-to-nhs.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let args = [
        "mapping",
        "check",
        map.as_str(),
        "--from",
        "snomed-ct",
        "--to",
        "nhs-ethnic-category",
        "--source-column",
        "CODE",
        "--target-column",
        "PrimaryCode",
        "--label-column",
        "SNOMED_conceptId_description",
    ];
    let out = run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let v = assert_matches_schema(&stdout(&out), "output/mapping-check.schema.json");
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 21);
    let counted: u64 = v["verdicts"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, 21, "every row has one verdict");
    let row = |code: &str| rows.iter().find(|r| r["source"] == code).unwrap();
    // Roma: Polish and Romanian to T, Czech and Slovak to C -- one meaning, two targets.
    for code in ["718964009", "718960000", "718959005", "718961001"] {
        assert_eq!(row(code)["split"], true, "{code}");
        assert_eq!(row(code)["split_targets"], serde_json::json!(["T", "C"]));
    }
    assert_eq!(row("718964009")["verdict"], "target-unknown");
    assert_eq!(row("718964009")["standard_answer"], "C");
    // W (Arab) is no NHS letter either; the standard's answer is S.
    assert_eq!(row("90027003")["verdict"], "target-unknown");
    assert_eq!(row("90027003")["standard_answer"], "S");
    assert_eq!(row("186002003")["verdict"], "agrees");
    assert_eq!(row("977351000000100")["verdict"], "finer");
    assert_eq!(row("92561000000109")["verdict"], "contradicts");
    assert_eq!(row("92561000000109")["standard_answer"], "A");
    assert_eq!(row("415794004")["verdict"], "source-unknown");
    // The same in CSV, one line per row.
    let csv = stdout(&run(&[&args[..], &["--format", "csv"]].concat()));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 21);
    assert!(
        recs.iter()
            .any(|x| &x[1] == "718960000" && &x[3] == "target-unknown" && &x[4] == "true")
    );
}

/// Coarser: a map that sends Black African to Scotland's "Black, Black Scottish or Black
/// British".
#[test]
fn mapping_check_says_coarser_and_names_the_standards_answer() {
    use crate::cli::{run, stdout};
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.csv");
    std::fs::write(&map, "from,to\n154165009,5D\n154165009,4D\n,4D\n").unwrap();
    let out = run(&[
        "mapping",
        "check",
        map.to_str().unwrap(),
        "--from",
        "snomed-ct",
        "--to",
        "nhs-scotland-ethnic-group",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows[0]["verdict"], "coarser");
    // Scotland splits African into 4D and 4Y: the crosswalk names them, choosing neither.
    assert!(rows[0]["standard_answer"].is_null());
    assert!(
        rows[0]["message"]
            .as_str()
            .unwrap()
            .contains("it could be 4D (African, African Scottish or African British) or 4Y")
    );
    assert_eq!(rows[1]["verdict"], "agrees");
    // One source to two targets: a split.
    assert_eq!(rows[0]["split"], true);
    assert_eq!(rows[2]["verdict"], "incomplete");
    assert_eq!(rows[2]["line"], 4);
}
