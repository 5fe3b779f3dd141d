//! `aggregate`: tables of counts by code or label, re-counted per node of the standard.

use super::convert::PolicyArg;
use super::files::{AtomicFile, Destination, check_outputs, stream_error};
use super::{registry, synonyms};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::aggregate::{AggregatePlan, Aggregator, Table as CountTable, aggregate_stream};
use wm_ethnicity::convert::{By, SchemeFrom, StreamError};
use wm_ethnicity::io::Table;
use wm_ethnicity::output::{RejectWriter, TableFormat, TextRejects};
use wm_ethnicity::standard::Level;

/// The level to count at (`--to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// The 5 groups.
    Group,
    /// The 19 categories.
    Category,
    /// The detailed categories.
    Detailed,
}

/// Flags of `aggregate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Totals are preserved exactly: input total = output total + rejected \
total. A count that cannot be placed as finely as asked stays at the level it has \
(placement `coarser`); residual values are kept apart (placement `residual`).\n\
Exit status: 0 every row placed, 1 some rows rejected, 2 could not aggregate.\n\
See docs/convert.md."
)]
pub struct AggregateArgs {
    /// The tables (CSV, JSON Lines or Excel), all with the same columns; counts are summed.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The scheme of the code column (`standard` for standard codes, e.g. the `wm_code` column
    /// of `convert` output).
    #[arg(long, conflicts_with_all = ["scheme_column", "council_column"])]
    scheme: Option<String>,
    /// The header of the column holding codes.
    #[arg(long = "code-column", conflicts_with = "label_column")]
    code_column: Option<String>,
    /// The header of the column holding labels (free text), matched through the curated
    /// synonyms.
    #[arg(long = "label-column")]
    label_column: Option<String>,
    /// The header of the column holding counts; without it every row counts 1.
    #[arg(long = "count-column")]
    count_column: Option<String>,
    /// The level to count at.
    #[arg(long, value_enum)]
    to: LevelArg,
    /// What to place for codes broader than one category.
    #[arg(long, value_enum, default_value_t)]
    policy: PolicyArg,
    /// A column holding each row's scheme id.
    #[arg(long = "scheme-column", conflicts_with = "council_column")]
    scheme_column: Option<String>,
    /// A column holding each row's council; with --dataset-column, resolved through the council
    /// profiles.
    #[arg(long = "council-column", requires = "dataset_column")]
    council_column: Option<String>,
    /// A column holding each row's dataset.
    #[arg(long = "dataset-column", requires = "council_column")]
    dataset_column: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: TableFormat,
    /// Where to write the table (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Where to write the rows that could not be placed, as CSV (default: standard error).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Replace an existing output or rejects file.
    #[arg(long)]
    force: bool,
    /// A local scheme file to load first (may be given more than once).
    #[arg(long = "scheme-file")]
    scheme_files: Vec<PathBuf>,
    /// A synonym file to add to the curated list for --label-column (may be given more than once).
    #[arg(long = "synonyms")]
    synonym_files: Vec<PathBuf>,
    /// How to read the input.
    #[command(flatten)]
    input: super::InputArgs,
}

/// The plan and level from the flags.
fn plan(args: &AggregateArgs) -> anyhow::Result<(AggregatePlan, Level)> {
    let (column, by) = match (&args.code_column, &args.label_column) {
        (Some(c), None) => (c.clone(), By::Code),
        (None, Some(c)) => (c.clone(), By::Label),
        _ => anyhow::bail!("give --code-column or --label-column"),
    };
    let scheme = match (
        &args.scheme,
        &args.scheme_column,
        &args.council_column,
        &args.dataset_column,
    ) {
        (Some(s), _, _, _) => SchemeFrom::Fixed(s.clone()),
        (None, Some(c), _, _) => SchemeFrom::Column(c.clone()),
        (None, None, Some(c), Some(d)) => SchemeFrom::Council {
            council: c.clone(),
            dataset: d.clone(),
        },
        _ => anyhow::bail!(
            "give --scheme, --scheme-column, or --council-column with --dataset-column"
        ),
    };
    let plan = AggregatePlan {
        column,
        scheme,
        by,
        policy: args.policy.into(),
        count_column: args.count_column.clone(),
    };
    let level = match args.to {
        LevelArg::Group => Level::Group,
        LevelArg::Category => Level::Category,
        LevelArg::Detailed => Level::Detailed,
    };
    Ok((plan, level))
}

/// Runs `aggregate`.
pub fn run(args: &AggregateArgs) -> anyhow::Result<ExitCode> {
    let (plan, level) = plan(args)?;
    let registry = registry(&args.scheme_files)?;
    let synonyms = synonyms(&args.synonym_files, &registry)?;
    check_outputs(
        &[
            ("--output", args.output.as_deref()),
            ("--rejects", args.rejects.as_deref()),
        ],
        &args.files,
    )?;
    let opts = args.input.read_options();
    // Open every input first: a missing file stops the run before anything is written.
    let tables = args
        .files
        .iter()
        .map(|f| Table::open(f, &opts))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Destination::open(args.output.as_deref(), args.force)?;
    let mut rejects_file = match &args.rejects {
        Some(p) => Some(
            RejectWriter::new(AtomicFile::create(p, args.force)?).map_err(|e| {
                stream_error(StreamError::Rejects(e), None, args.rejects.as_deref())
            })?,
        ),
        None => None,
    };
    let mut agg = Aggregator::new(level)?;
    let mut names = Vec::with_capacity(tables.len());
    for table in tables {
        let name = table.name().to_owned();
        let bar = super::progress_bar(table.progress_total(), table.format(), "aggregating");
        let result = match &mut rejects_file {
            Some(rw) => aggregate_stream(&mut agg, &registry, &synonyms, table, &plan, rw),
            None => aggregate_stream(
                &mut agg,
                &registry,
                &synonyms,
                table,
                &plan,
                &mut TextRejects::new(std::io::stderr(), &name),
            ),
        };
        bar.finish_and_clear();
        result.map_err(|e| stream_error(e, args.output.as_deref(), args.rejects.as_deref()))?;
        names.push(name);
    }
    let table = agg.finish();
    args.format.write(&mut out, &names, &table)?;
    if let Some(rw) = rejects_file {
        rw.finish()
            .map_err(|e| stream_error(StreamError::Rejects(e), None, args.rejects.as_deref()))?
            .persist()?;
    }
    out.finish()?;
    if args.output.is_some() {
        summary(&mut std::io::stdout().lock(), &names, &table, args)?;
    } else {
        summary(&mut std::io::stderr().lock(), &names, &table, args)?;
    }
    Ok(if table.rejected_rows == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn summary(
    out: &mut dyn Write,
    names: &[String],
    t: &CountTable,
    args: &AggregateArgs,
) -> std::io::Result<()> {
    writeln!(out, "wm-ethnicity aggregate: {}", names.join(", "))?;
    writeln!(
        out,
        "  rows in:       {} = placed {} + rejected {}",
        t.input_rows,
        t.input_rows - t.rejected_rows,
        t.rejected_rows
    )?;
    writeln!(
        out,
        "  totals:        input {} = output {} + rejected {}",
        t.input_total, t.output_total, t.rejected_total
    )?;
    let as_asked = t.output_total - t.coarser_total - t.residual_total;
    writeln!(out, "  {:<15}{as_asked}", format!("at {}:", t.to))?;
    if t.coarser_total > 0 {
        let rows: Vec<String> = t
            .coarser()
            .map(|r| format!("{} {} ({})", r.code, r.count, r.level))
            .collect();
        writeln!(
            out,
            "  not as fine as asked: {} at a coarser level: {}",
            t.coarser_total,
            rows.join(", ")
        )?;
    }
    writeln!(
        out,
        "  residual:      {} (declined, not obtained, not known)",
        t.residual_total
    )?;
    if t.most_likely_total > 0 {
        writeln!(
            out,
            "  most likely:   {} placed by a documented most-likely choice",
            t.most_likely_total
        )?;
    }
    if t.observed_total > 0 {
        writeln!(
            out,
            "  observed:      {} from officer-observed codes: not self-defined ethnicity",
            t.observed_total
        )?;
    }
    if let Some(p) = &args.output {
        writeln!(out, "  output:        {}", p.display())?;
    }
    if let Some(p) = &args.rejects {
        writeln!(out, "  rejects:       {}", p.display())?;
    }
    Ok(())
}
