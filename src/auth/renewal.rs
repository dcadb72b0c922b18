//! Access tokens for the API: the cached one while it is fresh, else one renewed with the
//! refresh token (one refresh at a time), else an interactive sign-in.

use futures::FutureExt as _;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;

use super::cache::{self, OAuthTokens};
use super::claims::{Expected, IdClaims};
use super::provider::{ProviderMetadata, TokenAnswer};
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
        let grant = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ];
        match self.redeem(&grant).await {
            Ok((metadata, answer)) => Ok(self
                .store(&metadata, answer, None, Some(&previous))?
                .access_token),
            Err(AuthError::Provider { error, .. }) if needs_interaction(&error) => {
                self.interaction_required().await
            }
            Err(e) => Err(e),
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
        answer: TokenAnswer,
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
        let (id_token, claims) = match (answer.id_token, previous) {
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
        let (renew_at_ms, expires_at_ms) = cache::access_token_times(now, answer.expires_in);
        let tokens = OAuthTokens {
            access_token: answer.access_token,
            expires_at_ms,
            renew_at_ms,
            refresh_token: answer
                .refresh_token
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

/// Whether a refusal (an OAuth error code) means the user must sign in again (MSAL's list).
fn needs_interaction(error: &str) -> bool {
    matches!(
        error,
        "invalid_grant" | "interaction_required" | "login_required" | "consent_required"
    )
}
