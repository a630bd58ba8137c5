//! The notices fragment, polled by htmx every few seconds: new arrivals, sent units, receipts,
//! held units and failures, and the hub connection.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::App;
use super::chrome::render;
use crate::sync::lock;

pub struct NoticeView {
    pub at: String,
    pub css: &'static str,
    pub text: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct Fragment {
    notices: Vec<NoticeView>,
    last_ok: String,
    hub_error: String,
}

pub async fn fragment(State(app): State<Arc<App>>) -> Response {
    let shared = &app.shared;
    let notices = lock(&shared.notices)
        .latest(6)
        .into_iter()
        .map(|n| NoticeView {
            at: crate::format_jst(n.at),
            css: n.level.css(),
            text: n.text,
            link: n.link.unwrap_or_default(),
        })
        .collect();
    let health = lock(&shared.health).clone();
    render(&Fragment {
        notices,
        last_ok: health.last_ok.map(crate::format_jst).unwrap_or_default(),
        hub_error: health.last_error.unwrap_or_default(),
    })
}
