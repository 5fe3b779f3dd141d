//! A synonym file, as `wm-ethnicity convert --by label --synonyms` reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wm_ethnicity::Registry;
use wm_ethnicity::Synonyms;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = Registry::new();
    if let Ok(s) = Synonyms::from_yaml(text, "fuzz.yaml", &registry) {
        // Every synonym is found by its own label.
        for e in s.entries() {
            assert!(s.get(&e.label).is_some(), "synonym {:?} not found", e.label);
        }
        let mut all = Synonyms::builtin().clone();
        let _ = all.extend(s, "fuzz.yaml");
    }
});
