//! `detect`: which scheme a column is in (issue 12, item 6).

use crate::cli::{assert_matches_schema, run, stdout};
use wm_ethnicity::{BUILTIN_IDS, By, ColumnValues, Registry, Verdict, builtin_scheme, detect};

fn column<'a>(values: impl IntoIterator<Item = &'a str>) -> ColumnValues {
    let mut c = ColumnValues::default();
    for (i, v) in values.into_iter().enumerate() {
        let n = i as u64 + 1;
        c.add(v, n + 1, n);
    }
    c
}

/// The schemes tied with the best (the column cannot tell them apart), best first.
fn best(values: &ColumnValues) -> Vec<(String, By)> {
    let d = detect(&Registry::new(), values);
    let top = d.candidates[0].clone();
    d.candidates
        .iter()
        .take_while(|c| {
            c.explained == top.explained
                && c.exact == top.exact
                && c.codes_used * top.codes == top.codes_used * c.codes
        })
        .map(|c| (c.scheme.clone(), c.by))
        .collect()
}

#[test]
fn a_column_of_every_code_of_a_scheme_names_that_scheme() {
    for id in BUILTIN_IDS {
        let s = builtin_scheme(id).unwrap();
        let values = column(s.codes().iter().map(wm_ethnicity::Code::key));
        let best = best(&values);
        assert_eq!(best[0].0, *id, "{id}: ranked {best:?}");
        let d = detect(&Registry::new(), &values);
        assert!(d.unexplained.is_empty(), "{id}: {:?}", d.unexplained);
        assert_ne!(d.verdict, Verdict::Mixed, "{id}");
    }
}

#[test]
fn a_column_of_every_label_of_a_scheme_names_that_scheme() {
    for id in BUILTIN_IDS {
        let s = builtin_scheme(id).unwrap();
        let values = column(s.codes().iter().map(|c| c.label.as_str()));
        let best = best(&values);
        // Schemes that share a label list exactly (NHS England and Wales, ONS 2011 and 2021
        // headings) are tied; the scheme is among the tied best.
        assert!(
            best.iter().any(|(b, _)| b == id),
            "{id}: by its labels, ranked {best:?}"
        );
    }
}

#[test]
fn a_column_of_each_publications_labels_names_that_scheme() {
    // DfE pupil statistics ("Black - Black African", "Unclassified"), ONS KS201EW, TS021 and
    // TS022 headings: each publication's labels are its scheme's, by label.
    let mut seen = 0;
    for id in BUILTIN_IDS {
        let s = builtin_scheme(id).unwrap();
        for p in &s.publications {
            let values = column(
                s.published
                    .iter()
                    .filter(|l| l.publications.contains(&p.id))
                    .map(|l| l.label.as_str()),
            );
            let best = best(&values);
            assert_eq!(best, [(id.to_string(), By::Label)], "{id} {}", p.id);
            let d = detect(&Registry::new(), &values);
            assert!(
                d.unexplained.is_empty(),
                "{id} {}: {:?}",
                p.id,
                d.unexplained
            );
            seen += 1;
        }
    }
    assert!(seen >= 6, "{seen} publications");
}

#[test]
fn a_column_mixing_two_schemes_is_called_mixed() {
    let values = column([
        "WBRI", "APKN", "WIRT", "MWBC", "AIND", "BCRB", "WBRI", "APKN", "J", "A", "H", "J",
    ]);
    let d = detect(&Registry::new(), &values);
    assert_eq!(d.verdict, Verdict::Mixed);
    assert_eq!(d.candidates[0].scheme, "dfe-cbds");
    let (second, n) = d.second.as_ref().unwrap();
    assert!(second.scheme.starts_with("nhs-"), "{second:?}");
    assert_eq!(*n, 4);
    // One stray value is not a second scheme.
    let values = column(["WBRI", "APKN", "WIRT", "MWBC", "AIND", "J"]);
    let d = detect(&Registry::new(), &values);
    assert_eq!(d.verdict, Verdict::One);
    assert_eq!(d.unexplained.len(), 1);
    assert_eq!(d.unexplained[0].value.as_deref(), Some("J"));
    assert_eq!(
        (d.unexplained[0].first_line, d.unexplained[0].first_record),
        (7, 6)
    );
}

#[test]
fn nothing_explained_is_said() {
    let d = detect(&Registry::new(), &column(["zz9", "qq8"]));
    assert_eq!(d.verdict, Verdict::None);
    assert!(d.candidates.is_empty());
    assert_eq!(d.unexplained.len(), 2);
}

#[test]
fn detect_on_the_command_line_prints_json_of_its_schema_and_text() {
    let o = run(&[
        "detect",
        "fixtures/samples/nhs-register.csv",
        "--column",
        "ethnicity",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v = assert_matches_schema(&stdout(&o), "output/detect.schema.json");
    assert_eq!(v["candidates"][0]["scheme"], "nhs-ethnic-category");
    assert_eq!(v["verdict"], "one");
    let o = run(&[
        "detect",
        "fixtures/samples/nhs-register.csv",
        "--column",
        "ethnicity",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("Verdict: nhs-ethnic-category by code."),
        "{text}"
    );
    assert!(text.contains("Next: wm-ethnicity validate fixtures/samples/nhs-register.csv --scheme nhs-ethnic-category --column ethnicity"), "{text}");
    // validate points to detect when the declared scheme explains little of the column.
    let o = run(&[
        "validate",
        "fixtures/samples/nhs-register.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
    ]);
    assert!(
        stdout(&o)
            .contains("`wm-ethnicity detect fixtures/samples/nhs-register.csv --column ethnicity`"),
        "{}",
        stdout(&o)
    );
}
