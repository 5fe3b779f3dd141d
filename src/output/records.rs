//! Converted records in any [`RecordFormat`]: which columns are kept and added, and the bytes
//! of the added columns kept once made. How a line is laid out is the format's (its file).
//! The position columns ([`POSITION_COLUMNS`]) are also the rejects' (`RejectWriter::full_rows`).

use super::csv::REJECT_REASON_COLUMNS;
use super::{RecordFormat, RecordLayout};
use crate::characteristic::CharacteristicSet;
use crate::convert::{
    ANSWER_COLUMNS, Converted, Converter, OUTPUT_COLUMNS, Policy, RECODE_COLUMNS, RecordSink,
};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::resolve::Matched;
use crate::scheme::{FxHasher, Relationship};
use crate::standard::{Category, Node};
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::io::Write;

/// The columns saying where a record was in the input: the line it starts on and its record
/// number (as [`io::Record::line`] and [`io::Record::number`]). Converted records carry them
/// with [`AddedColumns::position`]; full-row rejects always do.
pub const POSITION_COLUMNS: [&str; 2] = ["wm_line", "wm_record"];

/// The columns a [`RecordWriter`] adds besides [`OUTPUT_COLUMNS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddedColumns {
    /// [`RECODE_COLUMNS`] after [`OUTPUT_COLUMNS`] (a conversion with a target scheme).
    pub recode: bool,
    /// [`POSITION_COLUMNS`] before [`OUTPUT_COLUMNS`]: where each record was in the input.
    pub position: bool,
    /// [`ANSWER_COLUMNS`] after [`OUTPUT_COLUMNS`] (several ethnicities per person: each added
    /// column then holds a record's answers joined by `;`).
    pub answers: bool,
    /// The characteristics' standard values (`wm_sex`, `wm_age_band`, ...) last, in
    /// [`Characteristic::ALL`](crate::Characteristic::ALL) order.
    pub characteristics: CharacteristicSet,
    /// Which of [`OUTPUT_COLUMNS`], [`ANSWER_COLUMNS`] and [`RECODE_COLUMNS`] are written
    /// (`convert --columns`): all by default.
    pub columns: OutputColumns,
}

impl AddedColumns {
    /// The columns a conversion by `converter` adds: the recoded columns when it has a target
    /// scheme, the answers' columns when it reads several, its characteristics; no positions,
    /// every column (the CLI, the page and the Python package set those from their flags).
    pub fn of(converter: &Converter<'_>) -> AddedColumns {
        AddedColumns {
            recode: converter.to_scheme().is_some(),
            answers: converter.several(),
            characteristics: converter.characteristics(),
            ..AddedColumns::default()
        }
    }

    /// The added columns of a record, in order: [`OUTPUT_COLUMNS`], then [`ANSWER_COLUMNS`]
    /// and [`RECODE_COLUMNS`] when asked, those [`AddedColumns::columns`] chooses (the order of
    /// [`Converted::for_each_output`]).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let answers: &[&str] = if self.answers { &ANSWER_COLUMNS } else { &[] };
        let recode: &[&str] = if self.recode { &RECODE_COLUMNS } else { &[] };
        OUTPUT_COLUMNS
            .iter()
            .chain(answers)
            .chain(recode)
            .copied()
            .filter(move |n| self.columns.has(n))
    }
}

/// A choice of the added columns [`OUTPUT_COLUMNS`], [`RECODE_COLUMNS`] and [`ANSWER_COLUMNS`]
/// (`--columns`), in their order whatever the order asked. The default is every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputColumns(u32);

impl Default for OutputColumns {
    fn default() -> Self {
        OutputColumns(u32::MAX)
    }
}

impl OutputColumns {
    fn all() -> impl Iterator<Item = &'static str> {
        OUTPUT_COLUMNS
            .iter()
            .chain(&RECODE_COLUMNS)
            .chain(&ANSWER_COLUMNS)
            .copied()
    }

    /// The columns named in `list`, comma separated, with or without their `wm_` prefix
    /// (`code,group,category`); the error names a column that is not one, and lists them.
    pub fn parse(list: &str) -> std::result::Result<OutputColumns, String> {
        let mut mask = 0u32;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let full = if name.starts_with("wm_") {
                name.to_owned()
            } else {
                format!("wm_{name}")
            };
            match Self::all().position(|c| c == full) {
                Some(i) => mask |= 1 << i,
                None => {
                    return Err(format!(
                        "`{name}` is not a column convert adds; they are: {}",
                        Self::all().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        if mask == 0 {
            return Err("no column given: name one or more, e.g. `wm_code,wm_group`".to_owned());
        }
        Ok(OutputColumns(mask))
    }

    /// True when the added column `name` is chosen.
    pub fn has(self, name: &str) -> bool {
        Self::all()
            .position(|c| c == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// The positions written, the input columns kept and their names, for records read with
/// `header` adding `added` (every record writer's columns; see [`RecordWriter::new`]).
pub(super) fn kept_columns<S: AsRef<str>>(
    header: &[S],
    added: AddedColumns,
) -> std::io::Result<(Option<Positions>, Vec<usize>, Vec<String>)> {
    let positions = if added.position {
        Some(Positions::of(header).map_err(invalid_input)?)
    } else {
        None
    };
    let set = added.characteristics;
    let keep = Positions::kept(header, positions, |h| {
        is_output_column(h) || set.iter().any(|k| k.column() == h)
    });
    let names = keep
        .iter()
        .map(|&i| header[i].as_ref().to_owned())
        .collect();
    Ok((positions, keep, names))
}

/// What a column of converted records holds, for a format that types its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnKind {
    /// An input column, as read.
    #[cfg(any(feature = "arrow", feature = "xlsx"))]
    Input,
    /// A position column (a whole number).
    Position,
    /// An added column of the standard's (few distinct values).
    Standard,
}

/// The output's columns after the input columns kept (`names`): the positions when `positions`,
/// then the added columns chosen, then the characteristics, as every record writer lays them out.
fn added_columns(
    positions: bool,
    added: AddedColumns,
) -> impl Iterator<Item = (&'static str, ColumnKind)> {
    let position: &[&str] = if positions { &POSITION_COLUMNS } else { &[] };
    let set = added.characteristics;
    position
        .iter()
        .map(|n| (*n, ColumnKind::Position))
        .chain(added.names().map(|n| (n, ColumnKind::Standard)))
        .chain(set.iter().map(|k| (k.column(), ColumnKind::Standard)))
}

#[cfg(any(feature = "arrow", feature = "xlsx"))]
/// The cells of converted records, one by one in the output's order (the kept input columns,
/// the positions, the added columns chosen, the characteristics): what a writer that stores
/// cells rather than lines (Arrow batches, a workbook) reads each record through.
pub(super) struct RecordCells {
    keep: Vec<usize>,
    names: Vec<String>,
    positions: Option<Positions>,
    added: AddedColumns,
    /// Where the added columns chosen are among the columns: counted once, not per record.
    #[cfg(feature = "arrow")]
    added_range: std::ops::Range<usize>,
    scratch: String,
    candidates: String,
}

#[cfg(any(feature = "arrow", feature = "xlsx"))]
impl RecordCells {
    /// The cells of records read with `header`, adding `added` (the errors of
    /// [`RecordWriter::new`]).
    pub(super) fn new<S: AsRef<str>>(header: &[S], added: AddedColumns) -> std::io::Result<Self> {
        let (positions, keep, names) = kept_columns(header, added)?;
        #[cfg(feature = "arrow")]
        let start = keep.len() + positions.map_or(0, |_| POSITION_COLUMNS.len());
        Ok(RecordCells {
            #[cfg(feature = "arrow")]
            added_range: start..start + added.names().count(),
            keep,
            names,
            positions,
            added,
            scratch: String::new(),
            candidates: String::new(),
        })
    }

    /// Every column's name and kind, in order.
    pub(super) fn columns(&self) -> Vec<(&str, ColumnKind)> {
        self.names
            .iter()
            .map(|n| (n.as_str(), ColumnKind::Input))
            .chain(
                added_columns(self.positions.is_some(), self.added)
                    .map(|(n, k)| -> (&str, ColumnKind) { (n, k) }),
            )
            .collect()
    }

    /// Passes each cell of `input` converted to `c` to `f`, in the order of
    /// [`columns`](RecordCells::columns) (`None`: a characteristic the record lacks).
    #[cfg(feature = "xlsx")]
    pub(super) fn each(
        &mut self,
        input: &io::Record<'_>,
        c: &Converted<'_>,
        mut f: impl FnMut(Option<&str>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.inputs(input, |v| f(Some(v)))?;
        self.positions(input, |v| f(Some(v)))?;
        self.added(c, |v| f(Some(v)))?;
        self.characteristics(c, f)
    }

    /// Where the added columns chosen are among [`columns`](RecordCells::columns).
    #[cfg(feature = "arrow")]
    pub(super) fn added_range(&self) -> std::ops::Range<usize> {
        self.added_range.clone()
    }

    /// True when the added cells of `c` depend on its conversion alone, so what is made of
    /// them may be kept in a [`ConversionCache`] (not with a recoding, whose note is not part
    /// of the cache key, nor for a record of several answers).
    #[cfg(feature = "arrow")]
    pub(super) fn cacheable(&self, c: &Converted<'_>) -> bool {
        cacheable(self.added, c)
    }

    /// The kept input cells of `input`, in order.
    pub(super) fn inputs(
        &self,
        input: &io::Record<'_>,
        mut f: impl FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        // Every field of a plain line of valid text: checked as text once.
        if let Some(fields) = input
            .plain_text()
            .filter(|_| keeps_every(&self.keep, input))
        {
            return fields.into_iter().try_for_each(f);
        }
        for &i in &self.keep {
            f(&input.text(i).unwrap_or_default())?;
        }
        Ok(())
    }

    /// The position cells of `input`, when asked for.
    pub(super) fn positions(
        &mut self,
        input: &io::Record<'_>,
        mut f: impl FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match self.positions {
            Some(p) => p.for_each(input, &mut self.scratch, |_, v| f(v)),
            None => Ok(()),
        }
    }

    /// The added cells of `c` chosen, in order.
    pub(super) fn added(
        &mut self,
        c: &Converted<'_>,
        mut f: impl FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let wanted = self.added.columns;
        let outputs = (self.added.recode, self.added.answers);
        c.for_each_output(outputs, &mut self.candidates, |name, v| {
            if wanted.has(name) { f(v) } else { Ok(()) }
        })
    }

    /// The characteristic cells of `c` (`None`: one the record lacks).
    pub(super) fn characteristics(
        &self,
        c: &Converted<'_>,
        mut f: impl FnMut(Option<&str>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.added
            .characteristics
            .iter()
            .try_for_each(|k| f(c.characteristic(k)))
    }
}

#[cfg(any(feature = "arrow", feature = "xlsx"))]
/// A cell of a rejects row: a whole number or text, either maybe absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RejectCell<'a> {
    /// A line, record or row number.
    Number(Option<u64>),
    /// Text.
    Text(Option<&'a str>),
}

#[cfg(any(feature = "arrow", feature = "xlsx"))]
/// The cells of a reject under [`REJECT_COLUMNS`](super::REJECT_COLUMNS), as they are (a
/// format whose cells are typed writes them so; CSV guards them against formulas).
pub(super) fn reject_cells<'a>(r: &'a crate::convert::Rejected<'_>) -> [RejectCell<'a>; 9] {
    use RejectCell::{Number, Text};
    [
        Number(Some(r.line)),
        Number(Some(r.record)),
        Number(r.row),
        Text(r.column),
        Text(r.value),
        Text(Some(r.rejection.rule.id())),
        Text(Some(r.rejection.rule.name())),
        Text(Some(&r.rejection.reason)),
        Text(r.rejection.suggestion.as_deref()),
    ]
}

/// True when the added columns `added` of `c` depend on its conversion alone (see
/// [`RecordCells::cacheable`]).
fn cacheable(added: AddedColumns, c: &Converted<'_>) -> bool {
    !added.recode && c.more.is_empty()
}

/// True when the input columns `keep` (as [`kept_columns`] gives them: rising from 0) are every
/// field of `record`, in order.
pub(super) fn keeps_every(keep: &[usize], record: &io::Record<'_>) -> bool {
    keep.len() == record.len() && keep.last().is_some_and(|&last| last + 1 == keep.len())
}

/// Where the values of the [`POSITION_COLUMNS`] come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Positions {
    /// The record as read: its line and number.
    Read,
    /// The input's own position columns at these indexes (an earlier run's output or full-row
    /// rejects): the places in the original input, kept.
    Carried([usize; 2]),
}

impl Positions {
    /// The positions of records read with `header`: carried when it has both position columns,
    /// read when it has neither; the error (one sentence) when it has one, or one twice.
    pub(super) fn of<S: AsRef<str>>(header: &[S]) -> std::result::Result<Positions, String> {
        let at = |name: &str| {
            let mut found = (0..header.len()).filter(|&i| header[i].as_ref() == name);
            (found.next(), found.next())
        };
        let [(line, line_twice), (record, record_twice)] = POSITION_COLUMNS.map(at);
        let twice = [
            (line_twice, POSITION_COLUMNS[0]),
            (record_twice, POSITION_COLUMNS[1]),
        ];
        if let Some((_, name)) = twice.iter().find(|(i, _)| i.is_some()) {
            return Err(format!(
                "the header names column `{name}` twice: rename one, so it is clear which \
                 holds the records' places"
            ));
        }
        match (line, record) {
            (None, None) => Ok(Positions::Read),
            (Some(l), Some(r)) => Ok(Positions::Carried([l, r])),
            (Some(_), None) | (None, Some(_)) => {
                let (has, lacks) = if line.is_some() {
                    (POSITION_COLUMNS[0], POSITION_COLUMNS[1])
                } else {
                    (POSITION_COLUMNS[1], POSITION_COLUMNS[0])
                };
                Err(format!(
                    "the header has a column `{has}` but no `{lacks}`: the position columns \
                     would repeat it; rename `{has}`, or add `{lacks}` if both come from an \
                     earlier run"
                ))
            }
        }
    }

    /// True when column `i` of the input is a carried position column.
    pub(super) fn carries(self, i: usize) -> bool {
        matches!(self, Positions::Carried(c) if c.contains(&i))
    }

    /// Passes each position column with its value for `record` to `f`; `scratch` is reused.
    pub(super) fn for_each<E>(
        self,
        record: &io::Record<'_>,
        scratch: &mut String,
        mut f: impl FnMut(&str, &str) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        use std::fmt::Write as _;
        for (n, name) in POSITION_COLUMNS.iter().enumerate() {
            scratch.clear();
            match self {
                Positions::Read => {
                    let v = if n == 0 {
                        record.line()
                    } else {
                        record.number()
                    };
                    let _ = write!(scratch, "{v}");
                }
                Positions::Carried(c) => scratch.push_str(&record.text(c[n]).unwrap_or_default()),
            }
            f(name, scratch)?;
        }
        Ok(())
    }

    /// The input columns a writer keeps: all but those `dropped`, an earlier run's reject
    /// reasons ([`REJECT_REASON_COLUMNS`]) and, when `positions` are written, carried ones.
    pub(super) fn kept<S: AsRef<str>>(
        header: &[S],
        positions: Option<Positions>,
        dropped: impl Fn(&str) -> bool,
    ) -> Vec<usize> {
        (0..header.len())
            .filter(|&i| {
                let h = header[i].as_ref();
                !dropped(h)
                    && !REJECT_REASON_COLUMNS.contains(&h)
                    && !positions.is_some_and(|p| p.carries(i))
            })
            .collect()
    }
}

/// Checks that records read with `header` (of input `file`, its header on line `line`) can carry
/// the [`POSITION_COLUMNS`]: the header has both (an earlier run's, kept as they are) or neither.
/// The error names the column.
pub fn check_position_columns<S: AsRef<str>>(header: &[S], file: &str, line: u64) -> Result<()> {
    Positions::of(header)
        .map(|_| ())
        .map_err(|why| Error::new(ErrorKind::Input(why), Location::file(file).at(line, 1)))
}

/// Writes converted records: every input column (except earlier `wm_` output columns, which are
/// replaced, and an earlier run's reject reasons, which are dropped), then, with
/// [`AddedColumns::position`], [`POSITION_COLUMNS`] (the input's own when it has them: see
/// [`check_position_columns`]), then [`OUTPUT_COLUMNS`] (and [`RECODE_COLUMNS`]). Output is
/// buffered internally.
///
/// The added columns of a record depend only on its conversion, and a file holds few distinct
/// conversions, so their bytes are kept once made and copied after that.
pub struct RecordWriter<W: Write> {
    w: std::io::BufWriter<W>,
    format: RecordFormat,
    layout: &'static dyn RecordLayout,
    keep: Vec<usize>,
    names: Vec<String>,
    added: AddedColumns,
    positions: Option<Positions>,
    scratch: String,
    line: Vec<u8>,
    cache: ConversionCache<Vec<u8>>,
}

impl<W: Write> fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("format", &self.format)
            .field("columns", &self.names)
            .field("added", &self.added)
            .field("positions", &self.positions)
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

    /// A hash of what `c`'s added columns depend on. Texts are hashed by where they are and
    /// their length, not their bytes: conversions of a run point into the same schemes, and a
    /// hit is confirmed by [`SuffixKey::is`], which compares the texts themselves.
    fn hash(c: &Converted<'_>) -> u64 {
        use std::hash::{Hash, Hasher};
        let at = |t: &str| (t.as_ptr() as usize, t.len());
        let mut h = FxHasher::default();
        c.code.hash(&mut h);
        c.relationship.hash(&mut h);
        (c.candidates.as_ptr() as usize, c.candidates.len()).hash(&mut h);
        c.policy.hash(&mut h);
        at(c.source_scheme).hash(&mut h);
        at(c.source_code).hash(&mut h);
        c.matched.hash(&mut h);
        c.observed.hash(&mut h);
        h.finish()
    }
}

/// Something made from a conversion's added columns alone (their bytes on a line, their keys
/// in dictionaries), kept for the [`CACHE_LIMIT`] first distinct conversions: a file holds few.
///
/// Most records' conversions are the converter's remembered ones, at the same place in memory
/// each time, so a conversion is first looked for by where it is (a hit still confirmed by
/// [`SuffixKey::is`], so a place reused for another conversion does no harm), then by a hash of
/// what the columns depend on.
pub(super) struct ConversionCache<T> {
    kept: Vec<(SuffixKey, T)>,
    by_hash: HashMap<u64, usize, BuildHasherDefault<FxHasher>>,
    /// Where a conversion was last seen, and its index in `kept`, by a hash of that place.
    by_place: Box<[(usize, usize); PLACES]>,
}

/// Slots of [`ConversionCache::by_place`].
const PLACES: usize = 64;

impl<T> Default for ConversionCache<T> {
    fn default() -> Self {
        ConversionCache {
            kept: Vec::new(),
            by_hash: HashMap::default(),
            by_place: Box::new([(0, usize::MAX); PLACES]),
        }
    }
}

impl<T> ConversionCache<T> {
    /// Hands `then` what is kept for conversions like `c`, made by `make` (and kept) the first
    /// time while there is room.
    pub(super) fn with<R, E>(
        &mut self,
        c: &Converted<'_>,
        make: impl FnOnce() -> std::result::Result<T, E>,
        then: impl FnOnce(&T) -> R,
    ) -> std::result::Result<R, E> {
        let at = std::ptr::from_ref(c) as usize;
        // Fibonacci hashing of the address: the top bits of the product pick the slot.
        let product = (at as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = usize::try_from(product >> (64 - PLACES.ilog2())).unwrap_or(0);
        let (seen_at, i) = self.by_place[slot];
        if seen_at == at
            && let Some((key, kept)) = self.kept.get(i)
            && key.is(c)
        {
            return Ok(then(kept));
        }
        let h = SuffixKey::hash(c);
        if let Some(&i) = self.by_hash.get(&h)
            && let Some((key, kept)) = self.kept.get(i)
            && key.is(c)
        {
            self.by_place[slot] = (at, i);
            return Ok(then(kept));
        }
        let fresh = make()?;
        let r = then(&fresh);
        if self.kept.len() < CACHE_LIMIT && !self.by_hash.contains_key(&h) {
            self.by_hash.insert(h, self.kept.len());
            self.by_place[slot] = (at, self.kept.len());
            self.kept.push((SuffixKey::of(c), fresh));
        }
        Ok(r)
    }
}

/// The added columns of `c`, as they follow the input columns on a line in `layout` (`first`:
/// no column before them), onto `out`.
fn suffix(
    layout: &dyn RecordLayout,
    added: AddedColumns,
    first: bool,
    scratch: &mut String,
    c: &Converted<'_>,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut first = first;
    c.for_each_output((added.recode, added.answers), scratch, |name, v| {
        if !added.columns.has(name) {
            return Ok(());
        }
        let r = layout.added(out, first, name, v);
        first = false;
        r
    })
}

/// The most distinct conversions whose output bytes are kept.
const CACHE_LIMIT: usize = 4096;

fn is_output_column(name: &str) -> bool {
    OUTPUT_COLUMNS.contains(&name)
        || RECODE_COLUMNS.contains(&name)
        || ANSWER_COLUMNS.contains(&name)
}

/// A header that cannot take the columns asked for, as the I/O error a writer's creation gives.
pub(super) fn invalid_input(why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, why)
}

impl<W: Write> RecordWriter<W> {
    /// A writer for records read with `header`, adding the columns `added`; a header row, where
    /// the format has one, is written now. With [`AddedColumns::position`], a header holding
    /// one position column but not the other is an [`std::io::ErrorKind::InvalidInput`] error
    /// ([`check_position_columns`] says so naming the file).
    pub fn new<S: AsRef<str>>(
        w: W,
        format: RecordFormat,
        header: &[S],
        added: AddedColumns,
    ) -> std::io::Result<Self> {
        let Some(layout) = format.layout().lines() else {
            return Err(invalid_input(format!(
                "{} is not written line by line: use RecordFormat::writer",
                format.title()
            )));
        };
        let (positions, keep, names) = kept_columns(header, added)?;
        let mut me = RecordWriter {
            w: std::io::BufWriter::with_capacity(256 * 1024, w),
            format,
            layout,
            keep,
            names,
            added,
            positions,
            scratch: String::new(),
            line: Vec::new(),
            cache: ConversionCache::default(),
        };
        let mut line = Vec::new();
        me.layout.header(&mut line, &me.columns());
        me.w.write_all(&line)?;
        Ok(me)
    }

    /// The output's column names.
    pub fn columns(&self) -> Vec<&str> {
        self.names
            .iter()
            .map(String::as_str)
            .chain(added_columns(self.positions.is_some(), self.added).map(|(n, _)| n))
            .collect()
    }

    /// Writes one converted record. CSV keeps every input field byte for byte (quoted where it
    /// must be); JSON Lines writes input fields as strings (invalid bytes replaced by U+FFFD).
    pub fn write(&mut self, input: &io::Record<'_>, c: &Converted<'_>) -> std::io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.layout
            .inputs(&mut line, input, &self.keep, &self.names)?;
        if let Some(p) = self.positions {
            let (layout, mut first) = (self.layout, self.keep.is_empty());
            p.for_each(input, &mut self.scratch, |name, v| {
                let r = layout.added(&mut line, first, name, v);
                first = false;
                r
            })?;
        }
        let (layout, added, scratch) = (self.layout, self.added, &mut self.scratch);
        let first = self.keep.is_empty() && self.positions.is_none();
        if cacheable(added, c) {
            self.cache.with(
                c,
                || {
                    let mut bytes = Vec::new();
                    suffix(layout, added, first, scratch, c, &mut bytes).map(|()| bytes)
                },
                |bytes| line.extend_from_slice(bytes),
            )?;
        } else {
            suffix(layout, added, first, scratch, c, &mut line)?;
        }
        for k in self.added.characteristics.iter() {
            let v = c.characteristic(k).unwrap_or("");
            self.layout.added(&mut line, false, k.column(), v)?;
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
