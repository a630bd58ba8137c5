//! Tsunagu envelopes, pure: bytes in, bytes out, no I/O, no clock.
//!
//! - [`DeviceSecretKeys`] / [`DevicePublicKeys`]: one device's X25519 age identity (decrypts)
//!   and Ed25519 key (signs); the passphrase-protected key file; [`Fingerprint`]s for people.
//! - [`seal`]: signs a [`Manifest`] of a send unit and encrypts manifest, signature and files
//!   with age to every device of both offices, giving an [`Envelope`] (ciphertext + clear
//!   [`RoutingMetadata`] for the hub).
//! - [`open`]: checks, decrypts, verifies against pinned keys, and checks every file.
//! - [`SignedReceipt`]: the recipient's signed 受信済 / 取込済 / 差戻し.
//!
//! The byte-level format is documented in `docs/envelope.md`; [`FORMAT_VERSION`] names it.

mod envelope;
mod error;
mod keys;
mod manifest;
mod receipt;
mod unit;

pub use age::secrecy::{self, ExposeSecret, SecretString};
pub use envelope::{
    Envelope, OpenedUnit, PlaintextParts, RoutingMetadata, UnitHeader, open, open_sent_copy,
    parse_plaintext, seal,
};
pub use error::Error;
pub use keys::{
    DevicePublicKeys, DeviceSecretKeys, Fingerprint, KEY_FILE_MAX_WORK_FACTOR, KEY_FILE_WORK_FACTOR,
};
pub use manifest::{MAX_MANIFEST_BYTES, Manifest, ManifestFile};
pub use receipt::{MAX_REASON_CHARS, MAX_RECEIPT_BYTES, Receipt, ReceiptStatus, SignedReceipt};
pub use unit::{MAX_FILE_NAME_BYTES, MAX_FILES, MAX_KINDS, ServiceMonth, UnitId};

/// Version of the envelope format (manifest, plaintext framing, routing metadata, receipts).
/// Written into each and checked on reading; see docs/envelope.md.
pub const FORMAT_VERSION: u32 = 1;
