//! Free text matched as a label: against every built-in scheme's labels and the curated
//! synonyms, and normalised as a code. Never a panic, and fast on long text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wm_ethnicity::Registry;
use wm_ethnicity::{By, Policy, Source, convert_value};
use wm_ethnicity::{Synonyms, find_label};
use wm_ethnicity::{BUILTIN_IDS, builtin_scheme as builtin};
use wm_ethnicity::{fold_label, nearest, normalise_code};

fuzz_target!(|data: &[u8]| {
    // Labels are short; long values are linear work (tested in src/text.rs), and here they would
    // only slow the search down.
    if data.len() > 1024 {
        return;
    }
    let raw = String::from_utf8_lossy(data);
    let registry = Registry::new();
    let synonyms = Synonyms::builtin();
    let folded = fold_label(&raw);
    assert_eq!(fold_label(&folded), folded, "folding is idempotent");
    let _ = normalise_code(&raw);
    for id in BUILTIN_IDS {
        let scheme = builtin(id).expect("built-in");
        let source = Source::Scheme(scheme);
        let _ = find_label(&registry, synonyms, source, &raw);
        let _ = convert_value(&registry, synonyms, source, &raw, By::Code, Policy::Strict);
        let _ = convert_value(
            &registry,
            synonyms,
            source,
            &raw,
            By::Label,
            Policy::MostLikely,
        );
        if let Some(m) = scheme.lookup_label(&raw) {
            assert_eq!(
                fold_label(&m.code.label),
                folded,
                "a label match folds alike"
            );
        }
        let _ = scheme.nearest(&raw, 3);
    }
    let _ = nearest(&raw, BUILTIN_IDS.into_iter(), 3);
});
