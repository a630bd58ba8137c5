//! The office's data folder (`--dir`, default `./tsunagu-office`):
//!
//! ```text
//! office.json    hub URL, my office, this device (no secrets)
//! device.token   the hub bearer token (0600)
//! device.key     the device's secret keys, age scrypt passphrase-protected (0600)
//! desk.sqlite    pinned keys, partners, sent and received units, receipts (WAL)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tsunagu_seal::{DeviceSecretKeys, SecretString};
use tsunagu_standard::OfficeId;

use crate::atomic;
use crate::error::{DeskError, Result};

pub const DEFAULT_DIR: &str = "./tsunagu-office";
const CONFIG_FILE: &str = "office.json";
const TOKEN_FILE: &str = "device.token";
const KEY_FILE: &str = "device.key";
const DB_FILE: &str = "desk.sqlite";

/// What `office.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeConfig {
    /// Base URL of the hub, without a trailing slash.
    pub hub_url: String,
    pub office_id: OfficeId,
    pub office_name: String,
    pub municipality_code: String,
    pub device_id: String,
    pub device_name: String,
    pub key_id: String,
    /// Short fingerprint of this device's keys.
    pub fingerprint: String,
    /// Unix seconds.
    pub registered_at: i64,
}

/// A data folder, initialized or not.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    pub fn token_path(&self) -> PathBuf {
        self.root.join(TOKEN_FILE)
    }

    pub fn key_path(&self) -> PathBuf {
        self.root.join(KEY_FILE)
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    pub fn is_initialized(&self) -> bool {
        self.config_path().exists()
    }

    pub fn read_config(&self) -> Result<OfficeConfig> {
        let path = self.config_path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DeskError::NotInitialized {
                    dir: self.root.clone(),
                });
            }
            Err(e) => return Err(DeskError::io("読み込み", path, e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| DeskError::ConfigMalformed {
            path,
            detail: e.to_string(),
        })
    }

    pub fn write_config(&self, config: &OfficeConfig) -> Result<()> {
        let mut json =
            serde_json::to_vec_pretty(config).map_err(|e| DeskError::ConfigMalformed {
                path: self.config_path(),
                detail: e.to_string(),
            })?;
        json.push(b'\n');
        atomic::write(&self.config_path(), &json)
    }

    pub fn read_token(&self) -> Result<String> {
        let path = self.token_path();
        let text =
            std::fs::read_to_string(&path).map_err(|e| DeskError::io("読み込み", &path, e))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(DeskError::ConfigMalformed {
                path,
                detail: "空です".into(),
            });
        }
        Ok(token)
    }

    pub fn write_token(&self, token: &str) -> Result<()> {
        atomic::write_private(&self.token_path(), format!("{token}\n").as_bytes())
    }

    pub fn write_key_file(&self, protected: &[u8]) -> Result<()> {
        atomic::write_private(&self.key_path(), protected)
    }

    /// Opens the key file with the passphrase.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<DeviceSecretKeys> {
        let path = self.key_path();
        let bytes = std::fs::read(&path).map_err(|e| DeskError::io("読み込み", &path, e))?;
        Ok(DeviceSecretKeys::from_protected_bytes(&bytes, passphrase)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_missing_is_not_initialized() {
        let dir = tempfile::tempdir().unwrap();
        let d = DataDir::new(dir.path().join("office"));
        assert!(!d.is_initialized());
        assert_eq!(d.read_config().unwrap_err().code(), "E-DESK-001");
        let c = OfficeConfig {
            hub_url: "http://127.0.0.1:8740".into(),
            office_id: OfficeId::parse("3100000001_43").unwrap(),
            office_name: "居宅A".into(),
            municipality_code: "312029".into(),
            device_id: "dev_1".into(),
            device_name: "事務所PC".into(),
            key_id: "00".into(),
            fingerprint: "AAAA".into(),
            registered_at: 1,
        };
        d.write_config(&c).unwrap();
        assert!(d.is_initialized());
        assert_eq!(d.read_config().unwrap(), c);
        std::fs::write(d.config_path(), b"{").unwrap();
        assert_eq!(d.read_config().unwrap_err().code(), "E-DESK-004");
    }
}
