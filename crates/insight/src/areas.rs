//! 日常生活圏域 (areas) and 地域包括支援センター (centers): the municipality's 町丁目 → 圏域 table,
//! and the assignment of every office to an area, each with the method that found it.
//!
//! # The area table (CSV, UTF-8 with or without BOM, or CP932)
//!
//! One row per 町丁目 (or 大字, or whole 町), with a header row:
//!
//! | column                 | required | meaning                                                        |
//! |------------------------|----------|----------------------------------------------------------------|
//! | 圏域コード             | yes      | the area's code, e.g. `01`                                     |
//! | 圏域名                 | yes      | the area's name, e.g. `中央圏域`                               |
//! | 地域包括支援センター   | yes      | the center serving the area (several areas may share one)      |
//! | 町丁目                 | yes      | as written in addresses: `西町`, `東町1丁目`, `大字安倍`, …     |
//! | 市区町村名             | no       | the municipality's name to strip from addresses (`米子市`)     |
//! | 備考                   | no       | free text                                                      |
//!
//! A 町 listed without 丁目 covers all its 丁目. The same 町丁目 in two areas is an error.
//!
//! # Overrides (CSV)
//!
//! `事業所番号,圏域コード[,メモ]`: a person's decision, applied before any matching.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::address::{normalize, strip_municipality, town_part};
use crate::input::{CsvTable, InputError, Severity};
use crate::offices::{Office, OfficeNo};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub center: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Center {
    pub name: String,
    /// Codes of the areas it serves, in table order.
    pub areas: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TownEntry {
    /// As written in the table, spaces removed.
    pub written: String,
    /// [`normalize`]d, municipality stripped.
    pub normalized: String,
    pub area: String,
    pub line: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AreaTable {
    pub areas: Vec<Area>,
    pub towns: Vec<TownEntry>,
    /// Municipality names to strip from addresses.
    pub cities: Vec<String>,
    pub issues: Vec<InputError>,
}

fn strip_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl AreaTable {
    /// Parses the table described in the module docs. Missing columns are fatal; bad rows are
    /// listed in `issues` (see [`has_errors`](Self::has_errors)).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, InputError> {
        let t = CsvTable::parse(file, bytes)?;
        let c_code = t.require(&["圏域コード"])?;
        let c_name = t.require(&["圏域名"])?;
        let c_center = t.require(&["地域包括支援センター", "包括", "センター"])?;
        let c_town = t.require(&["町丁目", "町名", "町丁字"])?;
        let c_city = t.column(&["市区町村名", "市町村名"]);
        let mut table = AreaTable::default();
        let mut seen: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for r in &t.rows {
            let (code, name, center, town) = (
                r.get(Some(c_code)),
                r.get(Some(c_name)),
                r.get(Some(c_center)),
                r.get(Some(c_town)),
            );
            let city = r.get(c_city);
            if !city.is_empty() && !table.cities.iter().any(|c| c == city) {
                table.cities.push(city.to_string());
            }
            for (value, col) in [
                (code, c_code),
                (name, c_name),
                (center, c_center),
                (town, c_town),
            ] {
                if value.is_empty() {
                    table.issues.push(InputError::at(
                        "E-INS-AREA-BLANK",
                        file,
                        r.line,
                        Some(t.name(col)),
                        "空欄です。この行は読み飛ばしました",
                    ));
                }
            }
            if [code, name, center, town].iter().any(|v| v.is_empty()) {
                continue;
            }
            match table.areas.iter().find(|a| a.code == code) {
                Some(a) if a.name != name || a.center != center => {
                    table.issues.push(InputError::at(
                        "E-INS-AREA-CONFLICT",
                        file,
                        r.line,
                        Some(t.name(c_name)),
                        format!(
                            "圏域コード {code} は前の行で「{}」（{}）とされています",
                            a.name, a.center
                        ),
                    ));
                    continue;
                }
                Some(_) => {}
                None => table.areas.push(Area {
                    code: code.to_string(),
                    name: name.to_string(),
                    center: center.to_string(),
                }),
            }
            let normalized = strip_municipality(&normalize(town), None, &[]).to_string();
            if let Some((other, line)) = seen.get(&normalized) {
                table.issues.push(InputError::at(
                    "E-INS-AREA-DUP",
                    file,
                    r.line,
                    Some(t.name(c_town)),
                    format!("町丁目「{town}」は{line}行目にもあります（圏域 {other}）"),
                ));
                continue;
            }
            seen.insert(normalized.clone(), (code.to_string(), r.line));
            table.towns.push(TownEntry {
                written: strip_spaces(town),
                normalized,
                area: code.to_string(),
                line: r.line,
            });
        }
        if table.towns.is_empty() {
            table.issues.push(InputError::file(
                "E-INS-AREA-EMPTY",
                file,
                "町丁目の行が1行もありません",
            ));
        }
        Ok(table)
    }

    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|e| e.severity == Severity::Error)
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    /// Centers in order of first appearance, each with its areas.
    pub fn centers(&self) -> Vec<Center> {
        let mut out: Vec<Center> = Vec::new();
        for a in &self.areas {
            match out.iter_mut().find(|c| c.name == a.center) {
                Some(c) => c.areas.push(a.code.clone()),
                None => out.push(Center {
                    name: a.center.clone(),
                    areas: vec![a.code.clone()],
                }),
            }
        }
        out
    }

    /// Finds the area of one address. `prefecture` and `city` come from the office record.
    pub fn match_address(&self, address: &str, prefecture: &str, city: &str) -> AddressMatch {
        if address.trim().is_empty() {
            return AddressMatch::none("住所が空です");
        }
        let mut cities: Vec<&str> = vec![city];
        cities.extend(self.cities.iter().map(String::as_str));
        cities.retain(|c| !c.is_empty());
        let pref = Some(prefecture).filter(|p| !p.is_empty());

        // 1. As written.
        let raw = strip_spaces(address);
        let mut raw_rest = raw.as_str();
        if let Some(p) = pref
            && let Some(r) = raw_rest.strip_prefix(&strip_spaces(p))
        {
            raw_rest = r;
        }
        for c in &cities {
            if let Some(r) = raw_rest.strip_prefix(&strip_spaces(c)) {
                raw_rest = r;
                break;
            }
        }
        if let Some(e) = self.longest(|e| starts_at_boundary(raw_rest, &e.written)) {
            return AddressMatch::found(e, MatchMethod::Exact, String::new());
        }

        // 2. Normalised.
        let rest = town_part(address, pref, &cities);
        if let Some(e) = self.longest(|e| starts_at_boundary(&rest, &e.normalized)) {
            return AddressMatch::found(e, MatchMethod::Normalized, String::new());
        }

        // 3. 「西町1-2-3」: the first number is the 丁目 when the table lists 丁目 for 西町.
        let chome_bases = self.chome_bases();
        for (base, entries) in &chome_bases {
            if let Some(after) = rest.strip_prefix(base.as_str()) {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                if !digits.is_empty()
                    && after[digits.len()..].starts_with('-')
                    && let Ok(n) = digits.parse::<u32>()
                    && let Some(e) = entries.iter().find(|(k, _)| *k == n).map(|(_, e)| *e)
                {
                    return AddressMatch::found(
                        e,
                        MatchMethod::Normalized,
                        format!("「{base}{n}-」を{n}丁目と読みました"),
                    );
                }
            }
        }

        // 4. A 町 written without 丁目 whose 丁目 all lie in one area.
        for (base, entries) in &chome_bases {
            if starts_at_boundary(&rest, base) {
                let areas: BTreeSet<&str> = entries.iter().map(|(_, e)| e.area.as_str()).collect();
                if areas.len() == 1 {
                    let e = entries[0].1;
                    return AddressMatch {
                        area: Some(e.area.clone()),
                        method: MatchMethod::Prefix,
                        town: Some(base.clone()),
                        detail: format!(
                            "丁目の記載がありませんが、{base}の丁目はすべて同じ圏域です"
                        ),
                    };
                }
                let list: Vec<&str> = areas.into_iter().collect();
                return AddressMatch::none(&format!(
                    "{base}の丁目が特定できません（候補の圏域: {}）",
                    list.join("、")
                ));
            }
        }

        // 5. The start of the 町 name matches (e.g. 「安倍上ノ段」 for 「安倍」): needs a person's eye.
        if let Some(e) =
            self.longest(|e| !e.normalized.is_empty() && rest.starts_with(&e.normalized))
        {
            return AddressMatch::found(
                e,
                MatchMethod::Prefix,
                format!("町名の先頭「{}」が一致しただけです", e.normalized),
            );
        }
        AddressMatch::none("該当する町丁目が表にありません")
    }

    fn longest(&self, pred: impl Fn(&TownEntry) -> bool) -> Option<&TownEntry> {
        self.towns
            .iter()
            .filter(|e| !e.normalized.is_empty() && pred(e))
            .max_by_key(|e| e.normalized.chars().count())
    }

    /// 「西町」 → [(1, 西町1丁目), (2, 西町2丁目)] for entries written with 丁目.
    fn chome_bases(&self) -> BTreeMap<String, Vec<(u32, &TownEntry)>> {
        let mut out: BTreeMap<String, Vec<(u32, &TownEntry)>> = BTreeMap::new();
        for e in &self.towns {
            if let Some(head) = e.normalized.strip_suffix("丁目") {
                let digits: String = head
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let digits: String = digits.chars().rev().collect();
                if let (Ok(n), Some(base)) =
                    (digits.parse::<u32>(), head.strip_suffix(digits.as_str()))
                    && !base.is_empty()
                {
                    out.entry(base.to_string()).or_default().push((n, e));
                }
            }
        }
        out
    }
}

/// True when `s` starts with `town` and what follows cannot be more of a town name.
fn starts_at_boundary(s: &str, town: &str) -> bool {
    if town.is_empty() {
        return false;
    }
    let Some(after) = s.strip_prefix(town) else {
        return false;
    };
    if town.ends_with("丁目") {
        return true;
    }
    match after.chars().next() {
        None => true,
        Some(c) => {
            c.is_ascii_digit()
                || c.is_ascii_punctuation()
                || "字番０１２３４５６７８９－".contains(c)
        }
    }
}

/// How an office got its area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MatchMethod {
    /// The 町丁目 as written in the table begins the address as written.
    Exact,
    /// Equal after normalisation (全角/半角, 丁目 forms, 大字, spaces), or 丁目 read from `1-2-3`.
    Normalized,
    /// A partial match a person should confirm.
    Prefix,
    /// A person's decision.
    Override,
    Unmatched,
}

impl MatchMethod {
    pub fn label(self) -> &'static str {
        match self {
            MatchMethod::Exact => "完全一致",
            MatchMethod::Normalized => "正規化して一致",
            MatchMethod::Prefix => "前方一致（要確認）",
            MatchMethod::Override => "手動指定",
            MatchMethod::Unmatched => "未割当",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressMatch {
    pub area: Option<String>,
    pub method: MatchMethod,
    /// The table's 町丁目 that matched.
    pub town: Option<String>,
    /// Why, for anything short of an exact match.
    pub detail: String,
}

impl AddressMatch {
    fn found(e: &TownEntry, method: MatchMethod, detail: String) -> Self {
        Self {
            area: Some(e.area.clone()),
            method,
            town: Some(e.written.clone()),
            detail,
        }
    }
    fn none(why: &str) -> Self {
        Self {
            area: None,
            method: MatchMethod::Unmatched,
            town: None,
            detail: why.to_string(),
        }
    }
}

/// A person's assignment of an office to an area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    pub office: OfficeNo,
    pub area: String,
    pub note: String,
}

/// Parses the overrides CSV against the area table (unknown area codes are errors).
pub fn parse_overrides(
    file: &str,
    bytes: &[u8],
    table: &AreaTable,
) -> Result<(Vec<Override>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_no = t.require(&["事業所番号"])?;
    let c_area = t.require(&["圏域コード"])?;
    let c_note = t.column(&["メモ", "備考", "理由"]);
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        let Some((office, _)) = OfficeNo::parse_lenient(r.get(Some(c_no))) else {
            issues.push(InputError::at(
                "E-INS-OVR-NUMBER",
                file,
                r.line,
                Some(t.name(c_no)),
                "事業所番号は英数字10文字です",
            ));
            continue;
        };
        let area = r.get(Some(c_area));
        if table.area(area).is_none() {
            issues.push(InputError::at(
                "E-INS-OVR-AREA",
                file,
                r.line,
                Some(t.name(c_area)),
                format!("圏域コード「{area}」は圏域の表にありません"),
            ));
            continue;
        }
        out.retain(|o: &Override| o.office != office);
        out.push(Override {
            office,
            area: area.to_string(),
            note: r.get(c_note).to_string(),
        });
    }
    Ok((out, issues))
}

/// One office's area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub office: OfficeNo,
    pub area: Option<String>,
    pub center: Option<String>,
    pub method: MatchMethod,
    pub town: Option<String>,
    pub detail: String,
}

/// Every office's area, in office order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Assignments {
    pub items: Vec<Assignment>,
}

impl Assignments {
    pub fn get(&self, office: &OfficeNo) -> Option<&Assignment> {
        self.items.iter().find(|a| &a.office == office)
    }

    pub fn area_of(&self, office: &OfficeNo) -> Option<&str> {
        self.get(office).and_then(|a| a.area.as_deref())
    }

    pub fn center_of(&self, office: &OfficeNo) -> Option<&str> {
        self.get(office).and_then(|a| a.center.as_deref())
    }

    /// Offices a person must assign.
    pub fn unmatched(&self) -> Vec<&Assignment> {
        self.items
            .iter()
            .filter(|a| a.method == MatchMethod::Unmatched)
            .collect()
    }

    /// Unmatched plus partial (prefix) matches.
    pub fn needs_review(&self) -> Vec<&Assignment> {
        self.items
            .iter()
            .filter(|a| matches!(a.method, MatchMethod::Unmatched | MatchMethod::Prefix))
            .collect()
    }

    /// How many offices each method assigned.
    pub fn method_counts(&self) -> BTreeMap<MatchMethod, usize> {
        let mut m = BTreeMap::new();
        for a in &self.items {
            *m.entry(a.method).or_insert(0) += 1;
        }
        m
    }
}

/// Assigns every office: override first, then [`AreaTable::match_address`] on 住所.
pub fn assign(offices: &[Office], table: &AreaTable, overrides: &[Override]) -> Assignments {
    let items = offices
        .iter()
        .map(|o| {
            let (area, method, town, detail) = match overrides.iter().find(|v| v.office == o.number)
            {
                Some(v) => (
                    Some(v.area.clone()),
                    MatchMethod::Override,
                    None,
                    v.note.clone(),
                ),
                None => {
                    let m = table.match_address(&o.address, &o.prefecture, &o.city);
                    (m.area, m.method, m.town, m.detail)
                }
            };
            let center = area
                .as_deref()
                .and_then(|c| table.area(c))
                .map(|a| a.center.clone());
            Assignment {
                office: o.number,
                area,
                center,
                method,
                town,
                detail,
            }
        })
        .collect();
    Assignments { items }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const TABLE: &str = "圏域コード,圏域名,地域包括支援センター,町丁目,市区町村名\r\n\
        01,中央,中央包括,西町1丁目,米子市\r\n\
        01,中央,中央包括,西町2丁目,米子市\r\n\
        02,東部,東部包括,西町3丁目,米子市\r\n\
        02,東部,東部包括,東町,米子市\r\n\
        03,南部,南部包括,大字安倍,米子市\r\n\
        03,南部,南部包括,本町１丁目,米子市\r\n\
        04,北部,東部包括,北町1丁目,米子市\r\n\
        04,北部,東部包括,北町2丁目,米子市\r\n";

    fn table() -> AreaTable {
        let t = AreaTable::parse("areas.csv", TABLE.as_bytes()).unwrap();
        assert!(!t.has_errors(), "{:?}", t.issues);
        t
    }

    #[test]
    fn parses_table_and_centers() {
        let t = table();
        assert_eq!(t.areas.len(), 4);
        assert_eq!(t.towns.len(), 8);
        assert_eq!(t.towns[4].normalized, "安倍");
        let centers = t.centers();
        assert_eq!(centers.len(), 3);
        assert_eq!(centers[1].name, "東部包括");
        assert_eq!(centers[1].areas, vec!["02", "04"]);
    }

    #[test]
    fn table_errors_are_reported() {
        let csv = "圏域コード,圏域名,地域包括支援センター,町丁目\n01,中央,中央包括,西町\n02,東部,東部包括,西町\n01,別名,中央包括,東町\n03,南部,,南町\n";
        let t = AreaTable::parse("a.csv", csv.as_bytes()).unwrap();
        let codes: Vec<&str> = t.issues.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["E-INS-AREA-DUP", "E-INS-AREA-CONFLICT", "E-INS-AREA-BLANK"]
        );
        assert_eq!(t.issues[0].line, Some(3));
        assert!(t.has_errors());
        assert!(AreaTable::parse("a.csv", "圏域コード,圏域名\n".as_bytes()).is_err());
    }

    /// One address per method, with the area each must get.
    #[test]
    fn matching_with_each_method() {
        let t = table();
        let m = |a: &str| {
            let r = t.match_address(a, "鳥取県", "米子市");
            (r.area.unwrap_or_default(), r.method)
        };
        use MatchMethod::*;
        assert_eq!(m("鳥取県米子市西町1丁目2-3"), ("01".into(), Exact));
        assert_eq!(m("米子市東町123"), ("02".into(), Exact));
        assert_eq!(m("鳥取県米子市西町一丁目2番地3"), ("01".into(), Normalized));
        assert_eq!(m("米子市 西町３丁目５"), ("02".into(), Normalized));
        assert_eq!(m("米子市西町２－４－１"), ("01".into(), Normalized));
        assert_eq!(m("米子市安倍字上ノ段10"), ("03".into(), Normalized));
        assert_eq!(m("米子市大字安倍10"), ("03".into(), Exact));
        assert_eq!(m("米子市本町1丁目1"), ("03".into(), Normalized));
        // 北町 has 丁目 only in area 04.
        assert_eq!(m("米子市北町55"), ("04".into(), Prefix));
        // 東町 is listed whole; 東町北 is not in the table.
        assert_eq!(m("米子市東町北5"), ("02".into(), Prefix));
        // 西町 without 丁目 spans areas 01 and 02.
        let r = t.match_address("米子市西町99", "鳥取県", "米子市");
        assert_eq!(r.method, Unmatched);
        assert!(r.detail.contains("01、02"), "{}", r.detail);
        assert_eq!(m("米子市南町1-1"), (String::new(), Unmatched));
        assert_eq!(m(""), (String::new(), Unmatched));
    }

    #[test]
    fn overrides_win_and_are_checked() {
        let t = table();
        let (ovr, issues) = parse_overrides(
            "o.csv",
            "事業所番号,圏域コード,メモ\n3170100011,04,窓口は北町\n3170100012,99,\nabc,01,\n"
                .as_bytes(),
            &t,
        )
        .unwrap();
        assert_eq!(ovr.len(), 1);
        assert_eq!(issues.len(), 2);
        let office = |n: &str, addr: &str| Office {
            number: OfficeNo::parse(n).unwrap(),
            name: String::new(),
            name_kana: String::new(),
            services: vec![],
            group: crate::offices::OfficeGroup::Service,
            municipality_code: String::new(),
            prefecture: "鳥取県".into(),
            city: "米子市".into(),
            address: addr.into(),
            building: String::new(),
            location: None,
            phone: String::new(),
            fax: String::new(),
            corporate_number: String::new(),
            corporate_name: String::new(),
            url: String::new(),
            sources: vec![],
        };
        let offices = [
            office("3170100011", "米子市西町1丁目1"),
            office("3170100013", "米子市南町1"),
        ];
        let a = assign(&offices, &t, &ovr);
        assert_eq!(a.items[0].method, MatchMethod::Override);
        assert_eq!(a.items[0].area.as_deref(), Some("04"));
        assert_eq!(a.items[0].center.as_deref(), Some("東部包括"));
        assert_eq!(a.unmatched().len(), 1);
        assert_eq!(a.unmatched()[0].office.as_str(), "3170100013");
    }
}
