//! Hub configuration: defaults → TOML file → `TSUNAGU_*` environment variables → command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::RetentionPolicy;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("E-HUB-CFG-001 設定ファイルを読めません: {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("E-HUB-CFG-002 設定ファイルの形式が正しくありません: {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("E-HUB-CFG-003 環境変数 {name} の値が正しくありません: {value:?}")]
    Env { name: &'static str, value: String },
    #[error("E-HUB-CFG-004 TLS には証明書と秘密鍵の両方（tls.cert / tls.key）が必要です")]
    TlsIncomplete,
}

/// PEM files for TLS. Both must be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// Retention of ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days ciphertext is kept after the final receipt (取込済 / 差戻し).
    pub after_final_days: u32,
    /// Days ciphertext is kept when no final receipt ever comes (then 期限切れ).
    pub unacknowledged_days: u32,
    /// Minutes between retention passes of a running hub (0 disables the periodic task).
    pub interval_minutes: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            after_final_days: 30,
            unacknowledged_days: 180,
            interval_minutes: 60,
        }
    }
}

impl RetentionConfig {
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            after_final_secs: i64::from(self.after_final_days) * 86_400,
            unacknowledged_secs: i64::from(self.unacknowledged_days) * 86_400,
        }
    }
}

/// Everything the hub reads at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the embedded SQLite database.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty means SQLite at `<data_dir>/hub.sqlite`.
    pub database_url: Option<String>,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    /// Largest accepted envelope ciphertext, in bytes.
    pub max_envelope_bytes: u64,
    /// Largest accepted JSON body, in bytes.
    pub max_json_bytes: u64,
    /// Seconds a request may take before the hub answers 408.
    pub request_timeout_secs: u64,
    /// Seconds a connection may take for its TLS handshake and for each request's headers, and may
    /// sit idle between requests; then it is closed (slow or half-open clients).
    pub header_read_timeout_secs: u64,
    /// Connections open at once. At the cap the hub stops accepting until one closes (new clients
    /// wait in the kernel's listen backlog); above 75 % of it, connections waiting for a request
    /// are closed after a quarter of `header_read_timeout_secs` (at least 1 s). Lowered at start,
    /// with a warning, if the open-file limit (ulimit -n) cannot hold it.
    pub max_connections: usize,
    /// After `header_read_timeout_secs`, a request body must arrive at least this fast on average
    /// (bytes per second), or the request is answered 408 and the connection closed; 0 turns the
    /// rate rule off. A body never may pause longer than `header_read_timeout_secs`.
    pub min_body_bytes_per_sec: u64,
    /// Days an invite code stays valid.
    pub invite_ttl_days: u32,
    pub retention: RetentionConfig,
    /// Serve HTTPS from these PEM files; plain HTTP when absent (e.g. behind nginx or Caddy).
    pub tls: Option<TlsConfig>,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8740)),
            data_dir: PathBuf::from("./tsunagu-data"),
            database_url: None,
            db_pool_size: 8,
            max_envelope_bytes: tsunagu_protocol::DEFAULT_MAX_ENVELOPE_BYTES,
            max_json_bytes: 256 * 1024,
            request_timeout_secs: 60,
            header_read_timeout_secs: 10,
            // Far above what one hub's offices need (a desk keeps one or two connections) and far
            // below what memory allows (an idle connection costs tens of KiB; docs/reliability.md).
            max_connections: 2048,
            // Even an EDGE (2G) mobile link moves ~20 KiB/s; a body slower than 1 KiB/s is not a client.
            min_body_bytes_per_sec: 1024,
            invite_ttl_days: 14,
            retention: RetentionConfig::default(),
            tls: None,
        }
    }
}

/// The environment variables the hub reads, with a Japanese description for people.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("TSUNAGU_HUB_CONFIG", "設定ファイル（TOML）のパス"),
    ("TSUNAGU_HUB_LISTEN", "待ち受けアドレス（例: 0.0.0.0:8740）"),
    (
        "TSUNAGU_DATA_DIR",
        "データディレクトリ（SQLite のファイル hub.sqlite を置く）",
    ),
    (
        "TSUNAGU_DATABASE_URL",
        "postgres://… または SQLite のファイルパス",
    ),
    ("TSUNAGU_DB_POOL_SIZE", "データベース接続数"),
    ("TSUNAGU_MAX_ENVELOPE_BYTES", "封筒の最大サイズ（バイト）"),
    ("TSUNAGU_MAX_JSON_BYTES", "JSON 本文の最大サイズ（バイト）"),
    (
        "TSUNAGU_REQUEST_TIMEOUT_SECS",
        "1 リクエストの制限時間（秒）",
    ),
    (
        "TSUNAGU_HEADER_READ_TIMEOUT_SECS",
        "TLS ハンドシェイク・リクエストヘッダー受信・接続の待機の制限時間（秒）",
    ),
    (
        "TSUNAGU_MAX_CONNECTIONS",
        "同時に開いておける接続の数（上限に達すると空くまで待たせる）",
    ),
    (
        "TSUNAGU_MIN_BODY_BYTES_PER_SEC",
        "リクエスト本文の最低の平均受信速度（バイト/秒、0 で無効）",
    ),
    ("TSUNAGU_INVITE_TTL_DAYS", "招待コードの有効日数"),
    (
        "TSUNAGU_RETENTION_AFTER_FINAL_DAYS",
        "最終受領後に暗号文を残す日数",
    ),
    (
        "TSUNAGU_RETENTION_UNACKNOWLEDGED_DAYS",
        "受領されない暗号文を残す日数",
    ),
    (
        "TSUNAGU_RETENTION_INTERVAL_MINUTES",
        "保存期間の処理の間隔（分、0 で無効）",
    ),
    ("TSUNAGU_TLS_CERT", "TLS の証明書チェーン（PEM）"),
    ("TSUNAGU_TLS_KEY", "TLS の秘密鍵（PEM）"),
];

impl HubConfig {
    /// Reads `file` (if given) over the defaults, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, |name| std::env::var(name).ok())
    }

    /// Like [`HubConfig::load`] with an explicit environment (tests).
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?
            }
            None => HubConfig::default(),
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(
            name: &'static str,
            value: String,
        ) -> Result<T, ConfigError> {
            value
                .trim()
                .parse()
                .map_err(|_| ConfigError::Env { name, value })
        }
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("TSUNAGU_HUB_LISTEN") {
            self.listen = parse("TSUNAGU_HUB_LISTEN", v)?;
        }
        if let Some(v) = get("TSUNAGU_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("TSUNAGU_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = get("TSUNAGU_DB_POOL_SIZE") {
            self.db_pool_size = parse("TSUNAGU_DB_POOL_SIZE", v)?;
        }
        if let Some(v) = get("TSUNAGU_MAX_ENVELOPE_BYTES") {
            self.max_envelope_bytes = parse("TSUNAGU_MAX_ENVELOPE_BYTES", v)?;
        }
        if let Some(v) = get("TSUNAGU_MAX_JSON_BYTES") {
            self.max_json_bytes = parse("TSUNAGU_MAX_JSON_BYTES", v)?;
        }
        if let Some(v) = get("TSUNAGU_REQUEST_TIMEOUT_SECS") {
            self.request_timeout_secs = parse("TSUNAGU_REQUEST_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("TSUNAGU_HEADER_READ_TIMEOUT_SECS") {
            self.header_read_timeout_secs = parse("TSUNAGU_HEADER_READ_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("TSUNAGU_MAX_CONNECTIONS") {
            self.max_connections = parse("TSUNAGU_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = get("TSUNAGU_MIN_BODY_BYTES_PER_SEC") {
            self.min_body_bytes_per_sec = parse("TSUNAGU_MIN_BODY_BYTES_PER_SEC", v)?;
        }
        if let Some(v) = get("TSUNAGU_INVITE_TTL_DAYS") {
            self.invite_ttl_days = parse("TSUNAGU_INVITE_TTL_DAYS", v)?;
        }
        if let Some(v) = get("TSUNAGU_RETENTION_AFTER_FINAL_DAYS") {
            self.retention.after_final_days = parse("TSUNAGU_RETENTION_AFTER_FINAL_DAYS", v)?;
        }
        if let Some(v) = get("TSUNAGU_RETENTION_UNACKNOWLEDGED_DAYS") {
            self.retention.unacknowledged_days = parse("TSUNAGU_RETENTION_UNACKNOWLEDGED_DAYS", v)?;
        }
        if let Some(v) = get("TSUNAGU_RETENTION_INTERVAL_MINUTES") {
            self.retention.interval_minutes = parse("TSUNAGU_RETENTION_INTERVAL_MINUTES", v)?;
        }
        match (get("TSUNAGU_TLS_CERT"), get("TSUNAGU_TLS_KEY")) {
            (Some(cert), Some(key)) => {
                self.tls = Some(TlsConfig {
                    cert: cert.into(),
                    key: key.into(),
                })
            }
            (None, None) => {}
            _ => return Err(ConfigError::TlsIncomplete),
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_envelope_bytes == 0 {
            return Err(ConfigError::Env {
                name: "max_envelope_bytes",
                value: "0".into(),
            });
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::Env {
                name: "request_timeout_secs",
                value: "0".into(),
            });
        }
        if self.header_read_timeout_secs == 0 {
            return Err(ConfigError::Env {
                name: "header_read_timeout_secs",
                value: "0".into(),
            });
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Env {
                name: "max_connections",
                value: "0".into(),
            });
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or the SQLite file under the data dir.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => self
                .data_dir
                .join("hub.sqlite")
                .to_string_lossy()
                .into_owned(),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// An example config file with every key and its default (for `tsunagu hub default-config`).
    pub fn example_toml() -> String {
        // Serializing a plain struct of scalars to TOML cannot fail.
        let body = toml::to_string_pretty(&HubConfig::default()).unwrap_or_default();
        format!(
            "# つなぐ ハブの設定ファイル。どの項目も省略でき、省略すると下の既定値になります。\n\
             # 環境変数 TSUNAGU_* があればそちらが優先されます（docs/operations.md）。\n\
             # PostgreSQL を使うとき:\n\
             # database_url = \"postgres://tsunagu@127.0.0.1/tsunagu\"\n\
             # HTTPS で待ち受けるとき（証明書チェーンと秘密鍵の PEM ファイル）:\n\
             # [tls]\n# cert = \"/etc/tsunagu/fullchain.pem\"\n# key = \"/etc/tsunagu/privkey.pem\"\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_sqlite_under_data_dir() {
        let c = HubConfig::load_with(None, |_| None).unwrap();
        assert_eq!(c.max_envelope_bytes, 16 * 1024 * 1024);
        assert!(c.effective_database_url().ends_with("hub.sqlite"));
        assert_eq!(c.retention.after_final_days, 30);
        assert_eq!(c.retention.unacknowledged_days, 180);
        assert_eq!(c.header_read_timeout(), Duration::from_secs(10));
        assert_eq!(c.max_connections, 2048);
        assert_eq!(c.min_body_bytes_per_sec, 1024);
    }

    #[test]
    fn file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\nmax_envelope_bytes = 1000\n[retention]\nafter_final_days = 7\n").unwrap();
        let c = HubConfig::load_with(Some(&path), |k| match k {
            "TSUNAGU_MAX_ENVELOPE_BYTES" => Some("2000".to_string()),
            "TSUNAGU_HEADER_READ_TIMEOUT_SECS" => Some("3".to_string()),
            "TSUNAGU_MAX_CONNECTIONS" => Some("64".to_string()),
            "TSUNAGU_MIN_BODY_BYTES_PER_SEC" => Some("0".to_string()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.header_read_timeout_secs, 3);
        assert_eq!(c.max_connections, 64);
        assert_eq!(c.min_body_bytes_per_sec, 0);
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.max_envelope_bytes, 2000);
        assert_eq!(c.retention.after_final_days, 7);
        assert_eq!(c.retention.unacknowledged_days, 180);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(matches!(
            HubConfig::load_with(None, |k| (k == "TSUNAGU_HUB_LISTEN")
                .then(|| "nope".to_string())),
            Err(ConfigError::Env { .. })
        ));
        assert!(matches!(
            HubConfig::load_with(None, |k| (k == "TSUNAGU_TLS_CERT")
                .then(|| "a.pem".to_string())),
            Err(ConfigError::TlsIncomplete)
        ));
        assert!(matches!(
            HubConfig::load_with(None, |k| (k == "TSUNAGU_HEADER_READ_TIMEOUT_SECS")
                .then(|| "0".to_string())),
            Err(ConfigError::Env { .. })
        ));
        for bad in ["0", "-1", "many"] {
            assert!(matches!(
                HubConfig::load_with(None, |k| (k == "TSUNAGU_MAX_CONNECTIONS")
                    .then(|| bad.to_string())),
                Err(ConfigError::Env { .. })
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        assert!(matches!(
            HubConfig::load_with(Some(&path), |_| None),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn example_config_parses() {
        let text = HubConfig::example_toml();
        let c: HubConfig = toml::from_str(&text).unwrap();
        assert_eq!(c, HubConfig::default());
    }
}
