//! The OpenAPI document served at `/api/openapi.json`, derived from the protocol types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

/// The hub API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tsunagu hub API",
        description = "Relay of sealed care-plan envelopes between care offices. The hub stores ciphertext only.",
    ),
    paths(
        routes::healthz,
        routes::readyz,
        routes::register_device,
        routes::me,
        routes::revoke_device,
        routes::office_keys,
        routes::send_envelope,
        routes::inbox,
        routes::outbox,
        routes::envelope_detail,
        routes::download,
        routes::post_receipt,
        crate::partner_reports::put_partners,
    ),
    components(schemas(
        tsunagu_protocol::ErrorBody,
        tsunagu_protocol::ErrorCode,
        tsunagu_protocol::EnvelopeStatus,
        tsunagu_protocol::OfficeInfo,
        tsunagu_protocol::DeviceInfo,
        tsunagu_protocol::PageQuery,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "liveness and readiness"),
        (name = "devices", description = "device registration and revocation"),
        (name = "directory", description = "office public keys"),
        (name = "envelopes", description = "send, inbox, outbox, download, receipts"),
        (name = "partners", description = "partner office numbers a desk reports (office numbers only)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("device token"))
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
