//! PostgreSQL server settings that decide the hub's latency under month-end load.
//!
//! The hub cannot set them itself (they need a server restart and belong to whoever runs the
//! database), so it reads them once at start and warns, pointing at docs/operations.md. Each
//! threshold is one that was measured (docs/performance.md, "PostgreSQL p99").

use sqlx::PgPool;

use super::StoreResult;

/// Measured on a server with `max_wal_size=8GB` (few checkpoints): with the default WAL buffers
/// (16 MB) every 16 MB WAL segment cost a 50–90 ms commit stall at 500 envelopes/s (p99 57–132
/// ms); `wal_buffers=128MB` gave p99 5–14 ms in 9 of 10 runs. With the default `max_wal_size`
/// (1 GB) the stall did not appear, so only that combination is named.
const MIN_WAL_BUFFERS: i64 = 64 * 1024 * 1024;
const LARGE_MAX_WAL_SIZE: i64 = 2 * 1024 * 1024 * 1024;

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
    let (wal_buffers, wal_buffers_bytes, max_wal_size_bytes): (String, i64, i64) = sqlx::query_as(
        "SELECT current_setting('wal_buffers'), pg_size_bytes(current_setting('wal_buffers')), \
         pg_size_bytes(current_setting('max_wal_size'))",
    )
    .fetch_one(pool)
    .await?;
    let mut out = Vec::new();
    if needs_more_wal_buffers(wal_buffers_bytes, max_wal_size_bytes) {
        out.push(SettingAdvice {
            setting: "wal_buffers",
            current: wal_buffers,
            recommended: "128MB",
            why: "with a large max_wal_size, small WAL buffers stalled commits at every WAL \
                  segment under load",
        });
    }
    Ok(out)
}

/// The combination that was measured to stall (see [`MIN_WAL_BUFFERS`]).
pub fn needs_more_wal_buffers(wal_buffers: i64, max_wal_size: i64) -> bool {
    wal_buffers < MIN_WAL_BUFFERS && max_wal_size > LARGE_MAX_WAL_SIZE
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

#[cfg(test)]
mod tests {
    use super::needs_more_wal_buffers;

    const MB: i64 = 1024 * 1024;

    #[test]
    fn only_the_measured_combination_is_named() {
        // PostgreSQL's defaults (wal_buffers 4–16 MB, max_wal_size 1 GB): no advice.
        assert!(!needs_more_wal_buffers(4 * MB, 1024 * MB));
        assert!(!needs_more_wal_buffers(16 * MB, 1024 * MB));
        // Few checkpoints with the default buffers: advice.
        assert!(needs_more_wal_buffers(16 * MB, 8192 * MB));
        // Both raised, as docs/operations.md recommends: none.
        assert!(!needs_more_wal_buffers(128 * MB, 8192 * MB));
    }
}
