//! What every page shares: the header with the office, the navigation, the notices area, and
//! helpers to render a template or a plain message.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::App;
use super::security::Session;

/// The page frame's data.
pub struct Chrome {
    pub office_name: String,
    pub office_id: String,
    pub csrf: String,
    /// Which tab is active (`inbox`, `sent`, `history`, `partners`, `evidence`, `settings`).
    pub active: &'static str,
    pub title: String,
}

impl Chrome {
    pub fn new(
        app: &App,
        session: &Session,
        active: &'static str,
        title: impl Into<String>,
    ) -> Self {
        Self {
            office_name: app.shared.desk.config.office_name.clone(),
            office_id: app.shared.desk.config.office_id.to_string(),
            csrf: session.csrf.clone(),
            active,
            title: title.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    title: &'a str,
    text: &'a str,
}

/// A page with one message (errors, refusals).
pub fn message_page(title: &str, text: &str) -> Html<String> {
    Html(
        Message { title, text }
            .render()
            .unwrap_or_else(|_| text.to_string()),
    )
}

/// Renders a template, or a 500 page saying so (never a panic).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            error_page("E-DESK-096 画面を表示できませんでした。")
        }
    }
}

/// A failure as a page (the message is an `E-…` text, no file contents).
pub fn error_page(text: &str) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        message_page("エラー", text),
    )
        .into_response()
}

/// Puts the desk's toolbar into a self-contained page (forms, evidence): a stylesheet link in
/// the head and a navigation bar that is not printed.
pub fn with_toolbar(page: &str, toolbar_html: &str) -> String {
    let mut out = page.to_string();
    if let Some(i) = out.find("</head>") {
        out.insert_str(i, "<link rel=\"stylesheet\" href=\"/static/desk.css\">");
    }
    let body_end = out
        .find("<body")
        .and_then(|i| out[i..].find('>').map(|j| i + j + 1));
    match body_end {
        Some(i) => out.insert_str(i, toolbar_html),
        None => out.insert_str(0, toolbar_html),
    }
    out
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    crate::evidence::esc(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolbar_goes_into_head_and_body() {
        let page = "<html><head><title>x</title></head><body class=\"a\"><p>1</p></body></html>";
        let out = with_toolbar(page, "<nav>t</nav>");
        assert!(out.contains("desk.css\"></head>"));
        assert!(out.contains("<body class=\"a\"><nav>t</nav><p>1</p>"));
    }
}
