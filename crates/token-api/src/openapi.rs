//! The OpenAPI document: this API's description, tags and security schemes, completed with
//! the operations of the route table and the answers every operation of a kind can give
//! (see [`CommonAnswers`]).

use token_wire::{SortKey, SortOrder};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{KnownFormat, ObjectBuilder, Ref, ResponseBuilder, SchemaFormat, Type};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Token API", version = "1", description = "API tokens portal: the contract in shared/design/token-api.md."),
    modifiers(&SecuritySchemes),
    components(schemas(SortKey, SortOrder)),
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

/// The answers an operation gives by the way it is called, whatever its handler does: a
/// credential refused (401) or not allowed (403), a rate limit (429), a body refused (400,
/// 413, 415), a path segment that does not decode (400), a dependency down (503). Added to
/// every operation that lacks them, so its own annotation lists only what is its own.
struct CommonAnswers;

const BAD_CREDENTIAL: &str = "Missing or invalid credential";
const NOT_ALLOWED: &str = "Not allowed (no role, deprovisioned, or not a portal token)";
const UNAVAILABLE: &str =
    "The store or the sign-in keys are unavailable; retry after `Retry-After` seconds";

impl CommonAnswers {
    /// `(status, description)` of the answers `op` can give and must list.
    fn of(op: &Operation) -> Vec<(&'static str, &'static str)> {
        let requires = |scheme: &str| {
            let wanted = SecurityRequirement::new(scheme, Vec::<String>::new());
            op.security.iter().flatten().any(|s| *s == wanted)
        };
        let mut answers = Vec::new();
        if requires("bearer") {
            answers.extend([("401", BAD_CREDENTIAL), ("403", NOT_ALLOWED)]);
        }
        if requires("token") {
            answers.extend([
                ("401", BAD_CREDENTIAL),
                ("403", NOT_ALLOWED),
                (
                    "429",
                    "Rate limited (the tenant's limit, or too many invalid tokens from this address); retry after `Retry-After` seconds",
                ),
            ]);
        }
        if op.security.is_some() {
            answers.push(("503", UNAVAILABLE));
        }
        if op.request_body.is_some() {
            answers.extend([
                ("400", "Malformed body (`field` names the field at fault)"),
                ("413", "The body is larger than 16 KiB"),
                ("415", "The body is not `application/json`"),
            ]);
        }
        let in_path = |p: &utoipa::openapi::path::Parameter| {
            p.parameter_in == utoipa::openapi::path::ParameterIn::Path
        };
        if op.parameters.iter().flatten().any(in_path) {
            answers.push((
                "400",
                "A path segment that does not decode (`field` = `path`)",
            ));
        }
        answers
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let retry_after = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32))),
            )
            .description(Some("Seconds to wait before retrying"))
            .build();
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                for (status, description) in Self::of(op) {
                    if op.responses.responses.contains_key(status) {
                        continue;
                    }
                    let problem = ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build();
                    let mut answer = ResponseBuilder::new()
                        .description(description)
                        .content(token_wire::PROBLEM_CONTENT_TYPE, problem);
                    if matches!(status, "429" | "503") {
                        answer = answer.header("Retry-After", retry_after.clone());
                    }
                    op.responses
                        .responses
                        .insert(status.into(), answer.build().into());
                }
            }
        }
    }
}

/// The document of `operations` (as the route table describes them).
pub fn describe(operations: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(operations);
    CommonAnswers.modify(&mut document);
    document
}

/// The document as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    describe(routes::table().into_openapi())
}
