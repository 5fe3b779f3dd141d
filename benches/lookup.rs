//! Code lookup per built-in scheme: an exact code, the same code lowercased and padded (found
//! after normalisation), and an unknown value (every fallback tried, nothing found). Also what
//! loading a built-in scheme from its embedded YAML costs.
//!
//! `cargo bench --bench lookup`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wm_ethnicity::{BUILTIN_IDS, KeyedBy, MatchKind, Scheme, builtin_scheme, builtin_scheme_yaml};

fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("lookup");
    for id in BUILTIN_IDS {
        let scheme = builtin_scheme(id).expect("built-in");
        // A code from the middle of the list, so no scheme gets its first entry for free.
        let code = &scheme.codes()[scheme.codes().len() / 2];
        let exact = code.key().to_owned();
        let normalised = match scheme.keyed_by {
            KeyedBy::Code => format!(" {} ", exact.to_lowercase()),
            _ => format!("  {}", exact.to_uppercase()),
        };
        let unknown = "NO SUCH CODE".to_owned();
        assert_eq!(
            scheme.lookup(&exact).map(|m| m.kind),
            Some(MatchKind::Exact)
        );
        assert_eq!(
            scheme.lookup(&normalised).map(|m| m.kind),
            Some(MatchKind::Normalised)
        );
        assert!(scheme.lookup(&unknown).is_none());
        for (kind, input) in [
            ("exact", &exact),
            ("normalised", &normalised),
            ("unknown", &unknown),
        ] {
            g.bench_with_input(BenchmarkId::new(kind, id), input, |b, input| {
                b.iter(|| scheme.lookup(black_box(input)).map(|m| m.kind));
            });
        }
    }
    g.finish();
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(20);
    for id in ["nhs-ethnic-category", "dfe-cbds", "ons-2021-ew-detailed"] {
        let text = builtin_scheme_yaml(id).expect("built-in");
        // What a local scheme file of this size costs to load: parsing, the JSON Schema pass and
        // building the tables. (Built-in schemes are compiled in and skip the parsing.)
        g.bench_function(BenchmarkId::new("from_yaml", id), |b| {
            b.iter(|| Scheme::from_yaml(black_box(text), id, |_| None).expect("valid"));
        });
    }
    g.finish();
}

criterion_group!(benches, lookup, load);
criterion_main!(benches);
