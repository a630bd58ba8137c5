//! Where my units stand: the outbox refreshed from the hub (status and signed receipts, each
//! verified against the recipient office's pinned keys) and the units I received.

use std::collections::HashSet;

use tsunagu_seal::{ReceiptStatus, RoutingMetadata, SignedReceipt};
use tsunagu_standard::OfficeId;

use crate::error::{DeskError, Result};
use crate::store::{ReceivedUnit, SentUnit, Store, StoredReceipt};
use crate::{Desk, now_unix, pins};

/// Whether a stored receipt's signature verifies against the pinned keys of the office that
/// issued it (and names the envelope it is stored for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Verified; the short fingerprint of the signing device.
    Valid { fingerprint: String },
    /// Signed by a key this desk has not pinned for that office.
    UnknownKey,
    /// The signature or the content does not verify (the E-SEAL code).
    Invalid { code: &'static str },
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verification::Valid { .. })
    }

    pub fn label_ja(&self) -> String {
        match self {
            Verification::Valid { fingerprint } => format!("署名検証済（端末 {fingerprint}）"),
            Verification::UnknownKey => "未確認の鍵による署名".to_string(),
            Verification::Invalid { code } => format!("署名不正（{code}）"),
        }
    }
}

/// Verifies a receipt with the pinned keys of its recipient office, against `routing` if known.
pub async fn verify_receipt(
    store: &Store,
    signed: &SignedReceipt,
    routing: Option<&RoutingMetadata>,
) -> Result<Verification> {
    let keys = pins::verification_keys(store, &signed.receipt.recipient).await?;
    let outcome = match routing {
        Some(r) => signed.verify_for(r, &keys).map(|_| ()),
        None => signed.verify(&keys).map(|_| ()),
    };
    Ok(match outcome {
        Ok(()) => {
            let fingerprint = keys
                .iter()
                .find(|k| k.key_id() == signed.receipt.by_key_id)
                .map(|k| k.fingerprint().short())
                .unwrap_or_default();
            Verification::Valid { fingerprint }
        }
        Err(tsunagu_seal::Error::ReceiptUnknownKey { .. }) => Verification::UnknownKey,
        Err(e) => Verification::Invalid { code: e.code() },
    })
}

/// A receipt as shown: what it says and whether it verifies.
#[derive(Debug, Clone)]
pub struct ShownReceipt {
    pub receipt: StoredReceipt,
    pub verification: Verification,
}

impl ShownReceipt {
    pub fn status_label(&self) -> &'static str {
        match self.receipt.signed.receipt.status {
            ReceiptStatus::Received => "受信済",
            ReceiptStatus::Imported => "取込済",
            ReceiptStatus::Rejected { .. } => "差戻し",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub unit: SentUnit,
    pub receipts: Vec<ShownReceipt>,
}

#[derive(Debug, Clone)]
pub struct InboxRow {
    pub unit: ReceivedUnit,
    pub receipts: Vec<ShownReceipt>,
}

#[derive(Debug)]
pub struct StatusView {
    pub office: OfficeId,
    pub outbox: Vec<OutboxRow>,
    pub inbox: Vec<InboxRow>,
    /// Envelopes waiting on the hub for this office (not yet received), when the hub answered.
    pub waiting_on_hub: Option<usize>,
    /// Why the hub could not be asked (local state shown instead).
    pub hub_error: Option<DeskError>,
}

/// Updates sent units' status and receipts from the hub, and uploads again the stored envelope
/// of units the hub no longer knows (restored from a backup; see [`crate::recover`]). Returns
/// how many units changed status; re-uploads are recorded on the units (`hub_resent_at`,
/// `hub_resends`).
pub async fn refresh(desk: &Desk) -> Result<usize> {
    let outbox = desk.client.outbox().await?;
    let local = desk.store.sent_units().await?;
    let mut changed = 0;
    let now = now_unix();
    let mut listed = HashSet::new();
    for item in outbox {
        let r = &item.routing;
        listed.insert((r.sender, r.recipient, r.unit_id.as_str().to_string()));
        let Some(unit) = local.iter().find(|u| {
            u.recipient == r.recipient && u.unit_id == r.unit_id.as_str() && u.sender == r.sender
        }) else {
            // Sent by another device of this office: its own desk keeps its record.
            continue;
        };
        let next = desk
            .store
            .update_sent_status(
                unit,
                item.status,
                &item.envelope_id,
                item.rejection_reason.as_deref(),
                now,
            )
            .await?;
        if next != unit.status {
            changed += 1;
        }
        let have = desk.store.receipts_for(&item.envelope_id).await?.len();
        let expected = usize::from(item.received_at.is_some())
            + usize::from(item.imported_at.is_some() || item.rejected_at.is_some());
        if have < expected {
            let detail = desk.client.envelope(&item.envelope_id).await?;
            for r in detail.receipts {
                desk.store
                    .add_receipt(crate::store::Direction::In, &item.envelope_id, &r.receipt)
                    .await?;
            }
        }
    }
    crate::recover::resend_lost(desk, &listed, now).await?;
    Ok(changed)
}

async fn shown(
    store: &Store,
    envelope_id: Option<&str>,
    routing: Option<&RoutingMetadata>,
) -> Result<Vec<ShownReceipt>> {
    let Some(id) = envelope_id else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for receipt in store.receipts_for(id).await? {
        let verification = verify_receipt(store, &receipt.signed, routing).await?;
        out.push(ShownReceipt {
            receipt,
            verification,
        });
    }
    Ok(out)
}

/// Builds the view from the local store, after refreshing from the hub when `refresh_hub`.
pub async fn status(desk: &Desk, refresh_hub: bool) -> Result<StatusView> {
    let mut hub_error = None;
    let mut waiting_on_hub = None;
    if refresh_hub {
        match refresh(desk).await {
            Ok(_) => match desk.client.inbox().await {
                Ok(items) => waiting_on_hub = Some(items.len()),
                Err(e) => hub_error = Some(e),
            },
            Err(e @ DeskError::Database(_)) => return Err(e),
            Err(e) => hub_error = Some(e),
        }
    }
    let mut outbox = Vec::new();
    for unit in desk.store.sent_units().await? {
        let routing = RoutingMetadata::from_json_bytes(unit.routing_json.as_bytes()).ok();
        let receipts = shown(&desk.store, unit.envelope_id.as_deref(), routing.as_ref()).await?;
        outbox.push(OutboxRow { unit, receipts });
    }
    let mut inbox = Vec::new();
    for unit in desk.store.received_units().await? {
        let receipts = shown(&desk.store, Some(&unit.envelope_id), None).await?;
        inbox.push(InboxRow { unit, receipts });
    }
    Ok(StatusView {
        office: desk.config.office_id,
        outbox,
        inbox,
        waiting_on_hub,
        hub_error,
    })
}
