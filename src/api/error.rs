//! [`ApiError`]: why a call failed, from the status and problem+json body of the answer, with
//! the one sentence the screens show for it.

use token_wire::Problem;

/// Why an API call failed, as the screens need to tell it. Its `Display` is the sentence
/// shown to the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The credential is missing or invalid even after a renewal: the user must sign in.
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    /// Signed in, but not allowed; the server's reason.
    #[error(
        "You don't have permission to do this.{} Ask an administrator if you need it.",
        forbidden_reason(.0)
    )]
    Forbidden(String),
    /// The resource does not exist or is not visible to the caller.
    #[error("This token no longer exists.")]
    NotFound,
    /// A field conflicts with existing data (a duplicate token name).
    #[error("{detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    /// A field is malformed.
    #[error("{detail}")]
    BadRequest {
        field: Option<String>,
        detail: String,
    },
    /// Too many requests; retry after this many seconds.
    #[error("Too many requests. Try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    /// The server could not be reached.
    #[error("The portal could not reach the server. Check your connection and try again.")]
    Network,
    /// The server failed or is unavailable; the detail is for diagnostics, not for the user.
    #[error("The server could not complete the request. Try again in a moment.")]
    Server(String),
}

/// The server's reason for a 403 as a sentence to insert, or nothing when it adds nothing.
fn forbidden_reason(detail: &str) -> String {
    let detail = detail.trim().trim_end_matches('.');
    if detail.is_empty() || detail.eq_ignore_ascii_case("permission denied") {
        String::new()
    } else {
        format!(" {detail}.")
    }
}

impl ApiError {
    /// Builds the error for a non-success `status`, from its problem+json body if any.
    pub fn from_problem(
        status: u16,
        problem: Option<Problem>,
        retry_after: Option<&str>,
    ) -> ApiError {
        let detail = problem
            .as_ref()
            .map(|p| p.detail.clone())
            .filter(|d| !d.is_empty());
        let field = problem.and_then(|p| p.field);
        match status {
            400 | 413 | 422 => ApiError::BadRequest {
                field,
                detail: detail.unwrap_or_else(|| "The request was not accepted.".into()),
            },
            401 => ApiError::Unauthorized,
            403 => ApiError::Forbidden(
                detail.unwrap_or_else(|| "You don't have permission to do this.".into()),
            ),
            404 => ApiError::NotFound,
            409 => ApiError::Conflict {
                field,
                detail: detail.unwrap_or_else(|| "This conflicts with an existing token.".into()),
            },
            429 => ApiError::RateLimited {
                retry_after_secs: retry_after
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(60),
            },
            _ => ApiError::Server(detail.unwrap_or_else(|| format!("HTTP {status}"))),
        }
    }
}
