//! What the web dashboard stores: municipality accounts and their codes, web users, sessions,
//! the city's uploaded files, adoption snapshots, survey links, the settings a municipality makes
//! on its pages, and failed logins (rate limiting). Records here; the SQL is the
//! `web_store_methods!` macro, expanded into both backends' `impl Store` by `sql.rs`.
//!
//! Scoping lives in the SQL: every municipality query joins `municipality_codes` on the account's
//! id, so a page can only ever receive rows of its own codes.

use async_trait::async_trait;
use tsunagu_standard::OfficeId;

use super::{Device, Office, StoreResult};

/// The dashboard's part of the storage; every [`super::Store`] is one (a supertrait, so the SQL
/// can live in its own macro: `async_trait` cannot see methods a nested macro would add).
#[async_trait]
pub trait WebStore: Send + Sync + 'static {
    /// Creates a municipality account with its codes; `AlreadyExists` when the id or a code is
    /// taken (a code belongs to one account only).
    async fn create_municipality(&self, m: &Municipality) -> StoreResult<()>;
    async fn municipality(&self, muni_id: &str) -> StoreResult<Option<Municipality>>;
    async fn municipalities(&self) -> StoreResult<Vec<Municipality>>;
    /// `AlreadyExists` when the login is taken.
    async fn create_web_user(&self, user: &WebUser) -> StoreResult<()>;
    async fn web_user_by_login(&self, login: &str) -> StoreResult<Option<WebUser>>;
    async fn web_users(&self) -> StoreResult<Vec<WebUser>>;
    /// The users of one municipality account (only those: scoped in SQL).
    async fn web_users_of(&self, muni_id: &str) -> StoreResult<Vec<WebUser>>;
    /// Stores a session by the hash of its cookie value (and drops expired ones).
    async fn create_session(
        &self,
        session_hash: &str,
        user_id: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The live session of a cookie hash with an enabled user, or None.
    async fn session(&self, session_hash: &str, now: i64) -> StoreResult<Option<WebSession>>;
    async fn delete_session(&self, session_hash: &str) -> StoreResult<()>;
    /// Offices registered on the hub under the account's codes.
    async fn offices_of(&self, muni_id: &str) -> StoreResult<Vec<Office>>;
    /// Devices of those offices (revoked ones included).
    async fn devices_of(&self, muni_id: &str) -> StoreResult<Vec<Device>>;
    /// Units per (month, sender, recipient) where either side is one of those offices.
    async fn edges_of(&self, muni_id: &str) -> StoreResult<Vec<EdgeCount>>;
    /// Stores (or replaces, by kind and name) one uploaded file.
    async fn put_muni_file(&self, muni_id: &str, file: &MuniFile) -> StoreResult<()>;
    async fn muni_files(&self, muni_id: &str) -> StoreResult<Vec<MuniFile>>;
    async fn delete_muni_file(&self, muni_id: &str, kind: &str, name: &str) -> StoreResult<bool>;
    /// Stores a snapshot, replacing one of the same day.
    async fn put_snapshot(&self, muni_id: &str, snapshot: &StoredSnapshot) -> StoreResult<()>;
    /// Snapshots oldest first.
    async fn snapshots(&self, muni_id: &str) -> StoreResult<Vec<StoredSnapshot>>;
    /// Stores answer links as (token hash, office number).
    async fn create_survey_links(
        &self,
        muni_id: &str,
        links: &[(String, String)],
        now: i64,
    ) -> StoreResult<()>;
    async fn survey_link(&self, token_hash: &str) -> StoreResult<Option<SurveyLink>>;
    async fn survey_links(&self, muni_id: &str) -> StoreResult<Vec<SurveyLink>>;
    /// Records (or replaces) the answers of a link; `NotFound` for an unknown token.
    async fn answer_survey(
        &self,
        token_hash: &str,
        answers_json: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// One setting of a municipality (`survey_questions`, `effect_params`), or None.
    async fn muni_setting(&self, muni_id: &str, name: &str) -> StoreResult<Option<MuniSetting>>;
    /// Writes a setting if its stored version is still `expected_version` (0: none stored yet),
    /// in one transaction. `Ok(false)`: someone else wrote it meanwhile, nothing was changed.
    async fn put_muni_setting(
        &self,
        muni_id: &str,
        name: &str,
        value: &str,
        expected_version: i64,
        now: i64,
        by: &str,
    ) -> StoreResult<bool>;
    /// Counts one failed login under `key` in one statement; a count whose last failure is
    /// older than `window_start` starts again at 1. Rows older than that are dropped.
    async fn record_login_failure(
        &self,
        key: &str,
        now: i64,
        window_start: i64,
    ) -> StoreResult<LoginFailures>;
    /// The counts of these keys (keys without failures are absent).
    async fn login_failures(&self, keys: &[String]) -> StoreResult<Vec<LoginFailures>>;
    /// Forgets the failures of `key` (after a successful login).
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
}

/// A setting a municipality made on its pages: a JSON value with who wrote it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuniSetting {
    pub name: String,
    /// JSON.
    pub value: String,
    /// 1 after the first write, +1 on each write.
    pub version: i64,
    pub updated_at: i64,
    /// Login of the web user.
    pub updated_by: String,
}

/// Failed logins counted under one key (a login name's hash or a client address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailures {
    pub key: String,
    pub failures: i64,
    pub last_failed_at: i64,
}

/// A municipality account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub muni_id: String,
    pub name: String,
    /// 6-digit 市区町村コード, sorted.
    pub codes: Vec<String>,
    pub created_at: i64,
}

/// What a web user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebRole {
    /// Runs the hub: creates municipality accounts.
    Operator,
    /// Sees its own municipality's aggregates.
    Municipality,
}

impl WebRole {
    pub fn as_str(self) -> &'static str {
        match self {
            WebRole::Operator => "operator",
            WebRole::Municipality => "municipality",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(WebRole::Operator),
            "municipality" => Some(WebRole::Municipality),
            _ => None,
        }
    }
}

/// A web user. `muni_id` is set exactly for the municipality role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub user_id: String,
    pub login: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: WebRole,
    pub muni_id: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// A live session: its user and the CSRF token of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub user: WebUser,
    pub csrf: String,
    pub expires_at: i64,
}

/// One file the city uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuniFile {
    /// `opendata`, `areas`, `overrides`, `answers`, `status_list`.
    pub kind: String,
    pub name: String,
    pub bytes: Vec<u8>,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

/// A stored adoption snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// `2025-06-30`.
    pub as_of: String,
    pub taken_at: i64,
    /// `manual` or `auto`.
    pub reason: String,
    /// JSON array of `tsunagu_insight::StatusObservation`.
    pub observations_json: String,
}

/// A survey answer link (the token itself is only in the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyLink {
    pub token_hash: String,
    pub muni_id: String,
    /// 10-character 事業所番号.
    pub office_no: String,
    pub created_at: i64,
    pub answered_at: Option<i64>,
    /// JSON object question id → answer, once answered.
    pub answers_json: Option<String>,
}

/// Send units between two offices in one month, as the dashboard may count them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCount {
    /// The service month (提供年月) of the units.
    pub month: Option<String>,
    /// For units without a service month (計画書: 第1〜3表 have none): the month they were
    /// sent, in Japan time (`2026-11`).
    pub exchanged_month: Option<String>,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub units: i64,
}

/// `2026-11` of a day number (days since 1970-01-01 in Japan time).
pub(super) fn month_of_day(day: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(day.checked_mul(86_400)?).ok()?;
    Some(format!("{:04}-{:02}", t.year(), t.month() as u8))
}

/// Rows of `(service month, sender, recipient, day sent or -1, units)` as edges: units with a
/// service month as they are, units without one per month sent (several days of a month add up).
pub(super) fn edges_from_rows(
    rows: Vec<(Option<String>, String, String, i64, i64)>,
) -> StoreResult<Vec<EdgeCount>> {
    let mut out: Vec<EdgeCount> = Vec::new();
    for (month, s, r, day, units) in rows {
        let exchanged_month = if month.is_none() {
            month_of_day(day)
        } else {
            None
        };
        let parse = |s: &str| {
            OfficeId::parse(s).map_err(|_| super::StoreError::Corrupt(format!("office id {s:?}")))
        };
        let (sender, recipient) = (parse(&s)?, parse(&r)?);
        match out.iter_mut().find(|e| {
            e.month == month
                && e.exchanged_month == exchanged_month
                && e.sender == sender
                && e.recipient == recipient
        }) {
            Some(e) => e.units += units,
            None => out.push(EdgeCount {
                month,
                exchanged_month,
                sender,
                recipient,
                units,
            }),
        }
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
pub(super) struct WebUserRow {
    pub user_id: String,
    pub login: String,
    pub password_hash: String,
    pub role: String,
    pub muni_id: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl TryFrom<WebUserRow> for WebUser {
    type Error = super::StoreError;
    fn try_from(r: WebUserRow) -> super::StoreResult<Self> {
        Ok(WebUser {
            role: WebRole::parse(&r.role)
                .ok_or_else(|| super::StoreError::Corrupt(format!("web user role {:?}", r.role)))?,
            user_id: r.user_id,
            login: r.login,
            password_hash: r.password_hash,
            muni_id: r.muni_id,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SurveyLinkRow {
    pub token_hash: String,
    pub muni_id: String,
    pub office_no: String,
    pub created_at: i64,
    pub answered_at: Option<i64>,
    pub answers: Option<String>,
}

impl From<SurveyLinkRow> for SurveyLink {
    fn from(r: SurveyLinkRow) -> Self {
        SurveyLink {
            token_hash: r.token_hash,
            muni_id: r.muni_id,
            office_no: r.office_no,
            created_at: r.created_at,
            answered_at: r.answered_at,
            answers_json: r.answers,
        }
    }
}

/// The web methods of `impl Store`, written once for both backends (`$1` binds work on both).
macro_rules! web_store_methods {
    ($store:ty) => {
        #[async_trait]
        impl WebStore for $store {
        async fn create_municipality(&self, m: &Municipality) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            sqlx::query("INSERT INTO municipalities (muni_id, name, created_at) VALUES ($1, $2, $3)")
                .bind(&m.muni_id)
                .bind(&m.name)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
            for code in &m.codes {
                // A code already bound to another account is a unique violation: AlreadyExists.
                sqlx::query("INSERT INTO municipality_codes (code, muni_id) VALUES ($1, $2)")
                    .bind(code)
                    .bind(&m.muni_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let event = AuditEvent::new(AuditKind::MunicipalityCreated)
                .detail(serde_json::json!({ "muni_id": m.muni_id, "name": m.name, "codes": m.codes }));
            Self::append_audit(&mut tx, &event, m.created_at).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn municipality(&self, muni_id: &str) -> StoreResult<Option<Municipality>> {
            let row: Option<(String, String, i64)> =
                sqlx::query_as("SELECT muni_id, name, created_at FROM municipalities WHERE muni_id = $1")
                    .bind(muni_id)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some((muni_id, name, created_at)) = row else {
                return Ok(None);
            };
            let codes: Vec<(String,)> =
                sqlx::query_as("SELECT code FROM municipality_codes WHERE muni_id = $1 ORDER BY code")
                    .bind(&muni_id)
                    .fetch_all(&self.pool)
                    .await?;
            Ok(Some(Municipality { muni_id, name, codes: codes.into_iter().map(|(c,)| c).collect(), created_at }))
        }

        async fn municipalities(&self) -> StoreResult<Vec<Municipality>> {
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT muni_id, name, created_at FROM municipalities ORDER BY created_at, muni_id")
                    .fetch_all(&self.pool)
                    .await?;
            let codes: Vec<(String, String)> =
                sqlx::query_as("SELECT muni_id, code FROM municipality_codes ORDER BY code")
                    .fetch_all(&self.pool)
                    .await?;
            Ok(rows
                .into_iter()
                .map(|(muni_id, name, created_at)| Municipality {
                    codes: codes.iter().filter(|(m, _)| *m == muni_id).map(|(_, c)| c.clone()).collect(),
                    muni_id,
                    name,
                    created_at,
                })
                .collect())
        }

        async fn create_web_user(&self, u: &WebUser) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO web_users (user_id, login, password_hash, role, muni_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&u.user_id)
            .bind(&u.login)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(&u.muni_id)
            .bind(u.created_at)
            .execute(&mut *tx)
            .await?;
            let event = AuditEvent::new(AuditKind::WebUserCreated)
                .detail(serde_json::json!({ "user_id": u.user_id, "login": u.login, "role": u.role.as_str(), "muni_id": u.muni_id }));
            Self::append_audit(&mut tx, &event, u.created_at).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn web_user_by_login(&self, login: &str) -> StoreResult<Option<WebUser>> {
            let row: Option<WebUserRow> = sqlx::query_as(
                "SELECT user_id, login, password_hash, role, muni_id, created_at, disabled_at FROM web_users WHERE login = $1",
            )
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
            row.map(WebUser::try_from).transpose()
        }

        async fn web_users(&self) -> StoreResult<Vec<WebUser>> {
            let rows: Vec<WebUserRow> = sqlx::query_as(
                "SELECT user_id, login, password_hash, role, muni_id, created_at, disabled_at FROM web_users ORDER BY login",
            )
            .fetch_all(&self.pool)
            .await?;
            collect(rows)
        }

        async fn web_users_of(&self, muni_id: &str) -> StoreResult<Vec<WebUser>> {
            let rows: Vec<WebUserRow> = sqlx::query_as(
                "SELECT user_id, login, password_hash, role, muni_id, created_at, disabled_at FROM web_users \
                 WHERE muni_id = $1 ORDER BY login",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            collect(rows)
        }

        async fn create_session(&self, session_hash: &str, user_id: &str, csrf: &str, now: i64, expires_at: i64) -> StoreResult<()> {
            // Sessions are not evidence: no write lock, no audit row. Expired ones go on the way.
            sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
            sqlx::query(
                "INSERT INTO web_sessions (session_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(session_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn session(&self, session_hash: &str, now: i64) -> StoreResult<Option<WebSession>> {
            let row: Option<(String, i64)> =
                sqlx::query_as("SELECT csrf, expires_at FROM web_sessions WHERE session_hash = $1 AND expires_at > $2")
                    .bind(session_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some((csrf, expires_at)) = row else {
                return Ok(None);
            };
            let user: Option<WebUserRow> = sqlx::query_as(
                "SELECT u.user_id, u.login, u.password_hash, u.role, u.muni_id, u.created_at, u.disabled_at \
                 FROM web_users u JOIN web_sessions s ON s.user_id = u.user_id \
                 WHERE s.session_hash = $1 AND u.disabled_at IS NULL",
            )
            .bind(session_hash)
            .fetch_optional(&self.pool)
            .await?;
            let Some(user) = user else {
                return Ok(None);
            };
            Ok(Some(WebSession { user: WebUser::try_from(user)?, csrf, expires_at }))
        }

        async fn delete_session(&self, session_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM web_sessions WHERE session_hash = $1").bind(session_hash).execute(&self.pool).await?;
            Ok(())
        }

        async fn offices_of(&self, muni_id: &str) -> StoreResult<Vec<Office>> {
            let rows: Vec<OfficeRow> = sqlx::query_as(
                "SELECT o.office_id, o.name, o.municipality_code, o.created_at FROM offices o \
                 JOIN municipality_codes c ON c.code = o.municipality_code WHERE c.muni_id = $1 ORDER BY o.office_id",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            collect(rows)
        }

        async fn devices_of(&self, muni_id: &str) -> StoreResult<Vec<Device>> {
            let rows: Vec<DeviceRow> = sqlx::query_as(
                "SELECT d.device_id, d.office_id, d.name, d.public_keys, d.key_id, d.fingerprint, d.created_at, d.revoked_at \
                 FROM devices d JOIN offices o ON o.office_id = d.office_id \
                 JOIN municipality_codes c ON c.code = o.municipality_code WHERE c.muni_id = $1 \
                 ORDER BY d.office_id, d.created_at, d.device_id",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            collect(rows)
        }

        async fn edges_of(&self, muni_id: &str) -> StoreResult<Vec<EdgeCount>> {
            // Only routing metadata: who sent to whom in which month, and how many units. Units
            // without a service month (plans) are counted per day sent in Japan time (UTC+9;
            // integer arithmetic, the same on both backends) and summed per month in Rust.
            let rows: Vec<(Option<String>, String, String, i64, i64)> = sqlx::query_as(
                "SELECT service_month, sender, recipient, \
                 CASE WHEN service_month IS NULL THEN (sent_at + 32400) / 86400 ELSE -1 END AS sent_day, COUNT(*) \
                 FROM envelopes \
                 WHERE sender IN (SELECT o.office_id FROM offices o JOIN municipality_codes c ON c.code = o.municipality_code WHERE c.muni_id = $1) \
                 OR recipient IN (SELECT o.office_id FROM offices o JOIN municipality_codes c ON c.code = o.municipality_code WHERE c.muni_id = $1) \
                 GROUP BY service_month, sender, recipient, sent_day ORDER BY service_month, sender, recipient, sent_day",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            $crate::store::web::edges_from_rows(rows)
        }

        async fn put_muni_file(&self, muni_id: &str, file: &MuniFile) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            sqlx::query("DELETE FROM muni_files WHERE muni_id = $1 AND kind = $2 AND name = $3")
                .bind(muni_id)
                .bind(&file.kind)
                .bind(&file.name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO muni_files (muni_id, kind, name, bytes, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(muni_id)
            .bind(&file.kind)
            .bind(&file.name)
            .bind(&file.bytes)
            .bind(file.uploaded_at)
            .bind(&file.uploaded_by)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn muni_files(&self, muni_id: &str) -> StoreResult<Vec<MuniFile>> {
            let rows: Vec<(String, String, Vec<u8>, i64, String)> = sqlx::query_as(
                "SELECT kind, name, bytes, uploaded_at, uploaded_by FROM muni_files WHERE muni_id = $1 ORDER BY kind, name",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(kind, name, bytes, uploaded_at, uploaded_by)| MuniFile { kind, name, bytes, uploaded_at, uploaded_by })
                .collect())
        }

        async fn delete_muni_file(&self, muni_id: &str, kind: &str, name: &str) -> StoreResult<bool> {
            let (_guard, mut tx) = self.begin_write().await?;
            let done = sqlx::query("DELETE FROM muni_files WHERE muni_id = $1 AND kind = $2 AND name = $3")
                .bind(muni_id)
                .bind(kind)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() > 0)
        }

        async fn put_snapshot(&self, muni_id: &str, snapshot: &StoredSnapshot) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            sqlx::query("DELETE FROM muni_snapshots WHERE muni_id = $1 AND as_of = $2")
                .bind(muni_id)
                .bind(&snapshot.as_of)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO muni_snapshots (muni_id, as_of, taken_at, reason, observations) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(muni_id)
            .bind(&snapshot.as_of)
            .bind(snapshot.taken_at)
            .bind(&snapshot.reason)
            .bind(&snapshot.observations_json)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn snapshots(&self, muni_id: &str) -> StoreResult<Vec<StoredSnapshot>> {
            let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
                "SELECT as_of, taken_at, reason, observations FROM muni_snapshots WHERE muni_id = $1 ORDER BY as_of",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(as_of, taken_at, reason, observations_json)| StoredSnapshot { as_of, taken_at, reason, observations_json })
                .collect())
        }

        async fn create_survey_links(&self, muni_id: &str, links: &[(String, String)], now: i64) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            for (token_hash, office_no) in links {
                sqlx::query(
                    "INSERT INTO survey_tokens (token_hash, muni_id, office_no, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(muni_id)
                .bind(office_no)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn survey_link(&self, token_hash: &str) -> StoreResult<Option<SurveyLink>> {
            let row: Option<SurveyLinkRow> = sqlx::query_as(
                "SELECT token_hash, muni_id, office_no, created_at, answered_at, answers FROM survey_tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(SurveyLink::from))
        }

        async fn survey_links(&self, muni_id: &str) -> StoreResult<Vec<SurveyLink>> {
            let rows: Vec<SurveyLinkRow> = sqlx::query_as(
                "SELECT token_hash, muni_id, office_no, created_at, answered_at, answers FROM survey_tokens \
                 WHERE muni_id = $1 ORDER BY office_no, created_at",
            )
            .bind(muni_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(SurveyLink::from).collect())
        }

        async fn answer_survey(&self, token_hash: &str, answers_json: &str, now: i64) -> StoreResult<()> {
            let (_guard, mut tx) = self.begin_write().await?;
            let done = sqlx::query("UPDATE survey_tokens SET answers = $1, answered_at = $2 WHERE token_hash = $3")
                .bind(answers_json)
                .bind(now)
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
            Ok(())
        }

        async fn muni_setting(&self, muni_id: &str, name: &str) -> StoreResult<Option<$crate::store::MuniSetting>> {
            let row: Option<(String, i64, i64, String)> = sqlx::query_as(
                "SELECT value, version, updated_at, updated_by FROM muni_settings WHERE muni_id = $1 AND name = $2",
            )
            .bind(muni_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(value, version, updated_at, updated_by)| $crate::store::MuniSetting {
                name: name.to_string(),
                value,
                version,
                updated_at,
                updated_by,
            }))
        }

        async fn put_muni_setting(
            &self,
            muni_id: &str,
            name: &str,
            value: &str,
            expected_version: i64,
            now: i64,
            by: &str,
        ) -> StoreResult<bool> {
            let (_guard, mut tx) = self.begin_write().await?;
            let current: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM muni_settings WHERE muni_id = $1 AND name = $2")
                    .bind(muni_id)
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if current.map_or(0, |(v,)| v) != expected_version {
                return Ok(false);
            }
            if current.is_some() {
                sqlx::query(
                    "UPDATE muni_settings SET value = $1, version = version + 1, updated_at = $2, updated_by = $3 \
                     WHERE muni_id = $4 AND name = $5",
                )
                .bind(value)
                .bind(now)
                .bind(by)
                .bind(muni_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO muni_settings (muni_id, name, value, version, updated_at, updated_by) \
                     VALUES ($1, $2, $3, 1, $4, $5)",
                )
                .bind(muni_id)
                .bind(name)
                .bind(value)
                .bind(now)
                .bind(by)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        }

        async fn record_login_failure(
            &self,
            key: &str,
            now: i64,
            window_start: i64,
        ) -> StoreResult<$crate::store::LoginFailures> {
            // Failed logins are not evidence: no write lock, no audit row. The count is one
            // statement, so two hub processes counting at once both count.
            sqlx::query("DELETE FROM web_login_failures WHERE last_failed_at < $1")
                .bind(window_start)
                .execute(&self.pool)
                .await?;
            let (failures, last_failed_at): (i64, i64) = sqlx::query_as(
                "INSERT INTO web_login_failures (key, failures, last_failed_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN web_login_failures.last_failed_at < $3 THEN 1 \
                 ELSE web_login_failures.failures + 1 END, last_failed_at = $2 \
                 RETURNING failures, last_failed_at",
            )
            .bind(key)
            .bind(now)
            .bind(window_start)
            .fetch_one(&self.pool)
            .await?;
            Ok($crate::store::LoginFailures { key: key.to_string(), failures, last_failed_at })
        }

        async fn login_failures(&self, keys: &[String]) -> StoreResult<Vec<$crate::store::LoginFailures>> {
            let mut out = Vec::new();
            for key in keys {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT failures, last_failed_at FROM web_login_failures WHERE key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                if let Some((failures, last_failed_at)) = row {
                    out.push($crate::store::LoginFailures { key: key.clone(), failures, last_failed_at });
                }
            }
            Ok(out)
        }

        async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM web_login_failures WHERE key = $1").bind(key).execute(&self.pool).await?;
            Ok(())
        }
        }
    };
}
pub(super) use web_store_methods;
