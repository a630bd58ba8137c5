//! Web sign-in: Argon2id passwords (hashed off the async threads), server-side sessions (the
//! cookie carries a random value, the database its SHA-256), a CSRF token per session checked on
//! every POST, same-origin checks, and the security headers on every page.
//!
//! Forms without a session (the login and the public survey form) use a double-submit token: a
//! random cookie that the form repeats in a hidden field.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;

use crate::error::WebError;
use crate::startup::AppState;
use crate::store::{WebRole, WebSession};

/// The session cookie.
pub const SESSION_COOKIE: &str = "tsunagu_session";
/// The double-submit cookie of forms shown before login.
pub const FORM_COOKIE: &str = "tsunagu_form";
/// The hidden field (or, for file uploads, the query parameter) with the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// A session lasts a working day.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Urlencoded form bodies are small; uploads go through multipart with their own limit.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Equal without telling where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hashes a password with Argon2id (default parameters: 19 MiB, 2 passes) on a blocking thread.
/// The error is an English description for the log.
pub async fn hash_password(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| format!("argon2 hash: {e}"))
    })
    .await
    .map_err(|e| format!("hash task: {e}"))?
}

/// A stored hash of a password nobody knows: unknown logins are verified against it, so a
/// wrong login takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jf1sJ8jvwF0hH7ZyqvbgYHU0T0zrDcC1BkoE7fmJfeI";

/// Checks a password against a PHC string on a blocking thread (false for `None`).
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    known && ok
}

/// The value of one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, whole site; Secure when served over TLS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The signed-in user of a page (any role).
#[derive(Debug, Clone)]
pub struct SignedIn(pub WebSession);

impl SignedIn {
    pub fn csrf(&self) -> &str {
        &self.0.csrf
    }
    pub fn login(&self) -> &str {
        &self.0.user.login
    }
}

async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<WebSession>, WebError> {
    if let Some(s) = parts.extensions.get::<WebSession>() {
        return Ok(Some(s.clone()));
    }
    let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session(&crate::sha256_hex(value.as_bytes()), crate::now_unix())
        .await?)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        session_of(parts, state)
            .await?
            .map(SignedIn)
            .ok_or(WebError::LoginRequired)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, WebError> {
        Ok(session_of(parts, state).await?.map(SignedIn))
    }
}

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Operator(pub WebSession);

impl FromRequestParts<AppState> for Operator {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let s = session_of(parts, state)
            .await?
            .ok_or(WebError::LoginRequired)?;
        // Another role gets 404: the operator pages do not exist for it.
        if s.user.role != WebRole::Operator {
            return Err(WebError::NotFound);
        }
        Ok(Operator(s))
    }
}

/// A signed-in municipality user with its account id.
#[derive(Debug, Clone)]
pub struct MuniUser {
    pub session: WebSession,
    pub muni_id: String,
}

impl FromRequestParts<AppState> for MuniUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let s = session_of(parts, state)
            .await?
            .ok_or(WebError::LoginRequired)?;
        match (&s.user.role, &s.user.muni_id) {
            (WebRole::Municipality, Some(id)) => Ok(MuniUser {
                muni_id: id.clone(),
                session: s,
            }),
            _ => Err(WebError::NotFound),
        }
    }
}

/// Whether a POST comes from a page of this site: `Sec-Fetch-Site` (sent by every current
/// browser, and not settable by a page) must be same-origin; without it, `Origin` (when sent)
/// must name the `Host` the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None => true,
        Some(Ok(origin)) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
        Some(Err(_)) => false,
    }
}

fn query_value(uri: &axum::http::Uri, name: &str) -> Option<String> {
    let q = uri.query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Checks every state-changing request of the web pages: same origin, and a CSRF token equal
/// to the session's (or, before login, to the form cookie). Urlencoded bodies carry it in the
/// `csrf` field; multipart uploads in the `csrf` query parameter.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    if !same_origin(req.headers()) {
        tracing::warn!("cross-site POST refused");
        return WebError::Csrf.into_response();
    }
    let (mut parts, body) = req.into_parts();
    let session = match session_of(&parts, &state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    // Forms shown without login (the login itself, the survey answer form, the time-study entry) always use the
    // double-submit cookie, even in a browser that also has a session.
    let public_form = parts.uri.path() == "/login"
        || parts.uri.path().starts_with("/a/")
        || parts.uri.path().starts_with("/t/");
    let expected = match &session {
        Some(s) if !public_form => Some(s.csrf.clone()),
        _ => cookie(&parts.headers, FORM_COOKIE),
    };
    let urlencoded = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (given, body) = if urlencoded {
        let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
            return WebError::TooLarge.into_response();
        };
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let given = fields
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v);
        (given, Body::from(bytes))
    } else {
        (query_value(&parts.uri, CSRF_FIELD), body)
    };
    let ok = matches!((&expected, &given), (Some(e), Some(g)) if constant_time_eq(e, g));
    if !ok {
        tracing::warn!("POST without a valid CSRF token refused");
        return WebError::Csrf.into_response();
    }
    if let Some(s) = session {
        parts.extensions.insert(s);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Security headers on every web page (pages carry no script; SVG and CSS are inline).
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        // same-origin: other sites never see a URL of the dashboard (the upload form's URL
        // carries the CSRF token), and same-site form posts keep a real Origin header.
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A redirect after a POST (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("正しいパスワード".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正しいパスワード".into(), Some(h.clone())).await);
        assert!(!verify_password("違う".into(), Some(h)).await);
        assert!(!verify_password("x".into(), None).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn origin_must_match_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("hub.example:8740"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://hub.example:8740"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
    }
}
