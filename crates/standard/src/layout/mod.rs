//! Record layouts of §5: every field of every file, in order, with its 項目名, 項目長, format and
//! whether it is required. One table drives reading, checking, writing, JSON and typed records.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::codes::CodeList;
use crate::file_kind::FileKind;
use crate::record::Record;

mod care_plan;
mod preventive;
mod schedule;
mod supplement;

pub use care_plan::{CarePlan1, CarePlan1Delete, CarePlan2, CarePlan3};
pub use preventive::{
    BasicInfo, BasicInfoDelete, BasicInfoHistory, BasicInfoSchedule, PreventivePlan,
    PreventivePlanDelete, PreventivePlanSupport,
};
pub use schedule::{ServiceActualDelete, ServiceAnnex, ServiceLine, ServiceScheduleDelete};
pub use supplement::UserSupplement;

/// The two layout generations the standard has in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LayoutVersion {
    /// 第3.x版, CSVバージョン 202208.
    V3,
    /// 第4.x版, CSVバージョン 202407 (202504 from 4.0-era software).
    V4,
}

impl LayoutVersion {
    /// The CSVバージョン a writer puts in files of this layout.
    pub fn csv_version(self) -> &'static str {
        match self {
            LayoutVersion::V3 => "202208",
            LayoutVersion::V4 => "202407",
        }
    }

    /// The layout to use for a service month (version is chosen by 提供年月, §1.3).
    pub fn for_service_month(month: crate::month::YearMonth) -> Self {
        if (month.year, month.month) >= (2025, 4) {
            LayoutVersion::V4
        } else {
            LayoutVersion::V3
        }
    }
}

/// What a field's value must look like.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// CSVバージョン: `YYYYMM`.
    CsvVersion,
    /// 保険者番号: 6 digits.
    InsurerNumber,
    /// 被保険者番号: 10 digits, or `H` + 9 digits (生保単独).
    InsuredNumber,
    /// 事業所番号 / 事業者コード: 10 digits.
    OfficeNumber,
    /// 第7表 サービス事業所コード: 10 digits, `9999999999` on the 全合計 line.
    OfficeNumberOrAllNines,
    /// Always `9999999999` (第7表 No.34).
    AllNines,
    /// `YYYYMMDD`.
    Date,
    /// `YYYYMMDD` or `00000000` (補足 No.4).
    DateOrZeros,
    /// `YYYYMM`.
    YearMonth,
    /// `YYYYMM` or `000000` (補足 No.63).
    YearMonthOrZeros,
    /// `HHMM`.
    Time,
    /// `HHMM`, or `9999` for a service without a time (第6表).
    TimeOrNone,
    /// `XXX-XXXX`.
    PostalCode,
    /// Digits, hyphens and parentheses.
    Phone,
    /// Integer, may be negative (減算).
    Integer,
    /// Non-negative integer.
    Count,
    /// `99.99` (単位数単価).
    Decimal2,
    /// 1–99 (課題ＮＯ etc.).
    SequenceNo,
    /// Quoted free text, may contain newlines; no length limit.
    FreeText,
    Code(&'static CodeList),
    /// 6 characters: サービス種類 (2) + 項目 (4).
    ServiceCode,
    /// 第7表 サービスコード: a service code, `<種類>AAAA/EEEE/ZZZZ` subtotals or `999999`.
    AnnexServiceCode,
    /// サービス種類コード: 2 alphanumerics.
    ServiceKind,
    /// TAISコード / 福祉用具届出コード: `00001-000010` (5 digits, hyphen, 6 digits).
    EquipmentCode,
    /// 日割対象日: 31 characters of `0`/`1`.
    DayFlags,
    /// 識別子: ※使用しない.
    Unused,
    /// No 書式 given in the spec: any text without line breaks, length checked only.
    Plain,
}

impl Format {
    pub fn is_free_text(self) -> bool {
        matches!(self, Format::FreeText)
    }

    pub fn code_list(self) -> Option<&'static CodeList> {
        match self {
            Format::Code(c) => Some(c),
            _ => None,
        }
    }
}

/// Whether a field must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Marked ○ with confidence: an empty field is an error.
    Required,
    /// Marked ○ but 推定 in the reconstruction: an empty field is a warning.
    Estimated,
    Optional,
}

/// One field (項目) of a layout.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// No: position from 1.
    pub no: u16,
    /// Stable English key (JSON form, typed records).
    pub key: &'static str,
    /// 項目名 as in the spec.
    pub name: &'static str,
    /// 項目長 (characters); `None` = unlimited (フリーテキスト).
    pub max_len: Option<u16>,
    /// False where the spec's length is in doubt (read tolerantly: warn, don't reject).
    pub len_certain: bool,
    pub format: Format,
    pub requirement: Requirement,
}

impl FieldSpec {
    /// `len`: 0 = unlimited; negative = the length is uncertain in the spec.
    pub const fn new(
        no: u16,
        key: &'static str,
        name: &'static str,
        len: i16,
        format: Format,
        requirement: Requirement,
    ) -> Self {
        Self {
            no,
            key,
            name,
            max_len: if len == 0 {
                None
            } else {
                Some(len.unsigned_abs())
            },
            len_certain: len >= 0,
            format,
            requirement,
        }
    }
}

/// The layout of one kind of file in one layout version.
#[derive(Debug)]
pub struct Layout {
    pub kind: FileKind,
    pub version: LayoutVersion,
    pub fields: &'static [FieldSpec],
}

impl Layout {
    pub fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }

    pub fn field(&self, key: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// A field of a record by key; empty when the layout has no such field or the record is short.
    pub fn get<'r>(&self, record: &'r Record, key: &str) -> &'r str {
        self.index(key)
            .and_then(|i| record.fields.get(i))
            .unwrap_or_default()
    }
}

/// Typed access shared by every record struct.
pub trait TypedRecord: Default {
    const KIND: FileKind;
    fn get(&self, key: &str) -> Option<&str>;
    fn set(&mut self, key: &str, value: String) -> bool;

    /// Builds the typed record from a record of any version of this kind's layout.
    fn from_record(layout: &Layout, record: &Record) -> Self {
        let mut out = Self::default();
        for (spec, value) in layout.fields.iter().zip(&record.fields) {
            out.set(spec.key, value.to_string());
        }
        out
    }

    /// The field values in the order of `layout` (fields the typed record lacks are empty).
    fn to_fields(&self, layout: &Layout) -> Vec<String> {
        layout
            .fields
            .iter()
            .map(|f| self.get(f.key).unwrap_or_default().to_string())
            .collect()
    }
}

/// Defines a layout's field table and its typed record struct from one list.
macro_rules! define_layout {
    (
        $(#[$meta:meta])*
        struct $ty:ident: $kind:expr, $FIELDS:ident {
            $( $no:literal $key:ident $name:literal $len:literal $fmt:expr, $req:ident; )*
        }
    ) => {
        pub static $FIELDS: &[$crate::layout::FieldSpec] = &[
            $( $crate::layout::FieldSpec::new($no, stringify!($key), $name, $len, $fmt,
                $crate::layout::Requirement::$req), )*
        ];

        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $ty {
            $( #[doc = $name] pub $key: String, )*
        }

        impl $crate::layout::TypedRecord for $ty {
            const KIND: $crate::file_kind::FileKind = $kind;

            fn get(&self, key: &str) -> Option<&str> {
                match key {
                    $( stringify!($key) => Some(self.$key.as_str()), )*
                    _ => None,
                }
            }

            fn set(&mut self, key: &str, value: String) -> bool {
                match key {
                    $( stringify!($key) => { self.$key = value; true } )*
                    _ => false,
                }
            }
        }
    };
}
pub(crate) use define_layout;

/// Derives the v3 table of a layout: the v4 table without `dropped` fields, renumbered, with
/// lengths changed where v3 differed.
fn v3_fields(v4: &[FieldSpec], dropped: &[&str], lengths: &[(&str, u16)]) -> Vec<FieldSpec> {
    v4.iter()
        .filter(|f| !dropped.contains(&f.key))
        .enumerate()
        .map(|(i, f)| {
            let mut f = *f;
            f.no = (i + 1) as u16;
            if let Some((_, len)) = lengths.iter().find(|(k, _)| *k == f.key) {
                f.max_len = Some(*len);
            }
            f
        })
        .collect()
}

static V3_SCHEDULE_FIELDS: LazyLock<Vec<FieldSpec>> = LazyLock::new(|| {
    v3_fields(
        schedule::SERVICE_LINE_FIELDS,
        &["tais_code", "notified_code", "equipment_name"],
        &[],
    )
});
static V3_ANNEX_FIELDS: LazyLock<Vec<FieldSpec>> = LazyLock::new(|| {
    v3_fields(
        schedule::SERVICE_ANNEX_FIELDS,
        &["tais_code", "notified_code", "equipment_name"],
        &[("count", 2)],
    )
});

macro_rules! static_layout {
    ($name:ident, $kind:ident, $ver:ident, $fields:expr) => {
        static $name: LazyLock<Layout> = LazyLock::new(|| Layout {
            kind: FileKind::$kind,
            version: LayoutVersion::$ver,
            fields: $fields,
        });
    };
}

static_layout!(
    L_HOSOKU,
    UserSupplement,
    V4,
    supplement::USER_SUPPLEMENT_FIELDS
);
static_layout!(L_1KYO, CarePlan1, V4, care_plan::CARE_PLAN_1_FIELDS);
static_layout!(
    L_DLT1KYO,
    CarePlan1Delete,
    V4,
    care_plan::CARE_PLAN_1_DELETE_FIELDS
);
static_layout!(L_2KYO, CarePlan2, V4, care_plan::CARE_PLAN_2_FIELDS);
static_layout!(L_3KYO, CarePlan3, V4, care_plan::CARE_PLAN_3_FIELDS);
static_layout!(L_PLAN, ServiceSchedule, V4, schedule::SERVICE_LINE_FIELDS);
static_layout!(L_JSK, ServiceActual, V4, schedule::SERVICE_LINE_FIELDS);
static_layout!(
    L_DLTPLAN,
    ServiceScheduleDelete,
    V4,
    schedule::SERVICE_SCHEDULE_DELETE_FIELDS
);
static_layout!(
    L_DLTJSK,
    ServiceActualDelete,
    V4,
    schedule::SERVICE_ACTUAL_DELETE_FIELDS
);
static_layout!(L_SIKYU, ServiceAnnex, V4, schedule::SERVICE_ANNEX_FIELDS);
static_layout!(L_KIHON, BasicInfo, V4, preventive::BASIC_INFO_FIELDS);
static_layout!(
    L_KIHON_SUB1,
    BasicInfoSchedule,
    V4,
    preventive::BASIC_INFO_SCHEDULE_FIELDS
);
static_layout!(
    L_KIHON_SUB2,
    BasicInfoHistory,
    V4,
    preventive::BASIC_INFO_HISTORY_FIELDS
);
static_layout!(
    L_DLTKIHON,
    BasicInfoDelete,
    V4,
    preventive::BASIC_INFO_DELETE_FIELDS
);
static_layout!(
    L_YOBO,
    PreventivePlan,
    V4,
    preventive::PREVENTIVE_PLAN_FIELDS
);
static_layout!(
    L_YOBO_SUB,
    PreventivePlanSupport,
    V4,
    preventive::PREVENTIVE_PLAN_SUPPORT_FIELDS
);
static_layout!(
    L_DLTYOBO,
    PreventivePlanDelete,
    V4,
    preventive::PREVENTIVE_PLAN_DELETE_FIELDS
);
// v3: 補足 / 1表 / 2表 / 削除 are unchanged (§5.11); 第6表 and 第7表 lack the 福祉用具 fields.
static_layout!(
    L3_HOSOKU,
    UserSupplement,
    V3,
    supplement::USER_SUPPLEMENT_FIELDS
);
static_layout!(L3_1KYO, CarePlan1, V3, care_plan::CARE_PLAN_1_FIELDS);
static_layout!(
    L3_DLT1KYO,
    CarePlan1Delete,
    V3,
    care_plan::CARE_PLAN_1_DELETE_FIELDS
);
static_layout!(L3_2KYO, CarePlan2, V3, care_plan::CARE_PLAN_2_FIELDS);
static_layout!(L3_PLAN, ServiceSchedule, V3, &V3_SCHEDULE_FIELDS);
static_layout!(L3_JSK, ServiceActual, V3, &V3_SCHEDULE_FIELDS);
static_layout!(
    L3_DLTPLAN,
    ServiceScheduleDelete,
    V3,
    schedule::SERVICE_SCHEDULE_DELETE_FIELDS
);
static_layout!(
    L3_DLTJSK,
    ServiceActualDelete,
    V3,
    schedule::SERVICE_ACTUAL_DELETE_FIELDS
);
static_layout!(L3_SIKYU, ServiceAnnex, V3, &V3_ANNEX_FIELDS);

/// The layout of a kind in a version; `None` for kinds that do not exist in that version (v3 has no
/// 第3表 and no 介護予防 files) and for the JPEG image.
pub fn layout(kind: FileKind, version: LayoutVersion) -> Option<&'static Layout> {
    use FileKind as K;
    use LayoutVersion::{V3, V4};
    let l: &'static LazyLock<Layout> = match (kind, version) {
        (K::UserSupplement, V4) => &L_HOSOKU,
        (K::CarePlan1, V4) => &L_1KYO,
        (K::CarePlan1Delete, V4) => &L_DLT1KYO,
        (K::CarePlan2, V4) => &L_2KYO,
        (K::CarePlan3, V4) => &L_3KYO,
        (K::ServiceSchedule, V4) => &L_PLAN,
        (K::ServiceActual, V4) => &L_JSK,
        (K::ServiceScheduleDelete, V4) => &L_DLTPLAN,
        (K::ServiceActualDelete, V4) => &L_DLTJSK,
        (K::ServiceAnnex, V4) => &L_SIKYU,
        (K::BasicInfo, V4) => &L_KIHON,
        (K::BasicInfoSchedule, V4) => &L_KIHON_SUB1,
        (K::BasicInfoHistory, V4) => &L_KIHON_SUB2,
        (K::BasicInfoDelete, V4) => &L_DLTKIHON,
        (K::PreventivePlan, V4) => &L_YOBO,
        (K::PreventivePlanSupport, V4) => &L_YOBO_SUB,
        (K::PreventivePlanDelete, V4) => &L_DLTYOBO,
        (K::UserSupplement, V3) => &L3_HOSOKU,
        (K::CarePlan1, V3) => &L3_1KYO,
        (K::CarePlan1Delete, V3) => &L3_DLT1KYO,
        (K::CarePlan2, V3) => &L3_2KYO,
        (K::ServiceSchedule, V3) => &L3_PLAN,
        (K::ServiceActual, V3) => &L3_JSK,
        (K::ServiceScheduleDelete, V3) => &L3_DLTPLAN,
        (K::ServiceActualDelete, V3) => &L3_DLTJSK,
        (K::ServiceAnnex, V3) => &L3_SIKYU,
        _ => return None,
    };
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §5.12: the field count of every layout.
    #[test]
    fn field_counts_match_the_spec_table() {
        use FileKind as K;
        use LayoutVersion::{V3, V4};
        let expected = [
            (K::UserSupplement, 63, Some(63)),
            (K::CarePlan1, 28, Some(28)),
            (K::CarePlan1Delete, 4, Some(4)),
            (K::CarePlan2, 22, Some(22)),
            (K::CarePlan3, 13, None),
            (K::ServiceSchedule, 25, Some(22)),
            (K::ServiceActual, 25, Some(22)),
            (K::ServiceScheduleDelete, 4, Some(4)),
            (K::ServiceActualDelete, 6, Some(6)),
            (K::ServiceAnnex, 37, Some(34)),
            (K::BasicInfo, 71, None),
            (K::BasicInfoSchedule, 7, None),
            (K::BasicInfoHistory, 11, None),
            (K::BasicInfoDelete, 4, None),
            (K::PreventivePlan, 57, None),
            (K::PreventivePlanSupport, 17, None),
            (K::PreventivePlanDelete, 4, None),
        ];
        for (kind, v4, v3) in expected {
            let l4 = layout(kind, V4).unwrap();
            assert_eq!(l4.fields.len(), v4, "{kind} v4");
            assert_eq!(layout(kind, V3).map(|l| l.fields.len()), v3, "{kind} v3");
            for (i, f) in l4.fields.iter().enumerate() {
                assert_eq!(usize::from(f.no), i + 1, "{kind} numbering at {}", f.key);
            }
            let mut keys: Vec<_> = l4.fields.iter().map(|f| f.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), v4, "{kind}: keys must be unique");
            assert_eq!(l4.fields[0].key, "csv_version");
        }
        assert!(layout(K::BasicInfoFamilyImage, V4).is_none());
    }

    #[test]
    fn v3_schedule_drops_equipment_fields() {
        let v3 = layout(FileKind::ServiceSchedule, LayoutVersion::V3).unwrap();
        assert_eq!(v3.fields[15].key, "detail_no");
        assert_eq!(v3.fields[15].no, 16);
        let annex = layout(FileKind::ServiceAnnex, LayoutVersion::V3).unwrap();
        assert_eq!(annex.field("count").unwrap().max_len, Some(2));
        assert_eq!(annex.field("days_before").unwrap().no, 27);
    }
}
