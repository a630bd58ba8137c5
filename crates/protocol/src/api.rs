//! Request and response bodies of `/api/v1`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_seal::{DevicePublicKeys, RoutingMetadata, SignedReceipt};
use tsunagu_standard::OfficeId;
use utoipa::{IntoParams, ToSchema};

/// Where a send unit stands, as the sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeStatus {
    /// 送信済: stored on the hub, no receipt yet.
    Sent,
    /// 受信済: the recipient's desk downloaded and opened it.
    Received,
    /// 取込済: the recipient imported the files.
    Imported,
    /// 差戻し: the recipient rejected the unit (reason given).
    Rejected,
    /// 期限切れ: never received; the ciphertext was deleted by retention.
    Expired,
}

impl EnvelopeStatus {
    /// The Japanese label shown to staff.
    pub fn label_ja(self) -> &'static str {
        match self {
            EnvelopeStatus::Sent => "送信済",
            EnvelopeStatus::Received => "受信済",
            EnvelopeStatus::Imported => "取込済",
            EnvelopeStatus::Rejected => "差戻し",
            EnvelopeStatus::Expired => "期限切れ",
        }
    }

    /// The wire name (`sent`, `received`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EnvelopeStatus::Sent => "sent",
            EnvelopeStatus::Received => "received",
            EnvelopeStatus::Imported => "imported",
            EnvelopeStatus::Rejected => "rejected",
            EnvelopeStatus::Expired => "expired",
        }
    }
}

/// An office as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OfficeInfo {
    /// 事業所番号_サービス種類コード.
    #[schema(value_type = String, example = "0300000100_43")]
    pub office_id: OfficeId,
    /// 事業所名.
    pub name: String,
    /// 6-digit 市区町村コード (全国地方公共団体コード with check digit).
    #[schema(example = "131016")]
    pub municipality_code: String,
}

/// `POST /api/v1/devices/register`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterDeviceRequest {
    /// The single-use invite code the operator issued for the office.
    #[schema(example = "K7QM-3XWD-9PRT-FA2H")]
    pub invite_code: String,
    /// A name staff recognise, e.g. "事務所PC 1".
    pub device_name: String,
    /// The device's public keys, generated on the desk (`DevicePublicKeys` of the seal crate:
    /// `{age_recipient, verify_key, key_id, created_at}`).
    #[schema(value_type = Object)]
    pub keys: DevicePublicKeys,
}

/// Answer to a registration: keep `token` secret; it is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterDeviceResponse {
    pub device_id: String,
    /// Bearer token for `Authorization: Bearer …`. The hub stores only its SHA-256.
    pub token: String,
    pub office: OfficeInfo,
    /// Short fingerprint of the registered keys, for staff to compare.
    pub fingerprint: String,
}

/// A device, without its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceInfo {
    pub device_id: String,
    #[schema(value_type = String, example = "0300000100_43")]
    pub office_id: OfficeId,
    pub name: String,
    pub key_id: String,
    /// Short fingerprint (`XXXX-XXXX-…`).
    pub fingerprint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub revoked_at: Option<OffsetDateTime>,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub device: DeviceInfo,
    pub office: OfficeInfo,
}

/// One active device in an office's key directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DirectoryEntry {
    pub device_id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub keys: DevicePublicKeys,
    /// Short fingerprint, as the desk shows it for pinning.
    pub fingerprint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

/// `GET /api/v1/offices/{office_id}/keys`: seal to every one of these devices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyDirectory {
    pub office: OfficeInfo,
    pub devices: Vec<DirectoryEntry>,
}

/// Answer to `PUT /api/v1/envelopes` (201 when stored now, 200 when it was already there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SendEnvelopeResponse {
    pub envelope_id: String,
    /// False when the same unit was already stored (idempotent resend).
    pub created: bool,
    pub status: EnvelopeStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

/// An envelope's clear metadata and status (never its contents).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvelopeSummary {
    pub envelope_id: String,
    /// Paging cursor: pass the last item's `seq` as `after`.
    pub seq: i64,
    /// The routing metadata as uploaded.
    #[schema(value_type = Object)]
    pub routing: RoutingMetadata,
    pub status: EnvelopeStatus,
    /// Japanese label of `status` (送信済 / 受信済 / 取込済 / 差戻し / 期限切れ).
    pub status_label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub received_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub imported_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub rejected_at: Option<OffsetDateTime>,
    pub rejection_reason: Option<String>,
    /// False once retention deleted the ciphertext.
    pub ciphertext_available: bool,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub ciphertext_deleted_at: Option<OffsetDateTime>,
}

/// A page of envelopes (inbox or outbox).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvelopePage {
    pub items: Vec<EnvelopeSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// Paging of inbox and outbox.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Only items with `seq` greater than this (default 0).
    pub after: Option<i64>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u32>,
}

impl PageQuery {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 500;

    /// `(after, limit)` with defaults and bounds applied.
    pub fn resolve(self) -> (i64, u32) {
        (
            self.after.unwrap_or(0).max(0),
            self.limit
                .unwrap_or(Self::DEFAULT_LIMIT)
                .clamp(1, Self::MAX_LIMIT),
        )
    }
}

/// `POST /api/v1/envelopes/{envelope_id}/receipts`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostReceiptRequest {
    /// Signed by a device of the recipient office.
    #[schema(value_type = Object)]
    pub receipt: SignedReceipt,
}

/// Answer to posting a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptResponse {
    pub envelope_id: String,
    pub status: EnvelopeStatus,
    /// False when the same receipt (or the same final status) was already recorded.
    pub recorded: bool,
}

/// A stored receipt, as evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReceiptInfo {
    /// The device whose key verified the signature.
    pub signed_by_device: String,
    #[serde(with = "time::serde::rfc3339")]
    pub posted_at: OffsetDateTime,
    /// The signed receipt exactly as posted; verify it against the recipient's pinned keys.
    #[schema(value_type = Object)]
    pub receipt: SignedReceipt,
}

/// `GET /api/v1/envelopes/{envelope_id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvelopeDetail {
    pub envelope: EnvelopeSummary,
    pub receipts: Vec<ReceiptInfo>,
}

/// `/healthz` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    pub status: String,
    /// Storage backend (`sqlite` / `postgres`), on readiness only.
    pub database: Option<String>,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_wire_names_and_labels() {
        for s in [
            EnvelopeStatus::Sent,
            EnvelopeStatus::Received,
            EnvelopeStatus::Imported,
            EnvelopeStatus::Rejected,
            EnvelopeStatus::Expired,
        ] {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert!(!s.label_ja().is_empty());
        }
        assert_eq!(EnvelopeStatus::Rejected.label_ja(), "差戻し");
    }

    #[test]
    fn page_query_is_bounded() {
        assert_eq!(PageQuery::default().resolve(), (0, 100));
        assert_eq!(
            PageQuery {
                after: Some(-5),
                limit: Some(10_000)
            }
            .resolve(),
            (0, 500)
        );
        assert_eq!(
            PageQuery {
                after: Some(7),
                limit: Some(0)
            }
            .resolve(),
            (7, 1)
        );
    }
}
