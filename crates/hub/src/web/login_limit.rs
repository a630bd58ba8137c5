//! Login rate limiting: failed logins are counted per login name and per client address in the
//! database (so several hub processes on one PostgreSQL share the counts). After
//! [`ACCOUNT_FREE_FAILURES`] failures for a name, or [`IP_FREE_FAILURES`] from an address, further
//! logins are refused for a while — one minute, doubling with each further failure, at most
//! fifteen — with a Japanese message saying how long. A count is forgotten a day after its last
//! failure; a successful login forgets the name's count.
//!
//! No user enumeration: the name's key is the SHA-256 of the name as typed (lower-cased),
//! whether or not such a user exists, so an unknown name locks exactly like a real one; a locked
//! attempt is refused before any password is checked, for every name alike; and only the hash
//! is stored (people sometimes type their password into the name field).
//!
//! The client address is the connection's peer. Behind a reverse proxy on the same host (the
//! peer is a loopback address) it is the last address of `X-Forwarded-For`, the one that proxy
//! added; the header is ignored from any other peer, so a client cannot choose its own address.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::error::WebError;
use crate::startup::AppState;
use crate::store::LoginFailures;

/// Failures of one login name before it is locked.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// Failures from one client address before it is locked (higher: a city hall's users may all
/// come through one address).
pub const IP_FREE_FAILURES: i64 = 20;
/// The first lock, doubled with each further failure.
pub const FIRST_LOCK_SECS: i64 = 60;
/// The longest lock.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// A count is forgotten this long after its last failure.
pub const WINDOW_SECS: i64 = 24 * 3600;

/// One counter a login attempt is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub free: i64,
}

/// How long a key with `failures` stays locked after its last failure.
pub fn lock_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(16);
    FIRST_LOCK_SECS
        .saturating_mul(1i64 << doublings)
        .min(MAX_LOCK_SECS)
}

/// Seconds left of the lock of `f` at `now` (0: not locked).
pub fn remaining(f: &LoginFailures, free: i64, now: i64) -> i64 {
    (f.last_failed_at + lock_secs(f.failures, free) - now).max(0)
}

/// The counter of a login name as typed.
pub fn account(login: &str) -> Counter {
    Counter {
        key: format!(
            "login:{}",
            crate::sha256_hex(login.trim().to_lowercase().as_bytes())
        ),
        free: ACCOUNT_FREE_FAILURES,
    }
}

/// The counter of a client address: IPv4 as is, IPv6 by its /64 (one site's whole network).
pub fn address(ip: IpAddr) -> Counter {
    let key = match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    };
    Counter {
        key,
        free: IP_FREE_FAILURES,
    }
}

/// The client's address: the peer, or behind a proxy on the same host the address that proxy
/// appended to `X-Forwarded-For`.
pub fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?.ip();
    if !peer.is_loopback() {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back();
    Some(forwarded.unwrap_or(peer))
}

/// The counters of an attempt: the name's, and the address's when known.
pub fn counters(login: &str, ip: Option<IpAddr>) -> Vec<Counter> {
    let mut out = vec![account(login)];
    out.extend(ip.map(address));
    out
}

/// Seconds until an attempt may be made (0: now).
pub async fn wait_secs(state: &AppState, counters: &[Counter], now: i64) -> Result<i64, WebError> {
    let keys: Vec<String> = counters.iter().map(|c| c.key.clone()).collect();
    let found = state.store.login_failures(&keys).await?;
    Ok(longest(counters, &found, now))
}

fn longest(counters: &[Counter], found: &[LoginFailures], now: i64) -> i64 {
    found
        .iter()
        .filter_map(|f| {
            counters
                .iter()
                .find(|c| c.key == f.key)
                .map(|c| remaining(f, c.free, now))
        })
        .max()
        .unwrap_or(0)
}

/// Counts a failed attempt on every counter; returns the seconds the attempt's counters are
/// now locked for (0: not locked).
pub async fn failed(state: &AppState, counters: &[Counter], now: i64) -> Result<i64, WebError> {
    let mut found = Vec::new();
    for c in counters {
        found.push(
            state
                .store
                .record_login_failure(&c.key, now, now - WINDOW_SECS)
                .await?,
        );
    }
    Ok(longest(counters, &found, now))
}

/// Forgets the name's failures after a successful login (the address's count stays: one good
/// login does not clear failures of other names from that address).
pub async fn succeeded(state: &AppState, login: &str) -> Result<(), WebError> {
    state
        .store
        .clear_login_failures(&account(login).key)
        .await?;
    Ok(())
}

/// The message of a locked attempt, the same for every name.
pub fn locked_message(secs: i64) -> String {
    let minutes = (secs + 59) / 60;
    format!(
        "E-WEB-LOGIN-LOCK ログインの失敗が続いたため、しばらくログインできません。{minutes}分ほど待ってから、もう一度お試しください。パスワードが分からない場合は、管理者に連絡してください。"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_lock_grows_and_stops_growing() {
        let f = |n| lock_secs(n, ACCOUNT_FREE_FAILURES);
        assert_eq!((f(0), f(4)), (0, 0));
        assert_eq!((f(5), f(6), f(7), f(8)), (60, 120, 240, 480));
        assert_eq!((f(9), f(10), f(1_000)), (900, 900, 900));
        let x = LoginFailures {
            key: "k".into(),
            failures: 6,
            last_failed_at: 1_000,
        };
        assert_eq!(remaining(&x, ACCOUNT_FREE_FAILURES, 1_030), 90);
        assert_eq!(remaining(&x, ACCOUNT_FREE_FAILURES, 1_200), 0);
        assert_eq!(remaining(&x, IP_FREE_FAILURES, 1_030), 0);
        assert!(locked_message(90).contains("2分ほど"));
    }

    #[test]
    fn keys_hide_names_and_group_addresses() {
        assert_eq!(account("City-A ").key, account("city-a").key);
        assert!(!account("city-a").key.contains("city"));
        assert_ne!(account("city-a").key, account("city-b").key);
        let v6 = |s: &str| address(s.parse().unwrap()).key;
        assert_eq!(v6("2001:db8:1:2::5"), v6("2001:db8:1:2:ffff::9"));
        assert_ne!(v6("2001:db8:1:2::5"), v6("2001:db8:1:3::5"));
        assert_eq!(v6("::ffff:192.0.2.1"), "ip:192.0.2.1");
    }

    #[test]
    fn forwarded_for_only_from_a_proxy_on_this_host() {
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.1, 203.0.113.7"),
        );
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.9:5000".parse().unwrap();
        // The proxy appended the last address; what the client wrote before it is not used.
        assert_eq!(
            client_ip(Some(local), &h),
            Some("203.0.113.7".parse().unwrap())
        );
        // A client connecting directly cannot choose its address.
        assert_eq!(
            client_ip(Some(remote), &h),
            Some("192.0.2.9".parse().unwrap())
        );
        assert_eq!(
            client_ip(Some(local), &HeaderMap::new()),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(client_ip(None, &h), None);
    }
}
