//! Roles from the directory, without their owner signing in: the server signs in to the
//! directory as an application (OAuth 2 client credentials; Graph needs the application
//! permission `RoleManagement.Read.Directory`), reads the tenant-wide assignments of the
//! portal's roles (Microsoft Graph `roleManagement/directory/roleAssignments`, or the local
//! provider's equivalent) and sets the roles of every known user of the tenant from them:
//! a role removed in the directory reaches every token of its holder at the next sync. Runs
//! every [`DirectoryConfig::sync_interval`] in a server configured for it, and once by
//! `token-api users sync`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde::Deserialize;
use token_wire::Role;

use crate::state::AppState;
use crate::store::Store;

/// Where and as whom the server reads the directory; syncing is on when the client id, its
/// secret and the tenant are all set.
#[derive(Clone, Debug, clap::Args)]
pub struct DirectoryConfig {
    /// The server's application (client) id in the directory's identity provider.
    #[arg(long = "directory-client-id", env = "DIRECTORY_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Its client secret.
    #[arg(
        long = "directory-client-secret",
        env = "DIRECTORY_CLIENT_SECRET",
        hide_env_values = true,
        value_parser = secret
    )]
    pub client_secret: Option<Secret>,
    /// The tenant (`tid`) whose users' roles the directory gives.
    #[arg(long = "directory-tenant-id", env = "DIRECTORY_TENANT_ID")]
    pub tenant_id: Option<String>,
    /// The directory API's base URL.
    #[arg(long = "directory-url", env = "DIRECTORY_URL", default_value = GRAPH_URL)]
    pub url: String,
    /// The scope asked for with client credentials.
    #[arg(long = "directory-scope", env = "DIRECTORY_SCOPE", default_value = GRAPH_SCOPE)]
    pub scope: String,
    /// The token endpoint; by default the issuer's, from its discovery document.
    #[arg(long = "directory-token-url", env = "DIRECTORY_TOKEN_URL")]
    pub token_url: Option<String>,
    /// Seconds between two syncs: the longest a role removed in the directory keeps working.
    #[arg(
        long = "directory-sync-interval-secs",
        env = "DIRECTORY_SYNC_INTERVAL_SECS",
        default_value = "900",
        value_parser = seconds
    )]
    pub sync_interval: Duration,
}

const GRAPH_URL: &str = "https://graph.microsoft.com/v1.0";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            client_id: None,
            client_secret: None,
            tenant_id: None,
            url: GRAPH_URL.into(),
            scope: GRAPH_SCOPE.into(),
            token_url: None,
            sync_interval: Duration::from_secs(900),
        }
    }
}

/// A client secret: never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(pub Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

fn secret(s: &str) -> Result<Secret, String> {
    Ok(Secret(s.into()))
}

fn seconds(s: &str) -> Result<Duration, String> {
    crate::config::positive(s, "seconds").map(Duration::from_secs)
}

/// The JSON body of the answer to `request`, which must succeed.
async fn get_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, reqwest::Error> {
    request.send().await?.error_for_status()?.json().await
}

/// Why a sync did not happen; no role was changed then.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "directory sync is not configured (DIRECTORY_CLIENT_ID, DIRECTORY_CLIENT_SECRET, DIRECTORY_TENANT_ID, and OIDC_ISSUER or DIRECTORY_TOKEN_URL)"
    )]
    NotConfigured,
    #[error("cannot read the issuer's discovery document: {0}")]
    Discovery(reqwest::Error),
    #[error("invalid token endpoint URL")]
    TokenUrl,
    #[error("the directory refused the application's sign-in: {0}")]
    SignIn(String),
    #[error("cannot read the role assignments: {0}")]
    Read(reqwest::Error),
    #[error("the directory's next page is not under DIRECTORY_URL")]
    ForeignNextLink,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Reads role assignments as the configured application.
pub struct DirectoryClient {
    config: DirectoryConfig,
    client_id: String,
    client_secret: Secret,
    tenant_id: String,
    issuer: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    principal_id: String,
    role_definition_id: String,
    #[serde(default)]
    directory_scope_id: Option<String>,
    /// With `$expand=principal`: whether the principal is a user or a group.
    #[serde(default)]
    principal: Option<Principal>,
}

#[derive(Deserialize)]
struct Principal {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
}

#[derive(Deserialize)]
struct Member {
    id: String,
}

impl DirectoryClient {
    /// A client when `config` is complete and a token endpoint is known (`None` otherwise).
    pub fn new(config: &DirectoryConfig, issuer: Option<&str>) -> Option<DirectoryClient> {
        let (Some(client_id), Some(client_secret), Some(tenant_id)) = (
            config.client_id.clone(),
            config.client_secret.clone(),
            config.tenant_id.clone(),
        ) else {
            return None;
        };
        if config.token_url.is_none() && issuer.is_none() {
            return None;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            // The bearer goes to DIRECTORY_URL only (OAuth 2 clients must not follow).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Some(DirectoryClient {
            config: config.clone(),
            client_id,
            client_secret,
            tenant_id,
            issuer: issuer.map(|i| i.trim_end_matches('/').to_string()),
            http,
        })
    }

    /// The tenant this client syncs.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    async fn token_url(&self) -> Result<String, SyncError> {
        if let Some(url) = &self.config.token_url {
            return Ok(url.clone());
        }
        let issuer = self.issuer.as_deref().unwrap_or_default();
        let discovery: Discovery = get_json(
            self.http
                .get(format!("{issuer}/.well-known/openid-configuration")),
        )
        .await
        .map_err(SyncError::Discovery)?;
        Ok(discovery.token_endpoint)
    }

    /// An application access token for the directory.
    async fn sign_in(&self) -> Result<String, SyncError> {
        let token_url = TokenUrl::new(self.token_url().await?).map_err(|_| SyncError::TokenUrl)?;
        let oauth = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.0.to_string()))
            .set_token_uri(token_url);
        let token = oauth
            .exchange_client_credentials()
            .add_scope(Scope::new(self.config.scope.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| SyncError::SignIn(e.to_string()))?;
        Ok(token.access_token().secret().clone())
    }

    /// The tenant-wide assignments of the portal's roles: user id → roles. Graph lists
    /// assignments only by role or principal, so each role is read on its own (`$filter`
    /// on `roleDefinitionId`, the role's template id), page by page; a role assigned to a
    /// (role-assignable) group goes to the group's users (`transitiveMembers`, which needs
    /// `GroupMember.Read.All` too).
    pub async fn assignments(&self) -> Result<HashMap<String, Vec<Role>>, SyncError> {
        let bearer = self.sign_in().await?;
        let base = self.config.url.trim_end_matches('/');
        let list = format!("{base}/roleManagement/directory/roleAssignments");
        let mut roles: HashMap<String, Vec<Role>> = HashMap::new();
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        for role in Role::ALL {
            let filter = format!("roleDefinitionId eq '{}'", role.wid());
            let first = self.http.get(&list).query(&[
                ("$filter", filter.as_str()),
                ("$expand", "principal"),
            ]);
            let assigned: Vec<Assignment> = self.all_pages(first, &bearer).await?;
            // Tenant-wide assignments only, as in the `wids` claim.
            for a in assigned {
                if a.role_definition_id != role.wid()
                    || a.directory_scope_id.as_deref().is_some_and(|s| s != "/")
                {
                    continue;
                }
                let group = a.principal.and_then(|p| p.odata_type).as_deref()
                    == Some("#microsoft.graph.group");
                let users = if group {
                    if !members.contains_key(&a.principal_id) {
                        let url = format!(
                            "{base}/groups/{}/transitiveMembers/microsoft.graph.user",
                            a.principal_id
                        );
                        let first = self.http.get(url).query(&[("$select", "id")]);
                        let found: Vec<Member> = self.all_pages(first, &bearer).await?;
                        let ids = found.into_iter().map(|m| m.id).collect();
                        members.insert(a.principal_id.clone(), ids);
                    }
                    members[&a.principal_id].clone()
                } else {
                    vec![a.principal_id]
                };
                for user in users {
                    let held = roles.entry(user).or_default();
                    if !held.contains(&role) {
                        held.push(role);
                    }
                }
            }
        }
        Ok(roles)
    }

    /// Every item of a paged collection from `first` on, following `@odata.nextLink` (only
    /// under `DIRECTORY_URL`, where the bearer may go).
    async fn all_pages<T: serde::de::DeserializeOwned>(
        &self,
        first: reqwest::RequestBuilder,
        bearer: &str,
    ) -> Result<Vec<T>, SyncError> {
        let base = format!("{}/", self.config.url.trim_end_matches('/'));
        let mut request = first;
        let mut items = Vec::new();
        loop {
            let page: Page<T> = get_json(request.bearer_auth(bearer))
                .await
                .map_err(SyncError::Read)?;
            items.extend(page.value);
            let Some(next) = page.next_link else {
                return Ok(items);
            };
            if !next.starts_with(&base) {
                return Err(SyncError::ForeignNextLink);
            }
            request = self.http.get(next);
        }
    }

    /// Reads the directory and sets the roles of the tenant's known users from it at `now`
    /// (Unix ms); returns the ids of the users whose roles changed. Nothing changes when the
    /// directory cannot be read whole.
    pub async fn sync(&self, store: &Store, now: i64) -> Result<Vec<String>, SyncError> {
        let assignments = self.assignments().await?;
        let roles_of = |user: &str| assignments.get(user).cloned().unwrap_or_default();
        Ok(store.sync_roles(&self.tenant_id, roles_of, now).await?)
    }
}

impl AppState {
    /// Syncs roles from the directory every interval when configured; stops with the runtime.
    pub fn spawn_directory_sync(&self) {
        let config = &self.config().directory;
        let Some(client) = DirectoryClient::new(config, self.config().issuer.as_deref()) else {
            return;
        };
        let state = self.clone();
        let period = config.sync_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match client.sync(state.store(), state.now_ms()).await {
                    Ok(changed) => {
                        for user in &changed {
                            crate::auth::forget_owner(&state, client.tenant_id(), user);
                        }
                        tracing::info!(changed = changed.len(), "synced roles from the directory");
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot sync roles from the directory"),
                }
            }
        });
    }
}
