//! The OpenID provider: discovery, the HTTP transport, token endpoint requests, and the
//! `oauth2` client that builds the authorization request.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use oauth2::{
    AuthUrl, ClientId, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, RedirectUrl,
};

use super::AuthError;
use super::session_store::SessionStore;
use crate::config::RuntimeConfig;
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

    /// The browser's `fetch` through gloo-net.
    pub fn browser() -> Transport {
        Transport::new(|request| Box::pin(fetch(request)))
    }

    /// Sends `request`.
    pub fn send(&self, request: HttpRequest) -> HttpFuture {
        (self.0)(request)
    }
}

async fn fetch(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let err = |e: gloo_net::Error| HttpError(e.to_string());
    let mut builder = gloo_net::http::RequestBuilder::new(&request.uri().to_string())
        .method(request.method().clone());
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            builder = builder.header(name.as_str(), value);
        }
    }
    let body = request.body();
    let sent = if body.is_empty() {
        builder.build().map_err(err)?
    } else {
        builder
            .body(String::from_utf8_lossy(body).into_owned())
            .map_err(err)?
    };
    let response = sent.send().await.map_err(err)?;
    let mut answer = oauth2::http::Response::builder().status(response.status());
    // oauth2 reads only Content-Type from a response (and discovery only status and body).
    // Copying just that header with the `http` constant keeps `HeaderName::from_bytes` and its
    // table of standard header names out of the bundle (~15 KB raw, ~3.5 KB brotli).
    if let Some(value) = response.headers().get("content-type") {
        answer = answer.header(oauth2::http::header::CONTENT_TYPE, value);
    }
    let bytes = response.binary().await.map_err(err)?;
    answer.body(bytes).map_err(|e| HttpError(e.to_string()))
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
    if let Some(metadata) = kept.and_then(|json| read_metadata(json.as_bytes(), authority).ok()) {
        return Ok(metadata);
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        authority.trim_end_matches('/')
    );
    let request = oauth2::http::Request::get(&url)
        .header(oauth2::http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| AuthError::Protocol(e.to_string()))?;
    let response = transport
        .send(request)
        .await
        .map_err(|e| AuthError::Network(e.0))?;
    if !response.status().is_success() {
        return Err(AuthError::Protocol(format!(
            "discovery answered HTTP {}",
            response.status().as_u16()
        )));
    }
    let metadata = read_metadata(response.body(), authority)?;
    SessionStore::SessionStorage.set(&key, &String::from_utf8_lossy(response.body()));
    Ok(metadata)
}

/// The metadata in a discovery document whose issuer is `authority`.
fn read_metadata(json: &[u8], authority: &str) -> Result<ProviderMetadata, AuthError> {
    let metadata = ProviderMetadata::parse(&String::from_utf8_lossy(json))
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
    let body = oauth2::url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = oauth2::http::Request::post(token_endpoint)
        .header(oauth2::http::header::ACCEPT, "application/json")
        .header(
            oauth2::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.into_bytes())
        .map_err(|e| AuthError::Protocol(e.to_string()))?;
    let response = transport
        .send(request)
        .await
        .map_err(|e| AuthError::Network(e.0))?;
    let status = response.status().as_u16();
    let answer = Object::parse(&String::from_utf8_lossy(response.body()));
    let unreadable =
        |e: JsonError| AuthError::Protocol(format!("unreadable token answer (HTTP {status}: {e})"));
    let answer = answer.map_err(unreadable)?;
    if !response.status().is_success() {
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

/// The OAuth client of the SPA: public (no secret), authorization endpoint and redirect URI
/// set; it builds the authorization request.
pub type OAuthClient = oauth2::basic::BasicClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// Builds the OAuth client for `config` and the discovered `metadata`.
pub fn oauth_client(
    config: &RuntimeConfig,
    metadata: &ProviderMetadata,
) -> Result<OAuthClient, AuthError> {
    let bad = |what: &str, e: oauth2::url::ParseError| AuthError::Protocol(format!("{what}: {e}"));
    Ok(oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(metadata.authorization_endpoint.clone())
                .map_err(|e| bad("authorization_endpoint", e))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(config.redirect_uri.clone()).map_err(|e| bad("redirect_uri", e))?,
        ))
}
