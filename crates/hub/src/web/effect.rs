//! 効果: minutes and yen saved per office and month, from the send units actually exchanged on
//! the hub (routing metadata only: sender, recipient, month, count) × per-unit minutes from the
//! city's own exchange-task time study, or the documented defaults with their sources
//! (`tsunagu_insight::effect`), split into labour, paper, postage and transport. Every number
//! the model uses is on the page, with where it comes from, and the city can change it there
//! ([`super::effect_settings`]); the tables download as CSV.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tsunagu_insight::categories;
use tsunagu_insight::effect::{self, Basis, EffectParams, EffectReport, MonthEffect, Saving};
use tsunagu_insight::offices::{Office, OfficeGroup, OfficeNo, OfficeService};
use tsunagu_insight::report_csv::{self, Table};

use super::chrome::{Chrome, csv_download, render};
use super::city::{self, City};
use super::effect_settings::{FormError, value_text};
use super::muni_chrome;
use super::session::MuniUser;
use super::svg::{self, ShareBarInput};
use crate::error::WebError;
use crate::startup::AppState;

/// The downloadable effect tables: file name and what it holds.
pub const TABLES: [(&str, &str); 3] = [
    ("months.csv", "市全体の月別削減効果"),
    ("offices.csv", "事業所別・月別の削減効果"),
    ("assumptions.csv", "計算の前提と出典"),
];

/// The model's numbers before the city's own changes: its exchange-task study where it has
/// counts, else the documented defaults.
pub fn base_params(city: &City) -> EffectParams {
    let p = EffectParams::default();
    match city.timestudies.get(categories::EXCHANGE) {
        Some(records) => p.with_city_study(records),
        None => p,
    }
}

/// The model's numbers: [`base_params`] with the numbers the city set on the page.
pub fn params(city: &City) -> EffectParams {
    city.effect_overrides.apply(&base_params(city))
}

/// The open data's offices plus those only on the hub, named and typed (居宅介護支援 or service
/// office) from their hub registration.
pub fn offices(city: &City) -> Vec<Office> {
    let mut out = city.master.offices.clone();
    for h in &city.hub_offices {
        let number = OfficeNo::from(h.office_id);
        if out.iter().any(|o| o.number == number) {
            continue;
        }
        let kind = h.office_id.kind;
        out.push(Office {
            number,
            name: h.name.clone(),
            name_kana: String::new(),
            services: vec![OfficeService {
                name: String::new(),
                kind: Some(kind),
                file_code: None,
            }],
            group: if kind.is_care_management() {
                OfficeGroup::CareManagement
            } else {
                OfficeGroup::Service
            },
            municipality_code: h.municipality_code.clone(),
            prefecture: String::new(),
            city: String::new(),
            address: String::new(),
            building: String::new(),
            location: None,
            phone: String::new(),
            fax: String::new(),
            corporate_number: String::new(),
            corporate_name: String::new(),
            url: String::new(),
            sources: Vec::new(),
        });
    }
    out
}

/// The effect for this municipality's offices only: units with partners elsewhere count for
/// the city's side of the exchange, and the monthly totals are summed from those offices.
pub fn report(city: &City) -> EffectReport {
    let mut r = effect::effect_with_plans(
        &offices(city),
        &city.unit_edges,
        &city.plan_edges,
        &params(city),
    );
    r.per_office.retain(|o| city.knows(&o.office));
    r.unknown_offices.retain(|o| city.knows(o));
    let mut months: BTreeMap<String, MonthEffect> = BTreeMap::new();
    for o in &r.per_office {
        let m = months
            .entry(o.month.clone())
            .or_insert_with(|| MonthEffect {
                month: o.month.clone(),
                offices: 0,
                saving: Saving::default(),
            });
        m.offices += 1;
        m.saving.add(&o.saving);
    }
    r.per_month = months.into_values().collect();
    r
}

pub struct MonthRow {
    pub month: String,
    pub offices: u32,
    pub units: u32,
    /// Of the units sent, plan units (no service month, counted in the month exchanged).
    pub plans: u32,
    pub hours: String,
    pub labour: String,
    pub paper: String,
    pub postage: String,
    pub transport: String,
    pub total: String,
}

pub struct OfficeRow {
    pub month: String,
    pub number: String,
    pub name: String,
    pub group: &'static str,
    pub sent: u32,
    pub received: u32,
    /// Of those sent and received, plan units.
    pub plans: u32,
    pub minutes: String,
    pub total: String,
}

pub struct ParamRow {
    pub key: String,
    pub label: String,
    pub value: String,
    pub unit: String,
    pub basis: &'static str,
    pub source: String,
    /// Set by the city (the source says when and what it replaced).
    pub changed: bool,
    /// Why the value typed into this row was refused.
    pub error: String,
}

#[derive(Template)]
#[template(path = "effect.html")]
struct Page {
    chrome: Chrome,
    months: Vec<MonthRow>,
    total: MonthRow,
    offices: Vec<OfficeRow>,
    assumptions: Vec<ParamRow>,
    references: Vec<ParamRow>,
    /// The stored version of the city's changes (the form sends it back).
    version: i64,
    changed: usize,
    /// Refusals of the form not tied to one row (e.g. the shares together).
    form_errors: Vec<String>,
    notice: &'static str,
    sender_minutes: String,
    recipient_cm: String,
    recipient_service: String,
    city_study: bool,
    /// Whether any unit counted is a plan unit (the page then says how they are counted).
    has_plans: bool,
    has_errors: bool,
    unknown: Vec<String>,
    chart: String,
    legend: Vec<(&'static str, String)>,
}

/// `12,345`.
pub fn yen(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

fn month_row(month: &str, offices: u32, s: &Saving) -> MonthRow {
    MonthRow {
        month: month.to_string(),
        offices,
        units: s.units_sent,
        plans: s.plan_units_sent,
        hours: format!("{:.1}", s.minutes / 60.0),
        labour: yen(s.labour_yen),
        paper: yen(s.paper_yen),
        postage: yen(s.postage_yen),
        transport: yen(s.transport_yen),
        total: yen(s.total_yen()),
    }
}

fn param_row(p: &effect::Param) -> ParamRow {
    ParamRow {
        key: p.key.to_string(),
        label: p.label.to_string(),
        value: value_text(p.value),
        unit: p.unit.to_string(),
        basis: if p.basis == Basis::UserSet {
            "この市区町村が変更"
        } else {
            p.basis.label()
        },
        source: p.source.clone(),
        changed: p.basis == Basis::UserSet,
        error: String::new(),
    }
}

/// `?saved=1` / `?reset=1` after a save.
#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    reset: Option<String>,
}

/// `GET /m/effect`.
pub async fn page(
    State(state): State<AppState>,
    user: MuniUser,
    Query(n): Query<Notice>,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let notice = if n.saved.is_some() {
        "前提を保存しました。上の表はこの前提で計算し直しています。"
    } else if n.reset.is_some() {
        "前提を既定値に戻しました。"
    } else {
        ""
    };
    render_page(&user, &city, notice, &[], &[])
}

/// The page again after a refused save: the numbers as typed, the reasons beside their rows,
/// status 400.
pub fn page_with_errors(
    user: &MuniUser,
    city: &City,
    typed: &[(String, String)],
    errors: &[FormError],
) -> Result<Response, WebError> {
    let mut res = render_page(user, city, "", typed, errors)?;
    *res.status_mut() = StatusCode::BAD_REQUEST;
    Ok(res)
}

/// The city-wide figures of the effect: per month, the total, and the breakdown chart — what
/// 効果 shows first and 報告書 prints.
pub struct Summary {
    pub months: Vec<MonthRow>,
    pub total: MonthRow,
    /// Empty when nothing was exchanged.
    pub chart: String,
    pub legend: Vec<(&'static str, String)>,
    /// Every figure summed: minutes and yen over all months.
    pub all: Saving,
}

/// The [`Summary`] of a report.
pub fn summary(r: &EffectReport) -> Result<Summary, WebError> {
    let mut all = Saving::default();
    let mut office_months = 0;
    for m in &r.per_month {
        all.add(&m.saving);
        office_months += m.offices;
    }
    let parts = ["人件費", "紙代", "郵送料", "交通費"].map(String::from);
    let bars: Vec<ShareBarInput> = r
        .per_month
        .iter()
        .map(|m| {
            let s = &m.saving;
            ShareBarInput {
                label: m.month.clone(),
                values: [s.labour_yen, s.paper_yen, s.postage_yen, s.transport_yen]
                    .map(|v| v.max(0.0).round() as u64)
                    .to_vec(),
                right: format!("{}円", yen(s.total_yen())),
            }
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        svg::share_bars("月別の削減額の内訳（%）", &parts, &bars, "円")?
    };
    Ok(Summary {
        months: r
            .per_month
            .iter()
            .map(|m| month_row(&m.month, m.offices, &m.saving))
            .collect(),
        total: month_row("合計（事業所数は延べ）", office_months, &all),
        chart,
        legend: parts
            .iter()
            .enumerate()
            .map(|(i, p)| (svg::part_color(i), p.clone()))
            .collect(),
        all,
    })
}

fn render_page(
    user: &MuniUser,
    city: &City,
    notice: &'static str,
    typed: &[(String, String)],
    errors: &[FormError],
) -> Result<Response, WebError> {
    let r = report(city);
    let sum = summary(&r)?;
    render(&Page {
        chrome: muni_chrome(user, city, "効果（削減時間と金額）", "effect"),
        months: sum.months,
        total: sum.total,
        offices: r
            .per_office
            .iter()
            .map(|o| OfficeRow {
                month: o.month.clone(),
                number: o.office.to_string(),
                name: o.name.clone(),
                group: o.group.label(),
                sent: o.saving.units_sent,
                received: o.saving.units_received,
                plans: o.saving.plan_units_sent + o.saving.plan_units_received,
                minutes: format!("{:.1}", o.saving.minutes),
                total: yen(o.saving.total_yen()),
            })
            .collect(),
        changed: city.effect_overrides.values.len(),
        assumptions: r
            .assumptions
            .iter()
            .map(|p| {
                let mut row = param_row(p);
                if let Some((_, v)) = typed
                    .iter()
                    .find(|(k, _)| k.strip_prefix("p_") == Some(p.key))
                {
                    row.value = v.trim().to_string();
                }
                if let Some((_, e)) = errors.iter().find(|(l, _)| l == p.label) {
                    row.error = e.clone();
                }
                row
            })
            .collect(),
        references: r.references.iter().map(param_row).collect(),
        version: city.effect_version,
        form_errors: errors
            .iter()
            .filter(|(l, _)| l.is_empty())
            .map(|(_, e)| e.clone())
            .collect(),
        notice,
        sender_minutes: format!("{:.2}", r.sender_minutes_per_unit),
        recipient_cm: format!("{:.2}", r.recipient_minutes_per_unit_cm),
        recipient_service: format!("{:.2}", r.recipient_minutes_per_unit_service),
        city_study: city.timestudies.contains_key(categories::EXCHANGE),
        has_plans: sum.all.plan_units_sent > 0,
        has_errors: !errors.is_empty(),
        unknown: r.unknown_offices.iter().map(|o| o.to_string()).collect(),
        chart: sum.chart,
        legend: sum.legend,
    })
}

/// The CSV of one effect table.
pub fn table(city: &City, name: &str) -> Option<Table> {
    let r = report(city);
    match name {
        "months.csv" => Some(report_csv::effect_month_table(&r)),
        "offices.csv" => Some(report_csv::effect_office_table(&r)),
        "assumptions.csv" => Some(report_csv::assumptions_table(&r)),
        _ => None,
    }
}

/// `GET /m/effect/{name}.csv`.
pub async fn csv(
    State(state): State<AppState>,
    user: MuniUser,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    if !TABLES.iter().any(|(n, _)| *n == name) {
        return Err(WebError::NotFound);
    }
    let city = city::load(&state, &user.muni_id).await?;
    let t = table(&city, &name).ok_or(WebError::NotFound)?;
    Ok(csv_download(
        &format!("{}_{}_効果_{name}", city.muni.name, city.today),
        t.to_excel_csv(),
    ))
}

#[cfg(test)]
mod tests {
    use super::yen;

    #[test]
    fn yen_has_thousands_separators() {
        assert_eq!(yen(0.4), "0");
        assert_eq!(yen(999.5), "1,000");
        assert_eq!(yen(1_234_567.0), "1,234,567");
        assert_eq!(yen(-1500.0), "−1,500");
    }
}
