//! ログイン / ログアウト, and `/` sending each role to its first page. Failed logins are
//! rate-limited per name and per client address ([`super::login_limit`]).

use std::net::SocketAddr;

use askama::Template;
use axum::Extension;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::chrome::{Chrome, render};
use super::login_limit;
use super::session::{
    FORM_COOKIE, SESSION_COOKIE, SESSION_SECS, SignedIn, cookie, random_token, see_other,
    set_cookie, verify_password,
};
use crate::error::WebError;
use crate::startup::AppState;
use crate::store::WebRole;

#[derive(Template)]
#[template(path = "login.html")]
struct Page {
    chrome: Chrome,
    form_token: String,
    error: String,
    login: String,
}

fn login_page(state: &AppState, error: &str, login: &str) -> Result<Response, WebError> {
    let token = random_token();
    let mut res = render(&Page {
        chrome: Chrome::public("ログイン"),
        form_token: token.clone(),
        error: error.to_string(),
        login: login.to_string(),
    })?;
    if let Some(v) = set_cookie(FORM_COOKIE, &token, 3600, state.config.tls.is_some()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /`: the first page of the signed-in role, or the login.
pub async fn home(signed: Option<SignedIn>) -> Response {
    match signed.map(|s| s.0.user.role) {
        Some(WebRole::Operator) => see_other("/operator"),
        Some(WebRole::Municipality) => see_other("/m"),
        None => see_other("/login"),
    }
}

/// `GET /login`.
pub async fn page(State(state): State<AppState>) -> Result<Response, WebError> {
    login_page(&state, "", "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

/// The login page again with `error` and `status`.
fn refused(
    state: &AppState,
    error: &str,
    login: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut res = login_page(state, error, login)?;
    *res.status_mut() = status;
    Ok(res)
}

/// `POST /login`: a new session for a right password; the same answer for any wrong login or
/// password, and while the name or the client address is locked after repeated failures the
/// same refusal for every name (429), before any password is checked.
pub async fn submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let login = form.login.trim().to_string();
    let now = crate::now_unix();
    let ip = login_limit::client_ip(peer.map(|Extension(ConnectInfo(p))| p), &headers);
    let counters = login_limit::counters(&login, ip);
    let wait = login_limit::wait_secs(&state, &counters, now).await?;
    if wait > 0 {
        tracing::info!("web login refused: locked after repeated failures");
        return refused(
            &state,
            &login_limit::locked_message(wait),
            &login,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let user = state.store.web_user_by_login(&login).await?;
    let user = user.filter(|u| u.disabled_at.is_none());
    let ok = verify_password(
        form.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user.filter(|_| ok) else {
        let wait = login_limit::failed(&state, &counters, now).await?;
        tracing::info!(locked = wait > 0, "web login refused");
        return if wait > 0 {
            refused(
                &state,
                &login_limit::locked_message(wait),
                &login,
                StatusCode::TOO_MANY_REQUESTS,
            )
        } else {
            refused(
                &state,
                "E-WEB-LOGIN ログイン名またはパスワードが違います。",
                &login,
                StatusCode::UNAUTHORIZED,
            )
        };
    };
    login_limit::succeeded(&state, &login).await?;
    let value = random_token();
    let now = crate::now_unix();
    state
        .store
        .create_session(
            &crate::sha256_hex(value.as_bytes()),
            &user.user_id,
            &random_token(),
            now,
            now + SESSION_SECS,
        )
        .await?;
    tracing::info!(user = %user.user_id, "web login");
    let secure = state.config.tls.is_some();
    let mut res = see_other("/");
    let h = res.headers_mut();
    if let Some(v) = set_cookie(SESSION_COOKIE, &value, SESSION_SECS, secure) {
        h.append(header::SET_COOKIE, v);
    }
    if let Some(v) = set_cookie(FORM_COOKIE, "", 0, secure) {
        h.append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /logout`: the session is deleted on the server, not only forgotten by the browser.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&crate::sha256_hex(value.as_bytes()))
            .await?;
    }
    let mut res = see_other("/login");
    if let Some(v) = set_cookie(SESSION_COOKIE, "", 0, state.config.tls.is_some()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res.into_response())
}
