//! Synthetic offices: a mix of 居宅介護支援事業所 (43), 地域包括支援センター (46) and service
//! offices, all in prefecture 31 (鳥取) with made-up 事業所番号 and names.

use std::collections::{HashMap, HashSet};

use rand::Rng;
use rand::rngs::StdRng;

use super::people::{self, Address, PersonName};
use crate::office::{OfficeNumber, ServiceKind};

const NAME_HEADS: &[&str] = &[
    "つなぐ",
    "ひだまり",
    "さくら",
    "みらい",
    "あおぞら",
    "やまびこ",
    "なごみ",
    "こもれび",
    "はまなす",
    "すずらん",
    "わかば",
    "いずみ",
    "ふれあい",
];

/// Service kinds of the provider offices, in the order they are handed out (the first kinds
/// cover the usual plans; 予防 kinds come early enough for a center to have partners).
const PROVIDER_KINDS_V4: &[&str] = &[
    "11", "15", "17", "A2", "13", "A6", "21", "67", "16", "11", "15", "17", "63", "A2", "A6",
];
const PROVIDER_KINDS_V3: &[&str] = &["11", "15", "17", "13", "21", "16", "11", "15", "17"];

/// Kinds that serve 要支援 / 事業対象者 users.
pub(crate) fn is_preventive_kind(kind: &str) -> bool {
    matches!(kind, "A2" | "A6" | "67" | "63")
}

fn suffix(kind: &str) -> (&'static str, &'static str) {
    // (before the head, after the head)
    match kind {
        "43" => ("", "居宅介護支援事業所"),
        "46" => ("", "地域包括支援センター"),
        "11" => ("", "訪問介護ステーション"),
        "13" => ("", "訪問看護ステーション"),
        "15" => ("", "デイサービスセンター"),
        "16" => ("", "デイケアセンター"),
        "17" => ("㈱", "福祉用具レンタルセンター"),
        "21" => ("", "ショートステイ"),
        "A2" => ("", "ヘルパーステーション（総合事業）"),
        "A6" => ("", "デイサービス（総合事業）"),
        "67" => ("㈱", "介護予防福祉用具センター"),
        "63" => ("", "訪問看護ステーション（予防）"),
        _ => ("", "事業所"),
    }
}

/// One synthetic office.
#[derive(Debug, Clone)]
pub(crate) struct Office {
    pub number: OfficeNumber,
    pub kind: ServiceKind,
    pub name: String,
    pub address: Address,
    pub phone: String,
    /// 割引後率 (%) when the office discounts its units.
    pub discount_rate: Option<u32>,
    /// The office has a satellite; some of its lines carry サテライト枝番 1.
    pub satellite: bool,
    /// The office's software writes フリガナ in half-width kana.
    pub half_width_kana: bool,
    /// Care managers or center staff (care side), service managers (providers).
    pub staff: Vec<PersonName>,
}

impl Office {
    pub fn kind_str(&self) -> &str {
        self.kind.as_str()
    }

    pub fn is_care_side(&self) -> bool {
        self.kind.is_care_management()
    }
}

/// How many offices of each role a sample of `n` offices has.
pub(crate) struct Mix {
    pub care: usize,
    pub centers: usize,
    pub providers: usize,
}

pub(crate) fn mix(n: usize, preventive: bool) -> Mix {
    let care = (n / 4).max(1);
    let rest = n.saturating_sub(care);
    // A center needs 予防 partners: the fourth provider kind is the first 予防 kind (A2).
    let centers = if preventive && rest >= 5 {
        (n / 12).max(1)
    } else {
        0
    };
    Mix {
        care,
        centers,
        providers: rest - centers,
    }
}

/// `n` offices (at least 2): care offices first, then centers, then providers.
pub(crate) fn generate(rng: &mut StdRng, n: usize, preventive: bool) -> Vec<Office> {
    let m = mix(n, preventive);
    let provider_kinds = if preventive {
        PROVIDER_KINDS_V4
    } else {
        PROVIDER_KINDS_V3
    };
    let mut kinds: Vec<&str> = Vec::with_capacity(n);
    kinds.extend(std::iter::repeat_n("43", m.care));
    kinds.extend(std::iter::repeat_n("46", m.centers));
    kinds.extend((0..m.providers).map(|i| provider_kinds[i % provider_kinds.len()]));

    let mut numbers = HashSet::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    for (i, kind) in kinds.into_iter().enumerate() {
        let number = loop {
            let candidate = format!("317{:07}", rng.random_range(0..10_000_000u32));
            if numbers.insert(candidate.clone()) {
                break candidate;
            }
        };
        let (before, after) = suffix(kind);
        let head = NAME_HEADS[(i * 5 + usize::from(kind.as_bytes()[1])) % NAME_HEADS.len()];
        let mut name = format!("{before}{head}{after}");
        let seen = names.entry(name.clone()).or_default();
        *seen += 1;
        if *seen > 1 {
            name = format!("{before}{head}第{}{after}", kanji_number(*seen));
        }
        let care_side = matches!(kind, "43" | "46");
        let staff_count = if care_side {
            rng.random_range(2..=4)
        } else {
            1
        };
        let staff = (0..staff_count)
            .map(|_| people::younger_name(rng))
            .collect();
        out.push(Office {
            // 10 ASCII digits by construction; the kinds are 2-character constants.
            number: OfficeNumber::parse(&number).expect("10 digits"),
            kind: ServiceKind::parse(kind).expect("2 alphanumerics"),
            name,
            address: people::address(rng),
            phone: people::phone(rng),
            discount_rate: (matches!(kind, "11" | "15") && rng.random_bool(0.15)).then_some(95),
            satellite: kind == "11" && rng.random_bool(0.3),
            half_width_kana: rng.random_bool(0.25),
            staff,
        });
    }
    out
}

fn kanji_number(n: usize) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "七", "八", "九"]
        .get(n.saturating_sub(1))
        .copied()
        .unwrap_or("十")
}
