//! 概要: counts, the adoption rate and its change since the last snapshot, the rate over time
//! (SVG), and the snapshots with a button to take one.

use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use serde::Deserialize;
use tsunagu_insight::adoption::adoption_trend;
use tsunagu_insight::{AdoptionStatus, Day, OfficeGroup};

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::session::{MuniUser, see_other};
use super::{change_label, format_jst, muni_chrome, svg};
use crate::error::WebError;
use crate::startup::AppState;

pub struct SnapRow {
    pub as_of: String,
    pub reason: &'static str,
    pub taken_at: String,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Page {
    chrome: Chrome,
    has_open_data: bool,
    has_areas: bool,
    offices: u32,
    adopted: u32,
    considering: u32,
    not_planned: u32,
    rate: String,
    care_management: String,
    service: String,
    change: String,
    previous_as_of: String,
    registered: usize,
    active: usize,
    unmatched: usize,
    trend_svg: String,
    snapshots: Vec<SnapRow>,
    today: String,
}

/// The rate-over-time chart: overall and per office group, one point per snapshot (and now).
pub fn trend_svg(city: &City) -> Result<String, WebError> {
    let series = city.series();
    let points = adoption_trend(&city.master.offices, &city.assignments, &series);
    let labels: Vec<String> = series.iter().map(|s| s.as_of.to_string()).collect();
    let pick = |group: Option<OfficeGroup>| -> Vec<Option<f64>> {
        series
            .iter()
            .map(|s| {
                points
                    .iter()
                    .find(|p| p.as_of == s.as_of && p.area.is_none() && p.group == group)
                    .and_then(|p| p.rate.percent())
            })
            .collect()
    };
    svg::line_chart(
        "導入率の推移",
        &labels,
        &[
            ("全体".into(), pick(None)),
            (
                OfficeGroup::CareManagement.label().into(),
                pick(Some(OfficeGroup::CareManagement)),
            ),
            (
                OfficeGroup::Service.label().into(),
                pick(Some(OfficeGroup::Service)),
            ),
        ],
    )
}

/// `GET /m`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let report = city.report();
    let t = &report.total;
    let count = |s: AdoptionStatus| t.counts.get(&s).copied().unwrap_or(0);
    let snapshots = city
        .history
        .iter()
        .rev()
        .map(|d| {
            let r = tsunagu_insight::adoption::adoption_by_area(
                &city.master.offices,
                &city.table,
                &city.assignments,
                &d.snapshot,
                None,
            );
            SnapRow {
                as_of: d.snapshot.as_of.to_string(),
                reason: if d.reason == "manual" {
                    "手動"
                } else {
                    "自動（データ更新時）"
                },
                taken_at: format_jst(d.taken_at),
                rate: r.total.rate.percent_label(),
            }
        })
        .collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "概要", "overview"),
        has_open_data: city.has_open_data,
        has_areas: city.has_areas,
        offices: t.offices,
        adopted: count(AdoptionStatus::Adopted),
        considering: count(AdoptionStatus::Considering),
        not_planned: count(AdoptionStatus::NotPlanned),
        rate: t.rate.percent_label(),
        care_management: t.care_management.percent_label(),
        service: t.service.percent_label(),
        change: change_label(t.change_points),
        previous_as_of: report
            .previous_as_of
            .map(|d| d.to_string())
            .unwrap_or_default(),
        registered: city.registered.len(),
        active: city.active.len(),
        unmatched: city.assignments.unmatched().len(),
        trend_svg: trend_svg(&city)?,
        snapshots,
        today: city.today.to_string(),
    })
}

#[derive(Deserialize)]
pub struct SnapshotForm {
    as_of: String,
}

/// `POST /m/snapshots`: stores the snapshot of the given day (default today) from what is known.
pub async fn take_snapshot(
    State(state): State<AppState>,
    user: MuniUser,
    Form(f): Form<SnapshotForm>,
) -> Result<Response, WebError> {
    let as_of = match f.as_of.trim() {
        "" => city::today_jst(),
        s => Day::parse(s).ok_or_else(|| {
            WebError::BadInput(format!(
                "E-WEB-DATE 日付「{s}」が読めません。2025-06-30 の形で入力してください。"
            ))
        })?,
    };
    city::store_snapshot(&state, &user.muni_id, as_of, "manual").await?;
    Ok(see_other("/m"))
}
