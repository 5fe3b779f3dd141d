//! What a report, a rejection or an error may show of a record: the rule, written once.
//!
//! Ethnicity is special category personal data, and reports get emailed. So:
//! - only the value of the one column a message is about may be shown, and only when that column
//!   is a coded column (the value is what needs fixing);
//! - the values of id and date columns (a UPN, an NHS number, a date of birth) are never shown:
//!   a message says "record 8 has the same id as record 7" instead;
//! - a coded value is not shown either when it could carry other columns: a value spanning
//!   several lines (a quote never closed swallows the following columns and records) or one over
//!   [`MAX_SHOWN_CHARS`] characters;
//! - no other column of the record is ever shown.
//!
//! `docs/rules.md` ("What a finding never shows") and `docs/threat-model.md` say the same.

use crate::characteristic::Characteristic;
use crate::spec::Role;

/// The longest value a message shows, in characters.
pub const MAX_SHOWN_CHARS: usize = 100;

/// Why a value is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hidden {
    /// The value spans several lines, and may hold other columns of the record.
    SpansLines,
    /// The value is over [`MAX_SHOWN_CHARS`] characters, and may hold other columns.
    TooLong,
    /// The column is an id or a date (or any column not checked): its values identify people.
    NotACodedColumn,
    /// The column holds ages or dates of birth: they identify people.
    AgeOrBirthDate,
}

impl Hidden {
    /// Why, as a message says it after "the value is not shown: it …" or "… because".
    pub const fn reason(self) -> &'static str {
        match self {
            Hidden::SpansLines => {
                "spans several lines, perhaps because a quote was never closed, and may hold \
                 other columns"
            }
            Hidden::TooLong => "is over 100 characters long",
            Hidden::NotACodedColumn => {
                "is in an id, date or other column, whose values identify people"
            }
            Hidden::AgeOrBirthDate => "is an age or a date of birth, which identify people",
        }
    }
}

/// The value of a column of `role`, when a message may show it.
pub fn may_show(role: Role, value: &str) -> Result<&str, Hidden> {
    if role == Role::Characteristic(Characteristic::Age) {
        Err(Hidden::AgeOrBirthDate)
    } else if !matches!(role, Role::Coded | Role::Characteristic(_)) {
        Err(Hidden::NotACodedColumn)
    } else if value.contains(['\n', '\r']) {
        Err(Hidden::SpansLines)
    } else if value.chars().count() > MAX_SHOWN_CHARS {
        Err(Hidden::TooLong)
    } else {
        Ok(value)
    }
}

/// A coded value as a sentence quotes it: `` `A` ``, or a phrase saying it is not shown.
pub fn shown(raw: &str) -> String {
    match may_show(Role::Coded, raw) {
        Ok(v) => format!("`{v}`"),
        Err(_) => {
            "the value (not shown: it spans several lines or is over 100 characters)".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_short_one_line_coded_value_is_shown() {
        assert_eq!(may_show(Role::Coded, "WBRI"), Ok("WBRI"));
        assert_eq!(may_show(Role::Coded, " a "), Ok(" a "));
        assert_eq!(
            may_show(Role::Coded, &"x".repeat(100)).map(str::len),
            Ok(100)
        );
        assert_eq!(
            may_show(Role::Coded, &"x".repeat(101)),
            Err(Hidden::TooLong)
        );
        assert_eq!(may_show(Role::Coded, "A\",\"Jane"), Ok("A\",\"Jane"));
        assert_eq!(may_show(Role::Coded, "A\nB"), Err(Hidden::SpansLines));
        assert_eq!(may_show(Role::Coded, "A\rB"), Err(Hidden::SpansLines));
        for role in [Role::Id, Role::Date, Role::Other] {
            assert_eq!(may_show(role, "A123"), Err(Hidden::NotACodedColumn));
            assert_eq!(may_show(role, ""), Err(Hidden::NotACodedColumn));
        }
        let age = Role::Characteristic(Characteristic::Age);
        assert_eq!(may_show(age, "2010-03-22"), Err(Hidden::AgeOrBirthDate));
        let sex = Role::Characteristic(Characteristic::Sex);
        assert_eq!(may_show(sex, "Q"), Ok("Q"));
    }

    #[test]
    fn shown_quotes_or_withholds() {
        assert_eq!(shown("J"), "`J`");
        assert!(!shown("A\n1234567890").contains("1234567890"));
        assert!(!shown(&"9".repeat(101)).contains("999"));
    }
}
