//! FHIR R4 Patient resources: a bulk-export NDJSON file (one resource a line) or a `Bundle`. Each
//! Patient is one record of [`HEADER`]: its resource type and id, and the first coding of its UK
//! Core `EthnicCategory` extension (system, code, display). Nothing else of a resource is kept:
//! names, addresses, dates of birth never reach a record, so they cannot reach a report. A
//! resource that is not a Patient, or a line that is not a JSON object, is a malformed record
//! naming its line; a Patient without the extension has empty coding fields.

use super::jsonl::{JsonPairs, first_line, parse_json_object, read_line_capped};
use super::{
    EncodingInfo, Fields, InputFormat, MAX_RECORD_BYTES, ReadSummary, Record, Shape, Source, Table,
    input_error,
};
use crate::error::{Error, ErrorKind, Location, Result};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

/// The columns of a FHIR input's records.
pub const FHIR_HEADER: [&str; 5] = [
    "resource_type",
    "id",
    "ethnic_category_system",
    "ethnic_category_code",
    "ethnic_category_display",
];

/// The UK Core extension that carries a Patient's ethnic category (UK Core R4
/// `Extension-UKCore-EthnicCategory` 2.3.0).
pub const ETHNIC_CATEGORY_EXTENSION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";

/// A FHIR input's records: NDJSON lines as they are read, or a Bundle's entries (read whole).
enum FhirRecords<'a> {
    Ndjson {
        lines: Box<dyn BufRead + 'a>,
        /// The first non-blank line, already read, and its line number.
        first: Vec<u8>,
        first_line: u64,
        blank_before: u64,
    },
    Bundle {
        text: String,
    },
}

impl<'a> Source<'a> for FhirRecords<'a> {
    fn read(
        self: Box<Self>,
        name: &str,
        _header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        let mut reader = Reader::default();
        match *self {
            FhirRecords::Ndjson {
                mut lines,
                first,
                first_line,
                blank_before,
            } => {
                reader.summary.blank_lines = blank_before;
                if reader.one(&first, first_line, 0, f).is_break() {
                    return Ok(reader.summary);
                }
                let (mut line, mut buf, mut progress) = (first_line, Vec::new(), 0u64);
                loop {
                    buf.clear();
                    let n = read_line_capped(&mut lines, &mut buf).map_err(|e| {
                        Error::new(ErrorKind::Io(e), Location::file(name).at(line + 1, 1))
                    })?;
                    if n == 0 {
                        break;
                    }
                    line += 1;
                    progress += n as u64;
                    if buf.trim_ascii().is_empty() {
                        reader.summary.blank_lines += 1;
                        continue;
                    }
                    if reader.one(buf.trim_ascii(), line, progress, f).is_break() {
                        break;
                    }
                }
            }
            FhirRecords::Bundle { text } => {
                let bundle: RawBundle = serde_json::from_str(&text).map_err(|e| {
                    Error::new(
                        ErrorKind::Input(
                            "not a FHIR Bundle: its entries must be objects with a `resource`"
                                .to_owned(),
                        ),
                        Location::file(name).at(e.line() as u64, e.column() as u64),
                    )
                })?;
                // Lines are counted on from the last entry: the text is scanned once.
                let (mut seen, mut line) = (0usize, 1u64);
                for entry in bundle.entry {
                    let Some(raw) = entry.resource else {
                        reader.summary.blank_lines += 1;
                        continue;
                    };
                    // The entry's offset in the text (the raw value is a slice of it).
                    let at = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                    line += memchr::memchr_iter(b'\n', &text.as_bytes()[seen..at]).count() as u64;
                    seen = at;
                    if reader
                        .one(raw.get().as_bytes(), line, at as u64, f)
                        .is_break()
                    {
                        break;
                    }
                }
            }
        }
        Ok(reader.summary)
    }
}

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(default, borrow)]
    entry: Vec<RawEntry<'a>>,
}

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(default, borrow)]
    resource: Option<&'a RawValue>,
}

/// Turns resources into records, reusing one buffer.
#[derive(Default)]
struct Reader {
    rec: Fields,
    summary: ReadSummary,
    problem: String,
}

impl Reader {
    /// Hands the resource `text` (one JSON object) on line `line` to `f` as a record.
    fn one(
        &mut self,
        text: &[u8],
        line: u64,
        progress: u64,
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.summary.records += 1;
        self.rec.clear();
        let shape = match parse_json_object(text).and_then(|pairs| patient(&pairs)) {
            Ok(fields) => {
                for v in &fields {
                    self.rec.push_field(v.as_bytes());
                }
                Shape::Ok
            }
            Err(msg) => {
                self.problem = msg;
                Shape::Malformed(&self.problem)
            }
        };
        let record = Record {
            fields: self.rec.view(),
            line,
            row: None,
            number: self.summary.records,
            progress,
            shape,
        };
        let flow = f(&record);
        self.summary.stopped |= flow.is_break();
        flow
    }
}

fn text_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A Patient's record fields, or why the resource is not one (the message names no value).
fn patient(pairs: &JsonPairs) -> std::result::Result<[String; 5], String> {
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let kind = get("resourceType").and_then(Value::as_str);
    match kind {
        Some("Patient") => {}
        Some(other) if other.len() <= 40 && other.bytes().all(|b| b.is_ascii_alphabetic()) => {
            return Err(format!("a {other} resource, not a Patient"));
        }
        _ => return Err("not a FHIR resource (no resourceType)".to_owned()),
    }
    let coding = get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| e.get("url").and_then(Value::as_str) == Some(ETHNIC_CATEGORY_EXTENSION))
        .filter_map(|e| e.pointer("/valueCodeableConcept/coding")?.as_array())
        .flatten()
        .find(|c| c.get("code").is_some_and(Value::is_string));
    Ok([
        "Patient".to_owned(),
        text_of(get("id")),
        text_of(coding.and_then(|c| c.get("system"))),
        text_of(coding.and_then(|c| c.get("code"))),
        text_of(coding.and_then(|c| c.get("display"))),
    ])
}

/// Opens FHIR input: NDJSON when its first non-blank line is a whole JSON object other than a
/// Bundle, else one Bundle (at most [`MAX_RECORD_BYTES`], read whole).
pub(super) fn open<'a>(
    name: String,
    reader: Box<dyn Read + Send + 'a>,
    info: EncodingInfo,
    size: u64,
) -> Result<Table<'a>> {
    let (lines, first, line, blank) =
        first_line(reader, &name, "the file is empty: no FHIR resource")?;
    let one_line = parse_json_object(first.trim_ascii()).ok();
    let is_bundle = one_line.as_ref().is_none_or(|pairs| {
        pairs
            .iter()
            .any(|(k, v)| k == "resourceType" && v.as_str() == Some("Bundle"))
    });
    let source = if is_bundle {
        let mut text = String::from_utf8(first.clone())
            .map_err(|_| input_error(&name, "a FHIR Bundle must be UTF-8"))?;
        lines
            .take(MAX_RECORD_BYTES as u64)
            .read_to_string(&mut text)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&name)))?;
        if text.len() >= MAX_RECORD_BYTES {
            return Err(input_error(
                &name,
                format!(
                    "a Bundle larger than {} MiB: export the Patients as NDJSON instead",
                    MAX_RECORD_BYTES >> 20
                ),
            ));
        }
        // Lines before the Bundle were blank: keep the text's line numbers the file's.
        text.insert_str(0, &"\n".repeat(usize::try_from(blank).unwrap_or(0)));
        FhirRecords::Bundle { text }
    } else {
        FhirRecords::Ndjson {
            lines,
            first: first.trim_ascii().to_vec(),
            first_line: line,
            blank_before: blank,
        }
    };
    Ok(Table::json(
        name,
        InputFormat::Fhir,
        (FHIR_HEADER.iter().map(|&h| h.to_owned()).collect(), 0),
        info,
        size,
        Box::new(source),
    ))
}
