//! `standard`, `schemes` and `councils`: what the crate knows.

use super::args::{Format, level};
use super::{stdout, write_json};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;
use wm_ethnicity::councils as all_councils;
use wm_ethnicity::{BUILTIN_IDS, KeyedBy, builtin_scheme};
use wm_ethnicity::{Level, Node};

/// Flags of `standard`.
#[derive(Args)]
pub struct StandardArgs {
    /// Only this level.
    #[arg(long, value_parser = level())]
    level: Option<Level>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// A node as printed: code, label, level, parent.
#[derive(Serialize)]
pub struct NodeView {
    code: &'static str,
    label: &'static str,
    level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts021: Option<u8>,
}

impl From<Node> for NodeView {
    fn from(n: Node) -> Self {
        NodeView {
            code: n.code(),
            label: n.label(),
            level: n.level(),
            parent: n.parent().map(Node::code),
            ts021: n
                .level()
                .eq(&Level::Category)
                .then(|| n.category().map(wm_ethnicity::Category::ts021))
                .flatten(),
        }
    }
}

/// `wm-ethnicity standard`.
pub fn standard(a: &StandardArgs) -> anyhow::Result<ExitCode> {
    let level = a.level;
    let nodes: Vec<NodeView> = Node::all()
        .filter(|n| level.is_none_or(|l| n.level() == l))
        .map(NodeView::from)
        .collect();
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(
            &mut out,
            &serde_json::json!({"version": wm_ethnicity::STANDARD_VERSION, "nodes": nodes}),
        )?,
        Format::Jsonl => {
            for n in &nodes {
                serde_json::to_writer(&mut out, n)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["code", "label", "level", "parent", "ts021"])?;
            for n in &nodes {
                w.write_record([
                    n.code,
                    n.label,
                    n.level.name(),
                    n.parent.unwrap_or(""),
                    &n.ts021.map(|t| t.to_string()).unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
        Format::Text => {
            writeln!(
                out,
                "West Midlands ethnicity standard {}",
                wm_ethnicity::STANDARD_VERSION
            )?;
            for n in &nodes {
                let indent = match n.level {
                    Level::Group | Level::Residual => "",
                    Level::Category => "  ",
                    Level::Detailed => "    ",
                };
                writeln!(out, "{indent}{:<40} {}", n.code, n.label)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Flags of `schemes` and `councils`.
#[derive(Args)]
pub struct SchemesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct SchemeView<'a> {
    id: &'a str,
    name: &'a str,
    authority: &'a str,
    version: &'a str,
    codes: usize,
    keyed_by: KeyedBy,
    observed: bool,
    source_url: &'a str,
}

/// `wm-ethnicity schemes`.
pub fn schemes(a: &SchemesArgs) -> anyhow::Result<ExitCode> {
    let views: Vec<SchemeView> = BUILTIN_IDS
        .iter()
        .filter_map(|id| builtin_scheme(id))
        .map(|s| SchemeView {
            id: &s.id,
            name: &s.name,
            authority: &s.authority,
            version: &s.version,
            codes: s.codes().len(),
            keyed_by: s.keyed_by,
            observed: s.observed,
            source_url: &s.source_url,
        })
        .collect();
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(&mut out, &views)?,
        Format::Jsonl => {
            for v in &views {
                serde_json::to_writer(&mut out, v)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["id", "name", "authority", "version", "codes", "source_url"])?;
            for v in &views {
                w.write_record([
                    v.id,
                    v.name,
                    v.authority,
                    v.version,
                    &v.codes.to_string(),
                    v.source_url,
                ])?;
            }
            w.flush()?;
        }
        Format::Text => {
            for v in &views {
                writeln!(out, "{:<30} {:>4} codes  {}", v.id, v.codes, v.name)?;
                writeln!(out, "{:<30}             {}", "", v.source_url)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `wm-ethnicity councils`.
pub fn councils(a: &SchemesArgs) -> anyhow::Result<ExitCode> {
    let all = all_councils();
    let mut out = stdout();
    match a.format {
        Format::Json => write_json(&mut out, &all)?,
        Format::Jsonl => {
            for c in all {
                serde_json::to_writer(&mut out, c)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["council_code", "council", "dataset", "scheme"])?;
            for c in all {
                for r in &c.returns {
                    w.write_record([&c.code, &c.name, &r.dataset, &r.scheme])?;
                }
            }
            w.flush()?;
        }
        Format::Text => {
            for c in all {
                writeln!(out, "{} {} ({})", c.code, c.name, c.short)?;
                for r in &c.returns {
                    writeln!(out, "    {:<24} {}", r.dataset, r.scheme)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
