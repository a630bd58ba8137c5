//! Code lists of §6 and the サービス種類 of §2.7. Values are stored as codes; meanings are for forms.

/// One code list: the code values and what they mean.
#[derive(Debug)]
pub struct CodeList {
    pub name: &'static str,
    pub entries: &'static [(&'static str, &'static str)],
}

impl CodeList {
    pub fn meaning(&self, code: &str) -> Option<&'static str> {
        self.entries
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, m)| *m)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.meaning(code).is_some()
    }
}

macro_rules! code_list {
    ($id:ident, $name:literal, [$($code:literal => $meaning:literal),* $(,)?]) => {
        pub static $id: CodeList = CodeList { name: $name, entries: &[$(($code, $meaning)),*] };
    };
}

code_list!(SEX, "性別", ["1" => "男性", "2" => "女性"]);
code_list!(CERTIFICATION_STATUS, "認定状況区分", ["1" => "申請中", "2" => "認定済"]);
code_list!(CARE_LEVEL, "要介護状態区分", [
    "06" => "事業対象者", "12" => "要支援１", "13" => "要支援２", "21" => "要介護１",
    "22" => "要介護２", "23" => "要介護３", "24" => "要介護４", "25" => "要介護５",
]);
code_list!(CARE_LEVEL_PREVENTIVE, "要介護状態区分（予防）", [
    "01" => "非該当", "12" => "要支援１", "13" => "要支援２", "21" => "要介護１",
    "22" => "要介護２", "23" => "要介護３", "24" => "要介護４", "25" => "要介護５",
]);
code_list!(PLAN_CATEGORY, "計画書区分", [
    "11" => "初回", "12" => "紹介", "21" => "継続", "51" => "初回＆紹介", "52" => "初回＆継続",
    "53" => "紹介＆継続", "54" => "初回＆紹介＆継続",
]);
code_list!(LIVELIHOOD_REASON, "生活援助中心型の算定理由", [
    "1" => "一人暮らし", "2" => "家族等が障害、疾病等", "3" => "その他",
]);
code_list!(INSURANCE_COVERED, "保険対象区分", ["Y" => "対象", "N" => "対象外"]);
code_list!(WEEKDAY, "曜日", [
    "1" => "月", "2" => "火", "3" => "水", "4" => "木", "5" => "金", "6" => "土", "7" => "日",
]);
code_list!(APPLICABLE, "該当区分", ["1" => "該当", "0" => "非該当"]);
code_list!(PLAN_TYPE, "計画種類", ["1" => "介護予防支援", "2" => "介護予防ケアマネジメント"]);
code_list!(OUTSOURCED, "委託の有無", ["1" => "自前", "2" => "委託"]);
code_list!(CONSULTATION_METHOD, "相談方法", ["01" => "来所", "02" => "電話", "03" => "その他"]);
code_list!(CONSULTATION_COUNT, "相談回数", ["01" => "初回", "02" => "再来"]);
code_list!(CURRENT_SITUATION, "利用者の現況", ["01" => "在宅", "02" => "入院又は入所中"]);
code_list!(DISABILITY_INDEPENDENCE, "障害高齢者の日常生活自立度", [
    "01" => "自立", "11" => "J1", "12" => "J2", "21" => "A1", "22" => "A2", "31" => "B1",
    "32" => "B2", "41" => "C1", "42" => "C2",
]);
code_list!(DEMENTIA_INDEPENDENCE, "認知症高齢者の日常生活自立度", [
    "01" => "自立", "02" => "Ⅰ", "03" => "Ⅱａ", "04" => "Ⅱｂ", "05" => "Ⅲａ", "06" => "Ⅲｂ",
    "07" => "Ⅳ", "08" => "Ｍ",
]);
code_list!(CHECKLIST_RESULT, "基本チェックリスト記入結果", [
    "1" => "事業対象者の該当あり", "2" => "事業対象者の該当なし",
]);
code_list!(HOUSING, "居住形態", [
    "01" => "自宅", "02" => "借家", "03" => "一戸建て", "04" => "集合住宅", "05" => "自宅・一戸建て",
    "06" => "自宅・集合住宅", "07" => "借家・一戸建て", "08" => "借家・集合住宅",
]);
code_list!(PRESENCE, "有無", ["1" => "有", "2" => "無"]);
code_list!(NEED, "要否", ["1" => "要", "2" => "否"]);
code_list!(ATTENDING_DOCTOR, "主治医・意見作成者フラグ", ["1" => "主治医", "2" => "それ以外"]);
code_list!(PROGRESS, "経過", ["01" => "治療中", "02" => "経過観察中", "03" => "その他"]);
code_list!(SUPPORT_LEVEL, "要支援状態区分", ["1" => "要支援１", "2" => "要支援２", "3" => "地域支援事業"]);

/// Whether a サービス種類 takes part in the exchange (§2.7, 推定: mark column re-aligned by count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Linked,
    NotLinked,
}

/// サービス種類コード → (name, linkage). Codes outside this table are unknown, not refused.
pub static SERVICE_KINDS: &[(&str, &str, Linkage)] = {
    use Linkage::{Linked as L, NotLinked as N};
    &[
        ("11", "訪問介護", L),
        ("12", "訪問入浴介護", L),
        ("13", "訪問看護", L),
        ("14", "訪問リハビリテーション", L),
        ("15", "通所介護", L),
        ("16", "通所リハビリテーション", L),
        ("17", "福祉用具貸与", L),
        ("21", "短期入所生活介護", L),
        ("22", "短期入所療養介護（老健）", L),
        ("23", "短期入所療養介護（療養型医療施設等）", L),
        ("2A", "短期入所療養介護（介護医療院）", L),
        ("27", "特定施設入居者生活介護（短期利用）", L),
        ("28", "地域密着型特定施設入居者生活介護（短期利用）", L),
        ("31", "居宅療養管理指導", L),
        ("32", "認知症対応型共同生活介護", N),
        ("33", "特定施設入居者生活介護", N),
        ("36", "地域密着型特定施設入居者生活介護", N),
        ("38", "認知症対応型共同生活介護（短期利用）", L),
        ("41", "特定福祉用具販売", N),
        ("42", "住宅改修", N),
        ("43", "居宅介護支援", N),
        ("46", "介護予防支援", N),
        ("51", "介護福祉施設サービス", N),
        ("52", "介護保健施設サービス", N),
        ("53", "介護療養施設サービス", N),
        ("54", "地域密着型介護老人福祉施設入所者生活介護", N),
        ("59", "特定介護サービス等", N),
        ("68", "小規模多機能型居宅介護（短期利用）", L),
        ("71", "夜間対応型訪問介護", L),
        ("72", "認知症対応型通所介護", L),
        ("73", "小規模多機能型居宅介護", L),
        ("76", "定期巡回・随時対応型訪問介護看護", L),
        ("77", "看護小規模多機能型居宅介護", L),
        ("78", "地域密着型通所介護", L),
        ("79", "看護小規模多機能型居宅介護（短期利用）", L),
        ("81", "市町村特別給付", N),
        ("62", "介護予防訪問入浴介護", L),
        ("63", "介護予防訪問看護", L),
        ("64", "介護予防訪問リハビリテーション", L),
        ("66", "介護予防通所リハビリテーション", L),
        ("67", "介護予防福祉用具貸与", L),
        ("24", "介護予防短期入所生活介護", L),
        ("25", "介護予防短期入所療養介護（老健）", L),
        ("26", "介護予防短期入所療養介護（療養型医療施設等）", L),
        ("2B", "介護予防短期入所療養介護（介護医療院）", L),
        ("34", "介護予防居宅療養管理指導", L),
        ("35", "介護予防特定施設入居者生活介護", N),
        ("37", "介護予防認知症対応型共同生活介護", N),
        ("39", "介護予防認知症対応型共同生活介護（短期利用）", L),
        ("44", "特定介護予防福祉用具販売", N),
        ("45", "介護予防住宅改修", N),
        ("69", "介護予防小規模多機能型居宅介護（短期利用）", L),
        ("74", "介護予防認知症対応型通所介護", L),
        ("75", "介護予防小規模多機能型居宅介護", L),
        ("A1", "訪問型サービス（みなし）", L),
        ("A2", "訪問型サービス（独自）", L),
        ("A3", "訪問型サービス（独自／定率）", L),
        ("A4", "訪問型サービス（独自／定額）", L),
        ("A5", "通所型サービス（みなし）", L),
        ("A6", "通所型サービス（独自）", L),
        ("A7", "通所型サービス（独自／定率）", L),
        ("A8", "通所型サービス（独自／定額）", L),
        ("AF", "介護予防ケアマネジメント", N),
    ]
};

pub fn service_kind_name(code: &str) -> Option<&'static str> {
    SERVICE_KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, _)| *n)
}

pub fn service_kind_linkage(code: &str) -> Option<Linkage> {
    SERVICE_KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, l)| *l)
}

/// 福祉用具貸与 (17) and 介護予防福祉用具貸与 (67) need a TAISコード or 福祉用具届出コード (§7.9).
pub fn is_equipment_rental(service_kind: &str) -> bool {
    matches!(service_kind, "17" | "67")
}

/// Kinds whose services are all outside the 区分支給限度 (居宅療養管理指導), so 第7表 needs no
/// `AAAA` subtotal for them.
pub fn is_outside_benefit_limit(service_kind: &str) -> bool {
    matches!(service_kind, "31" | "34")
}
