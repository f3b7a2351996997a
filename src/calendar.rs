//! Calendar months: the model's unit of time.
//!
//! A [`Month`] is written `"YYYY-MM"` in scenario files and results (Julian calendar, month
//! precision, as in HISTORY.md). Internally it is a single integer, `year * 12 + (month - 1)`, so
//! month arithmetic is integer arithmetic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar month, e.g. `1125-11`. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

/// Why a `"YYYY-MM"` string is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a month: expected \"YYYY-MM\" with year 1..=9999 and month 01..=12")]
pub struct MonthParseError {
    /// The rejected text.
    pub text: String,
}

impl Month {
    /// The month `year-month` (month 1..=12). Returns `None` when out of range.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        if (1..=9999).contains(&year) && (1..=12).contains(&month) {
            Some(Month(year * 12 + month as i32 - 1))
        } else {
            None
        }
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month of the year, 1..=12.
    pub fn month_of_year(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// Number of months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i64 {
        i64::from(later.0) - i64::from(self.0)
    }

    /// The month `n` months after `self`.
    pub fn plus(self, n: u32) -> Month {
        Month(self.0 + n as i32)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month_of_year())
    }
}

impl FromStr for Month {
    type Err = MonthParseError;

    fn from_str(text: &str) -> Result<Month, MonthParseError> {
        let err = || MonthParseError {
            text: text.to_string(),
        };
        let (y, m) = text.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let m: Month = "1125-11".parse().unwrap();
        assert_eq!(m.year(), 1125);
        assert_eq!(m.month_of_year(), 11);
        assert_eq!(m.to_string(), "1125-11");
        assert_eq!(m.plus(2).to_string(), "1126-01");
        let start: Month = "1115-01".parse().unwrap();
        assert_eq!(start.months_until("1142-12".parse().unwrap()), 335);
    }

    #[test]
    fn rejects_bad_months() {
        for bad in [
            "1125-13", "1125-00", "1125-1", "11251", "", "abcd-ef", "0000-01", "1125-011",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
