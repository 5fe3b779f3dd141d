//! `convert`: records in any scheme into records of the standard (or of another scheme), every
//! row ending in the output or in the rejects.

use super::files::{Destination, check_outputs, stream_error};
use super::{args, priority, registry, synonyms, throttled};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wm_ethnicity::ReturnSpec;
use wm_ethnicity::{ANSWERS_JOINED_BY, DEFAULT_PRIORITY, Level};
use wm_ethnicity::{
    AddedColumns, OutputColumns, RecordFormat, RecordOutput, RejectWriter, TextRejects,
};
use wm_ethnicity::{
    Converter, Plan, PlanError, PlanRequest, RejectSink, Rejected, RunReport, StreamError, Summary,
    convert_stream,
};
use wm_ethnicity::{EncodingWriter, OutputEncoding, read_as, thousands};
use wm_ethnicity::{InputFormat, Table};
use wm_ethnicity::{POSITION_COLUMNS, REJECT_REASON_COLUMNS, check_position_columns};

/// Flags of `convert`.
#[derive(Args, Debug)]
#[command(
    after_help = "Output: every input column, then (with --with-position) wm_line, wm_record, \
then wm_code, wm_level, wm_group, wm_category, wm_detailed, wm_relationship, wm_candidates, \
wm_policy, wm_source_scheme, wm_source_code, wm_match, wm_observed, wm_standard_version (then \
wm_answers, wm_prioritised with several ethnicities per person; wm_to_* with --to-scheme; then \
wm_sex, wm_gender_identity, wm_age_band, wm_religion, wm_disability for each \
--characteristic).\n\
Several ethnicities per person (--separator, or --column given more than once): each wm_ \
column holds the person's answers in order joined by `;` (aggregate --scheme standard --column \
wm_code --separator ';' counts them), wm_answers how many, wm_prioritised the one --priority \
picks; a row with one bad answer is rejected naming its column and position.\n\
Rejects: line, record, row (the row Excel shows), column, value, rule, rule_name, reason, \
suggestion; with --rejects-rows full: every input column, then wm_line, wm_record, wm_column, wm_rule, wm_rule_name, \
wm_reason, wm_suggestion (fix the rows and convert the file again with the same flags).\n\
Output and full-row rejects hold every column of the input (names, dates of birth, ids): \
personal data.\n\
Exit status: 0 every row converted, 1 some rows rejected, 2 could not convert.\n\
See docs/convert.md."
)]
pub struct ConvertArgs {
    /// The records: CSV (comma, tab or semicolon separated), JSON Lines, or an Excel workbook.
    file: PathBuf,
    /// The column to convert and its scheme.
    #[command(flatten)]
    coded: args::CodedArgs,
    #[command(flatten)]
    by: args::ByArgs,
    #[command(flatten)]
    separator: args::SeparatorArgs,
    /// With several ethnicities per person: the order of `wm_prioritised`.
    #[command(flatten)]
    priority: args::PriorityArgs,
    #[command(flatten)]
    characteristics: args::CharacteristicArgs,
    #[command(flatten)]
    policy: args::PolicyArgs,
    /// Each row's scheme from the file.
    #[command(flatten)]
    rows: args::RowSchemeArgs,
    /// Also express every record in this scheme (e.g. nhs-ethnic-category), with the loss.
    #[arg(long = "to-scheme")]
    to_scheme: Option<String>,
    #[command(flatten)]
    output: args::OutputArgs,
    /// Add `wm_line` and `wm_record` to every converted record: the line it starts on and its
    /// record number in the input (an input that has both, from an earlier run, keeps its own:
    /// the places in the original input).
    #[arg(long)]
    with_position: bool,
    /// Only these added columns, comma separated, with or without `wm_` (e.g.
    /// `code,group,category`); they keep their order. Default: all.
    #[arg(long, value_parser = OutputColumns::parse)]
    columns: Option<OutputColumns>,
    #[command(flatten)]
    rejects: args::RejectsArgs,
    /// What a rejected row holds in the --rejects file.
    #[arg(long, value_enum, default_value_t, requires = "rejects")]
    rejects_rows: RejectRows,
    /// Output format (default: from the output's extension, else the input's kind: JSON Lines
    /// for JSON Lines input, CSV otherwise). xlsx: one workbook of Summary, Records and Rejects
    /// sheets, every value as text (at most 1,048,575 records: a run with more stops, writing
    /// nothing).
    #[arg(long, value_enum)]
    format: Option<RecordFormat>,
    /// The coded column, its scheme and what an empty cell means, from a file.
    #[command(flatten)]
    spec: args::SpecArgs,
    #[command(flatten)]
    schemes: args::SchemeFileArgs,
    #[command(flatten)]
    synonyms: args::SynonymArgs,
    /// How to read the input.
    #[command(flatten)]
    input: args::InputArgs,
}

/// What a rejected row holds in the `--rejects` file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum RejectRows {
    /// Where and why only (line, record, column, value, rule, ...): never another column.
    #[default]
    Narrow,
    /// The whole input row, then where and why (`wm_line`, `wm_record`, `wm_column`, ...):
    /// every column, personal data as in the output; fixed, the file converts again.
    Full,
}

/// The plan from the flags and the specification, and the scheme files to load.
fn plan(args: &ConvertArgs) -> anyhow::Result<(Plan, Vec<PathBuf>)> {
    let spec = args
        .spec
        .spec
        .as_ref()
        .map(|p| ReturnSpec::load(p).map(|s| (s, p.display().to_string())))
        .transpose()?;
    let request = PlanRequest {
        spec: spec.as_ref().map(|(s, name)| (s, name.as_str())),
        columns: args.coded.column.clone(),
        scheme: args.rows.scheme_from(args.coded.scheme.as_deref()),
        by: args.by.by,
        policy: Some(args.policy.policy),
        to_scheme: args.to_scheme.clone(),
        characteristics: args.characteristics.characteristics.clone(),
        separator: args.separator.separator.clone(),
        priority: args
            .priority
            .priority
            .as_deref()
            .map(priority)
            .transpose()?,
    };
    let plan = request.plan().map_err(|e| match e {
        PlanError::NoColumn => {
            anyhow::anyhow!("give --column (the header of the column to convert)")
        }
        PlanError::NoScheme => anyhow::anyhow!(
            "give --scheme, --scheme-column, or --council-column with --dataset-column"
        ),
        PlanError::PriorityWithoutSeveral => anyhow::anyhow!(
            "--priority orders several ethnicities per person: give --separator, or more than \
             one --column"
        ),
        other => other.into(),
    })?;
    let mut files = spec.map(|(s, _)| s.scheme_files).unwrap_or_default();
    files.extend(args.schemes.scheme_files.iter().cloned());
    Ok((plan, files))
}

fn output_format(args: &ConvertArgs, input: InputFormat) -> RecordFormat {
    if let Some(f) = args.format {
        return f;
    }
    let ext = args
        .output
        .output
        .as_ref()
        .and_then(|p| p.extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let by_ext = ext.and_then(|e| {
        RecordFormat::value_variants()
            .iter()
            .copied()
            .find(|f| f.extensions().contains(&e.as_str()))
    });
    match by_ext {
        Some(f) => f,
        None if input == InputFormat::Jsonl => RecordFormat::Jsonl,
        None => RecordFormat::Csv,
    }
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    let (plan, files) = plan(args)?;
    let output = args.output.path();
    let rejects = args.rejects.rejects.as_deref();
    let force = args.output.force;
    let registry = registry(&files)?;
    let synonyms = synonyms(&args.synonyms.synonym_files, &registry)?;
    check_outputs(
        &[("--output", output), ("--rejects", rejects)],
        std::slice::from_ref(&args.file),
    )?;
    let table = Table::open(&args.file, &args.input.read_options())?;
    let (input_name, input_format) = (table.name().to_owned(), table.format());
    let encoding_note = table.encoding().map(|e| e.note.clone());
    let read_as = read_as(
        input_format,
        table
            .delimiter()
            .map(|d| char::from(d).to_string())
            .as_deref(),
        table.sheet(),
        (table.header_line(), table.header_row()),
    );
    let input_encoding = table.encoding().cloned();
    let converter = Converter::new(&registry, &synonyms, &plan, table.header(), &input_name)
        .map_err(|e| table.explain_missing(e))?;
    let full_rows = positions_checked(args, &table)?;
    let format = output_format(args, input_format);

    // Create both files before reading a row: a refusal costs nothing.
    let out_encoding = output_encoding(args, format, input_encoding.as_ref())?;
    let rejects_encoding = args.output.encoding(false, true, [input_encoding.as_ref()]);
    let sink = EncodingWriter::new(Destination::open(output, force)?, out_encoding);
    let rejects_file = rejects
        .map(|p| {
            Destination::open(Some(p), force).map(|d| EncodingWriter::new(d, rejects_encoding))
        })
        .transpose()?;
    let added = AddedColumns {
        position: args.with_position,
        columns: args.columns.unwrap_or_default(),
        ..AddedColumns::of(&converter)
    };
    let rerun = Rerun::of(table.header(), args.with_position || full_rows);
    let mut writer = format
        .writer(sink, table.header(), added)
        .map_err(|e| stream_error(StreamError::Write(e), output, None))?;
    let columns = writer.columns().len();
    let bar = super::progress_bar(table.progress_total(), input_format, "converting");
    let mut on_record = throttled(&bar);
    let (summary, rejects_out) = stream(
        table,
        &converter,
        &mut writer,
        rejects_file,
        full_rows,
        &mut on_record,
    );
    let rejects_out =
        rejects_out.map_err(|e| stream_error(StreamError::Rejects(e), None, rejects))?;
    bar.finish_and_clear();
    let summary = summary.map_err(|e| stream_error(e, output, rejects))?;
    let report = SummaryText {
        input: &input_name,
        read_as: &read_as,
        encoding: encoding_note.as_deref(),
        summary: &summary,
        plan: &plan,
        output,
        rejects,
        rejects_in_output: writer.rejects().is_some(),
        format,
        columns,
        out_encoding,
        encoding_of_rejects: rejects_encoding,
        full_rows,
        rerun,
    };
    let lines = report.lines();
    let run = RunReport {
        lines: &lines,
        summary: &summary,
    };
    finish_outputs(writer, &run, rejects_out, output, rejects)?;

    // The summary goes beside the records: to standard output when they went to a file.
    let mut to: Box<dyn Write> = if output.is_some() {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::io::stderr().lock())
    };
    // The first line names the file: the heading.
    writeln!(to, "wm-ethnicity convert: {input_name}")?;
    for (label, text) in &lines[1..] {
        writeln!(to, "  {:<11} {text}", format!("{label}:"))?;
    }
    Ok(if summary.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Ends the output (a workbook with `run` in it) and the rejects file: the rejects put in place
/// first, then the output, so a present output always has its rejects beside it.
fn finish_outputs(
    writer: RecordOutput<EncodingWriter<Destination>>,
    run: &RunReport<'_>,
    rejects_out: Option<FileRejects>,
    output: Option<&Path>,
    rejects: Option<&Path>,
) -> anyhow::Result<()> {
    let sink = writer
        .finish(run)
        .and_then(EncodingWriter::into_inner)
        .map_err(|e| stream_error(StreamError::Write(e), output, None))?;
    if let Some(rw) = rejects_out {
        let f = rw
            .finish()
            .and_then(EncodingWriter::into_inner)
            .map_err(|e| stream_error(StreamError::Rejects(e), None, rejects))?;
        f.finish()?;
    }
    sink.finish()
}

/// The output's encoding; Parquet and Arrow are binary (no byte-order mark, no other encoding)
/// and go to a file.
fn output_encoding(
    args: &ConvertArgs,
    format: RecordFormat,
    input: Option<&wm_ethnicity::EncodingInfo>,
) -> anyhow::Result<OutputEncoding> {
    let output = args.output.path();
    if format.is_text() {
        return Ok(args
            .output
            .encoding(output.is_none(), format == RecordFormat::Csv, [input]));
    }
    if output.is_none() {
        anyhow::bail!(
            "--format {}: {} is a binary file: give --output FILE",
            format.title().to_ascii_lowercase(),
            format.title()
        );
    }
    Ok(OutputEncoding::Utf8)
}

/// Whether the rejects are full rows; with them or `--with-position`, the header is checked for
/// position columns it already has.
fn positions_checked(args: &ConvertArgs, table: &Table<'_>) -> anyhow::Result<bool> {
    let full_rows = args.rejects_rows == RejectRows::Full;
    if args.with_position || full_rows {
        check_position_columns(table.header(), table.name(), table.header_line())?;
    }
    Ok(full_rows)
}

/// The rejects file's writer.
type FileRejects = RejectWriter<EncodingWriter<Destination>>;

/// Converts every record of `table` into `writer`, its rejects into `rejects` (full rows when
/// `full_rows`), else to standard error. The rejects writer is handed back to be finished.
fn stream<W: Write + Send>(
    table: Table<'_>,
    converter: &Converter<'_>,
    writer: &mut RecordOutput<W>,
    rejects: Option<EncodingWriter<Destination>>,
    full_rows: bool,
    on_record: &mut dyn FnMut(u64),
) -> (
    Result<Summary, StreamError>,
    std::io::Result<Option<FileRejects>>,
) {
    // A workbook keeps the rejects in a sheet of its own, beside a --rejects file if one is given.
    let mut kept = writer.rejects();
    let Some(f) = rejects else {
        if let Some(k) = &mut kept {
            return (
                convert_stream(table, converter, writer, &mut **k, on_record),
                Ok(None),
            );
        }
        let name = table.name().to_owned();
        let mut stderr = TextRejects::new(std::io::stderr(), &name);
        return (
            convert_stream(table, converter, writer, &mut stderr, on_record),
            Ok(None),
        );
    };
    let header = table.header().to_vec();
    let rw = if full_rows {
        RejectWriter::full_rows(f, &header)
    } else {
        RejectWriter::new(f)
    };
    match (rw, kept) {
        (Ok(mut rw), None) => (
            convert_stream(table, converter, writer, &mut rw, on_record),
            Ok(Some(rw)),
        ),
        (Ok(mut rw), Some(mut k)) => {
            let mut both = |r: &Rejected<'_>| {
                rw.reject(r)?;
                k.reject(r)
            };
            let summary = convert_stream(table, converter, writer, &mut both, on_record);
            (summary, Ok(Some(rw)))
        }
        (Err(e), _) => (Ok(Summary::default()), Err(e)),
    }
}

struct SummaryText<'a> {
    input: &'a str,
    read_as: &'a str,
    encoding: Option<&'a str>,
    summary: &'a Summary,
    plan: &'a Plan,
    output: Option<&'a Path>,
    rejects: Option<&'a Path>,
    /// True when the output holds the rejects (a workbook's Rejects sheet).
    rejects_in_output: bool,
    format: RecordFormat,
    columns: usize,
    out_encoding: OutputEncoding,
    encoding_of_rejects: OutputEncoding,
    full_rows: bool,
    rerun: Rerun,
}

/// What the input holds of an earlier run: position columns kept (when positions are written)
/// and reject reasons dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rerun {
    positions: bool,
    reasons: bool,
}

impl Rerun {
    fn of(header: &[String], positions_written: bool) -> Rerun {
        let has = |names: &[&str]| header.iter().any(|h| names.contains(&h.as_str()));
        Rerun {
            positions: positions_written && has(&POSITION_COLUMNS),
            reasons: has(&REJECT_REASON_COLUMNS),
        }
    }

    /// The summary's lines about the earlier run, if any.
    fn lines(self, out: &mut Vec<(String, String)>) {
        if self.positions {
            out.push(line(
                "positions",
                "wm_line and wm_record kept from the input: the places in the original input",
            ));
        }
        if self.reasons {
            out.push(line(
                "earlier run",
                format!(
                    "its reject reasons ({}) dropped",
                    REJECT_REASON_COLUMNS.join(", ")
                ),
            ));
        }
    }
}

/// A line of the summary: its label and its text.
fn line(label: &str, text: impl Into<String>) -> (String, String) {
    (label.to_owned(), text.into())
}

impl SummaryText<'_> {
    /// The summary's line about the output.
    fn output_line(&self) -> (String, String) {
        let fmt = self.format.title();
        let text = match self.output {
            Some(p) if self.format.is_text() => format!(
                "{} ({fmt}, {}, {} columns)",
                p.display(),
                self.out_encoding.title(),
                self.columns
            ),
            Some(p) if self.rejects_in_output => format!(
                "{} ({fmt}: sheets Summary, Records of {} columns, Rejects)",
                p.display(),
                self.columns
            ),
            Some(p) => format!(
                "{} ({fmt}, {} columns, the standard's dictionary-encoded)",
                p.display(),
                self.columns
            ),
            None => format!("standard output ({fmt})"),
        };
        line("output", text)
    }

    /// The summary's line about several ethnicities per person, when a person may give them.
    fn answers_line(&self) -> Option<(String, String)> {
        let s = self.summary;
        let t = thousands;
        self.plan.answers.several().then(|| {
            line(
                "answers",
                format!(
                    "{} in {} records ({} with more than one), in order, joined by `{}` in each \
                     wm_ column; wm_prioritised by {}",
                    t(s.answers),
                    t(s.converted),
                    t(s.more_than_one),
                    ANSWERS_JOINED_BY,
                    self.plan
                        .priority
                        .as_ref()
                        .map_or(DEFAULT_PRIORITY, |p| p.id.as_str())
                ),
            )
        })
    }

    /// The summary, a line each: its label (`rows in`) and its text; the first is the file's.
    fn lines(&self) -> Vec<(String, String)> {
        let s = self.summary;
        let t = thousands;
        let mut out = vec![line("file", self.input), line("read as", self.read_as)];
        if let Some(e) = self.encoding {
            out.push(line("encoding", e));
        }
        out.push(line(
            "converted",
            format!(
                "{} by {} from {}, policy {}",
                self.plan.answers.describe(&self.plan.column),
                self.plan.by.name(),
                self.plan.scheme,
                self.plan.policy
            ),
        ));
        out.push(line(
            "rows in",
            format!(
                "{} = converted {} + rejected {}",
                t(s.rows),
                t(s.converted),
                t(s.rejected)
            ),
        ));
        out.extend(self.answers_line());
        if s.blank_lines > 0 {
            out.push(line(
                "skipped",
                format!(
                    "{} blank or empty row{} (not records)",
                    t(s.blank_lines),
                    if s.blank_lines == 1 { "" } else { "s" }
                ),
            ));
        }
        self.count_lines(&mut out);
        self.rerun.lines(&mut out);
        self.file_lines(&mut out);
        out
    }

    /// The summary's lines of counts after `rows in`.
    fn count_lines(&self, out: &mut Vec<(String, String)>) {
        let s = self.summary;
        let t = thousands;
        out.push(line(
            "levels",
            format!(
                "detailed {}, category {}, group {}, residual {}",
                t(s.at_level(Level::Detailed)),
                t(s.at_level(Level::Category)),
                t(s.at_level(Level::Group)),
                t(s.at_level(Level::Residual))
            ),
        ));
        if s.kept_broader + s.most_likely > 0 {
            out.push(line(
                "broader",
                format!(
                    "{} kept at their common ancestor, {} most-likely choices (flagged in wm_policy)",
                    t(s.kept_broader),
                    t(s.most_likely)
                ),
            ));
        }
        if s.not_exact > 0 {
            out.push(line(
                "matched",
                format!(
                    "{} not exactly (normalised, local code, synonym or empty rule: see wm_match)",
                    t(s.not_exact)
                ),
            ));
        }
        if s.observed > 0 {
            out.push(line(
                "observed",
                format!(
                    "{} from officer-observed codes: not self-defined ethnicity (wm_observed)",
                    t(s.observed)
                ),
            ));
        }
        if let Some(to) = &self.plan.to_scheme {
            out.push(line(
                "to scheme",
                format!(
                    "{to}: {} with some loss (wm_loss, wm_loss_note)",
                    t(s.lossy)
                ),
            ));
        }
        for (rule, n) in &s.by_rule {
            out.push(line(
                "rejected",
                format!("{} {} {}", t(*n), rule.id(), rule.name()),
            ));
        }
    }

    /// The summary's lines about the files written.
    fn file_lines(&self, out: &mut Vec<(String, String)>) {
        out.push(self.output_line());
        match self.rejects {
            Some(p) => out.push(line(
                "rejects",
                format!(
                    "{} ({}{}){}",
                    p.display(),
                    self.encoding_of_rejects.title(),
                    if self.full_rows {
                        ", full rows: every column of the input, personal data as in the output"
                    } else {
                        ""
                    },
                    if self.rejects_in_output {
                        "; also in the workbook's Rejects sheet"
                    } else {
                        ""
                    }
                ),
            )),
            None if self.rejects_in_output => {
                out.push(line("rejects", "in the workbook's Rejects sheet"));
            }
            None if self.summary.rejected > 0 => {
                out.push(line("rejects", "listed above on standard error"));
            }
            None => {}
        }
    }
}
