//! Portal endpoints, called by the SPA with a Bearer access token.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use token_wire::{
    AuditAction, AuditEvent, AuditList, CreateToken, CreatedToken, Me, Owner, Privileges, Problem,
    SortKey, SortOrder, Token, TokenList, TokenStatus, validate_name,
};

use crate::auth::{Caller, forget_api_token, forget_owner};
use crate::clock::rfc3339;
use crate::error::{ApiJson, ApiPath, AppError};
use crate::state::AppState;
use crate::store::{CreateError, NewToken, TokenKind, TokenRow, parse_roles};
use crate::{list, values};

fn token_json(r: &TokenRow, now: i64) -> Token {
    Token {
        id: r.id.clone(),
        name: r.name.clone(),
        owner: Owner {
            id: r.owner_id.clone(),
            display_name: r.owner_name.clone(),
        },
        created_at: rfc3339(r.created_at),
        last_used_at: r.last_used_at.map(rfc3339),
        status: TokenStatus::at(r.last_used_at, now),
        privileges: Privileges::of(&parse_roles(&r.owner_roles)).unwrap_or(Privileges::Read),
    }
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "portal", security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "No portal role, or deprovisioned", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "Sign-in keys or store unavailable", content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    Json(Me {
        full_admin: caller.full_admin(),
        privileges: caller.privileges,
        portal_url: state.portal_url(&caller.tenant_id),
        tenant_id: caller.tenant_id,
        user_id: caller.user_id,
        display_name: caller.display_name,
        roles: caller.roles,
    })
}

/// Lists the API tokens the caller may see (every token of the tenant for full admins,
/// otherwise the caller's own). `owner` is for full admins; anyone else naming another
/// owner gets 403. Every page also counts the tokens of each status under the same
/// filters, the status filter aside, so the status buttons need no call of their own; each
/// count is exact up to `STATUS_COUNT_CAP` (1,000) and then stops (`counts.capped`, shown
/// as "N+"), as does `total`. A name search (`q`) of three or more characters uses a trigram
/// index; a shorter or very common one reads a bounded stretch of the listing per page, so a
/// page may then hold fewer rows than `limit` and still carry a `next_cursor`.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "portal", security(("bearer" = [])),
    params(
        ("status" = Option<TokenStatus>, Query, description = "generated | active | inactive"),
        ("q" = Option<String>, Query, description = "Case-insensitive name substring"),
        ("owner" = Option<String>, Query, description = "Owner user id (full admins only)"),
        ("sort" = Option<SortKey>, Query, description = "name | created_at | last_used_at (default created_at)"),
        ("order" = Option<SortOrder>, Query, description = "asc | desc (default desc)"),
        ("limit" = Option<u32>, Query, description = "1–100, default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from next_cursor")),
    responses(
        (status = 200, body = TokenList, description = "One page, how many tokens match, and the counts per status (`status` filter aside), each exact up to 1,000 (`counts.capped` once one stops there)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "The store is busy or unavailable; retry after `Retry-After` seconds", content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<TokenList>, AppError> {
    let now = state.now_ms();
    let query = list::token_query(raw.as_deref(), &caller.user_id, caller.full_admin(), now)?;
    let page = state.store().list_tokens(&caller.tenant_id, &query).await?;
    Ok(Json(TokenList {
        items: page.rows.iter().map(|r| token_json(r, now)).collect(),
        total: page.counts.of(query.params.status),
        next_cursor: page.next.map(|p| list::token_cursor(&query, &p)),
        counts: page.counts,
    }))
}

/// Generates an API token for the caller. The value is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "portal", security(("bearer" = [])),
    request_body = CreateToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = Problem, description = "Invalid name (field `name`) or body", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "A live token of the caller has this name, or the caller has as many live tokens as allowed", content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json")))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), AppError> {
    let name = validate_name(&body.name).map_err(|e| AppError::bad_request("name", e.message()))?;
    let value = values::generate();
    let hash = values::hash(&value);
    let id = values::new_id();
    let now = state.now_ms();
    let new = NewToken {
        id: &id,
        tenant_id: &caller.tenant_id,
        owner_id: &caller.user_id,
        kind: TokenKind::Api,
        name,
        value_hash: &hash,
        created_at: now,
    };
    let cap = state.config().max_tokens_per_user;
    let created = state
        .store()
        .create_token_within(&new, caller.ip.as_deref(), Some(cap))
        .await;
    match created {
        Ok(()) => state.unknown_values().forget(&hash),
        Err(CreateError::Duplicate) => {
            return Err(AppError::Conflict {
                field: "name".into(),
                detail: "You already have a token with this name.".into(),
            });
        }
        Err(CreateError::TooMany) => return Err(AppError::TooManyTokens(cap)),
        Err(CreateError::Sqlx(e)) => return Err(e.into()),
    }
    let token = Token {
        id,
        name: name.to_string(),
        owner: Owner {
            id: caller.user_id.clone(),
            display_name: caller.display_name.clone(),
        },
        created_at: rfc3339(now),
        last_used_at: None,
        status: TokenStatus::Generated,
        privileges: caller.privileges,
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            value,
            portal_url: state.portal_url(&caller.tenant_id),
        }),
    ))
}

/// Revokes an API token the caller may see; the next use of its value is refused.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "portal", security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, body = Problem, description = "No such live token visible to the caller", content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let owner = (!caller.full_admin()).then_some(caller.user_id.as_str());
    let revoked = state
        .store()
        .revoke(
            &caller.tenant_id,
            &id,
            owner,
            &caller.user_id,
            state.now_ms(),
            caller.ip.as_deref(),
        )
        .await?;
    if !revoked {
        return Err(AppError::NotFound("No such token."));
    }
    forget_api_token(&state, &id);
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's audit trail, newest first (full admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "portal", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "1–100, default 50"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from next_cursor")),
    responses(
        (status = 200, body = AuditList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "Not a full admin", content_type = "application/problem+json")))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<AuditList>, AppError> {
    if !caller.full_admin() {
        return Err(AppError::Forbidden(
            "Only full admins can read the audit trail.",
        ));
    }
    let (limit, before) = list::audit_page(raw.as_deref())?;
    let mut rows = state
        .store()
        .list_audit(&caller.tenant_id, before, limit)
        .await?;
    let next_cursor = list::cut_page(&mut rows, limit, list::audit_cursor);
    let items = rows
        .into_iter()
        .map(|r| AuditEvent {
            at: rfc3339(r.at),
            actor: Owner {
                id: r.actor_id,
                display_name: r.actor_name,
            },
            action: r.action.parse().unwrap_or(AuditAction::Denied),
            token_id: r.token_id,
            token_name: r.token_name,
            ip: r.ip,
        })
        .collect();
    Ok(Json(AuditList { items, next_cursor }))
}

async fn set_deprovisioned(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    flag: bool,
) -> Result<StatusCode, AppError> {
    if !caller.full_admin() {
        return Err(AppError::Forbidden(
            "Only full admins can deprovision users.",
        ));
    }
    if flag && user_id == caller.user_id {
        return Err(AppError::Conflict {
            field: "id".into(),
            detail: "You cannot deprovision yourself.".into(),
        });
    }
    if !state
        .store()
        .set_deprovisioned(&caller.tenant_id, user_id, flag, state.now_ms())
        .await?
    {
        return Err(AppError::NotFound("No such user."));
    }
    forget_owner(state, &caller.tenant_id, user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Deprovisions a user of the caller's tenant (full admins only): their tokens stay listed,
/// every use answers 403. Nobody can deprovision themselves (409).
#[utoipa::path(post, path = "/api/v1/users/{id}/deprovision", tag = "portal", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id (oid)")),
    responses(
        (status = 204, description = "Deprovisioned"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The caller named themselves", content_type = "application/problem+json")))]
pub async fn deprovision(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    set_deprovisioned(&state, &caller, &id, true).await
}

/// Restores a deprovisioned user of the caller's tenant (full admins only).
#[utoipa::path(post, path = "/api/v1/users/{id}/restore", tag = "portal", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id (oid)")),
    responses(
        (status = 204, description = "Restored"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    set_deprovisioned(&state, &caller, &id, false).await
}
