//! 利用者: who has access to this municipality's dashboard — its name and codes and every user
//! of the account (never another account's, never the operator's), so a city can see who can
//! read its figures. Users are added by the hub's operator.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::chrome::{Chrome, render};
use super::session::MuniUser;
use super::{city, format_jst, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;

pub struct UserRow {
    pub login: String,
    pub created: String,
    /// 有効, or 無効（日時）.
    pub state: String,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct Page {
    chrome: Chrome,
    name: String,
    codes: String,
    users: Vec<UserRow>,
}

/// `GET /m/account`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let users = state
        .store
        .web_users_of(&user.muni_id)
        .await?
        .into_iter()
        .map(|u| UserRow {
            me: u.user_id == user.session.user.user_id,
            created: format_jst(u.created_at),
            state: match u.disabled_at {
                None => "有効".into(),
                Some(at) => format!("無効（{}）", format_jst(at)),
            },
            login: u.login,
        })
        .collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "利用者", "account"),
        name: city.muni.name.clone(),
        codes: city.muni.codes.join("、"),
        users,
    })
}
