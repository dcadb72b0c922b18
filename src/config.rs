//! Runtime configuration, read from `/config.json` when the app starts.
//!
//! The same built `dist/` works against Microsoft Entra ID and the local provider: only this
//! file differs (`cargo xtask dev` writes the local one).

use crate::from_json;
use crate::json::{Field, FromJson, JsonError, Object};

/// Where the configuration is served.
pub const CONFIG_URL: &str = "/config.json";

/// Where the token cache lives, as MSAL's `cacheLocation`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheLocation {
    /// `"sessionStorage"` (the default): survives reloads, dies with the tab.
    #[default]
    SessionStorage,
    /// `"memory"` (or `"memoryStorage"`): dies with the page; every load signs in again
    /// (silently while the provider session lasts).
    Memory,
}

/// The SPA's runtime configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// The OpenID issuer; discovery is read from `{authority}/.well-known/openid-configuration`.
    pub authority: String,
    /// The SPA's (public) client id.
    pub client_id: String,
    /// Scopes asked for at sign-in and on every refresh, e.g.
    /// `openid profile offline_access api://token-api/access_as_user`.
    pub scopes: Vec<String>,
    /// Base URL of the token API, without a trailing slash.
    pub api_base_url: String,
    /// Where the provider sends the browser back after sign-in (`…/auth/callback`).
    pub redirect_uri: String,
    /// Where the provider sends the browser after sign-out.
    pub post_logout_redirect_uri: String,
    /// Where the token cache lives.
    pub cache_location: CacheLocation,
}

impl Field for CacheLocation {
    fn field(o: &Object, key: &str) -> Result<CacheLocation, JsonError> {
        match o.opt_str(key)?.as_deref() {
            None | Some("sessionStorage") => Ok(CacheLocation::SessionStorage),
            Some("memory" | "memoryStorage") => Ok(CacheLocation::Memory),
            Some(other) => Err(JsonError(format!("unknown {key} `{other}`"))),
        }
    }
}

from_json! {
    RuntimeConfig {
        authority, client_id, scopes, api_base_url, redirect_uri, post_logout_redirect_uri,
        cache_location,
    }
}

/// Why the configuration could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{CONFIG_URL} could not be loaded: {0}")]
    Unreachable(String),
    #[error("{CONFIG_URL} answered HTTP {0}")]
    Status(u16),
    #[error("{CONFIG_URL} is not a valid configuration: {0}")]
    Invalid(String),
}

impl RuntimeConfig {
    /// Parses and checks the JSON text of `/config.json`.
    pub fn parse(json: &str) -> Result<Self, ConfigError> {
        let mut config =
            <Self as FromJson>::parse(json).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        for (name, value) in [
            ("authority", &mut config.authority),
            ("api_base_url", &mut config.api_base_url),
            ("redirect_uri", &mut config.redirect_uri),
            (
                "post_logout_redirect_uri",
                &mut config.post_logout_redirect_uri,
            ),
        ] {
            if !(value.starts_with("https://") || value.starts_with("http://")) {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be an absolute http(s) URL"
                )));
            }
            if name == "authority" || name == "api_base_url" {
                while value.ends_with('/') {
                    value.pop();
                }
            }
        }
        if config.client_id.trim().is_empty() {
            return Err(ConfigError::Invalid("client_id is empty".into()));
        }
        if !config.scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError::Invalid("scopes must include openid".into()));
        }
        Ok(config)
    }

    /// Loads [`CONFIG_URL`] from the app's origin (as the page read it, when it did).
    pub async fn load() -> Result<Self, ConfigError> {
        if let Some(text) = crate::early::config_text().await {
            return Self::parse(&text);
        }
        let request = crate::fetch::Request {
            method: "GET",
            url: CONFIG_URL,
            headers: &[],
            body: None,
            no_store: true,
        };
        let answer = crate::fetch::send(request)
            .await
            .map_err(|e| ConfigError::Unreachable(e.to_string()))?;
        if !answer.ok() {
            return Err(ConfigError::Status(answer.status));
        }
        let text = answer.text;
        Self::parse(&text)
    }
}
