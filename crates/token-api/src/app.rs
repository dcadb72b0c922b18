//! The whole application: the route table, the OpenAPI document, the SPA (when configured),
//! the fallbacks and the layers every response passes through (body limit, panics as 500
//! problems, security headers, tracing).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;
use crate::{openapi, routes, security, spa};

/// The whole application: API, health, OpenAPI document and (when configured) the SPA.
pub fn app(state: AppState) -> Router {
    let (api, operations) = routes::table().split_for_parts();
    let spec = openapi::describe(operations);
    let _ = state.openapi_json().set(spec.to_json().unwrap_or_default());
    let mut router = api
        .method_not_allowed_fallback(method_not_allowed)
        .layer(compression());
    router = match state.config().spa_dir.clone() {
        Some(dir) => {
            let spa = Router::new()
                .fallback_service(spa::service(&dir))
                .layer(axum::middleware::from_fn(spa::cache_headers));
            router
                .nest_service("/api", Router::new().fallback(not_found))
                .fallback_service(spa)
        }
        None => router.fallback(not_found),
    };
    with_layers(router, state)
}

/// `router` behind the layers every response passes through: the body limit, panics as 500
/// problems, then (outside, so a panic's answer has them too) the security headers, and the
/// request trace, which names the path only (a query can hold an authorization `code`).
pub fn with_layers(router: Router<AppState>, state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request| {
        tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
    });
    router
        .layer(DefaultBodyLimit::max(token_wire::BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.csp().clone(),
            security::headers,
        ))
        .layer(trace)
        .with_state(state)
}

/// API answers larger than this are compressed when the request accepts brotli or gzip.
const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// Compresses API answers (the SPA's files come precompressed, see [`spa::service`]).
fn compression() -> CompressionLayer<SizeAbove> {
    CompressionLayer::new().compress_when(SizeAbove::new(COMPRESS_ABOVE_BYTES))
}

async fn not_found() -> AppError {
    AppError::NotFound("No such resource.")
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("handler panicked".into()).into_response()
}
