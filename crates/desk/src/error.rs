//! The desk's errors. Every message is Japanese for staff and starts with a stable `E-DESK-…`
//! code; none quotes care-plan contents (file names, office ids, codes and positions only).

use std::path::PathBuf;

use tsunagu_protocol::ErrorCode;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    #[error(
        "E-DESK-001 フォルダ {dir} には事業所の設定がありません。先に `tsunagu desk` を起動して画面の「はじめての設定」で登録するか、`tsunagu office init --hub URL --invite 招待コード` を実行してください。"
    )]
    NotInitialized { dir: PathBuf },
    #[error(
        "E-DESK-002 フォルダ {dir} はすでに事業所 {office} の端末として登録済みです。別の端末として登録するには別のフォルダを指定してください。"
    )]
    AlreadyInitialized { dir: PathBuf, office: String },
    #[error("E-DESK-003 {path} を{what}できません: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("E-DESK-004 設定ファイル {path} の形式が正しくありません（{detail}）。")]
    ConfigMalformed { path: PathBuf, detail: String },
    #[error("E-DESK-005 端末のデータベースでエラーが起きました（{0}）。")]
    Database(String),

    #[error(
        "E-DESK-010 ハブ（{url}）に接続できません（{detail}）。ネットワークとハブの URL を確認して、しばらくしてから再実行してください。"
    )]
    HubUnreachable { url: String, detail: String },
    #[error("E-DESK-011 ハブがエラーを返しました: {code} {message}")]
    Hub { code: ErrorCode, message: String },
    #[error(
        "E-DESK-012 ハブの URL {0:?} が正しくありません（http:// または https:// で始めてください）。"
    )]
    HubUrlInvalid(String),
    #[error(
        "E-DESK-013 ハブの応答を読めません（{0}）。ハブと Tsunagu の版が合っているか確認してください。"
    )]
    HubResponse(String),

    #[error("{0}")]
    Seal(#[from] tsunagu_seal::Error),

    #[error(
        "E-DESK-030 事業所 {office} の鍵が、以前に確認した鍵と違います（新しい鍵: {new}）。ハブ上の鍵がすり替えられたか、相手が端末を追加・交換した可能性があります。相手の事業所に電話などで指紋を確かめてから `tsunagu partners trust {office} 指紋` を実行してください。それまでこの事業所とは送受信しません。"
    )]
    KeyChanged { office: String, new: String },
    #[error(
        "E-DESK-031 指紋 {fingerprint} の鍵は、ハブにある事業所 {office} の有効な端末にありません。指紋を確かめてください。"
    )]
    FingerprintNotFound { office: String, fingerprint: String },
    #[error(
        "E-DESK-032 事業所 {0} はこのハブに登録されていません（Tsunagu をまだ使っていません）。"
    )]
    OfficeNotOnHub(String),
    #[error("E-DESK-033 事業所 {0} には有効な端末がありません。送れません。")]
    NoDevices(String),

    #[error(
        "E-DESK-040 送信単位 {unit} の送信元は {sender} で、この端末の事業所 {me} ではありません。自事業所が送信元のファイルだけを送れます。"
    )]
    NotMySend {
        unit: String,
        sender: String,
        me: String,
    },
    #[error(
        "E-DESK-041 送信単位 {unit} のファイル名にサービス種類コードがありません（第3版の名前）。送信元・送信先の事業所を特定できないため、第4版のファイル名で出力してください。"
    )]
    NoServiceKind { unit: String },
    #[error(
        "E-DESK-042 送信単位 {unit} は同じファイル連番で内容の違うものをすでに送信（または送信準備）しています。訂正版は新しいファイル連番で出力してください。"
    )]
    UnitChanged { unit: String },
    #[error("E-DESK-043 同じ名前のファイル {0} が複数指定されています。")]
    DuplicateInput(String),
    #[error("E-DESK-044 送るファイルがありません。")]
    NoInput,

    #[error(
        "E-DESK-050 取込フォルダに同じ名前で内容の違うファイル {0} があります。上書きしません。ファイルを確認してから再実行してください。"
    )]
    ImportConflict(String),
    #[error("E-DESK-051 取込フォルダ {0} に書き込めません。")]
    ImportDir(PathBuf),
    #[error("E-DESK-052 この端末は {0} です。端末を失効させるには、端末ID を指定してください。")]
    RevokeSelf(String),
    #[error("E-DESK-072 2回入力したパスフレーズが一致しません。同じものを2回入力してください。")]
    PassphraseMismatch,
    #[error("E-DESK-073 {var} は 1〜{max} の数です。")]
    WorkFactorInvalid { var: &'static str, max: u8 },
    #[error("E-DESK-074 パスフレーズは{min}文字以上にしてください。")]
    PassphraseTooShort { min: usize },
    #[error("E-DESK-077 {0}を入力してください。")]
    FieldMissing(&'static str),
    #[error(
        "E-DESK-080 画面は {0} では開けません。この PC の中（127.0.0.1 など）だけで開きます。別の PC から使う場合は、その PC に Tsunagu を入れて端末を追加してください。"
    )]
    NotLoopback(String),
    #[error("E-DESK-081 送信フォルダと取込フォルダは、空でない別々のフォルダにしてください。")]
    FoldersInvalid,
}

impl DeskError {
    /// The stable code at the start of the message.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::NotInitialized { .. } => "E-DESK-001",
            DeskError::AlreadyInitialized { .. } => "E-DESK-002",
            DeskError::Io { .. } => "E-DESK-003",
            DeskError::ConfigMalformed { .. } => "E-DESK-004",
            DeskError::Database(_) => "E-DESK-005",
            DeskError::HubUnreachable { .. } => "E-DESK-010",
            DeskError::Hub { .. } => "E-DESK-011",
            DeskError::HubUrlInvalid(_) => "E-DESK-012",
            DeskError::HubResponse(_) => "E-DESK-013",
            DeskError::Seal(e) => e.code(),
            DeskError::KeyChanged { .. } => "E-DESK-030",
            DeskError::FingerprintNotFound { .. } => "E-DESK-031",
            DeskError::OfficeNotOnHub(_) => "E-DESK-032",
            DeskError::NoDevices(_) => "E-DESK-033",
            DeskError::NotMySend { .. } => "E-DESK-040",
            DeskError::NoServiceKind { .. } => "E-DESK-041",
            DeskError::UnitChanged { .. } => "E-DESK-042",
            DeskError::DuplicateInput(_) => "E-DESK-043",
            DeskError::NoInput => "E-DESK-044",
            DeskError::ImportConflict(_) => "E-DESK-050",
            DeskError::ImportDir(_) => "E-DESK-051",
            DeskError::RevokeSelf(_) => "E-DESK-052",
            DeskError::PassphraseMismatch => "E-DESK-072",
            DeskError::WorkFactorInvalid { .. } => "E-DESK-073",
            DeskError::PassphraseTooShort { .. } => "E-DESK-074",
            DeskError::FieldMissing(_) => "E-DESK-077",
            DeskError::NotLoopback(_) => "E-DESK-080",
            DeskError::FoldersInvalid => "E-DESK-081",
        }
    }

    /// The hub's error code, when the hub answered with one.
    pub fn hub_code(&self) -> Option<ErrorCode> {
        match self {
            DeskError::Hub { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when retrying later may succeed (network, hub overloaded or restarting).
    pub fn is_transient(&self) -> bool {
        match self {
            DeskError::HubUnreachable { .. } => true,
            DeskError::Hub { code, .. } => matches!(
                code,
                ErrorCode::Timeout | ErrorCode::Unavailable | ErrorCode::Internal
            ),
            _ => false,
        }
    }

    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DeskError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

impl From<sqlx::Error> for DeskError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx errors name tables and constraints, never row values we bound.
        DeskError::Database(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for DeskError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        DeskError::Database(format!("migration: {e}"))
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_their_code() {
        let samples = [
            DeskError::NotInitialized { dir: "x".into() },
            DeskError::KeyChanged {
                office: "0300000100_43".into(),
                new: "AAAA".into(),
            },
            DeskError::UnitChanged { unit: "u".into() },
            DeskError::ImportConflict("f".into()),
            DeskError::PassphraseMismatch,
            DeskError::PassphraseTooShort { min: 8 },
            DeskError::FieldMissing("招待コード"),
            DeskError::FoldersInvalid,
            DeskError::WorkFactorInvalid { var: "X", max: 20 },
            DeskError::Hub {
                code: ErrorCode::NotFound,
                message: "見つかりません".into(),
            },
        ];
        for e in samples {
            assert!(e.to_string().starts_with(e.code()), "{e}");
        }
    }
}
