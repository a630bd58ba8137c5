//! `tsunagu-bench month-end`: a whole month-end of a prefecture, end to end (issue 6, item 3).
//!
//! Care offices send almost everything in two bursts: 予定 from the 居宅介護支援事業所 to their
//! service offices in the last days of the month, and 実績 back in the first three business days.
//! Here both bursts run back to back at full speed against the real hub: every unit is sealed
//! by its sender (before timing), PUT, and downloaded and acknowledged with a signed 取込済
//! receipt by its recipient's receiver, which polls its inbox like a desk does. A prefecture the
//! size of 鳥取県 is about 0.4% of the national 8–11 million units a month, about 40,000 units.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::child::load_average;
use crate::corpus::{self, Office};
use crate::exchange::{in_scratch_database, spawn_hub};
use crate::load::{self, BuildRequest, ReceiveControl, percentiles, rate};

/// `tsunagu-bench month-end`.
#[derive(Debug, Clone, clap::Args)]
pub struct MonthEndArgs {
    /// 月末・月初の送付単位の合計（半分が予定、半分が実績）
    #[arg(long, default_value_t = 40_000)]
    pub units: usize,
    /// 居宅介護支援事業所の数（予定を送り、実績を受け取る）
    #[arg(long, default_value_t = 150)]
    pub care_offices: usize,
    /// サービス事業所の数（予定を受け取り、実績を送る）
    #[arg(long, default_value_t = 400)]
    pub providers: usize,
    /// 送付単位の大きさの目安（KB）。利用者 1 人分の提供票とその関連ファイル
    #[arg(long, default_value_t = 8)]
    pub size_kb: usize,
    /// 同時に送信するクライアントの数
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// 受信箱が空だったとき、次に見に行くまでの間（ミリ秒）
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    /// PostgreSQL のサーバー。新しいデータベースを作って使い、最後に消す。省略時は SQLite
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// 1 つの山の制限時間（秒）
    #[arg(long, default_value_t = 600)]
    pub max_secs: u64,
}

pub fn run(args: MonthEndArgs) -> anyhow::Result<()> {
    if args.units < 2 || args.care_offices == 0 || args.providers == 0 || args.concurrency == 0 {
        bail!(
            "--units (at least 2), --care-offices, --providers and --concurrency must be positive"
        );
    }
    let server = args.database.clone();
    in_scratch_database("tsunagu-month-end-", server.as_deref(), async |dir, url| {
        run_with(&args, dir, url).await
    })
}

/// One burst's figures.
struct Burst {
    name: &'static str,
    sent: usize,
    failed: usize,
    wall: Duration,
    send_latency: [f64; 4],
    receipts: usize,
    receive_failed: usize,
    receive_wall: Duration,
    send_to_receipt: [f64; 4],
    first_error: Option<String>,
}

async fn run_with(args: &MonthEndArgs, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let backend = if db_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "tsunagu-bench month-end: {backend}, {} units ({} 予定 + {} 実績), {} 居宅介護支援事業所, {} service offices, ~{} KB, {} clients, receivers poll every {} ms when idle",
        args.units,
        args.units / 2,
        args.units - args.units / 2,
        args.care_offices,
        args.providers,
        args.size_kb,
        args.concurrency,
        args.poll_ms
    );
    println!(
        "machine: {} cores, load average before: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let (hub, base) = spawn_hub(dir, db_url, None, 0)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency * 2 + 64)
        .timeout(Duration::from_secs(60))
        .build()?;
    let t = Instant::now();
    // Offices 0..C are 居宅介護支援事業所, C..C+P service offices.
    let c = args.care_offices;
    let p = args.providers;
    let mut offices: Vec<Office> = corpus::onboard(&http, &base, db_url, 1, c).await?;
    offices.extend(corpus::onboard(&http, &base, db_url, 2, p).await?);
    let offices = Arc::new(offices);
    println!(
        "onboarded {} offices through invites in {:.1} s",
        offices.len(),
        t.elapsed().as_secs_f64()
    );
    let pool = corpus::file_pool(args.size_kb * 1024)?;
    // Unit i of a burst pairs care office i % C with one of its service offices; each care
    // office works with about P·3/C of them, spread over all service offices.
    let partner = move |i: usize| c + ((i % c) * 7 + (i / c) % (3 * p / c).max(1) * 13) % p;
    let plan = args.units / 2;
    let results = args.units - plan;
    let mut bursts = Vec::new();
    for (name, phase, count) in [
        ("予定 (居宅 → サービス事業所)", 6u8, plan),
        ("実績 (サービス事業所 → 居宅)", 7u8, results),
    ] {
        let pairs = move |i: usize| {
            let (care, provider) = (i % c, partner(i));
            if phase == 6 {
                (care, provider)
            } else {
                (provider, care)
            }
        };
        let t = Instant::now();
        let jobs = Arc::new(corpus::seal_jobs(
            &offices,
            pairs,
            phase,
            count,
            args.size_kb * 1024,
            &pool,
        )?);
        println!(
            "{name}: sealed {} units (mean {:.1} KB) in {:.1} s, before timing",
            jobs.len(),
            corpus::mean_size(&jobs) / 1024.0,
            t.elapsed().as_secs_f64()
        );
        // Recipients of this burst: the other group.
        let recipients: Vec<usize> = if phase == 6 {
            (c..c + p).collect()
        } else {
            (0..c).collect()
        };
        bursts.push(burst(args, &http, &base, &offices, &recipients, name, phase, jobs).await?);
    }
    let memory = hub.memory();
    hub.stop();

    println!();
    println!(
        "| burst | units sent | failed | send wall s | sends/s | send p50 ms | p99 ms | receipts | receipt wall s | receipts/s | send→receipt p50 s | p99 s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut total_wall = Duration::ZERO;
    let mut problems = Vec::new();
    for b in &bursts {
        println!(
            "| {} | {} | {} | {:.1} | **{:.0}** | {:.1} | {:.1} | {} | {:.1} | **{:.0}** | {:.2} | {:.2} |",
            b.name,
            b.sent,
            b.failed,
            b.wall.as_secs_f64(),
            rate(b.sent, b.wall),
            b.send_latency[0],
            b.send_latency[2],
            b.receipts,
            b.receive_wall.as_secs_f64(),
            rate(b.receipts, b.receive_wall),
            b.send_to_receipt[0] / 1000.0,
            b.send_to_receipt[2] / 1000.0,
        );
        total_wall += b.wall.max(b.receive_wall);
        if b.failed > 0 || b.receive_failed > 0 {
            problems.push(format!(
                "{}: {} sends and {} receives failed (first: {})",
                b.name,
                b.failed,
                b.receive_failed,
                b.first_error.as_deref().unwrap_or("-")
            ));
        }
        if b.receipts < b.sent {
            problems.push(format!(
                "{}: only {} of {} units receipted",
                b.name, b.receipts, b.sent
            ));
        }
    }
    println!();
    println!(
        "whole month-end: {} units sent, received and acknowledged in {:.1} s of hub time",
        bursts.iter().map(|b| b.sent).sum::<usize>(),
        total_wall.as_secs_f64()
    );
    println!(
        "hub memory: peak (VmHWM) {:.0} MB; load average after: {}",
        memory.hwm_mb(),
        load_average()
    );
    if problems.is_empty() {
        println!("result: every unit of the month-end was received and acknowledged");
        Ok(())
    } else {
        bail!("{}", problems.join("; "))
    }
}

#[allow(clippy::too_many_arguments)]
async fn burst(
    args: &MonthEndArgs,
    http: &reqwest::Client,
    base: &str,
    offices: &Arc<Vec<Office>>,
    recipients: &[usize],
    name: &'static str,
    phase: u8,
    jobs: Arc<Vec<corpus::Job>>,
) -> anyhow::Result<Burst> {
    let slots: Arc<Vec<OnceLock<Instant>>> =
        Arc::new((0..jobs.len()).map(|_| OnceLock::new()).collect());
    let control = ReceiveControl::new(Duration::from_millis(args.poll_ms));
    let receiving = load::spawn_receivers(
        http.clone(),
        base.to_string(),
        offices.clone(),
        recipients.to_vec(),
        phase,
        slots.clone(),
        control.clone(),
    );
    let build: BuildRequest = {
        let url = format!("{base}{}", tsunagu_protocol::routes::ENVELOPES);
        let tokens: Arc<Vec<String>> = Arc::new(offices.iter().map(|o| o.token.clone()).collect());
        Arc::new(
            move |http: &reqwest::Client, job: &corpus::Job, _i: usize| {
                http.put(&url)
                    .bearer_auth(&tokens[job.sender])
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .header(tsunagu_protocol::ROUTING_HEADER, &job.routing_header)
                    .body(job.body.clone())
            },
        )
    };
    let mut sent = load::run_puts(
        http.clone(),
        jobs.clone(),
        args.concurrency,
        Duration::from_secs(args.max_secs),
        None,
        build,
        slots,
    )
    .await;
    control.expected.store(sent.ok, Ordering::Release);
    control.senders_done.store(true, Ordering::Release);
    if let Ok(mut d) = control.hard_deadline.lock() {
        *d = Some(Instant::now() + Duration::from_secs(args.max_secs));
    }
    let mut received = receiving.await.context("receivers")?;
    println!(
        "{name}: {} sent in {:.1} s, {} receipted in {:.1} s",
        sent.ok,
        sent.wall.as_secs_f64(),
        received.receipts,
        received.wall.as_secs_f64()
    );
    Ok(Burst {
        name,
        sent: sent.ok,
        failed: sent.failed,
        wall: sent.wall,
        send_latency: percentiles(&mut sent.latencies),
        receipts: received.receipts,
        receive_failed: received.failed,
        receive_wall: received.wall,
        send_to_receipt: percentiles(&mut received.send_to_receipt),
        first_error: sent.first_error.or(received.first_error),
    })
}
