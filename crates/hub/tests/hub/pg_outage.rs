//! PostgreSQL stopped and started under load (issue 6, item 4).
//!
//! A private PostgreSQL cluster (Debian's server binaries, a temp dir, a free loopback port) is
//! started for this test alone — the machine's shared PostgreSQL on 5432 is never touched. A real
//! hub runs on it; concurrent senders (with retries), a receiver and two real desk sync loops keep
//! it busy; then `pg_ctl stop -m immediate`. While the database is gone the hub must answer 503
//! `E-HUB-901` within its configured timeouts (never 500, never a hang) and `/readyz` 503; after
//! `pg_ctl start` it must recover by itself, without a restart. Afterwards every acknowledged
//! send is stored exactly once, every client finished, the audit chain verifies, and the desks
//! backed off during the outage (few attempts, not a hot loop) and delivered after it.
//!
//! Skipped with a notice when the PostgreSQL server binaries are missing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use time::OffsetDateTime;
use tsunagu_desk::settings::DeskSettings;
use tsunagu_desk::sync::{Shared, Timing};
use tsunagu_desk::{DataDir, InitOptions};
use tsunagu_hub::store;
use tsunagu_protocol::{
    EnvelopePage, EnvelopeSummary, ErrorBody, PostReceiptRequest, SendEnvelopeResponse, routes,
};
use tsunagu_seal::{Receipt, ReceiptStatus, SecretString, SignedReceipt, UnitId};

use crate::helpers::{Desk, TestApp, TestDb, office};

/// Offices of the raw senders (sealed with the test kit).
const RA: &str = "0300000100_43";
const RB: &str = "0300000200_11";
/// Offices of the two real desks: the fixtures' 居宅 and 訪問介護.
const DA: &str = "3100000001_43";
const DB: &str = "3100000101_11";
/// The desk's unit: one 予定削除 file of the fixtures, 3100000001_43 → 3100000101_11.
const DESK_FILE: &str = "DLTPLAN_202505_3100000001_43_3100000101_11_20250426090000.CSV";

const SENDERS: usize = 4;
const BODY_BYTES: usize = 20 * 1024;
/// How long PostgreSQL stays down (at least; the probes may keep it down a little longer).
const OUTAGE: Duration = Duration::from_secs(6);
/// The hub's pool acquire timeout (store/sql.rs `ACQUIRE_TIMEOUT`): the configured bound on how
/// long a request waits for a database connection before it answers 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// A private PostgreSQL cluster.

/// A PostgreSQL cluster of its own in a temp dir, on a free loopback port; stopped and removed
/// on drop. When the tests run as root it runs as the `postgres` OS user (initdb refuses root).
struct PrivatePg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl PrivatePg {
    /// Debian's server binaries (the highest version), or `TSUNAGU_TEST_PG_BIN`.
    fn find_bin() -> Option<PathBuf> {
        if let Ok(dir) = std::env::var("TSUNAGU_TEST_PG_BIN") {
            let dir = PathBuf::from(dir);
            return dir.join("initdb").is_file().then_some(dir);
        }
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| {
                let e = e.ok()?;
                let version: u32 = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
                    .then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    }

    fn id(args: &[&str]) -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    }

    /// Creates and starts the cluster, or None (with a notice) where that cannot be done.
    fn start() -> Option<PrivatePg> {
        let Some(bin) = Self::find_bin() else {
            println!(
                "notice: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); skipping the PostgreSQL outage test"
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("tsunagu-pg-")
            .tempdir()
            .unwrap();
        let as_postgres = Self::id(&["-u"]) == Some(0);
        if as_postgres {
            let (Some(uid), Some(gid)) =
                (Self::id(&["-u", "postgres"]), Self::id(&["-g", "postgres"]))
            else {
                println!(
                    "notice: running as root and there is no `postgres` OS user to run initdb as; skipping the PostgreSQL outage test"
                );
                return None;
            };
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePg {
            bin,
            dir,
            port,
            as_postgres,
        };
        // -N: initdb's own final flush is skipped (a test cluster); the server runs with fsync on.
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
        );
        pg.start_server();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        // The postgres user may not be allowed into the caller's working directory.
        c.current_dir(self.dir.path()).stdin(Stdio::null());
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pg_ctl start -w`: returns once the server accepts connections (after crash recovery).
    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m immediate`: every backend is killed at once, as in a crash.
    fn stop_immediate(&self) -> bool {
        self.stop("immediate")
    }

    /// `pg_ctl stop -m <mode>`: `immediate` (a crash: backends killed, recovery at start) or
    /// `fast` (what `systemctl stop` does: sessions terminated with an error, clean shutdown).
    fn stop(&self, mode: &str) -> bool {
        let data = self.data();
        self.command("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-m", mode, "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.stop_immediate();
    }
}

// ---------------------------------------------------------------------------------------------
// A counting proxy in front of the hub for the desks: every request they make is logged.

struct Hit {
    at: Instant,
    who: &'static str,
    status: u16,
}

#[derive(Clone)]
struct Proxy {
    target: String,
    http: reqwest::Client,
    /// Bearer token → desk name.
    names: Arc<Mutex<HashMap<String, &'static str>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Proxy {
    async fn spawn(target: &str) -> (Proxy, String) {
        let proxy = Proxy {
            target: target.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            names: Arc::default(),
            hits: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (proxy, url)
    }

    /// Requests of `who` in `[from, to]`, and how many of them answered `status`.
    fn count(&self, who: &str, from: Instant, to: Instant) -> (usize, usize) {
        let hits = self.hits.lock().unwrap();
        let mine: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.who == who && h.at >= from && h.at <= to)
            .collect();
        (mine.len(), mine.iter().filter(|h| h.status == 503).count())
    }
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let who = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| p.names.lock().unwrap().get(t).copied())
        .unwrap_or("other");
    let mut rb = p
        .http
        .request(parts.method.clone(), format!("{}{path}", p.target))
        .body(bytes);
    for (k, v) in &parts.headers {
        if k != header::HOST && k != header::CONTENT_LENGTH && k != header::CONNECTION {
            rb = rb.header(k, v);
        }
    }
    let (status, response) = match rb.send().await {
        Ok(r) => {
            let status = r.status();
            let headers = r.headers().clone();
            let body = r.bytes().await.unwrap_or_default();
            let mut out = Response::builder().status(status);
            for (k, v) in &headers {
                if k != header::CONTENT_LENGTH
                    && k != header::TRANSFER_ENCODING
                    && k != header::CONNECTION
                {
                    out = out.header(k, v);
                }
            }
            (status.as_u16(), out.body(Body::from(body)).unwrap())
        }
        Err(_) => (502, StatusCode::BAD_GATEWAY.into_response()),
    };
    p.hits.lock().unwrap().push(Hit { at, who, status });
    response
}

// ---------------------------------------------------------------------------------------------
// Clients with retries.

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// unit id → (envelope id, final status, attempts).
    acked: BTreeMap<String, (String, u16, u32)>,
    /// Durations of the 503 answers.
    unavailable: Vec<Duration>,
    /// Anything but 2xx / 503: (status, body), or a transport error.
    unexpected: Vec<String>,
    /// 503 bodies that were not the documented error.
    bad_503: Vec<String>,
    gave_up: Vec<String>,
    /// Envelopes whose receipt was answered 2xx, and those whose receipt was not answered 2xx.
    receipt_ok: BTreeSet<String>,
    receipt_unanswered: BTreeSet<String>,
}

impl Seen {
    fn absorb(&mut self, other: Seen) {
        self.acked.extend(other.acked);
        self.unavailable.extend(other.unavailable);
        self.unexpected.extend(other.unexpected);
        self.bad_503.extend(other.bad_503);
        self.gave_up.extend(other.gave_up);
        self.receipt_ok.extend(other.receipt_ok);
        self.receipt_unanswered.extend(other.receipt_unanswered);
    }
}

/// Checks a 503 body: the documented code and a message that says the database is unavailable.
fn check_503(body: &str) -> Result<(), String> {
    let parsed: ErrorBody = serde_json::from_str(body).map_err(|_| body.to_string())?;
    if parsed.code.as_str() == "E-HUB-901"
        && parsed.message.contains("データベース")
        && parsed.message_en.contains("database unavailable")
    {
        Ok(())
    } else {
        Err(body.to_string())
    }
}

/// One request; a 503 is recorded (with its duration and body check) and answered None.
async fn attempt(
    seen: &mut Seen,
    what: &str,
    rb: reqwest::RequestBuilder,
) -> Option<(u16, String)> {
    let start = Instant::now();
    match rb.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            if status == 503 {
                seen.unavailable.push(start.elapsed());
                if let Err(b) = check_503(&body) {
                    seen.bad_503.push(b);
                }
                None
            } else if (200..300).contains(&status) {
                Some((status, body))
            } else {
                seen.unexpected.push(format!("{what}: {status} {body}"));
                None
            }
        }
        Err(e) => {
            seen.unexpected.push(format!("{what}: {e}"));
            None
        }
    }
}

const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// A unit not acknowledged within this is given up (and fails the test).
const GIVE_UP: Duration = Duration::from_secs(60);

/// Sends units until `stop`, each retried until acknowledged.
async fn sender(
    app: Arc<TestApp>,
    from: Arc<Desk>,
    to: Arc<Desk>,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Seen {
    let mut seen = Seen::default();
    // One real sealed envelope as the template; the load itself is raw envelopes (routing
    // metadata that matches an opaque body), as the hub never opens one: sealing in a debug
    // build would otherwise be the bottleneck, not the hub.
    let template = from.seal_to(&to, &format!("20261124{n}00000"), b"template");
    for i in 0..100_000usize {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let unit = format!("20261125{n}{i:05}");
        let mut body = unit.as_bytes().repeat(BODY_BYTES / unit.len());
        body.extend(rand::random::<[u8; 16]>());
        let mut routing = template.routing.clone();
        routing.unit_id = UnitId::parse(&unit).unwrap();
        routing.size = body.len() as u64;
        routing.ciphertext_sha256 = hex::encode(Sha256::digest(&body));
        let header = tsunagu_protocol::encode_routing_header(&routing).unwrap();
        let begun = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let rb = app
                .http
                .put(app.url(routes::ENVELOPES))
                .bearer_auth(&from.token)
                .header("content-type", "application/octet-stream")
                .header(tsunagu_protocol::ROUTING_HEADER, &header)
                .body(body.clone());
            if let Some((status, body)) = attempt(&mut seen, "send", rb).await {
                let r: SendEnvelopeResponse = serde_json::from_str(&body).unwrap();
                assert_eq!(r.created, status == 201, "{status} {body}");
                seen.acked
                    .insert(unit.clone(), (r.envelope_id, status, attempts));
                break;
            }
            if begun.elapsed() > GIVE_UP {
                seen.gave_up.push(unit.clone());
                break;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
    seen
}

/// Takes the inbox of `me`: downloads each envelope and posts a signed 取込済 receipt, with
/// retries, until `stop` and the inbox is empty.
async fn receiver(
    app: Arc<TestApp>,
    me: Arc<Desk>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Seen {
    let mut seen = Seen::default();
    loop {
        let rb = app
            .http
            .get(app.url(&format!("{}?limit=200", routes::INBOX)))
            .bearer_auth(&me.token);
        let Some((_, body)) = attempt(&mut seen, "inbox", rb).await else {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        let page: EnvelopePage = serde_json::from_str(&body).unwrap();
        if page.items.is_empty() {
            if stop.load(Ordering::Relaxed) {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        // A few envelopes at a time, as several desk PCs of one office would.
        for chunk in page.items.chunks(RECEIVE_CONCURRENCY) {
            let mut tasks = tokio::task::JoinSet::new();
            for item in chunk {
                // Owned: the task outlives this loop.
                let item = item.clone();
                let (app, me, done) = (Arc::clone(&app), Arc::clone(&me), Arc::clone(&done));
                tasks.spawn(async move {
                    let mut seen = Seen::default();
                    take_one(&app, &me, &item, &mut seen).await;
                    if seen.unavailable.is_empty() && seen.unexpected.is_empty() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    seen
                });
            }
            let mut failed = false;
            while let Some(one) = tasks.join_next().await {
                let one = one.unwrap();
                failed |= !one.unavailable.is_empty() || !one.unexpected.is_empty();
                seen.absorb(one);
            }
            if failed {
                // The envelopes stay in the inbox; the next page takes them again.
                tokio::time::sleep(RETRY_PAUSE).await;
                break;
            }
        }
    }
}

const RECEIVE_CONCURRENCY: usize = 8;

/// Downloads one envelope and posts a signed 取込済 receipt (once; failures are in `seen`).
async fn take_one(app: &TestApp, me: &Desk, item: &EnvelopeSummary, seen: &mut Seen) {
    let rb = app
        .http
        .get(app.url(&routes::fill(routes::CIPHERTEXT, &item.envelope_id)))
        .bearer_auth(&me.token);
    if attempt(seen, "download", rb).await.is_none() {
        return;
    }
    let receipt = Receipt::for_envelope(
        &item.routing,
        ReceiptStatus::Imported,
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
        me.keys.public(),
    );
    let signed = SignedReceipt::sign(receipt, &me.keys).unwrap();
    let rb = app
        .http
        .post(app.url(&routes::fill(routes::RECEIPTS, &item.envelope_id)))
        .bearer_auth(&me.token)
        .json(&PostReceiptRequest { receipt: signed });
    if attempt(seen, "receipt", rb).await.is_some() {
        seen.receipt_ok.insert(item.envelope_id.clone());
    } else {
        seen.receipt_unanswered.insert(item.envelope_id.clone());
    }
}

/// One timed GET; (status, body, duration).
async fn timed_get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, Duration) {
    let start = Instant::now();
    let mut rb = app.http.get(app.url(path));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    (status, body, start.elapsed())
}

fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    tokio::task::spawn_blocking(f)
}

/// A real desk: data folder, keys registered through the counting proxy, sync loop started.
async fn start_desk(
    app: &TestApp,
    root: &Path,
    office_id: &str,
    hub_url: &str,
    timing: Timing,
) -> (Arc<Shared>, tokio::task::JoinHandle<()>, String) {
    let invite = tsunagu_hub::ops::issue_invite(
        app.store.as_ref(),
        office(office_id),
        Some(&format!("デスク {office_id}")),
        Some("312029"),
        1,
        tsunagu_hub::now_unix(),
    )
    .await
    .unwrap();
    let onboarded = tsunagu_desk::init_unlocked(
        DataDir::new(root.join(office_id)),
        InitOptions {
            hub_url: hub_url.to_string(),
            invite_code: invite.code,
            device_name: "障害試験".into(),
            passphrase: SecretString::from("pg-outage-test".to_string()),
            // Test keys protect nothing; a low scrypt factor keeps the test fast.
            key_work_factor: Some(4),
        },
    )
    .await
    .unwrap();
    let token = onboarded.answer.token.clone();
    DeskSettings::default()
        .create_folders(&onboarded.desk.dir)
        .unwrap();
    let shared = Arc::new(Shared::new(
        onboarded.desk,
        onboarded.keys,
        DeskSettings::default(),
        timing,
    ));
    let task = tokio::spawn(tsunagu_desk::sync::run(Arc::clone(&shared)));
    (shared, task, token)
}

/// Outages in one run: 1 in the suite; `TSUNAGU_PG_OUTAGE_ROUNDS=20` for the long run.
fn rounds() -> usize {
    std::env::var("TSUNAGU_PG_OUTAGE_ROUNDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(1)
}

/// How PostgreSQL is stopped in round `round`: `TSUNAGU_PG_OUTAGE_MODE` = `immediate` (the
/// default), `fast`, or `alternate` (immediate, fast, immediate, …).
fn stop_mode(round: usize) -> &'static str {
    match std::env::var("TSUNAGU_PG_OUTAGE_MODE").as_deref() {
        Ok("fast") => "fast",
        Ok("alternate") if round.is_multiple_of(2) => "fast",
        _ => "immediate",
    }
}

/// What one outage showed.
struct Round {
    envelopes_before: i64,
    probes: Vec<(&'static str, u16, Duration)>,
    down: Duration,
    pg_start: Duration,
    ready_after_pg: Duration,
    desk_requests: Vec<(&'static str, usize, usize)>,
}

/// A real hub on a private PostgreSQL cluster with offices RA and RB onboarded through real
/// invites; `None` (after the cluster's notice) where PostgreSQL's binaries are missing.
async fn hub_on_private_pg() -> Option<(Arc<PrivatePg>, Arc<TestApp>, Arc<Desk>, Arc<Desk>)> {
    let pg = Arc::new(blocking(PrivatePg::start).await.unwrap()?);
    let db = TestDb::Postgres {
        admin_url: pg.url(),
        name: "postgres".into(),
        url: pg.url(),
    };
    let app = Arc::new(TestApp::spawn(&db).await);
    let ra = Arc::new(app.onboard(RA, "送信PC").await);
    let rb = Arc::new(app.onboard(RB, "受信PC").await);
    Some((pg, app, ra, rb))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_answers_503_and_recovers_without_restart() {
    let t_setup = Instant::now();
    let Some((pg, app, ra, rb)) = hub_on_private_pg().await else {
        return;
    };

    // Two real desks behind the counting proxy; short intervals so a hot loop would show.
    let (proxy, proxy_url) = Proxy::spawn(&app.base).await;
    let timing = Timing {
        quiet: Duration::from_millis(300),
        hub_interval: Duration::from_secs(1),
    };
    let root = tempfile::tempdir().unwrap();
    let (desk_a, task_a, token_a) = start_desk(&app, root.path(), DA, &proxy_url, timing).await;
    let (desk_b, task_b, token_b) = start_desk(&app, root.path(), DB, &proxy_url, timing).await;
    {
        let mut names = proxy.names.lock().unwrap();
        names.insert(token_a, "desk A");
        names.insert(token_b, "desk B");
    }
    println!("setup (cluster, hub, 4 offices): {:?}", t_setup.elapsed());

    // Load: concurrent senders RA → RB and a receiver at RB.
    let stop_send = Arc::new(AtomicBool::new(false));
    let stop_recv = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for n in 0..SENDERS {
        senders.push(tokio::spawn(sender(
            Arc::clone(&app),
            Arc::clone(&ra),
            Arc::clone(&rb),
            n,
            Arc::clone(&stop_send),
        )));
    }
    let recv = tokio::spawn(receiver(
        Arc::clone(&app),
        Arc::clone(&rb),
        Arc::clone(&stop_recv),
        Arc::clone(&received),
    ));

    let import_b = DeskSettings::default().import(&desk_b.desk.dir);
    let mut desk_delivered = None;
    let mut report = Vec::new();
    for round in 1..=rounds() {
        // Let the load run, then pull the plug in the middle of it (at a varying moment).
        let pause = Duration::from_millis(1500 + rand::random::<u64>() % 1000);
        tokio::time::sleep(pause).await;
        let envelopes_before = envelope_count(&pg.url()).await;
        let t_stop = Instant::now();
        let mode = stop_mode(round);
        let stopped = blocking({
            let pg = Arc::clone(&pg);
            move || pg.stop(mode)
        })
        .await
        .unwrap();
        assert!(stopped, "pg_ctl stop -m {mode} failed");

        if round == 1 {
            // The desk gets a unit to send while the database is gone.
            let outbox_a = DeskSettings::default().outbox(&desk_a.desk.dir);
            let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../standard/tests/fixtures/valid")
                .join(DESK_FILE);
            std::fs::copy(&fixture, outbox_a.join(DESK_FILE)).unwrap();
        }

        // Probes while down: readiness, a read, a write. Each must fail with 503 in bounded time.
        let probe_unit = format!("20261126{:06}", round);
        let (ready, inbox, put) = tokio::join!(
            timed_get(&app, routes::READY, None),
            timed_get(&app, routes::INBOX, Some(&rb.token)),
            async {
                let env = ra.seal_to(&rb, &probe_unit, b"probe");
                let start = Instant::now();
                let resp = crate::helpers::Api::new(&app, &ra).put_envelope(&env).await;
                let status = resp.status().as_u16();
                (
                    status,
                    resp.text().await.unwrap_or_default(),
                    start.elapsed(),
                )
            }
        );
        let mut probes = Vec::new();
        for (what, (status, body, took)) in [
            ("/readyz", ready),
            ("GET /api/v1/inbox", inbox),
            ("PUT /api/v1/envelopes", put),
        ] {
            assert_eq!(
                status, 503,
                "round {round}: {what} while the database is down: {body}"
            );
            check_503(&body).unwrap_or_else(|b| panic!("{what}: not the documented 503 body: {b}"));
            assert!(
                took < ACQUIRE_TIMEOUT + Duration::from_secs(3),
                "round {round}: {what} took {took:?} to fail (acquire timeout {ACQUIRE_TIMEOUT:?})"
            );
            if round == 1 {
                println!("while down: {what} → {status} in {took:?}: {body}");
            }
            probes.push((what, status, took));
        }

        // The desks noticed and are backing off. A desk request that was queued behind a
        // failing write batch can take up to two acquire timeouts to be answered 503.
        let down_for = t_stop.elapsed();
        if down_for < OUTAGE {
            tokio::time::sleep(OUTAGE - down_for).await;
        }
        for (name, d) in [("desk A", &desk_a), ("desk B", &desk_b)] {
            loop {
                let (err, retry_in) = {
                    let h = tsunagu_desk::sync::lock(&d.health);
                    (h.last_error.clone(), h.retry_in)
                };
                if err.is_some() && retry_in.is_some() {
                    if round == 1 {
                        println!(
                            "{name} while down ({:?} after the stop): retry_in={retry_in:?} s, last_error={err:?}",
                            t_stop.elapsed()
                        );
                    }
                    break;
                }
                assert!(
                    t_stop.elapsed() < 2 * ACQUIRE_TIMEOUT + Duration::from_secs(5),
                    "round {round}: {name} is not backing off {:?} after the stop",
                    t_stop.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        // Start it again. The hub is not restarted.
        let t_start = Instant::now();
        blocking({
            let pg = Arc::clone(&pg);
            move || pg.start_server()
        })
        .await
        .unwrap();
        let t_pg_up = Instant::now();
        let t_ready = loop {
            let (status, _, _) = timed_get(&app, routes::READY, None).await;
            if status == 200 {
                break Instant::now();
            }
            assert!(
                t_pg_up.elapsed() < Duration::from_secs(20),
                "round {round}: the hub did not become ready within 20 s of PostgreSQL accepting connections"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };

        // What the desks did while the database was down: requests from the stop until ready.
        let mut desk_requests = Vec::new();
        for who in ["desk A", "desk B"] {
            let (during, unavailable) = proxy.count(who, t_stop, t_ready);
            // 5 s doubling backoff: one failing pass, then a try after 5 s, 10 s, …; each pass
            // makes at most a few requests. A hot loop would make hundreds.
            assert!(
                during <= 8,
                "round {round}: {who} made {during} requests during a {:?} outage",
                t_ready - t_stop
            );
            desk_requests.push((who, during, unavailable));
        }

        if round == 1 {
            // The desk's unit arrives: sent by desk A after its backoff, imported by desk B.
            let t_delivered = loop {
                if import_b.join(DESK_FILE).is_file() {
                    break Instant::now();
                }
                assert!(
                    t_start.elapsed() < Duration::from_secs(40),
                    "desk A's unit did not reach desk B's import folder within 40 s of PostgreSQL starting"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            desk_delivered = Some((
                t_delivered - t_pg_up,
                t_delivered.saturating_duration_since(t_ready),
            ));
        }
        let r = Round {
            envelopes_before,
            probes,
            down: t_pg_up - t_stop,
            pg_start: t_pg_up - t_start,
            ready_after_pg: t_ready.saturating_duration_since(t_pg_up),
            desk_requests,
        };
        println!(
            "round {round}: stopped ({mode}) with {} envelopes stored; down {:?} (pg_ctl start with crash recovery {:?}); hub ready {:?} after PostgreSQL accepted connections; probes {:?}; desks (requests, 503s) while down {:?}",
            r.envelopes_before, r.down, r.pg_start, r.ready_after_pg, r.probes, r.desk_requests
        );
        report.push(r);
    }

    // Some more load after recovery, then the senders finish their current unit.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_send.store(true, Ordering::Relaxed);
    let t_stop_send = Instant::now();
    let mut seen = Seen::default();
    for s in senders {
        seen.absorb(
            tokio::time::timeout(Duration::from_secs(60), s)
                .await
                .expect("a sender did not finish")
                .unwrap(),
        );
    }
    let senders_took = t_stop_send.elapsed();
    stop_recv.store(true, Ordering::Relaxed);
    let t_drain = Instant::now();
    seen.absorb(
        tokio::time::timeout(Duration::from_secs(60), recv)
            .await
            .expect("the receiver did not finish")
            .unwrap(),
    );
    let drain_took = t_drain.elapsed();
    task_a.abort();
    task_b.abort();
    if let Some((after_pg, after_ready)) = desk_delivered {
        println!(
            "desk unit delivered {after_pg:?} after PostgreSQL accepted connections again ({after_ready:?} after the hub was ready: the desk's backoff)"
        );
    }
    for who in ["desk A", "desk B"] {
        let (total, unavailable) = proxy.count(who, t_setup, Instant::now());
        println!("{who}: {total} requests in all, {unavailable} answered 503");
    }

    // The clients: nothing but 2xx and the documented 503, and every unit acknowledged.
    let mut fails: Vec<Duration> = seen.unavailable.clone();
    fails.sort();
    let retried = seen.acked.values().filter(|(_, _, a)| *a > 1).count();
    let existing = seen.acked.values().filter(|(_, s, _)| *s == 200).count();
    println!(
        "senders: {} units acknowledged ({} × 201, {existing} × 200 on retry), {retried} needed retries; {} answers 503 to senders and receiver (fastest {:?}, median {:?}, slowest {:?}); senders finished {senders_took:?} after being told to stop; receiver imported {} (its backlog took {drain_took:?} after the senders stopped)",
        seen.acked.len(),
        seen.acked.len() - existing,
        fails.len(),
        fails.first(),
        fails.get(fails.len() / 2),
        fails.last(),
        received.load(Ordering::Relaxed),
    );
    assert!(
        seen.unexpected.is_empty(),
        "answers other than 2xx/503: {:#?}",
        seen.unexpected
    );
    assert!(seen.bad_503.is_empty(), "503 bodies: {:#?}", seen.bad_503);
    assert!(
        seen.gave_up.is_empty(),
        "units never acknowledged: {:?}",
        seen.gave_up
    );
    assert!(
        retried > 0 && !fails.is_empty(),
        "the outage did not hit the senders"
    );
    let slowest = fails.last().copied().unwrap_or_default();
    // A request waits for the pool (5 s) and, on the write path, for the batch ahead of it.
    assert!(
        slowest < 2 * ACQUIRE_TIMEOUT + Duration::from_secs(3),
        "a request took {slowest:?} to fail"
    );

    // The database: every acknowledged send exactly once, all imported, the audit chain intact.
    let mut conn = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    let rows: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT unit_id, envelope_id, imported_at FROM envelopes WHERE sender = $1 AND recipient = $2",
    )
    .bind(RA)
    .bind(RB)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let stored: BTreeMap<String, (String, Option<i64>)> = rows
        .iter()
        .map(|(u, e, i)| (u.clone(), (e.clone(), *i)))
        .collect();
    assert_eq!(stored.len(), rows.len(), "a unit stored twice");
    let acked: BTreeSet<&String> = seen.acked.keys().collect();
    // The probes were answered 503 and are not stored.
    let stored_units: BTreeSet<&String> = stored.keys().collect();
    assert_eq!(
        acked, stored_units,
        "stored units differ from acknowledged ones"
    );
    for (unit, (envelope_id, _, _)) in &seen.acked {
        assert_eq!(
            &stored[unit].0, envelope_id,
            "unit {unit}: another envelope id"
        );
        assert!(stored[unit].1.is_some(), "unit {unit} was not imported");
    }
    let dup_audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT envelope_id FROM audit_log WHERE event = 'envelope_sent' GROUP BY envelope_id HAVING count(*) > 1) d",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(dup_audit, 0, "an envelope with two 'sent' audit rows");
    let (sent_rows, envelopes): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM audit_log WHERE event = 'envelope_sent'), (SELECT count(*) FROM envelopes)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        sent_rows, envelopes,
        "every envelope has exactly one 'sent' audit row"
    );
    conn.close().await.ok();
    // A receipt answered 503 whose transaction had committed (the answer was lost with the
    // connection): its envelope left the inbox, so it was never posted again, yet it is stored
    // (every acknowledged unit was checked imported above). A desk re-posting it gets 200.
    let committed_unanswered = seen.receipt_unanswered.difference(&seen.receipt_ok).count();
    println!(
        "receipts: {} answered 2xx; {committed_unanswered} answered 503 although committed (stored, as checked above)",
        seen.receipt_ok.len()
    );
    let verification = app.store.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    let worst_ready = report.iter().map(|r| r.ready_after_pg).max();
    println!(
        "{} outage(s); stored: {envelopes} envelopes, each once; audit chain intact over {} rows; slowest recovery after PostgreSQL was back {worst_ready:?}; total test time {:?}",
        report.len(),
        verification.rows,
        t_setup.elapsed()
    );
}

async fn envelope_count(url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM envelopes")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    n
}

/// Waits until `n` sessions of the hub wait on a lock (the outside sessions hold them).
async fn wait_for_waiting(url: &str, n: i64) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if waiting >= n {
            break;
        }
        assert!(Instant::now() < deadline, "the hub's queries never blocked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    conn.close().await.ok();
}

/// `pg_ctl stop -m fast` (what `systemctl stop postgresql` does) ends every session with
/// FATAL 57P01 "terminating connection due to administrator command". A write and a read in
/// flight at that moment — held deterministically behind locks taken from outside — must be
/// answered 503 `E-HUB-901` like any other outage (they were answered 500 `E-HUB-999`), and the
/// hub must carry on once PostgreSQL is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_shutdown_with_queries_in_flight_answers_503_and_recovers() {
    let Some((pg, app, ra, rb)) = hub_on_private_pg().await else {
        return;
    };

    // Hold the writers' advisory lock: a send waits inside the group-commit batch, in the
    // middle of its transaction.
    let mut writers = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(store::PG_WRITE_LOCK)
        .execute(&mut writers)
        .await
        .unwrap();
    let env = ra.seal_to(&rb, "20261127090000", b"in flight");
    let put = tokio::spawn({
        let (app, ra, env) = (Arc::clone(&app), Arc::clone(&ra), env.clone());
        async move {
            let start = Instant::now();
            let resp = crate::helpers::Api::new(&app, &ra).put_envelope(&env).await;
            let status = resp.status().as_u16();
            (
                status,
                resp.text().await.unwrap_or_default(),
                start.elapsed(),
            )
        }
    });
    wait_for_waiting(&pg.url(), 1).await;
    // Lock the devices table: a read (the token lookup of any call) waits too.
    let mut readers = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut readers).await.unwrap();
    sqlx::query("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE")
        .execute(&mut readers)
        .await
        .unwrap();
    let me = tokio::spawn({
        let app = Arc::clone(&app);
        let token = rb.token.clone();
        async move { timed_get(&app, routes::ME, Some(&token)).await }
    });
    wait_for_waiting(&pg.url(), 2).await;

    let t_stop = Instant::now();
    let stopped = blocking({
        let pg = Arc::clone(&pg);
        move || pg.stop("fast")
    })
    .await
    .unwrap();
    assert!(stopped, "pg_ctl stop -m fast failed");
    let (put, me) = (put.await.unwrap(), me.await.unwrap());
    for (what, (status, body, took)) in [("PUT /api/v1/envelopes", put), ("GET /api/v1/me", me)] {
        println!("in flight at a fast shutdown: {what} → {status} after {took:?}: {body}");
        assert_eq!(status, 503, "{what} in flight at a fast shutdown: {body}");
        check_503(&body).unwrap_or_else(|b| panic!("{what}: not the documented 503 body: {b}"));
    }
    let (status, body, took) = timed_get(&app, routes::READY, None).await;
    println!("after the fast shutdown: /readyz → {status} in {took:?}");
    assert_eq!(status, 503, "{body}");
    drop((writers, readers));

    blocking({
        let pg = Arc::clone(&pg);
        move || pg.start_server()
    })
    .await
    .unwrap();
    let t_up = Instant::now();
    loop {
        if timed_get(&app, routes::READY, None).await.0 == 200 {
            break;
        }
        assert!(
            t_up.elapsed() < Duration::from_secs(20),
            "the hub did not recover"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "hub ready {:?} after PostgreSQL was back (down {:?})",
        t_up.elapsed(),
        t_up - t_stop
    );
    // The send that failed goes through now, once.
    let resp = crate::helpers::Api::new(&app, &ra).put_envelope(&env).await;
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let resp = crate::helpers::Api::new(&app, &ra).put_envelope(&env).await;
    assert_eq!(resp.status(), 200);
    let verification = app.store.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
}
