//! Hostile and broken input: YAML budgets (size, depth, alias bombs), duplicate keys, and
//! (when fuzzing finds one) every crash input replayed from `fixtures/fuzz-regressions/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wm_ethnicity::Registry;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A refused file must be refused fast, even in a debug build on a busy machine (each case takes
/// well under a second alone; without the limits they take minutes or exhaust memory).
const QUICK: Duration = Duration::from_secs(10);

/// Loads a local scheme file the way `wm-ethnicity scheme check` does; returns the error text and
/// how long the refusal took.
fn refuse_file(rel: &str) -> (String, Duration) {
    let start = Instant::now();
    let mut registry = Registry::new();
    let r = registry.load_file(&root().join(rel)).map(|s| s.id.clone());
    let took = start.elapsed();
    match r {
        Ok(id) => panic!("{rel}: loaded as scheme `{id}`, expected a refusal"),
        Err(e) => (e.to_string(), took),
    }
}

/// As [`refuse_file`], from text.
fn refuse_text(text: &str) -> (String, Duration) {
    let start = Instant::now();
    let mut registry = Registry::new();
    let r = registry.add_yaml(text, "test.yaml").map(|s| s.id.clone());
    let took = start.elapsed();
    match r {
        Ok(id) => panic!("loaded as scheme `{id}`, expected a refusal"),
        Err(e) => (e.to_string(), took),
    }
}

const HEADER: &str = r#"id: hostile
name: "Hostile"
authority: "Example"
version: "1"
source_url: "https://example.org/list"
source: "test"
"#;

#[test]
fn billion_laughs_file_is_refused_quickly() {
    let (msg, took) = refuse_file("fixtures/schemes/bad-billion-laughs.yaml");
    assert!(took < QUICK, "took {took:?}");
    assert!(
        msg.contains("bad-billion-laughs.yaml:") && msg.contains("not valid YAML"),
        "{msg}"
    );
}

#[test]
fn alias_bomb_inside_the_codes_is_refused_quickly_as_an_alias_bomb() {
    let (msg, took) = refuse_file("fixtures/schemes/bad-alias-bomb.yaml");
    assert!(took < QUICK, "took {took:?}");
    assert!(msg.contains("bad-alias-bomb.yaml:"), "{msg}");
    assert!(msg.contains("alias bomb"), "{msg}");
}

#[test]
fn exponential_aliases_inside_a_scheme_are_refused_quickly() {
    // Each entry's candidates are two aliases of the previous entry's: 2^30 values if expanded.
    // The typed reader refuses the first list of lists; the untyped pass (the JSON Schema check)
    // is covered by the unit tests in src/yaml.rs.
    let mut text = String::from(HEADER);
    text.push_str("codes:\n  - code: \"A\"\n    label: \"x\"\n    map:\n      rel: broader\n      to: white\n      candidates: &a0 [white.irish, white.roma]\n");
    for i in 1..=30 {
        let p = i - 1;
        writeln!(
            text,
            "  - code: \"A{i}\"\n    label: \"x{i}\"\n    map:\n      rel: broader\n      to: white\n      candidates: &a{i} [*a{p}, *a{p}]"
        )
        .unwrap();
    }
    let (msg, took) = refuse_text(&text);
    assert!(took < QUICK, "took {took:?}");
    assert!(msg.starts_with("test.yaml:"), "{msg}");
}

#[test]
fn a_very_deep_file_is_refused() {
    let mut block = String::new();
    let mut mapping = String::new();
    for i in 0..200 {
        write!(block, "\n{}-", " ".repeat(i * 2 + 2)).unwrap();
        write!(mapping, "\n{}k{i}:", " ".repeat(i * 2 + 2)).unwrap();
    }
    mapping.push_str(" x");
    for (style, deep) in [
        (
            "flow",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        ("block", block),
        ("mapping", mapping),
    ] {
        let text = format!("deep: {deep}\n{HEADER}codes: []\n");
        let (msg, took) = refuse_text(&text);
        assert!(took < QUICK, "{style}: took {took:?}");
        assert!(msg.starts_with("test.yaml:1:"), "{style}: {msg}");
        // The reader stops at the first wrong thing, before building anything deep.
        assert!(msg.contains("not valid YAML"), "{style}: {msg}");
    }
    // Deep inside a field the reader does descend into: the depth limit says so in words.
    let text = format!(
        "{HEADER}codes:\n  - code: \"A\"\n    label: \"x\"\n    map: {{rel: equivalent, to: white.irish, candidates: {}{}}}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let (msg, took) = refuse_text(&text);
    assert!(took < QUICK, "took {took:?}");
    assert!(msg.contains("nested too deeply"), "{msg}");
}

#[test]
fn an_over_size_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let mut text = String::from(HEADER);
    text.push_str("# ");
    text.push_str(&"x".repeat(9 * 1024 * 1024));
    text.push_str("\ncodes: []\n");
    std::fs::write(&path, &text).unwrap();
    let start = Instant::now();
    let err = Registry::new().load_file(&path).unwrap_err().to_string();
    assert!(start.elapsed() < QUICK);
    assert!(
        err.contains("huge.yaml: not valid YAML: file is 9437") && err.contains("the limit is"),
        "{err}"
    );
    // The same text handed over in memory.
    let (msg, _) = refuse_text(&text);
    assert!(msg.contains("the limit is 8388608"), "{msg}");
}

#[test]
fn a_huge_value_is_refused_quickly_with_no_echo_of_it() {
    // A 1 MB target: "did you mean" must not compare a megabyte against every node code, and the
    // error must not repeat a megabyte back.
    let big = "w".repeat(1024 * 1024);
    let text = format!(
        "{HEADER}codes:\n  - code: \"A\"\n    label: \"x\"\n    map: {{rel: equivalent, to: {big}}}\n"
    );
    let (msg, took) = refuse_text(&text);
    assert!(took < QUICK, "took {took:?}");
    assert!(
        msg.contains("is not a node of the standard"),
        "{}",
        &msg[..200]
    );
    assert!(msg.len() < 1_000, "the error is {} bytes long", msg.len());
}

#[test]
fn a_duplicated_key_is_an_error_never_a_silent_winner() {
    for (rel, line, words) in [
        // `codes` twice: the second list would silently replace the first.
        (
            "fixtures/schemes/bad-duplicate-codes-key.yaml",
            12,
            "duplicate mapping key: codes",
        ),
        // `code` twice in one entry.
        (
            "fixtures/schemes/bad-duplicate-key.yaml",
            10,
            "duplicate mapping key: code",
        ),
        // A merge key (`<<`) would silently pick one of two `map`s.
        (
            "fixtures/schemes/bad-merge-key.yaml",
            11,
            "merge keys (`<<`) are not allowed",
        ),
    ] {
        let (msg, _) = refuse_file(rel);
        assert!(msg.contains(&format!("{rel}:{line}:")), "{rel}: {msg}");
        assert!(msg.contains(words), "{rel}: {msg}");
    }
    // A key twice inside a mapping, in flow style.
    let text = format!(
        "{HEADER}codes:\n  - code: \"A\"\n    label: \"x\"\n    map: {{rel: equivalent, to: asian.indian, to: asian.pakistani}}\n"
    );
    let (msg, _) = refuse_text(&text);
    assert!(msg.contains("duplicate mapping key: to"), "{msg}");
}

#[test]
fn a_duplicated_code_is_an_error_in_any_spelling_and_against_the_extended_scheme() {
    let (msg, _) = refuse_file("fixtures/schemes/bad-duplicate-code.yaml");
    assert!(
        msg.contains("duplicate code `a1`: already defined for `Indian`"),
        "{msg}"
    );
    for spelling in ["J", "j", " J ", "J\u{a0}"] {
        let text = format!(
            "{HEADER}extends: nhs-ethnic-category\ncodes:\n  - code: \"{spelling}\"\n    label: \"Indian\"\n    map: {{rel: equivalent, to: asian.indian}}\n"
        );
        let (msg, _) = refuse_text(&text);
        assert!(
            msg.contains(
                "already defined for `Asian or Asian British - Pakistani` in the extended scheme"
            ),
            "{spelling:?}: {msg}"
        );
    }
}

#[test]
fn more_than_one_document_is_refused() {
    let text = format!("{HEADER}codes: []\n---\n{HEADER}codes: []\n");
    let (msg, _) = refuse_text(&text);
    assert!(msg.contains("not valid YAML"), "{msg}");
}

/// Every input a fuzzer ever crashed on, kept so the bug stays fixed.
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = root().join("fixtures/fuzz-regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn fuzz_regressions_scheme_yaml() {
    for file in regressions("scheme_yaml") {
        let bytes = std::fs::read(&file).unwrap();
        let start = Instant::now();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Registry::new().add_yaml(text, "fuzz.yaml");
        }
        assert!(start.elapsed() < QUICK, "{}", file.display());
    }
}

// ---------------------------------------------------------------------------------------------
// fixtures/bad: broken inputs, each with its expected clear error or result in
// `<name>.expected` (`about:`, `file:` when the input's name differs, `args:`, `exit:`,
// `records:`, and any number of `stdout:` / `stderr:` lines the output must contain).

/// What a `<name>.expected` file asks for.
#[derive(Default)]
struct Expected {
    file: Option<String>,
    args: Vec<String>,
    exit: Option<i32>,
    records: Option<u64>,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn expected(stem: &str) -> Expected {
    let path = root().join("fixtures/bad").join(format!("{stem}.expected"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{stem}.expected: {e}"));
    let mut e = Expected::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{stem}.expected: `{line}` is not `key: value`"));
        match key {
            "about" => {}
            "file" => e.file = Some(value.to_owned()),
            "args" => e.args = value.split_whitespace().map(str::to_owned).collect(),
            "exit" => e.exit = Some(value.parse().unwrap()),
            "records" => e.records = Some(value.parse().unwrap()),
            "stdout" => e.stdout.push(value.to_owned()),
            "stderr" => e.stderr.push(value.to_owned()),
            other => panic!("{stem}.expected: unknown key `{other}`"),
        }
    }
    e
}

/// The input a `.expected` file is about: its `file:`, else the one other file with its stem.
fn bad_input(stem: &str, e: &Expected) -> String {
    if let Some(f) = &e.file {
        return f.clone();
    }
    let mut found: Vec<String> = std::fs::read_dir(root().join("fixtures/bad"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".expected") && n.rsplit_once('.').is_some_and(|(s, _)| s == stem))
        .collect();
    assert_eq!(found.len(), 1, "{stem}: inputs {found:?}");
    found.pop().unwrap()
}

/// Runs `wm-ethnicity validate` on one broken input and checks what it must say, plus what every
/// broken input must get: an answer within seconds, no panic, no raw control characters, no
/// value echoed at length, and (when it cannot validate) one line on stderr naming the file.
fn check_bad(stem: &str) {
    let e = expected(stem);
    let file = bad_input(stem, &e);
    let rel = format!("fixtures/bad/{file}");
    let mut args: Vec<&str> = vec!["validate"];
    args.extend(e.args.iter().map(String::as_str));
    args.push(&rel);
    let start = Instant::now();
    let o = crate::cli::run(&args);
    let took = start.elapsed();
    let (out, err) = (crate::cli::stdout(&o), crate::cli::stderr(&o));
    let all = format!("{out}{err}");
    assert!(took < Duration::from_secs(30), "{stem}: took {took:?}");
    assert!(!err.contains("panicked"), "{stem}: {err}");
    assert_eq!(
        o.status.code(),
        e.exit,
        "{stem}: stdout {out}\nstderr {err}"
    );
    if e.exit == Some(2) {
        assert_eq!(err.lines().count(), 1, "{stem}: {err}");
        assert!(
            err.starts_with(&format!("wm-ethnicity: error: {rel}")),
            "{stem}: {err}"
        );
        assert!(out.is_empty(), "{stem}: {out}");
    }
    assert!(
        all.len() < 64 * 1024,
        "{stem}: {} bytes of output",
        all.len()
    );
    assert!(
        !all.chars().any(|c| c.is_control() && c != '\n'),
        "{stem}: raw control characters in {all:?}"
    );
    for want in &e.stdout {
        assert!(out.contains(want.as_str()), "{stem}: no `{want}` in\n{out}");
    }
    for want in &e.stderr {
        assert!(err.contains(want.as_str()), "{stem}: no `{want}` in\n{err}");
    }
    if let Some(records) = e.records {
        args.extend(["--format", "json"]);
        let o = crate::cli::run(&args);
        let v = crate::cli::assert_matches_schema(
            &crate::cli::stdout(&o),
            "output/validate.schema.json",
        );
        let report = &v["report"];
        assert_eq!(report["records"], records, "{stem}");
        // Every record is accounted for in every coded column.
        for c in report["columns"].as_array().unwrap() {
            let total: u64 = c["outcomes"]
                .as_object()
                .unwrap()
                .values()
                .map(|n| n.as_u64().unwrap())
                .sum();
            assert_eq!(total, records, "{stem}: {c}");
        }
    }
}

macro_rules! bad_inputs {
    ($($test:ident => $stem:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_bad($stem);
            }
        )*
        const BAD_STEMS: &[&str] = &[$($stem),*];
    };
}

bad_inputs! {
    bad_empty_file => "empty",
    bad_header_only => "header-only",
    bad_truncated_last_line => "truncated-last-line",
    bad_nul_bytes => "nul-bytes",
    bad_one_mb_field => "one-mb-field",
    bad_unbalanced_quotes => "unbalanced-quotes",
    bad_mixed_encodings => "mixed-encodings",
    bad_binary_file => "binary",
    bad_csv_named_xlsx => "csv-named-xlsx",
    bad_zip_that_is_not_a_workbook => "zip-not-a-workbook",
    bad_truncated_xlsx => "truncated-zip",
    bad_ten_thousand_columns => "ten-thousand-columns",
    bad_ten_thousand_columns_missing_column => "ten-thousand-columns-missing",
}

#[test]
fn every_bad_fixture_has_its_test_and_its_expected_result() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures/bad"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut stems: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".expected"))
        .collect();
    stems.sort_unstable();
    let mut listed = BAD_STEMS.to_vec();
    listed.sort_unstable();
    assert_eq!(
        stems, listed,
        "every .expected has a test, and every test its .expected"
    );
    let used: Vec<String> = BAD_STEMS
        .iter()
        .map(|s| bad_input(s, &expected(s)))
        .collect();
    for n in names.iter().filter(|n| !n.ends_with(".expected")) {
        assert!(used.contains(n), "fixtures/bad/{n} has no .expected");
    }
}
