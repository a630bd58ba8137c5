//! 受信箱: the units received, newest first, with their status and my receipts.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;

use super::App;
use super::chrome::{Chrome, error_page, render};
use super::security::Session;
use crate::status::ShownReceipt;

pub struct ReceiptView {
    pub status: &'static str,
    pub at: String,
    pub verification: String,
    pub valid: bool,
}

pub fn receipts(list: &[ShownReceipt]) -> Vec<ReceiptView> {
    list.iter()
        .map(|r| ReceiptView {
            status: r.status_label(),
            at: crate::format_jst(r.receipt.signed.receipt.at.unix_timestamp()),
            verification: r.verification.label_ja(),
            valid: r.verification.is_valid(),
        })
        .collect()
}

/// `種類` cell: the Japanese names of the file kinds.
pub fn kinds_label(kinds: &[String]) -> Vec<String> {
    kinds
        .iter()
        .map(|k| crate::evidence::kind_label(k))
        .collect()
}

/// `2025年4月` or `—`.
pub fn month_label(m: Option<&str>) -> String {
    m.and_then(tsunagu_standard::YearMonth::parse)
        .map(|ym| format!("{}年{}月", ym.year, ym.month))
        .unwrap_or_else(|| "—".into())
}

pub struct InboxView {
    pub received_at: String,
    pub sender: String,
    pub sender_id: String,
    pub kinds: Vec<String>,
    pub month: String,
    pub unit_id: String,
    pub status: &'static str,
    pub rejected: bool,
    pub reason: String,
    pub files: usize,
    pub receipts: Vec<ReceiptView>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Page {
    chrome: Chrome,
    rows: Vec<InboxView>,
    import_dir: String,
}

pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let shared = &app.shared;
    let view = match crate::status::status(&shared.desk, false).await {
        Ok(v) => v,
        Err(e) => return error_page(&e.to_string()),
    };
    let mut rows = Vec::new();
    for r in view.inbox.iter().rev() {
        let u = &r.unit;
        rows.push(InboxView {
            received_at: crate::format_jst(u.received_at),
            sender: shared.partner_name(&u.sender).await,
            sender_id: u.sender.to_string(),
            kinds: kinds_label(&u.kinds),
            month: month_label(u.service_month.as_deref()),
            unit_id: u.unit_id.clone(),
            status: u.status.label_ja(),
            rejected: u.reason.is_some(),
            reason: u.reason.clone().unwrap_or_default(),
            files: u.file_names.len(),
            receipts: receipts(&r.receipts),
            link: format!("/units/received/{}/{}", u.sender, u.unit_id),
        });
    }
    render(&Page {
        chrome: Chrome::new(&app, &session, "inbox", "受信箱"),
        rows,
        import_dir: shared
            .settings()
            .import(&shared.desk.dir)
            .display()
            .to_string(),
    })
}
