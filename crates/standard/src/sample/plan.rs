//! 居宅サービス計画書: 第1表 (one record per user), 第2表 (課題 → 援助目標 → 援助内容 rows, with
//! the text of a group printed only on its first row, as the spec's example does) and 第3表 (weekly
//! slots, daily activities, 週単位以外のサービス).
//!
//! The free text has commas, ASCII quotes, ①② and CRLF line breaks on purpose: those are the
//! paths a reader gets wrong.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::calendar::{add_days, add_months, hhmm, japanese_date};
use super::offices::Office;
use super::schedule::frequency_text;
use super::users::User;
use crate::layout::{CarePlan1, CarePlan2, CarePlan3};
use crate::month::Date;

/// One 課題 of the 第2表 and the services that answer it, by provider kind.
struct IssueTemplate {
    kinds: &'static [&'static str],
    issue: &'static str,
    long_goal: &'static str,
    short_goals: &'static [&'static str],
    /// (kind, サービス内容).
    services: &'static [(&'static str, &'static str)],
    /// (サービス内容, サービス種別, 頻度) of an informal support.
    informal: (&'static str, &'static str, &'static str),
}

const ISSUES: &[IssueTemplate] = &[
    IssueTemplate {
        kinds: &["11", "15", "16"],
        issue: "膝の痛みがあり、浴槽をまたぐことが難しい。\r\n「家のお風呂にゆっくり入りたい」と話される。",
        long_goal: "週2回以上、安全に入浴して清潔を保てる",
        short_goals: &[
            "介助を受けながら、転倒せずに入浴できる",
            "入浴後の着替えを自分でできる",
        ],
        services: &[
            (
                "11",
                "入浴介助（洗身、洗髪）、更衣介助\r\n①浴室までの移動の見守り　②浴槽の出入りの介助",
            ),
            ("15", "入浴介助、入浴後の水分補給"),
            ("16", "入浴介助、浴槽の出入りの動作訓練"),
        ],
        informal: ("入浴後の保湿、着替えの準備", "家族", "随時"),
    },
    IssueTemplate {
        kinds: &["17", "16", "15"],
        issue: "足腰の筋力が低下し、家の中を歩くときにふらつく。\r\nトイレまで一人で行けるようになりたい。",
        long_goal: "転倒せずに屋内を移動できる",
        short_goals: &["手すりや歩行器を使い、トイレまで一人で歩ける"],
        services: &[
            ("17", "福祉用具の貸与、定期的な点検・調整"),
            ("16", "歩行訓練、筋力向上のための個別リハビリ"),
            ("15", "機能訓練（立ち上がり、歩行）、体操"),
        ],
        informal: ("夜間のトイレ移動の見守り", "家族", "毎日"),
    },
    IssueTemplate {
        kinds: &["13"],
        issue: "持病（高血圧、糖尿病）があり、体調の管理が必要。\r\n薬の飲み忘れがある。",
        long_goal: "体調を崩さず、自宅での生活を続けられる",
        short_goals: &["薬を忘れずに飲み、血圧・血糖が安定する"],
        services: &[("13", "バイタルチェック、服薬管理、主治医との連絡調整")],
        informal: ("定期受診（月1回）、処方の管理", "医療", "月1回"),
    },
    IssueTemplate {
        kinds: &["21"],
        issue: "主介護者の家族が仕事と介護を両立しており、疲れがたまっている。",
        long_goal: "家族が無理なく介護を続けられる",
        short_goals: &["月1回、家族が休息できる日をつくる"],
        services: &[("21", "短期入所（入浴、食事、排泄の介助、機能訓練）")],
        informal: ("休日の見守り、買い物", "家族", "週末"),
    },
    IssueTemplate {
        kinds: &["11"],
        issue: "調理や掃除が難しくなり、食事が偏りがち。\r\n\"自分でできることは続けたい\"と本人。",
        long_goal: "栄養のある食事をとり、清潔な部屋で暮らせる",
        short_goals: &[
            "ヘルパーと一緒に簡単な調理ができる",
            "部屋の整理整頓を一緒に行える",
        ],
        services: &[("11", "調理、掃除、買い物の支援（本人と一緒に行う）")],
        informal: ("週末の買い物、通院の付き添い", "家族", "週1回"),
    },
    IssueTemplate {
        kinds: &["15"],
        issue: "外出の機会が減り、人と話すことが少なくなった。",
        long_goal: "人との交流を楽しみ、意欲的に過ごせる",
        short_goals: &["デイサービスで友人をつくり、週1回以上外出する"],
        services: &[("15", "レクリエーション、他の利用者との交流、送迎")],
        informal: ("地域のサロンへの参加", "地域", "月2回"),
    },
];

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "11" => "訪問介護",
        "13" => "訪問看護",
        "15" => "通所介護",
        "16" => "通所リハビリテーション",
        "17" => "福祉用具貸与",
        "21" => "短期入所生活介護",
        _ => "居宅サービス",
    }
}

fn period_text(from: Date, to: Date) -> String {
    format!("{}～{}", japanese_date(from), japanese_date(to))
}

/// 第1表 of a user.
pub(crate) fn care_plan_1(
    rng: &mut StdRng,
    user: &User,
    offices: &[Office],
    csv_version: &str,
) -> CarePlan1 {
    let office = &offices[user.care_office];
    let has_livelihood = user
        .rows
        .iter()
        .any(|r| r.code.starts_with("1162") || r.code.starts_with("1163"));
    let livelihood_reason = if has_livelihood {
        *["1", "2", "3"].choose(rng).expect("non-empty")
    } else {
        ""
    };
    let category = if user.first_plan_date == user.plan_date {
        "11"
    } else {
        *["21", "21", "21", "12", "53"]
            .choose(rng)
            .expect("non-empty")
    };
    let relation = user.family_relation;
    CarePlan1 {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        created_date: user.plan_date.to_string(),
        postal_code: user.address.postal_code.clone(),
        address1: user.address.line1.clone(),
        address2: user.address.line2.clone(),
        planner_name: user.manager.kanji(),
        support_office_name: office.name.clone(),
        support_office_postal_code: office.address.postal_code.clone(),
        support_office_address1: office.address.line1.clone(),
        support_office_address2: office.address.line2.clone(),
        support_office_number: office.number.to_string(),
        plan_date: user.plan_date.to_string(),
        first_plan_date: user.first_plan_date.to_string(),
        plan_category: category.to_string(),
        certification_status: user.cert_status.to_string(),
        certification_date: user.cert_date.to_string(),
        certification_start: user.cert_start.to_string(),
        certification_end: user.cert_end.to_string(),
        care_level: user.care_level.to_string(),
        assessment_result: format!(
            "本人：「住み慣れた家で、できるだけ自分のことは自分でしたい」\r\n{relation}：「日中は仕事で留守にするので、転倒や入浴が心配。\r\n介護サービスを使いながら、家での生活を続けてほしい」\r\n（自宅訪問, 本人・家族同席にて聴取）"
        ),
        committee_opinion: [
            "特になし",
            "なし",
            "心身の状態の維持・改善のため、通所系サービスの利用が望ましい。",
        ]
        .choose(rng)
        .expect("non-empty")
        .to_string(),
        overall_policy: format!(
            "{}様が住み慣れた自宅で、安心して生活を続けられるよう支援します。\r\n①入浴・排泄の介助、②転倒の予防、③ご家族の介護負担の軽減、を柱に関係機関と連携します。\r\n緊急連絡先：{}　{}（{}, 日中は携帯へ）",
            user.name.kanji(),
            relation,
            user.family.kanji(),
            user.phone
        ),
        livelihood_reason: livelihood_reason.to_string(),
        other_reason: if livelihood_reason == "3" {
            "日中独居であり、家族の支援が受けられないため".to_string()
        } else {
            String::new()
        },
        updater_code: office.number.to_string(),
        identifier: String::new(),
    }
}

/// 第2表 rows of a user, sorted by (課題ＮＯ, 援助目標ＮＯ, 援助内容ＮＯ) with unique triples.
pub(crate) fn care_plan_2(
    rng: &mut StdRng,
    user: &User,
    offices: &[Office],
    csv_version: &str,
) -> Vec<CarePlan2> {
    let office = &offices[user.care_office];
    let long_end = user.cert_end;
    let short_end = add_days(
        crate::sample::calendar::day_of(add_months(user.plan_date.year_month(), 6), 1),
        -1,
    )
    .min(user.cert_end);
    let long_period = period_text(user.plan_date, long_end);
    let short_period = period_text(user.plan_date, short_end);

    // One 課題 per provider kind (each template once), plus sometimes the health 課題 with only
    // informal support.
    let mut chosen: Vec<usize> = Vec::new();
    for &p in &user.providers {
        let kind = offices[p].kind_str();
        // 訪問介護: the bathing 課題 for 身体介護, the daily-life one for 生活援助.
        let personal = user.rows_of(p).any(|r| r.code.starts_with("111"));
        let household = user.rows_of(p).any(|r| r.code.starts_with("116"));
        let candidates: Vec<usize> = (0..ISSUES.len())
            .filter(|i| ISSUES[*i].kinds.contains(&kind) && !chosen.contains(i))
            .filter(|i| kind != "11" || (*i == 0 && personal) || (*i == 4 && household))
            .collect();
        if let Some(i) = candidates.choose(rng) {
            chosen.push(*i);
        }
    }
    if chosen.is_empty() || (!chosen.contains(&2) && rng.random_bool(0.3)) {
        chosen.push(2);
    }

    let mut out = Vec::new();
    for (issue_index, &t) in chosen.iter().enumerate() {
        let template = &ISSUES[t];
        let issue_no = issue_index + 1;
        // Insured rows: the user's providers of the template's kinds.
        let mut services: Vec<(Option<usize>, &str)> = Vec::new();
        for (pi, &p) in user.providers.iter().enumerate() {
            let kind = offices[p].kind_str();
            let fits = kind != "11"
                || (t == 0 && user.rows_of(p).any(|r| r.code.starts_with("111")))
                || (t == 4 && user.rows_of(p).any(|r| r.code.starts_with("116")));
            if !fits {
                continue;
            }
            if let Some((_, content)) = template.services.iter().find(|(k, _)| *k == kind) {
                services.push((Some(pi), content));
            }
        }
        services.push((None, template.informal.0));
        let second_short = template.short_goals.get(1).filter(|_| services.len() > 1);
        for (si, (provider, content)) in services.iter().enumerate() {
            let first_of_issue = si == 0;
            // A new short-term goal may start within the same 援助目標 (spec example).
            let starts_short = si == 0 || (second_short.is_some() && si == services.len() - 1);
            let short_goal = if si == 0 {
                template.short_goals.first().copied().unwrap_or_default()
            } else {
                second_short.copied().unwrap_or_default()
            };
            let (insured, service_type, code, name, frequency) = match provider {
                Some(pi) => {
                    let o = &offices[user.providers[*pi]];
                    let plan = &user.plans[*pi];
                    let frequency = match o.kind_str() {
                        "17" => "毎日（常時使用）".to_string(),
                        "21" => format!(
                            "月1回（{}泊{}日）",
                            plan.stay_days.saturating_sub(1),
                            plan.stay_days
                        ),
                        _ => frequency_text(&plan.weekdays),
                    };
                    (
                        "Y",
                        kind_label(o.kind_str()).to_string(),
                        o.number.to_string(),
                        o.name.clone(),
                        frequency,
                    )
                }
                None => (
                    "",
                    template.informal.1.to_string(),
                    String::new(),
                    if template.informal.1 == "家族" {
                        user.family_relation.to_string()
                    } else {
                        String::new()
                    },
                    template.informal.2.to_string(),
                ),
            };
            out.push(CarePlan2 {
                csv_version: csv_version.to_string(),
                insurer_number: user.insurer.to_string(),
                insured_number: user.insured.clone(),
                created_date: user.plan_date.to_string(),
                plan_date: user.plan_date.to_string(),
                issue_no: issue_no.to_string(),
                issue: if first_of_issue {
                    template.issue.to_string()
                } else {
                    String::new()
                },
                goal_no: "1".to_string(),
                long_term_goal: if first_of_issue {
                    template.long_goal.to_string()
                } else {
                    String::new()
                },
                short_term_goal: if starts_short {
                    short_goal.to_string()
                } else {
                    String::new()
                },
                long_term_period: if first_of_issue {
                    long_period.clone()
                } else {
                    String::new()
                },
                short_term_period: if starts_short {
                    short_period.clone()
                } else {
                    String::new()
                },
                support_no: (si + 1).to_string(),
                service_content: content.to_string(),
                insurance_covered: insured.to_string(),
                service_type,
                provider_code: code,
                provider_name: name,
                frequency,
                period: short_period.clone(),
                updater_code: office.number.to_string(),
                identifier: String::new(),
            });
        }
    }
    out
}

/// Daily activities of the 第3表: (活動, start, end) in minutes.
const ACTIVITIES: &[(&str, u16, u16)] = &[
    ("起床", 390, 390),
    ("朝食", 450, 480),
    ("昼食", 720, 750),
    ("夕食", 1080, 1110),
    ("就寝", 1260, 1260),
];

/// 第3表 rows of a user (v4 only).
pub(crate) fn care_plan_3(user: &User, csv_version: &str) -> Vec<CarePlan3> {
    let base = CarePlan3 {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        created_date: user.plan_date.to_string(),
        plan_date: user.plan_date.to_string(),
        ..CarePlan3::default()
    };
    let mut slots: Vec<_> = user.plans.iter().flat_map(|p| p.weekly.iter()).collect();
    slots.sort_by_key(|s| (s.weekday, s.start));
    let mut out: Vec<CarePlan3> = slots
        .into_iter()
        .map(|s| CarePlan3 {
            service_content: s.content.clone(),
            weekday: s.weekday.to_string(),
            service_start: hhmm(s.start),
            service_end: hhmm(s.end),
            ..base.clone()
        })
        .collect();
    out.extend(ACTIVITIES.iter().map(|(what, start, end)| CarePlan3 {
        daily_activity: what.to_string(),
        activity_start: hhmm(*start),
        activity_end: hhmm(*end),
        ..base.clone()
    }));
    let mut non_weekly: Vec<String> = user
        .plans
        .iter()
        .flat_map(|p| p.non_weekly.iter().cloned())
        .collect();
    non_weekly.push(format!("通院（月1回、{}の付き添い）", user.family_relation));
    out.extend(non_weekly.into_iter().map(|s| CarePlan3 {
        non_weekly_service: s,
        ..base.clone()
    }));
    out
}
