//! 招待状: from the 働きかけ list, a municipality user issues invite codes for offices of its own
//! area and prints one A4 letter per office (hub URL, the code, what to do next, how many of
//! its partners are already on Tsunagu). The codes are issued through [`ops::issue_invite`]
//! (bound to 事業所番号 + サービス種類コード, the office registered under the municipality's
//! code when new), stored hashed, and written only on the printed page this POST answers.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tsunagu_insight::{MunicipalityCode, OfficeNo};
use tsunagu_standard::{OfficeId, ServiceKind};

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::session::MuniUser;
use super::{format_jst, muni_chrome};
use crate::error::WebError;
use crate::ops::{self, OpsError};
use crate::startup::AppState;

/// At most this many letters per print (a center hands out a day's worth).
const MAX_LETTERS: usize = 200;

/// Names of adopted partners written on a letter (the count is always complete).
const MAX_PARTNER_NAMES: usize = 5;

pub struct Letter {
    pub office_name: String,
    pub number: String,
    pub kind: String,
    pub service: String,
    pub address: String,
    pub area: String,
    pub center: String,
    pub code: String,
    pub expires: String,
    pub adopted_partners: usize,
    pub partner_names: Vec<String>,
    pub more_partners: usize,
}

#[derive(Template)]
#[template(path = "invite_letters.html")]
struct LettersPage {
    chrome: Chrome,
    muni_name: String,
    hub_url: String,
    issued_on: String,
    letters: Vec<Letter>,
}

/// The URL a desk is given at はじめての設定: this hub as the browser reached it.
pub fn hub_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The checkbox value of one office and service: `0312000001_43`.
pub fn choice_value(number: &OfficeNo, kind: &ServiceKind) -> String {
    format!("{number}_{kind}")
}

/// The offices of `city` exchanging with `office` that are adopted now, in office order.
pub fn adopted_partners(city: &City, office: &OfficeNo) -> Vec<OfficeNo> {
    let partners: BTreeSet<OfficeNo> = city
        .edges
        .iter()
        .filter_map(|e| {
            if e.sender == *office {
                Some(e.recipient)
            } else if e.recipient == *office {
                Some(e.sender)
            } else {
                None
            }
        })
        .filter(|p| p != office && city.current.is_adopted(p))
        .collect();
    partners.into_iter().collect()
}

/// Which of the account's codes an office of the open data belongs to.
fn code_of(city: &City, written: &str) -> Option<String> {
    city.muni.codes.iter().find_map(|c| {
        let code = MunicipalityCode::parse(c).ok()?;
        code.matches(written).then(|| c.clone())
    })
}

/// `POST /m/invites` (fields `office`, repeated: `事業所番号_サービス種類コード`): issues one
/// invite per chosen office and answers with the printable letters. Any office that is not
/// this municipality's answers 404 and nothing is issued.
pub async fn issue(
    State(state): State<AppState>,
    user: MuniUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let mut chosen: Vec<OfficeId> = Vec::new();
    for (k, v) in &fields {
        if k != "office" {
            continue;
        }
        let id = OfficeId::parse(v.trim()).map_err(|_| WebError::NotFound)?;
        if !chosen.contains(&id) {
            chosen.push(id);
        }
    }
    if chosen.is_empty() {
        return Err(WebError::BadInput(
            "E-WEB-INVITE 招待状を印刷する事業所を選んでください。".into(),
        ));
    }
    if chosen.len() > MAX_LETTERS {
        return Err(WebError::BadInput(format!(
            "E-WEB-INVITE 一度に印刷できるのは{MAX_LETTERS}事業所までです。"
        )));
    }
    // Check every office before issuing any code.
    let mut plan = Vec::new();
    for id in chosen {
        let number = OfficeNo::from(id);
        let master = city.master.get(&number);
        let hub = state.store.office(&id).await?;
        let (name, code) = match (&hub, master) {
            // On the hub already: it must be registered under one of the account's codes.
            (Some(h), _) => {
                if !city.muni.codes.contains(&h.municipality_code) {
                    return Err(WebError::NotFound);
                }
                (h.name.clone(), h.municipality_code.clone())
            }
            // New on the hub: the open data of the account's codes must list it with this
            // service kind.
            (None, Some(o)) => {
                if !o.services.iter().any(|s| s.kind == Some(id.kind)) {
                    return Err(WebError::NotFound);
                }
                let code = code_of(&city, &o.municipality_code).ok_or(WebError::NotFound)?;
                (o.name.clone(), code)
            }
            (None, None) => return Err(WebError::NotFound),
        };
        plan.push((id, number, name, code));
    }
    let now = crate::now_unix();
    let mut letters = Vec::new();
    for (id, number, name, code) in plan {
        let issued = ops::issue_invite(
            state.store.as_ref(),
            id,
            Some(&name),
            Some(&code),
            state.config.invite_ttl_days,
            now,
        )
        .await
        .map_err(|e| match e {
            OpsError::Store(s) => WebError::from(s),
            other => WebError::BadInput(other.to_string()),
        })?;
        tracing::info!(office = %id, muni = %user.muni_id, "invite issued from the dashboard");
        let master = city.master.get(&number);
        let partners = adopted_partners(&city, &number);
        let partner_names: Vec<String> = partners
            .iter()
            .take(MAX_PARTNER_NAMES)
            .map(|p| {
                city.master
                    .get(p)
                    .map_or_else(|| p.to_string(), |o| o.name.clone())
            })
            .collect();
        let service = master
            .and_then(|o| o.services.iter().find(|s| s.kind == Some(id.kind)))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        letters.push(Letter {
            office_name: issued.office.name.clone(),
            number: number.to_string(),
            kind: id.kind.to_string(),
            service,
            address: master.map(|o| o.address.clone()).unwrap_or_default(),
            area: city.area_name(city.assignments.area_of(&number)),
            center: city
                .assignments
                .center_of(&number)
                .unwrap_or("")
                .to_string(),
            code: issued.code,
            expires: format_jst(issued.expires_at),
            adopted_partners: partners.len(),
            more_partners: partners.len().saturating_sub(partner_names.len()),
            partner_names,
        });
    }
    render(&LettersPage {
        chrome: muni_chrome(&user, &city, "招待状（印刷用）", "outreach"),
        muni_name: city.muni.name.clone(),
        hub_url: hub_url(&state, &headers),
        issued_on: format_jst(now),
        letters,
    })
}
