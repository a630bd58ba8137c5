//! Sealing a send unit into an envelope (sign, then encrypt) and opening one (decrypt, verify,
//! check against the clear routing metadata, check every file).

use std::collections::HashSet;
use std::fmt;
use std::io::{Read, Write};

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_standard::OfficeId;
use zeroize::Zeroizing;

use crate::FORMAT_VERSION;
use crate::error::Error;
use crate::keys::{DevicePublicKeys, DeviceSecretKeys, check_rfc3339};
use crate::manifest::{Manifest, ManifestFile, is_sha256_hex, verify_manifest};
use crate::unit::{
    MAX_FILES, ServiceMonth, UnitId, canonical_kinds, check_file_names, is_canonical_kinds,
};

/// First bytes of every envelope plaintext (docs/envelope.md §5).
const PLAINTEXT_MAGIC: &[u8; 20] = b"tsunagu-envelope-v1\0";
const SIGNATURE_LEN: usize = 64;

/// What the sender says about a send unit, besides its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHeader {
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: UnitId,
    /// The caller's clock; this crate never reads one.
    pub created_at: OffsetDateTime,
    /// Standard-file kinds in the unit (`UPPLAN`, `UPJSK`, …), any order; sealing sorts and
    /// de-duplicates them.
    pub kinds: Vec<String>,
    pub service_month: Option<ServiceMonth>,
}

/// A sealed send unit: the ciphertext and the clear metadata the hub stores and routes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub ciphertext: Vec<u8>,
    pub routing: RoutingMetadata,
}

/// What the hub sees of an envelope, in the clear. Everything but `size` and
/// `ciphertext_sha256` is repeated inside the signed manifest, and `open` refuses an envelope
/// whose routing differs from it; `size` and `ciphertext_sha256` are checked against the
/// ciphertext itself. Deserializing checks each field's shape (unknown fields are refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RoutingWire")]
pub struct RoutingMetadata {
    pub format_version: u32,
    pub sender: OfficeId,
    pub recipient: OfficeId,
    pub unit_id: UnitId,
    pub kinds: Vec<String>,
    pub service_month: Option<ServiceMonth>,
    /// Length of the ciphertext in bytes.
    pub size: u64,
    /// SHA-256 of the ciphertext, lower-case hex.
    pub ciphertext_sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingWire {
    format_version: u32,
    sender: OfficeId,
    recipient: OfficeId,
    unit_id: UnitId,
    kinds: Vec<String>,
    service_month: Option<ServiceMonth>,
    size: u64,
    ciphertext_sha256: String,
}

impl TryFrom<RoutingWire> for RoutingMetadata {
    type Error = String;
    fn try_from(w: RoutingWire) -> Result<Self, String> {
        if w.format_version == 0 {
            return Err("format_version は1以上です".into());
        }
        if w.sender == w.recipient {
            return Err("送信元と送信先が同じです".into());
        }
        if !is_canonical_kinds(&w.kinds) {
            return Err("kinds は英大文字数字の整列済み・重複なしの一覧です".into());
        }
        if !is_sha256_hex(&w.ciphertext_sha256) {
            return Err("ciphertext_sha256 は小文字16進64桁です".into());
        }
        Ok(Self {
            format_version: w.format_version,
            sender: w.sender,
            recipient: w.recipient,
            unit_id: w.unit_id,
            kinds: w.kinds,
            service_month: w.service_month,
            size: w.size,
            ciphertext_sha256: w.ciphertext_sha256,
        })
    }
}

/// Routing metadata as JSON is at most this long; real ones are ~300 bytes.
const MAX_ROUTING_BYTES: usize = 16 * 1024;

impl RoutingMetadata {
    /// Strict parser for routing metadata as JSON (shape only; nothing is verified until
    /// `open`). Never panics; safe to fuzz.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_ROUTING_BYTES {
            return Err(Error::RoutingMalformed {
                detail: "16 KiB を超えています".into(),
            });
        }
        serde_json::from_slice(bytes).map_err(|e| Error::RoutingMalformed {
            detail: crate::error::clip(&e.to_string()),
        })
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serializing plain strings and integers into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether `ciphertext` is the one this metadata describes (size, then SHA-256). The hub
    /// runs this on upload; `open` runs it first.
    pub fn check_ciphertext(&self, ciphertext: &[u8]) -> Result<(), Error> {
        let actual = ciphertext.len() as u64;
        if actual != self.size {
            return Err(Error::SizeMismatch {
                expected: self.size,
                actual,
            });
        }
        if hex::encode(Sha256::digest(ciphertext)) != self.ciphertext_sha256 {
            return Err(Error::CiphertextHashMismatch);
        }
        Ok(())
    }
}

/// An opened, fully verified send unit: the manifest and the files' original bytes, in the
/// manifest's order. `Debug` shows names and sizes only: the bytes are personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedUnit {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
}

impl fmt::Debug for OpenedUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedUnit")
            .field("manifest", &self.manifest)
            .field("files", &FileSizes(&self.files))
            .finish()
    }
}

/// `[("name", "123 bytes"), …]` for Debug output.
struct FileSizes<'a>(&'a [(String, Vec<u8>)]);

impl fmt::Debug for FileSizes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(n, b)| (n, format!("{} bytes", b.len()))),
            )
            .finish()
    }
}

/// Seals a send unit: signs a manifest of `files` with `sender`'s device key, then encrypts
/// manifest, signature and files with age to every key in `recipients`.
///
/// `recipients` should be every device of the recipient office **and** of the sender office
/// (so the sender's other devices can read what was sent); duplicates are dropped. File names
/// must be unique (ignoring case) and plain names (see docs/envelope.md §4); bytes are sent
/// exactly as given.
pub fn seal(
    files: &[(String, Vec<u8>)],
    unit: &UnitHeader,
    sender: &DeviceSecretKeys,
    recipients: &[DevicePublicKeys],
) -> Result<Envelope, Error> {
    if unit.sender == unit.recipient {
        return Err(Error::SameOffice(unit.sender.to_string()));
    }
    if files.is_empty() {
        return Err(Error::NoFiles);
    }
    if files.len() > MAX_FILES {
        return Err(Error::TooManyFiles {
            count: files.len(),
            max: MAX_FILES,
        });
    }
    check_file_names(files.iter().map(|(name, _)| name.as_str()))?;
    let kinds = canonical_kinds(&unit.kinds)?;
    check_rfc3339(unit.created_at)?;

    let mut seen = HashSet::new();
    let recipients: Vec<&DevicePublicKeys> = recipients
        .iter()
        .filter(|r| seen.insert(r.key_id().to_string()))
        .collect();
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        sender: unit.sender,
        recipient: unit.recipient,
        unit_id: unit.unit_id.clone(),
        created_at: unit.created_at,
        kinds: kinds.clone(),
        service_month: unit.service_month.clone(),
        files: files
            .iter()
            .map(|(name, bytes)| ManifestFile::describe(name, bytes))
            .collect(),
        sender_key_id: sender.key_id().to_string(),
    };
    let (manifest_bytes, signature) = manifest.sign(sender)?;
    let plaintext = Zeroizing::new(frame_plaintext(&manifest_bytes, &signature, files)?);

    let encryptor = age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r.recipient() as &dyn age::Recipient),
    )
    .map_err(|_| Error::Encrypt {
        detail: "age の宛先",
    })?;
    let mut ciphertext = Vec::with_capacity(plaintext.len() + 1024);
    let mut writer = encryptor
        .wrap_output(&mut ciphertext)
        .map_err(|_| Error::Encrypt {
            detail: "age ヘッダー",
        })?;
    writer
        .write_all(&plaintext)
        .and_then(|()| writer.finish().map(|_| ()))
        .map_err(|_| Error::Encrypt {
            detail: "age 本文"
        })?;

    let routing = RoutingMetadata {
        format_version: FORMAT_VERSION,
        sender: unit.sender,
        recipient: unit.recipient,
        unit_id: unit.unit_id.clone(),
        kinds,
        service_month: unit.service_month.clone(),
        size: ciphertext.len() as u64,
        ciphertext_sha256: hex::encode(Sha256::digest(&ciphertext)),
    };
    Ok(Envelope {
        ciphertext,
        routing,
    })
}

/// Opens an envelope addressed to `my_office`, as one of its devices (`me`).
///
/// `trusted_sender_keys` are the keys this desk has pinned for the office named in
/// `routing.sender` — only that office's keys: the signature is checked against them and then
/// the signed sender is required to equal `routing.sender`. The checks run in the order of the
/// error codes E-SEAL-201 … 213 (docs/envelope.md §8); the first failure is returned.
///
/// Replays are not detected here: the same envelope opens twice. The hub stores a unit id once
/// per (sender, recipient) and the desk must remember the unit ids it has imported.
pub fn open(
    ciphertext: &[u8],
    routing: &RoutingMetadata,
    me: &DeviceSecretKeys,
    my_office: OfficeId,
    trusted_sender_keys: &[DevicePublicKeys],
) -> Result<OpenedUnit, Error> {
    open_as(
        Side::Recipient,
        ciphertext,
        routing,
        me,
        my_office,
        trusted_sender_keys,
    )
}

/// Opens a copy of an envelope that `my_office` itself sent (sealing encrypts to the sender
/// office's devices too): the same checks as [`open`], except that the signed *sender* must be
/// `my_office` (E-SEAL-214) and the signature must be by one of `my_office_keys`.
pub fn open_sent_copy(
    ciphertext: &[u8],
    routing: &RoutingMetadata,
    me: &DeviceSecretKeys,
    my_office: OfficeId,
    my_office_keys: &[DevicePublicKeys],
) -> Result<OpenedUnit, Error> {
    open_as(
        Side::Sender,
        ciphertext,
        routing,
        me,
        my_office,
        my_office_keys,
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Recipient,
    Sender,
}

fn open_as(
    side: Side,
    ciphertext: &[u8],
    routing: &RoutingMetadata,
    me: &DeviceSecretKeys,
    my_office: OfficeId,
    trusted: &[DevicePublicKeys],
) -> Result<OpenedUnit, Error> {
    // 201: a version we cannot read.
    if routing.format_version != FORMAT_VERSION {
        return Err(Error::UnsupportedFormat {
            version: routing.format_version,
        });
    }
    // 202, 203: the bytes are the ones the routing metadata describes.
    routing.check_ciphertext(ciphertext)?;
    // 210 / 214 early, on the clear metadata, for a clear message before any decryption;
    // repeated below on the signed manifest, which is what actually counts.
    check_side(side, routing.sender, routing.recipient, my_office)?;

    // 204, 205: decrypt. Envelopes are binary age (no armor), decrypted in memory; the
    // plaintext is never longer than the ciphertext, so this allocates at most `size`.
    let decryptor = age::Decryptor::new_buffered(ciphertext).map_err(|e| decrypt_error(&e))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(me.identity() as &dyn age::Identity))
        .map_err(|e| decrypt_error(&e))?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader
        .read_to_end(&mut plaintext)
        .map_err(|_| Error::CiphertextCorrupt {
            detail: "本文の認証に失敗しました",
        })?;

    // 206, 207: strict parsing.
    let parts = parse_plaintext(&plaintext)?;
    let manifest = Manifest::from_canonical_bytes(parts.manifest)?;

    // 208, 209: the signature, by a pinned key of the sending office.
    let key = trusted
        .iter()
        .find(|k| k.key_id() == manifest.sender_key_id)
        .ok_or_else(|| Error::UnknownSenderKey {
            key_id: manifest.sender_key_id.clone(),
        })?;
    if !verify_manifest(parts.manifest, &parts.signature, key.verifying_key()) {
        return Err(Error::BadSignature);
    }

    // 210 / 214: the signed addressee (or sender, for a sent copy) is this office.
    check_side(side, manifest.sender, manifest.recipient, my_office)?;

    // 211: the clear metadata says what the signed manifest says.
    let mismatch = |field| Err(Error::RoutingMismatch { field });
    if manifest.format_version != routing.format_version {
        return mismatch("format_version");
    }
    if manifest.sender != routing.sender {
        return mismatch("sender");
    }
    if manifest.recipient != routing.recipient {
        return mismatch("recipient");
    }
    if manifest.unit_id != routing.unit_id {
        return mismatch("unit_id");
    }
    if manifest.kinds != routing.kinds {
        return mismatch("kinds");
    }
    if manifest.service_month != routing.service_month {
        return mismatch("service_month");
    }

    // 206 (framing), 212, 213: every file is the one the manifest describes.
    if parts.files.len() != manifest.files.len() {
        return Err(Error::PlaintextMalformed {
            detail: "ファイル数が一覧と一致しません",
        });
    }
    let mut files = Vec::with_capacity(parts.files.len());
    for (entry, bytes) in manifest.files.iter().zip(&parts.files) {
        if bytes.len() as u64 != entry.size {
            return Err(Error::FileSizeMismatch {
                name: entry.name.clone(),
            });
        }
        if hex::encode(Sha256::digest(bytes)) != entry.sha256 {
            return Err(Error::FileHashMismatch {
                name: entry.name.clone(),
            });
        }
        files.push((entry.name.clone(), bytes.to_vec()));
    }
    Ok(OpenedUnit { manifest, files })
}

fn check_side(
    side: Side,
    sender: OfficeId,
    recipient: OfficeId,
    my_office: OfficeId,
) -> Result<(), Error> {
    match side {
        Side::Recipient if recipient != my_office => Err(Error::WrongRecipient {
            recipient: recipient.to_string(),
            me: my_office.to_string(),
        }),
        Side::Sender if sender != my_office => Err(Error::NotOwnSend {
            sender: sender.to_string(),
            me: my_office.to_string(),
        }),
        _ => Ok(()),
    }
}

fn decrypt_error(e: &age::DecryptError) -> Error {
    match e {
        age::DecryptError::NoMatchingKeys => Error::NotForThisDevice,
        age::DecryptError::InvalidMac => Error::CiphertextCorrupt {
            detail: "ヘッダーの認証に失敗しました",
        },
        age::DecryptError::UnknownFormat => Error::CiphertextCorrupt {
            detail: "age 形式ではありません",
        },
        _ => Error::CiphertextCorrupt {
            detail: "ヘッダーが正しくありません",
        },
    }
}

/// The envelope plaintext split into its parts, borrowing from the input. `Debug` shows
/// file sizes only.
#[derive(Clone, PartialEq, Eq)]
pub struct PlaintextParts<'a> {
    pub manifest: &'a [u8],
    pub signature: Signature,
    pub files: Vec<&'a [u8]>,
}

impl fmt::Debug for PlaintextParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaintextParts")
            .field("manifest_len", &self.manifest.len())
            .field("signature", &self.signature)
            .field(
                "file_lens",
                &self.files.iter().map(|b| b.len()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Frames the plaintext (docs/envelope.md §5):
/// `magic(20) ‖ u32be len ‖ manifest ‖ u32be 64 ‖ signature ‖ u32be count ‖ (u64be len ‖ file)*`.
fn frame_plaintext(
    manifest: &[u8],
    signature: &Signature,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, Error> {
    let total = PLAINTEXT_MAGIC.len()
        + 4
        + manifest.len()
        + 4
        + SIGNATURE_LEN
        + 4
        + files.iter().map(|(_, b)| 8 + b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(PLAINTEXT_MAGIC);
    // Both lengths are bounded far below u32::MAX (manifest ≤ MAX_MANIFEST_BYTES in practice,
    // at most MAX_FILES files), but refuse rather than truncate if that ever changes.
    let too_big = || Error::Encrypt {
        detail: "マニフェストが大きすぎます",
    };
    out.extend_from_slice(
        &u32::try_from(manifest.len())
            .map_err(|_| too_big())?
            .to_be_bytes(),
    );
    out.extend_from_slice(manifest);
    out.extend_from_slice(&(SIGNATURE_LEN as u32).to_be_bytes());
    out.extend_from_slice(&signature.to_bytes());
    out.extend_from_slice(
        &u32::try_from(files.len())
            .map_err(|_| too_big())?
            .to_be_bytes(),
    );
    for (_, bytes) in files {
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Strict parser for an envelope plaintext. Every length is checked against the bytes that
/// remain before anything is sliced or allocated, so a forged length costs nothing; trailing
/// bytes are refused. Never panics; safe to fuzz.
pub fn parse_plaintext(bytes: &[u8]) -> Result<PlaintextParts<'_>, Error> {
    let mut r = Reader { rest: bytes };
    if r.take(PLAINTEXT_MAGIC.len(), "先頭の識別子がありません")? != PLAINTEXT_MAGIC {
        return Err(Error::PlaintextMalformed {
            detail: "先頭の識別子が違います",
        });
    }
    let manifest_len = r.u32("マニフェスト長")? as usize;
    if manifest_len > crate::manifest::MAX_MANIFEST_BYTES {
        return Err(Error::PlaintextMalformed {
            detail: "マニフェストが大きすぎます",
        });
    }
    let manifest = r.take(manifest_len, "マニフェストが途中で切れています")?;
    if r.u32("署名長")? as usize != SIGNATURE_LEN {
        return Err(Error::PlaintextMalformed {
            detail: "署名の長さが64バイトではありません",
        });
    }
    let sig: [u8; SIGNATURE_LEN] = r
        .take(SIGNATURE_LEN, "署名が途中で切れています")?
        .try_into()
        .map_err(|_| Error::PlaintextMalformed { detail: "署名" })?;
    let count = r.u32("ファイル数")? as usize;
    if count == 0 || count > MAX_FILES {
        return Err(Error::PlaintextMalformed {
            detail: "ファイル数が範囲外です",
        });
    }
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        let len = r.u64("ファイル長")?;
        let len = usize::try_from(len).map_err(|_| Error::PlaintextMalformed {
            detail: "ファイルが途中で切れています",
        })?;
        files.push(r.take(len, "ファイルが途中で切れています")?);
    }
    if !r.rest.is_empty() {
        return Err(Error::PlaintextMalformed {
            detail: "末尾に余分なデータがあります",
        });
    }
    Ok(PlaintextParts {
        manifest,
        signature: Signature::from_bytes(&sig),
        files,
    })
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        if n > self.rest.len() {
            return Err(Error::PlaintextMalformed { detail: what });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::keys;
    use proptest::prelude::*;
    use std::sync::OnceLock;
    use time::macros::datetime;

    fn office(s: &str) -> OfficeId {
        OfficeId::parse(s).unwrap()
    }

    /// Care-manager office A sends to service office B; C is a third office.
    struct Fixture {
        a: OfficeId,
        b: OfficeId,
        c: OfficeId,
        a1: DeviceSecretKeys,
        a2: DeviceSecretKeys,
        b1: DeviceSecretKeys,
        b2: DeviceSecretKeys,
        c1: DeviceSecretKeys,
        files: Vec<(String, Vec<u8>)>,
        unit: UnitHeader,
        env: Envelope,
        /// A small unit (one short file) for the many-case property tests: the big fixture
        /// costs ~40 ms per decryption in a debug build.
        small: Envelope,
    }

    impl Fixture {
        fn a_keys(&self) -> Vec<DevicePublicKeys> {
            vec![self.a1.public().clone(), self.a2.public().clone()]
        }
        fn open_b1(&self, ct: &[u8], routing: &RoutingMetadata) -> Result<OpenedUnit, Error> {
            open(ct, routing, &self.b1, self.b, &self.a_keys())
        }
    }

    fn sample_files() -> Vec<(String, Vec<u8>)> {
        // Shift_JIS bytes as the care software writes them ("ｹｱﾌﾟﾗﾝ,介護" and CRLF), a
        // file crossing age's 64 KiB chunk size, and an empty file.
        let cp932 = b"\xb9\xb1\xcc\xdf\xd7\xdd,\x89\xee\x8c\xec\r\n".to_vec();
        let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        vec![
            (
                "UPPLAN_202504_0300000100_43_0300000005_11_20250401120000.CSV".into(),
                cp932,
            ),
            (
                "UPJSK_202504_0300000100_43_0300000005_11_20250401120000.CSV".into(),
                big,
            ),
            (
                "UPHOSOKU_0300000100_43_0300000005_11_20250401120000.CSV".into(),
                Vec::new(),
            ),
        ]
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let (a, b, c) = (
                office("0300000100_43"),
                office("0300000005_11"),
                office("0300000200_11"),
            );
            let (a1, a2, b1, b2, c1) = (keys(), keys(), keys(), keys(), keys());
            let files = sample_files();
            let unit = UnitHeader {
                sender: a,
                recipient: b,
                unit_id: UnitId::parse("20250401120000").unwrap(),
                created_at: datetime!(2025-04-01 12:00:00 +09:00),
                kinds: vec!["UPPLAN".into(), "UPJSK".into(), "UPHOSOKU".into()],
                service_month: Some(ServiceMonth::parse("202504").unwrap()),
            };
            // Every device of B and of A (including the sending device itself).
            let recipients = [
                b1.public().clone(),
                b2.public().clone(),
                a1.public().clone(),
                a2.public().clone(),
            ];
            let env = seal(&files, &unit, &a1, &recipients).unwrap();
            let small_files = vec![(files[0].0.clone(), files[0].1.clone())];
            let small = seal(&small_files, &unit, &a1, &recipients).unwrap();
            Fixture {
                a,
                b,
                c,
                a1,
                a2,
                b1,
                b2,
                c1,
                files,
                unit,
                env,
                small,
            }
        })
    }

    /// Encrypts any plaintext to `to` with correct routing, as anyone who knows a public
    /// recipient can (age has no sender authentication): the signature must catch it.
    fn forge(plaintext: &[u8], routing: &RoutingMetadata, to: &DeviceSecretKeys) -> Envelope {
        let ciphertext = age::encrypt(to.public().recipient(), plaintext).unwrap();
        let mut routing = routing.clone();
        routing.size = ciphertext.len() as u64;
        routing.ciphertext_sha256 = hex::encode(Sha256::digest(&ciphertext));
        Envelope {
            ciphertext,
            routing,
        }
    }

    fn genuine_plaintext(f: &Fixture) -> Vec<u8> {
        plaintext_of(&f.env, &f.b1)
    }

    fn plaintext_of(env: &Envelope, me: &DeviceSecretKeys) -> Vec<u8> {
        let d = age::Decryptor::new_buffered(&env.ciphertext[..]).unwrap();
        let mut r = d
            .decrypt(std::iter::once(me.identity() as &dyn age::Identity))
            .unwrap();
        let mut pt = Vec::new();
        r.read_to_end(&mut pt).unwrap();
        pt
    }

    fn code(r: Result<OpenedUnit, Error>) -> &'static str {
        match r {
            Ok(_) => "opened",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn every_recipient_device_opens_the_same_unit() {
        let f = fixture();
        for dev in [&f.b1, &f.b2] {
            let u = open(&f.env.ciphertext, &f.env.routing, dev, f.b, &f.a_keys()).unwrap();
            assert_eq!(u.files, f.files);
            assert_eq!(u.manifest.sender, f.a);
            assert_eq!(u.manifest.recipient, f.b);
            assert_eq!(u.manifest.sender_key_id, f.a1.key_id());
            assert_eq!(u.manifest.kinds, vec!["UPHOSOKU", "UPJSK", "UPPLAN"]);
            assert_eq!(u.manifest.files[2].size, 0);
        }
        // The sending office's devices read their sent copy.
        for dev in [&f.a1, &f.a2] {
            let u =
                open_sent_copy(&f.env.ciphertext, &f.env.routing, dev, f.a, &f.a_keys()).unwrap();
            assert_eq!(u.files, f.files);
        }
    }

    #[test]
    fn routing_metadata_describes_the_envelope() {
        let f = fixture();
        let r = &f.env.routing;
        assert_eq!(r.format_version, 1);
        assert_eq!((r.sender, r.recipient), (f.a, f.b));
        assert_eq!(r.unit_id.as_str(), "20250401120000");
        assert_eq!(r.kinds, vec!["UPHOSOKU", "UPJSK", "UPPLAN"]);
        assert_eq!(r.size, f.env.ciphertext.len() as u64);
        assert!(r.check_ciphertext(&f.env.ciphertext).is_ok());
        // Nothing of the contents is visible in the ciphertext.
        let needle = &f.files[0].1[..6];
        assert!(!f.env.ciphertext.windows(needle.len()).any(|w| w == needle));
        assert!(!f.env.ciphertext.windows(6).any(|w| w == b"UPPLAN"));

        let json = r.to_json_bytes();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.starts_with(
                r#"{"format_version":1,"sender":"0300000100_43","recipient":"0300000005_11","unit_id":"20250401120000","kinds":["UPHOSOKU","UPJSK","UPPLAN"],"service_month":"202504","size":"#
            ),
            "{text}"
        );
        assert_eq!(&RoutingMetadata::from_json_bytes(&json).unwrap(), r);
        for bad in [
            text.replacen('{', "{\"x\":1,", 1),
            text.replace(&r.ciphertext_sha256, &r.ciphertext_sha256.to_uppercase()),
            text.replace("[\"UPHOSOKU\",\"UPJSK\"", "[\"UPJSK\",\"UPHOSOKU\""),
            text.replace(
                "\"recipient\":\"0300000005_11\"",
                "\"recipient\":\"0300000100_43\"",
            ),
            text.replace("20250401120000", "2025040112"),
        ] {
            assert_eq!(
                RoutingMetadata::from_json_bytes(bad.as_bytes())
                    .unwrap_err()
                    .code(),
                "E-SEAL-200",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_device_not_among_the_recipients_cannot_open() {
        let f = fixture();
        // A device B added after sealing, or a device of a third office pretending to be B.
        let late = keys();
        assert_eq!(
            code(open(
                &f.env.ciphertext,
                &f.env.routing,
                &late,
                f.b,
                &f.a_keys()
            )),
            "E-SEAL-204"
        );
        assert_eq!(
            code(open(
                &f.env.ciphertext,
                &f.env.routing,
                &f.c1,
                f.b,
                &f.a_keys()
            )),
            "E-SEAL-204"
        );
        // C as itself: the envelope is not addressed to C.
        assert_eq!(
            code(open(
                &f.env.ciphertext,
                &f.env.routing,
                &f.c1,
                f.c,
                &f.a_keys()
            )),
            "E-SEAL-210"
        );
    }

    #[test]
    fn each_routing_field_is_checked() {
        let f = fixture();
        let ct = &f.env.ciphertext;
        let changed = |edit: &dyn Fn(&mut RoutingMetadata)| {
            let mut r = f.env.routing.clone();
            edit(&mut r);
            r
        };
        let cases: Vec<(&str, RoutingMetadata)> = vec![
            ("E-SEAL-201", changed(&|r| r.format_version = 2)),
            ("E-SEAL-202", changed(&|r| r.size += 1)),
            (
                "E-SEAL-203",
                changed(&|r| r.ciphertext_sha256 = "0".repeat(64)),
            ),
            ("E-SEAL-210", changed(&|r| r.recipient = f.c)),
            ("E-SEAL-211", changed(&|r| r.sender = f.c)),
            (
                "E-SEAL-211",
                changed(&|r| r.unit_id = UnitId::parse("20250401120001").unwrap()),
            ),
            (
                "E-SEAL-211",
                changed(&|r| r.kinds.pop().map(|_| ()).unwrap_or(())),
            ),
            ("E-SEAL-211", changed(&|r| r.kinds = vec!["UPKIHON".into()])),
            ("E-SEAL-211", changed(&|r| r.service_month = None)),
            (
                "E-SEAL-211",
                changed(&|r| r.service_month = Some(ServiceMonth::parse("202505").unwrap())),
            ),
        ];
        for (want, routing) in cases {
            assert_eq!(code(f.open_b1(ct, &routing)), want, "{routing:?}");
        }
        // The field named is the one that differs.
        let r = changed(&|r| r.unit_id = UnitId::parse("20250401120001").unwrap());
        assert_eq!(
            f.open_b1(ct, &r).unwrap_err(),
            Error::RoutingMismatch { field: "unit_id" }
        );
        // A desk that looks up pinned keys by the (forged) routing sender finds no key that
        // signed this manifest.
        let r = changed(&|r| r.sender = f.c);
        assert_eq!(
            code(open(ct, &r, &f.b1, f.b, &[f.c1.public().clone()])),
            "E-SEAL-208"
        );
    }

    #[test]
    fn rerouted_envelope_fails_for_the_new_recipient() {
        let f = fixture();
        // The hub re-routes A→B's envelope to C, rewriting the clear recipient.
        let mut r = f.env.routing.clone();
        r.recipient = f.c;
        assert_eq!(
            code(open(&f.env.ciphertext, &r, &f.c1, f.c, &f.a_keys())),
            "E-SEAL-204"
        );
    }

    #[test]
    fn forwarded_unit_fails_on_the_signed_recipient() {
        // B decrypts A's unit and re-encrypts the signed plaintext to C, with routing that
        // names C: the signature is genuine, but it names B as recipient.
        let f = fixture();
        let mut r = f.env.routing.clone();
        r.recipient = f.c;
        let fwd = forge(&genuine_plaintext(f), &r, &f.c1);
        let e = open(&fwd.ciphertext, &fwd.routing, &f.c1, f.c, &f.a_keys()).unwrap_err();
        assert_eq!(
            e,
            Error::WrongRecipient {
                recipient: "0300000005_11".into(),
                me: "0300000200_11".into()
            }
        );
    }

    #[test]
    fn swapped_sender_key_is_not_trusted() {
        // The hub swaps A's directory entry for its own key and seals as "A". B has A's real
        // keys pinned, so the manifest's key id is unknown.
        let f = fixture();
        let mallory = keys();
        let env = seal(&f.files, &f.unit, &mallory, &[f.b1.public().clone()]).unwrap();
        let e = f.open_b1(&env.ciphertext, &env.routing).unwrap_err();
        assert_eq!(
            e,
            Error::UnknownSenderKey {
                key_id: mallory.key_id().to_string()
            }
        );
        assert!(e.to_string().starts_with("E-SEAL-208"));
    }

    #[test]
    fn signature_by_another_trusted_key_than_named_fails() {
        // Manifest names a1's key id but is signed by a2 (both trusted): still refused.
        let f = fixture();
        let pt = genuine_plaintext(f);
        let parts = parse_plaintext(&pt).unwrap();
        let sig = f.a2.sign(&crate::manifest::signed_message(
            b"tsunagu-manifest-v1\0",
            parts.manifest,
        ));
        let files: Vec<(String, Vec<u8>)> = f.files.clone();
        let pt2 = frame_plaintext(parts.manifest, &sig, &files).unwrap();
        let env = forge(&pt2, &f.env.routing, &f.b1);
        assert_eq!(code(f.open_b1(&env.ciphertext, &env.routing)), "E-SEAL-209");
    }

    #[test]
    fn debug_output_never_shows_file_bytes() {
        let f = fixture();
        let u = f.open_b1(&f.env.ciphertext, &f.env.routing).unwrap();
        let dbg = format!("{u:?}");
        assert!(dbg.contains("70000 bytes"), "{dbg}");
        assert!(!dbg.contains("185, 177"), "{dbg}"); // the first CP932 bytes, as Debug prints them
        let pt = genuine_plaintext(f);
        let dbg = format!("{:?}", parse_plaintext(&pt).unwrap());
        assert!(dbg.contains("file_lens: [13, 70000, 0]"), "{dbg}");
    }

    #[test]
    fn replay_is_not_detected_by_open() {
        // Documented: open is stateless; the hub (unit id idempotency) and the desk (imported
        // unit ids) catch replays. Pin that behaviour so nobody relies on open for it.
        let f = fixture();
        assert!(f.open_b1(&f.env.ciphertext, &f.env.routing).is_ok());
        assert!(f.open_b1(&f.env.ciphertext, &f.env.routing).is_ok());
    }

    #[test]
    fn sent_copy_rules() {
        let f = fixture();
        // B cannot read it as its own sent copy.
        assert_eq!(
            code(open_sent_copy(
                &f.env.ciphertext,
                &f.env.routing,
                &f.b1,
                f.b,
                &[f.b1.public().clone()]
            )),
            "E-SEAL-214"
        );
        // A cannot read it as if received (it is addressed to B).
        assert_eq!(
            code(open(
                &f.env.ciphertext,
                &f.env.routing,
                &f.a1,
                f.a,
                &f.a_keys()
            )),
            "E-SEAL-210"
        );
    }

    #[test]
    fn tampered_plaintext_parts_are_caught() {
        let f = fixture();
        let pt = genuine_plaintext(f);
        let parts = parse_plaintext(&pt).unwrap();
        let sig_at = PLAINTEXT_MAGIC.len() + 4 + parts.manifest.len() + 4;
        let first_file_at = sig_at + 64 + 4 + 8;
        let reopen = |pt: &[u8]| {
            let env = forge(pt, &f.env.routing, &f.b1);
            code(f.open_b1(&env.ciphertext, &env.routing))
        };
        assert_eq!(reopen(&pt), "opened");

        let mut t = pt.clone();
        t[sig_at + 10] ^= 1;
        assert_eq!(reopen(&t), "E-SEAL-209", "signature byte");

        let mut t = pt.clone();
        t[first_file_at] ^= 1;
        assert_eq!(reopen(&t), "E-SEAL-213", "file byte");

        let mut t = pt.clone();
        t.push(0);
        assert_eq!(reopen(&t), "E-SEAL-206", "trailing byte");

        // A file shortened by one byte, with its length prefix adjusted.
        let mut files = f.files.clone();
        files[0].1.pop();
        let t = frame_plaintext(parts.manifest, &parts.signature, &files).unwrap();
        assert_eq!(reopen(&t), "E-SEAL-212", "file size");

        // One file dropped from the framing.
        let t = frame_plaintext(parts.manifest, &parts.signature, &files[..2]).unwrap();
        assert_eq!(reopen(&t), "E-SEAL-206", "file count");

        // A manifest byte changed inside a string (the unit id): parses, signature fails.
        let m = String::from_utf8(parts.manifest.to_vec()).unwrap();
        let m2 = m.replace("20250401120000", "20250401120009");
        let t = frame_plaintext(m2.as_bytes(), &parts.signature, &f.files).unwrap();
        assert_eq!(reopen(&t), "E-SEAL-209", "manifest unit id");
    }

    #[test]
    fn seal_refuses_bad_input() {
        let f = fixture();
        let r = [f.b1.public().clone()];
        let one = |name: &str| vec![(name.to_string(), b"x".to_vec())];
        let seal_code = |files: &[(String, Vec<u8>)], unit: &UnitHeader, r: &[DevicePublicKeys]| {
            seal(files, unit, &f.a1, r).unwrap_err().code()
        };
        assert_eq!(seal_code(&one("../UPPLAN.CSV"), &f.unit, &r), "E-SEAL-104");
        assert_eq!(seal_code(&one("dir/UPPLAN.CSV"), &f.unit, &r), "E-SEAL-104");
        assert_eq!(seal_code(&one("C:\\x.csv"), &f.unit, &r), "E-SEAL-104");
        assert_eq!(seal_code(&one(".."), &f.unit, &r), "E-SEAL-104");
        let dup = vec![
            ("A.CSV".to_string(), b"1".to_vec()),
            ("a.csv".to_string(), b"2".to_vec()),
        ];
        assert_eq!(seal_code(&dup, &f.unit, &r), "E-SEAL-105");
        assert_eq!(seal_code(&[], &f.unit, &r), "E-SEAL-106");
        let many: Vec<(String, Vec<u8>)> = (0..=MAX_FILES)
            .map(|i| (format!("f{i}.csv"), vec![]))
            .collect();
        assert_eq!(seal_code(&many, &f.unit, &r), "E-SEAL-107");
        assert_eq!(seal_code(&one("a.csv"), &f.unit, &[]), "E-SEAL-108");
        let mut same = f.unit.clone();
        same.recipient = same.sender;
        assert_eq!(seal_code(&one("a.csv"), &same, &r), "E-SEAL-109");
        let mut bad_kind = f.unit.clone();
        bad_kind.kinds = vec!["upplan".into()];
        assert_eq!(seal_code(&one("a.csv"), &bad_kind, &r), "E-SEAL-103");
        let mut bad_time = f.unit.clone();
        bad_time.created_at = datetime!(2025-04-01 12:00:00 +09:00:30);
        assert_eq!(seal_code(&one("a.csv"), &bad_time, &r), "E-SEAL-006");
    }

    #[test]
    fn duplicate_recipients_are_sealed_once() {
        let f = fixture();
        let one = seal(&f.files, &f.unit, &f.a1, &[f.b1.public().clone()]).unwrap();
        let twice = seal(
            &f.files,
            &f.unit,
            &f.a1,
            &[f.b1.public().clone(), f.b1.public().clone()],
        )
        .unwrap();
        // One X25519 stanza either way (age may add a random "grease" stanza, so compare
        // stanza counts, not lengths).
        let stanzas = |ct: &[u8]| {
            let header_end = ct.windows(5).position(|w| w == b"\n--- ").unwrap();
            ct[..header_end]
                .windows(10)
                .filter(|w| w == b"-> X25519 ")
                .count()
        };
        assert_eq!(stanzas(&one.ciphertext), 1);
        assert_eq!(stanzas(&twice.ciphertext), 1);
        assert_eq!(stanzas(&f.env.ciphertext), 4);
    }

    #[test]
    fn forged_lengths_cost_nothing() {
        let mut pt = PLAINTEXT_MAGIC.to_vec();
        pt.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(parse_plaintext(&pt).unwrap_err().code(), "E-SEAL-206");

        let mut pt = PLAINTEXT_MAGIC.to_vec();
        pt.extend_from_slice(&2u32.to_be_bytes());
        pt.extend_from_slice(b"{}");
        pt.extend_from_slice(&64u32.to_be_bytes());
        pt.extend_from_slice(&[0u8; 64]);
        pt.extend_from_slice(&1u32.to_be_bytes());
        pt.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(parse_plaintext(&pt).unwrap_err().code(), "E-SEAL-206");

        let mut pt = PLAINTEXT_MAGIC.to_vec();
        pt.extend_from_slice(&2u32.to_be_bytes());
        pt.extend_from_slice(b"{}");
        pt.extend_from_slice(&64u32.to_be_bytes());
        pt.extend_from_slice(&[0u8; 64]);
        pt.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(parse_plaintext(&pt).unwrap_err().code(), "E-SEAL-206");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any flipped byte in the stored ciphertext is caught by the routing hash…
        #[test]
        fn any_flipped_ciphertext_byte_is_refused(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let f = fixture();
            let mut ct = f.small.ciphertext.clone();
            let i = pos.index(ct.len());
            ct[i] ^= 1 << bit;
            prop_assert_eq!(code(f.open_b1(&ct, &f.small.routing)), "E-SEAL-203");
        }

        /// …and by age itself when the attacker also rewrites size and hash.
        #[test]
        fn any_flipped_ciphertext_byte_is_refused_even_with_fixed_routing(
            pos in any::<prop::sample::Index>(), bit in 0u8..8,
        ) {
            let f = fixture();
            prop_assert_eq!(code(f.open_b1(&f.small.ciphertext, &f.small.routing)), "opened");
            let mut ct = f.small.ciphertext.clone();
            let i = pos.index(ct.len());
            ct[i] ^= 1 << bit;
            let mut r = f.small.routing.clone();
            r.ciphertext_sha256 = hex::encode(Sha256::digest(&ct));
            let c = code(f.open_b1(&ct, &r));
            prop_assert!(c == "E-SEAL-204" || c == "E-SEAL-205", "byte {} gave {}", i, c);
        }

        /// Any flipped byte in the manifest or signature (re-encrypted by someone who knows
        /// B's public key) is refused.
        #[test]
        fn any_flipped_manifest_or_signature_byte_is_refused(
            pos in any::<prop::sample::Index>(), bit in 0u8..8,
        ) {
            let f = fixture();
            let mut pt = plaintext_of(&f.small, &f.b1);
            let manifest_len = parse_plaintext(&pt).unwrap().manifest.len();
            let start = PLAINTEXT_MAGIC.len() + 4;
            let span = manifest_len + 4 + 64;
            let i = start + pos.index(span);
            pt[i] ^= 1 << bit;
            let env = forge(&pt, &f.small.routing, &f.b1);
            let c = code(f.open_b1(&env.ciphertext, &env.routing));
            prop_assert!(
                ["E-SEAL-201", "E-SEAL-206", "E-SEAL-207", "E-SEAL-208", "E-SEAL-209"].contains(&c),
                "byte {} gave {}", i, c
            );
        }

        #[test]
        fn plaintext_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_plaintext(&bytes);
            let mut with_magic = PLAINTEXT_MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = parse_plaintext(&with_magic);
        }

        #[test]
        fn routing_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = RoutingMetadata::from_json_bytes(&bytes);
        }

        #[test]
        fn open_never_panics_on_arbitrary_ciphertext(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let f = fixture();
            let mut r = f.env.routing.clone();
            r.size = bytes.len() as u64;
            r.ciphertext_sha256 = hex::encode(Sha256::digest(&bytes));
            prop_assert!(f.open_b1(&bytes, &r).is_err());
            let mut header = b"age-encryption.org/v1\n".to_vec();
            header.extend_from_slice(&bytes);
            r.size = header.len() as u64;
            r.ciphertext_sha256 = hex::encode(Sha256::digest(&header));
            prop_assert!(f.open_b1(&header, &r).is_err());
        }

        /// Round trip over arbitrary contents and names drawn from the allowed alphabet.
        #[test]
        fn seal_open_round_trip(
            contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..4),
            stem in "[A-Z][A-Z0-9_]{0,20}",
        ) {
            let f = fixture();
            let files: Vec<(String, Vec<u8>)> = contents
                .into_iter()
                .enumerate()
                .map(|(i, c)| (format!("{stem}_{i}.CSV"), c))
                .collect();
            let env = seal(&files, &f.unit, &f.a2, &[f.b2.public().clone()]).unwrap();
            prop_assert_eq!(&env.routing.unit_id, &f.unit.unit_id);
            let u = open(&env.ciphertext, &env.routing, &f.b2, f.b, &f.a_keys()).unwrap();
            prop_assert_eq!(u.files, files);
            prop_assert_eq!(u.manifest.sender_key_id, f.a2.key_id());
        }
    }
}
