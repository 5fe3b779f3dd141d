//! The README can be followed as written (issue 11, item 11): every `wm-ethnicity` (or `cargo
//! run --`) command of its `sh` blocks runs on shipped files without a usage error, and every
//! flag the command-line section names exists.

use crate::cli::stderr;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_wm-ethnicity");

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The commands of the README's `sh` blocks that run the tool, as written (continued lines
/// joined, comments dropped), with `cargo run [--release] --` as `wm-ethnicity`.
fn commands(readme: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        let text = std::mem::take(&mut pending);
        let text = text.split(" #").next().unwrap_or("").trim().to_owned();
        let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        let args = match words.first().map(String::as_str) {
            Some("wm-ethnicity") => words[1..].to_vec(),
            Some("cargo") if words.get(1).is_some_and(|w| w == "run") => {
                let dash = words
                    .iter()
                    .position(|w| w == "--")
                    .expect("cargo run -- ARGS");
                words[dash + 1..].to_vec()
            }
            _ => continue,
        };
        out.push(args);
    }
    out
}

#[test]
fn every_readme_command_runs_as_written_on_shipped_files() {
    let text = readme();
    assert!(
        text.find("cargo install --path .").unwrap() < text.find("wm-ethnicity convert").unwrap(),
        "the install step comes first"
    );
    let commands = commands(&text);
    assert!(commands.len() >= 12, "{commands:?}");
    // The clone, as a user has it: the shipped fixtures, an empty folder for outputs.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("fixtures"), dir.path().join("fixtures")).unwrap();
    #[cfg(not(unix))]
    return;
    std::fs::create_dir(dir.path().join("target")).unwrap();
    for args in &commands {
        // Every input it names ships (or an earlier command wrote it).
        for (i, a) in args.iter().enumerate() {
            let output = i > 0 && matches!(args[i - 1].as_str(), "--output" | "-o" | "--rejects");
            let file_like = [".csv", ".yaml", ".jsonl", ".xlsx", ".tsv"]
                .iter()
                .any(|e| a.ends_with(e));
            if file_like && !output {
                assert!(dir.path().join(a).exists(), "{a} does not ship: {args:?}");
            }
        }
        let o = Command::new(BIN)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "`wm-ethnicity {}` exited {:?}: {}",
            args.join(" "),
            o.status.code(),
            stderr(&o)
        );
    }
}

#[test]
fn every_flag_the_command_line_section_names_exists() {
    let text = readme();
    let start = text.find("## The command line").unwrap();
    let end = text.find("## The library").unwrap();
    let section = &text[start..end];
    let mut help = String::new();
    for cmd in [
        &["standard"][..],
        &["schemes"],
        &["councils"],
        &["lookup"],
        &["crosswalk"],
        &["scheme", "check"],
        &["validate"],
        &["convert"],
        &["aggregate"],
        &["detect"],
        &["mapping", "check"],
        &["fhir"],
    ] {
        let o = Command::new(BIN).args(cmd).arg("--help").output().unwrap();
        help.push_str(&String::from_utf8_lossy(&o.stdout));
    }
    // The old spellings, hidden from --help for one release, as the README says.
    let hidden = ["--code-column", "--label-column"];
    let mut flags: Vec<&str> = section
        .match_indices("--")
        .map(|(i, _)| {
            let rest = &section[i..];
            let n = 2 + rest[2..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(rest.len() - 2);
            &rest[..n]
        })
        .filter(|f| f.len() > 2)
        .collect();
    flags.sort_unstable();
    flags.dedup();
    assert!(flags.len() > 15, "{flags:?}");
    for flag in flags {
        if hidden.contains(&flag) {
            continue;
        }
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "the README names {flag}, which no command has"
        );
    }
    // What it says of --format.
    for (cmd, values) in [
        (&["validate"][..], "text, json, jsonl, csv, html, xlsx"),
        (&["detect"], "text, json"),
        (&["lookup"], "text, json, jsonl, csv"),
        (&["convert"], "csv, jsonl, parquet, arrow, xlsx"),
        (&["aggregate"], "csv, json, text"),
    ] {
        let o = Command::new(BIN).args(cmd).arg("-h").output().unwrap();
        let help = String::from_utf8_lossy(&o.stdout);
        let line = help
            .lines()
            .find(|l| l.contains("--format"))
            .unwrap_or_default()
            .to_owned();
        assert!(
            line.contains(values) || help.contains(&format!("[possible values: {values}]")),
            "{cmd:?}: {line}"
        );
    }
}
