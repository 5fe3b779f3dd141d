//! Aggregate tables: totals preserved exactly, counts never placed finer than their source,
//! rejected rows counted, and the command line on count tables.

use crate::cli::{run, stderr, stdout};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use wm_ethnicity::RejectWriter;
use wm_ethnicity::Synonyms;
use wm_ethnicity::{AggregatePlan, Aggregator, Answers, Placement, aggregate_stream};
use wm_ethnicity::{BUILTIN_IDS, Registry, builtin_scheme as builtin};
use wm_ethnicity::{By, Source};
use wm_ethnicity::{Level, Node};
use wm_ethnicity::{Policy, SchemeFrom, convert_code};
use wm_ethnicity::{ReadOptions, Table};

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn any_code() -> impl Strategy<Value = (&'static str, usize)> {
    prop::sample::select(BUILTIN_IDS.to_vec()).prop_flat_map(|id| {
        let n = builtin(id).unwrap().codes().len();
        (Just(id), 0..n)
    })
}

proptest! {
    #[test]
    fn totals_are_preserved_at_every_level(
        rows in prop::collection::vec((any_code(), 0u64..1_000_000, any::<bool>()), 0..80),
        most_likely in any::<bool>(),
    ) {
        let policy = if most_likely { Policy::MostLikely } else { Policy::Strict };
        let mut tables = Vec::new();
        for level in [Level::Group, Level::Category, Level::Detailed] {
            let mut agg = Aggregator::new(level).unwrap();
            let mut sum = 0u64;
            for ((id, i), n, reject) in &rows {
                sum += n;
                if *reject {
                    agg.reject(Some(*n)).unwrap();
                    continue;
                }
                let s = builtin(id).unwrap();
                let c = convert_code(Source::Scheme(s), s.codes()[*i].key(), policy).unwrap();
                agg.add(&c, *n).unwrap();
            }
            let t = agg.finish();
            prop_assert_eq!(t.input_total, sum);
            prop_assert_eq!(t.input_total, t.output_total + t.rejected_total);
            prop_assert_eq!(t.output_total, t.rows.iter().map(|r| r.count).sum::<u64>());
            prop_assert_eq!(t.input_rows, rows.len() as u64);
            for r in &t.rows {
                match r.placement {
                    Placement::AsAsked => prop_assert_eq!(r.level, level),
                    Placement::Coarser => prop_assert!(r.level < level),
                    Placement::Residual => prop_assert!(r.code.is_residual()),
                    Placement::Merged => prop_assert!(false, "merged without merged_up: {:?}", r),
                }
            }
            tables.push(t);
        }
        // Group counts are the category table rolled up: nothing appears or vanishes.
        let (groups, cats) = (&tables[0], &tables[1]);
        for g in groups.rows.iter().filter(|r| r.level == Level::Group) {
            let rolled: u64 = cats
                .rows
                .iter()
                .filter(|r| !r.code.is_residual() && r.code.roll_up(Level::Group) == g.code)
                .map(|r| r.count)
                .sum();
            prop_assert_eq!(g.count, rolled, "{}", g.code);
        }
    }

    #[test]
    fn a_count_is_never_placed_finer_than_its_code(((id, i), n) in (any_code(), 1u64..100)) {
        let s = builtin(id).unwrap();
        let code = &s.codes()[i];
        let c = convert_code(Source::Scheme(s), code.key(), Policy::Strict).unwrap();
        let mut agg = Aggregator::new(Level::Detailed).unwrap();
        agg.add(&c, n).unwrap();
        let t = agg.finish();
        let placed: Vec<Node> = t.rows.iter().filter(|r| r.count > 0).map(|r| r.code).collect();
        prop_assert_eq!(placed, vec![code.map.target]);
    }
}

#[test]
fn a_broader_code_stays_at_its_group_under_strict_and_moves_under_most_likely() {
    let nhs = Source::Scheme(builtin("nhs-ethnic-category").unwrap());
    for (policy, white, other, coarser, ml) in [
        (Policy::Strict, Some(5), 0, 5, 0),
        (Policy::MostLikely, None, 5, 0, 5),
    ] {
        let mut agg = Aggregator::new(Level::Category).unwrap();
        agg.add(&convert_code(nhs, "C", policy).unwrap(), 5)
            .unwrap();
        let t = agg.finish();
        assert_eq!(t.count("white"), white);
        assert_eq!(t.count("white.other"), Some(other));
        assert_eq!((t.coarser_total, t.most_likely_total), (coarser, ml));
    }
}

#[test]
fn a_census_style_table_by_label_with_bad_rows() {
    let data = "ethnic group,count\n\
                Pakistani,\"1,200\"\n\
                Black - Caribbean,300\n\
                Any other white background ,45\n\
                Not stated,7\n\
                Martian,3\n\
                Indian,-4\n\
                Indian,12\n";
    let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let registry = Registry::new();
    let plan = AggregatePlan {
        column: "ethnic group".into(),
        scheme: SchemeFrom::Fixed("nhs-ethnic-category".into()),
        by: By::Label,
        policy: Policy::Strict,
        count_column: Some("count".into()),
        characteristics: Vec::new(),
        record_key_column: None,
        answers: Answers::default(),
    };
    let mut agg = Aggregator::new(Level::Category).unwrap();
    let mut rejects = RejectWriter::new(Vec::new()).unwrap();
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
    let rejects = String::from_utf8(rejects.finish().unwrap()).unwrap();
    assert_eq!(t.input_rows, 7);
    assert_eq!(t.rejected_rows, 2);
    // "Martian" (3) is rejected but counted; "-4" is not a count and cannot be totalled.
    assert_eq!(t.input_total, 1200 + 300 + 45 + 7 + 3 + 12);
    assert_eq!(t.rejected_total, 3);
    assert_eq!(t.output_total, 1200 + 300 + 45 + 7 + 12);
    assert_eq!(t.count("asian.pakistani"), Some(1200));
    assert_eq!(t.count("white"), Some(45));
    assert_eq!(t.count("declined"), Some(7));
    let rules: Vec<&str> = rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap())
        .collect();
    assert_eq!(rules, ["CV001", "CV008"]);
}

#[test]
fn the_command_line_sums_tables_and_reports_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("birmingham.csv");
    let b = dir.path().join("coventry.csv");
    std::fs::write(&a, "code,n\nAPKN,10\nWROM,2\nREFU,1\nBSOM,4\n").unwrap();
    std::fs::write(&b, "code,n\nAPKN,5\nWIRT,3\nXXXX,9\n").unwrap();
    let o = run(&[
        "aggregate",
        path_str(&a),
        path_str(&b),
        "--scheme",
        "dfe-cbds",
        "--code-column",
        "code",
        "--count-column",
        "n",
        "--to",
        "detailed",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "code,label,level,count,placement\n\
         black-african/somali,Somali,detailed,4,as-asked\n\
         white,White,group,2,coarser\n\
         asian.pakistani,Pakistani,category,15,coarser\n\
         white.gypsy-irish-traveller,Gypsy or Irish Traveller,category,3,coarser\n\
         declined,Declined,residual,1,residual\n\
         not-obtained,Not obtained,residual,0,residual\n\
         not-known,Not known,residual,0,residual\n\
         not-applicable,Does not apply,residual,0,residual\n\
         declined-or-not-obtained,Declined or not obtained,residual,0,residual\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("coventry.csv:4: code: rejected: WM001"),
        "{err}"
    );
    assert!(
        err.contains("totals:        input 34 = output 25 + rejected 9"),
        "{err}"
    );
    assert!(
        err.contains("not as fine as asked: 20 at a coarser level: white 2 (group), asian.pakistani 15 (category), white.gypsy-irish-traveller 3 (category)"),
        "{err}"
    );
}

#[test]
fn the_command_line_refuses_what_it_cannot_do() {
    let o = run(&[
        "aggregate",
        "fixtures/regional/returns.csv",
        "--scheme",
        "standard",
        "--code-column",
        "wm_code",
        "--to",
        "category",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no column `wm_code`"), "{err}");
    let o = run(&[
        "aggregate",
        "fixtures/regional/returns.csv",
        "--scheme",
        "standard",
        "--code-column",
        "ethnicity",
        "--to",
        "residual",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn column_and_by_are_convert_s_flags_and_the_old_spellings_still_work() {
    let base = [
        "aggregate",
        "fixtures/regional/legacy-free-text.csv",
        "--scheme",
        "ons-2001-ew",
        "--to",
        "group",
    ];
    let new = run(&[&base[..], &["--column", "ethnicity_text", "--by", "label"]].concat());
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    assert!(stdout(&new).starts_with("code,label,level,count,placement\n"));
    let old = run(&[&base[..], &["--label-column", "ethnicity_text"]].concat());
    assert_eq!(old.status.code(), Some(0), "{}", stderr(&old));
    assert_eq!(stdout(&old), stdout(&new));
    // The old spelling of the label flag says one thing: it cannot be mixed with the new ones.
    let mixed = run(&[
        &base[..],
        &["--label-column", "ethnicity_text", "--by", "code"],
    ]
    .concat());
    assert_eq!(mixed.status.code(), Some(2));

    let help = stdout(&run(&["aggregate", "--help"]));
    assert!(help.contains("--column <COLUMN>"), "{help}");
    assert!(help.contains("--by <BY>"), "{help}");
    assert!(!help.contains("--code-column"), "{help}");
    assert!(!help.contains("--label-column"), "{help}");
}

#[test]
fn code_column_is_a_hidden_alias_of_column() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("counts.csv");
    std::fs::write(&a, "code,n\nAPKN,10\nREFU,1\n").unwrap();
    let args = |flag| {
        run(&[
            "aggregate",
            path_str(&a),
            "--scheme",
            "dfe-cbds",
            flag,
            "code",
            "--count-column",
            "n",
            "--to",
            "category",
        ])
    };
    let (new, old) = (args("--column"), args("--code-column"));
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    assert_eq!(stdout(&new), stdout(&old));
    assert!(stdout(&new).contains("asian.pakistani,Pakistani,category,10,as-asked"));
}

proptest! {
    /// With dimensions, every input row lands in exactly one combination, and each
    /// combination's rows add up to the counts read for it (issue 13, item 1).
    #[test]
    fn group_by_keeps_every_combination_s_total(
        rows in prop::collection::vec(
            (
                prop::sample::select(vec!["Birmingham", "Walsall", "Dudley "]),
                prop::sample::select(vec!["F", "M", ""]),
                prop::sample::select(vec!["WBRI", "APKN", "MWBC", "REFU", "QQ", "WOTH"]),
                0u64..1000,
            ),
            0..60,
        ),
        level in prop::sample::select(vec![Level::Group, Level::Category, Level::Detailed]),
    ) {
        let mut data = String::from("council,sex,ethnicity,n\n");
        let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut rejected = 0;
        for (council, sex, code, n) in &rows {
            writeln!(data, "{council},{sex},{code},{n}").unwrap();
            if *code == "QQ" {
                rejected += n;
            } else {
                *want.entry((council.trim().to_owned(), (*sex).to_owned())).or_default() += n;
            }
        }
        let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
        let mut agg = Aggregator::by(level, vec!["council".into(), "sex".into()]).unwrap();
        let plan = AggregatePlan {
            column: "ethnicity".into(),
            scheme: SchemeFrom::Fixed("dfe-cbds".into()),
            by: By::Code,
            policy: Policy::Strict,
            count_column: Some("n".into()),
            characteristics: Vec::new(),
            record_key_column: None,
            answers: Answers::default(),
        };
        let mut rejects = RejectWriter::new(Vec::new()).unwrap();
        aggregate_stream(&mut agg, &Registry::new(), Synonyms::builtin(), table, &plan, &mut rejects).unwrap();
        let t = agg.finish();
        let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
        for r in &t.rows {
            prop_assert_eq!(r.by.len(), 2);
            prop_assert_eq!((&r.by[0].0[..], &r.by[1].0[..]), ("council", "sex"));
            *got.entry((r.by[0].1.clone(), r.by[1].1.clone())).or_default() += r.count;
        }
        got.retain(|_, n| *n > 0);
        want.retain(|_, n| *n > 0);
        prop_assert_eq!(got, want);
        prop_assert_eq!(t.rejected_total, rejected);
        prop_assert_eq!(t.input_total, t.output_total + t.rejected_total);
    }
}

#[test]
fn group_by_on_the_command_line_gives_dimension_columns_and_by_objects() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pupils.csv");
    std::fs::write(
        &f,
        "council,fsm,ethnicity\nBirmingham,1,WBRI\nBirmingham,0,APKN\nBirmingham,1,APKN\n\
         Walsall,0,WBRI\nWalsall,0,WIRT\n",
    )
    .unwrap();
    let base = [
        "aggregate",
        path_str(&f),
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
        "--to",
        "group",
        "--group-by",
        "council",
        "--group-by",
        "fsm",
    ];
    let o = run(&base);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "council",
            "fsm",
            "code",
            "label",
            "level",
            "count",
            "placement"
        ]
    );
    let rows: Vec<(String, String, String, u64)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[0].to_owned(),
                x[1].to_owned(),
                x[2].to_owned(),
                x[5].parse().unwrap(),
            )
        })
        .filter(|x| x.3 > 0)
        .collect();
    let want = [
        ("Birmingham", "0", "asian", 1),
        ("Birmingham", "1", "white", 1),
        ("Birmingham", "1", "asian", 1),
        ("Walsall", "0", "white", 2),
    ];
    assert_eq!(rows.len(), want.len(), "{rows:?}");
    for w in want {
        assert!(
            rows.iter()
                .any(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str(), r.3) == w),
            "{w:?} in {rows:?}"
        );
    }
    assert!(
        stderr(&o).contains("council × fsm (3 combinations"),
        "{}",
        stderr(&o)
    );
    let o = run(&[&base[..], &["--format", "json"]].concat());
    let v = crate::cli::assert_matches_schema(&stdout(&o), "output/aggregate.schema.json");
    assert_eq!(v["dimensions"], serde_json::json!(["council", "fsm"]));
    assert_eq!(
        v["rows"][0]["by"],
        serde_json::json!({"council": "Birmingham", "fsm": "0"})
    );
    // A dimension may not take an output column's name, nor be given twice.
    let o = run(&[&base[..10], &["--group-by", "code"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the output has a column `code` of its own"),
        "{}",
        stderr(&o)
    );
    let o = run(&[&base[..], &["--group-by", "fsm"]].concat());
    assert!(
        stderr(&o).contains("--group-by fsm is given twice"),
        "{}",
        stderr(&o)
    );
    // A dimension that is not a column names the file and the nearest header.
    let o = run(&[&base[..10], &["--group-by", "counci"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column `counci`"), "{}", stderr(&o));
}

fn rate_rows(csv_text: &str) -> Vec<std::collections::HashMap<String, String>> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .map(Result::unwrap)
        .collect()
}

/// Rates of an outcome among pupils by council, and rates per Census population, with ratios to
/// White British (issue 13, item 2).
#[test]
#[allow(
    clippy::many_single_char_names,
    clippy::too_many_lines,
    clippy::cast_precision_loss
)]
fn rates_of_an_outcome_and_per_census_population() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fsm.csv");
    std::fs::write(
        &f,
        "council,fsm,ethnicity,pupils\nBirmingham,1,WBRI,200\nBirmingham,0,WBRI,800\n\
         Birmingham,1,APKN,300\nBirmingham,0,APKN,450\nWalsall,1,WBRI,50\nWalsall,0,WBRI,450\n\
         Walsall,1,APKN,10\nWalsall,0,APKN,90\nWalsall,,APKN,5\n",
    )
    .unwrap();
    let base = [
        "aggregate",
        path_str(&f),
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
        "--count-column",
        "pupils",
        "--group-by",
        "council",
    ];
    let o = run(&[
        &base[..],
        &[
            "--to",
            "category",
            "--rate-outcome",
            "fsm",
            "--rate-value",
            "1",
        ],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = rate_rows(&stdout(&o));
    let get = |council: &str, code: &str| {
        rows.iter()
            .find(|r| r["council"] == council && r["code"] == code)
            .unwrap()
            .clone()
    };
    let p = get("Birmingham", "asian.pakistani");
    assert_eq!((&p["numerator"][..], &p["denominator"][..]), ("300", "750"));
    assert_eq!(p["value"], "0.400000");
    assert_eq!(p["ratio"], "2.000000");
    let (lo, hi): (f64, f64) = (p["lower"].parse().unwrap(), p["upper"].parse().unwrap());
    assert!(lo < 0.4 && 0.4 < hi, "{p:?}");
    // A pupil with no FSM value is in the denominator only.
    let w = get("Walsall", "asian.pakistani");
    assert_eq!((&w["numerator"][..], &w["denominator"][..]), ("10", "105"));
    // The reference has no ratio to itself; a node with no pupils has no rate.
    assert_eq!(get("Walsall", "white.british")["ratio"], "");
    assert_eq!(get("Walsall", "black.african")["value"], "");

    let o = run(&[
        &base[..],
        &[
            "--to",
            "group",
            "--rate-census-column",
            "council",
            "--format",
            "json",
        ],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = crate::cli::assert_matches_schema(&stdout(&o), "output/rates.schema.json");
    let asian = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["by"]["council"] == "Birmingham" && r["code"] == "asian")
        .unwrap();
    let pop = wm_ethnicity::census_2021("Birmingham").unwrap();
    let asians: u64 = pop
        .categories
        .iter()
        .filter(|(c, _)| c.group() == wm_ethnicity::Group::Asian)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(asian["denominator"], asians);
    assert_eq!(asian["numerator"], 750);
    let rate = asian["value"].as_f64().unwrap();
    assert!((rate - 750.0 / asians as f64 * 1000.0).abs() < 1e-9);
    // Refusals: an area not in the baseline, a census at detailed level.
    let o = run(&[&base[..], &["--to", "group", "--rate-census", "Atlantis"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an area of the Census 2021 baseline"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        &base[..],
        &[
            "--to",
            "detailed",
            "--rate-census",
            "Walsall",
            "--reference",
            "white.british",
        ],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("counts categories"), "{}", stderr(&o));
}

/// The sum of every row of `t` under group `g` (at any level), per combination.
fn under_group(t: &wm_ethnicity::CountTable) -> BTreeMap<(Vec<(String, String)>, Node), u64> {
    let mut m = BTreeMap::new();
    for r in &t.rows {
        let key = r.code.group().map_or(r.code, Node::Group);
        *m.entry((r.by.clone(), key)).or_default() += r.count;
    }
    m
}

proptest! {
    /// Small strata merged up the tree (issue 14, must-have 5): every group's count and every
    /// combination's total kept, nothing small left below group level, each merged row at the
    /// parent of what it took, and merging again changes nothing.
    #[test]
    fn small_strata_merge_up_the_tree_keeping_every_group_s_count(
        cells in prop::collection::vec((0usize..2, 0usize..300, 0u64..12), 0..60),
        to in prop::sample::select(vec![Level::Category, Level::Detailed]),
        below in 2u64..10,
    ) {
        let nodes: Vec<Node> = Node::all().filter(|n| !matches!(n, Node::Group(_))).collect();
        let mut agg = Aggregator::by(to, vec!["council".into()]).unwrap();
        for (c, n, count) in &cells {
            let council = ["Dudley", "Walsall"][*c];
            agg.add_node(&[council], nodes[n % nodes.len()], *count).unwrap();
        }
        let table = agg.finish();
        let merged = table.merged_up(below);
        prop_assert_eq!(under_group(&table), under_group(&merged));
        prop_assert_eq!(merged.output_total, table.output_total);
        for r in &merged.rows {
            if !matches!(r.level, Level::Group | Level::Residual) {
                prop_assert!(r.count == 0 || r.count >= below, "{:?}", r);
            }
            if r.placement == Placement::Merged {
                prop_assert!(r.count > 0);
                prop_assert!(r.level < to, "{:?} at {:?}", r, to);
            }
        }
        prop_assert_eq!(merged.merged_up(below), merged.clone());
        // The merged table publishes under suppression with its audit passed.
        let published = wm_ethnicity::DisclosurePolicy::parse(&format!("suppress:{below}"))
            .unwrap()
            .apply(&merged);
        prop_assert!(published.is_ok(), "{:?}", published.err());
    }
}

#[test]
fn merge_below_on_the_command_line_keeps_each_council_s_total_and_says_so() {
    let args = crate::evidence::regional;
    let plain = args(&["--format", "json"]);
    let merged = args(&["--format", "json", "--merge-below", "3"]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let total = |o: &std::process::Output| {
        let v = crate::cli::assert_matches_schema(&stdout(o), "output/aggregate.schema.json");
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        let mut merged_rows = 0;
        for r in v["rows"].as_array().unwrap() {
            *m.entry(r["by"]["council"].as_str().unwrap().to_owned())
                .or_default() += r["count"].as_u64().unwrap();
            merged_rows += usize::from(r["placement"] == "merged");
        }
        (m, merged_rows)
    };
    let (before, none) = total(&plain);
    let (after, some) = total(&merged);
    assert_eq!(before, after);
    assert_eq!(none, 0);
    assert!(some > 0);
    assert!(
        stderr(&merged).contains("merged up the tree"),
        "{}",
        stderr(&merged)
    );
    let o = args(&["--merge-below", "3", "--rate-census-column", "council"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--merge-below is not for rates"),
        "{}",
        stderr(&o)
    );
}
