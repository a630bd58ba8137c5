//! Background sync: the outbox folder is watched and complete, valid units are sent; the hub is
//! asked for new envelopes (imported into the import folder) and for receipts of my units; the
//! partner office numbers are reported when due (see [`crate::partner_report`]).
//! Hub errors back off (5 s doubling to 5 min); units with errors are held until they change.

pub mod notices;
pub mod outbox;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tsunagu_seal::DeviceSecretKeys;
use tsunagu_standard::{Lang, OfficeId, Severity};

use crate::error::DeskError;
use crate::receive::ReceiveResult;
use crate::send::UnitResult;
use crate::settings::DeskSettings;
use crate::store::{SentStatus, SentUnit};
use crate::{Desk, NoProgress, now_unix};

pub use notices::{Level, Notice, Notices};
pub use outbox::{HeldUnit, HeldWhy};

/// Sent units are moved here (inside the outbox folder) so the outbox shows what is pending.
pub const SENT_SUBDIR: &str = "sent";

/// How often things happen. Tests shorten them through environment variables.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A unit's files must be unchanged this long before it is checked and sent.
    pub quiet: Duration,
    /// The hub is asked for new envelopes and receipts this often.
    pub hub_interval: Duration,
}

impl Timing {
    /// Defaults (3 s quiet, 15 s hub), or `TSUNAGU_DESK_QUIET_SECONDS` / `TSUNAGU_DESK_SYNC_SECONDS`.
    pub fn from_env() -> Self {
        let secs = |var: &str, default: f64| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0 && *v < 86_400.0)
                .map(Duration::from_secs_f64)
                .unwrap_or(Duration::from_secs_f64(default))
        };
        Self {
            quiet: secs("TSUNAGU_DESK_QUIET_SECONDS", 3.0),
            hub_interval: secs("TSUNAGU_DESK_SYNC_SECONDS", 15.0),
        }
    }
}

/// How the hub connection is doing.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub last_ok: Option<i64>,
    pub last_error: Option<String>,
    /// Seconds until the next try while backing off.
    pub retry_in: Option<u64>,
}

/// What the sync loop and the web UI share.
pub struct Shared {
    pub desk: Desk,
    pub keys: DeviceSecretKeys,
    pub settings: RwLock<DeskSettings>,
    pub held: Mutex<Vec<HeldUnit>>,
    pub notices: Mutex<Notices>,
    pub health: Mutex<Health>,
    pub timing: Timing,
    /// Wakes the loop (a person pressed 今すぐ同期, or settings changed).
    pub wake: Notify,
    retry: Mutex<Option<Option<String>>>,
    /// Look at the partner report at the next successful sync (set at start and when the
    /// setting changes; otherwise the loop looks every [`crate::partner_report::RECHECK`]).
    partners_due: AtomicBool,
}

/// Locks a mutex even if a panicking thread poisoned it: the data is plain state.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn new(desk: Desk, keys: DeviceSecretKeys, settings: DeskSettings, timing: Timing) -> Self {
        Self {
            desk,
            keys,
            settings: RwLock::new(settings),
            held: Mutex::new(Vec::new()),
            notices: Mutex::new(Notices::default()),
            health: Mutex::new(Health::default()),
            timing,
            wake: Notify::new(),
            retry: Mutex::new(None),
            partners_due: AtomicBool::new(true),
        }
    }

    /// The partner report is looked at in the next sync (the setting changed).
    pub fn partners_due(&self) {
        self.partners_due.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    pub fn settings(&self) -> DeskSettings {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn notify(&self, level: Level, text: impl Into<String>, link: Option<String>) {
        lock(&self.notices).push(level, text, link);
    }

    /// Held units are checked again (one by label, or all).
    pub fn retry_held(&self, label: Option<String>) {
        *lock(&self.retry) = Some(label);
        self.wake.notify_one();
    }

    pub async fn partner_name(&self, office: &OfficeId) -> String {
        let name = self
            .desk
            .store
            .partners()
            .await
            .ok()
            .and_then(|ps| ps.into_iter().find(|p| p.office_id == *office))
            .and_then(|p| p.name);
        match name {
            Some(n) => format!("{n}（{office}）"),
            None => office.to_string(),
        }
    }
}

fn is_hub_trouble(e: &DeskError) -> bool {
    matches!(
        e,
        DeskError::HubUnreachable { .. } | DeskError::Hub { .. } | DeskError::HubResponse(_)
    )
}

/// Runs until the task is dropped.
pub async fn run(shared: Arc<Shared>) {
    let mut watch = outbox::Watch::default();
    let mut next_hub = Instant::now();
    let mut next_partners = Instant::now();
    let mut backoff: Option<Duration> = None;
    let tick = Duration::from_millis(500).min(shared.timing.quiet.max(Duration::from_millis(100)));
    loop {
        if let Some(label) = lock(&shared.retry).take() {
            watch.retry(label.as_deref());
            next_hub = Instant::now();
        }
        let hub_ok_before = backoff.is_none();
        let mut hub_failed = None;
        if (backoff.is_none() || Instant::now() >= next_hub)
            && let Err(e) = outbox_pass(&shared, &mut watch).await
        {
            hub_failed = Some(e);
        }
        if hub_failed.is_none() && Instant::now() >= next_hub {
            match hub_pass(&shared).await {
                Ok(()) => {
                    next_hub = Instant::now() + shared.timing.hub_interval;
                    backoff = None;
                    {
                        let mut h = lock(&shared.health);
                        h.last_ok = Some(now_unix());
                        h.last_error = None;
                        h.retry_in = None;
                    }
                    let due = shared.partners_due.swap(false, Ordering::Relaxed);
                    if due || Instant::now() >= next_partners {
                        next_partners = Instant::now() + crate::partner_report::RECHECK;
                        partner_pass(&shared).await;
                    }
                }
                Err(e) => hub_failed = Some(e),
            }
        }
        if let Some(e) = hub_failed {
            let next = backoff
                .map(|b| (b * 2).min(Duration::from_secs(300)))
                .unwrap_or(Duration::from_secs(5));
            backoff = Some(next);
            next_hub = Instant::now() + next;
            tracing::warn!(
                code = e.code(),
                retry_in_s = next.as_secs(),
                "hub sync failed"
            );
            if hub_ok_before {
                shared.notify(
                    Level::Error,
                    format!("ハブと同期できません: {e}"),
                    Some("/settings".into()),
                );
            }
            let mut h = lock(&shared.health);
            h.last_error = Some(e.to_string());
            h.retry_in = Some(next.as_secs());
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shared.wake.notified() => { next_hub = Instant::now(); }
        }
    }
}

/// Reports the partner office numbers when due. A failure is only logged: the report is a
/// hint for the municipality, never a reason to disturb the exchange or the staff.
async fn partner_pass(shared: &Shared) {
    let settings = shared.settings();
    match crate::partner_report::report_if_due(&shared.desk, &settings, now_unix()).await {
        Ok(outcome) => tracing::debug!(?outcome, "partner report pass"),
        Err(e) => tracing::warn!(code = e.code(), "partner report not sent; will try again"),
    }
}

/// Receives new envelopes into the import folder and refreshes my units' receipts.
async fn hub_pass(shared: &Shared) -> Result<(), DeskError> {
    let desk = &shared.desk;
    let import = shared.settings().import(&desk.dir);
    let outcomes = crate::receive::receive(desk, &shared.keys, &import, &NoProgress).await?;
    let mut trouble = None;
    for o in outcomes {
        let from = shared.partner_name(&o.sender).await;
        let link = Some(format!("/units/received/{}/{}", o.sender, o.unit_id));
        match o.result {
            ReceiveResult::Imported { files } => shared.notify(
                Level::Info,
                format!(
                    "{from} から届きました（ファイル連番 {}、{} ファイル）。取込フォルダに書き込みました",
                    o.unit_id,
                    files.len()
                ),
                link,
            ),
            ReceiveResult::Rejected { reason } => shared.notify(
                Level::Warn,
                format!("{from} からの送信単位（{}）を差し戻しました: {reason}", o.unit_id),
                link,
            ),
            ReceiveResult::Replay | ReceiveResult::AlreadyDone => {}
            ReceiveResult::Skipped(e) if is_hub_trouble(&e) => trouble = Some(e),
            ReceiveResult::Skipped(e) => {
                let key = matches!(e, DeskError::KeyChanged { .. });
                shared.notify(
                    Level::Error,
                    format!("{from} からの送信単位（{}）を受け取れません: {e}", o.unit_id),
                    Some(if key { "/partners".into() } else { "/inbox".into() }),
                );
            }
        }
    }
    if let Some(e) = trouble {
        return Err(e);
    }
    let before: HashMap<(OfficeId, String), SentUnit> = desk
        .store
        .sent_units()
        .await?
        .into_iter()
        .map(|u| ((u.recipient, u.unit_id.clone()), u))
        .collect();
    // Notices come from comparing the store before and after, so re-uploads done before a
    // failure later in the refresh are still told.
    let refreshed = crate::status::refresh(desk).await;
    let mut resent = 0usize;
    for u in desk.store.sent_units().await? {
        let was = before.get(&(u.recipient, u.unit_id.clone()));
        let lost = lost_unit_change(was, &u);
        let status_changed = was.map(|w| w.status) != Some(u.status);
        if lost.is_none() && !status_changed {
            continue;
        }
        let to = shared.partner_name(&u.recipient).await;
        match lost {
            Some(LostChange::Resent) => resent += 1,
            Some(LostChange::Refused(error)) => shared.notify(
                Level::Warn,
                format!(
                    "ハブに記録がなかった {to} への送信単位（{}）を再送できませんでした。1 時間後にもう一度送ります: {error}",
                    u.unit_id
                ),
                Some("/sent".into()),
            ),
            None => {}
        }
        if status_changed {
            let level = if matches!(
                u.status,
                SentStatus::Hub(tsunagu_protocol::EnvelopeStatus::Rejected)
            ) {
                Level::Warn
            } else {
                Level::Info
            };
            shared.notify(
                level,
                format!(
                    "{to} への送信単位（{}）: {}",
                    u.unit_id,
                    u.status.label_ja()
                ),
                Some("/sent".into()),
            );
        }
    }
    if resent > 0 {
        shared.notify(Level::Warn, resent_notice(resent), Some("/sent".into()));
    }
    refreshed?;
    Ok(())
}

/// What a refresh did about a unit the hub had lost, seen by comparing the unit before and after.
#[derive(Debug, PartialEq, Eq)]
enum LostChange {
    /// The hub acknowledged the stored envelope uploaded again.
    Resent,
    /// The hub refused it; the error as recorded.
    Refused(String),
}

fn lost_unit_change(before: Option<&SentUnit>, after: &SentUnit) -> Option<LostChange> {
    let before_resends = before.map_or(0, |b| b.hub_resends);
    if after.hub_resends > before_resends {
        return Some(LostChange::Resent);
    }
    let attempted = after.hub_resent_at.is_some()
        && after.hub_resent_at != before.and_then(|b| b.hub_resent_at);
    match (&after.last_error, attempted) {
        (Some(e), true) => Some(LostChange::Refused(e.clone())),
        _ => None,
    }
}

/// The notice after units the hub no longer knew were uploaded again.
fn resent_notice(n: usize) -> String {
    format!(
        "ハブが復元されたため、送信済みの {n} 件を再送しました（ハブに記録がなかった送信単位を、保存してある同じ封筒で送り直しました。相手がすでに取り込んだものは二重に取り込まれません）"
    )
}

/// The 被保険者 (保険者番号/被保険者番号) named in the files.
pub fn users_in(files: &[(String, Vec<u8>)]) -> BTreeSet<String> {
    let mut users = BTreeSet::new();
    for (name, bytes) in files {
        if let Some(csv) = tsunagu_standard::read(name, bytes)
            .document
            .as_ref()
            .and_then(|d| d.as_csv())
        {
            for r in &csv.records {
                let insured = csv.get(r, "insured_number");
                if !insured.is_empty() {
                    users.insert(format!("{}/{insured}", csv.get(r, "insurer_number")));
                }
            }
        }
    }
    users
}

fn move_to_sent(outbox: &Path, files: &[(String, std::path::PathBuf)]) {
    let sent = outbox.join(SENT_SUBDIR);
    if let Err(e) = std::fs::create_dir_all(&sent) {
        tracing::warn!(error = %e, "cannot create the outbox's sent folder");
        return;
    }
    for (name, path) in files {
        if let Err(e) = std::fs::rename(path, sent.join(name)) {
            tracing::warn!(error = %e, "cannot move a sent file");
        }
    }
}

/// Checks and sends the outbox's complete units. Returns Err only for hub trouble (retried
/// after the backoff, the units stay unhandled).
async fn outbox_pass(shared: &Shared, watch: &mut outbox::Watch) -> Result<(), DeskError> {
    let outbox = shared.settings().outbox(&shared.desk.dir);
    let (ready, present) = match watch.scan(&outbox, shared.timing.quiet) {
        Ok(r) => r,
        Err(e) => {
            // A missing outbox (e.g. on a network drive) is retried quietly.
            tracing::debug!(error = %e, "outbox not readable");
            return Ok(());
        }
    };
    lock(&shared.held).retain(|h| present.contains(&h.label));
    for group in ready {
        let mut files = Vec::new();
        for (name, path) in &group.files {
            match std::fs::read(path) {
                Ok(b) => files.push((name.clone(), b)),
                Err(_) => continue,
            }
        }
        if files.is_empty() {
            continue;
        }
        let users = users_in(&files);
        let hold = |why: HeldWhy, recipient: Option<OfficeId>, reasons: Vec<String>| HeldUnit {
            label: group.label.clone(),
            recipient,
            file_names: files.iter().map(|(n, _)| n.clone()).collect(),
            reasons,
            why,
            users: users.clone(),
            since: now_unix(),
        };
        let plan = match crate::send::plan(files.clone()) {
            Ok(p) => p,
            Err(e) => {
                set_held(shared, hold(HeldWhy::Check, None, vec![e.to_string()]));
                watch.handled(&group, None);
                continue;
            }
        };
        if plan.units.is_empty() {
            let reasons = plan
                .unplaced
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.display(Lang::Ja).to_string())
                .collect();
            set_held(shared, hold(HeldWhy::Check, None, reasons));
            shared.notify(
                Level::Warn,
                format!(
                    "送信フォルダの {} は標準ファイルではないため送りません",
                    group.label
                ),
                Some("/sent".into()),
            );
            watch.handled(&group, None);
            continue;
        }
        let recipient = plan.units.first().and_then(|u| {
            u.key
                .recipient_kind
                .map(|k| OfficeId::new(u.key.recipient, k))
        });
        if plan.units.iter().any(|u| u.has_errors()) {
            let reasons = plan
                .units
                .iter()
                .flat_map(|u| u.findings.iter())
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.display(Lang::Ja).to_string())
                .collect::<Vec<_>>();
            tracing::info!(
                files = files.len(),
                errors = reasons.len(),
                "outbox unit held"
            );
            shared.notify(
                Level::Warn,
                format!(
                    "{} を保留しました（検査でエラー {} 件）",
                    group.label,
                    reasons.len()
                ),
                Some("/sent".into()),
            );
            set_held(shared, hold(HeldWhy::Check, recipient, reasons));
            watch.handled(&group, None);
            continue;
        }
        let report = crate::send::send(&shared.desk, &shared.keys, plan, &NoProgress).await?;
        for outcome in report.units {
            match outcome.result {
                UnitResult::Uploaded { .. } | UnitResult::AlreadySent { .. } => {
                    let to = match recipient {
                        Some(r) => shared.partner_name(&r).await,
                        None => String::new(),
                    };
                    shared.notify(
                        Level::Info,
                        format!(
                            "{to} へ送信しました（ファイル連番 {}）",
                            outcome.unit.key.serial.as_str()
                        ),
                        Some("/sent".into()),
                    );
                    lock(&shared.held).retain(|h| h.label != group.label);
                    move_to_sent(&outbox, &group.files);
                }
                UnitResult::Failed(e) if is_hub_trouble(&e) => return Err(e),
                UnitResult::NotAttempted => {
                    return Err(DeskError::HubUnreachable {
                        url: shared.desk.client.base_url().to_string(),
                        detail: "送信できませんでした".into(),
                    });
                }
                UnitResult::Failed(e) => {
                    let why = match e {
                        DeskError::OfficeNotOnHub(_) | DeskError::NoDevices(_) => HeldWhy::NotOnHub,
                        DeskError::KeyChanged { .. } => HeldWhy::KeyChanged,
                        _ => HeldWhy::Other,
                    };
                    let retry = (why != HeldWhy::Other).then_some(Duration::from_secs(600));
                    shared.notify(
                        Level::Warn,
                        format!("{} を保留しました: {e}", group.label),
                        Some("/sent".into()),
                    );
                    set_held(shared, hold(why, recipient, vec![e.to_string()]));
                    watch.handled(&group, retry);
                }
                UnitResult::Refused => {
                    set_held(shared, hold(HeldWhy::Check, recipient, vec![]));
                    watch.handled(&group, None);
                }
            }
        }
    }
    Ok(())
}

fn set_held(shared: &Shared, unit: HeldUnit) {
    let mut held = lock(&shared.held);
    held.retain(|h| h.label != unit.label);
    held.push(unit);
    held.sort_by(|a, b| a.label.cmp(&b.label));
}

#[cfg(test)]
mod tests {
    use tsunagu_protocol::{EnvelopeStatus, ErrorCode};
    use tsunagu_seal::DeviceSecretKeys;

    use super::*;
    use crate::recover::tests::{fake_hub, stored_unit};

    async fn shared(dir: &Path, hub: &str) -> Shared {
        let desk = crate::recover::tests::desk(dir, hub).await;
        let keys = DeviceSecretKeys::generate(time::OffsetDateTime::now_utc()).unwrap();
        let settings = DeskSettings::default();
        Shared::new(desk, keys, settings, Timing::from_env())
    }

    fn texts(shared: &Shared) -> Vec<String> {
        lock(&shared.notices)
            .latest(50)
            .into_iter()
            .map(|n| n.text)
            .collect()
    }

    #[tokio::test]
    async fn units_the_hub_lost_are_resent_with_one_notice() {
        let t = tempfile::tempdir().unwrap();
        let (url, hub) = fake_hub().await;
        let shared = shared(t.path(), &url).await;
        let sent = SentStatus::Hub(EnvelopeStatus::Sent);
        stored_unit(&shared.desk, "20251201090001", sent, Some("env_lost_1")).await;
        stored_unit(&shared.desk, "20251201090002", sent, Some("env_lost_2")).await;
        let done = SentStatus::Hub(EnvelopeStatus::Imported);
        stored_unit(&shared.desk, "20251201090003", done, Some("env_lost_3")).await;

        hub_pass(&shared).await.unwrap();
        assert_eq!(hub.lock().unwrap().puts.len(), 2);
        let texts = texts(&shared);
        let resent: Vec<&String> = texts
            .iter()
            .filter(|t| t.contains("再送しました"))
            .collect();
        assert_eq!(resent.len(), 1, "{texts:?}");
        assert!(
            resent[0].starts_with("ハブが復元されたため、送信済みの 2 件を再送しました"),
            "{}",
            resent[0]
        );
        // Nothing on the next pass: the hub lists them again.
        hub_pass(&shared).await.unwrap();
        assert_eq!(hub.lock().unwrap().puts.len(), 2);
        assert_eq!(
            self::texts(&shared)
                .iter()
                .filter(|t| t.contains("再送しました"))
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn a_refused_resend_is_told_once() {
        let t = tempfile::tempdir().unwrap();
        let (url, hub) = fake_hub().await;
        let shared = shared(t.path(), &url).await;
        let sent = SentStatus::Hub(EnvelopeStatus::Sent);
        stored_unit(&shared.desk, "20251201090001", sent, Some("env_lost_1")).await;
        hub.lock().unwrap().refuse_puts = Some(ErrorCode::RecipientUnknown);
        hub_pass(&shared).await.unwrap();
        hub_pass(&shared).await.unwrap();
        let texts = texts(&shared);
        let refused: Vec<&String> = texts
            .iter()
            .filter(|t| t.contains("再送できませんでした"))
            .collect();
        assert_eq!(refused.len(), 1, "{texts:?}");
        assert!(refused[0].contains("20251201090001"), "{}", refused[0]);
        assert!(refused[0].contains("E-HUB-405"), "{}", refused[0]);
        assert!(
            !texts.iter().any(|t| t.contains("再送しました")),
            "{texts:?}"
        );
    }

    #[test]
    fn lost_unit_changes_are_read_from_the_store() {
        let mut before = crate::recover::tests::unit_row();
        let mut after = before.clone();
        assert_eq!(lost_unit_change(Some(&before), &after), None);
        after.hub_resent_at = Some(10);
        after.hub_resends = 1;
        assert_eq!(
            lost_unit_change(Some(&before), &after),
            Some(LostChange::Resent)
        );
        before = after.clone();
        after.hub_resent_at = Some(5000);
        after.last_error = Some("E-DESK-011 x".into());
        assert_eq!(
            lost_unit_change(Some(&before), &after),
            Some(LostChange::Refused("E-DESK-011 x".into()))
        );
        // An upload error of the ordinary retry is not a refused resend.
        let mut plain = crate::recover::tests::unit_row();
        plain.last_error = Some("E-DESK-010 x".into());
        assert_eq!(lost_unit_change(None, &plain), None);
    }
}
