//! What the clients send: offices onboarded through real invites, and send units made of
//! synthetic standard files (`tsunagu_standard::sample`), sealed before any timing starts.

use anyhow::{Context, anyhow};
use axum::body::Bytes;
use time::OffsetDateTime;
use tsunagu_protocol::{RegisterDeviceRequest, RegisterDeviceResponse, routes};
use tsunagu_seal::{DeviceSecretKeys, ServiceMonth, UnitHeader, UnitId};
use tsunagu_standard::sample::{SampleSpec, generate};
use tsunagu_standard::{OfficeId, StandardFileName, YearMonth};

/// One office with one registered device, as its desk holds it.
pub struct Office {
    pub id: OfficeId,
    pub token: String,
    pub keys: DeviceSecretKeys,
}

/// One sealed send unit, ready to PUT.
pub struct Job {
    pub sender: usize,
    pub routing_header: String,
    pub body: Bytes,
}

fn now_seconds() -> anyhow::Result<OffsetDateTime> {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|e| anyhow!("clock: {e}"))
}

/// Registers `count` offices (numbers `31{group}{i:07}`, kind 43) through invites issued on the
/// hub's database and the hub's registration endpoint.
pub async fn onboard(
    http: &reqwest::Client,
    base: &str,
    database_url: &str,
    group: u8,
    count: usize,
) -> anyhow::Result<Vec<Office>> {
    let store = tsunagu_hub::store::open(database_url, 2)
        .await
        .context("open the hub's database to issue invites")?;
    let mut offices = Vec::with_capacity(count);
    for i in 0..count {
        let id = OfficeId::parse(&format!("31{group}{i:07}_43"))
            .map_err(|e| anyhow!("office id: {e}"))?;
        let invite = tsunagu_hub::ops::issue_invite(
            store.as_ref(),
            id,
            Some(&format!("負荷試験事業所 {i}")),
            Some("312029"),
            1,
            tsunagu_hub::now_unix(),
        )
        .await
        .context("issue invite")?;
        let keys = DeviceSecretKeys::generate(now_seconds()?).map_err(|e| anyhow!("{e}"))?;
        let req = RegisterDeviceRequest {
            invite_code: invite.code,
            device_name: "負荷試験PC".to_string(),
            keys: keys.public().clone(),
        };
        let resp = http
            .post(format!("{base}{}", routes::REGISTER))
            .json(&req)
            .send()
            .await?;
        let status = resp.status();
        if status.as_u16() != 201 {
            anyhow::bail!("register {id}: HTTP {status}: {}", resp.text().await?);
        }
        let reg: RegisterDeviceResponse = resp.json().await?;
        offices.push(Office {
            id,
            token: reg.token,
            keys,
        });
    }
    Ok(offices)
}

/// Synthetic standard files no larger than `target` bytes (the whole sample if none is).
pub fn file_pool(target: usize) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let month = YearMonth::new(2025, 4).context("month")?;
    let sample = generate(&SampleSpec {
        offices: 16,
        users_per_office: 40,
        month,
        seed: 6,
        force_v3: false,
    })
    .map_err(|e| anyhow!("{e}"))?;
    let all = sample.into_pairs();
    let small: Vec<_> = all
        .iter()
        .filter(|(_, b)| b.len() <= target)
        .cloned()
        .collect();
    Ok(if small.is_empty() { all } else { small })
}

/// Consecutive files of the pool from `start` (wrapping), about `target` bytes in total.
fn unit_files(pool: &[(String, Vec<u8>)], start: usize, target: usize) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total = 0;
    let n = pool.len();
    for k in 0..n.min(tsunagu_seal::MAX_FILES) {
        let (name, bytes) = &pool[(start + k) % n];
        if !out.is_empty() && total + bytes.len() > target + target / 10 {
            continue;
        }
        total += bytes.len();
        out.push((name.clone(), bytes.clone()));
        if total >= target - target / 10 {
            break;
        }
    }
    out
}

/// Seals `count` units, unit `i` from office `pairs(i).0` to `pairs(i).1`, unit ids
/// `2025{phase:02}{i:08}` (so a receiver can tell phase and index from the id), on every core.
pub fn seal_jobs(
    offices: &[Office],
    pairs: impl Fn(usize) -> (usize, usize) + Sync,
    phase: u8,
    count: usize,
    target: usize,
    pool: &[(String, Vec<u8>)],
) -> anyhow::Result<Vec<Job>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = count.div_ceil(threads).max(1);
    let created_at = now_seconds()?;
    let month = ServiceMonth::parse("202504").map_err(|e| anyhow!("{e}"))?;
    let results: Vec<anyhow::Result<Vec<Job>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|from| {
                let to = (from + chunk).min(count);
                let pairs = &pairs;
                let month = month.clone();
                scope.spawn(move || -> anyhow::Result<Vec<Job>> {
                    let mut jobs = Vec::with_capacity(to - from);
                    for i in from..to {
                        let (s, r) = pairs(i);
                        let files = unit_files(pool, i * 7, target);
                        let mut kinds: Vec<String> = files
                            .iter()
                            .map(|(name, _)| match StandardFileName::parse(name) {
                                Ok(n) => n.kind.prefix().to_string(),
                                Err(_) => name.split('_').next().unwrap_or("UPPLAN").to_string(),
                            })
                            .collect();
                        kinds.sort();
                        kinds.dedup();
                        let unit = UnitHeader {
                            sender: offices[s].id,
                            recipient: offices[r].id,
                            unit_id: UnitId::parse(&format!("2025{phase:02}{i:08}"))
                                .map_err(|e| anyhow!("{e}"))?,
                            created_at,
                            kinds,
                            service_month: Some(month.clone()),
                        };
                        let recipients = [
                            offices[r].keys.public().clone(),
                            offices[s].keys.public().clone(),
                        ];
                        let envelope =
                            tsunagu_seal::seal(&files, &unit, &offices[s].keys, &recipients)
                                .map_err(|e| anyhow!("seal: {e}"))?;
                        let routing_header =
                            tsunagu_protocol::encode_routing_header(&envelope.routing)
                                .map_err(|e| anyhow!("routing header: {e}"))?;
                        jobs.push(Job {
                            sender: s,
                            routing_header,
                            body: Bytes::from(envelope.ciphertext),
                        });
                    }
                    Ok(jobs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a sealing thread panicked")))
            })
            .collect()
    });
    let mut jobs = Vec::with_capacity(count);
    for r in results {
        jobs.extend(r?);
    }
    Ok(jobs)
}

/// The phase and index a unit id of [`seal_jobs`] encodes.
pub fn parse_unit_id(unit_id: &str) -> Option<(u8, usize)> {
    let phase = unit_id.get(4..6)?.parse().ok()?;
    let index = unit_id.get(6..14)?.parse().ok()?;
    Some((phase, index))
}

/// Mean ciphertext size in bytes.
pub fn mean_size(jobs: &[Job]) -> f64 {
    if jobs.is_empty() {
        return 0.0;
    }
    jobs.iter().map(|j| j.body.len() as f64).sum::<f64>() / jobs.len() as f64
}
