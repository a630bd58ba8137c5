//! 介護予防 files (v4): 利用者基本情報 with 別表1 (タイムスケジュール), 別表2 (現病歴・既往歴) and a
//! family-structure JPEG; 介護予防サービス・支援計画書 with its 別表 (支援計画).

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::calendar::{add_days, japanese_date};
use super::offices::Office;
use super::people::{self};
use super::users::{CONDITIONS, User};
use crate::layout::{
    BasicInfo, BasicInfoHistory, BasicInfoSchedule, PreventivePlan, PreventivePlanSupport,
};

/// A tiny valid baseline JPEG: 8×8 grey (one DC-only block; one-symbol Huffman tables).
pub(crate) const FAMILY_IMAGE_JPEG: &[u8] = &[
    0xFF, 0xD8, // SOI
    0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, // APP0 JFIF 1.1
    0xFF, 0xDB, 0x00, 0x43, 0x00, // DQT, table 0, 64 ones
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, //
    0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11,
    0x00, // SOF0 8×8, 1 component
    0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, // DHT DC 0: one code of length 1 → category 0
    0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, // DHT AC 0: one code of length 1 → EOB
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // SOS
    0x3F, // DC diff 0 ("0"), EOB ("0"), padded with ones
    0xFF, 0xD9, // EOI
];

/// 要介護状態区分 in the 予防 code list (no 06: a 事業対象者 has none).
fn preventive_level(user: &User) -> &'static str {
    match user.care_level {
        "12" | "13" => user.care_level,
        _ => "",
    }
}

/// 計画種類: 1 介護予防支援 when a 予防給付 service is used, else 2 介護予防ケアマネジメント.
fn plan_type(user: &User, offices: &[Office]) -> &'static str {
    if user
        .providers
        .iter()
        .any(|p| matches!(offices[*p].kind_str(), "67" | "63"))
        && user.care_level != "06"
    {
        "1"
    } else {
        "2"
    }
}

fn outsourced(user: &User) -> &'static str {
    if user.outsourced_to.is_some() {
        "2"
    } else {
        "1"
    }
}

/// 利用者基本情報 of a user; `image` is the family-image file name when one is sent.
pub(crate) fn basic_info(
    rng: &mut StdRng,
    user: &User,
    offices: &[Office],
    csv_version: &str,
    image: Option<&str>,
) -> BasicInfo {
    let center = &offices[user.care_office];
    let kana = if center.half_width_kana {
        user.name.kana_half()
    } else {
        user.name.kana()
    };
    let method = *["01", "02", "03"].choose(rng).expect("non-empty");
    let repeat = user.first_plan_date != user.plan_date;
    let family_address = user.address.one_line();
    let second = people::younger_name(rng);
    let services: Vec<&str> = user
        .providers
        .iter()
        .map(|p| offices[*p].name.as_str())
        .collect();
    BasicInfo {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        consultation_date: user.consultation_date.to_string(),
        plan_type: plan_type(user, offices).to_string(),
        outsourced: outsourced(user).to_string(),
        author: user.manager.kanji(),
        consultation_method: method.to_string(),
        consultation_method_other: if method == "03" {
            "自宅訪問".to_string()
        } else {
            String::new()
        },
        consultation_count: if repeat { "02" } else { "01" }.to_string(),
        previous_consultation_date: if repeat {
            user.old_consultation_date.to_string()
        } else {
            String::new()
        },
        current_situation: "01".to_string(),
        current_situation_note: String::new(),
        name_kana: kana,
        name: user.name.kanji(),
        sex: user.sex.code().to_string(),
        birth_date: user.birth.to_string(),
        address: user.address.one_line(),
        phone: user.phone.clone(),
        fax: String::new(),
        disability_independence: ["01", "11", "12", "21"]
            .choose(rng)
            .expect("non-empty")
            .to_string(),
        dementia_independence: ["01", "02", "03"]
            .choose(rng)
            .expect("non-empty")
            .to_string(),
        care_level: preventive_level(user).to_string(),
        certification_start: if user.care_level == "06" {
            String::new()
        } else {
            user.cert_start.to_string()
        },
        certification_end: if user.care_level == "06" {
            String::new()
        } else {
            user.cert_end.to_string()
        },
        previous_care_level: String::new(),
        checklist_result: if user.care_level == "06" { "1" } else { "2" }.to_string(),
        checklist_date: add_days(user.consultation_date, -rng.random_range(0..=10)).to_string(),
        disability_physical: "0".to_string(),
        disability_intellectual: "0".to_string(),
        disability_mental: "0".to_string(),
        disability_intractable: "0".to_string(),
        disability_note: String::new(),
        housing: ["05", "06", "07", "08"]
            .choose(rng)
            .expect("non-empty")
            .to_string(),
        room_floor: rng.random_range(1..=2).to_string(),
        home_modification: if rng.random_bool(0.3) { "1" } else { "2" }.to_string(),
        pension_national: "1".to_string(),
        pension_employee: if rng.random_bool(0.5) { "1" } else { "0" }.to_string(),
        pension_disability: "0".to_string(),
        public_assistance: if user.public_assistance { "1" } else { "0" }.to_string(),
        economic_note: if user.public_assistance {
            "生活保護受給中（担当ケースワーカーと連携）".to_string()
        } else {
            "年金収入のみ。\"贅沢はできないが、暮らしていける\"と本人".to_string()
        },
        visitor_name: user.family.kanji(),
        visitor_address: family_address.clone(),
        visitor_phone: user.phone.clone(),
        visitor_relation: user.family_relation.to_string(),
        emergency1_name: user.family.kanji(),
        emergency1_relation: user.family_relation.to_string(),
        emergency1_address: family_address,
        emergency1_phone: people::phone(rng),
        emergency2_name: second.kanji(),
        emergency2_relation: "民生委員".to_string(),
        emergency2_address: people::address(rng).line1,
        emergency2_phone: people::phone(rng),
        family_image_file: image.map(str::to_string).unwrap_or_default(),
        family_situation: format!(
            "{}と二人暮らし。\r\n{}は平日日中、仕事で不在。",
            user.family_relation, user.family_relation
        ),
        life_history:
            "農家の生まれ。結婚後は商店を営み、70歳で引退。\r\n地域の行事には積極的に参加してきた。"
                .to_string(),
        daily_life: "日中は居間でテレビを見て過ごすことが多い。\r\n天気のよい日は近所を散歩する。"
            .to_string(),
        hobbies: [
            "園芸、野菜づくり",
            "俳句、書道",
            "カラオケ、民謡",
            "手芸（編み物）",
        ]
        .choose(rng)
        .expect("non-empty")
        .to_string(),
        community: "近所の友人と、月に数回お茶を飲む。".to_string(),
        public_services: services.join("、"),
        private_services: ["配食サービス（週3回）", "なし", "移動販売の利用"]
            .choose(rng)
            .expect("non-empty")
            .to_string(),
        consent_date: user.consultation_date.to_string(),
        consenter_name: user.name.kanji(),
        ..BasicInfo::default()
    }
}

/// 別表1: the user's day, hour by hour.
pub(crate) fn basic_info_schedule(user: &User, csv_version: &str) -> Vec<BasicInfoSchedule> {
    let rel = user.family_relation;
    let rows: [(&str, &str, String); 7] = [
        ("6:00", "起床、身支度", String::new()),
        ("7:00", "朝食、服薬", format!("{rel}が朝食を準備")),
        ("10:00", "散歩（近所を15分程度）", String::new()),
        ("12:00", "昼食", "作り置きを温めて食べる".to_string()),
        ("14:00", "テレビ、昼寝", String::new()),
        ("18:30", "夕食", format!("{rel}と一緒に夕食")),
        ("21:00", "就寝", String::new()),
    ];
    rows.into_iter()
        .map(|(time, person, carer)| BasicInfoSchedule {
            csv_version: csv_version.to_string(),
            insurer_number: user.insurer.to_string(),
            insured_number: user.insured.clone(),
            consultation_date: user.consultation_date.to_string(),
            time: time.to_string(),
            person_status: person.to_string(),
            carer_status: carer,
        })
        .collect()
}

/// 別表2: 現病歴・既往歴.
pub(crate) fn basic_info_history(
    rng: &mut StdRng,
    user: &User,
    csv_version: &str,
) -> Vec<BasicInfoHistory> {
    user.conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (disease, onset, treatment) = CONDITIONS[*c];
            let doctor = people::younger_name(rng);
            BasicInfoHistory {
                csv_version: csv_version.to_string(),
                insurer_number: user.insurer.to_string(),
                insured_number: user.insured.clone(),
                consultation_date: user.consultation_date.to_string(),
                onset: onset.to_string(),
                disease: disease.to_string(),
                institution: format!("つなぐ内科クリニック　{}医師", doctor.family),
                attending_flag: if i == 0 { "1" } else { "2" }.to_string(),
                institution_phone: people::phone(rng),
                progress: if treatment == "経過観察" {
                    "02"
                } else {
                    "01"
                }
                .to_string(),
                treatment: treatment.to_string(),
            }
        })
        .collect()
}

/// 介護予防サービス・支援計画書 of a user.
pub(crate) fn preventive_plan(
    rng: &mut StdRng,
    user: &User,
    offices: &[Office],
    csv_version: &str,
) -> PreventivePlan {
    let center = &offices[user.care_office];
    let outsourced_office = user.outsourced_to.map(|i| &offices[i]);
    let planner = outsourced_office.unwrap_or(center);
    let count = |rng: &mut StdRng| rng.random_range(0..=4).to_string();
    let need = |rng: &mut StdRng| if rng.random_bool(0.4) { "1" } else { "2" }.to_string();
    PreventivePlan {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        plan_date: user.plan_date.to_string(),
        plan_type: plan_type(user, offices).to_string(),
        outsourced: outsourced(user).to_string(),
        reference_no: format!("Y-{}", &user.insured[user.insured.len() - 4..]),
        user_name: user.name.kanji(),
        certification_date: user.cert_date.to_string(),
        certification_start: user.cert_start.to_string(),
        certification_end: user.cert_end.to_string(),
        plan_category: if user.first_plan_date == user.plan_date {
            "11"
        } else {
            "21"
        }
        .to_string(),
        certification_status: user.cert_status.to_string(),
        support_level: match user.care_level {
            "12" => "1",
            "13" => "2",
            _ => "3",
        }
        .to_string(),
        center_staff_name: user.manager.kanji(),
        care_manager_name: outsourced_office
            .and_then(|o| o.staff.first())
            .map(|s| s.kanji())
            .unwrap_or_default(),
        planner_office_name: planner.name.clone(),
        planner_office_address: planner.address.one_line(),
        planner_office_phone: planner.phone.clone(),
        first_plan_date: user.first_plan_date.to_string(),
        center_name: center.name.clone(),
        goal_day: "朝は決まった時間に起き、日中は散歩や家事をして過ごす".to_string(),
        goal_year: "孫の結婚式に、自分の足で歩いて出席する".to_string(),
        mobility_status: "屋内は伝い歩き。屋外は杖を使い、15分程度なら歩ける。\r\n階段の昇り降りに不安がある。".to_string(),
        mobility_intention: "本人：「転ばないように、足腰を鍛えたい」".to_string(),
        mobility_has_issue: "1".to_string(),
        mobility_issue: "膝の痛みと筋力の低下により、歩行が不安定になっている".to_string(),
        home_life_status: "調理は簡単なものなら自分で行う。掃除、買い物は家族が支援。".to_string(),
        home_life_intention: "できる家事は続けたい".to_string(),
        home_life_has_issue: if rng.random_bool(0.5) { "1" } else { "2" }.to_string(),
        home_life_issue: String::new(),
        social_status: "以前は地域のサロンに通っていたが、最近は外出が減った。".to_string(),
        social_intention: "友人と話す機会がほしい".to_string(),
        social_has_issue: "1".to_string(),
        social_issue: "外出の機会の減少により、閉じこもりの傾向がある".to_string(),
        health_status: "高血圧で内服中。血圧は安定している。".to_string(),
        health_intention: "薬はきちんと飲みたい".to_string(),
        health_has_issue: "2".to_string(),
        health_issue: String::new(),
        health_notes: "血圧の変動に注意。転倒歴あり（令和6年に1回）。".to_string(),
        support_policy: "本人の意欲を大切にし、できることを増やす支援を行う。".to_string(),
        overall_policy: "①運動機能の維持・向上、②社会参加の機会づくり、を中心に支援する。\r\n家族、地域の協力も得ながら、自宅での生活を続けられるようにする。".to_string(),
        checklist_exercise: count(rng),
        checklist_nutrition: count(rng),
        checklist_oral: count(rng),
        checklist_withdrawal: count(rng),
        checklist_memory: count(rng),
        checklist_depression: count(rng),
        program_exercise: need(rng),
        program_nutrition: need(rng),
        program_oral: need(rng),
        program_withdrawal: need(rng),
        program_memory: need(rng),
        program_depression: need(rng),
        center_opinion: "計画の内容は妥当と考えます。".to_string(),
        consent_date: user.plan_date.to_string(),
        consenter_name: user.name.kanji(),
    }
}

/// 別表 (支援計画): 課題 → 支援計画 → 利用サービス; the text of a group only on its first row.
pub(crate) fn preventive_plan_support(
    user: &User,
    offices: &[Office],
    csv_version: &str,
) -> Vec<PreventivePlanSupport> {
    let period = format!(
        "{}～{}",
        japanese_date(user.plan_date),
        japanese_date(user.cert_end)
    );
    let base = PreventivePlanSupport {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        plan_date: user.plan_date.to_string(),
        ..PreventivePlanSupport::default()
    };
    let services: Vec<(&str, &str)> = user
        .providers
        .iter()
        .map(|p| {
            let o = &offices[*p];
            let label = match o.kind_str() {
                "A2" => "訪問型サービス",
                "A6" => "通所型サービス",
                "67" => "介護予防福祉用具貸与",
                "63" => "介護予防訪問看護",
                _ => "介護予防サービス",
            };
            (label, o.name.as_str())
        })
        .collect();
    let mut out = Vec::new();
    // 課題1: 運動・移動, answered by the user's services (one 支援計画, several 利用サービス).
    for (i, (label, office)) in services.iter().enumerate() {
        let first = i == 0;
        out.push(PreventivePlanSupport {
            issue_no: "1".to_string(),
            overall_issue: if first {
                "足腰の筋力が低下し、転倒の不安から外出が減っている".to_string()
            } else {
                String::new()
            },
            goal_proposal: if first {
                "筋力をつけ、週2回は外出できるようにしましょう".to_string()
            } else {
                String::new()
            },
            intention: if first {
                "本人：「また友人と出かけたい」".to_string()
            } else {
                String::new()
            },
            goal: if first {
                "杖を使って、近所の店まで歩いて行ける".to_string()
            } else {
                String::new()
            },
            support_no: "1".to_string(),
            support_point: if first {
                "無理のない範囲で運動を続けられるよう、声かけを行う".to_string()
            } else {
                String::new()
            },
            self_care: if first {
                "毎朝の体操（10分）、家族との散歩".to_string()
            } else {
                String::new()
            },
            insured_service: if first {
                "運動器の機能向上、生活動作の支援".to_string()
            } else {
                String::new()
            },
            service_no: (i + 1).to_string(),
            service_type: label.to_string(),
            service_provider: office.to_string(),
            service_period: period.clone(),
            ..base.clone()
        });
    }
    // 課題2: 社会参加, informal support only.
    out.push(PreventivePlanSupport {
        issue_no: "2".to_string(),
        overall_issue: "人と話す機会が少なく、気分が沈みがち".to_string(),
        goal_proposal: "地域のサロンに参加してみましょう".to_string(),
        intention: "本人：「知り合いがいるなら行ってみたい」".to_string(),
        goal: "月2回、地域のサロンに参加する".to_string(),
        support_no: "1".to_string(),
        support_point: "民生委員と連携し、参加のきっかけをつくる".to_string(),
        self_care: format!("{}の送迎、民生委員の声かけ", user.family_relation),
        insured_service: String::new(),
        service_no: "1".to_string(),
        service_type: "地域".to_string(),
        service_provider: "ふれあいサロン（公民館）".to_string(),
        service_period: period,
        ..base
    });
    out
}
