//! Any bytes as a return, validated: never a panic; every record is counted once; every finding
//! points at a line that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;
use wm_ethnicity::Registry;
use wm_ethnicity::{ReadOptions, Table};
use wm_ethnicity::ReturnSpec;
use wm_ethnicity::Validator;

const SCHEMES: [&str; 4] = [
    "nhs-ethnic-category",
    "dfe-cbds",
    "ons-2011-ew",
    "police-sde",
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    // Half the inputs get a header the specification names, so the rules are reached.
    let mut bytes = Vec::with_capacity(body.len() + 32);
    if mode & 1 == 1 {
        bytes.extend_from_slice(b"id,ethnicity,date\n");
    }
    bytes.extend_from_slice(body);
    let scheme = SCHEMES[usize::from(mode >> 1) % SCHEMES.len()];
    let mut spec = ReturnSpec::coded("ethnicity", scheme).with_id_column("id");
    if mode & 8 == 8 {
        spec = spec.with_date_column("date");
    }
    let name = if mode & 16 == 16 {
        "fuzz.jsonl"
    } else {
        "fuzz.csv"
    };
    let registry = Registry::new();
    let validator = Validator::new(&spec, &registry).expect("the specification is valid");

    // The lines and records of the input, as the reader sees them.
    let Ok(table) = Table::from_reader(name, bytes.as_slice(), &ReadOptions::default()) else {
        return;
    };
    let mut records = 0u64;
    let jsonl = table.format() == wm_ethnicity::InputFormat::Jsonl;
    let mut last_line = table.header_line();
    if table
        .for_each(|r| {
            records += 1;
            assert_eq!(r.number(), records, "record numbers run 1, 2, 3...");
            // In JSON Lines the first object is both the header (its keys) and the first record.
            let first_json = jsonl && records == 1 && r.line() == last_line;
            assert!(r.line() > last_line || first_json, "lines go forward");
            last_line = r.line();
            ControlFlow::Continue(())
        })
        .is_err()
    {
        return;
    }
    // Lines as an editor counts them: LF, CRLF or a lone CR ends a line.
    let physical_lines = 1 + bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count() as u64;

    let table = Table::from_reader(name, bytes.as_slice(), &ReadOptions::default())
        .expect("opened once, opens again");
    let Ok((report, findings)) = validator.findings(table) else {
        return;
    };
    assert_eq!(report.records, records, "every record is counted once");
    for f in &findings {
        if let Some(line) = f.line {
            assert!(
                line >= 1 && line <= physical_lines.max(1),
                "finding at line {line} of {physical_lines}: {f}"
            );
            assert!(f.record.is_some_and(|r| r >= 1 && r <= records), "{f}");
        }
    }
    for c in &report.columns {
        assert_eq!(
            c.outcomes.total(),
            c.records,
            "outcomes add up for {}",
            c.column
        );
        assert_eq!(c.records, records);
    }
    let errors: u64 = report.rules.iter().map(|r| r.errors).sum();
    let queries: u64 = report.rules.iter().map(|r| r.queries).sum();
    assert_eq!((errors, queries), (report.errors, report.queries));
    assert_eq!(
        errors + queries,
        findings.len() as u64,
        "every finding is counted"
    );
});
