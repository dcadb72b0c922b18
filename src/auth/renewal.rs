//! Access tokens for the API: the cached one while it is fresh, else one renewed with the
//! refresh token (one refresh at a time), else an interactive sign-in.

use futures::FutureExt as _;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use oauth2::basic::BasicErrorResponseType;
use oauth2::{RefreshToken, RequestTokenError, TokenResponse as _};

use super::cache::{self, OAuthTokens};
use super::claims::{Expected, IdClaims};
use super::provider::{self, ProviderMetadata, TokenResponse};
use super::{Auth, AuthError, current_path, now_ms};

/// The refresh in flight, joined by every caller that needs an access token meanwhile.
pub(super) type SharedRefresh = Shared<LocalBoxFuture<'static, Result<String, AuthError>>>;

impl Auth {
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

    /// After a 401 from the API: renews the access token (joining a refresh in flight) and
    /// returns the new one, or starts an interactive sign-in.
    pub async fn renew_after_unauthorized(&self) -> Result<String, AuthError> {
        self.renew().await
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
            Err(e) => Err(token_endpoint_error(e)),
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
    pub(super) fn store(
        &self,
        metadata: &ProviderMetadata,
        response: TokenResponse,
        nonce: Option<&str>,
        previous: Option<&OAuthTokens>,
    ) -> Result<OAuthTokens, AuthError> {
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
            cache::access_token_times(now, response.expires_in().map(|d| d.as_secs()));
        let tokens = OAuthTokens {
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

/// The [`AuthError`] of a failed call to the token endpoint.
pub(super) fn token_endpoint_error<RE: std::error::Error>(
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
