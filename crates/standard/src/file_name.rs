//! Standard file names (§3): parse case-insensitively, build canonically.
//!
//! v4: `PREFIX[_YYYYMM]_<送信元:10>_<種類:2>_<送信先:10>_<種類:2>_<YYYYMMDDHHMMSS>.CSV`
//! v3: the same without the two サービス種類コード parts.
//! Image: `UPKIHON_IMAGE_<送信元>_<種類>_<送信先>_<種類>_<連番>_<枝番:4>.jpg`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::file_kind::FileKind;
use crate::month::YearMonth;
use crate::office::{OfficeNumber, ServiceKind};

/// The month part of a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FileMonth {
    /// The kind has no month part.
    None,
    /// `000000`: a 補足 tied to 1表/2表.
    Zero,
    Month(YearMonth),
}

/// ファイル連番: the 14-digit `YYYYMMDDHHMMSS` stamp shared by the files of one send unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial([u8; 14]);

impl Serial {
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut out = [0u8; 14];
        out.copy_from_slice(b);
        Some(Self(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00000000000000")
    }

    /// True when the stamp is a real date and time (the spec only requires 14 digits).
    pub fn is_real_timestamp(&self) -> bool {
        let s = self.as_str();
        crate::month::Date::parse(&s[..8]).is_some()
            && crate::month::parse_hhmm(&s[8..12]).is_some_and(|(h, _)| h < 24)
            && s[12..].parse::<u8>().is_ok_and(|sec| sec < 60)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Serial {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Serial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("ファイル連番は14桁の数字です"))
    }
}

/// Whether a name carries サービス種類コード (v4) or not (v3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NameStyle {
    V3,
    V4,
}

/// A parsed standard file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StandardFileName {
    pub kind: FileKind,
    pub month: FileMonth,
    pub sender: OfficeNumber,
    pub sender_kind: Option<ServiceKind>,
    pub recipient: OfficeNumber,
    pub recipient_kind: Option<ServiceKind>,
    pub serial: Serial,
    /// 枝番 of a family-structure image (`0001`…).
    pub image_branch: Option<u16>,
    /// The name used 3-character service codes (software built on the 4.0 wording); the
    /// first two characters are kept as the サービス種類コード.
    pub legacy_service_code: bool,
}

/// Why a file name is not a standard file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("ファイル名の接頭辞が標準仕様のどのファイルにも当たりません")]
    UnknownPrefix,
    #[error("拡張子は .CSV（家族構成画像は .jpg）です")]
    Extension,
    #[error("ファイル名の区切り（_）の数が標準仕様と合いません")]
    Parts,
    #[error("ファイル名の年月（{0}）は YYYYMM（補足は 000000 も可）です")]
    Month(String),
    #[error("ファイル名の事業所番号（{0}）は半角数字10桁です")]
    OfficeNumber(String),
    #[error("ファイル名のサービス種類コード（{0}）は半角英数字2文字です")]
    ServiceKind(String),
    #[error("ファイル名のファイル連番（{0}）は14桁の数字 YYYYMMDDHHMMSS です")]
    Serial(String),
    #[error("家族構成画像の枝番（{0}）は4桁の数字です")]
    ImageBranch(String),
}

impl FileNameError {
    pub fn code(&self) -> &'static str {
        match self {
            FileNameError::UnknownPrefix => "E-NAME-001",
            FileNameError::Extension => "E-NAME-002",
            FileNameError::Parts => "E-NAME-003",
            FileNameError::Month(_) => "E-NAME-004",
            FileNameError::OfficeNumber(_) => "E-NAME-005",
            FileNameError::ServiceKind(_) => "E-NAME-006",
            FileNameError::Serial(_) => "E-NAME-007",
            FileNameError::ImageBranch(_) => "E-NAME-008",
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            FileNameError::UnknownPrefix => {
                "the file-name prefix is not one of the standard's".into()
            }
            FileNameError::Extension => {
                "the extension must be .CSV (.jpg for the family image)".into()
            }
            FileNameError::Parts => {
                "the number of '_' separated parts does not match the standard".into()
            }
            FileNameError::Month(s) => {
                format!("file-name month {s:?} must be YYYYMM (or 000000 for UPHOSOKU)")
            }
            FileNameError::OfficeNumber(s) => format!("office number {s:?} must be 10 digits"),
            FileNameError::ServiceKind(s) => format!("service kind {s:?} must be 2 alphanumerics"),
            FileNameError::Serial(s) => {
                format!("file serial {s:?} must be 14 digits YYYYMMDDHHMMSS")
            }
            FileNameError::ImageBranch(s) => format!("image branch {s:?} must be 4 digits"),
        }
    }
}

impl StandardFileName {
    /// Parses a bare file name (no directory), case-insensitively.
    pub fn parse(name: &str) -> Result<Self, FileNameError> {
        let upper = name.to_ascii_uppercase();
        let (stem, ext) = upper.rsplit_once('.').ok_or(FileNameError::Extension)?;
        let parts: Vec<&str> = stem.split('_').collect();
        // Longest prefix first: UPKIHON_SUB1 before UPKIHON, UPYOBO_SUB before UPYOBO.
        let (kind, body) = [2, 1]
            .into_iter()
            .filter(|n| *n <= parts.len())
            .find_map(|n| FileKind::from_prefix(&parts[..n].join("_")).map(|k| (k, &parts[n..])))
            .ok_or(FileNameError::UnknownPrefix)?;
        let is_image = kind.is_image();
        match (is_image, ext) {
            (true, "JPG" | "JPEG") | (false, "CSV") => {}
            _ => return Err(FileNameError::Extension),
        }
        let mut body: Vec<&str> = body.to_vec();
        let image_branch = if is_image {
            let b = body.pop().ok_or(FileNameError::Parts)?;
            if b.len() != 4 || !b.bytes().all(|c| c.is_ascii_digit()) {
                return Err(FileNameError::ImageBranch(b.to_string()));
            }
            Some(
                b.parse::<u16>()
                    .map_err(|_| FileNameError::ImageBranch(b.to_string()))?,
            )
        } else {
            None
        };
        let month = if kind.has_month() {
            if body.is_empty() {
                return Err(FileNameError::Parts);
            }
            let m = body.remove(0);
            if m == "000000" && kind == FileKind::UserSupplement {
                FileMonth::Zero
            } else {
                FileMonth::Month(
                    YearMonth::parse(m).ok_or_else(|| FileNameError::Month(m.to_string()))?,
                )
            }
        } else {
            FileMonth::None
        };
        let office = |s: &str| {
            OfficeNumber::parse(s).map_err(|_| FileNameError::OfficeNumber(s.to_string()))
        };
        let mut legacy_service_code = false;
        let mut service_kind = |s: &str| {
            if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(FileNameError::ServiceKind(s.to_string()));
            }
            let two = match s.len() {
                2 => s,
                3 => {
                    legacy_service_code = true;
                    &s[..2]
                }
                _ => return Err(FileNameError::ServiceKind(s.to_string())),
            };
            ServiceKind::parse(two).map_err(|_| FileNameError::ServiceKind(s.to_string()))
        };
        let (sender, sender_kind, recipient, recipient_kind, serial) = match body.as_slice() {
            [s, sk, r, rk, ts] => (
                office(s)?,
                Some(service_kind(sk)?),
                office(r)?,
                Some(service_kind(rk)?),
                *ts,
            ),
            [s, r, ts] if !is_image => (office(s)?, None, office(r)?, None, *ts),
            _ => return Err(FileNameError::Parts),
        };
        let serial =
            Serial::parse(serial).ok_or_else(|| FileNameError::Serial(serial.to_string()))?;
        Ok(Self {
            kind,
            month,
            sender,
            sender_kind,
            recipient,
            recipient_kind,
            serial,
            image_branch,
            legacy_service_code,
        })
    }

    pub fn style(&self) -> NameStyle {
        if self.sender_kind.is_some() {
            NameStyle::V4
        } else {
            NameStyle::V3
        }
    }

    /// The month in the name, if it is a real month.
    pub fn year_month(&self) -> Option<YearMonth> {
        match self.month {
            FileMonth::Month(m) => Some(m),
            _ => None,
        }
    }

    /// The send unit this file belongs to.
    pub fn unit_key(&self) -> SendUnitKey {
        SendUnitKey {
            sender: self.sender,
            sender_kind: self.sender_kind,
            recipient: self.recipient,
            recipient_kind: self.recipient_kind,
            serial: self.serial,
        }
    }

    /// The name 別表 files share with their parent: everything after the prefix.
    pub fn body(&self) -> String {
        let full = self.to_string();
        let prefix_len = self.kind.prefix().len() + 1;
        let stem = full.rsplit_once('.').map_or(full.as_str(), |(s, _)| s);
        let stem = stem.get(prefix_len..).unwrap_or_default();
        match self.image_branch {
            Some(_) => stem.rsplit_once('_').map_or(stem, |(s, _)| s).to_string(),
            None => stem.to_string(),
        }
    }
}

impl fmt::Display for StandardFileName {
    /// The canonical name: upper-case prefix, `.CSV` (`.jpg` for the image).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.prefix())?;
        match self.month {
            FileMonth::None => {}
            FileMonth::Zero => f.write_str("_000000")?,
            FileMonth::Month(m) => write!(f, "_{m}")?,
        }
        write!(f, "_{}", self.sender)?;
        if let Some(k) = self.sender_kind {
            write!(f, "_{k}")?;
        }
        write!(f, "_{}", self.recipient)?;
        if let Some(k) = self.recipient_kind {
            write!(f, "_{k}")?;
        }
        write!(f, "_{}", self.serial)?;
        match self.image_branch {
            Some(b) => write!(f, "_{b:04}.jpg"),
            None => f.write_str(".CSV"),
        }
    }
}

/// A send unit (送信単位): sender, recipient and ファイル連番.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SendUnitKey {
    pub sender: OfficeNumber,
    pub sender_kind: Option<ServiceKind>,
    pub recipient: OfficeNumber,
    pub recipient_kind: Option<ServiceKind>,
    pub serial: Serial,
}

impl fmt::Display for SendUnitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sender)?;
        if let Some(k) = self.sender_kind {
            write!(f, "_{k}")?;
        }
        write!(f, " → {}", self.recipient)?;
        if let Some(k) = self.recipient_kind {
            write!(f, "_{k}")?;
        }
        write!(f, " #{}", self.serial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> StandardFileName {
        StandardFileName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_v4_example_of_the_spec_parses_and_round_trips() {
        for name in [
            "UPHOSOKU_000000_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPHOSOKU_201909_0300000100_43_0300000005_11_20191025200201.CSV",
            "UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV",
            "DLT1KYO_0300000100_43_0300000005_11_20191025200201.CSV",
            "UP2KYO_0300000100_43_0300000005_11_20191025200201.CSV",
            "UP3KYO_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPJSK_201912_0300000005_43_0300000100_11_20191025200201.CSV",
            "DLTPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV",
            "DLTJSK_201912_0300000005_43_0300000100_11_20191025200201.CSV",
            "UPSIKYU_201912_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPKIHON_0300000100_43_0300000005_11_20191025200201.CSV",
            "DLTKIHON_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPKIHON_SUB1_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPKIHON_SUB2_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPYOBO_0300000100_43_0300000005_11_20191025200201.CSV",
            "DLTYOBO_0300000100_43_0300000005_11_20191025200201.CSV",
            "UPYOBO_SUB_0300000100_43_0300000005_11_20191025200201.CSV",
        ] {
            let n = p(name);
            assert_eq!(n.to_string(), name);
            assert_eq!(n.style(), NameStyle::V4);
            assert_eq!(n.serial.as_str(), "20191025200201");
        }
        let img = p("UPKIHON_IMAGE_0300000100_43_0300000005_11_20191025200201_0001.JPG");
        assert_eq!(img.kind, FileKind::BasicInfoFamilyImage);
        assert_eq!(img.image_branch, Some(1));
        assert_eq!(
            img.to_string(),
            "UPKIHON_IMAGE_0300000100_43_0300000005_11_20191025200201_0001.jpg"
        );
        assert_eq!(
            img.body(),
            p("UPKIHON_0300000100_43_0300000005_11_20191025200201.CSV").body()
        );
    }

    #[test]
    fn kinds_and_months_are_typed() {
        let n = p("UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV");
        assert_eq!(n.kind, FileKind::ServiceSchedule);
        assert_eq!(
            n.month,
            FileMonth::Month(YearMonth::parse("201912").unwrap())
        );
        assert_eq!(n.sender.as_str(), "0300000100");
        assert_eq!(n.sender_kind.unwrap().as_str(), "43");
        assert_eq!(n.recipient_kind.unwrap().as_str(), "11");
        assert_eq!(
            p("UPHOSOKU_000000_0300000100_43_0300000005_11_20191025200201.CSV").month,
            FileMonth::Zero
        );
        assert_eq!(
            p("UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV").month,
            FileMonth::None
        );
    }

    #[test]
    fn v3_names_without_service_kinds() {
        let n = p("UPPLAN_201912_0300000100_0300000005_20191025200201.CSV");
        assert_eq!(n.style(), NameStyle::V3);
        assert_eq!(n.sender_kind, None);
        assert_eq!(
            n.to_string(),
            "UPPLAN_201912_0300000100_0300000005_20191025200201.CSV"
        );
        p("UP1KYO_0300000100_0300000005_20191025200201.CSV");
        p("UPHOSOKU_000000_0300000100_0300000005_20191110102233.CSV");
    }

    #[test]
    fn case_insensitive_read_canonical_write() {
        let n = p("upplan_201912_0300000100_43_0300000005_2a_20191025200201.csv");
        assert_eq!(
            n.to_string(),
            "UPPLAN_201912_0300000100_43_0300000005_2A_20191025200201.CSV"
        );
    }

    #[test]
    fn legacy_three_character_codes_are_tolerated() {
        let n = p("UPPLAN_201912_0300000100_430_0300000005_110_20191025200201.CSV");
        assert!(n.legacy_service_code);
        assert_eq!(n.sender_kind.unwrap().as_str(), "43");
    }

    #[test]
    fn broken_names_are_refused_with_the_reason() {
        use FileNameError as E;
        let e = |s: &str| StandardFileName::parse(s).unwrap_err();
        assert_eq!(
            e("UPFOO_0300000100_43_0300000005_11_20191025200201.CSV"),
            E::UnknownPrefix
        );
        assert_eq!(
            e("UP1KYO_0300000100_43_0300000005_11_20191025200201.TXT"),
            E::Extension
        );
        assert_eq!(
            e("UP1KYO_0300000100_43_0300000005_11_20191025200201"),
            E::Extension
        );
        assert!(matches!(
            e("UP1KYO_123456789_43_2468135790_11_20191110102233.CSV"),
            E::OfficeNumber(_)
        ));
        assert!(matches!(
            e("UPPLAN_201913_0300000100_43_0300000005_11_20191025200201.CSV"),
            E::Month(_)
        ));
        assert!(matches!(
            e("UPPLAN_000000_0300000100_43_0300000005_11_20191025200201.CSV"),
            E::Month(_)
        ));
        assert!(matches!(
            e("UP1KYO_0300000100_43_0300000005_11_201911110102233.CSV"),
            E::Serial(_)
        ));
        assert_eq!(
            e("UP1KYO_0300000100_43_0300000005_20191025200201.CSV"),
            E::Parts
        );
        assert!(matches!(
            e("UPKIHON_IMAGE_0300000100_43_0300000005_11_20191025200201_01.JPG"),
            E::ImageBranch(_)
        ));
    }

    #[test]
    fn unit_key_groups_files_of_one_send_unit() {
        let a = p("UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV");
        let b = p("UPSIKYU_201912_0300000100_43_0300000005_11_20191025200201.CSV");
        let c = p("UPSIKYU_201912_0300000100_43_0300000005_11_20191025200202.CSV");
        assert_eq!(a.unit_key(), b.unit_key());
        assert_ne!(a.unit_key(), c.unit_key());
    }
}
