//! The command line as a user runs it: exit codes, formats, errors.

use std::process::{Command, Output};

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// The python of a venv a script in `scripts/` makes (it prints the python's path), or `None`
/// when `PyPI` cannot be reached to install it: the caller skips, saying so. Any other failure
/// panics.
#[allow(clippy::print_stderr)]
pub fn venv_python(script: &str) -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("bash")
        .arg(root.join("scripts").join(script))
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    if o.status.success() {
        return Some(String::from_utf8_lossy(&o.stdout).trim().into());
    }
    let why = String::from_utf8_lossy(&o.stderr);
    let offline = [
        "Max retries",
        "NewConnectionError",
        "Temporary failure in name resolution",
    ];
    assert!(
        offline.iter().any(|s| why.contains(s)),
        "scripts/{script} failed: {why}"
    );
    eprintln!("SKIPPED: PyPI is unreachable, scripts/{script} cannot install its packages: {why}");
    None
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Validates a JSON document the CLI printed against its shipped JSON Schema.
pub fn assert_matches_schema(json: &str, schema_file: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(json).expect("the CLI printed JSON");
    let schema_path = format!("{}/schema/{schema_file}", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:?}");
    value
}

#[test]
fn nhs_dfe_and_police_codes_reach_the_same_category() {
    for (scheme, code) in [
        ("nhs-ethnic-category", "J"),
        ("dfe-cbds", "APKN"),
        ("police-sde", "A2"),
    ] {
        let o = run(&["lookup", "--scheme", scheme, code, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v = assert_matches_schema(&stdout(&o), "output/lookup.schema.json");
        let r = &v["results"][0];
        assert_eq!(r["category"]["code"], "asian.pakistani", "{scheme} {code}");
        assert_eq!(r["relationship"], "equivalent");
        assert_eq!(r["matched"], "exact");
    }
    let o = run(&["lookup", "--scheme", "dfe-cbds", "WIRT", "--format", "json"]);
    let v = assert_matches_schema(&stdout(&o), "output/lookup.schema.json");
    assert_eq!(
        v["results"][0]["category"]["code"],
        "white.gypsy-irish-traveller"
    );
    assert_eq!(
        v["results"][0]["category"]["label"],
        "Gypsy or Irish Traveller"
    );
}

#[test]
fn lowercase_and_padded_input_is_normalised_and_says_so() {
    let o = run(&[
        "lookup", "--scheme", "dfe-cbds", " apkn ", "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v = assert_matches_schema(&stdout(&o), "output/lookup.schema.json");
    assert_eq!(v["results"][0]["matched"], "normalised");
    assert_eq!(v["results"][0]["normalised"], "APKN");
    let text = stdout(&run(&["lookup", "--scheme", "dfe-cbds", "apkn"]));
    assert!(
        text.contains("normalised from \"apkn\" to \"APKN\""),
        "{text}"
    );
}

#[test]
fn an_unknown_code_exits_1_naming_the_scheme_and_nearest_codes() {
    let o = run(&["lookup", "--scheme", "dfe-cbds", "APNK"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.contains("not a code of dfe-cbds") && text.contains("APKN"),
        "{text}"
    );
}

#[test]
fn a_code_starting_with_a_hyphen_is_a_value_not_a_flag() {
    // ONS -8 "Does not apply", before and after other flags and codes.
    for args in [
        &["lookup", "--scheme", "ons-2021-ew", "-8"][..],
        &["lookup", "-8", "--scheme", "ons-2021-ew"],
        &[
            "lookup",
            "--scheme",
            "ons-2021-ew",
            "1",
            "-8",
            "--format",
            "json",
        ],
        &["lookup", "--scheme", "ons-2021-ew", "--", "-8"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("Does not apply"), "{args:?}: {out}");
        assert!(!out.contains("not a code"), "{args:?}: {out}");
    }
    let o = run(&[
        "lookup",
        "--scheme",
        "ons-2021-ew",
        "-8",
        "--format",
        "json",
    ]);
    let v = assert_matches_schema(&stdout(&o), "output/lookup.schema.json");
    assert_eq!(v["results"][0]["code"], "-8");
    assert_eq!(v["results"][0]["node"]["code"], "not-applicable");
}

#[test]
fn an_unknown_scheme_exits_2_with_one_line() {
    let o = run(&["lookup", "--scheme", "nhs", "J"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown scheme `nhs`"), "{err}");
}

#[test]
fn broader_codes_list_their_candidates() {
    let o = run(&[
        "lookup",
        "--scheme",
        "nhs-ethnic-category",
        "C",
        "--format",
        "json",
    ]);
    let v = assert_matches_schema(&stdout(&o), "output/lookup.schema.json");
    let r = &v["results"][0];
    assert_eq!(r["relationship"], "broader");
    assert_eq!(r["node"]["code"], "white");
    assert_eq!(r["node"]["level"], "group");
    let c: Vec<&str> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        c,
        ["white.gypsy-irish-traveller", "white.roma", "white.other"]
    );
}

#[test]
fn crosswalk_states_the_loss() {
    let o = run(&[
        "crosswalk",
        "--from",
        "dfe-cbds",
        "--to",
        "nhs-ethnic-category",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v = assert_matches_schema(&stdout(&o), "output/crosswalk.schema.json");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 103);
    let wirt = rows.iter().find(|r| r["from_code"] == "WIRT").unwrap();
    assert_eq!(wirt["to_code"], "C");
    assert_eq!(wirt["loss"], "generalised");
    let csv = stdout(&run(&[
        "crosswalk",
        "--from",
        "dfe-cbds",
        "--to",
        "nhs-ethnic-category",
        "--format",
        "csv",
    ]));
    assert_eq!(csv.lines().count(), 104);
    assert!(csv.starts_with("from_code,from_label,via,to_code,to_label,loss,note"));
}

#[test]
fn standard_and_schemes_list_everything() {
    let v = assert_matches_schema(
        &stdout(&run(&["standard", "--format", "json"])),
        "output/standard.schema.json",
    );
    assert_eq!(v["nodes"].as_array().unwrap().len(), 5 + 19 + 287 + 5);
    let v = assert_matches_schema(
        &stdout(&run(&[
            "standard", "--level", "category", "--format", "json",
        ])),
        "output/standard.schema.json",
    );
    assert_eq!(v["nodes"].as_array().unwrap().len(), 19);
    let v = assert_matches_schema(
        &stdout(&run(&["schemes", "--format", "json"])),
        "output/schemes.schema.json",
    );
    assert_eq!(v.as_array().unwrap().len(), 18);
    let v = assert_matches_schema(
        &stdout(&run(&["councils", "--format", "json"])),
        "output/councils.schema.json",
    );
    assert_eq!(v.as_array().unwrap().len(), 7);
}

#[test]
fn scheme_check_accepts_good_local_schemes_and_places_errors() {
    let o = run(&[
        "scheme",
        "check",
        "fixtures/schemes/good-local-nhs.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_matches_schema(&stdout(&o), "output/scheme-check.schema.json");
    for (file, line, col, words) in [
        (
            "fixtures/schemes/bad-duplicate-code.yaml",
            16,
            12,
            "duplicate code `a1`: already defined for `Indian`",
        ),
        (
            "fixtures/schemes/bad-unknown-target.yaml",
            11,
            32,
            "`asian.pakistan` is not a node of the standard (did you mean asian.pakistani",
        ),
        (
            "fixtures/schemes/bad-duplicate-key.yaml",
            10,
            5,
            "duplicate mapping key: code",
        ),
        (
            "fixtures/schemes/bad-not-a-scheme.yaml",
            1,
            1,
            "expected mapping",
        ),
    ] {
        let o = run(&["scheme", "check", file]);
        assert_eq!(o.status.code(), Some(1), "{file}");
        let text = stdout(&o);
        assert!(
            text.starts_with(&format!("{file}:{line}:{col}")),
            "{file}: {text}"
        );
        assert!(text.contains(words), "{file}: {text}");
    }
}
