//! Tsunagu hub: relays sealed envelopes between care offices.
//!
//! The hub stores ciphertext with clear routing metadata, verifies signed receipts against the
//! recipient office's registered device keys, keeps a hash-chained audit log, and never holds a
//! key that opens an envelope. Layout (zero2prod / kanidm style):
//! - [`store`]: the `Store` trait and its SQLite / PostgreSQL implementations;
//! - [`routes`]: thin axum handlers over the store; [`error`]: the one error → HTTP mapping;
//! - [`startup`]: `Hub::build(config)` / `run_until_stopped()`; [`serve`]: the accept loop (TLS,
//!   connection deadlines, graceful shutdown); [`config`]: TOML + `TSUNAGU_*` env;
//! - [`ops`]: operator functions (create office, invite, audit verify, retention) used by [`cli`];
//!   [`backup`]: `tsunagu hub backup` / `restore` (SQLite online backup, pg_dump / pg_restore);
//! - [`web`]: the web pages — login, operator, the municipal dashboard (askama + inline SVG).

pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod error;
pub mod openapi;
pub mod ops;
pub mod partner_reports;
pub mod routes;
pub mod serve;
pub mod startup;
pub mod store;
pub mod web;

pub use cli::{HubArgs, run};
pub use config::HubConfig;
pub use startup::Hub;

/// Current time as Unix seconds.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Unix seconds as a timestamp for the wire (out-of-range values clamp to the epoch).
pub fn to_datetime(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
