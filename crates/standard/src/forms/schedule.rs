//! 第6表 サービス利用票 (the month grid, 予定 and 実績) and 第7表 サービス利用票別表.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use super::fmt::{self, WEEKDAYS};
use super::{
    Choice, Input, Picked, Place, Section, UserKey, certification_choices, pick_latest, render,
    user_of,
};
use crate::codes;
use crate::file_kind::FileKind;
use crate::layout::{ServiceAnnex, ServiceLine, UserSupplement};
use crate::month::{Date, YearMonth};

pub(crate) struct DayHead {
    pub day: u8,
    pub weekday: &'static str,
    pub class: &'static str,
}

pub(crate) struct Cell {
    pub text: String,
    pub class: &'static str,
}

/// One service line of the grid: a 予定 row and a 実績 row.
pub(crate) struct GridLine {
    pub time: String,
    pub content: String,
    pub provider: String,
    pub planned: Vec<Cell>,
    pub actual: Vec<Cell>,
    pub planned_total: String,
    pub actual_total: String,
}

#[derive(Template)]
#[template(path = "forms/table6.html")]
pub(crate) struct Table6 {
    pub month: String,
    pub certification: Vec<Choice>,
    pub insurer_number: String,
    pub insured_number: String,
    pub name_kana: String,
    pub name: String,
    pub birth_date: String,
    pub sex: String,
    pub care_level: String,
    pub changed_care_level: String,
    pub change_date: String,
    pub benefit_limit: String,
    pub limit_period: String,
    pub short_stay_days: String,
    pub planner: String,
    pub created_date: String,
    pub days: Vec<DayHead>,
    pub lines: Vec<GridLine>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

/// What makes two records the same line of the grid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LineKey {
    start: u16,
    end: u16,
    start_text: String,
    end_text: String,
    provider_code: String,
    satellite_no: String,
    service_code: String,
    detail_no: String,
    equipment: String,
}

struct LineAcc {
    time: String,
    content: String,
    provider: String,
    planned: Vec<u32>,
    actual: Vec<u32>,
}

fn line_key(l: &ServiceLine) -> LineKey {
    LineKey {
        start: fmt::minutes(&l.start_time).unwrap_or(u16::MAX),
        end: fmt::minutes(&l.end_time).unwrap_or(u16::MAX),
        start_text: l.start_time.clone(),
        end_text: l.end_time.clone(),
        provider_code: l.provider_code.clone(),
        satellite_no: l.satellite_no.clone(),
        service_code: l.service_code.clone(),
        detail_no: l.detail_no.clone(),
        equipment: format!("{}{}", l.tais_code, l.notified_code),
    }
}

fn line_content(l: &ServiceLine) -> String {
    let kind = fmt::kind_name(fmt::kind_of(&l.service_code));
    let mut s = format!("{kind}\n{}", l.service_code);
    if !l.equipment_name.is_empty() {
        s.push('\n');
        s.push_str(&l.equipment_name);
    }
    s
}

fn line_provider(l: &ServiceLine) -> String {
    let name = if l.provider_name.is_empty() {
        l.provider_code.clone()
    } else {
        l.provider_name.clone()
    };
    if l.satellite_no.is_empty() || l.satellite_no.bytes().all(|b| b == b'0') {
        name
    } else {
        format!("{name}（サテライト{}）", l.satellite_no)
    }
}

/// The count a record adds to its day: サービス回数, 1 when empty or unreadable.
fn record_count(l: &ServiceLine) -> u32 {
    l.service_count.parse().unwrap_or(1)
}

/// Day headers 1..=days of the month with their weekday initials.
pub(crate) fn day_heads(month: YearMonth) -> Vec<DayHead> {
    (1..=month.days())
        .map(|day| {
            let wd = Date {
                year: month.year,
                month: month.month,
                day,
            }
            .weekday();
            DayHead {
                day,
                weekday: WEEKDAYS[usize::from(wd % 7)],
                class: weekday_class(wd),
            }
        })
        .collect()
}

fn weekday_class(wd: u8) -> &'static str {
    match wd {
        5 => "sat",
        6 => "sun",
        _ => "",
    }
}

fn cells(counts: &[u32], days: &[DayHead]) -> Vec<Cell> {
    days.iter()
        .zip(counts)
        .map(|(d, &n)| Cell {
            text: if n == 0 { String::new() } else { n.to_string() },
            class: d.class,
        })
        .collect()
}

fn total(counts: &[u32], any: bool) -> String {
    if any {
        counts.iter().sum::<u32>().to_string()
    } else {
        String::new()
    }
}

/// Builds the 第6表 of one user and month from the 予定 (newest file) and the 実績 (newest file
/// per sending office).
pub(crate) fn table6(
    input: &Input<'_>,
    user: &UserKey,
    month: YearMonth,
    planned: Option<&Picked<'_>>,
    actuals: &[&Picked<'_>],
) -> Table6 {
    let days = day_heads(month);
    let n = days.len();
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    let mut lines: BTreeMap<LineKey, LineAcc> = BTreeMap::new();
    let mut outside = 0usize;
    let mut add = |l: &ServiceLine, actual: bool| {
        let day = match Date::parse(&l.service_date) {
            Some(d) if d.year_month() == month => usize::from(d.day),
            _ => {
                outside += 1;
                return;
            }
        };
        let acc = lines.entry(line_key(l)).or_insert_with(|| LineAcc {
            time: fmt::time_range(&l.start_time, &l.end_time),
            content: line_content(l),
            provider: line_provider(l),
            planned: vec![0; n],
            actual: vec![0; n],
        });
        let row = if actual {
            &mut acc.actual
        } else {
            &mut acc.planned
        };
        if let Some(c) = row.get_mut(day - 1) {
            *c += record_count(l);
        }
    };
    let planned_lines: Vec<ServiceLine> = planned.map(|p| p.typed()).unwrap_or_default();
    for l in &planned_lines {
        add(l, false);
    }
    let mut actual_lines: Vec<ServiceLine> = Vec::new();
    for p in actuals {
        actual_lines.extend(p.typed::<ServiceLine>());
    }
    for l in &actual_lines {
        add(l, true);
    }
    if outside > 0 {
        notes.push(format!(
            "対象年月（{}）以外のサービス利用日の記録 {outside} 件は表に入れていません。",
            month.japanese()
        ));
    }
    for p in planned.into_iter().chain(actuals.iter().copied()) {
        sources.push(crate::reader::base_name(&p.file.file_name).to_string());
        notes.extend(p.superseded_note());
    }
    if planned.is_none() {
        notes.push("予定（第6表）のファイルがないため、実績のみを表示しています。".into());
    }
    let first = planned_lines.first().or(actual_lines.first());
    // A line's 実績 total is shown when its office sent 実績 (0 then means "not provided").
    let reporting: BTreeSet<&str> = actual_lines
        .iter()
        .map(|l| l.provider_code.as_str())
        .collect();
    let lines = lines
        .into_iter()
        .map(|(key, acc)| GridLine {
            time: acc.time,
            planned_total: total(&acc.planned, planned.is_some()),
            actual_total: total(&acc.actual, reporting.contains(key.provider_code.as_str())),
            planned: cells(&acc.planned, &days),
            actual: cells(&acc.actual, &days),
            content: acc.content,
            provider: acc.provider,
        })
        .collect::<Vec<_>>();

    let month_supplement = input.supplement_for_month(user, &month.to_string());
    let person = month_supplement.or_else(|| input.any_supplement(user));
    let empty = UserSupplement::default();
    let s = month_supplement.unwrap_or(&empty);
    let p = person.unwrap_or(&empty);
    let changed = !s.care_level_change_date.is_empty() && !s.previous_care_level.is_empty();
    let (care_level, changed_care_level, change_date) = if changed {
        (
            fmt::meaning(&codes::CARE_LEVEL, &s.previous_care_level),
            fmt::meaning(&codes::CARE_LEVEL, &s.care_level),
            fmt::date_ja(&s.care_level_change_date),
        )
    } else {
        (
            fmt::meaning(&codes::CARE_LEVEL, &s.care_level),
            String::new(),
            String::new(),
        )
    };
    let limit_period = match (
        fmt::date_ja(&s.limit_start_date),
        fmt::date_ja(&s.limit_end_date),
    ) {
        (a, b) if a.is_empty() && b.is_empty() => String::new(),
        (a, b) => format!("{a} ～ {b}"),
    };
    let short_stay_days = first
        .map(|l| l.short_stay_days_before.clone())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| s.short_stay_days_before.clone());
    Table6 {
        month: format!("{}分", month.japanese()),
        certification: certification_choices(&s.certification_status),
        insurer_number: user.0.clone(),
        insured_number: user.1.clone(),
        name_kana: p.name_kana.clone(),
        name: p.name.clone(),
        birth_date: fmt::date_ja(&p.birth_date),
        sex: if p.sex.is_empty() {
            String::new()
        } else {
            fmt::meaning(&codes::SEX, &p.sex)
        },
        care_level,
        changed_care_level,
        change_date,
        benefit_limit: fmt::num(&s.benefit_limit),
        limit_period,
        short_stay_days,
        planner: first
            .map(|l| {
                format!("{}\n{}", l.planner_office, l.planner_name)
                    .trim()
                    .to_string()
            })
            .unwrap_or_default(),
        created_date: first
            .map(|l| fmt::date_ja(&l.created_date))
            .unwrap_or_default(),
        days,
        lines,
        notes,
        sources,
    }
}

/// One line of 第7表.
pub(crate) struct AnnexRow {
    pub class: &'static str,
    pub provider_name: String,
    pub provider_code: String,
    pub content: String,
    pub service_code: String,
    pub units: String,
    pub discount_rate: String,
    pub discounted_units: String,
    pub count: String,
    pub service_units: String,
    pub benefit_managed: String,
    pub kind_excess: String,
    pub kind_within: String,
    pub category_excess: String,
    pub category_within: String,
    pub unit_price: String,
    pub total_cost: String,
    pub benefit_rate: String,
    pub insurance_claim: String,
    pub fixed_copay: String,
    pub copay_insured: String,
    pub copay_full: String,
}

pub(crate) struct KindLimit {
    pub kind: String,
    pub limit: String,
    pub total: String,
    pub excess: String,
}

#[derive(Template)]
#[template(path = "forms/table7.html")]
pub(crate) struct Table7 {
    pub month: String,
    pub insurer_number: String,
    pub insured_number: String,
    pub name: String,
    pub created_date: String,
    pub benefit_limit: String,
    pub rows: Vec<AnnexRow>,
    pub kind_limits: Vec<KindLimit>,
    pub kind_excess_total: String,
    pub short_stay: Option<[String; 3]>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

/// What a 第7表 line is: a service, a 種類別小計 or the 全合計.
pub(crate) fn annex_line_kind(service_code: &str) -> (&'static str, Option<&'static str>) {
    if service_code == "999999" {
        ("total", Some("合計"))
    } else if service_code.ends_with("AAAA") {
        ("subtotal", Some("小計"))
    } else if service_code.ends_with("EEEE") {
        ("subtotal", Some("区分支給限度対象外 小計"))
    } else if service_code.ends_with("ZZZZ") {
        ("subtotal", Some("30日超過分 小計"))
    } else {
        ("line", None)
    }
}

fn annex_row(a: &ServiceAnnex) -> AnnexRow {
    let (class, label) = annex_line_kind(&a.service_code);
    let kind = fmt::kind_name(fmt::kind_of(&a.service_code));
    let content = match (class, label) {
        ("total", Some(l)) => l.to_string(),
        (_, Some(l)) => format!("{kind} {l}"),
        _ if !a.equipment_name.is_empty() => format!("{kind}\n{}", a.equipment_name),
        _ => kind,
    };
    let provider_code = if a.provider_code.bytes().all(|b| b == b'9') {
        String::new()
    } else {
        a.provider_code.clone()
    };
    let rate = if a.discount_rate.is_empty() {
        String::new()
    } else {
        format!("{}%", a.discount_rate)
    };
    AnnexRow {
        class,
        provider_name: if class == "total" {
            String::new()
        } else {
            a.provider_name.clone()
        },
        provider_code,
        content,
        service_code: if class == "line" {
            a.service_code.clone()
        } else {
            String::new()
        },
        units: if class == "line" {
            fmt::num(&a.units)
        } else {
            String::new()
        },
        discount_rate: rate,
        discounted_units: fmt::num(&a.discounted_units),
        count: fmt::num(&a.count),
        service_units: fmt::num(&a.service_units),
        benefit_managed: fmt::num(&a.benefit_managed_units),
        kind_excess: fmt::num(&a.kind_limit_excess_units),
        kind_within: fmt::num(&a.kind_limit_within_units),
        category_excess: fmt::num(&a.category_limit_excess_units),
        category_within: fmt::num(&a.category_limit_within_units),
        unit_price: a.unit_price.clone(),
        total_cost: fmt::num(&a.total_cost),
        benefit_rate: a.benefit_rate.clone(),
        insurance_claim: fmt::num(&a.insurance_claim),
        fixed_copay: fmt::num(&a.fixed_copay_unit_price),
        copay_insured: fmt::num(&a.copay_insured),
        copay_full: fmt::num(&a.copay_full),
    }
}

/// The 種類別支給限度管理 blocks (補足 No.20–55) that are filled.
fn kind_limits(s: &UserSupplement) -> Vec<KindLimit> {
    let blocks = [
        (
            &s.limit1_service_kind,
            &s.limit1_limit,
            &s.limit1_total_units,
            &s.limit1_excess_units,
        ),
        (
            &s.limit2_service_kind,
            &s.limit2_limit,
            &s.limit2_total_units,
            &s.limit2_excess_units,
        ),
        (
            &s.limit3_service_kind,
            &s.limit3_limit,
            &s.limit3_total_units,
            &s.limit3_excess_units,
        ),
        (
            &s.limit4_service_kind,
            &s.limit4_limit,
            &s.limit4_total_units,
            &s.limit4_excess_units,
        ),
        (
            &s.limit5_service_kind,
            &s.limit5_limit,
            &s.limit5_total_units,
            &s.limit5_excess_units,
        ),
        (
            &s.limit6_service_kind,
            &s.limit6_limit,
            &s.limit6_total_units,
            &s.limit6_excess_units,
        ),
        (
            &s.limit7_service_kind,
            &s.limit7_limit,
            &s.limit7_total_units,
            &s.limit7_excess_units,
        ),
        (
            &s.limit8_service_kind,
            &s.limit8_limit,
            &s.limit8_total_units,
            &s.limit8_excess_units,
        ),
        (
            &s.limit9_service_kind,
            &s.limit9_limit,
            &s.limit9_total_units,
            &s.limit9_excess_units,
        ),
    ];
    blocks
        .into_iter()
        .filter(|(k, ..)| !k.is_empty())
        .map(|(k, l, t, e)| KindLimit {
            kind: fmt::kind_name(k),
            limit: fmt::num(l),
            total: fmt::num(t),
            excess: fmt::num(e),
        })
        .collect()
}

pub(crate) fn table7(
    input: &Input<'_>,
    user: &UserKey,
    month: YearMonth,
    p: &Picked<'_>,
) -> Table7 {
    let annex: Vec<ServiceAnnex> = p.typed();
    let supplement = input.supplement_for_month(user, &month.to_string());
    let person = supplement.or_else(|| input.any_supplement(user));
    let short_stay = annex
        .iter()
        .find(|a| {
            !a.days_before.is_empty() || !a.planned_days.is_empty() || !a.cumulative_days.is_empty()
        })
        .map(|a| {
            [
                a.days_before.clone(),
                a.planned_days.clone(),
                a.cumulative_days.clone(),
            ]
        });
    let mut notes: Vec<String> = p.superseded_note().into_iter().collect();
    if supplement.is_none() {
        notes.push(
            "この月の利用者補足情報がないため、種類別支給限度管理と区分支給限度基準額は空欄です。"
                .into(),
        );
    }
    Table7 {
        month: format!("{}分", month.japanese()),
        insurer_number: user.0.clone(),
        insured_number: user.1.clone(),
        name: person.map(|s| s.name.clone()).unwrap_or_default(),
        created_date: annex
            .first()
            .map(|a| fmt::date_ja(&a.created_date))
            .unwrap_or_default(),
        benefit_limit: supplement
            .map(|s| fmt::num(&s.benefit_limit))
            .unwrap_or_default(),
        rows: annex.iter().map(annex_row).collect(),
        kind_limits: supplement.map(kind_limits).unwrap_or_default(),
        kind_excess_total: supplement
            .map(|s| fmt::num(&s.total_excess_units))
            .unwrap_or_default(),
        short_stay,
        notes,
        sources: vec![crate::reader::base_name(&p.file.file_name).to_string()],
    }
}

/// Month of a 利用票 record (対象年月), if real.
fn record_month(file: &crate::record::CsvFile, r: &crate::record::Record) -> Option<YearMonth> {
    YearMonth::parse(file.get(r, "target_month")).or_else(|| file.name.year_month())
}

/// Adds the 第6表 (予定 + 実績) and 第7表 forms of every user and month.
pub(crate) fn sections(
    input: &Input<'_>,
    out: &mut Vec<Section>,
    used_supplements: &mut BTreeSet<(String, String, String)>,
) {
    let planned_files = input.of_kind(&[FileKind::ServiceSchedule]);
    let actual_files = input.of_kind(&[FileKind::ServiceActual]);
    let annex_files = input.of_kind(&[FileKind::ServiceAnnex]);
    let planned = pick_latest(&planned_files, |f, r| {
        Some((user_of(f, r), record_month(f, r)?))
    });
    // 実績 come from each service office separately: newest file per sending office.
    let actual = pick_latest(&actual_files, |f, r| {
        Some((
            user_of(f, r),
            record_month(f, r)?,
            f.name.sender.to_string(),
        ))
    });
    let annex = pick_latest(&annex_files, |f, r| {
        Some((user_of(f, r), record_month(f, r)?))
    });
    let mut grids: BTreeSet<(UserKey, YearMonth)> = planned.keys().cloned().collect();
    grids.extend(actual.keys().map(|(u, m, _)| (u.clone(), *m)));
    for (user, month) in grids {
        let actuals: Vec<&Picked<'_>> = actual
            .range((user.clone(), month, String::new())..)
            .take_while(|((u, m, _), _)| *u == user && *m == month)
            .map(|(_, p)| p)
            .collect();
        let t = table6(
            input,
            &user,
            month,
            planned.get(&(user.clone(), month)),
            &actuals,
        );
        used_supplements.insert((user.0.clone(), user.1.clone(), month.to_string()));
        out.push(Section {
            place: Place {
                user: user.clone(),
                rank: 6,
                when: month.to_string(),
            },
            html: render(&t),
        });
    }
    for ((user, month), p) in &annex {
        let t = table7(input, user, *month, p);
        used_supplements.insert((user.0.clone(), user.1.clone(), month.to_string()));
        out.push(Section {
            place: Place {
                user: user.clone(),
                rank: 7,
                when: month.to_string(),
            },
            html: render(&t),
        });
    }
}
