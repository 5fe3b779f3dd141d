//! CSV validation throughput: a synthetic NHS return (`benches/common`) read from memory and
//! checked by the library, as `wm-ethnicity validate` does without the output.
//!
//! `cargo bench --bench validate`

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use wm_ethnicity::Registry;
use wm_ethnicity::ReturnSpec;
use wm_ethnicity::{Finding, Validator};
use wm_ethnicity::{ReadOptions, Table, Threads};

const ROWS: usize = 100_000;

fn validate(c: &mut Criterion) {
    let data = common::csv(ROWS);
    let registry = Registry::new();
    let mut g = c.benchmark_group("validate");
    g.sample_size(20);
    g.throughput(Throughput::Elements(ROWS as u64));
    let open = |threads| {
        let opts = ReadOptions {
            threads,
            ..ReadOptions::default()
        };
        Table::from_reader("bench.csv", data.as_bytes(), &opts).expect("CSV")
    };
    let table = || open(Threads::One);
    let plain = ReturnSpec::coded("ethnicity_code", "nhs-ethnic-category");
    let with_id = plain.clone().with_id_column("record_id");
    for (name, spec) in [("code", &plain), ("code+id", &with_id)] {
        let v = Validator::new(spec, &registry).expect("spec");
        // The fast path: findings counted, not built.
        g.bench_function(BenchmarkId::new("check", name), |b| {
            b.iter(|| black_box(v.check(table()).expect("valid").records));
        });
        // The same, the CSV parsed on a second thread.
        g.bench_function(BenchmarkId::new("check-two-threads", name), |b| {
            b.iter(|| black_box(v.check(open(Threads::Two)).expect("valid").records));
        });
        // Every finding built (message, suggestion) and handed to a sink, as the CLI does.
        g.bench_function(BenchmarkId::new("findings", name), |b| {
            b.iter(|| {
                let mut n = 0u64;
                let mut sink = |f: Finding| {
                    n += u64::from(f.line.is_some());
                    Ok(())
                };
                v.validate(table(), &mut sink).expect("valid");
                black_box(n)
            });
        });
    }
    // Reading alone, for scale: the records handed over and nothing checked.
    g.bench_function("read-only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            table()
                .for_each(|r| {
                    n += r.len();
                    std::ops::ControlFlow::Continue(())
                })
                .expect("read");
            black_box(n)
        });
    });
    g.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
