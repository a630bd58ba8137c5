//! Time studies: records from a slot grid (5/10/15-minute slots) or start/stop taps, or from a
//! CSV; composition per person, office, center or 圏域, day and night; before/after comparison
//! with n, mean and median (means alone mislead: Miyazaki's 実績登録 had mean 174.7, median 90).
//!
//! # Record CSV
//! | column       | required | meaning                                                          |
//! |--------------|----------|------------------------------------------------------------------|
//! | 対象者ID     | yes      | a person id, never a name                                        |
//! | 日付         | yes      | `2025-06-30`                                                     |
//! | 開始         | yes      | `9:05` (`24:30` and later continue into the next day)            |
//! | 終了 or 分   | one      | end time (earlier than 開始 = past midnight) or minutes          |
//! | 業務         | yes      | the category's code or name in the chosen set                    |
//! | 時期         | no       | 前 / 後 (導入前 / 導入後, before / after); else the caller's default |
//! | 事業所番号   | no       |                                                                  |
//! | センター     | no       | 地域包括支援センター                                             |
//! | 圏域コード   | no       |                                                                  |
//! | 件数, 枚数   | no       | items handled and sheets used in the record (for the effect model) |

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::areas::Assignments;
use crate::categories::CategorySet;
use crate::day::Day;
use crate::input::{CsvTable, InputError};
use crate::offices::OfficeNo;
use crate::stats::Summary;

const DAY_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// A study without before/after.
    Single,
    Before,
    After,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Single => "",
            Phase::Before => "導入前",
            Phase::After => "導入後",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let t: String = s
            .nfkc()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        match t.as_str() {
            "" => Some(Phase::Single),
            "前" | "導入前" | "before" | "事前" => Some(Phase::Before),
            "後" | "導入後" | "after" | "事後" => Some(Phase::After),
            _ => None,
        }
    }
}

/// Who and where a record belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub person: String,
    pub office: Option<OfficeNo>,
    pub center: Option<String>,
    pub area: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRecord {
    pub subject: Subject,
    pub phase: Phase,
    pub day: Day,
    /// Minute of `day` the work started (0–1439).
    pub start: u32,
    pub minutes: u32,
    pub category: String,
    pub count: u32,
    pub sheets: u32,
}

/// One person's day as a grid of equal slots, each holding a category code or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotGrid {
    pub subject: Subject,
    pub phase: Phase,
    pub day: Day,
    /// Minute of the first slot.
    pub start: u32,
    pub slot_minutes: u32,
    pub slots: Vec<Option<String>>,
}

impl SlotGrid {
    /// Consecutive slots of the same category become one record.
    pub fn records(&self) -> Vec<TimeRecord> {
        let mut out: Vec<TimeRecord> = Vec::new();
        let mut prev: Option<&str> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            let at = self.start + i as u32 * self.slot_minutes;
            match slot.as_deref() {
                Some(c) if prev == Some(c) => {
                    if let Some(last) = out.last_mut() {
                        last.minutes += self.slot_minutes;
                    }
                }
                Some(c) => out.push(TimeRecord {
                    subject: self.subject.clone(),
                    phase: self.phase,
                    day: self.day,
                    start: at % DAY_MINUTES,
                    minutes: self.slot_minutes,
                    category: c.to_string(),
                    count: 0,
                    sheets: 0,
                }),
                None => {}
            }
            prev = slot.as_deref();
        }
        // A grid that starts late in the day carries into the next one.
        for r in &mut out {
            let abs = self.start + (r.start + DAY_MINUTES - self.start % DAY_MINUTES) % DAY_MINUTES;
            if abs >= DAY_MINUTES {
                r.day = r.day.next();
            }
        }
        out
    }

    /// Slots left empty (an app flags these before the day is closed).
    pub fn unfilled(&self) -> usize {
        self.slots.iter().filter(|s| s.is_none()).count()
    }
}

/// A start/stop measurement (tap to start, tap to stop).
pub fn from_start_stop(
    subject: Subject,
    phase: Phase,
    category: &str,
    start: (Day, u32),
    stop: (Day, u32),
) -> Option<TimeRecord> {
    let days = start.0.days_until(stop.0);
    let minutes = days * i64::from(DAY_MINUTES) + i64::from(stop.1) - i64::from(start.1);
    if minutes <= 0 || start.1 >= DAY_MINUTES || stop.1 > DAY_MINUTES {
        return None;
    }
    Some(TimeRecord {
        subject,
        phase,
        day: start.0,
        start: start.1,
        minutes: u32::try_from(minutes).ok()?,
        category: category.to_string(),
        count: 0,
        sheets: 0,
    })
}

/// `9:05`, `09:05:00`, `0905`, `24:30` → minutes after midnight (up to 48:00).
pub fn parse_clock(s: &str) -> Option<u32> {
    let s: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
    let (h, m) = match s.split_once(':') {
        Some((h, rest)) => (h.to_string(), rest.split(':').next()?.to_string()),
        None if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) => {
            (s[..2].to_string(), s[2..].to_string())
        }
        None => return None,
    };
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    // `then`, not `then_some`: the product must not be computed for an out-of-range hour
    // (found by fuzzing: `99999999:00` overflowed).
    (h <= 48 && m < 60)
        .then(|| h * 60 + m)
        .filter(|&t| t <= 2 * DAY_MINUTES)
}

/// Reads a record CSV (see the module docs) against a category set.
pub fn parse_records(
    file: &str,
    bytes: &[u8],
    set: &CategorySet,
    default_phase: Phase,
) -> Result<(Vec<TimeRecord>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_person = t.require(&["対象者ID", "対象者", "職員ID"])?;
    let c_day = t.require(&["日付"])?;
    let c_start = t.require(&["開始", "開始時刻"])?;
    let c_end = t.column(&["終了", "終了時刻"]);
    let c_min = t.column(&["分", "時間（分）", "所要時間"]);
    if c_end.is_none() && c_min.is_none() {
        t.require(&["終了"])?;
    }
    let c_cat = t.require(&["業務", "業務コード", "項目"])?;
    let c_phase = t.column(&["時期"]);
    let c_office = t.column(&["事業所番号"]);
    let c_center = t.column(&["センター", "地域包括支援センター"]);
    let c_area = t.column(&["圏域コード"]);
    let c_count = t.column(&["件数"]);
    let c_sheets = t.column(&["枚数"]);
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        let err = |col: usize, msg: &str| {
            InputError::at(
                "E-INS-TS",
                file,
                r.line,
                Some(t.name(col)),
                format!("{msg}。この行は読み飛ばしました"),
            )
        };
        let person = r.get(Some(c_person));
        if person.is_empty() {
            issues.push(err(c_person, "対象者IDが空です"));
            continue;
        }
        let Some(day) = Day::parse(r.get(Some(c_day))) else {
            issues.push(err(c_day, "日付は 2025-06-30 の形で書いてください"));
            continue;
        };
        let Some(start) = parse_clock(r.get(Some(c_start))) else {
            issues.push(err(c_start, "開始は 9:05 の形で書いてください"));
            continue;
        };
        let minutes = match (r.get(c_min), r.get(c_end)) {
            (m, _) if !m.is_empty() => match m.nfkc().collect::<String>().parse::<u32>() {
                Ok(m) if m > 0 && m <= 2 * DAY_MINUTES => m,
                _ => {
                    issues.push(err(c_min.unwrap_or(c_start), "分は1以上の整数です"));
                    continue;
                }
            },
            (_, e) => match parse_clock(e) {
                // An end before the start is past midnight.
                Some(end) => {
                    let end = if end <= start { end + DAY_MINUTES } else { end };
                    end - start
                }
                None => {
                    issues.push(err(
                        c_end.unwrap_or(c_start),
                        "終了は 17:30 の形で書いてください",
                    ));
                    continue;
                }
            },
        };
        let Some(cat) = set.find(r.get(Some(c_cat))) else {
            issues.push(err(
                c_cat,
                &format!(
                    "業務「{}」は「{}」にありません",
                    r.get(Some(c_cat)),
                    set.name
                ),
            ));
            continue;
        };
        let phase = match r.get(c_phase) {
            "" => default_phase,
            s => match Phase::parse(s) {
                Some(p) => p,
                None => {
                    issues.push(err(
                        c_phase.unwrap_or(c_start),
                        "時期は「前」か「後」で書いてください",
                    ));
                    continue;
                }
            },
        };
        let office = match r.get(c_office) {
            "" => None,
            s => match OfficeNo::parse_lenient(s) {
                Some((o, _)) => Some(o),
                None => {
                    issues.push(err(
                        c_office.unwrap_or(c_start),
                        "事業所番号は英数字10文字です",
                    ));
                    continue;
                }
            },
        };
        let number = |c: Option<usize>| {
            r.get(c)
                .nfkc()
                .collect::<String>()
                .parse::<u32>()
                .unwrap_or(0)
        };
        let (day, start) = if start >= DAY_MINUTES {
            (day.next(), start - DAY_MINUTES)
        } else {
            (day, start)
        };
        out.push(TimeRecord {
            subject: Subject {
                person: person.to_string(),
                office,
                center: Some(r.get(c_center).to_string()).filter(|s| !s.is_empty()),
                area: Some(r.get(c_area).to_string()).filter(|s| !s.is_empty()),
            },
            phase,
            day,
            start,
            minutes,
            category: cat.code.clone(),
            count: number(c_count),
            sheets: number(c_sheets),
        });
    }
    Ok((out, issues))
}

/// 夜間: from `start` to `end` (minutes after midnight; `start > end` wraps past midnight).
/// The default 22:00–5:00 is the 深夜 of the Labour Standards Act; set the city's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightHours {
    pub start: u32,
    pub end: u32,
}

impl Default for NightHours {
    fn default() -> Self {
        Self {
            start: 22 * 60,
            end: 5 * 60,
        }
    }
}

impl NightHours {
    /// Minutes of `[start, start + minutes)` (minutes after the record day's midnight) at night.
    pub fn night_minutes(&self, start: u32, minutes: u32) -> u32 {
        let (s, e) = (i64::from(start), i64::from(start) + i64::from(minutes));
        let (ns, ne) = (i64::from(self.start), i64::from(self.end));
        let day = i64::from(DAY_MINUTES);
        let mut total = 0;
        for k in -1..=(e / day + 1) {
            let (ws, we) = if ns > ne {
                (k * day + ns, (k + 1) * day + ne)
            } else {
                (k * day + ns, k * day + ne)
            };
            total += (e.min(we) - s.max(ws)).max(0);
        }
        u32::try_from(total).unwrap_or(minutes).min(minutes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Shift {
    All,
    Day,
    Night,
}

impl Shift {
    pub fn label(self) -> &'static str {
        match self {
            Shift::All => "全体",
            Shift::Day => "日中",
            Shift::Night => "夜間",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupBy {
    All,
    Person,
    Office,
    Center,
    Area,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub code: String,
    pub name: String,
    pub minutes: u64,
    pub percent: Option<f64>,
}

/// The make-up of the time of one person/office/center/area, in one phase and shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositionRow {
    pub key: String,
    pub phase: Phase,
    pub shift: Shift,
    pub persons: u32,
    pub total_minutes: u64,
    pub groups: Vec<Share>,
    pub categories: Vec<Share>,
}

const NOT_SET: &str = "（未設定）";

fn key_of(r: &TimeRecord, by: GroupBy, assignments: Option<&Assignments>) -> String {
    let via = |f: fn(&Assignments, &OfficeNo) -> Option<String>| {
        r.subject
            .office
            .as_ref()
            .and_then(|o| assignments.and_then(|a| f(a, o)))
    };
    let k = match by {
        GroupBy::All => Some("合計".to_string()),
        GroupBy::Person => Some(r.subject.person.clone()),
        GroupBy::Office => r.subject.office.map(|o| o.to_string()),
        GroupBy::Center => r
            .subject
            .center
            .clone()
            .or_else(|| via(|a, o| a.center_of(o).map(str::to_string))),
        GroupBy::Area => r
            .subject
            .area
            .clone()
            .or_else(|| via(|a, o| a.area_of(o).map(str::to_string))),
    };
    k.unwrap_or_else(|| NOT_SET.to_string())
}

/// Composition per key × phase × shift (全体, 日中, 夜間), with every group and category of the
/// set listed (zeros included, so charts line up).
pub fn composition(
    records: &[TimeRecord],
    set: &CategorySet,
    by: GroupBy,
    night: NightHours,
    assignments: Option<&Assignments>,
) -> Vec<CompositionRow> {
    type Acc = (BTreeSet<String>, BTreeMap<String, u64>);
    let mut acc: BTreeMap<(String, Phase, Shift), Acc> = BTreeMap::new();
    for r in records {
        if set.category(&r.category).is_none() {
            continue;
        }
        let key = key_of(r, by, assignments);
        let n = night.night_minutes(r.start, r.minutes);
        for (shift, m) in [
            (Shift::All, r.minutes),
            (Shift::Day, r.minutes - n),
            (Shift::Night, n),
        ] {
            let e = acc.entry((key.clone(), r.phase, shift)).or_default();
            if m > 0 {
                e.0.insert(r.subject.person.clone());
            }
            *e.1.entry(r.category.clone()).or_insert(0) += u64::from(m);
        }
    }
    acc.into_iter()
        .map(|((key, phase, shift), (persons, by_cat))| {
            let total: u64 = by_cat.values().sum();
            let pct = |m: u64| (total > 0).then(|| m as f64 * 100.0 / total as f64);
            let categories = set
                .categories
                .iter()
                .map(|c| {
                    let m = by_cat.get(&c.code).copied().unwrap_or(0);
                    Share {
                        code: c.code.clone(),
                        name: c.name.clone(),
                        minutes: m,
                        percent: pct(m),
                    }
                })
                .collect::<Vec<_>>();
            let groups = set
                .groups
                .iter()
                .map(|g| {
                    let m = set
                        .categories
                        .iter()
                        .filter(|c| c.group == g.code)
                        .map(|c| by_cat.get(&c.code).copied().unwrap_or(0))
                        .sum();
                    Share {
                        code: g.code.clone(),
                        name: g.name.clone(),
                        minutes: m,
                        percent: pct(m),
                    }
                })
                .collect();
            CompositionRow {
                key,
                phase,
                shift,
                persons: persons.len() as u32,
                total_minutes: total,
                groups,
                categories,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    Category,
    Group,
}

/// What one value of the comparison is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A person's total minutes in the phase.
    PerPerson,
    /// A person's total divided by the days they recorded in the phase.
    PerPersonDay,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub code: String,
    pub name: String,
    /// Over the persons who did the work in that phase (like Miyazaki's averages).
    pub before: Summary,
    pub after: Summary,
    pub mean_change: Option<f64>,
    pub median_change: Option<f64>,
    /// Change of the mean relative to before, in percent.
    pub mean_change_percent: Option<f64>,
}

/// Before/after per category or group.
pub fn compare(
    records: &[TimeRecord],
    set: &CategorySet,
    level: Level,
    unit: Unit,
) -> Vec<Comparison> {
    let code_of = |r: &TimeRecord| -> Option<String> {
        let c = set.category(&r.category)?;
        Some(match level {
            Level::Category => c.code.clone(),
            Level::Group => c.group.clone(),
        })
    };
    let mut days: BTreeMap<(Phase, &str), BTreeSet<Day>> = BTreeMap::new();
    let mut minutes: BTreeMap<(String, Phase, &str), u64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.phase != Phase::Single) {
        let Some(code) = code_of(r) else { continue };
        days.entry((r.phase, r.subject.person.as_str()))
            .or_default()
            .insert(r.day);
        *minutes
            .entry((code, r.phase, r.subject.person.as_str()))
            .or_insert(0) += u64::from(r.minutes);
    }
    let items: Vec<(String, String)> = match level {
        Level::Category => set
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect(),
        Level::Group => set
            .groups
            .iter()
            .map(|g| (g.code.clone(), g.name.clone()))
            .collect(),
    };
    items
        .into_iter()
        .map(|(code, name)| {
            let values = |phase: Phase| -> Vec<f64> {
                minutes
                    .iter()
                    .filter(|((c, p, _), m)| *c == code && *p == phase && **m > 0)
                    .map(|((_, p, person), m)| {
                        let d = match unit {
                            Unit::PerPerson => 1,
                            Unit::PerPersonDay => {
                                days.get(&(*p, *person)).map_or(1, |s| s.len().max(1))
                            }
                        };
                        *m as f64 / d as f64
                    })
                    .collect()
            };
            let before = Summary::of(&values(Phase::Before));
            let after = Summary::of(&values(Phase::After));
            let diff = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
            Comparison {
                mean_change: diff(before.mean, after.mean),
                median_change: diff(before.median, after.median),
                mean_change_percent: match (before.mean, after.mean) {
                    (Some(b), Some(a)) if b > 0.0 => Some((a - b) * 100.0 / b),
                    _ => None,
                },
                code,
                name,
                before,
                after,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn huge_hours_are_refused_without_overflow() {
        assert_eq!(parse_clock("99999999:00"), None);
        assert_eq!(parse_clock("4294967295:59"), None);
        assert_eq!(parse_clock("48:00"), Some(2880));
    }

    use super::*;

    fn d(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn subject(p: &str) -> Subject {
        Subject {
            person: p.into(),
            ..Subject::default()
        }
    }

    fn rec(p: &str, phase: Phase, day: &str, start: u32, minutes: u32, cat: &str) -> TimeRecord {
        TimeRecord {
            subject: subject(p),
            phase,
            day: d(day),
            start,
            minutes,
            category: cat.into(),
            count: 0,
            sheets: 0,
        }
    }

    #[test]
    fn clock() {
        assert_eq!(parse_clock("9:05"), Some(545));
        assert_eq!(parse_clock("０９：０５：３０"), Some(545));
        assert_eq!(parse_clock("2330"), Some(1410));
        assert_eq!(parse_clock("24:30"), Some(1470));
        assert_eq!(parse_clock("9:60"), None);
        assert_eq!(parse_clock("abc"), None);
    }

    #[test]
    fn slot_grid_merges_and_flags() {
        let g = SlotGrid {
            subject: subject("p1"),
            phase: Phase::Single,
            day: d("2025-06-02"),
            start: 23 * 60 + 45,
            slot_minutes: 5,
            slots: vec![
                Some("1".into()),
                Some("1".into()),
                None,
                Some("1".into()),
                Some("22".into()),
                Some("22".into()),
            ],
        };
        let r = g.records();
        assert_eq!(g.unfilled(), 1);
        let got: Vec<(String, u32, u32, &str)> = r
            .iter()
            .map(|r| (r.day.to_string(), r.start, r.minutes, r.category.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2025-06-02".into(), 1425, 10, "1"),
                ("2025-06-03".into(), 0, 5, "1"),
                ("2025-06-03".into(), 5, 10, "22"),
            ]
        );
    }

    #[test]
    fn start_stop_across_midnight() {
        let r = from_start_stop(
            subject("p"),
            Phase::Single,
            "22",
            (d("2025-06-02"), 23 * 60),
            (d("2025-06-03"), 60),
        )
        .unwrap();
        assert_eq!(r.minutes, 120);
        assert!(
            from_start_stop(
                subject("p"),
                Phase::Single,
                "22",
                (d("2025-06-02"), 60),
                (d("2025-06-02"), 60)
            )
            .is_none()
        );
    }

    #[test]
    fn night_split() {
        let n = NightHours::default();
        assert_eq!(n.night_minutes(21 * 60, 120), 60); // 21–23: 22–23 at night
        assert_eq!(n.night_minutes(4 * 60, 120), 60); // 4–6: 4–5 at night
        assert_eq!(n.night_minutes(12 * 60, 60), 0);
        assert_eq!(n.night_minutes(23 * 60, 8 * 60), 6 * 60); // 23–7 next day: 23–5
        assert_eq!(
            NightHours {
                start: 0,
                end: 6 * 60
            }
            .night_minutes(5 * 60, 120),
            60
        );
    }

    /// p1: 60 min 直接介護 (A) in the day, 30 min 記録 (B) 22:00–22:30 → 日中 A 100%, 夜間 B 100%,
    /// 全体 A 66.7%.
    #[test]
    fn composition_day_and_night() {
        let set = CategorySet::care_worker();
        let rs = vec![
            rec("p1", Phase::Single, "2025-06-02", 9 * 60, 60, "1"),
            rec("p1", Phase::Single, "2025-06-02", 22 * 60, 30, "11"),
        ];
        let c = composition(&rs, &set, GroupBy::Person, NightHours::default(), None);
        assert_eq!(c.len(), 3);
        let all = c.iter().find(|r| r.shift == Shift::All).unwrap();
        assert_eq!(all.total_minutes, 90);
        assert_eq!(all.groups[0].minutes, 60);
        assert!((all.groups[0].percent.unwrap() - 66.666).abs() < 0.01);
        let night = c.iter().find(|r| r.shift == Shift::Night).unwrap();
        assert_eq!(
            (night.groups[1].minutes, night.groups[1].percent),
            (30, Some(100.0))
        );
        assert_eq!(all.categories.len(), 24);
    }

    /// FAX minutes per person: before 40, 20, 30, 10 (n 4, mean 25, median 25); after 5, 15
    /// (n 2, mean 10, median 10). Change −15 (−60%).
    #[test]
    fn before_after() {
        let set = CategorySet::exchange();
        let mut rs = Vec::new();
        for (p, m) in [("a", 40), ("b", 20), ("c", 30), ("d", 10)] {
            rs.push(rec(p, Phase::Before, "2025-01-10", 600, m, "fax"));
        }
        rs.push(rec("a", Phase::After, "2025-03-10", 600, 5, "fax"));
        rs.push(rec("b", Phase::After, "2025-03-10", 600, 10, "fax"));
        rs.push(rec("b", Phase::After, "2025-03-11", 600, 5, "fax"));
        let c = compare(&rs, &set, Level::Category, Unit::PerPerson);
        let fax = c.iter().find(|c| c.code == "fax").unwrap();
        assert_eq!(
            (fax.before.n, fax.before.mean, fax.before.median),
            (4, Some(25.0), Some(25.0))
        );
        assert_eq!(
            (fax.after.n, fax.after.mean, fax.after.median),
            (2, Some(10.0), Some(10.0))
        );
        assert_eq!(fax.mean_change, Some(-15.0));
        assert_eq!(fax.mean_change_percent, Some(-60.0));
        // Per day: b recorded 2 days after → 7.5; a 5 → mean 6.25.
        let c = compare(&rs, &set, Level::Category, Unit::PerPersonDay);
        let fax = c.iter().find(|c| c.code == "fax").unwrap();
        assert_eq!(fax.after.mean, Some(6.25));
        let g = compare(&rs, &set, Level::Group, Unit::PerPerson);
        assert_eq!(g[0].code, "P");
        assert_eq!(g[0].before.total, 100.0);
    }

    #[test]
    fn csv_import() {
        let set = CategorySet::center();
        let csv = "対象者ID,センター,日付,開始,終了,分,業務,時期,件数\n\
                   s1,中央包括,2025-06-02,8:30,9:15,,総合相談支援,前,\n\
                   s1,中央包括,2025-06-02,23:30,0:30,,6,前,\n\
                   s2,中央包括,2025-06-02,9:00,,20,8,後,12\n\
                   s2,中央包括,2025-06-02,9:00,,20,未知の業務,後,\n\
                   s3,,2025/6/2,25:00,,10,1,,\n";
        let (rs, issues) = parse_records("ts.csv", csv.as_bytes(), &set, Phase::Single).unwrap();
        assert_eq!(rs.len(), 4);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, Some(5));
        assert_eq!(rs[0].minutes, 45);
        assert_eq!(rs[1].minutes, 60);
        assert_eq!(
            (rs[2].phase, rs[2].count, rs[2].category.as_str()),
            (Phase::After, 12, "8")
        );
        assert_eq!(
            (rs[3].day.to_string(), rs[3].start, rs[3].phase),
            ("2025-06-03".to_string(), 60, Phase::Single)
        );
        let c = composition(&rs, &set, GroupBy::Center, NightHours::default(), None);
        assert!(c.iter().any(|r| r.key == "中央包括"
            && r.phase == Phase::Before
            && r.shift == Shift::Night
            && r.total_minutes == 60));
        assert!(c.iter().any(|r| r.key == "（未設定）"));
    }
}
