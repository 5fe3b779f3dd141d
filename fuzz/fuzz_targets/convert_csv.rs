//! Any bytes as a return, converted: never a panic; every record ends in exactly one place
//! (converted + rejected = rows), and the output and rejects (narrow, or full rows with the
//! position columns) hold exactly those records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;
use wm_ethnicity::Registry;
use wm_ethnicity::{By, Converter, Plan, Policy, SchemeFrom, convert_stream};
use wm_ethnicity::{ReadOptions, Table};
use wm_ethnicity::Synonyms;
use wm_ethnicity::{AddedColumns, RecordFormat, RecordWriter, RejectWriter};

const SCHEMES: [&str; 4] = ["nhs-ethnic-category", "dfe-cbds", "ons-2011-ew", "standard"];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let mut bytes = Vec::with_capacity(body.len() + 32);
    if mode & 1 == 1 {
        bytes.extend_from_slice(b"id,ethnicity,scheme\n");
    }
    bytes.extend_from_slice(body);
    let scheme = if mode & 8 == 8 {
        SchemeFrom::Column("scheme".into())
    } else {
        SchemeFrom::Fixed(SCHEMES[usize::from(mode >> 1) % SCHEMES.len()].into())
    };
    let mut plan = Plan::new("ethnicity", scheme);
    if mode & 16 == 16 {
        plan.by = By::Label;
    }
    if mode & 32 == 32 {
        plan.policy = Policy::MostLikely;
    }
    if mode & 64 == 64 {
        plan.to_scheme = Some("nhs-ethnic-category".into());
    }
    let name = if mode & 128 == 128 {
        "fuzz.jsonl"
    } else {
        "fuzz.csv"
    };
    let registry = Registry::new();

    let Ok(table) = Table::from_reader(name, bytes.as_slice(), &ReadOptions::default()) else {
        return;
    };
    let mut records = 0u64;
    if table
        .for_each(|_| {
            records += 1;
            ControlFlow::Continue(())
        })
        .is_err()
    {
        return;
    }

    let table = Table::from_reader(name, bytes.as_slice(), &ReadOptions::default())
        .expect("opened once, opens again");
    let Ok(converter) = Converter::new(&registry, Synonyms::builtin(), &plan, table.header(), name)
    else {
        return;
    };
    // Positions in the output and full-row rejects for half the inputs (every bit of `mode`
    // is taken).
    let added = AddedColumns {
        recode: plan.to_scheme.is_some(),
        position: body.len() % 2 == 1,
        ..AddedColumns::default()
    };
    // A header with one position column but not the other is refused, naming it.
    let Ok(mut out) = RecordWriter::new(Vec::new(), RecordFormat::Jsonl, table.header(), added)
    else {
        return;
    };
    let mut rejects = if added.position {
        RejectWriter::full_rows(Vec::new(), table.header())
    } else {
        RejectWriter::new(Vec::new())
    }
    .expect("the header was accepted above, and memory takes every write");
    let summary = convert_stream(table, &converter, &mut out, &mut rejects, &mut |_| {})
        .expect("a table read once reads again, and memory takes every write");
    assert_eq!(summary.rows, records, "every record is read");
    assert_eq!(
        summary.rows,
        summary.converted + summary.rejected,
        "every record ends in one place"
    );
    let rule_total: u64 = summary.by_rule.iter().map(|(_, n)| n).sum();
    assert_eq!(rule_total, summary.rejected);
    let out = out.finish().expect("memory");
    let out_lines = out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
    assert_eq!(
        out_lines, summary.converted,
        "one output line per converted record"
    );
    let rejects = rejects.finish().expect("memory");
    let rejected = wm_csv_records(&rejects);
    assert_eq!(
        rejected, summary.rejected,
        "one rejects row per rejected record"
    );
});

/// Records in a CSV the crate wrote (header excluded): counted with a small quote-aware scan.
fn wm_csv_records(bytes: &[u8]) -> u64 {
    let mut quoted = false;
    let mut rows = 0u64;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => rows += 1,
            _ => {}
        }
    }
    rows.saturating_sub(1)
}
