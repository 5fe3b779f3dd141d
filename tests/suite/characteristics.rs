//! The classifications of characteristics other than ethnicity (schema/characteristics/): every
//! shipped file reads and checks, names its source, and a broken file is refused with its place.

use std::fmt::Write as _;
use wm_ethnicity::{BUILTIN_CLASSIFICATIONS, Characteristic, Classifications};

#[test]
fn every_shipped_classification_reads_and_names_its_source() {
    let classes = Classifications::builtin();
    assert_eq!(classes.all().len(), BUILTIN_CLASSIFICATIONS.len());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/characteristics");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BUILTIN_CLASSIFICATIONS
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every file in schema/characteristics/ is listed in BUILTIN"
    );
    for c in classes.all() {
        assert!(c.source.starts_with("https://"), "{}: source", c.id);
        assert!(!c.codes.is_empty(), "{}", c.id);
    }
    for k in [
        Characteristic::Sex,
        Characteristic::Age,
        Characteristic::Religion,
        Characteristic::Disability,
    ] {
        assert!(
            classes
                .all()
                .iter()
                .any(|c| c.characteristic == k && c.maps_to.is_none()),
            "no standard for {k}"
        );
    }
}

#[test]
fn broken_classifications_are_refused() {
    let mut classes = Classifications::builtin().clone();
    let cases = [
        (
            "id: x\ncharacteristic: sex\nmaps_to: census-2021-sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: A, label: A, value: woman}\n",
            "not a code of census-2021-sex",
        ),
        (
            "id: y\ncharacteristic: sex\nmaps_to: census-2021-religion\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: A, label: A, value: christian}\n",
            "religion standard",
        ),
        (
            "id: z\ncharacteristic: age\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a, from: 0, to: 4}\n  - {code: b, label: b, from: 6}\n",
            "starts at 6, not 5",
        ),
        (
            "id: census-2021-sex\ncharacteristic: sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a}\n",
            "already defined",
        ),
        (
            "id: w\ncharacteristic: sex\ntitle: t\nauthority: a\nsource: s\ncodes:\n  - {code: a, label: a}\n  - {code: a, label: b}\n",
            "listed twice",
        ),
    ];
    for (text, want) in cases {
        let e = classes
            .add_yaml(text, "local.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.contains("local.yaml"), "{e}");
    }
}

/// A person's expected council, sex, age band and category (`None`: rejected).
type Expected = Option<(String, &'static str, String, &'static str)>;

/// A synthetic regional file: seven councils, ethnicity in NHS or `DfE` codes (a scheme column),
/// sex as NHS codes or labels, dates of birth, religion and disability as Census labels. Row
/// `i` is made from `i` alone, so the test can say what each row means without the crate.
fn regional_file(rows: usize) -> (String, Vec<Expected>) {
    // (scheme, code, category) in two codings each.
    const ETHNICITY: [(&str, &str, &str); 4] = [
        ("nhs-ethnic-category", "A", "white.british"),
        ("dfe-cbds", "WBRI", "white.british"),
        ("nhs-ethnic-category", "J", "asian.pakistani"),
        ("dfe-cbds", "APKN", "asian.pakistani"),
    ];
    // (as written, standard value)
    const SEX: [(&str, &str); 5] = [
        ("1", "male"),
        ("Female", "female"),
        ("2", "female"),
        ("male", "male"),
        ("X", "not-known"),
    ];
    let councils: Vec<&str> = wm_ethnicity::councils()
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    let mut csv = String::from("Council,Scheme,Ethnicity,Gender,DOB,Religion,Disability\n");
    let mut expected = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let council = councils[i % 7];
        let (scheme, code, category) = ETHNICITY[(x % 4) as usize];
        let (sex_raw, sex) = SEX[((x >> 8) % 5) as usize];
        let year = 1925 + (x >> 16) % 96; // born 1925..=2020
        let (month, day) = (1 + (x >> 24) % 12, 1 + (x >> 32) % 28);
        let before_birthday = u64::from((month, day) > (3, 21));
        let age = 2021 - year - before_birthday;
        let band = if age >= 85 {
            "85+".to_owned()
        } else {
            format!("{}-{}", age / 5 * 5, age / 5 * 5 + 4)
        };
        // Every 50th person's sex is a code no classification has: rejected, never counted.
        let sex_raw = if i % 50 == 49 { "Q" } else { sex_raw };
        let _ = writeln!(
            csv,
            "{council},{scheme},{code},{sex_raw},{year}-{month:02}-{day:02},Muslim,\"Not disabled under the Equality Act\""
        );
        expected.push((i % 50 != 49).then(|| (council.to_owned(), sex, band, category)));
    }
    (csv, expected)
}

#[test]
fn a_cross_tab_by_council_sex_age_band_and_category_matches_an_independent_count() {
    use std::collections::BTreeMap;
    use wm_ethnicity::{
        AggregatePlan, Aggregator, Answers, By, CharacteristicColumn, Level, Placement, Policy,
        ReadOptions, Registry, RejectWriter, SchemeFrom, Synonyms, Table, aggregate_stream,
    };
    let (csv, expected) = regional_file(700);
    let table =
        Table::from_reader("regional.csv", csv.as_bytes(), &ReadOptions::default()).unwrap();
    let characteristics = [
        "Gender=nhs-person-stated-gender",
        "DOB=census-2021-age-18@2021-03-21",
        "Religion=census-2021-religion",
        "Disability=census-2021-disability",
    ]
    .map(|c| CharacteristicColumn::parse(c).unwrap())
    .to_vec();
    let plan = AggregatePlan {
        column: "Ethnicity".into(),
        scheme: SchemeFrom::Column("Scheme".into()),
        by: By::Code,
        policy: Policy::Strict,
        count_column: None,
        characteristics,
        record_key_column: None,
        answers: Answers::default(),
    };
    let dims = ["Council", "wm_sex", "wm_age_band"]
        .map(str::to_owned)
        .to_vec();
    let mut agg = Aggregator::by(Level::Category, dims).unwrap();
    let mut rejects = RejectWriter::new(Vec::new()).unwrap();
    let registry = Registry::new();
    aggregate_stream(
        &mut agg,
        &registry,
        Synonyms::builtin(),
        table,
        &plan,
        &mut rejects,
    )
    .unwrap();
    let t = agg.finish();
    let rejected = expected.iter().filter(|e| e.is_none()).count() as u64;
    assert_eq!(t.input_rows, 700);
    assert_eq!(t.rejected_rows, rejected);
    assert_eq!(t.output_total + t.rejected_total, t.input_total);
    let rejects = String::from_utf8(rejects.finish().unwrap()).unwrap();
    assert_eq!(
        rejects.matches("WM020").count() as u64,
        rejected,
        "{rejects}"
    );
    assert!(rejects.contains("Gender"), "the reject names the column");

    let mut want: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for (council, sex, band, category) in expected.into_iter().flatten() {
        *want
            .entry((council, sex.to_owned(), band, category.to_owned()))
            .or_default() += 1;
    }
    let mut got: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for r in t.rows.iter().filter(|r| r.count > 0) {
        assert_eq!(r.placement, Placement::AsAsked);
        let v = |k: &str| r.by.iter().find(|(d, _)| d == k).unwrap().1.clone();
        got.insert(
            (
                v("Council"),
                v("wm_sex"),
                v("wm_age_band"),
                r.code.code().to_owned(),
            ),
            r.count,
        );
    }
    assert_eq!(got, want);
}

const RETURN: &str = "fixtures/returns/intersectional.csv";

/// The return's ethnicity column and its sex column.
const FLAGS: [&str; 6] = [
    "--scheme",
    "nhs-ethnic-category",
    "--column",
    "Ethnicity",
    "--characteristic",
    "Gender=nhs-person-stated-gender",
];

#[test]
fn validate_takes_characteristic_columns_and_never_shows_a_date_of_birth() {
    use crate::cli::{run, stdout};
    let mut args = vec!["validate", RETURN];
    args.extend(FLAGS);
    args.extend([
        "--characteristic",
        "DOB=census-2021-age-18@2021-03-21",
        "--format",
        "json",
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for dob in ["31/02/1990", "2022-01-01", "1980-05-02"] {
        assert!(!out.contains(dob), "a date of birth is shown: {out}");
    }
    assert_eq!(
        out.matches("\"rule\":\"WM021\",\"name\":\"invalid-age\",\"severity\"")
            .count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("\"rule\":\"WM020\",\"name\":\"unknown-characteristic-code\",\"severity\"")
            .count(),
        1,
        "{out}"
    );
}

#[test]
fn converting_twice_changes_nothing() {
    use crate::cli::{run, stderr};
    let dir = tempfile::tempdir().unwrap();
    let once = dir.path().join("once.csv");
    let twice = dir.path().join("twice.csv");
    let flags = [
        "--characteristic",
        "Religion=census-2021-religion",
        "--characteristic",
        "Disability=census-2021-disability",
    ];
    let convert = |input: &str, output: &std::path::Path| {
        let mut args = vec!["convert", input];
        args.extend(FLAGS);
        args.extend(flags);
        args.extend(["--output", output.to_str().unwrap()]);
        run(&args)
    };
    let o = convert(RETURN, &once);
    // One record's sex (`M`), one's religion (`Jedi`) and one empty religion are rejected,
    // naming the column.
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("Gender: rejected: WM020")
            && err.contains("Religion: rejected: WM020")
            && err.contains("Religion: rejected: WM004"),
        "{err}"
    );
    let first = std::fs::read_to_string(&once).unwrap();
    assert!(
        first
            .lines()
            .next()
            .unwrap()
            .ends_with(",wm_sex,wm_religion,wm_disability"),
        "{first}"
    );
    assert_eq!(first.lines().count(), 1 + 3);
    let o = convert(once.to_str().unwrap(), &twice);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&twice).unwrap(), first);
}

/// `COLUMN=census-2021-disability:top`: each TS038 value, by code or by label, counts under the
/// top of its hierarchy, disabled or not disabled; the counts equal the rows the test knows to be
/// each; convert writes the same value in `wm_disability` (issue 14).
#[test]
fn disability_rolls_up_to_disabled_or_not_in_aggregate_and_convert() {
    use crate::cli::{run, stderr, stdout};
    // (as written, its top) over the four finest TS038 values and the two tops, codes and labels.
    const VALUES: [(&str, &str); 6] = [
        (
            "Disabled under the Equality Act: Day-to-day activities limited a lot",
            "disabled",
        ),
        ("disabled.limited-a-little", "disabled"),
        ("Disabled under the Equality Act", "disabled"),
        (
            "Not disabled under the Equality Act: Has long term physical or mental health condition but day-to-day activities are not limited",
            "not-disabled",
        ),
        ("not-disabled.no-condition", "not-disabled"),
        ("Not disabled under the Equality Act", "not-disabled"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.csv");
    let mut csv = String::from("Ethnicity,Disability\n");
    let mut want = std::collections::BTreeMap::<&str, u64>::new();
    let mut tops = Vec::new();
    for i in 0..23 {
        let (raw, top) = VALUES[i * 7 % 6];
        let _ = writeln!(csv, "A,\"{raw}\"");
        *want.entry(top).or_default() += 1;
        tops.push(top);
    }
    std::fs::write(&file, csv).unwrap();
    let flags = [
        file.to_str().unwrap(),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "Ethnicity",
        "--characteristic",
        "Disability=census-2021-disability:top",
    ];
    let o = run(&[
        &["aggregate"][..],
        &flags,
        &["--group-by", "wm_disability", "--to", "category"],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut got = std::collections::BTreeMap::<String, u64>::new();
    for r in csv::Reader::from_reader(stdout(&o).as_bytes()).records() {
        let r = r.unwrap();
        *got.entry(r[0].to_owned()).or_default() += r[4].parse::<u64>().unwrap();
    }
    let want: std::collections::BTreeMap<String, u64> =
        want.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    assert_eq!(got, want);
    let o = run(&[&["convert"][..], &flags, &["--columns", "code"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written: Vec<String> = csv::Reader::from_reader(stdout(&o).as_bytes())
        .records()
        .map(|r| r.unwrap()[3].to_owned())
        .collect();
    assert_eq!(written, tops);
}

/// validate's report profiles each characteristic column (text, JSON, HTML): records per standard
/// value read, residuals, empty and invalid, adding up to the records; the Disability counts
/// equal the file's own labels counted here; no id, date of birth or value of another column is
/// shown (issue 14).
#[test]
fn validate_profiles_each_characteristic_column_without_showing_other_values() {
    use crate::cli::{assert_matches_schema, run, stdout};
    let spec = "fixtures/returns/intersectional.spec.yaml";
    let json = |format: &str| {
        let o = run(&["validate", RETURN, "--spec", spec, "--format", format]);
        assert_eq!(o.status.code(), Some(1));
        stdout(&o)
    };
    let json_out = json("json");
    let doc = assert_matches_schema(&json_out, "output/validate.schema.json");
    let report = &doc["report"];
    let profiles = report["characteristics"].as_array().unwrap();
    let names: Vec<&str> = profiles
        .iter()
        .map(|p| p["column"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Gender", "DOB", "Religion", "Disability"]);
    for p in profiles {
        let values: u64 = p["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["count"].as_u64().unwrap())
            .sum();
        let n = |k: &str| p[k].as_u64().unwrap();
        assert_eq!(
            values + n("empty") + n("invalid") + n("not_checked"),
            n("records"),
            "{p}"
        );
        assert_eq!(n("records"), report["records"].as_u64().unwrap());
        let residual: u64 = p["values"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["residual"] == true)
            .map(|v| v["count"].as_u64().unwrap())
            .sum();
        assert_eq!(residual, n("residual"));
    }
    // Disability: the file's labels counted here, each its standard value's label.
    let text = std::fs::read_to_string(RETURN).unwrap();
    let mut want = std::collections::BTreeMap::<String, u64>::new();
    for r in csv::Reader::from_reader(text.as_bytes()).records() {
        let label = r.unwrap()[5].to_owned();
        let label = if label == "disabled" {
            "Disabled under the Equality Act".to_owned()
        } else {
            label
        };
        *want.entry(label).or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, u64> = profiles[3]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["label"].as_str().unwrap().to_owned(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Religion's empty cell means not known: a residual, not an empty; Jedi is invalid.
    assert_eq!(profiles[2]["residual"], 1);
    assert_eq!(profiles[2]["invalid"], 1);
    // DOB: two dates of birth that cannot be read, never shown; bands only.
    assert_eq!(profiles[1]["invalid"], 2);
    let text_out = json("text");
    assert!(
        text_out.contains(
            "Data quality: column Disability (disability, census-2021-disability), 6 records"
        ),
        "{text_out}"
    );
    let html = json("html");
    assert!(
        html.contains("<h2>Column Disability (disability, census-2021-disability): 6 records</h2>"),
        "{html}"
    );
    for out in [&text_out, &html, &json_out] {
        for shown in [
            "P00",
            "1980-05-02",
            "2010-03-22",
            "1955-11-30",
            "31/02/1990",
            "2022-01-01",
            "1947-07-15",
        ] {
            assert!(!out.contains(shown), "`{shown}` shown");
        }
    }
}

/// A specification's `read_at: top` reads a characteristic column at the top of its hierarchy,
/// as `:top` does: validate profiles only `disabled` and `not-disabled`, convert writes them;
/// `--characteristic ...:top` keeps `:top` beside `--spec`; `read_at` on a coded column, or at
/// another level, is refused naming the specification's line.
#[test]
fn a_specification_reads_a_characteristic_at_its_top() {
    use crate::cli::{run, stderr, stdout};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(
        &data,
        "Ethnicity,Disability\nA,disabled.limited-a-lot\nJ,disabled.limited-a-little\n\
         M,not-disabled.no-condition\n",
    )
    .unwrap();
    let spec = |name: &str, disability: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!(
                "columns:\n  - name: Ethnicity\n    scheme: nhs-ethnic-category\n  \
                 - name: Disability\n    role: disability\n    scheme: census-2021-disability\n\
                 {disability}"
            ),
        )
        .unwrap();
        p.to_str().unwrap().to_owned()
    };
    let top = spec("top.yaml", "    read_at: top\n");
    let plain = spec("plain.yaml", "");
    let profile = |args: &[&str]| {
        let o = run(&[&["validate", data.to_str().unwrap()][..], args].concat());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        let at = text.find("Data quality: column Disability").unwrap();
        let rows: Vec<(String, u64)> = text[at..]
            .lines()
            .skip(1)
            .map_while(|l| {
                let mut w = l.split_whitespace();
                let (value, n) = (w.next()?, w.next()?.parse().ok()?);
                Some((value.to_owned(), n))
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        rows
    };
    let tops = vec![("disabled".to_owned(), 2), ("not-disabled".to_owned(), 1)];
    assert_eq!(profile(&["--spec", &top]), tops);
    assert_eq!(
        profile(&[
            "--spec",
            &plain,
            "--characteristic",
            "Disability=census-2021-disability:top"
        ]),
        tops
    );
    assert_eq!(
        profile(&["--spec", &plain]).len(),
        3,
        "finest values without top"
    );
    let o = run(&["convert", data.to_str().unwrap(), "--spec", &top]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written: Vec<String> = csv::Reader::from_reader(stdout(&o).as_bytes())
        .records()
        .map(|r| r.unwrap().iter().next_back().unwrap().to_owned())
        .collect();
    assert_eq!(written, ["disabled", "disabled", "not-disabled"]);
    for (name, text, want) in [
        (
            "coded.yaml",
            "columns:\n  - name: Ethnicity\n    scheme: nhs-ethnic-category\n    read_at: top\n",
            "is for a characteristic column",
        ),
        (
            "level.yaml",
            "columns:\n  - name: Ethnicity\n    scheme: nhs-ethnic-category\n  - name: Disability\n    \
             role: disability\n    scheme: census-2021-disability\n    read_at: bottom\n",
            "read_at",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let o = run(&[
            "validate",
            data.to_str().unwrap(),
            "--spec",
            p.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = stderr(&o);
        assert!(err.contains(&format!("{name}:")), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }
}
