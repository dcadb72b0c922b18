//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::{alerts, portal, system};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Token API", version = "1", description = "API tokens portal: the contract in shared/design/token-api.md."),
    modifiers(&SecuritySchemes),
    tags((name = "portal", description = "Bearer access token"), (name = "alerts", description = "Authorization: Token <value>"), (name = "system"))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <value>`",
            ))),
        );
    }
}

/// Every route of the API with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
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

/// The document as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}
