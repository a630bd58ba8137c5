//! 利用者補足情報 `UPHOSOKU` (§5.1): 63 items, the same in v3 and v4.

use super::{Format as F, define_layout};
use crate::codes;
use crate::file_kind::FileKind;

define_layout! {
    /// 利用者補足情報: the user's personal and 限度額 data, sent with the 計画書 group (No.4 = 1表's
    /// 作成（変更）日, No.63 = `000000`) or the 利用票 group (No.4 = `00000000`, No.63 = 対象年月).
    struct UserSupplement: FileKind::UserSupplement, USER_SUPPLEMENT_FIELDS {
        1 csv_version "CSVバージョン" 6 F::CsvVersion, Required;
        2 insurer_number "保険者番号" 6 F::InsurerNumber, Required;
        3 insured_number "被保険者番号" 10 F::InsuredNumber, Required;
        4 plan_date "居宅サービス計画作成（変更）日" 8 F::DateOrZeros, Required;
        5 name_kana "利用者氏名フリガナ" 0 F::FreeText, Estimated;
        6 name "利用者氏名" 0 F::FreeText, Estimated;
        7 sex "利用者性別" 1 F::Code(&codes::SEX), Estimated;
        8 birth_date "利用者生年月日" 8 F::Date, Estimated;
        9 postal_code "利用者郵便番号" 8 F::PostalCode, Optional;
        10 address1 "利用者住所１" 0 F::FreeText, Optional;
        11 address2 "利用者住所２" 0 F::FreeText, Optional;
        12 phone "利用者電話番号" 15 F::Phone, Optional;
        13 certification_date "認定日" 8 F::Date, Optional;
        14 limit_start_date "限度額適用開始年月日" 8 F::Date, Optional;
        15 limit_end_date "限度額適用終了年月日" 8 F::Date, Optional;
        16 certification_status "認定状況区分" 1 F::Code(&codes::CERTIFICATION_STATUS), Optional;
        17 care_level_change_date "要介護状態変更日" 8 F::Date, Optional;
        18 care_level "要介護状態区分" 2 F::Code(&codes::CARE_LEVEL), Optional;
        19 benefit_limit "区分支給限度基準額" 7 F::Count, Optional;
        20 limit1_service_kind "１サービス種類コード" 2 F::ServiceKind, Optional;
        21 limit1_limit "１支給限度基準額" 7 F::Count, Optional;
        22 limit1_total_units "１合計単位数" 7 F::Integer, Optional;
        23 limit1_excess_units "１限度超単位数" 7 F::Integer, Optional;
        24 limit2_service_kind "２サービス種類コード" 2 F::ServiceKind, Optional;
        25 limit2_limit "２支給限度基準額" 7 F::Count, Optional;
        26 limit2_total_units "２合計単位数" 7 F::Integer, Optional;
        27 limit2_excess_units "２限度超単位数" 7 F::Integer, Optional;
        28 limit3_service_kind "３サービス種類コード" 2 F::ServiceKind, Optional;
        29 limit3_limit "３支給限度基準額" 7 F::Count, Optional;
        30 limit3_total_units "３合計単位数" 7 F::Integer, Optional;
        31 limit3_excess_units "３限度超単位数" 7 F::Integer, Optional;
        32 limit4_service_kind "４サービス種類コード" 2 F::ServiceKind, Optional;
        33 limit4_limit "４支給限度基準額" 7 F::Count, Optional;
        34 limit4_total_units "４合計単位数" 7 F::Integer, Optional;
        35 limit4_excess_units "４限度超単位数" 7 F::Integer, Optional;
        36 limit5_service_kind "５サービス種類コード" 2 F::ServiceKind, Optional;
        37 limit5_limit "５支給限度基準額" 7 F::Count, Optional;
        38 limit5_total_units "５合計単位数" 7 F::Integer, Optional;
        39 limit5_excess_units "５限度超単位数" 7 F::Integer, Optional;
        40 limit6_service_kind "６サービス種類コード" 2 F::ServiceKind, Optional;
        41 limit6_limit "６支給限度基準額" 7 F::Count, Optional;
        42 limit6_total_units "６合計単位数" 7 F::Integer, Optional;
        43 limit6_excess_units "６限度超単位数" 7 F::Integer, Optional;
        44 limit7_service_kind "７サービス種類コード" 2 F::ServiceKind, Optional;
        45 limit7_limit "７支給限度基準額" 7 F::Count, Optional;
        46 limit7_total_units "７合計単位数" 7 F::Integer, Optional;
        47 limit7_excess_units "７限度超単位数" 7 F::Integer, Optional;
        48 limit8_service_kind "８サービス種類コード" 2 F::ServiceKind, Optional;
        49 limit8_limit "８支給限度基準額" 7 F::Count, Optional;
        50 limit8_total_units "８合計単位数" 7 F::Integer, Optional;
        51 limit8_excess_units "８限度超単位数" 7 F::Integer, Optional;
        52 limit9_service_kind "９サービス種類コード" 2 F::ServiceKind, Optional;
        53 limit9_limit "９支給限度基準額" 7 F::Count, Optional;
        54 limit9_total_units "９合計単位数" 7 F::Integer, Optional;
        55 limit9_excess_units "９限度超単位数" 7 F::Integer, Optional;
        56 total_excess_units "合計限度超単位数" 7 F::Integer, Optional;
        57 short_stay_days_before "入所前月迄利用日数" 5 F::Count, Optional;
        58 short_stay_days_total "入所累積利用日数" 5 F::Count, Optional;
        59 previous_care_level "前回要介護状態区分" 2 F::Code(&codes::CARE_LEVEL), Optional;
        60 consent_office "同意書受付業者" 10 F::OfficeNumber, Optional;
        61 updater_code "更新業者コード" 10 F::OfficeNumber, Optional;
        62 identifier "識別子" 1 F::Unused, Optional;
        63 target_month "対象年月" 6 F::YearMonthOrZeros, Required;
    }
}
