//! 利用票 files (§5.6–5.8): 第6表 予定 and 実績 (one layout), their deletions, and 第7表.

use super::{Format as F, define_layout};
use crate::codes;
use crate::file_kind::FileKind;

define_layout! {
    /// 第6表 サービス利用票 (予定 `UPPLAN`) and 実績情報 (`UPJSK`): one record per service line and
    /// service date. v3 lacks No.16–18.
    struct ServiceLine: FileKind::ServiceSchedule, SERVICE_LINE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 created_date "作成年月日" 8 F::Date, Required;
        5 target_month "対象年月" 6 F::YearMonth, Required;
        6 planner_office "プラン担当業者コード" 10 F::OfficeNumber, Estimated;
        7 planner_name "プラン担当者名" 0 F::FreeText, Estimated;
        8 units "単位数" 6 F::Integer, Optional;
        9 short_stay_days_before "前月までの短期入所利用日数" 5 F::Count, Optional;
        10 service_date "サービス利用日" 8 F::Date, Required;
        11 daily_rate_days "日割対象日" 31 F::DayFlags, Optional;
        12 start_time "サービス開始時刻" 4 F::TimeOrNone, Required;
        13 end_time "サービス終了時刻" 4 F::TimeOrNone, Required;
        14 service_count "サービス回数" 2 F::Count, Required;
        15 service_code "サービスコード" 6 F::ServiceCode, Required;
        16 tais_code "TAISコード" 12 F::EquipmentCode, Optional;
        17 notified_code "福祉用具届出コード" 12 F::EquipmentCode, Optional;
        18 equipment_name "用具名称（機種名）" 0 F::FreeText, Optional;
        19 detail_no "明細判別コード" -2 F::Count, Optional;
        20 provider_code "サービス事業者コード" 10 F::OfficeNumber, Required;
        21 provider_name "サービス事業所名" 0 F::FreeText, Optional;
        22 satellite_no "サテライト枝番" 2 F::Count, Optional;
        23 over_30_days "３０日超区分" 1 F::Code(&codes::APPLICABLE), Required;
        24 updater_code "更新業者コード" 10 F::OfficeNumber, Optional;
        25 identifier "識別子" 1 F::Unused, Optional;
    }
}

define_layout! {
    /// 第6表 予定削除: deletes the user's 予定 of a month, and the 第7表 with it.
    struct ServiceScheduleDelete: FileKind::ServiceScheduleDelete, SERVICE_SCHEDULE_DELETE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 delete_month "削除対象年月" 6 F::YearMonth, Required;
    }
}

define_layout! {
    /// 第6表 実績削除: per office and サービス種類.
    struct ServiceActualDelete: FileKind::ServiceActualDelete, SERVICE_ACTUAL_DELETE_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 delete_month "削除対象年月" 6 F::YearMonth, Required;
        5 provider_code "サービス事業者コード" 10 F::OfficeNumber, Required;
        6 service_kind "サービス種類コード" 2 F::ServiceKind, Required;
    }
}

define_layout! {
    /// 第7表 サービス利用票別表: service lines, 種類別小計 (`<種類>AAAA/EEEE/ZZZZ`) and the 全合計
    /// (`999999`). v3 lacks No.10–12 and has 回数／日数 of length 2.
    struct ServiceAnnex: FileKind::ServiceAnnex, SERVICE_ANNEX_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 created_date "作成年月日" 8 F::Date, Required;
        5 target_month "対象年月" 6 F::YearMonth, Required;
        6 provider_name "サービス事業所名" 0 F::FreeText, Optional;
        7 provider_code "サービス事業所コード" 10 F::OfficeNumberOrAllNines, Required;
        8 satellite_no "サテライト枝番" 2 F::Count, Optional;
        9 service_code "サービスコード" 6 F::AnnexServiceCode, Required;
        10 tais_code "TAISコード" 12 F::EquipmentCode, Optional;
        11 notified_code "福祉用具届出コード" 12 F::EquipmentCode, Optional;
        12 equipment_name "用具名称（機種名）" 0 F::FreeText, Optional;
        13 units "単位数" 6 F::Integer, Required;
        14 discount_rate "割引後率" 5 F::Integer, Optional;
        15 discounted_units "割引後単位数" 6 F::Integer, Optional;
        16 count "回数／日数" 3 F::Count, Required;
        17 service_units "サービス単位金額" -5 F::Integer, Optional;
        18 benefit_managed_units "給付管理単位数" 6 F::Integer, Optional;
        19 kind_limit_excess_units "種類支給限度基準超単位数" 6 F::Integer, Optional;
        20 kind_limit_within_units "種類支給限度基準内単位数" 6 F::Integer, Optional;
        21 category_limit_excess_units "区分支給限度基準超単位数" 6 F::Integer, Optional;
        22 category_limit_within_units "区分支給限度基準内単位数" 6 F::Integer, Optional;
        23 unit_price "単位数単価" 6 F::Decimal2, Optional;
        24 total_cost "費用総額保険／事業対象分" -6 F::Integer, Optional;
        25 benefit_rate "給付率" 6 F::Count, Optional;
        26 insurance_claim "保険／事業費請求額" -6 F::Integer, Optional;
        27 fixed_copay_unit_price "定額利用者負担単価金額" 6 F::Integer, Optional;
        28 copay_insured "利用者負担保険／事業対象分" -6 F::Integer, Optional;
        29 copay_full "利用者負担（全額負担分）" -6 F::Integer, Optional;
        30 days_before "前月までの利用日数" 5 F::Count, Optional;
        31 planned_days "当月の計画利用日数" 2 F::Count, Optional;
        32 cumulative_days "累積利用日数" 5 F::Count, Optional;
        33 over_30_days "３０日超区分" 1 F::Code(&codes::APPLICABLE), Required;
        34 office_code "事業所コード" 10 F::AllNines, Optional;
        35 entry_person_code "入力者コード" 10 F::Plain, Optional;
        36 updater_code "更新業者コード" 10 F::OfficeNumber, Optional;
        37 identifier "識別子" 1 F::Unused, Optional;
    }
}
