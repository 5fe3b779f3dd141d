//! Any bytes saved as a spreadsheet (`.xlsx`, `.ods`, `.xls`) or a file with such a name, opened
//! and read to the end: an error or a table, never a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write as _;
use std::ops::ControlFlow;
use wm_ethnicity::io::{ReadOptions, Table};

const NAMES: [&str; 4] = ["fuzz.xlsx", "fuzz.ods", "fuzz.xls", "fuzz.csv"];

fuzz_target!(|data: &[u8]| {
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
