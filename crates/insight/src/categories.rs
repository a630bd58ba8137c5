//! Built-in time-study category sets (`municipal.md` §1.2, §1.4, §1.5): the MHLW 24 items in 5
//! groups for care workers, the 地域包括支援センター categories, and the care-plan exchange tasks.
//! Custom sets use the same types.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryGroup {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub group: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySet {
    pub id: String,
    pub name: String,
    /// Where the list comes from, shown with the results.
    pub source: String,
    pub groups: Vec<CategoryGroup>,
    pub categories: Vec<Category>,
}

fn build(
    id: &str,
    name: &str,
    source: &str,
    groups: &[(&str, &str)],
    items: &[(&str, &str, &str)],
) -> CategorySet {
    CategorySet {
        id: id.into(),
        name: name.into(),
        source: source.into(),
        groups: groups
            .iter()
            .map(|(c, n)| CategoryGroup {
                code: (*c).into(),
                name: (*n).into(),
            })
            .collect(),
        categories: items
            .iter()
            .map(|(c, n, g)| Category {
                code: (*c).into(),
                name: (*n).into(),
                group: (*g).into(),
            })
            .collect(),
    }
}

pub const CARE_WORKER: &str = "care_worker";
pub const CENTER: &str = "center";
pub const EXCHANGE: &str = "exchange";

impl CategorySet {
    /// 生産性向上推進体制加算 (別添4) 介護職員向け調査票: 24 items, groups A–E.
    pub fn care_worker() -> Self {
        build(
            CARE_WORKER,
            "介護職員の業務（厚生労働省 24項目）",
            "生産性向上推進体制加算 介護職員向け調査票（別添4）の24項目。https://dxmcnavi.com/articles/seisansei-timestudy ほか",
            &[
                ("A", "直接介護"),
                ("B", "間接業務"),
                ("C", "休憩"),
                ("D", "その他"),
                ("E", "余裕時間"),
            ],
            &[
                ("1", "移動・移乗・体位交換", "A"),
                ("2", "排泄介助・支援", "A"),
                ("3", "入浴・整容・更衣", "A"),
                ("4", "利用者とのコミュニケーション", "A"),
                ("5", "日常生活自立支援", "A"),
                ("6", "行動上の問題への対応", "A"),
                ("7", "食事支援", "A"),
                ("8", "機能訓練・リハビリテーション・医療的処置", "A"),
                ("9", "その他の直接介護", "A"),
                ("10", "巡回・移動", "B"),
                ("11", "記録・文書作成・連絡調整等", "B"),
                (
                    "12",
                    "利用者のアセスメント・情報収集・介護計画の作成・見直し",
                    "B",
                ),
                ("13", "見守り機器の使用・確認", "B"),
                ("14", "介護ロボット・ICT機器の準備・調整・片付け", "B"),
                ("15", "他の職員に対する指導・教育", "B"),
                ("16", "食事・おやつの配膳・下膳等", "B"),
                ("17", "入浴業務の準備等", "B"),
                ("18", "リネン交換・ベッドメイク", "B"),
                ("19", "居室清掃・片付け", "B"),
                ("20", "消毒などの感染症対応", "B"),
                ("21", "その他の間接業務", "B"),
                ("22", "休憩・待機・仮眠", "C"),
                ("23", "その他", "D"),
                ("24", "余裕時間（突発対応可能状態）", "E"),
            ],
        )
    }

    /// 地域包括支援センター: the 4 statutory core jobs and direct work, then clerical and support
    /// work (the group 米子市's "about 60% clerical" falls in). A project proposal, not an
    /// official list.
    pub fn center() -> Self {
        build(
            CENTER,
            "地域包括支援センターの業務",
            "4つの中核業務（総合相談支援・権利擁護・介護予防ケアマネジメント・包括的継続的ケアマネジメント支援）に事務・支援業務を加えた本プロジェクトの案（公式の分類ではありません）",
            &[
                ("C", "中核業務・直接業務"),
                ("S", "事務・支援業務"),
                ("R", "休憩"),
            ],
            &[
                ("1", "総合相談支援", "C"),
                ("2", "権利擁護（虐待対応・成年後見）", "C"),
                (
                    "3",
                    "包括的・継続的ケアマネジメント支援（CM支援・地域ケア会議）",
                    "C",
                ),
                (
                    "4",
                    "介護予防ケアマネジメント・介護予防支援（プラン作成・モニタリング・給付管理）",
                    "C",
                ),
                ("5", "一般介護予防・地域活動", "C"),
                ("6", "記録・報告書作成", "S"),
                ("7", "電話・連絡調整", "S"),
                ("8", "提供票・実績の送受（FAX・郵送・持参・連携）", "S"),
                ("9", "会議・研修", "S"),
                ("10", "移動（訪問・配布）", "S"),
                ("11", "その他事務", "S"),
                ("12", "休憩", "R"),
            ],
        )
    }

    /// Care-plan exchange tasks: the union of the Miyazaki CP連携 time-study items and the
    /// project brief. The codes are what the effect model reads.
    pub fn exchange() -> Self {
        build(
            EXCHANGE,
            "提供票・実績のやりとりに関わる作業",
            "宮崎県 ケアプランデータ連携システム活用促進事業のタイムスタディ項目（https://github.com/yasushi-honda/miyazaki-careplan-timestudy-analysis）をもとにした作業一覧",
            &[
                ("P", "紙・FAXでの送付"),
                ("O", "メール等での送付"),
                ("L", "連携システム"),
                ("R", "受け取った後の処理"),
            ],
            &[
                ("print", "提供票作成・印刷", "P"),
                ("cover", "送付状作成", "P"),
                ("fax", "FAX送信", "P"),
                ("mail", "郵送（封筒・封入・切手・投函）", "P"),
                ("hand", "持参・訪問配布（移動を含む）", "P"),
                ("mask", "個人情報の伏せ字", "P"),
                ("email", "メール・チャット送付", "O"),
                ("link_export", "連携: データ出力", "L"),
                ("link_upload", "連携: アップロード", "L"),
                ("link_import", "連携: ダウンロード・取込", "L"),
                ("sort", "受領物の仕分け", "R"),
                (
                    "transcribe",
                    "介護ソフトへの転記（実績登録・提供票入力）",
                    "R",
                ),
                ("check", "照合・確認", "R"),
                ("file", "保存・ファイリング", "R"),
                ("inquiry", "問い合わせ・差し戻し対応", "R"),
            ],
        )
    }

    /// A built-in set by id (`care_worker`, `center`, `exchange`).
    pub fn builtin(id: &str) -> Option<Self> {
        match id {
            CARE_WORKER => Some(Self::care_worker()),
            CENTER => Some(Self::center()),
            EXCHANGE => Some(Self::exchange()),
            _ => None,
        }
    }

    /// A category by its code or its name (names compared after NFKC, without spaces).
    pub fn find(&self, code_or_name: &str) -> Option<&Category> {
        let key: String = code_or_name.nfkc().filter(|c| !c.is_whitespace()).collect();
        self.categories.iter().find(|c| c.code == key).or_else(|| {
            self.categories.iter().find(|c| {
                c.name
                    .nfkc()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    == key
            })
        })
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn group(&self, code: &str) -> Option<&CategoryGroup> {
        self.groups.iter().find(|g| g.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sets_are_complete() {
        let cw = CategorySet::care_worker();
        assert_eq!(cw.categories.len(), 24);
        assert_eq!(cw.groups.len(), 5);
        let count = |g: &str| cw.categories.iter().filter(|c| c.group == g).count();
        assert_eq!(
            [count("A"), count("B"), count("C"), count("D"), count("E")],
            [9, 12, 1, 1, 1]
        );
        for set in [
            CategorySet::care_worker(),
            CategorySet::center(),
            CategorySet::exchange(),
        ] {
            for c in &set.categories {
                assert!(set.group(&c.group).is_some(), "{}", c.code);
            }
            assert_eq!(CategorySet::builtin(&set.id).as_ref(), Some(&set));
        }
        assert_eq!(
            cw.find("休憩・待機・仮眠").map(|c| c.code.as_str()),
            Some("22")
        );
        assert_eq!(
            CategorySet::exchange()
                .find("fax")
                .map(|c| c.group.as_str()),
            Some("P")
        );
    }
}
