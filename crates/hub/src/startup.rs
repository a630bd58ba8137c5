//! Building and running the hub (zero2prod's `Application`): `Hub::build(config)` binds the
//! listener, reads the TLS files and opens (and migrates) the store; `run_until_stopped()` serves
//! (see [`crate::serve`]) until Ctrl-C or SIGTERM, then drains in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;
use tsunagu_protocol::{ErrorCode, routes as r};

use crate::config::HubConfig;
use crate::error::ApiError;
use crate::store::{Store, StoreError};
use crate::{openapi, routes};

/// How long a graceful shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Why the hub could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("E-HUB-START-001 待ち受けアドレス {addr} を使えません: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("E-HUB-START-002 データベースを開けません（{url}）: {source}")]
    Store { url: String, source: StoreError },
    #[error("E-HUB-START-003 TLS の証明書または秘密鍵を使えません: {0}")]
    Tls(String),
    /// Another hub (or a restore) holds the SQLite database: one hub process per file.
    #[error("E-HUB-START-004 データベースのロックを取れません: {0}")]
    Locked(crate::backup::BackupError),
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<HubConfig>,
}

/// The API router with its limits, timeout and tracing.
pub fn router(state: AppState) -> Router {
    let max_envelope = usize::try_from(state.config.max_envelope_bytes).unwrap_or(usize::MAX);
    let max_json = usize::try_from(state.config.max_json_bytes).unwrap_or(usize::MAX);
    let timeout = state.config.request_timeout();
    Router::new()
        .route(r::HEALTH, get(routes::healthz))
        .route(r::READY, get(routes::readyz))
        .route(r::OPENAPI, get(openapi::openapi_json))
        .route(r::REGISTER, post(routes::register_device))
        .route(r::ME, get(routes::me))
        .route(r::REVOKE_DEVICE, post(routes::revoke_device))
        .route(r::OFFICE_KEYS, get(routes::office_keys))
        // Only the upload may be large; every other body keeps the small JSON limit.
        .route(
            r::ENVELOPES,
            put(routes::send_envelope).layer(DefaultBodyLimit::max(max_envelope)),
        )
        .route(r::INBOX, get(routes::inbox))
        .route(r::OUTBOX, get(routes::outbox))
        .route(r::ENVELOPE, get(routes::envelope_detail))
        .route(r::CIPHERTEXT, get(routes::download))
        .route(r::RECEIPTS, post(routes::post_receipt))
        .route(r::PARTNERS, put(crate::partner_reports::put_partners))
        // The web pages (dashboard, operator, login) with their own CSRF check and headers.
        .merge(crate::web::router(state.clone()))
        .fallback(crate::error::not_found)
        .layer(DefaultBodyLimit::max(max_json))
        .layer(
            ServiceBuilder::new()
                // Logs method, path, status and latency; never bodies or headers (tokens).
                .layer(TraceLayer::new_for_http())
                .layer(HandleErrorLayer::new(|err: tower::BoxError| async move {
                    if err.is::<tower::timeout::error::Elapsed>() {
                        ApiError::Code(ErrorCode::Timeout)
                    } else {
                        ApiError::Internal(format!("middleware: {err}"))
                    }
                }))
                .timeout(timeout),
        )
        .with_state(state)
}

/// A built, bound hub, ready to serve.
pub struct Hub {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Held while serving a SQLite database (see [`crate::backup::HubLock`]).
    lock: Option<crate::backup::HubLock>,
}

impl Hub {
    /// Opens the store named by the config and binds `config.listen`.
    pub async fn build(config: HubConfig) -> Result<Self, HubError> {
        // Bad TLS files fail before anything else is touched.
        if let Some(tls) = &config.tls {
            crate::serve::tls_acceptor(tls)?;
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| HubError::Bind {
                addr: config.listen,
                source,
            })?;
        Self::build_with_listener(config, listener).await
    }

    /// Like [`Hub::build`] on an already bound listener (tests bind port 0).
    pub async fn build_with_listener(
        config: HubConfig,
        listener: tokio::net::TcpListener,
    ) -> Result<Self, HubError> {
        let url = config.effective_database_url();
        // One serving hub per SQLite file, and none while a restore swaps it.
        let lock = match crate::backup::Target::from_url(&url) {
            crate::backup::Target::Sqlite(path) => {
                Some(crate::backup::HubLock::acquire(&path).map_err(HubError::Locked)?)
            }
            crate::backup::Target::Postgres(_) => None,
        };
        let store = crate::store::open(&url, config.db_pool_size)
            .await
            .map_err(|source| HubError::Store {
                url: crate::store::redact_url(&url),
                source,
            })?;
        let mut hub = Self::with_store(config, store, listener)?;
        hub.lock = lock;
        Ok(hub)
    }

    /// A hub over an existing store. Reads the TLS files when the config names them.
    pub fn with_store(
        config: HubConfig,
        store: Arc<dyn Store>,
        listener: tokio::net::TcpListener,
    ) -> Result<Self, HubError> {
        let addr = listener.local_addr().map_err(|source| HubError::Bind {
            addr: config.listen,
            source,
        })?;
        let tls = config
            .tls
            .as_ref()
            .map(crate::serve::tls_acceptor)
            .transpose()?;
        Ok(Self {
            listener,
            addr,
            state: AppState {
                store,
                config: Arc::new(config),
            },
            tls,
            lock: None,
        })
    }

    /// The address actually bound (the port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// `scheme://address` as bound, e.g. `https://127.0.0.1:8740`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> Result<(), HubError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains in-flight requests (at most 20 s). Also
    /// runs the periodic retention task. Errors surface from [`Hub::build`]; serving itself
    /// retries failed accepts, so today this always returns `Ok`.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HubError> {
        let scheme = self.scheme();
        let Hub {
            listener,
            addr,
            state,
            tls,
            lock,
        } = self;
        let retention = spawn_retention(state.clone());
        let app = router(state.clone());
        // Files besides connections: the listener, the runtime's, stdio, the database (SQLite:
        // file, WAL, shm per pooled connection, plus the lock file), backups and logs.
        let reserved_fds = 64 + 4 * u64::from(state.config.db_pool_size);
        let max_connections =
            crate::serve::fit_connection_cap(state.config.max_connections, reserved_fds);
        let options = crate::serve::ServeOptions {
            tls,
            header_read_timeout: state.config.header_read_timeout(),
            write_stall_timeout: state.config.request_timeout(),
            max_connections,
            min_body_bytes_per_sec: state.config.min_body_bytes_per_sec,
            shutdown_grace: SHUTDOWN_GRACE,
        };
        tracing::info!(
            %addr,
            scheme,
            backend = state.store.backend(),
            max_connections,
            "tsunagu hub listening"
        );
        crate::serve::serve(listener, app, options, shutdown).await;
        if let Some(task) = retention {
            task.abort();
        }
        drop(lock);
        tracing::info!("tsunagu hub stopped");
        Ok(())
    }
}

/// Runs retention every `retention.interval_minutes` (none when 0).
fn spawn_retention(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let minutes = state.config.retention.interval_minutes;
    if minutes == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(u64::from(minutes) * 60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let policy = state.config.retention.policy();
            if let Err(e) =
                crate::ops::run_retention(state.store.as_ref(), policy, crate::now_unix()).await
            {
                tracing::warn!(error = %e, "retention pass failed; will retry");
            }
        }
    }))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
