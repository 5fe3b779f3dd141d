//! Parquet and Arrow IPC as input and output (feature `parquet`), Arrow record batches in
//! (`Table::from_arrow`) and `convert --columns`: the same records as CSV, the standard's columns
//! dictionary-encoded, every row converted or rejected.

use crate::cli::{run, stderr, stdout};
use arrow_array::{Array, Int64Array, RecordBatch, RecordBatchIterator, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use wm_ethnicity::{ReadOptions, Table};

const SAMPLE: &str = "fixtures/regional/returns.csv";
const BY_PROFILE: [&str; 6] = [
    "--council-column",
    "council",
    "--dataset-column",
    "dataset",
    "--column",
    "ethnicity",
];

/// A record's line, record number and fields as text.
type Read = (u64, u64, Vec<String>);

/// Every record of a file as text, with its line and record number.
fn records(path: &Path) -> (Vec<String>, Vec<Read>) {
    let table = Table::open(path, &ReadOptions::default()).unwrap();
    let header = table.header().to_vec();
    let mut out = Vec::new();
    table
        .for_each(|r| {
            let fields = (0..r.len())
                .map(|i| r.text(i).unwrap().into_owned())
                .collect();
            out.push((r.line(), r.number(), fields));
            ControlFlow::Continue(())
        })
        .unwrap();
    (header, out)
}

fn convert_to(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut args = vec!["convert", SAMPLE];
    args.extend(BY_PROFILE);
    args.extend(extra);
    args.extend(["--output", out.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

#[test]
fn parquet_and_arrow_output_hold_the_csv_outputs_records() {
    let dir = tempfile::tempdir().unwrap();
    let csv = convert_to(dir.path(), "out.csv", &[]);
    let (csv_header, csv_rows) = records(&csv);
    for name in ["out.parquet", "out.arrow"] {
        let file = convert_to(dir.path(), name, &[]);
        let (header, rows) = records(&file);
        assert_eq!(header, csv_header, "{name}");
        assert_eq!(rows, csv_rows, "{name}");
        assert_eq!(rows.len(), 40);
    }
    // --format wins over the extension; a binary format needs a file.
    let file = convert_to(dir.path(), "out.bin", &["--format", "parquet"]);
    assert_eq!(std::fs::read(&file).unwrap()[..4], *b"PAR1");
    let mut args = vec!["convert", SAMPLE];
    args.extend(BY_PROFILE);
    args.extend(["--format", "arrow"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --output FILE"), "{}", stderr(&o));
}

/// More records than one batch and one Parquet row group hold (270,000, some rejected, the
/// codes in a changing order so that each batch meets them in another): the Parquet and Arrow
/// IPC files hold the CSV output's records, in order, and the same rejects.
#[test]
fn parquet_and_arrow_output_of_many_batches_hold_the_csv_outputs_records() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.csv");
    let codes = [
        "A", "J", "C", "Z", "99", "x", " b ", "", "S", "WBRI", "N", "R",
    ];
    let mut text = String::from("id,council,ethnicity\n");
    for i in 0..270_000usize {
        let code = codes[(i / 1000 + i * 7) % codes.len()];
        writeln!(text, "{i},E080000{},{code}", 25 + i % 7).unwrap();
    }
    std::fs::write(&input, text).unwrap();
    let convert = |name: &str| {
        let out = dir.path().join(name);
        let rejects = dir.path().join(format!("{name}.rejects.csv"));
        let o = run(&[
            "convert",
            input.to_str().unwrap(),
            "--scheme",
            "nhs-ethnic-category",
            "--column",
            "ethnicity",
            "--columns",
            "code,group,relationship,candidates,match",
            "--output",
            out.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        (records(&out), std::fs::read(&rejects).unwrap())
    };
    let (csv, csv_rejects) = convert("out.csv");
    assert!(csv.1.len() > 200_000, "{} records", csv.1.len());
    for name in ["out.parquet", "out.arrow"] {
        let (got, rejects) = convert(name);
        assert_eq!(got.0, csv.0, "{name}");
        assert_eq!(got.1.len(), csv.1.len(), "{name}");
        assert!(
            got.1 == csv.1,
            "{name}: the records differ from the CSV output's"
        );
        assert!(rejects == csv_rejects, "{name}: the rejects differ");
    }
}

#[test]
fn the_standards_columns_are_dictionary_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let file = convert_to(dir.path(), "out.parquet", &[]);
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap();
    let schema = reader.schema().clone();
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    for f in schema.fields() {
        let want = if f.name().starts_with("wm_") {
            &dict
        } else {
            &DataType::Utf8
        };
        assert_eq!(f.data_type(), want, "{}", f.name());
    }
    let file = convert_to(dir.path(), "out.arrow", &[]);
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&file).unwrap(), None).unwrap();
    assert_eq!(
        reader
            .schema()
            .field_with_name("wm_group")
            .unwrap()
            .data_type(),
        &dict
    );
}

#[test]
fn columns_chooses_the_added_columns_in_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = convert_to(
        dir.path(),
        "out.csv",
        &["--columns", "group,wm_code", "--with-position"],
    );
    let (header, rows) = records(&file);
    assert_eq!(header[4..], ["wm_line", "wm_record", "wm_code", "wm_group"]);
    assert_eq!(rows[0].2[6..], ["white.british", "white"]);
    let mut args = vec!["convert", SAMPLE];
    args.extend(BY_PROFILE);
    args.extend(["--columns", "code,colour"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`colour` is not a column convert adds"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn arrow_batches_are_read_as_a_csv_file_of_them_would_be() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, true),
        Field::new("code", DataType::Utf8, true),
    ]));
    let batch = |n: Vec<Option<i64>>, c: Vec<Option<&str>>| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(n)) as Arc<dyn Array>,
                Arc::new(StringArray::from(c)),
            ],
        )
    };
    let batches = vec![
        batch(vec![Some(1), None], vec![Some("J"), None]),
        batch(vec![Some(-3)], vec![Some(" z ")]),
    ];
    let reader = RecordBatchIterator::new(batches, schema.clone());
    let table = Table::from_arrow("extract", reader, Some(3)).unwrap();
    assert_eq!(table.header(), ["n", "code"]);
    let mut seen = Vec::new();
    let summary = table
        .for_each(|r| {
            seen.push((
                r.line(),
                r.number(),
                r.row(),
                r.text(0).unwrap().into_owned(),
                r.text(1).unwrap().into_owned(),
            ));
            ControlFlow::Continue(())
        })
        .unwrap();
    // The row of nulls holds nothing: a blank row, as `,` in CSV; lines count it.
    assert_eq!(
        seen,
        [
            (2, 1, Some(2), "1".to_owned(), "J".to_owned()),
            (4, 2, Some(4), "-3".to_owned(), " z ".to_owned())
        ]
    );
    assert_eq!((summary.records, summary.blank_lines), (2, 1));
}

#[test]
fn a_broken_parquet_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extract.parquet");
    std::fs::write(&file, b"PAR1 this is not parquet").unwrap();
    let o = run(&[
        "validate",
        file.to_str().unwrap(),
        "--scheme",
        "dfe-cbds",
        "--column",
        "e",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("extract.parquet: is not a readable parquet file"),
        "{err}"
    );
}

/// Several answers per person, one answer and a recoding in one file of repeated rows (so the
/// writers' per-conversion caches are met again): the Parquet and Arrow IPC files hold the CSV
/// output's records, `wm_answers` and `wm_prioritised` included, with and without a recoding.
#[test]
fn parquet_and_arrow_output_of_several_answers_hold_the_csv_outputs_records() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("several.csv");
    let people = ["A,H,", "J,,", "J,A,M", "A,,", "Z,,", "H,A,", "M,,", "A,H,"];
    let mut text = String::from("id,e1,e2,e3\n");
    for i in 0..3000 {
        let _ = writeln!(text, "{i},{}", people[i * 7 % people.len()]);
    }
    std::fs::write(&input, text).unwrap();
    for recode in [&[][..], &["--to-scheme", "ons-2011-ew"][..]] {
        let convert = |name: &str| {
            let out = dir.path().join(name);
            let mut args = vec![
                "convert",
                input.to_str().unwrap(),
                "--scheme",
                "nhs-ethnic-category",
                "--column",
                "e1",
                "--column",
                "e2",
                "--column",
                "e3",
                "--force",
                "--output",
                out.to_str().unwrap(),
            ];
            args.extend(recode);
            let o = run(&args);
            assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
            records(&out)
        };
        let (csv_header, csv_rows) = convert("out.csv");
        assert!(
            csv_header.iter().any(|h| h == "wm_prioritised"),
            "{csv_header:?}"
        );
        assert!(
            csv_rows
                .iter()
                .any(|(_, _, r)| r.iter().any(|c| c.contains(';')))
        );
        for name in ["out.parquet", "out.arrow"] {
            let (header, rows) = convert(name);
            assert_eq!(header, csv_header, "{name} {recode:?}");
            assert_eq!(rows, csv_rows, "{name} {recode:?}");
        }
    }
}
