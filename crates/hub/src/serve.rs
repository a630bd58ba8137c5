//! Serving connections: one accept loop for plain HTTP and HTTPS on hyper's HTTP/1.1 server.
//!
//! Why not `axum::serve` or axum-server: both first read the protocol version (HTTP/1 or the
//! HTTP/2 preface) with no deadline, so a client that connects and sends nothing, or only a few
//! bytes, holds its connection and task forever. Here every connection has a deadline before a
//! request reaches the router: the TLS handshake, each request's headers and the idle time between
//! kept-alive requests are all bounded by `header_read_timeout_secs`. The hub speaks HTTP/1.1 only
//! (ALPN `http/1.1` under TLS); a reverse proxy in front may offer HTTP/2 to clients.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;
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

/// How the accept loop treats connections.
#[derive(Clone)]
pub struct ServeOptions {
    /// HTTPS when set.
    pub tls: Option<TlsAcceptor>,
    /// TLS handshake, request headers, idle keep-alive: each must finish within this.
    pub header_read_timeout: Duration,
    /// After the shutdown signal, how long in-flight requests may still run.
    pub shutdown_grace: Duration,
}

/// Accepts connections until `shutdown` completes, then stops accepting, lets in-flight
/// requests finish (idle connections close at once) and returns within `shutdown_grace`.
pub async fn serve(
    mut listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // axum's Listener impl retries on accept errors (sleeping on e.g. too many open files).
        let (stream, peer) = tokio::select! {
            conn = axum::serve::Listener::accept(&mut listener) => conn,
            () = &mut shutdown => break,
        };
        // Small JSON answers: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        // Taken before spawning, so a connection still in its handshake delays the shutdown
        // until it is served or times out (see hyper_util's GracefulShutdown::watcher).
        let watcher = graceful.watcher();
        let (app, http, options) = (app.clone(), http.clone(), options.clone());
        tokio::spawn(async move {
            match &options.tls {
                None => serve_connection(&http, stream, app, peer, watcher).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(options.header_read_timeout, acceptor.accept(stream))
                            .await;
                    match handshake {
                        Ok(Ok(tls)) => serve_connection(&http, tls, app, peer, watcher).await,
                        // Scanners and plain-HTTP clients end up here; not worth a warning.
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
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

/// Serves one connection. Every request carries the peer's address as axum's `ConnectInfo`
/// (the login's rate limit counts failures per client address).
async fn serve_connection<I>(
    http: &http1::Builder,
    io: I,
    app: Router,
    peer: SocketAddr,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        // The router is always ready (axum's `Router::poll_ready` returns at once).
        tower::Service::call(&mut app.clone(), req)
    });
    let conn = http.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        // Header timeouts, resets and malformed requests: the client's problem, logged quietly.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
