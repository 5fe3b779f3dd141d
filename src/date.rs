//! Calendar dates as councils write them: ISO `2024-09-01`, UK `01/09/2024`, or an Excel serial.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar date (proleptic Gregorian), ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` (optionally followed by a time, as Excel exports it), or `DD/MM/YYYY`.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let num = |t: &str| -> Option<u16> {
            if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()
        };
        if let Some((y, rest)) = s.split_once('-') {
            let (m, rest) = rest.split_once('-')?;
            let d = rest.split([' ', 'T']).next()?;
            if y.len() != 4 {
                return None;
            }
            return Date::new(
                num(y)?,
                u8::try_from(num(m)?).ok()?,
                u8::try_from(num(d)?).ok()?,
            );
        }
        let mut parts = s.split('/');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        let y = y.split(' ').next()?;
        if parts.next().is_some() || y.len() != 4 {
            return None;
        }
        Date::new(
            num(y)?,
            u8::try_from(num(m)?).ok()?,
            u8::try_from(num(d)?).ok()?,
        )
    }

    /// Whole years from this date to `on` (an age on `on` of someone born on this date); `None`
    /// when `on` is earlier.
    pub fn years_to(self, on: Date) -> Option<u16> {
        if on < self {
            return None;
        }
        let before_birthday = (on.month, on.day) < (self.month, self.day);
        Some(on.year - self.year - u16::from(before_birthday))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a date (YYYY-MM-DD)")))
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn parses_iso_and_uk_dates() {
        assert_eq!(Date::parse("2024-09-01"), Date::new(2024, 9, 1));
        assert_eq!(Date::parse("01/09/2024"), Date::new(2024, 9, 1));
        assert_eq!(Date::parse("2024-09-01 00:00:00"), Date::new(2024, 9, 1));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("29/02/2024"), Date::new(2024, 2, 29));
        assert_eq!(Date::parse("yesterday"), None);
    }

    #[test]
    fn years_to_counts_whole_years() {
        let born = Date::new(2010, 3, 21).unwrap();
        assert_eq!(born.years_to(Date::new(2021, 3, 20).unwrap()), Some(10));
        assert_eq!(born.years_to(Date::new(2021, 3, 21).unwrap()), Some(11));
        assert_eq!(born.years_to(Date::new(2010, 3, 21).unwrap()), Some(0));
        assert_eq!(born.years_to(Date::new(2010, 3, 20).unwrap()), None);
    }
}
