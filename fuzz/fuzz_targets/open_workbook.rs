//! Any bytes saved as a spreadsheet (`.xlsx`, `.ods`, `.xls`) or a file with such a name, opened
//! and read to the end: an error or a table, never a panic, a hang or unbounded memory.
//!
//! A panic inside calamine is caught by the crate and becomes an error (`io.rs`, `sheet_call`):
//! this target found one (an integer overflow on a malformed cell reference, kept in
//! `fixtures/fuzz-regressions/open_workbook/`). libFuzzer's panic hook aborts on every panic,
//! caught or not, so the target lets panics raised inside calamine unwind to that catch, and
//! fuzzing goes on past the known bug; a panic anywhere else still aborts and is reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write as _;
use std::ops::ControlFlow;
use std::sync::Once;
use wm_ethnicity::{ReadOptions, Table};

const NAMES: [&str; 4] = ["fuzz.xlsx", "fuzz.ods", "fuzz.xls", "fuzz.csv"];

/// Wraps libFuzzer's panic hook: panics located in calamine are left to unwind (the crate
/// catches them); any other panic goes to libFuzzer's hook, which aborts.
fn let_calamine_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                fuzzer(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    let_calamine_panics_unwind();
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("wm-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join(NAMES[usize::from(mode) % NAMES.len()]);
    let mut f = std::fs::File::create(&path).expect("a temporary file");
    f.write_all(body).expect("written");
    drop(f);
    if let Ok(table) = Table::open(&path, &ReadOptions::default()) {
        let mut n = 0u64;
        let _ = table.for_each(|r| {
            n += 1;
            assert_eq!(r.number(), n);
            ControlFlow::Continue(())
        });
    }
    let _ = std::fs::remove_file(&path);
});
