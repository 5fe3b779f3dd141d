//! Sniffing: the file format from the name and first bytes, and the CSV delimiter.

use super::InputFormat;
use std::path::Path;

pub(super) fn sniff_format(path: &Path, head: &[u8]) -> InputFormat {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if head.starts_with(b"PK\x03\x04") {
        return if ext == "ods" {
            InputFormat::Ods
        } else {
            InputFormat::Xlsx
        };
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return InputFormat::Xls;
    }
    if head.starts_with(b"PAR1") {
        return InputFormat::Parquet;
    }
    // An Arrow IPC file starts `ARROW1`; a stream starts with a continuation marker.
    if head.starts_with(b"ARROW1") || matches!(ext.as_str(), "arrow" | "arrows" | "feather" | "ipc")
    {
        return InputFormat::Arrow;
    }
    // FHIR resources: JSON whose head names a resourceType (NDJSON bulk export, a Bundle).
    let json_like = matches!(ext.as_str(), "jsonl" | "ndjson" | "json")
        || head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(head)
            .trim_ascii()
            .first()
            == Some(&b'{');
    if json_like && memchr::memmem::find(head, b"\"resourceType\"").is_some() {
        return InputFormat::Fhir;
    }
    match ext.as_str() {
        "parquet" | "pq" => InputFormat::Parquet,
        "jsonl" | "ndjson" | "json" => InputFormat::Jsonl,
        "csv" | "tsv" | "txt" | "tab" => InputFormat::Csv,
        _ => {
            let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            if text.trim_ascii().first() == Some(&b'{') {
                InputFormat::Jsonl
            } else {
                InputFormat::Csv
            }
        }
    }
}

/// The delimiter of the first line that holds a value and a delimiter: the most frequent of
/// comma, tab and semicolon outside quotes (ties: comma, then tab, then semicolon; none: comma).
/// Lines with no value (blank lines, an Excel export's `;;;;` rows) or no delimiter (a title
/// above the header) say nothing about it.
pub(super) fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut value = false;
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => {
                if value && counts.iter().any(|&n| n > 0) {
                    break;
                }
                counts = [0; 3];
                value = false;
            }
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            b' ' => {}
            _ => value = true,
        }
    }
    if !value {
        counts = [0; 3];
    }
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    [b',', b'\t', b';'][best]
}
