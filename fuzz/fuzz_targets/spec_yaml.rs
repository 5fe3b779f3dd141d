//! A return specification file, as `wm-ethnicity validate --spec` reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wm_ethnicity::Registry;
use wm_ethnicity::ReturnSpec;
use wm_ethnicity::Validator;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = ReturnSpec::from_yaml(text, "fuzz.yaml") {
        let registry = Registry::new();
        if spec.check_schemes(&registry).is_ok() {
            let _ = Validator::new(&spec, &registry);
        }
    }
});
