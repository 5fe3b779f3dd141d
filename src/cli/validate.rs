//! `validate`: check a council return against a scheme or a return specification.

use super::{Format, registry};
use clap::Args;
use indicatif::ProgressBar;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::council::Council;
use wm_ethnicity::io::{InputFormat, Table};
use wm_ethnicity::spec::ReturnSpec;
use wm_ethnicity::text::cell_safe;
use wm_ethnicity::validate::{Finding, Report, Sink, Validator};
use wm_ethnicity::{Error, ErrorKind};

/// Flags of `validate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 no errors (queries allowed), 1 errors found, 2 could not \
validate.\nLine numbers are physical lines as a text editor counts them; in Excel a CSV record \
shows on row = record + 1 (one header row, no line breaks inside values). Rules: docs/rules.md."
)]
pub struct ValidateArgs {
    /// The return: CSV (comma, tab or semicolon separated), JSON Lines, or an Excel workbook.
    file: PathBuf,
    /// The scheme the coded column uses (see `wm-ethnicity schemes`).
    #[arg(long, required_unless_present = "spec", requires = "column")]
    scheme: Option<String>,
    /// The header of the column holding the codes.
    #[arg(long, required_unless_present = "spec", requires = "scheme")]
    column: Option<String>,
    /// The header of the record id column: ids are checked for duplicates.
    #[arg(long = "id-column")]
    id_column: Option<String>,
    /// The header of the date column: each code must be valid on its record's date.
    #[arg(long = "date-column")]
    date_column: Option<String>,
    /// The council submitting the return: ONS code (E08000025), short id or name.
    #[arg(long)]
    council: Option<String>,
    /// A return specification (YAML): columns, schemes, required columns, the return's rules.
    #[arg(long, conflicts_with_all = ["scheme", "column"])]
    spec: Option<PathBuf>,
    /// A local scheme file to load first (may be given more than once).
    #[arg(long = "scheme-file")]
    scheme_files: Vec<PathBuf>,
    /// How to read the input.
    #[command(flatten)]
    input: super::InputArgs,
    /// The largest share (0 to 1) of residual values allowed in a coded column (default 0.2).
    #[arg(long = "max-residual-share", value_parser = parse_share)]
    max_residual_share: Option<f64>,
    /// Output format: a summary (text), one JSON document, or one finding per line (jsonl, csv).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// How many findings the text summary lists (jsonl and csv list every finding).
    #[arg(long = "max-findings", default_value_t = 20)]
    max_findings: usize,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "`{s}` is not a share between 0 and 1 (e.g. 0.2 for 20%)"
        )),
    }
}

/// A council as the JSON report names it.
#[derive(Serialize)]
struct CouncilRef<'a> {
    code: &'a str,
    name: &'a str,
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut spec = match (&args.spec, &args.scheme, &args.column) {
        (Some(path), _, _) => ReturnSpec::load(path)?,
        (None, Some(scheme), Some(column)) => ReturnSpec::coded(column, scheme),
        _ => anyhow::bail!("give --scheme and --column, or --spec"),
    };
    if let Some(c) = &args.id_column {
        spec = spec.with_id_column(c);
    }
    if let Some(c) = &args.date_column {
        spec = spec.with_date_column(c);
    }
    if let Some(x) = args.max_residual_share {
        spec.max_residual_share = x;
    }
    let council = match args.council.as_deref().or(spec.council.as_deref()) {
        None => None,
        Some(key) => Some(wm_ethnicity::council::council(key).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown council `{key}`; the councils are: {}",
                wm_ethnicity::council::councils()
                    .iter()
                    .map(|c| format!("{} ({})", c.code, c.short))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
    };
    let mut files = spec.scheme_files.clone();
    files.extend(args.scheme_files.iter().cloned());
    let registry = registry(&files)?;
    let validator = Validator::new(&spec, &registry)?;
    let opts = args.input.read_options();
    let table = Table::open(&args.file, &opts)?;
    let bar = super::progress_bar(table.progress_total(), table.format(), "validating");
    let out = super::stdout();
    let result = match args.format {
        Format::Text => text(&validator, table, &bar, out, args, &spec, council),
        Format::Json => json(&validator, table, &bar, out, council),
        Format::Jsonl => lines(&validator, table, &bar, LineOut::Jsonl(out)),
        Format::Csv => lines(
            &validator,
            table,
            &bar,
            LineOut::Csv(Box::new(csv::Writer::from_writer(out))),
        ),
    };
    bar.finish_and_clear();
    match result {
        Ok(report) if report.has_errors() => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast_ref::<Error>().map(Error::kind) {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            Some(ErrorKind::Io(io)) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                Ok(ExitCode::SUCCESS)
            }
            _ => Err(e),
        },
    }
}

/// Keeps the first findings for the summary and moves the progress bar.
struct Summary<'b> {
    first: Vec<Finding>,
    max: usize,
    bar: &'b ProgressBar,
}

impl Sink for Summary<'_> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        if self.first.len() < self.max {
            self.first.push(finding);
        }
        Ok(())
    }
    fn wants_findings(&self) -> bool {
        self.first.len() < self.max
    }
    fn progress(&mut self, _records: u64, done: u64) {
        self.bar.set_position(done);
    }
}

enum LineOut<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

struct Lines<'b, W: Write> {
    out: LineOut<W>,
    bar: &'b ProgressBar,
    header_written: bool,
}

impl<W: Write> Sink for Lines<'_, W> {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        match &mut self.out {
            LineOut::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &f)?;
                out.write_all(b"\n")
            }
            LineOut::Csv(out) => {
                if !self.header_written {
                    out.write_record(CSV_HEADER)?;
                    self.header_written = true;
                }
                write_csv_finding(out, &f)
            }
        }
    }
    fn progress(&mut self, _records: u64, done: u64) {
        self.bar.set_position(done);
    }
}

const CSV_HEADER: [&str; 9] = [
    "rule",
    "name",
    "severity",
    "line",
    "record",
    "column",
    "value",
    "message",
    "suggestion",
];

fn write_csv_finding<W: Write>(out: &mut csv::Writer<W>, f: &Finding) -> std::io::Result<()> {
    use std::borrow::Cow;
    fn text(s: Option<&str>) -> Cow<'_, str> {
        cell_safe(s.unwrap_or(""))
    }
    let num = |n: Option<u64>| Cow::Owned(n.map(|n| n.to_string()).unwrap_or_default());
    let fields: [Cow<'_, str>; 9] = [
        Cow::Borrowed(f.rule.id()),
        Cow::Borrowed(f.rule.name()),
        Cow::Borrowed(f.severity.name()),
        num(f.line),
        num(f.record),
        text(f.column.as_deref()),
        text(f.value.as_deref()),
        cell_safe(&f.message),
        text(f.suggestion.as_deref()),
    ];
    out.write_record(fields.iter().map(|c| c.as_bytes()))?;
    Ok(())
}

fn lines<W: Write>(
    validator: &Validator<'_>,
    table: Table<'_>,
    bar: &ProgressBar,
    out: LineOut<W>,
) -> anyhow::Result<Report> {
    let mut sink = Lines {
        out,
        bar,
        header_written: false,
    };
    let report = validator.validate(table, &mut sink)?;
    match &mut sink.out {
        LineOut::Jsonl(out) => out.flush()?,
        LineOut::Csv(out) => {
            if !sink.header_written {
                out.write_record(CSV_HEADER)?;
            }
            out.flush()?;
        }
    }
    Ok(report)
}

/// Streams one JSON document: the findings as they are found, then the report.
struct JsonDoc<'b, W: Write> {
    out: W,
    count: u64,
    bar: &'b ProgressBar,
}

impl<W: Write> Sink for JsonDoc<'_, W> {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        self.out.write_all(if self.count == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.count += 1;
        serde_json::to_writer(&mut self.out, &f)?;
        Ok(())
    }
    fn progress(&mut self, _records: u64, done: u64) {
        self.bar.set_position(done);
    }
}

fn json<W: Write>(
    validator: &Validator<'_>,
    table: Table<'_>,
    bar: &ProgressBar,
    mut out: W,
    council: Option<&Council>,
) -> anyhow::Result<Report> {
    write!(
        out,
        "{{\n  \"tool\": \"wm-ethnicity\",\n  \"version\": {},\n  \"council\": {},\n  \"findings\": [",
        serde_json::to_string(env!("CARGO_PKG_VERSION"))?,
        serde_json::to_string(&council.map(|c| CouncilRef {
            code: &c.code,
            name: &c.name
        }))?
    )?;
    let mut sink = JsonDoc { out, count: 0, bar };
    let report = validator.validate(table, &mut sink)?;
    let mut out = sink.out;
    out.write_all(if sink.count == 0 {
        b"],\n"
    } else {
        b"\n  ],\n"
    })?;
    out.write_all(b"  \"report\": ")?;
    serde_json::to_writer(&mut out, &report)?;
    out.write_all(b"\n}\n")?;
    out.flush()?;
    Ok(report)
}

#[allow(clippy::too_many_lines)]
fn text<W: Write>(
    validator: &Validator<'_>,
    table: Table<'_>,
    bar: &ProgressBar,
    mut out: W,
    args: &ValidateArgs,
    spec: &ReturnSpec,
    council: Option<&Council>,
) -> anyhow::Result<Report> {
    let mut sink = Summary {
        first: Vec::new(),
        max: args.max_findings,
        bar,
    };
    let report = validator.validate(table, &mut sink)?;
    bar.finish_and_clear();
    let r = &report;
    writeln!(out, "wm-ethnicity validate: {}", r.file)?;
    let mut read_as = r.format.name().to_uppercase();
    if let Some(d) = &r.delimiter {
        let shown = if d == "\t" {
            "tab".to_owned()
        } else {
            format!("\"{d}\"")
        };
        let _ = write!(read_as, ", delimiter {shown}");
    }
    if let Some(s) = &r.sheet {
        let _ = write!(read_as, ", sheet \"{s}\"");
    }
    let _ = write!(
        read_as,
        ", header on {} {}",
        line_word(r.format),
        r.header_line
    );
    writeln!(out, "  read as:   {read_as}")?;
    if let Some(e) = &r.encoding {
        writeln!(out, "  encoding:  {}", e.note)?;
    }
    let mut checked: Vec<String> = spec
        .coded_columns()
        .map(|c| {
            format!(
                "column {} against {}",
                c.name,
                c.scheme.as_deref().unwrap_or("")
            )
        })
        .collect();
    if let Some(c) = spec.id_column() {
        checked.push(format!("ids in {}", c.name));
    }
    if let Some(c) = spec.date_column() {
        checked.push(format!("dates in {}", c.name));
    }
    writeln!(out, "  checked:   {}", checked.join("; "))?;
    if let Some(name) = &r.spec {
        writeln!(out, "  spec:      {name}")?;
    }
    if let Some(c) = council {
        writeln!(out, "  council:   {} {}", c.code, c.name)?;
        for col in spec.coded_columns() {
            let scheme = col.scheme.as_deref().unwrap_or("");
            let listed = c.returns.iter().any(|ret| ret.scheme == scheme)
                || c.local_schemes.iter().any(|s| s == scheme);
            if !listed {
                writeln!(
                    out,
                    "             note: {}'s profile lists no return coded in {scheme}",
                    c.name
                )?;
            }
        }
    }
    let blank = match r.blank_lines {
        0 => String::new(),
        1 => format!(" (and 1 blank {}, not a record)", line_word(r.format)),
        n => format!(" (and {n} blank {}s, not records)", line_word(r.format)),
    };
    writeln!(out, "  records:   {}{blank}", r.records)?;
    for a in &r.absent_columns {
        writeln!(
            out,
            "  not checked: column {a} is not in the file (optional in the spec)"
        )?;
    }
    writeln!(out, "  standard:  {}", r.standard_version)?;
    writeln!(out)?;

    let total = r.errors + r.queries;
    writeln!(
        out,
        "Findings: {} error{}, {} quer{}",
        r.errors,
        if r.errors == 1 { "" } else { "s" },
        r.queries,
        if r.queries == 1 { "y" } else { "ies" }
    )?;
    if !r.rules.is_empty() {
        writeln!(
            out,
            "  {:<6} {:<28} {:>8} {:>8}",
            "rule", "name", "errors", "queries"
        )?;
        for rc in &r.rules {
            writeln!(
                out,
                "  {:<6} {:<28} {:>8} {:>8}",
                rc.rule.id(),
                rc.name,
                rc.errors,
                rc.queries
            )?;
        }
        writeln!(out)?;
        let shown = sink.first.len() as u64;
        if shown == total {
            writeln!(out, "Findings ({}):", line_note(r.format))?;
        } else {
            writeln!(
                out,
                "First {shown} of {total} findings ({}; --format csv or jsonl lists them all):",
                line_note(r.format)
            )?;
        }
        for f in &sink.first {
            writeln!(out, "  {f}")?;
        }
        writeln!(out)?;
    }

    for p in &r.columns {
        writeln!(
            out,
            "Data quality: column {} ({}), {} record{}",
            p.column,
            p.scheme,
            p.records,
            if p.records == 1 { "" } else { "s" }
        )?;
        let pct = |n: u64| {
            if p.records == 0 {
                0.0
            } else {
                #[allow(clippy::cast_precision_loss)]
                let x = n as f64 * 100.0 / p.records as f64;
                x
            }
        };
        let o = &p.outcomes;
        for (label, n, extra) in [
            ("detailed", o.detailed, String::new()),
            ("category", o.category, String::new()),
            ("group only", o.group, String::new()),
            (
                "residual",
                o.residual,
                format!("  (at most {:.1}% allowed)", p.max_residual_share * 100.0),
            ),
            ("empty", o.empty, String::new()),
            ("invalid", o.invalid, String::new()),
            ("not checked", o.not_checked, String::new()),
        ] {
            writeln!(out, "  {label:<12} {n:>8} {:>6.1}%{extra}", pct(n))?;
        }
        if !p.nodes.is_empty() {
            writeln!(out, "  by category:")?;
            for n in &p.nodes {
                writeln!(
                    out,
                    "    {:<30} {:<52} {:>6}",
                    n.node.code(),
                    n.label,
                    n.count
                )?;
            }
        }
        writeln!(out)?;
    }
    let verdict = match (r.errors, r.queries) {
        (0, 0) => "no errors and no queries: the return is ready to submit.".to_owned(),
        (0, q) => format!(
            "no errors; {q} quer{} for a person to confirm.",
            if q == 1 { "y" } else { "ies" }
        ),
        (e, _) => format!(
            "{e} error{}: correct {} before submitting the return.",
            if e == 1 { "" } else { "s" },
            if e == 1 { "it" } else { "them" }
        ),
    };
    writeln!(out, "Result: {verdict}")?;
    out.flush()?;
    Ok(report)
}

fn line_word(format: InputFormat) -> &'static str {
    if format.is_sheet() { "row" } else { "line" }
}

fn line_note(format: InputFormat) -> &'static str {
    if format.is_sheet() {
        "line = the sheet's row number"
    } else {
        "line = as a text editor counts; Excel shows record + 1"
    }
}
