//! Shared application state, configuration and background tasks.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use time::OffsetDateTime;
use token_wire::AuditAction;

use crate::cache::{PendingUses, RateLimiter, TokenCache};
use crate::jwt::JwtVerifier;
use crate::security::Csp;
use crate::store::{NewAudit, Store};

/// "Now", injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    /// OpenID issuer; discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: Option<String>,
    /// Expected `aud` of access tokens.
    pub audience: Option<String>,
    /// A built SPA (`dist/`) to serve.
    pub spa_dir: Option<PathBuf>,
    /// Tenant portal URL; `{tenant}` is replaced by the tenant id.
    pub portal_url_template: String,
    /// Token-authenticated calls a tenant may make per minute.
    pub rate_limit_per_minute: u32,
    /// How often the change log is polled to invalidate cached tokens (the cross-instance
    /// revocation bound).
    pub change_poll_interval: Duration,
    /// How often coalesced last-used writes are flushed (at most one minute).
    pub last_used_flush_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: None,
            audience: None,
            spa_dir: None,
            portal_url_template: "https://{tenant}.portal.example.net".into(),
            rate_limit_per_minute: 30,
            change_poll_interval: Duration::from_secs(2),
            last_used_flush_interval: Duration::from_secs(15),
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the SPA's index.html: {0}")]
    Spa(#[from] std::io::Error),
}

/// Everything handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub store: Store,
    pub config: Config,
    pub jwt: JwtVerifier,
    pub cache: TokenCache,
    pub limiter: RateLimiter,
    pub pending: PendingUses,
    pub clock: Clock,
    pub csp: Csp,
    pub openapi_json: OnceLock<String>,
}

impl AppState {
    /// State over `store` with the system clock.
    pub fn new(store: Store, config: Config) -> Result<AppState, StartError> {
        Self::with_clock(store, config, Arc::new(OffsetDateTime::now_utc))
    }

    /// State with an injected clock.
    pub fn with_clock(store: Store, config: Config, clock: Clock) -> Result<AppState, StartError> {
        let csp = Csp::new(config.issuer.as_deref(), config.spa_dir.as_deref())?;
        Ok(AppState(Arc::new(Inner {
            jwt: JwtVerifier::new(config.issuer.clone(), config.audience.clone()),
            limiter: RateLimiter::new(config.rate_limit_per_minute),
            cache: TokenCache::default(),
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
        to_ms(self.now())
    }

    /// How many token hashes are cached.
    pub fn cached_tokens(&self) -> usize {
        self.0.cache.len()
    }

    /// Writes the coalesced last-used times and `used` audit events.
    pub async fn flush(&self) {
        for (id, u) in self.0.pending.drain() {
            if let Err(e) = self.store().touch_token(&id, u.at).await {
                tracing::warn!(error = %e, "cannot record a token use");
                continue;
            }
            let audit = NewAudit {
                tenant_id: &u.tenant_id,
                at: u.at,
                actor_id: &u.owner_id,
                action: AuditAction::Used,
                token_id: Some(&id),
                token_name: Some(&u.name),
                ip: u.ip.as_deref(),
            };
            if let Err(e) = self.store().audit(&audit).await {
                tracing::warn!(error = %e, "cannot audit a token use");
            }
        }
    }

    /// Applies the store's change log to the cache once; returns the new position.
    pub async fn poll_changes(&self, after: i64, seen: &mut Vec<(i64, i64)>) -> i64 {
        let now = self.now_ms();
        let window = 30_000;
        let rows = match self.store().changes_since(after, now - window).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the change log");
                return after;
            }
        };
        let mut last = after;
        for c in rows {
            last = last.max(c.seq);
            if seen.iter().any(|(s, _)| *s == c.seq) {
                continue;
            }
            seen.push((c.seq, c.at));
            if let Some(token) = &c.token_id {
                self.0.cache.evict_token(token);
            }
            if let Some(user) = &c.user_id {
                self.0.cache.evict_owner(&c.tenant_id, user);
            }
        }
        seen.retain(|(_, at)| *at >= now - 2 * window);
        last
    }

    /// Starts the change-log poller and the last-used flusher; they stop with the runtime.
    pub fn spawn_background(&self) {
        let state = self.clone();
        tokio::spawn(async move {
            let mut after = state.store().last_change().await.unwrap_or(0);
            let mut seen = Vec::new();
            let mut tick = tokio::time::interval(state.config().change_poll_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for n in 0u64.. {
                tick.tick().await;
                after = state.poll_changes(after, &mut seen).await;
                if n % 1800 == 0 {
                    let day_ago = state.now_ms() - 24 * 3600 * 1000;
                    if let Err(e) = state.store().prune_changes(day_ago).await {
                        tracing::warn!(error = %e, "cannot prune the change log");
                    }
                }
            }
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(state.config().last_used_flush_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                state.flush().await;
            }
        });
    }

    /// The tenant's portal URL.
    pub fn portal_url(&self, tenant_id: &str) -> String {
        self.config()
            .portal_url_template
            .replace("{tenant}", tenant_id)
    }
}

/// Unix milliseconds of a time.
pub fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 UTC of Unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
