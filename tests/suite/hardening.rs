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

/// Replays every kept crash input of `target` through `run`, each within [`QUICK`].
fn replay(target: &str, run: impl Fn(&[u8])) {
    for file in regressions(target) {
        let bytes = std::fs::read(&file).unwrap();
        let start = Instant::now();
        run(&bytes);
        assert!(start.elapsed() < QUICK, "{}", file.display());
    }
}

#[test]
fn fuzz_regressions_scheme_yaml() {
    replay("scheme_yaml", |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(scheme) = Registry::new().add_yaml(text, "fuzz.yaml")
        {
            for code in scheme.codes() {
                assert!(scheme.get(code.key()).is_some(), "{}", code.key());
            }
        }
    });
}

#[test]
fn fuzz_regressions_spec_yaml() {
    replay("spec_yaml", |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(spec) = wm_ethnicity::ReturnSpec::from_yaml(text, "fuzz.yaml")
        {
            let registry = Registry::new();
            if spec.check_schemes(&registry).is_ok() {
                let _ = wm_ethnicity::Validator::new(&spec, &registry);
            }
        }
    });
}

#[test]
fn fuzz_regressions_synonyms_yaml() {
    replay("synonyms_yaml", |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = wm_ethnicity::Synonyms::from_yaml(text, "fuzz.yaml", &Registry::new());
        }
    });
}

/// The validate and convert targets read their first byte as a mode; the regression inputs keep
/// it, and the property checks here run on every mode the byte could select.
fn replay_table(target: &str) {
    replay(target, |bytes| {
        let Some((_, body)) = bytes.split_first() else {
            return;
        };
        for header in [false, true] {
            for jsonl in [false, true] {
                prop::check_both(header, jsonl, body);
            }
        }
    });
}

#[test]
fn fuzz_regressions_validate_csv() {
    replay_table("validate_csv");
}

#[test]
fn fuzz_regressions_convert_csv() {
    replay_table("convert_csv");
}

#[test]
fn fuzz_regressions_label_match() {
    use wm_ethnicity::{By, Source};
    use wm_ethnicity::{Policy, convert_value};
    replay("label_match", |bytes| {
        let raw = String::from_utf8_lossy(bytes);
        let registry = Registry::new();
        let synonyms = wm_ethnicity::Synonyms::builtin();
        for id in wm_ethnicity::BUILTIN_IDS {
            let source = Source::Scheme(wm_ethnicity::builtin_scheme(id).unwrap());
            let _ = convert_value(&registry, synonyms, source, &raw, By::Label, Policy::Strict);
            let _ = convert_value(&registry, synonyms, source, &raw, By::Code, Policy::Strict);
        }
    });
}

#[test]
fn fuzz_regressions_open_workbook() {
    let dir = tempfile::tempdir().unwrap();
    replay("open_workbook", |bytes| {
        let Some((&mode, body)) = bytes.split_first() else {
            return;
        };
        let name = ["fuzz.xlsx", "fuzz.ods", "fuzz.xls", "fuzz.csv"][usize::from(mode) % 4];
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let opts = wm_ethnicity::ReadOptions::default();
        if let Ok(table) = wm_ethnicity::Table::open(&path, &opts) {
            let _ = table.for_each(|_| std::ops::ControlFlow::Continue(()));
        }
    });
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
    bad_zip_bomb_workbook => "zip-bomb",
    bad_duplicate_column => "duplicate-column",
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

// ---------------------------------------------------------------------------------------------
// Property tests: any bytes, validated and converted, never panic; every record ends in exactly
// one place; every finding points at a line the file has.

pub(crate) mod prop {
    use proptest::prelude::*;
    use std::ops::ControlFlow;
    use wm_ethnicity::By;
    use wm_ethnicity::Registry;
    use wm_ethnicity::ReturnSpec;
    use wm_ethnicity::Synonyms;
    use wm_ethnicity::Validator;
    use wm_ethnicity::{AddedColumns, RecordFormat, RecordWriter, RejectWriter};
    use wm_ethnicity::{Converter, Plan, Policy, SchemeFrom, convert_stream};
    use wm_ethnicity::{ReadOptions, Table};

    /// Bytes that make CSV and JSON Lines interesting (delimiters, quotes, line ends, braces,
    /// codes, UTF-8 and Windows-1252 text, a BOM, NUL, ESC), and now and then any byte. Shared by
    /// every property test that feeds the readers bytes.
    pub(crate) fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(
                b",;\t\"\"\r\n\n\n {}[]:AJHCZz9\0\x1b\xa0\xc3\xa9\xe2\x80\x93\xef\xbb\xbf\xff\x92".to_vec()
            ),
            1 => any::<u8>(),
        ]
    }

    /// Lines as an editor counts them: LF, CRLF or a lone CR ends one.
    fn physical_lines(bytes: &[u8]) -> u64 {
        1 + bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count() as u64
    }

    /// The records the reader finds, checking on the way that they are numbered 1, 2, 3..., that
    /// each starts on a later line than the one before, and on a later row, never past its line. The header line comes first; in
    /// JSON Lines the first object is both the header (its keys) and the first record, so that
    /// record is on the header's line.
    fn records(name: &str, bytes: &[u8]) -> Option<u64> {
        let table = Table::from_reader(name, bytes, &ReadOptions::default()).ok()?;
        let jsonl = table.format() == wm_ethnicity::InputFormat::Jsonl;
        let mut last = table.header_line();
        let mut last_row = table.header_row();
        let mut n = 0;
        table
            .for_each(|r| {
                n += 1;
                assert_eq!(r.number(), n, "record numbers run 1, 2, 3...");
                // A row spans one line or more, and rows rise from the header's; JSON Lines
                // have none.
                assert_eq!(r.row().is_none(), jsonl);
                if let (Some(row), Some(before)) = (r.row(), last_row) {
                    assert!(row > before && row <= r.line(), "row {row} after {before}");
                }
                last_row = r.row();
                let first_json = jsonl && n == 1 && r.line() == last;
                assert!(
                    r.line() > last || first_json,
                    "line {} after {last}",
                    r.line()
                );
                last = r.line();
                ControlFlow::Continue(())
            })
            .ok()?;
        Some(n)
    }

    fn input(header: bool, body: &[u8]) -> Vec<u8> {
        let mut bytes = if header {
            b"id,ethnicity,scheme\n".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend_from_slice(body);
        bytes
    }

    fn check_validate(header: bool, jsonl: bool, body: &[u8]) -> Result<(), TestCaseError> {
        let bytes = input(header, body);
        let name = if jsonl { "p.jsonl" } else { "p.csv" };
        let Some(records) = records(name, &bytes) else {
            return Ok(());
        };
        let registry = Registry::new();
        let spec = ReturnSpec::coded("ethnicity", "nhs-ethnic-category").with_id_column("id");
        let validator = Validator::new(&spec, &registry).unwrap();
        let table = Table::from_reader(name, &bytes[..], &ReadOptions::default()).unwrap();
        let Ok((report, findings)) = validator.findings(table) else {
            return Ok(());
        };
        prop_assert_eq!(report.records, records);
        let lines = physical_lines(&bytes);
        for f in &findings {
            if let Some(line) = f.line {
                prop_assert!(
                    line >= 1 && line <= lines,
                    "line {} of {}: {:?}",
                    line,
                    lines,
                    f
                );
                prop_assert!(f.record.is_some_and(|r| r >= 1 && r <= records), "{:?}", f);
            }
        }
        for c in &report.columns {
            prop_assert_eq!(c.outcomes.total(), records);
        }
        prop_assert_eq!(report.errors + report.queries, findings.len() as u64);
        Ok(())
    }

    #[allow(clippy::fn_params_excessive_bools)] // the proptest's four switches, passed through
    fn check_convert(
        header: bool,
        jsonl: bool,
        by_label: bool,
        scheme_column: bool,
        body: &[u8],
    ) -> Result<(), TestCaseError> {
        let bytes = input(header, body);
        let name = if jsonl { "p.jsonl" } else { "p.csv" };
        let Some(records) = records(name, &bytes) else {
            return Ok(());
        };
        let registry = Registry::new();
        let from = if scheme_column {
            SchemeFrom::Column("scheme".into())
        } else {
            SchemeFrom::Fixed("nhs-ethnic-category".into())
        };
        let mut plan = Plan::new("ethnicity", from);
        if by_label {
            plan.by = By::Label;
            plan.policy = Policy::MostLikely;
        }
        let table = Table::from_reader(name, &bytes[..], &ReadOptions::default()).unwrap();
        let Ok(conv) = Converter::new(&registry, Synonyms::builtin(), &plan, table.header(), name)
        else {
            return Ok(());
        };
        let mut out = RecordWriter::new(
            Vec::new(),
            RecordFormat::Jsonl,
            table.header(),
            AddedColumns::default(),
        )
        .unwrap();
        let mut rejects = RejectWriter::new(Vec::new()).unwrap();
        let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
        prop_assert_eq!(s.rows, records);
        prop_assert_eq!(s.rows, s.converted + s.rejected);
        let out = out.finish().unwrap();
        let out_lines = out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        prop_assert_eq!(out_lines, s.converted);
        let rejects = rejects.finish().unwrap();
        let rows = csv::Reader::from_reader(&rejects[..]).records().count() as u64;
        prop_assert_eq!(rows, s.rejected);
        Ok(())
    }

    /// Both checks on `body`, every way: for replaying fuzz regressions.
    pub(super) fn check_both(header: bool, jsonl: bool, body: &[u8]) {
        check_validate(header, jsonl, body).unwrap();
        for by_label in [false, true] {
            for scheme_column in [false, true] {
                check_convert(header, jsonl, by_label, scheme_column, body).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn any_bytes_validate_with_every_finding_on_a_line_that_exists(
            header in any::<bool>(),
            jsonl in any::<bool>(),
            body in prop::collection::vec(byte(), 0..400),
        ) {
            check_validate(header, jsonl, &body)?;
        }

        #[test]
        fn any_bytes_convert_with_every_record_in_exactly_one_place(
            header in any::<bool>(),
            jsonl in any::<bool>(),
            by_label in any::<bool>(),
            scheme_column in any::<bool>(),
            body in prop::collection::vec(byte(), 0..400),
        ) {
            check_convert(header, jsonl, by_label, scheme_column, &body)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Privacy: names, NHS numbers and postcodes in other columns appear in no report, no rejects
// file, no summary and no error message, whatever goes wrong with the record.

/// The personal data in [`PEOPLE_CSV`]: none of it may be printed.
const PERSONAL: &[&str] = &[
    "Privat", // every surname ends in it
    "9434765919",
    "9434765870",
    "9434765871",
    "9434765872",
    "9434765873",
    "9434765874",
    "9434765875",
    "9434765876",
    "9434765877",
    "9434765879",
    "9434765880",
    "9434765881",
    "9434765882",
    "9434765883",
    "9434765884",
    "B15 2TT",
    "B10 0AB",
    "CV1 5FB",
    "WV1 1AA",
    "DY1 1AB",
    "B1 1AA",
    "WS1 1AA",
    "B3 3CC",
    "B4 4DD",
    "B5 5EE",
    "B6 6FF",
    "B7 7GG",
    "B8 8HH",
];

/// A return where every rule has something to say, and the ethnicity column never holds
/// personal data (what it holds is the value findings are about).
const PEOPLE_CSV: &[u8] = b"id,name,nhs_number,postcode,ethnicity,dob\n\
1,Amara Okonkwo-Privat,9434765919,B15 2TT,J,1980-01-02\n\
2,Bilal Hussain-Privat,9434765870,B10 0AB,APKN,1981-02-03\n\
3,Chloe Smyth-Privat,9434765871,CV1 5FB,Q,1982-03-04\n\
4,Dev Patel-Privat,9434765872,WV1 1AA,,1983-04-05\n\
5,Eve Jones-Privat,9434765873,DY1 1AB,9.76631E+14,1984-05-06\n\
6,Frank Lee-Privat,9434765874\n\
7,Grace Hall-Privat,9434765875,B1 1AA,A,extra,9434765876\n\
8,Hana Byte\xe9-Privat,9434765877,WS1 1AA,H\xe9,1985-06-07\n\
1,Kim Dup-Privat,9434765879,B3 3CC,Z,1986-07-08\n\
12,Lee Space-Privat,9434765880,B4 4DD, a ,1987-08-09\n\
13,\"Mo Multi\nLine-Privat\",9434765881,B5 5EE,C,1988-09-10\n\
14,Nia Quote-Privat,9434765882,B6 6FF,\"A,1989-10-11\n\
15,Oli Swallowed-Privat,9434765883,B7 7GG,A,1990-11-12\n\
16,Pat Last-Privat,9434765884,B8 8HH,A,1991-12-13\n";

/// The same people as JSON Lines, with broken lines.
const PEOPLE_JSONL: &[u8] = b"{\"id\": \"1\", \"name\": \"Amara Okonkwo-Privat\", \"nhs_number\": \"9434765919\", \"postcode\": \"B15 2TT\", \"ethnicity\": \"J\"}\n\
{\"id\": \"2\", \"name\": \"Bilal Hussain-Privat\", \"nhs_number\": 9434765870, \"postcode\": \"B10 0AB\", \"ethnicity\": \"Q\"}\n\
{\"id\": \"3\", \"name\": \"Chloe Smyth-Privat\", \"nhs_number\": \"9434765871\", \"postcode\": \"CV1 5FB\", \"ethnicity\": \"J\"\n\
[\"4\", \"Dev Patel-Privat\", \"9434765872\", \"WV1 1AA\", \"J\"]\n\
{\"id\": \"5\", \"name\": \"Eve Jones-Privat\", \"nhs_number\": \"9434765873\", \"postcode\": \"DY1 1AB\", \"ethnicity\": {\"code\": \"J\"}}\n\
{\"id\": \"6\", \"name\": \"Frank Lee-Privat\" \"nhs_number\": \"9434765874\"}\n\
not json at all: Grace Hall-Privat 9434765875 B1 1AA\n";

fn assert_private(what: &str, text: &str) {
    for p in PERSONAL {
        assert!(!text.contains(p), "{what} repeats `{p}`:\n{text}");
    }
}

fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!text.contains("panicked"), "{args:?}: {text}");
    (o.status.code(), text)
}

#[test]
fn personal_data_in_other_columns_appears_in_no_report_rejects_summary_or_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("people.csv"), PEOPLE_CSV).unwrap();
    std::fs::write(dir.path().join("people.jsonl"), PEOPLE_JSONL).unwrap();
    for file in ["people.csv", "people.jsonl"] {
        // validate, every format, every finding listed.
        for format in ["text", "json", "jsonl", "csv", "html"] {
            let (code, text) = run_in(
                dir.path(),
                &[
                    "validate",
                    file,
                    "--scheme",
                    "nhs-ethnic-category",
                    "--column",
                    "ethnicity",
                    "--id-column",
                    "id",
                    "--format",
                    format,
                    "--max-findings",
                    "1000",
                ],
            );
            assert_eq!(code, Some(1), "{file} {format}: {text}");
            assert_private(&format!("validate {file} --format {format}"), &text);
        }
        // convert: the rejects file and the summary; rejects on stderr too; by code and label.
        for by in ["code", "label"] {
            let out = format!("out-{by}-{file}");
            let rejects = format!("rejects-{by}-{file}.csv");
            let (code, text) = run_in(
                dir.path(),
                &[
                    "convert",
                    file,
                    "--scheme",
                    "nhs-ethnic-category",
                    "--column",
                    "ethnicity",
                    "--by",
                    by,
                    "--output",
                    &out,
                    "--rejects",
                    &rejects,
                    "--force",
                ],
            );
            assert_eq!(code, Some(1), "{file} {by}: {text}");
            assert_private(&format!("convert {file} --by {by} summary"), &text);
            let rej = std::fs::read_to_string(dir.path().join(&rejects)).unwrap();
            assert!(rej.lines().count() > 3, "{rej}");
            assert_private(&format!("convert {file} --by {by} rejects"), &rej);
            let (_, text) = run_in(
                dir.path(),
                &[
                    "convert",
                    file,
                    "--scheme",
                    "nhs-ethnic-category",
                    "--column",
                    "ethnicity",
                    "--by",
                    by,
                    "--output",
                    &out,
                    "--force",
                ],
            );
            assert_private(
                &format!("convert {file} --by {by} rejects on stderr"),
                &text,
            );
        }
        // Errors: a column that is not there, a scheme that is not there.
        for args in [
            [
                "--scheme",
                "nhs-ethnic-category",
                "--column",
                "Ethnic Group",
            ],
            ["--scheme", "nhs-ethnic-categry", "--column", "ethnicity"],
        ] {
            for cmd in ["validate", "convert"] {
                let mut all = vec![cmd, file];
                all.extend(args);
                let (code, text) = run_in(dir.path(), &all);
                assert_eq!(code, Some(2), "{all:?}: {text}");
                assert_private(&format!("{all:?}"), &text);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Safe outputs: an interrupted convert leaves no file that looks complete, and never damages
// the file it would replace.

/// The files of `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

fn is_tmp(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|e| e == "tmp")
}

#[test]
fn a_killed_convert_leaves_no_output_and_the_old_one_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.csv");
    let mut text = String::from("id,ethnicity\n");
    for i in 0..1_500_000 {
        writeln!(text, "{i},{}", if i % 10 == 0 { "Q" } else { "J" }).unwrap();
    }
    std::fs::write(&input, &text).unwrap();
    for existing in [false, true] {
        let out = dir.path().join("out.csv");
        let rejects = dir.path().join("rejects.csv");
        if existing {
            std::fs::write(&out, "the previous output\n").unwrap();
            std::fs::write(&rejects, "the previous rejects\n").unwrap();
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
            .args([
                "convert",
                "big.csv",
                "--scheme",
                "nhs-ethnic-category",
                "--column",
            ])
            .args([
                "ethnicity",
                "--output",
                "out.csv",
                "--rejects",
                "rejects.csv",
                "--force",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it has written part of the output under its temporary name, then kill it
        // (SIGKILL: no destructor runs, as when the power goes or the job is killed).
        let start = Instant::now();
        let temp = loop {
            let names = others(dir.path(), &["big.csv", "out.csv", "rejects.csv"]);
            let written = names.iter().find(|n| {
                n.starts_with(".out.csv.")
                    && std::fs::metadata(dir.path().join(n)).is_ok_and(|m| m.len() > 0)
            });
            if let Some(n) = written {
                break n.clone();
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "convert finished before it could be interrupted: make the input bigger"
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no temporary file: {names:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(is_tmp(&temp), "{temp}");
        if existing {
            assert_eq!(
                std::fs::read_to_string(&out).unwrap(),
                "the previous output\n"
            );
            assert_eq!(
                std::fs::read_to_string(&rejects).unwrap(),
                "the previous rejects\n"
            );
        } else {
            assert!(
                !out.exists() && !rejects.exists(),
                "{:?}",
                others(dir.path(), &[])
            );
        }
        // What is left is hidden and named as unfinished; remove it for the next round.
        for n in others(dir.path(), &["big.csv", "out.csv", "rejects.csv"]) {
            assert!(n.starts_with('.') && is_tmp(&n), "{n}");
            std::fs::remove_file(dir.path().join(n)).unwrap();
        }
    }
}

#[test]
fn convert_never_overwrites_without_force_nor_writes_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), "id,ethnicity\n1,J\n2,Q\n").unwrap();
    std::fs::write(dir.path().join("out.csv"), "keep\n").unwrap();
    std::fs::write(dir.path().join("rej.csv"), "keep too\n").unwrap();
    let base = [
        "convert",
        "in.csv",
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "ethnicity",
    ];
    for extra in [
        &["--output", "out.csv"][..],
        &["--output", "new.csv", "--rejects", "rej.csv"][..],
        &["--output", "in.csv", "--force"][..],
        &["--output", "./in.csv", "--force"][..],
        &["--rejects", "in.csv", "--force"][..],
        &["--output", "new.csv", "--rejects", "new.csv", "--force"][..],
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let (code, text) = run_in(dir.path(), &args);
        assert_eq!(code, Some(2), "{extra:?}: {text}");
        assert_eq!(text.lines().count(), 1, "{extra:?}: {text}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("in.csv")).unwrap(),
            "id,ethnicity\n1,J\n2,Q\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
            "keep\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("rej.csv")).unwrap(),
            "keep too\n"
        );
        assert_eq!(
            others(dir.path(), &[]),
            ["in.csv", "out.csv", "rej.csv"],
            "{extra:?}"
        );
    }
    // With --force: replaced, complete, and nothing left beside them.
    let mut args = base.to_vec();
    args.extend(["--output", "out.csv", "--rejects", "rej.csv", "--force"]);
    let (code, text) = run_in(dir.path(), &args);
    assert_eq!(code, Some(1), "{text}");
    let out = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert_eq!(out.lines().count(), 2, "{out}");
    let rej = std::fs::read_to_string(dir.path().join("rej.csv")).unwrap();
    assert_eq!(rej.lines().count(), 2, "{rej}");
    assert_eq!(others(dir.path(), &[]), ["in.csv", "out.csv", "rej.csv"]);
}

// ---------------------------------------------------------------------------------------------
// Caps on what one record may hold: memory stays bounded whatever the file, and the file is
// refused naming the line.

fn read_all(name: &str, input: impl std::io::Read + Send) -> Result<u64, String> {
    use wm_ethnicity::{ReadOptions, Table};
    let table =
        Table::from_reader(name, input, &ReadOptions::default()).map_err(|e| e.to_string())?;
    let summary = table
        .for_each(|_| std::ops::ControlFlow::Continue(()))
        .map_err(|e| e.to_string())?;
    Ok(summary.records)
}

#[test]
fn a_record_over_the_size_cap_is_refused_naming_its_line() {
    use std::io::Read as _;
    let cap = wm_ethnicity::MAX_RECORD_BYTES as u64;
    // An unclosed quote on line 3 running through the rest of a large file.
    let head: &[u8] = b"id,ethnicity\n1,J\n2,\"";
    let err = read_all("big.csv", head.chain(std::io::repeat(b'x').take(cap + 10))).unwrap_err();
    assert!(
        err.starts_with("big.csv:3:1: a record longer than 64 MiB: not a return"),
        "{err}"
    );
    // A header that never ends.
    let err = read_all("big.csv", std::io::repeat(b'x').take(cap + 10)).unwrap_err();
    assert!(
        err.starts_with("big.csv: a record longer than 64 MiB"),
        "{err}"
    );
    // A JSON line that never ends.
    let head: &[u8] = b"{\"id\": \"1\", \"ethnicity\": \"J\"}\n\n{\"id\": \"";
    let err = read_all(
        "big.jsonl",
        head.chain(std::io::repeat(b'x').take(cap + 10)),
    )
    .unwrap_err();
    assert!(
        err.starts_with("big.jsonl:3:1: a line longer than 64 MiB"),
        "{err}"
    );
    // Just under the cap is read.
    let head: &[u8] = b"id,ethnicity\n1,";
    let records = read_all(
        "big.csv",
        head.chain(std::io::repeat(b'x').take(cap - 1024))
            .chain(&b"\n"[..]),
    );
    assert_eq!(records, Ok(1));
}

#[test]
fn a_record_over_the_field_cap_is_refused_naming_its_line() {
    let fields = wm_ethnicity::MAX_RECORD_FIELDS;
    let mut data = b"id,ethnicity\n1,J\n".to_vec();
    data.extend(std::iter::repeat_n(b',', fields + 1));
    data.push(b'\n');
    let err = read_all("wide.csv", &data[..]).unwrap_err();
    assert!(
        err.starts_with("wide.csv:3:1: a record of more than 100000 fields"),
        "{err}"
    );
    // Exactly at the cap: a ragged record, read and reported as such by validation. (Its one
    // value makes it a record: a row of empty fields would be a blank row.)
    let mut data = b"id,ethnicity\n1".to_vec();
    data.extend(std::iter::repeat_n(b',', fields - 1));
    data.push(b'\n');
    assert_eq!(read_all("wide.csv", &data[..]), Ok(1));
}

#[test]
fn a_local_scheme_with_escape_sequences_is_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}codes:\n  - code: \"X\"\n    label: \"Lab\\e[31mel\"\n    map: {{rel: equivalent, to: asian.indian}}\n"
    );
    std::fs::write(dir.path().join("esc.yaml"), &text).unwrap();
    let (code, out) = run_in(dir.path(), &["scheme", "check", "esc.yaml"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("esc.yaml:9:12: /codes/0/label: holds the control character U+001B"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
    let (code, out) = run_in(
        dir.path(),
        &[
            "lookup",
            "--scheme-file",
            "esc.yaml",
            "--scheme",
            "hostile",
            "X",
        ],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// A device never ends: reading one as a scheme file or a return stops at once with a clear error.
#[cfg(unix)]
#[test]
fn devices_and_pipes_are_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let (code, out) = run_in(dir.path(), &["scheme", "check", "/dev/zero"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("/dev/zero: not valid YAML: file is over the limit"),
        "{out}"
    );
    for cmd in ["validate", "convert"] {
        let (code, out) = run_in(
            dir.path(),
            &[
                cmd,
                "/dev/zero",
                "--scheme",
                "nhs-ethnic-category",
                "--column",
                "x",
            ],
        );
        assert_eq!(code, Some(2), "{out}");
        assert!(
            out.contains("/dev/zero: is not a regular file (a device or a pipe)"),
            "{out}"
        );
    }
    assert!(start.elapsed() < QUICK);
}
