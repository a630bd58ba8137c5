//! The transport: HTTPS from PEM files (a self-signed rcgen certificate), plain HTTP refused on
//! the TLS port, slow and half-open connections dropped after the header timeout, and graceful
//! shutdown letting an in-flight request finish.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tsunagu_hub::HubConfig;
use tsunagu_hub::config::TlsConfig;
use tsunagu_hub::startup::{Hub, HubError};
use tsunagu_protocol::{MeResponse, routes};

use crate::helpers::{Api, TestApp, TestDb};

/// The header timeout the tests configure (the default is 10 s).
const SHORT: Duration = Duration::from_secs(1);
/// How long a test waits for the server to close a connection it should close after `SHORT`.
const CLOSE_LIMIT: Duration = Duration::from_secs(6);

/// A self-signed certificate for 127.0.0.1 written as PEM files into a temp dir.
struct TestCert {
    _dir: tempfile::TempDir,
    tls: TlsConfig,
    pem: String,
    der: CertificateDer<'static>,
}

fn test_cert() -> TestCert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tls = TlsConfig {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    let pem = ck.cert.pem();
    std::fs::write(&tls.cert, &pem).unwrap();
    std::fs::write(&tls.key, ck.signing_key.serialize_pem()).unwrap();
    TestCert {
        _dir: dir,
        tls,
        pem,
        der: ck.cert.der().clone(),
    }
}

fn trusting_client(cert: &TestCert) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn spawn_tls(db: &TestDb, cert: &TestCert, header_timeout: Option<Duration>) -> TestApp {
    let tls = cert.tls.clone();
    TestApp::spawn_with_client(
        db,
        |c| {
            c.tls = Some(tls);
            if let Some(t) = header_timeout {
                c.header_read_timeout_secs = t.as_secs();
            }
        },
        trusting_client(cert),
    )
    .await
}

fn host_port(app: &TestApp) -> &str {
    app.base.split_once("://").unwrap().1
}

/// Reads until the server closes the connection (EOF or reset) or `limit` passes.
/// Returns the bytes received and, if closed, how long it took.
async fn read_until_closed(
    mut io: impl AsyncRead + Unpin,
    limit: Duration,
) -> (Vec<u8>, Option<Duration>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((start + limit).into(), io.read(&mut buf)).await {
            Err(_) => return (got, None),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, Some(start.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

async fn assert_dropped(io: impl AsyncRead + Unpin, what: &str) -> Vec<u8> {
    let (got, closed) = read_until_closed(io, CLOSE_LIMIT).await;
    let took = closed.unwrap_or_else(|| panic!("{what}: still open after {CLOSE_LIMIT:?}"));
    // Closed by the timeout, not at once for some other reason.
    assert!(took >= SHORT / 2, "{what}: closed after only {took:?}");
    got
}

async fn write_all(io: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) {
    io.write_all(bytes).await.unwrap();
    io.flush().await.unwrap();
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let db = TestDb::sqlite();
    let cert = test_cert();
    let app = spawn_tls(&db, &cert, None).await;
    assert!(app.base.starts_with("https://127.0.0.1:"), "{}", app.base);

    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);

    // Register through a real invite and make an authenticated call, all over HTTPS.
    let a = app.onboard("0300000100_43", "居宅PC").await;
    let resp = Api::new(&app, &a).get(routes::ME).await;
    assert_eq!(resp.status(), 200);
    let me: MeResponse = resp.json().await.unwrap();
    assert_eq!(me.office.office_id, a.office);

    // A client that does not trust the certificate gets no answer.
    let untrusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = untrusting
        .get(app.url(routes::HEALTH))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let db = TestDb::sqlite();
    let cert = test_cert();
    let app = spawn_tls(&db, &cert, None).await;
    let hp = host_port(&app).to_string();

    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = plain
        .get(format!("http://{hp}{}", routes::HEALTH))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "closed at once, not timed out: {err:?}");

    // On the wire: no HTTP answer (at most a TLS alert), and the connection is closed promptly.
    let mut tcp = TcpStream::connect(&hp).await.unwrap();
    write_all(&mut tcp, b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n").await;
    let (got, closed) = read_until_closed(&mut tcp, CLOSE_LIMIT).await;
    assert!(closed.is_some(), "connection left open");
    assert!(
        !got.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );

    // The hub still serves HTTPS.
    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn unusable_tls_files_stop_the_start() {
    let db = TestDb::sqlite();
    let cert = test_cert();
    let other = test_cert();
    let cases = [
        (
            "missing key",
            "ファイルを読めません",
            TlsConfig {
                cert: cert.tls.cert.clone(),
                key: cert.tls.cert.with_file_name("nope.pem"),
            },
        ),
        (
            "no certificate in the file",
            "証明書（-----BEGIN CERTIFICATE-----）がありません",
            TlsConfig {
                cert: cert.tls.key.clone(),
                key: cert.tls.key.clone(),
            },
        ),
        (
            "key of another certificate",
            "秘密鍵が証明書と対になっていません",
            TlsConfig {
                cert: cert.tls.cert.clone(),
                key: other.tls.key.clone(),
            },
        ),
    ];
    for (what, reason, tls) in cases {
        let config = HubConfig {
            database_url: Some(db.url().to_string()),
            tls: Some(tls),
            ..HubConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = match Hub::build_with_listener(config, listener).await {
            Err(e) => e,
            Ok(_) => panic!("{what}: the hub started"),
        };
        assert!(matches!(err, HubError::Tls(_)), "{what}: {err}");
        let text = err.to_string();
        assert!(text.starts_with("E-HUB-START-003 "), "{what}: {text}");
        assert!(text.contains(reason), "{what}: {text}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn slow_and_half_open_plain_connections_are_dropped() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_with(&db, |c| c.header_read_timeout_secs = SHORT.as_secs()).await;
    let hp = host_port(&app).to_string();

    // Half a request line, then nothing.
    let mut tcp = TcpStream::connect(&hp).await.unwrap();
    write_all(&mut tcp, b"GET /heal").await;
    assert_dropped(&mut tcp, "half a request line").await;

    // Nothing at all (no bytes to tell HTTP/1 from HTTP/2).
    let tcp = TcpStream::connect(&hp).await.unwrap();
    assert_dropped(tcp, "silent connection").await;

    // Headers that never end.
    let mut tcp = TcpStream::connect(&hp).await.unwrap();
    write_all(&mut tcp, b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: ").await;
    assert_dropped(&mut tcp, "unfinished headers").await;

    // A kept-alive connection that stays idle after its answer.
    let mut tcp = TcpStream::connect(&hp).await.unwrap();
    write_all(&mut tcp, b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n").await;
    let got = assert_dropped(&mut tcp, "idle keep-alive").await;
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );

    // Meanwhile the hub answers everyone else.
    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn slow_and_half_open_tls_connections_are_dropped() {
    let db = TestDb::sqlite();
    let cert = test_cert();
    let app = spawn_tls(&db, &cert, Some(SHORT)).await;
    let hp = host_port(&app).to_string();

    // No ClientHello: the handshake times out.
    let tcp = TcpStream::connect(&hp).await.unwrap();
    assert_dropped(tcp, "silent TLS connection").await;

    // A finished handshake, then half a request line.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(&hp).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    write_all(&mut tls, b"GET /heal").await;
    assert_dropped(&mut tls, "half a request line over TLS").await;

    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_closes_idle_connections() {
    let db = TestDb::sqlite();
    let mut config = HubConfig {
        database_url: Some(db.url().to_string()),
        // Long enough that only the shutdown can close the idle connection below.
        header_read_timeout_secs: 60,
        ..HubConfig::default()
    };
    config.retention.interval_minutes = 0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub = Hub::build_with_listener(config, listener).await.unwrap();
    let addr = hub.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(hub.run_until(async move {
        let _ = stopped.await;
    }));

    let mut idle = TcpStream::connect(addr).await.unwrap();
    write_all(&mut idle, b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n").await;
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    // A request whose body is still to come; `100 Continue` shows the handler is reading it.
    let body = b"{}";
    let mut busy = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        routes::REGISTER,
        body.len()
    );
    write_all(&mut busy, head.as_bytes()).await;
    let n = tokio::time::timeout(Duration::from_secs(10), busy.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );

    stop.send(()).unwrap();
    // The idle connection is closed at once; new connections are refused.
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(
        closed.is_some(),
        "idle connection left open during shutdown"
    );
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "still accepting after shutdown");

    // The request in flight still gets its answer, then the hub stops.
    write_all(&mut busy, body).await;
    let (got, closed) = read_until_closed(&mut busy, Duration::from_secs(10)).await;
    assert!(closed.is_some());
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("E-HUB-400"), "{text}");
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    db.cleanup().await;
}
