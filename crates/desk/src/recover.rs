//! Sent units the hub no longer knows. When a hub is restored from a backup, every envelope it
//! accepted after that backup is gone from it, while the sending desk holds the hub's
//! acknowledgement and would wait forever for receipts that cannot come. On each status refresh
//! the desk therefore looks for its uploaded units that are missing from the hub's outbox
//! listing, confirms each with the hub (GET of its envelope answers 404), and uploads the
//! envelope it stored before the first upload again — the same bytes, so the hub's idempotency
//! (sender, recipient, unit id) and the recipient's replay protection still hold, and a recipient
//! that imported the unit before the restore only posts its receipts again.
//!
//! Never for: a unit whose final receipt (取込済/差戻し) this desk holds (it is done, even if the
//! hub lost its record); a unit the hub expired (期限切れ: its ciphertext was deleted by
//! retention, the hub kept the metadata — a stale unit must not arrive months late); a unit the
//! hub still lists in any state, ciphertext deleted or not; a unit never acknowledged (the
//! outbox retry sends it). At most one attempt per unit per [`RESEND_GAP_SECS`], recorded in
//! the store so a restart does not reset it.

use std::collections::HashSet;

use tsunagu_protocol::{EnvelopeStatus, ErrorCode};
use tsunagu_seal::RoutingMetadata;
use tsunagu_standard::OfficeId;

use crate::Desk;
use crate::error::{DeskError, Result};
use crate::store::{SentStatus, SentUnit};

/// The shortest time between two re-uploads of one unit: a hub that keeps forgetting (or a
/// proxy that sends the desk to the wrong hub) must not turn the sync into an upload loop.
pub const RESEND_GAP_SECS: i64 = 3600;

/// What the hub says about one of my uploaded units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnHub {
    /// In my outbox listing (under any envelope id), whatever the state of its ciphertext.
    Listed,
    /// Not listed, but its envelope answers (a listing taken mid-change): the hub has it.
    Known,
    /// Not listed, and its envelope answers 404: the hub does not know it.
    Unknown,
}

/// What to do with one sent unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Upload the stored envelope again.
    Resend,
    /// The hub has it: nothing to do.
    OnHub,
    /// Not acknowledged by the hub yet: the outbox retry uploads it, not this.
    NotUploaded,
    /// This desk holds the final receipt: done, even if the hub lost its record.
    Final,
    /// The hub deleted its ciphertext unacknowledged (期限切れ): a person decides.
    Expired,
    /// Tried less than [`RESEND_GAP_SECS`] ago; the next attempt is allowed at `next_at`.
    TooSoon { next_at: i64 },
}

/// The decision for one unit. `has_final_receipt`: a 取込済/差戻し receipt is stored for it.
/// Pure, so every case is tested without a hub.
pub fn decide(unit: &SentUnit, has_final_receipt: bool, on_hub: OnHub, now: i64) -> Decision {
    if !unit.status.is_uploaded() || unit.envelope_id.is_none() {
        return Decision::NotUploaded;
    }
    match unit.status {
        SentStatus::Hub(EnvelopeStatus::Imported | EnvelopeStatus::Rejected) => {
            return Decision::Final;
        }
        _ if has_final_receipt => return Decision::Final,
        SentStatus::Hub(EnvelopeStatus::Expired) => return Decision::Expired,
        _ => {}
    }
    if on_hub != OnHub::Unknown {
        return Decision::OnHub;
    }
    if let Some(at) = unit.hub_resent_at {
        let next_at = at.saturating_add(RESEND_GAP_SECS);
        if now < next_at {
            return Decision::TooSoon { next_at };
        }
    }
    Decision::Resend
}

/// What happened to one unit the hub did not list.
#[derive(Debug)]
pub enum Outcome {
    /// Uploaded again; the hub stored it under `envelope_id` (`created` false: it already had
    /// these bytes again, e.g. another sync was first).
    Resent { envelope_id: String, created: bool },
    /// The hub refused the upload (e.g. the recipient office is not on the restored hub);
    /// tried again after [`RESEND_GAP_SECS`].
    Refused(DeskError),
}

/// One unit looked at.
#[derive(Debug)]
pub struct Lost {
    pub recipient: OfficeId,
    pub unit_id: String,
    /// The envelope id the hub no longer knows.
    pub lost_envelope_id: String,
    pub outcome: Outcome,
}

fn is_trouble(e: &DeskError) -> bool {
    match e {
        DeskError::HubUnreachable { .. } | DeskError::HubResponse(_) => true,
        // 5xx, timeouts, rate limits, this device unknown: nothing about the unit was decided.
        DeskError::Hub { code, .. } => {
            code.http_status() >= 500 || matches!(code.http_status(), 401 | 408 | 429)
        }
        _ => false,
    }
}

/// Looks at my uploaded units that are not in `listed` (sender, recipient, unit id from the
/// hub's outbox) and uploads again the ones the hub does not know. Units the hub turns out to
/// know are left for the next refresh. Hub trouble stops the pass (Err; the claim of the unit in
/// hand is given back); a refusal is recorded on the unit and reported in the result.
pub async fn resend_lost(
    desk: &Desk,
    listed: &HashSet<(OfficeId, OfficeId, String)>,
    now: i64,
) -> Result<Vec<Lost>> {
    let mut out = Vec::new();
    let mut final_but_lost = 0usize;
    for unit in desk.store.sent_units().await? {
        let key = (unit.sender, unit.recipient, unit.unit_id.clone());
        if listed.contains(&key) || !unit.status.is_uploaded() {
            continue;
        }
        // Local reasons first, the stored receipts next (a query, so only for candidates):
        // the hub is asked only about units that would be re-sent.
        match decide(&unit, false, OnHub::Unknown, now) {
            Decision::Resend => {}
            Decision::Final => {
                final_but_lost += 1;
                continue;
            }
            _ => continue,
        }
        let has_final = desk
            .store
            .has_final_receipt_in(&unit.sender, &unit.recipient, &unit.unit_id)
            .await?;
        if decide(&unit, has_final, OnHub::Unknown, now) != Decision::Resend {
            final_but_lost += 1;
            continue;
        }
        let Some(lost_id) = unit.envelope_id.clone() else {
            continue;
        };
        match desk.client.envelope(&lost_id).await {
            // The hub has it after all (the listing was taken before it changed): the next
            // refresh reads its status.
            Ok(_) => continue,
            Err(DeskError::Hub {
                code: ErrorCode::NotFound,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
        if !desk
            .store
            .claim_hub_resend(&unit, now, now - RESEND_GAP_SECS)
            .await?
        {
            continue;
        }
        let outcome = match upload_stored(desk, &unit).await {
            Ok((envelope_id, created)) => {
                desk.store
                    .mark_hub_resent(&unit, &lost_id, &envelope_id)
                    .await?;
                tracing::warn!(
                    recipient = %unit.recipient,
                    unit = %unit.unit_id,
                    lost_envelope_id = %lost_id,
                    envelope_id = %envelope_id,
                    created,
                    "sent unit unknown to the hub (restored from a backup?); stored envelope uploaded again"
                );
                Outcome::Resent {
                    envelope_id,
                    created,
                }
            }
            Err(e @ DeskError::Database(_)) => return Err(e),
            Err(e) if is_trouble(&e) => {
                desk.store
                    .release_hub_resend(&unit, unit.hub_resent_at)
                    .await?;
                return Err(e);
            }
            Err(e) => {
                desk.store
                    .mark_upload_failed(
                        &unit.sender,
                        &unit.recipient,
                        &unit.unit_id,
                        &e.to_string(),
                    )
                    .await?;
                tracing::warn!(
                    recipient = %unit.recipient,
                    unit = %unit.unit_id,
                    lost_envelope_id = %lost_id,
                    code = e.code(),
                    "sent unit unknown to the hub; uploading it again was refused, next try in an hour"
                );
                Outcome::Refused(e)
            }
        };
        out.push(Lost {
            recipient: unit.recipient,
            unit_id: unit.unit_id.clone(),
            lost_envelope_id: lost_id,
            outcome,
        });
    }
    if final_but_lost > 0 {
        // Not an action (both desks hold the signed outcome), and true on every sync after a
        // restore: a debug line only.
        tracing::debug!(
            units = final_but_lost,
            "units with a final receipt are missing from the hub's outbox; not sent again"
        );
    }
    Ok(out)
}

/// Uploads the stored envelope (the bytes sealed before the first upload) again.
async fn upload_stored(desk: &Desk, unit: &SentUnit) -> Result<(String, bool)> {
    let stored = desk
        .store
        .sent_unit(&unit.sender, &unit.recipient, &unit.unit_id)
        .await?
        .ok_or_else(|| DeskError::Database(format!("sent unit {} vanished", unit.unit_id)))?;
    let routing = RoutingMetadata::from_json_bytes(stored.routing_json.as_bytes())?;
    let ciphertext = stored.ciphertext.unwrap_or_default();
    let answer = desk.client.send_envelope(&routing, ciphertext).await?;
    Ok((answer.envelope_id, answer.created))
}

#[cfg(test)]
pub(crate) mod tests;
