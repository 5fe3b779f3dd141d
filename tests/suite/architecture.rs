//! The crate's modules depend on each other one way, lowest first (docs/architecture.md). This
//! test reads every `crate::` path in src/ and fails on a module that reaches one at its own level
//! or above it.

use std::path::Path;

/// The order, lowest first: a module may use only modules of a lower level. Modules on one line
/// are peers and do not use each other. Keep in step with docs/architecture.md.
const LEVELS: &[&[&str]] = &[
    &["text", "date"],
    &["error"],
    &["yaml", "io"],
    &["standard"],
    &["scheme"],
    &["crosswalk"],
    &["council"],
    &["rules", "census"],
    &["characteristic", "multiple"],
    &["spec"],
    &["privacy"],
    &["resolve"],
    &["convert", "detect", "validate", "mapcheck"],
    &["aggregate"],
    &["rates"],
    &["disclosure"],
    &["evidence"],
    &["output"],
];

fn level(module: &str) -> Option<usize> {
    LEVELS.iter().position(|l| l.contains(&module))
}

/// The crate module a file of src/ belongs to (`src/io/csv.rs` is `io`; the generated tables
/// belong to the module that includes them).
fn module_of(rel: &str) -> Option<String> {
    match rel {
        "lib.rs" | "main.rs" => None,
        "generated/schemes.rs" => Some("scheme".into()),
        "generated/standard.rs" => Some("standard".into()),
        _ => {
            let first = rel.split('/').next().unwrap();
            Some(first.trim_end_matches(".rs").to_owned())
        }
    }
}

/// The modules named by `crate::NAME` in `text`, code only (comments are skipped).
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
            rest = after;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn modules_depend_on_lower_modules_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_of(&rel) else {
            continue;
        };
        if module == "cli" {
            // The binary: it uses the library through `wm_ethnicity::`, and anything below it.
            continue;
        }
        let Some(own) = level(&module) else {
            wrong.push(format!("{rel}: module `{module}` has no place in LEVELS"));
            continue;
        };
        for used in crate_paths(&std::fs::read_to_string(f).unwrap()) {
            if used == module {
                continue;
            }
            seen += 1;
            match level(&used) {
                Some(l) if l < own => {}
                Some(_) => wrong.push(format!("{rel}: `{module}` uses `crate::{used}`")),
                None => wrong.push(format!("{rel}: uses `crate::{used}`, which has no level")),
            }
        }
    }
    assert!(
        seen > 50,
        "only {seen} crate paths found: is the scan broken?"
    );
    assert!(
        wrong.is_empty(),
        "imports against the order:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_sees_a_wrong_import() {
    assert_eq!(
        crate_paths("use crate::validate::Rule; // crate::x\nlet a = crate::io::open();"),
        ["validate", "io"]
    );
    assert!(level("validate").unwrap() > level("spec").unwrap());
    assert_eq!(module_of("io/csv.rs").as_deref(), Some("io"));
    assert_eq!(module_of("lib.rs"), None);
}
