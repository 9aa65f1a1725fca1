//! Errors as RFC 9457 `application/problem+json`: one [`ApiError`] type whose exhaustive
//! [`ApiError::status`] decides each answer, with field paths for validation errors and the
//! request id for support. Causes of 5xx answers are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The id of the request being served (set by the request-id middleware).
    pub static REQUEST_ID: String;
}

/// One invalid field: a JSON Pointer into the request body (or `?name` for a query
/// parameter) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Everything the API can answer with besides success.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("missing or unknown API key")]
    Unauthorized,
    /// A known key that is revoked or past its expiry.
    #[error("{0}")]
    KeyNotValid(&'static str),
    /// A key without the scope the route needs (`submit` for POST, `read` for GET).
    #[error("the API key lacks the `{0}` scope")]
    InsufficientScope(&'static str),
    /// An internal route's caller presented no OIDC token.
    #[error("an identity token is required")]
    TokenRequired,
    /// An internal route's caller did not present a valid OIDC token.
    #[error("invalid identity token: {0}")]
    InvalidToken(String),
    #[error("internal routes are closed: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be application/json (or multipart/form-data with a file)")]
    UnsupportedMediaType,
    /// An uploaded document that gave no text; `path` is where it was sent (`/source/file`, or
    /// the form part `file`).
    #[error("{error}")]
    Document {
        path: String,
        error: crate::documents::DocumentError,
    },
    #[error("invalid request: {detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("too many requests")]
    RateLimited { retry_after: u64 },
    #[error("daily job quota of {limit} reached")]
    QuotaExceeded { limit: u32, retry_after: u64 },
    #[error("temporarily unavailable: {detail}")]
    Unavailable { detail: String, retry_after: u64 },
    #[error("the request took too long")]
    Timeout,
    /// The cause is logged; clients see a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized
            | Self::KeyNotValid(_)
            | Self::TokenRequired
            | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Document { error, .. } => {
                use crate::documents::DocumentError as E;
                match error {
                    E::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    E::TooLarge { .. } | E::ExpandsTooFar { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    E::Mismatch { .. }
                    | E::Encrypted
                    | E::NoTextLayer
                    | E::Corrupt { .. }
                    | E::TooSlow { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                }
            }
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } | Self::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A validation failure with one field error.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(path, message);
        Self::Unprocessable {
            detail: format!("{}: {}", error.path, error.message),
            errors: vec![error],
        }
    }

    /// A validation failure with several field errors.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = format!("{} invalid field(s)", errors.len());
        Self::Unprocessable { detail, errors }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::Unauthorized => "unauthorized",
            Self::KeyNotValid(_) => "key-not-valid",
            Self::InsufficientScope(_) => "insufficient-scope",
            Self::TokenRequired => "token-required",
            Self::InvalidToken(_) => "invalid-token",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Document { error, .. } => {
                use crate::documents::DocumentError as E;
                match error {
                    E::Unsupported { .. } => "unsupported-document",
                    E::Mismatch { .. } => "media-type-mismatch",
                    E::Encrypted => "encrypted-document",
                    E::NoTextLayer => "no-text-layer",
                    E::Corrupt { .. } => "corrupt-document",
                    E::TooLarge { .. } => "document-too-large",
                    E::ExpandsTooFar { .. } => "archive-expands-too-far",
                    E::TooSlow { .. } => "document-too-complex",
                }
            }
            Self::Unprocessable { .. } => "validation",
            Self::RateLimited { .. } => "rate-limited",
            Self::QuotaExceeded { .. } => "quota-exceeded",
            Self::Unavailable { .. } => "unavailable",
            Self::Timeout => "timeout",
            Self::Internal(_) => "internal",
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after }
            | Self::QuotaExceeded { retry_after, .. }
            | Self::Unavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let request_id = REQUEST_ID.try_with(Clone::clone).ok();
        let detail = if status.is_server_error()
            && !matches!(self, Self::Unavailable { .. } | Self::Timeout)
        {
            tracing::error!(error = %self, request_id, "request failed");
            "the server failed to handle this request; it has been logged".to_owned()
        } else {
            self.to_string()
        };
        let errors = match &self {
            Self::Unprocessable { errors, .. } => errors.clone(),
            Self::Document { path, error } => vec![FieldError::new(path, error.to_string())],
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("https://ai-content-factory.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            request_id,
            errors,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        match self {
            Self::Unauthorized | Self::KeyNotValid(_) | Self::TokenRequired => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::InvalidToken(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::NotFound => Self::NotFound,
            crate::store::StoreError::Unavailable(detail) => Self::Unavailable {
                detail,
                retry_after: 2,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::objects::ObjectError> for ApiError {
    fn from(e: crate::objects::ObjectError) -> Self {
        Self::Unavailable {
            detail: e.to_string(),
            retry_after: 2,
        }
    }
}

impl From<crate::pipeline::plan::PlanError> for ApiError {
    fn from(e: crate::pipeline::plan::PlanError) -> Self {
        match e {
            crate::pipeline::plan::PlanError::Store(e) => e.into(),
            crate::pipeline::plan::PlanError::Objects(e) => e.into(),
        }
    }
}
