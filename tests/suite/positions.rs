//! Output + rejects = input: converted records with their places (`--with-position`) and
//! full-row rejects (`--rejects-rows full`) give back every input row, in order, field for field;
//! fixed, the rejects convert again with the same flags.

use crate::cli::{run, stderr, stdout};
use crate::convert::{path_str, registry, tmp};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use wm_ethnicity::{AddedColumns, OUTPUT_COLUMNS, RecordFormat, RecordWriter, RejectWriter};
use wm_ethnicity::{Converter, Plan, SchemeFrom, Summary, Synonyms, convert_stream};
use wm_ethnicity::{Encoding, ReadOptions, Table};

/// The columns that follow the input's on a full-row reject: a line's last seven fields.
const REJECT_TAIL: usize = 7;

/// One row given back: its record number, its line, and its input fields as bytes.
type Row = (u64, u64, Vec<Vec<u8>>);

/// Converts `data` (input `name`, the NHS codes in column `ethnicity`) with the position columns
/// and full-row rejects: the summary, the output in `format` and the rejects.
fn convert_rows(
    name: &str,
    data: &[u8],
    opts: &ReadOptions,
    format: RecordFormat,
) -> (Summary, Vec<u8>, Vec<u8>) {
    let table = Table::from_reader(name, data, opts).unwrap();
    let plan = Plan::new("ethnicity", SchemeFrom::Fixed("nhs-ethnic-category".into()));
    let conv =
        Converter::new(registry(), Synonyms::builtin(), &plan, table.header(), name).unwrap();
    let added = AddedColumns {
        position: true,
        ..AddedColumns::default()
    };
    let mut out = RecordWriter::new(Vec::new(), format, table.header(), added).unwrap();
    let mut rejects = RejectWriter::full_rows(Vec::new(), table.header()).unwrap();
    let s = convert_stream(table, &conv, &mut out, &mut rejects, &mut |_| {}).unwrap();
    (s, out.finish().unwrap(), rejects.finish().unwrap())
}

fn number(field: &[u8]) -> u64 {
    std::str::from_utf8(field).unwrap().parse().unwrap()
}

/// The converted records of CSV `out` whose input had `n` columns: each one's record, line and
/// input fields (the `wm_` columns dropped).
fn csv_output_rows(out: &[u8], n: usize) -> Vec<Row> {
    let mut r = csv::ReaderBuilder::new().from_reader(out);
    let header = r.byte_headers().unwrap().clone();
    assert_eq!(&header[n], b"wm_line");
    assert_eq!(&header[n + 1], b"wm_record");
    assert_eq!(&header[n + 2], OUTPUT_COLUMNS[0].as_bytes());
    r.byte_records()
        .map(|rec| {
            let rec = rec.unwrap();
            let fields = rec.iter().take(n).map(<[u8]>::to_vec).collect();
            (number(&rec[n + 1]), number(&rec[n]), fields)
        })
        .collect()
}

/// The converted records of JSON Lines `out`, read by the input's `columns`.
fn jsonl_output_rows(out: &[u8], columns: &[&str]) -> Vec<Row> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let fields = columns
                .iter()
                .map(|c| v[c].as_str().unwrap().as_bytes().to_vec())
                .collect();
            let at = |k: &str| v[k].as_u64().expect("positions are numbers in JSON Lines");
            (at("wm_record"), at("wm_line"), fields)
        })
        .collect()
}

/// The full-row rejects of `rejects`: each one's record, line and input fields (every field but
/// the last seven, as the row had them).
fn reject_rows(rejects: &[u8], header: &[&str]) -> Vec<Row> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(rejects);
    let got: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let want: Vec<&str> = header
        .iter()
        .copied()
        .chain([
            "wm_line",
            "wm_record",
            "wm_column",
            "wm_rule",
            "wm_rule_name",
            "wm_reason",
            "wm_suggestion",
        ])
        .collect();
    assert_eq!(got, want);
    r.byte_records()
        .map(|rec| {
            let rec = rec.unwrap();
            let k = rec.len() - REJECT_TAIL;
            let fields = rec.iter().take(k).map(<[u8]>::to_vec).collect();
            (number(&rec[k + 1]), number(&rec[k]), fields)
        })
        .collect()
}

/// Output and rejects merged by `wm_record`: each record once, in the input's order.
fn merged(out: Vec<Row>, rejects: Vec<Row>) -> Vec<Row> {
    let mut all = BTreeMap::new();
    for (record, line, fields) in out.into_iter().chain(rejects) {
        assert!(
            all.insert(record, (line, fields)).is_none(),
            "record {record} is in the output and the rejects, or twice"
        );
    }
    all.into_iter().map(|(r, (l, f))| (r, l, f)).collect()
}

/// Writes `rows` as CSV after `header` (a ragged row as it is): the bytes and each row's line.
fn csv_input(header: &[&str], rows: &[Vec<String>]) -> (Vec<u8>, Vec<u64>) {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(header).unwrap();
    let mut lines = Vec::new();
    for r in rows {
        w.flush().unwrap();
        lines.push(line_ends(w.get_ref()) + 1);
        w.write_record(r).unwrap();
    }
    (w.into_inner().unwrap(), lines)
}

/// Line ends as a text editor counts them: CR LF, LF, or a lone CR.
fn line_ends(text: &[u8]) -> u64 {
    let ends = (0..text.len()).filter(|&i| match text[i] {
        b'\n' => true,
        b'\r' => text.get(i + 1) != Some(&b'\n'),
        _ => false,
    });
    ends.count() as u64
}

fn bytes(rows: &[Vec<String>]) -> Vec<Vec<Vec<u8>>> {
    rows.iter()
        .map(|r| r.iter().map(|f| f.as_bytes().to_vec()).collect())
        .collect()
}

const HEADER: [&str; 4] = ["id", "name", "dob", "ethnicity"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any CSV return (quotes, line breaks, delimiters and formula-like text in its cells, good,
    /// bad and empty codes, ragged rows), converted with the position columns and full-row
    /// rejects: merged by `wm_record`, with the `wm_` columns dropped, they are the input.
    #[test]
    fn output_and_full_rejects_give_back_the_input_row_for_row(
        rows in prop::collection::vec(
            (
                "[a-z ,\"\r\n\u{e9}=-]{0,6}",
                "[0-9/]{0,10}",
                prop::sample::select(vec!["J", "j1", "C", "Z", "99", "", "QQ", "9.7E+14", " a "]),
                prop::sample::select(vec![0i8, 0, 0, 0, 1, -1]),
            ),
            1..30,
        ),
        jsonl in any::<bool>(),
    ) {
        let input: Vec<Vec<String>> = rows
            .iter()
            .enumerate()
            .map(|(i, (name, dob, code, ragged))| {
                let mut r = vec![format!("R{i}"), name.clone(), dob.clone(), (*code).to_owned()];
                match ragged {
                    1 => r.push("extra".to_owned()),
                    -1 => {
                        r.pop();
                    }
                    _ => {}
                }
                r
            })
            .collect();
        let (data, lines) = csv_input(&HEADER, &input);
        let format = if jsonl { RecordFormat::Jsonl } else { RecordFormat::Csv };
        let (s, out, rejects) = convert_rows("t.csv", &data, &ReadOptions::default(), format);
        prop_assert_eq!(s.rows, input.len() as u64);
        let out = if jsonl { jsonl_output_rows(&out, &HEADER) } else { csv_output_rows(&out, HEADER.len()) };
        let rejects = reject_rows(&rejects, &HEADER);
        prop_assert_eq!((out.len() as u64, rejects.len() as u64), (s.converted, s.rejected));
        let back = merged(out, rejects);
        let records: Vec<u64> = back.iter().map(|r| r.0).collect();
        prop_assert_eq!(records, (1..=input.len() as u64).collect::<Vec<_>>());
        prop_assert_eq!(back.iter().map(|r| r.1).collect::<Vec<_>>(), lines);
        prop_assert_eq!(back.into_iter().map(|r| r.2).collect::<Vec<_>>(), bytes(&input));
    }
}

#[test]
fn malformed_records_are_kept_whole_in_full_rejects() {
    // Bytes not valid UTF-8: in a column not read (converted, kept as they were) and in the
    // coded column (rejected, WM011, the bytes kept as they were).
    let data = b"id,name,ethnicity\n1,Ann \xff,J\n2,Bo,J\xfe\n3,Cy,A,extra\n";
    let opts = ReadOptions {
        encoding: Some(Encoding::Utf8),
        ..ReadOptions::default()
    };
    let (s, out, rejects) = convert_rows("t.csv", data, &opts, RecordFormat::Csv);
    assert_eq!((s.converted, s.rejected), (1, 2));
    let header = ["id", "name", "ethnicity"];
    let back = merged(csv_output_rows(&out, 3), reject_rows(&rejects, &header));
    let want: Vec<Row> = vec![
        (
            1,
            2,
            vec![b"1".to_vec(), b"Ann \xff".to_vec(), b"J".to_vec()],
        ),
        (2, 3, vec![b"2".to_vec(), b"Bo".to_vec(), b"J\xfe".to_vec()]),
        (
            3,
            4,
            vec![
                b"3".to_vec(),
                b"Cy".to_vec(),
                b"A".to_vec(),
                b"extra".to_vec(),
            ],
        ),
    ];
    assert_eq!(back, want);
    let text = String::from_utf8_lossy(&rejects);
    assert!(
        text.contains(",WM011,") && text.contains(",WM010,"),
        "{text}"
    );

    // A JSON Lines line that is not an object: its text is the row's one field.
    let data =
        b"{\"id\":\"1\",\"ethnicity\":\"J\"}\n[1, \"x,y\"]\n{\"id\":\"3\",\"ethnicity\":\"QQ\"}\n";
    let (s, out, rejects) = convert_rows(
        "t.jsonl",
        data,
        &ReadOptions::default(),
        RecordFormat::Jsonl,
    );
    assert_eq!((s.converted, s.rejected), (1, 2));
    let back = merged(
        jsonl_output_rows(&out, &["id", "ethnicity"]),
        reject_rows(&rejects, &["id", "ethnicity"]),
    );
    let want: Vec<Row> = vec![
        (1, 1, vec![b"1".to_vec(), b"J".to_vec()]),
        (2, 2, vec![b"[1, \"x,y\"]".to_vec()]),
        (3, 3, vec![b"3".to_vec(), b"QQ".to_vec()]),
    ];
    assert_eq!(back, want);
    assert!(String::from_utf8_lossy(&rejects).contains(",WM018,"));
}

/// `convert` of `input`'s NHS codes in column `ethnicity`, with the flags `more`.
fn convert_nhs(input: &Path, more: &[&str]) -> std::process::Output {
    let mut args = vec![
        "convert",
        path_str(input),
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "ethnicity",
    ];
    args.extend(more);
    run(&args)
}

fn convert_cli(input: &Path, out: &Path, rejects: &Path) -> std::process::Output {
    convert_nhs(
        input,
        &[
            "--with-position",
            "--rejects-rows",
            "full",
            "--output",
            path_str(out),
            "--rejects",
            path_str(rejects),
        ],
    )
}

/// Asserts that a run exited with `code` and that its summary holds each of `lines`.
fn exits_saying(o: &std::process::Output, code: i32, lines: &[&str]) {
    let said = stdout(o);
    assert_eq!(o.status.code(), Some(code), "{said}{}", stderr(o));
    for l in lines {
        assert!(said.contains(l), "{l}: {said}");
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn fixed_full_rejects_convert_again_to_zero_rejects_keeping_the_original_places() {
    let dir = tmp();
    let p = |n: &str| dir.path().join(n);
    let input: Vec<Vec<String>> = [
        &["1", "Ann Smith", "1980-01-02", "J"][..],
        &["2", "Bo\nJones", "1975-05-06", "QQ"],
        &["3", "Cy", "2001-02-03", ""],
        &["4", "Di", "1999-09-09", "A", "extra"],
        &["5", "=Ed", "1960-12-31", "C"],
        &["6", "Flo", "1990-10-10", "XX"],
    ]
    .iter()
    .map(|r| r.iter().map(|&f| f.to_owned()).collect())
    .collect();
    let (data, lines) = csv_input(&HEADER, &input);
    std::fs::write(p("in.csv"), &data).unwrap();
    let o = convert_cli(&p("in.csv"), &p("out.csv"), &p("rejects.csv"));
    exits_saying(
        &o,
        1,
        &[
            "rows in:    6 = converted 2 + rejected 4",
            "full rows: every column of the input, personal data as in the output",
        ],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(p("rejects.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "full rejects are readable by their owner only"
        );
    }
    let out = csv_output_rows(&read(&p("out.csv")), HEADER.len());
    let back = merged(out.clone(), reject_rows(&read(&p("rejects.csv")), &HEADER));
    assert_eq!(back.iter().map(|r| r.1).collect::<Vec<_>>(), lines);
    assert_eq!(
        back.into_iter().map(|r| r.2).collect::<Vec<_>>(),
        bytes(&input)
    );

    // Fix the coded column (and the stray field) in the rejects, keeping their wm_ columns.
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(p("rejects.csv"))
        .unwrap();
    let mut w = csv::Writer::from_path(p("fixed.csv")).unwrap();
    w.write_record(r.headers().unwrap()).unwrap();
    let mut fixed = input.clone();
    for rec in r.records() {
        let rec = rec.unwrap();
        let mut row: Vec<String> = rec.iter().map(str::to_owned).collect();
        let tail = row.split_off(row.len() - REJECT_TAIL);
        row.truncate(HEADER.len());
        row[3] = match row[3].as_str() {
            "" => "Z".to_owned(),
            "QQ" | "XX" => "J".to_owned(),
            other => other.to_owned(),
        };
        let record: usize = tail[1].parse().unwrap();
        fixed[record - 1].clone_from(&row);
        w.write_record(row.iter().chain(&tail)).unwrap();
    }
    w.flush().unwrap();
    drop(w);

    let o = convert_cli(&p("fixed.csv"), &p("out2.csv"), &p("rejects2.csv"));
    exits_saying(
        &o,
        0,
        &[
            "rows in:    4 = converted 4 + rejected 0",
            "positions:  wm_line and wm_record kept from the input",
            "earlier run: its reject reasons (wm_column",
        ],
    );
    // The same columns as the first run's files: the rejects' own wm_ columns do not repeat.
    let first_line = |f: &str| {
        let text = String::from_utf8(read(&p(f))).unwrap();
        text.lines().next().unwrap().to_owned()
    };
    assert_eq!(first_line("out2.csv"), first_line("out.csv"));
    assert_eq!(first_line("rejects2.csv"), first_line("rejects.csv"));
    assert_eq!(reject_rows(&read(&p("rejects2.csv")), &HEADER), []);
    // Both outputs merged by wm_record: the fixed input, row for row, at its original places.
    let out2 = csv_output_rows(&read(&p("out2.csv")), HEADER.len());
    let back = merged(out, out2);
    assert_eq!(back.iter().map(|r| r.1).collect::<Vec<_>>(), lines);
    assert_eq!(
        back.into_iter().map(|r| r.2).collect::<Vec<_>>(),
        bytes(&fixed)
    );
}

#[test]
fn a_header_with_one_position_column_is_an_error_naming_it() {
    let dir = tmp();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,wm_record,ethnicity\n1,7,J\n").unwrap();
    for flag in ["--with-position", "--rejects-rows"] {
        let rejects = dir.path().join("rejects.csv");
        let mut args = vec!["--output", "-", flag];
        if flag == "--rejects-rows" {
            args.extend(["full", "--rejects", path_str(&rejects)]);
        }
        let o = convert_nhs(&input, &args);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains("in.csv:1:1: the header has a column `wm_record` but no `wm_line`"),
            "{flag}: {err}"
        );
        assert!(
            !rejects.exists() && stdout(&o).is_empty(),
            "{flag}: nothing written"
        );
    }
    // Without the position columns the column is the input's like any other.
    let o = convert_nhs(&input, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("id,wm_record,ethnicity,wm_code,"),
        "{}",
        stdout(&o)
    );

    // The library refuses as the command does, naming the column; twice is refused too.
    for header in [
        &["id", "wm_line", "ethnicity"][..],
        &["wm_line", "wm_record", "wm_line"],
    ] {
        let added = AddedColumns {
            position: true,
            ..AddedColumns::default()
        };
        let e = RecordWriter::new(Vec::new(), RecordFormat::Csv, header, added).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("`wm_line`"), "{e}");
        let e = RejectWriter::full_rows(Vec::new(), header).unwrap_err();
        assert!(e.to_string().contains("`wm_line`"), "{e}");
    }
}

#[test]
fn narrow_rejects_stay_the_default_and_never_hold_another_column() {
    let dir = tmp();
    let input = dir.path().join("in.csv");
    let rejects = dir.path().join("rejects.csv");
    std::fs::write(&input, "id,name,ethnicity\nP-1,Secret Name,QQ\n").unwrap();
    let o = convert_nhs(
        &input,
        &[
            "--with-position",
            "--output",
            "-",
            "--rejects",
            path_str(&rejects),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        text.starts_with("line,record,row,column,value,rule,"),
        "{text}"
    );
    assert!(
        !text.contains("Secret Name") && !text.contains("P-1"),
        "{text}"
    );
    assert!(!stderr(&o).contains("full rows"), "{}", stderr(&o));
}
