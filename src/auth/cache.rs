//! The token cache, like MSAL's: per account (`tid.oid`), the access token with its expiry,
//! the refresh token, the raw ID token (for `id_token_hint`) and its claims.

use serde::{Deserialize, Serialize};

use super::claims::IdClaims;
use super::store::Store;

/// Key of the active account's cache key.
pub const ACTIVE_KEY: &str = "portal.auth.active";
/// Prefix of the per-account entries.
pub const TOKENS_PREFIX: &str = "portal.auth.tokens.";

/// Renew at most this long before expiry (MSAL's `tokenRenewalOffsetSeconds`).
pub const RENEWAL_OFFSET_MS: f64 = 300_000.0;
/// Lifetime assumed when the token endpoint gives no `expires_in`.
pub const DEFAULT_LIFETIME_MS: f64 = 3_600_000.0;

/// What is cached for one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedTokens {
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

/// `(renew_at, expires_at)` for a token received at `now_ms` that lives `expires_in_s`:
/// renew [`RENEWAL_OFFSET_MS`] before expiry, or at 80 % of a short life.
pub fn token_times(now_ms: f64, expires_in_s: Option<u64>) -> (u64, u64) {
    let lifetime = expires_in_s.map_or(DEFAULT_LIFETIME_MS, |s| s as f64 * 1000.0);
    let offset = RENEWAL_OFFSET_MS.min(lifetime / 5.0);
    (
        (now_ms + lifetime - offset) as u64,
        (now_ms + lifetime) as u64,
    )
}

impl CachedTokens {
    /// Whether the access token can be used as it is at `now_ms`.
    pub fn is_fresh(&self, now_ms: f64) -> bool {
        now_ms < self.renew_at_ms as f64 && now_ms < self.expires_at_ms as f64
    }
}

/// The token cache over a [`Store`].
pub struct TokenCache {
    store: Store,
}

impl TokenCache {
    pub fn new(store: Store) -> TokenCache {
        TokenCache { store }
    }

    /// The active account's tokens; a malformed entry is dropped.
    pub fn load(&self) -> Option<CachedTokens> {
        let key = format!("{TOKENS_PREFIX}{}", self.store.get(ACTIVE_KEY)?);
        let json = self.store.get(&key)?;
        match serde_json::from_str(&json) {
            Ok(tokens) => Some(tokens),
            Err(_) => {
                self.store.remove(&key);
                None
            }
        }
    }

    /// Stores `tokens` and makes their account the active one.
    pub fn save(&self, tokens: &CachedTokens) {
        let account = tokens.claims.account_key();
        if let Ok(json) = serde_json::to_string(tokens) {
            self.store.set(&format!("{TOKENS_PREFIX}{account}"), &json);
            self.store.set(ACTIVE_KEY, &account);
        }
    }

    /// Forgets every account.
    pub fn clear(&self) {
        for key in self.store.keys(TOKENS_PREFIX) {
            self.store.remove(&key);
        }
        self.store.remove(ACTIVE_KEY);
    }
}
