//! The CSV reader's two speed-ups change nothing a caller can see. Plain lines split without
//! `csv-core` give the fields the `csv` crate gives. Parsing on a second thread
//! ([`Threads::Two`]) hands the callback exactly what reading on one thread does: the same
//! records, fields, shapes, line and row numbers, progress, counts and errors, in the same order; and
//! stopping early ends both threads. Rows that hold nothing (`,,`) are blank rows, not records.

use crate::hardening::prop::byte;
use proptest::prelude::*;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use wm_ethnicity::{Field, ReadOptions, ReadSummary, Shape, Table, Threads};

/// What the callback sees of one record: number, line, spreadsheet row, progress, shape, each
/// field's bytes and whether [`wm_ethnicity::Record::get`] takes it for text, and whether
/// the record is valid text as a whole.
type RecordSeen = (
    u64,
    u64,
    Option<u64>,
    u64,
    String,
    Vec<(Vec<u8>, bool)>,
    bool,
);

/// Everything the callback can see of every record, then how the reading ended.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    records: Vec<RecordSeen>,
    end: Result<ReadSummary, String>,
}

/// Reads `bytes` as comma-separated CSV with `threads`, stopping after `stop_after` records if
/// given.
fn read(bytes: &[u8], threads: Threads, stop_after: Option<u64>) -> Option<Seen> {
    let opts = ReadOptions {
        threads,
        delimiter: Some(b','),
        ..ReadOptions::default()
    };
    let table = Table::from_reader("t.csv", bytes, &opts).ok()?;
    let mut records = Vec::new();
    let end = table
        .for_each(|r| {
            let shape = match r.shape() {
                Shape::Ok => "ok".to_owned(),
                other => format!("{other:?}"),
            };
            let fields = (0..r.len())
                .map(|i| {
                    let bytes = r.bytes(i).unwrap_or_default().to_vec();
                    (bytes, matches!(r.get(i), Some(Field::Text(_))))
                })
                .collect();
            let valid = r.is_valid_text();
            records.push((
                r.number(),
                r.line(),
                r.row(),
                r.progress(),
                shape,
                fields,
                valid,
            ));
            if stop_after == Some(r.number()) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .map_err(|e| e.to_string());
    Some(Seen { records, end })
}

fn assert_same(bytes: &[u8], stop_after: Option<u64>) -> Option<Seen> {
    let one = read(bytes, Threads::One, stop_after);
    let two = read(bytes, Threads::Two, stop_after);
    assert_eq!(one, two);
    one
}

/// A return of `n` records mixing what the fast path takes (plain LF and CR LF lines) with what
/// it leaves to the full parser (quotes, a quoted line break, a lone CR, ragged rows), and
/// blank lines between.
fn mixed(n: u64) -> String {
    let mut s = String::from("id,ethnicity,date\n");
    for i in 0..n {
        match i % 9 {
            0 => writeln!(s, "{i},A,2025-04-01").unwrap(),
            1 => write!(s, "{i},J,2025-04-02\r\n").unwrap(),
            2 => writeln!(s, "{i},\"B, Irish\",2025-04-03").unwrap(),
            3 => writeln!(s, "{i},\"two\nlines\",x").unwrap(),
            4 => write!(s, "{i},C,lone-cr\r").unwrap(),
            5 => writeln!(s, "{i},ragged").unwrap(),
            6 => writeln!(s, "\n{i},Z,after a blank line").unwrap(),
            7 => writeln!(s, "{i},é,caf\u{e9}").unwrap(),
            _ => writeln!(s, "{i},,").unwrap(),
        }
    }
    s
}

#[test]
fn many_batches_give_the_same_records_as_one_thread() {
    let seen = assert_same(mixed(30_000).as_bytes(), None).unwrap();
    assert_eq!(seen.records.len(), 30_000);
    let summary = seen.end.unwrap();
    assert_eq!((summary.records, summary.blank_lines), (30_000, 30_000 / 9));
}

#[test]
fn a_character_split_across_two_records_is_no_text_on_either_thread() {
    // A batch checked as a whole is valid UTF-8 when one record ends with a character's first
    // byte and the next starts with its last (the line break between them dropped): neither
    // field is text for all that. Among many plain records, so that a batch holds both.
    let mut bytes = mixed(10_000).into_bytes();
    bytes.extend_from_slice(b"1,A,\xC3\n\xA9,B,2025-04-01\n");
    bytes.extend_from_slice(mixed(10_000).as_bytes());
    let seen = assert_same(&bytes, None).unwrap();
    let split: Vec<_> = seen
        .records
        .iter()
        .filter(|r| r.5.iter().any(|(b, _)| b == b"\xC3" || b == b"\xA9"))
        .collect();
    assert_eq!(split.len(), 2, "{split:?}");
    for r in split {
        assert!(r.5.iter().any(|(_, text)| !text), "{r:?}");
    }
}

#[test]
fn an_error_after_many_batches_stops_both_at_the_same_record() {
    // A record of more than 100,000 fields: reading stops there, with the same error.
    let mut text = mixed(20_000);
    text.push_str(&",".repeat(100_001));
    text.push_str("\n1,A,2025-04-01\n");
    let seen = assert_same(text.as_bytes(), None).unwrap();
    assert_eq!(seen.records.len(), 20_000);
    let err = seen.end.unwrap_err();
    assert!(err.contains("more than 100000 fields"), "{err}");
}

#[test]
fn stopping_early_ends_the_reading_thread() {
    // Stopped well before the end, with the reading thread batches ahead: no hang, and both
    // report a stop after the same record.
    let text = mixed(50_000);
    for stop in [1, 4096, 4097, 20_000] {
        let seen = assert_same(text.as_bytes(), Some(stop)).unwrap();
        assert_eq!(seen.records.len() as u64, stop);
        assert!(seen.end.unwrap().stopped);
    }
}

#[test]
fn auto_uses_one_thread_for_a_reader_of_unknown_size() {
    // Nothing to observe but the result: the same as one thread.
    let text = mixed(100);
    assert_eq!(
        read(text.as_bytes(), Threads::Auto, None),
        read(text.as_bytes(), Threads::One, None)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_bytes_give_the_same_records_on_two_threads(
        header in any::<bool>(),
        body in prop::collection::vec(byte(), 0..600),
        stop in prop::option::of(1u64..20),
    ) {
        let mut bytes = if header { b"id,ethnicity\n".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        prop_assert_eq!(
            read(&bytes, Threads::One, stop),
            read(&bytes, Threads::Two, stop)
        );
    }
}

/// Text of the characters that decide how CSV splits (no invalid UTF-8, so no transcoding).
fn csv_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            ',', '"', '\r', '\n', '\n', 'A', '9', ' ', 'é', ';', '\t',
        ]),
        0..300,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn records_after_the_header_are_the_csv_crates(text in csv_text()) {
        // The csv crate's records, less the rows that hold nothing (every field white space at
        // most, whatever their number: `,,` or a quoted line break): the reader counts those as
        // blank rows, above the header as below it.
        let holds_nothing = |fields: &[Vec<u8>]| {
            fields.iter().all(|f| {
                std::str::from_utf8(f)
                    .unwrap()
                    .chars()
                    .all(|c| c.is_whitespace() || c == '\u{feff}')
            })
        };
        let want: Vec<Vec<Vec<u8>>> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect::<Vec<_>>())
            .filter(|fields| !holds_nothing(fields))
            .skip(1)
            .collect();
        let got: Vec<Vec<Vec<u8>>> = read(text.as_bytes(), Threads::One, None)
            .map(|seen| {
                seen.records
                    .into_iter()
                    .map(|r| r.5.into_iter().map(|(bytes, _)| bytes).collect())
                    .collect()
            })
            .unwrap_or_default();
        prop_assert_eq!(got, want);
    }
}
