//! Who may use the UI and how: loopback only, a Host header naming this desk (no DNS
//! rebinding), a session cookie obtained with the start-up token, and for every POST a same-
//! origin request (Origin / Sec-Fetch-Site) carrying the session's CSRF token. Plus the security
//! headers on every response.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;

use super::chrome::message_page;

/// Form bodies are small; anything bigger is not ours.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// The hidden form field with the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// A random token, 32 bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Equal without telling where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in browser: its CSRF token goes into every form.
#[derive(Debug, Clone)]
pub struct Session {
    pub csrf: String,
}

/// The start-up token and the sessions it opened.
pub struct Security {
    login_token: String,
    addr: SocketAddr,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Security {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            login_token: random_token(),
            addr,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The URL printed at start: opening it logs the browser in.
    pub fn login_url(&self) -> String {
        format!("http://{}/login?token={}", self.addr, self.login_token)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cookies are per host, not per port: two desks on one PC need two names.
    pub fn cookie_name(&self) -> String {
        format!("tsunagu_desk_{}", self.addr.port())
    }

    fn allowed_hosts(&self) -> [String; 3] {
        let port = self.addr.port();
        [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        self.allowed_hosts().contains(&host)
    }

    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site")
            && site.as_bytes() != b"same-origin"
        {
            return false;
        }
        match headers.get(header::ORIGIN).map(|o| o.to_str()) {
            None => true,
            Some(Ok(origin)) => {
                let origin = origin.to_ascii_lowercase();
                self.allowed_hosts()
                    .iter()
                    .any(|h| origin == format!("http://{h}"))
            }
            Some(Err(_)) => false,
        }
    }

    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let name = self.cookie_name();
        let sessions = super::super::sync::lock(&self.sessions);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .filter(|(k, _)| *k == name)
            .find_map(|(_, v)| sessions.get(v).cloned())
    }

    fn open_session(&self) -> String {
        let id = random_token();
        super::super::sync::lock(&self.sessions).insert(
            id.clone(),
            Session {
                csrf: random_token(),
            },
        );
        id
    }
}

fn refuse(status: StatusCode, text: &str) -> Response {
    (status, message_page("開けません", text)).into_response()
}

/// Every request passes here first (the desk and its setup page alike).
pub async fn guard(State(security): State<Arc<Security>>, req: Request, next: Next) -> Response {
    if !security.host_ok(req.headers()) {
        tracing::warn!("request with a foreign Host header refused");
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "E-DESK-090 この画面は、この PC の 127.0.0.1 からだけ開けます。",
        );
    }
    let path = req.uri().path();
    if path == "/login" || path.starts_with("/static/") {
        return next.run(req).await;
    }
    let Some(session) = security.session(req.headers()) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "E-DESK-091 ログインしていません。`tsunagu desk` を起動したときに表示された URL（http://127.0.0.1:…/login?token=…）を開いてください。",
        );
    };
    let mut req = req;
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if !security.origin_ok(req.headers()) {
            tracing::warn!("cross-site POST refused");
            return refuse(
                StatusCode::FORBIDDEN,
                "E-DESK-092 ほかのサイトからの送信は受け付けません。",
            );
        }
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "E-DESK-093 送信内容が大きすぎます。",
            );
        };
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token_ok = fields
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .is_some_and(|(_, v)| constant_time_eq(v, &session.csrf));
        if !token_ok {
            tracing::warn!("POST without a valid CSRF token refused");
            return refuse(
                StatusCode::FORBIDDEN,
                "E-DESK-094 画面の有効期限が切れたか、正しくない送信です。画面を開き直してから操作してください。",
            );
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// Security headers on every response.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Inline styles: the printable forms and the evidence report carry their own stylesheet.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Never a referrer to another site. Not `no-referrer`: with it, browsers send
    // `Origin: null` on the desk's own form posts, which the CSRF check must refuse.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    token: Option<String>,
}

/// `GET /login?token=…`: the start-up token buys a session cookie. The session outlives the
/// switch from the setup page to the desk (one [`Security`] serves both).
pub async fn login(State(security): State<Arc<Security>>, Query(q): Query<LoginQuery>) -> Response {
    let ok = q
        .token
        .as_deref()
        .is_some_and(|t| constant_time_eq(t, &security.login_token));
    if !ok {
        return refuse(
            StatusCode::FORBIDDEN,
            "E-DESK-095 この URL の鍵が違います。`tsunagu desk` を起動したときに表示された URL を開いてください。",
        );
    }
    let id = security.open_session();
    let cookie = format!(
        "{}={id}; HttpOnly; SameSite=Strict; Path=/",
        security.cookie_name()
    );
    // `/` is the inbox, or the setup page while this PC is not registered yet.
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
