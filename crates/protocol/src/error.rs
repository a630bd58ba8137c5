//! The hub's error body and its stable codes.
//!
//! Every non-2xx answer of the hub carries an [`ErrorBody`]. The `code` never changes meaning once
//! released, so desks, scripts and support staff can match on it; the Japanese `message` is what a
//! person reads, `message_en` is for logs and foreign operators.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `E-HUB-404`.
    pub code: ErrorCode,
    /// Japanese text for people.
    pub message: String,
    /// English text for logs and operators.
    pub message_en: String,
}

impl ErrorBody {
    /// The body with the code's standard texts.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.message_ja().to_string(),
            message_en: code.message_en().to_string(),
        }
    }

    /// The body with the code's standard texts plus a detail (never personal data).
    pub fn with_detail(code: ErrorCode, detail_ja: &str, detail_en: &str) -> Self {
        Self {
            code,
            message: format!("{}（{}）", code.message_ja(), detail_ja),
            message_en: format!("{} ({})", code.message_en(), detail_en),
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ErrorBody {}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = ($code:literal, $status:literal, $ja:literal, $en:literal), )*) => {
        /// Stable error codes of the hub API. Serialized as the `E-HUB-…` string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $code)] $name, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order (for docs and tests).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The code as written on the wire, e.g. `E-HUB-404`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$name => $code,)* }
            }

            /// The HTTP status the hub answers with for this code.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$name => $status,)* }
            }

            /// Standard Japanese message.
            pub fn message_ja(self) -> &'static str {
                match self { $(ErrorCode::$name => $ja,)* }
            }

            /// Standard English message.
            pub fn message_en(self) -> &'static str {
                match self { $(ErrorCode::$name => $en,)* }
            }

            /// Parses `E-HUB-…`.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some(ErrorCode::$name),)* _ => None }
            }
        }
    };
}

error_codes! {
    /// The request is malformed (JSON, header, query or path).
    BadRequest = ("E-HUB-400", 400, "リクエストの形式が正しくありません", "malformed request"),
    /// The routing header is missing or not base64url JSON of the routing metadata.
    RoutingHeader = ("E-HUB-401", 400, "ルーティング情報ヘッダー（Tsunagu-Routing）がないか、正しくありません", "missing or malformed Tsunagu-Routing header"),
    /// The ciphertext's size or SHA-256 differs from the routing metadata.
    CiphertextMismatch = ("E-HUB-402", 400, "暗号文のサイズまたはハッシュ値がルーティング情報と一致しません", "ciphertext size or SHA-256 does not match the routing metadata"),
    /// The unit id is not a 14-digit ファイル連番, or other routing fields are invalid.
    RoutingInvalid = ("E-HUB-403", 400, "ルーティング情報の内容が正しくありません", "routing metadata is invalid"),
    /// The uploaded body is not `application/octet-stream`.
    UnsupportedMediaType = ("E-HUB-415", 415, "送信データの形式は application/octet-stream である必要があります", "body must be application/octet-stream"),
    /// No bearer token, or a token the hub does not know.
    Unauthenticated = ("E-HUB-100", 401, "認証されていません。端末の登録をやり直してください", "missing or unknown device token"),
    /// The token belongs to a revoked device.
    DeviceRevoked = ("E-HUB-101", 401, "この端末は失効しています", "device has been revoked"),
    /// The invite code is unknown, already used or expired.
    InviteInvalid = ("E-HUB-102", 400, "招待コードが無効です（誤り・使用済み・期限切れのいずれか）", "invite code is unknown, used or expired"),
    /// `routing.sender` is not the caller's office.
    SenderMismatch = ("E-HUB-300", 403, "送信元事業所がこの端末の事業所と一致しません", "routing sender is not the caller's office"),
    /// No such resource for this caller (also used for other offices' resources, so ids don't leak).
    NotFound = ("E-HUB-404", 404, "見つかりません", "not found"),
    /// The recipient office is not registered on this hub.
    RecipientUnknown = ("E-HUB-405", 404, "送信先の事業所はこのハブに登録されていません", "recipient office is not registered on this hub"),
    /// The office is not registered on this hub.
    OfficeUnknown = ("E-HUB-406", 404, "事業所はこのハブに登録されていません", "office is not registered on this hub"),
    /// The ciphertext was deleted by retention.
    CiphertextGone = ("E-HUB-410", 410, "保存期間を過ぎたため暗号文は削除されました", "ciphertext was deleted by retention"),
    /// The same (sender, recipient, unit id) was already sent with different ciphertext.
    UnitConflict = ("E-HUB-409", 409, "同じ送信単位（ファイル連番）が異なる内容で送信済みです", "the same send unit was already sent with different ciphertext"),
    /// The office already exists (operator).
    OfficeExists = ("E-HUB-411", 409, "事業所はすでに登録されています", "office already exists"),
    /// The body is larger than the configured limit.
    PayloadTooLarge = ("E-HUB-413", 413, "送信データが大きすぎます", "payload too large"),
    /// The receipt's signature does not verify against the recipient office's device keys.
    ReceiptSignature = ("E-HUB-500", 422, "受領証の署名を検証できません", "receipt signature does not verify against the recipient office's keys"),
    /// The receipt names another envelope (sender, recipient, unit id or ciphertext hash differ).
    ReceiptMismatch = ("E-HUB-501", 422, "受領証の内容が送信単位と一致しません", "receipt does not match the envelope"),
    /// The receipt contradicts an earlier final receipt (取込済 vs 差戻し).
    ReceiptConflict = ("E-HUB-502", 409, "すでに別の最終状態（取込済または差戻し）の受領証があります", "a different final receipt was already posted"),
    /// A partner report names something that is not a 10-digit office number, or a count out of range.
    PartnersInvalid = ("E-HUB-420", 422, "取引先の報告に正しくない値があります（事業所番号は半角数字10桁）", "partner report has an invalid value (office numbers are 10 digits)"),
    /// The device public keys are malformed.
    KeysInvalid = ("E-HUB-503", 400, "端末の公開鍵が正しくありません", "device public keys are invalid"),
    /// The request took too long.
    Timeout = ("E-HUB-900", 408, "処理が時間内に終わりませんでした。しばらくしてから再試行してください", "request timed out"),
    /// The database is not reachable; retry later.
    Unavailable = ("E-HUB-901", 503, "ハブのデータベースに接続できません。しばらくしてから再試行してください", "database unavailable"),
    /// Anything unexpected; details are in the hub's log.
    Internal = ("E-HUB-999", 500, "ハブの内部エラーです。管理者に連絡してください", "internal error"),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert!(c.as_str().starts_with("E-HUB-"));
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *c);
            assert!((400..600).contains(&c.http_status()));
        }
    }

    #[test]
    fn body_serializes_with_three_fields() {
        let b = ErrorBody::new(ErrorCode::NotFound);
        let v: serde_json::Value = serde_json::to_value(&b).unwrap();
        assert_eq!(v["code"], "E-HUB-404");
        assert_eq!(v["message"], "見つかりません");
        assert_eq!(v["message_en"], "not found");
    }
}
