//! JSON Lines: one JSON object per line, for converted records and findings.

use super::{FindingsWriter, RecordLayout};
use crate::io;
use crate::validate::{Finding, Report, Sink};
use std::io::Write;

/// Converted records as JSON Lines: input values as strings, empty `wm_` values as `null`,
/// `wm_candidates` as an array, `wm_observed` as a boolean, `wm_line` and `wm_record` as
/// numbers (as text when carried from an input where they are not whole numbers).
pub(super) struct JsonlRecords;

impl RecordLayout for JsonlRecords {
    fn title(&self) -> &'static str {
        "JSON Lines"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["jsonl", "ndjson"]
    }

    fn header(&self, _line: &mut Vec<u8>, _columns: &[&str]) {}

    fn inputs(
        &self,
        line: &mut Vec<u8>,
        record: &io::Record<'_>,
        keep: &[usize],
        names: &[String],
    ) -> std::io::Result<()> {
        line.push(b'{');
        for (n, (&i, name)) in keep.iter().zip(names).enumerate() {
            let v = record.text(i).unwrap_or_default();
            json_pair(line, n == 0, name, &serde_json::Value::from(v.as_ref()))?;
        }
        Ok(())
    }

    fn added(
        &self,
        line: &mut Vec<u8>,
        first: bool,
        name: &str,
        value: &str,
    ) -> std::io::Result<()> {
        let value = match name {
            "wm_candidates" => {
                serde_json::Value::from(value.split_whitespace().collect::<Vec<_>>())
            }
            _ if value.is_empty() => serde_json::Value::Null,
            "wm_observed" => serde_json::Value::Bool(value == "true"),
            "wm_line" | "wm_record" => value
                .parse::<u64>()
                .map_or_else(|_| serde_json::Value::from(value), serde_json::Value::from),
            _ => serde_json::Value::from(value),
        };
        json_pair(line, first, name, &value)
    }

    fn end(&self, line: &mut Vec<u8>) {
        line.extend_from_slice(b"}\n");
    }
}

/// Appends `"key":value` to an object on `line`, after a comma unless it is the `first`.
fn json_pair(
    line: &mut Vec<u8>,
    first: bool,
    key: &str,
    value: &serde_json::Value,
) -> std::io::Result<()> {
    if !first {
        line.push(b',');
    }
    serde_json::to_writer(&mut *line, key)?;
    line.push(b':');
    serde_json::to_writer(&mut *line, value)?;
    Ok(())
}

/// Writes findings as JSON Lines: one JSON object per finding.
#[derive(Debug)]
pub struct JsonlFindings<W: Write> {
    out: W,
}

impl<W: Write> JsonlFindings<W> {
    /// A writer to `w` (which should be buffered).
    pub fn new(w: W) -> Self {
        JsonlFindings { out: w }
    }
}

impl<W: Write> Sink for JsonlFindings<W> {
    fn finding(&mut self, f: Finding) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, &f)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> FindingsWriter for JsonlFindings<W> {
    fn finish(&mut self, _report: &Report) -> std::io::Result<()> {
        self.out.flush()
    }
}
