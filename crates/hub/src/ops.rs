//! Operator functions: what `tsunagu hub …` subcommands call (and tests, and the demo).

use tsunagu_standard::OfficeId;

use crate::auth::{invite_hash, new_invite_code};
use crate::store::{
    AuditVerification, Device, Office, RetentionPolicy, RetentionReport, Store, StoreError,
};

/// Why an operator action failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("E-HUB-OPS-001 市区町村コードは半角数字6桁です（{0:?}）")]
    Municipality(String),
    #[error("E-HUB-OPS-002 事業所名を入力してください")]
    EmptyName,
    #[error(
        "E-HUB-OPS-003 事業所 {0} はまだ登録されていません。--name と --municipality を指定すると登録します"
    )]
    OfficeMissing(OfficeId),
    #[error("E-HUB-OPS-004 事業所 {0} はすでに登録されています")]
    OfficeExists(OfficeId),
    #[error("E-HUB-OPS-005 データベースの操作に失敗しました: {0}")]
    Store(#[from] StoreError),
}

/// Checks a 6-digit 市区町村コード (digits only; the check digit is the insight crate's concern).
pub fn parse_municipality(code: &str) -> Result<String, OpsError> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err(OpsError::Municipality(code.to_string()))
    }
}

/// Registers an office.
pub async fn create_office(
    store: &dyn Store,
    office_id: OfficeId,
    name: &str,
    municipality: &str,
    now: i64,
) -> Result<Office, OpsError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OpsError::EmptyName);
    }
    let office = Office {
        office_id,
        name: name.to_string(),
        municipality_code: parse_municipality(municipality)?,
        created_at: now,
    };
    match store.create_office(&office).await {
        Ok(()) => Ok(office),
        Err(StoreError::AlreadyExists) => Err(OpsError::OfficeExists(office_id)),
        Err(e) => Err(e.into()),
    }
}

/// An issued invite: hand `code` to the office (it is not stored anywhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvite {
    pub office: Office,
    pub code: String,
    pub expires_at: i64,
    /// Whether the office was registered by this call.
    pub office_created: bool,
}

/// Issues a single-use invite for an office, registering the office first when `name` and
/// `municipality` are given and it does not exist yet.
pub async fn issue_invite(
    store: &dyn Store,
    office_id: OfficeId,
    name: Option<&str>,
    municipality: Option<&str>,
    ttl_days: u32,
    now: i64,
) -> Result<IssuedInvite, OpsError> {
    let (office, office_created) = match store.office(&office_id).await? {
        Some(office) => (office, false),
        None => match (name, municipality) {
            (Some(name), Some(municipality)) => (
                create_office(store, office_id, name, municipality, now).await?,
                true,
            ),
            _ => return Err(OpsError::OfficeMissing(office_id)),
        },
    };
    let code = new_invite_code();
    let expires_at = now + i64::from(ttl_days.max(1)) * 86_400;
    store
        .create_invite(&office_id, &invite_hash(&code), now, expires_at)
        .await?;
    Ok(IssuedInvite {
        office,
        code,
        expires_at,
        office_created,
    })
}

/// An office with its devices, for listings.
#[derive(Debug, Clone)]
pub struct OfficeListing {
    pub office: Office,
    pub devices: Vec<Device>,
}

/// Every office with its devices.
pub async fn list_offices(store: &dyn Store) -> Result<Vec<OfficeListing>, OpsError> {
    let offices = store.offices().await?;
    let mut devices = store.devices(None).await?;
    Ok(offices
        .into_iter()
        .map(|office| {
            let (mine, rest): (Vec<_>, Vec<_>) = devices
                .drain(..)
                .partition(|d| d.office_id == office.office_id);
            devices = rest;
            OfficeListing {
                office,
                devices: mine,
            }
        })
        .collect())
}

/// Walks the audit chain.
pub async fn verify_audit(store: &dyn Store) -> Result<AuditVerification, OpsError> {
    Ok(store.verify_audit().await?)
}

/// Runs one retention pass now.
pub async fn run_retention(
    store: &dyn Store,
    policy: RetentionPolicy,
    now: i64,
) -> Result<RetentionReport, OpsError> {
    let report = store.run_retention(policy, now).await?;
    if report.deleted_after_final + report.deleted_unacknowledged > 0 {
        tracing::info!(
            deleted_after_final = report.deleted_after_final,
            deleted_unacknowledged = report.deleted_unacknowledged,
            "retention deleted ciphertext"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn municipality_is_six_digits() {
        assert_eq!(parse_municipality(" 131016 ").unwrap(), "131016");
        assert!(parse_municipality("13101").is_err());
        assert!(parse_municipality("13101a").is_err());
    }
}
