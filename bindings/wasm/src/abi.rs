//! The boundary with JavaScript (`web/worker.js` and `web/page.js`): a few functions each way,
//! numbers and bytes only, no generated glue.
//!
//! JavaScript calls [`wm_input`] for a buffer of `len` bytes, writes a request (JSON) into it and
//! calls [`wm_run`]; the answer (JSON) is then at [`wm_output_ptr`], [`wm_output_len`] bytes.
//! While a job runs, Rust calls back: `wm_file_read` for the bytes of the file being read (the
//! page's worker reads slices of the `File` with `FileReaderSync`, so the file is never in
//! memory whole), `wm_out` for output bytes (findings, records, rejects, appended to a `Blob` by
//! the worker), and `wm_progress`.
//!
//! This is the crate's only `unsafe`: the attributes that export a function by its name, and
//! the declaration of the functions JavaScript provides. Every pointer handed across points into
//! a buffer Rust owns and does not touch until the call returns.

use std::cell::RefCell;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// Copies up to `len` bytes of the file from byte `pos` into `ptr`; returns how many
    /// (0 at the end), or -1 when the file cannot be read.
    safe fn wm_file_read(pos: f64, ptr: *mut u8, len: usize) -> f64;
    /// Appends `len` bytes at `ptr` to output `stream`.
    safe fn wm_out(stream: u32, ptr: *const u8, len: usize);
    /// The job has read `done` of `total` (bytes, or rows of a sheet).
    safe fn wm_progress(done: f64, total: f64);
}

/// Outside the browser (the crate's own tests) there is no file and nowhere to write.
#[cfg(not(target_arch = "wasm32"))]
mod host {
    pub fn wm_file_read(_pos: f64, _ptr: *mut u8, _len: usize) -> f64 {
        -1.0
    }
    pub fn wm_out(_stream: u32, _ptr: *const u8, _len: usize) {}
    pub fn wm_progress(_done: f64, _total: f64) {}
}
#[cfg(not(target_arch = "wasm32"))]
use host::{wm_file_read, wm_out, wm_progress};

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` bytes for the next request; JavaScript writes the request there.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn wm_input(len: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|b| {
        b.clear();
        b.resize(len, 0);
        b.as_mut_ptr()
    })
}

/// Runs the request in the input buffer; the answer is in the output buffer. Returns 0 when
/// the job ran (its answer may still be an error of the input: see `ok` in the answer).
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn wm_run() -> u32 {
    let request = INPUT.with_borrow_mut(std::mem::take);
    let answer = crate::answer(&request);
    OUTPUT.with_borrow_mut(|o| *o = answer);
    0
}

/// Where the answer starts.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn wm_output_ptr() -> *const u8 {
    OUTPUT.with_borrow(Vec::as_ptr)
}

/// How long the answer is.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn wm_output_len() -> usize {
    OUTPUT.with_borrow(Vec::len)
}

/// Reads `buf.len()` bytes at most of the file, from `pos`.
pub fn read_file(pos: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    #[allow(clippy::cast_precision_loss)] // a file in a browser is far below 2^53 bytes
    let n = wm_file_read(pos as f64, buf.as_mut_ptr(), buf.len());
    if n < 0.0 {
        return Err(std::io::Error::other(
            "the browser could not read the file (was it moved or changed?)",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((n as usize).min(buf.len()))
}

/// Appends `bytes` to output `stream`.
pub fn write_out(stream: u32, bytes: &[u8]) {
    wm_out(stream, bytes.as_ptr(), bytes.len());
}

/// Tells the page how far the job has read.
#[allow(clippy::cast_precision_loss)]
pub fn progress(done: u64, total: u64) {
    wm_progress(done as f64, total as f64);
}
