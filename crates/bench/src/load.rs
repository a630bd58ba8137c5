//! Concurrent clients: PUT loops (full speed or paced), receivers, and latency statistics.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tsunagu_protocol::{EnvelopePage, PostReceiptRequest, routes};
use tsunagu_seal::{Receipt, ReceiptStatus, SignedReceipt};

use crate::corpus::{Job, Office, parse_unit_id};

/// Builds the request for job `i`.
pub type BuildRequest =
    Arc<dyn Fn(&reqwest::Client, &Job, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// How a run of PUTs went.
#[derive(Debug, Default)]
pub struct PutOutcome {
    pub ok: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub latencies: Vec<Duration>,
    /// From the first request to the last answer.
    pub wall: Duration,
    pub bytes: u64,
}

impl PutOutcome {
    pub fn per_sec(&self) -> f64 {
        rate(self.ok, self.wall)
    }
}

pub fn rate(count: usize, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        count as f64 / wall.as_secs_f64()
    }
}

/// `concurrency` clients PUT `jobs` in order until all are sent or `duration` has passed. With
/// `per_sec`, job `i` is due at `start + i / per_sec` and its latency counts from when it was
/// due (so a client falling behind shows up in the latency, not as a lower rate).
/// `sent_at[i]` is set when job `i` is started.
pub async fn run_puts(
    http: reqwest::Client,
    jobs: Arc<Vec<Job>>,
    concurrency: usize,
    duration: Duration,
    per_sec: Option<f64>,
    build: BuildRequest,
    sent_at: Arc<Vec<OnceLock<Instant>>>,
) -> PutOutcome {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let end = t0 + duration;
    let mut handles = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (http, jobs, next, build, sent_at) = (
            http.clone(),
            jobs.clone(),
            next.clone(),
            build.clone(),
            sent_at.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut out = PutOutcome::default();
            let mut last = t0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let start = match per_sec {
                    Some(r) => {
                        let due = t0 + Duration::from_secs_f64(i as f64 / r);
                        if due >= end {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => {
                        let now = Instant::now();
                        if now >= end {
                            break;
                        }
                        now
                    }
                };
                if let Some(slot) = sent_at.get(i) {
                    let _ = slot.set(start);
                }
                let result = build(&http, job, i).send().await;
                match result {
                    Ok(resp) if resp.status().is_success() => {
                        // Read the (small) answer so the connection is reused.
                        let _ = resp.bytes().await;
                        out.ok += 1;
                        out.bytes += job.body.len() as u64;
                        out.latencies.push(start.elapsed());
                    }
                    Ok(resp) => {
                        let status = resp.status();
                        let body = resp.text().await.unwrap_or_default();
                        out.failed += 1;
                        out.first_error
                            .get_or_insert_with(|| format!("HTTP {status}: {body}"));
                    }
                    Err(e) => {
                        out.failed += 1;
                        out.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
                last = Instant::now();
            }
            out.wall = last.saturating_duration_since(t0);
            out
        }));
    }
    let mut total = PutOutcome::default();
    for h in handles {
        match h.await {
            Ok(o) => {
                total.ok += o.ok;
                total.failed += o.failed;
                total.bytes += o.bytes;
                total.latencies.extend(o.latencies);
                total.wall = total.wall.max(o.wall);
                if total.first_error.is_none() {
                    total.first_error = o.first_error;
                }
            }
            Err(e) => {
                total.failed += 1;
                total
                    .first_error
                    .get_or_insert_with(|| format!("client task: {e}"));
            }
        }
    }
    total
}

/// How receiving went.
#[derive(Debug, Default)]
pub struct ReceiveOutcome {
    pub receipts: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// From the send's start to the hub's answer to the receipt.
    pub send_to_receipt: Vec<Duration>,
    /// From the start of receiving to the last receipt.
    pub wall: Duration,
}

/// Shared state between senders and receivers of one phase.
pub struct ReceiveControl {
    /// Set when the senders are done, with the number of accepted sends in `expected`.
    pub senders_done: AtomicBool,
    pub expected: AtomicUsize,
    pub receipted: AtomicUsize,
    pub hard_deadline: Mutex<Option<Instant>>,
    /// How long a receiver waits after finding its inbox empty.
    pub idle: Duration,
}

impl ReceiveControl {
    pub fn new(idle: Duration) -> Arc<Self> {
        Arc::new(Self {
            idle,
            senders_done: AtomicBool::new(false),
            expected: AtomicUsize::new(0),
            receipted: AtomicUsize::new(0),
            hard_deadline: Mutex::new(None),
        })
    }

    fn finished(&self) -> bool {
        if self.senders_done.load(Ordering::Acquire)
            && self.receipted.load(Ordering::Acquire) >= self.expected.load(Ordering::Acquire)
        {
            return true;
        }
        match self.hard_deadline.lock() {
            Ok(d) => d.is_some_and(|d| Instant::now() >= d),
            Err(_) => true,
        }
    }
}

/// One receiver per office `which` names in `offices`: poll the inbox (again after
/// `control.idle` when it was empty),
/// download each envelope, post a signed 取込済 receipt (no decryption: opening is the desk's
/// work and is not what is measured here).
pub fn spawn_receivers(
    http: reqwest::Client,
    base: String,
    offices: Arc<Vec<Office>>,
    which: Vec<usize>,
    phase: u8,
    sent_at: Arc<Vec<OnceLock<Instant>>>,
    control: Arc<ReceiveControl>,
) -> tokio::task::JoinHandle<ReceiveOutcome> {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for office in which {
            let (http, base, offices, sent_at, control) = (
                http.clone(),
                base.clone(),
                offices.clone(),
                sent_at.clone(),
                control.clone(),
            );
            handles.push(tokio::spawn(async move {
                let mut out = ReceiveOutcome::default();
                let mut last = t0;
                let me = &offices[office];
                while !control.finished() {
                    match receive_once(&http, &base, me, phase, &sent_at, &mut out).await {
                        Ok(0) => tokio::time::sleep(control.idle).await,
                        Ok(n) => {
                            control.receipted.fetch_add(n, Ordering::AcqRel);
                            last = Instant::now();
                        }
                        Err(e) => {
                            out.failed += 1;
                            out.first_error.get_or_insert(e);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                out.wall = last.saturating_duration_since(t0);
                out
            }));
        }
        let mut total = ReceiveOutcome::default();
        for h in handles {
            if let Ok(o) = h.await {
                total.receipts += o.receipts;
                total.failed += o.failed;
                total.send_to_receipt.extend(o.send_to_receipt);
                total.wall = total.wall.max(o.wall);
                if total.first_error.is_none() {
                    total.first_error = o.first_error;
                }
            }
        }
        total
    })
}

/// One inbox page: download and acknowledge each envelope. Returns how many were receipted.
async fn receive_once(
    http: &reqwest::Client,
    base: &str,
    me: &Office,
    phase: u8,
    sent_at: &[OnceLock<Instant>],
    out: &mut ReceiveOutcome,
) -> Result<usize, String> {
    let page: EnvelopePage = http
        .get(format!("{base}{}?after=0&limit=100", routes::INBOX))
        .bearer_auth(&me.token)
        .send()
        .await
        .map_err(|e| format!("inbox: {e:#}"))?
        .error_for_status()
        .map_err(|e| format!("inbox: {e:#}"))?
        .json()
        .await
        .map_err(|e| format!("inbox: {e:#}"))?;
    let mut done = 0;
    for item in page.items {
        let path = routes::fill(routes::CIPHERTEXT, &item.envelope_id);
        let resp = http
            .get(format!("{base}{path}"))
            .bearer_auth(&me.token)
            .send()
            .await
            .map_err(|e| format!("download: {e:#}"))?;
        if !resp.status().is_success() {
            return Err(format!("download: HTTP {}", resp.status()));
        }
        let bytes = resp.bytes().await.map_err(|e| format!("download: {e:#}"))?;
        if bytes.len() as u64 != item.routing.size {
            return Err("download: size differs from the routing metadata".to_string());
        }
        let at = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .map_err(|e| format!("clock: {e}"))?;
        let receipt =
            Receipt::for_envelope(&item.routing, ReceiptStatus::Imported, at, me.keys.public());
        let signed = SignedReceipt::sign(receipt, &me.keys).map_err(|e| format!("sign: {e}"))?;
        let path = routes::fill(routes::RECEIPTS, &item.envelope_id);
        let resp = http
            .post(format!("{base}{path}"))
            .bearer_auth(&me.token)
            .json(&PostReceiptRequest { receipt: signed })
            .send()
            .await
            .map_err(|e| format!("receipt: {e:#}"))?;
        if !resp.status().is_success() {
            let status = resp.status();
            return Err(format!(
                "receipt: HTTP {status}: {}",
                resp.text().await.unwrap_or_default()
            ));
        }
        let _ = resp.bytes().await;
        out.receipts += 1;
        done += 1;
        if let Some((p, i)) = parse_unit_id(item.routing.unit_id.as_str())
            && p == phase
            && let Some(start) = sent_at.get(i).and_then(|s| s.get())
        {
            out.send_to_receipt.push(start.elapsed());
        }
    }
    Ok(done)
}

/// p50, p95, p99 and max in milliseconds (nearest rank).
pub fn percentiles(latencies: &mut [Duration]) -> [f64; 4] {
    if latencies.is_empty() {
        return [f64::NAN; 4];
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1].as_secs_f64() * 1000.0
    };
    [at(0.50), at(0.95), at(0.99), at(1.0)]
}
