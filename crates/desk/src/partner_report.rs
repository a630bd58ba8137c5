//! Partner report: the office numbers of the offices this office works with, sent to the hub
//! (`PUT /api/v1/partners`) so the municipality's outreach list can count partners that still
//! fax — they never appear in the hub's sender → recipient graph.
//!
//! What is sent: 10-digit 事業所番号 and, when the desk can count them, send units per month.
//! Nothing else — no names, no 被保険者, nothing from the care plan beyond the office numbers
//! written in it. Where the numbers come from: the partners this desk sent to or received from,
//! and the standard files in its outbox (and its `sent` folder) and import folder — their names
//! (sender, recipient) and the office-number fields of their records (第6表/第7表 サービス事業者,
//! the planning office of 第1表/第6表, …), within the last [`LOOKBACK_DAYS`].
//!
//! When: on sync, when the list differs from the last one reported, and otherwise once a day so
//! the hub's report does not expire. Off in the settings: nothing is sent, except once an empty
//! list that withdraws what was reported while it was on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tsunagu_protocol::{MAX_REPORTED_PARTNERS, PartnerReport, ReportedPartner};
use tsunagu_standard::{OfficeNumber, StandardFileName};

use crate::error::{DeskError, Result};
use crate::folder::DataDir;
use crate::settings::DeskSettings;
use crate::{Desk, atomic};

/// Partners and files older than this are not reported: care plans and 提供票 are monthly, so
/// a current partner shows up every month.
pub const LOOKBACK_DAYS: i64 = 183;
/// The report is sent again after this long even when unchanged (the hub forgets reports after
/// a few weeks).
pub const RESEND_AFTER_SECS: i64 = 24 * 3600;
/// How often the sync loop looks at the folders again to see whether the list changed.
pub const RECHECK: Duration = Duration::from_secs(3600);
/// Files read per pass at most (newest first), so a huge import folder stays cheap.
const MAX_FILES: usize = 5_000;
/// Larger files are not read (a standard CSV of one office and month is far smaller).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
const STATE_FILE: &str = "partner-report.json";

/// Record fields of the standard layouts that hold an office number (the 更新業者コード is the
/// software vendor's, not an office, and is left out).
const OFFICE_FIELDS: [&str; 4] = [
    "provider_code",
    "planner_office",
    "support_office_number",
    "consent_office",
];

/// The partners to report: office number → units per month (when counted).
pub type Partners = BTreeMap<OfficeNumber, Option<u32>>;

/// The last report sent, kept in the data folder so a restart does not resend at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastReport {
    pub reported_at: i64,
    /// SHA-256 of the report body sent.
    pub digest: String,
    pub partners: usize,
}

impl LastReport {
    fn path(dir: &DataDir) -> PathBuf {
        dir.root().join(STATE_FILE)
    }

    /// The last report, or None (never reported, or the file is unreadable: then a report
    /// is simply sent again).
    pub fn load(dir: &DataDir) -> Option<LastReport> {
        let bytes = std::fs::read(Self::path(dir)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn save(&self, dir: &DataDir) -> Result<()> {
        let path = Self::path(dir);
        let json = serde_json::to_vec_pretty(self).map_err(|e| DeskError::ConfigMalformed {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        atomic::write(&path, &json)
    }
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent; the hub stored this many partners.
    Sent(u32),
    /// Same list as last time, reported less than a day ago.
    Unchanged,
    /// Turned off: the report made while it was on was withdrawn (an empty list sent).
    Withdrawn,
    /// Turned off and nothing to withdraw: nothing sent.
    Off,
}

/// The office numbers in one standard file: the name's sender and recipient, and the
/// office-number fields of its records. Only numbers leave this function.
pub fn numbers_in_file(name: &str, bytes: &[u8]) -> BTreeSet<OfficeNumber> {
    let mut out = BTreeSet::new();
    if let Ok(n) = StandardFileName::parse(name) {
        out.insert(n.sender);
        out.insert(n.recipient);
    }
    let read = tsunagu_standard::read(name, bytes);
    if let Some(csv) = read.document.as_ref().and_then(|d| d.as_csv()) {
        for r in &csv.records {
            for key in OFFICE_FIELDS {
                if let Ok(n) = OfficeNumber::parse(csv.get(r, key)) {
                    out.insert(n);
                }
            }
        }
    }
    // 第7表's 全合計 line and empty-looking fields are not offices.
    out.retain(|n| !matches!(n.as_str(), "9999999999" | "0000000000"));
    out
}

/// Counts send units per partner and month, then averages per month.
#[derive(Default)]
struct UnitCounter {
    /// partner → month → unit keys (sender, recipient, ファイル連番).
    units: BTreeMap<OfficeNumber, BTreeMap<String, BTreeSet<String>>>,
}

impl UnitCounter {
    fn add(&mut self, partner: OfficeNumber, month: Option<&str>, key: String) {
        // Months come as `202506` (file names) or `2025-06` (routing): digits only.
        let Some(month) = month
            .map(|m| m.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|m| m.len() == 6)
        else {
            return;
        };
        self.units
            .entry(partner)
            .or_default()
            .entry(month)
            .or_default()
            .insert(key);
    }

    /// Units per month with `partner` (rounded up), over the months it appears in.
    fn per_month(&self, partner: &OfficeNumber) -> Option<u32> {
        let months = self.units.get(partner)?;
        let units: usize = months.values().map(BTreeSet::len).sum();
        let per = units.div_ceil(months.len().max(1));
        Some(u32::try_from(per).unwrap_or(u32::MAX))
    }
}

/// Standard files in `dir` (not recursive), newest first, modified since `since`.
fn recent_files(dir: &Path, since: SystemTime, out: &mut Vec<(SystemTime, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let name = e.file_name();
        let is_standard = name
            .to_str()
            .is_some_and(|n| StandardFileName::parse(n).is_ok());
        if modified >= since && is_standard {
            out.push((modified, e.path()));
        }
    }
}

/// Every partner of this office within the lookback: from its own records of units and
/// partners, and from the standard files in its folders. The office's own number is left out.
pub async fn collect(desk: &Desk, settings: &DeskSettings, now: i64) -> Result<Partners> {
    let own = desk.config.office_id.number;
    let since = now - LOOKBACK_DAYS * 86_400;
    let mut numbers: BTreeSet<OfficeNumber> = BTreeSet::new();
    let mut counter = UnitCounter::default();

    for p in desk.store.partners().await? {
        if p.last_seen >= since {
            numbers.insert(p.office_id.number);
        }
    }
    for u in desk.store.sent_units().await? {
        if u.sealed_at >= since {
            numbers.insert(u.recipient.number);
            let key = format!("{}>{}>{}", u.sender.number, u.recipient.number, u.unit_id);
            counter.add(u.recipient.number, u.service_month.as_deref(), key);
        }
    }
    for u in desk.store.received_units().await? {
        if u.received_at >= since {
            numbers.insert(u.sender.number);
            let key = format!("{}>{}>{}", u.sender.number, u.recipient.number, u.unit_id);
            counter.add(u.sender.number, u.service_month.as_deref(), key);
        }
    }

    let outbox = settings.outbox(&desk.dir);
    let folders = [
        outbox.join(crate::sync::SENT_SUBDIR),
        outbox,
        settings.import(&desk.dir),
    ];
    let since_time =
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(since).unwrap_or(0));
    let mut files = Vec::new();
    for dir in &folders {
        recent_files(dir, since_time, &mut files);
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    if files.len() > MAX_FILES {
        tracing::info!(
            files = files.len(),
            read = MAX_FILES,
            "partner report: only the newest files are read"
        );
        files.truncate(MAX_FILES);
    }
    for (_, path) in &files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        // A file that vanished or cannot be read is skipped: the next pass sees it again.
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        numbers.extend(numbers_in_file(name, &bytes));
        if let Ok(n) = StandardFileName::parse(name) {
            let key = format!("{}>{}>{}", n.sender, n.recipient, n.serial.as_str());
            let month = n.year_month().map(|m| m.to_string());
            for partner in [n.sender, n.recipient] {
                counter.add(partner, month.as_deref(), key.clone());
            }
        }
    }

    numbers.remove(&own);
    Ok(numbers
        .into_iter()
        .map(|n| {
            let units = counter.per_month(&n);
            (n, units)
        })
        .collect())
}

/// The request body for `partners`: at most [`MAX_REPORTED_PARTNERS`] (those with the most
/// units first when there are more), in office-number order.
pub fn report_body(partners: &Partners) -> PartnerReport {
    let mut list: Vec<(&OfficeNumber, &Option<u32>)> = partners.iter().collect();
    if list.len() > MAX_REPORTED_PARTNERS {
        tracing::warn!(
            partners = list.len(),
            sent = MAX_REPORTED_PARTNERS,
            "partner report: more partners than the hub accepts; the busiest are sent"
        );
        list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        list.truncate(MAX_REPORTED_PARTNERS);
        list.sort_by(|a, b| a.0.cmp(b.0));
    }
    PartnerReport {
        partners: list
            .into_iter()
            .map(|(n, u)| ReportedPartner {
                office_number: n.to_string(),
                units_per_month: *u,
            })
            .collect(),
    }
}

fn digest(report: &PartnerReport) -> String {
    use sha2::Digest;
    // A list of strings and numbers always serializes.
    let json = serde_json::to_vec(report).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(json))
}

/// One pass: reports the partners when on and due (changed, or a day since the last report);
/// withdraws once when turned off. Hub errors are returned; the caller tries again later.
pub async fn report_if_due(desk: &Desk, settings: &DeskSettings, now: i64) -> Result<Outcome> {
    let last = LastReport::load(&desk.dir);
    if !settings.report_partners {
        if last.as_ref().is_none_or(|l| l.partners == 0) {
            return Ok(Outcome::Off);
        }
        let empty = PartnerReport::default();
        desk.client.report_partners(&empty).await?;
        LastReport {
            reported_at: now,
            digest: digest(&empty),
            partners: 0,
        }
        .save(&desk.dir)?;
        tracing::info!("partner report withdrawn (turned off in the settings)");
        return Ok(Outcome::Withdrawn);
    }
    let body = report_body(&collect(desk, settings, now).await?);
    let d = digest(&body);
    if last
        .as_ref()
        .is_some_and(|l| l.digest == d && now - l.reported_at < RESEND_AFTER_SECS)
    {
        return Ok(Outcome::Unchanged);
    }
    let answer = desk.client.report_partners(&body).await?;
    LastReport {
        reported_at: now,
        digest: d,
        partners: body.partners.len(),
    }
    .save(&desk.dir)?;
    // Counts only: the numbers are the office's business relations.
    tracing::info!(partners = answer.stored, "partner report sent");
    Ok(Outcome::Sent(answer.stored))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tsunagu_standard::sample::{SampleSpec, generate};
    use tsunagu_standard::{OfficeId, ServiceKind, YearMonth};

    use super::*;

    /// Requests a fake hub received: (method, path, body).
    type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

    /// A stand-in hub on port 0 that records every request and answers like `PUT /partners`.
    async fn fake_hub() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let log = log.clone();
            async move {
                let method = req.method().to_string();
                let path = req.uri().path().to_string();
                let body = axum::body::to_bytes(req.into_body(), 1 << 22)
                    .await
                    .unwrap();
                let stored = serde_json::from_slice::<PartnerReport>(&body)
                    .map(|r| r.partners.len())
                    .unwrap_or(0);
                log.lock().unwrap().push((method, path, body.to_vec()));
                axum::Json(serde_json::json!({
                    "stored": stored,
                    "reported_at": "2026-01-01T00:00:00Z",
                    "counts_for_days": 35
                }))
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    async fn desk(root: &Path, hub: &str, office: OfficeNumber) -> Desk {
        let id = OfficeId::new(office, ServiceKind::CARE_MANAGEMENT);
        crate::test_desk::registered_desk(root, hub, id).await.0
    }

    type Files = Vec<(String, Vec<u8>)>;

    /// A synthetic month: files of one 居宅 (`own`) — what it sent, and what came back.
    fn sample() -> (OfficeNumber, Files, Files) {
        let s = generate(&SampleSpec {
            offices: 8,
            users_per_office: 3,
            month: YearMonth::new(2025, 6).unwrap(),
            seed: 7,
            force_v3: false,
        })
        .unwrap();
        let pairs = s.into_pairs();
        let own = pairs
            .iter()
            .find_map(|(n, _)| {
                let n = StandardFileName::parse(n).ok()?;
                (n.kind.prefix() == "UPPLAN").then_some(n.sender)
            })
            .unwrap();
        let name = |n: &str| StandardFileName::parse(n).unwrap();
        let sent = pairs
            .iter()
            .filter(|(n, _)| name(n).sender == own)
            .cloned()
            .collect();
        let received = pairs
            .iter()
            .filter(|(n, _)| name(n).recipient == own)
            .cloned()
            .collect();
        (own, sent, received)
    }

    fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) {
        std::fs::create_dir_all(dir).unwrap();
        for (n, b) in files {
            std::fs::write(dir.join(n), b).unwrap();
        }
    }

    #[test]
    fn numbers_come_from_names_and_office_fields_only() {
        let (own, sent, _) = sample();
        let (name, bytes) = sent.iter().find(|(n, _)| n.starts_with("UPPLAN")).unwrap();
        let found = numbers_in_file(name, bytes);
        let n = StandardFileName::parse(name).unwrap();
        assert!(found.contains(&own) && found.contains(&n.recipient));
        // 第6表 names every service office of the plan, not only the recipient.
        assert!(found.len() > 2, "{found:?}");
        for number in &found {
            assert!(!matches!(number.as_str(), "9999999999" | "0000000000"));
            // Every number is written in the name or, as digits, in the file itself.
            let s = number.as_str().as_bytes();
            assert!(
                name.contains(number.as_str()) || bytes.windows(10).any(|w| w == s),
                "{number}"
            );
        }
        // Not a standard file: nothing.
        assert!(numbers_in_file("memo.txt", b"0300000100,0300000200").is_empty());
    }

    #[test]
    fn units_per_month_average_over_the_months_seen() {
        let mut c = UnitCounter::default();
        let p = OfficeNumber::parse("0300000200").unwrap();
        c.add(p, Some("202505"), "a".into());
        c.add(p, Some("2025-05"), "b".into());
        c.add(p, Some("202505"), "b".into()); // the same unit again
        c.add(p, Some("202506"), "c".into());
        c.add(p, None, "d".into()); // no month: not counted
        assert_eq!(c.per_month(&p), Some(2)); // 3 units over 2 months, rounded up
        assert_eq!(
            c.per_month(&OfficeNumber::parse("0300000300").unwrap()),
            None
        );
    }

    /// The whole desk side against a recording hub: what is sent is office numbers (and
    /// counts) only, nothing is resent while unchanged, a change is sent at once, turning the
    /// setting off withdraws once and then sends nothing.
    #[tokio::test]
    async fn report_is_office_numbers_only_and_off_means_nothing_sent() {
        let (hub, seen) = fake_hub().await;
        let (own, sent, received) = sample();
        let t = tempfile::tempdir().unwrap();
        let desk = desk(t.path(), &hub, own).await;
        let mut settings = DeskSettings::default();
        write_all(&settings.outbox(&desk.dir).join("sent"), &sent);
        write_all(&settings.import(&desk.dir), &received);
        let now = crate::now_unix();

        assert!(matches!(
            report_if_due(&desk, &settings, now).await.unwrap(),
            Outcome::Sent(n) if n > 2
        ));
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 1);
        let (method, path, body) = &requests[0];
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("PUT", "/api/v1/partners")
        );
        // Office numbers and counts only: plain ASCII (no names), only the two known fields,
        // no 被保険者番号 of the files.
        assert!(body.is_ascii(), "{}", String::from_utf8_lossy(body));
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["partners"]);
        let mut reported = BTreeSet::new();
        for p in v["partners"].as_array().unwrap() {
            for k in p.as_object().unwrap().keys() {
                assert!(k == "office_number" || k == "units_per_month", "{k}");
            }
            reported.insert(OfficeNumber::parse(p["office_number"].as_str().unwrap()).unwrap());
        }
        let all: Vec<(String, Vec<u8>)> = sent.iter().chain(&received).cloned().collect();
        let users = crate::sync::users_in(&all);
        assert!(!users.is_empty());
        let text = String::from_utf8_lossy(body);
        for u in &users {
            let insured = u.split('/').nth(1).unwrap();
            assert!(!text.contains(insured), "被保険者番号 {insured} sent");
        }
        // Exactly the offices of the files, without this office.
        let mut expected: BTreeSet<OfficeNumber> = BTreeSet::new();
        for (n, b) in &all {
            expected.extend(numbers_in_file(n, b));
        }
        expected.remove(&own);
        assert_eq!(reported, expected);
        assert!(!reported.contains(&own));
        // Every partner named in a file name has units counted (the files carry a month).
        for (n, _) in &sent {
            let r = StandardFileName::parse(n).unwrap().recipient;
            let entry = v["partners"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["office_number"] == r.as_str())
                .unwrap();
            assert!(entry["units_per_month"].as_u64().unwrap() >= 1);
        }

        // Unchanged and reported less than a day ago: nothing sent.
        assert_eq!(
            report_if_due(&desk, &settings, now + 60).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
        // A day later it is sent again, so the hub's report does not expire.
        assert!(matches!(
            report_if_due(&desk, &settings, now + RESEND_AFTER_SECS + 1)
                .await
                .unwrap(),
            Outcome::Sent(_)
        ));
        assert_eq!(seen.lock().unwrap().len(), 2);

        // Turned off: withdrawn once with an empty list, then nothing.
        settings.report_partners = false;
        assert_eq!(
            report_if_due(&desk, &settings, now + RESEND_AFTER_SECS + 2)
                .await
                .unwrap(),
            Outcome::Withdrawn
        );
        {
            let requests = seen.lock().unwrap();
            assert_eq!(requests.len(), 3);
            let body: serde_json::Value = serde_json::from_slice(&requests[2].2).unwrap();
            assert_eq!(body, serde_json::json!({ "partners": [] }));
        }
        for later in [1, 2 * RESEND_AFTER_SECS] {
            assert_eq!(
                report_if_due(&desk, &settings, now + RESEND_AFTER_SECS + later)
                    .await
                    .unwrap(),
                Outcome::Off
            );
        }
        assert_eq!(seen.lock().unwrap().len(), 3, "nothing sent while off");
    }

    #[tokio::test]
    async fn an_office_that_never_turned_it_on_sends_nothing_and_a_change_is_sent_at_once() {
        let (hub, seen) = fake_hub().await;
        let (own, sent, _) = sample();
        let t = tempfile::tempdir().unwrap();
        let desk = desk(t.path(), &hub, own).await;
        let mut settings = DeskSettings {
            report_partners: false,
            ..DeskSettings::default()
        };
        write_all(&settings.outbox(&desk.dir), &sent);
        let now = crate::now_unix();
        assert_eq!(
            report_if_due(&desk, &settings, now).await.unwrap(),
            Outcome::Off
        );
        assert!(seen.lock().unwrap().is_empty(), "nothing at all was sent");
        assert!(LastReport::load(&desk.dir).is_none());

        settings.report_partners = true;
        assert!(matches!(
            report_if_due(&desk, &settings, now).await.unwrap(),
            Outcome::Sent(_)
        ));
        // A file naming a new office (an office still faxing): the list changed, sent at once.
        let mut extra = sent
            .iter()
            .find(|(n, _)| n.starts_with("UPPLAN"))
            .unwrap()
            .clone();
        let n = StandardFileName::parse(&extra.0).unwrap();
        extra.0 = extra
            .0
            .replace(n.recipient.as_str(), "3999999990")
            .replace(n.serial.as_str(), "20250630235959");
        write_all(&settings.outbox(&desk.dir), &[extra]);
        assert!(matches!(
            report_if_due(&desk, &settings, now + 60).await.unwrap(),
            Outcome::Sent(_)
        ));
        let requests = seen.lock().unwrap();
        assert_eq!(requests.len(), 2);
        let last: PartnerReport = serde_json::from_slice(&requests[1].2).unwrap();
        assert!(
            last.partners
                .iter()
                .any(|p| p.office_number == "3999999990")
        );
    }
}
