//! The text encoding of a written file: UTF-8, UTF-8 with a byte-order mark (what Excel on
//! Windows needs to read UTF-8 as such rather than as ANSI), or Windows-1252. Every writer of
//! this module writes UTF-8; [`EncodingWriter`] turns it into the encoding asked.

use crate::io::{Encoding, EncodingInfo};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The encodings a file can be written in (`--output-encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum OutputEncoding {
    /// UTF-8 without a byte-order mark.
    #[serde(rename = "utf-8")]
    #[cfg_attr(feature = "cli", value(name = "utf-8"))]
    Utf8,
    /// UTF-8 starting with a byte-order mark: Excel on Windows then reads it as UTF-8.
    #[serde(rename = "utf-8-bom")]
    #[cfg_attr(feature = "cli", value(name = "utf-8-bom"))]
    Utf8Bom,
    /// Windows-1252 (what Excel writes for "CSV" in the UK); a character it has no byte for is
    /// an error naming the output line, never a silent `?`.
    #[serde(rename = "windows-1252")]
    #[cfg_attr(feature = "cli", value(name = "windows-1252"))]
    Windows1252,
}

impl OutputEncoding {
    /// The encoding's name in flags (`utf-8`, `utf-8-bom`, `windows-1252`).
    pub fn name(self) -> &'static str {
        match self {
            OutputEncoding::Utf8 => "utf-8",
            OutputEncoding::Utf8Bom => "utf-8-bom",
            OutputEncoding::Windows1252 => "windows-1252",
        }
    }

    /// The encoding's name for people.
    pub fn title(self) -> &'static str {
        match self {
            OutputEncoding::Utf8 => "UTF-8",
            OutputEncoding::Utf8Bom => "UTF-8 with BOM",
            OutputEncoding::Windows1252 => "Windows-1252",
        }
    }

    /// The encoding of a file written from an input read in `input`: UTF-8, with a byte-order
    /// mark when the input had one or was not UTF-8 (a Windows-1252 file came from Excel, which
    /// reads UTF-8 without a BOM as ANSI). A workbook (`None`) gives plain UTF-8.
    pub fn like_input(input: Option<&EncodingInfo>) -> OutputEncoding {
        match input {
            Some(i) if i.bom || i.encoding != Encoding::Utf8 => OutputEncoding::Utf8Bom,
            _ => OutputEncoding::Utf8,
        }
    }
}

/// Writes the UTF-8 it is given to `W` in an [`OutputEncoding`]: the byte-order mark first for
/// [`Utf8Bom`](OutputEncoding::Utf8Bom), each character as its Windows-1252 byte for
/// [`Windows1252`](OutputEncoding::Windows1252) (a character split across two writes is kept
/// until its end arrives). A character Windows-1252 cannot hold is an
/// [`std::io::ErrorKind::InvalidData`] error naming the line of the output it is on.
///
/// ```
/// use wm_ethnicity::{EncodingWriter, OutputEncoding};
/// use std::io::Write;
///
/// let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Windows1252);
/// w.write_all("name\nCafé – 5 €\n".as_bytes()).unwrap();
/// assert_eq!(w.into_inner().unwrap(), b"name\nCaf\xe9 \x96 5 \x80\n");
///
/// let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Windows1252);
/// let e = w.write_all("a\nb\nWojciech Łukasz\n".as_bytes()).unwrap_err();
/// assert!(e.to_string().starts_with("line 3 of the output: `Ł` (U+0141) has no Windows-1252 byte"));
/// ```
#[derive(Debug)]
pub struct EncodingWriter<W: Write> {
    inner: W,
    encoding: OutputEncoding,
    /// The byte-order mark is still to be written.
    bom: bool,
    /// The start of a character whose end has not arrived yet (at most 3 bytes).
    partial: Vec<u8>,
    /// Line breaks written so far.
    lines: u64,
    encoded: Vec<u8>,
}

impl<W: Write> EncodingWriter<W> {
    /// A writer to `inner` in `encoding`.
    pub fn new(inner: W, encoding: OutputEncoding) -> Self {
        EncodingWriter {
            inner,
            encoding,
            bom: encoding == OutputEncoding::Utf8Bom,
            partial: Vec::new(),
            lines: 0,
            encoded: Vec::new(),
        }
    }

    /// The encoding written.
    pub fn encoding(&self) -> OutputEncoding {
        self.encoding
    }

    /// Flushes and hands back the inner writer; an unfinished character is an error.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.flush()?;
        if !self.partial.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the output ends inside a UTF-8 character",
            ));
        }
        Ok(self.inner)
    }

    fn windows_1252(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let joined;
        let bytes = if self.partial.is_empty() {
            buf
        } else {
            self.partial.extend_from_slice(buf);
            joined = std::mem::take(&mut self.partial);
            &joined[..]
        };
        let (text, rest) = match std::str::from_utf8(bytes) {
            Ok(t) => (t, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(valid).unwrap_or_default(), rest)
            }
            Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {} of the output: not UTF-8", self.lines + 1),
                ));
            }
        };
        self.encoded.clear();
        for c in text.chars() {
            if c == '\n' {
                self.lines += 1;
            }
            let Some(b) = windows_1252_byte(c) else {
                // Write what came before, so the file shows where it stopped.
                self.inner.write_all(&self.encoded)?;
                self.encoded.clear();
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "line {} of the output: `{c}` (U+{:04X}) has no Windows-1252 byte; \
                         write UTF-8 (--output-encoding utf-8-bom) to keep it",
                        self.lines + 1,
                        u32::from(c)
                    ),
                ));
            };
            self.encoded.push(b);
        }
        self.partial = rest.to_vec();
        self.inner.write_all(&self.encoded)
    }
}

/// The Windows-1252 byte of `c`, if it has one (WHATWG's table: 0x80–0x9F are the typographic
/// characters, the rest Latin-1).
fn windows_1252_byte(c: char) -> Option<u8> {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    let n = u32::from(c);
    match n {
        0..0x80 | 0xA0..=0xFF => u8::try_from(n).ok(),
        _ => HIGH
            .iter()
            .position(|&h| h == c)
            .and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

impl<W: Write> Write for EncodingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bom {
            self.inner.write_all("\u{feff}".as_bytes())?;
            self.bom = false;
        }
        match self.encoding {
            OutputEncoding::Utf8 | OutputEncoding::Utf8Bom => self.inner.write_all(buf)?,
            OutputEncoding::Windows1252 => self.windows_1252(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.bom {
            self.inner.write_all("\u{feff}".as_bytes())?;
            self.bom = false;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_windows_1252_byte_round_trips() {
        for b in 0..=255u8 {
            let byte = [b];
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
            let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Windows1252);
            w.write_all(text.as_bytes()).unwrap();
            assert_eq!(w.into_inner().unwrap(), [b], "{b:#x}");
        }
    }

    #[test]
    fn a_character_split_across_writes_is_joined() {
        let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Windows1252);
        let euro = "€".as_bytes();
        w.write_all(&euro[..1]).unwrap();
        w.write_all(&euro[1..]).unwrap();
        assert_eq!(w.into_inner().unwrap(), [0x80]);
        let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Windows1252);
        w.write_all(&euro[..2]).unwrap();
        assert!(w.into_inner().is_err());
    }

    #[test]
    fn the_bom_comes_first_even_for_an_empty_file() {
        let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Utf8Bom);
        w.write_all(b"a\n").unwrap();
        assert_eq!(w.into_inner().unwrap(), b"\xef\xbb\xbfa\n");
        let w = EncodingWriter::new(Vec::new(), OutputEncoding::Utf8Bom);
        assert_eq!(w.into_inner().unwrap(), b"\xef\xbb\xbf");
        let mut w = EncodingWriter::new(Vec::new(), OutputEncoding::Utf8);
        w.write_all("é\n".as_bytes()).unwrap();
        assert_eq!(w.into_inner().unwrap(), "é\n".as_bytes());
    }
}
