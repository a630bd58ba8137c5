//! `tsunagu-bench crash`: kill -9 the hub at random moments during a burst of sends, restart it,
//! and prove afterwards that no acknowledged unit was lost or stored twice (issue 6, item 4).
//!
//! Clients behave like desks: every unit is PUT until the hub answers 201 or 200 (an idempotent
//! resend), with a short pause after a refused connection or a 5xx. After the last kill the hub
//! is stopped and its database is read directly: each unit must be stored exactly once, under
//! the envelope id the hub acknowledged (if it acknowledged one), with the very ciphertext that
//! was sent, and the audit chain must verify.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::Rng;
use tsunagu_protocol::SendEnvelopeResponse;

use crate::child::{free_port, load_average};
use crate::corpus::{self, Job, Office};
use crate::exchange::{in_scratch_database, spawn_hub_on};

/// `tsunagu-bench crash`.
#[derive(Debug, Clone, clap::Args)]
pub struct CrashArgs {
    /// ハブを kill -9 する回数
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// 送る封筒の数（送り終わる前に全回数を終えられるだけ）
    #[arg(long, default_value_t = 12_000)]
    pub units: usize,
    /// 送信の速さ（件/秒）。全回数の kill が送信中に起きるよう、既定では抑えてある
    #[arg(long, default_value_t = 400.0)]
    pub rate: f64,
    /// 送る側の事業所の数（受け取る側も同じ数）
    #[arg(long, default_value_t = 10)]
    pub offices: usize,
    /// 同時に送信するクライアントの数
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// 封筒の大きさの目安（KB）
    #[arg(long, default_value_t = 20)]
    pub size_kb: usize,
    /// kill までの待ち時間の下限（ミリ秒、再起動の後から数える）
    #[arg(long, default_value_t = 100)]
    pub min_ms: u64,
    /// kill までの待ち時間の上限（ミリ秒）
    #[arg(long, default_value_t = 1500)]
    pub max_ms: u64,
    /// PostgreSQL のサーバー。新しいデータベースを作って使い、最後に消す。省略時は SQLite
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

pub fn run(args: CrashArgs) -> anyhow::Result<()> {
    if args.offices == 0 || args.units == 0 || args.concurrency == 0 || args.rate <= 0.0 {
        bail!("--offices, --units, --concurrency and --rate must be positive");
    }
    if args.min_ms > args.max_ms {
        bail!("--min-ms must not exceed --max-ms");
    }
    let server = args.database.clone();
    in_scratch_database("tsunagu-crash-", server.as_deref(), async |dir, url| {
        run_with(&args, dir, url).await
    })
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Answers with a status other than 200/201/5xx, or a changed envelope id: must stay empty.
    problems: Vec<String>,
}

async fn run_with(args: &CrashArgs, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let backend = if db_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "tsunagu-bench crash: {backend}, {} kill -9 rounds, {} units at {:.0}/s, {} clients, ~{} KB",
        args.rounds, args.units, args.rate, args.concurrency, args.size_kb
    );
    println!("load average before: {}", load_average());
    // A fixed port, so clients find the restarted hub where the killed one was.
    let listen = format!("127.0.0.1:{}", free_port()?);
    let mut generation = 0usize;
    let (mut hub, base) = spawn_hub_on(dir, db_url, None, 0, &listen, "hub-0.log")?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;
    // Offices 0..n send, n..2n receive.
    let mut everyone: Vec<Office> = corpus::onboard(&http, &base, db_url, 1, args.offices).await?;
    everyone.extend(corpus::onboard(&http, &base, db_url, 2, args.offices).await?);
    let n = args.offices;
    let pool = corpus::file_pool(args.size_kb * 1024)?;
    // Units go from office i of group 1 to office i of group 2 (index n + i in `everyone`).
    let jobs = Arc::new(corpus::seal_jobs(
        &everyone,
        |i| (i % n, n + i % n),
        5,
        args.units,
        args.size_kb * 1024,
        &pool,
    )?);
    println!("sealed {} units before timing", jobs.len());

    let acked: Arc<Vec<OnceLock<String>>> =
        Arc::new((0..jobs.len()).map(|_| OnceLock::new()).collect());
    let retries = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{base}{}", tsunagu_protocol::routes::ENVELOPES);
    let tokens: Arc<Vec<String>> = Arc::new(everyone.iter().map(|o| o.token.clone()).collect());
    let t0 = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.concurrency {
        let (http, jobs, acked, retries, done, seen, next, url, tokens) = (
            http.clone(),
            jobs.clone(),
            acked.clone(),
            retries.clone(),
            done.clone(),
            seen.clone(),
            next.clone(),
            url.clone(),
            tokens.clone(),
        );
        let rate = args.rate;
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let due = t0 + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                send_until_acknowledged(&http, &url, &tokens, job, i, &acked, &retries, &seen)
                    .await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    let mut kills = Vec::new();
    let mut restarts = Vec::new();
    for round in 1..=args.rounds {
        let wait = rand::rng().random_range(args.min_ms..=args.max_ms);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let before = done.load(Ordering::Relaxed);
        if before >= jobs.len() {
            bail!(
                "the clients finished after {} of {} kills; use more --units or a lower --rate",
                round - 1,
                args.rounds
            );
        }
        hub.kill_hard();
        kills.push(before);
        generation += 1;
        let t = Instant::now();
        // The killed hub's socket may linger a moment; retry the start briefly.
        let mut attempt = 0;
        let (h, _) = loop {
            match spawn_hub_on(
                dir,
                db_url,
                None,
                0,
                &listen,
                &format!("hub-{generation}.log"),
            ) {
                Ok(started) => break started,
                Err(e) if attempt < 20 => {
                    attempt += 1;
                    eprintln!("notice: restart {generation} attempt {attempt}: {e:#}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        hub = h;
        restarts.push(t.elapsed());
        println!(
            "kill {round:>2}: after {wait:>4} ms, {before:>5} units acknowledged so far; hub back in {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    for c in clients {
        c.await.context("client task")?;
    }
    let wall = t0.elapsed();
    hub.stop();

    // Read the database directly: every unit exactly once, as acknowledged, bytes intact.
    let store = tsunagu_hub::store::open(db_url, 2)
        .await
        .context("open the hub's database to verify")?;
    let mut problems =
        std::mem::take(&mut seen.lock().map_err(|_| anyhow::anyhow!("lock"))?.problems);
    let mut stored = 0usize;
    for (k, sender) in everyone[..n].iter().enumerate() {
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let page = store.outbox(&sender.id, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            rows.extend(page);
        }
        let mut units: Vec<&str> = rows.iter().map(|r| r.unit_id.as_str()).collect();
        units.sort_unstable();
        let before_dedup = units.len();
        units.dedup();
        if units.len() != before_dedup {
            problems.push(format!("office {k}: a unit is stored twice"));
        }
        for row in &rows {
            let Some((5, i)) = corpus::parse_unit_id(&row.unit_id) else {
                problems.push(format!("unexpected unit {}", row.unit_id));
                continue;
            };
            stored += 1;
            match acked.get(i).and_then(|a| a.get()) {
                Some(id) if *id == row.envelope_id => {}
                Some(id) => problems.push(format!(
                    "unit {i}: acknowledged as {id}, stored as {}",
                    row.envelope_id
                )),
                None => problems.push(format!("unit {i}: stored but never acknowledged")),
            }
            let bytes = store
                .download(
                    &row.envelope_id,
                    "crash-verifier",
                    &row.recipient,
                    tsunagu_hub::now_unix(),
                )
                .await?;
            if bytes.as_deref() != jobs.get(i).map(|j| &j.body[..]) {
                problems.push(format!(
                    "unit {i}: stored ciphertext differs from what was sent"
                ));
            }
        }
    }
    let acknowledged = acked.iter().filter(|a| a.get().is_some()).count();
    if acknowledged != jobs.len() {
        problems.push(format!(
            "{} of {} units were never acknowledged",
            jobs.len() - acknowledged,
            jobs.len()
        ));
    }
    if stored != jobs.len() {
        problems.push(format!("{stored} units stored, {} sent", jobs.len()));
    }
    let chain = store.verify_audit().await?;
    if !chain.is_intact() {
        problems.push(format!("audit chain broken: {chain:?}"));
    }
    let mut restart_ms: Vec<f64> = restarts.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    restart_ms.sort_by(f64::total_cmp);
    println!();
    println!(
        "{} kills during the burst; {} units sent in {:.1} s, each acknowledged once ({} retries after a refused connection or 5xx)",
        kills.len(),
        jobs.len(),
        wall.as_secs_f64(),
        retries.load(Ordering::Relaxed)
    );
    if let (Some(min), Some(max)) = (restart_ms.first(), restart_ms.last()) {
        println!(
            "hub restart to listening: min {min:.0} ms, median {:.0} ms, max {max:.0} ms",
            restart_ms[restart_ms.len() / 2]
        );
    }
    println!(
        "verified in the database: {stored} units stored exactly once, as acknowledged, ciphertext identical; audit chain intact: {}",
        chain.is_intact()
    );
    println!("load average after: {}", load_average());
    if problems.is_empty() {
        println!("result: no acknowledged unit lost or duplicated");
        Ok(())
    } else {
        for p in problems.iter().take(20) {
            println!("problem: {p}");
        }
        bail!("{} problems", problems.len())
    }
}

/// PUTs `job` until the hub answers 201 or 200, as a desk's retry loop does.
#[allow(clippy::too_many_arguments)]
async fn send_until_acknowledged(
    http: &reqwest::Client,
    url: &str,
    tokens: &[String],
    job: &Job,
    i: usize,
    acked: &[OnceLock<String>],
    retries: &AtomicUsize,
    seen: &Mutex<Seen>,
) {
    let problem = |p: String| {
        if let Ok(mut s) = seen.lock() {
            s.problems.push(p);
        }
    };
    for attempt in 0.. {
        if attempt > 0 {
            retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if attempt > 2_000 {
            problem(format!("unit {i}: gave up after 2,000 attempts"));
            return;
        }
        let sent = http
            .put(url)
            .bearer_auth(&tokens[job.sender])
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(tsunagu_protocol::ROUTING_HEADER, &job.routing_header)
            .body(job.body.clone())
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            // Refused, reset or cut off mid-answer: the hub was killed; try again.
            Err(_) => continue,
        };
        let status = resp.status().as_u16();
        match status {
            200 | 201 => {
                let answer: SendEnvelopeResponse = match resp.json().await {
                    Ok(a) => a,
                    Err(_) => continue,
                };
                // Each unit has one client, which stops at its first acknowledgement.
                let _ = acked[i].set(answer.envelope_id);
                return;
            }
            500..=599 => continue,
            other => {
                let body = resp.text().await.unwrap_or_default();
                problem(format!("unit {i}: HTTP {other}: {body}"));
                return;
            }
        }
    }
}
