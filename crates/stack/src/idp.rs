//! The local OpenID provider, `node dev/idp/server.mjs`.

use std::process::Command;
use std::time::Duration;

use crate::process::Service;
use crate::{Result, workspace_root};

/// The API identifier (access token audience) the stack is configured with.
pub const AUDIENCE: &str = "api://token-api";
/// The SPA's client id at the local provider.
pub const CLIENT_ID: &str = "api-tokens-portal";
/// The password of every seeded account of the local provider (`dev/idp/accounts.json`).
pub const PASSWORD: &str = "dev-password";
/// The server's directory-sync application at the local provider (`dev/idp/directory.mjs`):
/// client id, development secret, and the tenant synced (Contoso).
pub const DIRECTORY_CLIENT: (&str, &str) = ("token-api-directory", "dev-directory-secret");
pub const DIRECTORY_TENANT: &str = "11111111-1111-4111-8111-111111111111";

/// How to start the provider.
#[derive(Clone, Debug, Default)]
pub struct IdpConfig {
    /// Origins of the SPAs it signs people in for, e.g. `http://127.0.0.1:8080`: each gets
    /// `{origin}/auth/callback` and `{origin}/` as redirect URIs and may call it (CORS).
    pub apps: Vec<String>,
    /// Port on 127.0.0.1; 0 lets the provider take a free one.
    pub port: u16,
    /// Access token lifetime in seconds; the provider's default (1 h) when `None`.
    pub access_token_ttl: Option<u32>,
}

/// The running provider; stopped when dropped.
#[derive(Debug)]
pub struct Idp {
    /// The issuer URL, e.g. `http://127.0.0.1:9090`.
    pub issuer: String,
    _service: Service,
}

impl IdpConfig {
    /// Starts the provider and waits until it listens.
    pub fn start(&self) -> Result<Idp> {
        let each = |f: fn(&String) -> String| self.apps.iter().map(f).collect::<Vec<_>>().join(",");
        let mut cmd = Command::new("node");
        cmd.arg(workspace_root().join("dev/idp/server.mjs"))
            .env("IDP_PORT", self.port.to_string())
            .env("IDP_CLIENT_ID", CLIENT_ID)
            .env(
                "IDP_REDIRECT_URIS",
                each(|app| format!("{app}/auth/callback")),
            )
            .env(
                "IDP_POST_LOGOUT_REDIRECT_URIS",
                each(|app| format!("{app}/")),
            )
            .env("IDP_CORS_ORIGINS", each(String::clone))
            .env("IDP_AUDIENCE", AUDIENCE);
        if let Some(ttl) = self.access_token_ttl {
            cmd.env("IDP_ACCESS_TOKEN_TTL", ttl.to_string());
        }
        let (service, issuer) = Service::start("idp", &mut cmd, "ready ", Duration::from_secs(60))?;
        Ok(Idp {
            issuer,
            _service: service,
        })
    }
}
