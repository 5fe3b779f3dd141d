//! Several ethnicities per person in records (`--separator`, `--column` given more than once, a
//! specification's `more_columns`): convert keeps every answer in order, converting its output
//! again changes nothing, aggregate on convert's output counts the persons as aggregate on the
//! input does, the columns form and the separator form are one reading, and a rejected row names
//! the column and the position of the bad answer.

use crate::cli::{run, stderr, stdout};
use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// NHS codes a person may give: categories, a code broader than one category (C), the
/// residuals (Z declined, 99 not known) and one that is not a code (Q, rejected).
const CODES: [&str; 9] = ["A", "B", "C", "H", "J", "M", "Z", "99", "Q"];

/// Persons, each 1 to 6 answers (indexes into [`CODES`]), repeats and residuals included.
fn persons() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(0..CODES.len(), 1..=6), 1..25)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The persons in one cell each, split by `;`.
fn write_cells(dir: &Path, people: &[Vec<usize>]) -> PathBuf {
    let mut text = "id,eth\n".to_owned();
    for (i, p) in people.iter().enumerate() {
        let codes: Vec<&str> = p.iter().map(|&k| CODES[k]).collect();
        writeln!(text, "{i},{}", codes.join(";")).unwrap();
    }
    let f = dir.join("cells.csv");
    std::fs::write(&f, text).unwrap();
    f
}

/// The persons in six columns, `e1` ... `e6`, the later ones empty for a person who gave fewer.
fn write_columns(dir: &Path, people: &[Vec<usize>]) -> PathBuf {
    let mut text = "id,e1,e2,e3,e4,e5,e6\n".to_owned();
    for (i, p) in people.iter().enumerate() {
        let mut cells: Vec<&str> = p.iter().map(|&k| CODES[k]).collect();
        cells.resize(6, "");
        writeln!(text, "{i},{}", cells.join(",")).unwrap();
    }
    let f = dir.join("columns.csv");
    std::fs::write(&f, text).unwrap();
    f
}

const SIX_COLUMNS: [&str; 12] = [
    "--column", "e1", "--column", "e2", "--column", "e3", "--column", "e4", "--column", "e5",
    "--column", "e6",
];

/// `wm-ethnicity` with `args`, its exit status 0 or 1 (some rows rejected).
fn ok(args: &[&str]) -> std::process::Output {
    let o = run(args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&o)
    );
    o
}

/// `convert` of `input` (NHS codes, or with `standard` the `wm_code` column of an earlier run)
/// to `output`, with the reading `how` (`--separator ;`, or the columns).
fn convert(input: &Path, output: &Path, how: &[&str]) {
    let mut args = vec!["convert", path(input), "--output", path(output), "--force"];
    args.extend(how);
    ok(&args);
}

fn rows(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The columns of `header` that hold the standard's meaning: every input column, the codes and
/// levels of each answer, how many and which one is prioritised (what converting standard codes
/// again must not change; the source scheme and match become `standard`'s).
fn meaning_columns(header: &[String]) -> Vec<usize> {
    const KEPT: [&str; 7] = [
        "wm_code",
        "wm_level",
        "wm_group",
        "wm_category",
        "wm_detailed",
        "wm_answers",
        "wm_prioritised",
    ];
    (0..header.len())
        .filter(|&i| !header[i].starts_with("wm_") || KEPT.contains(&header[i].as_str()))
        .collect()
}

/// The NHS codes of column `eth`, several to a cell.
const NHS_CELLS: [&str; 6] = [
    "--scheme",
    "nhs-ethnic-category",
    "--column",
    "eth",
    "--separator",
    ";",
];

const AGAIN: [&str; 6] = [
    "--scheme",
    "standard",
    "--column",
    "wm_code",
    "--separator",
    ";",
];

/// `aggregate`'s three person counts (its CSV) of `input` read as `how`, at `to`.
fn persons_table(input: &Path, how: &[&str], to: &str) -> String {
    let mut args = vec![
        "aggregate",
        path(input),
        "--to",
        to,
        "--combination-threshold",
        "1",
    ];
    args.extend(how);
    stdout(&ok(&args))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Issue 14's law: converting convert's output again (its `wm_code`, split on `;`) keeps
    /// every answer's meaning, the number of answers and the prioritised one; the third time,
    /// nothing changes at all.
    #[test]
    fn converting_several_ethnicities_twice_changes_nothing(people in persons()) {
        let dir = tempfile::tempdir().unwrap();
        let input = write_cells(dir.path(), &people);
        let (once, twice, thrice) =
            (dir.path().join("1.csv"), dir.path().join("2.csv"), dir.path().join("3.csv"));
        convert(&input, &once, &NHS_CELLS);
        convert(&once, &twice, &AGAIN);
        convert(&twice, &thrice, &AGAIN);
        let (h1, r1) = rows(&once);
        let (h2, r2) = rows(&twice);
        prop_assert_eq!(&h1, &h2, "earlier wm_ columns are replaced, not repeated");
        prop_assert_eq!(r1.len(), people.iter().filter(|p| !p.contains(&8)).count());
        prop_assert_eq!(r1.len(), r2.len(), "converting standard codes rejects nothing");
        let kept = meaning_columns(&h1);
        for (a, b) in r1.iter().zip(&r2) {
            for &i in &kept {
                prop_assert_eq!(&a[i], &b[i], "column {}", h1[i]);
            }
        }
        prop_assert_eq!(std::fs::read(&twice).unwrap(), std::fs::read(&thrice).unwrap());
    }

    /// `aggregate` on convert's output (`--scheme standard --column wm_code --separator ';'`)
    /// gives the three person counts `aggregate` gives on the input, at every level.
    #[test]
    fn aggregate_on_convert_output_counts_the_persons_of_the_input(people in persons()) {
        let dir = tempfile::tempdir().unwrap();
        let input = write_cells(dir.path(), &people);
        let out = dir.path().join("out.csv");
        convert(&input, &out, &NHS_CELLS);
        for to in ["group", "category", "detailed"] {
            let a = persons_table(&input, &NHS_CELLS, to);
            let b = persons_table(&out, &AGAIN, to);
            prop_assert_eq!(&a, &b, "at {}", to);
            // Not two empty tables: prioritised output counts every person not rejected.
            let prioritised: u64 = csv::Reader::from_reader(a.as_bytes())
                .records()
                .map(|r| r.unwrap())
                .filter(|r| &r[0] == "prioritised")
                .map(|r| r[3].parse::<u64>().unwrap())
                .sum();
            let persons = people.iter().filter(|p| !p.contains(&8)).count() as u64;
            prop_assert_eq!(prioritised, persons);
        }
    }

    /// Six columns (`--column` six times, empty later ones) and one cell split on `;` are one
    /// reading: convert writes the same added columns and rejects the same records for the same
    /// rules; validate finds the same rules on the same records; aggregate counts the same
    /// persons.
    #[test]
    fn the_columns_form_equals_the_separator_form(people in persons()) {
        let dir = tempfile::tempdir().unwrap();
        let (cells, columns) = (write_cells(dir.path(), &people), write_columns(dir.path(), &people));
        let by_cell = NHS_CELLS;
        let mut by_columns = vec!["--scheme", "nhs-ethnic-category"];
        by_columns.extend(SIX_COLUMNS);
        let converted = |input: &Path, how: &[&str], name: &str| {
            let (out, rejects) = (dir.path().join(name), dir.path().join(format!("rejects-{name}")));
            let mut args = vec!["convert", path(input), "-o", path(&out), "--rejects", path(&rejects)];
            args.extend(how);
            ok(&args);
            let (h, r) = rows(&out);
            let added: Vec<Vec<String>> = r
                .iter()
                .map(|row| (0..h.len()).filter(|&i| h[i].starts_with("wm_")).map(|i| row[i].clone()).collect())
                .collect();
            let (rh, rr) = rows(&rejects);
            let at = |n: &str| rh.iter().position(|x| x == n).unwrap();
            let (record, rule, reason) = (at("record"), at("rule"), at("reason"));
            let why: Vec<[String; 3]> = rr
                .iter()
                .map(|x| [x[record].clone(), x[rule].clone(), x[reason].clone()])
                .collect();
            (added, why)
        };
        let a = converted(&cells, &by_cell, "a.csv");
        let b = converted(&columns, &by_columns, "b.csv");
        prop_assert_eq!(a, b);
        let findings = |input: &Path, how: &[&str]| -> Vec<(u64, String, String)> {
            let mut args = vec!["validate", path(input), "--format", "json"];
            args.extend(how);
            let v: serde_json::Value = serde_json::from_str(&stdout(&ok(&args))).unwrap();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["record"].as_u64().unwrap_or(0),
                        f["rule"].as_str().unwrap().to_owned(),
                        // The residual share names the first column, `eth` or `e1`.
                        f["message"].as_str().unwrap().replace("`e1`", "`eth`"),
                    )
                })
                .collect()
        };
        prop_assert_eq!(findings(&cells, &by_cell), findings(&columns, &by_columns));
        prop_assert_eq!(
            persons_table(&cells, &by_cell, "category"),
            persons_table(&columns, &by_columns, "category")
        );
    }
}

/// A row with one bad answer is rejected whole (never a value dropped), the reject naming the
/// column the answer is in and its position among the person's answers; more than 6 answers is
/// CV009. Every row ends converted or rejected.
#[test]
fn a_rejected_row_names_the_column_and_position_of_the_bad_answer() {
    let dir = tempfile::tempdir().unwrap();
    let columns = dir.path().join("columns.csv");
    std::fs::write(&columns, "id,e1,e2,e3\n1,A,H,\n2,A,,Q\n3,J,,\n4,,,\n").unwrap();
    let cells = dir.path().join("cells.csv");
    std::fs::write(&cells, "id,eth\n1,A;H\n2,A;Q\n3,A;B;C;D;E;F;G\n4,M\n").unwrap();
    let rejects_of = |input: &Path, how: &[&str]| {
        let (out, rejects) = (dir.path().join("out.csv"), dir.path().join("rejects.csv"));
        let mut args = vec![
            "convert",
            path(input),
            "--scheme",
            "nhs-ethnic-category",
            "-o",
            path(&out),
            "--rejects",
            path(&rejects),
            "--force",
        ];
        args.extend(how);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let (h, r) = rows(&rejects);
        let at = |n: &str| h.iter().position(|x| x == n).unwrap();
        let picked: Vec<[String; 4]> = r
            .iter()
            .map(|x| {
                [
                    x[at("record")].clone(),
                    x[at("column")].clone(),
                    x[at("rule")].clone(),
                    x[at("reason")].clone(),
                ]
            })
            .collect();
        (rows(&out).1.len(), picked, stdout(&o))
    };
    let (converted, rejected, summary) = rejects_of(
        &columns,
        &["--column", "e1", "--column", "e2", "--column", "e3"],
    );
    assert_eq!(converted, 2);
    assert!(
        summary.contains("rows in:    4 = converted 2 + rejected 2"),
        "{summary}"
    );
    assert_eq!(rejected.len(), 2);
    // Record 2: its second answer is in column e3 (e2 is empty).
    assert_eq!(rejected[0][..3], ["2", "e3", "WM001"]);
    assert!(
        rejected[0][3].starts_with("value 2 of 2: "),
        "{:?}",
        rejected[0]
    );
    // Record 4 gave nothing: the empty-cell rule, about the first column.
    assert_eq!(rejected[1][..3], ["4", "e1", "WM004"]);

    let (converted, rejected, _) = rejects_of(&cells, &["--column", "eth", "--separator", ";"]);
    assert_eq!(converted, 2);
    assert_eq!(rejected[0][..3], ["2", "eth", "WM001"]);
    assert!(
        rejected[0][3].starts_with("value 2 of 2: "),
        "{:?}",
        rejected[0]
    );
    assert_eq!(rejected[1][..3], ["3", "eth", "CV009"]);
    assert!(
        rejected[1][3].contains("7 ethnicities"),
        "{:?}",
        rejected[1]
    );
    assert!(rejected[1][3].contains("at most 6"), "{:?}", rejected[1]);
}

/// A specification's `more_columns` is `--column` given more than once: validate finds the same,
/// convert writes the same; a column claimed twice, or `more_columns` on a column that is not
/// coded, is an error naming the file and line.
#[test]
fn a_specification_declares_the_later_answers_columns() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("return.csv");
    std::fs::write(
        &data,
        "id,e1,e2,e3\n1,A,H,\n2,J,J,\n3,Z,H,\n4,A,Q,\n5,M,,\n",
    )
    .unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "columns:\n  - name: id\n    role: id\n  - name: e1\n    scheme: nhs-ethnic-category\n    more_columns: [e2, e3]\n",
    )
    .unwrap();
    let flags = [
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "e1",
        "--column",
        "e2",
        "--column",
        "e3",
    ];
    let validate = |how: &[&str]| {
        let mut args = vec!["validate", path(&data), "--format", "json"];
        args.extend(how);
        let v: serde_json::Value = serde_json::from_str(&stdout(&ok(&args))).unwrap();
        v["findings"].clone()
    };
    let by_spec = validate(&["--spec", path(&spec)]);
    let mut with_id = flags.to_vec();
    with_id.extend(["--id-column", "id"]);
    assert_eq!(by_spec, validate(&with_id));
    let rules: Vec<(&str, &str)> = by_spec
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["column"].as_str().unwrap()))
        .collect();
    for want in [("WM022", "e2"), ("WM023", "e1"), ("WM001", "e2")] {
        assert!(rules.contains(&want), "{want:?} in {rules:?}");
    }
    let converted = |how: &[&str], name: &str| {
        let out = dir.path().join(name);
        let mut args = vec!["convert", path(&data), "-o", path(&out)];
        args.extend(how);
        ok(&args);
        std::fs::read_to_string(out).unwrap()
    };
    assert_eq!(
        converted(&["--spec", path(&spec)], "a.csv"),
        converted(&flags, "b.csv")
    );

    for (text, want) in [
        (
            "columns:\n  - name: e1\n    scheme: nhs-ethnic-category\n    more_columns: [e2, e1]\n",
            "column `e1` is listed twice",
        ),
        (
            "columns:\n  - name: id\n    role: id\n    more_columns: [e2]\n  - name: e1\n    scheme: nhs-ethnic-category\n",
            "is not a coded column",
        ),
    ] {
        std::fs::write(&spec, text).unwrap();
        let o = run(&["validate", path(&data), "--spec", path(&spec)]);
        assert_eq!(o.status.code(), Some(2));
        let e = stderr(&o);
        assert!(e.contains(want) && e.contains("spec.yaml"), "{e}");
    }
}

/// Person counts of several ethnicities are plain counts: a flag they do not take (a disclosure
/// policy, rates, another format) is refused naming it, not ignored; the prioritised ethnicity
/// that convert writes aggregates under a policy as one answer per person does.
#[test]
fn person_counts_refuse_the_flags_they_do_not_take() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("p.csv");
    std::fs::write(&input, "id,eth\n1,A;H\n2,J\n3,M;A\n4,A\n").unwrap();
    let several = [
        &["aggregate", path(&input), "--to", "category"][..],
        &NHS_CELLS,
    ]
    .concat();
    for (extra, flag) in [
        (&["--disclosure", "suppress:3"][..], "--disclosure"),
        (&["--format", "json"][..], "--format json or text"),
        (&["--publication"][..], "--publication"),
        (&["--rate-census", "E08000025"][..], "--rate-census"),
    ] {
        let o = run(&[&several[..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{flag} is not for several ethnicities per person")),
            "{extra:?}: {err}"
        );
        assert!(stdout(&o).is_empty(), "{extra:?}: nothing written");
    }
    let converted = dir.path().join("c.csv");
    convert(&input, &converted, &NHS_CELLS);
    let o = ok(&[
        "aggregate",
        path(&converted),
        "--to",
        "category",
        "--scheme",
        "standard",
        "--column",
        "wm_prioritised",
        "--disclosure",
        "suppress:3",
    ]);
    assert!(
        stdout(&o).contains("code,label,level,count"),
        "{}",
        stdout(&o)
    );
}
