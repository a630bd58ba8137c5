//! タイムスタディ: the city's uploaded time-study records (one built-in category set per file
//! kind) as the composition of working time per person, center or 圏域 — whole day, day and
//! night — drawn as 100% stacked bars of the set's groups, and the before/after comparison per
//! item with n, mean and median (`tsunagu_insight::timestudy`). Both tables download as CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::report_csv::{self, Table};
use tsunagu_insight::timestudy::{
    self, CompositionRow, GroupBy, Level, NightHours, Phase, Shift, TimeRecord, Unit,
};

use super::chrome::{Chrome, csv_download, render};
use super::city::{self, City, TIMESTUDY_KINDS};
use super::muni_chrome;
use super::session::MuniUser;
use super::svg::{self, ShareBarInput};
use super::timestudy_entry;
use crate::error::WebError;
use crate::startup::AppState;

/// `?set=center&by=center` (both optional).
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    set: String,
    #[serde(default)]
    by: String,
}

/// Grouping choices: query value, `GroupBy`, label.
const GROUPINGS: [(&str, GroupBy, &str); 3] = [
    ("person", GroupBy::Person, "職員ごと"),
    ("center", GroupBy::Center, "センターごと"),
    ("area", GroupBy::Area, "圏域ごと"),
];

/// What the query selects, resolved against what the city has.
pub struct Selection {
    pub set: CategorySet,
    pub by: GroupBy,
    pub by_value: &'static str,
    pub by_label: &'static str,
}

impl Params {
    /// The chosen set (default: the first with records) and grouping (default: center).
    pub fn resolve(&self, city: &City) -> Option<Selection> {
        let set_id = TIMESTUDY_KINDS
            .iter()
            .map(|(_, s)| *s)
            .find(|s| *s == self.set && city.timestudies.contains_key(s))
            .or_else(|| {
                TIMESTUDY_KINDS
                    .iter()
                    .map(|(_, s)| *s)
                    .find(|s| city.timestudies.contains_key(s))
            })?;
        let set = CategorySet::builtin(set_id)?;
        let (by_value, by, by_label) = GROUPINGS
            .iter()
            .find(|(v, _, _)| *v == self.by)
            .copied()
            .unwrap_or(GROUPINGS[1]);
        Some(Selection {
            set,
            by,
            by_value,
            by_label,
        })
    }
}

fn records<'a>(city: &'a City, set: &CategorySet) -> &'a [TimeRecord] {
    city.timestudies
        .get(set.id.as_str())
        .map_or(&[], |v| v.as_slice())
}

/// Composition rows with 圏域 codes replaced by their names.
pub fn composition_rows(city: &City, sel: &Selection) -> Vec<CompositionRow> {
    let mut rows = timestudy::composition(
        records(city, &sel.set),
        &sel.set,
        sel.by,
        NightHours::default(),
        Some(&city.assignments),
    );
    if sel.by == GroupBy::Area {
        for r in &mut rows {
            if city.table.area(&r.key).is_some() {
                r.key = city.area_name(Some(&r.key));
            }
        }
    }
    rows
}

pub fn comparison(city: &City, sel: &Selection) -> Vec<timestudy::Comparison> {
    timestudy::compare(
        records(city, &sel.set),
        &sel.set,
        Level::Category,
        Unit::PerPerson,
    )
}

pub struct SetLink {
    pub id: String,
    pub name: String,
    pub records: usize,
    pub active: bool,
}

pub struct Chart {
    pub title: String,
    pub svg: String,
}

pub struct CompareRow {
    pub name: String,
    pub before_n: usize,
    pub before_mean: String,
    pub before_median: String,
    pub after_n: usize,
    pub after_mean: String,
    pub after_median: String,
    pub mean_change: String,
    pub median_change: String,
}

#[derive(Template)]
#[template(path = "timestudy.html")]
struct Page {
    chrome: Chrome,
    sets: Vec<SetLink>,
    has_data: bool,
    set_id: String,
    set_name: String,
    set_source: String,
    by_value: &'static str,
    groupings: Vec<(&'static str, &'static str)>,
    persons: usize,
    records: usize,
    legend: Vec<(&'static str, String)>,
    charts: Vec<Chart>,
    compare: Vec<CompareRow>,
    night: String,
    /// Entry links for the people doing the study (never their tokens).
    entry_links: Vec<timestudy_entry::LinkRow>,
    /// (set id, set name) to choose for a new entry link.
    entry_sets: Vec<(String, String)>,
    today: String,
}

fn minutes(v: Option<f64>) -> String {
    v.map_or_else(String::new, |m| format!("{m:.1}"))
}

fn change(v: Option<f64>) -> String {
    match v {
        Some(m) if m > 0.05 => format!("+{m:.1}"),
        Some(m) if m < -0.05 => format!("−{:.1}", -m),
        Some(_) => "±0.0".into(),
        None => String::new(),
    }
}

fn clock(m: u32) -> String {
    format!("{}:{:02}", m / 60, m % 60)
}

/// The composition of working time per key of the selection as 100% stacked bars of the set's
/// groups, one chart per phase with records (single study, before, after). With `shifts`, 日中
/// and 夜間 bars follow a key that has night work (without it, 日中 is the whole day again).
pub fn composition_charts(
    city: &City,
    sel: &Selection,
    shifts: bool,
) -> Result<Vec<Chart>, WebError> {
    let rows = composition_rows(city, sel);
    let parts: Vec<String> = sel.set.groups.iter().map(|g| g.name.clone()).collect();
    let mut charts = Vec::new();
    for phase in [Phase::Single, Phase::Before, Phase::After] {
        let has_night = |key: &str| {
            shifts
                && rows.iter().any(|r| {
                    r.phase == phase
                        && r.key == key
                        && r.shift == Shift::Night
                        && r.total_minutes > 0
                })
        };
        let bars: Vec<ShareBarInput> = rows
            .iter()
            .filter(|r| {
                r.phase == phase
                    && r.total_minutes > 0
                    && (r.shift == Shift::All || has_night(&r.key))
            })
            .map(|r| ShareBarInput {
                label: match r.shift {
                    Shift::All => r.key.clone(),
                    s => format!("└ {}", s.label()),
                },
                values: r.groups.iter().map(|g| g.minutes).collect(),
                right: format!("{}人 {}分", r.persons, r.total_minutes),
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let title = if phase == Phase::Single {
            format!("業務時間の構成（{}、%）", sel.by_label)
        } else {
            format!("業務時間の構成 {}（{}、%）", phase.label(), sel.by_label)
        };
        charts.push(Chart {
            svg: svg::share_bars(&title, &parts, &bars, "分")?,
            title,
        });
    }
    Ok(charts)
}

/// The before/after table of the selection: per item with records in either phase.
pub fn compare_rows(city: &City, sel: &Selection) -> Vec<CompareRow> {
    comparison(city, sel)
        .into_iter()
        .filter(|c| c.before.n > 0 || c.after.n > 0)
        .map(|c| CompareRow {
            name: c.name,
            before_n: c.before.n,
            before_mean: minutes(c.before.mean),
            before_median: minutes(c.before.median),
            after_n: c.after.n,
            after_mean: minutes(c.after.mean),
            after_median: minutes(c.after.median),
            mean_change: change(c.mean_change),
            median_change: change(c.median_change),
        })
        .collect()
}

/// The selection of a set with records, grouped by センター (what 報告書 prints).
pub fn by_center(set_id: &str) -> Option<Selection> {
    let set = CategorySet::builtin(set_id)?;
    let (by_value, by, by_label) = GROUPINGS[1];
    Some(Selection {
        set,
        by,
        by_value,
        by_label,
    })
}

/// `GET /m/timestudy`.
pub async fn page(
    State(state): State<AppState>,
    user: MuniUser,
    Query(q): Query<Params>,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let chrome = muni_chrome(&user, &city, "タイムスタディ", "timestudy");
    let sel = q.resolve(&city);
    let sets = TIMESTUDY_KINDS
        .iter()
        .filter_map(|(_, id)| {
            let n = city.timestudies.get(id).map_or(0, Vec::len);
            let set = CategorySet::builtin(id)?;
            (n > 0).then(|| SetLink {
                id: set.id.clone(),
                name: set.name.clone(),
                records: n,
                active: sel.as_ref().is_some_and(|s| s.set.id == set.id),
            })
        })
        .collect();
    let entry_links = timestudy_entry::link_rows(&state, &user.muni_id).await?;
    let entry_sets: Vec<(String, String)> = TIMESTUDY_KINDS
        .iter()
        .filter_map(|(_, id)| CategorySet::builtin(id).map(|s| (s.id, s.name)))
        .collect();
    let today = city.today.to_string();
    let night = NightHours::default();
    let night_label = format!("{}〜{}", clock(night.start), clock(night.end));
    let Some(sel) = sel else {
        return render(&Page {
            chrome,
            sets,
            has_data: false,
            set_id: String::new(),
            set_name: String::new(),
            set_source: String::new(),
            by_value: "center",
            groupings: Vec::new(),
            persons: 0,
            records: 0,
            legend: Vec::new(),
            charts: Vec::new(),
            compare: Vec::new(),
            night: night_label,
            entry_links,
            entry_sets,
            today,
        });
    };
    let recs = records(&city, &sel.set);
    let persons = recs
        .iter()
        .map(|r| r.subject.person.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let parts: Vec<String> = sel.set.groups.iter().map(|g| g.name.clone()).collect();
    let charts = composition_charts(&city, &sel, true)?;
    let compare = compare_rows(&city, &sel);
    render(&Page {
        chrome,
        sets,
        has_data: true,
        set_id: sel.set.id.clone(),
        set_name: sel.set.name.clone(),
        set_source: sel.set.source.clone(),
        by_value: sel.by_value,
        groupings: GROUPINGS.iter().map(|(v, _, l)| (*v, *l)).collect(),
        persons,
        records: recs.len(),
        legend: parts
            .iter()
            .enumerate()
            .map(|(i, p)| (svg::part_color(i), p.clone()))
            .collect(),
        charts,
        compare,
        night: night_label,
        entry_links,
        entry_sets,
        today,
    })
}

/// The CSV of a time-study table (`composition` or `compare`) for the selection; 404 without
/// records.
pub fn table(city: &City, q: &Params, which: &str) -> Result<(Table, String), WebError> {
    let sel = q.resolve(city).ok_or(WebError::NotFound)?;
    Ok(match which {
        "composition" => (
            report_csv::composition_table(&composition_rows(city, &sel), sel.by_label),
            format!("タイムスタディ構成_{}_{}.csv", sel.set.id, sel.by_value),
        ),
        _ => (
            report_csv::comparison_table(&comparison(city, &sel)),
            format!("タイムスタディ前後比較_{}.csv", sel.set.id),
        ),
    })
}

/// `GET /m/timestudy/composition.csv`.
pub async fn composition_csv(
    State(state): State<AppState>,
    user: MuniUser,
    Query(q): Query<Params>,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let (t, name) = table(&city, &q, "composition")?;
    Ok(csv_download(
        &format!("{}_{}_{name}", city.muni.name, city.today),
        t.to_excel_csv(),
    ))
}

/// `GET /m/timestudy/compare.csv`.
pub async fn compare_csv(
    State(state): State<AppState>,
    user: MuniUser,
    Query(q): Query<Params>,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let (t, name) = table(&city, &q, "compare")?;
    Ok(csv_download(
        &format!("{}_{}_{name}", city.muni.name, city.today),
        t.to_excel_csv(),
    ))
}
