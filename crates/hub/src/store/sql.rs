//! The SQL behind both backends. The statements are written once (runtime `sqlx::query` with `$1`
//! binds work on SQLite and PostgreSQL alike) and expanded for each backend by `impl_store!`.
//! What differs lives outside the macro: how to connect, and how writers are serialized.
//!
//! Writers are serialized because the audit chain needs "read the last row, append the next" to
//! be atomic: SQLite with an in-process mutex (one hub process per SQLite file; the mutex also
//! avoids SQLITE_BUSY on lock upgrade), PostgreSQL with a transaction-scoped advisory lock (so
//! several hub processes can share one database). The hot path (sends, downloads, receipts) goes
//! through a group-commit writer (`group_commit.rs`) that takes the same lock once per batch.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, QueryBuilder, Sqlite, SqlitePool, Transaction};
use tsunagu_standard::OfficeId;

use super::audit::{AuditEvent, AuditKind, AuditRow, AuditTip, GENESIS_HASH};
use super::group_commit::{BatchBackend, GroupWriter, WriteJob, WriteOutput};
use super::pg_timeouts::PgTimeouts;
use super::web::{
    EdgeCount, MuniFile, Municipality, StoredSnapshot, SurveyLink, SurveyLinkRow, WebSession,
    WebStore, WebUser, WebUserRow, web_store_methods,
};
use super::{
    Device, EnvelopeRecord, NewDevice, NewEnvelope, NewReceipt, Office, ReceiptKind,
    ReceiptOutcome, ReceiptRecord, RetentionPolicy, RetentionReport, SendOutcome, Store,
    StoreError, StoreResult,
};

/// How long to wait for a pooled connection before answering "unavailable".
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Key of the PostgreSQL advisory lock that serializes writers ("tsunagu" on a phone keypad).
/// Public so tests can hold it from outside, as another hub would.
pub const PG_WRITE_LOCK: i64 = 8_786_248;
/// Envelopes handled per retention transaction.
const RETENTION_BATCH: i64 = 200;

/// The embedded SQLite backend.
pub struct SqliteStore {
    pool: SqlitePool,
    write_lock: Arc<tokio::sync::Mutex<()>>,
    writer: GroupWriter,
}

/// What the SQLite group-commit writer needs: the pool and the same write lock.
struct SqliteBatch {
    pool: SqlitePool,
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteBatch {
    async fn begin_locked(
        &self,
    ) -> StoreResult<(
        Option<tokio::sync::OwnedMutexGuard<()>>,
        Transaction<'static, Sqlite>,
    )> {
        let guard = Arc::clone(&self.write_lock).lock_owned().await;
        let tx = sqlite_begin_immediate(&self.pool).await?;
        Ok((Some(guard), tx))
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the SQLite file at `path` in WAL mode and migrates it.
    pub async fn open(path: &Path, pool_size: u32) -> StoreResult<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a send the hub acknowledged survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size.max(2))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let write_lock = Arc::new(tokio::sync::Mutex::new(()));
        // A local file: no network to go silent, so no batch timeout.
        let writer = GroupWriter::spawn(
            SqliteBatch {
                pool: pool.clone(),
                write_lock: Arc::clone(&write_lock),
            },
            None,
        );
        Ok(Self {
            pool,
            write_lock,
            writer,
        })
    }

    /// The pool (tests use it to tamper with rows directly).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(
        &self,
    ) -> StoreResult<(
        Option<tokio::sync::MutexGuard<'_, ()>>,
        Transaction<'static, Sqlite>,
    )> {
        let guard = self.write_lock.lock().await;
        let tx = sqlite_begin_immediate(&self.pool).await?;
        Ok((Some(guard), tx))
    }
}

/// A write transaction that takes SQLite's write lock at once (waiting up to the busy timeout),
/// instead of at its first write: a deferred transaction that reads first cannot upgrade to a
/// writer once its snapshot is stale, and fails with "database is locked" without waiting.
async fn sqlite_begin_immediate(pool: &SqlitePool) -> StoreResult<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// The PostgreSQL backend (several hub processes may share one database).
pub struct PgStore {
    pool: PgPool,
    writer: GroupWriter,
}

/// What the PostgreSQL group-commit writer needs.
struct PgBatch {
    pool: PgPool,
}

impl PgBatch {
    async fn begin_locked(
        &self,
    ) -> StoreResult<(
        Option<tokio::sync::OwnedMutexGuard<()>>,
        Transaction<'static, Postgres>,
    )> {
        Ok((None, pg_begin_locked(&self.pool).await?))
    }
}

/// A transaction holding the writers' advisory lock until it ends.
async fn pg_begin_locked(pool: &PgPool) -> StoreResult<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PG_WRITE_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

impl PgStore {
    /// Connects to `url` and migrates.
    pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        Self::connect_with(url, pool_size, PgTimeouts::default()).await
    }

    /// [`PgStore::connect`] with other bounds on waiting for the server (tests use short ones).
    pub async fn connect_with(
        url: &str,
        pool_size: u32,
        timeouts: PgTimeouts,
    ) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(2))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(timeouts.connect_options(url)?)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        super::pg_settings::warn_about(&pool).await;
        let writer = GroupWriter::spawn(PgBatch { pool: pool.clone() }, Some(timeouts.write_batch));
        Ok(Self { pool, writer })
    }

    /// The pool (tests use it to tamper with rows directly).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(
        &self,
    ) -> StoreResult<(
        Option<tokio::sync::MutexGuard<'_, ()>>,
        Transaction<'static, Postgres>,
    )> {
        Ok((None, pg_begin_locked(&self.pool).await?))
    }
}

#[derive(sqlx::FromRow)]
struct OfficeRow {
    office_id: String,
    name: String,
    municipality_code: String,
    created_at: i64,
}

impl TryFrom<OfficeRow> for Office {
    type Error = StoreError;
    fn try_from(r: OfficeRow) -> StoreResult<Self> {
        Ok(Office {
            office_id: parse_office(&r.office_id)?,
            name: r.name,
            municipality_code: r.municipality_code,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_id: String,
    office_id: String,
    name: String,
    public_keys: String,
    key_id: String,
    fingerprint: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;
    fn try_from(r: DeviceRow) -> StoreResult<Self> {
        Ok(Device {
            device_id: r.device_id,
            office_id: parse_office(&r.office_id)?,
            name: r.name,
            public_keys_json: r.public_keys,
            key_id: r.key_id,
            fingerprint: r.fingerprint,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EnvelopeRow {
    seq: i64,
    envelope_id: String,
    sender: String,
    recipient: String,
    unit_id: String,
    kinds: String,
    service_month: Option<String>,
    size: i64,
    ciphertext_sha256: String,
    routing: String,
    sent_by: String,
    sent_at: i64,
    received_at: Option<i64>,
    imported_at: Option<i64>,
    rejected_at: Option<i64>,
    rejection_reason: Option<String>,
    expired_at: Option<i64>,
    ciphertext_deleted_at: Option<i64>,
}

impl TryFrom<EnvelopeRow> for EnvelopeRecord {
    type Error = StoreError;
    fn try_from(r: EnvelopeRow) -> StoreResult<Self> {
        Ok(EnvelopeRecord {
            seq: r.seq,
            envelope_id: r.envelope_id,
            sender: parse_office(&r.sender)?,
            recipient: parse_office(&r.recipient)?,
            unit_id: r.unit_id,
            kinds: serde_json::from_str(&r.kinds)
                .map_err(|e| StoreError::Corrupt(format!("envelope kinds: {e}")))?,
            service_month: r.service_month,
            size: u64::try_from(r.size)
                .map_err(|_| StoreError::Corrupt("negative envelope size".into()))?,
            ciphertext_sha256: r.ciphertext_sha256,
            routing_json: r.routing,
            sent_by: r.sent_by,
            sent_at: r.sent_at,
            received_at: r.received_at,
            imported_at: r.imported_at,
            rejected_at: r.rejected_at,
            rejection_reason: r.rejection_reason,
            expired_at: r.expired_at,
            ciphertext_deleted_at: r.ciphertext_deleted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    seq: i64,
    envelope_id: String,
    status: String,
    reason: Option<String>,
    posted_by: String,
    signed_by: String,
    receipt: String,
    posted_at: i64,
}

impl TryFrom<ReceiptRow> for ReceiptRecord {
    type Error = StoreError;
    fn try_from(r: ReceiptRow) -> StoreResult<Self> {
        Ok(ReceiptRecord {
            seq: r.seq,
            envelope_id: r.envelope_id,
            kind: ReceiptKind::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("receipt status {:?}", r.status)))?,
            reason: r.reason,
            posted_by: r.posted_by,
            signed_by: r.signed_by,
            receipt_json: r.receipt,
            posted_at: r.posted_at,
        })
    }
}

fn parse_office(s: &str) -> StoreResult<OfficeId> {
    OfficeId::parse(s).map_err(|_| StoreError::Corrupt(format!("office id {s:?}")))
}

fn collect<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

macro_rules! envelope_columns {
    () => {
        "seq, envelope_id, sender, recipient, unit_id, kinds, service_month, size, ciphertext_sha256, routing, \
         sent_by, sent_at, received_at, imported_at, rejected_at, rejection_reason, expired_at, ciphertext_deleted_at"
    };
}

macro_rules! device_columns {
    () => {
        "device_id, office_id, name, public_keys, key_id, fingerprint, created_at, revoked_at"
    };
}

macro_rules! impl_store {
    ($store:ty, $batch:ty, $db:ty, $backend:literal) => {
        #[async_trait]
        impl BatchBackend for $batch {
            type Tx = (Option<tokio::sync::OwnedMutexGuard<()>>, Transaction<'static, $db>);

            async fn begin_batch(&self) -> StoreResult<(Self::Tx, AuditTip)> {
                let (guard, mut tx) = self.begin_locked().await?;
                let tip = <$store>::audit_tip(&mut tx).await?;
                Ok(((guard, tx), tip))
            }

            async fn run_jobs(
                &self,
                tx: &mut Self::Tx,
                tip: &mut AuditTip,
                jobs: &[(&WriteJob, i64)],
            ) -> StoreResult<Vec<StoreResult<WriteOutput>>> {
                <$store>::run_write_batch(&mut tx.1, tip, jobs).await
            }

            async fn commit_batch(&self, tx: Self::Tx) -> StoreResult<()> {
                let (_guard, tx) = tx;
                tx.commit().await?;
                Ok(())
            }
        }

        impl $store {
            /// The last row of the audit chain (the caller holds the write lock).
            async fn audit_tip(tx: &mut Transaction<'static, $db>) -> StoreResult<AuditTip> {
                let last: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
                Ok(match last {
                    Some((seq, hash)) => AuditTip { seq, hash },
                    None => AuditTip { seq: 0, hash: GENESIS_HASH.to_string() },
                })
            }

            /// Appends one audit row inside `tx` (the caller holds the write lock).
            async fn append_audit(tx: &mut Transaction<'static, $db>, event: &AuditEvent, now: i64) -> StoreResult<()> {
                let mut tip = Self::audit_tip(tx).await?;
                Self::append_audit_at(tx, &mut tip, event, now).await
            }

            /// Appends one audit row after `tip` and moves `tip` to it.
            async fn append_audit_at(
                tx: &mut Transaction<'static, $db>,
                tip: &mut AuditTip,
                event: &AuditEvent,
                now: i64,
            ) -> StoreResult<()> {
                let row = tip.next(event, now);
                Self::insert_audit_rows(tx, std::slice::from_ref(&row)).await
            }

            /// Inserts audit rows computed in memory, several hundred per statement.
            async fn insert_audit_rows(tx: &mut Transaction<'static, $db>, rows: &[AuditRow]) -> StoreResult<()> {
                for chunk in rows.chunks(500) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO audit_log (seq, at, event, office_id, device_id, envelope_id, detail, prev_hash, hash) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(r.seq)
                            .push_bind(r.at)
                            .push_bind(r.event.as_str())
                            .push_bind(r.office_id.as_deref())
                            .push_bind(r.device_id.as_deref())
                            .push_bind(r.envelope_id.as_deref())
                            .push_bind(r.detail.as_str())
                            .push_bind(r.prev_hash.as_str())
                            .push_bind(r.hash.as_str());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// The group-commit writer's batch: sends, then receipts, then downloads, each kind in
            /// a fixed number of statements, and every audit row in one insert at the end. (A
            /// receipt or download can never name an envelope sent in the same batch: its id is
            /// only known once the send is answered, after the commit.)
            async fn run_write_batch(
                tx: &mut Transaction<'static, $db>,
                tip: &mut AuditTip,
                jobs: &[(&WriteJob, i64)],
            ) -> StoreResult<Vec<StoreResult<WriteOutput>>> {
                let mut outputs: Vec<Option<StoreResult<WriteOutput>>> = (0..jobs.len()).map(|_| None).collect();
                let mut audit = Vec::with_capacity(jobs.len());
                let sends: Vec<(usize, &NewEnvelope, i64)> = jobs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (job, now))| match job { WriteJob::Send(e) => Some((i, e, *now)), _ => None })
                    .collect();
                if !sends.is_empty() {
                    Self::sends_in(tx, tip, &mut audit, &sends, &mut outputs).await?;
                }
                let receipts: Vec<(usize, &NewReceipt, i64)> = jobs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (job, now))| match job { WriteJob::Receipt(r) => Some((i, r, *now)), _ => None })
                    .collect();
                if !receipts.is_empty() {
                    Self::receipts_in(tx, tip, &mut audit, &receipts, &mut outputs).await?;
                }
                for (i, (job, now)) in jobs.iter().enumerate() {
                    if let WriteJob::Downloaded { envelope_id, by_device, by_office, size } = job {
                        let event = AuditEvent::new(AuditKind::EnvelopeDownloaded)
                            .office(by_office)
                            .device(by_device)
                            .envelope(envelope_id)
                            .detail(serde_json::json!({ "size": size }));
                        audit.push(tip.next(&event, *now));
                        outputs[i] = Some(Ok(WriteOutput::Downloaded));
                    }
                }
                Self::insert_audit_rows(tx, &audit).await?;
                outputs.into_iter().map(|o| o.ok_or_else(Self::wrong_answer)).collect()
            }

            /// Stores the batch's envelopes unless the same units are already there (or earlier in
            /// the batch): one duplicate check, one envelope insert, one blob insert.
            async fn sends_in(
                tx: &mut Transaction<'static, $db>,
                tip: &mut AuditTip,
                audit: &mut Vec<AuditRow>,
                sends: &[(usize, &NewEnvelope, i64)],
                outputs: &mut [Option<StoreResult<WriteOutput>>],
            ) -> StoreResult<()> {
                let key = |e: &NewEnvelope| (e.sender.to_string(), e.recipient.to_string(), e.unit_id.clone());
                // The first send of each unit in the batch is a candidate; later ones repeat it.
                let mut first_of: HashMap<(String, String, String), usize> = HashMap::new();
                let mut candidates = Vec::new();
                let mut repeats = Vec::new();
                for (k, (_, e, _)) in sends.iter().enumerate() {
                    match first_of.entry(key(e)) {
                        Entry::Occupied(first) => repeats.push((k, *first.get())),
                        Entry::Vacant(slot) => {
                            slot.insert(k);
                            candidates.push(k);
                        }
                    }
                }
                let mut existing: HashMap<(String, String, String), EnvelopeRecord> = HashMap::new();
                for chunk in candidates.chunks(300) {
                    let mut q = QueryBuilder::<$db>::new(concat!(
                        "SELECT ", envelope_columns!(), " FROM envelopes WHERE (sender, recipient, unit_id) IN ("
                    ));
                    q.push_values(chunk, |mut b, &k| {
                        let e = sends[k].1;
                        b.push_bind(e.sender.to_string()).push_bind(e.recipient.to_string()).push_bind(e.unit_id.as_str());
                    });
                    q.push(")");
                    let rows: Vec<EnvelopeRow> = q.build_query_as().fetch_all(&mut **tx).await?;
                    for row in rows {
                        let record = EnvelopeRecord::try_from(row)?;
                        existing.insert((record.sender.to_string(), record.recipient.to_string(), record.unit_id.clone()), record);
                    }
                }
                let fresh: Vec<usize> = candidates.iter().copied().filter(|&k| !existing.contains_key(&key(sends[k].1))).collect();
                let mut columns = HashMap::with_capacity(fresh.len());
                for &k in &fresh {
                    let e = sends[k].1;
                    let size = i64::try_from(e.size).map_err(|_| StoreError::Corrupt("envelope size exceeds i64".into()))?;
                    let kinds = serde_json::to_string(&e.kinds).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                    columns.insert(k, (size, kinds));
                }
                let mut seqs: HashMap<String, i64> = HashMap::with_capacity(fresh.len());
                for chunk in fresh.chunks(200) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO envelopes (envelope_id, sender, recipient, unit_id, kinds, service_month, size, \
                         ciphertext_sha256, routing, sent_by, sent_at) ",
                    );
                    q.push_values(chunk, |mut b, &k| {
                        let (_, e, now) = sends[k];
                        let (size, kinds) = &columns[&k];
                        b.push_bind(e.envelope_id.as_str())
                            .push_bind(e.sender.to_string())
                            .push_bind(e.recipient.to_string())
                            .push_bind(e.unit_id.as_str())
                            .push_bind(kinds.as_str())
                            .push_bind(e.service_month.as_deref())
                            .push_bind(*size)
                            .push_bind(e.ciphertext_sha256.as_str())
                            .push_bind(e.routing_json.as_str())
                            .push_bind(e.sent_by.as_str())
                            .push_bind(now);
                    });
                    q.push(" RETURNING envelope_id, seq");
                    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut **tx).await?;
                    seqs.extend(rows);
                }
                for chunk in fresh.chunks(64) {
                    let mut q = QueryBuilder::<$db>::new("INSERT INTO envelope_blobs (envelope_id, ciphertext) ");
                    q.push_values(chunk, |mut b, &k| {
                        let e = sends[k].1;
                        b.push_bind(e.envelope_id.as_str()).push_bind(e.ciphertext.as_slice());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let mut answered: HashMap<usize, EnvelopeRecord> = HashMap::with_capacity(candidates.len());
                for &k in &candidates {
                    let (i, e, now) = sends[k];
                    let outcome = if let Some(record) = existing.remove(&key(e)) {
                        // Nothing is written either way.
                        if record.ciphertext_sha256 == e.ciphertext_sha256 && record.size == e.size {
                            SendOutcome::Existing(record)
                        } else {
                            SendOutcome::Conflict(record)
                        }
                    } else {
                        let seq = *seqs.get(&e.envelope_id).ok_or_else(|| StoreError::Corrupt("an inserted envelope has no seq".into()))?;
                        let event = AuditEvent::new(AuditKind::EnvelopeSent)
                            .office(&e.sender)
                            .device(&e.sent_by)
                            .envelope(&e.envelope_id)
                            .detail(serde_json::json!({
                                "recipient": e.recipient.to_string(),
                                "unit_id": e.unit_id,
                                "kinds": e.kinds,
                                "service_month": e.service_month,
                                "size": e.size,
                                "ciphertext_sha256": e.ciphertext_sha256,
                            }));
                        audit.push(tip.next(&event, now));
                        // Built from what was just inserted rather than read back.
                        SendOutcome::Created(EnvelopeRecord {
                            seq,
                            envelope_id: e.envelope_id.clone(),
                            sender: e.sender,
                            recipient: e.recipient,
                            unit_id: e.unit_id.clone(),
                            kinds: e.kinds.clone(),
                            service_month: e.service_month.clone(),
                            size: e.size,
                            ciphertext_sha256: e.ciphertext_sha256.clone(),
                            routing_json: e.routing_json.clone(),
                            sent_by: e.sent_by.clone(),
                            sent_at: now,
                            received_at: None,
                            imported_at: None,
                            rejected_at: None,
                            rejection_reason: None,
                            expired_at: None,
                            ciphertext_deleted_at: None,
                        })
                    };
                    let record = match &outcome {
                        SendOutcome::Created(r) | SendOutcome::Existing(r) | SendOutcome::Conflict(r) => r.clone(),
                    };
                    answered.insert(k, record);
                    outputs[i] = Some(Ok(WriteOutput::Sent(outcome)));
                }
                for (k, first) in repeats {
                    let (i, e, _) = sends[k];
                    let record = answered.get(&first).cloned().ok_or_else(Self::wrong_answer)?;
                    let outcome = if record.ciphertext_sha256 == e.ciphertext_sha256 && record.size == e.size {
                        SendOutcome::Existing(record)
                    } else {
                        SendOutcome::Conflict(record)
                    };
                    outputs[i] = Some(Ok(WriteOutput::Sent(outcome)));
                }
                Ok(())
            }

            /// Records the batch's receipts: one read of their envelopes, one of their earlier
            /// receipts, then one update and one insert; the decisions are made in memory in the
            /// order the receipts arrived.
            async fn receipts_in(
                tx: &mut Transaction<'static, $db>,
                tip: &mut AuditTip,
                audit: &mut Vec<AuditRow>,
                receipts: &[(usize, &NewReceipt, i64)],
                outputs: &mut [Option<StoreResult<WriteOutput>>],
            ) -> StoreResult<()> {
                let mut ids: Vec<&str> = receipts.iter().map(|(_, r, _)| r.envelope_id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                let mut envelopes: HashMap<String, EnvelopeRecord> = HashMap::with_capacity(ids.len());
                let mut seen: HashSet<(String, String)> = HashSet::new();
                for chunk in ids.chunks(500) {
                    let mut q = QueryBuilder::<$db>::new(concat!("SELECT ", envelope_columns!(), " FROM envelopes WHERE envelope_id IN ("));
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let rows: Vec<EnvelopeRow> = q.build_query_as().fetch_all(&mut **tx).await?;
                    for row in rows {
                        let record = EnvelopeRecord::try_from(row)?;
                        envelopes.insert(record.envelope_id.clone(), record);
                    }
                    let mut q = QueryBuilder::<$db>::new("SELECT envelope_id, receipt FROM receipts WHERE envelope_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut **tx).await?;
                    seen.extend(rows);
                }
                let mut changed: Vec<String> = Vec::new();
                let mut new_rows: Vec<(&NewReceipt, i64)> = Vec::new();
                for &(i, r, now) in receipts {
                    let Some(envelope) = envelopes.get_mut(&r.envelope_id) else {
                        outputs[i] = Some(Err(StoreError::NotFound));
                        continue;
                    };
                    if seen.contains(&(r.envelope_id.clone(), r.receipt_json.clone())) {
                        outputs[i] = Some(Ok(WriteOutput::Receipt(ReceiptOutcome::Duplicate(envelope.clone()))));
                        continue;
                    }
                    let current_final = if envelope.imported_at.is_some() {
                        Some(ReceiptKind::Imported)
                    } else if envelope.rejected_at.is_some() {
                        Some(ReceiptKind::Rejected)
                    } else {
                        None
                    };
                    match (current_final, r.kind) {
                        (Some(have), want) if want.is_final() && have != want => {
                            outputs[i] = Some(Ok(WriteOutput::Receipt(ReceiptOutcome::Conflict(envelope.clone()))));
                            continue;
                        }
                        (Some(have), want) if have == want => {
                            outputs[i] = Some(Ok(WriteOutput::Receipt(ReceiptOutcome::Duplicate(envelope.clone()))));
                            continue;
                        }
                        _ => {}
                    }
                    // What the single-receipt UPDATE did with COALESCE, applied to our copy.
                    envelope.received_at = envelope.received_at.or(Some(now));
                    match r.kind {
                        ReceiptKind::Received => {}
                        ReceiptKind::Imported => envelope.imported_at = envelope.imported_at.or(Some(now)),
                        ReceiptKind::Rejected => {
                            envelope.rejected_at = envelope.rejected_at.or(Some(now));
                            envelope.rejection_reason = envelope.rejection_reason.take().or_else(|| r.reason.clone());
                        }
                    }
                    if !changed.contains(&r.envelope_id) {
                        changed.push(r.envelope_id.clone());
                    }
                    seen.insert((r.envelope_id.clone(), r.receipt_json.clone()));
                    new_rows.push((r, now));
                    let event = AuditEvent::new(AuditKind::ReceiptPosted)
                        .office(&envelope.recipient)
                        .device(&r.posted_by)
                        .envelope(&r.envelope_id)
                        .detail(serde_json::json!({ "status": r.kind.as_str(), "reason": r.reason, "signed_by": r.signed_by }));
                    audit.push(tip.next(&event, now));
                    outputs[i] = Some(Ok(WriteOutput::Receipt(ReceiptOutcome::Recorded(envelope.clone()))));
                }
                for chunk in changed.chunks(200) {
                    // The envelopes' new state, decided above while holding the write lock.
                    let mut q = QueryBuilder::<$db>::new(
                        "UPDATE envelopes SET received_at = v.column2, imported_at = v.column3, rejected_at = v.column4, \
                         rejection_reason = v.column5 FROM (",
                    );
                    q.push_values(chunk, |mut b, id| {
                        let e = &envelopes[id];
                        b.push_bind(id.as_str())
                            .push_bind(e.received_at)
                            .push_bind(e.imported_at)
                            .push_bind(e.rejected_at)
                            .push_bind(e.rejection_reason.as_deref());
                    });
                    q.push(") AS v WHERE envelopes.envelope_id = v.column1");
                    q.build().execute(&mut **tx).await?;
                }
                for chunk in new_rows.chunks(200) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO receipts (envelope_id, status, reason, posted_by, signed_by, receipt, posted_at) ",
                    );
                    q.push_values(chunk, |mut b, (r, now)| {
                        b.push_bind(r.envelope_id.as_str())
                            .push_bind(r.kind.as_str())
                            .push_bind(r.reason.as_deref())
                            .push_bind(r.posted_by.as_str())
                            .push_bind(r.signed_by.as_str())
                            .push_bind(r.receipt_json.as_str())
                            .push_bind(*now);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Answers of the group-commit writer, unwrapped for one kind of job.
            fn wrong_answer() -> StoreError {
                StoreError::Corrupt("the store's writer answered a different kind of job".into())
            }

            async fn office_fingerprints(tx: &mut Transaction<'static, $db>, office: &str) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT fingerprint FROM devices WHERE office_id = $1 AND revoked_at IS NULL ORDER BY created_at, device_id",
                )
                .bind(office)
                .fetch_all(&mut **tx)
                .await?;
                Ok(rows.into_iter().map(|(f,)| f).collect())
            }

            /// Deletes the ciphertext of every envelope `select` finds (`$1` = cutoff, `$2` = batch
            /// size), a batch per transaction so each holds the write lock only briefly.
            async fn delete_ciphertext_in_batches(
                &self,
                select: &'static str,
                cutoff: i64,
                expire: bool,
                reason: &str,
                now: i64,
            ) -> StoreResult<u64> {
                let mut deleted = 0u64;
                loop {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let ids: Vec<(String,)> = sqlx::query_as(select)
                        .bind(cutoff)
                        .bind(RETENTION_BATCH)
                        .fetch_all(&mut *tx)
                        .await?;
                    if ids.is_empty() {
                        return Ok(deleted);
                    }
                    for (id,) in &ids {
                        Self::delete_ciphertext(&mut tx, id, expire, reason, now).await?;
                    }
                    tx.commit().await?;
                    deleted += ids.len() as u64;
                }
            }

            /// Deletes the ciphertext of one envelope and records why.
            async fn delete_ciphertext(
                tx: &mut Transaction<'static, $db>,
                envelope_id: &str,
                expire: bool,
                reason: &str,
                now: i64,
            ) -> StoreResult<()> {
                sqlx::query("DELETE FROM envelope_blobs WHERE envelope_id = $1").bind(envelope_id).execute(&mut **tx).await?;
                sqlx::query(
                    "UPDATE envelopes SET ciphertext_deleted_at = $1, \
                     expired_at = CASE WHEN $2 AND received_at IS NULL THEN $1 ELSE expired_at END \
                     WHERE envelope_id = $3",
                )
                .bind(now)
                .bind(expire)
                .bind(envelope_id)
                .execute(&mut **tx)
                .await?;
                let event = AuditEvent::new(AuditKind::CiphertextDeleted)
                    .envelope(envelope_id)
                    .detail(serde_json::json!({ "reason": reason }));
                Self::append_audit(tx, &event, now).await
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_office(&self, office: &Office) -> StoreResult<()> {
                let (_guard, mut tx) = self.begin_write().await?;
                let id = office.office_id.to_string();
                sqlx::query("INSERT INTO offices (office_id, name, municipality_code, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&id)
                    .bind(&office.name)
                    .bind(&office.municipality_code)
                    .bind(office.created_at)
                    .execute(&mut *tx)
                    .await?;
                let event = AuditEvent::new(AuditKind::OfficeCreated)
                    .office(&id)
                    .detail(serde_json::json!({ "name": office.name, "municipality_code": office.municipality_code }));
                Self::append_audit(&mut tx, &event, office.created_at).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn office(&self, id: &OfficeId) -> StoreResult<Option<Office>> {
                let row: Option<OfficeRow> =
                    sqlx::query_as("SELECT office_id, name, municipality_code, created_at FROM offices WHERE office_id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(Office::try_from).transpose()
            }

            async fn offices(&self) -> StoreResult<Vec<Office>> {
                let rows: Vec<OfficeRow> =
                    sqlx::query_as("SELECT office_id, name, municipality_code, created_at FROM offices ORDER BY office_id")
                        .fetch_all(&self.pool)
                        .await?;
                collect(rows)
            }

            async fn create_invite(&self, office: &OfficeId, code_hash: &str, now: i64, expires_at: i64) -> StoreResult<()> {
                let (_guard, mut tx) = self.begin_write().await?;
                let id = office.to_string();
                let exists: Option<(String,)> = sqlx::query_as("SELECT office_id FROM offices WHERE office_id = $1")
                    .bind(&id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("INSERT INTO invites (code_hash, office_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(code_hash)
                    .bind(&id)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                // The first 8 hex digits identify the invite in the log without revealing the code.
                let event = AuditEvent::new(AuditKind::InviteIssued)
                    .office(&id)
                    .detail(serde_json::json!({ "invite": &code_hash[..8.min(code_hash.len())], "expires_at": expires_at }));
                Self::append_audit(&mut tx, &event, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn register_device(&self, code_hash: &str, device: &NewDevice, now: i64) -> StoreResult<(Device, Office)> {
                let (_guard, mut tx) = self.begin_write().await?;
                let invite: Option<(String,)> = sqlx::query_as(
                    "UPDATE invites SET used_at = $1, used_by = $2 \
                     WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING office_id",
                )
                .bind(now)
                .bind(&device.device_id)
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((office_id,)) = invite else {
                    return Err(StoreError::InviteInvalid);
                };
                sqlx::query(
                    "INSERT INTO devices (device_id, office_id, name, public_keys, key_id, fingerprint, token_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&device.device_id)
                .bind(&office_id)
                .bind(&device.name)
                .bind(&device.public_keys_json)
                .bind(&device.key_id)
                .bind(&device.fingerprint)
                .bind(&device.token_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let invite_ref = &code_hash[..8.min(code_hash.len())];
                Self::append_audit(
                    &mut tx,
                    &AuditEvent::new(AuditKind::InviteUsed)
                        .office(&office_id)
                        .device(&device.device_id)
                        .detail(serde_json::json!({ "invite": invite_ref })),
                    now,
                )
                .await?;
                Self::append_audit(
                    &mut tx,
                    &AuditEvent::new(AuditKind::DeviceRegistered).office(&office_id).device(&device.device_id).detail(
                        serde_json::json!({ "name": device.name, "key_id": device.key_id, "fingerprint": device.fingerprint }),
                    ),
                    now,
                )
                .await?;
                let fingerprints = Self::office_fingerprints(&mut tx, &office_id).await?;
                Self::append_audit(
                    &mut tx,
                    &AuditEvent::new(AuditKind::KeyChanged)
                        .office(&office_id)
                        .device(&device.device_id)
                        .detail(serde_json::json!({ "active_fingerprints": fingerprints })),
                    now,
                )
                .await?;
                let office: OfficeRow =
                    sqlx::query_as("SELECT office_id, name, municipality_code, created_at FROM offices WHERE office_id = $1")
                        .bind(&office_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let row: DeviceRow = sqlx::query_as(concat!("SELECT ", device_columns!(), " FROM devices WHERE device_id = $1"))
                    .bind(&device.device_id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok((Device::try_from(row)?, Office::try_from(office)?))
            }

            async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>> {
                let row: Option<DeviceRow> =
                    sqlx::query_as(concat!("SELECT ", device_columns!(), " FROM devices WHERE token_hash = $1"))
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(Device::try_from).transpose()
            }

            async fn device(&self, device_id: &str) -> StoreResult<Option<Device>> {
                let row: Option<DeviceRow> =
                    sqlx::query_as(concat!("SELECT ", device_columns!(), " FROM devices WHERE device_id = $1"))
                        .bind(device_id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(Device::try_from).transpose()
            }

            async fn devices(&self, office: Option<&OfficeId>) -> StoreResult<Vec<Device>> {
                let rows: Vec<DeviceRow> = match office {
                    Some(o) => {
                        sqlx::query_as(concat!(
                            "SELECT ",
                            device_columns!(),
                            " FROM devices WHERE office_id = $1 ORDER BY created_at, device_id"
                        ))
                        .bind(o.to_string())
                        .fetch_all(&self.pool)
                        .await?
                    }
                    None => {
                        sqlx::query_as(concat!("SELECT ", device_columns!(), " FROM devices ORDER BY office_id, created_at, device_id"))
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                collect(rows)
            }

            async fn revoke_device(&self, office: &OfficeId, device_id: &str, by_device: Option<&str>, now: i64) -> StoreResult<Device> {
                let (_guard, mut tx) = self.begin_write().await?;
                let office_s = office.to_string();
                let updated = sqlx::query(
                    "UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND office_id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(device_id)
                .bind(&office_s)
                .execute(&mut *tx)
                .await?;
                let row: Option<DeviceRow> =
                    sqlx::query_as(concat!("SELECT ", device_columns!(), " FROM devices WHERE device_id = $1 AND office_id = $2"))
                        .bind(device_id)
                        .bind(&office_s)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(row) = row else {
                    return Err(StoreError::NotFound);
                };
                if updated.rows_affected() == 1 {
                    Self::append_audit(
                        &mut tx,
                        &AuditEvent::new(AuditKind::DeviceRevoked)
                            .office(&office_s)
                            .device(device_id)
                            .detail(serde_json::json!({ "by_device": by_device, "fingerprint": row.fingerprint })),
                        now,
                    )
                    .await?;
                    let fingerprints = Self::office_fingerprints(&mut tx, &office_s).await?;
                    Self::append_audit(
                        &mut tx,
                        &AuditEvent::new(AuditKind::KeyChanged)
                            .office(&office_s)
                            .device(device_id)
                            .detail(serde_json::json!({ "active_fingerprints": fingerprints })),
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                Device::try_from(row)
            }

            async fn send_envelope(&self, e: NewEnvelope, now: i64) -> StoreResult<SendOutcome> {
                match self.writer.submit(WriteJob::Send(e), now).await? {
                    WriteOutput::Sent(outcome) => Ok(outcome),
                    _ => Err(Self::wrong_answer()),
                }
            }

            async fn envelope(&self, envelope_id: &str) -> StoreResult<Option<EnvelopeRecord>> {
                let row: Option<EnvelopeRow> =
                    sqlx::query_as(concat!("SELECT ", envelope_columns!(), " FROM envelopes WHERE envelope_id = $1"))
                        .bind(envelope_id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(EnvelopeRecord::try_from).transpose()
            }

            async fn inbox(&self, recipient: &OfficeId, after: i64, limit: i64) -> StoreResult<Vec<EnvelopeRecord>> {
                let rows: Vec<EnvelopeRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    envelope_columns!(),
                    " FROM envelopes WHERE recipient = $1 AND seq > $2 AND imported_at IS NULL AND rejected_at IS NULL \
                     AND ciphertext_deleted_at IS NULL ORDER BY seq LIMIT $3"
                ))
                .bind(recipient.to_string())
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                collect(rows)
            }

            async fn outbox(&self, sender: &OfficeId, after: i64, limit: i64) -> StoreResult<Vec<EnvelopeRecord>> {
                let rows: Vec<EnvelopeRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    envelope_columns!(),
                    " FROM envelopes WHERE sender = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(sender.to_string())
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                collect(rows)
            }

            async fn download(&self, envelope_id: &str, by_device: &str, by_office: &OfficeId, now: i64) -> StoreResult<Option<Vec<u8>>> {
                // Read outside the writer (WAL / MVCC readers don't wait for it); only the audit
                // row is a write. Retention deleting the blob in between changes nothing: the
                // download happened.
                let blob: Option<(Vec<u8>,)> = sqlx::query_as("SELECT ciphertext FROM envelope_blobs WHERE envelope_id = $1")
                    .bind(envelope_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some((bytes,)) = blob else {
                    return Ok(None);
                };
                let job = WriteJob::Downloaded {
                    envelope_id: envelope_id.to_string(),
                    by_device: by_device.to_string(),
                    by_office: *by_office,
                    size: bytes.len(),
                };
                match self.writer.submit(job, now).await? {
                    WriteOutput::Downloaded => Ok(Some(bytes)),
                    _ => Err(Self::wrong_answer()),
                }
            }

            async fn post_receipt(&self, r: NewReceipt, now: i64) -> StoreResult<ReceiptOutcome> {
                match self.writer.submit(WriteJob::Receipt(r), now).await? {
                    WriteOutput::Receipt(outcome) => Ok(outcome),
                    _ => Err(Self::wrong_answer()),
                }
            }

            async fn receipts(&self, envelope_id: &str) -> StoreResult<Vec<ReceiptRecord>> {
                let rows: Vec<ReceiptRow> = sqlx::query_as(
                    "SELECT seq, envelope_id, status, reason, posted_by, signed_by, receipt, posted_at \
                     FROM receipts WHERE envelope_id = $1 ORDER BY seq",
                )
                .bind(envelope_id)
                .fetch_all(&self.pool)
                .await?;
                collect(rows)
            }

            async fn run_retention(&self, policy: RetentionPolicy, now: i64) -> StoreResult<RetentionReport> {
                let mut report = RetentionReport::default();
                let final_cutoff = now.saturating_sub(policy.after_final_secs);
                let unack_cutoff = now.saturating_sub(policy.unacknowledged_secs);
                report.deleted_after_final = self
                    .delete_ciphertext_in_batches(
                        "SELECT envelope_id FROM envelopes WHERE ciphertext_deleted_at IS NULL AND \
                         ((imported_at IS NOT NULL AND imported_at <= $1) OR (rejected_at IS NOT NULL AND rejected_at <= $1)) \
                         ORDER BY seq LIMIT $2",
                        final_cutoff,
                        false,
                        "retention_after_final_receipt",
                        now,
                    )
                    .await?;
                report.deleted_unacknowledged = self
                    .delete_ciphertext_in_batches(
                        "SELECT envelope_id FROM envelopes WHERE ciphertext_deleted_at IS NULL AND imported_at IS NULL \
                         AND rejected_at IS NULL AND sent_at <= $1 ORDER BY seq LIMIT $2",
                        unack_cutoff,
                        true,
                        "retention_unacknowledged",
                        now,
                    )
                    .await?;
                Ok(report)
            }

            async fn audit(&self, event: AuditEvent, now: i64) -> StoreResult<()> {
                let (_guard, mut tx) = self.begin_write().await?;
                Self::append_audit(&mut tx, &event, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_rows(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
                Ok(sqlx::query_as(
                    "SELECT seq, at, event, office_id, device_id, envelope_id, detail, prev_hash, hash \
                     FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

impl_store!(SqliteStore, SqliteBatch, Sqlite, "sqlite");
impl_store!(PgStore, PgBatch, Postgres, "postgres");
web_store_methods!(SqliteStore);
web_store_methods!(PgStore);
