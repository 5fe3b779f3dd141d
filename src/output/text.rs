//! Text for people: the validation summary, and rejected rows one line each.

use super::{FindingsContext, FindingsWriter};
use crate::census::{Population, census_2021};
use crate::convert::{RejectSink, Rejected};
use crate::evidence::{EvidenceMetadata, EvidenceTable, Figure};
use crate::io::InputFormat;
use crate::rules::Severity;
use crate::spec::SchemeFrom;
use crate::standard::{Level, Node, Residual};
use crate::text::printable;
use crate::validate::{CharacteristicProfile, ColumnProfile};
use crate::validate::{Finding, Report, Sink};
use std::fmt::Write as _;
use std::io::Write;

/// Writes the validation summary for people: what was read and checked, the findings per rule,
/// the first findings ([`FindingsContext::max_listed`]), each coded column's data-quality
/// profile, and the result. Everything but the first findings comes from the report, so the
/// summary is written at [`finish`](FindingsWriter::finish).
#[derive(Debug)]
pub struct TextFindings<'a, W: Write> {
    out: W,
    context: FindingsContext<'a>,
    /// The first errors and the first queries, each up to `max_listed`: the summary lists
    /// errors first.
    errors: Vec<Finding>,
    queries: Vec<Finding>,
}

impl<'a, W: Write> TextFindings<'a, W> {
    /// A writer to `w` (which should be buffered).
    pub fn new(w: W, context: FindingsContext<'a>) -> Self {
        TextFindings {
            out: w,
            context,
            errors: Vec::new(),
            queries: Vec::new(),
        }
    }
}

impl<W: Write> Sink for TextFindings<'_, W> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        if self.wants(finding.severity) {
            match finding.severity {
                Severity::Error => self.errors.push(finding),
                Severity::Query => self.queries.push(finding),
            }
        }
        Ok(())
    }

    fn wants_findings(&self) -> bool {
        self.errors.len() < self.context.max_listed
    }

    fn wants(&self, severity: Severity) -> bool {
        let max = self.context.max_listed;
        match severity {
            Severity::Error => self.errors.len() < max,
            Severity::Query => self.errors.len() + self.queries.len() < max,
        }
    }
}

impl<W: Write> FindingsWriter for TextFindings<'_, W> {
    #[allow(clippy::too_many_lines)]
    fn finish(&mut self, r: &Report) -> std::io::Result<()> {
        let (out, spec) = (&mut self.out, self.context.spec);
        writeln!(out, "wm-ethnicity validate: {}", r.file)?;
        let read_as = read_as(
            r.format,
            r.delimiter.as_deref(),
            r.sheet.as_deref(),
            (r.header_line, r.header_row),
        );
        writeln!(out, "  read as:   {read_as}")?;
        if let Some(e) = &r.encoding {
            writeln!(out, "  encoding:  {}", e.note)?;
        }
        let mut checked: Vec<String> = spec
            .coded_columns()
            .map(|c| {
                format!(
                    "{} against {}",
                    c.answers.describe(&c.name),
                    c.scheme.as_ref().map(SchemeFrom::name).unwrap_or_default()
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
        if let Some(c) = self.context.council {
            writeln!(out, "  council:   {} {}", c.code, c.name)?;
            if let Ok(Some((_, r))) = spec.council_return() {
                let codes = if r.codes.is_all() {
                    "every code of the scheme"
                } else {
                    "only the scheme's main codes"
                };
                writeln!(out, "  return:    {} ({}: {codes})", r.dataset, r.scheme)?;
            }
            for col in spec.coded_columns() {
                let Some(SchemeFrom::Fixed(scheme)) = &col.scheme else {
                    continue;
                };
                let listed = c.returns.iter().any(|ret| ret.scheme == *scheme)
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
            1 => " (and 1 blank or empty row skipped: not a record)".to_owned(),
            n => format!(
                " (and {} blank or empty rows skipped: not records)",
                thousands(n)
            ),
        };
        writeln!(out, "  records:   {}{blank}", thousands(r.records))?;
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
            thousands(r.errors),
            if r.errors == 1 { "" } else { "s" },
            thousands(r.queries),
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
                    thousands(rc.errors),
                    thousands(rc.queries)
                )?;
            }
            writeln!(out)?;
            let max = self.context.max_listed;
            let listed: Vec<&Finding> = self.errors.iter().chain(&self.queries).take(max).collect();
            let shown = listed.len() as u64;
            if shown == total {
                writeln!(out, "Findings ({}):", line_note(r.format))?;
            } else {
                writeln!(
                    out,
                    "First {shown} of {} findings ({}; --format csv or jsonl lists them all):",
                    thousands(total),
                    line_note(r.format)
                )?;
            }
            for f in listed {
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
                thousands(p.records),
                if p.records == 1 { "" } else { "s" }
            )?;
            let pct = |n: u64| share_pct(n, p.records);
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
                writeln!(
                    out,
                    "  {label:<12} {:>8} {:>6.1}%{extra}",
                    thousands(n),
                    pct(n)
                )?;
            }
            if !p.nodes.is_empty() {
                writeln!(out, "  by category:")?;
                // Within 80 columns: 4 + code + 1 + label + 1 + count.
                let counts: Vec<String> = p.nodes.iter().map(|n| thousands(n.count)).collect();
                let count_width = counts.iter().map(String::len).max().unwrap_or(0).max(6);
                let code_width = p
                    .nodes
                    .iter()
                    .map(|n| n.node.code().chars().count())
                    .max()
                    .unwrap_or(0)
                    .min(36);
                let label_width = 80 - 4 - 1 - 1 - code_width - count_width;
                for (n, count) in p.nodes.iter().zip(&counts) {
                    writeln!(
                        out,
                        "    {:<code_width$} {:<label_width$} {count:>count_width$}",
                        fit(n.node.code(), code_width),
                        fit(n.label, label_width),
                    )?;
                }
            }
            if let Some(pop) = self.context.council.and_then(|c| census_2021(&c.code)) {
                census_comparison(out, p, pop)?;
            }
            if o.invalid * 2 > p.records {
                writeln!(
                    out,
                    "  Most values are not {} values: `wm-ethnicity detect {} --column {}` ranks \
                     the schemes that could have produced the column.",
                    p.scheme, r.file, p.column
                )?;
            }
            writeln!(out)?;
        }
        for p in &r.characteristics {
            characteristic_profile(out, p)?;
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
        out.flush()
    }
}

/// A characteristic column's data-quality profile: records per value read (codes of the
/// standard only, never a value as written), then empty, invalid and not checked.
fn characteristic_profile(out: &mut dyn Write, p: &CharacteristicProfile) -> std::io::Result<()> {
    writeln!(
        out,
        "Data quality: column {} ({}, {}), {} record{}",
        p.column,
        p.characteristic,
        p.scheme,
        thousands(p.records),
        if p.records == 1 { "" } else { "s" }
    )?;
    let rows = p.rows();
    let width = rows
        .iter()
        .map(|(c, _, _)| c.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for (code, _, n) in rows {
        writeln!(
            out,
            "  {:<width$} {:>8} {:>6.1}%",
            fit(code, width),
            thousands(n),
            share_pct(n, p.records)
        )?;
    }
    writeln!(
        out,
        "  residual: {} ({:.1}%, not answered, not known...)\n",
        thousands(p.residual),
        p.residual_share * 100.0
    )
}

/// `n` as a percentage of `of` (0 when `of` is 0).
pub(super) fn share_pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let x = n as f64 * 100.0 / of as f64;
    x
}

/// `n` with thousands separators, as people read counts: `1,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` cut to `width` characters, the cut marked with `…`.
fn fit(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= width {
        text.into()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut.into()
    }
}

/// How a table was read, for the summaries of validate and convert: the format, the delimiter,
/// the sheet, and where the header was found (its `(line, row)`): `XLSX, sheet "Pupils", header
/// on row 3 (2 rows above it skipped)`. The header's line is given too when a text editor counts
/// another (`header on row 3, line 5`); JSON Lines has only lines.
pub fn read_as(
    format: InputFormat,
    delimiter: Option<&str>,
    sheet: Option<&str>,
    (line, row): (u64, Option<u64>),
) -> String {
    let mut out = format.name().to_uppercase();
    if let Some(d) = delimiter {
        let shown = if d == "\t" {
            "tab".to_owned()
        } else {
            format!("\"{d}\"")
        };
        let _ = write!(out, ", delimiter {shown}");
    }
    if let Some(s) = sheet {
        let _ = write!(out, ", sheet \"{}\"", printable(s));
    }
    if format == InputFormat::Fhir {
        out.push_str(" Patient resources, one record each (no header)");
        return out;
    }
    let Some(row) = row else {
        let _ = write!(out, ", header on line {line}");
        return out;
    };
    let _ = write!(out, ", header on row {row}");
    if line != row && !format.is_sheet() {
        let _ = write!(out, ", line {line}");
    }
    match row.saturating_sub(1) {
        0 => {}
        1 => out.push_str(" (1 row above it skipped)"),
        n => {
            let _ = write!(out, " ({} rows above it skipped)", thousands(n));
        }
    }
    out
}

fn line_note(format: InputFormat) -> &'static str {
    match format {
        InputFormat::Jsonl => "line = as a text editor counts",
        InputFormat::Fhir => "line = the line a resource starts on, as a text editor counts",
        InputFormat::Parquet | InputFormat::Arrow => {
            "row = the table's row plus one, as in a CSV file of it with its header on row 1"
        }
        f if f.is_sheet() => "row = the sheet's row number",
        _ => "row = the row Excel shows; line = a text editor's line, where it differs",
    }
}

/// Writes rejected rows one line each, for people: `FILE:LINE: COLUMN: rejected: RULE name:
/// reason. suggestion`, with `(row R)` after the line when the spreadsheet row Excel shows is
/// another number (after a value with line breaks, or with a header row given).
#[derive(Debug)]
pub struct TextRejects<W: Write> {
    out: W,
    file: String,
}

impl<W: Write> TextRejects<W> {
    /// Rejects of the input `file`, written to `w` (standard error, for the command line).
    pub fn new(w: W, file: &str) -> Self {
        TextRejects {
            out: w,
            file: file.to_owned(),
        }
    }
}

impl<W: Write> RejectSink for TextRejects<W> {
    fn reject(&mut self, r: &Rejected<'_>) -> std::io::Result<()> {
        let out = &mut self.out;
        write!(out, "{}:{}", self.file, r.line)?;
        // Excel's row, where it is not the line (after a value with line breaks).
        match r.row {
            Some(row) if row != r.line => write!(out, " (row {row}): ")?,
            _ => write!(out, ": ")?,
        }
        if let Some(c) = r.column {
            write!(out, "{c}: ")?;
        }
        write!(
            out,
            "rejected: {} {}: {}",
            r.rejection.rule.id(),
            r.rejection.rule.name(),
            r.rejection.reason
        )?;
        if let Some(s) = &r.rejection.suggestion {
            write!(out, ". {s}")?;
        }
        writeln!(out)
    }
}

/// The column's categories beside the council's Census 2021 population: the share of the
/// column's records placed in each category (of those placed in any category) and the share of
/// the council's usual residents, for the categories where they differ most.
fn census_comparison(
    out: &mut dyn Write,
    p: &ColumnProfile,
    pop: &Population,
) -> std::io::Result<()> {
    const LISTED: usize = 5;
    let Some(beside) = p.beside(pop) else {
        return Ok(());
    };
    writeln!(
        out,
        "  compared with Census 2021, {} (all usual residents, every age; the return's own \
         population may differ):",
        beside.area_name
    )?;
    for c in beside.largest_gaps().take(LISTED) {
        writeln!(
            out,
            "    {:<36} {:>5.1}% of this column, {:>5.1}% of residents",
            fit(Node::Category(c.category).code(), 36),
            c.share * 100.0,
            c.population_share * 100.0
        )?;
    }
    Ok(())
}

/// A figure for people: counts with thousands separators, numbers to one decimal, symbols as
/// published, `-` where the row has no such figure.
fn figure_text(f: Figure) -> String {
    match f {
        Figure::Count(n) => thousands(n),
        Figure::Number(x) => format!("{x:.1}"),
        Figure::Withheld(s) => s.code().to_owned(),
        Figure::Empty => "-".to_owned(),
    }
}

/// Writes a table in the publication shape for people: the metadata block, then each
/// combination's rows, children indented under their parent, with the figures the table has.
pub(super) fn write_evidence<W: Write>(mut w: W, table: &EvidenceTable) -> std::io::Result<()> {
    evidence_metadata(&mut w, &table.metadata)?;
    evidence_rows(&mut w, table)?;
    w.flush()
}

/// The metadata block of a table in the publication shape.
fn evidence_metadata(w: &mut dyn Write, m: &EvidenceMetadata) -> std::io::Result<()> {
    writeln!(w, "{}: values are {}", m.measure, m.value_type)?;
    writeln!(w, "  classification: {}, at {}", m.classification, m.level)?;
    let reached: Vec<String> = m
        .levels_reached
        .iter()
        .map(|l| {
            let n = l.count.map_or_else(|| "withheld".to_owned(), thousands);
            match l.placement {
                "coarser" => format!("{n} at {} (the source said no more)", l.level),
                "merged" => format!("{n} at {} (merged up from small strata)", l.level),
                "residual" => format!("{n} residual"),
                _ => format!("{n} at {}", l.level),
            }
        })
        .collect();
    writeln!(w, "  levels reached: {}", reached.join("; "))?;
    let share = m.residual_share.map_or_else(
        || "not known (a cell is withheld)".to_owned(),
        |s| format!("{:.1}%", s * 100.0),
    );
    writeln!(w, "  residual share: {share} ({})", Residual::all_named())?;
    writeln!(
        w,
        "  disclosure:     {}: {}",
        m.policy, m.policy_description
    )?;
    writeln!(w, "  totals:         {}", m.totals)?;
    if let Some(d) = &m.denominators {
        writeln!(w, "  denominators:   {d}")?;
    }
    if let Some(i) = m.interval {
        writeln!(w, "  interval:       {i}")?;
    }
    if let Some(s) = &m.standard_population {
        writeln!(w, "  standardised:   to {s}")?;
    }
    if let Some(r) = m.reference {
        writeln!(
            w,
            "  relative rate:  to {} ({}), log method, 95%",
            r.label(),
            r.code()
        )?;
    }
    if !m.files.is_empty() {
        writeln!(w, "  inputs:         {}", m.files.join(", "))?;
    }
    Ok(())
}

/// Each combination's rows, children indented under their parent.
fn evidence_rows(w: &mut dyn Write, table: &EvidenceTable) -> std::io::Result<()> {
    let rates = table.metadata.reference.is_some();
    let names: Vec<String> = table
        .rows
        .iter()
        .map(|r| {
            let depth = r.level.map_or(0, |l| match l {
                Level::Category => 1,
                Level::Detailed => 2,
                Level::Group | Level::Residual => 0,
            });
            let kept = match r.placement {
                "coarser" => " (not known more finely)",
                "merged" => " (finer strata merged)",
                _ => "",
            };
            format!("{}{}{kept}", "  ".repeat(depth), r.ethnicity)
        })
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut last: Option<&[(String, String)]> = None;
    for (r, name) in table.rows.iter().zip(&names) {
        if last != Some(&r.by[..]) {
            last = Some(&r.by);
            writeln!(w)?;
            if !r.by.is_empty() {
                let by: Vec<String> = r.by.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                writeln!(w, "{}", by.join(", "))?;
            }
            if rates {
                writeln!(
                    w,
                    "  {:<width$}  {:>9}  {:>17}  {:>9}  {:>11}  {:>6}",
                    "ethnicity", "value", "95% interval", "numerator", "denominator", "ratio"
                )?;
            } else {
                writeln!(w, "  {:<width$}  {:>11}", "ethnicity", "count")?;
            }
        }
        if rates {
            let interval = match (r.lower, r.upper) {
                (Figure::Number(_), Figure::Number(_)) => {
                    format!("{} to {}", figure_text(r.lower), figure_text(r.upper))
                }
                (f, _) => figure_text(f),
            };
            writeln!(
                w,
                "  {name:<width$}  {:>9}  {interval:>17}  {:>9}  {:>11}  {:>6}",
                figure_text(r.value),
                figure_text(r.numerator),
                figure_text(r.denominator),
                figure_text(r.relative_rate)
            )?;
        } else {
            writeln!(w, "  {name:<width$}  {:>11}", figure_text(r.value))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (12_345, "12,345"),
            (1_000_000, "1,000,000"),
        ] {
            assert_eq!(thousands(n), s);
        }
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
