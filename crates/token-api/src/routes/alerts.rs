//! API-token-authenticated endpoints: what software calls with `Authorization: Token <value>`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use token_wire::{Alert, AlertList, Privileges, Problem};

use crate::auth::{ClientIp, authenticate_api_token};
use crate::clock::rfc3339;
use crate::error::{ApiPath, AppError};
use crate::state::AppState;
use crate::store::AlertRow;

fn alert(r: AlertRow) -> Alert {
    Alert {
        id: r.id,
        title: r.title,
        severity: r.severity,
        status: r.status,
        created_at: rfc3339(r.created_at),
    }
}

/// The tenant's alerts (needs any privilege).
#[utoipa::path(get, path = "/api/v1/alerts/", tag = "alerts", security(("token" = [])),
    responses(
        (status = 200, body = AlertList),
        (status = 401, body = Problem, description = "Invalid token", content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "Permission denied", content_type = "application/problem+json"),
        (status = 429, body = Problem, description = "Rate limited; see Retry-After", content_type = "application/problem+json")))]
pub async fn list_alerts(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<Json<AlertList>, AppError> {
    let api_token = authenticate_api_token(&state, &headers, ip, Privileges::Read).await?;
    let items = state
        .store()
        .list_alerts(&api_token.tenant_id)
        .await?
        .into_iter()
        .map(alert)
        .collect();
    Ok(Json(AlertList { items }))
}

/// The same as `GET /api/v1/alerts/`, without the trailing slash.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("token" = [])),
    responses((status = 200, body = AlertList), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_alerts_no_slash(
    state: State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Json<AlertList>, AppError> {
    list_alerts(state, ip, headers).await
}

/// Closes an alert (needs `alerts` or `full`).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "alerts", security(("token" = [])),
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, body = Alert),
        (status = 401, body = Problem, description = "Invalid token", content_type = "application/problem+json"),
        (status = 403, body = Problem, description = "Permission denied (deprovisioned owner or read-only token)", content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn close_alert(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<Alert>, AppError> {
    let api_token = authenticate_api_token(&state, &headers, ip, Privileges::Alerts).await?;
    let row = state
        .store()
        .close_alert(&api_token.tenant_id, &id)
        .await?
        .ok_or(AppError::NotFound("No such alert."))?;
    Ok(Json(alert(row)))
}
