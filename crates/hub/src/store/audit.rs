//! The hash-chained audit log: each row stores `hash = sha256(prev_hash ‖ canonical row)`.
//!
//! The canonical row is the JSON object of the row's fields (without the hashes) in a fixed
//! order; `detail` is the stored text itself, so verification never re-serializes anything a
//! different serde version could order differently. Rows never contain care-plan contents:
//! only ids, office ids, sizes, statuses and reasons.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    OfficeCreated,
    InviteIssued,
    InviteUsed,
    DeviceRegistered,
    DeviceRevoked,
    /// The key directory of an office changed (a device registered or revoked).
    KeyChanged,
    EnvelopeSent,
    EnvelopeDownloaded,
    ReceiptPosted,
    CiphertextDeleted,
    /// A municipality account was created (name and codes).
    MunicipalityCreated,
    /// A web user (operator or municipality) was created.
    WebUserCreated,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::OfficeCreated => "office_created",
            AuditKind::InviteIssued => "invite_issued",
            AuditKind::InviteUsed => "invite_used",
            AuditKind::DeviceRegistered => "device_registered",
            AuditKind::DeviceRevoked => "device_revoked",
            AuditKind::KeyChanged => "key_changed",
            AuditKind::EnvelopeSent => "envelope_sent",
            AuditKind::EnvelopeDownloaded => "envelope_downloaded",
            AuditKind::ReceiptPosted => "receipt_posted",
            AuditKind::CiphertextDeleted => "ciphertext_deleted",
            AuditKind::MunicipalityCreated => "municipality_created",
            AuditKind::WebUserCreated => "web_user_created",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub office_id: Option<String>,
    pub device_id: Option<String>,
    pub envelope_id: Option<String>,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(kind: AuditKind) -> Self {
        Self {
            kind,
            office_id: None,
            device_id: None,
            envelope_id: None,
            detail: serde_json::Value::Object(Default::default()),
        }
    }
    pub fn office(mut self, office: impl ToString) -> Self {
        self.office_id = Some(office.to_string());
        self
    }
    pub fn device(mut self, device: impl ToString) -> Self {
        self.device_id = Some(device.to_string());
        self
    }
    pub fn envelope(mut self, envelope: impl ToString) -> Self {
        self.envelope_id = Some(envelope.to_string());
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub event: String,
    pub office_id: Option<String>,
    pub device_id: Option<String>,
    pub envelope_id: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The last row of the audit chain, carried from one append to the next inside a transaction.
pub(crate) struct AuditTip {
    pub seq: i64,
    pub hash: String,
}

impl AuditTip {
    /// The row that follows the tip for `event`, to be inserted; the tip moves to it.
    pub fn next(&mut self, event: &AuditEvent, at: i64) -> AuditRow {
        let seq = self.seq + 1;
        let detail = event.detail.to_string();
        let event_name = event.kind.as_str();
        let hash = row_hash(
            &self.hash,
            seq,
            at,
            event_name,
            event.office_id.as_deref(),
            event.device_id.as_deref(),
            event.envelope_id.as_deref(),
            &detail,
        );
        let prev_hash = std::mem::replace(&mut self.hash, hash.clone());
        self.seq = seq;
        AuditRow {
            seq,
            at,
            event: event_name.to_string(),
            office_id: event.office_id.clone(),
            device_id: event.device_id.clone(),
            envelope_id: event.envelope_id.clone(),
            detail,
            prev_hash,
            hash,
        }
    }
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: i64,
    event: &'a str,
    office_id: Option<&'a str>,
    device_id: Option<&'a str>,
    envelope_id: Option<&'a str>,
    detail: &'a str,
}

/// `sha256(prev_hash ‖ canonical row)` as lower-case hex.
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    event: &str,
    office_id: Option<&str>,
    device_id: Option<&str>,
    envelope_id: Option<&str>,
    detail: &str,
) -> String {
    let canonical = Canonical {
        seq,
        at,
        event,
        office_id,
        device_id,
        envelope_id,
        detail,
    };
    // Serializing a struct of strings and integers to a Vec cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(&bytes);
    hex::encode(h.finalize())
}

impl AuditRow {
    pub(crate) fn computed_hash(&self) -> String {
        row_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.event,
            self.office_id.as_deref(),
            self.device_id.as_deref(),
            self.envelope_id.as_deref(),
            &self.detail,
        )
    }
}

/// The first row that breaks the chain, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRow {
    pub seq: i64,
    pub reason: String,
}

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Rows checked (up to and including a broken one).
    pub rows: u64,
    /// Hash of the last good row (the chain head when intact).
    pub head: String,
    pub first_broken: Option<BrokenRow>,
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Checks rows one by one in `seq` order.
#[derive(Debug)]
pub(crate) struct ChainVerifier {
    rows: u64,
    expected_seq: i64,
    head: String,
    broken: Option<BrokenRow>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            rows: 0,
            expected_seq: 1,
            head: GENESIS_HASH.to_string(),
            broken: None,
        }
    }
}

impl ChainVerifier {
    /// Returns false once the chain is broken (stop feeding rows).
    pub(crate) fn push(&mut self, row: &AuditRow) -> bool {
        self.rows += 1;
        let reason = if row.seq != self.expected_seq {
            Some(format!(
                "expected row {} but found row {} (rows deleted or inserted)",
                self.expected_seq, row.seq
            ))
        } else if row.prev_hash != self.head {
            Some("prev_hash does not match the previous row's hash".to_string())
        } else if row.computed_hash() != row.hash {
            Some("hash does not match the row's contents (row altered)".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            self.broken = Some(BrokenRow {
                seq: row.seq,
                reason,
            });
            return false;
        }
        self.expected_seq += 1;
        self.head = row.hash.clone();
        true
    }

    pub(crate) fn finish(self) -> AuditVerification {
        AuditVerification {
            rows: self.rows,
            head: self.head,
            first_broken: self.broken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let detail = format!("{{\"n\":{seq}}}");
                let hash = row_hash(
                    &prev,
                    seq,
                    100 + seq,
                    "envelope_sent",
                    Some("0300000100_43"),
                    None,
                    None,
                    &detail,
                );
                let row = AuditRow {
                    seq,
                    at: 100 + seq,
                    event: "envelope_sent".into(),
                    office_id: Some("0300000100_43".into()),
                    device_id: None,
                    envelope_id: None,
                    detail,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[AuditRow]) -> AuditVerification {
        let mut v = ChainVerifier::default();
        for r in rows {
            if !v.push(r) {
                break;
            }
        }
        v.finish()
    }

    #[test]
    fn intact_chain_verifies() {
        let v = verify(&chain(5));
        assert!(v.is_intact());
        assert_eq!(v.rows, 5);
    }

    #[test]
    fn altered_row_is_found() {
        let mut rows = chain(5);
        rows[2].detail = "{\"n\":99}".into();
        let v = verify(&rows);
        assert_eq!(v.first_broken.unwrap().seq, 3);
    }

    #[test]
    fn deleted_row_is_found() {
        let mut rows = chain(5);
        rows.remove(1);
        let v = verify(&rows);
        assert_eq!(v.first_broken.unwrap().seq, 3);
    }

    #[test]
    fn rehashed_row_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[1].detail = "{}".into();
        rows[1].hash = rows[1].computed_hash();
        let v = verify(&rows);
        assert_eq!(v.first_broken.unwrap().seq, 3);
    }
}
