//! What every way of registering this PC as a device shares — `tsunagu office init` on the
//! command line and the desk's setup page: the passphrase rules, the default device name and
//! the test-only key-file work factor. The registration itself is [`crate::init`].

use tsunagu_seal::{ExposeSecret, SecretString};

use crate::error::{DeskError, Result};

/// A new key file's passphrase has at least this many characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Test-only knob: scrypt work factor (log2) of a new key file. Not in `--help`; a value below
/// the default is announced loudly, because it makes the key file easier to brute-force.
pub const WORK_FACTOR_ENV: &str = "TSUNAGU_KEY_WORK_FACTOR";

/// The work factor from [`WORK_FACTOR_ENV`], or `None` (the seal crate's default).
pub fn key_work_factor_from_env() -> Result<Option<u8>> {
    let Ok(v) = std::env::var(WORK_FACTOR_ENV) else {
        return Ok(None);
    };
    match v.trim().parse::<u8>() {
        Ok(f) if (1..=tsunagu_seal::KEY_FILE_MAX_WORK_FACTOR).contains(&f) => Ok(Some(f)),
        _ => Err(DeskError::WorkFactorInvalid {
            var: WORK_FACTOR_ENV,
            max: tsunagu_seal::KEY_FILE_MAX_WORK_FACTOR,
        }),
    }
}

/// The warning to print when the work factor is below the default (for the terminal).
pub fn work_factor_warning(factor: Option<u8>) -> Option<String> {
    let f = factor?;
    (f < tsunagu_seal::KEY_FILE_WORK_FACTOR).then(|| {
        format!(
            "警告: {WORK_FACTOR_ENV}={f} により、鍵ファイルの暗号化強度を標準（{}）より下げています。テスト専用です。実際の事業所では使わないでください。",
            tsunagu_seal::KEY_FILE_WORK_FACTOR
        )
    })
}

/// A new passphrase is long enough and, when typed twice, the same both times.
pub fn check_new_passphrase(first: &SecretString, second: Option<&SecretString>) -> Result<()> {
    if let Some(second) = second {
        // Not constant-time: both values come from the same person in the same form.
        if first.expose_secret() != second.expose_secret() {
            return Err(DeskError::PassphraseMismatch);
        }
    }
    if first.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(DeskError::PassphraseTooShort {
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    Ok(())
}

/// The PC's host name, or a plain default.
pub fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "事務所の端末".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_rules() {
        let s = |v: &str| SecretString::from(v.to_string());
        assert!(check_new_passphrase(&s("12345678"), Some(&s("12345678"))).is_ok());
        assert!(check_new_passphrase(&s("ひみつのあいことば"), None).is_ok());
        let e = check_new_passphrase(&s("1234567"), Some(&s("1234567"))).unwrap_err();
        assert_eq!(e.code(), "E-DESK-074");
        let e = check_new_passphrase(&s("12345678"), Some(&s("12345679"))).unwrap_err();
        assert_eq!(e.code(), "E-DESK-072");
    }

    #[test]
    fn warning_only_below_the_default() {
        assert!(work_factor_warning(None).is_none());
        assert!(work_factor_warning(Some(tsunagu_seal::KEY_FILE_WORK_FACTOR)).is_none());
        assert!(work_factor_warning(Some(4)).unwrap().contains("テスト専用"));
    }
}
