//! [`HttpApi`]: the token API over `fetch`, with the signed-in user's access token.

use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder, Response};
use token_wire::query::encode_component;
use token_wire::{CreateToken, CreatedToken, ListParams, Me, Problem, TokenList};

use super::wire::{self, FromJson};
use super::{ApiError, ApiFuture, TokenApi};
use crate::early;

/// Where [`HttpApi`] gets the bearer credential: the sign-in layer.
pub trait AccessTokenSource {
    /// A valid access token for the API, renewed silently when needed.
    fn access_token(&self) -> ApiFuture<String>;
    /// Called once after the API answered 401: a fresh access token, or an error after which
    /// the sign-in layer takes the user to sign in.
    fn renew_after_unauthorized(&self) -> ApiFuture<String>;
}

/// The real API over `fetch`: sends the access token, renews it once after a 401 and turns
/// problem+json answers into [`ApiError`]s.
#[derive(Clone)]
pub struct HttpApi(Rc<HttpInner>);

struct HttpInner {
    base_url: String,
    access_tokens: Rc<dyn AccessTokenSource>,
}

impl HttpApi {
    /// An API client for `base_url` (e.g. `https://api.example.net`, or empty for this origin).
    pub fn new(base_url: impl Into<String>, access_tokens: Rc<dyn AccessTokenSource>) -> HttpApi {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        HttpApi(Rc::new(HttpInner {
            base_url,
            access_tokens,
        }))
    }
}

impl HttpInner {
    /// Sends one call with the access token (or takes the page's answer to the same `GET`,
    /// see [`early`]); after a 401, renews the token and retries once.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&CreateToken>,
    ) -> Result<Response, ApiError> {
        let url = format!("{}{path}", self.base_url);
        let early = match method {
            Method::GET => early::answer(path).await.and_then(Result::ok),
            _ => None,
        };
        let response = match early {
            Some(answer) => Response::from(answer),
            None => {
                let access_token = self.access_tokens.access_token().await?;
                self.send_with(&method, &url, body, &access_token).await?
            }
        };
        let response = if response.status() == 401 {
            let access_token = self.access_tokens.renew_after_unauthorized().await?;
            self.send_with(&method, &url, body, &access_token).await?
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
        access_token: &str,
    ) -> Result<Response, ApiError> {
        let builder = RequestBuilder::new(url)
            .method(method.clone())
            .header("Accept", "application/json, application/problem+json")
            .header("Authorization", &format!("Bearer {access_token}"));
        let request = match body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(wire::create_token(body)),
            None => builder.build(),
        }
        .map_err(|_| ApiError::Network)?;
        request.send().await.map_err(|_| ApiError::Network)
    }

    async fn json<T: FromJson>(response: Response) -> Result<T, ApiError> {
        let text = response.text().await.map_err(|_| ApiError::Network)?;
        wire::parse(&text).map_err(|e| ApiError::Server(format!("unexpected answer ({e})")))
    }
}

async fn error_of(response: Response) -> ApiError {
    let status = response.status();
    let retry_after = response.headers().get("retry-after");
    let problem = match response.text().await {
        Ok(text) => wire::parse::<Problem>(&text).ok(),
        Err(_) => None,
    };
    ApiError::from_problem(status, problem, retry_after.as_deref())
}

impl TokenApi for HttpApi {
    fn me(&self) -> ApiFuture<Me> {
        let inner = self.0.clone();
        Box::pin(async move {
            HttpInner::json(inner.send(Method::GET, "/api/v1/me", None).await?).await
        })
    }

    fn list(&self, params: &ListParams) -> ApiFuture<TokenList> {
        let inner = self.0.clone();
        let path = format!("/api/v1/tokens?{}", params.to_query_string());
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
        let mut path = String::from("/api/v1/tokens/");
        encode_component(id, &mut path);
        Box::pin(async move { inner.send(Method::DELETE, &path, None).await.map(|_| ()) })
    }
}
