//! Synthetic people and places: names composed from lists of common surnames and given names,
//! made-up 町名, phone numbers and birth dates. Nothing here is a real person's data.
//!
//! A few surnames use NEC/IBM extension characters (髙, 﨑) and some addresses ①, so the CP932
//! extension paths are exercised; [`half_width_kana`] gives the ﾌﾘｶﾞﾅ some vendors write.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use crate::month::{Date, days_in_month};

/// Common surnames with readings; the last entries use extension characters.
const SURNAMES: &[(&str, &str)] = &[
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("清水", "シミズ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("足立", "アダチ"),
    ("福田", "フクダ"),
    ("松田", "マツダ"),
    ("遠藤", "エンドウ"),
    ("門脇", "カドワキ"),
    ("浜田", "ハマダ"),
    ("谷口", "タニグチ"),
    ("西村", "ニシムラ"),
    ("竹内", "タケウチ"),
    ("安田", "ヤスダ"),
    ("岩本", "イワモト"),
    ("藤原", "フジワラ"),
    ("上田", "ウエダ"),
    ("小谷", "コタニ"),
    ("角田", "スミダ"),
    ("髙橋", "タカハシ"),
    ("山﨑", "ヤマサキ"),
    ("髙田", "タカダ"),
    ("宮﨑", "ミヤザキ"),
];

const GIVEN_FEMALE: &[(&str, &str)] = &[
    ("花子", "ハナコ"),
    ("和子", "カズコ"),
    ("幸子", "サチコ"),
    ("節子", "セツコ"),
    ("洋子", "ヨウコ"),
    ("美代子", "ミヨコ"),
    ("久子", "ヒサコ"),
    ("千代", "チヨ"),
    ("文子", "フミコ"),
    ("静江", "シズエ"),
    ("正子", "マサコ"),
    ("君子", "キミコ"),
    ("トミ", "トミ"),
    ("ハル", "ハル"),
    ("良子", "ヨシコ"),
    ("房江", "フサエ"),
    ("弘子", "ヒロコ"),
    ("恵美子", "エミコ"),
];

const GIVEN_MALE: &[(&str, &str)] = &[
    ("一郎", "イチロウ"),
    ("正雄", "マサオ"),
    ("清", "キヨシ"),
    ("茂", "シゲル"),
    ("勇", "イサム"),
    ("博", "ヒロシ"),
    ("実", "ミノル"),
    ("武", "タケシ"),
    ("進", "ススム"),
    ("三郎", "サブロウ"),
    ("昭", "アキラ"),
    ("修", "オサム"),
    ("義男", "ヨシオ"),
    ("和夫", "カズオ"),
    ("幸雄", "ユキオ"),
    ("健二", "ケンジ"),
    ("勝", "マサル"),
    ("忠", "タダシ"),
];

/// Given names of working-age staff and family members.
const YOUNGER_FEMALE: &[(&str, &str)] = &[
    ("美香", "ミカ"),
    ("直美", "ナオミ"),
    ("裕子", "ユウコ"),
    ("真由美", "マユミ"),
    ("恵", "メグミ"),
    ("由紀", "ユキ"),
    ("智子", "トモコ"),
    ("久美子", "クミコ"),
];
const YOUNGER_MALE: &[(&str, &str)] = &[
    ("健一", "ケンイチ"),
    ("誠", "マコト"),
    ("大輔", "ダイスケ"),
    ("浩二", "コウジ"),
    ("亮", "リョウ"),
    ("隆", "タカシ"),
    ("聡", "サトシ"),
];

/// Fictional municipalities and 町名 parts.
const CITIES: &[&str] = &["つなぐ市", "みなと町", "ひかり町", "あさひ村"];
const TOWN_HEADS: &[&str] = &[
    "桜", "若葉", "緑", "旭", "東", "西", "南", "北", "中", "本", "新", "上", "下", "松", "梅",
];
const TOWN_TAILS: &[&str] = &["ヶ丘", "台", "町", "通り", "が浜", "野", "原", "ノ木"];
const CHOME: &[&str] = &["一", "二", "三", "四", "五"];
const BUILDINGS: &[&str] = &[
    "つなぐ団地①棟",
    "コーポ桜",
    "ハイツ若葉",
    "メゾン旭",
    "県営みなと団地②棟",
];

/// A person's name, kanji and reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonName {
    pub family: &'static str,
    pub family_kana: &'static str,
    pub given: &'static str,
    pub given_kana: &'static str,
}

impl PersonName {
    /// 「山田　花子」 (full-width space, as most care software writes it).
    pub fn kanji(&self) -> String {
        format!("{}　{}", self.family, self.given)
    }

    /// 「ヤマダ　ハナコ」.
    pub fn kana(&self) -> String {
        format!("{}　{}", self.family_kana, self.given_kana)
    }

    /// 「ﾔﾏﾀﾞ ﾊﾅｺ」.
    pub fn kana_half(&self) -> String {
        half_width_kana(&format!("{} {}", self.family_kana, self.given_kana))
    }
}

/// Sex code of the standard: 1 男性, 2 女性.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }
}

/// An elderly person's name (the users of care).
pub(crate) fn elder_name(rng: &mut StdRng, sex: Sex) -> PersonName {
    let given = match sex {
        Sex::Male => GIVEN_MALE,
        Sex::Female => GIVEN_FEMALE,
    };
    compose(rng, given)
}

/// A working-age person's name (staff, doctors).
pub(crate) fn younger_name(rng: &mut StdRng) -> PersonName {
    if rng.random_bool(0.6) {
        compose(rng, YOUNGER_FEMALE)
    } else {
        compose(rng, YOUNGER_MALE)
    }
}

/// The user's key family member and the relation (続柄): same surname, a name that fits.
pub(crate) fn relative_of(
    rng: &mut StdRng,
    user: &PersonName,
    user_sex: Sex,
) -> (PersonName, &'static str) {
    // (続柄, female, of the user's generation)
    let options: &[(&str, bool, bool)] = match user_sex {
        Sex::Female => &[
            ("長女", true, false),
            ("次女", true, false),
            ("長男", false, false),
            ("長男の妻", true, false),
            ("夫", false, true),
        ],
        Sex::Male => &[
            ("妻", true, true),
            ("長女", true, false),
            ("長男", false, false),
            ("次男", false, false),
        ],
    };
    let (relation, female, elder) = pick(rng, options);
    let given = match (female, elder) {
        (true, true) => GIVEN_FEMALE,
        (false, true) => GIVEN_MALE,
        (true, false) => YOUNGER_FEMALE,
        (false, false) => YOUNGER_MALE,
    };
    let (given, given_kana) = pick(rng, given);
    (
        PersonName {
            given,
            given_kana,
            ..*user
        },
        relation,
    )
}

fn compose(rng: &mut StdRng, given: &[(&'static str, &'static str)]) -> PersonName {
    let (family, family_kana) = pick(rng, SURNAMES);
    let (given, given_kana) = pick(rng, given);
    PersonName {
        family,
        family_kana,
        given,
        given_kana,
    }
}

fn pick<T: Copy>(rng: &mut StdRng, list: &[T]) -> T {
    // The lists are non-empty constants.
    *list.choose(rng).expect("non-empty list")
}

/// A made-up address in 鳥取県 (prefecture 31, matching the office numbers).
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub postal_code: String,
    pub line1: String,
    pub line2: String,
}

impl Address {
    /// Both lines as one field (予防 files have a single 住所).
    pub fn one_line(&self) -> String {
        if self.line2.is_empty() {
            self.line1.clone()
        } else {
            format!("{}　{}", self.line1, self.line2)
        }
    }
}

pub(crate) fn address(rng: &mut StdRng) -> Address {
    let line1 = format!(
        "鳥取県{}{}{}{}丁目{}番{}号",
        pick(rng, CITIES),
        pick(rng, TOWN_HEADS),
        pick(rng, TOWN_TAILS),
        pick(rng, CHOME),
        rng.random_range(1..=30),
        rng.random_range(1..=20),
    );
    let line2 = if rng.random_bool(0.3) {
        format!(
            "{} {}0{}号室",
            pick(rng, BUILDINGS),
            rng.random_range(1..=4),
            rng.random_range(1..=8)
        )
    } else {
        String::new()
    };
    Address {
        postal_code: format!(
            "68{}-{:04}",
            rng.random_range(0..=9),
            rng.random_range(0..10_000)
        ),
        line1,
        line2,
    }
}

/// A phone number: a landline in the 0859 area, sometimes a mobile.
pub(crate) fn phone(rng: &mut StdRng) -> String {
    if rng.random_bool(0.2) {
        format!(
            "090-{:04}-{:04}",
            rng.random_range(0..10_000),
            rng.random_range(0..10_000)
        )
    } else {
        format!(
            "0859-{:02}-{:04}",
            rng.random_range(20..=99),
            rng.random_range(0..10_000)
        )
    }
}

/// A birth date of someone aged roughly 70–99 in the 2020s.
pub(crate) fn birth_date(rng: &mut StdRng) -> Date {
    let year = rng.random_range(1926..=1954);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=days_in_month(year, month));
    Date { year, month, day }
}

const FULL_KANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー";
const HALF_KANA: &str = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ";
const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
const VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
const SEMI_VOICED: &str = "パピプペポ";
const SEMI_VOICED_BASE: &str = "ハヒフヘホ";

fn half_of(c: char) -> Option<char> {
    FULL_KANA
        .chars()
        .position(|f| f == c)
        .and_then(|i| HALF_KANA.chars().nth(i))
}

/// Full-width katakana → half-width (ｶﾞ as two characters); other characters unchanged, the
/// full-width space becomes an ASCII space.
pub(crate) fn half_width_kana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(h) = half_of(c) {
            out.push(h);
        } else if let Some(i) = VOICED.chars().position(|v| v == c) {
            let base = VOICED_BASE.chars().nth(i).and_then(half_of);
            out.extend(base);
            out.push('ﾞ');
        } else if let Some(i) = SEMI_VOICED.chars().position(|v| v == c) {
            let base = SEMI_VOICED_BASE.chars().nth(i).and_then(half_of);
            out.extend(base);
            out.push('ﾟ');
        } else if c == 'ヴ' {
            out.push_str("ｳﾞ");
        } else if c == '　' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn half_width() {
        assert_eq!(half_width_kana("ヤマダ　ハナコ"), "ﾔﾏﾀﾞ ﾊﾅｺ");
        assert_eq!(half_width_kana("パピプ"), "ﾊﾟﾋﾟﾌﾟ");
        assert_eq!(half_width_kana("イチロウ"), "ｲﾁﾛｳ");
        assert_eq!(FULL_KANA.chars().count(), HALF_KANA.chars().count());
        assert_eq!(VOICED.chars().count(), VOICED_BASE.chars().count());
    }

    #[test]
    fn addresses_and_phones_have_the_standard_shape() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let a = address(&mut rng);
            assert_eq!(a.postal_code.len(), 8);
            assert!(a.line1.starts_with("鳥取県"));
            assert!(phone(&mut rng).len() <= 15);
            let b = birth_date(&mut rng);
            assert!(Date::parse(&b.to_string()).is_some());
        }
    }
}
