//! 種別: adoption of 居宅介護支援 and of service offices side by side. They adopt for different
//! reasons (the 居宅 sends 提供票 to many partners; a service office waits for its 居宅), so a
//! city reads them apart: per 圏域 now (table and grouped bars) and over time from the stored
//! snapshots (table and lines). Both tables download as CSV.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tsunagu_insight::OfficeGroup;
use tsunagu_insight::adoption::{AdoptionRow, adoption_trend};
use tsunagu_insight::report_csv::Table;
use tsunagu_insight::stats::Ratio;

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::session::MuniUser;
use super::svg::{self, Axis, GroupedBarInput};
use super::{change_label, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;

/// The colours of the two groups: the same as their lines in the rate-over-time chart.
pub const CARE_MANAGEMENT_COLOR: &str = "#e65100";
pub const SERVICE_COLOR: &str = "#00897b";

pub struct GroupRow {
    pub label: String,
    pub center: String,
    pub cm_offices: u32,
    pub cm_adopted: u32,
    pub cm_rate: String,
    pub service_offices: u32,
    pub service_adopted: u32,
    pub service_rate: String,
    /// 居宅 minus service, in points.
    pub gap: String,
}

impl GroupRow {
    fn of(r: &AdoptionRow) -> Self {
        GroupRow {
            label: r.label.clone(),
            center: r.center.clone(),
            cm_offices: r.care_management.whole,
            cm_adopted: r.care_management.part,
            cm_rate: r.care_management.percent_label(),
            service_offices: r.service.whole,
            service_adopted: r.service.part,
            service_rate: r.service.percent_label(),
            gap: gap(&r.care_management, &r.service),
        }
    }
}

fn gap(cm: &Ratio, service: &Ratio) -> String {
    change_label(cm.percent().zip(service.percent()).map(|(a, b)| a - b))
}

pub struct TrendRow {
    pub as_of: String,
    pub cm: String,
    pub service: String,
    pub all: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct Page {
    chrome: Chrome,
    as_of: String,
    rows: Vec<GroupRow>,
    total: GroupRow,
    bars_svg: String,
    trend: Vec<TrendRow>,
    trend_svg: String,
}

fn ratio_text(r: &Ratio) -> String {
    format!("{}（{}/{}）", r.percent_label(), r.part, r.whole)
}

/// Grouped bars: per 圏域 (and 圏域未設定, 合計) the two groups' rates.
pub fn bars_svg(city: &City) -> Result<String, WebError> {
    let report = city.report();
    let rows: Vec<GroupedBarInput> = report
        .rows
        .iter()
        .chain(std::iter::once(&report.total))
        .map(|r| GroupedBarInput {
            label: r.label.clone(),
            values: vec![r.care_management.percent(), r.service.percent()],
            texts: vec![ratio_text(&r.care_management), ratio_text(&r.service)],
        })
        .collect();
    svg::grouped_bars(
        "種別ごとの導入率（圏域別）",
        &[
            (
                CARE_MANAGEMENT_COLOR,
                OfficeGroup::CareManagement.label().into(),
            ),
            (SERVICE_COLOR, OfficeGroup::Service.label().into()),
        ],
        &rows,
        Axis::Percent,
    )
}

/// Per snapshot (and now): the rate of each group and of all offices.
fn trend(city: &City) -> Vec<(String, Ratio, Ratio, Ratio)> {
    let series = city.series();
    let points = adoption_trend(&city.master.offices, &city.assignments, &series);
    series
        .iter()
        .map(|s| {
            let pick = |g: Option<OfficeGroup>| {
                points
                    .iter()
                    .find(|p| p.as_of == s.as_of && p.area.is_none() && p.group == g)
                    .map_or(Ratio::new(0, 0), |p| p.rate)
            };
            (
                s.as_of.to_string(),
                pick(Some(OfficeGroup::CareManagement)),
                pick(Some(OfficeGroup::Service)),
                pick(None),
            )
        })
        .collect()
}

/// `GET /m/groups`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let report = city.report();
    let trend = trend(&city)
        .iter()
        .map(|(as_of, cm, service, all)| TrendRow {
            as_of: as_of.clone(),
            cm: ratio_text(cm),
            service: ratio_text(service),
            all: ratio_text(all),
        })
        .collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "種別ごとの導入状況", "groups"),
        as_of: report.as_of.to_string(),
        rows: report.rows.iter().map(GroupRow::of).collect(),
        total: GroupRow::of(&report.total),
        bars_svg: bars_svg(&city)?,
        trend,
        trend_svg: super::overview::trend_svg(&city)?,
    })
}

/// `groups.csv`: the per-圏域 table of the page.
pub fn table(city: &City) -> Table {
    let report = city.report();
    let mut t = Table::new(
        &format!("種別ごとの導入率（{}時点）", report.as_of),
        [
            "圏域コード",
            "圏域",
            "地域包括支援センター",
            "居宅介護支援の事業所数",
            "居宅介護支援の導入",
            "居宅介護支援の導入率",
            "サービス事業所の事業所数",
            "サービス事業所の導入",
            "サービス事業所の導入率",
            "差（ポイント）",
        ]
        .map(String::from)
        .to_vec(),
    );
    for r in report.rows.iter().chain(std::iter::once(&report.total)) {
        t.rows.push(vec![
            r.area.clone().unwrap_or_default(),
            r.label.clone(),
            r.center.clone(),
            r.care_management.whole.to_string(),
            r.care_management.part.to_string(),
            r.care_management.percent_label(),
            r.service.whole.to_string(),
            r.service.part.to_string(),
            r.service.percent_label(),
            r.care_management
                .percent()
                .zip(r.service.percent())
                .map(|(a, b)| format!("{:+.1}", a - b))
                .unwrap_or_default(),
        ]);
    }
    t
}

/// `group_trend.csv`: the rates over time of the page.
pub fn trend_table(city: &City) -> Table {
    let mut t = Table::new(
        "種別ごとの導入率の推移",
        [
            "時点",
            "居宅介護支援の導入",
            "居宅介護支援の事業所数",
            "居宅介護支援の導入率",
            "サービス事業所の導入",
            "サービス事業所の事業所数",
            "サービス事業所の導入率",
            "全体の導入",
            "全体の事業所数",
            "全体の導入率",
        ]
        .map(String::from)
        .to_vec(),
    );
    for (as_of, cm, service, all) in trend(city) {
        let mut row = vec![as_of];
        for r in [cm, service, all] {
            row.extend([r.part.to_string(), r.whole.to_string(), r.percent_label()]);
        }
        t.rows.push(row);
    }
    t
}
