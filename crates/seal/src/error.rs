//! One error type for the whole crate. Every variant has a stable code (`E-SEAL-…`) and a
//! Japanese message for staff. Messages may name files, offices, unit ids and key ids, never
//! the contents of a file (care-plan data is personal health data).
//!
//! Code ranges: 0xx keys and key files, 1xx sealing input, 2xx opening (in the order `open`
//! checks), 3xx receipts, 9xx internal.

/// Everything that can go wrong in `tsunagu-seal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- 0xx: keys and key files -------------------------------------------------------
    #[error("E-SEAL-001 パスフレーズが違います。鍵ファイルを開けません。")]
    WrongPassphrase,
    #[error("E-SEAL-002 鍵ファイルの形式が正しくありません（{detail}）。")]
    KeyFileMalformed { detail: &'static str },
    #[error(
        "E-SEAL-003 鍵ファイルの暗号化の強度（scrypt 2^{required}）が上限（2^{max}）を超えているため開きません。"
    )]
    KeyFileTooExpensive { required: u8, max: u8 },
    #[error("E-SEAL-004 端末の公開鍵が正しくありません（{detail}）。")]
    PublicKeysInvalid { detail: &'static str },
    #[error("E-SEAL-005 OS から乱数を取得できませんでした。鍵を作れません。")]
    Randomness,
    #[error("E-SEAL-006 日時を RFC 3339 形式で表せません（0〜9999年、秒単位の時差なし）。")]
    Timestamp,

    // ---- 1xx: what the caller asked to seal ----------------------------------------------
    #[error("E-SEAL-101 ファイル連番は半角数字14桁（YYYYMMDDHHMMSS）です（{0:?}）。")]
    InvalidUnitId(String),
    #[error("E-SEAL-102 サービス提供年月は半角数字6桁（YYYYMM、月は01〜12）です（{0:?}）。")]
    InvalidServiceMonth(String),
    #[error("E-SEAL-103 ファイル種別は半角英大文字・数字・「_」の1〜32文字です（{0:?}）。")]
    InvalidKind(String),
    #[error(
        "E-SEAL-104 ファイル名 {name:?} は使えません（{detail}）。使えるのは半角英数字と「_」「-」「.」です。"
    )]
    InvalidFileName { name: String, detail: &'static str },
    #[error(
        "E-SEAL-105 ファイル名 {name:?} が送信単位の中で重複しています（大文字・小文字は区別しません）。"
    )]
    DuplicateFileName { name: String },
    #[error("E-SEAL-106 送信単位にファイルがありません。")]
    NoFiles,
    #[error("E-SEAL-107 送信単位のファイルが多すぎます（{count}件、上限{max}件）。")]
    TooManyFiles { count: usize, max: usize },
    #[error("E-SEAL-108 暗号化の宛先となる端末の鍵がありません。")]
    NoRecipients,
    #[error("E-SEAL-109 送信元と送信先が同じ事業所（{0}）です。")]
    SameOffice(String),
    #[error("E-SEAL-110 ファイル種別の指定が多すぎます（上限{max}件）。")]
    TooManyKinds { max: usize },

    // ---- 2xx: opening, numbered in the order `open` checks -------------------------------
    #[error("E-SEAL-200 送信情報（封筒の宛名）の形式が正しくありません（{detail}）。")]
    RoutingMalformed { detail: String },
    #[error(
        "E-SEAL-201 封筒の形式バージョン {version} には対応していません。Tsunagu を更新してください。"
    )]
    UnsupportedFormat { version: u32 },
    #[error(
        "E-SEAL-202 封筒の大きさが送信情報と一致しません（送信情報 {expected} バイト、実際 {actual} バイト）。改ざんまたは転送の失敗です。"
    )]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("E-SEAL-203 封筒の SHA-256 が送信情報と一致しません。改ざんまたは転送の失敗です。")]
    CiphertextHashMismatch,
    #[error(
        "E-SEAL-204 この端末の鍵では封筒を開けません。この端末宛てに暗号化されていません（端末追加より前の送信か、別の事業所宛てです）。"
    )]
    NotForThisDevice,
    #[error("E-SEAL-205 封筒の暗号文が壊れているか改ざんされています（{detail}）。")]
    CiphertextCorrupt { detail: &'static str },
    #[error("E-SEAL-206 封筒の中身の構造が正しくありません（{detail}）。")]
    PlaintextMalformed { detail: &'static str },
    #[error("E-SEAL-207 送信内容の一覧（マニフェスト）の形式が正しくありません（{detail}）。")]
    ManifestMalformed { detail: String },
    #[error(
        "E-SEAL-208 送信元の端末鍵 {key_id} は信頼済みの鍵ではありません。相手の事業所に鍵の指紋を確認してから信頼してください。"
    )]
    UnknownSenderKey { key_id: String },
    #[error(
        "E-SEAL-209 署名を検証できません。封筒の中身が改ざんされているか、送信元の鍵が違います。"
    )]
    BadSignature,
    #[error("E-SEAL-210 この封筒は {recipient} 宛てで、この事業所（{me}）宛てではありません。")]
    WrongRecipient { recipient: String, me: String },
    #[error(
        "E-SEAL-211 送信情報の「{field}」が署名された内容と一致しません。途中で書き換えられています。"
    )]
    RoutingMismatch { field: &'static str },
    #[error("E-SEAL-212 ファイル {name:?} の大きさが送信内容の一覧と一致しません。")]
    FileSizeMismatch { name: String },
    #[error("E-SEAL-213 ファイル {name:?} の SHA-256 が送信内容の一覧と一致しません。")]
    FileHashMismatch { name: String },
    #[error(
        "E-SEAL-214 この封筒の送信元は {sender} で、この事業所（{me}）が送ったものではありません。"
    )]
    NotOwnSend { sender: String, me: String },

    // ---- 3xx: receipts ----------------------------------------------------------------
    #[error("E-SEAL-301 受領通知の形式が正しくありません（{detail}）。")]
    ReceiptMalformed { detail: String },
    #[error("E-SEAL-302 受領通知に署名した端末鍵 {key_id} は信頼済みの鍵ではありません。")]
    ReceiptUnknownKey { key_id: String },
    #[error("E-SEAL-303 受領通知の署名を検証できません。改ざんされています。")]
    ReceiptBadSignature,
    #[error("E-SEAL-304 受領通知の「{field}」が対象の封筒と一致しません。")]
    ReceiptMismatch { field: &'static str },
    #[error("E-SEAL-305 受領通知の署名者（{by_key_id}）と署名に使う鍵が一致しません。")]
    ReceiptSignerMismatch { by_key_id: String },
    #[error("E-SEAL-306 差戻しの理由は1〜{max}文字で、制御文字を含められません。")]
    ReceiptReasonInvalid { max: usize },

    // ---- 9xx ---------------------------------------------------------------------------
    #[error("E-SEAL-901 暗号化に失敗しました（{detail}）。")]
    Encrypt { detail: &'static str },
}

impl Error {
    /// The stable code, e.g. `"E-SEAL-209"`, for logs, tests and the manual.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassphrase => "E-SEAL-001",
            Error::KeyFileMalformed { .. } => "E-SEAL-002",
            Error::KeyFileTooExpensive { .. } => "E-SEAL-003",
            Error::PublicKeysInvalid { .. } => "E-SEAL-004",
            Error::Randomness => "E-SEAL-005",
            Error::Timestamp => "E-SEAL-006",
            Error::InvalidUnitId(_) => "E-SEAL-101",
            Error::InvalidServiceMonth(_) => "E-SEAL-102",
            Error::InvalidKind(_) => "E-SEAL-103",
            Error::InvalidFileName { .. } => "E-SEAL-104",
            Error::DuplicateFileName { .. } => "E-SEAL-105",
            Error::NoFiles => "E-SEAL-106",
            Error::TooManyFiles { .. } => "E-SEAL-107",
            Error::NoRecipients => "E-SEAL-108",
            Error::SameOffice(_) => "E-SEAL-109",
            Error::TooManyKinds { .. } => "E-SEAL-110",
            Error::RoutingMalformed { .. } => "E-SEAL-200",
            Error::UnsupportedFormat { .. } => "E-SEAL-201",
            Error::SizeMismatch { .. } => "E-SEAL-202",
            Error::CiphertextHashMismatch => "E-SEAL-203",
            Error::NotForThisDevice => "E-SEAL-204",
            Error::CiphertextCorrupt { .. } => "E-SEAL-205",
            Error::PlaintextMalformed { .. } => "E-SEAL-206",
            Error::ManifestMalformed { .. } => "E-SEAL-207",
            Error::UnknownSenderKey { .. } => "E-SEAL-208",
            Error::BadSignature => "E-SEAL-209",
            Error::WrongRecipient { .. } => "E-SEAL-210",
            Error::RoutingMismatch { .. } => "E-SEAL-211",
            Error::FileSizeMismatch { .. } => "E-SEAL-212",
            Error::FileHashMismatch { .. } => "E-SEAL-213",
            Error::NotOwnSend { .. } => "E-SEAL-214",
            Error::ReceiptMalformed { .. } => "E-SEAL-301",
            Error::ReceiptUnknownKey { .. } => "E-SEAL-302",
            Error::ReceiptBadSignature => "E-SEAL-303",
            Error::ReceiptMismatch { .. } => "E-SEAL-304",
            Error::ReceiptSignerMismatch { .. } => "E-SEAL-305",
            Error::ReceiptReasonInvalid { .. } => "E-SEAL-306",
            Error::Encrypt { .. } => "E-SEAL-901",
        }
    }
}

/// Shortens a caller-supplied value before it goes into an error message, so a megabyte of
/// garbage does not become a megabyte of log line.
pub(crate) fn clip(s: &str) -> String {
    const MAX_CHARS: usize = 80;
    if s.chars().count() <= MAX_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_CHARS).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_starts_with_its_code() {
        let samples = [
            Error::WrongPassphrase,
            Error::BadSignature,
            Error::RoutingMismatch { field: "unit_id" },
            Error::ReceiptBadSignature,
            Error::InvalidKind("x".into()),
        ];
        for e in samples {
            assert!(e.to_string().starts_with(e.code()), "{e}");
        }
    }

    #[test]
    fn clip_bounds_long_values() {
        assert_eq!(clip("abc"), "abc");
        let long = "あ".repeat(100);
        assert_eq!(clip(&long).chars().count(), 81);
    }
}
