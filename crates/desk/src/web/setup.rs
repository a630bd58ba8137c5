//! はじめての設定: `tsunagu desk` on a PC that is not registered yet. The same loopback-only
//! server, start-up token, session and CSRF guard as the desk serve one page: hub URL, invite
//! code, device name, passphrase and folders. On submit the keys are generated here, the public
//! half is registered with the hub ([`crate::init_unlocked`], the same code as
//! `tsunagu office init`), the sync loop starts and the very same server becomes the desk —
//! the browser's session carries over, no restart.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower::ServiceExt as _;
use tsunagu_protocol::ErrorCode;
use tsunagu_seal::SecretString;

use super::chrome::render;
use super::security::{self, Security, Session};
use super::{App, assets};
use crate::error::{DeskError, Result};
use crate::folder::DataDir;
use crate::onboard::{MIN_PASSPHRASE_CHARS, check_new_passphrase};
use crate::settings::DeskSettings;
use crate::sync::{Shared, Timing};
use crate::{InitOptions, Onboarded};

/// How a desk started in setup mode registers and then runs.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// scrypt work factor (log2) of the new key file; `None` is the seal crate's default.
    pub key_work_factor: Option<u8>,
    /// The sync loop's timing once registered.
    pub timing: Timing,
    /// Prefilled device name (the PC's host name).
    pub default_device_name: String,
}

/// The setup server's state: where the office will live, and the desk once it does.
pub struct Setup {
    dir: DataDir,
    opts: SetupOptions,
    security: Arc<Security>,
    /// One registration at a time: a second submit waits and then finds the desk ready.
    busy: tokio::sync::Mutex<()>,
    ready: OnceLock<Ready>,
}

struct Ready {
    app: Arc<App>,
    router: Router,
}

impl Setup {
    /// The desk, once this PC is registered.
    pub fn app(&self) -> Option<Arc<App>> {
        self.ready.get().map(|r| r.app.clone())
    }

    pub fn login_url(&self) -> String {
        self.security.login_url()
    }
}

/// A setup server, bound.
pub struct SetupStarted {
    pub setup: Arc<Setup>,
    pub listener: tokio::net::TcpListener,
}

impl SetupStarted {
    pub fn login_url(&self) -> String {
        self.setup.login_url()
    }
}

/// The setup state for `dir`, which must hold no office yet; the UI answers at `addr`.
pub fn new(dir: DataDir, opts: SetupOptions, addr: std::net::SocketAddr) -> Result<Arc<Setup>> {
    if dir.is_initialized() {
        let office = dir.read_config()?.office_id.to_string();
        return Err(DeskError::AlreadyInitialized {
            dir: dir.root().to_path_buf(),
            office,
        });
    }
    Ok(Arc::new(Setup {
        dir,
        opts,
        security: Arc::new(Security::new(addr)),
        busy: tokio::sync::Mutex::new(()),
        ready: OnceLock::new(),
    }))
}

/// Binds the UI (loopback only) for a PC without an office.
pub async fn start(
    dir: DataDir,
    opts: SetupOptions,
    ip: IpAddr,
    port: u16,
) -> Result<SetupStarted> {
    let listener = super::bind(ip, port).await?;
    let setup = new(dir, opts, super::local_addr(&listener)?)?;
    Ok(SetupStarted { setup, listener })
}

#[derive(Clone)]
struct Dispatch {
    setup: Arc<Setup>,
    setup_pages: Router,
}

/// The setup page until this PC is registered, the desk from then on.
pub fn router(setup: Arc<Setup>) -> Router {
    let setup_pages = Router::new()
        .route("/", get(|| async { Redirect::to("/setup") }))
        .route(
            "/login",
            get(security::login).with_state(setup.security.clone()),
        )
        .route("/static/{name}", get(assets::file))
        .route("/setup", get(page).post(submit))
        .fallback(|| async { Redirect::to("/setup") })
        .layer(axum::middleware::from_fn_with_state(
            setup.security.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(setup.clone());
    Router::new()
        .fallback(dispatch)
        .with_state(Dispatch { setup, setup_pages })
}

async fn dispatch(State(d): State<Dispatch>, req: Request) -> Response {
    let router = match d.setup.ready.get() {
        Some(ready) => ready.router.clone(),
        None => d.setup_pages,
    };
    match router.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// What the person typed. No `Debug`: the passphrases must never reach a log.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    hub_url: String,
    invite_code: String,
    device_name: String,
    passphrase: String,
    passphrase_again: String,
    outbox_dir: String,
    import_dir: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct Page {
    csrf: String,
    error: String,
    hint: String,
    hub_url: String,
    invite_code: String,
    device_name: String,
    outbox_dir: String,
    import_dir: String,
    data_dir: String,
    min_chars: usize,
}

#[derive(Template)]
#[template(path = "setup_done.html")]
struct Done {
    office_name: String,
    office_id: String,
    municipality: String,
    device_name: String,
    device_id: String,
    fingerprint: String,
    hub_url: String,
    outbox: String,
    import: String,
    key_path: String,
}

/// An absolute path for showing, without touching the disk.
fn shown(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

impl Setup {
    fn blank_page(&self, session: &Session) -> Page {
        let defaults = DeskSettings::default();
        Page {
            csrf: session.csrf.clone(),
            error: String::new(),
            hint: String::new(),
            hub_url: String::new(),
            invite_code: String::new(),
            device_name: self.opts.default_device_name.clone(),
            outbox_dir: shown(&defaults.outbox(&self.dir)),
            import_dir: shown(&defaults.import(&self.dir)),
            data_dir: shown(self.dir.root()),
            min_chars: MIN_PASSPHRASE_CHARS,
        }
    }

    /// Checks the form, writes the folder settings, registers with the hub and starts the
    /// desk. Everything local is checked before the hub is asked (an invite is single-use).
    async fn register(&self, f: &mut SetupForm) -> Result<Arc<App>> {
        let hub_url = f.hub_url.trim();
        if hub_url.is_empty() {
            return Err(DeskError::FieldMissing("ハブの URL"));
        }
        let hub_url = crate::client::normalize_hub_url(hub_url)?;
        let invite_code = f.invite_code.trim().to_string();
        if invite_code.is_empty() {
            return Err(DeskError::FieldMissing("招待コード"));
        }
        let device_name = f.device_name.trim().to_string();
        if device_name.is_empty() {
            return Err(DeskError::FieldMissing("端末の名前"));
        }
        // Moved out of the form at once; they live on only inside the secret strings.
        let passphrase = SecretString::from(std::mem::take(&mut f.passphrase));
        let again = SecretString::from(std::mem::take(&mut f.passphrase_again));
        check_new_passphrase(&passphrase, Some(&again))?;
        drop(again);
        let (outbox, import) = (f.outbox_dir.trim(), f.import_dir.trim());
        if outbox.is_empty() || import.is_empty() || outbox == import {
            return Err(DeskError::FoldersInvalid);
        }
        let settings = DeskSettings {
            outbox_dir: PathBuf::from(outbox),
            import_dir: PathBuf::from(import),
            ..DeskSettings::default()
        };
        let root = self.dir.root();
        std::fs::create_dir_all(root).map_err(|e| DeskError::io("作成", root, e))?;
        settings.create_folders(&self.dir)?;
        settings.save(&self.dir)?;
        tracing::info!(hub = %hub_url, "setup: registering this device with the hub");
        let Onboarded { desk, keys, .. } = crate::init_unlocked(
            self.dir.clone(),
            InitOptions {
                hub_url,
                invite_code,
                device_name,
                passphrase,
                key_work_factor: self.opts.key_work_factor,
            },
        )
        .await?;
        let shared = Arc::new(Shared::new(desk, keys, settings, self.opts.timing));
        let app = super::launch(shared, self.security.clone())?;
        tracing::info!(
            outbox = %app.shared.settings().outbox(&app.shared.desk.dir).display(),
            import = %app.shared.settings().import(&app.shared.desk.dir).display(),
            "setup done; the desk is syncing"
        );
        Ok(app)
    }
}

/// `GET /setup`.
pub async fn page(
    State(setup): State<Arc<Setup>>,
    Extension(session): Extension<Session>,
) -> Response {
    render(&setup.blank_page(&session))
}

/// `POST /setup`: register, then show the office, device and fingerprint.
pub async fn submit(
    State(setup): State<Arc<Setup>>,
    Extension(session): Extension<Session>,
    Form(mut form): Form<SetupForm>,
) -> Response {
    let _one_at_a_time = setup.busy.lock().await;
    if setup.ready.get().is_some() {
        return Redirect::to("/inbox").into_response();
    }
    match setup.register(&mut form).await {
        Ok(app) => {
            let done = done_page(&app);
            // From here on every request goes to the desk; this response is the last page of
            // the setup.
            let router = super::router(app.clone());
            let _ = setup.ready.set(Ready { app, router });
            done
        }
        Err(e) => {
            tracing::warn!(code = e.code(), "setup failed");
            let hint = match &e {
                DeskError::Hub {
                    code: ErrorCode::InviteInvalid,
                    ..
                } => {
                    "招待コードを確かめて、もう一度入力してください。使用済み・期限切れのときは、ハブの運営者に新しい招待コードを頼んでください。"
                }
                DeskError::HubUnreachable { .. } | DeskError::HubUrlInvalid(_) => {
                    "ハブの URL（運営者からの案内に書かれています）と、この PC のネットワークを確かめてください。"
                }
                _ => "",
            };
            let mut p = setup.blank_page(&session);
            p.error = e.to_string();
            p.hint = hint.to_string();
            p.hub_url = form.hub_url;
            p.invite_code = form.invite_code;
            p.device_name = form.device_name;
            p.outbox_dir = form.outbox_dir;
            p.import_dir = form.import_dir;
            (StatusCode::UNPROCESSABLE_ENTITY, render(&p)).into_response()
        }
    }
}

fn done_page(app: &App) -> Response {
    let desk = &app.shared.desk;
    let c = &desk.config;
    let s = app.shared.settings();
    render(&Done {
        office_name: c.office_name.clone(),
        office_id: c.office_id.to_string(),
        municipality: c.municipality_code.clone(),
        device_name: c.device_name.clone(),
        device_id: c.device_id.clone(),
        fingerprint: c.fingerprint.clone(),
        hub_url: c.hub_url.clone(),
        outbox: shown(&s.outbox(&desk.dir)),
        import: shown(&s.import(&desk.dir)),
        key_path: shown(&desk.dir.key_path()),
    })
}
