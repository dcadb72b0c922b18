//! The token API server: portal endpoints (Bearer access tokens), API-token-authenticated
//! endpoints (`Authorization: Token`), and hosting of the built SPA.
//!
//! The contract is `shared/design/token-api.md`; every JSON body is a `token_wire` type.
//! A request passes [`app`] (layers, fallbacks), the route table in [`routes`], an extractor
//! of [`auth`], a handler, and the [`store`]; failures become problems in [`error`].

pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod directory;
pub mod error;
pub mod jobs;
pub mod jwt;
pub mod limiter;
pub mod list;
pub mod misses;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod spa;
pub mod state;
pub mod store;
pub mod values;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

pub use crate::app::app;
pub use crate::clock::Clock;
pub use crate::config::{API_SCOPE, Config};
pub use crate::error::AppError;
pub use crate::state::AppState;
pub use crate::store::Store;

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
