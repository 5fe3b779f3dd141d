//! The file in the page's worker as a `Read + Seek` (read ahead in large slices: each read is a
//! call into JavaScript), and an output stream as a `Write` (sent to the page in large pieces).

use crate::abi;
use std::io::{Read, Seek, SeekFrom, Write};

/// How much is read from the file at a time.
const READ_AHEAD: usize = 1 << 20;

/// How much output is gathered before it is sent.
const WRITE_BEHIND: usize = 1 << 20;

/// The file being read, `size` bytes, read through `wm_file_read`.
pub struct JsFile {
    size: u64,
    /// Where `buf` starts in the file.
    start: u64,
    buf: Vec<u8>,
    /// The reading position within `buf`.
    at: usize,
}

impl JsFile {
    /// The page's file, of `size` bytes.
    pub fn new(size: u64) -> JsFile {
        JsFile {
            size,
            start: 0,
            buf: Vec::new(),
            at: 0,
        }
    }

    fn position(&self) -> u64 {
        self.start + self.at as u64
    }
}

impl Read for JsFile {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            let pos = self.position();
            if pos >= self.size || out.is_empty() {
                return Ok(0);
            }
            if out.len() >= READ_AHEAD {
                let n = abi::read_file(pos, out)?;
                self.start = pos + n as u64;
                self.buf.clear();
                self.at = 0;
                return Ok(n);
            }
            self.buf.resize(READ_AHEAD, 0);
            let n = abi::read_file(pos, &mut self.buf)?;
            self.buf.truncate(n);
            self.start = pos;
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Seek for JsFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.position().checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::other("a seek before the start of the file"))?;
        let end = self.start + self.buf.len() as u64;
        if (self.start..=end).contains(&target) {
            // Within what was read: keep it (zip readers seek back and forth).
            self.at = usize::try_from(target - self.start).unwrap_or(self.buf.len());
        } else {
            self.start = target;
            self.buf.clear();
            self.at = 0;
        }
        Ok(target)
    }
}

/// An output stream of the page.
pub struct JsOut {
    stream: u32,
    buf: Vec<u8>,
}

impl JsOut {
    /// Output stream `stream`.
    pub fn new(stream: u32) -> JsOut {
        JsOut {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends what is left.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush()
    }
}

impl Write for JsOut {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= WRITE_BEHIND {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            abi::write_out(self.stream, &self.buf);
            self.buf.clear();
        }
        Ok(())
    }
}
