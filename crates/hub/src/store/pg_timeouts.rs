//! Bounds on waiting for PostgreSQL, so that a silently dead network or a vanished hub process
//! turns into "unavailable" (HTTP 503, clients retry) instead of requests that hang for minutes.
//!
//! Three places can wait without end: the hub waiting for an answer on a connection whose
//! packets go nowhere (TCP only gives up after ~15 min of retransmissions); another hub waiting
//! for the writers' advisory lock that a vanished hub's open transaction still holds (the
//! server only notices a dead client after its keepalive, 2 h by default); and the server
//! keeping that transaction open. Each gets its own bound here.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgTimeouts {
    /// The hub gives up on a write batch (sends, receipts, download records) after this.
    pub write_batch: Duration,
    /// The server gives up waiting for a lock, the writers' advisory lock included
    /// (`lock_timeout`, SQLSTATE 55P03).
    pub lock: Duration,
    /// The server ends a session that sits in an open transaction this long without a
    /// statement (`idle_in_transaction_session_timeout`), releasing its locks: a hub that
    /// vanished mid-batch stops blocking the others.
    pub idle_in_transaction: Duration,
}

impl Default for PgTimeouts {
    fn default() -> Self {
        // A batch normally commits in tens of milliseconds (docs/performance.md); these are
        // far above any wait seen under month-end load and well below a client's patience.
        Self {
            write_batch: Duration::from_secs(20),
            lock: Duration::from_secs(15),
            idle_in_transaction: Duration::from_secs(30),
        }
    }
}

impl PgTimeouts {
    /// Connection options for `url` with the server-side bounds set for every session.
    pub fn connect_options(&self, url: &str) -> StoreResult<PgConnectOptions> {
        Ok(PgConnectOptions::from_str(url)?.options([
            ("lock_timeout", millis(self.lock)),
            (
                "idle_in_transaction_session_timeout",
                millis(self.idle_in_transaction),
            ),
        ]))
    }
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}
