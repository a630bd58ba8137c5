//! Storage: one [`Store`] trait, two implementations (SQLite, PostgreSQL) that share their SQL.
//!
//! The trait speaks in plain records (strings, bytes, Unix seconds); it knows nothing about HTTP
//! or cryptography. Every write that matters as evidence appends its audit row in the same
//! transaction, so an envelope is never durable without its audit entry and vice versa.

mod audit;
mod group_commit;
mod partner_reports;
pub mod pg_settings;
mod pg_timeouts;
mod sql;
mod web;

use async_trait::async_trait;
use tsunagu_protocol::EnvelopeStatus;
use tsunagu_standard::OfficeId;

pub use audit::{AuditEvent, AuditKind, AuditRow, AuditVerification, BrokenRow, GENESIS_HASH};
pub use partner_reports::{PartnerMention, PartnerReportStore, StoredPartnerReport};
pub use pg_timeouts::PgTimeouts;
pub use sql::{PG_WRITE_LOCK, PgStore, SqliteStore};
pub use web::{
    EdgeCount, LoginFailures, MuniFile, MuniSetting, Municipality, StoredSnapshot, SurveyLink,
    WebRole, WebSession, WebStore, WebUser,
};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("invite code is unknown, used or expired")]
    InviteInvalid,
    /// The database cannot be reached (connection refused, pool timed out, …). Retry later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not parse (e.g. an office id); the database was edited by hand.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            other => {
                // A unique violation is an expected conflict, not a broken database.
                if let sqlx::Error::Database(db) = &other
                    && db.is_unique_violation()
                {
                    return StoreError::AlreadyExists;
                }
                // The server ending the session (a fast shutdown or `pg_terminate_backend`:
                // FATAL 57P01 to a query in flight) is the database going away, not a bad
                // statement: answer 503 so clients retry, as for a refused connection.
                if let sqlx::Error::Database(db) = &other
                    && db
                        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .is_some_and(|pg| pg_server_unavailable(pg.code()))
                {
                    return StoreError::Unavailable(other);
                }
                StoreError::Database(other)
            }
        }
    }
}

/// SQLSTATEs that mean the PostgreSQL server is unavailable rather than the statement wrong:
/// class 08 (connection exception) and 57P01–57P03 (admin shutdown, crash shutdown, cannot
/// connect now). Found by tests/hub/pg_outage.rs: a query in flight at `pg_ctl stop -m fast`
/// was answered 500.
fn pg_server_unavailable(code: &str) -> bool {
    // 55P03: lock_timeout ran out (another hub's transaction holds the writers' lock).
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "55P03")
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A registered office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub office_id: OfficeId,
    pub name: String,
    pub municipality_code: String,
    pub created_at: i64,
}

/// An issued invite (the code itself is only known to whoever received it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub office_id: OfficeId,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A desk installation of an office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub device_id: String,
    pub office_id: OfficeId,
    pub name: String,
    /// The `DevicePublicKeys` JSON exactly as registered.
    pub public_keys_json: String,
    pub key_id: String,
    pub fingerprint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// What registering a device stores.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: String,
    pub name: String,
    pub public_keys_json: String,
    pub key_id: String,
    pub fingerprint: String,
    /// hex SHA-256 of the bearer token.
    pub token_hash: String,
}

/// What sending an envelope stores.
#[derive(Debug, Clone)]
pub struct NewEnvelope {
    pub envelope_id: String,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: String,
    pub kinds: Vec<String>,
    pub service_month: Option<String>,
    pub size: u64,
    pub ciphertext_sha256: String,
    /// The routing metadata JSON exactly as uploaded.
    pub routing_json: String,
    pub sent_by: String,
    pub ciphertext: Vec<u8>,
}

/// An envelope's metadata and status (never its ciphertext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeRecord {
    pub seq: i64,
    pub envelope_id: String,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: String,
    pub kinds: Vec<String>,
    pub service_month: Option<String>,
    pub size: u64,
    pub ciphertext_sha256: String,
    pub routing_json: String,
    pub sent_by: String,
    pub sent_at: i64,
    pub received_at: Option<i64>,
    pub imported_at: Option<i64>,
    pub rejected_at: Option<i64>,
    pub rejection_reason: Option<String>,
    pub expired_at: Option<i64>,
    pub ciphertext_deleted_at: Option<i64>,
}

impl EnvelopeRecord {
    /// 送信済 → 受信済 → 取込済 / 差戻し, or 期限切れ when deleted without any receipt.
    pub fn status(&self) -> EnvelopeStatus {
        if self.rejected_at.is_some() {
            EnvelopeStatus::Rejected
        } else if self.imported_at.is_some() {
            EnvelopeStatus::Imported
        } else if self.received_at.is_some() {
            EnvelopeStatus::Received
        } else if self.expired_at.is_some() {
            EnvelopeStatus::Expired
        } else {
            EnvelopeStatus::Sent
        }
    }

    /// Whether `office` may see this envelope at all (sender or recipient).
    pub fn visible_to(&self, office: &OfficeId) -> bool {
        &self.sender == office || &self.recipient == office
    }
}

/// The answer to a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Stored now.
    Created(EnvelopeRecord),
    /// The same unit with the same ciphertext was already stored; nothing new was written.
    Existing(EnvelopeRecord),
    /// The same (sender, recipient, unit id) exists with a different ciphertext.
    Conflict(EnvelopeRecord),
}

/// Kinds of receipt, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Received,
    Imported,
    Rejected,
}

impl ReceiptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Received => "received",
            ReceiptKind::Imported => "imported",
            ReceiptKind::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "received" => Some(ReceiptKind::Received),
            "imported" => Some(ReceiptKind::Imported),
            "rejected" => Some(ReceiptKind::Rejected),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, ReceiptKind::Received)
    }
}

/// A verified receipt to store.
#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub envelope_id: String,
    pub kind: ReceiptKind,
    pub reason: Option<String>,
    pub posted_by: String,
    pub signed_by: String,
    /// The signed receipt JSON exactly as posted.
    pub receipt_json: String,
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    pub seq: i64,
    pub envelope_id: String,
    pub kind: ReceiptKind,
    pub reason: Option<String>,
    pub posted_by: String,
    pub signed_by: String,
    pub receipt_json: String,
    pub posted_at: i64,
}

/// The answer to posting a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    Recorded(EnvelopeRecord),
    /// The same receipt (or the same final status) was already recorded; nothing new was written.
    Duplicate(EnvelopeRecord),
    /// A different final status (取込済 vs 差戻し) was already recorded.
    Conflict(EnvelopeRecord),
}

/// How long ciphertext is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// After the final receipt (取込済 / 差戻し).
    pub after_final_secs: i64,
    /// After sending, when no final receipt ever came.
    pub unacknowledged_secs: i64,
}

/// What one retention pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Ciphertexts deleted because their final receipt is older than the policy.
    pub deleted_after_final: u64,
    /// Ciphertexts deleted because no final receipt came in time.
    pub deleted_unacknowledged: u64,
}

/// The storage of the hub. `now` is passed in (Unix seconds) so tests control time.
#[async_trait]
pub trait Store: WebStore + PartnerReportStore + Send + Sync + 'static {
    /// Backend name for logs ("sqlite" or "postgres").
    fn backend(&self) -> &'static str;

    /// Cheap round trip to the database (readiness).
    async fn ping(&self) -> StoreResult<()>;

    async fn create_office(&self, office: &Office) -> StoreResult<()>;
    async fn office(&self, id: &OfficeId) -> StoreResult<Option<Office>>;
    async fn offices(&self) -> StoreResult<Vec<Office>>;

    /// Stores an invite for an existing office; `code_hash` is the hex SHA-256 of the code.
    async fn create_invite(
        &self,
        office: &OfficeId,
        code_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;

    /// Consumes the invite and registers the device, atomically. `InviteInvalid` when the code is
    /// unknown, used or expired.
    async fn register_device(
        &self,
        code_hash: &str,
        device: &NewDevice,
        now: i64,
    ) -> StoreResult<(Device, Office)>;

    /// The device owning a token hash (revoked ones included, so the caller can tell them apart).
    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>>;
    async fn device(&self, device_id: &str) -> StoreResult<Option<Device>>;
    /// Devices of one office, or of all offices.
    async fn devices(&self, office: Option<&OfficeId>) -> StoreResult<Vec<Device>>;
    /// Revokes a device of `office`; `NotFound` for a device of another office.
    async fn revoke_device(
        &self,
        office: &OfficeId,
        device_id: &str,
        by_device: Option<&str>,
        now: i64,
    ) -> StoreResult<Device>;

    /// Stores an envelope unless the same (sender, recipient, unit id) exists.
    async fn send_envelope(&self, envelope: NewEnvelope, now: i64) -> StoreResult<SendOutcome>;
    async fn envelope(&self, envelope_id: &str) -> StoreResult<Option<EnvelopeRecord>>;
    /// Envelopes for `recipient` without a final receipt and with ciphertext, oldest first, `seq > after`.
    async fn inbox(
        &self,
        recipient: &OfficeId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<EnvelopeRecord>>;
    /// Envelopes sent by `sender`, oldest first, `seq > after`.
    async fn outbox(
        &self,
        sender: &OfficeId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<EnvelopeRecord>>;
    /// The ciphertext (None once deleted), recording the download in the audit log.
    async fn download(
        &self,
        envelope_id: &str,
        by_device: &str,
        by_office: &OfficeId,
        now: i64,
    ) -> StoreResult<Option<Vec<u8>>>;

    async fn post_receipt(&self, receipt: NewReceipt, now: i64) -> StoreResult<ReceiptOutcome>;
    async fn receipts(&self, envelope_id: &str) -> StoreResult<Vec<ReceiptRecord>>;

    /// Deletes ciphertext past the policy; metadata, receipts and audit rows stay.
    async fn run_retention(
        &self,
        policy: RetentionPolicy,
        now: i64,
    ) -> StoreResult<RetentionReport>;

    /// Appends an audit row in its own transaction (events not tied to another write).
    async fn audit(&self, event: AuditEvent, now: i64) -> StoreResult<()>;
    /// Audit rows with `seq > after`, oldest first.
    async fn audit_rows(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRow>>;
    /// Walks the whole chain; reports the first broken row.
    async fn verify_audit(&self) -> StoreResult<AuditVerification> {
        let mut verifier = audit::ChainVerifier::default();
        let mut after = 0;
        loop {
            let rows = self.audit_rows(after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in &rows {
                if !verifier.push(row) {
                    return Ok(verifier.finish());
                }
            }
        }
        Ok(verifier.finish())
    }
}

/// Opens the store a database URL names: `postgres://…` / `postgresql://…`, `sqlite://PATH`, or a
/// plain file path (SQLite). Migrates before returning.
pub async fn open(url: &str, pool_size: u32) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PgStore::connect(url, pool_size).await?))
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Ok(std::sync::Arc::new(
            SqliteStore::open(std::path::Path::new(path), pool_size).await?,
        ))
    }
}

/// Redacts the password of a database URL for logs.
pub fn redact_url(url: &str) -> String {
    // scheme://user:password@host → scheme://user:***@host
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("./x.sqlite"), "./x.sqlite");
    }
}
