//! The catalogue of rules: every rule a finding or a rejection names, with its stable id, name,
//! default severity and summary. Validation's rules are `WM0nn`, the rules only conversion has
//! are `CV0nn`; each is documented in `docs/rules.md` (a test checks every one). A new rule is one
//! line in the `rules!` table below plus its section in `docs/rules.md`.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The return is wrong and must be corrected before it is submitted.
    Error,
    /// Something a person must confirm: it may be right.
    Query,
}

impl Severity {
    /// `error` or `query`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Query => "query",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $sev:ident, $summary:literal;)*) => {
        /// A rule a value, record or file breaks: validation's (`WM0nn`) and conversion's
        /// (`CV0nn`) alike. Ids and names are stable: they are documented in `docs/rules.md` and
        /// never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in id order.
            pub const ALL: [Rule; rules!(@count $($variant)*)] = [$(Rule::$variant,)*];

            /// The stable id, e.g. `WM001`.
            pub const fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The stable name, e.g. `unknown-code`.
            pub const fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The severity unless a return specification changes it.
            pub const fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$sev,)* }
            }

            /// One line saying what the rule checks.
            pub const fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary,)* }
            }
        }
    };
    (@count $($x:ident)*) => { 0 $(+ rules!(@one $x))* };
    (@one $x:ident) => { 1 };
}

rules! {
    /// The value is not a code (or label) of the declared scheme.
    UnknownCode = "WM001", "unknown-code", Error,
        "The value is not a code of the declared scheme.";
    /// The value is not in the declared scheme but is a code of another built-in scheme.
    OtherSchemeCode = "WM002", "other-scheme-code", Error,
        "The value is a code of another scheme, not of the declared one.";
    /// The code is not valid on the record's date.
    NotValidOnDate = "WM003", "not-valid-on-date", Error,
        "The code is not valid on the record's date.";
    /// The cell is empty.
    EmptyValue = "WM004", "empty-value", Error,
        "The cell is empty.";
    /// The value is a residual value (declined, not obtained, not known).
    ResidualValue = "WM005", "residual-value", Query,
        "The value is declined, not obtained or not known: not an ethnic group.";
    /// The value only matched after trimming spaces or changing case.
    NormalisedInput = "WM006", "normalised-input", Query,
        "The value only matched after removing spaces or changing case.";
    /// A long numeric code in Excel's scientific notation.
    ExcelScientific = "WM007", "excel-scientific-notation", Error,
        "A long numeric code was turned into scientific notation by Excel; its digits are lost.";
    /// A code whose leading zeros Excel removed.
    ExcelLeadingZero = "WM008", "excel-lost-leading-zero", Error,
        "Excel removed the leading zeros of a numeric code.";
    /// The record id was already used by an earlier record.
    DuplicateId = "WM009", "duplicate-id", Error,
        "The record id is used by an earlier record.";
    /// The record has a different number of fields from the header.
    WrongFieldCount = "WM010", "wrong-field-count", Error,
        "The record has a different number of fields from the header; it was not checked.";
    /// A field holds bytes that are not valid in the file's encoding.
    InvalidEncoding = "WM011", "invalid-encoding", Error,
        "A field holds bytes that are not valid in the file's encoding.";
    /// A required column is not in the header (the file cannot be validated).
    MissingColumn = "WM012", "missing-column", Error,
        "A required column is not in the header: the file cannot be validated (exit 2).";
    /// Too large a share of a column's records are residual values.
    ResidualShare = "WM013", "residual-share", Error,
        "The share of residual values in a column is above the return's threshold.";
    /// An officer-observed (police IC) code where self-defined ethnicity is required.
    ObservedCode = "WM014", "observed-code", Error,
        "A police officer-observed (IC) code was given where self-defined ethnicity is required.";
    /// A retired code.
    RetiredCode = "WM015", "retired-code", Query,
        "The code is retired: still understood, but no longer to be used.";
    /// An NHS local code: a national code with a local second character.
    LocalCode = "WM016", "local-code", Query,
        "A local code: a national code with a local second character.";
    /// The date column holds something that is not a date.
    InvalidDate = "WM017", "invalid-date", Error,
        "The date column does not hold a date, so the codes were not checked against it.";
    /// A line that is not a record (a JSON Lines line that is not a JSON object).
    MalformedRecord = "WM018", "malformed-record", Error,
        "The line is not a record (a JSON Lines line that is not a JSON object).";
    /// A code of the scheme that the return does not accept (an extended `DfE` code in a children
    /// in need return).
    CodeNotInReturn = "WM019", "code-not-in-return", Error,
        "A code of the scheme the return does not accept (it takes the main codes only).";
    /// A characteristic column (sex, age, religion, ...) holds a value its classification does
    /// not have.
    UnknownCharacteristicCode = "WM020", "unknown-characteristic-code", Error,
        "A characteristic column holds a value that is not a code or label of its classification.";
    /// An age column holds something that is not an age (or a date of birth that gives none).
    InvalidAge = "WM021", "invalid-age", Error,
        "An age column holds something that is not an age in whole years, or a date of birth that gives none.";
    /// A cell of several ethnicities gives the same one twice.
    RepeatedEthnicity = "WM022", "repeated-ethnicity", Query,
        "A cell of several ethnicities gives the same value twice; it counts once.";
    /// A cell of several ethnicities gives a residual value beside an ethnic group.
    ResidualBesideEthnicity = "WM023", "residual-beside-ethnicity", Query,
        "A cell of several ethnicities gives a residual value (declined, not known) beside an ethnic group.";
    /// The code is named after a nationality, a religion or a language, not an ethnic group
    /// (SNOMED CT "Nigerians", CTV3 "Sikh - ethnic category 2001 census").
    NotEthnicityCode = "WM024", "not-ethnicity-code", Query,
        "The code is named after a nationality, a religion or a language, not an ethnic group: its place in the standard is a judgement.";
    /// A FHIR coding whose code system its publisher has retired (UK Core's 2-character
    /// `UKCore-EthnicCategory`, its Scotland system).
    RetiredCodeSystem = "WM025", "retired-code-system", Query,
        "The value's FHIR code system is retired by its publisher: still read, but no longer to be used.";
    /// The label matches no label of the scheme and no curated synonym.
    UnknownLabel = "CV001", "unknown-label", Error,
        "The label matches no label of the scheme and no curated synonym.";
    /// The label is the label of several nodes of the standard in different places.
    AmbiguousLabel = "CV002", "ambiguous-label", Error,
        "The label names several nodes of the standard in different places.";
    /// The row's scheme column names no scheme.
    UnknownScheme = "CV003", "unknown-scheme", Error,
        "The row's scheme column names no scheme (or its council's return names a scheme not loaded).";
    /// The row's council column names none of the councils.
    UnknownCouncil = "CV004", "unknown-council", Error,
        "The row's council column names none of the seven councils.";
    /// The council has no return by that dataset name.
    UnknownDataset = "CV005", "unknown-dataset", Error,
        "The council's profile has no return by the row's dataset name.";
    /// No code of the target scheme contains the record's meaning (`--to-scheme`).
    NoTargetCode = "CV006", "no-target-code", Error,
        "No code of the target scheme holds the record's meaning.";
    /// No single code of the target scheme holds the record's meaning (a broader source), and
    /// the policy chose none of its candidates (`--to-scheme`).
    AmbiguousTargetCode = "CV007", "ambiguous-target-code", Error,
        "The record's candidates fall in different codes of the target scheme, and no choice was made.";
    /// An aggregate table's count is not a whole number of zero or more.
    BadCount = "CV008", "bad-count", Error,
        "A count is not a whole number of zero or more.";
    /// A cell holds more ethnicities (split on the declared separator) than a person may give.
    TooManyEthnicities = "CV009", "too-many-ethnicities", Error,
        "A cell holds more ethnicities (split on the declared separator) than a person may give (6).";
}

impl Rule {
    /// The rule with this id (`WM001`) or name (`unknown-code`), case-insensitive.
    pub fn from_key(key: &str) -> Option<Rule> {
        let k = key.trim();
        Rule::ALL
            .into_iter()
            .find(|r| r.id().eq_ignore_ascii_case(k) || r.name().eq_ignore_ascii_case(k))
    }

    /// True for the rules only conversion and aggregation apply (`CV0nn`); validation's rules
    /// (`WM0nn`) are also why `convert` rejects a value.
    pub fn conversion_only(self) -> bool {
        self.id().starts_with("CV")
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// How many rules there are.
pub(crate) const RULE_COUNT: usize = Rule::ALL.len();

/// Serialises a rule as the two fields `rule` (its id) and `rule_name` (its name), for records
/// that flatten it in (a rejection).
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` hands a reference
pub(crate) fn serialize_id_and_name<S: Serializer>(
    rule: &Rule,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Rule", 2)?;
    st.serialize_field("rule", rule.id())?;
    st.serialize_field("rule_name", rule.name())?;
    st.end()
}
