//! Settings of a running server, with the defaults `token-api serve` starts from.

use std::path::PathBuf;
use std::time::Duration;

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
    /// API-token-authenticated calls a tenant may make per minute.
    pub rate_limit_per_minute: u32,
    /// How often the change log is polled to invalidate cached API tokens (the
    /// cross-instance revocation bound).
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
            portal_url_template: token_wire::DEFAULT_PORTAL_URL_TEMPLATE.into(),
            rate_limit_per_minute: token_wire::DEFAULT_RATE_LIMIT_PER_MINUTE,
            change_poll_interval: Duration::from_secs(2),
            last_used_flush_interval: Duration::from_secs(15),
        }
    }
}

impl Config {
    /// The tenant's portal URL.
    pub fn portal_url(&self, tenant_id: &str) -> String {
        token_wire::portal_url(&self.portal_url_template, tenant_id)
    }
}
