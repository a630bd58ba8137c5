//! A calendar day, written `2025-06-30`: the date of a snapshot, an answer or a record.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(time::Date);

impl Day {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Self)
    }

    /// Accepts `2025-06-30`, `2025/6/30`, `2025年6月30日`, each optionally followed by a time
    /// (`2025/06/30 12:34:56`, as form services and Excel write timestamps).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let date_part = s.split([' ', 'T', '\u{3000}']).next().unwrap_or("");
        let cleaned: String = date_part
            .chars()
            .map(|c| match c {
                '年' | '月' | '/' | '.' => '-',
                '日' => ' ',
                c => c,
            })
            .collect();
        let mut parts = cleaned.trim().split('-');
        let y = parts.next()?.trim().parse::<i32>().ok()?;
        let m = parts.next()?.trim().parse::<u8>().ok()?;
        let d = parts.next()?.trim().parse::<u8>().ok()?;
        if parts.next().is_some() || !(1900..=2999).contains(&y) {
            return None;
        }
        Self::new(y, m, d)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }
    pub fn month(self) -> u8 {
        self.0.month() as u8
    }
    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// `2025-06`: the month a day falls in, as used for monthly figures.
    pub fn year_month(self) -> String {
        format!("{:04}-{:02}", self.year(), self.month())
    }

    /// The last day of a `2025-06` month.
    pub fn end_of_month(year_month: &str) -> Option<Self> {
        let (y, m) = year_month.split_once('-')?;
        let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
        let first_of_next = if m == 12 {
            Self::new(y + 1, 1, 1)?
        } else {
            Self::new(y, m + 1, 1)?
        };
        first_of_next.0.previous_day().map(Self)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        (later.0 - self.0).whole_days()
    }

    /// The next calendar day (saturating at the end of the supported range).
    pub fn next(self) -> Self {
        Self(self.0.next_day().unwrap_or(self.0))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("日付ではありません: {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let d = Day::new(2025, 6, 30).unwrap();
        for s in [
            "2025-06-30",
            "2025/6/30",
            "2025/06/30 12:34:56",
            "2025年6月30日",
            " 2025.6.30 ",
        ] {
            assert_eq!(Day::parse(s), Some(d), "{s}");
        }
        for s in [
            "",
            "2025-02-30",
            "30/6/2025",
            "2025-6",
            "abc",
            "2025-06-30-1",
        ] {
            assert_eq!(Day::parse(s), None, "{s}");
        }
        assert_eq!(d.to_string(), "2025-06-30");
        assert_eq!(d.year_month(), "2025-06");
        assert_eq!(d.next().to_string(), "2025-07-01");
        assert_eq!(
            Day::end_of_month("2024-02").unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Day::end_of_month("2025-12").unwrap().to_string(),
            "2025-12-31"
        );
        assert_eq!(Day::end_of_month("2025-13"), None);
    }
}
