//! 報告書: one printable page for a council meeting — the figures, the per-圏域 table, the
//! stacked bars, the rate over time and the map, with the date and the sources stated.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::areas::{Row, bars_svg};
use super::chrome::{Chrome, render};
use super::city;
use super::session::MuniUser;
use super::{change_label, format_jst, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    chrome: Chrome,
    muni_name: String,
    today: String,
    generated: String,
    offices: u32,
    rate: String,
    change: String,
    previous_as_of: String,
    rows: Vec<Row>,
    total: Row,
    bars_svg: String,
    trend_svg: String,
    map_svg: String,
    responses: usize,
    registered: usize,
    active: usize,
    outreach: usize,
}

/// `GET /m/report`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let report = city.report();
    let outreach: usize = super::outreach::lists(&state, &city)
        .await?
        .iter()
        .map(|l| l.entries.len())
        .sum();
    render(&Page {
        chrome: muni_chrome(&user, &city, "ケアプランデータ連携の導入状況", "report"),
        muni_name: city.muni.name.clone(),
        today: city.today.to_string(),
        generated: format_jst(crate::now_unix()),
        offices: report.total.offices,
        rate: report.total.rate.percent_label(),
        change: change_label(report.total.change_points),
        previous_as_of: report
            .previous_as_of
            .map(|d| d.to_string())
            .unwrap_or_default(),
        rows: report.rows.iter().map(Row::of).collect(),
        total: Row::of(&report.total),
        bars_svg: bars_svg(&report)?,
        trend_svg: super::overview::trend_svg(&city)?,
        map_svg: super::map::map_svg(&city)?.0,
        responses: city.responses.len(),
        registered: city.registered.len(),
        active: city.active.len(),
        outreach,
    })
}
