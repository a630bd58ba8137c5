//! A user's month of services: weekly visits, day services with their add-ons (入浴介助, 個別機能
//! 訓練, 送迎減算), monthly 福祉用具貸与 with TAIS codes (some 日割), short stays; and from them the
//! 第6表 予定/実績 records and the 第7表 with 種類別小計 and 全合計.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::calendar::{self, hhmm};
use super::offices::Office;
use crate::layout::{ServiceAnnex, ServiceLine};
use crate::month::{Date, YearMonth};

/// A 福祉用具 item: TAISコード or 福祉用具届出コード, and the 用具名称（機種名）.
#[derive(Debug, Clone)]
pub(crate) struct Equipment {
    pub tais: String,
    pub notified: String,
    pub name: String,
}

/// One row of the 第6表: a service line and the days of the month it falls on.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Index of the provider office.
    pub provider: usize,
    pub code: &'static str,
    /// 単位数 per time, before any discount; negative for 減算.
    pub units: i32,
    /// Start and end in minutes after midnight; `None` = 9999 (no time shown).
    pub time: Option<(u16, u16)>,
    /// サービス回数 per day.
    pub count: u8,
    pub days: Vec<u8>,
    pub equipment: Option<Equipment>,
    pub detail_no: Option<u8>,
    /// 日割対象日 (31 characters) for a 日割 line.
    pub day_flags: Option<String>,
    pub satellite_no: Option<u8>,
    /// A visit the provider may shift or cancel in its 実績 (not monthly lines, not add-ons
    /// without their own time).
    pub visit: bool,
}

/// A 第3表 weekly slot.
#[derive(Debug, Clone)]
pub(crate) struct WeeklySlot {
    pub content: String,
    /// 1 = 月曜日 … 7 = 日曜日.
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
}

/// What one provider does for one user in the month.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProviderPlan {
    pub rows: Vec<Row>,
    pub weekly: Vec<WeeklySlot>,
    pub non_weekly: Vec<String>,
    /// Weekdays (0 = Monday) of the main weekly visits, for 頻度 text.
    pub weekdays: Vec<u8>,
    /// Days of a short stay.
    pub stay_days: u32,
}

const WEEKDAY_NAMES: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// 「週2回（月・木）」.
pub(crate) fn frequency_text(weekdays: &[u8]) -> String {
    let names: Vec<&str> = weekdays
        .iter()
        .filter_map(|d| WEEKDAY_NAMES.get(usize::from(*d)).copied())
        .collect();
    format!("週{}回（{}）", weekdays.len(), names.join("・"))
}

fn pick_weekdays(rng: &mut StdRng, n: usize, pool: &[u8]) -> Vec<u8> {
    let mut days = pool.to_vec();
    days.shuffle(rng);
    days.truncate(n.min(days.len()).max(1));
    days.sort_unstable();
    days
}

fn days_on(month: YearMonth, weekdays: &[u8]) -> Vec<u8> {
    (1..=month.days())
        .filter(|d| weekdays.contains(&calendar::day_of(month, *d).weekday()))
        .collect()
}

fn row(provider: usize, code: &'static str, units: i32) -> Row {
    Row {
        provider,
        code,
        units,
        time: None,
        count: 1,
        days: Vec::new(),
        equipment: None,
        detail_no: None,
        day_flags: None,
        satellite_no: None,
        visit: false,
    }
}

fn pick<T: Copy>(rng: &mut StdRng, list: &[T]) -> T {
    // Callers pass non-empty constant lists.
    *list.choose(rng).expect("non-empty list")
}

/// (code, label, units, minutes) of visit services.
type Visit = (&'static str, &'static str, i32, u16);

const HOME_HELP: &[Visit] = &[
    ("111111", "身体介護１", 163, 30),
    ("111211", "身体介護２", 258, 50),
    ("116211", "生活援助２", 179, 45),
    ("116311", "生活援助３", 220, 60),
];
const NURSING: &[Visit] = &[
    ("131111", "訪問看護Ⅰ２", 471, 30),
    ("131211", "訪問看護Ⅰ３", 823, 60),
];
const PREVENTIVE_HOME_HELP: &[Visit] = &[("A21111", "訪問型独自サービス１１", 287, 45)];
const PREVENTIVE_NURSING: &[Visit] = &[("631111", "介護予防訪問看護Ⅰ２", 451, 30)];

/// (code, label, units, name) of rented equipment.
type Item = (&'static str, &'static str, i32, &'static str);

const EQUIPMENT: &[Item] = &[
    ("171001", "車いす貸与", 600, "自走用車いす"),
    ("171003", "特殊寝台貸与", 1000, "3モーター電動ベッド"),
    ("171004", "特殊寝台付属品貸与", 250, "マットレス"),
    ("171005", "床ずれ防止用具貸与", 800, "エアマットレス"),
    ("171007", "手すり貸与", 300, "据置型手すり"),
    ("171008", "スロープ貸与", 350, "段差解消スロープ"),
    ("171010", "歩行器貸与", 250, "四輪歩行車"),
];
const PREVENTIVE_EQUIPMENT: &[Item] = &[
    ("671007", "予防手すり貸与", 300, "据置型手すり"),
    ("671008", "予防スロープ貸与", 350, "段差解消スロープ"),
    ("671010", "予防歩行器貸与", 250, "四輪歩行車"),
    ("671011", "予防歩行補助つえ貸与", 100, "多点杖"),
];

/// 通所介護 (7時間以上8時間未満), by 要介護度.
const DAY_CARE: [(&str, i32); 5] = [
    ("151111", 658),
    ("151121", 777),
    ("151131", 900),
    ("151141", 1023),
    ("151151", 1148),
];
/// 通所リハビリテーション (6時間以上7時間未満), by 要介護度.
const DAY_REHAB: [(&str, i32); 5] = [
    ("161111", 715),
    ("161121", 850),
    ("161131", 981),
    ("161141", 1137),
    ("161151", 1290),
];
/// 短期入所生活介護 (併設型・多床室), by 要介護度.
const SHORT_STAY: [(&str, i32); 5] = [
    ("211111", 603),
    ("211121", 672),
    ("211131", 745),
    ("211141", 815),
    ("211151", 884),
];

fn weekly_slots(content: &str, weekdays: &[u8], start: u16, end: u16) -> Vec<WeeklySlot> {
    weekdays
        .iter()
        .map(|d| WeeklySlot {
            content: content.to_string(),
            weekday: d + 1,
            start,
            end,
        })
        .collect()
}

/// The services `office` gives a user in `month`. `level` is 0–4 (要介護１–５, or 要支援１/２ as
/// 0/1 for 予防 kinds).
pub(crate) fn provider_plan(
    rng: &mut StdRng,
    month: YearMonth,
    level: usize,
    provider: usize,
    office: &Office,
) -> ProviderPlan {
    let level = level.min(4);
    let mut plan = ProviderPlan::default();
    match office.kind_str() {
        "11" | "A2" | "13" | "63" => {
            let (list, content, pool, times): (&[Visit], &str, &[u8], &[u16]) =
                match office.kind_str() {
                    "11" => (
                        HOME_HELP,
                        "訪問介護",
                        &[0, 1, 2, 3, 4, 5],
                        &[540, 600, 660, 840, 960],
                    ),
                    "A2" => (
                        PREVENTIVE_HOME_HELP,
                        "訪問型サービス",
                        &[0, 1, 2, 3, 4],
                        &[600, 840],
                    ),
                    "13" => (NURSING, "訪問看護", &[0, 1, 2, 3, 4], &[600, 840, 900]),
                    _ => (
                        PREVENTIVE_NURSING,
                        "介護予防訪問看護",
                        &[0, 1, 2, 3, 4],
                        &[600, 900],
                    ),
                };
            let slots = if office.kind_str() == "11" && rng.random_bool(0.4) {
                2
            } else {
                1
            };
            let satellite = (office.satellite && rng.random_bool(0.5)).then_some(1);
            let mut used_times = Vec::new();
            for slot in 0..slots {
                let per_week = match office.kind_str() {
                    "11" => rng.random_range(1..=3),
                    _ => rng.random_range(1..=2),
                };
                let weekdays = pick_weekdays(rng, per_week, pool);
                let start = loop {
                    let t = pick(rng, times);
                    if !used_times.contains(&t) {
                        break t;
                    }
                };
                used_times.push(start);
                let (code, label, units, minutes) = pick(rng, list);
                let end = start + minutes;
                let days = days_on(month, &weekdays);
                if days.is_empty() {
                    continue;
                }
                plan.weekly.extend(weekly_slots(
                    &format!("{content}（{label}）"),
                    &weekdays,
                    start,
                    end,
                ));
                if slot == 0 {
                    plan.weekdays.clone_from(&weekdays);
                }
                let first = days[0];
                plan.rows.push(Row {
                    time: Some((start, end)),
                    days,
                    satellite_no: satellite,
                    visit: true,
                    ..row(provider, code, units)
                });
                // 初回加算: once, on the first visit, with that visit's time.
                if slot == 0 && rng.random_bool(0.12) {
                    let (code, _label) = match office.kind_str() {
                        "11" => ("114001", "訪問介護初回加算"),
                        "A2" => ("A24001", "訪問型サービス初回加算"),
                        "13" => ("134001", "訪問看護初回加算"),
                        _ => ("634001", "予防訪問看護初回加算"),
                    };
                    plan.rows.push(Row {
                        time: Some((start, end)),
                        days: vec![first],
                        satellite_no: satellite,
                        visit: true,
                        ..row(provider, code, 300)
                    });
                }
            }
            // 緊急時訪問看護加算: monthly, no time.
            if office.kind_str() == "13"
                && rng.random_bool(0.5)
                && let Some(first) = plan.rows.first().and_then(|r| r.days.first()).copied()
            {
                plan.rows.push(Row {
                    days: vec![first],
                    ..row(provider, "133100", 600) /* 緊急時訪問看護加算 */
                });
            }
        }
        "15" | "16" | "A6" => {
            let (base, content, start, end, per_week) = match office.kind_str() {
                "15" => {
                    let (c, u) = DAY_CARE[level];
                    (
                        (c, "通所介護", u),
                        "通所介護",
                        570,
                        1000,
                        rng.random_range(1..=3),
                    )
                }
                "16" => {
                    let (c, u) = DAY_REHAB[level];
                    (
                        (c, "通所リハビリテーション", u),
                        "通所リハビリテーション",
                        600,
                        990,
                        rng.random_range(1..=2),
                    )
                }
                _ => (
                    ("A61111", "通所型独自サービス１１", 436 + 30 * level as i32),
                    "通所型サービス",
                    570,
                    720,
                    1,
                ),
            };
            let weekdays = pick_weekdays(rng, per_week, &[0, 1, 2, 3, 4, 5]);
            let days = days_on(month, &weekdays);
            if days.is_empty() {
                return plan;
            }
            plan.weekly
                .extend(weekly_slots(content, &weekdays, start, end));
            plan.weekdays.clone_from(&weekdays);
            let first = days[0];
            let time = Some((start, end));
            let (code, _label, units) = base;
            plan.rows.push(Row {
                time,
                days: days.clone(),
                visit: true,
                ..row(provider, code, units)
            });
            // Per-day add-ons carry the base service's time (§5.6 No.12).
            let bath = match office.kind_str() {
                "15" => Some(("155011", "通所介護入浴介助加算Ⅰ")),
                "16" => Some(("165011", "通所リハ入浴介助加算Ⅰ")),
                _ => None,
            };
            if let Some((code, _label)) = bath.filter(|_| rng.random_bool(0.7)) {
                plan.rows.push(Row {
                    time,
                    days: days.clone(),
                    visit: true,
                    ..row(provider, code, 40)
                });
            }
            if office.kind_str() == "15" && rng.random_bool(0.5) {
                plan.rows.push(Row {
                    time,
                    days: days.clone(),
                    visit: true,
                    ..row(provider, "154001", 56) /* 個別機能訓練加算Ⅰイ */
                });
            }
            // 送迎減算 (片道につき): a negative line, both ways on each day.
            if office.kind_str() != "A6" && rng.random_bool(0.15) {
                let code = if office.kind_str() == "15" {
                    "155611"
                } else {
                    "165611"
                };
                plan.rows.push(Row {
                    time,
                    days: days.clone(),
                    count: 2,
                    visit: true,
                    ..row(provider, code, -47) /* 送迎減算 */
                });
            }
            // A monthly add-on: no time, on the first day.
            if rng.random_bool(0.4) {
                let (code, _label, units) = match office.kind_str() {
                    "15" => ("156361", "科学的介護推進体制加算", 40),
                    "16" => ("164101", "リハビリテーションマネジメント加算", 593),
                    _ => ("A65003", "生活機能向上グループ活動加算", 100),
                };
                plan.rows.push(Row {
                    days: vec![first],
                    ..row(provider, code, units)
                });
            }
        }
        "17" | "67" => {
            let list = if office.kind_str() == "17" {
                EQUIPMENT
            } else {
                PREVENTIVE_EQUIPMENT
            };
            let n = rng.random_range(1..=3usize.min(list.len()));
            let mut items: Vec<Item> = list.to_vec();
            items.shuffle(rng);
            items.truncate(n);
            items.sort_by_key(|i| i.0);
            // 日割: rental from a day in the month to its end, flagged day by day.
            let start_day = rng
                .random_bool(0.15)
                .then(|| rng.random_range(5..=20u8))
                .filter(|d| *d <= month.days());
            let mut names = Vec::new();
            for (code, _label, units, name) in items {
                names.push(name);
                let pairs = if code.ends_with("007") && rng.random_bool(0.4) {
                    2
                } else {
                    1
                };
                for detail in 1..=pairs {
                    let equipment = equipment(rng, name);
                    let mut r = Row {
                        equipment: Some(equipment),
                        detail_no: (pairs > 1).then_some(detail),
                        days: vec![1],
                        ..row(provider, code, units)
                    };
                    if let Some(d) = start_day {
                        let days = u32::from(month.days() - d + 1);
                        r.days = vec![d];
                        r.day_flags = Some(
                            (1..=31u8)
                                .map(|x| {
                                    if x >= d && x <= month.days() {
                                        '1'
                                    } else {
                                        '0'
                                    }
                                })
                                .collect(),
                        );
                        r.units = (units as i64 * i64::from(days) / i64::from(month.days())) as i32;
                    }
                    plan.rows.push(r);
                }
            }
            plan.non_weekly.push(format!(
                "{}（{}）",
                if office.kind_str() == "17" {
                    "福祉用具貸与"
                } else {
                    "介護予防福祉用具貸与"
                },
                names.join("、")
            ));
        }
        "21" => {
            let (code, units) = SHORT_STAY[level];
            let nights = rng.random_range(2..=5u8);
            let first = rng.random_range(3..=(month.days() - nights - 1));
            let days: Vec<u8> = (first..=first + nights).collect();
            plan.stay_days = u32::from(nights) + 1;
            let last = *days.last().unwrap_or(&first);
            plan.rows.push(Row {
                days,
                ..row(provider, code, units) /* 短期入所生活介護 */
            });
            plan.rows.push(Row {
                days: vec![first, last],
                ..row(provider, "216101", 184) /* 短期入所送迎加算 */
            });
            plan.non_weekly.push(format!(
                "短期入所生活介護（月1回、{}泊{}日程度）",
                nights,
                nights + 1
            ));
        }
        _ => {}
    }
    plan
}

fn equipment(rng: &mut StdRng, name: &str) -> Equipment {
    let code = format!(
        "{:05}-{:06}",
        rng.random_range(100..=2000),
        rng.random_range(1..=999_999)
    );
    let model = format!(
        "{} {}-{}",
        name,
        pick(rng, &["TW", "KB", "HT", "SR", "AM"]),
        rng.random_range(100..=999)
    );
    // Most products have a TAISコード; the rest a 福祉用具届出コード.
    if rng.random_bool(0.8) {
        Equipment {
            tais: code,
            notified: String::new(),
            name: model,
        }
    } else {
        Equipment {
            tais: String::new(),
            notified: code,
            name: model,
        }
    }
}

/// The header values every 第6表 record of a user repeats.
pub(crate) struct LineHeader<'a> {
    pub csv_version: &'a str,
    pub insurer: &'a str,
    pub insured: &'a str,
    pub created: Date,
    pub month: YearMonth,
    pub planner_office: &'a str,
    pub planner_name: &'a str,
    pub updater: &'a str,
    pub short_stay_days_before: Option<u32>,
}

/// A 実績 change to one visit: minutes shifted, or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Shift(i16),
    Cancelled,
}

/// 第6表 records for `rows` (予定: every provider's rows; 実績: one provider's, with `change`
/// applied to visits keyed by (day, planned start)).
pub(crate) fn service_lines(
    header: &LineHeader<'_>,
    rows: &[Row],
    offices: &[Office],
    change: &dyn Fn(u8, u16) -> Option<Change>,
) -> Vec<ServiceLine> {
    let month = header.month.to_string();
    let mut out = Vec::new();
    for r in rows {
        let office = &offices[r.provider];
        let units = discounted(r.units, office.discount_rate);
        for &day in &r.days {
            let (start, end) = match r.time {
                Some((s, e)) => {
                    let shift = if r.visit {
                        match change(day, s) {
                            Some(Change::Cancelled) => continue,
                            Some(Change::Shift(m)) => m,
                            None => 0,
                        }
                    } else {
                        0
                    };
                    let s = (i32::from(s) + i32::from(shift)).clamp(0, 1439) as u16;
                    let e = (i32::from(e) + i32::from(shift)).clamp(0, 1439) as u16;
                    (hhmm(s), hhmm(e))
                }
                None => ("9999".to_string(), "9999".to_string()),
            };
            let equipment = r.equipment.as_ref();
            out.push(ServiceLine {
                csv_version: header.csv_version.to_string(),
                insurer_number: header.insurer.to_string(),
                insured_number: header.insured.to_string(),
                created_date: header.created.to_string(),
                target_month: month.clone(),
                planner_office: header.planner_office.to_string(),
                planner_name: header.planner_name.to_string(),
                units: units.to_string(),
                short_stay_days_before: if office.kind_str() == "21" {
                    header
                        .short_stay_days_before
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                },
                service_date: calendar::day_of(header.month, day).to_string(),
                daily_rate_days: r.day_flags.clone().unwrap_or_default(),
                start_time: start,
                end_time: end,
                service_count: r.count.to_string(),
                service_code: r.code.to_string(),
                tais_code: equipment.map(|e| e.tais.clone()).unwrap_or_default(),
                notified_code: equipment.map(|e| e.notified.clone()).unwrap_or_default(),
                equipment_name: equipment.map(|e| e.name.clone()).unwrap_or_default(),
                detail_no: r.detail_no.map(|d| d.to_string()).unwrap_or_default(),
                provider_code: office.number.to_string(),
                provider_name: office.name.clone(),
                satellite_no: r.satellite_no.map(|d| d.to_string()).unwrap_or_default(),
                over_30_days: "0".to_string(),
                updater_code: header.updater.to_string(),
                identifier: String::new(),
            });
        }
    }
    out
}

/// 割引後単位数: units after the office's discount, rounded half up.
pub(crate) fn discounted(units: i32, rate: Option<u32>) -> i32 {
    match rate {
        Some(r) if units > 0 => ((i64::from(units) * i64::from(r) + 50) / 100) as i32,
        _ => units,
    }
}

/// 単位数単価 ×100 by service kind (a 地域区分 of this made-up area).
pub(crate) fn unit_price_x100(kind: &str) -> i64 {
    match kind {
        "11" | "13" | "A2" | "63" => 1090,
        "15" | "21" | "A6" => 1068,
        "16" => 1055,
        _ => 1000,
    }
}

fn price_text(x100: i64) -> String {
    format!("{}.{:02}", x100 / 100, x100 % 100)
}

/// The 第7表 inputs of one user beyond the rows.
pub(crate) struct AnnexHeader<'a> {
    pub csv_version: &'a str,
    pub insurer: &'a str,
    pub insured: &'a str,
    pub created: Date,
    pub month: YearMonth,
    pub updater: &'a str,
    /// 区分支給限度基準額.
    pub benefit_limit: i64,
    /// 給付率 (90, 80, 70; 100 for 生保単独).
    pub benefit_rate: i64,
    pub short_stay_days_before: Option<u32>,
    /// サービス種類別支給限度: (kind, limit), when the insurer sets one.
    pub kind_limit: Option<(&'a str, i64)>,
}

/// The user's 第7表 and the 区分支給限度基準を超える単位数 (for 補足 No.56).
pub(crate) fn annex(
    header: &AnnexHeader<'_>,
    rows: &[Row],
    offices: &[Office],
    providers: &[usize],
) -> (Vec<ServiceAnnex>, i64) {
    struct Line<'r> {
        row: &'r Row,
        count: u32,
    }
    // One 第7表 line per (provider, code, units, equipment, satellite): repeated visits merge.
    let mut groups: Vec<(usize, Vec<Line<'_>>)> = Vec::new();
    for &p in providers {
        let mut lines: Vec<Line<'_>> = Vec::new();
        for r in rows.iter().filter(|r| r.provider == p) {
            let count = r.days.len() as u32 * u32::from(r.count);
            let same = lines.iter_mut().find(|l| {
                l.row.code == r.code
                    && l.row.units == r.units
                    && l.row.satellite_no == r.satellite_no
                    && l.row.equipment.is_none()
                    && r.equipment.is_none()
            });
            match same {
                Some(l) => l.count += count,
                None => lines.push(Line { row: r, count }),
            }
        }
        if !lines.is_empty() {
            groups.push((p, lines));
        }
    }
    // Totals per provider, then the 区分支給限度 excess taken from the last providers first.
    let totals: Vec<i64> = groups
        .iter()
        .map(|(p, lines)| {
            lines
                .iter()
                .map(|l| {
                    i64::from(discounted(l.row.units, offices[*p].discount_rate))
                        * i64::from(l.count)
                })
                .sum()
        })
        .collect();
    let grand: i64 = totals.iter().sum();
    let mut excess_left = (grand - header.benefit_limit).max(0);
    let total_excess = excess_left;
    let mut excess = vec![0i64; groups.len()];
    for (i, t) in totals.iter().enumerate().rev() {
        let take = excess_left.min((*t).max(0));
        excess[i] = take;
        excess_left -= take;
    }

    let base = |office: Option<&Office>| ServiceAnnex {
        csv_version: header.csv_version.to_string(),
        insurer_number: header.insurer.to_string(),
        insured_number: header.insured.to_string(),
        created_date: header.created.to_string(),
        target_month: header.month.to_string(),
        provider_name: office.map(|o| o.name.clone()).unwrap_or_default(),
        provider_code: office.map_or("9999999999".to_string(), |o| o.number.to_string()),
        over_30_days: "0".to_string(),
        office_code: "9999999999".to_string(),
        updater_code: header.updater.to_string(),
        ..ServiceAnnex::default()
    };
    let mut out = Vec::new();
    let mut sum = Summary::default();
    for (gi, (p, lines)) in groups.iter().enumerate() {
        let office = &offices[*p];
        let kind = office.kind_str();
        let price = unit_price_x100(kind);
        let within = totals[gi] - excess[gi];
        let cost = within * price / 100;
        let claim = cost * header.benefit_rate / 100;
        let figures = Summary {
            service_units: totals[gi],
            benefit_managed: totals[gi],
            excess: excess[gi],
            within,
            cost,
            claim,
            copay: cost - claim,
            full_copay: excess[gi] * price / 100,
        };
        let fill = |a: &mut ServiceAnnex| {
            a.benefit_managed_units = figures.benefit_managed.to_string();
            a.category_limit_excess_units = figures.excess.to_string();
            a.category_limit_within_units = figures.within.to_string();
            a.unit_price = price_text(price);
            a.total_cost = figures.cost.to_string();
            a.benefit_rate = header.benefit_rate.to_string();
            a.insurance_claim = figures.claim.to_string();
            a.copay_insured = figures.copay.to_string();
            a.copay_full = figures.full_copay.to_string();
            if let Some((_, limit)) = header.kind_limit.filter(|(k, _)| *k == kind) {
                let over = (figures.service_units - limit).max(0);
                a.kind_limit_excess_units = over.to_string();
                a.kind_limit_within_units = (figures.service_units - over).to_string();
            }
            if kind == "21" {
                let before = header.short_stay_days_before.unwrap_or(0);
                let planned = lines.first().map_or(0, |l| l.row.days.len() as u32);
                a.days_before = before.to_string();
                a.planned_days = planned.to_string();
                a.cumulative_days = (before + planned).to_string();
            }
        };
        for l in lines {
            let mut a = base(Some(office));
            a.satellite_no = l
                .row
                .satellite_no
                .map(|d| d.to_string())
                .unwrap_or_default();
            a.service_code = l.row.code.to_string();
            if let Some(e) = &l.row.equipment {
                a.tais_code.clone_from(&e.tais);
                a.notified_code.clone_from(&e.notified);
                a.equipment_name.clone_from(&e.name);
            }
            a.units = l.row.units.to_string();
            let per_time = discounted(l.row.units, office.discount_rate);
            if per_time != l.row.units {
                a.discount_rate = office
                    .discount_rate
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                a.discounted_units = per_time.to_string();
            }
            a.count = l.count.to_string();
            a.service_units = (i64::from(per_time) * i64::from(l.count)).to_string();
            if lines.len() == 1 {
                // A kind with one line carries the kind's figures itself, as on the paper form.
                fill(&mut a);
            }
            out.push(a);
        }
        if lines.len() > 1 {
            let mut a = base(Some(office));
            a.service_code = format!("{kind}AAAA");
            a.units = "0".to_string();
            a.count = "0".to_string();
            a.service_units = figures.service_units.to_string();
            fill(&mut a);
            out.push(a);
        }
        sum.add(&figures);
    }
    let mut total = base(None);
    total.service_code = "999999".to_string();
    total.units = "0".to_string();
    total.count = "0".to_string();
    total.service_units = sum.service_units.to_string();
    total.benefit_managed_units = sum.benefit_managed.to_string();
    total.category_limit_excess_units = sum.excess.to_string();
    total.category_limit_within_units = sum.within.to_string();
    total.total_cost = sum.cost.to_string();
    total.insurance_claim = sum.claim.to_string();
    total.copay_insured = sum.copay.to_string();
    total.copay_full = sum.full_copay.to_string();
    out.push(total);
    (out, total_excess)
}

#[derive(Debug, Default, Clone, Copy)]
struct Summary {
    service_units: i64,
    benefit_managed: i64,
    excess: i64,
    within: i64,
    cost: i64,
    claim: i64,
    copay: i64,
    full_copay: i64,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.service_units += o.service_units;
        self.benefit_managed += o.benefit_managed;
        self.excess += o.excess;
        self.within += o.within;
        self.cost += o.cost;
        self.claim += o.claim;
        self.copay += o.copay;
        self.full_copay += o.full_copay;
    }
}

/// Units of one kind for the user (補足 種類別限度額管理).
pub(crate) fn units_of_kind(rows: &[Row], offices: &[Office], kind: &str) -> i64 {
    rows.iter()
        .filter(|r| offices[r.provider].kind_str() == kind)
        .map(|r| {
            i64::from(discounted(r.units, offices[r.provider].discount_rate))
                * r.days.len() as i64
                * i64::from(r.count)
        })
        .sum()
}
