//! JSON Lines: one JSON object per line.

use super::RecordLayout;
use crate::io;

/// Converted records as JSON Lines: input values as strings, empty `wm_` values as `null`,
/// `wm_candidates` as an array and `wm_observed` as a boolean.
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
