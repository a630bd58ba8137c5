//! Serving connections: one accept loop for plain HTTP and HTTPS on hyper's HTTP/1.1 server.
//!
//! Why not `axum::serve` or axum-server: both first read the protocol version (HTTP/1 or the
//! HTTP/2 preface) with no deadline, so a client that connects and sends nothing, or only a few
//! bytes, holds its connection and task forever. Here every connection has a deadline before a
//! request reaches the router: the TLS handshake, each request's headers and the idle time between
//! kept-alive requests are all bounded by `header_read_timeout_secs`. The hub speaks HTTP/1.1 only
//! (ALPN `http/1.1` under TLS); a reverse proxy in front may offer HTTP/2 to clients.
//!
//! Limits against slow, idle and hostile clients (issue 6; measured in docs/reliability.md):
//! - at most `max_connections` open at once; at the cap a new client takes the place of the
//!   connection that has waited longest for a request (as nginx reuses idle keep-alive
//!   connections), and only when every connection is in a request does the loop stop accepting
//!   (new clients wait in the listen backlog); above 75 % of the cap waiting connections get a
//!   shorter deadline;
//! - request line and headers at most [`MAX_HEADER_BYTES`] and [`MAX_HEADERS`] (431 above);
//! - a request body must keep coming: no gap longer than `header_read_timeout_secs`, and at least
//!   `min_body_bytes_per_sec` on average after that (408, connection closed);
//! - an answer must keep leaving: a client that accepts nothing for `request_timeout_secs` is
//!   disconnected.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower::BoxError;
use tsunagu_protocol::ErrorCode;

use crate::config::TlsConfig;
use crate::error::ApiError;
use crate::startup::HubError;

/// Reads the PEM certificate chain and private key into a TLS acceptor (HTTP/1.1 only).
pub fn tls_acceptor(tls: &TlsConfig) -> Result<TlsAcceptor, HubError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let bad = |path: &Path, reason: String| HubError::Tls(format!("{}: {reason}", path.display()));
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(&tls.cert, pem_reason(&e)))?;
    if certs.is_empty() {
        return Err(bad(&tls.cert, NO_CERT.to_string()));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => bad(&tls.key, NO_KEY.to_string()),
        e => bad(&tls.key, pem_reason(&e)),
    })?;
    // The provider is named here rather than installed process-wide with
    // `CryptoProvider::install_default`: nothing global to race on, and no panic if a second
    // provider (ring) is ever compiled in through another dependency.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let both = format!("{} / {}", tls.cert.display(), tls.key.display());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HubError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                HubError::Tls(format!("{both}: 秘密鍵が証明書と対になっていません"))
            }
            e => HubError::Tls(format!(
                "{both}: 証明書または秘密鍵に対応していません（{e}）"
            )),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

const NO_CERT: &str = "証明書（-----BEGIN CERTIFICATE-----）がありません";
const NO_KEY: &str = "秘密鍵（-----BEGIN PRIVATE KEY----- など）がありません";

/// A PEM reading error for people (the library's text stays in parentheses where useful).
fn pem_reason(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(e) => format!("ファイルを読めません（{e}）"),
        Error::NoItemsFound => NO_CERT.to_string(),
        Error::MissingSectionEnd { end_marker } => format!(
            "PEM の終わりの行（{}）がありません",
            String::from_utf8_lossy(end_marker)
        ),
        Error::IllegalSectionStart { .. } => "PEM の -----BEGIN 行が正しくありません".to_string(),
        Error::Base64Decode(_) => "PEM の中身（Base64）が壊れています".to_string(),
        e => format!("PEM の形式が正しくありません（{e}）"),
    }
}

/// Largest request line plus headers. The hub's own headers (a bearer token, the routing header,
/// a session cookie) stay well under 8 KiB; 32 KiB is nginx's default total and leaves room for a
/// proxy's forwarding headers. Above it hyper answers 431 and closes the connection after reading
/// at most this much.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most header fields in one request (hyper answers 431 above). Set explicitly so that a change
/// of hyper's default does not change the hub.
pub const MAX_HEADERS: usize = 100;
/// Open connections, as a share of the cap, from which connections waiting for a request get the
/// short deadline ([`pressure_idle_timeout`]), and below which the normal deadline returns. The
/// gap keeps a count hovering near the threshold from waking every connection at each change.
const PRESSURE_ON_PERCENT: usize = 75;
const PRESSURE_OFF_PERCENT: usize = 60;
/// The "connection limit reached" warning is logged at most this often (a flood must not flood
/// the log as well).
const LIMIT_LOG_EVERY: Duration = Duration::from_secs(10);
/// At the cap with a client accepted but no slot, how often to look again for an idle connection
/// to close (all were in a request, or the one asked declined because a request had just come).
const EVICT_RETRY: Duration = Duration::from_millis(50);
/// A connection idle for less than this is not closed to make room. Without it a flood of
/// sockets that reconnect at once churns the cap faster than an honest client, just connected,
/// can send its first request (over TLS two round trips after connecting), and the honest client
/// is the one closed. Half a second covers a slow network and still lets the cap turn over
/// thousands of times a second.
const EVICT_GRACE: Duration = Duration::from_millis(500);

/// How the accept loop treats connections.
#[derive(Clone)]
pub struct ServeOptions {
    /// HTTPS when set.
    pub tls: Option<TlsAcceptor>,
    /// TLS handshake, request headers, idle keep-alive: each must finish within this. Also the
    /// longest gap allowed between two pieces of a request body.
    pub header_read_timeout: Duration,
    /// A client that accepts no byte of an answer for this long is disconnected (it stopped
    /// reading a download, or vanished without a reset).
    pub write_stall_timeout: Duration,
    /// Connections open at once. At the cap a new client takes the place of the connection that
    /// has waited longest for a request; if all are in a request, the hub stops accepting until
    /// one closes and new clients wait in the kernel's listen backlog.
    pub max_connections: usize,
    /// After `header_read_timeout`, a request body must have arrived at this average rate
    /// (bytes per second) or the request is answered 408 and the connection closed. 0 turns the
    /// rate rule off (the gap rule above still applies).
    pub min_body_bytes_per_sec: u64,
    /// After the shutdown signal, how long in-flight requests may still run.
    pub shutdown_grace: Duration,
}

/// Under connection pressure, how long a connection may wait for its TLS handshake, its next
/// request's headers, or sit idle: a quarter of the normal deadline, but at least a second so a
/// client on a slow network still gets its first request in.
pub fn pressure_idle_timeout(header_read_timeout: Duration) -> Duration {
    (header_read_timeout / 4)
        .max(Duration::from_secs(1))
        .min(header_read_timeout)
}

/// Fits the connection cap to the process's open-file limit. Raises the soft `RLIMIT_NOFILE` to
/// the hard limit first (as nginx's `worker_rlimit_nofile` and Go's runtime do); if that is still
/// too small for `requested` connections plus `reserved_fds` (database, log and data files), the
/// cap is lowered with a warning rather than letting `accept` fail with "too many open files".
pub fn fit_connection_cap(requested: usize, reserved_fds: u64) -> usize {
    let limit = raise_nofile_limit();
    let cap = cap_for_limit(limit, requested, reserved_fds);
    if cap < requested {
        tracing::warn!(
            nofile = limit,
            reserved_fds,
            requested,
            max_connections = cap,
            "the open-file limit (ulimit -n) is too small for max_connections; serving fewer \
             connections (raise LimitNOFILE= in the systemd unit, or ulimit -n)"
        );
    }
    cap
}

/// The cap that fits `requested` connections and `reserved_fds` other files under the soft
/// open-file `limit` (`None`: unlimited or unknown).
fn cap_for_limit(limit: Option<u64>, requested: usize, reserved_fds: u64) -> usize {
    let Some(limit) = limit else {
        return requested;
    };
    let room = limit.saturating_sub(reserved_fds);
    match usize::try_from(room) {
        Ok(room) if room < requested => room.max(16.min(requested)),
        // Keep a few connections even on a tiny limit: refusing to start would be worse.
        _ => requested,
    }
}

/// Raises the soft open-file limit to the hard one and returns the soft limit now in force
/// (`None`: unlimited or unknown).
#[cfg(unix)]
fn raise_nofile_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    let soft = now.current?;
    let raised = match now.maximum {
        Some(hard) if hard > soft => Some(hard),
        // macOS reports an unlimited hard limit but refuses a soft limit above OPEN_MAX; ask for
        // a generous finite number instead.
        None => Some(soft.max(65_536)),
        Some(_) => None,
    };
    if let Some(target) = raised {
        let want = Rlimit {
            current: Some(target),
            maximum: now.maximum,
        };
        match setrlimit(Resource::Nofile, want) {
            Ok(()) => {
                tracing::debug!(from = soft, to = target, "raised the open-file limit");
                return Some(target);
            }
            Err(e) => tracing::debug!(error = %e, "could not raise the open-file limit"),
        }
    }
    Some(soft)
}

#[cfg(not(unix))]
fn raise_nofile_limit() -> Option<u64> {
    None
}

/// The connection count and the pressure signal shared by the accept loop and every connection.
struct Limits {
    slots: Arc<Semaphore>,
    max: usize,
    /// True while the open count is above [`PRESSURE_ON_PERCENT`] of the cap.
    pressure: watch::Sender<bool>,
    /// Connections closed early because they waited for a request under pressure (for the log).
    shed: AtomicU64,
    /// Every open connection's activity, so that at the cap the accept loop can find the one
    /// waiting longest for a request. A linear scan: it runs only at the cap, once per new client.
    conns: Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    /// Connections closed to make room for a new one at the cap (for the log).
    evicted: AtomicU64,
}

impl Limits {
    fn open(&self) -> usize {
        self.max.saturating_sub(self.slots.available_permits())
    }

    fn update_pressure(&self) {
        let open = self.open().saturating_mul(100);
        self.pressure.send_if_modified(|high| {
            let next = if *high {
                open >= self.max.saturating_mul(PRESSURE_OFF_PERCENT)
            } else {
                open >= self.max.saturating_mul(PRESSURE_ON_PERCENT)
            };
            std::mem::replace(high, next) != next
        });
    }

    fn register(&self, activity: Arc<Activity>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, activity);
        id
    }

    /// Asks the connection that has waited longest for a request to close; none if every open
    /// connection is in a request or has waited less than [`EVICT_GRACE`]. The connection itself
    /// decides (see [`evicted`]): a request may reach it between this scan and its closing.
    ///
    /// Connections that never sent a request go first, kept-alive ones between requests only
    /// when none is left: under a flood of idle connections (which reconnect within
    /// milliseconds) a client that keeps its connection and pauses between requests would
    /// otherwise soon be the longest idle, and closing a kept-alive connection can race with the
    /// client's next request (which it must then retry).
    fn evict_longest_idle(&self) {
        let conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        let longest = conns
            .values()
            .filter_map(|a| {
                let since = a.idle_since().filter(|t| t.elapsed() >= EVICT_GRACE)?;
                Some(((a.served.load(Ordering::Relaxed), since), a))
            })
            .min_by_key(|(key, _)| *key);
        if let Some((_, activity)) = longest {
            activity.evict.notify_one();
        }
    }
}

/// One open connection's place under the cap; freed (and the pressure re-evaluated) on drop.
struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    limits: Arc<Limits>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.limits
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        drop(self.permit.take());
        self.limits.update_pressure();
    }
}

/// Whether a connection is in a request (from complete headers until its answer is written) and,
/// if not, since when it has been waiting.
struct Activity {
    epoch: Instant,
    busy: AtomicU32,
    idle_since_ms: AtomicU64,
    /// Set by the accept loop when this connection should make room for a new one.
    evict: Notify,
    /// Whether a request has ever reached the router on this connection.
    served: AtomicBool,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            epoch: Instant::now(),
            busy: AtomicU32::new(0),
            idle_since_ms: AtomicU64::new(0),
            evict: Notify::new(),
            served: AtomicBool::new(false),
        })
    }

    fn idle_since(&self) -> Option<Instant> {
        if self.busy.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(self.epoch + Duration::from_millis(self.idle_since_ms.load(Ordering::SeqCst)))
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.busy.fetch_add(1, Ordering::SeqCst);
        self.served.store(true, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

/// Held from the moment a request reaches the router until its answer's body is written.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        // The time first, then the count: a reader that sees the count at 0 sees the new time.
        self.0.idle_since_ms.store(ms, Ordering::SeqCst);
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Completes when the connection has been waiting for a request for longer than `limit` while
/// the hub is under connection pressure; never completes otherwise.
async fn idle_under_pressure(
    mut pressure: watch::Receiver<bool>,
    activity: &Activity,
    limit: Duration,
) {
    loop {
        if pressure.wait_for(|high| *high).await.is_err() {
            // The accept loop is gone (shutdown); graceful shutdown closes idle connections.
            return std::future::pending().await;
        }
        let recheck = match activity.idle_since() {
            Some(since) if since.elapsed() >= limit => return,
            Some(since) => since + limit,
            // In a request: look again once the request could have ended.
            None => Instant::now() + limit,
        };
        tokio::select! {
            () = tokio::time::sleep_until(recheck.into()) => {}
            _ = pressure.wait_for(|high| !*high) => {}
        }
    }
}

/// Completes, with how long the connection had waited, once the accept loop has asked it to make
/// room and it is still not in a request.
///
/// Checked here, in the connection's own task, rather than by the accept loop: a request reaches
/// the router only while this task polls the connection, so nothing can arrive between this check
/// and the connection being dropped. (An answer's body counts as in a request until written.)
async fn evicted(activity: &Activity) -> Duration {
    loop {
        activity.evict.notified().await;
        if let Some(since) = activity.idle_since() {
            return since.elapsed();
        }
    }
}

/// Accepts connections until `shutdown` completes, then stops accepting, lets in-flight
/// requests finish (idle connections close at once) and returns within `shutdown_grace`.
///
/// At most `max_connections` are served at once. At the cap the loop still accepts the next
/// client and closes the connection that has waited longest for a request to make room for it:
/// otherwise, under a flood of idle connections that reconnect at once, the kernel's accept queue
/// stands still and a new honest client's SYN is dropped and resent after 1, 3, 7 s. (The queue
/// still overflows under such a flood, but keeps moving; measured in docs/reliability.md.)
/// The client is held, unserved, until the slot is free, so the hub's sockets may exceed the cap
/// by that one. If every connection is in a request, the held client waits for a slot and the
/// rest wait in the listen backlog, as before. Slots do free: every connection that is not in a
/// request is bounded by `header_read_timeout`, and above 75 % of the cap by the shorter
/// [`pressure_idle_timeout`], so idle and slowloris connections cannot starve honest clients.
pub async fn serve(
    mut listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let http = Arc::new(http);
    let max = options.max_connections.max(1);
    let limits = Arc::new(Limits {
        slots: Arc::new(Semaphore::new(max)),
        max,
        pressure: watch::Sender::new(false),
        shed: AtomicU64::new(0),
        conns: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        evicted: AtomicU64::new(0),
    });
    let pressure_idle = pressure_idle_timeout(options.header_read_timeout);
    let body_limits = BodyLimits {
        gap: options.header_read_timeout,
        min_rate: options.min_body_bytes_per_sec,
    };
    let graceful = GracefulShutdown::new();
    let mut last_limit_log: Option<Instant> = None;
    let mut waits_since_log: u64 = 0;
    tokio::pin!(shutdown);
    'accept: loop {
        let (permit, accepted) = match limits.slots.clone().try_acquire_owned() {
            Ok(permit) => (permit, None),
            Err(_) => {
                waits_since_log += 1;
                if last_limit_log.is_none_or(|t| t.elapsed() >= LIMIT_LOG_EVERY) {
                    tracing::warn!(
                        max_connections = max,
                        times = waits_since_log,
                        closed_waiting = limits.shed.swap(0, Ordering::Relaxed),
                        closed_idle_for_new = limits.evicted.swap(0, Ordering::Relaxed),
                        "connection limit reached; new clients take the place of idle \
                         connections, or wait in the listen backlog while all are in a request"
                    );
                    last_limit_log = Some(Instant::now());
                    waits_since_log = 0;
                }
                // Waiting for `accept` as well as for a slot: a client that arrives while every
                // slot is taken is accepted at once and an idle connection closed for it, so the
                // kernel's accept queue keeps draining under a flood.
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    permit = limits.slots.clone().acquire_owned() => match permit {
                        Ok(permit) => (permit, None),
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                    conn = axum::serve::Listener::accept(&mut listener) => {
                        let permit = loop {
                            limits.evict_longest_idle();
                            tokio::select! {
                                biased;
                                () = &mut shutdown => break 'accept,
                                permit = limits.slots.clone().acquire_owned() => match permit {
                                    Ok(permit) => break permit,
                                    Err(_) => break 'accept,
                                },
                                () = tokio::time::sleep(EVICT_RETRY) => {}
                            }
                        };
                        (permit, Some(conn))
                    }
                }
            }
        };
        // axum's Listener impl retries on accept errors (sleeping on e.g. too many open files).
        let (stream, peer) = match accepted {
            Some(conn) => conn,
            None => tokio::select! {
                conn = axum::serve::Listener::accept(&mut listener) => conn,
                () = &mut shutdown => break,
            },
        };
        let activity = Activity::new();
        let slot = Slot {
            permit: Some(permit),
            limits: limits.clone(),
            id: limits.register(activity.clone()),
        };
        limits.update_pressure();
        // Small JSON answers: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let stream = WriteDeadline::new(stream, options.write_stall_timeout);
        // Taken before spawning, so a connection still in its handshake delays the shutdown
        // until it is served or times out (see hyper_util's GracefulShutdown::watcher).
        let watcher = graceful.watcher();
        let pressure = limits.pressure.subscribe();
        let (app, http, tls, limits) = (
            app.clone(),
            http.clone(),
            options.tls.clone(),
            limits.clone(),
        );
        let header_read_timeout = options.header_read_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let conn = Conn {
                app,
                peer,
                activity: activity.clone(),
                body_limits,
            };
            let served = async {
                match tls {
                    None => serve_connection(&http, stream, conn, watcher).await,
                    Some(acceptor) => {
                        let handshake =
                            tokio::time::timeout(header_read_timeout, acceptor.accept(stream))
                                .await;
                        match handshake {
                            Ok(Ok(tls)) => serve_connection(&http, tls, conn, watcher).await,
                            // Scanners and plain-HTTP clients end up here; not worth a warning.
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed")
                            }
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                }
            };
            tokio::select! {
                () = served => {}
                () = idle_under_pressure(pressure, &activity, pressure_idle) => {
                    limits.shed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%peer, "closed a connection waiting for a request: near the connection limit");
                }
                idle = evicted(&activity) => {
                    limits.evicted.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX),
                        "closed the connection waiting longest for a request: a new one \
                         arrived at the connection limit"
                    );
                }
            }
        });
    }
    drop(listener);
    tracing::info!(
        connections = graceful.count(),
        "stopped accepting; draining connections"
    );
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = options.shutdown_grace.as_secs(),
            "connections still open after the shutdown grace period; dropping them"
        );
    }
}

/// Serves one connection.
async fn serve_connection<I>(http: &http1::Builder, io: I, conn: Conn, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http.serve_connection(TokioIo::new(io), conn);
    if let Err(e) = watcher.watch(conn).await {
        // Header timeouts, resets and malformed requests: the client's problem, logged quietly.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// The router as one connection sees it. Every request carries the peer's address as axum's
/// `ConnectInfo` (the login's rate limit counts failures per client address), its body is read
/// under [`BodyLimits`], and the connection counts as busy until the answer is written.
#[derive(Clone)]
struct Conn {
    app: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
    body_limits: BodyLimits,
}

impl hyper::service::Service<Request<Incoming>> for Conn {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let timed_out = Arc::new(AtomicBool::new(false));
        let limits = self.body_limits;
        let flag = timed_out.clone();
        let mut req = req.map(|body| Body::new(TimedBody::new(body, limits, flag)));
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // The router is always ready (axum's `Router::poll_ready` returns at once).
        let answer = tower::Service::call(&mut self.app.clone(), req);
        let peer = self.peer;
        Box::pin(async move {
            let resp = match answer.await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            // The handler saw only "body read failed" and may have answered 400; say what happened.
            let resp = if timed_out.load(Ordering::SeqCst) {
                tracing::debug!(%peer, "request body too slow; answered 408 and closing");
                let mut resp = ApiError::Code(ErrorCode::Timeout).into_response();
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                resp
            } else {
                resp
            };
            Ok(resp.map(|body| {
                Body::new(AnswerBody {
                    inner: body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// How slowly a request body may arrive.
#[derive(Clone, Copy)]
struct BodyLimits {
    /// Longest wait for the first and for each next piece.
    gap: Duration,
    /// Least average rate after the first `gap` (bytes per second; 0 = no rate rule).
    min_rate: u64,
}

/// Why a request body read failed: it came too slowly (see [`BodyLimits`]).
#[derive(Debug)]
struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body arrived too slowly")
    }
}

impl std::error::Error for BodyTooSlow {}

/// A request body that fails with [`BodyTooSlow`] when its next piece is late. Without it a client
/// could send the headers of a large upload and then trickle a byte a second, holding its
/// connection and the handler until `request_timeout_secs`; a client that vanishes mid-body
/// without a reset would hold them just as long.
struct TimedBody {
    inner: Incoming,
    limits: BodyLimits,
    timed_out: Arc<AtomicBool>,
    /// When the handler first asked for the body (not when the headers came: the handler may do
    /// other work first, such as checking the token).
    started: Option<Instant>,
    received: u64,
    deadline: Instant,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TimedBody {
    fn new(inner: Incoming, limits: BodyLimits, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            limits,
            timed_out,
            started: None,
            received: 0,
            deadline: Instant::now(),
            timer: None,
        }
    }

    /// The next piece is due by the earlier of: one `gap` from now, and the moment the average
    /// since the start would fall below `min_rate` (with one `gap` of grace for the start).
    fn next_deadline(&self, now: Instant, started: Instant) -> Instant {
        let by_gap = now + self.limits.gap;
        if self.limits.min_rate == 0 {
            return by_gap;
        }
        let earned = Duration::from_secs_f64(self.received as f64 / self.limits.min_rate as f64);
        by_gap.min(started + self.limits.gap + earned)
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let started = match this.started {
            Some(t) => t,
            None => {
                let now = Instant::now();
                this.started = Some(now);
                this.deadline = this.next_deadline(now, now);
                now
            }
        };
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                    this.deadline = this.next_deadline(Instant::now(), started);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = tokio::time::Instant::from_std(this.deadline);
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    this.timed_out.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(BodyTooSlow.into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's body, holding the connection's [`InFlight`] until it is written (a long download
/// is not "waiting for a request").
struct AnswerBody {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for AnswerBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail with `TimedOut` once they have made no progress for `limit`: a
/// client that stops reading (or whose network vanished without a reset) would otherwise keep a
/// connection, its buffers and its slot under the cap for as long as TCP keeps retrying.
struct WriteDeadline<I> {
    io: I,
    limit: Duration,
    /// Running while a write (or flush) is blocked.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
}

impl<I> WriteDeadline<I> {
    fn new(io: I, limit: Duration) -> Self {
        Self {
            io,
            limit,
            stalled: None,
            armed: false,
        }
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if result.is_ready() {
            self.armed = false;
            return result;
        }
        let deadline = tokio::time::Instant::now() + self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.armed {
            timer.as_mut().reset(deadline);
            self.armed = true;
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client accepted no data within the write timeout",
            )));
        }
        Poll::Pending
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for WriteDeadline<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(cx, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        assert_eq!(cap_for_limit(None, 2048, 96), 2048);
        assert_eq!(cap_for_limit(Some(65_536), 2048, 96), 2048);
        assert_eq!(cap_for_limit(Some(2048 + 96), 2048, 96), 2048);
        assert_eq!(cap_for_limit(Some(1024), 2048, 96), 928);
        // A tiny limit still leaves a few connections rather than none.
        assert_eq!(cap_for_limit(Some(50), 2048, 96), 16);
        assert_eq!(cap_for_limit(Some(50), 8, 96), 8);
    }

    #[test]
    fn pressure_shortens_waiting_to_a_quarter_but_at_least_a_second() {
        let s = Duration::from_secs;
        assert_eq!(pressure_idle_timeout(s(10)), Duration::from_millis(2500));
        assert_eq!(pressure_idle_timeout(s(2)), s(1));
        assert_eq!(pressure_idle_timeout(s(1)), s(1));
        assert_eq!(
            pressure_idle_timeout(Duration::from_millis(500)),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn pressure_starts_at_three_quarters_and_ends_below_sixty_percent() {
        let limits = Limits {
            slots: Arc::new(Semaphore::new(100)),
            max: 100,
            pressure: watch::Sender::new(false),
            shed: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
        };
        let mut held = Vec::new();
        let take = |n: usize, held: &mut Vec<OwnedSemaphorePermit>| {
            for _ in 0..n {
                held.push(limits.slots.clone().try_acquire_owned().unwrap());
            }
            limits.update_pressure();
            *limits.pressure.borrow()
        };
        assert!(!take(74, &mut held));
        assert!(take(1, &mut held));
        held.truncate(60);
        limits.update_pressure();
        assert!(*limits.pressure.borrow(), "60 % is still under pressure");
        held.truncate(59);
        limits.update_pressure();
        assert!(!*limits.pressure.borrow());
    }
}
