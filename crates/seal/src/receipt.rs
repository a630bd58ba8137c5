//! Signed receipts: the recipient's statement that it received, imported or rejected an
//! envelope, signed by the recipient device so the sender (and the hub, for evidence) can
//! verify it against the recipient office's public keys.

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_standard::OfficeId;

use crate::FORMAT_VERSION;
use crate::envelope::RoutingMetadata;
use crate::error::{Error, clip};
use crate::keys::{DevicePublicKeys, DeviceSecretKeys, check_rfc3339};
use crate::manifest::{is_key_id, is_sha256_hex, signed_message};
use crate::unit::UnitId;

/// Domain separation for receipt signatures (see `MANIFEST_DOMAIN`).
const RECEIPT_DOMAIN: &[u8] = b"tsunagu-receipt-v1\0";
/// A signed receipt as bytes is at most this long (a long rejection reason is ~3 KiB).
pub const MAX_RECEIPT_BYTES: usize = 16 * 1024;
/// A rejection reason is 1 to this many characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// What the recipient did with an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "StatusWire")]
pub enum ReceiptStatus {
    /// Downloaded, decrypted and verified (受信済).
    Received,
    /// Written into the import folder (取込済).
    Imported,
    /// Refused (差戻し). The reason is for the sender's staff: say what is wrong (file, line,
    /// field), never quote the contents.
    Rejected { reason: String },
}

/// serde's `deny_unknown_fields` does not reach the unit variants of an internally tagged
/// enum (`{"kind":"received","reason":"x"}` would pass), so the status is read through this
/// struct: `reason` is tracked as absent / null / string and must be present exactly for
/// `rejected`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusWire {
    kind: String,
    #[serde(default, deserialize_with = "present")]
    reason: Option<Option<String>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl TryFrom<StatusWire> for ReceiptStatus {
    type Error = &'static str;
    fn try_from(w: StatusWire) -> Result<Self, &'static str> {
        match (w.kind.as_str(), w.reason) {
            ("received", None) => Ok(ReceiptStatus::Received),
            ("imported", None) => Ok(ReceiptStatus::Imported),
            ("rejected", Some(Some(reason))) => Ok(ReceiptStatus::Rejected { reason }),
            ("received" | "imported", Some(_)) => Err("reason は rejected にだけ付けます"),
            ("rejected", _) => Err("rejected には reason が必要です"),
            _ => Err("kind は received / imported / rejected のいずれかです"),
        }
    }
}

/// The statement a recipient device signs about one envelope. `sender` and `recipient` are
/// the envelope's (so `recipient` is the office issuing the receipt); `ciphertext_sha256`
/// ties the receipt to exactly one ciphertext. Canonical form: compact JSON in this field
/// order (docs/envelope.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReceiptWire")]
pub struct Receipt {
    pub format_version: u32,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: UnitId,
    pub ciphertext_sha256: String,
    pub status: ReceiptStatus,
    /// When, by the caller's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Key id of the recipient device that signs.
    pub by_key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptWire {
    format_version: u32,
    sender: OfficeId,
    recipient: OfficeId,
    unit_id: UnitId,
    ciphertext_sha256: String,
    status: ReceiptStatus,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    by_key_id: String,
}

impl TryFrom<ReceiptWire> for Receipt {
    type Error = Error;
    fn try_from(w: ReceiptWire) -> Result<Self, Error> {
        let r = Receipt {
            format_version: w.format_version,
            sender: w.sender,
            recipient: w.recipient,
            unit_id: w.unit_id,
            ciphertext_sha256: w.ciphertext_sha256,
            status: w.status,
            at: w.at,
            by_key_id: w.by_key_id,
        };
        r.check()?;
        Ok(r)
    }
}

impl Receipt {
    /// A receipt about the envelope `routing` describes, to be signed by the device `by`.
    pub fn for_envelope(
        routing: &RoutingMetadata,
        status: ReceiptStatus,
        at: OffsetDateTime,
        by: &DevicePublicKeys,
    ) -> Receipt {
        Receipt {
            format_version: FORMAT_VERSION,
            sender: routing.sender,
            recipient: routing.recipient,
            unit_id: routing.unit_id.clone(),
            ciphertext_sha256: routing.ciphertext_sha256.clone(),
            status,
            at,
            by_key_id: by.key_id().to_string(),
        }
    }

    /// The bytes that are signed (after the domain prefix).
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|_| Error::Timestamp)
    }

    fn check(&self) -> Result<(), Error> {
        let malformed = |detail: &str| Error::ReceiptMalformed {
            detail: detail.to_string(),
        };
        if self.format_version != FORMAT_VERSION {
            return Err(Error::UnsupportedFormat {
                version: self.format_version,
            });
        }
        if self.sender == self.recipient {
            return Err(malformed("送信元と送信先が同じです"));
        }
        if !is_sha256_hex(&self.ciphertext_sha256) {
            return Err(malformed("ciphertext_sha256 は小文字16進64桁です"));
        }
        if !is_key_id(&self.by_key_id) {
            return Err(malformed("by_key_id は小文字16進32桁です"));
        }
        if let ReceiptStatus::Rejected { reason } = &self.status {
            let n = reason.chars().count();
            // Newlines and tabs are allowed so a reason can list several problems.
            let bad_char = reason
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t'));
            if n == 0 || n > MAX_REASON_CHARS || bad_char || reason.trim().is_empty() {
                return Err(Error::ReceiptReasonInvalid {
                    max: MAX_REASON_CHARS,
                });
            }
        }
        check_rfc3339(self.at)
    }

    /// Field by field, whether this receipt is about the envelope `routing` describes.
    pub fn check_for(&self, routing: &RoutingMetadata) -> Result<(), Error> {
        let mismatch = |field| Err(Error::ReceiptMismatch { field });
        if self.sender != routing.sender {
            return mismatch("sender");
        }
        if self.recipient != routing.recipient {
            return mismatch("recipient");
        }
        if self.unit_id != routing.unit_id {
            return mismatch("unit_id");
        }
        if self.ciphertext_sha256 != routing.ciphertext_sha256 {
            return mismatch("ciphertext_sha256");
        }
        Ok(())
    }
}

/// A receipt with its Ed25519 signature (128 lower-case hex digits) over
/// `"tsunagu-receipt-v1\0" ‖ canonical(receipt)`. This is the wire form:
/// `{"receipt":{…},"signature":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedReceipt {
    pub receipt: Receipt,
    pub signature: String,
}

impl SignedReceipt {
    /// Signs `receipt` with the recipient device `signer`, whose key id must be the
    /// receipt's `by_key_id` (E-SEAL-305).
    pub fn sign(receipt: Receipt, signer: &DeviceSecretKeys) -> Result<SignedReceipt, Error> {
        receipt.check()?;
        if receipt.by_key_id != signer.key_id() {
            return Err(Error::ReceiptSignerMismatch {
                by_key_id: receipt.by_key_id.clone(),
            });
        }
        let bytes = receipt.to_canonical_bytes()?;
        let sig = signer.sign(&signed_message(RECEIPT_DOMAIN, &bytes));
        Ok(SignedReceipt {
            receipt,
            signature: hex::encode(sig.to_bytes()),
        })
    }

    /// Verifies the signature with the key among `recipient_keys` (the recipient office's
    /// device keys, pinned by the sender's desk or from the hub's directory) whose key id is
    /// `by_key_id`. The receipt is re-serialized canonically for verification, so only the
    /// exact signed content verifies.
    pub fn verify(&self, recipient_keys: &[DevicePublicKeys]) -> Result<&Receipt, Error> {
        self.receipt.check()?;
        let key = recipient_keys
            .iter()
            .find(|k| k.key_id() == self.receipt.by_key_id)
            .ok_or_else(|| Error::ReceiptUnknownKey {
                key_id: self.receipt.by_key_id.clone(),
            })?;
        let mut sig = [0u8; 64];
        if self.signature.len() != 128
            || self.signature.bytes().any(|b| b.is_ascii_uppercase())
            || hex::decode_to_slice(&self.signature, &mut sig).is_err()
        {
            return Err(Error::ReceiptBadSignature);
        }
        let bytes = self.receipt.to_canonical_bytes()?;
        key.verifying_key()
            .verify_strict(
                &signed_message(RECEIPT_DOMAIN, &bytes),
                &Signature::from_bytes(&sig),
            )
            .map_err(|_| Error::ReceiptBadSignature)?;
        Ok(&self.receipt)
    }

    /// [`Self::verify`], then [`Receipt::check_for`]: a valid receipt about this envelope.
    pub fn verify_for(
        &self,
        routing: &RoutingMetadata,
        recipient_keys: &[DevicePublicKeys],
    ) -> Result<&Receipt, Error> {
        let r = self.verify(recipient_keys)?;
        r.check_for(routing)?;
        Ok(r)
    }

    /// The wire bytes (compact JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Every field was checked serializable when signed or parsed.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Strict parser for a signed receipt's bytes: at most [`MAX_RECEIPT_BYTES`], no unknown
    /// fields, every field well-formed. Does not verify the signature (see [`Self::verify`]).
    /// Never panics; safe to fuzz.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedReceipt, Error> {
        if bytes.len() > MAX_RECEIPT_BYTES {
            return Err(Error::ReceiptMalformed {
                detail: "16 KiB を超えています".into(),
            });
        }
        let s: SignedReceipt =
            serde_json::from_slice(bytes).map_err(|e| Error::ReceiptMalformed {
                detail: clip(&e.to_string()),
            })?;
        if s.signature.len() != 128
            || !s
                .signature
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(Error::ReceiptMalformed {
                detail: "signature は小文字16進128桁です".into(),
            });
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::keys;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn routing(hash_byte: char) -> RoutingMetadata {
        RoutingMetadata {
            format_version: 1,
            sender: OfficeId::parse("0300000100_43").unwrap(),
            recipient: OfficeId::parse("0300000005_11").unwrap(),
            unit_id: UnitId::parse("20250401120000").unwrap(),
            kinds: vec!["UPPLAN".into()],
            service_month: None,
            size: 1234,
            ciphertext_sha256: hash_byte.to_string().repeat(64),
        }
    }

    fn signed(status: ReceiptStatus, by: &DeviceSecretKeys) -> SignedReceipt {
        let r = Receipt::for_envelope(
            &routing('a'),
            status,
            datetime!(2025-04-02 08:30:00 +09:00),
            by.public(),
        );
        SignedReceipt::sign(r, by).unwrap()
    }

    #[test]
    fn sign_verify_round_trip_for_every_status() {
        let b1 = keys();
        let b2 = keys();
        let bkeys = [b2.public().clone(), b1.public().clone()];
        for status in [
            ReceiptStatus::Received,
            ReceiptStatus::Imported,
            ReceiptStatus::Rejected {
                reason: "UPPLAN_…CSV 3行目 「被保険者番号」が10桁ではありません\n他1件".into(),
            },
        ] {
            let s = signed(status.clone(), &b1);
            let r = s.verify(&bkeys).unwrap();
            assert_eq!(r.status, status);
            assert!(s.verify_for(&routing('a'), &bkeys).is_ok());
            // Over the wire and back.
            let bytes = s.to_bytes();
            let back = SignedReceipt::from_bytes(&bytes).unwrap();
            assert_eq!(back, s);
            assert!(back.verify(&bkeys).is_ok());
        }
    }

    #[test]
    fn wire_form_is_pinned() {
        let b1 = keys();
        let s = signed(ReceiptStatus::Imported, &b1);
        let text = String::from_utf8(s.to_bytes()).unwrap();
        let expected_prefix = format!(
            concat!(
                r#"{{"receipt":{{"format_version":1,"sender":"0300000100_43","#,
                r#""recipient":"0300000005_11","unit_id":"20250401120000","ciphertext_sha256":"{}","#,
                r#""status":{{"kind":"imported"}},"at":"2025-04-02T08:30:00+09:00","by_key_id":"{}"}},"#,
                r#""signature":""#
            ),
            "a".repeat(64),
            b1.key_id()
        );
        assert!(text.starts_with(&expected_prefix), "{text}");
        let rejected = signed(ReceiptStatus::Rejected { reason: "x".into() }, &b1);
        let text = String::from_utf8(rejected.to_bytes()).unwrap();
        assert!(
            text.contains(r#""status":{"kind":"rejected","reason":"x"}"#),
            "{text}"
        );
    }

    #[test]
    fn tampered_receipts_fail() {
        let b1 = keys();
        let b2 = keys();
        let bkeys = [b1.public().clone(), b2.public().clone()];
        let good = signed(ReceiptStatus::Imported, &b1);

        let mut t = good.clone();
        t.receipt.status = ReceiptStatus::Rejected { reason: "x".into() };
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        let mut t = good.clone();
        t.receipt.unit_id = UnitId::parse("20250401120001").unwrap();
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        let mut t = good.clone();
        t.receipt.at += time::Duration::seconds(1);
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        let mut t = good.clone();
        t.receipt.ciphertext_sha256 = "b".repeat(64);
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        // Claimed by the other device of the same office: its key does not verify.
        let mut t = good.clone();
        t.receipt.by_key_id = b2.key_id().to_string();
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        let mut t = good.clone();
        let mut sig = t.signature.into_bytes();
        sig[0] = if sig[0] == b'0' { b'1' } else { b'0' };
        t.signature = String::from_utf8(sig).unwrap();
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        let mut t = good.clone();
        t.signature = t.signature.to_uppercase();
        assert_eq!(t.verify(&bkeys).unwrap_err(), Error::ReceiptBadSignature);

        // Verified against another office's keys: the signer is unknown there.
        let c1 = keys();
        assert_eq!(
            good.verify(&[c1.public().clone()]).unwrap_err().code(),
            "E-SEAL-302"
        );

        // A genuine receipt about another envelope.
        assert_eq!(
            good.verify_for(&routing('b'), &bkeys).unwrap_err(),
            Error::ReceiptMismatch {
                field: "ciphertext_sha256"
            }
        );
        let mut other = routing('a');
        other.recipient = OfficeId::parse("0300000200_11").unwrap();
        assert_eq!(
            good.verify_for(&other, &bkeys).unwrap_err(),
            Error::ReceiptMismatch { field: "recipient" }
        );
    }

    #[test]
    fn signer_must_be_the_named_device() {
        let b1 = keys();
        let b2 = keys();
        let r = Receipt::for_envelope(
            &routing('a'),
            ReceiptStatus::Received,
            datetime!(2025-04-02 08:30:00 +09:00),
            b1.public(),
        );
        assert_eq!(
            SignedReceipt::sign(r, &b2).unwrap_err().code(),
            "E-SEAL-305"
        );
    }

    #[test]
    fn rejection_reason_is_bounded() {
        let b1 = keys();
        for reason in [
            String::new(),
            "   ".into(),
            "x".repeat(MAX_REASON_CHARS + 1),
            "bell\u{7}".into(),
        ] {
            let r = Receipt::for_envelope(
                &routing('a'),
                ReceiptStatus::Rejected { reason },
                datetime!(2025-04-02 08:30:00 +09:00),
                b1.public(),
            );
            assert_eq!(
                SignedReceipt::sign(r, &b1).unwrap_err().code(),
                "E-SEAL-306"
            );
        }
        let ok = Receipt::for_envelope(
            &routing('a'),
            ReceiptStatus::Rejected {
                reason: "あ".repeat(MAX_REASON_CHARS),
            },
            datetime!(2025-04-02 08:30:00 +09:00),
            b1.public(),
        );
        let s = SignedReceipt::sign(ok, &b1).unwrap();
        assert!(SignedReceipt::from_bytes(&s.to_bytes()).is_ok());
    }

    #[test]
    fn strict_parser_refuses_odd_shapes() {
        let b1 = keys();
        let good = String::from_utf8(signed(ReceiptStatus::Received, &b1).to_bytes()).unwrap();
        assert!(SignedReceipt::from_bytes(good.as_bytes()).is_ok());
        for bad in [
            good.replacen('{', "{\"x\":1,", 1),
            good.replacen("\"kind\":\"received\"", "\"kind\":\"lost\"", 1),
            good.replacen(
                "\"kind\":\"received\"",
                "\"kind\":\"received\",\"reason\":\"x\"",
                1,
            ),
            good.replacen(
                "\"kind\":\"received\"",
                "\"kind\":\"received\",\"reason\":null",
                1,
            ),
            good.replacen("\"kind\":\"received\"", "\"kind\":\"rejected\"", 1),
            good.replacen(
                "\"kind\":\"received\"",
                "\"kind\":\"rejected\",\"reason\":null",
                1,
            ),
            good.replacen(
                "\"kind\":\"received\"",
                "\"kind\":\"received\",\"kind\":\"received\"",
                1,
            ),
            good.replacen("\"format_version\":1", "\"format_version\":2", 1),
            good.replacen("0300000005_11", "0300000100_43", 1),
            good.replacen(b1.key_id(), "00", 1),
            good.replacen("\"signature\":\"", "\"signature\":\"00", 1),
            " ".repeat(MAX_RECEIPT_BYTES + 1),
        ] {
            assert!(SignedReceipt::from_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = SignedReceipt::from_bytes(&bytes);
        }

        /// Any single changed byte of a signed receipt is refused by parsing or by
        /// verification, unless it leaves the receipt exactly as signed.
        #[test]
        fn any_changed_byte_is_caught(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let b1 = keys();
            let keys = [b1.public().clone()];
            let good = signed(ReceiptStatus::Rejected { reason: "理由".into() }, &b1);
            let mut bytes = good.to_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = byte;
            match SignedReceipt::from_bytes(&bytes) {
                Err(_) => {}
                Ok(parsed) => {
                    prop_assert!(parsed.verify(&keys).is_err() || parsed == good);
                }
            }
        }
    }
}
