//! 効果の前提を変える: a municipality replaces numbers of the effect model on 効果 — per-task
//! minutes, the hourly wage, paper, postage and transport costs, the shares of FAX, mail and
//! hand delivery — with its own, and goes back to the defaults. Stored as one JSON setting per
//! account ([`SETTING`]): only the numbers it changed, each with who changed it and when, laid
//! over the defaults (or its own time study), so every row on the page still says where its
//! number comes from.
//!
//! A row sent back unchanged (the same text the page showed) keeps what it had: saving the form
//! never turns the defaults into "changed by the city".

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tsunagu_insight::effect::{EffectError, EffectParams};

use super::session::{MuniUser, see_other};
use super::{city, muni_setting};
use crate::error::WebError;
use crate::startup::AppState;

/// The setting's name in `muni_settings`.
pub const SETTING: &str = "effect_params";

/// One number the municipality set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub value: f64,
    pub set_at: i64,
    /// Login of the web user.
    pub set_by: String,
}

/// The numbers a municipality set, by parameter key (`fax_minutes`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectOverrides {
    pub values: BTreeMap<String, Override>,
}

/// A number as the page shows it and expects it back: whole numbers without decimals, others
/// with three.
pub fn value_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// The largest sensible value per unit: a typo (an extra zero or two) is refused, not
/// multiplied into the city's report.
pub fn max_for(unit: &str) -> f64 {
    match unit {
        "割合" => 1.0,
        "分/件" => 600.0,
        "枚/件" => 100.0,
        "円/枚" => 1_000.0,
        "円/通" => 10_000.0,
        "円/時" | "円/回" => 100_000.0,
        _ => 1_000_000.0,
    }
}

/// Reads a number as people type it: full-width digits, thousands separators, spaces.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s: String = raw
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
            '．' => Some('.'),
            ',' | '，' | ' ' | '\u{3000}' => None,
            c => Some(c),
        })
        .collect();
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl EffectOverrides {
    /// `base` (defaults, or the city's study) with these numbers, each saying when and by
    /// whom it was set and what it replaced; the model's own error when they do not fit
    /// together.
    pub fn try_apply(&self, base: &EffectParams) -> Result<EffectParams, EffectError> {
        let mut values = Vec::new();
        for (key, o) in &self.values {
            let Some(b) = base.all().into_iter().find(|b| b.key == key) else {
                // A key the model no longer has (an older hub wrote it): nothing to replace.
                tracing::warn!(key = %key, "stored effect parameter skipped");
                continue;
            };
            let source = format!(
                "{} に {} が変更（変更前: {} {}、{}：{}）",
                city::day_of(o.set_at),
                o.set_by,
                value_text(b.value),
                b.unit,
                b.basis.label(),
                b.source
            );
            values.push((b.key, o.value, source));
        }
        let mut p = base.clone();
        p.set_many(&values)?;
        Ok(p)
    }

    /// [`Self::try_apply`], or `base` when the stored numbers do not fit together (checked
    /// when saved; only a hand-edited database gets there).
    pub fn apply(&self, base: &EffectParams) -> EffectParams {
        self.try_apply(base).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "stored effect parameters refused; defaults used");
            base.clone()
        })
    }
}

/// A refusal of the form: the row's label (or empty for the whole form) and why.
pub type FormError = (String, String);

/// Reads the form (`p_{key}` per number) against the numbers without the city's changes
/// (`base`) and its current changes. Unchanged rows keep what they had; a row set back to the
/// base value drops its change.
pub fn read_form(
    fields: &[(String, String)],
    base: &EffectParams,
    current: &EffectOverrides,
    now: i64,
    by: &str,
) -> Result<EffectOverrides, Vec<FormError>> {
    let mut next = current.clone();
    let mut errors = Vec::new();
    for b in base.all() {
        let Some(raw) = fields
            .iter()
            .find(|(k, _)| k.strip_prefix("p_") == Some(b.key))
            .map(|(_, v)| v.trim())
        else {
            continue;
        };
        let shown = current.values.get(b.key).map_or(b.value, |o| o.value);
        if raw == value_text(shown) {
            continue;
        }
        let max = max_for(b.unit);
        match parse_number(raw) {
            None => errors.push((b.label.to_string(), "数値で書いてください".into())),
            Some(v) if v < 0.0 => {
                errors.push((b.label.to_string(), "0以上の数にしてください".into()))
            }
            Some(v) if v > max => errors.push((
                b.label.to_string(),
                format!("{} {} 以下にしてください", value_text(max), b.unit),
            )),
            Some(v) if value_text(v) == value_text(b.value) => {
                next.values.remove(b.key);
            }
            Some(v) => {
                next.values.insert(
                    b.key.to_string(),
                    Override {
                        value: v,
                        set_at: now,
                        set_by: by.to_string(),
                    },
                );
            }
        }
    }
    if errors.is_empty()
        && let Err(e) = next.try_apply(base)
    {
        errors.push((String::new(), e.to_string()));
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

/// The account's changes and the stored version (0: none stored yet).
pub async fn load(state: &AppState, muni_id: &str) -> Result<(EffectOverrides, i64), WebError> {
    muni_setting::load(state, muni_id, SETTING).await
}

async fn save(
    state: &AppState,
    user: &MuniUser,
    o: &EffectOverrides,
    version: i64,
) -> Result<(), WebError> {
    let conflict = "E-WEB-EFFECT ほかの人が同時に前提を変更しました。画面を開き直してから、もう一度入力してください。";
    muni_setting::save(state, user, SETTING, o, version, conflict).await
}

/// The version the form was shown with (its hidden field), so a save over someone else's
/// newer one is refused instead of silently undoing it.
fn form_version(fields: &[(String, String)]) -> Result<i64, WebError> {
    fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| {
            WebError::BadInput(
                "E-WEB-EFFECT 画面を開き直してから、もう一度入力してください。".into(),
            )
        })
}

/// `POST /m/effect/assumptions`: saves the numbers; a refusal shows the page again with the
/// numbers as typed and the reasons beside them, and stores nothing.
pub async fn save_form(
    State(state): State<AppState>,
    user: MuniUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let version = form_version(&fields)?;
    let city = city::load(&state, &user.muni_id).await?;
    let base = super::effect::base_params(&city);
    match read_form(
        &fields,
        &base,
        &city.effect_overrides,
        crate::now_unix(),
        &user.session.user.login,
    ) {
        Ok(next) => {
            save(&state, &user, &next, version).await?;
            tracing::info!(muni = %user.muni_id, changed = next.values.len(), "effect assumptions saved");
            Ok(see_other("/m/effect?saved=1#assumptions"))
        }
        Err(errors) => super::effect::page_with_errors(&user, &city, &fields, &errors),
    }
}

/// `POST /m/effect/assumptions/reset`: back to the defaults (and the city's own study).
pub async fn reset(
    State(state): State<AppState>,
    user: MuniUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let version = form_version(&fields)?;
    save(&state, &user, &EffectOverrides::default(), version).await?;
    tracing::info!(muni = %user.muni_id, "effect assumptions reset");
    Ok(see_other("/m/effect?reset=1#assumptions"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(parse_number("２，５００"), Some(2500.0));
        assert_eq!(parse_number(" 1.5 "), Some(1.5));
        assert_eq!(parse_number("１．２５"), Some(1.25));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(value_text(2000.0), "2000");
        assert_eq!(value_text(41.5 * 58.0 / 2191.0), "1.099");
    }

    #[test]
    fn unchanged_rows_stay_defaults_and_changes_say_who_and_when() {
        let base = EffectParams::default();
        let fax = value_text(base.fax_minutes.value);
        // The form sent back as shown: nothing changes.
        let same = read_form(
            &f(&[
                ("p_hourly_labour_yen", "2000"),
                ("p_fax_minutes", &fax),
                ("version", "0"),
            ]),
            &base,
            &EffectOverrides::default(),
            1_790_000_000,
            "city-a",
        )
        .unwrap();
        assert!(same.values.is_empty());
        // Two changes; the wage typed with full-width digits and a separator.
        let next = read_form(
            &f(&[
                ("p_hourly_labour_yen", "２，４００"),
                ("p_fax_minutes", "3"),
            ]),
            &base,
            &EffectOverrides::default(),
            1_790_000_000,
            "city-a",
        )
        .unwrap();
        assert_eq!(next.values.len(), 2);
        let p = next.apply(&base);
        assert_eq!(
            (p.hourly_labour_yen.value, p.fax_minutes.value),
            (2400.0, 3.0)
        );
        assert!(
            p.hourly_labour_yen
                .source
                .starts_with("2026-09-21 に city-a が変更（変更前: 2000 円/時、仮定（要設定）："),
            "{}",
            p.hourly_labour_yen.source
        );
        assert_eq!(p.postage_yen, base.postage_yen);
        // Set back to the default: the change is dropped; the other stays with its date.
        let back = read_form(
            &f(&[("p_hourly_labour_yen", "2000"), ("p_fax_minutes", "3")]),
            &base,
            &next,
            1_790_100_000,
            "city-b",
        )
        .unwrap();
        assert_eq!(back.values.keys().collect::<Vec<_>>(), ["fax_minutes"]);
        assert_eq!(back.values["fax_minutes"].set_by, "city-a");
    }

    #[test]
    fn refusals_name_the_row() {
        let base = EffectParams::default();
        let e = read_form(
            &f(&[
                ("p_hourly_labour_yen", "たくさん"),
                ("p_postage_yen", "-1"),
                ("p_fax_minutes", "6000"),
            ]),
            &base,
            &EffectOverrides::default(),
            0,
            "x",
        )
        .unwrap_err();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].0, "人件費（1時間あたり）");
        assert!(e[1].1.contains("0以上") && e[2].1.contains("600 分/件 以下"));
        // Shares over 1 together: the model's own check, for the whole form.
        let e = read_form(
            &f(&[("p_share_fax", "0.9"), ("p_share_mail", "0.3")]),
            &base,
            &EffectOverrides::default(),
            0,
            "x",
        )
        .unwrap_err();
        assert_eq!(e[0].0, "");
        assert!(e[0].1.contains("合計が1を超えています"), "{e:?}");
    }
}
