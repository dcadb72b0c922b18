//! The interactive part of sign-in: leaving for the provider, taking its answer at the
//! redirect URI, and signing out at the provider.

use leptos::prelude::Set as _;

use super::pending::{self, PendingRequest};
use super::session_store::SessionStore;
use super::{Auth, AuthError, SIGNED_OUT_KEY, now_ms, web_url};

impl Auth {
    /// Starts an interactive sign-in: stores a new request and leaves the page for the
    /// provider. `return_to` is where to land afterwards.
    pub async fn sign_in(
        &self,
        return_to: &str,
        login_hint: Option<&str>,
    ) -> Result<(), AuthError> {
        let metadata = self.metadata().await?;
        let config = &self.0.config;
        web_url::parse(&config.redirect_uri, "redirect_uri")?;
        let (request, challenge) = PendingRequest::new(return_to, now_ms());
        let scope = config.scopes.join(" ");
        // The parameters `oauth2`'s authorization request sends, in its order.
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("state", request.state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", challenge.method().as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
        ];
        if !scope.is_empty() {
            params.push(("scope", &scope));
        }
        params.push(("nonce", &request.nonce));
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            params.push(("login_hint", hint));
        }
        let url = web_url::with_params(
            &metadata.authorization_endpoint,
            "authorization_endpoint",
            &params,
        )?;
        pending::save(&self.0.requests, &request);
        SessionStore::SessionStorage.remove(SIGNED_OUT_KEY);
        self.0.redirecting.set(true);
        (self.0.navigate)(&url);
        Ok(())
    }

    /// Whether `href` is an answer at the redirect URI.
    pub fn is_redirect(&self, href: &str) -> bool {
        let (Ok(url), Ok(redirect)) = (
            web_url::parse(href, "address"),
            web_url::parse(&self.0.config.redirect_uri, "redirect_uri"),
        ) else {
            return false;
        };
        url.origin() == redirect.origin() && url.pathname() == redirect.pathname()
    }

    /// Handles the provider's answer when `href` is the redirect URI: checks `state` (once),
    /// redeems the code with the PKCE verifier, checks the ID token and caches the tokens.
    /// Returns the deep link to go to, or `None` when `href` is not an answer.
    pub async fn handle_redirect(&self, href: &str) -> Result<Option<String>, AuthError> {
        if !self.is_redirect(href) {
            return Ok(None);
        }
        let url = web_url::parse(href, "the redirect")?;
        let param = |name: &str| web_url::param(&url, name);
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
        let (metadata, answer) = self
            .redeem(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", self.0.config.redirect_uri.as_str()),
                ("code_verifier", request.pkce_verifier.as_str()),
            ])
            .await?;
        self.store(&metadata, answer, Some(&request.nonce), None)?;
        self.0.redirecting.set(false);
        Ok(Some(request.return_to))
    }

    /// Forgets the OAuth tokens and ends the session at the provider (end-session endpoint
    /// with `id_token_hint` and `post_logout_redirect_uri`).
    pub fn sign_out(&self) {
        let id_token = self.0.cache.load().map(|t| t.id_token);
        self.0.cache.clear();
        self.0.account.set(None);
        SessionStore::SessionStorage.set(SIGNED_OUT_KEY, "1");
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
                    web_url::with_params(&endpoint, "end_session_endpoint", &params).ok()
                })
                .unwrap_or_else(|| config.post_logout_redirect_uri.clone());
            this.0.redirecting.set(true);
            (this.0.navigate)(&target);
        });
    }
}
