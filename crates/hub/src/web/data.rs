//! データ: the files the city supplies — open data (one CSV per service type), the 町丁目→圏域
//! table, area overrides, survey answers exported from Excel or a form service, and status
//! lists — uploaded, checked with `tsunagu_insight`, stored as uploaded, and listed with the
//! problems found in them. Every change stores today's snapshot.

use askama::Template;
use axum::extract::{Form, Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use tsunagu_insight::areas::{AreaTable, parse_overrides};
use tsunagu_insight::offices::parse_open_data;
use tsunagu_insight::{Severity, adoption, survey};

use super::chrome::{Chrome, render};
use super::city::{
    self, KIND_ANSWERS, KIND_AREAS, KIND_OPEN_DATA, KIND_OVERRIDES, KIND_STATUS, kind_label,
};
use super::session::{MuniUser, see_other};
use super::{format_jst, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;
use crate::store::MuniFile;

const KINDS: [&str; 8] = [
    KIND_OPEN_DATA,
    KIND_AREAS,
    KIND_OVERRIDES,
    KIND_ANSWERS,
    KIND_STATUS,
    city::KIND_TS_CENTER,
    city::KIND_TS_EXCHANGE,
    city::KIND_TS_CARE_WORKER,
];
/// Problems listed on the page (all of them are in the files).
const SHOWN_ISSUES: usize = 100;

pub struct FileRow {
    pub kind: String,
    pub kind_label: &'static str,
    pub name: String,
    pub size: String,
    pub uploaded: String,
    pub by: String,
}

pub struct KindOption {
    pub value: &'static str,
    pub label: &'static str,
}

pub struct Issue {
    pub error: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "data.html")]
struct Page {
    chrome: Chrome,
    files: Vec<FileRow>,
    kinds: Vec<KindOption>,
    issues: Vec<Issue>,
    more_issues: usize,
    codes: String,
    offices: usize,
    tables: Vec<(&'static str, &'static str)>,
}

/// `GET /m/data`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let issues: Vec<Issue> = city
        .issues
        .iter()
        .take(SHOWN_ISSUES)
        .map(|e| Issue {
            error: e.severity == Severity::Error,
            text: e.to_string(),
        })
        .collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "データ", "data"),
        files: city
            .files
            .iter()
            // The time-study entry links are managed on the タイムスタディ page.
            .filter(|f| f.kind != super::timestudy_entry::KIND_ENTRY_LINKS)
            .map(|f| FileRow {
                kind: f.kind.clone(),
                kind_label: kind_label(&f.kind),
                name: f.name.clone(),
                size: format!("{:.1} KB", f.size as f64 / 1024.0),
                uploaded: format_jst(f.uploaded_at),
                by: f.uploaded_by.clone(),
            })
            .collect(),
        kinds: KINDS
            .iter()
            .map(|k| KindOption {
                value: k,
                label: kind_label(k),
            })
            .collect(),
        more_issues: city.issues.len().saturating_sub(SHOWN_ISSUES),
        issues,
        codes: city.muni.codes.join("、"),
        offices: city.master.offices.len(),
        tables: super::csv::TABLES.to_vec(),
    })
}

fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.is_empty() {
        "file.csv".into()
    } else {
        name
    }
}

/// Parses a file of `kind` as the dashboard will; the refusal names the file and why.
fn check(kind: &str, name: &str, bytes: &[u8], areas: Option<&AreaTable>) -> Result<(), String> {
    match kind {
        KIND_OPEN_DATA => parse_open_data(name, bytes)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        KIND_AREAS => {
            let t = AreaTable::parse(name, bytes).map_err(|e| e.to_string())?;
            if t.has_errors() {
                let first: Vec<String> = t.issues.iter().take(5).map(|e| e.to_string()).collect();
                return Err(format!(
                    "圏域の表に誤りがあります。直してから取り込んでください。{}",
                    first.join(" / ")
                ));
            }
            Ok(())
        }
        KIND_OVERRIDES => {
            let Some(t) = areas else {
                return Err("先に町丁目→圏域の表を取り込んでください。".into());
            };
            parse_overrides(name, bytes, t)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        KIND_ANSWERS => survey::parse_answers(&city::builtin_survey(), name, bytes, &[])
            .map(|_| ())
            .map_err(|e| e.to_string()),
        KIND_STATUS => adoption::parse_status_list(name, bytes, city::today_jst())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        _ => match city::timestudy_set(kind) {
            Some(set) => {
                let (records, issues) = tsunagu_insight::timestudy::parse_records(
                    name,
                    bytes,
                    &set,
                    tsunagu_insight::timestudy::Phase::Single,
                )
                .map_err(|e| e.to_string())?;
                if records.is_empty() {
                    let first: Vec<String> = issues.iter().take(5).map(|e| e.to_string()).collect();
                    return Err(format!(
                        "読み取れる記録がありません（業務は「{}」の分類で書いてください）。{}",
                        set.name,
                        first.join(" / ")
                    ));
                }
                Ok(())
            }
            None => Err("ファイルの種類を選んでください。".into()),
        },
    }
}

/// `POST /m/data/upload?csrf=…` (multipart: `kind`, one or more `file`).
pub async fn upload(
    State(state): State<AppState>,
    user: MuniUser,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let mut kind = String::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(WebError::TooLarge);
            }
            Err(_) => {
                return Err(WebError::BadInput(
                    "E-WEB-UPLOAD 送信されたファイルを読めませんでした。".into(),
                ));
            }
        };
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = file_name(field.file_name().unwrap_or(""));
                let bytes = field.bytes().await.map_err(|_| WebError::TooLarge)?;
                if !bytes.is_empty() {
                    files.push((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(WebError::BadInput(
            "E-WEB-UPLOAD ファイルの種類を選んでください。".into(),
        ));
    }
    if files.is_empty() {
        return Err(WebError::BadInput(
            "E-WEB-UPLOAD ファイルを選んでください。".into(),
        ));
    }
    let current = city::load(&state, &user.muni_id).await?;
    let areas = current.has_areas.then_some(&current.table);
    for (name, bytes) in &files {
        check(&kind, name, bytes, areas)
            .map_err(|why| WebError::BadInput(format!("E-WEB-UPLOAD {name}: {why}")))?;
    }
    let now = crate::now_unix();
    for (name, bytes) in files {
        state
            .store
            .put_muni_file(
                &user.muni_id,
                &MuniFile {
                    kind: kind.clone(),
                    name,
                    bytes,
                    uploaded_at: now,
                    uploaded_by: user.session.user.login.clone(),
                },
            )
            .await?;
    }
    tracing::info!(muni = %user.muni_id, kind = %kind, "municipality data uploaded");
    city::store_snapshot(&state, &user.muni_id, city::today_jst(), "auto").await?;
    Ok(see_other("/m/data"))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    kind: String,
    name: String,
}

/// `POST /m/data/delete`.
pub async fn delete(
    State(state): State<AppState>,
    user: MuniUser,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    if !state
        .store
        .delete_muni_file(&user.muni_id, &f.kind, &f.name)
        .await?
    {
        return Err(WebError::NotFound);
    }
    city::store_snapshot(&state, &user.muni_id, city::today_jst(), "auto").await?;
    Ok(see_other("/m/data"))
}
