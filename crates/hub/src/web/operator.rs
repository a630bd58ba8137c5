//! 市区町村の管理 (operator): the municipality accounts with their codes and users, a form that
//! creates one (the same as `tsunagu hub municipality add`), and per account a form that adds
//! another user to it (`tsunagu hub municipality add-user`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::chrome::{Chrome, render};
use super::session::{Operator, see_other};
use crate::error::WebError;
use crate::ops::{self, OpsError};
use crate::startup::AppState;

struct Row {
    muni_id: String,
    name: String,
    codes: String,
    users: String,
    offices: usize,
}

#[derive(Template)]
#[template(path = "operator.html")]
struct Page {
    chrome: Chrome,
    rows: Vec<Row>,
    error: String,
    created: String,
    added: String,
    min_password: usize,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    created: Option<String>,
    /// `米子市 に yonago-2` after a user was added.
    added: Option<String>,
}

async fn page_with(
    state: &AppState,
    op: &Operator,
    error: String,
    n: Notice,
) -> Result<Response, WebError> {
    let munis = state.store.municipalities().await?;
    let users = state.store.web_users().await?;
    let mut rows = Vec::new();
    for m in munis {
        let logins: Vec<String> = users
            .iter()
            .filter(|u| u.muni_id.as_deref() == Some(m.muni_id.as_str()))
            .map(|u| u.login.clone())
            .collect();
        rows.push(Row {
            muni_id: m.muni_id.clone(),
            offices: state.store.offices_of(&m.muni_id).await?.len(),
            name: m.name,
            codes: m.codes.join("、"),
            users: logins.join("、"),
        });
    }
    render(&Page {
        chrome: Chrome {
            title: "市区町村の管理".into(),
            login: op.0.user.login.clone(),
            csrf: op.0.csrf.clone(),
            muni_name: String::new(),
            role: "operator",
            active: "operator",
        },
        rows,
        error,
        created: n.created.unwrap_or_default(),
        added: n.added.unwrap_or_default(),
        min_password: ops::MIN_PASSWORD_CHARS,
    })
}

/// `GET /operator`.
pub async fn page(
    State(state): State<AppState>,
    op: Operator,
    Query(n): Query<Notice>,
) -> Result<Response, WebError> {
    page_with(&state, &op, String::new(), n).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    codes: String,
    login: String,
    password: String,
}

/// `POST /operator/municipalities`.
pub async fn create(
    State(state): State<AppState>,
    op: Operator,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    let codes: Vec<String> = f
        .codes
        .split([',', '、', ' ', '\u{3000}', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    match ops::create_municipality(
        state.store.as_ref(),
        &f.name,
        &codes,
        &f.login,
        &f.password,
        crate::now_unix(),
    )
    .await
    {
        Ok((m, _)) => {
            tracing::info!(muni = %m.muni_id, by = %op.0.user.user_id, "municipality account created");
            let q = serde_urlencoded::to_string([("created", m.name.as_str())]).unwrap_or_default();
            Ok(see_other(&format!("/operator?{q}")))
        }
        Err(OpsError::Store(e)) => Err(e.into()),
        Err(e) => {
            let mut res = page_with(&state, &op, e.to_string(), Notice::default()).await?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct AddUserForm {
    login: String,
    password: String,
}

/// `POST /operator/municipalities/{muni_id}/users`: another user of an existing account; an
/// unknown account answers 404, a refused login or password shows the page with the reason.
pub async fn add_user(
    State(state): State<AppState>,
    op: Operator,
    Path(muni_id): Path<String>,
    Form(f): Form<AddUserForm>,
) -> Result<Response, WebError> {
    match ops::add_municipality_user(
        state.store.as_ref(),
        &muni_id,
        &f.login,
        &f.password,
        crate::now_unix(),
    )
    .await
    {
        Ok((m, u)) => {
            tracing::info!(muni = %m.muni_id, user = %u.user_id, by = %op.0.user.user_id, "municipality user added");
            let q = serde_urlencoded::to_string([("added", format!("{} に {}", m.name, u.login))])
                .unwrap_or_default();
            Ok(see_other(&format!("/operator?{q}")))
        }
        Err(OpsError::Store(e)) => Err(e.into()),
        Err(e) => {
            let mut res = page_with(&state, &op, e.to_string(), Notice::default()).await?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}
