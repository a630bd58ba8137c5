//! The office master: the MHLW 介護サービス情報公表 open data (one CSV per service type, 24 columns,
//! UTF-8 with BOM), filtered to one municipality and merged per 事業所番号.
//!
//! Strict where a mistake would shift data (the header and the column count), tolerant where the
//! data is known to be patchy (blank or zero coordinates, blank 定員, a missing BOM).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use tsunagu_standard::{OfficeId, OfficeNumber, ServiceKind};
use unicode_normalization::UnicodeNormalization;

use crate::input::{CsvTable, InputError, TextEncoding, header_key};
use crate::municipality::MunicipalityCode;

/// The 24 columns of the open data, in order.
pub const OPEN_DATA_COLUMNS: [&str; 24] = [
    "都道府県コード又は市町村コード",
    "No",
    "都道府県名",
    "市区町村名",
    "事業所名",
    "事業所名カナ",
    "サービスの種類",
    "住所",
    "方書（ビル名等）",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "利用可能曜日特記事項",
    "定員",
    "URL",
    "高齢者の方と障害者の方が同時一体的に利用できるサービス",
    "介護保険の通常の指定基準を満たしている",
    "障害福祉の通常の指定基準を満たしている",
    "備考",
];

/// 事業所番号 as the open data and the desks write it: 10 ASCII letters or digits (a few
/// numbers have a letter, e.g. `04A0700017`), stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficeNo([u8; 10]);

impl OfficeNo {
    /// Parses after NFKC (full-width digits are common in hand-made lists).
    pub fn parse(s: &str) -> Option<Self> {
        let s: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
        let b = s.as_bytes();
        if b.len() != 10 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut out = [0u8; 10];
        for (o, c) in out.iter_mut().zip(b) {
            *o = c.to_ascii_uppercase();
        }
        Some(Self(out))
    }

    /// Like [`parse`](Self::parse), but also restores leading zeros Excel dropped (`312000001`
    /// → `0312000001`). Returns whether it had to.
    pub fn parse_lenient(s: &str) -> Option<(Self, bool)> {
        if let Some(n) = Self::parse(s) {
            return Some((n, false));
        }
        let digits: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
        if (7..10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Self::parse(&format!("{digits:0>10}")).map(|n| (n, true));
        }
        None
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are stored (checked in `parse`).
        std::str::from_utf8(&self.0).unwrap_or("0000000000")
    }

    /// The exchange's `OfficeNumber`, when this number is all digits.
    pub fn office_number(&self) -> Option<OfficeNumber> {
        OfficeNumber::parse(self.as_str()).ok()
    }
}

impl From<OfficeNumber> for OfficeNo {
    fn from(n: OfficeNumber) -> Self {
        let mut out = [0u8; 10];
        out.copy_from_slice(n.as_str().as_bytes());
        Self(out)
    }
}

impl From<OfficeId> for OfficeNo {
    fn from(id: OfficeId) -> Self {
        id.number.into()
    }
}

impl fmt::Display for OfficeNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OfficeNo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OfficeNo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("事業所番号ではありません: {s}")))
    }
}

/// The two sides of the exchange, the split municipalities report rates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OfficeGroup {
    /// 居宅介護支援 (and 介護予防支援): they send 提供票 and receive 実績.
    CareManagement,
    /// Service offices: they receive 提供票 and send 実績.
    Service,
}

impl OfficeGroup {
    pub fn label(self) -> &'static str {
        match self {
            OfficeGroup::CareManagement => "居宅介護支援",
            OfficeGroup::Service => "サービス事業所",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// Great-circle distance in km (haversine), enough for "is this point in town".
    pub fn distance_km(&self, other: &LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }
}

/// One row of an open-data file, typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenDataRow {
    pub line: u64,
    pub municipality_code: String,
    pub prefecture: String,
    pub city: String,
    pub name: String,
    pub name_kana: String,
    pub service_name: String,
    pub address: String,
    pub building: String,
    pub location: Option<LatLon>,
    pub phone: String,
    pub fax: String,
    pub corporate_number: String,
    pub corporate_name: String,
    pub number: OfficeNo,
    pub capacity: Option<u32>,
    pub url: String,
}

/// One parsed open-data file.
#[derive(Debug, Clone, Serialize)]
pub struct OpenDataFile {
    pub file: String,
    pub encoding: TextEncoding,
    /// The 3-digit service code from a `jigyosho_<code>…csv` file name.
    pub file_service_code: Option<String>,
    pub rows: Vec<OpenDataRow>,
    /// Rows dropped (errors) and rows kept with a caveat (warnings).
    pub issues: Vec<InputError>,
}

/// `jigyosho_430_all_20260709180740.csv` or `jigyosho_430.csv` → `430`.
pub fn file_service_code(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let rest = base.strip_prefix("jigyosho_")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (code.len() == 3).then_some(code)
}

/// Open-data file code (3 digits) → サービス種類コード.
pub fn service_kind_from_file_code(code: &str) -> Option<ServiceKind> {
    let kind = match code {
        "110" => "11",
        "120" => "12",
        "130" => "13",
        "140" => "14",
        "150" => "15",
        // 療養通所介護 is a form of 地域密着型通所介護.
        "155" | "780" => "78",
        "160" => "16",
        "170" => "17",
        "210" => "21",
        "220" => "22",
        "230" => "23",
        "551" => "2A",
        "320" => "32",
        "331" | "332" | "334" | "335" | "336" | "337" => "33",
        "361" | "362" | "364" => "36",
        "410" => "41",
        "430" => "43",
        "510" => "51",
        "520" => "52",
        "530" => "53",
        "540" => "54",
        "550" => "55",
        "710" => "71",
        "720" => "72",
        "730" => "73",
        "760" => "76",
        "770" => "77",
        _ => return None,
    };
    ServiceKind::parse(kind).ok()
}

/// サービスの種類 as the open data names it → サービス種類コード (None when unknown).
pub fn service_kind_from_name(name: &str) -> Option<ServiceKind> {
    let name: String = name.nfkc().filter(|c| !c.is_whitespace()).collect();
    // The standard's own names first, compared after the same normalisation.
    for (code, n, _) in tsunagu_standard::codes::SERVICE_KINDS {
        let n: String = n.nfkc().collect();
        if n == name {
            return ServiceKind::parse(code).ok();
        }
    }
    let code = if name.starts_with("地域密着型特定施設入居者生活介護") {
        "36"
    } else if name.starts_with("特定施設入居者生活介護") {
        "33"
    } else if name.starts_with("短期入所療養介護") {
        if name.contains("介護医療院") {
            "2A"
        } else if name.contains("老健") || name.contains("老人保健施設") {
            "22"
        } else {
            "23"
        }
    } else if name.starts_with("地域密着型介護老人福祉施設") {
        "54"
    } else {
        match name.as_str() {
            "介護老人福祉施設" => "51",
            "介護老人保健施設" => "52",
            "介護療養型医療施設" => "53",
            "介護医療院" => "55",
            "療養通所介護" => "78",
            _ => return None,
        }
    };
    ServiceKind::parse(code).ok()
}

fn parse_coordinate(s: &str) -> Result<Option<f64>, ()> {
    let s: String = s.nfkc().collect();
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(x) if !x.is_finite() => Err(()),
        // Loaders agree that 0 means "not geocoded".
        Ok(0.0) => Ok(None),
        Ok(x) => Ok(Some(x)),
        Err(_) => Err(()),
    }
}

/// Rough bounding box of Japan; points outside are surely wrong.
fn in_japan(p: &LatLon) -> bool {
    (20.0..=46.0).contains(&p.lat) && (122.0..=154.0).contains(&p.lon)
}

/// Parses one open-data file. The header must be the 24 columns in order; a row with another
/// number of fields or without a valid 事業所番号 is dropped with an error; blank, zero or
/// impossible coordinates and a bad 定員 are kept as unknown with a warning.
pub fn parse_open_data(file: &str, bytes: &[u8]) -> Result<OpenDataFile, InputError> {
    let table = CsvTable::parse(file, bytes)?;
    if table.header.len() != OPEN_DATA_COLUMNS.len() {
        return Err(InputError::file(
            "E-INS-OD-HEADER",
            file,
            format!(
                "介護サービス情報公表システムのオープンデータは{}列ですが、見出し行は{}列です",
                OPEN_DATA_COLUMNS.len(),
                table.header.len()
            ),
        ));
    }
    for (i, (got, want)) in table.header.iter().zip(OPEN_DATA_COLUMNS).enumerate() {
        let ok = if i == 1 {
            // Some releases spell it 「NO（※システム内の固有の番号、連番）」.
            header_key(got).starts_with("no")
        } else {
            header_key(got) == header_key(want)
        };
        if !ok {
            let mut e = InputError::file(
                "E-INS-OD-HEADER",
                file,
                format!("{}列目の見出しは「{want}」のはずですが「{got}」です", i + 1),
            );
            e.column = Some(want.to_string());
            return Err(e);
        }
    }
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    for r in &table.rows {
        if r.fields.len() != OPEN_DATA_COLUMNS.len() {
            issues.push(InputError::at(
                "E-INS-OD-WIDTH",
                file,
                r.line,
                None,
                format!(
                    "列の数が{}です（{}列のはず）。この行は読み飛ばしました",
                    r.fields.len(),
                    OPEN_DATA_COLUMNS.len()
                ),
            ));
            continue;
        }
        let f = |i: usize| r.fields[i].clone();
        let number = match OfficeNo::parse(&r.fields[15]) {
            Some(n) => n,
            None => match OfficeNo::parse(&r.fields[1]) {
                Some(n) => {
                    issues.push(
                        InputError::at(
                            "E-INS-OD-NUMBER",
                            file,
                            r.line,
                            Some(OPEN_DATA_COLUMNS[15]),
                            "事業所番号が空または不正なため、No 列の値を使いました",
                        )
                        .warning(),
                    );
                    n
                }
                None => {
                    issues.push(InputError::at(
                        "E-INS-OD-NUMBER",
                        file,
                        r.line,
                        Some(OPEN_DATA_COLUMNS[15]),
                        "事業所番号は英数字10文字です。この行は読み飛ばしました",
                    ));
                    continue;
                }
            },
        };
        let location = match (
            parse_coordinate(&r.fields[9]),
            parse_coordinate(&r.fields[10]),
        ) {
            (Ok(Some(lat)), Ok(Some(lon))) => {
                let p = LatLon { lat, lon };
                if in_japan(&p) {
                    Some(p)
                } else {
                    issues.push(
                        InputError::at(
                            "E-INS-OD-GEO",
                            file,
                            r.line,
                            Some(OPEN_DATA_COLUMNS[9]),
                            "緯度・経度が日本の範囲外です。位置は不明として扱います",
                        )
                        .warning(),
                    );
                    None
                }
            }
            (Ok(None), _) | (_, Ok(None)) => {
                issues.push(
                    InputError::at(
                        "E-INS-OD-GEO",
                        file,
                        r.line,
                        Some(OPEN_DATA_COLUMNS[9]),
                        "緯度・経度が空または0です。位置は不明として扱います",
                    )
                    .warning(),
                );
                None
            }
            _ => {
                issues.push(
                    InputError::at(
                        "E-INS-OD-GEO",
                        file,
                        r.line,
                        Some(OPEN_DATA_COLUMNS[9]),
                        "緯度・経度が数値ではありません。位置は不明として扱います",
                    )
                    .warning(),
                );
                None
            }
        };
        let cap_text: String = r.fields[18].nfkc().collect();
        let capacity = if cap_text.is_empty() {
            None
        } else if let Ok(c) = cap_text.parse::<u32>() {
            Some(c)
        } else {
            issues.push(
                InputError::at(
                    "E-INS-OD-CAPACITY",
                    file,
                    r.line,
                    Some(OPEN_DATA_COLUMNS[18]),
                    "定員が整数ではありません。不明として扱います",
                )
                .warning(),
            );
            None
        };
        rows.push(OpenDataRow {
            line: r.line,
            municipality_code: f(0),
            prefecture: f(2),
            city: f(3),
            name: f(4),
            name_kana: f(5),
            service_name: f(6),
            address: f(7),
            building: f(8),
            location,
            phone: f(11),
            fax: f(12),
            corporate_number: f(13),
            corporate_name: f(14),
            number,
            capacity,
            url: f(19),
        });
    }
    Ok(OpenDataFile {
        file: file.to_string(),
        encoding: table.encoding,
        file_service_code: file_service_code(file),
        rows,
        issues,
    })
}

/// One service an office offers, as listed in one open-data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeService {
    pub name: String,
    pub kind: Option<ServiceKind>,
    pub file_code: Option<String>,
}

/// Where a piece of data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLine {
    pub file: String,
    pub line: u64,
}

/// An office (事業所番号) with everything the open data says about it. An office designated
/// for several services appears in several files; they are merged here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Office {
    pub number: OfficeNo,
    pub name: String,
    pub name_kana: String,
    pub services: Vec<OfficeService>,
    pub group: OfficeGroup,
    pub municipality_code: String,
    pub prefecture: String,
    pub city: String,
    pub address: String,
    pub building: String,
    pub location: Option<LatLon>,
    pub phone: String,
    pub fax: String,
    pub corporate_number: String,
    pub corporate_name: String,
    pub url: String,
    pub sources: Vec<SourceLine>,
}

impl Office {
    /// 「訪問介護・通所介護」
    pub fn services_label(&self) -> String {
        let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        names.join("・")
    }
}

fn group_of(services: &[OfficeService]) -> OfficeGroup {
    let plan = services.iter().any(|s| {
        s.kind.is_some_and(|k| k.is_care_management())
            || s.name.contains("居宅介護支援")
            || s.name.contains("介護予防支援")
    });
    if plan {
        OfficeGroup::CareManagement
    } else {
        OfficeGroup::Service
    }
}

/// The offices of one or more municipalities, merged from open-data files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OfficeMaster {
    pub offices: Vec<Office>,
    /// Every file's issues, plus merge notes.
    pub issues: Vec<InputError>,
}

impl OfficeMaster {
    /// Keeps the rows of `municipalities` (all rows when empty) and merges them per 事業所番号,
    /// ordered by number. The first row seen gives name and address.
    pub fn build(files: &[OpenDataFile], municipalities: &[MunicipalityCode]) -> Self {
        let mut by_number: BTreeMap<OfficeNo, Office> = BTreeMap::new();
        let mut issues = Vec::new();
        for file in files {
            issues.extend(file.issues.iter().cloned());
            for row in &file.rows {
                if !municipalities.is_empty()
                    && !municipalities
                        .iter()
                        .any(|m| m.matches(&row.municipality_code))
                {
                    continue;
                }
                // The row's own サービスの種類 first: loaders' code tables disagree.
                let kind = service_kind_from_name(&row.service_name).or_else(|| {
                    file.file_service_code
                        .as_deref()
                        .and_then(service_kind_from_file_code)
                });
                let service = OfficeService {
                    name: row.service_name.clone(),
                    kind,
                    file_code: file.file_service_code.clone(),
                };
                let source = SourceLine {
                    file: file.file.clone(),
                    line: row.line,
                };
                match by_number.get_mut(&row.number) {
                    Some(office) => {
                        if !office.services.contains(&service) {
                            office.services.push(service);
                        }
                        office.sources.push(source);
                        if office.location.is_none() {
                            office.location = row.location;
                        }
                    }
                    None => {
                        by_number.insert(
                            row.number,
                            Office {
                                number: row.number,
                                name: row.name.clone(),
                                name_kana: row.name_kana.clone(),
                                services: vec![service],
                                group: OfficeGroup::Service,
                                municipality_code: row.municipality_code.clone(),
                                prefecture: row.prefecture.clone(),
                                city: row.city.clone(),
                                address: row.address.clone(),
                                building: row.building.clone(),
                                location: row.location,
                                phone: row.phone.clone(),
                                fax: row.fax.clone(),
                                corporate_number: row.corporate_number.clone(),
                                corporate_name: row.corporate_name.clone(),
                                url: row.url.clone(),
                                sources: vec![source],
                            },
                        );
                    }
                }
            }
        }
        let mut offices: Vec<Office> = by_number.into_values().collect();
        for o in &mut offices {
            o.group = group_of(&o.services);
        }
        Self { offices, issues }
    }

    pub fn get(&self, number: &OfficeNo) -> Option<&Office> {
        self.offices
            .binary_search_by(|o| o.number.cmp(number))
            .ok()
            .map(|i| &self.offices[i])
    }

    /// Offices whose point lies more than `max_km` from the median point of all offices: a
    /// cheap check for coordinates that fall outside the municipality.
    pub fn location_outliers(&self, max_km: f64) -> Vec<&Office> {
        let mut lats: Vec<f64> = self
            .offices
            .iter()
            .filter_map(|o| o.location.map(|p| p.lat))
            .collect();
        let mut lons: Vec<f64> = self
            .offices
            .iter()
            .filter_map(|o| o.location.map(|p| p.lon))
            .collect();
        if lats.is_empty() {
            return Vec::new();
        }
        lats.sort_by(f64::total_cmp);
        lons.sort_by(f64::total_cmp);
        let center = LatLon {
            lat: lats[lats.len() / 2],
            lon: lons[lons.len() / 2],
        };
        self.offices
            .iter()
            .filter(|o| o.location.is_some_and(|p| p.distance_km(&center) > max_km))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn header() -> String {
        OPEN_DATA_COLUMNS.join(",")
    }

    fn row(code: &str, number: &str, name: &str, service: &str, lat: &str, lon: &str) -> String {
        let mut f = vec![""; 24];
        f[0] = code;
        f[1] = number;
        f[2] = "鳥取県";
        f[3] = "米子市";
        f[4] = name;
        f[6] = service;
        f[7] = "鳥取県米子市西町1丁目2-3";
        f[9] = lat;
        f[10] = lon;
        f[15] = number;
        f[18] = "0";
        f.join(",")
    }

    #[test]
    fn office_numbers() {
        assert_eq!(
            OfficeNo::parse("３１７０１０００１１").unwrap().as_str(),
            "3170100011"
        );
        assert_eq!(
            OfficeNo::parse("04a0700017").unwrap().as_str(),
            "04A0700017"
        );
        assert!(
            OfficeNo::parse("04A0700017")
                .unwrap()
                .office_number()
                .is_none()
        );
        assert!(OfficeNo::parse("317010001").is_none());
        assert_eq!(
            OfficeNo::parse_lenient("317010001").unwrap(),
            (OfficeNo::parse("0317010001").unwrap(), true)
        );
        assert!(OfficeNo::parse_lenient("12").is_none());
    }

    #[test]
    fn parses_filters_and_merges() {
        let csv = format!(
            "\u{feff}{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n",
            header(),
            row(
                "312029",
                "3170100011",
                "見本居宅",
                "居宅介護支援",
                "35.43",
                "133.33"
            ),
            row("312029", "3170100012", "見本訪問", "訪問介護", "0", "0"),
            row(
                "312037",
                "3170200013",
                "他市の事業所",
                "訪問介護",
                "35.5",
                "133.5"
            ),
            "1,2,3",
        );
        let f = parse_open_data("jigyosho_430_all_20260709180740.csv", csv.as_bytes()).unwrap();
        assert_eq!(f.encoding, TextEncoding::Utf8Bom);
        assert_eq!(f.file_service_code.as_deref(), Some("430"));
        assert_eq!(f.rows.len(), 3);
        assert_eq!(f.issues.len(), 2, "{:?}", f.issues);
        assert!(
            f.issues
                .iter()
                .any(|e| e.code == "E-INS-OD-WIDTH" && e.line == Some(5))
        );
        assert!(
            f.issues
                .iter()
                .any(|e| e.code == "E-INS-OD-GEO" && e.line == Some(3))
        );
        assert_eq!(f.rows[1].location, None);

        let f2_csv = format!(
            "{}\n{}\n",
            header(),
            row(
                "312029",
                "3170100012",
                "見本訪問",
                "通所介護",
                "35.44",
                "133.34"
            )
        );
        let f2 = parse_open_data("jigyosho_150.csv", f2_csv.as_bytes()).unwrap();
        let m = MunicipalityCode::parse("312029").unwrap();
        let master = OfficeMaster::build(&[f, f2], &[m]);
        assert_eq!(master.offices.len(), 2);
        let cm = master.get(&OfficeNo::parse("3170100011").unwrap()).unwrap();
        assert_eq!(cm.group, OfficeGroup::CareManagement);
        assert_eq!(cm.services[0].kind, ServiceKind::parse("43").ok());
        let sv = master.get(&OfficeNo::parse("3170100012").unwrap()).unwrap();
        assert_eq!(sv.group, OfficeGroup::Service);
        assert_eq!(sv.services_label(), "訪問介護・通所介護");
        assert_eq!(sv.services[1].kind, ServiceKind::parse("15").ok());
        // The location came from the second file.
        assert!(sv.location.is_some());
    }

    #[test]
    fn header_is_strict() {
        let bad = header().replace("事業所番号", "事業所コード");
        let e = parse_open_data("x.csv", format!("{bad}\n").as_bytes()).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("事業所番号"));
        assert!(e.to_string().contains("16列目"), "{e}");
        let e = parse_open_data("x.csv", b"a,b\n").unwrap_err();
        assert_eq!(e.code, "E-INS-OD-HEADER");
        // The long spelling of No is accepted.
        let long = header().replacen(",No,", ",NO（※システム内の固有の番号、連番）,", 1);
        assert!(parse_open_data("x.csv", format!("{long}\n").as_bytes()).is_ok());
    }

    #[test]
    fn service_names_map_to_kinds() {
        let k = |s: &str| service_kind_from_name(s).map(|k| k.to_string());
        assert_eq!(k("居宅介護支援").as_deref(), Some("43"));
        assert_eq!(
            k("特定施設入居者生活介護（有料老人ホーム）").as_deref(),
            Some("33")
        );
        assert_eq!(
            k("短期入所療養介護（介護老人保健施設）").as_deref(),
            Some("22")
        );
        assert_eq!(k("介護医療院").as_deref(), Some("55"));
        assert_eq!(k("何か新しいサービス"), None);
        assert_eq!(
            service_kind_from_file_code("551")
                .map(|k| k.to_string())
                .as_deref(),
            Some("2A")
        );
    }
}
