//! Reading YAML data files safely: input budgets, duplicate keys refused, checked against a JSON
//! Schema, every error placed at file, line and column.

use crate::error::{Error, ErrorKind, Location, Result};
use serde::de::DeserializeOwned;
use std::sync::LazyLock;

/// The largest YAML file we read (a scheme of a few thousand codes is well under 1 MiB).
pub const MAX_YAML_BYTES: usize = 8 * 1024 * 1024;

/// Parser options: YAML 1.2 booleans only (so NHS code `N` stays a string), leading-zero numbers
/// kept as strings, duplicate keys an error, and budgets against depth and alias bombs.
pub(crate) fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 200_000;
    budget.max_events = 400_000;
    budget.max_total_scalar_bytes = MAX_YAML_BYTES;
    budget.max_recorded_anchor_bytes = 1024 * 1024;
    budget.max_documents = 1;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    o.strict_booleans = true;
    o.leading_zero_numbers_as_strings = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o
}

/// A JSON Schema shipped in `schema/`, compiled once on first use.
pub(crate) struct Schema {
    /// File name, used in messages.
    pub(crate) name: &'static str,
    validator: LazyLock<jsonschema::Validator>,
}

impl Schema {
    pub(crate) const fn new(name: &'static str, compile: fn() -> jsonschema::Validator) -> Self {
        Schema {
            name,
            validator: LazyLock::new(compile),
        }
    }

    /// Every violation as (JSON pointer, message); the message never repeats the value.
    pub(crate) fn violations(&self, value: &serde_json::Value) -> Vec<(String, String)> {
        self.validator
            .iter_errors(value)
            .map(|e| (e.instance_path().to_string(), e.masked().to_string()))
            .collect()
    }
}

/// Compiles a schema shipped with the crate (its validity is checked by the tests).
pub(crate) fn compile(text: &str) -> jsonschema::Validator {
    let value: serde_json::Value =
        serde_json::from_str(text).expect("shipped JSON Schema is valid JSON (tested)");
    jsonschema::options()
        .build(&value)
        .expect("shipped JSON Schema compiles (tested)")
}

/// Turns a parser error into ours, with its line and column.
pub(crate) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> Error {
    let mut loc = Location::file(file);
    if let Some(l) = e.location() {
        loc = loc.at(l.line(), l.column());
    }
    let msg = e.without_snippet().to_string();
    let mut msg = msg.lines().next().unwrap_or("").to_owned();
    // Drop the parser's advice to developers and its own position (we print ours first).
    if let Some(i) = msg.find(", set DuplicateKeyPolicy") {
        msg.truncate(i);
    }
    if let Some(i) = msg.rfind(" at line ") {
        msg.truncate(i);
    }
    Error::new(ErrorKind::Yaml(msg), loc)
}

/// Parses `text` as YAML into `T`, refusing over-large input.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    if text.len() > MAX_YAML_BYTES {
        return Err(Error::new(
            ErrorKind::Yaml(format!(
                "file is {} bytes; the limit is {MAX_YAML_BYTES}",
                text.len()
            )),
            Location::file(file),
        ));
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| yaml_error(file, &e))
}

/// Checks `text` against `schema`; the first violation is the error. `locate` turns a JSON
/// pointer into a line and column where it can.
pub(crate) fn check_schema(
    text: &str,
    file: &str,
    schema: &Schema,
    locate: impl Fn(&str) -> Option<(u64, u64)>,
) -> Result<()> {
    let value: serde_json::Value = parse(text, file)?;
    let violations = schema.violations(&value);
    if let Some((pointer, message)) = violations.into_iter().next() {
        let mut loc = Location::file(file).field(if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer.clone()
        });
        if let Some((line, col)) = locate(&pointer) {
            loc = loc.at(line, col);
        }
        return Err(Error::new(
            ErrorKind::Schema {
                schema: schema.name,
                message,
            },
            loc,
        ));
    }
    Ok(())
}
