//! 働きかけ: per 地域包括支援センター the offices not yet adopted, ranked by how many distinct
//! adopted offices work with them — from the hub's sender → recipient graph and from the partner
//! numbers desks report (`PUT /api/v1/partners`), which alone see the offices that still fax.
//!
//! Scoping: only the account's own offices (its open data) are listed and only reports naming
//! them are read; of a report the page shows counts, never which office reported.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tsunagu_insight::ReportedPartner;
use tsunagu_insight::adoption::{OutreachList, outreach};
use tsunagu_insight::offices::OfficeNo;
use tsunagu_standard::OfficeNumber;

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::invite;
use super::muni_chrome;
use super::session::MuniUser;
use crate::error::WebError;
use crate::partner_reports::counts_since;
use crate::startup::AppState;

pub struct Entry {
    pub rank: u32,
    pub number: String,
    pub name: String,
    pub group: &'static str,
    pub area: String,
    pub status: &'static str,
    /// Distinct adopted offices from both sources (the ranking key).
    pub adopted_partners: u32,
    /// ハブ上の取引: adopted partners exchanging with it on the hub, and the units.
    pub hub_partners: usize,
    pub units: u32,
    /// デスクからの報告: adopted offices whose desks name it (a count only), units per month.
    pub reported_by: u32,
    pub reported_units: u32,
    pub partners: u32,
    /// Checkbox values and labels for the invitation letters: one per service of the office
    /// (`事業所番号_サービス種類コード`).
    pub choices: Vec<(String, String)>,
}

pub struct Center {
    pub name: String,
    pub entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "outreach.html")]
struct Page {
    chrome: Chrome,
    centers: Vec<Center>,
}

/// Reports naming the city's offices (its open data) that still count: made within the
/// retention period by offices with an active device.
async fn reported(state: &AppState, city: &City) -> Result<Vec<ReportedPartner>, WebError> {
    let numbers: Vec<OfficeNumber> = city
        .master
        .offices
        .iter()
        .filter_map(|o| o.number.office_number())
        .collect();
    let mentions = state
        .store
        .partner_mentions(&numbers, counts_since(crate::now_unix()))
        .await?;
    Ok(mentions
        .into_iter()
        .map(|m| ReportedPartner {
            reporter: OfficeNo::from(m.reporter),
            partner: OfficeNo::from(m.partner),
            units_per_month: m.units_per_month,
        })
        .collect())
}

/// The outreach lists of a city, from hub edges and desks' partner reports.
pub async fn lists(state: &AppState, city: &City) -> Result<Vec<OutreachList>, WebError> {
    let reported = reported(state, city).await?;
    Ok(outreach(
        &city.master.offices,
        &city.table,
        &city.assignments,
        &city.current,
        &city.edges,
        &reported,
    ))
}

pub fn centers(city: &City, lists: Vec<OutreachList>) -> Vec<Center> {
    lists
        .into_iter()
        .map(|l| Center {
            name: l.center,
            entries: l
                .entries
                .into_iter()
                .map(|e| Entry {
                    rank: e.rank,
                    number: e.office.to_string(),
                    name: e.name,
                    group: e.group.label(),
                    area: city.area_name(e.area.as_deref()),
                    status: e.status.label(),
                    adopted_partners: e.adopted_partners,
                    hub_partners: e.hub_adopted_partners.len(),
                    units: e.units_with_adopted,
                    reported_by: e.reported_by,
                    reported_units: e.reported_units_per_month,
                    partners: e.partners,
                    choices: choices(city, &e.office),
                })
                .collect(),
        })
        .collect()
}

/// The services of an office an invite can be issued for (those with a サービス種類コード).
fn choices(city: &City, office: &tsunagu_insight::OfficeNo) -> Vec<(String, String)> {
    let Some(o) = city.master.get(office) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for s in &o.services {
        if let Some(k) = s.kind {
            let value = invite::choice_value(office, &k);
            if !out.iter().any(|(v, _)| *v == value) {
                out.push((value, format!("{}（{k}）", s.name)));
            }
        }
    }
    out
}

/// `GET /m/outreach`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let lists = lists(&state, &city).await?;
    render(&Page {
        chrome: muni_chrome(&user, &city, "働きかけ先（センター別）", "outreach"),
        centers: centers(&city, lists),
    })
}
