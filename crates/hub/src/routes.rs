//! HTTP handlers: thin, each checks the caller's office, then calls the store.
//!
//! Access rule: an envelope is visible only to its sender and recipient offices; to anyone
//! else it does not exist (404), so envelope ids never leak.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tsunagu_protocol::{
    DeviceInfo, DevicePublicKeys, DirectoryEntry, EnvelopeDetail, EnvelopePage, EnvelopeSummary,
    ErrorBody, ErrorCode, HealthResponse, KeyDirectory, MeResponse, OfficeInfo, PageQuery,
    PostReceiptRequest, ROUTING_HEADER, ReceiptInfo, ReceiptResponse, RegisterDeviceRequest,
    RegisterDeviceResponse, RoutingMetadata, SendEnvelopeResponse, SignedReceipt,
};
use tsunagu_seal::ReceiptStatus;
use tsunagu_standard::OfficeId;

use crate::auth::{DeviceAuth, invite_hash, new_id, new_token, token_hash};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::{
    Device, EnvelopeRecord, NewDevice, NewEnvelope, NewReceipt, Office, ReceiptKind,
    ReceiptOutcome, SendOutcome,
};
use crate::{now_unix, to_datetime};

/// Longest device name accepted (characters).
const MAX_DEVICE_NAME_CHARS: usize = 100;

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    match body {
        Ok(Json(v)) => Ok(v),
        // The rejection text can quote the body, so only its kind is reported.
        Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::detail(
            ErrorCode::BadRequest,
            "JSON の構文が正しくありません",
            "JSON syntax error",
        )),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::detail(
            ErrorCode::BadRequest,
            "Content-Type: application/json が必要です",
            "Content-Type: application/json required",
        )),
        Err(JsonRejection::BytesRejection(r)) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ErrorCode::PayloadTooLarge.into())
        }
        Err(_) => Err(ApiError::detail(
            ErrorCode::BadRequest,
            "JSON の項目が足りないか、値が正しくありません",
            "JSON fields missing or invalid",
        )),
    }
}

fn path_param(p: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    p.map(|Path(s)| s).map_err(|_| ErrorCode::BadRequest.into())
}

fn office_info(o: &Office) -> OfficeInfo {
    OfficeInfo {
        office_id: o.office_id,
        name: o.name.clone(),
        municipality_code: o.municipality_code.clone(),
    }
}

fn device_info(d: &Device) -> DeviceInfo {
    DeviceInfo {
        device_id: d.device_id.clone(),
        office_id: d.office_id,
        name: d.name.clone(),
        key_id: d.key_id.clone(),
        fingerprint: d.fingerprint.clone(),
        created_at: to_datetime(d.created_at),
        revoked_at: d.revoked_at.map(to_datetime),
    }
}

fn stored_keys(d: &Device) -> ApiResult<DevicePublicKeys> {
    serde_json::from_str(&d.public_keys_json).map_err(|e| {
        ApiError::Internal(format!(
            "stored public keys of device {} do not parse: {e}",
            d.device_id
        ))
    })
}

fn stored_routing(e: &EnvelopeRecord) -> ApiResult<RoutingMetadata> {
    RoutingMetadata::from_json_bytes(e.routing_json.as_bytes()).map_err(|err| {
        ApiError::Internal(format!(
            "stored routing of envelope {} does not parse: {err}",
            e.envelope_id
        ))
    })
}

fn summary(e: &EnvelopeRecord) -> ApiResult<EnvelopeSummary> {
    let status = e.status();
    Ok(EnvelopeSummary {
        envelope_id: e.envelope_id.clone(),
        seq: e.seq,
        routing: stored_routing(e)?,
        status,
        status_label: status.label_ja().to_string(),
        sent_at: to_datetime(e.sent_at),
        received_at: e.received_at.map(to_datetime),
        imported_at: e.imported_at.map(to_datetime),
        rejected_at: e.rejected_at.map(to_datetime),
        rejection_reason: e.rejection_reason.clone(),
        ciphertext_available: e.ciphertext_deleted_at.is_none(),
        ciphertext_deleted_at: e.ciphertext_deleted_at.map(to_datetime),
    })
}

fn page(items: Vec<EnvelopeRecord>, limit: u32) -> ApiResult<EnvelopePage> {
    let next_after = if items.len() >= limit as usize {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(EnvelopePage {
        items: items.iter().map(summary).collect::<ApiResult<_>>()?,
        next_after,
    })
}

/// The envelope if the caller's office may see it; otherwise 404, exactly as for a missing id.
async fn visible_envelope(
    state: &AppState,
    caller: &Device,
    envelope_id: &str,
) -> ApiResult<EnvelopeRecord> {
    match state.store.envelope(envelope_id).await? {
        Some(e) if e.visible_to(&caller.office_id) => Ok(e),
        _ => Err(ErrorCode::NotFound.into()),
    }
}

/// Liveness: the process answers (no database round trip).
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        database: None,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the database answers. 503 with `E-HUB-901` when it does not.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = HealthResponse),
    (status = 503, body = ErrorBody, description = "database unavailable"),
))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<HealthResponse>> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Code(ErrorCode::Unavailable)
    })?;
    Ok(Json(HealthResponse {
        status: "ok".into(),
        database: Some(state.store.backend().into()),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Registers a device of an office with a single-use invite code. The token is shown once.
#[utoipa::path(post, path = "/api/v1/devices/register", tag = "devices",
    request_body = RegisterDeviceRequest,
    responses(
        (status = 201, body = RegisterDeviceResponse),
        (status = 400, body = ErrorBody, description = "E-HUB-102 invite unknown, used or expired; E-HUB-400 malformed"),
    ))]
pub async fn register_device(
    State(state): State<AppState>,
    body: Result<Json<RegisterDeviceRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<RegisterDeviceResponse>)> {
    let req = json_body(body)?;
    let name = req.device_name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DEVICE_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::detail(
            ErrorCode::BadRequest,
            "端末名は1〜100文字で入力してください",
            "device_name must be 1-100 characters",
        ));
    }
    let token = new_token();
    let keys_json =
        serde_json::to_string(&req.keys).map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = NewDevice {
        device_id: new_id("dev"),
        name: name.to_string(),
        public_keys_json: keys_json,
        key_id: req.keys.key_id().to_string(),
        fingerprint: req.keys.fingerprint().short(),
        token_hash: token_hash(&token),
    };
    let (device, office) = state
        .store
        .register_device(&invite_hash(&req.invite_code), &new, now_unix())
        .await?;
    tracing::info!(device_id = %device.device_id, office = %office.office_id, "device registered");
    Ok((
        StatusCode::CREATED,
        Json(RegisterDeviceResponse {
            device_id: device.device_id,
            token,
            office: office_info(&office),
            fingerprint: device.fingerprint,
        }),
    ))
}

/// The calling device and its office.
#[utoipa::path(get, path = "/api/v1/me", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
) -> ApiResult<Json<MeResponse>> {
    let office = state
        .store
        .office(&device.office_id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    Ok(Json(MeResponse {
        device: device_info(&device),
        office: office_info(&office),
    }))
}

/// Revokes a device of the caller's office (including the caller itself). Another office's
/// device answers 404.
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/revoke", tag = "devices", security(("bearer" = [])),
    params(("device_id" = String, Path)),
    responses((status = 200, body = DeviceInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    device_id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<DeviceInfo>> {
    let device_id = path_param(device_id)?;
    let device = state
        .store
        .revoke_device(
            &caller.office_id,
            &device_id,
            Some(&caller.device_id),
            now_unix(),
        )
        .await?;
    tracing::info!(device_id = %device.device_id, by = %caller.device_id, "device revoked");
    Ok(Json(device_info(&device)))
}

/// An office's active devices and their public keys: seal to every one of them.
#[utoipa::path(get, path = "/api/v1/offices/{office_id}/keys", tag = "directory", security(("bearer" = [])),
    params(("office_id" = String, Path, example = "0300000100_43")),
    responses((status = 200, body = KeyDirectory), (status = 404, body = ErrorBody, description = "E-HUB-406 office not on this hub")))]
pub async fn office_keys(
    State(state): State<AppState>,
    DeviceAuth(_caller): DeviceAuth,
    office_id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<KeyDirectory>> {
    let office_id =
        OfficeId::parse(&path_param(office_id)?).map_err(|_| ErrorCode::OfficeUnknown)?;
    let office = state
        .store
        .office(&office_id)
        .await?
        .ok_or(ErrorCode::OfficeUnknown)?;
    let mut devices = Vec::new();
    for d in state.store.devices(Some(&office_id)).await? {
        if d.revoked_at.is_none() {
            devices.push(DirectoryEntry {
                keys: stored_keys(&d)?,
                device_id: d.device_id,
                name: d.name,
                fingerprint: d.fingerprint,
                registered_at: to_datetime(d.created_at),
            });
        }
    }
    Ok(Json(KeyDirectory {
        office: office_info(&office),
        devices,
    }))
}

/// Uploads an envelope. Body: the ciphertext (`application/octet-stream`). Header
/// `Tsunagu-Routing`: base64url (no padding) of the routing metadata JSON. Idempotent per
/// (sender, recipient, unit id): 201 when stored now, 200 with the same id when it was already
/// stored with the same ciphertext, 409 when it was stored with a different one.
#[utoipa::path(put, path = "/api/v1/envelopes", tag = "envelopes", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the age ciphertext"),
    params(("tsunagu-routing" = String, Header, description = "base64url (no padding) of the RoutingMetadata JSON")),
    responses(
        (status = 201, body = SendEnvelopeResponse, description = "stored"),
        (status = 200, body = SendEnvelopeResponse, description = "already stored (idempotent resend)"),
        (status = 400, body = ErrorBody, description = "E-HUB-401 routing header, E-HUB-402 size/hash mismatch"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "E-HUB-300 routing.sender is not the caller's office"),
        (status = 404, body = ErrorBody, description = "E-HUB-405 recipient office unknown"),
        (status = 409, body = ErrorBody, description = "E-HUB-409 same unit, different ciphertext"),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ))]
pub async fn send_envelope(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<SendEnvelopeResponse>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .trim()
        .eq_ignore_ascii_case("application/octet-stream")
    {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Code(ErrorCode::PayloadTooLarge)
        } else {
            ErrorCode::BadRequest.into()
        }
    })?;
    if body.len() as u64 > state.config.max_envelope_bytes {
        return Err(ErrorCode::PayloadTooLarge.into());
    }
    let header_value = headers
        .get(ROUTING_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ErrorCode::RoutingHeader)?;
    let (routing, _json) = tsunagu_protocol::decode_routing_header(header_value)
        .map_err(|_| ErrorCode::RoutingHeader)?;
    if routing.sender != caller.office_id {
        return Err(ErrorCode::SenderMismatch.into());
    }
    if state.store.office(&routing.recipient).await?.is_none() {
        return Err(ErrorCode::RecipientUnknown.into());
    }
    routing
        .check_ciphertext(&body)
        .map_err(|_| ErrorCode::CiphertextMismatch)?;
    let routing_json = String::from_utf8(routing.to_json_bytes())
        .map_err(|e| ApiError::Internal(format!("routing JSON: {e}")))?;
    let new = NewEnvelope {
        envelope_id: new_id("env"),
        sender: routing.sender,
        recipient: routing.recipient,
        unit_id: routing.unit_id.to_string(),
        kinds: routing.kinds.clone(),
        service_month: routing.service_month.as_ref().map(|m| m.to_string()),
        size: routing.size,
        ciphertext_sha256: routing.ciphertext_sha256.clone(),
        routing_json,
        sent_by: caller.device_id.clone(),
        ciphertext: body.to_vec(),
    };
    let answer = |status, e: &EnvelopeRecord, created| {
        (
            status,
            Json(SendEnvelopeResponse {
                envelope_id: e.envelope_id.clone(),
                created,
                status: e.status(),
                sent_at: to_datetime(e.sent_at),
            }),
        )
    };
    match state.store.send_envelope(new, now_unix()).await? {
        SendOutcome::Created(e) => {
            tracing::info!(envelope_id = %e.envelope_id, size = e.size, "envelope stored");
            Ok(answer(StatusCode::CREATED, &e, true))
        }
        SendOutcome::Existing(e) => {
            tracing::info!(envelope_id = %e.envelope_id, "envelope resent; already stored");
            Ok(answer(StatusCode::OK, &e, false))
        }
        SendOutcome::Conflict(e) => {
            tracing::warn!(envelope_id = %e.envelope_id, "same unit sent with different ciphertext");
            Err(ErrorCode::UnitConflict.into())
        }
    }
}

/// Envelopes waiting for the caller's office (no final receipt yet), oldest first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "envelopes", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = EnvelopePage), (status = 401, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Json<EnvelopePage>> {
    let Query(q) = query.map_err(|_| ApiError::Code(ErrorCode::BadRequest))?;
    let (after, limit) = q.resolve();
    let items = state
        .store
        .inbox(&caller.office_id, after, i64::from(limit))
        .await?;
    Ok(Json(page(items, limit)?))
}

/// Envelopes the caller's office sent, with status, oldest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "envelopes", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = EnvelopePage), (status = 401, body = ErrorBody)))]
pub async fn outbox(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Json<EnvelopePage>> {
    let Query(q) = query.map_err(|_| ApiError::Code(ErrorCode::BadRequest))?;
    let (after, limit) = q.resolve();
    let items = state
        .store
        .outbox(&caller.office_id, after, i64::from(limit))
        .await?;
    Ok(Json(page(items, limit)?))
}

/// One envelope's metadata, status and signed receipts (sender or recipient office only).
#[utoipa::path(get, path = "/api/v1/envelopes/{envelope_id}", tag = "envelopes", security(("bearer" = [])),
    params(("envelope_id" = String, Path)),
    responses((status = 200, body = EnvelopeDetail), (status = 404, body = ErrorBody)))]
pub async fn envelope_detail(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    envelope_id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<EnvelopeDetail>> {
    let envelope = visible_envelope(&state, &caller, &path_param(envelope_id)?).await?;
    let mut receipts = Vec::new();
    for r in state.store.receipts(&envelope.envelope_id).await? {
        let receipt = SignedReceipt::from_bytes(r.receipt_json.as_bytes()).map_err(|e| {
            ApiError::Internal(format!("stored receipt {} does not parse: {e}", r.seq))
        })?;
        receipts.push(ReceiptInfo {
            signed_by_device: r.signed_by,
            posted_at: to_datetime(r.posted_at),
            receipt,
        });
    }
    Ok(Json(EnvelopeDetail {
        envelope: summary(&envelope)?,
        receipts,
    }))
}

/// The ciphertext, for the recipient office's devices and the sender office's devices.
/// The routing metadata comes back in the `Tsunagu-Routing` header. 410 once deleted.
#[utoipa::path(get, path = "/api/v1/envelopes/{envelope_id}/ciphertext", tag = "envelopes", security(("bearer" = [])),
    params(("envelope_id" = String, Path)),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "E-HUB-410 deleted by retention"),
    ))]
pub async fn download(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    envelope_id: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let envelope = visible_envelope(&state, &caller, &path_param(envelope_id)?).await?;
    let routing = stored_routing(&envelope)?;
    let bytes = state
        .store
        .download(
            &envelope.envelope_id,
            &caller.device_id,
            &caller.office_id,
            now_unix(),
        )
        .await?
        .ok_or(ErrorCode::CiphertextGone)?;
    tracing::info!(envelope_id = %envelope.envelope_id, device_id = %caller.device_id, size = bytes.len(), "envelope downloaded");
    let routing_header = tsunagu_protocol::encode_routing_header(&routing)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&routing_header) {
        h.insert(ROUTING_HEADER, v);
    }
    Ok(response)
}

/// Posts a signed receipt (受信済 / 取込済 / 差戻し). Only the recipient office may; the signature
/// must verify against one of its active devices' keys and name this envelope.
#[utoipa::path(post, path = "/api/v1/envelopes/{envelope_id}/receipts", tag = "envelopes", security(("bearer" = [])),
    params(("envelope_id" = String, Path)),
    request_body = PostReceiptRequest,
    responses(
        (status = 200, body = ReceiptResponse),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "E-HUB-502 a different final receipt exists"),
        (status = 422, body = ErrorBody, description = "E-HUB-500 bad signature, E-HUB-501 names another envelope"),
    ))]
pub async fn post_receipt(
    State(state): State<AppState>,
    DeviceAuth(caller): DeviceAuth,
    envelope_id: Result<Path<String>, PathRejection>,
    body: Result<Json<PostReceiptRequest>, JsonRejection>,
) -> ApiResult<Json<ReceiptResponse>> {
    let envelope_id = path_param(envelope_id)?;
    let envelope = match state.store.envelope(&envelope_id).await? {
        // Only the recipient acknowledges; the sender gets 404 like everyone else.
        Some(e) if e.recipient == caller.office_id => e,
        _ => return Err(ErrorCode::NotFound.into()),
    };
    let signed = json_body(body)?.receipt;
    let routing = stored_routing(&envelope)?;
    let devices: Vec<Device> = state
        .store
        .devices(Some(&envelope.recipient))
        .await?
        .into_iter()
        .filter(|d| d.revoked_at.is_none())
        .collect();
    let keys = devices
        .iter()
        .map(stored_keys)
        .collect::<ApiResult<Vec<_>>>()?;
    let receipt = signed.verify_for(&routing, &keys).map_err(|e| match e {
        tsunagu_seal::Error::ReceiptMismatch { field } => {
            ApiError::detail(ErrorCode::ReceiptMismatch, field, field)
        }
        tsunagu_seal::Error::ReceiptMalformed { .. }
        | tsunagu_seal::Error::ReceiptReasonInvalid { .. } => ApiError::Code(ErrorCode::BadRequest),
        _ => ApiError::Code(ErrorCode::ReceiptSignature),
    })?;
    let signed_by = devices
        .iter()
        .find(|d| d.key_id == receipt.by_key_id)
        .map(|d| d.device_id.clone())
        .ok_or(ErrorCode::ReceiptSignature)?;
    let (kind, reason) = match &receipt.status {
        ReceiptStatus::Received => (ReceiptKind::Received, None),
        ReceiptStatus::Imported => (ReceiptKind::Imported, None),
        ReceiptStatus::Rejected { reason } => (ReceiptKind::Rejected, Some(reason.clone())),
    };
    let receipt_json = String::from_utf8(signed.to_bytes())
        .map_err(|e| ApiError::Internal(format!("receipt JSON: {e}")))?;
    let new = NewReceipt {
        envelope_id: envelope.envelope_id.clone(),
        kind,
        reason,
        posted_by: caller.device_id.clone(),
        signed_by,
        receipt_json,
    };
    let (envelope, recorded) = match state.store.post_receipt(new, now_unix()).await? {
        ReceiptOutcome::Recorded(e) => (e, true),
        ReceiptOutcome::Duplicate(e) => (e, false),
        ReceiptOutcome::Conflict(_) => return Err(ErrorCode::ReceiptConflict.into()),
    };
    tracing::info!(envelope_id = %envelope.envelope_id, status = kind.as_str(), recorded, "receipt posted");
    Ok(Json(ReceiptResponse {
        envelope_id: envelope.envelope_id.clone(),
        status: envelope.status(),
        recorded,
    }))
}
