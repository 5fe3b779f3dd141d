//! A validation report as one self-contained HTML file (`validate --format html`): inline CSS and
//! SVG, no script and nothing fetched from anywhere (its Content-Security-Policy forbids it), and
//! printable. It shows the summary, the findings by rule with what each means and how to fix it,
//! each coded column's granularity and residual share, and, when the council is known, the
//! column's categories beside the council's Census 2021 population with the largest gaps called
//! out. Like every report it shows only the coded column's values, never another column's.

use super::text::{read_as, share_pct as pct, thousands};
use super::{FindingsContext, FindingsWriter};
use crate::census::{Population, census_2021};
use crate::rules::{RULE_COUNT, Rule, Severity};
use crate::standard::{Category, Node};
use crate::validate::{
    CensusComparison, CharacteristicProfile, ColumnProfile, Finding, Report, Sink,
};
use std::fmt::Write as _;
use std::io::Write;

/// How many findings of each rule the report shows as examples (the counts are all of them).
const EXAMPLES_PER_RULE: usize = 10;

/// The page's style: readable on screen and on paper.
const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;\
color:#111;padding:0 1em}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px \
solid #ccc}table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{text-align:left;padding:\
.25em .5em;border-bottom:1px solid #eee;vertical-align:top}td.n,th.n{text-align:right;\
font-variant-numeric:tabular-nums}.result{padding:.75em 1em;border-radius:4px;font-weight:600}\
.bad{background:#fde2e1;color:#7a0b05}.query{background:#fff4d6;color:#6b4a00}.good{background:\
#e2f5e5;color:#0b5a1d}code{background:#f4f4f4;padding:0 .2em}.gap{font-weight:600}\
svg{display:block}@media print{body{margin:0;max-width:none}h2{break-after:avoid}\
tr{break-inside:avoid}}";

/// Writes the HTML report: collects the first findings of each rule, and the whole page at
/// [`finish`](FindingsWriter::finish).
#[derive(Debug)]
pub struct HtmlFindings<'a, W: Write> {
    out: W,
    context: FindingsContext<'a>,
    examples: Vec<Vec<Finding>>,
}

impl<'a, W: Write> HtmlFindings<'a, W> {
    /// A writer to `w` (which should be buffered).
    pub fn new(w: W, context: FindingsContext<'a>) -> Self {
        HtmlFindings {
            out: w,
            context,
            examples: vec![Vec::new(); RULE_COUNT],
        }
    }
}

impl<W: Write> Sink for HtmlFindings<'_, W> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        let kept = &mut self.examples[finding.rule.index()];
        if kept.len() < EXAMPLES_PER_RULE {
            kept.push(finding);
        }
        Ok(())
    }
}

/// `s` with the characters HTML gives a meaning escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar of `share` percent (0–100), `width` pixels at 100%.
fn bar(share: f64, colour: &str) -> String {
    let w = (share.clamp(0.0, 100.0) * 2.4).round();
    format!(
        "<svg width=\"240\" height=\"12\" role=\"img\" aria-label=\"{share:.1}%\"><rect width=\"240\" \
         height=\"12\" fill=\"#f1f1f1\"/><rect width=\"{w}\" height=\"12\" fill=\"{colour}\"/></svg>"
    )
}

impl<W: Write> FindingsWriter for HtmlFindings<'_, W> {
    fn finish(&mut self, r: &Report) -> std::io::Result<()> {
        let mut page = String::new();
        let title = format!("Validation of {}", esc(&r.file));
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>"
        );
        self.summary(&mut page, r);
        self.rules(&mut page, r);
        for p in &r.columns {
            self.column(&mut page, p);
        }
        for p in &r.characteristics {
            characteristic(&mut page, p);
        }
        page.push_str(
            "<p><small>Made by wm-ethnicity: this file holds no script and fetches nothing; it \
             shows the coded column's values only, never another column of a record.</small></p>\
             </body></html>\n",
        );
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}

impl<W: Write> HtmlFindings<'_, W> {
    fn summary(&self, page: &mut String, r: &Report) {
        let (class, result) = match (r.errors, r.queries) {
            (0, 0) => (
                "good",
                "No errors and no queries: the return is ready to submit.".to_owned(),
            ),
            (0, q) => (
                "query",
                format!(
                    "No errors; {} quer{} for a person to confirm.",
                    thousands(q),
                    if q == 1 { "y" } else { "ies" }
                ),
            ),
            (e, _) => (
                "bad",
                format!(
                    "{} error{}: correct {} before submitting the return.",
                    thousands(e),
                    if e == 1 { "" } else { "s" },
                    if e == 1 { "it" } else { "them" }
                ),
            ),
        };
        let _ = write!(
            page,
            "<p class=\"result {class}\">{}</p><table>",
            esc(&result)
        );
        let read = read_as(
            r.format,
            r.delimiter.as_deref(),
            r.sheet.as_deref(),
            (r.header_line, r.header_row),
        );
        let mut rows = vec![
            ("Read as", read),
            ("Records", thousands(r.records)),
            ("Standard", r.standard_version.to_owned()),
        ];
        if let Some(e) = &r.encoding {
            rows.push(("Encoding", e.note.clone()));
        }
        if let Some(s) = &r.spec {
            rows.push(("Specification", s.clone()));
        }
        if let Some(c) = self.context.council {
            rows.push(("Council", format!("{} {}", c.code, c.name)));
        }
        for (k, v) in rows {
            let _ = write!(page, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
        }
        page.push_str("</table>");
    }

    fn rules(&self, page: &mut String, r: &Report) {
        if r.rules.is_empty() {
            return;
        }
        page.push_str("<h2>Findings by rule</h2>");
        for rc in &r.rules {
            let rule: Rule = rc.rule;
            let _ = write!(
                page,
                "<h3>{} {}: {} error{}, {} quer{}</h3><p>{}</p>",
                rule.id(),
                rule.name(),
                thousands(rc.errors),
                if rc.errors == 1 { "" } else { "s" },
                thousands(rc.queries),
                if rc.queries == 1 { "y" } else { "ies" },
                esc(rule.summary())
            );
            let examples = &self.examples[rule.index()];
            if examples.is_empty() {
                continue;
            }
            page.push_str(
                "<table><tr><th class=\"n\">Row</th><th class=\"n\">Record</th><th>Column</th>\
                 <th>Value</th><th>Severity</th><th>What is wrong</th><th>How to fix it</th></tr>",
            );
            for f in examples {
                let _ = write!(
                    page,
                    "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td>\
                     <td>{}</td><td>{}</td><td>{}</td></tr>",
                    f.row.or(f.line).map_or(String::new(), |n| n.to_string()),
                    f.record.map_or(String::new(), |n| n.to_string()),
                    esc(f.column.as_deref().unwrap_or("")),
                    f.value
                        .as_deref()
                        .map_or(String::new(), |v| format!("<code>{}</code>", esc(v))),
                    match f.severity {
                        Severity::Error => "error",
                        Severity::Query => "query",
                    },
                    esc(&f.message),
                    esc(f.suggestion.as_deref().unwrap_or(""))
                );
            }
            let more = (rc.errors + rc.queries).saturating_sub(examples.len() as u64);
            page.push_str("</table>");
            if more > 0 {
                let _ = write!(
                    page,
                    "<p>and {} more (<code>--format csv</code> lists every finding).</p>",
                    thousands(more)
                );
            }
        }
    }

    fn column(&self, page: &mut String, p: &ColumnProfile) {
        let _ = write!(
            page,
            "<h2>Column {} ({}): {} records</h2><table><tr><th>Reached</th><th class=\"n\">Records\
             </th><th class=\"n\">Share</th><th></th></tr>",
            esc(&p.column),
            esc(&p.scheme),
            thousands(p.records)
        );
        let o = &p.outcomes;
        for (label, n, colour) in [
            ("detailed", o.detailed, "#1b6ca8"),
            ("category", o.category, "#3d8fd1"),
            ("group only", o.group, "#9cc4e8"),
            (
                "residual (declined, not obtained, not known)",
                o.residual,
                "#d9a400",
            ),
            ("empty", o.empty, "#999"),
            ("invalid", o.invalid, "#c0392b"),
            ("not checked", o.not_checked, "#666"),
        ] {
            let s = pct(n, p.records);
            let _ = write!(
                page,
                "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{s:.1}%</td><td>{}</td></tr>",
                thousands(n),
                bar(s, colour)
            );
        }
        let _ = write!(
            page,
            "</table><p>At most {:.1}% residual values are allowed in this return.</p>",
            p.max_residual_share * 100.0
        );
        let pop = self.context.council.and_then(|c| census_2021(&c.code));
        categories(page, p, pop);
    }
}

/// A characteristic column's data-quality profile: records per standard value read (never a
/// value as written), the residual share, empty and invalid cells.
fn characteristic(page: &mut String, p: &CharacteristicProfile) {
    let _ = write!(
        page,
        "<h2>Column {} ({}, {}): {} records</h2><table><tr><th>Value</th><th>Code</th>\
         <th class=\"n\">Records</th><th class=\"n\">Share</th><th></th></tr>",
        esc(&p.column),
        p.characteristic,
        esc(&p.scheme),
        thousands(p.records)
    );
    for (code, label, n) in p.rows() {
        let s = pct(n, p.records);
        let colour = match code {
            "invalid" => "#c0392b",
            "empty" | "not checked" => "#999",
            _ => "#3d8fd1",
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td>\
             <td class=\"n\">{s:.1}%</td><td>{}</td></tr>",
            esc(label),
            esc(code),
            thousands(n),
            bar(s, colour)
        );
    }
    let _ = write!(
        page,
        "</table><p>Residual values (not answered, not known...): {} ({:.1}%).</p>",
        thousands(p.residual),
        p.residual_share * 100.0
    );
}

/// The column's categories, beside the council's population when known, largest gaps called out.
fn categories(page: &mut String, p: &ColumnProfile, pop: Option<&Population>) {
    let placed = p.in_categories();
    if placed == 0 {
        return;
    }
    page.push_str("<h3>By category</h3>");
    let beside = pop.and_then(|pop| p.beside(pop));
    if let Some(b) = &beside {
        let _ = write!(
            page,
            "<p>Each category's share of this column's records placed in a category, beside its \
             share of {}'s usual residents ({}; every age, so a return of pupils or patients may \
             differ for good reason).</p>",
            esc(&b.area_name),
            esc(b.source)
        );
        page.push_str("<ul>");
        for c in b.largest_gaps().take(CensusComparison::CALLED_OUT) {
            let _ = write!(
                page,
                "<li class=\"gap\">{}: {:.1}% of this column, {:.1}% of residents ({:+.1} points)</li>",
                esc(c.label),
                c.share * 100.0,
                c.population_share * 100.0,
                c.gap * 100.0
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("<table><tr><th>Category</th><th class=\"n\">Records</th><th class=\"n\">Share</th><th></th>");
    if beside.is_some() {
        page.push_str("<th class=\"n\">Residents</th><th></th>");
    }
    page.push_str("</tr>");
    for c in Category::ALL {
        let n = p.category_count(c);
        let s = pct(n, placed);
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{s:.1}%</td><td>{}</td>",
            esc(Node::Category(c).label()),
            thousands(n),
            bar(s, "#3d8fd1")
        );
        if let Some(b) = &beside {
            let share = b.categories[c as usize].population_share * 100.0;
            let _ = write!(
                page,
                "<td class=\"n\">{share:.1}%</td><td>{}</td>",
                bar(share, "#888")
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table>");
}
