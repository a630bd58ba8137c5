//! A synthetic city for tests, demos and the dashboard's first run: つなぐ市 in 架空県, with 10
//! 日常生活圏域 served by 8 地域包括支援センター, about 150 offices with made-up names (all
//! containing 「見本」), addresses written in the many ways real lists write them, coordinates,
//! two survey waves, an imported status list, hub exchange edges, desk-reported partners and
//! three time studies. Deterministic for a seed. No real person, office or address.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::day::Day;
use crate::exchange::{ExchangeEdge, ReportedPartner};
use crate::municipality::MunicipalityCode;
use crate::offices::{OPEN_DATA_COLUMNS, OfficeNo};
use crate::report_csv::Table;
use crate::survey::{H1_CHOICES, R1_CHOICES, Survey};

pub const PREFECTURE: &str = "架空県";
pub const CITY: &str = "つなぐ市";
pub const NEIGHBOUR: &str = "となり町";

/// One area of the city: code, name, center, towns (`Some(n)`: 1..=n 丁目; `None`: whole 町/大字).
struct AreaSpec {
    code: &'static str,
    name: &'static str,
    center: &'static str,
    towns: &'static [(&'static str, Option<u32>)],
    /// Share of offices that adopt by the second wave.
    adoption: f64,
}

const AREAS: &[AreaSpec] = &[
    AreaSpec {
        code: "01",
        name: "中央圏域",
        center: "中央地域包括支援センター",
        towns: &[("本町", Some(3)), ("栄町", None)],
        adoption: 0.55,
    },
    AreaSpec {
        code: "02",
        name: "駅前圏域",
        center: "中央地域包括支援センター",
        towns: &[("駅前", Some(2)), ("旭町", None)],
        adoption: 0.45,
    },
    AreaSpec {
        code: "03",
        name: "北圏域",
        center: "北部地域包括支援センター",
        towns: &[("北原", None), ("大字北山", None)],
        adoption: 0.30,
    },
    AreaSpec {
        code: "04",
        name: "南圏域",
        center: "南部地域包括支援センター",
        towns: &[("南台", Some(2)), ("若葉町", None)],
        adoption: 0.35,
    },
    AreaSpec {
        code: "05",
        name: "東圏域",
        center: "東部地域包括支援センター",
        towns: &[("東浜町", None), ("大字日向", None)],
        adoption: 0.20,
    },
    AreaSpec {
        code: "06",
        name: "西圏域",
        center: "西部地域包括支援センター",
        towns: &[("西野", Some(3))],
        adoption: 0.40,
    },
    AreaSpec {
        code: "07",
        name: "山手圏域",
        center: "山手地域包括支援センター",
        towns: &[("山手町", None), ("大字奥谷", None)],
        adoption: 0.15,
    },
    AreaSpec {
        code: "08",
        name: "浜圏域",
        center: "浜地域包括支援センター",
        towns: &[("浜通", Some(2)), ("汐見町", None)],
        adoption: 0.30,
    },
    AreaSpec {
        code: "09",
        name: "川沿い圏域",
        center: "川沿い地域包括支援センター",
        towns: &[("川端町", None), ("大字柳原", None)],
        adoption: 0.25,
    },
    AreaSpec {
        code: "10",
        name: "丘の上圏域",
        center: "川沿い地域包括支援センター",
        towns: &[("丘の上", Some(2)), ("緑ヶ丘", None)],
        adoption: 0.35,
    },
];

/// (open-data file code, サービスの種類, name suffix, how many offices).
const SERVICES: &[(&str, &str, &str, usize)] = &[
    ("430", "居宅介護支援", "ケアプランセンター", 40),
    ("110", "訪問介護", "ヘルパーステーション", 30),
    ("150", "通所介護", "デイサービスセンター", 25),
    ("130", "訪問看護", "訪問看護ステーション", 15),
    ("170", "福祉用具貸与", "福祉用具センター", 10),
    ("210", "短期入所生活介護", "ショートステイ", 8),
    ("780", "地域密着型通所介護", "小規模デイ", 20),
];

const NAME_WORDS: &[&str] = &[
    "あおい",
    "かえで",
    "さくら",
    "つばき",
    "ひまわり",
    "すみれ",
    "もみじ",
    "わかば",
    "こもれび",
    "せせらぎ",
    "ひだまり",
    "そよかぜ",
    "あさひ",
    "ゆうひ",
    "ほたる",
    "みなも",
    "いずみ",
    "こだま",
    "やまびこ",
    "はなみずき",
];

const CORPORATIONS: &[&str] = &[
    "社会福祉法人見本会",
    "医療法人見本会",
    "株式会社見本ケア",
    "合同会社見本ライフ",
    "特定非営利活動法人見本の家",
    "社会福祉法人架空福祉会",
];

/// Everything the sample produces, as typed data and as the files a city would have.
#[derive(Debug, Clone)]
pub struct SampleCity {
    pub municipality: MunicipalityCode,
    pub neighbour: MunicipalityCode,
    pub survey: Survey,
    pub edges: Vec<ExchangeEdge>,
    pub partners: Vec<ReportedPartner>,
    /// (relative path, bytes): open data under `opendata/`, then the city's own files.
    pub files: Vec<(String, Vec<u8>)>,
}

impl SampleCity {
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    pub fn open_data(&self) -> Vec<(&str, &[u8])> {
        self.files
            .iter()
            .filter(|(n, _)| n.starts_with("opendata/"))
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect()
    }
}

struct SampleOffice {
    number: OfficeNo,
    care_management: bool,
    area: usize,
    /// Status index per wave: 0 導入している, 1 検討中, 2 導入するつもりはない, 3 導入予定だがまだ.
    h1: [usize; 2],
}

fn table(headers: &[&str]) -> Table {
    Table::new("", headers.iter().map(|s| s.to_string()).collect())
}

fn zen(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            '-' => '－',
            c => c,
        })
        .collect()
}

fn kanji(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "〇".into(),
        1..=9 => D[n as usize].into(),
        10..=19 => format!("十{}", D[(n - 10) as usize]),
        _ => n.to_string(),
    }
}

/// An address in one of the forms real lists use, and the 町 it is in.
fn address(rng: &mut StdRng, area: &AreaSpec) -> String {
    let (town, chome) = area.towns[rng.random_range(0..area.towns.len())];
    let (ban, go) = (rng.random_range(1..40u32), rng.random_range(1..20u32));
    let form = rng.random_range(0..4);
    match chome {
        Some(max) => {
            let c = rng.random_range(1..=max);
            match form {
                0 => format!("{PREFECTURE}{CITY}{town}{c}丁目{ban}-{go}"),
                1 => format!("{PREFECTURE}{CITY}{town}{}丁目{ban}番地{go}", kanji(c)),
                2 => format!(
                    "{PREFECTURE}{CITY}{town}{}",
                    zen(&format!("{c}-{ban}-{go}"))
                ),
                _ => format!("{CITY} {town}{c}丁目{ban}番{go}号"),
            }
        }
        None => {
            let bare = town.trim_start_matches("大字");
            match form {
                0 => format!(
                    "{PREFECTURE}{CITY}{town}{ban}{}",
                    if go % 2 == 0 {
                        format!("-{go}")
                    } else {
                        String::new()
                    }
                ),
                1 => format!(
                    "{PREFECTURE}{CITY}{bare}{}番地",
                    zen(&(ban * 10 + go).to_string())
                ),
                2 => format!("{PREFECTURE}{CITY}{bare}字上の段{ban}"),
                _ => format!("{CITY}{bare}{ban}-{go}"),
            }
        }
    }
}

/// The synthetic city for `seed`.
pub fn city(seed: u64) -> SampleCity {
    let mut rng = StdRng::seed_from_u64(seed);
    // 99 is no prefecture's number, so these codes belong to no real municipality. Five ASCII
    // digits always parse.
    let municipality = MunicipalityCode::parse("99201").expect("five digits");
    let neighbour = MunicipalityCode::parse("99202").expect("five digits");

    let mut files = Vec::new();
    let mut offices: Vec<SampleOffice> = Vec::new();
    let mut od_tables: BTreeMap<&str, Table> = BTreeMap::new();
    let mut serial = 0u32;
    let area_points: Vec<(f64, f64)> = (0..AREAS.len())
        .map(|i| {
            (
                35.10 + (i / 4) as f64 * 0.025,
                134.10 + (i % 4) as f64 * 0.03,
            )
        })
        .collect();

    for &(code, service, suffix, count) in SERVICES {
        let t = od_tables
            .entry(code)
            .or_insert_with(|| table(&OPEN_DATA_COLUMNS));
        for _ in 0..count {
            serial += 1;
            // Ten ASCII digits always parse.
            let number = OfficeNo::parse(&format!("997{serial:07}")).expect("ten digits");
            let area = rng.random_range(0..AREAS.len());
            let spec = &AREAS[area];
            let word = NAME_WORDS[rng.random_range(0..NAME_WORDS.len())];
            let name = format!("見本{suffix}{word}{serial}");
            let mut addr = address(&mut rng, spec);
            // A few offices sit in a 町 the area table does not list.
            if serial.is_multiple_of(37) {
                addr = format!(
                    "{PREFECTURE}{CITY}新開地{}-{}",
                    serial % 9 + 1,
                    serial % 5 + 1
                );
            }
            // And a few leave out the 丁目 (a person should confirm the guess).
            if serial.is_multiple_of(29)
                && let Some((town, Some(_))) = spec.towns.iter().find(|t| t.1.is_some())
            {
                addr = format!("{PREFECTURE}{CITY}{town}{}", 50 + serial % 7);
            }
            let (lat, lon) = match serial % 41 {
                0 => (String::new(), String::new()),
                7 => ("0".into(), "0".into()),
                _ => {
                    let (la, lo) = area_points[area];
                    (
                        format!("{:.6}", la + rng.random_range(-0.01..0.01)),
                        format!("{:.6}", lo + rng.random_range(-0.012..0.012)),
                    )
                }
            };
            let mut row = vec![String::new(); 24];
            row[0] = municipality.six();
            row[1] = number.to_string();
            row[2] = PREFECTURE.into();
            row[3] = CITY.into();
            row[4] = name;
            row[5] = "ミホン".into();
            row[6] = service.into();
            row[7] = addr;
            row[9] = lat;
            row[10] = lon;
            row[11] = format!("000-0000-{:04}", serial);
            row[12] = format!("000-0001-{:04}", serial);
            row[14] = CORPORATIONS[rng.random_range(0..CORPORATIONS.len())].into();
            row[15] = number.to_string();
            row[16] = "月火水木金".into();
            row[18] = if matches!(code, "150" | "210" | "780") {
                rng.random_range(10..40u32).to_string()
            } else {
                "0".into()
            };
            t.rows.push(row);

            let adopt2 = rng.random_bool(spec.adoption);
            let adopt1 = adopt2 && rng.random_bool(0.7);
            let other = |rng: &mut StdRng| [1usize, 2, 3][rng.random_range(0..3)];
            let mut h1 = [
                if adopt1 { 0 } else { other(&mut rng) },
                if adopt2 { 0 } else { other(&mut rng) },
            ];
            // A couple of offices leave between the waves.
            if serial.is_multiple_of(53) {
                h1 = [0, 1];
            }
            offices.push(SampleOffice {
                number,
                care_management: code == "430",
                area,
                h1,
            });
        }
    }
    // Offices of the neighbouring town, in the same files: the municipality filter drops them.
    for i in 1..=6u32 {
        let t = od_tables
            .entry(if i % 2 == 0 { "110" } else { "430" })
            .or_insert_with(|| table(&OPEN_DATA_COLUMNS));
        let mut row = vec![String::new(); 24];
        row[0] = neighbour.six();
        row[1] = format!("997100{i:04}");
        row[2] = PREFECTURE.into();
        row[3] = NEIGHBOUR.into();
        row[4] = format!("見本となり事業所{i}");
        row[6] = if i % 2 == 0 {
            "訪問介護".into()
        } else {
            "居宅介護支援".into()
        };
        row[7] = format!("{PREFECTURE}{NEIGHBOUR}大字遠野{i}");
        row[9] = "35.2".into();
        row[10] = "134.3".into();
        row[15] = row[1].clone();
        t.rows.push(row);
    }
    for (code, t) in &od_tables {
        files.push((
            format!("opendata/jigyosho_{code}_all_20250701000000.csv"),
            t.to_excel_csv(),
        ));
    }

    // The area table, one row per 町丁目.
    let mut areas = table(&[
        "圏域コード",
        "圏域名",
        "地域包括支援センター",
        "町丁目",
        "市区町村名",
        "備考",
    ]);
    for a in AREAS {
        for (town, chome) in a.towns {
            match chome {
                Some(n) => {
                    for c in 1..=*n {
                        areas.rows.push(vec![
                            a.code.into(),
                            a.name.into(),
                            a.center.into(),
                            format!("{town}{c}丁目"),
                            CITY.into(),
                            String::new(),
                        ]);
                    }
                }
                None => areas.rows.push(vec![
                    a.code.into(),
                    a.name.into(),
                    a.center.into(),
                    (*town).into(),
                    CITY.into(),
                    String::new(),
                ]),
            }
        }
    }
    files.push(("areas.csv".into(), areas.to_excel_csv()));

    // One of the offices in 新開地 was assigned by a person.
    let mut overrides = table(&["事業所番号", "圏域コード", "メモ"]);
    overrides.rows.push(vec![
        "9970000037".into(),
        "05".into(),
        "新開地は東圏域（令和7年の区画整理）".into(),
    ]);
    files.push(("overrides.csv".into(), overrides.to_excel_csv()));

    // Survey waves: January as Excel would save it (CP932), July as a form service exports it.
    let survey = Survey::builtin("sample", "つなぐ市 ケアプランデータ連携 事業所アンケート");
    let h1_text = survey.questions[0].text.clone();
    let r1_text = survey.questions[1].text.clone();
    for (wave, (date, name)) in [
        ("2025/01/15", "answers_2025-01.csv"),
        ("2025/07/15", "answers_2025-07.csv"),
    ]
    .iter()
    .enumerate()
    {
        let mut t = if wave == 0 {
            table(&["事業所番号", "H1", "R1", "回答日"])
        } else {
            table(&[
                "タイムスタンプ",
                "事業所番号",
                &format!("H1. {h1_text}"),
                &format!("R1. {r1_text}"),
            ])
        };
        for o in &offices {
            if !rng.random_bool(0.85) {
                continue;
            }
            let h1 = H1_CHOICES[o.h1[wave]].to_string();
            let r1 = if o.h1[wave] == 0 {
                R1_CHOICES[rng.random_range(0..4)].to_string()
            } else {
                String::new()
            };
            let stamp = format!(
                "{date} {:02}:{:02}:00",
                rng.random_range(9..18),
                rng.random_range(0..60)
            );
            t.rows.push(if wave == 0 {
                vec![
                    o.number.to_string(),
                    (o.h1[wave] + 1).to_string(),
                    r1,
                    date.to_string(),
                ]
            } else {
                vec![stamp, o.number.to_string(), h1, r1]
            });
        }
        let bytes = t.to_excel_csv();
        let bytes = if wave == 0 {
            let text = String::from_utf8_lossy(&bytes[3..]).into_owned();
            encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
        } else {
            bytes
        };
        files.push((name.to_string(), bytes));
    }

    // An imported list (e.g. from the 公表 flag) for offices that did not answer in July.
    let mut list = table(&["事業所番号", "状況", "日付", "備考"]);
    for o in offices.iter().filter(|o| o.h1[1] == 0).step_by(4) {
        list.rows.push(vec![
            o.number.to_string(),
            "導入済".into(),
            "2025-03-31".into(),
            "公表システムの利用登録".into(),
        ]);
    }
    files.push(("status_list.csv".into(), list.to_excel_csv()));

    // Partners: each 居宅 works with 4–9 service offices, mostly in its own area.
    let cms: Vec<usize> = (0..offices.len())
        .filter(|&i| offices[i].care_management)
        .collect();
    let svcs: Vec<usize> = (0..offices.len())
        .filter(|&i| !offices[i].care_management)
        .collect();
    let mut pairs: Vec<(usize, usize, u32)> = Vec::new();
    for &c in &cms {
        let k = rng.random_range(4..10);
        for _ in 0..k {
            let near: Vec<usize> = svcs
                .iter()
                .copied()
                .filter(|&s| offices[s].area == offices[c].area)
                .collect();
            let pool = if !near.is_empty() && rng.random_bool(0.7) {
                near
            } else {
                svcs.clone()
            };
            if let Some(&s) = pool.choose(&mut rng)
                && !pairs.iter().any(|p| p.0 == c && p.1 == s)
            {
                pairs.push((c, s, rng.random_range(1..7)));
            }
        }
    }
    let adopted = |i: usize| offices[i].h1[1] == 0;
    let mut edges = Vec::new();
    let mut e_table = table(&["月", "送信元事業所番号", "送信先事業所番号", "件数"]);
    for month in ["2025-08", "2025-09", "2025-10"] {
        for &(c, s, clients) in &pairs {
            if adopted(c) && adopted(s) {
                let (cn, sn) = (offices[c].number, offices[s].number);
                for (from, to) in [(cn, sn), (sn, cn)] {
                    edges.push(ExchangeEdge {
                        month: Some(month.into()),
                        sender: from,
                        recipient: to,
                        units: clients,
                    });
                    e_table.rows.push(vec![
                        month.into(),
                        from.to_string(),
                        to.to_string(),
                        clients.to_string(),
                    ]);
                }
            }
        }
    }
    files.push(("edges.csv".into(), e_table.to_excel_csv()));
    let mut partners = Vec::new();
    let mut p_table = table(&["報告元事業所番号", "相手事業所番号"]);
    for &(c, s, _) in &pairs {
        for (rep, par) in [(c, s), (s, c)] {
            if adopted(rep) {
                partners.push(ReportedPartner {
                    reporter: offices[rep].number,
                    partner: offices[par].number,
                    units_per_month: None,
                });
                p_table.rows.push(vec![
                    offices[rep].number.to_string(),
                    offices[par].number.to_string(),
                ]);
            }
        }
    }
    files.push(("partners.csv".into(), p_table.to_excel_csv()));

    files.push((
        "timestudy_exchange.csv".into(),
        exchange_study(&mut rng, &offices),
    ));
    files.push(("timestudy_center.csv".into(), center_study(&mut rng)));
    files.push((
        "timestudy_care_worker.csv".into(),
        care_worker_study(&mut rng),
    ));

    SampleCity {
        municipality,
        neighbour,
        survey,
        edges,
        partners,
        files,
    }
}

fn clock(m: u32) -> String {
    format!("{}:{:02}", m / 60, m % 60)
}

/// Exchange tasks of 12 staff, one day each before (June) and after (October), with counts.
fn exchange_study(rng: &mut StdRng, offices: &[SampleOffice]) -> Vec<u8> {
    let mut t = table(&[
        "対象者ID",
        "事業所番号",
        "時期",
        "日付",
        "開始",
        "分",
        "業務",
        "件数",
        "枚数",
    ]);
    let before: &[(&str, u32, u32)] = &[
        ("cover", 20, 15),
        ("fax", 25, 15),
        ("mail", 15, 3),
        ("hand", 35, 2),
        ("sort", 20, 15),
        ("transcribe", 60, 15),
    ];
    let after: &[(&str, u32, u32)] = &[
        ("fax", 10, 6),
        ("link_export", 3, 9),
        ("link_upload", 4, 9),
        ("link_import", 5, 9),
        ("sort", 8, 6),
        ("transcribe", 25, 6),
    ];
    for p in 1..=12u32 {
        let office = offices[(p as usize * 7) % offices.len()].number.to_string();
        for (phase, date, tasks) in [("前", "2025-06-10", before), ("後", "2025-10-10", after)] {
            let mut at = 9 * 60;
            for &(task, minutes, count) in tasks {
                let m = (f64::from(minutes) * rng.random_range(0.6..1.6))
                    .round()
                    .max(1.0) as u32;
                let sheets = if matches!(task, "fax" | "mail" | "hand" | "cover") {
                    count * 3
                } else {
                    0
                };
                t.rows.push(vec![
                    format!("E{p:02}"),
                    office.clone(),
                    phase.into(),
                    date.into(),
                    clock(at),
                    m.to_string(),
                    task.into(),
                    count.to_string(),
                    sheets.to_string(),
                ]);
                at += m + 5;
            }
        }
    }
    t.to_excel_csv()
}

/// Two staff per center, two days, 8:30–17:15 in 15-minute blocks; about 60% clerical.
fn center_study(rng: &mut StdRng) -> Vec<u8> {
    let mut t = table(&["対象者ID", "センター", "日付", "開始", "終了", "業務"]);
    let centers: Vec<&str> = {
        let mut v: Vec<&str> = AREAS.iter().map(|a| a.center).collect();
        v.dedup();
        v
    };
    let weights: &[(&str, u32)] = &[
        ("1", 10),
        ("2", 5),
        ("3", 6),
        ("4", 11),
        ("5", 4),
        ("6", 20),
        ("7", 14),
        ("8", 8),
        ("9", 7),
        ("10", 6),
        ("11", 5),
    ];
    for (ci, c) in centers.iter().enumerate() {
        for s in 1..=2 {
            for date in ["2025-06-02", "2025-06-03"] {
                let mut at = 8 * 60 + 30;
                while at < 17 * 60 + 15 {
                    let task = if (12 * 60..13 * 60).contains(&at) {
                        "12"
                    } else {
                        let total: u32 = weights.iter().map(|w| w.1).sum();
                        let mut x = rng.random_range(0..total);
                        weights
                            .iter()
                            .find(|w| {
                                if x < w.1 {
                                    true
                                } else {
                                    x -= w.1;
                                    false
                                }
                            })
                            .map_or("11", |w| w.0)
                    };
                    let len = if task == "12" {
                        60
                    } else {
                        15 * rng.random_range(1..4)
                    };
                    let end = (at + len).min(17 * 60 + 15);
                    t.rows.push(vec![
                        format!("C{:02}{s}", ci + 1),
                        (*c).into(),
                        date.into(),
                        clock(at),
                        clock(end),
                        task.into(),
                    ]);
                    at = end;
                }
            }
        }
    }
    t.to_excel_csv()
}

/// Four care workers of a short-stay home: day shifts and one night shift (16:30–翌9:30).
fn care_worker_study(rng: &mut StdRng) -> Vec<u8> {
    let mut t = table(&["対象者ID", "日付", "開始", "分", "業務"]);
    let day_items = ["1", "2", "3", "4", "7", "11", "16", "19", "22"];
    let night_items = ["1", "2", "10", "11", "13", "22", "24"];
    for w in 1..=4u32 {
        let night = w == 4;
        let (start, end, items): (u32, u32, &[&str]) = if night {
            (16 * 60 + 30, 33 * 60 + 30, &night_items)
        } else {
            (8 * 60 + 30, 17 * 60 + 30, &day_items)
        };
        for date in ["2025-06-02", "2025-06-03"] {
            let mut at = start;
            while at < end {
                let len = (10 * rng.random_range(1..7)).min(end - at);
                let item = items.choose(rng).copied().unwrap_or("23");
                t.rows.push(vec![
                    format!("K{w:02}"),
                    date.into(),
                    clock(at),
                    len.to_string(),
                    item.into(),
                ]);
                at += len;
            }
        }
    }
    t.to_excel_csv()
}

/// The day each survey wave counts as, for snapshots.
pub fn wave_days() -> [Day; 2] {
    // Both are real calendar days.
    [
        Day::new(2025, 1, 31).expect("a real day"),
        Day::new(2025, 7, 31).expect("a real day"),
    ]
}
