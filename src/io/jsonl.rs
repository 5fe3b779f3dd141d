//! JSON Lines: one JSON object a line; the first object's keys are the columns.

use super::{
    EncodingInfo, Fields, InputFormat, MAX_RECORD_BYTES, ReadSummary, Record, Shape, Source, Table,
    input_error,
};
use crate::error::{Error, ErrorKind, Location, Result};
use std::fmt::{self, Write as _};
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

pub(super) type JsonPairs = Vec<(String, serde_json::Value)>;

/// A JSON Lines file's records: the first object (already read for the header), then the rest.
pub(super) struct JsonlRecords<'a> {
    lines: Box<dyn BufRead + 'a>,
    line: u64,
    first: JsonPairs,
    first_line: u64,
    blank_before_first: u64,
}

impl<'a> Source<'a> for JsonlRecords<'a> {
    fn read(
        self: Box<Self>,
        name: &str,
        header: &[String],
        f: &mut dyn FnMut(&Record<'_>) -> ControlFlow<()>,
    ) -> Result<ReadSummary> {
        let JsonlRecords {
            lines,
            line,
            first,
            first_line,
            blank_before_first,
        } = *self;
        read_jsonl(
            name,
            header,
            lines,
            (line, first, first_line, blank_before_first),
            f,
        )
    }
}

/// Reads up to and including the next `\n`, refusing a line longer than [`MAX_RECORD_BYTES`].
pub(super) fn read_line_capped(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let n = r.take(MAX_RECORD_BYTES as u64 + 1).read_until(b'\n', buf)?;
    if n > MAX_RECORD_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "a line longer than {} MiB: not a JSON Lines return (is it a text \
                 file?)",
                MAX_RECORD_BYTES >> 20
            ),
        ));
    }
    Ok(n)
}

/// What [`first_line`] read: the lines after it, the line, its number, the blank lines before.
pub(super) type FirstLine<'a> = (Box<dyn BufRead + 'a>, Vec<u8>, u64, u64);

/// Buffers `reader` and reads its first line that holds something: the lines after it, that
/// line, its line number, and the blank lines before it. An empty input is the error `empty`,
/// naming the file.
pub(super) fn first_line<'a>(
    reader: Box<dyn Read + Send + 'a>,
    name: &str,
    empty: &str,
) -> Result<FirstLine<'a>> {
    let mut lines: Box<dyn BufRead + 'a> = Box::new(BufReader::with_capacity(64 * 1024, reader));
    let (mut buf, mut line, mut blank) = (Vec::new(), 0u64, 0u64);
    loop {
        buf.clear();
        let n = read_line_capped(&mut lines, &mut buf)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(name).at(line + 1, 1)))?;
        if n == 0 {
            return Err(input_error(name, empty));
        }
        line += 1;
        if !buf.trim_ascii().is_empty() {
            return Ok((lines, buf, line, blank));
        }
        blank += 1;
    }
}

pub(super) fn open<'a>(
    name: String,
    reader: Box<dyn Read + Send + 'a>,
    info: EncodingInfo,
    size: u64,
) -> Result<Table<'a>> {
    let (lines, buf, line, blank) = first_line(
        reader,
        &name,
        "the file is empty: there is no first JSON object to take the column names from",
    )?;
    let pairs = parse_json_object(buf.trim_ascii()).map_err(|msg| {
        Error::new(
            ErrorKind::Input(format!(
                "the first record must be a JSON object (its keys are the column names): {msg}"
            )),
            Location::file(&name).at(line, 1),
        )
    })?;
    let header = pairs.iter().map(|(k, _)| k.clone()).collect();
    Ok(Table::json(
        name,
        InputFormat::Jsonl,
        (header, line),
        info,
        size,
        Box::new(JsonlRecords {
            lines,
            line,
            first: pairs,
            first_line: line,
            blank_before_first: blank,
        }),
    ))
}

pub(super) fn read_jsonl<F>(
    name: &str,
    header: &[String],
    mut lines: Box<dyn BufRead + '_>,
    first: (u64, JsonPairs, u64, u64),
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let (mut line, first_pairs, first_line, blank_before) = first;
    let mut summary = ReadSummary {
        blank_lines: blank_before,
        ..ReadSummary::default()
    };
    let mut rec = Fields::default();
    let mut values: Vec<String> = vec![String::new(); header.len()];
    let mut buf = Vec::new();
    let mut progress = 0u64;
    let fill = |pairs: &JsonPairs, rec: &mut Fields, values: &mut Vec<String>| {
        for v in values.iter_mut() {
            v.clear();
        }
        for (k, v) in pairs {
            if let Some(i) = header.iter().position(|h| h == k) {
                json_text(v, &mut values[i]);
            }
        }
        rec.clear();
        for v in values.iter() {
            rec.push_field(v.as_bytes());
        }
    };
    fill(&first_pairs, &mut rec, &mut values);
    summary.records = 1;
    let record = Record {
        fields: rec.view(),
        line: first_line,
        row: None,
        number: 1,
        progress: 0,
        shape: Shape::Ok,
    };
    if f(&record).is_break() {
        summary.stopped = true;
        return Ok(summary);
    }
    let mut problem = String::new();
    loop {
        buf.clear();
        let n = read_line_capped(&mut lines, &mut buf)
            .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(name).at(line + 1, 1)))?;
        if n == 0 {
            break;
        }
        progress += n as u64;
        line += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            summary.blank_lines += 1;
            continue;
        }
        summary.records += 1;
        let shape = match parse_json_object(text) {
            Ok(pairs) => {
                fill(&pairs, &mut rec, &mut values);
                Shape::Ok
            }
            Err(msg) => {
                // The line is the record's one field, as read: an invalid encoding is reported
                // as such, and a sink keeping whole rows keeps it.
                rec.clear();
                rec.push_field(text);
                if std::str::from_utf8(text).is_err() {
                    problem.clear();
                    problem.push_str("the line holds bytes that are not valid UTF-8");
                } else {
                    problem = msg;
                }
                Shape::Malformed(&problem)
            }
        };
        let record = Record {
            fields: rec.view(),
            line,
            row: None,
            number: summary.records,
            progress,
            shape,
        };
        if f(&record).is_break() {
            summary.stopped = true;
            break;
        }
    }
    Ok(summary)
}

/// Parses one JSON Lines line into its (key, value) pairs, in order.
pub(super) fn parse_json_object(text: &[u8]) -> std::result::Result<JsonPairs, String> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = JsonPairs;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<JsonPairs, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                out.push((k, v));
            }
            Ok(out)
        }
    }
    struct Obj;
    impl<'de> serde::de::DeserializeSeed<'de> for Obj {
        type Value = JsonPairs;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<JsonPairs, D::Error> {
            d.deserialize_map(Pairs)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    // serde_json's messages can quote the line's text ("invalid type: string \"...\""): the
    // message is rebuilt from the error's category and column so no data is repeated.
    let pairs =
        serde::de::DeserializeSeed::deserialize(Obj, &mut de).map_err(|e| match e.classify() {
            serde_json::error::Category::Eof => {
                "not valid JSON: the line ends before the object does".to_owned()
            }
            serde_json::error::Category::Syntax => {
                format!("not valid JSON: a syntax error at character {}", e.column())
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                if text.first() == Some(&b'{') {
                    "not a JSON object with text keys".to_owned()
                } else {
                    "a JSON value that is not an object".to_owned()
                }
            }
        })?;
    de.end()
        .map_err(|_| "more than one JSON value on the line".to_owned())?;
    Ok(pairs)
}

/// A JSON value as the text a CSV cell would hold: strings as they are, `null` empty.
pub(super) fn json_text(v: &serde_json::Value, out: &mut String) {
    out.clear();
    match v {
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push_str(s),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
