//! Findings: what checking says about a file, with a stable code, a severity, the place (file,
//! physical line, record, field) and a message in Japanese (and English).
//!
//! Messages never quote field values: care-plan contents are personal data. They name the field and
//! its position, and what was expected.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::layout::FieldSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Error, Lang::Ja) => "エラー",
            (Severity::Warning, Lang::Ja) => "警告",
            (Severity::Info, Lang::Ja) => "情報",
            (Severity::Error, Lang::En) => "error",
            (Severity::Warning, Lang::En) => "warning",
            (Severity::Info, Lang::En) => "info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

/// Everything checking can find. Each variant has one stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    // Reading
    MalformedCp932 {
        offset: usize,
    },
    Utf8Encoding {
        bom: bool,
    },
    UserDefinedCharacter,
    NotCanonical,
    HeaderSkipped,
    NoRecords,
    FileName {
        code: &'static str,
        ja: String,
        en: String,
    },
    LegacyServiceCode,
    SerialNotTimestamp,
    NotJpeg,
    // Versions and shape
    UnknownCsvVersion {
        version: String,
    },
    TentativeCsvVersion,
    MixedCsvVersions,
    KindNotInVersion,
    NameStyleMismatch,
    FieldCount {
        expected: usize,
        actual: usize,
    },
    // Fields
    RequiredMissing,
    RequiredMissingEstimated,
    TooLong {
        max: u16,
        actual: usize,
    },
    TooLongUncertain {
        max: u16,
        actual: usize,
    },
    BadFormat {
        expected: &'static str,
        expected_en: &'static str,
    },
    UnknownCode {
        list: &'static str,
    },
    FullWidthHyphen,
    UnusedFieldFilled,
    DateOrder,
    // Months
    MonthDiffersFromName,
    MultipleMonths,
    SupplementMonthNotZero,
    SupplementPlanDateZero,
    SupplementPlanDateNotZero,
    // 第6表
    ServiceDateOutsideMonth,
    EquipmentCodeMissing,
    NotLinkedServiceKind,
    DayFlagsBeyondMonth,
    DetailNoNotEquipment,
    TimeNoneMixed,
    ActualOfOtherOffice,
    // 第7表
    AnnexTotalMissing,
    AnnexTotalDuplicate,
    AnnexTotalOffice,
    SubtotalUnitsNotZero,
    SubtotalDiscountNotNull,
    SubtotalMissing {
        service_kind: String,
    },
    SubtotalWithoutLines {
        service_kind: String,
    },
    // 第2表 / 第3表 / 予防別表
    DuplicateHierarchy,
    HierarchyNotSorted,
    HierarchyCarriedForward,
    WeeklyRecordGroups,
    DuplicateSupportHierarchy,
    // Send units
    UnitCombination {
        kinds: String,
    },
    UnitDuplicateKind {
        kind: &'static str,
    },
    UnitMissingParent {
        kind: &'static str,
        parent: &'static str,
    },
    UnitMonthMismatch,
    UnitLinkMissing {
        dependent: &'static str,
        base: &'static str,
    },
    UnitBaseWithoutSupplement {
        base: &'static str,
    },
    UnitDirection,
    UnitSameOffice,
    UnitMixedVersions,
    UnitWithoutCarePlan3,
    // Report
    Repeated {
        code: String,
        more: usize,
    },
}

impl Problem {
    pub fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            MalformedCp932 { .. } => "E-ENC-001",
            Utf8Encoding { .. } => "W-ENC-002",
            UserDefinedCharacter => "E-ENC-003",
            NotCanonical => "I-CSV-003",
            HeaderSkipped => "W-CSV-001",
            NoRecords => "W-CSV-002",
            FileName { code, .. } => code,
            LegacyServiceCode => "W-NAME-010",
            SerialNotTimestamp => "W-NAME-011",
            NotJpeg => "E-IMG-001",
            UnknownCsvVersion { .. } => "E-VER-001",
            TentativeCsvVersion => "W-VER-002",
            MixedCsvVersions => "E-VER-003",
            KindNotInVersion => "E-VER-004",
            NameStyleMismatch => "W-VER-005",
            FieldCount { .. } => "E-REC-001",
            RequiredMissing => "E-FLD-001",
            RequiredMissingEstimated => "W-FLD-001",
            TooLong { .. } => "E-FLD-002",
            TooLongUncertain { .. } => "W-FLD-002",
            BadFormat { .. } => "E-FLD-003",
            UnknownCode { .. } => "E-FLD-004",
            FullWidthHyphen => "W-FLD-005",
            UnusedFieldFilled => "W-FLD-006",
            DateOrder => "W-FLD-007",
            MonthDiffersFromName => "E-MON-001",
            MultipleMonths => "E-MON-002",
            SupplementMonthNotZero => "E-HSK-001",
            SupplementPlanDateZero => "E-HSK-002",
            SupplementPlanDateNotZero => "E-HSK-003",
            ServiceDateOutsideMonth => "E-SCH-001",
            EquipmentCodeMissing => "E-SCH-002",
            NotLinkedServiceKind => "W-SCH-003",
            DayFlagsBeyondMonth => "W-SCH-004",
            DetailNoNotEquipment => "W-SCH-005",
            TimeNoneMixed => "W-SCH-006",
            ActualOfOtherOffice => "W-SCH-007",
            AnnexTotalMissing => "E-ANX-001",
            AnnexTotalDuplicate => "E-ANX-002",
            AnnexTotalOffice => "E-ANX-003",
            SubtotalUnitsNotZero => "E-ANX-004",
            SubtotalDiscountNotNull => "E-ANX-005",
            SubtotalMissing { .. } => "E-ANX-006",
            SubtotalWithoutLines { .. } => "W-ANX-007",
            DuplicateHierarchy => "E-PL2-001",
            HierarchyNotSorted => "W-PL2-002",
            HierarchyCarriedForward => "I-PL2-003",
            WeeklyRecordGroups => "W-PL3-001",
            DuplicateSupportHierarchy => "W-YSB-001",
            UnitCombination { .. } => "E-UNT-001",
            UnitDuplicateKind { .. } => "E-UNT-002",
            UnitMissingParent { .. } => "E-UNT-003",
            UnitMonthMismatch => "E-UNT-004",
            UnitLinkMissing { .. } => "E-UNT-005",
            UnitBaseWithoutSupplement { .. } => "W-UNT-006",
            UnitDirection => "W-UNT-007",
            UnitSameOffice => "W-UNT-008",
            UnitMixedVersions => "W-UNT-009",
            UnitWithoutCarePlan3 => "W-UNT-010",
            Repeated { .. } => "I-CHK-001",
        }
    }

    pub fn severity(&self) -> Severity {
        match self.code().as_bytes().first() {
            Some(b'E') => Severity::Error,
            Some(b'W') => Severity::Warning,
            _ => Severity::Info,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => self.message_ja(),
            Lang::En => self.message_en(),
        }
    }

    fn message_ja(&self) -> String {
        use Problem::*;
        match self {
            MalformedCp932 { offset } => format!(
                "Shift-JIS（MS932）として読めないバイトがあります（先頭から{offset}バイト目）。文字コードを確認してください"
            ),
            Utf8Encoding { bom } => format!(
                "UTF-8{}で書かれています。標準仕様は Shift-JIS（MS932）です。読み込みは続けますが、送信時は MS932 に変換してください",
                if *bom { "（BOM付き）" } else { "" }
            ),
            UserDefinedCharacter => "外字（ユーザー定義文字）が含まれています。標準仕様では外字は使えません".into(),
            NotCanonical => "引用符の付け方や改行コードが標準的な書き方と異なります（内容は同じです）".into(),
            HeaderSkipped => "先頭の項目が CSVバージョン（6桁の数字）でない行を読み飛ばしました（見出し行など）".into(),
            NoRecords => "データのレコードがありません".into(),
            FileName { ja, .. } => ja.clone(),
            LegacyServiceCode => "ファイル名のサービス種類コードが3桁です（第4.0版の表記）。第4.1版では2桁です".into(),
            SerialNotTimestamp => "ファイル連番が実在する日時（YYYYMMDDHHMMSS）になっていません".into(),
            NotJpeg => "家族構成画像が JPEG 形式ではありません".into(),
            UnknownCsvVersion { version } => format!(
                "CSVバージョン「{version}」は知られていない値です（202208 または 202407）"
            ),
            TentativeCsvVersion => "CSVバージョン 202504 は第4.0版の値です。第4.1版では 202407 です（第4版のレイアウトとして読みます）".into(),
            MixedCsvVersions => "1ファイルに異なる CSVバージョンのレコードが混在しています".into(),
            KindNotInVersion => "このファイルの種類は第4版（202407）からのもので、CSVバージョン 202208 では使えません".into(),
            NameStyleMismatch => "ファイル名の形式（サービス種類コードの有無）と CSVバージョンの版が合いません".into(),
            FieldCount { expected, actual } => format!(
                "項目数が {actual} です。このレイアウトでは {expected} 項目です"
            ),
            RequiredMissing => "必須項目が空です".into(),
            RequiredMissingEstimated => "必須と思われる項目が空です（仕様の必須指定は推定）".into(),
            TooLong { max, actual } => format!("項目長 {max} を超えています（{actual} 文字）"),
            TooLongUncertain { max, actual } => format!(
                "項目長 {max} を超えています（{actual} 文字）。仕様の項目長に不確かさがあるため警告とします"
            ),
            BadFormat { expected, .. } => format!("書式が違います。{expected}で入力してください"),
            UnknownCode { list } => format!("「{list}」のコード表にない値です"),
            FullWidthHyphen => "コードの区切りに全角ハイフン（－）が使われています。半角ハイフン（-）が望ましい書き方です".into(),
            UnusedFieldFilled => "「識別子」は使用しない項目ですが、値が入っています".into(),
            DateOrder => "期間の開始日が終了日より後になっています".into(),
            MonthDiffersFromName => "対象年月がファイル名の年月と異なります".into(),
            MultipleMonths => "1ファイルに複数のサービス提供年月があります。1ファイルは単月のみです".into(),
            SupplementMonthNotZero => "計画書（1表・2表）に紐づく利用者補足情報（ファイル名の年月が 000000）では、対象年月は「000000」です".into(),
            SupplementPlanDateZero => "計画書に紐づく利用者補足情報では、居宅サービス計画作成（変更）日に実在する日付が必要です".into(),
            SupplementPlanDateNotZero => "利用票（6表・7表）に紐づく利用者補足情報では、居宅サービス計画作成（変更）日は「00000000」です".into(),
            ServiceDateOutsideMonth => "サービス利用日が対象年月の日付ではありません".into(),
            EquipmentCodeMissing => "福祉用具貸与（17・67）では TAISコード か 福祉用具届出コード のどちらかが必要です".into(),
            NotLinkedServiceKind => "連携対象外のサービス種類です。連携対象外のサービスはファイルに含めません".into(),
            DayFlagsBeyondMonth => "日割対象日に、その月にない日（月末より後）が立っています".into(),
            DetailNoNotEquipment => "明細判別コードは福祉用具貸与（17・67）のときだけ使います".into(),
            TimeNoneMixed => "開始時刻と終了時刻の一方だけが「9999」（時間表示なし）です".into(),
            ActualOfOtherOffice => "実績ファイルに送信元以外の事業所のサービスが含まれています（実績は自事業所分のみ）".into(),
            AnnexTotalMissing => "利用者の第7表に全合計（サービスコード 999999）の行がありません".into(),
            AnnexTotalDuplicate => "利用者の第7表に全合計（999999）の行が複数あります".into(),
            AnnexTotalOffice => "全合計（999999）の行のサービス事業所コードは「9999999999」です".into(),
            SubtotalUnitsNotZero => "種類別小計・全合計の行の単位数は 0 です".into(),
            SubtotalDiscountNotNull => "種類別小計・全合計の行の割引後率・割引後単位数は空（Null）です".into(),
            SubtotalMissing { service_kind } => format!(
                "サービス種類「{service_kind}」の行が複数ありますが、種類別小計（{service_kind}AAAA）の行がありません"
            ),
            SubtotalWithoutLines { service_kind } => format!(
                "種類別小計（{service_kind}…）に対応するサービスの行がありません"
            ),
            DuplicateHierarchy => "同じ計画の中で（課題ＮＯ, 援助目標ＮＯ, 援助内容ＮＯ）の組が重複しています".into(),
            HierarchyNotSorted => "課題ＮＯ・援助目標ＮＯ・援助内容ＮＯの順に並んでいません（帳票の並び順になりません）".into(),
            HierarchyCarriedForward => "空欄の課題ＮＯ・援助目標ＮＯ・援助内容ＮＯを前の行から引き継ぎました".into(),
            WeeklyRecordGroups => "第3表の1レコードには「週間サービス」「日常生活の活動」「週単位以外のサービス」のうち1つだけを入れます".into(),
            DuplicateSupportHierarchy => "同じ計画の中で（課題ＮＯ, 支援計画ＮＯ, 利用サービスＮＯ）の組が重複しています".into(),
            UnitCombination { kinds } => format!(
                "送信単位のファイルの組み合わせ（{kinds}）が標準仕様の組み合わせに当たりません"
            ),
            UnitDuplicateKind { kind } => format!("送信単位に「{kind}」のファイルが2つ以上あります"),
            UnitMissingParent { kind, parent } => format!(
                "「{kind}」は「{parent}」と同じ送信単位で送ります。「{parent}」がありません"
            ),
            UnitMonthMismatch => "送信単位の中でファイルの年月が一致しません（利用票・別表・補足は同じ提供年月、計画書の補足は 000000）".into(),
            UnitLinkMissing { dependent, base } => format!(
                "「{dependent}」のレコードに対応する「{base}」のレコード（同じ保険者番号・被保険者番号・キー日付）がありません"
            ),
            UnitBaseWithoutSupplement { base } => format!(
                "「{base}」の利用者に対応する利用者補足情報のレコードがありません"
            ),
            UnitDirection => "ファイルの種類と送信の向き（居宅介護支援事業所 → サービス事業所、実績は逆）が合いません".into(),
            UnitSameOffice => "送信元と送信先が同じ事業所番号です".into(),
            UnitMixedVersions => "送信単位の中で CSVバージョンが混在しています".into(),
            UnitWithoutCarePlan3 => "第4版の計画書の送信単位に第3表（UP3KYO）がありません".into(),
            Repeated { code, more } => format!("同じ指摘（{code}）がこのファイルにほかに {more} 件あります（表示を省略）"),
        }
    }

    fn message_en(&self) -> String {
        use Problem::*;
        match self {
            MalformedCp932 { offset } => {
                format!("bytes that are not Shift-JIS (MS932) at byte offset {offset}")
            }
            Utf8Encoding { bom } => format!(
                "the file is UTF-8{}; the standard is Shift-JIS (MS932). Read anyway; convert before sending",
                if *bom { " with BOM" } else { "" }
            ),
            UserDefinedCharacter => "user-defined characters (gaiji) are not allowed".into(),
            NotCanonical => {
                "quoting or line endings differ from the canonical form (same content)".into()
            }
            HeaderSkipped => {
                "skipped a line whose first field is not a 6-digit CSV version (a header?)".into()
            }
            NoRecords => "the file has no data records".into(),
            FileName { en, .. } => en.clone(),
            LegacyServiceCode => {
                "3-character service codes in the file name (4.0 wording); 4.1 uses 2".into()
            }
            SerialNotTimestamp => "the file serial is not a real date and time".into(),
            NotJpeg => "the family image is not a JPEG file".into(),
            UnknownCsvVersion { version } => {
                format!("unknown CSV version {version:?} (202208 or 202407 expected)")
            }
            TentativeCsvVersion => {
                "CSV version 202504 is the 4.0 value; 4.1 uses 202407 (read as v4)".into()
            }
            MixedCsvVersions => "records of different CSV versions in one file".into(),
            KindNotInVersion => "this kind of file exists from v4 (202407) only".into(),
            NameStyleMismatch => {
                "the file-name style (with or without service kinds) does not match the CSV version"
                    .into()
            }
            FieldCount { expected, actual } => {
                format!("{actual} fields; this layout has {expected}")
            }
            RequiredMissing => "required field is empty".into(),
            RequiredMissingEstimated => {
                "field is empty; the spec probably requires it (estimated)".into()
            }
            TooLong { max, actual } => format!("longer than {max} ({actual} characters)"),
            TooLongUncertain { max, actual } => {
                format!("longer than {max} ({actual} characters); the spec's length is uncertain")
            }
            BadFormat { expected_en, .. } => format!("bad format: expected {expected_en}"),
            UnknownCode { list } => format!("value not in the code list {list}"),
            FullWidthHyphen => "full-width hyphen in a code; half-width '-' is preferred".into(),
            UnusedFieldFilled => "the unused identifier field has a value".into(),
            DateOrder => "period start is after its end".into(),
            MonthDiffersFromName => "target month differs from the file-name month".into(),
            MultipleMonths => "more than one service month in a single-month file".into(),
            SupplementMonthNotZero => {
                "a supplement tied to a care plan (file month 000000) must have target month 000000"
                    .into()
            }
            SupplementPlanDateZero => {
                "a supplement tied to a care plan needs a real plan date".into()
            }
            SupplementPlanDateNotZero => {
                "a supplement tied to a schedule must have plan date 00000000".into()
            }
            ServiceDateOutsideMonth => "service date is not in the target month".into(),
            EquipmentCodeMissing => {
                "equipment rental (17/67) needs a TAIS code or a notified code".into()
            }
            NotLinkedServiceKind => {
                "service kind is outside the exchange; such services are not sent".into()
            }
            DayFlagsBeyondMonth => "daily-rate flags set beyond the end of the month".into(),
            DetailNoNotEquipment => "detail number is only for equipment rental (17/67)".into(),
            TimeNoneMixed => "only one of start and end time is 9999 (no time)".into(),
            ActualOfOtherOffice => {
                "actuals file holds another office's services (actuals are the sender's own)".into()
            }
            AnnexTotalMissing => "no grand total line (999999) for the user".into(),
            AnnexTotalDuplicate => "more than one grand total line (999999) for the user".into(),
            AnnexTotalOffice => "the grand total line's office code must be 9999999999".into(),
            SubtotalUnitsNotZero => "subtotal and total lines must have units 0".into(),
            SubtotalDiscountNotNull => {
                "subtotal and total lines must leave discount fields empty".into()
            }
            SubtotalMissing { service_kind } => format!(
                "several lines of service kind {service_kind} but no {service_kind}AAAA subtotal"
            ),
            SubtotalWithoutLines { service_kind } => {
                format!("subtotal for service kind {service_kind} has no service lines")
            }
            DuplicateHierarchy => "duplicate (issue, goal, support) numbers within one plan".into(),
            HierarchyNotSorted => "rows are not in issue/goal/support number order".into(),
            HierarchyCarriedForward => {
                "blank hierarchy numbers carried forward from the row above".into()
            }
            WeeklyRecordGroups => {
                "a table-3 record must fill exactly one of its three groups".into()
            }
            DuplicateSupportHierarchy => {
                "duplicate (issue, support plan, service) numbers within one plan".into()
            }
            UnitCombination { kinds } => format!(
                "the files of this send unit ({kinds}) are not a combination of the standard"
            ),
            UnitDuplicateKind { kind } => format!("more than one {kind} file in the send unit"),
            UnitMissingParent { kind, parent } => {
                format!("{kind} travels with {parent}, which is missing")
            }
            UnitMonthMismatch => "file months within the send unit do not agree".into(),
            UnitLinkMissing { dependent, base } => {
                format!("a {dependent} record has no matching {base} record")
            }
            UnitBaseWithoutSupplement { base } => format!("a {base} user has no supplement record"),
            UnitDirection => "the kind of file does not match the direction of sending".into(),
            UnitSameOffice => "sender and recipient have the same office number".into(),
            UnitMixedVersions => "mixed CSV versions within the send unit".into(),
            UnitWithoutCarePlan3 => "a v4 care-plan send unit without table 3 (UP3KYO)".into(),
            Repeated { code, more } => {
                format!("{more} more findings {code} in this file (not shown)")
            }
        }
    }
}

/// One finding at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    /// The file name as given.
    pub file: String,
    /// Physical line (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Record number (1-based, data records only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    /// Field No (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_no: Option<u16>,
    /// 項目名.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_key: Option<String>,
    pub message: String,
    pub message_en: String,
}

impl Finding {
    pub fn new(problem: &Problem, file: &str) -> Self {
        Self {
            code: problem.code().to_string(),
            severity: problem.severity(),
            file: file.to_string(),
            line: None,
            record: None,
            field_no: None,
            field_name: None,
            field_key: None,
            message: problem.message(Lang::Ja),
            message_en: problem.message(Lang::En),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at_record(mut self, record: &crate::record::Record) -> Self {
        self.line = Some(record.line);
        self.record = Some(record.number);
        self
    }

    pub fn at_field(mut self, field: &FieldSpec) -> Self {
        self.field_no = Some(field.no);
        self.field_name = Some(field.name.to_string());
        self.field_key = Some(field.key.to_string());
        self
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.message,
            Lang::En => &self.message_en,
        }
    }

    /// One line for people: `FILE:LINE: 記録3 項目12「サービス開始時刻」: エラー E-FLD-003: …`.
    pub fn display(&self, lang: Lang) -> FindingDisplay<'_> {
        FindingDisplay {
            finding: self,
            lang,
        }
    }
}

pub struct FindingDisplay<'a> {
    finding: &'a Finding,
    lang: Lang,
}

impl fmt::Display for FindingDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.finding;
        write!(f, "{}", x.file)?;
        if let Some(line) = x.line {
            write!(f, ":{line}")?;
        }
        f.write_str(":")?;
        match self.lang {
            Lang::Ja => {
                if let Some(r) = x.record {
                    write!(f, " 記録{r}")?;
                }
                if let (Some(no), Some(name)) = (x.field_no, &x.field_name) {
                    write!(f, " 項目{no}「{name}」")?;
                }
            }
            Lang::En => {
                if let Some(r) = x.record {
                    write!(f, " record {r}")?;
                }
                if let (Some(no), Some(key)) = (x.field_no, &x.field_key) {
                    write!(f, " field {no} ({key})")?;
                }
            }
        }
        write!(
            f,
            " {} {}: {}",
            x.severity.label(self.lang),
            x.code,
            x.message(self.lang)
        )
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Tally {
    pub fn of(findings: &[Finding]) -> Self {
        let mut t = Tally::default();
        for f in findings {
            match f.severity {
                Severity::Error => t.errors += 1,
                Severity::Warning => t.warnings += 1,
                Severity::Info => t.infos += 1,
            }
        }
        t
    }
}
