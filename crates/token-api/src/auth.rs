//! Who is calling: portal users (Bearer access tokens) and software (`Authorization: Token`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use token_wire::{AuditAction, Privileges, Role};

use crate::cache::{CachedApiToken, PendingUse};
use crate::error::AppError;
use crate::jwt::{Claims, JwtError};
use crate::state::AppState;
use crate::store::{NewAudit, parse_roles};
use crate::values;

/// A signed-in portal user with at least one portal role, recorded in the store.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenant_id: String,
    pub user_id: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub privileges: Privileges,
    pub ip: Option<String>,
}

impl Caller {
    /// Whether the caller sees and manages every token of the tenant.
    pub fn full_admin(&self) -> bool {
        self.privileges == Privileges::Full
    }
}

/// The peer address, from the connection.
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The credential after `scheme` in the Authorization header, if that is the scheme used.
fn credential<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|c| !c.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let access_token = credential(&parts.headers, "Bearer").ok_or(
            AppError::Unauthenticated("A bearer access token is required."),
        )?;
        let claims = state
            .jwt()
            .verify(access_token)
            .await
            .map_err(|e| match e {
                JwtError::Invalid(_) => {
                    AppError::Unauthenticated("The access token is invalid or expired.")
                }
                JwtError::Unavailable(_) => {
                    AppError::Unavailable("Sign-in keys are unavailable; retry later.")
                }
            })?;
        portal_token(state, &claims)?;
        if claims.tid.is_empty()
            || claims.oid.is_empty()
            || claims.tid.len() > 128
            || claims.oid.len() > 128
        {
            return Err(AppError::Unauthenticated(
                "The access token lacks a tenant or user id.",
            ));
        }
        let token_roles = token_wire::roles_from_wids(&claims.wids);
        let username = claims.preferred_username.clone().unwrap_or_default();
        let display_name = token_wire::display_name(
            claims.name.as_deref(),
            claims.preferred_username.as_deref(),
            &claims.oid,
        )
        .to_owned();
        let now = state.now_ms();
        let store = state.store();
        store.ensure_tenant(&claims.tid, now).await?;
        let (user, roles_changed) = store
            .upsert_user(
                &claims.tid,
                &claims.oid,
                &display_name,
                &username,
                &token_roles,
                roles_observed_at(claims.iat, now),
                now,
            )
            .await?;
        if roles_changed {
            forget_owner(state, &claims.tid, &claims.oid);
        }
        if user.deprovisioned != 0 {
            return Err(AppError::PermissionDenied(
                "Your access to the portal has been removed.",
            ));
        }
        // The roles as recorded: the token's, unless newer ones (a later token or directory
        // sync) are on record.
        let roles = parse_roles(&user.roles);
        let privileges = Privileges::of(&roles).ok_or(AppError::Forbidden(
            "You have no role that grants access to the portal.",
        ))?;
        Ok(Caller {
            tenant_id: claims.tid,
            user_id: claims.oid,
            display_name,
            roles,
            privileges,
            ip: client_ip(parts),
        })
    }
}

/// When an access token's roles were observed, Unix ms: its `iat` (0 without one), never
/// later than `now` (an issuer whose clock runs ahead cannot outrank the next directory sync).
fn roles_observed_at(iat: Option<u64>, now: i64) -> i64 {
    let iat_ms = iat.map_or(0, |s| {
        i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000)
    });
    iat_ms.min(now)
}

/// Refuses access tokens that are not a user's, delegated to the SPA: application tokens
/// (no `scp`), tokens without the API's scope, tokens issued to another client.
fn portal_token(state: &AppState, claims: &Claims) -> Result<(), AppError> {
    let config = state.config();
    let Some(spa) = config.spa_client_id.as_deref() else {
        return Err(AppError::Unavailable("Sign-in is not configured."));
    };
    if claims.scp.is_none() {
        return Err(AppError::Forbidden(
            "Portal calls need a user's access token; application tokens are refused.",
        ));
    }
    if !claims.has_scope(&config.api_scope) || claims.client() != Some(spa) {
        return Err(AppError::Forbidden(
            "The access token was not issued to the portal for this API.",
        ));
    }
    Ok(())
}

/// Authenticates an `Authorization: Token` call (an API token) needing `need`, counts it
/// against the tenant's rate limit (once it is known to be valid and its owner not
/// deprovisioned) and records the use. Outcomes follow the contract: 401 invalid token, 429
/// over the limit, 403 permission denied. Each 401 counts against the client address (see
/// [`crate::misses`]).
pub async fn authenticate_api_token(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<String>,
    need: Privileges,
) -> Result<Arc<CachedApiToken>, AppError> {
    let address = ip.clone().unwrap_or_default();
    let result = authenticate(state, headers, ip, need).await;
    if let Err(AppError::InvalidToken) = result {
        state.invalid_tokens().record(&address, state.now_ms());
    }
    result
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<String>,
    need: Privileges,
) -> Result<Arc<CachedApiToken>, AppError> {
    let value = credential(headers, "Token").ok_or(AppError::InvalidToken)?;
    if !values::is_well_formed(value) {
        return Err(AppError::InvalidToken);
    }
    let hash = values::hash(value);
    let address = ip.as_deref().unwrap_or_default();
    let api_token = lookup(state, &hash, address)
        .await?
        .ok_or(AppError::InvalidToken)?;
    if !values::hashes_equal(&api_token.value_hash, &hash) || !api_token.is_api {
        return Err(AppError::InvalidToken);
    }
    if api_token.revoked {
        return Err(AppError::InvalidToken);
    }
    let now = state.now_ms();
    let denied = |detail: &'static str| {
        let (state, api_token, ip) = (state.clone(), api_token.clone(), ip.clone());
        tokio::spawn(async move {
            let event = NewAudit {
                tenant_id: &api_token.tenant_id,
                at: now,
                actor_id: &api_token.owner_id,
                action: AuditAction::Denied,
                token_id: Some(&api_token.id),
                token_name: Some(&api_token.name),
                ip: ip.as_deref(),
            };
            if let Err(e) = state.store().audit(&event).await {
                tracing::warn!(error = %e, "cannot audit a denied use");
            }
        });
        AppError::PermissionDenied(detail)
    };
    if api_token.owner_deprovisioned {
        return Err(denied("The owner of this token has been deprovisioned."));
    }
    // After the revoked and deprovisioned checks: a value that no longer works cannot spend
    // the tenant's budget.
    state
        .limiter()
        .check(state.store(), &api_token.tenant_id, now)
        .await
        .map_err(|retry_after| AppError::RateLimited { retry_after })?;
    match api_token.privileges {
        Some(p) if p >= need => {}
        Some(_) => return Err(denied("This token does not allow this operation.")),
        None => {
            return Err(denied(
                "The owner of this token has no role that grants access.",
            ));
        }
    }
    let use_ = PendingUse {
        tenant_id: api_token.tenant_id.clone(),
        owner_id: api_token.owner_id.clone(),
        name: api_token.name.clone(),
        at: now,
        ip,
    };
    state.pending_uses().record(&api_token.id, use_);
    if api_token.take_first_use() {
        // Written by the background job at once: the token turns active, and this request
        // never waits for the store's writes.
        state.pending_uses().wake();
    }
    Ok(api_token)
}

/// The token of `hash`: cached, known not to exist, or read from the store unless `address`
/// is over its invalid-token limit (429).
async fn lookup(
    state: &AppState,
    hash: &str,
    address: &str,
) -> Result<Option<Arc<CachedApiToken>>, AppError> {
    let now = state.now_ms();
    let (cached, epoch) = state.api_tokens().get(hash, now);
    if let Some(entry) = cached {
        return Ok(Some(entry));
    }
    if state.unknown_values().contains(hash, now) {
        return Ok(None);
    }
    state
        .invalid_tokens()
        .check(address, now)
        .map_err(|retry_after| AppError::TooManyInvalidTokens { retry_after })?;
    state.unknown_values().count_store_lookup();
    let Some(row) = state.store().token_by_hash(hash).await? else {
        state.unknown_values().insert(hash, now);
        return Ok(None);
    };
    let entry = Arc::new(CachedApiToken::from(row));
    state.api_tokens().insert(entry.clone(), epoch, now);
    Ok(Some(entry))
}

/// Drops a revoked API token from this instance's cache at once.
pub fn forget_api_token(state: &AppState, token_id: &str) {
    state.api_tokens().evict_token(token_id);
}

/// Drops a user's tokens from this instance's cache at once.
pub fn forget_owner(state: &AppState, tenant_id: &str, user_id: &str) {
    state.api_tokens().evict_owner(tenant_id, user_id);
}
