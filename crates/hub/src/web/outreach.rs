//! 働きかけ: per 地域包括支援センター the offices not yet adopted, ranked by how many adopted
//! partners they exchange with (from the hub's sender → recipient graph).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tsunagu_insight::adoption::{OutreachList, outreach};

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::invite;
use super::muni_chrome;
use super::session::MuniUser;
use crate::error::WebError;
use crate::startup::AppState;

pub struct Entry {
    pub rank: u32,
    pub number: String,
    pub name: String,
    pub group: &'static str,
    pub area: String,
    pub status: &'static str,
    pub adopted_partners: usize,
    pub units: u32,
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

/// The outreach lists of a city, from hub edges only (partners reported by desks are not
/// collected by the hub yet).
pub fn lists(city: &City) -> Vec<OutreachList> {
    outreach(
        &city.master.offices,
        &city.table,
        &city.assignments,
        &city.current,
        &city.edges,
        &[],
    )
}

pub fn centers(city: &City) -> Vec<Center> {
    lists(city)
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
                    adopted_partners: e.adopted_partners.len(),
                    units: e.units_with_adopted,
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
    render(&Page {
        chrome: muni_chrome(&user, &city, "働きかけ先（センター別）", "outreach"),
        centers: centers(&city),
    })
}
