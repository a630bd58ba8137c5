//! Device keys: an X25519 age identity (to decrypt envelopes) and an Ed25519 signing key (to
//! sign manifests and receipts), their public bundle, its fingerprint, and the key file.

use std::fmt;
use std::io::{Read, Write};
use std::iter;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;

/// scrypt work factor (N = 2^18, 256 MiB, about a second) used for new key files. A fixed
/// value rather than age's per-machine calibration, so a key file made on a fast PC still
/// opens within [`KEY_FILE_MAX_WORK_FACTOR`] on a slow one.
pub const KEY_FILE_WORK_FACTOR: u8 = 18;
/// The largest scrypt work factor `from_protected_bytes` accepts (N = 2^20, 1 GiB). Bounds the
/// memory and time a hostile "key file" can cost.
pub const KEY_FILE_MAX_WORK_FACTOR: u8 = 20;

const KEY_FILE_MAGIC: &str = "tsunagu-device-key-v1";
/// Key files are tiny (~200 bytes inside, ~600 armored); anything much larger is not one.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;
const FINGERPRINT_DOMAIN: &[u8] = b"tsunagu-device-keys-v1\0";

/// The secret half of a device: decrypts envelopes addressed to it and signs what it sends.
///
/// Deliberately not `Clone` and not `Serialize`: the only way out is the passphrase-protected
/// key file. Both inner keys zeroize their memory on drop (x25519-dalek's `StaticSecret` and
/// ed25519-dalek's `SigningKey` with their `zeroize` features). `Debug` shows only the key id.
pub struct DeviceSecretKeys {
    identity: age::x25519::Identity,
    signing: SigningKey,
    public: DevicePublicKeys,
}

impl fmt::Debug for DeviceSecretKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSecretKeys")
            .field("key_id", &self.public.key_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl DeviceSecretKeys {
    /// New random keys for one device. `created_at` is the caller's clock (this crate never
    /// reads one); it is informational and not covered by the fingerprint.
    pub fn generate(created_at: OffsetDateTime) -> Result<Self, Error> {
        check_rfc3339(created_at)?;
        let identity = age::x25519::Identity::generate();
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng
            .try_fill_bytes(seed.as_mut())
            .map_err(|_| Error::Randomness)?;
        let signing = SigningKey::from_bytes(&seed);
        Ok(Self::from_parts(identity, signing, created_at))
    }

    fn from_parts(
        identity: age::x25519::Identity,
        signing: SigningKey,
        created_at: OffsetDateTime,
    ) -> Self {
        let public =
            DevicePublicKeys::new(identity.to_public(), signing.verifying_key(), created_at);
        Self {
            identity,
            signing,
            public,
        }
    }

    pub fn public(&self) -> &DevicePublicKeys {
        &self.public
    }

    pub fn key_id(&self) -> &str {
        &self.public.key_id
    }

    pub(crate) fn identity(&self) -> &age::x25519::Identity {
        &self.identity
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }

    /// The key file: these keys encrypted with age to an scrypt passphrase, ASCII-armored
    /// (`-----BEGIN AGE ENCRYPTED FILE-----`), so it can also be printed as a recovery copy.
    /// Costs about a second (scrypt N = 2^[`KEY_FILE_WORK_FACTOR`]).
    pub fn to_protected_bytes(&self, passphrase: &SecretString) -> Result<Vec<u8>, Error> {
        self.to_protected_bytes_with_work_factor(passphrase, KEY_FILE_WORK_FACTOR)
    }

    /// Like [`Self::to_protected_bytes`] with an explicit scrypt work factor `log_n`, clamped to
    /// `1..=KEY_FILE_MAX_WORK_FACTOR`. For tests and demos, which use a small value to stay
    /// fast; real key files should use the default.
    pub fn to_protected_bytes_with_work_factor(
        &self,
        passphrase: &SecretString,
        log_n: u8,
    ) -> Result<Vec<u8>, Error> {
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        recipient.set_work_factor(log_n.clamp(1, KEY_FILE_MAX_WORK_FACTOR));
        let plain = self.key_file_plaintext();
        let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as _))
            .map_err(|_| Error::Encrypt { detail: "scrypt" })?;
        let mut out = Vec::new();
        let armored =
            age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
                .map_err(|_| Error::Encrypt { detail: "armor" })?;
        let mut writer = encryptor
            .wrap_output(armored)
            .map_err(|_| Error::Encrypt { detail: "header" })?;
        writer
            .write_all(plain.as_bytes())
            .map_err(|_| Error::Encrypt { detail: "payload" })?;
        writer
            .finish()
            .and_then(|armored| armored.finish())
            .map_err(|_| Error::Encrypt { detail: "finish" })?;
        Ok(out)
    }

    /// Opens a key file made by [`Self::to_protected_bytes`] (armored or binary age).
    pub fn from_protected_bytes(bytes: &[u8], passphrase: &SecretString) -> Result<Self, Error> {
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(Error::KeyFileMalformed {
                detail: "大きすぎます",
            });
        }
        let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes))
            .map_err(|_| Error::KeyFileMalformed {
                detail: "age 形式ではありません",
            })?;
        if !decryptor.is_scrypt() {
            return Err(Error::KeyFileMalformed {
                detail: "パスフレーズで保護されていません",
            });
        }
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        identity.set_max_work_factor(KEY_FILE_MAX_WORK_FACTOR);
        let mut reader = decryptor
            .decrypt(iter::once(&identity as _))
            .map_err(|e| match e {
                age::DecryptError::DecryptionFailed => Error::WrongPassphrase,
                age::DecryptError::ExcessiveWork { required, .. } => Error::KeyFileTooExpensive {
                    required,
                    max: KEY_FILE_MAX_WORK_FACTOR,
                },
                _ => Error::KeyFileMalformed {
                    detail: "暗号のヘッダーが壊れています",
                },
            })?;
        let mut plain = Zeroizing::new(Vec::new());
        reader
            .read_to_end(&mut plain)
            .map_err(|_| Error::KeyFileMalformed {
                detail: "暗号文が壊れています",
            })?;
        Self::parse_key_file_plaintext(&plain)
    }

    /// The secret text inside the key file (format v1, see docs/envelope.md §1):
    ///
    /// ```text
    /// tsunagu-device-key-v1\n
    /// created_at <RFC 3339>\n
    /// age <AGE-SECRET-KEY-1…>\n
    /// ed25519 <64 lower-case hex: the 32-byte seed>\n
    /// ```
    fn key_file_plaintext(&self) -> Zeroizing<String> {
        let age_secret = self.identity.to_string();
        let mut seed = self.signing.to_bytes();
        let seed_hex = Zeroizing::new(hex::encode(seed));
        seed.zeroize();
        Zeroizing::new(format!(
            "{KEY_FILE_MAGIC}\ncreated_at {}\nage {}\ned25519 {}\n",
            self.public.created_at_rfc3339(),
            age_secret.expose_secret(),
            seed_hex.as_str(),
        ))
    }

    fn parse_key_file_plaintext(plain: &[u8]) -> Result<Self, Error> {
        let malformed = |detail| Error::KeyFileMalformed { detail };
        let text = std::str::from_utf8(plain).map_err(|_| malformed("UTF-8 ではありません"))?;
        let body = text
            .strip_suffix('\n')
            .ok_or(malformed("末尾の改行がありません"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(KEY_FILE_MAGIC) {
            return Err(malformed("鍵ファイルの版が違います"));
        }
        let created_at = key_file_field(&mut lines, "created_at")?;
        let age_secret = key_file_field(&mut lines, "age")?;
        let seed_hex = key_file_field(&mut lines, "ed25519")?;
        if lines.next().is_some() {
            return Err(malformed("余分な行があります"));
        }
        let created_at =
            OffsetDateTime::parse(created_at, &Rfc3339).map_err(|_| malformed("作成日時"))?;
        let identity =
            age::x25519::Identity::from_str(age_secret).map_err(|_| malformed("age 秘密鍵"))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        if seed_hex.len() != 64 || seed_hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(malformed("ed25519 秘密鍵"));
        }
        hex::decode_to_slice(seed_hex, seed.as_mut()).map_err(|_| malformed("ed25519 秘密鍵"))?;
        let signing = SigningKey::from_bytes(&seed);
        Ok(Self::from_parts(identity, signing, created_at))
    }
}

/// The public half of a device, as registered with the hub's key directory and pinned by
/// partners. Serialized as
/// `{"age_recipient":"age1…","verify_key":"<64 hex>","key_id":"<32 hex>","created_at":"…"}`;
/// deserializing checks both keys and that `key_id` really is derived from them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PublicKeysWire", into = "PublicKeysWire")]
pub struct DevicePublicKeys {
    recipient: age::x25519::Recipient,
    verify: VerifyingKey,
    key_id: String,
    created_at: OffsetDateTime,
}

impl fmt::Debug for DevicePublicKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicePublicKeys")
            .field("key_id", &self.key_id)
            .field("age_recipient", &self.age_recipient())
            .field("verify_key", &self.verify_key_hex())
            .field("created_at", &self.created_at_rfc3339())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeysWire {
    age_recipient: String,
    verify_key: String,
    key_id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<DevicePublicKeys> for PublicKeysWire {
    fn from(k: DevicePublicKeys) -> Self {
        Self {
            age_recipient: k.age_recipient(),
            verify_key: k.verify_key_hex(),
            key_id: k.key_id,
            created_at: k.created_at,
        }
    }
}

impl TryFrom<PublicKeysWire> for DevicePublicKeys {
    type Error = Error;
    fn try_from(w: PublicKeysWire) -> Result<Self, Error> {
        let k = DevicePublicKeys::from_parts(&w.age_recipient, &w.verify_key, w.created_at)?;
        if k.key_id != w.key_id {
            return Err(Error::PublicKeysInvalid {
                detail: "key_id が鍵から導かれる値と一致しません",
            });
        }
        Ok(k)
    }
}

impl DevicePublicKeys {
    fn new(
        recipient: age::x25519::Recipient,
        verify: VerifyingKey,
        created_at: OffsetDateTime,
    ) -> Self {
        let fp = fingerprint_bytes(&recipient.to_string(), &verify);
        Self {
            recipient,
            verify,
            key_id: hex::encode(&fp[..16]),
            created_at,
        }
    }

    /// Builds a bundle from its string parts (as stored by the desk or shown by the hub),
    /// checking each. `age_recipient` must be the canonical lower-case `age1…` form and
    /// `verify_key` 64 lower-case hex digits of a valid Ed25519 point that is not of small
    /// order, so each key has exactly one accepted spelling.
    pub fn from_parts(
        age_recipient: &str,
        verify_key_hex: &str,
        created_at: OffsetDateTime,
    ) -> Result<Self, Error> {
        let invalid = |detail| Error::PublicKeysInvalid { detail };
        check_rfc3339(created_at).map_err(|_| invalid("created_at"))?;
        let recipient = age::x25519::Recipient::from_str(age_recipient)
            .map_err(|_| invalid("age_recipient が age1… の形式ではありません"))?;
        if recipient.to_string() != age_recipient {
            return Err(invalid("age_recipient が正規の表記ではありません"));
        }
        let mut bytes = [0u8; 32];
        if verify_key_hex.len() != 64 || verify_key_hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid("verify_key は小文字16進64桁です"));
        }
        hex::decode_to_slice(verify_key_hex, &mut bytes)
            .map_err(|_| invalid("verify_key は小文字16進64桁です"))?;
        let verify = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| invalid("verify_key が Ed25519 の公開鍵ではありません"))?;
        if verify.is_weak() {
            return Err(invalid("verify_key が弱い鍵です"));
        }
        Ok(Self::new(recipient, verify, created_at))
    }

    /// The `age1…` recipient string.
    pub fn age_recipient(&self) -> String {
        self.recipient.to_string()
    }

    /// The Ed25519 verifying key as 64 lower-case hex digits.
    pub fn verify_key_hex(&self) -> String {
        hex::encode(self.verify.as_bytes())
    }

    /// Stable id: the first 16 bytes of the fingerprint in lower-case hex (32 characters).
    /// Manifests and receipts name their signer by it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(fingerprint_bytes(&self.age_recipient(), &self.verify))
    }

    pub(crate) fn recipient(&self) -> &age::x25519::Recipient {
        &self.recipient
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.verify
    }

    fn created_at_rfc3339(&self) -> String {
        // Checked formattable when the bundle was built (generate / from_parts / key file).
        self.created_at.format(&Rfc3339).unwrap_or_default()
    }
}

/// The next key-file line, which must be `<name> <value>`.
fn key_file_field<'a>(
    lines: &mut impl Iterator<Item = &'a str>,
    name: &'static str,
) -> Result<&'a str, Error> {
    lines
        .next()
        .and_then(|line| line.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(Error::KeyFileMalformed {
            detail: "項目が足りないか順序が違います",
        })
}

/// SHA-256 over the canonical encoding of a public bundle (docs/envelope.md §2):
/// `"tsunagu-device-keys-v1\0" ‖ u16be(len(recipient)) ‖ recipient ‖ verify_key(32)`.
fn fingerprint_bytes(age_recipient: &str, verify: &VerifyingKey) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(FINGERPRINT_DOMAIN);
    // An `age1…` X25519 recipient is 62 bytes; u16 leaves room for post-quantum recipients.
    let len = u16::try_from(age_recipient.len()).unwrap_or(u16::MAX);
    h.update(len.to_be_bytes());
    h.update(age_recipient.as_bytes());
    h.update(verify.as_bytes());
    h.finalize().into()
}

/// SHA-256 fingerprint of a device's public keys. Shown to people in its short form, to be
/// compared over the phone or on paper before trusting a partner's key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// First 128 bits as 8 groups of 4 upper-case hex digits: `3F2A-9C01-…`. Hex digits read
    /// well aloud in Japanese (数字 and A–F), and 128 bits is beyond any second-preimage search.
    pub fn short(&self) -> String {
        let hex = hex::encode_upper(&self.0[..16]);
        let groups: Vec<&str> = (0..8).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        groups.join("-")
    }

    /// All 256 bits as 64 lower-case hex digits, for storage (the desk's pin file).
    pub fn full(&self) -> String {
        hex::encode(self.0)
    }

    /// Whether what a person typed is this fingerprint, short or full: case, spaces and
    /// hyphens are ignored. An empty or partial string never matches.
    pub fn matches(&self, typed: &str) -> bool {
        let norm: String = typed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let full = self.full();
        norm.len() == 32 && full.starts_with(&norm) || norm == full
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

pub(crate) fn check_rfc3339(t: OffsetDateTime) -> Result<(), Error> {
    t.format(&Rfc3339).map(|_| ()).map_err(|_| Error::Timestamp)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    /// Key files in tests use scrypt N = 2^4 so a run costs microseconds, not a second.
    pub(crate) const TEST_WORK_FACTOR: u8 = 4;

    pub(crate) fn keys() -> DeviceSecretKeys {
        DeviceSecretKeys::generate(datetime!(2025-04-01 09:00:00 +09:00)).unwrap()
    }

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn key_file_round_trips() {
        let k = keys();
        let file = k
            .to_protected_bytes_with_work_factor(&pass("正しい馬 battery staple"), TEST_WORK_FACTOR)
            .unwrap();
        assert!(file.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        let back = DeviceSecretKeys::from_protected_bytes(&file, &pass("正しい馬 battery staple"))
            .unwrap();
        assert_eq!(back.public(), k.public());
        assert_eq!(back.key_id(), k.key_id());
        // The restored signing key signs like the original (Ed25519 is deterministic).
        assert_eq!(back.sign(b"m"), k.sign(b"m"));
        // And the restored identity decrypts what was encrypted to the original.
        let ct = age::encrypt(k.public().recipient(), b"hello").unwrap();
        assert_eq!(age::decrypt(back.identity(), &ct).unwrap(), b"hello");
    }

    #[test]
    fn wrong_passphrase_is_a_clear_error() {
        let k = keys();
        let file = k
            .to_protected_bytes_with_work_factor(&pass("right"), TEST_WORK_FACTOR)
            .unwrap();
        let e = DeviceSecretKeys::from_protected_bytes(&file, &pass("wrong")).unwrap_err();
        assert_eq!(e, Error::WrongPassphrase);
        assert!(e.to_string().contains("パスフレーズが違います"));
    }

    #[test]
    fn key_file_that_is_not_one_is_refused() {
        let k = keys();
        // Encrypted to a recipient, not a passphrase.
        let ct = age::encrypt(k.public().recipient(), b"x").unwrap();
        let e = DeviceSecretKeys::from_protected_bytes(&ct, &pass("p")).unwrap_err();
        assert_eq!(e.code(), "E-SEAL-002");
        // Garbage.
        let e = DeviceSecretKeys::from_protected_bytes(b"hello", &pass("p")).unwrap_err();
        assert_eq!(e.code(), "E-SEAL-002");
        // Passphrase-encrypted but not our text inside.
        let mut r = age::scrypt::Recipient::new(pass("p"));
        r.set_work_factor(TEST_WORK_FACTOR);
        let ct = age::encrypt(&r, b"tsunagu-device-key-v1\nage x\n").unwrap();
        let e = DeviceSecretKeys::from_protected_bytes(&ct, &pass("p")).unwrap_err();
        assert_eq!(e.code(), "E-SEAL-002");
    }

    #[test]
    fn key_file_with_excessive_work_factor_is_refused_before_the_work() {
        let k = keys();
        // Forge the header's work factor: the MAC would fail later, but the bound is checked
        // before any scrypt runs, which is what protects the desk from a hostile file.
        let file = k
            .to_protected_bytes_with_work_factor(&pass("p"), TEST_WORK_FACTOR)
            .unwrap();
        let mut binary = Vec::new();
        age::armor::ArmoredReader::new(&file[..])
            .read_to_end(&mut binary)
            .unwrap();
        let text = String::from_utf8_lossy(&binary).into_owned();
        let forged = text.replacen(" 4\n", " 40\n", 1);
        assert_ne!(forged, text);
        let e = DeviceSecretKeys::from_protected_bytes(forged.as_bytes(), &pass("p")).unwrap_err();
        assert_eq!(
            e,
            Error::KeyFileTooExpensive {
                required: 40,
                max: KEY_FILE_MAX_WORK_FACTOR
            }
        );
    }

    #[test]
    fn key_file_plaintext_parser_is_strict() {
        let k = keys();
        let good = k.key_file_plaintext();
        assert!(DeviceSecretKeys::parse_key_file_plaintext(good.as_bytes()).is_ok());
        let variants = [
            good.replacen("tsunagu-device-key-v1", "tsunagu-device-key-v2", 1),
            good.trim_end().to_string(),
            format!("{}extra 1\n", good.as_str()),
            good.replacen("created_at ", "created_at  ", 1),
            good.replacen("\nage ", "\nAGE ", 1),
            good.replacen("ed25519 ", "ed25519 A", 1),
        ];
        for v in variants {
            assert!(
                DeviceSecretKeys::parse_key_file_plaintext(v.as_bytes()).is_err(),
                "{v}"
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        let k = keys();
        let dbg = format!("{k:?}");
        assert!(dbg.contains(k.key_id()));
        assert!(!dbg.contains("AGE-SECRET-KEY"));
        let seed_hex = hex::encode(k.signing.to_bytes());
        assert!(!dbg.contains(&seed_hex));
    }

    #[test]
    fn public_keys_serde_round_trip_and_check_key_id() {
        let k = keys();
        let json = serde_json::to_string(k.public()).unwrap();
        assert!(json.starts_with("{\"age_recipient\":\"age1"), "{json}");
        assert!(json.contains("\"created_at\":\"2025-04-01T09:00:00+09:00\""));
        let back: DevicePublicKeys = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, k.public());

        // A directory that lies about key_id, or swaps one key, is caught on parse.
        let other = keys();
        let lied = json.replace(k.key_id(), other.key_id());
        assert!(serde_json::from_str::<DevicePublicKeys>(&lied).is_err());
        let swapped = json.replace(
            &k.public().verify_key_hex(),
            &other.public().verify_key_hex(),
        );
        assert!(serde_json::from_str::<DevicePublicKeys>(&swapped).is_err());
        let upper = json.replace(
            &k.public().verify_key_hex(),
            &k.public().verify_key_hex().to_uppercase(),
        );
        assert!(serde_json::from_str::<DevicePublicKeys>(&upper).is_err());
        let extra = json.replacen('{', "{\"x\":1,", 1);
        assert!(serde_json::from_str::<DevicePublicKeys>(&extra).is_err());
    }

    #[test]
    fn small_order_verify_key_is_refused() {
        // The identity point (y = 1) is of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let k = keys();
        let e = DevicePublicKeys::from_parts(
            &k.public().age_recipient(),
            &hex::encode(identity),
            k.public().created_at(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "E-SEAL-004");
    }

    #[test]
    fn fingerprint_forms() {
        let k = keys();
        let fp = k.public().fingerprint();
        let short = fp.short();
        assert_eq!(short.len(), 8 * 4 + 7);
        assert!(
            short
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('A'..='F').contains(&c))
        );
        assert_eq!(fp.full().len(), 64);
        assert_eq!(k.key_id(), &fp.full()[..32]);
        assert!(fp.matches(&short));
        assert!(fp.matches(&short.to_lowercase().replace('-', " ")));
        assert!(fp.matches(&fp.full()));
        assert!(!fp.matches(""));
        assert!(!fp.matches(&short[..9]));
        assert!(!keys().public().fingerprint().matches(&short));
        // Stable: the same keys give the same fingerprint regardless of created_at.
        let again = DevicePublicKeys::from_parts(
            &k.public().age_recipient(),
            &k.public().verify_key_hex(),
            time::macros::datetime!(2030-01-01 00:00:00 UTC),
        )
        .unwrap();
        assert_eq!(again.fingerprint(), fp);
        assert_eq!(again.key_id(), k.key_id());
    }

    #[test]
    fn fingerprint_known_answer() {
        // Pins the canonical encoding: recomputed by hand from the documented layout.
        let k = keys();
        let mut h = Sha256::new();
        h.update(b"tsunagu-device-keys-v1\0");
        h.update([0u8, 62]);
        h.update(k.public().age_recipient().as_bytes());
        h.update(hex::decode(k.public().verify_key_hex()).unwrap());
        assert_eq!(hex::encode(h.finalize()), k.public().fingerprint().full());
    }

    proptest::proptest! {
        #[test]
        fn key_file_readers_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            // Arbitrary bytes never reach scrypt (no valid age header), so this stays fast.
            let _ = DeviceSecretKeys::from_protected_bytes(&bytes, &pass("p"));
            let _ = DeviceSecretKeys::parse_key_file_plaintext(&bytes);
            let mut framed = b"tsunagu-device-key-v1\ncreated_at ".to_vec();
            framed.extend_from_slice(&bytes);
            let _ = DeviceSecretKeys::parse_key_file_plaintext(&framed);
        }

        #[test]
        fn public_keys_parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = serde_json::from_slice::<DevicePublicKeys>(&bytes);
        }

        #[test]
        fn public_keys_fields_never_panic(r in ".{0,80}", v in "[0-9a-f]{64}|.{0,70}") {
            let t = time::macros::datetime!(2025-04-01 09:00:00 +09:00);
            let _ = DevicePublicKeys::from_parts(&r, &v, t);
        }
    }

    #[test]
    fn timestamps_outside_rfc3339_are_refused() {
        // RFC 3339 has no room for an offset with seconds.
        let far = datetime!(2025-04-01 09:00:00 +09:00:30);
        assert_eq!(
            DeviceSecretKeys::generate(far).unwrap_err(),
            Error::Timestamp
        );
    }
}
