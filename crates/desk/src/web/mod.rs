//! The local web UI (axum + askama, htmx for the notices): one file per screen. Served on a
//! loopback address only; see [`security`] for the session, CSRF and headers. On a PC that is
//! not registered yet, [`setup`] serves the setup page first and then this same UI.

pub mod assets;
pub mod chrome;
pub mod evidence;
pub mod history;
pub mod inbox;
pub mod invite;
pub mod notices;
pub mod partners;
pub mod security;
pub mod sent;
pub mod settings;
pub mod setup;
pub mod unit;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::error::{DeskError, Result};
use crate::sync::Shared;
pub use security::Security;

/// The UI's state: the desk (shared with the sync loop) and the login/session guard.
pub struct App {
    pub shared: Arc<Shared>,
    pub security: Arc<Security>,
}

/// Binds the UI's listener. Anything but a loopback address is refused: the UI shows care
/// plans and must never be reachable from the network.
pub async fn bind(ip: IpAddr, port: u16) -> Result<tokio::net::TcpListener> {
    if !ip.is_loopback() {
        return Err(DeskError::NotLoopback(ip.to_string()));
    }
    let addr = SocketAddr::new(ip, port);
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| DeskError::io("待ち受け", std::path::PathBuf::from(addr.to_string()), e))
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route(
            "/login",
            get(security::login).with_state(app.security.clone()),
        )
        // This PC is registered: the setup page is never shown again (also for a setup form
        // sent twice, or one that raced with the first).
        .route(
            "/setup",
            get(|| async { Redirect::to("/inbox") }).post(|| async { Redirect::to("/inbox") }),
        )
        .route("/static/{name}", get(assets::file))
        .route("/inbox", get(inbox::page))
        .route("/sent", get(sent::page))
        .route("/sent/retry", post(sent::retry))
        .route("/units/{flow}/{office}/{unit_id}", get(unit::page))
        .route("/history", get(history::list))
        .route("/history/view", get(history::view))
        .route("/partners", get(partners::page))
        .route("/partners/trust", post(partners::trust))
        .route("/partners/{office}/invite", get(invite::page))
        .route("/evidence", get(evidence::page))
        .route("/settings", get(settings::page).post(settings::save))
        .route(
            "/settings/partner-report",
            post(settings::save_partner_report),
        )
        .route("/sync", post(settings::sync_now))
        .route("/fragments/notices", get(notices::fragment))
        .layer(axum::middleware::from_fn_with_state(
            app.security.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(app)
}

/// Serves the UI on `listener` until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_router(router(app), listener, shutdown).await
}

/// Serves a router (the desk's, or [`setup::router`]) on `listener` until `shutdown` completes.
pub async fn serve_router(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| DeskError::io("待ち受け", std::path::PathBuf::from("web"), e))
}

/// A started desk: the UI bound and the sync loop running.
pub struct Started {
    pub app: Arc<App>,
    pub listener: tokio::net::TcpListener,
}

impl Started {
    /// The URL with the session token: opening it logs the browser in.
    pub fn login_url(&self) -> String {
        self.app.security.login_url()
    }
}

/// Binds the UI and starts the sync loop in the background.
pub async fn start(shared: Arc<Shared>, ip: IpAddr, port: u16) -> Result<Started> {
    let listener = bind(ip, port).await?;
    let security = Arc::new(Security::new(local_addr(&listener)?));
    Ok(Started {
        app: launch(shared, security)?,
        listener,
    })
}

fn local_addr(listener: &tokio::net::TcpListener) -> Result<SocketAddr> {
    listener
        .local_addr()
        .map_err(|e| DeskError::io("待ち受け", std::path::PathBuf::from("web"), e))
}

/// Creates the folders and starts the sync loop in the background; the UI's state.
pub fn launch(shared: Arc<Shared>, security: Arc<Security>) -> Result<Arc<App>> {
    shared.settings().create_folders(&shared.desk.dir)?;
    tokio::spawn(crate::sync::run(shared.clone()));
    Ok(Arc::new(App { shared, security }))
}

#[cfg(test)]
mod setup_tests;
#[cfg(test)]
mod tests;
