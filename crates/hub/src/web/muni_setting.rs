//! A municipality's own settings (its survey questions, its effect assumptions): one JSON value
//! per key, changed with compare-and-set on the version the form was drawn from, so two people
//! editing at once cannot silently overwrite each other.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::session::MuniUser;
use crate::error::WebError;
use crate::startup::AppState;

/// The value stored under `key` (the type's default when none is) and its version (0: none
/// stored yet). A value that does not parse is a corrupt database, not a user error.
pub async fn load<T: DeserializeOwned + Default>(
    state: &AppState,
    muni_id: &str,
    key: &str,
) -> Result<(T, i64), WebError> {
    match state.store.muni_setting(muni_id, key).await? {
        Some(s) => {
            let value = serde_json::from_str(&s.value)
                .map_err(|e| WebError::Internal(format!("setting {key}: {e}")))?;
            Ok((value, s.version))
        }
        None => Ok((T::default(), 0)),
    }
}

/// Stores `value` under `key` if the stored version is still `version`; otherwise answers
/// `conflict` (a Japanese message with its code) and stores nothing.
pub async fn save<T: Serialize>(
    state: &AppState,
    user: &MuniUser,
    key: &str,
    value: &T,
    version: i64,
    conflict: &str,
) -> Result<(), WebError> {
    let json = serde_json::to_string(value)
        .map_err(|e| WebError::Internal(format!("setting {key}: {e}")))?;
    let written = state
        .store
        .put_muni_setting(
            &user.muni_id,
            key,
            &json,
            version,
            crate::now_unix(),
            &user.session.user.login,
        )
        .await?;
    if written {
        Ok(())
    } else {
        Err(WebError::BadInput(conflict.into()))
    }
}
