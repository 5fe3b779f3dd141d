//! Record conversion: one record at a time through [`Converter::convert`] (exact, normalised,
//! broader and rejected values), and a batch of synthetic records (`benches/common`).
//!
//! `cargo bench --bench convert`

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use wm_ethnicity::Registry;
use wm_ethnicity::Synonyms;
use wm_ethnicity::{Converter, Plan, Policy, SchemeFrom};

const HEADER: [&str; 4] = ["record_id", "council", "date", "ethnicity_code"];

fn record(value: &str) -> [&str; 4] {
    ["10000001", "E08000025", "2025-06-01", value]
}

fn convert(c: &mut Criterion) {
    let registry = Registry::new();
    let synonyms = Synonyms::builtin();
    let mut g = c.benchmark_group("convert");
    for policy in [Policy::Strict, Policy::MostLikely] {
        let mut plan = Plan::new(
            "ethnicity_code",
            SchemeFrom::Fixed("nhs-ethnic-category".to_owned()),
        );
        plan.policy = policy;
        let conv = Converter::new(&registry, synonyms, &plan, &HEADER, "bench").expect("plan");
        let p = format!("{policy:?}").to_lowercase();
        for (kind, value) in [
            ("exact", "J"),
            ("normalised", " j "),
            ("broader", "C"),
            ("residual", "Z"),
            ("unknown", "X"),
            ("other-scheme", "WBRI"),
        ] {
            let rec = record(value);
            g.bench_function(BenchmarkId::new(format!("record/{p}"), kind), |b| {
                b.iter(|| conv.convert(black_box(&rec[..])).is_ok());
            });
        }
    }
    let plan = Plan::new(
        "ethnicity_code",
        SchemeFrom::Fixed("nhs-ethnic-category".to_owned()),
    );
    let conv = Converter::new(&registry, synonyms, &plan, &HEADER, "bench").expect("plan");
    let mut rng = common::Rng::new(7);
    let values: Vec<String> = (0..10_000).map(|_| common::value(&mut rng)).collect();
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("batch-10k/strict", |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for v in &values {
                ok += u32::from(conv.convert(&record(v)[..]).is_ok());
            }
            black_box(ok)
        });
    });
    g.finish();
}

criterion_group!(benches, convert);
criterion_main!(benches);
