//! kill -9 the hub in the middle of a burst of sends, restart it on the same data, re-run the
//! client: every unit arrives exactly once and nothing acknowledged is lost.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::kit::*;

const UNITS: usize = 30;

#[test]
fn hub_killed_mid_burst_loses_nothing_and_duplicates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let db = Db::sqlite(root);
    let mut hub = Hub::start(root, db);
    let a = Desk::onboard(root, "A", &hub, CM, Some("居宅介護支援つなぐ"));
    let b = Desk::onboard(root, "B", &hub, HV, Some("訪問介護つなぐ"));

    // 30 single-file send units (予定削除), ファイル連番 …090000 to …090029.
    let src = std::fs::read(fixture(
        "valid",
        "DLTPLAN_202505_3100000001_43_3100000101_11_20250426090000.CSV",
    ))
    .unwrap();
    let outbox = root.join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    for i in 0..UNITS {
        std::fs::write(
            outbox.join(format!(
                "DLTPLAN_202505_3100000001_43_3100000101_11_202504260900{i:02}.CSV"
            )),
            &src,
        )
        .unwrap();
    }

    // Start the burst; kill the hub as soon as the first uploads are committed.
    let send = a
        .cmd(&["send"])
        .arg(&outbox)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let at_kill = loop {
        let n = hub.envelopes();
        if n >= 8 {
            hub.kill9();
            break n;
        }
        assert!(Instant::now() < deadline, "no upload reached the hub");
        std::thread::sleep(Duration::from_millis(2));
    };
    let out = send.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the burst must be cut by the kill (at {at_kill} envelopes):\n{text}"
    );
    assert!(
        (at_kill as usize) < UNITS,
        "killed too late to test anything"
    );

    // What the desk heard acknowledged before the crash.
    let acknowledged = a.count("SELECT COUNT(*) FROM sent_units WHERE status <> 'sealed'");
    let acked_ids: Vec<String> = {
        let file = a.dir.join("desk.sqlite");
        block_on(async move {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            sqlx::query_scalar::<_, String>(
                "SELECT envelope_id FROM sent_units WHERE status <> 'sealed'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap()
        })
    };
    assert_eq!(acked_ids.len() as i64, acknowledged);

    println!(
        "crash: hub killed at {at_kill} stored envelopes; the desk had {acknowledged} acknowledged, {} sealed",
        a.count("SELECT COUNT(*) FROM sent_units")
    );
    hub.restart();
    // Nothing acknowledged is lost.
    for id in &acked_ids {
        assert_eq!(
            hub.db.count(&format!(
                "SELECT COUNT(*) FROM envelopes e JOIN envelope_blobs b ON b.envelope_id = e.envelope_id WHERE e.envelope_id = '{id}'"
            )),
            1,
            "acknowledged envelope {id} lost"
        );
    }
    assert!(hub.envelopes() >= acknowledged);

    // Re-run the client: the rest goes up; stored-but-unacknowledged ones as the same bytes.
    let text = ok(a.cmd(&["send"]).arg(&outbox));
    assert!(text.contains("送れなかった送信単位 0 件"), "{text}");
    assert_eq!(hub.envelopes(), UNITS as i64);
    assert_eq!(
        hub.db
            .count("SELECT COUNT(DISTINCT unit_id) FROM envelopes"),
        UNITS as i64
    );
    assert_eq!(
        a.count("SELECT COUNT(*) FROM sent_units WHERE status <> 'sealed'"),
        UNITS as i64
    );

    // Every unit arrives exactly once at B.
    let b_in = root.join("B-in");
    let text = ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    assert!(text.contains(&format!("取込 {UNITS} 件")), "{text}");
    assert_eq!(files_in(&b_in).len(), UNITS);
    assert_eq!(b.count("SELECT COUNT(*) FROM received_units"), UNITS as i64);
    let text = ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    assert!(text.contains("受信箱は空です"), "{text}");
    let text = ok(&mut hub.cmd(&["audit", "verify"]));
    assert!(text.contains("連鎖は正常です"), "{text}");
}
