//! 介護予防支援等 files (§5.9–5.10, v4 only): 利用者基本情報 with its 別表, 介護予防サービス・支援計画書
//! with its 別表, and their deletions.

use super::{Format as F, define_layout};
use crate::codes;
use crate::file_kind::FileKind;

define_layout! {
    /// 利用者基本情報: one record per user and 相談日.
    struct BasicInfo: FileKind::BasicInfo, BASIC_INFO_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 consultation_date "相談日" 8 F::Date, Required;
        5 plan_type "計画種類" 1 F::Code(&codes::PLAN_TYPE), Required;
        6 outsourced "委託の有無" 1 F::Code(&codes::OUTSOURCED), Optional;
        7 author "作成担当者" 0 F::FreeText, Optional;
        8 consultation_method "相談方法" 2 F::Code(&codes::CONSULTATION_METHOD), Optional;
        9 consultation_method_other "相談方法(その他の内容)" 0 F::FreeText, Optional;
        10 consultation_count "相談回数" 2 F::Code(&codes::CONSULTATION_COUNT), Optional;
        11 previous_consultation_date "前回相談日" 8 F::Date, Optional;
        12 current_situation "利用者の現況" 2 F::Code(&codes::CURRENT_SITUATION), Optional;
        13 current_situation_note "利用者の現況(状況補足)" 0 F::FreeText, Optional;
        14 name_kana "利用者氏名ﾌﾘｶﾞﾅ" 0 F::FreeText, Estimated;
        15 name "利用者氏名" 0 F::FreeText, Estimated;
        16 sex "利用者性別" 1 F::Code(&codes::SEX), Estimated;
        17 birth_date "利用者生年月日" 8 F::Date, Estimated;
        18 address "利用者住所" 0 F::FreeText, Optional;
        19 phone "利用者電話番号" 15 F::Phone, Optional;
        20 fax "利用者Fax番号" 15 F::Phone, Optional;
        21 disability_independence "障害高齢者の日常生活自立度" 2 F::Code(&codes::DISABILITY_INDEPENDENCE), Optional;
        22 dementia_independence "認知症高齢者の日常生活自立度" 2 F::Code(&codes::DEMENTIA_INDEPENDENCE), Optional;
        23 care_level "要介護状態区分" 2 F::Code(&codes::CARE_LEVEL_PREVENTIVE), Optional;
        24 certification_start "認定有効期限開始日" 8 F::Date, Optional;
        25 certification_end "認定有効期間終了日" 8 F::Date, Optional;
        26 previous_care_level "前回の介護度" 2 F::Code(&codes::CARE_LEVEL_PREVENTIVE), Optional;
        27 checklist_result "基本チェックリスト記入結果" 1 F::Code(&codes::CHECKLIST_RESULT), Optional;
        28 checklist_date "基本チェックリスト記入日" 8 F::Date, Optional;
        29 disability_physical "障害等認定(身障)" 1 F::Code(&codes::APPLICABLE), Optional;
        30 disability_intellectual "障害等認定(療育)" 1 F::Code(&codes::APPLICABLE), Optional;
        31 disability_mental "障害等認定(精神)" 1 F::Code(&codes::APPLICABLE), Optional;
        32 disability_intractable "障害等認定(難病)" 1 F::Code(&codes::APPLICABLE), Optional;
        33 disability_note "障害等認定特記事項" 0 F::FreeText, Optional;
        34 housing "居住形態" 2 F::Code(&codes::HOUSING), Optional;
        35 room_floor "自室の階数" 2 F::Count, Optional;
        36 home_modification "住宅改修の有無" 1 F::Code(&codes::PRESENCE), Optional;
        37 pension_national "経済状況(国民年金)" 1 F::Code(&codes::APPLICABLE), Optional;
        38 pension_employee "経済状況(厚生年金)" 1 F::Code(&codes::APPLICABLE), Optional;
        39 pension_disability "経済状況(障害年金)" 1 F::Code(&codes::APPLICABLE), Optional;
        40 public_assistance "経済状況(生活保護)" 1 F::Code(&codes::APPLICABLE), Optional;
        41 economic_note "経済状況詳細" 0 F::FreeText, Optional;
        42 visitor_name "来所者(相談者)氏名" 0 F::FreeText, Optional;
        43 visitor_address "来所者(相談者)住所" 0 F::FreeText, Optional;
        44 visitor_phone "来所者(相談者)電話番号" 15 F::Phone, Optional;
        45 visitor_relation "来所者(相談者)続柄" 0 F::FreeText, Optional;
        46 emergency1_name "1 緊急連絡先(氏名)" 0 F::FreeText, Optional;
        47 emergency1_relation "1 緊急連絡先(続柄)" 0 F::FreeText, Optional;
        48 emergency1_address "1 緊急連絡先(住所)" 0 F::FreeText, Optional;
        49 emergency1_phone "1 緊急連絡先(電話番号)" 15 F::Phone, Optional;
        50 emergency2_name "2 緊急連絡先(氏名)" 0 F::FreeText, Optional;
        51 emergency2_relation "2 緊急連絡先(続柄)" 0 F::FreeText, Optional;
        52 emergency2_address "2 緊急連絡先(住所)" 0 F::FreeText, Optional;
        53 emergency2_phone "2 緊急連絡先(電話番号)" 15 F::Phone, Optional;
        54 emergency3_name "3 緊急連絡先(氏名)" 0 F::FreeText, Optional;
        55 emergency3_relation "3 緊急連絡先(続柄)" 0 F::FreeText, Optional;
        56 emergency3_address "3 緊急連絡先(住所)" 0 F::FreeText, Optional;
        57 emergency3_phone "3 緊急連絡先(電話番号)" 15 F::Phone, Optional;
        58 emergency4_name "4 緊急連絡先(氏名)" 0 F::FreeText, Optional;
        59 emergency4_relation "4 緊急連絡先(続柄)" 0 F::FreeText, Optional;
        60 emergency4_address "4 緊急連絡先(住所)" 0 F::FreeText, Optional;
        61 emergency4_phone "4 緊急連絡先(電話番号)" 15 F::Phone, Optional;
        62 family_image_file "家族構成 画像ファイル名" 0 F::FreeText, Optional;
        63 family_situation "家族関係等の状況" 0 F::FreeText, Optional;
        64 life_history "今までの生活" 0 F::FreeText, Optional;
        65 daily_life "１日の生活・すごし方(生活全般)" 0 F::FreeText, Optional;
        66 hobbies "趣味・楽しみ・特技" 0 F::FreeText, Optional;
        67 community "友人・地域との関係" 0 F::FreeText, Optional;
        68 public_services "現在利用している公的サービス" 0 F::FreeText, Optional;
        69 private_services "現在利用している非公的サービス" 0 F::FreeText, Optional;
        70 consent_date "同意日" 8 F::Date, Optional;
        71 consenter_name "同意者氏名" 0 F::FreeText, Optional;
    }
}

define_layout! {
    /// 利用者基本情報（別表1）１日の生活・すごし方(タイムスケジュール): many rows per 基本情報.
    struct BasicInfoSchedule: FileKind::BasicInfoSchedule, BASIC_INFO_SCHEDULE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 consultation_date "相談日" 8 F::Date, Required;
        5 time "時間" 0 F::FreeText, Optional;
        6 person_status "本人の生活状況" 0 F::FreeText, Optional;
        7 carer_status "介護者・家族の生活状況" 0 F::FreeText, Optional;
    }
}

define_layout! {
    /// 利用者基本情報（別表2）現病歴・既往歴.
    struct BasicInfoHistory: FileKind::BasicInfoHistory, BASIC_INFO_HISTORY_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 consultation_date "相談日" 8 F::Date, Required;
        5 onset "年月日" 0 F::FreeText, Optional;
        6 disease "病名" 0 F::FreeText, Optional;
        7 institution "医療機関・医師名" 0 F::FreeText, Optional;
        8 attending_flag "主治医・意見作成者フラグ" 1 F::Code(&codes::ATTENDING_DOCTOR), Optional;
        9 institution_phone "医療機関・医師電話番号" 15 F::Phone, Optional;
        10 progress "経過" 2 F::Code(&codes::PROGRESS), Optional;
        11 treatment "治療中の内容" 0 F::FreeText, Optional;
    }
}

define_layout! {
    /// 利用者基本情報_削除: all items required; cascades to 別表1, 別表2 and the image.
    struct BasicInfoDelete: FileKind::BasicInfoDelete, BASIC_INFO_DELETE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 consultation_date "相談日" 8 F::Date, Required;
    }
}

define_layout! {
    /// 介護予防サービス・支援計画書: one record per user and 計画作成(変更)日.
    struct PreventivePlan: FileKind::PreventivePlan, PREVENTIVE_PLAN_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 plan_date "計画作成(変更)日" 8 F::Date, Required;
        5 plan_type "計画種類" 1 F::Code(&codes::PLAN_TYPE), Required;
        6 outsourced "委託の有無" 1 F::Code(&codes::OUTSOURCED), Optional;
        7 reference_no "整理番号" 0 F::FreeText, Optional;
        8 user_name "利用者名" 0 F::FreeText, Estimated;
        9 certification_date "認定年月日" 8 F::Date, Optional;
        10 certification_start "認定有効期間開始日" 8 F::Date, Optional;
        11 certification_end "認定有効期間終了日" 8 F::Date, Optional;
        12 plan_category "計画書区分" 2 F::Code(&codes::PLAN_CATEGORY), Optional;
        13 certification_status "認定状況区分" 1 F::Code(&codes::CERTIFICATION_STATUS), Optional;
        14 support_level "要支援状態区分" 1 F::Code(&codes::SUPPORT_LEVEL), Optional;
        15 center_staff_name "計画作成者氏名（地域包括支援センター担当者名）" 0 F::FreeText, Optional;
        16 care_manager_name "計画作成者氏名（担当介護支援専門員名）" 0 F::FreeText, Optional;
        17 planner_office_name "計画作成者事業者・事業所名" 0 F::FreeText, Optional;
        18 planner_office_address "計画作成者事業者・事業所住所" 0 F::FreeText, Optional;
        19 planner_office_phone "計画作成者事業者・事業所電話番号" 15 F::Phone, Optional;
        20 first_plan_date "初回作成日" 8 F::Date, Optional;
        21 center_name "担当地域包括支援センター" 0 F::FreeText, Optional;
        22 goal_day "目標とする生活(1日)" 0 F::FreeText, Optional;
        23 goal_year "目標とする生活(1年)" 0 F::FreeText, Optional;
        24 mobility_status "【運動・移動】現在の状況" 0 F::FreeText, Optional;
        25 mobility_intention "【運動・移動】本人・家族の意欲・意向" 0 F::FreeText, Optional;
        26 mobility_has_issue "【運動・移動】領域における課題の有無" 1 F::Code(&codes::PRESENCE), Optional;
        27 mobility_issue "【運動・移動】領域における課題（背景・原因）" 0 F::FreeText, Optional;
        28 home_life_status "【日常生活(家庭生活)】現在の状況" 0 F::FreeText, Optional;
        29 home_life_intention "【日常生活(家庭生活)】本人・家族の意欲・意向" 0 F::FreeText, Optional;
        30 home_life_has_issue "【日常生活(家庭生活)】領域における課題の有無" 1 F::Code(&codes::PRESENCE), Optional;
        31 home_life_issue "【日常生活(家庭生活)】領域における課題（背景・原因）" 0 F::FreeText, Optional;
        32 social_status "【社会参加、対人関係・コミュニケーション】現在の状況" 0 F::FreeText, Optional;
        33 social_intention "【社会参加、対人関係・コミュニケーション】本人・家族の意欲・意向" 0 F::FreeText, Optional;
        34 social_has_issue "【社会参加、対人関係・コミュニケーション】領域における課題の有無" 1 F::Code(&codes::PRESENCE), Optional;
        35 social_issue "【社会参加、対人関係・コミュニケーション】領域における課題（背景・原因）" 0 F::FreeText, Optional;
        36 health_status "【健康管理】現在の状況" 0 F::FreeText, Optional;
        37 health_intention "【健康管理】本人・家族の意欲・意向" 0 F::FreeText, Optional;
        38 health_has_issue "【健康管理】領域における課題の有無" 1 F::Code(&codes::PRESENCE), Optional;
        39 health_issue "【健康管理】領域における課題（背景・原因）" 0 F::FreeText, Optional;
        40 health_notes "健康状態の留意点" 0 F::FreeText, Optional;
        41 support_policy "妥当な支援の実施に向けた方針" 0 F::FreeText, Optional;
        42 overall_policy "総合的な方針" 0 F::FreeText, Optional;
        43 checklist_exercise "基本チェックリストの該当数(運動不足)" 1 F::Count, Optional;
        44 checklist_nutrition "基本チェックリストの該当数(栄養改善)" 1 F::Count, Optional;
        45 checklist_oral "基本チェックリストの該当数(口腔内ケア)" 1 F::Count, Optional;
        46 checklist_withdrawal "基本チェックリストの該当数(閉じこもり予防)" 1 F::Count, Optional;
        47 checklist_memory "基本チェックリストの該当数(物忘れ予防)" 1 F::Count, Optional;
        48 checklist_depression "基本チェックリストの該当数(うつ予防)" 1 F::Count, Optional;
        49 program_exercise "事業プログラムの要否(運動不足)" 1 F::Code(&codes::NEED), Optional;
        50 program_nutrition "事業プログラムの要否(栄養改善)" 1 F::Code(&codes::NEED), Optional;
        51 program_oral "事業プログラムの要否(口腔内ケア)" 1 F::Code(&codes::NEED), Optional;
        52 program_withdrawal "事業プログラムの要否(閉じこもり予防)" 1 F::Code(&codes::NEED), Optional;
        53 program_memory "事業プログラムの要否(物忘れ予防)" 1 F::Code(&codes::NEED), Optional;
        54 program_depression "事業プログラムの要否(うつ予防)" 1 F::Code(&codes::NEED), Optional;
        55 center_opinion "地域包括支援センター意見" 0 F::FreeText, Optional;
        56 consent_date "同意日" 8 F::Date, Optional;
        57 consenter_name "同意者氏名" 0 F::FreeText, Optional;
    }
}

define_layout! {
    /// 介護予防サービス・支援計画書（別表）支援計画: one record per 課題 × 支援計画 × 利用サービス.
    struct PreventivePlanSupport: FileKind::PreventivePlanSupport, PREVENTIVE_PLAN_SUPPORT_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 plan_date "計画作成(変更)日" 8 F::Date, Required;
        5 issue_no "課題ＮＯ" 2 F::SequenceNo, Optional;
        6 overall_issue "総合的課題" 0 F::FreeText, Optional;
        7 goal_proposal "課題に対する目標と具体策の提案" 0 F::FreeText, Optional;
        8 intention "具体策についての意向 本人・家族" 0 F::FreeText, Optional;
        9 goal "目標" 0 F::FreeText, Optional;
        10 support_no "支援計画ＮＯ" 2 F::SequenceNo, Optional;
        11 support_point "【支援計画】目標についての支援のポイント" 0 F::FreeText, Optional;
        12 self_care "【支援計画】本人等のセルフケアや家族の支援、インフォーマルサービス（民間サービス）" 0 F::FreeText, Optional;
        13 insured_service "【支援計画】介護保険サービス又は地域支援事業（総合事業のサービス）" 0 F::FreeText, Optional;
        14 service_no "利用サービスＮＯ" 2 F::SequenceNo, Optional;
        15 service_type "【利用サービス】サービス種別" 0 F::FreeText, Optional;
        16 service_provider "【利用サービス】事業所(利用先)" 0 F::FreeText, Optional;
        17 service_period "【利用サービス】期間" 0 F::FreeText, Optional;
    }
}

define_layout! {
    /// 介護予防サービス・支援計画書_削除: all items required; cascades to the 別表.
    struct PreventivePlanDelete: FileKind::PreventivePlanDelete, PREVENTIVE_PLAN_DELETE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 plan_date "計画作成(変更)日" 8 F::Date, Required;
    }
}
