//! Test kit: the real `tsunagu` binary as a hub process (port 0, address read from its stdout)
//! and as office desks in temporary folders; the hub's database for checks and tampering.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

pub const BIN: &str = env!("CARGO_BIN_EXE_tsunagu");
pub const PASSPHRASE: &str = "correct horse battery staple";
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../standard/tests/fixtures");

pub const CM: &str = "3100000001_43"; // 居宅介護支援事業所
pub const HV: &str = "3100000101_11"; // 訪問介護

/// A `tsunagu` command with a clean, test-only environment.
pub fn tsunagu() -> Command {
    let mut c = Command::new(BIN);
    for v in [
        "TSUNAGU_OFFICE_DIR",
        "TSUNAGU_DATA_DIR",
        "TSUNAGU_DATABASE_URL",
        "TSUNAGU_HUB_CONFIG",
        "TSUNAGU_HUB_LISTEN",
    ] {
        c.env_remove(v);
    }
    c.env("TSUNAGU_PASSPHRASE", PASSPHRASE)
        // Test-only: a cheap scrypt so the debug binary unlocks keys in milliseconds.
        .env("TSUNAGU_KEY_WORK_FACTOR", "4")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .env("TSUNAGU_RETENTION_INTERVAL_MINUTES", "0")
        .stdin(Stdio::null());
    c
}

/// Runs a command and returns (exit code, stdout + stderr).
pub fn run(mut c: impl std::borrow::BorrowMut<Command>) -> (i32, String) {
    let out: Output = c.borrow_mut().output().expect("run tsunagu");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[track_caller]
pub fn ok(mut c: impl std::borrow::BorrowMut<Command>) -> String {
    let (code, text) = run(c.borrow_mut());
    assert_eq!(code, 0, "{:?} failed:\n{text}", c.borrow_mut());
    text
}

/// Where the hub keeps its data.
pub enum Db {
    Sqlite {
        file: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl Db {
    pub fn sqlite(dir: &Path) -> Db {
        Db::Sqlite {
            file: dir.join("hub-data").join("hub.sqlite"),
        }
    }

    /// A fresh PostgreSQL database, or None with a notice when PostgreSQL is not reachable.
    pub fn postgres() -> Option<Db> {
        let admin_url = std::env::var("TSUNAGU_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!("tsunagu_exchange_{:016x}", rand_u64());
        let created = block_on(async {
            let mut conn = tokio::time::timeout(
                Duration::from_secs(5),
                sqlx::PgConnection::connect(&admin_url),
            )
            .await
            .ok()?
            .ok()?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await
                .ok()?;
            conn.close().await.ok();
            Some(())
        });
        if created.is_none() {
            println!(
                "notice: PostgreSQL not reachable at {}; skipping the PostgreSQL run",
                admin_url.split('@').next_back().unwrap_or("?")
            );
            return None;
        }
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Db::Postgres {
            admin_url,
            name,
            url,
        })
    }

    /// `--database` for the hub.
    pub fn arg(&self) -> String {
        match self {
            Db::Sqlite { file } => file.to_string_lossy().into_owned(),
            Db::Postgres { url, .. } => url.clone(),
        }
    }

    /// Runs one statement against the hub's database.
    pub fn exec(&self, sql: &str, binds: &[&str]) -> u64 {
        let sql = sql.to_string();
        let binds: Vec<String> = binds.iter().map(|s| s.to_string()).collect();
        block_on(async move {
            match self {
                Db::Sqlite { file } => {
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                            .await
                            .unwrap();
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for b in &binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(&mut c).await.unwrap().rows_affected()
                }
                Db::Postgres { url, .. } => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for b in &binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(&mut c).await.unwrap().rows_affected()
                }
            }
        })
    }

    /// One integer (COUNT(*) and the like) from the hub's database.
    pub fn count(&self, sql: &str) -> i64 {
        let sql = sql.to_string();
        block_on(async move {
            match self {
                Db::Sqlite { file } => {
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                            .await
                            .unwrap();
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                }
                Db::Postgres { url, .. } => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                }
            }
        })
    }

    /// Rows of text columns.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        use sqlx::Row;
        let sql = sql.to_string();
        block_on(async move {
            let to_vec = |n: usize, get: &dyn Fn(usize) -> String| (0..n).map(get).collect();
            match self {
                Db::Sqlite { file } => {
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                            .await
                            .unwrap();
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                    rows.iter()
                        .map(|r| to_vec(r.len(), &|i| r.get::<String, _>(i)))
                        .collect()
                }
                Db::Postgres { url, .. } => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                    rows.iter()
                        .map(|r| to_vec(r.len(), &|i| r.get::<String, _>(i)))
                        .collect()
                }
            }
        })
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            block_on(async move {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        }
    }
}

/// The URL a started child prints on stdout after `prefix` (within 60 s); stdout keeps being
/// read afterwards so the child never blocks on a full pipe.
pub fn announced_url(child: &mut Child, prefix: &'static str) -> Option<String> {
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix(prefix) {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).ok()
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// A running `tsunagu hub` process.
pub struct Hub {
    child: Option<Child>,
    pub url: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub db: Db,
    log: PathBuf,
}

impl Hub {
    pub fn start(root: &Path, db: Db) -> Hub {
        let data_dir = root.join("hub-data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut hub = Hub {
            child: None,
            url: String::new(),
            port: 0,
            data_dir,
            db,
            log: root.join("hub.log"),
        };
        hub.spawn(0);
        hub
    }

    fn spawn(&mut self, port: u16) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut child = tsunagu()
            .args(["hub", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database", &self.db.arg()])
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        // The hub prints "ハブを起動しました: http://127.0.0.1:PORT" once it is bound.
        let url = announced_url(&mut child, "ハブを起動しました: ").unwrap_or_else(|| {
            panic!(
                "hub did not report its address:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            )
        });
        self.port = url.rsplit(':').next().unwrap().parse().unwrap();
        self.url = url;
        self.child = Some(child);
    }

    /// `kill -9`: no graceful shutdown, no flush beyond what was committed.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts again on the same data and the same port (the desks keep their hub URL).
    pub fn restart(&mut self) {
        let port = self.port;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // The port may linger briefly after a kill; retry binding it.
            let free = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
            if free || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.spawn(port);
    }

    /// `tsunagu hub SUBCOMMAND…` against this hub's database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = tsunagu();
        c.arg("hub")
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database", &self.db.arg()]);
        c
    }

    /// Issues an invite (registering the office when new).
    pub fn invite(&self, office: &str, name: Option<&str>) -> String {
        let (number, kind) = office.split_once('_').unwrap();
        let mut args = vec!["invite", "--office", number, "--kind", kind];
        if let Some(n) = name {
            args.extend(["--name", n, "--municipality", "312029"]);
        }
        let out = self.cmd(&args).output().unwrap();
        assert!(
            out.status.success(),
            "invite failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn envelopes(&self) -> i64 {
        self.db.count("SELECT COUNT(*) FROM envelopes")
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One office desk (a data folder).
pub struct Desk {
    pub dir: PathBuf,
}

impl Desk {
    /// `tsunagu office init` with an invite from `hub`.
    pub fn onboard(root: &Path, folder: &str, hub: &Hub, office: &str, name: Option<&str>) -> Desk {
        let code = hub.invite(office, name);
        let dir = root.join(folder);
        let text = ok(tsunagu()
            .args([
                "office", "init", "--hub", &hub.url, "--invite", &code, "--name", folder,
            ])
            .arg("--dir")
            .arg(&dir));
        assert!(text.contains("鍵の指紋:"), "{text}");
        assert!(text.contains(office), "{text}");
        Desk { dir }
    }

    /// `tsunagu SUBCOMMAND --dir DIR REST…` (callers may append more arguments).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = tsunagu();
        c.arg(args[0]).arg("--dir").arg(&self.dir).args(&args[1..]);
        c
    }

    pub fn config(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.dir.join("office.json")).unwrap()).unwrap()
    }

    pub fn fingerprint(&self) -> String {
        self.config()["fingerprint"].as_str().unwrap().to_string()
    }

    pub fn device_id(&self) -> String {
        self.config()["device_id"].as_str().unwrap().to_string()
    }

    /// Runs a statement on the desk's own database.
    pub fn exec(&self, sql: &str) -> u64 {
        let file = self.dir.join("desk.sqlite");
        let sql = sql.to_string();
        block_on(async move {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap()
                .rows_affected()
        })
    }

    pub fn count(&self, sql: &str) -> i64 {
        let file = self.dir.join("desk.sqlite");
        let sql = sql.to_string();
        block_on(async move {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap()
        })
    }
}

pub fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(FIXTURES).join(dir).join(name)
}

/// The 予定 unit of the fixtures: 第6表 + 第7表 + 補足, 3100000001_43 → 3100000101_11.
pub fn plan_unit() -> Vec<PathBuf> {
    [
        "UPPLAN_202504_3100000001_43_3100000101_11_20250325090000.CSV",
        "UPSIKYU_202504_3100000001_43_3100000101_11_20250325090000.CSV",
        "UPHOSOKU_202504_3100000001_43_3100000101_11_20250325090000.CSV",
    ]
    .iter()
    .map(|n| fixture("valid", n))
    .collect()
}

/// Files in a folder, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The current month in JST as YYYYMM.
pub fn this_month_jst() -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap());
    format!("{:04}{:02}", t.year(), u8::from(t.month()))
}
