//! 事業所: the office master (open data of the account's codes) with each office's 圏域, how it
//! was matched and its status; the offices without an area, with a form to assign one (stored
//! as an overrides file); and one office's page. An office of another municipality is 404.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use serde::Deserialize;
use tsunagu_insight::OfficeNo;
use tsunagu_insight::areas::MatchMethod;
use tsunagu_insight::report_csv::Table;

use super::chrome::{Chrome, render};
use super::city::{self, KIND_OVERRIDES, SCREEN_OVERRIDES};
use super::session::{MuniUser, see_other};
use super::{format_jst, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;
use crate::store::MuniFile;

pub struct Row {
    pub number: String,
    pub name: String,
    pub group: &'static str,
    pub services: String,
    pub area: String,
    pub method: &'static str,
    pub status: &'static str,
    pub on_hub: bool,
}

pub struct Unmatched {
    pub number: String,
    pub name: String,
    pub address: String,
    pub detail: String,
}

pub struct AreaOption {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "offices.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    unmatched: Vec<Unmatched>,
    areas: Vec<AreaOption>,
    hub_only: Vec<String>,
}

/// `GET /m/offices`.
pub async fn list(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let rows = city
        .master
        .offices
        .iter()
        .map(|o| {
            let a = city.assignments.get(&o.number);
            Row {
                number: o.number.to_string(),
                name: o.name.clone(),
                group: o.group.label(),
                services: o.services_label(),
                area: city.area_name(a.and_then(|a| a.area.as_deref())),
                method: a.map_or(MatchMethod::Unmatched, |a| a.method).label(),
                status: city.current.status(&o.number).label(),
                on_hub: city.registered.contains(&o.number),
            }
        })
        .collect();
    let unmatched = city
        .assignments
        .needs_review()
        .into_iter()
        .filter_map(|a| {
            let o = city.master.get(&a.office)?;
            Some(Unmatched {
                number: o.number.to_string(),
                name: o.name.clone(),
                address: o.address.clone(),
                detail: a.detail.clone(),
            })
        })
        .collect();
    let hub_only = city
        .registered
        .iter()
        .filter(|n| city.master.get(n).is_none())
        .map(|n| n.to_string())
        .collect();
    render(&ListPage {
        chrome: muni_chrome(&user, &city, "事業所", "offices"),
        rows,
        unmatched,
        areas: city
            .table
            .areas
            .iter()
            .map(|a| AreaOption {
                code: a.code.clone(),
                name: a.name.clone(),
            })
            .collect(),
        hub_only,
    })
}

#[derive(Template)]
#[template(path = "office.html")]
struct DetailPage {
    chrome: Chrome,
    number: String,
    name: String,
    group: String,
    services: String,
    address: String,
    area: String,
    method: String,
    status: String,
    source: String,
    as_of: String,
    on_hub: bool,
    active: bool,
    units_sent: u32,
    units_received: u32,
}

/// `GET /m/offices/{office}`: 404 unless the office is one of this municipality's.
pub async fn detail(
    State(state): State<AppState>,
    user: MuniUser,
    Path(office): Path<String>,
) -> Result<Response, WebError> {
    let number = OfficeNo::parse(&office).ok_or(WebError::NotFound)?;
    let city = city::load(&state, &user.muni_id).await?;
    if !city.knows(&number) {
        return Err(WebError::NotFound);
    }
    let o = city.master.get(&number);
    let a = city.assignments.get(&number);
    let obs = city.current.statuses.get(&number);
    let units = |f: &dyn Fn(&tsunagu_insight::ExchangeEdge) -> bool| -> u32 {
        city.edges.iter().filter(|e| f(e)).map(|e| e.units).sum()
    };
    render(&DetailPage {
        chrome: muni_chrome(&user, &city, "事業所の詳細", "offices"),
        number: number.to_string(),
        name: o
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "（オープンデータにありません）".into()),
        group: o.map(|o| o.group.label().to_string()).unwrap_or_default(),
        services: o.map(|o| o.services_label()).unwrap_or_default(),
        address: o.map(|o| o.address.clone()).unwrap_or_default(),
        area: city.area_name(a.and_then(|a| a.area.as_deref())),
        method: a.map_or("", |a| a.method.label()).to_string(),
        status: city.current.status(&number).label().to_string(),
        source: obs
            .map(|o| o.source.label().to_string())
            .unwrap_or_default(),
        as_of: obs.map(|o| o.as_of.to_string()).unwrap_or_default(),
        on_hub: city.registered.contains(&number),
        active: city.active.contains(&number),
        units_sent: units(&|e| e.sender == number),
        units_received: units(&|e| e.recipient == number),
    })
}

#[derive(Deserialize)]
pub struct AssignForm {
    office: String,
    area: String,
    #[serde(default)]
    note: String,
}

/// `POST /m/offices/assign`: a person's area for an office, kept in the screen's overrides file
/// (`事業所番号,圏域コード,メモ`) so it is applied like an uploaded one and can be downloaded.
pub async fn assign(
    State(state): State<AppState>,
    user: MuniUser,
    Form(f): Form<AssignForm>,
) -> Result<Response, WebError> {
    let number = OfficeNo::parse(&f.office).ok_or(WebError::NotFound)?;
    let city = city::load(&state, &user.muni_id).await?;
    if city.master.get(&number).is_none() {
        return Err(WebError::NotFound);
    }
    if city.table.area(&f.area).is_none() {
        return Err(WebError::BadInput(
            "E-WEB-AREA 圏域を選んでください。".into(),
        ));
    }
    let files = state.store.muni_files(&user.muni_id).await?;
    let mut table = Table::new(
        "",
        vec!["事業所番号".into(), "圏域コード".into(), "メモ".into()],
    );
    if let Some(old) = files
        .iter()
        .find(|x| x.kind == KIND_OVERRIDES && x.name == SCREEN_OVERRIDES)
        && let Ok((rows, _)) =
            tsunagu_insight::areas::parse_overrides(&old.name, &old.bytes, &city.table)
    {
        for r in rows.into_iter().filter(|r| r.office != number) {
            table.rows.push(vec![r.office.to_string(), r.area, r.note]);
        }
    }
    let note = if f.note.trim().is_empty() {
        format!(
            "{} が画面で指定（{}）",
            user.session.user.login,
            format_jst(crate::now_unix())
        )
    } else {
        f.note.trim().to_string()
    };
    table
        .rows
        .push(vec![number.to_string(), f.area.clone(), note]);
    state
        .store
        .put_muni_file(
            &user.muni_id,
            &MuniFile {
                kind: KIND_OVERRIDES.into(),
                name: SCREEN_OVERRIDES.into(),
                bytes: table.to_excel_csv(),
                uploaded_at: crate::now_unix(),
                uploaded_by: user.session.user.login.clone(),
            },
        )
        .await?;
    city::store_snapshot(&state, &user.muni_id, city::today_jst(), "auto").await?;
    Ok(see_other("/m/offices#unmatched"))
}
