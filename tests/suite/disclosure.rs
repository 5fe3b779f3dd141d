//! Disclosure control: suppression checked against a brute-force attacker, and `ons-ckm`
//! checked cell for cell against ONS's `cell-key-perturbation` package.

use crate::cli::{run, stderr, stdout};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use wm_ethnicity::{
    Aggregator, CountTable, DisclosurePolicy, Level, Node, PublishedTable, RowKind, audit,
};

// ---------------------------------------------------------------- brute force

/// The rows of `t` that are the count table's own cells (no subtotal, total or margin).
fn base_rows(t: &PublishedTable) -> Vec<usize> {
    (0..t.rows.len())
        .filter(|&i| {
            let r = &t.rows[i];
            r.margin.is_empty() && !matches!(r.kind, RowKind::Subtotal | RowKind::Total)
        })
        .collect()
}

/// Which base rows each published row sums, worked out from the rows alone (not from the
/// crate's own relations): the same combination on the dimensions the row has, and a node the
/// row's node contains (a total contains everything).
fn members(t: &PublishedTable, base: &[usize]) -> Vec<Vec<usize>> {
    t.rows
        .iter()
        .map(|r| {
            base.iter()
                .copied()
                .filter(|&b| {
                    let c = &t.rows[b];
                    let same_by = r.by.iter().all(|kv| c.by.contains(kv));
                    let node = match (r.kind, r.code, c.code) {
                        (RowKind::Total, _, _) => true,
                        (RowKind::Subtotal, Some(n), Some(m)) => !m.is_residual() && n.contains(m),
                        (_, Some(n), Some(m)) => n == m && r.kind == c.kind,
                        _ => false,
                    };
                    same_by && node
                })
                .collect()
        })
        .collect()
}

/// Tries every value of the hidden base cells from the `k`th on, calling `on_solution` for every
/// filling that meets `checks`; false when the budget ran out.
#[allow(clippy::too_many_arguments)]
fn go(
    k: usize,
    hidden: &[usize],
    bounds: &HashMap<usize, u64>,
    checks: &[(Vec<usize>, i64)],
    value: &mut HashMap<usize, u64>,
    budget: &mut u64,
    on_solution: &mut dyn FnMut(&HashMap<usize, u64>),
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    // Prune: no published row may be exceeded; a fully assigned one must be met.
    for (h, left) in checks {
        let mut sum = 0i64;
        let mut all = true;
        for b in h {
            match value.get(b) {
                Some(&v) => sum += i64::try_from(v).unwrap(),
                None => all = false,
            }
        }
        if sum > *left || (all && sum != *left) {
            return true;
        }
    }
    if k == hidden.len() {
        on_solution(value);
        return true;
    }
    for v in 0..=bounds[&hidden[k]] {
        value.insert(hidden[k], v);
        if !go(k + 1, hidden, bounds, checks, value, budget, on_solution) {
            return false;
        }
    }
    value.remove(&hidden[k]);
    true
}

/// For every withheld row, whether an attacker enumerating every filling of the withheld base
/// cells with whole counts (each at most `bound`) consistent with the published rows finds
/// only one value for it. `None` when the search is too large.
fn brute_force(t: &PublishedTable, truth: &[u64], bound: u64) -> Option<HashMap<usize, bool>> {
    let base = base_rows(t);
    let members = members(t, &base);
    let hidden: Vec<usize> = base
        .iter()
        .copied()
        .filter(|&b| t.rows[b].count.is_none())
        .collect();
    let known: HashMap<usize, u64> = base
        .iter()
        .filter_map(|&b| t.rows[b].count.map(|c| (b, c)))
        .collect();
    // Published rows with a hidden member, as (hidden members, value left for them).
    let mut checks: Vec<(Vec<usize>, i64)> = Vec::new();
    for (r, m) in members.iter().enumerate() {
        if let Some(v) = t.rows[r].count {
            let h: Vec<usize> = m
                .iter()
                .filter(|b| !known.contains_key(b))
                .copied()
                .collect();
            if !h.is_empty() {
                let rest: u64 = m.iter().filter_map(|b| known.get(b)).sum();
                checks.push((h, i64::try_from(v).unwrap() - i64::try_from(rest).unwrap()));
            }
        }
    }
    let withheld: Vec<usize> = (0..t.rows.len())
        .filter(|&r| t.rows[r].count.is_none())
        .collect();
    let mut seen: HashMap<usize, HashSet<u64>> = HashMap::new();
    let mut value: HashMap<usize, u64> = HashMap::new();
    let mut budget: u64 = 300_000;
    // Each withheld base cell is at most the smallest published row holding it.
    let bounds: HashMap<usize, u64> = hidden
        .iter()
        .map(|&b| {
            let least = (0..t.rows.len())
                .filter(|&r| members[r].contains(&b))
                .filter_map(|r| t.rows[r].count)
                .min();
            (b, least.unwrap_or(bound))
        })
        .collect();
    let complete = go(
        0,
        &hidden,
        &bounds,
        &checks,
        &mut value,
        &mut budget,
        &mut |vals: &HashMap<usize, u64>| {
            for &r in &withheld {
                let v: u64 = members[r]
                    .iter()
                    .map(|b| vals.get(b).or(known.get(b)).copied().unwrap_or(0))
                    .sum();
                seen.entry(r).or_default().insert(v);
            }
        },
    );
    if !complete {
        return None;
    }
    // The true table is one of the fillings.
    for &r in &withheld {
        assert!(seen[&r].contains(&truth[r]), "the true table was not found");
    }
    Some(withheld.iter().map(|&r| (r, seen[&r].len() == 1)).collect())
}

/// The true value of every row of `t` (made from `table` under `none`).
fn truth(table: &CountTable) -> Vec<u64> {
    let exact = DisclosurePolicy::None.apply(table).unwrap();
    exact.rows.iter().map(|r| r.count.unwrap()).collect()
}

const NODES: [&str; 7] = [
    "asian.indian",
    "asian.pakistani",
    "black.african",
    "black.caribbean",
    "white.british",
    "white.irish",
    "declined",
];

/// A table at category level of `counts` (one per combination of `dims` values, per node).
fn table(dims: usize, counts: &[u64]) -> CountTable {
    let names: Vec<String> = (0..dims).map(|d| format!("d{d}")).collect();
    let mut agg = Aggregator::by(Level::Category, names).unwrap();
    let combos = 1usize << dims;
    for c in 0..combos {
        let by: Vec<String> = (0..dims).map(|d| format!("v{}", c >> d & 1)).collect();
        for (i, code) in NODES.iter().enumerate() {
            let n = counts[c * NODES.len() + i];
            agg.add_node(&by, Node::from_code(code).unwrap(), n)
                .unwrap();
        }
    }
    agg.finish()
}

fn small_table() -> impl Strategy<Value = (usize, Vec<u64>)> {
    (1usize..=2).prop_flat_map(|dims| {
        let cells = (1 << dims) * NODES.len();
        // Mostly small counts, some zeros, a few larger.
        let count = prop_oneof![3 => 0u64..=0, 4 => 1u64..=6, 2 => 7u64..=14];
        (Just(dims), proptest::collection::vec(count, cells))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// After `suppress:5`, a brute-force attacker recovers no withheld cell exactly; and on any
    /// weaker pattern (secondary cells put back at random), the audit and the attacker agree on
    /// which withheld cells are recoverable.
    #[test]
    fn the_audit_agrees_with_a_brute_force_attacker(
        (dims, counts) in small_table(),
        keep in proptest::collection::vec(any::<bool>(), 64),
    ) {
        let t = table(dims, &counts);
        let truth = truth(&t);
        let bound = *truth.iter().max().unwrap();
        let published = DisclosurePolicy::Suppress { threshold: 5 }.apply(&t).unwrap();
        let a = published.disclosure.audit.clone().unwrap();
        prop_assert!(a.passed());
        let brute = brute_force(&published, &truth, bound);
        prop_assume!(brute.is_some());
        let brute = brute.unwrap();
        prop_assert!(brute.values().all(|recoverable| !recoverable), "{brute:?}");
        // A weaker pattern: some secondary cells published after all.
        let mut weaker = published.clone();
        let mut k = 0;
        for (r, row) in weaker.rows.iter_mut().enumerate() {
            if row.status == wm_ethnicity::CellStatus::Secondary {
                if keep[k % keep.len()] {
                    row.count = Some(truth[r]);
                    row.symbol = None;
                }
                k += 1;
            }
        }
        let a = audit(&t, &weaker).unwrap();
        let brute = brute_force(&weaker, &truth, bound);
        prop_assume!(brute.is_some());
        let brute = brute.unwrap();
        for c in &a.cells {
            prop_assert_eq!(
                !c.protected,
                brute[&c.row],
                "row {}: audit [{}, {:?}], protected {}",
                c.row, c.lower, c.upper, c.protected
            );
        }
    }
}

#[test]
fn primary_suppression_alone_fails_the_audit() {
    // Pakistani 3 under Asian 43: without secondary suppression, Asian minus Indian gives it.
    let mut counts = vec![0; NODES.len()];
    counts[0] = 40;
    counts[1] = 3;
    counts[4] = 100;
    let t = table(0, &counts);
    let mut p = DisclosurePolicy::None.apply(&t).unwrap();
    let row = p
        .rows
        .iter()
        .position(|r| r.code.is_some_and(|c| c.code() == "asian.pakistani"))
        .unwrap();
    p.rows[row].count = None;
    let a = audit(&t, &p).unwrap();
    assert!(!a.passed());
    assert_eq!(a.cells.len(), 1);
    assert_eq!((a.cells[0].lower, a.cells[0].upper), (3.0, Some(3.0)));
    // Under the policy the same cell is protected, with an interval an attacker cannot narrow.
    let p = DisclosurePolicy::Suppress { threshold: 10 }
        .apply(&t)
        .unwrap();
    let a = p.disclosure.audit.unwrap();
    assert!(a.passed() && a.cells.len() >= 2);
    assert!(a.narrowest().unwrap().1 > 0.0);
}

#[test]
fn nhs_secondary_care_publishes_no_count_from_one_to_seven() {
    let counts: Vec<u64> = (0..4 * NODES.len() as u64).map(|i| i * 7 % 23).collect();
    let t = table(2, &counts);
    let p = DisclosurePolicy::NhsSecondaryCare.apply(&t).unwrap();
    assert!(p.disclosure.audit.as_ref().unwrap().passed());
    assert!(p.disclosure.primary > 0);
    for r in &p.rows {
        if let Some(n) = r.count {
            assert!(n % 5 == 0, "{r:?}");
        }
    }
    let truth = truth(&t);
    for (r, v) in p.rows.iter().zip(&truth) {
        if (1..=7).contains(v) {
            assert!(r.count.is_none(), "{r:?}");
        }
    }
}

#[test]
fn rounding_rounds_halves_up_and_says_totals_are_not_additive() {
    let mut counts = vec![0; NODES.len()];
    counts[0] = 12; // 10
    counts[1] = 13; // 15
    counts[4] = 2; // 0
    let t = table(0, &counts);
    let p = DisclosurePolicy::parse("round:5")
        .unwrap()
        .apply(&t)
        .unwrap();
    let get = |code: &str| {
        p.rows
            .iter()
            .find(|r| r.code.map(Node::code) == Some(code) && r.kind != RowKind::Subtotal)
            .unwrap()
            .count
    };
    assert_eq!(
        (
            get("asian.indian"),
            get("asian.pakistani"),
            get("white.british")
        ),
        (Some(10), Some(15), Some(0))
    );
    let total = p.rows.iter().find(|r| r.kind == RowKind::Total).unwrap();
    assert_eq!(total.count, Some(25)); // 27 rounded, not 10 + 15 + 0
    assert_eq!(p.disclosure.totals, wm_ethnicity::Totals::Rounded);
    let p = DisclosurePolicy::parse("round:10").unwrap();
    let mut counts = vec![0; NODES.len()];
    counts[0] = 5;
    let p = p.apply(&table(0, &counts)).unwrap();
    let indian = p
        .rows
        .iter()
        .find(|r| r.code.map(Node::code) == Some("asian.indian"));
    assert_eq!(indian.unwrap().count, Some(10));
}

#[test]
fn policies_parse_and_name_themselves() {
    for text in ["none", "suppress:10", "round:5", "nhs-secondary-care"] {
        assert_eq!(DisclosurePolicy::parse(text).unwrap().name(), text);
    }
    for bad in [
        "suppress",
        "suppress:0",
        "round:x",
        "ckm",
        "ons-ckm:/no/such/ptable.csv",
    ] {
        assert!(DisclosurePolicy::parse(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------- the CLI

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn aggregate_publishes_under_a_policy_with_its_audit() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "council,code,n\nB,J,40\nB,H,3\nB,A,120\nC,J,15\nC,A,200\nC,H,11\n",
    );
    let args = [
        input.to_str().unwrap(),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "code",
        "--count-column",
        "n",
        "--to",
        "category",
        "--group-by",
        "council",
        "--disclosure",
        "suppress:10",
    ];
    let o = run(&[&["aggregate"], &args[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(csv.starts_with("council,code,label,level,count,placement,status,margin\n"));
    assert!(csv.contains("B,asian.indian,Indian,category,c,as-asked,suppressed-primary,\n"));
    assert!(
        csv.contains("Total,total,Total,total,389,total,exact,council\n"),
        "{csv}"
    );
    let summary = stderr(&o);
    assert!(summary.contains("disclosure:    suppress:10"), "{summary}");
    assert!(summary.contains("audit:         passed"), "{summary}");
    let o = run(&[&["aggregate"], &args[..], &["--format", "json"]].concat());
    let doc = crate::cli::assert_matches_schema(&stdout(&o), "output/aggregate.schema.json");
    assert_eq!(doc["disclosure"]["policy"], "suppress:10");
    assert_eq!(doc["disclosure"]["totals"], "exact");
    assert!(
        doc["disclosure"]["audit"]["cells"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
    assert!(doc.get("input_total").is_none());
}

#[test]
fn a_bad_policy_or_record_keys_without_ckm_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "t.csv", "code,k\nJ,3\n");
    let base = [
        "aggregate",
        input.to_str().unwrap(),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "code",
        "--to",
        "category",
    ];
    let o = run(&[&base[..], &["--disclosure", "suppress:0"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a whole number of 1 or more"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        &base[..],
        &["--record-key-column", "k", "--disclosure", "none"],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--record-key-column is for"),
        "{}",
        stderr(&o)
    );
    let o = run(&[&base[..], &["--disclosure", "ons-ckm:".to_owned().as_str()]].concat());
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- ons-ckm against the package

/// A deterministic pseudo-random sequence (a linear congruential generator).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Microdata: `council`, `category`, `group`, `record_key`; skewed so that there are small and large
/// cells.
fn microdata(records: usize) -> String {
    let nodes: [(&str, u64); 9] = [
        ("white.british", 40),
        ("white.irish", 3),
        ("asian.indian", 12),
        ("asian.pakistani", 20),
        ("asian.bangladeshi", 2),
        ("black.african", 6),
        ("black.caribbean", 4),
        ("other.arab", 1),
        ("declined", 3),
    ];
    let weight: u64 = nodes.iter().map(|n| n.1).sum();
    let mut rng = Lcg(2025);
    let mut s = String::from("council,category,group,record_key\n");
    for _ in 0..records {
        let council = ["Birmingham", "Coventry", "Dudley"][usize::try_from(rng.next(3)).unwrap()];
        let mut w = rng.next(weight);
        let node = nodes
            .iter()
            .find(|n| {
                if w < n.1 {
                    true
                } else {
                    w -= n.1;
                    false
                }
            })
            .unwrap()
            .0;
        let n = Node::from_code(node).unwrap();
        let group = n.group().map_or(node, |g| g.code());
        writeln!(s, "{council},{node},{group},{}", rng.next(256)).unwrap();
    }
    s
}

/// A ptable whose perturbation depends on the cell key as well as the count (the shipped one
/// depends on the count only, so it cannot show a wrong cell key).
fn keyed_ptable() -> String {
    let mut s = String::from("pcv,ckey,pvalue\n");
    for pcv in 1..=750i64 {
        for ckey in 0..=255i64 {
            let p = ((ckey * 7 + pcv * 3) % 5 - 2).max(-pcv);
            writeln!(s, "{pcv},{ckey},{p}").unwrap();
        }
    }
    s
}

/// Runs the package and the CLI on the same microdata and ptable; the cells compared and how
/// many were perturbed and withheld.
fn compare(python: &Path, dir: &Path, ptable: &Path, threshold: i64) -> (usize, usize, usize) {
    let micro = dir.join("micro.csv");
    let out = dir.join("reference.csv");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = std::process::Command::new(python)
        .arg(root.join("scripts/ckm_reference.py"))
        .args([&micro, ptable])
        .arg(threshold.to_string())
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let policy = if threshold == 10 {
        format!("ons-ckm:{}", ptable.display())
    } else {
        format!("ons-ckm:{threshold}:{}", ptable.display())
    };
    let o = run(&[
        "aggregate",
        micro.to_str().unwrap(),
        "--scheme",
        "standard",
        "--column",
        "category",
        "--to",
        "category",
        "--group-by",
        "council",
        "--record-key-column",
        "record_key",
        "--disclosure",
        &policy,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ours: HashMap<(String, bool, String, String), Option<u64>> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"].is_string())
        .map(|r| {
            let council = r["by"]["council"].as_str().unwrap_or("").to_owned();
            let kind = r["kind"].as_str().unwrap().to_owned();
            let kind = if kind == "residual" {
                "as-asked".to_owned()
            } else {
                kind
            };
            (
                (
                    council,
                    r.get("margin").is_some(),
                    r["code"].as_str().unwrap().to_owned(),
                    kind,
                ),
                r["count"].as_u64(),
            )
        })
        .collect();
    let mut exact: HashMap<(String, String), u64> = HashMap::new();
    for line in std::fs::read_to_string(&micro).unwrap().lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *exact.entry((f[0].to_owned(), f[1].to_owned())).or_default() += 1;
    }
    let (mut compared, mut perturbed, mut withheld) = (0, 0, 0);
    let reference = std::fs::read_to_string(&out).unwrap();
    for line in reference.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (table, council, node, count) = (f[0], f[1], f[2], f[3]);
        let kind = if table == "group" && node != "declined" {
            "subtotal"
        } else {
            "as-asked"
        };
        let key = (
            council.to_owned(),
            table == "margin",
            node.to_owned(),
            kind.to_owned(),
        );
        let theirs = (!count.is_empty()).then(|| count.parse::<u64>().unwrap());
        let mine = ours
            .get(&key)
            .unwrap_or_else(|| panic!("no row for {key:?}"));
        assert_eq!(*mine, theirs, "{key:?}");
        compared += 1;
        match theirs {
            None => withheld += 1,
            Some(v)
                if table == "category" && exact[&(council.to_owned(), node.to_owned())] != v =>
            {
                perturbed += 1;
            }
            Some(_) => {}
        }
    }
    (compared, perturbed, withheld)
}

/// Prints how many cells were compared (and the skip, when `PyPI` cannot be reached).
#[test]
#[allow(clippy::print_stderr)]
fn ons_ckm_reproduces_the_cell_key_perturbation_package() {
    let Some(python) = crate::cli::venv_python("ckm-venv.sh") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("micro.csv"), microdata(2500)).unwrap();
    let shipped = python
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("ptable_10_5_rule.csv");
    let (n, perturbed, withheld) = compare(&python, dir.path(), &shipped, 10);
    eprintln!("shipped ptable: {n} cells compared, {perturbed} perturbed, {withheld} withheld");
    assert!(
        n > 30 && perturbed > 0 && withheld > 0,
        "{n} {perturbed} {withheld}"
    );
    let keyed = write(dir.path(), "keyed.csv", &keyed_ptable());
    let (n, perturbed, withheld) = compare(&python, dir.path(), &keyed, 10);
    eprintln!("cell-key ptable: {n} cells compared, {perturbed} perturbed, {withheld} withheld");
    assert!(
        n > 30 && perturbed > 0 && withheld > 0,
        "{n} {perturbed} {withheld}"
    );
}

#[test]
fn rates_of_withheld_counts_are_withheld() {
    // Numerator: Pakistani 3 (withheld under suppress:10, with a secondary), White British 20.
    let mut num = vec![0; NODES.len()];
    num[0] = 30;
    num[1] = 3;
    num[4] = 20;
    let mut den = vec![0; NODES.len()];
    den[0] = 60;
    den[1] = 50;
    den[4] = 100;
    let policy = DisclosurePolicy::Suppress { threshold: 10 };
    let (n, d) = (
        policy.apply(&table(0, &num)).unwrap(),
        policy.apply(&table(0, &den)).unwrap(),
    );
    let reference = Node::from_code("white.british").unwrap();
    let rows = wm_ethnicity::published_rates(&n, &d, wm_ethnicity::RateKind::Proportion, reference)
        .unwrap();
    let row = |code: &str| rows.iter().find(|r| r.code.code() == code).unwrap();
    let pakistani = row("asian.pakistani");
    assert_eq!(pakistani.symbol, Some(wm_ethnicity::Symbol::C));
    assert!(pakistani.rate.is_none());
    let british = row("white.british").rate.as_ref().unwrap();
    assert_eq!(british.value, Some(0.2));
}
