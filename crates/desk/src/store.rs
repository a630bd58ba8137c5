//! The office's local state in SQLite (WAL, synchronous=FULL, migrations embedded). One file
//! under the data folder; the desk UI will read the same tables.
//!
//! Why SQLite through sqlx: the hub already builds sqlx (one driver in the binary), transactions
//! make "envelope stored before upload" and "import recorded before receipt" crash-safe, and a
//! UI can query units by month, partner or status without loading everything.

use std::path::Path;
use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use tsunagu_protocol::EnvelopeStatus;
use tsunagu_seal::{DevicePublicKeys, SignedReceipt};
use tsunagu_standard::OfficeId;

use crate::error::{DeskError, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How a key came to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinHow {
    /// This device's own key, pinned at `office init`.
    Own,
    /// Trusted on first use (the office had no pinned key yet).
    FirstUse,
    /// A person confirmed the fingerprint (`tsunagu partners trust`).
    Confirmed,
}

impl PinHow {
    pub fn as_str(self) -> &'static str {
        match self {
            PinHow::Own => "own",
            PinHow::FirstUse => "first_use",
            PinHow::Confirmed => "confirmed",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            PinHow::Own => "この端末",
            PinHow::FirstUse => "初回利用時に登録",
            PinHow::Confirmed => "指紋を確認して登録",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "own" => PinHow::Own,
            "confirmed" => PinHow::Confirmed,
            _ => PinHow::FirstUse,
        }
    }
}

/// One pinned device key of an office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedKey {
    pub office_id: OfficeId,
    pub keys: DevicePublicKeys,
    pub fingerprint: String,
    pub device_id: String,
    pub device_name: String,
    pub how: PinHow,
    pub pinned_at: i64,
}

/// Where a sent unit stands. `Sealed` is local only: stored, not yet acknowledged by the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentStatus {
    Sealed,
    Hub(EnvelopeStatus),
}

impl SentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SentStatus::Sealed => "sealed",
            SentStatus::Hub(s) => s.as_str(),
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            SentStatus::Sealed => "未送信",
            SentStatus::Hub(s) => s.label_ja(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sealed" => SentStatus::Sealed,
            "sent" => SentStatus::Hub(EnvelopeStatus::Sent),
            "received" => SentStatus::Hub(EnvelopeStatus::Received),
            "imported" => SentStatus::Hub(EnvelopeStatus::Imported),
            "rejected" => SentStatus::Hub(EnvelopeStatus::Rejected),
            "expired" => SentStatus::Hub(EnvelopeStatus::Expired),
            _ => return None,
        })
    }

    /// Whether the hub has acknowledged the upload.
    pub fn is_uploaded(self) -> bool {
        matches!(self, SentStatus::Hub(_))
    }

    /// The order statuses move in; a refresh never moves a unit backwards.
    pub fn rank(self) -> u8 {
        match self {
            SentStatus::Sealed => 0,
            SentStatus::Hub(EnvelopeStatus::Sent) => 1,
            SentStatus::Hub(EnvelopeStatus::Received) => 2,
            SentStatus::Hub(EnvelopeStatus::Expired) => 3,
            SentStatus::Hub(EnvelopeStatus::Imported | EnvelopeStatus::Rejected) => 4,
        }
    }

    /// The status after the hub reported `reported`: never backwards, final stays final.
    pub fn advance(self, reported: EnvelopeStatus) -> SentStatus {
        let next = SentStatus::Hub(reported);
        if next.rank() > self.rank() || (self.rank() == 1 && next.rank() == 1) {
            next
        } else {
            self
        }
    }
}

/// A unit this office sealed (and maybe uploaded).
#[derive(Debug, Clone)]
pub struct SentUnit {
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: String,
    pub kinds: Vec<String>,
    pub service_month: Option<String>,
    pub file_names: Vec<String>,
    pub files_sha256: String,
    pub routing_json: String,
    /// Loaded only where needed (uploads).
    pub ciphertext: Option<Vec<u8>>,
    pub ciphertext_sha256: String,
    pub size: i64,
    pub sealed_at: i64,
    pub uploaded_at: Option<i64>,
    pub envelope_id: Option<String>,
    pub status: SentStatus,
    pub rejection_reason: Option<String>,
    pub last_error: Option<String>,
    /// When this desk last tried to upload the stored envelope again because the hub no longer
    /// knew it (see [`crate::recover`]).
    pub hub_resent_at: Option<i64>,
    /// How many of those uploads the hub acknowledged.
    pub hub_resends: i64,
}

/// What happened to an envelope this office received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceivedStatus {
    Imported,
    Rejected,
}

impl ReceivedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceivedStatus::Imported => "imported",
            ReceivedStatus::Rejected => "rejected",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ReceivedStatus::Imported => "取込済",
            ReceivedStatus::Rejected => "差戻し",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReceivedUnit {
    pub envelope_id: String,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: String,
    pub kinds: Vec<String>,
    pub service_month: Option<String>,
    pub ciphertext_sha256: String,
    pub size: i64,
    pub file_names: Vec<String>,
    pub import_dir: Option<String>,
    pub status: ReceivedStatus,
    pub reason: Option<String>,
    pub received_at: i64,
    pub final_receipt_posted: bool,
}

/// Which side signed a stored receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A partner's receipt for a unit I sent.
    In,
    /// My receipt for a unit I received.
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoredReceipt {
    pub envelope_id: String,
    pub signed: SignedReceipt,
}

/// An office seen in my files or units.
#[derive(Debug, Clone)]
pub struct PartnerRow {
    pub office_id: OfficeId,
    pub name: Option<String>,
    pub on_hub: Option<bool>,
    pub checked_at: Option<i64>,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// The local database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

fn office(s: &str) -> Result<OfficeId> {
    OfficeId::parse(s).map_err(|_| DeskError::Database(format!("stored office id {s:?}")))
}

fn json_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| DeskError::Database(format!("stored list: {e}")))
}

fn to_json_list(v: &[String]) -> String {
    // A list of strings always serializes.
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Opens (creating and migrating) the database file.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DeskError::io("作成", dir, e))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged upload or import must survive a power cut.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// An in-memory database (tests).
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    // ---- pinned keys -------------------------------------------------------------------

    fn pinned_from_row(r: &SqliteRow) -> Result<PinnedKey> {
        let keys_json: String = r.try_get("public_keys")?;
        let keys: DevicePublicKeys = serde_json::from_str(&keys_json)
            .map_err(|e| DeskError::Database(format!("pinned keys: {e}")))?;
        Ok(PinnedKey {
            office_id: office(&r.try_get::<String, _>("office_id")?)?,
            keys,
            fingerprint: r.try_get("fingerprint")?,
            device_id: r.try_get("device_id")?,
            device_name: r.try_get("device_name")?,
            how: PinHow::parse(&r.try_get::<String, _>("how")?),
            pinned_at: r.try_get("pinned_at")?,
        })
    }

    pub async fn pinned(&self, office_id: &OfficeId) -> Result<Vec<PinnedKey>> {
        let rows =
            sqlx::query("SELECT * FROM pinned_keys WHERE office_id = ? ORDER BY pinned_at, key_id")
                .bind(office_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(Self::pinned_from_row).collect()
    }

    pub async fn all_pinned(&self) -> Result<Vec<PinnedKey>> {
        let rows = sqlx::query("SELECT * FROM pinned_keys ORDER BY office_id, pinned_at, key_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::pinned_from_row).collect()
    }

    /// Pins keys (an already pinned key id keeps its first record).
    pub async fn pin(&self, keys: &[PinnedKey]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for k in keys {
            let json = serde_json::to_string(&k.keys)
                .map_err(|e| DeskError::Database(format!("keys JSON: {e}")))?;
            sqlx::query(
                "INSERT INTO pinned_keys (office_id, key_id, fingerprint, public_keys, device_id, device_name, how, pinned_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (office_id, key_id) DO NOTHING",
            )
            .bind(k.office_id.to_string())
            .bind(k.keys.key_id())
            .bind(&k.fingerprint)
            .bind(json)
            .bind(&k.device_id)
            .bind(&k.device_name)
            .bind(k.how.as_str())
            .bind(k.pinned_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- partners ----------------------------------------------------------------------

    pub async fn saw_partner(&self, office_id: &OfficeId, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO partners (office_id, first_seen, last_seen) VALUES (?, ?, ?) \
             ON CONFLICT (office_id) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)",
        )
        .bind(office_id.to_string())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_partner_on_hub(
        &self,
        office_id: &OfficeId,
        on_hub: bool,
        name: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.saw_partner(office_id, now).await?;
        sqlx::query(
            "UPDATE partners SET on_hub = ?, name = COALESCE(?, name), checked_at = ? WHERE office_id = ?",
        )
        .bind(on_hub)
        .bind(name)
        .bind(now)
        .bind(office_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn partners(&self) -> Result<Vec<PartnerRow>> {
        let rows = sqlx::query("SELECT * FROM partners ORDER BY office_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PartnerRow {
                    office_id: office(&r.try_get::<String, _>("office_id")?)?,
                    name: r.try_get("name")?,
                    on_hub: r.try_get::<Option<bool>, _>("on_hub")?,
                    checked_at: r.try_get("checked_at")?,
                    first_seen: r.try_get("first_seen")?,
                    last_seen: r.try_get("last_seen")?,
                })
            })
            .collect()
    }

    // ---- sent units --------------------------------------------------------------------

    fn sent_from_row(r: &SqliteRow, with_ciphertext: bool) -> Result<SentUnit> {
        let status: String = r.try_get("status")?;
        Ok(SentUnit {
            sender: office(&r.try_get::<String, _>("sender")?)?,
            recipient: office(&r.try_get::<String, _>("recipient")?)?,
            unit_id: r.try_get("unit_id")?,
            kinds: json_list(&r.try_get::<String, _>("kinds")?)?,
            service_month: r.try_get("service_month")?,
            file_names: json_list(&r.try_get::<String, _>("file_names")?)?,
            files_sha256: r.try_get("files_sha256")?,
            routing_json: r.try_get("routing")?,
            ciphertext: if with_ciphertext {
                Some(r.try_get("ciphertext")?)
            } else {
                None
            },
            ciphertext_sha256: r.try_get("ciphertext_sha256")?,
            size: r.try_get("size")?,
            sealed_at: r.try_get("sealed_at")?,
            uploaded_at: r.try_get("uploaded_at")?,
            envelope_id: r.try_get("envelope_id")?,
            status: SentStatus::parse(&status)
                .ok_or_else(|| DeskError::Database(format!("sent status {status:?}")))?,
            rejection_reason: r.try_get("rejection_reason")?,
            last_error: r.try_get("last_error")?,
            hub_resent_at: r.try_get("hub_resent_at")?,
            hub_resends: r.try_get("hub_resends")?,
        })
    }

    const SENT_COLUMNS: &'static str = "sender, recipient, unit_id, kinds, service_month, file_names, files_sha256, routing, \
         ciphertext_sha256, size, sealed_at, uploaded_at, envelope_id, status, rejection_reason, last_error, \
         hub_resent_at, hub_resends";

    /// One sent unit with its stored ciphertext.
    pub async fn sent_unit(
        &self,
        sender: &OfficeId,
        recipient: &OfficeId,
        unit_id: &str,
    ) -> Result<Option<SentUnit>> {
        let row = sqlx::query(
            "SELECT * FROM sent_units WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(sender.to_string())
        .bind(recipient.to_string())
        .bind(unit_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| Self::sent_from_row(r, true))
            .transpose()
    }

    /// Every sent unit (without ciphertext), oldest first.
    pub async fn sent_units(&self) -> Result<Vec<SentUnit>> {
        let sql = format!(
            "SELECT {} FROM sent_units ORDER BY sealed_at, recipient, unit_id",
            Self::SENT_COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Self::sent_from_row(r, false)).collect()
    }

    /// Stores a freshly sealed envelope. Must happen before the upload.
    pub async fn insert_sealed(&self, u: &SentUnit) -> Result<()> {
        let ciphertext = u.ciphertext.as_deref().unwrap_or_default();
        sqlx::query(
            "INSERT INTO sent_units (sender, recipient, unit_id, kinds, service_month, file_names, files_sha256, routing, \
             ciphertext, ciphertext_sha256, size, sealed_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sealed')",
        )
        .bind(u.sender.to_string())
        .bind(u.recipient.to_string())
        .bind(&u.unit_id)
        .bind(to_json_list(&u.kinds))
        .bind(&u.service_month)
        .bind(to_json_list(&u.file_names))
        .bind(&u.files_sha256)
        .bind(&u.routing_json)
        .bind(ciphertext)
        .bind(&u.ciphertext_sha256)
        .bind(u.size)
        .bind(u.sealed_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The hub acknowledged the upload.
    pub async fn mark_uploaded(
        &self,
        sender: &OfficeId,
        recipient: &OfficeId,
        unit_id: &str,
        envelope_id: &str,
        status: EnvelopeStatus,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sent_units SET envelope_id = ?, uploaded_at = COALESCE(uploaded_at, ?), last_error = NULL, \
             status = CASE WHEN status = 'sealed' THEN ? ELSE status END \
             WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(envelope_id)
        .bind(now)
        .bind(status.as_str())
        .bind(sender.to_string())
        .bind(recipient.to_string())
        .bind(unit_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_upload_failed(
        &self,
        sender: &OfficeId,
        recipient: &OfficeId,
        unit_id: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sent_units SET last_error = ? WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(error)
        .bind(sender.to_string())
        .bind(recipient.to_string())
        .bind(unit_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a status the hub reported, never moving a unit backwards.
    pub async fn update_sent_status(
        &self,
        unit: &SentUnit,
        reported: EnvelopeStatus,
        envelope_id: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<SentStatus> {
        let next = unit.status.advance(reported);
        sqlx::query(
            "UPDATE sent_units SET status = ?, envelope_id = ?, rejection_reason = COALESCE(?, rejection_reason), \
             uploaded_at = COALESCE(uploaded_at, ?), status_checked_at = ? \
             WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(next.as_str())
        .bind(envelope_id)
        .bind(reason)
        .bind(now)
        .bind(now)
        .bind(unit.sender.to_string())
        .bind(unit.recipient.to_string())
        .bind(&unit.unit_id)
        .execute(&self.pool)
        .await?;
        Ok(next)
    }

    /// Whether a final receipt (取込済 or 差戻し) from the recipient is stored for this unit,
    /// under any envelope id it had.
    pub async fn has_final_receipt_in(
        &self,
        sender: &OfficeId,
        recipient: &OfficeId,
        unit_id: &str,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM receipts WHERE direction = 'in' AND sender = ? AND recipient = ? \
             AND unit_id = ? AND status IN ('imported', 'rejected')",
        )
        .bind(sender.to_string())
        .bind(recipient.to_string())
        .bind(unit_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Claims the right to upload a unit again because the hub lost it: true (and the attempt
    /// recorded at `now`) only if the unit is uploaded, not final nor expired, and was not
    /// attempted after `not_after`. One statement, so two syncs at once (the desk and a
    /// `tsunagu status`) never both upload.
    pub async fn claim_hub_resend(
        &self,
        unit: &SentUnit,
        now: i64,
        not_after: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sent_units SET hub_resent_at = ? \
             WHERE sender = ? AND recipient = ? AND unit_id = ? \
             AND status IN ('sent', 'received') AND envelope_id IS NOT NULL \
             AND (hub_resent_at IS NULL OR hub_resent_at <= ?)",
        )
        .bind(now)
        .bind(unit.sender.to_string())
        .bind(unit.recipient.to_string())
        .bind(&unit.unit_id)
        .bind(not_after)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives back a claim whose upload never reached the hub (unreachable): the next sync tries
    /// again instead of an hour later.
    pub async fn release_hub_resend(&self, unit: &SentUnit, previous: Option<i64>) -> Result<()> {
        sqlx::query(
            "UPDATE sent_units SET hub_resent_at = ? WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(previous)
        .bind(unit.sender.to_string())
        .bind(unit.recipient.to_string())
        .bind(&unit.unit_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The hub acknowledged the envelope uploaded again under `envelope_id`. The partner's
    /// receipts stored for the lost envelope id are copied to the new one: they name the unit
    /// and the ciphertext, not the envelope id, so they hold for the same bytes.
    pub async fn mark_hub_resent(
        &self,
        unit: &SentUnit,
        old_envelope_id: &str,
        envelope_id: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE sent_units SET envelope_id = ?, hub_resends = hub_resends + 1, last_error = NULL \
             WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(envelope_id)
        .bind(unit.sender.to_string())
        .bind(unit.recipient.to_string())
        .bind(&unit.unit_id)
        .execute(&mut *tx)
        .await?;
        if old_envelope_id != envelope_id {
            sqlx::query(
                "INSERT INTO receipts (direction, envelope_id, sender, recipient, unit_id, status, at, receipt) \
                 SELECT direction, ?, sender, recipient, unit_id, status, at, receipt FROM receipts \
                 WHERE envelope_id = ? AND direction = 'in' ORDER BY seq \
                 ON CONFLICT (envelope_id, receipt) DO NOTHING",
            )
            .bind(envelope_id)
            .bind(old_envelope_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- received units ----------------------------------------------------------------

    fn received_from_row(r: &SqliteRow) -> Result<ReceivedUnit> {
        let status: String = r.try_get("status")?;
        Ok(ReceivedUnit {
            envelope_id: r.try_get("envelope_id")?,
            sender: office(&r.try_get::<String, _>("sender")?)?,
            recipient: office(&r.try_get::<String, _>("recipient")?)?,
            unit_id: r.try_get("unit_id")?,
            kinds: json_list(&r.try_get::<String, _>("kinds")?)?,
            service_month: r.try_get("service_month")?,
            ciphertext_sha256: r.try_get("ciphertext_sha256")?,
            size: r.try_get("size")?,
            file_names: json_list(&r.try_get::<String, _>("file_names")?)?,
            import_dir: r.try_get("import_dir")?,
            status: if status == "imported" {
                ReceivedStatus::Imported
            } else {
                ReceivedStatus::Rejected
            },
            reason: r.try_get("reason")?,
            received_at: r.try_get("received_at")?,
            final_receipt_posted: r.try_get("final_receipt_posted")?,
        })
    }

    /// The unit with this (sender, recipient, unit id), whatever envelope carried it.
    pub async fn received_unit(
        &self,
        sender: &OfficeId,
        recipient: &OfficeId,
        unit_id: &str,
    ) -> Result<Option<ReceivedUnit>> {
        let row = sqlx::query(
            "SELECT * FROM received_units WHERE sender = ? AND recipient = ? AND unit_id = ?",
        )
        .bind(sender.to_string())
        .bind(recipient.to_string())
        .bind(unit_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::received_from_row).transpose()
    }

    pub async fn received_units(&self) -> Result<Vec<ReceivedUnit>> {
        let rows =
            sqlx::query("SELECT * FROM received_units ORDER BY received_at, sender, unit_id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(Self::received_from_row).collect()
    }

    /// Records the outcome of a received unit. Fails on a second unit with the same
    /// (sender, recipient, unit id): that is a replay.
    pub async fn insert_received(&self, u: &ReceivedUnit) -> Result<()> {
        sqlx::query(
            "INSERT INTO received_units (envelope_id, sender, recipient, unit_id, kinds, service_month, ciphertext_sha256, \
             size, file_names, import_dir, status, reason, received_at, final_receipt_posted) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.envelope_id)
        .bind(u.sender.to_string())
        .bind(u.recipient.to_string())
        .bind(&u.unit_id)
        .bind(to_json_list(&u.kinds))
        .bind(&u.service_month)
        .bind(&u.ciphertext_sha256)
        .bind(u.size)
        .bind(to_json_list(&u.file_names))
        .bind(&u.import_dir)
        .bind(u.status.as_str())
        .bind(&u.reason)
        .bind(u.received_at)
        .bind(u.final_receipt_posted)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_final_receipt_posted(&self, envelope_id: &str) -> Result<()> {
        sqlx::query("UPDATE received_units SET final_receipt_posted = 1 WHERE envelope_id = ?")
            .bind(envelope_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- receipts ----------------------------------------------------------------------

    /// Stores a signed receipt; false when it was already stored.
    pub async fn add_receipt(
        &self,
        direction: Direction,
        envelope_id: &str,
        signed: &SignedReceipt,
    ) -> Result<bool> {
        let r = &signed.receipt;
        let status = match &r.status {
            tsunagu_seal::ReceiptStatus::Received => "received",
            tsunagu_seal::ReceiptStatus::Imported => "imported",
            tsunagu_seal::ReceiptStatus::Rejected { .. } => "rejected",
        };
        let json = String::from_utf8(signed.to_bytes())
            .map_err(|e| DeskError::Database(format!("receipt JSON: {e}")))?;
        let done = sqlx::query(
            "INSERT INTO receipts (direction, envelope_id, sender, recipient, unit_id, status, at, receipt) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (envelope_id, receipt) DO NOTHING",
        )
        .bind(direction.as_str())
        .bind(envelope_id)
        .bind(r.sender.to_string())
        .bind(r.recipient.to_string())
        .bind(r.unit_id.as_str())
        .bind(status)
        .bind(r.at.unix_timestamp())
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn receipts_for(&self, envelope_id: &str) -> Result<Vec<StoredReceipt>> {
        let rows = sqlx::query(
            "SELECT envelope_id, receipt FROM receipts WHERE envelope_id = ? ORDER BY at, seq",
        )
        .bind(envelope_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let json: String = r.try_get("receipt")?;
                Ok(StoredReceipt {
                    envelope_id: r.try_get("envelope_id")?,
                    signed: SignedReceipt::from_bytes(json.as_bytes())?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(envelope_id: &str) -> ReceivedUnit {
        ReceivedUnit {
            envelope_id: envelope_id.into(),
            sender: OfficeId::parse("3100000001_43").unwrap(),
            recipient: OfficeId::parse("3100000101_11").unwrap(),
            unit_id: "20250325090000".into(),
            kinds: vec!["UPPLAN".into()],
            service_month: Some("202504".into()),
            ciphertext_sha256: "a".repeat(64),
            size: 10,
            file_names: vec!["UPPLAN_x.CSV".into()],
            import_dir: None,
            status: ReceivedStatus::Imported,
            reason: None,
            received_at: 1,
            final_receipt_posted: false,
        }
    }

    #[test]
    fn a_replayed_unit_is_never_recorded_twice() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::in_memory().await.unwrap();
            let first = unit("env_1");
            store.insert_received(&first).await.unwrap();
            // The same unit in another envelope (a replay) is refused by the store itself.
            assert!(store.insert_received(&unit("env_2")).await.is_err());
            let found = store
                .received_unit(&first.sender, &first.recipient, &first.unit_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(found.envelope_id, "env_1");
            assert_eq!(store.received_units().await.unwrap().len(), 1);
            store.mark_final_receipt_posted("env_1").await.unwrap();
            assert!(store.received_units().await.unwrap()[0].final_receipt_posted);
        });
    }

    #[test]
    fn sent_units_keep_their_envelope_until_acknowledged() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::in_memory().await.unwrap();
            let s = OfficeId::parse("3100000001_43").unwrap();
            let r = OfficeId::parse("3100000101_11").unwrap();
            let row = SentUnit {
                sender: s,
                recipient: r,
                unit_id: "20250325090000".into(),
                kinds: vec!["UPPLAN".into()],
                service_month: None,
                file_names: vec!["f".into()],
                files_sha256: "d".into(),
                routing_json: "{}".into(),
                ciphertext: Some(vec![1, 2, 3]),
                ciphertext_sha256: "c".into(),
                size: 3,
                sealed_at: 1,
                uploaded_at: None,
                envelope_id: None,
                status: SentStatus::Sealed,
                rejection_reason: None,
                last_error: None,
                hub_resent_at: None,
                hub_resends: 0,
            };
            store.insert_sealed(&row).await.unwrap();
            // Sealing the same unit again is refused: a retry must reuse the stored bytes.
            assert!(store.insert_sealed(&row).await.is_err());
            store
                .mark_upload_failed(&s, &r, &row.unit_id, "E-DESK-010 x")
                .await
                .unwrap();
            let stored = store
                .sent_unit(&s, &r, &row.unit_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.ciphertext.as_deref(), Some(&[1u8, 2, 3][..]));
            assert_eq!(stored.status, SentStatus::Sealed);
            assert_eq!(stored.last_error.as_deref(), Some("E-DESK-010 x"));
            store
                .mark_uploaded(&s, &r, &row.unit_id, "env_1", EnvelopeStatus::Sent, 5)
                .await
                .unwrap();
            let stored = store
                .sent_unit(&s, &r, &row.unit_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.status, SentStatus::Hub(EnvelopeStatus::Sent));
            assert_eq!(stored.envelope_id.as_deref(), Some("env_1"));
            assert_eq!(stored.last_error, None);
            let next = store
                .update_sent_status(&stored, EnvelopeStatus::Imported, "env_1", None, 6)
                .await
                .unwrap();
            assert_eq!(next, SentStatus::Hub(EnvelopeStatus::Imported));
            // A late 送信済 answer does not move it back.
            let stored = store
                .sent_unit(&s, &r, &row.unit_id)
                .await
                .unwrap()
                .unwrap();
            let next = store
                .update_sent_status(&stored, EnvelopeStatus::Sent, "env_1", None, 7)
                .await
                .unwrap();
            assert_eq!(next, SentStatus::Hub(EnvelopeStatus::Imported));
        });
    }

    #[test]
    fn sent_status_never_moves_backwards() {
        use EnvelopeStatus as E;
        let sealed = SentStatus::Sealed;
        assert_eq!(sealed.advance(E::Sent), SentStatus::Hub(E::Sent));
        let received = sealed.advance(E::Received);
        assert_eq!(received, SentStatus::Hub(E::Received));
        // A stale answer saying 送信済 after 受信済 does not move it back.
        assert_eq!(received.advance(E::Sent), received);
        let imported = received.advance(E::Imported);
        assert_eq!(imported, SentStatus::Hub(E::Imported));
        // Final stays final, even if retention later reports 期限切れ-like states.
        assert_eq!(imported.advance(E::Expired), imported);
        assert_eq!(imported.advance(E::Rejected), imported);
        assert_eq!(
            SentStatus::Hub(E::Sent).advance(E::Expired),
            SentStatus::Hub(E::Expired)
        );
        for s in [
            "sealed", "sent", "received", "imported", "rejected", "expired",
        ] {
            assert_eq!(SentStatus::parse(s).unwrap().as_str(), s);
        }
        assert!(!SentStatus::Sealed.is_uploaded());
        assert!(SentStatus::Hub(E::Sent).is_uploaded());
    }
}
