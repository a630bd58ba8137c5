//! 利用者補足情報 (UPHOSOKU): with the 計画書 group (No.4 = 作成（変更）日, No.63 = 000000) and
//! with the 利用票 group (No.4 = 00000000, No.63 = 提供年月, 限度額 figures filled).

use super::offices::Office;
use super::schedule;
use super::users::User;
use crate::layout::UserSupplement;
use crate::month::YearMonth;

fn common(user: &User, offices: &[Office], csv_version: &str) -> UserSupplement {
    let office = &offices[user.care_office];
    UserSupplement {
        csv_version: csv_version.to_string(),
        insurer_number: user.insurer.to_string(),
        insured_number: user.insured.clone(),
        name_kana: user.kana(offices),
        name: user.name.kanji(),
        sex: user.sex.code().to_string(),
        birth_date: user.birth.to_string(),
        postal_code: user.address.postal_code.clone(),
        address1: user.address.line1.clone(),
        address2: user.address.line2.clone(),
        phone: user.phone.clone(),
        certification_date: user.cert_date.to_string(),
        limit_start_date: user.cert_start.to_string(),
        limit_end_date: user.cert_end.to_string(),
        certification_status: user.cert_status.to_string(),
        care_level_change_date: if user.level_changed {
            user.cert_start.to_string()
        } else {
            String::new()
        },
        care_level: user.care_level.to_string(),
        benefit_limit: user.benefit_limit().to_string(),
        previous_care_level: if user.level_changed {
            user.previous_level.to_string()
        } else {
            String::new()
        },
        consent_office: office.number.to_string(),
        updater_code: office.number.to_string(),
        ..UserSupplement::default()
    }
}

/// 補足 tied to the 計画書 (1表/2表/3表).
pub(crate) fn for_plan(user: &User, offices: &[Office], csv_version: &str) -> UserSupplement {
    UserSupplement {
        plan_date: user.plan_date.to_string(),
        target_month: "000000".to_string(),
        ..common(user, offices, csv_version)
    }
}

/// 補足 tied to the 利用票 (第6表/第7表) of `month`; `excess` is the 合計限度超単位数.
pub(crate) fn for_schedule(
    user: &User,
    offices: &[Office],
    csv_version: &str,
    month: YearMonth,
    excess: i64,
) -> UserSupplement {
    let mut s = UserSupplement {
        plan_date: "00000000".to_string(),
        target_month: month.to_string(),
        total_excess_units: excess.to_string(),
        ..common(user, offices, csv_version)
    };
    if let Some((kind, limit)) = user.kind_limit {
        let used = schedule::units_of_kind(&user.rows, offices, kind);
        s.limit1_service_kind = kind.to_string();
        s.limit1_limit = limit.to_string();
        s.limit1_total_units = used.to_string();
        s.limit1_excess_units = (used - limit).max(0).to_string();
    }
    if let Some(before) = user.short_stay_days_before {
        let stay: u32 = user.plans.iter().map(|p| p.stay_days).sum();
        s.short_stay_days_before = before.to_string();
        s.short_stay_days_total = (before + stay).to_string();
    }
    s
}
