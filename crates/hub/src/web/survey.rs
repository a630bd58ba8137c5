//! アンケート: the built-in H1/R1 survey. The municipality issues one answer link per office
//! (the token is shown once, in the CSV it downloads; the hub keeps its SHA-256), offices answer
//! on a phone-sized form without login, answers exported from Excel or a form service are
//! imported on the データ screen, and results are shown per 圏域.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tsunagu_insight::OfficeNo;
use tsunagu_insight::report_csv;
use tsunagu_insight::survey::{self, AnswerToken, H1, Question};

use super::chrome::{Chrome, csv_download, render};
use super::city;
use super::session::{FORM_COOKIE, MuniUser, random_token, set_cookie};
use super::{format_jst, muni_chrome};
use crate::error::WebError;
use crate::startup::AppState;

pub struct GroupRow {
    pub label: String,
    pub offices: u32,
    pub responded: u32,
    pub rate: String,
    /// Count and percent per H1 choice.
    pub h1: Vec<String>,
}

pub struct LinkRow {
    pub office: String,
    pub name: String,
    pub issued: String,
    pub answered: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct Page {
    chrome: Chrome,
    h1_choices: Vec<String>,
    groups: Vec<GroupRow>,
    links: Vec<LinkRow>,
    without_link: usize,
    answered: usize,
}

/// `GET /m/survey`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let results = survey::survey_results(
        &city.survey,
        &city.responses,
        &city.master.offices,
        &city.table,
        &city.assignments,
    );
    let h1_choices: Vec<String> = city
        .survey
        .question(H1)
        .map(|q| q.choices().to_vec())
        .unwrap_or_default();
    let groups = results
        .groups
        .iter()
        .map(|g| GroupRow {
            label: g.label.clone(),
            offices: g.offices,
            responded: g.responded,
            rate: g.response_rate.percent_label(),
            h1: g
                .questions
                .iter()
                .find(|q| q.question == H1)
                .map(|q| {
                    q.choices
                        .iter()
                        .map(|c| {
                            format!(
                                "{}（{}）",
                                c.count,
                                tsunagu_insight::stats::percent_label(c.percent)
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let stored = state.store.survey_links(&user.muni_id).await?;
    let links: Vec<LinkRow> = stored
        .iter()
        .map(|l| LinkRow {
            name: OfficeNo::parse(&l.office_no)
                .and_then(|n| city.master.get(&n))
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            office: l.office_no.clone(),
            issued: format_jst(l.created_at),
            answered: l.answered_at.map(format_jst).unwrap_or_default(),
        })
        .collect();
    let with_link: std::collections::BTreeSet<&str> =
        stored.iter().map(|l| l.office_no.as_str()).collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "アンケート", "survey"),
        h1_choices,
        groups,
        answered: stored.iter().filter(|l| l.answered_at.is_some()).count(),
        without_link: city
            .master
            .offices
            .iter()
            .filter(|o| !with_link.contains(o.number.as_str()))
            .count(),
        links,
    })
}

/// The answer form's address as the municipality's browser reached the hub.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/a")
}

/// `POST /m/survey/links`: one new link per office that has none; answers with the CSV of the
/// new links (the only place the tokens are ever written).
pub async fn issue(
    State(state): State<AppState>,
    user: MuniUser,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let existing = state.store.survey_links(&user.muni_id).await?;
    let offices: Vec<OfficeNo> = city
        .master
        .offices
        .iter()
        .map(|o| o.number)
        .filter(|n| !existing.iter().any(|l| l.office_no == n.as_str()))
        .collect();
    if offices.is_empty() {
        return Err(WebError::BadInput(
            "E-WEB-SURVEY すべての事業所に回答用リンクを発行済みです。".into(),
        ));
    }
    let tokens = survey::issue_fresh_tokens(&offices);
    let rows: Vec<(String, String)> = tokens
        .iter()
        .map(|t| {
            (
                crate::sha256_hex(t.token.as_str().as_bytes()),
                t.office.to_string(),
            )
        })
        .collect();
    state
        .store
        .create_survey_links(&user.muni_id, &rows, crate::now_unix())
        .await?;
    let table = report_csv::tokens_table(
        &tokens,
        &city.master,
        &city.assignments,
        Some(&base_url(&state, &headers)),
    );
    let file = format!("{}_{}_回答用リンク.csv", city.muni.name, city.today);
    Ok(csv_download(&file, table.to_excel_csv()))
}

pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub choices: Vec<(usize, String)>,
    pub note: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "survey_form.html")]
struct FormPage {
    chrome: Chrome,
    office: String,
    questions: Vec<QuestionView>,
    form_token: String,
    answered: bool,
}

fn views(questions: &[Question], errors: &[(String, String)]) -> Vec<QuestionView> {
    questions
        .iter()
        .map(|q| QuestionView {
            id: q.id.clone(),
            text: q.text.clone(),
            choices: q
                .choices()
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, c)| (i + 1, c))
                .collect(),
            note: if q.only_if.is_some() {
                "前の問いで「導入している」と答えた事業所のみ".into()
            } else {
                String::new()
            },
            error: errors
                .iter()
                .find(|(id, _)| *id == q.id)
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
        })
        .collect()
}

async fn link_of(state: &AppState, token: &str) -> Result<crate::store::SurveyLink, WebError> {
    let token = AnswerToken::parse(token).ok_or(WebError::NotFound)?;
    state
        .store
        .survey_link(&crate::sha256_hex(token.as_str().as_bytes()))
        .await?
        .ok_or(WebError::NotFound)
}

async fn office_name(state: &AppState, muni_id: &str, office_no: &str) -> String {
    // The name helps the person answering; a failure to load it only leaves the number.
    match city::load(state, muni_id).await {
        Ok(c) => OfficeNo::parse(office_no)
            .and_then(|n| {
                c.master
                    .get(&n)
                    .map(|o| format!("{}（{office_no}）", o.name))
            })
            .unwrap_or_else(|| office_no.to_string()),
        Err(_) => office_no.to_string(),
    }
}

fn form_page(
    state: &AppState,
    office: String,
    errors: &[(String, String)],
    answered: bool,
) -> Result<Response, WebError> {
    let token = random_token();
    let mut res = render(&FormPage {
        chrome: Chrome::public("ケアプランデータ連携についてのアンケート"),
        office,
        questions: views(&city::builtin_survey().questions, errors),
        form_token: token.clone(),
        answered,
    })?;
    if let Some(v) = set_cookie(FORM_COOKIE, &token, 3600, state.config.tls.is_some()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /a/{token}`: the answer form, without login.
pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let link = link_of(&state, &token).await?;
    let office = office_name(&state, &link.muni_id, &link.office_no).await;
    form_page(&state, office, &[], link.answered_at.is_some())
}

#[derive(Template)]
#[template(path = "survey_thanks.html")]
struct Thanks {
    chrome: Chrome,
}

/// `POST /a/{token}`: checks the answers with the survey's rules; a link may answer again
/// (the latest answer counts).
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let link = link_of(&state, &token).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        fields.entry(k).or_default().push(v);
    }
    let survey = city::builtin_survey();
    match survey.read_form(&fields) {
        Ok(answers) => {
            let json = serde_json::to_string(&answers)
                .map_err(|e| WebError::Internal(format!("answers json: {e}")))?;
            state
                .store
                .answer_survey(&link.token_hash, &json, crate::now_unix())
                .await?;
            city::store_snapshot(&state, &link.muni_id, city::today_jst(), "auto").await?;
            render(&Thanks {
                chrome: Chrome::public("ご回答ありがとうございました"),
            })
        }
        Err(errors) => {
            let office = office_name(&state, &link.muni_id, &link.office_no).await;
            let mut res = form_page(&state, office, &errors, false)?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}
