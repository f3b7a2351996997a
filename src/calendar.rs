//! Calendar months: the model's unit of time.
//!
//! A [`Month`] is written `"YYYY-MM"` in scenario files and results (Julian calendar, month
//! precision, as in HISTORY.md), and `"YYYY-MM BCE"` before the common era (`"0431-05 BCE"`: the
//! historian's year, with no year zero, so `0001-12 BCE` is followed by `0001-01`). Internally
//! it is a single integer, `year * 12 + (month - 1)` with the astronomical year (1 BCE is year
//! 0, 431 BCE is −430), so month arithmetic is integer arithmetic across the era. The `year`
//! columns of results are astronomical years too (a number that sorts and subtracts).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar month, e.g. `1125-11`. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

/// Why a `"YYYY-MM"` string is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a month: expected \"YYYY-MM\" (or \"YYYY-MM BCE\") with year 0001..=9999 and month 01..=12", crate::text::quote(.text))]
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

    /// The month `year-month` before the common era (`bce(431, 5)` is May 431 BCE; year
    /// 1..=9999, month 1..=12). Returns `None` when out of range.
    pub fn bce(year: i32, month: u32) -> Option<Month> {
        if (1..=9999).contains(&year) && (1..=12).contains(&month) {
            Some(Month((1 - year) * 12 + month as i32 - 1))
        } else {
            None
        }
    }

    /// The astronomical year: the calendar year in the common era, `1 − year` before it (1 BCE
    /// is 0).
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

/// A year as historians write it: `1125`, or `431 BCE` for the astronomical year −430.
pub fn year_label(astronomical: i32) -> String {
    if astronomical > 0 {
        astronomical.to_string()
    } else {
        format!("{} BCE", 1 - astronomical)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let y = self.year();
        if y > 0 {
            write!(f, "{y:04}-{:02}", self.month_of_year())
        } else {
            write!(f, "{:04}-{:02} BCE", 1 - y, self.month_of_year())
        }
    }
}

impl FromStr for Month {
    type Err = MonthParseError;

    fn from_str(text: &str) -> Result<Month, MonthParseError> {
        let err = || MonthParseError {
            text: text.to_string(),
        };
        let (date, bce) = match text.strip_suffix(" BCE") {
            Some(date) => (date, true),
            None => (text, false),
        };
        let (y, m) = date.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if bce {
            Month::bce(year, month).ok_or_else(err)
        } else {
            Month::new(year, month).ok_or_else(err)
        }
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
    fn counts_across_the_era() {
        let m: Month = "0431-05 BCE".parse().unwrap();
        assert_eq!(m.year(), -430);
        assert_eq!(m.month_of_year(), 5);
        assert_eq!(m.to_string(), "0431-05 BCE");
        assert_eq!(m.plus(8).to_string(), "0430-01 BCE");
        // No year zero: December 1 BCE is followed by January 1 CE.
        let last: Month = "0001-12 BCE".parse().unwrap();
        assert_eq!(last.plus(1).to_string(), "0001-01");
        assert_eq!(last.months_until("0001-01".parse().unwrap()), 1);
        let start: Month = "0435-01 BCE".parse().unwrap();
        assert_eq!(start.months_until("0421-12 BCE".parse().unwrap()), 15 * 12 - 1);
        assert_eq!(year_label(-430), "431 BCE");
        assert_eq!(year_label(1125), "1125");
        for text in ["0431-05 BCE", "0001-01 BCE", "9999-12 BCE", "0001-01", "9999-12"] {
            let m: Month = text.parse().unwrap();
            assert_eq!(m.to_string(), text);
        }
    }

    #[test]
    fn rejects_bad_months() {
        for bad in [
            "0000-01 BCE",
            "0431-05BCE",
            "0431-05 bce",
            "0431-13 BCE",
            "431-05 BCE",
            " BCE",
            "1125-13",
            "1125-00",
            "1125-1",
            "11251",
            "",
            "abcd-ef",
            "0000-01",
            "1125-011",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
