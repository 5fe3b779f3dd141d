//! The `wm-ethnicity` command line: argument parsing and I/O wiring only.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The West Midlands ethnicity data standard: look up, crosswalk, validate and convert codes.
#[derive(Parser)]
#[command(name = "wm-ethnicity", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the standard's nodes (groups, categories, detailed, residuals).
    Standard(cli::info::StandardArgs),
    /// List the coding schemes with their code counts and sources.
    Schemes(cli::info::SchemesArgs),
    /// List the councils and the scheme of each of their returns.
    Councils(cli::info::SchemesArgs),
    /// Look up codes of a scheme: label, relationship, standard node, group, category.
    Lookup(cli::lookup::LookupArgs),
    /// Every code of one scheme expressed in another, through the standard, with the loss.
    Crosswalk(cli::lookup::CrosswalkArgs),
    /// Check scheme files (a council's local scheme).
    #[command(subcommand)]
    Scheme(cli::lookup::SchemeCommand),
    /// Validate a council return (CSV, JSON Lines, Excel): findings with stable rule ids.
    Validate(cli::validate::ValidateArgs),
    /// Convert records (codes or free text) into the standard, or into another scheme.
    Convert(cli::convert::ConvertArgs),
    /// Re-count a table of counts by code or label per node of the standard.
    Aggregate(Box<cli::aggregate::AggregateArgs>),
    /// Which scheme could have produced a column: every scheme ranked by the values it explains.
    Detect(cli::detect::DetectArgs),
    /// The standard and the schemes as FHIR R4 code systems and concept maps, in one bundle.
    Fhir(cli::fhir::FhirArgs),
    /// Check someone else's map between two schemes against the standard.
    #[command(subcommand)]
    Mapping(cli::mapping::MappingCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Standard(a) => cli::info::standard(a),
        Command::Schemes(a) => cli::info::schemes(a),
        Command::Councils(a) => cli::info::councils(a),
        Command::Lookup(a) => cli::lookup::lookup(a),
        Command::Crosswalk(a) => cli::lookup::crosswalk(a),
        Command::Scheme(cli::lookup::SchemeCommand::Check(a)) => cli::lookup::check(a),
        Command::Validate(a) => cli::validate::run(a),
        Command::Convert(a) => cli::convert::run(a),
        Command::Aggregate(a) => cli::aggregate::run(a),
        Command::Detect(a) => cli::detect::run(a),
        Command::Fhir(a) => cli::fhir::run(a),
        Command::Mapping(cli::mapping::MappingCommand::Check(a)) => cli::mapping::check(a),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            cli::report_error(&e);
            ExitCode::from(2)
        }
    }
}
