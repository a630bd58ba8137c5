//! Backup and restore of the hub's database (`tsunagu hub backup` / `tsunagu hub restore`).
//!
//! **SQLite.** `VACUUM INTO` a temporary file beside the output while the hub keeps serving: it
//! runs as one read transaction, so the copy is one consistent point in time and writers are not
//! blocked (WAL). The copy is verified — `PRAGMA integrity_check`, the audit chain walked with the
//! store's own verification, rows counted — and only then renamed to the name asked for.
//! Restore verifies a copy of the backup beside the target first, refuses while a hub holds the
//! database (the lock file [`HubLock`] every serving hub holds, and an exclusive SQLite lock that
//! any open connection prevents), keeps the database it replaces under
//! `….before-restore-YYYYMMDD-HHMMSS`, and renames the verified copy into place.
//!
//! **PostgreSQL.** `pg_dump --format=custom` to a temporary file, checked with `pg_restore --list`,
//! renamed; restore runs `pg_restore --single-transaction` into an empty database nobody else is
//! connected to, then verifies the audit chain and counts rows. Without the client tools the
//! exact command is printed instead (exit code 5). The password never goes on a command line:
//! it is passed to the tools in `PGPASSWORD`.
//!
//! Exit codes (see [`BackupError::exit_code`]): 0 done and verified, 2 error, 3 refused (in use,
//! or something would be overwritten), 4 verification failed (nothing replaced), 5 PostgreSQL
//! client tool missing (command printed).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};

use crate::store::{AuditVerification, PgStore, SqliteStore, Store as _, StoreError};

/// How long the backup's read transaction waits for a busy database.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// Why a backup or restore did not happen (Japanese, with a stable code; the exit code says
/// which kind of failure it was).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("E-HUB-BACKUP-001 {what}（{path}）: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("E-HUB-BACKUP-002 データベースのファイルがありません: {0}")]
    SourceMissing(String),
    #[error("E-HUB-BACKUP-003 {0} はすでにあります。上書きしません。別の名前を指定してください")]
    OutputExists(String),
    #[error("E-HUB-BACKUP-004 検証できませんでした（{path}）: {reason}")]
    Verify { path: String, reason: String },
    #[error(
        "E-HUB-BACKUP-005 {tool} が見つかりません（PostgreSQL のクライアント）。入れてから実行するか、次のコマンドを実行してください（パスワードは環境変数 PGPASSWORD で渡します）:\n{command}"
    )]
    ToolMissing { tool: &'static str, command: String },
    #[error("E-HUB-BACKUP-006 {tool} が失敗しました（{status}）: {stderr}")]
    ToolFailed {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error("E-HUB-BACKUP-007 データベースを使えません（{url}）: {source}")]
    Database { url: String, source: StoreError },
    #[error("E-HUB-BACKUP-008 パスに使えない文字があります: {0}")]
    Path(String),
    #[error(
        "E-HUB-LOCK-001 ハブ{pid}がこのデータベースを使っています（{path}）。1つのデータベースを使えるハブは1つだけです。動いているハブを止めてから実行してください"
    )]
    InUse { path: String, pid: String },
    #[error(
        "E-HUB-RESTORE-001 {0} にはすでにデータベースがあります。置き換えるときは --overwrite を付けてください（元のデータベースは別名で残します）"
    )]
    TargetExists(String),
    #[error(
        "E-HUB-RESTORE-002 復元先のデータベース（{url}）が空ではないか、ほかの接続があります: {why}。空の新しいデータベース（CREATE DATABASE）を指定し、ハブを止めてください"
    )]
    TargetNotEmpty { url: String, why: String },
}

impl BackupError {
    /// The process exit code: 3 refused, 4 verification failed, 5 tool missing, 2 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            BackupError::OutputExists(_)
            | BackupError::InUse { .. }
            | BackupError::TargetExists(_)
            | BackupError::TargetNotEmpty { .. } => 3,
            BackupError::Verify { .. } => 4,
            BackupError::ToolMissing { .. } => 5,
            _ => 2,
        }
    }
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.display().to_string();
    move |source| BackupError::Io { what, path, source }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Rows per table (all tables, sorted by name).
    pub tables: Vec<(String, i64)>,
    /// Stored ciphertexts whose SHA-256 was checked against their envelope's metadata.
    pub blobs_checked: u64,
    /// The audit chain: rows walked and its head hash (intact, or verification fails).
    pub audit: AuditVerification,
    /// Size of the file (SQLite database or PostgreSQL archive).
    pub bytes: u64,
}

impl Verified {
    /// Rows of one table (0 when it does not exist).
    pub fn rows(&self, table: &str) -> i64 {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }

    /// `offices 2, devices 3, …` for the summary line.
    pub fn table_summary(&self) -> String {
        self.tables
            .iter()
            .filter(|(t, _)| !t.starts_with('_'))
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The database a URL names, as [`crate::store::open`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub fn from_url(url: &str) -> Target {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Target::Postgres(url.to_string())
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            Target::Sqlite(PathBuf::from(path))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The lock a serving hub holds on its SQLite database.

/// An exclusive lock on `<database>.lock`, held by a serving hub for as long as it runs (and by
/// a restore while it swaps files). The file holds the holder's process id; the lock itself is
/// the operating system's (released when the process ends, even on `kill -9`). The file is
/// never deleted: removing a lock file while someone else opens it would split the lock.
#[derive(Debug)]
pub struct HubLock {
    _file: File,
    path: PathBuf,
}

/// The lock file of a SQLite database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(OsString::from).unwrap_or_default();
    name.push(".lock");
    db.with_file_name(name)
}

impl HubLock {
    /// Takes the lock or says who holds it.
    pub fn acquire(db: &Path) -> Result<HubLock, BackupError> {
        let path = lock_path(db);
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(io_err("ディレクトリを作れません", dir))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err("ロックファイルを開けません", &path))?;
        match file.try_lock() {
            Ok(()) => {
                // Best effort: the pid is only shown to people; the lock is what counts.
                let _ = file.set_len(0);
                let _ = writeln!(file, "{}", std::process::id());
                let _ = file.sync_all();
                Ok(HubLock { _file: file, path })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let pid = text.trim();
                Err(BackupError::InUse {
                    path: db.display().to_string(),
                    pid: if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                        String::new()
                    } else {
                        format!("（プロセス番号 {pid}）")
                    },
                })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(io_err(
                "ロックファイルをロックできません",
                &path,
            )(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

// ---------------------------------------------------------------------------------------------
// Files.

/// A temporary file that is removed unless [`TempFile::keep`] is called.
struct TempFile(Option<PathBuf>);

impl TempFile {
    /// `<dir>/.<name>.<purpose>-<random>.tmp` beside `path`, so the final rename stays on one
    /// file system.
    fn beside(path: &Path, purpose: &str) -> TempFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tsunagu".into());
        let random = hex::encode(rand::random::<[u8; 6]>());
        TempFile(Some(
            path.with_file_name(format!(".{name}.{purpose}-{random}.tmp")),
        ))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            for f in [p.clone(), sidecar(&p, "-wal"), sidecar(&p, "-shm")] {
                let _ = std::fs::remove_file(f);
            }
        }
    }
}

/// `hub.sqlite` → `hub.sqlite-wal`.
fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().map(OsString::from).unwrap_or_default();
    name.push(suffix);
    db.with_file_name(name)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn fsync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err("ファイルをディスクに書き込めません", path))
}

/// Makes a rename durable (directories cannot be opened for sync on every platform; best effort
/// there).
fn fsync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn utf8(path: &Path) -> Result<&str, BackupError> {
    path.to_str()
        .ok_or_else(|| BackupError::Path(path.display().to_string()))
}

fn stamp() -> String {
    let t = crate::to_datetime(crate::now_unix()).to_offset(time::macros::offset!(+9));
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// What every verification reads, on either backend: the audit chain, the rows per table (listed
/// by `$list_tables`, a query of table names) and every ciphertext against its SHA-256.
/// Evaluates to `Result<(AuditVerification, Vec<(String, i64)>, u64), BackupError>`; a macro
/// because the two stores' pools have different types.
macro_rules! verify_contents {
    ($store:expr, $list_tables:expr, $failed:expr) => {
        async {
            let audit = $store
                .verify_audit()
                .await
                .map_err(|e| $failed(format!("監査ログを読めません: {e}")))?;
            if let Some(b) = &audit.first_broken {
                return Err($failed(format!(
                    "監査ログの連鎖が行 {} で壊れています: {}",
                    b.seq, b.reason
                )));
            }
            let names: Vec<String> = sqlx::query_scalar($list_tables)
                .fetch_all($store.pool())
                .await
                .map_err(|e| $failed(format!("表の一覧を読めません: {e}")))?;
            let mut tables = Vec::new();
            for name in names {
                let sql = format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\""));
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one($store.pool())
                    .await
                    .map_err(|e| $failed(format!("表 {name} を数えられません: {e}")))?;
                tables.push((name, n));
            }
            let mut after = String::new();
            let mut blobs_checked: u64 = 0;
            loop {
                let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
                    "SELECT b.envelope_id, e.ciphertext_sha256, b.ciphertext FROM envelope_blobs b \
                     JOIN envelopes e ON e.envelope_id = b.envelope_id \
                     WHERE b.envelope_id > $1 ORDER BY b.envelope_id LIMIT 64",
                )
                .bind(&after)
                .fetch_all($store.pool())
                .await
                .map_err(|e| $failed(format!("暗号文を読めません: {e}")))?;
                let Some(last) = rows.last() else { break };
                after = last.0.clone();
                for (id, sha, bytes) in &rows {
                    if crate::sha256_hex(bytes) != *sha {
                        return Err($failed(format!(
                            "封筒 {id} の暗号文がメタデータのハッシュ値と一致しません"
                        )));
                    }
                    blobs_checked += 1;
                }
            }
            Ok((audit, tables, blobs_checked))
        }
    };
}

// ---------------------------------------------------------------------------------------------
// SQLite.

fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(BUSY_WAIT)
}

fn db_err(path: &Path) -> impl FnOnce(sqlx::Error) -> BackupError {
    let url = path.display().to_string();
    move |e| BackupError::Database {
        url,
        source: e.into(),
    }
}

/// Backs up the SQLite database at `db` (a hub may be serving it) to `out`, which must not
/// exist. The file appears under `out` only once verified.
pub async fn backup_sqlite(db: &Path, out: &Path) -> Result<Verified, BackupError> {
    if !db.is_file() {
        return Err(BackupError::SourceMissing(db.display().to_string()));
    }
    if out.exists() {
        return Err(BackupError::OutputExists(out.display().to_string()));
    }
    let dir = parent_dir(out);
    std::fs::create_dir_all(&dir).map_err(io_err("ディレクトリを作れません", &dir))?;
    let tmp = TempFile::beside(out, "backup");
    let mut conn = SqliteConnection::connect_with(&sqlite_options(db))
        .await
        .map_err(db_err(db))?;
    // One read transaction: a consistent snapshot while the hub goes on writing.
    let done = sqlx::query("VACUUM INTO $1")
        .bind(utf8(tmp.path())?)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    done.map_err(db_err(db))?;
    let verified = verify_sqlite_file(tmp.path()).await?;
    fsync_file(tmp.path())?;
    if out.exists() {
        return Err(BackupError::OutputExists(out.display().to_string()));
    }
    std::fs::rename(tmp.path(), out).map_err(io_err("バックアップの名前を変えられません", out))?;
    tmp.keep();
    fsync_dir(&dir);
    tracing::info!(out = %out.display(), bytes = verified.bytes, audit_rows = verified.audit.rows, "backup written and verified");
    Ok(verified)
}

/// Verifies a SQLite database file: integrity check, audit chain, row counts. The file is
/// opened as the hub opens it (migrations run, WAL is checkpointed away on close), so only
/// call this on copies.
pub async fn verify_sqlite_file(path: &Path) -> Result<Verified, BackupError> {
    let failed = |reason: String| BackupError::Verify {
        path: path.display().to_string(),
        reason,
    };
    {
        let mut conn = SqliteConnection::connect_with(&sqlite_options(path).read_only(true))
            .await
            .map_err(|e| failed(format!("開けません: {e}")))?;
        let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| failed(format!("integrity_check を実行できません: {e}")))?;
        conn.close().await.ok();
        if check != ["ok"] {
            let first: Vec<String> = check.into_iter().take(3).collect();
            return Err(failed(format!(
                "integrity_check が異常を報告しました: {}",
                first.join(" / ")
            )));
        }
    }
    let store = SqliteStore::open(path, 1)
        .await
        .map_err(|e| failed(format!("ハブのデータベースとして開けません: {e}")))?;
    let list_tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                  ORDER BY name";
    let result = verify_contents!(store, list_tables, failed).await;
    // Closing the last connection checkpoints and removes the -wal file: one self-contained file.
    store.pool().close().await;
    let (audit, tables, blobs_checked) = result?;
    let bytes = std::fs::metadata(path)
        .map_err(io_err("ファイルを読めません", path))?
        .len();
    Ok(Verified {
        tables,
        blobs_checked,
        audit,
        bytes,
    })
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub verified: Verified,
    /// Where the database that was replaced now is (SQLite with `--overwrite`).
    pub previous: Option<PathBuf>,
}

/// Checks that no connection has the SQLite database open (a hub, a `tsunagu hub …` command,
/// the sqlite3 shell): an exclusive lock cannot be had while any other connection is open in
/// WAL mode. On success the WAL is checkpointed into the file, so the file alone is complete.
async fn sqlite_exclusive_check(db: &Path) -> Result<(), BackupError> {
    let options = sqlite_options(db)
        .busy_timeout(Duration::ZERO)
        .locking_mode(SqliteLockingMode::Exclusive);
    let in_use = |db: &Path| BackupError::InUse {
        path: db.display().to_string(),
        pid: "（またはほかのプログラム）".into(),
    };
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|_| in_use(db))?;
    let got = async {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await?;
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut conn)
            .await?;
        sqlx::query("COMMIT").execute(&mut conn).await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    conn.close().await.ok();
    got.map_err(|_| in_use(db))
}

/// Restores the SQLite backup `backup` as the database `target`. Refuses while a hub holds the
/// target, and (without `overwrite`) when the target exists.
pub async fn restore_sqlite(
    backup: &Path,
    target: &Path,
    overwrite: bool,
) -> Result<Restored, BackupError> {
    if !backup.is_file() {
        return Err(BackupError::SourceMissing(backup.display().to_string()));
    }
    // No hub may start on the target while we work, and none may be running now.
    let lock = HubLock::acquire(target)?;
    let exists = target.exists();
    if exists && !overwrite {
        return Err(BackupError::TargetExists(target.display().to_string()));
    }
    let dir = parent_dir(target);
    // Verify a copy beside the target first (verifying opens the file as the hub would).
    let tmp = TempFile::beside(target, "restore");
    std::fs::copy(backup, tmp.path())
        .map_err(io_err("バックアップを複写できません", tmp.path()))?;
    let verified = verify_sqlite_file(tmp.path()).await?;
    fsync_file(tmp.path())?;
    let mut previous = None;
    if !exists {
        // A WAL left beside a missing database would be replayed into the restored one.
        if std::fs::metadata(sidecar(target, "-wal")).is_ok_and(|m| m.len() > 0) {
            return Err(BackupError::TargetExists(
                sidecar(target, "-wal").display().to_string(),
            ));
        }
    }
    if exists {
        sqlite_exclusive_check(target).await?;
        // The checkpoint emptied the WAL; if it has content again, someone opened the file.
        let wal = sidecar(target, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(BackupError::InUse {
                path: target.display().to_string(),
                pid: "（またはほかのプログラム）".into(),
            });
        }
        let mut name = target.file_name().map(OsString::from).unwrap_or_default();
        name.push(format!(".before-restore-{}", stamp()));
        let aside = target.with_file_name(name);
        // A hard link keeps the target in place until the rename below replaces it atomically.
        if std::fs::hard_link(target, &aside).is_err() {
            std::fs::copy(target, &aside)
                .map_err(io_err("元のデータベースを退避できません", &aside))?;
        }
        previous = Some(aside);
    }
    for stale in [sidecar(target, "-wal"), sidecar(target, "-shm")] {
        let _ = std::fs::remove_file(stale);
    }
    std::fs::rename(tmp.path(), target)
        .map_err(io_err("復元したデータベースを置けません", target))?;
    tmp.keep();
    fsync_dir(&dir);
    drop(lock);
    tracing::info!(target = %target.display(), audit_rows = verified.audit.rows, "database restored");
    Ok(Restored { verified, previous })
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL.

/// Where the PostgreSQL client tools are (None: not found).
#[derive(Debug, Clone, Default)]
pub struct PgTools {
    pub pg_dump: Option<PathBuf>,
    pub pg_restore: Option<PathBuf>,
}

impl PgTools {
    /// Looks the tools up in `PATH`.
    pub fn from_path() -> PgTools {
        let path = std::env::var_os("PATH").unwrap_or_default();
        PgTools {
            pg_dump: find_in(&path, "pg_dump"),
            pg_restore: find_in(&path, "pg_restore"),
        }
    }
}

fn find_in(path: &std::ffi::OsStr, tool: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Splits the password off a `postgres://user:password@host/db` URL: the URL without it (safe
/// to show and to put on a command line) and the password, percent-decoded.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((creds, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = creds.split_once(':') else {
        return (url.to_string(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn pg_dump_args(url_no_password: &str, out: &Path) -> Vec<OsString> {
    vec![
        "--format=custom".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        "--file".into(),
        out.as_os_str().to_owned(),
        "--dbname".into(),
        url_no_password.into(),
    ]
}

fn pg_restore_args(url_no_password: &str, file: &Path) -> Vec<OsString> {
    vec![
        "--exit-on-error".into(),
        "--single-transaction".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        "--dbname".into(),
        url_no_password.into(),
        file.as_os_str().to_owned(),
    ]
}

fn command_line(tool: &str, args: &[OsString]) -> String {
    std::iter::once(tool.to_string())
        .chain(args.iter().map(|a| {
            let a = a.to_string_lossy();
            if a.starts_with("--") && !a.contains(['\'', ' ']) {
                a.into_owned()
            } else {
                shell_quote(&a)
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run_tool(
    tool: &'static str,
    program: &Path,
    args: &[OsString],
    password: Option<&str>,
) -> Result<String, BackupError> {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).stdin(std::process::Stdio::null());
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let program = program.to_path_buf();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| BackupError::Io {
            what: "PostgreSQL のクライアントを待てません",
            path: program.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?
        .map_err(io_err(
            "PostgreSQL のクライアントを起動できません",
            &program,
        ))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(BackupError::ToolFailed {
            tool,
            status: out.status.to_string(),
            stderr: stderr.trim().chars().take(2000).collect(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Checks a custom-format archive with `pg_restore --list`; returns the tables with data in it.
async fn pg_archive_tables(pg_restore: &Path, file: &Path) -> Result<Vec<String>, BackupError> {
    let list = run_tool(
        "pg_restore",
        pg_restore,
        &["--list".into(), file.into()],
        None,
    )
    .await
    .map_err(|e| BackupError::Verify {
        path: file.display().to_string(),
        reason: e.to_string(),
    })?;
    // Lines like `3402; 0 16390 TABLE DATA public audit_log postgres`.
    let tables: Vec<String> = list
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(" TABLE DATA "))
        .filter_map(|(_, rest)| rest.split_whitespace().nth(1).map(str::to_string))
        .collect();
    if !tables.iter().any(|t| t == "audit_log") {
        return Err(BackupError::Verify {
            path: file.display().to_string(),
            reason: "アーカイブにハブの表（audit_log）がありません".into(),
        });
    }
    Ok(tables)
}

/// What a PostgreSQL backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBackup {
    /// Tables with data in the archive.
    pub tables: Vec<String>,
    pub bytes: u64,
}

/// `pg_dump -Fc` of the database at `url` to `out` (which must not exist), checked with
/// `pg_restore --list`. A hub may be serving: pg_dump reads one snapshot.
pub async fn backup_postgres(
    url: &str,
    out: &Path,
    tools: &PgTools,
) -> Result<PgBackup, BackupError> {
    if out.exists() {
        return Err(BackupError::OutputExists(out.display().to_string()));
    }
    let (safe_url, password) = split_password(url);
    let (Some(pg_dump), Some(pg_restore)) = (&tools.pg_dump, &tools.pg_restore) else {
        let tool = if tools.pg_dump.is_none() {
            "pg_dump"
        } else {
            "pg_restore"
        };
        return Err(BackupError::ToolMissing {
            tool,
            command: command_line("pg_dump", &pg_dump_args(&safe_url, out)),
        });
    };
    let dir = parent_dir(out);
    std::fs::create_dir_all(&dir).map_err(io_err("ディレクトリを作れません", &dir))?;
    let tmp = TempFile::beside(out, "backup");
    run_tool(
        "pg_dump",
        pg_dump,
        &pg_dump_args(&safe_url, tmp.path()),
        password.as_deref(),
    )
    .await?;
    let tables = pg_archive_tables(pg_restore, tmp.path()).await?;
    fsync_file(tmp.path())?;
    if out.exists() {
        return Err(BackupError::OutputExists(out.display().to_string()));
    }
    std::fs::rename(tmp.path(), out).map_err(io_err("バックアップの名前を変えられません", out))?;
    tmp.keep();
    fsync_dir(&dir);
    let bytes = std::fs::metadata(out)
        .map_err(io_err("ファイルを読めません", out))?
        .len();
    Ok(PgBackup { tables, bytes })
}

/// Restores a `pg_dump -Fc` archive into the empty database at `url` (created beforehand with
/// CREATE DATABASE), in one transaction, then verifies the audit chain and counts rows.
pub async fn restore_postgres(
    file: &Path,
    url: &str,
    tools: &PgTools,
) -> Result<Verified, BackupError> {
    if !file.is_file() {
        return Err(BackupError::SourceMissing(file.display().to_string()));
    }
    let (safe_url, password) = split_password(url);
    let Some(pg_restore) = &tools.pg_restore else {
        return Err(BackupError::ToolMissing {
            tool: "pg_restore",
            command: command_line("pg_restore", &pg_restore_args(&safe_url, file)),
        });
    };
    let shown = crate::store::redact_url(url);
    let db_error = |source: sqlx::Error| BackupError::Database {
        url: shown.clone(),
        source: source.into(),
    };
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(db_error)?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(db_error)?;
    let others: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(db_error)?;
    conn.close().await.ok();
    if tables > 0 {
        return Err(BackupError::TargetNotEmpty {
            url: shown,
            why: format!("表が {tables} 個あります"),
        });
    }
    if others > 0 {
        return Err(BackupError::TargetNotEmpty {
            url: shown,
            why: format!("ほかの接続が {others} 本あります"),
        });
    }
    pg_archive_tables(pg_restore, file).await?;
    run_tool(
        "pg_restore",
        pg_restore,
        &pg_restore_args(&safe_url, file),
        password.as_deref(),
    )
    .await?;
    let failed = |reason: String| BackupError::Verify {
        path: shown.clone(),
        reason,
    };
    let store = PgStore::connect(url, 2)
        .await
        .map_err(|e| failed(format!("ハブのデータベースとして開けません: {e}")))?;
    let list_tables = "SELECT table_name::text FROM information_schema.tables \
                  WHERE table_schema = 'public' ORDER BY 1";
    let result = verify_contents!(store, list_tables, failed).await;
    store.pool().close().await;
    let (audit, tables, blobs_checked) = result?;
    let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
    Ok(Verified {
        tables,
        blobs_checked,
        audit,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_come_off_the_url() {
        assert_eq!(
            split_password("postgres://u:p%40ss@h:5432/db?sslmode=disable"),
            (
                "postgres://u@h:5432/db?sslmode=disable".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".to_string(), None)
        );
        // An '@' in the password, unencoded: the last '@' of the authority ends it.
        assert_eq!(
            split_password("postgres://u:a@b@h/db"),
            ("postgres://u@h/db".to_string(), Some("a@b".to_string()))
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn targets_and_lock_paths() {
        assert_eq!(
            Target::from_url("sqlite://data/hub.sqlite"),
            Target::Sqlite("data/hub.sqlite".into())
        );
        assert_eq!(
            Target::from_url("./x.sqlite"),
            Target::Sqlite("./x.sqlite".into())
        );
        assert!(matches!(
            Target::from_url("postgresql://h/db"),
            Target::Postgres(_)
        ));
        assert_eq!(
            lock_path(Path::new("data/hub.sqlite")),
            PathBuf::from("data/hub.sqlite.lock")
        );
    }

    #[test]
    fn printed_commands_quote_what_needs_it() {
        let line = command_line(
            "pg_dump",
            &pg_dump_args("postgres://u@h/db", Path::new("/tmp/a b.dump")),
        );
        assert_eq!(
            line,
            "pg_dump --format=custom --no-owner --no-privileges --file '/tmp/a b.dump' --dbname 'postgres://u@h/db'"
        );
    }

    #[test]
    fn the_lock_is_exclusive_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = dir.path().join("hub.sqlite");
        let first = HubLock::acquire(&db).unwrap_or_else(|e| panic!("{e}"));
        let Err(err) = HubLock::acquire(&db) else {
            panic!("a second lock was granted")
        };
        assert_eq!(err.exit_code(), 3);
        assert!(
            err.to_string()
                .contains(&format!("プロセス番号 {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(HubLock::acquire(&db).is_ok());
    }
}
