//! `tsunagu show`: a short readable summary of one file for the terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::fmt;
use super::user_of;
use crate::codes;
use crate::file_kind::FileKind;
use crate::file_name::FileMonth;
use crate::layout::{
    BasicInfo, CarePlan1, CarePlan2, CarePlan3, LayoutVersion, PreventivePlan,
    PreventivePlanSupport, ServiceAnnex, ServiceLine, TypedRecord, UserSupplement,
};
use crate::month::{Date, YearMonth};
use crate::record::{CsvFile, Document, Record};

/// How many users a summary lists in detail; the rest are counted.
const MAX_USERS: usize = 50;

fn office(number: &str, kind: Option<&str>) -> String {
    match kind {
        Some(k) => format!("{number}（{k} {}）", fmt::kind_name(k)),
        None => number.to_string(),
    }
}

fn serial_text(s: &str) -> String {
    if s.len() == 14 {
        format!(
            "{s}（{}-{}-{} {}:{}:{}）",
            &s[..4],
            &s[4..6],
            &s[6..8],
            &s[8..10],
            &s[10..12],
            &s[12..]
        )
    } else {
        s.to_string()
    }
}

/// A readable summary of one file: kind, version, sender → recipient, month, serial, how many
/// users and records, and per user a short digest of what the file says.
pub fn summary_text(document: &Document) -> String {
    let mut out = String::new();
    let name = document.name();
    let _ = writeln!(out, "■ {}", crate::reader::base_name(document.file_name()));
    let _ = writeln!(
        out,
        "  種類: {}（{}）",
        name.kind.japanese_name(),
        name.kind.prefix()
    );
    if let Document::Csv(c) = document {
        let layout = match c.version() {
            LayoutVersion::V3 => "第3版レイアウト",
            LayoutVersion::V4 => "第4版レイアウト",
        };
        let version = if c.csv_version.is_empty() {
            "なし".to_string()
        } else {
            c.csv_version.clone()
        };
        let _ = writeln!(out, "  CSVバージョン: {version}（{layout}）");
    }
    let _ = writeln!(
        out,
        "  送信元: {} → 送信先: {}",
        office(
            name.sender.as_str(),
            name.sender_kind.as_ref().map(|k| k.as_str())
        ),
        office(
            name.recipient.as_str(),
            name.recipient_kind.as_ref().map(|k| k.as_str())
        )
    );
    match name.month {
        FileMonth::Month(m) => {
            let _ = writeln!(out, "  対象年月: {}（{m}）", m.japanese());
        }
        FileMonth::Zero => {
            let _ = writeln!(out, "  対象年月: 000000（計画書に添付）");
        }
        FileMonth::None => {}
    }
    let _ = writeln!(out, "  ファイル連番: {}", serial_text(name.serial.as_str()));
    match document {
        Document::Image(i) => {
            let _ = writeln!(
                out,
                "  JPEG 画像 {} バイト（枝番 {:04}）",
                fmt::num(&i.size.to_string()),
                i.name.image_branch.unwrap_or_default()
            );
        }
        Document::Csv(c) => csv_digest(&mut out, c),
    }
    out
}

fn csv_digest(out: &mut String, c: &CsvFile) {
    let mut users: BTreeMap<(String, String), Vec<&Record>> = BTreeMap::new();
    let mut order = Vec::new();
    for r in &c.records {
        let u = user_of(c, r);
        if !users.contains_key(&u) {
            order.push(u.clone());
        }
        users.entry(u).or_default().push(r);
    }
    let _ = writeln!(
        out,
        "  利用者: {} 人　レコード: {} 件",
        users.len(),
        c.records.len()
    );
    for (i, u) in order.iter().enumerate() {
        if i == MAX_USERS {
            let _ = writeln!(out, "  …ほか {} 人", order.len() - MAX_USERS);
            break;
        }
        let records = users.get(u).map(Vec::as_slice).unwrap_or_default();
        let _ = writeln!(out, "  ● 被保険者番号 {}（保険者番号 {}）", u.1, u.0);
        user_digest(out, c, records);
    }
}

fn typed<T: TypedRecord>(c: &CsvFile, records: &[&Record]) -> Vec<T> {
    records
        .iter()
        .map(|r| T::from_record(c.layout, r))
        .collect()
}

fn line(out: &mut String, text: impl AsRef<str>) {
    let _ = writeln!(out, "      {}", text.as_ref());
}

fn days_text(days: &[u8]) -> String {
    days.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

fn user_digest(out: &mut String, c: &CsvFile, records: &[&Record]) {
    match c.kind() {
        FileKind::UserSupplement => {
            for s in typed::<UserSupplement>(c, records) {
                line(
                    out,
                    format!(
                        "{}（{}） {} {}生 要介護状態区分 {}",
                        s.name,
                        s.name_kana,
                        fmt::coded(&codes::SEX, &s.sex),
                        fmt::date_ja(&s.birth_date),
                        fmt::coded(&codes::CARE_LEVEL, &s.care_level)
                    ),
                );
                if YearMonth::parse(&s.target_month).is_some() {
                    line(
                        out,
                        format!(
                            "利用票に添付: {}分　区分支給限度基準額 {} 単位",
                            fmt::month_ja(&s.target_month),
                            fmt::num(&s.benefit_limit)
                        ),
                    );
                } else {
                    line(
                        out,
                        format!(
                            "計画書に添付: 居宅サービス計画作成（変更）日 {}",
                            fmt::date_ja(&s.plan_date)
                        ),
                    );
                }
            }
        }
        FileKind::CarePlan1 => {
            for p in typed::<CarePlan1>(c, records) {
                line(
                    out,
                    format!(
                        "居宅サービス計画作成（変更）日 {}　初回作成日 {}　作成年月日 {}",
                        fmt::date_ja(&p.plan_date),
                        fmt::date_ja(&p.first_plan_date),
                        fmt::date_ja(&p.created_date)
                    ),
                );
                line(
                    out,
                    format!(
                        "要介護状態区分 {}　計画書区分 {}　認定状況 {}",
                        fmt::coded(&codes::CARE_LEVEL, &p.care_level),
                        fmt::coded(&codes::PLAN_CATEGORY, &p.plan_category),
                        fmt::coded(&codes::CERTIFICATION_STATUS, &p.certification_status)
                    ),
                );
                line(
                    out,
                    format!(
                        "認定有効期間 {}　作成者 {}（{}）",
                        super::plan_period(&p.certification_start, &p.certification_end),
                        p.planner_name,
                        p.support_office_name
                    ),
                );
            }
        }
        FileKind::CarePlan2 => {
            let rows = typed::<CarePlan2>(c, records);
            let plan = rows
                .first()
                .map(|r| r.plan_date.clone())
                .unwrap_or_default();
            let issues: Vec<&CarePlan2> = rows.iter().filter(|r| !r.issue.is_empty()).collect();
            line(
                out,
                format!(
                    "居宅サービス計画作成（変更）日 {}　課題 {} 件　援助内容 {} 行",
                    fmt::date_ja(&plan),
                    issues.len(),
                    rows.len()
                ),
            );
            for r in issues {
                line(
                    out,
                    format!("課題{}: {}", r.issue_no, fmt::short(&r.issue, 40)),
                );
            }
        }
        FileKind::CarePlan3 => {
            let rows = typed::<CarePlan3>(c, records);
            if let Some(r) = rows.first() {
                line(
                    out,
                    format!(
                        "居宅サービス計画作成（変更）日 {}",
                        fmt::date_ja(&r.plan_date)
                    ),
                );
            }
            for r in &rows {
                if !r.service_content.is_empty() {
                    line(
                        out,
                        format!(
                            "週間: {} {} {}",
                            fmt::meaning(&codes::WEEKDAY, &r.weekday),
                            fmt::time_range(&r.service_start, &r.service_end),
                            r.service_content
                        ),
                    );
                }
                if !r.daily_activity.is_empty() {
                    line(
                        out,
                        format!(
                            "日常生活: {} {}",
                            fmt::time(&r.activity_start),
                            r.daily_activity
                        ),
                    );
                }
                if !r.non_weekly_service.is_empty() {
                    line(out, format!("週単位以外: {}", r.non_weekly_service));
                }
            }
        }
        FileKind::ServiceSchedule | FileKind::ServiceActual => schedule_digest(out, c, records),
        FileKind::ServiceAnnex => {
            let rows = typed::<ServiceAnnex>(c, records);
            let lines = rows
                .iter()
                .filter(|r| super::schedule::annex_line_kind(&r.service_code).0 == "line")
                .count();
            line(
                out,
                format!(
                    "サービス {} 行、小計・合計 {} 行",
                    lines,
                    rows.len() - lines
                ),
            );
            match rows.iter().find(|r| r.service_code == "999999") {
                Some(t) => line(
                    out,
                    format!(
                        "合計: サービス単位 {}　区分支給限度基準内 {}　費用総額 {} 円　保険請求額 {} 円　利用者負担 {} 円",
                        fmt::num(&t.service_units),
                        fmt::num(&t.category_limit_within_units),
                        fmt::num(&t.total_cost),
                        fmt::num(&t.insurance_claim),
                        fmt::num(&t.copay_insured)
                    ),
                ),
                None => line(out, "全合計（999999）の行がありません"),
            }
        }
        FileKind::CarePlan1Delete
        | FileKind::ServiceScheduleDelete
        | FileKind::ServiceActualDelete
        | FileKind::BasicInfoDelete
        | FileKind::PreventivePlanDelete => {
            for r in records {
                let (target, cascade) = super::other::deletion_target(c, r);
                if cascade.is_empty() {
                    line(out, format!("削除: {target}"));
                } else {
                    line(out, format!("削除: {target}（{cascade}）"));
                }
            }
        }
        FileKind::BasicInfo => {
            for b in typed::<BasicInfo>(c, records) {
                line(
                    out,
                    format!(
                        "{}（{}） {} {}生　相談日 {}",
                        b.name,
                        b.name_kana,
                        fmt::coded(&codes::SEX, &b.sex),
                        fmt::date_ja(&b.birth_date),
                        fmt::date_ja(&b.consultation_date)
                    ),
                );
                line(
                    out,
                    format!(
                        "計画種類 {}　要介護状態区分 {}",
                        fmt::coded(&codes::PLAN_TYPE, &b.plan_type),
                        fmt::coded(&codes::CARE_LEVEL_PREVENTIVE, &b.care_level)
                    ),
                );
            }
        }
        FileKind::BasicInfoSchedule | FileKind::BasicInfoHistory => {
            let date = records
                .first()
                .map(|r| c.get(r, "consultation_date"))
                .unwrap_or_default();
            line(
                out,
                format!("相談日 {}　{} 行", fmt::date_ja(date), records.len()),
            );
            if c.kind() == FileKind::BasicInfoHistory {
                for r in records {
                    line(
                        out,
                        format!(
                            "{} {}（{}）",
                            c.get(r, "onset"),
                            c.get(r, "disease"),
                            fmt::meaning(&codes::PROGRESS, c.get(r, "progress"))
                        ),
                    );
                }
            }
        }
        FileKind::PreventivePlan => {
            for y in typed::<PreventivePlan>(c, records) {
                line(
                    out,
                    format!(
                        "{}　計画作成（変更）日 {}　要支援状態区分 {}",
                        y.user_name,
                        fmt::date_ja(&y.plan_date),
                        fmt::coded(&codes::SUPPORT_LEVEL, &y.support_level)
                    ),
                );
                line(
                    out,
                    format!(
                        "計画種類 {}　委託 {}　計画書区分 {}",
                        fmt::coded(&codes::PLAN_TYPE, &y.plan_type),
                        fmt::coded(&codes::OUTSOURCED, &y.outsourced),
                        fmt::coded(&codes::PLAN_CATEGORY, &y.plan_category)
                    ),
                );
            }
        }
        FileKind::PreventivePlanSupport => {
            let rows = typed::<PreventivePlanSupport>(c, records);
            let issues = rows.iter().filter(|r| !r.overall_issue.is_empty()).count();
            line(
                out,
                format!("総合的課題 {issues} 件　支援計画 {} 行", rows.len()),
            );
            for r in rows.iter().filter(|r| !r.service_type.is_empty()) {
                line(
                    out,
                    format!(
                        "利用サービス: {} {} {}",
                        r.service_type, r.service_provider, r.service_period
                    ),
                );
            }
        }
        FileKind::BasicInfoFamilyImage => {}
    }
}

/// 第6表 / 実績: each service line with its days.
fn schedule_digest(out: &mut String, c: &CsvFile, records: &[&Record]) {
    let lines = typed::<ServiceLine>(c, records);
    if let Some(l) = lines.first() {
        line(
            out,
            format!(
                "作成年月日 {}　担当 {} {}",
                fmt::date_ja(&l.created_date),
                l.planner_office,
                l.planner_name
            ),
        );
    }
    // (start, time, code, provider, satellite) → (days, count, provider name)
    type Key = (u16, String, String, String, String);
    let mut grouped: BTreeMap<Key, (Vec<u8>, u32, String)> = BTreeMap::new();
    for l in &lines {
        let key = (
            fmt::minutes(&l.start_time).unwrap_or(u16::MAX),
            fmt::time_range(&l.start_time, &l.end_time),
            l.service_code.clone(),
            l.provider_code.clone(),
            l.satellite_no.clone(),
        );
        let e = grouped
            .entry(key)
            .or_insert_with(|| (Vec::new(), 0, l.provider_name.clone()));
        if let Some(d) = Date::parse(&l.service_date)
            && !e.0.contains(&d.day)
        {
            e.0.push(d.day);
        }
        e.1 += l.service_count.parse::<u32>().unwrap_or(1);
    }
    for ((_, time, code, provider, _), (mut days, count, provider_name)) in grouped {
        days.sort_unstable();
        let time = if time.is_empty() {
            "時間なし".to_string()
        } else {
            time
        };
        let who = if provider_name.is_empty() {
            provider
        } else {
            provider_name
        };
        line(
            out,
            format!(
                "{time} {} {code} {who}: {} 日（{count} 回）",
                fmt::kind_name(fmt::kind_of(&code)),
                days_text(&days)
            ),
        );
    }
}
