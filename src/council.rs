//! The seven West Midlands Combined Authority constituent councils and the scheme each of their
//! usual returns uses. A profile is data (`schema/councils/*.yaml`); a council can load its own.

use crate::error::{Error, ErrorKind, Location, Result};
use crate::scheme::{Code, Registry};
use crate::yaml;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// One of a council's returns and the scheme it is coded in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// The dataset, e.g. `school-census`.
    pub dataset: String,
    /// The scheme id its ethnicity column uses.
    pub scheme: String,
    /// Which of the scheme's codes the return accepts.
    #[serde(default, skip_serializing_if = "Codes::is_all")]
    pub codes: Codes,
    /// Where that comes from and how sure it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Which of its scheme's codes a return accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Codes {
    /// Every code of the scheme (the school census: `DfE` main and extended codes).
    #[default]
    All,
    /// Only the main codes, those without a parent (children in need, children looked after:
    /// the 20 main `DfE` codes).
    Main,
}

impl Codes {
    /// True for [`Codes::All`].
    pub fn is_all(&self) -> bool {
        *self == Codes::All
    }

    /// True when a return with these codes accepts `code`.
    pub fn allow(self, code: &Code) -> bool {
        match self {
            Codes::All => true,
            Codes::Main => code.parent.is_none(),
        }
    }
}

/// A council's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Council {
    /// ONS local authority code, e.g. `E08000025`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Short lowercase id, e.g. `birmingham`.
    pub short: String,
    /// Its returns.
    pub returns: Vec<Return>,
    /// Ids of its own local schemes.
    #[serde(default)]
    pub local_schemes: Vec<String>,
}

impl Council {
    /// The scheme id of `dataset`, if the council has that return.
    pub fn scheme_for(&self, dataset: &str) -> Option<&str> {
        self.returns
            .iter()
            .find(|r| r.dataset == dataset)
            .map(|r| r.scheme.as_str())
    }

    /// Loads a council profile, checked against `schema/council.schema.json`, and checks that every
    /// scheme it names exists in `registry`.
    pub fn from_yaml(text: &str, file: &str, registry: &Registry) -> Result<Council> {
        let council: Council = yaml::parse(text, file)?;
        yaml::check_schema(text, file, &COUNCIL_SCHEMA, |_| None)?;
        for r in &council.returns {
            registry.require(&r.scheme).map_err(|e| {
                Error::new(
                    ErrorKind::Invalid(format!("return `{}`: {}", r.dataset, e.kind())),
                    Location::file(file).field(format!("returns/{}", r.dataset)),
                )
            })?;
        }
        Ok(council)
    }
}

static COUNCIL_SCHEMA: yaml::Schema = yaml::Schema::new("council.schema.json", || {
    yaml::compile(include_str!("../schema/council.schema.json"))
});

const BUILTIN_YAML: [(&str, &str); 7] = [
    (
        "birmingham",
        include_str!("../schema/councils/birmingham.yaml"),
    ),
    ("coventry", include_str!("../schema/councils/coventry.yaml")),
    ("dudley", include_str!("../schema/councils/dudley.yaml")),
    ("sandwell", include_str!("../schema/councils/sandwell.yaml")),
    ("solihull", include_str!("../schema/councils/solihull.yaml")),
    ("walsall", include_str!("../schema/councils/walsall.yaml")),
    (
        "wolverhampton",
        include_str!("../schema/councils/wolverhampton.yaml"),
    ),
];

/// The seven constituent councils, in alphabetical order.
pub fn councils() -> &'static [Council] {
    static ALL: OnceLock<Vec<Council>> = OnceLock::new();
    ALL.get_or_init(|| {
        let registry = Registry::new();
        BUILTIN_YAML
            .iter()
            .map(|(name, text)| {
                // Checked by the test suite (tests/suite/data.rs).
                Council::from_yaml(text, name, &registry)
                    .unwrap_or_else(|e| panic!("built-in council profile is broken: {e}"))
            })
            .collect()
    })
}

/// The built-in council whose ONS code, short id or name is `key` (case-insensitive).
pub fn council(key: &str) -> Option<&'static Council> {
    let key = key.trim();
    let place = place_name(key);
    councils().iter().find(|c| {
        c.code.eq_ignore_ascii_case(key)
            || c.short.eq_ignore_ascii_case(key)
            || c.name.eq_ignore_ascii_case(key)
            || (!place.is_empty() && place_name(&c.short) == place)
    })
}

/// The place a council's name names, as people write it: lowercase words, without "City of" and
/// the kind of council ("Walsall MBC", "Walsall Metropolitan Borough Council", "City of
/// Wolverhampton Council" and "wolverhampton" all name their place).
fn place_name(name: &str) -> String {
    const KINDS: [&str; 8] = [
        "council",
        "city",
        "metropolitan",
        "borough",
        "district",
        "mbc",
        "mdc",
        "cc",
    ];
    let lower = name.to_lowercase().replace('.', "");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let words = match words.as_slice() {
        ["city", "of", rest @ ..] => rest,
        all => all,
    };
    words
        .iter()
        .copied()
        .filter(|w| !KINDS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The YAML of each built-in council profile, as (short id, text).
pub fn builtin_council_yaml() -> &'static [(&'static str, &'static str)] {
    &BUILTIN_YAML
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_in_need_and_looked_after_take_the_twenty_main_codes() {
        // DfE CIN rule 4220 and SSDA903 rule 103 list the 20 main CBDS codes; the school
        // census takes the extended ones too.
        let dfe = crate::scheme::builtin_scheme("dfe-cbds").unwrap();
        for c in councils() {
            for r in &c.returns {
                let want = match r.dataset.as_str() {
                    "children-in-need" | "children-looked-after" => Codes::Main,
                    _ => Codes::All,
                };
                assert_eq!(r.codes, want, "{} {}", c.short, r.dataset);
                let allowed = dfe.codes().iter().filter(|k| r.codes.allow(k)).count();
                if r.scheme == "dfe-cbds" {
                    assert_eq!(allowed, if want == Codes::Main { 20 } else { 103 });
                }
            }
        }
    }

    #[test]
    fn councils_are_found_by_the_names_people_write() {
        for (key, short) in [
            ("Walsall MBC", "walsall"),
            ("walsall metropolitan borough council", "walsall"),
            ("Birmingham City Council", "birmingham"),
            ("City of Wolverhampton Council", "wolverhampton"),
            ("Dudley M.B.C.", "dudley"),
            (" E08000029 ", "solihull"),
            ("Coventry", "coventry"),
        ] {
            assert_eq!(council(key).map(|c| c.short.as_str()), Some(short), "{key}");
        }
        for key in [
            "",
            "Council",
            "City of London",
            "Walsall Wood",
            "Bolton MBC",
        ] {
            assert!(council(key).is_none(), "{key}");
        }
    }
}
