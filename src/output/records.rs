//! Converted records in any [`RecordFormat`]: which columns are kept and added, and the bytes
//! of the added columns kept once made. How a line is laid out is the format's (its file).

use super::{RecordFormat, RecordLayout};
use crate::convert::{Converted, OUTPUT_COLUMNS, Policy, RECODE_COLUMNS, RecordSink};
use crate::io;
use crate::resolve::Matched;
use crate::scheme::{FxHasher, Relationship};
use crate::standard::{Category, Node};
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::io::Write;

/// Writes converted records: every input column (except earlier `wm_` output columns, which are
/// replaced), then [`OUTPUT_COLUMNS`] (and [`RECODE_COLUMNS`]). Output is buffered internally.
///
/// The added columns of a record depend only on its conversion, and a file holds few distinct
/// conversions, so their bytes are kept once made and copied after that.
pub struct RecordWriter<W: Write> {
    w: std::io::BufWriter<W>,
    format: RecordFormat,
    layout: &'static dyn RecordLayout,
    keep: Vec<usize>,
    names: Vec<String>,
    recode: bool,
    scratch: String,
    line: Vec<u8>,
    cache: HashMap<u64, (SuffixKey, Box<[u8]>), BuildHasherDefault<FxHasher>>,
}

impl<W: Write> fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("format", &self.format)
            .field("columns", &self.names)
            .field("recode", &self.recode)
            .finish_non_exhaustive()
    }
}

/// What the added columns of a record depend on, owned, to check a cache hit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SuffixKey {
    code: Node,
    relationship: Relationship,
    candidates: Box<[Category]>,
    policy: Option<Policy>,
    scheme: Box<str>,
    source: Box<str>,
    matched: Matched,
    observed: bool,
}

impl SuffixKey {
    fn of(c: &Converted<'_>) -> Self {
        SuffixKey {
            code: c.code,
            relationship: c.relationship,
            candidates: c.candidates.into(),
            policy: c.policy,
            scheme: c.source_scheme.into(),
            source: c.source_code.into(),
            matched: c.matched,
            observed: c.observed,
        }
    }

    fn is(&self, c: &Converted<'_>) -> bool {
        self.code == c.code
            && self.relationship == c.relationship
            && *self.candidates == *c.candidates
            && self.policy == c.policy
            && *self.scheme == *c.source_scheme
            && *self.source == *c.source_code
            && self.matched == c.matched
            && self.observed == c.observed
    }

    fn hash(c: &Converted<'_>) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = FxHasher::default();
        c.code.hash(&mut h);
        c.relationship.hash(&mut h);
        c.candidates.hash(&mut h);
        c.policy.hash(&mut h);
        c.source_scheme.hash(&mut h);
        c.source_code.hash(&mut h);
        c.matched.hash(&mut h);
        c.observed.hash(&mut h);
        h.finish()
    }
}

/// The most distinct conversions whose output bytes are kept.
const CACHE_LIMIT: usize = 4096;

fn is_output_column(name: &str) -> bool {
    OUTPUT_COLUMNS.contains(&name) || RECODE_COLUMNS.contains(&name)
}

impl<W: Write> RecordWriter<W> {
    /// A writer for records read with `header`; a header row, where the format has one, is
    /// written now.
    pub fn new<S: AsRef<str>>(
        w: W,
        format: RecordFormat,
        header: &[S],
        recode: bool,
    ) -> std::io::Result<Self> {
        let keep: Vec<usize> = (0..header.len())
            .filter(|&i| !is_output_column(header[i].as_ref()))
            .collect();
        let names: Vec<String> = keep
            .iter()
            .map(|&i| header[i].as_ref().to_owned())
            .collect();
        let mut me = RecordWriter {
            w: std::io::BufWriter::with_capacity(256 * 1024, w),
            format,
            layout: format.layout(),
            keep,
            names,
            recode,
            scratch: String::new(),
            line: Vec::new(),
            cache: HashMap::default(),
        };
        let mut line = Vec::new();
        me.layout.header(&mut line, &me.columns());
        me.w.write_all(&line)?;
        Ok(me)
    }

    /// The output's column names.
    pub fn columns(&self) -> Vec<&str> {
        let added = OUTPUT_COLUMNS.iter().chain(if self.recode {
            &RECODE_COLUMNS[..]
        } else {
            &[]
        });
        self.names
            .iter()
            .map(String::as_str)
            .chain(added.copied())
            .collect()
    }

    /// The added columns of `c`, as they follow the input columns on a line.
    fn suffix(&mut self, c: &Converted<'_>, out: &mut Vec<u8>) -> std::io::Result<()> {
        let layout = self.layout;
        let mut first = self.keep.is_empty();
        c.for_each_output(self.recode, &mut self.scratch, |name, v| {
            let r = layout.added(out, first, name, v);
            first = false;
            r
        })
    }

    /// Writes one converted record. CSV keeps every input field byte for byte (quoted where it
    /// must be); JSON Lines writes input fields as strings (invalid bytes replaced by U+FFFD).
    pub fn write(&mut self, input: &io::Record<'_>, c: &Converted<'_>) -> std::io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.layout
            .inputs(&mut line, input, &self.keep, &self.names)?;
        if self.recode {
            // The recoding note is not part of the cache key: always made afresh.
            self.suffix(c, &mut line)?;
        } else {
            let h = SuffixKey::hash(c);
            match self.cache.get(&h) {
                Some((key, bytes)) if key.is(c) => line.extend_from_slice(bytes),
                _ => {
                    let start = line.len();
                    self.suffix(c, &mut line)?;
                    if self.cache.len() < CACHE_LIMIT && !self.cache.contains_key(&h) {
                        self.cache
                            .insert(h, (SuffixKey::of(c), line[start..].into()));
                    }
                }
            }
        }
        self.layout.end(&mut line);
        let r = self.w.write_all(&line);
        self.line = line;
        r
    }

    /// Flushes and hands back the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
    }
}

impl<W: Write> RecordSink for RecordWriter<W> {
    fn record(&mut self, input: &io::Record<'_>, converted: &Converted<'_>) -> std::io::Result<()> {
        self.write(input, converted)
    }
}
