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

/// Every error a web page (dashboard, operator pages, survey form) can answer with: an HTML page
/// in Japanese, never a detail of the failure. A foreign or unknown id is [`WebError::NotFound`].
#[derive(Debug)]
pub enum WebError {
    /// Unknown page, or one of another municipality: 404.
    NotFound,
    /// No valid session: the browser is sent to the login page.
    LoginRequired,
    /// A POST without the page's token or from another site: 403.
    Csrf,
    /// A form or upload over the limit: 413.
    TooLarge,
    /// A user's input cannot be used; the text says why (Japanese, with its code).
    BadInput(String),
    /// A storage error; mapped by kind.
    Store(StoreError),
    /// Anything else unexpected (logged).
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound,
            other => WebError::Store(other),
        }
    }
}

impl WebError {
    /// Status and the message shown.
    pub fn status_and_text(&self) -> (StatusCode, String) {
        match self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "E-WEB-404 ページが見つかりません。".into(),
            ),
            WebError::LoginRequired => (
                StatusCode::SEE_OTHER,
                "E-WEB-401 ログインしてください。".into(),
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "E-WEB-403 画面の有効期限が切れたか、ほかのサイトからの送信です。画面を開き直してから操作してください。".into(),
            ),
            WebError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "E-WEB-413 送信内容が大きすぎます。".into(),
            ),
            WebError::BadInput(text) => (StatusCode::BAD_REQUEST, text.clone()),
            WebError::Store(StoreError::AlreadyExists) => (
                StatusCode::CONFLICT,
                "E-WEB-409 同じものがすでに登録されています。".into(),
            ),
            WebError::Store(StoreError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "E-WEB-503 データベースに接続できません。しばらくしてからやり直してください。".into(),
            ),
            WebError::Store(_) | WebError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "E-WEB-500 処理できませんでした。管理者に連絡してください。".into(),
            ),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            WebError::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database unavailable")
            }
            WebError::Store(StoreError::AlreadyExists) => {}
            WebError::Store(e) => tracing::error!(error = %e, "storage error"),
            WebError::Internal(msg) => tracing::error!(error = %msg, "internal error"),
            _ => {}
        }
        if matches!(self, WebError::LoginRequired) {
            return crate::web::session::see_other("/login");
        }
        let (status, text) = self.status_and_text();
        (status, crate::web::chrome::message_page("つなぐ", &text)).into_response()
    }
}
