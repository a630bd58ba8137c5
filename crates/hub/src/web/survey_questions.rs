//! The city's own survey questions: besides the built-in H1/R1, a municipality adds questions of
//! its own on アンケート — single choice with its options, or free text — and removes them.
//! They are stored as one JSON setting per account ([`SETTING`]) and appended to the built-in
//! survey (`tsunagu_insight::survey::Survey::add_question`), so the answer form, the answer
//! CSV import, the results per 圏域 and the CSV downloads all see them.
//!
//! Ids are `Q1`, `Q2`, … from a counter that never goes back: a removed question's id is never
//! given to a new one, so answers stored under it can never be read as answers to another
//! question.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tsunagu_insight::survey::{Question, QuestionKind, Survey};

use super::session::{MuniUser, see_other};
use super::{city, muni_setting};
use crate::error::WebError;
use crate::startup::AppState;

/// The setting's name in `muni_settings`.
pub const SETTING: &str = "survey_questions";
/// At most this many questions of the city's own.
pub const MAX_QUESTIONS: usize = 20;
/// A question's text, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// Options of a single-choice question.
pub const MIN_CHOICES: usize = 2;
pub const MAX_CHOICES: usize = 10;
pub const MAX_CHOICE_CHARS: usize = 60;
/// A free-text answer, in characters (checked on the answer form).
pub const MAX_ANSWER_CHARS: usize = 2000;

/// The stored setting: the questions in order and the number of the next id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomQuestions {
    pub next: u32,
    pub questions: Vec<Question>,
}

impl CustomQuestions {
    /// The built-in survey with these questions after it.
    pub fn survey(&self) -> Survey {
        let mut s = city::builtin_survey();
        for q in &self.questions {
            // Each was checked when added; a failure here means a hand-edited database, and
            // leaving the question out keeps the survey usable.
            if let Err(e) = s.add_question(q.clone()) {
                tracing::warn!(question = %q.id, error = %e, "stored survey question skipped");
            }
        }
        s
    }

    /// Adds a question under the next id.
    pub fn add(&mut self, text: String, kind: QuestionKind, required: bool) -> Question {
        self.next = self.next.max(1);
        let q = Question {
            id: format!("Q{}", self.next),
            text,
            kind,
            required,
            only_if: None,
        };
        self.next += 1;
        self.questions.push(q.clone());
        q
    }
}

/// What the add form sends.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuestion {
    #[serde(default)]
    pub text: String,
    /// `single` or `text`.
    #[serde(default)]
    pub kind: String,
    /// One option per line.
    #[serde(default)]
    pub choices: String,
    /// Present (`on`) when ticked.
    #[serde(default)]
    pub required: Option<String>,
}

/// Checks the add form: the question's text, kind and options, or the reason in Japanese.
pub fn check_new(
    f: &NewQuestion,
    existing: &CustomQuestions,
) -> Result<(String, QuestionKind, bool), String> {
    if existing.questions.len() >= MAX_QUESTIONS {
        return Err(format!(
            "E-WEB-SURVEY-Q 独自の設問は{MAX_QUESTIONS}問までです。使わない設問を削除してから追加してください。"
        ));
    }
    let text = f.text.trim().to_string();
    if text.is_empty() {
        return Err("E-WEB-SURVEY-Q 設問文を書いてください。".into());
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "E-WEB-SURVEY-Q 設問文は{MAX_TEXT_CHARS}文字までにしてください。"
        ));
    }
    let builtin = city::builtin_survey();
    if builtin
        .questions
        .iter()
        .chain(&existing.questions)
        .any(|q| q.text == text)
    {
        return Err("E-WEB-SURVEY-Q 同じ設問文の設問がすでにあります。".into());
    }
    let kind = match f.kind.as_str() {
        "single" => {
            let mut choices: Vec<String> = Vec::new();
            for line in f.choices.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if line.chars().count() > MAX_CHOICE_CHARS {
                    return Err(format!(
                        "E-WEB-SURVEY-Q 選択肢は1つ{MAX_CHOICE_CHARS}文字までにしてください。"
                    ));
                }
                if choices.iter().any(|c| c == line) {
                    return Err(format!("E-WEB-SURVEY-Q 選択肢「{line}」が重複しています。"));
                }
                choices.push(line.to_string());
            }
            if !(MIN_CHOICES..=MAX_CHOICES).contains(&choices.len()) {
                return Err(format!(
                    "E-WEB-SURVEY-Q 選択肢を{MIN_CHOICES}〜{MAX_CHOICES}個、1行に1つずつ書いてください。"
                ));
            }
            QuestionKind::Single { choices }
        }
        "text" => QuestionKind::Text,
        _ => {
            return Err(
                "E-WEB-SURVEY-Q 回答の形式（選択肢から1つ／自由記述）を選んでください。".into(),
            );
        }
    };
    Ok((text, kind, f.required.is_some()))
}

/// The account's questions and the stored version (0: none stored yet).
pub async fn load(state: &AppState, muni_id: &str) -> Result<(CustomQuestions, i64), WebError> {
    muni_setting::load(state, muni_id, SETTING).await
}

async fn save(
    state: &AppState,
    user: &MuniUser,
    q: &CustomQuestions,
    version: i64,
) -> Result<(), WebError> {
    let conflict = "E-WEB-SURVEY-Q ほかの人が同時に設問を変更しました。画面を開き直してからもう一度操作してください。";
    muni_setting::save(state, user, SETTING, q, version, conflict).await
}

/// `POST /m/survey/questions`: adds one question of the city's own.
pub async fn add(
    State(state): State<AppState>,
    user: MuniUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: NewQuestion = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (mut qs, version) = load(&state, &user.muni_id).await?;
    let (text, kind, required) = check_new(&f, &qs).map_err(WebError::BadInput)?;
    let q = qs.add(text, kind, required);
    save(&state, &user, &qs, version).await?;
    tracing::info!(muni = %user.muni_id, question = %q.id, "survey question added");
    Ok(see_other("/m/survey#questions"))
}

/// `POST /m/survey/questions/{id}/delete`: removes one of the city's own questions (the
/// built-in ones cannot be removed: 404). Answers already given stay stored under its id.
pub async fn remove(
    State(state): State<AppState>,
    user: MuniUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (mut qs, version) = load(&state, &user.muni_id).await?;
    let before = qs.questions.len();
    qs.questions.retain(|q| q.id != id);
    if qs.questions.len() == before {
        return Err(WebError::NotFound);
    }
    save(&state, &user, &qs, version).await?;
    tracing::info!(muni = %user.muni_id, question = %id, "survey question removed");
    Ok(see_other("/m/survey#questions"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(text: &str, kind: &str, choices: &str) -> NewQuestion {
        NewQuestion {
            text: text.into(),
            kind: kind.into(),
            choices: choices.into(),
            required: Some("on".into()),
        }
    }

    #[test]
    fn ids_are_never_reused() {
        let mut qs = CustomQuestions::default();
        let a = qs.add("a".into(), QuestionKind::Text, false);
        let b = qs.add("b".into(), QuestionKind::Text, false);
        qs.questions.retain(|q| q.id != b.id);
        let c = qs.add("c".into(), QuestionKind::Text, false);
        assert_eq!(
            (a.id.as_str(), b.id.as_str(), c.id.as_str()),
            ("Q1", "Q2", "Q3")
        );
        let s = qs.survey();
        let ids: Vec<&str> = s.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["H1", "R1", "Q1", "Q3"]);
    }

    #[test]
    fn the_form_is_checked() {
        let qs = CustomQuestions::default();
        let (text, kind, required) =
            check_new(&form(" 研修の希望 ", "single", "ある\r\n\r\nない\n"), &qs).unwrap();
        assert_eq!(text, "研修の希望");
        assert_eq!(
            kind,
            QuestionKind::Single {
                choices: vec!["ある".into(), "ない".into()]
            }
        );
        assert!(required);
        assert!(check_new(&form("x", "text", ""), &qs).is_ok());
        for (f, why) in [
            (form("", "text", ""), "設問文を書いて"),
            (form(&"長".repeat(201), "text", ""), "200文字"),
            (form("x", "single", "一つだけ"), "2〜10個"),
            (form("x", "single", "同じ\n同じ"), "重複"),
            (form("x", "multiple", ""), "形式"),
            (
                form(
                    "ケアプランデータ連携システムを導入していますか。",
                    "text",
                    "",
                ),
                "同じ設問文",
            ),
        ] {
            let e = check_new(&f, &qs).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let mut full = CustomQuestions::default();
        for i in 0..MAX_QUESTIONS {
            full.add(format!("q{i}"), QuestionKind::Text, false);
        }
        assert!(
            check_new(&form("x", "text", ""), &full)
                .unwrap_err()
                .contains("20問")
        );
    }
}
