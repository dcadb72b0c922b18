//! The OpenAPI document: this API's description, tags and security schemes, completed with
//! the operations of the route table.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

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

/// The document of `operations` (as the route table describes them).
pub fn describe(operations: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(operations);
    document
}

/// The document as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    describe(routes::table().into_openapi())
}
