//! One JSON document: findings with their report, and count tables.

use super::{FindingsContext, FindingsWriter};
use crate::aggregate::CountTable;
use crate::disclosure::PublishedTable;
use crate::evidence::EvidenceTable;
use crate::rates::RateTable;
use crate::validate::{Finding, Report, Sink};
use serde::Serialize;
use std::io::Write;

/// The tool and version every JSON document names.
const TOOL: &str = "wm-ethnicity";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A council as the JSON report names it.
#[derive(Serialize)]
struct CouncilRef<'a> {
    code: &'a str,
    name: &'a str,
}

/// Writes findings as one JSON document (`schema/output/validate.schema.json`): the tool, the
/// council, the findings as they are found, then the report. Memory does not grow with the
/// number of findings.
#[derive(Debug)]
pub struct JsonFindings<W: Write> {
    out: W,
    count: u64,
}

impl<W: Write> JsonFindings<W> {
    /// A writer to `w` (which should be buffered); the document's opening is written now.
    pub fn new(mut w: W, context: FindingsContext<'_>) -> std::io::Result<Self> {
        write!(
            w,
            "{{\n  \"tool\": {},\n  \"version\": {},\n  \"council\": {},\n  \"findings\": [",
            serde_json::to_string(TOOL)?,
            serde_json::to_string(VERSION)?,
            serde_json::to_string(&context.council.map(|c| CouncilRef {
                code: &c.code,
                name: &c.name
            }))?
        )?;
        Ok(JsonFindings { out: w, count: 0 })
    }
}

impl<W: Write> Sink for JsonFindings<W> {
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
}

impl<W: Write> FindingsWriter for JsonFindings<W> {
    fn finish(&mut self, report: &Report) -> std::io::Result<()> {
        self.out.write_all(if self.count == 0 {
            b"],\n"
        } else {
            b"\n  ],\n"
        })?;
        self.out.write_all(b"  \"report\": ")?;
        serde_json::to_writer(&mut self.out, report)?;
        self.out.write_all(b"\n}\n")?;
        self.out.flush()
    }
}

#[derive(Serialize)]
struct TableDoc<'a, T: Serialize> {
    tool: &'static str,
    version: &'static str,
    files: &'a [String],
    #[serde(flatten)]
    table: &'a T,
}

/// Writes a count table summed from `files` as one JSON document
/// (`schema/output/aggregate.schema.json`): the rows and every total.
pub(super) fn write_table<W: Write>(
    w: W,
    files: &[String],
    table: &CountTable,
) -> std::io::Result<()> {
    write_doc(w, files, table)
}

/// Writes a table published under a disclosure policy, summed from `files`, as one JSON
/// document (`schema/output/aggregate.schema.json`): the `disclosure` object (policy, totals,
/// audit) and the rows; none of the count table's exact totals.
pub(super) fn write_published<W: Write>(
    w: W,
    files: &[String],
    table: &PublishedTable,
) -> std::io::Result<()> {
    write_doc(w, files, table)
}

fn write_doc<W: Write, T: Serialize>(mut w: W, files: &[String], table: &T) -> std::io::Result<()> {
    let doc = TableDoc {
        tool: TOOL,
        version: VERSION,
        files,
        table,
    };
    serde_json::to_writer_pretty(&mut w, &doc)?;
    writeln!(w)
}

#[derive(Serialize)]
struct RatesDoc<'a> {
    tool: &'static str,
    version: &'static str,
    files: &'a [String],
    measure: &'a str,
    #[serde(flatten)]
    table: &'a RateTable,
}

/// Writes a rate table as one JSON document (`schema/output/rates.schema.json`).
pub(super) fn write_rates<W: Write>(
    mut w: W,
    files: &[String],
    measure: &str,
    table: &RateTable,
) -> std::io::Result<()> {
    let doc = RatesDoc {
        tool: TOOL,
        version: VERSION,
        files,
        measure,
        table,
    };
    serde_json::to_writer_pretty(&mut w, &doc)?;
    writeln!(w)
}

/// Writes a table in the publication shape as one JSON document
/// (`schema/output/evidence.schema.json`): the metadata block, the dimensions, and the rows with
/// every dimension's value in `by`.
pub(super) fn write_evidence<W: Write>(w: W, table: &EvidenceTable) -> std::io::Result<()> {
    write_doc(w, &table.metadata.files, table)
}
