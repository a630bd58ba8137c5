//! The effect of exchanging on the hub: minutes and yen saved per office and per month, from the
//! send units actually exchanged × per-unit minutes (the city's own time study, or defaults with
//! their sources), split into labour, paper, postage and transport. Every number the model uses
//! is returned with the result, so a page can show it next to the figures.
//!
//! Per send unit (one sender's monthly set of 提供票 or 実績 to one partner):
//! - the sender saves 送付状 + (FAX, 郵送 or 持参, by the city's mix) − 連携の送信, plus paper for
//!   every unit, postage for mailed ones and a trip for hand-delivered ones;
//! - the recipient saves 仕分け + 転記 − 連携の取込, with the figures for its side
//!   (居宅介護支援 receives 実績, service offices receive 提供票).
//!
//! The default minutes come from the Miyazaki CP連携 time study (`municipal.md` §1.5), which
//! reports minutes per person per month. They are turned into minutes per send unit by dividing
//! by 37.8 units per person per month: 2,191 FAX sends by the 58 respondents who used FAX. That
//! divisor is rough (mail and hand delivery are rarer than FAX, so their per-unit minutes come out
//! low): the defaults understate the saving. A city's own study replaces them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::exchange::ExchangeEdge;
use crate::offices::{Office, OfficeGroup, OfficeNo};
use crate::timestudy::{Phase, TimeRecord};

/// How a number in the model is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    /// Published figure, used as is.
    Sourced,
    /// Computed from published figures (the derivation is in the source text).
    Derived,
    /// The project's assumption: no source; the city should set its own.
    Assumed,
    /// From the city's own time study.
    CityStudy,
    /// Set by the user.
    UserSet,
}

impl Basis {
    pub fn label(self) -> &'static str {
        match self {
            Basis::Sourced => "出典の値",
            Basis::Derived => "出典から算出",
            Basis::Assumed => "仮定（要設定）",
            Basis::CityStudy => "市のタイムスタディ",
            Basis::UserSet => "利用者が設定",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    pub key: &'static str,
    pub label: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub basis: Basis,
    pub source: String,
}

/// Units per person per month in the Miyazaki before-survey: 2,191 FAX sends / 58 FAX users.
pub const MIYAZAKI_UNITS_PER_PERSON_MONTH: f64 = 2191.0 / 58.0;
const MIYAZAKI: &str = "宮崎県 CP連携タイムスタディ（導入前、https://github.com/yasushi-honda/miyazaki-careplan-timestudy-analysis）";

fn miyazaki(key: &'static str, label: &'static str, monthly: f64, what: &str) -> Param {
    Param {
        key,
        label,
        value: monthly / MIYAZAKI_UNITS_PER_PERSON_MONTH,
        unit: "分/件",
        basis: Basis::Derived,
        source: format!(
            "{MIYAZAKI} の{what} {monthly}分/人・月 ÷ 37.8件/人・月（FAX送信 2,191件 ÷ 58人）"
        ),
    }
}

fn assumed(
    key: &'static str,
    label: &'static str,
    value: f64,
    unit: &'static str,
    why: &str,
) -> Param {
    Param {
        key,
        label,
        value,
        unit,
        basis: Basis::Assumed,
        source: format!("{why}（出典なし。市の実情に合わせて設定してください）"),
    }
}

/// Every number of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectParams {
    pub hourly_labour_yen: Param,
    pub sheets_per_unit: Param,
    pub yen_per_sheet: Param,
    pub postage_yen: Param,
    pub transport_yen_per_trip: Param,
    pub share_fax: Param,
    pub share_mail: Param,
    pub share_hand: Param,
    pub cover_minutes: Param,
    pub fax_minutes: Param,
    pub mail_minutes: Param,
    pub hand_minutes: Param,
    pub link_send_minutes: Param,
    pub sort_minutes_cm: Param,
    pub transcribe_minutes_cm: Param,
    pub import_minutes_cm: Param,
    pub sort_minutes_service: Param,
    pub transcribe_minutes_service: Param,
    pub import_minutes_service: Param,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EffectError {
    #[error("前提「{0}」はありません [E-INS-EFFECT]")]
    UnknownKey(String),
    #[error("前提「{0}」の値は0以上の数です [E-INS-EFFECT]")]
    BadValue(String),
    #[error("送付方法の割合（FAX・郵送・持参）の合計が1を超えています（{0:.2}）[E-INS-EFFECT]")]
    Shares(f64),
}

impl Default for EffectParams {
    fn default() -> Self {
        Self {
            hourly_labour_yen: assumed(
                "hourly_labour_yen",
                "人件費（1時間あたり）",
                2000.0,
                "円/時",
                "事業主負担を含む事務職員の人件費の目安",
            ),
            sheets_per_unit: assumed(
                "sheets_per_unit",
                "1件あたりの枚数",
                3.0,
                "枚/件",
                "提供票・別表・送付状の各1枚",
            ),
            yen_per_sheet: assumed(
                "yen_per_sheet",
                "1枚あたりの紙・トナー代",
                10.0,
                "円/枚",
                "用紙・トナー・FAX受信紙",
            ),
            postage_yen: Param {
                key: "postage_yen",
                label: "郵送料（1通）",
                value: 110.0,
                unit: "円/通",
                basis: Basis::Sourced,
                source: "日本郵便 定形郵便物 50g以内の料金（2024年10月改定）".into(),
            },
            transport_yen_per_trip: assumed(
                "transport_yen_per_trip",
                "持参1回の交通費",
                200.0,
                "円/回",
                "往復10km × 20円/km",
            ),
            share_fax: assumed(
                "share_fax",
                "紙の送付のうちFAXの割合",
                0.8,
                "割合",
                "宮崎県では導入後も84%の事業所がFAXを使用",
            ),
            share_mail: assumed(
                "share_mail",
                "紙の送付のうち郵送の割合",
                0.1,
                "割合",
                "残りを郵送と持参で等分",
            ),
            share_hand: assumed(
                "share_hand",
                "紙の送付のうち持参の割合",
                0.1,
                "割合",
                "残りを郵送と持参で等分",
            ),
            cover_minutes: miyazaki("cover_minutes", "送付状作成", 42.0, "送付状作成（n=67）"),
            fax_minutes: miyazaki("fax_minutes", "FAX送信", 41.5, "FAX送信（n=58）"),
            mail_minutes: miyazaki(
                "mail_minutes",
                "郵送（封筒・封入・切手・投函）",
                85.5,
                "郵送計（n=15）",
            ),
            hand_minutes: miyazaki("hand_minutes", "持参・訪問配布", 70.1, "訪問・配布（n=26）"),
            link_send_minutes: miyazaki(
                "link_send_minutes",
                "連携での送信（出力・アップロード）",
                17.9,
                "連携システム送信（n=10）",
            ),
            sort_minutes_cm: miyazaki(
                "sort_minutes_cm",
                "居宅: 受け取った実績の仕分け",
                54.5,
                "居宅の実績仕分け（n=37）",
            ),
            transcribe_minutes_cm: miyazaki(
                "transcribe_minutes_cm",
                "居宅: 実績の介護ソフトへの登録",
                90.0,
                "居宅の実績登録の中央値（平均174.7は外れ値に引きずられるため中央値、n=51）",
            ),
            import_minutes_cm: miyazaki(
                "import_minutes_cm",
                "居宅: 連携での実績取込",
                13.8,
                "連携取込・実績（n=8）",
            ),
            sort_minutes_service: miyazaki(
                "sort_minutes_service",
                "サービス: 受け取った提供票の仕分け",
                40.0,
                "提供票仕分け（n=24）",
            ),
            transcribe_minutes_service: miyazaki(
                "transcribe_minutes_service",
                "サービス: 提供票の介護ソフトへの入力",
                77.1,
                "提供票入力（n=28）",
            ),
            import_minutes_service: miyazaki(
                "import_minutes_service",
                "サービス: 連携での提供票取込",
                60.0,
                "連携取込・提供票（n=9）",
            ),
        }
    }
}

/// Figures shown for comparison, not used in the computation.
pub fn references() -> Vec<Param> {
    vec![
        Param {
            key: "mhlw_yen_per_office_month",
            label: "厚生労働省の試算: 1事業所あたりの削減額",
            value: 68368.0,
            unit: "円/月",
            basis: Basis::Sourced,
            source: "介護保険最新情報 Vol.1096（2022-09-06）、年約81.6万円。https://www.excite.co.jp/news/article/Minnanokaigo_news_kaigogaku_no1226".into(),
        },
        Param {
            key: "mhlw_time_ratio",
            label: "厚生労働省の試算: 関連業務の時間",
            value: 1.0 / 3.0,
            unit: "倍",
            basis: Basis::Sourced,
            source: "関連業務の時間が約3分の1に。https://www.joint-kaigo.com/?p=38051".into(),
        },
    ]
}

impl EffectParams {
    pub fn all(&self) -> Vec<&Param> {
        vec![
            &self.hourly_labour_yen,
            &self.sheets_per_unit,
            &self.yen_per_sheet,
            &self.postage_yen,
            &self.transport_yen_per_trip,
            &self.share_fax,
            &self.share_mail,
            &self.share_hand,
            &self.cover_minutes,
            &self.fax_minutes,
            &self.mail_minutes,
            &self.hand_minutes,
            &self.link_send_minutes,
            &self.sort_minutes_cm,
            &self.transcribe_minutes_cm,
            &self.import_minutes_cm,
            &self.sort_minutes_service,
            &self.transcribe_minutes_service,
            &self.import_minutes_service,
        ]
    }

    fn all_mut(&mut self) -> Vec<&mut Param> {
        vec![
            &mut self.hourly_labour_yen,
            &mut self.sheets_per_unit,
            &mut self.yen_per_sheet,
            &mut self.postage_yen,
            &mut self.transport_yen_per_trip,
            &mut self.share_fax,
            &mut self.share_mail,
            &mut self.share_hand,
            &mut self.cover_minutes,
            &mut self.fax_minutes,
            &mut self.mail_minutes,
            &mut self.hand_minutes,
            &mut self.link_send_minutes,
            &mut self.sort_minutes_cm,
            &mut self.transcribe_minutes_cm,
            &mut self.import_minutes_cm,
            &mut self.sort_minutes_service,
            &mut self.transcribe_minutes_service,
            &mut self.import_minutes_service,
        ]
    }

    /// Sets one number by key (as the page or `--set key=value` names it).
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), EffectError> {
        if !value.is_finite() || value < 0.0 {
            return Err(EffectError::BadValue(key.to_string()));
        }
        let p = self
            .all_mut()
            .into_iter()
            .find(|p| p.key == key)
            .ok_or_else(|| EffectError::UnknownKey(key.to_string()))?;
        let old = p.clone();
        p.value = value;
        p.basis = Basis::UserSet;
        p.source = "利用者が設定".into();
        let result = self.check();
        if result.is_err()
            && let Some(p) = self.all_mut().into_iter().find(|p| p.key == key)
        {
            *p = old;
        }
        result
    }

    /// Sets several numbers at once, each with the source to show for it (who set it, when,
    /// what it replaced), as a municipality's own settings say. The whole is checked once all
    /// are set: one at a time, two shares that fit together could be refused halfway. On an
    /// error nothing is changed.
    pub fn set_many(&mut self, values: &[(&str, f64, String)]) -> Result<(), EffectError> {
        let old = self.clone();
        let result = (|| {
            for (key, value, source) in values {
                if !value.is_finite() || *value < 0.0 {
                    return Err(EffectError::BadValue(key.to_string()));
                }
                let p = self
                    .all_mut()
                    .into_iter()
                    .find(|p| p.key == *key)
                    .ok_or_else(|| EffectError::UnknownKey(key.to_string()))?;
                p.value = *value;
                p.basis = Basis::UserSet;
                p.source = source.clone();
            }
            self.check()
        })();
        if result.is_err() {
            *self = old;
        }
        result
    }

    pub fn check(&self) -> Result<(), EffectError> {
        let s = self.share_fax.value + self.share_mail.value + self.share_hand.value;
        if s > 1.0 + 1e-9 {
            Err(EffectError::Shares(s))
        } else {
            Ok(())
        }
    }

    /// Replaces per-unit minutes with the city's own exchange-task study (set `exchange`):
    /// Σ minutes ÷ Σ 件数 over records with 件数 > 0; paper tasks from the before (or single)
    /// phase, 連携 tasks from the after (or single) phase. Tasks without counts keep their value.
    pub fn with_city_study(mut self, records: &[TimeRecord]) -> Self {
        let per_unit = |codes: &[&str], phases: &[Phase]| -> Option<(f64, u32, u32)> {
            let (mut minutes, mut count, mut n) = (0u64, 0u64, 0u32);
            for r in records.iter().filter(|r| {
                codes.contains(&r.category.as_str()) && phases.contains(&r.phase) && r.count > 0
            }) {
                minutes += u64::from(r.minutes);
                count += u64::from(r.count);
                n += 1;
            }
            (count > 0).then(|| {
                (
                    minutes as f64 / count as f64,
                    n,
                    u32::try_from(count).unwrap_or(u32::MAX),
                )
            })
        };
        let paper = [Phase::Before, Phase::Single];
        let link = [Phase::After, Phase::Single];
        let set = |p: &mut Param, v: Option<(f64, u32, u32)>| {
            if let Some((value, n, count)) = v {
                p.value = value;
                p.basis = Basis::CityStudy;
                p.source = format!("市のタイムスタディ（{n}記録、{count}件）");
            }
        };
        set(&mut self.cover_minutes, per_unit(&["cover"], &paper));
        set(&mut self.fax_minutes, per_unit(&["fax"], &paper));
        set(&mut self.mail_minutes, per_unit(&["mail"], &paper));
        set(&mut self.hand_minutes, per_unit(&["hand"], &paper));
        set(&mut self.sort_minutes_cm, per_unit(&["sort"], &paper));
        set(&mut self.sort_minutes_service, per_unit(&["sort"], &paper));
        set(
            &mut self.transcribe_minutes_cm,
            per_unit(&["transcribe"], &paper),
        );
        set(
            &mut self.transcribe_minutes_service,
            per_unit(&["transcribe"], &paper),
        );
        // Export and upload are separate taps of one send: add their per-unit minutes.
        let export = per_unit(&["link_export"], &link);
        let upload = per_unit(&["link_upload"], &link);
        let send = match (export, upload) {
            (Some(a), Some(b)) => Some((a.0 + b.0, a.1 + b.1, a.2.max(b.2))),
            (a, b) => a.or(b),
        };
        set(&mut self.link_send_minutes, send);
        set(
            &mut self.import_minutes_cm,
            per_unit(&["link_import"], &link),
        );
        set(
            &mut self.import_minutes_service,
            per_unit(&["link_import"], &link),
        );
        self
    }

    /// Minutes a sender saves per unit.
    pub fn sender_minutes(&self) -> f64 {
        self.cover_minutes.value
            + self.share_fax.value * self.fax_minutes.value
            + self.share_mail.value * self.mail_minutes.value
            + self.share_hand.value * self.hand_minutes.value
            - self.link_send_minutes.value
    }

    /// Minutes a recipient of `group` saves per unit.
    pub fn recipient_minutes(&self, group: OfficeGroup) -> f64 {
        match group {
            OfficeGroup::CareManagement => {
                self.sort_minutes_cm.value + self.transcribe_minutes_cm.value
                    - self.import_minutes_cm.value
            }
            OfficeGroup::Service => {
                self.sort_minutes_service.value + self.transcribe_minutes_service.value
                    - self.import_minutes_service.value
            }
        }
    }
}

/// Savings of one office (or of the city) in one month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Saving {
    pub units_sent: u32,
    pub units_received: u32,
    /// Of those, plan units (no service month; counted in the month they were exchanged).
    pub plan_units_sent: u32,
    pub plan_units_received: u32,
    pub minutes: f64,
    pub labour_yen: f64,
    pub paper_yen: f64,
    pub postage_yen: f64,
    pub transport_yen: f64,
}

impl Saving {
    pub fn total_yen(&self) -> f64 {
        self.labour_yen + self.paper_yen + self.postage_yen + self.transport_yen
    }

    /// Adds another saving (summing offices or months).
    pub fn add(&mut self, o: &Saving) {
        self.units_sent += o.units_sent;
        self.units_received += o.units_received;
        self.plan_units_sent += o.plan_units_sent;
        self.plan_units_received += o.plan_units_received;
        self.minutes += o.minutes;
        self.labour_yen += o.labour_yen;
        self.paper_yen += o.paper_yen;
        self.postage_yen += o.postage_yen;
        self.transport_yen += o.transport_yen;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeEffect {
    pub office: OfficeNo,
    pub name: String,
    pub group: OfficeGroup,
    /// `2025-06`; [`PLAN_UNITS`] or [`UNKNOWN_MONTH`] for edges without a month.
    pub month: String,
    pub saving: Saving,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthEffect {
    pub month: String,
    pub offices: u32,
    pub saving: Saving,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectReport {
    pub assumptions: Vec<Param>,
    pub references: Vec<Param>,
    pub sender_minutes_per_unit: f64,
    pub recipient_minutes_per_unit_cm: f64,
    pub recipient_minutes_per_unit_service: f64,
    pub per_office: Vec<OfficeEffect>,
    pub per_month: Vec<MonthEffect>,
    /// Offices in the edges but not in the office master (treated as service offices).
    pub unknown_offices: Vec<OfficeNo>,
}

/// The month of edges that have none and were not said to be plan units (e.g. an edges CSV
/// without 月).
pub const UNKNOWN_MONTH: &str = "（月不明）";
/// How plan units are named where a month would be: 第1〜3表 carry no 提供年月.
pub const PLAN_UNITS: &str = "計画書（月の指定なし）";

/// Savings per office per month and per month for the city.
pub fn effect(offices: &[Office], edges: &[ExchangeEdge], params: &EffectParams) -> EffectReport {
    effect_with_plans(offices, edges, &[], params)
}

/// [`effect`] with plan units apart: `plans` are send units without a service month (計画書:
/// 第1〜3表 have no 提供年月), each edge's `month` being the month it was exchanged. They save
/// what any unit saves and are counted in that month, and also as `plan_units_*`, so a page
/// can say which part of a month's units were plans.
pub fn effect_with_plans(
    offices: &[Office],
    edges: &[ExchangeEdge],
    plans: &[ExchangeEdge],
    params: &EffectParams,
) -> EffectReport {
    let master: BTreeMap<OfficeNo, &Office> = offices.iter().map(|o| (o.number, o)).collect();
    let mut unknown = std::collections::BTreeSet::new();
    let mut group_of = |n: &OfficeNo| match master.get(n) {
        Some(o) => o.group,
        None => {
            unknown.insert(*n);
            OfficeGroup::Service
        }
    };
    let per_minute = params.hourly_labour_yen.value / 60.0;
    let send_min = params.sender_minutes();
    let mut acc: BTreeMap<(String, OfficeNo), Saving> = BTreeMap::new();
    let all = edges
        .iter()
        .map(|e| (e, false))
        .chain(plans.iter().map(|e| (e, true)));
    for (e, plan) in all.filter(|(e, _)| e.sender != e.recipient) {
        let month = e
            .month
            .clone()
            .unwrap_or_else(|| if plan { PLAN_UNITS } else { UNKNOWN_MONTH }.to_string());
        let u = f64::from(e.units);
        let s = acc.entry((month.clone(), e.sender)).or_default();
        s.units_sent += e.units;
        if plan {
            s.plan_units_sent += e.units;
        }
        s.minutes += u * send_min;
        s.labour_yen += u * send_min * per_minute;
        s.paper_yen += u * params.sheets_per_unit.value * params.yen_per_sheet.value;
        s.postage_yen += u * params.share_mail.value * params.postage_yen.value;
        s.transport_yen += u * params.share_hand.value * params.transport_yen_per_trip.value;
        group_of(&e.sender);
        let recv_min = params.recipient_minutes(group_of(&e.recipient));
        let r = acc.entry((month, e.recipient)).or_default();
        r.units_received += e.units;
        if plan {
            r.plan_units_received += e.units;
        }
        r.minutes += u * recv_min;
        r.labour_yen += u * recv_min * per_minute;
    }
    let mut per_month: BTreeMap<String, MonthEffect> = BTreeMap::new();
    let per_office: Vec<OfficeEffect> = acc
        .into_iter()
        .map(|((month, office), saving)| {
            let m = per_month
                .entry(month.clone())
                .or_insert_with(|| MonthEffect {
                    month: month.clone(),
                    offices: 0,
                    saving: Saving::default(),
                });
            m.offices += 1;
            m.saving.add(&saving);
            let o = master.get(&office);
            OfficeEffect {
                office,
                name: o.map(|o| o.name.clone()).unwrap_or_default(),
                group: o.map_or(OfficeGroup::Service, |o| o.group),
                month,
                saving,
            }
        })
        .collect();
    EffectReport {
        assumptions: params.all().into_iter().cloned().collect(),
        references: references(),
        sender_minutes_per_unit: send_min,
        recipient_minutes_per_unit_cm: params.recipient_minutes(OfficeGroup::CareManagement),
        recipient_minutes_per_unit_service: params.recipient_minutes(OfficeGroup::Service),
        per_office,
        per_month: per_month.into_values().collect(),
        unknown_offices: unknown.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adoption::tests::office;
    use crate::day::Day;
    use crate::timestudy::Subject;

    fn simple() -> EffectParams {
        let mut p = EffectParams::default();
        for (k, v) in [
            ("hourly_labour_yen", 600.0),
            ("sheets_per_unit", 2.0),
            ("yen_per_sheet", 10.0),
            ("postage_yen", 100.0),
            ("transport_yen_per_trip", 200.0),
            ("share_fax", 0.5),
            ("share_mail", 0.25),
            ("share_hand", 0.25),
            ("cover_minutes", 1.0),
            ("fax_minutes", 2.0),
            ("mail_minutes", 4.0),
            ("hand_minutes", 10.0),
            ("link_send_minutes", 0.5),
            ("sort_minutes_cm", 1.0),
            ("transcribe_minutes_cm", 3.0),
            ("import_minutes_cm", 1.0),
            ("sort_minutes_service", 1.0),
            ("transcribe_minutes_service", 2.0),
            ("import_minutes_service", 0.5),
        ] {
            p.set(k, v).unwrap();
        }
        p
    }

    /// Sender: 1 + 0.5×2 + 0.25×4 + 0.25×10 − 0.5 = 5 min/unit; paper 20, postage 25, transport
    /// 50 yen/unit. Recipient: 居宅 1 + 3 − 1 = 3, service 1 + 2 − 0.5 = 2.5 min/unit. Labour 10
    /// yen/min. A (居宅) sends 10 to B and receives 4: 50 + 12 = 62 min, 620 + 200 + 250 + 500 =
    /// 1,570 yen. B: 20 + 25 = 45 min, 450 + 80 + 100 + 200 = 830 yen. City: 107 min, 2,400 yen.
    #[test]
    fn hand_computed_effect() {
        let p = simple();
        assert_eq!(p.sender_minutes(), 5.0);
        let offices = vec![
            office("3100000001", OfficeGroup::CareManagement, ""),
            office("3100000002", OfficeGroup::Service, ""),
        ];
        let no = |s: &str| OfficeNo::parse(s).unwrap();
        let edges = vec![
            ExchangeEdge {
                month: Some("2025-06".into()),
                sender: no("3100000001"),
                recipient: no("3100000002"),
                units: 10,
            },
            ExchangeEdge {
                month: Some("2025-06".into()),
                sender: no("3100000002"),
                recipient: no("3100000001"),
                units: 4,
            },
        ];
        let r = effect(&offices, &edges, &p);
        let a = &r.per_office[0].saving;
        assert_eq!((a.units_sent, a.units_received, a.minutes), (10, 4, 62.0));
        assert_eq!(
            (a.labour_yen, a.paper_yen, a.postage_yen, a.transport_yen),
            (620.0, 200.0, 250.0, 500.0)
        );
        assert_eq!(a.total_yen(), 1570.0);
        let b = &r.per_office[1].saving;
        assert_eq!((b.minutes, b.total_yen()), (45.0, 830.0));
        assert_eq!(r.per_month.len(), 1);
        assert_eq!(
            (
                r.per_month[0].offices,
                r.per_month[0].saving.minutes,
                r.per_month[0].saving.total_yen()
            ),
            (2, 107.0, 2400.0)
        );
        assert_eq!(r.assumptions.len(), 19);
        assert!(r.assumptions.iter().all(|a| a.basis == Basis::UserSet));
        assert!(r.unknown_offices.is_empty());
    }

    /// The 居宅 sends 2 monthly units in June and 1 plan unit exchanged in June, and 1 plan in
    /// July: June counts 3 units of which 1 plan, July 1 plan, each saving what a unit saves.
    #[test]
    fn plan_units_count_in_the_month_they_were_exchanged() {
        let p = simple();
        let offices = vec![
            office("3100000001", OfficeGroup::CareManagement, ""),
            office("3100000002", OfficeGroup::Service, ""),
        ];
        let no = |s: &str| OfficeNo::parse(s).unwrap();
        let edge = |m: &str, units| ExchangeEdge {
            month: Some(m.into()),
            sender: no("3100000001"),
            recipient: no("3100000002"),
            units,
        };
        let r = effect_with_plans(
            &offices,
            &[edge("2025-06", 2)],
            &[edge("2025-06", 1), edge("2025-07", 1)],
            &p,
        );
        let months: Vec<(&str, u32, u32)> = r
            .per_month
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.saving.units_sent,
                    m.saving.plan_units_sent,
                )
            })
            .collect();
        assert_eq!(months, [("2025-06", 3, 1), ("2025-07", 1, 1)]);
        let june = &r.per_month[0].saving;
        assert_eq!(june.minutes, 3.0 * (5.0 + 2.5));
        assert_eq!(r.per_office[0].saving.plan_units_sent, 1);
        assert_eq!(r.per_office[1].saving.plan_units_received, 1);
        // A plan without a month (not from the hub) is named as a plan, an unknown edge not.
        let mut bare = edge("x", 1);
        bare.month = None;
        let r = effect_with_plans(&offices, &[bare.clone()], &[bare], &p);
        let names: Vec<&str> = r.per_month.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(names, [PLAN_UNITS, UNKNOWN_MONTH]);
    }

    #[test]
    fn defaults_are_documented_and_sane() {
        let p = EffectParams::default();
        p.check().unwrap();
        assert!((p.fax_minutes.value - 41.5 * 58.0 / 2191.0).abs() < 1e-9);
        assert_eq!(p.fax_minutes.basis, Basis::Derived);
        assert!(p.all().iter().all(|a| !a.source.is_empty()));
        // Paper beats the hub on both sides with the defaults.
        assert!(p.sender_minutes() > 0.0);
        assert!(p.recipient_minutes(OfficeGroup::CareManagement) > 0.0);
        assert!(p.recipient_minutes(OfficeGroup::Service) > 0.0);
        let mut q = p.clone();
        assert!(matches!(
            q.set("share_fax", 0.95),
            Err(EffectError::Shares(_))
        ));
        assert_eq!(q.share_fax.value, 0.8, "a refused value is not kept");
        assert!(matches!(
            q.set("nope", 1.0),
            Err(EffectError::UnknownKey(_))
        ));
        assert!(matches!(
            q.set("fax_minutes", -1.0),
            Err(EffectError::BadValue(_))
        ));
        // Two shares that only fit together: set at once, checked once.
        let mut r = p.clone();
        r.set_many(&[
            ("share_fax", 0.5, "市が設定".into()),
            ("share_mail", 0.4, "市が設定".into()),
        ])
        .unwrap();
        assert_eq!(
            (
                r.share_fax.value,
                r.share_mail.basis,
                r.share_mail.source.as_str()
            ),
            (0.5, Basis::UserSet, "市が設定")
        );
        assert!(matches!(
            r.set_many(&[
                ("share_hand", 0.2, "x".into()),
                ("fax_minutes", 1.0, "y".into())
            ]),
            Err(EffectError::Shares(_))
        ));
        assert_eq!(
            (r.share_hand.value, r.fax_minutes.value),
            (p.share_hand.value, p.fax_minutes.value),
            "a refused set changes nothing"
        );
        assert!(r.set_many(&[("nope", 1.0, String::new())]).is_err());
    }

    /// FAX before: 30 min for 20 units + 10 min for 5 → 40/25 = 1.6 min/unit. Upload after:
    /// 5 min for 25 units = 0.2, export 0.1 → send 0.3.
    #[test]
    fn city_study_replaces_defaults() {
        let d = Day::parse("2025-06-02").unwrap();
        let rec = |cat: &str, phase, minutes, count| TimeRecord {
            subject: Subject {
                person: "p".into(),
                ..Subject::default()
            },
            phase,
            day: d,
            start: 600,
            minutes,
            category: cat.into(),
            count,
            sheets: 0,
        };
        let rs = vec![
            rec("fax", Phase::Before, 30, 20),
            rec("fax", Phase::Before, 10, 5),
            rec("fax", Phase::After, 100, 1),
            rec("link_upload", Phase::After, 5, 25),
            rec("link_export", Phase::After, 5, 50),
            rec("mail", Phase::Before, 10, 0),
        ];
        let p = EffectParams::default().with_city_study(&rs);
        assert_eq!(p.fax_minutes.value, 1.6);
        assert_eq!(p.fax_minutes.basis, Basis::CityStudy);
        assert!((p.link_send_minutes.value - 0.3).abs() < 1e-12);
        assert_eq!(p.mail_minutes.basis, Basis::Derived);
    }
}
