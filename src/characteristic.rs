//! Characteristics other than ethnicity: sex, gender identity, age, religion and disability, each
//! a classification of its own beside the ethnicity standard.
//!
//! A *classification* is one YAML file in `schema/characteristics/` (checked against
//! `schema/characteristic.schema.json`), and one line in [`BUILTIN`]. A file without `maps_to` is a
//! characteristic's *standard*: its codes are the standard values (`census-2021-sex`: `female`,
//! `male`, ...). A file with `maps_to` is a *coding scheme* mapped into that standard: each code
//! gives the standard `value` it means, or a `residual` (declined, not known, ...), as ethnicity
//! schemes map into the ethnicity standard. An age standard's codes are bands (`from`, `to`): an
//! age in whole years, or a date of birth on a reference date, falls in exactly one.
//!
//! These lists are a few codes each, so they are read from the embedded YAML once rather than
//! generated into Rust types: generated enums pay for a few hundred codes, not for two.
//!
//! ```
//! use wm_ethnicity::{CharacteristicColumn, Classifications};
//!
//! let classes = Classifications::builtin();
//! let sex = CharacteristicColumn::parse("Gender=nhs-person-stated-gender").unwrap();
//! let reader = classes.reader(&sex).unwrap();
//! assert_eq!(reader.read("2").unwrap().code, "female");
//! assert_eq!(reader.read("Female").unwrap().code, "female"); // a label matches too
//! assert_eq!(reader.read("X").unwrap().code, "not-known"); // a residual
//!
//! let dob = CharacteristicColumn::parse("DOB=census-2021-age-18@2021-03-21").unwrap();
//! let reader = classes.reader(&dob).unwrap();
//! assert_eq!(reader.read("2010-03-22").unwrap().code, "10-14"); // 10 on census day
//! ```

use crate::date::Date;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::rules::Rule;
use crate::standard::Residual;
use crate::text::{fold_label, nearest};
use crate::yaml;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

macro_rules! characteristics {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $column:literal;)*) => {
        /// A characteristic other than ethnicity.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Characteristic {
            $($(#[$doc])* $variant,)*
        }

        impl Characteristic {
            /// Every characteristic, in the order output columns list them.
            pub const ALL: [Characteristic; [$($name,)*].len()] = [$(Characteristic::$variant,)*];

            /// The name used in files and flags, e.g. `sex`.
            pub const fn name(self) -> &'static str {
                match self { $(Characteristic::$variant => $name,)* }
            }

            /// The column a conversion writes its standard value in, e.g. `wm_sex`.
            pub const fn column(self) -> &'static str {
                match self { $(Characteristic::$variant => $column,)* }
            }
        }
    };
}

characteristics! {
    /// Sex (Census 2021: female, male).
    Sex = "sex", "wm_sex";
    /// Gender identity, as the person states it.
    GenderIdentity = "gender-identity", "wm_gender_identity";
    /// Age, in bands.
    Age = "age", "wm_age_band";
    /// Religion.
    Religion = "religion", "wm_religion";
    /// Disability under the Equality Act 2010.
    Disability = "disability", "wm_disability";
}

impl Characteristic {
    /// The characteristic named `name` (as [`Characteristic::name`]).
    pub fn from_name(name: &str) -> Option<Characteristic> {
        Characteristic::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Characteristic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Characteristic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Characteristic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Characteristic::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a characteristic")))
    }
}

/// A set of characteristics (the columns a conversion adds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CharacteristicSet(u8);

impl CharacteristicSet {
    /// This set with `c` in it.
    #[must_use]
    pub const fn with(self, c: Characteristic) -> Self {
        CharacteristicSet(self.0 | 1 << c as u8)
    }

    /// True when `c` is in the set.
    pub const fn contains(self, c: Characteristic) -> bool {
        self.0 & (1 << c as u8) != 0
    }

    /// The characteristics in the set, in [`Characteristic::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Characteristic> {
        Characteristic::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Characteristic> for CharacteristicSet {
    fn from_iter<I: IntoIterator<Item = Characteristic>>(iter: I) -> Self {
        iter.into_iter()
            .fold(CharacteristicSet::default(), CharacteristicSet::with)
    }
}

/// The built-in classifications: each file's name, then its text. A new one is a file in
/// `schema/characteristics/` and a line here.
pub const BUILTIN: [(&str, &str); 6] = [
    (
        "census-2021-sex.yaml",
        include_str!("../schema/characteristics/census-2021-sex.yaml"),
    ),
    (
        "nhs-person-stated-gender.yaml",
        include_str!("../schema/characteristics/nhs-person-stated-gender.yaml"),
    ),
    (
        "nhs-gender-identity.yaml",
        include_str!("../schema/characteristics/nhs-gender-identity.yaml"),
    ),
    (
        "census-2021-age-18.yaml",
        include_str!("../schema/characteristics/census-2021-age-18.yaml"),
    ),
    (
        "census-2021-religion.yaml",
        include_str!("../schema/characteristics/census-2021-religion.yaml"),
    ),
    (
        "census-2021-disability.yaml",
        include_str!("../schema/characteristics/census-2021-disability.yaml"),
    ),
];

/// One code of a classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassCode {
    /// The code as the source writes it (in a standard, the standard's own code).
    pub code: String,
    /// Its label, as the source gives it.
    pub label: String,
    /// In a scheme: the standard value (a code of the standard it maps to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A residual value: not a value of the characteristic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual: Option<String>,
    /// In a standard: the broader value this one is under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Age bands: the youngest age in the band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u16>,
    /// Age bands: the oldest age in the band (`None`: open at the top).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u16>,
    /// A note on the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A classification of a characteristic: a standard, or a scheme mapped into one. See the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// Its id, e.g. `nhs-person-stated-gender`.
    pub id: String,
    /// The characteristic it classifies.
    pub characteristic: Characteristic,
    /// The standard its codes map into; `None` for a standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_to: Option<String>,
    /// Its title.
    pub title: String,
    /// Who publishes it.
    pub authority: String,
    /// The version or period of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The published source of its codes and labels.
    pub source: String,
    /// How the codes were read from the source, and what was not found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_note: Option<String>,
    /// Its codes.
    pub codes: Vec<ClassCode>,
}

impl Classification {
    /// The code `code` exactly, else ignoring case and surrounding spaces, else by label
    /// (folded).
    pub fn find(&self, raw: &str) -> Option<&ClassCode> {
        let t = raw.trim();
        self.codes
            .iter()
            .find(|c| c.code == raw)
            .or_else(|| self.codes.iter().find(|c| c.code.eq_ignore_ascii_case(t)))
            .or_else(|| {
                let folded = fold_label(t);
                self.codes.iter().find(|c| fold_label(&c.label) == folded)
            })
    }

    /// The band of an age standard holding `age`.
    pub fn band(&self, age: u16) -> Option<&ClassCode> {
        self.codes
            .iter()
            .find(|c| c.from.is_some_and(|f| f <= age) && c.to.is_none_or(|t| age <= t))
    }

    fn is_bands(&self) -> bool {
        self.codes.iter().any(|c| c.from.is_some())
    }
}

/// The residual of a code, read from its name.
fn residual_of(c: &ClassCode) -> Option<Residual> {
    c.residual.as_deref().and_then(Residual::from_code)
}

/// A value read from a characteristic column: its standard code and label, or a residual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Value<'a> {
    /// The characteristic.
    pub characteristic: Characteristic,
    /// The standard value's code, or the residual's code (`not-known`).
    pub code: &'a str,
    /// Its label.
    pub label: &'a str,
    /// The residual, when the value is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual: Option<Residual>,
}

/// Why a characteristic value could not be read: the rule, a sentence and what to do. The
/// sentence never quotes an age or a date of birth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The rule.
    pub rule: Rule,
    /// Why, naming the characteristic.
    pub reason: String,
    /// What to do.
    pub suggestion: Option<String>,
}

/// A characteristic column to read: its header, its classification and, for dates of birth, the
/// reference date ages are taken on; or its values rolled up to the top of their standard's
/// hierarchy. Written `COLUMN=SCHEME`, `COLUMN=SCHEME@YYYY-MM-DD` or `COLUMN=SCHEME:top`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharacteristicColumn {
    /// The column's header.
    pub column: String,
    /// The classification of its values (a standard or a scheme mapped into one).
    pub scheme: String,
    /// For an age column holding dates of birth: the date ages are taken on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date_on: Option<Date>,
    /// True to read each value as the top of its standard's hierarchy (`:top`): Census 2021
    /// disability as `disabled` or `not-disabled`, however limited day-to-day activities are.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub top: bool,
    /// True when an empty cell means the residual "not known" (a specification's
    /// `empty: not-known`); otherwise an empty cell is rejected (WM004).
    #[serde(skip)]
    pub empty_not_known: bool,
}

impl CharacteristicColumn {
    /// Parses `COLUMN=SCHEME`, `COLUMN=SCHEME@YYYY-MM-DD` (a date-of-birth column) or
    /// `COLUMN=SCHEME:top` (values rolled up to the top of their standard's hierarchy).
    pub fn parse(text: &str) -> std::result::Result<CharacteristicColumn, String> {
        let (column, rest) = text.rsplit_once('=').ok_or_else(|| {
            format!(
                "`{text}`: give COLUMN=SCHEME, e.g. Sex=nhs-person-stated-gender, or \
                 COLUMN=SCHEME@DATE for dates of birth, e.g. DOB=census-2021-age-18@2021-03-21, \
                 or COLUMN=SCHEME:top for the top of a hierarchy, e.g. \
                 Disability=census-2021-disability:top"
            )
        })?;
        let (rest, top) = match rest.split_once(':') {
            Some((scheme, "top")) => (scheme, true),
            Some((_, level)) => {
                return Err(format!(
                    "`{text}`: `:{level}` is not a level to read at; give `:top` (the top of \
                     the standard's hierarchy) or nothing (its finest values)"
                ));
            }
            None => (rest, false),
        };
        let (scheme, date) = match rest.split_once('@') {
            Some((s, d)) => {
                let date = Date::parse(d)
                    .ok_or_else(|| format!("`{text}`: `{d}` is not a date (YYYY-MM-DD)"))?;
                (s, Some(date))
            }
            None => (rest, None),
        };
        if column.trim().is_empty() || scheme.trim().is_empty() {
            return Err(format!("`{text}`: give both a column and a scheme"));
        }
        Ok(CharacteristicColumn {
            column: column.trim().to_owned(),
            scheme: scheme.trim().to_owned(),
            birth_date_on: date,
            top,
            empty_not_known: false,
        })
    }
}

/// The classifications known to a run: the built-in ones, checked.
#[derive(Debug, Clone, Default)]
pub struct Classifications {
    all: Vec<Classification>,
}

impl Classifications {
    /// The built-in classifications ([`BUILTIN`]).
    pub fn builtin() -> &'static Classifications {
        static ALL: OnceLock<Classifications> = OnceLock::new();
        ALL.get_or_init(|| {
            // Checked by the test suite (tests/suite/characteristics.rs): every file reads and
            // checks.
            let mut c = Classifications::default();
            for (file, text) in BUILTIN {
                c.add_yaml(text, file)
                    .unwrap_or_else(|e| panic!("a shipped classification is broken: {e}"));
            }
            c
        })
    }

    /// Every classification, standards and schemes, in the order added.
    pub fn all(&self) -> &[Classification] {
        &self.all
    }

    /// The classification `id`.
    pub fn get(&self, id: &str) -> Option<&Classification> {
        self.all.iter().find(|c| c.id == id)
    }

    /// Reads a classification file (YAML under budgets, checked against
    /// `schema/characteristic.schema.json`) and checks it against those already added: a new
    /// id; no code twice; a scheme's `maps_to` a standard of the same characteristic, and every
    /// `value` one of its codes; residuals known; age bands in order without gaps or overlaps.
    /// `file` names it in errors.
    pub fn add_yaml(&mut self, text: &str, file: &str) -> Result<&Classification> {
        let c: Classification = yaml::parse(text, file)?;
        yaml::check_schema(text, file, &CLASSIFICATION_SCHEMA, |_| None)?;
        self.check(&c)
            .map_err(|msg| Error::new(ErrorKind::Invalid(msg), Location::file(file)))?;
        self.all.push(c);
        Ok(&self.all[self.all.len() - 1])
    }

    fn check(&self, c: &Classification) -> std::result::Result<(), String> {
        if self.get(&c.id).is_some() {
            return Err(format!("classification `{}` is already defined", c.id));
        }
        for (i, code) in c.codes.iter().enumerate() {
            if c.codes[..i].iter().any(|p| p.code == code.code) {
                return Err(format!("code `{}` is listed twice", code.code));
            }
            if code.residual.is_some() && residual_of(code).is_none() {
                return Err(format!("code `{}`: unknown residual", code.code));
            }
        }
        if let Some(to) = &c.maps_to {
            let standard = self
                .get(to)
                .filter(|s| s.maps_to.is_none())
                .ok_or_else(|| format!("`maps_to: {to}` names no standard loaded before it"))?;
            if standard.characteristic != c.characteristic {
                return Err(format!(
                    "`maps_to: {to}` is a {} standard, not {}",
                    standard.characteristic, c.characteristic
                ));
            }
            for code in &c.codes {
                match (&code.value, &code.residual) {
                    (Some(v), None) if standard.codes.iter().any(|s| s.code == *v) => {}
                    (None, Some(_)) => {}
                    (Some(v), None) => {
                        return Err(format!("code `{}`: `{v}` is not a code of {to}", code.code));
                    }
                    _ => {
                        return Err(format!(
                            "code `{}`: give one of `value` or `residual`",
                            code.code
                        ));
                    }
                }
            }
        } else {
            for code in &c.codes {
                if code.value.is_some() {
                    return Err(format!(
                        "code `{}`: a standard's codes are its values (no `value`)",
                        code.code
                    ));
                }
                if let Some(p) = &code.parent
                    && !c.codes.iter().any(|x| x.code == *p)
                {
                    return Err(format!("code `{}`: parent `{p}` is not a code", code.code));
                }
            }
            if c.characteristic == Characteristic::Age {
                check_bands(c)?;
            }
        }
        Ok(())
    }

    /// `column` bound to its classification: fails when the scheme is not known, or dates of
    /// birth are given for a column that is not an age.
    pub fn reader(&self, column: &CharacteristicColumn) -> Result<Reader<'_>> {
        let fail = |msg: String| Error::new(ErrorKind::Invalid(msg), Location::default());
        let scheme = self.get(&column.scheme).ok_or_else(|| {
            fail(format!(
                "column `{}`: `{}` is not a classification of a characteristic (the built-in \
                 ones: {})",
                column.column,
                column.scheme,
                self.all
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let standard = match &scheme.maps_to {
            Some(to) => self
                .get(to)
                .ok_or_else(|| fail(format!("`{}` maps to `{to}`, not loaded", scheme.id)))?,
            None => scheme,
        };
        if column.birth_date_on.is_some() && !standard.is_bands() {
            return Err(fail(format!(
                "column `{}`: a reference date is for dates of birth, read into age bands; `{}` \
                 is a {} classification",
                column.column, scheme.id, scheme.characteristic
            )));
        }
        if column.top && !standard.codes.iter().any(|c| c.parent.is_some()) {
            return Err(fail(format!(
                "column `{}`: `:top` reads a value as the top of its standard's hierarchy; the \
                 values of `{}` have no parents (census-2021-disability has)",
                column.column, standard.id
            )));
        }
        Ok(Reader {
            scheme,
            standard,
            birth_date_on: column.birth_date_on,
            top: column.top,
        })
    }
}

fn check_bands(c: &Classification) -> std::result::Result<(), String> {
    let mut next = 0u16;
    let mut open = false;
    for code in &c.codes {
        let Some(from) = code.from else {
            return Err(format!("age band `{}` has no `from`", code.code));
        };
        if open || from != next {
            return Err(format!(
                "age band `{}` starts at {from}, not {next}: bands run in order with no gap or \
                 overlap",
                code.code
            ));
        }
        match code.to {
            Some(to) if to >= from => next = to + 1,
            Some(_) => return Err(format!("age band `{}` ends before it starts", code.code)),
            None => open = true,
        }
    }
    Ok(())
}

static CLASSIFICATION_SCHEMA: yaml::Schema =
    yaml::Schema::new("characteristic.schema.json", || {
        yaml::compile(include_str!("../schema/characteristic.schema.json"))
    });

/// What a finding or a rejection says of an empty cell in a `k` column, and what to do.
pub(crate) fn empty_cell(k: Characteristic) -> (String, String) {
    (
        format!("no {k} given: the cell is empty"),
        format!(
            "Record the {k}, or, if an empty cell means \"not known\" in this return, say so in \
             the specification (`empty: not-known`)."
        ),
    )
}

/// The oldest age read as an age; an older one is an error (WM021).
pub const MAX_AGE: u16 = 130;

/// A characteristic column's classification bound for reading values. See
/// [`Classifications::reader`].
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    scheme: &'a Classification,
    standard: &'a Classification,
    birth_date_on: Option<Date>,
    top: bool,
}

impl<'a> Reader<'a> {
    /// The characteristic read.
    pub fn characteristic(&self) -> Characteristic {
        self.scheme.characteristic
    }

    /// The classification of the column's values.
    pub fn scheme(&self) -> &'a Classification {
        self.scheme
    }

    /// The standard the column's values are read into.
    pub fn standard(&self) -> &'a Classification {
        self.standard
    }

    /// True when the column holds ages or dates of birth: values never shown.
    pub fn is_age(&self) -> bool {
        self.standard.is_bands()
    }

    /// The standard value of `raw` (not empty). An error never quotes an age or a date.
    pub fn read(&self, raw: &str) -> std::result::Result<Value<'a>, Unread> {
        if self.is_age() {
            return self.read_age(raw);
        }
        let k = self.characteristic();
        let Some(code) = self.scheme.find(raw) else {
            let near = nearest(
                raw,
                self.scheme
                    .codes
                    .iter()
                    .flat_map(|c| [c.code.as_str(), c.label.as_str()]),
                3,
            );
            return Err(Unread {
                rule: Rule::UnknownCharacteristicCode,
                reason: format!(
                    "{k}: `{}` is not a code or label of {}",
                    crate::text::clip(raw.trim(), 100),
                    self.scheme.id
                ),
                suggestion: Some(if near.is_empty() {
                    format!(
                        "Use one of the codes of {}: {}.",
                        self.scheme.id,
                        self.scheme
                            .codes
                            .iter()
                            .map(|c| format!("{} ({})", c.code, c.label))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    format!("Did you mean {}?", near.join(" or "))
                }),
            });
        };
        if let Some(r) = residual_of(code) {
            return Ok(Value {
                characteristic: k,
                code: r.code(),
                label: &code.label,
                residual: Some(r),
            });
        }
        let in_standard = |v: &str| self.standard.codes.iter().find(|s| s.code == v);
        let mut value = code.value.as_deref().and_then(in_standard).unwrap_or(code);
        if self.top {
            // Parents are codes of the standard (checked when it was loaded), and a chain of
            // them is no longer than the standard.
            for _ in 0..self.standard.codes.len() {
                match value.parent.as_deref().and_then(in_standard) {
                    Some(p) => value = p,
                    None => break,
                }
            }
        }
        Ok(Value {
            characteristic: k,
            code: &value.code,
            label: &value.label,
            residual: None,
        })
    }

    fn read_age(&self, raw: &str) -> std::result::Result<Value<'a>, Unread> {
        let t = raw.trim();
        let invalid = |why: &str, suggestion: &str| Unread {
            rule: Rule::InvalidAge,
            reason: format!(
                "age: the value {why} (it is not shown: ages and dates of birth identify people)"
            ),
            suggestion: Some(suggestion.to_owned()),
        };
        let age = match self.birth_date_on {
            Some(on) => {
                let born = Date::parse(t).ok_or_else(|| {
                    invalid(
                        "is not a date of birth",
                        "Write dates of birth as YYYY-MM-DD or DD/MM/YYYY.",
                    )
                })?;
                born.years_to(on).ok_or_else(|| {
                    invalid(
                        &format!("is a date of birth after the reference date {on}"),
                        "Check the date of birth, and the reference date given for the column.",
                    )
                })?
            }
            None => t
                .parse::<u16>()
                .ok()
                .filter(|a| *a <= MAX_AGE)
                .ok_or_else(|| {
                    invalid(
                        &format!("is not an age in whole years from 0 to {MAX_AGE}"),
                        "Write ages as whole years; for a column of dates of birth give the \
                         reference date (COLUMN=SCHEME@YYYY-MM-DD, or `reference_date`).",
                    )
                })?,
        };
        let found = self.standard.band(age).ok_or_else(|| {
            invalid(
                &format!("is an age no band of {} holds", self.standard.id),
                "Use a classification whose bands cover every age.",
            )
        })?;
        Ok(Value {
            characteristic: Characteristic::Age,
            code: &found.code,
            label: &found.label,
            residual: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_what_was_put_in() {
        let s: CharacteristicSet = [Characteristic::Age, Characteristic::Sex]
            .into_iter()
            .collect();
        assert!(s.contains(Characteristic::Sex) && !s.contains(Characteristic::Religion));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Characteristic::Sex, Characteristic::Age]
        );
    }

    #[test]
    fn columns_parse_with_and_without_a_reference_date() {
        let c = CharacteristicColumn::parse("Sex=census-2021-sex").unwrap();
        assert_eq!(
            (c.column.as_str(), c.scheme.as_str()),
            ("Sex", "census-2021-sex")
        );
        let c = CharacteristicColumn::parse("DOB=census-2021-age-18@2021-03-21").unwrap();
        assert_eq!(c.birth_date_on, Date::new(2021, 3, 21));
        assert!(CharacteristicColumn::parse("Sex").is_err());
        assert!(CharacteristicColumn::parse("DOB=census-2021-age-18@soon").is_err());
    }

    #[test]
    fn ages_fall_in_one_band_and_bad_ages_are_not_shown() {
        let classes = Classifications::builtin();
        let r = classes
            .reader(&CharacteristicColumn::parse("Age=census-2021-age-18").unwrap())
            .unwrap();
        assert_eq!(r.read("0").unwrap().code, "0-4");
        assert_eq!(r.read("84").unwrap().code, "80-84");
        assert_eq!(r.read("130").unwrap().code, "85+");
        for bad in ["131", "-1", "twelve", "1987-01-02"] {
            let e = r.read(bad).unwrap_err();
            assert_eq!(e.rule, Rule::InvalidAge);
            assert!(!e.reason.contains(bad), "{}", e.reason);
        }
        let r = classes
            .reader(&CharacteristicColumn::parse("DOB=census-2021-age-18@2021-03-21").unwrap())
            .unwrap();
        let e = r.read("2022-01-01").unwrap_err();
        assert!(!e.reason.contains("2022-01-01"), "{}", e.reason);
    }

    #[test]
    fn schemes_map_into_their_standard_and_unknown_codes_say_so() {
        let classes = Classifications::builtin();
        let r = classes
            .reader(&CharacteristicColumn::parse("G=nhs-person-stated-gender").unwrap())
            .unwrap();
        assert_eq!(r.read(" 1 ").unwrap().code, "male");
        assert_eq!(r.read("x").unwrap().residual, Some(Residual::NotKnown));
        let e = r.read("Q").unwrap_err();
        assert_eq!(e.rule, Rule::UnknownCharacteristicCode);
        assert!(e.reason.starts_with("sex: `Q`"), "{}", e.reason);
    }

    #[test]
    fn top_reads_disability_as_disabled_or_not_and_needs_a_hierarchy() {
        let classes = Classifications::builtin();
        let column = CharacteristicColumn::parse("D=census-2021-disability:top").unwrap();
        assert!(column.top);
        let top = classes.reader(&column).unwrap();
        let finest = classes
            .reader(&CharacteristicColumn::parse("D=census-2021-disability").unwrap())
            .unwrap();
        for (raw, fine, rolled) in [
            (
                "Disabled under the Equality Act: Day-to-day activities limited a lot",
                "disabled.limited-a-lot",
                "disabled",
            ),
            (
                "disabled.limited-a-little",
                "disabled.limited-a-little",
                "disabled",
            ),
            ("Disabled under the Equality Act", "disabled", "disabled"),
            (
                "Not disabled under the Equality Act: No long term physical or mental health conditions",
                "not-disabled.no-condition",
                "not-disabled",
            ),
            (
                "not-disabled.condition-not-limiting",
                "not-disabled.condition-not-limiting",
                "not-disabled",
            ),
        ] {
            assert_eq!(finest.read(raw).unwrap().code, fine, "{raw}");
            let v = top.read(raw).unwrap();
            assert_eq!(v.code, rolled, "{raw}");
            assert_eq!(
                v.label,
                classes
                    .get("census-2021-disability")
                    .unwrap()
                    .find(rolled)
                    .unwrap()
                    .label
            );
        }
        let e = classes
            .reader(&CharacteristicColumn::parse("R=census-2021-religion:top").unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("have no parents"), "{e}");
        let e = CharacteristicColumn::parse("D=census-2021-disability:bottom").unwrap_err();
        assert!(e.contains("`:bottom` is not a level"), "{e}");
    }

    #[test]
    fn a_reference_date_needs_an_age_classification() {
        let c = CharacteristicColumn::parse("S=census-2021-sex@2021-03-21").unwrap();
        assert!(Classifications::builtin().reader(&c).is_err());
    }
}
