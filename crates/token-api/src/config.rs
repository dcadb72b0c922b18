//! Settings of a running server, with the defaults `token-api serve` starts from.

use std::path::PathBuf;
use std::time::Duration;

use crate::directory::DirectoryConfig;

/// Settings of a running server; `token-api serve` reads them from its options and
/// environment (see [`crate::cli::ServeArgs`]).
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// OpenID issuer URL; discovery is read from `{issuer}/.well-known/openid-configuration`.
    #[arg(long, env = "OIDC_ISSUER")]
    pub issuer: Option<String>,
    /// Expected `aud` of access tokens.
    #[arg(long, env = "OIDC_AUDIENCE")]
    pub audience: Option<String>,
    /// The SPA's client id at the OpenID provider: portal calls take only delegated access
    /// tokens issued to it (`azp`, `appid` or `client_id`); unset, they answer 503.
    #[arg(long, env = "OIDC_SPA_CLIENT_ID")]
    pub spa_client_id: Option<String>,
    /// The API's delegated scope (`scp`, without the audience prefix) portal calls need.
    #[arg(long, env = "OIDC_API_SCOPE", default_value = API_SCOPE)]
    pub api_scope: String,
    /// A built SPA (`dist/`) to serve.
    #[arg(long, env = "SPA_DIR")]
    pub spa_dir: Option<PathBuf>,
    /// Tenant portal URL template; `{tenant}` is replaced by the tenant id.
    #[arg(
        long,
        env = "PORTAL_URL_TEMPLATE",
        default_value = token_wire::DEFAULT_PORTAL_URL_TEMPLATE
    )]
    pub portal_url_template: String,
    /// API-token-authenticated calls a tenant may make per minute.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = token_wire::DEFAULT_RATE_LIMIT_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,
    /// Invalid API-token values one client address may show per minute; past it, values
    /// that are not cached answer 429 without a store lookup.
    #[arg(long, env = "INVALID_TOKENS_PER_MINUTE", default_value_t = INVALID_TOKENS_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub invalid_tokens_per_minute: u32,
    /// Live API tokens one user may have; creating one more answers 409.
    #[arg(long, env = "MAX_TOKENS_PER_USER", default_value_t = MAX_TOKENS_PER_USER, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens_per_user: u32,
    /// Audit events older than this many days are deleted by the background jobs (hourly).
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = AUDIT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_retention_days: u32,
    /// How often the change log is polled to invalidate cached API tokens, in milliseconds:
    /// the cross-instance revocation bound on SQLite; on PostgreSQL changes arrive at once by
    /// `LISTEN/NOTIFY`, and the poll is the safety net after a lost connection.
    #[arg(
        long = "change-poll-interval-ms",
        env = "CHANGE_POLL_INTERVAL_MS",
        default_value = "2000",
        value_parser = millis
    )]
    pub change_poll_interval: Duration,
    /// How soon after fetching the issuer's keys an access token with an unknown `kid` may
    /// fetch them again, in milliseconds (a rotated key is accepted after at most this long).
    #[arg(
        long = "jwks-min-refresh-ms",
        env = "JWKS_MIN_REFRESH_MS",
        default_value = "60000",
        value_parser = millis
    )]
    pub jwks_min_refresh: Duration,
    /// How often coalesced last-used writes are flushed (at most one minute).
    #[arg(skip = LAST_USED_FLUSH_INTERVAL)]
    pub last_used_flush_interval: Duration,
    /// Syncing roles from the directory.
    #[command(flatten)]
    pub directory: DirectoryConfig,
}

/// The scope the SPA asks for (`{audience}/access_as_user`).
pub const API_SCOPE: &str = "access_as_user";
const INVALID_TOKENS_PER_MINUTE: u32 = 60;
const MAX_TOKENS_PER_USER: u32 = 50;
const AUDIT_RETENTION_DAYS: u32 = 365;
const CHANGE_POLL_INTERVAL: Duration = Duration::from_secs(2);
const LAST_USED_FLUSH_INTERVAL: Duration = Duration::from_secs(15);

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: None,
            audience: None,
            spa_client_id: None,
            api_scope: API_SCOPE.into(),
            spa_dir: None,
            portal_url_template: token_wire::DEFAULT_PORTAL_URL_TEMPLATE.into(),
            rate_limit_per_minute: token_wire::DEFAULT_RATE_LIMIT_PER_MINUTE,
            invalid_tokens_per_minute: INVALID_TOKENS_PER_MINUTE,
            max_tokens_per_user: MAX_TOKENS_PER_USER,
            audit_retention_days: AUDIT_RETENTION_DAYS,
            change_poll_interval: CHANGE_POLL_INTERVAL,
            jwks_min_refresh: crate::jwt::REFRESH_AFTER_SUCCESS,
            last_used_flush_interval: LAST_USED_FLUSH_INTERVAL,
            directory: DirectoryConfig::default(),
        }
    }
}

/// A positive number of milliseconds.
fn millis(s: &str) -> Result<Duration, String> {
    positive(s, "milliseconds").map(Duration::from_millis)
}

/// A positive whole number (of `unit`, for the error).
pub(crate) fn positive(s: &str, unit: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a positive number of {unit}")),
    }
}

impl Config {
    /// The tenant's portal URL.
    pub fn portal_url(&self, tenant_id: &str) -> String {
        token_wire::portal_url(&self.portal_url_template, tenant_id)
    }
}
