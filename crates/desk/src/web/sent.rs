//! 送信済: units held in the outbox folder (with reasons), then the units sent with their status
//! (送信済 → 受信済 → 取込済, or 差戻し) and the partners' signed receipts.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::App;
use super::chrome::{Chrome, error_page, render};
use super::inbox::{ReceiptView, kinds_label, month_label, receipts};
use super::security::Session;
use crate::sync::{HeldWhy, lock};

pub struct HeldView {
    pub label: String,
    pub files: Vec<String>,
    pub reasons: Vec<String>,
    pub why: &'static str,
    pub since: String,
    pub invite_link: Option<String>,
    pub partners_link: bool,
}

pub struct SentView {
    pub at: String,
    pub recipient: String,
    pub kinds: Vec<String>,
    pub month: String,
    pub unit_id: String,
    pub status: &'static str,
    pub status_css: &'static str,
    pub reason: String,
    pub last_error: String,
    /// The unit was uploaded again after the hub lost it (restored from a backup).
    pub resent: String,
    pub receipts: Vec<ReceiptView>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "sent.html")]
struct Page {
    chrome: Chrome,
    held: Vec<HeldView>,
    rows: Vec<SentView>,
    outbox_dir: String,
}

fn status_css(label: &str) -> &'static str {
    match label {
        "取込済" => "ok",
        "差戻し" | "期限切れ" => "bad",
        "未送信" => "warn",
        _ => "info",
    }
}

pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let shared = &app.shared;
    let view = match crate::status::status(&shared.desk, false).await {
        Ok(v) => v,
        Err(e) => return error_page(&e.to_string()),
    };
    let held_units = lock(&shared.held).clone();
    let held = held_units
        .into_iter()
        .map(|h| HeldView {
            why: match h.why {
                HeldWhy::Check => "検査でエラー",
                HeldWhy::NotOnHub => "取引先が Tsunagu 未利用",
                HeldWhy::KeyChanged => "取引先の鍵の確認待ち",
                HeldWhy::Other => "送信できません",
            },
            invite_link: (h.why == HeldWhy::NotOnHub)
                .then(|| h.recipient.map(|r| format!("/partners/{r}/invite")))
                .flatten(),
            partners_link: h.why == HeldWhy::KeyChanged,
            label: h.label,
            files: h.file_names,
            reasons: h.reasons,
            since: crate::format_jst(h.since),
        })
        .collect();
    let mut rows = Vec::new();
    for r in view.outbox.iter().rev() {
        let u = &r.unit;
        let status = u.status.label_ja();
        rows.push(SentView {
            at: crate::format_jst(u.uploaded_at.unwrap_or(u.sealed_at)),
            recipient: shared.partner_name(&u.recipient).await,
            kinds: kinds_label(&u.kinds),
            month: month_label(u.service_month.as_deref()),
            unit_id: u.unit_id.clone(),
            status,
            status_css: status_css(status),
            reason: u.rejection_reason.clone().unwrap_or_default(),
            // An uploaded unit's error is shown only when it is about uploading it again
            // after the hub lost it (a successful upload clears it).
            last_error: if u.status.is_uploaded() && u.hub_resent_at.is_none() {
                String::new()
            } else {
                u.last_error.clone().unwrap_or_default()
            },
            resent: match (u.hub_resends, u.hub_resent_at) {
                (n, Some(at)) if n > 0 => format!(
                    "ハブに記録がなかったため、{} に同じ封筒を再送しました",
                    crate::format_jst(at)
                ),
                _ => String::new(),
            },
            receipts: receipts(&r.receipts),
            link: format!("/units/sent/{}/{}", u.recipient, u.unit_id),
        });
    }
    render(&Page {
        chrome: Chrome::new(&app, &session, "sent", "送信済"),
        held,
        rows,
        outbox_dir: shared
            .settings()
            .outbox(&shared.desk.dir)
            .display()
            .to_string(),
    })
}

#[derive(serde::Deserialize)]
pub struct RetryForm {
    label: Option<String>,
}

/// `POST /sent/retry`: check held units again now.
pub async fn retry(State(app): State<Arc<App>>, Form(f): Form<RetryForm>) -> Response {
    app.shared.retry_held(f.label.filter(|l| !l.is_empty()));
    Redirect::to("/sent").into_response()
}
