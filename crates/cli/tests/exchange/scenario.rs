//! The whole exchange as two offices live it, on SQLite and (when reachable) PostgreSQL.

use crate::kit::*;

#[test]
fn exchange_on_sqlite() {
    let root = tempfile::tempdir().unwrap();
    let db = Db::sqlite(root.path());
    scenario(root.path(), db);
}

#[test]
fn exchange_on_postgres() {
    let Some(db) = Db::postgres() else { return };
    let root = tempfile::tempdir().unwrap();
    scenario(root.path(), db);
}

fn scenario(root: &std::path::Path, db: Db) {
    let hub = Hub::start(root, db);
    let a = Desk::onboard(root, "A", &hub, CM, Some("居宅介護支援つなぐ"));
    let b = Desk::onboard(root, "B", &hub, HV, Some("訪問介護つなぐ"));
    let a_in = root.join("A-in");
    let b_in = root.join("B-in");

    // --- A sends the 予定 unit (第6表 + 第7表 + 補足) -----------------------------------------
    let mut send = a.cmd(&["send"]);
    send.args(plan_unit());
    let text = ok(&mut send);
    assert!(text.contains("送信しました"), "{text}");
    assert!(text.contains("#20250325090000（3 ファイル）"), "{text}");
    assert_eq!(hub.envelopes(), 1);

    // A resend is stored once: skipped locally…
    let mut again = a.cmd(&["send"]);
    again.args(plan_unit());
    let text = ok(&mut again);
    assert!(text.contains("送信済みのため送りません"), "{text}");
    // …and when the desk did not hear the hub's answer, the stored envelope goes up again as
    // the same bytes and the hub answers "already stored".
    assert_eq!(
        a.exec("UPDATE sent_units SET status = 'sealed', envelope_id = NULL"),
        1
    );
    let mut again = a.cmd(&["send"]);
    again.args(plan_unit());
    let text = ok(&mut again);
    assert!(text.contains("ハブに保存済みのものと同一"), "{text}");
    assert_eq!(hub.envelopes(), 1);

    // --- B receives and imports it ----------------------------------------------------------
    let text = ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    assert!(text.contains("取込済（3 ファイル"), "{text}");
    let mut expected: Vec<String> = plan_unit()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    expected.sort();
    assert_eq!(files_in(&b_in), expected);
    for p in plan_unit() {
        let name = p.file_name().unwrap();
        assert_eq!(
            std::fs::read(b_in.join(name)).unwrap(),
            std::fs::read(&p).unwrap()
        );
    }
    // Nothing left, nothing imported twice.
    let text = ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    assert!(text.contains("受信箱は空です"), "{text}");
    assert_eq!(b.count("SELECT COUNT(*) FROM received_units"), 1);

    // --- B sends 実績 back; A imports it -----------------------------------------------------
    let jsk = fixture(
        "valid",
        "UPJSK_202504_3100000101_11_3100000001_43_20250503100000.CSV",
    );
    let text = ok(b.cmd(&["send"]).arg(&jsk));
    assert!(text.contains("送信しました"), "{text}");
    let text = ok(a.cmd(&["receive", "--to"]).arg(&a_in));
    assert!(text.contains("取込済（1 ファイル"), "{text}");
    assert_eq!(
        std::fs::read(a_in.join(jsk.file_name().unwrap())).unwrap(),
        std::fs::read(&jsk).unwrap()
    );

    // --- Both see 取込済 with verified receipts ---------------------------------------------
    for (desk, partner) in [(&a, HV), (&b, CM)] {
        let text = ok(desk.cmd(&["status"]));
        assert!(text.contains(&format!("→ {partner}")), "{text}");
        assert!(text.contains("取込済"), "{text}");
        assert!(text.contains("受領通知 取込済"), "{text}");
        assert!(text.contains("署名検証済"), "{text}");
        assert!(
            !text.contains("署名不正") && !text.contains("未確認の鍵"),
            "{text}"
        );
        assert!(text.contains("ハブで受信を待っている封筒: 0 件"), "{text}");
    }
    let text = ok(a.cmd(&["partners"]));
    assert!(
        text.contains(HV) && text.contains("Tsunagu 利用中"),
        "{text}"
    );
    assert!(text.contains("初回利用時に登録"), "{text}");

    // --- A unit with a checking error is refused before upload ------------------------------
    let broken = fixture(
        "broken",
        "UPPLAN_202504_3100000001_43_3100000101_11_20250401000014.CSV",
    );
    let (code, text) = run(a.cmd(&["send"]).arg(&broken));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("検査でエラーがあるため送りません"), "{text}");
    assert!(
        text.contains("E-FLD-003") && text.contains("項目"),
        "{text}"
    );
    assert_eq!(
        hub.envelopes(),
        2,
        "nothing of the broken unit reached the hub"
    );
    assert_eq!(a.count("SELECT COUNT(*) FROM sent_units"), 1);

    // --- A swapped key in the directory is caught by the pinned fingerprint -----------------
    let delete_unit = fixture(
        "valid",
        "DLTPLAN_202505_3100000001_43_3100000101_11_20250426090000.CSV",
    );
    let original = hub.db.rows(&format!(
        "SELECT public_keys, key_id, fingerprint FROM devices WHERE device_id = '{}'",
        b.device_id()
    ));
    let evil = tsunagu_seal::DeviceSecretKeys::generate(time::OffsetDateTime::UNIX_EPOCH).unwrap();
    let evil_json = serde_json::to_string(evil.public()).unwrap();
    let evil_fp = evil.public().fingerprint().short();
    assert_eq!(
        hub.db.exec(
            "UPDATE devices SET public_keys = $1, key_id = $2, fingerprint = $3 WHERE device_id = $4",
            &[&evil_json, evil.key_id(), &evil_fp, &b.device_id()],
        ),
        1
    );
    let (code, text) = run(a.cmd(&["send"]).arg(&delete_unit));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("E-DESK-030") && text.contains(&evil_fp),
        "{text}"
    );
    assert_eq!(
        hub.envelopes(),
        2,
        "nothing sealed to the swapped key reached the hub"
    );
    let (code, text) = run(a.cmd(&["partners"]));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("未確認の鍵") && text.contains(&evil_fp),
        "{text}"
    );
    // The hub puts the real key back: sending works again without anyone trusting anything.
    let o = &original[0];
    hub.db.exec(
        "UPDATE devices SET public_keys = $1, key_id = $2, fingerprint = $3 WHERE device_id = $4",
        &[&o[0], &o[1], &o[2], &b.device_id()],
    );

    // --- A new device of B must be confirmed; a revoked device can't receive ----------------
    let b2 = Desk::onboard(root, "B2", &hub, HV, None);
    let (code, text) = run(a.cmd(&["send"]).arg(&delete_unit));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("E-DESK-030") && text.contains(&b2.fingerprint()),
        "{text}"
    );
    let (code, text) = run(a.cmd(&[
        "partners",
        "trust",
        HV,
        "0000-0000-0000-0000-0000-0000-0000-0000",
    ]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("E-DESK-031"), "{text}");
    let typed = b2.fingerprint().to_lowercase().replace('-', " ");
    let text = ok(a.cmd(&["partners", "trust", HV, &typed]));
    assert!(text.contains("信頼しました"), "{text}");
    let text = ok(a.cmd(&["send"]).arg(&delete_unit));
    assert!(text.contains("送信しました"), "{text}");
    assert_eq!(hub.envelopes(), 3);
    let text = ok(b.cmd(&["office", "revoke", &b2.device_id()]));
    assert!(text.contains("失効"), "{text}");
    let (code, text) = run(b2.cmd(&["receive", "--to"]).arg(root.join("B2-in")));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("E-HUB-101"), "{text}");
    assert!(files_in(&root.join("B2-in")).is_empty());
    let text = ok(b.cmd(&["receive", "--to"]).arg(&b_in));
    assert!(text.contains("取込済（1 ファイル"), "{text}");

    // --- The month's evidence ---------------------------------------------------------------
    let month = this_month_jst();
    let ev = root.join("evidence-a.html");
    ok(a.cmd(&["status", "--evidence", &month, "--html"]).arg(&ev));
    let html = std::fs::read_to_string(&ev).unwrap();
    assert!(
        html.contains("20250325090000") && html.contains("20250503100000"),
        "units"
    );
    assert!(
        html.contains("送信 2 件、受信 1 件、署名を検証できない受領通知 0 件"),
        "{html}"
    );
    assert!(html.contains("署名検証済"));
    assert!(!html.contains("署名不正"));

    // --- Retention deletes ciphertext and keeps the evidence --------------------------------
    let blobs_before = hub.db.count("SELECT COUNT(*) FROM envelope_blobs");
    assert_eq!(blobs_before, 3);
    let text = ok(hub
        .cmd(&["retention", "run"])
        .env("TSUNAGU_RETENTION_AFTER_FINAL_DAYS", "0"));
    assert!(text.contains("最終受領後 3 件"), "{text}");
    assert_eq!(hub.db.count("SELECT COUNT(*) FROM envelope_blobs"), 0);
    assert_eq!(hub.envelopes(), 3, "metadata kept");
    assert_eq!(
        hub.db.count("SELECT COUNT(*) FROM receipts"),
        6,
        "receipts kept"
    );
    // A's desk forgets its copies of the partner's receipts: the evidence is rebuilt from the hub.
    a.exec("DELETE FROM receipts WHERE direction = 'in'");
    let ev2 = root.join("evidence-a-after-retention.html");
    ok(a.cmd(&["status", "--evidence", &month, "--html"]).arg(&ev2));
    let html = std::fs::read_to_string(&ev2).unwrap();
    assert!(
        html.contains("送信 2 件、受信 1 件、署名を検証できない受領通知 0 件"),
        "{html}"
    );
    assert_eq!(html.matches("署名検証済（端末").count(), 6, "{html}");

    // --- The audit chain verifies, and fails after a row is altered ------------------------
    let text = ok(&mut hub.cmd(&["audit", "verify"]));
    assert!(text.contains("連鎖は正常です"), "{text}");
    hub.db
        .exec("UPDATE audit_log SET at = at + 1 WHERE seq = 2", &[]);
    let (code, text) = run(&mut hub.cmd(&["audit", "verify"]));
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("E-HUB-AUDIT-001"), "{text}");
}
