//! Encodings: what a text return is read in, and how that was decided (a BOM, the caller, or
//! detection from the bytes). Legacy encodings are decoded by a streaming reader in front of
//! the parser.

use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};
use std::io::Read;

/// A text encoding a return can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 (with or without a byte-order mark).
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252, what Excel on Windows writes for "CSV" in the UK (a superset of Latin-1).
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// UTF-16 little-endian, what Excel writes for "Unicode Text" (recognised by its BOM).
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian (recognised by its BOM).
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl Encoding {
    /// The name used in flags and reports (`utf-8`, `windows-1252`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }

    /// The encoding with this name or a common alias (`utf8`, `cp1252`, `latin1`: as in the
    /// WHATWG Encoding Standard, Latin-1 labels mean Windows-1252).
    pub fn from_name(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => {
                Some(Encoding::Windows1252)
            }
            "utf-16le" | "utf-16" => Some(Encoding::Utf16Le),
            "utf-16be" => Some(Encoding::Utf16Be),
            _ => None,
        }
    }

    pub(super) fn decoder(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the encoding of a text return was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EncodingSource {
    /// The caller gave it.
    Given,
    /// A byte-order mark at the start of the file says so.
    ByteOrderMark,
    /// Detected by reading the bytes.
    Detected,
}

/// The encoding a text return was read in, and why: reports say this, so a Windows-1252 file is
/// never read silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncodingInfo {
    /// The encoding used.
    pub encoding: Encoding,
    /// How it was chosen.
    pub source: EncodingSource,
    /// True when the file starts with a byte-order mark (it is not part of the first column name).
    pub bom: bool,
    /// Byte sequences not valid in the encoding found while detecting it (UTF-8 only; each field
    /// holding one is reported when the records are read).
    pub invalid_sequences: u64,
    /// One sentence for people, e.g. "not valid UTF-8 (first invalid byte on line 4); read as
    /// Windows-1252".
    pub note: String,
}

pub(super) fn sniff_bom(head: &[u8]) -> (Option<Encoding>, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        (Some(Encoding::Utf8), 3)
    } else if head.starts_with(b"\xFF\xFE") {
        (Some(Encoding::Utf16Le), 2)
    } else if head.starts_with(b"\xFE\xFF") {
        (Some(Encoding::Utf16Be), 2)
    } else {
        (None, 0)
    }
}

pub(super) fn bom_info(enc: Encoding, given: Option<Encoding>) -> EncodingInfo {
    let mut note = format!("{} (byte-order mark)", enc.name());
    if let Some(g) = given.filter(|g| *g != enc) {
        let _ = write!(note, "; the file's byte-order mark overrides the given {g}");
    }
    EncodingInfo {
        encoding: enc,
        source: EncodingSource::ByteOrderMark,
        bom: true,
        invalid_sequences: 0,
        note,
    }
}

pub(super) fn given_info(enc: Encoding) -> EncodingInfo {
    EncodingInfo {
        encoding: enc,
        source: EncodingSource::Given,
        bom: false,
        invalid_sequences: 0,
        note: format!("{} (given)", enc.name()),
    }
}

pub(super) fn detected_info(scan: &Utf8Scan, partial: bool) -> EncodingInfo {
    let scope = if partial { " in the first 64 KiB" } else { "" };
    let line = scan.first_invalid_line.unwrap_or(0);
    let (encoding, note) = if scan.invalid == 0 {
        (
            Encoding::Utf8,
            if scan.multibyte == 0 {
                format!("utf-8 (detected: plain ASCII{scope})")
            } else {
                format!("utf-8 (detected: valid UTF-8{scope})")
            },
        )
    } else if scan.multibyte > scan.invalid {
        (
            Encoding::Utf8,
            format!(
                "utf-8 (detected: mostly valid UTF-8{scope}, but {} byte sequence{} not valid, \
                 the first on line {line}; each field holding one is reported)",
                scan.invalid,
                if scan.invalid == 1 { " is" } else { "s are" }
            ),
        )
    } else {
        (
            Encoding::Windows1252,
            format!(
                "windows-1252 (detected: not valid UTF-8{scope}, first non-UTF-8 byte on line \
                 {line}; read as Windows-1252, what Excel writes for CSV{})",
                // Not silent: text saved as UTF-8 elsewhere in the file is misread.
                if scan.multibyte == 0 {
                    String::new()
                } else {
                    format!(
                        ". The file mixes encodings: it also holds {} UTF-8 character{}, read as \
                         Windows-1252 too; save the whole file in one encoding",
                        scan.multibyte,
                        if scan.multibyte == 1 { "" } else { "s" }
                    )
                }
            ),
        )
    };
    EncodingInfo {
        encoding,
        source: EncodingSource::Detected,
        bom: false,
        invalid_sequences: if encoding == Encoding::Utf8 {
            scan.invalid
        } else {
            0
        },
        note,
    }
}

/// Counts of a pass over bytes checking UTF-8.
#[derive(Debug, Default)]
pub(super) struct Utf8Scan {
    /// Invalid sequences.
    pub(super) invalid: u64,
    /// Valid multi-byte characters.
    multibyte: u64,
    /// Line of the first invalid sequence.
    first_invalid_line: Option<u64>,
    /// Lines seen so far (1-based current line), counted until the first invalid sequence.
    line: u64,
}

impl Utf8Scan {
    fn valid(&mut self, good: &[u8]) {
        if !good.is_ascii() {
            self.multibyte += good.iter().filter(|b| **b >= 0xC0).count() as u64;
        }
        if self.first_invalid_line.is_none() {
            self.line += memchr::memchr_iter(b'\n', good).count() as u64;
        }
    }

    fn bad(&mut self) {
        self.invalid += 1;
        if self.first_invalid_line.is_none() {
            self.first_invalid_line = Some(self.line + 1);
        }
    }

    /// Checks `chunk`; returns how many bytes at its end are an incomplete sequence to carry
    /// into the next chunk (none when `last`).
    pub(super) fn feed(&mut self, mut chunk: &[u8], last: bool) -> usize {
        loop {
            match std::str::from_utf8(chunk) {
                Ok(_) => {
                    self.valid(chunk);
                    return 0;
                }
                Err(e) => {
                    let (good, rest) = chunk.split_at(e.valid_up_to());
                    self.valid(good);
                    match e.error_len() {
                        Some(n) => {
                            self.bad();
                            chunk = &rest[n..];
                        }
                        None if last => {
                            self.bad();
                            return 0;
                        }
                        None => return rest.len(),
                    }
                }
            }
        }
    }
}

/// Checks a whole stream for UTF-8 validity with a fixed buffer.
pub(super) fn scan_utf8(r: &mut impl Read) -> std::io::Result<Utf8Scan> {
    let mut scan = Utf8Scan::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry = 0;
    loop {
        let n = match r.read(&mut buf[carry..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let len = carry + n;
        let last = n == 0;
        let keep = scan.feed(&buf[..len], last);
        if last {
            break;
        }
        buf.copy_within(len - keep..len, 0);
        carry = keep;
    }
    Ok(scan)
}
