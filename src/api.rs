//! The token API client (`shared/design/token-api.md`).
//!
//! Screens talk to the API through [`TokenApi`], found in the Leptos context ([`use_token_api`]),
//! so component tests can provide a fake. [`HttpApi`] is the real one: it sends the signed-in
//! user's access token, renews it once after a 401 and turns problem+json answers into
//! [`ApiError`]s.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder, Response};
use leptos::prelude::*;
use token_wire::{
    CreateToken, CreatedToken, Me, Problem, SortKey, SortOrder, TokenList, TokenStatus,
};

/// A future of the API layer; local because browser futures are not `Send`.
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// Why an API call failed, as the screens need to tell it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The credential is missing or invalid even after a renewal: the user must sign in.
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist or is not visible to the caller.
    #[error("It no longer exists.")]
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
    /// The server failed or is unavailable.
    #[error("The server could not complete the request: {0}")]
    Server(String),
}

impl ApiError {
    /// The problem's field, for answers that blame one (400, 409).
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Conflict { field, .. } | ApiError::BadRequest { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }

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

/// Where [`HttpApi`] gets the bearer credential: the sign-in layer.
pub trait AccessTokenSource {
    /// A valid access token for the API, renewed silently when needed.
    fn access_token(&self) -> ApiFuture<String>;
    /// Called once after the API answered 401: a fresh token, or an error after which the
    /// sign-in layer takes the user to sign in.
    fn renew_after_unauthorized(&self) -> ApiFuture<String>;
}

/// The real API over `fetch`.
#[derive(Clone)]
pub struct HttpApi(Rc<HttpInner>);

struct HttpInner {
    base_url: String,
    tokens: Rc<dyn AccessTokenSource>,
}

impl HttpApi {
    /// An API client for `base_url` (e.g. `https://api.example.net`, or empty for this origin).
    pub fn new(base_url: impl Into<String>, tokens: Rc<dyn AccessTokenSource>) -> HttpApi {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        HttpApi(Rc::new(HttpInner { base_url, tokens }))
    }
}

impl HttpInner {
    /// Sends one call with the bearer token; after a 401, renews the token and retries once.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&CreateToken>,
    ) -> Result<Response, ApiError> {
        let url = format!("{}{path}", self.base_url);
        let token = self.tokens.access_token().await?;
        let response = self.send_with(&method, &url, body, &token).await?;
        let response = if response.status() == 401 {
            let token = self.tokens.renew_after_unauthorized().await?;
            self.send_with(&method, &url, body, &token).await?
        } else {
            response
        };
        if response.ok() {
            Ok(response)
        } else {
            Err(error_of(response).await)
        }
    }

    async fn send_with(
        &self,
        method: &Method,
        url: &str,
        body: Option<&CreateToken>,
        token: &str,
    ) -> Result<Response, ApiError> {
        let builder = RequestBuilder::new(url)
            .method(method.clone())
            .header("Accept", "application/json, application/problem+json")
            .header("Authorization", &format!("Bearer {token}"));
        let request = match body {
            Some(body) => builder.json(body),
            None => builder.build(),
        }
        .map_err(|_| ApiError::Network)?;
        request.send().await.map_err(|_| ApiError::Network)
    }

    async fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        response
            .json()
            .await
            .map_err(|e| ApiError::Server(format!("unexpected answer ({e})")))
    }
}

async fn error_of(response: Response) -> ApiError {
    let status = response.status();
    let retry_after = response.headers().get("retry-after");
    let problem = response.json::<Problem>().await.ok();
    ApiError::from_problem(status, problem, retry_after.as_deref())
}

impl TokenApi for HttpApi {
    fn me(&self) -> ApiFuture<Me> {
        let inner = self.0.clone();
        Box::pin(async move {
            HttpInner::json(inner.send(Method::GET, "/api/v1/me", None).await?).await
        })
    }

    fn list(&self, query: &ListQuery) -> ApiFuture<TokenList> {
        let inner = self.0.clone();
        let path = format!("/api/v1/tokens?{}", query.to_query_string());
        Box::pin(async move { HttpInner::json(inner.send(Method::GET, &path, None).await?).await })
    }

    fn create(&self, name: &str) -> ApiFuture<CreatedToken> {
        let inner = self.0.clone();
        let body = CreateToken {
            name: name.to_string(),
        };
        Box::pin(async move {
            HttpInner::json(
                inner
                    .send(Method::POST, "/api/v1/tokens", Some(&body))
                    .await?,
            )
            .await
        })
    }

    fn revoke(&self, id: &str) -> ApiFuture<()> {
        let inner = self.0.clone();
        let path = format!(
            "/api/v1/tokens/{}",
            String::from(js_sys::encode_uri_component(id))
        );
        Box::pin(async move { inner.send(Method::DELETE, &path, None).await.map(|_| ()) })
    }
}

impl AccessTokenSource for crate::auth::Auth {
    fn access_token(&self) -> ApiFuture<String> {
        let auth = self.clone();
        Box::pin(async move { auth.access_token().await.map_err(from_auth) })
    }

    fn renew_after_unauthorized(&self) -> ApiFuture<String> {
        let auth = self.clone();
        Box::pin(async move { auth.renew_after_unauthorized().await.map_err(from_auth) })
    }
}

fn from_auth(error: crate::auth::AuthError) -> ApiError {
    match error {
        crate::auth::AuthError::Network(_) => ApiError::Network,
        _ => ApiError::Unauthorized,
    }
}

/// The real API for the signed-in user: [`HttpApi`] over the [`Auth`](crate::auth::Auth) in
/// the context, at the configured `api_base_url`.
pub fn http_api() -> Rc<dyn TokenApi> {
    let auth = crate::auth::use_auth();
    let base_url = auth.config().api_base_url.clone();
    Rc::new(HttpApi::new(base_url, Rc::new(auth)))
}

/// The API layer in the Leptos context.
#[derive(Clone, Copy)]
pub struct ApiContext(StoredValue<Rc<dyn TokenApi>, LocalStorage>);

impl ApiContext {
    /// The API layer.
    pub fn get(&self) -> Rc<dyn TokenApi> {
        self.0.get_value()
    }
}

/// Makes `api` the API layer of the components below the current owner.
pub fn provide_token_api(api: Rc<dyn TokenApi>) {
    provide_context(ApiContext(StoredValue::new_local(api)));
}

/// The API layer provided by [`provide_token_api`].
///
/// # Panics
/// When none was provided.
pub fn use_token_api() -> Rc<dyn TokenApi> {
    expect_context::<ApiContext>().get()
}

/// The signed-in user as `/api/v1/me` describes them, shared with the frame (the "?" menu's
/// *About* shows `portal_url`). Provide it above the frame with [`provide_me`]; the API tokens
/// screen fills it in.
#[derive(Clone, Copy)]
pub struct MeContext(pub RwSignal<Option<Me>>);

/// Provides an empty [`MeContext`] and returns it.
pub fn provide_me() -> MeContext {
    let me = MeContext(RwSignal::new(None));
    provide_context(me);
    me
}

/// The tenant's custom portal URL, once `/api/v1/me` has answered; `None` without [`provide_me`].
pub fn portal_url() -> Signal<Option<String>> {
    let me = use_context::<MeContext>();
    Signal::derive(move || me.and_then(|m| m.0.get()).map(|me| me.portal_url))
}
