//! Device authentication: bearer tokens (stored as SHA-256) and invite codes (stored as SHA-256).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::Rng;
use tsunagu_protocol::ErrorCode;

use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::Device;

/// Alphabet of invite codes: Crockford base32 (no I, L, O, U), easy to read aloud and type.
const INVITE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh device token: `tsu_` + 32 random bytes in hex (256 bits, so a plain SHA-256 at rest
/// is enough; no password hashing needed).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("tsu_{}", hex::encode(bytes))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    crate::sha256_hex(token.as_bytes())
}

/// A fresh invite code `XXXX-XXXX-XXXX-XXXX` (80 bits).
pub fn new_invite_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<u8> = (0..16)
        .map(|_| INVITE_ALPHABET[rng.random_range(0..INVITE_ALPHABET.len())])
        .collect();
    // ASCII from the alphabet above, so always valid UTF-8.
    let s = String::from_utf8_lossy(&chars).into_owned();
    format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
}

/// The stored form of an invite code: hyphens, spaces and case do not matter, and the
/// look-alikes O/I/L are read as 0/1/1 as Crockford base32 does.
pub fn invite_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    crate::sha256_hex(format!("tsunagu-invite-v1\0{normalized}").as_bytes())
}

/// A random id with a readable prefix (`dev_…`, `env_…`).
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::rng().random();
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The authenticated calling device (active, not revoked).
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Device);

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ErrorCode::Unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ErrorCode::Unauthenticated)?;
        let device = state
            .store
            .device_by_token(&token_hash(token))
            .await?
            .ok_or(ErrorCode::Unauthenticated)?;
        if device.revoked_at.is_some() {
            return Err(ErrorCode::DeviceRevoked.into());
        }
        Ok(DeviceAuth(device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_codes_normalize() {
        let code = new_invite_code();
        assert_eq!(code.len(), 19);
        assert_eq!(
            invite_hash(&code),
            invite_hash(&code.to_lowercase().replace('-', " "))
        );
        assert_eq!(
            invite_hash("O0IL-0000-0000-0000"),
            invite_hash("0011-0000-0000-0000")
        );
        assert_ne!(invite_hash(&code), invite_hash(&new_invite_code()));
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = new_token();
        assert!(a.starts_with("tsu_") && a.len() == 68);
        assert_ne!(a, new_token());
        assert_eq!(token_hash(&a).len(), 64);
    }
}
