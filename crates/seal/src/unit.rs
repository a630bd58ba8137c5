//! Small validated values that describe a send unit: its ファイル連番, service month, file kinds
//! and file names. They are checked the same way when sealing (caller input) and when opening
//! (signed manifest), so a sender can never produce what a recipient refuses.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, clip};

/// At most this many files in one send unit. A unit is a handful of standard files
/// (第6表 + 第7表 + 補足 …); the bound keeps a forged manifest from costing much.
pub const MAX_FILES: usize = 1000;
/// At most this many declared kinds.
pub const MAX_KINDS: usize = 64;
/// File names are at most 255 bytes (the common file-system limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;
const MAX_KIND_BYTES: usize = 32;

/// ファイル連番: the 14-digit `YYYYMMDDHHMMSS` stamp shared by the files of one send unit.
/// Only the shape is checked (14 ASCII digits); the standard crate owns its meaning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitId(String);

impl UnitId {
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(Error::InvalidUnitId(clip(s)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for UnitId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl Serialize for UnitId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UnitId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// サービス提供年月 as `YYYYMM` (month 01–12).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceMonth(String);

impl ServiceMonth {
    pub fn parse(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        let ok = b.len() == 6
            && b.iter().all(u8::is_ascii_digit)
            && matches!((b[4], b[5]), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Error::InvalidServiceMonth(clip(s)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ServiceMonth {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl Serialize for ServiceMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ServiceMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A declared standard-file kind such as `UPPLAN`, `UPJSK`, `UPKIHON_IMAGE`.
pub(crate) fn check_kind(kind: &str) -> Result<(), Error> {
    let ok = !kind.is_empty()
        && kind.len() <= MAX_KIND_BYTES
        && kind
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidKind(clip(kind)))
    }
}

/// Kinds in their canonical form: each valid, sorted, without duplicates. Sealing normalises
/// the caller's list into this form; opening requires it.
pub(crate) fn canonical_kinds(kinds: &[String]) -> Result<Vec<String>, Error> {
    if kinds.len() > MAX_KINDS {
        return Err(Error::TooManyKinds { max: MAX_KINDS });
    }
    for k in kinds {
        check_kind(k)?;
    }
    let mut out = kinds.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

pub(crate) fn is_canonical_kinds(kinds: &[String]) -> bool {
    kinds.len() <= MAX_KINDS
        && kinds.iter().all(|k| check_kind(k).is_ok())
        && kinds.windows(2).all(|w| w[0] < w[1])
}

/// Windows device names: a file called `CON.csv` or `nul` cannot be written on the office PCs
/// the desk runs on, so such names are refused everywhere.
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why a file name is refused, or `None` if it is safe to write as-is into one folder on
/// Windows, macOS and Linux. Standard file names are ASCII (`UPPLAN_202504_…_20250401120000.CSV`,
/// `UPKIHON_IMAGE_…_0001.jpg`), so the allowed set is deliberately tiny: ASCII letters, digits,
/// `_`, `-`, `.`; no leading `.` or `-`, no trailing `.`, no `..`. That rules out path
/// separators, drive letters, alternate data streams and hidden files in one rule.
pub(crate) fn file_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("空です");
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return Some("255バイトを超えています");
    }
    if name.contains('/') || name.contains('\\') {
        return Some("パス区切り文字を含みます");
    }
    if name.contains("..") {
        return Some("「..」を含みます");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Some("使えない文字を含みます");
    }
    if name.starts_with('.') || name.starts_with('-') || name.ends_with('.') {
        return Some("先頭の「.」「-」、末尾の「.」は使えません");
    }
    let stem = name.split('.').next().unwrap_or(name);
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
    {
        return Some("Windows の予約名です");
    }
    None
}

/// Checks every name and their uniqueness. Case-insensitive, because Windows and macOS
/// folders are: `a.csv` and `A.CSV` would overwrite each other on import.
pub(crate) fn check_file_names<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for name in names {
        if let Some(detail) = file_name_problem(name) {
            return Err(Error::InvalidFileName {
                name: clip(name),
                detail,
            });
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(Error::DuplicateFileName { name: clip(name) });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_id_is_fourteen_digits() {
        assert_eq!(
            UnitId::parse("20250401120000").unwrap().as_str(),
            "20250401120000"
        );
        for bad in [
            "",
            "2025040112000",
            "202504011200000",
            "2025040112000a",
            "２0250401120000",
        ] {
            assert_eq!(
                UnitId::parse(bad).unwrap_err().code(),
                "E-SEAL-101",
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<UnitId>("\"2025\"").is_err());
    }

    #[test]
    fn service_month_is_yyyymm() {
        assert!(ServiceMonth::parse("202504").is_ok());
        assert!(ServiceMonth::parse("202512").is_ok());
        for bad in ["202500", "202513", "20254", "2025041", "abcdef", "202520"] {
            assert!(ServiceMonth::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_are_normalised() {
        let k = canonical_kinds(&["UPJSK".into(), "UPPLAN".into(), "UPJSK".into()]).unwrap();
        assert_eq!(k, vec!["UPJSK".to_string(), "UPPLAN".to_string()]);
        assert!(is_canonical_kinds(&k));
        assert!(!is_canonical_kinds(&["UPPLAN".into(), "UPJSK".into()]));
        assert!(!is_canonical_kinds(&["UPJSK".into(), "UPJSK".into()]));
        assert!(canonical_kinds(&["upplan".into()]).is_err());
        assert!(canonical_kinds(&["".into()]).is_err());
        assert!(canonical_kinds(&vec!["A".to_string(); MAX_KINDS + 1]).is_err());
    }

    #[test]
    fn file_names_standard_ones_pass() {
        for ok in [
            "UPPLAN_202504_0300000100_43_0300000005_11_20250401120000.CSV",
            "UPKIHON_IMAGE_0300000100_43_0300000005_11_20250401120000_0001.jpg",
            "a.csv",
            "CONFIG.csv",
        ] {
            assert_eq!(file_name_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn file_names_that_escape_or_clash_are_refused() {
        for bad in [
            "",
            "../a.csv",
            "..",
            ".",
            "a/b.csv",
            "a\\b.csv",
            "/etc/passwd",
            "C:a.csv",
            "a.csv:stream",
            ".hidden",
            "-rf",
            "a.csv.",
            "a b.csv",
            "ファイル.csv",
            "a\0.csv",
            "CON",
            "nul.csv",
            "com1.txt",
        ] {
            assert!(file_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(file_name_problem(&"a".repeat(256)).is_some());
        assert!(file_name_problem(&"a".repeat(255)).is_none());
    }

    #[test]
    fn duplicate_names_are_case_insensitive() {
        let e = check_file_names(["a.csv", "A.CSV"].into_iter()).unwrap_err();
        assert_eq!(e.code(), "E-SEAL-105");
        assert!(check_file_names(["a.csv", "b.csv"].into_iter()).is_ok());
        let e = check_file_names(["a.csv", "../b.csv"].into_iter()).unwrap_err();
        assert_eq!(e.code(), "E-SEAL-104");
    }
}
