//! 取引先: the offices in my files and units — on Tsunagu or not, pinned key fingerprints, keys
//! waiting for confirmation (trusted only when the fingerprint is typed in and matches), an
//! invitation for offices not on Tsunagu, and exactly what is reported to the hub as this
//! office's partners (office numbers only; see [`crate::partner_report`]).

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use tsunagu_standard::OfficeId;

use super::App;
use super::chrome::{Chrome, error_page, render};
use super::security::Session;
use crate::sync::Level;

pub struct KeyView {
    pub fingerprint: String,
    pub device: String,
    pub how: &'static str,
    pub since: String,
}

pub struct PartnerRow {
    pub office_id: String,
    pub name: String,
    pub on_hub: &'static str,
    pub on_hub_css: &'static str,
    pub not_on_hub: bool,
    pub is_self: bool,
    pub pinned: Vec<KeyView>,
    /// (fingerprint, device name) in the hub's directory, not yet trusted.
    pub unconfirmed: Vec<(String, String)>,
    pub sent: usize,
    pub received: usize,
    pub held: usize,
}

/// One line of 「ハブに報告する取引先（事業所番号のみ）」.
pub struct ReportRow {
    pub office_number: String,
    /// 「3 件／月」, or empty when not counted.
    pub units: String,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct Page {
    chrome: Chrome,
    rows: Vec<PartnerRow>,
    hub_error: String,
    report_on: bool,
    report_rows: Vec<ReportRow>,
    report_last: String,
    report_days: i64,
}

pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let shared = &app.shared;
    // The hub is asked, but a slow hub must not hang the page.
    let listed = match tokio::time::timeout(
        Duration::from_secs(8),
        crate::partners::list(&shared.desk, true),
    )
    .await
    {
        Ok(r) => r.map(|(list, e)| (list, e.map(|e| e.to_string()))),
        Err(_) => crate::partners::list(&shared.desk, false)
            .await
            .map(|(list, _)| (list, Some("E-DESK-010 ハブの応答がありません".to_string()))),
    };
    let (list, hub_error) = match listed {
        Ok(l) => l,
        Err(e) => return error_page(&e.to_string()),
    };
    let held = crate::sync::lock(&shared.held).clone();
    let rows = list
        .into_iter()
        .map(|p| {
            let (on_hub, on_hub_css) = match p.on_hub {
                Some(true) => ("Tsunagu 利用中", "ok"),
                Some(false) => ("未利用（FAX など）", "warn"),
                None => ("未確認", "info"),
            };
            PartnerRow {
                office_id: p.office_id.to_string(),
                name: p.name.unwrap_or_else(|| "（名称未登録）".into()),
                on_hub,
                on_hub_css,
                not_on_hub: p.on_hub == Some(false),
                is_self: p.is_self,
                pinned: p
                    .pinned
                    .iter()
                    .map(|k| KeyView {
                        fingerprint: k.fingerprint.clone(),
                        device: k.device_name.clone(),
                        how: k.how.label_ja(),
                        since: crate::format_jst(k.pinned_at),
                    })
                    .collect(),
                unconfirmed: p.unconfirmed,
                sent: p.sent_units,
                received: p.received_units,
                held: held
                    .iter()
                    .filter(|h| h.recipient == Some(p.office_id))
                    .count(),
            }
        })
        .collect();
    let settings = shared.settings();
    let report_rows =
        if settings.report_partners {
            // Exactly what the next report would send (the same function builds it).
            let partners =
                match crate::partner_report::collect(&shared.desk, &settings, crate::now_unix())
                    .await
                {
                    Ok(p) => p,
                    Err(e) => return error_page(&e.to_string()),
                };
            crate::partner_report::report_body(&partners)
                .partners
                .into_iter()
                .map(|p| ReportRow {
                    office_number: p.office_number,
                    units: p
                        .units_per_month
                        .map(|u| format!("{u} 件／月"))
                        .unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
    let report_last = match crate::partner_report::LastReport::load(&shared.desk.dir) {
        Some(l) if l.partners > 0 => {
            format!("{}（{} 件）", crate::format_jst(l.reported_at), l.partners)
        }
        Some(l) => format!(
            "{}（報告を取り下げました）",
            crate::format_jst(l.reported_at)
        ),
        None => "まだ報告していません".into(),
    };
    render(&Page {
        chrome: Chrome::new(&app, &session, "partners", "取引先"),
        rows,
        hub_error: hub_error.unwrap_or_default(),
        report_on: settings.report_partners,
        report_rows,
        report_last,
        report_days: crate::partner_report::LOOKBACK_DAYS,
    })
}

#[derive(serde::Deserialize)]
pub struct TrustForm {
    office: String,
    fingerprint: String,
}

/// `POST /partners/trust`: pins the key whose fingerprint the person typed (after confirming it
/// with the partner by phone).
pub async fn trust(State(app): State<Arc<App>>, Form(f): Form<TrustForm>) -> Response {
    let shared = &app.shared;
    let Ok(office) = OfficeId::parse(f.office.trim()) else {
        return error_page("E-DESK-031 事業所番号が正しくありません。");
    };
    let typed = f.fingerprint.trim().to_ascii_uppercase();
    match crate::partners::trust(&shared.desk, &office, &typed).await {
        Ok(pin) => {
            tracing::info!(office = %office, "partner key confirmed in the UI");
            shared.notify(
                Level::Info,
                format!("{office} の鍵（指紋 {}）を信頼しました", pin.fingerprint),
                Some("/partners".into()),
            );
            // Units held for this key are tried again.
            shared.retry_held(None);
        }
        Err(e) => shared.notify(Level::Error, e.to_string(), Some("/partners".into())),
    }
    Redirect::to("/partners").into_response()
}
