//! 居宅サービス計画書 files (§5.2–5.5): 第1表, its deletion, 第2表 and 第3表.

use super::{Format as F, define_layout};
use crate::codes;
use crate::file_kind::FileKind;

define_layout! {
    /// 居宅サービス計画書（１）: one record per user-plan, keyed by (保険者番号, 被保険者番号,
    /// 居宅サービス計画作成（変更）日).
    struct CarePlan1: FileKind::CarePlan1, CARE_PLAN_1_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 created_date "作成年月日" 8 F::Date, Required;
        5 postal_code "利用者郵便番号" 8 F::PostalCode, Optional;
        6 address1 "利用者住所１" 0 F::FreeText, Optional;
        7 address2 "利用者住所２" 0 F::FreeText, Optional;
        8 planner_name "居宅サービス計画作成者氏名" 0 F::FreeText, Estimated;
        9 support_office_name "介護支援事業者名" 0 F::FreeText, Estimated;
        10 support_office_postal_code "介護支援事業者郵便番号" 8 F::PostalCode, Optional;
        11 support_office_address1 "介護支援事業者住所１" 0 F::FreeText, Optional;
        12 support_office_address2 "介護支援事業者住所２" 0 F::FreeText, Optional;
        13 support_office_number "介護支援事業者コード" 10 F::OfficeNumber, Estimated;
        14 plan_date "居宅サービス計画作成（変更）日" 8 F::Date, Required;
        15 first_plan_date "初回居宅サービス計画作成日" 8 F::Date, Estimated;
        16 plan_category "計画書区分" 2 F::Code(&codes::PLAN_CATEGORY), Optional;
        17 certification_status "認定状況区分" 1 F::Code(&codes::CERTIFICATION_STATUS), Optional;
        18 certification_date "認定日" 8 F::Date, Optional;
        19 certification_start "認定有効期間開始日" 8 F::Date, Optional;
        20 certification_end "認定有効期間終了日" 8 F::Date, Optional;
        21 care_level "要介護状態区分" 2 F::Code(&codes::CARE_LEVEL), Optional;
        22 assessment_result "利用者及び家族の生活に対する意向を踏まえた課題分析の結果" 0 F::FreeText, Optional;
        23 committee_opinion "介護認定審査会の意見及びサービスの種類の指定" 0 F::FreeText, Optional;
        24 overall_policy "総合的な援助の方針" 0 F::FreeText, Optional;
        25 livelihood_reason "生活援助中心型の算定理由" 1 F::Code(&codes::LIVELIHOOD_REASON), Optional;
        26 other_reason "その他理由" 0 F::FreeText, Optional;
        27 updater_code "更新業者コード" 10 F::OfficeNumber, Optional;
        28 identifier "識別子" 1 F::Unused, Optional;
    }
}

define_layout! {
    /// 居宅サービス計画１表_削除: all items required; deletes the 2表 and 3表 with it.
    struct CarePlan1Delete: FileKind::CarePlan1Delete, CARE_PLAN_1_DELETE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 plan_date "居宅サービス計画作成（変更）日" 8 F::Date, Required;
    }
}

define_layout! {
    /// 居宅サービス計画書（２）: one record per 援助内容 row; 課題ＮＯ → 援助目標ＮＯ → 援助内容ＮＯ.
    /// Blank 課題/目標/期間 on following rows mean "as above" (printed once on the form).
    struct CarePlan2: FileKind::CarePlan2, CARE_PLAN_2_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 created_date "居宅計画書作成年月日" 8 F::Date, Required;
        5 plan_date "居宅サービス計画作成（変更）日" 8 F::Date, Required;
        6 issue_no "課題ＮＯ" 2 F::SequenceNo, Optional;
        7 issue "課題" 0 F::FreeText, Optional;
        8 goal_no "援助目標ＮＯ" 2 F::SequenceNo, Optional;
        9 long_term_goal "長期目標" 0 F::FreeText, Optional;
        10 short_term_goal "短期目標" 0 F::FreeText, Optional;
        11 long_term_period "長期期間" 0 F::FreeText, Optional;
        12 short_term_period "短期期間" 0 F::FreeText, Optional;
        13 support_no "援助内容ＮＯ" 2 F::SequenceNo, Optional;
        14 service_content "サービス内容" 0 F::FreeText, Optional;
        15 insurance_covered "保険対象区分" 1 F::Code(&codes::INSURANCE_COVERED), Optional;
        16 service_type "サービス種別" 0 F::FreeText, Optional;
        17 provider_code "サービス事業者コード" 10 F::OfficeNumber, Optional;
        18 provider_name "サービス事業所名" 0 F::FreeText, Optional;
        19 frequency "頻度" 0 F::FreeText, Optional;
        20 period "実施期間" 0 F::FreeText, Optional;
        21 updater_code "更新業者コード" 10 F::OfficeNumber, Optional;
        22 identifier "識別子" 1 F::Unused, Optional;
    }
}

define_layout! {
    /// 週間サービス計画表（第3表, v4 only): each record is a weekly service slot (6–9), a daily
    /// activity (10–12) or a 週単位以外のサービス (13).
    struct CarePlan3: FileKind::CarePlan3, CARE_PLAN_3_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 created_date "週間サービス計画表作成年月日" 8 F::Date, Required;
        5 plan_date "居宅サービス計画作成（変更）日" 8 F::Date, Required;
        6 service_content "介護サービス内容" 0 F::FreeText, Optional;
        7 weekday "曜日" 1 F::Code(&codes::WEEKDAY), Optional;
        8 service_start "開始時間" 4 F::Time, Optional;
        9 service_end "終了時間" 4 F::Time, Optional;
        10 daily_activity "主な日常生活上の活動" 0 F::FreeText, Optional;
        11 activity_start "開始時間（日常生活）" 4 F::Time, Optional;
        12 activity_end "終了時間（日常生活）" 4 F::Time, Optional;
        13 non_weekly_service "週単位以外のサービス" 0 F::FreeText, Optional;
    }
}
