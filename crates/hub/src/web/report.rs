//! 報告書: one printable page for a council meeting — the figures, the per-圏域 table, the
//! stacked bars, the rate over time and the map, the time study's composition per センター
//! (and before/after), and the effect per month with the assumptions it rests on, with the date
//! and the sources stated.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::effect::Basis;

use super::areas::{Row, bars_svg};
use super::chrome::{Chrome, render};
use super::city::{self, City, TIMESTUDY_KINDS};
use super::effect::{self, MonthRow, yen};
use super::session::MuniUser;
use super::svg;
use super::timestudy::{self, Chart, CompareRow};
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
    studies: Vec<Study>,
    effect_months: Vec<MonthRow>,
    effect_total: MonthRow,
    effect_chart: String,
    effect_legend: Vec<(&'static str, String)>,
    effect_hours: String,
    effect_yen: String,
    effect_city_study: bool,
    /// The assumptions the city changed: label, value with unit, when and by whom.
    effect_changed: Vec<String>,
    effect_wage: String,
}

/// One category set with records, as the report prints it.
pub struct Study {
    pub name: String,
    pub persons: usize,
    pub records: usize,
    pub legend: Vec<(&'static str, String)>,
    pub charts: Vec<Chart>,
    pub compare: Vec<CompareRow>,
}

/// Every set with records: composition per センター (whole day) and the before/after table.
fn studies(city: &City) -> Result<Vec<Study>, WebError> {
    let mut out = Vec::new();
    for (_, set_id) in TIMESTUDY_KINDS {
        let Some(records) = city.timestudies.get(set_id) else {
            continue;
        };
        let Some(sel) = timestudy::by_center(set_id) else {
            continue;
        };
        let set: &CategorySet = &sel.set;
        out.push(Study {
            name: set.name.clone(),
            persons: records
                .iter()
                .map(|r| r.subject.person.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            records: records.len(),
            legend: set
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| (svg::part_color(i), g.name.clone()))
                .collect(),
            charts: timestudy::composition_charts(city, &sel, false)?,
            compare: timestudy::compare_rows(city, &sel),
        });
    }
    Ok(out)
}

/// `GET /m/report`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let report = city.report();
    let effect_report = effect::report(&city);
    let sum = effect::summary(&effect_report)?;
    let params = effect::params(&city);
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
        studies: studies(&city)?,
        effect_hours: format!("{:.1}", sum.all.minutes / 60.0),
        effect_yen: yen(sum.all.total_yen()),
        effect_months: sum.months,
        effect_total: sum.total,
        effect_chart: sum.chart,
        effect_legend: sum.legend,
        effect_city_study: city
            .timestudies
            .contains_key(tsunagu_insight::categories::EXCHANGE),
        effect_changed: params
            .all()
            .into_iter()
            .filter(|p| p.basis == Basis::UserSet)
            .map(|p| {
                format!(
                    "{} {} {}（{}）",
                    p.label,
                    super::effect_settings::value_text(p.value),
                    p.unit,
                    p.source
                )
            })
            .collect(),
        effect_wage: format!(
            "{} {}（{}）",
            yen(params.hourly_labour_yen.value),
            params.hourly_labour_yen.unit,
            if params.hourly_labour_yen.basis == Basis::UserSet {
                "この市区町村が設定"
            } else {
                params.hourly_labour_yen.basis.label()
            }
        ),
    })
}
