//! Coding schemes: the code lists councils use, each code mapped into the standard.
//!
//! National schemes are compiled in ([`builtin`]); a council's local scheme is loaded from YAML
//! with [`Scheme::from_yaml`] and checked exactly like the built-in ones.

use crate::date::Date;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::standard::{Category, Level, Node};
use crate::text::{clip, excel_whole_number, fold_label, nearest, normalise_code, trim_code};
use crate::yaml;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

/// How a code relates to its target node (as in SKOS or a FHIR `ConceptMap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Relationship {
    /// Same meaning as the target.
    Equivalent,
    /// More specific than the target (the target is the finest node that contains it).
    Narrower,
    /// Wider than any single category: the target is the lowest node containing all its
    /// meanings, and the mapping lists the candidate categories.
    Broader,
    /// Not an ethnic group: declined, not obtained, not known.
    Residual,
}

impl Relationship {
    /// The name used in files and output.
    pub const fn name(self) -> &'static str {
        match self {
            Relationship::Equivalent => "equivalent",
            Relationship::Narrower => "narrower",
            Relationship::Broader => "broader",
            Relationship::Residual => "residual",
        }
    }
}

/// Whether values of a scheme are matched on their code or (when no official codes exist) on
/// their label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeyedBy {
    /// Official codes exist.
    #[default]
    Code,
    /// No official codes: the label is the key.
    Label,
}

/// Whether a code is still in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Status {
    /// In use.
    #[default]
    Active,
    /// Retired: kept so old records convert; validation queries it.
    Retired,
}

/// What a code records when it is named after something that is not an ethnic group (a SNOMED CT
/// concept "Nigerians", a CTV3 code "Sikh - ethnic category 2001 census"): its mapping is then a
/// judgement, and validation queries the code (WM024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Records {
    /// A nationality (a country's people): nationals are of every ethnic group.
    Nationality,
    /// A religion: it says nothing about the person's ethnic group.
    Religion,
    /// A language.
    Language,
}

impl Records {
    /// The name used in files and output.
    pub const fn name(self) -> &'static str {
        match self {
            Records::Nationality => "nationality",
            Records::Religion => "religion",
            Records::Language => "language",
        }
    }
}

/// A code's place in the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// How the code relates to the target.
    pub relationship: Relationship,
    /// The node it maps to.
    pub target: Node,
    /// For broader codes: the categories it may contain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Category>,
    /// For broader codes: the documented likeliest category, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub most_likely: Option<Category>,
    /// Why, where the mapping is a judgement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The code is named after a nationality, a religion or a language, not an ethnic group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Records>,
}

/// One code of a scheme.
#[derive(Debug, Clone, Serialize)]
pub struct Code {
    /// The official code; `None` for schemes keyed by label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The official label.
    pub label: String,
    /// The code this one rolls up to (an extended code's main code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// First day the code is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Last day the code is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Active or retired.
    pub status: Status,
    /// Facts about the code from the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where it goes in the standard.
    pub map: Mapping,
    /// Schemes with a local second character only: what an unlisted local extension of this code
    /// may mean, where that is wider than `map` (NHS `C`: the PDS list itself files English,
    /// Scottish, Welsh and Northern Irish under it). `None`: the code's own meaning, narrower.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<Mapping>,
}

impl Code {
    /// The value a record carries: the code, or the label for label-keyed schemes.
    pub fn key(&self) -> &str {
        self.code.as_deref().unwrap_or(&self.label)
    }
}

/// How an input value matched a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MatchKind {
    /// Exactly as listed.
    Exact,
    /// After trimming spaces and/or changing case (or, for labels, folding punctuation).
    Normalised,
    /// An NHS-style local code: an unlisted second character after a listed national code.
    LocalSecondCharacter,
}

/// A code found for an input value.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a> {
    /// The code.
    pub code: &'a Code,
    /// How it matched.
    pub kind: MatchKind,
}

impl<'a> Match<'a> {
    /// The place in the standard of what matched: the code's mapping, or for a local extension
    /// the code's `local` mapping where it has one.
    pub fn mapping(&self) -> &'a Mapping {
        match (&self.code.local, self.kind) {
            (Some(local), MatchKind::LocalSecondCharacter) => local,
            _ => &self.code.map,
        }
    }
}

/// A publication whose tables a scheme's authority publishes statistics under (`DfE` "Schools,
/// pupils and their characteristics", ONS TS021): where its labels come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    /// Short id the scheme file uses for it (`spc`, `ts021`).
    pub id: String,
    /// Its title, as published.
    pub name: String,
    /// Where it is published.
    pub url: String,
    /// The release date or edition the labels were read from, as given.
    pub date: String,
    /// How the labels were transcribed, and the authority of the copy read.
    pub source: String,
    /// The tables head each label with this (ONS `Ethnic group: `): the label matches with and
    /// without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading_prefix: Option<String>,
    /// True when the publication's labels are the scheme's own code labels (under
    /// `heading_prefix`).
    pub code_labels: bool,
}

/// A label a scheme's authority publishes statistics under, kept apart from the code labels:
/// it stands for one code of the scheme, or (`DfE` "Unclassified", its REFU and NOBT counted
/// together) has a mapping of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedLabel {
    /// The label, verbatim (with its heading prefix, for the prefixed form).
    pub label: String,
    /// The publications (ids) it appears in.
    pub publications: Vec<String>,
    /// The code it stands for; `None` when it stands for several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Its place in the standard: the code's mapping, or its own.
    pub map: Mapping,
    /// Facts about the label from the publication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a label matched: a code's label, or a published label.
#[derive(Debug, Clone, Copy)]
pub struct LabelMatch<'a> {
    /// The code it names; `None` for a published label standing for several codes.
    pub code: Option<&'a Code>,
    /// The value a record carries: the code (the label, for label-keyed schemes, and for a
    /// published label standing for several codes).
    pub key: &'a str,
    /// Its place in the standard.
    pub mapping: &'a Mapping,
    /// Exactly as listed, or folded.
    pub kind: MatchKind,
    /// The published label it matched, when it is not a code's own label.
    pub published: Option<&'a PublishedLabel>,
}

type FastMap<V> = HashMap<Box<str>, V, BuildHasherDefault<FxHasher>>;

/// Keys of up to [`SHORT`] bytes packed into one integer, so the common lookup (a code of one
/// to four characters) hashes one word and compares one word.
type ShortMap = HashMap<u64, u32, BuildHasherDefault<FxHasher>>;

/// The longest key [`pack`] takes.
const SHORT: usize = 7;

/// `bytes` (at most [`SHORT`] of them) as one integer: the bytes, then the length in the top byte.
fn pack(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > SHORT {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[7] = u8::try_from(bytes.len()).ok()?;
    Some(u64::from_le_bytes(buf))
}

/// The whitespace `normalise_code` trims, as far as ASCII goes (`char::is_whitespace`).
fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// A small fast hasher for short keys (codes are a few bytes): `FxHash`, as used in rustc.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The tail, zero-padded, assembled in a register (a copy into a buffer read back as
            // a word stalls on store forwarding).
            let mut word = 0u64;
            for (i, &b) in rest.iter().enumerate() {
                word |= u64::from(b) << (8 * i);
            }
            self.write_u64(word);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// What [`Scheme::lookup_short`] made of a value.
enum Short<'a> {
    /// Not a short ASCII value: the general path decides.
    Unsuitable,
    /// The answer.
    Answer(Option<Match<'a>>),
}

/// A coding scheme with its codes and their mappings.
#[derive(Debug, Clone, Serialize)]
pub struct Scheme {
    /// Stable id, e.g. `nhs-ethnic-category`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Who publishes it.
    pub authority: String,
    /// The publisher's version.
    pub version: String,
    /// First day it is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Date>,
    /// Last day it is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Where the list was published.
    pub source_url: String,
    /// How it was transcribed and how far to trust it.
    pub source: String,
    /// Code or label.
    pub keyed_by: KeyedBy,
    /// True for officer-observed schemes (police IC codes): not self-defined ethnicity.
    pub observed: bool,
    /// The scheme a local scheme extends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// True when an unlisted two-character code whose first character is a listed code is a
    /// local extension of it (NHS ETHNIC CATEGORY `an2`).
    pub local_second_character: bool,
    /// True when case tells codes apart (CTV3: `XaJRG` Cornish, `XaJRg` Cypriot): a value
    /// matches only with the case as listed (spaces are still trimmed).
    pub case_sensitive: bool,
    codes: Vec<Code>,
    /// The publications whose labels the scheme carries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub publications: Vec<Publication>,
    /// The labels its authority publishes statistics under, every form (with and without a
    /// heading prefix) listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<PublishedLabel>,
    /// Folded published label -> index in `published` (labels that are a code's own label are
    /// left to `by_label`).
    #[serde(skip)]
    by_published: FastMap<u32>,
    /// Normalised key (code normalised, or label folded) -> index.
    #[serde(skip)]
    by_key: FastMap<u32>,
    /// Folded label -> index.
    #[serde(skip)]
    by_label: FastMap<u32>,
    /// Key exactly as listed -> index.
    #[serde(skip)]
    by_listed: FastMap<u32>,
    /// Code-keyed schemes: normalised ASCII keys of up to [`SHORT`] bytes, packed -> index.
    #[serde(skip)]
    by_short: ShortMap,
    /// For each code: true when its key as listed is its normalised key.
    #[serde(skip)]
    listed_normal: Vec<bool>,
}

impl Scheme {
    /// Every code, in the file's order.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// The code whose key (code, or label for label-keyed schemes) is `raw`, exactly or after
    /// normalisation (spaces trimmed, case changed; labels folded).
    pub fn lookup(&self, raw: &str) -> Option<Match<'_>> {
        match self.keyed_by {
            KeyedBy::Code => match self.lookup_short(raw) {
                Short::Answer(found) => found.or_else(|| self.lookup_without_leading_zeros(raw)),
                Short::Unsuitable => self.lookup_slow(raw),
            },
            // A label exactly as listed: no folding (which allocates) needed.
            KeyedBy::Label => match self.by_listed.get(raw) {
                Some(&i) => Some(Match {
                    code: &self.codes[i as usize],
                    kind: MatchKind::Exact,
                }),
                None => self.lookup_slow(raw),
            },
        }
    }

    /// A numeric code written with leading zeros (`01` for CORE's `1`), or by Excel with every
    /// digit still there (`9.76631000000101E+14`, `976631000000101.0`), as a normalised match.
    fn lookup_without_leading_zeros(&self, raw: &str) -> Option<Match<'_>> {
        let t = raw.trim();
        if self.keyed_by != KeyedBy::Code {
            return None;
        }
        if let Some(digits) = excel_whole_number(t) {
            let m = self.lookup(&digits)?;
            return Some(Match {
                code: m.code,
                kind: MatchKind::Normalised,
            });
        }
        if !t.starts_with('0') || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = t.trim_start_matches('0');
        if digits.is_empty() {
            return None;
        }
        let m = self.lookup(digits)?;
        Some(Match {
            code: m.code,
            kind: MatchKind::Normalised,
        })
    }

    /// [`Scheme::lookup`] for a code-keyed scheme when `raw` is ASCII and at most [`SHORT`] bytes
    /// once trimmed (almost every value of a return): no allocation, one hash of one word.
    /// The answer is the same as [`Scheme::lookup_slow`]'s.
    #[inline]
    fn lookup_short(&self, raw: &str) -> Short<'_> {
        let bytes = raw.as_bytes();
        if bytes.len() > 4 * SHORT {
            return Short::Unsuitable;
        }
        let (mut start, mut end) = (0, bytes.len());
        while start < end && is_space(bytes[start]) {
            start += 1;
        }
        while end > start && is_space(bytes[end - 1]) {
            end -= 1;
        }
        let t = &bytes[start..end];
        if t.len() > SHORT {
            return Short::Unsuitable;
        }
        // Upper-cased and packed in registers (a byte copy into a buffer read back as a word
        // stalls on store forwarding).
        let mut key = (t.len() as u64) << 56;
        let mut changed = t.len() != bytes.len();
        for (i, &b) in t.iter().enumerate() {
            if !b.is_ascii() {
                return Short::Unsuitable;
            }
            let u = if self.case_sensitive {
                b
            } else {
                b.to_ascii_uppercase()
            };
            changed |= u != b;
            key |= u64::from(u) << (8 * i);
        }
        if let Some(&i) = self.by_short.get(&key) {
            let code = &self.codes[i as usize];
            // Unchanged, `raw` is the normalised key: exact when the listed key is too.
            let exact = if changed {
                code.key() == raw
            } else {
                self.listed_normal[i as usize]
            };
            return Short::Answer(Some(Match {
                code,
                kind: if exact {
                    MatchKind::Exact
                } else {
                    MatchKind::Normalised
                },
            }));
        }
        if self.local_second_character && t.len() == 2 && t[1].is_ascii_alphanumeric() {
            let first = (1 << 56) | (key & 0xff);
            if let Some(&i) = self.by_short.get(&first) {
                let code = &self.codes[i as usize];
                if !code.map.target.is_residual() {
                    return Short::Answer(Some(Match {
                        code,
                        kind: MatchKind::LocalSecondCharacter,
                    }));
                }
            }
        }
        Short::Answer(None)
    }

    /// [`Scheme::lookup`] by the general path: the normalised key, then an NHS-style local code.
    fn lookup_slow(&self, raw: &str) -> Option<Match<'_>> {
        if let Some(&i) = self.by_key.get(raw) {
            let code = &self.codes[i as usize];
            let kind = if code.key() == raw {
                MatchKind::Exact
            } else {
                MatchKind::Normalised
            };
            return Some(Match { code, kind });
        }
        let key = self.key_of(raw);
        if let Some(&i) = self.by_key.get(key.as_ref()) {
            let code = &self.codes[i as usize];
            let kind = if code.key() == raw {
                MatchKind::Exact
            } else {
                MatchKind::Normalised
            };
            return Some(Match { code, kind });
        }
        if self.local_second_character && self.keyed_by == KeyedBy::Code {
            let mut chars = key.chars();
            if let (Some(first), Some(second), None) = (chars.next(), chars.next(), chars.next())
                && second.is_ascii_alphanumeric()
            {
                let mut buf = [0u8; 4];
                if let Some(&i) = self.by_key.get(first.encode_utf8(&mut buf) as &str) {
                    let code = &self.codes[i as usize];
                    if !code.map.target.is_residual() {
                        return Some(Match {
                            code,
                            kind: MatchKind::LocalSecondCharacter,
                        });
                    }
                }
            }
        }
        self.lookup_without_leading_zeros(raw)
    }

    /// The code whose label is `raw`, or the published label that is (folded: case, spaces and
    /// dashes ignored). A code's own label comes first.
    pub fn lookup_label(&self, raw: &str) -> Option<LabelMatch<'_>> {
        let key = fold_label(raw);
        if let Some(&i) = self.by_label.get(key.as_str()) {
            let code = &self.codes[i as usize];
            return Some(LabelMatch {
                code: Some(code),
                key: code.key(),
                mapping: &code.map,
                kind: if code.label == raw {
                    MatchKind::Exact
                } else {
                    MatchKind::Normalised
                },
                published: None,
            });
        }
        let p = &self.published[*self.by_published.get(key.as_str())? as usize];
        let code = p.code.as_deref().and_then(|c| self.get(c));
        Some(LabelMatch {
            code,
            key: code.map_or(p.label.as_str(), Code::key),
            mapping: &p.map,
            kind: if p.label == raw {
                MatchKind::Exact
            } else {
                MatchKind::Normalised
            },
            published: Some(p),
        })
    }

    /// The code with exactly this key.
    pub fn get(&self, key: &str) -> Option<&Code> {
        self.by_key
            .get(self.key_of(key).as_ref())
            .map(|&i| &self.codes[i as usize])
    }

    /// The keys nearest to an unknown `raw` value, for "did you mean".
    pub fn nearest(&self, raw: &str, n: usize) -> Vec<&str> {
        nearest(raw, self.codes.iter().map(Code::key), n)
    }

    /// True when `code` (of this scheme) is valid on `date`, by its own dates and the scheme's.
    pub fn valid_on(&self, code: &Code, date: Date) -> bool {
        let from = code.valid_from.or(self.valid_from);
        let to = code.valid_to.or(self.valid_to);
        from.is_none_or(|f| date >= f) && to.is_none_or(|t| date <= t)
    }

    fn key_of<'a>(&self, raw: &'a str) -> Cow<'a, str> {
        match self.keyed_by {
            KeyedBy::Code if self.case_sensitive => Cow::Borrowed(trim_code(raw)),
            KeyedBy::Code => normalise_code(raw),
            KeyedBy::Label => Cow::Owned(fold_label(raw)),
        }
    }

    /// Loads and checks a scheme file: YAML with budgets and no duplicate keys, its JSON Schema
    /// (`schema/scheme.schema.json`, with the feature `schema-check`), and the standard (every
    /// target exists, no duplicate code or label, parents exist). `file` names the file in errors. A scheme that `extends` another
    /// is resolved with `base`.
    pub fn from_yaml(
        text: &str,
        file: &str,
        base: impl Fn(&str) -> Option<Scheme>,
    ) -> Result<Scheme> {
        let raw: RawScheme = yaml::parse(text, file)?;
        yaml::check_schema(text, file, &SCHEME_SCHEMA, |p| raw.locate(p))?;
        raw.build(file, &base)
    }
}

pub(crate) static SCHEME_SCHEMA: yaml::Schema = yaml::Schema::new("scheme.schema.json", || {
    yaml::compile(include_str!("../schema/scheme.schema.json"))
});

/// A code or parent as written: a string, or a number a user left unquoted.
#[derive(Debug, Clone)]
struct CodeText(String);

impl<'de> Deserialize<'de> for CodeText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = CodeText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a code (text or a whole number)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<CodeText, E> {
                Ok(CodeText(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<CodeText, E> {
                Ok(CodeText(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<CodeText, E> {
                Ok(CodeText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    id: Spanned<String>,
    name: String,
    authority: String,
    version: String,
    #[serde(default)]
    valid_from: Option<Date>,
    #[serde(default)]
    valid_to: Option<Date>,
    source_url: String,
    source: String,
    #[serde(default)]
    keyed_by: KeyedBy,
    #[serde(default)]
    observed: bool,
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    local_second_character: bool,
    #[serde(default)]
    case_sensitive: bool,
    codes: Vec<RawCode>,
    #[serde(default)]
    publications: Vec<RawPublication>,
    #[serde(default)]
    published_labels: Vec<RawPublished>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublication {
    id: Spanned<String>,
    name: String,
    url: String,
    date: String,
    source: String,
    #[serde(default)]
    heading_prefix: Option<String>,
    #[serde(default)]
    code_labels: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublished {
    label: Spanned<String>,
    #[serde(rename = "in")]
    publications: Vec<Spanned<String>>,
    #[serde(default)]
    code: Option<Spanned<CodeText>>,
    #[serde(default)]
    map: Option<RawMap>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    #[serde(default)]
    code: Option<Spanned<CodeText>>,
    label: Spanned<String>,
    #[serde(default)]
    parent: Option<Spanned<CodeText>>,
    #[serde(default)]
    valid_from: Option<Date>,
    #[serde(default)]
    valid_to: Option<Date>,
    #[serde(default)]
    status: Status,
    #[serde(default)]
    note: Option<String>,
    map: RawMap,
    #[serde(default)]
    local: Option<RawMap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    rel: Relationship,
    to: Spanned<String>,
    #[serde(default)]
    candidates: Vec<Spanned<String>>,
    #[serde(default)]
    most_likely: Option<Spanned<String>>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    records: Option<Records>,
}

fn at<T>(file: &str, s: &Spanned<T>) -> Location {
    Location::file(file).at(s.referenced.line(), s.referenced.column())
}

fn invalid(loc: Location, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid(msg.into()), loc)
}

impl RawScheme {
    /// Line and column of a JSON pointer such as `/codes/3/map/rel`: the entry's label.
    fn locate(&self, pointer: &str) -> Option<(u64, u64)> {
        let mut parts = pointer.trim_start_matches('/').split('/');
        match parts.next()? {
            "codes" => {
                let i: usize = parts.next()?.parse().ok()?;
                let c = self.codes.get(i)?;
                let s = if parts.next() == Some("map") {
                    &c.map.to.referenced
                } else {
                    &c.label.referenced
                };
                Some((s.line(), s.column()))
            }
            "publications" => {
                let s = &self
                    .publications
                    .get(parts.next()?.parse::<usize>().ok()?)?
                    .id;
                Some((s.referenced.line(), s.referenced.column()))
            }
            "published_labels" => {
                let s = &self
                    .published_labels
                    .get(parts.next()?.parse::<usize>().ok()?)?
                    .label;
                Some((s.referenced.line(), s.referenced.column()))
            }
            _ => Some((self.id.referenced.line(), self.id.referenced.column())),
        }
    }

    fn build(self, file: &str, base: &dyn Fn(&str) -> Option<Scheme>) -> Result<Scheme> {
        let mut codes = Vec::new();
        let mut publications = Vec::new();
        let mut published = Vec::new();
        let mut spans: Vec<Option<Location>> = Vec::new();
        if let Some(ext) = &self.extends {
            let Some(b) = base(&ext.value) else {
                return Err(invalid(
                    at(file, ext),
                    format!("`extends: {}` names no known scheme", ext.value),
                ));
            };
            if b.keyed_by != self.keyed_by || b.case_sensitive != self.case_sensitive {
                return Err(invalid(
                    at(file, ext),
                    format!(
                        "`{}` is keyed by {:?} (case_sensitive: {}); this file must be too",
                        b.id, b.keyed_by, b.case_sensitive
                    ),
                ));
            }
            spans.extend(b.codes.iter().map(|_| None));
            codes.extend(b.codes);
            publications.extend(b.publications);
            published.extend(b.published);
        }
        for c in self.codes {
            let loc = at(file, &c.label);
            let code = match (self.keyed_by, c.code) {
                (KeyedBy::Code, Some(code)) => {
                    let v = code.value.0.trim().to_owned();
                    if v.is_empty() {
                        return Err(invalid(at(file, &code), "empty code"));
                    }
                    Some(v)
                }
                (KeyedBy::Code, None) => {
                    return Err(invalid(
                        loc,
                        "this scheme is keyed by code, but the entry has no `code`",
                    ));
                }
                (KeyedBy::Label, Some(code)) => {
                    return Err(invalid(
                        at(file, &code),
                        "this scheme is keyed by label (`keyed_by: label`); entries have no `code`",
                    ));
                }
                (KeyedBy::Label, None) => None,
            };
            let map = build_map(file, c.map)?;
            if c.local.is_some() && !self.local_second_character {
                return Err(invalid(
                    loc,
                    "`local` describes a local second character: the scheme needs `local_second_character: true`",
                ));
            }
            let local = c.local.map(|m| build_map(file, m)).transpose()?;
            codes.push(Code {
                code,
                label: c.label.value,
                parent: c.parent.map(|p| p.value.0),
                valid_from: c.valid_from,
                valid_to: c.valid_to,
                status: c.status,
                note: c.note,
                map,
                local,
            });
            spans.push(Some(loc));
        }
        let mut scheme = Scheme {
            id: self.id.value,
            name: self.name,
            authority: self.authority,
            version: self.version,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            source_url: self.source_url,
            source: self.source,
            keyed_by: self.keyed_by,
            observed: self.observed,
            extends: self.extends.map(|e| e.value),
            local_second_character: self.local_second_character,
            case_sensitive: self.case_sensitive,
            codes,
            publications,
            published,
            by_published: FastMap::default(),
            by_key: FastMap::default(),
            by_label: FastMap::default(),
            by_listed: FastMap::default(),
            by_short: ShortMap::default(),
            listed_normal: Vec::new(),
        };
        scheme.index(file, &spans)?;
        scheme.add_published(file, self.publications, self.published_labels)?;
        Ok(scheme)
    }
}

fn build_map(file: &str, m: RawMap) -> Result<Mapping> {
    let node = |s: &Spanned<String>| {
        Node::from_code(s.value.trim()).ok_or_else(|| {
            let near = nearest(&s.value, Node::all().map(Node::code), 3);
            invalid(
                at(file, s),
                format!(
                    "`{}` is not a node of the standard{}",
                    clip(&s.value, 80),
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", near.join(", "))
                    }
                ),
            )
        })
    };
    let target = node(&m.to)?;
    let mut candidates = Vec::new();
    for c in &m.candidates {
        match node(c)? {
            Node::Category(cat) if target.contains(Node::Category(cat)) => candidates.push(cat),
            other => {
                return Err(invalid(
                    at(file, c),
                    format!("candidate `{other}` must be a category below `{target}`"),
                ));
            }
        }
    }
    let most_likely = match &m.most_likely {
        None => None,
        Some(s) => match node(s)? {
            Node::Category(c) if candidates.contains(&c) => Some(c),
            other => {
                return Err(invalid(
                    at(file, s),
                    format!("most_likely `{other}` must be one of the candidates"),
                ));
            }
        },
    };
    let loc = at(file, &m.to);
    match m.rel {
        Relationship::Residual if !target.is_residual() => {
            return Err(invalid(
                loc,
                format!(
                    "a residual mapping must target declined, not-obtained, not-known or not-applicable, not `{target}`"
                ),
            ));
        }
        Relationship::Equivalent | Relationship::Narrower | Relationship::Broader
            if target.is_residual() =>
        {
            return Err(invalid(
                loc,
                format!("`{target}` is a residual value: use `rel: residual`"),
            ));
        }
        Relationship::Broader if candidates.len() < 2 => {
            return Err(invalid(
                loc,
                "a broader mapping lists at least two candidate categories",
            ));
        }
        Relationship::Broader if target.level() > Level::Category => {
            return Err(invalid(
                loc,
                "a broader mapping targets a group or category that contains its candidates",
            ));
        }
        Relationship::Equivalent | Relationship::Narrower | Relationship::Residual
            if !candidates.is_empty() =>
        {
            return Err(invalid(loc, "only a broader mapping has candidates"));
        }
        _ => {}
    }
    if let (Some(r), None) = (m.records, &m.note) {
        return Err(invalid(
            loc,
            format!(
                "a code that records a {} is mapped by judgement: its `note` says why",
                r.name()
            ),
        ));
    }
    Ok(Mapping {
        relationship: m.rel,
        target,
        candidates,
        most_likely,
        note: m.note,
        records: m.records,
    })
}

impl Scheme {
    /// Adds a file's publications and published labels: every publication a label names exists,
    /// a label names a code of the scheme or has a mapping of its own (not both), and each form
    /// is listed (with and without the publication's heading prefix; a `code_labels`
    /// publication adds every code label under its prefix).
    fn add_published(
        &mut self,
        file: &str,
        publications: Vec<RawPublication>,
        labels: Vec<RawPublished>,
    ) -> Result<()> {
        for p in publications {
            if self.publications.iter().any(|q| q.id == p.id.value) {
                return Err(invalid(
                    at(file, &p.id),
                    format!("publication `{}` is listed twice", p.id.value),
                ));
            }
            if let Some(prefix) = p.heading_prefix.as_deref().filter(|_| p.code_labels) {
                for c in &self.codes {
                    self.published.push(PublishedLabel {
                        label: format!("{prefix}{}", c.label),
                        publications: vec![p.id.value.clone()],
                        code: Some(c.key().to_owned()),
                        map: c.map.clone(),
                        note: None,
                    });
                }
            }
            self.publications.push(Publication {
                id: p.id.value,
                name: p.name,
                url: p.url,
                date: p.date,
                source: p.source,
                heading_prefix: p.heading_prefix,
                code_labels: p.code_labels,
            });
        }
        for l in labels {
            let loc = at(file, &l.label);
            let mut prefixes = Vec::new();
            for id in &l.publications {
                let Some(p) = self.publications.iter().find(|p| p.id == id.value) else {
                    return Err(invalid(
                        at(file, id),
                        format!("`{}` is not a publication of this scheme", id.value),
                    ));
                };
                prefixes.extend(p.heading_prefix.clone());
            }
            if l.publications.is_empty() {
                return Err(invalid(
                    loc,
                    "a published label names its publications (`in`)",
                ));
            }
            let (code, map) = match (l.code, l.map) {
                (Some(code), None) => {
                    let Some(c) = self.get(&code.value.0) else {
                        return Err(invalid(
                            at(file, &code),
                            format!("`{}` is not a code of this scheme", code.value.0),
                        ));
                    };
                    (Some(c.key().to_owned()), c.map.clone())
                }
                (None, Some(map)) => (None, build_map(file, map)?),
                _ => {
                    return Err(invalid(
                        loc,
                        "a published label names either the `code` it stands for or its own `map`",
                    ));
                }
            };
            let publications: Vec<String> = l.publications.into_iter().map(|p| p.value).collect();
            prefixes.dedup();
            for label in std::iter::once(l.label.value.clone())
                .chain(prefixes.iter().map(|p| format!("{p}{}", l.label.value)))
            {
                self.published.push(PublishedLabel {
                    label,
                    publications: publications.clone(),
                    code: code.clone(),
                    map: map.clone(),
                    note: l.note.clone(),
                });
            }
        }
        self.index_published(file)
    }

    /// Indexes the published labels: a form that is a code's own label must name that code, and
    /// a form listed twice must mean the same.
    fn index_published(&mut self, file: &str) -> Result<()> {
        self.by_published.clear();
        for (i, p) in self.published.iter().enumerate() {
            let idx =
                u32::try_from(i).map_err(|_| invalid(Location::file(file), "too many labels"))?;
            let key = fold_label(&p.label);
            let clash = |other: &str| {
                invalid(
                    Location::file(file),
                    format!(
                        "published label `{}` is also the label of {other}, once case, spaces and dashes are ignored",
                        p.label
                    ),
                )
            };
            if let Some(&c) = self.by_label.get(key.as_str()) {
                let c = &self.codes[c as usize];
                if p.code.as_deref() == Some(c.key()) {
                    continue;
                }
                return Err(clash(&format!("code `{}`", c.key())));
            }
            if let Some(&q) = self.by_published.get(key.as_str()) {
                let q = &self.published[q as usize];
                if (&q.code, &q.map) == (&p.code, &p.map) {
                    continue;
                }
                return Err(clash(&format!("published label `{}`", q.label)));
            }
            self.by_published.insert(key.into_boxed_str(), idx);
        }
        Ok(())
    }

    fn index(&mut self, file: &str, spans: &[Option<Location>]) -> Result<()> {
        let here = |i: usize| spans[i].clone().unwrap_or_else(|| Location::file(file));
        let mut ambiguous = Vec::new();
        for (i, c) in self.codes.iter().enumerate() {
            let idx = u32::try_from(i).map_err(|_| invalid(here(i), "too many codes"))?;
            let key = self.key_of(c.key()).into_owned();
            if let Some(&prev) = self.by_key.get(key.as_str()) {
                return Err(invalid(
                    here(i),
                    format!(
                        "duplicate {} `{}`: already defined for `{}`{}",
                        if self.keyed_by == KeyedBy::Code {
                            "code"
                        } else {
                            "label"
                        },
                        c.key(),
                        self.codes[prev as usize].label,
                        if spans[prev as usize].is_none() {
                            " in the extended scheme"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            if self.keyed_by == KeyedBy::Code
                && key.is_ascii()
                && let Some(short) = pack(key.as_bytes())
            {
                self.by_short.insert(short, idx);
            }
            self.listed_normal.push(key == c.key());
            self.by_key.insert(key.into_boxed_str(), idx);
            self.by_listed.insert(c.key().into(), idx);
            let label = fold_label(&c.label);
            if let Some(&first) = self.by_label.get(label.as_str())
                && self.keyed_by == KeyedBy::Code
            {
                // Same label twice with the same meaning (police O1 and A4 "Chinese"): keep
                // the first, listed earlier. With different meanings (NHS Scotland's older
                // 4Z and 5Z, both "Other"): the label names neither.
                let f = &self.codes[first as usize].map;
                if (f.target, f.relationship) != (c.map.target, c.map.relationship) {
                    ambiguous.push(label);
                }
                continue;
            }
            self.by_label.insert(label.into_boxed_str(), idx);
        }
        for label in ambiguous {
            self.by_label.remove(label.as_str());
        }
        for (i, c) in self.codes.iter().enumerate() {
            if let Some(p) = &c.parent
                && self.get(p).is_none()
            {
                return Err(invalid(
                    here(i),
                    format!("parent `{p}` of `{}` is not a code of this scheme", c.key()),
                ));
            }
        }
        self.index_published(file)
    }
}

/// The ids of the national schemes compiled into the crate, in the order they are listed: one
/// per file in `schema/schemes/`, read from the generated table of built-in schemes.
pub const BUILTIN_IDS: [&str; baked::SCHEMES.len()] = {
    let mut ids = [""; baked::SCHEMES.len()];
    let mut i = 0;
    while i < ids.len() {
        ids[i] = baked::SCHEMES[i].id;
        i += 1;
    }
    ids
};

static BUILTIN: [OnceLock<Scheme>; BUILTIN_IDS.len()] =
    [const { OnceLock::new() }; BUILTIN_IDS.len()];

/// The place of a built-in scheme in the generated table.
fn builtin_index(id: &str) -> Option<usize> {
    BUILTIN_IDS.iter().position(|b| *b == id)
}

/// The built-in scheme with this id, built on first use from data compiled into the crate
/// (a few microseconds; parsing its YAML would take 0.2 to 4 ms).
pub fn builtin_scheme(id: &str) -> Option<&'static Scheme> {
    let i = builtin_index(id)?;
    Some(BUILTIN[i].get_or_init(|| baked::SCHEMES[i].build()))
}

/// The built-in schemes as compiled in: `src/generated/schemes.rs`, one table generated from
/// `schema/schemes/*.yaml` by the loader itself (see `scheme/codegen.rs`), holding each scheme's
/// id, YAML text and data, so a built-in scheme is exactly what [`Scheme::from_yaml`] makes of its
/// file; a test fails when it is stale.
#[path = "generated/schemes.rs"]
mod baked;

mod fhir;
pub use fhir::{FHIR_SYSTEMS, FhirStatus, FhirSystem, fhir_system, fhir_system_by_url};

#[cfg(test)]
mod codegen;

#[cfg(test)]
mod tests;

/// A date as compiled in: year, month, day.
type BakedDate = Option<(u16, u8, u8)>;

fn unbake_date(d: BakedDate) -> Option<Date> {
    d.map(|(y, m, day)| Date::new(y, m, day).expect("generated dates are valid"))
}

/// A built-in scheme as compiled in.
struct BakedScheme {
    id: &'static str,
    /// The file it was generated from, as shipped.
    yaml: &'static str,
    name: &'static str,
    authority: &'static str,
    version: &'static str,
    valid_from: BakedDate,
    valid_to: BakedDate,
    source_url: &'static str,
    source: &'static str,
    keyed_by: KeyedBy,
    observed: bool,
    local_second_character: bool,
    case_sensitive: bool,
    codes: &'static [BakedCode],
    publications: &'static [BakedPublication],
    published: &'static [BakedPublished],
}

/// A publication of a built-in scheme as compiled in.
struct BakedPublication {
    id: &'static str,
    name: &'static str,
    url: &'static str,
    date: &'static str,
    source: &'static str,
    heading_prefix: Option<&'static str>,
    code_labels: bool,
}

/// A published label of a built-in scheme as compiled in (every form listed).
struct BakedPublished {
    label: &'static str,
    publications: &'static [&'static str],
    code: Option<&'static str>,
    map: BakedMap,
    note: Option<&'static str>,
}

/// A code of a built-in scheme as compiled in.
struct BakedCode {
    code: Option<&'static str>,
    label: &'static str,
    parent: Option<&'static str>,
    valid_from: BakedDate,
    valid_to: BakedDate,
    status: Status,
    note: Option<&'static str>,
    map: BakedMap,
    local: Option<BakedMap>,
}

/// A mapping as compiled in.
struct BakedMap {
    rel: Relationship,
    to: Node,
    candidates: &'static [Category],
    most_likely: Option<Category>,
    note: Option<&'static str>,
    records: Option<Records>,
}

impl BakedMap {
    fn build(&self) -> Mapping {
        Mapping {
            relationship: self.rel,
            target: self.to,
            candidates: self.candidates.to_vec(),
            most_likely: self.most_likely,
            note: self.note.map(str::to_owned),
            records: self.records,
        }
    }
}

impl BakedScheme {
    fn build(&self) -> Scheme {
        let codes: Vec<Code> = self
            .codes
            .iter()
            .map(|c| Code {
                code: c.code.map(str::to_owned),
                label: c.label.to_owned(),
                parent: c.parent.map(str::to_owned),
                valid_from: unbake_date(c.valid_from),
                valid_to: unbake_date(c.valid_to),
                status: c.status,
                note: c.note.map(str::to_owned),
                map: c.map.build(),
                local: c.local.as_ref().map(BakedMap::build),
            })
            .collect();
        let spans = vec![None; codes.len()];
        let mut scheme = Scheme {
            id: self.id.to_owned(),
            name: self.name.to_owned(),
            authority: self.authority.to_owned(),
            version: self.version.to_owned(),
            valid_from: unbake_date(self.valid_from),
            valid_to: unbake_date(self.valid_to),
            source_url: self.source_url.to_owned(),
            source: self.source.to_owned(),
            keyed_by: self.keyed_by,
            observed: self.observed,
            extends: None,
            local_second_character: self.local_second_character,
            case_sensitive: self.case_sensitive,
            codes,
            publications: self
                .publications
                .iter()
                .map(|p| Publication {
                    id: p.id.to_owned(),
                    name: p.name.to_owned(),
                    url: p.url.to_owned(),
                    date: p.date.to_owned(),
                    source: p.source.to_owned(),
                    heading_prefix: p.heading_prefix.map(str::to_owned),
                    code_labels: p.code_labels,
                })
                .collect(),
            published: self
                .published
                .iter()
                .map(|p| PublishedLabel {
                    label: p.label.to_owned(),
                    publications: p.publications.iter().map(|s| (*s).to_owned()).collect(),
                    code: p.code.map(str::to_owned),
                    map: p.map.build(),
                    note: p.note.map(str::to_owned),
                })
                .collect(),
            by_published: FastMap::default(),
            by_key: FastMap::default(),
            by_label: FastMap::default(),
            by_listed: FastMap::default(),
            by_short: ShortMap::default(),
            listed_normal: Vec::new(),
        };
        // Generated from files the test suite checks (tests/suite/data.rs) and compared with
        // what the YAML loader makes of them (scheme/codegen.rs): indexing cannot fail.
        scheme
            .index(self.id, &spans)
            .unwrap_or_else(|e| panic!("built-in scheme {} is broken: {e}", self.id));
        scheme
    }
}

/// The YAML text of a built-in scheme, as shipped.
pub fn builtin_scheme_yaml(id: &str) -> Option<&'static str> {
    builtin_index(id).map(|i| baked::SCHEMES[i].yaml)
}

/// Built-in schemes plus any local schemes a user loaded.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    local: Vec<Scheme>,
}

impl Registry {
    /// A registry with the built-in schemes only.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Loads a local scheme file (see [`Scheme::from_yaml`]); it may extend a built-in or an
    /// already loaded local scheme. A local id must not shadow another scheme.
    pub fn load_file(&mut self, path: &std::path::Path) -> Result<&Scheme> {
        let file = path.display().to_string();
        let text = read_text(path)?;
        self.add_yaml(&text, &file)
    }

    /// As [`Registry::load_file`], from text.
    pub fn add_yaml(&mut self, text: &str, file: &str) -> Result<&Scheme> {
        let scheme = Scheme::from_yaml(text, file, |id| self.get(id).cloned())?;
        if self.get(&scheme.id).is_some() {
            return Err(invalid(
                Location::file(file),
                format!(
                    "scheme id `{}` is already taken; choose another id",
                    scheme.id
                ),
            ));
        }
        self.local.push(scheme);
        Ok(self.local.last().expect("just pushed"))
    }

    /// The scheme with this id: a local one, else a built-in one.
    pub fn get(&self, id: &str) -> Option<&Scheme> {
        self.local
            .iter()
            .find(|s| s.id == id)
            .or_else(|| builtin_scheme(id))
    }

    /// The scheme with this id, or an error naming the nearest ids.
    pub fn require(&self, id: &str) -> Result<&Scheme> {
        self.get(id).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownScheme {
                    id: id.to_owned(),
                    nearest: nearest(id, self.ids(), 3)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                },
                Location::default(),
            )
        })
    }

    /// Every scheme id: built-in, then local.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        BUILTIN_IDS
            .iter()
            .copied()
            .chain(self.local.iter().map(|s| s.id.as_str()))
    }
}

/// Reads a small text file (a scheme or a specification), naming it in the error.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    let file = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&file)))?;
    if meta.len() > yaml::MAX_YAML_BYTES as u64 {
        return Err(Error::new(
            ErrorKind::Yaml(format!(
                "file is {} bytes; the limit is {}",
                meta.len(),
                yaml::MAX_YAML_BYTES
            )),
            Location::file(&file),
        ));
    }
    // Read at most one byte over the limit: a device or a pipe has no size to check first.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(
                &mut std::io::Read::take(f, yaml::MAX_YAML_BYTES as u64 + 1),
                &mut bytes,
            )
        })
        .map_err(|e| Error::new(ErrorKind::Io(e), Location::file(&file)))?;
    if bytes.len() > yaml::MAX_YAML_BYTES {
        return Err(Error::new(
            ErrorKind::Yaml(format!(
                "file is over the limit of {} bytes",
                yaml::MAX_YAML_BYTES
            )),
            Location::file(&file),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        Error::new(
            ErrorKind::Yaml(format!(
                "not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            )),
            Location::file(&file),
        )
    })
}
