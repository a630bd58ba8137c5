//! Receiving: inbox → download → open with the sender's pinned keys (pinned on first sight) →
//! 受信済 receipt → full standard check → files written atomically under their standard names
//! in ファイル連番 order → 取込済 receipt; or a 差戻し receipt naming codes and positions only.
//! A unit is imported once: a replayed envelope for an imported unit is never written again.
//! The same envelope stored again under a new id (the sender re-sends what a restored hub lost,
//! see [`crate::recover`]) is not written again either; its receipts are posted again.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use tsunagu_protocol::{EnvelopeSummary, ErrorCode};
use tsunagu_seal::{
    DevicePublicKeys, DeviceSecretKeys, MAX_REASON_CHARS, OpenedUnit, Receipt, ReceiptStatus,
    RoutingMetadata, SignedReceipt,
};
use tsunagu_standard::check::check_all;
use tsunagu_standard::{Finding, OfficeId, Severity, StandardFileName};

use crate::atomic;
use crate::error::{DeskError, Result};
use crate::store::{Direction, ReceivedStatus, ReceivedUnit};
use crate::{Desk, Progress, now_unix, pins};

/// What happened to one envelope of the inbox.
#[derive(Debug)]
pub enum ReceiveResult {
    /// Checked and written; 取込済 posted.
    Imported { files: Vec<String> },
    /// Refused with a 差戻し receipt (reason as signed).
    Rejected { reason: String },
    /// Handled in an earlier run; its final receipt was posted (again) now — also when the same
    /// envelope came back under a new envelope id after a hub restore.
    AlreadyDone,
    /// Another envelope for a unit already imported (a replay): not imported again.
    Replay,
    /// Left in the inbox; the error says why (e.g. a changed key waiting for confirmation).
    Skipped(DeskError),
}

impl ReceiveResult {
    pub fn kind(&self) -> &'static str {
        match self {
            ReceiveResult::Imported { .. } => "imported",
            ReceiveResult::Rejected { .. } => "rejected",
            ReceiveResult::AlreadyDone => "already_done",
            ReceiveResult::Replay => "replay",
            ReceiveResult::Skipped(_) => "skipped",
        }
    }
}

#[derive(Debug)]
pub struct ReceiveOutcome {
    pub envelope_id: String,
    pub sender: OfficeId,
    pub unit_id: String,
    pub result: ReceiveResult,
}

/// Inbox envelopes in the order they are imported: ファイル連番, then upload order.
pub fn import_order(mut items: Vec<EnvelopeSummary>) -> Vec<EnvelopeSummary> {
    items.sort_by(|a, b| {
        a.routing
            .unit_id
            .as_str()
            .cmp(b.routing.unit_id.as_str())
            .then(a.seq.cmp(&b.seq))
    });
    items
}

/// The 差戻し reason for checking findings: kind, line, field number and name, code — never a
/// value from the file. Bounded to what a receipt may carry.
pub fn rejection_reason(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let mut lines = Vec::new();
    for f in &errors {
        let place = match StandardFileName::parse(&f.file) {
            Ok(n) => n.kind.prefix().to_string(),
            // Unit-level findings carry the unit label (office ids and ファイル連番 only).
            Err(_) => f.file.clone(),
        };
        let mut line = place.to_string();
        if let Some(l) = f.line {
            line.push_str(&format!(" {l}行目"));
        }
        if let (Some(no), Some(name)) = (f.field_no, &f.field_name) {
            line.push_str(&format!(" 項目{no}「{name}」"));
        }
        line.push_str(&format!(" {}", f.code));
        lines.push(line);
    }
    let head = format!("標準仕様の検査でエラー {} 件: ", errors.len());
    let mut out = head;
    let budget = MAX_REASON_CHARS - 20;
    for (i, l) in lines.iter().enumerate() {
        let sep = if i == 0 { "" } else { "、" };
        if out.chars().count() + sep.chars().count() + l.chars().count() > budget {
            out.push_str(&format!("、ほか {} 件", lines.len() - i));
            break;
        }
        out.push_str(sep);
        out.push_str(l);
    }
    out
}

/// Files inside the envelope must be standard files of exactly the routed unit.
fn check_names(opened: &OpenedUnit, routing: &RoutingMetadata) -> std::result::Result<(), String> {
    for (name, _) in &opened.files {
        let n = StandardFileName::parse(name).map_err(|e| format!("E-DESK-061 {}", e.code()))?;
        let key = n.unit_key();
        let sender_ok = key.sender == routing.sender.number
            && key.sender_kind.is_none_or(|k| k == routing.sender.kind);
        let recipient_ok = key.recipient == routing.recipient.number
            && key
                .recipient_kind
                .is_none_or(|k| k == routing.recipient.kind);
        if !sender_ok || !recipient_ok || key.serial.as_str() != routing.unit_id.as_str() {
            return Err(format!(
                "E-DESK-061 {} のファイル名が送信単位（送信元・送信先・ファイル連番）と一致しません",
                n.kind.prefix()
            ));
        }
    }
    Ok(())
}

fn now_second() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Receives every envelope waiting for this office and imports it into `to_dir`.
pub async fn receive(
    desk: &Desk,
    me: &DeviceSecretKeys,
    to_dir: &Path,
    progress: &dyn Progress,
) -> Result<Vec<ReceiveOutcome>> {
    std::fs::create_dir_all(to_dir).map_err(|_| DeskError::ImportDir(to_dir.to_path_buf()))?;
    let inbox = import_order(desk.client.inbox().await?);
    progress.start(inbox.len() as u64, "受信");
    let mut out = Vec::new();
    let mut hub_down = false;
    for item in inbox {
        let result = if hub_down {
            ReceiveResult::Skipped(DeskError::HubUnreachable {
                url: desk.client.base_url().to_string(),
                detail: "前の封筒で接続できませんでした".into(),
            })
        } else {
            match receive_one(desk, me, to_dir, &item).await {
                Ok(r) => r,
                Err(e @ DeskError::Database(_)) => {
                    progress.finish();
                    return Err(e);
                }
                Err(e) => {
                    hub_down = matches!(e, DeskError::HubUnreachable { .. });
                    ReceiveResult::Skipped(e)
                }
            }
        };
        tracing::info!(envelope_id = %item.envelope_id, unit = item.routing.unit_id.as_str(), result = result.kind(), "inbox envelope");
        progress.tick(item.routing.unit_id.as_str());
        out.push(ReceiveOutcome {
            envelope_id: item.envelope_id,
            sender: item.routing.sender,
            unit_id: item.routing.unit_id.as_str().to_string(),
            result,
        });
    }
    progress.finish();
    Ok(out)
}

async fn receive_one(
    desk: &Desk,
    me: &DeviceSecretKeys,
    to_dir: &Path,
    item: &EnvelopeSummary,
) -> Result<ReceiveResult> {
    let routing = &item.routing;
    let my_office = desk.config.office_id;
    desk.store.saw_partner(&routing.sender, now_unix()).await?;
    if let Some(done) = desk
        .store
        .received_unit(
            &routing.sender,
            &routing.recipient,
            routing.unit_id.as_str(),
        )
        .await?
    {
        if done.envelope_id == item.envelope_id {
            finish_receipt(desk, me, item, &done).await?;
            return Ok(ReceiveResult::AlreadyDone);
        }
        if done.ciphertext_sha256 == routing.ciphertext_sha256 {
            // The very envelope handled before, stored again under a new id: the sender's desk
            // re-sends what a hub restored from a backup lost. Not imported again; this device's
            // receipts for it (they name the ciphertext, not the envelope id) are posted for
            // the new id so the sender sees the outcome on the restored hub.
            tracing::info!(envelope_id = %item.envelope_id, earlier_envelope_id = %done.envelope_id, unit = routing.unit_id.as_str(), "unit handled before arrived again as the same envelope; receipts posted again, not imported");
            repost_receipts(desk, me, item, &done).await?;
            return Ok(ReceiveResult::AlreadyDone);
        }
        // The hub stores a unit id once per pair, so a second envelope for it is a replay.
        tracing::warn!(envelope_id = %item.envelope_id, unit = routing.unit_id.as_str(), "replayed unit refused");
        let reason = format!(
            "E-DESK-062 この送信単位（ファイル連番 {}）はすでに受信済みです。再送された封筒は取り込みません",
            routing.unit_id.as_str()
        );
        post_final(desk, me, item, ReceiptStatus::Rejected { reason }).await?;
        return Ok(ReceiveResult::Replay);
    }

    let (ciphertext, _) = desk.client.download(&item.envelope_id).await?;
    let opened = match open_with_pins(desk, me, &ciphertext, routing, my_office).await {
        Ok(o) => o,
        Err(e) => match e {
            // Not a problem of the envelope: leave it for a person (or another device).
            DeskError::Seal(tsunagu_seal::Error::NotForThisDevice)
            | DeskError::Seal(tsunagu_seal::Error::UnknownSenderKey { .. })
            | DeskError::KeyChanged { .. }
            | DeskError::OfficeNotOnHub(_)
            | DeskError::NoDevices(_)
            | DeskError::HubUnreachable { .. }
            | DeskError::Hub { .. }
            | DeskError::Database(_) => return Err(e),
            DeskError::Seal(seal) => {
                let reason = format!(
                    "{} 封筒を検証できませんでした（改ざんまたは破損）。再送してください",
                    seal.code()
                );
                return reject(desk, me, item, Vec::new(), reason).await;
            }
            other => return Err(other),
        },
    };
    post_receipt(desk, me, item, ReceiptStatus::Received).await?;

    if let Err(reason) = check_names(&opened, routing) {
        return reject(desk, me, item, names(&opened), reason).await;
    }
    let (_, report) = check_all(&opened.files);
    if report.has_errors() {
        let findings: Vec<Finding> = report.findings().cloned().collect();
        return reject(desk, me, item, names(&opened), rejection_reason(&findings)).await;
    }

    // Refuse to clobber a different file of the same name before writing anything.
    for (name, bytes) in &opened.files {
        let path = to_dir.join(name);
        if let Ok(existing) = std::fs::read(&path)
            && existing != *bytes
        {
            return Err(DeskError::ImportConflict(name.clone()));
        }
    }
    for (name, bytes) in &opened.files {
        atomic::write(&to_dir.join(name), bytes)?;
    }
    let unit = ReceivedUnit {
        envelope_id: item.envelope_id.clone(),
        sender: routing.sender,
        recipient: routing.recipient,
        unit_id: routing.unit_id.as_str().to_string(),
        kinds: routing.kinds.clone(),
        service_month: routing
            .service_month
            .as_ref()
            .map(|m| m.as_str().to_string()),
        ciphertext_sha256: routing.ciphertext_sha256.clone(),
        size: routing.size as i64,
        file_names: names(&opened),
        import_dir: Some(display_dir(to_dir)),
        status: ReceivedStatus::Imported,
        reason: None,
        received_at: now_unix(),
        final_receipt_posted: false,
    };
    // Kept for the UI (forms, version comparison); idempotent, so before the record.
    crate::unit_files::keep(
        &desk.store,
        &crate::unit_files::UnitRef {
            flow: crate::unit_files::Flow::Received,
            sender: unit.sender,
            recipient: unit.recipient,
            unit_id: unit.unit_id.clone(),
        },
        &opened.files,
    )
    .await?;
    // Recorded before the receipt: a crash after this never imports the unit twice.
    desk.store.insert_received(&unit).await?;
    finish_receipt(desk, me, item, &unit).await?;
    Ok(ReceiveResult::Imported {
        files: unit.file_names,
    })
}

fn names(opened: &OpenedUnit) -> Vec<String> {
    opened.files.iter().map(|(n, _)| n.clone()).collect()
}

fn display_dir(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| PathBuf::from(p))
        .display()
        .to_string()
}

async fn reject(
    desk: &Desk,
    me: &DeviceSecretKeys,
    item: &EnvelopeSummary,
    file_names: Vec<String>,
    reason: String,
) -> Result<ReceiveResult> {
    let routing = &item.routing;
    let unit = ReceivedUnit {
        envelope_id: item.envelope_id.clone(),
        sender: routing.sender,
        recipient: routing.recipient,
        unit_id: routing.unit_id.as_str().to_string(),
        kinds: routing.kinds.clone(),
        service_month: routing
            .service_month
            .as_ref()
            .map(|m| m.as_str().to_string()),
        ciphertext_sha256: routing.ciphertext_sha256.clone(),
        size: routing.size as i64,
        file_names,
        import_dir: None,
        status: ReceivedStatus::Rejected,
        reason: Some(reason.clone()),
        received_at: now_unix(),
        final_receipt_posted: false,
    };
    desk.store.insert_received(&unit).await?;
    finish_receipt(desk, me, item, &unit).await?;
    Ok(ReceiveResult::Rejected { reason })
}

/// Posts the final receipt of a recorded unit: the one stored earlier if any (so a retry posts
/// the same signed bytes), else a new one.
async fn finish_receipt(
    desk: &Desk,
    me: &DeviceSecretKeys,
    item: &EnvelopeSummary,
    unit: &ReceivedUnit,
) -> Result<()> {
    let stored = desk.store.receipts_for(&item.envelope_id).await?;
    let existing = stored.into_iter().map(|r| r.signed).find(|s| {
        !matches!(s.receipt.status, ReceiptStatus::Received) && s.receipt.by_key_id == me.key_id()
    });
    let signed = match existing {
        Some(s) => s,
        None => {
            let status = match unit.status {
                ReceivedStatus::Imported => ReceiptStatus::Imported,
                ReceivedStatus::Rejected => ReceiptStatus::Rejected {
                    reason: unit.reason.clone().unwrap_or_default(),
                },
            };
            sign(me, &item.routing, status)?
        }
    };
    desk.store
        .add_receipt(Direction::Out, &item.envelope_id, &signed)
        .await?;
    desk.client.post_receipt(&item.envelope_id, &signed).await?;
    desk.store
        .mark_final_receipt_posted(&item.envelope_id)
        .await?;
    Ok(())
}

/// Posts for `item` (a new envelope id of a unit recorded as `done`) the 受信済 and final
/// receipts this device signed for the earlier envelope, as the same signed bytes, in that
/// order (a 受信済 after the final one would be stored as a later event); a final receipt is
/// signed anew only if none of this device's is stored (e.g. its key changed since).
async fn repost_receipts(
    desk: &Desk,
    me: &DeviceSecretKeys,
    item: &EnvelopeSummary,
    done: &ReceivedUnit,
) -> Result<()> {
    let mine: Vec<SignedReceipt> = desk
        .store
        .receipts_for(&done.envelope_id)
        .await?
        .into_iter()
        .map(|r| r.signed)
        .filter(|s| {
            s.receipt.by_key_id == me.key_id()
                && s.receipt.ciphertext_sha256 == item.routing.ciphertext_sha256
        })
        .collect();
    for signed in &mine {
        desk.store
            .add_receipt(Direction::Out, &item.envelope_id, signed)
            .await?;
    }
    if let Some(received) = mine
        .iter()
        .find(|s| matches!(s.receipt.status, ReceiptStatus::Received))
    {
        post_signed(desk, &item.envelope_id, received).await?;
    }
    finish_receipt(desk, me, item, done).await
}

/// Posts a stored signed receipt; a different final one already there is not an error here
/// (another device of this office answered first).
async fn post_signed(desk: &Desk, envelope_id: &str, signed: &SignedReceipt) -> Result<()> {
    match desk.client.post_receipt(envelope_id, signed).await {
        Ok(_)
        | Err(DeskError::Hub {
            code: ErrorCode::ReceiptConflict,
            ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

fn sign(
    me: &DeviceSecretKeys,
    routing: &RoutingMetadata,
    status: ReceiptStatus,
) -> Result<SignedReceipt> {
    let receipt = Receipt::for_envelope(routing, status, now_second(), me.public());
    Ok(SignedReceipt::sign(receipt, me)?)
}

async fn post_receipt(
    desk: &Desk,
    me: &DeviceSecretKeys,
    item: &EnvelopeSummary,
    status: ReceiptStatus,
) -> Result<()> {
    let signed = sign(me, &item.routing, status)?;
    desk.store
        .add_receipt(Direction::Out, &item.envelope_id, &signed)
        .await?;
    match desk.client.post_receipt(&item.envelope_id, &signed).await {
        Ok(_) => Ok(()),
        // A final receipt already recorded (another device of this office) is not an error.
        Err(DeskError::Hub {
            code: ErrorCode::ReceiptConflict,
            ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A final receipt for an envelope that is not recorded as a unit (a replay).
async fn post_final(
    desk: &Desk,
    me: &DeviceSecretKeys,
    item: &EnvelopeSummary,
    status: ReceiptStatus,
) -> Result<()> {
    post_receipt(desk, me, item, status).await
}

/// Opens with the sender office's pinned keys; pins them on first sight; refetches the
/// directory once when the signing key is not pinned (a new device of the partner), which
/// succeeds only if nothing unpinned is in the directory.
async fn open_with_pins(
    desk: &Desk,
    me: &DeviceSecretKeys,
    ciphertext: &[u8],
    routing: &RoutingMetadata,
    my_office: OfficeId,
) -> Result<OpenedUnit> {
    let sender = routing.sender;
    let mut keys: Vec<DevicePublicKeys> = pins::verification_keys(&desk.store, &sender).await?;
    if keys.is_empty() {
        keys = refresh_keys(desk, &sender).await?;
    }
    match tsunagu_seal::open(ciphertext, routing, me, my_office, &keys) {
        Err(tsunagu_seal::Error::UnknownSenderKey { .. }) => {
            refresh_keys(desk, &sender).await?;
            let keys = pins::verification_keys(&desk.store, &sender).await?;
            Ok(tsunagu_seal::open(
                ciphertext, routing, me, my_office, &keys,
            )?)
        }
        other => Ok(other?),
    }
}

async fn refresh_keys(desk: &Desk, office: &OfficeId) -> Result<Vec<DevicePublicKeys>> {
    let now = now_unix();
    let directory = desk
        .client
        .office_keys(office)
        .await?
        .ok_or_else(|| DeskError::OfficeNotOnHub(office.to_string()))?;
    desk.store
        .set_partner_on_hub(office, true, Some(&directory.office.name), now)
        .await?;
    pins::trusted_directory_keys(&desk.store, &directory, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsunagu_protocol::EnvelopeStatus;
    use tsunagu_seal::UnitId;

    fn summary(seq: i64, unit: &str) -> EnvelopeSummary {
        EnvelopeSummary {
            envelope_id: format!("env_{seq}"),
            seq,
            routing: RoutingMetadata {
                format_version: 1,
                sender: OfficeId::parse("3100000001_43").unwrap(),
                recipient: OfficeId::parse("3100000101_11").unwrap(),
                unit_id: UnitId::parse(unit).unwrap(),
                kinds: vec!["UPPLAN".into()],
                service_month: None,
                size: 1,
                ciphertext_sha256: "a".repeat(64),
            },
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

    #[test]
    fn imports_in_file_serial_order_not_upload_order() {
        let items = vec![
            summary(1, "20250401120000"),
            summary(2, "20250325090000"),
            summary(3, "20250401115959"),
        ];
        let ordered: Vec<String> = import_order(items)
            .iter()
            .map(|s| s.routing.unit_id.as_str().to_string())
            .collect();
        assert_eq!(
            ordered,
            vec!["20250325090000", "20250401115959", "20250401120000"]
        );
    }

    #[test]
    fn rejection_reason_names_positions_and_codes_only() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../standard/tests/fixtures/broken"
        );
        let name = "UPPLAN_202504_3100000001_43_3100000101_11_20250401000014.CSV";
        let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
        let (_, report) = check_all(&[(name, bytes.clone())]);
        let findings: Vec<Finding> = report.findings().cloned().collect();
        let reason = rejection_reason(&findings);
        assert!(reason.starts_with("標準仕様の検査でエラー"), "{reason}");
        assert!(reason.contains("UPPLAN"), "{reason}");
        assert!(
            reason.contains("E-FLD-003") && reason.contains("行目 項目"),
            "{reason}"
        );
        assert!(reason.contains("E-"), "{reason}");
        assert!(reason.chars().count() <= MAX_REASON_CHARS);
        // No field value of the file appears in the reason: check every CSV cell of 6+ chars.
        let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
        for cell in text.split([',', '\r', '\n']).map(|c| c.trim_matches('"')) {
            // Office numbers, month and ファイル連番 are in the file name: routing data, not contents.
            if cell.chars().count() >= 6 && !name.contains(cell) {
                assert!(!reason.contains(cell), "reason quotes {cell:?}: {reason}");
            }
        }
    }

    #[test]
    fn long_reasons_are_bounded() {
        let f = Finding {
            code: "E-FLD-003".into(),
            severity: Severity::Error,
            file: "UPPLAN_202504_3100000001_43_3100000101_11_20250401000001.CSV".into(),
            line: Some(3),
            record: Some(1),
            field_no: Some(12),
            field_name: Some("サービス開始時刻".into()),
            field_key: None,
            message: "m".into(),
            message_en: "m".into(),
        };
        let findings = vec![f; 500];
        let reason = rejection_reason(&findings);
        assert!(
            reason.chars().count() <= MAX_REASON_CHARS,
            "{}",
            reason.chars().count()
        );
        assert!(reason.contains("ほか"));
    }
}
