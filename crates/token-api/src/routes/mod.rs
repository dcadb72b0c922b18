//! HTTP handlers, grouped by who calls them.

pub mod alerts;
pub mod portal;
pub mod system;

use std::collections::HashMap;

use crate::error::ApiError;

/// Query parameters by name; empty values count as absent; unknown names are refused.
pub(crate) fn parse_query(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(ApiError::bad_request(
                k.chars().take(64).collect::<String>(),
                "Unknown query parameter.",
            ));
        }
        if v.is_empty() {
            continue;
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ApiError::bad_request(
                k.to_string(),
                "Give this parameter at most once.",
            ));
        }
    }
    Ok(out)
}

/// Parses `limit` (1–100, default 50).
pub(crate) fn parse_limit(params: &HashMap<String, String>) -> Result<u32, ApiError> {
    match params.get("limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ApiError::bad_request("limit", "Must be an integer from 1 to 100.")),
    }
}
