//! 離脱: offices that had adopted and no longer have (利用停止, or a later answer or list saying
//! otherwise), per period between stored snapshots (and now), beside the offices that newly
//! adopted in the same period — a table and grouped bars of the counts, and the list of the
//! offices that left with what each source said before and after. Only this municipality's
//! offices are counted (a partner elsewhere that appears through an exchange is not listed).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tsunagu_insight::adoption::{Departure, Snapshot, departures};
use tsunagu_insight::report_csv::Table;
use tsunagu_insight::{AdoptionStatus, OfficeNo};

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::muni_chrome;
use super::session::MuniUser;
use super::svg::{self, Axis, GroupedBarInput, status_color};
use crate::error::WebError;
use crate::startup::AppState;

/// What changed between two consecutive points of the history.
pub struct Period {
    pub from: String,
    pub to: String,
    pub adopted_before: u32,
    pub adopted_after: u32,
    pub joined: Vec<OfficeNo>,
    pub left: Vec<Departure>,
}

impl Period {
    pub fn label(&self) -> String {
        format!("{} → {}", self.from, self.to)
    }
}

fn adopted(city: &City, s: &Snapshot) -> u32 {
    city.master
        .offices
        .iter()
        .filter(|o| s.is_adopted(&o.number))
        .count() as u32
}

/// The periods between consecutive snapshots (and now), oldest first.
pub fn periods(city: &City) -> Vec<Period> {
    let series = city.series();
    series
        .windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            Period {
                from: a.as_of.to_string(),
                to: b.as_of.to_string(),
                adopted_before: adopted(city, a),
                adopted_after: adopted(city, b),
                joined: b
                    .statuses
                    .values()
                    .filter(|o| o.status == AdoptionStatus::Adopted && !a.is_adopted(&o.office))
                    .map(|o| o.office)
                    .filter(|o| city.knows(o))
                    .collect(),
                left: departures(a, b)
                    .into_iter()
                    .filter(|d| city.knows(&d.office))
                    .collect(),
            }
        })
        .collect()
}

pub struct PeriodRow {
    pub label: String,
    pub adopted_before: u32,
    pub joined: usize,
    pub left: usize,
    pub adopted_after: u32,
}

pub struct DepartureRow {
    pub from: String,
    pub to: String,
    pub office: String,
    pub name: String,
    pub group: String,
    pub area: String,
    pub before_status: &'static str,
    pub before_as_of: String,
    pub after_status: &'static str,
    pub after_as_of: String,
    pub source: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "departures.html")]
struct Page {
    chrome: Chrome,
    periods: Vec<PeriodRow>,
    rows: Vec<DepartureRow>,
    chart: String,
    snapshots: usize,
}

fn rows(city: &City, periods: &[Period]) -> Vec<DepartureRow> {
    periods
        .iter()
        .rev()
        .flat_map(|p| {
            p.left.iter().map(move |d| {
                let o = city.master.get(&d.office);
                DepartureRow {
                    from: p.from.clone(),
                    to: p.to.clone(),
                    office: d.office.to_string(),
                    name: o.map(|o| o.name.clone()).unwrap_or_else(|| {
                        city.hub_offices
                            .iter()
                            .find(|h| OfficeNo::from(h.office_id) == d.office)
                            .map(|h| h.name.clone())
                            .unwrap_or_default()
                    }),
                    group: o.map(|o| o.group.label().to_string()).unwrap_or_default(),
                    area: city.area_name(city.assignments.area_of(&d.office)),
                    before_status: d.before.status.label(),
                    before_as_of: d.before.as_of.to_string(),
                    after_status: d.after.status.label(),
                    after_as_of: d.after.as_of.to_string(),
                    source: d.after.source.label(),
                    note: d.after.note.clone(),
                }
            })
        })
        .collect()
}

/// Grouped bars per period: offices that newly adopted, and offices that left.
pub fn chart(periods: &[Period]) -> Result<String, WebError> {
    let inputs: Vec<GroupedBarInput> = periods
        .iter()
        .map(|p| GroupedBarInput {
            label: p.label(),
            values: vec![Some(p.joined.len() as f64), Some(p.left.len() as f64)],
            texts: vec![
                format!("{}件", p.joined.len()),
                format!("{}件", p.left.len()),
            ],
        })
        .collect();
    svg::grouped_bars(
        "期間ごとの新たな導入と離脱（事業所数）",
        &[
            (status_color(AdoptionStatus::Adopted), "新たに導入".into()),
            (status_color(AdoptionStatus::Stopped), "離脱".into()),
        ],
        &inputs,
        Axis::Count,
    )
}

/// `GET /m/departures`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let periods = periods(&city);
    let chart = if periods.is_empty() {
        String::new()
    } else {
        chart(&periods)?
    };
    render(&Page {
        chrome: muni_chrome(&user, &city, "離脱した事業所", "departures"),
        rows: rows(&city, &periods),
        periods: periods
            .iter()
            .rev()
            .map(|p| PeriodRow {
                label: p.label(),
                adopted_before: p.adopted_before,
                joined: p.joined.len(),
                left: p.left.len(),
                adopted_after: p.adopted_after,
            })
            .collect(),
        chart,
        snapshots: city.history.len(),
    })
}

/// `departures_history.csv`: every office that left, per period.
pub fn history_table(city: &City) -> Table {
    let mut t = Table::new(
        "離脱した事業所（期間ごと）",
        [
            "期間の始め",
            "期間の終わり",
            "事業所番号",
            "事業所名",
            "種別",
            "圏域",
            "前の状況",
            "前の確認日",
            "今の状況",
            "今の確認日",
            "今の出典",
            "備考",
        ]
        .map(String::from)
        .to_vec(),
    );
    for r in rows(city, &periods(city)) {
        t.rows.push(vec![
            r.from,
            r.to,
            r.office,
            r.name,
            r.group,
            r.area,
            r.before_status.into(),
            r.before_as_of,
            r.after_status.into(),
            r.after_as_of,
            r.source.into(),
            r.note,
        ]);
    }
    t
}

/// `adoption_changes.csv`: per period, adopted before and after, newly adopted, left.
pub fn periods_table(city: &City) -> Table {
    let mut t = Table::new(
        "期間ごとの導入と離脱",
        [
            "期間の始め",
            "期間の終わり",
            "導入（始め）",
            "新たに導入",
            "離脱",
            "導入（終わり）",
        ]
        .map(String::from)
        .to_vec(),
    );
    for p in periods(city) {
        t.rows.push(vec![
            p.from.clone(),
            p.to.clone(),
            p.adopted_before.to_string(),
            p.joined.len().to_string(),
            p.left.len().to_string(),
            p.adopted_after.to_string(),
        ]);
    }
    t
}
