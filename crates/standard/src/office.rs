//! Offices: a 事業所 is identified by its 10-digit 事業所番号 plus its 2-character サービス種類コード.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an office number or service kind did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    #[error("事業所番号は半角数字10桁です（{0:?}）")]
    OfficeNumber(String),
    #[error("サービス種類コードは半角英数字2文字です（{0:?}）")]
    ServiceKind(String),
    #[error("事業所の表記は「事業所番号_サービス種類コード」です（{0:?}）")]
    OfficeId(String),
}

/// 事業所番号: exactly 10 ASCII digits, leading zeros kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficeNumber([u8; 10]);

impl OfficeNumber {
    pub fn parse(s: &str) -> Result<Self, OfficeError> {
        let b = s.as_bytes();
        if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
            return Err(OfficeError::OfficeNumber(s.to_string()));
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(b);
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored (checked in `parse`).
        std::str::from_utf8(&self.0).unwrap_or("0000000000")
    }

    /// 都道府県番号: the first two digits of a 介護保険事業所番号.
    pub fn prefecture_code(&self) -> &str {
        &self.as_str()[..2]
    }
}

impl fmt::Display for OfficeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OfficeNumber {
    type Err = OfficeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OfficeNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OfficeNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// サービス種類コード: two ASCII upper-case letters or digits (`11`, `43`, `2A`, `A2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceKind([u8; 2]);

impl ServiceKind {
    /// 居宅介護支援 — the care-manager side in the spec's examples.
    pub const CARE_MANAGEMENT: ServiceKind = ServiceKind(*b"43");
    /// 介護予防支援 [外部].
    pub const PREVENTIVE_CARE_MANAGEMENT: ServiceKind = ServiceKind(*b"46");

    /// Parses case-insensitively (file names are matched case-insensitively) into upper case.
    pub fn parse(s: &str) -> Result<Self, OfficeError> {
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(OfficeError::ServiceKind(s.to_string()));
        }
        Ok(Self([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00")
    }

    /// True for the plan side (居宅介護支援 / 介護予防支援 / 介護予防ケアマネジメント).
    pub fn is_care_management(&self) -> bool {
        matches!(&self.0, b"43" | b"46" | b"AF")
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ServiceKind {
    type Err = OfficeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ServiceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An office as the exchange knows it: 事業所番号 + サービス種類コード.
/// Written `0300000100_43` (the order used in v4 file names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficeId {
    pub number: OfficeNumber,
    pub kind: ServiceKind,
}

impl OfficeId {
    pub fn new(number: OfficeNumber, kind: ServiceKind) -> Self {
        Self { number, kind }
    }

    /// Parses `0300000100_43` (also accepts `0300000100-43` and `0300000100/43`).
    pub fn parse(s: &str) -> Result<Self, OfficeError> {
        let (n, k) = s
            .split_once(['_', '-', '/'])
            .ok_or_else(|| OfficeError::OfficeId(s.to_string()))?;
        Ok(Self {
            number: OfficeNumber::parse(n).map_err(|_| OfficeError::OfficeId(s.to_string()))?,
            kind: ServiceKind::parse(k).map_err(|_| OfficeError::OfficeId(s.to_string()))?,
        })
    }
}

impl fmt::Display for OfficeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.number, self.kind)
    }
}

impl std::str::FromStr for OfficeId {
    type Err = OfficeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OfficeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OfficeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_number_is_ten_digits() {
        assert_eq!(
            OfficeNumber::parse("0300000100").unwrap().as_str(),
            "0300000100"
        );
        assert!(OfficeNumber::parse("123456789").is_err());
        assert!(OfficeNumber::parse("03000001000").is_err());
        assert!(OfficeNumber::parse("030000010A").is_err());
        assert!(OfficeNumber::parse("０３００００01００").is_err());
    }

    #[test]
    fn service_kind_is_upper_cased() {
        assert_eq!(ServiceKind::parse("2a").unwrap().as_str(), "2A");
        assert!(ServiceKind::parse("431").is_err());
        assert!(ServiceKind::parse("4").is_err());
        assert!(ServiceKind::CARE_MANAGEMENT.is_care_management());
        assert!(!ServiceKind::parse("11").unwrap().is_care_management());
    }

    #[test]
    fn office_id_round_trips() {
        let id = OfficeId::parse("0300000100_43").unwrap();
        assert_eq!(id.to_string(), "0300000100_43");
        assert_eq!(OfficeId::parse("0300000100-43").unwrap(), id);
        assert!(OfficeId::parse("0300000100").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0300000100_43\"");
        assert_eq!(serde_json::from_str::<OfficeId>(&json).unwrap(), id);
    }
}
