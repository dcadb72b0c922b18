//! [`HttpApi`]: the token API over `fetch`, with the signed-in user's access token.

use std::rc::Rc;

use token_wire::query::encode_component;
use token_wire::{CreateToken, CreatedToken, ListParams, Me, Problem, TokenList};

use super::wire::{self, FromJson};
use super::{ApiError, ApiFuture, TokenApi};
use crate::early;
use crate::fetch::{self, Answer};

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
        method: &str,
        path: &str,
        body: Option<&CreateToken>,
    ) -> Result<Answer, ApiError> {
        let url = format!("{}{path}", self.base_url);
        let body = body.map(wire::create_token);
        let early = match method {
            "GET" => early::answer(path).await,
            _ => None,
        };
        let answer = match early {
            Some(answer) => answer,
            None => {
                let access_token = self.access_tokens.access_token().await?;
                send_with(method, &url, body.as_deref(), &access_token).await?
            }
        };
        let answer = if answer.status == 401 {
            let access_token = self.access_tokens.renew_after_unauthorized().await?;
            send_with(method, &url, body.as_deref(), &access_token).await?
        } else {
            answer
        };
        if answer.ok() {
            Ok(answer)
        } else {
            let problem = wire::parse::<Problem>(&answer.text).ok();
            Err(ApiError::from_problem(
                answer.status,
                problem,
                answer.retry_after.as_deref(),
            ))
        }
    }
}

async fn send_with(
    method: &str,
    url: &str,
    body: Option<&str>,
    access_token: &str,
) -> Result<Answer, ApiError> {
    let authorization = format!("Bearer {access_token}");
    let mut headers = vec![
        ("Accept", "application/json, application/problem+json"),
        ("Authorization", authorization.as_str()),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let request = fetch::Request {
        method,
        url,
        headers: &headers,
        body,
        no_store: false,
    };
    fetch::send(request).await.map_err(|_| ApiError::Network)
}

fn json<T: FromJson>(answer: Answer) -> Result<T, ApiError> {
    wire::parse(&answer.text).map_err(|e| ApiError::Server(format!("unexpected answer ({e})")))
}

impl TokenApi for HttpApi {
    fn me(&self) -> ApiFuture<Me> {
        let inner = self.0.clone();
        Box::pin(async move { json(inner.send("GET", "/api/v1/me", None).await?) })
    }

    fn list(&self, params: &ListParams) -> ApiFuture<TokenList> {
        let inner = self.0.clone();
        let path = format!("/api/v1/tokens?{}", params.to_query_string());
        Box::pin(async move { json(inner.send("GET", &path, None).await?) })
    }

    fn create(&self, name: &str) -> ApiFuture<CreatedToken> {
        let inner = self.0.clone();
        let body = CreateToken {
            name: name.to_string(),
        };
        Box::pin(async move { json(inner.send("POST", "/api/v1/tokens", Some(&body)).await?) })
    }

    fn revoke(&self, id: &str) -> ApiFuture<()> {
        let inner = self.0.clone();
        let mut path = String::from("/api/v1/tokens/");
        encode_component(id, &mut path);
        Box::pin(async move { inner.send("DELETE", &path, None).await.map(|_| ()) })
    }
}
