//! Adoption: each office's status with its source and date, dated snapshots, rates per 圏域 and
//! per office group over time, offices that left (離脱), and the outreach list per center.
//!
//! Statuses follow the city's survey question H1 (導入している / 導入予定だがまだ / 検討中 /
//! 導入するつもりはない), plus what other sources can say: 利用停止 (the hub sees no active
//! device any more, or a list says so) and 未導入 (a list says "no" without more detail).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::areas::{AreaTable, Assignments};
use crate::day::Day;
use crate::exchange::{ExchangeEdge, ReportedPartner, partner_graph};
use crate::input::{CsvTable, InputError};
use crate::offices::{Office, OfficeGroup, OfficeNo};
use crate::stats::Ratio;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AdoptionStatus {
    Adopted,
    Planned,
    Considering,
    NotPlanned,
    NotAdopted,
    Stopped,
    Unknown,
}

impl AdoptionStatus {
    pub const ALL: [AdoptionStatus; 7] = [
        AdoptionStatus::Adopted,
        AdoptionStatus::Planned,
        AdoptionStatus::Considering,
        AdoptionStatus::NotPlanned,
        AdoptionStatus::NotAdopted,
        AdoptionStatus::Stopped,
        AdoptionStatus::Unknown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AdoptionStatus::Adopted => "導入している",
            AdoptionStatus::Planned => "導入予定だがまだ",
            AdoptionStatus::Considering => "検討中",
            AdoptionStatus::NotPlanned => "導入するつもりはない",
            AdoptionStatus::NotAdopted => "未導入",
            AdoptionStatus::Stopped => "利用停止",
            AdoptionStatus::Unknown => "不明",
        }
    }

    /// Short column heads for tables.
    pub fn short(self) -> &'static str {
        match self {
            AdoptionStatus::Adopted => "導入",
            AdoptionStatus::Planned => "予定",
            AdoptionStatus::Considering => "検討中",
            AdoptionStatus::NotPlanned => "予定なし",
            AdoptionStatus::NotAdopted => "未導入",
            AdoptionStatus::Stopped => "利用停止",
            AdoptionStatus::Unknown => "不明",
        }
    }

    /// Reads a status as people write it in lists and answers.
    pub fn from_text(s: &str) -> Option<Self> {
        let t: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
        let status = match t.as_str() {
            "導入している" | "導入済" | "導入済み" | "利用中" | "利用している" | "有" | "あり"
            | "はい" | "○" | "◯" => AdoptionStatus::Adopted,
            "導入予定だがまだ" | "導入予定" | "予定" => AdoptionStatus::Planned,
            "検討中" => AdoptionStatus::Considering,
            "導入するつもりはない" | "予定なし" | "導入しない" => {
                AdoptionStatus::NotPlanned
            }
            "未導入" | "無" | "なし" | "いいえ" | "×" => AdoptionStatus::NotAdopted,
            "利用停止" | "離脱" | "中止" | "利用中止" => AdoptionStatus::Stopped,
            "不明" | "" => AdoptionStatus::Unknown,
            _ => return AdoptionStatus::ALL.into_iter().find(|a| t == a.short()),
        };
        Some(status)
    }
}

/// Where a status came from. On the same day, the hub beats an imported list beats a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StatusSource {
    Survey,
    List,
    Hub,
}

impl StatusSource {
    pub fn label(self) -> &'static str {
        match self {
            StatusSource::Survey => "アンケート",
            StatusSource::List => "取込リスト",
            StatusSource::Hub => "ハブ（有効な端末）",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusObservation {
    pub office: OfficeNo,
    pub status: AdoptionStatus,
    pub source: StatusSource,
    pub as_of: Day,
    pub note: String,
}

/// From the hub: offices with an active device are adopted; offices registered without an active
/// device any more have stopped.
pub fn hub_observations(
    as_of: Day,
    active: &[OfficeNo],
    registered: &[OfficeNo],
) -> Vec<StatusObservation> {
    let mut out: Vec<StatusObservation> = active
        .iter()
        .map(|o| StatusObservation {
            office: *o,
            status: AdoptionStatus::Adopted,
            source: StatusSource::Hub,
            as_of,
            note: String::new(),
        })
        .collect();
    for o in registered {
        if !active.contains(o) {
            out.push(StatusObservation {
                office: *o,
                status: AdoptionStatus::Stopped,
                source: StatusSource::Hub,
                as_of,
                note: "有効な端末がありません".into(),
            });
        }
    }
    out
}

/// From the hub's exchange record: both ends of a send unit have devices (the unit is sealed to
/// the recipient's devices), so each is adopted as of the end of that month. Edges without a
/// month say nothing about when.
pub fn edge_observations(edges: &[ExchangeEdge]) -> Vec<StatusObservation> {
    let mut latest: BTreeMap<OfficeNo, Day> = BTreeMap::new();
    for e in edges {
        let Some(day) = e.month.as_deref().and_then(Day::end_of_month) else {
            continue;
        };
        for o in [e.sender, e.recipient] {
            let d = latest.entry(o).or_insert(day);
            *d = (*d).max(day);
        }
    }
    latest
        .into_iter()
        .map(|(office, as_of)| StatusObservation {
            office,
            status: AdoptionStatus::Adopted,
            source: StatusSource::Hub,
            as_of,
            note: "ハブでのやりとりあり".into(),
        })
        .collect()
}

/// An imported list: `事業所番号,状況[,日付][,備考]`; rows without a date get `default_date`.
pub fn parse_status_list(
    file: &str,
    bytes: &[u8],
    default_date: Day,
) -> Result<(Vec<StatusObservation>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_no = t.require(&["事業所番号"])?;
    let c_status = t.require(&["状況", "導入状況", "利用状況"])?;
    let c_date = t.column(&["日付", "時点", "確認日"]);
    let c_note = t.column(&["備考", "メモ", "出典"]);
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        let Some((office, _)) = OfficeNo::parse_lenient(r.get(Some(c_no))) else {
            issues.push(InputError::at(
                "E-INS-NUMBER",
                file,
                r.line,
                Some(t.name(c_no)),
                "事業所番号は英数字10文字です。この行は読み飛ばしました",
            ));
            continue;
        };
        let Some(status) = AdoptionStatus::from_text(r.get(Some(c_status))) else {
            issues.push(InputError::at(
                "E-INS-STATUS",
                file,
                r.line,
                Some(t.name(c_status)),
                "状況は「導入している」「検討中」「導入予定だがまだ」「導入するつもりはない」「利用停止」などで書いてください",
            ));
            continue;
        };
        let as_of = match r.get(c_date) {
            "" => default_date,
            s => match Day::parse(s) {
                Some(d) => d,
                None => {
                    issues.push(InputError::at(
                        "E-INS-DATE",
                        file,
                        r.line,
                        c_date.map(|c| t.name(c)),
                        "日付は 2025-06-30 の形で書いてください",
                    ));
                    continue;
                }
            },
        };
        out.push(StatusObservation {
            office,
            status,
            source: StatusSource::List,
            as_of,
            note: r.get(c_note).to_string(),
        });
    }
    Ok((out, issues))
}

/// Every office's status as of one day: the latest observation on or before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub as_of: Day,
    pub statuses: BTreeMap<OfficeNo, StatusObservation>,
}

impl Snapshot {
    pub fn at(as_of: Day, observations: &[StatusObservation]) -> Self {
        let mut statuses: BTreeMap<OfficeNo, StatusObservation> = BTreeMap::new();
        for o in observations.iter().filter(|o| o.as_of <= as_of) {
            let newer = statuses
                .get(&o.office)
                .is_none_or(|cur| (o.as_of, o.source) >= (cur.as_of, cur.source));
            if newer {
                statuses.insert(o.office, o.clone());
            }
        }
        Self { as_of, statuses }
    }

    pub fn status(&self, office: &OfficeNo) -> AdoptionStatus {
        self.statuses
            .get(office)
            .map_or(AdoptionStatus::Unknown, |o| o.status)
    }

    pub fn is_adopted(&self, office: &OfficeNo) -> bool {
        self.status(office) == AdoptionStatus::Adopted
    }
}

/// One line of the per-圏域 table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdoptionRow {
    /// None for offices without an area (and for the total line, see `label`).
    pub area: Option<String>,
    pub label: String,
    pub center: String,
    pub offices: u32,
    pub counts: BTreeMap<AdoptionStatus, u32>,
    pub rate: Ratio,
    pub care_management: Ratio,
    pub service: Ratio,
    pub previous: Option<Ratio>,
    /// Change of the rate in percentage points since the previous snapshot.
    pub change_points: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdoptionReport {
    pub as_of: Day,
    pub previous_as_of: Option<Day>,
    pub rows: Vec<AdoptionRow>,
    pub total: AdoptionRow,
}

#[derive(Default)]
struct Tally {
    offices: u32,
    counts: BTreeMap<AdoptionStatus, u32>,
    cm: (u32, u32),
    sv: (u32, u32),
    prev_adopted: u32,
}

impl Tally {
    fn add(&mut self, o: &Office, snap: &Snapshot, prev: Option<&Snapshot>) {
        let s = snap.status(&o.number);
        let adopted = u32::from(s == AdoptionStatus::Adopted);
        self.offices += 1;
        *self.counts.entry(s).or_insert(0) += 1;
        let g = match o.group {
            OfficeGroup::CareManagement => &mut self.cm,
            OfficeGroup::Service => &mut self.sv,
        };
        g.0 += adopted;
        g.1 += 1;
        self.prev_adopted += u32::from(prev.is_some_and(|p| p.is_adopted(&o.number)));
    }

    fn row(
        self,
        area: Option<String>,
        label: String,
        center: String,
        has_prev: bool,
    ) -> AdoptionRow {
        let mut counts = self.counts;
        for s in AdoptionStatus::ALL {
            counts.entry(s).or_insert(0);
        }
        let adopted = counts[&AdoptionStatus::Adopted];
        let rate = Ratio::new(adopted, self.offices);
        // The denominator is today's offices: the change is in the rate of the same population.
        let previous = has_prev.then(|| Ratio::new(self.prev_adopted, self.offices));
        let change_points = previous.and_then(|p| Some(rate.percent()? - p.percent()?));
        AdoptionRow {
            area,
            label,
            center,
            offices: self.offices,
            counts,
            rate,
            care_management: Ratio::new(self.cm.0, self.cm.1),
            service: Ratio::new(self.sv.0, self.sv.1),
            previous,
            change_points,
        }
    }
}

/// The per-圏域 table: one row per area in table order, then 「圏域未設定」 if any office has no
/// area, and the total.
pub fn adoption_by_area(
    offices: &[Office],
    table: &AreaTable,
    assignments: &Assignments,
    snapshot: &Snapshot,
    previous: Option<&Snapshot>,
) -> AdoptionReport {
    let mut per_area: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for o in offices {
        let area = assignments.area_of(&o.number).map(str::to_string);
        per_area.entry(area).or_default().add(o, snapshot, previous);
        total.add(o, snapshot, previous);
    }
    let has_prev = previous.is_some();
    let mut rows = Vec::new();
    for a in &table.areas {
        let tally = per_area.remove(&Some(a.code.clone())).unwrap_or_default();
        rows.push(tally.row(
            Some(a.code.clone()),
            a.name.clone(),
            a.center.clone(),
            has_prev,
        ));
    }
    if let Some(t) = per_area.remove(&None) {
        rows.push(t.row(None, "圏域未設定".into(), String::new(), has_prev));
    }
    // Areas assigned by override but missing from the table cannot happen (overrides are
    // checked against the table); anything left is shown under its code.
    for (area, t) in per_area {
        let label = area.clone().unwrap_or_default();
        rows.push(t.row(area, label, String::new(), has_prev));
    }
    AdoptionReport {
        as_of: snapshot.as_of,
        previous_as_of: previous.map(|p| p.as_of),
        rows,
        total: total.row(None, "合計".into(), String::new(), has_prev),
    }
}

/// One point of a rate-over-time series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub as_of: Day,
    /// None: the whole municipality.
    pub area: Option<String>,
    /// None: all offices.
    pub group: Option<OfficeGroup>,
    pub rate: Ratio,
}

/// For each snapshot: the overall rate, the rate per group, and the rate per area.
pub fn adoption_trend(
    offices: &[Office],
    assignments: &Assignments,
    snapshots: &[Snapshot],
) -> Vec<TrendPoint> {
    let mut out = Vec::new();
    for s in snapshots {
        let mut overall = (0, 0);
        let mut groups: BTreeMap<OfficeGroup, (u32, u32)> = BTreeMap::new();
        let mut areas: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for o in offices {
            let a = u32::from(s.is_adopted(&o.number));
            overall.0 += a;
            overall.1 += 1;
            let g = groups.entry(o.group).or_default();
            g.0 += a;
            g.1 += 1;
            if let Some(code) = assignments.area_of(&o.number) {
                let e = areas.entry(code.to_string()).or_default();
                e.0 += a;
                e.1 += 1;
            }
        }
        out.push(TrendPoint {
            as_of: s.as_of,
            area: None,
            group: None,
            rate: Ratio::new(overall.0, overall.1),
        });
        for (g, (a, n)) in groups {
            out.push(TrendPoint {
                as_of: s.as_of,
                area: None,
                group: Some(g),
                rate: Ratio::new(a, n),
            });
        }
        for (code, (a, n)) in areas {
            out.push(TrendPoint {
                as_of: s.as_of,
                area: Some(code),
                group: None,
                rate: Ratio::new(a, n),
            });
        }
    }
    out
}

/// An office adopted in one snapshot and not in a later one (離脱).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Departure {
    pub office: OfficeNo,
    pub before: StatusObservation,
    pub after: StatusObservation,
}

pub fn departures(before: &Snapshot, after: &Snapshot) -> Vec<Departure> {
    before
        .statuses
        .values()
        .filter(|b| b.status == AdoptionStatus::Adopted)
        .filter_map(|b| {
            let a = after.statuses.get(&b.office)?;
            (a.status != AdoptionStatus::Adopted).then(|| Departure {
                office: b.office,
                before: b.clone(),
                after: a.clone(),
            })
        })
        .collect()
}

/// An office a center should visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutreachEntry {
    /// 1, 1, 3, … (ties share a rank).
    pub rank: u32,
    pub office: OfficeNo,
    pub name: String,
    pub group: OfficeGroup,
    pub area: Option<String>,
    pub status: AdoptionStatus,
    /// Distinct adopted offices that exchange with it on the hub or report it as a partner:
    /// the ranking key.
    pub adopted_partners: u32,
    /// Adopted partners exchanging with it on the hub (routing metadata), by office number.
    pub hub_adopted_partners: Vec<OfficeNo>,
    /// Send units exchanged with them on the hub.
    pub units_with_adopted: u32,
    /// Adopted offices whose desks report it as a partner. A count only: which offices
    /// reported is never part of the list.
    pub reported_by: u32,
    /// Units per month those desks counted with it, summed (0 when none counted).
    pub reported_units_per_month: u32,
    /// Every partner known from either source, adopted or not.
    pub partners: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutreachList {
    /// The center's name; 「センター未設定」 for offices without an area.
    pub center: String,
    pub entries: Vec<OutreachEntry>,
}

/// Per center, the offices not yet adopted, ranked by how many distinct adopted offices
/// exchange with them on the hub or report them as partners (then by units exchanged on the
/// hub, by units per month reported, by all partners, then by office number).
///
/// A reporter counts as adopted unless the snapshot knows it as something else (e.g. 利用停止):
/// only an office on Tsunagu can report, and the hub passes only reports of offices that still
/// have an active device — often offices of another municipality, which this snapshot does not
/// know.
pub fn outreach(
    offices: &[Office],
    table: &AreaTable,
    assignments: &Assignments,
    snapshot: &Snapshot,
    edges: &[ExchangeEdge],
    reported: &[ReportedPartner],
) -> Vec<OutreachList> {
    let graph = partner_graph(edges, &[]);
    // partner → (reporter → units per month)
    let mut reports: BTreeMap<OfficeNo, BTreeMap<OfficeNo, u32>> = BTreeMap::new();
    for r in reported {
        if r.reporter == r.partner {
            continue;
        }
        let units = reports
            .entry(r.partner)
            .or_default()
            .entry(r.reporter)
            .or_insert(0);
        *units = (*units).max(r.units_per_month.unwrap_or(0));
    }
    let reporter_adopted = |o: &OfficeNo| {
        matches!(
            snapshot.status(o),
            AdoptionStatus::Adopted | AdoptionStatus::Unknown
        )
    };
    let mut by_center: BTreeMap<String, Vec<OutreachEntry>> = BTreeMap::new();
    for o in offices {
        let status = snapshot.status(&o.number);
        if status == AdoptionStatus::Adopted {
            continue;
        }
        let on_hub = graph.get(&o.number);
        let mut hub_adopted_partners = Vec::new();
        let mut units = 0;
        for (p, u) in on_hub.into_iter().flatten() {
            if snapshot.is_adopted(p) {
                hub_adopted_partners.push(*p);
                units += u;
            }
        }
        let mut adopted: BTreeSet<OfficeNo> = hub_adopted_partners.iter().copied().collect();
        let mut all: BTreeSet<OfficeNo> = on_hub.into_iter().flatten().map(|(p, _)| *p).collect();
        let mut reported_by = 0;
        let mut reported_units = 0u32;
        for (reporter, u) in reports.get(&o.number).into_iter().flatten() {
            all.insert(*reporter);
            if reporter_adopted(reporter) {
                reported_by += 1;
                reported_units = reported_units.saturating_add(*u);
                adopted.insert(*reporter);
            }
        }
        let center = assignments
            .center_of(&o.number)
            .unwrap_or("センター未設定")
            .to_string();
        by_center.entry(center).or_default().push(OutreachEntry {
            rank: 0,
            office: o.number,
            name: o.name.clone(),
            group: o.group,
            area: assignments.area_of(&o.number).map(str::to_string),
            status,
            adopted_partners: adopted.len() as u32,
            hub_adopted_partners,
            units_with_adopted: units,
            reported_by,
            reported_units_per_month: reported_units,
            partners: all.len() as u32,
        });
    }
    let key = |e: &OutreachEntry| {
        (
            e.adopted_partners,
            e.units_with_adopted,
            e.reported_units_per_month,
            e.partners,
        )
    };
    let mut order: Vec<String> = table.centers().into_iter().map(|c| c.name).collect();
    order.extend(
        by_center
            .keys()
            .filter(|k| !order.contains(k))
            .cloned()
            .collect::<Vec<_>>(),
    );
    order
        .into_iter()
        .filter_map(|center| {
            let mut entries = by_center.remove(&center)?;
            entries.sort_by(|a, b| key(b).cmp(&key(a)).then(a.office.cmp(&b.office)));
            for i in 0..entries.len() {
                entries[i].rank = if i > 0 && key(&entries[i]) == key(&entries[i - 1]) {
                    entries[i - 1].rank
                } else {
                    i as u32 + 1
                };
            }
            Some(OutreachList { center, entries })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::areas::{AreaTable, assign};

    pub(crate) fn office(n: &str, group: OfficeGroup, addr: &str) -> Office {
        Office {
            number: OfficeNo::parse(n).unwrap(),
            name: format!("見本{n}"),
            name_kana: String::new(),
            services: vec![],
            group,
            municipality_code: "312029".into(),
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
        }
    }

    fn no(n: &str) -> OfficeNo {
        OfficeNo::parse(n).unwrap()
    }

    fn obs(n: &str, status: AdoptionStatus, source: StatusSource, day: &str) -> StatusObservation {
        StatusObservation {
            office: no(n),
            status,
            source,
            as_of: Day::parse(day).unwrap(),
            note: String::new(),
        }
    }

    const AREAS: &str = "圏域コード,圏域名,地域包括支援センター,町丁目\n01,中央,中央包括,西町\n02,東部,東部包括,東町\n";

    /// 5 offices: area 01 has 3 (1 居宅 + 2 service), area 02 has 1, one has no area.
    fn city() -> (Vec<Office>, AreaTable, Assignments) {
        use OfficeGroup::*;
        let offices = vec![
            office("3100000001", CareManagement, "米子市西町1"),
            office("3100000002", Service, "米子市西町2"),
            office("3100000003", Service, "米子市西町3"),
            office("3100000004", CareManagement, "米子市東町1"),
            office("3100000005", Service, "米子市どこか1"),
        ];
        let table = AreaTable::parse("a.csv", AREAS.as_bytes()).unwrap();
        let a = assign(&offices, &table, &[]);
        (offices, table, a)
    }

    #[test]
    fn snapshot_takes_latest_then_strongest_source() {
        use AdoptionStatus::*;
        use StatusSource::*;
        let o = vec![
            obs("3100000001", Considering, Survey, "2025-01-10"),
            obs("3100000001", Adopted, Survey, "2025-06-01"),
            obs("3100000002", Adopted, Survey, "2025-06-01"),
            obs("3100000002", Stopped, Hub, "2025-06-01"),
            obs("3100000003", Adopted, Hub, "2025-12-01"),
        ];
        let s = Snapshot::at(Day::parse("2025-06-30").unwrap(), &o);
        assert_eq!(s.status(&no("3100000001")), Adopted);
        assert_eq!(s.status(&no("3100000002")), Stopped);
        assert_eq!(s.status(&no("3100000003")), Unknown);
        let early = Snapshot::at(Day::parse("2025-03-31").unwrap(), &o);
        assert_eq!(early.status(&no("3100000001")), Considering);
    }

    /// Hand-computed: area 01 has 1 adopted of 3 = 33.3%, 居宅 1/1, service 0/2; previous
    /// snapshot 0/3, so +33.3 points. Total 2/5 = 40.0%.
    #[test]
    fn rates_per_area_and_group() {
        use AdoptionStatus::*;
        let (offices, table, a) = city();
        let o = vec![
            obs(
                "3100000001",
                Considering,
                StatusSource::Survey,
                "2025-01-10",
            ),
            obs("3100000001", Adopted, StatusSource::Survey, "2025-06-01"),
            obs("3100000002", NotPlanned, StatusSource::Survey, "2025-06-01"),
            obs("3100000004", Adopted, StatusSource::Hub, "2025-01-01"),
        ];
        let prev = Snapshot::at(Day::parse("2025-03-31").unwrap(), &o);
        let now = Snapshot::at(Day::parse("2025-06-30").unwrap(), &o);
        let r = adoption_by_area(&offices, &table, &a, &now, Some(&prev));
        assert_eq!(r.rows.len(), 3);
        let c = &r.rows[0];
        assert_eq!((c.offices, c.rate.part), (3, 1));
        assert_eq!(c.rate.percent_label(), "33.3%");
        assert_eq!(c.care_management, Ratio::new(1, 1));
        assert_eq!(c.service, Ratio::new(0, 2));
        assert_eq!(c.counts[&NotPlanned], 1);
        assert_eq!(c.counts[&Unknown], 1);
        assert_eq!(c.previous, Some(Ratio::new(0, 3)));
        assert!((c.change_points.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.rows[2].label, "圏域未設定");
        assert_eq!(r.total.rate, Ratio::new(2, 5));
        assert_eq!(r.total.rate.percent_label(), "40.0%");

        let trend = adoption_trend(&offices, &a, &[prev.clone(), now.clone()]);
        let overall: Vec<Ratio> = trend
            .iter()
            .filter(|p| p.area.is_none() && p.group.is_none())
            .map(|p| p.rate)
            .collect();
        assert_eq!(overall, vec![Ratio::new(1, 5), Ratio::new(2, 5)]);
    }

    #[test]
    fn departures_are_adopted_then_not() {
        use AdoptionStatus::*;
        let o = vec![
            obs("3100000001", Adopted, StatusSource::Survey, "2025-01-01"),
            obs("3100000002", Adopted, StatusSource::Survey, "2025-01-01"),
            obs("3100000001", Stopped, StatusSource::Hub, "2025-09-01"),
        ];
        let a = Snapshot::at(Day::parse("2025-06-30").unwrap(), &o);
        let b = Snapshot::at(Day::parse("2025-12-31").unwrap(), &o);
        let d = departures(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].office, no("3100000001"));
        assert_eq!(d[0].after.source, StatusSource::Hub);
    }

    /// Adopted: 1 and 4. Office 2 exchanges with both (2 adopted partners), office 3 with 1
    /// (reported by desk 1, 0 units), office 5 with 4 (5 units). Ranks in 中央包括: 2 → 1, 3 → 2.
    /// Office 5 has no area: its own list.
    #[test]
    fn outreach_ranking() {
        use AdoptionStatus::*;
        let (offices, table, a) = city();
        let o = vec![
            obs("3100000001", Adopted, StatusSource::Hub, "2025-06-01"),
            obs("3100000004", Adopted, StatusSource::Hub, "2025-06-01"),
        ];
        let s = Snapshot::at(Day::parse("2025-06-30").unwrap(), &o);
        let edges = vec![
            edge("3100000001", "3100000002", 4),
            edge("3100000002", "3100000004", 2),
            edge("3100000004", "3100000005", 5),
        ];
        let reported = vec![report("3100000001", "3100000003", None)];
        let lists = outreach(&offices, &table, &a, &s, &edges, &reported);
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].center, "中央包括");
        let ranks: Vec<(&str, u32, u32, u32, u32)> = lists[0]
            .entries
            .iter()
            .map(|e| {
                (
                    e.office.as_str(),
                    e.rank,
                    e.adopted_partners,
                    e.units_with_adopted,
                    e.reported_by,
                )
            })
            .collect();
        assert_eq!(
            ranks,
            vec![("3100000002", 1, 2, 6, 0), ("3100000003", 2, 1, 0, 1)]
        );
        assert_eq!(
            lists[0].entries[0].hub_adopted_partners,
            vec![no("3100000001"), no("3100000004")]
        );
        assert!(lists[0].entries[1].hub_adopted_partners.is_empty());
        assert_eq!(lists[1].center, "センター未設定");
        assert_eq!(lists[1].entries[0].units_with_adopted, 5);
    }

    fn edge(f: &str, t: &str, units: u32) -> ExchangeEdge {
        ExchangeEdge {
            month: None,
            sender: no(f),
            recipient: no(t),
            units,
        }
    }

    fn report(reporter: &str, partner: &str, units: Option<u32>) -> ReportedPartner {
        ReportedPartner {
            reporter: no(reporter),
            partner: no(partner),
            units_per_month: units,
        }
    }

    /// Partners from both sources, hand-counted. Adopted: 1 and 4 (in the city), 9100000001 and
    /// 9100000002 (another city: unknown to this snapshot, but they reported, so they are on
    /// Tsunagu); 3100000005 has stopped.
    /// - office 2: exchanges with 1 on the hub (3 units) and is reported by 1 (same office, counted
    ///   once) and by 9100000001 (2/month) → 2 adopted partners, 3 hub units, 1 hub partner,
    ///   2 reports, 2 units/month reported.
    /// - office 3: reported by 9100000001 (1/month) and 9100000002 (4/month), by the stopped 5
    ///   (not counted as adopted, but a partner) and by itself (ignored) → 2 adopted, 0 hub units,
    ///   2 reports, 5 units/month, 3 partners.
    ///
    /// Both have 2 adopted partners; 2 ranks first on hub units.
    #[test]
    fn outreach_counts_hub_and_reported_partners_once_each() {
        use AdoptionStatus::*;
        let (offices, table, a) = city();
        let o = vec![
            obs("3100000001", Adopted, StatusSource::Hub, "2025-06-01"),
            obs("3100000004", Adopted, StatusSource::Hub, "2025-06-01"),
            obs("3100000005", Stopped, StatusSource::Hub, "2025-06-01"),
        ];
        let s = Snapshot::at(Day::parse("2025-06-30").unwrap(), &o);
        let edges = vec![edge("3100000001", "3100000002", 3)];
        let reported = vec![
            report("3100000001", "3100000002", None),
            report("9100000001", "3100000002", Some(2)),
            report("9100000001", "3100000003", Some(1)),
            report("9100000002", "3100000003", Some(4)),
            report("3100000005", "3100000003", Some(7)),
            report("3100000003", "3100000003", Some(9)),
        ];
        let lists = outreach(&offices, &table, &a, &s, &edges, &reported);
        // (office, rank, adopted, hub units, reports, hub partners, reported units, partners)
        type Row<'a> = (&'a str, u32, u32, u32, u32, usize, u32, u32);
        let e: Vec<Row> = lists[0]
            .entries
            .iter()
            .map(|e| {
                (
                    e.office.as_str(),
                    e.rank,
                    e.adopted_partners,
                    e.units_with_adopted,
                    e.reported_by,
                    e.hub_adopted_partners.len(),
                    e.reported_units_per_month,
                    e.partners,
                )
            })
            .collect();
        assert_eq!(
            e,
            vec![
                ("3100000002", 1, 2, 3, 2, 1, 2, 2),
                ("3100000003", 2, 2, 0, 2, 0, 5, 3),
            ]
        );
        // Offices of no list are never reported on, however often they are named.
        assert!(
            lists
                .iter()
                .flat_map(|l| &l.entries)
                .all(|e| !e.office.as_str().starts_with("91"))
        );
    }

    #[test]
    fn outreach_ties_share_a_rank() {
        let (offices, table, a) = city();
        let s = Snapshot::at(Day::parse("2025-06-30").unwrap(), &[]);
        let lists = outreach(&offices, &table, &a, &s, &[], &[]);
        let ranks: Vec<u32> = lists[0].entries.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, vec![1, 1, 1]);
    }

    #[test]
    fn edges_mean_adopted_at_month_end() {
        let e = |m: Option<&str>, f: &str, t: &str| ExchangeEdge {
            month: m.map(String::from),
            sender: no(f),
            recipient: no(t),
            units: 1,
        };
        let obs = edge_observations(&[
            e(Some("2025-06"), "3100000001", "3100000002"),
            e(Some("2025-08"), "3100000001", "3100000003"),
            e(None, "3100000004", "3100000001"),
        ]);
        let got: Vec<(&str, String)> = obs
            .iter()
            .map(|o| (o.office.as_str(), o.as_of.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("3100000001", "2025-08-31".into()),
                ("3100000002", "2025-06-30".into()),
                ("3100000003", "2025-08-31".into())
            ]
        );
    }

    #[test]
    fn status_list_and_hub() {
        let (obs, issues) = parse_status_list(
            "l.csv",
            "事業所番号,状況,日付\n3100000001,導入済,2025-06-01\n3100000002,検討中,\n3100000003,たぶん,\n".as_bytes(),
            Day::parse("2025-07-01").unwrap(),
        )
        .unwrap();
        assert_eq!(obs.len(), 2);
        assert_eq!(obs[1].as_of.to_string(), "2025-07-01");
        assert_eq!(issues.len(), 1);
        let h = hub_observations(
            Day::parse("2025-07-01").unwrap(),
            &[no("3100000001")],
            &[no("3100000001"), no("3100000002")],
        );
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].status, AdoptionStatus::Stopped);
    }
}
