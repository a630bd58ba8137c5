//! The baselines: a minimal axum handler storing each body in one SQLite transaction (the floor
//! of any design like the hub's), and nginx serving WebDAV PUT (a plain file drop).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::put;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::child::{ChildProc, free_port};

/// `tsunagu-bench axum-baseline`.
#[derive(Debug, Clone, clap::Args)]
pub struct AxumBaselineArgs {
    /// SQLite のファイル
    #[arg(long, required_unless_present = "postgres")]
    pub db: Option<PathBuf>,
    /// SQLite の代わりに PostgreSQL（postgres://…）に保存する
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub postgres: Option<String>,
    /// データベース接続数（ハブの既定と同じ 8）
    #[arg(long, default_value_t = 8)]
    pub pool: u32,
}

enum BaselineState {
    Sqlite {
        pool: SqlitePool,
        /// Writers take turns, as the hub's SQLite store does (its `write_lock`).
        write_lock: tokio::sync::Mutex<()>,
    },
    /// No lock: the floor of one durable insert per body on PostgreSQL.
    Postgres { pool: PgPool },
}

/// Serves `PUT /u/{id}` on 127.0.0.1:0 and prints `baseline listening http://ADDR`.
pub fn run_axum_baseline(args: AxumBaselineArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = match (&args.postgres, &args.db) {
            (Some(url), _) => {
                let pool = PgPoolOptions::new()
                    .max_connections(args.pool.max(2))
                    .connect(url)
                    .await?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS bench_baseline_bodies (id TEXT PRIMARY KEY, body BYTEA NOT NULL)",
                )
                .execute(&pool)
                .await?;
                BaselineState::Postgres { pool }
            }
            (None, Some(db)) => {
                // The same settings as the hub's SQLite store (crates/hub/src/store/sql.rs).
                let options = SqliteConnectOptions::new()
                    .filename(db)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(args.pool.max(2))
                    .connect_with(options)
                    .await?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS bodies (id TEXT PRIMARY KEY, body BLOB NOT NULL)",
                )
                .execute(&pool)
                .await?;
                BaselineState::Sqlite {
                    pool,
                    write_lock: tokio::sync::Mutex::new(()),
                }
            }
            (None, None) => anyhow::bail!("--db or --postgres is needed"),
        };
        let state = Arc::new(state);
        let app = Router::new()
            .route("/u/{id}", put(store_body))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("baseline listening http://{}", listener.local_addr()?);
        use std::io::Write as _;
        std::io::stdout().flush()?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

async fn store_body(
    State(state): State<Arc<BaselineState>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let result = match state.as_ref() {
        BaselineState::Sqlite { pool, write_lock } => {
            let _turn = write_lock.lock().await;
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO bodies (id, body) VALUES (?, ?)")
                    .bind(id)
                    .bind(body.as_ref())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await
        }
        BaselineState::Postgres { pool } => {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO bench_baseline_bodies (id, body) VALUES ($1, $2)")
                    .bind(id)
                    .bind(body.as_ref())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await
        }
    };
    match result {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Starts this binary's `axum-baseline` as a child process. Stores into SQLite under `dir`, or into the PostgreSQL database `postgres` names.
pub fn start_axum(dir: &Path, postgres: Option<&str>) -> anyhow::Result<(ChildProc, String)> {
    let exe = std::env::current_exe().context("current executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("axum-baseline");
    match postgres {
        Some(url) => cmd.arg("--postgres").arg(url),
        None => cmd.arg("--db").arg(dir.join("baseline.sqlite")),
    };
    ChildProc::spawn_reading_url(
        "axum baseline",
        cmd,
        &dir.join("axum-baseline.log"),
        Duration::from_secs(30),
        |line| line.strip_prefix("baseline listening ").map(str::to_string),
    )
}

/// Starts nginx (Debian's package) with a WebDAV PUT location on a free loopback port, or
/// `Ok(None)` with a notice when nginx is not installed.
pub fn start_nginx(dir: &Path) -> anyhow::Result<Option<(ChildProc, String)>> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(nginx) = nginx else {
        println!(
            "notice: nginx is not installed (apt-get install -y nginx); skipping the nginx WebDAV baseline"
        );
        return Ok(None);
    };
    let root = dir.join("nginx");
    let www = root.join("www");
    let tmp = root.join("client_body");
    std::fs::create_dir_all(&www)?;
    std::fs::create_dir_all(&tmp)?;
    // Workers may run as another user (nobody) when started as root: let them write.
    {
        use std::os::unix::fs::PermissionsExt as _;
        for d in [&root, &www, &tmp] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777))?;
        }
    }
    let port = free_port()?;
    let conf = format!(
        r#"daemon off;
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp};
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 20m;
    client_body_buffer_size 64k;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location /u/ {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }}
    }}
}}
"#,
        root = root.display(),
        tmp = tmp.display(),
        www = www.display(),
    );
    let conf_path = root.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let mut cmd = Command::new(nginx);
    cmd.arg("-c").arg(&conf_path).arg("-p").arg(&root);
    let proc = ChildProc::spawn_waiting_port(
        "nginx",
        cmd,
        &root.join("nginx.log"),
        port,
        Duration::from_secs(15),
    )?;
    Ok(Some((proc, format!("http://127.0.0.1:{port}"))))
}
