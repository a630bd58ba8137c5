//! アンケート: the built-in H1/R1 survey plus the city's own questions
//! ([`super::survey_questions`]). The municipality issues one answer link per office (the token
//! is shown once, in the CSV it downloads; the hub keeps its SHA-256), offices answer on a
//! phone-sized form without login, answers exported from Excel or a form service are imported
//! on the データ screen, and results are shown per 圏域 and overall, every question's.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tsunagu_insight::OfficeNo;
use tsunagu_insight::report_csv;
use tsunagu_insight::survey::{self, Answer, AnswerToken, H1, Question, QuestionKind, R1, Survey};

use super::chrome::{Chrome, csv_download, render};
use super::city;
use super::session::{FORM_COOKIE, MuniUser, random_token, set_cookie};
use super::survey_questions::{self, MAX_ANSWER_CHARS};
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

/// A question as the page lists it.
pub struct QuestionRow {
    pub id: String,
    pub text: String,
    /// 選択肢から1つ（…） or 自由記述.
    pub kind: String,
    pub required: bool,
    /// One of the city's own (can be removed).
    pub custom: bool,
}

/// The results of one of the city's own single-choice questions per 圏域 and overall.
pub struct ChoiceResults {
    pub id: String,
    pub text: String,
    pub choices: Vec<String>,
    pub rows: Vec<ChoiceRow>,
}

pub struct ChoiceRow {
    pub label: String,
    pub answered: u32,
    /// Count and percent per choice.
    pub cells: Vec<String>,
}

/// The answers to one of the city's own free-text questions.
pub struct TextResults {
    pub id: String,
    pub text: String,
    /// Per 圏域 and overall: how many answered.
    pub counts: Vec<(String, u32)>,
    pub answers: Vec<TextAnswer>,
}

pub struct TextAnswer {
    pub office: String,
    pub name: String,
    pub area: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct Page {
    chrome: Chrome,
    h1_choices: Vec<String>,
    groups: Vec<GroupRow>,
    questions: Vec<QuestionRow>,
    can_add: bool,
    max_questions: usize,
    choice_results: Vec<ChoiceResults>,
    text_results: Vec<TextResults>,
    links: Vec<LinkRow>,
    without_link: usize,
    answered: usize,
}

fn is_builtin(id: &str) -> bool {
    id == H1 || id == R1
}

fn kind_label(q: &Question) -> String {
    match &q.kind {
        QuestionKind::Single { choices } => format!("選択肢から1つ（{}）", choices.join("／")),
        QuestionKind::Multiple { choices } => format!("複数選択（{}）", choices.join("／")),
        QuestionKind::Text => "自由記述".into(),
        QuestionKind::Number { unit } => format!("数値（{unit}）"),
    }
}

/// Results of the city's own questions: single choice as a table per 圏域, free text as the
/// answers with their office.
fn custom_results(
    city: &city::City,
    results: &survey::SurveyResults,
) -> (Vec<ChoiceResults>, Vec<TextResults>) {
    let mut choice = Vec::new();
    let mut text = Vec::new();
    for q in city.survey.questions.iter().filter(|q| !is_builtin(&q.id)) {
        let tallies = results.groups.iter().filter_map(|g| {
            g.questions
                .iter()
                .find(|t| t.question == q.id)
                .map(|t| (g, t))
        });
        match &q.kind {
            QuestionKind::Text => {
                let answers = city
                    .responses
                    .iter()
                    .filter_map(|r| match r.answers.get(&q.id) {
                        Some(Answer::Text(t)) if !t.is_empty() => Some(TextAnswer {
                            office: r.office.to_string(),
                            name: city
                                .master
                                .get(&r.office)
                                .map(|o| o.name.clone())
                                .unwrap_or_default(),
                            area: city.area_name(city.assignments.area_of(&r.office)),
                            text: t.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                text.push(TextResults {
                    id: q.id.clone(),
                    text: q.text.clone(),
                    counts: tallies
                        .map(|(g, t)| (g.label.clone(), t.answered))
                        .collect(),
                    answers,
                });
            }
            _ => choice.push(ChoiceResults {
                id: q.id.clone(),
                text: q.text.clone(),
                choices: q.choices().to_vec(),
                rows: tallies
                    .map(|(g, t)| ChoiceRow {
                        label: g.label.clone(),
                        answered: t.answered,
                        cells: t
                            .choices
                            .iter()
                            .map(|c| {
                                format!(
                                    "{}（{}）",
                                    c.count,
                                    tsunagu_insight::stats::percent_label(c.percent)
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            }),
        }
    }
    (choice, text)
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
    let (choice_results, text_results) = custom_results(&city, &results);
    let questions: Vec<QuestionRow> = city
        .survey
        .questions
        .iter()
        .map(|q| QuestionRow {
            id: q.id.clone(),
            text: q.text.clone(),
            kind: kind_label(q),
            required: q.required,
            custom: !is_builtin(&q.id),
        })
        .collect();
    render(&Page {
        chrome: muni_chrome(&user, &city, "アンケート", "survey"),
        h1_choices,
        groups,
        can_add: questions.iter().filter(|q| q.custom).count() < survey_questions::MAX_QUESTIONS,
        max_questions: survey_questions::MAX_QUESTIONS,
        questions,
        choice_results,
        text_results,
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
    /// Free text: a text area instead of choices.
    pub free_text: bool,
    pub required: bool,
    /// Number (1 = first), text, and whether it was chosen in the form sent back.
    pub choices: Vec<(usize, String, bool)>,
    pub note: String,
    pub error: String,
    /// What was sent, shown again beside an error (free text only).
    pub value: String,
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

fn views(
    questions: &[Question],
    errors: &[(String, String)],
    sent: &BTreeMap<String, Vec<String>>,
) -> Vec<QuestionView> {
    questions
        .iter()
        .map(|q| QuestionView {
            id: q.id.clone(),
            text: q.text.clone(),
            free_text: matches!(q.kind, QuestionKind::Text),
            required: q.required,
            value: match q.kind {
                QuestionKind::Text => sent.get(&q.id).map(|v| v.join("\n")).unwrap_or_default(),
                _ => String::new(),
            },
            choices: q
                .choices()
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, c)| {
                    let n = i + 1;
                    let chosen = sent
                        .get(&q.id)
                        .is_some_and(|v| v.iter().any(|x| *x == n.to_string()));
                    (n, c, chosen)
                })
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
    survey: &Survey,
    office: String,
    errors: &[(String, String)],
    sent: &BTreeMap<String, Vec<String>>,
    answered: bool,
) -> Result<Response, WebError> {
    let token = random_token();
    let mut res = render(&FormPage {
        chrome: Chrome::public("ケアプランデータ連携についてのアンケート"),
        office,
        questions: views(&survey.questions, errors, sent),
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
    let survey = survey_questions::load(&state, &link.muni_id)
        .await?
        .0
        .survey();
    let office = office_name(&state, &link.muni_id, &link.office_no).await;
    form_page(
        &state,
        &survey,
        office,
        &[],
        &BTreeMap::new(),
        link.answered_at.is_some(),
    )
}

/// Free-text answers over [`MAX_ANSWER_CHARS`], as errors beside their question.
fn too_long(answers: &BTreeMap<String, Answer>) -> Vec<(String, String)> {
    answers
        .iter()
        .filter(|(_, a)| matches!(a, Answer::Text(t) if t.chars().count() > MAX_ANSWER_CHARS))
        .map(|(id, _)| {
            (
                id.clone(),
                format!("{MAX_ANSWER_CHARS}文字までで書いてください"),
            )
        })
        .collect()
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
    let survey = survey_questions::load(&state, &link.muni_id)
        .await?
        .0
        .survey();
    let read = survey.read_form(&fields).and_then(|answers| {
        let errors = too_long(&answers);
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    });
    match read {
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
            let mut res = form_page(&state, &survey, office, &errors, &fields, false)?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

/// Every answer, one row per office that answered (from links and imported files): the office,
/// its 圏域, the day, and each question's answer as text (choices by their wording, free text
/// as written). The survey CSV counts; this one lets a person read the answers themselves.
pub fn answers_table(city: &city::City) -> tsunagu_insight::report_csv::Table {
    let mut headers: Vec<String> = ["事業所番号", "事業所名", "圏域", "回答日"]
        .map(String::from)
        .to_vec();
    headers.extend(
        city.survey
            .questions
            .iter()
            .map(|q| format!("{}. {}", q.id, q.text)),
    );
    let mut t = tsunagu_insight::report_csv::Table::new(
        &format!("アンケート回答（{}）", city.survey.title),
        headers,
    );
    for r in &city.responses {
        let mut row = vec![
            r.office.to_string(),
            city.master
                .get(&r.office)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            city.area_name(city.assignments.area_of(&r.office)),
            r.answered_on.map(|d| d.to_string()).unwrap_or_default(),
        ];
        for q in &city.survey.questions {
            let choice = |i: &usize| q.choices().get(*i).cloned().unwrap_or_default();
            row.push(match r.answers.get(&q.id) {
                Some(Answer::Choice(i)) => choice(i),
                Some(Answer::Choices(is)) => is.iter().map(choice).collect::<Vec<_>>().join("、"),
                Some(Answer::Text(s)) => s.clone(),
                Some(Answer::Number(x)) => x.to_string(),
                None => String::new(),
            });
        }
        t.rows.push(row);
    }
    t
}
