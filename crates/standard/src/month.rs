//! Calendar values of the standard: 西暦 `YYYYMM`, `YYYYMMDD`, `HHMM`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A real calendar month (`YYYYMM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl YearMonth {
    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((1900..=2999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// Parses exactly six ASCII digits forming a real month.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(s[..4].parse().ok()?, s[4..].parse().ok()?)
    }

    pub fn days(self) -> u8 {
        days_in_month(self.year, self.month)
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// 令和 display for forms: 2025-04 → 令和7年4月.
    pub fn japanese(self) -> String {
        format!("{}年{}月", era_year(self.year, self.month, 1), self.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("YYYYMM"))
    }
}

pub fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A real calendar date (`YYYYMMDD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let ym = YearMonth::parse(&s[..6])?;
        let day: u8 = s[6..].parse().ok()?;
        (1..=ym.days()).contains(&day).then_some(Self {
            year: ym.year,
            month: ym.month,
            day,
        })
    }

    pub fn year_month(self) -> YearMonth {
        YearMonth {
            year: self.year,
            month: self.month,
        }
    }

    /// Day of week, 0 = Monday … 6 = Sunday (Zeller-style, proleptic Gregorian).
    pub fn weekday(self) -> u8 {
        let (mut y, mut m) = (i32::from(self.year), i32::from(self.month));
        if m < 3 {
            m += 12;
            y -= 1;
        }
        let d = i32::from(self.day);
        // Sakamoto/Zeller variant giving 0 = Saturday.
        let h = (d + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400) % 7;
        // h: 0 = Saturday, 1 = Sunday, 2 = Monday …
        ((h + 5) % 7) as u8
    }

    pub fn japanese(self) -> String {
        format!(
            "{}年{}月{}日",
            era_year(self.year, self.month, self.day),
            self.month,
            self.day
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// `HHMM` on a 24-hour clock (00:00–23:59; 24:00 is accepted as the end of a day).
pub fn parse_hhmm(s: &str) -> Option<(u8, u8)> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u8 = s[..2].parse().ok()?;
    let m: u8 = s[2..].parse().ok()?;
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some((h, m))
}

/// 和暦 year for display (令和 from 2019-05-01, 平成 from 1989-01-08, 昭和 before).
pub fn era_year(year: u16, month: u8, day: u8) -> String {
    let ymd = (year, month, day);
    if ymd >= (2019, 5, 1) {
        let n = year - 2018;
        if n == 1 {
            "令和元".to_string()
        } else {
            format!("令和{n}")
        }
    } else if ymd >= (1989, 1, 8) {
        let n = year - 1988;
        if n == 1 {
            "平成元".to_string()
        } else {
            format!("平成{n}")
        }
    } else if ymd >= (1926, 12, 25) {
        format!("昭和{}", year - 1925)
    } else {
        format!("{year}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_dates() {
        assert!(YearMonth::parse("202504").is_some());
        assert!(YearMonth::parse("202513").is_none());
        assert!(YearMonth::parse("000000").is_none());
        assert!(Date::parse("20240229").is_some());
        assert!(Date::parse("20250229").is_none());
        assert!(Date::parse("20250431").is_none());
        assert!(Date::parse("2025043").is_none());
        assert_eq!(
            YearMonth::parse("202412").unwrap().next().to_string(),
            "202501"
        );
        assert_eq!(
            YearMonth::parse("202501").unwrap().previous().to_string(),
            "202412"
        );
    }

    #[test]
    fn weekday_is_monday_zero() {
        // 2025-04-01 was a Tuesday.
        assert_eq!(Date::parse("20250401").unwrap().weekday(), 1);
        // 2024-12-29 was a Sunday.
        assert_eq!(Date::parse("20241229").unwrap().weekday(), 6);
    }

    #[test]
    fn times() {
        assert_eq!(parse_hhmm("0930"), Some((9, 30)));
        assert_eq!(parse_hhmm("2400"), Some((24, 0)));
        assert_eq!(parse_hhmm("2460"), None);
        assert_eq!(parse_hhmm("9999"), None);
    }

    #[test]
    fn eras() {
        assert_eq!(YearMonth::parse("202504").unwrap().japanese(), "令和7年4月");
        assert_eq!(era_year(2019, 4, 30), "平成31");
        assert_eq!(era_year(1940, 1, 1), "昭和15");
    }
}
