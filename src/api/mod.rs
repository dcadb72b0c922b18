//! The token API client (`shared/design/token-api.md`).
//!
//! Screens talk to the API through [`TokenApi`], found in the Leptos context
//! ([`use_token_api`]), so component tests can provide a fake. [`HttpApi`] is the real one
//! ([`http_api`] builds it for the signed-in user); failures are [`ApiError`]s.

mod client;
mod context;
mod error;
mod signed_in;
pub mod wire;

use std::future::Future;
use std::pin::Pin;

use token_wire::{CreatedToken, ListParams, Me, TokenList};

pub use client::{AccessTokenSource, HttpApi};
pub use context::{ApiContext, provide_token_api, use_token_api};
pub use error::ApiError;
pub use signed_in::http_api;

/// A future of the API layer; local because browser futures are not `Send`.
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// The token API as the screens use it.
pub trait TokenApi {
    /// `GET /api/v1/me`.
    fn me(&self) -> ApiFuture<Me>;
    /// `GET /api/v1/tokens`.
    fn list(&self, params: &ListParams) -> ApiFuture<TokenList>;
    /// `POST /api/v1/tokens`.
    fn create(&self, name: &str) -> ApiFuture<CreatedToken>;
    /// `DELETE /api/v1/tokens/{id}`.
    fn revoke(&self, id: &str) -> ApiFuture<()>;
}
