//! The route table: every operation of the API and its handler, grouped by who calls them.
//! The handlers' annotations also describe each operation in the OpenAPI document.

pub mod alerts;
pub mod portal;
pub mod system;

use std::collections::HashMap;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::state::AppState;

/// Every route of the API, with the OpenAPI description of its operations.
pub fn table() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(system::healthz))
        .routes(routes!(system::openapi_json))
        .routes(routes!(portal::me))
        .routes(routes!(portal::list_tokens, portal::create_token))
        .routes(routes!(portal::revoke_token))
        .routes(routes!(portal::audit))
        .routes(routes!(portal::deprovision))
        .routes(routes!(portal::restore))
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(alerts::list_alerts_no_slash))
        .routes(routes!(alerts::close_alert))
}

/// Query parameters by name; empty values count as absent; unknown names are refused.
pub(crate) fn parse_query(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(AppError::bad_request(
                k.chars().take(64).collect::<String>(),
                "Unknown query parameter.",
            ));
        }
        if v.is_empty() {
            continue;
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(AppError::bad_request(
                k.to_string(),
                "Give this parameter at most once.",
            ));
        }
    }
    Ok(out)
}

/// Parses `limit` (1–100, default 50).
pub(crate) fn parse_limit(params: &HashMap<String, String>) -> Result<u32, AppError> {
    match params.get("limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AppError::bad_request("limit", "Must be an integer from 1 to 100.")),
    }
}
