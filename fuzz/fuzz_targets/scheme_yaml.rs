//! A local scheme file, as `wm-ethnicity scheme check` reads it: any bytes must give a scheme or
//! an error, never a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wm_ethnicity::Registry;

fuzz_target!(|data: &[u8]| {
    // Files are read as UTF-8 (a BOM dropped); anything else is refused before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut registry = Registry::new();
    if let Ok(scheme) = registry.add_yaml(text, "fuzz.yaml") {
        // A scheme that loads is usable: every code is found by its own key.
        let scheme = scheme.clone();
        for code in scheme.codes() {
            assert!(
                scheme.get(code.key()).is_some(),
                "code {:?} not found",
                code.key()
            );
            let _ = scheme.lookup(code.key());
            let _ = scheme.lookup_label(&code.label);
        }
    }
});
