//! Surveys of offices: the city's built-in H1/R1 questions plus custom ones, one answer token per
//! office (a link without login), answers read from a form post or from a CSV exported from Excel
//! or a form service, and results per 圏域 and overall.
//!
//! H1's four choices are the ones 米子市 used (`municipal.md` §3.1). The city's own R1 choices are
//! not public; R1 here uses the usage-depth ladder proposed there (登録のみ → 紙・FAXを廃止), because
//! "registered" and "used" differ (Miyazaki: 45% registered, 22% using).
//!
//! # Answer CSV
//! A header row, then one row per answer. Columns: `事業所番号` or `トークン` (one of them
//! required), optionally `タイムスタンプ` (or `回答日時`, `回答日`), and one column per question,
//! headed by its id (`H1`), by the id and the text (`H1. ケアプラン…`, as form services write
//! it), or by the text alone. A choice is written as its text or its number (1 = first).
//! Several choices are separated by `,` `、` `;` or line breaks.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::adoption::{AdoptionStatus, StatusObservation, StatusSource};
use crate::areas::{AreaTable, Assignments};
use crate::day::Day;
use crate::input::{CsvTable, InputError, header_key};
use crate::offices::{Office, OfficeNo};
use crate::stats::{Ratio, Summary};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    Single { choices: Vec<String> },
    Multiple { choices: Vec<String> },
    Text,
    Number { unit: String },
}

/// Ask this question only when an earlier single-choice question got one of these choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub question: String,
    pub choices: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub kind: QuestionKind,
    pub required: bool,
    pub only_if: Option<Condition>,
}

impl Question {
    pub fn choices(&self) -> &[String] {
        match &self.kind {
            QuestionKind::Single { choices } | QuestionKind::Multiple { choices } => choices,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: String,
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("設問ID「{0}」はすでにあります [E-INS-SURVEY]")]
    DuplicateId(String),
    #[error("設問ID「{0}」は英数字・_・- で書いてください [E-INS-SURVEY]")]
    BadId(String),
    #[error("設問「{0}」に選択肢がありません [E-INS-SURVEY]")]
    NoChoices(String),
    #[error("設問「{0}」の条件が前の選択式の設問を指していません [E-INS-SURVEY]")]
    BadCondition(String),
}

pub const H1: &str = "H1";
pub const R1: &str = "R1";

/// H1's choices, in 米子市's order.
pub const H1_CHOICES: [&str; 4] = [
    "導入している",
    "検討中",
    "導入するつもりはない",
    "導入予定だがまだ",
];
/// R1's choices: the usage-depth ladder.
pub const R1_CHOICES: [&str; 4] = [
    "登録のみ",
    "一部の相手と送受信",
    "主要な相手とは原則連携",
    "紙・FAXを廃止",
];

impl Survey {
    /// The built-in survey: H1 adoption, R1 depth of use (asked when H1 = 導入している).
    pub fn builtin(id: &str, title: &str) -> Self {
        let strings = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        Self {
            id: id.to_string(),
            title: title.to_string(),
            questions: vec![
                Question {
                    id: H1.into(),
                    text: "ケアプランデータ連携システムを導入していますか。".into(),
                    kind: QuestionKind::Single { choices: strings(&H1_CHOICES) },
                    required: true,
                    only_if: None,
                },
                Question {
                    id: R1.into(),
                    text: "（導入している事業所のみ）ケアプランデータ連携システムをどの程度活用していますか。".into(),
                    kind: QuestionKind::Single { choices: strings(&R1_CHOICES) },
                    required: true,
                    only_if: Some(Condition { question: H1.into(), choices: vec![0] }),
                },
            ],
        }
    }

    /// Adds a custom question after checking its id, choices and condition.
    pub fn add_question(&mut self, q: Question) -> Result<(), SurveyError> {
        if q.id.is_empty()
            || !q
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(SurveyError::BadId(q.id));
        }
        if self.question(&q.id).is_some() {
            return Err(SurveyError::DuplicateId(q.id));
        }
        if matches!(&q.kind, QuestionKind::Single { choices } | QuestionKind::Multiple { choices } if choices.is_empty())
        {
            return Err(SurveyError::NoChoices(q.id));
        }
        if let Some(c) = &q.only_if {
            let ok = self.question(&c.question).is_some_and(|p| {
                matches!(&p.kind, QuestionKind::Single { choices } if c.choices.iter().all(|&i| i < choices.len()))
            });
            if !ok {
                return Err(SurveyError::BadCondition(q.id));
            }
        }
        self.questions.push(q);
        Ok(())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Whether `q` applies given the answers so far.
    pub fn applies(&self, q: &Question, answers: &BTreeMap<String, Answer>) -> bool {
        match &q.only_if {
            None => true,
            Some(c) => {
                matches!(answers.get(&c.question), Some(Answer::Choice(i)) if c.choices.contains(i))
            }
        }
    }

    /// Reads a form post (question id → values; several for a multiple choice). Errors name the
    /// question, for the form to show beside it.
    pub fn read_form(
        &self,
        fields: &BTreeMap<String, Vec<String>>,
    ) -> Result<BTreeMap<String, Answer>, Vec<(String, String)>> {
        let mut answers = BTreeMap::new();
        let mut errors = Vec::new();
        for q in &self.questions {
            let values: Vec<&str> = fields
                .get(&q.id)
                .map(|v| {
                    v.iter()
                        .map(String::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if !self.applies(q, &answers) {
                continue;
            }
            if values.is_empty() {
                if q.required {
                    errors.push((q.id.clone(), "回答してください".to_string()));
                }
                continue;
            }
            match read_answer(q, &values.join("\n")) {
                Ok(a) => {
                    answers.insert(q.id.clone(), a);
                }
                Err(e) => errors.push((q.id.clone(), e)),
            }
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// Index into the choices.
    Choice(usize),
    Choices(Vec<usize>),
    Text(String),
    Number(f64),
}

fn norm(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// A choice written as its text, its number, or 「1. text」.
fn read_choice(choices: &[String], raw: &str) -> Option<usize> {
    let v = norm(raw);
    if let Some(i) = choices.iter().position(|c| norm(c) == v) {
        return Some(i);
    }
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    let rest = &v[digits.len()..];
    let n: usize = digits.parse().ok()?;
    let rest = rest.trim_start_matches(['.', ')', ':', '、']);
    let ok = rest.is_empty()
        || choices
            .get(n.wrapping_sub(1))
            .is_some_and(|c| norm(c) == rest);
    (ok && (1..=choices.len()).contains(&n)).then(|| n - 1)
}

/// Reads one answer to `q` from its text form.
pub fn read_answer(q: &Question, raw: &str) -> Result<Answer, String> {
    match &q.kind {
        QuestionKind::Single { choices } => read_choice(choices, raw)
            .map(Answer::Choice)
            .ok_or_else(|| format!("選択肢にない回答です（{}）", choices.join("／"))),
        QuestionKind::Multiple { choices } => {
            // Choices may themselves contain separators, so find whole choices first.
            let mut rest = norm(raw);
            let mut picked = Vec::new();
            let mut order: Vec<usize> = (0..choices.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(norm(&choices[i]).chars().count()));
            for i in order {
                let c = norm(&choices[i]);
                if !c.is_empty() && rest.contains(&c) {
                    rest = rest.replacen(&c, ",", 1);
                    picked.push(i);
                }
            }
            for part in rest.split([',', '、', ';', '；', '\n']) {
                if part.is_empty() {
                    continue;
                }
                match read_choice(choices, part) {
                    Some(i) => picked.push(i),
                    None => return Err(format!("選択肢にない回答「{part}」があります")),
                }
            }
            picked.sort_unstable();
            picked.dedup();
            Ok(Answer::Choices(picked))
        }
        QuestionKind::Text => Ok(Answer::Text(raw.trim().to_string())),
        QuestionKind::Number { .. } => {
            let v: String = norm(raw).chars().filter(|c| *c != ',').collect();
            let v = v.trim_end_matches(|c: char| !c.is_ascii_digit() && c != '.');
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Answer::Number)
                .ok_or_else(|| "数値で答えてください".to_string())
        }
    }
}

/// An office's answer link token: 22 URL-safe characters (132 random bits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AnswerToken(String);

const TOKEN_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const TOKEN_LEN: usize = 22;

impl AnswerToken {
    /// Draw from a cryptographic generator: a token is the only key to an office's form.
    pub fn generate<R: Rng + rand::CryptoRng>(rng: &mut R) -> Self {
        // The first character is a letter or digit: a leading `-` would make Excel read the
        // cell as a formula (and the CSV writer would then have to alter it).
        let s = (0..TOKEN_LEN)
            .map(|i| {
                let n = if i == 0 { 62 } else { TOKEN_ALPHABET.len() };
                char::from(TOKEN_ALPHABET[rng.random_range(0..n)])
            })
            .collect();
        Self(s)
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == TOKEN_LEN && s.bytes().all(|b| TOKEN_ALPHABET.contains(&b)))
            .then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAssignment {
    pub office: OfficeNo,
    pub token: AnswerToken,
}

/// One fresh token per office.
pub fn issue_tokens<R: Rng + rand::CryptoRng>(
    offices: &[OfficeNo],
    rng: &mut R,
) -> Vec<TokenAssignment> {
    offices
        .iter()
        .map(|o| TokenAssignment {
            office: *o,
            token: AnswerToken::generate(rng),
        })
        .collect()
}

/// One fresh token per office from the thread's cryptographic generator (seeded by the OS).
pub fn issue_fresh_tokens(offices: &[OfficeNo]) -> Vec<TokenAssignment> {
    issue_tokens(offices, &mut rand::rng())
}

/// Reads `事業所番号,トークン` (as `tsunagu insight survey-tokens` writes it).
pub fn parse_tokens(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<TokenAssignment>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_no = t.require(&["事業所番号"])?;
    let c_tok = t.require(&["トークン"])?;
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for r in &t.rows {
        match (
            OfficeNo::parse_lenient(r.get(Some(c_no))),
            AnswerToken::parse(r.get(Some(c_tok))),
        ) {
            (Some((office, _)), Some(token)) => out.push(TokenAssignment { office, token }),
            (None, _) => issues.push(InputError::at(
                "E-INS-NUMBER",
                file,
                r.line,
                Some(t.name(c_no)),
                "事業所番号は英数字10文字です",
            )),
            (_, None) => issues.push(InputError::at(
                "E-INS-TOKEN",
                file,
                r.line,
                Some(t.name(c_tok)),
                "トークンの形が正しくありません",
            )),
        }
    }
    Ok((out, issues))
}

/// One office's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResponse {
    pub office: OfficeNo,
    pub answered_on: Option<Day>,
    pub answers: BTreeMap<String, Answer>,
}

/// Finds the column for a question: its id, 「id. text」, or its text.
fn question_column(t: &CsvTable, q: &Question) -> Option<usize> {
    let id = header_key(&q.id);
    let text = header_key(&q.text);
    t.header.iter().position(|h| {
        let h = header_key(h);
        let h = h.trim_start_matches(['【', '[', '(', '（']);
        h == id
            || (h.starts_with(&id)
                && h[id.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_alphanumeric()))
            || h == text
            || (text.chars().count() >= 6 && h.contains(&text))
    })
}

/// Reads an answer CSV (see the module docs). Rows are kept with their readable answers; a later
/// answer from the same office replaces an earlier one.
pub fn parse_answers(
    survey: &Survey,
    file: &str,
    bytes: &[u8],
    tokens: &[TokenAssignment],
) -> Result<(Vec<SurveyResponse>, Vec<InputError>), InputError> {
    let t = CsvTable::parse(file, bytes)?;
    let c_no = t.column(&["事業所番号"]);
    let c_tok = t.column(&["トークン", "回答コード"]);
    if c_no.is_none() && c_tok.is_none() {
        return t.require(&["事業所番号"]).map(|_| (Vec::new(), Vec::new()));
    }
    let c_time = t.column(&["タイムスタンプ", "回答日時", "回答日", "日付"]);
    let mut issues = Vec::new();
    let mut columns = Vec::new();
    for q in &survey.questions {
        match question_column(&t, q) {
            Some(c) => columns.push((q, c)),
            None => issues.push({
                let mut e = InputError::file(
                    "E-INS-ANS-COLUMN",
                    file,
                    format!("設問 {} の列がありません", q.id),
                )
                .warning();
                e.column = Some(q.id.clone());
                e
            }),
        }
    }
    let mut by_office: BTreeMap<OfficeNo, (SurveyResponse, u64)> = BTreeMap::new();
    for r in &t.rows {
        let office = match (r.get(c_no), r.get(c_tok)) {
            (n, _) if !n.is_empty() => match OfficeNo::parse_lenient(n) {
                Some((o, restored)) => {
                    if restored {
                        issues.push(
                            InputError::at(
                                "E-INS-NUMBER-ZERO",
                                file,
                                r.line,
                                c_no.map(|c| t.name(c)),
                                "先頭の0を補って事業所番号としました",
                            )
                            .warning(),
                        );
                    }
                    Some(o)
                }
                None => None,
            },
            (_, tok) if !tok.is_empty() => tokens
                .iter()
                .find(|a| a.token.as_str() == tok.trim())
                .map(|a| a.office),
            _ => None,
        };
        let Some(office) = office else {
            issues.push(InputError::at(
                "E-INS-ANS-OFFICE",
                file,
                r.line,
                c_no.or(c_tok).map(|c| t.name(c)),
                "事業所番号またはトークンから事業所が分かりません。この行は読み飛ばしました",
            ));
            continue;
        };
        let answered_on = c_time.and_then(|c| Day::parse(r.get(Some(c))));
        let mut answers = BTreeMap::new();
        for (q, c) in &columns {
            let raw = r.get(Some(*c));
            if raw.is_empty() {
                continue;
            }
            match read_answer(q, raw) {
                Ok(a) => {
                    answers.insert(q.id.clone(), a);
                }
                Err(msg) => issues.push(InputError::at(
                    "E-INS-ANS-VALUE",
                    file,
                    r.line,
                    Some(t.name(*c)),
                    format!("{msg}。この回答は読み飛ばしました"),
                )),
            }
        }
        if let Some((_, line)) = by_office.get(&office) {
            issues.push(
                InputError::at(
                    "E-INS-ANS-DUP",
                    file,
                    r.line,
                    None,
                    format!("事業所 {office} は{line}行目でも回答しています。後の回答を使います"),
                )
                .warning(),
            );
        }
        by_office.insert(
            office,
            (
                SurveyResponse {
                    office,
                    answered_on,
                    answers,
                },
                r.line,
            ),
        );
    }
    Ok((by_office.into_values().map(|(r, _)| r).collect(), issues))
}

/// H1 answers as adoption observations, dated by the answer or `default_date`.
pub fn adoption_observations(
    survey: &Survey,
    responses: &[SurveyResponse],
    default_date: Day,
) -> Vec<StatusObservation> {
    let Some(q) = survey.question(H1) else {
        return Vec::new();
    };
    responses
        .iter()
        .filter_map(|r| {
            let Some(Answer::Choice(i)) = r.answers.get(H1) else {
                return None;
            };
            let status = q
                .choices()
                .get(*i)
                .and_then(|c| AdoptionStatus::from_text(c))?;
            Some(StatusObservation {
                office: r.office,
                status,
                source: StatusSource::Survey,
                as_of: r.answered_on.unwrap_or(default_date),
                note: String::new(),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceCount {
    pub choice: String,
    pub count: u32,
    /// Of the offices that answered the question.
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionTally {
    pub question: String,
    pub answered: u32,
    pub choices: Vec<ChoiceCount>,
    pub numbers: Option<Summary>,
}

/// Results for one 圏域, for offices without an area, or for all (`area` None, label 合計).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResults {
    pub area: Option<String>,
    pub label: String,
    pub offices: u32,
    pub responded: u32,
    pub response_rate: Ratio,
    pub questions: Vec<QuestionTally>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyResults {
    pub survey: String,
    /// Areas in table order, then 圏域未設定 (if any), then 合計.
    pub groups: Vec<GroupResults>,
    /// Answers from offices not in the office master (not counted).
    pub outside: Vec<OfficeNo>,
}

fn tally(
    survey: &Survey,
    responses: &[&SurveyResponse],
    offices: u32,
    area: Option<String>,
    label: String,
) -> GroupResults {
    let questions = survey
        .questions
        .iter()
        .map(|q| {
            let answers: Vec<&Answer> = responses
                .iter()
                .filter_map(|r| r.answers.get(&q.id))
                .collect();
            let answered = answers.len() as u32;
            let mut counts = vec![0u32; q.choices().len()];
            let mut numbers = Vec::new();
            for a in &answers {
                match a {
                    Answer::Choice(i) => {
                        if let Some(c) = counts.get_mut(*i) {
                            *c += 1;
                        }
                    }
                    Answer::Choices(is) => {
                        for i in is {
                            if let Some(c) = counts.get_mut(*i) {
                                *c += 1;
                            }
                        }
                    }
                    Answer::Number(x) => numbers.push(*x),
                    Answer::Text(_) => {}
                }
            }
            QuestionTally {
                question: q.id.clone(),
                answered,
                choices: q
                    .choices()
                    .iter()
                    .zip(counts)
                    .map(|(c, n)| ChoiceCount {
                        choice: c.clone(),
                        count: n,
                        percent: Ratio::new(n, answered).percent(),
                    })
                    .collect(),
                numbers: matches!(q.kind, QuestionKind::Number { .. })
                    .then(|| Summary::of(&numbers)),
            }
        })
        .collect();
    let responded = responses.len() as u32;
    GroupResults {
        area,
        label,
        offices,
        responded,
        response_rate: Ratio::new(responded, offices),
        questions,
    }
}

/// Counts and percentages per 圏域 and overall.
pub fn survey_results(
    survey: &Survey,
    responses: &[SurveyResponse],
    offices: &[Office],
    table: &AreaTable,
    assignments: &Assignments,
) -> SurveyResults {
    let known: BTreeMap<OfficeNo, Option<&str>> = offices
        .iter()
        .map(|o| (o.number, assignments.area_of(&o.number)))
        .collect();
    let mut outside = Vec::new();
    let mut by_area: BTreeMap<Option<&str>, Vec<&SurveyResponse>> = BTreeMap::new();
    let mut all = Vec::new();
    for r in responses {
        match known.get(&r.office) {
            Some(area) => {
                by_area.entry(*area).or_default().push(r);
                all.push(r);
            }
            None => outside.push(r.office),
        }
    }
    let mut office_counts: BTreeMap<Option<&str>, u32> = BTreeMap::new();
    for a in known.values() {
        *office_counts.entry(*a).or_insert(0) += 1;
    }
    let mut groups = Vec::new();
    for a in &table.areas {
        let key = Some(a.code.as_str());
        let rs = by_area.get(&key).cloned().unwrap_or_default();
        groups.push(tally(
            survey,
            &rs,
            office_counts.get(&key).copied().unwrap_or(0),
            Some(a.code.clone()),
            a.name.clone(),
        ));
    }
    if let Some(&n) = office_counts.get(&None) {
        let rs = by_area.get(&None).cloned().unwrap_or_default();
        groups.push(tally(survey, &rs, n, None, "圏域未設定".into()));
    }
    groups.push(tally(
        survey,
        &all,
        offices.len() as u32,
        None,
        "合計".into(),
    ));
    SurveyResults {
        survey: survey.id.clone(),
        groups,
        outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adoption::tests::office;
    use crate::areas::assign;
    use crate::offices::OfficeGroup;
    use rand::SeedableRng;

    fn survey() -> Survey {
        let mut s = Survey::builtin("2025", "令和7年度 事業所アンケート");
        s.add_question(Question {
            id: "Q3".into(),
            text: "提供票・実績の共有方法（複数選択）".into(),
            kind: QuestionKind::Multiple {
                choices: ["郵送", "FAX", "持参", "ケアプランデータ連携システム"]
                    .map(String::from)
                    .to_vec(),
            },
            required: false,
            only_if: None,
        })
        .unwrap();
        s.add_question(Question {
            id: "Q4".into(),
            text: "FAX送信にかかる時間（分／月）".into(),
            kind: QuestionKind::Number { unit: "分".into() },
            required: false,
            only_if: None,
        })
        .unwrap();
        s
    }

    #[test]
    fn builtin_wording() {
        let s = Survey::builtin("x", "x");
        assert_eq!(s.question(H1).unwrap().choices(), H1_CHOICES);
        assert_eq!(s.question(R1).unwrap().choices().len(), 4);
        let mut s2 = s.clone();
        let dup = s2.question(H1).unwrap().clone();
        assert_eq!(
            s2.add_question(dup),
            Err(SurveyError::DuplicateId("H1".into()))
        );
        let mut bad = s.question(R1).unwrap().clone();
        bad.id = "R9".into();
        bad.only_if = Some(Condition {
            question: "H1".into(),
            choices: vec![7],
        });
        assert!(matches!(
            s2.add_question(bad),
            Err(SurveyError::BadCondition(_))
        ));
    }

    #[test]
    fn reads_answers_in_many_forms() {
        let s = survey();
        let h1 = s.question(H1).unwrap();
        assert_eq!(read_answer(h1, "導入している"), Ok(Answer::Choice(0)));
        assert_eq!(read_answer(h1, "４"), Ok(Answer::Choice(3)));
        assert_eq!(read_answer(h1, "2. 検討中"), Ok(Answer::Choice(1)));
        assert!(read_answer(h1, "5").is_err());
        assert!(read_answer(h1, "2. 導入している").is_err());
        let q3 = s.question("Q3").unwrap();
        assert_eq!(
            read_answer(q3, "FAX, ケアプランデータ連携システム"),
            Ok(Answer::Choices(vec![1, 3]))
        );
        assert_eq!(read_answer(q3, "郵送、3"), Ok(Answer::Choices(vec![0, 2])));
        assert!(read_answer(q3, "メール").is_err());
        let q4 = s.question("Q4").unwrap();
        assert_eq!(read_answer(q4, "１,２００分"), Ok(Answer::Number(1200.0)));
    }

    #[test]
    fn form_post_respects_conditions() {
        let s = Survey::builtin("x", "x");
        let mut f = BTreeMap::new();
        f.insert("H1".to_string(), vec!["検討中".to_string()]);
        let a = s.read_form(&f).unwrap();
        assert_eq!(a.len(), 1); // R1 not asked
        f.insert("H1".to_string(), vec!["導入している".to_string()]);
        let e = s.read_form(&f).unwrap_err();
        assert_eq!(e[0].0, "R1");
    }

    #[test]
    fn tokens_are_url_safe_and_distinct() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let offices: Vec<OfficeNo> = (0..50)
            .map(|i| OfficeNo::parse(&format!("31000000{i:02}")).unwrap())
            .collect();
        let t = issue_tokens(&offices, &mut rng);
        let mut set: Vec<&str> = t.iter().map(|a| a.token.as_str()).collect();
        set.sort_unstable();
        set.dedup();
        assert_eq!(set.len(), 50);
        assert!(
            t.iter()
                .all(|a| AnswerToken::parse(a.token.as_str()).is_some())
        );
        assert!(AnswerToken::parse("short").is_none());
        assert!(AnswerToken::parse("abc/efghijklmnopqrstuv").is_none());
    }

    /// Area 01: offices 1–3, area 02: office 4, none: office 5. Answers: 1 導入, 2 検討中,
    /// 4 導入 (via token, CP932), 9 (outside). Area 01: 2 of 3 answered, H1 導入 1 = 50.0%.
    #[test]
    fn results_per_area_from_cp932_csv() {
        use OfficeGroup::*;
        let offices = vec![
            office("3100000001", CareManagement, "米子市西町1"),
            office("3100000002", Service, "米子市西町2"),
            office("3100000003", Service, "米子市西町3"),
            office("3100000004", CareManagement, "米子市東町1"),
            office("3100000005", Service, "米子市どこか1"),
        ];
        let table = AreaTable::parse("a.csv", "圏域コード,圏域名,地域包括支援センター,町丁目\n01,中央,中央包括,西町\n02,東部,東部包括,東町\n".as_bytes()).unwrap();
        let a = assign(&offices, &table, &[]);
        let s = survey();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let tokens = issue_tokens(&[OfficeNo::parse("3100000004").unwrap()], &mut rng);
        let text = format!(
            "タイムスタンプ,事業所番号,トークン,H1. ケアプランデータ連携システムを導入していますか。,R1,提供票・実績の共有方法（複数選択）,Q4\r\n\
             2025/06/01 10:00:00,3100000001,,導入している,主要な相手とは原則連携,\"FAX, 郵送\",30\r\n\
             2025/06/02 10:00:00,3100000002,,検討中,,FAX,60\r\n\
             2025/06/03 10:00:00,,{},1,2,ケアプランデータ連携システム,\r\n\
             2025/06/03 11:00:00,3100000009,,検討中,,,\r\n\
             2025/06/04 11:00:00,,,検討中,,,\r\n",
            tokens[0].token.as_str()
        );
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let (rs, issues) = parse_answers(&s, "answers.csv", &bytes, &tokens).unwrap();
        assert_eq!(rs.len(), 4);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].line, Some(6));
        let res = survey_results(&s, &rs, &offices, &table, &a);
        assert_eq!(res.outside, vec![OfficeNo::parse("3100000009").unwrap()]);
        let g = &res.groups[0];
        assert_eq!((g.offices, g.responded), (3, 2));
        assert_eq!(g.response_rate.percent_label(), "66.7%");
        let h1 = &g.questions[0];
        assert_eq!(h1.answered, 2);
        assert_eq!(
            (h1.choices[0].count, h1.choices[0].percent),
            (1, Some(50.0))
        );
        let q3 = &g.questions[2];
        assert_eq!(q3.choices[1].count, 2); // FAX by both
        assert_eq!(q3.choices[1].percent, Some(100.0));
        let q4 = g.questions[3].numbers.unwrap();
        assert_eq!((q4.n, q4.mean, q4.median), (2, Some(45.0), Some(45.0)));
        let total = res.groups.last().unwrap();
        assert_eq!(total.label, "合計");
        assert_eq!((total.offices, total.responded), (5, 3));
        assert_eq!(total.questions[0].choices[0].count, 2);

        let obs = adoption_observations(&s, &rs, Day::parse("2025-06-30").unwrap());
        assert_eq!(obs.len(), 4);
        assert_eq!(obs[0].status, AdoptionStatus::Adopted);
        assert_eq!(obs[0].as_of.to_string(), "2025-06-01");
    }
}
