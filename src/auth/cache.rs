//! The OAuth token cache, like MSAL's: per account (`tid.oid`), the access token with its
//! expiry, the refresh token, the raw ID token (for `id_token_hint`) and its claims.

use serde::{Deserialize, Serialize};

use super::claims::IdClaims;
use super::session_store::SessionStore;
use crate::from_json;
use crate::json::{FromJson, Object};

/// Key of the active account's cache key.
pub const ACTIVE_ACCOUNT_KEY: &str = "portal.auth.active";
/// Prefix of the per-account entries.
pub const OAUTH_TOKENS_PREFIX: &str = "portal.auth.tokens.";

/// Renew at most this long before expiry (MSAL's `tokenRenewalOffsetSeconds`).
pub const RENEWAL_OFFSET_MS: f64 = 300_000.0;
/// Lifetime assumed when the token endpoint gives no `expires_in`.
pub const DEFAULT_LIFETIME_MS: f64 = 3_600_000.0;

/// The OAuth tokens cached for one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthTokens {
    pub access_token: String,
    /// When the access token expires (ms since the epoch).
    pub expires_at_ms: u64,
    /// When to renew it (ms since the epoch), a little before it expires.
    pub renew_at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub claims: IdClaims,
}

from_json! {
    OAuthTokens { access_token, expires_at_ms, renew_at_ms, refresh_token, id_token, claims }
}

/// `(renew_at, expires_at)` for an access token received at `now_ms` that lives
/// `expires_in_s`: renew [`RENEWAL_OFFSET_MS`] before expiry, or at 80 % of a short life.
pub fn access_token_times(now_ms: f64, expires_in_s: Option<u64>) -> (u64, u64) {
    let lifetime = expires_in_s.map_or(DEFAULT_LIFETIME_MS, |s| s as f64 * 1000.0);
    let offset = RENEWAL_OFFSET_MS.min(lifetime / 5.0);
    (
        (now_ms + lifetime - offset) as u64,
        (now_ms + lifetime) as u64,
    )
}

impl OAuthTokens {
    /// The tokens as a JSON object, as serde would write them.
    fn write(&self) -> Object {
        let o = Object::default();
        o.set_str("access_token", &self.access_token)
            .set_num("expires_at_ms", self.expires_at_ms as f64)
            .set_num("renew_at_ms", self.renew_at_ms as f64)
            .set_opt_str("refresh_token", self.refresh_token.as_deref())
            .set_str("id_token", &self.id_token)
            .set_object("claims", &self.claims.write());
        o
    }

    /// Whether the access token can be used as it is at `now_ms`.
    pub fn is_fresh(&self, now_ms: f64) -> bool {
        now_ms < self.renew_at_ms as f64 && now_ms < self.expires_at_ms as f64
    }
}

/// The OAuth token cache over a [`SessionStore`].
pub struct OAuthTokenCache {
    store: SessionStore,
}

impl OAuthTokenCache {
    pub fn new(store: SessionStore) -> OAuthTokenCache {
        OAuthTokenCache { store }
    }

    /// The active account's tokens; a malformed entry is dropped.
    pub fn load(&self) -> Option<OAuthTokens> {
        let key = format!(
            "{OAUTH_TOKENS_PREFIX}{}",
            self.store.get(ACTIVE_ACCOUNT_KEY)?
        );
        let json = self.store.get(&key)?;
        match Object::parse(&json).and_then(|o| OAuthTokens::read(&o)) {
            Ok(tokens) => Some(tokens),
            Err(_) => {
                self.store.remove(&key);
                None
            }
        }
    }

    /// Stores `tokens` and makes their account the active one.
    pub fn save(&self, tokens: &OAuthTokens) {
        let account = tokens.claims.account_key();
        let json = tokens.write().stringify();
        self.store
            .set(&format!("{OAUTH_TOKENS_PREFIX}{account}"), &json);
        self.store.set(ACTIVE_ACCOUNT_KEY, &account);
    }

    /// Forgets every account.
    pub fn clear(&self) {
        for key in self.store.keys(OAUTH_TOKENS_PREFIX) {
            self.store.remove(&key);
        }
        self.store.remove(ACTIVE_ACCOUNT_KEY);
    }
}
