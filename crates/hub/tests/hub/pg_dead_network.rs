//! PostgreSQL that stops answering without closing anything: a silently dead network between
//! hub and database, and a hub process that vanished while holding the writers' lock. Each
//! must end in "unavailable" (HTTP 503, clients retry) within the bounds of `PgTimeouts`, and
//! the hub must work again by itself once the database answers. (PostgreSQL stopped outright is
//! in pg_outage.rs.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tsunagu_hub::store::{self, NewEnvelope, Office, PgTimeouts, SendOutcome, Store, StoreError};

use crate::helpers::{TestDb, office};

const T0: i64 = 1_790_000_000;

fn envelope(id: &str, unit: &str) -> NewEnvelope {
    NewEnvelope {
        envelope_id: id.into(),
        sender: office("0300000100_43"),
        recipient: office("0300000200_11"),
        unit_id: unit.into(),
        kinds: vec!["UPPLAN".into()],
        service_month: Some("202612".into()),
        size: 3,
        ciphertext_sha256: "h".into(),
        routing_json: "{}".into(),
        sent_by: "dev-a".into(),
        ciphertext: b"abc".to_vec(),
    }
}

async fn two_offices(s: &dyn Store) {
    for id in ["0300000100_43", "0300000200_11"] {
        s.create_office(&Office {
            office_id: office(id),
            name: "x".into(),
            municipality_code: "312029".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    }
}

/// A store on `url` with `timeouts`, and the two offices the sends go between.
async fn store_with(url: &str, timeouts: PgTimeouts) -> store::PgStore {
    let s = store::PgStore::connect_with(url, 2, timeouts)
        .await
        .unwrap();
    two_offices(&s).await;
    s
}

/// Another session (another hub) inside a transaction holding the writers' lock.
async fn holding_the_write_lock(options: sqlx::postgres::PgConnectOptions) -> sqlx::PgConnection {
    let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(store::PG_WRITE_LOCK)
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// A TCP relay that can go silent: while `silent`, it neither forwards nor closes anything,
/// like a network whose packets vanish. Bytes read before are held and forwarded after. With
/// a `trigger`, it goes silent by itself on the first client bytes that contain it (a bound
/// parameter travels as plain bytes), so the silence starts with a statement in flight.
struct SilentRelay {
    addr: SocketAddr,
    silent: Arc<AtomicBool>,
    trigger: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
}

impl SilentRelay {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = Arc::new(AtomicBool::new(false));
        let trigger = Arc::new(std::sync::Mutex::new(None));
        let (flag, armed) = (Arc::clone(&silent), Arc::clone(&trigger));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (flag, armed) = (Arc::clone(&flag), Arc::clone(&armed));
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::spawn(relay(cr, sw, Arc::clone(&flag), Some(armed)));
                    relay(sr, cw, flag, None).await;
                });
            }
        });
        Self {
            addr,
            silent,
            trigger,
        }
    }

    fn set_silent(&self, on: bool) {
        self.silent.store(on, Ordering::SeqCst);
    }

    fn silent_on(&self, bytes: &[u8]) {
        *self.trigger.lock().unwrap() = Some(bytes.to_vec());
    }

    fn is_silent(&self) -> bool {
        self.silent.load(Ordering::SeqCst)
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
    trigger: Option<Arc<std::sync::Mutex<Option<Vec<u8>>>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while silent.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(trigger) = &trigger {
            let mut armed = trigger.lock().unwrap();
            if armed
                .as_deref()
                .is_some_and(|t| buf[..n].windows(t.len()).any(|w| w == t))
            {
                *armed = None;
                silent.store(true, Ordering::SeqCst);
            }
        }
        while silent.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// `url` with its host and port replaced by `addr`.
fn via(url: &str, addr: SocketAddr) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    u.set_host(Some(&addr.ip().to_string())).unwrap();
    u.set_port(Some(addr.port())).unwrap();
    u.to_string()
}

async fn upstream_of(url: &str) -> SocketAddr {
    let u = reqwest::Url::parse(url).unwrap();
    let host = u.host_str().unwrap().to_string();
    let port = u.port().unwrap_or(5432);
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// The network goes silent while a batch's statement is on its way: the send fails as
/// unavailable after the batch bound (not after TCP's ~15 minutes), and once packets flow again
/// the hub stores by itself; the failed send's retry is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_silent_network_fails_the_batch_then_recovers() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let relay = SilentRelay::start(upstream_of(db.url()).await).await;
    let timeouts = PgTimeouts {
        write_batch: Duration::from_secs(2),
        ..PgTimeouts::default()
    };
    let s = store_with(&via(db.url(), relay.addr), timeouts).await;
    let first = s
        .send_envelope(envelope("env-1", "20261125100001"), T0)
        .await;
    assert!(matches!(first, Ok(SendOutcome::Created(_))), "{first:?}");

    relay.silent_on(b"env-2");
    let t = Instant::now();
    let during = tokio::time::timeout(
        Duration::from_secs(30),
        s.send_envelope(envelope("env-2", "20261125100002"), T0),
    )
    .await
    .expect("a send must not hang while the network is silent");
    let waited = t.elapsed();
    assert!(
        matches!(during, Err(StoreError::Unavailable(_))),
        "{during:?}"
    );
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(8),
        "answered after {waited:?}"
    );
    assert!(
        relay.is_silent(),
        "the silence began with the send's statement"
    );

    relay.set_silent(false);
    // The desk retries the same unit; within a few seconds the hub stores it (once).
    let deadline = Instant::now() + Duration::from_secs(20);
    let retried = loop {
        match s
            .send_envelope(envelope("env-2", "20261125100002"), T0)
            .await
        {
            Ok(outcome) => break outcome,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the hub did not recover: {e}"),
        }
    };
    assert!(
        matches!(retried, SendOutcome::Created(_) | SendOutcome::Existing(_)),
        "{retried:?}"
    );
    let third = s
        .send_envelope(envelope("env-3", "20261125100003"), T0)
        .await;
    assert!(matches!(third, Ok(SendOutcome::Created(_))), "{third:?}");
    let outbox = s.outbox(&office("0300000100_43"), 0, 100).await.unwrap();
    assert_eq!(outbox.len(), 3, "each unit stored once");
    assert!(s.verify_audit().await.unwrap().is_intact());
    drop(s);
    db.cleanup().await;
}

/// Another hub took the writers' lock and then vanished without closing its connection (its
/// machine lost power): the server ends that idle transaction, and this hub's send goes
/// through after that bound instead of waiting for the server's 2-hour keepalive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_vanished_hub_releases_the_write_lock() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let timeouts = PgTimeouts {
        idle_in_transaction: Duration::from_secs(2),
        ..PgTimeouts::default()
    };
    let s = store_with(db.url(), timeouts).await;
    // The vanished hub: same session settings, lock taken, then silence.
    let vanished = holding_the_write_lock(timeouts.connect_options(db.url()).unwrap()).await;

    let t = Instant::now();
    let sent = tokio::time::timeout(
        Duration::from_secs(30),
        s.send_envelope(envelope("env-1", "20261125100001"), T0),
    )
    .await
    .expect("a send must not wait for a vanished hub forever");
    let waited = t.elapsed();
    assert!(matches!(sent, Ok(SendOutcome::Created(_))), "{sent:?}");
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
        "stored after {waited:?} (the lock was held, so it had to wait for the bound)"
    );
    drop(vanished);
    drop(s);
    db.cleanup().await;
}

/// While another hub holds the writers' lock longer than `lock` (a long retention run, say),
/// a send answers "unavailable" (503: retry later) rather than hanging, and goes through
/// once the lock is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_wait_is_bounded() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let timeouts = PgTimeouts {
        lock: Duration::from_secs(1),
        ..PgTimeouts::default()
    };
    let s = store_with(db.url(), timeouts).await;
    let mut other = holding_the_write_lock(db.url().parse().unwrap()).await;

    let t = Instant::now();
    let blocked = tokio::time::timeout(
        Duration::from_secs(30),
        s.send_envelope(envelope("env-1", "20261125100001"), T0),
    )
    .await
    .expect("bounded");
    assert!(
        matches!(blocked, Err(StoreError::Unavailable(_))),
        "{blocked:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let after = s
        .send_envelope(envelope("env-1", "20261125100001"), T0)
        .await;
    assert!(matches!(after, Ok(SendOutcome::Created(_))), "{after:?}");
    drop(other);
    drop(s);
    db.cleanup().await;
}
