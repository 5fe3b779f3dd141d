//! Every row of a return counted and placed: each record knows the spreadsheet row Excel shows
//! (issue 11, item 6), and rows that hold nothing are blank rows, never records (item 12).

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

/// A CSV return as Excel opens it: a blank line is a row; a quoted value with a line break takes
/// two lines in a text editor but one row. Rows 4, 5, 8 and 9 hold codes dfe-cbds does not have.
const MULTI_LINE: &str = "UPN,Ethnicity,Notes\r\n\
A1,WBRI,x\r\n\
\r\n\
A2,QQQ,\"two\r\nlines\"\r\n\
A3,ZZZ,\r\n\
\r\n\
\r\n\
A4,\"X\r\nY\",\r\n\
A5,WXYZ,\r\n";

/// (line, row, record) of every finding about the coded column.
fn places(findings: &[wm_ethnicity::Finding]) -> Vec<(Option<u64>, Option<u64>, Option<u64>)> {
    findings
        .iter()
        .filter(|f| f.column.as_deref() == Some("Ethnicity"))
        .map(|f| (f.line, f.row, f.record))
        .collect()
}

#[test]
fn every_finding_names_the_row_excel_shows_after_blank_lines_and_line_breaks() {
    let registry = Registry::new();
    let opts = ReadOptions::default();
    let table = Table::from_reader("r.csv", MULTI_LINE.as_bytes(), &opts).unwrap();
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds");
    let (_, findings) = Validator::new(&spec, &registry)
        .unwrap()
        .findings(table)
        .unwrap();
    // Not record + 1 (3, 4, 5, 6): the blank rows count, the broken values do not.
    assert_eq!(
        places(&findings),
        [
            (Some(4), Some(4), Some(2)),
            (Some(6), Some(5), Some(3)),
            (Some(9), Some(8), Some(4)),
            (Some(11), Some(9), Some(5)),
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.csv"), MULTI_LINE).unwrap();
    let validate = |format: &str| {
        let o = run_in(
            dir.path(),
            &[
                "validate",
                "r.csv",
                "--scheme",
                "dfe-cbds",
                "--column",
                "Ethnicity",
                "--format",
                format,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o)
    };
    let text = validate("text");
    assert!(
        text.contains("  row 5, line 6 (record 3), column Ethnicity: error WM001"),
        "{text}"
    );
    assert!(
        text.contains("  row 4 (record 2), column Ethnicity: error WM001"),
        "{text}"
    );
    assert!(
        text.contains("(row = the row Excel shows; line = a text editor's line"),
        "{text}"
    );
    let rows: Vec<String> = csv::Reader::from_reader(validate("csv").as_bytes())
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| r.unwrap()["row"].clone())
        .collect();
    assert_eq!(rows, ["4", "5", "8", "9"]);
    let rows: Vec<u64> = validate("jsonl")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["row"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(rows, [4, 5, 8, 9]);
    let json: serde_json::Value = serde_json::from_str(&validate("json")).unwrap();
    let rows: Vec<u64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [4, 5, 8, 9]);
}

#[test]
fn every_reject_names_the_row_excel_shows_after_blank_lines_and_line_breaks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.csv"), MULTI_LINE).unwrap();
    let convert = |extra: &[&str]| {
        let mut args = vec![
            "convert",
            "r.csv",
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
            "-o",
            "out.csv",
            "--force",
        ];
        args.extend(extra);
        let o = run_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stderr(&o)
    };
    convert(&["--rejects", "rejects.csv"]);
    let rejects: Vec<(String, String, String)> =
        csv::Reader::from_path(dir.path().join("rejects.csv"))
            .unwrap()
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|r| {
                let r = r.unwrap();
                (r["line"].clone(), r["row"].clone(), r["record"].clone())
            })
            .collect();
    let want = [
        ("4", "4", "2"),
        ("6", "5", "3"),
        ("9", "8", "4"),
        ("11", "9", "5"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect();
    assert_eq!(rejects, want);
    let err = convert(&[]);
    assert!(err.contains("r.csv:4: Ethnicity: rejected: WM001"), "{err}");
    assert!(
        err.contains("r.csv:6 (row 5): Ethnicity: rejected: WM001"),
        "{err}"
    );
}

#[test]
fn a_sheet_record_is_on_its_sheet_row_and_json_lines_have_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    write_xlsx(
        &path,
        &[(
            "Pupils",
            &[
                (1, &[Some("UPN"), Some("Ethnicity")]),
                (2, &[Some("A1"), Some("WBRI")]),
                (4, &[Some("A2"), Some("QQQ")]),
                (5, &[Some(""), Some("")]),
                (6, &[Some("A3"), Some("ZZZ")]),
            ],
        )],
    );
    let registry = Registry::new();
    let spec = ReturnSpec::coded("Ethnicity", "dfe-cbds");
    let validator = Validator::new(&spec, &registry).unwrap();
    let table = Table::open(&path, &ReadOptions::default()).unwrap();
    assert_eq!(table.header_row(), Some(1));
    let (report, findings) = validator.findings(table).unwrap();
    assert_eq!((report.records, report.blank_lines), (3, 2));
    assert_eq!(
        places(&findings),
        [(Some(4), Some(4), Some(2)), (Some(6), Some(6), Some(3))]
    );

    let jsonl = "{\"Ethnicity\": \"WBRI\"}\n\n{\"Ethnicity\": \"QQQ\"}\n";
    let table = Table::from_reader("r.jsonl", jsonl.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(table.header_row(), None);
    let (_, findings) = validator.findings(table).unwrap();
    assert_eq!(places(&findings), [(Some(3), None, Some(2))]);
    assert!(
        findings[0].to_string().starts_with("line 3 (record 2)"),
        "{}",
        findings[0]
    );
}
