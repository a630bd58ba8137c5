//! Connection limits under hostile clients (issue 6, item 4): a real hub on port 0 with a small
//! cap and short timeouts. Huge headers are refused at once, slow and vanished bodies and a
//! client that stops reading are cut off, and a flood of idle and slowloris connections beyond
//! the cap neither exceeds the cap nor keeps an honest client waiting longer than the timeouts
//! allow; afterwards the hub's connections and tasks are back where they started.
//!
//! The hub's open connections are counted exactly from the kernel: sockets of this process whose
//! local port is the hub's (the test's own client sockets have ephemeral local ports), so tests
//! running in parallel in the same process do not disturb the count.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tsunagu_protocol::routes;

use crate::helpers::{TestApp, TestDb};

const CAP: usize = 64;
/// `header_read_timeout_secs` (also the longest gap inside a body); under pressure waiting
/// connections get max(1/4 of it, 1 s).
const HEADER_SECS: u64 = 2;
/// `request_timeout_secs` (also how long a client may accept no byte of an answer). Well above
/// the body deadlines, so a slow body cut by the request timeout alone fails the test.
const REQUEST_SECS: u64 = 6;

async fn spawn(db: &TestDb) -> TestApp {
    TestApp::spawn_with(db, |c| {
        c.max_connections = CAP;
        c.header_read_timeout_secs = HEADER_SECS;
        c.request_timeout_secs = REQUEST_SECS;
        c.min_body_bytes_per_sec = 1024;
    })
    .await
}

fn addr(app: &TestApp) -> String {
    app.base.split_once("://").unwrap().1.to_string()
}

fn port(app: &TestApp) -> u16 {
    addr(app).rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Open TCP sockets this process holds whose local port is `port`, i.e. the hub's connections.
/// Counted by inode: the kernel lists `/proc/net/tcp` in pieces, and a socket may appear twice
/// when the table changes between two reads.
fn hub_sockets(port: u16) -> usize {
    let mut ours = HashSet::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let t = target.to_string_lossy();
            if let Some(inode) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                ours.insert(inode.to_string());
            }
        }
    }
    let mut hub = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 10 {
                continue;
            }
            let local_port = cols[1]
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            // 0A is LISTEN: the listener itself is not a connection.
            if local_port == Some(port) && cols[3] != "0A" && ours.contains(cols[9]) {
                hub.insert(cols[9].to_string());
            }
        }
    }
    hub.len()
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

fn threads() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .unwrap_or("Threads: ?")
        .to_string()
}

/// Reads until the peer closes (EOF or reset) or `limit` passes; the bytes and, if closed, when.
async fn read_until_closed(io: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at((start + limit).into(), io.read(&mut buf)).await {
            Err(_) => return (got, None),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, Some(start.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned()
}

/// Sends `head` and then the body one byte every `every`, until the hub closes or answers.
/// Returns what the hub answered and how long after the head it closed.
async fn trickle(addr: &str, head: String, every: Duration) -> (Vec<u8>, Duration) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let (mut rd, mut wr) = tcp.into_split();
    let writer = tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if wr.write_all(b"x").await.is_err() {
                return;
            }
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let limit = start + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(limit.into(), rd.read(&mut buf)).await {
            Err(_) => panic!("trickling body: still open after 15 s: {}", text(&got)),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
    writer.abort();
    (got, start.elapsed())
}

#[tokio::test]
async fn huge_headers_slow_bodies_and_stalled_readers_are_cut_off() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let hp = addr(&app);
    let desk = app.onboard("0300000100_43", "居宅PC").await;
    let gap = Duration::from_secs(HEADER_SECS);

    // Headers over 32 KiB: 431 (or, if the hub closes while we still write, a reset), at once.
    let huge = async {
        let mut tcp = TcpStream::connect(&hp).await.unwrap();
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: hub\r\nX-Big: {}\r\n\r\n",
            routes::HEALTH,
            "a".repeat(40 * 1024)
        );
        let _ = tcp.write_all(head.as_bytes()).await;
        let (got, closed) = read_until_closed(&mut tcp, Duration::from_secs(10)).await;
        let took = closed.expect("huge header: connection left open");
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 431"),
            "huge header: {}",
            text(&got)
        );
        assert!(took < Duration::from_secs(1), "huge header: took {took:?}");
        println!(
            "huge header (40 KiB): {} after {took:?}",
            if got.is_empty() { "closed" } else { "431" }
        );
    };

    // 150 small header fields (over the 100 allowed): 431, at once.
    let many = async {
        let mut tcp = TcpStream::connect(&hp).await.unwrap();
        let mut head = format!("GET {} HTTP/1.1\r\nHost: hub\r\n", routes::HEALTH);
        for i in 0..150 {
            head.push_str(&format!("X-H{i}: v\r\n"));
        }
        head.push_str("\r\n");
        tcp.write_all(head.as_bytes()).await.unwrap();
        let (got, closed) = read_until_closed(&mut tcp, Duration::from_secs(10)).await;
        let took = closed.expect("many headers: connection left open");
        assert!(
            got.starts_with(b"HTTP/1.1 431"),
            "many headers: {}",
            text(&got)
        );
        assert!(took < Duration::from_secs(1), "many headers: took {took:?}");
    };

    // An authenticated upload announcing 1 MB (under the limit), then a byte every 250 ms:
    // 408 E-HUB-900 and closed once the body falls behind 1 KiB/s (after one gap of grace),
    // long before the request timeout.
    let slow_put = async {
        let head = format!(
            "PUT {} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n",
            routes::ENVELOPES,
            desk.token
        );
        let (got, took) = trickle(&hp, head, Duration::from_millis(250)).await;
        let t = text(&got);
        assert!(t.starts_with("HTTP/1.1 408"), "slow upload: {t}");
        assert!(t.contains("E-HUB-900"), "slow upload: {t}");
        assert!(
            took >= gap / 2 && took < gap + Duration::from_secs(2),
            "slow upload: closed after {took:?}"
        );
        println!("1 MB upload at 4 B/s: 408 after {took:?}");
    };

    // The brief's 20 MB PUT trickled at 4 B/s: refused (408, or 413 for the size) and closed.
    let slow_huge_put = async {
        let head = format!(
            "PUT {} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: 20000000\r\n\r\n",
            routes::ENVELOPES,
            desk.token
        );
        let (got, took) = trickle(&hp, head, Duration::from_millis(250)).await;
        let t = text(&got);
        assert!(
            t.starts_with("HTTP/1.1 408") || t.starts_with("HTTP/1.1 413"),
            "20 MB slow upload: {t}"
        );
        assert!(
            took < gap + Duration::from_secs(2),
            "20 MB slow upload: closed after {took:?}"
        );
        println!(
            "20 MB upload at 4 B/s: {} after {took:?}",
            t.lines().next().unwrap_or("")
        );
    };

    // Half-open: a JSON body that stops after 100 of its 1,000 bytes while the socket stays
    // open (the client's network vanished): 408 after one gap.
    let vanished = async {
        let mut tcp = TcpStream::connect(&hp).await.unwrap();
        tcp.write_all(tenth_of_a_registration().as_bytes())
            .await
            .unwrap();
        let (got, closed) = read_until_closed(&mut tcp, Duration::from_secs(10)).await;
        let took = closed.expect("vanished body: connection left open");
        let t = text(&got);
        assert!(t.starts_with("HTTP/1.1 408"), "vanished body: {t}");
        assert!(
            took >= gap / 2 && took < gap + Duration::from_secs(2),
            "vanished body: closed after {took:?}"
        );
    };

    // A client that asks for many answers and reads none: the hub stops writing to it after
    // `request_timeout_secs` without progress and closes, instead of holding it forever.
    let stalled_reader = async {
        let size = app
            .http
            .get(app.url(routes::OPENAPI))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len();
        // Far more than the socket buffers of both ends can hold.
        let wanted = (64 * 1024 * 1024 / size.max(1)).max(16);
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut tcp = socket.connect(hp.parse().unwrap()).await.unwrap();
        let one = format!("GET {} HTTP/1.1\r\nHost: hub\r\n\r\n", routes::OPENAPI);
        let mut pipelined = String::new();
        for _ in 0..wanted {
            pipelined.push_str(&one);
        }
        let (mut rd, mut wr) = tcp.split();
        let write = async {
            let _ = wr.write_all(pipelined.as_bytes()).await;
        };
        // Write the requests (the hub reads them while answering) but read nothing for
        // longer than the write timeout.
        let quiet_until = Instant::now() + Duration::from_secs(REQUEST_SECS + 2);
        let _ = tokio::time::timeout_at(quiet_until.into(), write).await;
        tokio::time::sleep_until(quiet_until.into()).await;
        let mut got = 0usize;
        let mut answers = 0usize;
        let mut buf = vec![0u8; 256 * 1024];
        let mut tail = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), rd.read(&mut buf)).await {
                Err(_) => panic!("stalled reader: the hub kept the connection open"),
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    got += n;
                    tail.extend_from_slice(&buf[..n]);
                    let s = String::from_utf8_lossy(&tail);
                    answers += s.matches("HTTP/1.1 200").count();
                    let keep = tail.len().saturating_sub(16);
                    tail.drain(..keep);
                }
            }
        }
        assert!(
            answers < wanted,
            "stalled reader: all {wanted} answers were written ({got} bytes)"
        );
        println!(
            "stalled reader: {answers} of {wanted} answers ({} KiB) before the hub gave up",
            got / 1024
        );
    };

    tokio::join!(
        huge,
        many,
        slow_put,
        slow_huge_put,
        vanished,
        stalled_reader
    );

    // The hub still serves.
    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn a_flood_beyond_the_cap_does_not_starve_honest_clients() {
    let db = TestDb::sqlite();
    let app = spawn(&db).await;
    let hp = addr(&app);
    let port = port(&app);
    let sockets_before = hub_sockets(port);
    let tasks_before = alive_tasks();
    println!(
        "before: {sockets_before} hub connections, {tasks_before} tasks, {}",
        threads()
    );

    // The hub's connections, sampled all along: never above the cap.
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(hub_sockets(port), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // 200 idle connections (three times the cap) and 20 slowloris clients adding a header line
    // every 300 ms; each task ends when the hub closes its connection.
    let flood_start = Instant::now();
    let mut flood = Vec::new();
    for _ in 0..200 {
        let hp = hp.clone();
        flood.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(&hp).await.unwrap();
            let (got, closed) = read_until_closed(&mut tcp, Duration::from_secs(30)).await;
            assert!(got.is_empty(), "idle: {}", text(&got));
            closed.expect("idle connection never closed by the hub")
        }));
    }
    for i in 0..20 {
        let hp = hp.clone();
        flood.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(&hp).await.unwrap();
            let head = format!("GET {} HTTP/1.1\r\nHost: hub\r\n", routes::HEALTH);
            let _ = tcp.write_all(head.as_bytes()).await;
            let start = Instant::now();
            for n in 0.. {
                let mut buf = [0u8; 256];
                match tokio::time::timeout(Duration::from_millis(300), tcp.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
                    Ok(Ok(_)) => panic!("slowloris {i}: got an answer"),
                    Err(_) => {}
                }
                if start.elapsed() > Duration::from_secs(30) {
                    panic!("slowloris {i}: never closed");
                }
                let _ = tcp.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).await;
            }
            unreachable!()
        }));
    }

    // Meanwhile an honest client on fresh connections (the worst case: each must get past the
    // cap) and one keeping its connection alive, each asking every 100 ms for 6 s.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let kept = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let honest = |client: reqwest::Client, url: String, label: &'static str| async move {
        let mut took = Vec::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(6) {
            let t = Instant::now();
            let resp = client
                .get(&url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("honest request ({label}) failed: {e:?}"));
            assert_eq!(resp.status(), 200);
            took.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        took
    };
    let url = app.url(routes::HEALTH);
    let (fresh_took, kept_took) = tokio::join!(
        honest(fresh.clone(), url.clone(), "fresh connection"),
        honest(kept.clone(), url.clone(), "kept alive")
    );

    let mut closed_after = Vec::new();
    for task in flood {
        closed_after.push(task.await.unwrap());
    }
    let flood_done = flood_start.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let peak = peak.load(Ordering::Relaxed);

    let stats = |took: &[Duration]| {
        let mut v = took.to_vec();
        v.sort();
        let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        (v.len(), p(0.5), p(0.95), v[v.len() - 1])
    };
    let (n, p50, p95, max) = stats(&fresh_took);
    println!("honest, fresh connections: {n} requests, p50 {p50:?}, p95 {p95:?}, max {max:?}");
    let (kn, kp50, kp95, kmax) = stats(&kept_took);
    println!("honest, kept-alive: {kn} requests, p50 {kp50:?}, p95 {kp95:?}, max {kmax:?}");
    closed_after.sort();
    println!(
        "flood: 220 connections all closed by the hub within {flood_done:?} (last after {:?}); \
         peak {peak} hub connections (cap {CAP})",
        closed_after[closed_after.len() - 1]
    );

    // At the cap the hub holds one new client, unserved, while the idle connection closed for
    // it goes: one socket above the cap for a moment.
    assert!(peak <= CAP + 1, "{peak} connections open, cap {CAP}");
    assert!(
        peak >= CAP * 3 / 4,
        "the flood never reached the cap ({peak})"
    );
    // Every honest request was answered (asserted above); most at once, the slowest after the
    // backlog ahead of it drained — about (220 / 64 + 1) pressure deadlines of 1 s. Without the
    // pressure deadline the median is about 2 s (idle connections hold their place for the whole
    // 2 s header timeout).
    assert!(
        p50 < Duration::from_millis(500),
        "honest client: median {p50:?}"
    );
    assert!(max < Duration::from_secs(8), "honest client waited {max:?}");
    assert!(
        kmax < Duration::from_secs(8),
        "kept-alive client waited {kmax:?}"
    );
    // Once the flood is gone, answers are quick again.
    let recent = &fresh_took[fresh_took.len().saturating_sub(5)..];
    assert!(
        recent.iter().all(|t| *t < Duration::from_secs(1)),
        "still slow after the flood: {recent:?}"
    );

    // Afterwards: the hub's connections and tasks are back down.
    drop((fresh, kept));
    let deadline = Instant::now() + Duration::from_secs(HEADER_SECS + 4);
    loop {
        let (sockets, tasks) = (hub_sockets(port), alive_tasks());
        if sockets == 0 && tasks <= tasks_before {
            println!(
                "after: {sockets} hub connections, {tasks} tasks, {}",
                threads()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the flood: {sockets} hub connections, {tasks} tasks (before: {tasks_before})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = app.http.get(app.url(routes::HEALTH)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    db.cleanup().await;
}

/// At the cap, a new client takes the place of the connection that has waited longest for a
/// request: first of those that never sent one, then of kept-alive ones between requests, and
/// never of one with a request in flight. The header timeout is long (so the pressure deadline is
/// 5 s): without the eviction each new client would wait those 5 s in the listen backlog.
#[tokio::test]
async fn at_the_cap_a_new_client_replaces_the_longest_idle_connection() {
    const SMALL_CAP: usize = 8;
    let db = TestDb::sqlite();
    let app = TestApp::spawn_with(&db, |c| {
        c.max_connections = SMALL_CAP;
        c.header_read_timeout_secs = 20;
        c.request_timeout_secs = 60;
        c.min_body_bytes_per_sec = 0;
    })
    .await;
    let hp = addr(&app);
    let port = port(&app);
    let get = format!("GET {} HTTP/1.1\r\nHost: hub\r\n\r\n", routes::HEALTH);
    let get_close = format!(
        "GET {} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n",
        routes::HEALTH
    );
    // Asks on a kept-alive connection; the answer, and whether the hub closed it.
    let ask = async |tcp: &mut TcpStream, what: &str| {
        let _ = tcp.write_all(get.as_bytes()).await;
        let (got, closed) = read_until_closed(tcp, Duration::from_millis(150)).await;
        (
            got.starts_with(b"HTTP/1.1 200") && closed.is_none(),
            format!("{what}: {}", text(&got)),
        )
    };
    let at_the_cap = async || {
        let deadline = Instant::now() + Duration::from_secs(5);
        while hub_sockets(port) != SMALL_CAP {
            assert!(
                Instant::now() < deadline,
                "the hub holds {} connections, not {SMALL_CAP}",
                hub_sockets(port)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Connections younger than half a second are not closed to make room (serve.rs,
        // EVICT_GRACE): let them age past it.
        tokio::time::sleep(Duration::from_millis(600)).await;
    };
    // A new client on a fresh connection must be answered within 2 s.
    let new_client = async |round: u32| {
        let start = Instant::now();
        let mut fresh = TcpStream::connect(&hp).await.unwrap();
        fresh.write_all(get_close.as_bytes()).await.unwrap();
        let (got, _) = read_until_closed(&mut fresh, Duration::from_secs(2)).await;
        let took = start.elapsed();
        assert!(
            got.starts_with(b"HTTP/1.1 200"),
            "new client {round} at the cap: no answer within 2 s ({took:?}): {}",
            text(&got)
        );
        println!("new client {round} at the cap of {SMALL_CAP}: answered after {took:?}");
    };
    let still_open = async |tcp: &mut TcpStream, what: &str| {
        let (got, closed) = read_until_closed(tcp, Duration::from_millis(50)).await;
        assert!(
            got.is_empty() && closed.is_none(),
            "{what} was closed ({closed:?}) or answered: {}",
            text(&got)
        );
    };

    // The oldest connection: a registration whose body is still coming (100 of 1,000 bytes),
    // so its request is in the hub's hands, waiting (and the connection idle since it opened,
    // were the request not counted).
    let mut uploading = TcpStream::connect(&hp).await.unwrap();
    uploading
        .write_all(tenth_of_a_registration().as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Then one answered and kept alive, and the rest of the cap never sending anything.
    let mut kept = TcpStream::connect(&hp).await.unwrap();
    let (ok, what) = ask(&mut kept, "kept-alive").await;
    assert!(ok, "{what}");
    let mut idle = Vec::new();
    for _ in 2..SMALL_CAP {
        idle.push(TcpStream::connect(&hp).await.unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Round 1: the oldest of the connections that never sent a request makes room, although
    // the kept-alive one has waited longer; no other is closed.
    at_the_cap().await;
    new_client(1).await;
    let (got, closed) = read_until_closed(&mut idle[0], Duration::from_secs(1)).await;
    assert!(
        got.is_empty() && closed.is_some(),
        "the connection waiting longest for a first request was not closed: {}",
        text(&got)
    );
    for (i, tcp) in idle.iter_mut().enumerate().skip(1) {
        still_open(tcp, &format!("idle connection {i} (younger)")).await;
    }
    still_open(&mut uploading, "the connection with a request in flight").await;

    // Round 2: every connection has been answered once and waits for its next request, except
    // the upload, which has waited longest of all but is in a request. The kept-alive connection
    // that asked first makes room.
    let (ok, what) = ask(&mut kept, "kept-alive, again").await;
    assert!(ok, "{what}");
    for (i, tcp) in idle.iter_mut().enumerate().skip(1) {
        let (ok, what) = ask(tcp, &format!("connection {i}")).await;
        assert!(ok, "{what}");
    }
    let mut filler = TcpStream::connect(&hp).await.unwrap();
    let (ok, what) = ask(&mut filler, "filler").await;
    assert!(ok, "{what}");
    at_the_cap().await;
    new_client(2).await;
    let (got, closed) = read_until_closed(&mut kept, Duration::from_secs(1)).await;
    assert!(
        got.is_empty() && closed.is_some(),
        "the kept-alive connection waiting longest was not closed: {}",
        text(&got)
    );
    still_open(&mut uploading, "the connection with a request in flight").await;

    // The upload, left alone, is answered once its body is complete (spaces are not JSON: 4xx).
    uploading
        .write_all(" ".repeat(900).as_bytes())
        .await
        .unwrap();
    let (got, _) = read_until_closed(&mut uploading, Duration::from_secs(2)).await;
    assert!(
        got.starts_with(b"HTTP/1.1 4"),
        "the upload in flight got no answer: {}",
        text(&got)
    );
    db.cleanup().await;
}

/// The head of a registration whose JSON body stops after 100 of its 1,000 bytes.
fn tenth_of_a_registration() -> String {
    format!(
        "POST {} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{}",
        routes::REGISTER,
        " ".repeat(100)
    )
}
