//! Sign-in in the browser, the way MSAL.js does it for a single-page app: authorization code
//! with PKCE through a full-page redirect (`redirect.rs`), an OAuth token cache
//! (sessionStorage or memory), silent renewal with the refresh token (`renewal.rs`), and
//! sign-out at the provider.
//!
//! This module is the sign-in state only; the pages shown around it are in
//! [`app::status`](crate::app::status). The app creates one [`Auth`] at start-up, lets it
//! [`handle_redirect`](Auth::handle_redirect) and provides it as context; components and the
//! API layer get it with [`use_auth`].

pub mod cache;
pub mod claims;
pub mod pending;
pub mod provider;
mod redirect;
mod renewal;
pub mod session_store;
mod web_url;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use token_wire::Role;

use crate::config::{CacheLocation, RuntimeConfig};
use cache::{OAuthTokenCache, OAuthTokens};
use claims::ClaimError;
use provider::{ProviderMetadata, TokenAnswer, Transport};
use renewal::SharedRefresh;
use session_store::SessionStore;

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

/// Why signing in, or getting an access token, failed.
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

struct Inner {
    config: RuntimeConfig,
    transport: Transport,
    navigate: Box<dyn Fn(&str)>,
    cache: OAuthTokenCache,
    requests: SessionStore,
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
        let cache = OAuthTokenCache::new(match config.cache_location {
            CacheLocation::SessionStorage => SessionStore::SessionStorage,
            CacheLocation::Memory => SessionStore::memory(),
        });
        let account = cache.load().map(|t| t.claims.account());
        Auth(SendWrapper::new(Rc::new(Inner {
            config,
            transport,
            navigate: Box::new(navigate),
            cache,
            requests: SessionStore::SessionStorage,
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

    /// The cached OAuth tokens of the active account (for tests and diagnostics; never log
    /// them).
    pub fn cached_oauth_tokens(&self) -> Option<OAuthTokens> {
        self.0.cache.load()
    }

    /// Whether the user signed out in this tab and has not signed in since.
    pub fn signed_out(&self) -> bool {
        SessionStore::SessionStorage.get(SIGNED_OUT_KEY).is_some()
    }

    async fn metadata(&self) -> Result<ProviderMetadata, AuthError> {
        if let Some(m) = self.0.metadata.borrow().clone() {
            return Ok(m);
        }
        let metadata = provider::discover(&self.0.transport, &self.0.config.authority).await?;
        *self.0.metadata.borrow_mut() = Some(metadata.clone());
        Ok(metadata)
    }

    /// Posts a grant (its own parameters) to the token endpoint with the SPA's `client_id`
    /// and scopes; returns the metadata it used and the answer.
    async fn redeem(
        &self,
        grant: &[(&str, &str)],
    ) -> Result<(ProviderMetadata, TokenAnswer), AuthError> {
        let metadata = self.metadata().await?;
        let config = &self.0.config;
        let scope = config.scopes.join(" ");
        let mut form = grant.to_vec();
        form.extend([
            ("client_id", config.client_id.as_str()),
            ("scope", scope.as_str()),
        ]);
        let answer =
            provider::token_request(&self.0.transport, &metadata.token_endpoint, &form).await?;
        Ok((metadata, answer))
    }
}
