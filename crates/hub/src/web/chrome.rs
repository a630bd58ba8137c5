//! What every page shares: the frame (header, navigation, logout), the stylesheet, and helpers
//! to render a template or a plain message.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::WebError;

/// The stylesheet, embedded (no external assets).
const CSS: &str = include_str!("../../static/hub.css");

/// The page frame's data.
pub struct Chrome {
    pub title: String,
    /// Empty on pages without login.
    pub login: String,
    pub csrf: String,
    /// The municipality's name (municipality pages), or empty.
    pub muni_name: String,
    /// `operator`, `municipality` or empty: which navigation to show.
    pub role: &'static str,
    /// Which tab is active.
    pub active: &'static str,
}

impl Chrome {
    pub fn public(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            login: String::new(),
            csrf: String::new(),
            muni_name: String::new(),
            role: "",
            active: "",
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    chrome: Chrome,
    text: &'a str,
}

/// A page with one message (errors, refusals).
pub fn message_page(title: &str, text: &str) -> Html<String> {
    Html(
        Message {
            chrome: Chrome::public(title),
            text,
        }
        .render()
        .unwrap_or_else(|_| text.to_string()),
    )
}

/// Renders a template (never panics: a failure is a 500 page).
pub fn render<T: Template>(t: &T) -> Result<Response, WebError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| WebError::Internal(format!("template: {e}")))
}

/// `GET /static/hub.css`.
pub async fn css() -> Response {
    let mut res = (StatusCode::OK, CSS).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    res
}

/// A CSV download that Excel opens (the bytes come from `Table::to_excel_csv`: BOM + CRLF).
pub fn csv_download(file_name: &str, bytes: Vec<u8>) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // ASCII fallback plus the RFC 5987 UTF-8 name.
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
