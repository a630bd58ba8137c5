//! The manifest: the signed statement of what a send unit is — who sends it to whom, which
//! ファイル連番, and every file's name, size and SHA-256.

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_standard::OfficeId;

use crate::FORMAT_VERSION;
use crate::error::{Error, clip};
use crate::keys::DeviceSecretKeys;
use crate::unit::{MAX_FILES, ServiceMonth, UnitId, is_canonical_kinds};

/// Domain separation for manifest signatures, so a manifest signature can never be taken for
/// a receipt signature (or anything else signed with the same key) and vice versa.
pub(crate) const MANIFEST_DOMAIN: &[u8] = b"tsunagu-manifest-v1\0";
/// Manifests larger than this are refused before parsing. 1000 files × ~360 bytes fits
/// with room to spare.
pub const MAX_MANIFEST_BYTES: usize = 1024 * 1024;

/// The signed description of one send unit. Its canonical form is compact JSON with the
/// fields in exactly this order (see docs/envelope.md §3); `sender_key_id` names the device
/// key that signed it.
///
/// The fields are public to read. A manifest returned by [`crate::open`] has passed every
/// check; one built by hand has not, and is never signed by this crate except through
/// [`crate::seal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub format_version: u32,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: UnitId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Standard-file kinds as declared by the sender (`UPPLAN`, …): sorted, no duplicates.
    pub kinds: Vec<String>,
    pub service_month: Option<ServiceMonth>,
    pub files: Vec<ManifestFile>,
    pub sender_key_id: String,
}

/// One file of the unit, in the order the files follow in the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    pub size: u64,
    /// SHA-256 of the file's bytes exactly as the care software wrote them, lower-case hex.
    pub sha256: String,
}

impl ManifestFile {
    pub(crate) fn describe(name: &str, bytes: &[u8]) -> Self {
        Self {
            name: name.to_string(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

/// What the JSON parser reads; turned into a [`Manifest`] only after every check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestWire {
    format_version: u32,
    sender: OfficeId,
    recipient: OfficeId,
    unit_id: UnitId,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    kinds: Vec<String>,
    service_month: Option<ServiceMonth>,
    files: Vec<ManifestFile>,
    sender_key_id: String,
}

impl Manifest {
    /// The canonical bytes: what is signed and what travels inside the envelope.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        // Serialization can only fail on a timestamp RFC 3339 cannot express.
        serde_json::to_vec(self).map_err(|_| Error::Timestamp)
    }

    /// Strict parser for a manifest's canonical bytes (does not verify any signature).
    /// Refuses: more than [`MAX_MANIFEST_BYTES`], anything but the exact canonical JSON
    /// (unknown, missing, duplicated or reordered fields, extra whitespace, other escapes), an
    /// unsupported format version, and any field that sealing would have refused.
    /// Never panics; safe to fuzz.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Manifest, Error> {
        let malformed = |detail: &str| Error::ManifestMalformed {
            detail: detail.to_string(),
        };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(malformed("1 MiB を超えています"));
        }
        let w: ManifestWire = serde_json::from_slice(bytes).map_err(|e| {
            // serde_json's message names the field and position; it can quote values from
            // the manifest, which are office ids, names and hashes, never file contents.
            Error::ManifestMalformed {
                detail: clip(&e.to_string()),
            }
        })?;
        if w.format_version != FORMAT_VERSION {
            return Err(Error::UnsupportedFormat {
                version: w.format_version,
            });
        }
        let m = Manifest {
            format_version: w.format_version,
            sender: w.sender,
            recipient: w.recipient,
            unit_id: w.unit_id,
            created_at: w.created_at,
            kinds: w.kinds,
            service_month: w.service_month,
            files: w.files,
            sender_key_id: w.sender_key_id,
        };
        m.check().map_err(|e| malformed(&e))?;
        if m.to_canonical_bytes().ok().as_deref() != Some(bytes) {
            return Err(malformed("正規形ではありません"));
        }
        Ok(m)
    }

    /// The rules a manifest obeys, whether built by `seal` or read by `open`.
    fn check(&self) -> Result<(), String> {
        if self.sender == self.recipient {
            return Err("送信元と送信先が同じです".into());
        }
        if !is_canonical_kinds(&self.kinds) {
            return Err("kinds が正規形（整列・重複なし・英大文字数字）ではありません".into());
        }
        if self.files.is_empty() || self.files.len() > MAX_FILES {
            return Err(format!("ファイル数は1〜{MAX_FILES}件です"));
        }
        crate::unit::check_file_names(self.files.iter().map(|f| f.name.as_str()))
            .map_err(|e| e.to_string())?;
        if !self.files.iter().all(|f| is_sha256_hex(&f.sha256)) {
            return Err("sha256 は小文字16進64桁です".into());
        }
        if !is_key_id(&self.sender_key_id) {
            return Err("sender_key_id は小文字16進32桁です".into());
        }
        Ok(())
    }

    /// Builds, checks and signs; used by `seal`. Returns (canonical bytes, signature).
    pub(crate) fn sign(&self, signer: &DeviceSecretKeys) -> Result<(Vec<u8>, Signature), Error> {
        debug_assert_eq!(self.sender_key_id, signer.key_id());
        if let Err(detail) = self.check() {
            // Unreachable from `seal`, which checks each input with its own error first.
            return Err(Error::ManifestMalformed { detail });
        }
        let bytes = self.to_canonical_bytes()?;
        let sig = signer.sign(&signed_message(MANIFEST_DOMAIN, &bytes));
        Ok((bytes, sig))
    }
}

/// `domain ‖ canonical bytes`: the exact message Ed25519 signs.
pub(crate) fn signed_message(domain: &[u8], canonical: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + canonical.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(canonical);
    m
}

pub(crate) fn verify_manifest(bytes: &[u8], sig: &Signature, key: &VerifyingKey) -> bool {
    // verify_strict rejects non-canonical signature encodings and small-order keys, so a
    // signature has exactly one accepted form.
    key.verify_strict(&signed_message(MANIFEST_DOMAIN, bytes), sig)
        .is_ok()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn is_key_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::keys;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn office(s: &str) -> OfficeId {
        OfficeId::parse(s).unwrap()
    }

    fn sample(k: &DeviceSecretKeys) -> Manifest {
        Manifest {
            format_version: 1,
            sender: office("0300000100_43"),
            recipient: office("0300000005_11"),
            unit_id: UnitId::parse("20250401120000").unwrap(),
            created_at: datetime!(2025-04-01 12:00:00.123456789 +09:00),
            kinds: vec!["UPJSK".into(), "UPPLAN".into()],
            service_month: Some(ServiceMonth::parse("202504").unwrap()),
            files: vec![ManifestFile::describe("a.CSV", b"abc")],
            sender_key_id: k.key_id().to_string(),
        }
    }

    #[test]
    fn canonical_form_is_pinned() {
        let k = keys();
        let m = sample(&k);
        let bytes = m.to_canonical_bytes().unwrap();
        let expected = format!(
            concat!(
                r#"{{"format_version":1,"sender":"0300000100_43","recipient":"0300000005_11","#,
                r#""unit_id":"20250401120000","created_at":"2025-04-01T12:00:00.123456789+09:00","#,
                r#""kinds":["UPJSK","UPPLAN"],"service_month":"202504","#,
                r#""files":[{{"name":"a.CSV","size":3,"sha256":"{}"}}],"sender_key_id":"{}"}}"#
            ),
            sha256_hex(b"abc"),
            k.key_id()
        );
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
        assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    }

    #[test]
    fn non_canonical_spellings_are_refused() {
        let k = keys();
        let m = sample(&k);
        let good = String::from_utf8(m.to_canonical_bytes().unwrap()).unwrap();
        let variants = [
            good.replacen(',', ", ", 1),
            good.replacen("\"service_month\":\"202504\",", "", 1),
            good.replacen('{', "{\"format_version\":1,", 1),
            good.replacen('{', "{\"extra\":1,", 1),
            good.replacen("0300000100_43", "0300000100-43", 1),
            good.replacen("\"UPJSK\",\"UPPLAN\"", "\"UPPLAN\",\"UPJSK\"", 1),
            good.replacen("a.CSV", "../a.CSV", 1),
            good.replacen("\"format_version\":1", "\"format_version\":2", 1),
            good.replacen("a.CSV", "a\\u002eCSV", 1),
            good.replacen(
                "\"files\":[{",
                "\"files\":[{\"name\":\"b.csv\",\"size\":0,\"sha256\":\"00\"},{",
                1,
            ),
            format!("{good} "),
            good.replacen("0300000005_11", "0300000100_43", 1),
        ];
        for v in variants {
            assert!(Manifest::from_canonical_bytes(v.as_bytes()).is_err(), "{v}");
        }
        let e = Manifest::from_canonical_bytes(
            good.replacen("\"format_version\":1", "\"format_version\":2", 1)
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e, Error::UnsupportedFormat { version: 2 });
    }

    #[test]
    fn signature_is_domain_separated() {
        let k = keys();
        let (bytes, sig) = sample(&k).sign(&k).unwrap();
        let vk = k.public().verifying_key();
        assert!(verify_manifest(&bytes, &sig, vk));
        // The same bytes signed without the domain prefix do not verify as a manifest.
        let raw = k.sign(&bytes);
        assert!(!verify_manifest(&bytes, &raw, vk));
        // Nor under the receipt domain.
        let receipt_domain = k.sign(&signed_message(b"tsunagu-receipt-v1\0", &bytes));
        assert!(!verify_manifest(&bytes, &receipt_domain, vk));
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Manifest::from_canonical_bytes(&bytes);
        }

        #[test]
        fn parser_never_panics_on_mutated_manifests(pos in 0usize..4096, byte in any::<u8>()) {
            let k = keys();
            let mut bytes = sample(&k).to_canonical_bytes().unwrap();
            let i = pos % bytes.len();
            let changed = bytes[i] != byte;
            bytes[i] = byte;
            let r = Manifest::from_canonical_bytes(&bytes);
            // Any single-byte change is either refused or yields a different manifest.
            if changed {
                prop_assert!(r.map(|m| m != sample(&k)).unwrap_or(true));
            }
        }
    }
}
