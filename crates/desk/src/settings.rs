//! The desk's settings (`desk-settings.json` in the office data folder): the outbox folder the
//! care software exports into, the import folder it reads (relative paths are relative to the
//! data folder), and whether partner office numbers are reported to the hub.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::error::{DeskError, Result};
use crate::folder::DataDir;

const SETTINGS_FILE: &str = "desk-settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskSettings {
    /// 送信フォルダ: complete, valid send units found here are sent automatically.
    pub outbox_dir: PathBuf,
    /// 取込フォルダ: received units are written here for the care software.
    pub import_dir: PathBuf,
    /// Report partner office numbers (only the numbers) to the hub for the municipality's
    /// outreach list. On unless the office turns it off; settings saved before it existed
    /// read as on.
    #[serde(default = "report_partners_default")]
    pub report_partners: bool,
}

fn report_partners_default() -> bool {
    true
}

impl Default for DeskSettings {
    fn default() -> Self {
        Self {
            outbox_dir: PathBuf::from("outbox"),
            import_dir: PathBuf::from("import"),
            report_partners: report_partners_default(),
        }
    }
}

impl DeskSettings {
    pub fn path(dir: &DataDir) -> PathBuf {
        dir.root().join(SETTINGS_FILE)
    }

    /// The stored settings, or the defaults when none were saved yet.
    pub fn load(dir: &DataDir) -> Result<Self> {
        let path = Self::path(dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| DeskError::ConfigMalformed {
                path,
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(DeskError::io("読み込み", path, e)),
        }
    }

    pub fn save(&self, dir: &DataDir) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| DeskError::ConfigMalformed {
            path: Self::path(dir),
            detail: e.to_string(),
        })?;
        json.push(b'\n');
        atomic::write(&Self::path(dir), &json)
    }

    fn resolve(dir: &DataDir, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.root().join(p)
        }
    }

    pub fn outbox(&self, dir: &DataDir) -> PathBuf {
        Self::resolve(dir, &self.outbox_dir)
    }

    pub fn import(&self, dir: &DataDir) -> PathBuf {
        Self::resolve(dir, &self.import_dir)
    }

    /// Creates both folders (and the outbox's `sent` folder for units already sent).
    pub fn create_folders(&self, dir: &DataDir) -> Result<()> {
        for p in [
            self.outbox(dir),
            self.outbox(dir).join(crate::sync::SENT_SUBDIR),
            self.import(dir),
        ] {
            std::fs::create_dir_all(&p).map_err(|e| DeskError::io("作成", &p, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_resolve_under_the_data_folder() {
        let t = tempfile::tempdir().unwrap();
        let dir = DataDir::new(t.path());
        let s = DeskSettings::load(&dir).unwrap();
        assert_eq!(s, DeskSettings::default());
        assert_eq!(s.outbox(&dir), t.path().join("outbox"));
        let changed = DeskSettings {
            outbox_dir: t.path().join("x"),
            import_dir: PathBuf::from("y"),
            report_partners: false,
        };
        changed.save(&dir).unwrap();
        let back = DeskSettings::load(&dir).unwrap();
        assert_eq!(back, changed);
        assert_eq!(back.outbox(&dir), t.path().join("x"));
        assert_eq!(back.import(&dir), t.path().join("y"));
    }

    #[test]
    fn settings_saved_before_partner_reports_existed_report_them() {
        let t = tempfile::tempdir().unwrap();
        let dir = DataDir::new(t.path());
        std::fs::write(
            DeskSettings::path(&dir),
            br#"{"outbox_dir":"outbox","import_dir":"import"}"#,
        )
        .unwrap();
        assert!(DeskSettings::load(&dir).unwrap().report_partners);
    }
}
