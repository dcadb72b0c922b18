//! The OpenID provider: discovery, the HTTP transport and token endpoint requests.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use super::AuthError;
use super::session_store::SessionStore;
use super::web_url;
use crate::from_json;
use crate::json::{FromJson, JsonError, Object};

/// The parts of `/.well-known/openid-configuration` the SPA uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub end_session_endpoint: Option<String>,
}

from_json! {
    ProviderMetadata { issuer, authorization_endpoint, token_endpoint, end_session_endpoint }
}

/// The methods the SPA uses with the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request to the provider.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, &'static str)>,
    /// Empty for a `GET`.
    pub body: String,
}

/// What the SPA reads of the provider's answer.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

impl HttpResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// An HTTP failure below OAuth (network, CORS, …).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

/// The future of one HTTP exchange.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>>>>;

/// How the SPA talks HTTP to the provider: the browser's `fetch`, or a fake in tests.
#[derive(Clone)]
pub struct Transport(Rc<dyn Fn(HttpRequest) -> HttpFuture>);

impl Transport {
    /// A transport answering with `f`.
    pub fn new(f: impl Fn(HttpRequest) -> HttpFuture + 'static) -> Transport {
        Transport(Rc::new(f))
    }

    /// The browser's `fetch`.
    pub fn browser() -> Transport {
        Transport::new(|request| Box::pin(fetch(request)))
    }

    /// Sends `request`.
    pub fn send(&self, request: HttpRequest) -> HttpFuture {
        (self.0)(request)
    }
}

async fn fetch(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let answer = crate::fetch::send(crate::fetch::Request {
        method: match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
        },
        url: &request.url,
        headers: &request.headers,
        body: Some(request.body.as_str()).filter(|b| !b.is_empty()),
        no_store: false,
    })
    .await
    .map_err(|e| HttpError(e.to_string()))?;
    Ok(HttpResponse {
        status: answer.status,
        body: answer.text,
    })
}

/// Prefix of the sessionStorage key of an authority's discovery document: it changes far
/// more rarely than a tab's session lasts, and sign-in, its answer and every renewal need it.
pub const DISCOVERY_PREFIX: &str = "portal.auth.discovery.";

/// Reads the provider's discovery document for `authority`, once per tab session, and checks
/// its issuer.
pub async fn discover(
    transport: &Transport,
    authority: &str,
) -> Result<ProviderMetadata, AuthError> {
    let key = format!("{DISCOVERY_PREFIX}{}", authority.trim_end_matches('/'));
    let kept = SessionStore::SessionStorage.get(&key);
    if let Some(metadata) = kept.and_then(|json| read_metadata(&json, authority).ok()) {
        return Ok(metadata);
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        authority.trim_end_matches('/')
    );
    let request = HttpRequest {
        method: Method::Get,
        url,
        headers: vec![("Accept", "application/json")],
        body: String::new(),
    };
    let response = transport
        .send(request)
        .await
        .map_err(|e| AuthError::Network(e.0))?;
    if !response.is_success() {
        return Err(AuthError::Protocol(format!(
            "discovery answered HTTP {}",
            response.status
        )));
    }
    let metadata = read_metadata(&response.body, authority)?;
    SessionStore::SessionStorage.set(&key, &response.body);
    Ok(metadata)
}

/// The metadata in a discovery document whose issuer is `authority`.
fn read_metadata(json: &str, authority: &str) -> Result<ProviderMetadata, AuthError> {
    let metadata = ProviderMetadata::parse(json)
        .map_err(|e| AuthError::Protocol(format!("discovery document: {e}")))?;
    if metadata.issuer.trim_end_matches('/') != authority.trim_end_matches('/') {
        return Err(AuthError::Protocol(format!(
            "the provider's issuer {} is not the configured authority {authority}",
            metadata.issuer
        )));
    }
    Ok(metadata)
}

/// What the SPA reads of a token endpoint answer (RFC 6749 §5.1, OIDC Core 3.1.3.3).
#[derive(Clone, Debug)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

/// Posts a grant to the token endpoint as `oauth2` would for a public client (form body with
/// `client_id`) and reads the answer; a refusal is [`AuthError::Provider`].
pub async fn token_request(
    transport: &Transport,
    token_endpoint: &str,
    form: &[(&str, &str)],
) -> Result<TokenAnswer, AuthError> {
    let request = HttpRequest {
        method: Method::Post,
        url: token_endpoint.to_string(),
        headers: vec![
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body: web_url::form(form),
    };
    let response = transport
        .send(request)
        .await
        .map_err(|e| AuthError::Network(e.0))?;
    let status = response.status;
    let answer = Object::parse(&response.body);
    let unreadable =
        |e: JsonError| AuthError::Protocol(format!("unreadable token answer (HTTP {status}: {e})"));
    let answer = answer.map_err(unreadable)?;
    if !response.is_success() {
        return Err(AuthError::Provider {
            error: answer.str("error").map_err(unreadable)?,
            description: answer.opt_str("error_description").map_err(unreadable)?,
        });
    }
    let read = || -> Result<TokenAnswer, JsonError> {
        Ok(TokenAnswer {
            access_token: answer.str("access_token")?,
            expires_in: answer.opt_int("expires_in")?.map(|s| s.max(0) as u64),
            refresh_token: answer.opt_str("refresh_token")?,
            id_token: answer.opt_str("id_token")?,
        })
    };
    read().map_err(unreadable)
}
