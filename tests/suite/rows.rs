//! Every row of a return counted and placed: rows that hold nothing are blank rows, never
//! records (issue 11, item 12).

use crate::cli::{stderr, stdout};
use crate::xlsx::write_xlsx;
use std::path::Path;
use std::process::{Command, Output};
use wm_ethnicity::{Converter, Plan, SchemeFrom, Synonyms, convert_stream};
use wm_ethnicity::{ReadOptions, Table};
use wm_ethnicity::{RecordFormat, RecordWriter, RejectWriter};
use wm_ethnicity::{Registry, ReturnSpec, Validator};

/// Runs the binary in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// An Excel CSV export: empty rows above the header, rows of empty cells between and after the
/// records, one with fewer fields than the header, and a line of spaces.
const EMPTY_ROWS: &str = "\n;;\nUPN;Ethnicity;Notes\nA1;WBRI;x\n;;\n   \nA2;APKN;\n;;;;;\n;;\n";

#[test]
fn rows_that_hold_nothing_are_blank_rows_never_findings_or_rejects() {
    let registry = Registry::new();
    let open = || Table::from_reader("t.csv", EMPTY_ROWS.as_bytes(), &ReadOptions::default());
    let table = open().unwrap();
    assert_eq!(table.header(), ["UPN", "Ethnicity", "Notes"]);
    assert_eq!(table.header_line(), 3);
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds").with_id_column("UPN");
    let (report, findings) = Validator::new(&spec, &registry)
        .unwrap()
        .findings(table)
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    // The six rows after the header: two records, four rows that hold nothing.
    assert_eq!((report.records, report.blank_lines), (2, 4));

    let table = open().unwrap();
    let plan = Plan::new("Ethnicity", SchemeFrom::Fixed("dfe-cbds".into()));
    let conv = Converter::new(
        &registry,
        Synonyms::builtin(),
        &plan,
        table.header(),
        "t.csv",
    )
    .unwrap();
    let mut out = RecordWriter::new(Vec::new(), RecordFormat::Csv, table.header(), false).unwrap();
    let mut rejects = RejectWriter::new(Vec::new()).unwrap();
    let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
    assert_eq!(
        (s.rows, s.converted, s.rejected, s.blank_lines),
        (2, 2, 0, 4)
    );
    let rejects = String::from_utf8(rejects.finish().unwrap()).unwrap();
    assert_eq!(rejects.lines().count(), 1, "only the header: {rejects}");
}

#[test]
fn the_summaries_say_how_many_empty_rows_were_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.csv"), EMPTY_ROWS).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "validate",
            "r.csv",
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("records:   2 (and 4 blank or empty rows skipped: not records)"),
        "{}",
        stdout(&o)
    );
    let o = run_in(
        dir.path(),
        &[
            "convert",
            "r.csv",
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
            "-o",
            "out.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("rows in:    2 = converted 2 + rejected 0"),
        "{text}"
    );
    assert!(
        text.contains("skipped:    4 blank or empty rows (not records)"),
        "{text}"
    );
}

#[test]
fn sheet_rows_of_formatted_empty_cells_are_blank_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    write_xlsx(
        &path,
        &[(
            "Pupils",
            &[
                (1, &[Some("UPN"), Some("Ethnicity")]),
                (2, &[Some("A1"), Some("WBRI")]),
                (3, &[Some(""), Some(" ")]),
                (4, &[Some("A2"), Some("APKN")]),
                (5, &[Some(""), Some("")]),
                (6, &[None, Some("")]),
            ],
        )],
    );
    let table = Table::open(&path, &ReadOptions::default()).unwrap();
    let registry = Registry::new();
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds").with_id_column("UPN");
    let (report, findings) = Validator::new(&spec, &registry)
        .unwrap()
        .findings(table)
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!((report.records, report.blank_lines), (2, 3));
}
