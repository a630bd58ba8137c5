//! Date arithmetic for the generator, and the clock that hands out ファイル連番.

use crate::file_name::Serial;
use crate::month::{Date, YearMonth, days_in_month};

/// The first day of a month.
pub(crate) fn first_day(m: YearMonth) -> Date {
    Date {
        year: m.year,
        month: m.month,
        day: 1,
    }
}

/// A day of a month, clamped to the month's last day.
pub(crate) fn day_of(m: YearMonth, day: u8) -> Date {
    Date {
        year: m.year,
        month: m.month,
        day: day.clamp(1, m.days()),
    }
}

/// The last day of a month.
pub(crate) fn last_day(m: YearMonth) -> Date {
    day_of(m, 31)
}

/// `n` months after (or before, when negative) a month.
pub(crate) fn add_months(m: YearMonth, n: i32) -> YearMonth {
    let index = i32::from(m.year) * 12 + i32::from(m.month) - 1 + n;
    YearMonth {
        year: (index.div_euclid(12)) as u16,
        month: (index.rem_euclid(12) + 1) as u8,
    }
}

/// `n` days after (or before) a date.
pub(crate) fn add_days(d: Date, n: i32) -> Date {
    let mut out = d;
    let mut n = n;
    while n > 0 {
        if out.day < days_in_month(out.year, out.month) {
            out.day += 1;
        } else {
            let next = out.year_month().next();
            out = first_day(next);
        }
        n -= 1;
    }
    while n < 0 {
        if out.day > 1 {
            out.day -= 1;
        } else {
            out = last_day(out.year_month().previous());
        }
        n += 1;
    }
    out
}

/// The day before the same date `n` months later: the end of a period that starts on `d`.
pub(crate) fn period_end(d: Date, months: i32) -> Date {
    let m = add_months(d.year_month(), months);
    add_days(day_of(m, d.day), -1)
}

/// `HHMM` for minutes after midnight.
pub(crate) fn hhmm(minutes: u16) -> String {
    format!("{:02}{:02}", minutes / 60, minutes % 60)
}

/// 和暦 date for free text: 令和7年4月1日.
pub(crate) fn japanese_date(d: Date) -> String {
    d.japanese()
}

/// Hands out strictly increasing ファイル連番 that are real timestamps.
pub(crate) struct SerialClock {
    date: Date,
    /// Seconds since midnight.
    seconds: u32,
}

impl SerialClock {
    pub(crate) fn new(date: Date) -> Self {
        Self { date, seconds: 0 }
    }

    /// Moves the clock forward to `date` at `seconds` unless it is already later.
    pub(crate) fn not_before(&mut self, date: Date, seconds: u32) {
        if (date, seconds) > (self.date, self.seconds) {
            self.date = date;
            self.seconds = seconds;
        }
    }

    /// Advances by `step` seconds (at least one) and returns the stamp.
    pub(crate) fn tick(&mut self, step: u32) -> Serial {
        self.seconds += step.max(1);
        while self.seconds >= 86_400 {
            self.seconds -= 86_400;
            self.date = add_days(self.date, 1);
        }
        let text = format!(
            "{}{:02}{:02}{:02}",
            self.date,
            self.seconds / 3600,
            self.seconds / 60 % 60,
            self.seconds % 60
        );
        // Always 14 ASCII digits: an 8-digit date (years 1900–2999) and three 2-digit fields.
        Serial::parse(&text).expect("a formatted timestamp is 14 digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn arithmetic() {
        assert_eq!(add_days(d("20250228"), 1), d("20250301"));
        assert_eq!(add_days(d("20250101"), -1), d("20241231"));
        assert_eq!(add_days(d("20240228"), 2), d("20240301"));
        let m = YearMonth::parse("202501").unwrap();
        assert_eq!(add_months(m, -1).to_string(), "202412");
        assert_eq!(add_months(m, 13).to_string(), "202602");
        assert_eq!(period_end(d("20250401"), 12), d("20260331"));
        assert_eq!(hhmm(9 * 60 + 5), "0905");
    }

    #[test]
    fn serials_increase_and_are_timestamps() {
        let mut c = SerialClock::new(d("20250331"));
        c.not_before(d("20250331"), 86_390);
        let a = c.tick(5);
        let b = c.tick(30);
        assert!(a < b);
        assert_eq!(b.as_str(), "20250401000025");
        assert!(b.is_real_timestamp());
        c.not_before(d("20250301"), 0);
        assert!(c.tick(1) > b);
    }
}
