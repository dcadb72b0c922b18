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
    /// The caller has as many live tokens as allowed.
    #[error("too many tokens (at most {0})")]
    TooManyTokens(u32),
    /// The body is larger than the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The tenant is over its rate limit.
    #[error("rate limited, retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The client address showed too many invalid API-token values this minute.
    #[error("too many invalid tokens, retry after {retry_after} s")]
    TooManyInvalidTokens { retry_after: u64 },
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

    /// The status, the problem type's slug and its title.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        use AppError::*;
        match self {
            BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", "Unauthorized"),
            InvalidToken => (StatusCode::UNAUTHORIZED, "invalid-token", "Invalid token"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            PermissionDenied(_) => (
                StatusCode::FORBIDDEN,
                "permission-denied",
                "Permission denied",
            ),
            NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
            TooManyTokens(_) => (StatusCode::CONFLICT, "too-many-tokens", "Too many tokens"),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            RateLimited { .. } | TooManyInvalidTokens { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Store(e) if store::is_transient(e) => Unavailable("store").kind(),
            Store(_) | Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// What the problem's `detail` says: the variant's own words, or a fixed sentence.
    fn detail(&self) -> String {
        use AppError::*;
        match self {
            BadRequest { detail, .. } | Conflict { detail, .. } => detail.clone(),
            Unauthenticated(d) | Forbidden(d) | PermissionDenied(d) | NotFound(d)
            | Unavailable(d) => (*d).into(),
            InvalidToken => "The token is missing, malformed, unknown or revoked.".into(),
            MethodNotAllowed => "This method is not allowed on this resource.".into(),
            PayloadTooLarge => format!(
                "The request body is larger than {} KiB.",
                token_wire::BODY_LIMIT_BYTES / 1024
            ),
            UnsupportedMediaType => "Send the body as application/json.".into(),
            TooManyTokens(cap) => {
                format!("You already have {cap} live tokens, the most allowed; revoke one first.")
            }
            RateLimited { retry_after } => {
                format!("The tenant's rate limit is exhausted; retry in {retry_after} s.")
            }
            TooManyInvalidTokens { retry_after } => {
                format!("Too many invalid tokens from this address; retry in {retry_after} s.")
            }
            Store(e) if store::is_transient(e) => "The store is unavailable; retry later.".into(),
            Store(_) | Internal(_) => "The server could not complete the request.".into(),
        }
    }

    /// The request field at fault, for the variants that name one.
    fn field(&self) -> Option<String> {
        match self {
            AppError::BadRequest { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.clone())
            }
            _ => None,
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
        let (status, slug, title) = self.kind();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let mut res = problem_response(status, slug, title, self.detail(), self.field());
        let headers = res.headers_mut();
        match self {
            AppError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::InvalidToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            }
            AppError::RateLimited { retry_after }
            | AppError::TooManyInvalidTokens { retry_after } => {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool that stays busy past its wait, or a store that is locked, is overload: 503
    /// with `Retry-After`, never a 500.
    #[test]
    fn a_busy_store_answers_503_with_retry_after() {
        for e in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            let res = AppError::Store(e).into_response();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        }
        let other = AppError::Store(sqlx::Error::RowNotFound).into_response();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
    }

    /// A database error with only a code, as either backend reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn status_of(e: sqlx::Error) -> (StatusCode, bool) {
        let res = AppError::Store(e).into_response();
        (
            res.status(),
            res.headers().contains_key(header::RETRY_AFTER),
        )
    }

    /// Every code that means "the store cannot answer now" is a 503 with `Retry-After`:
    /// SQLite's extended BUSY/LOCKED codes, IOERR*, FULL, READONLY, CANTOPEN; PostgreSQL's
    /// shutdowns, failover, serialization and connection failures; protocol and I/O errors.
    /// Constraint violations and plain errors stay 500.
    #[test]
    fn unavailable_stores_are_classified_by_code() {
        let unavailable = [
            "5", "517", "261", "6", "262", "10", "266", "522", "3338", "4874", "13", "8", "1032",
            "14", "1038", "57P01", "57P02", "57P03", "25006", "40001", "40P01", "08006", "08001",
            "53300", "53100",
        ];
        for code in unavailable {
            let e = sqlx::Error::Database(Box::new(Coded(code)));
            assert_eq!(
                status_of(e),
                (StatusCode::SERVICE_UNAVAILABLE, true),
                "{code}"
            );
        }
        for code in ["1", "19", "2067", "787", "11", "23505", "42P01", "22P02"] {
            let e = sqlx::Error::Database(Box::new(Coded(code)));
            assert_eq!(
                status_of(e),
                (StatusCode::INTERNAL_SERVER_ERROR, false),
                "{code}"
            );
        }
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        for e in [
            sqlx::Error::Io(io),
            sqlx::Error::Protocol("unexpected message".into()),
            sqlx::Error::WorkerCrashed,
        ] {
            assert_eq!(status_of(e), (StatusCode::SERVICE_UNAVAILABLE, true));
        }
    }
}
