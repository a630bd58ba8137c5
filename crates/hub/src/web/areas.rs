//! 圏域別: per 日常生活圏域 the offices, adopted, considering, not planned, rate and change since
//! the last snapshot, and 100% stacked bars of the statuses.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tsunagu_insight::AdoptionStatus;
use tsunagu_insight::adoption::{AdoptionReport, AdoptionRow};

use super::chrome::{Chrome, render};
use super::city;
use super::session::MuniUser;
use super::{change_label, muni_chrome, svg};
use crate::error::WebError;
use crate::startup::AppState;

pub struct Row {
    pub label: String,
    pub center: String,
    pub offices: u32,
    pub adopted: u32,
    pub planned: u32,
    pub considering: u32,
    pub not_planned: u32,
    pub other: u32,
    pub rate: String,
    pub previous: String,
    pub change: String,
    pub up: bool,
    pub down: bool,
}

impl Row {
    pub fn of(r: &AdoptionRow) -> Self {
        let c = |s: AdoptionStatus| r.counts.get(&s).copied().unwrap_or(0);
        let known = c(AdoptionStatus::Adopted)
            + c(AdoptionStatus::Planned)
            + c(AdoptionStatus::Considering)
            + c(AdoptionStatus::NotPlanned);
        Row {
            label: r.label.clone(),
            center: r.center.clone(),
            offices: r.offices,
            adopted: c(AdoptionStatus::Adopted),
            planned: c(AdoptionStatus::Planned),
            considering: c(AdoptionStatus::Considering),
            not_planned: c(AdoptionStatus::NotPlanned),
            other: r.offices - known,
            rate: r.rate.percent_label(),
            previous: r.previous.map(|p| p.percent_label()).unwrap_or_default(),
            change: change_label(r.change_points),
            up: r.change_points.is_some_and(|p| p > 0.05),
            down: r.change_points.is_some_and(|p| p < -0.05),
        }
    }
}

#[derive(Template)]
#[template(path = "areas.html")]
struct Page {
    chrome: Chrome,
    rows: Vec<Row>,
    total: Row,
    previous_as_of: String,
    bars_svg: String,
}

/// The stacked bars of the report's rows (areas, then 圏域未設定, then 合計).
pub fn bars_svg(report: &AdoptionReport) -> Result<String, WebError> {
    let inputs: Vec<svg::BarInput> = report
        .rows
        .iter()
        .chain(std::iter::once(&report.total))
        .map(|r| svg::BarInput {
            label: r.label.clone(),
            counts: AdoptionStatus::ALL
                .iter()
                .map(|s| (*s, r.counts.get(s).copied().unwrap_or(0)))
                .collect(),
            right: format!("導入率 {}", r.rate.percent_label()),
        })
        .collect();
    svg::stacked_bars("圏域別の導入状況（構成比）", &inputs)
}

/// `GET /m/areas`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let report = city.report();
    render(&Page {
        chrome: muni_chrome(&user, &city, "圏域別の導入状況", "areas"),
        rows: report.rows.iter().map(Row::of).collect(),
        total: Row::of(&report.total),
        previous_as_of: report
            .previous_as_of
            .map(|d| d.to_string())
            .unwrap_or_default(),
        bars_svg: bars_svg(&report)?,
    })
}
