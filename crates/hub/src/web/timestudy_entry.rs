//! タイムスタディの入力: the municipality issues one entry link per person who does the study
//! (label, center or office, category set, study day, before/after); the person opens
//! `/t/{token}` on a phone without login and fills a slot grid of the day (15-minute slots,
//! 8:00–20:00, one select per slot) and/or measures with 開始/終了 (the server records the
//! times). Plain forms, no script; POSTs are CSRF-checked with the double-submit cookie.
//!
//! Storage reuses the city's files: the links (token hashes only) are one JSON file of kind
//! [`KIND_ENTRY_LINKS`], and each person's entries are written as a record CSV of the set's
//! time-study kind (`入力_{id}.csv`), so they are read by the same `parse_records` as an
//! uploaded CSV and appear on the タイムスタディ page. The token is `{muni_id}~{random}`: the
//! account part only says where to look, the random part is what is checked (by its hash).
//!
//! The municipality can cancel (取り消し) a link, e.g. a phone lost or a person who left: the
//! link then answers 404 「このリンクは取り消されました」 and takes no more entries, while what
//! was entered stays in the city's records.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tsunagu_insight::categories::CategorySet;
use tsunagu_insight::day::Day;
use tsunagu_insight::report_csv::Table;
use tsunagu_insight::timestudy::{self, Phase, SlotGrid, Subject, TimeRecord};

use super::chrome::{Chrome, csv_download, render};
use super::city::{self, TIMESTUDY_KINDS};
use super::session::{FORM_COOKIE, MuniUser, random_token, set_cookie};
use crate::error::WebError;
use crate::startup::AppState;
use crate::store::MuniFile;

/// The city file holding the entry links (JSON).
pub const KIND_ENTRY_LINKS: &str = "timestudy_entry_links";
const LINKS_FILE: &str = "links.json";
/// Serialises the read-modify-write of the links file within this hub process (a hub runs as
/// one process; the file is small and a save takes milliseconds).
static WRITE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The grid: 15-minute slots from 8:00 to 20:00.
pub const GRID_START: u32 = 8 * 60;
pub const GRID_SLOT: u32 = 15;
pub const GRID_SLOTS: usize = 48;

/// One person's entry link and what they entered so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryLink {
    /// Short public id (start of the token hash), names the entries file.
    pub id: String,
    pub token_hash: String,
    pub label: String,
    pub center: String,
    pub set_id: String,
    pub day: Day,
    pub phase: Phase,
    pub created_at: i64,
    /// Category code per grid slot (`GRID_SLOTS` long once saved).
    #[serde(default)]
    pub grid: Vec<Option<String>>,
    /// Finished start/stop measurements.
    #[serde(default)]
    pub timed: Vec<TimeRecord>,
    /// A measurement under way: category and start (unix seconds).
    #[serde(default)]
    pub running: Option<(String, i64)>,
    /// When the municipality cancelled the link, and who (login).
    #[serde(default)]
    pub cancelled: Option<(i64, String)>,
}

impl EntryLink {
    fn subject(&self) -> Subject {
        Subject {
            person: self.label.clone(),
            office: None,
            center: Some(self.center.clone()).filter(|c| !c.is_empty()),
            area: None,
        }
    }

    /// The grid as `insight::timestudy::SlotGrid`.
    pub fn slot_grid(&self) -> SlotGrid {
        SlotGrid {
            subject: self.subject(),
            phase: self.phase,
            day: self.day,
            start: GRID_START,
            slot_minutes: GRID_SLOT,
            slots: self.grid.clone(),
        }
    }

    /// Grid records then start/stop records.
    pub fn records(&self) -> Vec<TimeRecord> {
        let mut out = self.slot_grid().records();
        out.extend(self.timed.iter().cloned());
        out
    }
}

fn links_of(files: &[MuniFile]) -> Result<Vec<EntryLink>, WebError> {
    match files
        .iter()
        .find(|f| f.kind == KIND_ENTRY_LINKS && f.name == LINKS_FILE)
    {
        Some(f) => serde_json::from_slice(&f.bytes)
            .map_err(|e| WebError::Internal(format!("entry links json: {e}"))),
        None => Ok(Vec::new()),
    }
}

async fn load_links(state: &AppState, muni_id: &str) -> Result<Vec<EntryLink>, WebError> {
    links_of(&state.store.muni_files(muni_id).await?)
}

async fn save_links(
    state: &AppState,
    muni_id: &str,
    links: &[EntryLink],
    by: &str,
) -> Result<(), WebError> {
    let bytes = serde_json::to_vec(links)
        .map_err(|e| WebError::Internal(format!("entry links json: {e}")))?;
    state
        .store
        .put_muni_file(
            muni_id,
            &MuniFile {
                kind: KIND_ENTRY_LINKS.into(),
                name: LINKS_FILE.into(),
                bytes,
                uploaded_at: crate::now_unix(),
                uploaded_by: by.into(),
            },
        )
        .await?;
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn clock(m: u32) -> String {
    format!("{}:{:02}", m / 60, m % 60)
}

/// The record CSV (the import format) of a link's entries.
pub fn records_csv(link: &EntryLink) -> String {
    let mut out = String::from("対象者ID,日付,開始,分,業務,時期,センター\r\n");
    for r in link.records() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            csv_field(&r.subject.person),
            r.day,
            clock(r.start),
            r.minutes,
            csv_field(&r.category),
            r.phase.label(),
            csv_field(r.subject.center.as_deref().unwrap_or("")),
        ));
    }
    out
}

/// Saves the link list and rewrites the person's record CSV under the set's kind.
async fn save_entries(
    state: &AppState,
    muni_id: &str,
    links: &[EntryLink],
    link: &EntryLink,
) -> Result<(), WebError> {
    save_links(state, muni_id, links, "entry-link").await?;
    let kind = TIMESTUDY_KINDS
        .iter()
        .find(|(_, s)| *s == link.set_id)
        .map(|(k, _)| *k)
        .ok_or_else(|| WebError::Internal(format!("entry link set {}", link.set_id)))?;
    state
        .store
        .put_muni_file(
            muni_id,
            &MuniFile {
                kind: kind.into(),
                name: format!("入力_{}.csv", link.id),
                bytes: records_csv(link).into_bytes(),
                uploaded_at: crate::now_unix(),
                uploaded_by: format!("entry-link:{}", link.id),
            },
        )
        .await?;
    Ok(())
}

/// The entry address as the municipality's browser reached the hub.
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
    format!("{scheme}://{host}/t")
}

#[derive(Deserialize)]
pub struct NewLink {
    #[serde(default)]
    label: String,
    #[serde(default)]
    center: String,
    #[serde(default)]
    set: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    phase: String,
}

/// `POST /m/timestudy/links`: one entry link for one person; answers with a CSV holding the
/// link (the only place the token is ever written).
pub async fn issue(
    State(state): State<AppState>,
    user: MuniUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: NewLink = serde_urlencoded::from_bytes(&body)
        .map_err(|_| WebError::BadInput("E-WEB-TS 入力内容を読み取れません。".into()))?;
    let label = f.label.trim().to_string();
    if label.is_empty() || label.chars().count() > 40 {
        return Err(WebError::BadInput(
            "E-WEB-TS 対象者（番号や呼び名。40文字まで）を書いてください。".into(),
        ));
    }
    let set = CategorySet::builtin(&f.set)
        .filter(|s| TIMESTUDY_KINDS.iter().any(|(_, id)| *id == s.id))
        .ok_or_else(|| WebError::BadInput("E-WEB-TS 業務の分類を選んでください。".into()))?;
    let day = Day::parse(f.day.trim()).ok_or_else(|| {
        WebError::BadInput("E-WEB-TS 調査日は 2025-06-30 の形で書いてください。".into())
    })?;
    let phase = Phase::parse(&f.phase).ok_or_else(|| {
        WebError::BadInput("E-WEB-TS 時期は「なし」「導入前」「導入後」から選んでください。".into())
    })?;
    let token = format!("{}~{}", user.muni_id, random_token());
    let token_hash = crate::sha256_hex(token.as_bytes());
    let link = EntryLink {
        id: token_hash[..12].to_string(),
        token_hash,
        label: label.clone(),
        center: f.center.trim().chars().take(60).collect(),
        set_id: set.id.clone(),
        day,
        phase,
        created_at: crate::now_unix(),
        grid: Vec::new(),
        timed: Vec::new(),
        running: None,
        cancelled: None,
    };
    let _guard = WRITE.lock().await;
    let mut links = load_links(&state, &user.muni_id).await?;
    links.push(link.clone());
    save_links(&state, &user.muni_id, &links, &user.session.user.user_id).await?;
    tracing::info!(muni = %user.muni_id, link = %link.id, "time-study entry link issued");
    let mut t = Table::new(
        "タイムスタディ入力用リンク",
        [
            "対象者",
            "センター・事業所",
            "分類",
            "調査日",
            "時期",
            "入力用URL",
        ]
        .map(String::from)
        .to_vec(),
    );
    t.rows.push(vec![
        link.label.clone(),
        link.center.clone(),
        set.name.clone(),
        link.day.to_string(),
        phase.label().to_string(),
        format!("{}/{token}", base_url(&state, &headers)),
    ]);
    let city = city::load(&state, &user.muni_id).await?;
    let file = format!(
        "{}_{}_タイムスタディ入力用リンク_{}.csv",
        city.muni.name, city.today, link.label
    );
    Ok(csv_download(&file, t.to_excel_csv()))
}

/// Rows for the links table of the タイムスタディ page.
pub struct LinkRow {
    /// The link's public id (names its records file and the cancel action; not the token).
    pub id: String,
    /// `2025-06-30 10:00`, empty while the link is live.
    pub cancelled: String,
    pub label: String,
    pub center: String,
    pub set_name: String,
    pub day: String,
    pub phase: String,
    pub records: usize,
}

/// The city's entry links for the タイムスタディ page (never the tokens).
pub async fn link_rows(state: &AppState, muni_id: &str) -> Result<Vec<LinkRow>, WebError> {
    Ok(load_links(state, muni_id)
        .await?
        .iter()
        .map(|l| LinkRow {
            id: l.id.clone(),
            cancelled: l
                .cancelled
                .as_ref()
                .map(|(at, _)| super::format_jst(*at))
                .unwrap_or_default(),
            label: l.label.clone(),
            center: l.center.clone(),
            set_name: CategorySet::builtin(&l.set_id)
                .map(|s| s.name)
                .unwrap_or_default(),
            day: l.day.to_string(),
            phase: l.phase.label().to_string(),
            records: l.records().len(),
        })
        .collect())
}

/// What a token names.
enum Found {
    /// A live link: the account, its whole list, and the link's index in it.
    Live(String, Vec<EntryLink>, usize),
    /// A link the municipality cancelled.
    Cancelled,
}

/// The answer to a cancelled link: 404 with a message saying so (the token was real, and the
/// person should ask the municipality rather than retry).
fn cancelled_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        super::chrome::message_page(
            "タイムスタディの入力",
            "E-WEB-TS-CANCELLED このリンクは取り消されました。これまでに入力した記録は市区町村に届いています。入力を続ける場合は、市区町村に新しいリンクをお問い合わせください。",
        ),
    )
        .into_response()
}

/// The link of a token and the account's whole list, or 404.
async fn link_of(state: &AppState, token: &str) -> Result<Found, WebError> {
    let (muni_id, random) = token.split_once('~').ok_or(WebError::NotFound)?;
    if random.len() != 64 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WebError::NotFound);
    }
    if state.store.municipality(muni_id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let hash = crate::sha256_hex(token.as_bytes());
    let links = load_links(state, muni_id).await?;
    let i = links
        .iter()
        .position(|l| l.token_hash == hash)
        .ok_or(WebError::NotFound)?;
    if links[i].cancelled.is_some() {
        return Ok(Found::Cancelled);
    }
    Ok(Found::Live(muni_id.to_string(), links, i))
}

pub struct SlotView {
    pub index: usize,
    pub time: String,
    pub hour_start: bool,
    pub selected: String,
}

pub struct RecordView {
    pub time: String,
    pub minutes: u32,
    pub name: String,
}

#[derive(Template)]
#[template(path = "timestudy_entry.html")]
struct EntryPage {
    chrome: Chrome,
    form_token: String,
    token: String,
    label: String,
    center: String,
    set_name: String,
    day: String,
    phase: String,
    categories: Vec<(String, String)>,
    slots: Vec<SlotView>,
    unfilled: usize,
    running: String,
    records: Vec<RecordView>,
    total: u32,
    message: String,
}

fn at_japan(unix: i64) -> (Day, u32) {
    let t = crate::to_datetime(unix).to_offset(time::macros::offset!(+9));
    let day = Day::new(t.year(), t.month() as u8, t.day()).unwrap_or_else(city::today_jst);
    (day, u32::from(t.hour()) * 60 + u32::from(t.minute()))
}

fn entry_page(
    state: &AppState,
    token: &str,
    link: &EntryLink,
    message: &str,
) -> Result<Response, WebError> {
    let set = CategorySet::builtin(&link.set_id)
        .ok_or_else(|| WebError::Internal(format!("entry link set {}", link.set_id)))?;
    let name_of = |code: &str| {
        set.find(code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    };
    let slots = (0..GRID_SLOTS)
        .map(|i| {
            let at = GRID_START + i as u32 * GRID_SLOT;
            SlotView {
                index: i,
                time: format!("{}〜{}", clock(at), clock(at + GRID_SLOT)),
                hour_start: at.is_multiple_of(60),
                selected: link.grid.get(i).cloned().flatten().unwrap_or_default(),
            }
        })
        .collect();
    let mut grid = link.slot_grid();
    grid.slots.resize(GRID_SLOTS, None);
    let records: Vec<RecordView> = link
        .records()
        .iter()
        .map(|r| RecordView {
            time: format!("{} {}", r.day, clock(r.start)),
            minutes: r.minutes,
            name: name_of(&r.category),
        })
        .collect();
    let form_token = random_token();
    let mut res = render(&EntryPage {
        chrome: Chrome::public("タイムスタディの入力"),
        form_token: form_token.clone(),
        token: token.to_string(),
        label: link.label.clone(),
        center: link.center.clone(),
        set_name: set.name.clone(),
        day: link.day.to_string(),
        phase: link.phase.label().to_string(),
        categories: set
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect(),
        slots,
        unfilled: grid.unfilled(),
        running: link
            .running
            .as_ref()
            .map(|(c, at)| format!("{}（{} から）", name_of(c), clock(at_japan(*at).1)))
            .unwrap_or_default(),
        total: records.iter().map(|r| r.minutes).sum(),
        records,
        message: message.to_string(),
    })?;
    if let Some(v) = set_cookie(
        FORM_COOKIE,
        &form_token,
        12 * 3600,
        state.config.tls.is_some(),
    ) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /t/{token}`: the entry page, without login.
pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let Found::Live(_, links, i) = link_of(&state, &token).await? else {
        return Ok(cancelled_page());
    };
    entry_page(&state, &token, &links[i], "")
}

fn fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn back(token: &str) -> Response {
    Redirect::to(&format!("/t/{token}")).into_response()
}

/// `POST /t/{token}/grid`: fields `s0`…`s47`, each a category code of the set or empty.
pub async fn save_grid(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let _guard = WRITE.lock().await;
    let Found::Live(muni_id, mut links, i) = link_of(&state, &token).await? else {
        return Ok(cancelled_page());
    };
    let set = CategorySet::builtin(&links[i].set_id)
        .ok_or_else(|| WebError::Internal(format!("entry link set {}", links[i].set_id)))?;
    let mut grid: Vec<Option<String>> = vec![None; GRID_SLOTS];
    for (k, v) in fields(&body) {
        let Some(n) = k.strip_prefix('s').and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        if n >= GRID_SLOTS || v.trim().is_empty() {
            continue;
        }
        match set.find(&v) {
            Some(c) => grid[n] = Some(c.code.clone()),
            None => {
                let mut res =
                    entry_page(&state, &token, &links[i], "選べない業務が送られました。")?;
                *res.status_mut() = StatusCode::BAD_REQUEST;
                return Ok(res);
            }
        }
    }
    links[i].grid = grid;
    let link = links[i].clone();
    save_entries(&state, &muni_id, &links, &link).await?;
    tracing::info!(muni = %muni_id, link = %link.id, "time-study grid saved");
    Ok(back(&token))
}

/// `POST /t/{token}/start`: field `category`; a measurement under way is stopped first.
pub async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let _guard = WRITE.lock().await;
    let Found::Live(muni_id, mut links, i) = link_of(&state, &token).await? else {
        return Ok(cancelled_page());
    };
    let set = CategorySet::builtin(&links[i].set_id)
        .ok_or_else(|| WebError::Internal(format!("entry link set {}", links[i].set_id)))?;
    let chosen = fields(&body)
        .into_iter()
        .find(|(k, _)| k == "category")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let Some(cat) = set.find(&chosen).map(|c| c.code.clone()) else {
        let mut res = entry_page(
            &state,
            &token,
            &links[i],
            "業務を選んでから「開始」を押してください。",
        )?;
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    };
    let now = crate::now_unix();
    stop_running(&mut links[i], now);
    links[i].running = Some((cat, now));
    let link = links[i].clone();
    save_entries(&state, &muni_id, &links, &link).await?;
    Ok(back(&token))
}

/// Ends a measurement under way at `now` (a stop in the same minute records nothing).
pub fn stop_running(link: &mut EntryLink, now: i64) {
    if let Some((cat, at)) = link.running.take()
        && let Some(r) = timestudy::from_start_stop(
            link.subject(),
            link.phase,
            &cat,
            at_japan(at),
            at_japan(now),
        )
    {
        link.timed.push(r);
    }
}

/// `POST /t/{token}/stop`.
pub async fn stop(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let _guard = WRITE.lock().await;
    let Found::Live(muni_id, mut links, i) = link_of(&state, &token).await? else {
        return Ok(cancelled_page());
    };
    stop_running(&mut links[i], crate::now_unix());
    let link = links[i].clone();
    save_entries(&state, &muni_id, &links, &link).await?;
    Ok(back(&token))
}

/// `POST /m/timestudy/links/{id}/cancel`: cancels one of the account's links (another
/// account's or an unknown id: 404). A measurement under way is dropped (its end is unknown);
/// the records entered so far stay. Cancelling again changes nothing.
pub async fn cancel(
    State(state): State<AppState>,
    user: MuniUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let _guard = WRITE.lock().await;
    let mut links = load_links(&state, &user.muni_id).await?;
    let link = links
        .iter_mut()
        .find(|l| l.id == id)
        .ok_or(WebError::NotFound)?;
    if link.cancelled.is_none() {
        link.cancelled = Some((crate::now_unix(), user.session.user.login.clone()));
        link.running = None;
        save_links(&state, &user.muni_id, &links, &user.session.user.user_id).await?;
        tracing::info!(muni = %user.muni_id, link = %id, "time-study entry link cancelled");
    }
    Ok(super::session::see_other("/m/timestudy#entry"))
}
