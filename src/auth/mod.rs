//! Sign-in in the browser, the way MSAL.js does it for a single-page app: authorization code
//! with PKCE through a full-page redirect, a token cache (sessionStorage or memory), silent
//! renewal with the refresh token, and sign-out at the provider.
//!
//! The app creates one [`Auth`] at start-up, lets it [`handle_redirect`](Auth::handle_redirect)
//! and provides it as context; components and the API layer get it with [`use_auth`].

pub mod cache;
pub mod claims;
pub mod pending;
pub mod provider;
pub mod store;
pub mod views;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::FutureExt as _;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use oauth2::basic::BasicErrorResponseType;
use oauth2::{
    AuthorizationCode, PkceCodeVerifier, RefreshToken, RequestTokenError, Scope, TokenResponse as _,
};
use send_wrapper::SendWrapper;
use token_wire::Role;

use crate::config::{CacheLocation, RuntimeConfig};
use cache::{CachedTokens, TokenCache};
use claims::{ClaimError, Expected, IdClaims};
use pending::PendingRequest;
use provider::{ProviderMetadata, TokenResponse, Transport};
use store::Store;

/// Set in sessionStorage when the user signs out, so that coming back shows "signed out"
/// instead of signing in again at once.
const SIGNED_OUT_KEY: &str = "portal.auth.signed_out";

/// The signed-in user, from the ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `tid`.
    pub tenant_id: String,
    /// `oid`.
    pub user_id: String,
    /// `name`.
    pub name: String,
    /// `preferred_username`.
    pub username: String,
    /// The portal roles among `wids`, strongest first; empty: no access to the portal.
    pub roles: Vec<Role>,
}

/// Why no token could be had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The user must sign in again; an interactive sign-in (full-page redirect) has started.
    #[error("you need to sign in again")]
    InteractionRequired,
    /// The answer at the redirect URI belongs to no sign-in started in this tab (unknown,
    /// reused, expired or tampered `state`).
    #[error("the answer from the identity provider does not match a sign-in started here")]
    StateMismatch,
    /// The provider's answer has no authorization code.
    #[error("the identity provider sent no authorization code")]
    MissingCode,
    /// The provider refused (an OAuth error code and its description).
    #[error("the identity provider answered {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Provider {
        error: String,
        description: Option<String>,
    },
    /// The ID token failed a check.
    #[error("the ID token was refused: {0}")]
    IdToken(#[from] ClaimError),
    /// The provider could not be reached.
    #[error("the identity provider could not be reached ({0})")]
    Network(String),
    /// The provider answered something the SPA does not understand.
    #[error("unexpected answer from the identity provider: {0}")]
    Protocol(String),
}

type SharedRefresh = Shared<LocalBoxFuture<'static, Result<String, AuthError>>>;

struct Inner {
    config: RuntimeConfig,
    transport: Transport,
    navigate: Box<dyn Fn(&str)>,
    cache: TokenCache,
    requests: Store,
    metadata: RefCell<Option<ProviderMetadata>>,
    refresh: RefCell<Option<SharedRefresh>>,
    redirecting: Cell<bool>,
    account: ArcRwSignal<Option<Account>>,
}

/// The sign-in state of the app; cheap to clone, shared through context.
#[derive(Clone)]
pub struct Auth(SendWrapper<Rc<Inner>>);

/// The app's [`Auth`], from context.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn browser_navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

/// The current address, as a path with query and fragment.
pub fn current_path() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return "/".into();
    };
    format!(
        "{}{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default(),
        location.hash().unwrap_or_default()
    )
}

impl Auth {
    /// Sign-in for `config` over the browser's `fetch`, navigating the page for redirects.
    pub fn new(config: RuntimeConfig) -> Auth {
        Auth::with_transport(config, Transport::browser(), browser_navigate)
    }

    /// Sign-in over `transport`, calling `navigate` instead of leaving the page (tests).
    pub fn with_transport(
        config: RuntimeConfig,
        transport: Transport,
        navigate: impl Fn(&str) + 'static,
    ) -> Auth {
        let cache = TokenCache::new(match config.cache_location {
            CacheLocation::SessionStorage => Store::Session,
            CacheLocation::Memory => Store::memory(),
        });
        let account = cache.load().map(|t| t.claims.account());
        Auth(SendWrapper::new(Rc::new(Inner {
            config,
            transport,
            navigate: Box::new(navigate),
            cache,
            requests: Store::Session,
            metadata: RefCell::new(None),
            refresh: RefCell::new(None),
            redirecting: Cell::new(false),
            account: ArcRwSignal::new(account),
        })))
    }

    /// The runtime configuration (API base URL, scopes, …).
    pub fn config(&self) -> &RuntimeConfig {
        &self.0.config
    }

    /// The signed-in account, `None` when nobody is signed in.
    pub fn account(&self) -> Signal<Option<Account>> {
        let account = self.0.account.clone();
        Signal::derive(move || account.get())
    }

    /// The cached tokens of the active account (for tests and diagnostics; never log them).
    pub fn cached_tokens(&self) -> Option<CachedTokens> {
        self.0.cache.load()
    }

    /// Whether the user signed out in this tab and has not signed in since.
    pub fn signed_out(&self) -> bool {
        Store::Session.get(SIGNED_OUT_KEY).is_some()
    }

    /// A valid access token for the API scope, renewed with the refresh token when it is
    /// about to expire (one refresh at a time). When renewal is refused, an interactive
    /// sign-in starts and this returns [`AuthError::InteractionRequired`].
    pub async fn access_token(&self) -> Result<String, AuthError> {
        match self.0.cache.load() {
            Some(tokens) if tokens.is_fresh(now_ms()) => Ok(tokens.access_token),
            Some(_) => self.renew().await,
            None => self.interaction_required().await,
        }
    }

    /// After a 401 from the API: renews the token (joining a refresh in flight) and returns
    /// the new one, or starts an interactive sign-in.
    pub async fn renew_after_unauthorized(&self) -> Result<String, AuthError> {
        self.renew().await
    }

    /// Starts an interactive sign-in: stores a new request and leaves the page for the
    /// provider. `return_to` is where to land afterwards.
    pub async fn sign_in(
        &self,
        return_to: &str,
        login_hint: Option<&str>,
    ) -> Result<(), AuthError> {
        let metadata = self.metadata().await?;
        let client = provider::oauth_client(&self.0.config, &metadata)?;
        let (request, challenge) = PendingRequest::new(return_to, now_ms());
        let state = oauth2::CsrfToken::new(request.state.clone());
        let mut authorize = client
            .authorize_url(move || state)
            .add_scopes(self.scopes())
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", request.nonce.clone());
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            authorize = authorize.add_extra_param("login_hint", hint.to_string());
        }
        let (url, _) = authorize.url();
        pending::save(&self.0.requests, &request);
        Store::Session.remove(SIGNED_OUT_KEY);
        self.0.redirecting.set(true);
        (self.0.navigate)(url.as_str());
        Ok(())
    }

    /// Whether `href` is an answer at the redirect URI.
    pub fn is_redirect(&self, href: &str) -> bool {
        let (Ok(url), Ok(redirect)) = (
            oauth2::url::Url::parse(href),
            oauth2::url::Url::parse(&self.0.config.redirect_uri),
        ) else {
            return false;
        };
        url.origin() == redirect.origin() && url.path() == redirect.path()
    }

    /// Handles the provider's answer when `href` is the redirect URI: checks `state` (once),
    /// redeems the code with the PKCE verifier, checks the ID token and caches the tokens.
    /// Returns the deep link to go to, or `None` when `href` is not an answer.
    pub async fn handle_redirect(&self, href: &str) -> Result<Option<String>, AuthError> {
        if !self.is_redirect(href) {
            return Ok(None);
        }
        let url = oauth2::url::Url::parse(href).map_err(|e| AuthError::Protocol(e.to_string()))?;
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let state = param("state").unwrap_or_default();
        let request =
            pending::take(&self.0.requests, &state, now_ms()).ok_or(AuthError::StateMismatch)?;
        if let Some(error) = param("error") {
            return Err(AuthError::Provider {
                error,
                description: param("error_description"),
            });
        }
        let code = param("code").ok_or(AuthError::MissingCode)?;
        let metadata = self.metadata().await?;
        let client = provider::oauth_client(&self.0.config, &metadata)?;
        let transport = self.0.transport.clone();
        let http = move |r| transport.send(r);
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(request.pkce_verifier))
            .add_extra_param("scope", self.0.config.scopes.join(" "))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        self.store(&metadata, response, Some(&request.nonce), None)?;
        self.0.redirecting.set(false);
        Ok(Some(request.return_to))
    }

    /// Forgets the tokens and ends the session at the provider (end-session endpoint with
    /// `id_token_hint` and `post_logout_redirect_uri`).
    pub fn sign_out(&self) {
        let id_token = self.0.cache.load().map(|t| t.id_token);
        self.0.cache.clear();
        self.0.account.set(None);
        Store::Session.set(SIGNED_OUT_KEY, "1");
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let config = &this.0.config;
            let end_session = this
                .metadata()
                .await
                .ok()
                .and_then(|m| m.end_session_endpoint);
            let target = end_session
                .and_then(|endpoint| {
                    let mut params = vec![
                        ("client_id", config.client_id.as_str()),
                        (
                            "post_logout_redirect_uri",
                            config.post_logout_redirect_uri.as_str(),
                        ),
                    ];
                    if let Some(hint) = id_token.as_deref() {
                        params.push(("id_token_hint", hint));
                    }
                    oauth2::url::Url::parse_with_params(&endpoint, params).ok()
                })
                .map_or_else(|| config.post_logout_redirect_uri.clone(), String::from);
            this.0.redirecting.set(true);
            (this.0.navigate)(&target);
        });
    }

    fn scopes(&self) -> Vec<Scope> {
        self.0
            .config
            .scopes
            .iter()
            .cloned()
            .map(Scope::new)
            .collect()
    }

    async fn metadata(&self) -> Result<ProviderMetadata, AuthError> {
        if let Some(m) = self.0.metadata.borrow().clone() {
            return Ok(m);
        }
        let metadata = provider::discover(&self.0.transport, &self.0.config.authority).await?;
        *self.0.metadata.borrow_mut() = Some(metadata.clone());
        Ok(metadata)
    }

    /// Joins the refresh in flight, or starts one.
    async fn renew(&self) -> Result<String, AuthError> {
        let refresh = {
            let mut slot = self.0.refresh.borrow_mut();
            match slot.as_ref() {
                Some(running) => running.clone(),
                None => {
                    let this = self.clone();
                    let running = async move {
                        let result = this.refresh().await;
                        *this.0.refresh.borrow_mut() = None;
                        result
                    }
                    .boxed_local()
                    .shared();
                    *slot = Some(running.clone());
                    running
                }
            }
        };
        refresh.await
    }

    async fn refresh(&self) -> Result<String, AuthError> {
        let Some(previous) = self.0.cache.load() else {
            return self.interaction_required().await;
        };
        let Some(refresh_token) = previous.refresh_token.clone() else {
            return self.interaction_required().await;
        };
        let metadata = self.metadata().await?;
        let client = provider::oauth_client(&self.0.config, &metadata)?;
        let transport = self.0.transport.clone();
        let http = move |r| transport.send(r);
        let refresh_token = RefreshToken::new(refresh_token);
        let answer = client
            .exchange_refresh_token(&refresh_token)
            .add_scopes(self.scopes())
            .request_async(&http)
            .await;
        match answer {
            Ok(response) => Ok(self
                .store(&metadata, response, None, Some(&previous))?
                .access_token),
            Err(RequestTokenError::ServerResponse(e)) if needs_interaction(e.error()) => {
                self.interaction_required().await
            }
            Err(e) => Err(token_error(e)),
        }
    }

    /// Starts an interactive sign-in (once) and answers [`AuthError::InteractionRequired`].
    async fn interaction_required(&self) -> Result<String, AuthError> {
        if !self.0.redirecting.get() {
            let hint = self
                .0
                .cache
                .load()
                .and_then(|t| t.claims.preferred_username);
            self.0.cache.clear();
            self.sign_in(&current_path(), hint.as_deref()).await?;
        }
        Err(AuthError::InteractionRequired)
    }

    /// Checks a token endpoint answer and caches it.
    fn store(
        &self,
        metadata: &ProviderMetadata,
        response: TokenResponse,
        nonce: Option<&str>,
        previous: Option<&CachedTokens>,
    ) -> Result<CachedTokens, AuthError> {
        let now = now_ms();
        let expected = Expected {
            issuer: &metadata.issuer,
            client_id: &self.0.config.client_id,
            nonce,
            now_s: (now / 1000.0) as i64,
        };
        let (id_token, claims) = match (response.extra_fields().id_token.clone(), previous) {
            (Some(raw), _) => {
                let claims = IdClaims::from_id_token(&raw, expected)?;
                (raw, claims)
            }
            (None, Some(p)) => (p.id_token.clone(), p.claims.clone()),
            (None, None) => return Err(AuthError::Protocol("no ID token in the answer".into())),
        };
        if let Some(p) = previous
            && p.claims.account_key() != claims.account_key()
        {
            return Err(AuthError::Protocol(
                "the renewed tokens are for another account".into(),
            ));
        }
        let (renew_at_ms, expires_at_ms) =
            cache::token_times(now, response.expires_in().map(|d| d.as_secs()));
        let tokens = CachedTokens {
            access_token: response.access_token().secret().clone(),
            expires_at_ms,
            renew_at_ms,
            refresh_token: response
                .refresh_token()
                .map(|t| t.secret().clone())
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            id_token,
            claims,
        };
        self.0.cache.save(&tokens);
        let account = tokens.claims.account();
        if self
            .0
            .account
            .with_untracked(|a| a.as_ref() != Some(&account))
        {
            self.0.account.set(Some(account));
        }
        Ok(tokens)
    }
}

/// Whether a refusal means the user must sign in again (MSAL's list).
fn needs_interaction(error: &BasicErrorResponseType) -> bool {
    match error {
        BasicErrorResponseType::InvalidGrant => true,
        BasicErrorResponseType::Extension(code) => {
            matches!(
                code.as_str(),
                "interaction_required" | "login_required" | "consent_required"
            )
        }
        _ => false,
    }
}

fn token_error<RE: std::error::Error>(
    e: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> AuthError {
    match e {
        RequestTokenError::ServerResponse(e) => AuthError::Provider {
            error: e.error().to_string(),
            description: e.error_description().cloned(),
        },
        RequestTokenError::Request(e) => AuthError::Network(e.to_string()),
        // Only the path: serde's message may quote a value of the answer, a token maybe.
        RequestTokenError::Parse(e, _) => {
            AuthError::Protocol(format!("unreadable token answer (at {})", e.path()))
        }
        RequestTokenError::Other(e) => AuthError::Protocol(e),
    }
}
