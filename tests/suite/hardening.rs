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
