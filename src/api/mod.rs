//! The token API client (`shared/design/token-api.md`).
//!
//! Screens talk to the API through [`TokenApi`], found in the Leptos context
//! ([`use_token_api`]), so component tests can provide a fake. [`HttpApi`] is the real one
//! ([`http_api`] builds it for the signed-in user); failures are [`ApiError`]s.

mod client;
mod context;
mod error;
mod signed_in;

use std::future::Future;
use std::pin::Pin;

use token_wire::{CreatedToken, Me, SortKey, SortOrder, TokenList, TokenStatus};

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
    fn list(&self, query: &ListQuery) -> ApiFuture<TokenList>;
    /// `POST /api/v1/tokens`.
    fn create(&self, name: &str) -> ApiFuture<CreatedToken>;
    /// `DELETE /api/v1/tokens/{id}`.
    fn revoke(&self, id: &str) -> ApiFuture<()>;
}

/// Filters, order and page of `GET /api/v1/tokens`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<TokenStatus>,
    /// Case-insensitive name substring; empty means any.
    pub q: String,
    /// Owner's user id; only full admins may send it.
    pub owner: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: u32,
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The query string, without the leading `?`.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().into()));
        }
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().into()));
        }
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.clone()));
        }
        pairs.push(("sort", self.sort.as_str().into()));
        pairs.push(("order", self.order.as_str().into()));
        if self.limit > 0 {
            pairs.push(("limit", self.limit.to_string()));
        }
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor", cursor.clone()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}
