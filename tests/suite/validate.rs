//! `validate` on the sample returns in `fixtures/returns`: one test per fixture asserting its
//! exact findings, the command line's exit codes and formats, return specifications, and privacy
//! (no finding repeats another column of the record).
//!
//! Each fixture `<name>.expected.json` names its file and its `validate` flags, and holds the
//! expected result. After a deliberate change, `WM_REGENERATE=1 cargo test --test suite validate`
//! rewrites the results (never the flags); review the diff before committing it.

use crate::cli::{assert_matches_schema, run, stderr, stdout};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wm_ethnicity::Registry;
use wm_ethnicity::ReturnSpec;
use wm_ethnicity::Validator;
use wm_ethnicity::{Encoding, ReadOptions, Table, Threads};
use wm_ethnicity::{Rule, Severity};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/returns")
}

/// The flags of a fixture, as `validate` takes them.
#[derive(Default)]
struct Flags {
    scheme: Option<String>,
    column: Option<String>,
    id_column: Option<String>,
    date_column: Option<String>,
    spec: Option<String>,
    scheme_files: Vec<String>,
    encoding: Option<String>,
    sheet: Option<String>,
    header_row: Option<u64>,
    delimiter: Option<String>,
    max_residual_share: Option<f64>,
}

fn flags(args: &[String]) -> Flags {
    let mut f = Flags::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it
            .next()
            .unwrap_or_else(|| panic!("{a} needs a value"))
            .clone();
        match a.as_str() {
            "--scheme" => f.scheme = Some(v),
            "--column" => f.column = Some(v),
            "--id-column" => f.id_column = Some(v),
            "--date-column" => f.date_column = Some(v),
            "--spec" => f.spec = Some(v),
            "--scheme-file" => f.scheme_files.push(v),
            "--encoding" => f.encoding = Some(v),
            "--sheet" => f.sheet = Some(v),
            "--header-row" => f.header_row = Some(v.parse().unwrap()),
            "--delimiter" => f.delimiter = Some(v),
            "--max-residual-share" => f.max_residual_share = Some(v.parse().unwrap()),
            other => panic!("the test harness does not know {other}"),
        }
    }
    f
}

/// Runs the library as `validate` does, and returns what an expected file holds.
fn run_library(file: &str, args: &[String]) -> Value {
    let f = flags(args);
    let result = (|| -> wm_ethnicity::Result<Value> {
        let mut spec = match &f.spec {
            Some(p) => ReturnSpec::load(&dir().join(p))?,
            None => ReturnSpec::coded(f.column.clone().unwrap(), f.scheme.clone().unwrap()),
        };
        if let Some(c) = &f.id_column {
            spec = spec.with_id_column(c);
        }
        if let Some(c) = &f.date_column {
            spec = spec.with_date_column(c);
        }
        if let Some(x) = f.max_residual_share {
            spec.max_residual_share = x;
        }
        let mut registry = Registry::new();
        let local: Vec<PathBuf> = f.scheme_files.iter().map(|p| dir().join(p)).collect();
        for p in spec.scheme_files.iter().chain(&local) {
            registry.load_file(p)?;
        }
        let validator = Validator::new(&spec, &registry)?;
        let opts = ReadOptions {
            format: None,
            encoding: f.encoding.as_deref().and_then(Encoding::from_name),
            delimiter: f.delimiter.as_deref().map(|d| d.as_bytes()[0]),
            sheet: f.sheet.clone(),
            header_row: f.header_row,
            // The binary reads these small files on one thread; the library here parses CSV on a
            // second one, so every expected result holds for both.
            threads: Threads::Two,
        };
        let table = Table::open(&dir().join(file), &opts)?;
        let (report, findings) = validator.findings(table)?;
        let outcomes: Vec<Value> = report
            .columns
            .iter()
            .map(|c| json!({"column": c.column, "outcomes": c.outcomes}))
            .collect();
        let rules: serde_json::Map<String, Value> = report
            .rules
            .iter()
            .map(|r| (r.rule.id().to_owned(), json!(r.errors + r.queries)))
            .collect();
        Ok(json!({
            "exit": u8::from(report.has_errors()),
            "records": report.records,
            "blank_lines": report.blank_lines,
            "encoding": report.encoding.as_ref().map(|e| e.note.clone()),
            "rules": rules,
            "profile": outcomes,
            "absent_columns": report.absent_columns,
            "findings": findings,
        }))
    })();
    result.unwrap_or_else(|e| {
        let prefix = format!("{}/", dir().display());
        json!({"exit": 2, "error": e.to_string().replace(&prefix, "")})
    })
}

fn load_case(name: &str) -> (PathBuf, Value) {
    let path = dir().join(format!("{name}.expected.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    (path, serde_json::from_str(&text).unwrap())
}

fn case_args(case: &Value) -> (String, Vec<String>) {
    let file = case["file"].as_str().unwrap().to_owned();
    let args = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    (file, args)
}

/// Asserts one fixture's exact result, naming the fixture and the first difference.
fn check(name: &str) {
    let (path, case) = load_case(name);
    let (file, flags_given) = case_args(&case);
    let got = run_library(&file, &flags_given);
    if std::env::var_os("WM_REGENERATE").is_some() {
        let mut out = serde_json::Map::new();
        for k in ["file", "about", "args"] {
            out.insert(k.to_owned(), case[k].clone());
        }
        for (k, v) in got.as_object().unwrap() {
            out.insert(k.clone(), v.clone());
        }
        let text = serde_json::to_string_pretty(&Value::Object(out)).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
        return;
    }
    let text = serde_json::to_string(&got).unwrap();
    assert!(
        !text.contains("PRIVATE"),
        "{name}: a finding repeats another column's value: {text}"
    );
    for (k, want) in got.as_object().unwrap().keys().map(|k| (k, &case[k])) {
        if k == "findings" {
            continue;
        }
        assert_eq!(&got[k], want, "{name}: `{k}` differs");
    }
    let want = case["findings"].as_array().cloned().unwrap_or_default();
    let have = got["findings"].as_array().cloned().unwrap_or_default();
    for (i, (h, w)) in have.iter().zip(&want).enumerate() {
        assert_eq!(h, w, "{name}: finding {i} differs\n got: {h}\nwant: {w}");
    }
    assert_eq!(
        have.len(),
        want.len(),
        "{name}: {} findings, {} expected",
        have.len(),
        want.len()
    );
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*
        /// Every fixture with a test.
        const FIXTURES: &[&str] = &[$($name),*];
    };
}

fixtures! {
    fixture_dfe_census_good => "dfe-census-good",
    fixture_dfe_census_bad => "dfe-census-bad",
    fixture_dfe_census_spec => "dfe-census-spec",
    fixture_nhs_gp_register => "nhs-gp-register",
    fixture_nhs_residual_share => "nhs-residual-share",
    fixture_police_stops => "police-stops",
    fixture_housing_windows_1252 => "housing-windows-1252",
    fixture_housing_bom_crlf => "housing-bom-crlf",
    fixture_ragged_rows => "ragged-rows",
    fixture_invalid_utf8 => "invalid-utf8",
    fixture_excel_damage => "excel-damage",
    fixture_housing_dates => "housing-dates",
    fixture_returns_jsonl => "returns-jsonl",
    fixture_school_census_xlsx => "school-census-xlsx",
    fixture_missing_column => "missing-column",
    fixture_dfe_cin_extended_codes => "dfe-cin-extended-codes",
    fixture_nhs_scotland_older_codes => "nhs-scotland-older-codes",
    fixture_intersectional => "intersectional",
    fixture_several_ethnicities => "several-ethnicities",
    fixture_several_columns => "several-columns",
    fixture_gp_snomed => "gp-snomed",
    fixture_gp_ctv3 => "gp-ctv3",
    fixture_fhir_patients => "fhir-patients",
    fixture_fhir_bundle => "fhir-bundle",
}

#[test]
fn every_fixture_has_a_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".expected.json").map(str::to_owned)
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_rule_is_exercised_by_a_fixture() {
    let mut seen = std::collections::BTreeSet::new();
    for name in FIXTURES {
        let (_, case) = load_case(name);
        for f in case["findings"].as_array().into_iter().flatten() {
            seen.insert(f["rule"].as_str().unwrap().to_owned());
        }
        if let Some(e) = case["error"].as_str() {
            seen.insert(e.split_once(": ").unwrap().1[..5].to_owned());
        }
    }
    // The rules only conversion has are shown by the conversion cases.
    for name in crate::convert::CASES {
        let case = crate::convert::load_convert_case(name);
        for r in case["rejected"].as_array().into_iter().flatten() {
            seen.insert(r[1].as_str().unwrap().to_owned());
        }
    }
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(missing.is_empty(), "rules no fixture shows: {missing:?}");
}

#[test]
fn every_rule_is_documented() {
    let doc =
        std::fs::read_to_string(format!("{}/docs/rules.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for r in Rule::ALL {
        let heading = format!("## {} {}", r.id(), r.name());
        assert!(doc.contains(&heading), "docs/rules.md has no `{heading}`");
        let severity = format!("Severity: {}", r.default_severity());
        let section = doc.split(&heading).nth(1).unwrap();
        let section = section.split("\n## ").next().unwrap();
        assert!(
            section.contains(&severity),
            "docs/rules.md: {} does not say `{severity}`",
            r.id()
        );
    }
}

#[test]
fn rule_ids_and_names_are_unique_and_round_trip() {
    // Each family of ids (WM, CV) is numbered from 001, in order, without a gap.
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in Rule::ALL {
        let prefix = &r.id()[..2];
        let n = count.entry(prefix).or_default();
        *n += 1;
        assert_eq!(r.id(), format!("{prefix}{n:03}"));
        assert_eq!(Rule::from_key(r.id()), Some(r));
        assert_eq!(Rule::from_key(r.name()), Some(r));
    }
    assert_eq!(Rule::from_key("wm001"), Some(Rule::UnknownCode));
    assert_eq!(Rule::from_key("WM999"), None);
}

#[test]
fn the_fast_path_counts_what_the_findings_show() {
    for name in FIXTURES {
        let (_, case) = load_case(name);
        if case["exit"] == 2 {
            continue;
        }
        let (file, flags_given) = case_args(&case);
        let f = flags(&flags_given);
        let mut spec = match &f.spec {
            Some(p) => ReturnSpec::load(&dir().join(p)).unwrap(),
            None => ReturnSpec::coded(f.column.clone().unwrap(), f.scheme.clone().unwrap()),
        };
        if let Some(c) = &f.id_column {
            spec = spec.with_id_column(c);
        }
        if let Some(c) = &f.date_column {
            spec = spec.with_date_column(c);
        }
        let mut registry = Registry::new();
        for p in f.scheme_files.iter().map(|p| dir().join(p)) {
            registry.load_file(&p).unwrap();
        }
        let v = Validator::new(&spec, &registry).unwrap();
        let open = || Table::open(&dir().join(&file), &ReadOptions::default()).unwrap();
        let fast = v.check(open()).unwrap();
        let (full, findings) = v.findings(open()).unwrap();
        assert_eq!(fast, full, "{name}");
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count() as u64;
        assert_eq!(fast.errors, errors, "{name}");
        assert_eq!(fast.queries, findings.len() as u64 - errors, "{name}");
        for c in &fast.columns {
            assert_eq!(c.outcomes.total(), fast.records, "{name}: outcomes add up");
        }
    }
}

fn run_in_fixtures(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(args)
        .current_dir(dir())
        .output()
        .expect("the binary runs")
}

#[test]
fn the_cli_gives_every_fixture_the_same_findings_and_exit_code() {
    for name in FIXTURES {
        let (_, case) = load_case(name);
        let (file, flags_given) = case_args(&case);
        let mut argv: Vec<&str> = vec!["validate", &file];
        argv.extend(flags_given.iter().map(String::as_str));
        argv.extend(["--format", "jsonl"]);
        let o = run_in_fixtures(&argv);
        assert_eq!(
            i64::from(o.status.code().unwrap()),
            case["exit"].as_i64().unwrap(),
            "{name}: {}",
            stderr(&o)
        );
        if case["exit"] == 2 {
            let err = stderr(&o);
            assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
            assert_eq!(
                err.trim_end(),
                format!("wm-ethnicity: error: {}", case["error"].as_str().unwrap())
            );
            assert!(stdout(&o).is_empty());
            continue;
        }
        assert!(stderr(&o).is_empty(), "{name}: {}", stderr(&o));
        let lines: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            &Value::Array(lines),
            &case["findings"],
            "{name}: jsonl differs"
        );
    }
}

#[test]
fn json_output_is_one_document_matching_its_schema() {
    for name in ["dfe-census-bad", "dfe-census-good", "school-census-xlsx"] {
        let (_, case) = load_case(name);
        let (file, flags_given) = case_args(&case);
        let mut argv: Vec<&str> = vec!["validate", &file];
        argv.extend(flags_given.iter().map(String::as_str));
        argv.extend(["--format", "json", "--council", "birmingham"]);
        let o = run_in_fixtures(&argv);
        let v = assert_matches_schema(&stdout(&o), "output/validate.schema.json");
        assert_eq!(v["findings"], case["findings"], "{name}");
        assert_eq!(v["report"]["records"], case["records"], "{name}");
        assert_eq!(v["council"]["code"], "E08000025");
        for f in v["findings"].as_array().unwrap() {
            assert_matches_schema(&f.to_string(), "output/finding.schema.json");
        }
    }
}

#[test]
fn the_finding_schema_is_the_one_inside_the_report_schema() {
    let read = |f: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(format!("{}/schema/output/{f}", env!("CARGO_MANIFEST_DIR")))
                .unwrap(),
        )
        .unwrap()
    };
    let report = read("validate.schema.json");
    let mut finding = read("finding.schema.json");
    for k in ["$schema", "$id", "title", "description"] {
        finding.as_object_mut().unwrap().remove(k);
    }
    let mut inner = report["$defs"]["finding"].clone();
    inner.as_object_mut().unwrap().remove("description");
    assert_eq!(inner, finding);
}

#[test]
fn csv_output_has_one_row_per_finding_and_defuses_formulas() {
    let (_, case) = load_case("dfe-census-bad");
    let (file, flags_given) = case_args(&case);
    let mut argv: Vec<&str> = vec!["validate", &file];
    argv.extend(flags_given.iter().map(String::as_str));
    argv.extend(["--format", "csv"]);
    let o = run_in_fixtures(&argv);
    assert_eq!(o.status.code(), Some(1));
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    assert_eq!(
        r.headers().unwrap(),
        vec![
            "rule",
            "name",
            "severity",
            "line",
            "record",
            "row",
            "column",
            "value",
            "message",
            "suggestion"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let want = case["findings"].as_array().unwrap();
    assert_eq!(rows.len(), want.len());
    for (row, f) in rows.iter().zip(want) {
        assert_eq!(row[0], *f["rule"].as_str().unwrap());
        assert_eq!(
            row[3],
            f["line"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_default()
        );
        assert_eq!(
            row[5],
            f["row"].as_u64().map(|n| n.to_string()).unwrap_or_default()
        );
        assert_eq!(row[8], *f["message"].as_str().unwrap());
    }

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("formula.csv");
    std::fs::write(&path, "id,ethnicity\n1,=HYPERLINK(\"x\")\n2,-8\n").unwrap();
    let o = run_in_fixtures(&[
        "validate",
        path.to_str().unwrap(),
        "--scheme",
        "ons-2021-ew",
        "--column",
        "ethnicity",
        "--format",
        "csv",
    ]);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][7], "'=HYPERLINK(\"x\")");
    // -8 is a code (Does not apply), a plain number: left alone.
    assert_eq!(&rows[1][0], "WM005");
    assert_eq!(&rows[1][7], "-8");
}

#[test]
fn an_empty_csv_report_still_has_its_header() {
    let o = run_in_fixtures(&[
        "validate",
        "dfe-census-good.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "rule,name,severity,line,record,row,column,value,message,suggestion\n"
    );
}

#[test]
fn the_text_summary_counts_rules_lists_first_findings_and_profiles_the_column() {
    let o = run_in_fixtures(&[
        "validate",
        "dfe-census-bad.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
        "--id-column",
        "UPN",
        "--date-column",
        "CensusDate",
        "--max-findings",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    for want in [
        "wm-ethnicity validate: dfe-census-bad.csv",
        "encoding:  utf-8 (detected: plain ASCII)",
        "records:   14 (and 1 blank or empty row skipped: not a record)",
        "Findings: 10 errors, 3 queries",
        "  WM001  unknown-code",
        "First 3 of 13 findings (row = the row Excel shows; line = a text editor's line, where it differs; --format csv or jsonl lists them all):",
        "  row 3 (record 2), column Ethnicity: error WM001 unknown-code: `APNK` is not a code of dfe-cbds (DfE Common Basic Data Set (CBDS) ethnicity codes). Did you mean APKN (Pakistani), AIND (Indian) or AMPK (Mirpuri Pakistani)?",
        "Data quality: column Ethnicity (dfe-cbds), 14 records",
        "residual            2   14.3%  (at most 20.0% allowed)",
        "Result: 10 errors: correct them before submitting the return.",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    assert!(!text.contains("PRIVATE"), "{text}");
    assert_eq!(text.matches("  row ").count(), 3, "{text}");
}

#[test]
fn a_return_with_only_queries_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("queries.csv");
    std::fs::write(
        &path,
        "UPN,Ethnicity\nA1,WBRI\nA2, wbri\nA3,REFU\nA4,APKN\nA5,AIND\n",
    )
    .unwrap();
    let o = run_in_fixtures(&[
        "validate",
        path.to_str().unwrap(),
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
    ]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("Findings: 0 errors, 2 queries"), "{text}");
    assert!(
        text.contains("Result: no errors; 2 queries for a person to confirm."),
        "{text}"
    );
}

#[test]
fn a_windows_1252_file_is_read_as_such_and_the_summary_says_so() {
    let o = run_in_fixtures(&[
        "validate",
        "housing-windows-1252.csv",
        "--scheme",
        "ons-2011-ew",
        "--column",
        "EthnicGroup",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains(
            "encoding:  windows-1252 (detected: not valid UTF-8, first non-UTF-8 byte on line 2; \
             read as Windows-1252, what Excel writes for CSV)"
        ),
        "{text}"
    );
    assert!(text.contains("`Gypsy \u{2013} Irish Traveller`"), "{text}");
}

#[test]
fn a_given_encoding_is_used_and_said() {
    let base = [
        "validate",
        "housing-windows-1252.csv",
        "--scheme",
        "ons-2011-ew",
        "--column",
        "EthnicGroup",
        "--format",
        "json",
    ];
    let mut argv = base.to_vec();
    argv.extend(["--encoding", "windows-1252"]);
    let v: Value = serde_json::from_slice(&run_in_fixtures(&argv).stdout).unwrap();
    assert_eq!(v["report"]["encoding"]["encoding"], "windows-1252");
    assert_eq!(v["report"]["encoding"]["source"], "given");
    // Read as UTF-8 against the evidence: every non-UTF-8 byte is a finding, never silence.
    let mut argv = base.to_vec();
    argv.extend(["--encoding", "utf-8"]);
    let o = run_in_fixtures(&argv);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let bad: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "WM011")
        .collect();
    let lines: Vec<u64> = bad.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 6], "{bad:?}");
    assert!(bad.iter().all(|f| !f.to_string().contains("PRIVATE")));
}

#[test]
fn a_delimiter_can_be_given() {
    let o = run_in_fixtures(&[
        "validate",
        "police-stops.csv",
        "--scheme",
        "police-sde",
        "--column",
        "SelfDefinedEthnicity",
        "--delimiter",
        ",",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("WM012 missing-column: there is no column `SelfDefinedEthnicity`"),
        "{}",
        stderr(&o)
    );
}

fn fails_with(args: &[&str], want: &str) {
    let o = run_in_fixtures(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line, no backtrace: {err}"
    );
    assert!(err.starts_with("wm-ethnicity: error: "), "{err}");
    assert!(err.contains(want), "{args:?}: want `{want}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn could_not_validate_is_one_line_naming_the_file_and_exit_2() {
    let scheme = ["--scheme", "dfe-cbds", "--column", "Ethnicity"];
    let with = |file: &'static str, extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["validate", file];
        v.extend(scheme);
        v.extend(extra);
        v
    };
    fails_with(
        &with("no-such-file.csv", &[]),
        "no-such-file.csv: No such file",
    );
    fails_with(
        &[
            "validate",
            "dfe-census-good.csv",
            "--scheme",
            "dfe-cbs",
            "--column",
            "Ethnicity",
        ],
        "unknown scheme `dfe-cbs` (did you mean dfe-cbds",
    );
    fails_with(
        &with("school-census.xlsx", &["--sheet", "Pupil"]),
        "school-census.xlsx: there is no sheet `Pupil`; the sheets are: 1 `Pupils`, 2 `Notes` (--sheet takes a name or a number)",
    );
    fails_with(
        &with("school-census.xlsx", &["--sheet", "Notes"]),
        "school-census.xlsx:1: WM012 missing-column: there is no column `Ethnicity`",
    );
    fails_with(
        &with("dfe-census-good.csv", &["--council", "Narnia"]),
        "unknown council `Narnia`; the councils are: E08000025 (birmingham)",
    );
    fails_with(&with("local-hr-scheme.yaml", &[]), "WM012 missing-column");
    fails_with(
        &with(
            "dfe-census-good.csv",
            &["--id-column", "UPN ", "--date-column", "Date"],
        ),
        "dfe-census-good.csv:1: WM012 missing-column: there is no column `Date` in the header (line 1)",
    );
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let mut argv = vec!["validate", empty.to_str().unwrap()];
    argv.extend(scheme);
    fails_with(
        &argv,
        "empty.csv: the file is empty: there is no header row",
    );
    let bad_spec = tmp.path().join("bad.spec.yaml");
    std::fs::write(
        &bad_spec,
        "columns:\n  - name: Ethnicity\n    scheme: dfe-cbds\n    empty: maybe\n",
    )
    .unwrap();
    fails_with(
        &[
            "validate",
            "dfe-census-good.csv",
            "--spec",
            bad_spec.to_str().unwrap(),
        ],
        "bad.spec.yaml:4:12",
    );
}

#[test]
fn the_progress_bar_stays_silent_when_not_on_a_terminal() {
    let o = run_in_fixtures(&[
        "validate",
        "dfe-census-good.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty());
    assert!(stdout(&o).contains("Result: no errors and no queries"));
}

fn spec_error(yaml: &str) -> String {
    ReturnSpec::from_yaml(yaml, "s.yaml")
        .unwrap_err()
        .to_string()
}

#[test]
fn return_specifications_are_checked_with_their_place() {
    assert_eq!(
        spec_error("columns:\n  - name: E\n    scheme: dfe-cbds\n    colour: red\n"),
        "s.yaml:4:5: not valid YAML: unknown field `colour`, expected one of name, role, scheme, scheme_column, council_column, dataset_column, by, required, empty, reference_date, read_at, separator, more_columns"
    );
    assert_eq!(
        spec_error("columns:\n  - name: E\n    role: coded\n"),
        "s.yaml:2:11: coded column `E` needs a `scheme` (or `scheme_column`, or `council_column` and `dataset_column`)"
    );
    assert_eq!(
        spec_error("columns:\n  - name: E\n    scheme: dfe-cbds\n  - name: E\n    role: id\n"),
        "s.yaml:4:11: column `E` is listed twice (first on line 2)"
    );
    assert_eq!(
        spec_error(
            "columns:\n  - name: E\n    scheme: dfe-cbds\n  - name: A\n    role: id\n  - name: B\n    role: id\n"
        ),
        "s.yaml:6:11: `B` is a second id column (`A` is already one)"
    );
    assert_eq!(
        spec_error("columns:\n  - name: A\n    role: id\n"),
        "s.yaml: /columns: no coded column: give at least one column a `scheme`"
    );
    assert_eq!(
        spec_error("severity:\n  WM099: off\ncolumns:\n  - name: E\n    scheme: dfe-cbds\n"),
        "s.yaml: /severity/WM099: `WM099` is not a rule id or name (see docs/rules.md)"
    );
    assert!(
        spec_error("max_residual_share: 2\ncolumns:\n  - name: E\n    scheme: dfe-cbds\n")
            .starts_with("s.yaml: /max_residual_share: does not match return-spec.schema.json"),
    );
    assert_eq!(
        spec_error("columns:\n  - name: E\n    scheme: dfe-cbds\ncolumns: []\n"),
        "s.yaml:4:1: not valid YAML: duplicate mapping key: columns"
    );
    let spec =
        ReturnSpec::from_yaml("columns:\n  - name: E\n    scheme: dfe-cbs\n", "s.yaml").unwrap();
    assert_eq!(
        Validator::new(&spec, &Registry::new())
            .unwrap_err()
            .to_string(),
        "s.yaml:3:13: column `E`: unknown scheme `dfe-cbs` (did you mean dfe-cbds?)"
    );
}

#[test]
fn the_shipped_spec_fixture_loads_with_its_rules() {
    let spec = ReturnSpec::load(&dir().join("dfe-census.spec.yaml")).unwrap();
    assert!((spec.max_residual_share - 0.1).abs() < f64::EPSILON);
    assert_eq!(spec.severity_of(Rule::ResidualValue), None);
    assert_eq!(
        spec.severity_of(Rule::NormalisedInput),
        Some(Severity::Error)
    );
    assert_eq!(spec.severity_of(Rule::UnknownCode), Some(Severity::Error));
    assert_eq!(spec.id_column().unwrap().name, "UPN");
    assert!(!spec.columns[3].required);
}

mod never_panics {
    use crate::hardening::prop::byte;
    use proptest::prelude::*;
    use wm_ethnicity::Registry;
    use wm_ethnicity::ReturnSpec;
    use wm_ethnicity::Validator;
    use wm_ethnicity::{InputFormat, ReadOptions, Table};

    fn check(header: &[u8], body: &[u8], format: InputFormat) -> Result<(), TestCaseError> {
        let mut data = header.to_vec();
        data.extend_from_slice(body);
        let opts = ReadOptions {
            format: Some(format),
            ..ReadOptions::default()
        };
        // An unreadable header is an error, never a panic.
        let Ok(table) = Table::from_reader("p", &data[..], &opts) else {
            return Ok(());
        };
        let registry = Registry::new();
        let spec = ReturnSpec::coded("code", "nhs-ethnic-category")
            .with_id_column("id")
            .with_date_column("date");
        let v = Validator::new(&spec, &registry).unwrap();
        let bound = table.column("code").is_some()
            && table.column("id").is_some()
            && table.column("date").is_some();
        match v.findings(table) {
            Ok((report, findings)) => {
                prop_assert!(bound);
                for c in &report.columns {
                    prop_assert_eq!(c.outcomes.total(), report.records);
                }
                let counted: u64 = report.errors + report.queries;
                prop_assert_eq!(counted, findings.len() as u64);
                // A CSV header takes a line; JSON Lines has none.
                let header_lines = u64::from(format == InputFormat::Csv);
                for f in &findings {
                    if let (Some(line), Some(record)) = (f.line, f.record) {
                        prop_assert!(line >= record + header_lines, "{f:?}");
                    }
                }
            }
            Err(e) => prop_assert!(!bound, "{e}"),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn csv_records_are_numbered_in_order_on_rising_lines(
            body in prop::collection::vec(byte(), 0..300)
        ) {
            let mut data = b"id,code,date\n".to_vec();
            data.extend_from_slice(&body);
            let table = Table::from_reader("p.csv", &data[..], &ReadOptions::default()).unwrap();
            let mut seen: Vec<(u64, u64)> = Vec::new();
            let summary = table
                .for_each(|r| {
                    seen.push((r.line(), r.number()));
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
            prop_assert_eq!(summary.records, seen.len() as u64);
            for (i, w) in seen.windows(2).enumerate() {
                prop_assert!(w[1].0 > w[0].0, "lines rise: {seen:?}");
                prop_assert_eq!(w[1].1, i as u64 + 2);
            }
            if let Some(first) = seen.first() {
                prop_assert!(first.0 >= 2);
            }
        }

        #[test]
        fn any_csv_validates_without_panic_and_counts_add_up(
            body in prop::collection::vec(byte(), 0..300)
        ) {
            check(b"id,code,date\n", &body, InputFormat::Csv)?;
        }

        #[test]
        fn any_jsonl_validates_without_panic_and_counts_add_up(
            body in prop::collection::vec(byte(), 0..300)
        ) {
            check(b"{\"id\": \"1\", \"code\": \"A\", \"date\": \"2024-01-01\"}\n", &body, InputFormat::Jsonl)?;
        }

        #[test]
        fn any_header_is_an_error_or_a_table(
            data in prop::collection::vec(byte(), 0..200)
        ) {
            check(b"", &data, InputFormat::Csv)?;
        }
    }
}

/// An unclosed quote makes the ethnicity cell swallow the next lines, other columns included:
/// that value must appear in no finding's value, message or suggestion, in any format.
#[test]
fn a_value_spanning_lines_is_never_echoed_in_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("unclosed.csv");
    std::fs::write(
        &path,
        "id,name,ethnicity\n1,PRIVATE Ann,WBRI\n2,PRIVATE Bob,\"APKN\n3,PRIVATE Cat 9434765919,WBRI\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    for format in ["text", "json", "jsonl", "csv", "html"] {
        let o = crate::cli::run(&[
            "validate",
            file,
            "--scheme",
            "dfe-cbds",
            "--column",
            "ethnicity",
            "--format",
            format,
        ]);
        let all = format!("{}{}", crate::cli::stdout(&o), crate::cli::stderr(&o));
        assert!(
            !all.contains("PRIVATE") && !all.contains("9434765919"),
            "{format}: {all}"
        );
        assert!(o.status.code().is_some_and(|c| c >= 1), "{format}: {all}");
    }
}

/// WM002's advice is the crosswalk's: the code it names for a value of another scheme is the one
/// `crosswalk::encode` gives, and where no single code holds the meaning it says what
/// `--policy most-likely` would choose (issue 11: police `O9` was told "OKOR (Korean)", NHS `C`
/// and police `W9` "WROM").
#[test]
fn other_scheme_advice_is_the_crosswalks() {
    use wm_ethnicity::builtin_scheme as builtin;
    use wm_ethnicity::{Loss, encode};
    let dfe = builtin("dfe-cbds").unwrap();
    let registry = Registry::new();
    let validator = Validator::new(&ReturnSpec::coded("e", "dfe-cbds"), &registry).unwrap();
    for (scheme, code) in [
        ("police-sde", "O9"),
        ("police-sde", "W9"),
        ("police-sde", "W3"),
        ("nhs-ethnic-category", "C"),
        ("hesa", "163"),
        ("hesa", "180"),
        ("hesa", "899"),
    ] {
        let data = format!("e\n{code}\n");
        let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
        let (_, findings) = validator.findings(table).unwrap();
        let f = findings
            .iter()
            .find(|f| f.rule == Rule::OtherSchemeCode)
            .unwrap_or_else(|| panic!("{code}: no WM002 in {findings:?}"));
        let advice = f.suggestion.as_deref().unwrap_or("");
        let e = encode(dfe, &builtin(scheme).unwrap().get(code).unwrap().map);
        match e.code {
            Some(c) => assert!(
                advice.contains(&format!("{} ({})", c.key(), c.label)),
                "{code}: `{advice}` does not name the crosswalk's {}",
                c.key()
            ),
            None => assert!(!advice.is_empty(), "{code}: no advice"),
        }
        // Ambiguous: --policy most-likely where a likeliest is documented, otherwise ask (police
        // W3 and HESA 163 into DfE: WIRT or WROM).
        match (e.loss, e.code) {
            (Loss::Ambiguous, Some(_)) => {
                assert!(advice.contains("most-likely"), "{code}: `{advice}`");
            }
            (Loss::Ambiguous, None) => assert!(advice.contains("ask which"), "{code}: `{advice}`"),
            _ => {}
        }
        assert!(!advice.contains("OKOR"), "{code}: `{advice}`");
    }
}

/// A long numeric code Excel stored as a number gets the Excel-damage rule, in full digits as in
/// scientific notation (issue 11: `976631000000000` had no hint while `9.76631E+14` did).
#[test]
fn a_rounded_long_number_is_excel_damage() {
    let registry = Registry::new();
    let validator =
        Validator::new(&ReturnSpec::coded("e", "nhs-ethnic-category"), &registry).unwrap();
    let data = "e\n976631000000000\n9.76631E+14\n";
    let table = Table::from_reader("t.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let (_, findings) = validator.findings(table).unwrap();
    let rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::ExcelScientific, Rule::ExcelScientific]);
    assert!(findings[0].message.contains("15 significant digits"));
}

#[test]
fn the_library_writers_write_what_the_cli_prints_in_every_format() {
    use wm_ethnicity::{FindingsContext, FindingsFormat};
    let registry = Registry::new();
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds").with_id_column("UPN");
    let validator = Validator::new(&spec, &registry).unwrap();
    let name = "dfe-census-bad.csv";
    let bytes = std::fs::read(dir().join(name)).unwrap();
    for (format, flag) in [
        (FindingsFormat::Text, "text"),
        (FindingsFormat::Json, "json"),
        (FindingsFormat::Jsonl, "jsonl"),
        (FindingsFormat::Csv, "csv"),
    ] {
        let table = Table::from_reader(name, &bytes[..], &ReadOptions::default()).unwrap();
        let mut out = Vec::new();
        let mut writer = format
            .writer(&mut out, FindingsContext::new(&spec))
            .unwrap();
        let report = validator.validate(table, &mut *writer).unwrap();
        writer.finish(&report).unwrap();
        drop(writer);
        let o = run_in_fixtures(&[
            "validate",
            name,
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
            "--id-column",
            "UPN",
            "--format",
            flag,
        ]);
        assert_eq!(o.status.code(), Some(1), "{flag}: {}", stderr(&o));
        assert_eq!(String::from_utf8(out).unwrap(), stdout(&o), "{flag}");
    }
}

#[test]
fn findings_go_to_an_output_file_like_convert_s() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings.csv");
    let out = out.to_str().unwrap();
    let args = |more: &[&str]| {
        let mut a = vec![
            "validate",
            "dfe-census-bad.csv",
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
            "--format",
            "csv",
        ];
        a.extend(more);
        run_in_fixtures(&a)
    };
    let to_stdout = args(&[]);
    let o = args(&["--output", out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(o.stdout, b"");
    assert_eq!(std::fs::read(out).unwrap(), to_stdout.stdout);
    let o = args(&["--output", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already exists; give --force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(args(&["--output", out, "--force"]).status.code(), Some(1));
    let o = args(&["--output", "dfe-census-bad.csv", "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is the input file"), "{}", stderr(&o));
}

/// With a council named, the text summary sets the column's categories beside the council's
/// Census 2021 population (issue 13, item 3).
#[test]
fn the_summary_compares_a_council_s_return_with_its_census_population() {
    let o = run(&[
        "validate",
        "fixtures/returns/dfe-census-good.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
        "--council",
        "Sandwell",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("compared with Census 2021, Sandwell"),
        "{text}"
    );
    let share = wm_ethnicity::census_2021("Sandwell")
        .unwrap()
        .share(wm_ethnicity::Category::AsianIndian);
    let line = format!(
        "{:>5.1}% of this column, {:>5.1}% of residents",
        0.0,
        share * 100.0
    );
    assert!(
        text.lines()
            .any(|l| l.contains("asian.indian") && l.contains(&line)),
        "{line} in {text}"
    );
    // Without a council there is nothing to compare with.
    let o = run(&[
        "validate",
        "fixtures/returns/dfe-census-good.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "Ethnicity",
    ]);
    assert!(!stdout(&o).contains("compared with Census 2021"));
}

/// `--format html`: one self-contained page (no script, nothing fetched), its counts those of
/// `--format json`, values escaped, and the council's population beside the return (issue 17,
/// item 4).
#[test]
fn the_html_report_is_self_contained_and_agrees_with_json() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("r.csv");
    std::fs::write(
        &path,
        "id,ethnicity\n1,WBRI\n2,APKN\n3,<b>x</b>\n4,REFU\n5,APKN\n6,QQ\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let args = |format: &str| {
        run(&[
            "validate",
            file,
            "--scheme",
            "dfe-cbds",
            "--column",
            "ethnicity",
            "--council",
            "Walsall",
            "--format",
            format,
        ])
    };
    let html = stdout(&args("html"));
    let json: Value = serde_json::from_str(&stdout(&args("json"))).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(
        html.contains("&lt;b&gt;x&lt;/b&gt;") && !html.contains("<b>x</b>"),
        "{html}"
    );
    let errors = json["report"]["errors"].as_u64().unwrap();
    assert!(
        html.contains(&format!("{errors} errors: correct them")),
        "{html}"
    );
    for r in json["report"]["rules"].as_array().unwrap() {
        let heading = format!(
            "<h3>{} {}: {} error",
            r["rule"].as_str().unwrap(),
            r["name"].as_str().unwrap(),
            r["errors"]
        );
        assert!(html.contains(&heading), "{heading} in {html}");
    }
    assert!(html.contains("share of Walsall"), "{html}");
    assert!(html.contains("</html>"));
}

/// `--format xlsx`: a workbook whose findings sheet, read back, holds the findings `--format csv`
/// gives, codes as text; the summary sheet holds the counts (issue 17, item 5).
#[test]
fn the_xlsx_findings_read_back_as_the_csv_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("r.csv");
    std::fs::write(
        &path,
        "id,ethnicity\n1,WBRI\n2,0101\n\n3, apkn\n4,9.76631E+14\n5,REFU\n",
    )
    .unwrap();
    let book = tmp.path().join("findings.xlsx");
    let file = path.to_str().unwrap();
    let base = [
        "validate",
        file,
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
    ];
    let o = run(&[
        &base[..],
        &["--format", "xlsx", "--output", book.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let csv_out = stdout(&run(&[&base[..], &["--format", "csv"]].concat()));
    let want: Vec<Vec<String>> = csv::Reader::from_reader(csv_out.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert!(want.len() >= 3, "{want:?}");
    let (header, got) = crate::xlsx::read_sheet(&book, "Findings");
    assert_eq!(header, wm_ethnicity::FINDING_COLUMNS);
    // CSV guards cells that Excel would read as formulas; the workbook holds text as it is.
    let unguard = |s: &str| s.strip_prefix('\'').unwrap_or(s).to_owned();
    let want: Vec<Vec<String>> = want
        .iter()
        .map(|r| r.iter().map(|c| unguard(c)).collect())
        .collect();
    assert_eq!(got, want);
    // Codes stay text: 0101 is not 101.
    assert!(got.iter().any(|r| r[7] == "0101"), "{got:?}");
    // The summary sheet has no header row: its first row is read as one.
    let (first, rows) = crate::xlsx::read_sheet(&book, "Summary");
    let summary: Vec<(String, String)> = std::iter::once(first)
        .chain(rows)
        .map(|r| (r[0].clone(), r.get(1).cloned().unwrap_or_default()))
        .collect();
    assert!(
        summary.contains(&("Records".into(), "5".into())),
        "{summary:?}"
    );
    let errors = want.iter().filter(|r| r[2] == "error").count();
    assert!(
        summary.contains(&(
            "Result".into(),
            format!("{errors} errors: correct them before submitting")
        )),
        "{summary:?}"
    );
    // Without --output, or with a text encoding, a workbook is refused.
    let o = run(&[&base[..], &["--format", "xlsx"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("give --output FILE.xlsx"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_return_named_by_council_and_dataset_takes_only_its_codes() {
    // Walsall's children-in-need return takes DfE's 20 main codes only (its profile, from CIN
    // rule 4220): WENG is an error there naming WBRI; the school census takes it.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("cin.csv");
    std::fs::write(&path, "ref,Ethnicity\nC1,WBRI\nC2,WENG\nC3,APKN\n").unwrap();
    let file = path.to_str().unwrap();
    let findings = |extra: &[&str]| {
        let base = [
            "validate",
            file,
            "--column",
            "Ethnicity",
            "--format",
            "json",
        ];
        let o = run_in_fixtures(&[&base[..], extra].concat());
        let doc: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|_| panic!("{extra:?}: {}", stderr(&o)));
        let rules: Vec<(String, u64)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["record"].as_u64().unwrap(),
                )
            })
            .collect();
        (o.status.code(), rules)
    };
    let cin = ["--council", "walsall", "--dataset", "children-in-need"];
    let want = (Some(1), vec![("WM019".to_owned(), 2)]);
    // The scheme from the profile, or given and the same: the same answer.
    assert_eq!(findings(&cin), want);
    assert_eq!(
        findings(&[&cin[..], &["--scheme", "dfe-cbds"]].concat()),
        want
    );
    // The school census takes the extended codes; without the return nothing says which codes.
    let census = ["--council", "walsall", "--dataset", "school-census"];
    assert_eq!(findings(&census), (Some(0), vec![]));
    assert_eq!(findings(&["--scheme", "dfe-cbds"]), (Some(0), vec![]));
    // A dataset the council's profile does not have, and a scheme that is not the return's.
    let o = run_in_fixtures(&[
        "validate",
        file,
        "--column",
        "Ethnicity",
        "--council",
        "walsall",
        "--dataset",
        "cin",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `cin` return"), "{}", stderr(&o));
    assert!(stderr(&o).contains("children-in-need"), "{}", stderr(&o));
    let o = run_in_fixtures(
        &[
            &["validate", file, "--column", "Ethnicity"][..],
            &cin,
            &["--scheme", "nhs-ethnic-category"],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dfe-cbds"), "{}", stderr(&o));
}

/// `ColumnProfile::beside`, what the text summary, the HTML report and the browser page show:
/// every category once, in the standard's order, its share of the records placed in a category
/// beside the population's share; the gaps ordered largest (either way) first.
#[test]
fn a_column_beside_the_census_has_every_category_and_its_largest_gaps_first() {
    let data = "Ethnicity\nWBRI\nAPKN\nAPKN\nAIND\nREFU\nWIRI\n\n";
    let table = Table::from_reader("r.csv", data.as_bytes(), &ReadOptions::default()).unwrap();
    let registry = Registry::new();
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds");
    let report = Validator::new(&spec, &registry)
        .unwrap()
        .check(table)
        .unwrap();
    let pop = wm_ethnicity::census_2021("Dudley").unwrap();
    let b = report.columns[0].beside(pop).unwrap();
    assert_eq!((b.area_code.as_str(), b.placed), ("E08000027", 5));
    let order: Vec<_> = b.categories.iter().map(|c| c.category).collect();
    assert_eq!(order, wm_ethnicity::Category::ALL);
    let apkn = &b.categories[wm_ethnicity::Category::AsianPakistani as usize];
    assert_eq!(apkn.records, 2);
    assert!((apkn.share - 0.4).abs() < 1e-12, "{apkn:?}");
    assert!((apkn.population_share - pop.share(apkn.category)).abs() < 1e-12);
    let total: f64 = b.categories.iter().map(|c| c.share).sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    let gaps: Vec<f64> = b.largest_gaps().map(|c| c.gap.abs()).collect();
    assert_eq!(gaps.len(), b.categories.len());
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{gaps:?}");
    // Dudley's residents are mostly White British, a fifth of this column; two fifths of it are
    // Pakistani: the largest gap is below the population, the next above it.
    let first: Vec<_> = b.largest_gaps().take(2).collect();
    assert_eq!(first[0].category, wm_ethnicity::Category::WhiteBritish);
    assert!(first[0].gap < -0.5, "{first:?}");
    assert_eq!(first[1].category, wm_ethnicity::Category::AsianPakistani);
    assert!(first[1].gap > 0.3, "{first:?}");
    // A column with nothing placed in a category has nothing to compare.
    let table = Table::from_reader(
        "r.csv",
        "Ethnicity\nREFU\n".as_bytes(),
        &ReadOptions::default(),
    )
    .unwrap();
    let report = Validator::new(&spec, &registry)
        .unwrap()
        .check(table)
        .unwrap();
    assert_eq!(report.columns[0].beside(pop), None);
}
