//! `validate`: check a council return against a scheme or a return specification.

use super::files::{Destination, check_outputs};
use super::{args, registry, synonyms};
use clap::Args;
use indicatif::ProgressBar;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::Table;
use wm_ethnicity::{By, ReturnSpec};
use wm_ethnicity::{EncodingWriter, Severity};
use wm_ethnicity::{Finding, Report, Sink, Validator};
use wm_ethnicity::{FindingsContext, FindingsFormat, FindingsWriter};

/// Flags of `validate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 no errors (queries allowed), 1 errors found, 2 could not \
validate.\nEach finding gives its row (the row Excel shows, blank rows and rows above the header \
counted, a value with line breaks in one row), its line (as a text editor counts) and its record \
number (1 = the first after the header). Rules: docs/rules.md."
)]
#[command(
    mut_arg("scheme", |a| {
        a.required_unless_present_any(["spec", "scheme_column", "council_column", "dataset"])
            .requires("column")
    }),
    mut_arg("column", |a| a.required_unless_present("spec")),
    mut_arg("spec", |a| {
        a.conflicts_with_all(["scheme", "column", "scheme_column", "council_column", "by"])
    })
)]
pub struct ValidateArgs {
    /// The return: CSV (comma, tab or semicolon separated), JSON Lines, or an Excel workbook.
    file: PathBuf,
    /// The coded column and its scheme.
    #[command(flatten)]
    coded: args::CodedArgs,
    #[command(flatten)]
    by: args::ByArgs,
    /// Each row's scheme from the file.
    #[command(flatten)]
    rows: args::RowSchemeArgs,
    /// The header of the record id column: ids are checked for duplicates.
    #[arg(long = "id-column")]
    id_column: Option<String>,
    /// The header of the date column: each code must be valid on its record's date.
    #[arg(long = "date-column")]
    date_column: Option<String>,
    /// The council submitting the return: ONS code (E08000025), short id or name.
    #[arg(long)]
    council: Option<String>,
    /// Which of the council's returns this is (a dataset of its profile: `wm-ethnicity
    /// councils`), e.g. children-in-need: the scheme is then the profile's (no --scheme needed)
    /// and a code that return does not take is an error naming its main code (WM019).
    #[arg(long)]
    dataset: Option<String>,
    /// Columns, schemes, required columns and the return's rules, from a file.
    #[command(flatten)]
    spec: args::SpecArgs,
    /// Characteristic columns checked beside ethnicity.
    #[command(flatten)]
    characteristics: args::CharacteristicArgs,
    #[command(flatten)]
    schemes: args::SchemeFileArgs,
    #[command(flatten)]
    synonyms: args::SynonymArgs,
    /// How to read the input.
    #[command(flatten)]
    input: args::InputArgs,
    /// The largest share (0 to 1) of residual values allowed in a coded column (default 0.2).
    #[arg(long = "max-residual-share", value_parser = parse_share)]
    max_residual_share: Option<f64>,
    /// Output format: a summary (text), one JSON document, or one finding per line (jsonl, csv).
    #[arg(long, value_enum, default_value_t)]
    format: FindingsFormat,
    /// How many findings the text summary lists (jsonl and csv list every finding).
    #[arg(long = "max-findings", default_value_t = 20)]
    max_findings: usize,
    /// Where the findings (or the summary) go.
    #[command(flatten)]
    output: args::OutputArgs,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "`{s}` is not a share between 0 and 1 (e.g. 0.2 for 20%)"
        )),
    }
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    // A council and one of its returns given by flags: the profile's scheme, unless --scheme.
    let given = ReturnSpec {
        council: args.council.clone(),
        dataset: args.dataset.clone(),
        ..ReturnSpec::default()
    };
    let profile_scheme = match &args.dataset {
        Some(_) if args.spec.spec.is_none() => given.council_return()?.map(|(_, r)| &r.scheme),
        _ => None,
    };
    let scheme = args.coded.scheme.as_ref().or(profile_scheme);
    let from = args.rows.scheme_from(scheme.map(String::as_str));
    let mut spec = match (&args.spec.spec, from, &args.coded.column) {
        (Some(path), _, _) => ReturnSpec::load(path)?,
        (None, Some(from), Some(column)) => {
            ReturnSpec::coded_from(column, from, args.by.or(By::Code))
        }
        _ => anyhow::bail!(
            "give --column with --scheme (or --council and --dataset, --scheme-column, or \
             --council-column and --dataset-column), or --spec"
        ),
    };
    if args.council.is_some() {
        spec.council.clone_from(&args.council);
    }
    if args.dataset.is_some() {
        spec.dataset.clone_from(&args.dataset);
    }
    if let Some(c) = &args.id_column {
        spec = spec.with_id_column(c);
    }
    if let Some(c) = &args.date_column {
        spec = spec.with_date_column(c);
    }
    if let Some(x) = args.max_residual_share {
        spec.max_residual_share = x;
    }
    for c in &args.characteristics.characteristics {
        spec = spec.with_characteristic(c)?;
    }
    let council = match spec.council.as_deref() {
        None => None,
        Some(key) => Some(wm_ethnicity::council(key).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown council `{key}`; the councils are: {}",
                wm_ethnicity::councils()
                    .iter()
                    .map(|c| format!("{} ({})", c.code, c.short))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
    };
    let mut files = spec.scheme_files.clone();
    files.extend(args.schemes.scheme_files.iter().cloned());
    let registry = registry(&files)?;
    let synonyms = synonyms(&args.synonyms.synonym_files, &registry)?;
    let validator = Validator::new(&spec, &registry)?.with_synonyms(&synonyms);
    let output = args.output.path();
    check_outputs(&[("--output", output)], std::slice::from_ref(&args.file))?;
    if args.format == FindingsFormat::Xlsx {
        // A workbook is bytes, not text: to a file, as it is.
        if output.is_none() {
            anyhow::bail!("--format xlsx writes a workbook: give --output FILE.xlsx");
        }
        if args.output.output_encoding.is_some() {
            anyhow::bail!("--output-encoding is for text: a workbook has its own");
        }
    }
    let opts = args.input.read_options();
    let table = Table::open(&args.file, &opts)?;
    // Create the output before reading a record: a refusal costs nothing.
    let encoding = args.output.encoding(
        output.is_none(),
        matches!(args.format, FindingsFormat::Text | FindingsFormat::Csv),
        [table.encoding()],
    );
    let mut out = EncodingWriter::new(Destination::open(output, args.output.force)?, encoding);
    let bar = super::progress_bar(table.progress_total(), table.format(), "validating");
    let context = FindingsContext {
        spec: &spec,
        council,
        max_listed: args.max_findings,
    };
    let result = findings(&validator, table, &bar, args.format, context, &mut out);
    let result = result.and_then(|report| {
        out.into_inner()
            .map_err(|e| match output {
                Some(p) => anyhow::anyhow!("{}: cannot write: {e}", p.display()),
                None => e.into(),
            })?
            .finish()?;
        Ok(report)
    });
    match result {
        Ok(report) if report.has_errors() => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if super::is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e),
    }
}

/// Validates `table` into the writer of `format`, writing to `out`.
fn findings(
    validator: &Validator<'_>,
    table: Table<'_>,
    bar: &ProgressBar,
    format: FindingsFormat,
    context: FindingsContext<'_>,
    out: &mut EncodingWriter<Destination>,
) -> anyhow::Result<Report> {
    let mut writer = format.writer(out, context)?;
    let report = validator.validate(
        table,
        &mut WithProgress {
            writer: &mut *writer,
            bar,
        },
    );
    bar.finish_and_clear();
    let report = report?;
    writer.finish(&report)?;
    Ok(report)
}

/// A findings writer that also moves the progress bar.
struct WithProgress<'w, 'b> {
    writer: &'w mut dyn FindingsWriter,
    bar: &'b ProgressBar,
}

impl Sink for WithProgress<'_, '_> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        self.writer.finding(finding)
    }
    fn wants_findings(&self) -> bool {
        self.writer.wants_findings()
    }
    fn wants(&self, severity: Severity) -> bool {
        self.writer.wants(severity)
    }
    fn progress(&mut self, _records: u64, done: u64) {
        self.bar.set_position(done);
    }
}
