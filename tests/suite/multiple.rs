//! Several ethnicities per person: the three outputs and their laws, the region's default order
//! checked against the Census, and the NZ level-1 prioritisation reproduced from its published
//! order (the order is data, not code).

use proptest::prelude::*;
use wm_ethnicity::{
    Answer, BUILTIN_PRIORITIES, DEFAULT_PRIORITY, MultipleCounter, Priority, TWO_OR_MORE,
    census_2021, councils,
};

fn nz_person(codes: &[&'static str]) -> Vec<Answer<'static>> {
    codes.iter().map(|c| Answer::code(c, *c == "9")).collect()
}

#[test]
fn the_nz_level_1_prioritised_rule_reproduces() {
    let nz = Priority::builtin("nz-level-1").unwrap();
    // (answers, prioritised level-1 group): Māori, Pacific Peoples, Asian, MELAA, Other,
    // European, in that order.
    let people: [(&[&str], &str); 7] = [
        (&["1", "2"], "2"), // European and Māori: Māori
        (&["4", "3"], "3"), // Asian and Pacific Peoples: Pacific Peoples
        (&["1", "4"], "4"), // European and Asian: Asian
        (&["6", "5"], "5"), // Other and MELAA: MELAA
        (&["1", "6"], "6"), // European and Other: Other
        (&["1"], "1"),      // European alone
        (&["9", "1"], "1"), // a residual beside a real answer is dropped
    ];
    let mut counter = MultipleCounter::new(nz, 1);
    for (answers, _) in people {
        counter.add(&nz_person(answers)).unwrap();
    }
    let counts = counter.finish();
    for code in ["1", "2", "3", "4", "5", "6"] {
        let want = people.iter().filter(|(_, p)| *p == code).count() as u64;
        assert_eq!(
            counts.prioritised.get(code).copied().unwrap_or(0),
            want,
            "{code}"
        );
    }
    assert_eq!(counts.persons, 7);
    assert_eq!(counts.reduced, 1);
    assert_eq!(counts.total_response.values().sum::<u64>(), 12);
}

#[test]
fn the_regional_default_ranks_the_smallest_group_first_by_the_census() {
    let p = Priority::builtin(DEFAULT_PRIORITY).unwrap();
    let mut totals: Vec<(u64, &str)> = ["asian", "black", "mixed", "white", "other"]
        .into_iter()
        .map(|g| {
            let n = councils()
                .iter()
                .map(|c| {
                    census_2021(&c.code)
                        .unwrap()
                        .categories
                        .iter()
                        .filter(|(cat, _)| cat.group().code() == g)
                        .map(|(_, n)| n)
                        .sum::<u64>()
                })
                .sum();
            (n, g)
        })
        .collect();
    totals.sort_unstable();
    let order: Vec<&str> = totals.into_iter().map(|(_, g)| g).collect();
    assert_eq!(p.order, order);
    assert_eq!(BUILTIN_PRIORITIES.len(), 2);
}

#[test]
fn small_combinations_pool_and_too_many_answers_are_refused() {
    let nz = Priority::builtin("nz-level-1").unwrap();
    let mut counter = MultipleCounter::new(nz, 2);
    for p in [&["1", "2"][..], &["1", "2"], &["3", "4"], &["1"]] {
        counter.add(&nz_person(p)).unwrap();
    }
    assert!(counter.add(&nz_person(&["1"; 7])).is_err());
    assert!(counter.add(&[]).is_err());
    let c = counter.finish();
    assert_eq!(c.combination.get("2+1"), Some(&2));
    assert_eq!(c.combination.get(TWO_OR_MORE), Some(&1)); // Pacific and Asian: one person
    assert_eq!(c.combination.values().sum::<u64>(), c.persons);
}

proptest! {
    #[test]
    fn the_three_outputs_reconcile_to_persons(
        people in prop::collection::vec(prop::collection::vec(0usize..7, 1..=6), 0..60),
        threshold in 0u64..4,
    ) {
        const CODES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "9"];
        let nz = Priority::builtin("nz-level-1").unwrap();
        let mut counter = MultipleCounter::new(nz, threshold);
        let mut one_each = true;
        for p in &people {
            let answers: Vec<Answer<'static>> =
                p.iter().map(|&i| Answer::code(CODES[i], CODES[i] == "9")).collect();
            one_each &= MultipleCounter::reduce(&answers).0.len() == 1;
            counter.add(&answers).unwrap();
        }
        let c = counter.finish();
        let persons = people.len() as u64;
        prop_assert_eq!(c.persons, persons);
        prop_assert_eq!(c.prioritised.values().sum::<u64>(), persons);
        prop_assert_eq!(c.combination.values().sum::<u64>(), persons);
        let total: u64 = c.total_response.values().sum();
        prop_assert!(total >= persons);
        if one_each {
            prop_assert_eq!(total, persons);
        }
    }
}

/// `aggregate --separator` on the command line: the three outputs reconcile to the persons, and
/// a council's own order (a YAML file) changes the prioritised output and nothing else.
#[test]
fn a_council_s_own_priority_file_orders_the_prioritised_output() {
    use crate::cli::{run, stderr, stdout};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("people.csv");
    // Four persons: White British and Indian; White British; Indian and Pakistani; Caribbean.
    std::fs::write(&data, "id,eth\n1,A;H\n2,A\n3,H;J\n4,M\n").unwrap();
    let default = Priority::builtin(DEFAULT_PRIORITY).unwrap();
    let own = Priority {
        id: "council-reversed".to_owned(),
        title: "the default order reversed (a test)".to_owned(),
        order: default.order.iter().rev().cloned().collect(),
        ..default.clone()
    };
    let file = dir.path().join("order.yaml");
    std::fs::write(&file, serde_json::to_string(&own).unwrap()).unwrap();
    let persons = |priority: &str| {
        run(&[
            "aggregate",
            data.to_str().unwrap(),
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "eth",
            "--to",
            "group",
            "--separator",
            ";",
            "--priority",
            priority,
        ])
    };
    let aggregate = |priority: &str| {
        let o = persons(priority);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|x| {
                let x = x.unwrap();
                (x[0].to_owned(), x[1].to_owned(), x[3].parse().unwrap())
            })
            .collect::<Vec<(String, String, u64)>>()
    };
    let count = |rows: &[(String, String, u64)], output: &str, code: &str| {
        rows.iter()
            .find(|(o, c, _)| o == output && c == code)
            .map_or(0, |r| r.2)
    };
    let a = aggregate(DEFAULT_PRIORITY);
    let b = aggregate(file.to_str().unwrap());
    // The person who gave White British and Indian: Asian by the default (the smaller group),
    // White by the reversed order.
    let rank = |p: &Priority, g: &str| p.order.iter().position(|c| c == g).unwrap();
    let (first, second) = if rank(default, "asian") < rank(default, "white") {
        ("asian", "white")
    } else {
        ("white", "asian")
    };
    assert_eq!(
        count(&a, "prioritised", first),
        count(&b, "prioritised", first) + 1
    );
    assert_eq!(
        count(&a, "prioritised", second) + 1,
        count(&b, "prioritised", second)
    );
    for rows in [&a, &b] {
        let sum = |output: &str| {
            rows.iter()
                .filter(|r| r.0 == output)
                .map(|r| r.2)
                .sum::<u64>()
        };
        assert_eq!(sum("prioritised"), 4);
        assert_eq!(sum("combination"), 4);
        assert!(sum("total-response") >= 4);
    }
    // The other two outputs do not depend on the order.
    let others = |rows: &[(String, String, u64)]| -> Vec<(String, String, u64)> {
        rows.iter()
            .filter(|r| r.0 != "prioritised")
            .cloned()
            .collect()
    };
    assert_eq!(others(&a), others(&b));
    let o = persons("no-such-order");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("neither a built-in order"),
        "{}",
        stderr(&o)
    );
}

/// `--separator` with `--group-by`: each council's three outputs are the ones its rows alone give,
/// and each reconciles to that council's persons.
#[test]
fn persons_by_council_are_each_council_s_own_counts() {
    use crate::cli::{run, stderr, stdout};
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        ("Dudley", "A;H"),
        ("Dudley", "A"),
        ("Dudley", "H;J;A"),
        ("Walsall", "M"),
        ("Walsall", "M;A"),
        ("Walsall", "Z"),
        ("Walsall", "A;Z"),
        ("Sandwell", "R"),
    ];
    let write = |name: &str, council: Option<&str>| {
        let mut text = "id,council,eth\n".to_owned();
        for (i, (c, e)) in rows.iter().enumerate() {
            if council.is_none_or(|x| x == *c) {
                writeln!(text, "{i},{c},{e}").unwrap();
            }
        }
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let table = |file: &std::path::Path, by: bool| -> Vec<Vec<String>> {
        let f = file.to_str().unwrap();
        let mut args = vec![
            "aggregate",
            f,
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "eth",
            "--to",
            "category",
            "--separator",
            ";",
            "--combination-threshold",
            "1",
        ];
        if by {
            args.extend(["--group-by", "council"]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    };
    let all = table(&write("all.csv", None), true);
    for council in ["Dudley", "Walsall", "Sandwell"] {
        let alone = table(&write(&format!("{council}.csv"), Some(council)), false);
        let mine: Vec<Vec<String>> = all
            .iter()
            .filter(|r| r[0] == council)
            .map(|r| r[1..].to_vec())
            .collect();
        assert_eq!(mine, alone, "{council}");
        let persons = rows.iter().filter(|(c, _)| *c == council).count() as u64;
        for output in ["prioritised", "combination"] {
            let n: u64 = mine
                .iter()
                .filter(|r| r[0] == output)
                .map(|r| r[3].parse::<u64>().unwrap())
                .sum();
            assert_eq!(n, persons, "{council} {output}");
        }
        assert!(mine.iter().all(|r| r[4] == persons.to_string()));
    }
}
