//! The route table: every operation of the API and its handler, grouped by who calls them.
//! The handlers' annotations also describe each operation in the OpenAPI document.

pub mod alerts;
pub mod portal;
pub mod system;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
