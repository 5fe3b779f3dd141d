//! Reading YAML data files safely: input budgets, duplicate keys refused, checked against a JSON
//! Schema (feature `schema-check`), every error placed at file, line and column.
//!
//! Without `schema-check` a file is still checked in full by its typed deserialisation (unknown
//! and missing fields, types), the control-character check here and its loader's own checks
//! against the standard; only the extra JSON Schema pass is skipped, and with it the jsonschema
//! dependency.

use crate::error::{Error, ErrorKind, Location, Result};
use serde::de::DeserializeOwned;
#[cfg(feature = "schema-check")]
use std::sync::LazyLock;

/// The largest YAML file we read (a scheme of a few thousand codes is well under 1 MiB).
pub const MAX_YAML_BYTES: usize = 8 * 1024 * 1024;

/// The most values (mappings, sequences, scalars) a file may hold, counting each alias as
/// everything it expands to. A scheme of 5,000 codes is under 80,000.
pub const MAX_YAML_NODES: usize = 200_000;

/// The most events aliases (`*name`) may replay in one file: aliases are rare in these files, and
/// an alias bomb ("billion laughs") is refused here long before it grows.
pub const MAX_ALIAS_REPLAY: usize = 50_000;

/// The deepest nesting of mappings and sequences (a scheme needs 5).
pub const MAX_YAML_DEPTH: usize = 32;

/// Parser options: YAML 1.2 booleans only (so NHS code `N` stays a string), leading-zero numbers
/// kept as strings, duplicate keys an error, merge keys (`<<`) refused (a merge can silently
/// override a key), and budgets against size, depth and alias bombs.
pub(crate) fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    budget.flow_nesting_limit = MAX_YAML_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = MAX_YAML_NODES;
    budget.max_events = 2 * MAX_YAML_NODES;
    budget.max_total_scalar_bytes = MAX_YAML_BYTES;
    budget.max_recorded_anchor_bytes = 1024 * 1024;
    budget.max_documents = 1;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    o.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    o.alias_limits.max_replay_stack_depth = MAX_YAML_DEPTH;
    o.strict_booleans = true;
    o.leading_zero_numbers_as_strings = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o.merge_keys = serde_saphyr::MergeKeyPolicy::Error;
    o
}

/// A compiled JSON Schema.
#[cfg(feature = "schema-check")]
pub(crate) type Validator = jsonschema::Validator;

/// Without `schema-check` there is no JSON Schema pass: nothing is compiled.
#[cfg(not(feature = "schema-check"))]
pub(crate) struct Validator;

/// A JSON Schema shipped in `schema/`, compiled once on first use.
#[cfg(feature = "schema-check")]
pub(crate) struct Schema {
    /// File name, used in messages.
    pub(crate) name: &'static str,
    validator: LazyLock<Validator>,
}

/// A JSON Schema shipped in `schema/`, not checked: without `schema-check` the pass is skipped.
#[cfg(not(feature = "schema-check"))]
pub(crate) struct Schema;

impl Schema {
    /// The schema in the file `name`, compiled by `compile` on first use.
    #[cfg(feature = "schema-check")]
    pub(crate) const fn new(name: &'static str, compile: fn() -> Validator) -> Self {
        Schema {
            name,
            validator: LazyLock::new(compile),
        }
    }

    /// Without `schema-check`: neither kept nor compiled.
    #[cfg(not(feature = "schema-check"))]
    pub(crate) const fn new(_name: &'static str, _compile: fn() -> Validator) -> Self {
        Schema
    }

    /// The first violation of `value`, if any, as an error placed by `locate`; the message never
    /// repeats the value.
    #[cfg(feature = "schema-check")]
    fn check(
        &self,
        value: &serde_json::Value,
        file: &str,
        locate: impl Fn(&str) -> Option<(u64, u64)>,
    ) -> Result<()> {
        let Some(e) = self.validator.iter_errors(value).next() else {
            return Ok(());
        };
        let pointer = e.instance_path().to_string();
        let mut loc = Location::file(file).field(if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer.clone()
        });
        if let Some((line, col)) = locate(&pointer) {
            loc = loc.at(line, col);
        }
        Err(Error::new(
            ErrorKind::Schema {
                schema: self.name,
                message: e.masked().to_string(),
            },
            loc,
        ))
    }

    /// Without `schema-check`: the JSON Schema pass is skipped.
    #[cfg(not(feature = "schema-check"))]
    #[expect(clippy::unused_self, clippy::unnecessary_wraps)]
    fn check(
        &self,
        _value: &serde_json::Value,
        _file: &str,
        _locate: impl Fn(&str) -> Option<(u64, u64)>,
    ) -> Result<()> {
        Ok(())
    }
}

/// Compiles a schema shipped with the crate (its validity is checked by the tests).
#[cfg(feature = "schema-check")]
pub(crate) fn compile(text: &str) -> Validator {
    let value: serde_json::Value =
        serde_json::from_str(text).expect("shipped JSON Schema is valid JSON (tested)");
    jsonschema::options()
        .build(&value)
        .expect("shipped JSON Schema compiles (tested)")
}

/// Without `schema-check`: the JSON Schema pass is skipped, so there is nothing to compile (the
/// loaders declare their schemas alike in both builds).
#[cfg(not(feature = "schema-check"))]
pub(crate) const fn compile(_text: &str) -> Validator {
    Validator
}

/// Turns a parser error into ours, with its line and column.
pub(crate) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> Error {
    let mut loc = Location::file(file);
    if let Some(l) = e.location() {
        loc = loc.at(l.line(), l.column());
    }
    let msg = limit_message(e.without_snippet()).unwrap_or_else(|| {
        let msg = e.without_snippet().to_string();
        let mut msg = msg.lines().next().unwrap_or("").to_owned();
        // Drop the parser's advice to developers and its own position (we print ours first).
        if let Some(i) = msg.find(", set DuplicateKeyPolicy") {
            msg.truncate(i);
        }
        if let Some(i) = msg.find(" (defined at ") {
            msg.truncate(i);
        }
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        msg
    });
    Error::new(ErrorKind::Yaml(msg), loc)
}

/// A plain message for a refused file: a budget exceeded, an alias bomb, a merge key.
fn limit_message(mut e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    const BOMB: &str = "aliases (`*name`) expand to too much: the file is refused as a possible \
                        alias bomb; write the values out instead of repeating aliases";
    // An error met while replaying an alias is wrapped; the cause is inside.
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    Some(match e {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            B::Depth { .. } => format!(
                "nested too deeply (more than {MAX_YAML_DEPTH} levels of lists and mappings)"
            ),
            B::Nodes { .. } | B::Events { .. } => format!(
                "too many values (more than {MAX_YAML_NODES}, counting what aliases expand to)"
            ),
            B::ScalarBytes { .. } | B::InputBytes { .. } => {
                format!("too much text (more than {MAX_YAML_BYTES} bytes)")
            }
            B::Documents { .. } => {
                "more than one YAML document (`---`): a file holds exactly one".to_owned()
            }
            B::Aliases { .. }
            | B::Anchors { .. }
            | B::AliasAnchorRatio { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => BOMB.to_owned(),
            other => format!("a safety limit was exceeded ({other:?})"),
        },
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => BOMB.to_owned(),
        serde_saphyr::Error::ExternalMessage { source, .. }
            if matches!(&**source, serde_saphyr::ExternalMessageSource::Parser(p)
                if matches!(p.kind(), serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded)) =>
        {
            format!("nested too deeply (more than {MAX_YAML_DEPTH} levels of lists and mappings)")
        }
        serde_saphyr::Error::MergeKeyNotAllowed { .. } => {
            "merge keys (`<<`) are not allowed: a merge can silently override a key; write each \
             entry out in full"
                .to_owned()
        }
        _ => return None,
    })
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

/// The JSON pointer of the first key or string holding a character that would act on a terminal
/// (tabs and line breaks are text), and that character.
fn unprintable(value: &serde_json::Value, at: &mut String) -> Option<(String, char)> {
    let bad = |s: &str| s.chars().find(|&c| c != '\t' && crate::text::is_hazard(c));
    match value {
        serde_json::Value::String(s) => bad(s).map(|c| (at.clone(), c)),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = at.len();
            at.push('/');
            at.push_str(&i.to_string());
            let found = unprintable(v, at);
            at.truncate(len);
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = at.len();
            at.push('/');
            at.push_str(&k.replace('~', "~0").replace('/', "~1"));
            let found = bad(k)
                .map(|c| (at.clone(), c))
                .or_else(|| unprintable(v, at));
            at.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Checks `text` for control characters, then against `schema` (feature `schema-check`); the
/// first problem is the error. `locate` turns a JSON pointer into a line and column where it can.
pub(crate) fn check_schema(
    text: &str,
    file: &str,
    schema: &Schema,
    locate: impl Fn(&str) -> Option<(u64, u64)>,
) -> Result<()> {
    let value: serde_json::Value = parse(text, file)?;
    if let Some((pointer, c)) = unprintable(&value, &mut String::new()) {
        let mut loc = Location::file(file).field(pointer.clone());
        if let Some((line, col)) = locate(&pointer) {
            loc = loc.at(line, col);
        }
        return Err(Error::new(
            ErrorKind::Invalid(format!(
                "holds the control character U+{:04X}: names, codes and labels are printed back, \
                 so they may hold no control characters (escape sequences) or direction overrides",
                u32::from(c)
            )),
            loc,
        ));
    }
    schema.check(&value, file, locate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use std::time::{Duration, Instant};

    fn refuse(text: &str) -> String {
        let start = Instant::now();
        let e = parse::<serde_json::Value>(text, "t.yaml").unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(10), "{e}");
        e.to_string()
    }

    #[test]
    fn billion_laughs_is_refused_as_an_alias_bomb() {
        // Read untyped (as the JSON Schema pass does), nothing stops the expansion but the budget.
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
            writeln!(text, "a{i}: &a{i} [{aliases}]").unwrap();
        }
        let e = refuse(&text);
        assert!(e.starts_with("t.yaml:"), "{e}");
        assert!(e.contains("alias bomb"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_in_words() {
        for text in [
            format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a: {}1{}", "{a: ".repeat(1_000), "}".repeat(1_000)),
            (0..100).fold(String::new(), |mut t, i| {
                writeln!(t, "{}- ", " ".repeat(i * 2)).unwrap();
                t
            }),
        ] {
            let e = refuse(&text);
            assert!(e.contains("nested too deeply"), "{e}");
        }
    }

    #[test]
    fn merge_keys_and_second_documents_are_refused() {
        let e = refuse("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n");
        assert!(e.contains("merge keys (`<<`) are not allowed"), "{e}");
        let e = refuse("a: 1\n---\na: 2\n");
        assert!(e.starts_with("t.yaml:"), "{e}");
    }

    #[test]
    fn control_characters_in_text_are_refused_with_their_place() {
        static ANY: Schema = Schema::new("any.json", || compile("{}"));
        let text = "a: ok\nb:\n  - fine\n  - \"bad \\e[2J\"\nc: \"tab\\tand\\nline\"\n";
        let e = check_schema(text, "t.yaml", &ANY, |p| (p == "/b/1").then_some((4, 5)))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.yaml:4:5: /b/1: holds the control character U+001B"),
            "{e}"
        );
        check_schema("a: \"tab\\tand\\nline\"\n", "t.yaml", &ANY, |_| None).unwrap();
        let e = check_schema("\"k\\u202e\": 1\n", "t.yaml", &ANY, |_| None).unwrap_err();
        assert!(e.to_string().contains("U+202E"), "{e}");
    }

    #[test]
    fn a_duplicate_key_is_an_error_with_its_place() {
        let e = refuse("a: 1\nb: 2\na: 3\n");
        assert_eq!(e, "t.yaml:3:1: not valid YAML: duplicate mapping key: a");
    }
}
