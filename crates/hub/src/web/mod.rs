//! The web pages of the hub (askama, server-rendered, no script): login, the operator's
//! municipality accounts, and the municipal dashboard — one file per screen. Every dashboard
//! page takes a [`session::MuniUser`] and reads only that account's data through [`city`];
//! anything else answers 404.
//!
//! What the dashboard may count is what the hub can see: offices, devices and envelope routing
//! metadata (never contents), plus the files and answers the city itself supplies.

pub mod account;
pub mod areas;
pub mod chrome;
pub mod city;
pub mod csv;
pub mod data;
pub mod departures;
pub mod effect;
pub mod effect_settings;
pub mod groups;
pub mod invite;
pub mod login;
pub mod login_limit;
pub mod map;
pub mod muni_setting;
pub mod offices;
pub mod operator;
pub mod outreach;
pub mod overview;
pub mod report;
pub mod session;
pub mod survey;
pub mod survey_questions;
pub mod svg;
pub mod timestudy;
pub mod timestudy_entry;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::WebError;
use crate::startup::AppState;
use city::City;
use session::MuniUser;

/// Uploaded files (open data of a whole prefecture can be large).
const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// The web pages, with the CSRF check and the security headers.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(login::home))
        .route("/static/hub.css", get(chrome::css))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/operator", get(operator::page))
        .route("/operator/municipalities", post(operator::create))
        .route(
            "/operator/municipalities/{muni_id}/users",
            post(operator::add_user),
        )
        .route("/m", get(overview::page))
        .route("/m/snapshots", post(overview::take_snapshot))
        .route("/m/areas", get(areas::page))
        .route("/m/groups", get(groups::page))
        .route("/m/departures", get(departures::page))
        .route("/m/map", get(map::page))
        .route("/m/outreach", get(outreach::page))
        .route("/m/invites", post(invite::issue))
        .route("/m/offices", get(offices::list))
        .route("/m/offices/assign", post(offices::assign))
        .route("/m/offices/{office}", get(offices::detail))
        .route("/m/report", get(report::page))
        .route("/m/account", get(account::page))
        .route("/m/timestudy", get(timestudy::page))
        .route(
            "/m/timestudy/composition.csv",
            get(timestudy::composition_csv),
        )
        .route("/m/timestudy/compare.csv", get(timestudy::compare_csv))
        .route("/m/timestudy/links", post(timestudy_entry::issue))
        .route(
            "/m/timestudy/links/{id}/cancel",
            post(timestudy_entry::cancel),
        )
        .route("/t/{token}", get(timestudy_entry::form))
        .route("/t/{token}/grid", post(timestudy_entry::save_grid))
        .route("/t/{token}/start", post(timestudy_entry::start))
        .route("/t/{token}/stop", post(timestudy_entry::stop))
        .route("/m/effect", get(effect::page))
        .route("/m/effect/assumptions", post(effect_settings::save_form))
        .route("/m/effect/assumptions/reset", post(effect_settings::reset))
        .route("/m/effect/{name}", get(effect::csv))
        .route("/m/data", get(data::page))
        .route(
            "/m/data/upload",
            post(data::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/m/data/delete", post(data::delete))
        .route("/m/csv/{name}", get(csv::download))
        .route("/m/survey", get(survey::page))
        .route("/m/survey/links", post(survey::issue))
        .route("/m/survey/questions", post(survey_questions::add))
        .route(
            "/m/survey/questions/{id}/delete",
            post(survey_questions::remove),
        )
        .route("/a/{token}", get(survey::form).post(survey::answer))
        .route("/m/{*rest}", get(not_found))
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::csrf_guard,
        ))
        .layer(axum::middleware::from_fn(session::headers))
}

async fn not_found() -> WebError {
    WebError::NotFound
}

/// The frame of a municipality page.
pub fn muni_chrome(
    user: &MuniUser,
    city: &City,
    title: &str,
    active: &'static str,
) -> chrome::Chrome {
    chrome::Chrome {
        title: title.to_string(),
        login: user.session.user.login.clone(),
        csrf: user.session.csrf.clone(),
        muni_name: city.muni.name.clone(),
        role: "municipality",
        active,
    }
}

/// `2026-11-25 14:03` in Japan time.
pub fn format_jst(unix: i64) -> String {
    let t = crate::to_datetime(unix).to_offset(time::macros::offset!(+9));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `+3.2` / `−1.0` points, or empty.
pub fn change_label(points: Option<f64>) -> String {
    match points {
        Some(p) if p > 0.05 => format!("+{p:.1}ポイント"),
        Some(p) if p < -0.05 => format!("−{:.1}ポイント", -p),
        Some(_) => "±0.0ポイント".into(),
        None => String::new(),
    }
}
