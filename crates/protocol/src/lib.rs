//! The hub's wire protocol, shared by the hub (server) and the desk (client).
//!
//! Only types live here: no HTTP client or server. Every JSON body of the API is one of these
//! types; the OpenAPI document the hub serves at `/api/openapi.json` derives from them.
//! Cryptographic values (device public keys, routing metadata, signed receipts) are the seal
//! crate's own types, re-exported, so the bytes a desk signs are the bytes the hub stores.

mod api;
mod error;
mod partners;

pub use api::*;
pub use error::{ErrorBody, ErrorCode};
pub use partners::{
    MAX_REPORTED_PARTNERS, MAX_UNITS_PER_MONTH, PartnerReport, PartnerReportError,
    PartnerReportResponse, ReportedPartner,
};

/// Re-exported so clients need not depend on the seal crate for the wire types.
pub use tsunagu_seal::{DevicePublicKeys, RoutingMetadata, SignedReceipt};

/// Every API route starts with this prefix.
pub const API_PREFIX: &str = "/api/v1";

/// Header carrying the routing metadata of an upload: base64url (no padding) of its JSON.
pub const ROUTING_HEADER: &str = "tsunagu-routing";

/// Default upper bound of an envelope's ciphertext (16 MiB); the hub's limit is configured.
pub const DEFAULT_MAX_ENVELOPE_BYTES: u64 = 16 * 1024 * 1024;

/// Route paths, relative to the server root. `{…}` are path parameters (axum 0.8 syntax).
pub mod routes {
    /// `POST` — register a device with an invite code. No auth.
    pub const REGISTER: &str = "/api/v1/devices/register";
    /// `GET` — the calling device and its office.
    pub const ME: &str = "/api/v1/me";
    /// `POST` — revoke a device of the caller's office.
    pub const REVOKE_DEVICE: &str = "/api/v1/devices/{device_id}/revoke";
    /// `GET` — an office and its active devices' public keys.
    pub const OFFICE_KEYS: &str = "/api/v1/offices/{office_id}/keys";
    /// `PUT` — upload an envelope (body = ciphertext, header = routing metadata).
    pub const ENVELOPES: &str = "/api/v1/envelopes";
    /// `GET` — pending envelopes for the caller's office.
    pub const INBOX: &str = "/api/v1/inbox";
    /// `GET` — envelopes the caller's office sent, with status.
    pub const OUTBOX: &str = "/api/v1/outbox";
    /// `GET` — one envelope's metadata, status and receipts.
    pub const ENVELOPE: &str = "/api/v1/envelopes/{envelope_id}";
    /// `GET` — one envelope's ciphertext.
    pub const CIPHERTEXT: &str = "/api/v1/envelopes/{envelope_id}/ciphertext";
    /// `POST` — post a signed receipt for an envelope.
    pub const RECEIPTS: &str = "/api/v1/envelopes/{envelope_id}/receipts";
    /// `PUT` — replace the caller's office's partner report (office numbers only).
    pub const PARTNERS: &str = "/api/v1/partners";
    /// `GET` — liveness (no database).
    pub const HEALTH: &str = "/healthz";
    /// `GET` — readiness (database round trip).
    pub const READY: &str = "/readyz";
    /// `GET` — the OpenAPI document.
    pub const OPENAPI: &str = "/api/openapi.json";

    /// Fills one `{param}` of a route.
    pub fn fill(route: &str, value: &str) -> String {
        match (route.find('{'), route.find('}')) {
            (Some(a), Some(b)) if a < b => format!("{}{}{}", &route[..a], value, &route[b + 1..]),
            _ => route.to_string(),
        }
    }
}

/// Encodes routing metadata for the [`ROUTING_HEADER`].
pub fn encode_routing_header(routing: &RoutingMetadata) -> Result<String, serde_json::Error> {
    use base64::Engine;
    let json = serde_json::to_vec(routing)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

/// Why a routing header did not decode.
#[derive(Debug, thiserror::Error)]
pub enum RoutingHeaderError {
    #[error("routing header is not base64url")]
    Base64,
    #[error("routing header is not routing metadata JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Decodes the [`ROUTING_HEADER`]: returns the typed metadata and the exact JSON bytes.
pub fn decode_routing_header(
    value: &str,
) -> Result<(RoutingMetadata, Vec<u8>), RoutingHeaderError> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|_| RoutingHeaderError::Base64)?;
    let routing = serde_json::from_slice(&json)?;
    Ok((routing, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_share_the_prefix() {
        for r in [
            routes::REGISTER,
            routes::ME,
            routes::REVOKE_DEVICE,
            routes::OFFICE_KEYS,
            routes::ENVELOPES,
            routes::INBOX,
            routes::OUTBOX,
            routes::ENVELOPE,
            routes::CIPHERTEXT,
            routes::RECEIPTS,
            routes::PARTNERS,
        ] {
            assert!(r.starts_with(API_PREFIX), "{r}");
        }
        assert_eq!(
            routes::fill(routes::CIPHERTEXT, "env_1"),
            "/api/v1/envelopes/env_1/ciphertext"
        );
    }

    #[test]
    fn bad_routing_header_is_an_error() {
        assert!(matches!(
            decode_routing_header("!!!"),
            Err(RoutingHeaderError::Base64)
        ));
        assert!(matches!(
            decode_routing_header("e30"),
            Err(RoutingHeaderError::Json(_))
        ));
    }
}
