//! `tsunagu-bench exchange`: the run, phase by phase, and its report.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::Connection;
use tsunagu_protocol::{ROUTING_HEADER, routes};

use crate::baseline;
use crate::child::{ChildProc, Memory, load_average};
use crate::corpus::{self, Job, Office};
use crate::cpu_limit::CpuLimit;
use crate::load::{self, BuildRequest, PutOutcome, ReceiveControl, percentiles, rate};

/// `tsunagu-bench exchange`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExchangeArgs {
    /// 事業所の数（送信だけの組と、送受信する組のそれぞれ）
    #[arg(long, default_value_t = 20)]
    pub offices: usize,
    /// 1 段階で送る封筒の上限
    #[arg(long, default_value_t = 20_000)]
    pub units: usize,
    /// 同時に送信するクライアントの数
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// 封筒の大きさの目安（KB）。合成した標準ファイルをこの大きさまで束ねて封をする
    #[arg(long, default_value_t = 20)]
    pub size_kb: usize,
    /// PostgreSQL のサーバー（例: postgres://postgres@127.0.0.1:5432/postgres）。新しいデータベースを作って測り、最後に消す。省略時は一時ディレクトリの SQLite
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// 1 段階の制限時間（秒）
    #[arg(long, default_value_t = 20)]
    pub duration_secs: u64,
    /// 一定の速さで送る段階の速さ（件/秒）。省略時は全力送信で測った速さの半分
    #[arg(long)]
    pub rate: Option<f64>,
    /// ハブのデータベース接続数（省略時はハブの既定）
    #[arg(long)]
    pub hub_pool: Option<u32>,
    /// 最小 axum の比較を省く
    #[arg(long)]
    pub skip_axum: bool,
    /// nginx WebDAV の比較を省く
    #[arg(long)]
    pub skip_nginx: bool,
    /// ハブのプロセス数。2 以上では同じ PostgreSQL に複数のハブを起動し、1 台と全台の全力送信を比べる（PostgreSQL のみ）
    #[arg(long, default_value_t = 1)]
    pub hubs: usize,
    /// ハブ 1 プロセスあたりの CPU 上限（コア数、例: 0.5）。cgroup で制限し、ハブを別の機械に置いた場合を 1 台の機械で再現する（root が必要）
    #[arg(long, value_name = "CORES")]
    pub hub_cpus: Option<f64>,
}

pub fn run(args: ExchangeArgs) -> anyhow::Result<()> {
    if args.offices < 2 {
        bail!("--offices must be at least 2");
    }
    if args.units == 0 || args.concurrency == 0 || args.size_kb == 0 || args.duration_secs == 0 {
        bail!("--units, --concurrency, --size-kb and --duration-secs must be positive");
    }
    if args.hubs == 0 || (args.hubs > 1 && args.database.is_none()) {
        bail!("--hubs must be 1, or more with --database postgres://… (one hub per SQLite file)");
    }
    let server = args.database.clone();
    in_scratch_database("tsunagu-bench-", server.as_deref(), async |dir, url| {
        run_with(&args, dir, url).await
    })
}

/// Runs `body` on a fresh runtime with a temp directory and a fresh database (SQLite in that
/// directory, or a new database on the PostgreSQL `server`, dropped afterwards). On an error the
/// directory (hub and baseline logs) is kept for whoever reads the error.
pub(crate) fn in_scratch_database(
    prefix: &str,
    server: Option<&str>,
    body: impl AsyncFnOnce(&std::path::Path, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let db = Database::create(server, dir.path()).await?;
        let result = body(dir.path(), db.url()).await;
        db.drop_database().await;
        if result.is_err() {
            let kept = dir.keep();
            eprintln!("logs kept in {}", kept.display());
        }
        result
    })
}

pub(crate) enum Database {
    Sqlite(String),
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl Database {
    pub(crate) async fn create(
        server: Option<&str>,
        dir: &std::path::Path,
    ) -> anyhow::Result<Database> {
        let Some(admin) = server else {
            let path = dir.join("hub-data").join("hub.sqlite");
            return Ok(Database::Sqlite(path.to_string_lossy().into_owned()));
        };
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .with_context(|| format!("connect to {}", tsunagu_hub::store::redact_url(admin)))?;
        let name = format!("tsunagu_bench_{}", hex::encode(rand::random::<[u8; 6]>()));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await?;
        conn.close().await.ok();
        let (base, _) = admin
            .rsplit_once('/')
            .context("the PostgreSQL URL needs a /database part")?;
        Ok(Database::Postgres {
            admin: admin.to_string(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    pub(crate) fn url(&self) -> &str {
        match self {
            Database::Sqlite(url) | Database::Postgres { url, .. } => url,
        }
    }

    pub(crate) async fn drop_database(&self) {
        if let Database::Postgres { admin, name, .. } = self {
            let dropped = async {
                let mut conn = sqlx::PgConnection::connect(admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                Ok::<(), sqlx::Error>(())
            }
            .await;
            if let Err(e) = dropped {
                eprintln!("notice: could not drop the bench database {name}: {e}");
            }
        }
    }
}

/// One line of the report.
struct Row {
    name: String,
    outcome: PutOutcome,
    memory: Option<Memory>,
}

fn print_row(row: &mut Row) {
    let [p50, p95, p99, max] = percentiles(&mut row.outcome.latencies);
    let o = &row.outcome;
    let mb_s = if o.wall.is_zero() {
        0.0
    } else {
        o.bytes as f64 / 1e6 / o.wall.as_secs_f64()
    };
    let mem = row
        .memory
        .map_or("-".to_string(), |m| format!("{:.0}", m.hwm_mb()));
    println!(
        "| {} | {} | {} | {:.1} | **{:.0}** | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        row.name,
        o.ok,
        o.failed,
        o.wall.as_secs_f64(),
        o.per_sec(),
        mb_s,
        p50,
        p95,
        p99,
        max,
        mem
    );
    if let Some(e) = &o.first_error {
        println!(
            "|   first error: {} | | | | | | | | | | |",
            e.replace('|', "/")
        );
    }
}

fn new_slots(n: usize) -> Arc<Vec<OnceLock<Instant>>> {
    Arc::new((0..n).map(|_| OnceLock::new()).collect())
}

fn hub_request(base: &str, offices: &Arc<Vec<Office>>) -> BuildRequest {
    hubs_request(&[base.to_string()], offices)
}

/// Job `i` goes to hub `i % bases.len()`: clients spread evenly over several hub processes.
fn hubs_request(bases: &[String], offices: &Arc<Vec<Office>>) -> BuildRequest {
    let urls: Vec<String> = bases
        .iter()
        .map(|b| format!("{b}{}", routes::ENVELOPES))
        .collect();
    let tokens: Arc<Vec<String>> = Arc::new(offices.iter().map(|o| o.token.clone()).collect());
    Arc::new(move |http: &reqwest::Client, job: &Job, i: usize| {
        http.put(&urls[i % urls.len()])
            .bearer_auth(&tokens[job.sender])
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(ROUTING_HEADER, &job.routing_header)
            .body(job.body.clone())
    })
}

fn plain_put(base: &str, tag: &'static str) -> BuildRequest {
    let base = base.to_string();
    Arc::new(move |http: &reqwest::Client, job: &Job, i: usize| {
        http.put(format!("{base}/u/{tag}-{i}"))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(job.body.clone())
    })
}

/// Starts this binary's `hub` subcommand (i.e. `tsunagu hub`) as a child process on port 0.
pub(crate) fn spawn_hub(
    dir: &std::path::Path,
    db_url: &str,
    pool: Option<u32>,
    k: usize,
) -> anyhow::Result<(ChildProc, String)> {
    let (hub, base) = spawn_hub_on(dir, db_url, pool, k, "127.0.0.1:0", &format!("hub-{k}.log"))?;
    println!(
        "hub {k}: pid {} at {base}; log {}",
        hub.pid(),
        dir.join(format!("hub-{k}.log")).display()
    );
    Ok((hub, base))
}

/// [`spawn_hub`] on a given address, logging to `log_name` in `dir`.
pub(crate) fn spawn_hub_on(
    dir: &std::path::Path,
    db_url: &str,
    pool: Option<u32>,
    k: usize,
    listen: &str,
    log_name: &str,
) -> anyhow::Result<(ChildProc, String)> {
    let exe = std::env::current_exe().context("current executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("hub")
        .arg("--database")
        .arg(db_url)
        .arg("--data-dir")
        .arg(dir.join(format!("hub-data-{k}")))
        .arg("--listen")
        .arg(listen);
    if let Some(pool) = pool {
        cmd.env("TSUNAGU_DB_POOL_SIZE", pool.to_string());
    }
    let log = dir.join(log_name);
    let (hub, base) =
        ChildProc::spawn_reading_url("hub", cmd, &log, Duration::from_secs(60), |line| {
            line.find("http://").map(|at| line[at..].trim().to_string())
        })?;
    Ok((hub, base))
}

async fn run_with(args: &ExchangeArgs, dir: &std::path::Path, db_url: &str) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.duration_secs);
    let target = args.size_kb * 1024;
    let load_before = load_average();
    let backend = if db_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "tsunagu-bench exchange: {backend}, {} + {} offices, up to {} units per phase, {} clients, ~{} KB, {} s per phase",
        args.offices, args.offices, args.units, args.concurrency, args.size_kb, args.duration_secs
    );
    println!(
        "machine: {} cores, load average before: {load_before}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency * 2 + 8)
        .timeout(Duration::from_secs(60))
        .build()?;

    // Declared before the hubs so that it is dropped after them (a cgroup goes once empty).
    let mut cpu_limits = Vec::new();
    let (hub, base) = spawn_hub(dir, db_url, args.hub_pool, 0)?;
    // Further hubs on the same PostgreSQL database (started now so their startup and migration
    // check are not timed); they serve only the "several hubs" phase.
    let mut more_hubs = Vec::new();
    for k in 1..args.hubs {
        more_hubs.push(spawn_hub(dir, db_url, args.hub_pool, k)?);
    }
    if let Some(cpus) = args.hub_cpus {
        let pids = std::iter::once(hub.pid()).chain(more_hubs.iter().map(|(h, _)| h.pid()));
        for (k, pid) in pids.enumerate() {
            let limit = CpuLimit::create(
                &format!("tsunagu-bench-{}-hub-{k}", std::process::id()),
                cpus,
            )?;
            limit.add(pid)?;
            cpu_limits.push(limit);
        }
        println!("each hub process limited to {cpus} CPU cores (cgroup cpu quota)");
    }

    let t = Instant::now();
    let senders: Arc<Vec<Office>> =
        Arc::new(corpus::onboard(&http, &base, db_url, 1, args.offices).await?);
    let receivers: Arc<Vec<Office>> =
        Arc::new(corpus::onboard(&http, &base, db_url, 2, args.offices).await?);
    println!(
        "onboarded {} offices through invites in {:.1} s",
        senders.len() + receivers.len(),
        t.elapsed().as_secs_f64()
    );

    let pool = corpus::file_pool(target)?;
    let n = args.offices;
    // Every phase seals for a ring of offices (each sends to the next), a phase number apart so
    // that unit ids never repeat across phases.
    let seal = |offices: &[Office], phase: u8, count: usize| {
        corpus::seal_jobs(
            offices,
            |i| (i % n, (i % n + 1) % n),
            phase,
            count,
            target,
            &pool,
        )
        .map(Arc::new)
    };
    let t = Instant::now();
    let jobs = seal(&senders, 1, args.units)?;
    println!(
        "sealed {} envelopes (mean {:.1} KB of ciphertext, synthetic standard files) in {:.1} s, before timing",
        jobs.len(),
        corpus::mean_size(&jobs) / 1024.0,
        t.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();

    // Baseline (a): minimal axum + SQLite (and + PostgreSQL when the hub runs on PostgreSQL, in
    // the hub's fresh database, table bench_baseline_bodies).
    if !args.skip_axum {
        let postgres = db_url.starts_with("postgres").then_some(db_url);
        let backends: Vec<Option<&str>> = match postgres {
            Some(url) => vec![None, Some(url)],
            None => vec![None],
        };
        for pg in backends {
            let (axum_proc, axum_url) = baseline::start_axum(dir, pg)?;
            let outcome = load::run_puts(
                http.clone(),
                jobs.clone(),
                args.concurrency,
                duration,
                None,
                plain_put(&axum_url, if pg.is_some() { "p" } else { "a" }),
                new_slots(jobs.len()),
            )
            .await;
            let memory = axum_proc.memory();
            axum_proc.stop();
            if let Some(url) = pg {
                // Its 20,000 bodies would otherwise get an insert-triggered vacuum of their TOAST
                // table (14.5 s seen) while the hub's phases run in the same database.
                let mut conn = sqlx::PgConnection::connect(url).await?;
                sqlx::query("DROP TABLE IF EXISTS bench_baseline_bodies")
                    .execute(&mut conn)
                    .await?;
            }
            rows.push(Row {
                name: match pg {
                    None => "baseline: minimal axum, 1 SQLite tx per body (WAL, synchronous=FULL)",
                    Some(_) => {
                        "baseline: minimal axum, 1 PostgreSQL tx per body (same database server)"
                    }
                }
                .into(),
                outcome,
                memory: Some(memory),
            });
        }
    }

    // The hub at full speed: the same bodies as real envelopes.
    let full = load::run_puts(
        http.clone(),
        jobs.clone(),
        args.concurrency,
        duration,
        None,
        hub_request(&base, &senders),
        new_slots(jobs.len()),
    )
    .await;
    let hub_rate = full.per_sec();
    let hub_mem_full = hub.memory();
    let hub_failed_full = full.failed;
    rows.push(Row {
        name: format!("**hub** ({backend}) PUT /api/v1/envelopes, full speed"),
        outcome: full,
        memory: Some(hub_mem_full),
    });

    // Several hub processes on the same database, clients spread over them, fresh units.
    let mut several_rate = None;
    if !more_hubs.is_empty() {
        let bases: Vec<String> = std::iter::once(base.clone())
            .chain(more_hubs.iter().map(|(_, b)| b.clone()))
            .collect();
        let fresh = seal(&senders, 4, args.units)?;
        let outcome = load::run_puts(
            http.clone(),
            fresh.clone(),
            args.concurrency,
            duration,
            None,
            hubs_request(&bases, &senders),
            new_slots(fresh.len()),
        )
        .await;
        drop(fresh);
        several_rate = Some(outcome.per_sec());
        let peak = std::iter::once(hub.memory())
            .chain(more_hubs.iter().map(|(h, _)| h.memory()))
            .max_by_key(|m| m.hwm_kb);
        if outcome.failed > 0 {
            bail!(
                "{} sends failed with {} hubs: {}",
                outcome.failed,
                bases.len(),
                outcome.first_error.as_deref().unwrap_or("")
            );
        }
        rows.push(Row {
            name: format!(
                "**{} hubs** ({backend}, one database) PUT /api/v1/envelopes, full speed",
                bases.len()
            ),
            outcome,
            memory: peak,
        });
    }
    for (h, _) in more_hubs {
        h.stop();
    }

    // Baseline (b): nginx WebDAV PUT.
    if !args.skip_nginx {
        match baseline::start_nginx(dir) {
            Ok(Some((nginx, url))) => {
                let outcome = load::run_puts(
                    http.clone(),
                    jobs.clone(),
                    args.concurrency,
                    duration,
                    None,
                    plain_put(&url, "n"),
                    new_slots(jobs.len()),
                )
                .await;
                let memory = nginx.memory();
                nginx.stop();
                rows.push(Row {
                    name: "baseline: nginx WebDAV PUT (files, no fsync)".into(),
                    outcome,
                    memory: Some(memory),
                });
            }
            Ok(None) => {}
            Err(e) => println!("notice: nginx baseline skipped: {e:#}"),
        }
    }
    drop(jobs);

    // Paced at half the measured rate (or --rate): send latency when not saturated.
    let paced_rate = args.rate.unwrap_or(hub_rate / 2.0).max(1.0);
    let paced_count = ((paced_rate * duration.as_secs_f64()).ceil() as usize).clamp(1, args.units);
    let paced_jobs = seal(&senders, 2, paced_count)?;
    let paced = load::run_puts(
        http.clone(),
        paced_jobs.clone(),
        args.concurrency,
        duration,
        Some(paced_rate),
        hub_request(&base, &senders),
        new_slots(paced_jobs.len()),
    )
    .await;
    drop(paced_jobs);
    let hub_failed_paced = paced.failed;
    rows.push(Row {
        name: format!("hub PUT paced at {paced_rate:.0}/s (latency from when due)"),
        outcome: paced,
        memory: Some(hub.memory()),
    });

    // Paced sends while the recipients download and acknowledge (the other group of offices).
    let mixed_jobs = seal(&receivers, 3, paced_count)?;
    let slots = new_slots(mixed_jobs.len());
    let control = ReceiveControl::new(Duration::from_millis(20));
    let receiving = load::spawn_receivers(
        http.clone(),
        base.clone(),
        receivers.clone(),
        (0..receivers.len()).collect(),
        3,
        slots.clone(),
        control.clone(),
    );
    let mixed = load::run_puts(
        http.clone(),
        mixed_jobs.clone(),
        args.concurrency,
        duration,
        Some(paced_rate),
        hub_request(&base, &receivers),
        slots,
    )
    .await;
    drop(mixed_jobs);
    control.expected.store(mixed.ok, Ordering::Release);
    control.senders_done.store(true, Ordering::Release);
    if let Ok(mut d) = control.hard_deadline.lock() {
        *d = Some(Instant::now() + duration.max(Duration::from_secs(10)));
    }
    let mut received = receiving.await.context("receivers")?;
    let mixed_ok = mixed.ok;
    let hub_failed_mixed = mixed.failed;
    rows.push(Row {
        name: format!(
            "hub PUT paced at {paced_rate:.0}/s while receivers download + post receipts"
        ),
        outcome: mixed,
        memory: Some(hub.memory()),
    });
    // Desks poll their inbox (every 15 s by default); at national scale polling, not sending,
    // is most of the requests. Empty inboxes, full speed, the same clients.
    let polls: Arc<Vec<Job>> = Arc::new(
        (0..args.units)
            .map(|i| Job {
                sender: i % n,
                routing_header: String::new(),
                body: axum::body::Bytes::new(),
            })
            .collect(),
    );
    let inbox_url = format!("{base}{}?after=0&limit=100", routes::INBOX);
    // The receiving group: every unit sent to it was received and acknowledged above, so its
    // inboxes are empty (the sending group's inboxes still hold the units of the first phases).
    let tokens: Arc<Vec<String>> = Arc::new(receivers.iter().map(|o| o.token.clone()).collect());
    let poll_request: BuildRequest =
        Arc::new(move |http: &reqwest::Client, job: &Job, _i: usize| {
            http.get(&inbox_url).bearer_auth(&tokens[job.sender])
        });
    let polled = load::run_puts(
        http.clone(),
        polls.clone(),
        args.concurrency,
        duration,
        None,
        poll_request,
        new_slots(polls.len()),
    )
    .await;
    let hub_failed_polls = polled.failed;
    rows.push(Row {
        name: "hub GET /api/v1/inbox (empty inbox, as an idle desk polls), full speed".into(),
        outcome: polled,
        memory: Some(hub.memory()),
    });
    let hub_mem = hub.memory();
    hub.stop();

    println!();
    println!(
        "| run | ok | failed | wall s | per s | MB/s | p50 ms | p95 ms | p99 ms | max ms | server peak RSS MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for row in &mut rows {
        print_row(row);
    }
    let [r50, r95, r99, rmax] = percentiles(&mut received.send_to_receipt);
    println!(
        "| receivers: download + signed 取込済 receipt | {} | {} | {:.1} | **{:.0}** receipts/s | | {:.1} | {:.1} | {:.1} | {:.1} | (send→receipt) |",
        received.receipts,
        received.failed,
        received.wall.as_secs_f64(),
        rate(received.receipts, received.wall),
        r50,
        r95,
        r99,
        rmax
    );
    if let Some(e) = &received.first_error {
        println!(
            "|   first receiver error: {} | | | | | | | | | | |",
            e.replace('|', "/")
        );
    }
    println!();
    let base_rate = |prefix: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(prefix))
            .map(|r| r.outcome.per_sec())
    };
    if let Some(a) = base_rate("baseline: minimal axum, 1 SQLite") {
        println!("hub ÷ minimal axum+SQLite: {:.2}", hub_rate / a);
    }
    if let Some(a) = base_rate("baseline: minimal axum, 1 PostgreSQL") {
        println!("hub ÷ minimal axum+PostgreSQL: {:.2}", hub_rate / a);
    }
    if let Some(several) = several_rate {
        println!(
            "{} hubs ÷ one hub: {:.2}",
            args.hubs,
            several / hub_rate.max(f64::MIN_POSITIVE)
        );
    }
    if let Some(x) = base_rate("baseline: nginx") {
        println!("hub ÷ nginx WebDAV: {:.2}", hub_rate / x);
    }
    println!(
        "hub memory: peak (VmHWM) {:.0} MB, at the end (VmRSS) {:.0} MB",
        hub_mem.hwm_mb(),
        hub_mem.rss_mb()
    );
    println!(
        "load average before: {load_before}; after: {}",
        load_average()
    );

    let mut problems = Vec::new();
    if hub_failed_full + hub_failed_paced + hub_failed_mixed > 0 {
        problems.push(format!(
            "{} hub sends failed",
            hub_failed_full + hub_failed_paced + hub_failed_mixed
        ));
    }
    if hub_failed_polls > 0 {
        problems.push(format!("{hub_failed_polls} inbox polls failed"));
    }
    if received.receipts < mixed_ok {
        problems.push(format!(
            "only {} of {} accepted envelopes were receipted",
            received.receipts, mixed_ok
        ));
    }
    if received.failed > 0 {
        problems.push(format!("{} receiver errors", received.failed));
    }
    if problems.is_empty() {
        println!("result: every accepted envelope was received and acknowledged");
        Ok(())
    } else {
        bail!("{}", problems.join("; "))
    }
}
