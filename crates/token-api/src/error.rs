//! One error type for every handler, rendered as `application/problem+json` in one place.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use token_wire::Problem;

use crate::store;

/// Everything a request can fail with. Internal causes are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input; `field` names the request field at fault.
    #[error("bad request ({field}): {detail}")]
    BadRequest { field: String, detail: String },
    /// Missing or invalid bearer credential on a portal call.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// Missing, malformed, unknown or revoked `Authorization: Token` value.
    #[error("invalid token")]
    InvalidToken,
    /// The caller is known but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A token (or user) whose owner is deprovisioned or lacks the privilege.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// Not found, or not visible to the caller.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The method is not allowed on this route.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A conflicting resource exists.
    #[error("conflict ({field}): {detail}")]
    Conflict { field: String, detail: String },
    /// The body is larger than the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The tenant is over its rate limit.
    #[error("rate limited, retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A dependency (store, identity provider) cannot answer now.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] sqlx::Error),
    /// A bug or an unexpected state; logged, answered as a generic 500.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 naming `field`.
    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn parts(
        &self,
    ) -> (
        StatusCode,
        &'static str,
        &'static str,
        String,
        Option<String>,
    ) {
        use AppError::*;
        match self {
            BadRequest { field, detail } => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Bad request",
                detail.clone(),
                Some(field.clone()),
            ),
            Unauthenticated(d) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthorized",
                (*d).into(),
                None,
            ),
            InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid-token",
                "Invalid token",
                "The token is missing, malformed, unknown or revoked.".into(),
                None,
            ),
            Forbidden(d) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                (*d).into(),
                None,
            ),
            PermissionDenied(d) => (
                StatusCode::FORBIDDEN,
                "permission-denied",
                "Permission denied",
                (*d).into(),
                None,
            ),
            NotFound(d) => (
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                (*d).into(),
                None,
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "This method is not allowed on this resource.".into(),
                None,
            ),
            Conflict { field, detail } => (
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                detail.clone(),
                Some(field.clone()),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!(
                    "The request body is larger than {} KiB.",
                    token_wire::BODY_LIMIT_BYTES / 1024
                ),
                None,
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
                None,
            ),
            RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("The tenant's rate limit is exhausted; retry in {retry_after} s."),
                None,
            ),
            Unavailable(d) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                (*d).into(),
                None,
            ),
            Store(e) if store::is_transient(e) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The store is unavailable; retry later.".into(),
                None,
            ),
            Store(_) | Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "The server could not complete the request.".into(),
                None,
            ),
        }
    }
}

/// Builds the problem response for `status` with the given parts.
pub fn problem_response(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: String,
    field: Option<String>,
) -> Response {
    let body = Problem {
        kind: format!("urn:api-tokens:problem:{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        field,
    };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(token_wire::PROBLEM_CONTENT_TYPE),
    );
    res
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, slug, title, detail, field) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let mut res = problem_response(status, slug, title, detail, field);
        let headers = res.headers_mut();
        match self {
            AppError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::InvalidToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            }
            AppError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            AppError::Unavailable(_) | AppError::Store(_)
                if status == StatusCode::SERVICE_UNAVAILABLE =>
            {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        res
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            _ => AppError::bad_request("body", r.body_text()),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request("path", r.body_text())
    }
}

/// `Json` whose rejections are problems.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `Path` whose rejections are problems.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);
