//! Why a value is not a code of its scheme, said the same way wherever it is said: validation's
//! findings and conversion's rejections both take their rule, message and suggestion from an
//! [`Explainer`]. The most specific explanation wins: Excel damage (scientific notation, lost
//! leading zeros), an officer-observed code where self-defined ethnicity is required, the label
//! of a code written instead of the code, a code of another scheme, and only then "unknown" with
//! the nearest codes.

use super::Source;
use crate::crosswalk::{self, Loss};
use crate::rules::Rule;
use crate::scheme::{Code, KeyedBy, Mapping, MatchKind, Registry, Scheme, Status};
use crate::standard::{Node, Residual};
use crate::text::{
    excel_lost_digits, excel_rounded, looks_like_excel_rounded, looks_like_excel_scientific,
};

/// What to do about a long numeric code Excel damaged.
const REEXPORT_AS_TEXT: &str = "Export the column again from the source system and, in Excel, \
                                format it as Text before saving; the digits cannot be recovered \
                                from this file.";

/// Explains unknown values against every scheme of a registry. Build one per run: it lists the
/// registry's schemes once.
#[derive(Debug, Clone)]
pub struct Explainer<'r> {
    /// Schemes searched for codes given in the wrong scheme (WM002), observed ones excluded.
    elsewhere: Vec<&'r Scheme>,
    /// Officer-observed schemes (WM014).
    observed: Vec<&'r Scheme>,
}

/// What an explanation found, kept borrowed until a message is wanted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Why<'a> {
    /// Nothing beyond the rule (Excel's scientific notation).
    Nothing,
    /// A long number ending in zeros: Excel rounded a long numeric code.
    Rounded,
    /// Not a code of any scheme.
    Unknown,
    /// The label of this code of the scheme.
    Label(&'a Code),
    /// A code of another scheme: the first found.
    Elsewhere(&'a Code),
    /// An officer-observed scheme's code.
    Observed(&'a Scheme, &'a Code),
    /// This code of the scheme with its leading zeros removed.
    LeadingZero(&'a Code),
}

impl<'r> Explainer<'r> {
    /// An explainer over the schemes of `registry`.
    pub fn new(registry: &'r Registry) -> Explainer<'r> {
        let all: Vec<&Scheme> = registry.ids().filter_map(|i| registry.get(i)).collect();
        Explainer {
            elsewhere: all.iter().copied().filter(|s| !s.observed).collect(),
            observed: all.into_iter().filter(|s| s.observed).collect(),
        }
    }

    /// Why `raw` is not a code of `scheme`, as a finding says it: the rule (WM001, WM002, WM007,
    /// WM008 or WM014), the message and the suggestion.
    pub fn explain(&self, scheme: &'r Scheme, raw: &str) -> (Rule, String, Option<String>) {
        let (rule, why) = self.classify(scheme, raw);
        let (message, suggestion) = self.describe(rule, scheme, raw, why);
        (rule, message, suggestion)
    }

    /// Why a value is not a code of `scheme`: the most specific explanation first.
    pub(crate) fn classify(&self, scheme: &'r Scheme, raw: &str) -> (Rule, Why<'r>) {
        let t = raw.trim();
        if looks_like_excel_scientific(t) {
            return (Rule::ExcelScientific, Why::Nothing);
        }
        if looks_like_excel_rounded(t) {
            return (Rule::ExcelScientific, Why::Rounded);
        }
        if scheme.keyed_by == KeyedBy::Code
            && !t.is_empty()
            && t.bytes().all(|b| b.is_ascii_digit())
        {
            let digits = t.trim_start_matches('0');
            if let Some(code) = scheme.codes().iter().find(|c| {
                let k = c.key();
                k.len() > t.len()
                    && k.starts_with('0')
                    && k.bytes().all(|b| b.is_ascii_digit())
                    && k.trim_start_matches('0') == digits
            }) {
                return (Rule::ExcelLeadingZero, Why::LeadingZero(code));
            }
        }
        if !scheme.observed {
            for s in &self.observed {
                if let Some(m) = s.lookup(t)
                    && m.kind != MatchKind::LocalSecondCharacter
                {
                    return (Rule::ObservedCode, Why::Observed(s, m.code));
                }
            }
        }
        if scheme.keyed_by == KeyedBy::Code
            && let Some(code) = scheme.lookup_label(t).and_then(|m| m.code)
        {
            return (Rule::UnknownCode, Why::Label(code));
        }
        if let Some((_, code)) = self.elsewhere(scheme, t).next() {
            return (Rule::OtherSchemeCode, Why::Elsewhere(code));
        }
        (Rule::UnknownCode, Why::Unknown)
    }

    /// The codes of other (non-observed) schemes that `value` is, exactly or after normalising.
    fn elsewhere<'a>(
        &'a self,
        declared: &'a Scheme,
        value: &'a str,
    ) -> impl Iterator<Item = (&'r Scheme, &'r Code)> + 'a {
        self.elsewhere
            .iter()
            .filter(move |s| s.id != declared.id)
            .filter_map(move |s| {
                let m = s.lookup(value)?;
                (m.kind != MatchKind::LocalSecondCharacter).then_some((*s, m.code))
            })
    }

    /// Other schemes in which `raw` is exactly a code, as `CODE (label) in scheme`, at most two
    /// (a local code that is also another scheme's code).
    pub(crate) fn exactly_elsewhere(&self, declared: &str, raw: &str) -> Vec<String> {
        self.elsewhere
            .iter()
            .filter(|s| s.id != declared)
            .filter_map(|s| {
                let m = s.lookup(raw)?;
                (m.kind == MatchKind::Exact).then(|| format!("{} in {}", quoted_code(m.code), s.id))
            })
            .take(2)
            .collect()
    }

    /// The message and suggestion for `rule` about `raw`, given what [`Explainer::classify`]
    /// found.
    pub(crate) fn describe(
        &self,
        rule: Rule,
        s: &Scheme,
        raw: &str,
        why: Why<'_>,
    ) -> (String, Option<String>) {
        let sid = s.id.as_str();
        match (rule, why) {
            (Rule::ExcelScientific, Why::Rounded) => (
                format!(
                    "`{raw}` looks like a long numeric code that Excel stored as a number: Excel keeps \
                 15 significant digits, so its last digits may have been replaced by zeros{}",
                    rounded_from(s, raw)
                ),
                Some(REEXPORT_AS_TEXT.to_owned()),
            ),
            (Rule::ExcelScientific, _) => (
                format!(
                    "`{raw}` is a number in Excel's scientific notation: Excel replaced a long \
                 numeric code and its last digits are lost{}",
                    lost_from(s, raw)
                ),
                Some(REEXPORT_AS_TEXT.to_owned()),
            ),
            (Rule::ExcelLeadingZero, Why::LeadingZero(code)) => (
                format!(
                    "`{raw}` is not a code of {sid}, but {} is: Excel removes leading zeros from \
                 numbers",
                    quoted_code(code)
                ),
                Some(format!(
                    "Use `{}`; in Excel, format the column as Text before saving.",
                    code.key()
                )),
            ),
            (Rule::ObservedCode, Why::Observed(obs, code)) => {
                let residual = residual_codes(s);
                (
                    format!(
                        "`{raw}` is the officer-observed code {} of {}: an officer's view of a \
                     person's appearance, not their self-defined ethnicity, which {sid} records",
                        quoted_code(code),
                        obs.id
                    ),
                    Some(if residual.is_empty() {
                        "Record the person's own answer.".to_owned()
                    } else {
                        format!(
                            "Record the person's own answer, or the scheme's code: {}.",
                            residual.join("; ")
                        )
                    }),
                )
            }
            (Rule::OtherSchemeCode, Why::Elsewhere(first)) => {
                let found: Vec<(&Scheme, &Code)> = self.elsewhere(s, raw).take(3).collect();
                let list: Vec<String> = found
                    .iter()
                    .map(|(s, c)| format!("{} in {}", quoted_code(c), s.id))
                    .collect();
                // Suggest the declared scheme's code only when every scheme the value is found in
                // means the same thing by it.
                let agreed = found.iter().all(|(_, c)| c.map.target == first.map.target);
                let suggestion = agreed.then(|| in_declared(s, &first.map)).flatten();
                (
                    format!(
                        "`{raw}` is not a {} of {sid}; it is {}",
                        what(s),
                        list.join(", ")
                    ),
                    suggestion,
                )
            }
            (Rule::UnknownCode, _) => unknown_code(s, raw, why),
            (r, _) => (r.summary().to_owned(), None),
        }
    }
}

/// The codes of `s` Excel would show as `raw` once rounded to 15 significant digits, as the end
/// of a WM007 message: which codes it may have been, none of them recoverable from the file.
fn rounded_from(s: &Scheme, raw: &str) -> String {
    let t = raw.trim();
    let from: Vec<String> = s
        .codes()
        .iter()
        .filter(|c| excel_rounded(c.key()).as_deref() == Some(t))
        .map(quoted_code)
        .collect();
    match from.len() {
        0 => String::new(),
        1 => format!(
            "; of the codes of {}, only {} would be shown so (a code outside the list could be too)",
            s.id, from[0]
        ),
        n => format!(
            "; {n} codes of {} would be shown so: {}",
            s.id,
            from.join(", ")
        ),
    }
}

/// How many codes of `s` scientific notation that lost digits (`9.76631E+14`) could have been,
/// as the end of a WM007 message.
fn lost_from(s: &Scheme, raw: &str) -> String {
    let Some((lead, len)) = excel_lost_digits(raw) else {
        return String::new();
    };
    let n = s
        .codes()
        .iter()
        .filter(|c| {
            let k = c.key();
            k.len() == len && k.starts_with(&lead) && k.bytes().all(|b| b.is_ascii_digit())
        })
        .count();
    match n {
        0 => String::new(),
        1 => format!(
            "; one code of {} has {len} digits beginning {lead}, but the file cannot say it was that one",
            s.id
        ),
        n => format!(
            "; it could be any of the {n} codes of {} that have {len} digits beginning {lead}",
            s.id
        ),
    }
}

/// What the declared scheme `s` has for a meaning given in another scheme, as the crosswalk says
/// it (`wm-ethnicity crosswalk`): the same advice everywhere. Where no single code holds the
/// meaning, the candidates and what `--policy most-likely` would choose (or that nothing is
/// documented); nothing where the scheme has no code for it.
fn in_declared(s: &Scheme, map: &Mapping) -> Option<String> {
    let e = crosswalk::encode(s, map);
    let note = format!("Crosswalk: {}", e.note);
    match (e.loss, e.code) {
        (Loss::None, Some(c)) => Some(format!(
            "The {} of {} for that is {}.",
            what(s),
            s.id,
            quoted_code(c)
        )),
        (Loss::Generalised, Some(_)) => Some(format!("{note}.")),
        (Loss::Ambiguous, Some(_)) => Some(format!(
            "{note}: `convert --policy most-likely` chooses it, and flags the choice."
        )),
        (Loss::Ambiguous, None) => Some(format!("{note}: ask which was meant.")),
        _ => None,
    }
}

/// The message and suggestion for a value that is not a code of `s` (WM001): the label of a
/// code, a short scheme's codes, or the nearest codes.
fn unknown_code(s: &Scheme, raw: &str, why: Why<'_>) -> (String, Option<String>) {
    let sid = s.id.as_str();
    let msg = format!("`{raw}` is not a {} of {sid} ({})", what(s), s.name);
    if let Why::Label(code) = why {
        return (
            format!("{msg}: it is the label of code {}", quoted_code(code)),
            Some(format!("Write the code `{}`.", code.key())),
        );
    }
    // A case-sensitive scheme (CTV3): the codes that differ only in case, all of them.
    if s.case_sensitive {
        let cased: Vec<String> = s
            .codes()
            .iter()
            .filter(|c| c.key().eq_ignore_ascii_case(raw.trim()))
            .map(quoted_code)
            .collect();
        if !cased.is_empty() {
            return (
                format!("{msg}: its codes are case-sensitive, and {} differ from it only in case", cased.join(" and ")),
                Some("Write the code in the case the source system gives it; it cannot be told from this file.".to_owned()),
            );
        }
    }
    // One character is too short for "nearest": list a short scheme instead.
    if raw.trim().chars().count() <= 1 {
        let keys: Vec<&str> = s
            .codes()
            .iter()
            .filter(|c| c.status == Status::Active)
            .map(Code::key)
            .collect();
        let list =
            (keys.len() <= 30).then(|| format!("The codes of {sid} are {}.", keys.join(", ")));
        return (msg, list);
    }
    // Swapped letters (APNK for APKN) are the commonest typing slip: those first.
    let mut near = s.nearest(raw, 3);
    near.sort_by_key(|k| !same_letters(k, raw));
    let near: Vec<String> = near
        .into_iter()
        .filter_map(|k| s.get(k))
        .map(|c| match s.keyed_by {
            KeyedBy::Code => quoted_code(c),
            KeyedBy::Label => format!("`{}`", c.label),
        })
        .collect();
    let suggestion = match near.len() {
        0 => None,
        1 => Some(format!("Did you mean {}?", near[0])),
        n => Some(format!(
            "Did you mean {} or {}?",
            near[..n - 1].join(", "),
            near[n - 1]
        )),
    };
    (msg, suggestion)
}

/// The message and suggestion for an empty cell in a column of `s` (WM004), as validation and
/// conversion both say it: the scheme's codes for declined, not obtained and not known, and how a
/// return's specification can count an empty cell as not known.
pub(crate) fn empty_cell(source: Source<'_>) -> (String, String) {
    let Source::Scheme(s) = source else {
        return (
            "no standard code given".to_owned(),
            "Record a standard code, or `not-known`; if the return's rules count an empty cell \
             as not known, say so in its specification (empty: not-known)."
                .to_owned(),
        );
    };
    let residual = residual_codes(s);
    let record = if residual.is_empty() {
        "Record the person's answer.".to_owned()
    } else {
        format!(
            "If the person was not asked or did not answer, record that with the scheme's code: \
             {}.",
            residual.join("; ")
        )
    };
    (
        format!("no {} {} given", s.id, what(s)),
        format!(
            "{record} If the return's rules count an empty cell as not known, say so in its \
             specification (empty: not-known)."
        ),
    )
}

/// A code as messages quote it: `KEY (label)`, or the label of a label-keyed code.
pub(crate) fn quoted_code(code: &Code) -> String {
    match &code.code {
        Some(key) => format!("{key} ({})", code.label),
        None => format!("`{}`", code.label),
    }
}

/// The active code of `scheme` with exactly this target, preferring a main (parentless) code.
pub(crate) fn same_target(scheme: &Scheme, target: Node) -> Option<&Code> {
    let mut found = scheme
        .codes()
        .iter()
        .filter(|c| c.map.target == target && c.status == Status::Active);
    let first = found.next()?;
    if first.parent.is_none() {
        return Some(first);
    }
    found.find(|c| c.parent.is_none()).or(Some(first))
}

pub(crate) fn residual_codes(scheme: &Scheme) -> Vec<String> {
    Residual::ALL
        .into_iter()
        .filter_map(|r| {
            same_target(scheme, Node::Residual(r))
                .map(|c| format!("{} for {}", c.key(), r.label().to_lowercase()))
        })
        .collect()
}

pub(crate) fn what(scheme: &Scheme) -> &'static str {
    match scheme.keyed_by {
        KeyedBy::Code => "code",
        KeyedBy::Label => "label",
    }
}

/// True when `a` and `b` hold the same letters in some order, ignoring case and spaces.
fn same_letters(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        let mut v: Vec<char> = s.trim().chars().flat_map(char::to_uppercase).collect();
        v.sort_unstable();
        v
    };
    key(a) == key(b)
}
