//! `detect`: which scheme could have produced a column.

use super::{args, registry, stdout, write_json};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::{By, Candidate, ColumnValues, Detection, Table, Verdict, detect, thousands};

/// Flags of `detect`.
#[derive(Args, Debug)]
#[command(
    after_help = "Ranks every scheme (built-in and those given with --scheme-file), by \
codes and by labels, by the share of the column's values each explains. Exit status: 0 one \
scheme (or several equally) explains the column, 1 the column mixes schemes or no scheme \
explains it, 2 could not read it."
)]
pub struct DetectArgs {
    /// The file: CSV, JSON Lines, or an Excel workbook.
    file: PathBuf,
    /// The header of the column to examine.
    #[arg(long)]
    column: String,
    #[command(flatten)]
    schemes: args::SchemeFileArgs,
    /// How to read the input.
    #[command(flatten)]
    input: args::InputArgs,
    /// How many candidates the text lists (JSON lists every one).
    #[arg(long = "max-candidates", default_value_t = 5)]
    max_candidates: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: DetectFormat,
}

/// The output formats of `detect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
enum DetectFormat {
    /// For people, on a terminal.
    #[default]
    Text,
    /// One JSON document (schema/output/detect.schema.json).
    Json,
}

#[derive(Serialize)]
struct Output<'a> {
    file: &'a str,
    column: &'a str,
    #[serde(flatten)]
    detection: &'a Detection,
}

/// Runs `detect`.
pub fn run(args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let registry = registry(&args.schemes.scheme_files)?;
    let table = Table::open(&args.file, &args.input.read_options())?;
    let file = table.name().to_owned();
    let values = ColumnValues::read(table, &args.column)?;
    let d = detect(&registry, &values);
    let mut out = stdout();
    match args.format {
        DetectFormat::Json => write_json(
            &mut out,
            &Output {
                file: &file,
                column: &args.column,
                detection: &d,
            },
        )?,
        DetectFormat::Text => text(&mut out, &file, args, &d)?,
    }
    out.flush()?;
    Ok(match d.verdict {
        Verdict::One | Verdict::Tie => ExitCode::SUCCESS,
        Verdict::Mixed | Verdict::None => ExitCode::from(1),
    })
}

fn how(c: &Candidate) -> String {
    format!(
        "{} by {}",
        c.scheme,
        match c.by {
            By::Label => "label",
            _ => "code",
        }
    )
}

fn explains(c: &Candidate, total: u64) -> String {
    format!(
        "explains {} of {} values ({:.1}%; {} found exactly), {} of its {} codes used",
        thousands(c.explained),
        thousands(total),
        c.share * 100.0,
        thousands(c.exact),
        c.codes_used,
        c.codes
    )
}

fn text(out: &mut impl Write, file: &str, args: &DetectArgs, d: &Detection) -> anyhow::Result<()> {
    writeln!(out, "wm-ethnicity detect: {file}, column {}", args.column)?;
    write!(
        out,
        "  records:   {} ({} values, {} distinct",
        thousands(d.records),
        thousands(d.values),
        thousands(d.distinct)
    )?;
    for (n, what) in [
        (d.empty, "empty"),
        (d.unreadable, "not readable as text"),
        (d.not_examined, "not examined (too many distinct values)"),
    ] {
        if n > 0 {
            write!(out, "; {} {what}", thousands(n))?;
        }
    }
    writeln!(out, ")")?;
    writeln!(out)?;
    let Some(best) = d.candidates.first() else {
        writeln!(
            out,
            "No scheme explains any value of the column, by codes or by labels."
        )?;
        return Ok(());
    };
    writeln!(out, "Candidates, best first:")?;
    for c in d.candidates.iter().take(args.max_candidates) {
        writeln!(out, "  {:<38} {}", how(c), explains(c, d.values))?;
    }
    let more = d.candidates.len().saturating_sub(args.max_candidates);
    if more > 0 {
        writeln!(out, "  and {more} more (--format json lists every one)")?;
    }
    writeln!(out)?;
    verdict(out, d, best)?;
    if !d.unexplained.is_empty() {
        writeln!(
            out,
            "Not explained by {} ({} distinct values):",
            best.scheme,
            thousands(d.unexplained_distinct)
        )?;
        for v in &d.unexplained {
            writeln!(
                out,
                "  {:<24} {} record{}, first on line {} (record {})",
                v.value
                    .as_deref()
                    .map_or_else(|| "(value not shown)".to_owned(), |v| format!("`{v}`")),
                thousands(v.count),
                if v.count == 1 { "" } else { "s" },
                v.first_line,
                v.first_record
            )?;
        }
    }
    if !d.unused_categories.is_empty() {
        let unused: Vec<&str> = d.unused_categories.iter().map(|c| c.code).collect();
        writeln!(
            out,
            "Categories {} can express that the column never uses: {}",
            best.scheme,
            unused.join(", ")
        )?;
    }
    if best.by == By::Label {
        writeln!(
            out,
            "Free text: validate and convert with --by label also match the curated synonyms, \
             which this ranking leaves out (they belong to no one scheme)."
        )?;
    }
    writeln!(
        out,
        "Next: wm-ethnicity validate {} --scheme {} --column {}{}",
        args.file.display(),
        best.scheme,
        args.column,
        if best.by == By::Label {
            " --by label"
        } else {
            ""
        }
    )?;
    Ok(())
}

fn verdict(out: &mut impl Write, d: &Detection, best: &Candidate) -> std::io::Result<()> {
    match (d.verdict, &d.second) {
        (Verdict::Mixed, Some((s, n))) => writeln!(
            out,
            "Verdict: the column mixes schemes: {} explains {:.1}%, and {} explains {} of the \
             values it does not.",
            how(best),
            best.share * 100.0,
            how(s),
            thousands(*n)
        )?,
        (Verdict::Tie, _) => {
            let tied: Vec<String> = d
                .candidates
                .iter()
                .take_while(|c| c.explained == best.explained && c.exact == best.exact)
                .map(how)
                .collect();
            writeln!(
                out,
                "Verdict: {} explain the column equally; its values cannot tell them apart.",
                tied.join(", ")
            )?;
        }
        _ if best.share < 0.95 => writeln!(
            out,
            "Verdict: {}, though it explains only {:.1}% of the values.",
            how(best),
            best.share * 100.0
        )?,
        _ => writeln!(out, "Verdict: {}.", how(best))?,
    }
    Ok(())
}
