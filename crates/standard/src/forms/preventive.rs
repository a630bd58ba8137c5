//! 介護予防 forms: 利用者基本情報 (with 別表1 タイムスケジュール, 別表2 現病歴・既往歴 and the family
//! image's name) and 介護予防サービス・支援計画書 (with its 別表 支援計画).

use askama::Template;

use super::fmt;
use super::plan::{LevelRow, Span, merge_levels};
use super::{
    Choice, Input, Picked, Place, Section, UserKey, certification_choices, pick_latest,
    plan_category_choices, render, user_of,
};
use crate::codes::{self, CodeList};
use crate::file_kind::FileKind;
use crate::layout::{
    BasicInfo, BasicInfoHistory, BasicInfoSchedule, PreventivePlan, PreventivePlanSupport,
};

/// One label/value pair of a form row; `span` is the value's column span.
pub(crate) struct Kv {
    pub label: String,
    pub value: String,
    pub span: usize,
}

/// Label/value pairs laid out in a grid of `COLUMNS` pairs per row.
pub(crate) struct KvRow {
    pub cells: Vec<Kv>,
}

const COLUMNS: usize = 4;

/// Builds rows where each row fills the full width: the last value spans what is left.
fn kv_rows(rows: &[&[(&str, String)]]) -> Vec<KvRow> {
    rows.iter()
        .map(|pairs| {
            let n = pairs.len().max(1);
            let cells = pairs
                .iter()
                .enumerate()
                .map(|(i, (l, v))| Kv {
                    label: (*l).to_string(),
                    value: v.clone(),
                    span: if i + 1 == n { 1 + 2 * (COLUMNS - n) } else { 1 },
                })
                .collect();
            KvRow { cells }
        })
        .collect()
}

fn code(list: &CodeList, v: &str) -> String {
    if v.is_empty() {
        String::new()
    } else {
        fmt::meaning(list, v)
    }
}

/// 該当 flags as the names of the ones that apply (身障・療育…).
fn applicable(flags: &[(&str, &str)]) -> String {
    flags
        .iter()
        .filter(|(_, v)| *v == "1")
        .map(|(l, _)| *l)
        .collect::<Vec<_>>()
        .join("・")
}

pub(crate) struct Contact {
    pub no: usize,
    pub name: String,
    pub relation: String,
    pub address: String,
    pub phone: String,
}

pub(crate) struct ScheduleRow {
    pub time: String,
    pub person: String,
    pub carer: String,
}

pub(crate) struct HistoryRow {
    pub onset: String,
    pub disease: String,
    pub institution: String,
    pub attending: String,
    pub phone: String,
    pub progress: String,
    pub treatment: String,
}

#[derive(Template)]
#[template(path = "forms/basic_info.html")]
pub(crate) struct BasicInfoForm {
    pub consultation_date: String,
    pub head: Vec<KvRow>,
    pub person: Vec<KvRow>,
    pub contacts: Vec<Contact>,
    pub family: Vec<KvRow>,
    pub life: Vec<KvRow>,
    pub schedule: Vec<ScheduleRow>,
    pub history: Vec<HistoryRow>,
    pub consent: Vec<KvRow>,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

pub(crate) fn basic_info(
    b: &BasicInfo,
    picked: &Picked<'_>,
    schedule: Option<&Picked<'_>>,
    history: Option<&Picked<'_>>,
    images: &[String],
) -> BasicInfoForm {
    let head = kv_rows(&[
        &[
            ("計画種類", code(&codes::PLAN_TYPE, &b.plan_type)),
            ("委託の有無", code(&codes::OUTSOURCED, &b.outsourced)),
            ("作成担当者", b.author.clone()),
        ],
        &[
            ("相談日", fmt::date_ja(&b.consultation_date)),
            ("相談方法", {
                let method = code(&codes::CONSULTATION_METHOD, &b.consultation_method);
                if b.consultation_method_other.is_empty() {
                    method
                } else {
                    format!("{method}（{}）", b.consultation_method_other)
                }
            }),
            (
                "相談回数",
                code(&codes::CONSULTATION_COUNT, &b.consultation_count),
            ),
            ("前回相談日", fmt::date_ja(&b.previous_consultation_date)),
        ],
        &[
            (
                "本人の現況",
                code(&codes::CURRENT_SITUATION, &b.current_situation),
            ),
            ("状況補足", b.current_situation_note.clone()),
        ],
    ]);
    let person = kv_rows(&[
        &[
            ("フリガナ", b.name_kana.clone()),
            ("本人氏名", b.name.clone()),
            ("性別", code(&codes::SEX, &b.sex)),
            ("生年月日", fmt::date_ja(&b.birth_date)),
        ],
        &[
            ("住所", b.address.clone()),
            ("電話", b.phone.clone()),
            ("FAX", b.fax.clone()),
        ],
        &[
            (
                "障害高齢者の日常生活自立度",
                code(&codes::DISABILITY_INDEPENDENCE, &b.disability_independence),
            ),
            (
                "認知症高齢者の日常生活自立度",
                code(&codes::DEMENTIA_INDEPENDENCE, &b.dementia_independence),
            ),
        ],
        &[
            (
                "要介護状態区分",
                code(&codes::CARE_LEVEL_PREVENTIVE, &b.care_level),
            ),
            (
                "有効期間",
                super::plan_period(&b.certification_start, &b.certification_end),
            ),
            (
                "前回の介護度",
                code(&codes::CARE_LEVEL_PREVENTIVE, &b.previous_care_level),
            ),
        ],
        &[
            (
                "基本チェックリスト記入結果",
                code(&codes::CHECKLIST_RESULT, &b.checklist_result),
            ),
            ("記入日", fmt::date_ja(&b.checklist_date)),
        ],
        &[
            (
                "障害等認定",
                applicable(&[
                    ("身障", &b.disability_physical),
                    ("療育", &b.disability_intellectual),
                    ("精神", &b.disability_mental),
                    ("難病", &b.disability_intractable),
                ]),
            ),
            ("特記事項", b.disability_note.clone()),
        ],
        &[
            ("居住形態", code(&codes::HOUSING, &b.housing)),
            (
                "自室の階数",
                if b.room_floor.is_empty() {
                    String::new()
                } else {
                    format!("{}階", b.room_floor)
                },
            ),
            (
                "住宅改修の有無",
                code(&codes::PRESENCE, &b.home_modification),
            ),
        ],
        &[
            (
                "経済状況",
                applicable(&[
                    ("国民年金", &b.pension_national),
                    ("厚生年金", &b.pension_employee),
                    ("障害年金", &b.pension_disability),
                    ("生活保護", &b.public_assistance),
                ]),
            ),
            ("詳細", b.economic_note.clone()),
        ],
        &[
            ("来所者（相談者）", b.visitor_name.clone()),
            ("続柄", b.visitor_relation.clone()),
            ("住所", b.visitor_address.clone()),
            ("電話", b.visitor_phone.clone()),
        ],
    ]);
    let contacts = [
        (
            &b.emergency1_name,
            &b.emergency1_relation,
            &b.emergency1_address,
            &b.emergency1_phone,
        ),
        (
            &b.emergency2_name,
            &b.emergency2_relation,
            &b.emergency2_address,
            &b.emergency2_phone,
        ),
        (
            &b.emergency3_name,
            &b.emergency3_relation,
            &b.emergency3_address,
            &b.emergency3_phone,
        ),
        (
            &b.emergency4_name,
            &b.emergency4_relation,
            &b.emergency4_address,
            &b.emergency4_phone,
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (n, r, a, p))| Contact {
        no: i + 1,
        name: n.clone(),
        relation: r.clone(),
        address: a.clone(),
        phone: p.clone(),
    })
    .collect();
    let image = if b.family_image_file.is_empty() {
        String::new()
    } else if images
        .iter()
        .any(|i| i.eq_ignore_ascii_case(&b.family_image_file))
    {
        format!("{}（同封）", b.family_image_file)
    } else {
        format!("{}（このページには含まれていません）", b.family_image_file)
    };
    let family = kv_rows(&[
        &[("家族構成（画像）", image)],
        &[("家族関係等の状況", b.family_situation.clone())],
    ]);
    let life = kv_rows(&[
        &[("今までの生活", b.life_history.clone())],
        &[("１日の生活・すごし方", b.daily_life.clone())],
        &[
            ("趣味・楽しみ・特技", b.hobbies.clone()),
            ("友人・地域との関係", b.community.clone()),
        ],
        &[
            ("現在利用している公的サービス", b.public_services.clone()),
            ("非公的サービス", b.private_services.clone()),
        ],
    ]);
    let consent = kv_rows(&[&[
        ("同意日", fmt::date_ja(&b.consent_date)),
        ("同意者氏名", b.consenter_name.clone()),
    ]]);
    let schedule_rows = schedule
        .map(|p| {
            p.typed::<BasicInfoSchedule>()
                .into_iter()
                .map(|s| ScheduleRow {
                    time: s.time,
                    person: s.person_status,
                    carer: s.carer_status,
                })
                .collect()
        })
        .unwrap_or_default();
    let history_rows = history
        .map(|p| {
            p.typed::<BasicInfoHistory>()
                .into_iter()
                .map(|h| HistoryRow {
                    onset: h.onset,
                    disease: h.disease,
                    institution: h.institution,
                    attending: code(&codes::ATTENDING_DOCTOR, &h.attending_flag),
                    phone: h.institution_phone,
                    progress: code(&codes::PROGRESS, &h.progress),
                    treatment: h.treatment,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut notes: Vec<String> = picked.superseded_note().into_iter().collect();
    let mut sources = vec![crate::reader::base_name(&picked.file.file_name).to_string()];
    for p in schedule.iter().chain(history.iter()) {
        sources.push(crate::reader::base_name(&p.file.file_name).to_string());
        notes.extend(p.superseded_note());
    }
    BasicInfoForm {
        consultation_date: fmt::date_ja(&b.consultation_date),
        head,
        person,
        contacts,
        family,
        life,
        schedule: schedule_rows,
        history: history_rows,
        consent,
        notes,
        sources,
    }
}

pub(crate) struct Domain {
    pub name: &'static str,
    pub status: String,
    pub intention: String,
    pub has_issue: Vec<Choice>,
    pub issue: String,
}

pub(crate) struct SupportRow {
    pub issue: Option<Span>,
    pub proposal: Option<Span>,
    pub intention: Option<Span>,
    pub goal: Option<Span>,
    pub point: Option<Span>,
    pub self_care: Option<Span>,
    pub insured: Option<Span>,
    pub service_type: String,
    pub provider: String,
    pub period: String,
}

pub(crate) struct Checklist {
    pub name: &'static str,
    pub count: String,
    pub need: String,
}

#[derive(Template)]
#[template(path = "forms/preventive_plan.html")]
pub(crate) struct PreventivePlanForm {
    pub reference_no: String,
    pub user_name: String,
    pub head: Vec<KvRow>,
    pub categories: Vec<Choice>,
    pub certification: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub goal_day: String,
    pub goal_year: String,
    pub domains: Vec<Domain>,
    pub support: Vec<SupportRow>,
    pub health_notes: String,
    pub support_policy: String,
    pub overall_policy: String,
    pub checklist: Vec<Checklist>,
    pub center_opinion: String,
    pub consent_date: String,
    pub consenter_name: String,
    pub notes: Vec<String>,
    pub sources: Vec<String>,
}

fn presence(v: &str) -> Vec<Choice> {
    let selected: &[&str] = match v {
        "1" => &["有"],
        "2" => &["無"],
        _ => &[],
    };
    Choice::list(&["有", "無"], selected)
}

fn support_rows(p: &Picked<'_>) -> Vec<SupportRow> {
    let records: Vec<PreventivePlanSupport> = p.typed();
    let numbers = p.carried_numbers(&["issue_no", "support_no", "service_no"]);
    let levels: Vec<LevelRow<'_>> = records
        .iter()
        .zip(&numbers)
        .map(|(r, n)| {
            vec![
                (
                    vec![n[0]],
                    vec![
                        r.overall_issue.as_str(),
                        r.goal_proposal.as_str(),
                        r.intention.as_str(),
                        r.goal.as_str(),
                    ],
                ),
                (
                    vec![n[0], n[1]],
                    vec![
                        r.support_point.as_str(),
                        r.self_care.as_str(),
                        r.insured_service.as_str(),
                    ],
                ),
            ]
        })
        .collect();
    let merged = merge_levels(&levels, 2);
    let cell = |level: usize, i: usize, j: usize| {
        merged[level][i].as_ref().map(|(rows, v)| Span {
            text: v.get(j).cloned().unwrap_or_default(),
            period: String::new(),
            rows: *rows,
        })
    };
    records
        .iter()
        .enumerate()
        .map(|(i, r)| SupportRow {
            issue: cell(0, i, 0),
            proposal: cell(0, i, 1),
            intention: cell(0, i, 2),
            goal: cell(0, i, 3),
            point: cell(1, i, 0),
            self_care: cell(1, i, 1),
            insured: cell(1, i, 2),
            service_type: r.service_type.clone(),
            provider: r.service_provider.clone(),
            period: r.service_period.clone(),
        })
        .collect()
}

pub(crate) fn preventive_plan(
    y: &PreventivePlan,
    picked: &Picked<'_>,
    support: Option<&Picked<'_>>,
) -> PreventivePlanForm {
    let level = codes::SUPPORT_LEVEL.meaning(&y.support_level);
    let head = kv_rows(&[
        &[
            ("計画種類", code(&codes::PLAN_TYPE, &y.plan_type)),
            ("委託の有無", code(&codes::OUTSOURCED, &y.outsourced)),
            ("認定年月日", fmt::date_ja(&y.certification_date)),
            (
                "認定の有効期間",
                super::plan_period(&y.certification_start, &y.certification_end),
            ),
        ],
        &[
            ("計画作成者氏名", y.center_staff_name.clone()),
            ("担当介護支援専門員", y.care_manager_name.clone()),
            ("担当地域包括支援センター", y.center_name.clone()),
        ],
        &[(
            "委託の場合：計画作成事業者・事業所名及び所在地（連絡先）",
            [
                y.planner_office_name.as_str(),
                y.planner_office_address.as_str(),
                y.planner_office_phone.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("　"),
        )],
        &[
            ("計画作成（変更）日", fmt::date_ja(&y.plan_date)),
            ("初回作成日", fmt::date_ja(&y.first_plan_date)),
        ],
    ]);
    let domains = vec![
        Domain {
            name: "運動・移動について",
            status: y.mobility_status.clone(),
            intention: y.mobility_intention.clone(),
            has_issue: presence(&y.mobility_has_issue),
            issue: y.mobility_issue.clone(),
        },
        Domain {
            name: "日常生活（家庭生活）について",
            status: y.home_life_status.clone(),
            intention: y.home_life_intention.clone(),
            has_issue: presence(&y.home_life_has_issue),
            issue: y.home_life_issue.clone(),
        },
        Domain {
            name: "社会参加、対人関係・コミュニケーションについて",
            status: y.social_status.clone(),
            intention: y.social_intention.clone(),
            has_issue: presence(&y.social_has_issue),
            issue: y.social_issue.clone(),
        },
        Domain {
            name: "健康管理について",
            status: y.health_status.clone(),
            intention: y.health_intention.clone(),
            has_issue: presence(&y.health_has_issue),
            issue: y.health_issue.clone(),
        },
    ];
    // 基本チェックリスト: (該当した質問項目数)/(質問項目数) as on the paper form.
    let checklist = [
        ("運動不足", 5, &y.checklist_exercise, &y.program_exercise),
        ("栄養改善", 2, &y.checklist_nutrition, &y.program_nutrition),
        ("口腔内ケア", 3, &y.checklist_oral, &y.program_oral),
        (
            "閉じこもり予防",
            2,
            &y.checklist_withdrawal,
            &y.program_withdrawal,
        ),
        ("物忘れ予防", 3, &y.checklist_memory, &y.program_memory),
        (
            "うつ予防",
            5,
            &y.checklist_depression,
            &y.program_depression,
        ),
    ]
    .into_iter()
    .map(|(name, of, count, need)| Checklist {
        name,
        count: if count.is_empty() {
            String::new()
        } else {
            format!("{count}/{of}")
        },
        need: code(&codes::NEED, need),
    })
    .collect();
    let mut notes: Vec<String> = picked.superseded_note().into_iter().collect();
    let mut sources = vec![crate::reader::base_name(&picked.file.file_name).to_string()];
    if let Some(s) = support {
        sources.push(crate::reader::base_name(&s.file.file_name).to_string());
        notes.extend(s.superseded_note());
    }
    PreventivePlanForm {
        reference_no: y.reference_no.clone(),
        user_name: y.user_name.clone(),
        head,
        categories: plan_category_choices(&y.plan_category),
        certification: certification_choices(&y.certification_status),
        levels: Choice::list(
            &["要支援１", "要支援２", "地域支援事業"],
            &level.into_iter().collect::<Vec<_>>(),
        ),
        goal_day: y.goal_day.clone(),
        goal_year: y.goal_year.clone(),
        domains,
        support: support.map(support_rows).unwrap_or_default(),
        health_notes: y.health_notes.clone(),
        support_policy: y.support_policy.clone(),
        overall_policy: y.overall_policy.clone(),
        checklist,
        center_opinion: y.center_opinion.clone(),
        consent_date: fmt::date_ja(&y.consent_date),
        consenter_name: y.consenter_name.clone(),
        notes,
        sources,
    }
}

/// Adds the 利用者基本情報 and 介護予防サービス・支援計画書 of every user.
pub(crate) fn sections(input: &Input<'_>, out: &mut Vec<Section>) {
    let by = |date_key: &'static str| {
        move |f: &crate::record::CsvFile, r: &crate::record::Record| {
            Some((user_of(f, r), f.get(r, date_key).to_string()))
        }
    };
    let info = pick_latest(
        &input.of_kind(&[FileKind::BasicInfo]),
        by("consultation_date"),
    );
    let sub1 = pick_latest(
        &input.of_kind(&[FileKind::BasicInfoSchedule]),
        by("consultation_date"),
    );
    let sub2 = pick_latest(
        &input.of_kind(&[FileKind::BasicInfoHistory]),
        by("consultation_date"),
    );
    let plans = pick_latest(&input.of_kind(&[FileKind::PreventivePlan]), by("plan_date"));
    let plan_subs = pick_latest(
        &input.of_kind(&[FileKind::PreventivePlanSupport]),
        by("plan_date"),
    );
    let images: Vec<String> = input
        .images
        .iter()
        .map(|i| crate::reader::base_name(&i.file_name).to_string())
        .collect();
    let mut push = |user: &UserKey, rank: u8, when: &str, html: String| {
        out.push(Section {
            place: Place {
                user: user.clone(),
                rank,
                when: when.to_string(),
            },
            html,
        });
    };
    for (key, picked) in &info {
        for b in picked.typed::<BasicInfo>() {
            let form = basic_info(&b, picked, sub1.get(key), sub2.get(key), &images);
            push(&key.0, 10, &key.1, render(&form));
        }
    }
    for (key, picked) in &plans {
        for y in picked.typed::<PreventivePlan>() {
            let form = preventive_plan(&y, picked, plan_subs.get(key));
            push(&key.0, 11, &key.1, render(&form));
        }
    }
    // 別表 whose parent is not among the files: shown field by field.
    for (kind, map) in [
        (FileKind::BasicInfoSchedule, &sub1),
        (FileKind::BasicInfoHistory, &sub2),
    ] {
        for (key, picked) in map.iter().filter(|(k, _)| !info.contains_key(*k)) {
            push(&key.0, 12, &key.1, super::other::fields_form(kind, picked));
        }
    }
    for (key, picked) in plan_subs.iter().filter(|(k, _)| !plans.contains_key(*k)) {
        push(
            &key.0,
            12,
            &key.1,
            super::other::fields_form(FileKind::PreventivePlanSupport, picked),
        );
    }
}
