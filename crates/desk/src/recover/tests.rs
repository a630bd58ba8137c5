//! The decision for every kind of sent unit, and the refresh against a stand-in hub that lost
//! some envelopes (restored from a backup), expired one and lists the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_protocol::{
    EnvelopeDetail, EnvelopePage, EnvelopeStatus, EnvelopeSummary, ErrorBody, ErrorCode,
    ROUTING_HEADER, SendEnvelopeResponse,
};
use tsunagu_seal::{DeviceSecretKeys, Receipt, ReceiptStatus, SignedReceipt, UnitId};
use tsunagu_standard::OfficeId;

use super::*;
use crate::store::Direction;

const ME: &str = "3100000001_43";
const PARTNER: &str = "3100000101_11";
const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

fn unit(status: SentStatus, envelope_id: Option<&str>, resent_at: Option<i64>) -> SentUnit {
    SentUnit {
        sender: OfficeId::parse(ME).unwrap(),
        recipient: OfficeId::parse(PARTNER).unwrap(),
        unit_id: "20251130090000".into(),
        kinds: vec!["UPPLAN".into()],
        service_month: None,
        file_names: vec![],
        files_sha256: "d".into(),
        routing_json: "{}".into(),
        ciphertext: None,
        ciphertext_sha256: "c".into(),
        size: 1,
        sealed_at: NOW - 86_400,
        uploaded_at: envelope_id.map(|_| NOW - 86_400),
        envelope_id: envelope_id.map(String::from),
        status,
        rejection_reason: None,
        last_error: None,
        hub_resent_at: resent_at,
        hub_resends: i64::from(resent_at.is_some()),
    }
}

/// A 送信済 unit row (for tests elsewhere in the crate).
pub(crate) fn unit_row() -> SentUnit {
    unit(SentStatus::Hub(EnvelopeStatus::Sent), Some("env_1"), None)
}

#[test]
fn decision_for_every_kind_of_unit() {
    use EnvelopeStatus as E;
    use OnHub::*;
    let sent = |s| SentStatus::Hub(s);
    // Lost by the hub, no final receipt here: sent again, whether 送信済 or 受信済.
    for s in [E::Sent, E::Received] {
        let u = unit(sent(s), Some("env_1"), None);
        assert_eq!(decide(&u, false, Unknown, NOW), Decision::Resend, "{s:?}");
        // The hub lists it (in any state, ciphertext deleted by retention or not) or answers
        // for it: nothing to do.
        assert_eq!(decide(&u, false, Listed, NOW), Decision::OnHub);
        assert_eq!(decide(&u, false, Known, NOW), Decision::OnHub);
        // A final receipt stored here (the status not updated yet): done.
        assert_eq!(decide(&u, true, Unknown, NOW), Decision::Final);
    }
    // 取込済 and 差戻し are done even when the hub lost them.
    for s in [E::Imported, E::Rejected] {
        let u = unit(sent(s), Some("env_1"), None);
        assert_eq!(decide(&u, false, Unknown, NOW), Decision::Final, "{s:?}");
        assert_eq!(decide(&u, true, Unknown, NOW), Decision::Final);
    }
    // 期限切れ: the hub deleted the ciphertext unacknowledged; never delivered late by this.
    let expired = unit(sent(E::Expired), Some("env_1"), None);
    assert_eq!(decide(&expired, false, Unknown, NOW), Decision::Expired);
    // Never acknowledged: the outbox retry's job, not this one's.
    let sealed = unit(SentStatus::Sealed, None, None);
    assert_eq!(decide(&sealed, false, Unknown, NOW), Decision::NotUploaded);
    let odd = unit(sent(E::Sent), None, None);
    assert_eq!(decide(&odd, false, Unknown, NOW), Decision::NotUploaded);
    // At most once an hour per unit.
    let recent = unit(sent(E::Sent), Some("env_2"), Some(NOW - 60));
    assert_eq!(
        decide(&recent, false, Unknown, NOW),
        Decision::TooSoon {
            next_at: NOW - 60 + RESEND_GAP_SECS
        }
    );
    let hour_ago = unit(sent(E::Sent), Some("env_2"), Some(NOW - RESEND_GAP_SECS));
    assert_eq!(decide(&hour_ago, false, Unknown, NOW), Decision::Resend);
    // The gap never makes a final or expired unit eligible.
    let old_final = unit(
        sent(E::Imported),
        Some("env_2"),
        Some(NOW - 10 * RESEND_GAP_SECS),
    );
    assert_eq!(decide(&old_final, false, Unknown, NOW), Decision::Final);
}

// ---- a stand-in hub ------------------------------------------------------------------------

#[derive(Default)]
pub(crate) struct FakeHub {
    /// envelope id → (summary, ciphertext); what the hub knows.
    pub envelopes: HashMap<String, (EnvelopeSummary, Vec<u8>)>,
    /// Known but left out of the outbox listing (a listing taken mid-change).
    pub unlisted: Vec<String>,
    /// Every upload: (envelope id answered, ciphertext).
    pub puts: Vec<(String, Vec<u8>)>,
    /// Answer uploads with this error instead.
    pub refuse_puts: Option<ErrorCode>,
    next: u64,
}

pub(crate) type Hub = Arc<Mutex<FakeHub>>;

fn error(code: ErrorCode) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap();
    (status, axum::Json(ErrorBody::new(code))).into_response()
}

fn summary(envelope_id: &str, seq: i64, routing: RoutingMetadata) -> EnvelopeSummary {
    EnvelopeSummary {
        envelope_id: envelope_id.into(),
        seq,
        routing,
        status: EnvelopeStatus::Sent,
        status_label: "送信済".into(),
        sent_at: OffsetDateTime::UNIX_EPOCH,
        received_at: None,
        imported_at: None,
        rejected_at: None,
        rejection_reason: None,
        ciphertext_available: true,
        ciphertext_deleted_at: None,
    }
}

async fn put(State(hub): State<Hub>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let mut h = hub.lock().unwrap();
    if let Some(code) = h.refuse_puts {
        return error(code);
    }
    let header = headers[ROUTING_HEADER].to_str().unwrap();
    let (routing, _) = tsunagu_protocol::decode_routing_header(header).unwrap();
    let existing = h.envelopes.values().find(|(s, _)| {
        s.routing.sender == routing.sender
            && s.routing.recipient == routing.recipient
            && s.routing.unit_id == routing.unit_id
    });
    let (id, created) = match existing {
        Some((s, _)) => (s.envelope_id.clone(), false),
        None => {
            h.next += 1;
            let id = format!("env_new_{}", h.next);
            let seq = 100 + h.next as i64;
            h.envelopes
                .insert(id.clone(), (summary(&id, seq, routing), body.to_vec()));
            (id, true)
        }
    };
    h.puts.push((id.clone(), body.to_vec()));
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = SendEnvelopeResponse {
        envelope_id: id,
        created,
        status: EnvelopeStatus::Sent,
        sent_at: OffsetDateTime::UNIX_EPOCH,
    };
    (status, axum::Json(answer)).into_response()
}

async fn outbox(State(hub): State<Hub>) -> Response {
    let h = hub.lock().unwrap();
    let mut items: Vec<EnvelopeSummary> = h
        .envelopes
        .values()
        .filter(|(s, _)| !h.unlisted.contains(&s.envelope_id))
        .map(|(s, _)| s.clone())
        .collect();
    items.sort_by_key(|s| s.seq);
    axum::Json(EnvelopePage {
        items,
        next_after: None,
    })
    .into_response()
}

async fn inbox() -> Response {
    axum::Json(EnvelopePage {
        items: vec![],
        next_after: None,
    })
    .into_response()
}

async fn detail(State(hub): State<Hub>, UrlPath(id): UrlPath<String>) -> Response {
    match hub.lock().unwrap().envelopes.get(&id) {
        Some((s, _)) => axum::Json(EnvelopeDetail {
            envelope: s.clone(),
            receipts: vec![],
        })
        .into_response(),
        None => error(ErrorCode::NotFound),
    }
}

pub(crate) async fn fake_hub() -> (String, Hub) {
    let hub: Hub = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/envelopes", axum::routing::put(put))
        .route("/api/v1/envelopes/{id}", get(detail))
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/inbox", get(inbox))
        .with_state(hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hub)
}

pub(crate) async fn desk(dir: &std::path::Path, hub: &str) -> Desk {
    crate::test_desk::registered_desk(dir, hub, OfficeId::parse(ME).unwrap())
        .await
        .0
}

fn routing(serial: &str, ciphertext: &[u8]) -> RoutingMetadata {
    RoutingMetadata {
        format_version: 1,
        sender: OfficeId::parse(ME).unwrap(),
        recipient: OfficeId::parse(PARTNER).unwrap(),
        unit_id: UnitId::parse(serial).unwrap(),
        kinds: vec!["UPPLAN".into()],
        service_month: None,
        size: ciphertext.len() as u64,
        ciphertext_sha256: hex::encode(Sha256::digest(ciphertext)),
    }
}

/// A sent unit in the desk's store, in `status`, acknowledged under `envelope_id` (None: sealed
/// only). Returns its ciphertext.
pub(crate) async fn stored_unit(
    desk: &Desk,
    serial: &str,
    status: SentStatus,
    envelope_id: Option<&str>,
) -> Vec<u8> {
    let ciphertext = format!("age ciphertext of {serial}").into_bytes();
    let r = routing(serial, &ciphertext);
    let row = SentUnit {
        sender: r.sender,
        recipient: r.recipient,
        unit_id: serial.into(),
        kinds: r.kinds.clone(),
        service_month: None,
        file_names: vec![],
        files_sha256: "d".into(),
        routing_json: String::from_utf8(r.to_json_bytes()).unwrap(),
        ciphertext: Some(ciphertext.clone()),
        ciphertext_sha256: r.ciphertext_sha256.clone(),
        size: r.size as i64,
        sealed_at: 1,
        uploaded_at: None,
        envelope_id: None,
        status: SentStatus::Sealed,
        rejection_reason: None,
        last_error: None,
        hub_resent_at: None,
        hub_resends: 0,
    };
    desk.store.insert_sealed(&row).await.unwrap();
    if let (Some(id), SentStatus::Hub(s)) = (envelope_id, status) {
        desk.store
            .mark_uploaded(
                &row.sender,
                &row.recipient,
                serial,
                id,
                EnvelopeStatus::Sent,
                2,
            )
            .await
            .unwrap();
        let stored = desk
            .store
            .sent_unit(&row.sender, &row.recipient, serial)
            .await
            .unwrap()
            .unwrap();
        desk.store
            .update_sent_status(&stored, s, id, None, 3)
            .await
            .unwrap();
    }
    ciphertext
}

/// The hub knows this envelope (as of its backup).
pub(crate) fn hub_has(hub: &Hub, envelope_id: &str, serial: &str, ciphertext: &[u8]) {
    let s = summary(envelope_id, 1, routing(serial, ciphertext));
    hub.lock()
        .unwrap()
        .envelopes
        .insert(envelope_id.into(), (s, ciphertext.to_vec()));
}

fn receipt(serial: &str, ciphertext: &[u8], status: ReceiptStatus) -> SignedReceipt {
    let partner = DeviceSecretKeys::generate(OffsetDateTime::now_utc()).unwrap();
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let r = Receipt::for_envelope(&routing(serial, ciphertext), status, at, partner.public());
    SignedReceipt::sign(r, &partner).unwrap()
}

async fn get_unit(desk: &Desk, serial: &str) -> SentUnit {
    desk.store
        .sent_unit(
            &OfficeId::parse(ME).unwrap(),
            &OfficeId::parse(PARTNER).unwrap(),
            serial,
        )
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn refresh_resends_exactly_the_units_the_hub_lost() {
    use EnvelopeStatus as E;
    let t = tempfile::tempdir().unwrap();
    let (url, hub) = fake_hub().await;
    let desk = desk(t.path(), &url).await;
    let s = SentStatus::Hub;
    // Lost by the hub (restored from a backup taken before they were uploaded):
    let sent = stored_unit(&desk, "20251201090001", s(E::Sent), Some("env_lost_1")).await;
    let received = stored_unit(&desk, "20251201090002", s(E::Received), Some("env_lost_2")).await;
    let partner_received = receipt("20251201090002", &received, ReceiptStatus::Received);
    desk.store
        .add_receipt(Direction::In, "env_lost_2", &partner_received)
        .await
        .unwrap();
    stored_unit(&desk, "20251201090003", s(E::Imported), Some("env_lost_3")).await;
    stored_unit(&desk, "20251201090004", s(E::Rejected), Some("env_lost_4")).await;
    stored_unit(&desk, "20251201090005", s(E::Expired), Some("env_lost_5")).await;
    // 送信済 here, but the partner's 取込済 receipt is already stored: done.
    let fin = stored_unit(&desk, "20251201090006", s(E::Sent), Some("env_lost_6")).await;
    desk.store
        .add_receipt(
            Direction::In,
            "env_lost_6",
            &receipt("20251201090006", &fin, ReceiptStatus::Imported),
        )
        .await
        .unwrap();
    // Never acknowledged (the upload failed): left to the outbox retry.
    stored_unit(&desk, "20251201090007", SentStatus::Sealed, None).await;
    // Known to the hub: one listed with its ciphertext deleted by retention (metadata kept),
    // one not in this listing but answering for its id.
    let kept = stored_unit(&desk, "20251201090008", s(E::Sent), Some("env_kept_8")).await;
    hub_has(&hub, "env_kept_8", "20251201090008", &kept);
    {
        let mut h = hub.lock().unwrap();
        let e = &mut h.envelopes.get_mut("env_kept_8").unwrap().0;
        e.ciphertext_available = false;
        e.ciphertext_deleted_at = Some(OffsetDateTime::UNIX_EPOCH);
    }
    let unlisted = stored_unit(&desk, "20251201090009", s(E::Sent), Some("env_kept_9")).await;
    hub_has(&hub, "env_kept_9", "20251201090009", &unlisted);
    hub.lock().unwrap().unlisted.push("env_kept_9".into());

    crate::status::refresh(&desk).await.unwrap();

    let puts = hub.lock().unwrap().puts.clone();
    assert_eq!(puts.len(), 2, "only the two lost, unfinished units");
    // The stored bytes, not a new sealing.
    assert_eq!(puts[0].1, sent);
    assert_eq!(puts[1].1, received);
    let u1 = get_unit(&desk, "20251201090001").await;
    assert_eq!(u1.envelope_id.as_deref(), Some(puts[0].0.as_str()));
    assert_eq!(u1.status, s(E::Sent));
    assert_eq!(u1.hub_resends, 1);
    assert!(u1.hub_resent_at.is_some());
    let u2 = get_unit(&desk, "20251201090002").await;
    // Never backwards: still 受信済, and the partner's receipt holds for the same bytes.
    assert_eq!(u2.status, s(E::Received));
    let copied = desk.store.receipts_for(&puts[1].0).await.unwrap();
    assert_eq!(copied.len(), 1);
    assert_eq!(copied[0].signed, partner_received);
    for serial in [
        "20251201090003",
        "20251201090004",
        "20251201090005",
        "20251201090006",
        "20251201090007",
        "20251201090008",
        "20251201090009",
    ] {
        let u = get_unit(&desk, serial).await;
        assert_eq!(u.hub_resends, 0, "{serial}");
        assert_eq!(u.hub_resent_at, None, "{serial}");
    }
    // The retention-deleted unit keeps its hub status; nothing was taken for lost.
    assert_eq!(
        get_unit(&desk, "20251201090008")
            .await
            .envelope_id
            .as_deref(),
        Some("env_kept_8")
    );

    // The next sync finds them listed: nothing more goes up.
    crate::status::refresh(&desk).await.unwrap();
    assert_eq!(hub.lock().unwrap().puts.len(), 2);

    // Lost again within the hour (a second restore): not again before the hour is over…
    let new_id = u1.envelope_id.clone().unwrap();
    hub.lock().unwrap().envelopes.remove(&new_id);
    crate::status::refresh(&desk).await.unwrap();
    assert_eq!(hub.lock().unwrap().puts.len(), 2);
    // …and once it is.
    sqlx::query("UPDATE sent_units SET hub_resent_at = hub_resent_at - 3600")
        .execute(desk.store.pool())
        .await
        .unwrap();
    crate::status::refresh(&desk).await.unwrap();
    assert_eq!(hub.lock().unwrap().puts.len(), 3);
    assert_eq!(get_unit(&desk, "20251201090001").await.hub_resends, 2);
}

#[tokio::test]
async fn hub_trouble_gives_the_claim_back_and_a_refusal_waits_an_hour() {
    use EnvelopeStatus as E;
    let t = tempfile::tempdir().unwrap();
    let (url, hub) = fake_hub().await;
    let desk = desk(t.path(), &url).await;
    stored_unit(
        &desk,
        "20251201090001",
        SentStatus::Hub(E::Sent),
        Some("env_lost_1"),
    )
    .await;

    // The hub's database is down when the upload comes: no attempt is counted.
    hub.lock().unwrap().refuse_puts = Some(ErrorCode::Unavailable);
    let e = crate::status::refresh(&desk).await.unwrap_err();
    assert!(
        matches!(
            e,
            DeskError::Hub {
                code: ErrorCode::Unavailable,
                ..
            }
        ),
        "{e:?}"
    );
    let u = get_unit(&desk, "20251201090001").await;
    assert_eq!((u.hub_resent_at, u.hub_resends), (None, 0));

    // The restored hub does not know the recipient office (it joined after the backup): the
    // refusal is recorded and the unit waits an hour.
    hub.lock().unwrap().refuse_puts = Some(ErrorCode::RecipientUnknown);
    crate::status::refresh(&desk).await.unwrap();
    let u = get_unit(&desk, "20251201090001").await;
    assert!(u.hub_resent_at.is_some());
    assert_eq!(u.hub_resends, 0);
    assert!(
        u.last_error.as_deref().unwrap().contains("E-DESK-011"),
        "{:?}",
        u.last_error
    );
    hub.lock().unwrap().refuse_puts = None;
    crate::status::refresh(&desk).await.unwrap();
    assert!(
        hub.lock().unwrap().puts.is_empty(),
        "not before the hour is over"
    );
    assert_eq!(
        get_unit(&desk, "20251201090001")
            .await
            .envelope_id
            .as_deref(),
        Some("env_lost_1")
    );
}
