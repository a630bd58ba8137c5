//! Synthetic users: who they are (name, birth, address, 被保険者番号, 要介護度, 認定期間), which
//! providers serve them and what each provider does in the month.

use std::collections::HashSet;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::calendar::{add_days, add_months, day_of, first_day, period_end};
use super::offices::{Office, is_preventive_kind};
use super::people::{self, Address, PersonName, Sex};
use super::schedule::{self, ProviderPlan, Row};
use crate::month::{Date, YearMonth};

/// Made-up 保険者番号 in prefecture 31 (the 9xxx range, so no real insurer's number).
const INSURERS: &[&str] = &["319001", "319002", "319003", "319004"];

/// (病名, 発症 as people write it, 治療中の内容).
pub(crate) const CONDITIONS: &[(&str, &str, &str)] = &[
    ("高血圧症", "H20年頃", "降圧剤の内服"),
    ("糖尿病", "H25年", "内服、食事療法"),
    ("変形性膝関節症", "R2年4月", "リハビリ、鎮痛剤"),
    ("脳梗塞", "H30年10月", "再発予防の内服"),
    ("骨粗しょう症", "2019/6", "内服、注射（月1回）"),
    ("心不全", "R4年", "利尿剤の内服"),
    ("腰部脊柱管狭窄症", "H12年10月", "経過観察"),
];

/// One user of care, with everything the files say about them.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// The 居宅介護支援事業所 or 地域包括支援センター making the plan.
    pub care_office: usize,
    pub manager: PersonName,
    pub insurer: &'static str,
    pub insured: String,
    pub name: PersonName,
    pub sex: Sex,
    pub birth: Date,
    pub address: Address,
    pub phone: String,
    /// 要介護状態区分 (06, 12, 13, 21–25).
    pub care_level: &'static str,
    pub previous_level: &'static str,
    pub level_changed: bool,
    /// 認定状況区分 (1 申請中, 2 認定済).
    pub cert_status: &'static str,
    pub cert_date: Date,
    pub cert_start: Date,
    pub cert_end: Date,
    /// 居宅サービス計画作成（変更）日 (予防: 計画作成(変更)日).
    pub plan_date: Date,
    pub first_plan_date: Date,
    /// An older plan, withdrawn by a 削除 file when one is sent.
    pub old_plan_date: Date,
    /// 予防 相談日.
    pub consultation_date: Date,
    pub old_consultation_date: Date,
    /// 利用票 作成年月日.
    pub schedule_created: Date,
    /// Provider offices, in office order, and what each does.
    pub providers: Vec<usize>,
    pub plans: Vec<ProviderPlan>,
    /// Every provider's rows, provider by provider.
    pub rows: Vec<Row>,
    /// 給付率: 90, 80, 70; 100 for 生保単独.
    pub benefit_rate: i64,
    pub public_assistance: bool,
    /// 前月までの短期入所利用日数.
    pub short_stay_days_before: Option<u32>,
    /// サービス種類別支給限度 (kind, limit) set by the insurer.
    pub kind_limit: Option<(&'static str, i64)>,
    /// 要支援 / 事業対象者 of a 地域包括支援センター.
    pub preventive: bool,
    /// 予防 委託先 居宅介護支援事業所.
    pub outsourced_to: Option<usize>,
    pub family: PersonName,
    pub family_relation: &'static str,
    pub has_image: bool,
    pub conditions: Vec<usize>,
}

impl User {
    /// 区分支給限度基準額 (単位).
    pub fn benefit_limit(&self) -> i64 {
        match self.care_level {
            "06" | "12" => 5032,
            "13" => 10531,
            "21" => 16765,
            "22" => 19705,
            "23" => 27048,
            "24" => 30938,
            _ => 36217,
        }
    }

    /// The name's reading as the care office's software writes it.
    pub fn kana(&self, offices: &[Office]) -> String {
        if offices[self.care_office].half_width_kana {
            self.name.kana_half()
        } else {
            self.name.kana()
        }
    }

    pub fn rows_of(&self, provider: usize) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |r| r.provider == provider)
    }
}

/// 0–4: 要介護１–５, or 要支援１ (and 事業対象者) = 0, 要支援２ = 1.
fn level_index(care_level: &str) -> usize {
    match care_level {
        "21" | "12" | "06" => 0,
        "22" | "13" => 1,
        "23" => 2,
        "24" => 3,
        _ => 4,
    }
}

/// Picks up to `n` distinct kinds by weight among those some provider has.
fn pick_kinds(
    rng: &mut StdRng,
    n: usize,
    weights: &[(&'static str, u32)],
    available: &[&str],
) -> Vec<&'static str> {
    let mut pool: Vec<(&'static str, u32)> = weights
        .iter()
        .filter(|(k, _)| available.contains(k))
        .copied()
        .collect();
    let mut out = Vec::new();
    while out.len() < n && !pool.is_empty() {
        let total: u32 = pool.iter().map(|(_, w)| w).sum();
        let mut x = rng.random_range(0..total);
        let i = pool
            .iter()
            .position(|(_, w)| {
                if x < *w {
                    true
                } else {
                    x -= w;
                    false
                }
            })
            .unwrap_or(0);
        out.push(pool.remove(i).0);
    }
    out
}

const CARE_KIND_WEIGHTS: &[(&str, u32)] = &[
    ("11", 5),
    ("15", 5),
    ("17", 5),
    ("13", 2),
    ("16", 2),
    ("21", 2),
];
const PREVENTIVE_KIND_WEIGHTS: &[(&str, u32)] = &[("A2", 4), ("A6", 4), ("67", 3), ("63", 1)];

/// The users of every care office (`per_office` each), in office order.
pub(crate) fn generate(
    rng: &mut StdRng,
    offices: &[Office],
    per_office: usize,
    month: YearMonth,
) -> Vec<User> {
    let mut insured_numbers = HashSet::new();
    let care_offices: Vec<usize> = (0..offices.len())
        .filter(|i| offices[*i].kind_str() == "43")
        .collect();
    let mut users = Vec::new();
    for (ci, office) in offices.iter().enumerate() {
        if !office.is_care_side() {
            continue;
        }
        let preventive = office.kind_str() == "46";
        let providers: Vec<usize> = (0..offices.len())
            .filter(|i| {
                let o = &offices[*i];
                !o.is_care_side() && is_preventive_kind(o.kind_str()) == preventive
            })
            .collect();
        let available: Vec<&str> = providers.iter().map(|i| offices[*i].kind_str()).collect();
        for _ in 0..per_office {
            let user = one_user(
                rng,
                offices,
                ci,
                preventive,
                &providers,
                &available,
                &care_offices,
                month,
                &mut insured_numbers,
            );
            users.push(user);
        }
    }
    users
}

#[allow(clippy::too_many_arguments)]
fn one_user(
    rng: &mut StdRng,
    offices: &[Office],
    care_office: usize,
    preventive: bool,
    providers: &[usize],
    available: &[&str],
    care_offices: &[usize],
    month: YearMonth,
    insured_numbers: &mut HashSet<String>,
) -> User {
    let sex = if rng.random_bool(0.62) {
        Sex::Female
    } else {
        Sex::Male
    };
    let name = people::elder_name(rng, sex);
    let public_assistance = rng.random_bool(0.03);
    let insured = loop {
        let n = if public_assistance {
            format!("H{:09}", rng.random_range(0..1_000_000_000u32))
        } else {
            format!("{:010}", rng.random_range(0..10_000_000_000u64))
        };
        if insured_numbers.insert(n.clone()) {
            break n;
        }
    };
    let care_level: &'static str = if preventive {
        ["12", "12", "13", "13", "06"]
            .choose(rng)
            .expect("non-empty list")
    } else {
        ["21", "21", "22", "22", "23", "24", "25"]
            .choose(rng)
            .expect("non-empty list")
    };
    let previous_level = match care_level {
        "21" => "13",
        "22" => "21",
        "23" => "22",
        "24" => "23",
        "25" => "24",
        "13" => "12",
        _ => care_level,
    };
    let level_changed = rng.random_bool(0.2);

    // The plan month lies 1–6 months back; the 認定 started up to 5 months before that, so the
    // 12-month 認定期間 always covers the service month.
    let plan_month = add_months(month, -rng.random_range(1..=6));
    let plan_date = day_of(plan_month, rng.random_range(1..=19));
    let cert_start = first_day(add_months(plan_month, -rng.random_range(0..=5)));
    let cert_end = period_end(
        cert_start,
        *[12, 12, 24, 36].choose(rng).expect("non-empty"),
    );
    let cert_date = add_days(cert_start, -rng.random_range(0..=25));
    let first_plan_date = if rng.random_bool(0.2) {
        plan_date
    } else {
        add_days(plan_date, -rng.random_range(200..=2000))
    };
    let old_plan_date = add_days(plan_date, -rng.random_range(90..=200));
    let consultation_date = add_days(plan_date, -rng.random_range(3..=20));
    let old_consultation_date = add_days(consultation_date, -rng.random_range(120..=300));
    let schedule_created = day_of(add_months(month, -1), rng.random_range(20..=24));

    let n_kinds = if rng.random_bool(0.45) { 3 } else { 2 };
    let weights = if preventive {
        PREVENTIVE_KIND_WEIGHTS
    } else {
        CARE_KIND_WEIGHTS
    };
    let kinds = pick_kinds(rng, n_kinds, weights, available);
    let mut chosen: Vec<usize> = kinds
        .iter()
        .filter_map(|k| {
            let of_kind: Vec<usize> = providers
                .iter()
                .copied()
                .filter(|p| offices[*p].kind_str() == *k)
                .collect();
            of_kind.choose(rng).copied()
        })
        .collect();
    chosen.sort_unstable();
    let level = level_index(care_level);
    let plans: Vec<ProviderPlan> = chosen
        .iter()
        .map(|p| schedule::provider_plan(rng, month, level, *p, &offices[*p]))
        .collect();
    let rows: Vec<Row> = plans.iter().flat_map(|p| p.rows.iter().cloned()).collect();
    let has_short_stay = chosen.iter().any(|p| offices[*p].kind_str() == "21");
    let benefit_rate = if public_assistance {
        100
    } else {
        *[90, 90, 90, 90, 90, 90, 90, 90, 80, 70]
            .choose(rng)
            .expect("non-empty")
    };
    let kind_limit =
        if chosen.iter().any(|p| offices[*p].kind_str() == "11") && rng.random_bool(0.08) {
            let used = schedule::units_of_kind(&rows, offices, "11");
            let limit = if rng.random_bool(0.3) {
                used * 9 / 10
            } else {
                used + rng.random_range(0..3000)
            };
            Some(("11", limit))
        } else {
            None
        };
    let (family, family_relation) = people::relative_of(rng, &name, sex);
    let mut conditions: Vec<usize> = (0..CONDITIONS.len()).collect();
    rand::seq::SliceRandom::shuffle(conditions.as_mut_slice(), rng);
    conditions.truncate(rng.random_range(1..=3));
    let outsourced_to = if preventive && rng.random_bool(0.2) {
        care_offices.choose(rng).copied()
    } else {
        None
    };
    let office = &offices[care_office];
    User {
        care_office,
        manager: *office.staff.choose(rng).expect("care offices have staff"),
        insurer: INSURERS.choose(rng).expect("non-empty"),
        insured,
        name,
        sex,
        birth: people::birth_date(rng),
        address: people::address(rng),
        phone: people::phone(rng),
        care_level,
        previous_level,
        level_changed,
        cert_status: if rng.random_bool(0.05) { "1" } else { "2" },
        cert_date,
        cert_start,
        cert_end,
        plan_date,
        first_plan_date,
        old_plan_date,
        consultation_date,
        old_consultation_date,
        schedule_created,
        providers: chosen,
        plans,
        rows,
        benefit_rate,
        public_assistance,
        short_stay_days_before: has_short_stay.then(|| rng.random_range(0..=20)),
        kind_limit,
        preventive,
        outsourced_to,
        family,
        family_relation,
        has_image: rng.random_bool(0.5),
        conditions,
    }
}
