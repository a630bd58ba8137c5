//! 設定: the outbox and import folders (stored in the office data folder), whether partner
//! office numbers are reported to the hub, the hub, this office and its devices, and how the
//! sync is doing.

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::App;
use super::chrome::{Chrome, error_page, render};
use super::partners::KeyView;
use super::security::Session;
use crate::error::DeskError;
use crate::settings::DeskSettings;
use crate::sync::{Level, lock};

#[derive(Template)]
#[template(path = "settings.html")]
struct Page {
    chrome: Chrome,
    outbox_dir: String,
    import_dir: String,
    outbox_abs: String,
    import_abs: String,
    data_dir: String,
    hub_url: String,
    municipality: String,
    device_name: String,
    device_id: String,
    fingerprint: String,
    devices: Vec<KeyView>,
    last_ok: String,
    last_error: String,
    retry_in: String,
    quiet_secs: u64,
    hub_secs: u64,
    report_partners: bool,
}

pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let shared = &app.shared;
    let desk = &shared.desk;
    let s = shared.settings();
    let devices = match desk.store.pinned(&desk.config.office_id).await {
        Ok(keys) => keys
            .iter()
            .map(|k| KeyView {
                fingerprint: k.fingerprint.clone(),
                device: k.device_name.clone(),
                how: k.how.label_ja(),
                since: crate::format_jst(k.pinned_at),
            })
            .collect(),
        Err(e) => return error_page(&e.to_string()),
    };
    let health = lock(&shared.health).clone();
    render(&Page {
        chrome: Chrome::new(&app, &session, "settings", "設定"),
        outbox_dir: s.outbox_dir.display().to_string(),
        import_dir: s.import_dir.display().to_string(),
        outbox_abs: s.outbox(&desk.dir).display().to_string(),
        import_abs: s.import(&desk.dir).display().to_string(),
        data_dir: desk.dir.root().display().to_string(),
        hub_url: desk.config.hub_url.clone(),
        municipality: desk.config.municipality_code.clone(),
        device_name: desk.config.device_name.clone(),
        device_id: desk.config.device_id.clone(),
        fingerprint: desk.config.fingerprint.clone(),
        devices,
        last_ok: health
            .last_ok
            .map(crate::format_jst)
            .unwrap_or_else(|| "まだありません".into()),
        last_error: health.last_error.unwrap_or_default(),
        retry_in: health
            .retry_in
            .map(|s| format!("{s} 秒後に再試行します"))
            .unwrap_or_default(),
        quiet_secs: shared.timing.quiet.as_secs(),
        hub_secs: shared.timing.hub_interval.as_secs(),
        report_partners: s.report_partners,
    })
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    outbox_dir: String,
    import_dir: String,
}

/// `POST /settings`: saves the folders (created if missing).
pub async fn save(State(app): State<Arc<App>>, Form(f): Form<SettingsForm>) -> Response {
    let shared = &app.shared;
    let (outbox, import) = (f.outbox_dir.trim(), f.import_dir.trim());
    if outbox.is_empty() || import.is_empty() || outbox == import {
        shared.notify(
            Level::Error,
            DeskError::FoldersInvalid.to_string(),
            Some("/settings".into()),
        );
        return Redirect::to("/settings").into_response();
    }
    let next = DeskSettings {
        outbox_dir: PathBuf::from(outbox),
        import_dir: PathBuf::from(import),
        ..shared.settings()
    };
    let saved = next
        .create_folders(&shared.desk.dir)
        .and_then(|()| next.save(&shared.desk.dir));
    match saved {
        Ok(()) => {
            *shared.settings.write().unwrap_or_else(|p| p.into_inner()) = next;
            tracing::info!("folder settings changed");
            shared.notify(
                Level::Info,
                "フォルダの設定を保存しました",
                Some("/settings".into()),
            );
            shared.retry_held(None);
        }
        Err(e) => shared.notify(Level::Error, e.to_string(), Some("/settings".into())),
    }
    Redirect::to("/settings").into_response()
}

#[derive(serde::Deserialize)]
pub struct PartnerReportForm {
    /// Present ("on") when the box is ticked; browsers send nothing for an unticked box.
    report_partners: Option<String>,
}

/// `POST /settings/partner-report`: turns reporting partner office numbers on or off. Turning
/// it off withdraws the report at the next sync.
pub async fn save_partner_report(
    State(app): State<Arc<App>>,
    Form(f): Form<PartnerReportForm>,
) -> Response {
    let shared = &app.shared;
    let next = DeskSettings {
        report_partners: f.report_partners.is_some(),
        ..shared.settings()
    };
    match next.save(&shared.desk.dir) {
        Ok(()) => {
            let on = next.report_partners;
            *shared.settings.write().unwrap_or_else(|p| p.into_inner()) = next;
            tracing::info!(on, "partner report setting changed");
            shared.notify(
                Level::Info,
                if on {
                    "取引先の事業所番号をハブに報告します"
                } else {
                    "取引先の報告をやめました（これまでの報告は次の同期で取り下げます）"
                },
                Some("/settings".into()),
            );
            shared.partners_due();
        }
        Err(e) => shared.notify(Level::Error, e.to_string(), Some("/settings".into())),
    }
    Redirect::to("/settings").into_response()
}

/// `POST /sync`: sync with the hub now.
pub async fn sync_now(State(app): State<Arc<App>>) -> Response {
    app.shared.retry_held(None);
    Redirect::to("/settings").into_response()
}
