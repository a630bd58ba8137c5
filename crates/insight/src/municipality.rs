//! 全国地方公共団体コード: 5 digits plus a check digit (米子市 = 31202 + 9 = `312029`).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MunicipalityCode([u8; 5]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MunicipalityError {
    #[error("地方公共団体コードは半角数字5桁または6桁（検査数字付き）です（{0:?}）[E-INS-MUNI]")]
    Format(String),
    #[error("地方公共団体コード {code} の検査数字が合いません（正しくは {expected}）[E-INS-MUNI]")]
    CheckDigit { code: String, expected: char },
}

impl MunicipalityCode {
    /// Accepts 5 digits, or 6 digits whose last one is the correct check digit.
    pub fn parse(s: &str) -> Result<Self, MunicipalityError> {
        let s = s.trim();
        let b = s.as_bytes();
        if !(b.len() == 5 || b.len() == 6) || !b.iter().all(u8::is_ascii_digit) {
            return Err(MunicipalityError::Format(s.to_string()));
        }
        let mut five = [0u8; 5];
        five.copy_from_slice(&b[..5]);
        let code = Self(five);
        if b.len() == 6 && b[5] as char != code.check_digit() {
            return Err(MunicipalityError::CheckDigit {
                code: s.to_string(),
                expected: code.check_digit(),
            });
        }
        Ok(code)
    }

    /// JIS X 0401/0402: weights 6..2, check = last digit of (11 − sum mod 11).
    pub fn check_digit(&self) -> char {
        let sum: u32 = self
            .0
            .iter()
            .zip([6u32, 5, 4, 3, 2])
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        let digit = (11 - sum % 11) % 10;
        char::from(b'0' + digit as u8)
    }

    /// The 5-digit form.
    pub fn five(&self) -> &str {
        // Only ASCII digits are stored (checked in `parse`).
        std::str::from_utf8(&self.0).unwrap_or("00000")
    }

    /// The 6-digit form with the check digit, as the open data writes it.
    pub fn six(&self) -> String {
        format!("{}{}", self.five(), self.check_digit())
    }

    /// True when a code as written in a file (5 or 6 digits, possibly with stray spaces or
    /// full-width digits) denotes this municipality.
    pub fn matches(&self, written: &str) -> bool {
        let digits: String = written
            .chars()
            .filter_map(|c| match c {
                '0'..='9' => Some(c),
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
                _ => None,
            })
            .collect();
        (digits.len() == 5 || digits.len() == 6) && digits.starts_with(self.five())
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.six())
    }
}

impl Serialize for MunicipalityCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.six())
    }
}

impl<'de> Deserialize<'de> for MunicipalityCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_known_codes() {
        // 米子市, 千代田区, 札幌市, 鳥取県 (remainder 1 → 0), 埼玉県 (remainder 0 → 1).
        for six in ["312029", "131016", "011002", "310000", "110001"] {
            let c = MunicipalityCode::parse(&six[..5]).unwrap();
            assert_eq!(c.six(), six);
            assert_eq!(MunicipalityCode::parse(six).unwrap(), c);
        }
        assert!(matches!(
            MunicipalityCode::parse("312028"),
            Err(MunicipalityError::CheckDigit { expected: '9', .. })
        ));
        assert!(MunicipalityCode::parse("3120").is_err());
        assert!(MunicipalityCode::parse("31202a").is_err());
    }

    #[test]
    fn matches_written_forms() {
        let c = MunicipalityCode::parse("312029").unwrap();
        assert!(c.matches("312029"));
        assert!(c.matches("31202"));
        assert!(c.matches("３１２０２９"));
        assert!(!c.matches("312037"));
        assert!(!c.matches("3120"));
    }
}
