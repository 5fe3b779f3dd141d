//! `lookup`, `crosswalk` and `scheme check`.

use super::args::{Format, SchemeFileArgs};
use super::{registry, stdout, write_json};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::{Code, Match, MatchKind, Records, Registry, Relationship, Scheme};
use wm_ethnicity::{Level, Node};
use wm_ethnicity::{Loss, crosswalk as cross};

/// Flags of `lookup`.
#[derive(Args)]
pub struct LookupArgs {
    /// The scheme the codes are in (see `wm-ethnicity schemes`).
    #[arg(long)]
    scheme: String,
    #[command(flatten)]
    schemes: SchemeFileArgs,
    /// Codes (or labels, for label-keyed schemes) to look up. A number may start with `-` (ONS
    /// `-8`, does not apply); any other code starting with `-` goes after `--`.
    #[arg(required = true, allow_negative_numbers = true)]
    codes: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Look the values up by their label (a SNOMED CT or CTV3 term, an official label), not
    /// their code: case, spaces and dashes are ignored.
    #[arg(long)]
    by_label: bool,
}

#[derive(Serialize)]
struct NodeRef {
    code: &'static str,
    label: &'static str,
    level: Level,
}

fn node_ref(n: Node) -> NodeRef {
    NodeRef {
        code: n.code(),
        label: n.label(),
        level: n.level(),
    }
}

#[derive(Serialize)]
struct LookupResult<'a> {
    input: &'a str,
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalised: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<MatchKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationship: Option<Relationship>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<NodeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<NodeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<NodeRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<NodeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    most_likely: Option<NodeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    records: Option<Records>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    observed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nearest: Vec<&'a str>,
}

fn look_up_one<'a>(scheme: &'a Scheme, input: &'a str, by_label: bool) -> LookupResult<'a> {
    let found = if by_label {
        scheme.lookup_label(input).and_then(|m| {
            Some(Match {
                code: m.code?,
                kind: m.kind,
            })
        })
    } else {
        scheme.lookup(input)
    };
    let Some(m) = found else {
        return LookupResult {
            input,
            found: false,
            normalised: None,
            matched: None,
            code: None,
            label: None,
            relationship: None,
            node: None,
            group: None,
            category: None,
            candidates: Vec::new(),
            most_likely: None,
            note: None,
            records: None,
            observed: false,
            nearest: scheme.nearest(input, 3),
        };
    };
    let c: &Code = m.code;
    let target = c.map.target;
    LookupResult {
        input,
        found: true,
        normalised: (m.kind != MatchKind::Exact).then(|| c.key().to_owned()),
        matched: Some(m.kind),
        code: Some(c.key()),
        label: Some(&c.label),
        relationship: Some(c.map.relationship),
        node: Some(node_ref(target)),
        group: target.group().map(|g| node_ref(Node::Group(g))),
        category: target.category().map(|x| node_ref(Node::Category(x))),
        candidates: c
            .map
            .candidates
            .iter()
            .map(|&x| node_ref(Node::Category(x)))
            .collect(),
        most_likely: c.map.most_likely.map(|x| node_ref(Node::Category(x))),
        note: c.map.note.as_deref(),
        records: c.map.records,
        observed: scheme.observed,
        nearest: Vec::new(),
    }
}

/// `wm-ethnicity lookup`: exit 1 when any code is unknown.
pub fn lookup(a: &LookupArgs) -> anyhow::Result<ExitCode> {
    let reg = registry(&a.schemes.scheme_files)?;
    let scheme = reg.require(&a.scheme)?;
    let results: Vec<LookupResult> = a
        .codes
        .iter()
        .map(|c| look_up_one(scheme, c, a.by_label))
        .collect();
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(
            &mut out,
            &serde_json::json!({"scheme": scheme.id, "results": results}),
        )?,
        Format::Jsonl => {
            for r in &results {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "input",
                "found",
                "code",
                "label",
                "relationship",
                "node",
                "level",
                "group",
                "category",
                "candidates",
            ])?;
            for r in &results {
                let candidates: Vec<&str> = r.candidates.iter().map(|c| c.code).collect();
                w.write_record([
                    r.input,
                    if r.found { "true" } else { "false" },
                    r.code.unwrap_or(""),
                    r.label.unwrap_or(""),
                    r.relationship.map_or("", Relationship::name),
                    r.node.as_ref().map_or("", |n| n.code),
                    r.node.as_ref().map_or("", |n| n.level.name()),
                    r.group.as_ref().map_or("", |n| n.code),
                    r.category.as_ref().map_or("", |n| n.code),
                    &candidates.join(" "),
                ])?;
            }
            w.flush()?;
        }
        Format::Text => {
            for r in &results {
                write_found_text(&mut out, scheme, r)?;
            }
        }
    }
    out.flush()?;
    Ok(if results.iter().all(|r| r.found) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_found_text(
    out: &mut impl Write,
    scheme: &Scheme,
    r: &LookupResult,
) -> std::io::Result<()> {
    if !r.found {
        write!(out, "{:?}: not a code of {}", r.input, scheme.id)?;
        if r.nearest.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "; nearest: {}", r.nearest.join(", "))?;
        }
        return Ok(());
    }
    let code = r.code.unwrap_or_default();
    write!(out, "{code}  {}", r.label.unwrap_or_default())?;
    match (r.matched, &r.normalised) {
        (Some(MatchKind::LocalSecondCharacter), _) => {
            write!(out, "  (from {:?}: local second character)", r.input)?;
        }
        (Some(MatchKind::Normalised), Some(n)) => {
            write!(out, "  (normalised from {:?} to {n:?})", r.input)?;
        }
        _ => {}
    }
    writeln!(out)?;
    if let (Some(rel), Some(node)) = (r.relationship, &r.node) {
        writeln!(
            out,
            "    {} -> {} {} [{}]",
            rel.name(),
            node.code,
            node.label,
            node.level
        )?;
    }
    if let Some(g) = &r.group {
        write!(out, "    group: {}", g.code)?;
        if let Some(c) = &r.category {
            write!(out, "   category: {}", c.code)?;
        }
        writeln!(out)?;
    }
    if !r.candidates.is_empty() {
        let c: Vec<&str> = r.candidates.iter().map(|c| c.code).collect();
        write!(out, "    candidates: {}", c.join(", "))?;
        if let Some(m) = &r.most_likely {
            write!(out, "   most likely: {}", m.code)?;
        }
        writeln!(out)?;
    }
    if let Some(rec) = r.records {
        writeln!(
            out,
            "    named after a {}, not an ethnic group: the mapping is a judgement (WM024)",
            rec.name()
        )?;
    }
    if r.observed {
        writeln!(
            out,
            "    officer-observed code: not the person's self-defined ethnicity"
        )?;
    }
    if let Some(n) = r.note {
        writeln!(out, "    note: {n}")?;
    }
    Ok(())
}

/// Flags of `crosswalk`.
#[derive(Args)]
pub struct CrosswalkArgs {
    /// Source scheme id.
    #[arg(long)]
    from: String,
    /// Target scheme id.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    schemes: SchemeFileArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct CrossView<'a> {
    from_code: &'a str,
    from_label: &'a str,
    via: &'static str,
    to_code: Option<&'a str>,
    to_label: Option<&'a str>,
    loss: Loss,
    #[serde(skip_serializing_if = "str::is_empty")]
    note: &'a str,
}

/// `wm-ethnicity crosswalk`.
pub fn crosswalk(a: &CrosswalkArgs) -> anyhow::Result<ExitCode> {
    let reg = registry(&a.schemes.scheme_files)?;
    let (from, to) = (reg.require(&a.from)?, reg.require(&a.to)?);
    let rows = cross(from, to);
    let views: Vec<CrossView> = rows
        .iter()
        .map(|r| CrossView {
            from_code: r.from.key(),
            from_label: &r.from.label,
            via: r.via.code(),
            to_code: r.to.code.map(Code::key),
            to_label: r.to.code.map(|c| c.label.as_str()),
            loss: r.to.loss,
            note: &r.to.note,
        })
        .collect();
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(
            &mut out,
            &serde_json::json!({"from": from.id, "to": to.id, "rows": views}),
        )?,
        Format::Jsonl => {
            for v in &views {
                serde_json::to_writer(&mut out, v)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "from_code",
                "from_label",
                "via",
                "to_code",
                "to_label",
                "loss",
                "note",
            ])?;
            for v in &views {
                let loss = serde_json::to_value(v.loss)?;
                w.write_record([
                    v.from_code,
                    v.from_label,
                    v.via,
                    v.to_code.unwrap_or(""),
                    v.to_label.unwrap_or(""),
                    loss.as_str().unwrap_or(""),
                    v.note,
                ])?;
            }
            w.flush()?;
        }
        Format::Text => {
            writeln!(
                out,
                "{} -> {} (through the standard {})",
                from.id,
                to.id,
                wm_ethnicity::STANDARD_VERSION
            )?;
            for v in &views {
                let arrow = match v.loss {
                    Loss::None => "=",
                    Loss::Generalised => "~",
                    Loss::Ambiguous => "?",
                    Loss::NoTarget => "x",
                };
                writeln!(
                    out,
                    "{:<10} {arrow} {:<6} {:<34} via {}",
                    v.from_code.chars().take(40).collect::<String>(),
                    v.to_code.unwrap_or("-"),
                    v.to_label
                        .unwrap_or("")
                        .chars()
                        .take(34)
                        .collect::<String>(),
                    v.via
                )?;
                if !v.note.is_empty() {
                    writeln!(out, "{:<12} {}", "", v.note)?;
                }
            }
            writeln!(
                out,
                "= same meaning   ~ detail lost   ? one of several   x no code"
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `wm-ethnicity scheme ...`.
#[derive(Subcommand)]
pub enum SchemeCommand {
    /// Check scheme files against the JSON Schema and the standard.
    Check(CheckArgs),
}

/// Flags of `scheme check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Scheme files (YAML). A file may extend a built-in scheme or an earlier file.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct CheckView {
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    codes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<wm_ethnicity::Location>,
}

/// `wm-ethnicity scheme check`: exit 1 when a file is wrong.
pub fn check(a: &CheckArgs) -> anyhow::Result<ExitCode> {
    let mut reg = Registry::new();
    let mut views = Vec::new();
    for f in &a.files {
        let file = f.display().to_string();
        match reg.load_file(f) {
            Ok(s) => views.push(CheckView {
                file,
                ok: true,
                id: Some(s.id.clone()),
                codes: Some(s.codes().len()),
                error: None,
                location: None,
            }),
            // A file that cannot be read is not a finding about a scheme: exit 2, one line.
            Err(e) if matches!(e.kind(), wm_ethnicity::ErrorKind::Io(_)) => {
                let wm_ethnicity::ErrorKind::Io(io) = e.kind() else {
                    unreachable!()
                };
                anyhow::bail!(
                    "{file}: cannot read: {}",
                    super::lowercase_first(&io.to_string())
                );
            }
            Err(e) => views.push(CheckView {
                file,
                ok: false,
                id: None,
                codes: None,
                error: Some(e.to_string()),
                location: Some(e.location().clone()),
            }),
        }
    }
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(&mut out, &views)?,
        Format::Jsonl | Format::Csv | Format::Text => {
            for v in &views {
                match (&v.error, a.format) {
                    (_, Format::Jsonl) => {
                        serde_json::to_writer(&mut out, v)?;
                        writeln!(out)?;
                    }
                    (None, _) => writeln!(
                        out,
                        "{}: ok: scheme {} with {} codes",
                        v.file,
                        v.id.as_deref().unwrap_or(""),
                        v.codes.unwrap_or(0)
                    )?,
                    (Some(e), _) => writeln!(out, "{e}")?,
                }
            }
        }
    }
    out.flush()?;
    Ok(if views.iter().all(|v| v.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
