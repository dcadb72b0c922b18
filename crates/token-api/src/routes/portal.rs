//! Portal endpoints, called by the SPA with a Bearer access token.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use token_wire::{
    AuditAction, AuditEvent, AuditList, CreateToken, CreatedToken, Me, Owner, Privileges, Problem,
    SortKey, SortOrder, Token, TokenList, TokenStatus, validate_name,
};

use crate::auth::{Caller, forget_api_token, forget_owner};
use crate::clock::rfc3339;
use crate::error::{ApiJson, ApiPath, AppError};
use crate::routes::{parse_limit, parse_query};
use crate::state::AppState;
use crate::store::{
    CreateError, INACTIVE_AFTER_MS, KeyValue, NewToken, TokenKind, TokenQuery, TokenRow,
    parse_roles,
};
use crate::values;

/// The status of a token last used at `last_used` (Unix ms), seen at `now`.
pub fn status_at(last_used: Option<i64>, now: i64) -> TokenStatus {
    match last_used {
        None => TokenStatus::Generated,
        Some(t) if now - t <= INACTIVE_AFTER_MS => TokenStatus::Active,
        Some(_) => TokenStatus::Inactive,
    }
}

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
        status: status_at(r.last_used_at, now),
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

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: SortKey,
    o: SortOrder,
    k: serde_json::Value,
    i: String,
}

fn encode_cursor(sort: SortKey, order: SortOrder, row: &TokenRow) -> String {
    let k = match sort {
        SortKey::Name => serde_json::Value::from(row.name.clone()),
        SortKey::CreatedAt => serde_json::Value::from(row.created_at),
        SortKey::LastUsedAt => serde_json::Value::from(row.last_used_at.unwrap_or(-1)),
    };
    let json = serde_json::to_vec(&Cursor {
        s: sort,
        o: order,
        k,
        i: row.id.clone(),
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(
    raw: &str,
    sort: SortKey,
    order: SortOrder,
) -> Result<(KeyValue, String), AppError> {
    let bad = || {
        AppError::bad_request(
            "cursor",
            "Not a cursor from this listing; start again without it.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if c.s != sort || c.o != order {
        return Err(bad());
    }
    let key = match (sort, c.k) {
        (SortKey::Name, serde_json::Value::String(s)) => KeyValue::Text(s),
        (SortKey::CreatedAt | SortKey::LastUsedAt, serde_json::Value::Number(n)) => {
            KeyValue::Int(n.as_i64().ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    };
    Ok((key, c.i))
}

/// Lists the API tokens the caller may see (every token of the tenant for full admins,
/// otherwise the caller's own). `owner` is for full admins; anyone else naming another
/// owner gets 403.
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
        (status = 200, body = TokenList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<TokenList>, AppError> {
    let params = parse_query(
        raw.as_deref(),
        &["status", "q", "owner", "sort", "order", "limit", "cursor"],
    )?;
    let status = params
        .get("status")
        .map(|s| {
            TokenStatus::parse(s).ok_or_else(|| {
                AppError::bad_request("status", "Must be generated, active or inactive.")
            })
        })
        .transpose()?;
    let sort = match params.get("sort").map(String::as_str) {
        None => SortKey::default(),
        Some("name") => SortKey::Name,
        Some("created_at") => SortKey::CreatedAt,
        Some("last_used_at") => SortKey::LastUsedAt,
        Some(_) => {
            return Err(AppError::bad_request(
                "sort",
                "Must be name, created_at or last_used_at.",
            ));
        }
    };
    let order = match params.get("order").map(String::as_str) {
        None => SortOrder::default(),
        Some("asc") => SortOrder::Asc,
        Some("desc") => SortOrder::Desc,
        Some(_) => return Err(AppError::bad_request("order", "Must be asc or desc.")),
    };
    let limit = parse_limit(&params)?;
    let q = params.get("q").cloned();
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > 256 || q.chars().any(char::is_control))
    {
        return Err(AppError::bad_request(
            "q",
            "At most 256 characters, without control characters.",
        ));
    }
    let owner = match params.get("owner") {
        Some(o) if caller.full_admin() => Some(o.clone()),
        Some(o) if *o != caller.user_id => {
            return Err(AppError::Forbidden(
                "Only full admins can list other users' tokens.",
            ));
        }
        _ if caller.full_admin() => None,
        _ => Some(caller.user_id.clone()),
    };
    let after = params
        .get("cursor")
        .map(|c| decode_cursor(c, sort, order))
        .transpose()?;
    let now = state.now_ms();
    let query = TokenQuery {
        owner,
        status,
        q,
        sort,
        order,
        limit: limit + 1,
        after,
        now,
    };
    let (mut rows, total) = state.store().list_tokens(&caller.tenant_id, &query).await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(sort, order, r))
    } else {
        None
    };
    Ok(Json(TokenList {
        items: rows.iter().map(|r| token_json(r, now)).collect(),
        total,
        next_cursor,
    }))
}

/// Generates an API token for the caller. The value is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "portal", security(("bearer" = [])),
    request_body = CreateToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = Problem, description = "Invalid name (field `name`) or body", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "A live token of the caller has this name", content_type = "application/problem+json"),
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
    match state.store().create_token(&new, caller.ip.as_deref()).await {
        Ok(()) => {}
        Err(CreateError::Duplicate) => {
            return Err(AppError::Conflict {
                field: "name".into(),
                detail: "You already have a token with this name.".into(),
            });
        }
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
    let params = parse_query(raw.as_deref(), &["limit", "cursor"])?;
    let limit = parse_limit(&params)?;
    let before = params
        .get("cursor")
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("a:").and_then(|n| n.parse::<i64>().ok()))
                .ok_or_else(|| {
                    AppError::bad_request(
                        "cursor",
                        "Not a cursor from this listing; start again without it.",
                    )
                })
        })
        .transpose()?;
    let mut rows = state
        .store()
        .list_audit(&caller.tenant_id, before, limit + 1)
        .await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| URL_SAFE_NO_PAD.encode(format!("a:{}", r.seq)))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| AuditEvent {
            at: rfc3339(r.at),
            actor: Owner {
                id: r.actor_id,
                display_name: r.actor_name,
            },
            action: match r.action.as_str() {
                "generated" => AuditAction::Generated,
                "revoked" => AuditAction::Revoked,
                "used" => AuditAction::Used,
                _ => AuditAction::Denied,
            },
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
/// every use answers 403.
#[utoipa::path(post, path = "/api/v1/users/{id}/deprovision", tag = "portal", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id (oid)")),
    responses(
        (status = 204, description = "Deprovisioned"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
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
