//! One unit opened as forms: the standard's printable page (第1–3表, 第6表 month grid, 第7表,
//! 予防 forms) with the desk's toolbar, which is not printed.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::App;
use super::chrome::{error_page, esc, message_page, with_toolbar};
use crate::unit_files::{Flow, UnitRef, load};
use tsunagu_standard::OfficeId;

pub async fn page(
    State(app): State<Arc<App>>,
    Path((flow, office, unit_id)): Path<(String, String, String)>,
) -> Response {
    let me = app.shared.desk.config.office_id;
    let Ok(office) = OfficeId::parse(&office) else {
        return not_found();
    };
    let (flow, sender, recipient, back, back_label) = match flow.as_str() {
        "sent" => (Flow::Sent, me, office, "/sent", "送信済へ戻る"),
        "received" => (Flow::Received, office, me, "/inbox", "受信箱へ戻る"),
        _ => return not_found(),
    };
    let unit = UnitRef {
        flow,
        sender,
        recipient,
        unit_id,
    };
    let files = match load(&app.shared.desk.store, &unit).await {
        Ok(f) => f,
        Err(e) => return error_page(&e.to_string()),
    };
    if files.is_empty() {
        return not_found();
    }
    let documents: Vec<_> = files
        .iter()
        .filter_map(|(name, bytes)| tsunagu_standard::read(name, bytes).document)
        .collect();
    let refs: Vec<&tsunagu_standard::Document> = documents.iter().collect();
    let html = tsunagu_standard::forms::render_html(&refs);
    let partner = app.shared.partner_name(&office).await;
    let direction = if flow == Flow::Sent {
        "送信先"
    } else {
        "送信元"
    };
    let toolbar = format!(
        "<nav class=\"toolbar no-print\"><a href=\"{back}\">← {back_label}</a> \
         <span>{direction}: {} ／ ファイル連番 {} ／ {} ファイル</span> \
         <span class=\"hint\">印刷はブラウザの印刷（Ctrl+P）から。A4 横向きで印刷されます。</span></nav>",
        esc(&partner),
        esc(&unit.unit_id),
        files.len()
    );
    Html(with_toolbar(&html, &toolbar)).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        message_page(
            "見つかりません",
            "E-DESK-097 この送信単位の帳票はこの端末にありません。",
        ),
    )
        .into_response()
}
