//! Small display helpers shared by the forms: 和暦 dates, times, numbers, code meanings.

use crate::codes::{self, CodeList};
use crate::month::{Date, YearMonth, parse_hhmm};

/// `YYYYMMDD` → 令和7年4月3日; `00000000` and empty → ""; anything else as it is.
pub(crate) fn date_ja(s: &str) -> String {
    match Date::parse(s) {
        Some(d) => d.japanese(),
        None if s.is_empty() || s.bytes().all(|b| b == b'0') => String::new(),
        None => s.to_string(),
    }
}

/// `YYYYMM` → 令和7年4月; `000000` and empty → ""; anything else as it is.
pub(crate) fn month_ja(s: &str) -> String {
    match YearMonth::parse(s) {
        Some(m) => m.japanese(),
        None if s.is_empty() || s.bytes().all(|b| b == b'0') => String::new(),
        None => s.to_string(),
    }
}

/// `HHMM` → `9:00`; `9999` (no time) and empty → ""; anything else as it is.
pub(crate) fn time(s: &str) -> String {
    match parse_hhmm(s) {
        Some((h, m)) => format!("{h}:{m:02}"),
        None if s.is_empty() || s == "9999" => String::new(),
        None => s.to_string(),
    }
}

/// `9:00～10:00`, or "" when neither end has a time.
pub(crate) fn time_range(start: &str, end: &str) -> String {
    let (a, b) = (time(start), time(end));
    if a.is_empty() && b.is_empty() {
        String::new()
    } else {
        format!("{a}～{b}")
    }
}

/// Minutes after midnight of an `HHMM` value.
pub(crate) fn minutes(s: &str) -> Option<u16> {
    parse_hhmm(s).map(|(h, m)| u16::from(h) * 60 + u16::from(m))
}

/// An integer with thousands separators (`-1,234`); other text as it is.
pub(crate) fn num(s: &str) -> String {
    let Ok(n) = s.parse::<i64>() else {
        return s.to_string();
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a code means on the paper form; the code itself when the list does not know it.
pub(crate) fn meaning(list: &CodeList, code: &str) -> String {
    list.meaning(code)
        .map_or_else(|| code.to_string(), str::to_string)
}

/// `21（要介護１）` for summaries; "" when empty.
pub(crate) fn coded(list: &CodeList, code: &str) -> String {
    match list.meaning(code) {
        Some(m) => format!("{code}（{m}）"),
        None => code.to_string(),
    }
}

/// The name of a サービス種類コード, or the code.
pub(crate) fn kind_name(kind: &str) -> String {
    codes::service_kind_name(kind).map_or_else(|| kind.to_string(), str::to_string)
}

/// The サービス種類 part of a サービスコード.
pub(crate) fn kind_of(service_code: &str) -> &str {
    service_code.get(..2).unwrap_or(service_code)
}

/// Weekday initial of a day in a month (月火水木金土日).
pub(crate) const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// Keeps the first line of free text, cut to `max` characters with an ellipsis.
pub(crate) fn short(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    let mut out: String = line.chars().take(max).collect();
    if line.chars().count() > max || s.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(date_ja("20250403"), "令和7年4月3日");
        assert_eq!(date_ja("00000000"), "");
        assert_eq!(month_ja("202504"), "令和7年4月");
        assert_eq!(time("0900"), "9:00");
        assert_eq!(time("9999"), "");
        assert_eq!(time_range("0900", "1030"), "9:00～10:30");
        assert_eq!(num("1234567"), "1,234,567");
        assert_eq!(num("-600"), "-600");
        assert_eq!(num("x"), "x");
        assert_eq!(meaning(&codes::CARE_LEVEL, "21"), "要介護１");
        assert_eq!(coded(&codes::SEX, "1"), "1（男性）");
        assert_eq!(short("あいうえお\nかき", 3), "あいう…");
    }
}
