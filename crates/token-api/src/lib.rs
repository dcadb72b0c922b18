//! The token API server: portal endpoints (Bearer access tokens), token-authenticated
//! endpoints (`Authorization: Token`), and hosting of the built SPA.
//!
//! The contract is `shared/design/token-api.md`; every JSON body is a `token_wire` type.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod error;
pub mod jwt;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod spa;
pub mod state;
pub mod store;
pub mod values;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use crate::error::ApiError;
pub use crate::state::{AppState, Clock, Config};
pub use crate::store::Store;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The whole application: API, health, OpenAPI document and (when configured) the SPA.
pub fn app(state: AppState) -> Router {
    let (api, spec) = openapi::router().split_for_parts();
    let _ = state.0.openapi_json.set(spec.to_json().unwrap_or_default());
    let mut router = api.method_not_allowed_fallback(method_not_allowed);
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
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such resource.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("handler panicked".into()).into_response()
}

/// Serves `state` on `listener` until `shutdown` completes, then flushes pending writes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.spawn_background();
    let router = app(state.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    state.flush().await;
    Ok(())
}
