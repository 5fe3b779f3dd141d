//! validate and convert agree: on any file, the records validate reports an error about are
//! exactly the records convert rejects, whatever the scheme source (one scheme, a scheme column,
//! council and dataset columns) and however values are matched (codes or labels). Issue 11,
//! item 7.

use crate::cli::{run, stdout};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use wm_ethnicity::{By, EmptyCell, Plan, ReturnSpec, SchemeFrom, Severity};
use wm_ethnicity::{Converter, Rejected, Synonyms, Validator, convert_stream};
use wm_ethnicity::{ReadOptions, Registry, Table};

/// The records (by number) validate gives an error about.
fn validate_errors(data: &str, spec: &ReturnSpec, registry: &Registry) -> BTreeSet<u64> {
    let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let (_, findings) = Validator::new(spec, registry)
        .unwrap()
        .findings(table)
        .unwrap();
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.record)
        .collect()
}

/// The records (by number) convert rejects, and how many it converted.
fn convert_rejects(data: &str, plan: &Plan, registry: &Registry) -> (BTreeSet<u64>, u64) {
    let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let conv =
        Converter::new(registry, Synonyms::builtin(), plan, table.header(), "t.csv").unwrap();
    let mut rejected = BTreeSet::new();
    let mut rejects = |r: &Rejected<'_>| {
        rejected.insert(r.record);
        Ok(())
    };
    let mut out = |_: &wm_ethnicity::Record<'_>, _: &wm_ethnicity::Converted<'_>| Ok(());
    let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
    assert_eq!(s.rows, s.converted + s.rejected);
    (rejected, s.converted)
}

fn spec_and_plan(from: &SchemeFrom, by: By, empty: EmptyCell) -> (ReturnSpec, Plan) {
    let mut spec = ReturnSpec::coded_from("ethnicity", from.clone(), by);
    spec.columns[0].empty = empty;
    let plan = Plan {
        by,
        empty,
        ..Plan::new("ethnicity", from.clone())
    };
    (spec, plan)
}

const VALUES: &[&str] = &[
    "WBRI",
    "APKN",
    "wirt",
    " AIND ",
    "REFU",
    "NOBT",
    "A",
    "J",
    "C",
    "Z",
    "99",
    "J1",
    "QQ",
    "",
    "  ",
    "9.76631E+14",
    "white.irish",
    "asian.pakistani",
    "not-known",
    "White British",
    "Pakistani",
    "Any other White background",
    "Declined",
    "Irish",
    "Gypsy / Roma",
    "nonsense",
    "W1",
    "IC1",
    "A2",
];
const SCHEMES: &[&str] = &[
    "dfe-cbds",
    "nhs-ethnic-category",
    "police-sde",
    "standard",
    "ons-2021-ew",
    "bogus",
    "",
];
const COUNCILS: &[&str] = &[
    "Birmingham",
    "E08000025",
    "Walsall MBC",
    "coventry",
    "Nowhere",
    "",
];
const DATASETS: &[&str] = &[
    "school-census",
    "health",
    "police",
    "housing-lettings",
    "x",
    "",
];

fn sources() -> Vec<SchemeFrom> {
    vec![
        SchemeFrom::Fixed("dfe-cbds".into()),
        SchemeFrom::Fixed("nhs-ethnic-category".into()),
        SchemeFrom::Fixed("standard".into()),
        SchemeFrom::Column("scheme".into()),
        SchemeFrom::Council {
            council: "council".into(),
            dataset: "dataset".into(),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn validate_and_convert_agree_on_which_rows_are_wrong(
        rows in prop::collection::vec(
            (
                prop::sample::select(VALUES),
                prop::sample::select(SCHEMES),
                prop::sample::select(COUNCILS),
                prop::sample::select(DATASETS),
                0u8..12,
            ),
            0..40,
        ),
        from in prop::sample::select(sources()),
        by in prop::sample::select(By::ALL.to_vec()),
        not_known in any::<bool>(),
    ) {
        let mut data = String::from("id,ethnicity,scheme,council,dataset\n");
        for (i, (value, scheme, council, dataset, shape)) in rows.iter().enumerate() {
            match shape {
                // A record with a field missing, and one with a field too many.
                0 => writeln!(data, "R{i},\"{value}\",{scheme},{council}").unwrap(),
                1 => writeln!(data, "R{i},\"{value}\",{scheme},{council},{dataset},extra").unwrap(),
                _ => writeln!(data, "R{i},\"{value}\",{scheme},{council},{dataset}").unwrap(),
            }
        }
        let empty = if not_known { EmptyCell::NotKnown } else { EmptyCell::Error };
        let (spec, plan) = spec_and_plan(&from, by, empty);
        let registry = Registry::new();
        let wrong = validate_errors(&data, &spec, &registry);
        let (rejected, converted) = convert_rejects(&data, &plan, &registry);
        prop_assert_eq!(&wrong, &rejected, "{:?} by {:?} on\n{}", from, by, data);
        prop_assert_eq!(converted + rejected.len() as u64, rows.len() as u64);
    }
}

/// The agreement can fail: a file where some rows are wrong gives both commands the same
/// non-empty answer, and a change of scheme source changes it.
#[test]
fn the_same_mixed_file_gets_the_same_answer_from_both_commands() {
    let data = "id,ethnicity,scheme,council,dataset\n\
                1,WBRI,dfe-cbds,Birmingham,school-census\n\
                2,J,nhs-ethnic-category,Walsall MBC,health\n\
                3,J,dfe-cbds,Coventry,school-census\n\
                4,A2,bogus,Nowhere,police\n\
                5,White British,dfe-cbds,Dudley,school-census\n";
    let registry = Registry::new();
    let column = SchemeFrom::Column("scheme".into());
    let (spec, plan) = spec_and_plan(&column, By::Code, EmptyCell::Error);
    let wrong = validate_errors(data, &spec, &registry);
    assert_eq!(wrong, BTreeSet::from([3, 4, 5]));
    assert_eq!(convert_rejects(data, &plan, &registry).0, wrong);
    let council = SchemeFrom::Council {
        council: "council".into(),
        dataset: "dataset".into(),
    };
    let (spec, plan) = spec_and_plan(&council, By::Label, EmptyCell::Error);
    let wrong = validate_errors(data, &spec, &registry);
    assert_eq!(wrong, BTreeSet::from([1, 2, 3, 4]));
    assert_eq!(convert_rejects(data, &plan, &registry).0, wrong);
}

fn write_temp(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn validate_takes_per_row_schemes_and_labels_from_its_flags() {
    let (_dir, path) = write_temp(
        "mixed.csv",
        "id,ethnicity,scheme\n1,WBRI,dfe-cbds\n2,J,nhs-ethnic-category\n3,QQ,dfe-cbds\n4,A,bogus\n",
    );
    let o = run(&[
        "validate",
        &path,
        "--column",
        "ethnicity",
        "--scheme-column",
        "scheme",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let findings: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["record"].as_u64().unwrap(),
                f["rule"].as_str().unwrap(),
                f["column"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(3, "WM001", "ethnicity"), (4, "CV003", "scheme")]);
    // The same file by council profiles, and free text.
    let (_dir2, labels) = write_temp(
        "labels.csv",
        "id,ethnicity,council,dataset\n1,White British,Birmingham,school-census\n\
         2,Pakistani,Walsall MBC,health\n3,Martian,Dudley,school-census\n4,Irish,Atlantis,health\n",
    );
    let how = [
        "--column",
        "ethnicity",
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--by",
        "label",
    ];
    let o = run(&[&["validate", &labels][..], &how, &["--format", "jsonl"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let rules: Vec<(u64, String)> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|f| {
            (
                f["record"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(rules, [(3, "CV001".to_owned()), (4, "CV004".to_owned())]);
    // convert rejects the same records of the same file, under the same rules.
    let rejects = format!("{labels}.rejects.csv");
    let o = run(&[
        &["convert", &labels][..],
        &how,
        &["--output", "-", "--rejects", &rejects],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(1));
    let rejected: Vec<(u64, String)> = csv::Reader::from_path(&rejects)
        .unwrap()
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let r = r.unwrap();
            (r["record"].parse().unwrap(), r["rule"].clone())
        })
        .collect();
    assert_eq!(rejected, rules);
}

#[test]
fn a_specification_declares_per_row_schemes_and_labels() {
    let spec = ReturnSpec::from_yaml(
        "columns:\n  - name: ethnicity\n    scheme_column: scheme\n    by: label\n",
        "s.yaml",
    )
    .unwrap();
    let c = spec.coded_columns().next().unwrap();
    assert_eq!(c.scheme, Some(SchemeFrom::Column("scheme".into())));
    assert_eq!(c.by, By::Label);
    let err = ReturnSpec::from_yaml(
        "columns:\n  - name: ethnicity\n    scheme: dfe-cbds\n    scheme_column: scheme\n",
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "s.yaml:3:13: column `ethnicity`: give one of `scheme`, `scheme_column`, or \
         `council_column` with `dataset_column`"
    );
    let err = ReturnSpec::from_yaml(
        "columns:\n  - name: ethnicity\n    council_column: c\n",
        "s.yaml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "s.yaml:3:21: column `ethnicity`: `council_column` needs a `dataset_column` too"
    );
}
