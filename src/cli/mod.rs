//! Subcommands. Each module parses its flags and wires the library to files and the terminal.

pub mod aggregate;
pub mod args;
pub mod convert;
pub mod detect;
pub mod fhir;
pub mod files;
pub mod info;
pub mod lookup;
pub mod mapping;
pub mod validate;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use wm_ethnicity::InputFormat;
use wm_ethnicity::Priority;
use wm_ethnicity::Registry;
use wm_ethnicity::Synonyms;

/// Prints a fatal error as one line on stderr (no backtrace).
#[allow(clippy::print_stderr)]
pub fn report_error(e: &anyhow::Error) {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        // The crate's errors already say their cause (an I/O error): not twice.
        let cause = cause.to_string();
        if !msg.contains(&cause) {
            msg.push_str(": ");
            msg.push_str(&cause);
        }
    }
    eprintln!("wm-ethnicity: error: {msg}");
}

/// True when `e` is, or was caused by, a closed pipe (`| head`): the reader's choice, not an
/// error. The cause may be wrapped (a CSV or library error around the I/O error).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(cause);
        while let Some(c) = next {
            if c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            next = c.source();
        }
        false
    })
}

/// `text` with its first letter in lower case ("No such file" in the middle of a sentence).
pub fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
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
pub fn registry(scheme_files: &[PathBuf]) -> anyhow::Result<Registry> {
    let mut registry = Registry::new();
    for f in scheme_files {
        registry.load_file(f)?;
    }
    Ok(registry)
}

/// The curated synonyms plus the files given.
pub fn synonyms(files: &[PathBuf], registry: &Registry) -> anyhow::Result<Synonyms> {
    let mut all = Synonyms::builtin().clone();
    for f in files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).with_context(|| format!("{name}: cannot read"))?;
        all.extend(Synonyms::from_yaml(&text, &name, registry)?, &name)?;
    }
    Ok(all)
}

/// The priority order `value`: a built-in id (schema/priorities/) or a council's own YAML file
/// in the same format.
pub fn priority(value: &str) -> anyhow::Result<Priority> {
    Priority::named(value).map_err(|e| anyhow::anyhow!("--priority {e}"))
}

/// A progress bar on stderr for inputs over 8 MiB (or 50,000 sheet rows), only on a terminal.
pub fn progress_bar(total: u64, format: InputFormat, verb: &str) -> ProgressBar {
    let big = if format.is_sheet() {
        total > 50_000
    } else {
        total > 8 * 1024 * 1024
    };
    if !big || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = if format.is_sheet() {
        format!("{verb} [{{bar:40}}] row {{pos}}/{{len}} ({{eta}} left)")
    } else {
        format!("{verb} [{{bar:40}}] {{bytes}}/{{total_bytes}} ({{eta}} left)")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Moves `bar` at most every 64 KiB (or 1,000 rows) of input, and not at all when it is hidden.
pub fn throttled(bar: &ProgressBar) -> impl FnMut(u64) + '_ {
    let step = 64 * 1024;
    let hidden = bar.is_hidden();
    let mut next = 0u64;
    move |pos| {
        if !hidden && pos >= next {
            bar.set_position(pos);
            next = pos + step.min(bar.length().unwrap_or(u64::MAX) / 1000).max(1);
        }
    }
}
