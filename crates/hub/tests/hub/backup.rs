//! `tsunagu hub backup` / `tsunagu hub restore` (issue 6 item 6), through the same entry point
//! the binary calls (`tsunagu_hub::cli::run_exit`): a hub serving two offices, a backup taken
//! while one of them keeps sending, the hub stopped, the backup restored into a fresh database,
//! a fresh hub started on it, and what was pending at the backup received (downloaded, opened,
//! acknowledged). Envelopes accepted after the backup are absent: a backup is a point in time.
//! Also: refusals (a running hub, an existing target, a non-empty PostgreSQL database, an
//! existing output) and verification failures (a tampered audit row, a damaged file), each with
//! its exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use tsunagu_hub::HubArgs;
use tsunagu_hub::backup::{BackupError, HubLock, PgTools};
use tsunagu_protocol::{EnvelopePage, SendEnvelopeResponse, routes};
use tsunagu_seal::{Envelope, ReceiptStatus};

use crate::helpers::{Api, Desk, TestApp, TestDb};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    hub: HubArgs,
}

/// `tsunagu hub ARGS… --database URL` on a thread of its own (the command starts its own
/// runtime); answers the exit code.
async fn hub_cmd(database: &str, args: &[&str]) -> u8 {
    let mut argv: Vec<String> = vec!["hub".into()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.extend(["--database".to_string(), database.to_string()]);
    let parsed = Cli::try_parse_from(argv).unwrap().hub;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(tsunagu_hub::cli::run_exit(parsed));
    });
    match rx.await.unwrap() {
        Ok(code) => code,
        Err(e) => panic!("tsunagu hub {args:?}: {e:#}"),
    }
}

/// One upload: what was sealed, its id, and when the request started and was answered.
struct Sent {
    envelope_id: String,
    envelope: Envelope,
    content: Vec<u8>,
    started: Instant,
    answered: Instant,
}

fn content(i: usize) -> Vec<u8> {
    // About 64 KB per unit, distinct per unit (synthetic, not a care plan).
    format!("SYNTHETIC-UNIT-{i:05} ").repeat(3000).into_bytes()
}

async fn send(app: &TestApp, a: &Desk, b: &Desk, i: usize) -> Sent {
    let content = content(i);
    let envelope = a.seal_to(b, &format!("2026113010{i:04}"), &content);
    let started = Instant::now();
    let resp = Api::new(app, a).put_envelope(&envelope).await;
    let answered = Instant::now();
    assert_eq!(resp.status(), 201, "send {i}");
    let r: SendEnvelopeResponse = resp.json().await.unwrap();
    Sent {
        envelope_id: r.envelope_id,
        envelope,
        content,
        started,
        answered,
    }
}

async fn receipt(app: &TestApp, b: &Desk, s: &Sent, status: ReceiptStatus) {
    let resp = Api::new(app, b)
        .post_receipt(&s.envelope_id, &b.receipt(&s.envelope, status))
        .await;
    assert_eq!(resp.status(), 200);
}

/// What happened around the backup.
struct Timeline {
    sent: Vec<Sent>,
    /// Imported (final receipt) before the backup started.
    imported_before: Vec<String>,
    /// Imported after the backup finished (pending again in the backup).
    imported_after: Vec<String>,
    backup_started: Instant,
    backup_finished: Instant,
}

/// Onboards A and B, sends 12 units (4 imported, 2 received, 6 untouched), then backs up to
/// `out` while A keeps sending, then imports 2 more and sends a few after the backup.
async fn traffic_and_backup(app: &TestApp, database: &str, out: &Path) -> (Desk, Desk, Timeline) {
    let a = app.onboard("0300000100_43", "居宅のPC").await;
    let b = app.onboard("0300000200_11", "訪問介護のPC").await;
    let mut sent = Vec::new();
    for i in 0..12 {
        sent.push(send(app, &a, &b, i).await);
    }
    let mut imported_before = Vec::new();
    for s in &sent[..4] {
        receipt(app, &b, s, ReceiptStatus::Received).await;
        receipt(app, &b, s, ReceiptStatus::Imported).await;
        imported_before.push(s.envelope_id.clone());
    }
    for s in &sent[4..6] {
        receipt(app, &b, s, ReceiptStatus::Received).await;
    }

    // The backup while A keeps sending, back to back, until a few sends after it finished.
    let stop = AtomicBool::new(false);
    let sender = async {
        let mut during = Vec::new();
        let mut after_stop = 0;
        let mut i = 12;
        while after_stop < 3 {
            if stop.load(Ordering::SeqCst) {
                after_stop += 1;
            }
            during.push(send(app, &a, &b, i).await);
            i += 1;
        }
        during
    };
    let backup = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let code = hub_cmd(database, &["backup", &out.to_string_lossy()]).await;
        let finished = Instant::now();
        stop.store(true, Ordering::SeqCst);
        (code, started, finished)
    };
    let (during, (code, backup_started, backup_finished)) = tokio::join!(sender, backup);
    assert_eq!(code, 0, "backup");
    assert!(out.is_file());
    let overlapping = during
        .iter()
        .filter(|s| s.started < backup_finished && s.answered > backup_started)
        .count();
    assert!(overlapping > 0, "no send overlapped the backup");
    sent.extend(during);

    // After the backup: two of the pending units imported, two more sends.
    let mut imported_after = Vec::new();
    for s in &sent[6..8] {
        receipt(app, &b, s, ReceiptStatus::Received).await;
        receipt(app, &b, s, ReceiptStatus::Imported).await;
        imported_after.push(s.envelope_id.clone());
    }
    let n = sent.len();
    for i in n..n + 2 {
        sent.push(send(app, &a, &b, i).await);
    }
    // The same output again: refused, nothing overwritten.
    assert_eq!(
        hub_cmd(database, &["backup", &out.to_string_lossy()]).await,
        3
    );
    println!(
        "backup: {} units sent in all, {} while the backup ran ({:?})",
        sent.len(),
        overlapping,
        backup_finished - backup_started
    );
    (
        a,
        b,
        Timeline {
            sent,
            imported_before,
            imported_after,
            backup_started,
            backup_finished,
        },
    )
}

async fn inbox(app: &TestApp, desk: &Desk) -> Vec<String> {
    let page: EnvelopePage = Api::new(app, desk)
        .get(&format!("{}?limit=500", routes::INBOX))
        .await
        .json()
        .await
        .unwrap();
    assert!(page.next_after.is_none());
    page.items.into_iter().map(|i| i.envelope_id).collect()
}

/// On a fresh hub over the restored database: what was pending at the backup is in B's inbox
/// and is received (downloaded, opened, acknowledged); what came after is absent; the audit
/// chain verifies.
async fn receive_after_restore(app: &TestApp, a: &Desk, b: &Desk, t: &Timeline) {
    let before: Vec<&Sent> = t
        .sent
        .iter()
        .filter(|s| s.answered < t.backup_started)
        .collect();
    let after: Vec<&Sent> = t
        .sent
        .iter()
        .filter(|s| s.started > t.backup_finished)
        .collect();
    assert!(!after.is_empty());
    let by_id: BTreeMap<&str, &Sent> = t.sent.iter().map(|s| (s.envelope_id.as_str(), s)).collect();
    let pending = inbox(app, b).await;
    // Every unit stored before the backup and not imported by then is waiting again — also
    // the two imported after the backup: their receipts are not in it.
    for s in &before {
        let expected = !t.imported_before.contains(&s.envelope_id);
        assert_eq!(
            pending.contains(&s.envelope_id),
            expected,
            "{} pending after restore",
            s.envelope_id
        );
    }
    for id in &t.imported_after {
        assert!(pending.contains(id), "{id} imported after the backup");
    }
    // Nothing accepted after the backup is on the restored hub.
    for s in &after {
        assert!(!pending.contains(&s.envelope_id));
        let resp = Api::new(app, a)
            .get(&routes::fill(routes::ENVELOPE, &s.envelope_id))
            .await;
        assert_eq!(
            resp.status(),
            404,
            "{} accepted after the backup",
            s.envelope_id
        );
    }
    // Imported before the backup: still imported.
    for id in &t.imported_before {
        let detail: serde_json::Value = Api::new(app, b)
            .get(&routes::fill(routes::ENVELOPE, id))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(detail["envelope"]["status"], "imported", "{id}");
    }
    // Receive what is pending: download, open with B's key, check, acknowledge.
    let mut received = 0;
    for id in &pending {
        let s = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{id} was never sent"));
        assert!(s.started < t.backup_finished, "{id} sent after the backup");
        let resp = Api::new(app, b)
            .get(&routes::fill(routes::CIPHERTEXT, id))
            .await;
        assert_eq!(resp.status(), 200);
        let bytes = resp.bytes().await.unwrap();
        let opened = tsunagu_seal::open(
            &bytes,
            &s.envelope.routing,
            &b.keys,
            b.office,
            &[a.keys.public().clone()],
        )
        .unwrap();
        assert_eq!(opened.files[0].1, s.content);
        receipt(app, b, s, ReceiptStatus::Received).await;
        receipt(app, b, s, ReceiptStatus::Imported).await;
        received += 1;
    }
    assert!(inbox(app, b).await.is_empty());
    let v = app.store.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{:?}", v.first_broken);
    println!(
        "restore: {} pending units received on the restored hub, {} sent after the backup absent, audit chain of {} rows intact",
        received,
        after.len(),
        v.rows
    );
}

/// Waits until the stopped hub has let go of its SQLite database.
async fn wait_for_unlock(db: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match HubLock::acquire(db) {
            Ok(lock) => {
                drop(lock);
                return;
            }
            Err(e) if Instant::now() > deadline => panic!("the hub did not stop: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn sqlite_backup_while_sending_restore_into_a_fresh_hub_receive_pending() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live").join("hub.sqlite");
    let live_url = live.to_string_lossy().into_owned();
    let out = dir.path().join("backups").join("hub-backup.sqlite");
    let app = TestApp::spawn(&TestDb::sqlite_at(&live_url)).await;
    let (a, b, timeline) = traffic_and_backup(&app, &live_url, &out).await;

    // A second hub on the same file is refused, and so is a restore over it while it runs.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = tsunagu_hub::HubConfig {
        database_url: Some(live_url.clone()),
        ..tsunagu_hub::HubConfig::default()
    };
    match tsunagu_hub::Hub::build_with_listener(config, listener).await {
        Err(e) => assert!(e.to_string().starts_with("E-HUB-START-004 "), "{e}"),
        Ok(_) => panic!("a second hub started on the same SQLite file"),
    }
    let out_s = out.to_string_lossy().into_owned();
    assert_eq!(
        hub_cmd(&live_url, &["restore", &out_s, "--overwrite"]).await,
        3
    );

    // Stop the hub.
    drop(app);
    wait_for_unlock(&live).await;

    // Verification failures leave nothing behind: a tampered audit row, a damaged file.
    let fresh = dir.path().join("fresh").join("hub.sqlite");
    let fresh_url = fresh.to_string_lossy().into_owned();
    let tampered = dir.path().join("tampered.sqlite");
    std::fs::copy(&out, &tampered).unwrap();
    TestDb::sqlite_at(&tampered.to_string_lossy())
        .execute_raw("UPDATE audit_log SET at = at + 1 WHERE seq = 3")
        .await;
    assert_eq!(
        hub_cmd(&fresh_url, &["restore", &tampered.to_string_lossy()]).await,
        4
    );
    // One whole page in the middle (page size 4096): structure or ciphertext, either is caught.
    let mut damaged = std::fs::read(&out).unwrap();
    let mid = damaged.len() / 2 / 4096 * 4096;
    for byte in &mut damaged[mid..mid + 4096] {
        *byte = !*byte;
    }
    let damaged_path = dir.path().join("damaged.sqlite");
    std::fs::write(&damaged_path, damaged).unwrap();
    assert_eq!(
        hub_cmd(&fresh_url, &["restore", &damaged_path.to_string_lossy()]).await,
        4
    );
    assert!(!fresh.exists(), "a failed restore left a database");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(fresh.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Restore into a fresh directory; a second restore there is refused without --overwrite.
    assert_eq!(hub_cmd(&fresh_url, &["restore", &out_s]).await, 0);
    assert_eq!(hub_cmd(&fresh_url, &["restore", &out_s]).await, 3);
    // With --overwrite the database it replaces is kept beside it.
    assert_eq!(
        hub_cmd(&fresh_url, &["restore", &out_s, "--overwrite"]).await,
        0
    );
    let kept: Vec<PathBuf> = std::fs::read_dir(fresh.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    // The backup file itself is untouched by restoring (still verifies as it was).
    let v = tsunagu_hub::backup::verify_sqlite_file(&{
        let copy = dir.path().join("check.sqlite");
        std::fs::copy(&out, &copy).unwrap();
        copy
    })
    .await
    .unwrap();
    assert!(v.rows("envelopes") >= 12, "{:?}", v.tables);

    // A fresh hub on the restored database: the devices are there; pending units are received.
    let app = TestApp::spawn(&TestDb::sqlite_at(&fresh_url)).await;
    receive_after_restore(&app, &a, &b, &timeline).await;
    drop(app);
    wait_for_unlock(&fresh).await;
    assert_eq!(hub_cmd(&fresh_url, &["audit", "verify"]).await, 0);
}

#[tokio::test]
async fn postgres_backup_while_sending_restore_into_a_fresh_database() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hub.dump");
    // Without the client tools the command is printed instead (exit code 5, no password).
    let url_with_password = db.url().replacen("postgres@", "postgres:s3cret@", 1);
    let missing =
        tsunagu_hub::backup::backup_postgres(&url_with_password, &out, &PgTools::default()).await;
    match missing {
        Err(e @ BackupError::ToolMissing { .. }) => {
            assert_eq!(e.exit_code(), 5);
            let text = e.to_string();
            assert!(text.contains("pg_dump --format=custom"), "{text}");
            assert!(!text.contains("s3cret"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    if PgTools::from_path().pg_dump.is_none() || PgTools::from_path().pg_restore.is_none() {
        println!("notice: pg_dump / pg_restore not on PATH; skipping the PostgreSQL backup test");
        db.cleanup().await;
        return;
    }
    let app = TestApp::spawn(&db).await;
    let (a, b, timeline) = traffic_and_backup(&app, db.url(), &out).await;
    drop(app);

    // Restore into a fresh, empty database.
    let fresh = TestDb::postgres().await.unwrap();
    let out_s = out.to_string_lossy().into_owned();
    assert_eq!(hub_cmd(fresh.url(), &["restore", &out_s]).await, 0);
    // Not into one that has tables (a hub's, or this restore's).
    assert_eq!(hub_cmd(fresh.url(), &["restore", &out_s]).await, 3);
    let app = TestApp::spawn(&fresh).await;
    receive_after_restore(&app, &a, &b, &timeline).await;
    drop(app);
    db.cleanup().await;
    fresh.cleanup().await;
}
