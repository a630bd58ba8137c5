//! The one place where errors become HTTP answers (kanidm's `WebError` pattern).
//!
//! Handlers return `Result<_, ApiError>`; this module picks the status and the stable
//! [`ErrorBody`]. Unexpected errors are logged here (in English, without request bodies) and
//! answered with a generic body, so no internal detail reaches a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tsunagu_protocol::{ErrorBody, ErrorCode};

use crate::store::StoreError;

/// Every error a handler can answer with.
#[derive(Debug)]
pub enum ApiError {
    /// A known condition with its standard message.
    Code(ErrorCode),
    /// A known condition with a detail (never personal data).
    Detail(ErrorBody),
    /// A storage error; mapped by kind.
    Store(StoreError),
    /// Anything else unexpected (logged, answered as E-HUB-999).
    Internal(String),
}

impl ApiError {
    pub fn detail(code: ErrorCode, ja: &str, en: &str) -> Self {
        ApiError::Detail(ErrorBody::with_detail(code, ja, en))
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::Code(code)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Store(e)
    }
}

impl ApiError {
    /// The body this error answers with.
    pub fn body(&self) -> ErrorBody {
        match self {
            ApiError::Code(code) => ErrorBody::new(*code),
            ApiError::Detail(body) => body.clone(),
            ApiError::Store(e) => ErrorBody::new(match e {
                StoreError::NotFound => ErrorCode::NotFound,
                StoreError::AlreadyExists => ErrorCode::OfficeExists,
                StoreError::InviteInvalid => ErrorCode::InviteInvalid,
                StoreError::Unavailable(_) => ErrorCode::Unavailable,
                StoreError::Database(_) | StoreError::Migrate(_) | StoreError::Corrupt(_) => {
                    ErrorCode::Internal
                }
            }),
            ApiError::Internal(_) => ErrorBody::new(ErrorCode::Internal),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        match &self {
            ApiError::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable")
            }
            ApiError::Store(
                e @ (StoreError::Database(_) | StoreError::Migrate(_) | StoreError::Corrupt(_)),
            ) => {
                tracing::error!(error = %e, "storage error")
            }
            ApiError::Internal(msg) => tracing::error!(error = %msg, "internal error"),
            _ => tracing::debug!(code = body.code.as_str(), "request refused"),
        }
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// Answers a route nobody defined with the standard 404 body.
pub async fn not_found() -> ApiError {
    ApiError::Code(ErrorCode::NotFound)
}
