//! What the command line says (issue 11, item 12): errors once and in the right place, counts
//! people can read, lines that fit a terminal, a closed pipe ended quietly.

use crate::cli::{run, stderr, stdout};
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn an_io_error_says_its_cause_once() {
    let o = run(&[
        "convert",
        "no-such-file.csv",
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-file.csv"), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn scheme_check_of_a_missing_file_exits_2_with_one_line_on_stderr() {
    let o = run(&["scheme", "check", "no-such-scheme.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("wm-ethnicity: error: no-such-scheme.yaml: cannot read: no such file"),
        "{err}"
    );
}

#[test]
fn rejects_of_several_aggregated_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "e\nJ\nQQ\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "e\nXX\nA\n").unwrap();
    let rejects = dir.path().join("rejects.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .current_dir(dir.path())
        .args([
            "aggregate",
            "a.csv",
            "b.csv",
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "e",
            "--to",
            "group",
            "--rejects",
            "rejects.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("file,line,record,row,column,value,"),
        "{text}"
    );
    assert!(lines[1].starts_with("a.csv,3,2,3,e,QQ,"), "{text}");
    assert!(lines[2].starts_with("b.csv,2,1,2,e,XX,"), "{text}");
    // One input: no file column (the file is the one input).
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .current_dir(dir.path())
        .args([
            "aggregate",
            "a.csv",
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "e",
            "--to",
            "group",
            "--rejects",
            "rejects.csv",
            "--force",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.starts_with("line,record,"), "{text}");
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    let mut text = String::from("id,ethnicity\n");
    for i in 0..50_000 {
        writeln!(text, "{i},QQ").unwrap();
    }
    std::fs::write(&input, text).unwrap();
    for format in ["csv", "jsonl", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
            .args(["validate", "--scheme", "nhs-ethnic-category", "--column"])
            .args(["ethnicity", "--format", format])
            .arg(&input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is gone (as after `| head -1`).
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(err, "", "{format}");
        assert_ne!(out.status.code(), Some(2), "{format}");
    }
}

#[test]
fn the_findings_preview_lists_errors_before_queries() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.csv");
    std::fs::write(
        &input,
        "id,e\n1,Z\n2,Z\n3,QQ\n4,Z\n5,QQ\n6,A\n7,A\n8,A\n9,A\n10,A\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args([
            "validate",
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "e",
        ])
        .args(["--max-residual-share", "1", "--max-findings", "3"])
        .arg(&input)
        .output()
        .unwrap();
    let text = stdout(&o);
    let listed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("First 3 of 5 findings"))
        .skip(1)
        .take(3)
        .collect();
    assert_eq!(listed.len(), 3, "{text}");
    assert!(listed[0].contains("(record 3), column e: error"), "{text}");
    assert!(listed[1].contains("(record 5), column e: error"), "{text}");
    assert!(listed[2].contains("(record 1), column e: query"), "{text}");
}

#[test]
fn summaries_count_with_thousands_separators_and_fit_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.csv");
    let mut text = String::from("id,ethnicity\n");
    for i in 0..1234 {
        let code = ["WBRI", "WIRT", "MWBC", "AOTH"][i % 4];
        writeln!(text, "{i},{code}").unwrap();
    }
    std::fs::write(&input, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(["validate", "--scheme", "dfe-cbds", "--column", "ethnicity"])
        .arg(&input)
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.contains("  records:   1,234\n"), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "  by category:")
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    for line in &table {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(["convert", "--scheme", "dfe-cbds", "--column", "ethnicity"])
        .arg(&input)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(
        err.contains("rows in:    1,234 = converted 1,234 + rejected 0"),
        "{err}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(["aggregate", "--scheme", "dfe-cbds", "--column", "ethnicity"])
        .args(["--to", "group"])
        .arg(&input)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(
        err.contains("totals:        input 1,234 = output 1,234 + rejected 0"),
        "{err}"
    );
}
