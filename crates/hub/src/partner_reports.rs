//! `PUT /api/v1/partners`: a desk reports the partner offices of its office — office numbers
//! only — so the municipal outreach list can count partners that still fax (they never appear
//! in the hub's sender → recipient graph). The report replaces the office's previous one.
//!
//! What the hub keeps: the reporting office, the partner numbers, units per month when the desk
//! counted them, and when. What a municipality sees of it: per office of its own, how many
//! adopted offices named it — never which (see `web::outreach`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use tsunagu_protocol::{
    ErrorBody, ErrorCode, MAX_REPORTED_PARTNERS, PartnerReport, PartnerReportError,
    PartnerReportResponse,
};

use crate::auth::DeviceAuth;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::{now_unix, to_datetime};

/// Days a report counts. Desks report at least once a day while they run; five weeks cover a
/// month's cycle of care plans plus a PC switched off over the holidays. Older reports are
/// ignored by the dashboard and deleted by the next report of any office.
pub const REPORT_RETENTION_DAYS: u32 = 35;

/// Oldest `reported_at` that still counts at `now`.
pub fn counts_since(now: i64) -> i64 {
    now - i64::from(REPORT_RETENTION_DAYS) * 86_400
}

fn refused(e: PartnerReportError) -> ApiError {
    match e {
        PartnerReportError::TooMany(n) => ApiError::detail(
            ErrorCode::PayloadTooLarge,
            &format!("取引先は {MAX_REPORTED_PARTNERS} 件までです（{n} 件）"),
            &e.to_string(),
        ),
        PartnerReportError::OfficeNumber(i) => ApiError::detail(
            ErrorCode::PartnersInvalid,
            &format!("{} 件目の事業所番号", i + 1),
            &e.to_string(),
        ),
        PartnerReportError::Units(i) => ApiError::detail(
            ErrorCode::PartnersInvalid,
            &format!("{} 件目の件数", i + 1),
            &e.to_string(),
        ),
    }
}

/// Replaces the caller's office's partner report (an empty list withdraws it). Only 10-digit
/// office numbers and optional units per month are accepted; any other field is refused.
#[utoipa::path(put, path = "/api/v1/partners", tag = "partners", security(("bearer" = [])),
    request_body = PartnerReport,
    responses(
        (status = 200, body = PartnerReportResponse, description = "stored; replaces the previous report"),
        (status = 400, body = ErrorBody, description = "E-HUB-400 malformed JSON or an unknown field"),
        (status = 401, body = ErrorBody, description = "E-HUB-100 no or unknown token, E-HUB-101 revoked device"),
        (status = 413, body = ErrorBody, description = "E-HUB-413 more than 2,000 partners (or body over the JSON limit)"),
        (status = 422, body = ErrorBody, description = "E-HUB-420 an office number is not 10 digits, or a count is out of range"),
    ))]
pub async fn put_partners(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    body: Result<Json<PartnerReport>, JsonRejection>,
) -> Result<Json<PartnerReportResponse>, ApiError> {
    let report = crate::routes::json_body(body)?;
    let partners: Vec<_> = report
        .check(&caller.office_id.number)
        .map_err(refused)?
        .into_iter()
        .collect();
    let now = now_unix();
    state
        .store
        .replace_partner_report(&caller.office_id, &partners, now, counts_since(now))
        .await?;
    // Counts only: the numbers are the office's business relations.
    tracing::info!(office = %caller.office_id, partners = partners.len(), "partner report stored");
    Ok(Json(PartnerReportResponse {
        stored: u32::try_from(partners.len()).unwrap_or(u32::MAX),
        reported_at: to_datetime(now),
        counts_for_days: REPORT_RETENTION_DAYS,
    }))
}
