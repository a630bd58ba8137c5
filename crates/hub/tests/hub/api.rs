//! The HTTP API against a real hub on port 0: the exchange scenario and the attacks that must fail.

use time::OffsetDateTime;
use tsunagu_hub::store::RetentionPolicy;
use tsunagu_protocol::{
    DeviceInfo, EnvelopeDetail, EnvelopePage, EnvelopeStatus, KeyDirectory, MeResponse,
    ReceiptResponse, RegisterDeviceRequest, SendEnvelopeResponse, routes,
};
use tsunagu_seal::{DeviceSecretKeys, ReceiptStatus};

use crate::helpers::{Api, TestApp, TestDb, assert_error};

const A: &str = "0300000100_43";
const B: &str = "0300000200_11";
const C: &str = "0300000300_11";

async fn exchange(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let a = app.onboard(A, "居宅PC").await;
    let b = app.onboard(B, "訪問介護PC").await;
    let (api_a, api_b) = (Api::new(&app, &a), Api::new(&app, &b));

    // The directory gives B's keys to A.
    let dir: KeyDirectory = api_a
        .get(&routes::fill(routes::OFFICE_KEYS, B))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dir.devices.len(), 1);
    assert_eq!(&dir.devices[0].keys, b.keys.public());
    assert_eq!(
        dir.devices[0].fingerprint,
        b.keys.public().fingerprint().short()
    );
    let me: MeResponse = api_a.get(routes::ME).await.json().await.unwrap();
    assert_eq!(me.office.office_id.to_string(), A);

    // Send, then resend: stored once.
    let env = a.seal_to(&b, "20261125103000", "第6表の内容（合成データ）".as_bytes());
    let resp = api_a.put_envelope(&env).await;
    assert_eq!(resp.status(), 201);
    let first: SendEnvelopeResponse = resp.json().await.unwrap();
    assert!(first.created);
    assert_eq!(first.status, EnvelopeStatus::Sent);
    let resp = api_a.put_envelope(&env).await;
    assert_eq!(resp.status(), 200);
    let again: SendEnvelopeResponse = resp.json().await.unwrap();
    assert_eq!(again.envelope_id, first.envelope_id);
    assert!(!again.created);
    let out: EnvelopePage = api_a.get(routes::OUTBOX).await.json().await.unwrap();
    assert_eq!(out.items.len(), 1, "a resend is stored once");

    // B sees it in the inbox, downloads, opens and verifies.
    let inbox: EnvelopePage = api_b.get(routes::INBOX).await.json().await.unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].routing, env.routing);
    let resp = api_b
        .get(&routes::fill(routes::CIPHERTEXT, &first.envelope_id))
        .await;
    assert_eq!(resp.status(), 200);
    let header = resp.headers()[tsunagu_protocol::ROUTING_HEADER]
        .to_str()
        .unwrap()
        .to_string();
    let (routing, _) = tsunagu_protocol::decode_routing_header(&header).unwrap();
    assert_eq!(routing, env.routing);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..], &env.ciphertext[..]);
    let opened = tsunagu_seal::open(
        &bytes,
        &routing,
        &b.keys,
        b.office,
        &[a.keys.public().clone()],
    )
    .unwrap();
    assert_eq!(opened.files[0].1, "第6表の内容（合成データ）".as_bytes());
    // The sender's own devices may fetch their sent copy.
    assert_eq!(
        api_a
            .get(&routes::fill(routes::CIPHERTEXT, &first.envelope_id))
            .await
            .status(),
        200
    );

    // Receipts: 受信済 then 取込済.
    let resp = api_b
        .post_receipt(
            &first.envelope_id,
            &b.receipt(&env, ReceiptStatus::Received),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let r: ReceiptResponse = resp.json().await.unwrap();
    assert_eq!((r.status, r.recorded), (EnvelopeStatus::Received, true));
    let r: ReceiptResponse = api_b
        .post_receipt(
            &first.envelope_id,
            &b.receipt(&env, ReceiptStatus::Imported),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.status, EnvelopeStatus::Imported);
    // 差戻し after 取込済 contradicts it.
    let rejected = b.receipt(
        &env,
        ReceiptStatus::Rejected {
            reason: "第7表 2行目".into(),
        },
    );
    assert_error(
        api_b.post_receipt(&first.envelope_id, &rejected).await,
        409,
        "E-HUB-502",
    )
    .await;

    // The sender sees 取込済 with verifiable receipts; the inbox is empty.
    let out: EnvelopePage = api_a.get(routes::OUTBOX).await.json().await.unwrap();
    assert_eq!(out.items[0].status, EnvelopeStatus::Imported);
    assert_eq!(out.items[0].status_label, "取込済");
    let detail: EnvelopeDetail = api_a
        .get(&routes::fill(routes::ENVELOPE, &first.envelope_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.receipts.len(), 2);
    for r in &detail.receipts {
        r.receipt
            .verify_for(&env.routing, &[b.keys.public().clone()])
            .unwrap();
        assert_eq!(r.signed_by_device, b.device_id);
    }
    let inbox: EnvelopePage = api_b.get(routes::INBOX).await.json().await.unwrap();
    assert!(inbox.items.is_empty());

    // B answers with 実績: the other direction works the same way.
    let back = b.seal_to(&a, "20261201090000", b"UPJSK synthetic");
    let resp = api_b.put_envelope(&back).await;
    assert_eq!(resp.status(), 201);
    let sent: SendEnvelopeResponse = resp.json().await.unwrap();
    let r: ReceiptResponse = api_a
        .post_receipt(
            &sent.envelope_id,
            &a.receipt(&back, ReceiptStatus::Imported),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.status, EnvelopeStatus::Imported);

    assert!(
        tsunagu_hub::ops::verify_audit(app.store.as_ref())
            .await
            .unwrap()
            .is_intact()
    );
}

#[tokio::test]
async fn exchange_on_sqlite() {
    exchange(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn exchange_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    exchange(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_third_office_sees_nothing() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b, c) = (
        app.onboard(A, "a").await,
        app.onboard(B, "b").await,
        app.onboard(C, "c").await,
    );
    let env = a.seal_to(&b, "20261125103000", b"x");
    let sent: SendEnvelopeResponse = Api::new(&app, &a)
        .put_envelope(&env)
        .await
        .json()
        .await
        .unwrap();
    let api_c = Api::new(&app, &c);

    let inbox: EnvelopePage = api_c.get(routes::INBOX).await.json().await.unwrap();
    assert!(inbox.items.is_empty());
    let outbox: EnvelopePage = api_c.get(routes::OUTBOX).await.json().await.unwrap();
    assert!(outbox.items.is_empty());
    assert_error(
        api_c
            .get(&routes::fill(routes::ENVELOPE, &sent.envelope_id))
            .await,
        404,
        "E-HUB-404",
    )
    .await;
    assert_error(
        api_c
            .get(&routes::fill(routes::CIPHERTEXT, &sent.envelope_id))
            .await,
        404,
        "E-HUB-404",
    )
    .await;
    // C signs a perfectly valid receipt with its own key: still 404, the envelope is not C's.
    let forged = c.receipt(&env, ReceiptStatus::Imported);
    assert_error(
        api_c.post_receipt(&sent.envelope_id, &forged).await,
        404,
        "E-HUB-404",
    )
    .await;
    // Same answer as for an id that does not exist at all.
    assert_error(
        api_c
            .get(&routes::fill(routes::ENVELOPE, "env_doesnotexist"))
            .await,
        404,
        "E-HUB-404",
    )
    .await;
    // The sender cannot acknowledge its own envelope either.
    let self_receipt = a.receipt(&env, ReceiptStatus::Imported);
    assert_error(
        Api::new(&app, &a)
            .post_receipt(&sent.envelope_id, &self_receipt)
            .await,
        404,
        "E-HUB-404",
    )
    .await;
    // Nothing moved.
    let detail: EnvelopeDetail = Api::new(&app, &a)
        .get(&routes::fill(routes::ENVELOPE, &sent.envelope_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.envelope.status, EnvelopeStatus::Sent);
    assert!(detail.receipts.is_empty());
}

#[tokio::test]
async fn a_token_of_office_a_cannot_send_as_office_b() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    // An envelope whose routing names B as sender, uploaded with A's token.
    let env = b.seal_to(&a, "20261125103000", b"x");
    assert_error(
        Api::new(&app, &a).put_envelope(&env).await,
        403,
        "E-HUB-300",
    )
    .await;
    let out: EnvelopePage = Api::new(&app, &b)
        .get(routes::OUTBOX)
        .await
        .json()
        .await
        .unwrap();
    assert!(out.items.is_empty());
}

#[tokio::test]
async fn oversized_upload_is_refused() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_with(&db, |c| c.max_envelope_bytes = 4096).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    let big: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let env = a.seal_to(&b, "20261125103000", &big);
    assert!(env.ciphertext.len() > 4096);
    assert_error(
        Api::new(&app, &a).put_envelope(&env).await,
        413,
        "E-HUB-413",
    )
    .await;
    // A small one still passes.
    let small = a.seal_to(&b, "20261125103001", b"x");
    assert_eq!(Api::new(&app, &a).put_envelope(&small).await.status(), 201);
}

#[tokio::test]
async fn revoked_and_unknown_tokens_are_refused() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    let a2 = app.onboard(A, "a2").await;
    // No token, a made-up token.
    let resp = app.http.get(app.url(routes::INBOX)).send().await.unwrap();
    assert_error(resp, 401, "E-HUB-100").await;
    let resp = app
        .http
        .get(app.url(routes::INBOX))
        .bearer_auth("tsu_00")
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "E-HUB-100").await;
    // B cannot revoke A's device: it does not exist for B.
    let resp = app
        .http
        .post(app.url(&routes::fill(routes::REVOKE_DEVICE, &a2.device_id)))
        .bearer_auth(&b.token)
        .send()
        .await
        .unwrap();
    assert_error(resp, 404, "E-HUB-404").await;
    // A revokes its second device; that token stops working and its keys leave the directory.
    let resp = app
        .http
        .post(app.url(&routes::fill(routes::REVOKE_DEVICE, &a2.device_id)))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let info: DeviceInfo = resp.json().await.unwrap();
    assert!(info.revoked_at.is_some());
    assert_error(
        Api::new(&app, &a2).get(routes::INBOX).await,
        401,
        "E-HUB-101",
    )
    .await;
    let env = a2.seal_to(&b, "20261125103000", b"x");
    assert_error(
        Api::new(&app, &a2).put_envelope(&env).await,
        401,
        "E-HUB-101",
    )
    .await;
    let dir: KeyDirectory = Api::new(&app, &b)
        .get(&routes::fill(routes::OFFICE_KEYS, A))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dir.devices.len(), 1);
    assert_eq!(dir.devices[0].device_id, a.device_id);
    // A receipt signed by a revoked device no longer verifies.
    let env = b.seal_to(&a, "20261125103001", b"x");
    let sent: SendEnvelopeResponse = Api::new(&app, &b)
        .put_envelope(&env)
        .await
        .json()
        .await
        .unwrap();
    let by_revoked = a2.receipt(&env, ReceiptStatus::Imported);
    assert_error(
        Api::new(&app, &a)
            .post_receipt(&sent.envelope_id, &by_revoked)
            .await,
        422,
        "E-HUB-500",
    )
    .await;
}

#[tokio::test]
async fn upload_checks() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    let api = Api::new(&app, &a);
    let env = a.seal_to(&b, "20261125103000", b"x");
    let header = tsunagu_protocol::encode_routing_header(&env.routing).unwrap();

    // A flipped byte: the hash no longer matches the routing metadata.
    let mut flipped = env.ciphertext.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert_error(api.put_raw(&header, flipped).await, 400, "E-HUB-402").await;
    // A truncated body: the size no longer matches.
    assert_error(
        api.put_raw(&header, env.ciphertext[..10].to_vec()).await,
        400,
        "E-HUB-402",
    )
    .await;
    // Missing or garbage routing header.
    assert_error(
        api.put_raw("!!", env.ciphertext.clone()).await,
        400,
        "E-HUB-401",
    )
    .await;
    let resp = app
        .http
        .put(app.url(routes::ENVELOPES))
        .bearer_auth(&a.token)
        .header("content-type", "application/octet-stream")
        .body(env.ciphertext.clone())
        .send()
        .await
        .unwrap();
    assert_error(resp, 400, "E-HUB-401").await;
    // Wrong content type.
    let resp = app
        .http
        .put(app.url(routes::ENVELOPES))
        .bearer_auth(&a.token)
        .header("content-type", "text/plain")
        .header(tsunagu_protocol::ROUTING_HEADER, &header)
        .body(env.ciphertext.clone())
        .send()
        .await
        .unwrap();
    assert_error(resp, 415, "E-HUB-415").await;
    // Unknown recipient.
    let stranger =
        DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
            .unwrap();
    let ghost = crate::helpers::Desk {
        office: crate::helpers::office("0300000999_11"),
        device_id: String::new(),
        token: String::new(),
        keys: stranger,
        invite_code: String::new(),
    };
    let to_ghost = a.seal_to(&ghost, "20261125103002", b"x");
    assert_error(api.put_envelope(&to_ghost).await, 404, "E-HUB-405").await;
    // Nothing was stored by any of these; then the real one goes through.
    assert_eq!(api.put_envelope(&env).await.status(), 201);
    // The same unit with other ciphertext (re-sealed: new age nonce) is a conflict.
    let resealed = a.seal_to(&b, "20261125103000", b"x");
    assert_ne!(
        resealed.routing.ciphertext_sha256,
        env.routing.ciphertext_sha256
    );
    assert_error(api.put_envelope(&resealed).await, 409, "E-HUB-409").await;
    let out: EnvelopePage = api.get(routes::OUTBOX).await.json().await.unwrap();
    assert_eq!(out.items.len(), 1);
}

#[tokio::test]
async fn receipts_must_verify() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    let env = a.seal_to(&b, "20261125103000", b"x");
    let other = a.seal_to(&b, "20261125103001", b"y");
    let sent: SendEnvelopeResponse = Api::new(&app, &a)
        .put_envelope(&env)
        .await
        .json()
        .await
        .unwrap();
    Api::new(&app, &a).put_envelope(&other).await;
    let api_b = Api::new(&app, &b);

    // A flipped signature digit.
    let mut bad = b.receipt(&env, ReceiptStatus::Imported);
    let first = if bad.signature.starts_with('0') {
        "1"
    } else {
        "0"
    };
    bad.signature.replace_range(0..1, first);
    assert_error(
        api_b.post_receipt(&sent.envelope_id, &bad).await,
        422,
        "E-HUB-500",
    )
    .await;
    // Signed by a key that is not one of B's devices.
    let outsider =
        DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
            .unwrap();
    let r = tsunagu_seal::Receipt::for_envelope(
        &env.routing,
        ReceiptStatus::Imported,
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        outsider.public(),
    );
    let by_outsider = tsunagu_seal::SignedReceipt::sign(r, &outsider).unwrap();
    assert_error(
        api_b.post_receipt(&sent.envelope_id, &by_outsider).await,
        422,
        "E-HUB-500",
    )
    .await;
    // A valid receipt about another envelope.
    let about_other = b.receipt(&other, ReceiptStatus::Imported);
    assert_error(
        api_b.post_receipt(&sent.envelope_id, &about_other).await,
        422,
        "E-HUB-501",
    )
    .await;
    // Malformed JSON.
    let resp = app
        .http
        .post(app.url(&routes::fill(routes::RECEIPTS, &sent.envelope_id)))
        .bearer_auth(&b.token)
        .header("content-type", "application/json")
        .body("{\"receipt\":")
        .send()
        .await
        .unwrap();
    assert_error(resp, 400, "E-HUB-400").await;
    let detail: EnvelopeDetail = Api::new(&app, &a)
        .get(&routes::fill(routes::ENVELOPE, &sent.envelope_id))
        .await
        .json()
        .await
        .unwrap();
    assert!(detail.receipts.is_empty());
    assert_eq!(detail.envelope.status, EnvelopeStatus::Sent);
    // A rejection with its reason reaches the sender.
    let rej = b.receipt(
        &env,
        ReceiptStatus::Rejected {
            reason: "第6表 3行目 サービス種類コードが不正".into(),
        },
    );
    let r: ReceiptResponse = api_b
        .post_receipt(&sent.envelope_id, &rej)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.status, EnvelopeStatus::Rejected);
    let detail: EnvelopeDetail = Api::new(&app, &a)
        .get(&routes::fill(routes::ENVELOPE, &sent.envelope_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.envelope.status_label, "差戻し");
    assert_eq!(
        detail.envelope.rejection_reason.as_deref(),
        Some("第6表 3行目 サービス種類コードが不正")
    );
}

#[tokio::test]
async fn invites_are_single_use() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let a = app.onboard(A, "a").await;
    let keys = DeviceSecretKeys::generate(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
        .unwrap();
    let req = RegisterDeviceRequest {
        invite_code: a.invite_code.to_lowercase(),
        device_name: "再利用".into(),
        keys: keys.public().clone(),
    };
    let resp = app
        .http
        .post(app.url(routes::REGISTER))
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_error(resp, 400, "E-HUB-102").await;
    let resp = app
        .http
        .post(app.url(routes::REGISTER))
        .header("content-type", "application/json")
        .body("{\"invite_code\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_error(resp, 400, "E-HUB-400").await;
}

#[tokio::test]
async fn retention_deletes_ciphertext_and_keeps_evidence() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let (a, b) = (app.onboard(A, "a").await, app.onboard(B, "b").await);
    let (api_a, api_b) = (Api::new(&app, &a), Api::new(&app, &b));
    let done = a.seal_to(&b, "20261125103000", b"x");
    let never = a.seal_to(&b, "20261125103001", b"y");
    let done_id = api_a
        .put_envelope(&done)
        .await
        .json::<SendEnvelopeResponse>()
        .await
        .unwrap()
        .envelope_id;
    let never_id = api_a
        .put_envelope(&never)
        .await
        .json::<SendEnvelopeResponse>()
        .await
        .unwrap()
        .envelope_id;
    api_b
        .post_receipt(&done_id, &b.receipt(&done, ReceiptStatus::Imported))
        .await;

    let policy = RetentionPolicy {
        after_final_secs: 30 * 86_400,
        unacknowledged_secs: 180 * 86_400,
    };
    let now = tsunagu_hub::now_unix();
    let r = tsunagu_hub::ops::run_retention(app.store.as_ref(), policy, now + 31 * 86_400)
        .await
        .unwrap();
    assert_eq!((r.deleted_after_final, r.deleted_unacknowledged), (1, 0));
    assert_error(
        api_b.get(&routes::fill(routes::CIPHERTEXT, &done_id)).await,
        410,
        "E-HUB-410",
    )
    .await;
    assert_eq!(
        api_b
            .get(&routes::fill(routes::CIPHERTEXT, &never_id))
            .await
            .status(),
        200
    );
    let r = tsunagu_hub::ops::run_retention(app.store.as_ref(), policy, now + 181 * 86_400)
        .await
        .unwrap();
    assert_eq!((r.deleted_after_final, r.deleted_unacknowledged), (0, 1));

    let out: EnvelopePage = api_a.get(routes::OUTBOX).await.json().await.unwrap();
    let by_id = |id: &str| {
        out.items
            .iter()
            .find(|e| e.envelope_id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&done_id).status, EnvelopeStatus::Imported);
    assert!(!by_id(&done_id).ciphertext_available);
    assert_eq!(by_id(&never_id).status, EnvelopeStatus::Expired);
    assert_eq!(by_id(&never_id).status_label, "期限切れ");
    let detail: EnvelopeDetail = api_a
        .get(&routes::fill(routes::ENVELOPE, &done_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.receipts.len(), 1, "receipts are kept");
    detail.receipts[0]
        .receipt
        .verify_for(&done.routing, &[b.keys.public().clone()])
        .unwrap();
    let inbox: EnvelopePage = api_b.get(routes::INBOX).await.json().await.unwrap();
    assert!(inbox.items.is_empty());

    // The audit chain holds, and breaks where a row is altered in the database.
    assert!(
        tsunagu_hub::ops::verify_audit(app.store.as_ref())
            .await
            .unwrap()
            .is_intact()
    );
    db.execute_raw("UPDATE audit_log SET office_id = '0300000300_11' WHERE seq = 3")
        .await;
    let v = tsunagu_hub::ops::verify_audit(app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(v.first_broken.unwrap().seq, 3);
}

#[tokio::test]
async fn health_readiness_openapi_and_unknown_routes() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&db).await;
    let h: serde_json::Value = app
        .http
        .get(app.url(routes::HEALTH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let r: serde_json::Value = app
        .http
        .get(app.url(routes::READY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["database"], "sqlite");
    let doc: serde_json::Value = app
        .http
        .get(app.url(routes::OPENAPI))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/envelopes",
        "/api/v1/inbox",
        "/api/v1/envelopes/{envelope_id}/receipts",
        "/api/v1/devices/register",
    ] {
        assert!(doc["paths"][p].is_object(), "openapi lacks {p}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert_error(
        app.http
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .unwrap(),
        404,
        "E-HUB-404",
    )
    .await;
}

#[tokio::test]
async fn readiness_answers_503_when_postgres_is_gone() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = TestApp::spawn(&db).await;
    assert_eq!(
        app.http
            .get(app.url(routes::READY))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let TestDb::Postgres {
        admin_url, name, ..
    } = &db
    else {
        unreachable!()
    };
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_error(
        app.http.get(app.url(routes::READY)).send().await.unwrap(),
        503,
        "E-HUB-901",
    )
    .await;
    assert_eq!(
        app.http
            .get(app.url(routes::HEALTH))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
