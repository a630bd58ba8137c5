//! The kinds of standard file. A file's kind comes only from its file-name prefix (§3).

use serde::{Deserialize, Serialize};

/// One kind of standard file, named after what it is; `prefix()` gives the file-name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FileKind {
    /// 利用者補足情報 `UPHOSOKU`
    UserSupplement,
    /// 居宅サービス計画１表 `UP1KYO`
    CarePlan1,
    /// 居宅サービス計画１表_削除 `DLT1KYO`
    CarePlan1Delete,
    /// 居宅サービス計画２表 `UP2KYO`
    CarePlan2,
    /// 居宅サービス計画３表 `UP3KYO` (v4 only)
    CarePlan3,
    /// 第６表（サービス利用票）予定 `UPPLAN`
    ServiceSchedule,
    /// 第６表 実績情報 `UPJSK`
    ServiceActual,
    /// 第６表（サービス利用票）予定削除 `DLTPLAN`
    ServiceScheduleDelete,
    /// 第６表 実績情報削除 `DLTJSK`
    ServiceActualDelete,
    /// 第７表（サービス利用票別表） `UPSIKYU`
    ServiceAnnex,
    /// 利用者基本情報 `UPKIHON` (介護予防, v4)
    BasicInfo,
    /// 利用者基本情報（別表1）タイムスケジュール `UPKIHON_SUB1`
    BasicInfoSchedule,
    /// 利用者基本情報（別表2）現病歴・既往歴 `UPKIHON_SUB2`
    BasicInfoHistory,
    /// 利用者基本情報 家族構成画像 (JPEG) `UPKIHON_IMAGE`
    BasicInfoFamilyImage,
    /// 利用者基本情報_削除 `DLTKIHON`
    BasicInfoDelete,
    /// 介護予防サービス・支援計画書 `UPYOBO`
    PreventivePlan,
    /// 介護予防サービス・支援計画書（別表）支援計画 `UPYOBO_SUB`
    PreventivePlanSupport,
    /// 介護予防サービス・支援計画書_削除 `DLTYOBO`
    PreventivePlanDelete,
}

impl FileKind {
    pub const ALL: [FileKind; 18] = [
        FileKind::UserSupplement,
        FileKind::CarePlan1,
        FileKind::CarePlan1Delete,
        FileKind::CarePlan2,
        FileKind::CarePlan3,
        FileKind::ServiceSchedule,
        FileKind::ServiceActual,
        FileKind::ServiceScheduleDelete,
        FileKind::ServiceActualDelete,
        FileKind::ServiceAnnex,
        FileKind::BasicInfo,
        FileKind::BasicInfoSchedule,
        FileKind::BasicInfoHistory,
        FileKind::BasicInfoFamilyImage,
        FileKind::BasicInfoDelete,
        FileKind::PreventivePlan,
        FileKind::PreventivePlanSupport,
        FileKind::PreventivePlanDelete,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            FileKind::UserSupplement => "UPHOSOKU",
            FileKind::CarePlan1 => "UP1KYO",
            FileKind::CarePlan1Delete => "DLT1KYO",
            FileKind::CarePlan2 => "UP2KYO",
            FileKind::CarePlan3 => "UP3KYO",
            FileKind::ServiceSchedule => "UPPLAN",
            FileKind::ServiceActual => "UPJSK",
            FileKind::ServiceScheduleDelete => "DLTPLAN",
            FileKind::ServiceActualDelete => "DLTJSK",
            FileKind::ServiceAnnex => "UPSIKYU",
            FileKind::BasicInfo => "UPKIHON",
            FileKind::BasicInfoSchedule => "UPKIHON_SUB1",
            FileKind::BasicInfoHistory => "UPKIHON_SUB2",
            FileKind::BasicInfoFamilyImage => "UPKIHON_IMAGE",
            FileKind::BasicInfoDelete => "DLTKIHON",
            FileKind::PreventivePlan => "UPYOBO",
            FileKind::PreventivePlanSupport => "UPYOBO_SUB",
            FileKind::PreventivePlanDelete => "DLTYOBO",
        }
    }

    /// The name care staff know the file by.
    pub fn japanese_name(self) -> &'static str {
        match self {
            FileKind::UserSupplement => "利用者補足情報",
            FileKind::CarePlan1 => "居宅サービス計画書（１）",
            FileKind::CarePlan1Delete => "居宅サービス計画１表_削除",
            FileKind::CarePlan2 => "居宅サービス計画書（２）",
            FileKind::CarePlan3 => "週間サービス計画表（第３表）",
            FileKind::ServiceSchedule => "サービス利用票（第６表）予定",
            FileKind::ServiceActual => "サービス利用票（第６表）実績",
            FileKind::ServiceScheduleDelete => "サービス利用票 予定削除",
            FileKind::ServiceActualDelete => "サービス利用票 実績削除",
            FileKind::ServiceAnnex => "サービス利用票別表（第７表）",
            FileKind::BasicInfo => "利用者基本情報",
            FileKind::BasicInfoSchedule => "利用者基本情報（別表1）タイムスケジュール",
            FileKind::BasicInfoHistory => "利用者基本情報（別表2）現病歴・既往歴",
            FileKind::BasicInfoFamilyImage => "利用者基本情報 家族構成画像",
            FileKind::BasicInfoDelete => "利用者基本情報_削除",
            FileKind::PreventivePlan => "介護予防サービス・支援計画書",
            FileKind::PreventivePlanSupport => "介護予防サービス・支援計画書（別表）",
            FileKind::PreventivePlanDelete => "介護予防サービス・支援計画書_削除",
        }
    }

    pub fn english_name(self) -> &'static str {
        match self {
            FileKind::UserSupplement => "user supplement",
            FileKind::CarePlan1 => "care plan table 1",
            FileKind::CarePlan1Delete => "care plan table 1 deletion",
            FileKind::CarePlan2 => "care plan table 2",
            FileKind::CarePlan3 => "weekly plan (table 3)",
            FileKind::ServiceSchedule => "service schedule (table 6, planned)",
            FileKind::ServiceActual => "service actuals (table 6, actual)",
            FileKind::ServiceScheduleDelete => "service schedule deletion",
            FileKind::ServiceActualDelete => "service actuals deletion",
            FileKind::ServiceAnnex => "service annex (table 7)",
            FileKind::BasicInfo => "basic information (preventive)",
            FileKind::BasicInfoSchedule => "basic information annex 1 (time schedule)",
            FileKind::BasicInfoHistory => "basic information annex 2 (medical history)",
            FileKind::BasicInfoFamilyImage => "basic information family image",
            FileKind::BasicInfoDelete => "basic information deletion",
            FileKind::PreventivePlan => "preventive care plan",
            FileKind::PreventivePlanSupport => "preventive care plan annex",
            FileKind::PreventivePlanDelete => "preventive care plan deletion",
        }
    }

    pub fn from_prefix(prefix: &str) -> Option<FileKind> {
        FileKind::ALL
            .into_iter()
            .find(|k| k.prefix().eq_ignore_ascii_case(prefix))
    }

    /// Files whose name carries a month part (提供年月 / 対象年月, or `000000` for 補足).
    pub fn has_month(self) -> bool {
        matches!(
            self,
            FileKind::UserSupplement
                | FileKind::ServiceSchedule
                | FileKind::ServiceActual
                | FileKind::ServiceScheduleDelete
                | FileKind::ServiceActualDelete
                | FileKind::ServiceAnnex
        )
    }

    /// Files that must hold a single service month equal to the file-name month (§4.4).
    pub fn is_single_month(self) -> bool {
        self.has_month() && self != FileKind::UserSupplement
    }

    pub fn is_deletion(self) -> bool {
        matches!(
            self,
            FileKind::CarePlan1Delete
                | FileKind::ServiceScheduleDelete
                | FileKind::ServiceActualDelete
                | FileKind::BasicInfoDelete
                | FileKind::PreventivePlanDelete
        )
    }

    /// The JPEG family-structure image is the only non-CSV file.
    pub fn is_image(self) -> bool {
        self == FileKind::BasicInfoFamilyImage
    }

    /// Kinds that exist only from v4 (CSVバージョン 202407) on.
    pub fn is_v4_only(self) -> bool {
        matches!(
            self,
            FileKind::CarePlan3
                | FileKind::BasicInfo
                | FileKind::BasicInfoSchedule
                | FileKind::BasicInfoHistory
                | FileKind::BasicInfoFamilyImage
                | FileKind::BasicInfoDelete
                | FileKind::PreventivePlan
                | FileKind::PreventivePlanSupport
                | FileKind::PreventivePlanDelete
        )
    }

    /// 別表 / image files travel with a parent file of the same send unit.
    pub fn parent(self) -> Option<FileKind> {
        match self {
            FileKind::BasicInfoSchedule
            | FileKind::BasicInfoHistory
            | FileKind::BasicInfoFamilyImage => Some(FileKind::BasicInfo),
            FileKind::PreventivePlanSupport => Some(FileKind::PreventivePlan),
            _ => None,
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_round_trip() {
        for k in FileKind::ALL {
            assert_eq!(FileKind::from_prefix(k.prefix()), Some(k));
            assert_eq!(
                FileKind::from_prefix(&k.prefix().to_ascii_lowercase()),
                Some(k)
            );
        }
        assert_eq!(FileKind::from_prefix("UPFOO"), None);
    }
}
