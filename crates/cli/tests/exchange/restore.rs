//! A hub restored from a backup forgets every envelope it accepted after the backup. The
//! sender's desk notices on its next sync (the hub's outbox lacks them, their envelope ids answer
//! 404) and uploads its stored envelopes again: the recipient imports each unit once, re-posts
//! its receipts for a unit it had already imported, and units with a final receipt, expired
//! units and units the hub still lists are left alone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::kit::*;

const DLTPLAN: &str = "DLTPLAN_202505_3100000001_43_3100000101_11_20250426090000.CSV";

/// A one-file send unit (予定削除) with ファイル連番 2025042609SSSS, written into `dir`.
fn unit(dir: &Path, serial_tail: &str) -> std::path::PathBuf {
    let name = DLTPLAN.replace("20250426090000", &format!("2025042609{serial_tail}"));
    let path = dir.join(name);
    std::fs::write(&path, std::fs::read(fixture("valid", DLTPLAN)).unwrap()).unwrap();
    path
}

fn serial(tail: &str) -> String {
    format!("2025042609{tail}")
}

/// The sender desk's view of one unit: (status, hub_resends, envelope id).
fn sent_row(a: &Desk, tail: &str) -> (String, i64, String) {
    let file = a.dir.join("desk.sqlite");
    let unit = serial(tail);
    block_on(async move {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        sqlx::query_as::<_, (String, i64, String)>(
            "SELECT status, hub_resends, COALESCE(envelope_id, '') FROM sent_units WHERE unit_id = ?",
        )
        .bind(unit)
        .fetch_one(&mut c)
        .await
        .unwrap()
    })
}

fn hub_count(hub: &Hub, tail: &str) -> i64 {
    hub.db.count(&format!(
        "SELECT COUNT(*) FROM envelopes WHERE unit_id = '{}'",
        serial(tail)
    ))
}

/// `tsunagu desk` for an office folder: its sync loop running every 0.3 s.
struct RunningDesk {
    child: Child,
    addr: String,
    login_path: String,
}

impl RunningDesk {
    fn start(desk: &Desk, log: &Path) -> RunningDesk {
        let log = std::fs::File::create(log).unwrap();
        let mut child = desk
            .cmd(&["desk", "--port", "0"])
            .env("TSUNAGU_DESK_SYNC_SECONDS", "0.3")
            .env("TSUNAGU_DESK_QUIET_SECONDS", "0.2")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let url =
            announced_url(&mut child, "デスクを起動しました: ").expect("the desk did not start");
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, path) = rest.split_once('/').unwrap();
        RunningDesk {
            child,
            addr: addr.to_string(),
            login_path: format!("/{path}"),
        }
    }

    /// A plain HTTP/1.1 GET on the desk's UI; returns (head, body).
    fn get(&self, path: &str, cookie: Option<&str>) -> (String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let cookie = cookie
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{cookie}\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (head.to_string(), body.to_string())
    }

    /// A page of the desk's UI, logged in with its start token.
    fn page(&self, path: &str) -> String {
        let (head, _) = self.get(&self.login_path, None);
        let cookie = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("set-cookie:")
                    .then(|| l[11..].trim().split(';').next().unwrap().to_string())
            })
            .unwrap_or_else(|| panic!("no session cookie:\n{head}"));
        self.get(path, Some(&cookie)).1
    }

    /// The notices the desk shows.
    fn notices(&self) -> String {
        self.page("/fragments/notices")
    }
}

impl Drop for RunningDesk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn units_lost_by_a_restored_hub_are_resent_and_arrive_once() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let mut hub = Hub::start(root, Db::sqlite(root));
    let a = Desk::onboard(root, "A", &hub, CM, Some("居宅介護支援つなぐ"));
    let b = Desk::onboard(root, "B", &hub, HV, Some("訪問介護つなぐ"));
    let src = root.join("units");
    std::fs::create_dir_all(&src).unwrap();
    let b_in = root.join("B-in");
    let receive_b = || ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    let imported_one = |text: String| assert!(text.contains("取込 1 件"), "{text}");

    let retention = |hub: &Hub| {
        // Every unacknowledged envelope's ciphertext is deleted (期限切れ), metadata kept.
        ok(hub
            .cmd(&["retention", "run"])
            .env("TSUNAGU_RETENTION_UNACKNOWLEDGED_DAYS", "0"))
    };

    // Before the backup: P1 imported by B; P2 sent, not received.
    ok(a.cmd(&["send"]).arg(unit(&src, "0001")));
    imported_one(receive_b());
    ok(a.cmd(&["send"]).arg(unit(&src, "0002")));

    // The operator's nightly backup, through the real command, while the hub serves.
    let backup = root.join("hub-backup.sqlite");
    let text = ok(hub.cmd(&["backup"]).arg(&backup));
    assert!(backup.exists(), "{text}");

    // After the backup: retention expires P2 (B never gets it). Q1 is imported by B; Q4 expires
    // unreceived; A hears of all that (P1 and Q1 取込済, P2 and Q4 期限切れ).
    retention(&hub);
    ok(a.cmd(&["send"]).arg(unit(&src, "0011")));
    imported_one(receive_b());
    ok(a.cmd(&["send"]).arg(unit(&src, "0014")));
    retention(&hub);
    ok(a.cmd(&["status"]));
    for (tail, status) in [
        ("0001", "imported"),
        ("0002", "expired"),
        ("0011", "imported"),
        ("0014", "expired"),
    ] {
        assert_eq!(sent_row(&a, tail).0, status, "{tail}");
    }
    // Q2 is imported by B, but A has not heard yet; Q3 is not received yet.
    ok(a.cmd(&["send"]).arg(unit(&src, "0012")));
    imported_one(receive_b());
    ok(a.cmd(&["send"]).arg(unit(&src, "0013")));
    assert_eq!(sent_row(&a, "0012").0, "sent");
    assert_eq!(sent_row(&a, "0013").0, "sent");
    let q2_first_envelope = sent_row(&a, "0012").2;
    assert_eq!(b.count("SELECT COUNT(*) FROM received_units"), 3);
    let q2_file = b_in.join(DLTPLAN.replace("20250426090000", &serial("0012")));
    let q2_written = std::fs::metadata(&q2_file).unwrap().modified().unwrap();

    // The server fails; the operator restores last night's backup, retention runs on it (P2's
    // ciphertext, back from the backup, is deleted again) and the hub starts again.
    hub.kill9();
    ok(hub.cmd(&["restore"]).arg(&backup).arg("--overwrite"));
    retention(&hub);
    hub.restart();
    for tail in ["0011", "0012", "0013", "0014"] {
        assert_eq!(
            hub_count(&hub, tail),
            0,
            "{tail} is not on the restored hub"
        );
    }
    assert_eq!(
        hub.db.count(&format!(
            "SELECT COUNT(*) FROM envelopes WHERE unit_id = '{}' AND ciphertext_deleted_at IS NOT NULL",
            serial("0002")
        )),
        1
    );

    // The sender's desk syncs: Q2 and Q3 go up again as the same bytes.
    let log = root.join("desk-a.log");
    let desk_a = RunningDesk::start(&a, &log);
    wait_for("Q2 and Q3 on the restored hub", || {
        hub_count(&hub, "0012") == 1 && hub_count(&hub, "0013") == 1
    });
    wait_for("the notice", || {
        desk_a
            .notices()
            .contains("ハブが復元されたため、送信済みの 2 件を再送しました")
    });
    for tail in ["0012", "0013"] {
        let (_, resends, envelope) = sent_row(&a, tail);
        assert_eq!(resends, 1, "{tail}");
        let stored: Vec<Vec<String>> = hub.db.rows(&format!(
            "SELECT e.ciphertext_sha256 FROM envelopes e WHERE e.envelope_id = '{envelope}'"
        ));
        assert_eq!(stored.len(), 1, "{tail} under the desk's new envelope id");
    }
    assert_ne!(sent_row(&a, "0012").2, q2_first_envelope);
    // Same bytes: the hub holds exactly the ciphertext the desk sealed before the first upload.
    for tail in ["0012", "0013"] {
        let desk_hash = {
            let file = a.dir.join("desk.sqlite");
            let unit = serial(tail);
            block_on(async move {
                use sqlx::Connection;
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                        .await
                        .unwrap();
                sqlx::query_scalar::<_, String>(
                    "SELECT ciphertext_sha256 FROM sent_units WHERE unit_id = ?",
                )
                .bind(unit)
                .fetch_one(&mut c)
                .await
                .unwrap()
            })
        };
        let hub_hash = hub.db.rows(&format!(
            "SELECT ciphertext_sha256 FROM envelopes WHERE unit_id = '{}'",
            serial(tail)
        ));
        assert_eq!(hub_hash, vec![vec![desk_hash]], "{tail}");
    }
    // Not sent again: final on A (P1 listed, Q1 lost), expired (P2 listed with its ciphertext
    // deleted, Q4 lost).
    for tail in ["0001", "0002", "0011", "0014"] {
        assert_eq!(sent_row(&a, tail).1, 0, "{tail} must not be re-sent");
    }
    assert_eq!(hub_count(&hub, "0011"), 0);
    assert_eq!(hub_count(&hub, "0014"), 0);

    // B syncs: Q3 is imported once; Q2, imported before the restore, is not imported again —
    // B posts its receipts again for the new envelope.
    let text = receive_b();
    assert!(text.contains("取込 1 件"), "{text}");
    assert!(
        text.contains("処理済み（受領通知を再送しました）"),
        "{text}"
    );
    assert!(text.contains("差戻し 0 件"), "{text}");
    assert_eq!(b.count("SELECT COUNT(*) FROM received_units"), 4);
    assert_eq!(
        b.count(&format!(
            "SELECT COUNT(*) FROM received_units WHERE unit_id = '{}' AND envelope_id = '{q2_first_envelope}'",
            serial("0012")
        )),
        1,
        "Q2 stays recorded once, under the envelope it was imported from"
    );
    assert_eq!(
        std::fs::metadata(&q2_file).unwrap().modified().unwrap(),
        q2_written,
        "Q2's file was not written again"
    );
    assert_eq!(files_in(&b_in).len(), 4);
    assert!(receive_b().contains("受信箱は空です"));

    // A's sync picks up the receipts: both end 取込済.
    wait_for("Q2 and Q3 取込済 on A", || {
        sent_row(&a, "0012").0 == "imported" && sent_row(&a, "0013").0 == "imported"
    });
    assert_eq!(sent_row(&a, "0002").0, "expired");
    assert_eq!(sent_row(&a, "0014").0, "expired");
    // 送信済 says which units went up again.
    let sent_page = desk_a.page("/sent");
    assert_eq!(
        sent_page.matches("同じ封筒を再送しました").count(),
        2,
        "{sent_page}"
    );
    // Q2's receipts on the hub are B's, signed before the restore, verified by the hub again.
    assert_eq!(
        hub.db.count(&format!(
            "SELECT COUNT(*) FROM receipts r JOIN envelopes e ON e.envelope_id = r.envelope_id WHERE e.unit_id = '{}'",
            serial("0012")
        )),
        2
    );
    // More syncs change nothing: nothing more goes up.
    std::thread::sleep(Duration::from_secs(2));
    for tail in ["0012", "0013"] {
        assert_eq!(sent_row(&a, tail).1, 1, "{tail}");
        assert_eq!(hub_count(&hub, tail), 1, "{tail}");
    }
    drop(desk_a);
    let text = ok(a.cmd(&["status", "--offline"]));
    assert_eq!(text.matches("同じ封筒を再送しました").count(), 2, "{text}");

    // The log says what happened, with ids only.
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("uploaded again"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    for l in &lines {
        assert!(l.contains("lost_envelope_id"), "{l}");
    }
    let text = ok(&mut hub.cmd(&["audit", "verify"]));
    assert!(text.contains("連鎖は正常です"), "{text}");
}
