//! What every handler shares: the store, the settings, the sign-in verifier, the in-memory
//! state of the API-token hot path, and the clock.

use std::sync::{Arc, OnceLock};

use time::OffsetDateTime;

use crate::cache::{ApiTokenCache, PendingUses};
use crate::clock::{self, Clock};
use crate::config::Config;
use crate::jwt::JwtVerifier;
use crate::limiter::RateLimiter;
use crate::misses::{InvalidTokenLimiter, UnknownValues};
use crate::security::Csp;
use crate::store::Store;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the SPA's index.html: {0}")]
    Spa(#[from] std::io::Error),
}

/// Everything handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    config: Config,
    jwt: JwtVerifier,
    api_tokens: ApiTokenCache,
    limiter: RateLimiter,
    unknown_values: UnknownValues,
    invalid_tokens: InvalidTokenLimiter,
    pending: PendingUses,
    clock: Clock,
    csp: Csp,
    openapi_json: OnceLock<String>,
}

impl AppState {
    /// State over `store` with the system clock.
    pub fn new(store: Store, config: Config) -> Result<AppState, StartError> {
        Self::with_clock(store, config, clock::system())
    }

    /// State with an injected clock.
    pub fn with_clock(store: Store, config: Config, clock: Clock) -> Result<AppState, StartError> {
        let csp = Csp::new(config.issuer.as_deref(), config.spa_dir.as_deref())?;
        Ok(AppState(Arc::new(Inner {
            jwt: JwtVerifier::new(config.issuer.clone(), config.audience.clone())
                .refreshing_at_most_every(config.jwks_min_refresh),
            limiter: RateLimiter::new(config.rate_limit_per_minute),
            api_tokens: ApiTokenCache::default(),
            unknown_values: UnknownValues::default(),
            invalid_tokens: InvalidTokenLimiter::new(config.invalid_tokens_per_minute),
            pending: PendingUses::default(),
            openapi_json: OnceLock::new(),
            store,
            config,
            clock,
            csp,
        })))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> OffsetDateTime {
        (self.0.clock)()
    }

    /// Now in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        clock::to_ms(self.now())
    }

    /// How many API tokens are cached by value hash.
    pub fn cached_api_tokens(&self) -> usize {
        self.0.api_tokens.len()
    }

    /// How many API-token lookups went to the store (cache and negative-cache misses).
    pub fn token_lookups(&self) -> u64 {
        self.0.unknown_values.store_lookups()
    }

    /// The tenant's portal URL.
    pub fn portal_url(&self, tenant_id: &str) -> String {
        self.config().portal_url(tenant_id)
    }

    /// The access-token verifier.
    pub(crate) fn jwt(&self) -> &JwtVerifier {
        &self.0.jwt
    }

    /// API-token lookups cached by value hash.
    pub(crate) fn api_tokens(&self) -> &ApiTokenCache {
        &self.0.api_tokens
    }

    /// API-token values the store did not know, remembered for a minute.
    pub(crate) fn unknown_values(&self) -> &UnknownValues {
        &self.0.unknown_values
    }

    /// Invalid API-token values per client address.
    pub(crate) fn invalid_tokens(&self) -> &InvalidTokenLimiter {
        &self.0.invalid_tokens
    }

    /// The per-tenant rate limiter of API-token calls, shared with other instances.
    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    /// API-token uses not yet written to the store.
    pub(crate) fn pending_uses(&self) -> &PendingUses {
        &self.0.pending
    }

    /// The SPA's Content-Security-Policy.
    pub(crate) fn csp(&self) -> &Csp {
        &self.0.csp
    }

    /// The OpenAPI document as served, set once when the router is built.
    pub(crate) fn openapi_json(&self) -> &OnceLock<String> {
        &self.0.openapi_json
    }
}
