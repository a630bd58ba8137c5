//! One behaviour suite for the `Store` trait, run against SQLite always and PostgreSQL when
//! reachable.

use std::sync::Arc;

use tsunagu_hub::store::{
    self, AuditEvent, AuditKind, NewDevice, NewEnvelope, NewReceipt, Office, ReceiptKind,
    ReceiptOutcome, RetentionPolicy, SendOutcome, Store, StoreError,
};
use tsunagu_protocol::EnvelopeStatus;

use crate::helpers::{TestDb, office};

const T0: i64 = 1_790_000_000;
const DAY: i64 = 86_400;

fn new_device(id: &str) -> NewDevice {
    NewDevice {
        device_id: id.into(),
        name: format!("PC {id}"),
        public_keys_json: "{}".into(),
        key_id: format!("key-{id}"),
        fingerprint: format!("FP-{id}"),
        token_hash: format!("token-{id}"),
    }
}

fn envelope(id: &str, unit: &str, hash: &str) -> NewEnvelope {
    NewEnvelope {
        envelope_id: id.into(),
        sender: office("0300000100_43"),
        recipient: office("0300000200_11"),
        unit_id: unit.into(),
        kinds: vec!["UPPLAN".into()],
        service_month: Some("202612".into()),
        size: 3,
        ciphertext_sha256: hash.into(),
        routing_json: "{}".into(),
        sent_by: "dev-a".into(),
        ciphertext: b"abc".to_vec(),
    }
}

fn receipt(envelope_id: &str, kind: ReceiptKind, json: &str) -> NewReceipt {
    NewReceipt {
        envelope_id: envelope_id.into(),
        kind,
        reason: (kind == ReceiptKind::Rejected).then(|| "第6表 3行目 サービス内容".to_string()),
        posted_by: "dev-b".into(),
        signed_by: "dev-b".into(),
        receipt_json: json.into(),
    }
}

async fn behaviour(store: Arc<dyn Store>, db: &TestDb) {
    store.ping().await.unwrap();
    let a = office("0300000100_43");
    let b = office("0300000200_11");
    for (id, name) in [(a, "居宅A"), (b, "訪問介護B")] {
        store
            .create_office(&Office {
                office_id: id,
                name: name.into(),
                municipality_code: "312029".into(),
                created_at: T0,
            })
            .await
            .unwrap();
    }
    let dup = Office {
        office_id: a,
        name: "x".into(),
        municipality_code: "312029".into(),
        created_at: T0,
    };
    assert!(matches!(
        store.create_office(&dup).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.offices().await.unwrap().len(), 2);

    // Invites: unknown office, single use, expiry.
    assert!(matches!(
        store
            .create_invite(&office("0300000999_43"), "h0", T0, T0 + DAY)
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .create_invite(&a, "inv-a", T0, T0 + DAY)
        .await
        .unwrap();
    store
        .create_invite(&b, "inv-b", T0, T0 + DAY)
        .await
        .unwrap();
    store
        .create_invite(&b, "inv-old", T0, T0 + 10)
        .await
        .unwrap();
    let (dev_a, off_a) = store
        .register_device("inv-a", &new_device("dev-a"), T0 + 1)
        .await
        .unwrap();
    assert_eq!(off_a.office_id, a);
    assert_eq!(dev_a.office_id, a);
    assert!(matches!(
        store
            .register_device("inv-a", &new_device("dev-x"), T0 + 2)
            .await,
        Err(StoreError::InviteInvalid)
    ));
    assert!(matches!(
        store
            .register_device("inv-old", &new_device("dev-y"), T0 + 20)
            .await,
        Err(StoreError::InviteInvalid)
    ));
    assert!(matches!(
        store
            .register_device("nope", &new_device("dev-z"), T0 + 2)
            .await,
        Err(StoreError::InviteInvalid)
    ));
    store
        .register_device("inv-b", &new_device("dev-b"), T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        store
            .device_by_token("token-dev-a")
            .await
            .unwrap()
            .unwrap()
            .device_id,
        "dev-a"
    );
    assert!(
        store
            .device_by_token("token-dev-x")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.devices(Some(&b)).await.unwrap().len(), 1);
    assert_eq!(store.devices(None).await.unwrap().len(), 2);

    // Revocation is scoped to the office.
    assert!(matches!(
        store.revoke_device(&a, "dev-b", None, T0 + 3).await,
        Err(StoreError::NotFound)
    ));

    // Sending: created, idempotent, conflict.
    let SendOutcome::Created(e1) = store
        .send_envelope(envelope("env-1", "20261125103000", "h1"), T0 + 10)
        .await
        .unwrap()
    else {
        panic!("first send must create")
    };
    assert_eq!(e1.status(), EnvelopeStatus::Sent);
    assert_eq!(e1.kinds, vec!["UPPLAN".to_string()]);
    match store
        .send_envelope(envelope("env-1b", "20261125103000", "h1"), T0 + 11)
        .await
        .unwrap()
    {
        SendOutcome::Existing(e) => assert_eq!(e.envelope_id, "env-1"),
        other => panic!("resend must be idempotent: {other:?}"),
    }
    assert!(
        store.envelope("env-1b").await.unwrap().is_none(),
        "a resend stores nothing"
    );
    assert!(matches!(
        store
            .send_envelope(envelope("env-1c", "20261125103000", "other"), T0 + 12)
            .await
            .unwrap(),
        SendOutcome::Conflict(_)
    ));
    store
        .send_envelope(envelope("env-2", "20261125103001", "h2"), T0 + 13)
        .await
        .unwrap();
    store
        .send_envelope(envelope("env-3", "20261125103002", "h3"), T0 + 14)
        .await
        .unwrap();

    // Inbox and outbox paging.
    let page1 = store.inbox(&b, 0, 2).await.unwrap();
    assert_eq!(
        page1
            .iter()
            .map(|e| e.envelope_id.as_str())
            .collect::<Vec<_>>(),
        ["env-1", "env-2"]
    );
    let page2 = store.inbox(&b, page1[1].seq, 2).await.unwrap();
    assert_eq!(page2.len(), 1);
    assert!(store.inbox(&a, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.outbox(&a, 0, 10).await.unwrap().len(), 3);
    assert!(store.outbox(&b, 0, 10).await.unwrap().is_empty());

    assert_eq!(
        store
            .download("env-1", "dev-b", &b, T0 + 20)
            .await
            .unwrap()
            .unwrap(),
        b"abc"
    );

    // Receipts: received → imported; a different final is a conflict; the same final is a duplicate.
    let ReceiptOutcome::Recorded(e) = store
        .post_receipt(receipt("env-1", ReceiptKind::Received, "r1"), T0 + 21)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(e.status(), EnvelopeStatus::Received);
    assert!(matches!(
        store
            .post_receipt(receipt("env-1", ReceiptKind::Received, "r1"), T0 + 22)
            .await
            .unwrap(),
        ReceiptOutcome::Duplicate(_)
    ));
    let ReceiptOutcome::Recorded(e) = store
        .post_receipt(receipt("env-1", ReceiptKind::Imported, "r2"), T0 + 23)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(e.status(), EnvelopeStatus::Imported);
    assert!(matches!(
        store
            .post_receipt(receipt("env-1", ReceiptKind::Rejected, "r3"), T0 + 24)
            .await
            .unwrap(),
        ReceiptOutcome::Conflict(_)
    ));
    assert!(matches!(
        store
            .post_receipt(receipt("env-1", ReceiptKind::Imported, "r2-again"), T0 + 25)
            .await
            .unwrap(),
        ReceiptOutcome::Duplicate(_)
    ));
    let ReceiptOutcome::Recorded(e) = store
        .post_receipt(receipt("env-2", ReceiptKind::Rejected, "r4"), T0 + 26)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(e.status(), EnvelopeStatus::Rejected);
    assert!(e.rejection_reason.is_some());
    assert_eq!(store.receipts("env-1").await.unwrap().len(), 2);
    assert!(matches!(
        store
            .post_receipt(receipt("env-404", ReceiptKind::Received, "x"), T0)
            .await,
        Err(StoreError::NotFound)
    ));
    // Final receipts leave the inbox.
    assert_eq!(store.inbox(&b, 0, 10).await.unwrap().len(), 1);

    // Retention: nothing before the periods, then final ones, then never-acknowledged ones.
    let policy = RetentionPolicy {
        after_final_secs: 30 * DAY,
        unacknowledged_secs: 180 * DAY,
    };
    let r = store.run_retention(policy, T0 + 29 * DAY).await.unwrap();
    assert_eq!((r.deleted_after_final, r.deleted_unacknowledged), (0, 0));
    let r = store.run_retention(policy, T0 + 31 * DAY).await.unwrap();
    assert_eq!((r.deleted_after_final, r.deleted_unacknowledged), (2, 0));
    assert!(
        store
            .download("env-1", "dev-b", &b, T0 + 31 * DAY)
            .await
            .unwrap()
            .is_none()
    );
    let e1 = store.envelope("env-1").await.unwrap().unwrap();
    assert_eq!(
        e1.status(),
        EnvelopeStatus::Imported,
        "metadata and status are kept"
    );
    assert!(e1.ciphertext_deleted_at.is_some());
    assert_eq!(
        store.receipts("env-1").await.unwrap().len(),
        2,
        "receipts are kept"
    );
    let r = store.run_retention(policy, T0 + 181 * DAY).await.unwrap();
    assert_eq!((r.deleted_after_final, r.deleted_unacknowledged), (0, 1));
    assert_eq!(
        store.envelope("env-3").await.unwrap().unwrap().status(),
        EnvelopeStatus::Expired
    );

    // Revocation.
    let revoked = store
        .revoke_device(&b, "dev-b", Some("dev-b"), T0 + 200 * DAY)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    store
        .audit(
            AuditEvent::new(AuditKind::KeyChanged).office(b),
            T0 + 200 * DAY,
        )
        .await
        .unwrap();

    // The audit chain: intact, then broken where a row was altered behind the hub's back.
    let v = store.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
    let rows = store.audit_rows(0, 10_000).await.unwrap();
    assert_eq!(v.rows as usize, rows.len());
    let kinds: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
    for k in [
        "office_created",
        "invite_issued",
        "invite_used",
        "device_registered",
        "key_changed",
        "envelope_sent",
        "envelope_downloaded",
        "receipt_posted",
        "ciphertext_deleted",
        "device_revoked",
    ] {
        assert!(kinds.contains(&k), "audit log lacks {k}");
    }
    let victim = rows
        .iter()
        .find(|r| r.event == "envelope_sent")
        .unwrap()
        .seq;
    let changed = db
        .execute_raw(&format!(
            "UPDATE audit_log SET detail = '{{\"size\":1}}' WHERE seq = {victim}"
        ))
        .await;
    assert_eq!(changed, 1);
    let v = store.verify_audit().await.unwrap();
    assert_eq!(v.first_broken.map(|b| b.seq), Some(victim));
}

#[tokio::test]
async fn sqlite_store_behaviour() {
    let db = TestDb::sqlite();
    let s = store::open(db.url(), 4).await.unwrap();
    assert_eq!(s.backend(), "sqlite");
    behaviour(s, &db).await;
    // Reopening migrates nothing new and keeps the data.
    let s = store::open(db.url(), 2).await.unwrap();
    assert_eq!(s.offices().await.unwrap().len(), 2);
}

#[tokio::test]
async fn postgres_store_behaviour() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::open(db.url(), 4).await.unwrap();
    assert_eq!(s.backend(), "postgres");
    behaviour(s.clone(), &db).await;
    drop(s);
    db.cleanup().await;
}

/// Registers offices in 312029 (the concurrency tests need them as recipients).
async fn create_offices<const N: usize>(store: &dyn Store, ids: [tsunagu_standard::OfficeId; N]) {
    for id in ids {
        store
            .create_office(&Office {
                office_id: id,
                name: "x".into(),
                municipality_code: "312029".into(),
                created_at: T0,
            })
            .await
            .unwrap();
    }
}

/// Concurrent sends of distinct units all land once and keep the chain intact.
async fn concurrent(store: Arc<dyn Store>) {
    let a = office("0300000100_43");
    let b = office("0300000200_11");
    create_offices(store.as_ref(), [a, b]).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            // Every unit twice: idempotency under concurrency.
            let unit = format!("2026112510{:04}", i / 2);
            s.send_envelope(envelope(&format!("env-{i}"), &unit, "h"), T0)
                .await
                .unwrap()
        }));
    }
    let mut created = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), SendOutcome::Created(_)) {
            created += 1;
        }
    }
    assert_eq!(created, 20);
    assert_eq!(store.outbox(&a, 0, 500).await.unwrap().len(), 20);
    assert!(store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_sends() {
    let db = TestDb::sqlite();
    concurrent(store::open(db.url(), 4).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_sends() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::open(db.url(), 4).await.unwrap();
    concurrent(s.clone()).await;
    drop(s);
    db.cleanup().await;
}

/// A burst of sends, downloads and receipts goes through the group-commit writer together; one
/// send that breaks a constraint (an envelope id already taken) fails alone, and its batch
/// neighbours are stored once each with the audit chain intact.
async fn group_commit_isolates_failures(store: Arc<dyn Store>) {
    let a = office("0300000100_43");
    let b = office("0300000200_11");
    create_offices(store.as_ref(), [a, b]).await;
    let first = store
        .send_envelope(envelope("env-taken", "20261125100000", "h"), T0)
        .await
        .unwrap();
    assert!(matches!(first, SendOutcome::Created(_)));
    let mut sends = Vec::new();
    for i in 1..=60 {
        let s = store.clone();
        // Every tenth send reuses the taken envelope id for a new unit: a unique violation.
        let id = if i % 10 == 0 {
            "env-taken".to_string()
        } else {
            format!("env-{i}")
        };
        sends.push(tokio::spawn(async move {
            let unit = format!("2026112510{i:04}");
            (i, s.send_envelope(envelope(&id, &unit, "h"), T0 + 1).await)
        }));
    }
    let s = store.clone();
    let b2 = b;
    let side = tokio::spawn(async move {
        let bytes = s.download("env-taken", "dev-b", &b2, T0 + 1).await.unwrap();
        let receipt = s
            .post_receipt(
                receipt("env-taken", ReceiptKind::Imported, "{\"r\":1}"),
                T0 + 1,
            )
            .await
            .unwrap();
        (bytes, receipt)
    });
    let (mut created, mut taken) = (0, 0);
    for t in sends {
        match t.await.unwrap() {
            (_, Ok(SendOutcome::Created(e))) => {
                assert_eq!(e.sent_at, T0 + 1);
                assert!(e.seq > 0);
                created += 1;
            }
            (i, Err(StoreError::AlreadyExists)) if i % 10 == 0 => taken += 1,
            (i, other) => panic!("send {i}: {other:?}"),
        }
    }
    assert_eq!((created, taken), (54, 6));
    let (bytes, recorded) = side.await.unwrap();
    assert_eq!(bytes.as_deref(), Some(&b"abc"[..]));
    let ReceiptOutcome::Recorded(e) = recorded else {
        panic!("receipt: {recorded:?}")
    };
    assert_eq!(e.status(), EnvelopeStatus::Imported);
    // The record the writer built in memory equals the row read back.
    assert_eq!(store.envelope("env-taken").await.unwrap().unwrap(), e);
    let outbox = store.outbox(&a, 0, 500).await.unwrap();
    assert_eq!(outbox.len(), 55);
    // Paging cursors stay strictly increasing in commit order.
    assert!(outbox.windows(2).all(|w| w[0].seq < w[1].seq));
    let verification = store.verify_audit().await.unwrap();
    assert!(verification.is_intact());
    // 2 offices + 55 sends + 1 download + 1 receipt; the failed sends left no row.
    assert_eq!(store.audit_rows(0, 1000).await.unwrap().len(), 59);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_group_commit_isolates_failures() {
    let db = TestDb::sqlite();
    group_commit_isolates_failures(store::open(db.url(), 4).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_commit_isolates_failures() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::open(db.url(), 4).await.unwrap();
    group_commit_isolates_failures(s.clone()).await;
    drop(s);
    db.cleanup().await;
}

/// Two hubs on one PostgreSQL database (two stores, two writers, two pools) sending at once:
/// every unit lands once and the one audit chain stays intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_hubs_share_one_chain() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let one = store::open(db.url(), 4).await.unwrap();
    let two = store::open(db.url(), 4).await.unwrap();
    create_offices(
        one.as_ref(),
        [office("0300000100_43"), office("0300000200_11")],
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..80 {
        let s = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            // Each unit is sent through both hubs: exactly one of them stores it.
            let unit = format!("2026112510{:04}", i / 2);
            s.send_envelope(envelope(&format!("env-{i}"), &unit, "h"), T0)
                .await
                .unwrap()
        }));
    }
    let mut created = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), SendOutcome::Created(_)) {
            created += 1;
        }
    }
    assert_eq!(created, 40);
    assert_eq!(
        two.outbox(&office("0300000100_43"), 0, 500)
            .await
            .unwrap()
            .len(),
        40
    );
    assert!(one.verify_audit().await.unwrap().is_intact());
    assert_eq!(one.audit_rows(0, 1000).await.unwrap().len(), 42);
    drop((one, two));
    db.cleanup().await;
}

/// An inbox poll reads only pending rows: SQLite plans the inbox query on the partial index
/// (migration 0006), not on the office's whole history.
#[tokio::test]
async fn sqlite_inbox_uses_the_pending_index() {
    let db = TestDb::sqlite();
    let path = db.url().to_string();
    let s = store::SqliteStore::open(std::path::Path::new(&path), 2)
        .await
        .unwrap();
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT seq FROM envelopes WHERE recipient = ?1 AND seq > ?2 \
         AND imported_at IS NULL AND rejected_at IS NULL AND ciphertext_deleted_at IS NULL \
         ORDER BY seq LIMIT ?3",
    )
    .bind("0300000200_11")
    .bind(0_i64)
    .bind(100_i64)
    .fetch_all(s.pool())
    .await
    .unwrap();
    let detail: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
    assert!(
        detail.iter().any(|d| d.contains("envelopes_inbox_pending")),
        "inbox plan: {detail:?}"
    );
}

/// Envelope ciphertext is never vacuumed for inserts alone (migration 0007): the insert-triggered
/// vacuum of its TOAST table stalled sends for seconds after a burst (docs/performance.md).
#[tokio::test]
async fn postgres_blob_table_skips_insert_vacuum() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::PgStore::connect(db.url(), 2).await.unwrap();
    let (table, toast): (Vec<String>, Vec<String>) = sqlx::query_as(
        "SELECT coalesce(c.reloptions, '{}'), coalesce(t.reloptions, '{}') \
         FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid \
         WHERE c.oid = 'envelope_blobs'::regclass",
    )
    .fetch_one(s.pool())
    .await
    .unwrap();
    let wanted = "autovacuum_vacuum_insert_threshold=-1".to_string();
    assert!(table.contains(&wanted), "envelope_blobs: {table:?}");
    assert!(toast.contains(&wanted), "its TOAST table: {toast:?}");
    // Vacuums for deleted rows (after retention) stay on.
    assert!(!table.iter().any(|o| o.starts_with("autovacuum_enabled")));
    drop(s);
    db.cleanup().await;
}

/// The hub reads the server's WAL settings at start; its advice agrees with the server's own
/// figures.
#[tokio::test]
async fn postgres_settings_advice_reads_the_server() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = store::PgStore::connect(db.url(), 2).await.unwrap();
    let (buffers, max_wal): (i64, i64) = sqlx::query_as(
        "SELECT pg_size_bytes(current_setting('wal_buffers')), \
         pg_size_bytes(current_setting('max_wal_size'))",
    )
    .fetch_one(s.pool())
    .await
    .unwrap();
    let advice = store::pg_settings::advice(s.pool()).await.unwrap();
    let named = advice.iter().any(|a| a.setting == "wal_buffers");
    assert_eq!(
        named,
        store::pg_settings::needs_more_wal_buffers(buffers, max_wal),
        "{advice:?}"
    );
    drop(s);
    db.cleanup().await;
}
