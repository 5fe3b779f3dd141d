//! `mapping check`.

use super::args::{Format, InputArgs, SchemeFileArgs};
use super::{registry, stdout, write_json};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::{MapColumns, MapVerdict, Table, check_map};

/// `mapping` subcommands.
#[derive(Subcommand)]
pub enum MappingCommand {
    /// Check a map (CSV: source code, target code, optional label) from one scheme to another
    /// against the standard, row by row: agrees, coarser, finer, contradicts, target not a code
    /// of the target scheme, or a split by a criterion the standard does not have.
    Check(CheckArgs),
}

/// Flags of `mapping check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The map: a header, then rows of source code, target code and (optionally) a label.
    file: PathBuf,
    /// The scheme of the source codes.
    #[arg(long)]
    from: String,
    /// The scheme of the target codes.
    #[arg(long)]
    to: String,
    /// The column of source codes (default: the first).
    #[arg(long)]
    source_column: Option<String>,
    /// The column of target codes (default: the second).
    #[arg(long)]
    target_column: Option<String>,
    /// The column of labels (default: the third, when there is one).
    #[arg(long)]
    label_column: Option<String>,
    #[command(flatten)]
    schemes: SchemeFileArgs,
    #[command(flatten)]
    input: InputArgs,
    /// Output format (JSON: schema/output/mapping-check.schema.json).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Runs `mapping check`: exit 0 when every row agrees, 1 otherwise.
pub fn check(a: &CheckArgs) -> anyhow::Result<ExitCode> {
    let reg = registry(&a.schemes.scheme_files)?;
    let (from, to) = (reg.require(&a.from)?, reg.require(&a.to)?);
    let table = Table::open(&a.file, &a.input.read_options())?;
    let cols = MapColumns::find(
        &table,
        a.source_column.as_deref(),
        a.target_column.as_deref(),
        a.label_column.as_deref(),
    )?;
    let report = check_map(table, cols, from, to)?;
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Jsonl => {
            for r in &report.results {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "line",
                "source",
                "target",
                "verdict",
                "split",
                "standard_answer",
                "message",
            ])?;
            for r in &report.results {
                w.write_record([
                    r.line.to_string().as_str(),
                    &r.source,
                    &r.target,
                    r.verdict.name(),
                    if r.split { "true" } else { "false" },
                    r.standard_answer.as_deref().unwrap_or(""),
                    &r.message,
                ])?;
            }
            w.flush()?;
        }
        Format::Text => {
            writeln!(
                out,
                "wm-ethnicity mapping check: {}, {} -> {}: {} rows",
                report.file, report.from, report.to, report.rows
            )?;
            for (v, n) in &report.verdicts {
                writeln!(out, "  {v}: {n}")?;
            }
            writeln!(out, "  in a split: {}", report.split_rows)?;
            for r in &report.results {
                writeln!(out, "line {}: {}: {}", r.line, r.verdict.name(), r.message)?;
            }
        }
    }
    out.flush()?;
    let clean = report
        .results
        .iter()
        .all(|r| r.verdict == MapVerdict::Agrees && !r.split);
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
