//! PostgreSQL server settings that decide the hub's latency under month-end load.
//!
//! The hub cannot set them itself (they need a server restart and belong to whoever runs the
//! database), so it reads them once at start and warns, pointing at docs/operations.md. Each
//! threshold is one that was measured (docs/performance.md, "PostgreSQL p99").

use sqlx::PgPool;

use super::StoreResult;

/// WAL buffers below this made every 16 MB WAL segment cost a 50–90 ms commit stall at 500
/// envelopes/s (p99 57–132 ms); 128 MB gave p99 7–14 ms.
const MIN_WAL_BUFFERS: i64 = 64 * 1024 * 1024;

/// One setting the hub would like changed, in the words of a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingAdvice {
    pub setting: &'static str,
    pub current: String,
    pub recommended: &'static str,
    pub why: &'static str,
}

/// Reads the server's settings and returns what docs/operations.md recommends otherwise.
pub async fn advice(pool: &PgPool) -> StoreResult<Vec<SettingAdvice>> {
    let (wal_buffers, wal_buffers_bytes): (String, i64) = sqlx::query_as(
        "SELECT current_setting('wal_buffers'), pg_size_bytes(current_setting('wal_buffers'))",
    )
    .fetch_one(pool)
    .await?;
    let mut out = Vec::new();
    if wal_buffers_bytes < MIN_WAL_BUFFERS {
        out.push(SettingAdvice {
            setting: "wal_buffers",
            current: wal_buffers,
            recommended: "128MB",
            why: "each envelope's ciphertext passes through the WAL; small buffers stall commits \
                  at every WAL segment under load",
        });
    }
    Ok(out)
}

/// Logs [`advice`] as warnings; a failure to read settings is only logged, never fatal.
pub async fn warn_about(pool: &PgPool) {
    match advice(pool).await {
        Ok(list) => {
            for a in list {
                tracing::warn!(
                    setting = a.setting,
                    current = %a.current,
                    recommended = a.recommended,
                    "PostgreSQL setting below what the hub needs under load ({}); see docs/operations.md",
                    a.why
                );
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not read PostgreSQL settings"),
    }
}
