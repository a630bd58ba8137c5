//! Pinning office keys, like SSH `known_hosts`: the first keys seen for an office are trusted
//! and remembered; afterwards any key the hub directory shows that is not pinned is refused until
//! a person confirms its fingerprint (`tsunagu partners trust OFFICE FINGERPRINT`). This is what
//! stops a hub from swapping keys: it can hide devices, never add one unnoticed.

use tsunagu_protocol::{DirectoryEntry, KeyDirectory};
use tsunagu_seal::DevicePublicKeys;
use tsunagu_standard::OfficeId;

use crate::error::{DeskError, Result};
use crate::store::{PinHow, PinnedKey, Store};

/// What comparing the directory with the pinned keys found.
#[derive(Debug, Clone)]
pub enum PinCheck {
    /// Nothing pinned yet for this office: trust these on first use.
    FirstUse(Vec<DirectoryEntry>),
    /// Every active device is pinned: seal to these.
    Trusted(Vec<DevicePublicKeys>),
    /// The directory shows keys that are not pinned (short fingerprints, device names).
    Changed(Vec<(String, String)>),
    /// The office has no active device.
    Empty,
}

/// Compares an office's directory entries with its pinned keys (pure).
pub fn compare(pinned: &[PinnedKey], directory: &[DirectoryEntry]) -> PinCheck {
    if directory.is_empty() {
        return PinCheck::Empty;
    }
    if pinned.is_empty() {
        return PinCheck::FirstUse(directory.to_vec());
    }
    let unknown: Vec<(String, String)> = directory
        .iter()
        .filter(|d| !pinned.iter().any(|p| p.keys == d.keys))
        .map(|d| (d.keys.fingerprint().short(), d.name.clone()))
        .collect();
    if unknown.is_empty() {
        PinCheck::Trusted(directory.iter().map(|d| d.keys.clone()).collect())
    } else {
        PinCheck::Changed(unknown)
    }
}

fn pinned_from_entry(office_id: OfficeId, d: &DirectoryEntry, how: PinHow, now: i64) -> PinnedKey {
    PinnedKey {
        office_id,
        keys: d.keys.clone(),
        // Computed here, never taken from the hub's `fingerprint` field.
        fingerprint: d.keys.fingerprint().short(),
        device_id: d.device_id.clone(),
        device_name: d.name.clone(),
        how,
        pinned_at: now,
    }
}

/// The keys to seal to for `office`, pinning them on first use. Errors when a key changed.
pub async fn trusted_directory_keys(
    store: &Store,
    directory: &KeyDirectory,
    now: i64,
) -> Result<Vec<DevicePublicKeys>> {
    let office_id = directory.office.office_id;
    let pinned = store.pinned(&office_id).await?;
    match compare(&pinned, &directory.devices) {
        PinCheck::Empty => Err(DeskError::NoDevices(office_id.to_string())),
        PinCheck::Trusted(keys) => Ok(keys),
        PinCheck::FirstUse(entries) => {
            let pins: Vec<PinnedKey> = entries
                .iter()
                .map(|d| pinned_from_entry(office_id, d, PinHow::FirstUse, now))
                .collect();
            store.pin(&pins).await?;
            tracing::info!(office = %office_id, keys = pins.len(), "pinned office keys on first use");
            Ok(entries.into_iter().map(|d| d.keys).collect())
        }
        PinCheck::Changed(unknown) => Err(DeskError::KeyChanged {
            office: office_id.to_string(),
            new: unknown
                .iter()
                .map(|(fp, name)| format!("{fp}（{name}）"))
                .collect::<Vec<_>>()
                .join("、"),
        }),
    }
}

/// Pins the directory entry whose fingerprint a person typed. Returns the pinned key.
pub async fn confirm(
    store: &Store,
    directory: &KeyDirectory,
    typed_fingerprint: &str,
    now: i64,
) -> Result<PinnedKey> {
    let office_id = directory.office.office_id;
    let entry = directory
        .devices
        .iter()
        .find(|d| d.keys.fingerprint().matches(typed_fingerprint))
        .ok_or_else(|| DeskError::FingerprintNotFound {
            office: office_id.to_string(),
            fingerprint: typed_fingerprint.trim().to_string(),
        })?;
    let pin = pinned_from_entry(office_id, entry, PinHow::Confirmed, now);
    store.pin(std::slice::from_ref(&pin)).await?;
    tracing::info!(office = %office_id, key_id = pin.keys.key_id(), "key confirmed by a person");
    Ok(pin)
}

/// The pinned keys of an office, for verifying its signatures (all ever pinned: old receipts
/// stay verifiable after a device is retired).
pub async fn verification_keys(
    store: &Store,
    office_id: &OfficeId,
) -> Result<Vec<DevicePublicKeys>> {
    Ok(store
        .pinned(office_id)
        .await?
        .into_iter()
        .map(|p| p.keys)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use tsunagu_protocol::OfficeInfo;
    use tsunagu_seal::DeviceSecretKeys;

    fn office() -> OfficeId {
        OfficeId::parse("3100000101_11").unwrap()
    }

    fn entry(name: &str) -> DirectoryEntry {
        let k = DeviceSecretKeys::generate(datetime!(2025-04-01 09:00:00 +09:00)).unwrap();
        DirectoryEntry {
            device_id: format!("dev_{name}"),
            name: name.into(),
            fingerprint: k.public().fingerprint().short(),
            keys: k.public().clone(),
            registered_at: datetime!(2025-04-01 09:00:00 UTC),
        }
    }

    fn dir(devices: Vec<DirectoryEntry>) -> KeyDirectory {
        KeyDirectory {
            office: OfficeInfo {
                office_id: office(),
                name: "訪問介護B".into(),
                municipality_code: "312029".into(),
            },
            devices,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn compare_is_first_use_then_trusted_then_changed() {
        let a = entry("PC1");
        let b = entry("PC2");
        assert!(matches!(compare(&[], &[]), PinCheck::Empty));
        assert!(
            matches!(compare(&[], std::slice::from_ref(&a)), PinCheck::FirstUse(v) if v.len() == 1)
        );
        let pinned = vec![pinned_from_entry(office(), &a, PinHow::FirstUse, 1)];
        assert!(
            matches!(compare(&pinned, std::slice::from_ref(&a)), PinCheck::Trusted(k) if k == vec![a.keys.clone()])
        );
        // A new device (or a swapped key) is not trusted silently.
        match compare(&pinned, &[a.clone(), b.clone()]) {
            PinCheck::Changed(v) => {
                assert_eq!(v, vec![(b.keys.fingerprint().short(), "PC2".into())])
            }
            other => panic!("{other:?}"),
        }
        // A device that disappeared (revoked) just is not sealed to.
        let pinned2 = vec![
            pinned_from_entry(office(), &a, PinHow::FirstUse, 1),
            pinned_from_entry(office(), &b, PinHow::Confirmed, 2),
        ];
        assert!(
            matches!(compare(&pinned2, std::slice::from_ref(&b)), PinCheck::Trusted(k) if k == vec![b.keys.clone()])
        );
    }

    #[test]
    fn the_hubs_fingerprint_field_is_not_trusted() {
        // A directory entry whose advertised fingerprint matches the pinned one but whose keys
        // differ must still count as changed.
        let a = entry("PC1");
        let mut swapped = entry("PC1");
        swapped.fingerprint = a.fingerprint.clone();
        swapped.device_id = a.device_id.clone();
        let pinned = vec![pinned_from_entry(office(), &a, PinHow::FirstUse, 1)];
        assert!(matches!(compare(&pinned, &[swapped]), PinCheck::Changed(_)));
    }

    #[test]
    fn store_pins_on_first_use_refuses_change_until_confirmed() {
        rt().block_on(async {
            let store = Store::in_memory().await.unwrap();
            let a = entry("PC1");
            let keys = trusted_directory_keys(&store, &dir(vec![a.clone()]), 10)
                .await
                .unwrap();
            assert_eq!(keys, vec![a.keys.clone()]);
            let pinned = store.pinned(&office()).await.unwrap();
            assert_eq!(pinned.len(), 1);
            assert_eq!(pinned[0].how, PinHow::FirstUse);

            let evil = entry("PC1");
            let e = trusted_directory_keys(&store, &dir(vec![evil.clone()]), 11)
                .await
                .unwrap_err();
            assert_eq!(e.code(), "E-DESK-030");
            assert!(e.to_string().contains(&evil.keys.fingerprint().short()));
            // Still refused on the next try: nothing was pinned by the refusal.
            assert!(
                trusted_directory_keys(&store, &dir(vec![evil.clone()]), 12)
                    .await
                    .is_err()
            );

            // A wrong fingerprint is not pinned.
            let e = confirm(
                &store,
                &dir(vec![evil.clone()]),
                &a.keys.fingerprint().short(),
                13,
            )
            .await
            .unwrap_err();
            assert_eq!(e.code(), "E-DESK-031");
            // The right one (typed in lower case with spaces) is.
            let typed = evil
                .keys
                .fingerprint()
                .short()
                .to_lowercase()
                .replace('-', " ");
            let pin = confirm(&store, &dir(vec![evil.clone()]), &typed, 14)
                .await
                .unwrap();
            assert_eq!(pin.how, PinHow::Confirmed);
            let keys = trusted_directory_keys(&store, &dir(vec![evil.clone()]), 15)
                .await
                .unwrap();
            assert_eq!(keys, vec![evil.keys.clone()]);
            // Both keys stay available to verify old signatures.
            assert_eq!(verification_keys(&store, &office()).await.unwrap().len(), 2);
        });
    }
}
