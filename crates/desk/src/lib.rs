//! The office side of Tsunagu: a data folder with this device's keys and token, the hub client,
//! pinned partner keys, the send and receive pipelines, status and evidence.
//!
//! Everything user-facing is Japanese with `E-DESK-…` codes ([`DeskError`]); logs are English
//! and never contain care-plan contents (file names, counts, sizes and ids only).

pub mod atomic;
pub mod client;
pub mod diff;
mod error;
pub mod evidence;
pub mod folder;
pub mod onboard;
pub mod partner_report;
pub mod partners;
pub mod pins;
pub mod receive;
pub mod recover;
pub mod send;
pub mod settings;
pub mod status;
pub mod store;
pub mod sync;
#[cfg(test)]
mod test_desk;
pub mod unit_files;
pub mod web;

use time::{OffsetDateTime, UtcOffset};
use tsunagu_protocol::{RegisterDeviceRequest, RegisterDeviceResponse};
use tsunagu_seal::{DeviceSecretKeys, SecretString};

pub use client::HubClient;
pub use error::{DeskError, Result};
pub use folder::{DEFAULT_DIR, DataDir, OfficeConfig};
pub use store::Store;

use crate::store::{PinHow, PinnedKey};

/// Japan Standard Time: dates on screens and in the evidence are the office's dates.
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2025-04-02 08:30` in JST.
pub fn format_jst(unix: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let t = t.to_offset(JST);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => unix.to_string(),
    }
}

/// Reports progress of a pipeline; the CLI draws a bar, tests and the UI may ignore it.
pub trait Progress: Send + Sync {
    /// A pipeline step over `total` items begins.
    fn start(&self, total: u64, what: &str);
    /// One item done.
    fn tick(&self, label: &str);
    /// A line for the person (printed above the bar).
    fn println(&self, line: &str);
    fn finish(&self);
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64, _: &str) {}
    fn tick(&self, _: &str) {}
    fn println(&self, _: &str) {}
    fn finish(&self) {}
}

/// An initialized data folder, opened: config, local store and a client with the device token.
#[derive(Debug, Clone)]
pub struct Desk {
    pub dir: DataDir,
    pub config: OfficeConfig,
    pub store: Store,
    pub client: HubClient,
}

impl Desk {
    pub async fn open(dir: DataDir) -> Result<Desk> {
        let config = dir.read_config()?;
        let token = dir.read_token()?;
        let store = Store::open(&dir.db_path()).await?;
        let client = HubClient::new(&config.hub_url, Some(token))?;
        Ok(Desk {
            dir,
            config,
            store,
            client,
        })
    }

    /// Opens this device's key file.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<DeviceSecretKeys> {
        let keys = self.dir.unlock(passphrase)?;
        if keys.key_id() != self.config.key_id {
            return Err(DeskError::ConfigMalformed {
                path: self.dir.key_path(),
                detail: "鍵ファイルがこの端末の登録と一致しません".into(),
            });
        }
        Ok(keys)
    }
}

/// What `office init` needs.
pub struct InitOptions {
    pub hub_url: String,
    pub invite_code: String,
    pub device_name: String,
    pub passphrase: SecretString,
    /// scrypt work factor (log2) for the key file; `None` is the seal crate's default.
    pub key_work_factor: Option<u8>,
}

/// A device just registered: the opened desk, the hub's answer and the unlocked keys.
pub struct Onboarded {
    pub desk: Desk,
    pub answer: RegisterDeviceResponse,
    pub keys: DeviceSecretKeys,
}

/// Generates this device's keys, registers the public half with the hub and writes the data
/// folder. The secret keys never leave the folder (passphrase-protected).
pub async fn init(dir: DataDir, opts: InitOptions) -> Result<(Desk, RegisterDeviceResponse)> {
    let o = init_unlocked(dir, opts).await?;
    Ok((o.desk, o.answer))
}

/// [`init`], keeping the new secret keys in memory so that a desk can start syncing at once
/// without asking for the passphrase again (the desk's setup page).
pub async fn init_unlocked(dir: DataDir, opts: InitOptions) -> Result<Onboarded> {
    if let Ok(existing) = dir.read_config() {
        return Err(DeskError::AlreadyInitialized {
            dir: dir.root().to_path_buf(),
            office: existing.office_id.to_string(),
        });
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::now_utc());
    let keys = DeviceSecretKeys::generate(now)?;
    let protected = match opts.key_work_factor {
        Some(f) => keys.to_protected_bytes_with_work_factor(&opts.passphrase, f)?,
        None => keys.to_protected_bytes(&opts.passphrase)?,
    };
    let anonymous = HubClient::new(&opts.hub_url, None)?;
    // The key file is written first: whatever happens after registration, the key survives.
    dir.write_key_file(&protected)?;
    let answer = anonymous
        .register(&RegisterDeviceRequest {
            invite_code: opts.invite_code.trim().to_string(),
            device_name: opts.device_name.trim().to_string(),
            keys: keys.public().clone(),
        })
        .await?;
    dir.write_token(&answer.token)?;
    let store = Store::open(&dir.db_path()).await?;
    let client = HubClient::new(&opts.hub_url, Some(answer.token.clone()))?;
    let office_id = answer.office.office_id;
    let registered_at = now.unix_timestamp();
    let mut pins = vec![PinnedKey {
        office_id,
        keys: keys.public().clone(),
        fingerprint: keys.public().fingerprint().short(),
        device_id: answer.device_id.clone(),
        device_name: opts.device_name.trim().to_string(),
        how: PinHow::Own,
        pinned_at: registered_at,
    }];
    // The office's other devices, as the hub shows them now (trusted on first use, like the
    // first contact with a partner).
    if let Some(directory) = client.office_keys(&office_id).await? {
        for d in directory.devices {
            if d.keys != *keys.public() {
                pins.push(PinnedKey {
                    office_id,
                    fingerprint: d.keys.fingerprint().short(),
                    keys: d.keys,
                    device_id: d.device_id,
                    device_name: d.name,
                    how: PinHow::FirstUse,
                    pinned_at: registered_at,
                });
            }
        }
    }
    store.pin(&pins).await?;
    let config = OfficeConfig {
        hub_url: client.base_url().to_string(),
        office_id,
        office_name: answer.office.name.clone(),
        municipality_code: answer.office.municipality_code.clone(),
        device_id: answer.device_id.clone(),
        device_name: opts.device_name.trim().to_string(),
        key_id: keys.key_id().to_string(),
        fingerprint: keys.public().fingerprint().short(),
        registered_at,
    };
    // Written last: its presence means "initialized".
    dir.write_config(&config)?;
    tracing::info!(office = %office_id, device_id = %answer.device_id, "device registered");
    Ok(Onboarded {
        desk: Desk {
            dir,
            config,
            store,
            client,
        },
        answer,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_formatting() {
        // 2025-04-01T00:30:00Z is 09:30 in Japan.
        assert_eq!(format_jst(1_743_467_400), "2025-04-01 09:30");
    }
}
