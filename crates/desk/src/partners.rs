//! Partner offices: the offices seen in my files and units, whether they are on the hub, and
//! the fingerprints pinned for them; confirming a new key.

use std::collections::BTreeMap;

use tsunagu_standard::OfficeId;

use crate::error::{DeskError, Result};
use crate::pins::{self, PinCheck};
use crate::store::PinnedKey;
use crate::{Desk, now_unix};

#[derive(Debug, Clone)]
pub struct PartnerView {
    pub office_id: OfficeId,
    pub name: Option<String>,
    /// Some(true) on the hub, Some(false) not registered, None not known (hub not asked).
    pub on_hub: Option<bool>,
    pub pinned: Vec<PinnedKey>,
    /// Directory keys not pinned (short fingerprint, device name): waiting for a person.
    pub unconfirmed: Vec<(String, String)>,
    pub sent_units: usize,
    pub received_units: usize,
    /// This office itself (its other devices are pinned the same way).
    pub is_self: bool,
}

/// Every office I exchange with (and my own), asking the hub about each when `ask_hub`.
pub async fn list(desk: &Desk, ask_hub: bool) -> Result<(Vec<PartnerView>, Option<DeskError>)> {
    let mut offices: BTreeMap<OfficeId, PartnerView> = BTreeMap::new();
    let blank = |office_id: OfficeId, is_self: bool| PartnerView {
        office_id,
        name: None,
        on_hub: None,
        pinned: Vec::new(),
        unconfirmed: Vec::new(),
        sent_units: 0,
        received_units: 0,
        is_self,
    };
    let me = desk.config.office_id;
    offices.insert(me, {
        let mut v = blank(me, true);
        v.name = Some(desk.config.office_name.clone());
        v
    });
    for p in desk.store.partners().await? {
        let v = offices
            .entry(p.office_id)
            .or_insert_with(|| blank(p.office_id, p.office_id == me));
        v.name = p.name.or(v.name.take());
        v.on_hub = p.on_hub;
    }
    for k in desk.store.all_pinned().await? {
        offices
            .entry(k.office_id)
            .or_insert_with(|| blank(k.office_id, k.office_id == me))
            .pinned
            .push(k);
    }
    for u in desk.store.sent_units().await? {
        offices
            .entry(u.recipient)
            .or_insert_with(|| blank(u.recipient, false))
            .sent_units += 1;
    }
    for u in desk.store.received_units().await? {
        offices
            .entry(u.sender)
            .or_insert_with(|| blank(u.sender, false))
            .received_units += 1;
    }
    let mut hub_error = None;
    if ask_hub {
        let now = now_unix();
        for v in offices.values_mut() {
            match desk.client.office_keys(&v.office_id).await {
                Ok(Some(directory)) => {
                    v.on_hub = Some(true);
                    v.name = Some(directory.office.name.clone());
                    if !v.is_self {
                        desk.store
                            .set_partner_on_hub(
                                &v.office_id,
                                true,
                                Some(&directory.office.name),
                                now,
                            )
                            .await?;
                    }
                    if let PinCheck::Changed(unknown) = pins::compare(&v.pinned, &directory.devices)
                    {
                        v.unconfirmed = unknown;
                    }
                }
                Ok(None) => {
                    v.on_hub = Some(false);
                    if !v.is_self {
                        desk.store
                            .set_partner_on_hub(&v.office_id, false, None, now)
                            .await?;
                    }
                }
                Err(e @ DeskError::Database(_)) => return Err(e),
                Err(e) => {
                    hub_error = Some(e);
                    break;
                }
            }
        }
    }
    Ok((offices.into_values().collect(), hub_error))
}

/// Pins the key with this fingerprint from the office's current directory entry.
pub async fn trust(desk: &Desk, office: &OfficeId, fingerprint: &str) -> Result<PinnedKey> {
    let directory = desk
        .client
        .office_keys(office)
        .await?
        .ok_or_else(|| DeskError::OfficeNotOnHub(office.to_string()))?;
    let now = now_unix();
    let pin = pins::confirm(&desk.store, &directory, fingerprint, now).await?;
    if *office != desk.config.office_id {
        desk.store
            .set_partner_on_hub(office, true, Some(&directory.office.name), now)
            .await?;
    }
    Ok(pin)
}
