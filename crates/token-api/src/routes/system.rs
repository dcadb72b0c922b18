//! Health and the OpenAPI document.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::state::AppState;

/// Health: 200 when the store answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "The store answers"), (status = 503, description = "The store does not answer")))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store().ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
    }
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .openapi_json()
        .get()
        .cloned()
        .unwrap_or_else(|| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], body)
}
