//! `fhir`.

use super::args::SchemeFileArgs;
use super::{registry, stdout};
use clap::Args;
use std::io::Write;
use std::process::ExitCode;
use wm_ethnicity::fhir_bundle;

/// Flags of `fhir`.
#[derive(Args)]
pub struct FhirArgs {
    /// The schemes to write (may be given more than once; default: every scheme, built-in and
    /// loaded).
    #[arg(long = "scheme")]
    schemes: Vec<String>,
    #[command(flatten)]
    scheme_files: SchemeFileArgs,
}

/// Runs `fhir`: one FHIR R4 Bundle (JSON) on standard output.
pub fn run(a: &FhirArgs) -> anyhow::Result<ExitCode> {
    let reg = registry(&a.scheme_files.scheme_files)?;
    let ids: Vec<String> = if a.schemes.is_empty() {
        reg.ids().map(str::to_owned).collect()
    } else {
        a.schemes.clone()
    };
    let schemes = ids
        .iter()
        .map(|id| reg.require(id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = stdout();
    serde_json::to_writer(&mut out, &fhir_bundle(&schemes))?;
    writeln!(out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
