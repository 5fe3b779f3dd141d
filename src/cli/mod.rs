//! Subcommands. Each module parses its flags and wires the library to files and the terminal.

pub mod aggregate;
pub mod convert;
pub mod info;
pub mod lookup;
pub mod validate;

use clap::ValueEnum;
use std::io::Write;
use wm_ethnicity::scheme::Registry;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people, on a terminal.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// Prints a fatal error as one line on stderr (no backtrace).
#[allow(clippy::print_stderr)]
pub fn report_error(e: &anyhow::Error) {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
    }
    eprintln!("wm-ethnicity: error: {msg}");
}

/// Standard output, locked and buffered; a closed pipe is not an error worth a panic.
pub fn stdout() -> impl Write {
    std::io::BufWriter::new(std::io::stdout().lock())
}

/// Writes `value` as pretty JSON plus a newline.
pub fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A registry with the built-in schemes plus the local scheme files given.
pub fn registry(scheme_files: &[std::path::PathBuf]) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    for f in scheme_files {
        registry.load_file(f)?;
    }
    Ok(registry)
}
