//! Sending: files → send units (by file name) → full standard check → keys (pinned) → seal →
//! stored locally → uploaded. Safe to re-run after any failure: a unit the hub acknowledged is
//! skipped, a stored unit not yet acknowledged is uploaded again as the same bytes.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_seal::{
    DevicePublicKeys, DeviceSecretKeys, RoutingMetadata, ServiceMonth, UnitHeader, UnitId,
};
use tsunagu_standard::check::{check_all, group_units, unit_label};
use tsunagu_standard::{FileMonth, Finding, OfficeId, SendUnitKey, Severity};

use crate::error::{DeskError, Result};
use crate::store::{SentStatus, SentUnit};
use crate::{Desk, Progress, now_unix, pins};

/// One send unit found in the input, checked.
#[derive(Debug, Clone)]
pub struct PlannedUnit {
    pub key: SendUnitKey,
    /// `送信単位 3100000001_43 → 3100000101_11 #20250325090000`.
    pub label: String,
    /// (standard file name, bytes as read), in input order.
    pub files: Vec<(String, Vec<u8>)>,
    /// Findings on its files and on the unit as a whole (every severity).
    pub findings: Vec<Finding>,
}

impl PlannedUnit {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn file_names(&self) -> Vec<String> {
        self.files.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// Input files grouped and checked.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// In (sender, recipient, ファイル連番) order.
    pub units: Vec<PlannedUnit>,
    /// Findings of files that belong to no unit (e.g. not a standard file name).
    pub unplaced: Vec<Finding>,
}

/// Groups files (plain file names, bytes) into send units and runs the full check of
/// tsunagu-standard on every file and every unit.
pub fn plan(files: Vec<(String, Vec<u8>)>) -> Result<Plan> {
    if files.is_empty() {
        return Err(DeskError::NoInput);
    }
    let mut seen = BTreeSet::new();
    for (name, _) in &files {
        if !seen.insert(name.to_ascii_uppercase()) {
            return Err(DeskError::DuplicateInput(name.clone()));
        }
    }
    let (documents, report) = check_all(&files);
    let bytes: HashMap<&str, &Vec<u8>> = files.iter().map(|(n, b)| (n.as_str(), b)).collect();
    let mut placed = BTreeSet::new();
    let mut units = Vec::new();
    for (key, docs) in group_units(&documents) {
        let label = unit_label(&key);
        let names: Vec<String> = docs.iter().map(|d| d.file_name().to_string()).collect();
        let mut findings: Vec<Finding> = report
            .files
            .iter()
            .filter(|f| names.contains(&f.file))
            .flat_map(|f| f.findings.iter().cloned())
            .collect();
        findings.extend(
            report
                .units
                .iter()
                .filter(|u| u.unit == label)
                .flat_map(|u| u.findings.iter().cloned()),
        );
        let unit_files = names
            .iter()
            .filter_map(|n| bytes.get(n.as_str()).map(|b| (n.clone(), (*b).clone())))
            .collect();
        placed.extend(names.iter().cloned());
        units.push(PlannedUnit {
            key,
            label,
            files: unit_files,
            findings,
        });
    }
    let unplaced = report
        .files
        .iter()
        .filter(|f| !placed.contains(&f.file))
        .flat_map(|f| f.findings.iter().cloned())
        .collect();
    Ok(Plan { units, unplaced })
}

/// SHA-256 over the unit's file names and bytes (sorted by name): tells whether a re-run sends
/// the same unit or a changed one under the same ファイル連番.
pub fn files_digest(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, bytes) in sorted {
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    hex::encode(h.finalize())
}

/// What happened to one unit.
#[derive(Debug)]
pub enum UnitResult {
    /// Checking found errors: nothing was sealed or sent.
    Refused,
    /// Uploaded now (`created` false when the hub already had these exact bytes).
    Uploaded { envelope_id: String, created: bool },
    /// Acknowledged by the hub in an earlier run; skipped.
    AlreadySent {
        envelope_id: String,
        status: SentStatus,
    },
    /// Not sent; the error says why. A stored envelope is uploaded on the next run.
    Failed(DeskError),
    /// Not tried because the hub was unreachable for an earlier unit.
    NotAttempted,
}

impl UnitResult {
    /// A short English name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            UnitResult::Refused => "refused",
            UnitResult::Uploaded { .. } => "uploaded",
            UnitResult::AlreadySent { .. } => "already_sent",
            UnitResult::Failed(_) => "failed",
            UnitResult::NotAttempted => "not_attempted",
        }
    }
}

#[derive(Debug)]
pub struct UnitOutcome {
    pub unit: PlannedUnit,
    pub result: UnitResult,
}

impl UnitOutcome {
    pub fn is_ok(&self) -> bool {
        matches!(
            self.result,
            UnitResult::Uploaded { .. } | UnitResult::AlreadySent { .. }
        )
    }
}

#[derive(Debug, Default)]
pub struct SendReport {
    pub unplaced: Vec<Finding>,
    pub units: Vec<UnitOutcome>,
}

impl SendReport {
    /// Every unit reached the hub and no file was left over.
    pub fn all_sent(&self) -> bool {
        !self.unplaced.iter().any(|f| f.severity == Severity::Error)
            && self.units.iter().all(UnitOutcome::is_ok)
    }
}

fn office_ids(unit: &PlannedUnit) -> Result<(OfficeId, OfficeId)> {
    match (unit.key.sender_kind, unit.key.recipient_kind) {
        (Some(sk), Some(rk)) => Ok((
            OfficeId::new(unit.key.sender, sk),
            OfficeId::new(unit.key.recipient, rk),
        )),
        _ => Err(DeskError::NoServiceKind {
            unit: unit.label.clone(),
        }),
    }
}

fn unit_header(
    unit: &PlannedUnit,
    sender: OfficeId,
    recipient: OfficeId,
    now: OffsetDateTime,
) -> Result<UnitHeader> {
    let mut kinds = BTreeSet::new();
    let mut service_month = None;
    for (name, _) in &unit.files {
        if let Ok(n) = tsunagu_standard::StandardFileName::parse(name) {
            kinds.insert(n.kind.prefix().to_string());
            if let (None, FileMonth::Month(ym)) = (&service_month, n.month) {
                service_month = Some(ServiceMonth::parse(&ym.to_string())?);
            }
        }
    }
    Ok(UnitHeader {
        sender,
        recipient,
        unit_id: UnitId::parse(unit.key.serial.as_str())?,
        created_at: now,
        kinds: kinds.into_iter().collect(),
        service_month,
    })
}

/// Sends the planned units. Refused units are reported, never sealed.
pub async fn send(
    desk: &Desk,
    me: &DeviceSecretKeys,
    plan: Plan,
    progress: &dyn Progress,
) -> Result<SendReport> {
    let mut report = SendReport {
        unplaced: plan.unplaced,
        units: Vec::new(),
    };
    let mut keys_cache: HashMap<OfficeId, Vec<DevicePublicKeys>> = HashMap::new();
    let mut hub_down = false;
    progress.start(plan.units.len() as u64, "送信");
    for unit in plan.units {
        let result = if unit.has_errors() {
            if let Ok((_, recipient)) = office_ids(&unit) {
                desk.store.saw_partner(&recipient, now_unix()).await?;
            }
            UnitResult::Refused
        } else if hub_down {
            UnitResult::NotAttempted
        } else {
            match send_one(desk, me, &unit, &mut keys_cache).await {
                Ok(r) => r,
                Err(e) => {
                    if matches!(e, DeskError::HubUnreachable { .. }) {
                        hub_down = true;
                    }
                    if let DeskError::Database(_) = e {
                        // The local store failing is not a per-unit problem: stop here.
                        progress.finish();
                        return Err(e);
                    }
                    UnitResult::Failed(e)
                }
            }
        };
        tracing::info!(unit = %unit.key.serial, files = unit.files.len(), result = result.kind(), "send unit");
        progress.tick(&unit.label);
        report.units.push(UnitOutcome { unit, result });
    }
    progress.finish();
    Ok(report)
}

async fn keys_for(
    desk: &Desk,
    office: OfficeId,
    cache: &mut HashMap<OfficeId, Vec<DevicePublicKeys>>,
) -> Result<Vec<DevicePublicKeys>> {
    if let Some(k) = cache.get(&office) {
        return Ok(k.clone());
    }
    let now = now_unix();
    let directory = match desk.client.office_keys(&office).await? {
        Some(d) => d,
        None => {
            desk.store
                .set_partner_on_hub(&office, false, None, now)
                .await?;
            return Err(DeskError::OfficeNotOnHub(office.to_string()));
        }
    };
    if office != desk.config.office_id {
        desk.store
            .set_partner_on_hub(&office, true, Some(&directory.office.name), now)
            .await?;
    }
    let keys = pins::trusted_directory_keys(&desk.store, &directory, now).await?;
    cache.insert(office, keys.clone());
    Ok(keys)
}

async fn send_one(
    desk: &Desk,
    me: &DeviceSecretKeys,
    unit: &PlannedUnit,
    cache: &mut HashMap<OfficeId, Vec<DevicePublicKeys>>,
) -> Result<UnitResult> {
    let (sender, recipient) = office_ids(unit)?;
    desk.store.saw_partner(&recipient, now_unix()).await?;
    if sender != desk.config.office_id {
        return Err(DeskError::NotMySend {
            unit: unit.label.clone(),
            sender: sender.to_string(),
            me: desk.config.office_id.to_string(),
        });
    }
    let unit_id = unit.key.serial.as_str().to_string();
    let digest = files_digest(&unit.files);
    let stored = match desk.store.sent_unit(&sender, &recipient, &unit_id).await? {
        Some(existing) => {
            if existing.files_sha256 != digest {
                return Err(DeskError::UnitChanged {
                    unit: unit.label.clone(),
                });
            }
            if let (true, Some(id)) = (existing.status.is_uploaded(), &existing.envelope_id) {
                return Ok(UnitResult::AlreadySent {
                    envelope_id: id.clone(),
                    status: existing.status,
                });
            }
            existing
        }
        None => {
            let mut recipients = keys_for(desk, recipient, cache).await?;
            recipients.extend(keys_for(desk, sender, cache).await?);
            // This device always can read its own sent copy, whatever the directory says.
            recipients.push(me.public().clone());
            let now = OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::now_utc());
            let header = unit_header(unit, sender, recipient, now)?;
            let envelope = tsunagu_seal::seal(&unit.files, &header, me, &recipients)?;
            let row = SentUnit {
                sender,
                recipient,
                unit_id: unit_id.clone(),
                kinds: envelope.routing.kinds.clone(),
                service_month: envelope
                    .routing
                    .service_month
                    .as_ref()
                    .map(|m| m.as_str().to_string()),
                file_names: unit.file_names(),
                files_sha256: digest,
                routing_json: String::from_utf8(envelope.routing.to_json_bytes())
                    .map_err(|e| DeskError::Database(e.to_string()))?,
                ciphertext_sha256: envelope.routing.ciphertext_sha256.clone(),
                size: envelope.routing.size as i64,
                ciphertext: Some(envelope.ciphertext),
                sealed_at: now.unix_timestamp(),
                uploaded_at: None,
                envelope_id: None,
                status: SentStatus::Sealed,
                rejection_reason: None,
                last_error: None,
                hub_resent_at: None,
                hub_resends: 0,
            };
            crate::unit_files::keep(
                &desk.store,
                &crate::unit_files::UnitRef {
                    flow: crate::unit_files::Flow::Sent,
                    sender,
                    recipient,
                    unit_id: unit_id.clone(),
                },
                &unit.files,
            )
            .await?;
            // Stored before the upload: a retry sends these bytes, never a new sealing.
            desk.store.insert_sealed(&row).await?;
            row
        }
    };
    upload(desk, stored).await
}

async fn upload(desk: &Desk, unit: SentUnit) -> Result<UnitResult> {
    let routing = RoutingMetadata::from_json_bytes(unit.routing_json.as_bytes())?;
    let ciphertext = unit.ciphertext.clone().unwrap_or_default();
    match desk.client.send_envelope(&routing, ciphertext).await {
        Ok(answer) => {
            desk.store
                .mark_uploaded(
                    &unit.sender,
                    &unit.recipient,
                    &unit.unit_id,
                    &answer.envelope_id,
                    answer.status,
                    now_unix(),
                )
                .await?;
            Ok(UnitResult::Uploaded {
                envelope_id: answer.envelope_id,
                created: answer.created,
            })
        }
        Err(e) => {
            desk.store
                .mark_upload_failed(&unit.sender, &unit.recipient, &unit.unit_id, &e.to_string())
                .await?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../standard/tests/fixtures");

    fn fixture(dir: &str, name: &str) -> (String, Vec<u8>) {
        let bytes = std::fs::read(format!("{FIXTURES}/{dir}/{name}")).unwrap();
        (name.to_string(), bytes)
    }

    fn plan_unit() -> Vec<(String, Vec<u8>)> {
        vec![
            fixture(
                "valid",
                "UPSIKYU_202504_3100000001_43_3100000101_11_20250325090000.CSV",
            ),
            fixture(
                "valid",
                "UPPLAN_202504_3100000001_43_3100000101_11_20250325090000.CSV",
            ),
            fixture(
                "valid",
                "UPHOSOKU_202504_3100000001_43_3100000101_11_20250325090000.CSV",
            ),
        ]
    }

    #[test]
    fn plan_groups_by_unit_and_orders_by_serial() {
        let mut files = plan_unit();
        files.push(fixture(
            "valid",
            "UPJSK_202504_3100000101_11_3100000001_43_20250503100000.CSV",
        ));
        // A later unit of the same pair given first still comes after.
        let mut later = plan_unit()[1].clone();
        later.0 = later.0.replace("20250325090000", "20250326090000");
        files.insert(0, later);
        let p = plan(files).unwrap();
        let serials: Vec<&str> = p.units.iter().map(|u| u.key.serial.as_str()).collect();
        assert_eq!(p.units.len(), 3);
        // BTreeMap order: sender first, then ファイル連番 within a pair.
        assert_eq!(
            serials,
            vec!["20250325090000", "20250326090000", "20250503100000"]
        );
        assert_eq!(p.units[0].files.len(), 3);
        assert!(!p.units[0].has_errors(), "{:?}", p.units[0].findings);
        // The lone UPPLAN unit lacks its 第7表 and 補足: a unit-level error.
        assert!(p.units[1].has_errors());
        assert!(p.unplaced.is_empty());
    }

    #[test]
    fn broken_files_and_strangers_are_reported() {
        let files = vec![
            fixture(
                "broken",
                "UPPLAN_202504_3100000001_43_3100000101_11_20250401000014.CSV",
            ),
            ("readme.txt".to_string(), b"hello".to_vec()),
        ];
        let p = plan(files).unwrap();
        assert_eq!(p.units.len(), 1);
        assert!(p.units[0].has_errors());
        assert!(
            p.units[0]
                .findings
                .iter()
                .any(|f| f.code == "E-FLD-003" && f.line.is_some() && f.field_no.is_some()),
            "{:?}",
            p.units[0].findings
        );
        assert!(!p.unplaced.is_empty());
        assert!(p.unplaced.iter().all(|f| f.file == "readme.txt"));
    }

    #[test]
    fn duplicates_and_empty_input_are_refused() {
        let mut files = plan_unit();
        files.push(files[0].clone());
        assert_eq!(plan(files).unwrap_err().code(), "E-DESK-043");
        assert_eq!(plan(vec![]).unwrap_err().code(), "E-DESK-044");
    }

    #[test]
    fn digest_ignores_order_but_sees_any_change() {
        let files = plan_unit();
        let mut reversed = files.clone();
        reversed.reverse();
        assert_eq!(files_digest(&files), files_digest(&reversed));
        let mut changed = files.clone();
        changed[0].1[10] ^= 1;
        assert_ne!(files_digest(&files), files_digest(&changed));
    }

    #[test]
    fn header_carries_kinds_and_month() {
        let p = plan(plan_unit()).unwrap();
        let u = &p.units[0];
        let (s, r) = office_ids(u).unwrap();
        let h = unit_header(u, s, r, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!(h.kinds, vec!["UPHOSOKU", "UPPLAN", "UPSIKYU"]);
        assert_eq!(h.service_month.unwrap().as_str(), "202504");
        assert_eq!(h.unit_id.as_str(), "20250325090000");
    }
}
