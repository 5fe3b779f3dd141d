//! Every row of a return counted and placed: each record knows the spreadsheet row Excel shows
//! (issue 11, item 6); a sheet is chosen by name or number and the header by its row, and a
//! missing column's error says where the column is (item 9); rows that hold nothing are blank
//! rows, never records (item 12).

use crate::cli::{stderr, stdout};
use crate::xlsx::{Cell, Sheet, write_ods, write_xlsx};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wm_ethnicity::{AddedColumns, RecordFormat, RecordWriter, RejectWriter};
use wm_ethnicity::{Converter, Plan, SchemeFrom, Synonyms, convert_stream};
use wm_ethnicity::{Finding, Registry, Report, ReturnSpec, Validator};
use wm_ethnicity::{ReadOptions, Table};

/// Runs `wm-ethnicity COMMAND FILE --scheme dfe-cbds --column Ethnicity EXTRA...` in `dir`.
fn coded(dir: &Path, command: &str, file: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wm-ethnicity"))
        .args([
            command,
            file,
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
        ])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Asserts that `text` holds `want`, showing `text` when not.
fn has(text: &str, want: &str) {
    assert!(text.contains(want), "no `{want}` in:\n{text}");
}

/// Validates `table` against `spec`, with the built-in schemes.
fn validate_as(
    table: Table<'_>,
    spec: &ReturnSpec,
) -> wm_ethnicity::Result<(Report, Vec<Finding>)> {
    let registry = Registry::new();
    Validator::new(spec, &registry).unwrap().findings(table)
}

/// Validates `table`: the coded column Ethnicity in dfe-cbds, with ids in UPN when `ids`.
fn validated(table: Table<'_>, ids: bool) -> (Report, Vec<Finding>) {
    let mut spec = ReturnSpec::coded("Ethnicity", "dfe-cbds");
    if ids {
        spec = spec.with_id_column("UPN");
    }
    validate_as(table, &spec).unwrap()
}

/// Why validating `table` for a coded column `column` in dfe-cbds could not start.
fn validated_error(table: Table<'_>, column: &str) -> String {
    let spec = ReturnSpec::coded(column, "dfe-cbds");
    validate_as(table, &spec).unwrap_err().to_string()
}

/// A workbook `r.xlsx` in `dir` of one sheet, `Pupils`, holding `rows`.
fn pupils_sheet(dir: &Path, rows: &[(u32, &[Cell<'_>])]) -> PathBuf {
    let path = dir.join("r.xlsx");
    write_xlsx(&path, &[("Pupils", rows)]);
    path
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
    let (report, findings) = validated(table, true);
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
    let mut out = RecordWriter::new(
        Vec::new(),
        RecordFormat::Csv,
        table.header(),
        AddedColumns::default(),
    )
    .unwrap();
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
    let o = coded(dir.path(), "validate", "r.csv", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("records:   2 (and 4 blank or empty rows skipped: not records)"),
        "{}",
        stdout(&o)
    );
    let o = coded(dir.path(), "convert", "r.csv", &["-o", "out.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    has(&text, "rows in:    2 = converted 2 + rejected 0");
    has(&text, "skipped:    4 blank or empty rows (not records)");
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
fn places(findings: &[Finding]) -> Vec<(Option<u64>, Option<u64>, Option<u64>)> {
    findings
        .iter()
        .filter(|f| f.column.as_deref() == Some("Ethnicity"))
        .map(|f| (f.line, f.row, f.record))
        .collect()
}

#[test]
fn every_finding_names_the_row_excel_shows_after_blank_lines_and_line_breaks() {
    let opts = ReadOptions::default();
    let table = Table::from_reader("r.csv", MULTI_LINE.as_bytes(), &opts).unwrap();
    let (_, findings) = validated(table, true);
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
        let o = coded(dir.path(), "validate", "r.csv", &["--format", format]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o)
    };
    let text = validate("text");
    has(
        &text,
        "  row 5, line 6 (record 3), column Ethnicity: error WM001",
    );
    has(&text, "  row 4 (record 2), column Ethnicity: error WM001");
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
        let o = coded(
            dir.path(),
            "convert",
            "r.csv",
            &[&["-o", "out.csv", "--force"], extra].concat(),
        );
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
    has(&err, "r.csv:4: Ethnicity: rejected: WM001");
    has(&err, "r.csv:6 (row 5): Ethnicity: rejected: WM001");
}

#[test]
fn a_sheet_record_is_on_its_sheet_row_empty_sheet_rows_are_blank_and_json_lines_have_no_row() {
    // Row 3 is missing (Excel shows it empty); rows 5, 7 and 8 hold only formatted or blank
    // cells, at the end too: blank rows, neither records nor findings.
    let dir = tempfile::tempdir().unwrap();
    let path = pupils_sheet(
        dir.path(),
        &[
            (1, &[Some("UPN"), Some("Ethnicity")]),
            (2, &[Some("A1"), Some("WBRI")]),
            (4, &[Some("A2"), Some("QQQ")]),
            (5, &[Some(""), Some(" ")]),
            (6, &[Some("A3"), Some("ZZZ")]),
            (7, &[Some(""), Some("")]),
            (8, &[None, Some("")]),
        ],
    );
    let table = Table::open(&path, &ReadOptions::default()).unwrap();
    assert_eq!(table.header_row(), Some(1));
    let (report, findings) = validated(table, true);
    assert_eq!((report.records, report.blank_lines), (3, 4));
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(
        places(&findings),
        [(Some(4), Some(4), Some(2)), (Some(6), Some(6), Some(3))]
    );

    let jsonl = "{\"Ethnicity\": \"WBRI\"}\n\n{\"Ethnicity\": \"QQQ\"}\n";
    let table = Table::from_reader("r.jsonl", jsonl.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(table.header_row(), None);
    let (_, findings) = validated(table, false);
    assert_eq!(places(&findings), [(Some(3), None, Some(2))]);
    assert!(
        findings[0].to_string().starts_with("line 3 (record 2)"),
        "{}",
        findings[0]
    );
}

/// A workbook as councils send it: a cover sheet first, then the data under a title row.
const COVER_SHEET: &[Sheet<'static>] = &[
    (
        "Cover",
        &[
            (1, &[Some("Autumn census return")]),
            (3, &[Some("Prepared by the data team")]),
        ],
    ),
    (
        "Pupils",
        &[
            (1, &[Some("Pupils on roll, October")]),
            (3, &[Some("UPN"), Some("Ethnicity")]),
            (4, &[Some("A1"), Some("WBRI")]),
            (5, &[Some("A2"), Some("QQQ")]),
        ],
    ),
    ("Notes", &[(1, &[Some("Read me")])]),
];

#[test]
fn a_missing_column_names_the_sheet_read_and_the_flags_that_find_the_header() {
    let dir = tempfile::tempdir().unwrap();
    write_xlsx(&dir.path().join("r.xlsx"), COVER_SHEET);
    let with = |command: &str, extra: &[&str]| coded(dir.path(), command, "r.xlsx", extra);
    for command in ["validate", "convert"] {
        let o = with(command, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        for want in [
            "r.xlsx:1",
            "Sheet `Cover` was read (the other sheets: 2 `Pupils`, 3 `Notes`)",
            "Row 3 of sheet `Pupils` has a column `Ethnicity`: try --sheet Pupils --header-row 3",
        ] {
            assert!(err.contains(want), "{command}: no `{want}` in {err}");
        }
        // The sheet read, by number: the header is still not on its first row.
        let err = stderr(&with(command, &["--sheet", "2"]));
        assert!(
            err.contains("Sheet `Pupils` was read (the other sheets: 1 `Cover`, 3 `Notes`)")
                && err.contains("Row 3 of sheet `Pupils` has a column `Ethnicity`"),
            "{command}: {err}"
        );
    }
    // The flags the error gives read the return, by the sheet's name or its number.
    for sheet in ["Pupils", "2"] {
        let o = with("validate", &["--sheet", sheet, "--header-row", "3"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        has(
            &text,
            "read as:   XLSX, sheet \"Pupils\", header on row 3 (2 rows above it skipped)",
        );
        has(&text, "  row 5 (record 2), column Ethnicity: error WM001");
        let o = with(
            "convert",
            &[
                "--sheet",
                sheet,
                "--header-row",
                "3",
                "-o",
                "out.csv",
                "--force",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        has(
            &text,
            "read as:    XLSX, sheet \"Pupils\", header on row 3 (2 rows above it skipped)",
        );
        has(&text, "rows in:    2 = converted 1 + rejected 1");
    }
    // A column no sheet has: the error says it looked.
    let table = Table::open(&dir.path().join("r.xlsx"), &ReadOptions::default()).unwrap();
    let err = validated_error(table, "Religion");
    assert!(
        err.contains("there is no column `Religion` in the header (row 1)")
            && err.contains("No row among the first 20 of any sheet has a column `Religion`"),
        "{err}"
    );
}

#[test]
fn both_workbook_readers_choose_a_sheet_by_number_and_the_header_by_its_row() {
    // `.xlsx` is streamed cell by cell; `.ods` (like `.xls`) is read whole: the same answers.
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("r.xlsx");
    write_xlsx(&xlsx, COVER_SHEET);
    let ods = dir.path().join("r.ods");
    write_ods(&ods, COVER_SHEET);
    for path in [xlsx, ods] {
        let open = |sheet: &str, header_row| {
            let opts = ReadOptions {
                sheet: Some(sheet.to_owned()),
                header_row,
                ..ReadOptions::default()
            };
            Table::open(&path, &opts)
        };
        let table = open("2", Some(3)).unwrap();
        assert_eq!(table.sheet(), Some("Pupils"));
        assert_eq!((table.header_line(), table.header_row()), (3, Some(3)));
        let (report, findings) = validated(table, true);
        assert_eq!((report.records, report.blank_lines), (2, 0));
        assert_eq!(places(&findings), [(Some(5), Some(5), Some(2))]);
        let err = open("2", Some(2)).unwrap_err().to_string();
        has(
            &err,
            "row 2 of sheet `Pupils` is empty: there is no header on it",
        );
        let err = open("4", None).unwrap_err().to_string();
        has(
            &err,
            "there is no sheet 4: the workbook has 3 sheets: 1 `Cover`, 2 `Pupils`, 3 `Notes`",
        );
        let err = validated_error(open("1", None).unwrap(), "Ethnicity");
        has(
            &err,
            "Row 3 of sheet `Pupils` has a column `Ethnicity`: try --sheet Pupils --header-row 3",
        );
    }
}

#[test]
fn a_sheet_named_with_digits_is_found_by_its_name_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    write_xlsx(
        &path,
        &[
            ("2024", &[(1, &[Some("Ethnicity")]), (2, &[Some("WBRI")])]),
            ("1", &[(1, &[Some("Ethnicity")]), (2, &[Some("APKN")])]),
        ],
    );
    let sheet_of = |want: &str| {
        let opts = ReadOptions {
            sheet: Some(want.to_owned()),
            ..ReadOptions::default()
        };
        Table::open(&path, &opts).map(|t| t.sheet().unwrap().to_owned())
    };
    assert_eq!(sheet_of("1").unwrap(), "1");
    assert_eq!(sheet_of("2").unwrap(), "1");
    assert_eq!(sheet_of("2024").unwrap(), "2024");
    let err = sheet_of("3").unwrap_err().to_string();
    assert!(
        err.ends_with("there is no sheet 3: the workbook has 2 sheets: 1 `2024`, 2 `1`"),
        "{err}"
    );
}

/// A CSV export with a title above the header; the title spans two lines.
const TITLE_ROW: &str = "\"Pupil return\n2024\";;\n\nUPN;Ethnicity;Notes\nA1;WBRI;\nA2;QQQ;\n";

#[test]
fn a_csv_header_row_skips_and_counts_the_rows_above_it() {
    let header_row = |n| ReadOptions {
        header_row: n,
        ..ReadOptions::default()
    };
    let table = Table::from_reader("r.csv", TITLE_ROW.as_bytes(), &header_row(Some(3))).unwrap();
    assert_eq!(table.header(), ["UPN", "Ethnicity", "Notes"]);
    assert_eq!((table.header_line(), table.header_row()), (4, Some(3)));
    let mut seen = Vec::new();
    table
        .for_each(|r| {
            seen.push((r.line(), r.row(), r.number()));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(seen, [(5, Some(4), 1), (6, Some(5), 2)]);
    let err = Table::from_reader("r.csv", TITLE_ROW.as_bytes(), &header_row(Some(2)))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "r.csv: row 2 holds nothing: there is no header on it (row 3 is the next that holds something)"
    );
    let err = Table::from_reader("r.csv", TITLE_ROW.as_bytes(), &header_row(Some(9)))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "r.csv: the file ends at row 5: there is no row 9 to read the header on"
    );
    let err = Table::from_reader("r.jsonl", &b"{\"a\": 1}\n"[..], &header_row(Some(1)))
        .unwrap_err()
        .to_string();
    has(&err, "a JSON Lines file has none");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.csv"), TITLE_ROW).unwrap();
    let o = coded(dir.path(), "validate", "r.csv", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    has(&err, "Row 3 has a column `Ethnicity`: try --header-row 3");
    let o = coded(dir.path(), "validate", "r.csv", &["--header-row", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    has(
        &text,
        "read as:   CSV, delimiter \";\", header on row 3, line 4 (2 rows above it skipped)",
    );
    has(
        &text,
        "  row 5, line 6 (record 2), column Ethnicity: error WM001",
    );
}
