//! Operator functions: what `tsunagu hub …` subcommands call (and tests, and the demo).

use tsunagu_standard::OfficeId;

use crate::auth::{invite_hash, new_id, new_invite_code};
use crate::store::{
    AuditVerification, Device, Municipality, Office, RetentionPolicy, RetentionReport, Store,
    StoreError, WebRole, WebUser,
};

/// Shortest password accepted for a web user.
pub const MIN_PASSWORD_CHARS: usize = 10;

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
    #[error("E-HUB-OPS-006 ログイン名は3〜64文字の半角英数字と . _ @ - で書いてください（{0:?}）")]
    Login(String),
    #[error("E-HUB-OPS-007 パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください")]
    ShortPassword,
    #[error("E-HUB-OPS-008 ログイン名 {0} はすでに使われています")]
    LoginExists(String),
    #[error(
        "E-HUB-OPS-009 市区町村コードのどれかが、すでに別の市区町村のアカウントに登録されています"
    )]
    CodeTaken,
    #[error("E-HUB-OPS-010 市区町村名を入力し、市区町村コードを1つ以上指定してください")]
    EmptyMunicipality,
    #[error("E-HUB-OPS-011 パスワードを保存用に変換できませんでした: {0}")]
    Password(String),
    #[error("E-HUB-OPS-012 市区町村コード {0} の市区町村のアカウントはありません")]
    NoMunicipality(String),
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

fn check_login(login: &str) -> Result<String, OpsError> {
    let login = login.trim();
    let ok = (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(login.to_string())
    } else {
        Err(OpsError::Login(login.to_string()))
    }
}

/// Creates a web user with an Argon2id hash of `password`.
pub async fn create_web_user(
    store: &dyn Store,
    login: &str,
    password: &str,
    role: WebRole,
    muni_id: Option<&str>,
    now: i64,
) -> Result<WebUser, OpsError> {
    let login = check_login(login)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(OpsError::ShortPassword);
    }
    let password_hash = crate::web::session::hash_password(password.to_string())
        .await
        .map_err(OpsError::Password)?;
    let user = WebUser {
        user_id: new_id("usr"),
        login: login.clone(),
        password_hash,
        role,
        muni_id: muni_id.map(str::to_string),
        created_at: now,
        disabled_at: None,
    };
    match store.create_web_user(&user).await {
        Ok(()) => Ok(user),
        Err(StoreError::AlreadyExists) => Err(OpsError::LoginExists(login)),
        Err(e) => Err(e.into()),
    }
}

/// Creates a municipality account bound to `codes` and its first user.
pub async fn create_municipality(
    store: &dyn Store,
    name: &str,
    codes: &[String],
    login: &str,
    password: &str,
    now: i64,
) -> Result<(Municipality, WebUser), OpsError> {
    let name = name.trim();
    if name.is_empty() || codes.is_empty() {
        return Err(OpsError::EmptyMunicipality);
    }
    let mut parsed = codes
        .iter()
        .map(|c| parse_municipality(c))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    // Check the user's inputs before anything is written.
    check_login(login)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(OpsError::ShortPassword);
    }
    if store.web_user_by_login(login.trim()).await?.is_some() {
        return Err(OpsError::LoginExists(login.trim().to_string()));
    }
    let muni = Municipality {
        muni_id: new_id("muni"),
        name: name.to_string(),
        codes: parsed,
        created_at: now,
    };
    match store.create_municipality(&muni).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists) => return Err(OpsError::CodeTaken),
        Err(e) => return Err(e.into()),
    }
    let user = create_web_user(
        store,
        login,
        password,
        WebRole::Municipality,
        Some(&muni.muni_id),
        now,
    )
    .await?;
    Ok((muni, user))
}

/// The municipality account a 6-digit code belongs to.
pub async fn municipality_by_code(store: &dyn Store, code: &str) -> Result<Municipality, OpsError> {
    let code = parse_municipality(code)?;
    store
        .municipalities()
        .await?
        .into_iter()
        .find(|m| m.codes.contains(&code))
        .ok_or(OpsError::NoMunicipality(code))
}

/// Adds a user to an existing municipality account (a second person at the city, or a
/// replacement): same checks as the first user; `NotFound` from the store for an unknown id.
pub async fn add_municipality_user(
    store: &dyn Store,
    muni_id: &str,
    login: &str,
    password: &str,
    now: i64,
) -> Result<(Municipality, WebUser), OpsError> {
    let muni = store
        .municipality(muni_id)
        .await?
        .ok_or(OpsError::Store(StoreError::NotFound))?;
    let user = create_web_user(
        store,
        login,
        password,
        WebRole::Municipality,
        Some(&muni.muni_id),
        now,
    )
    .await?;
    Ok((muni, user))
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

    #[test]
    fn logins_are_plain() {
        assert_eq!(check_login(" yonago.city ").unwrap(), "yonago.city");
        assert!(check_login("ab").is_err());
        assert!(check_login("米子").is_err());
        assert!(check_login("a b c").is_err());
    }
}
